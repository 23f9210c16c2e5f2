"""Tests of pruning_lab.selection.attribution: integrated gradients, Greedy PIG, and the ordering metrics."""

import itertools

import numpy as np
import pytest

from pruning_lab.selection.attribution import (
    deletion_curve,
    greedy_pig,
    ig_topk,
    insertion_curve,
    integrated_gradients,
    kl_auc,
    recovery_rate,
    softmax_auc,
)
from pruning_lab.selection.attribution_models import LinearModel, SoftmaxRegression


def _quadratic(A, c):
    """F(x) = x^T A x / 2 + c^T x (A symmetric), its gradient and its batch forms."""
    return (lambda X: 0.5 * np.einsum("mi,ij,mj->m", X, A, X) + X @ c), (lambda X: X @ A + c)


def _pair_model(b=0.1, a2=0.55, a3=0.54):
    """F(x) = x0 x1 + b x0 + a2 x2 + a3 x3: the pair (0, 1) only pays when both are revealed."""
    coef = np.array([b, 0.0, a2, a3])

    def f(X):
        return X[:, 0] * X[:, 1] + X @ coef

    def grad(X):
        g = np.tile(coef, (X.shape[0], 1))
        g[:, 0] += X[:, 1]
        g[:, 1] += X[:, 0]
        return g

    return f, grad


# ---- integrated gradients ---------------------------------------------------------------------


@pytest.mark.parametrize("method", ["trapezoid", "riemann_mid"])
@pytest.mark.parametrize("steps", [1, 2, 7, 64])
def test_ig_of_a_linear_model_is_w_times_displacement_exactly(method, steps):
    rng = np.random.default_rng(0)
    w, x, base = rng.standard_normal((3, 6))
    model = LinearModel(w, b=0.3)
    ig = integrated_gradients(model.input_gradient, x, base, steps=steps, method=method)
    np.testing.assert_allclose(ig, w * (x - base), rtol=0, atol=1e-12)
    assert abs(ig.sum() - (model.output(x[None])[0] - model.output(base[None])[0])) < 1e-10


@pytest.mark.parametrize("method", ["trapezoid", "riemann_mid"])
def test_completeness_for_a_logistic_model_improves_with_steps(method):
    rng = np.random.default_rng(1)
    w, x = 2.0 * rng.standard_normal((2, 8))
    model = LinearModel(w, b=-0.5, link="logistic")
    gap = model.output(x[None])[0] - model.output(np.zeros((1, 8)))[0]
    errors = [
        abs(integrated_gradients(model.input_gradient, x, np.zeros(8), steps=s, method=method).sum() - gap)
        for s in (4, 16, 64)
    ]
    assert errors[2] < 1e-3  # stated tolerance at 64 steps
    assert errors[0] > errors[1] > errors[2]  # second order: about 16x smaller per 4x steps
    assert errors[1] / errors[2] > 8


def test_completeness_for_a_quadratic_is_exact_with_the_trapezoid_rule_and_not_with_one_midpoint():
    # The path gradient is affine in alpha, so trapezoid and midpoint rules integrate it exactly;
    # the per-feature IG of a quadratic is (x_i - x'_i)(A(x' + (x - x')/2) + c)_i.
    rng = np.random.default_rng(2)
    M = rng.standard_normal((5, 5))
    A, c = M + M.T, rng.standard_normal(5)
    f, grad = _quadratic(A, c)
    x, base = rng.standard_normal((2, 5))
    for method in ("trapezoid", "riemann_mid"):
        ig = integrated_gradients(grad, x, base, steps=3, method=method)
        np.testing.assert_allclose(ig, (x - base) * (A @ (base + (x - base) / 2) + c), atol=1e-12)
        assert abs(ig.sum() - (f(x[None])[0] - f(base[None])[0])) < 1e-10
    # a cubic is not integrated exactly by one trapezoid: the check above can fail
    cubic_grad = lambda X: 3 * X**2  # noqa: E731
    ig = integrated_gradients(cubic_grad, np.ones(2), np.zeros(2), steps=1)
    assert abs(ig.sum() - 2.0) > 0.5


