"""Tests of pruning_lab.dc.experiments: tuned-ridge baselines, retraining sweeps and the correlated design."""

import numpy as np
import pytest

from pruning_lab import dc
from pruning_lab.dc.double_descent import learner_problem, two_level_world
from pruning_lab.dc.experiments import (
    EquicorrelatedProblem,
    correlated_sweep,
    equicorrelated_problem,
    fair_comparison,
    optimal_prune_ridge,
    retraining_sweep,
    ridge_curves,
)
from pruning_lab.problems import LinearGaussianProblem, equicorrelated_covariance
from pruning_lab.prune import top_s_mask


def world_a():
    """World A of the chapter: 20 spiked features of variance 10 carry half of the signal."""
    return two_level_world(4000, 20, spike=10.0, beta_spike=1 / np.sqrt(20), beta_bulk=np.sqrt(1 / 3980))


# ------------------------------------------------------------------ ridge, then prune
def test_optimal_prune_ridge_without_pruning_is_the_tuned_dense_ridge():
    """Keeping every weight (s = p), ridge-then-prune is ridge: the same optimum as dc.optimal_ridge."""
    learner = learner_problem(world_a(), 150)
    tuned = optimal_prune_ridge(learner, 100, 150, "hessian")
    dense = dc.optimal_ridge(learner, 100)
    assert not tuned.at_boundary and tuned.risk == pytest.approx(dense.risk, rel=1e-6)
    assert tuned.mu == pytest.approx(dense.mu, rel=1e-2)


@pytest.mark.parametrize("strategy", ["magnitude", "hessian", "oracle"])
def test_optimal_prune_ridge_is_a_minimum_and_beats_min_norm(strategy):
    learner = learner_problem(world_a(), 200)
    tuned = optimal_prune_ridge(learner, 100, 80, strategy)
    risk = dc.oracle_prune_risk if strategy == "oracle" else dc.threshold_prune_risk
    args = () if strategy == "oracle" else (strategy,)
    for mu in np.geomspace(1e-3, 10, 9):
        assert tuned.risk <= risk(learner, 100, 80, *args, ridge=float(mu)) + 1e-12
    # the min-norm model is the mu -> 0 end: tuning cannot do worse
    assert tuned.risk <= risk(learner, 100, 80, *args) + 1e-9
    assert risk(learner, 100, 80, *args, ridge=tuned.mu) == pytest.approx(tuned.risk)


def test_optimal_prune_ridge_rejects_bad_inputs():
    learner = learner_problem(world_a(), 200)
    with pytest.raises(ValueError, match="strategy"):
        optimal_prune_ridge(learner, 100, 80, "obs")
    with pytest.raises(ValueError, match="s"):
        optimal_prune_ridge(learner, 100, 300)
    with pytest.raises(ValueError, match="grid"):
        optimal_prune_ridge(learner, 100, 80, grid=2)
    correlated = LinearGaussianProblem(np.ones(5), 0.5, equicorrelated_covariance(5, 0.3))
    with pytest.raises(ValueError, match="diagonal"):
        optimal_prune_ridge(correlated, 3, 2)


def test_ridge_curves_are_the_pointwise_optima():
    world = world_a()
    curves = ridge_curves(world, 100, 80, [60, 100, 300])
    assert np.isnan(curves.pruned[0]) and np.isfinite(curves.dense[0])  # p < s: nothing to prune to s
    learner = learner_problem(world, 300)
    assert curves.dense[2] == pytest.approx(dc.optimal_ridge(learner, 100).risk)
    assert curves.pruned[2] == pytest.approx(optimal_prune_ridge(learner, 100, 80).risk)
    assert np.isfinite(curves.pruned[1])  # ridge has a finite risk at the interpolation threshold
    # the chapter's claim: at every size the tuned small model (1.87) beats ridge-then-prune
    small = dc.optimal_ridge(world, 100, support=top_s_mask(world.oracle_saliency(), 80)).risk
    assert small == pytest.approx(1.87, abs=0.01) and np.all(curves.pruned[1:] > small)
    with pytest.raises(ValueError, match="non-empty"):
        ridge_curves(world, 100, 80, [])


