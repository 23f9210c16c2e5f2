r"""Sparse convex optimization for linear models: OMP, OMPR, IHT, group LASSO, sequential LASSO.

All methods work on the least-squares loss of the chapter "Sparse convex optimization",

.. math:: l(\beta) = \frac{1}{2n}\lVert y - X\beta\rVert_2^2,\qquad
          \nabla l(\beta) = -\tfrac1n X^\top (y - X\beta),

with the coordinates partitioned into groups :math:`T_1,\dots,T_t` (``groups=None``
means singleton groups, i.e. ordinary sparsity).  A group's *gradient norm*
:math:`\lVert\nabla l(\beta)\vert_{T_i}\rVert_2` is the selection score of group OMP,
and by Theorem 3.A of the spec (Axiotis–Yasuda; thesis Thm. 16.1.3) it is also the
group that first enters a group LASSO in which only the unselected groups are penalized.

``groups`` is a sequence of integer index arrays that partition ``0..p-1``.
RegIHT and ARHT are deliberately **not** provided: the spec marks them as
reconstructed sketches that failed in pilots (spec §§5.3, 6.2).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .lsq import min_norm_solution, restricted_fit
from .prune import top_s_mask
from .validation import as_rng, check_array, check_int, check_nonnegative, check_sparsity

__all__ = [
    "CSSResult", "GroupLassoPath", "GroupLassoResult", "SparseFit",
    "block_soft_threshold", "css_group_omp", "group_hard_threshold", "group_lasso",
    "group_lasso_path", "group_norms", "group_omp", "group_soft_threshold", "hard_threshold",
    "iht", "lambda_max", "least_squares_loss", "omp", "ompr", "sequential_attention_linear",
    "sequential_lasso",
]


@dataclass(frozen=True)
class SparseFit:
    """Result of a sparse solver.

    Attributes
    ----------
    weights : ndarray
        The returned weights, shape (p,) (zero outside the selected groups).
    support : ndarray of int
        Selected group indices (coordinates for singleton groups); in selection
        order for the greedy methods (OMP, sequential LASSO), sorted otherwise.
    objective : ndarray
        History of :math:`l(\\beta)`: one entry per step (the first is the start).
    n_iter : int
        Number of iterations / selection steps performed.
    """

    weights: np.ndarray
    support: np.ndarray
    objective: np.ndarray
    n_iter: int


@dataclass(frozen=True)
class GroupLassoResult:
    """Group LASSO solution: weights, active (nonzero) groups, penalized objective, KKT residual."""

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


@dataclass(frozen=True)
class CSSResult:
    """Column subset selection: chosen columns (in order), coefficients V and residual history."""

    columns: np.ndarray
    coefficients: np.ndarray
    objective: np.ndarray


# ----------------------------------------------------------------------------- helpers
class _Groups:
    """A validated partition of 0..p-1: ``labels[j]`` is the group of coordinate j."""

    def __init__(self, groups, p: int):
        if groups is None:
            self.members = [np.array([j]) for j in range(p)]
        else:
            if isinstance(groups, np.ndarray) and groups.ndim != 1 and groups.dtype != object:
                groups = list(groups)
            try:
                members = [np.asarray(g) for g in groups]
            except TypeError:
                raise ValueError("groups must be a sequence of integer index arrays") from None
            for g in members:
                if g.ndim != 1 or g.size == 0 or not np.issubdtype(g.dtype, np.integer):
                    raise ValueError("groups must be a sequence of non-empty 1-D integer index arrays")
            flat = np.concatenate(members) if members else np.zeros(0, dtype=int)
            if flat.size != p or not np.array_equal(np.sort(flat), np.arange(p)):
                raise ValueError(
                    f"groups must be a partition of 0..{p - 1}: every coordinate in exactly one group")
            self.members = [g.astype(int) for g in members]
        self.t = len(self.members)
        self.labels = np.empty(p, dtype=int)
        for i, g in enumerate(self.members):
            self.labels[g] = i

    def norms(self, x: np.ndarray) -> np.ndarray:
        return np.sqrt(np.bincount(self.labels, weights=x * x, minlength=self.t))

    def coords(self, sel) -> np.ndarray:
        sel = list(sel)
        return np.sort(np.concatenate([self.members[i] for i in sel])) if sel else np.zeros(0, dtype=int)


def _check_xy(X, y):
    X = check_array(X, "X", ndim=2)
    y = check_array(y, "y", ndim=1)
    if y.shape[0] != X.shape[0]:
        raise ValueError(f"X has {X.shape[0]} rows but y has {y.shape[0]}; they must match")
    if X.shape[0] == 0 or X.shape[1] == 0:
        raise ValueError(f"X must have at least one row and one column, got shape {X.shape}")
    return X, y


def _check_count(k, name, upper):
    return check_int(k, name, 0, upper)


def _grad(X, y, b):
    return X.T @ (X @ b - y) / X.shape[0]


def least_squares_loss(X, y, b) -> float:
    r""":math:`l(\beta)=\frac1{2n}\lVert y-X\beta\rVert_2^2`, the loss minimized by every solver here."""
    X, y = _check_xy(X, y)
    b = check_array(b, "b (weights)", ndim=1, shape=(X.shape[1],))
    return float(np.sum((y - X @ b) ** 2) / (2 * X.shape[0]))


def _loss(X, y, b):
    return float(np.sum((y - X @ b) ** 2) / (2 * X.shape[0]))


# ------------------------------------------------------------------- thresholding / prox
def group_norms(x, groups=None) -> np.ndarray:
    r"""Group norms :math:`(\lVert x\vert_{T_i}\rVert_2)_{i=1..t}` (spec §1)."""
    x = check_array(x, "x", ndim=1)
    return _Groups(groups, x.size).norms(x)


def hard_threshold(x, s: int) -> np.ndarray:
    r"""Hard thresholding :math:`H_s(x)`: keep the ``s`` entries of largest :math:`\lvert x_i\rvert` (spec §0, §6.3).

    Exactly ``s`` entries are kept (ties broken towards the lower index).
    """
    x = check_array(x, "x", ndim=1)
    return np.where(top_s_mask(np.abs(x), s), x, 0.0)


def group_hard_threshold(x, groups, k: int) -> np.ndarray:
    r"""Group hard thresholding: keep the ``k`` groups of largest :math:`\lVert x\vert_{T_i}\rVert_2`, zero the rest."""
    x = check_array(x, "x", ndim=1)
    g = _Groups(groups, x.size)
    k = _check_count(k, "k (number of groups to keep)", g.t)
    keep = top_s_mask(g.norms(x), k)
    return np.where(keep[g.labels], x, 0.0)


def block_soft_threshold(v, t: float) -> np.ndarray:
    r"""Block soft-thresholding, the prox of :math:`t\lVert\cdot\rVert_2`:

    .. math:: \operatorname{prox}_{t\lVert\cdot\rVert}(v)=\arg\min_z \tfrac12\lVert v-z\rVert^2+t\lVert z\rVert_2
              =\max\!\big(0,1-t/\lVert v\rVert_2\big)\,v .
    """
    v = check_array(v, "v", ndim=1)
    t = check_nonnegative(t, "t (threshold)")
    nv = float(np.linalg.norm(v))
    return np.zeros_like(v) if nv <= t else (1.0 - t / nv) * v


def group_soft_threshold(x, groups, t: float, *, unpenalized=()) -> np.ndarray:
    r"""Prox of :math:`t\sum_{i\notin S}\lVert x\vert_{T_i}\rVert_2`: block soft-thresholding of every
    penalized group; the groups in ``unpenalized`` (:math:`S`) pass unchanged."""
    x = check_array(x, "x", ndim=1)
    g = _Groups(groups, x.size)
    t = check_nonnegative(t, "t (threshold)")
    pen = _penalized(g, unpenalized)
    return _shrink(x, g, t, pen)


def _penalized(g: _Groups, unpenalized) -> np.ndarray:
    pen = np.ones(g.t, dtype=bool)
    idx = np.asarray(list(unpenalized), dtype=int) if len(unpenalized) else np.zeros(0, dtype=int)
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


# ----------------------------------------------------------------------- greedy methods
def omp(X, y, s: int) -> SparseFit:
    r"""Orthogonal Matching Pursuit (spec Algorithm 7 with singleton groups).

    Repeats ``s`` times: select :math:`i^*=\arg\max_{i\notin S}\lvert\nabla_i l(\beta^\infty)\rvert`
    (largest correlation of a column with the residual), then refit
    :math:`\beta^\infty=\arg\min_{\operatorname{supp}\beta\subseteq S} l(\beta)` (one least-squares solve).
    """
    X, _ = _check_xy(X, y)
    s = check_sparsity(s, X.shape[1])
    return group_omp(X, y, None, s)


def group_omp(X, y, groups, k: int) -> SparseFit:
    r"""Group OMP (spec Algorithm 7): add :math:`\arg\max_{i\notin S}\lVert\nabla l(\beta^\infty)\vert_{T_i}\rVert_2`, refit on :math:`S`.

    Returns the selected groups in selection order, the restricted optimum on them and the loss
    after each step (``objective[0] = l(0)``).
    """
    X, y = _check_xy(X, y)
    g = _Groups(groups, X.shape[1])
    k = _check_count(k, "k (number of groups to select)", g.t)
    return _greedy(X, y, g, k, lambda b, S: _omp_pick(X, y, g, b, S))


def _omp_pick(X, y, g, b, S):
    scores = g.norms(_grad(X, y, b))
    scores[list(S)] = -np.inf
    return int(np.argmax(scores))


def _greedy(X, y, g, k, pick):
    b = np.zeros(X.shape[1])
    S, hist = [], [_loss(X, y, b)]
    for _ in range(k):
        S.append(pick(b, S))
        b = restricted_fit(X, y, g.coords(S))
        hist.append(_loss(X, y, b))
    return SparseFit(b, np.array(S, dtype=int), np.array(hist), k)


def sequential_lasso(X, y, k: int, groups=None, *, rel_gap: float = 1e-3, tol: float = 1e-10,
                     max_iter: int = 20000) -> SparseFit:
    r"""(Group) sequential LASSO (spec Algorithm 6).

    At each step, with :math:`S` selected: :math:`\beta^\infty` = restricted optimum on :math:`S`,
    :math:`\tau=\max_{i\notin S}\lVert\nabla l(\beta^\infty)\vert_{T_i}\rVert_2`, and solve the group
    LASSO penalizing only unselected groups at :math:`\lambda=(1-\text{rel\_gap})\tau` (warm start at
    :math:`\beta^\infty`).  The unselected group that is nonzero in :math:`\beta^\lambda` (the largest one,
    should several be) joins :math:`S`.  By Theorem 3.A it is the group-OMP choice.
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


