r"""Data selection by clustering-based sensitivity sampling, against uniform and leverage-score sampling.

A weighted sample :math:`(S,w)` of a data set :math:`D` should satisfy
:math:`\sum_{e\in S}w(e)\ell(e)\approx\sum_{e\in D}\ell(e)` while the expensive loss :math:`\ell` is
queried at few points.  Clustering-based sensitivity sampling (Axiotis, Cohen-Addad, Henzinger,
Jerome, Mirrokni, Saulpic, Woodruff & Wunder, ICML 2024, arXiv:2402.17327) queries :math:`\ell` only
at the :math:`k` cluster centers and extrapolates it to every point with a Hölder bound
:math:`\lvert\ell(e)-\ell(c_i)\rvert\le\Lambda_i\lVert e-c_i\rVert^z`; sampling proportionally to the
extrapolated upper bound and weighting by :math:`1/(s\,p_e)` gives an unbiased estimate of the total
loss (DS-1, the paper's Algorithm 1).  DS-2 (the paper's Algorithm 2) is the same idea for linear
regression, where it competes with leverage-score sampling.

The clustering (k-means++ with Lloyd iterations, k-medoids by alternating assignment and medoid
update, :mod:`pruning_lab.selection.clustering`) is written in numpy; the paper used scikit-learn.
Everything is seeded.
:func:`~pruning_lab.selection.experiments.clustered_regression` is a **synthetic** stand-in for
the paper's gas-sensor regression data, not that data set.  For a later chapter on selecting data.

Used in the chapter :doc:`/book/beyond_weights`.
"""

from __future__ import annotations

import numbers
from dataclasses import dataclass

import numpy as np

from ..validation import as_rng, check_array, check_int, check_int_array, check_nonnegative
from .clustering import _check_data, _sq_dist, kmeans, kmedoids, snap_to_data

__all__ = [
    "WeightedSample",
    "ds1_probabilities",
    "ds1_sample",
    "ds1_sample_size",
    "ds2_sample",
    "leverage_sample",
    "leverage_scores",
    "uniform_sample",
    "weighted_least_squares",
]

#: Sampling methods of :func:`~pruning_lab.selection.experiments.regression_selection_curve`.


@dataclass(frozen=True)
class WeightedSample:
    r"""A weighted sample :math:`(S,w)` drawn i.i.d. from probabilities :math:`p` (with replacement).

    The estimate of a total :math:`\sum_{i\in D}v_i` is ``(weights * v[indices]).sum()``; for the
    sampled part :math:`w_i=1/(s\,p_i)`, so it is unbiased wherever :math:`p_i>0` or :math:`v_i=0`.

    Attributes
    ----------
    indices : ndarray of int
        Rows of the sample, repeated rows included (the sampled draws, then any rows added
        deterministically, such as DS-2's medoids).
    weights : ndarray
        Weight of each entry of ``indices``.
    probabilities : ndarray
        The sampling distribution :math:`p` over all :math:`n` rows (sums to 1).
    centers : ndarray of int
        Rows whose loss (DS-1) or whose row itself (DS-2) served as a cluster center; empty for the
        baselines.
    """

    indices: np.ndarray
    weights: np.ndarray
    probabilities: np.ndarray
    centers: np.ndarray


# ----------------------------------------------------------------------------------------------
# DS-1


def ds1_sample_size(eps: float) -> int:
    r"""DS-1's sample size :math:`s=\lceil\varepsilon^{-2}(2+2\varepsilon/3)\rceil` (Bernstein, Theorem 2)."""
    eps = check_nonnegative(eps, "eps")
    if eps == 0:
        raise ValueError("eps must be > 0, got 0.0")
    return int(np.ceil((2.0 + 2.0 * eps / 3.0) / eps**2))


def _check_labels(labels, n, k):
    labels = np.asarray(labels)
    if labels.shape != (n,) or not np.issubdtype(labels.dtype, np.integer) or labels.min() < 0 or labels.max() >= k:
        raise ValueError(f"labels must be {n} integers in 0..{k - 1}, got {labels!r}")
    empty = np.setdiff1d(np.arange(k), labels)
    if empty.size:
        raise ValueError(f"labels leave cluster(s) {empty.tolist()} empty; every cluster needs a member")
    return labels


