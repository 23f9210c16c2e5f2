r"""One-shot pruning of one linear layer from its calibration inputs: OBD, Wanda, OBS, SparseGPT.

A linear layer :math:`y = Wx` (``W`` of shape ``(r, d)``: ``r`` outputs, ``d``
inputs) is pruned to :math:`\hat W` so that its outputs on calibration inputs
:math:`X\in\mathbb{R}^{N\times d}` change as little as possible:

.. math::

    E(\hat W) = \tfrac1N\lVert XW^\top - X\hat W^\top\rVert_F^2
    = \sum_{i=1}^r (w_i-\hat w_i)^\top H\,(w_i-\hat w_i),
    \qquad H = \tfrac1N X^\top X .

Each row :math:`w_i` is a least-squares pruning problem of its own, all with
the same Hessian :math:`H`: the problem of the chapter
:doc:`/book/pruning_strategies`, with :math:`\hat\Sigma = H`.  So:

- removing weight :math:`(i,j)` alone, without touching the others, costs
  :math:`w_{ij}^2H_{jj}`: the OBD saliency with the diagonal of :math:`H`
  (``"obd"``); Wanda's score :math:`|w_{ij}|\,\lVert X_{:,j}\rVert_2` is its square
  root times :math:`\sqrt N`, so ``"wanda"`` and ``"obd"`` rank the weights of
  a row identically;
- removing it and moving the other weights of its row optimally costs
  :math:`w_{ij}^2/[H^{-1}]_{jj}` (Optimal Brain Surgeon), with the update
  :math:`\delta w_i = -\frac{w_{ij}}{[H^{-1}]_{jj}}H^{-1}e_j`;
  ``"obs"`` applies it greedily to every row (:func:`greedy_obs`; exact, for
  small layers: :math:`O(r\,d^3)`);
- ``"sparsegpt"`` (:func:`sparsegpt`) runs OBS in a fixed column order,
  freezing each column once it is reached, so that one Cholesky factor of
  :math:`H^{-1}` serves every row; its lazy block updates make it a
  matrix-product algorithm.

Masks (:func:`select_mask`) keep exact counts: per row (``scope="row"``, the
default) or per layer (``scope="layer"``), unstructured (``sparsity`` =
fraction removed, ``round(sparsity * n)`` of ``n`` weights go) or N:M
(``pattern="2:4"``: in every group of ``m`` consecutive inputs of a row, ``n``
weights are kept).  Among tied scores the earlier weight is kept.  Used by
:mod:`pruning_lab.nn.oneshot` and in the chapter :doc:`/book/oneshot_pruning`.
"""

from __future__ import annotations

import math
import numbers
from dataclasses import dataclass

import numpy as np
import scipy.linalg as sla

from .validation import check_array, check_int, check_nonnegative

__all__ = [
    "STRATEGIES",
    "SCOPES",
    "LayerPruneResult",
    "damped_hessian",
    "greedy_obs",
    "least_squares_weights",
    "parse_pattern",
    "prune_layer",
    "reconstruction_error",
    "select_mask",
    "sequential_obs_reference",
    "sparsegpt",
]

#: The pruning strategies of :func:`prune_layer`.
STRATEGIES = ("magnitude", "wanda", "obd", "sparsegpt", "obs")
#: Over which weights a count is taken, each row (output) or the whole layer.
SCOPES = ("row", "layer")


@dataclass(frozen=True)
class LayerPruneResult:
    """A pruned layer.

    Attributes
    ----------
    weights : numpy.ndarray
        The new weights, shape ``(r, d)`` (zero where the mask is False; OBS and SparseGPT also
        move the kept ones).
    mask : numpy.ndarray
        Bool, shape ``(r, d)``; True for the kept weights.
    """

    weights: np.ndarray
    mask: np.ndarray


