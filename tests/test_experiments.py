"""Tests of pruning_lab.experiments: the on-disk ResultCache used by long sweeps.

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

import pickle
import shutil

import numpy as np
import pytest

from pruning_lab import experiments
from pruning_lab.experiments import ResultCache


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

    monkeypatch.setattr(experiments.np, "savez", savez_then_crash)
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
    for call in (lambda: cache.path(params), lambda: cache.load(params),
                 lambda: cache.save(params, {"x": np.ones(1)}), lambda: cache.cached(params, dict)):
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
@pytest.mark.parametrize("bad", [None, np.array([1.0, None], dtype=object), {"nested": 1}],
                         ids=["None", "object-array", "dict"])
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


@pytest.mark.parametrize("params, result", [
    ({"f": object()}, {"x": np.ones(1)}),
    ({"s": {1, 2}}, {"x": np.ones(1)}),
    ({(1, 2): 3}, {"x": np.ones(1)}),
    ({1: 2, "a": 3}, {"x": np.ones(1)}),
    ({"p": 1}, {1: np.ones(1)}),
], ids=["object", "set", "tuple-key", "mixed-keys", "int-result-key"])
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
