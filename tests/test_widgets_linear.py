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


@pytest.mark.parametrize("signs", ["alternating", 0, 3])
def test_strategy_problem_signs_keep_magnitudes_and_covariance(signs):
    plain, signed = strategy_problem(p=200, rho=0.8), strategy_problem(p=200, rho=0.8, signs=signs)
    np.testing.assert_array_equal(np.abs(signed.beta), plain.beta)
    np.testing.assert_array_equal(signed.covariance, plain.covariance)
    assert (signed.beta < 0).any() and (signed.beta > 0).any()
    np.testing.assert_array_equal(strategy_problem(p=200, rho=0.8, signs=signs).beta, signed.beta)
    # the signal splits into (1 - rho) sum Sigma_ii beta_i^2 and the common factor rho (sum sqrt(Sigma_ii) beta_i)^2
    sd = np.sqrt(np.diag(plain.covariance_matrix()))
    for prob in (plain, signed):
        own = 0.2 * np.sum(sd**2 * prob.beta**2)
        assert prob.signal_variance() == pytest.approx(own + 0.8 * (sd @ prob.beta) ** 2, rel=1e-10)
    assert 0.8 * (sd @ plain.beta) ** 2 > 0.99 * plain.signal_variance()  # all positive: the factor dominates
    if signs == "alternating":  # the factor cancels exactly
        assert abs(sd @ signed.beta) < 1e-12
        assert signed.null_risk() == pytest.approx(0.25 + 0.2 * (20 * 10 * 0.04 + 180 * 0.0025))


def test_strategy_problem_rejects_bad_signs():
    for bad in ("random", 1.5, True, [1, -1]):
        with pytest.raises(ValueError, match="signs must be"):
            strategy_problem(p=20, signs=bad)


def test_strategy_figure_draws_the_dc_tuned_baselines():
    from pruning_lab import dc
    from pruning_lab.prune import top_s_mask

    fig, ax = plt.subplots()
    comparison = strategy_figure(keep_fraction=0.25, rho=0.0, p=40, n=20, trials=2, signs=1, ax=ax)
    problem = strategy_problem(40, 0.0, signs=1)
    support = top_s_mask(problem.oracle_saliency(), 10)
    assert comparison.small_penalty[0] == pytest.approx(dc.optimal_ridge(problem, 20, support).mu)
    assert comparison.dense_penalty == pytest.approx(dc.optimal_ridge(problem, 20).mu)
    labels = [line.get_label() for line in ax.get_lines()]
    assert "small model, tuned ridge" in labels and "dense, tuned ridge (no pruning)" in labels
    assert "random signs" in ax.get_title()
    empty = strategy_figure(keep_fraction=0.0, p=40, n=20, trials=2)  # s = 0: no small model to tune
    assert not empty.has("small_ridge") and empty.has("dense_ridge")
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
    from pruning_lab.random_features import RandomFeaturesProblem, random_features_point, small_model_point
    from pruning_lab.widgets import random_features_figure

    fig, ax = plt.subplots()
    result = random_features_figure(kappa=1.5, keep_fraction=0.2, n=40, d=8, trials=3, draws=30, ax=ax)
    names = ["dense", "magnitude", "magnitude + retrain", "hessian", "hessian + retrain", "small", "small ridge"]
    assert list(result["theory"]) == list(result["simulated"]) == list(result["sem"]) == names
    assert list(result["same"]) == list(result["same_sem"]) == ["magnitude + retrain", "hessian + retrain"]
    heights = [patch.get_height() for patch in ax.patches]
    np.testing.assert_allclose(heights, list(result["theory"].values()))
    # the same numbers as the package functions on layer 0 of a curve with this seed (p = 60, s = 12):
    # the first layer from [seed, 0], theory and simulation from the independent stream [seed, 0, p]
    rf = RandomFeaturesProblem.draw(8, 60, rng=np.random.default_rng([0, 0]))
    point = random_features_point(rf, 40, [12], trials=3, draws=30, rng=np.random.default_rng([0, 0, 60]))
    assert result["theory"]["magnitude"] == pytest.approx(float(point["theory_pruned"][0]))
    assert result["theory"]["magnitude + retrain"] == pytest.approx(float(point["theory_retrained"][0]))
    runs = point["sim_pruned"][:, 0]
    assert result["simulated"]["magnitude"] == pytest.approx(runs.mean())
    assert result["sem"]["magnitude"] == pytest.approx(runs.std(ddof=1) / np.sqrt(3))
    assert result["same"]["magnitude + retrain"] == pytest.approx(point["sim_same"][:, 0].mean())
    small = small_model_point(rf.with_width(12), 40, [12], trials=3, rng=np.random.default_rng([0, 0, 0, 1]))
    assert result["theory"]["small ridge"] == pytest.approx(float(small["theory_ridge"][0]))
    assert result["simulated"]["small"] == pytest.approx(small["sim_least_squares"][:, 0].mean())
    # every simulated bar has an error bar: 7 markers with their s.e. and 2 same-sample diamonds
    assert len(ax.containers) - len([c for c in ax.containers if hasattr(c, "patches")]) == 9
    plt.close("all")


def test_random_features_figure_draws_the_theory_independently_of_the_first_layer(monkeypatch):
    """Regression: the DC draws once reused the normals that built the first layer (same seed for both)."""
    from pruning_lab.widgets import linear as widgets_linear

    seen = []
    real = widgets_linear.random_features_point

    def record(rf, n, ss, *, rng, **kwargs):
        first = np.random.default_rng(rng.bit_generator.seed_seq).standard_normal(rf.R.size)
        seen.append((rf, first))
        return real(rf, n, ss, rng=rng, **kwargs)

    monkeypatch.setattr(widgets_linear, "random_features_point", record)
    fig, ax = plt.subplots()
    widgets_linear.random_features_figure(kappa=1.5, keep_fraction=0.2, n=40, d=8, trials=2, draws=10, seed=5, ax=ax)
    assert len(seen) == 2  # one call per strategy, on the same first layer and the same stream
    rf, first = seen[0]
    layer_normals = rf.R.ravel() * np.sqrt(rf.d)
    assert abs(np.corrcoef(first, layer_normals)[0, 1]) < 0.2
    np.testing.assert_array_equal(seen[1][1], first)
    plt.close("all")


def test_random_features_figure_and_panel_inputs():
    ipywidgets = pytest.importorskip("ipywidgets")

    from pruning_lab.widgets import random_features_figure, random_features_panel

    with pytest.raises(ValueError, match="keep_fraction"):
        random_features_figure(keep_fraction=0.0)
    with pytest.raises(ValueError, match="kappa"):
        random_features_figure(kappa=-1.0)
    for trials in (1, 2.5, True):
        with pytest.raises(ValueError, match="trials must be an integer >= 2"):
            random_features_figure(trials=trials)
    panel = random_features_panel(kappa=2.0, keep_fraction=0.1, n=30, d=5, trials=2)
    sliders = panel.children[0].children
    assert [type(s) for s in sliders] == [ipywidgets.FloatLogSlider, ipywidgets.FloatSlider]
    assert sliders[0].value == pytest.approx(2.0) and sliders[1].value == pytest.approx(0.1)
    plt.close("all")