@pytest.mark.slow
def test_fair_comparison_theory_agrees_with_simulation_world_a():
    """Every row within 4 s.e. + 4 % of its simulation; the fair ordering of the chapter holds."""
    out = fair_comparison(world_a(), 100, 80, 300, trials=60, rng=3)
    labels = [row[0] for row in out.rows]
    assert labels[:2] == ["small, least squares", "small, tuned ridge"] and len(labels) == 5
    for label, mu, theory, sim in out.rows:
        assert mu >= 0 and abs(sim.mean - theory) <= 4 * sim.sem + 0.04 * theory, label
    # least squares 6.43 > pruned large 2.35 > tuned small 1.87
    assert out.risk("small, least squares") > out.risk("large (p = 300), min-norm, pruned")
    assert out.risk("large (p = 300), min-norm, pruned") > out.risk("small, tuned ridge")
    assert out.risk("large (p = 300), tuned ridge, pruned") <= out.risk("large (p = 300), min-norm, pruned")
    table = out.table()
    assert len(table.splitlines()) == 6 and "+/-" in table
    with pytest.raises(ValueError, match="no row"):
        out.risk("medium")


# ------------------------------------------------------------------ retraining
def test_retraining_sweep_theory_is_the_closed_form_and_simulation_agrees():
    world = world_a()
    out = retraining_sweep(world, 100, 80, [150, 300], draws=40, trials=30, rng=0)
    assert out.axis == "p" and list(out.x) == [150, 300]
    learner = learner_problem(world, 300)
    assert out.theory["pruned"][1] == pytest.approx(dc.threshold_prune_risk(learner, 100, 80))
    assert out.theory_sem["pruned"][1] == 0.0
    fresh = dc.retrain_risk(learner, 100, 80, "magnitude", draws=40)
    assert out.theory["fresh"][1] == pytest.approx(fresh[0]) and out.theory_sem["fresh"][1] == pytest.approx(fresh[1])
    for name in ("pruned", "fresh"):  # the theory covers these two ...
        gap = np.abs(out.simulated[name] - out.theory[name])
        assert np.all(gap <= 4 * np.hypot(out.simulated_sem[name], out.theory_sem[name]) + 0.05 * out.theory[name])
        assert out.max_z(name) < 4
    # ... not same-sample retraining, which is far better than fresh here (3.7 against 7.0 at p = 300)
    assert out.simulated["same"][1] < 0.7 * out.simulated["fresh"][1]
    assert out.agreement("fresh", "same").max > 0.3
    with pytest.raises(ValueError, match="theory must be one of"):
        out.agreement("same")


@pytest.mark.parametrize("kwargs", [dict(ps=[50]), dict(ps=[99]), dict(ps=[]), dict(s=100, ps=[300])])
def test_retraining_sweep_rejects_bad_sizes(kwargs):
    args = dict(s=80, ps=[300]) | kwargs
    with pytest.raises(ValueError):
        retraining_sweep(world_a(), 100, args["s"], args["ps"], trials=2, draws=2)


# ------------------------------------------------------------------ correlated designs
def test_equicorrelated_problem_has_a_closed_form_eigenbasis_and_factor_sampler():
    problem = equicorrelated_problem(9, 0.4, sigma=0.3, seed=2)
    assert isinstance(problem, EquicorrelatedProblem) and problem.rho == pytest.approx(0.4)
    lam, V = problem.eigh()
    np.testing.assert_allclose(V @ np.diag(lam) @ V.T, problem.covariance, atol=1e-12)
    np.testing.assert_allclose(V.T @ V, np.eye(9), atol=1e-12)
    assert np.all(np.diff(lam) >= 0) and lam[-1] == pytest.approx(1 + 8 * 0.4)
    X, y = problem.sample(200_000, 0)
    np.testing.assert_allclose(X.T @ X / len(X), problem.covariance, atol=0.02)  # the one-factor model
    assert np.mean(y**2) == pytest.approx(problem.null_risk(), rel=0.02)
    # same beta for every rho, and the diagonal case stays diagonal
    assert np.array_equal(equicorrelated_problem(9, 0.0, seed=2).beta, problem.beta)
    assert equicorrelated_problem(9, 0.0).is_diagonal
    for bad in (1.0, -0.1):
        with pytest.raises(ValueError, match="rho"):
            equicorrelated_problem(9, bad)
    with pytest.raises(ValueError, match="n"):
        problem.sample(0)


