r"""Interactive panels of the network chapters: train wide, prune, retrain; explore a finished width sweep.

:func:`mnist_pruning_figure` trains one two-layer ReLU network :math:`784\to h\to10`
on the MNIST subset of :func:`pruning_lab.data.load_mnist`, prunes it to the
weight count of a small network, with and without retraining, and draws the test
errors; :func:`mnist_pruning_panel` puts sliders over the width :math:`h` and
the kept fraction around it.  The experiment is one point of the width sweep of
Chang, Li, Oymak & Thrampoulidis (2021, Fig. 6), with our training recipe (a
:class:`pruning_lab.nn.train.TrainingRecipe`, as in :mod:`pruning_lab.nn.sweeps`).
:func:`width_sweep_panel` redraws a finished width sweep (no training).  Mirrors
:mod:`pruning_lab.plotting.networks`; used in the chapters :doc:`/book/pruning_mnist` and
:doc:`/book/resnet_cifar`.
"""

from __future__ import annotations

import copy
import math
import numbers

import matplotlib.pyplot as plt
import numpy as np

from ..plotting.networks import plot_width_sweep, width_sweep_summary
from ..plotting.style import STRATEGY_COLORS, axes_or_new
from ..validation import check_int
from .panel import controls_panel

__all__ = [
    "METRICS",
    "PANEL_RECIPE",
    "PANEL_STRATEGIES",
    "PANEL_WIDTHS",
    "mnist_pruning_figure",
    "mnist_pruning_panel",
    "width_sweep_figure",
    "width_sweep_panel",
]

#: Pruning strategies the panel can compare (those of :func:`pruning_lab.nn.masks.strategy_masks`).
PANEL_STRATEGIES = ("global", "layerwise", "random")
#: Widths offered by the panel's slider.
PANEL_WIDTHS = (16, 32, 64, 128, 256)


def _check_fraction(value):
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not math.isfinite(value) or not 0 < value <= 1:
        raise ValueError(f"keep_fraction must be a number in (0, 1] (fraction of the weights kept), got {value!r}")
    return float(value)


#: The panel's default training recipe (the fields of :class:`pruning_lab.nn.train.TrainingRecipe`).
PANEL_RECIPE = dict(epochs=10, lr=0.05, batch_size=128, momentum=0.9, lr_schedule="cosine", seed=0)


def _check_strategies(strategies):
    if isinstance(strategies, str) or not hasattr(strategies, "__iter__"):
        raise ValueError(f"strategies must be a list of names among {', '.join(PANEL_STRATEGIES)}, got {strategies!r}")
    strategies = tuple(strategies)
    bad = [s for s in strategies if s not in PANEL_STRATEGIES]
    if not strategies or bad or len(set(strategies)) != len(strategies):
        raise ValueError(
            f"strategies must be a non-empty list without repeats of {', '.join(PANEL_STRATEGIES)}, "
            f"got {list(strategies)}"
        )
    return strategies


def _check_digits(data):
    if data is None:
        from ..data import load_mnist

        data = load_mnist()
    for attr in ("X_train", "y_train", "X_test", "y_test"):
        if not hasattr(data, attr):
            raise ValueError(
                f"data must be a pruning_lab.data.Dataset (X_train, y_train, X_test, y_test); it has no {attr}"
            )
    if np.ndim(data.X_train) != 2 or np.shape(data.X_train)[1] != 784:
        raise ValueError(f"data must hold flat 784-pixel MNIST digits, got X_train of shape {np.shape(data.X_train)}")
    return data


