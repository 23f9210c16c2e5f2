"""Command line of the package: run the named width sweeps and print their tables; fetch data.

::

    python -m pruning_lab list
    python -m pruning_lab sweep NAME [--scale book|full] [--store DIR] [--jobs N] [--device cpu|cuda]
                                     [--data-dir DIR] [--seeds S ...] [--no-progress] [--fast]
                                     [--widths W ...] [--base-width W] [--strategies S ...]
                                     [--n-train N] [--n-test N]
                                     [--epochs E] [--retrain-epochs E] [--lr LR] [--batch-size B]
    python -m pruning_lab imp NAME [--scale book] [--store DIR] [--jobs N] [--seeds S ...]
                                   [--rewind-epochs K ...] [--rounds T] [--no-progress] [--fast]
    python -m pruning_lab structured NAME [--store DIR] [--jobs N] [--seeds S ...] [--no-progress] [--fast]
    python -m pruning_lab table NAME [--store DIR] [--scale SCALE] [--csv FILE]
    (sweep, imp and structured also take [--scheduler ADDRESS | --dask-local N])
    python -m pruning_lab fetch fashion-mnist [--dest DIR]
    python -m pruning_lab train-lm NAME [--out DIR] [--steps N] [--fast] [--no-progress]
    python -m pruning_lab oneshot-lm --checkpoint FILE --out FILE [--seeds S ...] [--n-calibration N]
                                     [--eval-tokens N] [--fast]
    python -m pruning_lab speed --out FILE [--stores DIR ...] [--threads T ...] [--repeats N]
                                [--shapes OUTxIN ...] [--sparsities S ...] [--batch-sizes B ...]
                                [--no-progress]

``sweep`` runs :func:`pruning_lab.nn.sweeps.run_width_sweep` for the named
sweep of :data:`pruning_lab.nn.sweeps.SWEEPS` (the network experiments of
Chang, Li, Oymak & Thrampoulidis 2021, chapters :doc:`/book/pruning_mnist` and
:doc:`/book/resnet_cifar`), storing every finished run in ``--store`` (a
:class:`pruning_lab.runs.RunStore`): running the same command again computes
only what is missing.  ``imp`` does the same for the named iterative
magnitude pruning experiments of :data:`pruning_lab.nn.sweeps.IMP_EXPERIMENTS`
(:func:`pruning_lab.nn.sweeps.run_imp_experiment`), and ``structured`` for the
structured and unstructured pruning runs of
:data:`pruning_lab.nn.structured.experiments.STRUCTURED_EXPERIMENTS` (chapter
:doc:`/book/pruning_speed`; their store also holds the width sweep's dense
models).  Unless ``--fast`` is given, torch is first set up by
:func:`pruning_lab.nn.reproducible.use_reproducible_cpu` (one thread per
process, the same numbers on every x86-64 CPU), as in the book's committed
results; with ``--jobs`` above 1 the worker processes inherit its environment
variables.  With ``--scheduler ADDRESS`` (a running Dask scheduler) or
``--dask-local N`` (a local Dask cluster of N worker processes) the runs
are tasks on that cluster (:mod:`pruning_lab.backends.cluster`; extra
``dask``), saved by the workers into ``--store``, which every worker must
see at the same path; each run is claimed by a lease file first, so two
commands on one store never compute the same run.  The override options change the named sweep (for quick
trials): ``--epochs``, ``--lr`` and ``--batch-size`` change its
:class:`pruning_lab.nn.train.TrainingRecipe`, the others the
:class:`pruning_lab.nn.sweeps.WidthSweep` itself.
``fetch fashion-mnist`` runs :func:`pruning_lab.data.fetch_fashion_mnist`: it
puts the four official Fashion-MNIST files, verified, in ``--dest`` (default:
``$PRUNING_LAB_FASHION_MNIST``, else the cache directory where
:func:`pruning_lab.data.load_fashion_mnist` looks), and does nothing if they
are already there.  ``train-lm`` trains the named character-level language
model of :data:`pruning_lab.nn.charlm.LM_RUNS` on Python's pydoc text
(:func:`pruning_lab.nn.charlm.train_char_lm`; ``--steps`` overrides its number of
steps, ``--fast`` as for ``sweep``) and writes ``DIR/NAME.pt`` (the checkpoint of
:func:`pruning_lab.nn.charlm.save_checkpoint`) and ``DIR/NAME.json`` (the run
configuration, the exact command, the text's SHA-256, the Python and torch
versions, the training time, the train and held-out perplexities and the loss
log), each written atomically.  ``oneshot-lm`` prunes such a checkpoint's block
linears one-shot with magnitude, Wanda and SparseGPT at 50 %, 4:8 and 2:4 for
each calibration seed and writes the held-out perplexities to ``--out``, row by
row (:func:`pruning_lab.nn.oneshot.experiments.lm_command`; run again, it
computes only the missing rows).  ``speed`` measures, on this CPU, dense against
CSR linear layers of the given shapes and sparsities and the latency of every
architecture of the run stores ``--stores``, at every batch size and thread count, and
writes them to ``--out`` row by row (:func:`pruning_lab.nn.speed.measure_speed`; run
again, it measures only the missing rows); it uses torch's normal fast kernels, never the
reproducible set-up (which switches off oneDNN and so changes the speed of convolutions).
Errors in the request
(unknown sweep or run, a missing checkpoint, missing or non-official CIFAR-10 files, no CUDA device, bad
values, a fetch that no source could serve, a run store or CSV file that cannot be written, checked before
anything is trained) print a one-line message and exit with status 2 (``pruning_lab.cli_errors``);
Ctrl-C prints how many runs were saved and exits with status 130.
Installed as the ``pruning-lab`` command.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sys

from . import cli_errors

__all__ = ["main"]

DEFAULT_STORE = "pruning-lab-runs"


_UsageError = cli_errors.UsageError  # a request that cannot be run as given (exit status 2)


def _add_dask_options(parser) -> None:
    """``--scheduler ADDRESS`` or ``--dask-local N``: run on a Dask cluster (the runs are saved by its workers)."""
    group = parser.add_mutually_exclusive_group()
    group.add_argument(
        "--scheduler",
        default=None,
        metavar="ADDRESS",
        help="run on the Dask cluster of this scheduler (e.g. tcp://host:8786); its workers save the runs into "
        "--store, which they must all see at the same path",
    )
    group.add_argument(
        "--dask-local", type=int, default=None, metavar="N", help="run on a local Dask cluster of N processes"
    )


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="pruning-lab", description="Width sweeps of the Pruning Lab book.")
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("list", help="list the named sweeps and their sizes")

    sweep = commands.add_parser("sweep", help="run a named sweep (skipping finished runs)")
    sweep.add_argument("name", help="name of the sweep (see 'list')")
    sweep.add_argument("--scale", default="book", help="'book' (CPU, minutes) or 'full' (the paper's widths)")
    sweep.add_argument("--store", default=DEFAULT_STORE, help=f"directory of the run store (default {DEFAULT_STORE})")
    sweep.add_argument("--jobs", type=int, default=1, help="worker processes (default 1; -1: one per CPU)")
    _add_dask_options(sweep)
    sweep.add_argument("--device", choices=("cpu", "cuda"), default=None, help="torch device (default: the sweep's)")
    sweep.add_argument("--data-dir", default=None, help="CIFAR-10 directory (or set PRUNING_LAB_CIFAR10)")
    sweep.add_argument("--seeds", type=int, nargs="+", default=None, help="seeds (default: the sweep's)")
    sweep.add_argument("--no-progress", action="store_true", help="no progress bar")
    sweep.add_argument(
        "--fast",
        action="store_true",
        help="let torch pick this CPU's fastest kernels (default: the bit-for-bit reproducible set-up of "
        "pruning_lab.nn.reproducible, in which the book's results were computed)",
    )
    sweep.add_argument("--widths", type=int, nargs="+", default=None, help="override: widths")
    sweep.add_argument("--base-width", type=int, default=None, help="override: base width (pruning target)")
    sweep.add_argument("--strategies", nargs="+", default=None, help="override: strategies (see 'list')")
    sweep.add_argument("--n-train", type=int, default=None, help="override: training examples used")
    sweep.add_argument("--n-test", type=int, default=None, help="override: test examples used")
    sweep.add_argument("--epochs", type=int, default=None, help="override: epochs of dense training (recipe)")
    sweep.add_argument("--retrain-epochs", type=int, default=None, help="override: epochs of retraining")
    sweep.add_argument("--lr", type=float, default=None, help="override: peak learning rate (recipe)")
    sweep.add_argument("--batch-size", type=int, default=None, help="override: minibatch size (recipe)")

    imp = commands.add_parser("imp", help="run a named IMP experiment (skipping finished runs)")
    imp.add_argument("name", help="name of the IMP experiment (see 'list')")
    imp.add_argument("--scale", default="book", help="scale of the experiment (default book)")
    imp.add_argument("--store", default=DEFAULT_STORE, help=f"directory of the run store (default {DEFAULT_STORE})")
    imp.add_argument("--jobs", type=int, default=1, help="worker processes (default 1; -1: one per CPU)")
    _add_dask_options(imp)
    imp.add_argument("--seeds", type=int, nargs="+", default=None, help="seeds (default: the experiment's)")
    imp.add_argument("--rewind-epochs", type=int, nargs="+", default=None, help="override: rewind epochs")
    imp.add_argument("--rounds", type=int, default=None, help="override: pruning rounds")
    imp.add_argument("--no-progress", action="store_true", help="no progress bar")
    imp.add_argument("--fast", action="store_true", help="this CPU's fastest kernels (see 'sweep --fast')")

    st = commands.add_parser("structured", help="run a named structured-pruning experiment (skipping finished runs)")
    st.add_argument("name", help="name of the experiment (see 'list')")
    st.add_argument("--store", default=DEFAULT_STORE, help=f"directory of the run store (default {DEFAULT_STORE})")
    st.add_argument("--jobs", type=int, default=1, help="worker processes (default 1; -1: one per CPU)")
    _add_dask_options(st)
    st.add_argument("--seeds", type=int, nargs="+", default=None, help="seeds (default: the experiment's)")
    st.add_argument("--no-progress", action="store_true", help="no progress bar")
    st.add_argument("--fast", action="store_true", help="this CPU's fastest kernels (see 'sweep --fast')")

    table = commands.add_parser("table", help="print (or write as CSV) the finished runs of a sweep")
    table.add_argument("name", help="name of the sweep")
    table.add_argument("--store", default=DEFAULT_STORE, help=f"directory of the run store (default {DEFAULT_STORE})")
    table.add_argument("--scale", default=None, help="only runs of this scale")
    table.add_argument("--csv", default=None, help="write all columns to this CSV file")

    fetch = commands.add_parser("fetch", help="put a data set's official files in its cache directory (verified)")
    fetch.add_argument("dataset", choices=("fashion-mnist",), help="the data set")
    fetch.add_argument(
        "--dest", default=None, help="directory (default: $PRUNING_LAB_FASHION_MNIST, else the cache directory)"
    )

    lm = commands.add_parser("train-lm", help="train a named character-level language model (checkpoint + JSON)")
    lm.add_argument("name", help="name of the run (pruning_lab.nn.charlm.LM_RUNS)")
    lm.add_argument("--out", default=DEFAULT_STORE, help=f"output directory (default {DEFAULT_STORE})")
    lm.add_argument("--steps", type=int, default=None, help="override: optimizer steps")
    lm.add_argument("--no-progress", action="store_true", help="no progress bar")
    lm.add_argument("--fast", action="store_true", help="this CPU's fastest kernels (see 'sweep --fast')")

    one = commands.add_parser("oneshot-lm", help="prune a character LM one-shot (magnitude, Wanda, SparseGPT)")
    one.add_argument("--checkpoint", required=True, help="a checkpoint written by train-lm")
    one.add_argument("--out", required=True, help="the JSON file of the results (resumed if present)")
    one.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2], help="calibration draws (default 0 1 2)")
    one.add_argument("--n-calibration", type=int, default=64, help="calibration windows per draw (default 64)")
    one.add_argument("--eval-tokens", type=int, default=None, help="score only the first held-out characters")
    one.add_argument("--fast", action="store_true", help="this CPU's fastest kernels (see 'sweep --fast')")

    speed = commands.add_parser(
        "speed",
        help="time dense vs CSR layers and stored architectures into a JSON file (this CPU's normal fast kernels)",
        description="Timings use torch's normal fast kernels (oneDNN on), never the reproducible set-up of "
        "'sweep' (which switches oneDNN off and changes the speed of convolutions). Rerun with the same --out "
        "to measure only the missing rows.",
    )
    speed.add_argument("--out", required=True, help="the JSON file of the measurements (resumed if present)")
    speed.add_argument("--stores", nargs="+", default=[], help="run-store directories whose architectures are timed")
    speed.add_argument("--threads", type=int, nargs="+", default=[1], help="intra-op thread counts (default 1)")
    speed.add_argument("--repeats", type=int, default=20, help="timed passes per measurement (default 20)")
    speed.add_argument(
        "--shapes",
        nargs="+",
        default=["1024x1024", "4096x4096"],
        help="OUTxIN shapes of the random linear layers (default 1024x1024 4096x4096)",
    )
    speed.add_argument(
        "--sparsities",
        type=float,
        nargs="+",
        default=[0.0, 0.5, 0.7, 0.8, 0.9, 0.95, 0.98],
        help="fractions of weights removed (default 0 0.5 0.7 0.8 0.9 0.95 0.98)",
    )
    speed.add_argument("--batch-sizes", type=int, nargs="+", default=[1, 8, 64], help="batch sizes (default 1 8 64)")
    speed.add_argument("--no-progress", action="store_true", help="no progress bar")
    return parser


def _shape_of(text: str) -> tuple:
    """``(out_features, in_features)`` from ``"OUTxIN"`` (e.g. ``"1024x4096"``)."""
    parts = text.lower().split("x")
    if len(parts) != 2 or not all(p.isdigit() and int(p) > 0 for p in parts):
        raise _UsageError(f"--shapes takes OUTxIN with positive integers (e.g. 1024x1024), got {text!r}")
    return int(parts[0]), int(parts[1])


def _speed(args, argv, out) -> None:
    """Speed measurements into ``--out`` (:func:`pruning_lab.nn.speed.measure_speed`), normal fast kernels."""
    import shlex

    shapes = [_shape_of(s) for s in args.shapes]
    for d in args.stores:
        if not os.path.isdir(d):
            raise _UsageError(f"--stores: {d!r} is not a directory")
    from .nn.architectures import store_architectures
    from .nn.speed import measure_speed

    try:
        architectures = store_architectures(args.stores) if args.stores else {}
        table = measure_speed(
            args.out,
            shapes=shapes,
            sparsities=args.sparsities,
            batch_sizes=args.batch_sizes,
            architectures=architectures,
            threads=args.threads,
            repeats=args.repeats,
            progress=not args.no_progress,
            command="python -m pruning_lab " + shlex.join(argv),
        )
    except (ValueError, FileNotFoundError) as err:
        raise _UsageError(" ".join(str(err).split())) from None
    print(
        f"written {args.out}: {len(table['break_even'])} break-even rows, {len(table['latency'])} latency rows "
        f"({len(architectures)} architectures)",
        file=out,
    )


def _oneshot_lm(args, argv, out) -> None:
    """One-shot pruning of a character LM (:func:`pruning_lab.nn.oneshot.experiments.lm_command`)."""
    reproducible = False
    if not args.fast:
        from .nn.reproducible import use_reproducible_cpu

        reproducible = bool(use_reproducible_cpu()["reproducible"])
    import shlex

    from .nn.oneshot.experiments import lm_command

    try:
        lm_command(
            args.checkpoint,
            args.out,
            seeds=args.seeds,
            n_calibration=args.n_calibration,
            eval_tokens=args.eval_tokens,
            command="python -m pruning_lab " + shlex.join(argv),
            reproducible=reproducible,
            log=lambda line: print(line, file=out, flush=True),
        )
    except (ValueError, FileNotFoundError) as err:
        raise _UsageError(str(err)) from None
    print(f"written {args.out}", file=out)


@contextlib.contextmanager
def _where(args, store, *, gpu=False):
    """The ``backend``/``scheduler`` arguments of the sweep from ``--scheduler``/``--dask-local`` (``{}``: none)."""
    if args.scheduler is None and args.dask_local is None:
        yield {}
        return
    option = "--scheduler" if args.scheduler is not None else "--dask-local"
    if args.jobs != 1:
        raise _UsageError(f"--jobs cannot be combined with {option}: the Dask workers set the parallelism")
    if args.dask_local is not None and args.dask_local < 1:
        raise _UsageError(f"--dask-local must be a positive number of worker processes, got {args.dask_local}")
    try:
        import dask

        from .backends.cluster import dask_client
    except ImportError:
        raise _UsageError(f"{option} needs dask and distributed: pip install 'pruning-lab[dask]'") from None
    with contextlib.ExitStack() as stack:
        if gpu:  # one GPU per run: the workers are started with --resources GPU=<their GPUs>
            stack.enter_context(dask.annotate(resources={"GPU": 1}))
        try:
            client = stack.enter_context(dask_client(args.scheduler, local_workers=args.dask_local, store=store))
        except (ConnectionError, ValueError) as err:
            raise _UsageError(" ".join(str(err).split())) from None
        yield {"backend": "dask", "scheduler": client}


def _list(out) -> None:
    from .nn.sweeps import IMP_EXPERIMENTS, SWEEPS

    print(
        f"{'name':<18} {'scale':<5} {'model':<9} {'data':<8} {'widths':<34} {'base':>4} {'target':>7} "
        f"{'runs':>5} {'dense':>5} {'epochs':>6}",
        file=out,
    )
    for name, scales in SWEEPS.items():
        for scale, s in scales.items():
            widths = " ".join(map(str, s.widths))
            print(
                f"{name:<18} {scale:<5} {s.model:<9} {s.dataset:<8} {widths:<34} {s.base_width:>4} "
                f"{s.target:>7} {len(s.configs()):>5} {s.dense_trainings():>5} "
                f"{s.recipe.epochs:>3}+{s.retrain_epochs:<2}",
                file=out,
            )
    print(f"\nIMP experiments ('imp NAME'):\n{'name':<18} {'scale':<5} {'model':<12} {'data':<8} rounds", file=out)
    for name, scales in IMP_EXPERIMENTS.items():
        for scale, e in scales.items():
            print(
                f"{name:<18} {scale:<5} {e.model:<12} {e.dataset:<8} {e.rounds} x {e.prune_fraction:.0%}, "
                f"rewind to {', '.join(map(str, e.rewind_epochs))}, seeds {', '.join(map(str, e.seeds))}",
                file=out,
            )
    from .nn.structured.experiments import STRUCTURED_EXPERIMENTS

    print("\nstructured-pruning experiments ('structured NAME'):", file=out)
    for name, e in STRUCTURED_EXPERIMENTS.items():
        print(
            f"{name:<18} sweep {e['sweep']} ({e['scale']}), width {e['width']}, "
            f"{len(e['runs'])} runs x {len(e['seeds'])} seeds",
            file=out,
        )


def _imp(args, out) -> None:
    if not args.fast:
        from .nn.reproducible import use_reproducible_cpu

        use_reproducible_cpu()
    from .nn.sweeps import get_imp_experiment, run_imp_experiment
    from .runs import RunStore

    changes = {
        k: v
        for k, v in (("seeds", args.seeds), ("rewind_epochs", args.rewind_epochs), ("rounds", args.rounds))
        if v is not None
    }
    try:
        experiment = get_imp_experiment(args.name, args.scale).replace(**changes)
        store = RunStore(args.store)
    except ValueError as err:
        raise _UsageError(str(err)) from None
    if not (args.jobs == -1 or args.jobs >= 1):
        raise _UsageError(f"--jobs must be >= 1 or -1 (one per CPU), got {args.jobs}")
    cli_errors.check_store(store)
    todo = [c for c in experiment.configs() if not store.has(c)]
    print(f"{experiment.name} ({experiment.scale}): {len(experiment.configs())} runs, {len(todo)} to compute", file=out)
    with _where(args, store) as where:
        table = run_imp_experiment(experiment, store, n_jobs=args.jobs, progress=not args.no_progress, **where)
    print(f"done: {len(table)} runs in {args.store}", file=out)


def _structured(args, out) -> None:
    if not args.fast:
        from .nn.reproducible import use_reproducible_cpu

        use_reproducible_cpu()
    from .nn.structured.experiments import experiment_configs, run_structured_experiment
    from .runs import RunStore

    try:
        configs = experiment_configs(args.name, seeds=args.seeds)
        store = RunStore(args.store)
    except ValueError as err:
        raise _UsageError(str(err)) from None
    if not (args.jobs == -1 or args.jobs >= 1):
        raise _UsageError(f"--jobs must be >= 1 or -1 (one per CPU), got {args.jobs}")
    cli_errors.check_store(store)
    todo = sum(not store.has(c) for c in configs)
    print(f"structured {args.name}: {len(configs)} runs, {todo} to compute", file=out)
    with _where(args, store) as where:
        table = run_structured_experiment(
            args.name, store, seeds=args.seeds, n_jobs=args.jobs, progress=not args.no_progress, **where
        )
    print(f"done: {len(table)} runs in {args.store}", file=out)


def _overridden(sweep, args):
    """The named ``sweep`` with the command line's overrides: recipe fields into its recipe, the rest into it."""

    def given(*pairs):
        return {key: value for key, value in pairs if value is not None}

    recipe = given(("epochs", args.epochs), ("lr", args.lr), ("batch_size", args.batch_size))
    changes = given(
        ("seeds", args.seeds),
        ("widths", args.widths),
        ("base_width", args.base_width),
        ("strategies", args.strategies),
        ("retrain_epochs", args.retrain_epochs),
        ("n_train", args.n_train),
        ("n_test", args.n_test),
        ("device", args.device),
    )
    if recipe:
        changes["recipe"] = sweep.recipe.replace(**recipe)
    return sweep.replace(**changes)