def ompr(X, y, k: int, groups=None, *, n_iter: int = 50, start=None) -> SparseFit:
    r"""(Group) OMP with Replacement (spec Algorithm 9, §5.2).

    Starting from :math:`S^0` (``start``, default: the output of group OMP with ``k`` steps), repeat
    ``n_iter`` times: refit :math:`\beta^\infty` on :math:`S^r`, add
    :math:`i^*=\arg\max_{i\notin S^r}\lVert\nabla l(\beta^\infty)\vert_{T_i}\rVert_2`, drop
    :math:`j^*=\arg\min_{j\in S^r}\lVert\beta^\infty\vert_{T_j}\rVert_2` (always swap).  Returns the
    :math:`S^r` with the smallest restricted optimum; ``objective[r]`` is :math:`l` on :math:`S^r`.
    """
    X, y = _check_xy(X, y)
    g = _Groups(groups, X.shape[1])
    k = _check_count(k, "k (number of groups to keep)", g.t)
    n_iter = _check_count(n_iter, "n_iter", 10**7)
    if start is None:
        S = list(group_omp(X, y, groups, k).support)
    else:
        S = [int(i) for i in np.asarray(start, dtype=int).ravel()]
        if len(S) != k or len(set(S)) != k or (k and (min(S) < 0 or max(S) >= g.t)):
            raise ValueError(f"start must be {k} distinct group indices in 0..{g.t - 1}")
    b = restricted_fit(X, y, g.coords(S))
    hist = [_loss(X, y, b)]
    best = (hist[0], b, sorted(S))
    for _ in range(n_iter if 0 < k < g.t else 0):
        i = _omp_pick(X, y, g, b, S)
        nb = g.norms(b)[S]
        S.remove(S[int(np.argmin(nb))])
        S.append(i)
        b = restricted_fit(X, y, g.coords(S))
        hist.append(_loss(X, y, b))
        if hist[-1] < best[0]:
            best = (hist[-1], b, sorted(S))
    return SparseFit(best[1], np.array(best[2], dtype=int), np.array(hist), len(hist) - 1)


