r"""Group LASSO and the selection rules it implies: prox, FISTA solver, path, sequential LASSO and attention.

The group LASSO penalizing only the unselected groups :math:`\bar S`,

.. math:: \min_\beta\ l(\beta)+\lambda\sum_{i\notin S}\lVert\beta\vert_{T_i}\rVert_2,

vanishes on every unselected group for :math:`\lambda\ge\tau=\max_{i\notin S}
\lVert\nabla l(\beta^\infty)\vert_{T_i}\rVert_2`, and just below :math:`\tau` only the group attaining
that maximum switches on: this is the group-OMP choice (Axiotis & Yasuda, 2023, Lemma 3.2; Yasuda's
thesis Thm. 16.1.3).  Sequential LASSO (thesis Algorithm 6) and regularized linear Sequential
Attention (Yasuda et al., ICLR 2023; thesis Algorithm 8, equal to sequential LASSO by the Hoff
identity) are therefore OMP.  Used in the chapter :doc:`/book/lasso_to_sapp`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..lsq import restricted_fit
from ..validation import as_rng, check_array, check_int_array, check_nonnegative
from .base import SparseFit, _check_count, _check_xy, _grad, _Groups, _lipschitz, _loss
from .greedy import _greedy, _omp_pick

__all__ = [
    "GroupLassoPath",
    "GroupLassoResult",
    "block_soft_threshold",
    "group_lasso",
    "group_lasso_path",
    "group_soft_threshold",
    "lambda_max",
    "sequential_attention_linear",
    "sequential_lasso",
]


@dataclass(frozen=True)
class GroupLassoResult:
    """Group LASSO solution: weights, active (nonzero) groups, penalized objective, KKT residual.

    Attributes
    ----------
    weights : ndarray
        Minimizer, shape (p,).
    active : tuple
        Groups on which it is nonzero.
    objective : float
        Penalized objective at the minimizer.
    n_iter : int
        FISTA iterations.
    converged : bool
        Whether the KKT residual reached ``tol``.
    kkt_residual : float
        Norm of the prox-gradient mapping at the returned point.
    """

    weights: np.ndarray
    active: tuple
    objective: float
    n_iter: int
    converged: bool
    kkt_residual: float


@dataclass(frozen=True)
class GroupLassoPath:
    """Regularization path: ``weights[m]`` solves the group LASSO at ``lams[m]`` (decreasing).

    ``active[m]`` is the tuple of nonzero groups at ``lams[m]``; ``entry_order`` lists the
    groups in the order they first became active along the path.
    """

    lams: np.ndarray
    weights: np.ndarray
    active: tuple
    entry_order: tuple


def block_soft_threshold(v, t: float) -> np.ndarray:
    r"""Block soft-thresholding, the prox of :math:`t\lVert\cdot\rVert_2`:

    .. math:: \operatorname{prox}_{t\lVert\cdot\rVert}(v)=\arg\min_z \tfrac12\lVert v-z\rVert^2+t\lVert z\rVert_2
              =\max\!\big(0,1-t/\lVert v\rVert_2\big)\,v .

    Parameters
    ----------
    v : ndarray of shape (m,)
        Input block.
    t : float
        Threshold, >= 0.

    Returns
    -------
    ndarray of shape (m,)
        The prox.
    """
    v = check_array(v, "v", ndim=1)
    t = check_nonnegative(t, "t (threshold)")
    nv = float(np.linalg.norm(v))
    return np.zeros_like(v) if nv <= t else (1.0 - t / nv) * v


def group_soft_threshold(x, groups, t: float, *, unpenalized=()) -> np.ndarray:
    r"""Prox of :math:`t\sum_{i\notin S}\lVert x\vert_{T_i}\rVert_2`: block soft-thresholding of every penalized group.

    The groups in ``unpenalized`` (:math:`S`) pass unchanged.

    Parameters
    ----------
    x : ndarray of shape (p,)
        Input vector.
    groups : sequence of int arrays
        A partition of ``0..p-1`` (``None``: singleton groups).
    t : float
        Threshold, >= 0.
    unpenalized : sequence of int
        Group indices left unpenalized.

    Returns
    -------
    ndarray of shape (p,)
        The prox.
    """
    x = check_array(x, "x", ndim=1)
    g = _Groups(groups, x.size)
    t = check_nonnegative(t, "t (threshold)")
    pen = _penalized(g, unpenalized)
    return _shrink(x, g, t, pen)


def _penalized(g: _Groups, unpenalized) -> np.ndarray:
    pen = np.ones(g.t, dtype=bool)
    idx = np.zeros(0, dtype=int)
    if len(unpenalized):
        idx = check_int_array(list(unpenalized), "unpenalized", 0, "group indices")
    if idx.size and (idx.min() < 0 or idx.max() >= g.t):
        raise ValueError(f"unpenalized group indices must lie in 0..{g.t - 1}")
    pen[idx] = False
    return pen


def _shrink(x, g, t, pen):
    nrm = g.norms(x)
    with np.errstate(divide="ignore", invalid="ignore"):
        scale = np.where(nrm > t, 1.0 - t / np.where(nrm > 0, nrm, 1.0), 0.0)
    scale[~pen] = 1.0
    return scale[g.labels] * x


def lambda_max(X, y, groups=None, *, unpenalized=()) -> float:
    r"""Threshold :math:`\tau=\max_{i\notin S}\lVert\nabla l(\beta^\infty)\vert_{T_i}\rVert_2` (Axiotis & Yasuda, 2023).

    For ``unpenalized=()`` (:math:`S=\emptyset`) this is :math:`\max_i\lVert X_{T_i}^\top y\rVert_2/n`;
    for :math:`\lambda\ge\tau` the group LASSO solution vanishes on every penalized group.

    Parameters
    ----------
    X : ndarray of shape (n, p)
        Design matrix.
    y : ndarray of shape (n,)
        Responses.
    groups : sequence of int arrays, optional
        A partition of ``0..p-1`` (default: singleton groups).
    unpenalized : sequence of int
        The selected groups :math:`S`.

    Returns
    -------
    float
        :math:`\tau`.
    """
    X, y = _check_xy(X, y)
    g = _Groups(groups, X.shape[1])
    pen = _penalized(g, unpenalized)
    if not pen.any():
        raise ValueError("at least one group must be penalized")
    b = restricted_fit(X, y, g.coords(np.flatnonzero(~pen)))
    return float(np.max(g.norms(_grad(X, y, b))[pen]))


def group_lasso(
    X, y, lam: float, groups=None, *, unpenalized=(), w0=None, tol: float = 1e-10, max_iter: int = 20000
) -> GroupLassoResult:
    r"""Group LASSO by accelerated proximal gradient (FISTA with adaptive restart, step :math:`1/L`).

    .. math:: \min_\beta\ \frac1{2n}\lVert y-X\beta\rVert^2+\lambda\sum_{i\notin S}\lVert\beta\vert_{T_i}\rVert_2

    with :math:`S` = ``unpenalized``.  The prox step is :func:`group_soft_threshold`.
    Stops when the prox-gradient mapping norm (a KKT residual) is below ``tol``.

    Parameters
    ----------
    X : ndarray of shape (n, p)
        Design matrix.
    y : ndarray of shape (n,)
        Responses.
    lam : float
        Regularization strength :math:`\lambda\ge0`.
    groups : sequence of int arrays, optional
        A partition of ``0..p-1`` (default: singleton groups).
    unpenalized : sequence of int
        Unpenalized groups :math:`S`.
    w0 : ndarray of shape (p,), optional
        Warm start.
    tol : float
        KKT tolerance.
    max_iter : int
        Maximum FISTA iterations.

    Returns
    -------
    GroupLassoResult
        Minimizer, active groups, objective and convergence information.
    """
    X, y = _check_xy(X, y)
    g = _Groups(groups, X.shape[1])
    lam = check_nonnegative(lam, "lam (regularization strength)")
    pen = _penalized(g, unpenalized)
    b0 = np.zeros(X.shape[1]) if w0 is None else check_array(w0, "w0", ndim=1, shape=(X.shape[1],))
    tol, max_iter = check_nonnegative(tol, "tol"), _check_count(max_iter, "max_iter", 10**8)
    b, it, conv, res = _prox_grad(X, y, lam, g, pen, b0, tol, max_iter)
    obj = _loss(X, y, b) + lam * float(np.sum(g.norms(b)[pen]))
    active = tuple(int(i) for i in np.flatnonzero(g.norms(b) > 0))
    return GroupLassoResult(b, active, obj, it, conv, res)


def _prox_grad(X, y, lam, g, pen, b0, tol, max_iter):
    eta = 1.0 / _lipschitz(X)
    b, z, t = b0.copy(), b0.copy(), 1.0
    res = np.inf
    for it in range(1, max_iter + 1):
        nb = _shrink(z - eta * _grad(X, y, z), g, eta * lam, pen)
        if np.dot(z - nb, nb - b) > 0:  # adaptive restart (O'Donoghue & Candes)
            t, z = 1.0, b.copy()
            continue
        if np.linalg.norm(nb - z) / eta <= tol:
            res = np.linalg.norm(nb - _shrink(nb - eta * _grad(X, y, nb), g, eta * lam, pen)) / eta
            if res <= tol:
                return nb, it, True, float(res)
        tn = 0.5 * (1 + np.sqrt(1 + 4 * t * t))
        z = nb + (t - 1) / tn * (nb - b)
        b, t = nb, tn
    res = np.linalg.norm(b - _shrink(b - eta * _grad(X, y, b), g, eta * lam, pen)) / eta
    return b, max_iter, bool(res <= tol), float(res)


def group_lasso_path(
    X, y, groups=None, *, lams=None, n_lams: int = 30, eps: float = 1e-3, tol: float = 1e-10, max_iter: int = 20000
) -> GroupLassoPath:
    r"""Group LASSO regularization path over decreasing :math:`\lambda` with warm starts.

    Default grid: ``n_lams`` values geometrically spaced from :math:`\lambda_{\max}` (:func:`lambda_max`)
    down to ``eps`` :math:`\lambda_{\max}`.  Reports the active groups at each :math:`\lambda` and the
    order in which groups enter (the first is the largest-gradient group, Axiotis & Yasuda, 2023).

    Parameters
    ----------
    X : ndarray of shape (n, p)
        Design matrix.
    y : ndarray of shape (n,)
        Responses.
    groups : sequence of int arrays, optional
        A partition of ``0..p-1`` (default: singleton groups).
    lams : ndarray of shape (m,), optional
        Decreasing grid of :math:`\lambda\ge0` (overrides ``n_lams``/``eps``).
    n_lams : int
        Size of the default grid.
    eps : float
        Smallest :math:`\lambda` of the default grid, relative to :math:`\lambda_{\max}`, in (0, 1).
    tol : float
        KKT tolerance of each solve.
    max_iter : int
        Maximum FISTA iterations per solve.

    Returns
    -------
    GroupLassoPath
        Grid, solutions, active sets and entry order.
    """
    X, y = _check_xy(X, y)
    g = _Groups(groups, X.shape[1])
    tol, max_iter = check_nonnegative(tol, "tol"), _check_count(max_iter, "max_iter", 10**8)
    if lams is None:
        n_lams = _check_count(n_lams, "n_lams", 10**6)
        eps = check_nonnegative(eps, "eps")
        if not 0 < eps < 1:
            raise ValueError(f"eps must lie in (0, 1), got {eps}")
        lmax = lambda_max(X, y, groups)
        lams = lmax * np.geomspace(1.0, eps, n_lams)
    lams = check_array(lams, "lams", ndim=1)
    if np.any(lams < 0):
        raise ValueError("lams must all be >= 0")
    if np.any(np.diff(lams) > 0):
        raise ValueError("lams must be in decreasing order (for warm starts)")
    b, W, active, order = np.zeros(X.shape[1]), [], [], []
    pen = np.ones(g.t, dtype=bool)
    for lam in lams:
        b = _prox_grad(X, y, float(lam), g, pen, b, tol, max_iter)[0]
        nrm = g.norms(b)
        act = tuple(int(i) for i in np.flatnonzero(nrm > 0))
        order.extend(sorted((i for i in act if i not in order), key=lambda i: -nrm[i]))
        W.append(b)
        active.append(act)
    return GroupLassoPath(lams, np.array(W).reshape(len(lams), X.shape[1]), tuple(active), tuple(order))


def sequential_lasso(
    X, y, k: int, groups=None, *, rel_gap: float = 1e-3, tol: float = 1e-10, max_iter: int = 20000
) -> SparseFit:
    r"""(Group) sequential LASSO (Algorithm 6 of Yasuda's thesis; Axiotis & Yasuda, 2023).

    At each step, with :math:`S` selected: :math:`\beta^\infty` = restricted optimum on :math:`S`,
    :math:`\tau=\max_{i\notin S}\lVert\nabla l(\beta^\infty)\vert_{T_i}\rVert_2`, and solve the group
    LASSO penalizing only unselected groups at :math:`\lambda=(1-\text{rel\_gap})\tau` (warm start at
    :math:`\beta^\infty`).  The unselected group that is nonzero in :math:`\beta^\lambda` (the largest one,
    should several be) joins :math:`S`.  It is the group-OMP choice.

    Parameters
    ----------
    X : ndarray of shape (n, p)
        Design matrix.
    y : ndarray of shape (n,)
        Responses.
    k : int
        Number of groups to select.
    groups : sequence of int arrays, optional
        A partition of ``0..p-1`` (default: singleton groups).
    rel_gap : float
        :math:`\lambda=(1-\text{rel\_gap})\tau`, in (0, 1).
    tol : float
        KKT tolerance of each group LASSO.
    max_iter : int
        Maximum FISTA iterations per group LASSO.

    Returns
    -------
    SparseFit
        Selected groups in order, restricted optimum and loss after each step.
    """
    X, y = _check_xy(X, y)
    g = _Groups(groups, X.shape[1])
    k = _check_count(k, "k (number of groups to select)", g.t)
    if not 0 < rel_gap < 1:
        raise ValueError(f"rel_gap must lie in (0, 1), got {rel_gap}")

    def pick(b, S):
        scores = g.norms(_grad(X, y, b))
        scores[S] = -np.inf
        tau = float(np.max(scores))
        if tau == 0.0:
            return _omp_pick(X, y, g, b, S)
        res = _prox_grad(X, y, (1 - rel_gap) * tau, g, _penalized(g, S), b, tol, max_iter)
        nrm = g.norms(res[0])
        nrm[S] = -np.inf
        return int(np.argmax(nrm))

    return _greedy(X, y, g, k, pick)


def sequential_attention_linear(
    X, y, k: int, groups=None, *, rel_gap: float = 1e-2, n_steps: int = 20000, init_scale: float = 1e-3, rng=None
) -> SparseFit:
    r"""Regularized linear Sequential Attention (Algorithm 8 of Yasuda's thesis; Yasuda et al., 2023).

    Each step solves, by plain gradient descent (step :math:`0.5/L`, ``n_steps`` steps),
    :math:`\min_{w,\beta} l(\beta_w)+\frac\lambda2\sum_{i\notin S}(w_i^2+\lVert\beta\vert_{T_i}\rVert^2)`
    with :math:`\beta_w\vert_{T_i}=w_i\beta\vert_{T_i}`, :math:`w_i=1` fixed on selected groups (started at
    :math:`\beta^\infty`), unselected :math:`w_i,\beta\vert_{T_i}\sim` ``init_scale`` :math:`\cdot\mathcal N(0,1)`
    and :math:`\lambda=(1-\text{rel\_gap})\tau`.  The unselected group with the largest
    :math:`\lvert w_i\rvert\lVert\beta\vert_{T_i}\rVert` joins :math:`S`.  By the Hoff identity this is the
    sequential LASSO, hence the OMP choice.

    Parameters
    ----------
    X : ndarray of shape (n, p)
        Design matrix.
    y : ndarray of shape (n,)
        Responses.
    k : int
        Number of groups to select.
    groups : sequence of int arrays, optional
        A partition of ``0..p-1`` (default: singleton groups).
    rel_gap : float
        :math:`\lambda=(1-\text{rel\_gap})\tau`, in (0, 1).
    n_steps : int
        Gradient steps per selection.
    init_scale : float
        Scale of the random initialization of the unselected groups.
    rng : numpy.random.Generator or int, optional
        Generator or seed for the initialization.

    Returns
    -------
    SparseFit
        Selected groups in order, restricted optimum and loss after each step.
    """
    X, y = _check_xy(X, y)
    g = _Groups(groups, X.shape[1])
    k = _check_count(k, "k (number of groups to select)", g.t)
    if not 0 < rel_gap < 1:
        raise ValueError(f"rel_gap must lie in (0, 1), got {rel_gap}")
    n_steps = _check_count(n_steps, "n_steps", 10**8)
    init_scale = check_nonnegative(init_scale, "init_scale")
    rng = as_rng(rng)
    eta = 0.5 / _lipschitz(X)

    def pick(b, S):
        scores = g.norms(_grad(X, y, b))
        scores[S] = -np.inf
        lam = (1 - rel_gap) * float(np.max(scores))
        unsel = np.ones(g.t, dtype=bool)
        unsel[S] = False
        free = unsel[g.labels]
        beta = np.where(free, init_scale * rng.standard_normal(b.size), b)
        w = np.where(unsel, init_scale * rng.standard_normal(g.t), 1.0)
        for _ in range(n_steps):
            grad = _grad(X, y, w[g.labels] * beta)
            gw = np.bincount(g.labels, weights=grad * beta, minlength=g.t) + lam * w
            gb = grad * w[g.labels] + lam * free * beta
            w = w - eta * np.where(unsel, gw, 0.0)
            beta = beta - eta * gb
        mag = np.abs(w) * g.norms(beta)
        mag[S] = -np.inf
        return int(np.argmax(mag))

    return _greedy(X, y, g, k, pick)
