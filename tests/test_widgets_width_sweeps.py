"""Tests of pruning_lab.widgets.width_sweeps: the panel over a finished width sweep and its static figure."""

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from pruning_lab.widgets import width_sweep_figure, width_sweep_panel  # noqa: E402


def fake_rows():
    rows = []
    for seed in (0, 1):
        for w in (4, 8, 16):
            rows.append(dict(strategy="dense", retrain=False, width=w, seed=seed, test_error=0.1 / w + 0.01 * seed,
                             train_error=0.0, test_loss=1.0 / w, train_loss=0.1))
            for strategy, base in (("global", 0.05), ("random", 0.3)):
                for retrain in (False, True):
                    err = base * (0.5 if retrain else 1.0) + 0.001 * w + 0.01 * seed
                    rows.append(dict(strategy=strategy, retrain=retrain, width=w, seed=seed, test_error=err,
                                     train_error=err / 2, test_loss=err, train_loss=err / 3))
    return rows


def test_figure_returns_the_seed_means_of_the_curves_it_draws():
    rows = fake_rows()
    drawn = width_sweep_figure(rows, "test_error", ["global"], retrained="yes")
    assert set(drawn) == {("dense", False), ("global", True)}
    expected = [100 * (0.025 + 0.001 * w + 0.005) for w in (4, 8, 16)]
    np.testing.assert_allclose(drawn[("global", True)], np.round(expected, 2))
    np.testing.assert_allclose(drawn[("dense", False)], np.round([100 * (0.1 / w + 0.005) for w in (4, 8, 16)], 2))
    plt.close("all")


def test_losses_are_not_scaled_to_percent():
    drawn = width_sweep_figure(fake_rows(), "train_loss", retrained="no")
    assert set(drawn) == {("dense", False), ("global", False), ("random", False)}
    np.testing.assert_allclose(drawn[("dense", False)], [0.1, 0.1, 0.1])
    plt.close("all")


@pytest.mark.parametrize("kwargs, match", [
    (dict(metric="accuracy"), "metric"),
    (dict(strategies=["layerwise"]), "not in the sweep"),
    (dict(retrained="maybe"), "retrained"),
])
def test_bad_choices_raise(kwargs, match):
    with pytest.raises(ValueError, match=match):
        width_sweep_figure(fake_rows(), **kwargs)


def test_empty_sweep_raises():
    with pytest.raises(ValueError, match="empty"):
        width_sweep_figure([], "test_error")


def test_panel_offers_the_pruned_strategies_of_the_sweep():
    import ipywidgets

    panel = width_sweep_panel(fake_rows())
    metric, strategies, retrained = panel.children[0].children
    assert isinstance(metric, ipywidgets.Dropdown) and metric.value == "test_error"
    assert strategies.options == ("global", "random") and retrained.value == "both"
    plt.close("all")
