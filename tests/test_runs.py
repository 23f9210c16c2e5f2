"""Tests of pruning_lab.runs: the on-disk ResultCache used by long sweeps.

Properties checked (all exact; nothing here is random):

* round trip: every array comes back with its values, shape and dtype;
* ``load`` returns ``None`` for a result that was never saved;
* the file name is a function of the parameters only (key order, numpy
  scalars and arrays vs their Python equivalents do not matter), different
  parameters or namespaces give different files;
* ``cached`` calls ``compute`` once and then reads the file;
* atomic writes: after a successful save only the final file exists, and a
  save that fails mid-write leaves no temporary file and does not touch a
  previous result;
* a file holding another parameter set under the expected name (a hash
  collision, or a file copied by hand) is detected;
* bad namespace, directory, params and result raise ``ValueError``.

"""

import csv
import dataclasses
import json
import os
import pickle
import shutil
from pathlib import Path

import numpy as np
import pytest

from pruning_lab import runs
from pruning_lab.runs import ResultCache, RunStore, atomic_write, canonical_config, config_key, run_sweep, write_csv


def _files(directory):
    return sorted(f.name for f in directory.iterdir()) if directory.exists() else []


def _temporaries(directory):
    return [name for name in _files(directory) if name.startswith(".")]


RESULT = {
    "risk": np.array([[1.0, 2.5], [np.nan, -3.0]]),
    "counts": np.arange(5, dtype=np.int32),
    "scalar": np.array(0.125),
    "mask": np.array([True, False, True]),
    "label": np.array("magnitude"),
    "empty": np.zeros((0, 3)),
}


def test_round_trip_of_several_arrays(tmp_path):
    cache = ResultCache(tmp_path / "new" / "dir", "sweep")  # created on first save
    params = {"p": 100, "seed": 0, "ss": [10, 20], "rule": "magnitude", "noise": 0.5}
    assert cache.load(params) is None
    path = cache.save(params, {**RESULT, "as_list": [1.0, 2.0]})
    assert path == cache.path(params) and path.exists()
    assert path.name.startswith("sweep-") and path.suffix == ".npz"
    back = cache.load(params)
    assert set(back) == set(RESULT) | {"as_list"}
    for key, value in RESULT.items():
        assert back[key].dtype == value.dtype and back[key].shape == value.shape, key
        np.testing.assert_array_equal(back[key], value, err_msg=key)
    np.testing.assert_array_equal(back["as_list"], [1.0, 2.0])
    assert _files(path.parent) == [path.name]  # no temporary file after a successful save


def test_load_returns_none_when_missing(tmp_path):
    cache = ResultCache(tmp_path, "sweep")
    assert cache.load({"p": 1}) is None
    cache.save({"p": 1}, {"x": np.ones(2)})
    assert cache.load({"p": 2}) is None
    assert ResultCache(tmp_path / "does-not-exist", "sweep").load({"p": 1}) is None
    assert not (tmp_path / "does-not-exist").exists()  # loading creates nothing


def test_file_names_depend_on_params_and_namespace_only(tmp_path):
    cache = ResultCache(tmp_path, "sweep")
    a = {"p": 100, "seed": 0, "ss": [1, 2]}
    assert cache.path(a) == cache.path({"ss": [1, 2], "seed": 0, "p": 100})  # key order
    assert cache.path(a) == cache.path({"p": np.int64(100), "seed": 0, "ss": np.array([1, 2])})
    assert cache.path(a) == ResultCache(tmp_path, "sweep").path(dict(a))  # a new instance, same name
    others = [{**a, "p": 101}, {**a, "seed": 1}, {**a, "ss": [2, 1]}, {**a, "extra": None}, {"p": 100}]
    names = {cache.path(q).name for q in others} | {cache.path(a).name}
    assert len(names) == len(others) + 1
    assert ResultCache(tmp_path, "other").path(a) != cache.path(a)
    # two namespaces share a directory without clashing
    cache.save(a, {"x": np.array(1.0)})
    ResultCache(tmp_path, "other").save(a, {"x": np.array(2.0)})
    assert float(cache.load(a)["x"]) == 1.0
    assert float(ResultCache(tmp_path, "other").load(a)["x"]) == 2.0
    cache.save({**a, "p": 101}, {"x": np.array(3.0)})
    assert len(_files(tmp_path)) == 3 and float(cache.load(a)["x"]) == 1.0


