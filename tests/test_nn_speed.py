"""Tests of pruning_lab.nn.speed: the stored speed file (structure, resume, atomicity) and the store architectures.

Nothing here asserts a speed: timings vary from run to run.  The tests check what the file holds,
that finished rows are never measured twice, that an interrupted call keeps what it finished, and
that the architectures of run stores are the models the runs trained.
"""

import json

import pytest

torch = pytest.importorskip("torch")

from pruning_lab.nn import architectures, speed
from pruning_lab.nn.measure import count_params, macs, model_bytes
from pruning_lab.nn.models import build_model
from pruning_lab.nn.structured import architecture_spec, build_from_spec

SHAPES, SPARSITIES, BATCHES = [(64, 64)], [0.0, 0.9], [1, 4]


def _fc_spec(width=8):
    return architecture_spec(build_model("fc2", width, in_features=20))


def _archs():
    return {"fc2 w=8": (_fc_spec(8), (20,)), "fc2 w=16": (_fc_spec(16), (20,))}


def _measure(path, **kw):
    args = dict(shapes=SHAPES, sparsities=SPARSITIES, batch_sizes=BATCHES, architectures=_archs(), repeats=2)
    return speed.measure_speed(path, **{**args, **kw})


def test_the_file_holds_every_row_with_consistent_numbers(tmp_path):
    path = tmp_path / "speed.json"
    out = _measure(path, command="python -m pruning_lab speed --test")
    table = speed.load_speed(path)
    assert table == out and table["complete"] is True and table["format"] == speed.FORMAT
    meta = table["meta"]
    assert meta["torch"] == torch.__version__ and meta["cpu_capability"] == torch.backends.cpu.get_cpu_capability()
    assert meta["runs"][0]["command"] == "python -m pruning_lab speed --test"
    assert meta["runs"][0]["arguments"]["repeats"] == 2
    be = table["break_even"]
    assert sorted((r["out_features"], r["in_features"], r["sparsity"], r["batch_size"]) for r in be) == [
        (64, 64, s, b) for s in SPARSITIES for b in BATCHES
    ]
    for r in be:
        for kind in ("dense", "sparse"):
            assert 0 < r[f"{kind}_q1"] <= r[f"{kind}_median"] <= r[f"{kind}_q3"]
        assert r["speedup"] == pytest.approx(r["dense_median"] / r["sparse_median"])
        assert r["threads"] == 1 and r["repeats"] == 2
    lat = table["latency"]
    assert sorted((r["label"], r["batch_size"]) for r in lat) == [
        (label, b) for label in ("fc2 w=16", "fc2 w=8") for b in BATCHES
    ]
    for r in lat:
        spec = _archs()[r["label"]][0]
        model = build_from_spec(spec)
        assert r["key"] == architectures.architecture_key(spec) and r["input_shape"] == [20]
        assert r["params"] == count_params(model) and r["macs"] == macs(model, (20,))[0]
        assert r["bytes"] == model_bytes(model) and r["warmup"] == speed.WARMUP
        assert 0 < r["q1"] <= r["median"] <= r["q3"]
    assert lat[0]["macs"] == 20 * 8 + 8 * 10  # fc2 of width 8: 20 -> 8 -> 10
    assert [p.name for p in tmp_path.iterdir()] == ["speed.json"]  # no temporary file left


def test_measuring_uses_onednn_and_restores_the_setting(tmp_path, monkeypatch):
    seen = []
    original = speed.latency

    def spy(*args, **kwargs):
        seen.append(torch.backends.mkldnn.enabled)
        return original(*args, **kwargs)

    monkeypatch.setattr(speed, "latency", spy)
    monkeypatch.setattr(torch.backends.mkldnn, "enabled", False)  # as after use_reproducible_cpu
    table = _measure(tmp_path / "speed.json", shapes=[])
    assert seen == [torch.backends.mkldnn.is_available()] * 4
    assert table["meta"]["mkldnn"] == torch.backends.mkldnn.is_available()
    assert torch.backends.mkldnn.enabled is False


def test_a_second_call_measures_nothing_already_there(tmp_path, monkeypatch):
    path = tmp_path / "speed.json"
    first = _measure(path)

    def fail(*args, **kwargs):
        raise AssertionError("a finished row was measured again")

    monkeypatch.setattr(speed, "break_even_table", fail)
    monkeypatch.setattr(speed, "latency", fail)
    second = _measure(path, command="again")
    assert second["break_even"] == first["break_even"] and second["latency"] == first["latency"]
    assert [r["command"] for r in second["meta"]["runs"]] == ["", "again"]


