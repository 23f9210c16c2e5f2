r"""Tests of pruning_lab.pipeline: train -> prune -> retrain, strategy comparisons and their baselines.

Monte Carlo comparisons use 4 standard errors of the mean over trials; comparisons of a simulated
ridge risk with the ridge DC add 3 % (the accuracy of the deterministic equivalent stated in
tests/test_dc_ridge.py).
"""

import numpy as np
import pytest

from pruning_lab import dc, lsq, pipeline
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


# ------------------------------------------------------------ ridge baselines
def _brute_force_loo(Z, y, mu):
    """Mean squared leave-one-out residual of ridge with the penalty matrix n mu I, by n refits."""
    n, errors = len(y), []
    for i in range(n):
        keep = np.arange(n) != i
        b = np.linalg.solve(Z[keep].T @ Z[keep] + n * mu * np.eye(Z.shape[1]), Z[keep].T @ y[keep])
        errors.append((y[i] - Z[i] @ b) ** 2)
    return np.mean(errors)


@pytest.mark.parametrize("n, support", [(40, [0, 1, 2, 3, 4, 5, 6, 7, 20, 21]), (16, None)])
def test_loo_ridge_penalty_minimizes_the_brute_force_leave_one_out_error(n, support):
    """The closed-form LOO residuals (y_i - (Hy)_i)/(1 - H_ii) with H = Z(Z^TZ + n mu I)^{-1}Z^T, checked against
    n refits on n - 1 samples with the same matrix penalty n mu (the definition the hat matrix encodes);
    p = 30 > n = 16 exercises the dual case."""
    prob = _correlated(p=30, seed=3)
    X, y = prob.sample(n, 4)
    Z = X if support is None else X[:, support]
    grid = np.logspace(-3, 1, 9)
    brute = [_brute_force_loo(Z, y, mu) for mu in grid]
    assert 0 < int(np.argmin(brute)) < len(grid) - 1  # an interior minimum: the test can tell grids apart
    assert pipeline.loo_ridge_penalty(X, y, support, grid=grid) == grid[int(np.argmin(brute))]


def test_loo_ridge_penalty_default_grid_scales_with_the_features():
    """Rescaling every feature by c rescales the default grid and the chosen penalty by c^2 (same fitted values)."""
    X, y = _correlated(p=20).sample(50, 5)
    mu = pipeline.loo_ridge_penalty(X, y)
    assert pipeline.loo_ridge_penalty(3.0 * X, y) == pytest.approx(9.0 * mu, rel=1e-12)
    scale = np.mean(np.sum(X**2, axis=0) / 50)
    assert np.min(np.abs(pipeline.LOO_GRID * scale - mu)) < 1e-12 * mu


def test_ridge_baselines_are_the_building_blocks_and_leave_the_rest_unchanged():
    prob = _correlated(p=30, seed=9)
    sp, n, mus = [0, 4, 12, 30], 20, [0.5, 0.2, 0.1, 0.05]
    kw = dict(trials=3, rng=11, progress=False)
    c = pipeline.compare_strategies(prob, n, sp, ALL, small_ridge=mus, dense_ridge=0.3, loo=True, **kw)
    plain = pipeline.compare_strategies(prob, n, sp, ALL, **kw)
    for s in ALL:  # the baselines draw no random numbers: everything else is unchanged
        np.testing.assert_array_equal(c.pruned[s], plain.pruned[s])
        np.testing.assert_array_equal(c.retrained[s], plain.retrained[s])
    np.testing.assert_array_equal(c.small, plain.small)
    np.testing.assert_array_equal(c.dense, plain.dense)
    np.testing.assert_array_equal(c.small_penalty, mus)
    assert c.dense_penalty == 0.3 and plain.dense_penalty is None and plain.baselines == {}
    # recompute every baseline from the same data (deterministic strategies: the data are the only draws)
    c = pipeline.compare_strategies(prob, n, sp, DETERMINISTIC, small_ridge=mus, dense_ridge=0.3, loo=True, **kw)
    rng = np.random.default_rng(11)
    for t in range(3):
        X, y = prob.sample(n, rng)
        for j, s in enumerate(sp):
            mask = P.top_s_mask(prob.oracle_saliency(), s)
            ridge = lsq.ridge_solution(X, y, mus[j], mask) if s else np.zeros(prob.p)
            assert c.baselines["small_ridge"][j, t] == pytest.approx(prob.population_risk(ridge), rel=1e-10)
            loo = lsq.ridge_solution(X, y, pipeline.loo_ridge_penalty(X, y, mask), mask) if s else np.zeros(prob.p)
            assert c.baselines["small_loo"][j, t] == pytest.approx(prob.population_risk(loo), rel=1e-10)
        dense = lsq.ridge_solution(X, y, 0.3)
        assert c.baselines["dense_ridge"][t] == pytest.approx(prob.population_risk(dense), rel=1e-10)
        loo = lsq.ridge_solution(X, y, pipeline.loo_ridge_penalty(X, y))
        assert c.baselines["dense_loo"][t] == pytest.approx(prob.population_risk(loo), rel=1e-10)
    for name in ("small_ridge", "small_loo"):  # s = 0: every small model predicts zero
        np.testing.assert_allclose(c.mean(name)[0], prob.null_risk(), rtol=1e-12)
    np.testing.assert_allclose(c.mean("dense_ridge"), np.full(4, c.baselines["dense_ridge"].mean()), rtol=1e-15)
    assert c.sem("small_loo").shape == (4,) and c.sem("dense_loo").shape == (4,)
    assert c.has("small_ridge") and c.has("dense") and c.has("obs") and not plain.has("small_ridge")
    with pytest.raises(ValueError, match="was not part of this comparison"):
        plain.mean("small_ridge")


