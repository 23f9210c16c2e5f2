"""The book's house plotting style and the figures of the chapters.

One style for every figure: white figure background (so figures read in a
dark-mode browser), PNG output in notebooks, and one color per pruning
strategy, the same in every chapter.  Call :func:`use_house_style` once at
the top of a chapter.
"""

from __future__ import annotations

import matplotlib as mpl
import matplotlib.pyplot as plt
import numpy as np
from matplotlib.patches import Patch

__all__ = [
    "HOUSE_STYLE",
    "STRATEGY_COLORS",
    "STRATEGY_LABELS",
    "plot_mask_sweep",
    "plot_random_features_curve",
    "plot_retraining_gap",
    "plot_regime_map",
    "plot_dc_histogram",
    "plot_dense_risk_curve",
    "plot_risk_vs_sparsity",
    "plot_sparse_double_descent",
    "plot_strategy_bars",
    "plot_threshold_sweep",
    "strategy_color",
    "use_house_style",
]

#: One color per strategy (and per baseline), used by every chapter.
STRATEGY_COLORS = {
    "dense": "#222222",
    "magnitude": "#1f77b4",
    "hessian": "#d62728",
    "obs": "#9467bd",
    "oracle": "#2ca02c",
    "random": "#7f7f7f",
    "small": "#ff7f0e",
    "global": "#1f77b4",
    "layerwise": "#17becf",
}

#: How each strategy is named in legends.
STRATEGY_LABELS = {
    "dense": "dense (no pruning)",
    "magnitude": "magnitude",
    "hessian": "Hessian (OBD)",
    "obs": "Optimal Brain Surgeon",
    "oracle": "oracle saliency",
    "random": "random",
    "small": "small model on oracle features",
    "global": "global magnitude",
    "layerwise": "layer-wise magnitude",
}

#: Matplotlib rcParams of the house style.
HOUSE_STYLE = {
    "figure.facecolor": "white",
    "axes.facecolor": "white",
    "savefig.facecolor": "white",
    "savefig.format": "png",
    "figure.figsize": (6.4, 4.0),
    "figure.dpi": 100,
    "axes.grid": True,
    "grid.alpha": 0.3,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.titlesize": 11,
    "axes.labelsize": 10,
    "legend.fontsize": 8,
    "legend.frameon": False,
    "lines.linewidth": 1.8,
    "lines.markersize": 5,
}


def use_house_style() -> None:
    """Apply the house style to matplotlib and ask IPython (if running) for PNG figures."""
    mpl.rcParams.update(HOUSE_STYLE)
    try:
        from IPython import get_ipython

        if get_ipython() is not None:
            from matplotlib_inline.backend_inline import set_matplotlib_formats

            set_matplotlib_formats("png")
    except ImportError:  # plain Python: nothing to configure
        pass


def strategy_color(name: str) -> str:
    """Color of a strategy (or baseline) in the house style."""
    if name not in STRATEGY_COLORS:
        raise ValueError(f"no house color for {name!r}; known: {', '.join(STRATEGY_COLORS)}")
    return STRATEGY_COLORS[name]


def _axes(ax):
    if ax is None:
        _, ax = plt.subplots()
    return ax


def plot_risk_vs_sparsity(comparison, *, retrained: bool = False, ax=None, strategies=None, baselines=True):
    """Test risk against the number of kept weights, one line per strategy (mean ± s.e.m.).

    ``comparison`` is a :class:`~pruning_lab.pipeline.StrategyComparison`.
    With ``baselines``, the dense model and the small model trained on the
    oracle features are drawn too.
    """
    ax = _axes(ax)
    s = comparison.sparsities
    names = list(strategies or comparison.strategies)
    if baselines:
        names += ["small"]
    for name in names:
        mean = comparison.mean(name, retrained)
        err = comparison.sem(name, retrained)
        ax.errorbar(s, mean, yerr=err, marker="o", capsize=2, color=strategy_color(name),
                    label=STRATEGY_LABELS[name], linestyle="--" if name == "small" else "-")
    if baselines:
        ax.axhline(comparison.dense.mean(), color=strategy_color("dense"), linestyle=":",
                   label=STRATEGY_LABELS["dense"])
    ax.set_xlabel("kept weights $s$")
    ax.set_ylabel(r"test risk $\mathcal{L}$")
    ax.set_yscale("log")
    ax.set_title(("pruned + retrained" if retrained else "pruned, not retrained")
                 + f"  (n={comparison.n}, p={comparison.p})")
    ax.legend()
    return ax


