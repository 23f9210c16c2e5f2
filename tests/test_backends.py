"""Tests of pruning_lab.backends without Dask: claims (lease files) and the serial/joblib executors.

Checked: a lease is created once, names its owner, is renewed while held and removed on release
(also when the run raises); a live lease of another owner holds its run, an expired one, one of a
dead process on this host, and an old unreadable one are taken over, each by exactly one of
several racing takers; ``claimed_run`` computes, skips a stored run and leaves a held one alone;
a driver waits for a run another live owner holds instead of computing it; two driver processes
on one store compute every run once; bad ``backend``/``scheduler``/``n_jobs`` combinations raise
a ``ValueError`` naming the argument.
"""

import json
import os
import socket
import subprocess
import sys
import threading
import time

import pytest

from pruning_lab.backends import (
    Claim,
    check_backend,
    claim_is_live,
    claimed_run,
    compute_cached,
    execute,
    lease_path,
    read_claim,
)
from pruning_lab.runs import ResultCache, RunStore, run_sweep


def _lease(path, **fields):
    info = {"host": "a-node-that-died", "pid": 1, "worker": "tcp://10.0.0.9:4000", "token": "t0", "seconds": 60.0}
    info.update(fields)
    path.write_text(json.dumps(info))


def _dead_pid():
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


def test_a_claim_is_exclusive_names_its_owner_and_is_removed_on_release(tmp_path):
    path = tmp_path / "run-x.lease"
    with Claim.acquire(path, seconds=30, worker="w1"):
        info = read_claim(path)
        assert info["host"] == socket.gethostname() and info["pid"] == os.getpid() and info["worker"] == "w1"
        assert 29 < info["expires"] - time.time() <= 30 and claim_is_live(info)
        assert Claim.acquire(path, seconds=30) is None  # held, even by this very process
    assert not path.exists()
    assert [p.name for p in tmp_path.iterdir()] == []  # no temporary or .dead- files left behind


def test_a_held_claim_is_renewed_and_a_taken_one_is_noticed(tmp_path):
    path = tmp_path / "run-x.lease"
    claim = Claim.acquire(path, seconds=0.3)
    first = read_claim(path)["expires"]
    time.sleep(0.5)  # past the first expiry: only renewal keeps it live
    info = read_claim(path)
    assert info["expires"] > first + 0.1 and claim_is_live(info) and info["token"] == claim.info["token"]
    while read_claim(path)["expires"] == info["expires"]:  # just after a renewal: the next is 0.1 s away
        time.sleep(0.005)
    _lease(path, token="someone-else", expires=time.time() + 60)
    time.sleep(0.25)
    assert claim.lost
    claim.release()
    assert read_claim(path)["token"] == "someone-else"  # not ours: left alone


def test_live_leases_hold_and_stale_ones_are_taken_over(tmp_path):
    path = tmp_path / "run-x.lease"
    _lease(path, expires=time.time() + 60)  # another host, not expired
    assert Claim.acquire(path) is None
    _lease(path, expires=time.time() - 1)  # another host, expired
    claim = Claim.acquire(path, worker="taker")
    assert claim is not None and read_claim(path)["worker"] == "taker"
    claim.release()
    _lease(path, host=socket.gethostname(), pid=_dead_pid(), expires=time.time() + 60)  # this host, dead process
    claim = Claim.acquire(path)
    assert claim is not None
    claim.release()
    sleeper = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    try:  # this host, live process
        _lease(path, host=socket.gethostname(), pid=sleeper.pid, expires=time.time() + 60)
        assert Claim.acquire(path) is None
    finally:
        sleeper.kill()
        sleeper.wait()
    path.write_text("{half")  # unreadable: live while recent, taken over once old
    assert Claim.acquire(path) is None
    os.utime(path, (time.time() - 1000, time.time() - 1000))
    claim = Claim.acquire(path)
    assert claim is not None
    claim.release()


