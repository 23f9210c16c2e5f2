"""Tests of pruning_lab.widgets.sparse: the group-LASSO panel and its static figure."""

import matplotlib.pyplot as plt
import numpy as np
import pytest


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
    ipywidgets = pytest.importorskip("ipywidgets")

    from pruning_lab.widgets import group_lasso_panel

    panel = group_lasso_panel(0.3, 0.3, n=60, n_groups=6, s_star=2, n_lams=5)
    sliders = [w for w in panel.children[0].children if isinstance(w, ipywidgets.widgets.widget_float._Float)]
    assert [s.description for s in sliders] == ["λ/λ_max", "correlation ρ"]
    plt.close("all")