def test_save_overwrites_the_same_params(tmp_path):
    cache = ResultCache(tmp_path, "sweep")
    cache.save({"p": 1}, {"x": np.ones(2)})
    cache.save({"p": 1}, {"y": np.zeros(3)})
    back = cache.load({"p": 1})
    assert set(back) == {"y"} and len(_files(tmp_path)) == 1


def test_cached_computes_once(tmp_path):
    cache = ResultCache(tmp_path, "sweep")
    calls = []

    def compute():
        calls.append(1)
        return {"risk": np.array([1.5, 2.5])}

    first = cache.cached({"p": 3}, compute)
    second = cache.cached({"p": 3}, compute)
    assert len(calls) == 1
    np.testing.assert_array_equal(first["risk"], [1.5, 2.5])
    np.testing.assert_array_equal(second["risk"], first["risk"])
    cache.cached({"p": 4}, compute)
    assert len(calls) == 2

    # a failing computation stores nothing, and the next call computes again
    def diverges():
        raise RuntimeError("diverged")

    with pytest.raises(RuntimeError, match="diverged"):
        cache.cached({"p": 5}, diverges)
    assert cache.load({"p": 5}) is None
    cache.cached({"p": 5}, compute)
    assert len(calls) == 3


def test_failed_save_leaves_no_temporary_file_and_keeps_the_old_result(tmp_path, monkeypatch):
    cache = ResultCache(tmp_path, "sweep")
    cache.save({"p": 1}, {"x": np.array([1.0, 2.0])})
    before = _files(tmp_path)
    real_savez = np.savez

    def savez_then_crash(handle, **arrays):
        real_savez(handle, **arrays)  # bytes hit the temporary file ...
        handle.write(b"partial")
        raise OSError("disk full")  # ... then the write fails

    monkeypatch.setattr(runs.np, "savez", savez_then_crash)
    with pytest.raises(OSError, match="disk full"):
        cache.save({"p": 1}, {"x": np.array([9.0, 9.0])})
    with pytest.raises(OSError, match="disk full"):
        cache.save({"p": 2}, {"x": np.array([9.0])})
    monkeypatch.undo()
    assert _files(tmp_path) == before and _temporaries(tmp_path) == []
    np.testing.assert_array_equal(cache.load({"p": 1})["x"], [1.0, 2.0])  # the old result is intact
    assert cache.load({"p": 2}) is None


def test_unpicklable_result_fails_without_leaving_files(tmp_path):
    cache = ResultCache(tmp_path, "sweep")
    # np.savez pickles object arrays, and a lambda cannot be pickled: the write fails half-way
    with pytest.raises((pickle.PickleError, AttributeError, TypeError, ValueError)):
        cache.save({"p": 1}, {"ok": np.ones(2), "bad": lambda: None})
    assert _files(tmp_path) == []
    assert cache.load({"p": 1}) is None


def test_a_file_with_other_params_under_the_same_name_is_detected(tmp_path):
    cache = ResultCache(tmp_path, "sweep")
    source = cache.save({"p": 1}, {"x": np.ones(2)})
    shutil.copy(source, cache.path({"p": 2}))  # simulate a hash collision
    with pytest.raises(ValueError, match="holds another result.*collision"):
        cache.load({"p": 2})
    with pytest.raises(ValueError, match="collision"):
        cache.cached({"p": 2}, lambda: {"x": np.zeros(2)})
    np.testing.assert_array_equal(cache.load({"p": 1})["x"], [1.0, 1.0])


@pytest.mark.parametrize("namespace", ["", "a b", "../up", "x/y", "dot.ted", 3, None])
def test_bad_namespace_raises_value_error(tmp_path, namespace):
    with pytest.raises(ValueError, match="namespace must be a non-empty name"):
        ResultCache(tmp_path, namespace)


