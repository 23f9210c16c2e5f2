r"""Distributional characterization (DC) of min-norm least squares, and the pruning risks it predicts.

For the linear Gaussian problem with :math:`p > n` and diagonal
:math:`\Sigma=\mathrm{diag}(\lambda)`, the min-norm solution behaves, coordinate
by coordinate, like

.. math::
    \hat\beta_i \overset{d}{\approx} m_i + \tau_i h_i,\qquad
    m_i = \frac{\lambda_i}{\lambda_i+\xi}\beta_i,\qquad
    \tau_i = \sqrt{\gamma/n}\,\frac{\sqrt{\lambda_i}}{\lambda_i+\xi},\qquad h_i\sim\mathcal N(0,1),

where the implicit ridge :math:`\xi>0` solves the fixed point (8)
:math:`n=\sum_i \lambda_i/(\lambda_i+\xi)` and the effective noise (9)

.. math:: \gamma=\frac{\sigma^2+\xi^2\sum_i\lambda_i\beta_i^2/(\lambda_i+\xi)^2}{1-\frac1n\sum_i\lambda_i^2/(\lambda_i+\xi)^2}

is also the predicted test risk of :math:`\hat\beta` :cite:`chang2021provable,hastie2022surprises`.
A general :math:`\Sigma=V\mathrm{diag}(\lambda)V^\top` is handled by rotation
(Def. 4); the under-parameterized case (:math:`p<n-1`, Def. 6) has
:math:`m_i=\beta_i`, :math:`\tau_i^2=\sigma^2/((n-p-1)\lambda_i)`.  These
formulas are the package's reconstruction of the paper's (its full text was
not available to us); every one is checked against simulation in the tests
and in the chapter :doc:`/book/predicting_pruning`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import optimize, special

from ..problems import LinearGaussianProblem
from ..prune import top_s_mask
from ..validation import as_rng, check_array, check_int, check_nonnegative, check_sparsity, check_support

__all__ = [
    "DC_STRATEGIES",
    "DCParams",
    "dc_marginals",
    "dc_params",
    "dc_params_asymptotic",
    "dc_prune_risk_mc",
    "dc_sample",
    "isotropic_risk",
    "lemma1_risks",
    "oracle_prune_risk",
    "oracle_small_model_risk",
    "retrain_risk",
    "small_model_risk",
    "solve_xi",
    "ThresholdRisk",
    "threshold_prune_risk",
    "threshold_risk",
]

#: Pruning strategies with a DC prediction (the threshold strategies "magnitude" and "hessian", and "oracle").
DC_STRATEGIES = ("magnitude", "hessian", "oracle")


@dataclass(frozen=True)
class DCParams:
    r"""Parameters of the DC: implicit ridge :math:`\xi`, effective noise :math:`\gamma` (= predicted risk).

    ``regime`` is ``"over"`` (:math:`p>n`, eqs. (8)–(9)) or ``"under"``
    (:math:`p<n-1`, :math:`\xi=0`, :math:`\gamma=\sigma^2(n-1)/(n-p-1)`).
    """

    xi: float
    gamma: float
    n: int
    p: int
    regime: str


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
        raise ValueError("the fixed point (8) has no root: the DC needs more (nonzero-variance) "
                         "features than samples, p > n (kappa > 1)")

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
    r"""Implicit ridge :math:`\xi>0` of min-norm interpolation: the root of :math:`n=\sum_i\lambda_i/(\lambda_i+\xi)` (8).

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


def _rotated(problem: LinearGaussianProblem):
    """Spectrum, eigenvectors (None if diagonal) and rotated latent vector of the problem."""
    lam, V = problem.eigh()  # computed once per problem; round-off eigenvalues are zero
    return (lam, None, problem.beta) if V is None else (lam, V, V.T @ problem.beta)