def plot_strategy_bars(comparison, index: int = 0, *, ax=None):
    """Bar chart of the risk of each strategy at one sparsity, without and with retraining."""
    ax = _axes(ax)
    names = list(comparison.strategies)
    x = np.arange(len(names))
    width = 0.38
    for offset, retrained, hatch in ((-width / 2, False, None), (width / 2, True, "//")):
        means = [comparison.mean(n, retrained)[index] for n in names]
        errs = [comparison.sem(n, retrained)[index] for n in names]
        ax.bar(x + offset, means, width, yerr=errs, capsize=2, hatch=hatch,
               color=[strategy_color(n) for n in names], edgecolor="black", linewidth=0.5,
               label="retrained" if retrained else "pruned only")
    ax.axhline(comparison.mean("small")[index], color=strategy_color("small"), linestyle="--",
               label=STRATEGY_LABELS["small"])
    ax.axhline(comparison.dense.mean(), color=strategy_color("dense"), linestyle=":",
               label=STRATEGY_LABELS["dense"])
    ax.set_xticks(x, [STRATEGY_LABELS[n] for n in names], rotation=20, ha="right")
    ax.set_ylabel(r"test risk $\mathcal{L}$")
    ax.set_yscale("log")
    ax.set_title(f"s = {comparison.sparsities[index]} of p = {comparison.p}, n = {comparison.n}")
    handles, labels = ax.get_legend_handles_labels()
    bars = [Patch(facecolor="white", edgecolor="black", hatch=h, label=l)
            for h, l in ((None, "pruned only"), ("//", "retrained"))]
    ax.legend(handles=[h for h, l in zip(handles, labels) if l not in ("pruned only", "retrained")] + bars)
    ax.figure.tight_layout()
    return ax


def plot_mask_sweep(sweep, *, ax=None):
    """Test accuracy against the fraction of weights removed, per mask family, with and without retraining.

    ``sweep`` is a :class:`~pruning_lab.nn.pipeline.MaskSweepResult`; dashed
    lines are before retraining, solid lines after.
    """
    ax = _axes(ax)
    x = 100 * np.asarray(sweep.sparsities)
    for scope in dict.fromkeys(scope for scope, _ in sweep.accuracy):
        color = strategy_color(scope)
        for retrained, style in ((False, "--"), (True, "-")):
            ax.plot(x, 100 * sweep.accuracy[(scope, retrained)], style, marker="o", color=color,
                    label=f"{STRATEGY_LABELS[scope]}, {'retrained' if retrained else 'not retrained'}")
    ax.axhline(100 * sweep.dense_accuracy, color=strategy_color("dense"), linestyle=":",
               label=STRATEGY_LABELS["dense"])
    ax.set_xlabel("weights removed (%)")
    ax.set_ylabel("test accuracy (%)")
    ax.legend()
    return ax


def plot_sparse_double_descent(result, *, ax=None, rules=("magnitude", "hessian", "oracle"), dense=True,
                               retrained=False, title=None):
    """Risk of the pruned model against the model size p: DC theory as lines, simulation as markers.

    ``result`` is a :class:`~pruning_lab.double_descent.SparseDoubleDescent`.
    Horizontal dashed line: the small model trained on the ``s`` oracle
    features; vertical dotted lines: ``p = s`` and the interpolation
    threshold ``p = n``.
    """
    ax = _axes(ax)
    names = (["dense"] if dense else []) + list(rules) + (["retrained"] if retrained else [])
    for name in names:
        color = strategy_color("random" if name == "retrained" else name)
        label = "magnitude + retrain on fresh data (DC)" if name == "retrained" else STRATEGY_LABELS[name]
        style = ":" if name == "dense" else ("-." if name == "retrained" else "-")
        ax.plot(result.ps, result.theory[name], style, color=color, label=label)
        if name in result.simulated:
            ax.errorbar(result.ps, result.simulated[name], yerr=result.simulated_sem[name], fmt="o",
                        color=color, capsize=2, markersize=4)
    if np.isfinite(result.small_model):
        ax.axhline(result.small_model, color=strategy_color("small"), linestyle="--", label=STRATEGY_LABELS["small"])
    ax.axvline(result.n, color="0.6", linestyle=":", linewidth=1)
    ax.axvline(result.s, color="0.8", linestyle=":", linewidth=1)
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("model size $p$ (features used in training)")
    ax.set_ylabel(r"test risk $\mathcal{L}$")
    ax.set_title(title or f"pruned to s = {result.s}, n = {result.n}: lines DC theory, markers simulation")
    ax.legend()
    return ax


