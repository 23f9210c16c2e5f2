r"""The chapter's experiments: planted sparse least-squares problems, objective vs sparsity, the
sparsity–condition-number trade-off, and the group LASSO threshold shown numerically.

Each function returns arrays in a dataclass (no plotting) and runs in a few seconds at the default
(book) sizes.  Designs follow the experiments X1–X3 of the chapter :doc:`/book/lasso_to_sapp`:
X1/X2 use an equicorrelated Gaussian design (Axiotis & Yasuda, 2023); the trade-off experiment adds
*decoy* columns, each a noisy copy of the planted signal :math:`X\beta^*` direction, the classical
instance on which greedy and thresholding methods pick a wrong coordinate (e.g. Axiotis &
Sviridenko, 2020, discuss why such instances force a sparsity blow-up).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from tqdm.auto import tqdm

from ..lsq import restricted_fit
from ..validation import as_rng, check_array, check_int, check_nonnegative
from .base import _check_xy, _Groups, _loss
from .greedy import group_omp, ompr
from .lasso import group_lasso, group_lasso_path, lambda_max
from .restricted import restricted_constants
from .thresholding import iht, regularized_iht_variant

__all__ = [
    "ObjectiveCurves",
    "SparseProblem",
    "SparsityTradeoff",
    "ThresholdDemo",
    "decoy_problem",
    "equicorrelated_problem",
    "group_lasso_threshold_demo",
    "objective_vs_sparsity",
    "sparsity_tradeoff",
]

METHODS = ("omp", "ompr", "iht", "regiht")


@dataclass(frozen=True)
class SparseProblem:
    """A planted sparse least-squares problem :math:`y=X\\beta^*+\\sigma\\varepsilon`.

    Attributes
    ----------
    X : ndarray
        Design, shape (n, p).
    y : ndarray
        Responses, shape (n,).
    beta : ndarray
        Planted coefficients :math:`\\beta^*`, shape (p,).
    support : ndarray of int
        Planted groups (coordinates for singleton groups), sorted.
    groups : list or None
        The partition (``None``: singleton groups).
    f_star : float
        :math:`l(x^*)` with :math:`x^*` the least-squares fit on the planted support.
    """

    X: np.ndarray
    y: np.ndarray
    beta: np.ndarray
    support: np.ndarray
    groups: list | None
    f_star: float


def _finish(X, y, beta, support, groups):
    g = _Groups(groups, X.shape[1])
    xs = restricted_fit(X, y, g.coords(support))
    return SparseProblem(X, y, beta, np.sort(np.asarray(support, dtype=int)), groups, _loss(X, y, xs))


def equicorrelated_problem(
    n: int = 300,
    n_groups: int = 60,
    s_star: int = 5,
    *,
    group_size: int = 1,
    rho: float = 0.3,
    noise: float = 0.1,
    rng=None,
) -> SparseProblem:
    r"""Gaussian design with pairwise correlation ``rho`` and a planted ``s_star``-group-sparse target (X1, X2).

    Rows :math:`x\sim\mathcal N(0,(1-\rho)I+\rho\mathbf 1\mathbf 1^\top)` (drawn as
    :math:`\sqrt{1-\rho}\,z+\sqrt\rho\,z_0\mathbf 1`), ``n_groups`` contiguous groups of ``group_size``,
    :math:`\beta^*` standard normal on ``s_star`` random groups, :math:`y=X\beta^*+\text{noise}\cdot\varepsilon`.

    Parameters
    ----------
    n : int
        Number of observations.
    n_groups : int
        Number of groups :math:`t`.
    s_star : int
        Number of planted groups, in ``0..n_groups``.
    group_size : int
        Coordinates per group (1: ordinary sparsity, ``groups=None``).
    rho : float
        Pairwise correlation, in [0, 1).
    noise : float
        Noise standard deviation, >= 0.
    rng : numpy.random.Generator or int, optional
        Generator or seed.

    Returns
    -------
    SparseProblem
        The problem.
    """
    n = check_int(n, "n (observations)", 1)
    t = check_int(n_groups, "n_groups", 1)
    s_star = check_int(s_star, "s_star (planted groups)", 0, t)
    size = check_int(group_size, "group_size", 1)
    rho = check_nonnegative(rho, "rho (correlation)")
    if rho >= 1:
        raise ValueError(f"rho (correlation) must lie in [0, 1), got {rho}")
    noise = check_nonnegative(noise, "noise")
    rng = as_rng(rng)
    p = t * size
    X = np.sqrt(1 - rho) * rng.standard_normal((n, p)) + np.sqrt(rho) * rng.standard_normal((n, 1))
    groups = None if size == 1 else [np.arange(i * size, (i + 1) * size) for i in range(t)]
    support = rng.choice(t, s_star, replace=False)
    mask = np.isin(np.arange(p) // size, support)
    beta = np.where(mask, rng.standard_normal(p), 0.0)
    y = X @ beta + noise * rng.standard_normal(n)
    return _finish(X, y, beta, support, groups)


def decoy_problem(
    n: int = 200,
    p: int = 100,
    s_star: int = 10,
    *,
    coherence: float = 0.9,
    n_decoys: int = 5,
    noise: float = 0.0,
    rng=None,
) -> SparseProblem:
    r"""A planted problem with decoy columns that are noisy copies of the signal direction (X3).

    Columns are i.i.d. :math:`\mathcal N(0,1)`, :math:`\beta^*` has ``s_star`` entries of random sign
    and magnitude in [1, 2], and the first ``n_decoys`` non-planted columns are replaced by
    :math:`\sqrt{\gamma}\,\sqrt n\,X\beta^*/\lVert X\beta^*\rVert+\sqrt{1-\gamma}\,z` with
    :math:`\gamma` = ``coherence``.  A decoy correlates with :math:`y` by about :math:`\sqrt\gamma`
    while any planted column does by about :math:`1/\sqrt{s^*}`, so greedy and thresholding methods
    are lured to decoys; the restricted condition number grows like :math:`1/(1-\gamma)`.

    Parameters
    ----------
    n : int
        Number of observations.
    p : int
        Number of columns.
    s_star : int
        Planted sparsity, with ``s_star + n_decoys <= p``.
    coherence : float
        :math:`\gamma\in[0,1)`.
    n_decoys : int
        Number of decoy columns.
    noise : float
        Noise standard deviation, >= 0.
    rng : numpy.random.Generator or int, optional
        Generator or seed.

    Returns
    -------
    SparseProblem
        The problem (singleton groups).
    """
    n = check_int(n, "n (observations)", 1)
    p = check_int(p, "p (columns)", 1)
    s_star = check_int(s_star, "s_star (planted sparsity)", 1, p)
    n_decoys = check_int(n_decoys, "n_decoys", 0, p - s_star)
    gamma = check_nonnegative(coherence, "coherence")
    if gamma >= 1:
        raise ValueError(f"coherence must lie in [0, 1), got {gamma}")
    noise = check_nonnegative(noise, "noise")
    rng = as_rng(rng)
    X = rng.standard_normal((n, p))
    perm = rng.permutation(p)
    support, decoys = perm[:s_star], perm[s_star : s_star + n_decoys]
    beta = np.zeros(p)
    beta[support] = rng.choice([-1.0, 1.0], s_star) * rng.uniform(1, 2, s_star)
    signal = X @ beta
    u = np.sqrt(n) * signal / np.linalg.norm(signal)
    X[:, decoys] = np.sqrt(gamma) * u[:, None] + np.sqrt(1 - gamma) * rng.standard_normal((n, n_decoys))
    y = X @ beta + noise * rng.standard_normal(n)
    return _finish(X, y, beta, support, None)


@dataclass(frozen=True)
class ObjectiveCurves:
    """Objective :math:`l` reached by each method at each sparsity.

    Attributes
    ----------
    s_values : ndarray of int
        Sparsities.
    objective : dict
        Method name to ndarray of :math:`l(x_s)`, one per sparsity.
    f_star : float
        :math:`l(x^*)` on the planted support.
    """

    s_values: np.ndarray
    objective: dict
    f_star: float


def _run(method, X, y, s, groups, ompr_iter, iht_iter, c):
    if method == "ompr":
        return _loss(X, y, ompr(X, y, s, groups, n_iter=ompr_iter).weights)
    if method == "iht":
        return iht(X, y, s, groups, max_iter=iht_iter).objective[-1]
    return regularized_iht_variant(X, y, s, groups, c=c, max_iter=iht_iter).objective[-1]


def objective_vs_sparsity(
    problem: SparseProblem,
    s_values,
    *,
    methods=("omp", "ompr", "iht"),
    ompr_iter: int = 50,
    iht_iter: int = 1000,
    c: float = 0.05,
    progress: bool = False,
) -> ObjectiveCurves:
    r"""Objective vs sparsity for OMP, OMPR (:math:`k'=s`), IHT and regularized IHT (experiment X2).

    For each :math:`s` and method, the loss :math:`l(x_s)` of its ``s``-group-sparse output.
    ``"regiht"`` is :func:`pruning_lab.sparse.thresholding.regularized_iht_variant` (our reconstruction) with
    weight step ``c``.

    Parameters
    ----------
    problem : SparseProblem
        The problem.
    s_values : sequence of int
        Sparsities, each in ``0..t``.
    methods : sequence of str
        Among ``"omp"``, ``"ompr"``, ``"iht"``, ``"regiht"``.
    ompr_iter : int
        OMPR swaps.
    iht_iter : int
        Maximum IHT steps.
    c : float
        Weight step of ``"regiht"``.
    progress : bool
        Show a progress bar over sparsities.

    Returns
    -------
    ObjectiveCurves
        The curves and :math:`l(x^*)`.
    """
    X, y = _check_xy(problem.X, problem.y)
    g = _Groups(problem.groups, X.shape[1])
    s_values = np.asarray(s_values)
    if (
        s_values.ndim != 1
        or s_values.size == 0
        or not np.issubdtype(s_values.dtype, np.integer)
        or s_values.min() < 0
        or s_values.max() > g.t
    ):
        raise ValueError(f"s_values must be a non-empty list of integers in 0..{g.t}")
    bad = [m for m in methods if m not in METHODS]
    if bad or not len(methods):
        raise ValueError(f"methods must be a non-empty subset of {METHODS}, got {list(methods)}")
    obj = {m: np.empty(s_values.size) for m in methods}
    if "omp" in methods:  # greedy: the run to the largest s passes through every smaller s
        obj["omp"] = group_omp(X, y, problem.groups, int(s_values.max())).objective[s_values]
    others = [m for m in methods if m != "omp"]
    for j, s in enumerate(tqdm(s_values, disable=not progress, desc="sparsity")):
        for m in others:
            obj[m][j] = _run(m, X, y, int(s), problem.groups, ompr_iter, iht_iter, c)
    return ObjectiveCurves(s_values.astype(int), obj, problem.f_star)


@dataclass(frozen=True)
class SparsityTradeoff:
    """Sparsity needed to reach :math:`l(x^*)+\\varepsilon` as the restricted condition number grows.

    Attributes
    ----------
    levels : ndarray
        Values of the family parameter (decoy coherence :math:`\\gamma`).
    kappa : ndarray
        Monte-Carlo restricted condition number :math:`\\hat\\kappa_{2s^*}` per level.
    s_values : ndarray of int
        Sparsities tried, :math:`s^*..s_{\\max}`.
    excess : dict
        Method name to ndarray of shape (levels, s_values) of :math:`l(x_s)-l(x^*)`.
    s_needed : dict
        Method name to ndarray (per level) of the smallest :math:`s` with excess
        :math:`\\le\\varepsilon` (``-1`` if none up to :math:`s_{\\max}`).
    """

    levels: np.ndarray
    kappa: np.ndarray
    s_values: np.ndarray
    excess: dict
    s_needed: dict


def sparsity_tradeoff(
    levels=(0.0, 0.6, 0.9),
    *,
    n: int = 200,
    p: int = 100,
    s_star: int = 10,
    n_decoys: int = 5,
    s_max: int | None = None,
    eps: float = 1e-4,
    methods=METHODS,
    ompr_iter: int = 50,
    iht_iter: int = 1000,
    c: float = 0.05,
    kappa_samples: int = 300,
    rng=None,
    progress: bool = False,
) -> SparsityTradeoff:
    r"""The sparsity–error trade-off on :func:`decoy_problem` as the coherence (condition number) grows (X3).

    For each level :math:`\gamma` one problem is drawn (seeds from ``rng``); every method is run at
    :math:`s=s^*,\dots,s_{\max}` (default :math:`3s^*`) and the excess objective
    :math:`l(x_s)-l(x^*)` is recorded, together with :math:`\hat\kappa_{2s^*}` from
    :func:`pruning_lab.sparse.restricted.restricted_constants` (``kappa_samples`` random unions).

    Parameters
    ----------
    levels : sequence of float
        Coherences :math:`\gamma\in[0,1)`.
    n, p, s_star, n_decoys : int
        Passed to :func:`decoy_problem`.
    s_max : int, optional
        Largest sparsity (default ``3 * s_star``, capped at ``p``).
    eps : float
        Tolerance :math:`\varepsilon` of "reaching" :math:`l(x^*)`.
    methods : sequence of str
        Among ``"omp"``, ``"ompr"``, ``"iht"``, ``"regiht"``.
    ompr_iter, iht_iter : int
        OMPR swaps and maximum IHT steps.
    c : float
        Weight step of ``"regiht"``.
    kappa_samples : int
        Unions sampled for :math:`\hat\kappa_{2s^*}`.
    rng : numpy.random.Generator or int, optional
        Generator or seed.
    progress : bool
        Show a progress bar over levels.

    Returns
    -------
    SparsityTradeoff
        Condition numbers, excess objectives and sparsity needed per method.
    """
    levels = check_array(levels, "levels", ndim=1)
    if levels.size == 0 or np.any(levels < 0) or np.any(levels >= 1):
        raise ValueError("levels must be a non-empty list of coherences in [0, 1)")
    s_star = check_int(s_star, "s_star (planted sparsity)", 1, p)
    s_max = min(3 * s_star, p) if s_max is None else check_int(s_max, "s_max", s_star, p)
    eps = check_nonnegative(eps, "eps (tolerance)")
    rng = as_rng(rng)
    s_values = np.arange(s_star, s_max + 1)
    excess = {m: np.empty((levels.size, s_values.size)) for m in methods}
    kappa = np.empty(levels.size)
    for i, gamma in enumerate(tqdm(levels, disable=not progress, desc="coherence")):
        prob = decoy_problem(n, p, s_star, coherence=float(gamma), n_decoys=n_decoys, rng=rng)
        kappa[i] = restricted_constants(prob.X, min(2 * s_star, p), n_samples=kappa_samples, rng=rng).kappa
        curves = objective_vs_sparsity(prob, s_values, methods=methods, ompr_iter=ompr_iter, iht_iter=iht_iter, c=c)
        for m in methods:
            excess[m][i] = curves.objective[m] - prob.f_star
    needed = {}
    for m in methods:
        ok = excess[m] <= eps
        needed[m] = np.where(ok.any(axis=1), s_values[np.argmax(ok, axis=1)], -1)
    return SparsityTradeoff(levels, kappa, s_values, excess, needed)


@dataclass(frozen=True)
class ThresholdDemo:
    """Theorem 3.A of Axiotis & Yasuda (2023) shown numerically on one problem (X1).

    Attributes
    ----------
    lams : ndarray
        Decreasing :math:`\\lambda` grid of the path (starting at :math:`1.2\\tau`).
    group_norm_path : ndarray
        :math:`\\lVert\\beta^\\lambda\\vert_{T_i}\\rVert_2`, shape (len(lams), t).
    tau : ndarray
        :math:`\\tau_r` after :math:`r=0,1,\\dots` OMP steps.
    switch_on : ndarray of int
        The unique group active at :math:`\\lambda=(1-\\delta)\\tau_r` besides :math:`S_r` (``-1`` if not unique).
    omp_order : ndarray of int
        Group-OMP selection order.
    active_above : tuple
        Active penalized groups at :math:`(1+\\delta)\\tau_r` (each should be empty).
    """

    lams: np.ndarray
    group_norm_path: np.ndarray
    tau: np.ndarray
    switch_on: np.ndarray
    omp_order: np.ndarray
    active_above: tuple


def group_lasso_threshold_demo(
    problem: SparseProblem, n_steps: int = 4, *, delta: float = 1e-3, n_lams: int = 40
) -> ThresholdDemo:
    r"""Which group switches on just below :math:`\tau`, and does it equal the group-OMP choice? (X1)

    For :math:`r=0..` ``n_steps``-1, with :math:`S_r` the first :math:`r` group-OMP choices,
    :math:`\tau_r` = :func:`pruning_lab.sparse.lasso.lambda_max` with ``unpenalized`` :math:`=S_r`; solve the
    group LASSO penalizing :math:`\bar S_r` at :math:`(1\pm\delta)\tau_r` and record the active groups.
    Also the full path from :math:`1.2\tau_0` down to :math:`0.02\tau_0` for plotting.

    Parameters
    ----------
    problem : SparseProblem
        The problem.
    n_steps : int
        Number of OMP steps checked, in ``1..t-1``.
    delta : float
        Relative gap, in (0, 1).
    n_lams : int
        Grid size of the path.

    Returns
    -------
    ThresholdDemo
        Path, thresholds, switched-on groups and the OMP order.
    """
    X, y = _check_xy(problem.X, problem.y)
    g = _Groups(problem.groups, X.shape[1])
    n_steps = check_int(n_steps, "n_steps", 1, g.t - 1)
    if not 0 < delta < 1:
        raise ValueError(f"delta must lie in (0, 1), got {delta}")
    n_lams = check_int(n_lams, "n_lams", 2)
    order = group_omp(X, y, problem.groups, n_steps).support
    taus, on, above = [], [], []
    for r in range(n_steps):
        S = [int(i) for i in order[:r]]
        tau = lambda_max(X, y, problem.groups, unpenalized=S)
        below = set(group_lasso(X, y, (1 - delta) * tau, problem.groups, unpenalized=S).active) - set(S)
        up = set(group_lasso(X, y, (1 + delta) * tau, problem.groups, unpenalized=S).active) - set(S)
        taus.append(tau)
        on.append(below.pop() if len(below) == 1 else -1)
        above.append(tuple(sorted(up)))
    lams = taus[0] * np.geomspace(1.2, 0.02, n_lams)
    path = group_lasso_path(X, y, problem.groups, lams=lams)
    norms = np.stack([g.norms(w) for w in path.weights])
    return ThresholdDemo(lams, norms, np.array(taus), np.array(on, dtype=int), order, tuple(above))
