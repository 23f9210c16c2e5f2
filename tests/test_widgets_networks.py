"""Tests of pruning_lab.widgets.networks: the MNIST pruning panel, the width-sweep panel and their static figures."""

import matplotlib.pyplot as plt
import numpy as np
import pytest

from pruning_lab.data import Dataset
from pruning_lab.widgets.networks import (
    PANEL_RECIPE,
    PANEL_STRATEGIES,
    mnist_pruning_figure,
    mnist_pruning_panel,
    width_sweep_figure,
    width_sweep_panel,
)


def recipe(**changes):
    """The panel's recipe with some fields changed (torch is imported only by the tests that train)."""
    from pruning_lab.nn.train import TrainingRecipe

    return TrainingRecipe(**{**PANEL_RECIPE, **changes})


def tiny():
    return dict(recipe=recipe(epochs=1), retrain_epochs=1)


@pytest.fixture(scope="module")
def small_data(mnist):
    pytest.importorskip("torch")
    ds = mnist
    return Dataset(ds.X_train[::10], ds.y_train[::10], ds.X_test[::5], ds.y_test[::5], name="tiny")  # all classes


@pytest.mark.slow
def test_figure_numbers_equal_the_width_sweep_pipeline(mnist):
    pytest.importorskip("torch")
    # an independent computation of the same numbers: the sweep's runs (full MNIST subset, as the figure's default)
    from pruning_lab.nn.sweeps import WidthSweep, run_width_point
    from pruning_lab.nn.train import TrainingRecipe

    fig, ax = plt.subplots()
    out = mnist_pruning_figure(
        8, 0.5, recipe=recipe(epochs=2, seed=3), retrain_epochs=1, strategies=PANEL_STRATEGIES, ax=ax
    )
    sweep = WidthSweep(
        name="check",
        model="fc2",
        dataset="mnist",
        widths=(4, 8),
        base_width=4,
        strategies=("dense", *PANEL_STRATEGIES),
        retrain=(False, True),
        seeds=(3,),
        recipe=TrainingRecipe(epochs=2, lr=0.05, batch_size=128, momentum=0.9, lr_schedule="cosine"),
        retrain_epochs=1,
    )
    runs = {(c.width, c.strategy, c.retrain): run_width_point(c)["test_error"] for c in sweep.configs()}
    assert out["width"] == 8 and out["small_width"] == 4
    assert out["total"] == 794 * 8 and out["kept"] == 794 * 4 == sweep.target
    assert out["dense"] == runs[(8, "dense", False)]
    assert out["small"] == runs[(4, "dense", True)]  # budget-matched: trained 2 + 1 epochs
    for s in PANEL_STRATEGIES:
        assert out[f"{s} pruned"] == runs[(8, s, False)]
        assert out[f"{s} retrained"] == runs[(8, s, True)]
    # the bars are the returned errors, in percent, in the order dense, small, (pruned, retrained) per strategy
    want = [out["dense"], out["small"]] + [out[f"{s} {w}"] for s in PANEL_STRATEGIES for w in ("pruned", "retrained")]
    np.testing.assert_allclose([p.get_height() for p in ax.patches], 100 * np.array(want))
    plt.close("all")


def test_keeping_everything_prunes_nothing(small_data):
    out = mnist_pruning_figure(6, 1.0, data=small_data, **tiny())
    assert out["kept"] == out["total"] == 794 * 6
    assert out["global pruned"] == out["dense"] and out["random pruned"] == out["dense"]
    assert out["small"] == out["dense"]  # the small model is the same network trained the same way
    plt.close("all")


def test_random_pruning_without_retraining_is_worse_than_magnitude(small_data):
    out = mnist_pruning_figure(32, 0.25, data=small_data, recipe=recipe(epochs=10), retrain_epochs=1)
    assert out["small_width"] == 8 and out["kept"] == 794 * 8
    assert out["random pruned"] > out["global pruned"] + 0.2  # random masks destroy the trained network
    assert 0.0 <= out["global retrained"] <= 1.0
    plt.close("all")


