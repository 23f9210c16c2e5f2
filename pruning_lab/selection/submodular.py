r"""Decomposable submodular minimization by maximum flow, its parametric path, and the min-norm point.

A set function on :math:`V=\{0,\dots,n-1\}`, written with indicators :math:`x_i=[i\in S]`,

.. math:: F(S)=\sum_i u_i x_i+\sum_{(i,j)}\theta_{ij}(x_i,x_j),

with unary terms :math:`u_i` of any sign and pairwise :math:`2\times2` tables :math:`\theta_{ij}`, is
submodular exactly when every table is, :math:`\theta(0,1)+\theta(1,0)\ge\theta(0,0)+\theta(1,1)`.
Such an :math:`F` is minimized exactly by one :math:`s`–:math:`t` minimum cut (Kolmogorov & Zabih's
construction: each table becomes unary parts plus one nonnegative edge
:math:`\theta(0,1)+\theta(1,0)-\theta(0,0)-\theta(1,1)`).  The cut is computed here by our own
augmenting-path maximum flow (Dinic's algorithm) in floating point, so real weights need no rounding:
the returned set is optimal up to a residual tolerance of :math:`10^{-12}` times the total capacity,
and its value is :math:`F` evaluated exactly on it.

Because :math:`F-\lambda\lvert S\rvert` is submodular for every :math:`\lambda`, the minimal minimizers
:math:`S_\lambda` are nested, :math:`S_\lambda\subseteq S_{\lambda'}` for :math:`\lambda<\lambda'`
(the regularization path of :func:`parametric_path`).  For a general submodular function given as a
callable, :func:`min_norm_point` runs the Fujishige–Wolfe minimum-norm-point algorithm on the base
polytope with Edmonds' greedy vertex oracle.  :func:`smooth_block_selection` applies all of this to
choosing blocks (or channels) on a line or a grid whose neighbours should agree.

Used in the chapter :doc:`/book/beyond_weights`.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import numpy as np

from ..validation import check_array, check_int, check_nonnegative
from ._maxflow import FlowGraph

__all__ = [
    "BlockSelection",
    "MinNormPoint",
    "brute_force_minimize",
    "greedy_vertex",
    "min_norm_point",
    "minimize_pairwise",
    "pairwise_value",
    "parametric_path",
    "smooth_block_selection",
]


def _check_problem(unary, pairwise):
    unary = check_array(unary, "unary", ndim=1)
    n = unary.shape[0]
    if not isinstance(pairwise, (dict, list, tuple)):
        raise TypeError(
            f"pairwise must be a dict {{(i, j): table}} or a list of (i, j, table), got {type(pairwise).__name__}"
        )
    items = pairwise.items() if isinstance(pairwise, dict) else pairwise
    terms = []
    for item in items:
        try:
            (i, j), table = item if isinstance(pairwise, dict) else ((item[0], item[1]), item[2])
        except (TypeError, ValueError, IndexError):
            raise ValueError(
                f"pairwise must be a dict {{(i, j): table}} or a list of (i, j, table), got {item!r}"
            ) from None
        table = check_array(table, f"pairwise[{i}, {j}]", shape=(2, 2))
        if not all(isinstance(v, (int, np.integer)) and not isinstance(v, bool) for v in (i, j)):
            raise ValueError(f"pairwise indices must be integers, got ({i!r}, {j!r})")
        if not (0 <= i < n and 0 <= j < n) or i == j:
            raise ValueError(f"pairwise pair ({i}, {j}) must be two different indices in 0..{n - 1}")
        weight = table[0, 1] + table[1, 0] - table[0, 0] - table[1, 1]
        if weight < -1e-12 * (1.0 + np.abs(table).sum()):
            raise ValueError(
                f"pairwise term ({i}, {j}) is not submodular: theta(0,1) + theta(1,0) = "
                f"{table[0, 1] + table[1, 0]:g} < theta(0,0) + theta(1,1) = {table[0, 0] + table[1, 1]:g}"
            )
        terms.append((int(i), int(j), table))
    return unary, terms


def pairwise_value(unary, pairwise, mask) -> float:
    r"""The value :math:`F(S)=\sum_iu_ix_i+\sum_{(i,j)}\theta_{ij}(x_i,x_j)` of the set given by the boolean ``mask``.

    ``unary`` holds the :math:`u_i`; ``pairwise`` is a dict ``{(i, j): table}`` or a list of
    ``(i, j, table)`` with :math:`2\times2` tables indexed by :math:`(x_i,x_j)`.
    """
    unary, terms = _check_problem(unary, pairwise)
    return _value(unary, terms, _check_mask(mask, unary.shape[0]))


def _check_mask(mask, n):
    mask = np.asarray(mask)
    if mask.shape != (n,) or mask.dtype != bool:
        raise ValueError(f"mask must be a boolean array of shape ({n},), got {mask.dtype} of shape {mask.shape}")
    return mask


def _value(unary, terms, mask):
    x = mask.astype(int)
    return float(unary @ x + sum(t[x[i], x[j]] for i, j, t in terms))


def _min_cut(unary, terms):
    """Minimal minimizer of u.x + sum theta(x_i, x_j) by one s-t minimum cut (source side = S)."""
    n = unary.shape[0]
    coef = unary.copy()
    graph = FlowGraph(n + 2)
    s, t = n, n + 1
    for i, j, table in terms:
        a, b, c, d = table[0, 0], table[0, 1], table[1, 0], table[1, 1]
        coef[i] += c - a
        coef[j] += d - c
        weight = b + c - a - d  # paid when x_i = 0 and x_j = 1: the edge j -> i is cut
        if weight > 0:
            graph.add(j, i, weight)
    for i in range(n):
        if coef[i] > 0:
            graph.add(i, t, coef[i])  # cut when i is on the source side (x_i = 1)
        elif coef[i] < 0:
            graph.add(s, i, -coef[i])  # cut when i is on the sink side (x_i = 0)
    return graph.source_side(s, t)[:n]


def minimize_pairwise(unary, pairwise):
    r"""Minimize a graph-representable submodular :math:`F` (see :func:`pairwise_value`) exactly by a minimum cut.

    ``unary`` holds the :math:`u_i` (any sign), ``pairwise`` the :math:`2\times2` tables
    :math:`\theta_{ij}(x_i,x_j)`, each required to be submodular,
    :math:`\theta(0,1)+\theta(1,0)\ge\theta(0,0)+\theta(1,1)` (a ``ValueError`` names the first pair
    that is not).  The cut is found by a floating-point maximum flow (no rounding of the weights),
    and the set returned is the smallest minimizer (the source side reachable in the residual graph).

    Returns
    -------
    mask : ndarray of bool, shape (n,)
        The minimizer :math:`S`.
    value : float
        :math:`F(S)`.
    """
    unary, terms = _check_problem(unary, pairwise)
    mask = _min_cut(unary, terms)
    return mask, _value(unary, terms, mask)


def brute_force_minimize(F, n):
    r"""Minimize a set function by enumerating all :math:`2^n` subsets (a reference for :math:`n\le16`).

    ``F`` is a callable on a boolean mask of shape ``(n,)``; ties go to the first subset in the
    order of the binary counter.  Returns the minimizing mask and :math:`F` there.
    """
    if not callable(F):
        raise TypeError(f"F must be a callable on boolean masks, got {type(F).__name__}")
    n = check_int(n, "n", low=0, high=16)
    best, best_value = None, np.inf
    for bits in itertools.product((False, True), repeat=n):
        mask = np.array(bits[::-1], dtype=bool)
        value = float(F(mask))
        if value < best_value:
            best, best_value = mask, value
    return best, best_value


def parametric_path(unary, pairwise, lambdas):
    r"""The minimizers :math:`S_\lambda` of :math:`F(S)-\lambda\lvert S\rvert` on an increasing grid of :math:`\lambda`.

    Each :math:`S_\lambda` is the smallest minimizer, by :func:`minimize_pairwise` with unary terms
    :math:`u_i-\lambda`.  For submodular :math:`F` the smallest minimizers are nested,
    :math:`S_\lambda\subseteq S_{\lambda'}` when :math:`\lambda<\lambda'`; in floating point a
    near-tie could break that, so each set is joined with the previous one, which is still a
    minimizer (if :math:`A` minimizes at :math:`\lambda` and :math:`B` at :math:`\lambda'>\lambda`,
    submodularity makes :math:`A\cup B` a minimizer at :math:`\lambda'`).  ``lambdas`` must be
    strictly increasing.

    Returns
    -------
    masks : ndarray of bool, shape (len(lambdas), n)
        The nested minimizers, one row per :math:`\lambda`.
    values : ndarray of shape (len(lambdas),)
        :math:`F(S_\lambda)-\lambda\lvert S_\lambda\rvert`.
    """
    unary, terms = _check_problem(unary, pairwise)
    lambdas = check_array(lambdas, "lambdas", ndim=1)
    if lambdas.size == 0 or np.any(np.diff(lambdas) <= 0):
        raise ValueError("lambdas must be a non-empty, strictly increasing list")
    masks, values = [], []
    previous = np.zeros(unary.shape[0], dtype=bool)
    for lam in lambdas:
        mask = _min_cut(unary - lam, terms) | previous
        masks.append(mask)
        values.append(_value(unary - lam, terms, mask))
        previous = mask
    return np.array(masks), np.array(values)


def greedy_vertex(F, w):
    r"""Edmonds' greedy vertex of the base polytope :math:`B(F)` minimizing :math:`\langle w,q\rangle`.

    Sort :math:`w` increasingly, :math:`w_{\pi(1)}\le\dots\le w_{\pi(n)}`, and set
    :math:`q_{\pi(k)}=F(\{\pi(1),\dots,\pi(k)\})-F(\{\pi(1),\dots,\pi(k-1)\})`; ``F`` is a callable on
    boolean masks (normalized here by subtracting :math:`F(\emptyset)`).
    """
    if not callable(F):
        raise TypeError(f"F must be a callable on boolean masks, got {type(F).__name__}")
    w = check_array(w, "w", ndim=1)
    mask = np.zeros(w.shape[0], dtype=bool)
    q = np.empty(w.shape[0])
    previous = float(F(mask))
    for i in np.argsort(w, kind="stable"):
        mask[i] = True
        value = float(F(mask))
        q[i] = value - previous
        previous = value
    return q


@dataclass(frozen=True)
class MinNormPoint:
    r"""The result of :func:`min_norm_point`.

    Attributes
    ----------
    mask : ndarray of bool
        The best sublevel set :math:`\{i:x_i\le\tau\}` of the final point (a minimizer at convergence).
    value : float
        :math:`F` on ``mask``.
    x : ndarray
        The (approximate) minimum-norm point of :math:`B(F)`.
    gap : float
        A certificate: :math:`F(S)-F(\emptyset)-\sum_i\min(x_i,0)\ge F(S)-\min F\ge0`.
    iterations : int
        Major iterations (greedy-oracle calls after the first).
    """

    mask: np.ndarray
    value: float
    x: np.ndarray
    gap: float
    iterations: int


def _affine_minimizer(points):
    """Weights alpha (summing to one) of the point of smallest norm in the affine hull of the rows."""
    if points.shape[0] == 1:
        return np.ones(1)
    # y = p_0 + sum_k beta_k (p_k - p_0): least squares on the vectors themselves (no Gram matrix)
    beta = np.linalg.lstsq((points[1:] - points[0]).T, -points[0], rcond=None)[0]
    return np.concatenate([[1.0 - beta.sum()], beta])


def _best_level_set(F, x):
    order = np.argsort(x, kind="stable")
    mask = np.zeros(x.shape[0], dtype=bool)
    best, best_value = mask.copy(), float(F(mask))
    for k, i in enumerate(order):
        mask[i] = True
        if k + 1 < len(order) and x[order[k + 1]] == x[i]:
            continue
        value = float(F(mask))
        if value < best_value:
            best, best_value = mask.copy(), value
    return best, best_value


def min_norm_point(F, n, *, tol=1e-10, max_iter=1000):
    r"""Minimize a submodular set function by the Fujishige–Wolfe minimum-norm-point algorithm.

    Wolfe's algorithm finds :math:`x^*=\arg\min\{\lVert x\rVert_2:x\in B(F)\}` on the base polytope,
    with :func:`greedy_vertex` as the linear oracle; by Fujishige's theorem
    :math:`\{i:x^*_i<0\}` minimizes :math:`F`.  Since the iterate is only approximate, the set
    returned is the best sublevel set of the final :math:`x`, with the certificate ``gap``.  ``F`` is
    a callable on boolean masks of shape ``(n,)``; ``tol`` stops the major loop when Wolfe's gap
    :math:`\lVert x\rVert^2-\langle x,q\rangle\le` ``tol`` :math:`\cdot\max(1,\lVert x\rVert^2)`;
    ``max_iter`` bounds the major iterations.
    """
    if not callable(F):
        raise TypeError(f"F must be a callable on boolean masks, got {type(F).__name__}")
    n = check_int(n, "n", low=1)
    tol = check_nonnegative(tol, "tol")
    max_iter = check_int(max_iter, "max_iter", low=1)
    points = greedy_vertex(F, np.zeros(n))[None, :]
    weights = np.ones(1)
    x = points[0].copy()
    iterations = 0
    while iterations < max_iter:
        iterations += 1
        q = greedy_vertex(F, x)
        if x @ x - x @ q <= tol * max(1.0, x @ x) or any(np.allclose(q, p, rtol=0, atol=1e-14) for p in points):
            break
        points = np.vstack([points, q])
        weights = np.append(weights, 0.0)
        while True:  # Wolfe's minor cycle
            alpha = _affine_minimizer(points)
            if np.all(alpha > 1e-14):
                weights = alpha
                break
            neg = alpha <= 1e-14
            theta = min(1.0, np.min(weights[neg] / np.maximum(weights[neg] - alpha[neg], 1e-300)))
            weights = theta * alpha + (1 - theta) * weights
            keep = weights > 1e-14
            points, weights = points[keep], weights[keep] / weights[keep].sum()
        x = weights @ points
    mask, value = _best_level_set(F, x)
    empty = float(F(np.zeros(n, dtype=bool)))
    return MinNormPoint(mask, value, x, float(value - empty - np.minimum(x, 0).sum()), iterations)


@dataclass(frozen=True)
class BlockSelection:
    r"""The result of :func:`smooth_block_selection`.

    Attributes
    ----------
    mask : ndarray of bool
        The blocks kept, in the shape of ``scores``.
    lam : float
        The price :math:`\lambda` per kept block that was used.
    objective : float
        :math:`-\sum_{i\in S}s_i+\gamma\,\#\{\text{cut neighbour pairs}\}+\lambda\lvert S\rvert`.
    top_k : ndarray of bool
        The independent selection of as many blocks by score alone (the baseline).
    """

    mask: np.ndarray
    lam: float
    objective: float
    top_k: np.ndarray


def _neighbour_pairs(shape):
    index = np.arange(int(np.prod(shape))).reshape(shape)
    pairs = [np.stack([index[:-1].ravel(), index[1:].ravel()], axis=1)]
    if len(shape) == 2:
        pairs.append(np.stack([index[:, :-1].ravel(), index[:, 1:].ravel()], axis=1))
    return np.concatenate(pairs)


def _select(scores, pairs, smoothness, lam):
    table = np.array([[0.0, smoothness], [smoothness, 0.0]])
    terms = [(int(i), int(j), table) for i, j in pairs] if smoothness > 0 else []
    unary = lam - scores
    mask = _min_cut(unary, terms)
    return mask, _value(unary, terms, mask)


def _top_k_mask(scores, k):
    mask = np.zeros(scores.shape[0], dtype=bool)
    mask[np.argsort(-scores, kind="stable")[:k]] = True
    return mask


def smooth_block_selection(scores, *, k=None, lam=None, smoothness=0.0):
    r"""Choose blocks on a line or a grid by score, with neighbours encouraged to agree.

    Minimizes, over the kept set :math:`S`,

    .. math::

        -\sum_{i\in S}s_i+\gamma\sum_{(i,j)\ \text{neighbours}}[\,\lvert S\cap\{i,j\}\rvert=1\,]
        +\lambda\lvert S\rvert,

    a submodular function minimized exactly by :func:`minimize_pairwise` (``scores`` :math:`s` is
    1-D for a line of blocks or 2-D for a grid with 4-neighbours; ``smoothness`` is
    :math:`\gamma\ge0`).  Give either ``lam`` (the price per kept block) or ``k``: then
    :math:`\lambda` is found by bisection on the nested path (:func:`parametric_path`), so that
    :math:`\lvert S\rvert` is ``k`` when some :math:`\lambda` gives it, else the closest size found
    (the path may jump over ``k``).  With :math:`\gamma=0` and distinct scores this is the top-``k``
    by score.  The result also holds that independent top-:math:`\lvert S\rvert` baseline.
    """
    scores = check_array(scores, "scores", ndim=(1, 2))
    if scores.size == 0:
        raise ValueError("scores must not be empty")
    smoothness = check_nonnegative(smoothness, "smoothness")
    if (k is None) == (lam is None):
        raise ValueError("give exactly one of k (blocks to keep) and lam (price per kept block)")
    flat, pairs = scores.ravel(), _neighbour_pairs(scores.shape)
    if lam is not None:
        lam = float(check_array(lam, "lam", ndim=0))
        mask, value = _select(flat, pairs, smoothness, lam)
    else:
        k = check_int(k, "k", low=0, high=flat.size)
        lo, hi = float(flat.min()) - 4 * smoothness - 1.0, float(flat.max()) + 4 * smoothness + 1.0
        best = None
        for _ in range(100):  # |S| decreases as lam grows: keep everything at lo, nothing at hi
            mid = 0.5 * (lo + hi)
            mask, value = _select(flat, pairs, smoothness, mid)
            if best is None or abs(mask.sum() - k) < abs(best[0].sum() - k):
                best = (mask, value, mid)
            if mask.sum() == k or hi - lo < 1e-12 * (1 + abs(mid)):
                break
            lo, hi = (mid, hi) if mask.sum() > k else (lo, mid)
        mask, value, lam = best
    top = _top_k_mask(flat, int(mask.sum()))
    return BlockSelection(mask.reshape(scores.shape), lam, value, top.reshape(scores.shape))
