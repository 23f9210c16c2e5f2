"""Tests of pruning_lab.plotting.selection and pruning_lab.widgets.selection (figures of data and feature selection)."""

from types import SimpleNamespace

import matplotlib.pyplot as plt
import numpy as np
import pytest

from pruning_lab.plotting import selection as P
from pruning_lab.selection.block_experiments import block_scores, planted_block_layer
from pruning_lab.selection.logistic_experiments import gd_curves, sparse_logistic_tradeoff
from pruning_lab.selection.submodular import smooth_block_selection
from pruning_lab.widgets.selection import block_selection_figure, block_selection_panel

CURVE = SimpleNamespace(
    methods=("uniform", "ds2"),
    sizes=np.array([10, 20]),
    mean=np.array([[0.5, 0.25], [0.4, 0.2]]),
    se=np.array([[0.05, 0.025], [0.04, 0.02]]),
)


def test_selection_curve_draws_one_errorbar_per_method_with_the_scaled_values():
    fig, ax = plt.subplots()
    P.plot_selection_curve(CURVE, ylabel="1 - R²", scale=100, ax=ax)
    assert len(ax.containers) == 2
    np.testing.assert_allclose(ax.containers[1].lines[0].get_ydata(), [40.0, 20.0])
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["uniform", "DS-2 (distances only)"]
    plt.close(fig)


def test_curve_table_prints_mean_and_se_per_size():
    text = P.curve_table(CURVE, scale=100, digits=1)
    lines = text.splitlines()
    assert len(lines) == 3 and "uniform" in lines[0]
    assert lines[1].split()[0] == "10" and "50.0 ± 5.0" in lines[1] and "40.0 ± 4.0" in lines[1]
    with pytest.raises(TypeError, match="methods, sizes, mean and se"):
        P.curve_table(object())
    with pytest.raises(ValueError, match="shape"):
        P.curve_table(SimpleNamespace(methods=("a",), sizes=[1, 2], mean=np.zeros((2, 2)), se=np.zeros((2, 2))))


def test_loss_curves_and_tradeoff_draw_one_line_per_rule():
    curves = gd_curves(draws=2, n=100, d=4, iters=50)
    fig, ax = plt.subplots()
    P.plot_loss_curves(curves, ax=ax)
    assert len(ax.lines) == 3
    np.testing.assert_allclose(ax.lines[2].get_ydata(), np.median(curves.log10_loss[2], axis=0))
    plt.close(fig)
    t = sparse_logistic_tradeoff((2, 3), draws=2, n=400, d=8, support=2, iht_iters=10, omp_iters=5)
    fig, ax = plt.subplots()
    P.plot_sparse_tradeoff(t, ax=ax)
    assert len(ax.containers) == 6  # 2 methods x 3 rules
    plt.close(fig)


def test_block_masks_and_the_widget_figure_report_what_they_draw():
    fig, axes = plt.subplots(3, 1)
    found = block_selection_figure(0.5, 3.0, seed=4, axes=axes)
    # recompute the draw independently
    rng = np.random.default_rng(4)
    W, truth = planted_block_layer((8, 32), 4, seed=rng)
    X = rng.standard_normal((160, W.shape[1]))
    Y = X @ W.T + 3.0 * rng.standard_normal((160, W.shape[0]))
    s = block_scores(np.linalg.lstsq(X, Y, rcond=None)[0].T, 4)
    sel = smooth_block_selection(s / s.mean(), k=int(truth.sum()), smoothness=0.5)
    assert found["smooth"] == pytest.approx((sel.mask & truth).sum() / truth.sum())
    assert found["top_k"] == pytest.approx((sel.top_k & truth).sum() / truth.sum())
    np.testing.assert_array_equal(axes[0].images[0].get_array(), truth.astype(float))
    plt.close(fig)
    with pytest.raises(ValueError, match="masks"):
        P.plot_block_masks({})
    with pytest.raises(ValueError, match="layout"):
        block_selection_figure(layout="x")


def test_block_selection_panel_has_its_controls():
    pytest.importorskip("ipywidgets")
    panel = block_selection_panel()
    descriptions = [c.description for c in panel.children[0].children]
    assert descriptions == ["γ", "noise", "layout", "draw"]
    plt.close("all")
