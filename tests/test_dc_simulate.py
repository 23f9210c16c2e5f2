"""Tests of pruning_lab.dc.simulate: the Monte Carlo side of the theory-vs-simulation comparisons."""

import numpy as np
import pytest

from pruning_lab import dc, lsq
from pruning_lab.dc.simulate import (
    MonteCarlo,
    _refit_geometry,
    simulate_min_norm,
    simulate_pruning,
    simulate_refit_alignment,
    simulate_ridge,
    simulate_small_model,
    simulate_threshold_pruning,
)
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


# ------------------------------------------------------------------ ridge, then prune
def test_simulate_pruning_dense_side_is_min_norm_or_ridge_on_the_same_data():
    problem = LinearGaussianProblem.spiked(60, 6, beta_bulk=0.05, sigma=0.5)
    ridge = simulate_pruning(problem, 30, 10, "magnitude", trials=5, rng=4, ridge=0.3)
    assert ridge["dense"].mean == pytest.approx(simulate_ridge(problem, 30, 0.3, trials=5, rng=4).mean)
    plain = simulate_pruning(problem, 30, 10, "magnitude", trials=5, rng=4)
    _, risks = simulate_min_norm(problem, 30, trials=5, rng=4)
    assert plain["dense"].mean == pytest.approx(risks.mean())
    # keeping every weight does not change the model
    whole = simulate_pruning(problem, 30, 60, "hessian", trials=3, rng=1, ridge=0.3)
    assert whole["pruned"].mean == pytest.approx(whole["dense"].mean)
    with pytest.raises(ValueError, match="ridge"):
        simulate_pruning(problem, 30, 10, ridge=-1.0)


@pytest.mark.slow
def test_simulate_pruning_matches_the_ridge_then_prune_dc():
    """Ridge (mu = 0.5) then Hessian pruning, p = 300, n = 100: the closed form within 4 s.e. + 3 %."""
    problem = LinearGaussianProblem.spiked(300, 20, beta_spike=0.2, beta_bulk=0.03, sigma=0.5)
    sim = simulate_pruning(problem, 100, 40, "hessian", trials=60, rng=0, ridge=0.5)["pruned"]
    theory = dc.threshold_prune_risk(problem, 100, 40, "hessian", ridge=0.5)
    assert abs(sim.mean - theory) <= 4 * sim.sem + 0.03 * theory


# ------------------------------------------------------------------ same-sample against fresh retraining
def test_refit_geometry_is_the_least_squares_error():
    """X_D^+ eps = V (c / S) is the error of the restricted least-squares fit around beta*_D."""
    rng = np.random.default_rng(0)
    problem = LinearGaussianProblem.spiked(50, 5, beta_bulk=0.1, sigma=0.5)
    X, y = problem.sample(30, rng)
    mask = np.arange(50) < 12
    best = problem.restrict(mask).beta
    captured, share, err = _refit_geometry(X, y, mask, best, 3)
    np.testing.assert_allclose(err, lsq.restricted_fit(X, y, mask)[mask] - best, atol=1e-10)
    residual = y - X[:, mask] @ best
    projected = X[:, mask] @ np.linalg.lstsq(X[:, mask], residual, rcond=None)[0]
    assert captured == pytest.approx(projected @ projected / (residual @ residual))
    assert 0 < share < 1


def test_refit_alignment_fresh_batch_follows_the_independent_case():
    """A fresh batch is independent of the support: E captured = s/n, E weak share = weak/s (rotation invariance);
    the excess risk is the refit risk minus sigma_D^2 on average."""
    problem = LinearGaussianProblem.spiked(120, 10, beta_bulk=0.05, sigma=0.5)
    out = simulate_refit_alignment(problem, 40, 16, "magnitude", trials=300, rng=2, weak=4)
    fresh = out["fresh"]
    assert abs(fresh["captured"].mean - 16 / 40) <= 4 * fresh["captured"].sem
    assert abs(fresh["weak_share"].mean - 4 / 16) <= 4 * fresh["weak_share"].sem
    assert set(out) == {"same", "fresh"} and set(out["same"]) == {"captured", "weak_share", "excess"}
    # same samples: the selected columns were chosen to fit this residual, so they capture more of it
    assert out["same"]["captured"].mean > fresh["captured"].mean + 4 * fresh["captured"].sem


@pytest.mark.parametrize(
    "kwargs, match",
    [(dict(s=40), "s must be"), (dict(s=0), "s must be"), (dict(weak=20), "weak"), (dict(strategy="obs"), "obs")],
)
def test_refit_alignment_rejects_bad_inputs(kwargs, match):
    problem = LinearGaussianProblem.spiked(120, 10, beta_bulk=0.05)
    args = dict(s=16, strategy="magnitude", weak=None) | kwargs
    with pytest.raises(ValueError, match=match):
        simulate_refit_alignment(problem, 40, args["s"], args["strategy"], trials=2, weak=args["weak"])


@pytest.mark.parametrize("bad", [np.nan, np.inf])
def test_threshold_pruning_rejects_non_finite_weights(bad):
    problem = LinearGaussianProblem.isotropic(np.ones(4) / 2, 0.5)
    weights = np.ones((3, 4))
    weights[1, 2] = bad
    with pytest.raises(ValueError, match="weights contains 1 NaN or infinite"):
        simulate_threshold_pruning(problem, weights, [0.1])


def test_threshold_pruning_rejects_complex_thresholds_and_a_non_problem():
    problem = LinearGaussianProblem.isotropic(np.ones(4) / 2, 0.5)
    with pytest.raises(ValueError, match="ts must be an array of real numbers"):
        simulate_threshold_pruning(problem, np.ones((3, 4)), np.array([0.1 + 1j]))
    with pytest.raises(TypeError, match="problem must be a pruning_lab.problems.LinearGaussianProblem"):
        simulate_threshold_pruning("world", np.ones((3, 4)), [0.1])
