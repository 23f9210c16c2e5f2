r"""Train with the group Lasso, prune columns greedily, fine-tune: the pipeline.

1. **Train** :math:`f=\mathcal L+\lambda R_\beta` by gradient descent from a small random
   :math:`U_0`, or by perturbed gradient descent, to an approximate second-order stationary point
   :math:`\lVert\nabla f\rVert_F\le\varepsilon`, :math:`\lambda_{\min}(\nabla^2f)\ge-\gamma`.
2. **Prune**: keep the columns with :math:`\lVert Ue_i\rVert\ge\tau`,
   :math:`U_{\rm prune}=U_{:,S}`; our default threshold is :math:`\tau=\sqrt\beta`.
3. **Fine-tune**: gradient descent on the unregularized empirical loss from :math:`U_{\rm prune}`,
   which converges linearly, at the rate :math:`\max_\mu|1-\eta\mu|` over the non-zero eigenvalues
   :math:`\mu` of the Hessian at the limit.

This pipeline is our reconstruction, in the spirit of :cite:`rajaraman2023greedy`; the paper's
threshold and step sizes were not recovered.  Used in the chapter :doc:`/book/matrix_sensing`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..validation import as_rng, check_array, check_int, check_nonnegative
from .model import Measurements, _check_count, _check_factor, _check_matrix, recovery_error
from .objective import SensingObjective

__all__ = [
    "LinearRate",
    "Prunability",
    "PruneFinetuneResult",
    "SOSPReport",
    "TrainResult",
    "column_norms",
    "finetune",
    "fit_linear_rate",
    "gradient_descent",
    "hessian_matrix",
    "local_linear_rate",
    "min_measurements",
    "perturbed_gradient_descent",
    "prunability_stats",
    "prune_columns",
    "prune_top_columns",
    "random_init",
    "sosp_check",
    "train_prune_finetune",
    "train_small_model",
]


@dataclass(frozen=True, eq=False)
class TrainResult:
    r"""Outcome of (perturbed) gradient descent.

    ``U`` is the last iterate; ``steps`` the iterations at which the history was recorded, with the
    objective ``values``, the gradient norms :math:`\lVert\nabla f\rVert_F` and the recovery errors
    :math:`\lVert UU^\top-M_\star\rVert_F` (NaN when no :math:`M_\star` was given); ``n_steps`` the
    iterations run, ``converged`` whether the stopping rule fired, ``perturbations`` how many
    perturbations perturbed gradient descent added.
    """

    U: np.ndarray
    steps: np.ndarray
    values: np.ndarray
    grad_norms: np.ndarray
    errors: np.ndarray
    n_steps: int
    converged: bool
    perturbations: int = 0


def _check_objective(objective) -> SensingObjective:
    if not isinstance(objective, SensingObjective):
        raise ValueError(f"objective must be a SensingObjective, got {type(objective).__name__}")
    return objective


def _check_step(eta) -> float:
    eta = check_nonnegative(eta, "eta (step size)")
    if eta == 0:
        raise ValueError("eta (step size) must be > 0")
    return eta


def random_init(d: int, k: int, scale: float = 0.01, rng=None) -> np.ndarray:
    r"""Small random initialization :math:`U_0\in\mathbb R^{d\times k}` with i.i.d.
    :math:`\mathcal N(0,\text{scale}^2)` entries."""
    d, k = _check_count(d, "d (matrix size)"), _check_count(k, "k (number of columns)")
    return check_nonnegative(scale, "scale (initialization)") * as_rng(rng).standard_normal((d, k))


def _descend(objective, U0, eta, steps, tol, M_star, record_every, perturb=None):
    objective = _check_objective(objective)
    U = np.array(_check_factor(U0, "U0", objective.d), copy=True)
    eta, steps = _check_step(eta), _check_count(steps, "steps", 0)
    every = _check_count(record_every, "record_every")
    tol = None if tol is None else check_nonnegative(tol, "tol (gradient-norm tolerance)")
    M = None if M_star is None else _check_matrix(M_star, "M_star", objective.d)
    hist, converged, t = [], False, 0

    def record(t, gn):
        err = recovery_error(U, M) if M is not None else np.nan
        hist.append((t, objective._value(U), gn, err))

    with np.errstate(over="ignore", invalid="ignore"):  # divergence is detected below and reported
        for t in range(steps + 1):
            g = objective._grad(U)
            if perturb is not None:
                U, g, stop = perturb(t, U, g)
                if stop is not None:
                    U, converged = stop, True
                    record(t, float(np.linalg.norm(objective._grad(U))))
                    break
            gn = float(np.linalg.norm(g))
            if not gn < 1e50:
                raise ValueError(f"gradient descent diverged at step {t}; use a smaller step size eta (got {eta})")
            if t % every == 0 or t == steps:
                record(t, gn)
            if tol is not None and gn <= tol:
                converged = True
                if t % every:
                    record(t, gn)
                break
            if t < steps:
                U = U - eta * g
    steps_, values, norms, errors = (np.array(c) for c in zip(*hist))
    count = perturb.count if perturb is not None else 0
    return TrainResult(U, steps_.astype(int), values, norms, errors, t, converged, count)


def gradient_descent(
    objective: SensingObjective,
    U0,
    eta: float,
    steps: int,
    *,
    tol: float | None = None,
    M_star=None,
    record_every: int = 10,
) -> TrainResult:
    r"""Gradient descent :math:`U_{t+1}=U_t-\eta\nabla f(U_t)` on a sensing objective :math:`f`.

    Runs ``steps`` steps, or stops early once :math:`\lVert\nabla f(U_t)\rVert_F\le` ``tol``.  With
    ``M_star`` the recovery error is recorded every ``record_every`` steps.  Raises ``ValueError`` if
    the iterates diverge (step size too large).  Used in the chapter :doc:`/book/matrix_sensing`.

    Parameters
    ----------
    objective : pruning_lab.sensing.objective.SensingObjective
        The function :math:`f=\mathcal L+\lambda R_\beta` to minimize
        (a :class:`~pruning_lab.sensing.objective.SensingObjective`).
    U0 : ndarray of shape (d, k)
        Start :math:`U_0` (copied).
    eta : float
        Step size :math:`\eta>0`.
    steps : int
        Maximum number of steps, ``>= 0``.
    tol : float or None
        Stop once :math:`\lVert\nabla f(U_t)\rVert_F\le` ``tol`` (``None``: run all ``steps``).
    M_star : ndarray of shape (d, d) or None
        Ground truth for the recovery errors :math:`\lVert U_tU_t^\top-M_\star\rVert_F` (``None``: NaN).
    record_every : int
        Record the history at every ``record_every``-th step (``>= 1``), and at the last one.

    Returns
    -------
    TrainResult
        The last iterate and the recorded history.
    """
    return _descend(objective, U0, eta, steps, tol, M_star, record_every)


class _Perturbation:
    """State of Jin et al.'s perturbation rule (Algorithm 2 of "How to escape saddle points efficiently")."""

    def __init__(self, objective, g_thres, t_thres, radius, f_thres, rng):
        self.objective, self.g_thres, self.t_thres = objective, g_thres, t_thres
        self.radius, self.f_thres, self.rng = radius, f_thres, rng
        self.t_noise, self.anchor, self.f_anchor, self.count = -t_thres - 1, None, None, 0

    def __call__(self, t, U, g):
        if np.linalg.norm(g) <= self.g_thres and t - self.t_noise > self.t_thres:
            self.anchor, self.f_anchor, self.t_noise = U, self.objective._value(U), t
            xi = self.rng.standard_normal(U.shape)
            xi *= self.radius * self.rng.uniform() ** (1 / xi.size) / np.linalg.norm(xi)
            U, self.count = U + xi, self.count + 1
            g = self.objective._grad(U)
        if (
            self.anchor is not None
            and t - self.t_noise == self.t_thres
            and self.objective._value(U) - self.f_anchor > -self.f_thres
        ):
            return U, g, self.anchor
        return U, g, None


