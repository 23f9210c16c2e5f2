"""Masks in and out of :mod:`torch.ao.pruning`'s ``WeightNormSparsifier`` (its parametrizations).

``torch.ao.pruning`` keeps a mask :math:`m` of a weight as a parametrization: after
``sparsifier.prepare(model, config)`` the module's ``weight`` is computed as
:math:`W = m\\odot W_{\\text{orig}}` by a ``FakeSparsity`` module
(``module.parametrizations.weight[0].mask``; the original tensor is
``module.parametrizations.weight.original``), and ``sparsifier.step()`` recomputes the masks.
:func:`masks_to_sparsifier` prepares a sparsifier whose masks are ours; :func:`masks_from_sparsifier`
reads any such masks back as ``{"fc1.weight": torch.BoolTensor}``, the naming of
:mod:`pruning_lab.nn.masks`.  With ``sparse_block_shape=(1, 4)`` and ``zeros_per_block=2`` (and
``sparsity_level=1``) the sparsifier's blocks are 1 output row by 4 consecutive inputs, and it zeroes
the 2 smallest :math:`w^2` of each: the 2:4 pattern of :func:`pruning_lab.nn.masks.nm_masks`.  (Its
mask is the union of a block-level mask, which keeps the fraction ``1 - sparsity_level`` of whole
blocks dense, and the within-block one: ``sparsity_level=1`` leaves only the 2:4 part.)  It connects the
masks of the chapters :doc:`/book/pruning_strategies` and :doc:`/book/pruning_speed` to torch's own
tooling.
"""

from __future__ import annotations

import torch
from torch import nn
from torch.ao.pruning import WeightNormSparsifier
from torch.ao.pruning.sparsifier.utils import FakeSparsity
from torch.nn.utils import parametrize

from .masks import masks_from_model

__all__ = ["masks_from_sparsifier", "masks_to_sparsifier"]


def masks_to_sparsifier(model, masks, sparsifier=None):
    r"""Prepare ``model`` with a ``torch.ao.pruning`` sparsifier whose parametrization masks equal ``masks``.

    ``masks`` is ``{name: mask}`` (True = keep) over weights of ``model`` (``"fc1.weight"``), as
    made by :mod:`pruning_lab.nn.masks`; each becomes the tensor ``fqn`` of the sparsifier's config
    with its ``"mask"`` (a copy in the weight's dtype), so after the call the module computes
    :math:`W = m\odot W_{\text{orig}}`.  ``sparsifier`` is an unprepared
    ``torch.ao.pruning.BaseSparsifier`` (default: a new ``WeightNormSparsifier()``), so that a later
    ``sparsifier.step()`` recomputes masks by its own rule and ``sparsifier.squash_mask()`` folds
    them into the weights.  ``model`` is modified in place; a model pruned by
    :mod:`torch.nn.utils.prune` or already parametrized is refused.  Returns the prepared sparsifier.
    """
    if not isinstance(model, nn.Module):
        raise ValueError(f"model must be a torch.nn.Module, got {type(model).__name__}")
    if not isinstance(masks, dict) or not masks:
        raise ValueError("masks must be a non-empty dict {parameter name: bool tensor}")
    if masks_from_model(model):
        raise ValueError("model is pruned by torch.nn.utils.prune; remove its masks (prune.remove) first")
    if sparsifier is None:
        sparsifier = WeightNormSparsifier()
    if not hasattr(sparsifier, "prepare") or not hasattr(sparsifier, "groups"):
        raise ValueError(f"sparsifier must be a torch.ao.pruning sparsifier, got {type(sparsifier).__name__}")
    if sparsifier.groups:
        raise ValueError("sparsifier is already prepared; give a new one")
    modules = dict(model.named_modules())
    config = []
    for name, mask in masks.items():
        mod_name, _, attr = str(name).rpartition(".")
        module = modules.get(mod_name)
        if module is None or attr not in module._parameters:
            if module is not None and parametrize.is_parametrized(module, attr):
                raise ValueError(f"{name!r} is already parametrized; give a model without parametrizations")
            raise ValueError(f"mask name {name!r} is not a parameter of the model")
        weight = module._parameters[attr]
        if not isinstance(mask, torch.Tensor) or mask.shape != weight.shape:
            shape = tuple(getattr(mask, "shape", ()))
            raise ValueError(f"mask for {name} must be a tensor of shape {tuple(weight.shape)}, got {shape}")
        if mask.dtype != torch.bool and not bool(((mask == 0) | (mask == 1)).all()):
            raise ValueError(f"mask for {name} must be boolean (or 0/1), got other values")
        config.append({"tensor_fqn": name, "mask": mask.detach().to(device=weight.device, dtype=weight.dtype).clone()})
    sparsifier.prepare(model, config)
    return sparsifier


def masks_from_sparsifier(model):
    """Read the masks ``{name: m}`` of a model prepared by a ``torch.ao.pruning`` sparsifier.

    For every tensor of ``model`` parametrized by a ``FakeSparsity`` (the parametrization that
    :func:`masks_to_sparsifier` and any ``sparsifier.prepare`` attach), the mask
    ``module.parametrizations.<attr>[0].mask`` as a ``torch.BoolTensor`` (True = keep; a copy)
    under the name ``"<module>.<attr>"`` (``"fc1.weight"``); several on one tensor give the product of
    their masks, as they act.  A model without them gives ``{}``.
    """
    if not isinstance(model, nn.Module):
        raise ValueError(f"model must be a torch.nn.Module, got {type(model).__name__}")
    masks = {}
    for mod_name, module in model.named_modules():
        if not parametrize.is_parametrized(module):
            continue
        for attr, plist in module.parametrizations.items():
            for p in plist:
                if isinstance(p, FakeSparsity):
                    key, mask = f"{mod_name}.{attr}" if mod_name else attr, p.mask.detach().bool().clone()
                    masks[key] = mask if key not in masks else masks[key] & mask
    return masks
