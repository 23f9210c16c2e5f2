"""Figures of the chapter :doc:`/book/lasso_to_sapp`."""

from __future__ import annotations

import matplotlib as mpl
import numpy as np

from ..validation import check_nonnegative
from .style import axes_or_new, log_scale

__all__ = [
    "SPARSE_COLORS",
    "plot_block_pruning",
    "plot_block_recovery",
    "plot_group_lasso_path",
    "plot_mask_penalties",
    "plot_objective_vs_sparsity",
    "plot_rank_sweep",
    "plot_robust_sweep",
    "plot_sparsity_tradeoff",
]

#: One color per method in the sparse-optimization figures.
SPARSE_COLORS = {
    "omp": "#1f77b4",
    "ompr": "#2ca02c",
    "iht": "#d62728",
    "regiht": "#9467bd",
    "greedy": "#1f77b4",
    "local_search": "#2ca02c",
    "svp": "#d62728",
    "soft_impute": "#ff7f0e",
    "magnitude": "#7f7f7f",
    "sapp": "#d62728",
    "planted": "#222222",
    "other": "#bbbbbb",
}


def plot_group_lasso_path(path, groups=None, *, planted=(), lam=None, ax=None):
    r"""Group norms :math:`\lVert\beta^\lambda\vert_{T_i}\rVert_2` along a group LASSO path, against
    :math:`\lambda/\lambda_{\max}`.

    ``path`` is a :class:`~pruning_lab.sparse.lasso.GroupLassoPath`; ``groups`` its partition
    (``None``: singleton groups).  Planted groups (``planted``) are drawn in color and labelled
    with their entry rank along the path, the others in grey; ``lam`` marks one value of
    :math:`\lambda` with a vertical line.  The x axis is logarithmic and decreasing, so groups
    enter from the left in the order of Theorem 3.A.
    """
    ax = axes_or_new(ax)
    W = np.asarray(path.weights)
    p = W.shape[1]
    members = [np.array([j]) for j in range(p)] if groups is None else [np.asarray(g) for g in groups]
    norms = np.stack([np.linalg.norm(W[:, g], axis=1) for g in members], axis=1)
    lmax = float(path.lams[0])
    x = np.asarray(path.lams) / lmax
    planted = {int(i) for i in planted}
    order = {g: r + 1 for r, g in enumerate(path.entry_order)}
    cmap = mpl.colormaps["tab10"]
    for i in range(norms.shape[1]):
        if i in planted:
            rank = order.get(i)
            label = f"planted group {i}" + (f" (enters {rank}.)" if rank else " (never enters)")
            ax.plot(x, norms[:, i], color=cmap(len([j for j in planted if j < i]) % 10), label=label)
        else:
            ax.plot(x, norms[:, i], color=SPARSE_COLORS["other"], linewidth=1.0, zorder=1)
    ax.plot([], [], color=SPARSE_COLORS["other"], label="other groups")
    if lam is not None:
        ax.axvline(
            lam / lmax,
            color="0.3",
            linestyle="--",
            linewidth=1,
            label=rf"$\lambda/\lambda_{{\max}}$ = {lam / lmax:.3g}",
        )
    log_scale(ax, "x")
    ax.invert_xaxis()
    ax.set_xlabel(r"penalty $\lambda/\lambda_{\max}$ (decreasing →)")
    ax.set_ylabel(r"group norm $\|\beta^\lambda|_{T_i}\|_2$")
    ax.legend()
    return ax


_METHOD_LABELS = {
    "omp": "OMP",
    "ompr": "OMPR",
    "iht": "IHT",
    "regiht": "regularized IHT (our variant)",
    "greedy": "greedy rank-1 + refit",
    "local_search": "local search",
    "svp": "SVP",
    "soft_impute": "soft-impute",
    "magnitude": "block magnitude + fine-tune",
    "sapp": "SA++",
}


def _method_style(name):
    return SPARSE_COLORS.get(name, "#555555"), _METHOD_LABELS.get(name, name)


