"""What a width sweep runs: the sweep, its run configurations, the dense-model key, the book's named sweeps.

:class:`WidthSweep` describes a sweep (model, data, widths, pruning strategies,
seeds, one :class:`pruning_lab.nn.train.TrainingRecipe`);
:meth:`WidthSweep.configs` expands it into frozen :class:`WidthRunConfig`
records, each the store key of one run, and
:meth:`WidthRunConfig.dense_key` names the checkpoint of its dense model.  The
pruning target and the models' sizes come from the registry
:data:`pruning_lab.nn.models.MODELS`.  :data:`SWEEPS` holds the sweeps of the
chapters :doc:`/book/pruning_mnist` and :doc:`/book/resnet_cifar` at two scales.
They are run by :func:`pruning_lab.nn.sweeps.run_width_sweep`.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np
import torch

from ...validation import check_int
from .. import masks as _masks
from ..models import MODELS, build_model, prunable_weight_count
from ..train import TrainingRecipe

__all__ = [
    "DATASETS",
    "STRATEGIES",
    "SWEEPS",
    "DenseModelKey",
    "WidthRunConfig",
    "WidthSweep",
    "get_sweep",
    "recipe_of",
]

#: The strategies of a width sweep, ``"dense"`` (the dense model itself; retrained, it is trained
#: ``retrain_epochs`` more epochs without a mask, the budget-matched baseline), the pruning strategies of
#: :data:`pruning_lab.nn.masks.STRATEGIES`, and ``"scratch"`` (the global-magnitude mask on a fresh random
#: initialisation, trained from scratch for ``epochs + retrain_epochs``, the control of Liu et al., 2019).
STRATEGIES = ("dense", *_masks.STRATEGIES, "scratch")
#: The data sets of the width sweeps, with the input shape the models get from them.
DATASETS = {
    "mnist": {"in_features": 784, "in_channels": 1, "image": False},
    "mnist32": {"in_features": 3072, "in_channels": 3, "image": True},
    "fashion": {"in_features": 784, "in_channels": 1, "image": False},
    "fashion32": {"in_features": 3072, "in_channels": 3, "image": True},
    "cifar10": {"in_features": 3072, "in_channels": 3, "image": True},
}
_SWEEP_RECIPE = TrainingRecipe(epochs=20, lr=0.05, lr_schedule="cosine")  # the default of WidthSweep.recipe


def recipe_of(config) -> TrainingRecipe:
    """The :class:`~pruning_lab.nn.train.TrainingRecipe` named by the training fields of a run configuration.

    ``config`` has the fields of a recipe (``optimizer``, ``lr``, ``lr_schedule``, ``epochs``,
    ``batch_size``, ``momentum``, ``weight_decay``, ``seed``), as the flat run records of the
    width sweeps and of the IMP experiments do.
    """
    return TrainingRecipe(**{f.name: getattr(config, f.name) for f in dataclasses.fields(TrainingRecipe)})


def _shape(dataset):
    return {"in_features": DATASETS[dataset]["in_features"], "in_channels": DATASETS[dataset]["in_channels"]}


def _tuple_of(values, name, check):
    if isinstance(values, (str, bytes)) or not hasattr(values, "__iter__"):
        raise ValueError(f"{name} must be a non-empty list, got {values!r}")
    values = tuple(check(v) for v in values)
    if not values or len(set(values)) != len(values):
        raise ValueError(f"{name} must be a non-empty list without repeats, got {list(values)}")
    return values


def _one_of(value, name, choices):
    if value not in choices:
        raise ValueError(f"{name} must be one of {', '.join(choices)}, got {value!r}")
    return value


@dataclass(frozen=True)
class DenseModelKey:
    """What determines the trained dense model of a width-sweep run: the store key of its checkpoint.

    The fields of :class:`WidthRunConfig` that the dense model depends on
    (model, data, width, seed and the dense training recipe), plus
    ``artifact = "dense-model"``; pruned runs of the same (width, seed) share it.
    Made by :meth:`WidthRunConfig.dense_key`.
    """

    model: str
    dataset: str
    width: int
    seed: int
    optimizer: str
    lr: float
    lr_schedule: str
    epochs: int
    batch_size: int
    momentum: float
    weight_decay: float
    augment: bool
    n_train: int | None
    n_test: int | None
    device: str
    artifact: str = "dense-model"


@dataclass(frozen=True)
class WidthRunConfig:
    """One run of a width sweep (made by :meth:`WidthSweep.configs`); its fields are its store key.

    A flat, frozen record: :func:`pruning_lab.runs.canonical_config` encodes its
    fields, and a finished run reads as the flat dict ``{**fields, **results}``.
    The dense model of width ``width`` and seed ``seed`` is trained by
    :attr:`recipe`; a pruned run (``strategy`` not ``"dense"``) keeps
    ``target`` prunable weights and, with ``retrain``, is retrained by
    :attr:`retrain_recipe` (``retrain_epochs`` epochs, 0 without retraining).
    The training fields (``optimizer`` ... ``weight_decay``) are those of
    :class:`pruning_lab.nn.train.TrainingRecipe`.
    """

    sweep: str
    scale: str
    model: str
    dataset: str
    width: int
    base_width: int
    target: int
    strategy: str
    retrain: bool
    seed: int
    optimizer: str
    lr: float
    lr_schedule: str
    epochs: int
    retrain_epochs: int
    batch_size: int
    momentum: float
    weight_decay: float
    augment: bool
    n_train: int | None
    n_test: int | None
    device: str

    def __post_init__(self):
        _one_of(self.strategy, "strategy", STRATEGIES)
        _one_of(self.model, "model", tuple(MODELS))
        _one_of(self.dataset, "dataset", tuple(DATASETS))
        check_int(self.width, "width")
        check_int(self.target, "target", 0)
        check_int(self.retrain_epochs, "retrain_epochs", 0)
        if not isinstance(self.retrain, bool):
            raise ValueError(f"retrain must be True or False, got {self.retrain!r}")
        if self.strategy == "scratch" and not self.retrain:
            raise ValueError("strategy 'scratch' (trained from scratch with the pruned mask) needs retrain=True")
        _ = self.recipe  # making the recipe checks the training fields (ValueError naming the field)

    @property
    def recipe(self) -> TrainingRecipe:
        """The training recipe of the dense model (the training fields, with this run's ``seed``)."""
        return recipe_of(self)

    @property
    def retrain_recipe(self) -> TrainingRecipe:
        """The retraining recipe, :attr:`recipe` with ``retrain_epochs`` epochs.

        For ``strategy="scratch"`` it is the recipe of training from scratch,
        ``epochs + retrain_epochs`` epochs (the total budget of prune and retrain).
        """
        if self.strategy == "scratch":
            return self.recipe.replace(epochs=self.epochs + self.retrain_epochs)
        return self.recipe.replace(epochs=self.retrain_epochs)

    def build_model(self) -> torch.nn.Module:
        """The freshly initialised model of this run (:func:`pruning_lab.nn.models.build_model`, seed ``seed``)."""
        return build_model(self.model, self.width, **_shape(self.dataset), seed=self.seed)

    def dense_key(self) -> DenseModelKey:
        """The key of this run's dense model (its checkpoint in a :class:`pruning_lab.runs.RunStore`)."""
        return DenseModelKey(
            **{f.name: getattr(self, f.name) for f in dataclasses.fields(DenseModelKey) if f.name != "artifact"}
        )

    def dense_run(self) -> WidthRunConfig:
        """The configuration of the dense run of the same (width, seed) and recipe."""
        return dataclasses.replace(self, strategy="dense", retrain=False, retrain_epochs=0)


@dataclass(frozen=True)
class WidthSweep:
    """A width sweep: which model, data, widths, pruning strategies, seeds and training recipe.

    Attributes
    ----------
    name : str
        Name of the sweep (stored in every run configuration).
    model : str
        A model of :data:`pruning_lab.nn.models.MODELS` (``"fc2"``, ``"lenet300100"``, ``"resnet20"``).
    dataset : str
        ``"mnist"`` (784 pixels), ``"fashion"`` (Fashion-MNIST, 784 pixels), ``"mnist32"`` and
        ``"fashion32"`` (3x32x32 versions, stand-ins for CIFAR-10) or ``"cifar10"``.
    widths : tuple of int
        Widths of the dense models.
    base_width : int
        Width of the base model whose prunable-weight count is the pruning target :math:`s`.
    strategies : tuple of str
        Among :data:`STRATEGIES`: ``"dense"`` (the dense model itself), ``"global"``, ``"layerwise"``,
        ``"random"``, ``"scratch"`` (global-magnitude mask, re-initialised, trained from scratch).
    retrain : tuple of bool
        Evaluate the pruned models without (``False``) and/or with (``True``) retraining; with
        ``True`` the dense models are also trained ``retrain_epochs`` more epochs (the
        budget-matched dense baseline).
    seeds : tuple of int
        Seeds of initialisation, minibatch order and random masks (one run per seed).
    recipe : pruning_lab.nn.train.TrainingRecipe
        Training recipe of the dense models (``epochs >= 1``; default: 20 epochs of SGD
        with momentum 0.9, cosine schedule from lr 0.05, minibatches of 128).  Its
        ``seed`` must be 0: each run's seed comes from ``seeds``.
    retrain_epochs : int
        Epochs of retraining, by the same recipe otherwise.
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
    recipe: TrainingRecipe = _SWEEP_RECIPE
    retrain_epochs: int = 10
    augment: bool = False
    n_train: int | None = None
    n_test: int | None = None
    device: str = "cpu"
    scale: str = "custom"

    def __post_init__(self):
        self._check_labels()
        self._check_model_and_data()
        self._check_lists()
        self._check_training()
        self._check_subsets()

    def _set(self, name, value):
        object.__setattr__(self, name, value)

    def _check_labels(self):
        for key in ("name", "scale"):
            if not isinstance(getattr(self, key), str) or not getattr(self, key):
                raise ValueError(f"{key} must be a non-empty string, got {getattr(self, key)!r}")
        if self.device not in ("cpu", "cuda"):
            raise ValueError(f"device must be 'cpu' or 'cuda', got {self.device!r}")

    def _check_model_and_data(self):
        _one_of(self.model, "model", tuple(MODELS))
        _one_of(self.dataset, "dataset", tuple(DATASETS))
        if MODELS[self.model].image_input and not DATASETS[self.dataset]["image"]:
            raise ValueError(
                f"{self.model} needs image data: use dataset 'mnist32', 'fashion32' or 'cifar10', not {self.dataset!r}"
            )
        if not isinstance(self.augment, bool):
            raise ValueError(f"augment must be True or False, got {self.augment!r}")
        if self.augment and not DATASETS[self.dataset]["image"]:
            raise ValueError(f"augment (random crops and flips) needs image data; dataset {self.dataset!r} is flat")

    def _check_lists(self):
        def flag(b):
            if not isinstance(b, (bool, np.bool_)):
                raise ValueError(f"retrain must list booleans, got {b!r}")
            return bool(b)

        self._set("widths", _tuple_of(self.widths, "widths", lambda w: check_int(w, "every width")))
        self._set("base_width", check_int(self.base_width, "base_width"))
        self._set(
            "strategies", _tuple_of(self.strategies, "strategies", lambda s: _one_of(s, "every strategy", STRATEGIES))
        )
        self._set("retrain", _tuple_of(self.retrain, "retrain", flag))
        self._set("seeds", _tuple_of(self.seeds, "seeds", lambda s: check_int(s, "every seed", 0)))

    def _check_training(self):
        if not isinstance(self.recipe, TrainingRecipe):
            raise ValueError(f"recipe must be a pruning_lab.nn.train.TrainingRecipe, got {type(self.recipe).__name__}")
        check_int(self.recipe.epochs, "recipe.epochs (epochs of dense training)", 1)
        if self.recipe.seed != 0:
            raise ValueError(
                f"recipe.seed must be 0 in a width sweep (each run's seed comes from seeds), got {self.recipe.seed}"
            )
        self._set("retrain_epochs", check_int(self.retrain_epochs, "retrain_epochs", 0))

    def _check_subsets(self):
        for key in ("n_train", "n_test"):
            if getattr(self, key) is not None:
                self._set(key, check_int(getattr(self, key), key, 10))

    def replace(self, **changes) -> WidthSweep:
        """A copy with some fields changed (checked again); e.g. ``replace(recipe=sweep.recipe.replace(epochs=1))``."""
        return dataclasses.replace(self, **changes)

    def prunable_count(self, width: int) -> int:
        """Prunable weights of the model of this ``width`` (:func:`pruning_lab.nn.models.prunable_weight_count`)."""
        return prunable_weight_count(self.model, width, **_shape(self.dataset))

    @property
    def target(self) -> int:
        """The pruning target :math:`s`: prunable weights of the base model."""
        return self.prunable_count(self.base_width)

    def configs(self) -> list:
        """One :class:`WidthRunConfig` per width x strategy x retrain x seed.

        ``"dense"`` with ``retrain=True`` is the dense model trained
        ``retrain_epochs`` more epochs, so it has had the same training budget as
        a pruned and retrained model (the budget-matched baseline);
        ``"scratch"`` exists only retrained (``retrain=True``) and needs
        ``True`` in :attr:`retrain`.  The pruning strategies (and
        ``"scratch"``) are expanded only for widths whose model has at least
        :attr:`target` prunable weights.  Configurations without retraining
        carry ``retrain_epochs = 0``.
        """
        r = self.recipe
        common = dict(
            sweep=self.name,
            scale=self.scale,
            model=self.model,
            dataset=self.dataset,
            base_width=self.base_width,
            target=self.target,
            optimizer=r.optimizer,
            lr=r.lr,
            lr_schedule=r.lr_schedule,
            epochs=r.epochs,
            batch_size=r.batch_size,
            momentum=r.momentum,
            weight_decay=r.weight_decay,
            augment=self.augment,
            n_train=self.n_train,
            n_test=self.n_test,
            device=self.device,
        )
        out = []
        for width in self.widths:
            prunable = self.prunable_count(width) >= common["target"]
            for strategy in self.strategies:
                if strategy != "dense" and not prunable:
                    continue
                for retrain in self._retrain_options(strategy):
                    for seed in self.seeds:
                        out.append(
                            WidthRunConfig(
                                **common,
                                width=width,
                                strategy=strategy,
                                retrain=retrain,
                                seed=seed,
                                retrain_epochs=self.retrain_epochs if retrain else 0,
                            )
                        )
        return out

    def _retrain_options(self, strategy):
        """The ``retrain`` values of a strategy's runs: scratch only retrained, dense always plain too."""
        if strategy == "scratch":
            return (True,) if True in self.retrain else ()
        if strategy == "dense":
            return (False, True) if True in self.retrain else (False,)
        return self.retrain

    def dense_trainings(self) -> int:
        """Number of dense models the sweep trains (one per width and seed)."""
        return len(self.widths) * len(self.seeds)


def _sweep(name, scale, recipe, **fields):
    return WidthSweep(name=name, scale=scale, recipe=TrainingRecipe(**recipe), **fields)


_MNIST = dict(model="fc2", dataset="mnist", strategies=("dense", "global", "layerwise", "random", "scratch"))
_RESNET = dict(model="resnet20", strategies=("dense", "global", "random"))
#: The named sweeps of the book, ``SWEEPS[name][scale]`` with scales ``"book"`` and ``"full"``.
SWEEPS = {
    # Fig. 6 of the paper: two-layer FC net on MNIST, widths 8..1024, base width 32 (our choice)
    "mnist-fc": {
        "book": _sweep(
            "mnist-fc",
            "book",
            dict(epochs=15, lr=0.05, batch_size=128, lr_schedule="cosine"),
            **_MNIST,
            widths=(16, 32, 64, 128, 256),
            base_width=16,
            seeds=(0, 1, 2),
            retrain_epochs=5,
        ),
        "full": _sweep(
            "mnist-fc",
            "full",
            dict(epochs=60, lr=0.05, batch_size=128, lr_schedule="cosine"),
            **_MNIST,
            widths=(8, 16, 32, 64, 128, 256, 512, 1024),
            base_width=32,
            seeds=(0, 1, 2),
            retrain_epochs=30,
        ),
    },
    # the same two-layer networks on Fashion-MNIST (real 28x28 images, harder than MNIST): 15,000 training images
    "fashion-fc": {
        "book": _sweep(
            "fashion-fc",
            "book",
            dict(epochs=15, lr=0.05, batch_size=128, lr_schedule="cosine"),
            **{**_MNIST, "dataset": "fashion"},
            widths=(16, 32, 64, 128, 256),
            base_width=16,
            seeds=(0, 1, 2),
            retrain_epochs=5,
            n_train=15000,
        ),
        "full": _sweep(
            "fashion-fc",
            "full",
            dict(epochs=60, lr=0.05, batch_size=128, lr_schedule="cosine"),
            **{**_MNIST, "dataset": "fashion"},
            widths=(8, 16, 32, 64, 128, 256, 512, 1024),
            base_width=32,
            seeds=(0, 1, 2),
            retrain_epochs=30,
        ),
    },
    # Figs. 1 and 5: ResNet-20 of growing width on CIFAR-10 trained with Adam (the paper's optimizer), pruned to the
    # width-8 count (68k parameters; the paper's base models have about 28k, 70k and 109k: widths 5, 8 and 10).
    # The book scale mirrors the Fashion-MNIST stand-in below.
    "resnet20-cifar10": {
        "book": _sweep(
            "resnet20-cifar10",
            "book",
            dict(optimizer="adam", epochs=8, lr=1e-3, batch_size=32, lr_schedule="cosine"),
            **_RESNET,
            dataset="cifar10",
            widths=(5, 10),
            base_width=5,
            retrain_epochs=2,
            n_train=2000,
            n_test=1000,
        ),
        "full": _sweep(
            "resnet20-cifar10",
            "full",
            dict(optimizer="adam", epochs=160, lr=1e-3, batch_size=128, lr_schedule="cosine"),
            **_RESNET,
            dataset="cifar10",
            widths=(5, 8, 10, 12, 16, 24, 32, 48, 64),
            base_width=8,
            seeds=(0, 1, 2),
            retrain_epochs=40,
            augment=True,
        ),
    },
    # the stand-in on this book's machines: Fashion-MNIST as 3x32x32 images, the paper's optimizer (Adam), base
    # width 5 (26k weights; the paper's smallest base model has about 28k parameters); three seeds
    "resnet20-fashion32": {
        "book": _sweep(
            "resnet20-fashion32",
            "book",
            dict(optimizer="adam", epochs=32, lr=1e-3, batch_size=32, lr_schedule="cosine"),
            **_RESNET,
            dataset="fashion32",
            widths=(5, 10),
            base_width=5,
            seeds=(0, 1, 2),
            retrain_epochs=8,
            n_train=2000,
            n_test=1000,
        ),
        "full": _sweep(
            "resnet20-fashion32",
            "full",
            dict(optimizer="adam", epochs=60, lr=1e-3, batch_size=128, lr_schedule="cosine"),
            **_RESNET,
            dataset="fashion32",
            widths=(5, 8, 10, 16, 24, 32),
            base_width=5,
            seeds=(0, 1, 2),
            retrain_epochs=20,
            augment=True,
        ),
    },
    # the same pipeline on the MNIST-as-3x32x32 stand-in (no download needed)
    "resnet20-mnist32": {
        "book": _sweep(
            "resnet20-mnist32",
            "book",
            dict(epochs=5, lr=0.05, weight_decay=5e-4, batch_size=64, lr_schedule="cosine"),
            **_RESNET,
            dataset="mnist32",
            widths=(2, 4, 6),
            base_width=2,
            retrain_epochs=2,
            n_train=2000,
            n_test=500,
        ),
        "full": _sweep(
            "resnet20-mnist32",
            "full",
            dict(epochs=60, lr=0.1, weight_decay=5e-4, batch_size=128, lr_schedule="cosine"),
            **_RESNET,
            dataset="mnist32",
            widths=(2, 4, 6, 8, 12, 16, 24, 32),
            base_width=4,
            seeds=(0, 1, 2),
            retrain_epochs=20,
            augment=True,
        ),
    },
}


def get_sweep(name: str, scale: str = "book") -> WidthSweep:
    """The named sweep ``SWEEPS[name][scale]``; ValueError listing the names for an unknown one."""
    if name not in SWEEPS:
        raise ValueError(f"unknown sweep {name!r}; expected one of {', '.join(SWEEPS)}")
    if scale not in SWEEPS[name]:
        raise ValueError(f"unknown scale {scale!r} for sweep {name!r}; expected one of {', '.join(SWEEPS[name])}")
    return SWEEPS[name][scale]
