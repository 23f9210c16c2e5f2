"""Running a width sweep: one run at a time, or all runs of a sweep through a run store.

:func:`run_width_point` trains (or loads) the dense model of a
:class:`~pruning_lab.nn.sweeps.WidthRunConfig`, prunes it to the target by the
run's strategy, retrains it and evaluates it; :func:`run_width_sweep` runs
every configuration of a :class:`~pruning_lab.nn.sweeps.WidthSweep` that a
:class:`pruning_lab.runs.RunStore` does not hold yet, dense models first, and
checkpoints each dense model once (atomically) next to the runs.  Used in the
chapters :doc:`/book/pruning_mnist` and :doc:`/book/resnet_cifar` and by the
command line (:mod:`pruning_lab.cli`).
"""

from __future__ import annotations

import copy
import functools
import json
import os
import pickle
import time
import warnings

import numpy as np
import torch

from ... import data as _data
from ...runs import RunStore, atomic_write, canonical_config, run_sweep
from .. import masks as _masks
from ..batchnorm import has_batchnorm, recalibrate_batchnorm
from ..imp import reinitialize
from ..models import count_parameters
from ..reproducible import REPRODUCIBLE_ENV
from ..train import evaluate, train_classifier, zero_pruned_weights
from ..transforms import random_crop_flip
from .config import WidthRunConfig, WidthSweep

__all__ = ["run_width_point", "run_width_sweep"]


def _subset(y, n):
    """Indices of a stratified subset of ``n`` of the labels ``y`` (all if ``n`` is None or too large)."""
    if n is None or n >= y.size:
        return np.arange(y.size)
    return _data.stratified_split(y, n / y.size, 0)[1]


@functools.lru_cache(maxsize=4)
def _dataset(name, data_dir, n_train, n_test):
    if name == "mnist":
        ds = _data.load_mnist()
    elif name == "mnist32":
        ds = _data.load_mnist32()
    elif name == "fashion":
        ds = _data.load_fashion_mnist()
    elif name == "fashion32":
        ds = _data.load_fashion_mnist32()
    else:
        ds = _data.load_cifar10(data_dir)
    train, test = _subset(ds.y_train, n_train), _subset(ds.y_test, n_test)
    return ds.X_train[train], ds.y_train[train], ds.X_test[test], ds.y_test[test]


def _train(model, X, y, config, recipe, masks=None):
    return train_classifier(
        model, X, y, recipe, masks=masks, transform=random_crop_flip if config.augment else None, device=config.device
    )


def _load_checkpoint(path, key, model):
    """``(seconds, metrics)`` of the dense checkpoint ``path`` loaded into ``model``; ``None`` if it is invalid.

    An unreadable checkpoint, or one of another configuration, is named in a
    warning and retrained (the new checkpoint replaces it), like an invalid run
    file of the store (:class:`pruning_lab.runs.RunStore`).
    """
    try:
        saved = torch.load(path, map_location="cpu", weights_only=True)
        stored = canonical_config(json.loads(saved["config"]))
        if stored == canonical_config(key):
            model.load_state_dict(saved["state_dict"])
            return saved["seconds"], saved["metrics"]
        problem = "belongs to another configuration"
    except (OSError, EOFError, RuntimeError, pickle.UnpicklingError, KeyError, TypeError, ValueError) as err:
        problem = f"cannot be read ({' '.join(str(err).split())[:200]})"
    warnings.warn(
        f"checkpoint {path.name} in {str(path.parent)!r} {problem}; the dense model is retrained and replaces it",
        UserWarning,
        stacklevel=3,
    )
    return None


def _dense_model(config, store, X, y, Xt, yt):
    """``(model, seconds, metrics)`` of the trained dense model: from its checkpoint, or trained and checkpointed."""
    key = config.dense_key()
    model = config.build_model()
    path = None if store is None else store.artifact_path(key, ".pt")
    if path is not None and path.is_file():
        loaded = _load_checkpoint(path, key, model)
        if loaded is not None:
            return model.to(config.device).eval(), *loaded
        model = config.build_model()  # a fresh initialisation, not a partly loaded one
    start = time.perf_counter()
    _train(model, X, y, config, config.recipe)
    seconds = time.perf_counter() - start
    metrics = _metrics(model, X, y, Xt, yt)
    if path is not None:
        state = {k: v.detach().cpu() for k, v in model.state_dict().items()}
        with atomic_write(path) as tmp:
            torch.save(
                {"config": canonical_config(key), "state_dict": state, "seconds": seconds, "metrics": metrics}, tmp
            )
    return model, seconds, metrics


def _metrics(model, X, y, Xt, yt, prefix=""):
    train, test = evaluate(model, X, y), evaluate(model, Xt, yt)
    return {
        f"{prefix}train_error": train["error"],
        f"{prefix}train_loss": train["loss"],
        f"{prefix}test_error": test["error"],
        f"{prefix}test_loss": test["loss"],
    }


