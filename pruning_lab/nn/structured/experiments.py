r"""The experiments of the chapter :doc:`/book/pruning_speed`: smaller networks by pruning, or trained small?

A run starts from a trained dense model of a width sweep (:mod:`pruning_lab.nn.sweeps`: the same
data, recipe and dense checkpoints as the chapters :doc:`/book/pruning_mnist` and
:doc:`/book/resnet_cifar`) and prunes it in one of two ways:

- ``kind="structured"``: every group of neurons or channels keeps the fraction ``fraction`` of its
  units (:func:`~pruning_lab.nn.structured.importance.keep_sets`, criterion ``method``: ``"l1"``,
  ``"l2"``, ``"bn"``, ``"taylor"`` (gradients on 512 training examples), ``"attention"`` (fully
  connected networks: SA++-style unit attention trained on the training set,
  :func:`~pruning_lab.nn.structured.attention.attention_scores`), or ``"random"``, a seeded
  uniformly random keep-set: the control that tells whether the criterion matters); the units are physically removed
  (:func:`~pruning_lab.nn.structured.surgery.remove_structured`), and the *smaller network* is
  retrained for ``retrain_epochs`` epochs by the sweep's recipe.  Training the small network is
  training the masked one: the removed units contribute exactly zero to every output, so the
  kept weights see the same gradients (up to the order of floating-point sums).
- ``kind="unstructured"``: global magnitude pruning keeps the fraction ``fraction`` of the prunable
  weights, ``method="oneshot"`` (prune, then ``retrain_epochs`` epochs with the mask) or
  ``method="gradual"`` (the same epochs and learning-rate schedule, the sparsity rising on the cubic
  schedule of Zhu & Gupta, :func:`pruning_lab.nn.gradual.cubic_sparsity`, at the end of epochs
  :math:`1, \dots, R-1`; the last epoch trains at the final mask).  The network keeps its size;
  only a sparse kernel can turn the zeros into time (:mod:`pruning_lab.nn.sparse_linear`).

Every run records the test error before and after retraining, the parameters, MACs and bytes of
the result, and (structured) the architecture of the smaller network, so that its latency can be
measured later on any machine.  The dense model was trained ``epochs`` epochs and the pruned one
``retrain_epochs`` more: the budget of the sweep's budget-matched dense runs (``retrain=True``),
which are the *trained-small* baselines of the chapter.  ``python -m pruning_lab structured NAME``
runs an experiment of :data:`STRUCTURED_EXPERIMENTS` through a :class:`pruning_lab.runs.RunStore`.
"""

from __future__ import annotations

import copy
import functools
import json
import time
from dataclasses import dataclass

import numpy as np
import torch

from ...runs import RunStore, run_sweep
from ...validation import check_int
from .. import masks as _masks
from ..gradual import _nested_magnitude_masks, cubic_sparsity
from ..measure import count_params, macs, model_bytes
from ..sweeps import get_sweep
from ..sweeps.config import DATASETS, recipe_of
from ..sweeps.run import _dataset, _dense_model, _follow_the_driver, _metrics, _reproducible_kernels
from ..train import train_classifier, zero_pruned_weights
from .importance import CRITERIA, keep_count, keep_sets
from .layout import channel_layout
from .surgery import architecture_spec, remove_structured, structured_masks

__all__ = [
    "KINDS",
    "METHODS",
    "STRUCTURED_EXPERIMENTS",
    "StructuredRunConfig",
    "experiment_configs",
    "frontier",
    "random_keep_sets",
    "run_structured_experiment",
    "run_structured_point",
]

#: The two ways of pruning of a run.
KINDS = ("structured", "unstructured")
#: The methods of each kind, the criteria of the keep-sets (and ``"random"``) or the schedules.
METHODS = {"structured": (*CRITERIA, "random"), "unstructured": ("oneshot", "gradual")}

_TAYLOR_BATCH = 512  # training examples of the first-order Taylor scores


