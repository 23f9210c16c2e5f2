"""Tests of pruning_lab.lottery.transition and pruning_lab.lottery.cli: logistic 50% points, the sweeps that
separate r~ from the free-weight count and from d, the radius sweep, and the committed results."""

import json
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pytest

from pruning_lab.lottery import cli, experiments, transition
from pruning_lab.lottery.transition import logistic_transition, success_cell

RESULTS = Path(__file__).resolve().parents[1] / "results" / "lottery"


# ------------------------------------------------------------------ the logistic estimate
def test_logistic_fit_recovers_the_midpoint_and_its_standard_error_is_calibrated():
    rng = np.random.default_rng(0)
    x = np.arange(100.0, 260.0, 20.0)
    p = 1 / (1 + np.exp(-(x - 170) / 12))
    fits = [logistic_transition(x, rng.binomial(30, p), np.full(x.size, 30)) for _ in range(200)]
    x50 = np.array([f.x50 for f in fits])
    se = np.array([f.se for f in fits])
    assert abs(x50.mean() - 170) < 3 * x50.std() / np.sqrt(x50.size)  # unbiased to within 3 s.e. of the mean
    assert 0.75 < se.mean() / x50.std() < 1.33  # the Fisher s.e. matches the spread of the estimates
    covered = np.mean(np.abs(x50 - 170) < 2 * se)
    assert covered > 0.88


def test_logistic_fit_on_a_falling_curve_and_on_separated_data():
    fit = logistic_transition([0.5, 1.0, 1.5, 2.0], [20, 15, 5, 0], [20] * 4, decreasing=True)
    assert fit.slope < 0 and fit.x50 == pytest.approx(1.25, abs=0.02)
    sep = logistic_transition([100, 120, 140, 160], [0, 0, 30, 30], [30] * 4)
    assert sep.at_bound and 120 < sep.x50 < 140 and 0 < sep.se < 10


@pytest.mark.parametrize(
    "args, match",
    [
        (([1, 1], [0, 1], [2, 2]), "two distinct"),
        (([1, 2], [3, 1], [2, 2]), "successes must lie"),
        (([1, 2], [0, 1], [0, 2]), "trials must be positive"),
        (([1, 2], [0, 1, 1], [2, 2]), "successes"),
    ],
)
def test_logistic_fit_rejects_bad_input(args, match):
    with pytest.raises(ValueError, match=match):
        logistic_transition(*args)


# ------------------------------------------------------------------ the sweeps
def test_a_cell_is_seeded_by_its_values_and_the_sweeps_reuse_it():
    a, rt = success_cell(40, 3, [6, 6, 6], 60, trials=3, max_iter=500)
    b, _ = success_cell(40, 3, [6, 6, 6], 60, trials=3, max_iter=500)
    np.testing.assert_array_equal(a, b)
    np.testing.assert_allclose(rt, 6.0)  # equal widths, one group: r~ = r
    curves = transition.pattern_sweep([((6, 6, 6), 1), ((6, 6, 6), 3)], [40, 60], d=40, K=3, trials=3, max_iter=500)
    np.testing.assert_array_equal(curves.errors[0, 1], a)
    assert curves.mean_r_tilde[1] == pytest.approx(16 * 6 / 36)  # disjoint: (K+1)^2 r / (4K^2)
    np.testing.assert_array_equal(curves.free_weights, [18, 18])


def test_success_rises_with_samples_and_falls_with_distance():
    curves = transition.dimension_sweep([10, 60], [20, 120], r=5, K=3, trials=6, max_iter=2000)
    assert np.all(curves.success_rate[:, 0] < curves.success_rate[:, 1])
    radius = transition.radius_sweep([10], [0.2, 4.0], n=60, d=30, K=3, trials=8, max_iter=3000)
    assert radius.decreasing and radius.success_rate[0, 0] > radius.success_rate[0, 1]


def test_success_curves_round_trip_through_json():
    curves = transition.pattern_sweep([((4, 4), 1)], [10, 30], d=12, K=2, trials=2, max_iter=200)
    back = transition.SuccessCurves.from_dict(json.loads(json.dumps(curves.to_dict())))
    np.testing.assert_array_equal(back.errors, curves.errors)
    assert back.config == curves.config and back.labels == curves.labels


def test_sweeps_reject_bad_input():
    with pytest.raises(ValueError, match="widths must hold K"):
        success_cell(20, 3, [4, 4], 30)
    with pytest.raises(ValueError, match="d in d_values"):
        transition.dimension_sweep([10], [30], r=20)
    with pytest.raises(ValueError, match="dist_values"):
        transition.radius_sweep([5], [-0.1, 1.0], d=20)
    with pytest.raises(ValueError, match="name must be one of"):
        cli.run_experiment("nothing")


# ------------------------------------------------------------------ masks with controls, rates with kappa
def test_mask_sweep_controls():
    ms = experiments.inaccurate_mask_sweep([120], d=30, K=3, r_star=6, rounds=2, trials=3, max_iter=100)
    assert set(ms.rmse) == set(experiments.MASK_METHODS)
    np.testing.assert_array_equal(ms.accuracy["IMP re-init"], ms.accuracy["IMP"])  # same masks
    assert not np.array_equal(ms.rmse["IMP re-init"], ms.rmse["IMP"])  # different starts
    # a random mask keeps about the kept fraction of the true weights
    assert ms.accuracy["random"][0, -1].mean() < ms.accuracy["IMP"][0, -1].mean()
    mean, se = ms.mean_se("random")
    np.testing.assert_allclose(se, ms.rmse["random"].std(axis=2, ddof=1) / np.sqrt(3))
    back = experiments.InaccurateMaskSweep.from_dict(json.loads(json.dumps(ms.to_dict())))
    np.testing.assert_array_equal(back.rmse["random"], ms.rmse["random"])