def test_comparison_table_lists_the_ridge_small_models():
    prob = _spiked()
    c = pipeline.compare_strategies(
        prob, 20, [5, 30], ("oracle",), trials=3, rng=1, progress=False, small_ridge=0.2, loo=True
    )
    lines = c.table().splitlines()
    assert [line.split()[0] for line in lines[1:]] == ["oracle", "small", "small_ridge", "small_loo"]
    np.testing.assert_allclose([float(v) for v in lines[3].split()[1:]], c.mean("small_ridge"), rtol=1e-3)


def test_fair_table_lists_the_small_models_and_the_best_pruned_model():
    prob = _spiked()
    sp = [3, 10]
    c = pipeline.compare_strategies(
        prob, 20, sp, ("hessian", "oracle"), trials=4, rng=2, progress=False, small_ridge=[0.3, 0.1], loo=True
    )
    theory = {"small": [1.5, 2.5], "small_ridge": [0.75, 0.25]}
    lines = c.fair_table(theory).splitlines()
    assert len(lines) == 1 + len(sp)
    assert lines[0].split() == [
        "s",
        "LS",
        "theory",
        "LS",
        "simulated",
        "mu*",
        "ridge",
        "theory",
        "ridge",
        "simulated",
    ] + ["LOO", "simulated", "best", "pruned", "best", "retrained"]
    for j, line in enumerate(lines[1:]):
        fields = line.split()
        assert int(fields[0]) == sp[j] and float(fields[1]) == theory["small"][j]
        mean, sem = (float(v) for v in fields[2].split("±"))
        assert mean == pytest.approx(c.mean("small")[j], rel=3e-3)
        assert sem == pytest.approx(c.sem("small")[j], rel=0.5)
        assert float(fields[3]) == [0.3, 0.1][j] and float(fields[4]) == theory["small_ridge"][j]
        assert float(fields[5].split("±")[0]) == pytest.approx(c.mean("small_ridge")[j], rel=3e-3)
        assert float(fields[6].split("±")[0]) == pytest.approx(c.mean("small_loo")[j], rel=3e-3)
        pruned = {s: c.mean(s)[j] for s in ("hessian", "oracle")}
        name = min(pruned, key=pruned.get)
        assert fields[-3] == name and float(fields[-4]) == pytest.approx(pruned[name], rel=2e-3)
        assert fields[-1] == "hessian"  # the retrained oracle is the small model itself: left out
    plain = pipeline.compare_strategies(prob, 20, sp, ("oracle",), trials=2, rng=2, progress=False)
    head = plain.fair_table().splitlines()[0].split()
    assert "ridge" not in head and "LOO" not in head and head[-1] == "retrained"
    assert plain.fair_table().splitlines()[1].split()[-1] == "-"


