"""Tests of pruning_lab.selection.sensitivity: clustering, DS-1, DS-2, the baselines and the regression curve."""

import numpy as np
import pytest

from pruning_lab.selection import clustering as C
from pruning_lab.selection import experiments as E
from pruning_lab.selection import sensitivity as S


def _blobs(seed=0, per=30, d=2):
    rng = np.random.default_rng(seed)
    means = np.array([[0.0, 0.0], [10.0, 0.0], [0.0, 10.0], [10.0, 10.0]])[:, :d]
    truth = np.repeat(np.arange(len(means)), per)
    return means[truth] + 0.3 * rng.standard_normal((len(truth), d)), truth


def _same_partition(a, b):
    # two labelings describe the same partition iff the pairs (a_i, b_i) are a bijection
    pairs = set(zip(a.tolist(), b.tolist()))
    return len(pairs) == len(set(a.tolist())) == len(set(b.tolist()))


# ----------------------------------------------------------------------------------------------
# clustering


def test_kmeans_recovers_well_separated_blobs_and_is_deterministic():
    X, truth = _blobs()
    centers, labels = C.kmeans(X, 4, seed=3)
    assert _same_partition(labels, truth)
    for j in range(4):  # the centers are the cluster means
        np.testing.assert_allclose(centers[j], X[labels == j].mean(0))
    centers2, labels2 = C.kmeans(X, 4, seed=3)
    np.testing.assert_array_equal(labels, labels2)
    np.testing.assert_array_equal(centers, centers2)


def test_kmeans_with_k_equal_n_puts_each_row_alone():
    X, _ = _blobs(per=3)
    centers, labels = C.kmeans(X, len(X), seed=0)
    assert sorted(labels.tolist()) == list(range(len(X)))
    np.testing.assert_allclose(centers[labels], X)


def test_kmedoids_medoids_are_data_rows_and_recover_blobs():
    X, truth = _blobs(seed=1)
    med, labels = C.kmedoids(X, 4, seed=0)
    assert _same_partition(labels, truth)
    assert len(set(med.tolist())) == 4
    np.testing.assert_array_equal(labels[med], np.arange(4))
    for j in range(4):  # each medoid minimizes the sum of distances within its cluster
        members = np.flatnonzero(labels == j)
        cost = np.linalg.norm(X[members][:, None] - X[members][None], axis=2).sum(1)
        assert cost[members.tolist().index(med[j])] == pytest.approx(cost.min())
    med2, labels2 = C.kmedoids(X, 4, seed=0)
    np.testing.assert_array_equal(med, med2)
    np.testing.assert_array_equal(labels, labels2)


def test_snap_to_data_returns_nearest_rows_without_repeats():
    X, _ = _blobs()
    centers, _ = C.kmeans(X, 4, seed=0)
    rows = C.snap_to_data(X, centers)
    assert len(rows) == 4
    dist = np.linalg.norm(X[:, None] - centers[None], axis=2)
    np.testing.assert_array_equal(np.sort(rows), np.sort(dist.argmin(0)))
    # two centers near the same row snap to one index
    assert len(C.snap_to_data(X, np.stack([X[5] + 1e-3, X[5] - 1e-3]))) == 1


def test_clustering_rejects_bad_inputs():
    X, _ = _blobs(per=2)
    with pytest.raises(ValueError, match="k"):
        C.kmeans(X, len(X) + 1)
    with pytest.raises(ValueError, match="k"):
        C.kmedoids(X, 0)
    with pytest.raises(ValueError, match="distinct rows"):
        C.kmeans(np.ones((5, 2)), 2)
    with pytest.raises(ValueError, match="X"):
        C.kmeans(np.array([[0.0, np.nan], [1.0, 1.0]]), 1)
    with pytest.raises(ValueError, match="X"):
        C.kmedoids(np.zeros(4), 1)
    with pytest.raises(ValueError, match="iters"):
        C.kmeans(X, 2, iters=0)
    with pytest.raises(ValueError, match="centers"):
        C.snap_to_data(X, np.zeros((1, 3)))


# ----------------------------------------------------------------------------------------------
# unbiasedness of the weighted estimators


def _check_unbiased(estimates, truth):
    se = estimates.std(ddof=1) / np.sqrt(len(estimates))
    assert abs(estimates.mean() - truth) < 4 * se, (estimates.mean(), truth, se)


