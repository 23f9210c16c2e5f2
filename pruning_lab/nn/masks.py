"""Pruning masks for torch models, interoperable with :mod:`torch.nn.utils.prune`.

A mask of a weight tensor :math:`W` is :math:`m\\in\\{0,1\\}^{\\text{shape of }W}`
(1 = keep); the pruned network uses :math:`W\\odot m`.  The masks of a model
are a dict ``{name: torch.BoolTensor}`` keyed by the qualified parameter name
of ``model.named_parameters()`` (``"fc1.weight"``, ``"0.weight"``).  For a
module already pruned by torch (``weight_orig`` and ``weight_mask``) the key is
still ``"fc1.weight"`` and the scores are the effective weights
``weight_orig * weight_mask``.  Used in the chapters :doc:`/book/pruning_strategies`,
:doc:`/book/pruning_mnist` and :doc:`/book/resnet_cifar`.

Vocabulary: a pruning *strategy* (:data:`STRATEGIES`) says which weights go:
``"global"`` (global magnitude), ``"layerwise"`` (layer-wise magnitude) or
``"random"``; :func:`strategy_masks` builds the masks of a strategy.  A
ranking *scope* (:data:`SCOPES`) says over which weights a count is taken:
all prunable weights at once (``"global"``) or each layer separately
(``"layerwise"``), as in :func:`random_masks` and
:func:`pruning_lab.nn.imp.prune_remaining`.

Counts follow :mod:`torch.nn.utils.prune`: ``sparsity`` is the fraction
*removed* (torch's ``amount``), so of ``n`` weights ``round(sparsity * n)``
go (Python rounding) and the rest are kept; ``keep`` is the number kept (the
book's :math:`s`).  Ties at the threshold are broken as in
``prune.top_s_mask``: the earlier weight is kept, in the order (module order,
weight before bias, flat index).  The magnitude masks are found by selection
of the :math:`k`-th largest :math:`|w|` (no sort of all weights), in the
internal module ``pruning_lab.nn._kth_largest``.
"""

from __future__ import annotations

import itertools
import numbers

import numpy as np
import torch
from torch import nn
from torch.nn.utils import prune

from ..layerwise import parse_pattern, select_mask
from ..validation import check_int, check_int_array, check_sparsity
from ._kth_largest import flat_weight, top_masks

__all__ = [
    "PRUNABLE_MODULES",
    "SCOPES",
    "STRATEGIES",
    "apply_masks",
    "count_kept",
    "global_magnitude_masks",
    "layerwise_counts",
    "layerwise_magnitude_masks",
    "mask_sparsity",
    "masks_from_model",
    "nm_masks",
    "prunable_parameters",
    "random_masks",
    "strategy_masks",
]

PRUNABLE_MODULES = (nn.Linear, nn.Conv1d, nn.Conv2d, nn.Conv3d)
#: The pruning strategies that build masks (:func:`strategy_masks`): global magnitude, layer-wise
#: magnitude, random.
STRATEGIES = ("global", "layerwise", "random")
#: The ranking scopes, one count over all prunable weights (``"global"``) or one per layer (``"layerwise"``).
SCOPES = ("global", "layerwise")


# -- the prunable tensors -----------------------------------------------------------
def check_materialized(model) -> None:
    """ValueError unless ``model`` is a ``torch.nn.Module`` whose parameters and buffers hold data (not ``meta``)."""
    if not isinstance(model, nn.Module):
        raise ValueError(f"model must be a torch.nn.Module, got {type(model).__name__}")
    if any(t.is_meta for t in itertools.chain(model.parameters(), model.buffers())):
        raise ValueError(
            "model has tensors on the meta device (shapes without data); materialize it first "
            "(model.to_empty(device='cpu'), then initialize or load its weights)"
        )


def _slots(model, include_bias=False):
    """``[(name, module, attr)]`` of the prunable tensors, in module order."""
    check_materialized(model)
    slots, seen = [], set()
    for mod_name, module in model.named_modules():
        if not isinstance(module, PRUNABLE_MODULES):
            continue
        for attr in ("weight", "bias") if include_bias else ("weight",):
            param = getattr(module, attr + "_orig", getattr(module, attr, None))
            if param is None or id(param) in seen:  # no bias, or a tied weight seen before
                continue
            seen.add(id(param))
            slots.append((f"{mod_name}.{attr}" if mod_name else attr, module, attr))
    if not slots:
        raise ValueError(
            "model has no prunable weights: expected at least one nn.Linear or nn.Conv1d/2d/3d module with a weight"
        )
    return slots


