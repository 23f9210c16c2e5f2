"""Train → prune → retrain for a torch classifier, over a list of sparsities.

The network counterpart of :mod:`pruning_lab.pipeline`: a trained model is
copied, pruned with global magnitude, layer-wise magnitude or random masks
(applied through :mod:`torch.nn.utils.prune`), evaluated, optionally
retrained with its masks in force, and evaluated again.  Used at the end of
the chapter "Pruning strategies".
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field

import numpy as np
import torch
from torch import nn

from . import masks as masks_mod
from .train import accuracy, train_classifier

__all__ = ["MaskSweepResult", "SCOPES", "mask_sweep"]

#: Mask families compared by :func:`mask_sweep`.
SCOPES = ("global", "layerwise", "random")


@dataclass(frozen=True)
class MaskSweepResult:
    """Accuracies of a pruned classifier for each mask family and sparsity.

    ``accuracy[(scope, retrained)]`` is an array over ``sparsities`` (fraction
    of prunable weights removed); ``kept_fraction[scope]`` lists, per
    sparsity, the fraction of weights kept in each layer.
    """

    sparsities: np.ndarray
    dense_accuracy: float
    accuracy: dict = field(repr=False)
    kept_fraction: dict = field(repr=False)
    layer_names: tuple = ()


def _masks(scope: str, model: nn.Module, sparsity: float, seed: int):
    if scope == "global":
        return masks_mod.global_magnitude_masks(model, sparsity=sparsity)
    if scope == "layerwise":
        return masks_mod.layerwise_magnitude_masks(model, sparsity=sparsity)
    return masks_mod.random_masks(model, sparsity, seed)


def mask_sweep(model: nn.Module, data, sparsities, scopes=SCOPES, *, retrain_epochs: int = 2,
               lr: float = 0.02, batch_size: int = 128, seed: int = 0) -> MaskSweepResult:
    """Prune a trained ``model`` at each sparsity with each mask family; evaluate before and after retraining.

    Parameters
    ----------
    model : torch.nn.Module
        A trained classifier; it is not modified (each run prunes a deep copy).
    data : pruning_lab.data.Dataset
        Train/test split; retraining uses the training set, accuracy the test set.
    sparsities : sequence of float
        Fractions of the prunable weights to remove, each in [0, 1].
    scopes : sequence of str
        Subset of :data:`SCOPES`.
    retrain_epochs : int
        Epochs of SGD with the masks in force (0: no retraining).
    """
    sparsities = np.asarray(sparsities, dtype=float)
    if sparsities.ndim != 1 or sparsities.size == 0 or np.any((sparsities < 0) | (sparsities > 1)):
        raise ValueError("sparsities must be a non-empty list of fractions in [0, 1]")
    for scope in scopes:
        if scope not in SCOPES:
            raise ValueError(f"unknown mask scope {scope!r}; choose from {', '.join(SCOPES)}")
    names = tuple(masks_mod.prunable_parameters(model))
    acc: dict = {}
    kept: dict = {scope: [] for scope in scopes}
    for scope in scopes:
        acc[(scope, False)] = np.empty(sparsities.size)
        acc[(scope, True)] = np.empty(sparsities.size)
        for j, sparsity in enumerate(sparsities.tolist()):
            pruned = copy.deepcopy(model)
            m = _masks(scope, pruned, sparsity, seed + j)
            masks_mod.apply_masks(pruned, m)
            kept[scope].append({k: float(v.float().mean()) for k, v in m.items()})
            acc[(scope, False)][j] = accuracy(pruned, data.X_test, data.y_test)
            if retrain_epochs:
                train_classifier(pruned, data.X_train, data.y_train, epochs=retrain_epochs, lr=lr,
                                 batch_size=batch_size, seed=seed + j)
                after = masks_mod.masks_from_model(pruned)
                if any(not torch.equal(after[k], m[k]) for k in m):
                    raise RuntimeError("a mask changed during retraining")
            acc[(scope, True)][j] = accuracy(pruned, data.X_test, data.y_test)
    return MaskSweepResult(sparsities, accuracy(model, data.X_test, data.y_test), acc, kept, names)