def test_softmax_regression_gradient_matches_central_differences():
    rng = np.random.default_rng(3)
    X = rng.standard_normal((60, 4))
    y = np.argmax(X @ rng.standard_normal((4, 3)), axis=1)
    model = SoftmaxRegression().fit(X, y, steps=200)
    again = SoftmaxRegression().fit(X, y, steps=200)
    np.testing.assert_array_equal(model.W, again.W)  # deterministic
    assert np.mean(np.argmax(model.predict_proba(X), axis=1) == y) > 0.8  # it did learn
    np.testing.assert_allclose(model.predict_proba(X).sum(axis=1), 1.0)
    pts, h = X[:3], 1e-5
    for kind in ("proba", "log_proba"):
        for c in range(3):
            g = model.input_gradient(pts, c, kind)
            fd = np.stack(
                [
                    (model.output(pts + h * e, c, kind) - model.output(pts - h * e, c, kind)) / (2 * h)
                    for e in np.eye(4)
                ],
                axis=1,
            )
            np.testing.assert_allclose(g, fd, rtol=1e-6, atol=1e-9)


def test_logistic_gradient_matches_central_differences():
    rng = np.random.default_rng(4)
    model = LinearModel(rng.standard_normal(3), b=0.2, link="logistic")
    pts, h = rng.standard_normal((4, 3)), 1e-5
    fd = np.stack([(model.output(pts + h * e) - model.output(pts - h * e)) / (2 * h) for e in np.eye(3)], axis=1)
    np.testing.assert_allclose(model.input_gradient(pts), fd, rtol=1e-6, atol=1e-10)


# ---- Greedy PIG ----------------------------------------------------------------------------


def test_greedy_pig_with_one_round_is_ig_topk():
    rng = np.random.default_rng(5)
    M = rng.standard_normal((7, 7))
    f, grad = _quadratic(M + M.T, rng.standard_normal(7))
    x, base = rng.standard_normal((2, 7))
    for rank_by in ("signed", "absolute"):
        order, ig = ig_topk(grad, x, base, 3, steps=16, rank_by=rank_by)
        res = greedy_pig(f, grad, x, base, 3, per_round=3, steps=16, rank_by=rank_by)
        np.testing.assert_array_equal(res.order, order)
        np.testing.assert_array_equal(res.attributions[0], ig)
        assert res.attributions.shape == (1, 7) and list(res.round_of) == [0, 0, 0]
        key = ig if rank_by == "signed" else np.abs(ig)
        np.testing.assert_array_equal(order, np.argsort(-key)[:3])
    # with k = d in one round it ranks every feature exactly as IG (spec check 24)
    full = greedy_pig(f, grad, x, base, 7, per_round=7, steps=16)
    np.testing.assert_array_equal(full.order, np.argsort(-ig_topk(grad, x, base, 7, steps=16)[1]))


def test_greedy_pig_finds_an_interacting_pair_that_one_shot_ig_misses():
    f, grad = _pair_model()
    x, base = np.ones(4), np.zeros(4)
    # one-shot IG: 0.6, 0.5, 0.55, 0.54 -> top-2 is {0, 2}, which leaves the pair's product at 0
    one_shot, ig = ig_topk(grad, x, base, 2)
    np.testing.assert_allclose(ig, [0.6, 0.5, 0.55, 0.54], atol=1e-12)
    assert set(one_shot.tolist()) == {0, 2}
    res = greedy_pig(f, grad, x, base, 2, per_round=1)
    assert res.order.tolist() == [0, 1]
    # round 2 sees feature 0 revealed: IG_1 becomes x0 = 1 > 0.55
    np.testing.assert_allclose(res.attributions[1], [0.0, 1.0, 0.55, 0.54], atol=1e-12)

    def G(S):
        z = base.copy()
        z[list(S)] = x[list(S)]
        return f(z[None])[0]

    best = max(itertools.combinations(range(4), 2), key=G)
    assert set(best) == {0, 1} and res.values[-1] == pytest.approx(G(best)) == pytest.approx(1.1)
    assert G(one_shot) == pytest.approx(0.65)
    np.testing.assert_allclose(res.values, [0.0, 0.1, 1.1])


def test_greedy_pig_rounds_bookkeeping_and_uneven_last_round():
    f, grad = _pair_model()
    res = greedy_pig(f, grad, np.ones(4), np.zeros(4), 3, per_round=2)
    assert res.order.size == 3 and np.unique(res.order).size == 3
    assert res.round_of.tolist() == [0, 0, 1] and res.attributions.shape == (2, 4) and res.values.size == 3
    assert np.all(res.attributions[1][res.order[:2]] == 0)  # revealed features have no attribution left


