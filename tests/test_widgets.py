"""Tests of pruning_lab.widgets: the panel and its static figure."""

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from pruning_lab.widgets import strategy_figure, strategy_panel, strategy_problem  # noqa: E402


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
    import ipywidgets

    panel = strategy_panel(keep_fraction=0.2, rho=0.1, p=20, n=10, trials=2)
    sliders = panel.children[0].children
    assert [type(s) for s in sliders] == [ipywidgets.FloatSlider, ipywidgets.FloatSlider]
    assert sliders[0].value == 0.2 and sliders[1].value == 0.1
    plt.close("all")
