r"""Width sweeps of networks: train wide, prune to a small model's size, retrain, compare.

The network experiment of Chang, Li, Oymak & Thrampoulidis (2021) (the distributional
characterization paper, section 3.3 and appendix A.1-A.2): models of growing
width :math:`k` are trained densely, then pruned to exactly the number
:math:`s` of prunable weights (weights of the ``nn.Linear``/``nn.Conv``
layers) of a fixed small *base* model of width :math:`k_0`,

.. math:: s = \#\{\text{prunable weights of the width-}k_0\text{ model}\},\qquad
          \|m\|_0 = s \ \text{ for every width } k \ge k_0,

by global magnitude pruning (one threshold on :math:`|W|` over all layers),
layer-wise magnitude pruning (the same fraction :math:`s/N_k` kept in every
layer), or uniformly random masks at the same sparsity; each pruned model is
evaluated as is and after retraining with its mask in force.  Used in the
chapters "Pruning networks on MNIST" and "ResNet-20 and CIFAR-10".

A sweep is a :class:`WidthSweep`; :meth:`WidthSweep.configs` expands it into
one run configuration per width x strategy x retrain x seed, and
:func:`run_width_sweep` runs them through
:func:`pruning_lab.runs.run_sweep`, storing every finished run.  The
dense model of a (width, seed) is trained once and checkpointed in the
store's directory (``torch.save`` to a temporary file, then ``os.replace``),
so the pruned variants, and a sweep resumed after an interruption, reuse it.
:data:`SWEEPS` names the sweeps of the book at a ``"book"`` scale (CPU,
minutes) and a ``"full"`` scale (the widths of the paper's figures; hours on a
GPU).  Deviation from the paper: training uses SGD with momentum and a cosine
schedule (:func:`pruning_lab.nn.train.train_classifier`), not Adam; the
paper's exact recipe and base widths were not recovered, so the ``"full"``
settings are our reconstruction.
"""

from __future__ import annotations

import dataclasses
import functools
import math
import time
from dataclasses import dataclass

import numpy as np
import torch

from .. import data as _data
from ..runs import RunStore, atomic_write, canonical_config, run_sweep
from ..validation import check_int, check_nonnegative
from . import masks as _masks
from .models import build_model, count_parameters, mlp_weight_count, resnet20_weight_count
from .train import LR_SCHEDULES, evaluate, train_classifier, zero_pruned_weights
from .transforms import random_crop_flip

__all__ = ["DATASETS", "STRATEGIES", "SWEEPS", "WidthSweep", "dense_config", "get_sweep", "layerwise_counts",
           "run_width_point", "run_width_sweep", "width_sweep_masks"]

STRATEGIES = ("dense", "global", "layerwise", "random")
DATASETS = {"mnist": {"in_features": 784, "in_channels": 1}, "mnist32": {"in_features": 3072, "in_channels": 3},
            "cifar10": {"in_features": 3072, "in_channels": 3}}
_MODELS = ("fc2", "lenet300100", "resnet20")
_TRAINING_KEYS = ("model", "dataset", "width", "seed", "epochs", "lr", "batch_size", "momentum", "weight_decay",
                  "lr_schedule", "augment", "n_train", "n_test", "device")


def _tuple_of(values, name, check):
    if isinstance(values, (str, bytes)) or not hasattr(values, "__iter__"):
        raise ValueError(f"{name} must be a non-empty list, got {values!r}")
    values = tuple(check(v) for v in values)
    if not values or len(set(values)) != len(values):
        raise ValueError(f"{name} must be a non-empty list without repeats, got {list(values)}")
    return values


