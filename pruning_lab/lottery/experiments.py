r"""The experiments of the chapter :doc:`/book/lottery_tickets`, as seeded sweeps.

Each function runs one experiment of :cite:`zhang2021lottery` §4, scaled down to a
2-core CPU (our settings), on the model of :mod:`pruning_lab.lottery` with
Algorithm 1 of :mod:`pruning_lab.lottery.train`, and returns a frozen result.
Trials are independent problems (teacher, mask, data, start), each with its
own generator seeded from ``(seed, experiment, cell values, trial)``, so a cell
gives the same numbers whatever grid it is part of.  The trials of a cell run
in lockstep (:func:`~pruning_lab.lottery.train.agd_pruned_batch`).

:func:`phase_diagram` keeps an optional on-disk cache: one ``.npz`` file per
finished (:math:`N`, :math:`r`) cell, keyed by every argument that changes
its numbers and written atomically, so the full-resolution diagram is the
same function with larger arguments, and an interrupted sweep resumes where it stopped.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np
from tqdm.auto import tqdm

from ..backends import compute_cached
from ..runs import ResultCache
from ..validation import check_array, check_int_array, check_nonnegative
from .model import _check_int, local_curvature, make_teacher, output_rms, population_hessian, population_rmse
from .train import (
    PAPER_BETA,
    agd_pruned,
    agd_pruned_batch,
    empirical_rate,
    heavy_ball_rate,
    heavy_ball_tuning,
    init_at_distance,
    magnitude_mask,
    mask_accuracy,
    neuronwise_imp,
    relative_error,
)
from .transition import logistic_transition

__all__ = [
    "MASK_METHODS",
    "CurvatureSweep",
    "InaccurateMaskSweep",
    "NoiseSweep",
    "PhaseDiagram",
    "RateSweep",
    "curvature_sweep",
    "inaccurate_mask_sweep",
    "noise_sweep",
    "phase_diagram",
    "rate_sweep",
]

_CACHE_VERSION = 1


def _rng(seed: int, tag: int, *keys) -> np.random.Generator:
    return np.random.default_rng(
        [seed, tag, *(int(round(k * 1_000_000)) if isinstance(k, float) else int(k) for k in keys)]
    )


def _draw(d, K, r, n, trials, seed, tag, keys, *, spread=0.0, groups=1, noise_level=0.0, rel_dist=0.1):
    """Teachers, stacked data and starts of the ``trials`` problems of one cell."""
    teachers, X, y, W0 = [], [], [], []
    for t in range(trials):
        rng = _rng(seed, tag, *keys, t)
        T = make_teacher(d, K, int(r), groups=groups, spread=spread, rng=rng)
        Xt, yt = T.sample(n, rng, noise_level=noise_level)
        teachers.append(T)
        X.append(Xt)
        y.append(yt)
        W0.append(init_at_distance(T.weights, T.mask, rel_dist, rng))
    return teachers, np.stack(X), np.stack(y), np.stack(W0)


def _stack(teachers, attr):
    return np.stack([getattr(T, attr) for T in teachers])


# ---------------------------------------------------------------- phase diagram
@dataclass(frozen=True)
class PhaseDiagram:
    r"""Success of Algorithm 1 over a grid of widths ``r_values`` (rows) and sample sizes ``n_values`` (columns).

    ``errors[i, j, t]``: final relative error of trial ``t``; ``r_tilde[i, j, t]``
    its exact :math:`\tilde r`; ``success``: fraction of trials with error below
    ``threshold`` (the paper: :math:`10^{-4}`).
    """

    r_values: np.ndarray
    n_values: np.ndarray
    errors: np.ndarray
    r_tilde: np.ndarray
    threshold: float
    K: int

    @property
    def success(self) -> np.ndarray:
        return np.mean(self.errors < self.threshold, axis=2)

    @property
    def mean_r_tilde(self) -> np.ndarray:
        r""":math:`\tilde r` of each row, averaged over its cells and trials."""
        return self.r_tilde.mean(axis=(1, 2))

    def transition(self, level: float = 0.5) -> np.ndarray:
        """Per row, the sample size where the success rate first reaches ``level`` (interpolated; NaN if never)."""
        out = np.full(len(self.r_values), np.nan)
        for i, row in enumerate(self.success):
            above = np.flatnonzero(row >= level)
            if above.size == 0:
                continue
            j = above[0]
            if j == 0:
                out[i] = self.n_values[0]
            else:
                n0, n1, s0, s1 = self.n_values[j - 1], self.n_values[j], row[j - 1], row[j]
                out[i] = n0 + (level - s0) / (s1 - s0) * (n1 - n0)
        return out

    def transitions(self) -> list:
        r"""Per row, the logistic 50% point :math:`N_{50}` with its standard error
        (``lottery.transition.logistic_transition`` over all trials of the row)."""
        trials = np.full(len(self.n_values), self.errors.shape[2])
        k = np.sum(self.errors < self.threshold, axis=2)
        return [logistic_transition(self.n_values, row, trials) for row in k]

    def boundary_fit(self) -> tuple[float, float]:
        r"""Weighted least-squares slope :math:`c` of :math:`N_{50}=c\,\tilde r` through the logistic 50% points,
        and its standard error: weights :math:`w_i=1/\mathrm{se}_i^2`,
        :math:`c=\sum_iw_iN_i\tilde r_i/\sum_iw_i\tilde r_i^2`,
        :math:`\mathrm{se}(c)=(\sum_iw_i\tilde r_i^2)^{-1/2}`."""
        fits = self.transitions()
        n50 = np.array([f.x50 for f in fits])
        w = 1 / np.array([f.se for f in fits]) ** 2
        rt = self.mean_r_tilde
        denom = np.sum(w * rt**2)
        return float(np.sum(w * n50 * rt) / denom), float(1 / np.sqrt(denom))

    def boundary_slope(self, level: float = 0.5) -> float:
        r"""Slope :math:`c` of the least-squares line :math:`N_{1/2}=c\,\tilde r` through the transition points."""
        n50, rt = self.transition(level), self.mean_r_tilde
        ok = np.isfinite(n50)
        if ok.sum() < 1:
            raise ValueError("no row of the diagram crosses the success level; widen n_values")
        return float(np.sum(n50[ok] * rt[ok]) / np.sum(rt[ok] ** 2))


def _phase_cell(config: dict) -> dict:
    """One cell of :func:`phase_diagram`: its ``trials`` problems, from the cell's configuration alone."""
    c = config
    r, n = c["r"], c["n"]
    teachers, X, y, W0 = _draw(
        c["d"],
        c["K"],
        r,
        n,
        c["trials"],
        c["seed"],
        1,
        (r, n),
        spread=c["spread"],
        groups=c["groups"],
        rel_dist=c["rel_dist"],
    )
    results = agd_pruned_batch(X, y, _stack(teachers, "mask"), W0, beta=c["beta"], max_iter=c["max_iter"], tol=c["tol"])
    return {
        "errors": np.array([relative_error(res.weights, T.weights) for res, T in zip(results, teachers)]),
        "r_tilde": np.array([T.r_tilde for T in teachers]),
    }


