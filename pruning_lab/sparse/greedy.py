r"""Greedy selection: (group) OMP, OMP with Replacement, and column subset selection by group OMP.

Orthogonal matching pursuit adds, at each step, the group with the largest gradient norm
:math:`\lVert\nabla l(\beta^\infty)\vert_{T_i}\rVert_2` at the current restricted optimum
:math:`\beta^\infty` and refits (Pati, Rezaiifar & Krishnaprasad, 1993; group version and its
guarantees: Axiotis & Yasuda, 2023, and Yasuda's thesis, Algorithm 7).  OMP with Replacement keeps
the support size fixed and always swaps the best new group for the weakest selected one
(Jain, Tewari & Dhillon, 2011; Axiotis & Sviridenko, 2020).  Used in the chapter
:doc:`/book/lasso_to_sapp`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..lsq import min_norm_solution, restricted_fit
from ..validation import check_array, check_int_array, check_sparsity
from .base import SparseFit, _check_count, _check_xy, _grad, _Groups, _loss

__all__ = ["CSSResult", "css_group_omp", "group_omp", "omp", "ompr"]


@dataclass(frozen=True)
class CSSResult:
    """Column subset selection: chosen columns (in order), coefficients V and residual history.

    Attributes
    ----------
    columns : ndarray of int
        Selected columns in selection order.
    coefficients : ndarray
        :math:`V_S=X_S^\\dagger X`, shape (k, d).
    objective : ndarray
        :math:`\\frac12\\lVert X-X_SV_S\\rVert_F^2` after 0, 1, ..., k columns.
    """

    columns: np.ndarray
    coefficients: np.ndarray
    objective: np.ndarray


def omp(X, y, s: int) -> SparseFit:
    r"""Orthogonal Matching Pursuit (group OMP with singleton groups).

    Repeats ``s`` times: select :math:`i^*=\arg\max_{i\notin S}\lvert\nabla_i l(\beta^\infty)\rvert`
    (largest correlation of a column with the residual), then refit
    :math:`\beta^\infty=\arg\min_{\operatorname{supp}\beta\subseteq S} l(\beta)` (one least-squares solve).

    Parameters
    ----------
    X : ndarray of shape (n, p)
        Design matrix.
    y : ndarray of shape (n,)
        Responses.
    s : int
        Number of coordinates to select, in ``0..p``.

    Returns
    -------
    SparseFit
        Restricted optimum on the selected coordinates (in selection order) and the loss after each step.
    """
    X, _ = _check_xy(X, y)
    s = check_sparsity(s, X.shape[1])
    return group_omp(X, y, None, s)


def group_omp(X, y, groups, k: int) -> SparseFit:
    r"""Group OMP: add :math:`\arg\max_{i\notin S}\lVert\nabla l(\beta^\infty)\vert_{T_i}\rVert_2`, refit on :math:`S`.

    Algorithm 7 of Yasuda's thesis (Axiotis & Yasuda, 2023).  After :math:`r` steps
    :math:`l(\beta^{(r)})-l(\beta^*)\le e^{-r\mu_{k+r}/(kL_1)}(l(0)-l(\beta^*))`.

    Parameters
    ----------
    X : ndarray of shape (n, p)
        Design matrix.
    y : ndarray of shape (n,)
        Responses.
    groups : sequence of int arrays
        A partition of ``0..p-1`` (``None``: singleton groups).
    k : int
        Number of groups to select.

    Returns
    -------
    SparseFit
        The selected groups in selection order, the restricted optimum on them and the loss after
        each step (``objective[0] = l(0)``).
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


def ompr(X, y, k: int, groups=None, *, n_iter: int = 50, start=None) -> SparseFit:
    r"""(Group) OMP with Replacement (Algorithm 9 of Yasuda's thesis; Axiotis & Sviridenko, 2020).

    Starting from :math:`S^0` (``start``, default: the output of group OMP with ``k`` steps), repeat
    ``n_iter`` times: refit :math:`\beta^\infty` on :math:`S^r`, add
    :math:`i^*=\arg\max_{i\notin S^r}\lVert\nabla l(\beta^\infty)\vert_{T_i}\rVert_2`, drop
    :math:`j^*=\arg\min_{j\in S^r}\lVert\beta^\infty\vert_{T_j}\rVert_2` (always swap).

    Parameters
    ----------
    X : ndarray of shape (n, p)
        Design matrix.
    y : ndarray of shape (n,)
        Responses.
    k : int
        Support size (number of groups kept).
    groups : sequence of int arrays, optional
        A partition of ``0..p-1`` (default: singleton groups).
    n_iter : int
        Number of swaps.
    start : sequence of int, optional
        :math:`k` distinct starting groups.

    Returns
    -------
    SparseFit
        The :math:`S^r` with the smallest restricted optimum; ``objective[r]`` is :math:`l` on :math:`S^r`.
    """
    X, y = _check_xy(X, y)
    g = _Groups(groups, X.shape[1])
    k = _check_count(k, "k (number of groups to keep)", g.t)
    n_iter = _check_count(n_iter, "n_iter", 10**7)
    if start is None:
        S = list(group_omp(X, y, groups, k).support)
    else:
        S = check_int_array(np.ravel(start), "start", 0, "group indices").tolist() if np.size(start) else []
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


def css_group_omp(X, k: int) -> CSSResult:
    r"""Column subset selection by group OMP (Axiotis & Yasuda, 2023; Yasuda's thesis Thm. 16.1.4).

    With Frobenius loss :math:`l(V)=\frac12\lVert X-XV\rVert_F^2` and the rows of :math:`V` as groups, the
    group-OMP score of column :math:`i` is :math:`\lVert X_{:,i}^\top R\rVert_2`, :math:`R=X-X_S V_S`,
    :math:`V_S=X_S^\dagger X`.

    Parameters
    ----------
    X : ndarray of shape (n, d)
        Matrix whose columns are selected.
    k : int
        Number of columns, in ``0..d``.

    Returns
    -------
    CSSResult
        Columns in order, coefficients and ``objective[r]`` :math:`=\frac12\lVert R\rVert_F^2` after ``r`` columns.
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