@dataclass(frozen=True)
class WidthSweep:
    """A width sweep: which models, data, widths, pruning strategies, seeds and training recipe.

    Attributes
    ----------
    name : str
        Name of the sweep (stored in every run configuration).
    model : str
        Model name of :func:`pruning_lab.nn.models.build_model` (``"fc2"``, ``"lenet300100"``, ``"resnet20"``).
    dataset : str
        ``"mnist"`` (784 pixels), ``"mnist32"`` (the 3x32x32 stand-in) or ``"cifar10"``.
    widths : tuple of int
        Widths of the dense models.
    base_width : int
        Width of the base model whose prunable-weight count is the pruning target :math:`s`.
    strategies : tuple of str
        Among ``"dense"`` (the dense model itself), ``"global"``, ``"layerwise"``, ``"random"``.
    retrain : tuple of bool
        Evaluate the pruned models without (``False``) and/or with (``True``) retraining.
    seeds : tuple of int
        Seeds of initialisation, minibatch order and random masks.
    epochs, retrain_epochs : int
        Epochs of dense training and of retraining.
    lr, momentum, weight_decay : float
        SGD recipe of :func:`pruning_lab.nn.train.train_classifier` (also for retraining).
    batch_size : int
        Minibatch size.
    lr_schedule : str
        ``"constant"`` or ``"cosine"``.
    augment : bool
        Random crops and flips (:func:`pruning_lab.nn.transforms.random_crop_flip`) for image data.
    n_train : int or None
        Train on a stratified subset of this many training examples (``None``: all).
    n_test : int or None
        Evaluate on a stratified subset of this many test examples (``None``: all).
    device : str
        ``"cpu"`` or ``"cuda"``.
    scale : str
        Label of the size of the sweep (``"book"``, ``"full"``, ...), stored in the configurations.
    """

    name: str
    model: str
    dataset: str
    widths: tuple
    base_width: int
    strategies: tuple = ("dense", "global", "random")
    retrain: tuple = (False, True)
    seeds: tuple = (0,)
    epochs: int = 20
    lr: float = 0.05
    batch_size: int = 128
    momentum: float = 0.9
    weight_decay: float = 0.0
    retrain_epochs: int = 10
    lr_schedule: str = "cosine"
    augment: bool = False
    n_train: int | None = None
    n_test: int | None = None
    device: str = "cpu"
    scale: str = "custom"

    def __post_init__(self):
        for key in ("name", "scale"):
            if not isinstance(getattr(self, key), str) or not getattr(self, key):
                raise ValueError(f"{key} must be a non-empty string, got {getattr(self, key)!r}")
        if self.model not in _MODELS:
            raise ValueError(f"model must be one of {', '.join(_MODELS)}, got {self.model!r}")
        if self.dataset not in DATASETS:
            raise ValueError(f"dataset must be one of {', '.join(DATASETS)}, got {self.dataset!r}")
        if self.model == "resnet20" and self.dataset == "mnist":
            raise ValueError("resnet20 needs image data: use dataset 'mnist32' or 'cifar10', not 'mnist'")
        set_ = functools.partial(object.__setattr__, self)
        set_("widths", _tuple_of(self.widths, "widths", lambda w: check_int(w, "every width")))
        set_("base_width", check_int(self.base_width, "base_width"))

        def strategy(s):
            if s not in STRATEGIES:
                raise ValueError(f"every strategy must be one of {', '.join(STRATEGIES)}, got {s!r}")
            return s

        def flag(b):
            if not isinstance(b, (bool, np.bool_)):
                raise ValueError(f"retrain must list booleans, got {b!r}")
            return bool(b)

        set_("strategies", _tuple_of(self.strategies, "strategies", strategy))
        set_("retrain", _tuple_of(self.retrain, "retrain", flag))
        set_("seeds", _tuple_of(self.seeds, "seeds", lambda s: check_int(s, "every seed", 0)))
        for key, low in (("epochs", 1), ("retrain_epochs", 0), ("batch_size", 1)):
            set_(key, check_int(getattr(self, key), key, low))
        if isinstance(self.lr, bool) or not isinstance(self.lr, (int, float)) or not math.isfinite(self.lr) \
                or self.lr <= 0:
            raise ValueError(f"lr must be a finite number > 0, got {self.lr!r}")
        set_("lr", float(self.lr))
        set_("momentum", check_nonnegative(self.momentum, "momentum"))
        if self.momentum >= 1:
            raise ValueError(f"momentum must lie in [0, 1), got {self.momentum}")
        set_("weight_decay", check_nonnegative(self.weight_decay, "weight_decay"))
        if self.lr_schedule not in LR_SCHEDULES:
            raise ValueError(f"lr_schedule must be one of {', '.join(LR_SCHEDULES)}, got {self.lr_schedule!r}")
        if not isinstance(self.augment, bool):
            raise ValueError(f"augment must be True or False, got {self.augment!r}")
        if self.augment and self.dataset == "mnist":
            raise ValueError("augment (random crops and flips) needs image data; dataset 'mnist' is flat")
        for key in ("n_train", "n_test"):
            if getattr(self, key) is not None:
                set_(key, check_int(getattr(self, key), key, 10))
        if self.device not in ("cpu", "cuda"):
            raise ValueError(f"device must be 'cpu' or 'cuda', got {self.device!r}")

    def replace(self, **changes) -> "WidthSweep":
        """A copy with some fields changed (checked again)."""
        return dataclasses.replace(self, **changes)

    def prunable_count(self, width: int) -> int:
        """Number of prunable weights of the model of this ``width`` (Linear/Conv weights)."""
        return _prunable_count(self.model, self.dataset, check_int(width, "width"))

    @property
    def target(self) -> int:
        """The pruning target :math:`s`: prunable weights of the base model."""
        return self.prunable_count(self.base_width)

    def configs(self) -> list:
        """One run configuration per width x strategy x retrain x seed.

        ``"dense"`` gives one configuration per (width, seed) (no retraining);
        the pruning strategies are expanded only for widths whose model has at
        least :attr:`target` prunable weights.  Configurations without
        retraining carry ``retrain_epochs = 0``.
        """
        common = {f.name: getattr(self, f.name) for f in dataclasses.fields(self)
                  if f.name not in ("name", "widths", "strategies", "retrain", "seeds")}
        common["sweep"], target, out = self.name, self.target, []
        for width in self.widths:
            total = self.prunable_count(width)
            for strategy in self.strategies:
                if strategy != "dense" and total < target:
                    continue
                for retrain in (False,) if strategy == "dense" else self.retrain:
                    for seed in self.seeds:
                        out.append({**common, "width": width, "strategy": strategy, "retrain": retrain,
                                    "seed": seed, "target": target,
                                    "retrain_epochs": self.retrain_epochs if retrain else 0})
        return out

    def dense_trainings(self) -> int:
        """Number of dense models the sweep trains (one per width and seed)."""
        return len(self.widths) * len(self.seeds)