def dc_params(problem, n: int) -> DCParams:
    r"""Finite-:math:`p` DC parameters of a problem trained on ``n`` samples (Defs. 4 and 6).

    Over-parameterized (:math:`p>n`): :math:`\xi` from (8) on the spectrum of
    :math:`\Sigma` and :math:`\gamma` from (9) with :math:`\bar\beta=V^\top\beta`.
    Under-parameterized (:math:`p<n-1`): :math:`\xi=0`,
    :math:`\gamma=\sigma^2(n-1)/(n-p-1)`, the exact expected OLS risk.  At
    :math:`n-1\le p\le n` the risk is infinite and a ``ValueError`` is raised.
    """
    problem, n = _check_problem(problem), _check_n(n)
    p = problem.p
    if p < n - 1:
        return DCParams(0.0, problem.sigma**2 * (n - 1) / (n - p - 1), n, p, "under")
    if p <= n:
        raise ValueError(f"p = {p} is at the interpolation threshold n = {n}: the expected risk is infinite")
    lam, _, beta_bar = _rotated(problem)
    xi = _solve_xi(lam, float(n), np.ones(p))
    shrink = lam / (lam + xi)
    denom = 1.0 - np.sum(shrink**2) / n
    gamma = (problem.sigma**2 + np.sum(lam * ((1.0 - shrink) * beta_bar) ** 2)) / denom
    return DCParams(float(xi), float(gamma), n, p, "over")


def dc_marginals(problem, n: int) -> tuple[np.ndarray, np.ndarray]:
    r"""Per-coordinate mean :math:`m_i` and standard deviation :math:`\tau_i` of the DC vector.

    For a general :math:`\Sigma` these are the marginals of the Gaussian DC
    vector :math:`(\Sigma+\xi I)^{-1}\Sigma\beta+\sqrt{\gamma/n}(\Sigma+\xi I)^{-1}\Sigma^{1/2}h`
    (coordinates then correlated); for a diagonal one the coordinates are
    independent with the closed forms of the module docstring.
    """
    params = dc_params(problem, n)
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


def dc_sample(problem, n: int, size: int | None = None, rng=None) -> np.ndarray:
    """Draw DC vectors (shape (p,), or (size, p)): the predicted law of the min-norm solution."""
    params = dc_params(problem, n)
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


# --------------------------------------------------------------------------- pruning risks
def _truncated_moments(m, tau, t):
    """P(|X|>t), E[X 1{|X|>t}], E[X^2 1{|X|>t}] for X ~ N(m, tau^2) (tau > 0), elementwise."""
    a, c = (t - m) / tau, (-t - m) / tau
    phi_a, phi_c = np.exp(-0.5 * a**2) / np.sqrt(2 * np.pi), np.exp(-0.5 * c**2) / np.sqrt(2 * np.pi)
    keep = special.ndtr(-a) + special.ndtr(c)
    first = m * keep + tau * (phi_a - phi_c)
    second = (m**2 + tau**2) * keep + tau * phi_a * (m + t) - tau * phi_c * (m - t)
    return keep, first, second


@dataclass(frozen=True)
class ThresholdRisk:
    r"""Predicted outcome of pruning :math:`\hat\beta` at a fixed threshold (:func:`threshold_risk`).

    ``threshold`` is :math:`t`; ``expected_kept`` is :math:`\mathbb E|\hat\Delta|=\sum_i\Pr(\text{keep}_i)`;
    ``risk`` is the expected test risk of the pruned weights (eq. (14)).
    """

    threshold: float
    strategy: str
    expected_kept: float
    risk: float


def _threshold_law(problem, n: int, strategy: str):
    """Distinct (lambda, beta) groups with their counts, DC marginals and threshold scale; None if the law is a point."""
    if not problem.is_diagonal:
        raise ValueError("the closed-form threshold risk needs a diagonal covariance; "
                         "use dc_prune_risk_mc for correlated features")
    if strategy not in ("magnitude", "hessian"):
        raise ValueError(f"strategy must be 'magnitude' or 'hessian', got {strategy!r}")
    m, tau = dc_marginals(problem, n)
    if np.all(tau == 0):  # no noise in the law (sigma = 0 and beta = 0): X = m deterministically
        return None
    if np.any(tau <= 0):
        raise ValueError("every feature needs a positive variance for the closed-form pruning risk")
    # Coordinates with the same (lambda, beta) share their law: work on the distinct ones, with counts.
    _, first_index, counts = np.unique(np.stack([problem.covariance, problem.beta], axis=1), axis=0,
                                       return_index=True, return_counts=True)
    lam, beta, m, tau = (a[first_index] for a in (problem.covariance, problem.beta, m, tau))
    scale = np.ones_like(lam) if strategy == "magnitude" else 1.0 / np.sqrt(lam)
    return lam, beta, m, tau, counts, scale