def plot_dc_histogram(weights, mean, std, groups, *, ax=None, bins=60):
    """Histogram of standardized trained weights :math:`(\\hat\\beta_i-m_i)/\\tau_i` per group, against N(0, 1).

    ``weights`` has shape (trials, p); ``mean``/``std`` are the DC marginals;
    ``groups`` maps a label to a boolean mask of coordinates.
    """
    ax = _axes(ax)
    z = (np.asarray(weights) - mean) / std
    for (label, mask), color in zip(groups.items(), ("#d62728", "#1f77b4", "#2ca02c")):
        ax.hist(z[:, mask].ravel(), bins=bins, density=True, histtype="step", color=color, linewidth=1.5,
                label=f"{label} (simulated)")
    grid = np.linspace(-4, 4, 200)
    ax.plot(grid, np.exp(-grid**2 / 2) / np.sqrt(2 * np.pi), "k--", label="DC prediction N(0, 1)")
    ax.set_xlabel(r"standardized weight $(\hat\beta_i - m_i)/\tau_i$")
    ax.set_ylabel("density")
    ax.legend()
    return ax


def plot_dense_risk_curve(curve, *, ax=None):
    """Dense risk against κ = p/n: finite-p DC (line), Hastie et al.'s limit (dashed), simulation (markers)."""
    ax = _axes(ax)
    ax.plot(curve.kappas, curve.dc, "-", color=strategy_color("dense"), label=f"DC, finite p (n = {curve.n})")
    ax.plot(curve.kappas, curve.asymptotic, "--", color=strategy_color("oracle"), label="Hastie et al. limit")
    if np.any(np.isfinite(curve.simulated)):
        ax.errorbar(curve.kappas, curve.simulated, yerr=curve.simulated_sem, fmt="o", color=strategy_color("dense"),
                    capsize=2, markersize=4, label="simulation")
    ax.axvline(1.0, color="0.6", linestyle=":", linewidth=1)
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel(r"$\kappa = p/n$")
    ax.set_ylabel(r"test risk $\mathcal{L}$ of the min-norm model")
    ax.legend()
    return ax


def plot_threshold_sweep(ts, theory, simulated, *, rule: str = "magnitude", axes=None):
    """Pruning at an explicit threshold t: expected kept count (left) and risk (right), DC lines vs simulation markers.

    ``theory`` is a list of :class:`pruning_lab.dc.ThresholdRisk`; ``simulated``
    the dict returned by :func:`pruning_lab.simulate.simulate_threshold_pruning`.
    """
    if axes is None:
        _, axes = plt.subplots(1, 2, figsize=(9.5, 3.6))
    color = strategy_color(rule)
    axes[0].plot(ts, [r.expected_kept for r in theory], "-", color=color, label="DC")
    axes[0].plot(ts, simulated["kept"], "o", color=color, markersize=4, label="simulation")
    axes[0].set_ylabel(r"kept weights $|\hat\Delta|$")
    axes[1].plot(ts, [r.risk for r in theory], "-", color=color, label="DC")
    axes[1].errorbar(ts, simulated["risk"], yerr=simulated["risk_sem"], fmt="o", color=color, markersize=4,
                     capsize=2, label="simulation")
    axes[1].set_ylabel(r"test risk $\mathcal{L}$ of the pruned model")
    axes[1].set_yscale("log")
    for ax in axes:
        ax.set_xlabel(f"threshold $t$ ({STRATEGY_LABELS.get(rule, rule).lower()} rule)")
        ax.legend()
    return axes


def plot_regime_map(result, *, ax=None):
    """Heat map of best pruned risk / small-model risk over s/n (rows) and spike variance (columns), annotated.

    ``result`` is a :class:`pruning_lab.double_descent.RegimeMap`.  Blue cells
    (ratio < 1): training large then pruning wins; red cells: the small model wins.
    """
    ax = _axes(ax)
    ratio = result.ratio
    log_ratio = np.log2(np.where(np.isfinite(result.small) & (ratio > 0), ratio, np.nan))
    bound = max(np.nanmax(np.abs(log_ratio)), 0.5) if np.any(np.isfinite(log_ratio)) else 1.0
    image = ax.imshow(log_ratio, cmap="RdBu_r", vmin=-bound, vmax=bound, origin="lower", aspect="auto")
    for i in range(ratio.shape[0]):
        for j in range(ratio.shape[1]):
            finite = np.isfinite(result.small[i, j])
            text = f"{ratio[i, j]:.2f}\np={result.best_p[i, j]}" if finite else "small model:\ninfinite risk"
            ax.text(j, i, text, ha="center", va="center", fontsize=8)
    ax.set_xticks(range(result.spikes.size), [f"{v:g}" for v in result.spikes])
    ax.set_yticks(range(result.s_ratios.size), [f"{v:g}" for v in result.s_ratios])
    ax.set_xlabel(r"spike variance $\lambda_{\rm spike}$")
    ax.set_ylabel(r"kept weights per sample $s/n$")
    ax.figure.colorbar(image, ax=ax, label=r"$\log_2$(best pruned risk / small-model risk)")
    ax.grid(False)
    return ax


