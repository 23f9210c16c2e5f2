r"""Where recovery starts to succeed: logistic estimates of a transition, and the sweeps that locate it.

The chapter :doc:`/book/lottery_tickets` asks *which* quantity sets the number of samples that
Algorithm 1 needs: the effective pruned width :math:`\tilde r` (eq. 5 of :cite:`zhang2021lottery`),
the number of free (unpruned) weights :math:`\sum_jr_j`, or the input dimension :math:`d`; and how
far from the truth a start may be (the radius of the paper's Fig. 2).  Each question is a success
curve: the fraction of independent problems (teacher, mask, data, start) that Algorithm 1 solves to
relative error below :math:`10^{-4}`, against a swept variable :math:`x` (the sample size
:math:`N`, or the start's relative distance :math:`\lambda`).  Its 50% point :math:`x_{50}` is
estimated by a logistic fit,

.. math::
    \Pr[\text{success}\mid x]=\sigma\big(b\,(x-x_{50})\big),\qquad \sigma(z)=\frac1{1+e^{-z}},

by maximum likelihood over all trials, with the standard error of :math:`x_{50}` from the Fisher
information (:func:`logistic_transition`).  The sweeps (:func:`pattern_sweep`,
:func:`dimension_sweep`, :func:`radius_sweep`) are seeded like those of
:mod:`pruning_lab.lottery.experiments`: trial ``t`` of a cell has its own generator, seeded from the
cell's values, so a cell gives the same numbers whatever grid it is part of.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from scipy.optimize import minimize
from tqdm.auto import tqdm

from ..validation import check_array, check_int_array, check_nonnegative
from .model import _check_int, make_teacher, r_tilde
from .train import PAPER_BETA, agd_pruned_batch, init_at_distance, relative_error

__all__ = [
    "SuccessCurves",
    "Transition",
    "dimension_sweep",
    "logistic_transition",
    "pattern_sweep",
    "radius_sweep",
    "success_cell",
]


@dataclass(frozen=True)
class Transition:
    r"""A fitted transition: 50% point ``x50`` with standard error ``se``, logistic slope ``slope`` (:math:`b`).

    ``at_bound`` is true when the fitted slope hit its upper bound (the data jump from failure to
    success between two neighbouring grid points); ``se`` is then conditional on that slope.
    """

    x50: float
    se: float
    slope: float
    at_bound: bool


def _neg_loglik(theta, x, k, n, sign):
    x50, c = theta
    z = sign * np.exp(c) * (x - x50)
    # log p = -log(1+e^{-z}), log(1-p) = -log(1+e^{z})
    return float(np.sum(k * np.logaddexp(0.0, -z) + (n - k) * np.logaddexp(0.0, z)))


def logistic_transition(x, successes, trials, *, decreasing: bool = False, max_slope=None) -> Transition:
    r"""Maximum-likelihood 50% point :math:`x_{50}` of :math:`\Pr[\text{success}]=\sigma(b(x-x_{50}))`, with its s.e.

    ``x``: the swept values; ``successes[i]`` of ``trials[i]`` problems succeeded at ``x[i]``.
    ``decreasing=True`` fits a curve that falls with :math:`x` (:math:`b<0`, e.g. success against
    the start's distance).  The slope :math:`|b|` is bounded by ``max_slope`` (default
    :math:`4/\min\Delta x`: the curve may rise from 12% to 88% within one grid step), which keeps the
    estimate finite when the data separate perfectly.  The standard error is
    :math:`\sqrt{(I^{-1})_{11}}` for the Fisher information
    :math:`I=\sum_i n_ip_i(1-p_i)\,g_ig_i^\top`, :math:`g_i=\partial\,\mathrm{logit}\,p_i/\partial(x_{50},b)
    =(-b,\;x_i-x_{50})`; at the slope bound, the larger of :math:`1/\sqrt{I_{11}}` and
    :math:`\Delta x/\sqrt{12}` for the grid step :math:`\Delta x` that holds :math:`x_{50}` (a point known
    only to lie within one step).
    """
    x = check_array(x, "x", ndim=1)
    k = check_array(successes, "successes", shape=x.shape)
    n = check_array(trials, "trials", shape=x.shape)
    if x.size < 2 or np.unique(x).size < 2:
        raise ValueError("x must hold at least two distinct values")
    if np.any(n <= 0) or np.any(k < 0) or np.any(k > n):
        raise ValueError("trials must be positive and successes must lie in 0..trials")
    sign = -1.0 if decreasing else 1.0
    span = float(x.max() - x.min())
    if max_slope is None:
        max_slope = 4.0 / float(np.min(np.diff(np.unique(x))))
    max_slope = check_nonnegative(max_slope, "max_slope")
    if max_slope == 0:
        raise ValueError("max_slope must be > 0")
    bounds = [(x.min() - span, x.max() + span), (np.log(max_slope) - 20.0, np.log(max_slope))]
    # a coarse grid first (the likelihood has flat regions where a local method stalls), then refine
    grid = [(a, c) for a in np.linspace(x.min(), x.max(), 101) for c in np.log(max_slope) - np.arange(0.0, 8.0, 0.5)]
    theta0 = np.array(min(grid, key=lambda th: _neg_loglik(th, x, k, n, sign)))
    fit = minimize(_neg_loglik, theta0, args=(x, k, n, sign), method="L-BFGS-B", bounds=bounds)
    x50, c = fit.x
    b = sign * np.exp(c)
    p = 1.0 / (1.0 + np.exp(-b * (x - x50)))
    w = n * p * (1 - p)
    g = np.stack([np.full_like(x, -b), x - x50])
    info = (g * w) @ g.T
    at_bound = bool(c >= np.log(max_slope) - 1e-6)
    if at_bound or np.linalg.cond(info) > 1e12:
        # the data jump between neighbouring grid points: x50 is anywhere in that step (uniform: step/sqrt(12))
        ux = np.unique(x)
        step = float(np.diff(ux)[min(max(np.searchsorted(ux, x50) - 1, 0), ux.size - 2)])
        se = max(1.0 / np.sqrt(max(info[0, 0], 1e-300)), step / np.sqrt(12.0))
    else:
        se = float(np.sqrt(max(np.linalg.inv(info)[0, 0], 0.0)))
    return Transition(float(x50), float(se), float(b), at_bound)


def _rng(seed: int, tag: int, *keys) -> np.random.Generator:
    return np.random.default_rng(
        [seed, tag, *(int(round(k * 1_000_000)) if isinstance(k, float) else int(k) for k in keys)]
    )


def success_cell(
    d: int,
    K: int,
    widths,
    n: int,
    *,
    groups: int = 1,
    rel_dist: float = 0.1,
    trials: int = 20,
    beta: float = PAPER_BETA,
    max_iter: int = 3000,
    tol: float = 1e-8,
    seed: int = 0,
    tag: int = 6,
    dense: bool = False,
) -> tuple[np.ndarray, np.ndarray]:
    r"""Final relative errors and :math:`\tilde r` of ``trials`` independent problems of one cell.

    Each problem draws a teacher with the given neuron ``widths`` :math:`r_j` and overlap pattern
    (``groups``, see :func:`~pruning_lab.lottery.model.make_teacher`), :math:`N=` ``n`` noiseless
    samples and a start at relative distance ``rel_dist`` inside the oracle mask, and runs
    Algorithm 1 (:math:`\eta=1/\hat L`, momentum ``beta``) until the relative step is below ``tol`` or
    ``max_iter`` steps.  Trial ``t`` uses the generator seeded with
    ``[seed, tag, d, K, *widths, groups, n, rel_dist, t]``.  With ``dense``, the learner is the dense
    network instead (mask of all ones, :math:`\tilde r=d`), on the same teachers and data.  Used in the
    chapter :doc:`/book/lottery_tickets`.

    Parameters
    ----------
    d : int
        Input dimension.
    K : int
        Number of neurons.
    widths : sequence of K ints
        Widths :math:`r_j` of the teacher's (and learner's) neurons.
    n : int
        Number of samples :math:`N`.
    groups : int
        Overlap pattern, ``1..K`` (1: shared supports; ``K``: pairwise disjoint).
    rel_dist : float
        Relative distance :math:`\lambda` of the start from :math:`W^*`.
    trials : int
        Number of independent problems.
    beta : float
        Momentum of Algorithm 1.
    max_iter : int
        Step budget.
    tol : float
        Stopping tolerance on the relative step.
    seed : int
        Base seed.
    tag : int
        Experiment tag in the seed (one per sweep).
    dense : bool
        Train the dense learner (all :math:`dK` weights, started at relative distance ``rel_dist``)
        instead of the learner with the teacher's mask.

    Returns
    -------
    errors, r_tilde : ndarray of shape (trials,)
        Permutation-aligned relative errors and the exact :math:`\tilde r` of each learner's mask.
    """
    d, K, n = _check_int(d, "d"), _check_int(K, "K"), _check_int(n, "n (number of samples)")
    trials = _check_int(trials, "trials")
    widths = check_int_array(widths, "widths")
    if widths.shape != (K,):
        raise ValueError(f"widths must hold K = {K} neuron widths, got {widths.tolist()}")
    lam = check_nonnegative(rel_dist, "rel_dist")
    teachers, X, y, W0 = [], [], [], []
    for t in range(trials):
        rng = _rng(seed, tag, d, K, *widths.tolist(), groups, n, float(lam), t)
        T = make_teacher(d, K, widths, groups=groups, rng=rng)
        Xt, yt = T.sample(n, rng)
        teachers.append(T)
        X.append(Xt)
        y.append(yt)
        M = np.ones((d, K), dtype=bool) if dense else T.mask
        W0.append(init_at_distance(T.weights, M, lam, rng))
    masks = np.stack([np.ones((d, K), dtype=bool) if dense else T.mask for T in teachers])
    res = agd_pruned_batch(np.stack(X), np.stack(y), masks, np.stack(W0), beta=beta, max_iter=max_iter, tol=tol)
    errors = np.array([relative_error(r.weights, T.weights) for r, T in zip(res, teachers)])
    return errors, np.array([r_tilde(M) for M in masks])


@dataclass(frozen=True)
class SuccessCurves:
    r"""Success curves: ``errors[c, i, t]`` of trial ``t`` at ``x_values[i]`` on curve ``c`` (``labels[c]``).

    ``r_tilde[c, i, t]`` is the exact :math:`\tilde r` of that trial's mask and ``free_weights[c]``
    the curve's :math:`\sum_jr_j`; ``x_name`` names the swept variable (``"N"`` or ``"rel_dist"``),
    ``decreasing`` whether success falls with it; ``config`` holds the sweep's arguments.
    """

    labels: tuple
    x_values: np.ndarray
    errors: np.ndarray
    r_tilde: np.ndarray
    free_weights: np.ndarray
    x_name: str
    decreasing: bool
    threshold: float = 1e-4
    config: dict = field(default_factory=dict)

    @property
    def successes(self) -> np.ndarray:
        """Number of trials below ``threshold``, shape ``(curves, len(x_values))``."""
        return np.sum(self.errors < self.threshold, axis=2)

    @property
    def success_rate(self) -> np.ndarray:
        """Fraction of trials below ``threshold``, shape ``(curves, len(x_values))``."""
        return self.successes / self.errors.shape[2]

    @property
    def mean_r_tilde(self) -> np.ndarray:
        r""":math:`\tilde r` of each curve, averaged over its cells and trials."""
        return self.r_tilde.mean(axis=(1, 2))

    def transitions(self) -> list:
        """One :class:`Transition` per curve (:func:`logistic_transition` over all its trials)."""
        n = np.full(len(self.x_values), self.errors.shape[2])
        return [logistic_transition(self.x_values, k, n, decreasing=self.decreasing) for k in self.successes]

    def to_dict(self) -> dict:
        """A JSON-ready dict (lists of floats); :meth:`from_dict` inverts it."""
        return {
            "labels": list(self.labels),
            "x_values": self.x_values.tolist(),
            "errors": self.errors.tolist(),
            "r_tilde": self.r_tilde.tolist(),
            "free_weights": self.free_weights.tolist(),
            "x_name": self.x_name,
            "decreasing": self.decreasing,
            "threshold": self.threshold,
            "config": self.config,
        }

    @classmethod
    def from_dict(cls, data: dict) -> SuccessCurves:
        """The curves stored by :meth:`to_dict`."""
        return cls(
            tuple(data["labels"]),
            np.asarray(data["x_values"]),
            np.asarray(data["errors"], dtype=float),
            np.asarray(data["r_tilde"], dtype=float),
            np.asarray(data["free_weights"]),
            data["x_name"],
            bool(data["decreasing"]),
            float(data["threshold"]),
            dict(data["config"]),
        )


def _sweep(cells, x_values, labels, free, x_name, decreasing, config, progress):
    errors = np.empty((len(cells), len(x_values), config["trials"]))
    rt = np.empty_like(errors)
    jobs = [(c, i) for c in range(len(cells)) for i in range(len(x_values))]
    for c, i in tqdm(jobs, desc="cells", disable=not progress):
        errors[c, i], rt[c, i] = cells[c](x_values[i])
    return SuccessCurves(
        tuple(labels), np.asarray(x_values), errors, rt, np.asarray(free), x_name, decreasing, config=config
    )


def pattern_sweep(
    patterns,
    n_values,
    *,
    d: int = 100,
    K: int = 5,
    trials: int = 20,
    rel_dist: float = 0.1,
    max_iter: int = 3000,
    seed: int = 0,
    progress: bool = False,
) -> SuccessCurves:
    r"""Success against :math:`N` for several overlap patterns (paper Fig. 5, widened): is it :math:`\tilde r` or
    :math:`\sum_jr_j` that sets the samples needed?

    ``patterns`` is a sequence of ``(widths, groups)``: the :math:`K` neuron widths and the number of
    disjoint support groups (:func:`~pruning_lab.lottery.model.make_teacher`).  Patterns with the same
    :math:`\sum_jr_j` but different widths and overlaps have different :math:`\tilde r`.  Each cell is
    :func:`success_cell` with ``trials`` problems (tag 6).  Used in the chapter :doc:`/book/lottery_tickets`.

    Parameters
    ----------
    patterns : sequence of (sequence of K ints, int)
        The overlap patterns ``(widths, groups)``.
    n_values : array_like of int
        Sample sizes :math:`N` (the swept variable).
    d : int
        Input dimension.
    K : int
        Number of neurons.
    trials : int
        Independent problems per cell.
    rel_dist : float
        Relative distance :math:`\lambda` of every start from :math:`W^*`.
    max_iter : int
        Step budget of Algorithm 1 (the paper: :math:`10^4`).
    seed : int
        Base seed of :func:`success_cell`.
    progress : bool
        Show a ``tqdm`` bar over the cells.

    Returns
    -------
    SuccessCurves
        One curve per pattern, over ``n_values``.
    """
    n_values = check_int_array(n_values, "n_values")
    pats = [(tuple(int(w) for w in widths), int(groups)) for widths, groups in patterns]
    config = dict(
        sweep="patterns",
        patterns=[[list(w), g] for w, g in pats],
        n_values=n_values.tolist(),
        d=d,
        K=K,
        trials=trials,
        rel_dist=float(rel_dist),
        max_iter=max_iter,
        seed=seed,
    )
    cells = [
        (
            lambda n, w=w, g=g: success_cell(
                d, K, w, int(n), groups=g, rel_dist=rel_dist, trials=trials, max_iter=max_iter, seed=seed
            )
        )
        for w, g in pats
    ]
    labels = [f"widths {'/'.join(map(str, w))}, {g} group{'s' if g > 1 else ''}" for w, g in pats]
    return _sweep(cells, n_values, labels, [sum(w) for w, _ in pats], "N", False, config, progress)


def dimension_sweep(
    d_values,
    n_values,
    *,
    r: int = 20,
    K: int = 5,
    trials: int = 20,
    rel_dist: float = 0.1,
    max_iter: int = 3000,
    seed: int = 0,
    dense: bool = False,
    progress: bool = False,
) -> SuccessCurves:
    r"""Success against :math:`N` at several input dimensions :math:`d`, for the same pruned architecture.

    Every neuron keeps :math:`r` inputs, all supports overlap (:math:`\tilde r=r`), so only
    :math:`d` changes between curves: Theorem 2 says the samples needed do not depend on it
    (:math:`d=r` is the dense network).  With ``dense``, the learner is the dense network on the
    same teachers and data (:math:`dK` free weights).  Each cell is :func:`success_cell` (tag 7).  Used
    in the chapter :doc:`/book/lottery_tickets`.

    Parameters
    ----------
    d_values : array_like of int
        Input dimensions :math:`d\ge r`, one curve each.
    n_values : array_like of int
        Sample sizes :math:`N` (the swept variable).
    r : int
        Width of every neuron.
    K : int
        Number of neurons.
    trials : int
        Independent problems per cell.
    rel_dist : float
        Relative distance :math:`\lambda` of every start from :math:`W^*`.
    max_iter : int
        Step budget of Algorithm 1 (the paper: :math:`10^4`).
    seed : int
        Base seed of :func:`success_cell`.
    dense : bool
        Train the dense learner instead of the one with the teacher's mask.
    progress : bool
        Show a ``tqdm`` bar over the cells.

    Returns
    -------
    SuccessCurves
        One curve per dimension, over ``n_values``.
    """
    d_values, n_values = check_int_array(d_values, "d_values"), check_int_array(n_values, "n_values")
    if d_values.min() < r:
        raise ValueError(f"every d in d_values must be >= r = {r}, got {d_values.min()}")
    config = dict(
        sweep="dimension",
        d_values=d_values.tolist(),
        n_values=n_values.tolist(),
        r=r,
        K=K,
        trials=trials,
        rel_dist=float(rel_dist),
        max_iter=max_iter,
        seed=seed,
        dense=bool(dense),
    )
    cells = [
        (
            lambda n, dd=int(dd): success_cell(
                dd,
                K,
                [r] * K,
                int(n),
                rel_dist=rel_dist,
                trials=trials,
                max_iter=max_iter,
                seed=seed,
                tag=7,
                dense=dense,
            )
        )
        for dd in d_values
    ]
    labels = [f"{'dense learner, ' if dense else ''}d = {dd}" for dd in d_values]
    free = [int(dd) * K if dense else r * K for dd in d_values]
    return _sweep(cells, n_values, labels, free, "N", False, config, progress)


def radius_sweep(
    r_values,
    dist_values,
    *,
    n: int = 300,
    d: int = 100,
    K: int = 5,
    trials: int = 20,
    max_iter: int = 3000,
    seed: int = 0,
    progress: bool = False,
) -> SuccessCurves:
    r"""Success against the start's relative distance :math:`\lambda` at fixed :math:`N` (paper Fig. 2, scaled down).

    For each width :math:`r` (all supports overlapping, so :math:`\tilde r=r`), problems started at
    relative distance :math:`\lambda=\lVert W^{(0)}-W^*\rVert_F/\lVert W^*\rVert_F` from the truth; the
    50% point :math:`\lambda_{50}` of the falling success curve measures the radius of the region from
    which Algorithm 1 recovers :math:`W^*` (the paper's proxy for the convex region of Theorem 1).
    Each cell is :func:`success_cell` (tag 8).  Used in the chapter :doc:`/book/lottery_tickets`.

    Parameters
    ----------
    r_values : array_like of int
        Widths :math:`r` (every neuron), one curve each.
    dist_values : array_like of float
        Relative start distances :math:`\lambda\ge0` (the swept variable).
    n : int
        Number of samples :math:`N` of every problem.
    d : int
        Input dimension.
    K : int
        Number of neurons.
    trials : int
        Independent problems per cell.
    max_iter : int
        Step budget of Algorithm 1 (the paper: :math:`10^4`).
    seed : int
        Base seed of :func:`success_cell`.
    progress : bool
        Show a ``tqdm`` bar over the cells.

    Returns
    -------
    SuccessCurves
        One curve per width, over ``dist_values``.
    """
    r_values = check_int_array(r_values, "r_values")
    dists = check_array(dist_values, "dist_values", ndim=1)
    if np.any(dists < 0):
        raise ValueError("dist_values must be >= 0")
    config = dict(
        sweep="radius",
        r_values=r_values.tolist(),
        dist_values=dists.tolist(),
        n=n,
        d=d,
        K=K,
        trials=trials,
        max_iter=max_iter,
        seed=seed,
    )
    cells = [
        (
            lambda lam, r=int(r): success_cell(
                d, K, [r] * K, n, rel_dist=float(lam), trials=trials, max_iter=max_iter, seed=seed, tag=8
            )
        )
        for r in r_values
    ]
    return _sweep(
        cells, dists, [f"r = {r}" for r in r_values], [int(r) * K for r in r_values], "rel_dist", True, config, progress
    )
