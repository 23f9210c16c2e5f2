"""Benchmark: a channel-pruned ResNet-20 against the dense one, CPU inference latency.

Model: ResNet-20 of width 16 (the CIFAR-10 network, 3 x 32 x 32 inputs, shortcut ``--shortcut``)
with random weights, and the model :func:`pruning_lab.nn.structured.prune_structured` makes from it
keeping half of the channels of every group (``fraction=0.5``, L1 criterion): the internal channels
of every block and the residual streams, physically removed.  Both are timed with
:func:`pruning_lab.nn.measure.latency` in alternating rounds (fair on a shared machine) at batch 1
and 64; printed: the ratio of the medians over all passes dense / pruned and the quartiles of the
per-round ratios, with parameters, MACs and bytes of both.  Target (issue): a ratio of at least 1.8
at both batch sizes.

Usage::

    python benchmarks/bench_structured.py [--threads 1] [--rounds 10] [--per-round 5] [--shortcut A]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--per-round", type=int, default=5)
    parser.add_argument("--shortcut", choices=("A", "B"), default="A")
    args = parser.parse_args(argv)

    import torch

    from pruning_lab.nn.measure import count_params, latency, macs, model_bytes
    from pruning_lab.nn.models import ResNet20
    from pruning_lab.nn.structured import prune_structured

    torch.manual_seed(0)
    dense = ResNet20(width=16, shortcut=args.shortcut).eval()
    small, _ = prune_structured(dense, 0.5, "l1")
    small.eval()
    shape = (3, 32, 32)
    for name, model in (("dense", dense), ("pruned", small)):
        print(
            f"{name:<7} parameters {count_params(model):>8,}   MACs {macs(model, shape)[0]:>12,}   "
            f"bytes {model_bytes(model):>9,}"
        )
    ok = True
    for batch in (1, 64):
        td, tp, ratios = [], [], []
        for _ in range(args.rounds):
            d = latency(dense, shape, batch_size=batch, repeats=args.per_round, warmup=1, threads=args.threads)
            p = latency(small, shape, batch_size=batch, repeats=args.per_round, warmup=1, threads=args.threads)
            td.extend(d.times)
            tp.extend(p.times)
            ratios.append(d.median / p.median)
        ratio = statistics.median(td) / statistics.median(tp)
        q1, _, q3 = statistics.quantiles(ratios, n=4, method="inclusive")
        print(
            f"batch {batch:>2}: dense {1e3 * statistics.median(td):8.2f} ms, pruned {1e3 * statistics.median(tp):8.2f} "
            f"ms, dense/pruned {ratio:.2f} (per-round quartiles {q1:.2f}-{q3:.2f}), {args.threads} thread(s)"
        )
        ok &= ratio >= 1.8
    print(f"target >= 1.8x at batch 1 and 64: {'met' if ok else 'MISSED'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