def _follow_the_driver():
    """In a worker process: the driver's reproducible set-up, whose environment the worker inherited.

    The variables of :data:`~pruning_lab.nn.reproducible.REPRODUCIBLE_ENV` reach a joblib or Dask
    worker process, but torch's switches (oneDNN off, one thread) do not: without this, its runs
    would neither equal the serial ones bit for bit nor be stored as ``reproducible``.  A process
    that has set torch up itself (oneDNN already off) is left alone.
    """
    if torch.backends.mkldnn.enabled and all(os.environ.get(k) == v for k, v in REPRODUCIBLE_ENV.items()):
        torch.backends.mkldnn.enabled = False
        torch.set_num_threads(1)


def _reproducible_kernels():
    """Whether torch runs the bit-for-bit reproducible kernels of :mod:`pruning_lab.nn.reproducible`."""
    return bool(
        torch.backends.cpu.get_cpu_capability().lower() == "default"
        and os.environ.get("MKL_CBWR") == "COMPATIBLE"
        and not torch.backends.mkldnn.enabled
    )


def _scratch_seed(seed):
    """Seed of the fresh initialisation of a ``"scratch"`` run (differs from the dense model's ``seed``)."""
    return int(np.random.SeedSequence([int(seed), 3]).generate_state(1)[0])


def _pruned_run(config, model, X, y, Xt, yt):
    """Results of a pruned (or scratch) run from the trained dense ``model`` (modified in place)."""
    strategy = "global" if config.strategy == "scratch" else config.strategy
    masks = _masks.strategy_masks(model, strategy, keep=config.target, seed=config.seed)
    zero_pruned_weights(model, masks)
    out = {"kept": _masks.count_kept(masks)[1]}
    if config.strategy == "scratch":  # same mask, fresh weights, trained for the whole budget
        fresh = reinitialize(model, _scratch_seed(config.seed)).to(config.device)
        zero_pruned_weights(fresh, masks)
        _train(fresh, X, y, config, config.retrain_recipe, masks=masks)
        return {**out, **_metrics(fresh, X, y, Xt, yt)}
    out.update(_metrics(model, X, y, Xt, yt, "pruned_"))
    if has_batchnorm(model):  # the pruned model with its BatchNorm statistics re-estimated, nothing trained
        recal = recalibrate_batchnorm(copy.deepcopy(model), X)
        out.update(_metrics(recal, X, y, Xt, yt, "pruned_bnrecal_"))
    if config.retrain and config.retrain_epochs > 0:
        _train(model, X, y, config, config.retrain_recipe, masks=masks)
        out.update(_metrics(model, X, y, Xt, yt))
    else:
        out.update({k.removeprefix("pruned_"): out[k] for k in _METRIC_KEYS})
    return out


_METRIC_KEYS = ("pruned_train_error", "pruned_train_loss", "pruned_test_error", "pruned_test_loss")


