"""Figures of the linear-model chapters: :doc:`/book/pruning_strategies`, :doc:`/book/predicting_pruning`,
:doc:`/book/random_features`."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.patches import Patch

from .style import STRATEGY_LABELS, axes_or_new, log_scale, strategy_color

__all__ = [
    "plot_correlated_sweep",
    "plot_dc_histogram",
    "plot_dense_risk_curve",
    "plot_mask_sweep",
    "plot_pruned_against_small",
    "plot_random_features_curve",
    "plot_regime_map",
    "plot_retraining_curves",
    "plot_retraining_gap",
    "plot_risk_vs_sparsity",
    "plot_sparse_double_descent",
    "plot_strategy_bars",
    "plot_threshold_sweep",
]


def plot_risk_vs_sparsity(
    comparison, *, retrained: bool = False, ax=None, strategies=None, baselines=True, theory=None, legend=True
):
    r"""Test risk against the number of kept weights, one line per strategy (mean ± s.e.m.).

    The risk is :math:`\mathcal L(b)=\sigma^2+(b-\beta)^\top\Sigma(b-\beta)`, averaged over the
    trials of the comparison.  Used in the chapter :doc:`/book/pruning_strategies`.

    Parameters
    ----------
    comparison : pruning_lab.pipeline.StrategyComparison
        The simulated risks.
    retrained : bool
        Draw the strategies after retraining on the same data (``False``: pruned only).
    ax : matplotlib.axes.Axes, optional
        Axes to draw on (default: a new figure).
    strategies : sequence of str, optional
        The strategies to draw (default: all of the comparison's).
    baselines : bool or sequence of str
        ``True`` draws the small model trained on the oracle features (least squares, dashed; with
        a ridge penalty, dash-dotted, if recorded) and the dense model (min-norm and, if recorded,
        ridge; dotted); ``False`` none; or a sequence of baseline names.
    theory : dict, optional
        Maps a small-model baseline (``"small"``, ``"small_ridge"``) to its predicted risk at each
        sparsity: it is drawn as a line and the simulation as open markers with error bars.
    legend : bool or dict
        Draw the legend (entries in drawing order: strategies, small models, dense models); a dict
        is passed on to ``matplotlib.axes.Axes.legend`` (e.g. ``loc`` and ``bbox_to_anchor``).
    """
    ax = axes_or_new(ax)
    s = comparison.sparsities
    theory = dict(theory or {})
    for name in theory:
        if name not in ("small", "small_ridge", "small_loo"):
            raise ValueError(f"theory can be drawn for the small models only, got {name!r}")
    if baselines is True:
        baselines = [b for b in ("small", "small_ridge", "dense", "dense_ridge") if comparison.has(b)]
    baselines = list(baselines or [])
    handles = []
    for name in list(strategies or comparison.strategies) + [b for b in baselines if b.startswith("small")]:
        mean, err = comparison.mean(name, retrained), comparison.sem(name, retrained)
        color, style, label = _line_style(name)
        if name in theory:
            handles += ax.plot(s, theory[name], style, color=color, label=f"{label}, theory")
            simulated = f"{label}, simulated"
            handles.append(
                ax.errorbar(s, mean, yerr=err, fmt="o", mfc="white", capsize=2, color=color, label=simulated)
            )
        else:
            handles.append(
                ax.errorbar(s, mean, yerr=err, marker="o", capsize=2, color=color, label=label, linestyle=style)
            )
    for name in (b for b in baselines if b.startswith("dense")):
        color, style, label = _line_style(name)
        handles.append(ax.axhline(comparison.mean(name)[0], color=color, linestyle=style, label=label))
    ax.set_xlabel("kept weights $s$")
    ax.set_ylabel(r"test risk $\mathcal{L}$")
    log_scale(ax, "y")
    ax.set_title(
        ("pruned + retrained" if retrained else "pruned, not retrained") + f"  (n={comparison.n}, p={comparison.p})"
    )
    if legend:
        ax.legend(handles=handles, **(legend if isinstance(legend, dict) else {}))
    return ax


def plot_strategy_bars(comparison, index: int = 0, *, ax=None):
    r"""Bar chart of the risk of each strategy at one sparsity, without and with retraining.

    Horizontal lines: the small model on the oracle features (least squares and, if recorded, with
    a ridge penalty) and the dense model (min-norm and, if recorded, ridge), from the same
    :class:`~pruning_lab.pipeline.StrategyComparison`.  Used in the chapter
    :doc:`/book/pruning_strategies` (the panel's figure).
    """
    ax = axes_or_new(ax)
    names = list(comparison.strategies)
    x = np.arange(len(names))
    width = 0.38
    for offset, retrained, hatch in ((-width / 2, False, None), (width / 2, True, "//")):
        means = [comparison.mean(n, retrained)[index] for n in names]
        errs = [comparison.sem(n, retrained)[index] for n in names]
        ax.bar(
            x + offset,
            means,
            width,
            yerr=errs,
            capsize=2,
            hatch=hatch,
            color=[strategy_color(n) for n in names],
            edgecolor="black",
            linewidth=0.5,
            label="retrained" if retrained else "pruned only",
        )
    for name in ("small", "small_ridge", "dense", "dense_ridge"):
        if comparison.has(name):
            color, style, label = _line_style(name)
            ax.axhline(comparison.mean(name)[index], color=color, linestyle=style, label=label)
    ax.set_xticks(x, [STRATEGY_LABELS[n] for n in names], rotation=20, ha="right")
    ax.set_ylabel(r"test risk $\mathcal{L}$")
    log_scale(ax, "y")
    ax.set_title(f"s = {comparison.sparsities[index]} of p = {comparison.p}, n = {comparison.n}")
    handles, labels = ax.get_legend_handles_labels()
    bars = [
        Patch(facecolor="white", edgecolor="black", hatch=hatch, label=label)
        for hatch, label in ((None, "pruned only"), ("//", "retrained"))
    ]
    ax.legend(handles=[h for h, label in zip(handles, labels) if label not in ("pruned only", "retrained")] + bars)
    ax.figure.tight_layout()
    return ax


def plot_mask_sweep(sweep, *, ax=None):
    """Test accuracy against the fraction of weights removed, per mask family, with and without retraining.

    ``sweep`` is a :class:`~pruning_lab.nn.pipeline.MaskSweepResult`; dashed
    lines are before retraining, solid lines after.
    """
    ax = axes_or_new(ax)
    x = 100 * np.asarray(sweep.sparsities)
    for scope in dict.fromkeys(scope for scope, _ in sweep.accuracy):
        color = strategy_color(scope)
        for retrained, style in ((False, "--"), (True, "-")):
            ax.plot(
                x,
                100 * sweep.accuracy[(scope, retrained)],
                style,
                marker="o",
                color=color,
                label=f"{STRATEGY_LABELS[scope]}, {'retrained' if retrained else 'not retrained'}",
            )
    ax.axhline(100 * sweep.dense_accuracy, color=strategy_color("dense"), linestyle=":", label=STRATEGY_LABELS["dense"])
    ax.set_xlabel("weights removed (%)")
    ax.set_ylabel("test accuracy (%)")
    ax.legend()
    return ax


def plot_sparse_double_descent(
    result,
    *,
    ax=None,
    strategies=("magnitude", "hessian", "oracle"),
    dense=True,
    retrained=False,
    title=None,
    ridge=None,
):
    r"""Risk of the pruned model against the model size p: DC theory as lines, simulation as markers.

    ``result`` is a :class:`~pruning_lab.dc.double_descent.SparseDoubleDescent`.
    Horizontal lines: the small model trained on the ``s`` oracle features, by least squares
    (dashed) and with the tuned ridge penalty (dash-dotted); vertical dotted lines: ``p = s`` and
    the interpolation threshold ``p = n``.  Both axes are logarithmic; the risk is the test risk
    :math:`\mathcal L=\sigma^2+(b-\beta)^\top\Sigma(b-\beta)`.  Used in the chapter
    :doc:`/book/predicting_pruning`.

    Parameters
    ----------
    result : pruning_lab.dc.double_descent.SparseDoubleDescent
        The curves to draw.
    ax : matplotlib.axes.Axes, optional
        Axes to draw on (default: a new figure).
    strategies : sequence of str
        Pruning strategies to draw, keys of ``result.theory`` (``"magnitude"``, ``"hessian"``,
        ``"oracle"``): a solid line each, with markers and standard errors where simulated.
    dense : bool
        Also draw the dense risk (dotted line, and markers where simulated).
    retrained : bool
        Also draw the fresh-sample retraining DC after magnitude pruning (dash-dotted line;
        all NaN, so invisible, unless ``result`` was computed with ``retrain_draws > 0``).
    title : str or None
        Title of the axes (``None``: one giving ``s`` and ``n``).
    ridge : pruning_lab.dc.experiments.RidgeCurves or None
        Also draw the large model trained with a tuned ridge and then pruned (thin dash-dotted
        line, the color of the tuned small model), from :func:`~pruning_lab.dc.experiments.ridge_curves`.

    Returns
    -------
    matplotlib.axes.Axes
        The axes drawn on.
    """
    ax = axes_or_new(ax)
    names = (["dense"] if dense else []) + list(strategies) + (["retrained"] if retrained else [])
    for name in names:
        color = strategy_color("random" if name == "retrained" else name)
        label = "magnitude + retrain on fresh data (DC)" if name == "retrained" else STRATEGY_LABELS[name]
        style = ":" if name == "dense" else ("-." if name == "retrained" else "-")
        ax.plot(result.ps, result.theory[name], style, color=color, label=label)
        if name in result.simulated:
            ax.errorbar(
                result.ps,
                result.simulated[name],
                yerr=result.simulated_sem[name],
                fmt="o",
                color=color,
                capsize=2,
                markersize=4,
            )
    if ridge is not None:
        color, _, _ = _line_style("small_ridge")
        label = f"large model, tuned ridge, {ridge.strategy} pruning (DC)"
        ax.plot(ridge.ps, ridge.pruned, "-.", color=color, linewidth=1.2, label=label)
    for name, value in (("small", result.small_model), ("small_ridge", result.small_model_ridge)):
        if np.isfinite(value):
            color, style, label = _line_style(name)
            ax.axhline(value, color=color, linestyle=style, label=f"{label} (oracle features)")
    ax.axvline(result.n, color="0.6", linestyle=":", linewidth=1)
    ax.axvline(result.s, color="0.8", linestyle=":", linewidth=1)
    log_scale(ax, "both")
    ax.set_xlabel("model size $p$ (features used in training)")
    ax.set_ylabel(r"test risk $\mathcal{L}$")
    ax.set_title(title or f"pruned to s = {result.s}, n = {result.n}: lines DC theory, markers simulation")
    ax.legend()
    return ax


def plot_dc_histogram(weights, mean, std, groups, *, ax=None, bins=60):
    r"""Histogram of standardized trained weights :math:`(\hat\beta_i-m_i)/\tau_i` per group, against N(0, 1).

    ``weights`` has shape (trials, p); ``mean``/``std`` are the DC marginals;
    ``groups`` maps a label to a boolean mask of coordinates.  The DC predicts
    :math:`\hat\beta_i\approx m_i+\tau_ih_i` with :math:`h_i\sim\mathcal N(0,1)`, so each histogram
    (a density) should follow the dashed standard normal.  Used in the chapter
    :doc:`/book/predicting_pruning`.

    Parameters
    ----------
    weights : array_like of shape (trials, p)
        Trained (min-norm) weights of independent training sets, e.g. from
        :func:`pruning_lab.dc.simulate.simulate_min_norm`.
    mean : ndarray of shape (p,)
        DC means :math:`m_i` (:func:`pruning_lab.dc.theory.dc_marginals`).
    std : ndarray of shape (p,)
        DC standard deviations :math:`\tau_i>0`.
    groups : dict
        ``{label: boolean mask of shape (p,)}``; one histogram per group, pooled over the trials and
        the group's coordinates.  Only the first three groups are drawn (one color each).
    ax : matplotlib.axes.Axes, optional
        Axes to draw on (default: a new figure).
    bins : int or sequence of float
        Bins of each histogram, as in ``matplotlib.axes.Axes.hist``.

    Returns
    -------
    matplotlib.axes.Axes
        The axes drawn on.
    """
    ax = axes_or_new(ax)
    z = (np.asarray(weights) - mean) / std
    for (label, mask), color in zip(groups.items(), ("#d62728", "#1f77b4", "#2ca02c")):
        ax.hist(
            z[:, mask].ravel(),
            bins=bins,
            density=True,
            histtype="step",
            color=color,
            linewidth=1.5,
            label=f"{label} (simulated)",
        )
    grid = np.linspace(-4, 4, 200)
    ax.plot(grid, np.exp(-(grid**2) / 2) / np.sqrt(2 * np.pi), "k--", label="DC prediction N(0, 1)")
    ax.set_xlabel(r"standardized weight $(\hat\beta_i - m_i)/\tau_i$")
    ax.set_ylabel("density")
    ax.legend()
    return ax


def plot_dense_risk_curve(curve, *, ax=None):
    """Dense risk against κ = p/n: finite-p DC (line), Hastie et al.'s limit (dashed), simulation (markers)."""
    ax = axes_or_new(ax)
    ax.plot(curve.kappas, curve.dc, "-", color=strategy_color("dense"), label=f"DC, finite p (n = {curve.n})")
    ax.plot(curve.kappas, curve.asymptotic, "--", color=strategy_color("oracle"), label="Hastie et al. limit")
    if np.any(np.isfinite(curve.simulated)):
        ax.errorbar(
            curve.kappas,
            curve.simulated,
            yerr=curve.simulated_sem,
            fmt="o",
            color=strategy_color("dense"),
            capsize=2,
            markersize=4,
            label="simulation",
        )
    ax.axvline(1.0, color="0.6", linestyle=":", linewidth=1)
    log_scale(ax, "both")
    ax.set_xlabel(r"$\kappa = p/n$")
    ax.set_ylabel(r"test risk $\mathcal{L}$ of the min-norm model")
    ax.legend()
    return ax


def plot_threshold_sweep(ts, theory, simulated, *, strategy: str = "magnitude", axes=None):
    """Pruning at an explicit threshold t: expected kept count (left) and risk (right), DC lines vs simulation markers.

    ``theory`` is a list of :class:`pruning_lab.dc.pruning.ThresholdRisk`; ``simulated``
    the dict returned by :func:`pruning_lab.dc.simulate.simulate_threshold_pruning`.
    """
    if axes is None:
        _, axes = plt.subplots(1, 2, figsize=(9.5, 3.6))
    color = strategy_color(strategy)
    axes[0].plot(ts, [r.expected_kept for r in theory], "-", color=color, label="DC")
    axes[0].plot(ts, simulated["kept"], "o", color=color, markersize=4, label="simulation")
    axes[0].set_ylabel(r"kept weights $|\hat\Delta|$")
    axes[1].plot(ts, [r.risk for r in theory], "-", color=color, label="DC")
    axes[1].errorbar(
        ts,
        simulated["risk"],
        yerr=simulated["risk_sem"],
        fmt="o",
        color=color,
        markersize=4,
        capsize=2,
        label="simulation",
    )
    axes[1].set_ylabel(r"test risk $\mathcal{L}$ of the pruned model")
    log_scale(axes[1], "y")
    for ax in axes:
        ax.set_xlabel(f"threshold $t$ ({STRATEGY_LABELS.get(strategy, strategy).lower()} rule)")
        ax.legend()
    return axes


def plot_regime_map(result, *, ax=None, baseline=None):
    r"""Heat map of best pruned risk / small-model risk over s/n (rows) and spike variance (columns), annotated.

    ``result`` is a :class:`pruning_lab.dc.double_descent.RegimeMap`; ``baseline`` names the small
    model in the denominator, ``"ridge"`` (tuned ridge penalty) or ``"ols"`` (least squares), by
    default ``result.baseline``.  Blue cells (ratio < 1): training large then pruning wins; red
    cells: the small model wins.  Each cell shows the ratio and the best model size ``p``.  Used in
    the chapter :doc:`/book/predicting_pruning`.
    """
    ax = axes_or_new(ax)
    baseline = result.baseline if baseline is None else baseline
    ratio = result.ratio_to(baseline)
    small = result.small if baseline == "ols" else result.small_ridge
    log_ratio = np.log2(np.where(np.isfinite(small) & (ratio > 0), ratio, np.nan))
    bound = max(np.nanmax(np.abs(log_ratio)), 0.5) if np.any(np.isfinite(log_ratio)) else 1.0
    image = ax.imshow(log_ratio, cmap="RdBu_r", vmin=-bound, vmax=bound, origin="lower", aspect="auto")
    for i in range(ratio.shape[0]):
        for j in range(ratio.shape[1]):
            finite = np.isfinite(small[i, j])
            text = f"{ratio[i, j]:.2f}\np={result.best_p[i, j]}" if finite else "small model:\ninfinite risk"
            ax.text(j, i, text, ha="center", va="center", fontsize=8)
    ax.set_xticks(range(result.spikes.size), [f"{v:g}" for v in result.spikes])
    ax.set_yticks(range(result.s_ratios.size), [f"{v:g}" for v in result.s_ratios])
    ax.set_xlabel(r"spike variance $\lambda_{\rm spike}$")
    ax.set_ylabel(r"kept weights per sample $s/n$")
    name = "tuned-ridge small model" if baseline == "ridge" else "least-squares small model"
    ax.figure.colorbar(image, ax=ax, label=f"$\\log_2$(best pruned risk / {name})")
    ax.grid(False)
    return ax


def plot_random_features_curve(curve, index: int = 0, *, ax=None, retrained: bool = True, same: bool = True):
    """Random features: risk against the width for sparsity ``curve.ss[index]``; lines ELP + DC, markers simulation.

    Dense (black), pruned (strategy color) and, if asked, retrained on a fresh
    batch (gray line: retraining DC; gray squares: simulation) and on the same
    samples (open orange diamonds).  ``curve`` is a
    :class:`pruning_lab.random_features.curves.RandomFeaturesCurve`.
    """
    ax = axes_or_new(ax)
    ps, s = curve.ps, int(curve.ss[index])
    th, sim, sem = curve.theory, curve.simulated, curve.simulated_sem
    dense, pruned, retr = strategy_color("dense"), strategy_color(curve.strategy), strategy_color("random")
    ax.plot(ps, th["dense"], "-", color=dense, label="dense (ELP + DC)")
    ax.errorbar(ps, sim["dense"], yerr=sem["dense"], fmt="o", color=dense, markersize=4, capsize=2)
    label = STRATEGY_LABELS.get(curve.strategy, curve.strategy)
    ax.plot(ps, th["pruned"][index], "-", color=pruned, label=f"{label} pruned to s = {s}")
    ax.errorbar(ps, sim["pruned"][index], yerr=sem["pruned"][index], fmt="o", color=pruned, markersize=4, capsize=2)
    if retrained:
        ax.plot(ps, th["retrained"][index], "--", color=retr, label="+ retrained, fresh batch (DC)")
        ax.errorbar(
            ps,
            sim["fresh"][index],
            yerr=sem["fresh"][index],
            fmt="s",
            color=retr,
            markersize=4,
            capsize=2,
            label="+ retrained, fresh batch (sim.)",
        )
    if same:
        ax.errorbar(
            ps,
            sim["same"][index],
            yerr=sem["same"][index],
            fmt="D",
            mfc="white",
            color=strategy_color("small"),
            markersize=5,
            capsize=2,
            label="+ retrained, same samples (sim.)",
        )
    ax.axvline(curve.n, color="0.6", linestyle=":", linewidth=1)
    ax.axvline(s, color="0.8", linestyle=":", linewidth=1)
    log_scale(ax, "both")
    ax.set_xlabel(f"number of random features $p$ (n = {curve.n}, d = {curve.d})")
    ax.set_ylabel(r"test risk $\mathcal{L}$")
    ax.legend(fontsize=8)
    return ax


def plot_retraining_gap(curve, index: int = 0, *, ax=None):
    """Same-sample against fresh-batch retraining for sparsity ``curve.ss[index]``: both against the retraining DC.

    Left axis: the ratio of each simulated retrained risk to the DC prediction
    (1 = predicted exactly), with standard errors.
    """
    ax = axes_or_new(ax)
    ps, th = curve.ps, curve.theory["retrained"][index]
    for key, fmt, color, label in (
        ("fresh", "s-", strategy_color("random"), "fresh batch"),
        ("same", "D-", strategy_color("small"), "same samples"),
    ):
        ratio = curve.simulated[key][index] / th
        ax.errorbar(
            ps,
            ratio,
            yerr=curve.simulated_sem[key][index] / th,
            fmt=fmt,
            color=color,
            markersize=4,
            capsize=2,
            label=f"retrained on the {label}",
        )
    ax.axhline(1.0, color="0.3", linewidth=1, label="retraining DC (fresh-batch theory)")
    ax.axvline(curve.n, color="0.6", linestyle=":", linewidth=1)
    log_scale(ax, "x")
    ax.set_xlabel(f"number of random features $p$ (n = {curve.n})")
    ax.set_ylabel("simulated retrained risk / DC prediction")
    ax.legend(fontsize=8)
    return ax


#: Color, line style and legend label of the baselines of :func:`plot_risk_vs_sparsity` and
#: :func:`plot_strategy_bars` (strategies keep their house color and a solid line).
_BASELINE_LINES = {
    "small": (strategy_color("small"), "--", "small model, least squares"),
    "small_ridge": ("#8c564b", "-.", "small model, tuned ridge"),
    "small_loo": ("#e377c2", "-.", "small model, ridge (leave-one-out)"),
    "dense": (strategy_color("dense"), ":", "dense min-norm (no pruning)"),
    "dense_ridge": ("#8c564b", ":", "dense, tuned ridge (no pruning)"),
    "dense_loo": ("#e377c2", ":", "dense, ridge (leave-one-out)"),
}


def _line_style(name: str):
    """(color, line style, label) of a strategy or a baseline."""
    if name in _BASELINE_LINES:
        return _BASELINE_LINES[name]
    return strategy_color(name), "-", STRATEGY_LABELS[name]


def plot_retraining_curves(curves, *, ax=None, title=None):
    r"""Pruning only against retraining: DC lines, simulated markers, along the model size or the kept count.

    ``curves`` is a :class:`pruning_lab.dc.experiments.RetrainingCurves`.  Solid line and filled
    circles: pruned, not retrained (DC, simulation); dash-dotted line and squares: retrained on a
    fresh batch (the retraining DC of Def. 5, simulation); open diamonds: retrained on the same
    samples (simulation only: the theory does not cover it).  Along the model size both axes are
    logarithmic; along the kept count both are linear.  Used in the chapter
    :doc:`/book/predicting_pruning`.
    """
    ax = axes_or_new(ax)
    x, pruned, fresh = curves.x, strategy_color(curves.strategy), strategy_color("random")
    ax.plot(x, curves.theory["pruned"], "-", color=pruned, label=f"{curves.strategy}, pruned only (DC)")
    ax.plot(x, curves.theory["fresh"], "-.", color=fresh, label="retrained, fresh batch (DC)")
    markers = (
        ("pruned", "o", pruned, pruned, "pruned only (simulated)"),
        ("fresh", "s", fresh, fresh, "retrained, fresh batch (simulated)"),
        ("same", "D", "black", "white", "retrained, same samples (simulated)"),
    )
    for key, fmt, color, face, label in markers:
        y, err = curves.simulated[key], curves.simulated_sem[key]
        ax.errorbar(x, y, yerr=err, fmt=fmt, color=color, mfc=face, capsize=2, markersize=4, label=label)
    if curves.axis == "p":
        log_scale(ax, "both")
    ax.set_xlabel("model size $p$" if curves.axis == "p" else "kept weights $s$")
    ax.set_ylabel(r"test risk $\mathcal{L}$")
    ax.set_title(title or curves.label)
    ax.legend(fontsize=7)
    return ax


def plot_correlated_sweep(sweep, *, axes=None):
    r"""One panel of :func:`plot_retraining_curves` per correlation of a correlated sweep, risk against ``s``.

    ``sweep`` is a :class:`pruning_lab.dc.experiments.CorrelatedSweep`; each panel also shows the
    null risk (zero model) as a gray dotted line.  The legend sits in the first panel.  Returns the
    array of axes.  Used in the chapter :doc:`/book/predicting_pruning`.
    """
    if axes is None:
        cols = min(len(sweep.curves), 2)
        rows = -(-len(sweep.curves) // cols)
        _, axes = plt.subplots(rows, cols, figsize=(4.8 * cols, 3.4 * rows), squeeze=False)
    axes = np.asarray(axes).ravel()
    for k, (ax, curves) in enumerate(zip(axes, sweep.curves)):
        plot_retraining_curves(curves, ax=ax, title=f"ρ = {sweep.rhos[k]:g}, p = {sweep.p}, n = {sweep.n}")
        ax.axhline(sweep.null[k], color="0.6", linestyle=":", linewidth=1, label="null risk (predict 0)")
        if k == 0:
            ax.legend(fontsize=7)
        else:
            ax.get_legend().remove()
    axes[0].figure.tight_layout()
    return axes


def plot_pruned_against_small(curve, baseline, index: int = 0, *, ax=None):
    r"""The book's question for random features at ``s = curve.ss[index]``: a width-``s`` model, or a wide one pruned?

    Against the width :math:`p` the wide model was pruned from: its pruned-and-retrained risk
    (retraining DC and fresh-batch simulation in gray; retrained on the same samples by least
    squares, open diamonds, and with the ridge penalty tuned for the kept neurons, filled
    diamonds) and the dense width-:math:`p` model with its tuned ridge (black dotted: DC, dots:
    simulation).  Horizontal lines: the width-``s`` model trained directly, by least squares
    (orange) and with its tuned ridge (brown), theory as a line and simulation as a band of
    :math:`\pm` one standard error.  ``curve`` is a
    :class:`~pruning_lab.random_features.curves.RandomFeaturesCurve` and ``baseline`` the
    :class:`~pruning_lab.random_features.baseline.SmallModelBaseline` on the same first layers.
    Used in the chapter :doc:`/book/random_features`.
    """
    s = int(curve.ss[index])
    where = np.flatnonzero(np.asarray(baseline.ss) == s)
    if where.size == 0:
        raise ValueError(f"the baseline has no width s = {s} (it has {list(baseline.ss)})")
    b = int(where[0])
    ax = axes_or_new(ax)
    ps, th, sim, sem = curve.ps, curve.theory, curve.simulated, curve.simulated_sem
    gray, mine = strategy_color("random"), strategy_color(curve.strategy)
    small, ridge = strategy_color("small"), "#8c564b"
    for key, color, style, label in (
        ("least_squares", small, "--", "width-s model, least squares"),
        ("ridge", ridge, "-.", "width-s model, tuned ridge"),
    ):
        mean, err = baseline.simulated[key][b], baseline.simulated_sem[key][b]
        ax.axhline(baseline.theory[key][b], color=color, linestyle=style, linewidth=1.5, label=label)
        ax.axhspan(mean - err, mean + err, color=color, alpha=0.25, linewidth=0)
    ax.plot(ps, th["dense_ridge"], ":", color=strategy_color("dense"), label="dense width-p model, tuned ridge")
    ax.errorbar(ps, sim["dense_ridge"], yerr=sem["dense_ridge"], fmt=".", color=strategy_color("dense"), capsize=2)
    ax.plot(ps, th["retrained"][index], "--", color=gray, label="pruned + retrained, fresh batch (DC)")
    ax.errorbar(ps, sim["fresh"][index], yerr=sem["fresh"][index], fmt="s", color=gray, markersize=4, capsize=2)
    for key, face, label in (("same", "white", "least squares"), ("same_ridge", mine, "tuned ridge")):
        ax.errorbar(
            ps,
            sim[key][index],
            yerr=sem[key][index],
            fmt="D",
            color=mine,
            mfc=face,
            markersize=5,
            capsize=2,
            label=f"pruned + retrained on the same samples, {label}",
        )
    ax.axvline(curve.n, color="0.6", linestyle=":", linewidth=1)
    log_scale(ax, "x")
    ax.set_xlabel(f"width $p$ of the pruned model (n = {curve.n}, d = {curve.d})")
    ax.set_ylabel(r"test risk $\mathcal{L}$")
    return ax
