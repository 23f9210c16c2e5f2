r"""What pruning does under the DC: predicted risks of pruning, and of pruning then retraining.

The trained weights :math:`\hat\beta` (min-norm least squares, or ridge with penalty ``ridge``)
follow the DC law of :mod:`pruning_lab.dc.theory`: per coordinate
:math:`\hat\beta_i\approx m_i+\tau_ih_i`.  Pruning keeps the coordinates with the largest
scores; this module turns the law into the expected risk of the pruned weights, in closed form
(threshold and oracle pruning, diagonal :math:`\Sigma`, truncated-Gaussian moments) or by Monte
Carlo over DC vectors (any :math:`\Sigma`), and into the risk of retraining on the kept support
(the retraining DC).  Used in the chapters :doc:`/book/predicting_pruning` and
:doc:`/book/random_features`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import optimize, special

from ..prune import top_s_mask
from ..validation import check_array, check_int, check_nonnegative, check_sparsity
from .theory import _check_n, _check_problem, dc_marginals, dc_params, dc_sample, small_model_risk

__all__ = [
    "DC_STRATEGIES",
    "ThresholdRisk",
    "dc_prune_risk_mc",
    "oracle_prune_risk",
    "retrain_risk",
    "threshold_prune_risk",
    "threshold_risk",
]

#: Pruning strategies with a DC prediction (the threshold strategies "magnitude" and "hessian", and "oracle").
DC_STRATEGIES = ("magnitude", "hessian", "oracle")


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


def _threshold_law(problem, n: int, strategy: str, ridge: float):
    """Distinct (lambda, beta) groups with their counts, DC marginals and threshold scale; None if the law is a
    point."""
    if not problem.is_diagonal:
        raise ValueError(
            "the closed-form threshold risk needs a diagonal covariance; use dc_prune_risk_mc for correlated features"
        )
    if strategy not in ("magnitude", "hessian"):
        raise ValueError(f"strategy must be 'magnitude' or 'hessian', got {strategy!r}")
    m, tau = dc_marginals(problem, n, ridge=ridge)
    if np.all(tau == 0):  # no noise in the law (sigma = 0 and beta = 0): X = m deterministically
        return None
    if np.any(tau <= 0):
        raise ValueError("every feature needs a positive variance for the closed-form pruning risk")
    # Coordinates with the same (lambda, beta) share their law: work on the distinct ones, with counts.
    _, first_index, counts = np.unique(
        np.stack([problem.covariance, problem.beta], axis=1), axis=0, return_index=True, return_counts=True
    )
    lam, beta, m, tau = (a[first_index] for a in (problem.covariance, problem.beta, m, tau))
    scale = np.ones_like(lam) if strategy == "magnitude" else 1.0 / np.sqrt(lam)
    return lam, beta, m, tau, counts, scale


def _risk_at(problem, law, t: float) -> tuple[float, float]:
    lam, beta, m, tau, counts, scale = law
    keep, first, second = _truncated_moments(m, tau, t * scale)
    risk = problem.sigma**2 + np.dot(counts, lam * (beta**2 - 2 * beta * first + second))
    return float(np.dot(counts, keep)), float(risk)


def threshold_risk(problem, n: int, t: float, strategy: str = "magnitude", *, ridge: float = 0.0) -> ThresholdRisk:
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
    :math:`\Sigma` only.  ``ridge``: the penalty :math:`\mu` of the trained model (0: min-norm
    least squares), whose law :func:`~pruning_lab.dc.theory.dc_marginals` gives.
    """
    problem = _check_problem(problem)
    t = check_nonnegative(t, "t (the pruning threshold)")
    law = _threshold_law(problem, _check_n(n), strategy, ridge)
    if law is None:
        m = dc_marginals(problem, n, ridge=ridge)[0]
        keep = np.abs(m) > (t if strategy == "magnitude" else t / np.sqrt(problem.covariance))
        return ThresholdRisk(t, strategy, float(keep.sum()), problem.population_risk(np.where(keep, m, 0.0)))
    kept, risk = _risk_at(problem, law, t)
    return ThresholdRisk(t, strategy, kept, risk)


def threshold_prune_risk(problem, n: int, s: int, strategy: str = "magnitude", *, ridge: float = 0.0) -> float:
    r"""Predicted risk of magnitude or Hessian pruning to ``s`` weights, in closed form (eqs. (14)–(15), (64)–(65)).

    Keep coordinate :math:`i` iff :math:`|X_i|>t_i`, with :math:`t_i=t` (magnitude)
    or :math:`t_i=t/\sqrt{\lambda_i}` (Hessian: :math:`\lambda_iX_i^2>t^2`),
    the scalar :math:`t` chosen so that :math:`\sum_i\Pr(\text{keep}_i)=s`; then

    .. math:: \mathcal L=\sigma^2+\sum_i\lambda_i\,\mathbb E\big[(\beta_i-X_i\mathbb 1_{\text{keep},i})^2\big]

    with truncated-Gaussian moments (:func:`threshold_risk` at that :math:`t`).
    Diagonal :math:`\Sigma` only (use :func:`dc_prune_risk_mc` otherwise).  ``ridge``: the penalty
    :math:`\mu` of the trained model (0: min-norm least squares; :math:`\mu>0`: ridge, then prune).
    """
    problem = _check_problem(problem)
    law = _threshold_law(problem, n, strategy, ridge)
    s = check_sparsity(s, problem.p)
    if s == problem.p:
        return dc_params(problem, n, ridge=ridge).gamma
    if s == 0:
        return problem.null_risk()
    if law is None:
        m = dc_marginals(problem, n, ridge=ridge)[0]
        score = np.abs(m) if strategy == "magnitude" else problem.covariance * m**2
        return problem.population_risk(np.where(top_s_mask(score, s), m, 0.0))
    lam, beta, m, tau, counts, scale = law

    def excess_kept(log_t):
        return float(np.dot(counts, _truncated_moments(m, tau, np.exp(log_t) * scale)[0])) - s

    top = np.log(np.max((np.abs(m) + 40 * tau) / scale))
    log_t = optimize.brentq(excess_kept, top - 80.0, top, xtol=1e-13)
    return _risk_at(problem, law, float(np.exp(log_t)))[1]


