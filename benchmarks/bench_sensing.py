"""Benchmark: the matrix-sensing gradient (pruning_lab.sensing), vectorized against a loop over measurements.

Run:  python benchmarks/bench_sensing.py [--sizes 20x1500 100x3000] [--k 12] [--repeat 5] [--threads 1]

For each size ``d x n`` (symmetric Gaussian measurements, rank-3 ground truth, k columns) the
gradient of the regularized empirical loss (B3) + (B5) is computed three ways:

* ``loop``: a Python loop over the n measurement matrices A_i (d x d each), the naive
  implementation: r_i = <A_i, U U^T> - y_i, then sum_i r_i A_i U;
* ``vectorized``: the package's stacked operators (packed upper triangles, one matrix-vector
  product for all <A_i, M>, one for sum_i w_i A_i), ``SensingObjective.empirical(..., compress=False)``;
* ``sufficient statistics``: the n-independent form m^T G m - 2 b^T m + c (only when n > d(d+1)/2,
  where the package uses it by default).

Prints the time per gradient of each, the ratios to the loop, the time of 1000 gradient-descent
steps with the package's default, and checks that the three gradients agree.
"""

import argparse
import time

import numpy as np
from threadpoolctl import threadpool_limits

from pruning_lab import sensing as ms


def best_time(fn, repeat):
    """Best wall time of ``repeat`` calls (seconds)."""
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def loop_gradient(mats, y, U, lam, beta):
    """The naive gradient: one Python iteration per measurement."""
    M = U @ U.T
    S = np.zeros_like(M)
    for A_i, y_i in zip(mats, y):
        S += (np.sum(A_i * M) - y_i) * A_i
    return 4 * S @ U / len(y) + lam * U / np.sqrt(np.sum(U * U, axis=0) + beta)


def run(d, n, k, repeat):
    problem = ms.SensingProblem.random(d, 3, [1.0, 0.8, 0.6], 0.1, rng=0)
    A, y = problem.sample(n, 1)
    U = ms.random_init(d, k, 0.3, 2)
    lam, beta = 0.05, 0.01
    mats = A.matrices()
    direct = ms.SensingObjective.empirical(A, y, lam, beta, compress=False)
    rows = {"loop": (lambda: loop_gradient(mats, y, U, lam, beta)), "vectorized": (lambda: direct.grad(U))}
    if n > d * (d + 1) // 2:
        gram = ms.SensingObjective.empirical(A, y, lam, beta, compress=True)
        rows["sufficient statistics"] = lambda: gram.grad(U)
    reference = rows["loop"]()
    print(f"\nd = {d}, n = {n}, k = {k}  (n d^2 = {n * d * d:.1e} numbers in the measurement stack)")
    base = None
    for name, fn in rows.items():
        err = np.linalg.norm(fn() - reference) / np.linalg.norm(reference)
        t = best_time(fn, repeat)
        base = base or t
        print(
            f"  {name:>22}: {1e3 * t:9.3f} ms per gradient   loop / this = {base / t:8.1f}   "
            f"relative difference to the loop {err:.1e}"
        )
    default = ms.SensingObjective.empirical(A, y, lam, beta)
    t = best_time(lambda: ms.gradient_descent(default, U, 0.01, 1000, record_every=1000), 1)
    print(f"  1000 steps of gradient descent with the package default: {t:.2f} s")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", nargs="+", default=["20x1500", "50x2000", "100x3000"], help="problem sizes d x n")
    parser.add_argument("--k", type=int, default=12, help="columns of U")
    parser.add_argument("--repeat", type=int, default=5, help="timed repetitions (best is reported)")
    parser.add_argument("--threads", type=int, default=1, help="BLAS threads")
    args = parser.parse_args()
    with threadpool_limits(limits=args.threads):
        for size in args.sizes:
            d, n = (int(v) for v in size.lower().split("x"))
            run(d, n, args.k, args.repeat)


if __name__ == "__main__":
    main()
