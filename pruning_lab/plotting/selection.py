r"""Figures and tables of data and feature selection (:mod:`pruning_lab.selection`).

:func:`plot_selection_curve` draws any curve with ``methods``, ``sizes``, ``mean`` and ``se``
(the regression curve of :func:`~pruning_lab.selection.experiments.regression_selection_curve`
and the image-classification curve of the data-selection experiment); :func:`curve_table` prints
it; :func:`plot_loss_curves` and :func:`plot_sparse_tradeoff` draw the logistic experiments of
:mod:`pruning_lab.selection.logistic_experiments`; :func:`plot_block_masks` draws block masks side
by side (the static figure of :func:`~pruning_lab.widgets.selection.block_selection_panel`).

Used in the chapter :doc:`/book/beyond_weights`.
"""

from __future__ import annotations

import numpy as np

from .style import axes_or_new

__all__ = [
    "SELECTION_COLORS",
    "SELECTION_LABELS",
    "curve_table",
    "plot_block_masks",
    "plot_loss_curves",
    "plot_selection_curve",
    "plot_sparse_tradeoff",
]

#: One color per selection method or step rule.
SELECTION_COLORS = {
    "uniform": "#7f7f7f",
    "leverage": "#1f77b4",
    "ds2": "#d62728",
    "ds2_medoids": "#ff7f0e",
    "loss": "#d62728",
    "gradient": "#2ca02c",
    "constant": "#7f7f7f",
    "normalized": "#1f77b4",
}

#: Legend labels of the methods and step rules.
SELECTION_LABELS = {
    "uniform": "uniform",
    "leverage": "leverage scores",
    "ds2": "DS-2 (distances only)",
    "ds2_medoids": "DS-2 + medoids",
    "loss": "loss-based DS-1",
    "gradient": "gradient-based DS-1",
}

_RULE_LABELS = {"constant": "constant step", "normalized": "normalized GD", "loss": "loss-normalized step"}


def _curve_parts(curve):
    try:
        methods, sizes = tuple(curve.methods), np.asarray(curve.sizes)
        mean, se = np.asarray(curve.mean, dtype=float), np.asarray(curve.se, dtype=float)
    except AttributeError as err:
        raise TypeError(f"curve must have methods, sizes, mean and se, got {type(curve).__name__}: {err}") from None
    if mean.shape != (len(methods), len(sizes)) or se.shape != mean.shape:
        raise ValueError(f"curve.mean and curve.se must have shape {(len(methods), len(sizes))}, got {mean.shape}")
    return methods, sizes, mean, se


def plot_selection_curve(curve, *, ylabel: str, scale: float = 1.0, log: bool = True, ax=None):
    """Mean ± standard error of a per-method metric against sample size, one line per method.

    Parameters
    ----------
    curve : object
        With ``methods`` (names), ``sizes``, and ``mean``, ``se`` of shape (methods, sizes).
    ylabel : str
        The y label.
    scale : float
        Multiplies ``mean`` and ``se`` (e.g. 100 for percentages).
    log : bool
        Log scale on both axes.
    ax : matplotlib Axes, optional

    Returns
    -------
    matplotlib Axes
    """
    methods, sizes, mean, se = _curve_parts(curve)
    ax = axes_or_new(ax)
    for i, m in enumerate(methods):
        ax.errorbar(
            sizes,
            scale * mean[i],
            yerr=scale * se[i],
            marker="o",
            ms=4,
            capsize=2,
            color=SELECTION_COLORS.get(m),
            label=SELECTION_LABELS.get(m, m),
        )
    if log:
        ax.set_xscale("log")
        ax.set_yscale("log")
    ax.set_xlabel("examples selected")
    ax.set_ylabel(ylabel)
    ax.legend(fontsize="small")
    return ax


