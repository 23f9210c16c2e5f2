r"""The matrix-completion experiments of the chapter: test RMSE against the target rank, with and without outliers."""

from __future__ import annotations

import numpy as np
from tqdm.auto import tqdm

from ..validation import check_int, check_nonnegative
from .algorithms import _check_refit, greedy_rank, local_search_rank, ridge_als, soft_impute, svp
from .completion import _LOSSES, MatrixCompletionProblem, ObservedLoss

__all__ = ["completion_rank_sweep", "noise_floor", "robust_completion_sweep"]


def noise_floor(problem) -> float:
    r"""Oracle RMSE :math:`\sigma\sqrt{r(m+n-r)/|\Omega|}` of a rank-:math:`r` fit (Candès & Plan 2010).

    Least squares with :math:`r(m+n-r)` free parameters (the dimension of the rank-:math:`r` matrices) from
    :math:`|\Omega|` noisy entries; only the clean entries count when there are outliers.
    """
    if not isinstance(problem, MatrixCompletionProblem):
        raise ValueError(f"problem must be a MatrixCompletionProblem, got {type(problem).__name__}")
    m, n, r = problem.m, problem.n, problem.rank
    k = round(problem.observed_fraction * m * n)
    return float(problem.noise * np.sqrt(r * (m + n - r) / max(k - round(problem.outlier_fraction * k), 1)))


def _setup(problem, default, ranks, seed, n_iter, refit_iter):
    problem = default if problem is None else problem
    if not isinstance(problem, MatrixCompletionProblem):
        raise ValueError(f"problem must be a MatrixCompletionProblem or None, got {type(problem).__name__}")
    ranks = list(np.atleast_1d(np.asarray(ranks, dtype=object)))
    if not ranks:
        raise ValueError("ranks must be a non-empty list of integers")
    ranks = np.array([check_int(k, "each entry of ranks", 1, min(problem.m, problem.n)) for k in ranks])
    _check_refit("core", refit_iter)
    return problem, problem.sample(seed), ranks, check_int(n_iter, "n_iter", 0)


def completion_rank_sweep(
    problem=None,
    ranks=tuple(range(1, 11)),
    *,
    seed=0,
    lam: float | None = None,
    svp_step: float | None = None,
    n_iter: int = 5,
    refit_iter: int = 5,
    max_iter: int = 300,
    progress: bool = False,
) -> dict:
    r"""Experiment X8 of the chapter :doc:`/book/lasso_to_sapp`: held-out RMSE against target rank.

    One instance of ``problem`` (default :math:`100\times100`, rank 5, 30 % observed, noise 0.01) drawn with
    ``seed`` is fitted with the squared loss at each target rank :math:`r`.  Greedy and local search run
    with both refits (``"core"`` and ``"factors"``, ``refit_iter`` sweeps, ``n_iter`` swaps).  SVP uses
    ``svp_step``, by default :math:`1/(2p)`: the steps :math:`1/p` and :math:`3/(4p)` diverge on this
    instance (at every rank for :math:`1/p`, above the true rank for :math:`3/(4p)`).  Soft-impute uses
    ``max_rank = r`` and :math:`\lambda` = ``lam``, by default :math:`\sigma\sqrt p(\sqrt m+\sqrt n)`, about
    the spectral norm :math:`\lVert P_\Omega(Z)\rVert_2` of the observed noise.  SVP and soft-impute run at
    most ``max_iter`` steps.  Each fit is scored by its held-out RMSE
    :math:`\big(\operatorname{mean}_{(i,j)\notin\Omega}(A_{ij}-M_{ij})^2\big)^{1/2}`.

    Parameters
    ----------
    problem : pruning_lab.lowrank.MatrixCompletionProblem or None
        The random problem to draw the instance from (``None``: the default above).
    ranks : array_like of int
        Target ranks :math:`r`, each in ``1..min(m, n)``.
    seed : numpy.random.Generator or int or None
        Randomness of the one instance (``problem.sample(seed)``).
    lam : float or None
        Nuclear-norm weight :math:`\lambda\ge0` of soft-impute (``None``: the default above).
    svp_step : float or None
        SVP step :math:`\eta>0` (``None``: :math:`1/(2p)`, :math:`p` the observed fraction).
    n_iter : int
        Maximum number of local-search swaps (``>= 0``).
    refit_iter : int
        Alternating sweeps per refit (``>= 1``) of greedy and of local search with
        ``refit="factors"``; core-refit local search keeps the default of
        :func:`local_search_rank` (the squared-loss core refit is exact either way).
    max_iter : int
        Maximum number of SVP and soft-impute steps (``>= 1``; they also stop at a relative change
        :math:`10^{-8}`).
    progress : bool
        Show a ``tqdm`` bar per method.

    Returns
    -------
    dict of str to ndarray
        ``ranks`` and, of the same length, the held-out RMSEs ``greedy``, ``local_search``,
        ``greedy_factors``, ``local_search_factors``, ``svp``, ``soft_impute``; 0-d arrays
        ``noise_floor`` (:func:`noise_floor`) and ``lam``.
    """
    problem, data, ranks, n_iter = _setup(problem, MatrixCompletionProblem(), ranks, seed, n_iter, refit_iter)
    p, (m, n), loss = problem.observed_fraction, data.truth.shape, data.loss()
    lam = problem.noise * np.sqrt(p) * (np.sqrt(m) + np.sqrt(n)) if lam is None else check_nonnegative(lam, "lam")
    svp_step = 0.5 / p if svp_step is None else svp_step
    out = {"ranks": ranks}
    for name, refit in (("greedy", "core"), ("greedy_factors", "factors")):
        h = greedy_rank(loss, int(ranks.max()), refit=refit, refit_iter=refit_iter, holdout=data).test_rmse
        out[name] = np.concatenate([h, np.full(ranks.max() + 1 - h.size, h[-1])])[ranks]
    runs = {
        "local_search": lambda r: local_search_rank(loss, r, n_iter=n_iter, holdout=data),
        "local_search_factors": lambda r: local_search_rank(
            loss, r, n_iter=n_iter, refit="factors", refit_iter=refit_iter, holdout=data
        ),
        "svp": lambda r: svp(loss, r, step=svp_step, max_iter=max_iter, tol=1e-8, holdout=data),
        "soft_impute": lambda r: soft_impute(loss, lam, max_rank=r, max_iter=max_iter, tol=1e-8, holdout=data),
    }
    for name, run in runs.items():
        out[name] = np.array([run(int(r)).test_rmse[-1] for r in tqdm(ranks, desc=name, disable=not progress)])
    out["noise_floor"], out["lam"] = np.array(noise_floor(problem)), np.array(lam)
    return out


