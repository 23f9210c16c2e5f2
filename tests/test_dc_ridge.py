r"""Tests of the ridge side of the DC (pruning_lab.dc.theory with ``ridge``, lsq.ridge_solution, the tuned penalty).

Checked, with the tolerance of each comparison stated where it is made:

* ``lsq.ridge_solution``: its normal equations hold, primal and dual forms agree, it tends to the
  min-norm / OLS solution as :math:`\mu\to0`, and ``support`` restricts it.
* The effective ridge :math:`\kappa` solves its fixed point, exceeds :math:`\mu`, and tends to the
  implicit ridge :math:`\xi` of min-norm interpolation as :math:`\mu\to0` (:math:`p>n`).
* Isotropic closed forms (Dobriban & Wager 2018): the predicted risk is minimized exactly at
  :math:`\mu^\star=\sigma^2p/(n\lVert\beta\rVert^2)`, where it equals the value of the
  Marchenko–Pastur formula.
* The predicted ridge risk against simulated ridge fits, over- and under-parameterized, diagonal
  and correlated: within 4 standard errors + 3 % for penalties of at least a tenth of the mean
  eigenvalue.  (At much smaller penalties with :math:`p<n` the deterministic equivalent misses
  the exact finite-:math:`n` OLS inflation; we measured 5 % at :math:`\mu=10^{-3}`, :math:`s/n=0.8`.)
* Pruning a ridge solution (magnitude, Hessian, oracle) and the small model with a penalty,
  against simulation, same tolerance.
"""

import numpy as np
import pytest

from pruning_lab import dc, lsq
from pruning_lab.dc import learner_problem, two_level_world
from pruning_lab.pipeline import prune_weights
from pruning_lab.problems import LinearGaussianProblem, equicorrelated_covariance


def _world_a():
    """World A of the chapter "Predicting pruning": 20 spikes carry half the signal, n = 100."""
    return two_level_world(4000, 20, spike=10.0, beta_spike=1 / np.sqrt(20), beta_bulk=np.sqrt(1 / 3980))


def _close(mc, predicted, rel=0.03):
    assert abs(mc.mean - predicted) <= 4 * mc.sem + rel * predicted, (mc.mean, mc.sem, predicted)