def run_width_point(config: WidthRunConfig, *, store=None, data_dir=None) -> dict:
    """One run of a width sweep: train (or load) the dense model, prune to the target, retrain, evaluate.

    For ``strategy="dense"`` the dense model itself is evaluated; with
    ``retrain`` it is first trained ``retrain_epochs`` more epochs by
    ``config.retrain_recipe`` without a mask (the budget-matched baseline).
    Otherwise its prunable weights are pruned to exactly ``config.target``
    kept (:func:`pruning_lab.nn.masks.strategy_masks` with
    ``keep=config.target`` and ``seed=config.seed``), the pruned model is
    evaluated (``pruned_*`` keys; for a model with BatchNorm also
    ``pruned_bnrecal_*``, the pruned model after
    :func:`pruning_lab.nn.batchnorm.recalibrate_batchnorm` on the training
    inputs, nothing trained), and with ``retrain`` it is trained again by
    ``config.retrain_recipe`` with the masks in force
    (``train_classifier(..., masks=...)``, starting from the pruned dense
    weights) and evaluated once more.  ``strategy="scratch"`` takes the
    global-magnitude mask of the trained dense model, puts it on a fresh
    random initialisation (:func:`pruning_lab.nn.imp.reinitialize`, a seed
    derived from ``config.seed``) and trains that for ``epochs +
    retrain_epochs`` epochs with the mask in force (Liu et al., 2019).

    Parameters
    ----------
    config : WidthRunConfig
        A configuration of :meth:`~pruning_lab.nn.sweeps.config.WidthSweep.configs`.
    store : pruning_lab.runs.RunStore, optional
        Where the dense model's checkpoint is kept (``None``: always train it).
    data_dir : str, optional
        The CIFAR-10 directory (see :func:`pruning_lab.data.load_cifar10`).

    Returns
    -------
    dict
        ``train_error``, ``train_loss``, ``test_error``, ``test_loss`` of the
        final model; ``dense_test_error``, ``dense_train_error``; for pruned
        runs also ``pruned_*`` (before retraining); ``kept`` (nonzero-able
        prunable weights), ``total`` (prunable weights of the dense model),
        ``sparsity`` (``1 - kept / total``), ``seconds`` (wall time of this
        run), ``dense_seconds`` (training time of the dense model) and
        ``reproducible`` (whether torch ran the bit-for-bit reproducible kernels of
        :func:`pruning_lab.nn.reproducible.use_reproducible_cpu`).
    """
    if not isinstance(config, WidthRunConfig):
        raise ValueError(f"config must be a WidthRunConfig from WidthSweep.configs(), got {type(config).__name__}")
    if store is not None and not isinstance(store, RunStore):
        raise ValueError(f"store must be a RunStore or None, got {type(store).__name__}")
    if config.device == "cuda" and not torch.cuda.is_available():
        raise ValueError("device 'cuda' was requested but torch finds no CUDA device; use device='cpu'")
    _follow_the_driver()
    start = time.perf_counter()
    X, y, Xt, yt = _dataset(config.dataset, None if data_dir is None else str(data_dir), config.n_train, config.n_test)
    model, dense_seconds, dense = _dense_model(config, store, X, y, Xt, yt)
    out = {"dense_train_error": dense["train_error"], "dense_test_error": dense["test_error"]}
    total = count_parameters(model, prunable_only=True)
    if config.strategy == "dense":
        if config.retrain and config.retrain_epochs > 0:  # the budget-matched dense model: R more epochs, no mask
            _train(model, X, y, config, config.retrain_recipe)
            out.update(_metrics(model, X, y, Xt, yt), kept=total)
        else:
            out.update(dense, kept=total)
    else:
        out.update(_pruned_run(config, model, X, y, Xt, yt))
    out.update(
        total=total,
        sparsity=1.0 - out["kept"] / total,
        reproducible=_reproducible_kernels(),
        dense_seconds=dense_seconds,
        seconds=time.perf_counter() - start,
    )
    return out


def run_width_sweep(
    sweep: WidthSweep, store, *, n_jobs: int = 1, progress: bool = True, data_dir=None, backend=None, scheduler=None
) -> list:
    """Run every configuration of ``sweep`` that ``store`` does not hold yet; return the table.

    Two stages through :func:`pruning_lab.runs.run_sweep`: first the
    dense runs (each trains and checkpoints one dense model per width and
    seed, in parallel with ``n_jobs``), then the pruned runs, which load
    those checkpoints.  An interrupted sweep keeps every finished run and
    every finished dense model.

    Parameters
    ----------
    sweep : WidthSweep
        The sweep.
    store : pruning_lab.runs.RunStore or str
        Where finished runs and dense checkpoints are kept (a directory is opened as a store).
    n_jobs : int
        Worker processes (1: run in this process; -1: one per CPU).
    progress : bool
        Show ``tqdm`` bars over the runs.
    data_dir : str, optional
        The CIFAR-10 directory (see :func:`pruning_lab.data.load_cifar10`).
    backend, scheduler
        Where the runs execute (``"dask"`` and a scheduler address: on a Dask cluster whose
        workers see ``store``); see :func:`pruning_lab.runs.run_sweep`.

    Returns
    -------
    list of dict
        One flat dict (configuration fields and results) per configuration of
        :meth:`~pruning_lab.nn.sweeps.config.WidthSweep.configs`, in that order.
    """
    if not isinstance(sweep, WidthSweep):
        raise ValueError(f"sweep must be a WidthSweep, got {type(sweep).__name__}")
    if not isinstance(store, RunStore):
        store = RunStore(store)
    configs = sweep.configs()
    data_dir = None if data_dir is None else str(data_dir)
    run = functools.partial(run_width_point, store=store, data_dir=data_dir)
    where = {"backend": backend, "scheduler": scheduler}
    # stage 1: the dense model of every (width, seed) that a run needs, each trained and checkpointed once
    dense_runs = {}
    for c in configs:
        dense_runs.setdefault(canonical_config(c.dense_key()), c.dense_run())
    if "dense" in sweep.strategies:  # the dense runs are part of the sweep: run them first, in parallel
        run_sweep(list(dense_runs.values()), run, store, n_jobs=n_jobs, progress=progress, **where)
    else:  # train (and checkpoint) the missing dense models without storing runs
        for c in dense_runs.values():
            if not store.artifact_path(c.dense_key(), ".pt").is_file():
                _dense_model(c, store, *_dataset(c.dataset, data_dir, c.n_train, c.n_test))
    return run_sweep(configs, run, store, n_jobs=n_jobs, progress=progress, **where)
