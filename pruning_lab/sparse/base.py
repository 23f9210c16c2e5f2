r"""Shared objects of the sparse solvers: the least-squares loss, group partitions and the result type.

Every solver of :mod:`pruning_lab.sparse` minimizes the least-squares loss of the chapter
:doc:`/book/lasso_to_sapp`,

.. math:: l(\beta) = \frac{1}{2n}\lVert y - X\beta\rVert_2^2,\qquad
          \nabla l(\beta) = -\tfrac1n X^\top (y - X\beta),

over vectors whose coordinates are partitioned into groups :math:`T_1,\dots,T_t`.  ``groups`` is a
sequence of integer index arrays that partition ``0..p-1``; ``groups=None`` means singleton groups,
i.e. ordinary sparsity.  The group sparsity of :math:`\beta` is the number of groups on which it is
nonzero (Axiotis & Yasuda, 2023).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..validation import check_array, check_int

__all__ = ["SparseFit", "group_norms", "least_squares_loss"]


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
                raise ValueError(f"groups must be a partition of 0..{p - 1}: every coordinate in exactly one group")
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


def _loss(X, y, b):
    return float(np.sum((y - X @ b) ** 2) / (2 * X.shape[0]))


def _lipschitz(X):
    L = float(np.linalg.norm(X, 2) ** 2 / X.shape[0])
    if L == 0:
        raise ValueError("X is zero; the loss has no curvature")
    return L


def least_squares_loss(X, y, b) -> float:
    r"""The loss minimized by every solver here, :math:`l(\beta)=\frac1{2n}\lVert y-X\beta\rVert_2^2`.

    Parameters
    ----------
    X : ndarray of shape (n, p)
        Design matrix.
    y : ndarray of shape (n,)
        Responses.
    b : ndarray of shape (p,)
        Weights :math:`\beta`.

    Returns
    -------
    float
        :math:`l(\beta)`.
    """
    X, y = _check_xy(X, y)
    b = check_array(b, "b (weights)", ndim=1, shape=(X.shape[1],))
    return _loss(X, y, b)


def group_norms(x, groups=None) -> np.ndarray:
    r"""Group norms :math:`(\lVert x\vert_{T_i}\rVert_2)_{i=1..t}`.

    Parameters
    ----------
    x : ndarray of shape (p,)
        A vector.
    groups : sequence of int arrays, optional
        A partition of ``0..p-1`` (default: singleton groups).

    Returns
    -------
    ndarray of shape (t,)
        The :math:`\ell_2` norm of ``x`` on each group.
    """
    x = check_array(x, "x", ndim=1)
    return _Groups(groups, x.size).norms(x)
