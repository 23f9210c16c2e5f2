r"""Greedy rank-one growth, local search, singular value projection and soft-impute on a loss over matrices.

:func:`greedy_rank` and :func:`local_search_rank` are our reconstruction, in the spirit of
Axiotis & Sviridenko (2021); :func:`svp` and :func:`soft_impute` are the standard baselines.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.sparse import csr_matrix
from scipy.sparse.linalg import svds
from tqdm.auto import tqdm

from ..validation import check_array, check_int, check_nonnegative
from .completion import CompletionData, ObservedLoss

__all__ = ["LowRankFit", "greedy_rank", "local_search_rank", "ridge_als", "soft_impute", "svp", "top_singular_pair"]


@dataclass(frozen=True)
class LowRankFit:
    r"""A low-rank solution :math:`A=PCQ^\top` and its history.

    Attributes
    ----------
    left : ndarray
        Shape (m, k). :math:`P`, orthonormal columns.
    core : ndarray
        Shape (k, l). :math:`C`; :math:`\operatorname{rank}(A)\le\min(k,l)`.
    right : ndarray
        Shape (n, l). :math:`Q`, orthonormal columns.
    objective : ndarray
        The objective after each step (``objective[0]`` at the start).
    test_rmse : ndarray
        Held-out RMSE after each step (aligned with ``objective``); empty without ``holdout``.
    n_iter : int
        Number of steps performed (accepted steps for local search).
    """

    left: np.ndarray
    core: np.ndarray
    right: np.ndarray
    objective: np.ndarray
    test_rmse: np.ndarray
    n_iter: int

    @property
    def matrix(self) -> np.ndarray:
        """The (m, n) matrix :math:`A=PCQ^\\top`."""
        return self.left @ self.core @ self.right.T

    @property
    def rank(self) -> int:
        """Numerical rank of :math:`A` (rank of the core)."""
        return int(np.linalg.matrix_rank(self.core)) if self.core.size else 0


def _checked(loss, holdout, r, name="r (target rank)"):
    if not isinstance(loss, ObservedLoss):
        raise ValueError(f"loss must be a pruning_lab.lowrank.ObservedLoss, got {type(loss).__name__}")
    if holdout is not None and (not isinstance(holdout, CompletionData) or holdout.truth.shape != loss.shape):
        raise ValueError(f"holdout must be a CompletionData with matrices of shape {loss.shape}, or None")
    return check_int(r, name, 1, min(loss.shape)) if r is not None else None


def _check_refit(refit, refit_iter):
    if refit not in ("core", "factors"):
        raise ValueError(f"refit must be 'core' or 'factors', got {refit!r}")
    return refit, check_int(refit_iter, "refit_iter", 1)


class _Tracker:
    """Objective and held-out RMSE histories."""

    def __init__(self, holdout):
        self.holdout, self.obj, self.rmse = holdout, [], []

    def add(self, value, L, C, R, A=None):
        self.obj.append(value)
        if self.holdout is not None:
            h = self.holdout
            self.rmse.append(h._rmse(L, C, R) if A is None else h.test_rmse(A))

    def fit(self, L, C, R, n_iter):
        return LowRankFit(L, C, R, np.array(self.obj), np.array(self.rmse), n_iter)


def _empty(loss):
    return np.zeros((loss.shape[0], 0)), np.zeros((0, 0)), np.zeros((loss.shape[1], 0))


def _extend(B, x, tol=1e-8):
    """Append the part of the unit vector x orthogonal to span(B), unless it is negligible."""
    for _ in range(2):  # Gram-Schmidt twice: orthogonal to machine precision
        x = x - B @ (B.T @ x)
    nx = float(np.linalg.norm(x))
    return (np.column_stack([B, x / nx]), 1) if nx > tol else (B, 0)


def _grow(L, C, R, u, v):
    (L, gu), (R, gv) = _extend(L, u), _extend(R, v)
    return L, np.pad(C, ((0, gu), (0, gv))), R


def _lsq(D, y, w=None):
    """Min-norm minimizer of sum_k w_k (D_k x - y_k)^2, through the eigen-decomposition of the Gram matrix."""
    Dw = D if w is None else D * w[:, None]
    lam, Q = np.linalg.eigh(Dw.T @ D)
    keep = lam > max(float(lam[-1]), 0.0) * 1e-12 * D.shape[1]
    return Q[:, keep] @ ((Q[:, keep].T @ (Dw.T @ y)) / lam[keep])


def _weights(loss, res):
    """IRLS weights h'(r)/r: the quadratic majorizer of the Huber loss at the residual r."""
    return np.ones(res.size) if loss.kind == "squared" else loss.delta / np.maximum(np.abs(res), loss.delta)