def test_tuned_small_model_simulation_matches_the_ridge_dc():
    """The chapter's tuned small model: ridge at the DC-optimal penalty on the oracle features, uncorrelated
    and correlated, p < n and p near n (where least squares is worst).  Simulated mean within 4 s.e. + 3 %
    of dc.optimal_ridge's predicted risk; and below the least-squares small model near s = n."""
    n, sp = 60, [10, 45]
    for rho in (0.0, 0.6):
        prob = LinearGaussianProblem.spiked(120, 12, spike=10.0, beta_spike=0.2, beta_bulk=0.05, sigma=0.5, rho=rho)
        tuned = [dc.optimal_ridge(prob, n, P.top_s_mask(prob.oracle_saliency(), s)) for s in sp]
        c = pipeline.compare_strategies(
            prob, n, sp, ("oracle",), trials=60, rng=2, progress=False, small_ridge=[t.mu for t in tuned]
        )
        for j, t in enumerate(tuned):
            mean, sem = c.mean("small_ridge")[j], c.sem("small_ridge")[j]
            assert abs(mean - t.risk) <= 4 * sem + 0.03 * t.risk, (rho, sp[j], mean, sem, t.risk)
        assert c.mean("small_ridge")[1] < 0.8 * c.mean("small")[1]


def test_loo_tuning_is_close_to_the_dc_optimal_penalty():
    """Leave-one-out on the training set itself gets within 5 % of the DC-optimal small model (paired, 40 trials)."""
    prob = LinearGaussianProblem.spiked(120, 12, spike=10.0, beta_spike=0.2, beta_bulk=0.05, sigma=0.5)
    s = [40]
    mu = dc.optimal_ridge(prob, 60, P.top_s_mask(prob.oracle_saliency(), 40)).mu
    c = pipeline.compare_strategies(
        prob, 60, s, ("oracle",), trials=40, rng=3, progress=False, small_ridge=mu, loo=True
    )
    assert c.mean("small_loo")[0] <= 1.05 * c.mean("small_ridge")[0]
    assert c.mean("small_loo")[0] >= c.mean("small_ridge")[0] - 4 * c.sem("small_ridge")[0]


# ------------------------------------------------------------ retraining diagnostics
def test_retraining_diagnostics_are_the_building_blocks():
    prob = _correlated(p=30, seed=9)
    sp, n = [4, 12], 20
    d = pipeline.retraining_diagnostics(prob, n, sp, ("magnitude", "obs"), trials=2, rng=5)
    rng = np.random.default_rng(5)
    for t in range(2):
        X, y = prob.sample(n, rng)
        X2, y2 = prob.sample(n, rng)
        w = lsq.min_norm_solution(X, y)
        for strategy in ("magnitude", "obs"):
            for j, s in enumerate(sp):
                mask = pipeline.prune_weights(strategy, w, s, X=X).mask
                refit = lsq.restricted_fit(X, y, mask)
                assert d.support_risk[strategy][j, t] == pytest.approx(prob.restricted_noise(mask), rel=1e-12)
                assert d.train_risk[strategy][j, t] == pytest.approx(lsq.training_risk(X, y, refit), rel=1e-9)
                assert d.same[strategy][j, t] == pytest.approx(prob.population_risk(refit), rel=1e-10)
                fresh = lsq.restricted_fit(X2, y2, mask)
                assert d.fresh[strategy][j, t] == pytest.approx(prob.population_risk(fresh), rel=1e-10)
    np.testing.assert_allclose(d.mean("same", "obs"), d.same["obs"].mean(axis=1))
    lines = d.table().splitlines()
    assert len(lines) == 1 + 2 * 6 and lines[1].split()[0] == "magnitude" and lines[7].split()[0] == "obs"
    with pytest.raises(ValueError, match="quantity must be"):
        d.mean("risk", "obs")
    with pytest.raises(ValueError, match="not part of these diagnostics"):
        d.mean("same", "hessian")


def test_obs_support_fits_the_training_noise():
    """The chapter's explanation of the OBS bump (its problem at s = 40 of p = 200, n = 100): OBS keeps every
    spiked feature (the support is as good as any: sigma_D^2 = 0.65), its refit's training loss lies far below
    sigma_D^2 (n - s)/n, and its same-data test risk exceeds the fresh-data one by more than 4 paired s.e.;
    the fresh-data refit matches the fixed-support expectation sigma_D^2 (n - 1)/(n - s - 1) within 4 s.e."""
    prob = LinearGaussianProblem.spiked(200, 20, spike=10.0, beta_spike=0.2, beta_bulk=0.05, sigma=0.5)
    n, s = 100, 40
    d = pipeline.retraining_diagnostics(prob, n, [s], ("obs",), trials=20, rng=0)
    np.testing.assert_allclose(d.support_risk["obs"], 0.25 + 160 * 0.05**2, rtol=1e-10)
    assert d.mean("train_risk", "obs")[0] < 0.5 * 0.65 * (n - s) / n
    gap = d.same["obs"][0] - d.fresh["obs"][0]
    assert gap.mean() > 4 * gap.std(ddof=1) / np.sqrt(gap.size)
    fresh, expected = d.fresh["obs"][0], 0.65 * (n - 1) / (n - s - 1)
    assert abs(fresh.mean() - expected) < 4 * fresh.std(ddof=1) / np.sqrt(fresh.size)


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
    with pytest.raises(ValueError, match=r"retrain_data y2 must have shape \(5,\), got \(4,\)"):
        pipeline.train_prune_retrain(X, y, 3, retrain_data=(X[:5], y[:4]))