def iht(X, y, s: int, groups=None, *, step: float | None = None, max_iter: int = 1000,
        tol: float = 1e-12, w0=None) -> SparseFit:
    r"""Iterative hard thresholding (projected gradient, spec §6.1, §6.3).

    .. math:: \beta_{t+1}=H_s\big(\beta_t-\eta\nabla l(\beta_t)\big),\qquad \eta=1/L,\
              L=\lambda_{\max}(X^\top X/n)\ \text{unless ``step`` is given},

    with :math:`H_s` the (group) hard threshold keeping ``s`` groups.  Stops when the support is
    unchanged and :math:`\lVert\beta_{t+1}-\beta_t\rVert\le\text{tol}\cdot\max(1,\lVert\beta_t\rVert)`
    (a fixed point), or after ``max_iter`` steps.
    """
    X, y = _check_xy(X, y)
    g = _Groups(groups, X.shape[1])
    s = _check_count(s, "s (number of groups to keep)", g.t)
    eta = 1.0 / _lipschitz(X) if step is None else check_nonnegative(step, "step")
    if eta == 0:
        raise ValueError("step must be > 0")
    max_iter = _check_count(max_iter, "max_iter", 10**8)
    b = np.zeros(X.shape[1]) if w0 is None else check_array(w0, "w0", ndim=1, shape=(X.shape[1],))
    b = _ght(b, g, s)
    hist, it = [_loss(X, y, b)], 0
    for it in range(1, max_iter + 1):
        nb = _ght(b - eta * _grad(X, y, b), g, s)
        same = np.array_equal(nb != 0, b != 0)
        done = same and np.linalg.norm(nb - b) <= tol * max(1.0, np.linalg.norm(b))
        b = nb
        hist.append(_loss(X, y, b))
        if done:
            break
    sup = np.flatnonzero(top_s_mask(g.norms(b), s))
    return SparseFit(b, sup, np.array(hist), it)


