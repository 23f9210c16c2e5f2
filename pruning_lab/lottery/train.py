r"""Training the pruned network: masked heavy-ball gradient descent (Algorithm 1) and what it is measured by.

Algorithm 1 of :cite:`zhang2021lottery` ("AGD") is heavy-ball momentum with a
masked gradient:

.. math::
    W^{(t+1)}=W^{(t)}-\eta\,M\odot\nabla\hat f_{D_t}(W^{(t)})+\beta\,(W^{(t)}-W^{(t-1)}),

with :math:`\beta=0` plain gradient descent.  The paper's proof uses a fresh
batch :math:`D_t` at each step (sample splitting); its experiments reuse all
data at every step.  Both modes are here.  Also here: the initialization at a
given relative distance from the truth, the permutation-aligned relative
error, the empirical rate :math:`\hat\nu`, mask accuracy and one-shot /
iterative magnitude masks.  The model is in :mod:`pruning_lab.lottery`.
"""

from __future__ import annotations

import numbers
from dataclasses import dataclass

import numpy as np
from scipy.optimize import linear_sum_assignment

from ..validation import as_rng, check_array, check_nonnegative
from .model import _check_data, _check_int, _check_weights, check_mask, top_curvature

__all__ = [
    "PAPER_BETA",
    "PAPER_ETA",
    "AGDResult",
    "NeuronwiseIMP",
    "RateFit",
    "agd_pruned",
    "agd_pruned_batch",
    "empirical_rate",
    "heavy_ball_rate",
    "heavy_ball_tuning",
    "init_at_distance",
    "neuronwise_imp",
    "magnitude_mask",
    "mask_accuracy",
    "relative_error",
]

#: Step size and momentum of the paper's experiments (Fig. 3, K = 10), for eq. (2) as printed.
PAPER_ETA, PAPER_BETA = 0.5, 0.2


@dataclass(frozen=True)
class AGDResult:
    r"""Outcome of Algorithm 1 on one problem.

    ``weights``: final :math:`W` (``(d, K)``, zero outside the mask);
    ``iterations``: steps taken; ``converged``: whether the stopping rule
    :math:`\lVert W^{(t+1)}-W^{(t)}\rVert_F/\lVert W^{(t)}\rVert_F<` ``tol`` fired;
    ``errors``: :math:`\lVert W^{(t)}-W^*P\rVert_F/\lVert W^*\rVert_F` for
    :math:`t=0..` ``iterations`` if a reference was given (else ``None``), with
    :math:`P` the permutation aligning :math:`W^{(0)}` to :math:`W^*`;
    ``eta``, ``beta``: the step size and momentum used.
    """

    weights: np.ndarray
    iterations: int
    converged: bool
    errors: np.ndarray | None
    eta: float
    beta: float


def heavy_ball_tuning(mu: float, L: float) -> tuple[float, float]:
    r"""Classical heavy-ball tuning for curvature in :math:`[\mu, L]` (ours; the paper gives no :math:`\beta^*`).

    .. math:: \eta=\frac{4}{(\sqrt L+\sqrt\mu)^2},\qquad
              \beta=\Big(\frac{\sqrt L-\sqrt\mu}{\sqrt L+\sqrt\mu}\Big)^2,

    which gives the local rate :math:`(\sqrt L-\sqrt\mu)/(\sqrt L+\sqrt\mu)` on a quadratic.
    """
    mu, L = check_nonnegative(mu, "mu"), check_nonnegative(L, "L")
    if not 0 < mu <= L:
        raise ValueError(f"heavy-ball tuning needs 0 < mu <= L, got mu = {mu}, L = {L}")
    sl, sm = np.sqrt(L), np.sqrt(mu)
    return float(4 / (sl + sm) ** 2), float(((sl - sm) / (sl + sm)) ** 2)


