"""Benchmark: global magnitude masks of pruning_lab vs torch.nn.utils.prune.global_unstructured.

Builds an MLP of ``width x width`` Linear layers with about ``--weights``
weights and, for each method in its own fresh subprocess:

- peak extra memory: the process's peak resident set size (``VmHWM`` of
  ``/proc/self/status``, reset through ``/proc/self/clear_refs`` after the model
  is built and both code paths are warmed up on a small model) minus the
  resident size just before the call, as a multiple of the weight bytes.  It
  counts everything the call leaves behind (pruning_lab: the bool masks;
  torch: its float masks and the recomputed ``module.weight``).
- time: best of ``--repeats`` calls.  torch gets a fresh deep copy of the
  model for every call (the copy is not timed); its time is the whole
  ``global_unstructured`` call, which computes its masks and applies them.
  pruning_lab is timed for ``global_magnitude_masks`` alone and with
  ``apply_masks`` too.

Usage::

    python benchmarks/bench_masks.py --weights 33e6 --repeats 3 --sparsity 0.9
"""

from __future__ import annotations

import argparse
import copy
import json
import os
import subprocess
import sys
import tempfile
import time


def build_mlp(n_weights, width, seed=0):
    import torch
    from torch import nn

    width = min(width, max(1, int(n_weights**0.5)))
    n_layers = max(1, round(n_weights / width**2))
    torch.manual_seed(seed)
    layers = []
    for _ in range(n_layers):
        layers += [nn.Linear(width, width), nn.ReLU()]
    return nn.Sequential(*layers[:-1])


def memory_kib():
    out = {}
    with open("/proc/self/status") as f:
        for line in f:
            key, _, value = line.partition(":")
            if key in ("VmHWM", "VmRSS"):
                out[key] = int(value.split()[0])
    return out


def reset_peak():
    """Reset VmHWM to the current RSS (Linux >= 4.0); False when not allowed."""
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
        return True
    except OSError:
        return False


def worker(method, n_weights, width, repeats, sparsity, out_dir):
    """Run one method in this (fresh) process and print a JSON line with the results."""
    import torch
    from torch.nn.utils import prune

    from pruning_lab.nn.masks import apply_masks, count_kept, global_magnitude_masks, masks_from_model

    def run_torch(model):
        pairs = [(m, "weight") for m in model if isinstance(m, torch.nn.Linear)]
        prune.global_unstructured(pairs, pruning_method=prune.L1Unstructured, amount=sparsity)
        return model

    def run_ours(model):
        return global_magnitude_masks(model, sparsity=sparsity)

    run = run_torch if method == "torch" else run_ours
    run(build_mlp(1 << 19, 512))  # warm up: page in the code of the same kernels, start threads
    model = build_mlp(n_weights, width)
    weights = [m.weight for m in model if isinstance(m, torch.nn.Linear)]
    weight_bytes = sum(w.numel() * w.element_size() for w in weights)

    target = copy.deepcopy(model) if method == "torch" else model  # torch prunes in place
    peak_reset = reset_peak()
    before = memory_kib()["VmRSS"]
    result = run(target)
    peak_extra = (memory_kib()["VmHWM"] - before) * 1024

    masks = masks_from_model(result) if method == "torch" else result
    _, kept = count_kept(masks)
    torch.save(masks, os.path.join(out_dir, f"{method}.pt"))
    del result, masks, target

    times, times_apply = [], []
    for _ in range(repeats):
        fresh = copy.deepcopy(model) if method == "torch" else model
        start = time.perf_counter()
        out = run(fresh)
        times.append(time.perf_counter() - start)
        if method != "torch":
            fresh = copy.deepcopy(model)
            start = time.perf_counter()
            apply_masks(fresh, run(fresh))
            times_apply.append(time.perf_counter() - start)
        del out, fresh
    print(
        json.dumps(
            {
                "method": method,
                "n_weights": sum(w.numel() for w in weights),
                "weight_bytes": weight_bytes,
                "peak_extra_bytes": peak_extra,
                "peak_reset": peak_reset,
                "kept": kept,
                "time": min(times),
                "time_with_apply": min(times_apply) if times_apply else None,
                "threads": torch.get_num_threads(),
            }
        )
    )


