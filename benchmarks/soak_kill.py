"""Soak test of the run store: SIGKILL a command-line sweep at random times, and compare the final table.

A small width sweep (``sweep mnist-fc`` with two widths, two epochs, reproducible kernels) is run
once without interruption into a reference store.  Then the same command is started again and
again on a second store and killed with SIGKILL (its whole process group: the driver, joblib
workers or a local Dask cluster) after a random delay; after every kill each run file in the store
must parse, and when the sweep happens to finish before its kill, a random third of its run files
is deleted so that the next start has work to do.  After the last kill the command runs to the end,
and its runs must equal the reference runs exactly (every stored number; only wall-clock fields
may differ), with no temporary or lease file left behind.

    python benchmarks/soak_kill.py --kills 20 --mode serial      # also: jobs2, dask
    make soak                                                    # the three modes, 20 kills each

Not part of the tests (minutes per mode); prints one line per kill and a verdict, exit status 0 on
success and 1 on a difference.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

SWEEP = ["sweep", "mnist-fc", "--widths", "32", "64", "--base-width", "16", "--epochs", "2"]
SWEEP += ["--retrain-epochs", "1", "--n-train", "2000", "--n-test", "500", "--no-progress"]
MODES = {"serial": [], "jobs2": ["--jobs", "2"], "dask": ["--dask-local", "2"]}
VOLATILE = ("seconds", "time", "duration", "host", "pid", "worker")


def _command(store: Path, mode: str) -> list:
    return [sys.executable, "-m", "pruning_lab", *SWEEP, "--store", str(store), *MODES[mode]]


def _env() -> dict:
    threads = {k: "1" for k in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS")}
    return {**os.environ, **threads}


def _runs(store: Path) -> dict:
    """Every run file of ``store``, parsed, without wall-clock fields: {file name: record}."""

    def clean(value):
        if isinstance(value, dict):
            return {k: clean(v) for k, v in value.items() if not any(w in k for w in VOLATILE)}
        return value

    return {p.name: clean(json.loads(p.read_text())) for p in sorted(store.glob("run-*.json"))}


def _leftovers(store: Path) -> list:
    return sorted(p.name for p in store.iterdir() if p.name.endswith((".tmp", ".lease")))


def _run_to_end(store: Path, mode: str) -> float:
    start = time.perf_counter()
    done = subprocess.run(_command(store, mode), env=_env(), capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(f"the sweep failed (exit {done.returncode}): {done.stderr.strip()[-2000:]}")
    return time.perf_counter() - start


def soak(kills: int, mode: str, seed: int, workdir: Path) -> bool:
    """Run the soak test; returns whether the final runs equal the uninterrupted ones."""
    rng = random.Random(seed)
    reference, killed = workdir / "reference", workdir / "killed"
    for store in (reference, killed):
        shutil.rmtree(store, ignore_errors=True)
    seconds = _run_to_end(reference, mode)
    expected = _runs(reference)
    print(f"[{mode}] uninterrupted sweep: {len(expected)} runs in {seconds:.0f} s", flush=True)
    done_kills = 0
    while done_kills < kills:
        process = subprocess.Popen(
            _command(killed, mode),
            env=_env(),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,  # its own process group: the kill reaches every worker
        )
        delay = rng.uniform(1.0, max(2.0, seconds))  # start-up (imports, data) takes a few seconds
        try:
            process.wait(timeout=delay)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
            done_kills += 1
            stored = _runs(killed)  # raises if a run file is half-written or not JSON
            print(f"[{mode}] kill {done_kills}/{kills} after {delay:.1f} s: {len(stored)} runs stored", flush=True)
            continue
        if process.returncode != 0:
            raise SystemExit(f"[{mode}] the sweep exited with {process.returncode} before its kill")
        files = sorted(killed.glob("run-*.json"))  # finished first: make work for the next start
        for path in rng.sample(files, max(1, len(files) // 3)):
            path.unlink()
        print(f"[{mode}] finished before its kill; deleted a third of its runs", flush=True)
    _run_to_end(killed, mode)
    got, left = _runs(killed), _leftovers(killed)
    same = got == expected and not left
    diff = sorted(set(got) ^ set(expected)) + sorted(k for k in got if k in expected and got[k] != expected[k])
    print(
        f"[{mode}] after {kills} kills: {len(got)} runs, "
        + ("identical to the uninterrupted sweep" if got == expected else f"DIFFERENT: {diff[:5]}")
        + ("" if not left else f"; left behind: {left[:5]}"),
        flush=True,
    )
    return same


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kills", type=int, default=20, help="SIGKILLs per mode (default 20)")
    parser.add_argument("--mode", choices=[*MODES, "all"], default="serial", help="how the sweep runs its runs")
    parser.add_argument("--seed", type=int, default=0, help="seed of the kill times")
    parser.add_argument("--workdir", type=Path, default=None, help="directory of the two stores (default: temporary)")
    args = parser.parse_args(argv)
    if args.kills < 1:
        parser.error(f"--kills must be >= 1, got {args.kills}")
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="pruning-lab-soak-"))
    modes = list(MODES) if args.mode == "all" else [args.mode]
    ok = all([soak(args.kills, mode, args.seed, workdir / mode) for mode in modes])
    print("soak: PASSED" if ok else "soak: FAILED")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
