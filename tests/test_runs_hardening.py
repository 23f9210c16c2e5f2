"""Tests of pruning_lab.runs on hostile input: the run store and the cache fail loudly, never silently.

Checked:

* files (runs, artifacts, cache files, CSV exports) follow the user's umask, as ``open`` does
  (0644 under 022, 0664 under 002), instead of a private 0600;
* temporary files leaked by a killed writer are removed the next time the store or cache is
  opened, while a live writer's temporary file and unrelated files are kept;
* a run file copied onto another run's name is detected: ``records`` warns and skips it (no
  duplicate row), ``has`` is false and ``load`` raises naming the file;
* equal numbers give equal keys (``1`` and ``1.0``; ``True`` stays distinct from ``1``), and a run
  stored by earlier versions under the key of its integral float (``0.0``) is still found, listed
  once and replaced in place; every committed store under ``results/`` still loads under its names;
* a corrupt cache file is named in a warning and recomputed;
* corrupt run files (non-UTF-8, wrong JSON shape) are named: ``records`` warns and skips them,
  ``load`` raises naming the file and what to do, ``run_sweep`` recomputes the run;
* a driver killed with SIGKILL leaves no worker process of ``run_sweep(n_jobs=2)`` behind.
"""

import hashlib
import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import numpy as np
import pytest

from pruning_lab import _atomic
from pruning_lab.runs import ResultCache, RunStore, atomic_write, canonical_config, config_key, run_sweep, write_csv

RESULTS = Path(__file__).resolve().parents[1] / "results"


def _mode(path):
    return os.stat(path).st_mode & 0o777


@pytest.mark.parametrize("umask, expected", [(0o022, 0o644), (0o002, 0o664), (0o077, 0o600)])
def test_files_follow_the_umask(tmp_path, umask, expected):
    old = os.umask(umask)
    try:
        store = RunStore(tmp_path / "store")
        run = store.save({"a": 1}, {"x": 2.0})
        with atomic_write(store.artifact_path({"a": 1}, ".pt")) as tmp, open(tmp, "wb") as handle:
            handle.write(b"checkpoint")  # how torch.save writes a checkpoint through the store
        cache = ResultCache(tmp_path / "cache", "demo").save({"p": 1}, {"r": np.ones(2)})
        table = write_csv(store.records(), tmp_path / "table.csv")
    finally:
        os.umask(old)
    for path in (run, store.artifact_path({"a": 1}, ".pt"), cache, table):
        assert _mode(path) == expected, path.name


def _leak(directory, name):
    """A child process that dies (SIGKILL) inside atomic_write, leaving its temporary file behind."""
    code = textwrap.dedent(
        f"""
        import os, signal
        from pruning_lab.runs import atomic_write
        with atomic_write({str(directory / name)!r}) as tmp:
            tmp.write_text("half a file")
            os.kill(os.getpid(), signal.SIGKILL)
        """
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, timeout=60, check=False)
    assert done.returncode == -signal.SIGKILL, done.stderr


def _hidden(directory):
    return sorted(p.name for p in directory.iterdir() if p.name.startswith("."))


@pytest.mark.parametrize("opener", [RunStore, lambda d: ResultCache(d, "demo")])
def test_temporaries_of_killed_writers_are_removed_on_open(tmp_path, opener):
    _leak(tmp_path, "run-0123456789abcdef.json")
    _leak(tmp_path, "demo-0123456789abcdef.npz")
    assert len(_hidden(tmp_path)) == 2  # the kill leaked both
    old_style = tmp_path / ".run-0123456789abcdef.json-k2j4l5m6.tmp"  # mkstemp's name, earlier versions
    old_style.write_text("leaked long ago")
    os.utime(old_style, (time.time() - 2 * _atomic.STALE_SECONDS,) * 2)
    young = tmp_path / ".run-fedcba9876543210.json-a1b2c3d4.tmp"  # maybe an old version writing right now
    young.write_text("being written")
    with atomic_write(tmp_path / "run-1111111111111111.json") as live:  # a live writer (this process)
        live.write_text("being written")
        (tmp_path / ".hidden-by-the-user.tmp").write_text("not ours")
        opener(tmp_path)
        assert _hidden(tmp_path) == sorted([live.name, young.name, ".hidden-by-the-user.tmp"])