def heavy_ball_rate(mu: float, L: float, eta: float, beta: float) -> float:
    r"""Asymptotic rate of heavy ball (step ``eta``, momentum ``beta``) on a quadratic, curvature in :math:`[\mu, L]`.

    The spectral radius :math:`\max_{\lambda\in\{\mu,L\}}\max\lvert z\rvert` over the roots of
    :math:`z^2-(1+\beta-\eta\lambda)z+\beta=0` (the extremes of the interval give the
    maximum).  With :math:`\beta=0`, :math:`\eta=1/L` it is :math:`1-\mu/L`; for small
    :math:`\mu` it is about :math:`1-\eta\mu/(1-\beta)`, so momentum speeds the slow
    direction up by :math:`1/(1-\beta)`.  Near the truth the risk is such a
    quadratic with the masked Hessian's extreme eigenvalues (Theorem 1), which
    is how the chapter predicts the measured :math:`\hat\nu`.
    """
    mu, L = check_nonnegative(mu, "mu"), check_nonnegative(L, "L")
    eta, beta = check_nonnegative(eta, "eta"), check_nonnegative(beta, "beta")
    if mu > L or beta >= 1:
        raise ValueError(f"need mu <= L and 0 <= beta < 1, got mu = {mu}, L = {L}, beta = {beta}")
    return float(max(np.max(np.abs(np.roots([1.0, -(1 + beta - eta * lam), beta]))) for lam in (mu, L)))


def relative_error(W, W_star, align: bool = True) -> float:
    r"""Relative error :math:`\min_P\lVert W-W^*P\rVert_F/\lVert W^*\rVert_F` over neuron permutations :math:`P`.

    The network is invariant to permuting neurons (eq. 1), so columns are
    matched by the Hungarian method on the squared column distances
    (``align=False`` uses the identity).
    """
    W_star = _check_weights(W_star, "W_star")
    W = check_array(W, "W", shape=W_star.shape)
    scale = np.linalg.norm(W_star)
    if scale == 0:
        raise ValueError("W_star must not be identically zero (the error is relative to its norm)")
    return float(np.linalg.norm(W - _aligned(W, W_star) if align else W - W_star) / scale)


def _aligned(W: np.ndarray, W_star: np.ndarray) -> np.ndarray:
    """W_star with its columns permuted to match the columns of W (Hungarian method)."""
    cost = ((W[:, :, None] - W_star[:, None, :]) ** 2).sum(axis=0)
    rows, cols = linear_sum_assignment(cost)
    return W_star[:, cols[np.argsort(rows)]]


def _check_eta(eta):
    if isinstance(eta, str):
        if eta not in ("auto", "theory"):
            raise ValueError(f"eta must be a positive number, 'auto' (1/L_hat) or 'theory' (K/14), got {eta!r}")
        return eta
    eta = check_nonnegative(eta, "eta (step size)")
    if eta == 0:
        raise ValueError("eta (step size) must be > 0")
    return eta


