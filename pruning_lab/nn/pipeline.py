"""Train → prune → retrain for a torch classifier, over a list of sparsities and pruning strategies.

The network counterpart of :mod:`pruning_lab.pipeline`: a trained model is
copied, pruned by each pruning *strategy* of
:data:`pruning_lab.nn.masks.STRATEGIES` (global magnitude, layer-wise
magnitude or random masks, :func:`pruning_lab.nn.masks.strategy_masks`, applied
through :mod:`torch.nn.utils.prune`), evaluated, optionally retrained with its
masks in force by a :class:`pruning_lab.nn.train.TrainingRecipe`, and
evaluated again.  Used at the end of the chapter :doc:`/book/pruning_strategies`.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field

import numpy as np
import torch
from torch import nn

from ..validation import check_array
from . import masks as masks_mod
from .masks import STRATEGIES
from .train import TrainingRecipe, accuracy, train_classifier

__all__ = ["MaskSweepResult", "mask_sweep"]

_RETRAIN = TrainingRecipe(epochs=2, lr=0.02)  # the default retraining recipe of mask_sweep


@dataclass(frozen=True)
class MaskSweepResult:
    """Accuracies of a pruned classifier for each pruning strategy and sparsity.

    ``accuracy[(strategy, retrained)]`` is an array over ``sparsities``
    (fraction of prunable weights removed); ``kept_fraction[strategy]`` lists,
    per sparsity, the fraction of weights kept in each layer.
    """

    sparsities: np.ndarray
    dense_accuracy: float
    accuracy: dict = field(repr=False)
    kept_fraction: dict = field(repr=False)
    layer_names: tuple = ()


def mask_sweep(
    model: nn.Module, data, sparsities, strategies=STRATEGIES, *, recipe: TrainingRecipe = _RETRAIN
) -> MaskSweepResult:
    """Prune a trained ``model`` at each sparsity by each strategy; evaluate before and after retraining.

    For the :math:`j`-th sparsity :math:`\\sigma_j` and each strategy, a deep copy of
    ``model`` is pruned by ``strategy_masks(copy, strategy, sparsity=sparsities[j], seed=recipe.seed + j)``
    (layer-wise: :math:`n_l - \\mathrm{round}(\\sigma_j n_l)` kept in each layer, as torch's
    ``l1_unstructured``), its test accuracy recorded, then it is retrained with the masks
    in force by ``recipe.replace(seed=recipe.seed + j)`` and evaluated again.

    Parameters
    ----------
    model : torch.nn.Module
        A trained classifier; it is not modified (each run prunes a deep copy).
    data : pruning_lab.data.Dataset
        Train/test split; retraining uses the training set, accuracy the test set.
    sparsities : sequence of float
        Fractions of the prunable weights to remove, each in [0, 1].
    strategies : sequence of str
        Pruning strategies, a subset of :data:`pruning_lab.nn.masks.STRATEGIES`.
    recipe : pruning_lab.nn.train.TrainingRecipe
        Retraining recipe (default: 2 epochs of SGD with momentum 0.9 at the
        constant rate 0.02, minibatches of 128, seed 0); ``recipe.epochs = 0``
        skips retraining.  Its seed plus :math:`j` also seeds the random masks
        of sparsity :math:`j`.

    Returns
    -------
    MaskSweepResult
    """
    sparsities = check_array(sparsities, "sparsities", ndim=1)
    if sparsities.size == 0 or np.any((sparsities < 0) | (sparsities > 1)):
        raise ValueError("sparsities must be a non-empty list of fractions in [0, 1]")
    for strategy in strategies:
        if strategy not in STRATEGIES:
            raise ValueError(f"unknown pruning strategy {strategy!r}; choose from {', '.join(STRATEGIES)}")
    if not isinstance(recipe, TrainingRecipe):
        raise ValueError(f"recipe must be a pruning_lab.nn.train.TrainingRecipe, got {type(recipe).__name__}")
    names = tuple(masks_mod.prunable_parameters(model))
    acc: dict = {}
    kept: dict = {strategy: [] for strategy in strategies}
    for strategy in strategies:
        acc[(strategy, False)] = np.empty(sparsities.size)
        acc[(strategy, True)] = np.empty(sparsities.size)
        for j, sparsity in enumerate(sparsities.tolist()):
            pruned = copy.deepcopy(model)
            m = masks_mod.strategy_masks(pruned, strategy, sparsity=sparsity, seed=recipe.seed + j)
            masks_mod.apply_masks(pruned, m)
            kept[strategy].append({k: float(v.float().mean()) for k, v in m.items()})
            acc[(strategy, False)][j] = accuracy(pruned, data.X_test, data.y_test)
            if recipe.epochs:
                train_classifier(pruned, data.X_train, data.y_train, recipe.replace(seed=recipe.seed + j))
                after = masks_mod.masks_from_model(pruned)
                if any(not torch.equal(after[k], m[k]) for k in m):
                    raise RuntimeError("a mask changed during retraining")
            acc[(strategy, True)][j] = accuracy(pruned, data.X_test, data.y_test)
    return MaskSweepResult(sparsities, accuracy(model, data.X_test, data.y_test), acc, kept, names)