def test_signed_and_absolute_ranking_differ_on_a_negative_feature():
    model = LinearModel(np.array([1.0, -3.0, 2.0]))
    x, base = np.ones(3), np.zeros(3)
    assert ig_topk(model.input_gradient, x, base, 1)[0].tolist() == [2]
    assert ig_topk(model.input_gradient, x, base, 1, rank_by="absolute")[0].tolist() == [1]
    # signed greedy selection never picks the feature that lowers F while others raise it
    res = greedy_pig(model.output, model.input_gradient, x, base, 2)
    assert res.order.tolist() == [2, 0] and np.all(np.diff(res.values) > 0)
    # once the positive features are revealed (attribution 0), the negative one is still the one taken
    model = LinearModel(np.array([1.0, -1.0, -2.0]))
    res = greedy_pig(model.output, model.input_gradient, x, base, 3)
    assert res.order.tolist() == [0, 1, 2]


def test_support_recovery_on_a_sparse_linear_model():
    rng = np.random.default_rng(6)
    d, support = 20, np.array([2, 7, 11, 16])
    w = np.zeros(d)
    w[support] = rng.choice([-1, 1], 4) * rng.uniform(0.5, 2.0, 4)
    model = LinearModel(w)
    x, base = rng.standard_normal(d), np.zeros(d)
    order, _ = ig_topk(model.input_gradient, x, base, 4, rank_by="absolute")
    assert recovery_rate(order, support) == 1.0
    res = greedy_pig(model.output, model.input_gradient, x, base, 4, rank_by="absolute")
    assert recovery_rate(res.order, support) == 1.0
    # signed ranking recovers it when every true contribution is positive (x aligned with w)
    x_pos = np.sign(w) * np.abs(x) + (w == 0) * x
    res = greedy_pig(model.output, model.input_gradient, x_pos, base, 4)
    assert recovery_rate(res.order, support) == 1.0
    # and a random selection does not (the metric can fail)
    assert recovery_rate([0, 1, 3, 4], support) == 0.0 and recovery_rate([2, 3], support) == 0.25


# ---- metrics -----------------------------------------------------------------------------------


def _two_class(w):
    """Softmax regression with classes (0, 1) equal to logistic regression with weights w."""
    return SoftmaxRegression(np.stack([np.zeros_like(w), w], axis=1))


def test_curves_end_at_the_full_prediction_and_start_at_the_baseline():
    rng = np.random.default_rng(7)
    model = _two_class(rng.standard_normal(5))
    x, base = rng.standard_normal((2, 5))
    order = rng.permutation(5)
    f = lambda X: model.output(X, 1)  # noqa: E731
    fr, ins = insertion_curve(f, x, base, order)
    _, dele = deletion_curve(f, x, base, order)
    np.testing.assert_allclose(fr, np.arange(6) / 5)
    full, empty = f(x[None])[0], f(base[None])[0]
    assert ins[0] == pytest.approx(empty, rel=1e-14) and ins[-1] == pytest.approx(full, rel=1e-14)
    assert dele[0] == pytest.approx(full, rel=1e-14) and dele[-1] == pytest.approx(empty, rel=1e-14)
    assert not np.allclose(ins, full)  # the curve does move
    # one feature: the curve is (p(x'), p(x)), normalized (p(x')/p(x), 1), and its area their mean
    one = _two_class(np.array([2.0]))
    assert softmax_auc(one.predict_proba, [1.0], [0.0], [0], 1, normalize=True) == pytest.approx(
        0.5 * (one.output(np.zeros((1, 1)), 1)[0] / one.output(np.ones((1, 1)), 1)[0] + 1.0)
    )
    # and the KL curve is (KL(p(x) || p(x')), 0): area = half the divergence, in this direction
    p, q = one.predict_proba(np.ones((1, 1)))[0], one.predict_proba(np.zeros((1, 1)))[0]
    assert kl_auc(one.predict_proba, [1.0], [0.0], [0]) == pytest.approx(0.5 * np.sum(p * np.log(p / q)), rel=1e-12)
    assert np.sum(p * np.log(p / q)) != pytest.approx(np.sum(q * np.log(q / p)), rel=1e-3)
    assert kl_auc(model.predict_proba, x, base, order) > 0
    assert kl_auc(model.predict_proba, x, x, order) == pytest.approx(0.0, abs=1e-15)