def test_a_wider_request_measures_only_the_new_rows(tmp_path, monkeypatch):
    path = tmp_path / "speed.json"
    _measure(path, batch_sizes=[1])
    calls = []
    original = speed.break_even_table

    def counted(shapes, sparsities, batch_sizes, **kw):
        calls.append((tuple(shapes[0]), sparsities[0], batch_sizes[0]))
        return original(shapes, sparsities, batch_sizes, **kw)

    monkeypatch.setattr(speed, "break_even_table", counted)
    table = _measure(path, batch_sizes=[1, 4])
    assert calls == [((64, 64), 0.0, 4), ((64, 64), 0.9, 4)]
    assert len(table["break_even"]) == 4 and len(table["latency"]) == 4


def test_an_interrupted_call_keeps_its_finished_rows(tmp_path, monkeypatch):
    path = tmp_path / "speed.json"
    original, count = speed.latency, []

    def breaks_on_the_third(*args, **kwargs):
        count.append(1)
        if len(count) == 3:
            raise KeyboardInterrupt
        return original(*args, **kwargs)

    monkeypatch.setattr(speed, "latency", breaks_on_the_third)
    with pytest.raises(KeyboardInterrupt):
        _measure(path)
    table = speed.load_speed(path)
    assert table["complete"] is False
    assert len(table["break_even"]) == 4 and len(table["latency"]) == 2  # all the layers, two latencies
    assert [p.name for p in tmp_path.iterdir()] == ["speed.json"]
    monkeypatch.setattr(speed, "latency", original)
    done = _measure(path)
    assert done["complete"] is True and done["latency"][:2] == table["latency"] and len(done["latency"]) == 4


def test_a_file_of_another_set_up_is_not_extended(tmp_path):
    path = tmp_path / "speed.json"
    _measure(path, architectures={})
    table = json.loads(path.read_text())
    table["meta"]["cpu_capability"] = "SOMETHING ELSE"
    path.write_text(json.dumps(table))
    with pytest.raises(ValueError, match="cpu_capability"):
        _measure(path)


def test_architecture_key_is_stable_and_order_free():
    spec = _fc_spec(8)
    key = architectures.architecture_key(spec)
    assert len(key) == 16 and int(key, 16) >= 0
    assert architectures.architecture_key(dict(reversed(list(spec.items())))) == key
    assert architectures.architecture_key(json.loads(json.dumps(spec))) == key
    assert architectures.architecture_key(_fc_spec(9)) != key
    # the key is the documented hash, so it does not change between sessions
    import hashlib

    assert key == hashlib.sha256(json.dumps(spec, sort_keys=True).encode()).hexdigest()[:16]
    with pytest.raises(ValueError, match="spec"):
        architectures.architecture_key([1, 2])
    with pytest.raises(ValueError, match="spec"):
        architectures.architecture_key({"kind": "mlp", "bad": object()})
    with pytest.raises(ValueError, match="spec"):
        architectures.architecture_key("{not json")


def _write_run(directory, name, config, result):
    directory.mkdir(exist_ok=True)
    (directory / f"run-{name}.json").write_text(json.dumps({"config": config, "result": result}))


def test_store_architectures_of_a_width_sweep_and_of_a_structured_run(tmp_path):
    store = tmp_path / "store"
    sweep = {"model": "fc2", "width": 16, "dataset": "mnist", "strategy": "global", "seed": 0}
    _write_run(store, "a", sweep, {"test_error": 0.1})
    _write_run(store, "b", {**sweep, "seed": 1}, {"test_error": 0.1})  # same architecture: counted once
    _write_run(store, "c", {**sweep, "model": "resnet20", "width": 2, "dataset": "mnist32"}, {"test_error": 0.2})
    spec = architecture_spec(build_model("resnet20", 4, in_channels=3))
    spec["sizes"]["layer1.0.conv1"] = [2, 4]  # half the internal channels of one block: read, not built
    # a structured-pruning run: no model or data set of its own, the named width sweep's; the spec as JSON text
    config = {"experiment": "x", "sweep": "resnet20-mnist32", "scale": "book", "width": 4, "seed": 0}
    config |= {"kind": "structured", "method": "l1", "fraction": 0.5, "retrain_epochs": 1}
    result = {"spec": json.dumps(spec, sort_keys=True), "input_shape": [3, 32, 32]}
    _write_run(store, "d", config, result)
    unstructured = {**config, "kind": "unstructured", "method": "oneshot", "fraction": 0.1}
    _write_run(store, "e", unstructured, {"test_error": 0.3})  # the dense network of the sweep, width 4
    _write_run(store, "f", {"other": 1}, {"x": 1})  # another experiment: skipped
    archs = architectures.store_architectures([store])
    assert list(archs) == ["fc2 w=16", "resnet20 w=2", "resnet20 w=4", "resnet20 w=4 pruned fraction=0.5 l1"]
    dense_spec, shape = archs["fc2 w=16"]
    assert shape == (784,) and dense_spec == architecture_spec(build_model("fc2", 16, in_features=784))
    r_spec, r_shape = archs["resnet20 w=2"]
    assert r_shape == (3, 32, 32) and r_spec == architecture_spec(build_model("resnet20", 2, in_channels=3))
    assert archs["resnet20 w=4"][0] == architecture_spec(build_model("resnet20", 4, in_channels=3))
    assert archs["resnet20 w=4 pruned fraction=0.5 l1"] == (spec, (3, 32, 32))
    assert architectures.architecture_key(result["spec"]) == architectures.architecture_key(
        spec
    )  # text or dict: one key
    assert architectures.store_architectures(store) == archs  # one directory may be given as it is