def phase_diagram(
    r_values,
    n_values,
    *,
    d: int = 100,
    K: int = 5,
    trials: int = 8,
    rel_dist: float = 0.1,
    beta: float = PAPER_BETA,
    max_iter: int = 3000,
    tol: float = 1e-8,
    spread: float = 0.1,
    groups: int = 1,
    threshold: float = 1e-4,
    seed: int = 0,
    cache_dir=None,
    progress: bool = False,
    backend=None,
    scheduler=None,
) -> PhaseDiagram:
    r"""Sample-complexity phase diagram (paper Fig. 4, scaled down): success over (:math:`\tilde r`, :math:`N`).

    In every cell, ``trials`` problems: a teacher with widths
    :math:`r_j\sim\mathrm{Unif}\{\lceil0.9r\rceil..\lfloor1.1r\rfloor\}` (``spread``)
    and overlapping supports (``groups`` as in :func:`~pruning_lab.lottery.model.make_teacher`),
    :math:`N` noiseless samples, a start at relative
    distance ``rel_dist``, and Algorithm 1 with :math:`\eta=1/\hat L`, momentum
    ``beta``, the oracle mask, until the step falls below ``tol`` or ``max_iter``.
    A trial succeeds when its permutation-aligned relative error is below ``threshold``.

    ``cache_dir`` (a directory, created if missing): each finished cell is
    saved there as it completes and reused when the same cell (same
    arguments) is asked for again.

    Parameters
    ----------
    r_values : array_like of int
        Target widths :math:`r` (rows), each in ``1..d``; the widths :math:`r_j` are drawn around them.
    n_values : array_like of int
        Numbers of samples :math:`N\ge1` (columns).
    d : int
        Input dimension.
    K : int
        Number of hidden neurons.
    trials : int
        Independent problems per cell; ``success`` is the fraction of them that succeed.
    rel_dist : float
        Relative distance :math:`\lVert W^{(0)}-W^*\rVert_F/\lVert W^*\rVert_F\ge0` of the start,
        inside the oracle mask (:func:`~pruning_lab.lottery.train.init_at_distance`).
    beta : float
        Momentum :math:`\beta\in[0,1)` of Algorithm 1.
    max_iter : int
        Maximum number of iterations.
    tol : float
        Stop when the relative step :math:`\lVert W^{(t+1)}-W^{(t)}\rVert_F/\lVert W^{(t)}\rVert_F`
        falls below it.
    spread : float
        Relative spread of the widths around :math:`r`, in [0, 1) (0: all :math:`r_j=r`).
    groups : int
        Overlap pattern of the supports, in ``1..K`` (1: almost-complete overlap).
    threshold : float
        Success threshold of the relative error; not part of the cache key (cached cells are
        re-scored).
    seed : int
        Base seed: trial ``t`` of cell :math:`(r, N)` uses the generator seeded with
        ``[seed, 1, r, N, t]``, whatever the grid.
    cache_dir : str or pathlib.Path or None
        Directory of the on-disk cache (``None``: no cache).
    progress : bool
        Show a ``tqdm`` bar over the cells.
    backend : {None, "serial", "joblib", "dask"}
        With a ``cache_dir``: compute the missing cells with this executor first, each claimed
        and saved into the cache by whoever computes it (:func:`pruning_lab.backends.compute_cached`;
        ``"dask"``: on a Dask cluster whose workers see ``cache_dir``).  ``None``: one after the
        other in this process, as the chapter does.
    scheduler : str or distributed.Client or None
        The Dask scheduler of ``backend="dask"`` (see :func:`pruning_lab.runs.run_sweep`).

    Returns
    -------
    PhaseDiagram
        Errors and :math:`\tilde r` of shape ``(len(r_values), len(n_values), trials)``.
    """
    r_values, n_values = check_int_array(r_values, "r_values"), check_int_array(n_values, "n_values")
    d, K, trials = _check_int(d, "d"), _check_int(K, "K"), _check_int(trials, "trials")
    threshold = check_nonnegative(threshold, "threshold")
    if r_values.max() > d:
        raise ValueError(f"every width in r_values must be <= d = {d}, got {r_values.max()}")
    cache = None if cache_dir is None else ResultCache(cache_dir, "lottery-phase")
    errors = np.empty((len(r_values), len(n_values), trials))
    rt = np.empty_like(errors)
    cells = [(i, j) for i in range(len(r_values)) for j in range(len(n_values))]
    fixed = dict(d=d, K=K, trials=trials, rel_dist=float(rel_dist), beta=float(beta), max_iter=int(max_iter))
    fixed.update(tol=float(tol), spread=float(spread), groups=int(groups), seed=int(seed), version=_CACHE_VERSION)
    configs = [{**fixed, "r": int(r_values[i]), "n": int(n_values[j])} for i, j in cells]
    if backend is not None:  # the missing cells on the backend's executors, each saved into the cache there
        if cache is None:
            raise ValueError(f"cache_dir is needed with backend={backend!r}: the executors save each cell there")
        compute_cached(configs, _phase_cell, cache, backend=backend, scheduler=scheduler, progress=progress)
    for (i, j), config in zip(tqdm(cells, desc="cells", disable=not progress or backend is not None), configs):
        compute = functools.partial(_phase_cell, config)
        cell = compute() if cache is None else cache.cached(config, compute)
        errors[i, j], rt[i, j] = cell["errors"], cell["r_tilde"]
    return PhaseDiagram(r_values, n_values, errors, rt, threshold, K)


