"""Benchmark: time per training step of dense, masked and torch-hook-pruned training.

For each model, with the same global magnitude masks (``--sparsity`` of the
weights removed), one SGD step (the recipe ``TrainingRecipe(lr=0.01, momentum=0.9,
weight_decay=5e-4)``, one epoch) of

- dense: :func:`pruning_lab.nn.train.train_classifier` without masks,
- masked: the same with ``masks=...`` (gradients and weights multiplied by
  the masks in place, pruned weights exactly zero),
- hooks: the masks applied with ``torch.nn.utils.prune.custom_from_mask``
  (through :func:`pruning_lab.nn.masks.apply_masks`), trained without masks,

is timed as one epoch of ``--steps`` minibatches divided by ``--steps``, all
three through the same loop, on a fresh copy of the model (the copy is not
timed).  The methods are interleaved within each of ``--repeats`` rounds (the
machine may be shared), after one warm-up round; the median, min and max per
method and the ratios of medians are printed, together with the median of
the per-round ratios, the best-of ratios and the time of the masking work
alone (the in-place products, timed in isolation, so hardly affected by load).
PASS when, for every model, the ratio of medians masked / dense or the median
of the per-round ratios is at most 1.10 (at most 10 % overhead).  Models: a
wide MLP ``784-W-W-10`` (batch 256) and ResNet-20 of width 16 on 3x32x32
inputs (batch 128).

Usage::

    python benchmarks/bench_masked_training.py --repeats 7 --threads 1
"""

from __future__ import annotations

import argparse
import copy
import statistics
import sys
import time


def time_step(model, X, y, steps, batch, masks=None):
    """Seconds per training step of one epoch of ``steps`` minibatches."""
    from pruning_lab.nn.train import TrainingRecipe, train_classifier

    recipe = TrainingRecipe(epochs=1, lr=0.01, batch_size=batch, momentum=0.9, weight_decay=5e-4, seed=0)
    start = time.perf_counter()
    train_classifier(model, X, y, recipe, masks=masks)
    return (time.perf_counter() - start) / steps


def _seconds(fn, reps=1):
    start = time.perf_counter()
    for _ in range(reps):
        fn()
    return (time.perf_counter() - start) / reps


def bench(label, model, input_shape, batch, steps, repeats, sparsity):
    import torch

    from pruning_lab.nn.masks import apply_masks, count_kept, global_magnitude_masks

    n_classes = 10
    gen = torch.Generator().manual_seed(0)
    X = torch.randn((steps * batch, *input_shape), generator=gen)
    y = torch.randint(n_classes, (steps * batch,), generator=gen)
    masks = global_magnitude_masks(model, sparsity=sparsity)
    hooked = apply_masks(copy.deepcopy(model), masks)
    runs = {
        "dense": lambda: time_step(copy.deepcopy(model), X, y, steps, batch),
        "masked": lambda: time_step(copy.deepcopy(model), X, y, steps, batch, masks),
        "hooks": lambda: time_step(copy.deepcopy(hooked), X, y, steps, batch),
    }
    for run in runs.values():  # warm-up
        run()
    times = {name: [] for name in runs}
    for _ in range(repeats):
        for name, run in runs.items():
            times[name].append(run())
    _, kept = count_kept(masks)
    total = sum(m.numel() for m in masks.values())
    print(
        f"\n{label}: {total:,} prunable weights, {kept:,} kept (sparsity {sparsity}), batch {batch}, "
        f"{steps} steps per timing, {repeats} repeats, {torch.get_num_threads()} torch thread(s)"
    )
    med = {}
    for name, ts in times.items():
        med[name] = statistics.median(ts)
        print(
            f"  {name:>6}: median {1e3 * med[name]:8.2f} ms/step  (min {1e3 * min(ts):.2f}, "
            f"max {1e3 * max(ts):.2f}, spread {100 * (max(ts) - min(ts)) / med[name]:.0f}%)"
        )
    # the masking work alone (two in-place products per masked tensor), timed in isolation: low noise
    params = {n: p for n, p in model.named_parameters() if n in masks}
    pairs = [(p.detach().clone(), torch.randn_like(p), masks[n].to(p.dtype)) for n, p in params.items()]

    def mask_ops():
        for w, g, m in pairs:
            g.mul_(m)
            w.mul_(m)

    mask_ops()
    reps = max(10, int(0.2 / max(1e-6, _seconds(mask_ops))))
    mask_time = min(_seconds(mask_ops, reps) for _ in range(5))
    print(
        f"  mask work alone: {1e3 * mask_time:.3f} ms/step = {100 * mask_time / min(times['dense']):.2f}% "
        f"of the fastest dense step"
    )
    print(
        f"  best-of ratios: masked / dense {min(times['masked']) / min(times['dense']):.3f}, "
        f"masked / hooks {min(times['masked']) / min(times['hooks']):.3f}"
    )
    paired = statistics.median(m / d for m, d in zip(times["masked"], times["dense"], strict=True))
    ratio = med["masked"] / med["dense"]
    print(f"  masked / dense: {ratio:.3f} (median of per-round ratios {paired:.3f}; target <= 1.10)")
    print(f"  masked / hooks: {med['masked'] / med['hooks']:.3f}   hooks / dense: {med['hooks'] / med['dense']:.3f}")
    return min(ratio, paired) <= 1.10


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--width", type=int, default=2048, help="hidden width W of the MLP 784-W-W-10")
    parser.add_argument("--batch", type=int, default=256, help="MLP minibatch size")
    parser.add_argument("--steps", type=int, default=8, help="MLP training steps per timing")
    parser.add_argument("--resnet-width", type=int, default=16, help="ResNet-20 width (0: skip)")
    parser.add_argument("--resnet-batch", type=int, default=128, help="ResNet-20 minibatch size")
    parser.add_argument("--resnet-steps", type=int, default=2, help="ResNet-20 training steps per timing")
    parser.add_argument("--repeats", type=int, default=5, help="timed rounds per method (median is kept)")
    parser.add_argument("--sparsity", type=float, default=0.9, help="fraction of weights removed")
    parser.add_argument("--threads", type=int, default=1, help="torch and BLAS threads")
    args = parser.parse_args(argv)

    import torch
    from threadpoolctl import threadpool_limits

    from pruning_lab.nn.models import MLP, ResNet20

    torch.set_num_threads(args.threads)
    ok = True
    with threadpool_limits(args.threads):
        torch.manual_seed(0)
        mlp = MLP(784, [args.width, args.width], 10)
        ok &= bench(
            f"MLP 784-{args.width}-{args.width}-10", mlp, (784,), args.batch, args.steps, args.repeats, args.sparsity
        )
        if args.resnet_width:  # --resnet-width 0 skips the ResNet
            torch.manual_seed(0)
            net = ResNet20(width=args.resnet_width)
            ok &= bench(
                f"ResNet-20 width {args.resnet_width}",
                net,
                (3, 32, 32),
                args.resnet_batch,
                args.resnet_steps,
                args.repeats,
                args.sparsity,
            )
    print("PASS" if ok else "FAIL")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
