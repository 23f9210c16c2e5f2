r"""Tests of pruning_lab.dc: the distributional characterization (DC) and the pruning risks it predicts.

Spec: ``distributional-characterization.md`` §3 (over-parameterized DC), §4
(eigen-rotation, retraining), §5 (under-parameterized DC, Lemma 1), §6.2 (E1,
E2) and §7 (sanity checks).

Kinds of checks and their tolerances
------------------------------------
* Closed forms (Hastie isotropic risk, :math:`\xi=\kappa-1`, two-level
  quadratic for :math:`\xi`, finite-p = asymptotic on the empirical law,
  algebraic identities, rotation invariance): relative 1e-9 or better.
* The E1 numbers of the chapter "Predicting pruning": to the digits it prints.
* DC vs its own Monte Carlo (``dc_sample``, ``dc_prune_risk_mc``): 4 standard
  errors, plus 0.5 % for top-s vs threshold pruning at finite p.
* DC vs simulation of the real pipeline (Gaussian data, min-norm training,
  pruning with the package operators, exact population risk):

  - per-group marginal mean of :math:`\hat\beta_i-m_i`: 4 s.e. of the
    per-trial group average; per-group s.d. of :math:`\hat\beta_i-m_i` vs
    :math:`\tau_i`: 3 % relative;
  - dense risk :math:`\gamma`: 3 % relative (E1, n = 400; isotropic, n = 200);
  - pruned risks on an E2-like curve (n = 200, s = 160, p = 1.5n..10n, away
    from the interpolation peak): median relative error over the curve <= 3 %
    and every point within 2 % + 4 s.e.;
  - retraining on a fresh batch, small models, under-parameterized OLS,
    correlated features: the larger of 3 % relative and 4 combined s.e.

Simulations run with one BLAS thread (``threadpoolctl``): the matrices are
small, and a multi-threaded BLAS on a busy 2-core machine is far slower.
Every random draw is seeded, so the outcomes are reproducible.
"""

import numpy as np
import pytest
from scipy import integrate

from pruning_lab import dc, lsq, pipeline
from pruning_lab import prune as P
from pruning_lab.dc import pruning as dc_pruning
from pruning_lab.dc.simulate import simulate_threshold_pruning
from pruning_lab.problems import (
    LinearGaussianProblem,
    equicorrelated_covariance,
    rank_one_spiked_covariance,
)

SIGMA = 0.5
STRATEGIES = ("magnitude", "hessian", "oracle")


# ------------------------------------------------------------------ problems
def _e1():
    """E1 of the chapter: p = 1000, 100 spikes of variance 10, n = 400, s = 100."""
    return LinearGaussianProblem.spiked(1000, 100, spike=10.0, beta_spike=0.1, beta_bulk=0.5 / 30, sigma=SIGMA)


def _e2_world(n_spike=40, P_world=8000):
    """E2 of the chapter scaled to n = 200: a world of P features, 40 spikes carrying half the signal."""
    lam = np.ones(P_world)
    lam[:n_spike] = 10.0
    beta = np.full(P_world, np.sqrt(1.0 / (P_world - n_spike)))
    beta[:n_spike] = 1.0 / np.sqrt(n_spike)
    return LinearGaussianProblem(beta, SIGMA, lam)


def _orthogonal(p, rng):
    q, r = np.linalg.qr(rng.standard_normal((p, p)))
    return q * np.sign(np.diag(r))


def _random_diagonal(p, seed):
    rng = np.random.default_rng(seed)
    return LinearGaussianProblem(rng.standard_normal(p) / np.sqrt(p), 0.3, rng.uniform(0.5, 5.0, p))


# ---------------------------------------------------------------- simulation
def _simulate(problem, n, s, trials, seed, strategies=STRATEGIES, retrain_n=None):
    """Monte Carlo of the real pipeline: min-norm on fresh Gaussian data, prune, exact risk.

    Returns a dict of risk arrays (shape (trials,)): ``dense``, one per
    strategy, and ``retrain`` (magnitude support, refit on ``retrain_n``
    fresh samples) when ``retrain_n`` is given.
    """
    rng = np.random.default_rng(seed)
    out = {k: np.empty(trials) for k in ("dense",) + tuple(strategies)}
    if retrain_n is not None:
        out["retrain"] = np.empty(trials)
    for t in range(trials):
        X, y = problem.sample(n, rng)
        w = lsq.min_norm_solution(X, y)
        out["dense"][t] = problem.population_risk(w)
        for strategy in strategies:
            pruned = pipeline.prune_weights(strategy, w, s, X=X, problem=problem)
            out[strategy][t] = problem.population_risk(pruned.weights)
        if retrain_n is not None:
            X2, y2 = problem.sample(retrain_n, rng)
            mask = P.magnitude_prune(w, s).mask
            out["retrain"][t] = problem.population_risk(lsq.restricted_fit(X2, y2, mask))
    return out


def _mean_se(x):
    x = np.asarray(x)
    return float(x.mean()), float(x.std(ddof=1) / np.sqrt(x.size))


def _assert_close_mc(theory, sim, label, rel=0.03, n_se=4.0, theory_se=0.0):
    """|theory - mean(sim)| <= max(rel * mean, n_se * combined standard error)."""
    mean, se = _mean_se(sim)
    tol = max(rel * abs(mean), n_se * np.hypot(se, theory_se))
    assert abs(theory - mean) <= tol, (
        f"{label}: theory {theory:.5g} vs simulation {mean:.5g} ± {se:.2g} (tol {tol:.2g})"
    )


def _assert_second_moment(d, target, label, rng=0, n_dir=8):
    """E[d d^T] = target, checked on every diagonal entry and on random directions u: (u^T d)^2 within 4 s.e."""
    U = np.r_[np.eye(target.shape[0]), np.random.default_rng(rng).standard_normal((n_dir, target.shape[0]))]
    proj2 = (d @ U.T) ** 2
    want = np.einsum("ki,ij,kj->k", U, target, U)
    z = (proj2.mean(axis=0) - want) / (proj2.std(axis=0, ddof=1) / np.sqrt(d.shape[0]))
    assert np.all(np.abs(z) <= 4), f"{label}: largest |z| = {np.abs(z).max():.2f}"


# ===================================================== closed forms
@pytest.mark.parametrize("kappa, expected", [(1.5, 1.0833333333), (2.0, 1.0), (4.0, 1.0833333333)])
def test_isotropic_closed_form_hastie(kappa, expected):
    r"""§7.1: Σ = I, ‖β‖ = 1, σ = 0.5 gives ξ = κ-1 and γ = σ²κ/(κ-1) + r²(κ-1)/κ."""
    n = 400
    p = int(kappa * n)
    beta = np.random.default_rng(0).standard_normal(p)
    beta /= np.linalg.norm(beta)
    params = dc.dc_params(LinearGaussianProblem.isotropic(beta, SIGMA), n)
    assert params.regime == "over" and (params.n, params.p) == (n, p)
    assert params.xi == pytest.approx(kappa - 1, rel=1e-10)
    assert params.gamma == pytest.approx(expected, rel=1e-9)
    assert dc.isotropic_risk(kappa, 1.0, SIGMA) == pytest.approx(expected, rel=1e-9)
    xi_a, gamma_a = dc.dc_params_asymptotic([1.0], [1.0], kappa, SIGMA)  # B^2 = r^2 = 1
    assert xi_a == pytest.approx(kappa - 1, rel=1e-10)
    assert gamma_a == pytest.approx(expected, rel=1e-9)


