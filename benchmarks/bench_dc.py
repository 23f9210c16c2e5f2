"""Benchmark: a whole pruning-risk curve from the DC theory (pruning_lab.dc) against the Monte Carlo that draws it.

Run:  python benchmarks/bench_dc.py [--n 200] [--points 48] [--trials 100] [--table]

Setting (E2 of the chapter "Predicting pruning", scaled to ``n``): a "world" of ``P = 20 n``
uncorrelated features, ``n/5`` spikes of variance 10 carrying half of the
signal, a bulk of variance 1 carrying the other half, noise 0.5.  The learner
sees the first ``p`` features (``world.restrict(np.arange(p))``) and keeps
``s = 0.8 n`` weights.  The curve has ``--points`` values of ``p`` spaced
geometrically from just above ``n`` to ``20 n``, skipping ``|p - n| <= 2``.

* Theory: ``threshold_prune_risk`` (magnitude, Hessian) and
  ``oracle_prune_risk`` at every ``p``: closed forms, no sampling.
* Monte Carlo: at every ``p``, ``--trials`` training sets of size ``n``
  (default 100: a standard error of about 0.8 % of the risk, i.e. the curve
  drawn to the accuracy the theory has; fewer trials make the Monte Carlo
  both faster and noisier);
  min-norm fit, pruning with the package's operators
  (``pipeline.prune_weights``: magnitude, Hessian with the empirical
  ``X^T X / n``, oracle), exact population risk.  No retraining and no
  small-model baseline (``--pipeline`` uses
  ``pipeline.compare_strategies`` instead, which also retrains every pruned
  model and fits the small model, so it is slower).

Prints both wall times, their ratio (target: theory >= 100x faster), and the
accuracy of the theory: the median relative error against the Monte Carlo
over the whole curve and over the part away from the interpolation peak
(``p >= 1.5 n``), per strategy.  BLAS runs with ``--threads`` threads (default
1: the matrices are small) for both.
"""

import argparse
import time

import numpy as np
from threadpoolctl import threadpool_limits

from pruning_lab import dc, lsq, pipeline
from pruning_lab.problems import LinearGaussianProblem

STRATEGIES = ("magnitude", "hessian", "oracle")