def plot_objective_vs_sparsity(curves, *, ax=None, floor: float = 1e-12):
    r"""Excess objective :math:`l(x_s)-l(x^*)` of each method against the sparsity :math:`s` (experiment X2).

    ``curves`` is an :class:`~pruning_lab.sparse.experiments.ObjectiveCurves`; values below ``floor``
    (the planted fit is reached) are drawn at ``floor`` on the logarithmic axis.
    """
    ax = axes_or_new(ax)
    markers = "osD^v"
    for (name, values), marker in zip(curves.objective.items(), markers * 2):
        color, label = _method_style(name)
        ax.plot(
            curves.s_values,
            np.maximum(np.asarray(values) - curves.f_star, floor),
            marker=marker,
            color=color,
            label=label,
            markerfacecolor="none",
        )
    log_scale(ax, "y")
    ax.set_xlabel("sparsity $s$ (groups kept)")
    ax.set_ylabel(r"excess objective $l(x_s)-l(x^*)$")
    ax.legend()
    return ax


def plot_sparsity_tradeoff(tradeoff, *, axes=None, eps: float = 1e-4, floor: float = 1e-12):
    r"""Excess objective against :math:`s` for each coherence level of a sparsity trade-off (experiment X3).

    One panel per level of :class:`~pruning_lab.sparse.experiments.SparsityTradeoff`, titled with the
    restricted condition number :math:`\hat\kappa_{2s^*}`; the dashed line is the tolerance ``eps``.
    """
    import matplotlib.pyplot as plt

    levels = np.asarray(tradeoff.levels)
    if axes is None:
        _, axes = plt.subplots(1, levels.size, figsize=(3.6 * levels.size, 3.6), sharey=True)
    axes = np.atleast_1d(axes)
    for i, ax in enumerate(axes):
        for name, values in tradeoff.excess.items():
            color, label = _method_style(name)
            ax.plot(
                tradeoff.s_values,
                np.maximum(values[i], floor),
                "o-",
                color=color,
                label=label,
                markersize=3,
                markerfacecolor="none",
            )
        ax.axhline(eps, color="0.4", linestyle="--", linewidth=1)
        log_scale(ax, "y")
        ax.set_title(rf"coherence $\gamma$ = {levels[i]:.2g}, $\hat\kappa_{{2s^*}}$ ≈ {tradeoff.kappa[i]:.0f}")
        ax.set_xlabel("sparsity $s$")
    axes[0].set_ylabel(r"excess objective $l(x_s)-l(x^*)$")
    axes[0].legend()
    return axes


def plot_mask_penalties(a_max: float = 3.0, *, ax=None):
    r"""The penalty on a group of norm :math:`a` induced by each mask parametrization (SA++ §2).

    With the weight penalty :math:`\lambda(w_i^2+\lVert\beta\vert_{T_i}\rVert^2)` on a mask :math:`w_i` and
    the group :math:`\beta\vert_{T_i}`, minimizing over the factorization of :math:`u=` mask · group
    leaves :math:`\lambda` times: :math:`2a` for the plain mask (group LASSO, Hoff's identity),
    :math:`q(a)=\frac14W(2a^2)^2+\frac12W(2a^2)` for the unnormalized softmax mask :math:`e^{w_i}`
    (Lemma 2.1), and :math:`\frac32 2^{1/3}a^{2/3}` for an :math:`\ell_1` penalty :math:`\lvert w_i\rvert`
    on the mask (Lemma 2.2); group Powerpropagation gives :math:`a` (Lemma 2.3).  Computed by
    :mod:`pruning_lab.sparse.regularizers`.
    """
    from ..sparse.regularizers import q_l1_mask, q_softmax_logsum

    a_max = check_nonnegative(a_max, "a_max")
    if a_max == 0:
        raise ValueError("a_max (right end of the plotted range) must be > 0")
    ax = axes_or_new(ax)
    a = np.linspace(0.0, a_max, 301)
    ax.plot(a, 2 * a, color="#1f77b4", label=r"plain mask: $2a$ (group LASSO)")
    ax.plot(a, a, color="#1f77b4", linestyle=":", label=r"group Powerprop: $a$ (group LASSO)")
    ax.plot(a, q_softmax_logsum(a), color="#d62728", label=r"softmax mask $q(a)$")
    ax.plot(a, q_l1_mask(a), color="#2ca02c", label=r"$\ell_1$ on the mask: $\frac{3}{2} 2^{1/3}a^{2/3}$")
    ax.set_xlabel(r"group norm $a=\|u|_{T_i}\|_2$")
    ax.set_ylabel("penalty")
    ax.legend()
    return ax


