r"""Importance of neurons and channels, and the keep-sets they select.

The score of unit :math:`j` of a channel space is a sum over the layers that produce it (rows
:math:`w_j` of every ``nn.Linear``/``nn.Conv2d`` weight, biases not counted; BatchNorm scales
:math:`\gamma_j`):

- ``"l1"``: :math:`\sum \lVert w_j\rVert_1`;
- ``"l2"``: :math:`\sum \lVert w_j\rVert_2`;
- ``"bn"``: :math:`\sum |\gamma_j|` over the BatchNorms of the space (an error if it has none);
- ``"taylor"``: :math:`\sum \bigl|\sum_i w_{ji}\,\partial L/\partial w_{ji}\bigr|`, the
  first-order change of the cross-entropy :math:`L` on a batch ``data = (X, y)`` when the row is
  removed, computed in evaluation mode on a copy of the model;
- ``"attention"`` (fully connected networks only): the unit attention :math:`A_u = n_g\,
  \mathrm{softmax}(L)_u` learned on ``data = (X, y)`` together with the weights of a copy of the
  model (:func:`~pruning_lab.nn.structured.attention.attention_scores`, default settings; our
  reconstruction, in the spirit of SequentialAttention++ :cite:`yasuda2024sequentialattention`).

A group's unit scores are the sums over its positions in every space it spans (coupled filters
of a residual stream add up).  :func:`keep_sets` keeps the same fraction of every group.  Used by
:mod:`pruning_lab.nn.structured.surgery` and the chapter :doc:`/book/pruning_speed` (the
unstructured counterpart is in :doc:`/book/resnet_cifar`).
"""

from __future__ import annotations

import copy
import numbers

import torch
import torch.nn.functional as F
from torch import nn

from .attention import attention_scores, check_data
from .layout import channel_layout

__all__ = ["CRITERIA", "check_fraction", "group_importance", "keep_count", "keep_sets"]

#: The importance criteria of :func:`group_importance`.
CRITERIA = ("l1", "l2", "bn", "taylor", "attention")
_BN = (nn.BatchNorm1d, nn.BatchNorm2d)


def check_fraction(fraction) -> float:
    """Return ``fraction`` as a float after checking it is a real number in :math:`(0, 1]`."""
    if isinstance(fraction, bool) or not isinstance(fraction, numbers.Real) or not 0 < float(fraction) <= 1:
        raise ValueError(f"fraction (kept) must be a number in (0, 1], got {fraction!r}")
    return float(fraction)


def keep_count(n: int, fraction: float) -> int:
    r"""Units kept of a group of :math:`n`: :math:`\max(1, \mathrm{round}(f n))` for the kept fraction :math:`f`."""
    return max(1, round(check_fraction(fraction) * n))


def group_importance(model, criterion: str, *, data=None) -> dict:
    """Scores of the units of every group of ``model``: ``{group: 1-D float64 tensor}`` (module docstring).

    ``criterion`` is one of :data:`~pruning_lab.nn.structured.importance.CRITERIA`;
    ``data = (X, y)`` (inputs and class labels) is needed by ``"taylor"`` and ``"attention"``
    only.  The model is not changed.
    """
    if criterion not in CRITERIA:
        raise ValueError(f"criterion must be one of {', '.join(CRITERIA)}, got {criterion!r}")
    if criterion == "attention":
        return attention_scores(model, data)
    layout = channel_layout(model)
    space_scores = _space_scores(model, layout, criterion, data)
    return {
        group: sum(space_scores[space][positions] for space, positions in members)
        for group, members in layout.groups.items()
    }


def keep_sets(model, fraction, criterion: str = "l1", *, data=None) -> dict:
    """The keep-set of every group: the :func:`keep_count` highest-scoring units, sorted.

    Ties go to the earlier unit.  Returns ``{group: torch.LongTensor}``.
    """
    fraction = check_fraction(fraction)
    scores = group_importance(model, criterion, data=data)
    kept = {}
    for group, score in scores.items():
        order = torch.sort(-score, stable=True).indices
        kept[group] = torch.sort(order[: keep_count(len(score), fraction)]).values
    return kept


def _space_scores(model, layout, criterion, data):
    modules = dict(model.named_modules())
    scores = {space: torch.zeros(n, dtype=torch.float64) for space, n in layout.spaces.items()}
    weighted = [n for n in layout.outputs if not isinstance(modules[n], _BN)]
    grads = _taylor_gradients(model, weighted, data) if criterion == "taylor" else {}
    with_bn = set()
    for name, space in layout.outputs.items():
        module = modules[name]
        if isinstance(module, _BN):
            with_bn.add(space)
            if criterion == "bn":
                scores[space] += module.weight.detach().double().abs().cpu()
        elif criterion != "bn":
            w = module.weight.detach().double().flatten(1).cpu()
            if criterion == "l1":
                scores[space] += w.abs().sum(1)
            elif criterion == "l2":
                scores[space] += w.norm(dim=1)
            else:
                scores[space] += (w * grads[name]).sum(1).abs()
    if criterion == "bn" and (missing := sorted(set(layout.spaces) - with_bn)):
        raise ValueError(f"criterion 'bn' needs a BatchNorm after every pruned layer; {missing[0]!r} has none")
    return scores


def _taylor_gradients(model, names, data):
    """:math:`\\partial L/\\partial W` of the listed layers, on a copy of the model in evaluation mode."""
    X, y = check_data(data, "taylor")
    clone = copy.deepcopy(model).eval()
    modules = dict(clone.named_modules())
    params = [modules[n].weight for n in names]
    loss = F.cross_entropy(clone(X), y.long())
    grads = torch.autograd.grad(loss, params)
    return {n: g.detach().double().flatten(1).cpu() for n, g in zip(names, grads, strict=True)}