@dataclass(frozen=True)
class StructuredRunConfig:
    """One run (made by :func:`experiment_configs`); its fields are its key in a run store.

    Attributes
    ----------
    experiment : str
        Name of the experiment (a key of :data:`STRUCTURED_EXPERIMENTS`, or any label).
    sweep : str
        The named width sweep (:func:`pruning_lab.nn.sweeps.get_sweep`) whose model, data,
        training recipe and dense checkpoints are used.
    scale : str
        Its scale (``"book"``).
    width : int
        Width of the trained dense model that is pruned.
    seed : int
        Seed of that dense model (and of a random keep-set).
    kind : str
        ``"structured"`` or ``"unstructured"`` (module docstring).
    method : str
        A criterion of :data:`~pruning_lab.nn.structured.importance.CRITERIA` or ``"random"``
        (structured); ``"oneshot"`` or ``"gradual"`` (unstructured).
    fraction : float
        Fraction kept, in :math:`(0, 1]`: of every group's units (structured) or of the prunable
        weights (unstructured).
    retrain_epochs : int
        Epochs of retraining by the sweep's recipe (at least 1).
    """

    experiment: str
    sweep: str
    scale: str
    width: int
    seed: int
    kind: str
    method: str
    fraction: float
    retrain_epochs: int

    def __post_init__(self):
        for name in ("experiment", "sweep", "scale"):
            if not isinstance(getattr(self, name), str) or not getattr(self, name):
                raise ValueError(f"{name} must be a non-empty string, got {getattr(self, name)!r}")
        if self.kind not in KINDS:
            raise ValueError(f"kind must be one of {', '.join(KINDS)}, got {self.kind!r}")
        if self.method not in METHODS[self.kind]:
            raise ValueError(
                f"method of kind {self.kind!r} must be one of {', '.join(METHODS[self.kind])}, got {self.method!r}"
            )
        fraction = self.fraction
        if isinstance(fraction, bool) or not isinstance(fraction, (int, float)) or not 0 < float(fraction) <= 1:
            raise ValueError(f"fraction (kept) must be a number in (0, 1], got {fraction!r}")
        object.__setattr__(self, "fraction", float(fraction))
        check_int(self.width, "width")
        check_int(self.seed, "seed", 0)
        check_int(self.retrain_epochs, "retrain_epochs")
        if self.kind == "unstructured" and self.method == "gradual" and self.retrain_epochs < 2:
            raise ValueError(
                f"a gradual run needs retrain_epochs >= 2 (pruning steps, then training), got {self.retrain_epochs}"
            )

    def width_run(self):
        """The width-sweep run of the dense model (:class:`~pruning_lab.nn.sweeps.WidthRunConfig`)."""
        sweep = get_sweep(self.sweep, self.scale)
        sweep = sweep.replace(widths=(self.width,), seeds=(self.seed,), strategies=("dense",), retrain=(False,))
        (config,) = sweep.configs()
        return config


#: The experiments of the chapter :doc:`/book/pruning_speed` (``python -m pruning_lab structured NAME``).
#: ``runs`` lists ``(kind, method, fraction)``; the trained-small baselines are the budget-matched dense
#: runs of the same sweep at the smaller widths (same store).
STRUCTURED_EXPERIMENTS = {
    "mnist-fc": dict(
        sweep="mnist-fc",
        scale="book",
        width=256,
        seeds=(0, 1, 2),
        retrain_epochs=5,
        runs=tuple(
            [("structured", m, k) for m in ("l1", "taylor", "attention", "random") for k in (0.5, 0.25, 0.125, 0.0625)]
            + [("unstructured", m, k) for m in ("oneshot", "gradual") for k in (0.1, 0.05, 0.02)]
        ),
    ),
    "resnet20-fashion32": dict(
        sweep="resnet20-fashion32",
        scale="book",
        width=10,
        seeds=(0, 1, 2),
        retrain_epochs=8,
        runs=tuple(
            [("structured", m, k) for m in ("l1", "random") for k in (0.8, 0.5, 0.3)]
            + [("structured", m, 0.5) for m in ("bn", "taylor")]
        ),
    ),
}


def experiment_configs(name: str, *, seeds=None) -> list:
    """The :class:`StructuredRunConfig` of every run of the experiment ``name`` (optionally other ``seeds``)."""
    if name not in STRUCTURED_EXPERIMENTS:
        raise ValueError(f"name must be one of {', '.join(STRUCTURED_EXPERIMENTS)}, got {name!r}")
    spec = STRUCTURED_EXPERIMENTS[name]
    seeds = spec["seeds"] if seeds is None else tuple(check_int(s, "every seed", 0) for s in seeds)
    return [
        StructuredRunConfig(
            name, spec["sweep"], spec["scale"], spec["width"], seed, kind, method, fraction, spec["retrain_epochs"]
        )
        for kind, method, fraction in spec["runs"]
        for seed in seeds
    ]