def _risk_at(problem, law, t: float) -> tuple[float, float]:
    lam, beta, m, tau, counts, scale = law
    keep, first, second = _truncated_moments(m, tau, t * scale)
    risk = problem.sigma**2 + np.dot(counts, lam * (beta**2 - 2 * beta * first + second))
    return float(np.dot(counts, keep)), float(risk)


def threshold_risk(problem, n: int, t: float, strategy: str = "magnitude") -> ThresholdRisk:
    r"""Predicted risk of pruning :math:`\hat\beta` at the explicit threshold ``t`` (eqs. (14), (15), (64)).

    Keep coordinate :math:`i` iff :math:`|\hat\beta_i|>t` (``"magnitude"``) or
    :math:`\lambda_i\hat\beta_i^2>t^2` (``"hessian"``, i.e.
    :math:`|\hat\beta_i|>t/\sqrt{\lambda_i}`).  Under the DC law
    :math:`\hat\beta_i\sim\mathcal N(m_i,\tau_i^2)`, with
    :math:`K_i=\Pr(\text{keep}_i)`, :math:`F_i=\mathbb E[X_i\mathbb 1_{\text{keep},i}]`,
    :math:`S_i=\mathbb E[X_i^2\mathbb 1_{\text{keep},i}]` (truncated-Gaussian moments),

    .. math::
        \mathbb E|\hat\Delta|=\sum_i K_i,\qquad
        \mathcal L=\sigma^2+\sum_i\lambda_i\,(\beta_i^2-2\beta_iF_i+S_i).

    The number of kept weights is random here; :func:`threshold_prune_risk`
    instead chooses ``t`` so that ``s`` weights are kept on average.  Diagonal
    :math:`\Sigma` only.
    """
    problem = _check_problem(problem)
    t = check_nonnegative(t, "t (the pruning threshold)")
    law = _threshold_law(problem, _check_n(n), strategy)
    if law is None:
        m = dc_marginals(problem, n)[0]
        keep = np.abs(m) > (t if strategy == "magnitude" else t / np.sqrt(problem.covariance))
        return ThresholdRisk(t, strategy, float(keep.sum()), problem.population_risk(np.where(keep, m, 0.0)))
    kept, risk = _risk_at(problem, law, t)
    return ThresholdRisk(t, strategy, kept, risk)


def threshold_prune_risk(problem, n: int, s: int, strategy: str = "magnitude") -> float:
    r"""Predicted risk of magnitude or Hessian pruning to ``s`` weights, in closed form (eqs. (14)–(15), (64)–(65)).

    Keep coordinate :math:`i` iff :math:`|X_i|>t_i`, with :math:`t_i=t` (magnitude)
    or :math:`t_i=t/\sqrt{\lambda_i}` (Hessian: :math:`\lambda_iX_i^2>t^2`),
    the scalar :math:`t` chosen so that :math:`\sum_i\Pr(\text{keep}_i)=s`; then

    .. math:: \mathcal L=\sigma^2+\sum_i\lambda_i\,\mathbb E\big[(\beta_i-X_i\mathbb 1_{\text{keep},i})^2\big]

    with truncated-Gaussian moments (:func:`threshold_risk` at that :math:`t`).
    Diagonal :math:`\Sigma` only (use :func:`dc_prune_risk_mc` otherwise).
    """
    problem = _check_problem(problem)
    law = _threshold_law(problem, n, strategy)
    s = check_sparsity(s, problem.p)
    if s == problem.p:
        return dc_params(problem, n).gamma
    if s == 0:
        return problem.null_risk()
    if law is None:
        m = dc_marginals(problem, n)[0]
        score = np.abs(m) if strategy == "magnitude" else problem.covariance * m**2
        return problem.population_risk(np.where(top_s_mask(score, s), m, 0.0))
    lam, beta, m, tau, counts, scale = law

    def excess_kept(log_t):
        return float(np.dot(counts, _truncated_moments(m, tau, np.exp(log_t) * scale)[0])) - s

    top = np.log(np.max((np.abs(m) + 40 * tau) / scale))
    log_t = optimize.brentq(excess_kept, top - 80.0, top, xtol=1e-13)
    return _risk_at(problem, law, float(np.exp(log_t)))[1]