# ---------------------------------------------------------------- convergence rates
@dataclass(frozen=True)
class RateSweep:
    r"""Measured rates :math:`\hat\nu` (``nu[label]``, shape (widths, trials)) and the rates predicted from the
    masked Hessian at the truth (``predicted[label]``, same shape) for each optimizer ``label``;
    ``histories[label][i]``: the error history of trial 0 at width ``r_values[i]``; ``kappa``: the local
    condition number :math:`\hat L/\hat\mu` of the masked Hessian at :math:`W^*` (shape (widths, trials))."""

    r_values: np.ndarray
    r_tilde: np.ndarray
    nu: dict
    predicted: dict
    histories: dict
    n: int
    kappa: np.ndarray

    def speedup(self, label: str, baseline: str = "beta=0") -> np.ndarray:
        r"""Per problem, :math:`(1-\hat\nu_{\rm label})/(1-\hat\nu_{\rm baseline})`: how many times fewer steps
        ``label`` needs per decade of error (shape (widths, trials))."""
        return (1 - self.nu[label]) / (1 - self.nu[baseline])


def rate_sweep(
    r_values,
    *,
    d: int = 150,
    K: int = 5,
    n: int = 1000,
    trials: int = 5,
    rel_dist: float = 0.2,
    betas=(0.0, PAPER_BETA),
    tuned: bool = True,
    max_iter: int = 3000,
    seed: int = 0,
    progress: bool = False,
) -> RateSweep:
    r"""Linear convergence and its rate against :math:`\tilde r` (paper Fig. 3, scaled down).

    For each width, ``trials`` noiseless problems with equal widths and full
    overlap, started at relative distance ``rel_dist``; Algorithm 1 with
    :math:`\eta=1/\hat L` and each momentum in ``betas`` (labels ``"beta=0"``,
    ``"beta=0.2"``), and with ``tuned`` also the classical heavy-ball tuning
    from :math:`(\hat\mu,\hat L)` at the truth (label ``"tuned"``; ours, not the paper's:
    a reference for what momentum can do, not a practical recipe).
    :math:`\hat\nu` is fitted on the middle half of each run
    (:func:`~pruning_lab.lottery.train.empirical_rate`); the prediction is
    :func:`~pruning_lab.lottery.train.heavy_ball_rate` with the extreme
    eigenvalues of the masked Hessian at :math:`W^*`.

    Parameters
    ----------
    r_values : array_like of int
        Widths :math:`r` (every neuron has width :math:`r`, so :math:`\tilde r=r`), each in ``1..d``.
    d : int
        Input dimension.
    K : int
        Number of hidden neurons.
    n : int
        Number of samples :math:`N` of every problem.
    trials : int
        Independent problems per width.
    rel_dist : float
        Relative distance :math:`\lVert W^{(0)}-W^*\rVert_F/\lVert W^*\rVert_F\ge0` of the start.
    betas : sequence of float
        Momenta :math:`\beta\in[0,1)` run with :math:`\eta=1/\hat L` (at :math:`W^{(0)}`), labelled
        ``f"beta={b:g}"``.
    tuned : bool
        Also run :func:`~pruning_lab.lottery.train.heavy_ball_tuning` of :math:`(\hat\mu,\hat L)` at
        :math:`W^*`, per problem (label ``"tuned"``).
    max_iter : int
        Maximum number of iterations of each run (runs also stop at a relative step below
        :math:`10^{-8}`).
    seed : int
        Base seed: trial ``t`` at width :math:`r` uses the generator seeded with ``[seed, 2, r, n, t]``.
    progress : bool
        Show a ``tqdm`` bar over the widths.

    Returns
    -------
    RateSweep
        ``nu`` and ``predicted`` of shape ``(len(r_values), trials)`` per label, and error histories.
    """
    r_values = check_int_array(r_values, "r_values")
    labels = [f"beta={b:g}" for b in betas] + (["tuned"] if tuned else [])
    nu = {lab: np.empty((len(r_values), trials)) for lab in labels}
    pred = {lab: np.empty((len(r_values), trials)) for lab in labels}
    hist = {lab: [] for lab in labels}
    rts = np.empty(len(r_values))
    kappa = np.empty((len(r_values), trials))
    for i, r in enumerate(tqdm(r_values, desc="r", disable=not progress)):
        teachers, X, y, W0 = _draw(d, K, r, n, trials, seed, 2, (r, n), rel_dist=rel_dist)
        masks, W_star = _stack(teachers, "mask"), _stack(teachers, "weights")
        rts[i] = np.mean([T.r_tilde for T in teachers])
        curv_star = [local_curvature(T.weights, X[t], T.mask) for t, T in enumerate(teachers)]
        kappa[i] = [L / mu for mu, L in curv_star]
        settings = [(lab, "auto", b) for lab, b in zip(labels, betas)]
        if tuned:
            tunings = [heavy_ball_tuning(*c) for c in curv_star]
            settings.append(("tuned", np.array([e for e, _ in tunings]), np.array([b for _, b in tunings])))
        for lab, eta, beta in settings:
            res = agd_pruned_batch(X, y, masks, W0, eta=eta, beta=beta, max_iter=max_iter, W_ref=W_star)
            nu[lab][i] = [empirical_rate(rr.errors).nu for rr in res]
            pred[lab][i] = [heavy_ball_rate(mu, L, rr.eta, rr.beta) for (mu, L), rr in zip(curv_star, res)]
            hist[lab].append(res[0].errors)
    return RateSweep(r_values, rts, nu, pred, hist, n, kappa)