def test_good_namespaces_are_accepted(tmp_path):
    for namespace in ("random-features", "sweep_2", "E4"):
        assert ResultCache(tmp_path, namespace).path({}).name.startswith(namespace + "-")


def test_directory_that_is_a_file_raises_value_error(tmp_path):
    target = tmp_path / "not-a-dir"
    target.write_text("x")
    with pytest.raises(ValueError, match="exists and is not a directory"):
        ResultCache(target, "sweep")


@pytest.mark.parametrize("params", [[("p", 1)], "p=1", None, 3])
def test_params_must_be_a_dict(tmp_path, params):
    cache = ResultCache(tmp_path, "sweep")
    for call in (
        lambda: cache.path(params),
        lambda: cache.load(params),
        lambda: cache.save(params, {"x": np.ones(1)}),
        lambda: cache.cached(params, dict),
    ):
        with pytest.raises(ValueError, match="params must be a dict"):
            call()
    assert _files(tmp_path) == []


@pytest.mark.parametrize("result", [[np.ones(2)], np.ones(2), None, {"": np.ones(1)}])
def test_result_must_be_a_dict_of_arrays(tmp_path, result):
    cache = ResultCache(tmp_path, "sweep")
    with pytest.raises(ValueError, match="result must be a dict of arrays"):
        cache.save({"p": 1}, result)
    with pytest.raises(ValueError, match="result must be a dict of arrays"):
        cache.cached({"p": 1}, lambda: result)
    assert _files(tmp_path) == []


# ---------------------------------------------------------------- known bugs
@pytest.mark.parametrize(
    "bad", [None, np.array([1.0, None], dtype=object), {"nested": 1}], ids=["None", "object-array", "dict"]
)
def test_object_arrays_are_rejected_before_writing(tmp_path, bad):
    cache = ResultCache(tmp_path, "sweep")
    with pytest.raises(ValueError):
        cache.save({"p": 1}, {"ok": np.ones(2), "bad": bad})
    assert _files(tmp_path) == []
    assert cache.load({"p": 1}) is None


@pytest.mark.parametrize("key", ["allow_pickle", "file"])
def test_result_keys_that_are_savez_arguments_round_trip_or_are_rejected(tmp_path, key):
    cache = ResultCache(tmp_path, "sweep")
    try:
        cache.save({"p": 1}, {key: np.ones(2)})
    except ValueError:
        assert _files(tmp_path) == []
        return
    np.testing.assert_array_equal(cache.load({"p": 1})[key], np.ones(2))


@pytest.mark.parametrize(
    "params, result",
    [
        ({"f": object()}, {"x": np.ones(1)}),
        ({"s": {1, 2}}, {"x": np.ones(1)}),
        ({(1, 2): 3}, {"x": np.ones(1)}),
        ({1: 2, "a": 3}, {"x": np.ones(1)}),
        ({"p": 1}, {1: np.ones(1)}),
    ],
    ids=["object", "set", "tuple-key", "mixed-keys", "int-result-key"],
)
def test_unencodable_params_and_result_keys_raise_value_error(tmp_path, params, result):
    cache = ResultCache(tmp_path, "sweep")
    with pytest.raises(ValueError):
        cache.save(params, result)
    assert _files(tmp_path) == []


def test_a_result_key_named_like_the_stored_parameters_round_trips(tmp_path):
    """Stored names are prefixed, so even the key '__params__' cannot overwrite the parameter record."""
    cache = ResultCache(tmp_path, "sweep")
    cache.save({"p": 1}, {"__params__": np.arange(3)})
    np.testing.assert_array_equal(cache.load({"p": 1})["__params__"], np.arange(3))


# ================================================================ RunStore and run_sweep
# Properties of the run store and of run_sweep (all exact):
#
# * a run round-trips (config and result; numpy values count as Python values),
#   file names depend on the canonical config only, a collision is detected;
# * writes are atomic: a crash mid-write (an exception or KeyboardInterrupt)
#   leaves no temporary file and the old result;
# * records/table filter and sort; run_sweep computes each config once,
#   resumes after an exception or KeyboardInterrupt without recomputing the
#   finished runs and returns what an uninterrupted sweep returns; n_jobs=2
#   gives the same table; bad configs raise ValueError before anything runs.