def _sweep(args, out) -> None:
    if not args.fast:  # before torch starts: the environment of the reproducible kernels
        from .nn.reproducible import use_reproducible_cpu

        use_reproducible_cpu()
    import torch

    from .data import find_cifar10
    from .nn.sweeps import get_sweep, run_width_sweep
    from .runs import RunStore

    try:
        sweep = _overridden(get_sweep(args.name, args.scale), args)
        store = RunStore(args.store)
    except ValueError as err:
        raise _UsageError(str(err)) from None
    on_dask = args.scheduler is not None or args.dask_local is not None  # CUDA is the workers' business then
    if sweep.device == "cuda" and not on_dask and not torch.cuda.is_available():
        raise _UsageError("--device cuda was requested but torch finds no CUDA device; use --device cpu")
    if sweep.dataset == "cifar10" and find_cifar10(args.data_dir) is None:
        raise _UsageError(
            "the CIFAR-10 files were not found (looked at --data-dir, else $PRUNING_LAB_CIFAR10): download "
            "cifar-10-python.tar.gz from https://www.cs.toronto.edu/~kriz/cifar.html, extract it, and pass "
            "--data-dir <the cifar-10-batches-py directory or its parent>"
        )
    if not (args.jobs == -1 or args.jobs >= 1):
        raise _UsageError(f"--jobs must be >= 1 or -1 (one per CPU), got {args.jobs}")
    cli_errors.check_store(store)
    todo = [c for c in sweep.configs() if not store.has(c)]
    if todo and sweep.dataset == "cifar10":
        cli_errors.check_cifar10(args.data_dir)
    print(
        f"{sweep.name} ({sweep.scale}): {len(sweep.configs())} runs, {len(todo)} to compute; store {args.store}",
        file=out,
    )
    try:
        with _where(args, store, gpu=sweep.device == "cuda") as where:
            table = run_width_sweep(
                sweep, store, n_jobs=args.jobs, progress=not args.no_progress, data_dir=args.data_dir, **where
            )
    except FileNotFoundError as err:
        raise _UsageError(str(err)) from None
    print(f"done: {len(table)} runs in {args.store}", file=out)