def plot_block_pruning(results, *, ax=None, dense_accuracy=None, x="sparsity"):
    r"""Test accuracy against sparsity for each block-pruning method: mean ± s.e. over seeds.

    ``results`` is the list returned by :func:`pruning_lab.nn.block_pruning.block_prune_experiment`
    (objects with ``method``, ``sparsity``, ``test_accuracy``) or the records of
    :func:`pruning_lab.nn.block_sweeps.mnist_block_sweep` (dicts with those keys and
    ``overall_sparsity``); ``"dense"`` runs are skipped.  Error bars are the standard error
    :math:`\mathrm{std}_{\rm ddof=1}/\sqrt{n}` over seeds (none for a single seed).  ``x="sparsity"``
    puts the block sparsity of the pruned layer on the horizontal axis; ``x="overall_sparsity"``
    the fraction of all weights removed.  ``dense_accuracy`` (a number) draws the unpruned network as a
    horizontal line.  Returns the axes.
    """
    ax = axes_or_new(ax)
    if x not in ("sparsity", "overall_sparsity"):
        raise ValueError(f"x must be 'sparsity' or 'overall_sparsity', got {x!r}")
    labels = {**_METHOD_LABELS, "acdc": "ACDC", "sapp_norm": "SA++ schedule, norm scores (ablation)"}
    colors = {**SPARSE_COLORS, "acdc": "#1f77b4", "sapp_norm": "#ff7f0e"}
    rows = [r if isinstance(r, dict) else vars(r) for r in results]
    rows = [r for r in rows if r["method"] != "dense"]
    for k, method in enumerate(dict.fromkeys(r["method"] for r in rows)):
        mine = [r for r in rows if r["method"] == method]
        s = sorted({r["sparsity"] for r in mine})
        acc = [np.array([r["test_accuracy"] for r in mine if r["sparsity"] == v]) for v in s]
        xs = [np.mean([r[x] for r in mine if r["sparsity"] == v]) for v in s]
        se = [a.std(ddof=1) / np.sqrt(a.size) if a.size > 1 else 0.0 for a in acc]
        ax.errorbar(
            100 * np.array(xs) + 0.15 * (k - 1.5),
            [100 * a.mean() for a in acc],
            yerr=100 * np.array(se) if max(a.size for a in acc) > 1 else None,
            marker="o",
            capsize=3,
            color=colors.get(method, "#555555"),
            label=labels.get(method, method),
        )
    if dense_accuracy is not None:
        ax.axhline(100 * dense_accuracy, color="0.3", linestyle="--", linewidth=1, label="dense network")
    xl = "block sparsity of the pruned layer (%)" if x == "sparsity" else "overall weight sparsity (%)"
    ax.set_xlabel(xl)
    ax.set_ylabel("test accuracy (%)")
    ax.legend()
    return ax


