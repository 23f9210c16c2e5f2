r"""Tests of pruning_lab.prune: pruning operators and Optimal Brain Surgeon.

Frequency tolerances for random pruning are 5 binomial standard deviations.
"""

import itertools

import numpy as np
import pytest

from pruning_lab import lsq
from pruning_lab import prune as P
from pruning_lab.problems import LinearGaussianProblem

p = 9


def _tied_weights(seed=0, size=p):
    """Integer weights in -2..2: many ties in |w| and several exact zeros."""
    return np.random.default_rng(seed).integers(-2, 3, size=size).astype(float)


def _ols_problem(n=60, p=8, seed=1, scales=None):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, p))
    if scales is not None:
        X = X * scales
    y = X @ rng.standard_normal(p) + 0.5 * rng.standard_normal(n)
    w = lsq.min_norm_solution(X, y)  # OLS: gradient of the training loss is zero at w
    return X, y, w, X.T @ X / n


def _all_operators(w, s):
    """Every operator at sparsity s on a 1-D w (OBS with a nonsingular Hessian)."""
    rng = np.random.default_rng(99)
    h = rng.uniform(0.5, 2.0, size=w.size)
    A = rng.standard_normal((3 * w.size, w.size))
    return {
        "magnitude": P.magnitude_prune(w, s),
        "hessian": P.hessian_prune(w, s, h),
        "oracle": P.oracle_prune(w, s, saliency=rng.uniform(size=w.size)),
        "random": P.random_prune(w, s, rng),
        "obs": P.obs_prune(w, A.T @ A, s),
    }


# ------------------------------------------------------------ exact sparsity
@pytest.mark.parametrize("s", range(p + 1))
def test_every_operator_keeps_exactly_s(s):
    w = _tied_weights()
    for name, r in _all_operators(w, s).items():
        assert r.mask.dtype == bool and r.mask.shape == w.shape, name
        assert r.s == s and r.mask.sum() == s, name
        assert np.all(r.weights[~r.mask] == 0.0), name
        assert r.support.size == s, name
        if name != "obs":  # OBS also moves the kept weights
            np.testing.assert_array_equal(r.weights[r.mask], w[r.mask], err_msg=name)
    m = P.top_s_mask(np.abs(w), s)
    assert m.sum() == s


@pytest.mark.parametrize("s", [0, 1, 4, p])
def test_all_equal_weights_keep_the_lowest_indices(s):
    w = np.full(p, 0.7)
    expected = np.arange(p) < s
    for name, r in _all_operators(w, s).items():
        if name != "magnitude":  # the others use non-constant scores in _all_operators
            continue
        np.testing.assert_array_equal(r.mask, expected, err_msg=name)
    np.testing.assert_array_equal(P.hessian_prune(w, s, np.ones(p)).mask, expected)
    np.testing.assert_array_equal(P.oracle_prune(w, s, saliency=np.ones(p)).mask, expected)
    np.testing.assert_array_equal(P.top_s_mask(np.zeros(p), s), expected)


def _reference_mask(scores, s):
    """Pure-Python definition: sort by (score descending, index ascending), keep the first s."""
    order = sorted(range(len(scores)), key=lambda i: (-scores[i], i))[:s]
    mask = np.zeros(len(scores), dtype=bool)
    mask[order] = True
    return mask


@pytest.mark.parametrize("s", [0, 1, 37, 50, 99, 150, 200])
def test_large_tied_arrays_match_the_reference_ranking(s):
    """Ties over long arrays (where an unstable sort would reorder them) keep the lowest indices."""
    w = np.tile([1.0, -1.0, 0.5, 0.0, -0.5], 40)  # p = 200
    h = np.tile([1.0, 1.0, 4.0, 2.0], 50)  # saliency ties across different |w|: 1*1 == 4*0.25
    np.testing.assert_array_equal(P.magnitude_prune(w, s).mask, _reference_mask(np.abs(w), s))
    np.testing.assert_array_equal(P.hessian_prune(w, s, h).mask, _reference_mask(h * w**2, s))
    sal = np.tile([3.0, 3.0, 1.0], 67)[:200]
    np.testing.assert_array_equal(P.oracle_prune(w, s, saliency=sal).mask, _reference_mask(sal, s))
    W = np.stack([w, w[::-1]])
    batched = P.magnitude_prune(W, s).mask
    np.testing.assert_array_equal(batched[1], _reference_mask(np.abs(w[::-1]), s))