# ---------------------------------------------------------------- local curvature
@dataclass(frozen=True)
class CurvatureSweep:
    r"""Extreme eigenvalues of the masked Hessian at :math:`W^*`: population (``mu_pop``, ``L_pop``, shape
    (widths, trials)) and with :math:`N` samples (``mu``, ``L``, shape (len(n_values), widths, trials))."""

    r_values: np.ndarray
    n_values: np.ndarray
    r_tilde: np.ndarray
    mu_pop: np.ndarray
    L_pop: np.ndarray
    mu: np.ndarray
    L: np.ndarray
    K: int


def curvature_sweep(
    r_values, n_values, *, d: int = 150, K: int = 5, trials: int = 3, seed: int = 0, progress: bool = False
) -> CurvatureSweep:
    r"""Local curvature at the truth against :math:`\tilde r` (Theorem 1, eq. 7): :math:`\hat\mu,\hat L` for each
    :math:`N` and their population values (:func:`~pruning_lab.lottery.model.population_hessian`).

    The same teachers (equal widths, full overlap) are used for every :math:`N`.

    Parameters
    ----------
    r_values : array_like of int
        Widths :math:`r` (every neuron has width :math:`r`), each in ``1..d``.
    n_values : array_like of int
        Numbers of samples :math:`N\ge1` at which :math:`(\hat\mu,\hat L)` are computed
        (:func:`~pruning_lab.lottery.model.local_curvature`).
    d : int
        Input dimension.
    K : int
        Number of hidden neurons.
    trials : int
        Independent teachers per width.
    seed : int
        Base seed: the teacher of trial ``t`` at width :math:`r` uses ``[seed, 3, r, t]``, its
        :math:`N` inputs ``[seed, 3, r, t, N]``.
    progress : bool
        Show a ``tqdm`` bar over the widths.

    Returns
    -------
    CurvatureSweep
        ``mu_pop``, ``L_pop`` of shape ``(len(r_values), trials)``; ``mu``, ``L`` of shape
        ``(len(n_values), len(r_values), trials)``.
    """
    r_values, n_values = check_int_array(r_values, "r_values"), check_int_array(n_values, "n_values")
    shape = (len(r_values), trials)
    mu_pop, L_pop, rts = np.empty(shape), np.empty(shape), np.empty(len(r_values))
    mu, L = np.empty((len(n_values),) + shape), np.empty((len(n_values),) + shape)
    for i, r in enumerate(tqdm(r_values, desc="r", disable=not progress)):
        teachers = [make_teacher(d, K, int(r), rng=_rng(seed, 3, r, t)) for t in range(trials)]
        rts[i] = np.mean([T.r_tilde for T in teachers])
        for t, T in enumerate(teachers):
            eig = np.linalg.eigvalsh(population_hessian(T.weights, T.mask))
            mu_pop[i, t], L_pop[i, t] = eig[0], eig[-1]
            for j, n in enumerate(n_values):
                X, _ = T.sample(int(n), _rng(seed, 3, r, t, n))
                mu[j, i, t], L[j, i, t] = local_curvature(T.weights, X, T.mask)
    return CurvatureSweep(r_values, n_values, rts, mu_pop, L_pop, mu, L, K)


