"""Tests of pruning_lab.plotting: the house style and the chapter figures."""

import io

import matplotlib
import matplotlib.image as mpimg
import matplotlib.pyplot as plt
import numpy as np
import pytest

from pruning_lab import plotting
from pruning_lab.pipeline import compare_strategies
from pruning_lab.problems import LinearGaussianProblem


@pytest.fixture(scope="module")
def comparison():
    problem = LinearGaussianProblem.spiked(40, 4, beta_bulk=0.05)
    return compare_strategies(problem, 20, [2, 4, 8], trials=3, rng=0, progress=False)


def test_house_style_white_png_background():
    plotting.use_house_style()
    assert matplotlib.rcParams["savefig.format"] == "png"
    fig, ax = plt.subplots()
    ax.plot([0, 1], [0, 1])
    buf = io.BytesIO()
    fig.savefig(buf)
    plt.close(fig)
    buf.seek(0)
    img = mpimg.imread(buf)
    # The corner pixel is opaque white: figures stay readable on a dark page.
    np.testing.assert_allclose(img[0, 0], [1.0, 1.0, 1.0, 1.0])


def test_every_strategy_has_a_distinct_color_and_label():
    colors = [plotting.strategy_color(s) for s in ("dense", "magnitude", "hessian", "obs", "oracle", "random", "small")]
    assert len(set(colors)) == len(colors)
    assert set(plotting.STRATEGY_COLORS) == set(plotting.STRATEGY_LABELS)
    with pytest.raises(ValueError, match="no house color"):
        plotting.strategy_color("nonexistent")


def test_risk_plot_draws_the_comparison_means(comparison):
    ax = plotting.plot_risk_vs_sparsity(comparison)
    lines = {c.get_label(): c.lines[0] for c in ax.containers}
    np.testing.assert_allclose(lines["magnitude"].get_ydata(), comparison.mean("magnitude"))
    np.testing.assert_allclose(lines["small model, least squares"].get_ydata(), comparison.mean("small"))
    assert lines["Hessian (OBD)"].get_color() == plotting.strategy_color("hessian")
    assert ax.get_xlabel() and ax.get_ylabel()
    plt.close(ax.figure)


def test_bar_plot_heights_match_the_comparison(comparison):
    ax = plotting.plot_strategy_bars(comparison, index=1)
    heights = [p.get_height() for p in ax.patches]
    n = len(comparison.strategies)
    expected = [comparison.mean(s)[1] for s in comparison.strategies]
    expected_rt = [comparison.mean(s, True)[1] for s in comparison.strategies]
    np.testing.assert_allclose(heights[:n], expected)
    np.testing.assert_allclose(heights[n : 2 * n], expected_rt)
    plt.close(ax.figure)


@pytest.fixture(scope="module")
def ridge_comparison():
    problem = LinearGaussianProblem.spiked(40, 4, beta_bulk=0.05)
    ridge = dict(small_ridge=[0.1, 0.2, 0.3], dense_ridge=0.5)
    return compare_strategies(problem, 20, [2, 4, 8], ("hessian",), trials=3, rng=0, progress=False, **ridge)