def agd_pruned(
    X,
    y,
    mask,
    W0,
    *,
    eta="auto",
    beta: float = PAPER_BETA,
    max_iter: int = 3000,
    tol: float = 1e-8,
    batches: int | None = None,
    W_ref=None,
) -> AGDResult:
    r"""Algorithm 1: masked heavy-ball gradient descent on the pruned network, from ``W0``.

    The loss is the empirical risk (eq. 2) :math:`\hat f_D(W)=\frac1{2N}\sum_n(g(x_n;W)-y_n)^2`, with the
    gradient of :func:`~pruning_lab.lottery.model.risk_grad`.  Used in the chapter
    :doc:`/book/lottery_tickets`.

    Parameters
    ----------
    X, y : ndarray of shape (N, d) and (N,)
        Training data.
    mask : array_like of shape (d, K)
        Learner mask :math:`M` of 0/1 (or booleans), every neuron keeping at least one input;
        ``W0`` must satisfy :math:`M\odot W^{(0)}=W^{(0)}`, and then every iterate does.
    W0 : ndarray of shape (d, K)
        Start :math:`W^{(0)}` (also :math:`W^{(-1)}`: the first step has no momentum); a nonzero entry
        outside ``mask`` raises ``ValueError``.
    eta : float or str
        Step size: a number :math:`\eta>0`, ``"auto"`` or ``"theory"``.  ``"auto"`` (the default) is
        :math:`1/\hat L`, the inverse largest eigenvalue of :func:`~pruning_lab.lottery.model.masked_hessian` at
        :math:`W^{(0)}`: with eq. (2) as printed the curvature is of order
        :math:`10^{-1}`, so the paper's :math:`\eta=0.5` (``PAPER_ETA``) is
        an order of magnitude too small to reproduce its rates (our measurement,
        shown in the chapter :doc:`/book/lottery_tickets`).
        ``"theory"`` is Theorem 2's :math:`\eta=K/14`.
    beta : float
        Momentum :math:`\beta\in[0,1)`; 0 is plain gradient descent, 0.2 the paper's choice.
    max_iter : int
        Maximum number of steps, ``>= 1`` (the paper: :math:`10^4`); ignored when ``batches`` is given.
    tol : float
        Full-batch mode stops when :math:`\lVert W^{(t+1)}-W^{(t)}\rVert_F/\lVert W^{(t)}\rVert_F<` ``tol``
        (the paper: :math:`10^{-8}`; 0: never stop early).
    batches : int or None
        ``None``: every step uses all of :math:`D` (the paper's experiments).
        An int :math:`T\in1..N`: the theoretical sample-split version, :math:`D` cut
        into :math:`T` disjoint batches, one step per batch, no early stop.
    W_ref : ndarray of shape (d, K), optional
        Ground truth :math:`W^*` for the error history (aligned to :math:`W^{(0)}` by a neuron
        permutation once, before the first step).

    Returns
    -------
    AGDResult
        A run whose iterates overflow (step size far too large) stops there
        with ``converged=False`` and huge or non-finite weights.
    """
    X, y = _check_data(X, y)
    W0 = _check_weights(W0, "W0", d=X.shape[1])
    if W_ref is not None:
        W_ref = check_array(W_ref, "W_ref", shape=W0.shape)[None]
    return agd_pruned_batch(
        X[None],
        y[None],
        np.asarray(mask)[None],
        W0[None],
        eta=eta,
        beta=beta,
        max_iter=max_iter,
        tol=tol,
        batches=batches,
        W_ref=W_ref,
    )[0]