def perturbed_gradient_descent(
    objective: SensingObjective,
    U0,
    eta: float,
    steps: int,
    *,
    g_thres: float,
    t_thres: int,
    radius: float,
    f_thres: float,
    rng=None,
    M_star=None,
    record_every: int = 10,
) -> TrainResult:
    r"""Perturbed gradient descent (Jin et al., 2017), which finds approximate second-order stationary points.

    Gradient descent with step ``eta``; whenever :math:`\lVert\nabla f\rVert_F\le` ``g_thres`` and no
    perturbation happened in the last ``t_thres`` steps, add a point drawn uniformly from the Frobenius
    ball of radius ``radius``.  Stop (``converged=True``) when a perturbation has not decreased
    :math:`f` by ``f_thres`` after ``t_thres`` steps, returning the point before it; otherwise stop
    after ``steps`` steps (step 1 of the pipeline).  Used in the chapter :doc:`/book/matrix_sensing`.

    Parameters
    ----------
    objective : pruning_lab.sensing.objective.SensingObjective
        The function :math:`f=\mathcal L+\lambda R_\beta` to minimize.
    U0 : ndarray of shape (d, k)
        Start :math:`U_0` (copied).
    eta : float
        Step size :math:`\eta>0`.
    steps : int
        Maximum number of steps, ``>= 0``.
    g_thres : float
        Gradient-norm threshold :math:`\ge0` below which a perturbation is considered.
    t_thres : int
        Minimum number of steps between perturbations, and the steps after which a perturbation's
        decrease of :math:`f` is checked (``>= 1``).
    radius : float
        Radius :math:`\ge0` of the Frobenius ball the perturbation is drawn from.
    f_thres : float
        Decrease of :math:`f` (:math:`\ge0`) a perturbation must achieve within ``t_thres`` steps;
        otherwise the run stops.
    rng : numpy.random.Generator or int or None
        Randomness of the perturbations.
    M_star : ndarray of shape (d, d) or None
        Ground truth for the recovery errors (``None``: NaN).
    record_every : int
        Record the history at every ``record_every``-th step (``>= 1``), and at the last one.

    Returns
    -------
    TrainResult
        The last iterate (the point before the final perturbation when ``converged``), the history and
        the number of ``perturbations``.
    """
    objective = _check_objective(objective)
    perturb = _Perturbation(
        objective,
        check_nonnegative(g_thres, "g_thres"),
        _check_count(t_thres, "t_thres"),
        check_nonnegative(radius, "radius"),
        check_nonnegative(f_thres, "f_thres"),
        as_rng(rng),
    )
    return _descend(objective, U0, eta, steps, None, M_star, record_every, perturb)