def test_ds1_estimate_is_unbiased():
    X, _ = _blobs(seed=2, per=25)
    loss = 1.0 + np.sin(X[:, 0]) ** 2  # positive, so every row has p > 0
    v = np.random.default_rng(7).standard_normal(len(X)) + 2.0
    est = []
    for seed in range(400):
        sample = S.ds1_sample(X, lambda rows: loss[rows], 6, 10, holder=0.5, seed=seed)
        est.append((sample.weights * v[sample.indices]).sum())
    _check_unbiased(np.array(est), v.sum())


@pytest.mark.parametrize("method", ["uniform", "leverage", "ds2_unit", "ds2_finite"])
def test_baselines_and_ds2_estimates_are_unbiased(method):
    X, y, _ = E.clustered_regression(120, 3, 6, seed=1)
    v = np.random.default_rng(3).standard_normal(len(X)) + 1.0
    est = []
    for seed in range(400):
        if method == "uniform":
            sample = S.uniform_sample(len(X), 8, seed)
        elif method == "leverage":
            sample = S.leverage_sample(X, 8, seed)
        elif method == "ds2_unit":  # distances only: medoids p = 0, so they are added with weight 1
            sample = S.ds2_sample(X, 6, 8, seed=seed, iters=10)
        else:  # finite holder: every row has p > 0, drawn as printed
            sample = S.ds2_sample(X, 6, 8, y=y, holder=1.0, medoids="none", seed=seed, iters=10)
        est.append((sample.weights * v[sample.indices]).sum())
    _check_unbiased(np.array(est), v.sum())


def test_a_wrong_weight_is_detected_by_the_unbiasedness_check():
    # the check above can fail: with weights 1/p (forgetting the 1/s) the estimate is s times too large
    X, y, _ = E.clustered_regression(120, 3, 6, seed=1)
    v = np.ones(len(X))
    est = []
    for seed in range(200):
        sample = S.leverage_sample(X, 8, seed)
        est.append((8 * sample.weights * v[sample.indices]).sum())
    with pytest.raises(AssertionError):
        _check_unbiased(np.array(est), v.sum())


# ----------------------------------------------------------------------------------------------
# DS-1 and DS-2 details


def test_ds1_queries_only_the_snapped_centers_and_probabilities_follow_the_bound():
    X, _ = _blobs(seed=4)
    loss = 0.5 + X[:, 0] ** 2 / 100
    calls = []

    def losses_at(rows):
        calls.append(np.array(rows))
        return loss[rows]

    sample = S.ds1_sample(X, losses_at, 4, 50, holder=2.0, z=2.0, seed=0)
    assert len(calls) == 1
    np.testing.assert_array_equal(calls[0], sample.centers)
    assert len(sample.centers) <= 4
    # the snapped centers are data rows; p follows (l(c_e) + holder ||e - c_e||^2) / Z
    c = X[sample.centers]
    nearest = np.linalg.norm(X[:, None] - c[None], axis=2).argmin(1)
    bound = loss[sample.centers][nearest] + 2.0 * ((X - c[nearest]) ** 2).sum(1)
    np.testing.assert_allclose(sample.probabilities, bound / bound.sum())
    assert sample.probabilities.sum() == pytest.approx(1.0)
    assert np.all(sample.probabilities > 0)
    np.testing.assert_allclose(sample.weights, 1 / (50 * sample.probabilities[sample.indices]))
    assert len(sample.indices) == 50


def test_ds1_probabilities_with_zero_holder_is_proportional_to_the_center_loss():
    X = np.array([[0.0], [1.0], [5.0], [6.0], [7.0]])
    p = S.ds1_probabilities(X, [0, 3], [0, 0, 1, 1, 1], [1.0, 2.0], holder=0.0)
    np.testing.assert_allclose(p, np.array([1, 1, 2, 2, 2]) / 8)
    p = S.ds1_probabilities(X, [0, 3], [0, 0, 1, 1, 1], [0.0, 0.0], holder=1.0, z=1.0)
    np.testing.assert_allclose(p, np.array([0, 1, 1, 0, 1]) / 3)


def test_ds1_sample_size_matches_the_formula():
    assert S.ds1_sample_size(0.1) == int(np.ceil((2 + 0.2 / 3) / 0.01))
    assert S.ds1_sample_size(1.0) == 3


def test_ds2_distance_only_probabilities_and_medoid_variants():
    X, y, _ = E.clustered_regression(150, 3, 5, seed=2)
    unit = S.ds2_sample(X, 10, 40, seed=5)
    none = S.ds2_sample(X, 10, 40, medoids="none", seed=5)
    med, labels = C.kmedoids(X, 10, seed=np.random.default_rng(5))
    np.testing.assert_array_equal(unit.centers, med)
    dist = np.linalg.norm(X - X[med][labels], axis=1)
    np.testing.assert_allclose(none.probabilities, dist / dist.sum())
    np.testing.assert_allclose(unit.probabilities, none.probabilities)  # medoids already have p = 0
    assert np.all(unit.probabilities[med] == 0)
    assert len(unit.indices) == 50 and len(none.indices) == 40
    np.testing.assert_array_equal(unit.indices[40:], med)
    np.testing.assert_array_equal(unit.weights[40:], np.ones(10))
    assert not np.isin(unit.indices[:40], med).any()