def ds1_probabilities(embeddings, centers, labels, center_losses, *, holder: float = 1.0, z: float = 2.0):
    r"""DS-1's sampling probabilities :math:`p_e=(\hat\ell(e)+\Lambda\,v(e))/Z`.

    For :math:`e\in C_i`: :math:`\hat\ell(e)=\ell(c_i)`, :math:`v(e)=\lVert e-c_i\rVert^z` and
    :math:`Z=\Lambda\sum_i\Phi(C_i,\{c_i\})+\sum_{x\in D}\hat\ell(x)` with
    :math:`\Phi(C_i,\{c_i\})=\sum_{e\in C_i}\lVert e-c_i\rVert^z` (Algorithm 1 of the paper, one
    round, with one Hölder constant :math:`\Lambda_i=\Lambda` for every cluster as in its practical
    recipe).  :math:`p_e>0` wherever the upper bound :math:`\hat\ell(e)+\Lambda v(e)` is positive.

    Parameters
    ----------
    embeddings : ndarray of shape (n, d)
        Embeddings :math:`E(e)` of the data.
    centers : sequence of int
        Row of each cluster's center :math:`c_i` (centers are data points).
    labels : sequence of int, shape (n,)
        Cluster of each row, in ``0..len(centers)-1``; no cluster may be empty.
    center_losses : sequence of float
        The queried losses :math:`\ell(c_i)` (finite, >= 0).
    holder : float
        The Hölder constant :math:`\Lambda\ge0`.
    z : float
        The Hölder exponent :math:`z>0` (the paper's experiments use :math:`z=2`).

    Returns
    -------
    ndarray of shape (n,)
        The probabilities :math:`p` (sum to 1).
    """
    E = _check_data(embeddings, "embeddings")
    n = E.shape[0]
    centers = check_int_array(centers, "centers", low=0, what="row indices")
    if centers.max() >= n:
        raise ValueError(f"centers must be row indices in 0..{n - 1}, got {centers.tolist()}")
    labels = _check_labels(labels, n, len(centers))
    losses = check_array(center_losses, "center_losses", shape=(len(centers),))
    if np.any(losses < 0):
        raise ValueError(f"center_losses must be >= 0, got {losses.tolist()}")
    holder = check_nonnegative(holder, "holder")
    z = check_nonnegative(z, "z")
    if z == 0:
        raise ValueError("z (Hölder exponent) must be > 0, got 0.0")
    v = np.sqrt(((E - E[centers][labels]) ** 2).sum(1)) ** z
    bound = losses[labels] + holder * v
    total = bound.sum()
    if not total > 0:
        raise ValueError("center_losses and holder give zero probability to every row; need a positive loss or holder")
    return bound / total


def ds1_sample(embeddings, losses_at, k: int, s: int, *, holder: float = 1.0, z: float = 2.0, seed=0, iters=100):
    r"""DS-1: cluster, query the loss at the :math:`k` centers only, sample :math:`s` rows by the Hölder bound.

    The steps (Algorithm 1 of the paper, one round, with the practical recipe of its §5.1):
    :func:`~pruning_lab.selection.clustering.kmeans` on the embeddings, snap each center to its
    nearest data row (:func:`~pruning_lab.selection.clustering.snap_to_data`) and reassign every
    row to its nearest snapped center, call ``losses_at`` once on the center rows,
    then draw :math:`s` rows i.i.d. from :func:`ds1_probabilities`
    :math:`p_e\propto\ell(c_e)+\Lambda\lVert e-c_e\rVert^z` with weights :math:`w(e)=1/(s\,p_e)`.
    Each draw is unbiased: :math:`\mathbb E\sum_{e\in S}w(e)v(e)=\sum_{e\in D}v(e)` for any
    :math:`v` vanishing where :math:`p=0`.  With probability :math:`\ge` a constant (Theorem 2),
    :math:`\lvert\sum_D\ell-\sum_Sw\ell\rvert\le\varepsilon(\sum_D\ell+2\Lambda\sum_i\Phi(C_i))` for
    :math:`s=` :func:`ds1_sample_size` :math:`(\varepsilon)`.  One :math:`\Lambda` for all clusters
    is our simplification of the per-cluster :math:`\Lambda_i` (the paper's experiments also use one),
    and reassigning the rows to the snapped centers is our choice (so that :math:`c_e` is the nearest
    queried row).  Not implemented: the paper's multi-round variant (Theorem 7), its estimate of
    :math:`\Lambda_i` (Lemma 8) and the uniform warm-up points of its image experiments.

    Parameters
    ----------
    embeddings : ndarray of shape (n, d)
        Embeddings of the data (finite).
    losses_at : callable
        ``losses_at(rows)`` returns the losses (finite, >= 0) of the given row indices; it is called
        once, with the snapped centers.
    k : int
        Number of clusters (loss queries), in ``1..n``; fewer if centers snap to the same row.
    s : int
        Number of draws, >= 1.
    holder : float
        The Hölder constant :math:`\Lambda\ge0`.
    z : float
        The Hölder exponent :math:`z>0`.
    seed : int or numpy.random.Generator
        Seed of the clustering and the draws.
    iters : int
        Maximum number of Lloyd iterations.

    Returns
    -------
    WeightedSample
        The :math:`s` draws, their weights, :math:`p`, and the queried center rows.
    """
    E = _check_data(embeddings, "embeddings")
    if not callable(losses_at):
        raise TypeError(
            f"losses_at must be a callable returning the losses of given rows, got {type(losses_at).__name__}"
        )
    k = check_int(k, "k", 1, E.shape[0])
    s = check_int(s, "s", 1)
    rng = as_rng(seed)
    centers, _ = kmeans(E, k, seed=rng, iters=iters)
    rows = snap_to_data(E, centers)
    labels = _sq_dist(E, E[rows]).argmin(1)
    losses = check_array(losses_at(rows.copy()), "losses_at(rows)", shape=(len(rows),))
    p = ds1_probabilities(E, rows, labels, losses, holder=holder, z=z)
    draws = rng.choice(E.shape[0], size=s, p=p)
    return WeightedSample(draws, 1.0 / (s * p[draws]), p, rows)


