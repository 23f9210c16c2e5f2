r"""The distributional characterization (DC) of min-norm least squares and of ridge regression.

For the linear Gaussian problem with :math:`p > n` and diagonal
:math:`\Sigma=\mathrm{diag}(\lambda)`, the min-norm solution behaves, coordinate
by coordinate, like

.. math::
    \hat\beta_i \overset{d}{\approx} m_i + \tau_i h_i,\qquad
    m_i = \frac{\lambda_i}{\lambda_i+\xi}\beta_i,\qquad
    \tau_i = \sqrt{\gamma/n}\,\frac{\sqrt{\lambda_i}}{\lambda_i+\xi},\qquad h_i\sim\mathcal N(0,1),

where the implicit ridge :math:`\xi>0` solves the fixed point (8)
:math:`n=\sum_i \lambda_i/(\lambda_i+\xi)` and the effective noise (9)

.. math:: \gamma=\frac{\sigma^2+\xi^2\sum_i\lambda_i\beta_i^2/(\lambda_i+\xi)^2}
                        {1-\frac1n\sum_i\lambda_i^2/(\lambda_i+\xi)^2}

is also the predicted test risk of :math:`\hat\beta` :cite:`chang2021provable,hastie2022surprises`.
A general :math:`\Sigma=V\mathrm{diag}(\lambda)V^\top` is handled by rotation
(Def. 4); the under-parameterized case (:math:`p<n-1`, Def. 6) has
:math:`m_i=\beta_i`, :math:`\tau_i^2=\sigma^2/((n-p-1)\lambda_i)`.

**Ridge.**  Ridge regression with penalty :math:`\mu>0`,
:math:`\hat\beta_\mu=\arg\min_b\frac1{2n}\lVert y-Xb\rVert^2+\frac\mu2\lVert b\rVert^2
=(X^\top X/n+\mu I)^{-1}X^\top y/n`, has the same law with the implicit ridge replaced by the
*effective* ridge :math:`\kappa>\mu`, the root of

.. math:: \mu=\kappa\Big(1-\frac1n\sum_i\frac{\lambda_i}{\lambda_i+\kappa}\Big),

for any :math:`p` and :math:`n` (the deterministic equivalent of ridge regression
:cite:`hastie2022surprises`; :math:`\mu\to0` recovers (8) when :math:`p>n`).  Min-norm
interpolation is the :math:`\mu\to0` limit: the large model regularizes itself with
:math:`\xi`, while a small model needs an explicit penalty, tuned by :func:`optimal_ridge`.

The DC paper's full text was available to us with its formulas lost in extraction; the formulas
here are our reconstruction from its definitions and standard results, and every one is checked
against simulation in the tests and in the chapter :doc:`/book/predicting_pruning`.  The pruning
risks the law implies are in :mod:`pruning_lab.dc.pruning`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import optimize

from ..problems import LinearGaussianProblem
from ..prune import top_s_mask
from ..validation import as_rng, check_array, check_int, check_nonnegative, check_sparsity, check_support

__all__ = [
    "DCParams",
    "OptimalRidge",
    "dc_marginals",
    "dc_params",
    "dc_params_asymptotic",
    "dc_sample",
    "isotropic_risk",
    "lemma1_risks",
    "optimal_ridge",
    "oracle_small_model_risk",
    "small_model_risk",
    "solve_kappa",
    "solve_xi",
]


@dataclass(frozen=True)
class DCParams:
    r"""Parameters of the DC: implicit ridge :math:`\xi`, effective noise :math:`\gamma` (= predicted risk).

    ``regime`` is ``"over"`` (:math:`p>n`, eqs. (8)–(9)), ``"under"``
    (:math:`p<n-1`, :math:`\xi=0`, :math:`\gamma=\sigma^2(n-1)/(n-p-1)`) or ``"ridge"``
    (penalty ``ridge`` :math:`=\mu>0`; ``xi`` is then the effective ridge :math:`\kappa`).
    """

    xi: float
    gamma: float
    n: int
    p: int
    regime: str
    ridge: float = 0.0


def _check_problem(problem) -> LinearGaussianProblem:
    if not isinstance(problem, LinearGaussianProblem):
        raise ValueError(f"problem must be a LinearGaussianProblem, got {type(problem).__name__}")
    return problem


def _check_n(n) -> int:
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1:
        raise ValueError(f"n (number of training samples) must be a positive integer, got {n!r}")
    return int(n)


def _solve_xi(lam: np.ndarray, target: float, weights: np.ndarray) -> float:
    """Root xi > 0 of sum(w * lam / (lam + xi)) = target, found by brentq in log(xi)."""
    scale = float(np.average(lam, weights=weights))
    if np.sum(weights[lam > 0]) <= target * (1 + 1e-12):
        raise ValueError(
            "the fixed point (8) has no root: the DC needs more (nonzero-variance) "
            "features than samples, p > n (kappa > 1)"
        )

    def f(u):
        xi = scale * np.exp(u)
        return float(np.dot(weights, lam / (lam + xi))) - target

    lo, hi = -40.0, 40.0
    while f(lo) <= 0:  # the root is below the bracket: only when p is within ~1e-17 of n
        lo -= 40.0
        if lo < -700:
            raise ValueError("the fixed point (8) is numerically at xi = 0: p is too close to n")
    return scale * float(np.exp(optimize.brentq(f, lo, hi, xtol=1e-14, rtol=1e-14)))


def solve_xi(lams, n: int) -> float:
    r"""Implicit ridge :math:`\xi>0` of min-norm interpolation: the root of :math:`n=\sum_i\lambda_i/(\lambda_i+\xi)`
    (8).

    ``lams`` are the eigenvalues of :math:`\Sigma` (or its diagonal); a root
    exists iff more than ``n`` of them are positive.
    """
    lam = check_array(lams, "lams (covariance spectrum)", ndim=1)
    if np.any(lam < 0):
        raise ValueError("lams (covariance spectrum) must be >= 0")
    return _solve_xi(lam, float(_check_n(n)), np.ones(lam.size))


def dc_params_asymptotic(lam_values, b_values, kappa: float, sigma: float, weights=None) -> tuple[float, float]:
    r"""Asymptotic :math:`(\xi,\gamma)` for a law of :math:`(\Lambda, B)` (Def. 3, eqs. (8)–(9)).

    The law is discrete: atoms ``(lam_values[j], b_values[j])`` with
    probabilities ``weights`` (uniform by default); :math:`B` is the limit of
    :math:`\sqrt p\,\beta_i`.  Solves :math:`1/\kappa=\mathbb E[\Lambda/(\Lambda+\xi)]` and
    :math:`\gamma=(\sigma^2+\xi^2\mathbb E[B^2\Lambda/(\Lambda+\xi)^2])/(1-\kappa\mathbb E[\Lambda^2/(\Lambda+\xi)^2])`.
    """
    lam = check_array(lam_values, "lam_values", ndim=1)
    b = check_array(b_values, "b_values", shape=lam.shape)
    if np.any(lam <= 0):
        raise ValueError("lam_values must be > 0")
    kappa = check_nonnegative(kappa, "kappa")
    if kappa <= 1:
        raise ValueError(f"kappa = p/n must exceed 1 for the over-parameterized DC, got {kappa}")
    sigma = check_nonnegative(sigma, "sigma")
    w = np.full(lam.size, 1.0 / lam.size) if weights is None else check_array(weights, "weights", shape=lam.shape)
    if np.any(w < 0) or not np.isclose(w.sum(), 1.0):
        raise ValueError("weights must be >= 0 and sum to 1")
    xi = _solve_xi(lam, 1.0 / kappa, w)
    denom = 1.0 - kappa * np.dot(w, (lam / (lam + xi)) ** 2)
    gamma = (sigma**2 + xi**2 * np.dot(w, b**2 * lam / (lam + xi) ** 2)) / denom
    return float(xi), float(gamma)


def _check_ridge(ridge) -> float:
    return check_nonnegative(ridge, "ridge (the penalty mu)")


def _solve_kappa(lam: np.ndarray, n: int, mu: float) -> float:
    """Root kappa > max(mu, xi) of mu = kappa (1 - sum(lam / (lam + kappa)) / n), for mu > 0."""

    def g(kappa):
        return kappa - float(np.sum(lam * kappa / (lam + kappa))) / n - mu

    # g < 0 at kappa = mu (or up to the implicit ridge), g > 0 at mu + tr / n, increasing in between
    return float(optimize.brentq(g, mu, mu + float(np.sum(lam)) / n + mu, xtol=1e-15 * mu, rtol=1e-14))


def solve_kappa(lams, n: int, mu: float) -> float:
    r"""Effective ridge :math:`\kappa` of ridge regression with penalty :math:`\mu>0`.

    The root :math:`\kappa>\mu` of :math:`\mu=\kappa\,(1-\frac1n\sum_i\lambda_i/(\lambda_i+\kappa))`,
    unique for every ``n`` and spectrum ``lams`` (:math:`\kappa\to\xi` of :func:`solve_xi` as
    :math:`\mu\to0` when more than ``n`` eigenvalues are positive, :math:`\kappa\to0` otherwise).
    """
    lam = check_array(lams, "lams (covariance spectrum)", ndim=1)
    if np.any(lam < 0):
        raise ValueError("lams (covariance spectrum) must be >= 0")
    mu = _check_ridge(mu)
    if mu == 0:
        raise ValueError("mu must be > 0 (for mu = 0 use solve_xi, the implicit ridge of min-norm interpolation)")
    return _solve_kappa(lam, _check_n(n), mu)


def _rotated(problem: LinearGaussianProblem):
    """Spectrum, eigenvectors (None if diagonal) and rotated latent vector of the problem."""
    lam, V = problem.eigh()  # computed once per problem; round-off eigenvalues are zero
    return (lam, None, problem.beta) if V is None else (lam, V, V.T @ problem.beta)


def dc_params(problem, n: int, *, ridge: float = 0.0) -> DCParams:
    r"""Finite-:math:`p` DC parameters of a problem trained on ``n`` samples (Defs. 4 and 6).

    Min-norm least squares (``ridge = 0``).  Over-parameterized (:math:`p>n`): :math:`\xi` from (8)
    on the spectrum of :math:`\Sigma` and :math:`\gamma` from (9) with :math:`\bar\beta=V^\top\beta`.
    Under-parameterized (:math:`p<n-1`): :math:`\xi=0`, :math:`\gamma=\sigma^2(n-1)/(n-p-1)`, the
    exact expected OLS risk.  At :math:`n-1\le p\le n` the risk is infinite and a ``ValueError``
    is raised.

    Ridge (``ridge`` :math:`=\mu>0`, any :math:`p`): :math:`\xi` is the effective ridge
    :math:`\kappa` of :func:`solve_kappa` and :math:`\gamma` the same expression (9) at
    :math:`\kappa`, the predicted risk of :math:`\hat\beta_\mu`.  Unlike the exact OLS risk, this is
    a deterministic equivalent: close to the simulated risk for moderate :math:`\mu`, a few percent
    off at very small :math:`\mu` when :math:`p<n` (the tests state the tolerances).
    """
    problem, n = _check_problem(problem), _check_n(n)
    ridge = _check_ridge(ridge)
    p = problem.p
    lam, _, beta_bar = _rotated(problem)
    if ridge > 0:
        kappa = _solve_kappa(lam, n, ridge)
        return DCParams(kappa, _effective_noise(problem, lam, beta_bar, kappa, n), n, p, "ridge", ridge)
    if p < n - 1:
        return DCParams(0.0, problem.sigma**2 * (n - 1) / (n - p - 1), n, p, "under")
    if p <= n:
        raise ValueError(f"p = {p} is at the interpolation threshold n = {n}: the expected risk is infinite")
    xi = _solve_xi(lam, float(n), np.ones(p))
    return DCParams(float(xi), _effective_noise(problem, lam, beta_bar, xi, n), n, p, "over")


def _effective_noise(problem, lam, beta_bar, xi, n) -> float:
    """Eq. (9) at the (implicit or effective) ridge ``xi``."""
    shrink = lam / (lam + xi)
    denom = 1.0 - np.sum(shrink**2) / n
    return float((problem.sigma**2 + np.sum(lam * ((1.0 - shrink) * beta_bar) ** 2)) / denom)


def dc_marginals(problem, n: int, *, ridge: float = 0.0) -> tuple[np.ndarray, np.ndarray]:
    r"""Per-coordinate mean :math:`m_i` and standard deviation :math:`\tau_i` of the DC vector.

    For a general :math:`\Sigma` these are the marginals of the Gaussian DC
    vector :math:`(\Sigma+\xi I)^{-1}\Sigma\beta+\sqrt{\gamma/n}(\Sigma+\xi I)^{-1}\Sigma^{1/2}h`
    (coordinates then correlated); for a diagonal one the coordinates are
    independent with the closed forms of the module docstring.  ``ridge``: the penalty
    :math:`\mu` of the trained model (0: min-norm least squares), as in :func:`dc_params`.
    """
    params = dc_params(problem, n, ridge=ridge)
    lam, V, beta_bar = _rotated(problem)
    if params.regime == "under":
        safe = np.where(lam > 0, lam, np.inf)
        var_rot = problem.sigma**2 / ((n - problem.p - 1) * safe)
        mean_rot = beta_bar
    else:
        mean_rot = lam / (lam + params.xi) * beta_bar
        var_rot = params.gamma / n * lam / (lam + params.xi) ** 2
    if V is None:
        return mean_rot, np.sqrt(var_rot)
    return V @ mean_rot, np.sqrt(np.einsum("ij,j,ij->i", V, var_rot, V))


def dc_sample(problem, n: int, size: int | None = None, rng=None, *, ridge: float = 0.0) -> np.ndarray:
    """Draw DC vectors (shape (p,), or (size, p)): the predicted law of the min-norm (or ridge) solution."""
    params = dc_params(problem, n, ridge=ridge)
    lam, V, beta_bar = _rotated(problem)
    rng = as_rng(rng)
    shape = (problem.p,) if size is None else (int(size), problem.p)
    h = rng.standard_normal(shape)
    if params.regime == "under":
        draw = beta_bar + problem.sigma / np.sqrt(n - problem.p - 1) * h / np.sqrt(np.where(lam > 0, lam, np.inf))
    else:
        shrink = lam / (lam + params.xi)
        draw = shrink * (beta_bar + np.sqrt(params.gamma / n) * h / np.sqrt(np.where(lam > 0, lam, np.inf)))
    return draw if V is None else draw @ V.T


def small_model_risk(problem, n: int, support, *, ridge: float = 0.0) -> float:
    r"""Expected risk of the model trained on ``n`` samples of the features in ``support`` only.

    The data restricted to :math:`\Delta` form the linear Gaussian problem
    :meth:`~pruning_lab.problems.LinearGaussianProblem.restrict` (Def. 5); this returns its DC
    risk: least squares (``ridge = 0``; exact :math:`\sigma_\Delta^2(n-1)/(n-s-1)` when
    :math:`s<n-1`) or ridge with penalty ``ridge``.  With a support chosen independently of the
    training data (e.g. from other data), this is the risk of retraining on fresh samples.
    """
    problem, n = _check_problem(problem), _check_n(n)
    size = check_support(support, problem.p).size
    if _check_ridge(ridge) == 0 and 0 < size < n - 1:  # exact OLS risk: only the effective noise is needed
        return problem.restricted_noise(support) * (n - 1) / (n - size - 1)
    return dc_params(problem.restrict(support), n, ridge=ridge).gamma


def oracle_small_model_risk(problem, n: int, s: int, *, ridge: float = 0.0) -> float:
    """Risk of the "small model": trained from scratch on the ``s`` features of largest oracle saliency."""
    problem = _check_problem(problem)
    return small_model_risk(problem, n, top_s_mask(problem.oracle_saliency(), s), ridge=ridge)


@dataclass(frozen=True)
class OptimalRidge:
    r"""The tuned ridge penalty of :func:`optimal_ridge`: ``mu`` minimizes the predicted ``risk``.

    ``at_boundary`` is True when the minimum sits at an end of the searched range of
    :math:`\mu` (then ``mu`` is that end, and the true optimum may lie beyond it, e.g.
    :math:`\mu\to0` for a noiseless over-parameterized problem).
    """

    mu: float
    risk: float
    at_boundary: bool


def optimal_ridge(problem, n: int, support=None, *, grid: int = 121) -> OptimalRidge:
    r"""The penalty :math:`\mu^\star\ge0` that minimizes the predicted risk of ridge on ``n`` samples.

    Minimizes :math:`\gamma(\mu)` of :func:`dc_params` over :math:`\mu\in[10^{-8}\bar\lambda,
    10^{4}\bar\lambda]` (:math:`\bar\lambda` the mean eigenvalue of :math:`\Sigma`): a log-spaced
    ``grid`` locates the minimum, a bounded Brent search refines it between the neighbouring grid
    points.  With ``support``, the problem is first restricted to those features: the *tuned small
    model* of the chapters, the fair baseline for "train large, then prune".  Negative penalties,
    which can help over-parameterized models, are not searched.  Used in the chapters
    :doc:`/book/pruning_strategies` and :doc:`/book/predicting_pruning`.
    """
    problem, n = _check_problem(problem), _check_n(n)
    if support is not None:
        check_support(support, problem.p)
        problem = problem.restrict(support)
    grid = check_int(grid, "grid", 5)
    scale = float(np.mean(_rotated(problem)[0]))
    if not scale > 0:
        raise ValueError("the problem has no feature with positive variance: nothing to regularize")
    logs = np.linspace(np.log(scale) - 8 * np.log(10), np.log(scale) + 4 * np.log(10), grid)

    def risk(log_mu):
        return dc_params(problem, n, ridge=float(np.exp(log_mu))).gamma

    values = np.array([risk(u) for u in logs])
    best = int(np.argmin(values))
    if best in (0, grid - 1):
        return OptimalRidge(float(np.exp(logs[best])), float(values[best]), True)
    found = optimize.minimize_scalar(
        risk, bounds=(logs[best - 1], logs[best + 1]), method="bounded", options={"xatol": 1e-10}
    )
    log_mu, value = (found.x, found.fun) if found.fun <= values[best] else (logs[best], values[best])
    return OptimalRidge(float(np.exp(log_mu)), float(value), False)


# --------------------------------------------------------------------------- closed-form special cases
def isotropic_risk(kappa: float, r2: float, sigma: float) -> float:
    r"""Limiting risk of min-norm least squares for :math:`\Sigma=I`, :math:`\lVert\beta\rVert^2=r^2`
    :cite:`hastie2022surprises`.

    :math:`\sigma^2\kappa/(\kappa-1)+r^2(\kappa-1)/\kappa` for :math:`\kappa>1`,
    :math:`\sigma^2/(1-\kappa)` for :math:`\kappa<1`.
    """
    kappa, r2, sigma = (check_nonnegative(v, name) for v, name in ((kappa, "kappa"), (r2, "r2"), (sigma, "sigma")))
    if kappa == 1:
        raise ValueError("kappa = 1 is the interpolation threshold: the risk is infinite")
    if kappa < 1:
        return sigma**2 / (1 - kappa)
    return sigma**2 * kappa / (kappa - 1) + r2 * (kappa - 1) / kappa


def lemma1_risks(p: int, s: int, n: int, sigma: float, signal: float) -> tuple[float, float]:
    r"""Lemma 1, perfectly correlated features :math:`x=g\mathbf 1_p`: expected *excess* risks (5) and (6).

    With :math:`S=\mathbf 1^\top\beta` (``signal``), pruning to ``s`` weights
    gives :math:`(1-s/p)^2S^2+(s/p)^2\sigma^2/(n-2)`; pruning and retraining
    gives :math:`\sigma^2/(n-2)`, the dense model's excess risk (for
    :math:`s\ge1`; :math:`s=0` leaves the zero model, excess :math:`S^2`).
    Needs :math:`n>2`.
    """
    n = _check_n(n)
    if not isinstance(p, (int, np.integer)) or p < 1:
        raise ValueError(f"p must be a positive integer, got {p!r}")
    s = check_sparsity(s, p)
    sigma = check_nonnegative(sigma, "sigma")
    signal = float(check_array(signal, "signal (sum of beta)", ndim=0))
    if n <= 2:
        raise ValueError("Lemma 1 needs n > 2 samples (E[1/chi^2_n] = 1/(n-2))")
    variance = sigma**2 / (n - 2)
    frac = s / p
    retrained = variance if s > 0 else float(signal) ** 2  # s = 0 keeps nothing: the zero model
    return float((1 - frac) ** 2 * signal**2 + frac**2 * variance), float(retrained)