def test_sign_ties_are_broken_by_index():
    w = np.array([-1.0, 1.0, -1.0, 1.0, 0.5])
    np.testing.assert_array_equal(P.magnitude_prune(w, 1).mask, [1, 0, 0, 0, 0])
    np.testing.assert_array_equal(P.magnitude_prune(w, 3).mask, [1, 1, 1, 0, 0])
    np.testing.assert_array_equal(P.magnitude_prune(w, 4).weights, [-1, 1, -1, 1, 0])


def test_zero_weights_are_kept_when_s_exceeds_the_nonzeros():
    w = np.array([0.0, 3.0, 0.0, -2.0, 0.0])
    r = P.magnitude_prune(w, 4)
    np.testing.assert_array_equal(r.mask, [1, 1, 1, 1, 0])  # exactly 4, the two lowest-index zeros
    np.testing.assert_array_equal(r.weights, w)


# --------------------------------------------------------------- top-s score
@pytest.mark.parametrize("seed", range(5))
def test_kept_set_is_the_top_s_of_the_score(seed):
    rng = np.random.default_rng(seed)
    w = rng.standard_normal(30)
    h = rng.exponential(size=30)
    for s in [1, 7, 15, 29]:
        for r, score in [
            (P.magnitude_prune(w, s), np.abs(w)),
            (P.hessian_prune(w, s, h), h * w**2),
        ]:
            assert score[r.mask].min() >= score[~r.mask].max()


def test_hessian_prune_differs_from_magnitude_when_curvature_differs():
    """Saliency H_ii w_i^2, not |w_i|: a small weight on a high-curvature feature wins."""
    w = np.array([1.0, 0.5, 0.1])
    h = np.array([0.1, 1.0, 100.0])  # saliencies 0.1, 0.25, 1.0
    np.testing.assert_array_equal(P.hessian_prune(w, 1, h).mask, [0, 0, 1])
    np.testing.assert_array_equal(P.hessian_prune(w, 2, h).mask, [0, 1, 1])
    np.testing.assert_array_equal(P.magnitude_prune(w, 1).mask, [1, 0, 0])
    # a constant curvature does not change the ranking
    np.testing.assert_array_equal(P.hessian_prune(w, 2, np.full(3, 5.0)).mask, P.magnitude_prune(w, 2).mask)


def test_magnitude_mask_matches_torch_l1_unstructured():
    """Agreement with torch.nn.utils.prune.l1_unstructured on weights without ties."""
    torch = pytest.importorskip("torch")
    from torch.nn.utils import prune as tprune

    w = np.random.default_rng(3).standard_normal(40)
    for s in [0, 1, 13, 39, 40]:
        lin = torch.nn.Linear(40, 1, bias=False)
        with torch.no_grad():
            lin.weight.copy_(torch.from_numpy(w[None, :]))
        tprune.l1_unstructured(lin, "weight", amount=40 - s)
        np.testing.assert_array_equal(P.magnitude_prune(w, s).mask, lin.weight_mask.numpy()[0].astype(bool))