def toy_run(config):
    """A deterministic 'experiment': numbers that depend on every config value."""
    rng = np.random.default_rng([config["width"], config["seed"]])
    return {"error": float(rng.random()), "kept": config["width"] * 3, "curve": rng.random(3).tolist()}


def toy_configs():
    return [{"width": w, "seed": s, "strategy": "global"} for w in (4, 8, 16) for s in (0, 1)]


def test_run_store_round_trip_and_names(tmp_path):
    store = RunStore(tmp_path / "store")
    config = {"width": 8, "lr": 0.05, "widths": [1, 2], "name": "x", "flag": True, "none": None}
    assert not store.has(config) and store.load(config) is None and store.records() == []
    store.save(config, {"error": np.float64(0.25), "kept": np.int64(7), "curve": np.arange(3), "nan": float("nan")})
    back = store.load(config)
    assert back["error"] == 0.25 and back["kept"] == 7 and back["curve"] == [0, 1, 2] and np.isnan(back["nan"])
    assert store.has({**config}) and store.has(dict(reversed(list(config.items()))))  # key order
    assert store.has({**config, "width": np.int64(8), "widths": (1, 2)})  # numpy scalar, tuple
    assert config_key(config) != config_key({**config, "width": 9})
    assert canonical_config({"b": 1, "a": [1.5]}) == '{"a":[1.5],"b":1}'
    assert store.path(config).name == f"run-{config_key(config)}.json"
    (row,) = store.records()
    assert row["width"] == 8 and row["error"] == 0.25 and row["widths"] == [1, 2]
    assert _files(store.directory) == [store.path(config).name]


def test_run_store_detects_collisions_and_bad_files(tmp_path):
    store = RunStore(tmp_path)
    store.save({"p": 1}, {"x": 1.0})
    shutil.copy(store.path({"p": 1}), store.path({"p": 2}))
    with pytest.raises(ValueError, match="another configuration"):
        store.load({"p": 2})
    store.path({"p": 3}).write_text("{not json")
    with pytest.raises(ValueError, match="cannot be read"):
        store.load({"p": 3})


@pytest.mark.parametrize("interrupt", [OSError("disk full"), KeyboardInterrupt()], ids=["error", "interrupt"])
def test_a_crashed_write_leaves_no_temporary_file_and_the_old_result(tmp_path, monkeypatch, interrupt):
    store = RunStore(tmp_path)
    store.save({"p": 1}, {"x": 1.0})
    before = _files(tmp_path)

    def crash(fd):
        raise interrupt

    monkeypatch.setattr(runs.os, "fsync", crash)  # bytes written, then the write fails
    for config in ({"p": 1}, {"p": 2}):
        with pytest.raises(type(interrupt)):
            store.save(config, {"x": 9.0})
    monkeypatch.undo()
    assert _files(tmp_path) == before and _temporaries(tmp_path) == []
    assert store.load({"p": 1}) == {"x": 1.0} and store.load({"p": 2}) is None


def test_atomic_write_replaces_only_on_success(tmp_path):
    target = tmp_path / "sub" / "file.txt"
    with atomic_write(target) as tmp:
        tmp.write_text("one")
    with pytest.raises(RuntimeError):
        with atomic_write(target) as tmp:
            tmp.write_text("two")
            raise RuntimeError("crash")
    assert target.read_text() == "one" and _files(target.parent) == ["file.txt"]


@pytest.mark.parametrize(
    "config",
    [
        [("p", 1)],
        "p=1",
        None,
        {"f": object()},
        {"s": {1, 2}},
        {1: 2},
        {"": 1},
        {"x": float("nan")},
        {"x": [1, float("inf")]},
        {"d": {"a": 1}},
    ],
    ids=["list", "str", "None", "object", "set", "int-key", "empty-key", "nan", "inf", "dict"],
)
def test_bad_configs_raise_value_error(tmp_path, config):
    store = RunStore(tmp_path)
    with pytest.raises(ValueError):
        store.save(config, {"x": 1.0})
    with pytest.raises(ValueError):
        run_sweep([{"p": 1}, config], toy_run, store, progress=False)
    assert _files(tmp_path) == []