def curve_table(curve, *, scale: float = 1.0, digits: int = 3) -> str:
    """The curve as text: one row per size, ``mean ± se`` per method (after ``scale``)."""
    methods, sizes, mean, se = _curve_parts(curve)
    labels = [SELECTION_LABELS.get(m, m) for m in methods]
    width = max(len(f"{scale * mean.max():.{digits}f} ± {scale * se.max():.{digits}f}"), *map(len, labels)) + 2
    lines = ["size".rjust(6) + "".join(label.rjust(width) for label in labels)]
    for j, s in enumerate(sizes):
        cells = [f"{scale * mean[i, j]:.{digits}f} ± {scale * se[i, j]:.{digits}f}" for i in range(len(methods))]
        lines.append(str(int(s)).rjust(6) + "".join(c.rjust(width) for c in cells))
    return "\n".join(lines)


def plot_loss_curves(curves, *, ax=None):
    r"""Median :math:`\log_{10}` loss against iterations per step rule, with the interquartile band over draws.

    A rule that appears again with another :math:`\eta_0` is drawn dashed in the same color.

    ``curves`` is a :class:`~pruning_lab.selection.logistic_experiments.LogisticCurves`.
    """
    ax = axes_or_new(ax)
    t = np.arange(curves.log10_loss.shape[-1])
    seen = set()
    for (step, eta0), logs in zip(curves.rules, curves.log10_loss):
        q1, med, q3 = np.percentile(logs, [25, 50, 75], axis=0)
        label = f"{_RULE_LABELS.get(step, step)}, η₀={eta0:g}"
        style = "--" if step in seen else "-"  # a second η₀ of the same rule: dashed
        seen.add(step)
        line = ax.plot(t, med, color=SELECTION_COLORS.get(step), ls=style, label=label)[0]
        ax.fill_between(t, q1, q3, color=line.get_color(), alpha=0.2, lw=0)
    ax.set_xlabel("iteration t")
    ax.set_ylabel(r"$\log_{10} f(x_t)$ (training log loss)")
    ax.legend(fontsize="small")
    return ax


def plot_sparse_tradeoff(tradeoff, *, ax=None):
    r"""Mean :math:`\log_{10}` final loss ± s.e. against sparsity, per method (line style) and step rule (color).

    ``tradeoff`` is a :class:`~pruning_lab.selection.logistic_experiments.SparseTradeoff`.
    """
    ax = axes_or_new(ax)
    mean, se = tradeoff.mean_se()
    for a, method in enumerate(tradeoff.methods):
        for r, (step, eta0) in enumerate(tradeoff.rules):
            ax.errorbar(
                tradeoff.ks,
                mean[a, r],
                yerr=se[a, r],
                marker="o" if method == "omp" else "s",
                ls="-" if method == "omp" else "--",
                ms=4,
                capsize=2,
                color=SELECTION_COLORS.get(step),
                label=f"{method.upper()}, {_RULE_LABELS.get(step, step)}, η₀={eta0:g}",
            )
    ax.set_xlabel("sparsity k (nonzero weights)")
    ax.set_ylabel(r"$\log_{10}$ final training loss")
    ax.legend(fontsize="small")
    return ax


def plot_block_masks(masks: dict, *, axes=None):
    """Boolean block masks side by side, one titled image per entry of ``masks`` (title → mask).

    Returns
    -------
    list of matplotlib Axes
    """
    if not masks:
        raise ValueError("masks must hold at least one mask")
    if axes is None:
        import matplotlib.pyplot as plt

        first = np.asarray(next(iter(masks.values())))
        _, axes = plt.subplots(len(masks), 1, figsize=(7.0, 1.0 + 0.35 * first.shape[0] * len(masks)), squeeze=False)
        axes = axes.ravel()
    if len(axes) != len(masks):
        raise ValueError(f"axes must hold one Axes per mask ({len(masks)}), got {len(axes)}")
    for ax, (title, mask) in zip(axes, masks.items()):
        ax.imshow(np.asarray(mask, dtype=float), cmap="Greys", vmin=0, vmax=1, interpolation="nearest")
        ax.set_title(title, fontsize="small")
        ax.set_xticks([])
        ax.set_yticks([])
    return list(axes)