@pytest.mark.parametrize(
    "kwargs, match",
    [
        (dict(width=0), "width"),
        (dict(width=2.5), "width"),
        (dict(keep_fraction=0.0), "keep_fraction"),
        (dict(keep_fraction=1.5), "keep_fraction"),
        (dict(keep_fraction=float("nan")), "keep_fraction"),
        (dict(keep_fraction=True), "keep_fraction"),
        (dict(recipe_fields=dict(epochs=0)), "recipe.epochs"),
        (dict(retrain_epochs=0), "retrain_epochs"),
        (dict(recipe_fields=dict(lr=-1.0)), "lr"),
        (dict(recipe_fields=dict(batch_size=0)), "batch_size"),
        (dict(recipe_fields=dict(seed=-1)), "seed"),
        (dict(recipe=dict(PANEL_RECIPE)), "recipe must be a pruning_lab.nn.train.TrainingRecipe"),
        (dict(strategies="global"), "strategies"),
        (dict(strategies=("magnitude",)), "strategies"),
        (dict(strategies=("global", "global")), "strategies"),
        (dict(strategies=()), "strategies"),
        (dict(data=object()), "Dataset"),
    ],
)
def test_figure_rejects_bad_inputs(kwargs, match):
    pytest.importorskip("torch")
    kwargs = dict(kwargs)
    recipe_fields = kwargs.pop("recipe_fields", None)
    with pytest.raises(ValueError, match=match):
        if recipe_fields is not None:  # the recipe refuses a bad field; the figure refuses 0 epochs
            kwargs["recipe"] = recipe(**recipe_fields)
        mnist_pruning_figure(**{"width": 8, "keep_fraction": 0.5, **tiny(), **kwargs})


def test_figure_rejects_image_data():
    pytest.importorskip("torch")
    images = np.zeros((20, 3, 32, 32), dtype=np.float32)
    labels = np.arange(20) % 10
    with pytest.raises(ValueError, match="784"):
        mnist_pruning_figure(8, 0.5, data=Dataset(images, labels, images, labels), **tiny())


def test_panel_has_two_sliders(small_data):
    ipywidgets = pytest.importorskip("ipywidgets")

    panel = mnist_pruning_panel(width=16, keep_fraction=0.25, data=small_data, **tiny())
    sliders = panel.children[0].children
    assert [type(s) for s in sliders] == [ipywidgets.SelectionSlider, ipywidgets.FloatLogSlider]
    assert sliders[0].value == 16 and sliders[1].value == pytest.approx(0.25)
    plt.close("all")


@pytest.mark.parametrize(
    "kwargs, match",
    [
        (dict(width=100), "width"),
        (dict(keep_fraction=0.001), "keep_fraction"),
        (dict(keep_fraction=2.0), "keep_fraction"),
    ],
)
def test_panel_rejects_bad_inputs(kwargs, match):
    with pytest.raises(ValueError, match=match):
        mnist_pruning_panel(**{"width": 16, "keep_fraction": 0.1, **kwargs})


# ------------------------------------------------------------ the panel over a finished width sweep
def fake_rows():
    rows = []
    for seed in (0, 1):
        for w in (4, 8, 16):
            rows.append(
                dict(
                    strategy="dense",
                    retrain=False,
                    width=w,
                    seed=seed,
                    test_error=0.1 / w + 0.01 * seed,
                    train_error=0.0,
                    test_loss=1.0 / w,
                    train_loss=0.1,
                )
            )
            for strategy, base in (("global", 0.05), ("random", 0.3)):
                for retrain in (False, True):
                    err = base * (0.5 if retrain else 1.0) + 0.001 * w + 0.01 * seed
                    rows.append(
                        dict(
                            strategy=strategy,
                            retrain=retrain,
                            width=w,
                            seed=seed,
                            test_error=err,
                            train_error=err / 2,
                            test_loss=err,
                            train_loss=err / 3,
                        )
                    )
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


@pytest.mark.parametrize(
    "kwargs, match",
    [
        (dict(metric="accuracy"), "metric"),
        (dict(strategies=["layerwise"]), "not in the sweep"),
        (dict(retrained="maybe"), "retrained"),
    ],
)
def test_bad_choices_raise(kwargs, match):
    with pytest.raises(ValueError, match=match):
        width_sweep_figure(fake_rows(), **kwargs)


def test_empty_sweep_raises():
    with pytest.raises(ValueError, match="empty"):
        width_sweep_figure([], "test_error")


def test_panel_offers_the_pruned_strategies_of_the_sweep():
    ipywidgets = pytest.importorskip("ipywidgets")

    panel = width_sweep_panel(fake_rows())
    metric, strategies, retrained = panel.children[0].children
    assert isinstance(metric, ipywidgets.Dropdown) and metric.value == "test_error"
    assert strategies.options == ("global", "random") and retrained.value == "both"
    plt.close("all")