# -- patterns and masks -------------------------------------------------------------------
def parse_pattern(pattern) -> tuple[int, int] | None:
    """``None`` for ``"unstructured"``, ``(n, m)`` for ``"n:m"`` (keep ``n`` of every ``m``, ``1 <= n <= m``)."""
    if pattern == "unstructured":
        return None
    if isinstance(pattern, str) and pattern.count(":") == 1:
        left, right = pattern.split(":")
        if left.strip().isdigit() and right.strip().isdigit():
            n, m = int(left), int(right)
            if 1 <= n <= m:
                return n, m
    raise ValueError(f'pattern must be "unstructured" or "n:m" with 1 <= n <= m (e.g. "2:4"), got {pattern!r}')


def _check_fraction(sparsity) -> float:
    if isinstance(sparsity, (bool, np.bool_)) or not isinstance(sparsity, numbers.Real):
        raise ValueError(f"sparsity (fraction of weights removed) must be a number in [0, 1], got {sparsity!r}")
    sparsity = float(sparsity)
    if not 0.0 <= sparsity <= 1.0:
        raise ValueError(f"sparsity (fraction of weights removed) must lie in [0, 1], got {sparsity}")
    return sparsity


def _pruned_count(sparsity: float, n: int) -> int:
    return int(math.floor(sparsity * n + 0.5))


def _check_request(d, sparsity, pattern, scope):
    nm = parse_pattern(pattern)
    if scope not in SCOPES:
        raise ValueError(f"scope must be one of {', '.join(SCOPES)}, got {scope!r}")
    if nm is None:
        if sparsity is None:
            raise ValueError("sparsity (fraction of weights removed) is required for unstructured pruning")
        sparsity = _check_fraction(sparsity)
    else:
        if sparsity is not None:
            raise ValueError(f"give either sparsity or an n:m pattern, not both (pattern {pattern!r} fixes it)")
        if d % nm[1]:
            raise ValueError(f"pattern {pattern!r}: the layer's {d} inputs do not split into groups of {nm[1]}")
    return sparsity, nm


def _lowest(scores: np.ndarray, k: int) -> np.ndarray:
    """Bool array, True at the ``k`` lowest entries of each row; among ties the later index is taken."""
    out = np.zeros(scores.shape, dtype=bool)
    if k <= 0:
        return out
    width = scores.shape[-1]
    order = np.argsort(scores[..., ::-1], axis=-1, kind="stable")[..., :k]
    np.put_along_axis(out, width - 1 - order, True, axis=-1)
    return out