def oracle_prune_risk(problem, n: int, s: int, *, ridge: float = 0.0) -> float:
    r"""Predicted risk of keeping :math:`\hat\beta` on the oracle top-``s`` set of :math:`\Sigma_{ii}\beta_i^2` (§3.5).

    .. math:: \mathcal L=\sigma^2+\sum_{i\notin\Delta^\star}\lambda_i\beta_i^2
              +\sum_{i\in\Delta^\star}\lambda_i\big((\beta_i-m_i)^2+\tau_i^2\big);

    diagonal :math:`\Sigma` only.  ``ridge``: the penalty :math:`\mu` of the trained model (0: min-norm).
    """
    problem = _check_problem(problem)
    if not problem.is_diagonal:
        raise ValueError("oracle_prune_risk needs a diagonal covariance; use dc_prune_risk_mc for correlated features")
    keep = top_s_mask(problem.oracle_saliency(), s)
    m, tau = dc_marginals(problem, n, ridge=ridge)
    lam, beta = problem.covariance, problem.beta
    per = np.where(keep, lam * ((beta - m) ** 2 + tau**2), lam * beta**2)
    return float(problem.sigma**2 + np.sum(per))


def _check_draws(draws) -> int:
    return check_int(draws, "draws (number of DC draws)", 2)


def _dc_draws(problem, n, draws, rng, ridge) -> np.ndarray:
    """``draws`` DC vectors, or the given array of DC vectors (shared between calls) after a shape check."""
    if isinstance(draws, np.ndarray):
        if draws.ndim != 2 or draws.shape[1] != problem.p or draws.shape[0] < 2:
            raise ValueError(f"draws given as an array must have shape (k >= 2, {problem.p}), got {draws.shape}")
        return check_array(draws, "draws")
    return dc_sample(problem, n, size=_check_draws(draws), rng=rng, ridge=ridge)


def _prune_masks(draws: np.ndarray, s: int, strategy: str, problem) -> np.ndarray:
    if strategy == "magnitude":
        return top_s_mask(np.abs(draws), s)
    if strategy == "hessian":
        return top_s_mask(problem.covariance_diag() * draws**2, s)
    if strategy == "oracle":
        return np.broadcast_to(top_s_mask(problem.oracle_saliency(), s), draws.shape)
    raise ValueError(f"strategy must be 'magnitude', 'hessian' or 'oracle', got {strategy!r}")


def dc_prune_risk_mc(
    problem, n: int, s: int, strategy: str = "magnitude", draws: int = 200, rng=0, *, ridge: float = 0.0
):
    r"""DC prediction of the pruned risk by Monte Carlo over DC vectors (Def. 4); any covariance.

    Draws ``draws`` DC vectors, prunes each in the original coordinates with
    ``strategy`` (``"magnitude"``, ``"hessian"`` using :math:`\Sigma_{ii}`, or
    ``"oracle"``), and returns ``(mean risk, standard error)``.  No training
    data are simulated.  ``draws`` may also be an array of DC vectors from
    :func:`~pruning_lab.dc.theory.dc_sample` (shape (k, p)), to share one set of draws between
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
    ridge : float
        Ridge penalty :math:`\mu\ge0` of the trained model (0: min-norm least squares), as in
        :func:`~pruning_lab.dc.theory.dc_params`.

    Returns
    -------
    tuple of float
        ``(mean, standard error)`` of :math:`\mathcal L(b_\Delta)` over the draws; the standard error
        is the Monte Carlo error of the prediction, treating the draws as independent.
    """
    problem, s = _check_problem(problem), check_sparsity(s, problem.p)
    b = _dc_draws(problem, n, draws, rng, ridge)
    risks = problem.population_risk(np.where(_prune_masks(b, s, strategy, problem), b, 0.0))
    return float(risks.mean()), float(risks.std(ddof=1) / np.sqrt(len(b)))


def retrain_risk(
    problem, n: int, s: int, strategy: str = "magnitude", draws: int = 200, rng=0, n_retrain=None, *, ridge: float = 0.0
):
    r"""Retraining DC (Def. 5): risk of train → prune → retrain on *fresh* samples.

    For each of ``draws`` DC vectors, the support :math:`\Delta` is chosen by
    ``strategy``; retraining on ``n_retrain`` (default ``n``) fresh samples has the
    expected risk :func:`~pruning_lab.dc.theory.small_model_risk` of the restricted problem.
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
    ridge : float
        Ridge penalty :math:`\mu\ge0` of the trained model (0: min-norm least squares), as in
        :func:`~pruning_lab.dc.theory.dc_params`.

    Returns
    -------
    tuple of float
        ``(mean, standard error)`` over the draws of the expected risk of retraining on the kept
        support, treating the draws as independent.
    """
    problem, s = _check_problem(problem), check_sparsity(s, problem.p)
    b = _dc_draws(problem, n, draws, rng, ridge)
    if s == 0:
        return problem.null_risk(), 0.0
    n_retrain = n if n_retrain is None else _check_n(n_retrain)
    masks = _prune_masks(b, s, strategy, problem)
    risks = np.array([small_model_risk(problem, n_retrain, mask) for mask in masks])
    return float(risks.mean()), float(risks.std(ddof=1) / np.sqrt(len(b)))