_COLUMNS = (
    "width",
    "strategy",
    "retrain",
    "seed",
    "kept",
    "sparsity",
    "train_error",
    "test_error",
    "pruned_test_error",
)


def _table(args, out) -> None:
    from .runs import RunStore, write_csv

    try:
        store = RunStore(args.store)
    except ValueError as err:
        raise _UsageError(str(err)) from None
    if not store.directory.is_dir():
        raise _UsageError(f"no run store at {args.store!r}; run 'sweep {args.name} --store {args.store}' first")
    match = {"sweep": args.name} if args.scale is None else {"sweep": args.name, "scale": args.scale}
    try:
        rows = store.table(sort_by=("scale", "strategy", "retrain", "width", "seed"), **match)
    except OSError as err:
        raise _UsageError(f"cannot read the run store {args.store!r}: {err.strerror or err}") from None
    if not rows:
        raise _UsageError(f"the store {args.store!r} holds no runs of sweep {args.name!r}")
    if args.csv is not None:
        try:
            write_csv(rows, args.csv)
        except (ValueError, OSError) as err:
            reason = err.strerror if isinstance(err, OSError) and err.strerror else err
            raise _UsageError(f"--csv {args.csv!r}: cannot write the table there ({reason})") from None
        print(f"wrote {len(rows)} runs to {args.csv}", file=out)
        return
    print(" ".join(f"{c:>17}" for c in _COLUMNS), file=out)
    for row in rows:
        cells = []
        for c in _COLUMNS:
            value = row.get(c)
            cells.append(
                f"{'':>17}" if value is None else f"{value:>17.4f}" if isinstance(value, float) else f"{str(value):>17}"
            )
        print(" ".join(cells), file=out)