def plot_random_features_curve(curve, index: int = 0, *, ax=None, retrained: bool = True, same: bool = True):
    """Random features: risk against the width for sparsity ``curve.ss[index]``; lines ELP + DC, markers simulation.

    Dense (black), pruned (rule color) and, if asked, retrained on a fresh
    batch (gray line: retraining DC; gray squares: simulation) and on the same
    samples (open orange diamonds).  ``curve`` is a
    :class:`pruning_lab.random_features_curves.RandomFeaturesCurve`.
    """
    ax = _axes(ax)
    ps, s = curve.ps, int(curve.ss[index])
    th, sim, sem = curve.theory, curve.simulated, curve.simulated_sem
    dense, rule, retr = strategy_color("dense"), strategy_color(curve.rule), strategy_color("random")
    ax.plot(ps, th["dense"], "-", color=dense, label="dense (ELP + DC)")
    ax.errorbar(ps, sim["dense"], yerr=sem["dense"], fmt="o", color=dense, markersize=4, capsize=2)
    label = STRATEGY_LABELS.get(curve.rule, curve.rule)
    ax.plot(ps, th["pruned"][index], "-", color=rule, label=f"{label} pruned to s = {s}")
    ax.errorbar(ps, sim["pruned"][index], yerr=sem["pruned"][index], fmt="o", color=rule, markersize=4, capsize=2)
    if retrained:
        ax.plot(ps, th["retrained"][index], "--", color=retr, label="+ retrained, fresh batch (DC)")
        ax.errorbar(ps, sim["fresh"][index], yerr=sem["fresh"][index], fmt="s", color=retr, markersize=4,
                    capsize=2, label="+ retrained, fresh batch (sim.)")
    if same:
        ax.errorbar(ps, sim["same"][index], yerr=sem["same"][index], fmt="D", mfc="white",
                    color=strategy_color("small"), markersize=5, capsize=2, label="+ retrained, same samples (sim.)")
    ax.axvline(curve.n, color="0.6", linestyle=":", linewidth=1)
    ax.axvline(s, color="0.8", linestyle=":", linewidth=1)
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel(f"number of random features $p$ (n = {curve.n}, d = {curve.d})")
    ax.set_ylabel(r"test risk $\mathcal{L}$")
    ax.legend(fontsize=8)
    return ax


def plot_retraining_gap(curve, index: int = 0, *, ax=None):
    """Same-sample against fresh-batch retraining for sparsity ``curve.ss[index]``: both against the retraining DC.

    Left axis: the ratio of each simulated retrained risk to the DC prediction
    (1 = predicted exactly), with standard errors.
    """
    ax = _axes(ax)
    ps, th = curve.ps, curve.theory["retrained"][index]
    for key, fmt, color, label in (("fresh", "s-", strategy_color("random"), "fresh batch"),
                                   ("same", "D-", strategy_color("small"), "same samples")):
        ratio = curve.simulated[key][index] / th
        ax.errorbar(ps, ratio, yerr=curve.simulated_sem[key][index] / th, fmt=fmt, color=color, markersize=4,
                    capsize=2, label=f"retrained on the {label}")
    ax.axhline(1.0, color="0.3", linewidth=1, label="retraining DC (fresh-batch theory)")
    ax.axvline(curve.n, color="0.6", linestyle=":", linewidth=1)
    ax.set_xscale("log")
    ax.set_xlabel(f"number of random features $p$ (n = {curve.n})")
    ax.set_ylabel("simulated retrained risk / DC prediction")
    ax.legend(fontsize=8)
    return ax


# ------------------------------------------- chapter "Matrix sensing: group lasso makes pruning safe"
#: One color per model in the matrix-sensing figures (group-Lasso training, plain training, pruned model, references).
SENSING_COLORS = {"group_lasso": "#1f77b4", "plain": "#d62728", "pruned": "#2ca02c", "unpruned": "#9467bd",
                  "reference": "#222222"}

__all__ += ["SENSING_COLORS", "plot_column_profiles", "plot_finetune_curves", "plot_generalization_curve",
            "plot_survivor_map"]