# ------------------------------------------------------------------- second-order check
def hessian_matrix(objective: SensingObjective, U, chunk: int = 256) -> np.ndarray:
    r"""The dense Hessian :math:`\nabla^2f(U)` as a :math:`dk\times dk` matrix (row-major vec of ``U``).

    Built from Hessian-vector products on the basis :math:`E_{jl}`, ``chunk`` at a time, then
    symmetrized.
    """
    objective = _check_objective(objective)
    U = _check_factor(U, "U", objective.d)
    p = U.size
    H = np.empty((p, p))
    for start in range(0, p, chunk):
        idx = np.arange(start, min(start + chunk, p))
        Z = np.zeros((idx.size, p))
        Z[np.arange(idx.size), idx] = 1.0
        H[idx] = objective._hvp(U, Z.reshape((idx.size,) + U.shape)).reshape(idx.size, p)
    return 0.5 * (H + H.T)


def _lanczos_min(objective, U, iters, rng):
    """Smallest Ritz value of the Hessian after ``iters`` Lanczos steps (full reorthogonalization)."""
    p = U.size
    Q = np.zeros((iters + 1, p))
    alpha, beta = np.zeros(iters), np.zeros(iters)
    q = rng.standard_normal(p)
    Q[0] = q / np.linalg.norm(q)
    for j in range(iters):
        w = objective._hvp(U, Q[j].reshape(U.shape)).ravel()
        alpha[j] = w @ Q[j]
        w -= Q[: j + 1].T @ (Q[: j + 1] @ w)
        beta[j] = np.linalg.norm(w)
        if beta[j] < 1e-12:
            iters = j + 1
            break
        Q[j + 1] = w / beta[j]
    T = np.diag(alpha[:iters]) + np.diag(beta[: iters - 1], 1) + np.diag(beta[: iters - 1], -1)
    return float(np.linalg.eigvalsh(T)[0])


