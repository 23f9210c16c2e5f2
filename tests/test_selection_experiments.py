"""Tests of the chapter experiments of pruning_lab.selection: logistic curves, the sparse trade-off, block selection."""

import itertools

import numpy as np
import pytest

from pruning_lab.selection import block_experiments as B
from pruning_lab.selection import logistic_experiments as E
from pruning_lab.selection.logistic import is_separable, logistic_loss

# ---- separable data and the margin ----------------------------------------------------------------


def test_separable_sphere_has_unit_rows_the_margin_and_a_sparse_direction():
    A, y, w = E.separable_sphere(300, 10, margin=0.15, support=3, seed=4)
    np.testing.assert_allclose(np.linalg.norm(A, axis=1), 1.0)
    assert np.count_nonzero(w) == 3 and np.linalg.norm(w) == pytest.approx(1.0)
    assert np.all(y * (A @ w) > 0.15) and set(np.unique(y)) == {-1.0, 1.0}
    A2, y2, w2 = E.separable_sphere(300, 10, margin=0.15, support=3, seed=4)
    assert np.array_equal(A, A2) and np.array_equal(w, w2)


def test_max_margin_is_the_norm_of_the_closest_point_of_the_hull_and_beats_the_planted_direction():
    # points a and -b with labels +1 and -1: the margin is the distance from 0 to the segment [a, b]
    a, b = np.array([1.0, 0.2]), np.array([0.8, -0.4])
    A, y = np.stack([a, -b]), np.array([1.0, -1.0])
    t = np.clip(-(b @ (a - b)) / ((a - b) @ (a - b)), 0, 1)
    assert E.max_margin(A, y) == pytest.approx(np.linalg.norm(b + t * (a - b)), rel=1e-6)
    A, y, w = E.separable_sphere(200, 5, margin=0.1, seed=1)
    gamma = E.max_margin(A, y)
    assert gamma >= np.min(y * (A @ w)) - 1e-9
    # no direction on a fine grid of the circle does better (2-D data)
    A, y, _ = E.separable_sphere(200, 2, margin=0.1, seed=2)
    angles = np.linspace(0, 2 * np.pi, 20001)
    best = max(np.min(y * (A @ [np.cos(t), np.sin(t)])) for t in angles)
    assert E.max_margin(A, y) == pytest.approx(best, abs=1e-4)


def test_max_margin_refuses_non_separable_data():
    A = np.array([[1.0, 0.0], [1.0, 0.0]])
    with pytest.raises(ValueError, match="not linearly separable"):
        E.max_margin(A, np.array([1.0, -1.0]))


# ---- loss curves ------------------------------------------------------------------------------------


def test_gd_curves_store_every_loss_and_the_loss_step_is_linear_where_the_constant_is_not():
    c = E.gd_curves(draws=3, n=200, d=5, margin=0.2, iters=400, seed=0)
    assert c.log10_loss.shape == (3, 3, 401) and c.rate.shape == (3, 3) and c.margin.shape == (3,)
    np.testing.assert_allclose(c.log10_loss[:, :, 0], np.log10(np.log(2)))
    # recompute one stored curve from its draw: same seed stream, first draw
    A, y, _ = E.separable_sphere(200, 5, margin=0.2, seed=np.random.default_rng(0))
    from pruning_lab.selection.logistic import gd

    np.testing.assert_allclose(c.log10_loss[2, 0], np.log10(gd(A, y, step="loss", iters=400)[1]))
    constant, loss = c.rules.index(("constant", 1.0)), c.rules.index(("loss", 1.0))
    assert np.all(c.rate[loss] > 5 * c.rate[constant])
    # the constant step decays sublinearly: its rate over the second half is below the first half's
    first = -(c.log10_loss[constant, :, 200] - c.log10_loss[constant, :, 20]) / 180
    second = -(c.log10_loss[constant, :, 400] - c.log10_loss[constant, :, 220]) / 180
    assert np.all(second < first)
    assert np.all(c.margin > 0.2) and np.all(c.rho == pytest.approx(1.0))


def test_rate_ignores_the_floor_and_is_nan_without_enough_iterations():
    logs = np.concatenate([-0.1 * np.arange(100), np.full(100, -300.0)])
    assert np.isnan(E._rate(logs))
    logs = -0.01 * np.arange(200)
    assert E._rate(logs) == pytest.approx(0.01 * np.log(10))


# ---- the sparse trade-off -----------------------------------------------------------------------------


