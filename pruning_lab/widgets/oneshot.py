"""The panel of the chapter :doc:`/book/oneshot_pruning`: one-shot pruning of the MNIST MLP, live.

:func:`oneshot_figure` prunes a trained LeNet-300-100 one-shot (no retraining) with
magnitude, Wanda and SparseGPT-style OBS at one sparsity or N:M pattern, from a
calibration set of a given size, and draws the test accuracies; :func:`oneshot_panel`
puts a sparsity slider, a pattern menu and a calibration-size slider around it.  The dense
model is trained once per session (seed 0, the recipe of
:class:`pruning_lab.nn.oneshot.experiments.MLPOneShotExperiment`) and kept.  Mirrors
:mod:`pruning_lab.plotting.oneshot`.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np

from ..plotting.style import STRATEGY_LABELS, axes_or_new, strategy_color
from ..validation import check_int
from .panel import controls_panel

__all__ = ["PANEL_CALIBRATION_SIZES", "PANEL_PATTERNS", "oneshot_figure", "oneshot_panel"]

#: Patterns offered by the panel's menu.
PANEL_PATTERNS = ("unstructured", "2:4", "4:8")
#: Calibration-set sizes offered by the panel's slider.
PANEL_CALIBRATION_SIZES = (16, 64, 256, 1024, 4000)
_STRATEGIES = ("magnitude", "wanda", "sparsegpt")
_DENSE: dict = {}


def _dense_model(seed: int):
    """The trained dense LeNet-300-100 of ``seed`` and the data, trained once per session."""
    if seed not in _DENSE:
        from ..data import load_mnist
        from ..nn.oneshot.experiments import MLPOneShotExperiment, train_dense

        data = load_mnist()
        _DENSE[seed] = (train_dense(data, MLPOneShotExperiment().recipe, seed), data)
    return _DENSE[seed]


def oneshot_figure(
    sparsity: float = 0.9,
    pattern: str = "unstructured",
    n_calibration: int = 1024,
    *,
    seed: int = 0,
    model=None,
    data=None,
    ax=None,
) -> dict:
    """Test accuracy of the MLP pruned one-shot by each strategy; returns ``{strategy: accuracy}``.

    Parameters
    ----------
    sparsity : float
        Fraction of every layer removed (used when ``pattern`` is ``"unstructured"``).
    pattern : str
        ``"unstructured"``, ``"2:4"`` or ``"4:8"`` (N:M on the layers whose inputs split into
        groups of ``m``; see :mod:`pruning_lab.nn.oneshot.experiments`).
    n_calibration : int
        Training images in the calibration set (drawn with ``seed``).
    seed : int
        Seed of the dense model (when ``model`` is not given) and of the calibration draw.
    model : torch.nn.Module, optional
        A trained classifier to prune (copied); default: LeNet-300-100 trained on MNIST.
    data : pruning_lab.data.Dataset, optional
        Its data (required with ``model``).
    ax : matplotlib Axes, optional
    """
    from ..nn.oneshot.experiments import _prune, calibration_set
    from ..nn.train import accuracy

    if pattern not in PANEL_PATTERNS:
        raise ValueError(f"pattern must be one of {', '.join(PANEL_PATTERNS)}, got {pattern!r}")
    seed = check_int(seed, "seed", 0)
    if model is None:
        model, data = _dense_model(seed)
    elif data is None:
        raise ValueError("data is required when a model is given")
    setting = f"{round(100 * float(sparsity))}%" if pattern == "unstructured" else pattern
    X_cal = calibration_set(data.X_train, n_calibration, seed)
    dense_acc = accuracy(model, data.X_test, data.y_test)
    acc = {}
    for strategy in _STRATEGIES:
        pruned, _, _ = _prune(model, strategy, setting, X_cal)
        acc[strategy] = accuracy(pruned, data.X_test, data.y_test)
    ax = axes_or_new(ax)
    x = np.arange(len(_STRATEGIES))
    ax.bar(x, [100 * acc[m] for m in _STRATEGIES], color=[strategy_color(m) for m in _STRATEGIES])
    ax.axhline(100 * dense_acc, color=strategy_color("dense"), ls="--", lw=1, label="dense")
    for xi, m in zip(x, _STRATEGIES, strict=True):
        ax.text(xi, 100 * acc[m] + 0.5, f"{100 * acc[m]:.1f}", ha="center", va="bottom", fontsize="small")
    ax.set_xticks(x, [STRATEGY_LABELS[m] for m in _STRATEGIES], fontsize="small")
    ax.set_ylim(0, 100)
    ax.set_ylabel("test accuracy (%), no retraining")
    ax.set_title(f"{setting}, {n_calibration} calibration images", fontsize="medium")
    ax.legend(loc="lower left", fontsize="small")
    return acc


def oneshot_panel(sparsity: float = 0.9, pattern: str = "unstructured", n_calibration: int = 1024, **kwargs):
    """A sparsity slider, a pattern menu and a calibration-size slider around :func:`oneshot_figure`.

    ``kwargs`` go to :func:`oneshot_figure`.  The first draw trains the dense model (a few
    seconds); each move prunes it again (about a second).

    Returns
    -------
    ipywidgets.VBox
    """
    if pattern not in PANEL_PATTERNS:
        raise ValueError(f"pattern must be one of {', '.join(PANEL_PATTERNS)}, got {pattern!r}")
    if n_calibration not in PANEL_CALIBRATION_SIZES:
        raise ValueError(f"n_calibration must be one of {PANEL_CALIBRATION_SIZES}, got {n_calibration!r}")
    if not 0.5 <= float(sparsity) <= 0.95:
        raise ValueError(f"sparsity must lie in [0.5, 0.95] for the panel's slider, got {sparsity!r}")
    import ipywidgets as widgets

    controls = {
        "sparsity": widgets.FloatSlider(
            value=sparsity, min=0.5, max=0.95, step=0.05, description="sparsity", continuous_update=False
        ),
        "pattern": widgets.Dropdown(options=list(PANEL_PATTERNS), value=pattern, description="pattern"),
        "n_calibration": widgets.SelectionSlider(
            options=list(PANEL_CALIBRATION_SIZES),
            value=n_calibration,
            description="calibration",
            continuous_update=False,
        ),
    }

    def draw(sparsity, pattern, n_calibration):
        fig, ax = plt.subplots(figsize=(7.0, 4.0))
        oneshot_figure(sparsity, pattern, n_calibration, ax=ax, **kwargs)
        fig.tight_layout()

    return controls_panel(draw, controls)