def plot_column_profiles(profiles, *, tau=None, floor: float = 1e-20, ax=None):
    r"""Sorted column norms :math:`\lVert Ue_i\rVert` (largest first) of each model, on a log scale.

    ``profiles`` maps a legend label to a factor ``U`` (d×k) or to its column norms; norms below
    ``floor`` are drawn at ``floor``.  ``tau`` draws the pruning threshold.  The legend counts the
    columns with at least half the largest norm.
    """
    ax = _axes(ax)
    palette = [SENSING_COLORS[c] for c in ("group_lasso", "plain", "pruned", "unpruned", "reference")]
    for (label, value), color in zip(profiles.items(), palette * 3):
        value = np.asarray(value, dtype=float)
        norms = np.sort(np.linalg.norm(value, axis=0) if value.ndim == 2 else value)[::-1]
        if norms.size and norms[0] > 1e-10:
            count = f"{int(np.sum(norms >= 0.5 * norms[0]))} of {norms.size} columns ≥ half the largest"
        else:
            count = "all columns ≈ 0"
        ax.plot(np.arange(1, norms.size + 1), np.maximum(norms, floor), "o-", color=color, label=f"{label} ({count})")
    if tau is not None:
        ax.axhline(tau, color="0.4", linestyle="--", linewidth=1, label=rf"pruning threshold $\tau$ = {tau:.3g}")
    ax.set_yscale("log")
    ax.set_xlabel("column rank $i$ (sorted by norm)")
    ax.set_ylabel(r"column norm $\|U e_{(i)}\|_2$")
    ax.legend()
    return ax


def plot_finetune_curves(runs, *, predicted=None, ax=None):
    r"""Recovery error :math:`\lVert U_tU_t^\top-M_\star\rVert_F` against the iteration :math:`t` (log scale).

    ``runs`` maps a legend label to a :class:`~pruning_lab.sensing.train.TrainResult` (or to a pair
    ``(result, style)``).  ``predicted = (label, rate)`` draws the guide :math:`e_a\rho^{t-t_a}` through the
    first point :math:`(t_a, e_a)` of that run with error at most 1e-5 (past the fast transient).
    """
    ax = _axes(ax)
    palette = [SENSING_COLORS[c] for c in ("pruned", "plain", "unpruned", "group_lasso", "reference")]
    for (label, run), color in zip(runs.items(), palette * 3):
        run, style = run if isinstance(run, tuple) else (run, "-")
        ax.plot(run.steps, run.errors, style, color=color, label=label)
    if predicted is not None:
        label, rate = predicted
        run = runs[label][0] if isinstance(runs[label], tuple) else runs[label]
        anchor = int(np.argmax(run.errors <= 1e-5))
        t = run.steps[run.errors > 1e-14]
        ax.plot(t, run.errors[anchor] * rate ** (t - run.steps[anchor]), ":", color=SENSING_COLORS["reference"],
                label=rf"predicted linear rate $\rho$ = {rate:.4f} per step")
    ax.set_yscale("log")
    ax.set_xlabel("fine-tuning iteration $t$")
    ax.set_ylabel(r"recovery error $\|U_tU_t^\top - M_\star\|_F$")
    ax.legend()
    return ax


def plot_generalization_curve(curve, *, ax=None):
    r"""Error after prune + fine-tune against the number of measurements :math:`n` (log-log), with references.

    ``curve`` is a :class:`~pruning_lab.sensing.experiments.GeneralizationCurve`: markers are the mean
    over trials (bars: min to max), lines the references :math:`\sigma\sqrt{rd/n}` and :math:`\sigma\sqrt{kd/n}`.
    """
    ax = _axes(ax)
    for name, key, label in (("pruned", "pruned", "group Lasso → prune → fine-tune (r columns)"),
                             ("unregularized", "plain", "plain gradient descent (k columns)")):
        values = getattr(curve, name)
        mean = values.mean(axis=0)
        ax.errorbar(curve.ns, mean, yerr=[mean - values.min(axis=0), values.max(axis=0) - mean], fmt="o-",
                    capsize=2, color=SENSING_COLORS[key], label=label)
    ax.plot(curve.ns, curve.reference, "--", color=SENSING_COLORS["reference"], label=r"$\sigma\sqrt{rd/n}$")
    ax.plot(curve.ns, curve.reference_k, ":", color=SENSING_COLORS["reference"], label=r"$\sigma\sqrt{kd/n}$")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("number of measurements $n$")
    ax.set_ylabel(r"error $\|UU^\top - M_\star\|_F$")
    ax.legend()
    return ax