def test_sparse_tradeoff_shapes_recovery_and_one_recomputed_entry():
    t = E.sparse_logistic_tradeoff(
        (2, 4), methods=("omp",), rules=(("loss", 1.0),), draws=2, n=600, d=12, support=3, omp_iters=20, seed=3
    )
    assert t.log10_loss.shape == (1, 1, 2, 2) and t.recovered.shape == (1, 1, 2, 2)
    assert np.all((t.recovered >= 0) & (t.recovered <= 1))
    mean, se = t.mean_se()
    assert mean.shape == (1, 1, 2) and np.all(se >= 0)
    A, y, w = E.separable_sphere(600, 12, margin=0.2, support=3, seed=np.random.default_rng(3))
    from pruning_lab.selection.logistic import omp_logistic

    found, x, _ = omp_logistic(A, y, 4, step="loss", iters=20)
    assert t.log10_loss[0, 0, 1, 0] == pytest.approx(np.log10(logistic_loss(A, y, x)))
    assert t.recovered[0, 0, 1, 0] == pytest.approx(np.isin(np.flatnonzero(w), found).mean())


def test_experiment_inputs_are_checked():
    with pytest.raises(ValueError, match="rules"):
        E.gd_curves(rules=(("fast", 1.0),), draws=2)
    with pytest.raises(ValueError, match="rules"):
        E.gd_curves(rules=(("loss", 0.0),), draws=2)
    with pytest.raises(ValueError, match="draws"):
        E.gd_curves(draws=1)
    with pytest.raises(ValueError, match="methods"):
        E.sparse_logistic_tradeoff(methods=("lasso",))
    with pytest.raises(ValueError, match="ks"):
        E.sparse_logistic_tradeoff((3, 60), d=50)
    with pytest.raises(ValueError, match="margin"):
        E.separable_sphere(10, 3, margin=1.0)
    with pytest.raises(ValueError, match="support"):
        E.separable_sphere(10, 3, support=4)
    with pytest.raises(ValueError, match="margin"):
        E.separable_sphere(5, 30, margin=0.9, seed=0)  # nothing of one class survives


def test_separable_sphere_is_separable():
    A, y, _ = E.separable_sphere(100, 4, margin=0.05, seed=7)
    assert is_separable(A, y)


# ---- block selection ----------------------------------------------------------------------------------


def test_block_scores_are_block_frobenius_norms():
    rng = np.random.default_rng(0)
    W = rng.standard_normal((6, 9))
    s = B.block_scores(W, 3)
    for i, j in itertools.product(range(2), range(3)):
        assert s[i, j] == pytest.approx((W[3 * i : 3 * i + 3, 3 * j : 3 * j + 3] ** 2).sum())
    with pytest.raises(ValueError, match="block=4 must divide"):
        B.block_scores(W, 4)


def test_planted_layer_is_zero_exactly_off_its_blocks_and_the_control_keeps_the_count():
    W, truth = B.planted_block_layer((6, 10), 3, regions=2, seed=5)
    assert W.shape == (18, 30)
    assert np.array_equal(B.block_scores(W, 3) > 0, truth)
    W2, scattered = B.planted_block_layer((6, 10), 3, regions=2, layout="scattered", seed=5)
    assert scattered.sum() == truth.sum() and np.array_equal(B.block_scores(W2, 3) > 0, scattered)
    with pytest.raises(ValueError, match="layout"):
        B.planted_block_layer(layout="stripes")
    with pytest.raises(ValueError, match="grid"):
        B.planted_block_layer((0, 4))


def test_block_experiment_with_zero_smoothness_is_top_k_and_chooses_by_validation():
    e = B.block_selection_experiment((0.0, 0.5), draws=3, validation_draws=2, grid=(4, 8), block=2, samples=20, seed=1)
    assert e.recovered.shape == (2, 3) and e.kept.shape == (2, 3)
    np.testing.assert_array_equal(e.recovered[0], e.top_k_recovered[0])
    np.testing.assert_array_equal(e.error[0], e.top_k_error[0])
    assert e.chosen == [0.0, 0.5][int(np.argmax(e.validation_recovered))]
    assert np.all((e.recovered >= 0) & (e.recovered <= 1)) and np.all(e.error >= 0)


def test_smoothness_helps_on_contiguous_blocks_and_hurts_on_the_scattered_control():
    kw = dict(draws=6, validation_draws=2, grid=(6, 16), block=2, samples=40, noise=3.0, seed=2)
    rect = B.block_selection_experiment((0.0, 0.5), **kw)
    scat = B.block_selection_experiment((0.0, 0.5), layout="scattered", **kw)
    assert rect.recovered[1].mean() > rect.top_k_recovered[1].mean()
    assert scat.recovered[1].mean() < scat.top_k_recovered[1].mean()


def test_block_experiment_inputs_are_checked():
    with pytest.raises(ValueError, match="samples"):
        B.block_selection_experiment(grid=(2, 4), block=2, samples=3)
    with pytest.raises(ValueError, match="smoothness"):
        B.block_selection_experiment((-1.0,))
    with pytest.raises(ValueError, match="layout"):
        B.block_selection_experiment(layout="x")
    with pytest.raises(ValueError, match="draws"):
        B.block_selection_experiment(draws=1)
