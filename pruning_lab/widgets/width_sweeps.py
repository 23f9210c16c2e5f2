"""Interactive panel of the chapter "ResNet-20 and CIFAR-10": explore a finished width sweep."""

from __future__ import annotations

import matplotlib.pyplot as plt

from ..plotting.networks import plot_width_sweep, width_sweep_summary

__all__ = ["METRICS", "width_sweep_figure", "width_sweep_panel"]

#: The quantities of a width-sweep record that the panel can show.
METRICS = ("test_error", "train_error", "test_loss", "train_loss")


def width_sweep_figure(rows, metric: str = "test_error", strategies=None, *, retrained: str = "both",
                       base_width=None, ax=None):
    r"""One metric of a finished width sweep against the width, for a chosen set of pruning strategies.

    ``rows`` are the records of :func:`pruning_lab.nn.sweeps.run_width_sweep` (or of a
    :class:`~pruning_lab.experiments.RunStore` filled by the command line); ``metric`` is one of
    ``METRICS``; ``strategies`` a subset of the strategies present (default: all);
    ``retrained`` is ``"both"``, ``"yes"`` or ``"no"`` (which pruned curves to show; the dense
    curve is always drawn).  Returns ``{(strategy, retrained): values}`` of the curves drawn, as
    computed by :func:`~pruning_lab.plotting.networks.width_sweep_summary`.
    """
    rows = list(rows)
    if metric not in METRICS:
        raise ValueError(f"metric must be one of {METRICS}, got {metric!r}")
    if retrained not in ("both", "yes", "no"):
        raise ValueError(f"retrained must be 'both', 'yes' or 'no', got {retrained!r}")
    present = list(dict.fromkeys(r.get("strategy") for r in rows))
    strategies = present if strategies is None else list(strategies)
    unknown = [s for s in strategies if s not in present]
    if unknown:
        raise ValueError(f"strategies {unknown} are not in the sweep; it has {present}")
    keep = {"both": (True, False), "yes": (True,), "no": (False,)}[retrained]
    chosen = [r for r in rows if r["strategy"] == "dense" or
              (r["strategy"] in strategies and bool(r["retrain"]) in keep)]
    if ax is None:
        _, ax = plt.subplots(figsize=(7.5, 4.2))
    percent = metric.endswith("error")
    plot_width_sweep(chosen, metric=metric, ax=ax, base_width=base_width, percent=percent)
    summary = width_sweep_summary(chosen, metric)
    return {key: (mean * (100.0 if percent else 1.0)).round(2).tolist() for key, (_, mean, _, _) in summary.items()}


def width_sweep_panel(rows, metric: str = "test_error", **kwargs):
    """Dropdowns over the metric and the strategies shown, redrawing :func:`width_sweep_figure` (no training)."""
    import ipywidgets as widgets

    rows = list(rows)
    pruned = [s for s in dict.fromkeys(r["strategy"] for r in rows) if s != "dense"]
    metric_box = widgets.Dropdown(options=list(METRICS), value=metric, description="metric")
    strategy_box = widgets.SelectMultiple(options=pruned, value=tuple(pruned), description="strategies", rows=3)
    retrain_box = widgets.ToggleButtons(options=["both", "yes", "no"], value="both", description="retrained")
    out = widgets.interactive_output(
        lambda metric, strategies, retrained: (
            width_sweep_figure(rows, metric, ["dense", *strategies], retrained=retrained, **kwargs), plt.show()),
        {"metric": metric_box, "strategies": strategy_box, "retrained": retrain_box},
    )
    return widgets.VBox([widgets.HBox([metric_box, strategy_box, retrain_box]), out])
