"""Figures of the chapter :doc:`/book/lottery_tickets`."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np

from .style import axes_or_new, log_scale

# ---------------------------------------------------------------- chapter "Lottery tickets"
__all__ = [
    "LOTTERY_COLORS",
    "plot_lottery_convergence",
    "plot_lottery_curvature",
    "plot_lottery_dimension",
    "plot_lottery_masks",
    "plot_lottery_noise",
    "plot_lottery_patterns",
    "plot_lottery_phase",
    "plot_lottery_radius",
    "plot_lottery_rates",
    "plot_lottery_success",
]

#: One color per optimizer / mask method in the chapter "Lottery tickets".
LOTTERY_COLORS = {
    "beta=0": "#1f77b4",
    "beta=0.2": "#d62728",
    "tuned": "#2ca02c",
    "IMP": "#9467bd",
    "one-shot": "#1f77b4",
    "random": "#7f7f7f",
    "IMP re-init": "#ff7f0e",
}

_LOTTERY_LABELS = {
    "beta=0": r"GD ($\beta=0$)",
    "beta=0.2": r"AGD ($\beta=0.2$)",
    "tuned": "heavy ball, tuned at the truth (ours)",
}


def _edges(values):
    v = np.asarray(values, dtype=float)
    mid = (v[1:] + v[:-1]) / 2
    return np.concatenate(
        [
            [v[0] - (mid[0] - v[0]) if v.size > 1 else v[0] - 0.5],
            mid,
            [v[-1] + (v[-1] - mid[-1]) if v.size > 1 else v[-1] + 0.5],
        ]
    )


def plot_lottery_phase(diagram, *, ax=None, counting: bool = True):
    r"""Success rate over (:math:`\tilde r`, :math:`N`), logistic 50% points and the fitted line :math:`N=c\tilde r`.

    ``diagram`` is a :class:`~pruning_lab.lottery.experiments.PhaseDiagram`.  With
    ``counting``, the dashed line :math:`N=K\tilde r` marks as many samples as free weights.
    """
    ax = axes_or_new(ax)
    rt = diagram.mean_r_tilde
    mesh = ax.pcolormesh(
        _edges(rt), _edges(diagram.n_values), diagram.success.T, cmap="viridis", vmin=0, vmax=1, shading="flat"
    )
    ax.figure.colorbar(mesh, ax=ax, label="success rate (relative error < $10^{-4}$)")
    fits = diagram.transitions()
    ax.errorbar(
        rt,
        [f.x50 for f in fits],
        yerr=[f.se for f in fits],
        fmt="o",
        color="#d62728",
        markeredgecolor="white",
        capsize=3,
        label=r"$N_{50}$ ± s.e. (logistic fit)",
    )
    grid = np.linspace(0, rt.max() * 1.05, 50)
    c, _ = diagram.boundary_fit()
    ax.plot(grid, c * grid, "-", color="#d62728", label=rf"fit $N_{{50}} = {c:.1f}\,\tilde r$")
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

    ``sweep`` is a :class:`~pruning_lab.lottery.experiments.RateSweep`; ``label`` picks the optimizer.
    """
    ax = axes_or_new(ax)
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

    ``sweep`` is a :class:`~pruning_lab.lottery.experiments.RateSweep`.
    """
    ax = axes_or_new(ax)
    for label in sweep.nu:
        color = LOTTERY_COLORS.get(label, "0.3")
        gap = 1 - sweep.nu[label]
        ax.errorbar(
            sweep.r_tilde,
            gap.mean(axis=1),
            yerr=gap.std(axis=1),
            fmt="o",
            color=color,
            capsize=2,
            label=_LOTTERY_LABELS.get(label, label),
        )
        ax.plot(sweep.r_tilde, 1 - sweep.predicted[label].mean(axis=1), "-", color=color)
    ax.plot([], [], "-", color="0.3", label="lines: predicted from the masked Hessian at $W^*$")
    log_scale(ax, "y")
    ax.set_xlabel(r"effective pruned width $\tilde r$")
    ax.set_ylabel(r"$1-\hat\nu$ (error reduction per step)")
    ax.legend()
    return ax


def plot_lottery_curvature(sweep, *, axes=None):
    r"""Local curvature at the truth from a :class:`~pruning_lab.lottery.experiments.CurvatureSweep`.

    Left: :math:`K^2\mu` against :math:`\tilde r`, population (line) and with
    :math:`N` samples (markers).  Right: the fraction :math:`\hat\mu/\mu` of
    the population curvature that survives, against :math:`\sqrt{\tilde r/N}`.
    Markers are means over the teachers, error bars their standard errors.
    """
    if axes is None:
        _, axes = plt.subplots(1, 2, figsize=(10.0, 4.0))
    ax0, ax1 = axes
    K2 = sweep.K**2
    trials = sweep.mu.shape[2]

    def se(a):
        return a.std(axis=1, ddof=1) / np.sqrt(trials) if trials > 1 else None

    ax0.plot(sweep.r_tilde, K2 * sweep.mu_pop.mean(axis=1), "k-", label=r"population ($N\to\infty$)")
    cmap = plt.get_cmap("viridis")
    for j, n in enumerate(sweep.n_values):
        color = cmap(j / max(len(sweep.n_values) - 1, 1))
        ax0.errorbar(
            sweep.r_tilde,
            K2 * sweep.mu[j].mean(axis=1),
            yerr=None if trials < 2 else K2 * se(sweep.mu[j]),
            fmt="o--",
            capsize=2,
            color=color,
            label=f"N = {n}",
        )
        x = np.sqrt(sweep.r_tilde / n)
        frac = sweep.mu[j] / sweep.mu_pop
        ax1.errorbar(x, frac.mean(axis=1), yerr=se(frac), fmt="o", capsize=2, color=color, label=f"N = {n}")
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

    ``sweep`` is a :class:`~pruning_lab.lottery.experiments.NoiseSweep`; the line is its fitted ``slope()``.
    """
    ax = axes_or_new(ax)
    markers = "osD^v"
    cmap = plt.get_cmap("viridis")
    for lv, level in enumerate(sweep.noise_levels):
        for j, n in enumerate(sweep.n_values):
            x = np.sqrt(sweep.r_tilde / n)
            err = sweep.errors[lv, j] / level
            color = cmap(0.85 * lv / max(len(sweep.noise_levels) - 1, 1))
            ax.errorbar(
                x,
                err.mean(axis=1),
                yerr=err.std(axis=1),
                fmt=markers[j % len(markers)],
                capsize=2,
                color=color,
                markerfacecolor=color if lv == 0 else "none",
                markersize=5 + 3 * lv,
                label=rf"$\sigma/E_y={level:g}$, N = {n}",
            )
    c = sweep.slope()
    grid = np.linspace(0, np.sqrt(sweep.r_tilde.max() / sweep.n_values.min()) * 1.05, 50)
    ax.plot(grid, c * grid, "k-", label=rf"fit: error $= {c:.1f}\,(\sigma/E_y)\sqrt{{\tilde r/N}}$")
    ax.set_xlabel(r"$\sqrt{\tilde r/N}$")
    ax.set_ylabel(r"final relative error / $(\sigma/E_y)$")
    ax.legend()
    return ax