# ---------------------------------------------------------------- noisy labels
@dataclass(frozen=True)
class NoiseSweep:
    r"""Final relative error ``errors[l, j, i, t]`` for noise level ``noise_levels[l]``, :math:`N=` ``n_values[j]``,
    width ``r_values[i]``, trial ``t``; ``r_tilde[i]`` the mean :math:`\tilde r` of the widths."""

    r_values: np.ndarray
    n_values: np.ndarray
    noise_levels: np.ndarray
    r_tilde: np.ndarray
    errors: np.ndarray

    def slope(self) -> float:
        r"""Least-squares :math:`c` in :math:`\text{error}\approx c\,(\sigma/E_y)\sqrt{\tilde r/N}` (trial means)."""
        x = self.noise_levels[:, None, None] * np.sqrt(self.r_tilde[None, None, :] / self.n_values[None, :, None])
        yv = self.errors.mean(axis=3)
        return float(np.sum(x * yv) / np.sum(x * x))


def noise_sweep(
    r_values,
    n_values,
    noise_levels=(1e-3, 1e-2),
    *,
    d: int = 100,
    K: int = 5,
    trials: int = 4,
    rel_dist: float = 0.1,
    max_iter: int = 1000,
    seed: int = 0,
    progress: bool = False,
) -> NoiseSweep:
    r"""Noisy labels (paper Fig. 6; eq. 9): final error of Algorithm 1 against :math:`\sqrt{\tilde r/N}` and the noise.

    Labels :math:`y=g(x;W^*)+\xi`, :math:`\xi\sim\mathcal N(0,\sigma^2)` with
    :math:`\sigma/E_y=` ``noise_level``; the oracle mask, :math:`\eta=1/\hat L`,
    :math:`\beta=0.2`, ``max_iter`` steps (the error has reached its floor by then).
    The noise levels share teachers, inputs, starts and the standard normal
    draws of :math:`\xi`, which are only rescaled (common random numbers).

    Parameters
    ----------
    r_values : array_like of int
        Widths :math:`r` (every neuron has width :math:`r`, full overlap), each in ``1..d``.
    n_values : array_like of int
        Numbers of samples :math:`N\ge1`.
    noise_levels : array_like of float
        Relative noise levels :math:`\sigma/E_y>0`.
    d : int
        Input dimension.
    K : int
        Number of hidden neurons.
    trials : int
        Independent problems per cell.
    rel_dist : float
        Relative distance :math:`\lVert W^{(0)}-W^*\rVert_F/\lVert W^*\rVert_F\ge0` of the start.
    max_iter : int
        Maximum number of iterations (runs also stop at a relative step below :math:`10^{-8}`).
    seed : int
        Base seed: trial ``t`` of cell :math:`(r, N)` uses ``[seed, 4, r, N, t]`` for every noise level.
    progress : bool
        Show a ``tqdm`` bar over the cells.

    Returns
    -------
    NoiseSweep
        ``errors`` of shape ``(len(noise_levels), len(n_values), len(r_values), trials)``.
    """
    r_values, n_values = check_int_array(r_values, "r_values"), check_int_array(n_values, "n_values")
    levels = check_array(noise_levels, "noise_levels", ndim=1)
    if np.any(levels <= 0):
        raise ValueError(f"noise_levels must be positive numbers, got {noise_levels!r}")
    errors = np.empty((len(levels), len(n_values), len(r_values), trials))
    rts = np.zeros(len(r_values))
    cells = [(lv, j, i) for lv in range(len(levels)) for j in range(len(n_values)) for i in range(len(r_values))]
    for lv, j, i in tqdm(cells, desc="cells", disable=not progress):
        r, n = int(r_values[i]), int(n_values[j])
        teachers, X, y, W0 = _draw(d, K, r, n, trials, seed, 4, (r, n), noise_level=levels[lv], rel_dist=rel_dist)
        res = agd_pruned_batch(X, y, _stack(teachers, "mask"), W0, max_iter=max_iter)
        errors[lv, j, i] = [relative_error(rr.weights, T.weights) for rr, T in zip(res, teachers)]
        rts[i] = np.mean([T.r_tilde for T in teachers])
    return NoiseSweep(r_values, n_values, levels, rts, errors)