def mnist_pruning_figure(
    width: int = 128,
    keep_fraction: float = 0.1,
    *,
    recipe=None,
    retrain_epochs: int = 5,
    strategies=("global", "random"),
    data=None,
    ax=None,
) -> dict:
    r"""Test errors of a width-:math:`h` network on MNIST: dense, pruned, pruned and retrained, small.

    The train → prune → retrain protocol of Chang, Li, Oymak & Thrampoulidis (2021, section 3.3
    and Fig. 6) for one width :math:`h` = ``width``:

    1. the two-layer ReLU network :math:`784\to h\to10` (``build_model("fc2", h)``, seed
       ``recipe.seed``), with :math:`N_h = 794h` prunable weights
       (:func:`pruning_lab.nn.models.mlp_weight_count`), is trained by ``recipe``
       (:func:`pruning_lab.nn.train.train_classifier`; by default 10 epochs of SGD with
       momentum 0.9, cosine schedule from lr 0.05, minibatches of 128);
    2. it is pruned to the weight count :math:`s = 794h_0` of the *small* network of width
       :math:`h_0=\max(1,\mathrm{round}(fh))`, :math:`f` = ``keep_fraction`` (so exactly the
       fraction :math:`h_0/h` is kept), by each pruning strategy of
       :func:`pruning_lab.nn.masks.strategy_masks` with ``keep=s`` (``"global"``: one magnitude
       threshold over both layers; ``"layerwise"``: the same fraction in each layer; ``"random"``:
       uniformly random positions, seeded with ``recipe.seed``);
    3. each pruned network is retrained by ``recipe.replace(epochs=retrain_epochs)`` with its
       masks in force, starting from the pruned trained weights;
    4. for comparison the small network of width :math:`h_0` is trained directly by ``recipe``
       (seed ``recipe.seed``) and then ``retrain_epochs`` more epochs without a mask, so that it
       has had the same training budget as the pruned and retrained networks.

    The bars are the test errors (in %) on the 1,000 test digits of one seed; the chapter's
    three-seed width sweep says how much such a bar varies from seed to seed.  Used by the chapter
    :doc:`/book/pruning_mnist`; about 3 s on one CPU core at the defaults.

    Parameters
    ----------
    width : int
        Width :math:`h` of the trained network.
    keep_fraction : float
        :math:`f\in(0, 1]`, the fraction of the prunable weights kept (rounded to :math:`h_0/h`).
    recipe : pruning_lab.nn.train.TrainingRecipe, optional
        Training recipe of the dense and the small network (``epochs >= 1``); its seed also seeds
        the initialisations and the random masks.  Default: ``TrainingRecipe(**PANEL_RECIPE)``.
    retrain_epochs : int
        Epochs of retraining (``>= 1``), by the same recipe otherwise.
    strategies : tuple of str
        Pruning strategies compared, among ``PANEL_STRATEGIES``.
    data : pruning_lab.data.Dataset, optional
        Flat 784-pixel digits (default: :func:`pruning_lab.data.load_mnist`).
    ax : matplotlib.axes.Axes, optional
        Where to draw (default: a new figure).

    Returns
    -------
    dict
        ``width``, ``small_width`` (:math:`h_0`), ``total`` (:math:`N_h`), ``kept`` (:math:`s`),
        ``dense`` and ``small`` (test errors of the dense and of the small network), and per
        strategy ``"<strategy> pruned"`` and ``"<strategy> retrained"`` (test errors; fractions,
        not percent).
    """
    from ..nn.masks import strategy_masks
    from ..nn.models import build_model, count_parameters, mlp_weight_count
    from ..nn.train import TrainingRecipe, evaluate, train_classifier, zero_pruned_weights

    width = check_int(width, "width")
    keep_fraction = _check_fraction(keep_fraction)
    recipe = TrainingRecipe(**PANEL_RECIPE) if recipe is None else recipe
    if not isinstance(recipe, TrainingRecipe):
        raise ValueError(f"recipe must be a pruning_lab.nn.train.TrainingRecipe or None, got {type(recipe).__name__}")
    check_int(recipe.epochs, "recipe.epochs", 1)
    retrain = recipe.replace(epochs=check_int(retrain_epochs, "retrain_epochs"))
    strategies = _check_strategies(strategies)
    data = _check_digits(data)
    X, y, Xt, yt = data.X_train, data.y_train, data.X_test, data.y_test
    small_width = max(1, round(keep_fraction * width))
    keep = mlp_weight_count([784, small_width, 10])

    def error(model):
        return evaluate(model, Xt, yt)["error"]

    dense = build_model("fc2", width, seed=recipe.seed)
    train_classifier(dense, X, y, recipe)
    total = count_parameters(dense, prunable_only=True)
    small = build_model("fc2", small_width, seed=recipe.seed)
    train_classifier(small, X, y, recipe)
    train_classifier(small, X, y, retrain)  # budget-matched: as many epochs as a pruned and retrained network
    out = {
        "width": width,
        "small_width": small_width,
        "total": total,
        "kept": keep,
        "dense": error(dense),
        "small": error(small),
    }
    for strategy in strategies:
        masks = strategy_masks(dense, strategy, keep=keep, seed=recipe.seed)
        pruned = zero_pruned_weights(copy.deepcopy(dense), masks)
        out[f"{strategy} pruned"] = error(pruned)
        train_classifier(pruned, X, y, retrain, masks=masks)
        out[f"{strategy} retrained"] = error(pruned)

    ax = axes_or_new(ax)
    labels = ["dense", f"small, width {small_width}\n(budget-matched)"]
    heights = [out["dense"], out["small"]]
    colors = [STRATEGY_COLORS["dense"], STRATEGY_COLORS["small"]]
    for strategy in strategies:
        labels += [f"{strategy}\npruned", f"{strategy}\nretrained"]
        heights += [out[f"{strategy} pruned"], out[f"{strategy} retrained"]]
        colors += [STRATEGY_COLORS[strategy]] * 2
    bars = ax.bar(np.arange(len(heights)), 100 * np.asarray(heights), color=colors)
    for bar in bars[2::2]:  # pruned without retraining: hatched
        bar.set_hatch("//")
        bar.set_alpha(0.6)
    ax.bar_label(bars, fmt="%.1f", fontsize=8)
    ax.set_xticks(np.arange(len(heights)), labels, fontsize=8)
    ax.set_ylabel("test error (%)")
    ax.set_title(f"width {width} pruned to {keep:,} of {total:,} weights ({keep / total:.1%} kept)")
    return out