def random_keep_sets(model, fraction: float, seed: int) -> dict:
    """Uniformly random keep-sets of the groups of ``model``, as many units as the criteria keep, seeded.

    Each group keeps :func:`~pruning_lab.nn.structured.importance.keep_count` units, sorted.

    The control of the criteria: the same number of units per group as
    :func:`~pruning_lab.nn.structured.importance.keep_sets`, chosen without looking at the weights.
    """
    seed = check_int(seed, "seed", 0)
    layout = channel_layout(model)
    gen = torch.Generator().manual_seed(seed)
    kept = {}
    sizes = layout.group_sizes()
    for group in layout.groups:
        n = sizes[group]
        kept[group] = torch.sort(torch.randperm(n, generator=gen)[: keep_count(n, fraction)]).values
    return kept


def _input_shape(dataset):
    info = DATASETS[dataset]
    return (info["in_channels"], 32, 32) if info["image"] else (info["in_features"],)


def _sizes(model, shape, prefix, *, nonzero=False):
    total, _ = macs(model, shape, nonzero=nonzero)
    return {
        f"{prefix}params": count_params(model, nonzero=nonzero),
        f"{prefix}macs": int(total),
        f"{prefix}bytes": model_bytes(model),
    }


def _structured(config, model, recipe, X, y, Xt, yt, shape):
    if config.method == "random":
        kept = random_keep_sets(model, config.fraction, config.seed)
    else:
        n = min(_TAYLOR_BATCH, len(y))
        data = None
        if config.method == "taylor":  # the gradient on one batch
            data = (torch.as_tensor(X[:n]), torch.as_tensor(y[:n]))
        elif config.method == "attention":  # attention logits trained on the training set
            data = (torch.as_tensor(X), torch.as_tensor(y))
        kept = keep_sets(model, config.fraction, config.method, data=data)
    masked = zero_pruned_weights(copy.deepcopy(model), structured_masks(model, kept)).eval()
    small = remove_structured(model, kept).eval()
    probe = torch.as_tensor(Xt[:64])
    with torch.no_grad():
        reference = masked(probe)
        gap = float((small(probe) - reference).abs().max() / reference.abs().max().clamp_min(1e-12))
    out = {"equivalence_error": gap, **_metrics(small, X, y, Xt, yt, "pruned_")}
    train_classifier(small, X, y, recipe)
    out.update(_metrics(small, X, y, Xt, yt))
    out.update(
        _sizes(small, shape, ""), spec=json.dumps(architecture_spec(small), sort_keys=True), input_shape=list(shape)
    )
    return out


def _unstructured(config, model, recipe, X, y, Xt, yt, shape):
    prunable = _masks.prunable_parameters(model)
    total = sum(w.numel() for w in prunable.values())
    keep = max(1, round(config.fraction * total))
    if config.method == "oneshot":
        masks = _masks.strategy_masks(model, "global", keep=keep)
        zero_pruned_weights(model, masks)
        out = _metrics(model, X, y, Xt, yt, "pruned_")
        train_classifier(model, X, y, recipe, masks=masks)
    else:
        out = _gradual(config, model, recipe, X, y, total - keep, total)
        masks = out.pop("masks")
    out.update(_metrics(model, X, y, Xt, yt))
    out.update(_sizes(model, shape, ""))
    out.update(_sizes(model, shape, "nonzero_", nonzero=True), kept=_masks.count_kept(masks)[1])
    return out


def _gradual(config, model, recipe, X, y, removed, total):
    """Masked training whose masks shrink at the end of epochs 1..R-1 on the cubic schedule (one lr schedule)."""
    params = _masks.prunable_parameters(model)
    # float masks of the parameters' dtype: train_classifier uses these very tensors, so an
    # in-place update at the end of an epoch is in force for the next epoch's steps
    live = {name: torch.ones_like(w) for name, w in params.items()}
    last = recipe.epochs - 1
    history = []

    def prune_step(epoch, net, _optimizer):
        if epoch > last:
            return
        sparsity = cubic_sparsity(epoch, start=0, end=last, final=removed / total)
        if epoch == last:  # exactly the one-shot run's number of kept weights at the end
            sparsity = removed / total
        current = {name: m.bool() for name, m in live.items()}
        new = _nested_magnitude_masks(net, current, "global", sparsity)
        with torch.no_grad():
            for name, m in live.items():
                m.copy_(new[name].to(m.dtype))
        zero_pruned_weights(net, new)
        history.append(_masks.mask_sparsity(new))

    train_classifier(model, X, y, recipe, masks=live, on_epoch_end=prune_step)
    masks = {name: m.bool() for name, m in live.items()}
    # the mask in force must be the last one: the pruned weights stayed exactly zero
    if any(bool((w.detach()[~masks[name]] != 0).any()) for name, w in params.items()):
        raise RuntimeError("gradual pruning: a pruned weight is not zero after training (masks not in force)")
    return {"masks": masks, "schedule": history}