def test_closed_form_eigenbasis_gives_the_same_dc_law_as_the_numerical_one():
    """The DC marginals do not depend on the basis of the degenerate eigenspace."""
    problem = equicorrelated_problem(60, 0.5, seed=1)
    plain = LinearGaussianProblem(problem.beta, problem.sigma, problem.covariance)
    for a, b in zip(dc.dc_marginals(problem, 20), dc.dc_marginals(plain, 20)):
        np.testing.assert_allclose(a, b, rtol=1e-9, atol=1e-12)
    assert dc.dc_params(problem, 20).gamma == pytest.approx(dc.dc_params(plain, 20).gamma, rel=1e-12)


@pytest.mark.slow
def test_correlated_sweep_dc_agrees_with_simulation():
    """Prune only and fresh retraining: the rotated DC within 4 combined s.e. + 5 % at rho = 0 and 0.6."""
    out = correlated_sweep([0.0, 0.6], [5, 20], p=120, n=40, draws=300, trials=120, rng=1)
    assert [c.label for c in out.curves] == ["rho = 0", "rho = 0.6"] and out.null[1] < out.null[0]
    for curves in out.curves:
        for name in ("pruned", "fresh"):
            gap = np.abs(curves.simulated[name] - curves.theory[name])
            tol = 4 * np.hypot(curves.simulated_sem[name], curves.theory_sem[name]) + 0.05 * curves.theory[name]
            assert np.all(gap <= tol), (curves.label, name)
    # strong correlation: retraining on a fresh batch beats pruning only at small s (Lemma 1's regime)
    assert out.curves[1].theory["fresh"][0] < out.curves[1].theory["pruned"][0]
    assert out.curves[0].theory["fresh"][0] > out.curves[0].theory["pruned"][0]


@pytest.mark.parametrize(
    "kwargs, match",
    [
        (dict(rhos=[1.0]), "rhos"),
        (dict(rhos=[]), "rhos"),
        (dict(ss=[39]), "ss must lie"),
        (dict(ss=[0]), "ss must lie"),
        (dict(strategy="obs"), "strategy"),
    ],
)
def test_correlated_sweep_rejects_bad_inputs(kwargs, match):
    args = dict(rhos=[0.3], ss=[5]) | kwargs
    rest = {k: v for k, v in kwargs.items() if k not in ("rhos", "ss")}
    with pytest.raises(ValueError, match=match):
        correlated_sweep(args["rhos"], args["ss"], p=60, n=40, draws=2, trials=2, **rest)


# ------------------------------------------------------------------ the figures and the panel of these experiments
def test_retraining_and_correlated_figures_draw_the_curves():
    import matplotlib.pyplot as plt

    from pruning_lab.plotting.linear import plot_correlated_sweep, plot_retraining_curves

    out = correlated_sweep([0.0, 0.5], [5, 10], p=60, n=30, draws=20, trials=3, rng=0)
    ax = plot_retraining_curves(out.curves[1])
    lines = {line.get_label(): line for line in ax.get_lines()}
    np.testing.assert_allclose(lines["magnitude, pruned only (DC)"].get_ydata(), out.curves[1].theory["pruned"])
    np.testing.assert_allclose(lines["retrained, fresh batch (DC)"].get_ydata(), out.curves[1].theory["fresh"])
    markers = {e.get_label(): e.lines[0] for e in ax.containers}
    same = markers["retrained, same samples (simulated)"]
    np.testing.assert_allclose(same.get_ydata(), out.curves[1].simulated["same"])
    assert ax.get_xscale() == "linear" and ax.get_yscale() == "linear" and ax.get_title() == "rho = 0.5"
    plt.close(ax.figure)
    axes = plot_correlated_sweep(out)
    assert len(axes) == 2 and axes[1].get_title().startswith("ρ = 0.5")
    assert axes[0].get_legend() is not None and axes[1].get_legend() is None
    plt.close(axes[0].figure)