def test_risk_plot_draws_the_ridge_baselines_and_their_theory(ridge_comparison):
    c = ridge_comparison
    theory = {"small": [1.0, 2.0, 3.0], "small_ridge": [0.5, 0.6, 0.7]}
    ax = plotting.plot_risk_vs_sparsity(c, retrained=True, theory=theory)
    markers = {e.get_label(): e.lines[0] for e in ax.containers}
    np.testing.assert_allclose(markers["Hessian (OBD)"].get_ydata(), c.mean("hessian", True))
    np.testing.assert_allclose(markers["small model, tuned ridge, simulated"].get_ydata(), c.mean("small_ridge"))
    np.testing.assert_allclose(markers["small model, least squares, simulated"].get_ydata(), c.mean("small"))
    assert markers["small model, tuned ridge, simulated"].get_linestyle() == "None"  # markers only
    lines = {line.get_label(): line for line in ax.get_lines()}
    np.testing.assert_allclose(lines["small model, tuned ridge, theory"].get_ydata(), theory["small_ridge"])
    np.testing.assert_allclose(lines["small model, least squares, theory"].get_xdata(), c.sparsities)
    np.testing.assert_allclose(lines["dense, tuned ridge (no pruning)"].get_ydata(), c.mean("dense_ridge")[0])
    np.testing.assert_allclose(lines["dense min-norm (no pruning)"].get_ydata(), c.dense.mean())
    plt.close(ax.figure)
    legend = [text.get_text() for text in ax.get_legend().get_texts()]
    assert legend[0] == "Hessian (OBD)" and legend[-1] == "dense, tuned ridge (no pruning)"  # drawing order
    assert len(legend) == 1 + 2 * 2 + 2
    plt.close(ax.figure)
    ax = plotting.plot_risk_vs_sparsity(c, legend={"loc": "upper left", "title": "models"})
    assert ax.get_legend().get_title().get_text() == "models"
    assert ax.get_legend().get_texts()[0].get_text() == "Hessian (OBD)"
    plt.close(ax.figure)
    ax = plotting.plot_risk_vs_sparsity(c, baselines=False, legend=False)
    assert [e.get_label() for e in ax.containers] == ["Hessian (OBD)"] and ax.get_legend() is None
    plt.close(ax.figure)
    with pytest.raises(ValueError, match="small models only"):
        plotting.plot_risk_vs_sparsity(c, theory={"hessian": [1, 2, 3]})


def test_bar_plot_draws_the_ridge_baselines(ridge_comparison):
    ax = plotting.plot_strategy_bars(ridge_comparison, index=2)
    lines = {line.get_label(): line.get_ydata()[0] for line in ax.get_lines() if not line.get_label().startswith("_")}
    assert lines["small model, tuned ridge"] == pytest.approx(ridge_comparison.mean("small_ridge")[2])
    assert lines["small model, least squares"] == pytest.approx(ridge_comparison.mean("small")[2])
    assert lines["dense, tuned ridge (no pruning)"] == pytest.approx(ridge_comparison.mean("dense_ridge")[2])
    plt.close(ax.figure)


def test_threshold_sweep_plots_theory_and_simulation():
    from pruning_lab import dc
    from pruning_lab.dc.simulate import simulate_min_norm, simulate_threshold_pruning

    problem = LinearGaussianProblem.spiked(60, 6, beta_bulk=0.05)
    weights, _ = simulate_min_norm(problem, 30, trials=3, rng=0)
    ts = [0.0, 0.1, 0.2]
    theory = [dc.threshold_risk(problem, 30, t) for t in ts]
    sim = simulate_threshold_pruning(problem, weights, ts)
    axes = plotting.plot_threshold_sweep(ts, theory, sim)
    np.testing.assert_allclose(axes[0].lines[0].get_ydata(), [r.expected_kept for r in theory])
    np.testing.assert_allclose(axes[0].lines[1].get_ydata(), sim["kept"])
    np.testing.assert_allclose(axes[1].lines[0].get_ydata(), [r.risk for r in theory])
    assert all(ax.get_xlabel() and ax.get_ylabel() for ax in axes)
    plt.close(axes[0].figure)


def test_regime_map_annotates_every_cell():
    from pruning_lab.dc.double_descent import regime_map

    result = regime_map(50, [0.2, 1.0], [1.0, 10.0], P=400, k=10)
    ax = plotting.plot_regime_map(result)
    texts = [t.get_text() for t in ax.texts]
    assert len(texts) == 4
    assert texts[0].startswith(f"{result.ratio[0, 0]:.2f}") and texts[2] == "small model:\ninfinite risk"
    assert ax.get_xlabel() and ax.get_ylabel()
    plt.close(ax.figure)


