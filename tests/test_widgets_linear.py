"""Tests of pruning_lab.widgets.linear: the panels of the linear chapters and their static figures."""

import matplotlib.pyplot as plt
import numpy as np
import pytest

from pruning_lab.widgets import strategy_figure, strategy_panel, strategy_problem


def test_strategy_problem_structure():
    problem = strategy_problem(p=50, rho=0.0)
    assert problem.is_diagonal and problem.p == 50
    np.testing.assert_allclose(problem.covariance[:5], 10.0)
    np.testing.assert_allclose(problem.beta[:5], 0.2)
    np.testing.assert_allclose(problem.beta[5:], 0.05)
    corr = strategy_problem(p=50, rho=0.5)
    assert not corr.is_diagonal
    c = corr.covariance
    assert np.isclose(c[0, 10] / np.sqrt(c[0, 0] * c[10, 10]), 0.5)


def test_strategy_figure_runs_the_comparison_it_shows():
    comparison = strategy_figure(keep_fraction=0.25, rho=0.3, p=40, n=20, trials=2)
    assert list(comparison.sparsities) == [10]
    assert comparison.p == 40 and comparison.n == 20
    plt.close("all")


def test_strategy_figure_rejects_bad_fraction():
    with pytest.raises(ValueError, match="keep_fraction"):
        strategy_figure(keep_fraction=1.5)


def test_strategy_panel_has_two_sliders():
    ipywidgets = pytest.importorskip("ipywidgets")

    panel = strategy_panel(keep_fraction=0.2, rho=0.1, p=20, n=10, trials=2)
    sliders = panel.children[0].children
    assert [type(s) for s in sliders] == [ipywidgets.FloatSlider, ipywidgets.FloatSlider]
    assert sliders[0].value == 0.2 and sliders[1].value == 0.1
    plt.close("all")


def test_random_features_figure_bars_are_the_theory_it_returns():
    from pruning_lab.random_features import RandomFeaturesProblem
    from pruning_lab.random_features.curves import random_features_point
    from pruning_lab.widgets import random_features_figure

    fig, ax = plt.subplots()
    risks = random_features_figure(kappa=1.5, keep_fraction=0.2, n=40, d=8, trials=2, ax=ax)
    assert list(risks) == ["dense", "magnitude", "magnitude + retrain", "hessian", "hessian + retrain"]
    heights = [patch.get_height() for patch in ax.patches]
    np.testing.assert_allclose(heights, list(risks.values()))
    # the same numbers as the package function for the same first layer and seed (p = 60, s = 12)
    point = random_features_point(RandomFeaturesProblem.draw(8, 60, rng=0), 40, [12], trials=2, draws=60, rng=0)
    assert risks["magnitude"] == pytest.approx(float(point["theory_pruned"][0]))
    assert risks["magnitude + retrain"] == pytest.approx(float(point["theory_retrained"][0]))
    plt.close("all")


def test_random_features_figure_and_panel_inputs():
    ipywidgets = pytest.importorskip("ipywidgets")

    from pruning_lab.widgets import random_features_figure, random_features_panel

    with pytest.raises(ValueError, match="keep_fraction"):
        random_features_figure(keep_fraction=0.0)
    with pytest.raises(ValueError, match="kappa"):
        random_features_figure(kappa=-1.0)
    panel = random_features_panel(kappa=2.0, keep_fraction=0.1, n=30, d=5, trials=2)
    sliders = panel.children[0].children
    assert [type(s) for s in sliders] == [ipywidgets.FloatLogSlider, ipywidgets.FloatSlider]
    assert sliders[0].value == pytest.approx(2.0) and sliders[1].value == pytest.approx(0.1)
    plt.close("all")