def plot_survivor_map(smap, *, ax=None):
    r"""Surviving columns over the :math:`(\lambda,\beta)` grid of a :class:`~pruning_lab.sensing.experiments.SurvivorMap`.

    Cells: green = exactly :math:`r` (pruning is safe), orange = fewer (directions lost), blue = more
    (not prunable to :math:`r`); the number is the count.  Lines: :math:`\lambda/\sqrt\beta=4(\sigma^\star_r)^2`
    (below it a missing direction is a strict saddle), :math:`4(\sigma^\star_1)^2` (above it :math:`U=0`
    is a local minimum) and the step-size limit :math:`2\sqrt\beta/\eta`.
    """
    from matplotlib.colors import ListedColormap

    ax = _axes(ax)
    counts = smap.counts
    category = np.select([counts == 0, counts < smap.r, counts == smap.r], [0, 1, 2], 3)
    colors = ["#f4a582", "#fddbc7", "#a6dba0", "#92c5de"]
    ax.imshow(category, cmap=ListedColormap(colors), vmin=-0.5, vmax=3.5, origin="lower", aspect="auto")
    for i, j in np.ndindex(counts.shape):
        ax.text(j, i, str(counts[i, j]), ha="center", va="center", fontsize=8)
    log_l, log_b = np.log10(smap.lams), np.log10(smap.betas)
    x_of = np.poly1d(np.polyfit(log_l, np.arange(log_l.size), 1)) if log_l.size > 1 else (lambda v: 0 * v)
    y_of = np.poly1d(np.polyfit(log_b, np.arange(log_b.size), 1)) if log_b.size > 1 else (lambda v: 0 * v)
    fine = np.linspace(log_b[0], log_b[-1], 50)
    beta_fine = 10**fine
    for which, style, label in (("saddle", "-", r"$\lambda/\sqrt{\beta}=4(\sigma^\star_r)^2$"),
                                ("zero", "--", r"$\lambda/\sqrt{\beta}=4(\sigma^\star_1)^2$"),
                                ("stability", ":", r"$\lambda/\sqrt{\beta}=2/\eta$")):
        factor = smap.boundary(which)[0] / np.sqrt(smap.betas[0])
        ax.plot(x_of(np.log10(factor * np.sqrt(beta_fine))), y_of(fine), style, color="k", linewidth=1.2,
                label=label)
    ax.set_xlim(-0.5, counts.shape[1] - 0.5)
    ax.set_ylim(-0.5, counts.shape[0] - 0.5)
    ax.set_xticks(range(smap.lams.size), [f"{v:.2g}" for v in smap.lams])
    ax.set_yticks(range(smap.betas.size), [f"{v:.0e}" for v in smap.betas])
    ax.set_xlabel(r"regularization strength $\lambda$")
    ax.set_ylabel(r"smoothing $\beta$")
    handles, _ = ax.get_legend_handles_labels()
    patches = [Patch(facecolor=c, edgecolor="0.5", label=t) for c, t in
               zip(colors, ("0 columns", f"1 to {smap.r - 1} columns", f"exactly r = {smap.r}", f"more than {smap.r}"))]
    ax.legend(handles=handles + patches, loc="upper left", bbox_to_anchor=(1.01, 1.0))
    ax.grid(False)
    return ax


# ---------------------------------------------------------------- chapter "Lottery tickets"
__all__ += ["LOTTERY_COLORS", "plot_lottery_convergence", "plot_lottery_curvature", "plot_lottery_masks",
            "plot_lottery_noise", "plot_lottery_phase", "plot_lottery_rates"]

#: One color per optimizer / mask method in the chapter "Lottery tickets".
LOTTERY_COLORS = {"beta=0": "#1f77b4", "beta=0.2": "#d62728", "tuned": "#2ca02c",
                  "IMP": "#9467bd", "one-shot": "#1f77b4"}

_LOTTERY_LABELS = {"beta=0": r"GD ($\beta=0$)", "beta=0.2": r"AGD ($\beta=0.2$)",
                   "tuned": "heavy ball, tuned at the truth (ours)"}


def _edges(values):
    v = np.asarray(values, dtype=float)
    mid = (v[1:] + v[:-1]) / 2
    return np.concatenate([[v[0] - (mid[0] - v[0]) if v.size > 1 else v[0] - 0.5], mid,
                           [v[-1] + (v[-1] - mid[-1]) if v.size > 1 else v[-1] + 0.5]])