def test_compare_strategies_accepts_a_single_strategy_name_and_rejects_empty_lists():
    problem = LinearGaussianProblem.spiked(20, 2, beta_bulk=0.1)
    single = pipeline.compare_strategies(problem, 10, [5], "magnitude", trials=2, rng=0, progress=False)
    assert single.strategies == ("magnitude",)
    with pytest.raises(ValueError, match="at least one"):
        pipeline.compare_strategies(problem, 10, [], trials=2, progress=False)
    with pytest.raises(ValueError, match="at least one"):
        pipeline.compare_strategies(problem, 10, [5], (), trials=2, progress=False)


def test_bad_ridge_baselines_raise():
    prob = _spiked()
    kw = dict(trials=1, progress=False)
    for bad in (0.0, -1.0, np.nan, [0.1, 0.2], "big", [0.1, 0.0, 0.3]):
        with pytest.raises(ValueError, match="small_ridge must be"):
            pipeline.compare_strategies(prob, 10, [1, 2, 3], small_ridge=bad, **kw)
    for bad in (0.0, [0.1, 0.2], np.inf):
        with pytest.raises(ValueError, match="dense_ridge must be"):
            pipeline.compare_strategies(prob, 10, [1, 2, 3], dense_ridge=bad, **kw)


def test_bad_loo_inputs_raise():
    X, y = _spiked().sample(10, 0)
    with pytest.raises(ValueError, match="support is empty"):
        pipeline.loo_ridge_penalty(X, y, [])
    with pytest.raises(ValueError, match="grid must hold"):
        pipeline.loo_ridge_penalty(X, y, grid=[0.1, 0.0])
    with pytest.raises(ValueError, match="grid must hold"):
        pipeline.loo_ridge_penalty(X, y, grid=[])
    with pytest.raises(ValueError, match="y"):
        pipeline.loo_ridge_penalty(X, np.stack([y, y], axis=1))
    with pytest.raises(ValueError, match="X has 10 rows but y has 9"):
        pipeline.loo_ridge_penalty(X, y[:9])
    with pytest.raises(ValueError, match="at least 2 samples"):
        pipeline.loo_ridge_penalty(X[:1], y[:1])
    with pytest.raises(ValueError, match="support indices must lie"):
        pipeline.loo_ridge_penalty(X, y, [0, 40])


def test_bad_retraining_diagnostics_inputs_raise():
    prob = _spiked()
    with pytest.raises(ValueError, match="unknown pruning strategy"):
        pipeline.retraining_diagnostics(prob, 10, [3], ("snip",), trials=1)
    with pytest.raises(ValueError, match="trials must be a positive integer"):
        pipeline.retraining_diagnostics(prob, 10, [3], trials=0)
    with pytest.raises(ValueError, match=r"n \(training-set size\)"):
        pipeline.retraining_diagnostics(prob, 0, [3], trials=1)
    with pytest.raises(ValueError, match="must lie in 0..30"):
        pipeline.retraining_diagnostics(prob, 10, [31], trials=1)
    with pytest.raises(ValueError, match="at least one"):
        pipeline.retraining_diagnostics(prob, 10, [], trials=1)


@pytest.mark.parametrize(
    "bad, match",
    [
        ("X only", "retrain_data must be a pair"),
        ("three", "retrain_data must be a pair"),
        ("array", "retrain_data must be a pair"),
        ("wide", r"retrain_data X2 must have shape \(any, 30\)"),
        ("nan", "retrain_data y2 contains 1 NaN"),
    ],
)
def test_train_prune_retrain_checks_the_retraining_batch(bad, match):
    X, y = _spiked().sample(10, 0)
    data = {
        "X only": (X,),
        "three": (X, y, y),
        "array": X,
        "wide": (np.ones((10, 41)), y),
        "nan": (X, np.r_[np.nan, y[1:]]),
    }[bad]
    with pytest.raises(ValueError, match=match):
        pipeline.train_prune_retrain(X, y, 3, retrain_data=data)