@pytest.mark.parametrize(
    "result",
    [None, [1.0], {"x": object()}, {"x": {"a": 1}}, {"p": 2.0}, {3: 1.0}],
    ids=["None", "list", "object", "dict", "clashes-with-config", "int-key"],
)
def test_bad_results_raise_value_error(tmp_path, result):
    store = RunStore(tmp_path)
    with pytest.raises(ValueError):
        store.save({"p": 1}, result)
    assert _files(tmp_path) == []


def test_bad_store_arguments_raise_value_error(tmp_path):
    (tmp_path / "file").write_text("x")
    with pytest.raises(ValueError, match="not a directory"):
        RunStore(tmp_path / "file")
    with pytest.raises(ValueError, match="non-empty path"):
        RunStore(3)
    store = RunStore(tmp_path / "s")
    with pytest.raises(ValueError, match="suffix"):
        store.artifact_path({"p": 1}, "pt")
    with pytest.raises(ValueError, match="store must be a RunStore"):
        run_sweep([], toy_run, str(tmp_path))
    with pytest.raises(ValueError, match="run must be callable"):
        run_sweep([], None, store)
    with pytest.raises(ValueError, match="configs must be a list"):
        run_sweep({"p": 1}, toy_run, store)
    for n_jobs in (0, -2, 1.5, True):
        with pytest.raises(ValueError, match="n_jobs"):
            run_sweep([], toy_run, store, n_jobs=n_jobs)


def test_records_filter_and_table_sorts(tmp_path):
    store = RunStore(tmp_path)
    run_sweep(toy_configs(), toy_run, store, progress=False)
    assert len(store.records()) == 6
    assert {r["width"] for r in store.records(seed=1)} == {4, 8, 16} and len(store.records(seed=1)) == 3
    assert len(store.records(width={4, 16})) == 4 and store.records(width=5) == []
    assert store.records(missing_key=1) == []
    table = store.table(sort_by=("seed", "width"))
    assert [(r["seed"], r["width"]) for r in table] == [(s, w) for s in (0, 1) for w in (4, 8, 16)]
    assert store.table(sort_by="width")[0]["width"] == 4


def test_run_sweep_computes_each_config_once_and_returns_in_order(tmp_path):
    store, calls = RunStore(tmp_path), []

    def run(config):
        calls.append(config["width"])
        return toy_run(config)

    configs = toy_configs()
    table = run_sweep(configs + configs[:1], run, store, progress=False)  # a duplicate runs once
    assert len(calls) == 6 and len(table) == 7 and table[-1] == table[0]
    assert [(r["width"], r["seed"]) for r in table[:6]] == [(c["width"], c["seed"]) for c in configs]
    assert all(r == {**c, **toy_run(c)} for r, c in zip(table, configs))
    assert run_sweep(configs, run, store, progress=False) == table[:6] and len(calls) == 6


@pytest.mark.parametrize("interrupt", [RuntimeError("diverged"), KeyboardInterrupt()], ids=["error", "interrupt"])
def test_an_interrupted_sweep_resumes_without_recomputing(tmp_path, interrupt):
    configs, k = toy_configs(), 4
    reference = run_sweep(configs, toy_run, RunStore(tmp_path / "ref"), progress=False)
    store, calls = RunStore(tmp_path / "store"), []

    def flaky(config):
        calls.append(canonical_config(config))
        if len(calls) == k + 1:
            raise interrupt
        return toy_run(config)

    with pytest.raises(type(interrupt)):
        run_sweep(configs, flaky, store, progress=False)
    assert len(store.records()) == k and _temporaries(store.directory) == []
    finished = set(calls[:k])
    calls.clear()
    resumed = run_sweep(configs, flaky, store, progress=False)
    assert len(calls) == len(configs) - k and not finished & set(calls)  # the k finished runs are not recomputed
    assert resumed == reference