def _window_pruned(scores, quota_row, quota_layer, nm):
    """Bool array of the pruned entries of a window of columns (scores of shape (r, width))."""
    if nm is not None:
        r, width = scores.shape
        groups = scores.reshape(r, width // nm[1], nm[1])
        return _lowest(groups, nm[1] - nm[0]).reshape(r, width)
    if quota_layer is not None:
        return _lowest(scores.reshape(1, -1), quota_layer).reshape(scores.shape)
    return _lowest(scores, quota_row)


def select_mask(scores, *, sparsity=None, pattern="unstructured", scope="row") -> np.ndarray:
    r"""The keep-mask of a score matrix: the lowest scores go, with exact counts.

    Parameters
    ----------
    scores : array of shape (r, d)
        Higher = more important.
    sparsity : float in [0, 1], optional
        Fraction removed (unstructured only): ``round(sparsity * d)`` in every row
        (``scope="row"``) or ``round(sparsity * r * d)`` in the layer (``scope="layer"``).
    pattern : str
        ``"unstructured"`` or ``"n:m"``: then ``n`` of every ``m`` consecutive entries of a
        row are kept, whatever the scope (the pattern is row-local).
    scope : {"row", "layer"}

    Returns
    -------
    ndarray of bool, shape (r, d); True = kept.
    """
    scores = check_array(scores, "scores", ndim=2, finite=False)
    if np.isnan(scores).any():
        raise ValueError("scores contains NaN")
    r, d = scores.shape
    sparsity, nm = _check_request(d, sparsity, pattern, scope)
    quota_row = quota_layer = None
    if nm is None and scope == "layer":
        quota_layer = _pruned_count(sparsity, r * d)
    elif nm is None:
        quota_row = _pruned_count(sparsity, d)
    return ~_window_pruned(scores, quota_row, quota_layer, nm)


# -- the Hessian and the objective ----------------------------------------------------------
def _check_symmetric(H: np.ndarray, name: str = "hessian") -> None:
    scale = max(float(np.max(np.abs(np.diag(H)), initial=0.0)), 1e-300)
    step = 256  # row blocks: no temporary as large as H
    for i in range(0, H.shape[0], step):
        if np.max(np.abs(H[i : i + step] - H[:, i : i + step].T), initial=0.0) > 1e-8 * scale:
            raise ValueError(f"{name} must be symmetric")


def damped_hessian(hessian, damp: float = 0.01) -> np.ndarray:
    r""":math:`H + \lambda\,\overline{H_{jj}}\,I` (a new array); ``damp`` is a fraction of the mean diagonal."""
    H = check_array(hessian, "hessian", ndim=2)
    if H.shape[0] != H.shape[1]:
        raise ValueError(f"hessian must be square, got shape {H.shape}")
    _check_symmetric(H)
    damp = check_nonnegative(damp, "damp")
    mean_diag = float(np.mean(np.diag(H)))
    if mean_diag <= 0:
        raise ValueError("hessian has a zero diagonal: no calibration input reached this layer")
    H = np.array(H, dtype=float, order="F", copy=True)
    H[np.diag_indices(H.shape[0])] += damp * mean_diag
    return H


def _cholesky_inverse_upper(H: np.ndarray) -> np.ndarray:
    """Upper ``U`` with ``inv(H) = U.T @ U``, computed in the memory of ``H`` (which it overwrites).

    LAPACK: Cholesky of ``H`` (``potrf``), its inverse from the factor (``potri``, upper
    triangle only) and the Cholesky factor of that (``potrf`` reads the upper triangle).
    """
    singular = (
        "the damped hessian is singular (not positive definite): raise damp (e.g. damp=0.01) "
        "or use more calibration samples"
    )
    H = np.asfortranarray(H)
    c, info = sla.lapack.dpotrf(H, lower=0, clean=0, overwrite_a=1)
    if info != 0:
        raise ValueError(singular)
    inv, info = sla.lapack.dpotri(c, lower=0, overwrite_c=1)
    if info != 0:
        raise ValueError(singular)
    U, info = sla.lapack.dpotrf(inv, lower=0, clean=1, overwrite_a=1)
    if info != 0:
        raise ValueError("the damped hessian is too ill-conditioned to invert: raise damp")
    return U


def reconstruction_error(weights, pruned, hessian) -> float:
    r""":math:`\sum_i (w_i-\hat w_i)^\top H (w_i-\hat w_i)`, the layer's output error on the calibration inputs."""
    W = check_array(weights, "weights", ndim=2)
    delta = W - check_array(pruned, "pruned", ndim=2, shape=W.shape)
    H = check_array(hessian, "hessian", ndim=2, shape=(W.shape[1], W.shape[1]))
    return float(np.einsum("ij,ij->", delta @ H, delta))


def least_squares_weights(weights, hessian, mask) -> np.ndarray:
    r"""The best weights on a fixed mask: for each row, :math:`\hat w_K = H_{KK}^{-1}H_{K,:}w` (zero elsewhere).

    The exact answer the OBS updates reach; one solve per row, :math:`O(r\,k^3)`.  ``hessian``
    should be damped if it is singular on a row's support.
    """
    W = check_array(weights, "weights", ndim=2)
    H = check_array(hessian, "hessian", ndim=2, shape=(W.shape[1], W.shape[1]))
    mask = np.asarray(mask, dtype=bool)
    if mask.shape != W.shape:
        raise ValueError(f"mask must have the shape of weights {W.shape}, got {mask.shape}")
    out = np.zeros_like(W)
    for i in range(W.shape[0]):
        K = np.flatnonzero(mask[i])
        if K.size:
            out[i, K] = sla.solve(H[np.ix_(K, K)], H[K] @ W[i], assume_a="pos")
    return out


def _own_copy(weights) -> np.ndarray:
    W = check_array(weights, "weights", ndim=2)
    return W.copy() if np.may_share_memory(W, weights) else W


# -- SparseGPT: sequential OBS with a shared Cholesky factor ---------------------------------
def _window_quotas(d, start, end, sparsity, nm, scope, r):
    """Pruned counts of the mask window [start, end): exact totals per row or per layer."""
    if nm is not None:
        return None, None
    if scope == "layer":
        return None, _pruned_count(sparsity, end * r) - _pruned_count(sparsity, start * r)
    return _pruned_count(sparsity, end) - _pruned_count(sparsity, start), None


def sparsegpt(
    weights,
    hessian,
    *,
    sparsity=None,
    pattern="unstructured",
    scope="row",
    damp: float = 0.01,
    block_size: int = 128,
    mask_block: int | None = 128,
    mask=None,
) -> LayerPruneResult:
    r"""SparseGPT-style OBS: columns in order, one Cholesky factor of :math:`H^{-1}`, lazy block updates.

    With :math:`U` upper triangular and :math:`H^{-1}=U^\top U`, row :math:`j` of
    :math:`U` is the first row of :math:`(H_{F})^{-1}` scaled by
    :math:`1/\sqrt{[(H_F)^{-1}]_{00}}`, where :math:`F=\{j,\dots,d-1\}` are the columns not
    yet frozen.  Reaching column :math:`j`, every row whose weight :math:`j` is pruned sets
    it to zero and moves its free weights by the OBS update
    :math:`-\frac{w_{ij}}{U_{jj}}\,U_{j,F}`; then column :math:`j` is frozen.  The updates
    of a block of ``block_size`` columns reach the columns after it as one matrix product
    (lazy batching): the result does not depend on ``block_size`` (up to rounding).

    The mask is chosen window by window (``mask_block`` columns, ``None`` = the whole
    row at once; an N:M group when ``pattern`` is N:M) with the OBS saliency of the
    current weights, :math:`w_{ij}^2/U_{jj}^2`, as in the SparseGPT reference (adaptive
    mask selection); counts are exact per row or per layer over the whole layer.

    Parameters
    ----------
    weights : array of shape (r, d)
    hessian : array of shape (d, d)
        :math:`X^\top X/N` of the calibration inputs (undamped).
    sparsity : float in [0, 1], optional
        Fraction removed (unstructured).
    pattern : str
        ``"unstructured"`` or ``"n:m"``.
    scope : {"row", "layer"}
    damp : float
        Damping, a fraction of the mean diagonal of the hessian.
    block_size : int
        Columns per lazy block.
    mask_block : int or None
        Columns per mask window (unstructured).
    mask : array of bool, shape (r, d), optional
        A fixed keep-mask (then ``sparsity``/``pattern``/``scope`` are ignored): only the
        OBS reconstruction is done.

    Returns
    -------
    LayerPruneResult
    """
    W = _own_copy(weights)
    r, d = W.shape
    U = _cholesky_inverse_upper(damped_hessian(check_array(hessian, "hessian", ndim=2, shape=(d, d)), damp))
    block_size = check_int(block_size, "block_size")
    fixed = mask is not None
    if fixed:
        keep = np.asarray(mask, dtype=bool)
        if keep.shape != W.shape:
            raise ValueError(f"mask must have the shape of weights {W.shape}, got {keep.shape}")
        nm = None
        window = d
    else:
        sparsity, nm = _check_request(d, sparsity, pattern, scope)
        window = d if mask_block is None else check_int(mask_block, "mask_block")
        window = nm[1] if nm is not None else window
        keep = np.ones((r, d), dtype=bool)
    diag_sq = np.diag(U) ** 2
    for i1 in range(0, d, block_size):
        i2 = min(i1 + block_size, d)
        W1, U1 = W[:, i1:i2].copy(), U[i1:i2, i1:i2]
        err = np.zeros((r, i2 - i1))
        for j in range(i2 - i1):
            col = i1 + j
            if not fixed and col % window == 0:
                end = min(col + window, d)
                current = _current_columns(W, W1, err, U, i1, i2, j, end)
                rq, lq = _window_quotas(d, col, end, sparsity, nm, scope, r)
                keep[:, col:end] = ~_window_pruned(current**2 / diag_sq[col:end], rq, lq, nm)
            w = W1[:, j]
            e = np.where(keep[:, col], 0.0, w) / U1[j, j]
            W1[:, j:] -= np.outer(e, U1[j, j:])
            W1[:, j] = np.where(keep[:, col], W1[:, j], 0.0)
            err[:, j] = e
        W[:, i1:i2] = W1
        if i2 < d:
            W[:, i2:] -= err @ U[i1:i2, i2:]
    return LayerPruneResult(W, keep)


def _current_columns(W, W1, err, U, i1, i2, j, end):
    """The up-to-date weights of columns ``i1 + j .. end``: inside the block from ``W1``, after it
    the stale ``W`` minus the block's pending updates."""
    inside = W1[:, j : min(end, i2) - i1]
    if end <= i2:
        return inside
    after = W[:, i2:end] - err[:, :j] @ U[i1 : i1 + j, i2:end]
    return np.hstack([inside, after])


def sequential_obs_reference(weights, hessian, mask, *, damp: float = 0.01) -> np.ndarray:
    r"""SparseGPT's reconstruction for a fixed mask, the slow and obvious way (the test reference).

    For each row and each column :math:`j` in order, with :math:`F=\{j,\dots,d-1\}`: if
    weight :math:`j` is pruned, :math:`w_F \leftarrow w_F-\frac{w_j}{[(H_F)^{-1}]_{00}}(H_F)^{-1}e_0`,
    computing :math:`(H_F)^{-1}` by a fresh inverse every time (:math:`O(r\,d^4)`).
    """
    W = check_array(weights, "weights", ndim=2).copy()
    r, d = W.shape
    H = damped_hessian(check_array(hessian, "hessian", ndim=2, shape=(d, d)), damp)
    keep = np.asarray(mask, dtype=bool)
    if keep.shape != W.shape:
        raise ValueError(f"mask must have the shape of weights {W.shape}, got {keep.shape}")
    for j in range(d):
        inv = np.linalg.inv(H[j:, j:])
        for i in np.flatnonzero(~keep[:, j]):
            W[i, j:] -= W[i, j] / inv[0, 0] * inv[:, 0]
            W[i, j] = 0.0
    return W


# -- exact greedy OBS --------------------------------------------------------------------------
def greedy_obs(weights, hessian, *, sparsity=None, pattern="unstructured", scope="row", damp=0.01):
    r"""Optimal Brain Surgeon, greedily, weight by weight (the exact reference for small layers).

    Each step removes the weight of least OBS saliency :math:`w_{ij}^2/[H_i^{-1}]_{jj}`
    (over a row, or over the layer with ``scope="layer"``; with an N:M pattern, only in
    groups that still have more than ``n`` weights), moves the rest of its row by the OBS
    update and downdates that row's inverse Hessian.  The final weights are the least-squares
    weights of the final mask (:func:`least_squares_weights`).  Memory :math:`O(r d^2)`
    for ``scope="layer"``, :math:`O(d^2)` otherwise; time :math:`O(r\,d^3)`.

    Parameters
    ----------
    weights : array of shape (r, d)
    hessian : array of shape (d, d)
        Undamped :math:`X^\top X/N`.
    sparsity : float in [0, 1], optional
        Fraction removed (unstructured).
    pattern : str
        ``"unstructured"`` or ``"n:m"``.
    scope : {"row", "layer"}
    damp : float
        Damping, a fraction of the mean diagonal.

    Returns
    -------
    LayerPruneResult
    """
    W = check_array(weights, "weights", ndim=2).copy()
    r, d = W.shape
    sparsity, nm = _check_request(d, sparsity, pattern, scope)
    U = _cholesky_inverse_upper(damped_hessian(check_array(hessian, "hessian", ndim=2, shape=(d, d)), damp))
    Hinv0 = U.T @ U
    if scope == "layer" and nm is None:
        rows = [np.arange(r)]
        budgets = [_pruned_count(sparsity, r * d)]
    else:
        rows = [np.array([i]) for i in range(r)]
        budgets = [(d // nm[1]) * (nm[1] - nm[0]) if nm else _pruned_count(sparsity, d)] * r
    keep = np.ones((r, d), dtype=bool)
    for idx, budget in zip(rows, budgets, strict=True):
        Hinv = np.repeat(Hinv0[None], idx.size, axis=0)
        w, alive = W[idx], keep[idx]
        for _ in range(budget):
            diag = np.diagonal(Hinv, axis1=1, axis2=2)
            removable = alive if nm is None else alive & _groups_over(alive, nm)
            sal = np.where(removable, w**2 / np.where(removable, diag, 1.0), np.inf)
            a, q = np.unravel_index(int(np.argmin(sal)), sal.shape)
            col = Hinv[a, :, q].copy()
            w[a] -= (w[a, q] / col[q]) * col
            w[a, q] = 0.0
            alive[a, q] = False
            Hinv[a] -= np.outer(col, col) / col[q]
        W[idx], keep[idx] = np.where(alive, w, 0.0), alive
    return LayerPruneResult(W, keep)


def _groups_over(alive, nm):
    n, m = nm
    counts = alive.reshape(alive.shape[0], -1, m).sum(axis=2)
    return np.repeat(counts > n, m, axis=1)


# -- one entry point ---------------------------------------------------------------------------
def prune_layer(
    weights,
    hessian,
    strategy: str,
    *,
    sparsity=None,
    pattern="unstructured",
    scope="row",
    damp: float = 0.01,
    block_size: int = 128,
    mask_block: int | None = 128,
) -> LayerPruneResult:
    r"""Prune one layer by ``strategy`` (:data:`STRATEGIES`).

    ``"magnitude"`` (score :math:`|w_{ij}|`), ``"wanda"`` (:math:`|w_{ij}|\sqrt{H_{jj}}`) and
    ``"obd"`` (:math:`w_{ij}^2H_{jj}`) only zero the pruned weights; ``"sparsegpt"``
    (:func:`sparsegpt`) and ``"obs"`` (:func:`greedy_obs`) also move the kept ones.

    Parameters
    ----------
    weights : array of shape (r, d)
    hessian : array of shape (d, d)
        :math:`X^\top X/N` of the layer's calibration inputs, undamped.
    strategy : str
    sparsity : float in [0, 1], optional
        Fraction removed (unstructured).
    pattern : str
        ``"unstructured"`` or ``"n:m"``.
    scope : {"row", "layer"}
        Exact count per row (the default, as Wanda) or per layer.
    damp : float
        Damping of the hessian (``"sparsegpt"``, ``"obs"``), a fraction of its mean diagonal.
    block_size, mask_block : int
        Lazy block and mask window of ``"sparsegpt"``.

    Returns
    -------
    LayerPruneResult
    """
    if strategy not in STRATEGIES:
        raise ValueError(f"strategy must be one of {', '.join(STRATEGIES)}, got {strategy!r}")
    W = check_array(weights, "weights", ndim=2)
    d = W.shape[1]
    H = check_array(hessian, "hessian", ndim=2, shape=(d, d))
    damp = check_nonnegative(damp, "damp")  # checked for every strategy, also those that do not use it
    block_size = check_int(block_size, "block_size")
    mask_block = None if mask_block is None else check_int(mask_block, "mask_block")
    if strategy == "sparsegpt":
        return sparsegpt(
            W,
            H,
            sparsity=sparsity,
            pattern=pattern,
            scope=scope,
            damp=damp,
            block_size=block_size,
            mask_block=mask_block,
        )
    if strategy == "obs":
        return greedy_obs(W, H, sparsity=sparsity, pattern=pattern, scope=scope, damp=damp)
    diag = np.clip(np.diag(H), 0.0, None)
    scores = {"magnitude": np.abs(W), "wanda": np.abs(W) * np.sqrt(diag), "obd": W**2 * diag}[strategy]
    keep = select_mask(scores, sparsity=sparsity, pattern=pattern, scope=scope)
    return LayerPruneResult(np.where(keep, W, 0.0), keep)
