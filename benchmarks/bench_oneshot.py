"""Benchmark: SparseGPT-style OBS (pruning_lab.layerwise.sparsegpt) against per-row OBS written the obvious way.

Both compute the same thing: for each row of a layer ``W`` (r x d) and a fixed mask, the
sequential OBS reconstruction (columns in order; a pruned weight is zeroed and the free
weights after it move by the OBS update; each column is then frozen).  The obvious
implementation keeps one inverse Hessian per row and removes each column from it with a
rank-one downdate: O(r d^3) in numpy calls on d x d arrays.  SparseGPT shares one Cholesky
factor of the inverse Hessian between all rows and applies the updates of a block of
columns as one matrix product: O(d^3 + r d^2).

1. At ``--small`` (default 256 x 256, 512 calibration samples), where the obvious one finishes:
   both are run on the mask SparseGPT chooses (the fast one is timed choosing it too); the
   speed ratio and the ratio of the reconstruction errors are printed.  Target: >= 50x at
   equal error (+-1 %).
2. At ``--large`` (default 2048 x 2048, 4096 calibration samples, 50 % unstructured): the
   time of the fast solver (inverse Hessian and mask included) and its peak extra memory
   (``tracemalloc``, which sees numpy's allocations, in a second call) as a multiple of the
   bytes of the layer's weights (float32) plus H (float64).  Targets: <= 10 s, <= 4x.

Usage::

    python benchmarks/bench_oneshot.py [--small 256] [--large 2048] [--samples 4096] [--repeats 3]
"""

from __future__ import annotations

import argparse
import os
import sys
import time
import tracemalloc

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

from pruning_lab import layerwise as lw  # noqa: E402


def naive_sequential_obs(W, H, mask, damp=0.01):
    """Per-row sequential OBS with a fixed mask: one inverse Hessian per row, rank-one downdates."""
    d = W.shape[1]
    Hd = H + damp * np.mean(np.diag(H)) * np.eye(d)
    out = W.astype(float).copy()
    for i in range(W.shape[0]):
        Hinv = np.linalg.inv(Hd)
        w = out[i]
        for j in range(d):
            if not mask[i, j]:
                w -= w[j] / Hinv[j, j] * Hinv[j, :]
                w[j] = 0.0
            Hinv -= np.outer(Hinv[:, j], Hinv[j, :]) / Hinv[j, j]  # freeze column j
    return out


def problem(r, d, n, seed=0):
    """Float32 weights and H = X^T X / n of correlated float32 inputs (AR(1), rho = 0.5)."""
    rng = np.random.default_rng(seed)
    W = rng.normal(size=(r, d)).astype(np.float32)
    X = rng.normal(size=(n, d)).astype(np.float32)
    X[:, 1:] += 0.5 * X[:, :-1]
    H = (X.T @ X).astype(np.float64) / n
    return W, H


def best_time(fn, repeats):
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - start)
    return min(times), out


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--small", type=int, default=256)
    parser.add_argument("--large", type=int, default=2048)
    parser.add_argument("--samples", type=int, default=4096)
    parser.add_argument("--sparsity", type=float, default=0.5)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args(argv)

    print(f"[1] {args.small} x {args.small} layer, {2 * args.small} calibration samples, sparsity {args.sparsity}")
    W, H = problem(args.small, args.small, 2 * args.small)
    t_fast, fast = best_time(lambda: lw.sparsegpt(W, H, sparsity=args.sparsity), args.repeats)
    t_naive, naive = best_time(lambda: naive_sequential_obs(W, H, fast.mask), 1)
    e_fast = lw.reconstruction_error(W, fast.weights, H)
    e_naive = lw.reconstruction_error(W, naive, H)
    speed, err_ratio = t_naive / t_fast, e_fast / e_naive
    print(f"    per-row OBS (obvious)  {t_naive:8.3f} s   error {e_naive:.6g}")
    print(f"    SparseGPT-style        {t_fast:8.3f} s   error {e_fast:.6g}")
    print(
        f"    speed ratio {speed:.0f}x   error ratio {err_ratio:.6f}   max |weight difference| "
        f"{np.abs(fast.weights - naive).max():.2e}"
    )
    ok_small = speed >= 50 and abs(err_ratio - 1) <= 0.01
    extrapolated = t_naive * (args.large / args.small) ** 4
    print(f"    (the obvious one scales as r d^3: about {extrapolated / 3600:.1f} h at {args.large} x {args.large})")

    print(f"[2] {args.large} x {args.large} layer, {args.samples} calibration samples, sparsity {args.sparsity}")
    W, H = problem(args.large, args.large, args.samples, seed=1)
    t_large, res = best_time(lambda: lw.sparsegpt(W, H, sparsity=args.sparsity), args.repeats)
    tracemalloc.start()
    base = tracemalloc.get_traced_memory()[0]
    lw.sparsegpt(W, H, sparsity=args.sparsity)
    peak = tracemalloc.get_traced_memory()[1] - base
    tracemalloc.stop()
    budget = W.nbytes + H.nbytes
    kept = res.mask.mean()
    print(f"    time {t_large:.2f} s (best of {args.repeats})   kept fraction {kept:.4f}")
    print(
        f"    peak extra memory {peak / 2**20:.0f} MiB = {peak / budget:.2f}x (weights {W.nbytes / 2**20:.0f} MiB "
        f"float32 + H {H.nbytes / 2**20:.0f} MiB float64)"
    )
    ok_large = t_large <= 10 and peak <= 4 * budget
    print(
        f"targets: >=50x at equal error: {'met' if ok_small else 'MISSED'};  "
        f"<=10 s and <=4x memory: {'met' if ok_large else 'MISSED'}"
    )
    return 0 if ok_small and ok_large else 1


if __name__ == "__main__":
    sys.exit(main())