def _fetch(args, out) -> None:
    from .data import FetchError, fetch_fashion_mnist

    try:
        fetch_fashion_mnist(args.dest, log=lambda line: print(line, file=out, flush=True))
    except (FetchError, ValueError) as err:
        raise _UsageError(" ".join(str(err).split())) from None
    except OSError as err:  # an unwritable destination
        where = args.dest or "the cache directory"
        raise _UsageError(f"cannot write the Fashion-MNIST files to {where}: {err}") from None


def _train_lm(args, argv, out) -> None:
    """Train the named character LM and write ``NAME.pt`` and ``NAME.json`` into ``--out``."""
    reproducible = None
    if not args.fast:
        from .nn.reproducible import use_reproducible_cpu

        reproducible = use_reproducible_cpu()
    import json
    import platform
    import shlex
    import time
    from dataclasses import asdict
    from pathlib import Path

    import torch

    from .data import char_corpus
    from .nn.charlm import get_lm_run, perplexity, save_checkpoint, train_char_lm
    from .runs import atomic_write

    try:
        config = get_lm_run(args.name)
        if args.steps is not None:
            config = config.replace(steps=args.steps, warmup=min(config.warmup, max(args.steps - 1, 0)))
    except ValueError as err:
        raise _UsageError(str(err)) from None
    outdir = Path(args.out)
    if outdir.exists() and not outdir.is_dir():
        raise _UsageError(f"--out {args.out!r} exists and is not a directory")
    corpus = char_corpus(held_out=config.held_out)
    model = config.build_model(corpus.vocab_size)
    n_params = sum(p.numel() for p in model.parameters())
    print(
        f"{args.name}: {n_params} parameters, {config.steps} steps, {len(corpus.train)} training characters", file=out
    )
    start = time.perf_counter()
    log = train_char_lm(model, corpus, **config.recipe(), progress=not args.no_progress)
    seconds = time.perf_counter() - start
    ppl = {"train": perplexity(model, corpus.train), "held_out": perplexity(model, corpus.held_out)}
    record = {
        "name": args.name,
        "command": "python -m pruning_lab " + shlex.join(argv),
        "config": asdict(config),
        "seed": config.seed,
        "text_sha256": corpus.sha256,
        "vocab_size": corpus.vocab_size,
        "n_train_tokens": int(corpus.train.size),
        "n_held_out_tokens": int(corpus.held_out.size),
        "n_parameters": n_params,
        "python": platform.python_version(),
        "torch": torch.__version__,
        "reproducible": reproducible,
        "training_seconds": round(seconds, 1),
        "train_perplexity": ppl["train"],
        "held_out_perplexity": ppl["held_out"],
        "loss_log": [list(entry) for entry in log],
    }
    checkpoint = save_checkpoint(outdir / f"{args.name}.pt", model, corpus, config, {"perplexity": ppl})
    with atomic_write(outdir / f"{args.name}.json") as tmp:
        tmp.write_text(json.dumps(record, indent=1) + "\n")
    print(
        f"done in {seconds:.0f} s: train perplexity {ppl['train']:.4f}, held-out {ppl['held_out']:.4f}; "
        f"wrote {checkpoint} and {outdir / (args.name + '.json')}",
        file=out,
    )