# ---------------------------------------------------------------- idempotence
@pytest.mark.parametrize("s", [0, 1, 4, 8, p])
def test_magnitude_and_hessian_are_idempotent(s):
    w = _tied_weights(2)
    h = np.random.default_rng(2).uniform(0.5, 2, p)
    r = P.magnitude_prune(w, s)
    np.testing.assert_array_equal(P.magnitude_prune(r.weights, s).weights, r.weights)
    r = P.hessian_prune(w, s, h)
    np.testing.assert_array_equal(P.hessian_prune(r.weights, s, h).weights, r.weights)
    # generic weights (no zeros): the mask is reproduced too
    g = np.random.default_rng(3).standard_normal(p)
    r = P.magnitude_prune(g, s)
    np.testing.assert_array_equal(P.magnitude_prune(r.weights, s).mask, r.mask)
    r = P.hessian_prune(g, s, h)
    np.testing.assert_array_equal(P.hessian_prune(r.weights, s, h).mask, r.mask)


def test_pruning_is_nested():
    """Pruning to s then to s' < s equals pruning to s' directly."""
    w = np.random.default_rng(4).standard_normal(20)
    h = np.random.default_rng(5).uniform(0.1, 3, 20)
    for s, s2 in [(15, 5), (10, 9), (20, 1)]:
        np.testing.assert_array_equal(
            P.magnitude_prune(P.magnitude_prune(w, s).weights, s2).weights, P.magnitude_prune(w, s2).weights
        )
        np.testing.assert_array_equal(
            P.hessian_prune(P.hessian_prune(w, s, h).weights, s2, h).weights, P.hessian_prune(w, s2, h).weights
        )


# ---------------------------------------------------------------------- batched
def test_batched_input_is_pruned_row_by_row():
    rng = np.random.default_rng(6)
    W = rng.standard_normal((5, p))
    W[1] = _tied_weights(7)
    h = rng.uniform(0.5, 2, p)
    sal = rng.uniform(size=p)
    s = 4
    cases = [
        (P.magnitude_prune(W, s), lambda w: P.magnitude_prune(w, s)),
        (P.hessian_prune(W, s, h), lambda w: P.hessian_prune(w, s, h)),
        (P.oracle_prune(W, s, saliency=sal), lambda w: P.oracle_prune(w, s, saliency=sal)),
        (P.threshold_prune(W, 0.8), lambda w: P.threshold_prune(w, 0.8)),
    ]
    for batched, single in cases:
        assert batched.weights.shape == W.shape and batched.mask.shape == W.shape
        for k in range(W.shape[0]):
            r = single(W[k])
            np.testing.assert_array_equal(batched.weights[k], r.weights)
            np.testing.assert_array_equal(batched.mask[k], r.mask)
    r = P.random_prune(W, s, 0)
    np.testing.assert_array_equal(r.s, np.full(5, s))
    np.testing.assert_array_equal(r.weights[r.mask], W[r.mask])
    assert not np.all(r.mask == r.mask[0])  # rows get independent draws
    with pytest.raises(ValueError, match="single weight vector"):
        _ = r.support


# ---------------------------------------------------------------------- oracle
def test_oracle_uses_population_saliency_not_magnitude():
    """Eq. (4): keep by Sigma_ii beta_i^2; here the largest beta has the smallest saliency."""
    beta = np.array([1.0, 0.5, 0.2])
    prob = LinearGaussianProblem(beta, 0.1, np.array([0.1, 10.0, 100.0]))  # saliency 0.1, 2.5, 4.0
    np.testing.assert_array_equal(P.oracle_prune(beta, 1, prob).mask, [0, 0, 1])
    np.testing.assert_array_equal(P.oracle_prune(beta, 2, prob).mask, [0, 1, 1])
    np.testing.assert_array_equal(P.magnitude_prune(beta, 1).mask, [1, 0, 0])
    # the mask depends on the problem only, not on the weights being pruned
    other = np.array([5.0, -3.0, 0.01])
    r = P.oracle_prune(other, 1, prob)
    np.testing.assert_array_equal(r.mask, [0, 0, 1])
    np.testing.assert_array_equal(r.weights, [0, 0, 0.01])
    np.testing.assert_array_equal(P.oracle_prune(other, 2, saliency=prob.oracle_saliency()).mask, [0, 1, 1])