def agd_pruned_batch(
    X,
    y,
    mask,
    W0,
    *,
    eta="auto",
    beta: float = PAPER_BETA,
    max_iter: int = 3000,
    tol: float = 1e-8,
    batches: int | None = None,
    W_ref=None,
) -> list[AGDResult]:
    r""":func:`agd_pruned` on a stack of independent problems (same ``N``, ``d``, ``K``), run in lockstep.

    Arrays carry a leading trial axis: ``X`` ``(B, N, d)``, ``y`` ``(B, N)``,
    ``mask`` and ``W0`` (and ``W_ref``) ``(B, d, K)``; ``eta`` may also be a
    length-``B`` array, and so may ``beta``.  Each problem is computed exactly as alone; stacking
    only shares the Python overhead.  Rows of :math:`W` outside the union of
    a problem's supports stay zero, so they are dropped from the products.
    Used by the sweeps of :mod:`pruning_lab.lottery.experiments` (chapter :doc:`/book/lottery_tickets`).

    Parameters
    ----------
    X : ndarray of shape (B, N, d)
        Inputs of the ``B`` problems.
    y : ndarray of shape (B, N)
        Labels.
    mask : array_like of shape (B, d, K)
        One learner mask :math:`M` of 0/1 (or booleans) per problem; every neuron keeps at least one
        input.
    W0 : ndarray of shape (B, d, K)
        Starts :math:`W^{(0)}`, zero outside their masks (else ``ValueError``).
    eta : float or str or ndarray of shape (B,)
        Step size :math:`\eta>0`, shared or one per problem; ``"auto"`` (:math:`1/\hat L` of each problem at
        its :math:`W^{(0)}`) or ``"theory"`` (:math:`K/14`), as in :func:`agd_pruned`.
    beta : float or ndarray of shape (B,)
        Momentum :math:`\beta\in[0,1)`, shared or one per problem.
    max_iter : int
        Maximum number of steps, ``>= 1``; ignored when ``batches`` is given.
    tol : float
        Full-batch stopping tolerance on the relative step, per problem (0: never stop early).
    batches : int or None
        ``None``: full-batch steps.  An int :math:`T\in1..N`: :math:`T` steps, each on the next of
        :math:`T` disjoint batches of the samples, no early stop.
    W_ref : ndarray of shape (B, d, K), optional
        Ground truths :math:`W^*` for the error histories.

    Returns
    -------
    list of AGDResult
        One :class:`AGDResult` per problem, in order.
    """
    X = check_array(X, "X", ndim=3)
    B, N, d = X.shape
    y = check_array(y, "y", shape=(B, N))
    W0 = check_array(W0, "W0", ndim=3, shape=(B, d, None))
    K = W0.shape[2]
    M = check_mask(mask, (d, K))
    if M.shape[0] != B:
        raise ValueError(f"mask must hold one (d, K) mask per problem ({B}), got {M.shape[0]}")
    if np.any(W0[~M] != 0):
        raise ValueError("W0 has nonzero entries outside the mask; start from M * W0")
    betas = _momenta(beta, B)
    max_iter = _check_int(max_iter, "max_iter")
    tol = check_nonnegative(tol, "tol")
    if batches is not None:
        max_iter = _check_int(batches, "batches (number of disjoint sample batches)", 1, N)
    if W_ref is not None:
        W_ref = check_array(W_ref, "W_ref", shape=(B, d, K))
        W_ref = np.stack([_aligned(W0[b], W_ref[b]) for b in range(B)])
        if np.any(np.linalg.norm(W_ref, axis=(1, 2)) == 0):
            raise ValueError("W_ref must not be identically zero (errors are relative to its norm)")
    etas = _step_sizes(eta, X, M, W0)
    rows = _support_rows(M)
    splits = np.array_split(np.arange(N), max_iter) if batches is not None else None
    W_final, iterations, converged, history = _heavy_ball_lockstep(
        X, y, M, W0, rows, etas, betas, max_iter, tol, splits, W_ref
    )
    out = []
    for b in range(B):
        full = np.zeros((d, K))
        full[rows[b]] = W_final[b]
        errs = history[b, : iterations[b] + 1].copy() if W_ref is not None else None
        out.append(AGDResult(full, int(iterations[b]), bool(converged[b]), errs, float(etas[b]), float(betas[b])))
    return out


def _momenta(beta, B: int) -> np.ndarray:
    r"""One momentum :math:`\beta\in[0,1)` per problem, from a number or a length-``B`` array."""
    if isinstance(beta, numbers.Real):
        betas = np.full(B, check_nonnegative(beta, "beta (momentum)"))
    else:
        betas = check_array(beta, "beta (momentum)", shape=(B,))
    if np.any(betas < 0) or np.any(betas >= 1):
        raise ValueError(f"beta (momentum) must lie in [0, 1), got {beta}")
    return betas


def _step_sizes(eta, X: np.ndarray, M: np.ndarray, W0: np.ndarray) -> np.ndarray:
    r"""One step size per problem: a length-``B`` array, a number, ``"auto"`` (:math:`1/\hat L`) or ``"theory"``
    (:math:`K/14`)."""
    B, K = W0.shape[0], W0.shape[2]
    if isinstance(eta, np.ndarray) or (not isinstance(eta, (str, numbers.Real))):
        etas = check_array(eta, "eta", shape=(B,))
        if np.any(etas <= 0):
            raise ValueError("eta (step size) must be > 0")
        return etas
    eta = _check_eta(eta)
    if eta == "auto":
        curvatures = np.array([top_curvature(W0[b], X[b], M[b]) for b in range(B)])
        if not np.all(curvatures > 0):
            raise ValueError(
                "W0 gives the loss zero curvature (e.g. an all-zero start, where every ReLU is off), so "
                "eta='auto' (1/L_hat at W0) is undefined; start from a nonzero W0 or give a number eta > 0"
            )
        return 1.0 / curvatures
    return np.full(B, K / 14.0 if eta == "theory" else eta)