@dataclass(frozen=True)
class SOSPReport:
    r"""Second-order stationarity: :math:`\lVert\nabla f\rVert_F\le\varepsilon` and
    :math:`\lambda_{\min}(\nabla^2f)\ge-\gamma`."""

    grad_norm: float
    lambda_min: float
    eps: float
    gamma: float
    method: str

    @property
    def is_sosp(self) -> bool:
        """Whether ``U`` is an :math:`(\\varepsilon,\\gamma)`-approximate second-order stationary point."""
        return self.grad_norm <= self.eps and self.lambda_min >= -self.gamma


def sosp_check(
    objective: SensingObjective, U, eps: float, gamma: float, *, method: str = "auto", lanczos_iters: int = 80, rng=0
) -> SOSPReport:
    r"""Check approximate second-order stationarity at ``U``: gradient norm and smallest Hessian eigenvalue.

    ``method="dense"`` computes the eigenvalue exactly from :func:`hessian_matrix`; ``"lanczos"``
    estimates it from ``lanczos_iters`` Hessian-vector products (exact when ``lanczos_iters`` >= dk);
    ``"auto"`` is dense when :math:`dk\le2000`.  Used in the chapter :doc:`/book/matrix_sensing`.

    Parameters
    ----------
    objective : pruning_lab.sensing.objective.SensingObjective
        The function :math:`f`.
    U : ndarray of shape (d, k)
        The point to check.
    eps : float
        Gradient tolerance :math:`\varepsilon\ge0`.
    gamma : float
        Curvature tolerance :math:`\gamma\ge0`.
    method : str
        ``"auto"``, ``"dense"`` or ``"lanczos"``.
    lanczos_iters : int
        Lanczos steps (``>= 1``; at most :math:`dk` are taken).
    rng : numpy.random.Generator or int or None
        Randomness of the Lanczos start vector.

    Returns
    -------
    SOSPReport
        :math:`\lVert\nabla f(U)\rVert_F`, :math:`\lambda_{\min}(\nabla^2f(U))`, the tolerances and the
        method used (``is_sosp`` tells whether ``U`` is an approximate SOSP).
    """
    objective = _check_objective(objective)
    U = _check_factor(U, "U", objective.d)
    eps, gamma = check_nonnegative(eps, "eps"), check_nonnegative(gamma, "gamma")
    if method not in ("auto", "dense", "lanczos"):
        raise ValueError(f"method must be 'auto', 'dense' or 'lanczos', got {method!r}")
    grad_norm = float(np.linalg.norm(objective._grad(U)))
    if method == "dense" or (method == "auto" and U.size <= 2000):
        lam_min, method = float(np.linalg.eigvalsh(hessian_matrix(objective, U))[0]), "dense"
    else:
        iters = min(_check_count(lanczos_iters, "lanczos_iters"), U.size)
        lam_min, method = _lanczos_min(objective, U, iters, as_rng(rng)), "lanczos"
    return SOSPReport(grad_norm, lam_min, eps, gamma, method)


# ---------------------------------------------------------------------------- pruning
def column_norms(U) -> np.ndarray:
    r"""The column norms :math:`\lVert Ue_i\rVert_2`, :math:`i=1,\dots,k`."""
    return np.linalg.norm(_check_factor(U), axis=0)