def test_isotropic_risk_under_parameterized_and_noiseless():
    assert dc.isotropic_risk(0.5, 1.0, SIGMA) == pytest.approx(SIGMA**2 / 0.5)
    assert dc.isotropic_risk(0.25, 3.0, 1.0) == pytest.approx(1 / 0.75)
    assert dc.isotropic_risk(3.0, 2.0, 0.0) == pytest.approx(2.0 * 2 / 3)


@pytest.mark.parametrize("p, n, c", [(300, 100, 1.0), (1000, 400, 1.0), (101, 100, 1.0), (500, 50, 7.5)])
def test_solve_xi_isotropic_is_kappa_minus_one(p, n, c):
    """For Σ = c·I the fixed point n = p c/(c+ξ) gives ξ = c(p/n - 1)."""
    assert dc.solve_xi(np.full(p, c), n) == pytest.approx(c * (p / n - 1), rel=1e-10)


def _two_level_xi(k, p, n, l1, l2):
    b = n * (l1 + l2) - k * l1 - (p - k) * l2
    return (-b + np.sqrt(b * b + 4 * n * (p - n) * l1 * l2)) / (2 * n)


@pytest.mark.parametrize(
    "k, p, n, l1, l2",
    [(100, 1000, 400, 10.0, 1.0), (5, 60, 20, 0.1, 3.0), (250, 300, 120, 2.0, 0.5), (1, 5000, 100, 1e3, 1.0)],
)
def test_two_level_spectrum_closed_form(k, p, n, l1, l2):
    """§7.3: with k entries λ1 and p-k entries λ2, ξ is the positive root of n ξ² + b ξ - (p-n) λ1 λ2."""
    lam = np.r_[np.full(k, l1), np.full(p - k, l2)]
    assert dc.solve_xi(lam, n) == pytest.approx(_two_level_xi(k, p, n, l1, l2), rel=1e-10)


def test_two_level_e1_value():
    assert dc.solve_xi(_e1().covariance, 400) == pytest.approx(1.8515073, abs=5e-8)
    assert _two_level_xi(100, 1000, 400, 10.0, 1.0) == pytest.approx(1.8515073, abs=5e-8)


# ============================================================ E1 numbers
def test_e1_numbers_of_the_spec():
    prob, n, s = _e1(), 400, 100
    assert prob.null_risk() == pytest.approx(10.5, rel=1e-12)
    params = dc.dc_params(prob, n)
    assert params.xi == pytest.approx(1.851507, abs=5e-7)
    assert params.gamma == pytest.approx(1.09934, abs=5e-6)
    m, tau = dc.dc_marginals(prob, n)
    assert m[0] / prob.beta[0] == pytest.approx(0.84377, abs=5e-6)
    assert m[-1] / prob.beta[-1] == pytest.approx(0.35069, abs=5e-6)
    assert tau[0] == pytest.approx(0.013988, abs=5e-7)
    assert tau[-1] == pytest.approx(0.018385, abs=5e-7)
    assert np.all(m[:100] == m[0]) and np.all(tau[100:] == tau[-1])
    assert dc.threshold_prune_risk(prob, n, s, "magnitude") == pytest.approx(1.1458, abs=5e-5)
    assert dc.threshold_prune_risk(prob, n, s, "hessian") == pytest.approx(0.93988, abs=5e-6)
    assert dc.oracle_prune_risk(prob, n, s) == pytest.approx(0.93973, abs=5e-6)
    assert dc.oracle_small_model_risk(prob, n, s) == pytest.approx(0.66722, abs=5e-6)
    # asymptotic small model sigma_D^2 / (1 - s/n) = 0.5 / 0.75
    sigma_d2 = SIGMA**2 + 900 * (0.5 / 30) ** 2
    assert sigma_d2 / (1 - s / n) == pytest.approx(0.66667, abs=5e-6)
    assert dc.oracle_small_model_risk(prob, n, s) == pytest.approx(sigma_d2 * (n - 1) / (n - s - 1), rel=1e-12)


def test_e1_asymptotic_law_with_weights():
    """The two-atom law of E1 (weights 0.1 / 0.9, B = √p β) gives the same (ξ, γ) as the finite-p form."""
    p = 1000
    xi, gamma = dc.dc_params_asymptotic([10.0, 1.0], [0.1 * np.sqrt(p), 0.5 / 30 * np.sqrt(p)], 2.5, SIGMA, [0.1, 0.9])
    params = dc.dc_params(_e1(), 400)
    assert xi == pytest.approx(params.xi, rel=1e-10)
    assert gamma == pytest.approx(params.gamma, rel=1e-10)


# =================================================== internal consistency of the DC
@pytest.mark.parametrize("p, n, seed", [(500, 200, 0), (120, 100, 1), (3000, 150, 2)])
def test_finite_p_equals_asymptotic_on_the_empirical_law(p, n, seed):
    prob = _random_diagonal(p, seed)
    params = dc.dc_params(prob, n)
    xi, gamma = dc.dc_params_asymptotic(prob.covariance, np.sqrt(p) * prob.beta, p / n, prob.sigma)
    assert xi == pytest.approx(params.xi, rel=1e-9)
    assert gamma == pytest.approx(params.gamma, rel=1e-9)
    assert dc.solve_xi(prob.covariance, n) == pytest.approx(params.xi, rel=1e-12)
    # (8) holds at the root
    assert np.sum(prob.covariance / (prob.covariance + params.xi)) == pytest.approx(n, rel=1e-10)


@pytest.mark.parametrize("p, n", [(1000, 400), (300, 100), (60, 200)])
def test_gamma_is_the_risk_of_the_dc_marginals(p, n):
    """E_h L(m + τ h) = σ² + Σ λ_i((β_i - m_i)² + τ_i²) equals γ exactly (algebra of (9)), both regimes."""
    prob = _random_diagonal(p, p)
    params = dc.dc_params(prob, n)
    m, tau = dc.dc_marginals(prob, n)
    lam, beta = prob.covariance, prob.beta
    risk = prob.sigma**2 + np.sum(lam * ((beta - m) ** 2 + tau**2))
    assert risk == pytest.approx(params.gamma, rel=1e-12)
    if p > n:
        np.testing.assert_allclose(m, lam / (lam + params.xi) * beta, rtol=1e-13)
        np.testing.assert_allclose(tau, np.sqrt(params.gamma / n * lam) / (lam + params.xi), rtol=1e-13)
    else:
        assert params.regime == "under" and params.xi == 0.0
        assert params.gamma == pytest.approx(prob.sigma**2 * (n - 1) / (n - p - 1), rel=1e-13)
        np.testing.assert_allclose(m, beta, rtol=0, atol=0)
        np.testing.assert_allclose(tau, prob.sigma / np.sqrt((n - p - 1) * lam), rtol=1e-13)


