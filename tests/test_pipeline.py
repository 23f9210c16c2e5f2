r"""Tests of pruning_lab.pipeline: train -> prune -> retrain and strategy comparisons.

Monte Carlo comparisons use 4 standard errors of the mean over trials.
"""

import numpy as np
import pytest

from pruning_lab import lsq, pipeline
from pruning_lab import prune as P
from pruning_lab.problems import LinearGaussianProblem, equicorrelated_covariance

ALL = pipeline.STRATEGIES
DETERMINISTIC = ("magnitude", "hessian", "obs", "oracle")


def _spiked(p=30, k=5, rho=0.0):
    return LinearGaussianProblem.spiked(p, k, spike=5.0, beta_spike=0.4, beta_bulk=0.1, sigma=0.5, rho=rho)


def _correlated(p=12, seed=0):
    rng = np.random.default_rng(seed)
    scale = np.sqrt(rng.uniform(0.5, 3.0, p))
    cov = scale[:, None] * equicorrelated_covariance(p, 0.4) * scale[None, :]
    return LinearGaussianProblem(rng.standard_normal(p) / np.sqrt(p), 0.3, cov)


# ------------------------------------------------------------ train_prune_retrain
@pytest.mark.parametrize("n", [20, 60])  # over- and under-parameterized (p = 30)
@pytest.mark.parametrize("strategy", ALL)
def test_train_prune_retrain_steps_match_the_building_blocks(strategy, n):
    prob = _spiked()
    X, y = prob.sample(n, 1)
    s = 7
    res = pipeline.train_prune_retrain(X, y, s, strategy, problem=prob, rng=5)
    dense = lsq.min_norm_solution(X, y)
    np.testing.assert_allclose(res.dense, dense, rtol=1e-13, atol=1e-13)
    if strategy == "magnitude":
        expected = P.magnitude_prune(dense, s)
    elif strategy == "hessian":
        expected = P.hessian_prune(dense, s, np.diag(X.T @ X) / n)
    elif strategy == "oracle":
        expected = P.oracle_prune(dense, s, saliency=prob.covariance_diag() * prob.beta**2)
    elif strategy == "random":
        expected = P.random_prune(dense, s, np.random.default_rng(5))
    else:
        damping = pipeline.OBS_DAMPING if X.shape[1] >= n else 0.0
        expected = P.obs_prune(dense, X.T @ X / n, s, damping=damping)
    np.testing.assert_array_equal(res.mask, expected.mask)
    np.testing.assert_allclose(res.pruned, expected.weights, rtol=1e-12, atol=1e-13)
    assert res.mask.sum() == s and np.all(res.pruned[~res.mask] == 0)
    # retrained = restricted fit on the kept features, on the same data
    np.testing.assert_allclose(res.retrained, lsq.restricted_fit(X, y, res.mask), rtol=1e-12, atol=1e-13)
    np.testing.assert_allclose(res.retrained[res.mask], np.linalg.pinv(X[:, res.mask]) @ y, rtol=1e-8, atol=1e-10)
    no_rt = pipeline.train_prune_retrain(X, y, s, strategy, retrain=False, problem=prob, rng=5)
    assert no_rt.retrained is None
    np.testing.assert_array_equal(no_rt.mask, res.mask)


def test_obs_in_the_underparameterized_pipeline_already_includes_the_retraining():
    """p < n: OBS with the exact Hessian moves the kept weights to the refit (no damping is applied)."""
    prob = _correlated()
    X, y = prob.sample(50, 2)
    res = pipeline.train_prune_retrain(X, y, 4, "obs")
    np.testing.assert_allclose(res.pruned, res.retrained, rtol=0, atol=1e-12)


def test_fresh_retrain_data_path():
    prob = _correlated()
    X, y = prob.sample(8, 3)
    X2, y2 = prob.sample(40, 4)
    fresh = pipeline.train_prune_retrain(X, y, 5, "magnitude", retrain_data=(X2, y2))
    same = pipeline.train_prune_retrain(X, y, 5, "magnitude")
    np.testing.assert_array_equal(fresh.mask, same.mask)  # pruning only sees the training data
    np.testing.assert_allclose(fresh.retrained, lsq.restricted_fit(X2, y2, fresh.mask), rtol=1e-12)
    assert not np.allclose(fresh.retrained, same.retrained)