def prune_columns(U, tau: float) -> np.ndarray:
    r"""Greedy column pruning: :math:`U_{\rm prune}=U_{:,S}`, :math:`S=\{i:\lVert Ue_i\rVert_2\ge\tau\}`.

    ``tau = 0`` returns every column; ``tau`` above the largest norm returns a :math:`d\times0` matrix.
    """
    U = _check_factor(U)
    return U[:, column_norms(U) >= check_nonnegative(tau, "tau (pruning threshold)")].copy()


def prune_top_columns(U, count: int) -> np.ndarray:
    r"""Keep the ``count`` columns of largest norm: :math:`U_{:,S}` with :math:`S` the indices of the
    ``count`` largest :math:`\lVert Ue_i\rVert_2`, in their original order.

    Greedy pruning with the number of survivors given instead of a threshold: it needs the rank
    :math:`r`, and it is how a model without a gap in its column norms is pruned.  Used in the chapter
    :doc:`/book/matrix_sensing`.
    """
    U = _check_factor(U)
    count = _check_count(count, "count (columns to keep)", 0)
    if count > U.shape[1]:
        raise ValueError(f"count (columns to keep) must be <= k = {U.shape[1]}, got {count}")
    keep = np.sort(np.argsort(-column_norms(U), kind="stable")[:count])
    return U[:, keep].copy()


@dataclass(frozen=True, eq=False)
class Prunability:
    r"""Is a model fit for greedy pruning?  ``norms``: column norms, largest first; ``n_comparable``:
    how many are :math:`\ge c\max_j\lVert Ue_j\rVert`."""

    norms: np.ndarray
    c: float
    n_comparable: int

    @property
    def gap(self) -> float:
        """Largest ratio of consecutive sorted norms :math:`\\lVert u_{(i)}\\rVert/\\lVert u_{(i+1)}\\rVert` (inf past
        a zero)."""
        with np.errstate(divide="ignore", invalid="ignore"):
            ratios = self.norms[:-1] / self.norms[1:]
        return float(np.nanmax(ratios)) if ratios.size else float("nan")


def prunability_stats(U, c: float = 0.5) -> Prunability:
    r"""Sorted column-norm profile and the number of columns with norm :math:`\ge c\max_j\lVert Ue_j\rVert`."""
    c = check_nonnegative(c, "c (fraction of the largest norm)")
    if not 0 < c <= 1:
        raise ValueError(f"c (fraction of the largest norm) must lie in (0, 1], got {c}")
    norms = np.sort(column_norms(U))[::-1]
    return Prunability(norms, c, int(np.sum(norms >= c * norms[0])) if norms.size else 0)


# ------------------------------------------------------------------------- fine-tuning
def min_measurements(d: int, r: int) -> int:
    r"""Degrees of freedom :math:`rd-r(r-1)/2` of a rank-:math:`r` positive semi-definite :math:`d\times d` matrix.

    Fewer measurements cannot determine :math:`M=UU^\top` with :math:`U\in\mathbb R^{d\times r}`.
    """
    d = _check_count(d, "d")
    r = check_int(r, "r (rank)", 0, d)
    return r * d - r * (r - 1) // 2