def test_random_features_curve_plots_draw_the_curve():
    from pruning_lab.random_features.curves import random_features_curve

    curve = random_features_curve(8, 40, [20, 80], [10], layers=1, trials=2, draws=10, rng=0)
    ax = plotting.plot_random_features_curve(curve, 0)
    lines = {line.get_label(): line for line in ax.get_lines()}
    np.testing.assert_allclose(lines["dense (ELP + DC)"].get_ydata(), curve.theory["dense"])
    np.testing.assert_allclose(lines["magnitude pruned to s = 10"].get_ydata(), curve.theory["pruned"][0])
    np.testing.assert_allclose(lines["+ retrained, fresh batch (DC)"].get_ydata(), curve.theory["retrained"][0])
    assert ax.get_xlabel() and ax.get_ylabel()
    plt.close(ax.figure)
    ax = plotting.plot_retraining_gap(curve, 0)
    ratios = [c.lines[0].get_ydata() for c in ax.containers]
    np.testing.assert_allclose(ratios[0], curve.simulated["fresh"][0] / curve.theory["retrained"][0])
    np.testing.assert_allclose(ratios[1], curve.simulated["same"][0] / curve.theory["retrained"][0])
    plt.close(ax.figure)


def test_group_lasso_path_draws_one_line_per_group_and_labels_entry_ranks():
    from pruning_lab.plotting import plot_group_lasso_path
    from pruning_lab.sparse import group_lasso_path
    from pruning_lab.sparse.experiments import equicorrelated_problem

    problem = equicorrelated_problem(100, 6, 2, group_size=2, rho=0.2, noise=0.05, rng=1)
    path = group_lasso_path(problem.X, problem.y, problem.groups, n_lams=8)
    ax = plot_group_lasso_path(path, problem.groups, planted=problem.support, lam=float(path.lams[3]))
    drawn = [line for line in ax.get_lines() if len(line.get_xdata()) == 8]
    assert len(drawn) == 6
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    for rank, group in enumerate(path.entry_order, start=1):
        if group in problem.support:
            assert f"planted group {group} (enters {rank}.)" in labels
    assert ax.xaxis_inverted() and ax.get_xscale() == "log"
    plt.close("all")


@pytest.mark.parametrize("which", ["x", "y"])
@pytest.mark.parametrize("low, high", [(0.3, 3.0), (0.9, 4.0), (0.05, 0.4), (1e-4, 10.0), (300.0, 9600.0)])
def test_log_scale_labels_ticks_with_plain_numbers_that_do_not_overlap(low, high, which):
    fig, ax = plt.subplots(figsize=(4, 3))
    ax.plot([low, high], [low, high])
    assert plotting.log_scale(ax, which) is ax and getattr(ax, f"get_{which}scale")() == "log"
    fig.canvas.draw()
    axis = getattr(ax, f"{which}axis")
    k = 0 if which == "x" else 1
    labels = [
        t
        for t in axis.get_majorticklabels() + axis.get_minorticklabels()
        if t.get_text() and low <= t.get_position()[k] <= high
    ]
    texts = [t.get_text() for t in labels]
    assert texts and not any("times" in x or "^" in x or "e-" in x or "e+" in x for x in texts), texts
    assert all(float(x.replace("\u2212", "-")) > 0 for x in texts), texts  # plain numbers
    boxes = sorted((b.x0, b.x1) if which == "x" else (b.y0, b.y1) for b in (t.get_window_extent() for t in labels))
    assert all(a[1] <= b[0] + 0.5 for a, b in zip(boxes, boxes[1:])), texts  # no two labels overlap
    plt.close(fig)


def test_log_scale_rejects_a_bad_axis():
    fig, ax = plt.subplots()
    with pytest.raises(ValueError, match="which"):
        plotting.log_scale(ax, "z")
    plt.close(fig)