def _prunable_count(model, dataset, width):
    """Closed forms of :mod:`pruning_lab.nn.models` (no model is built)."""
    shape = DATASETS[dataset]
    if model == "fc2":
        return mlp_weight_count([shape["in_features"], width, 10])
    if model == "lenet300100":
        return mlp_weight_count([shape["in_features"], width, max(1, round(width / 3)), 10])
    return resnet20_weight_count(width, 10, shape["in_channels"])


def dense_config(config) -> dict:
    """The part of a run configuration that determines its dense model (the checkpoint's key)."""
    missing = [k for k in _TRAINING_KEYS if k not in config]
    if missing:
        raise ValueError(f"config lacks the training keys {missing}; build it with WidthSweep.configs()")
    return {"artifact": "dense-model", **{k: config[k] for k in _TRAINING_KEYS}}


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
    else:
        ds = _data.load_cifar10(data_dir)
    train, test = _subset(ds.y_train, n_train), _subset(ds.y_test, n_test)
    return ds.X_train[train], ds.y_train[train], ds.X_test[test], ds.y_test[test]


def layerwise_counts(sizes, keep: int) -> np.ndarray:
    r"""Kept counts per layer for the same fraction everywhere, summing exactly to ``keep``.

    Largest-remainder apportionment of :math:`s` = ``keep`` over layers of
    sizes :math:`n_l`: :math:`k_l = \lfloor s n_l / N\rfloor` plus one for
    the layers with the largest remainders :math:`s n_l / N - \lfloor s n_l/N\rfloor`
    (ties: earlier layer), until :math:`\sum_l k_l = s`; so
    :math:`|k_l - s n_l / N| < 1`.
    """
    sizes = np.asarray(sizes, dtype=np.int64)
    if sizes.ndim != 1 or sizes.size == 0 or np.any(sizes < 1):
        raise ValueError(f"sizes must be a non-empty list of positive layer sizes, got {sizes.tolist()}")
    total = int(sizes.sum())
    keep = check_int(keep, "keep", 0, total)
    exact = sizes * keep  # s n_l (integers: the remainders below are exact)
    counts = exact // total
    order = np.argsort(-(exact % total), kind="stable")
    counts[order[: keep - int(counts.sum())]] += 1
    return counts