def prunable_parameters(model, include_bias=False):
    """Effective weights ``{name: W}`` of the ``nn.Linear`` and ``nn.Conv1d/2d/3d`` modules.

    In module order, biases too if ``include_bias``.  For an unpruned module
    ``W`` is the parameter itself; for a module pruned by torch it is the
    effective weight :math:`W_{\\text{orig}}\\odot m` (a detached copy), under
    the name of the original parameter (``"fc1.weight"``).  A model without
    such weights raises ``ValueError``.
    """
    out = {}
    for name, module, attr in _slots(model, include_bias):
        w, mask = flat_weight(module, attr)
        out[name] = getattr(module, attr) if mask is None else (w * mask).view_as(getattr(module, attr))
    return out


# -- magnitude and random masks ----------------------------------------------------
def _kept_count(n, sparsity, keep, what=""):
    """Number kept out of ``n`` from exactly one of ``sparsity`` (fraction removed) or ``keep``."""
    if (sparsity is None) == (keep is None):
        raise ValueError(
            "give exactly one of sparsity (fraction of weights removed, in [0, 1]) or keep (number of weights kept)"
        )
    if keep is not None:
        return check_sparsity(keep, n, f"keep{what}")
    if isinstance(sparsity, bool) or not isinstance(sparsity, numbers.Real) or not 0 <= sparsity <= 1:
        raise ValueError(f"sparsity (fraction of weights removed) must be a number in [0, 1], got {sparsity!r}")
    return n - round(float(sparsity) * n)


def global_magnitude_masks(model, sparsity=None, keep=None, *, include_bias=False):
    """Global magnitude pruning: one threshold on :math:`|W|` across all layers.

    With :math:`k` the number kept and :math:`\\tau` the :math:`k`-th largest
    of all :math:`|W^{(l)}_j|` over the prunable layers :math:`l`,

    .. math:: m^{(l)}_j = 1\\big[\\,|W^{(l)}_j| > \\tau\\,\\big]
              \\ \\text{ or }\\ |W^{(l)}_j| = \\tau \\text{ and among the first such},

    so exactly :math:`k` weights are kept (never :math:`k+1`, even with ties),
    the kept set is a top-:math:`k` set of :math:`|W|`, and ties at :math:`\\tau`
    keep the earlier weight: the kept set of ``prune.global_unstructured(...,
    prune.L1Unstructured, amount=sparsity)`` up to ties, found by selection
    instead of a sort of all weights (extra memory: masks + chunk temporaries).

    Parameters
    ----------
    model : torch.nn.Module
    sparsity : float in [0, 1], optional
        Fraction removed: ``round(sparsity * total)`` weights go.
    keep : int in 0..total, optional
        Number of weights kept (give exactly one of ``sparsity``, ``keep``).
    include_bias : bool
        Also prune the biases.

    Returns
    -------
    dict of str to torch.BoolTensor
    """
    slots = _slots(model, include_bias)
    total = sum(getattr(m, a).numel() for _, m, a in slots)
    return top_masks(slots, _kept_count(total, sparsity, keep), total)


def layerwise_magnitude_masks(model, sparsity=None, keep=None, *, include_bias=False):
    """Layer-wise magnitude pruning: the same fraction removed in every layer.

    Layer :math:`l` with :math:`n_l` weights keeps its
    :math:`k_l = n_l - \\mathrm{round}(\\text{sparsity}\\cdot n_l)` largest
    :math:`|W^{(l)}|` (ties: earlier kept), as ``prune.l1_unstructured(module,
    "weight", amount=sparsity)`` does; or it keeps ``keep[name]`` of them
    (``keep``: a dict with a count for every prunable name).  Returns
    ``{name: mask}``, True = keep.
    """
    slots = _slots(model, include_bias)
    if keep is not None:
        if not isinstance(keep, dict):
            raise ValueError(f"keep must be a dict {{name: number kept}}, got {type(keep).__name__}")
        names = [name for name, _, _ in slots]
        if set(keep) != set(names):
            raise ValueError(f"keep must give a count for exactly the prunable names {names}, got {sorted(keep)}")
    masks = {}
    for name, module, attr in slots:
        n = getattr(module, attr).numel()
        k = _kept_count(n, sparsity, None if keep is None else keep[name], f"[{name!r}]")
        masks.update(top_masks([(name, module, attr)], k, n))
    return masks