# ---------------------------------------------------------------- inaccurate masks
@dataclass(frozen=True)
class InaccurateMaskSweep:
    r"""Inaccurate masks: for each method in ``MASK_METHODS``, ``rmse[method][j, k, t]`` (test RMSE relative
    to :math:`E_y`) and ``accuracy[method][j, k, t]`` (mask accuracy) at :math:`N=` ``n_values[j]``, kept width
    ``widths[k]`` per neuron, trial ``t``; ``r_star`` is the teacher's width."""

    n_values: np.ndarray
    widths: np.ndarray
    r_star: int
    d: int
    rmse: dict
    accuracy: dict

    def mean_se(self, method: str) -> tuple[np.ndarray, np.ndarray]:
        r"""Mean and standard error (sample std, ddof 1, over :math:`\sqrt{\text{trials}}`) of ``rmse[method]``,
        shape ``(len(n_values), len(widths))``."""
        vals = self.rmse[method]
        return vals.mean(axis=2), vals.std(axis=2, ddof=1) / np.sqrt(vals.shape[2])

    def to_dict(self) -> dict:
        """A JSON-ready dict; :meth:`from_dict` inverts it."""
        return {
            "n_values": self.n_values.tolist(),
            "widths": self.widths.tolist(),
            "r_star": self.r_star,
            "d": self.d,
            "rmse": {m: v.tolist() for m, v in self.rmse.items()},
            "accuracy": {m: v.tolist() for m, v in self.accuracy.items()},
        }

    @classmethod
    def from_dict(cls, data: dict):
        """The sweep stored by :meth:`to_dict`."""
        return cls(
            np.asarray(data["n_values"]),
            np.asarray(data["widths"]),
            int(data["r_star"]),
            int(data["d"]),
            {m: np.asarray(v, dtype=float) for m, v in data["rmse"].items()},
            {m: np.asarray(v, dtype=float) for m, v in data["accuracy"].items()},
        )