def test_ds1_and_ds2_reject_bad_inputs():
    X, y, _ = E.clustered_regression(40, 2, 4, seed=0)
    ok = lambda rows: np.ones(len(rows))  # noqa: E731
    with pytest.raises(ValueError, match="k"):
        S.ds1_sample(X, ok, 41, 5)
    with pytest.raises(ValueError, match="s"):
        S.ds1_sample(X, ok, 3, 0)
    with pytest.raises(TypeError, match="losses_at"):
        S.ds1_sample(X, np.ones(40), 3, 5)
    with pytest.raises(ValueError, match="losses_at"):
        S.ds1_sample(X, lambda rows: np.full(len(rows), np.inf), 3, 5)
    with pytest.raises(ValueError, match="embeddings"):
        S.ds1_sample(np.full((4, 2), np.nan), ok, 2, 5)
    with pytest.raises(ValueError, match="holder"):
        S.ds1_sample(X, ok, 3, 5, holder=-1.0)
    with pytest.raises(ValueError, match="z"):
        S.ds1_probabilities(X, [0], np.zeros(40, dtype=int), [1.0], z=0.0)
    with pytest.raises(ValueError, match="empty"):
        S.ds1_probabilities(X, [0, 1], np.zeros(40, dtype=int), [1.0, 1.0])
    with pytest.raises(ValueError, match="center_losses"):
        S.ds1_probabilities(X, [0], np.zeros(40, dtype=int), [-1.0])
    with pytest.raises(ValueError, match="centers"):
        S.ds1_probabilities(X, [40], np.zeros(40, dtype=int), [1.0])
    with pytest.raises(ValueError, match="zero probability"):
        S.ds1_probabilities(X, [0], np.zeros(40, dtype=int), [0.0], holder=0.0)
    with pytest.raises(ValueError, match="medoids"):
        S.ds2_sample(X, 3, 5, medoids="cluster")
    with pytest.raises(ValueError, match="y is required"):
        S.ds2_sample(X, 3, 5, holder=1.0)
    with pytest.raises(ValueError, match="holder"):
        S.ds2_sample(X, 3, 5, holder=0.0)
    with pytest.raises(ValueError, match="smaller k"):
        S.ds2_sample(X, 40, 5)


# ----------------------------------------------------------------------------------------------
# regression pieces


def test_leverage_scores_are_the_diagonal_of_the_hat_matrix():
    X = np.random.default_rng(0).standard_normal((30, 4)) * [1, 5, 0.1, 2]
    hat = X @ np.linalg.solve(X.T @ X, X.T)
    np.testing.assert_allclose(S.leverage_scores(X), np.diag(hat), atol=1e-12)
    assert S.leverage_scores(X).sum() == pytest.approx(4)
    sample = S.leverage_sample(X, 7, seed=1)
    np.testing.assert_allclose(sample.probabilities, np.diag(hat) / 4, atol=1e-12)
    with pytest.raises(ValueError, match="full column rank"):
        S.leverage_scores(np.column_stack([X[:, 0], X[:, 0]]))
    with pytest.raises(ValueError, match="X"):
        S.leverage_scores(X[:3])


def test_weighted_least_squares_with_all_rows_equals_lstsq_and_weights_act_as_repeats():
    rng = np.random.default_rng(1)
    X, y = rng.standard_normal((25, 3)), rng.standard_normal(25)
    full = S.weighted_least_squares(X, y, np.arange(25), np.ones(25))
    np.testing.assert_allclose(full, np.linalg.lstsq(X, y, rcond=None)[0])
    # weight 2 on a row equals that row listed twice with weight 1
    idx = np.array([0, 1, 2, 3, 4, 5])
    a = S.weighted_least_squares(X, y, idx, [2, 1, 1, 1, 1, 1])
    b = S.weighted_least_squares(X, y, np.append(idx, 0), np.ones(7))
    np.testing.assert_allclose(a, b)
    with pytest.raises(ValueError, match="weights"):
        S.weighted_least_squares(X, y, idx, -np.ones(6))
    with pytest.raises(ValueError, match="idx"):
        S.weighted_least_squares(X, y, [25], [1.0])
    with pytest.raises(ValueError, match="y"):
        S.weighted_least_squares(X, y[:3], idx, np.ones(6))