def mnist_pruning_panel(width: int = 128, keep_fraction: float = 0.1, **kwargs):
    """Sliders over the width :math:`h` and the kept fraction :math:`f`, redrawing :func:`mnist_pruning_figure`.

    The width slider offers ``PANEL_WIDTHS``, the fraction slider :math:`f\\in[0.01, 1]` on a
    log scale; ``kwargs`` go to :func:`mnist_pruning_figure`.  Each move retrains the networks
    (a few seconds).

    Returns
    -------
    ipywidgets.VBox
        The two sliders (in an ``HBox``) above the figure.
    """
    width = check_int(width, "width")
    if width not in PANEL_WIDTHS:
        raise ValueError(f"width must be one of the panel's widths {PANEL_WIDTHS}, got {width}")
    keep_fraction = _check_fraction(keep_fraction)
    if keep_fraction < 0.01:
        raise ValueError(f"keep_fraction must be at least 0.01 for the panel's slider, got {keep_fraction}")
    import ipywidgets as widgets  # after the checks: a bad value is reported even without ipywidgets

    width_slider = widgets.SelectionSlider(
        options=list(PANEL_WIDTHS), value=width, description="width h", continuous_update=False
    )
    keep_slider = widgets.FloatLogSlider(
        value=keep_fraction, base=10, min=-2, max=0, step=0.1, description="kept fraction", continuous_update=False
    )

    def draw(width, keep_fraction):
        fig, ax = plt.subplots(figsize=(7.0, 4.0))
        mnist_pruning_figure(width, keep_fraction, ax=ax, **kwargs)
        fig.tight_layout()

    return controls_panel(draw, {"width": width_slider, "keep_fraction": keep_slider})


# ------------------------------------------------ a finished width sweep (both network chapters)
#: The quantities of a width-sweep record that the panel can show.
METRICS = ("test_error", "train_error", "test_loss", "train_loss")


def width_sweep_figure(
    rows, metric: str = "test_error", strategies=None, *, retrained: str = "both", base_width=None, ax=None
):
    r"""One metric of a finished width sweep against the width, for a chosen set of pruning strategies.

    Each curve is the mean over seeds of ``metric`` per width (in percent for errors), as
    computed by :func:`~pruning_lab.plotting.networks.width_sweep_summary` and drawn by
    :func:`~pruning_lab.plotting.networks.plot_width_sweep`.  Used in the chapter
    :doc:`/book/resnet_cifar`.

    Parameters
    ----------
    rows : list of dict
        The records of :func:`pruning_lab.nn.sweeps.run_width_sweep` (or of a
        :class:`~pruning_lab.runs.RunStore` filled by the command line).
    metric : str
        One of ``METRICS``.
    strategies : sequence of str, optional
        A subset of the strategies present (default: all).
    retrained : str
        ``"both"``, ``"yes"`` or ``"no"``: which pruned curves to show (the dense curve is always drawn).
    base_width : int, optional
        Width of the base model, drawn as the small model's line.
    ax : matplotlib.axes.Axes, optional
        Where to draw (default: a new figure).

    Returns
    -------
    dict
        ``{(strategy, retrained): values}`` of the curves drawn.
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
    chosen = [
        r for r in rows if r["strategy"] == "dense" or (r["strategy"] in strategies and bool(r["retrain"]) in keep)
    ]
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

    def draw(metric, strategies, retrained):
        width_sweep_figure(rows, metric, ["dense", *strategies], retrained=retrained, **kwargs)

    return controls_panel(draw, {"metric": metric_box, "strategies": strategy_box, "retrained": retrain_box})