def random_masks(model, sparsity, generator=None, *, scope="global", include_bias=False):
    """Uniformly random masks with exact counts.

    ``scope="global"``: a uniformly random subset of
    :math:`k = N - \\mathrm{round}(\\text{sparsity}\\cdot N)` of all :math:`N`
    weights (per-layer counts multivariate hypergeometric, then uniform
    positions).  ``scope="layerwise"``: :math:`k_l = n_l -
    \\mathrm{round}(\\text{sparsity}\\cdot n_l)` uniform positions per layer.
    ``generator`` is a ``torch.Generator``, an int seed (same seed, same
    masks) or ``None`` (torch's global generator).  Returns ``{name: mask}``.
    """
    if scope not in SCOPES:
        raise ValueError(f"scope must be 'global' or 'layerwise', got {scope!r}")
    if isinstance(generator, numbers.Integral) and not isinstance(generator, bool):
        generator = torch.Generator().manual_seed(int(generator))
    elif generator is not None and not isinstance(generator, torch.Generator):
        raise ValueError(f"generator must be a torch.Generator, an int seed or None, got {generator!r}")
    slots = _slots(model, include_bias)
    sizes = [getattr(m, a).numel() for _, m, a in slots]
    if scope == "layerwise":
        counts = [_kept_count(n, sparsity, None) for n in sizes]
    else:
        k = _kept_count(sum(sizes), sparsity, None)
        if sum(sizes) >= 10**9:  # numpy's hypergeometric sampler stops there
            raise ValueError("global random masks support fewer than 1e9 weights; use scope='layerwise'")
        seed = int(torch.randint(2**62, (1,), generator=generator))
        counts = np.random.default_rng(seed).multivariate_hypergeometric(sizes, k, method="marginals")
    masks = {}
    for (name, module, attr), n, c in zip(slots, sizes, counts, strict=True):
        weight = getattr(module, attr)
        mask = torch.zeros(n, dtype=torch.bool)
        mask[torch.randperm(n, generator=generator)[: int(c)]] = True
        masks[name] = mask.view(weight.shape).to(weight.device)
    return masks


def nm_masks(model, pattern: str, *, strategy: str = "magnitude", seed: int = 0) -> dict:
    """N:M masks: in every group of ``m`` consecutive inputs of an output, ``n`` weights are kept.

    ``pattern`` is ``"n:m"`` (``"2:4"``: the pattern sparse tensor cores accelerate).  A layer's
    weight is read as a matrix ``(outputs, inputs)`` (a convolution's inputs flattened as
    ``(channel, kh, kw)``), whose number of inputs must be a multiple of ``m``.  ``strategy``
    ``"magnitude"`` keeps the ``n`` largest :math:`|w|` of each group (ties: the earlier);
    ``"random"`` keeps ``n`` uniformly random ones (seeded with ``seed``).  Global and
    layer-wise magnitude coincide here: the pattern fixes the count of every group.
    """
    n, m = parse_pattern(pattern) or (None, None)
    if n is None:
        raise ValueError(f'pattern must be an n:m pattern such as "2:4", got {pattern!r}')
    if strategy not in ("magnitude", "random"):
        raise ValueError(f"strategy must be 'magnitude' or 'random' for N:M masks, got {strategy!r}")
    rng = np.random.default_rng(check_int(seed, "seed", 0))
    masks = {}
    for name, module, attr in _slots(model):
        weight = _effective_weight(module, attr)
        rows = weight.detach().reshape(weight.shape[0], -1).cpu().double().numpy()
        if rows.shape[1] % m:
            raise ValueError(f"pattern {pattern!r}: layer {name!r} has {rows.shape[1]} inputs, not divisible by {m}")
        scores = np.abs(rows) if strategy == "magnitude" else rng.random(rows.shape)
        keep = select_mask(scores, pattern=pattern)
        masks[name] = torch.as_tensor(keep).reshape(weight.shape).to(weight.device)
    return masks


def _effective_weight(module, attr):
    """The effective weight of one prunable module (``weight_orig * weight_mask`` when torch-pruned)."""
    w, mask = flat_weight(module, attr)
    return getattr(module, attr) if mask is None else (w * mask).view_as(getattr(module, attr))


