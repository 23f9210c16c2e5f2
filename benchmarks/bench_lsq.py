"""Benchmark: min-norm least squares (pruning_lab.lsq) against numpy.linalg.lstsq.

Run:  python benchmarks/bench_lsq.py [--n 500] [--p 20000] [--repeats 5]

Prints the best-of-``repeats`` wall time of each, their ratio, and the relative
difference of the two solutions.  Target: at least 5x faster, same solution to
1e-8 relative.
"""

import argparse
import time

import numpy as np

from pruning_lab.lsq import min_norm_solution


def best_time(fn, repeats):
    times, out = [], None
    for _ in range(repeats):
        t0 = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t0)
    return min(times), out


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=500)
    parser.add_argument("--p", type=int, default=20_000)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    rng = np.random.default_rng(args.seed)
    X = rng.standard_normal((args.n, args.p))
    y = rng.standard_normal(args.n)

    t_ours, b_ours = best_time(lambda: min_norm_solution(X, y), args.repeats)
    t_np, b_np = best_time(lambda: np.linalg.lstsq(X, y, rcond=None)[0], args.repeats)
    rel = np.linalg.norm(b_ours - b_np) / np.linalg.norm(b_np)

    print(f"min-norm least squares, n={args.n}, p={args.p}, best of {args.repeats}")
    print(f"  pruning_lab.lsq.min_norm_solution: {t_ours * 1e3:8.1f} ms")
    print(f"  numpy.linalg.lstsq:                {t_np * 1e3:8.1f} ms")
    print(f"  speed-up (numpy / pruning_lab): {t_np / t_ours:.1f}x (target >= 5x)")
    print(f"  relative difference of the solutions: {rel:.1e} (target <= 1e-8)")


if __name__ == "__main__":
    main()