def robust_completion_sweep(
    problem=None,
    ranks=(3, 4, 5, 6, 7),
    *,
    seed=0,
    delta: float | None = None,
    n_iter: int = 5,
    refit_iter: int = 10,
    ridges=(0.0, 1.0, 3.0, 10.0, 30.0, 100.0),
    progress: bool = False,
) -> dict:
    r"""Experiment X8 (robust PCA) of the chapter :doc:`/book/lasso_to_sapp`: squared vs Huber loss under outliers.

    Default ``problem``: as in :func:`completion_rank_sweep`, with 5 % of the observed entries corrupted by
    :math:`\pm10`.  At each target rank, :func:`local_search_rank` (``refit="factors"``) fits
    :math:`\tfrac12\lVert P_\Omega(A-Y)\rVert_F^2` and the Huber loss :math:`h_\delta`; ``delta`` defaults
    to Huber's :math:`1.345\sigma` (95 % efficiency under Gaussian noise; ``1e-3`` without noise).
    The fair squared-loss baseline is :func:`~pruning_lab.lowrank.ridge_als` with its ridge :math:`\lambda`
    tuned per rank over ``ridges`` on a validation split: 20 % of the observed entries (drawn with
    ``seed``) are held back, :math:`\lambda` minimizing their RMSE is chosen (held-back outliers add about
    the same error to every fit), and the model is refitted on all observed entries.

    Parameters
    ----------
    problem : pruning_lab.lowrank.MatrixCompletionProblem or None
        The random problem to draw the instance from (``None``: the default above).
    ranks : array_like of int
        Target ranks :math:`r`, each in ``1..min(m, n)``.
    seed : numpy.random.Generator or int or None
        Randomness of the one instance (``problem.sample(seed)``); both losses fit the same instance.
    delta : float or None
        Huber threshold :math:`\delta\ge0` (``None``: the default above).
    n_iter : int
        Maximum number of local-search swaps (``>= 0``).
    refit_iter : int
        IRLS steps and alternating sweeps per refit (``>= 1``).
    ridges : sequence of float
        The grid of ridges :math:`\lambda\ge0` of the tuned squared-loss baseline.
    progress : bool
        Show a ``tqdm`` bar per loss.

    Returns
    -------
    dict of str to ndarray
        ``ranks``, the held-out RMSEs ``squared``, ``huber`` and ``squared_ridge`` (the tuned baseline) and
        the chosen ``ridge`` per rank; 0-d arrays ``noise_floor``, ``delta`` and ``zero_matrix`` (the held-out
        RMSE of predicting :math:`A=0`, the trivial fit).
    """
    default = MatrixCompletionProblem(outlier_fraction=0.05, outlier_size=10.0)
    problem, data, ranks, n_iter = _setup(problem, default, ranks, seed, n_iter, refit_iter)
    delta = (1.345 * problem.noise or 1e-3) if delta is None else check_nonnegative(delta, "delta")
    out = {"ranks": ranks}
    for kind in _LOSSES:
        loss = data.loss(kind, delta)
        fits = (
            local_search_rank(loss, int(r), n_iter=n_iter, refit="factors", refit_iter=refit_iter, holdout=data)
            for r in tqdm(ranks, desc=kind, disable=not progress)
        )
        out[kind] = np.array([f.test_rmse[-1] for f in fits])
    ridges = [check_nonnegative(v, "each entry of ridges") for v in ridges]
    if not ridges:
        raise ValueError("ridges must be a non-empty list of numbers >= 0")
    out["ridge"] = np.array([_tuned_ridge(data, int(r), ridges, seed) for r in ranks])
    loss = data.loss("squared")
    out["squared_ridge"] = np.array(
        [ridge_als(loss, int(r), lam, holdout=data).test_rmse[-1] for r, lam in zip(ranks, out["ridge"], strict=True)]
    )
    out["zero_matrix"] = np.array(data.test_rmse(np.zeros(data.truth.shape)))
    out["noise_floor"], out["delta"] = np.array(noise_floor(problem)), np.array(delta)
    return out


def _tuned_ridge(data, r, ridges, seed):
    """The ridge of ``ridges`` with the smallest RMSE on 20 % of the observed entries held back from the fit."""
    rng = np.random.default_rng([int(seed) if seed is not None else 0, 20])
    i, j = np.nonzero(data.mask)
    val = rng.random(i.size) < 0.2
    fit_mask = data.mask.copy()
    fit_mask[i[val], j[val]] = False
    loss = ObservedLoss(data.observed, fit_mask)
    scores = []
    for lam in ridges:
        f = ridge_als(loss, r, lam)
        A = f.left @ f.core @ f.right.T
        scores.append(float(np.sqrt(np.mean((A[i[val], j[val]] - data.observed[i[val], j[val]]) ** 2))))
    return ridges[int(np.argmin(scores))]
