"""Tests of pruning_lab.dc.simulate: the Monte Carlo side of the theory-vs-simulation comparisons."""

import numpy as np
import pytest

from pruning_lab import dc
from pruning_lab.dc.simulate import MonteCarlo, simulate_min_norm, simulate_small_model, simulate_threshold_pruning
from pruning_lab.problems import LinearGaussianProblem


def test_monte_carlo_mean_and_standard_error():
    mc = MonteCarlo.of([1.0, 2.0, 3.0, 4.0])
    assert mc.mean == 2.5 and mc.trials == 4
    assert mc.sem == pytest.approx(np.std([1, 2, 3, 4], ddof=1) / 2)
    assert MonteCarlo.of([5.0]).sem == 0.0


def test_small_model_simulation_matches_the_exact_ols_risk():
    """OLS on a fixed support of s < n - 1 features: E risk = sigma_D^2 (n-1)/(n-s-1) exactly (Gaussian design)."""
    problem = LinearGaussianProblem.spiked(200, 10, beta_bulk=0.05, sigma=0.5)
    support = np.arange(10)
    sim = simulate_small_model(problem, 40, support, trials=400, rng=0)
    exact = dc.small_model_risk(problem, 40, support)
    assert exact == pytest.approx(problem.restrict(support).sigma ** 2 * 39 / 29)
    assert abs(sim.mean - exact) <= 4 * sim.sem


def test_threshold_simulation_counts_and_risks_by_hand():
    problem = LinearGaussianProblem(np.array([1.0, 0.5, 0.0]), 0.1, np.array([1.0, 4.0, 1.0]))
    weights = np.array([[0.9, 0.2, 0.05], [1.1, 0.3, -0.2]])
    out = simulate_threshold_pruning(problem, weights, [0.1, 0.25], "magnitude")
    np.testing.assert_allclose(out["kept"], [2.5, 1.5])
    kept_025 = np.array([[0.9, 0.0, 0.0], [1.1, 0.3, 0.0]])
    assert out["risk"][1] == pytest.approx(problem.population_risk(kept_025).mean())
    # Hessian strategy: sqrt(lambda) |w| > t, so the second weight (lambda = 4) survives t = 0.25 in both rows
    hess = simulate_threshold_pruning(problem, weights, [0.25], "hessian")
    assert hess["kept"][0] == 2.0


@pytest.mark.parametrize(
    "kwargs, match",
    [
        (dict(weights=np.zeros((1, 3))), "trials >= 2"),
        (dict(weights=np.zeros((4, 2))), r"shape \(trials >= 2, 3\)"),
        (dict(ts=[-1.0]), "thresholds >= 0"),
        (dict(ts=[]), "non-empty"),
        (dict(strategy="oracle"), "strategy must be"),
    ],
)
def test_threshold_simulation_rejects_bad_inputs(kwargs, match):
    problem = LinearGaussianProblem(np.ones(3), 0.1, np.ones(3))
    args = dict(weights=np.zeros((4, 3)), ts=[0.1], strategy="magnitude") | kwargs
    with pytest.raises(ValueError, match=match):
        simulate_threshold_pruning(problem, args["weights"], args["ts"], args["strategy"])


def test_simulations_reject_bad_trials_and_support():
    problem = LinearGaussianProblem(np.ones(5), 0.1, np.ones(5))
    with pytest.raises(ValueError, match="trials must be a positive integer"):
        simulate_small_model(problem, 10, [0, 1], trials=0)
    with pytest.raises(ValueError, match="trials must be a positive integer"):
        simulate_min_norm(problem, 10, trials=-2)
    with pytest.raises(ValueError):
        simulate_small_model(problem, 10, [7], trials=2)


# ------------------------------------------------------------------ theory against simulation
def test_agreement_is_the_median_and_max_relative_error_over_the_finite_selected_points():
    theory = np.array([1.1, 2.0, np.nan, 4.0, 10.0])
    simulated = np.array([1.0, 2.5, 3.0, 4.0, 5.0])
    # |1.1/1 - 1| = 0.1, |2/2.5 - 1| = 0.2, NaN skipped, 0, |10/5 - 1| = 1
    a = dc.agreement(theory, simulated)
    assert (a.median, a.max, a.points) == (pytest.approx(0.15), pytest.approx(1.0), 4)
    b = dc.agreement(theory, simulated, where=np.array([True, True, True, True, False]))
    assert (b.median, b.max, b.points) == (pytest.approx(0.1), pytest.approx(0.2), 3)
    assert str(b) == "median 10.0%, max 20.0%"


@pytest.mark.parametrize(
    "args, match",
    [
        (([1.0, 2.0], [1.0]), "same shape"),
        (([1.0], [1.0], [1]), "boolean array"),
        (([1.0, 2.0], [1.0, 2.0], [False, False]), "no point to compare"),
        (([np.nan], [1.0]), "no point to compare"),
        (([1.0], [0.0]), "simulated is 0"),
    ],
)
def test_agreement_rejects_bad_input(args, match):
    with pytest.raises(ValueError, match=match):
        dc.agreement(*args)