def test_rate_sweep_condition_number_and_speedup():
    rs = experiments.rate_sweep([10], d=40, K=3, n=400, trials=2, max_iter=1500)
    assert np.all(rs.kappa > 1)
    tuned = rs.speedup("tuned")
    # heavy ball tuned at the truth: 1 - nu = 2/(sqrt(kappa)+1), against 1/kappa for GD with eta = 1/L
    predicted = 2 * rs.kappa / (np.sqrt(rs.kappa) + 1)
    np.testing.assert_allclose(tuned, predicted, rtol=0.35)


# ------------------------------------------------------------------ command line and committed results
def test_cli_writes_a_result_that_loads_back(tmp_path, monkeypatch):
    small = dict(patterns=(((4, 4), 1),), n_values=[10, 30], d=12, K=2)
    monkeypatch.setitem(cli.EXPERIMENTS, "patterns", (transition.pattern_sweep, small))
    out = tmp_path / "p.json"
    assert cli.main(["patterns", "--trials", "2", "--max-iter", "100", "--out", str(out)]) == 0
    command, curves = cli.load_result(out)
    assert command == "python -m pruning_lab.lottery.cli patterns --trials 2 --max-iter 100"
    assert curves.errors.shape == (1, 2, 2)


@pytest.mark.slow
def test_a_stored_cell_is_reproduced_from_its_configuration():
    """Recompute the cell of the committed pattern sweep nearest to the full-overlap transition."""
    path = RESULTS / "patterns.json"
    if not path.exists():
        pytest.skip("results/lottery/patterns.json not generated")
    command, curves = cli.load_result(path)
    cfg = curves.config
    assert command.startswith("python -m pruning_lab.lottery.cli patterns")
    i = int(np.argmin(np.abs(curves.success_rate[0] - 0.5)))
    widths, groups = cfg["patterns"][0]
    errors, rt = success_cell(
        cfg["d"],
        cfg["K"],
        widths,
        int(curves.x_values[i]),
        groups=groups,
        rel_dist=cfg["rel_dist"],
        trials=cfg["trials"],
        max_iter=cfg["max_iter"],
        seed=cfg["seed"],
    )
    stored = curves.errors[0, i]
    np.testing.assert_array_equal(errors < curves.threshold, stored < curves.threshold)
    failed = stored >= curves.threshold
    np.testing.assert_allclose(errors[failed], stored[failed], rtol=1e-6)
    np.testing.assert_allclose(rt, curves.r_tilde[0, i], rtol=1e-12)


def test_committed_results_load_and_plot():
    from pruning_lab.plotting import lottery as P

    names = ["patterns", "dimension", "radius-300", "radius-600", "masks"]
    if not all((RESULTS / f"{n}.json").exists() for n in names):
        pytest.skip("results/lottery not generated")
    loaded = {n: cli.load_result(RESULTS / f"{n}.json")[1] for n in names}
    axes = [
        P.plot_lottery_success(loaded["patterns"]),
        P.plot_lottery_patterns(loaded["patterns"], slope=6.6),
        P.plot_lottery_dimension([loaded["dimension"], loaded["dimension"]]),
        P.plot_lottery_radius([loaded["radius-300"], loaded["radius-600"]]),
        *P.plot_lottery_masks(loaded["masks"]),
    ]
    for ax in axes:
        assert ax.get_xlabel() and ax.get_ylabel()
    plt.close("all")


def test_problems_that_stop_at_the_same_step_all_stop_cleanly():
    from pruning_lab.lottery import make_teacher, train

    teacher = make_teacher(20, 2, 5, rng=0)
    X, y = teacher.sample(30, rng=1)
    W0 = np.stack([teacher.weights + teacher.mask * 1.0] * 2)
    res = train.agd_pruned_batch(
        np.stack([X, X]), np.stack([y, y]), np.stack([teacher.mask] * 2), W0, eta=1e6, max_iter=50
    )
    assert [r.converged for r in res] == [False, False] and res[0].iterations == res[1].iterations < 50


@pytest.mark.slow
def test_a_stored_radius_cell_is_reproduced_from_its_configuration():
    """The committed radius sweep at N = 300: its widest width at the nearest start, recomputed."""
    path = RESULTS / "radius-300.json"
    if not path.exists():
        pytest.skip("results/lottery/radius-300.json not generated")
    _, curves = cli.load_result(path)
    cfg = curves.config
    r, lam = cfg["r_values"][-1], cfg["dist_values"][0]
    errors, _ = success_cell(
        cfg["d"],
        cfg["K"],
        [r] * cfg["K"],
        cfg["n"],
        rel_dist=lam,
        trials=cfg["trials"],
        max_iter=cfg["max_iter"],
        seed=cfg["seed"],
        tag=8,
    )
    stored = curves.errors[-1, 0]
    np.testing.assert_array_equal(errors < curves.threshold, stored < curves.threshold)
    failed = stored >= curves.threshold
    np.testing.assert_allclose(errors[failed], stored[failed], rtol=1e-6)
