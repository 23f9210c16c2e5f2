"""Tests of pruning_lab.plotting.networks: the width-sweep and IMP figures of the MNIST chapter."""

from types import SimpleNamespace

import matplotlib.pyplot as plt
import numpy as np
import pytest

from pruning_lab.plotting.networks import plot_imp, plot_width_sweep, width_sweep_summary

WIDTHS = (4, 8, 16)
CURVES = [("dense", False), ("global", False), ("global", True), ("random", False), ("random", True)]
OFFSET = {
    ("dense", False): 0.10,
    ("global", False): 0.20,
    ("global", True): 0.05,
    ("random", False): 0.60,
    ("random", True): 0.30,
}


def value(curve, width, seed):
    """Synthetic error: a known function of the curve, the width and the seed."""
    return OFFSET[curve] - 0.001 * width + 0.002 * seed


def synthetic_rows(seeds=(0, 1)):
    rows = []
    for strategy, retrain in CURVES:
        for width in WIDTHS:
            for seed in seeds:
                err = value((strategy, retrain), width, seed)
                rows.append(
                    {
                        "strategy": strategy,
                        "retrain": retrain,
                        "width": width,
                        "seed": seed,
                        "test_error": err,
                        "train_error": err / 2,
                    }
                )
    return rows


def test_summary_mean_and_standard_error_over_seeds():
    summary = width_sweep_summary(synthetic_rows(seeds=(0, 1, 2)))
    assert list(summary) == CURVES
    for curve, (w, mean, se, n) in summary.items():
        assert list(w) == list(WIDTHS) and n == 3
        np.testing.assert_allclose(mean, [value(curve, x, 1) for x in WIDTHS])  # mean of seeds 0, 1, 2
        np.testing.assert_allclose(se, 0.002 / np.sqrt(3))  # sample std of {0, 2, 4} * 0.001 is 0.002
    train = width_sweep_summary(synthetic_rows(), "train_error")
    np.testing.assert_allclose(train[("global", True)][1], [value(("global", True), x, 0.5) / 2 for x in WIDTHS])


def test_summary_sorts_widths_and_keeps_the_budget_matched_dense_curve_apart():
    rows = synthetic_rows(seeds=(0,))[::-1]  # widths in decreasing order
    rows.append({"strategy": "dense", "retrain": True, "width": 32, "test_error": 0.07, "train_error": 0.0})
    summary = width_sweep_summary(rows)
    assert summary[("dense", True)][1].tolist() == [0.07]
    w, mean, se, n = summary[("dense", False)]
    assert list(w) == [4, 8, 16] and n == 1
    np.testing.assert_allclose(mean, [value(("dense", False), x, 0) for x in WIDTHS])
    np.testing.assert_array_equal(se, 0.0)


def test_comparison_with_the_budget_matched_base_model():
    from pruning_lab.plotting.networks import width_sweep_comparison

    rows = synthetic_rows(seeds=(0, 1, 2))
    # without budget-matched runs the plain dense model of the base width is the reference
    plain = width_sweep_comparison(rows, 4)
    assert plain["reference"][:2] == ("dense", False)
    w, diff, se, z = plain[("global", True)]
    np.testing.assert_allclose(diff, [value(("global", True), x, 1) - value(("dense", False), 4, 1) for x in WIDTHS])
    np.testing.assert_allclose(se, np.sqrt(2) * 0.002 / np.sqrt(3))
    np.testing.assert_allclose(z, diff / se)
    for seed in (0, 1, 2):
        rows.append(dict(strategy="dense", retrain=True, width=4, seed=seed, test_error=0.05 + 0.01 * seed))
    matched = width_sweep_comparison(rows, 4)
    assert matched["reference"][:3] == ("dense", True, pytest.approx(0.06))
    np.testing.assert_allclose(matched[("global", True)][1], [value(("global", True), x, 1) - 0.06 for x in WIDTHS])
    assert ("dense", False) in matched and ("dense", True) not in matched
    with pytest.raises(ValueError, match="base_width 5"):
        width_sweep_comparison(rows, 5)


