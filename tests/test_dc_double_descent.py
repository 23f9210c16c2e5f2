"""Tests of pruning_lab.dc.double_descent: worlds, learner problems and the theory/simulation curves."""

import numpy as np
import pytest

from pruning_lab import dc
from pruning_lab.dc.double_descent import (
    dense_risk_curve,
    learner_problem,
    regime_map,
    sparse_double_descent,
    two_level_world,
)


def test_two_level_world_spreads_the_signal():
    world = two_level_world(500, 20, spike=10.0, signal_spike=0.6, signal_bulk=0.4)
    assert np.isclose(np.sum(world.beta[:20] ** 2), 0.6) and np.isclose(np.sum(world.beta[20:] ** 2), 0.4)
    assert np.all(world.covariance[:20] == 10.0) and np.all(world.covariance[20:] == 1.0)
    with pytest.raises(ValueError, match=r"k must be an integer in 0\.\.10, got 11"):
        two_level_world(10, 11)


def test_learner_problem_moves_missing_features_into_the_noise():
    world = two_level_world(300, 10, sigma=0.5)
    learner = learner_problem(world, 100)
    assert learner.p == 100
    missing = np.sum(world.covariance[100:] * world.beta[100:] ** 2)
    assert np.isclose(learner.sigma**2, 0.25 + missing)
    # Same risk for any weights on the first 100 features.
    b = np.random.default_rng(0).standard_normal(300) * (np.arange(300) < 100)
    assert np.isclose(world.population_risk(b), learner.population_risk(b[:100]))
    with pytest.raises(ValueError, match="p must be an integer"):
        learner_problem(world, 301)


def test_dense_curve_theory_is_hastie_and_matches_simulation():
    kappas = [0.5, 2.0, 4.0]
    curve = dense_risk_curve(200, kappas, r2=1.0, sigma=0.5, trials=40, rng=1)
    # Isotropic over-parameterized: the finite-p DC *is* the Hastie et al. formula at kappa = p/n.
    np.testing.assert_allclose(curve.dc[1:], curve.asymptotic[1:], rtol=1e-10)
    # Under-parameterized: exact OLS risk sigma^2 (n-1)/(n-p-1).
    assert np.isclose(curve.dc[0], 0.25 * 199 / 99)
    # Simulation within 4 standard errors plus 3 % (finite-n effects).
    assert np.all(np.abs(curve.simulated - curve.dc) <= 4 * curve.simulated_sem + 0.03 * curve.dc)
    rel = np.abs(curve.dc / curve.simulated - 1)
    assert curve.agreement().max == rel.max() and curve.agreement().median == np.median(rel)


def test_dense_curve_skips_the_threshold_and_rejects_bad_kappas():
    curve = dense_risk_curve(100, [1.0, 2.0], trials=0)
    assert np.isnan(curve.dc[0]) and np.isfinite(curve.dc[1]) and np.all(np.isnan(curve.simulated))
    with pytest.raises(ValueError, match="positive ratios"):
        dense_risk_curve(100, [0.0, 2.0])


def test_sparse_double_descent_theory_points_and_nans():
    world = two_level_world(2000, 20, spike=10.0)
    curve = sparse_double_descent(world, 100, 80, [50, 99, 100, 300], trials=0)
    assert np.isnan(curve.theory["magnitude"][0])  # p < s: cannot prune to s
    assert np.isnan(curve.theory["dense"][1]) and np.isnan(curve.theory["dense"][2])  # interpolation threshold
    learner = learner_problem(world, 300)
    assert np.isclose(curve.theory["dense"][3], dc.dc_params(learner, 100).gamma)
    assert np.isclose(curve.theory["hessian"][3], dc.threshold_prune_risk(learner, 100, 80, "hessian"))
    assert np.isclose(curve.small_model, dc.oracle_small_model_risk(world, 100, 80))
    tuned = dc.optimal_ridge(world, 100, support=np.arange(80))  # the oracle top-80: spikes, then bulk by index
    assert curve.small_model_ridge == pytest.approx(tuned.risk) and curve.small_model_mu == pytest.approx(tuned.mu)
    assert curve.small_model_ridge < curve.small_model  # tuning can only help (mu -> 0 is least squares)
    assert curve.simulated == {}