def width_sweep_masks(model, strategy: str, keep: int, seed: int = 0) -> dict:
    """Masks keeping ``keep`` prunable weights of ``model`` by ``strategy`` (``"global"``, ``"layerwise"``, ``"random"``).

    ``"global"``: :func:`pruning_lab.nn.masks.global_magnitude_masks` with
    ``keep``; ``"layerwise"``: :func:`pruning_lab.nn.masks.layerwise_magnitude_masks`
    with the per-layer counts of :func:`layerwise_counts`; ``"random"``:
    :func:`pruning_lab.nn.masks.random_masks` at sparsity :math:`1 - s/N`
    (a uniformly random set of :math:`N - \\mathrm{round}((1 - s/N)N) = s`
    weights), seeded with ``seed``.

    Returns
    -------
    dict of str to torch.BoolTensor
    """
    params = _masks.prunable_parameters(model)
    total = sum(p.numel() for p in params.values())
    keep = check_int(keep, "keep", 0, total)
    if strategy == "global":
        return _masks.global_magnitude_masks(model, keep=keep)
    if strategy == "layerwise":
        counts = layerwise_counts([p.numel() for p in params.values()], keep)
        return _masks.layerwise_magnitude_masks(model, keep={n: int(c) for n, c in zip(params, counts)})
    if strategy == "random":
        return _masks.random_masks(model, (total - keep) / total, generator=check_int(seed, "seed", 0))
    raise ValueError(f"strategy must be 'global', 'layerwise' or 'random' to build masks, got {strategy!r}")


def _train(model, X, y, config, epochs, masks=None):
    return train_classifier(
        model, X, y, epochs=epochs, lr=config["lr"], batch_size=config["batch_size"],
        momentum=config["momentum"], weight_decay=config["weight_decay"], seed=config["seed"], masks=masks,
        transform=random_crop_flip if config["augment"] else None, lr_schedule=config["lr_schedule"],
        device=config["device"])


def _dense_model(config, store, X, y, Xt, yt):
    """``(model, seconds, metrics)`` of the trained dense model: from its checkpoint, or trained and checkpointed."""
    key = dense_config(config)
    shape = DATASETS[config["dataset"]]
    model = build_model(config["model"], config["width"], in_channels=shape["in_channels"],
                        in_features=shape["in_features"], seed=config["seed"])
    path = None if store is None else store.artifact_path(key, ".pt")
    if path is not None and path.is_file():
        saved = torch.load(path, map_location="cpu", weights_only=True)
        if saved.get("config") != canonical_config(key):
            raise ValueError(f"checkpoint {path.name} belongs to another configuration; delete it")
        model.load_state_dict(saved["state_dict"])
        return model.to(config["device"]).eval(), saved["seconds"], saved["metrics"]
    start = time.perf_counter()
    _train(model, X, y, config, config["epochs"])
    seconds = time.perf_counter() - start
    metrics = _metrics(model, X, y, Xt, yt)
    if path is not None:
        state = {k: v.detach().cpu() for k, v in model.state_dict().items()}
        with atomic_write(path) as tmp:
            torch.save({"config": canonical_config(key), "state_dict": state, "seconds": seconds,
                        "metrics": metrics}, tmp)
    return model, seconds, metrics