def _rank_one_problem(p=400, theta=50.0, seed=11):
    rng = np.random.default_rng(seed)
    cov = rank_one_spiked_covariance(rng.standard_normal(p), theta)
    return LinearGaussianProblem(rng.standard_normal(p) / np.sqrt(p), SIGMA, cov)


@pytest.mark.parametrize("case", ["e1", "rank_one", "under"])
def test_gamma_equals_expected_risk_of_dc_draws(case):
    """§7.4: E_h L(β̂^DC) = γ, by Monte Carlo on dc_sample (4 s.e.)."""
    prob, n = {"e1": (_e1(), 400), "rank_one": (_rank_one_problem(), 150), "under": (_random_diagonal(40, 3), 100)}[
        case
    ]
    draws = dc.dc_sample(prob, n, size=4000, rng=7)
    assert draws.shape == (4000, prob.p)
    mean, se = _mean_se(prob.population_risk(draws))
    gamma = dc.dc_params(prob, n).gamma
    assert abs(mean - gamma) <= 4 * se, (mean, se, gamma)


def test_dc_sample_is_reproducible_and_single_draw_shape():
    prob = _e1()
    a = dc.dc_sample(prob, 400, rng=3)
    assert a.shape == (prob.p,)
    np.testing.assert_array_equal(a, dc.dc_sample(prob, 400, rng=3))
    np.testing.assert_array_equal(
        dc.dc_sample(prob, 400, size=2, rng=np.random.default_rng(4)), dc.dc_sample(prob, 400, size=2, rng=4)
    )
    assert not np.array_equal(a, dc.dc_sample(prob, 400, rng=4))