def _refit(loss, L, R, C0, refit_iter):
    """argmin_C R(L C R^T): exact least squares (squared loss) or IRLS from C0 (Huber; monotone)."""
    D = (L[loss._rows][:, :, None] * R[loss._cols][:, None, :]).reshape(loss._y.size, -1)
    x = _lsq(D, loss._y) if loss.kind == "squared" else C0.ravel()
    for _ in range(refit_iter if loss.kind == "huber" else 0):
        x = _lsq(D, loss._y, _weights(loss, D @ x - loss._y))
    return x.reshape(L.shape[1], R.shape[1]), D @ x - loss._y


def _row_solve(loss, F, idx, other, n_rows, w, lam=0.0):
    """All rows x_a = argmin sum_{k: idx_k=a} w_k (x_a . F[other_k] - y_k)^2 + lam |x_a|^2 by batched solves."""
    W, k = F[other], F.shape[1]
    S = csr_matrix((w, (idx, np.arange(idx.size))), shape=(n_rows, idx.size))
    G = (S @ (W[:, :, None] * W[:, None, :]).reshape(idx.size, -1)).reshape(n_rows, k, k)
    ridge = (1e-12 * max(float(np.einsum("aii->", G)) / n_rows, 1e-300) + lam) * np.eye(k)
    return np.linalg.solve(G + ridge, (S @ (W * loss._y[:, None]))[:, :, None])[:, :, 0]


def _correct(loss, L, C, R, refit, refit_iter):
    """Fully corrective step: refit the core, then (``"factors"``) alternating least squares on A = U V^T."""
    C, res = _refit(loss, L, R, C, refit_iter)
    if refit == "core":
        return L, C, R, res
    U, V, (i, j) = L @ C, R, (loss._rows, loss._cols)
    for _ in range(refit_iter):  # each half-step minimizes the (IRLS-majorized) loss exactly: monotone
        V = _row_solve(loss, U, j, i, loss.shape[1], _weights(loss, res))
        res = np.einsum("ka,ka->k", U[i], V[j]) - loss._y
        U = _row_solve(loss, V, i, j, loss.shape[0], _weights(loss, res))
        res = np.einsum("ka,ka->k", U[i], V[j]) - loss._y
    (L, Ru), (R, Rv) = np.linalg.qr(U), np.linalg.qr(V)
    return L, Ru @ Rv.T, R, res


def _svd_r(A, r):
    U, s, Vt = np.linalg.svd(A, full_matrices=False)
    return U[:, :r], np.diag(s[:r]), Vt[:r].T


# --------------------------------------------------------------------------- algorithms
def top_singular_pair(G, *, method: str = "auto") -> tuple:
    r"""Top singular triple of ``G``: :math:`\sigma_1=u_1^\top Gv_1=\max_{\lVert u\rVert=\lVert v\rVert=1}u^\top Gv`.

    For :math:`G=-\nabla R(A)`, :math:`u_1v_1^\top` is the best rank-1 descent direction.
    ``method="exact"``: full SVD; ``"lanczos"``: ARPACK (``scipy.sparse.linalg.svds``, fixed start
    vector, hence deterministic); ``"auto"``: exact when :math:`\min(m,n)\le300`.  The sign makes the
    largest-magnitude entry of :math:`u` positive.

    Parameters
    ----------
    G : ndarray of shape (m, n)
    method : str

    Returns
    -------
    tuple of (float, ndarray of shape (m,), ndarray of shape (n,))
    """
    G = check_array(G, "G", ndim=2)
    if G.size == 0:
        raise ValueError(f"G must be a non-empty matrix, got shape {G.shape}")
    if method not in ("auto", "exact", "lanczos"):
        raise ValueError(f"method must be 'auto', 'exact' or 'lanczos', got {method!r}")
    if method == "exact" or (method == "auto" and min(G.shape) <= 300) or min(G.shape) < 3:
        U, s, Vt = np.linalg.svd(G, full_matrices=False)
    else:
        U, s, Vt = svds(G, k=1, v0=np.random.default_rng(0).standard_normal(min(G.shape)))
    sign = 1.0 if U[np.argmax(np.abs(U[:, 0])), 0] >= 0 else -1.0
    return float(s[0]), sign * U[:, 0], sign * Vt[0]


