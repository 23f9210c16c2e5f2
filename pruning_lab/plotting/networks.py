"""Figures of the network chapters: "Pruning networks on MNIST" and "ResNet-20 and CIFAR-10"."""

from __future__ import annotations

import numpy as np

from .style import STRATEGY_COLORS, _axes

__all__ = ["plot_imp", "plot_width_sweep", "width_sweep_summary"]

_LABELS = {"dense": "dense, trained at this width", "global": "global magnitude", "layerwise": "layer-wise magnitude",
           "random": "random"}


def width_sweep_summary(rows, metric: str = "test_error") -> dict:
    r"""Mean and standard deviation over seeds of ``metric`` for each (strategy, retrain) curve of a width sweep.

    ``rows`` are the flat records of :func:`pruning_lab.nn.sweeps.run_width_sweep` (or
    :meth:`pruning_lab.experiments.RunStore.table`).  Returns ``{(strategy, retrain): (widths, mean,
    std, n_seeds)}`` with arrays sorted by width; the dense curve has ``retrain=False``.
    """
    rows = list(rows)
    if not rows:
        raise ValueError("rows is empty: run the sweep first (pruning_lab.nn.sweeps.run_width_sweep)")
    missing = {"strategy", "retrain", "width", metric} - set(rows[0])
    if missing:
        raise ValueError(f"rows lack the keys {sorted(missing)}; expected records of a width sweep")
    out = {}
    for key in dict.fromkeys((r["strategy"], bool(r["retrain"]) and r["strategy"] != "dense") for r in rows):
        sel = [r for r in rows if r["strategy"] == key[0] and (bool(r["retrain"]) and key[0] != "dense") == key[1]]
        widths = np.array(sorted({int(r["width"]) for r in sel}))
        vals = [[float(r[metric]) for r in sel if int(r["width"]) == w] for w in widths]
        out[key] = (widths, np.array([np.mean(v) for v in vals]), np.array([np.std(v) for v in vals]),
                    min(len(v) for v in vals))
    return out


def plot_width_sweep(rows, *, metric: str = "test_error", ax=None, base_width=None, percent: bool = True):
    r"""Error of dense, pruned and pruned-then-retrained networks against the width of the trained model.

    Every pruned model keeps exactly as many prunable weights as the dense model of width
    ``base_width`` (drawn as a horizontal dashed line at its error).  Solid lines: retrained after
    pruning; dotted: pruned without retraining; black: the dense model of each width.  Error bars
    are the standard deviation over seeds when there are several.  The x axis is logarithmic.
    """
    ax = _axes(ax)
    summary = width_sweep_summary(rows, metric)
    scale = 100.0 if percent else 1.0
    for (strategy, retrain), (w, mean, std, n) in summary.items():
        color = STRATEGY_COLORS.get(strategy, "#555555")
        if strategy == "dense":
            label, style = _LABELS["dense"], "-"
        else:
            label = f"{_LABELS.get(strategy, strategy)}, " + ("retrained" if retrain else "not retrained")
            style = "-" if retrain else ":"
        ax.errorbar(w, scale * mean, yerr=scale * std if n > 1 else None, fmt=style, marker="o", color=color,
                    label=label, capsize=3, markerfacecolor="white" if not retrain and strategy != "dense" else color)
    if base_width is not None and ("dense", False) in summary:
        w, mean, _, _ = summary[("dense", False)]
        if int(base_width) in w:
            ax.axhline(scale * mean[list(w).index(int(base_width))], color="0.3", linestyle="--", linewidth=1,
                       label=f"small model (width {base_width}) trained directly")
    ax.set_xscale("log", base=2)
    ax.set_xlabel("width of the trained model (pruned models keep the small model's weight count)")
    what = metric.replace("_", " ")
    ax.set_ylabel(f"{what} (%)" if percent else what)
    ax.legend()
    return ax


def plot_imp(result, *, ax=None, percent: bool = True):
    r"""Test error against the fraction of weights kept, for IMP tickets and their random re-initialization.

    ``result`` is an :class:`~pruning_lab.nn.imp.IMPResult`; round 0 is the dense network.  The x axis
    is logarithmic and decreasing (pruning proceeds to the right).
    """
    ax = _axes(ax)
    scale = 100.0 if percent else 1.0
    kept = np.asarray(result.kept_fraction)
    k = int(dict(result.config).get("rewind_epoch", 0))
    where = "initialization" if k == 0 else f"epoch {k}"
    ax.plot(kept, scale * np.asarray(result.test_error), "o-", color=STRATEGY_COLORS["global"],
            label=f"IMP ticket (rewound to {where})")
    reinit = None if result.reinit_test_error is None else np.asarray(result.reinit_test_error, dtype=float)
    if reinit is not None and np.isfinite(reinit).any():
        ax.plot(kept[1:], scale * reinit[1:], "s--", color=STRATEGY_COLORS["random"],
                label="same masks, random re-initialization")
    ax.axhline(scale * float(result.test_error[0]), color="0.3", linestyle=":", linewidth=1, label="dense network")
    ax.set_xscale("log")
    ax.invert_xaxis()
    ax.set_xlabel("fraction of weights kept")
    ax.set_ylabel("test error (%)" if percent else "test error")
    ax.legend()
    return ax
