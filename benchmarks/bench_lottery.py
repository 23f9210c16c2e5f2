"""Benchmark: the vectorized gradient of the pruned network's risk against a naive loop over samples.

Run:  python benchmarks/bench_lottery.py [--n 1000] [--d 150] [--K 5] [--r 25] [--repeats 20] [--threads 1]

Setting: a teacher of :mod:`pruning_lab.lottery` with ``K`` neurons of width
``r`` out of ``d`` inputs, ``n`` noisy samples, and a point at relative
distance 0.3 from the truth.

* Vectorized: ``lottery.risk_grad`` — two matrix products for all samples,
  :math:`X^\\top(e\\odot A)/(NK)` (our derivation).
* Naive: the same sum written per sample, one Python iteration per sample.

Also times Algorithm 1 (``lottery.agd_pruned``, 500 steps) on ``--trials``
problems one by one against ``agd_pruned_batch`` running them in lockstep.
Prints the wall times, their ratios and the largest difference of the results
(they must agree to round-off).  BLAS runs with ``--threads`` threads.
"""

import argparse
import time

import numpy as np
from threadpoolctl import threadpool_limits

from pruning_lab import lottery


def naive_grad(W, X, y):
    """Gradient of eq. (2) accumulated one sample at a time (the reference, not for use)."""
    N, K = X.shape[0], W.shape[1]
    G = np.zeros_like(W)
    for n in range(N):
        z = X[n] @ W
        e = np.maximum(z, 0.0).mean() - y[n]
        G += np.outer(X[n], e * (z > 0))
    return G / (N * K)


def best_time(fn, repeats):
    best = np.inf
    for _ in range(repeats):
        start = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - start)
    return best, out


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=1000)
    parser.add_argument("--d", type=int, default=150)
    parser.add_argument("--K", type=int, default=5)
    parser.add_argument("--r", type=int, default=25)
    parser.add_argument("--repeats", type=int, default=20)
    parser.add_argument("--trials", type=int, default=8)
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()

    with threadpool_limits(limits=args.threads):
        teacher = lottery.make_teacher(args.d, args.K, args.r, rng=0)
        X, y = teacher.sample(args.n, rng=1, noise_level=0.01)
        W = lottery.init_at_distance(teacher.weights, teacher.mask, 0.3, rng=2)
        t_vec, g_vec = best_time(lambda: lottery.risk_grad(W, X, y), args.repeats)
        t_naive, g_naive = best_time(lambda: naive_grad(W, X, y), max(1, args.repeats // 5))
        print(f"gradient, N = {args.n}, d = {args.d}, K = {args.K}:")
        print(
            f"  vectorized {t_vec * 1e3:9.3f} ms   naive loop {t_naive * 1e3:9.3f} ms   "
            f"ratio {t_naive / t_vec:7.1f}x   max |difference| {np.max(np.abs(g_vec - g_naive)):.1e}"
        )

        problems = []
        for t in range(args.trials):
            T = lottery.make_teacher(args.d, args.K, args.r, rng=10 + t)
            Xt, yt = T.sample(args.n, rng=100 + t)
            problems.append((T, Xt, yt, lottery.init_at_distance(T.weights, T.mask, 0.2, rng=200 + t)))
        steps = dict(max_iter=500, tol=0.0)
        t_loop, single = best_time(
            lambda: [lottery.agd_pruned(Xt, yt, T.mask, W0, **steps) for T, Xt, yt, W0 in problems], 1
        )
        stacked = [np.stack([p[i] for p in problems]) for i in (1, 2, 3)]
        masks = np.stack([p[0].mask for p in problems])
        t_batch, batch = best_time(
            lambda: lottery.agd_pruned_batch(stacked[0], stacked[1], masks, stacked[2], **steps), 1
        )
        diff = max(np.max(np.abs(a.weights - b.weights)) for a, b in zip(single, batch))
        print(f"Algorithm 1, {args.trials} problems x 500 steps:")
        print(
            f"  one by one {t_loop:9.3f} s    in lockstep {t_batch:9.3f} s    ratio {t_loop / t_batch:7.1f}x   "
            f"max |difference| {diff:.1e}"
        )


if __name__ == "__main__":
    main()
