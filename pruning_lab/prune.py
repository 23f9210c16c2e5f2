r"""Pruning operators on weight arrays.

Each operator keeps exactly ``s`` weights (never ``s+1``) and zeroes the
rest.  Scores are ranked with a stable sort, so among tied scores the weight
with the lower index is kept: the result is deterministic.

=====================  ==============================================================
operator               saliency of weight :math:`i` (keep the ``s`` largest)
=====================  ==============================================================
magnitude              :math:`\lvert w_i\rvert`
Hessian (OBD)          :math:`\hat\Sigma_{ii}\, w_i^2` (diagonal of the training Hessian)
oracle                 :math:`\Sigma_{ii}\,\beta_i^2` (population saliency, eq. 4 of
                       :cite:`chang2021provable`)
random                 a uniformly random set of ``s`` indices
Optimal Brain Surgeon  greedy: remove :math:`q=\arg\min_q w_q^2/(2[H^{-1}]_{qq})` and
                       update the remaining weights by :math:`-\frac{w_q}{[H^{-1}]_{qq}}H^{-1}e_q`
=====================  ==============================================================

Magnitude, Hessian, oracle, random and threshold pruning accept a stack of
weight vectors of shape ``(k, p)`` and prune each row.  Used in the chapter
:doc:`/book/pruning_strategies` and by :mod:`pruning_lab.pipeline`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.linalg as sla

from .validation import as_rng, check_array, check_nonnegative, check_sparsity

__all__ = [
    "PruneResult",
    "hessian_prune",
    "magnitude_prune",
    "obs_path",
    "obs_prune",
    "oracle_prune",
    "random_prune",
    "threshold_prune",
    "top_s_mask",
]


@dataclass(frozen=True)
class PruneResult:
    """Outcome of a pruning operator.

    Attributes
    ----------
    weights : ndarray
        The pruned weights (zero outside the mask).
    mask : ndarray of bool
        True for the kept weights; same shape as ``weights``.
    """

    weights: np.ndarray
    mask: np.ndarray

    @property
    def support(self) -> np.ndarray:
        """Indices of the kept weights (1-D results only)."""
        if self.mask.ndim != 1:
            raise ValueError("support is defined for a single weight vector; use mask for a stack")
        return np.flatnonzero(self.mask)

    @property
    def s(self):
        """Number of kept weights (an int, or one per row for a stack)."""
        counts = self.mask.sum(axis=-1)
        return int(counts) if self.mask.ndim == 1 else counts


def _weights(w) -> np.ndarray:
    w = check_array(w, "w (weights)", ndim=(1, 2))
    if w.shape[-1] == 0:
        raise ValueError("w (weights) must have at least one entry")
    return w


def top_s_mask(scores, s: int) -> np.ndarray:
    """Boolean mask of the ``s`` largest scores along the last axis (exactly ``s`` True).

    Ties are broken by index: among equal scores the lower index is kept.
    """
    scores = check_array(scores, "scores", ndim=(1, 2))
    p = scores.shape[-1]
    s = check_sparsity(s, p)
    order = np.argsort(-scores, axis=-1, kind="stable")[..., :s]
    mask = np.zeros(scores.shape, dtype=bool)
    np.put_along_axis(mask, order, True, axis=-1)
    return mask


def _keep(w: np.ndarray, mask: np.ndarray) -> PruneResult:
    return PruneResult(np.where(mask, w, 0.0), mask)


def magnitude_prune(w, s: int) -> PruneResult:
    r"""Magnitude pruning: keep the ``s`` weights of largest :math:`\lvert w_i\rvert`."""
    w = _weights(w)
    return _keep(w, top_s_mask(np.abs(w), s))


def hessian_prune(w, s: int, hessian_diag) -> PruneResult:
    r"""Hessian-based pruning (Optimal Brain Damage with a diagonal Hessian).

    Keeps the ``s`` weights of largest saliency :math:`H_{ii} w_i^2`, where
    ``hessian_diag`` is the diagonal of the training-loss Hessian; for least
    squares :math:`H=\hat\Sigma=X^\top X/n`
    (:func:`pruning_lab.lsq.empirical_hessian_diag`).  OBD's factor 1/2 does
    not change the ranking.
    """
    w = _weights(w)
    h = check_array(hessian_diag, "hessian_diag", ndim=1, shape=(w.shape[-1],))
    if np.any(h < 0):
        raise ValueError("hessian_diag must be >= 0 (it is a diagonal of a PSD Hessian)")
    return _keep(w, top_s_mask(h * w**2, s))


def oracle_prune(w, s: int, problem=None, *, saliency=None) -> PruneResult:
    r"""Oracle pruning: keep ``w`` on the top-``s`` *population* saliencies :math:`\Sigma_{ii}\beta_i^2` (eq. 4).

    Pass either the ``problem`` (a :class:`~pruning_lab.problems.LinearGaussianProblem`)
    or a precomputed ``saliency`` array.  The kept set does not depend on ``w``:
    it is the set a practitioner who knew the truth would keep.
    """
    w = _weights(w)
    if (problem is None) == (saliency is None):
        raise ValueError("give exactly one of problem or saliency to oracle_prune")
    if saliency is None:
        if not callable(getattr(problem, "oracle_saliency", None)):
            raise TypeError(
                f"problem must be a pruning_lab.problems.LinearGaussianProblem (or give saliency), "
                f"got {type(problem).__name__}"
            )
        saliency = problem.oracle_saliency()
    saliency = check_array(saliency, "saliency", ndim=1, shape=(w.shape[-1],))
    mask = np.broadcast_to(top_s_mask(saliency, s), w.shape).copy()
    return _keep(w, mask)


def random_prune(w, s: int, rng=None) -> PruneResult:
    """Random pruning: keep a uniformly random set of exactly ``s`` weights (per row), drawn from ``rng``."""
    w = _weights(w)
    s = check_sparsity(s, w.shape[-1])
    rng = as_rng(rng)
    return _keep(w, top_s_mask(rng.random(w.shape), s))


def threshold_prune(w, threshold: float, scores=None) -> PruneResult:
    r"""Threshold pruning: keep weight :math:`i` iff its score exceeds ``threshold`` (strictly).

    The score defaults to :math:`\lvert w_i\rvert`; the number of kept weights
    is whatever the threshold gives (this is the rule (14) of the DC analysis).
    """
    w = _weights(w)
    threshold = check_nonnegative(threshold, "threshold")
    scores = np.abs(w) if scores is None else check_array(scores, "scores", shape=w.shape)
    return _keep(w, scores > threshold)


# Smallest reciprocal condition number of the (damped) Hessian that OBS inverts.
_MIN_HESSIAN_RCOND = 1e-10


def _inverse_hessian(hessian, p: int, damping: float) -> np.ndarray:
    H = check_array(hessian, "hessian", ndim=2, shape=(p, p))
    damping = check_nonnegative(damping, "damping")
    if np.max(np.abs(H - H.T)) > 1e-8 * max(np.max(np.abs(H)), 1e-300):
        raise ValueError("hessian must be symmetric")
    H = H + damping * np.mean(np.diag(H)) * np.eye(p)
    message = (
        "hessian is singular or too ill-conditioned to invert (reciprocal condition number {:.1e}); "
        "for an over-parameterized model (p > n) pass damping > 0 (relative to the mean diagonal), "
        "e.g. damping=1e-3"
    )
    try:
        U = sla.cholesky(H, lower=False, check_finite=False)
    except np.linalg.LinAlgError:
        raise ValueError(message.format(0.0)) from None
    rcond, info = sla.lapack.dpocon(U, float(np.linalg.norm(H, 1)))
    if info != 0 or rcond < _MIN_HESSIAN_RCOND:
        raise ValueError(message.format(rcond))
    Uinv = sla.solve_triangular(U, np.eye(p), lower=False, check_finite=False)
    return Uinv @ Uinv.T


def obs_path(w, hessian, sparsities, damping: float = 0.0) -> list[PruneResult]:
    r"""Optimal Brain Surgeon, greedily, recording the weights at each sparsity in ``sparsities``.

    At each step the weight with the smallest saliency
    :math:`L_q=w_q^2/(2[H^{-1}]_{qq})` is removed and the others move by the
    OBS update :math:`\delta w=-\frac{w_q}{[H^{-1}]_{qq}}H^{-1}e_q`; the inverse
    Hessian of the remaining weights is updated in place by the rank-one
    formula :math:`H^{-1}\leftarrow H^{-1}-H^{-1}e_qe_q^\top H^{-1}/[H^{-1}]_{qq}`.
    For a quadratic loss minimised at ``w`` each step is exact: the new
    weights minimise the loss with the removed weights held at zero, i.e.
    OBS includes the retraining.  Cost :math:`O(p^2)` per removed weight.

    Parameters
    ----------
    w : array of shape (p,)
        Weights at a minimum of the loss.
    hessian : array of shape (p, p)
        Hessian of the loss at ``w`` (for least squares, :math:`X^\top X/n`).
    sparsities : iterable of int
        The numbers of weights to keep at which to record the result.
    damping : float
        Added to the diagonal as ``damping * mean(diag(hessian))``; needed
        when the Hessian is singular (p > n).

    Returns
    -------
    list of PruneResult, in the order of ``sparsities``.
    """
    w = check_array(w, "w (weights)", ndim=1)
    p = w.size
    wanted = [check_sparsity(s, p) for s in np.atleast_1d(sparsities).tolist()]
    if not wanted:
        raise ValueError("sparsities must contain at least one number of weights to keep")
    Hinv = _inverse_hessian(hessian, p, damping)
    w = w.copy()
    alive = np.ones(p, dtype=bool)
    results: dict[int, PruneResult] = {}
    for kept in range(p, min(wanted) - 1, -1):
        if kept in wanted:
            results[kept] = PruneResult(w.copy(), alive.copy())
        if kept == min(wanted):
            break
        d = np.diag(Hinv)
        saliency = np.where(alive, w**2 / (2.0 * np.where(alive, d, 1.0)), np.inf)
        q = int(np.argmin(saliency))  # argmin returns the lowest index among ties
        col = Hinv[:, q].copy()
        w -= (w[q] / col[q]) * col
        w[q] = 0.0
        alive[q] = False
        Hinv -= np.outer(col, col) / col[q]
        w[~alive] = 0.0
    return [results[s] for s in wanted]


def obs_prune(w, hessian, s: int, damping: float = 0.0) -> PruneResult:
    """Optimal Brain Surgeon down to ``s`` weights; see :func:`obs_path` for the math."""
    return obs_path(w, hessian, [s], damping)[0]