def _descent_pair(loss, res):
    """Top singular pair of -grad R, or None when the gradient vanishes (A is then a global minimizer)."""
    sig, u, v = top_singular_pair(-loss._grad_matrix(res))
    return None if sig <= 1e-14 * max(1.0, float(np.abs(loss._y).max())) else (u, v)


def greedy_rank(
    loss, r: int, *, refit: str = "core", refit_iter: int = 30, holdout=None, progress: bool = False
) -> LowRankFit:
    r"""Greedy rank-1 steps and refits; our reconstruction, in the spirit of Axiotis & Sviridenko (2021).

    From :math:`A=0`, for :math:`t=1..r`: add the top singular pair :math:`(u,v)` of :math:`-\nabla R(A)`
    to the column basis :math:`P` and the row basis :math:`Q`, then refit.  ``refit="core"``:
    :math:`C=\arg\min_C R(PCQ^\top)`; for the squared loss a linear least-squares problem
    :math:`\min_C\tfrac12\sum_\Omega(p_i^\top Cq_j-Y_{ij})^2` solved exactly, for Huber ``refit_iter``
    IRLS steps from the previous core.  ``refit="factors"`` (the practical variant that refits the factors
    of :math:`R(UV^\top)`) continues with ``refit_iter`` sweeps of alternating (reweighted) least squares
    over :math:`U,V`.  The objective never increases.  With every entry observed and the squared loss,
    core-refit greedy returns the rank-:math:`r` truncated SVD of :math:`Y` (Eckart–Young).  Stops early
    if :math:`\nabla R(A)=0`.

    Parameters
    ----------
    loss : ObservedLoss
    r : int
        Target rank, in 1..min(m, n).
    refit : str
        ``"core"`` or ``"factors"``.
    refit_iter : int
        IRLS steps (Huber) and alternating sweeps (``"factors"``) per refit.
    holdout : CompletionData or None
        If given, the held-out RMSE is recorded after every step.
    progress : bool
        Show a ``tqdm`` bar.

    Returns
    -------
    LowRankFit
        ``objective[t]`` is :math:`R` after :math:`t` steps.
    """
    r = _checked(loss, holdout, r)
    refit, refit_iter = _check_refit(refit, refit_iter)
    L, C, R = _empty(loss)
    res, track, t = -loss._y, _Tracker(holdout), 0
    track.add(loss._value(res), L, C, R)
    for _ in tqdm(range(r), desc="greedy rank", disable=not progress):
        pair = _descent_pair(loss, res)
        if pair is None:
            break
        L, C, R, res = _correct(loss, *_grow(L, C, R, *pair), refit, refit_iter)
        t += 1
        track.add(loss._value(res), L, C, R)
    return track.fit(L, C, R, t)


def local_search_rank(
    loss,
    r: int,
    *,
    n_iter: int = 30,
    refit: str = "core",
    refit_iter: int = 30,
    tol: float = 1e-10,
    holdout=None,
    progress: bool = False,
) -> LowRankFit:
    r"""Local search at fixed rank; our reconstruction, in the spirit of Axiotis & Sviridenko (2021).

    Start from :func:`greedy_rank` (``r`` steps), then up to ``n_iter`` times: (a) add the top singular pair
    of :math:`-\nabla R(A)` and refit (rank :math:`r+1`); (b) truncate to rank :math:`r` by an SVD of the
    core (dropping the smallest singular component of :math:`A`) and refit; (c) accept only if :math:`R`
    fell by more than ``tol * max(1, R)``, else stop.  So ``objective`` starts at the greedy objective and
    decreases strictly: local search is never worse than its greedy start.  Arguments as in
    :func:`greedy_rank`; for ``r = min(m, n)`` no swap is possible and the greedy solution is returned.

    Parameters
    ----------
    loss : ObservedLoss
    r : int
    n_iter : int
        Maximum number of add-then-truncate steps (>= 0).
    refit : str
    refit_iter : int
    tol : float
    holdout : CompletionData or None
    progress : bool

    Returns
    -------
    LowRankFit
    """
    r = _checked(loss, holdout, r)
    n_iter, tol = check_int(n_iter, "n_iter", 0), check_nonnegative(tol, "tol")
    g = greedy_rank(loss, r, refit=refit, refit_iter=refit_iter)
    L, C, R, track = g.left, g.core, g.right, _Tracker(holdout)
    obj, done = g.objective[-1], 0
    res = np.einsum("ka,ka->k", (L @ C)[loss._rows], R[loss._cols]) - loss._y
    track.add(obj, L, C, R)
    for _ in tqdm(range(n_iter if r < min(loss.shape) else 0), desc="local search", disable=not progress):
        pair = _descent_pair(loss, res)
        if pair is None:
            break
        L1, C1, R1, _ = _correct(loss, *_grow(L, C, R, *pair), refit, refit_iter)
        P, s, Qt = np.linalg.svd(C1)
        k = min(r, s.size)
        L2, C2, R2, res2 = _correct(loss, L1 @ P[:, :k], np.diag(s[:k]), R1 @ Qt[:k].T, refit, refit_iter)
        new = loss._value(res2)
        if not new < obj - tol * max(1.0, abs(obj)):
            break
        L, C, R, res, obj, done = L2, C2, R2, res2, new, done + 1
        track.add(obj, L, C, R)
    return track.fit(L, C, R, done)