def test_summary_counts_the_fewest_seeds():
    rows = synthetic_rows()
    rows = [r for r in rows if not (r["strategy"] == "random" and r["width"] == 8 and r["seed"] == 1)]
    summary = width_sweep_summary(rows)
    assert summary[("random", True)][3] == 1 and summary[("global", True)][3] == 2
    assert summary[("random", True)][1][1] == pytest.approx(value(("random", True), 8, 0))


@pytest.mark.parametrize(
    "rows, match",
    [
        ([], "empty"),
        ({"strategy": "dense"}, "list of records"),
        ([{"strategy": "dense", "retrain": False, "width": 4}], "test_error"),
        (
            [
                {"strategy": "dense", "retrain": False, "width": 4, "test_error": 0.1},
                {"strategy": "dense", "width": 8, "test_error": 0.1},
            ],
            r"rows\[1\]",
        ),
        ([("dense", False, 4, 0.1)], "dict"),
    ],
)
def test_summary_rejects_bad_rows(rows, match):
    with pytest.raises(ValueError, match=match):
        width_sweep_summary(rows)


def test_plot_width_sweep_draws_one_line_per_curve_with_the_summary_values():
    rows = synthetic_rows()
    fig, ax = plt.subplots()
    plot_width_sweep(rows, base_width=4, ax=ax)
    summary = width_sweep_summary(rows)
    assert len(ax.containers) == len(CURVES)
    for container, (curve, (w, mean, _std, _n)) in zip(ax.containers, summary.items(), strict=True):
        line = container.lines[0]
        np.testing.assert_allclose(line.get_xdata(), w)
        np.testing.assert_allclose(line.get_ydata(), 100 * mean)
        assert container.has_yerr  # two seeds: error bars
        assert line.get_linestyle() == ("-" if curve[1] or curve[0] == "dense" else ":")
    # the base model's line sits at the dense error of width 4, in percent (no budget-matched runs here)
    base = [ln for ln in ax.lines if "small model" in str(ln.get_label())]
    assert len(base) == 1
    np.testing.assert_allclose(base[0].get_ydata(), 100 * summary[("dense", False)][1][0])
    assert ax.get_xscale() == "log" and "%" in ax.get_ylabel()
    labels = ax.get_legend_handles_labels()[1]
    assert "global magnitude, retrained" in labels and "random, not retrained" in labels
    plt.close(fig)


def test_plot_width_sweep_options():
    rows = synthetic_rows(seeds=(0,))
    fig, ax = plt.subplots()
    plot_width_sweep(
        rows, metric="train_error", percent=False, curves=[("global", True), ("dense", False)], legend=False, ax=ax
    )
    assert len(ax.containers) == 2 and ax.get_legend() is None
    assert not ax.containers[0].has_yerr  # one seed: no error bars
    np.testing.assert_allclose(
        ax.containers[0].lines[0].get_ydata(), [value(("global", True), x, 0) / 2 for x in WIDTHS]
    )
    assert ax.get_ylabel() == "train error"
    assert [t.get_text() for t in ax.get_xticklabels()] == ["4", "8", "16"]  # the widths, not powers of two
    assert ax.get_yscale() == "linear"
    fig, ax = plt.subplots()
    plot_width_sweep(rows, logy=True, ax=ax)
    assert ax.get_yscale() == "log" and ax.yaxis.get_major_formatter()(20.0, 0) == "20"
    plt.close("all")


@pytest.mark.parametrize(
    "kwargs, match",
    [
        (dict(base_width=5), "base_width"),
        (dict(curves=[("layerwise", True)]), "curves"),
        (dict(metric="accuracy"), "accuracy"),
    ],
)
def test_plot_width_sweep_rejects_bad_options(kwargs, match):
    with pytest.raises(ValueError, match=match):
        plot_width_sweep(synthetic_rows(), **kwargs)
    plt.close("all")


