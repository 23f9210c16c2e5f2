r"""The logistic-regression experiments of data and feature selection: loss curves and the sparse trade-off.

:func:`separable_sphere` draws separable data on the unit sphere (optionally labelled by a sparse
direction); :func:`max_margin` computes their largest margin; :func:`gd_curves` compares the step
rules of :func:`~pruning_lab.selection.logistic.gd` over repeated draws (log loss against
iterations, and the per-iteration rate); :func:`sparse_logistic_tradeoff` compares them inside
iterative hard thresholding and orthogonal matching pursuit (loss against sparsity).  The designs
are ours; the step rule ``"loss"`` is our reconstruction of Axiotis & Sviridenko (ICML 2023).

Used in the chapter :doc:`/book/beyond_weights`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.optimize import linprog, minimize

from ..validation import as_rng, check_int, check_int_array, check_nonnegative
from .logistic import STEPS, _check_data, gd, iht_logistic, is_separable, omp_logistic, smoothness_constant

__all__ = [
    "LogisticCurves",
    "SparseTradeoff",
    "gd_curves",
    "max_margin",
    "separable_sphere",
    "sparse_logistic_tradeoff",
]

#: The smallest loss kept when taking logarithms (a loss that underflowed to 0 is counted as this).
LOSS_FLOOR = 1e-300

_DEFAULT_RULES = (("constant", 1.0), ("normalized", 1.0), ("loss", 1.0))


def separable_sphere(n: int = 400, d: int = 20, *, margin: float = 0.2, support: int | None = None, seed=0):
    r"""Linearly separable data on the unit sphere, labelled by a random unit direction, with a margin.

    Draws ``n`` points uniformly on the unit sphere of :math:`\mathbb R^d` and a unit direction
    :math:`w` (dense, or with ``support`` nonzero coordinates), labels :math:`y=\operatorname{sign}
    \langle a,w\rangle`, and keeps the points with :math:`\lvert\langle a,w\rangle\rvert>` ``margin``.
    So :math:`\rho=\max\lVert a_i\rVert=1` and :math:`w` separates the kept points with margin at least
    ``margin`` (:func:`max_margin` may find a larger one).

    Parameters
    ----------
    n : int
        Points drawn before the margin filter.
    d : int
        Dimension.
    margin : float
        Points with :math:`\lvert\langle a,w\rangle\rvert\le` ``margin`` are dropped (in [0, 1)).
    support : int, optional
        Number of nonzero coordinates of :math:`w` (default: all ``d``).
    seed : int or numpy.random.Generator
        Seed.

    Returns
    -------
    A : ndarray
        Shape (m, d): the kept points.
    y : ndarray
        Shape (m,): their labels in {-1, +1}.
    w : ndarray
        Shape (d,): the labelling direction.
    """
    n = check_int(n, "n", 2)
    d = check_int(d, "d", 1)
    margin = check_nonnegative(margin, "margin")
    if margin >= 1:
        raise ValueError(f"margin must be below 1 (the points are unit vectors), got {margin}")
    support = d if support is None else check_int(support, "support", 1, d)
    rng = as_rng(seed)
    A = rng.standard_normal((n, d))
    A /= np.linalg.norm(A, axis=1, keepdims=True)
    w = np.zeros(d)
    w[rng.choice(d, support, replace=False)] = rng.standard_normal(support)
    w /= np.linalg.norm(w)
    m = A @ w
    keep = np.abs(m) > margin
    if not np.any(keep[m > 0]) or not np.any(keep[m < 0]):
        raise ValueError(f"no point of one class passes margin={margin}; lower the margin or draw more points (n)")
    return A[keep], np.sign(m[keep]), w


def max_margin(A, y) -> float:
    r"""The largest margin :math:`\gamma^*=\max_{\lVert x\rVert=1}\min_i y_i\langle a_i,x\rangle` of separable data.

    Solves the hard-margin problem :math:`\min\lVert x\rVert^2` subject to :math:`y_i\langle
    a_i,x\rangle\ge1` (through the origin; SciPy's SLSQP from the linear program's feasible point)
    and returns :math:`1/\lVert x\rVert`.  Data that are not separable are a ``ValueError``.
    """
    A, y = _check_data(A, y)
    if not is_separable(A, y):
        raise ValueError("the data (A, y) are not linearly separable: they have no positive margin")
    M = y[:, None] * A
    x0 = linprog(np.zeros(M.shape[1]), A_ub=-M, b_ub=-np.ones(len(y)), bounds=[(None, None)] * M.shape[1]).x
    res = minimize(
        lambda x: x @ x,
        x0,
        jac=lambda x: 2 * x,
        constraints=[{"type": "ineq", "fun": lambda x: M @ x - 1.0, "jac": lambda x: M}],
        method="SLSQP",
        options={"maxiter": 500, "ftol": 1e-12},
    )
    x = res.x if np.min(M @ res.x) >= 1 - 1e-6 else x0
    return float(np.min(M @ x) / np.linalg.norm(x))


def _check_rules(rules):
    rules = tuple((str(step), float(eta0)) for step, eta0 in rules)
    if not rules:
        raise ValueError("rules must name at least one (step, eta0) pair")
    for step, eta0 in rules:
        if step not in STEPS:
            raise ValueError(f"rules: step must be one of {STEPS}, got {step!r}")
        if not eta0 > 0:
            raise ValueError(f"rules: eta0 must be > 0, got {eta0}")
    return rules


def _log10(losses):
    return np.log10(np.maximum(losses, LOSS_FLOOR))


@dataclass(frozen=True)
class LogisticCurves:
    r"""The loss curves of :func:`gd_curves`.

    Attributes
    ----------
    rules : tuple of (str, float)
        The step rules and their :math:`\eta_0`.
    log10_loss : ndarray
        Shape (rules, draws, iters + 1): :math:`\log_{10}f(x_t)` of every run (a loss below
        ``LOSS_FLOOR`` counts as the floor).
    rate : ndarray
        Shape (rules, draws): mean decrease of :math:`\ln f` per iteration over the second half of each run (while above
        :math:`10^{-250}`; ``nan`` when the run left too few such iterations).
    margin : ndarray
        Shape (draws,): the largest margin :math:`\gamma^*` of each draw (:func:`max_margin`).
    rho : ndarray
        Shape (draws,): :math:`\rho=\max_i\lVert a_i\rVert` of each draw.
    """

    rules: tuple
    log10_loss: np.ndarray
    rate: np.ndarray
    margin: np.ndarray
    rho: np.ndarray


def _rate(log10_loss):
    ln = log10_loss * np.log(10)
    half = ln[ln.size // 2 :]
    live = np.flatnonzero(half > np.log(1e-250))
    if live.size < 10:
        return np.nan
    return float((half[live[0]] - half[live[-1]]) / (live[-1] - live[0]))


def gd_curves(
    *, rules=_DEFAULT_RULES, draws: int = 10, n: int = 400, d: int = 20, margin: float = 0.2, iters=2000, seed=0
):
    r"""Gradient descent on separable logistic regression with each step rule, over repeated draws.

    Each draw is :func:`separable_sphere` ``(n, d, margin=margin)``; every rule of ``rules`` runs
    :func:`~pruning_lab.selection.logistic.gd` from zero for ``iters`` iterations on the same data.
    A geometric (linear) rate shows as a constant ``rate``; the constant step's loss decays like
    :math:`1/t`, so its ``rate`` tends to zero.

    Parameters
    ----------
    rules : sequence of (str, float)
        Pairs (step rule of :func:`~pruning_lab.selection.logistic.gd`, :math:`\eta_0`).
    draws : int
        Number of data draws (>= 2).
    n : int
        Points drawn per draw, before the margin filter (:func:`separable_sphere`).
    d : int
        Dimension.
    margin : float
        The margin filter.
    iters : int
        Iterations of every run.
    seed : int or numpy.random.Generator
        Seed of the draws.

    Returns
    -------
    LogisticCurves
    """
    rules = _check_rules(rules)
    draws = check_int(draws, "draws", 2)
    iters = check_int(iters, "iters", 20)
    rng = as_rng(seed)
    logs = np.empty((len(rules), draws, iters + 1))
    gammas, rhos = np.empty(draws), np.empty(draws)
    for t in range(draws):
        A, y, _ = separable_sphere(n, d, margin=margin, seed=rng)
        gammas[t], rhos[t] = max_margin(A, y), smoothness_constant(A)
        for r, (step, eta0) in enumerate(rules):
            logs[r, t] = _log10(gd(A, y, step=step, eta0=eta0, iters=iters)[1])
    rate = np.array([[_rate(logs[r, t]) for t in range(draws)] for r in range(len(rules))])
    return LogisticCurves(rules, logs, rate, gammas, rhos)


@dataclass(frozen=True)
class SparseTradeoff:
    r"""The sparsity–loss trade-off of :func:`sparse_logistic_tradeoff`.

    Attributes
    ----------
    methods : tuple of str
        ``"iht"`` and/or ``"omp"``.
    rules : tuple of (str, float)
        The step rules and their :math:`\eta_0`.
    ks : ndarray of int
        The sparsities.
    log10_loss : ndarray
        Shape (methods, rules, ks, draws): :math:`\log_{10}` of the final training loss of every run
        (floored at ``LOSS_FLOOR``).
    recovered : ndarray
        Shape (methods, rules, ks, draws): fraction of the labelling direction's support found in the returned support.
    support : int
        Nonzero coordinates of the labelling direction.
    """

    methods: tuple
    rules: tuple
    ks: np.ndarray
    log10_loss: np.ndarray
    recovered: np.ndarray
    support: int

    def mean_se(self):
        """Mean and standard error over the draws of ``log10_loss``, shape (methods, rules, ks) each."""
        draws = self.log10_loss.shape[-1]
        return self.log10_loss.mean(-1), self.log10_loss.std(-1, ddof=1) / np.sqrt(draws)


_SPARSE = {"iht": iht_logistic, "omp": omp_logistic}


def sparse_logistic_tradeoff(
    ks=(3, 5, 8, 12),
    *,
    methods=("iht", "omp"),
    rules=_DEFAULT_RULES,
    draws: int = 10,
    n: int = 1500,
    d: int = 50,
    support: int = 5,
    margin: float = 0.2,
    iht_iters: int = 500,
    omp_iters: int = 100,
    seed=0,
):
    r"""Sparse logistic regression by IHT and OMP with each step rule: final loss against sparsity.

    Each draw is :func:`separable_sphere` ``(n, d, margin=margin, support=support)`` (points drawn,
    then filtered by the margin); for every method, rule and sparsity :math:`k` the final training
    loss and the recovered fraction of the labelling support are stored.  IHT runs ``iht_iters``
    iterations; OMP refits with ``omp_iters`` gradient steps per added coordinate (warm-started).

    Parameters
    ----------
    ks : sequence of int
        Sparsities, each in 1..d.
    methods : sequence of {"iht", "omp"}
        :func:`~pruning_lab.selection.logistic.iht_logistic`,
        :func:`~pruning_lab.selection.logistic.omp_logistic`.
    rules : sequence of (str, float)
        Pairs (step rule, :math:`\eta_0`).
    draws : int
        Number of data draws (>= 2).
    n : int
        Points drawn per draw, before the margin filter (:func:`separable_sphere`).
    d : int
        Dimension.
    support : int
        Nonzero coordinates of the labelling direction.
    margin : float
        The margin filter.
    iht_iters : int
        Iterations of IHT.
    omp_iters : int
        Gradient steps of each OMP refit.
    seed : int or numpy.random.Generator
        Seed of the draws.

    Returns
    -------
    SparseTradeoff
    """
    methods = (methods,) if isinstance(methods, str) else tuple(methods)
    if not methods or any(m not in _SPARSE for m in methods):
        raise ValueError(f"methods must be a non-empty selection of {tuple(_SPARSE)}, got {methods!r}")
    rules = _check_rules(rules)
    ks = check_int_array(ks, "ks", low=1, what="sparsities")
    if ks.max() > d:
        raise ValueError(f"ks must be at most d={d}, got {ks.max()}")
    draws = check_int(draws, "draws", 2)
    iters = {"iht": check_int(iht_iters, "iht_iters", 1), "omp": check_int(omp_iters, "omp_iters", 1)}
    rng = as_rng(seed)
    shape = (len(methods), len(rules), len(ks), draws)
    logs, rec = np.empty(shape), np.empty(shape)
    for t in range(draws):
        A, y, w = separable_sphere(n, d, margin=margin, support=support, seed=rng)
        truth = np.flatnonzero(w)
        for a, method in enumerate(methods):
            for r, (step, eta0) in enumerate(rules):
                for b, k in enumerate(ks):
                    found, _, losses = _SPARSE[method](A, y, int(k), step=step, eta0=eta0, iters=iters[method])
                    logs[a, r, b, t] = _log10(losses[-1])
                    rec[a, r, b, t] = np.isin(truth, found).mean()
    return SparseTradeoff(methods, rules, ks, logs, rec, int(check_int(support, "support", 1, d)))
