"""Figures of the chapter "From LASSO to Sequential Attention++"."""

from __future__ import annotations

import matplotlib as mpl
import numpy as np

from .style import _axes

__all__ = ["SPARSE_COLORS", "plot_group_lasso_path"]

#: One color per method in the sparse-optimization figures.
SPARSE_COLORS = {"omp": "#1f77b4", "ompr": "#2ca02c", "iht": "#d62728", "regiht": "#9467bd",
                 "greedy": "#1f77b4", "local_search": "#2ca02c", "svp": "#d62728", "soft_impute": "#ff7f0e",
                 "magnitude": "#7f7f7f", "sapp": "#d62728", "planted": "#222222", "other": "#bbbbbb"}


def plot_group_lasso_path(path, groups=None, *, planted=(), lam=None, ax=None):
    r"""Group norms :math:`\lVert\beta^\lambda\vert_{T_i}\rVert_2` along a group LASSO path, against :math:`\lambda/\lambda_{\max}`.

    ``path`` is a :class:`~pruning_lab.sparse.lasso.GroupLassoPath`; ``groups`` its partition
    (``None``: singleton groups).  Planted groups (``planted``) are drawn in color and labelled
    with their entry rank along the path, the others in grey; ``lam`` marks one value of
    :math:`\lambda` with a vertical line.  The x axis is logarithmic and decreasing, so groups
    enter from the left in the order of Theorem 3.A.
    """
    ax = _axes(ax)
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
        ax.axvline(lam / lmax, color="0.3", linestyle="--", linewidth=1, label=rf"$\lambda/\lambda_{{\max}}$ = {lam / lmax:.3g}")
    ax.set_xscale("log")
    ax.invert_xaxis()
    ax.set_xlabel(r"penalty $\lambda/\lambda_{\max}$ (decreasing →)")
    ax.set_ylabel(r"group norm $\|\beta^\lambda|_{T_i}\|_2$")
    ax.legend()
    return ax