def test_store_architectures_labels_two_architectures_of_one_label_apart(tmp_path):
    config = {"model": "fc2", "width": 8, "fraction": 0.5, "method": "l1", "seed": 0}
    _write_run(tmp_path, "a", config, {"spec": _fc_spec(4), "input_shape": [20]})
    _write_run(tmp_path, "b", {**config, "seed": 1}, {"spec": _fc_spec(5), "input_shape": [20]})
    archs = architectures.store_architectures(tmp_path)
    keys = [architectures.architecture_key(_fc_spec(w)) for w in (4, 5)]
    assert sorted(archs) == sorted(f"fc2 w=8 pruned fraction=0.5 l1 #{k[:6]}" for k in keys)


def test_store_architectures_rejects_what_is_not_a_store(tmp_path):
    with pytest.raises(ValueError, match="store_dirs"):
        architectures.store_architectures([tmp_path / "missing"])
    with pytest.raises(ValueError, match="no run records"):
        architectures.store_architectures([tmp_path])
    with pytest.raises(ValueError, match="store_dirs"):
        architectures.store_architectures([])
    (tmp_path / "run-x.json").write_text("{not json")
    with pytest.raises(ValueError, match="not JSON"):
        architectures.store_architectures([tmp_path])
    _write_run(tmp_path, "x", {"model": "fc2"}, {"spec": _fc_spec()})
    with pytest.raises(ValueError, match="input_shape"):
        architectures.store_architectures([tmp_path])


@pytest.mark.parametrize(
    "change, match",
    [
        (dict(shapes=[(64,)]), "shapes"),
        (dict(shapes=[(64, 0)]), "shapes"),
        (dict(shapes="64x64"), "shapes"),
        (dict(shapes=[(64, 64), (64, 64)]), "shapes"),
        (dict(sparsities=[1.0]), "sparsities"),
        (dict(sparsities=[]), "sparsities"),
        (dict(sparsities=[0.5, 0.5]), "sparsities"),
        (dict(batch_sizes=[0]), "batch_sizes"),
        (dict(batch_sizes=[]), "batch_sizes"),
        (dict(threads=[0]), "threads"),
        (dict(repeats=0), "repeats"),
        (dict(architectures=[1]), "architectures"),
        (dict(architectures={"a": ({"kind": "mlp"},)}), "architectures"),
        (dict(architectures={"a": ([1], (20,))}), "spec"),
        (dict(architectures={"a": (_fc_spec(), ())}), "input shape"),
        (dict(architectures={"a": ({"kind": "unknown"}, (20,))}), r"architectures\['a'\] cannot be built"),
        (dict(architectures={"a": (_fc_spec(), (21,))}), r"architectures\['a'\] cannot be built and run on \(21,\)"),
        (dict(architectures={"a": (_fc_spec(), (20,)), "b": (_fc_spec(), (20,))}), "same architecture"),
        (dict(shapes=[], architectures={}), "nothing to measure"),
        (dict(progress="yes"), "progress"),
    ],
)
def test_bad_arguments_name_the_argument(tmp_path, change, match):
    with pytest.raises(ValueError, match=match):
        _measure(tmp_path / "speed.json", **change)
    assert list(tmp_path.iterdir()) == []  # checked before anything is written


def test_load_speed_rejects_other_files(tmp_path):
    with pytest.raises(FileNotFoundError, match="measure_speed"):
        speed.load_speed(tmp_path / "missing.json")
    bad = tmp_path / "bad.json"
    for text in ("{not json", json.dumps([1]), json.dumps({"format": "other"})):
        bad.write_text(text)
        with pytest.raises(ValueError, match="bad.json"):
            speed.load_speed(bad)
    _measure(tmp_path / "ok.json", architectures={}, sparsities=[0.5], batch_sizes=[1])
    table = json.loads((tmp_path / "ok.json").read_text())
    del table["break_even"][0]["speedup"]
    bad.write_text(json.dumps(table))
    with pytest.raises(ValueError, match="break_even"):
        speed.load_speed(bad)
    with pytest.raises(ValueError, match="bad.json"):  # measure_speed does not extend it either
        _measure(bad)