def finetune(
    U_prune,
    A: Measurements,
    y,
    eta: float,
    steps: int,
    *,
    tol: float | None = None,
    M_star=None,
    record_every: int = 10,
) -> TrainResult:
    r"""Fine-tuning: gradient descent on the unregularized empirical loss from :math:`U_{\rm prune}`.

    :math:`U_{t+1}=U_t-\eta\nabla\mathcal L_{\rm emp}(U_t)`, :math:`U_0=U_{\rm prune}`.  Needs at
    least :func:`min_measurements` ``(d, r)`` measurements for the :math:`r` kept columns.  Used in the
    chapter :doc:`/book/matrix_sensing`.

    Parameters
    ----------
    U_prune : ndarray of shape (d, r)
        The pruned factor, the start of fine-tuning (copied).
    A : pruning_lab.sensing.model.Measurements
        The measurements :math:`A_1,\dots,A_n`.
    y : ndarray of shape (n,)
        The observations.
    eta : float
        Step size :math:`\eta>0`.
    steps : int
        Maximum number of steps, ``>= 0``.
    tol : float or None
        Stop once :math:`\lVert\nabla\mathcal L_{\rm emp}(U_t)\rVert_F\le` ``tol`` (``None``: run all ``steps``).
    M_star : ndarray of shape (d, d) or None
        Ground truth for the recovery errors (``None``: NaN).
    record_every : int
        Record the history at every ``record_every``-th step (``>= 1``), and at the last one.

    Returns
    -------
    TrainResult
        The fine-tuned factor and its history.
    """
    objective = SensingObjective.empirical(A, y)
    U = _check_factor(U_prune, "U_prune", objective.d)
    need = min_measurements(objective.d, U.shape[1])
    if A.n < need:
        raise ValueError(
            f"too few measurements: n = {A.n}, but fitting {U.shape[1]} columns in dimension "
            f"d = {objective.d} needs at least r d - r(r-1)/2 = {need}"
        )
    return gradient_descent(objective, U, eta, steps, tol=tol, M_star=M_star, record_every=record_every)


@dataclass(frozen=True)
class LinearRate:
    r"""Fitted :math:`\log_{10}` error against iteration: ``slope`` (per step), ``rate`` :math:`=10^{\rm slope}`,
    the slopes on the two halves of the window (their agreement tests linearity), and the window."""

    slope: float
    rate: float
    half_slopes: tuple
    window: tuple


def fit_linear_rate(steps, errors, lo: float = 1e-13, hi: float = 1e-5) -> LinearRate:
    r"""Least-squares fit of :math:`\log_{10}e_t=a+bt` over the recorded points with ``lo <= e_t <= hi``.

    A linear (geometric) rate :math:`e_t\propto\rho^t` gives a straight line, :math:`\rho=10^b`, with
    the same slope on both halves of the window.
    """
    steps = check_array(steps, "steps", ndim=1)
    errors = check_array(errors, "errors", shape=(steps.size,), finite=False)
    keep = (errors >= lo) & (errors <= hi)
    if keep.sum() < 4:
        raise ValueError(f"need at least 4 recorded errors in [{lo:g}, {hi:g}] to fit a rate, got {keep.sum()}")
    t, e = steps[keep], np.log10(errors[keep])
    half = t.size // 2
    slopes = [np.polyfit(t[s], e[s], 1)[0] for s in (slice(None), slice(None, half + 1), slice(half, None))]
    return LinearRate(
        float(slopes[0]), float(10 ** slopes[0]), (float(slopes[1]), float(slopes[2])), (float(t[0]), float(t[-1]))
    )


def local_linear_rate(objective: SensingObjective, U, eta: float, null_tol: float = 1e-6) -> float:
    r"""Predicted contraction factor of gradient descent near the minimizer ``U``: :math:`\max_\mu|1-\eta\mu|`.

    :math:`\mu` runs over the eigenvalues of :math:`\nabla^2f(U)` above ``null_tol`` times the largest;
    the null directions (rotations :math:`U\mapsto UO`, which leave :math:`UU^\top` unchanged) are excluded.
    """
    mu = np.linalg.eigvalsh(hessian_matrix(objective, U))
    mu = mu[mu > check_nonnegative(null_tol, "null_tol") * mu[-1]]
    return float(np.max(np.abs(1 - _check_step(eta) * mu)))


def _chain(first: TrainResult, second: TrainResult) -> TrainResult:
    """One history from two consecutive runs (the second starts where the first stopped)."""
    shift = first.n_steps
    cat = [np.concatenate([getattr(first, f), getattr(second, f)[1:]]) for f in ("values", "grad_norms", "errors")]
    steps = np.concatenate([first.steps, second.steps[1:] + shift])
    return TrainResult(second.U, steps, *cat, shift + second.n_steps, first.converged or second.converged)