#: The masks of :func:`inaccurate_mask_sweep`: found by IMP or one-shot magnitude pruning, and two controls.
MASK_METHODS = ("IMP", "one-shot", "random", "IMP re-init")


def _random_mask(d: int, widths, rng) -> np.ndarray:
    """A mask whose neuron j keeps ``widths[j]`` inputs drawn uniformly without replacement."""
    mask = np.zeros((d, len(widths)), dtype=bool)
    for j, w in enumerate(widths):
        mask[rng.choice(d, size=int(w), replace=False), j] = True
    return mask


def inaccurate_mask_sweep(
    n_values,
    *,
    d: int = 100,
    K: int = 5,
    r_star: int = 20,
    rounds: int = 8,
    rate: float = 0.2,
    steps: int = 20,
    rel_dist: float = 0.5,
    noise_level: float = 1e-3,
    trials: int = 6,
    max_iter: int = 1000,
    seed: int = 0,
    progress: bool = False,
) -> InaccurateMaskSweep:
    r"""Learner masks found by magnitude pruning, hence inaccurate (paper §4.2–4.3, Figs. 7–10, scaled down).

    A dense learner starts at relative distance ``rel_dist`` from the teacher
    (noise on all :math:`dK` weights).  IMP (:func:`~pruning_lab.lottery.train.neuronwise_imp`)
    trains ``steps`` iterations per round, prunes a fraction ``rate`` of each
    neuron's weights and rewinds; "one-shot" takes the magnitude mask of the
    same widths from the dense weights after ``steps`` iterations (the paper
    applies GraSP after 20 iterations; we use magnitude).  Two controls:
    "random" draws each neuron's kept inputs uniformly at the same widths, and
    "IMP re-init" trains the IMP masks from a fresh dense start at the same
    distance from the teacher instead of the rewound one.  Every mask is then
    trained for ``max_iter`` iterations (from the rewound start :math:`M\odot W_{\rm init}`,
    except "IMP re-init") and scored by its exact test RMSE
    (:func:`~pruning_lab.lottery.model.population_rmse`) and its mask accuracy.

    Parameters
    ----------
    n_values : array_like of int
        Numbers of samples :math:`N\ge1`.
    d : int
        Input dimension.
    K : int
        Number of hidden neurons.
    r_star : int
        Width :math:`r^*` of every teacher neuron (full overlap), in ``1..d``.
    rounds : int
        Pruning rounds (``>= 1``); the kept widths are ``widths[0] = d`` and
        ``widths[k + 1] = ceil((1 - rate) * widths[k])``.
    rate : float
        Fraction of each neuron's weights pruned per round, in (0, 1).
    steps : int
        Iterations per IMP round, and of the dense run whose magnitudes give the one-shot masks.
    rel_dist : float
        Relative distance of the dense start :math:`W_{\rm init}` from the teacher.
    noise_level : float
        Label noise :math:`\sigma/E_y\ge0`.
    trials : int
        Independent problems per :math:`N`.
    max_iter : int
        Maximum number of iterations of the final training of every mask, from
        :math:`M\odot W_{\rm init}` (runs also stop at a relative step below :math:`10^{-8}`).
    seed : int
        Base seed: trial ``t`` at :math:`N` uses ``[seed, 5, N, t]``; its random masks and fresh start
        ``[seed, 5, N, t, 1]``.
    progress : bool
        Show a ``tqdm`` bar over ``n_values``.

    Returns
    -------
    InaccurateMaskSweep
        ``rmse[method]`` and ``accuracy[method]`` of shape ``(len(n_values), rounds + 1, trials)``.
    """
    n_values = check_int_array(n_values, "n_values")
    rounds = _check_int(rounds, "rounds")
    widths = [d]
    for _ in range(rounds):
        widths.append(int(np.ceil((1 - rate) * widths[-1] - 1e-9)))
    widths = np.array(widths)
    shape = (len(n_values), rounds + 1, trials)
    rmse = {m: np.empty(shape) for m in MASK_METHODS}
    acc = {m: np.empty(shape) for m in MASK_METHODS}
    for j, n in enumerate(tqdm(n_values, desc="N", disable=not progress)):
        masks = {m: [] for m in MASK_METHODS}
        data, fresh = [], []
        for t in range(trials):
            rng = _rng(seed, 5, n, t)
            T = make_teacher(d, K, r_star, rng=rng)
            X, y = T.sample(int(n), rng, noise_level=noise_level)
            W_init = init_at_distance(T.weights, np.ones((d, K), dtype=bool), rel_dist, rng)
            imp = neuronwise_imp(X, y, W_init, rounds=rounds, rate=rate, steps=steps).masks
            masks["IMP"].append(imp)
            masks["IMP re-init"].append(imp)
            dense = agd_pruned(X, y, np.ones((d, K)), W_init, max_iter=steps, tol=0.0).weights
            masks["one-shot"].append([magnitude_mask(dense, int(w)) for w in widths])
            control = _rng(seed, 5, n, t, 1)
            masks["random"].append([_random_mask(d, [w] * K, control) for w in widths])
            fresh.append(init_at_distance(T.weights, np.ones((d, K), dtype=bool), rel_dist, control))
            data.append((T, X, y, W_init))
        X, y = np.stack([D[1] for D in data]), np.stack([D[2] for D in data])
        for m in MASK_METHODS:
            starts = fresh if m == "IMP re-init" else [D[3] for D in data]
            for k in range(rounds + 1):
                M = np.stack([masks[m][t][k] for t in range(trials)])
                W0 = np.stack([np.where(M[t], starts[t], 0.0) for t in range(trials)])
                res = agd_pruned_batch(X, y, M, W0, max_iter=max_iter)
                for t, (T, *_rest) in enumerate(data):
                    rmse[m][j, k, t] = population_rmse(res[t].weights, T.weights) / output_rms(T.weights)
                    acc[m][j, k, t] = mask_accuracy(M[t], T.mask)
    return InaccurateMaskSweep(n_values, widths, int(r_star), int(d), rmse, acc)