# ----------------------------------------------------------------------------------------------
# regression: baselines and DS-2


def uniform_sample(n: int, s: int, seed=0) -> WeightedSample:
    r"""Uniform sampling with replacement: :math:`p_i=1/n`, :math:`w_i=n/s` (the baseline)."""
    n = check_int(n, "n", 1)
    s = check_int(s, "s", 1)
    draws = as_rng(seed).integers(n, size=s)
    return WeightedSample(draws, np.full(s, n / s), np.full(n, 1.0 / n), np.zeros(0, dtype=int))


def leverage_scores(X) -> np.ndarray:
    r"""Exact leverage scores :math:`\ell_i=a_i^\top(A^\top A)^{-1}a_i=\lVert Q_{i,:}\rVert^2`, by thin QR :math:`A=QR`.

    They are the diagonal of the hat matrix :math:`A(A^\top A)^{-1}A^\top` and sum to :math:`d`;
    ``X`` (the matrix :math:`A`) must have full column rank.
    """
    X = _check_data(X, "X")
    n, d = X.shape
    if n < d:
        raise ValueError(f"X must have at least as many rows as columns for leverage scores, got shape {X.shape}")
    Q, R = np.linalg.qr(X, mode="reduced")
    diag = np.abs(np.diag(R))
    if diag.min() <= 1e-10 * max(diag.max(), np.finfo(float).tiny):
        raise ValueError("X must have full column rank for leverage scores")
    return (Q * Q).sum(1)


def leverage_sample(X, s: int, seed=0) -> WeightedSample:
    r"""Leverage-score sampling with replacement: :math:`p_i=\ell_i/d`, :math:`w_i=1/(s\,p_i)`.

    :math:`\ell_i` are the exact :func:`leverage_scores` of ``X``; ``s`` >= 1 draws, seeded by ``seed``.
    """
    scores = leverage_scores(X)
    s = check_int(s, "s", 1)
    p = scores / scores.sum()
    draws = as_rng(seed).choice(len(p), size=s, p=p)
    return WeightedSample(draws, 1.0 / (s * p[draws]), p, np.zeros(0, dtype=int))


def weighted_least_squares(X, y, idx, weights) -> np.ndarray:
    r"""Weighted least squares on a sample: :math:`\arg\min_x\sum_j w_j(\langle a_{i_j},x\rangle-b_{i_j})^2`.

    ``idx`` are row indices (repeats allowed, each counted), ``weights`` their weights (finite,
    >= 0).  Solved by ``numpy.linalg.lstsq`` on the rows scaled by :math:`\sqrt{w_j}` (the
    minimum-norm solution when the sample does not determine :math:`x`).
    """
    X = _check_data(X, "X")
    y = check_array(y, "y", shape=(X.shape[0],))
    idx = check_int_array(idx, "idx", low=0, what="row indices")
    if idx.max() >= X.shape[0]:
        raise ValueError(f"idx must be row indices in 0..{X.shape[0] - 1}, got max {idx.max()}")
    w = check_array(weights, "weights", shape=(len(idx),))
    if np.any(w < 0):
        raise ValueError("weights must be >= 0")
    r = np.sqrt(w)
    return np.linalg.lstsq(X[idx] * r[:, None], y[idx] * r, rcond=None)[0]