def fake_imp(rewind_epoch=0, reinit=True):
    return SimpleNamespace(
        kept_fraction=np.array([1.0, 0.8, 0.64, 0.512]),
        test_error=np.array([0.05, 0.048, 0.051, 0.06]),
        reinit_test_error=np.array([np.nan, 0.055, 0.06, 0.08]) if reinit else None,
        config={"rewind_epoch": rewind_epoch},
    )


def test_plot_imp_draws_ticket_control_and_dense_line():
    fig, ax = plt.subplots()
    result = fake_imp()
    plot_imp(result, ax=ax)
    ticket, control, dense = ax.lines
    np.testing.assert_allclose(ticket.get_xdata(), result.kept_fraction)
    np.testing.assert_allclose(ticket.get_ydata(), 100 * result.test_error)
    np.testing.assert_allclose(control.get_xdata(), result.kept_fraction[1:])  # round 0 has no control
    np.testing.assert_allclose(control.get_ydata(), 100 * result.reinit_test_error[1:])
    np.testing.assert_allclose(dense.get_ydata(), 5.0)
    assert "initialisation" in ticket.get_label()
    assert ax.get_xscale() == "log" and ax.xaxis_inverted()
    assert [t.get_text() for t in ax.get_xticklabels()] == ["100%", "80%", "64%", "51%"]
    plt.close(fig)


def test_plot_imp_without_control_and_with_late_rewinding():
    fig, ax = plt.subplots()
    plot_imp(fake_imp(rewind_epoch=2, reinit=False), ax=ax, percent=False)
    assert len(ax.lines) == 2 and "epoch 2" in ax.lines[0].get_label()
    np.testing.assert_allclose(ax.lines[0].get_ydata(), fake_imp().test_error)
    plt.close(fig)


def test_plot_imp_on_a_real_run():
    torch = pytest.importorskip("torch")

    from pruning_lab.data import Dataset
    from pruning_lab.nn.imp import iterative_magnitude_pruning
    from pruning_lab.nn.models import MLP
    from pruning_lab.nn.train import TrainingRecipe

    rng = np.random.default_rng(0)
    X = rng.normal(size=(120, 6)).astype(np.float32)
    y = (X[:, 0] > 0).astype(np.int64)
    torch.manual_seed(0)
    result = iterative_magnitude_pruning(
        MLP(6, [8], 2),
        Dataset(X[:80], y[:80], X[80:], y[80:]),
        TrainingRecipe(epochs=2, batch_size=16),
        rounds=2,
        reinit=True,
    )
    fig, ax = plt.subplots()
    plot_imp(result, ax=ax)
    np.testing.assert_allclose(ax.lines[0].get_xdata(), result.kept_fraction)
    np.testing.assert_allclose(ax.lines[1].get_ydata(), 100 * result.reinit_test_error[1:])
    plt.close(fig)


@pytest.mark.parametrize(
    "result, match",
    [
        (SimpleNamespace(kept_fraction=[1.0, 0.8], test_error=[0.1, 0.1], config={}), "reinit_test_error"),
        (SimpleNamespace(kept_fraction=[1.0], test_error=[0.1], reinit_test_error=None, config={}), "2 rounds"),
        (SimpleNamespace(kept_fraction=[1.0, 0.8], test_error=[0.1], reinit_test_error=None, config={}), "shapes"),
    ],
)
def test_plot_imp_rejects_bad_results(result, match):
    with pytest.raises(ValueError, match=match):
        plot_imp(result)