def test_a_perfect_ordering_beats_random_ones():
    # Logistic model with positive contributions w_i x_i: revealing the largest first maximizes the
    # logit after every j, hence p_1 pointwise (Softmax-AUC) and, since q <= p, minimizes KL pointwise.
    rng = np.random.default_rng(8)
    d = 8
    contrib = rng.uniform(0.1, 1.5, d)
    x = rng.uniform(0.5, 2.0, d)
    model = _two_class(contrib / x)
    base = np.zeros(d)
    perfect = np.argsort(-contrib)
    s_best, kl_best = (
        softmax_auc(model.predict_proba, x, base, perfect, 1),
        kl_auc(model.predict_proba, x, base, perfect),
    )
    for _ in range(20):
        order = rng.permutation(d)
        assert s_best >= softmax_auc(model.predict_proba, x, base, order, 1) - 1e-15
        assert kl_best <= kl_auc(model.predict_proba, x, base, order) + 1e-15
    worst = perfect[::-1]
    assert s_best > softmax_auc(model.predict_proba, x, base, worst, 1) + 0.05
    assert kl_best < kl_auc(model.predict_proba, x, base, worst)
    # Greedy PIG on the class-1 probability finds the perfect ordering here
    res = greedy_pig(lambda X: model.output(X, 1), lambda X: model.input_gradient(X, 1), x, base, d)
    np.testing.assert_array_equal(res.order, perfect)


# ---- input checks ----------------------------------------------------------------------------


def test_bad_inputs_raise_errors_naming_the_argument():
    model = LinearModel(np.ones(3))
    g, f, x, b = model.input_gradient, model.output, np.ones(3), np.zeros(3)
    soft = _two_class(np.ones(3))
    cases = [
        (TypeError, "f_grad", lambda: integrated_gradients(None, x, b)),
        (ValueError, "baseline", lambda: integrated_gradients(g, x, np.zeros(4))),
        (ValueError, "x", lambda: integrated_gradients(g, [[1.0]], b)),
        (ValueError, "steps", lambda: integrated_gradients(g, x, b, steps=0)),
        (ValueError, "method", lambda: integrated_gradients(g, x, b, method="simpson")),
        (ValueError, "f_grad", lambda: integrated_gradients(lambda X: X[:, :2], x, b)),
        (ValueError, "k", lambda: ig_topk(g, x, b, 4)),
        (ValueError, "rank_by", lambda: ig_topk(g, x, b, 1, rank_by="abs")),
        (TypeError, "f", lambda: greedy_pig("f", g, x, b, 1)),
        (ValueError, "per_round", lambda: greedy_pig(f, g, x, b, 1, per_round=0)),
        (ValueError, "f", lambda: greedy_pig(lambda X: X, g, x, b, 1)),
        (ValueError, "order", lambda: insertion_curve(f, x, b, [0, 0])),
        (ValueError, "order", lambda: deletion_curve(f, x, b, [3])),
        (ValueError, "target", lambda: softmax_auc(soft.predict_proba, x, b, [0, 1, 2], 2)),
        (ValueError, "proba", lambda: kl_auc(f, x, b, [0, 1, 2])),
        (ValueError, "support", lambda: recovery_rate([0], [])),
        (ValueError, "selected", lambda: recovery_rate([0, 0], [1])),
        (ValueError, "link", lambda: LinearModel(np.ones(2), link="tanh")),
        (ValueError, "y", lambda: SoftmaxRegression().fit(np.ones((3, 2)), [0, 0, 0])),
        (ValueError, "lr", lambda: SoftmaxRegression().fit(np.ones((3, 2)), [0, 1, 0], lr=-1.0)),
        (ValueError, "weights", lambda: SoftmaxRegression().predict_proba(np.ones((1, 2)))),
        (ValueError, "kind", lambda: soft.output(np.ones((1, 3)), 0, kind="logit")),
        (ValueError, "X", lambda: soft.predict_proba(np.ones((1, 4)))),
    ]
    for error, name, call in cases:
        with pytest.raises(error, match=name):
            call()