def _metrics(model, X, y, Xt, yt, prefix=""):
    train, test = evaluate(model, X, y), evaluate(model, Xt, yt)
    return {f"{prefix}train_error": train["error"], f"{prefix}train_loss": train["loss"],
            f"{prefix}test_error": test["error"], f"{prefix}test_loss": test["loss"]}


def run_width_point(config, *, store=None, data_dir=None) -> dict:
    """One run of a width sweep: train (or load) the dense model, prune to the target, retrain, evaluate.

    For ``strategy="dense"`` the dense model itself is evaluated.  Otherwise
    its prunable weights are pruned to exactly ``config["target"]`` kept
    (:func:`width_sweep_masks`), the pruned model is evaluated (``pruned_*``
    keys), and with ``retrain`` it is trained again for ``retrain_epochs``
    with the masks in force (``train_classifier(..., masks=...)``, starting
    from the pruned dense weights) and evaluated once more.

    Parameters
    ----------
    config : dict
        A configuration of :meth:`WidthSweep.configs`.
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
        run) and ``dense_seconds`` (training time of the dense model).
    """
    if not isinstance(config, dict):
        raise ValueError(f"config must be a dict from WidthSweep.configs(), got {type(config).__name__}")
    required = set(_TRAINING_KEYS) | {"strategy", "retrain", "retrain_epochs", "target"}
    if not required <= set(config):
        raise ValueError(f"config lacks the keys {sorted(required - set(config))}; build it with WidthSweep.configs()")
    if store is not None and not isinstance(store, RunStore):
        raise ValueError(f"store must be a RunStore or None, got {type(store).__name__}")
    if config["device"] == "cuda" and not torch.cuda.is_available():
        raise ValueError("device 'cuda' was requested but torch finds no CUDA device; use device='cpu'")
    start = time.perf_counter()
    X, y, Xt, yt = _dataset(config["dataset"], None if data_dir is None else str(data_dir), config["n_train"],
                            config["n_test"])
    model, dense_seconds, dense = _dense_model(config, store, X, y, Xt, yt)
    out = {"dense_train_error": dense["train_error"], "dense_test_error": dense["test_error"]}
    total = count_parameters(model, prunable_only=True)
    if config["strategy"] == "dense":
        out.update(dense, kept=total)
    else:
        masks = width_sweep_masks(model, config["strategy"], config["target"], config["seed"])
        zero_pruned_weights(model, masks)
        pruned = _metrics(model, X, y, Xt, yt, "pruned_")
        out.update(pruned, kept=_masks.count_kept(masks)[1])
        if config["retrain"] and config["retrain_epochs"] > 0:
            _train(model, X, y, config, config["retrain_epochs"], masks=masks)
            out.update(_metrics(model, X, y, Xt, yt))
        else:
            out.update({k.removeprefix("pruned_"): v for k, v in pruned.items()})
    out.update(total=total, sparsity=1.0 - out["kept"] / total, dense_seconds=dense_seconds,
               seconds=time.perf_counter() - start)
    return out


def run_width_sweep(sweep, store, *, n_jobs: int = 1, progress: bool = True, data_dir=None) -> list:
    """Run every configuration of ``sweep`` that ``store`` does not hold yet; return the table.

    Two stages through :func:`pruning_lab.runs.run_sweep`: first the
    dense runs (each trains and checkpoints one dense model per width and
    seed, in parallel with ``n_jobs``), then the pruned runs, which load
    those checkpoints.  An interrupted sweep keeps every finished run and
    every finished dense model.

    Returns
    -------
    list of dict
        One flat dict (configuration and results) per configuration of
        :meth:`WidthSweep.configs`, in that order.
    """
    if not isinstance(sweep, WidthSweep):
        raise ValueError(f"sweep must be a WidthSweep, got {type(sweep).__name__}")
    if not isinstance(store, RunStore):
        store = RunStore(store)
    configs = sweep.configs()
    run = functools.partial(run_width_point, store=store, data_dir=None if data_dir is None else str(data_dir))
    # stage 1: the dense model of every (width, seed) that a run needs, each trained and checkpointed once
    dense_runs = {}
    for c in configs:
        dense_runs.setdefault(canonical_config(dense_config(c)),
                              {**c, "strategy": "dense", "retrain": False, "retrain_epochs": 0})
    if "dense" in sweep.strategies:  # the dense runs are part of the sweep: run them first, in parallel
        run_sweep(list(dense_runs.values()), run, store, n_jobs=n_jobs, progress=progress)
    else:  # train (and checkpoint) the missing dense models without storing runs
        for c in dense_runs.values():
            if not store.artifact_path(dense_config(c), ".pt").is_file():
                _dense_model(c, store, *_dataset(c["dataset"], run.keywords["data_dir"], c["n_train"], c["n_test"]))
    return run_sweep(configs, run, store, n_jobs=n_jobs, progress=progress)