def _support_rows(M: np.ndarray) -> np.ndarray:
    """Per problem, the input rows of the union of its neurons' supports, padded to a common count."""
    d = M.shape[1]
    unions = [np.flatnonzero(M[b].any(axis=1)) for b in range(M.shape[0])]
    u = max(len(r) for r in unions)
    return np.stack([np.concatenate([r, np.setdiff1d(np.arange(d), r)[: u - len(r)]]) for r in unions])


def _heavy_ball_lockstep(X, y, M, W0, rows, etas, betas, max_iter, tol, splits, W_ref):
    r"""The iterations of Algorithm 1 for all problems at once, restricted to their support ``rows``.

    A problem leaves the active set when its relative step falls below ``tol`` (full-batch mode) or
    its iterates stop being finite.  Returns the final restricted weights, the iteration counts,
    the convergence flags and, with ``W_ref``, the error histories (NaN after a problem stopped).
    """
    B, K = W0.shape[0], W0.shape[2]
    take = np.arange(B)[:, None]
    Xr = np.stack([X[b][:, rows[b]] for b in range(B)])
    Mr = M[take, rows].astype(float)
    W = W0[take, rows]
    history = None
    if W_ref is not None:
        ref_norm = np.linalg.norm(W_ref, axis=(1, 2))
        Rr = W_ref[take, rows]
        outside = np.maximum(ref_norm**2 - np.sum(Rr**2, axis=(1, 2)), 0.0)
        history = np.full((B, max_iter + 1), np.nan)
        history[:, 0] = np.sqrt(np.sum((W - Rr) ** 2, axis=(1, 2)) + outside) / ref_norm

    W_final = W.copy()
    iterations = np.full(B, max_iter)
    converged = np.zeros(B, dtype=bool)
    act = np.arange(B)
    Xa, XaT, ya, Ma = Xr, np.ascontiguousarray(Xr.transpose(0, 2, 1)), y, Mr
    ea, ba = etas[:, None, None], betas[:, None, None]
    Wprev = W.copy()
    with np.errstate(over="ignore", invalid="ignore"):  # a diverging run is stopped below, not warned about
        for t in range(max_iter):
            if splits is None:
                Xt, XtT, yt = Xa, XaT, ya
            else:
                idx = splits[t]
                Xt, XtT, yt = Xa[:, idx], XaT[:, :, idx], ya[:, idx]
            Z = Xt @ W
            active = Z > 0
            e = np.maximum(Z, 0.0).mean(axis=2) - yt
            G = (XtT @ (e[:, :, None] * active)) * (Ma / (yt.shape[1] * K))
            step = ba * (W - Wprev) - ea * G
            Wprev, W = W, W + step
            if history is not None:
                R = Rr[act]
                history[act, t + 1] = np.sqrt(np.sum((W - R) ** 2, axis=(1, 2)) + outside[act]) / ref_norm[act]
            rel = np.linalg.norm(step, axis=(1, 2)) / np.maximum(np.linalg.norm(Wprev, axis=(1, 2)), 1e-300)
            diverged = ~np.isfinite(rel)
            done = diverged | ((rel < tol) if splits is None else False)
            if np.any(done):
                finished = act[done]
                W_final[finished] = W[done]
                iterations[finished] = t + 1
                converged[finished] = ~diverged[done]
                keep = ~done
                act = act[keep]
                Xa, XaT, ya, Ma, ea, ba = Xa[keep], XaT[keep], ya[keep], Ma[keep], ea[keep], ba[keep]
                W, Wprev = W[keep], Wprev[keep]
                if act.size == 0:
                    break
    W_final[act] = W
    return W_final, iterations, converged, history


