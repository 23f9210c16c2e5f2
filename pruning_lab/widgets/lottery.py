"""Interactive panel of the chapter :doc:`/book/lottery_tickets` (mirrors :mod:`pruning_lab.plotting.lottery`)."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np

from ..lottery import agd_pruned_batch, empirical_rate, init_at_distance, make_teacher, relative_error
from .panel import controls_panel

__all__ = ["lottery_figure", "lottery_panel"]


def lottery_figure(
    r: int = 30,
    n: int = 250,
    *,
    d: int = 100,
    K: int = 5,
    trials: int = 4,
    max_iter: int = 1500,
    seed: int = 0,
    ax=None,
):
    r"""Algorithm 1 on ``trials`` pruned teachers of width ``r`` with ``n`` samples: error histories of GD and AGD.

    Each trial draws a teacher (equal widths, overlapping supports, so
    :math:`\tilde r=r`), ``n`` noiseless samples and a start at relative
    distance 0.1, then runs :func:`~pruning_lab.lottery.train.agd_pruned` with
    :math:`\eta=1/\hat L` and :math:`\beta\in\{0,0.2\}`.  The dotted line is the
    success threshold :math:`10^{-4}`.  Returns ``{"GD": (success rate, mean rate), "AGD": (...)}``.
    Used in the chapter :doc:`/book/lottery_tickets` (through :func:`lottery_panel`).

    Parameters
    ----------
    r : int
        Width of every teacher neuron, in ``1..d``.
    n : int
        Number of samples :math:`N\ge1`.
    d : int
        Input dimension.
    K : int
        Number of hidden neurons.
    trials : int
        Independent problems (teacher, data, start), seeded by ``[seed, 6, r, n, t]``.
    max_iter : int
        Maximum number of iterations of each run (runs also stop at a relative step below
        :math:`10^{-8}`).
    seed : int
        Base seed of the problems.
    ax : matplotlib.axes.Axes, optional
        Axes to draw on (default: a new 7 × 4 inch figure).

    Returns
    -------
    dict
        ``{"GD": (success rate, mean rate), "AGD": (success rate, mean rate)}``: the fraction of trials
        with relative error below :math:`10^{-4}` and the mean fitted rate :math:`\hat\nu`
        (:func:`~pruning_lab.lottery.train.empirical_rate`).
    """
    if not 1 <= r <= d:
        raise ValueError(f"r must lie in 1..d = 1..{d}, got {r}")
    if n < 1:
        raise ValueError(f"n (number of samples) must be >= 1, got {n}")
    rngs = [np.random.default_rng([seed, 6, r, n, t]) for t in range(trials)]
    teachers = [make_teacher(d, K, int(r), rng=g) for g in rngs]
    data = [T.sample(int(n), g) for T, g in zip(teachers, rngs)]
    W0 = np.stack([init_at_distance(T.weights, T.mask, 0.1, g) for T, g in zip(teachers, rngs)])
    X, y = np.stack([D[0] for D in data]), np.stack([D[1] for D in data])
    masks, W_star = np.stack([T.mask for T in teachers]), np.stack([T.weights for T in teachers])
    if ax is None:
        _, ax = plt.subplots(figsize=(7.0, 4.0))
    summary = {}
    for label, beta, color in (("GD", 0.0, "#1f77b4"), ("AGD", 0.2, "#d62728")):
        res = agd_pruned_batch(X, y, masks, W0, beta=beta, max_iter=max_iter, W_ref=W_star)
        for t, rr in enumerate(res):
            ax.semilogy(rr.errors, color=color, alpha=0.7, label=f"{label} (β = {beta:g})" if t == 0 else None)
        ok = [relative_error(rr.weights, T.weights) < 1e-4 for rr, T in zip(res, teachers)]
        rates = [empirical_rate(rr.errors).nu for rr in res]
        summary[label] = (float(np.mean(ok)), float(np.mean(rates)))
    ax.axhline(1e-4, color="0.4", linestyle=":", label="success threshold $10^{-4}$")
    ax.set_xlabel("iteration $t$")
    ax.set_ylabel("relative error")
    ax.set_title(
        f"r̃ = {r}, N = {n} (N / K r̃ = {n / (K * r):.2f}): success GD {summary['GD'][0]:.0%}, "
        f"AGD {summary['AGD'][0]:.0%}",
        fontsize=10,
    )
    ax.legend()
    return summary


def lottery_panel(r: int = 30, n: int = 250, **kwargs):
    """Sliders over the width r̃ and the number of samples N, redrawing :func:`lottery_figure`."""
    import ipywidgets as widgets

    r_slider = widgets.IntSlider(value=r, min=5, max=60, step=5, description="width r̃", continuous_update=False)
    n_slider = widgets.IntSlider(value=n, min=50, max=1000, step=50, description="samples N", continuous_update=False)
    return controls_panel(lottery_figure, {"r": r_slider, "n": n_slider}, **kwargs)