@pytest.mark.slow
def test_two_workers_give_the_same_table(tmp_path):
    pytest.importorskip("joblib", reason="parallel sweeps use joblib (extra 'nn')")
    configs = toy_configs()
    serial = run_sweep(configs, toy_run, RunStore(tmp_path / "one"), n_jobs=1, progress=False)
    parallel = run_sweep(configs, toy_run, RunStore(tmp_path / "two"), n_jobs=2, progress=False)
    assert parallel == serial
    assert sorted(os.listdir(tmp_path / "one")) == sorted(os.listdir(tmp_path / "two"))


def test_write_csv(tmp_path):
    rows = [{"a": 1, "b": [1, 2]}, {"a": 2.5, "c": "x"}]
    path = write_csv(rows, tmp_path / "t.csv")
    assert path.read_text().splitlines() == ["a,b,c", '1,"[1, 2]",', "2.5,,x"]
    with open(path, newline="") as handle:
        header, first, second = list(csv.reader(handle))
    assert json.loads(first[1]) == [1, 2] and second == ["2.5", "", "x"]
    with pytest.raises(ValueError, match="list of dicts"):
        write_csv({"a": 1}, tmp_path / "u.csv")


# ---------------------------------------------------------------- dataclass configurations
@dataclasses.dataclass(frozen=True)
class ToyConfig:
    width: int
    seed: int
    strategy: str = "global"


def toy_dataclass_run(config):
    assert isinstance(config, ToyConfig)  # the run gets the configuration object itself
    return toy_run(dataclasses.asdict(config))


def test_a_dataclass_configuration_is_keyed_by_its_fields(tmp_path):
    store = RunStore(tmp_path)
    config = ToyConfig(8, 1)
    as_dict = {"width": 8, "seed": 1, "strategy": "global"}
    assert canonical_config(config) == canonical_config(as_dict) and config_key(config) == config_key(as_dict)
    store.save(config, {"error": 0.5})
    assert store.load(as_dict) == {"error": 0.5} and store.has(ToyConfig(8, 1))


def test_run_sweep_over_dataclass_configurations_equals_the_dict_sweep(tmp_path):
    configs = [ToyConfig(c["width"], c["seed"]) for c in toy_configs()]
    rows = run_sweep(configs + configs[:2], toy_dataclass_run, RunStore(tmp_path / "a"), progress=False)
    dict_rows = run_sweep(toy_configs(), toy_run, RunStore(tmp_path / "b"), progress=False)
    assert rows[: len(configs)] == dict_rows and rows[len(configs) :] == dict_rows[:2]


def test_a_nested_dataclass_configuration_is_rejected(tmp_path):
    @dataclasses.dataclass(frozen=True)
    class Nested:
        inner: ToyConfig

    with pytest.raises(ValueError, match=r"config\['inner'\] must be a JSON scalar"):
        canonical_config(Nested(ToyConfig(1, 0)))


def test_find_results_looks_in_root_env_and_the_repository(tmp_path, monkeypatch):
    from pruning_lab.runs import RESULTS_ENV, find_results

    (tmp_path / "a" / "mine").mkdir(parents=True)
    assert find_results("mine", root=tmp_path / "a") == tmp_path / "a" / "mine"
    monkeypatch.setenv(RESULTS_ENV, str(tmp_path / "a"))
    assert find_results("mine") == tmp_path / "a" / "mine"
    monkeypatch.delenv(RESULTS_ENV)
    monkeypatch.chdir(tmp_path)
    repo = Path(__file__).resolve().parents[1] / "results"
    assert find_results("mnist-fc") == repo / "mnist-fc"  # the repository's own results, from anywhere
    (tmp_path / "results" / "local").mkdir(parents=True)
    assert find_results("local") == tmp_path / "results" / "local"
    with pytest.raises(FileNotFoundError, match=RESULTS_ENV):
        find_results("nothing-here")
    with pytest.raises(ValueError, match="name"):
        find_results("../etc")