def test_width_sweep_table_lists_the_seed_means_of_every_curve():
    from pruning_lab.plotting.networks import width_sweep_table

    rows = []
    for seed in (0, 1):
        for w in (4, 8):
            rows.append(
                dict(
                    strategy="dense", retrain=False, width=w, seed=seed, test_error=0.1 * seed + 0.01 * w, test_loss=0.5
                )
            )
            rows.append(
                dict(strategy="random", retrain=True, width=w, seed=seed, test_error=0.2 + 0.1 * seed, test_loss=1.25)
            )
    rows.append(dict(strategy="global", retrain=False, width=8, seed=0, test_error=0.123, test_loss=2.0))
    lines = width_sweep_table(rows, "test_error", width_symbol="k").splitlines()
    assert lines[0].split() == ["test_error", "(%)", "k=4", "k=8"]
    # (0.04 + 0.14) / 2 ± 0.05, (0.08 + 0.18) / 2 ± 0.05: the standard error of two values 0.1 apart
    assert lines[1].split() == ["dense", "9.0±5.0", "13.0±5.0"]
    assert lines[2].split() == ["random,", "retrained", "25.0±5.0", "25.0±5.0"]
    assert lines[3].split() == ["global,", "not", "retrained", "12.3"] and lines[3][30:43].strip() == ""
    losses = width_sweep_table(rows, "test_loss").splitlines()
    assert losses[0].startswith("test_loss ") and losses[2].split()[-2:] == ["1.250±0.000", "1.250±0.000"]
    one_seed = width_sweep_table([r for r in rows if r["seed"] == 0], "test_error").splitlines()
    assert one_seed[1].split() == ["dense", "4.0", "8.0"]  # one seed: no ±


def test_plot_imp_summary_draws_three_curves_with_error_bars():
    from pruning_lab.plotting.networks import plot_imp_summary

    kept = np.array([1.0, 0.8, 0.64])
    summary = {
        "kept_fraction": kept,
        "n_seeds": 3,
        "ticket": (np.array([0.05, 0.04, 0.045]), np.array([0.002, 0.003, 0.001])),
        "reinit": (np.array([np.nan, 0.06, 0.07]), np.array([np.nan, 0.004, 0.002])),
        "random": (np.array([np.nan, 0.08, 0.09]), np.array([np.nan, 0.001, 0.002])),
    }
    fig, ax = plt.subplots()
    plot_imp_summary(summary, ax=ax)
    assert len(ax.containers) == 3 and all(c.has_yerr for c in ax.containers)
    np.testing.assert_allclose(ax.containers[0].lines[0].get_ydata(), [5.0, 4.0, 4.5])
    np.testing.assert_allclose(ax.containers[1].lines[0].get_xdata(), kept[1:])  # controls from round 1
    assert ax.xaxis_inverted() and ax.get_xscale() == "log"
    plt.close(fig)
    with pytest.raises(ValueError, match="imp_summary"):
        plot_imp_summary({"ticket": 1})


def test_paired_difference_over_the_seeds_both_curves_have():
    from pruning_lab.plotting.networks import width_sweep_paired

    rows = synthetic_rows(seeds=(0, 1, 2))
    # value() adds 0.002 * seed to every curve: the paired differences are all equal, their s.e. is 0
    d, se, n = width_sweep_paired(rows, ("random", True), ("global", True), 8)
    assert n == 3 and d == pytest.approx(OFFSET[("random", True)] - OFFSET[("global", True)]) and se == pytest.approx(0)
    for r in rows:  # make seed 2 of one curve differ by 0.03: differences 0, 0, 0.03 → mean 0.01, s.e. 0.01
        if (r["strategy"], r["retrain"], r["width"], r["seed"]) == ("random", True, 8, 2):
            r["test_error"] += 0.03
    d2, se2, _ = width_sweep_paired(rows, ("random", True), ("global", True), 8)
    assert d2 - d == pytest.approx(0.01) and se2 == pytest.approx(0.01)
    with pytest.raises(ValueError, match="share 0 seeds"):
        width_sweep_paired(rows, ("random", True), ("global", True), 5)