def test_double_descent_figure_draws_both_small_models_and_the_tuned_ridge_curve():
    import matplotlib.pyplot as plt

    from pruning_lab.plotting.linear import plot_regime_map, plot_sparse_double_descent

    world = two_level_world(600, 10, spike=10.0)
    curve = dc.sparse_double_descent(world, 50, 30, [40, 100, 300], trials=0)
    ridge = ridge_curves(world, 50, 30, [40, 100, 300])
    ax = plot_sparse_double_descent(curve, ridge=ridge)
    lines = {line.get_label(): line for line in ax.get_lines()}
    np.testing.assert_allclose(lines["large model, tuned ridge, hessian pruning (DC)"].get_ydata(), ridge.pruned)
    flat = [line for label, line in lines.items() if label.endswith("(oracle features)")]
    heights = sorted(line.get_ydata()[0] for line in flat)
    np.testing.assert_allclose(heights, sorted([curve.small_model, curve.small_model_ridge]))
    plt.close(ax.figure)
    out = dc.regime_map(50, [0.2, 1.0], [10.0], P=400, k=10)
    ax = plot_regime_map(out, baseline="ridge")
    texts = [t.get_text() for t in ax.texts]
    assert texts[1].startswith(f"{out.ratio_to('ridge')[1, 0]:.2f}")  # finite: the tuned ridge has no threshold
    plt.close(ax.figure)


def test_dc_panel_figure_bars_are_the_predictions_it_returns():
    import matplotlib.pyplot as plt

    from pruning_lab.widgets.linear import dc_figure

    risks = dc_figure(kappa=2.0, keep_fraction=0.2, spike=10.0, n=100)
    ax = plt.gca()
    np.testing.assert_allclose([b.get_height() for b in ax.patches], list(risks.values()))
    assert risks["small_ridge"] <= risks["small"] and risks["ridge_pruned"] <= risks["hessian"] + 1e-9
    plt.close(ax.figure)


def test_log_axes_of_these_figures_are_labelled_with_plain_numbers():
    import matplotlib.pyplot as plt

    from pruning_lab.plotting.linear import plot_retraining_curves

    out = retraining_sweep(world_a(), 100, 80, [150, 300, 2000], draws=4, trials=2, rng=0)
    ax = plot_retraining_curves(out)
    ax.figure.canvas.draw()
    assert ax.get_xscale() == "log" and ax.get_yscale() == "log"
    for k, axis in enumerate((ax.xaxis, ax.yaxis)):
        labels = [t.get_text() for t in axis.get_ticklabels() if t.get_text()]
        assert labels and all("e" not in label and "^" not in label for label in labels), labels
        shown = [
            t
            for t in axis.get_majorticklabels() + axis.get_minorticklabels()
            if t.get_text()
            and t.get_visible()
            and (ax.get_xlim() if k == 0 else ax.get_ylim())[0]
            <= t.get_position()[k]
            <= (ax.get_xlim() if k == 0 else ax.get_ylim())[1]
        ]
        boxes = sorted((b.x0, b.x1) if k == 0 else (b.y0, b.y1) for b in (t.get_window_extent() for t in shown))
        assert all(a[1] <= b[0] + 0.5 for a, b in zip(boxes, boxes[1:]))  # no two labels overlap
    plt.close(ax.figure)


@pytest.mark.parametrize("call", ["ridge_curves", "retraining_sweep", "correlated_sweep"])
def test_sweeps_reject_non_integer_sizes_instead_of_truncating(call):
    world = two_level_world(40, 4)
    with pytest.raises(ValueError, match=r"(ps|ss) must be a non-empty list of"):
        {
            "ridge_curves": lambda: ridge_curves(world, 10, 2, [5.5]),
            "retraining_sweep": lambda: retraining_sweep(world, 10, 2, [20.5], draws=2, trials=1),
            "correlated_sweep": lambda: correlated_sweep([0.5], [3.5], p=20, n=10, draws=2, trials=1),
        }[call]()


def test_correlated_sweep_rejects_complex_correlations():
    with pytest.raises(ValueError, match="rhos must be an array of real numbers"):
        correlated_sweep(np.array([0.5 + 0.1j]), [3], p=20, n=10, draws=2, trials=1)