def init_at_distance(W_star, mask, rel_dist: float, rng=None) -> np.ndarray:
    r"""Random start :math:`W^{(0)}=W^*+\Delta` inside the mask at relative distance exactly ``rel_dist``.

    :math:`\Delta` is Gaussian on the unpruned entries, rescaled so that
    :math:`\lVert W^{(0)}-W^*\rVert_F/\lVert W^*\rVert_F=\lambda`.  This is
    what the paper's experiments use in place of the tensor initializer
    (§4.1, where :math:`\lambda` is an upper bound).  ``mask`` may be larger
    than the support of ``W_star`` (e.g. all ones for a dense start).
    """
    W_star = _check_weights(W_star, "W_star")
    M = check_mask(mask, W_star.shape)
    lam = check_nonnegative(rel_dist, "rel_dist")
    if np.any(W_star[~M] != 0):
        raise ValueError("W_star must be zero outside the mask")
    rng = as_rng(rng)
    delta = np.where(M, rng.standard_normal(W_star.shape), 0.0)
    return W_star + delta * (lam * np.linalg.norm(W_star) / np.linalg.norm(delta))


@dataclass(frozen=True)
class RateFit:
    r"""Fitted linear convergence :math:`\mathrm{err}_t\approx C\hat\nu^{\,t}`.

    ``nu``: the rate; ``r_squared``: :math:`R^2` of the fit of :math:`\log\mathrm{err}_t`; ``points``: iterations used.
    """

    nu: float
    r_squared: float
    points: int


def empirical_rate(errors, *, window=(0.25, 0.75), floor: float = 1e-12) -> RateFit:
    r"""Empirical rate :math:`\hat\nu=\exp(\text{slope})` of a least-squares line fitted to :math:`\log\mathrm{err}_t`.

    Only errors above ``floor`` (round-off) are used, and of those the
    fraction ``window`` of the iterations (default: the middle half, our choice).
    """
    err = check_array(errors, "errors", ndim=1, finite=False)
    lo, hi = window
    if not 0 <= lo < hi <= 1:
        raise ValueError(f"window must be (start, stop) fractions with 0 <= start < stop <= 1, got {window}")
    usable = np.flatnonzero(np.isfinite(err) & (err > floor))
    if usable.size == 0:
        raise ValueError("errors has no finite value above the floor; nothing to fit")
    last = usable[-1]
    t = np.arange(int(lo * (last + 1)), int(np.ceil(hi * (last + 1))))
    t = t[np.isfinite(err[t]) & (err[t] > floor)]
    if t.size < 3:
        raise ValueError(f"need at least 3 usable errors in the fit window, got {t.size}")
    logs = np.log(err[t])
    slope, intercept = np.polyfit(t, logs, 1)
    resid = logs - (slope * t + intercept)
    ss = np.sum((logs - logs.mean()) ** 2)
    return RateFit(float(np.exp(slope)), float(1 - np.sum(resid**2) / ss) if ss > 0 else 1.0, int(t.size))


def mask_accuracy(mask, mask_star) -> float:
    r"""Mask accuracy :math:`\lVert M^*\odot M\rVert_0/\lVert M^*\rVert_0`: fraction of the true support kept (§4.2)."""
    M = check_mask(mask)
    Ms = check_mask(mask_star, M.shape[-2:], name="mask_star")
    return float(np.sum(M & Ms) / np.sum(Ms))


