"""Interactive panel of the chapter :doc:`/book/lasso_to_sapp`: which groups survive a penalty λ."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np

from ..plotting.sparse import SPARSE_COLORS, plot_group_lasso_path
from .panel import controls_panel

__all__ = ["group_lasso_figure", "group_lasso_panel"]


def group_lasso_figure(
    lam_fraction: float = 0.3,
    rho: float = 0.3,
    *,
    n: int = 300,
    n_groups: int = 20,
    group_size: int = 3,
    s_star: int = 4,
    noise: float = 0.1,
    seed: int = 0,
    n_lams: int = 40,
):
    r"""The group LASSO at :math:`\lambda=` ``lam_fraction`` :math:`\cdot\lambda_{\max}` on a planted problem (X1).

    Draws :func:`pruning_lab.sparse.experiments.equicorrelated_problem` (``n_groups`` groups of
    ``group_size`` features, pairwise correlation ``rho``, ``s_star`` planted groups), then solves
    :math:`\min_\beta\frac1{2n}\lVert y-X\beta\rVert^2+\lambda\sum_i\lVert\beta\vert_{T_i}\rVert_2`
    along the path (:func:`pruning_lab.sparse.group_lasso_path`) and at the chosen :math:`\lambda`
    (:func:`pruning_lab.sparse.group_lasso`).  Left: the path, with the chosen :math:`\lambda`.
    Right: the group norms at that :math:`\lambda` (planted groups dark).  Returns a dict with the
    surviving groups, how many of them are planted, and the test of Theorem 3.A (the first group
    to enter has the largest gradient norm at zero).  About one second.  Used in the chapter
    :doc:`/book/lasso_to_sapp` (through :func:`group_lasso_panel`).

    Parameters
    ----------
    lam_fraction : float
        :math:`\lambda/\lambda_{\max}\in(0,1]`.
    rho : float
        Pairwise correlation of the features, in [0, 1).
    n : int
        Number of observations.
    n_groups : int
        Number of groups.
    group_size : int
        Features per group.
    s_star : int
        Number of planted groups, in ``0..n_groups``.
    noise : float
        Noise standard deviation, ``>= 0``.
    seed : int
        Seed of the problem.
    n_lams : int
        Number of :math:`\lambda` values of the path, from :math:`\lambda_{\max}` down to
        ``min(1e-2, lam_fraction)`` :math:`\cdot\lambda_{\max}`.

    Returns
    -------
    dict
        ``"survivors"`` (tuple of the active groups at :math:`\lambda`), ``"planted_survivors"`` (how
        many of them are planted) and ``"first_entry_is_largest_gradient"`` (bool).
    """
    from ..sparse import group_lasso, group_lasso_path, group_norms, lambda_max
    from ..sparse.experiments import equicorrelated_problem

    if not 0 < lam_fraction <= 1:
        raise ValueError(f"lam_fraction must lie in (0, 1] (a fraction of lambda_max), got {lam_fraction}")
    problem = equicorrelated_problem(n, n_groups, s_star, group_size=group_size, rho=rho, noise=noise, rng=seed)
    X, y, groups = problem.X, problem.y, problem.groups
    lmax = lambda_max(X, y, groups)
    path = group_lasso_path(X, y, groups, n_lams=n_lams, eps=min(1e-2, lam_fraction))
    fit = group_lasso(X, y, lam_fraction * lmax, groups)
    norms = group_norms(fit.weights, groups)
    grad0 = group_norms(X.T @ y / X.shape[0], groups)

    fig, (left, right) = plt.subplots(1, 2, figsize=(11.0, 4.0))
    plot_group_lasso_path(path, groups, planted=problem.support, lam=lam_fraction * lmax, ax=left)
    planted = np.isin(np.arange(norms.size), problem.support)
    right.bar(np.arange(norms.size), norms, color=np.where(planted, SPARSE_COLORS["planted"], SPARSE_COLORS["other"]))
    right.set_xlabel("group $i$ (planted: dark)")
    right.set_ylabel(r"$\|\beta^\lambda|_{T_i}\|_2$")
    survivors = tuple(int(i) for i in fit.active)
    hits = int(np.isin(survivors, problem.support).sum())
    right.set_title(f"λ = {lam_fraction:.3g} λ_max: {len(survivors)} groups survive, {hits} of {s_star} planted")
    fig.tight_layout()
    first = path.entry_order[0] if path.entry_order else None
    return {
        "survivors": survivors,
        "planted_survivors": hits,
        "first_entry_is_largest_gradient": first == int(np.argmax(grad0)),
    }


def group_lasso_panel(lam_fraction: float = 0.3, rho: float = 0.3, **kwargs):
    """Sliders over :math:`\\lambda/\\lambda_{\\max}` (log scale) and the correlation, redrawing
    :func:`group_lasso_figure`."""
    import ipywidgets as widgets

    lam_slider = widgets.FloatLogSlider(
        value=lam_fraction, base=10, min=-2, max=0, step=0.05, description="λ/λ_max", continuous_update=False
    )
    rho_slider = widgets.FloatSlider(
        value=rho, min=0.0, max=0.9, step=0.1, description="correlation ρ", continuous_update=False
    )
    return controls_panel(group_lasso_figure, {"lam_fraction": lam_slider, "rho": rho_slider}, **kwargs)