def e2_world(n: int, sigma: float = 0.5) -> LinearGaussianProblem:
    """E2-like world of 20 n features: n/5 spikes (variance 10) with half the signal, the rest in the bulk."""
    P, k = 20 * n, max(n // 5, 1)
    lam = np.ones(P)
    lam[:k] = 10.0
    beta = np.full(P, np.sqrt(1.0 / (P - k)))
    beta[:k] = 1.0 / np.sqrt(k)
    return LinearGaussianProblem(beta, sigma, lam)


def p_grid(n: int, points: int) -> np.ndarray:
    """At least ``points`` distinct p, geometric from n + 3 to 20 n, none with |p - n| <= 2."""
    for m in range(points, 10 * points):
        grid = np.unique(np.round(np.geomspace(n + 3, 20 * n, m)).astype(int))
        grid = grid[np.abs(grid - n) > 2]
        if grid.size >= points:
            return grid
    raise ValueError(f"cannot place {points} distinct values of p between n + 3 and 20 n for n = {n}")


def theory_curve(world, n, s, ps):
    out = np.empty((len(ps), len(STRATEGIES)))
    for i, p in enumerate(ps):
        prob = world.restrict(np.arange(p))
        out[i] = [
            dc.threshold_prune_risk(prob, n, s, "magnitude"),
            dc.threshold_prune_risk(prob, n, s, "hessian"),
            dc.oracle_prune_risk(prob, n, s),
        ]
    return out


def monte_carlo_curve(world, n, s, ps, trials, seed, use_pipeline=False):
    """Mean and standard error of the simulated pruned risk, shape (len(ps), 3) each."""
    mean, sem = np.empty((len(ps), len(STRATEGIES))), np.empty((len(ps), len(STRATEGIES)))
    rng = np.random.default_rng(seed)
    for i, p in enumerate(ps):
        prob = world.restrict(np.arange(p))
        if use_pipeline:
            res = pipeline.compare_strategies(prob, n, [s], STRATEGIES, trials=trials, rng=rng, progress=False)
            mean[i] = [res.mean(k)[0] for k in STRATEGIES]
            sem[i] = [res.sem(k)[0] for k in STRATEGIES]
            continue
        risks = np.empty((trials, len(STRATEGIES)))
        for t in range(trials):
            X, y = prob.sample(n, rng)
            w = lsq.min_norm_solution(X, y)
            pruned = [pipeline.prune_weights(k, w, s, X=X, problem=prob).weights for k in STRATEGIES]
            risks[t] = prob.population_risk(np.stack(pruned))
        mean[i] = risks.mean(axis=0)
        sem[i] = risks.std(axis=0, ddof=1) / np.sqrt(trials) if trials > 1 else 0.0
    return mean, sem


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=200, help="training-set size (default 200)")
    parser.add_argument("--points", type=int, default=48, help="number of values of p on the curve (>= 40 advised)")
    parser.add_argument("--trials", type=int, default=100, help="Monte Carlo training sets per p (default 100)")
    parser.add_argument("--s", type=int, default=None, help="weights kept (default 0.8 n)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--threads", type=int, default=1, help="BLAS threads for both computations (default 1)")
    parser.add_argument("--repeats", type=int, default=3, help="the theory time is the best of this many runs")
    parser.add_argument("--pipeline", action="store_true", help="Monte Carlo through pipeline.compare_strategies")
    parser.add_argument("--table", action="store_true", help="also print the curve point by point")
    args = parser.parse_args()
    if args.n < 10 or args.points < 1 or args.trials < 2:
        parser.error("need --n >= 10, --points >= 1, --trials >= 2")

    n = args.n
    s = int(round(0.8 * n)) if args.s is None else args.s
    world = e2_world(n)
    ps = p_grid(n, args.points)

    with threadpool_limits(limits=args.threads):
        times = []
        for _ in range(max(args.repeats, 1)):
            t0 = time.perf_counter()
            theory = theory_curve(world, n, s, ps)
            times.append(time.perf_counter() - t0)
        t_theory = min(times)
        t0 = time.perf_counter()
        mc, sem = monte_carlo_curve(world, n, s, ps, args.trials, args.seed, args.pipeline)
        t_mc = time.perf_counter() - t0

    rel = np.abs(theory - mc) / mc
    away = ps >= 1.5 * n
    mc_kind = "pipeline.compare_strategies" if args.pipeline else "train -> prune -> exact risk"
    print(f"DC theory vs Monte Carlo: E2-like world of {world.p} features, n={n}, s={s}, sigma={world.sigma}")
    print(
        f"  curve: {len(ps)} values of p from {ps[0]} to {ps[-1]} (|p-n| <= 2 skipped); "
        f"{away.sum()} of them with p >= 1.5n"
    )
    print(f"  strategies: {', '.join(STRATEGIES)};  BLAS threads: {args.threads}")
    if args.table:
        print(f"  {'p':>6}" + "".join(f"  {k + ' th / MC ± se':>28}" for k in STRATEGIES))
        for i, p in enumerate(ps):
            cells = "".join(
                f"  {theory[i, j]:8.4f} / {mc[i, j]:8.4f} ± {sem[i, j]:6.4f}" for j in range(len(STRATEGIES))
            )
            print(f"  {p:>6}{cells}")
    print(f"  theory (closed forms, best of {args.repeats}): {t_theory:10.3f} s")
    print(f"  Monte Carlo ({args.trials} trials per p, {mc_kind}): {t_mc:10.3f} s")
    print(f"  speed-up (Monte Carlo / theory): {t_mc / t_theory:,.0f}x (target >= 100x)")
    print("  median relative error of theory vs Monte Carlo (whole curve | p >= 1.5n), max over p >= 1.5n:")
    for j, k in enumerate(STRATEGIES):
        print(
            f"    {k:<10} {100 * np.median(rel[:, j]):6.2f} % | {100 * np.median(rel[away, j]):6.2f} %"
            f"   max {100 * rel[away, j].max():6.2f} %"
        )
    print(f"  median Monte Carlo standard error / mean over the curve: {100 * np.median(sem / mc):.2f} %")


if __name__ == "__main__":
    main()