# ------------------------------------------------------------------ the solver
@pytest.mark.parametrize("n, p", [(40, 15), (15, 40)])
def test_ridge_solution_solves_its_normal_equations_in_both_forms(n, p):
    rng = np.random.default_rng(0)
    X, y = rng.standard_normal((n, p)), rng.standard_normal(n)
    b = lsq.ridge_solution(X, y, 0.3)
    np.testing.assert_allclose(X.T @ (X @ b - y) / n + 0.3 * b, 0.0, atol=1e-12)
    # the other form gives the same vector: X^T (XX^T/n + mu I)^{-1} y/n = (X^TX/n + mu I)^{-1} X^T y/n
    other = X.T @ np.linalg.solve(X @ X.T / n + 0.3 * np.eye(n), y / n)
    np.testing.assert_allclose(b, other, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("n, p", [(40, 15), (15, 40)])
def test_ridge_solution_tends_to_the_min_norm_solution(n, p):
    rng = np.random.default_rng(1)
    X, y = rng.standard_normal((n, p)), rng.standard_normal(n)
    np.testing.assert_allclose(lsq.ridge_solution(X, y, 1e-10), lsq.min_norm_solution(X, y), rtol=1e-6, atol=1e-8)


def test_ridge_solution_on_a_support_is_the_small_model():
    rng = np.random.default_rng(2)
    X, y = rng.standard_normal((30, 12)), rng.standard_normal((30, 2))
    support = [1, 4, 7]
    b = lsq.ridge_solution(X, y, 0.5, support)
    np.testing.assert_array_equal(np.delete(b, support, axis=0), 0.0)
    np.testing.assert_allclose(b[support], lsq.ridge_solution(X[:, support], y, 0.5), rtol=1e-12)
    assert np.all(lsq.ridge_solution(X, y, 0.5, []) == 0)


@pytest.mark.parametrize("mu", [0, -1.0, np.nan, np.inf, True, "1"])
def test_ridge_solution_rejects_a_bad_penalty(mu):
    with pytest.raises(ValueError, match="mu"):
        lsq.ridge_solution(np.ones((3, 2)), np.ones(3), mu)


# ------------------------------------------------------------------ the effective ridge
def test_effective_ridge_solves_its_fixed_point_and_tends_to_the_implicit_ridge():
    lam = np.random.default_rng(3).uniform(0.2, 5.0, 300)
    n = 100
    for mu in (1e-6, 0.01, 1.0, 30.0):
        kappa = dc.solve_kappa(lam, n, mu)
        assert kappa > mu
        assert kappa * (1 - np.sum(lam / (lam + kappa)) / n) == pytest.approx(mu, rel=1e-10)
    assert dc.solve_kappa(lam, n, 1e-9) == pytest.approx(dc.solve_xi(lam, n), rel=1e-6)
    assert dc.solve_kappa(lam[:50], n, 1e-9) < 1e-8  # p < n: no implicit regularization


def test_ridge_params_at_vanishing_penalty_are_the_min_norm_params():
    problem = learner_problem(_world_a(), 300)
    ridge, plain = dc.dc_params(problem, 100, ridge=1e-10), dc.dc_params(problem, 100)
    assert ridge.regime == "ridge" and plain.regime == "over" and ridge.ridge == 1e-10
    assert ridge.xi == pytest.approx(plain.xi, rel=1e-7) and ridge.gamma == pytest.approx(plain.gamma, rel=1e-7)


def test_isotropic_optimal_penalty_and_risk_are_the_closed_forms():
    """Dobriban & Wager (2018): for Sigma = I, mu* = sigma^2 gamma / r^2 with gamma = p/n, and the risk there."""
    n, sigma, r2 = 200, 0.5, 1.0
    for p in (100, 400):
        problem = LinearGaussianProblem(np.full(p, np.sqrt(r2 / p)), sigma, np.ones(p))
        gamma = p / n
        best = dc.optimal_ridge(problem, n)
        assert not best.at_boundary
        assert best.mu == pytest.approx(sigma**2 * gamma / r2, rel=1e-4)
        # the Marchenko-Pastur value of the optimal risk: sigma^2 / (1 - gamma (1 - kappa* m)) with m the MP transform;
        # equivalently the fixed point: at mu*, kappa solves mu* = kappa (1 - gamma / (1 + kappa))
        kappa = dc.solve_kappa(np.ones(p), n, best.mu)
        df2 = p / (1 + kappa) ** 2
        assert best.risk == pytest.approx((sigma**2 + kappa**2 * r2 / (1 + kappa) ** 2) / (1 - df2 / n), rel=1e-9)
        assert best.risk < dc.dc_params(problem, n, ridge=best.mu * 1.1).gamma
        assert best.risk < dc.dc_params(problem, n, ridge=best.mu / 1.1).gamma


def test_optimal_ridge_reports_a_boundary_minimum():
    # noiseless, one feature per sample: the risk decreases as mu -> 0 (interpolation is optimal)
    problem = LinearGaussianProblem(np.full(50, 0.2), 0.0, np.ones(50))
    best = dc.optimal_ridge(problem, 200)
    assert best.at_boundary and best.mu < 1e-7


# ------------------------------------------------------------------ theory against simulation
@pytest.mark.parametrize("p, mu", [(80, 0.1), (80, 1.0), (300, 0.05), (300, 1.0)])
def test_ridge_risk_matches_simulation_on_world_a(p, mu):
    problem = learner_problem(_world_a(), p)
    _close(dc.simulate_ridge(problem, 100, mu, trials=150, rng=p), dc.dc_params(problem, 100, ridge=mu).gamma)


def test_ridge_risk_matches_simulation_on_correlated_features():
    cov = equicorrelated_covariance(150, 0.5)
    beta = np.random.default_rng(4).standard_normal(150) / np.sqrt(150)
    problem = LinearGaussianProblem(beta, 0.5, cov)
    _close(dc.simulate_ridge(problem, 80, 0.3, trials=150, rng=5), dc.dc_params(problem, 80, ridge=0.3).gamma)


def test_tuned_small_model_matches_simulation_and_beats_least_squares():
    world, n, s = _world_a(), 100, 80
    support = np.arange(s)  # the first 80 features hold all 20 spikes: the oracle support here
    best = dc.optimal_ridge(world, n, support=support)
    _close(dc.simulate_small_model(world, n, support, trials=200, rng=6, ridge=best.mu), best.risk)
    assert best.risk == pytest.approx(dc.small_model_risk(world, n, support, ridge=best.mu), rel=1e-12)
    assert best.risk < 0.5 * dc.small_model_risk(world, n, support)  # OLS on 80 features and 100 samples


@pytest.mark.parametrize("strategy", ["magnitude", "hessian", "oracle"])
def test_pruned_ridge_solution_matches_simulation(strategy):
    problem, n, s, mu = learner_problem(_world_a(), 300), 100, 80, 0.5
    rng = np.random.default_rng(7)
    risks = []
    for _ in range(150):
        X, y = problem.sample(n, rng)
        w = lsq.ridge_solution(X, y, mu)
        risks.append(problem.population_risk(prune_weights(strategy, w, s, X=X, problem=problem).weights))
    mc = dc.MonteCarlo.of(risks)
    if strategy == "oracle":
        predicted = dc.oracle_prune_risk(problem, n, s, ridge=mu)
    else:
        predicted = dc.threshold_prune_risk(problem, n, s, strategy, ridge=mu)
    _close(mc, predicted, rel=0.04)
    # the DC Monte Carlo over ridge draws agrees with the closed form
    assert dc.dc_prune_risk_mc(problem, n, s, strategy, draws=3000, rng=8, ridge=mu)[0] == pytest.approx(
        predicted, rel=0.02
    )


def test_ridge_marginals_and_draws_agree():
    problem, n, mu = learner_problem(_world_a(), 300), 100, 0.5
    m, tau = dc.dc_marginals(problem, n, ridge=mu)
    draws = dc.dc_sample(problem, n, size=20000, rng=9, ridge=mu)
    assert np.all(np.abs(draws.mean(axis=0) - m) <= 5 * tau / np.sqrt(20000))
    np.testing.assert_allclose(draws.std(axis=0), tau, rtol=0.05)
    kappa = dc.dc_params(problem, n, ridge=mu).xi
    np.testing.assert_allclose(m, problem.covariance / (problem.covariance + kappa) * problem.beta)


@pytest.mark.parametrize(
    "call, match",
    [
        (lambda: dc.dc_params(learner_problem(_world_a(), 50), 100, ridge=-1.0), "ridge"),
        (lambda: dc.solve_kappa([1.0, 2.0], 10, 0.0), "mu must be > 0"),
        (lambda: dc.solve_kappa([1.0, -2.0], 10, 1.0), "lams"),
        (lambda: dc.optimal_ridge(LinearGaussianProblem(np.zeros(3), 1.0, np.zeros(3)), 10), "positive variance"),
        (lambda: dc.optimal_ridge(learner_problem(_world_a(), 50), 100, grid=2), "grid"),
        (lambda: dc.optimal_ridge(learner_problem(_world_a(), 50), 100, support=[60]), "support"),
        (lambda: dc.simulate_small_model(learner_problem(_world_a(), 50), 100, [1], trials=2, ridge=-0.1), "ridge"),
    ],
)
def test_bad_ridge_inputs_raise_value_error(call, match):
    with pytest.raises(ValueError, match=match):
        call()