# -- the masks of a pruning strategy ----------------------------------------------------
def layerwise_counts(sizes, keep: int) -> np.ndarray:
    r"""Kept counts per layer for the same fraction everywhere, summing exactly to ``keep``.

    Largest-remainder apportionment of :math:`s` = ``keep`` over layers of
    sizes :math:`n_l` (:math:`N = \sum_l n_l`): :math:`k_l = \lfloor s n_l / N\rfloor`
    plus one for the layers with the largest remainders
    :math:`s n_l / N - \lfloor s n_l/N\rfloor` (ties: earlier layer), until
    :math:`\sum_l k_l = s`; so :math:`|k_l - s n_l / N| < 1`.

    Parameters
    ----------
    sizes : sequence of int
        Layer sizes :math:`n_l \ge 1`.
    keep : int
        Total kept, :math:`0 \le s \le N`.

    Returns
    -------
    numpy.ndarray of int
        :math:`k_l` per layer.
    """
    sizes = check_int_array(sizes, "sizes", 1, "layer sizes").astype(np.int64)
    total = int(sizes.sum())
    keep = check_int(keep, "keep", 0, total)
    exact = sizes * keep  # s n_l (integers: the remainders below are exact)
    counts = exact // total
    order = np.argsort(-(exact % total), kind="stable")
    counts[order[: keep - int(counts.sum())]] += 1
    return counts


def strategy_masks(
    model, strategy: str, *, sparsity=None, keep=None, seed: int = 0, pattern: str = "unstructured"
) -> dict:
    r"""The masks of a pruning ``strategy`` on the prunable weights of ``model``, by sparsity or by kept count.

    Give exactly one of ``sparsity`` (fraction removed) and ``keep`` (number
    kept, :math:`s`); :math:`N` is the number of prunable weights, :math:`n_l`
    that of layer :math:`l`.

    - ``"global"``: :func:`global_magnitude_masks`, one threshold over all layers; it keeps
      :math:`N - \mathrm{round}(\text{sparsity}\cdot N)` or :math:`s` weights.
    - ``"layerwise"``: :func:`layerwise_magnitude_masks`, the same fraction in every layer.  With
      ``sparsity`` each layer keeps :math:`n_l - \mathrm{round}(\text{sparsity}\cdot n_l)`
      (torch's ``l1_unstructured`` rule, so the total may differ from the global count by rounding);
      with ``keep`` the per-layer counts are :func:`layerwise_counts`, summing to exactly :math:`s`.
    - ``"random"``: :func:`random_masks` (scope ``"global"``: a uniformly random subset of the
      same size as ``"global"`` keeps), seeded with ``seed``.

    Used by :func:`pruning_lab.nn.pipeline.mask_sweep` (by sparsity), the width sweeps of
    :mod:`pruning_lab.nn.sweeps` and the panel
    :func:`pruning_lab.widgets.networks.mnist_pruning_figure` (by kept count).

    Parameters
    ----------
    model : torch.nn.Module
        Its weights are read, not changed.
    strategy : str
        One of :data:`STRATEGIES`.
    sparsity : float in [0, 1], optional
        Fraction of the prunable weights removed.
    keep : int in 0..N, optional
        Number of prunable weights kept.
    seed : int
        Seed of the random masks (unused by the magnitude strategies).
    pattern : str
        ``"unstructured"`` (default) or ``"n:m"``: then :func:`nm_masks` (give neither
        ``sparsity`` nor ``keep``; ``"global"`` and ``"layerwise"`` coincide).

    Returns
    -------
    dict of str to torch.BoolTensor
    """
    if strategy not in STRATEGIES:
        raise ValueError(f"strategy must be one of {', '.join(STRATEGIES)} to build masks, got {strategy!r}")
    seed = check_int(seed, "seed", 0)
    if pattern != "unstructured":
        parse_pattern(pattern)
        if sparsity is not None or keep is not None:
            raise ValueError(f"pattern {pattern!r} fixes the sparsity: give neither sparsity nor keep")
        return nm_masks(model, pattern, strategy="random" if strategy == "random" else "magnitude", seed=seed)
    slots = _slots(model)
    sizes = [getattr(m, a).numel() for _, m, a in slots]
    total = sum(sizes)
    kept = _kept_count(total, sparsity, keep)  # checks that exactly one is given
    if strategy == "global":
        return global_magnitude_masks(model, keep=kept)
    if strategy == "layerwise":
        if sparsity is not None:
            return layerwise_magnitude_masks(model, sparsity=sparsity)
        counts = layerwise_counts(sizes, kept)
        return layerwise_magnitude_masks(model, keep={s[0]: int(c) for s, c in zip(slots, counts, strict=True)})
    return random_masks(model, (total - kept) / total if sparsity is None else sparsity, seed)


