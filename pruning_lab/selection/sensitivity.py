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
update) is written here in numpy; the paper used scikit-learn.  Everything is seeded.
:func:`clustered_regression` is a **synthetic** stand-in for the paper's gas-sensor regression data,
not that data set.  For a later chapter on selecting data.
"""

from __future__ import annotations

import numbers
import time
from dataclasses import dataclass

import numpy as np

from ..validation import as_rng, check_array, check_int, check_int_array, check_nonnegative

__all__ = [
    "METHODS",
    "SelectionCurve",
    "WeightedSample",
    "clustered_regression",
    "ds1_probabilities",
    "ds1_sample",
    "ds1_sample_size",
    "ds2_sample",
    "kmeans",
    "kmedoids",
    "leverage_sample",
    "leverage_scores",
    "one_minus_r2",
    "regression_selection_curve",
    "snap_to_data",
    "uniform_sample",
    "weighted_least_squares",
]

#: Sampling methods of :func:`regression_selection_curve`.
METHODS = ("uniform", "leverage", "ds2", "ds2_medoids")


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
# clustering


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
    :func:`kmeans` on the embeddings, snap each center to its nearest data row
    (:func:`snap_to_data`) and reassign every row to its nearest snapped center, call ``losses_at``
    once on the center rows, then draw :math:`s` rows i.i.d. from :func:`ds1_probabilities`
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


# ----------------------------------------------------------------------------------------------
# the regression experiment


def one_minus_r2(X, y, x) -> float:
    r"""Unexplained fraction of a fit ``x`` on ``(X, y)``: :math:`1-R^2=\lVert Ax-b\rVert^2/\lVert b-\bar b\rVert^2`."""
    X = _check_data(X, "X")
    y = check_array(y, "y", shape=(X.shape[0],))
    x = check_array(x, "x", shape=(X.shape[1],))
    spread = ((y - y.mean()) ** 2).sum()
    if not spread > 0:
        raise ValueError("y must not be constant (1 - R^2 divides by its spread)")
    return float(((X @ x - y) ** 2).sum() / spread)


@dataclass(frozen=True)
class SelectionCurve:
    """Mean and standard error of :math:`1-R^2` on the full data, per method and sample size.

    Attributes
    ----------
    methods : tuple of str
        The sampling methods (rows of the arrays).
    sizes : ndarray of int
        The numbers of draws :math:`s` (columns of the arrays).
    mean : ndarray
        Mean of :math:`1-R^2` over the draws, one row per method and one column per size.
    se : ndarray
        Its standard error (standard deviation over the draws / sqrt(draws)).
    seconds : ndarray
        Mean wall-clock seconds per draw: sampling (clustering included) plus the weighted fit.
    rows : ndarray
        Rows in each fit (``s``, or ``s + k`` for ``"ds2_medoids"``).
    full : float
        :math:`1-R^2` of least squares on all the data (the floor).
    """

    methods: tuple
    sizes: np.ndarray
    mean: np.ndarray
    se: np.ndarray
    seconds: np.ndarray
    rows: np.ndarray
    full: float


def _draw(method, X, s, clusters, rng):
    if method == "uniform":
        return uniform_sample(X.shape[0], s, rng)
    if method == "leverage":
        return leverage_sample(X, s, rng)
    return ds2_sample(X, clusters, s, medoids="unit" if method == "ds2_medoids" else "none", seed=rng)


def regression_selection_curve(X, y, sizes, methods=("uniform", "leverage", "ds2"), draws=50, seed=0, clusters=None):
    r"""Quality of weighted least squares fitted on a sample, :math:`1-R^2` on the full data, against sample size.

    For each method and size :math:`s`, ``draws`` times: draw a weighted sample, fit
    :func:`weighted_least_squares` on it, and score the fit with :func:`one_minus_r2` on all of
    ``(X, y)``; the time of sampling plus fitting is measured per draw.  Methods (:data:`METHODS`):
    ``"uniform"`` (:func:`uniform_sample`), ``"leverage"`` (:func:`leverage_sample`), ``"ds2"``
    (:func:`ds2_sample` with distances only and ``medoids="none"``, as in the paper's regression
    experiment) and ``"ds2_medoids"`` (the same with the medoids added, ``medoids="unit"``).  The
    paper reports this metric on the UCI gas-sensor data with 100 runs; this function runs on any
    ``(X, y)``.

    Parameters
    ----------
    X : ndarray of shape (n, d)
        The design (full column rank, for the leverage scores).
    y : ndarray of shape (n,)
        The targets (not constant).
    sizes : sequence of int
        Numbers of draws :math:`s`, each >= 1.
    methods : sequence of str
        Methods from :data:`METHODS`.
    draws : int
        Repetitions per method and size (>= 2, for a standard error).
    seed : int or numpy.random.Generator
        Seed of all the draws.
    clusters : int, optional
        Number of medoids of DS-2 (default: 10% of the rows, at least 1).

    Returns
    -------
    SelectionCurve
        Mean and standard error of :math:`1-R^2`, seconds per draw and rows per fit, per method and size.
    """
    X = _check_data(X, "X")
    y = check_array(y, "y", shape=(X.shape[0],))
    sizes = check_int_array(sizes, "sizes", low=1, what="sample sizes")
    methods = tuple(methods) if not isinstance(methods, str) else (methods,)
    bad = [m for m in methods if m not in METHODS]
    if bad or not methods:
        raise ValueError(f"methods must be a non-empty selection of {METHODS}, got {methods!r}")
    draws = check_int(draws, "draws", 2)
    clusters = max(1, X.shape[0] // 10) if clusters is None else check_int(clusters, "clusters", 1, X.shape[0])
    rng = as_rng(seed)
    full = one_minus_r2(X, y, np.linalg.lstsq(X, y, rcond=None)[0])
    shape = (len(methods), len(sizes))
    mean, se, seconds, rows = np.zeros(shape), np.zeros(shape), np.zeros(shape), np.zeros(shape, dtype=int)
    for a, method in enumerate(methods):
        for b, s in enumerate(sizes):
            errors = np.empty(draws)
            start = time.perf_counter()
            for t in range(draws):
                sample = _draw(method, X, int(s), clusters, rng)
                errors[t] = one_minus_r2(X, y, weighted_least_squares(X, y, sample.indices, sample.weights))
            seconds[a, b] = (time.perf_counter() - start) / draws
            mean[a, b], se[a, b] = errors.mean(), errors.std(ddof=1) / np.sqrt(draws)
            rows[a, b] = len(sample.indices)
    return SelectionCurve(methods, sizes, mean, se, seconds, rows, full)


def clustered_regression(n: int, d: int, clusters: int, seed=0, *, noise: float = 0.1):
    r"""A **synthetic** clustered regression design, in the spirit of the paper's gas-sensor setting (not that data).

    Cluster sizes are drawn from a Dirichlet(0.5) distribution (a few large clusters and several
    small ones, each with at least one row), cluster means :math:`\mu_j\sim N(0,I_d)` scaled by a
    log-uniform factor in :math:`[1,10]` (small far clusters carry high leverage), rows
    :math:`a_i=\mu_j+\sigma_j g_i` with :math:`\sigma_j` log-uniform in :math:`[0.05,0.5]`, and targets
    :math:`b_i=\langle a_i,\beta\rangle+\sin(\langle a_i,u\rangle)+\text{noise}\cdot\xi_i` with
    :math:`\beta,u,g_i,\xi_i` standard normal (``u`` scaled by :math:`1/\sqrt d`): a linear trend plus a
    smooth, Lipschitz deviation, so the labels vary slowly within a cluster (Assumption 10).

    Returns
    -------
    X : ndarray of shape (n, d)
        The rows.
    y : ndarray of shape (n,)
        The targets.
    labels : ndarray of int, shape (n,)
        The generating cluster of each row.
    """
    n = check_int(n, "n", 1)
    d = check_int(d, "d", 1)
    clusters = check_int(clusters, "clusters", 1, n)
    noise = check_nonnegative(noise, "noise")
    rng = as_rng(seed)
    sizes = 1 + rng.multinomial(n - clusters, rng.dirichlet(np.full(clusters, 0.5)))
    labels = np.repeat(np.arange(clusters), sizes)
    means = rng.standard_normal((clusters, d)) * np.exp(rng.uniform(0, np.log(10), clusters))[:, None]
    spread = np.exp(rng.uniform(np.log(0.05), np.log(0.5), clusters))
    X = means[labels] + spread[labels, None] * rng.standard_normal((n, d))
    beta, u = rng.standard_normal(d), rng.standard_normal(d) / np.sqrt(d)
    y = X @ beta + np.sin(X @ u) + noise * rng.standard_normal(n)
    return X, y, labels