def test_fresh_data_retraining_matches_restricted_ols_theory():
    r"""Def. 5: Delta is independent of the fresh batch, so the retrained model is OLS on the restricted LGP
    (Sigma_DD, beta*_D, sigma_D) and E[L | Delta] = sigma_D^2 (n2 - 1)/(n2 - s - 1) exactly (§5.2).
    Averaged over trials, L - that value has mean 0 (within 4 s.e.)."""
    prob = _correlated(p=30, seed=5)
    n, n2, s, trials = 20, 40, 8, 300
    rng = np.random.default_rng(6)
    gaps = []
    for _ in range(trials):
        X, y = prob.sample(n, rng)
        res = pipeline.train_prune_retrain(X, y, s, "magnitude", retrain_data=prob.sample(n2, rng))
        theory = prob.restrict(res.mask).sigma ** 2 * (n2 - 1) / (n2 - s - 1)
        gaps.append(prob.population_risk(res.retrained) - theory)
    gaps = np.array(gaps)
    se = gaps.std(ddof=1) / np.sqrt(trials)
    assert abs(gaps.mean()) < 4 * se
    assert 4 * se < 0.1 * np.mean([prob.restrict(np.arange(s)).sigma ** 2 * s / (n2 - s - 1)])  # power


# ------------------------------------------------------------ compare_strategies
def test_compare_strategies_shapes_and_summaries():
    prob = _spiked()
    sp = [0, 3, 10, 30]
    c = pipeline.compare_strategies(prob, 20, sp, trials=4, rng=0, progress=False)
    assert c.strategies == ALL and c.n == 20 and c.p == 30
    np.testing.assert_array_equal(c.sparsities, sp)
    assert c.dense.shape == (4,) and c.small.shape == (4, 4)
    for s in ALL:
        assert c.pruned[s].shape == (4, 4) and c.retrained[s].shape == (4, 4)
        assert c.mean(s).shape == (4,) and c.sem(s, retrained=True).shape == (4,)
        np.testing.assert_allclose(c.mean(s), c.pruned[s].mean(axis=1), rtol=1e-15)
        np.testing.assert_allclose(c.sem(s), c.pruned[s].std(axis=1, ddof=1) / 2, rtol=1e-12)
    np.testing.assert_allclose(c.mean("dense"), np.full(4, c.dense.mean()), rtol=1e-15)
    np.testing.assert_allclose(c.mean("small"), c.small.mean(axis=1), rtol=1e-15)
    assert c.null_risk == pytest.approx(prob.null_risk())
    one = pipeline.compare_strategies(prob, 20, 3, ("magnitude",), trials=1, progress=False)
    np.testing.assert_array_equal(one.sem("magnitude"), [0.0])
    with pytest.raises(ValueError, match="was not part of this comparison"):
        one.mean("hessian")


def test_comparison_table_lists_the_mean_risks():
    prob = _spiked()
    c = pipeline.compare_strategies(prob, 20, [0, 5, 30], ("magnitude", "oracle"), trials=3, rng=1, progress=False)
    for retrained in (False, True):
        lines = c.table(retrained=retrained, digits=4).splitlines()
        assert len(lines) == 1 + 2 + 1  # header, two strategies, small
        assert lines[0].split() == ["s", "0", "5", "30"]
        for line, name in zip(lines[1:], ["magnitude", "oracle", "small"]):
            fields = line.split()
            assert fields[0] == name
            np.testing.assert_allclose([float(v) for v in fields[1:]], c.mean(name, retrained), rtol=1e-3)
        # s = 0 column is the null risk for every row
        assert all(float(line.split()[1]) == pytest.approx(prob.null_risk(), rel=1e-3) for line in lines[1:])


def test_compare_strategies_is_reproducible():
    prob = _spiked()
    kw = dict(trials=3, progress=False)
    a = pipeline.compare_strategies(prob, 15, [2, 8], rng=7, **kw)
    b = pipeline.compare_strategies(prob, 15, [2, 8], rng=np.random.default_rng(7), **kw)
    c = pipeline.compare_strategies(prob, 15, [2, 8], rng=8, **kw)
    for s in ALL:
        np.testing.assert_array_equal(a.pruned[s], b.pruned[s])
        np.testing.assert_array_equal(a.retrained[s], b.retrained[s])
    np.testing.assert_array_equal(a.dense, b.dense)
    np.testing.assert_array_equal(a.small, b.small)
    assert not np.array_equal(a.dense, c.dense)


