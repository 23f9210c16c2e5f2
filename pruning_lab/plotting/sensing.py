"""Figures of the chapter :doc:`/book/matrix_sensing`."""

from __future__ import annotations

import numpy as np
from matplotlib.patches import Patch

from .style import axes_or_new, log_scale

# ------------------------------------------- chapter "Matrix sensing: group lasso makes pruning safe"
#: One color per model in the matrix-sensing figures (group-Lasso training, plain training, pruned model,
#: unpruned model, the small model trained directly, references).
SENSING_COLORS = {
    "group_lasso": "#1f77b4",
    "plain": "#d62728",
    "pruned": "#2ca02c",
    "unpruned": "#9467bd",
    "direct": "#ff7f0e",
    "reference": "#222222",
}

__all__ = [
    "SENSING_COLORS",
    "plot_column_profiles",
    "plot_finetune_curves",
    "plot_generalization_curve",
    "plot_survivor_map",
]


def plot_column_profiles(profiles, *, tau=None, floor: float = 1e-20, ax=None):
    r"""Sorted column norms :math:`\lVert Ue_i\rVert` (largest first) of each model, on a log scale.

    ``profiles`` maps a legend label to a factor ``U`` (d×k) or to its column norms; norms below
    ``floor`` are drawn at ``floor``.  ``tau`` draws the pruning threshold.  The legend counts the
    columns with at least half the largest norm.
    """
    ax = axes_or_new(ax)
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
    log_scale(ax, "y")
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
    ax = axes_or_new(ax)
    palette = [SENSING_COLORS[c] for c in ("pruned", "plain", "unpruned", "group_lasso", "reference")]
    for (label, run), color in zip(runs.items(), palette * 3):
        run, style = run if isinstance(run, tuple) else (run, "-")
        ax.plot(run.steps, run.errors, style, color=color, label=label)
    if predicted is not None:
        label, rate = predicted
        run = runs[label][0] if isinstance(runs[label], tuple) else runs[label]
        anchor = int(np.argmax(run.errors <= 1e-5))
        t = run.steps[run.errors > 1e-14]
        ax.plot(
            t,
            run.errors[anchor] * rate ** (t - run.steps[anchor]),
            ":",
            color=SENSING_COLORS["reference"],
            label=rf"predicted linear rate $\rho$ = {rate:.4f} per step",
        )
    log_scale(ax, "y")
    ax.set_xlabel("fine-tuning iteration $t$")
    ax.set_ylabel(r"recovery error $\|U_tU_t^\top - M_\star\|_F$")
    ax.legend()
    return ax


#: Legend label, color key and marker of each model of a generalization curve.
_CURVE_STYLE = {
    "pruned": ("group Lasso → prune → fine-tune", "pruned", dict(marker="o", markersize=5)),
    "direct": ("k = r columns trained directly", "direct", dict(marker="s", markersize=10, mfc="none")),
    "plain_pruned": ("no regularizer → top-r columns → fine-tune", "unpruned", dict(marker="x", markersize=8)),
    "unregularized": ("no regularizer, k columns", "plain", dict(marker="v", markersize=6)),
}


def plot_generalization_curve(curve, *, ax=None):
    r"""Root mean square error of each model against the number of measurements :math:`n` (log-log),
    with the exact asymptotic errors.

    ``curve`` is a :class:`~pruning_lab.sensing.experiments.GeneralizationCurve`: markers are the root
    mean square error over the trials (bars: two standard errors), one marker shape per model
    (group Lasso → prune → fine-tune, the :math:`r`-column model trained directly, the unregularized
    model pruned to its top :math:`r` columns and fine-tuned, the unregularized :math:`k`-column model);
    lines are :math:`\sigma\sqrt{m/n}` and :math:`\sigma\sqrt{m/(n-m-1)}` (:math:`r` columns,
    :math:`m=rd-r(r-1)/2`) and :math:`\sigma\sqrt{(m+c_k)/n}` (:math:`k` columns).
    """
    ax = axes_or_new(ax)
    for name, (label, key, marker) in _CURVE_STYLE.items():
        ax.errorbar(
            curve.ns,
            curve.rms(name),
            yerr=2 * np.nan_to_num(curve.rms_se(name)),
            linestyle="none",
            capsize=2,
            color=SENSING_COLORS[key],
            label=label,
            **marker,
        )
    black = SENSING_COLORS["reference"]
    ax.plot(curve.ns, curve.asymptotic, "--", color=black, label=r"$\sigma\sqrt{m/n}$ (r columns, asymptotic)")
    ax.plot(curve.ns, curve.asymptotic_finite, ":", color=black, label=r"$\sigma\sqrt{m/(n-m-1)}$ (r columns)")
    ax.plot(
        curve.ns,
        curve.asymptotic_k,
        "-.",
        color=SENSING_COLORS["plain"],
        label=r"$\sigma\sqrt{(m+c_k)/n}$ (k columns, asymptotic)",
    )
    log_scale(ax, "both")
    ax.set_xlabel("number of measurements $n$")
    ax.set_ylabel(r"root mean square error $\|UU^\top - M_\star\|_F$")
    ax.legend(fontsize="small", loc="upper left", bbox_to_anchor=(1.01, 1.0))
    return ax


def plot_survivor_map(smap, *, ax=None):
    r"""Surviving columns over the :math:`(\lambda,\beta)` grid of a
    :class:`~pruning_lab.sensing.experiments.SurvivorMap`.

    Cells: green = exactly :math:`r` (pruning is safe), orange = fewer (directions lost), blue = more
    (not prunable to :math:`r`); the number is the count.  Lines: :math:`\lambda/\sqrt\beta=4(\sigma^\star_r)^2`
    (below it a missing direction is a strict saddle), :math:`4(\sigma^\star_1)^2` (above it :math:`U=0`
    is a local minimum) and the step-size limit :math:`2\sqrt\beta/\eta`.
    """
    from matplotlib.colors import ListedColormap

    ax = axes_or_new(ax)
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
    for which, style, label in (
        ("saddle", "-", r"$\lambda/\sqrt{\beta}=4(\sigma^\star_r)^2$"),
        ("zero", "--", r"$\lambda/\sqrt{\beta}=4(\sigma^\star_1)^2$"),
        ("stability", ":", r"$\lambda/\sqrt{\beta}=2/\eta$"),
    ):
        factor = smap.boundary(which)[0] / np.sqrt(smap.betas[0])
        ax.plot(x_of(np.log10(factor * np.sqrt(beta_fine))), y_of(fine), style, color="k", linewidth=1.2, label=label)
    ax.set_xlim(-0.5, counts.shape[1] - 0.5)
    ax.set_ylim(-0.5, counts.shape[0] - 0.5)
    ax.set_xticks(range(smap.lams.size), [f"{v:.2g}" for v in smap.lams])
    ax.set_yticks(range(smap.betas.size), [f"{v:.0e}" for v in smap.betas])
    ax.set_xlabel(r"regularization strength $\lambda$")
    ax.set_ylabel(r"smoothing $\beta$")
    handles, _ = ax.get_legend_handles_labels()
    patches = [
        Patch(facecolor=c, edgecolor="0.5", label=t)
        for c, t in zip(
            colors, ("0 columns", f"1 to {smap.r - 1} columns", f"exactly r = {smap.r}", f"more than {smap.r}")
        )
    ]
    ax.legend(handles=handles + patches, loc="upper left", bbox_to_anchor=(1.01, 1.0))
    ax.grid(False)
    return ax