def compare_masks(out_dir, n_weights, width):
    """Compare the two workers' masks: identical, or different only among weights tied at the threshold."""
    import torch

    ours = torch.load(os.path.join(out_dir, "pruning_lab.pt"))
    theirs = torch.load(os.path.join(out_dir, "torch.pt"))
    model = build_mlp(n_weights, width)
    weights = {f"{i}.weight": m.weight.detach().abs() for i, m in enumerate(model) if hasattr(m, "weight")}
    if list(ours) != list(theirs):
        return f"BUG: different names {list(ours)} vs {list(theirs)}"
    threshold = min(float(w[ours[n]].min()) for n, w in weights.items() if ours[n].any())
    n_diff = n_untied = 0
    for name, w in weights.items():
        diff = ours[name] ^ theirs[name]
        n_diff += int(diff.sum())
        n_untied += int((diff & (w != threshold)).sum())
    if n_diff == 0:
        return "identical"
    if n_untied:
        return f"BUG: {n_untied} of {n_diff} differing weights are not tied at the threshold"
    n_tied = sum(int((w == threshold).sum()) for w in weights.values())
    return (
        f"differ at {n_diff} positions, all among the {n_tied} weights tied at the threshold "
        f"|w| = {threshold:.9g} (torch's topk breaks ties differently)"
    )


def run_worker(method, args):
    cmd = [
        sys.executable,
        __file__,
        "--worker",
        method,
        "--weights",
        str(args.weights),
        "--width",
        str(args.width),
        "--repeats",
        str(args.repeats),
        "--sparsity",
        str(args.sparsity),
        "--out",
        args.out,
    ]
    done = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise SystemExit(f"{method} worker failed:\n{done.stderr}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--weights", type=float, default=33e6, help="approximate number of weights")
    parser.add_argument("--width", type=int, default=4096, help="width of the square Linear layers")
    parser.add_argument("--repeats", type=int, default=3, help="timed calls per method (best is kept)")
    parser.add_argument("--sparsity", type=float, default=0.9, help="fraction of weights removed")
    parser.add_argument("--worker", choices=["torch", "pruning_lab"], help=argparse.SUPPRESS)
    parser.add_argument("--out", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        return worker(args.worker, int(args.weights), args.width, args.repeats, args.sparsity, args.out)

    with tempfile.TemporaryDirectory() as out_dir:
        args.out = out_dir
        ours, theirs = run_worker("pruning_lab", args), run_worker("torch", args)
        same_masks = compare_masks(out_dir, int(args.weights), args.width)
    gib = ours["weight_bytes"] / 2**30
    print(
        f"MLP: {ours['n_weights']:,} weights ({gib:.3f} GiB float32), sparsity {args.sparsity}, "
        f"{ours['threads']} torch threads, best of {args.repeats}"
    )
    print(
        f"kept: pruning_lab {ours['kept']:,}, torch {theirs['kept']:,} -> "
        f"{'same count' if ours['kept'] == theirs['kept'] else 'DIFFERENT COUNTS'}"
    )
    print(f"masks: {same_masks}")
    print(
        f"time: pruning_lab {ours['time']:.3f} s (masks), {ours['time_with_apply']:.3f} s (masks + apply_masks); "
        f"torch global_unstructured {theirs['time']:.3f} s"
    )
    ratio = theirs["time"] / ours["time"]
    print(
        f"time ratio (torch / pruning_lab): {ratio:.1f}x (target >= 5x); "
        f"with apply_masks: {theirs['time'] / ours['time_with_apply']:.1f}x"
    )
    mem = {r["method"]: r["peak_extra_bytes"] / r["weight_bytes"] for r in (ours, theirs)}
    print(
        f"peak extra memory: pruning_lab {mem['pruning_lab']:.2f}x weight bytes, "
        f"torch {mem['torch']:.2f}x (target <= 1.5x)"
        + (
            ""
            if ours["peak_reset"] and theirs["peak_reset"]
            else "  [VmHWM could not be reset: peaks include model building]"
        )
    )
    ok = ours["kept"] == theirs["kept"] and "BUG" not in same_masks and ratio >= 5 and mem["pruning_lab"] <= 1.5
    print("PASS" if ok else "FAIL")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
