"""Benchmark: what unstructured sparsity buys at inference on a CPU, with the automatic sparse path.

Model: an MLP of ``--layers`` Linear layers ``--width`` x ``--width`` (default three 4096 x 4096),
its weights pruned by global magnitude (:func:`pruning_lab.nn.masks.global_magnitude_masks`, the
pruned weights set to zero in place: a masked dense model).  The automatic path is
:func:`pruning_lab.nn.sparse_linear.sparsify_linears` at batch size 1, which measures every layer
dense and as CSR and converts it only when the measured speed-up exceeds 1.05.

(b) at 95 % sparsity: the latency of the automatic path against the dense masked model, batch 1.
    Target: a ratio of medians dense / automatic of at least 2.5.
(c) at 50 % sparsity: the automatic path must keep the dense layers, so its latency is that of
    dense. Target: automatic / dense at most 1.05.

Both models are timed with :func:`pruning_lab.nn.measure.latency` in alternating rounds (fair when
the machine is shared); the ratio of the medians over all passes is printed with the quartiles of
the per-round ratios.  Then a break-even table: one ``--width`` x ``--width`` layer with random
weights, dense against CSR, at sparsities 50 to 98 % and batch 1 and 64; and the CSR products
:class:`~pruning_lab.nn.sparse_linear.SparseLinear` could use (``addmm`` or ``addmv``, 64- or 32-bit
indices), which justify its choice.

Usage::

    python benchmarks/bench_sparse.py --threads 1 [--rounds 15] [--per-round 5] [--repeats 15]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time


def masked_mlp(width, layers, sparsity):
    """The MLP ``width -> ... -> width`` (``layers`` Linear layers), global-magnitude pruned in place."""
    import torch

    from pruning_lab.nn.masks import global_magnitude_masks
    from pruning_lab.nn.models import MLP

    torch.manual_seed(0)
    model = MLP(width, [width] * (layers - 1), width).eval()
    masks = global_magnitude_masks(model, sparsity=sparsity)
    with torch.no_grad():
        for name, mask in masks.items():
            model.get_parameter(name).mul_(mask)
    return model


def compare(dense, auto, width, rounds, per_round, threads):
    """Alternating rounds of ``latency``: (ratio of medians dense / auto, per-round ratios, medians)."""
    from pruning_lab.nn.measure import latency

    td, ta, ratios = [], [], []
    for _ in range(rounds):
        d = latency(dense, (width,), batch_size=1, repeats=per_round, warmup=1, threads=threads)
        a = latency(auto, (width,), batch_size=1, repeats=per_round, warmup=1, threads=threads)
        td.extend(d.times)
        ta.extend(a.times)
        ratios.append(d.median / a.median)
    return statistics.median(td) / statistics.median(ta), ratios, statistics.median(td), statistics.median(ta)


def quartiles(values):
    q1, _, q3 = statistics.quantiles(values, n=4, method="inclusive")
    return q1, q3


def case(label, sparsity, args):
    """Build, convert, time one case; returns (dense / auto ratio of medians, quartiles of per-round ratios)."""
    from pruning_lab.nn.measure import count_params, macs, model_bytes
    from pruning_lab.nn.sparse_linear import sparsify_linears

    dense = masked_mlp(args.width, args.layers, sparsity)
    auto, report = sparsify_linears(dense, batch_size=1, min_speedup=1.05, repeats=args.repeats, threads=args.threads)
    print(f"\n({label}) {args.layers} x Linear {args.width}x{args.width}, sparsity {sparsity:.0%}, batch 1")
    for r in report:
        print(
            f"  layer {r.name}: sparsity {r.sparsity:.3f}, dense {1e3 * r.dense_seconds:.3f} ms, "
            f"CSR {1e3 * r.sparse_seconds:.3f} ms, speed-up {r.speedup:.2f} -> {'sparse' if r.converted else 'dense'}"
        )
    shape = (args.width,)
    print(
        f"  parameters {count_params(dense):,} (nonzero {count_params(dense, nonzero=True):,}); "
        f"MACs dense {macs(dense, shape)[0]:,}, nonzero {macs(dense, shape, nonzero=True)[0]:,}; "
        f"checkpoint {model_bytes(dense) / 2**20:.1f} MiB dense, {model_bytes(auto) / 2**20:.1f} MiB automatic"
    )
    ratio, ratios, md, ma = compare(dense, auto, args.width, args.rounds, args.per_round, args.threads)
    q1, q3 = quartiles(ratios)
    print(
        f"  latency: dense {1e3 * md:.3f} ms, automatic {1e3 * ma:.3f} ms (medians of {args.rounds * args.per_round} "
        f"passes each); dense / automatic = {ratio:.2f}x (per-round ratios: quartiles {q1:.2f}-{q3:.2f}, "
        f"min {min(ratios):.2f}, max {max(ratios):.2f})"
    )
    return ratio, report


def kernel_choice(width, repeats, threads, sparsity=0.95):
    """Median ms of the CSR products SparseLinear could use, at batch 1 and 64: the reason for its choice."""
    import torch

    from pruning_lab.nn.sparse_linear import SparseLinear

    gen = torch.Generator().manual_seed(0)
    dense = torch.nn.Linear(width, width)
    with torch.no_grad():
        dense.weight.normal_(generator=gen).mul_(torch.rand(width, width, generator=gen) >= sparsity)
    layer = SparseLinear(dense)
    w32, b = layer.weight, layer.bias.detach()
    w64 = dense.weight.detach().to_sparse_csr()  # to_sparse_csr's 64-bit indices
    kernels = {
        "addmm, int64 indices": lambda x: torch.addmm(b.unsqueeze(1), w64, x.T).T,
        "addmm, int32 indices": lambda x: torch.addmm(b.unsqueeze(1), w32, x.T).T,
        "addmv, int64 indices (batch 1)": lambda x: torch.addmv(b, w64, x[0]),
        "addmv, int32 indices (batch 1): SparseLinear": lambda x: torch.addmv(b, w32, x[0]),
    }
    print(f"\nCSR kernels, one {width}x{width} layer at sparsity {sparsity:.0%} (median ms of {repeats})")
    old = torch.get_num_threads()
    torch.set_num_threads(threads)
    try:
        for batch in (1, 64):
            x = torch.randn(batch, width, generator=gen)
            ref = dense(x).detach()
            for name, kernel in kernels.items():
                if "batch 1" in name and batch != 1:
                    continue
                with torch.inference_mode():
                    times = []
                    for i in range(repeats + 2):
                        start = time.perf_counter()
                        y = kernel(x)
                        if i >= 2:
                            times.append(time.perf_counter() - start)
                err = float((y.reshape(ref.shape) - ref).abs().max())
                print(f"  batch {batch:2d}  {name:<46} {1e3 * statistics.median(times):8.3f}   max |error| {err:.1e}")
    finally:
        torch.set_num_threads(old)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--width", type=int, default=4096, help="width of the square Linear layers")
    parser.add_argument("--layers", type=int, default=3, help="number of Linear layers")
    parser.add_argument("--rounds", type=int, default=15, help="alternating timing rounds per case")
    parser.add_argument("--per-round", type=int, default=5, help="timed passes per model and round")
    parser.add_argument(
        "--repeats", type=int, default=15, help="timed passes per layer for each decision and table row"
    )
    parser.add_argument("--threads", type=int, default=1, help="torch threads")
    parser.add_argument("--no-table", action="store_true", help="skip the break-even table")
    args = parser.parse_args(argv)

    import torch
    from threadpoolctl import threadpool_limits

    from pruning_lab.nn.sparse_linear import break_even_table

    print(f"torch {torch.__version__}, {args.threads} thread(s)")
    with threadpool_limits(args.threads):
        ratio_b, _ = case("b", 0.95, args)
        ok_b = ratio_b >= 2.5
        print(f"  (b) dense / automatic {ratio_b:.2f}x, target >= 2.5x: {'PASS' if ok_b else 'FAIL'}")
        ratio_c, report_c = case("c", 0.50, args)
        slowdown = 1 / ratio_c
        ok_c = not any(r.converted for r in report_c) and slowdown <= 1.05
        print(
            f"  (c) automatic / dense {slowdown:.3f}, layers converted {sum(r.converted for r in report_c)}; "
            f"target: none converted and <= 1.05: {'PASS' if ok_c else 'FAIL'}"
        )
        kernel_choice(args.width, args.repeats, args.threads)
        if not args.no_table:
            sparsities = (0.5, 0.7, 0.8, 0.9, 0.95, 0.98)
            rows = break_even_table(
                [(args.width, args.width)], sparsities, (1, 64), repeats=args.repeats, threads=args.threads
            )
            print(f"\nbreak-even table, one {args.width}x{args.width} layer, random weights (median of {args.repeats})")
            print(f"  {'sparsity':>8} {'batch':>5} {'dense ms':>9} {'CSR ms':>9} {'dense/CSR':>9}")
            for r in rows:
                print(
                    f"  {r.sparsity:8.0%} {r.batch_size:5d} {1e3 * r.dense_seconds:9.3f} "
                    f"{1e3 * r.sparse_seconds:9.3f} {r.ratio:9.2f}"
                )
    ok = ok_b and ok_c
    print("PASS" if ok else "FAIL")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