def plot_block_recovery(records, *, ax=None, metric="recovery"):
    r"""Bar chart of a teacher-recovery metric per method: mean ± s.e. over seeds, each seed a dot.

    ``records`` are the dicts of :func:`pruning_lab.nn.block_sweeps.teacher_recovery_experiment`
    (keys ``method``, ``seed`` and ``metric``); s.e. :math:`=\mathrm{std}_{\rm ddof=1}/\sqrt n`.
    Used in the chapter :doc:`/book/lasso_to_sapp`.  Returns the axes.
    """
    ax = axes_or_new(ax)
    labels = {
        "magnitude": "magnitude",
        "acdc": "ACDC",
        "sapp": "SA++",
        "sapp_norm": "SA++ plan,\nnorm scores",
        "sapp_slow_logits": "SA++, logit\nlr / 10",
    }
    methods = list(dict.fromkeys(r["method"] for r in records))
    for i, m in enumerate(methods):
        v = np.array([r[metric] for r in records if r["method"] == m])
        se = v.std(ddof=1) / np.sqrt(v.size) if v.size > 1 else 0.0
        ax.bar(i, v.mean(), yerr=se, capsize=4, color="#cccccc", edgecolor="0.3")
        ax.plot(i + np.linspace(-0.2, 0.2, v.size), v, "o", color="0.2", markersize=3)
    ax.set_xticks(range(len(methods)), [labels.get(m, m) for m in methods])
    ax.set_ylabel("fraction of the teacher's blocks kept" if metric == "recovery" else metric)
    return ax


def plot_rank_sweep(
    sweep,
    *,
    ax=None,
    methods=("greedy", "local_search", "greedy_factors", "local_search_factors", "svp", "soft_impute"),
):
    r"""Held-out RMSE against the target rank for each rank-constrained method (experiment X8).

    ``sweep`` is the dict of :func:`pruning_lab.lowrank.completion_rank_sweep`; the dashed line is its
    oracle noise floor.  Methods refitted only on their core are drawn dotted, with the factor refit solid.
    """
    ax = axes_or_new(ax)
    labels = {
        "greedy": "greedy (core refit)",
        "local_search": "local search (core refit)",
        "greedy_factors": "greedy (factor refit)",
        "local_search_factors": "local search (factor refit)",
        "svp": "SVP",
        "soft_impute": "soft-impute (rank-capped)",
    }
    for name in methods:
        base = name.removesuffix("_factors")
        style = ":" if name in ("greedy", "local_search") else "-"
        ax.plot(
            sweep["ranks"],
            sweep[name],
            style,
            marker="o",
            color=SPARSE_COLORS[base],
            label=labels[name],
            markerfacecolor="none",
        )
    ax.axhline(float(sweep["noise_floor"]), color="0.3", linestyle="--", linewidth=1, label="oracle noise floor")
    log_scale(ax, "y")
    ax.set_xlabel("target rank $r$")
    ax.set_ylabel("held-out RMSE")
    ax.legend()
    return ax


def plot_robust_sweep(sweep, *, ax=None):
    r"""Held-out RMSE against the target rank of local search with the squared and the Huber loss, under outliers.

    ``sweep`` is the dict of :func:`pruning_lab.lowrank.robust_completion_sweep`; the tuned-ridge
    squared-loss baseline is drawn dashed and the trivial fit :math:`A=0` dotted, when present.
    """
    ax = axes_or_new(ax)
    ax.plot(sweep["ranks"], sweep["squared"], "o-", color=SPARSE_COLORS["svp"], label="squared loss")
    if "squared_ridge" in sweep:
        ax.plot(
            sweep["ranks"], sweep["squared_ridge"], "^--", color=SPARSE_COLORS["svp"],
            label="squared loss + tuned ridge",
        )  # fmt: skip
    if "zero_matrix" in sweep:
        ax.axhline(float(sweep["zero_matrix"]), color="0.6", linestyle=":", linewidth=1, label="predict 0")
    ax.plot(
        sweep["ranks"],
        sweep["huber"],
        "s-",
        color=SPARSE_COLORS["local_search"],
        label=rf"Huber loss ($\delta$ = {float(sweep['delta']):.3g})",
    )
    ax.axhline(float(sweep["noise_floor"]), color="0.3", linestyle="--", linewidth=1, label="oracle noise floor")
    log_scale(ax, "y")
    ax.set_xlabel("target rank $r$")
    ax.set_ylabel("held-out RMSE")
    ax.legend()
    return ax