def test_oracle_with_correlated_problem_uses_the_diagonal():
    S = np.array([[1.0, 0.9, 0.0], [0.9, 4.0, 0.0], [0.0, 0.0, 9.0]])
    prob = LinearGaussianProblem(np.array([1.0, 0.6, 0.3]), 0.1, S)  # saliency 1.0, 1.44, 0.81
    np.testing.assert_array_equal(P.oracle_prune(np.ones(3), 1, prob).mask, [0, 1, 0])


def test_oracle_needs_exactly_one_source():
    with pytest.raises(ValueError, match="exactly one of problem or saliency"):
        P.oracle_prune(np.ones(3), 1)
    prob = LinearGaussianProblem(np.ones(3), 0.1, np.ones(3))
    with pytest.raises(ValueError, match="exactly one of problem or saliency"):
        P.oracle_prune(np.ones(3), 1, prob, saliency=np.ones(3))
    with pytest.raises(ValueError, match=r"saliency must have shape \(3,?\)"):
        P.oracle_prune(np.ones(3), 1, saliency=np.ones(4))


# ---------------------------------------------------------------------- random
def test_random_prune_is_reproducible():
    w = np.random.default_rng(8).standard_normal(30)
    a = P.random_prune(w, 10, 5)
    b = P.random_prune(w, 10, np.random.default_rng(5))
    np.testing.assert_array_equal(a.mask, b.mask)
    assert not np.array_equal(a.mask, P.random_prune(w, 10, 6).mask)


def test_random_prune_keeps_each_index_with_frequency_s_over_p():
    draws, p_, s = 20_000, 10, 3
    r = P.random_prune(np.ones((draws, p_)), s, 11)
    freq = r.mask.mean(axis=0)
    sd = np.sqrt(s / p_ * (1 - s / p_) / draws)
    assert np.all(np.abs(freq - s / p_) < 5 * sd)


def test_random_prune_is_uniform_over_subsets():
    """Each of the C(5,2) = 10 kept sets has frequency 1/10 (5 binomial s.d.)."""
    draws = 20_000
    r = P.random_prune(np.ones((draws, 5)), 2, 12)
    codes = r.mask @ (2 ** np.arange(5))
    subsets = [sum(2**i for i in c) for c in itertools.combinations(range(5), 2)]
    sd = np.sqrt(0.1 * 0.9 / draws)
    for c in subsets:
        assert abs(np.mean(codes == c) - 0.1) < 5 * sd
    assert np.isin(codes, subsets).all()


# ------------------------------------------------------------------- threshold
def test_threshold_prune_keeps_exactly_the_entries_above_t():
    w = np.array([0.5, -2.0, 1.0, 0.0, -1.0, 3.0])
    r = P.threshold_prune(w, 1.0)
    np.testing.assert_array_equal(r.mask, [0, 1, 0, 0, 0, 1])  # strict: |w| == t is dropped
    np.testing.assert_array_equal(r.weights, [0, -2, 0, 0, 0, 3])
    np.testing.assert_array_equal(P.threshold_prune(w, 0).mask, w != 0)
    assert P.threshold_prune(w, 10).s == 0
    scores = np.array([5.0, 0.0, 2.0, 9.0, 0.0, 0.0])
    r = P.threshold_prune(w, 1.5, scores=scores)
    np.testing.assert_array_equal(r.mask, [1, 0, 1, 1, 0, 0])
    np.testing.assert_array_equal(r.weights, [0.5, 0, 1, 0, 0, 0])


def test_threshold_prune_random_against_definition():
    rng = np.random.default_rng(13)
    W = rng.standard_normal((4, 50))
    for t in [0.0, 0.3, 1.0, 2.5]:
        r = P.threshold_prune(W, t)
        np.testing.assert_array_equal(r.mask, np.abs(W) > t)
        np.testing.assert_array_equal(r.weights, np.where(np.abs(W) > t, W, 0))