def test_one_of_many_racing_takers_gets_a_stale_lease(tmp_path):
    for attempt in range(20):
        path = tmp_path / f"run-{attempt}.lease"
        _lease(path, token=f"stale{attempt}", expires=time.time() - 1)
        barrier, got = threading.Barrier(6), []

        def take(path=path, barrier=barrier, got=got):
            barrier.wait()
            got.append(Claim.acquire(path, seconds=30))

        threads = [threading.Thread(target=take) for _ in range(6)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        winners = [c for c in got if c is not None]
        assert len(winners) == 1 and read_claim(path)["token"] == winners[0].info["token"]
        winners[0].release()


def test_claimed_run_computes_skips_stored_and_leaves_held_runs(tmp_path):
    store, calls = RunStore(tmp_path / "s"), []
    store.directory.mkdir()

    def run(config):
        calls.append(config["x"])
        return {"y": config["x"] + 1}

    assert claimed_run(run, store, {"x": 1}) == "computed" and store.load({"x": 1}) == {"y": 2}
    assert claimed_run(run, store, {"x": 1}) == "done"
    _lease(lease_path(store, {"x": 2}), expires=time.time() + 60)
    assert claimed_run(run, store, {"x": 2}) == "held" and calls == [1]
    assert not lease_path(store, {"x": 1}).exists()

    def fails(config):
        raise RuntimeError("boom")

    with pytest.raises(RuntimeError, match="boom"):
        claimed_run(fails, store, {"x": 3})
    assert not lease_path(store, {"x": 3}).exists()  # released: the run is free again
    with pytest.raises(FileNotFoundError, match="does not exist"):
        claimed_run(run, RunStore(tmp_path / "missing"), {"x": 1})  # an executor never creates a store


def test_a_driver_waits_for_a_run_another_owner_holds(tmp_path, monkeypatch):
    monkeypatch.setattr(execute, "POLL_SECONDS", 0.05)
    store, calls = RunStore(tmp_path / "s"), []
    store.directory.mkdir()
    _lease(lease_path(store, {"x": 0}), expires=time.time() + 60)

    def other_owner_finishes():
        time.sleep(0.4)
        store.save({"x": 0}, {"y": -1})  # what the other owner computed
        lease_path(store, {"x": 0}).unlink()

    def run(config):
        calls.append(config["x"])
        return {"y": config["x"]}

    helper = threading.Thread(target=other_owner_finishes)
    helper.start()
    rows = run_sweep([{"x": 0}, {"x": 1}], run, store, progress=False)
    helper.join()
    assert calls == [1] and rows == [{"x": 0, "y": -1}, {"x": 1, "y": 1}]


def test_a_driver_takes_over_when_the_holder_lease_lapses(tmp_path, monkeypatch):
    monkeypatch.setattr(execute, "POLL_SECONDS", 0.05)
    store = RunStore(tmp_path / "s")
    store.directory.mkdir()
    _lease(lease_path(store, {"x": 0}), expires=time.time() + 0.3)  # its owner stops renewing
    rows = run_sweep([{"x": 0}], lambda c: {"y": 7}, store, progress=False)
    assert rows == [{"x": 0, "y": 7}] and not lease_path(store, {"x": 0}).exists()


DRIVER = """
import os, sys, time, uuid
from pruning_lab.backends import compute_cached
from pruning_lab.runs import ResultCache, RunStore, run_sweep

def run(config):
    open(os.path.join(sys.argv[2], f"{config['x']}-{uuid.uuid4().hex}"), "w").close()
    time.sleep(0.15)
    return {"y": config["x"] ** 2}

rows = run_sweep([{"x": i} for i in range(8)], run, RunStore(sys.argv[1]), n_jobs=int(sys.argv[3]), progress=False)
assert rows == [{"x": i, "y": i * i} for i in range(8)], rows
"""


@pytest.mark.parametrize("n_jobs", [1, 2])
def test_two_driver_processes_on_one_store_compute_each_run_once(tmp_path, n_jobs):
    if n_jobs > 1:
        pytest.importorskip("joblib")
    (tmp_path / "markers").mkdir()
    script = tmp_path / "driver.py"
    script.write_text(DRIVER)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    argv = [sys.executable, str(script), str(tmp_path / "s"), str(tmp_path / "markers"), str(n_jobs)]
    drivers = [subprocess.Popen(argv, env=env, stderr=subprocess.PIPE, text=True) for _ in range(2)]
    for d in drivers:
        assert d.wait(timeout=120) == 0, d.stderr.read()
    computed = sorted(int(p.name.split("-")[0]) for p in (tmp_path / "markers").iterdir())
    assert computed == list(range(8))  # every run once, between the two drivers
    assert not list((tmp_path / "s").glob("*.lease"))


def test_bad_backend_requests_name_the_argument(tmp_path):
    store, run = RunStore(tmp_path / "s"), lambda c: {"y": 1}
    with pytest.raises(ValueError, match="backend must be one of"):
        run_sweep([{"x": 1}], run, store, backend="spark")
    with pytest.raises(ValueError, match="scheduler is only used with backend='dask'"):
        run_sweep([{"x": 1}], run, store, backend="serial", scheduler="tcp://localhost:8786")
    with pytest.raises(ValueError, match="n_jobs must be 1 .* backend='dask'"):
        run_sweep([{"x": 1}], run, store, backend="dask", n_jobs=2)
    with pytest.raises(ValueError, match="n_jobs must be 1 with backend='serial'"):
        run_sweep([{"x": 1}], run, store, backend="serial", n_jobs=2)
    assert check_backend(None, n_jobs=1, scheduler=None) == "serial"
    assert check_backend(None, n_jobs=3, scheduler=None) == "joblib"
    assert check_backend(None, n_jobs=1, scheduler="tcp://h:1") == "dask"
    with pytest.raises(ValueError, match="lease_seconds"):
        execute.execute_runs([{"x": 1}], run, store, lease_seconds=0)
    with pytest.raises(ValueError, match="seconds must be a positive"):
        Claim.acquire(tmp_path / "run-x.lease", seconds=-1)
    assert not store.directory.exists()  # nothing ran


def _cell(config):
    return {"v": [config["x"], config["x"] ** 2]}


def test_compute_cached_fills_a_result_cache_once(tmp_path):
    pytest.importorskip("joblib")
    cache = ResultCache(tmp_path / "c", "demo")
    configs = [{"x": i} for i in range(4)]
    compute_cached(configs[:2], _cell, cache, backend="serial")
    mtimes = {c["x"]: cache.path(c).stat().st_mtime_ns for c in configs[:2]}
    compute_cached(configs, _cell, cache, backend="joblib")
    assert [cache.load(c)["v"].tolist() for c in configs] == [[i, i * i] for i in range(4)]
    assert {c["x"]: cache.path(c).stat().st_mtime_ns for c in configs[:2]} == mtimes  # not recomputed
    assert sorted(p.suffix for p in cache.directory.iterdir()) == [".npz"] * 4