def plot_lottery_phase(diagram, *, ax=None, counting: bool = True):
    r"""Success rate over (:math:`\tilde r`, :math:`N`), 50% transition points and the fitted line :math:`N=c\tilde r`.

    ``diagram`` is a :class:`~pruning_lab.lottery_sweeps.PhaseDiagram`.  With
    ``counting``, the dashed line :math:`N=K\tilde r` marks as many samples as free weights.
    """
    ax = _axes(ax)
    rt = diagram.mean_r_tilde
    mesh = ax.pcolormesh(_edges(rt), _edges(diagram.n_values), diagram.success.T, cmap="viridis", vmin=0, vmax=1,
                         shading="flat")
    ax.figure.colorbar(mesh, ax=ax, label="success rate (relative error < $10^{-4}$)")
    n50 = diagram.transition()
    ok = np.isfinite(n50)
    ax.plot(rt[ok], n50[ok], "o", color="#d62728", markeredgecolor="white", label="50% transition")
    grid = np.linspace(0, rt.max() * 1.05, 50)
    c = diagram.boundary_slope()
    ax.plot(grid, c * grid, "-", color="#d62728", label=rf"fit $N = {c:.1f}\,\tilde r$")
    if counting:
        ax.plot(grid, diagram.K * grid, "--", color="white", label=rf"$N = K\tilde r$ (free weights, $K={diagram.K}$)")
    ax.set_xlim(_edges(rt)[0], _edges(rt)[-1])
    ax.set_ylim(_edges(diagram.n_values)[0], _edges(diagram.n_values)[-1])
    ax.set_xlabel(r"effective pruned width $\tilde r$")
    ax.set_ylabel("number of samples $N$")
    ax.grid(False)
    ax.legend(loc="lower right", frameon=True)
    return ax


def plot_lottery_convergence(sweep, label: str = "beta=0.2", *, ax=None):
    r"""Relative error against the iteration, one line per :math:`\tilde r` (trial 0).

    ``sweep`` is a :class:`~pruning_lab.lottery_sweeps.RateSweep`; ``label`` picks the optimizer.
    """
    ax = _axes(ax)
    cmap = plt.get_cmap("viridis")
    for i, (rt, h) in enumerate(zip(sweep.r_tilde, sweep.histories[label])):
        ax.semilogy(np.arange(h.size), h, color=cmap(i / max(len(sweep.r_tilde) - 1, 1)), label=rf"$\tilde r={rt:g}$")
    ax.set_xlabel("iteration $t$")
    ax.set_ylabel(r"relative error $\|W^{(t)}-W^*\|_F/\|W^*\|_F$")
    ax.set_title(f"{_LOTTERY_LABELS.get(label, label)}, N = {sweep.n}")
    ax.legend()
    return ax


def plot_lottery_rates(sweep, *, ax=None):
    r"""Measured :math:`1-\hat\nu` (markers, mean ± s.d.) and the curvature prediction (lines) against :math:`\tilde r`.

    ``sweep`` is a :class:`~pruning_lab.lottery_sweeps.RateSweep`.
    """
    ax = _axes(ax)
    for label in sweep.nu:
        color = LOTTERY_COLORS.get(label, "0.3")
        gap = 1 - sweep.nu[label]
        ax.errorbar(sweep.r_tilde, gap.mean(axis=1), yerr=gap.std(axis=1), fmt="o", color=color, capsize=2,
                    label=_LOTTERY_LABELS.get(label, label))
        ax.plot(sweep.r_tilde, 1 - sweep.predicted[label].mean(axis=1), "-", color=color)
    ax.plot([], [], "-", color="0.3", label="lines: predicted from the masked Hessian at $W^*$")
    ax.set_yscale("log")
    ax.set_xlabel(r"effective pruned width $\tilde r$")
    ax.set_ylabel(r"$1-\hat\nu$ (error reduction per step)")
    ax.legend()
    return ax


def plot_lottery_curvature(sweep, *, axes=None):
    r"""Local curvature at the truth from a :class:`~pruning_lab.lottery_sweeps.CurvatureSweep`.

    Left: :math:`K^2\mu` against :math:`\tilde r`, population (line) and with
    :math:`N` samples (markers).  Right: the fraction :math:`\hat\mu/\mu` of
    the population curvature that survives, against :math:`\sqrt{\tilde r/N}`.
    """
    if axes is None:
        _, axes = plt.subplots(1, 2, figsize=(10.0, 4.0))
    ax0, ax1 = axes
    K2 = sweep.K**2
    ax0.plot(sweep.r_tilde, K2 * sweep.mu_pop.mean(axis=1), "k-", label=r"population ($N\to\infty$)")
    cmap = plt.get_cmap("viridis")
    for j, n in enumerate(sweep.n_values):
        color = cmap(j / max(len(sweep.n_values) - 1, 1))
        ax0.plot(sweep.r_tilde, K2 * sweep.mu[j].mean(axis=1), "o--", color=color, label=f"N = {n}")
        x = np.sqrt(sweep.r_tilde / n)
        ax1.plot(x, (sweep.mu[j] / sweep.mu_pop).mean(axis=1), "o", color=color, label=f"N = {n}")
    ax0.set_xlabel(r"effective pruned width $\tilde r$")
    ax0.set_ylabel(r"$K^2\hat\mu$ (smallest Hessian eigenvalue at $W^*$)")
    ax0.legend()
    ax1.set_xlabel(r"$\sqrt{\tilde r/N}$")
    ax1.set_ylabel(r"$\hat\mu/\mu$ (fraction of population curvature)")
    ax1.set_ylim(bottom=0)
    ax1.legend()
    ax0.figure.tight_layout()
    return axes