def test_uniform_sample_and_its_errors():
    sample = S.uniform_sample(10, 4, seed=0)
    np.testing.assert_allclose(sample.probabilities, 0.1)
    np.testing.assert_allclose(sample.weights, 2.5)
    np.testing.assert_array_equal(sample.indices, S.uniform_sample(10, 4, seed=0).indices)
    with pytest.raises(ValueError, match="s"):
        S.uniform_sample(10, 0)
    with pytest.raises(ValueError, match="n"):
        S.uniform_sample(0, 3)


def test_clustered_regression_shapes_and_seed():
    X, y, labels = E.clustered_regression(200, 4, 7, seed=3)
    assert X.shape == (200, 4) and y.shape == (200,)
    assert sorted(set(labels.tolist())) == list(range(7))
    np.testing.assert_array_equal(X, E.clustered_regression(200, 4, 7, seed=3)[0])
    with pytest.raises(ValueError, match="clusters"):
        E.clustered_regression(5, 2, 6)


def test_regression_selection_curve_returns_what_it_documents():
    X, y, _ = E.clustered_regression(200, 3, 6, seed=0)
    methods = ("uniform", "leverage", "ds2", "ds2_medoids")
    curve = E.regression_selection_curve(X, y, [10, 30], methods=methods, draws=4, seed=0, clusters=8)
    assert curve.methods == methods
    np.testing.assert_array_equal(curve.sizes, [10, 30])
    for field in (curve.mean, curve.se, curve.seconds, curve.rows):
        assert field.shape == (4, 2)
    np.testing.assert_array_equal(curve.rows, [[10, 30], [10, 30], [10, 30], [18, 38]])
    # least squares on all rows is the smallest possible 1 - R^2
    assert np.all(curve.mean >= curve.full - 1e-12) and np.all(curve.se >= 0) and np.all(curve.seconds > 0)
    full = E.one_minus_r2(X, y, np.linalg.lstsq(X, y, rcond=None)[0])
    assert curve.full == pytest.approx(full)
    again = E.regression_selection_curve(X, y, [10, 30], methods=methods, draws=4, seed=0, clusters=8)
    np.testing.assert_array_equal(curve.mean, again.mean)
    with pytest.raises(ValueError, match="methods"):
        E.regression_selection_curve(X, y, [10], methods=("magic",))
    with pytest.raises(ValueError, match="draws"):
        E.regression_selection_curve(X, y, [10], draws=1)
    with pytest.raises(ValueError, match="sizes"):
        E.regression_selection_curve(X, y, [0])
    with pytest.raises(ValueError, match="y"):
        E.one_minus_r2(X, np.ones(200), np.zeros(3))


def test_an_empty_kmeans_cluster_takes_the_farthest_row_of_a_shared_cluster():
    # cluster 2 is empty; row 3 is the costliest row overall but alone in cluster 1, so row 1 moves
    labels = C._fill_empty(np.array([0, 0, 0, 1]), np.array([0.1, 0.5, 0.2, 9.0]), 3)
    np.testing.assert_array_equal(labels, [0, 2, 0, 1])
    labels = C._fill_empty(np.array([0, 0, 0, 0]), np.array([0.1, 0.5, 0.2, 0.3]), 3)
    np.testing.assert_array_equal(np.bincount(labels, minlength=3) > 0, [True, True, True])


def test_weighted_fit_and_r2_agree_with_scikit_learn():
    pytest.importorskip("sklearn", reason="scikit-learn is not part of the theory environment")
    from sklearn.linear_model import LinearRegression
    from sklearn.metrics import r2_score

    from pruning_lab.selection import one_minus_r2

    rng = np.random.default_rng(8)
    X, y = rng.standard_normal((60, 4)), rng.standard_normal(60)
    sample = S.leverage_sample(X, 30, seed=3)
    ours = S.weighted_least_squares(X, y, sample.indices, sample.weights)
    # repeated rows of the sample carry their weights once each: sklearn sums them the same way
    ref = LinearRegression(fit_intercept=False).fit(X[sample.indices], y[sample.indices], sample_weight=sample.weights)
    np.testing.assert_allclose(ours, ref.coef_, rtol=1e-10, atol=1e-12)
    full = LinearRegression(fit_intercept=False).fit(X, y)
    assert one_minus_r2(X, y, full.coef_) == pytest.approx(1 - r2_score(y, full.predict(X)), rel=1e-12)