def _old_key(config):
    """The key of earlier versions: the SHA-256 of the JSON with floats kept as floats."""
    text = json.dumps(config, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def test_equal_numbers_have_equal_keys(tmp_path):
    assert config_key({"a": 1}) == config_key({"a": 1.0}) == config_key({"a": np.float32(1)})
    assert config_key({"a": [1.0, 2]}) == config_key({"a": [1, 2.0]})
    assert config_key({"a": -0.0}) == config_key({"a": 0})
    assert config_key({"a": 0.5}) != config_key({"a": 0})
    assert config_key({"a": True}) != config_key({"a": 1})  # a flag is not a count: booleans stay distinct
    store = RunStore(tmp_path)
    store.save({"lr": 1.0, "width": 8}, {"err": 0.5})
    assert store.has({"lr": 1, "width": 8.0}) and store.load({"lr": 1, "width": 8}) == {"err": 0.5}
    assert not store.has({"lr": True, "width": 8})


def test_runs_stored_under_the_keys_of_earlier_versions_are_found(tmp_path):
    config = {"weight_decay": 0.0, "width": 8}  # earlier versions named it by the JSON text '0.0'
    legacy = tmp_path / f"run-{_old_key(config)}.json"
    legacy.write_text(json.dumps({"config": config, "result": {"err": 0.25}}))
    store = RunStore(tmp_path)
    assert store.path(config) == legacy and store.path({"weight_decay": 0, "width": 8}) == legacy
    assert store.load({"weight_decay": 0, "width": 8}) == {"err": 0.25}
    assert store.records() == [{"weight_decay": 0.0, "width": 8, "err": 0.25}]  # listed once
    store.save(config, {"err": 0.125})
    assert [p.name for p in tmp_path.iterdir()] == [legacy.name]  # replaced in place, no second file
    assert store.load(config) == {"err": 0.125}


def test_every_committed_store_still_loads_under_its_names():
    files = sorted(RESULTS.glob("*/run-*.json"))
    assert len(files) > 100
    for path in files:
        config = json.loads(path.read_text())["config"]
        assert RunStore(path.parent).path(config) == path, path
    for directory in sorted({p.parent for p in files}):
        assert len(RunStore(directory).records()) == len(list(directory.glob("run-*.json"))), directory


def test_a_file_copied_onto_another_runs_name_is_detected(tmp_path):
    store = RunStore(tmp_path)
    a, b = {"width": 4}, {"width": 8}
    store.save(a, {"err": 0.1})
    store.save(b, {"err": 0.2})
    store.path(b).write_bytes(store.path(a).read_bytes())
    with pytest.warns(UserWarning, match=store.path(b).name):
        assert store.records() == [{"width": 4, "err": 0.1}]  # no duplicate row of a
    with pytest.warns(UserWarning, match=store.path(b).name):
        assert not store.has(b)
    with pytest.raises(ValueError, match=f"{store.path(b).name}.*delete it"):
        store.load(b)
    assert store.load(a) == {"err": 0.1}


CORRUPT_RUNS = {
    "not UTF-8": b"\xff\xfe\x00garbage",
    "not JSON": b'{"config": {"width": 8}, "res',
    "a list": b"[1, 2]",
    "config not a dict": b'{"config": [8], "result": {"err": 0.2}}',
    "nested config": b'{"config": {"width": {"x": 8}}, "result": {"err": 0.2}}',
    "result not a dict": b'{"config": {"width": 8}, "result": 0.2}',
}


@pytest.mark.parametrize("content", CORRUPT_RUNS.values(), ids=CORRUPT_RUNS.keys())
def test_a_corrupt_run_file_is_named_skipped_in_tables_and_recomputed_by_a_sweep(tmp_path, content):
    store = RunStore(tmp_path)
    store.save({"width": 4}, {"err": 0.1})
    bad = store.path({"width": 8})
    bad.write_bytes(content)
    with pytest.warns(UserWarning, match=bad.name):
        assert store.records() == [{"width": 4, "err": 0.1}]
    with pytest.raises(ValueError, match=f"{bad.name}.*delete it"):
        store.load({"width": 8})
    calls = []

    def run(config):
        calls.append(config["width"])
        return {"err": config["width"] / 40}

    with pytest.warns(UserWarning, match=bad.name):
        table = run_sweep([{"width": 4}, {"width": 8}], run, store, progress=False)
    assert calls == [8] and table == [{"width": 4, "err": 0.1}, {"width": 8, "err": 0.2}]
    assert store.load({"width": 8}) == {"err": 0.2}


CORRUPT_CACHE = {
    "empty": b"",
    "not a zip": b"garbage",
    "truncated": None,  # the first half of a valid file
    "a pickle": None,  # an .npz of an object array (np.load's allow_pickle hint)
}


@pytest.mark.parametrize("kind", CORRUPT_CACHE)
def test_a_corrupt_cache_file_is_named_and_recomputed(tmp_path, kind):
    cache = ResultCache(tmp_path, "demo")
    path = cache.save({"p": 1}, {"r": np.arange(1000.0)})
    content = CORRUPT_CACHE[kind]
    if kind == "truncated":
        content = path.read_bytes()[: path.stat().st_size // 2]
    elif kind == "a pickle":
        with open(path, "wb") as handle:
            np.savez(handle, __params__=np.array(canonical_config({"p": 1})), r_r=np.array([{"x": 1}], dtype=object))
        content = path.read_bytes()
    path.write_bytes(content)
    with pytest.warns(UserWarning, match=path.name):
        result = cache.cached({"p": 1}, lambda: {"r": np.arange(3.0)})
    np.testing.assert_array_equal(result["r"], np.arange(3.0))
    np.testing.assert_array_equal(cache.load({"p": 1})["r"], np.arange(3.0))  # the file was replaced


def _children(pid):
    """Process ids whose parent is ``pid`` (from /proc)."""
    out = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            out.append(int(stat.parent.name))
    return out


def _alive(pid):
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_no_worker_outlives_a_killed_driver(tmp_path):
    pytest.importorskip("joblib")
    code = textwrap.dedent(
        f"""
        import time
        from pruning_lab.runs import RunStore, run_sweep

        def run(config):
            time.sleep(0.1 if config["i"] < 2 else 60)
            return {{"done": 1}}

        run_sweep([{{"i": i}} for i in range(4)], run, RunStore({str(tmp_path)!r}), n_jobs=2, progress=False)
        """
    )
    driver = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 120
        while len(list(tmp_path.glob("run-*.json"))) < 2 and time.monotonic() < deadline:
            time.sleep(0.2)
        assert len(list(tmp_path.glob("run-*.json"))) == 2, "the first two runs did not finish"
        family = set(_children(driver.pid))
        assert len(family) >= 2
    finally:
        driver.kill()
        driver.wait()
    deadline = time.monotonic() + 20
    while any(_alive(pid) for pid in family) and time.monotonic() < deadline:
        time.sleep(0.2)
    orphans = [pid for pid in family if _alive(pid)]
    for pid in orphans:  # leave nothing running, then fail
        os.kill(pid, signal.SIGKILL)
    assert not orphans, f"{len(orphans)} processes of the killed driver are still alive"