def train_small_model(
    A: Measurements,
    y,
    k: int,
    *,
    eta: float = 0.02,
    steps: int = 6000,
    init_scale: float = 0.01,
    ft_eta: float = 0.05,
    ft_steps: int = 3000,
    tol: float | None = None,
    M_star=None,
    U0=None,
    rng=None,
    record_every: int = 10,
) -> TrainResult:
    r"""The small model trained directly: gradient descent on the plain loss :math:`\mathcal L_{\rm emp}`
    with :math:`k` columns (usually :math:`k=r`), on the optimizer budget of the pipeline.

    From ``U0`` (default :func:`random_init` ``(d, k, init_scale, rng)``), ``steps`` steps with step
    ``eta`` then at most ``ft_steps`` steps with ``ft_eta``, the schedule of
    :func:`train_prune_finetune` without the regularizer and without pruning; both phases stop once
    :math:`\lVert\nabla\mathcal L_{\rm emp}\rVert_F\le` ``tol``.  This is the baseline of the book's
    question ("train the small model, or train a large one and prune it?").  Used in the chapter
    :doc:`/book/matrix_sensing`.

    Parameters
    ----------
    A : pruning_lab.sensing.model.Measurements
        The measurements :math:`A_1,\dots,A_n`.
    y : ndarray of shape (n,)
        The observations.
    k : int
        Number of columns, ``>= 1``; at least :func:`min_measurements` ``(d, k)`` measurements are needed.
    eta : float
        Step size :math:`\eta>0` of the first phase (the pipeline's training).
    steps : int
        Steps of the first phase, ``>= 0``.
    init_scale : float
        Standard deviation of the entries of the default :math:`U_0` (ignored when ``U0`` is given).
    ft_eta : float
        Step size :math:`\eta>0` of the second phase (the pipeline's fine-tuning).
    ft_steps : int
        Maximum number of steps of the second phase, ``>= 0``.
    tol : float or None
        Gradient-norm tolerance that stops either phase (``None``: run every step).
    M_star : ndarray of shape (d, d) or None
        Ground truth for the recovery errors (``None``: NaN).
    U0 : ndarray of shape (d, k) or None
        Start (``None``: drawn by :func:`random_init`).
    rng : numpy.random.Generator or int or None
        Randomness of the default :math:`U_0`.
    record_every : int
        Record the history at every ``record_every``-th step (``>= 1``), and at the last one.

    Returns
    -------
    TrainResult
        The trained factor and the history of both phases (steps counted from the start).
    """
    objective = SensingObjective.empirical(A, y)
    k = _check_count(k, "k (number of columns)")
    need = min_measurements(objective.d, min(k, objective.d))
    if A.n < need:
        raise ValueError(
            f"too few measurements: n = {A.n}, but fitting {k} columns in dimension "
            f"d = {objective.d} needs at least r d - r(r-1)/2 = {need}"
        )
    if U0 is None:
        U0 = random_init(objective.d, k, init_scale, rng)
    elif np.shape(U0)[1:] != (k,):
        raise ValueError(f"U0 must have k = {k} columns, got shape {np.shape(U0)}")
    first = gradient_descent(objective, U0, eta, steps, tol=tol, M_star=M_star, record_every=record_every)
    if first.converged:
        return first
    second = gradient_descent(objective, first.U, ft_eta, ft_steps, tol=tol, M_star=M_star, record_every=record_every)
    return _chain(first, second)


# ---------------------------------------------------------------------------- pipeline
@dataclass(frozen=True, eq=False)
class PruneFinetuneResult:
    r"""Train → prune → fine-tune: the trained run, the threshold :math:`\tau`, the kept columns, the
    pruned factor :math:`U_{\rm prune}` and the fine-tuning run (its ``U`` is the final model)."""

    trained: TrainResult
    tau: float
    kept: np.ndarray
    U_prune: np.ndarray
    finetuned: TrainResult

    @property
    def n_kept(self) -> int:
        """Number of surviving columns."""
        return int(self.kept.size)