def _ght(x, g, s):
    return np.where(top_s_mask(g.norms(x), s)[g.labels], x, 0.0)


def _lipschitz(X):
    L = float(np.linalg.norm(X, 2) ** 2 / X.shape[0])
    if L == 0:
        raise ValueError("X is zero; the loss has no curvature")
    return L


# ------------------------------------------------------------------------- group LASSO
def lambda_max(X, y, groups=None, *, unpenalized=()) -> float:
    r"""Threshold :math:`\tau=\max_{i\notin S}\lVert\nabla l(\beta^\infty)\vert_{T_i}\rVert_2` of Theorem 3.A.

    For ``unpenalized=()`` (:math:`S=\emptyset`) this is :math:`\max_i\lVert X_{T_i}^\top y\rVert_2/n`;
    for :math:`\lambda\ge\tau` the group LASSO solution vanishes on every penalized group.
    """
    X, y = _check_xy(X, y)
    g = _Groups(groups, X.shape[1])
    pen = _penalized(g, unpenalized)
    if not pen.any():
        raise ValueError("at least one group must be penalized")
    b = restricted_fit(X, y, g.coords(np.flatnonzero(~pen)))
    return float(np.max(g.norms(_grad(X, y, b))[pen]))


def group_lasso(X, y, lam: float, groups=None, *, unpenalized=(), w0=None, tol: float = 1e-10,
                max_iter: int = 20000) -> GroupLassoResult:
    r"""Group LASSO by accelerated proximal gradient (FISTA with adaptive restart, step :math:`1/L`):

    .. math:: \min_\beta\ \frac1{2n}\lVert y-X\beta\rVert^2+\lambda\sum_{i\notin S}\lVert\beta\vert_{T_i}\rVert_2

    (spec Theorem 3.A; :math:`S` = ``unpenalized``).  The prox step is :func:`group_soft_threshold`.
    Stops when the prox-gradient mapping norm (a KKT residual) is below ``tol``.
    """
    X, y = _check_xy(X, y)
    g = _Groups(groups, X.shape[1])
    lam = check_nonnegative(lam, "lam (regularization strength)")
    pen = _penalized(g, unpenalized)
    b0 = np.zeros(X.shape[1]) if w0 is None else check_array(w0, "w0", ndim=1, shape=(X.shape[1],))
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


