"""Benchmark: a CPU-bound sweep through pruning_lab.runs.run_sweep on a local Dask cluster against serial.

Run:  python benchmarks/bench_dask.py [--runs 16] [--seconds 2] [--workers 2]

Each run is a fixed amount of single-threaded work (a pure-Python recurrence and a small numpy
matrix product, one BLAS thread), calibrated on this machine to take about ``--seconds``; its
result is a checksum, so the two tables must agree.  Both sweeps save every run into their own
:class:`~pruning_lab.runs.RunStore` and claim it with a lease file, exactly as a real sweep does.

* Serial: ``run_sweep(..., backend="serial")`` in this process.
* Dask: ``run_sweep(..., backend="dask", scheduler=cluster)`` on a ``LocalCluster`` of
  ``--workers`` processes with one thread each (started beforehand; its start-up time is printed
  separately).

Prints both wall times and their ratio (target: >= 1.7x with 2 workers on 2 free cores), and the
Dask overhead per run, defined as :math:`(W_{\\text{dask}} \\cdot k - \\sum_i t_i) / \\sum_i t_i`
with :math:`W_{\\text{dask}}` the sweep's wall time on the cluster, :math:`k` the number of workers
and :math:`t_i` the time run :math:`i` spent computing on its worker (measured inside the run):
the fraction of the workers' time not spent computing (target: <= 5 % for runs of >= 2 s).
Also prints the 1-minute load average before and after, since other work on the machine slows
both sides.
"""

import argparse
import os
import tempfile
import time

import numpy as np
from threadpoolctl import threadpool_limits

from pruning_lab.runs import RunStore, run_sweep


def _work(n_steps: int, seed: int) -> float:
    """``n_steps`` steps of a pure-Python recurrence, then a small matrix product: single-threaded CPU work."""
    x = seed + 1
    for _ in range(n_steps):
        x = (x * 1103515245 + 12345) % 2147483648
    a = np.random.default_rng(seed).standard_normal((200, 200))
    return float(x) + float(np.trace(a @ a.T))


def bench_run(config):
    """One run of the benchmark sweep: the work of ``config``, and how long it took where it ran."""
    start = time.perf_counter()
    with threadpool_limits(1):  # one BLAS thread, here and in the workers
        value = _work(config["n_steps"], config["seed"])
    return {"value": value, "seconds": time.perf_counter() - start}


def _calibrate(seconds: float) -> int:
    """Steps of the recurrence that take about ``seconds`` here (the matrix product is a few ms more)."""
    _work(10_000, 0)  # warm-up: numpy's generator and BLAS
    n = 1_000_000
    start = time.perf_counter()
    _work(n, 0)
    n = int(seconds / ((time.perf_counter() - start) / n))
    start = time.perf_counter()  # one whole run at that size, and the size rescaled to it
    _work(n, 0)
    return max(1, int(n * seconds / (time.perf_counter() - start)))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=16, help="runs in the sweep (default 16)")
    parser.add_argument("--seconds", type=float, default=2.0, help="approximate seconds per run (default 2)")
    parser.add_argument("--workers", type=int, default=2, help="Dask worker processes (default 2)")
    args = parser.parse_args()
    from distributed import LocalCluster

    load_before = os.getloadavg()[0]
    n_steps = _calibrate(args.seconds)
    configs = [{"seed": i, "n_steps": n_steps} for i in range(args.runs)]
    print(
        f"{args.runs} runs of about {args.seconds:g} s ({n_steps} steps), {args.workers} workers, {os.cpu_count()} CPUs"
    )
    with tempfile.TemporaryDirectory() as tmp:
        start = time.perf_counter()
        serial = run_sweep(configs, bench_run, RunStore(os.path.join(tmp, "serial")), progress=False)
        serial_wall = time.perf_counter() - start

        start = time.perf_counter()
        with LocalCluster(
            n_workers=args.workers, threads_per_worker=1, processes=True, dashboard_address=None
        ) as cluster:
            startup = time.perf_counter() - start
            start = time.perf_counter()
            on_dask = run_sweep(
                configs,
                bench_run,
                RunStore(os.path.join(tmp, "dask")),
                backend="dask",
                scheduler=cluster,
                progress=False,
            )
            dask_wall = time.perf_counter() - start
    assert [r["value"] for r in on_dask] == [r["value"] for r in serial], "the two tables differ"
    busy_serial = sum(r["seconds"] for r in serial)
    busy_dask = sum(r["seconds"] for r in on_dask)
    overhead = (dask_wall * args.workers - busy_dask) / busy_dask
    print(f"serial : {serial_wall:7.2f} s wall, {busy_serial:7.2f} s in runs ({busy_serial / args.runs:.2f} s per run)")
    print(
        f"dask   : {dask_wall:7.2f} s wall, {busy_dask:7.2f} s in runs ({busy_dask / args.runs:.2f} s per run); "
        f"cluster start-up {startup:.2f} s (not counted)"
    )
    print(f"speed-up serial/dask: {serial_wall / dask_wall:.2f}x (target >= 1.7x with 2 workers)")
    print(f"Dask overhead per run: {100 * overhead:.1f} % of the run time (target <= 5 %)")
    print(f"load average (1 min): {load_before:.2f} before, {os.getloadavg()[0]:.2f} after")


if __name__ == "__main__":
    main()