def main(argv=None) -> int:
    """Run the command line with ``argv`` (default ``sys.argv[1:]``); returns the exit status.

    0 on success, 2 for a request that cannot be run or a file that cannot be
    written (one line on standard error), 130 when interrupted (Ctrl-C: one
    line saying how many runs were saved; running the same command again
    computes the rest).  Warnings are printed as one line each.
    """
    argv = sys.argv[1:] if argv is None else list(argv)
    try:
        args = _parser().parse_args(argv)
    except SystemExit as exit_:  # argparse has printed its message
        return int(exit_.code or 0)
    commands = {
        "list": lambda a, o: _list(o),
        "sweep": _sweep,
        "imp": _imp,
        "structured": _structured,
        "table": _table,
        "fetch": _fetch,
        "train-lm": lambda a, o: _train_lm(a, argv, o),
        "oneshot-lm": lambda a, o: _oneshot_lm(a, argv, o),
        "speed": lambda a, o: _speed(a, argv, o),
    }
    store = args.store if args.command in ("sweep", "imp", "structured") else None
    before = 0 if store is None else cli_errors.count_runs(store)
    try:
        with cli_errors.one_line_warnings(args.command):
            commands[args.command](args, sys.stdout)
    except _UsageError as err:
        print(f"pruning-lab {args.command}: error: {err}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        saved = "" if store is None else f"; {cli_errors.count_runs(store) - before} runs saved in {store!r}"
        again = "" if store is None else " (run the same command again to compute the rest)"
        print(f"pruning-lab {args.command}: interrupted{saved}{again}", file=sys.stderr)
        return cli_errors.INTERRUPTED
    except BrokenPipeError:  # the reader of our output has gone (`pruning-lab table ... | head`): stop quietly
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())  # no second error when Python flushes stdout at exit
        return 1
    except OSError as err:  # the file system refused (disk full, a store made read-only while running...)
        where = f": {err.filename!r}" if err.filename else ""
        print(f"pruning-lab {args.command}: error: {err.strerror or err}{where}", file=sys.stderr)
        return 2
    return 0