def group_lasso_path(X, y, groups=None, *, lams=None, n_lams: int = 30, eps: float = 1e-3,
                     tol: float = 1e-10, max_iter: int = 20000) -> GroupLassoPath:
    r"""Group LASSO regularization path over decreasing :math:`\lambda` with warm starts.

    Default grid: ``n_lams`` values geometrically spaced from :math:`\lambda_{\max}` (:func:`lambda_max`)
    down to ``eps`` :math:`\lambda_{\max}`.  Reports the active groups at each :math:`\lambda` and the
    order in which groups enter (the first is the largest-gradient group, Theorem 3.A).
    """
    X, y = _check_xy(X, y)
    g = _Groups(groups, X.shape[1])
    if lams is None:
        n_lams = _check_count(n_lams, "n_lams", 10**6)
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


def sequential_attention_linear(X, y, k: int, groups=None, *, rel_gap: float = 1e-2,
                                n_steps: int = 20000, init_scale: float = 1e-3, rng=None) -> SparseFit:
    r"""Regularized linear Sequential Attention (spec Algorithm 8, experiment X1).

    Each step solves, by plain gradient descent (step :math:`0.5/L`, ``n_steps`` steps),
    :math:`\min_{w,\beta} l(\beta_w)+\frac\lambda2\sum_{i\notin S}(w_i^2+\lVert\beta\vert_{T_i}\rVert^2)`
    with :math:`\beta_w\vert_{T_i}=w_i\beta\vert_{T_i}`, :math:`w_i=1` fixed on selected groups (started at
    :math:`\beta^\infty`), unselected :math:`w_i,\beta\vert_{T_i}\sim` ``init_scale`` :math:`\cdot\mathcal N(0,1)`
    and :math:`\lambda=(1-\text{rel\_gap})\tau`.  The unselected group with the largest
    :math:`\lvert w_i\rvert\lVert\beta\vert_{T_i}\rVert` joins :math:`S`.  By the Hoff identity this is the
    sequential LASSO, hence the OMP choice.  ``rng``: Generator or seed for the initialization.
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


# ------------------------------------------------------------- column subset selection
def css_group_omp(X, k: int) -> CSSResult:
    r"""Column subset selection by group OMP (spec §2.4, Theorem 3.C).

    With Frobenius loss :math:`l(V)=\frac12\lVert X-XV\rVert_F^2` and the rows of :math:`V` as groups, the
    group-OMP score of column :math:`i` is :math:`\lVert X_{:,i}^\top R\rVert_2`, :math:`R=X-X_S V_S`,
    :math:`V_S=X_S^\dagger X`.  ``objective[r]`` is :math:`\frac12\lVert R\rVert_F^2` after ``r`` columns.
    """
    X = check_array(X, "X", ndim=2)
    if X.size == 0:
        raise ValueError(f"X must have at least one row and one column, got shape {X.shape}")
    k = _check_count(k, "k (number of columns)", X.shape[1])
    S, R, V = [], X.copy(), np.zeros((0, X.shape[1]))
    hist = [0.5 * float(np.sum(R * R))]
    for _ in range(k):
        score = np.linalg.norm(X.T @ R, axis=1)
        score[S] = -np.inf
        S.append(int(np.argmax(score)))
        V = min_norm_solution(X[:, S], X)
        R = X - X[:, S] @ V
        hist.append(0.5 * float(np.sum(R * R)))
    return CSSResult(np.array(S, dtype=int), V, np.array(hist))