# ------------------------------------------------------------------------- OBS
@pytest.mark.parametrize("s", [0, 1, 3, 5, 7, 8])
def test_obs_equals_restricted_fit_on_its_support(s):
    """Quadratic loss, w = OLS, H = X^T X / n nonsingular: each OBS step is exact, so OBS = refit on its support."""
    X, y, w, H = _ols_problem()
    r = P.obs_prune(w, H, s)
    assert r.s == s
    fit = lsq.restricted_fit(X, y, r.mask)
    np.testing.assert_allclose(r.weights, fit, rtol=0, atol=1e-12 * np.max(np.abs(w)))


@pytest.mark.parametrize("seed", range(4))
def test_obs_single_removal_is_the_best_refit(seed):
    """s = p-1: OBS removes the weight whose removal-then-refit has the smallest training loss (brute force)."""
    X, y, w, H = _ols_problem(n=40, p=7, seed=seed)
    losses = [lsq.training_risk(X, y, lsq.restricted_fit(X, y, np.delete(np.arange(7), q))) for q in range(7)]
    r = P.obs_prune(w, H, 6)
    assert np.flatnonzero(~r.mask).tolist() == [int(np.argmin(losses))]
    # and the OBS saliency w_q^2 / (2 [H^-1]_qq) is exactly half the increase of the training MSE
    q = int(np.argmin(losses))
    increase = losses[q] - lsq.training_risk(X, y, w)
    assert increase == pytest.approx(w[q] ** 2 / np.linalg.inv(H)[q, q], rel=1e-9)


@pytest.mark.parametrize("seed", range(3))
def test_obs_path_is_greedy_backward_elimination(seed):
    """Independent greedy: at each step drop the feature whose refit loss is smallest; OBS must follow it."""
    n, p_ = 50, 8
    X, y, w, H = _ols_problem(n=n, p=p_, seed=10 + seed)
    path = P.obs_path(w, H, list(range(p_ + 1)))
    support = list(range(p_))
    for kept in range(p_, -1, -1):
        r = path[kept]
        assert sorted(np.flatnonzero(r.mask).tolist()) == support
        np.testing.assert_allclose(r.weights, lsq.restricted_fit(X, y, support), atol=1e-11)
        if kept == 0:
            break
        losses = [lsq.training_risk(X, y, lsq.restricted_fit(X, y, [j for j in support if j != q])) for q in support]
        support.remove(support[int(np.argmin(losses))])


@pytest.mark.parametrize(
    "scales, cov",
    [
        # feature 0 has a tiny scale: its large weight carries little signal
        (np.array([0.1, 1, 1, 1, 1, 1]), np.array([0.01, 1, 1, 1, 1, 1])),
        # features 0 and 1 are strongly correlated with opposite weights: they nearly cancel
        (None, "correlated"),
    ],
)
def test_obs_beats_magnitude(scales, cov):
    beta = np.array([3.0, 1.0, 0.5, 0.2, 0.1, 0.05]) if scales is not None else np.array([1.0, -1.0, 0.3, 0, 0, 0])
    if isinstance(cov, str):
        cov = np.eye(6)
        cov[0, 1] = cov[1, 0] = 0.99
    prob = LinearGaussianProblem(beta, 0.1, cov)
    X, y = prob.sample(300, 14)
    w = lsq.min_norm_solution(X, y)
    s = 2 if scales is not None else 1
    obs = P.obs_prune(w, X.T @ X / 300, s)
    mag = P.magnitude_prune(w, s)
    mag_rt = lsq.restricted_fit(X, y, mag.mask)
    assert not np.array_equal(obs.mask, mag.mask)
    # training loss: OBS beats magnitude even after magnitude is retrained
    assert lsq.training_risk(X, y, obs.weights) < lsq.training_risk(X, y, mag_rt) < lsq.training_risk(X, y, mag.weights)
    # population risk: a clear margin (at least 20 %)
    assert prob.population_risk(obs.weights) < 0.8 * prob.population_risk(mag_rt)
    assert prob.population_risk(obs.weights) < 0.8 * prob.population_risk(mag.weights)