# -- torch.nn.utils.prune interoperability -------------------------------------------
def apply_masks(model, masks):
    """Prune ``model`` in place with ``prune.custom_from_mask``: :math:`W = W_{\\text{orig}}\\odot m`.

    The result is a standard torch-pruned model (``weight_orig`` parameter,
    ``weight_mask`` buffer, forward pre-hook), so ``prune.remove`` and
    state_dict round trips work as for any torch pruning.  A module already
    pruned gets the product of its old and new masks (torch's rule).  All
    masks are checked before any is applied.  Returns ``model``.

    The masks are applied under ``torch.no_grad()``, so the model can be
    deep-copied right away (torch's hook recomputes ``module.weight`` with
    gradients at every forward pass).  Like any torch-pruned model, after a
    forward pass *with* gradients it can be deep-copied only once
    ``module.weight`` is a graph leaf again, e.g. after a forward pass under
    ``torch.no_grad()`` (pytorch/pytorch#37322).
    """
    if not isinstance(model, nn.Module):
        raise ValueError(f"model must be a torch.nn.Module, got {type(model).__name__}")
    if not isinstance(masks, dict) or not masks:
        raise ValueError("masks must be a non-empty dict {parameter name: bool tensor}")
    checked, modules = [], dict(model.named_modules())
    for name, mask in masks.items():
        mod_name, _, attr = str(name).rpartition(".")
        module = modules.get(mod_name)
        params = {} if module is None else module._parameters
        if attr.endswith("_orig") or (attr not in params and attr + "_orig" not in params):
            names = [n.removesuffix("_orig") for n, _ in model.named_parameters()]
            raise ValueError(f"mask name {name!r} is not a parameter of the model; expected one of {names[:8]}")
        weight, mask = getattr(module, attr), torch.as_tensor(mask)
        if mask.shape != weight.shape:
            raise ValueError(f"mask for {name} has shape {tuple(mask.shape)}, expected {tuple(weight.shape)}")
        if mask.dtype != torch.bool and not bool(((mask == 0) | (mask == 1)).all()):
            raise ValueError(f"mask for {name} must be boolean (or 0/1), got other values")
        checked.append((module, attr, mask.to(device=weight.device, dtype=torch.bool)))
    with torch.no_grad():
        for module, attr, mask in checked:
            prune.custom_from_mask(module, attr, mask)
    return model


def masks_from_model(model):
    """Read the masks ``{name: m}`` back from a model pruned by torch (its ``*_mask`` buffers).

    Works for masks set by :func:`apply_masks` and by any torch pruning
    (``prune.global_unstructured``, ``prune.l1_unstructured``, ...); the names
    are those of the original parameters (``"fc1.weight"``).  Unpruned
    parameters are absent, so an unpruned model gives ``{}``.
    """
    if not isinstance(model, nn.Module):
        raise ValueError(f"model must be a torch.nn.Module, got {type(model).__name__}")
    masks = {}
    for mod_name, module in model.named_modules():
        for buf_name, buf in module.named_buffers(recurse=False):
            attr = buf_name.removesuffix("_mask")
            if buf_name.endswith("_mask") and attr + "_orig" in module._parameters:
                masks[f"{mod_name}.{attr}" if mod_name else attr] = buf.detach().bool().clone()
    return masks


def count_kept(masks):
    """Kept counts :math:`\\sum_j m^{(l)}_j`: ``({name: kept in that tensor}, total kept)``."""
    if not isinstance(masks, dict) or not masks:
        raise ValueError("masks must be a non-empty dict {parameter name: bool tensor}")
    for name, m in masks.items():
        if not isinstance(m, torch.Tensor) or m.dtype != torch.bool:
            raise ValueError(f"mask {name!r} must be a torch.BoolTensor, got {getattr(m, 'dtype', type(m))}")
    per_layer = {name: int(torch.count_nonzero(m)) for name, m in masks.items()}
    return per_layer, sum(per_layer.values())


def mask_sparsity(masks):
    """Fraction removed over all masks, :math:`1 - \\sum_{l,j} m^{(l)}_j / \\sum_l n_l`."""
    _, kept = count_kept(masks)
    total = sum(m.numel() for m in masks.values())
    if total == 0:
        raise ValueError("masks hold no entries; expected at least one maskable weight")
    return 1.0 - kept / total