def oracle_prune_risk(problem, n: int, s: int) -> float:
    r"""Predicted risk of keeping :math:`\hat\beta` on the oracle top-``s`` set of :math:`\Sigma_{ii}\beta_i^2` (§3.5).

    :math:`\mathcal L=\sigma^2+\sum_{i\notin\Delta^\star}\lambda_i\beta_i^2+\sum_{i\in\Delta^\star}\lambda_i((\beta_i-m_i)^2+\tau_i^2)`;
    diagonal :math:`\Sigma` only.
    """
    problem = _check_problem(problem)
    if not problem.is_diagonal:
        raise ValueError("oracle_prune_risk needs a diagonal covariance; use dc_prune_risk_mc for correlated features")
    keep = top_s_mask(problem.oracle_saliency(), s)
    m, tau = dc_marginals(problem, n)
    lam, beta = problem.covariance, problem.beta
    per = np.where(keep, lam * ((beta - m) ** 2 + tau**2), lam * beta**2)
    return float(problem.sigma**2 + np.sum(per))


def small_model_risk(problem, n: int, support) -> float:
    r"""Expected risk of least squares trained on ``n`` samples of the features in ``support`` only.

    The data restricted to :math:`\Delta` form the linear Gaussian problem
    :meth:`~pruning_lab.problems.LinearGaussianProblem.restrict` (Def. 5);
    this returns its DC risk (exact :math:`\sigma_\Delta^2(n-1)/(n-s-1)` when
    :math:`s<n-1`).  With a support chosen independently of the training data
    (e.g. from other data), this is the risk of retraining on fresh samples.
    """
    problem, n = _check_problem(problem), _check_n(n)
    size = check_support(support, problem.p).size
    if 0 < size < n - 1:  # under-parameterized: exact OLS risk, only the effective noise is needed
        return problem.restricted_noise(support) * (n - 1) / (n - size - 1)
    return dc_params(problem.restrict(support), n).gamma


def oracle_small_model_risk(problem, n: int, s: int) -> float:
    """Risk of the "small model": trained from scratch on the ``s`` features of largest oracle saliency."""
    problem = _check_problem(problem)
    return small_model_risk(problem, n, top_s_mask(problem.oracle_saliency(), s))


def _check_draws(draws) -> int:
    return check_int(draws, "draws (number of DC draws)", 2)


def _dc_draws(problem, n, draws, rng) -> np.ndarray:
    """``draws`` DC vectors, or the given array of DC vectors (shared between calls) after a shape check."""
    if isinstance(draws, np.ndarray):
        if draws.ndim != 2 or draws.shape[1] != problem.p or draws.shape[0] < 2:
            raise ValueError(f"draws given as an array must have shape (k >= 2, {problem.p}), got {draws.shape}")
        return check_array(draws, "draws")
    return dc_sample(problem, n, size=_check_draws(draws), rng=rng)


def _prune_masks(draws: np.ndarray, s: int, strategy: str, problem) -> np.ndarray:
    if strategy == "magnitude":
        return top_s_mask(np.abs(draws), s)
    if strategy == "hessian":
        return top_s_mask(problem.covariance_diag() * draws**2, s)
    if strategy == "oracle":
        return np.broadcast_to(top_s_mask(problem.oracle_saliency(), s), draws.shape)
    raise ValueError(f"strategy must be 'magnitude', 'hessian' or 'oracle', got {strategy!r}")


