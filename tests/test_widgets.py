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


def test_random_features_figure_bars_are_the_theory_it_returns():
    from pruning_lab.random_features import RandomFeaturesProblem
    from pruning_lab.random_features_curves import random_features_point
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
    import ipywidgets

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


# ------------------------------------------------ chapter "From LASSO to Sequential Attention++"
def test_group_lasso_figure_survivors_match_a_direct_solve():
    from pruning_lab.sparse import group_lasso, group_norms, lambda_max
    from pruning_lab.sparse.experiments import equicorrelated_problem
    from pruning_lab.widgets import group_lasso_figure

    out = group_lasso_figure(0.3, 0.3, n=120, n_groups=10, s_star=3, n_lams=15)
    problem = equicorrelated_problem(120, 10, 3, group_size=3, rho=0.3, noise=0.1, rng=0)
    fit = group_lasso(problem.X, problem.y, 0.3 * lambda_max(problem.X, problem.y, problem.groups), problem.groups)
    assert out["survivors"] == tuple(int(i) for i in np.flatnonzero(group_norms(fit.weights, problem.groups) > 0))
    assert out["planted_survivors"] == int(np.isin(out["survivors"], problem.support).sum())
    assert out["first_entry_is_largest_gradient"]
    plt.close("all")


def test_group_lasso_figure_at_lambda_max_keeps_nothing():
    from pruning_lab.widgets import group_lasso_figure

    assert group_lasso_figure(1.0, n=80, n_groups=8, s_star=2, n_lams=5)["survivors"] == ()
    plt.close("all")


@pytest.mark.parametrize("bad", [0.0, -0.1, 1.5])
def test_group_lasso_figure_rejects_bad_fraction(bad):
    from pruning_lab.widgets import group_lasso_figure

    with pytest.raises(ValueError, match="lam_fraction"):
        group_lasso_figure(bad)


def test_group_lasso_panel_has_two_sliders():
    import ipywidgets

    from pruning_lab.widgets import group_lasso_panel

    panel = group_lasso_panel(0.3, 0.3, n=60, n_groups=6, s_star=2, n_lams=5)
    sliders = [w for w in panel.children[0].children if isinstance(w, ipywidgets.widgets.widget_float._Float)]
    assert [s.description for s in sliders] == ["λ/λ_max", "correlation ρ"]
    plt.close("all")