@pytest.mark.slow
def test_sparse_double_descent_simulation_agrees_with_theory():
    world = two_level_world(1000, 20, spike=10.0, beta_spike=1 / np.sqrt(20), beta_bulk=np.sqrt(1 / 980))
    curve = sparse_double_descent(world, 200, 100, [400, 800], trials=30, rng=0)
    for strategy in ("dense", "magnitude", "hessian", "oracle"):
        gap = np.abs(curve.simulated[strategy] - curve.theory[strategy])
        assert np.all(gap <= 4 * curve.simulated_sem[strategy] + 0.03 * curve.theory[strategy]), strategy
    # the summary the chapter prints is the relative error at these points
    rel = np.abs(curve.theory["hessian"] / curve.simulated["hessian"] - 1)
    summary = curve.agreement("hessian", min_p=500)
    assert (summary.median, summary.max, summary.points) == (rel[1], rel[1], 1)
    assert curve.agreement("dense").points == 2
    with pytest.raises(ValueError, match="no simulated curve 'retrained'"):
        curve.agreement("retrained")


def test_sparse_double_descent_rejects_bad_inputs():
    world = two_level_world(100, 5)
    with pytest.raises(ValueError, match="non-empty"):
        sparse_double_descent(world, 50, 10, [])
    with pytest.raises(ValueError, match="s must be an integer >= 0"):
        sparse_double_descent(world, 50, -1, [60])


def test_regime_map_is_the_minimum_of_the_theory_curve_and_the_small_models():
    """Each cell equals min over p of the closed-form pruned risk, against dc.oracle_small_model_risk and the
    tuned ridge on the same support; world A of the chapter is a cell."""
    ps = [80, 120, 200, 300, 500, 1000]
    out = regime_map(100, [0.8], [10.0], ps=ps, P=4000, k=20)
    world = two_level_world(4000, 20, spike=10.0)
    np.testing.assert_allclose(
        world.beta, two_level_world(4000, 20, beta_spike=1 / np.sqrt(20), beta_bulk=np.sqrt(1 / 3980)).beta
    )
    risks = [dc.threshold_prune_risk(learner_problem(world, p), 100, 80) for p in ps]
    assert out.pruned[0, 0] == pytest.approx(min(risks)) and out.best_p[0, 0] == ps[int(np.argmin(risks))]
    assert out.small[0, 0] == pytest.approx(dc.oracle_small_model_risk(world, 100, 80))
    # world A of the chapter: best pruned 2.36 at p = 300 against the 80-feature model (6.43 exact)
    assert out.best_p[0, 0] == 300 and out.pruned[0, 0] == pytest.approx(2.36, abs=0.01)
    assert out.baseline == "ols" and out.ratio[0, 0] == pytest.approx(2.36 / 6.43, abs=0.01)
    # ... and against the same 80 features with the tuned ridge (1.87): the small model wins
    tuned = dc.optimal_ridge(world, 100, support=np.arange(80))
    assert out.small_ridge[0, 0] == pytest.approx(tuned.risk) and out.small_mu[0, 0] == pytest.approx(tuned.mu)
    assert out.ratio_to("ridge")[0, 0] == pytest.approx(2.36 / 1.87, abs=0.01)
    fair = regime_map(100, [0.8], [10.0], ps=ps, baseline="ridge")
    np.testing.assert_allclose(fair.ratio, out.ratio_to("ridge"))
    with pytest.raises(ValueError, match="baseline"):
        out.ratio_to("lasso")


def test_regime_map_boundaries_against_each_small_model():
    """Against least squares the small model wins at s/n = 0.2 and large-then-prune from s/n = 0.8 on; against the
    tuned ridge, large-then-prune wins only where s is below the k = 20 informative features (s/n = 0.1)."""
    out = regime_map(100, [0.1, 0.2, 0.8, 0.9, 1.2], [10.0, 100.0])
    assert out.pruned.shape == (5, 2) and np.all(out.best_p >= out.s_values[:, None])
    assert np.all(out.ratio[1] > 1.0)
    assert np.all(out.ratio[2:] < 1.0)
    tuned = out.ratio_to("ridge")
    assert np.all(tuned[0] < 0.95) and np.all(tuned[1:] > 1.05)
    assert np.all(out.small_ridge <= out.small)
    # at s = n the least-squares small model has infinite risk: ratio 0, not an error
    edge = regime_map(100, [1.0], [10.0])
    assert np.isinf(edge.small[0, 0]) and edge.ratio[0, 0] == 0.0