def plot_lottery_masks(sweep, *, axes=None, n_index=None):
    r"""Inaccurate masks from a :class:`~pruning_lab.lottery.experiments.InaccurateMaskSweep`.

    Left: test RMSE (relative to :math:`E_y`, mean ± s.e. over trials) against the fraction of
    weights kept, per method, at one sample size (``n_index``, default the smallest); dotted: the
    teacher's density.  Right: IMP's mean test RMSE against the fraction kept for every :math:`N`.
    """
    if axes is None:
        _, axes = plt.subplots(1, 2, figsize=(11.0, 4.2))
    ax0, ax1 = axes
    kept = 100 * sweep.widths / sweep.d
    j0 = 0 if n_index is None else int(n_index)
    for m in sweep.rmse:
        mean, se = sweep.mean_se(m)
        ax0.errorbar(
            kept, mean[j0], yerr=se[j0], fmt="o-", ms=4, capsize=2, color=LOTTERY_COLORS.get(m, "0.3"), label=m
        )
    ax0.set_title(f"N = {sweep.n_values[j0]}")
    cmap = plt.get_cmap("viridis")
    mean, se = sweep.mean_se("IMP")
    for j, n in enumerate(sweep.n_values):
        color = cmap(j / max(len(sweep.n_values) - 1, 1))
        ax1.errorbar(kept, mean[j], yerr=se[j], fmt="o-", ms=4, capsize=2, color=color, label=f"N = {n}")
    ax1.set_title("IMP at several training-set sizes")
    for ax in axes:
        ax.axvline(100 * sweep.r_star / sweep.d, color="0.5", linestyle=":", label="teacher density $r^*/d$")
        log_scale(ax, "y")
        ax.set_xlabel("weights kept (%)")
        ax.set_ylabel(r"test RMSE / $E_y$ (mean ± s.e.)")
        ax.legend(fontsize=8)
    ax0.figure.tight_layout()
    return axes


def plot_lottery_success(curves, *, ax=None):
    r"""Success rate against the swept variable, one color per curve, with the logistic fits.

    ``curves`` is a ``lottery.transition.SuccessCurves``; markers are the measured
    fractions, lines :math:`\sigma(b(x-x_{50}))` from ``lottery.transition.SuccessCurves.transitions``.
    """
    ax = axes_or_new(ax)
    cmap = plt.get_cmap("viridis")
    x = np.asarray(curves.x_values, dtype=float)
    grid = np.linspace(x.min(), x.max(), 200)
    for c, (label, fit) in enumerate(zip(curves.labels, curves.transitions())):
        color = cmap(c / max(len(curves.labels) - 1, 1))
        ax.plot(x, curves.success_rate[c], "o", ms=4, color=color, label=label)
        ax.plot(grid, 1 / (1 + np.exp(-fit.slope * (grid - fit.x50))), "-", color=color, lw=1)
    ax.set_xlabel(
        {"N": "number of samples $N$", "rel_dist": r"relative distance of the start $\lambda$"}.get(
            curves.x_name, curves.x_name
        )
    )
    ax.set_ylabel("success rate")
    ax.legend(fontsize=7)
    return ax