def train_prune_finetune(
    A: Measurements,
    y,
    k: int,
    lam: float,
    beta: float,
    *,
    form: str = "sqrt",
    eta: float = 0.02,
    steps: int = 6000,
    init_scale: float = 0.01,
    tau: float | None = None,
    ft_eta: float = 0.05,
    ft_steps: int = 3000,
    ft_tol: float | None = None,
    M_star=None,
    U0=None,
    rng=None,
    record_every: int = 10,
) -> PruneFinetuneResult:
    r"""The whole pipeline train → prune → fine-tune on data ``(A, y)``.

    Gradient descent on :math:`\mathcal L_{\rm emp}+\lambda R_\beta` from ``U0`` (default
    :func:`random_init` ``(d, k, init_scale, rng)``), pruning at ``tau`` (default :math:`\sqrt\beta`),
    then :func:`finetune`.  Defaults are the reference setting of the chapter
    :doc:`/book/matrix_sensing`.

    Parameters
    ----------
    A : pruning_lab.sensing.model.Measurements
        The measurements :math:`A_1,\dots,A_n`.
    y : ndarray of shape (n,)
        The observations.
    k : int
        Number of columns of the trained factor, ``>= 1``.
    lam : float
        Regularization strength :math:`\lambda\ge0`.
    beta : float
        Smoothing :math:`\beta\ge0` of the group Lasso.
    form : str
        Smoothing of the group Lasso, ``"sqrt"`` or ``"ratio"``.
    eta : float
        Step size :math:`\eta>0` of training.
    steps : int
        Number of training steps (no early stop), ``>= 0``.
    init_scale : float
        Standard deviation of the entries of the default :math:`U_0` (ignored when ``U0`` is given).
    tau : float or None
        Pruning threshold :math:`\tau\ge0` (``None``: :math:`\sqrt\beta`).
    ft_eta : float
        Step size :math:`\eta>0` of fine-tuning.
    ft_steps : int
        Maximum number of fine-tuning steps, ``>= 0``.
    ft_tol : float or None
        Fine-tuning stops once :math:`\lVert\nabla\mathcal L_{\rm emp}\rVert_F\le` ``ft_tol``
        (``None``: run all ``ft_steps``).
    M_star : ndarray of shape (d, d) or None
        Ground truth for the recovery errors of both runs (``None``: NaN).
    U0 : ndarray of shape (d, k) or None
        Start of training (``None``: drawn by :func:`random_init`).
    rng : numpy.random.Generator or int or None
        Randomness of the default :math:`U_0` (ignored when ``U0`` is given).
    record_every : int
        Record the histories at every ``record_every``-th step (``>= 1``), and at the last one.

    Returns
    -------
    PruneFinetuneResult
        The trained run, :math:`\tau`, the kept columns, :math:`U_{\rm prune}` and the fine-tuning run.
    """
    objective = SensingObjective.empirical(A, y, lam, beta, form)
    k = _check_count(k, "k (number of columns)")
    if U0 is None:
        U0 = random_init(objective.d, k, init_scale, rng)
    elif np.shape(U0)[1:] != (k,):
        raise ValueError(f"U0 must have k = {k} columns, got shape {np.shape(U0)}")
    trained = gradient_descent(objective, U0, eta, steps, M_star=M_star, record_every=record_every)
    tau = float(np.sqrt(objective.beta)) if tau is None else check_nonnegative(tau, "tau (pruning threshold)")
    kept = np.flatnonzero(column_norms(trained.U) >= tau)
    U_prune = trained.U[:, kept].copy()
    tuned = finetune(U_prune, A, y, ft_eta, ft_steps, tol=ft_tol, M_star=M_star, record_every=record_every)
    return PruneFinetuneResult(trained, tau, kept, U_prune, tuned)