def test_obs_path_equals_separate_obs_prune_calls_in_the_given_order():
    X, y, w, H = _ols_problem(seed=15)
    sparsities = [5, 2, 8, 0, 3]
    path = P.obs_path(w, H, sparsities)
    assert [r.s for r in path] == sparsities
    for s, r in zip(sparsities, path):
        single = P.obs_prune(w, H, s)
        np.testing.assert_array_equal(r.mask, single.mask)
        np.testing.assert_allclose(r.weights, single.weights, rtol=0, atol=1e-13)
    np.testing.assert_array_equal(P.obs_prune(w, H, 8).weights, w)  # s = p: nothing removed


def test_obs_with_damping_on_a_singular_hessian():
    rng = np.random.default_rng(16)
    X = rng.standard_normal((10, 25))
    y = rng.standard_normal(10)
    w = lsq.min_norm_solution(X, y)
    for s in [0, 3, 10, 24, 25]:
        r = P.obs_prune(w, X.T @ X / 10, s, damping=1e-3)
        assert r.s == s and np.all(np.isfinite(r.weights)) and np.all(r.weights[~r.mask] == 0)


def test_obs_input_is_not_modified():
    X, y, w, H = _ols_problem(seed=17)
    w0, H0 = w.copy(), H.copy()
    P.obs_path(w, H, [1, 4])
    np.testing.assert_array_equal(w, w0)
    np.testing.assert_array_equal(H, H0)


@pytest.mark.parametrize("n, p_", [(5, 10), (20, 30), (3, 12)])
def test_obs_singular_hessian_without_damping_raises(n, p_):
    rng = np.random.default_rng(18)
    X = rng.standard_normal((n, p_))
    with pytest.raises(ValueError, match="damping"):
        P.obs_prune(rng.standard_normal(p_), X.T @ X / n, 2)
    with pytest.raises(ValueError, match="damping"):
        P.obs_prune(np.ones(4), np.ones((4, 4)), 2)  # perfectly correlated features


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("n", [2, 3, 50])
def test_obs_rank_deficient_by_one_hessian_raises(n, seed):
    """p = n + 1: the Hessian has rank n; a plain Cholesky can succeed on it with a ~1e-8 pivot
    (e.g. n = 2, seed 4), so the singularity must be detected by a conditioning check."""
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, n + 1))
    with pytest.raises(ValueError, match="damping"):
        P.obs_prune(np.ones(n + 1), X.T @ X / n, 1)


# ------------------------------------------------------------------ bad inputs
@pytest.mark.parametrize("s", [-1, p + 1])
def test_sparsity_outside_range_raises(s):
    w = np.ones(p)
    H = np.eye(p)
    for call in [
        lambda: P.magnitude_prune(w, s),
        lambda: P.hessian_prune(w, s, np.ones(p)),
        lambda: P.oracle_prune(w, s, saliency=np.ones(p)),
        lambda: P.random_prune(w, s, 0),
        lambda: P.obs_prune(w, H, s),
        lambda: P.obs_path(w, H, [2, s]),
        lambda: P.top_s_mask(w, s),
    ]:
        with pytest.raises(ValueError, match=f"must lie in 0..{p}"):
            call()


@pytest.mark.parametrize("s", [2.5, "3", None])
def test_non_integer_sparsity_raises(s):
    w = np.ones(p)
    for call in [
        lambda: P.magnitude_prune(w, s),
        lambda: P.hessian_prune(w, s, np.ones(p)),
        lambda: P.random_prune(w, s, 0),
        lambda: P.obs_prune(w, np.eye(p), s),
    ]:
        with pytest.raises(ValueError, match="must be an integer"):
            call()


def test_integral_float_sparsity_is_accepted():
    np.testing.assert_array_equal(P.magnitude_prune(np.arange(4.0), 2.0).mask, [0, 0, 1, 1])