def ds2_sample(X, k: int, s: int, *, y=None, holder: float = np.inf, medoids: str = "unit", seed=0, iters=100):
    r"""DS-2 for linear regression: k-medoids rows, then sample by distance to the medoid (and medoid residual).

    For row :math:`a_i` in cluster :math:`C_j` with medoid row :math:`(\hat a_i,\hat b_i)`, the paper's
    Algorithm 2 samples with
    :math:`p_i\propto\Lambda\lVert a_i-\hat a_i\rVert+(\langle\hat a_i,x_0\rangle-\hat b_i)^2`, where
    :math:`x_0` is least squares on the medoids weighted by their cluster sizes, and
    :math:`w_i=1/(s\,p_i)`.  With ``holder=inf`` (the default, the :math:`\Lambda\to\infty` limit of the
    paper's experiment) :math:`p_i\propto\lVert a_i-\hat a_i\rVert` uses distances only and needs no
    targets; a finite ``holder`` needs ``y``.

    In the :math:`\Lambda\to\infty` limit the medoids have :math:`p=0`, so the paper's estimator
    misses their terms; whether it adds them is not stated.  ``medoids`` chooses (our
    reconstruction, in the spirit of the paper's unbiased estimator): ``"unit"`` adds every medoid
    once with weight 1 and draws the :math:`s` rows from the other rows only (:math:`p`
    renormalized), which makes :math:`\sum_Sw_iv_i` unbiased for every :math:`v`; ``"none"`` draws
    from :math:`p` as printed.  (Weighting each medoid by its cluster size instead is another
    variant, biased in general, not implemented here.)

    Parameters
    ----------
    X : ndarray of shape (n, d)
        The rows :math:`a_i` (finite).
    k : int
        Number of medoids, in ``1..n`` (the paper uses 10% of the rows).
    s : int
        Number of draws, >= 1.
    y : ndarray of shape (n,), optional
        Targets :math:`b_i`; needed only for a finite ``holder``.
    holder : float
        :math:`\Lambda>0`, or ``numpy.inf`` for distances only.
    medoids : {"unit", "none"}
        Whether the medoids join the sample with weight 1 (see above).
    seed : int or numpy.random.Generator
        Seed of the clustering and the draws.
    iters : int
        Maximum number of k-medoids rounds.

    Returns
    -------
    WeightedSample
        Draws then (for ``"unit"``) the medoids, their weights, :math:`p`, and the medoid rows.
    """
    X = _check_data(X, "X")
    n = X.shape[0]
    k = check_int(k, "k", 1, n)
    s = check_int(s, "s", 1)
    if medoids not in ("unit", "none"):
        raise ValueError(f"medoids must be 'unit' or 'none', got {medoids!r}")
    if isinstance(holder, bool) or not isinstance(holder, numbers.Real) or not holder > 0:
        raise ValueError(f"holder must be a number > 0 or numpy.inf, got {holder!r}")
    rng = as_rng(seed)
    med, labels = kmedoids(X, k, seed=rng, iters=iters)
    dist = np.sqrt(((X - X[med][labels]) ** 2).sum(1))
    if np.isinf(holder):
        score = dist
    else:
        if y is None:
            raise ValueError("y is required when holder is finite (the residual term needs the targets)")
        y = check_array(y, "y", shape=(n,))
        x0 = weighted_least_squares(X, y, med, np.bincount(labels, minlength=k).astype(float))
        score = holder * dist + ((X[med] @ x0 - y[med]) ** 2)[labels]
    if medoids == "unit":
        score = score.copy()
        score[med] = 0.0
    if not score.sum() > 0:
        raise ValueError("every row is a medoid or coincides with one; choose a smaller k")
    p = score / score.sum()
    draws = rng.choice(n, size=s, p=p)
    idx, w = draws, 1.0 / (s * p[draws])
    if medoids == "unit":
        idx, w = np.concatenate([draws, med]), np.concatenate([w, np.ones(k)])
    return WeightedSample(idx, w, p, med)