def test_dc_sample_moments_match_dc_marginals_for_correlated_features():
    """Draws of the rotated DC (Def. 4) have the mean and covariance (Σ+ξI)^{-1}Σβ and (γ/n)(Σ+ξI)^{-2}Σ."""
    p, n = 30, 12
    rng = np.random.default_rng(5)
    A = rng.standard_normal((p, p))
    cov = A @ A.T / p + 0.2 * np.eye(p)
    prob = LinearGaussianProblem(rng.standard_normal(p) / np.sqrt(p), 0.4, cov)
    params = dc.dc_params(prob, n)
    inv = np.linalg.inv(cov + params.xi * np.eye(p))
    mean = inv @ cov @ prob.beta
    covar = params.gamma / n * inv @ cov @ inv
    m, tau = dc.dc_marginals(prob, n)
    np.testing.assert_allclose(m, mean, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(tau, np.sqrt(np.diag(covar)), rtol=1e-9)
    draws = dc.dc_sample(prob, n, size=40000, rng=6)
    z = (draws.mean(0) - mean) / (tau / np.sqrt(draws.shape[0]))
    assert np.all(np.abs(z) <= 4.5)
    _assert_second_moment(draws - mean, covar, "rotated DC draws")


def test_under_parameterized_dc_sample_second_moments():
    """Def. 6: β̂^DC - β has second moment σ² Σ^{-1}/(n-p-1), the exact OLS value E(XᵀX)^{-1}σ², any Σ."""
    p, n = 20, 60
    rng = np.random.default_rng(8)
    A = rng.standard_normal((p, p))
    cov = A @ A.T / p + 0.5 * np.eye(p)
    prob = LinearGaussianProblem(rng.standard_normal(p), 0.7, cov)
    params = dc.dc_params(prob, n)
    assert params.regime == "under" and params.gamma == pytest.approx(0.49 * (n - 1) / (n - p - 1), rel=1e-13)
    target = 0.49 * np.linalg.inv(cov) / (n - p - 1)
    m, tau = dc.dc_marginals(prob, n)
    np.testing.assert_allclose(m, prob.beta, rtol=1e-9)
    np.testing.assert_allclose(tau**2, np.diag(target), rtol=1e-9)
    d = dc.dc_sample(prob, n, size=40000, rng=9) - prob.beta
    assert np.all(np.abs(d.mean(0)) <= 4.5 * tau / np.sqrt(d.shape[0]))
    _assert_second_moment(d, target, "under-parameterized DC draws")
    # and the real OLS error has the same second moment (simulation)
    errs = []
    sim_rng = np.random.default_rng(10)
    for _ in range(3000):
        X, y = prob.sample(n, sim_rng)
        errs.append(lsq.min_norm_solution(X, y) - prob.beta)
    _assert_second_moment(np.array(errs), target, "simulated OLS errors")


def test_rotation_invariance():
    """A diagonal problem rotated by an orthogonal V has the same ξ, γ; its marginals are those of V·DC."""
    p, n = 200, 80
    diag = _random_diagonal(p, 12)
    V = _orthogonal(p, np.random.default_rng(13))
    cov = V @ np.diag(diag.covariance) @ V.T
    rot = LinearGaussianProblem(V @ diag.beta, diag.sigma, (cov + cov.T) / 2)
    a, b = dc.dc_params(diag, n), dc.dc_params(rot, n)
    assert b.xi == pytest.approx(a.xi, rel=1e-9)
    assert b.gamma == pytest.approx(a.gamma, rel=1e-9)
    m, tau = dc.dc_marginals(diag, n)
    m_rot, tau_rot = dc.dc_marginals(rot, n)
    np.testing.assert_allclose(m_rot, V @ m, rtol=1e-7, atol=1e-12)
    np.testing.assert_allclose(tau_rot**2, (V**2) @ tau**2, rtol=1e-8)
    # the risk of a DC draw is rotation invariant in law
    r_diag = _mean_se(diag.population_risk(dc.dc_sample(diag, n, size=3000, rng=1)))
    r_rot = _mean_se(rot.population_risk(dc.dc_sample(rot, n, size=3000, rng=2)))
    assert abs(r_diag[0] - r_rot[0]) <= 4 * np.hypot(r_diag[1], r_rot[1])


def test_truncated_gaussian_moments_against_quadrature():
    """Closed forms of P(|X|>t), E[X 1], E[X² 1] for X ~ N(m, τ²), vs numerical integration."""
    rng = np.random.default_rng(14)
    for m, tau, t in zip(rng.normal(0, 1, 8), rng.uniform(0.05, 2, 8), rng.uniform(0, 2, 8)):
        keep, first, second = dc_pruning._truncated_moments(np.array(m), np.array(tau), np.array(t))

        def pdf(x, m=m, tau=tau):
            return np.exp(-0.5 * ((x - m) / tau) ** 2) / (tau * np.sqrt(2 * np.pi))

        for k, value in enumerate((keep, first, second)):
            lo = integrate.quad(lambda x, k=k: x**k * pdf(x), -np.inf, -t)[0]
            hi = integrate.quad(lambda x, k=k: x**k * pdf(x), t, np.inf)[0]
            assert value == pytest.approx(lo + hi, rel=1e-7, abs=1e-10)


# ============================================ limits
@pytest.mark.parametrize("prob, n", [(_e1(), 400), (_random_diagonal(60, 15), 200)], ids=["over", "under"])
def test_limits_s_equals_p_and_s_zero(prob, n):
    gamma, null = dc.dc_params(prob, n).gamma, prob.null_risk()
    p = prob.p
    for strategy in ("magnitude", "hessian"):
        assert dc.threshold_prune_risk(prob, n, p, strategy) == pytest.approx(gamma, rel=1e-12)
        assert dc.threshold_prune_risk(prob, n, 0, strategy) == pytest.approx(null, rel=1e-12)
        # continuity: dropping one weight, or keeping one, moves the risk by O(1/p)
        assert dc.threshold_prune_risk(prob, n, p - 1, strategy) == pytest.approx(gamma, rel=0.02)
    assert dc.oracle_prune_risk(prob, n, p) == pytest.approx(gamma, rel=1e-12)
    assert dc.oracle_prune_risk(prob, n, 0) == pytest.approx(null, rel=1e-12)
    for strategy in STRATEGIES:
        assert dc.dc_prune_risk_mc(prob, n, 0, strategy, draws=20) == (pytest.approx(null, rel=1e-12), 0.0)
        mean, se = dc.dc_prune_risk_mc(prob, n, p, strategy, draws=2000, rng=3)
        assert abs(mean - gamma) <= 4 * se
    assert dc.retrain_risk(prob, n, 0) == (pytest.approx(null, rel=1e-12), 0.0)
    mean, se = dc.retrain_risk(prob, n, p, draws=3)
    assert mean == pytest.approx(gamma, rel=1e-12) and se == pytest.approx(0.0, abs=1e-12)
    assert dc.small_model_risk(prob, n, np.arange(p)) == pytest.approx(gamma, rel=1e-12)


def test_noiseless_zero_signal_has_zero_risk():
    prob = LinearGaussianProblem(np.zeros(50), 0.0, np.ones(50))
    assert dc.dc_params(prob, 20).gamma == 0.0
    assert dc.oracle_prune_risk(prob, 20, 5) == 0.0
    assert dc.dc_prune_risk_mc(prob, 20, 5) == (0.0, 0.0)
    assert np.all(dc.dc_sample(prob, 20, size=3, rng=0) == 0.0)


def test_threshold_prune_risk_noiseless_zero_signal():
    prob = LinearGaussianProblem(np.zeros(50), 0.0, np.ones(50))
    assert dc.threshold_prune_risk(prob, 20, 5, "magnitude") == 0.0


# ============================================ closed form vs DC Monte Carlo (same DC, no data)
def _e1_random_beta():
    """§7.10: E1 with random β (spikes N(0, 1/100), bulk N(0, 0.25/900))."""
    rng = np.random.default_rng(16)
    beta = np.r_[rng.normal(0, 0.1, 100), rng.normal(0, 0.5 / 30, 900)]
    return LinearGaussianProblem(beta, SIGMA, _e1().covariance)


@pytest.mark.parametrize("make", [_e1, _e1_random_beta], ids=["e1", "e1_random_beta"])
@pytest.mark.parametrize("strategy", ["magnitude", "hessian", "oracle"])
def test_closed_form_matches_dc_monte_carlo(make, strategy):
    """Threshold/oracle closed forms vs top-s pruning of 3000 DC draws: 4 s.e. + 0.5 % (top-s vs threshold)."""
    prob, n, s = make(), 400, 100
    closed = dc.oracle_prune_risk(prob, n, s) if strategy == "oracle" else dc.threshold_prune_risk(prob, n, s, strategy)
    mean, se = dc.dc_prune_risk_mc(prob, n, s, strategy, draws=3000, rng=17)
    assert abs(closed - mean) <= 4 * se + 0.005 * closed, (closed, mean, se)


# ============================================ DC vs simulation: E1 (n = 400)
@pytest.fixture(scope="module")
def e1_simulation():
    """100 min-norm fits on E1 data (n = 400, p = 1000); pruned to s = 100; fresh-batch retraining."""
    prob, n, s, trials = _e1(), 400, 100, 100
    rng = np.random.default_rng(20)
    betas = np.empty((trials, prob.p))
    risks = {k: np.empty(trials) for k in ("dense", "retrain") + STRATEGIES}
    for t in range(trials):
        X, y = prob.sample(n, rng)
        w = betas[t] = lsq.min_norm_solution(X, y)
        risks["dense"][t] = prob.population_risk(w)
        for strategy in STRATEGIES:
            risks[strategy][t] = prob.population_risk(pipeline.prune_weights(strategy, w, s, X=X, problem=prob).weights)
        X2, y2 = prob.sample(n, rng)
        risks["retrain"][t] = prob.population_risk(lsq.restricted_fit(X2, y2, P.magnitude_prune(w, s).mask))
    return prob, n, s, betas, risks


@pytest.mark.slow
def test_dc_marginals_match_simulated_min_norm_solutions(e1_simulation):
    """Per covariance group: mean of β̂_i - m_i within 4 s.e. of 0; s.d. of β̂_i - m_i within 3 % of τ_i (§7.13)."""
    prob, n, _, betas, _ = e1_simulation
    m, tau = dc.dc_marginals(prob, n)
    dev = betas - m
    for group in (slice(0, 100), slice(100, None)):
        d = dev[:, group]
        per_trial = d.mean(axis=1)  # coordinates of one fit are dependent: s.e. from the per-trial averages
        assert abs(per_trial.mean()) <= 4 * per_trial.std(ddof=1) / np.sqrt(per_trial.size)
        assert d.std() == pytest.approx(tau[group][0], rel=0.03)
        # the shrinkage factor itself: E β̂_i / β_i = λ/(λ+ξ), to 2 % of the factor
        factor = betas[:, group].mean() / prob.beta[group][0]
        assert factor == pytest.approx(m[group][0] / prob.beta[group][0], rel=0.02)


@pytest.mark.slow
@pytest.mark.parametrize("strategy", ["magnitude", "hessian"])
def test_threshold_risk_at_explicit_thresholds_matches_simulation(e1_simulation, strategy):
    """Pruning at a fixed t: the expected kept count within 2 % (+1) and the risk within 4 s.e. + 3 % of simulation."""
    prob, n, _, betas, _ = e1_simulation
    ts = [0.02, 0.05, 0.07, 0.09]
    sim = simulate_threshold_pruning(prob, betas, ts, strategy)
    for j, t in enumerate(ts):
        th = dc.threshold_risk(prob, n, t, strategy)
        assert (th.threshold, th.strategy) == (t, strategy)
        assert abs(th.expected_kept - sim["kept"][j]) <= 0.02 * sim["kept"][j] + 1.0, (t, th, sim["kept"][j])
        assert abs(th.risk - sim["risk"][j]) <= 4 * sim["risk_sem"][j] + 0.03 * th.risk, (t, th, sim["risk"][j])


@pytest.mark.parametrize("make, n", [(_e1, 400), (_e1_random_beta, 400)], ids=["e1", "e1_random_beta"])
@pytest.mark.parametrize("strategy", ["magnitude", "hessian"])
def test_threshold_risk_limits_and_consistency_with_threshold_prune_risk(make, n, strategy):
    """t = 0 keeps everything (dense risk); a huge t keeps nothing (null risk); kept count decreases in t;
    at the t where the expected count is s, the risk is threshold_prune_risk(s)."""
    prob = make()
    dense = dc.threshold_risk(prob, n, 0.0, strategy)
    assert dense.expected_kept == pytest.approx(prob.p) and dense.risk == pytest.approx(dc.dc_params(prob, n).gamma)
    empty = dc.threshold_risk(prob, n, 1e3, strategy)
    assert empty.expected_kept == pytest.approx(0.0, abs=1e-12) and empty.risk == pytest.approx(prob.null_risk())
    ts = np.linspace(0.0, 0.2, 41)
    kept = np.array([dc.threshold_risk(prob, n, t, strategy).expected_kept for t in ts])
    assert np.all(np.diff(kept) <= 1e-9)
    # bisection on t for an expected count of 100: the risk must equal the closed form matched to s = 100
    from scipy.optimize import brentq

    t100 = brentq(lambda t: dc.threshold_risk(prob, n, t, strategy).expected_kept - 100, 1e-6, 10.0, xtol=1e-14)
    assert dc.threshold_risk(prob, n, t100, strategy).risk == pytest.approx(
        dc.threshold_prune_risk(prob, n, 100, strategy), rel=1e-8
    )


def test_threshold_risk_noiseless_point_law():
    """sigma = 0 and beta = 0: the law is the point 0, nothing is kept at t > 0, and the risk is 0."""
    prob = LinearGaussianProblem(np.zeros(30), 0.0, np.ones(30))
    out = dc.threshold_risk(prob, 10, 0.1)
    assert out.expected_kept == 0.0 and out.risk == 0.0


@pytest.mark.slow
def test_dense_risk_gamma_matches_simulation_e1(e1_simulation):
    prob, n, _, _, risks = e1_simulation
    _assert_close_mc(dc.dc_params(prob, n).gamma, risks["dense"], "E1 dense", rel=0.03)


@pytest.mark.slow
def test_e1_pruned_and_retrained_risks_match_simulation(e1_simulation):
    """E1 pruned risks (5 %: a 2.6 % finite-n gap was measured for magnitude) and fresh retraining (4 s.e.)."""
    prob, n, s, _, risks = e1_simulation
    _assert_close_mc(dc.threshold_prune_risk(prob, n, s, "magnitude"), risks["magnitude"], "E1 magnitude", rel=0.05)
    _assert_close_mc(dc.threshold_prune_risk(prob, n, s, "hessian"), risks["hessian"], "E1 hessian", rel=0.05)
    _assert_close_mc(dc.oracle_prune_risk(prob, n, s), risks["oracle"], "E1 oracle", rel=0.05)
    mean, se = dc.retrain_risk(prob, n, s, draws=200, rng=21)
    _assert_close_mc(mean, risks["retrain"], "E1 fresh retrain", rel=0.03, theory_se=se)


def test_isotropic_mean_and_risk_match_simulation():
    """§7.2: E β̂ = (n/p) β exactly (X†X is a random rank-n projection); dense risk within 3 %."""
    p, n, trials = 400, 200, 300
    rng = np.random.default_rng(22)
    beta = rng.standard_normal(p)
    beta /= np.linalg.norm(beta)
    prob = LinearGaussianProblem.isotropic(beta, SIGMA)
    m, tau = dc.dc_marginals(prob, n)
    np.testing.assert_allclose(m, n / p * beta, rtol=1e-12)
    fits = np.empty((trials, p))
    for t in range(trials):
        fits[t] = lsq.min_norm_solution(*prob.sample(n, rng))
    se = fits.std(axis=0, ddof=1) / np.sqrt(trials)
    z = (fits.mean(axis=0) - m) / se
    assert np.mean(np.abs(z) > 3.5) < 0.01  # a wrong mean factor would shift every coordinate
    assert fits.mean(axis=0) @ beta == pytest.approx(n / p, rel=0.02)
    assert fits.std(axis=0).mean() == pytest.approx(tau[0], rel=0.03)
    gamma = dc.dc_params(prob, n).gamma
    assert gamma == pytest.approx(dc.isotropic_risk(p / n, 1.0, SIGMA), rel=1e-10)
    _assert_close_mc(gamma, prob.population_risk(fits), "isotropic dense", rel=0.03)


# ============================================ DC vs simulation: pruning curve (E2-like, n = 200)
E2_N, E2_S, E2_TRIALS = 200, 160, 80
E2_PS = (300, 400, 600, 1000, 2000)


@pytest.fixture(scope="module")
def e2_curve():
    world = _e2_world()
    rows = []
    for j, p in enumerate(E2_PS):
        prob = world.restrict(np.arange(p))
        rows.append((prob, _simulate(prob, E2_N, E2_S, E2_TRIALS, seed=100 + j)))
    return rows


def _theory(prob, n, s, strategy):
    if strategy == "oracle":
        return dc.oracle_prune_risk(prob, n, s)
    return dc.threshold_prune_risk(prob, n, s, strategy)


@pytest.mark.slow
@pytest.mark.parametrize("strategy", STRATEGIES)
def test_pruning_risk_predictions_match_simulation_on_a_curve(e2_curve, strategy):
    """Median relative error <= 3 % over p = 1.5n..10n; each point within 2 % + 4 s.e."""
    errors = []
    for prob, sim in e2_curve:
        theory = _theory(prob, E2_N, E2_S, strategy)
        mean, se = _mean_se(sim[strategy])
        assert abs(theory - mean) <= 0.02 * mean + 4 * se, (prob.p, theory, mean, se)
        errors.append(abs(theory - mean) / mean)
    assert np.median(errors) <= 0.03, errors


@pytest.mark.slow
def test_dense_risk_matches_simulation_on_the_curve(e2_curve):
    for prob, sim in e2_curve:
        _assert_close_mc(dc.dc_params(prob, E2_N).gamma, sim["dense"], f"E2 dense p={prob.p}", rel=0.03)


def test_curve_has_the_sparse_double_descent_shape():
    """E2 (the chapter's world A, n = 100, s = 80): the pruned risk falls after the peak, is lowest near p = 3n, then
    rises."""
    world, n, s = _e2_world(n_spike=20, P_world=4000), 100, 80
    mag = {p: dc.threshold_prune_risk(world.restrict(np.arange(p)), n, s, "magnitude") for p in (120, 300, 4000)}
    assert mag[300] < mag[120] and mag[300] < mag[4000]
    assert mag[300] == pytest.approx(2.36, abs=0.005)
    assert dc.threshold_prune_risk(world.restrict(np.arange(300)), n, s, "hessian") == pytest.approx(2.35, abs=0.005)
    assert dc.oracle_prune_risk(world.restrict(np.arange(300)), n, s) == pytest.approx(2.07, abs=0.005)
    assert dc.dc_params(world.restrict(np.arange(300)), n).gamma == pytest.approx(2.55, abs=0.005)
    assert world.null_risk() == pytest.approx(11.25, rel=1e-12)
    # the small model trained on the first 80 features (all 20 spikes): 6.17 would be the asymptotic
    # sigma_D^2 / (1 - s/n); the package returns the exact Gaussian-design value sigma_D^2 (n-1)/(n-s-1)
    noise2 = SIGMA**2 + (4000 - 80) / 3980
    assert noise2 / (1 - s / n) == pytest.approx(6.17, abs=0.005)
    assert dc.small_model_risk(world, n, np.arange(s)) == pytest.approx(noise2 * (n - 1) / (n - s - 1), rel=1e-12)
    assert dc.small_model_risk(world, n, np.arange(s)) > 2.6 * mag[300]


@pytest.mark.slow
@pytest.mark.parametrize("strategy", STRATEGIES)
def test_closed_form_matches_dc_monte_carlo_on_the_curve(strategy):
    world = _e2_world()
    for p in E2_PS:
        prob = world.restrict(np.arange(p))
        closed = _theory(prob, E2_N, E2_S, strategy)
        mean, se = dc.dc_prune_risk_mc(prob, E2_N, E2_S, strategy, draws=400, rng=p)
        assert abs(closed - mean) <= 4 * se + 0.005 * closed, (p, closed, mean, se)


def test_hessian_weighting_matters_and_is_predicted():
    """A spectrum where Hessian and magnitude pruning differ by 20 % (moderate spikes carrying weak weights).

    On E1/E2 the spikes are kept by both strategies, so a wrong Hessian weighting
    (e.g. λ|X| instead of √λ|X|) would go unnoticed there; here it moves the
    prediction by 6 %.  Tolerance: 3 % or 4 s.e. over 150 simulated fits.
    """
    prob, n, s = (
        LinearGaussianProblem.spiked(600, 100, spike=4.0, beta_spike=0.06, beta_bulk=0.03, sigma=SIGMA),
        200,
        100,
    )
    sim = _simulate(prob, n, s, 150, seed=40)
    mag, hes = dc.threshold_prune_risk(prob, n, s, "magnitude"), dc.threshold_prune_risk(prob, n, s, "hessian")
    assert mag > 1.15 * hes
    _assert_close_mc(mag, sim["magnitude"], "magnitude", rel=0.03)
    _assert_close_mc(hes, sim["hessian"], "hessian", rel=0.03)
    _assert_close_mc(dc.oracle_prune_risk(prob, n, s), sim["oracle"], "oracle", rel=0.03)


# ============================================ under-parameterized regime
@pytest.mark.slow
def test_under_parameterized_risks_match_ols_simulation():
    """§7.5: E L(OLS) = σ²(n-1)/(n-p-1); pruned OLS risks predicted with m = β, τ² = σ²/((n-p-1)λ)."""
    prob = LinearGaussianProblem.spiked(50, 10, spike=10.0, beta_spike=0.3, beta_bulk=0.05, sigma=SIGMA)
    n, s = 100, 20
    params = dc.dc_params(prob, n)
    assert params.regime == "under"
    assert params.gamma == pytest.approx(SIGMA**2 * (n - 1) / (n - 50 - 1), rel=1e-13)
    sim = _simulate(prob, n, s, 2000, seed=23)
    _assert_close_mc(params.gamma, sim["dense"], "OLS dense", rel=0.0)  # exact: 4 s.e. only
    for strategy in STRATEGIES:
        _assert_close_mc(_theory(prob, n, s, strategy), sim[strategy], f"OLS {strategy}", rel=0.03)


# ============================================ retraining and small models
@pytest.mark.slow
@pytest.mark.parametrize("n_retrain", [400, 100], ids=["s<n_retrain", "s>n_retrain"])
def test_retrain_risk_matches_fresh_batch_simulation(n_retrain):
    """Train on n = 200 (p = 600, E2-like), magnitude-prune to s = 160, refit on a fresh batch."""
    prob, n, s = _e2_world().restrict(np.arange(600)), E2_N, E2_S
    sim = _simulate(prob, n, s, 200, seed=24, strategies=(), retrain_n=n_retrain)
    mean, se = dc.retrain_risk(prob, n, s, "magnitude", draws=200, rng=25, n_retrain=n_retrain)
    _assert_close_mc(mean, sim["retrain"], f"fresh retrain n_retrain={n_retrain}", rel=0.03, theory_se=se)


@pytest.mark.parametrize("size, n", [(100, 400), (300, 150)], ids=["s<n-1", "s>n"])
def test_small_model_risk_matches_simulation(size, n):
    """Least squares on a fixed support of E1 features (first `size`): exact for s < n-1, DC for s > n."""
    prob = _e1()
    support = np.arange(size)
    theory = dc.small_model_risk(prob, n, support)
    if size < n - 1:
        noise2 = prob.sigma**2 + np.sum(prob.covariance[size:] * prob.beta[size:] ** 2)
        assert theory == pytest.approx(noise2 * (n - 1) / (n - size - 1), rel=1e-12)
    rng = np.random.default_rng(26)
    risks = [prob.population_risk(lsq.restricted_fit(*prob.sample(n, rng), support)) for _ in range(300)]
    _assert_close_mc(theory, risks, f"small model s={size}, n={n}", rel=0.03)


def test_small_model_risk_on_correlated_features_uses_the_best_restricted_predictor():
    """Def. 5: a support of correlated features sees β*_Δ = Σ_ΔΔ^{-1}(Σβ)_Δ and a larger noise σ_Δ."""
    p = 40
    rng = np.random.default_rng(27)
    cov = equicorrelated_covariance(p, 0.6)
    prob = LinearGaussianProblem(rng.standard_normal(p) / np.sqrt(p), SIGMA, cov)
    support = np.arange(10)
    n = 100
    theory = dc.small_model_risk(prob, n, support)
    c = (cov @ prob.beta)[support]
    noise2 = SIGMA**2 + prob.beta @ cov @ prob.beta - c @ np.linalg.solve(cov[np.ix_(support, support)], c)
    assert theory == pytest.approx(noise2 * (n - 1) / (n - 10 - 1), rel=1e-10)
    risks = [prob.population_risk(lsq.restricted_fit(*prob.sample(n, rng), support)) for _ in range(1000)]
    _assert_close_mc(theory, risks, "correlated small model", rel=0.0)


# ============================================ general covariance
@pytest.mark.slow
def test_rank_one_spiked_problem_matches_simulation():
    """Rotated DC (Def. 4) on Σ = I + 50 uuᵀ: dense γ and DC Monte Carlo pruned risks vs the real pipeline."""
    prob, n, s = _rank_one_problem(p=600, seed=28), 200, 60
    sim = _simulate(prob, n, s, 60, seed=29, strategies=("magnitude", "hessian"))
    _assert_close_mc(dc.dc_params(prob, n).gamma, sim["dense"], "rank-one dense", rel=0.03)
    for strategy in ("magnitude", "hessian"):
        mean, se = dc.dc_prune_risk_mc(prob, n, s, strategy, draws=400, rng=30)
        _assert_close_mc(mean, sim[strategy], f"rank-one {strategy}", rel=0.03, theory_se=se)


def test_equicorrelated_problem_dense_risk_matches_simulation():
    p, n = 300, 100
    rng = np.random.default_rng(31)
    prob = LinearGaussianProblem(rng.standard_normal(p) / np.sqrt(p), SIGMA, equicorrelated_covariance(p, 0.5))
    sim = _simulate(prob, n, 30, 100, seed=32, strategies=())
    _assert_close_mc(dc.dc_params(prob, n).gamma, sim["dense"], "equicorrelated dense", rel=0.03)


def test_oracle_rule_of_dc_monte_carlo_is_deterministic_support():
    """For the oracle strategy the DC Monte Carlo has the closed form of oracle_prune_risk as its mean (diagonal Σ)."""
    prob = _random_diagonal(300, 33)
    mean, se = dc.dc_prune_risk_mc(prob, 100, 40, "oracle", draws=3000, rng=34)
    assert abs(mean - dc.oracle_prune_risk(prob, 100, 40)) <= 4 * se


# ============================================ Lemma 1
@pytest.mark.parametrize("p, s, n", [(40, 10, 12), (8, 3, 30), (50, 50, 8)])
def test_lemma1_matches_simulation_with_perfectly_correlated_features(p, s, n):
    """x = g·1: prune-only keeps s equal entries of β̂ = (c/p)1; retraining refits them. 4 s.e. over 5000 data sets."""
    rng = np.random.default_rng(p + 100 * s + 10000 * n)
    beta = rng.standard_normal(p) / np.sqrt(p)
    sigma = 0.8
    prob = LinearGaussianProblem(beta, sigma, equicorrelated_covariance(p, 1.0))
    prune_only, retrained = dc.lemma1_risks(p, s, n, sigma, beta.sum())
    trials = 5000
    keep = np.arange(s)
    pruned_excess, retrained_excess = np.empty(trials), np.empty(trials)
    for t in range(trials):
        g = rng.standard_normal(n)
        X = np.repeat(g[:, None], p, axis=1)  # every feature equals the same Gaussian
        y = X @ beta + sigma * rng.standard_normal(n)
        w = lsq.min_norm_solution(X, y)
        assert np.ptp(w) <= 1e-9 * max(np.abs(w).max(), 1.0)  # all entries equal: any s may be kept
        pruned = np.zeros(p)
        pruned[keep] = w[keep]
        pruned_excess[t] = prob.population_risk(pruned) - sigma**2
        retrained_excess[t] = prob.population_risk(lsq.restricted_fit(X, y, keep)) - sigma**2
    for theory, sim in ((prune_only, pruned_excess), (retrained, retrained_excess)):
        mean, se = _mean_se(sim)
        assert abs(theory - mean) <= 4 * se, (theory, mean, se)
    S = beta.sum()
    assert prune_only == pytest.approx((1 - s / p) ** 2 * S**2 + (s / p) ** 2 * sigma**2 / (n - 2), rel=1e-12)
    assert retrained == pytest.approx(sigma**2 / (n - 2), rel=1e-12)


def test_lemma1_edge_values():
    assert dc.lemma1_risks(10, 10, 5, 0.5, 2.0) == pytest.approx((0.25 / 3, 0.25 / 3))  # s = p: dense model
    assert dc.lemma1_risks(10, 0, 5, 0.5, 2.0) == pytest.approx((4.0, 4.0))  # s = 0: zero model
    assert dc.lemma1_risks(10, 5, 5, 0.0, 2.0) == pytest.approx((1.0, 0.0))  # noiseless


def test_lemma1_through_linear_gaussian_problem_sample():
    p, n = 10, 30
    prob = LinearGaussianProblem(np.full(p, 0.1), 0.5, equicorrelated_covariance(p, 1.0))
    X, y = prob.sample(n, 0)
    w = lsq.min_norm_solution(X, y)
    assert np.ptp(w) <= 1e-8 * np.abs(w).max()
    assert prob.population_risk(w) < 10 * prob.null_risk()


def test_dc_params_rank_deficient_covariance_raises():
    prob = LinearGaussianProblem(np.full(40, 0.1), 0.5, equicorrelated_covariance(40, 1.0))
    with pytest.raises(ValueError, match="no root"):
        dc.dc_params(prob, 10)


# ============================================ bad inputs
def _diag(p=50):
    return LinearGaussianProblem(np.full(p, 0.1), SIGMA, np.ones(p))


def _corr(p=50):
    return LinearGaussianProblem(np.full(p, 0.1), SIGMA, equicorrelated_covariance(p, 0.3))


@pytest.mark.parametrize(
    "call, match",
    [
        # fixed point (8) needs p > n
        (lambda: dc.solve_xi(np.ones(5), 5), r"p > n"),
        (lambda: dc.solve_xi(np.ones(5), 10), r"p > n"),
        (lambda: dc.solve_xi(np.r_[np.ones(5), np.zeros(10)], 8), r"nonzero-variance"),
        (lambda: dc.solve_xi(np.r_[np.ones(20), -1.0], 5), r"lams .*>= 0"),
        (lambda: dc.solve_xi(np.r_[np.ones(20), np.nan], 5), r"NaN"),
        (lambda: dc.solve_xi(np.ones((4, 5)), 2), r"1-D"),
        (lambda: dc.solve_xi(np.ones(20), 0), r"n \(number of training samples\) must be a positive integer"),
        (lambda: dc.solve_xi(np.ones(20), 2.5), r"positive integer"),
        (lambda: dc.solve_xi(np.ones(20), True), r"positive integer"),
        # interpolation threshold, n
        (lambda: dc.dc_params(_diag(50), 50), r"interpolation threshold"),
        (lambda: dc.dc_params(_diag(49), 50), r"interpolation threshold"),
        (lambda: dc.dc_params(_diag(50), 0), r"positive integer"),
        (lambda: dc.dc_params(_diag(50), -3), r"positive integer"),
        (lambda: dc.dc_params(np.ones(5), 3), r"LinearGaussianProblem"),
        (lambda: dc.dc_marginals(_diag(50), 50), r"interpolation threshold"),
        (lambda: dc.dc_sample(_diag(50), 51), r"interpolation threshold"),
        (lambda: dc.dc_sample(_diag(50), 20, rng="seed"), r"rng"),
        # asymptotic version
        (lambda: dc.dc_params_asymptotic([1.0], [1.0], 1.0, 0.5), r"kappa = p/n must exceed 1"),
        (lambda: dc.dc_params_asymptotic([1.0], [1.0], 0.5, 0.5), r"kappa = p/n must exceed 1"),
        (lambda: dc.dc_params_asymptotic([1.0], [1.0], -2.0, 0.5), r"kappa must be finite and >= 0"),
        (lambda: dc.dc_params_asymptotic([1.0], [1.0], 2.0, -0.5), r"sigma must be finite and >= 0"),
        (lambda: dc.dc_params_asymptotic([1.0, 0.0], [1.0, 1.0], 2.0, 0.5), r"lam_values must be > 0"),
        (lambda: dc.dc_params_asymptotic([1.0, -1.0], [1.0, 1.0], 2.0, 0.5), r"lam_values must be > 0"),
        (lambda: dc.dc_params_asymptotic([1.0, 2.0], [1.0], 2.0, 0.5), r"b_values must have shape"),
        (lambda: dc.dc_params_asymptotic([1.0, 2.0], [1.0, 1.0], 2.0, 0.5, [0.3, 0.3]), r"sum to 1"),
        (lambda: dc.dc_params_asymptotic([1.0, 2.0], [1.0, 1.0], 2.0, 0.5, [1.5, -0.5]), r">= 0 and sum to 1"),
        (lambda: dc.dc_params_asymptotic([1.0, 2.0], [1.0, 1.0], 2.0, 0.5, [1.0]), r"weights must have shape"),
        (lambda: dc.dc_params_asymptotic([1.0, 2.0], [1.0, np.inf], 2.0, 0.5), r"NaN or infinite"),
        # isotropic closed form
        (lambda: dc.isotropic_risk(1.0, 1.0, 0.5), r"interpolation threshold"),
        (lambda: dc.isotropic_risk(2.0, 1.0, -0.5), r"sigma must be finite and >= 0"),
        (lambda: dc.isotropic_risk(-2.0, 1.0, 0.5), r"kappa must be finite and >= 0"),
        (lambda: dc.isotropic_risk(2.0, -1.0, 0.5), r"r2 must be finite and >= 0"),
        # threshold / oracle pruning risks
        (lambda: dc.threshold_prune_risk(_corr(), 20, 5), r"diagonal covariance.*dc_prune_risk_mc"),
        (lambda: dc.oracle_prune_risk(_corr(), 20, 5), r"diagonal covariance.*dc_prune_risk_mc"),
        (lambda: dc.threshold_prune_risk(_diag(), 20, 5, "oracle"), r"strategy must be 'magnitude' or 'hessian'"),
        (lambda: dc.threshold_prune_risk(_diag(), 20, 5, "obd"), r"strategy must be 'magnitude' or 'hessian'"),
        (lambda: dc.threshold_prune_risk(_diag(), 20, -1), r"s \(number of weights to keep\) must lie in 0..50"),
        (lambda: dc.threshold_prune_risk(_diag(), 20, 51), r"must lie in 0..50"),
        (lambda: dc.threshold_prune_risk(_diag(), 20, 2.5), r"must be an integer"),
        (lambda: dc.threshold_prune_risk(_diag(), 20, True), r"must be an integer"),
        (lambda: dc.threshold_prune_risk(_diag(), 50, 5), r"interpolation threshold"),
        (
            lambda: dc.threshold_prune_risk(
                LinearGaussianProblem(np.full(50, 0.1), SIGMA, np.r_[np.zeros(5), np.ones(45)]), 20, 5
            ),
            r"positive variance",
        ),
        (lambda: dc.oracle_prune_risk(_diag(), 20, 51), r"must lie in 0..50"),
        (lambda: dc.oracle_prune_risk(_diag(), 20, -1), r"must lie in 0..50"),
        # Monte Carlo risks
        (lambda: dc.dc_prune_risk_mc(_diag(), 20, 5, "random"), r"strategy must be 'magnitude', 'hessian' or 'oracle'"),
        (lambda: dc.dc_prune_risk_mc(_diag(), 20, 51), r"must lie in 0..50"),
        (lambda: dc.dc_prune_risk_mc(_diag(), 50, 5), r"interpolation threshold"),
        (lambda: dc.retrain_risk(_diag(), 20, 5, "obs"), r"strategy must be"),
        (lambda: dc.retrain_risk(_diag(), 20, -2), r"must lie in 0..50"),
        (lambda: dc.retrain_risk(_diag(), 20, 5, n_retrain=0), r"positive integer"),
        (lambda: dc.retrain_risk(_diag(), 20, 5, n_retrain=5), r"interpolation threshold"),
        # small models
        (lambda: dc.small_model_risk(_diag(), 20, np.array([], dtype=int)), r"at least one feature"),
        (lambda: dc.small_model_risk(_diag(), 20, np.arange(20)), r"interpolation threshold"),
        (lambda: dc.small_model_risk(_diag(), 20, np.array([3, 60])), r"indices must lie in 0..49"),
        (lambda: dc.small_model_risk("problem", 20, np.arange(3)), r"LinearGaussianProblem"),
        (lambda: dc.oracle_small_model_risk(_diag(), 20, 51), r"must lie in 0..50"),
        # threshold_risk at an explicit threshold
        (lambda: dc.threshold_risk(_diag(), 20, -0.1), r"t \(the pruning threshold\) must be finite and >= 0"),
        (lambda: dc.threshold_risk(_diag(), 20, float("nan")), r"finite"),
        (lambda: dc.threshold_risk(_diag(), 20, 0.1, "oracle"), r"strategy must be 'magnitude' or 'hessian'"),
        (lambda: dc.threshold_risk(_corr(), 20, 0.1), r"diagonal covariance"),
        (lambda: dc.threshold_risk(_diag(), 0, 0.1), r"positive integer"),
        # Lemma 1
        (lambda: dc.lemma1_risks(10, 3, 2, 0.5, 1.0), r"n > 2"),
        (lambda: dc.lemma1_risks(10, 3, 0, 0.5, 1.0), r"positive integer"),
        (lambda: dc.lemma1_risks(10, 11, 20, 0.5, 1.0), r"must lie in 0..10"),
        (lambda: dc.lemma1_risks(10, -1, 20, 0.5, 1.0), r"must lie in 0..10"),
        (lambda: dc.lemma1_risks(0, 0, 20, 0.5, 1.0), r"p must be a positive integer"),
        (lambda: dc.lemma1_risks(10, 3, 20, -0.5, 1.0), r"sigma must be finite and >= 0"),
        # the problem itself refuses a negative noise or spectrum
        (lambda: LinearGaussianProblem(np.ones(3), -0.1, np.ones(3)), r"sigma"),
        (lambda: LinearGaussianProblem(np.ones(3), 0.1, np.array([1.0, -1.0, 1.0])), r">= 0"),
    ],
)
def test_bad_inputs_raise_value_error(call, match):
    with pytest.raises(ValueError, match=match):
        call()


@pytest.mark.parametrize(
    "call",
    [
        lambda: dc.dc_prune_risk_mc(_diag(), 20, 5, draws=0),
        lambda: dc.dc_prune_risk_mc(_diag(), 20, 5, draws=1),
        lambda: dc.retrain_risk(_diag(), 20, 5, draws=0),
        lambda: dc.retrain_risk(_diag(), 20, 5, draws=-1),
    ],
    ids=["mc-draws=0", "mc-draws=1", "retrain-draws=0", "retrain-draws=-1"],
)
@pytest.mark.filterwarnings("ignore::RuntimeWarning")
def test_bad_number_of_draws_raises_value_error(call):
    with pytest.raises(ValueError, match="draws"):
        call()


def test_lemma1_rejects_nan_signal():
    with pytest.raises(ValueError, match="signal"):
        dc.lemma1_risks(10, 3, 20, 0.5, float("nan"))