def _prox_loop(loss, step, shrink, max_iter, tol, holdout, progress, desc, penalty):
    A, (L, C, R), track, it = np.zeros(loss.shape), _empty(loss), _Tracker(holdout), 0
    track.add(loss.value(A), L, C, R, A)
    for it in tqdm(range(1, max_iter + 1), desc=desc, disable=not progress):  # noqa: B007 (read after the loop)
        L, C, R = shrink(A - step * loss.gradient(A))
        new = L @ C @ R.T
        change = np.linalg.norm(new - A) ** 2 / max(np.linalg.norm(A) ** 2, 1e-300)
        A = new
        track.add(loss.value(A) + penalty(C), L, C, R, A)
        if change <= tol:
            break
    return track.fit(L, C, R, it)


def svp(
    loss,
    r: int,
    *,
    step: float | None = None,
    max_iter: int = 300,
    tol: float = 1e-10,
    holdout=None,
    progress: bool = False,
) -> LowRankFit:
    r"""Singular value projection (Jain, Meka & Dhillon 2010): projected gradient onto rank :math:`\le r`.

    :math:`A_{t+1}=P_r\big(A_t-\eta\nabla R(A_t)\big)`, :math:`A_0=0`, with :math:`P_r` the rank-:math:`r`
    truncated SVD (the projection onto rank :math:`\le r`, Eckart–Young).  Default
    :math:`\eta=3/(4p)`, :math:`p=|\Omega|/(mn)`, the default of the authors' released code (their
    analysis uses steps of order :math:`1/p`).  ``step=1`` (:math:`1/L`) makes the objective
    non-increasing.  Every iterate has rank :math:`\le r`.  Stops when
    :math:`\lVert A_{t+1}-A_t\rVert_F^2\le\text{tol}\lVert A_t\rVert_F^2` or after ``max_iter`` steps.

    Parameters
    ----------
    loss : ObservedLoss
    r : int
        Target rank, in 1..min(m, n).
    step : float or None
        :math:`\eta>0`; ``None`` for :math:`3/(4p)`.
    max_iter : int
    tol : float
    holdout : CompletionData or None
        If given, the held-out RMSE is recorded after every step.
    progress : bool

    Returns
    -------
    LowRankFit
    """
    r = _checked(loss, holdout, r)
    eta = 0.75 * loss.mask.size / loss._y.size if step is None else check_nonnegative(step, "step")
    if eta == 0:
        raise ValueError("step must be > 0")
    max_iter, tol = check_int(max_iter, "max_iter", 1), check_nonnegative(tol, "tol")
    return _prox_loop(loss, eta, lambda B: _svd_r(B, r), max_iter, tol, holdout, progress, "SVP", lambda C: 0.0)