@pytest.mark.parametrize("n", [12, 50])
def test_compare_strategies_agrees_with_building_blocks(n):
    """Recompute every recorded risk from the same data (the data are the first draws of the seeded rng)."""
    prob = _correlated(p=30, seed=9)  # random beta and variances: |beta|, Sigma_ii beta_i^2 rank differently
    assert not np.array_equal(P.top_s_mask(prob.oracle_saliency(), 6), P.top_s_mask(np.abs(prob.beta), 6))
    sp = [1, 6, 20]
    c = pipeline.compare_strategies(prob, n, sp, DETERMINISTIC, trials=3, rng=11, progress=False)
    rng = np.random.default_rng(11)
    for t in range(3):
        X, y = prob.sample(n, rng)
        w = lsq.min_norm_solution(X, y)
        assert c.dense[t] == pytest.approx(prob.population_risk(w), rel=1e-12)
        for j, s in enumerate(sp):
            oracle_support = P.top_s_mask(prob.oracle_saliency(), s)
            # the "small" baseline: train directly on the oracle top-s features
            assert c.small[j, t] == pytest.approx(
                prob.population_risk(lsq.restricted_fit(X, y, oracle_support)), rel=1e-10
            )
            for strategy in DETERMINISTIC:
                r = pipeline.prune_weights(strategy, w, s, X=X, problem=prob)
                assert c.pruned[strategy][j, t] == pytest.approx(prob.population_risk(r.weights), rel=1e-9)
                rt = lsq.restricted_fit(X, y, r.mask)
                assert c.retrained[strategy][j, t] == pytest.approx(prob.population_risk(rt), rel=1e-10)
    if n > prob.p:  # OBS with the exact Hessian is prune + retrain in one step
        np.testing.assert_allclose(c.pruned["obs"], c.retrained["obs"], rtol=1e-10)
    # oracle support + retrain on the same data is exactly the small model
    np.testing.assert_allclose(c.retrained["oracle"], c.small, rtol=1e-12)


@pytest.mark.parametrize("n", [10, 60])
def test_keeping_everything_gives_the_dense_risk(n):
    """§7.6: s = p leaves the trained model unchanged, pruned or retrained."""
    prob = _spiked(rho=0.2)
    c = pipeline.compare_strategies(prob, n, [prob.p], trials=3, rng=12, progress=False)
    for s in ALL:
        np.testing.assert_allclose(c.pruned[s][0], c.dense, rtol=1e-10, err_msg=s)
        np.testing.assert_allclose(c.retrained[s][0], c.dense, rtol=1e-10, err_msg=s)
    np.testing.assert_allclose(c.small[0], c.dense, rtol=1e-10)


def test_keeping_nothing_gives_the_null_risk():
    """§7.6: s = 0 gives sigma^2 + beta^T Sigma beta for every strategy and the small model."""
    prob = _spiked(rho=0.2)
    c = pipeline.compare_strategies(prob, 10, [0, 5], trials=3, rng=13, progress=False)
    null = prob.sigma**2 + prob.beta @ prob.covariance_matrix() @ prob.beta
    for s in ALL:
        np.testing.assert_allclose(c.pruned[s][0], null, rtol=1e-12)
        np.testing.assert_allclose(c.retrained[s][0], null, rtol=1e-12)
        assert np.all(c.pruned[s][1] < null)  # sanity: keeping the spikes helps
    np.testing.assert_allclose(c.small[0], null, rtol=1e-12)


def test_hessian_pruning_beats_magnitude_on_a_spiked_diagonal_problem():
    r"""Uncorrelated features, s = number of spikes (the spikes fit): Hessian pruning's sqrt(Sigma_ii) weighting
    favours the spiked features whose min-norm weights are shrunk less.  Paired difference over 30 trials
    (E1-like, p = 200, n = 80, s = 20): magnitude - hessian > 4 s.e. and > 0 in most trials."""
    prob = LinearGaussianProblem.spiked(200, 20, beta_bulk=0.5 / 30 * np.sqrt(5), sigma=0.5)
    c = pipeline.compare_strategies(prob, 80, [20], ("magnitude", "hessian"), trials=30, rng=3, progress=False)
    d = c.pruned["magnitude"][0] - c.pruned["hessian"][0]
    se = d.std(ddof=1) / np.sqrt(d.size)
    assert d.mean() > 4 * se
    assert np.mean(d >= 0) >= 0.8


