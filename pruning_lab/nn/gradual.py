"""Gradual magnitude pruning during training, on the cubic sparsity schedule of Zhu & Gupta (2017).

Instead of pruning once after training, the sparsity rises during training on the schedule

.. math:: s_t = s_f + (s_i - s_f)\\Big(1 - \\frac{t - t_0}{n\\,\\Delta t}\\Big)^3,
          \\qquad t_0 \\le t \\le t_0 + n\\,\\Delta t,

(:func:`cubic_sparsity`; :math:`s_t = s_i` before :math:`t_0` and :math:`s_f` after the end), fast
at first, when many redundant weights remain, and slowly near the end.  At each pruning step the
masks become the magnitude masks of the current network at :math:`s_t` (global or layer-wise,
:func:`pruning_lab.nn.masks.strategy_masks`), and training continues with those masks in force
(:func:`pruning_lab.nn.train.train_classifier`).  Our reconstruction, in the spirit of Zhu & Gupta's
"To prune, or not to prune" (2017), with one step per epoch.  The chapter :doc:`/book/pruning_speed`
compares gradual with one-shot pruning (its experiments run the same schedule inside a single
learning-rate schedule, :mod:`pruning_lab.nn.structured.experiments`).
"""

from __future__ import annotations

import copy
import numbers
from dataclasses import dataclass

import numpy as np
import torch

from ..validation import check_int
from .masks import SCOPES, mask_sparsity, masks_from_model, prunable_parameters, strategy_masks
from .train import TrainingRecipe, train_classifier, zero_pruned_weights

__all__ = ["GradualResult", "cubic_sparsity", "gradual_magnitude_pruning"]


def _fraction(value, name):
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not 0 <= value <= 1:
        raise ValueError(f"{name} must be a number in [0, 1], got {value!r}")
    return float(value)


def cubic_sparsity(step: int, *, start: int, end: int, final: float, initial: float = 0.0) -> float:
    r"""The sparsity :math:`s_t` of the cubic schedule of Zhu & Gupta (2017) at ``step``.

    With :math:`t_0` = ``start``, :math:`n\,\Delta t` = ``end - start``, :math:`s_i` = ``initial``
    and :math:`s_f` = ``final``,

    .. math:: s_t = s_f + (s_i - s_f)\Big(1 - \frac{t - t_0}{n\,\Delta t}\Big)^3
              \quad (t_0 \le t \le t_0 + n\,\Delta t),

    :math:`s_t = s_i` for :math:`t < t_0` and :math:`s_f` for :math:`t > t_0 + n\Delta t`; so
    :math:`s_{t_0} = s_i`, :math:`s_{\text{end}} = s_f`, and :math:`s_t` is nondecreasing in
    :math:`t` (its slope :math:`3(s_f - s_i)(1-u)^2/(n\Delta t)` falls to 0 at the end).  ``step``,
    ``start`` and ``end`` are integers :math:`\ge 0` with ``end > start``; the sparsities lie in
    :math:`[0, 1]` with ``initial <= final``.  Used by :func:`gradual_magnitude_pruning`.
    """
    step = check_int(step, "step", low=0)
    start = check_int(start, "start", low=0)
    end = check_int(end, "end", low=0)
    if end <= start:
        raise ValueError(f"end must be greater than start, got start={start}, end={end}")
    final = _fraction(final, "final")
    initial = _fraction(initial, "initial")
    if initial > final:
        raise ValueError(f"initial must not exceed final (the sparsity only grows), got {initial} > {final}")
    if step <= start:
        return initial
    if step >= end:
        return final
    u = (step - start) / (end - start)
    return final + (initial - final) * (1.0 - u) ** 3


@dataclass(frozen=True)
class GradualResult:
    """The outcome of :func:`gradual_magnitude_pruning`: the final masks and the per-epoch history.

    Attributes
    ----------
    masks : dict of str to torch.BoolTensor
        The masks in force at the end of training (True = keep).
    epoch : numpy.ndarray of int
        Epochs ``0, ..., epochs - 1``.
    target : numpy.ndarray of float
        The schedule's sparsity in force after each epoch (:func:`cubic_sparsity` at the last
        pruning epoch so far; 0 before the first).
    sparsity : numpy.ndarray of float
        The measured sparsity of the masks after each epoch
        (:func:`pruning_lab.nn.masks.mask_sparsity`).
    train_loss : numpy.ndarray of float
        Mean training loss of each epoch (before that epoch's pruning).
    """

    masks: dict
    epoch: np.ndarray
    target: np.ndarray
    sparsity: np.ndarray
    train_loss: np.ndarray


@torch.no_grad()
def _nested_magnitude_masks(model, masks, scope, sparsity):
    """Magnitude masks of ``model`` at ``sparsity`` that never revive a weight pruned by ``masks``.

    The scores are those of a copy in which pruned weights are 0 and kept weights that happen to be
    exactly 0 are the smallest positive float: every kept weight then outranks every pruned one, and
    the order among kept weights is that of :math:`|W|`.
    """
    scored = copy.deepcopy(model)
    params = dict(scored.named_parameters())
    for name, mask in masks.items():
        w = params[name]
        tiny = torch.finfo(w.dtype).tiny
        w.copy_(torch.where(mask, torch.where(w == 0, torch.full_like(w, tiny), w), torch.zeros_like(w)))
    strategy = "global" if scope == "global" else "layerwise"
    new = strategy_masks(scored, strategy, sparsity=sparsity)
    return {name: new[name].to(masks[name].device) & masks[name] for name in masks}