def test_nan_weights_raise():
    w = np.array([1.0, np.nan, 2.0])
    for call in [
        lambda: P.magnitude_prune(w, 1),
        lambda: P.hessian_prune(w, 1, np.ones(3)),
        lambda: P.oracle_prune(w, 1, saliency=np.ones(3)),
        lambda: P.random_prune(w, 1, 0),
        lambda: P.threshold_prune(w, 0.5),
        lambda: P.obs_prune(w, np.eye(3), 1),
    ]:
        with pytest.raises(ValueError, match=r"w \(weights\) contains 1 NaN"):
            call()
    with pytest.raises(ValueError, match="scores contains"):
        P.top_s_mask(w, 1)


def test_bad_weight_shapes_raise():
    with pytest.raises(ValueError, match="1-D or 2-D"):
        P.magnitude_prune(np.ones((2, 2, 2)), 1)
    with pytest.raises(ValueError, match="at least one entry"):
        P.magnitude_prune(np.ones(0), 0)
    with pytest.raises(ValueError, match="1-D"):
        P.obs_prune(np.ones((2, 3)), np.eye(3), 1)


def test_bad_hessians_raise():
    w = np.ones(4)
    with pytest.raises(ValueError, match=r"hessian_diag must have shape \(4,?\)"):
        P.hessian_prune(w, 2, np.ones(3))
    with pytest.raises(ValueError, match="hessian_diag must be >= 0"):
        P.hessian_prune(w, 2, np.array([1.0, -1.0, 1.0, 1.0]))
    with pytest.raises(ValueError, match="hessian_diag contains"):
        P.hessian_prune(w, 2, np.array([1.0, np.nan, 1.0, 1.0]))
    with pytest.raises(ValueError, match=r"hessian must have shape \(4, 4\)"):
        P.obs_prune(w, np.eye(3), 2)
    with pytest.raises(ValueError, match="hessian must be 2-D"):
        P.obs_prune(w, np.ones(4), 2)
    H = np.eye(4)
    H[0, 1] = 0.5
    with pytest.raises(ValueError, match="hessian must be symmetric"):
        P.obs_prune(w, H, 2)
    with pytest.raises(ValueError, match="damping must be finite and >= 0"):
        P.obs_prune(w, np.eye(4), 2, damping=-1.0)
    with pytest.raises(ValueError, match="hessian contains"):
        P.obs_prune(w, np.full((4, 4), np.nan), 2)


def test_bad_threshold_raises():
    with pytest.raises(ValueError, match="threshold must be finite and >= 0"):
        P.threshold_prune(np.ones(3), -0.5)
    with pytest.raises(ValueError, match="threshold must be finite"):
        P.threshold_prune(np.ones(3), np.nan)
    with pytest.raises(ValueError, match=r"scores must have shape \(3,?\)"):
        P.threshold_prune(np.ones(3), 0.5, scores=np.ones(4))


def test_random_prune_bad_rng_raises():
    with pytest.raises(ValueError, match="rng must be"):
        P.random_prune(np.ones(3), 1, "seed")


def test_obs_path_rejects_an_empty_list_of_sparsities():
    with pytest.raises(ValueError, match="at least one"):
        P.obs_path(np.ones(3), np.eye(3), [])


@pytest.mark.parametrize("op", ["magnitude", "threshold", "top_s"])
def test_complex_weights_are_rejected_not_cast_to_real(op):
    # numpy would keep the real parts (1, 2) and so keep the 2, although |1 + 5j| is the larger weight
    w = np.array([1 + 5j, 2])
    call = {
        "magnitude": lambda: P.magnitude_prune(w, 1),
        "threshold": lambda: P.threshold_prune(w, 0.5),
        "top_s": lambda: P.top_s_mask(w, 1),
    }[op]
    with pytest.raises(ValueError, match="must be an array of real numbers, got a complex array"):
        call()


@pytest.mark.parametrize("problem", ["x", 3, np.ones(8)])
def test_oracle_prune_rejects_a_problem_that_is_not_a_problem(problem):
    with pytest.raises(TypeError, match="problem must be a pruning_lab.problems.LinearGaussianProblem"):
        P.oracle_prune(np.ones(8), 3, problem)