def run_structured_point(config: StructuredRunConfig, *, store=None, data_dir=None) -> dict:
    """One run: load (or train) the dense model, prune it by ``config``, retrain, measure.

    Parameters
    ----------
    config : StructuredRunConfig
        The run.
    store : pruning_lab.runs.RunStore, optional
        Where the dense model's checkpoint is kept (that of the width sweep's dense run; ``None``:
        train it).
    data_dir : str, optional
        The CIFAR-10 directory (see :func:`pruning_lab.data.load_cifar10`).

    Returns
    -------
    dict
        ``test_error``, ``test_loss``, ``train_error``, ``train_loss`` after retraining and
        ``pruned_*`` before it; ``params``, ``macs``, ``bytes`` of the result (unstructured: also
        ``nonzero_params``, ``nonzero_macs`` and ``kept``); ``dense_params``, ``dense_macs``,
        ``dense_bytes``, ``dense_test_error``; structured: ``spec`` (the architecture of the
        smaller network, :func:`~pruning_lab.nn.structured.surgery.architecture_spec` as a JSON
        string), ``input_shape`` and ``equivalence_error`` (largest output difference between the
        smaller network and the masked dense one on 64 test inputs, relative to the largest
        output); unstructured gradual: ``schedule`` (sparsity after each pruning step);
        ``seconds``, ``reproducible``.
    """
    if not isinstance(config, StructuredRunConfig):
        raise ValueError(f"config must be a StructuredRunConfig, got {type(config).__name__}")
    if store is not None and not isinstance(store, RunStore):
        raise ValueError(f"store must be a RunStore or None, got {type(store).__name__}")
    _follow_the_driver()
    start = time.perf_counter()
    dense_config = config.width_run()
    X, y, Xt, yt = _dataset(
        dense_config.dataset, None if data_dir is None else str(data_dir), dense_config.n_train, dense_config.n_test
    )
    model, _, dense = _dense_model(dense_config, store, X, y, Xt, yt)
    model = model.cpu().eval()
    shape = _input_shape(dense_config.dataset)
    recipe = recipe_of(dense_config).replace(epochs=config.retrain_epochs)
    out = {"dense_test_error": dense["test_error"], **_sizes(model, shape, "dense_")}
    if config.kind == "structured":
        out.update(_structured(config, model, recipe, X, y, Xt, yt, shape))
    else:
        out.update(_unstructured(config, model, recipe, X, y, Xt, yt, shape))
    out.update(reproducible=_reproducible_kernels(), seconds=time.perf_counter() - start)
    return out


def run_structured_experiment(
    name: str,
    store,
    *,
    seeds=None,
    n_jobs: int = 1,
    progress: bool = True,
    data_dir=None,
    backend=None,
    scheduler=None,
) -> list:
    """Run every configuration of the experiment ``name`` that ``store`` does not hold yet; return the table.

    The dense checkpoints are read from (or written to) the same store, so the experiment shares
    its store with the width sweep whose dense runs are its trained-small baselines.

    Parameters
    ----------
    name : str
        A key of :data:`STRUCTURED_EXPERIMENTS`.
    store : pruning_lab.runs.RunStore or str
        Where finished runs and dense checkpoints are kept (a directory is opened as a store).
    seeds : sequence of int, optional
        Other seeds than the experiment's.
    n_jobs : int
        Worker processes (1: run in this process; -1: one per CPU).
    progress : bool
        Show a ``tqdm`` bar over the runs.
    data_dir : str, optional
        The CIFAR-10 directory (see :func:`pruning_lab.data.load_cifar10`).
    backend, scheduler
        Where the runs execute (see :func:`pruning_lab.runs.run_sweep`).

    Returns
    -------
    list of dict
        One flat dict (configuration and results) per run of :func:`experiment_configs`.
    """
    if not isinstance(store, RunStore):
        store = RunStore(store)
    configs = experiment_configs(name, seeds=seeds)
    data_dir = None if data_dir is None else str(data_dir)

    run = functools.partial(run_structured_point, store=store, data_dir=data_dir)
    return run_sweep(configs, run, store, n_jobs=n_jobs, progress=progress, backend=backend, scheduler=scheduler)