def gradual_magnitude_pruning(
    model,
    X,
    y,
    recipe: TrainingRecipe,
    *,
    final_sparsity: float,
    start_epoch: int,
    end_epoch: int,
    prune_every: int = 1,
    scope: str = "global",
) -> GradualResult:
    r"""Train ``model`` by ``recipe`` while its sparsity rises on the cubic schedule to ``final_sparsity``.

    Epoch :math:`e = 0, \dots,` ``recipe.epochs - 1`` is one call of
    :func:`pruning_lab.nn.train.train_classifier` with the current masks and the recipe
    ``recipe.replace(epochs=1, seed=recipe.seed + e)``: a new minibatch order every epoch, the
    same run for the same recipe.  (A ``"cosine"`` learning-rate schedule therefore anneals within
    each epoch; and the optimizer state, e.g. SGD momentum, starts afresh each epoch.)  At the end
    of each pruning epoch :math:`e = t_0, t_0 + \Delta t, \dots, t_0 + n\Delta t` (``start_epoch``,
    ``prune_every``, ``end_epoch``) the masks become the magnitude masks of the trained network at
    the sparsity :math:`s_e` = :func:`cubic_sparsity` ``(e, start=start_epoch, end=end_epoch,
    final=final_sparsity)``, global or layer-wise (:func:`pruning_lab.nn.masks.strategy_masks`,
    counts by its rounding rule), and the pruned weights are set to zero.  Masks only shrink: a
    weight pruned once stays pruned, since the pruned weights are zero and rank below every kept one
    (kept weights exactly at 0 are ranked as the smallest positive number).  Training starts dense.

    Parameters
    ----------
    model : torch.nn.Module
        Trained and pruned in place (its pruned weights are exactly zero at the end).
    X : array_like of shape (n, ...)
        Training inputs.
    y : array_like of shape (n,)
        Integer class labels.
    recipe : TrainingRecipe
        The training run; ``recipe.epochs`` must exceed ``end_epoch``.
    final_sparsity : float in [0, 1]
        :math:`s_f`, the fraction of prunable weights removed at ``end_epoch`` and after.
    start_epoch : int
        :math:`t_0 \ge 0`, the first pruning epoch (its sparsity is :math:`s_i = 0`).
    end_epoch : int
        The last pruning epoch, ``> start_epoch``; ``end_epoch - start_epoch`` must be a multiple of
        ``prune_every`` so that the schedule reaches ``final_sparsity``.
    prune_every : int
        :math:`\Delta t \ge 1`, epochs between pruning steps.
    scope : str
        ``"global"`` (one magnitude threshold over all layers) or ``"layerwise"`` (the same
        fraction in every layer).

    Returns
    -------
    GradualResult
    """
    if not isinstance(recipe, TrainingRecipe):
        raise ValueError(f"recipe must be a pruning_lab.nn.train.TrainingRecipe, got {type(recipe).__name__}")
    if scope not in SCOPES:
        raise ValueError(f"scope must be one of {', '.join(SCOPES)}, got {scope!r}")
    final_sparsity = _fraction(final_sparsity, "final_sparsity")
    start_epoch = check_int(start_epoch, "start_epoch", low=0)
    end_epoch = check_int(end_epoch, "end_epoch", low=start_epoch + 1)
    prune_every = check_int(prune_every, "prune_every", low=1)
    if (end_epoch - start_epoch) % prune_every:
        raise ValueError(
            f"end_epoch - start_epoch ({end_epoch - start_epoch}) must be a multiple of prune_every ({prune_every})"
        )
    if recipe.epochs <= end_epoch:
        raise ValueError(f"recipe.epochs ({recipe.epochs}) must exceed end_epoch ({end_epoch})")
    masks = {name: torch.ones_like(w, dtype=torch.bool) for name, w in _prunable(model).items()}
    epochs, targets, sparsities, losses = [], [], [], []
    target = 0.0
    for e in range(recipe.epochs):
        (loss,) = train_classifier(model, X, y, recipe.replace(epochs=1, seed=recipe.seed + e), masks=masks)
        if start_epoch <= e <= end_epoch and (e - start_epoch) % prune_every == 0:
            target = cubic_sparsity(e, start=start_epoch, end=end_epoch, final=final_sparsity)
            masks = _nested_magnitude_masks(model, masks, scope, target)
            zero_pruned_weights(model, masks)
        epochs.append(e)
        targets.append(target)
        sparsities.append(mask_sparsity(masks))
        losses.append(loss)
    return GradualResult(
        masks=masks,
        epoch=np.asarray(epochs, dtype=int),
        target=np.asarray(targets, dtype=float),
        sparsity=np.asarray(sparsities, dtype=float),
        train_loss=np.asarray(losses, dtype=float),
    )


def _prunable(model):
    """``{name: weight}`` of the prunable weights; a model already pruned by torch is refused."""
    if masks_from_model(model):
        raise ValueError("model must not be pruned by torch.nn.utils.prune; remove its masks (prune.remove) first")
    return {name: w.detach() for name, w in prunable_parameters(model).items()}