def magnitude_mask(W, r, within=None) -> np.ndarray:
    r"""One-shot magnitude mask: neuron :math:`j` keeps its ``r`` (or ``r[j]``) largest :math:`\lvert w_{ij}\rvert`.

    ``within`` restricts the choice to a previous mask (for iterative pruning).
    Ties are broken by index (the lower input index is kept), as in
    :func:`pruning_lab.prune.top_s_mask`.
    """
    W = _check_weights(W)
    d, K = W.shape
    allowed = np.ones((d, K), dtype=bool) if within is None else check_mask(within, (d, K), "within")
    widths = np.asarray(r)
    if widths.ndim > 1 or widths.ndim == 1 and widths.shape != (K,):
        raise ValueError(f"r must be one positive integer width or K = {K} of them, got shape {widths.shape}")
    widths = np.broadcast_to(widths, (K,))
    if not np.issubdtype(widths.dtype, np.integer) or np.any(widths < 1):
        raise ValueError(f"r must be a positive integer width (or K of them), got {r!r}")
    if np.any(widths > allowed.sum(axis=0)):
        raise ValueError("r exceeds the number of weights available to a neuron")
    score = np.where(allowed, np.abs(W), -1.0)
    order = np.argsort(-score, axis=0, kind="stable")
    mask = np.zeros((d, K), dtype=bool)
    for j in range(K):
        mask[order[: widths[j], j], j] = True
    return mask


@dataclass(frozen=True)
class NeuronwiseIMP:
    """Iterative magnitude pruning: ``masks[k]`` after ``k`` rounds (``masks[0]``: start), ``weights[k]`` trained on
    it."""

    masks: tuple
    weights: tuple


def neuronwise_imp(
    X, y, W_init, *, rounds: int, rate: float = 0.2, mask=None, steps: int = 200, eta="auto", beta: float = PAPER_BETA
) -> NeuronwiseIMP:
    r"""Iterative magnitude pruning with rewinding :cite:`frankle2019lottery` on the one-hidden-layer network.

    Round :math:`k`: train ``steps`` iterations of :func:`agd_pruned` from
    :math:`M_k\odot W_{\rm init}` (rewind to the initialization), then keep, in each
    neuron, the :math:`\lceil(1-\text{rate})\,r_j\rceil` weights of largest
    magnitude to get :math:`M_{k+1}`.  The last mask is trained too.  The
    per-round rate 20% is our choice (the paper does not state it).  Used by
    :func:`~pruning_lab.lottery.experiments.inaccurate_mask_sweep` (chapter :doc:`/book/lottery_tickets`).

    Parameters
    ----------
    X, y : ndarray of shape (N, d) and (N,)
        Training data.
    W_init : ndarray of shape (d, K)
        Initialization :math:`W_{\rm init}` that every round rewinds to.
    rounds : int
        Number of pruning rounds, ``>= 0``; ``rounds + 1`` masks are trained.
    rate : float
        Fraction of each neuron's kept weights pruned per round, in (0, 1).
    mask : array_like of shape (d, K), optional
        Starting mask :math:`M_0` (default: all ones, the dense network).
    steps : int
        Iterations of :func:`agd_pruned` per round (``>= 1``, no early stop).
    eta : float or str
        Step size as in :func:`agd_pruned`; ``"auto"`` is recomputed in each round at
        :math:`M_k\odot W_{\rm init}`.
    beta : float
        Momentum :math:`\beta\in[0,1)`.

    Returns
    -------
    NeuronwiseIMP
        ``masks[k]`` (:math:`M_k`, boolean) and the weights trained on it, ``k = 0..rounds``.
    """
    X, y = _check_data(X, y)
    W_init = _check_weights(W_init, "W_init", d=X.shape[1])
    rounds = _check_int(rounds, "rounds", 0)
    rate = check_nonnegative(rate, "rate")
    if not 0 < rate < 1:
        raise ValueError(f"rate (fraction pruned per round) must lie in (0, 1), got {rate}")
    M = np.ones(W_init.shape, dtype=bool) if mask is None else check_mask(mask, W_init.shape)
    masks, weights = [], []
    for k in range(rounds + 1):
        res = agd_pruned(X, y, M, np.where(M, W_init, 0.0), eta=eta, beta=beta, max_iter=steps, tol=0.0)
        masks.append(M)
        weights.append(res.weights)
        if k < rounds:
            M = magnitude_mask(res.weights, np.ceil((1 - rate) * M.sum(axis=0) - 1e-9).astype(int), within=M)
    return NeuronwiseIMP(tuple(masks), tuple(weights))