def plot_lottery_noise(sweep, *, ax=None):
    r"""Final relative error divided by the noise level against :math:`\sqrt{\tilde r/N}`.

    ``sweep`` is a :class:`~pruning_lab.lottery_sweeps.NoiseSweep`; the line is its fitted ``slope()``.
    """
    ax = _axes(ax)
    markers = "osD^v"
    cmap = plt.get_cmap("viridis")
    for lv, level in enumerate(sweep.noise_levels):
        for j, n in enumerate(sweep.n_values):
            x = np.sqrt(sweep.r_tilde / n)
            err = sweep.errors[lv, j] / level
            color = cmap(0.85 * lv / max(len(sweep.noise_levels) - 1, 1))
            ax.errorbar(x, err.mean(axis=1), yerr=err.std(axis=1), fmt=markers[j % len(markers)], capsize=2,
                        color=color, markerfacecolor=color if lv == 0 else "none", markersize=5 + 3 * lv,
                        label=rf"$\sigma/E_y={level:g}$, N = {n}")
    c = sweep.slope()
    grid = np.linspace(0, np.sqrt(sweep.r_tilde.max() / sweep.n_values.min()) * 1.05, 50)
    ax.plot(grid, c * grid, "k-", label=rf"fit: error $= {c:.1f}\,(\sigma/E_y)\sqrt{{\tilde r/N}}$")
    ax.set_xlabel(r"$\sqrt{\tilde r/N}$")
    ax.set_ylabel(r"final relative error / $(\sigma/E_y)$")
    ax.legend()
    return ax


def plot_lottery_masks(sweep, *, axes=None):
    r"""Inaccurate masks from a :class:`~pruning_lab.lottery_sweeps.MaskSweep`.

    Left: median test RMSE (relative to :math:`E_y`) against the fraction of
    weights kept, per method and :math:`N`; dotted: the teacher's density.
    Right: every trained mask of the smallest :math:`N`, test RMSE against mask
    accuracy, colored by the fraction kept.
    """
    if axes is None:
        _, axes = plt.subplots(1, 2, figsize=(10.0, 4.0))
    ax0, ax1 = axes
    kept = sweep.widths / sweep.d
    styles = ("-", "--", ":")
    for m, rmse in sweep.rmse.items():
        for j, n in enumerate(sweep.n_values):
            ax0.plot(100 * kept, np.median(rmse[j], axis=1), styles[j % 3], marker="o", color=LOTTERY_COLORS[m],
                     label=f"{m}, N = {n}")
    ax0.axvline(100 * sweep.r_star / sweep.d, color="0.5", linestyle=":", label="teacher density $r^*/d$")
    ax0.set_yscale("log")
    ax0.set_xlabel("weights kept (%)")
    ax0.set_ylabel(r"test RMSE / $E_y$ (median over trials)")
    ax0.legend()
    frac = np.broadcast_to(100 * kept[:, None], sweep.rmse["IMP"][0].shape)
    for m, marker in (("IMP", "o"), ("one-shot", "^")):
        sc = ax1.scatter(sweep.accuracy[m][0].ravel(), sweep.rmse[m][0].ravel(), c=frac.ravel(), cmap="viridis",
                         vmin=0, vmax=100, marker=marker, s=18, label=m)
    ax1.figure.colorbar(sc, ax=ax1, label="weights kept (%)")
    ax1.set_yscale("log")
    ax1.set_xlabel(r"mask accuracy $\|M^*\odot M\|_0/\|M^*\|_0$")
    ax1.set_ylabel(r"test RMSE / $E_y$")
    ax1.set_title(f"N = {sweep.n_values[0]}")
    ax1.legend()
    ax0.figure.tight_layout()
    return axes
