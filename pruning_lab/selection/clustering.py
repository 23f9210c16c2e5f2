r"""Clustering for data selection: k-means (k-means++ seeding, Lloyd iterations), k-medoids, snapping.

Written in numpy so that the selection code needs no scikit-learn; seeded and deterministic.
Used by :mod:`pruning_lab.selection.sensitivity` (the clusters of DS-1 and DS-2).

Used in the chapter :doc:`/book/beyond_weights`.
"""

from __future__ import annotations

import numpy as np

from ..validation import as_rng, check_array, check_int

__all__ = ["kmeans", "kmedoids", "snap_to_data"]


def _sq_dist(X, C):
    d = (X * X).sum(1)[:, None] - 2.0 * X @ C.T + (C * C).sum(1)[None, :]
    return np.maximum(d, 0.0)


def _plus_plus(X, k, rng, name="k"):
    """k-means++ seeding: indices of k rows, each drawn with probability proportional to D^2."""
    n = X.shape[0]
    chosen = [int(rng.integers(n))]
    d2 = _sq_dist(X, X[chosen])[:, 0]
    for _ in range(1, k):
        total = d2.sum()
        if not total > 0:
            raise ValueError(f"{name} must not exceed the number of distinct rows of the data ({len(chosen)}), got {k}")
        chosen.append(int(rng.choice(n, p=d2 / total)))
        d2 = np.minimum(d2, _sq_dist(X, X[chosen[-1:]])[:, 0])
    return np.array(chosen, dtype=int)


def _check_data(X, name):
    X = check_array(X, name, ndim=2)
    if X.shape[0] == 0 or X.shape[1] == 0:
        raise ValueError(f"{name} must have at least one row and one column, got shape {X.shape}")
    return X


def kmeans(X, k: int, *, seed=0, iters: int = 100):
    r"""k-means: k-means++ seeding, then Lloyd iterations on :math:`\sum_i\min_j\lVert x_i-c_j\rVert^2`.

    Lloyd alternates :math:`\mathrm{label}_i=\arg\min_j\lVert x_i-c_j\rVert^2` and
    :math:`c_j=\operatorname{mean}\{x_i:\mathrm{label}_i=j\}` for at most ``iters`` rounds (stopping
    when the labels no longer change).  An emptied cluster takes, among the rows of clusters with two or
    more rows, the one farthest from its center.  ``seed`` is an int or a ``numpy.random.Generator``;
    ``k`` may not exceed the number of distinct rows of ``X``.

    Returns
    -------
    centers : ndarray of shape (k, d)
        The centers (means, in general not data points; see :func:`snap_to_data`).
    labels : ndarray of int, shape (n,)
        Cluster of each row, in ``0..k-1``; every cluster is non-empty.
    """
    X = _check_data(X, "X")
    k = check_int(k, "k", 1, X.shape[0])
    iters = check_int(iters, "iters", 1)
    rng = as_rng(seed)
    centers = X[_plus_plus(X, k, rng)].copy()
    labels = np.full(X.shape[0], -1)
    for _ in range(iters):
        d2 = _sq_dist(X, centers)
        new = d2.argmin(1)
        new = _fill_empty(new, d2[np.arange(len(new)), new], k)
        if np.array_equal(new, labels):
            break
        labels = new
        counts = np.bincount(labels, minlength=k)
        centers = np.zeros_like(centers)
        np.add.at(centers, labels, X)
        centers /= counts[:, None]
    return centers, labels


def _fill_empty(labels, cost, k):
    """Give each empty cluster the costliest row among clusters with two or more rows (n >= k, so one exists)."""
    labels, cost = labels.copy(), cost.copy()
    for j in np.setdiff1d(np.arange(k), labels):
        counts = np.bincount(labels, minlength=k)
        far = int(np.where(counts[labels] > 1, cost, -1.0).argmax())
        labels[far], cost[far] = j, 0.0
    return labels


def snap_to_data(X, centers) -> np.ndarray:
    r"""Indices of the data rows nearest to each center, :math:`\arg\min_i\lVert x_i-c_j\rVert`, without repeats.

    DS-1 queries the loss at the centers, so each center must be a data point (the paper's practical
    recipe, §5.1).  Two centers that snap to the same row (or to rows with equal coordinates) give one
    index, so the result may be shorter than ``centers``; the order of first occurrence is kept.
    """
    X = _check_data(X, "X")
    centers = check_array(centers, "centers", ndim=2)
    if centers.shape[1] != X.shape[1] or centers.shape[0] == 0:
        raise ValueError(f"centers must have shape (k >= 1, {X.shape[1]}), got {centers.shape}")
    idx = _sq_dist(X, centers).argmin(0)
    _, first = np.unique(X[idx], axis=0, return_index=True)
    return idx[np.sort(first)]


def kmedoids(X, k: int, *, seed=0, iters: int = 100):
    r"""k-medoids: data rows :math:`m_j` minimizing :math:`\sum_i\min_j\lVert x_i-x_{m_j}\rVert` (not squared).

    Seeded by k-means++ (so the medoids start at distinct rows), then alternates assignment
    :math:`\mathrm{label}_i=\arg\min_j\lVert x_i-x_{m_j}\rVert` and the medoid update
    :math:`m_j=\arg\min_{i\in C_j}\sum_{i'\in C_j}\lVert x_i-x_{i'}\rVert` for at most ``iters``
    rounds (stopping when the medoids no longer change).  DS-2 uses it, as in the paper's regression
    experiment.  ``seed`` is an int or a Generator.

    Returns
    -------
    medoids : ndarray of int, shape (k,)
        Row indices of the medoids.
    labels : ndarray of int, shape (n,)
        Cluster of each row, in ``0..k-1``; medoid ``j`` has label ``j``.
    """
    X = _check_data(X, "X")
    k = check_int(k, "k", 1, X.shape[0])
    iters = check_int(iters, "iters", 1)
    medoids = _plus_plus(X, k, as_rng(seed))
    for _ in range(iters):
        labels = _sq_dist(X, X[medoids]).argmin(1)
        labels[medoids] = np.arange(k)
        new = medoids.copy()
        for j in range(k):
            members = np.flatnonzero(labels == j)
            dist = np.sqrt(_sq_dist(X[members], X[members]))
            new[j] = members[dist.sum(1).argmin()]
        if np.array_equal(new, medoids):
            break
        medoids = new
    labels = _sq_dist(X, X[medoids]).argmin(1)
    labels[medoids] = np.arange(k)
    return medoids, labels