@pytest.mark.slow
def test_regime_map_cells_agree_with_simulation():
    """Cells on either side of each boundary, simulated at the chosen p: within 4 s.e. + 4 % of the map."""
    out = regime_map(100, [0.1, 0.2, 0.9], [100.0])
    for i in range(3):
        sim = out.simulate_cell(i, 0, trials=30, rng=i)
        assert abs(sim["pruned"].mean - out.pruned[i, 0]) <= 4 * sim["pruned"].sem + 0.04 * out.pruned[i, 0]
        assert abs(sim["small"].mean - out.small[i, 0]) <= 4 * sim["small"].sem + 0.04 * out.small[i, 0]
        tuned = out.small_ridge[i, 0]
        assert abs(sim["small_ridge"].mean - tuned) <= 4 * sim["small_ridge"].sem + 0.04 * tuned
    # and the simulated comparison falls on the same side of 1 as the map
    assert out.simulate_cell(1, 0, trials=30, rng=5)["pruned"].mean > out.small[1, 0]
    assert out.simulate_cell(0, 0, trials=30, rng=6)["pruned"].mean < out.small_ridge[0, 0]


@pytest.mark.parametrize(
    "kwargs, match",
    [
        (dict(s_ratios=[], spikes=[1.0]), "s_ratios"),
        (dict(s_ratios=[-0.5], spikes=[1.0]), "s_ratios"),
        (dict(s_ratios=[0.5], spikes=[0.0]), "spikes"),
        (dict(s_ratios=[0.5], spikes=[float("nan")]), "spikes"),
        (dict(s_ratios=[0.5], spikes=[1.0], strategy="random"), "strategy"),
        (dict(s_ratios=[50.0], spikes=[1.0]), "exceeds the world size"),
        (dict(s_ratios=[0.5], spikes=[1.0], ps=[10, 20]), "no learner size"),
        (dict(s_ratios=[0.5], spikes=[1.0], baseline="lasso"), "baseline"),
    ],
)
def test_regime_map_rejects_bad_inputs(kwargs, match):
    with pytest.raises(ValueError, match=match):
        regime_map(100, **kwargs)
    with pytest.raises(ValueError, match="n must be an integer"):
        regime_map(1, [0.5], [1.0])


@pytest.mark.parametrize("ps", [[2.5, 3], [3.7], [0], [[3, 4]]])
def test_sparse_double_descent_rejects_non_integer_learner_sizes_instead_of_truncating(ps):
    world = two_level_world(40, 4)
    with pytest.raises(ValueError, match="ps must be a non-empty list of learner sizes"):
        sparse_double_descent(world, 10, 2, ps)


def test_sparse_double_descent_rejects_bad_sizes_and_counts():
    world = two_level_world(40, 4)
    with pytest.raises(ValueError, match=r"ps \(learner sizes\) must lie in 1..world.p = 40"):
        sparse_double_descent(world, 10, 2, [5, 41])
    for name, kw in [("n", dict(n=2.5)), ("s", dict(s=-1)), ("trials", dict(trials=1.5))]:
        args = dict(n=10, s=2, ps=[5]) | kw
        with pytest.raises(ValueError, match=f"{name} must be an integer"):
            sparse_double_descent(world, **args)
    with pytest.raises(TypeError, match="world must be a pruning_lab.problems.LinearGaussianProblem"):
        sparse_double_descent("world", 10, 2, [5])


@pytest.mark.parametrize("kappas", [[np.nan], [0.5, np.inf], np.array([0.5 + 1j])])
def test_dense_risk_curve_rejects_non_finite_or_complex_ratios(kappas):
    with pytest.raises(ValueError, match="kappas"):
        dense_risk_curve(10, kappas, trials=0)


@pytest.mark.parametrize(
    "kw, name",
    [
        (dict(n=-3), "n must be an integer >= 1"),
        (dict(sigma=np.nan), "sigma must be finite"),
        (dict(trials=-1), "trials must be an integer >= 0"),
    ],
)
def test_dense_risk_curve_rejects_bad_scalars(kw, name):
    args = dict(n=10, kappas=[0.5], trials=0) | kw
    with pytest.raises(ValueError, match=name):
        dense_risk_curve(**args)