def _mean_se(values):
    v = np.asarray(values, dtype=float)
    return float(v.mean()), float(v.std(ddof=1) / np.sqrt(v.size)) if v.size > 1 else float("nan"), int(v.size)


def frontier(rows, name: str) -> list:
    """The points of the chapter's accuracy-size frontier of experiment ``name``: means over seeds.

    ``rows`` are the flat records of the experiment's store (:meth:`pruning_lab.runs.RunStore.table`):
    its runs and the width sweep's budget-matched dense runs (``strategy="dense"``,
    ``retrain=True``: trained from scratch for the same number of epochs as dense training plus
    retraining).  One point per

    - structured run ``(method, fraction)``: family ``"structured"``; ``params``, ``macs``, ``bytes``
      of the smaller network and its ``spec`` (that of seed 0's network; the sizes do not depend on
      the seed);
    - unstructured run ``(method, fraction)``: family ``"unstructured"``; ``params`` is the number of
      nonzero parameters, ``macs`` the MACs of a kernel that skips zeros, ``bytes`` those of
      the dense checkpoint, ``spec`` the dense network's (a dense kernel runs it at the dense
      speed);
    - width of the dense runs: family ``"scratch"`` (a width below the pruned one) or ``"dense"``
      (the pruned width itself), at the learning rate with the lowest mean test error among those
      stored (``lr``; chosen on the test set, which can only favour these baselines).

    Each point has ``test_error`` (mean), ``test_error_se`` (standard error over seeds, ``ddof=1``),
    ``n`` (seeds), ``seeds`` and ``errors`` (per seed, in seed order, for paired comparisons).
    """
    if name not in STRUCTURED_EXPERIMENTS:
        raise ValueError(f"name must be one of {', '.join(STRUCTURED_EXPERIMENTS)}, got {name!r}")
    spec = STRUCTURED_EXPERIMENTS[name]
    points = []
    source = StructuredRunConfig(name, spec["sweep"], spec["scale"], spec["width"], 0, "structured", "l1", 1.0, 1)
    source_spec = json.dumps(architecture_spec(source.width_run().build_model()), sort_keys=True)
    runs = [r for r in rows if r.get("experiment") == name]
    for kind, method, fraction in spec["runs"]:
        group = sorted(
            (r for r in runs if (r["kind"], r["method"], r["fraction"]) == (kind, method, fraction)), key=_seed
        )
        if not group:
            continue
        first = group[0]
        size = "" if kind == "structured" else "nonzero_"
        arch = first["spec"] if kind == "structured" else source_spec
        points.append(
            _point(
                kind,
                method,
                fraction,
                spec["width"],
                group,
                first[f"{size}params"],
                first[f"{size}macs"],
                first["bytes"],
                arch,
            )
        )
    dense = [r for r in rows if r.get("sweep") == spec["sweep"] and r.get("strategy") == "dense" and r.get("retrain")]
    for width in sorted({r["width"] for r in dense}):
        by_lr = {}
        for r in dense:
            if r["width"] == width:
                by_lr.setdefault(r["lr"], []).append(r)
        lr, group = min(by_lr.items(), key=lambda item: (np.mean([r["test_error"] for r in item[1]]), item[0]))
        group = sorted(group, key=_seed)
        config = StructuredRunConfig(name, spec["sweep"], spec["scale"], width, 0, "structured", "l1", 1.0, 1)
        model = config.width_run().build_model()
        shape = _input_shape(config.width_run().dataset)
        family = "dense" if width == spec["width"] else "scratch"
        point = _point(
            family,
            "trained",
            1.0,
            width,
            group,
            count_params(model),
            macs(model, shape)[0],
            model_bytes(model),
            json.dumps(architecture_spec(model), sort_keys=True),
        )
        points.append({**point, "lr": lr, "lrs": len(by_lr)})
    return points


def _seed(row):
    return row["seed"]


def _point(family, method, fraction, width, group, params, n_macs, n_bytes, arch):
    mean, se, n = _mean_se([r["test_error"] for r in group])
    return {
        "family": family,
        "method": method,
        "fraction": fraction,
        "width": width,
        "test_error": mean,
        "test_error_se": se,
        "n": n,
        "seeds": [r["seed"] for r in group],
        "errors": [r["test_error"] for r in group],
        "params": int(params),
        "macs": int(n_macs),
        "bytes": int(n_bytes),
        "spec": arch,
    }