def dc_prune_risk_mc(problem, n: int, s: int, strategy: str = "magnitude", draws: int = 200, rng=0):
    r"""DC prediction of the pruned risk by Monte Carlo over DC vectors (Def. 4); any covariance.

    Draws ``draws`` DC vectors, prunes each in the original coordinates with
    ``strategy`` (``"magnitude"``, ``"hessian"`` using :math:`\Sigma_{ii}`, or
    ``"oracle"``), and returns ``(mean risk, standard error)``.  No training
    data are simulated.  ``draws`` may also be an array of DC vectors from
    :func:`dc_sample` (shape (k, p)), to share one set of draws between
    several sparsities, strategies and :func:`retrain_risk`.  Each pruned DC vector
    :math:`b_\Delta` (zero off the kept set :math:`\Delta`) is scored by its exact risk
    :math:`\mathcal L(b_\Delta)=\sigma^2+(b_\Delta-\beta)^\top\Sigma(b_\Delta-\beta)`.  Used in the
    chapter :doc:`/book/predicting_pruning` (and by :mod:`pruning_lab.random_features.curves`).

    Parameters
    ----------
    problem : pruning_lab.problems.LinearGaussianProblem
        The data model (diagonal or full covariance).
    n : int
        Training-set size of the min-norm solution whose DC law is drawn (unused when ``draws`` is
        an array).
    s : int
        Number of weights kept, ``0 <= s <= p``.
    strategy : str
        ``"magnitude"`` (largest :math:`|b_i|`), ``"hessian"`` (largest :math:`\Sigma_{ii}b_i^2`) or
        ``"oracle"`` (largest :math:`\Sigma_{ii}\beta_i^2`, the same set for every draw).
    draws : int or ndarray of shape (k, p)
        Number of DC vectors to draw (``>= 2``), or ``k >= 2`` DC vectors drawn beforehand.
    rng : numpy.random.Generator or int or None
        Randomness of the DC draws (unused when ``draws`` is an array).

    Returns
    -------
    tuple of float
        ``(mean, standard error)`` of :math:`\mathcal L(b_\Delta)` over the draws; the standard error
        is the Monte Carlo error of the prediction, treating the draws as independent.
    """
    problem, s = _check_problem(problem), check_sparsity(s, problem.p)
    b = _dc_draws(problem, n, draws, rng)
    risks = problem.population_risk(np.where(_prune_masks(b, s, strategy, problem), b, 0.0))
    return float(risks.mean()), float(risks.std(ddof=1) / np.sqrt(len(b)))


def retrain_risk(problem, n: int, s: int, strategy: str = "magnitude", draws: int = 200, rng=0, n_retrain=None):
    r"""Retraining DC (Def. 5): risk of train → prune → retrain on *fresh* samples.

    For each of ``draws`` DC vectors, the support :math:`\Delta` is chosen by
    ``strategy``; retraining on ``n_retrain`` (default ``n``) fresh samples has the
    expected risk :func:`small_model_risk` of the restricted problem.
    Returns ``(mean, standard error)`` over the draws (``draws``: a number,
    or an array of DC vectors as in :func:`dc_prune_risk_mc`).  Retraining on the
    *same* samples is not covered: its support depends on the data (see the
    chapter :doc:`/book/predicting_pruning` for the measured gap).

    Parameters
    ----------
    problem : pruning_lab.problems.LinearGaussianProblem
        The data model (diagonal or full covariance).
    n : int
        Training-set size of the min-norm solution whose DC law is drawn (unused when ``draws`` is
        an array), and the default retraining-set size.
    s : int
        Number of weights kept, ``0 <= s <= p``; ``s = 0`` returns ``(null risk, 0.0)``.
    strategy : str
        ``"magnitude"``, ``"hessian"`` or ``"oracle"``, as in :func:`dc_prune_risk_mc`.
    draws : int or ndarray of shape (k, p)
        Number of DC vectors to draw (``>= 2``), or ``k >= 2`` DC vectors drawn beforehand.
    rng : numpy.random.Generator or int or None
        Randomness of the DC draws (unused when ``draws`` is an array).
    n_retrain : int or None
        Size of the fresh retraining batch (``None``: ``n``).  At ``n_retrain - 1 <= s <= n_retrain``
        the risk is infinite and a ``ValueError`` is raised.

    Returns
    -------
    tuple of float
        ``(mean, standard error)`` over the draws of the expected risk of retraining on the kept
        support, treating the draws as independent.
    """
    problem, s = _check_problem(problem), check_sparsity(s, problem.p)
    b = _dc_draws(problem, n, draws, rng)
    if s == 0:
        return problem.null_risk(), 0.0
    n_retrain = n if n_retrain is None else _check_n(n_retrain)
    masks = _prune_masks(b, s, strategy, problem)
    risks = np.array([small_model_risk(problem, n_retrain, mask) for mask in masks])
    return float(risks.mean()), float(risks.std(ddof=1) / np.sqrt(len(b)))


# --------------------------------------------------------------------------- closed-form special cases
def isotropic_risk(kappa: float, r2: float, sigma: float) -> float:
    r"""Limiting risk of min-norm least squares for :math:`\Sigma=I`, :math:`\lVert\beta\rVert^2=r^2` :cite:`hastie2022surprises`.

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