def _sweep(name, scale, **fields):
    return WidthSweep(name=name, scale=scale, **fields)


_MNIST = dict(model="fc2", dataset="mnist", strategies=("dense", "global", "layerwise", "random"))
_RESNET = dict(model="resnet20", strategies=("dense", "global", "random"), momentum=0.9, lr_schedule="cosine")
#: The named sweeps of the book, ``SWEEPS[name][scale]`` with scales ``"book"`` and ``"full"``.
SWEEPS = {
    # Fig. 6 of the paper: two-layer FC net on MNIST, widths 8..1024, base width 32 (our choice)
    "mnist-fc": {
        "book": _sweep("mnist-fc", "book", **_MNIST, widths=(16, 32, 64, 128, 256), base_width=16,
                       epochs=15, retrain_epochs=5, lr=0.05, batch_size=128),
        "full": _sweep("mnist-fc", "full", **_MNIST, widths=(8, 16, 32, 64, 128, 256, 512, 1024), base_width=32,
                       seeds=(0, 1, 2), epochs=60, retrain_epochs=30, lr=0.05, batch_size=128),
    },
    # Figs. 1 and 5: ResNet-20 of growing width on CIFAR-10, pruned to the width-8 count
    "resnet20-cifar10": {
        "book": _sweep("resnet20-cifar10", "book", **_RESNET, dataset="cifar10", widths=(4, 8, 16), base_width=4,
                       epochs=4, retrain_epochs=2, lr=0.1, weight_decay=5e-4, batch_size=128, n_train=5000,
                       augment=True),
        "full": _sweep("resnet20-cifar10", "full", **_RESNET, dataset="cifar10",
                       widths=(4, 6, 8, 12, 16, 24, 32, 48, 64), base_width=8, epochs=160, retrain_epochs=40,
                       lr=0.1, weight_decay=5e-4, batch_size=128, augment=True),
    },
    # the same pipeline on the MNIST-as-3x32x32 stand-in (no download needed)
    "resnet20-mnist32": {
        "book": _sweep("resnet20-mnist32", "book", **_RESNET, dataset="mnist32", widths=(2, 4, 8), base_width=2,
                       epochs=5, retrain_epochs=2, lr=0.05, weight_decay=5e-4, batch_size=64, n_train=2000,
                       n_test=500),
        "full": _sweep("resnet20-mnist32", "full", **_RESNET, dataset="mnist32",
                       widths=(2, 4, 6, 8, 12, 16, 24, 32), base_width=4, seeds=(0, 1, 2), epochs=60,
                       retrain_epochs=20, lr=0.1, weight_decay=5e-4, batch_size=128, augment=True),
    },
}


def get_sweep(name: str, scale: str = "book") -> WidthSweep:
    """The named sweep ``SWEEPS[name][scale]``; ValueError listing the names for an unknown one."""
    if name not in SWEEPS:
        raise ValueError(f"unknown sweep {name!r}; expected one of {', '.join(SWEEPS)}")
    if scale not in SWEEPS[name]:
        raise ValueError(f"unknown scale {scale!r} for sweep {name!r}; expected one of {', '.join(SWEEPS[name])}")
    return SWEEPS[name][scale]