def test_random_strategy_is_worse_than_oracle_on_average():
    prob = _spiked(p=40, k=4)
    c = pipeline.compare_strategies(prob, 60, [4], ("oracle", "random"), trials=20, rng=14, progress=False)
    d = c.pruned["random"][0] - c.pruned["oracle"][0]
    assert d.mean() > 4 * d.std(ddof=1) / np.sqrt(d.size)


# -------------------------------------------------------------------- bad inputs
def test_unknown_strategy_raises():
    prob = _spiked()
    X, y = prob.sample(10, 0)
    with pytest.raises(ValueError, match="unknown pruning strategy 'snip'; choose one of magnitude"):
        pipeline.compare_strategies(prob, 10, [3], ("magnitude", "snip"), trials=1, progress=False)
    with pytest.raises(ValueError, match="unknown pruning strategy"):
        pipeline.train_prune_retrain(X, y, 3, "Magnitude")
    with pytest.raises(ValueError, match="unknown pruning strategy"):
        pipeline.prune_weights("l1", np.ones(30), 3)


@pytest.mark.parametrize("trials", [0, -2, 2.5, True, "3"])
def test_bad_trials_raise(trials):
    with pytest.raises(ValueError, match="trials must be a positive integer"):
        pipeline.compare_strategies(_spiked(), 10, [3], trials=trials, progress=False)


@pytest.mark.parametrize("n", [0, -1, 3.0, None])
def test_bad_n_raises(n):
    with pytest.raises(ValueError, match=r"n \(training-set size\) must be a positive integer"):
        pipeline.compare_strategies(_spiked(), n, [3], trials=1, progress=False)


def test_bad_sparsities_raise():
    with pytest.raises(ValueError, match="must lie in 0..30"):
        pipeline.compare_strategies(_spiked(), 10, [3, 31], trials=1, progress=False)
    with pytest.raises(ValueError, match="must be an integer"):
        pipeline.compare_strategies(_spiked(), 10, [2.5], trials=1, progress=False)
    X, y = _spiked().sample(10, 0)
    with pytest.raises(ValueError, match="must lie in 0..30"):
        pipeline.train_prune_retrain(X, y, -1)


def test_missing_strategy_inputs_raise():
    w = np.ones(30)
    with pytest.raises(ValueError, match="'hessian' needs the training inputs X"):
        pipeline.prune_weights("hessian", w, 3)
    with pytest.raises(ValueError, match="'obs' needs the training inputs X"):
        pipeline.prune_weights("obs", w, 3)
    with pytest.raises(ValueError, match="'oracle' needs the problem"):
        pipeline.prune_weights("oracle", w, 3)
    X, y = _spiked().sample(10, 0)
    with pytest.raises(ValueError, match="'oracle' needs the problem"):
        pipeline.train_prune_retrain(X, y, 3, "oracle")


def test_bad_training_data_raise():
    X, y = _spiked().sample(10, 0)
    with pytest.raises(ValueError, match="X has 10 rows but y has 9"):
        pipeline.train_prune_retrain(X, y[:9], 3)
    with pytest.raises(ValueError, match="X has 5 rows but y has 4"):
        pipeline.train_prune_retrain(X, y, 3, retrain_data=(X[:5], y[:4]))


def test_compare_strategies_accepts_a_single_strategy_name_and_rejects_empty_lists():
    problem = LinearGaussianProblem.spiked(20, 2, beta_bulk=0.1)
    single = pipeline.compare_strategies(problem, 10, [5], "magnitude", trials=2, rng=0, progress=False)
    assert single.strategies == ("magnitude",)
    with pytest.raises(ValueError, match="at least one"):
        pipeline.compare_strategies(problem, 10, [], trials=2, progress=False)
    with pytest.raises(ValueError, match="at least one"):
        pipeline.compare_strategies(problem, 10, [5], (), trials=2, progress=False)