def plot_lottery_patterns(curves, *, slope=None, ax=None):
    r"""50% points :math:`N_{50}` (± s.e.) of overlap patterns with equal free-weight counts, against :math:`\tilde r`.

    ``curves`` is a ``lottery.transition.SuccessCurves`` of
    ``lottery.transition.pattern_sweep``.  Filled markers: one support group (overlapping);
    open: several.  Dashed: :math:`N=\sum_jr_j` (as many samples as free weights); with ``slope``,
    the line :math:`N=c\,\tilde r` that a pure :math:`\tilde r` law would follow.
    """
    ax = axes_or_new(ax)
    fits = curves.transitions()
    rt = curves.mean_r_tilde
    groups = [g for _, g in curves.config.get("patterns", [[None, 1]] * len(rt))]
    for c, fit in enumerate(fits):
        filled = groups[c] == 1
        ax.errorbar(
            rt[c],
            fit.x50,
            yerr=fit.se,
            fmt="o",
            capsize=3,
            color="#d62728",
            markerfacecolor="#d62728" if filled else "white",
        )
    ax.errorbar([], [], fmt="o", color="#d62728", label="overlapping supports")
    ax.errorbar([], [], fmt="o", color="#d62728", markerfacecolor="white", label="disjoint groups")
    grid = np.linspace(0, rt.max() * 1.1, 50)
    free = float(np.mean(curves.free_weights))
    ax.axhline(free, color="0.3", linestyle="--", label=r"$N=\sum_j r_j$ (free weights)")
    if slope is not None:
        ax.plot(grid, slope * grid, "-", color="#1f77b4", label=rf"$N={slope:.1f}\,\tilde r$ (phase-diagram fit)")
    ax.set_xlim(0, rt.max() * 1.1)
    ax.set_ylim(0, None)
    ax.set_xlabel(r"effective pruned width $\tilde r$")
    ax.set_ylabel(r"$N_{50}$ (samples for 50% success, ± s.e.)")
    ax.legend(fontsize=8)
    return ax


def plot_lottery_dimension(curves_list, *, ax=None):
    r""":math:`N_{50}` (± s.e.) against the input dimension :math:`d` (log scale), one series per sweep.

    ``curves_list``: ``lottery.transition.SuccessCurves`` of
    ``lottery.transition.dimension_sweep`` (the learner with the teacher's mask, and
    the dense learner); dashed, in the same color: each series' number of free weights.
    """
    ax = axes_or_new(ax)
    for k, curves in enumerate(curves_list):
        fits = curves.transitions()
        d_values = np.asarray(curves.config["d_values"])
        dense = curves.config.get("dense", False)
        color = ("#d62728", "#1f77b4")[k % 2]
        name = "dense learner" if dense else "learner with the teacher's mask"
        ax.errorbar(
            d_values,
            [f.x50 for f in fits],
            yerr=[f.se for f in fits],
            fmt="o-",
            capsize=3,
            color=color,
            label=rf"{name}: $N_{{50}}$ ± s.e.",
        )
        ax.plot(d_values, curves.free_weights, "--", color=color, label=f"{name}: free weights")
    ax.set_xscale("log")
    ax.set_ylim(0, None)
    ax.set_xlabel("input dimension $d$")
    ax.set_ylabel(r"$N_{50}$")
    ax.legend(fontsize=8)
    return ax


def plot_lottery_radius(curves_list, *, ax=None):
    r"""Radius :math:`\lambda_{50}` (± s.e.) against :math:`\sqrt{\tilde r/N}`, one series per sample size.

    ``curves_list``: ``lottery.transition.SuccessCurves`` of
    ``lottery.transition.radius_sweep``, one per :math:`N`.
    """
    ax = axes_or_new(ax)
    for k, curves in enumerate(curves_list):
        n = curves.config["n"]
        fits = curves.transitions()
        x = np.sqrt(curves.mean_r_tilde / n)
        ax.errorbar(
            x, [f.x50 for f in fits], yerr=[f.se for f in fits], fmt="os"[k % 2] + "-", capsize=3, label=f"N = {n}"
        )
        for xi, rt, f in zip(x, curves.mean_r_tilde, fits):
            ax.annotate(rf"$\tilde r={rt:.0f}$", (xi, f.x50), textcoords="offset points", xytext=(4, 4), fontsize=7)
    ax.set_xlabel(r"$\sqrt{\tilde r/N}$")
    ax.set_ylabel(r"radius $\lambda_{50}$ (start distance with 50% success)")
    ax.set_ylim(0, None)
    ax.legend()
    return ax