def soft_impute(
    loss,
    lam: float,
    *,
    max_rank: int | None = None,
    max_iter: int = 300,
    tol: float = 1e-10,
    holdout=None,
    progress: bool = False,
) -> LowRankFit:
    r"""Soft-impute (Mazumder, Hastie & Tibshirani 2010) for :math:`\min_A R(A)+\lambda\lVert A\rVert_*`.

    :math:`A_{t+1}=S_\lambda\big(P_\Omega(Y)+P_\Omega^\perp(A_t)\big)=S_\lambda\big(A_t-\nabla R(A_t)\big)`,
    :math:`A_0=0`, with :math:`S_\lambda(B)=\sum_i(\sigma_i-\lambda)_+u_iv_i^\top`: proximal gradient with
    step :math:`1=1/L`, so ``objective`` (:math:`R(A)+\lambda\lVert A\rVert_*`) never increases.
    ``max_rank`` keeps at most that many singular values (rank-restricted soft-impute, as in the
    ``softImpute`` package of Hastie et al.).  Stops when
    :math:`\lVert A_{t+1}-A_t\rVert_F^2\le\text{tol}\lVert A_t\rVert_F^2` or after ``max_iter`` steps.

    Parameters
    ----------
    loss : ObservedLoss
    lam : float
        :math:`\lambda\ge0`.
    max_rank : int or None
        Rank cap in 1..min(m, n); ``None`` for none.
    max_iter : int
    tol : float
    holdout : CompletionData or None
    progress : bool

    Returns
    -------
    LowRankFit
    """
    _checked(loss, holdout, None)
    k = min(loss.shape) if max_rank is None else _checked(loss, None, max_rank, "max_rank")
    lam = check_nonnegative(lam, "lam (nuclear-norm weight)")
    max_iter, tol = check_int(max_iter, "max_iter", 1), check_nonnegative(tol, "tol")

    def shrink(B):
        U, S, V = _svd_r(B, k)
        s = np.maximum(np.diag(S) - lam, 0.0)
        return U[:, s > 0], np.diag(s[s > 0]), V[:, s > 0]

    return _prox_loop(
        loss, 1.0, shrink, max_iter, tol, holdout, progress, "soft-impute", lambda C: lam * float(np.trace(C))
    )


def ridge_als(loss, r: int, lam: float, *, n_iter: int = 30, holdout=None) -> LowRankFit:
    r"""Alternating ridge least squares at rank :math:`r`: the squared loss with a ridge on the factors.

    Minimizes :math:`\tfrac12\lVert P_\Omega(UV^\top-Y)\rVert_F^2+\tfrac\lambda2(\lVert U\rVert_F^2+\lVert V\rVert_F^2)`
    over :math:`U\in\mathbb R^{m\times r},V\in\mathbb R^{n\times r}`, which equals the squared loss plus
    :math:`\lambda\lVert A\rVert_*` over matrices of rank :math:`\le r` (the factored form of the nuclear
    norm, as Hoff's identity is for the group LASSO).  Start: the rank-:math:`r` SVD of :math:`P_\Omega(Y)/p`
    (:math:`p` the observed fraction) split as :math:`U=P\Sigma^{1/2}`, :math:`V=Q\Sigma^{1/2}`; then
    ``n_iter`` sweeps (``>= 1``), each an exact ridge solve for every row of :math:`V`, then of :math:`U`, so
    the objective never increases.  ``objective`` records it after each sweep, ``test_rmse`` the held-out
    RMSE when ``holdout`` is given.  The fair squared-loss baseline of the robust experiment in the chapter
    :doc:`/book/lasso_to_sapp` (:math:`\lambda=0` is plain alternating least squares).
    """
    r = _checked(loss, holdout, r)
    lam, n_iter = check_nonnegative(lam, "lam"), check_int(n_iter, "n_iter", 1)
    if loss.kind != "squared":
        raise ValueError(f"ridge_als fits the squared loss; got a loss of kind {loss.kind!r}")
    (i, j), y = (loss._rows, loss._cols), loss._y
    Y0 = np.zeros(loss.shape)
    Y0[i, j] = y
    P, s, Qt = np.linalg.svd(Y0 * (loss.shape[0] * loss.shape[1] / y.size), full_matrices=False)
    U, V = P[:, :r] * np.sqrt(s[:r]), Qt[:r].T * np.sqrt(s[:r])
    track, w = _Tracker(holdout), np.ones(y.size)
    for _ in range(n_iter):
        V = _row_solve(loss, U, j, i, loss.shape[1], w, lam)
        U = _row_solve(loss, V, i, j, loss.shape[0], w, lam)
        res = np.einsum("ka,ka->k", U[i], V[j]) - y
        (L, Ru), (R, Rv) = np.linalg.qr(U), np.linalg.qr(V)
        track.add(loss._value(res) + 0.5 * lam * float((U * U).sum() + (V * V).sum()), L, Ru @ Rv.T, R)
    return track.fit(L, Ru @ Rv.T, R, n_iter)
