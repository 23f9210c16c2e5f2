r"""One-shot pruning of a torch model with calibration data: magnitude, Wanda, OBD, SparseGPT, OBS.

Each ``nn.Linear`` (and ``nn.Conv2d``, through its unfolded input patches) is
pruned by :func:`pruning_lab.layerwise.prune_layer` to keep its outputs on a
small set of calibration inputs: the Hessian of its reconstruction error is
:math:`H = X^\top X/N`, where the rows of :math:`X` are the layer's inputs
(for a convolution, its input patches, one row per output position).

- :func:`calibration_hessians` collects :math:`H` of every layer with forward
  hooks, batch by batch (no activation is stored), summed in float64.
- :func:`oneshot_prune` prunes a model layer by layer.  With
  ``sequential=True`` (the default, as the SparseGPT and Wanda reference code)
  layer :math:`l` is calibrated on the inputs produced by the already pruned
  layers before it, so that it can compensate their errors; with
  ``sequential=False`` every :math:`H` comes from the dense model.  Layers that read
  the same tensor (an attention block's query, key and value) are calibrated in
  one pass: pruning one of them does not change the others' inputs.

The weights are changed in place (pruned weights are exactly zero; SparseGPT and
OBS move the kept ones too) and the masks are returned as ``{"fc1.weight":
BoolTensor}``, the format of :mod:`pruning_lab.nn.masks`: they go to
:func:`pruning_lab.nn.masks.apply_masks` (``torch.nn.utils.prune``) and to
masked retraining with :func:`pruning_lab.nn.train.train_classifier`.  Used in
the chapter :doc:`/book/oneshot_pruning`.
"""

from __future__ import annotations

import contextlib
import math
from dataclasses import dataclass

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

from ... import layerwise
from ...validation import check_int

__all__ = ["LayerStats", "OneShotResult", "calibration_hessians", "oneshot_layers", "oneshot_prune"]

#: The layers one-shot pruning handles.
ONESHOT_MODULES = (nn.Linear, nn.Conv2d)


@dataclass(frozen=True)
class LayerStats:
    """The calibration statistics of one layer.

    Attributes
    ----------
    hessian : numpy.ndarray
        :math:`X^\\top X/N` (float64, shape ``(d, d)``), ``d`` = inputs of the layer (a
        convolution: ``C*kh*kw``).
    samples : int
        :math:`N`, the rows of :math:`X` (a convolution: images × output positions).
    """

    hessian: np.ndarray
    samples: int


@dataclass(frozen=True)
class OneShotResult:
    """What :func:`oneshot_prune` did.

    Attributes
    ----------
    masks : dict of str to torch.BoolTensor
        Keep-masks keyed by parameter name (``"fc1.weight"``).
    errors : dict of str to float
        Per layer, the relative reconstruction error on the inputs it was calibrated with,
        :math:`\\sum_i(w_i-\\hat w_i)^\\top H(w_i-\\hat w_i)/\\sum_i w_i^\\top Hw_i`.
    order : tuple of str
        The layers (module names) in the order they were pruned.
    """

    masks: dict
    errors: dict
    order: tuple


class _Stop(Exception):
    """Raised by a hook to end a forward pass once the layer it watches has its input."""


def oneshot_layers(model: nn.Module, layers=None) -> list[str]:
    """The module names of the layers to prune: ``layers`` checked, or every Linear/Conv2d of ``model``."""
    if not isinstance(model, nn.Module):
        raise TypeError(f"model must be a torch.nn.Module, got {type(model).__name__}")
    modules = dict(model.named_modules())
    if layers is None:
        names = [n for n, m in modules.items() if isinstance(m, ONESHOT_MODULES)]
    else:
        if isinstance(layers, str):
            raise TypeError("layers must be a list of module names, not a single string")
        names = list(layers)
        for name in names:
            if name not in modules:
                raise ValueError(f"layers: the model has no module named {name!r}")
            if not isinstance(modules[name], ONESHOT_MODULES):
                raise ValueError(f"layers: {name!r} is a {type(modules[name]).__name__}, not a Linear or Conv2d")
        if len(set(names)) != len(names):
            raise ValueError("layers: a module is named twice")
    if not names:
        raise ValueError("the model has no Linear or Conv2d layer to prune")
    for name in names:
        module = modules[name]
        if hasattr(module, "weight_orig"):
            raise ValueError(f"layer {name!r} is pruned by torch.nn.utils.prune; call prune.remove first")
        if isinstance(module, nn.Conv2d) and (module.groups != 1 or isinstance(module.padding, str)):
            raise ValueError(f"layer {name!r}: only Conv2d with groups=1 and numeric padding is supported")
        if isinstance(module, nn.Conv2d) and module.padding_mode != "zeros":
            raise ValueError(f"layer {name!r}: only Conv2d with padding_mode='zeros' is supported")
    return names


def _rows(module: nn.Module, x: torch.Tensor) -> torch.Tensor:
    """The layer's input as the rows of :math:`X`, float64."""
    if isinstance(module, nn.Conv2d):
        patches = F.unfold(x, module.kernel_size, module.dilation, module.padding, module.stride)
        return patches.transpose(1, 2).reshape(-1, patches.shape[1]).double()
    return x.reshape(-1, module.in_features).double()


def _batches(inputs, batch_size: int):
    """Calibration inputs as a sequence of tensors: a tensor is split along its first axis; an
    iterable yields tensors or ``(x, y)`` pairs."""
    if isinstance(inputs, torch.Tensor):
        if inputs.ndim == 0 or inputs.shape[0] == 0:
            raise ValueError("inputs (calibration data) is empty")
        return list(torch.split(inputs, batch_size))
    if isinstance(inputs, np.ndarray):
        raise TypeError("inputs must be a torch.Tensor (convert with torch.as_tensor) or an iterable of them")
    try:
        items = list(inputs)
    except TypeError:
        raise TypeError(
            f"inputs must be a torch.Tensor or an iterable of tensors, got {type(inputs).__name__}"
        ) from None
    batches = [item[0] if isinstance(item, (tuple, list)) else item for item in items]
    if not batches:
        raise ValueError("inputs (calibration data) is empty")
    if not all(isinstance(b, torch.Tensor) for b in batches):
        raise TypeError("inputs must yield torch.Tensor batches (or (x, y) pairs of them)")
    return batches


def _collect(model, names, batches, stop_after=None):
    """Run ``batches`` through ``model`` with a Gram hook on each named layer."""
    grams = {n: None for n in names}
    counts = dict.fromkeys(names, 0)

    def hook_for(name):
        def hook(module, args):
            rows = _rows(module, args[0].detach())
            gram = rows.T @ rows
            grams[name] = gram if grams[name] is None else grams[name] + gram
            counts[name] += rows.shape[0]
            if name == stop_after:
                raise _Stop

        return hook

    with _hooked(model, {n: hook_for(n) for n in names}):
        for batch in batches:
            try:
                model(batch)
            except _Stop:
                pass
    _check_reached(names, [n for n in names if counts[n]])
    return {n: LayerStats((grams[n] / counts[n]).numpy(), counts[n]) for n in names}


@contextlib.contextmanager
def _hooked(model, hooks):
    """``model`` in eval mode without gradients, with forward pre-hooks ``{module name: hook}``;
    the hooks removed and the mode restored on exit."""
    modules = dict(model.named_modules())
    handles = [modules[n].register_forward_pre_hook(h) for n, h in hooks.items()]
    was_training = model.training
    model.eval()
    try:
        with torch.no_grad():
            yield
    finally:
        for h in handles:
            h.remove()
        model.train(was_training)


def _check_reached(names, seen):
    missing = [n for n in names if n not in seen]
    if missing:
        raise ValueError(f"layer {missing[0]!r} was never reached by the calibration data (no input seen)")


def calibration_hessians(model: nn.Module, inputs, layers=None, *, batch_size: int = 256) -> dict:
    r"""Per layer, :math:`H = X^\top X/N` of its inputs on the calibration data (one pass, float64 sums).

    ``inputs``: a tensor of calibration inputs (split into batches of ``batch_size``) or an
    iterable of batches (tensors or ``(x, y)`` pairs, e.g. a ``DataLoader``).  ``layers``:
    module names (default: every Linear and Conv2d).  The model runs in eval mode without
    gradients and is left in the mode it was in.  Returns ``{name: LayerStats}``; a layer
    that no input reached is an error.
    """
    names = oneshot_layers(model, layers)
    batch_size = check_int(batch_size, "batch_size")
    return _collect(model, names, _batches(inputs, batch_size))


def _forward_groups(model, names, batch):
    """The layers in the order a forward pass reaches them, grouped: consecutive layers that read the
    same input tensor (the query, key and value of an attention block) form one group."""
    seen, inputs = [], []  # the input tensors are kept alive, so `is` cannot confuse two of them

    def record(name):
        def hook(module, args):
            if name not in seen:
                seen.append(name)
                inputs.append(args[0])

        return hook

    with _hooked(model, {n: record(n) for n in names}):
        model(batch)
    _check_reached(names, seen)
    groups = []
    for i, name in enumerate(seen):
        if i and inputs[i] is inputs[i - 1]:
            groups[-1].append(name)
        else:
            groups.append([name])
    return groups


def oneshot_prune(
    model: nn.Module,
    inputs,
    strategy: str,
    *,
    sparsity=None,
    pattern: str = "unstructured",
    scope: str = "row",
    layers=None,
    sequential: bool = True,
    damp: float = 0.01,
    block_size: int = 128,
    mask_block: int | None = 128,
    batch_size: int = 256,
) -> OneShotResult:
    r"""Prune ``model`` in place, layer by layer, with calibration inputs.

    Parameters
    ----------
    model : torch.nn.Module
    inputs : torch.Tensor or iterable of batches
        The calibration data (see :func:`calibration_hessians`).
    strategy : str
        One of :data:`pruning_lab.layerwise.STRATEGIES`: ``"magnitude"``, ``"wanda"``,
        ``"obd"``, ``"sparsegpt"``, ``"obs"`` (exact greedy OBS; small layers only).
    sparsity : float in [0, 1] or dict, optional
        Fraction of each layer's weights removed (unstructured), or ``{layer name: fraction}``
        with an entry for every layer pruned (a non-uniform allocation, e.g. the per-layer
        fractions of a global magnitude mask).
    pattern : str
        ``"unstructured"`` or ``"n:m"`` (e.g. ``"2:4"``).
    scope : {"row", "layer"}
        Exact counts per output row (default) or per layer.
    layers : list of str, optional
        Module names to prune (default: every Linear and Conv2d).
    sequential : bool
        Calibrate each layer on the outputs of the already pruned layers before it.
    damp : float
        Damping of :math:`H`, a fraction of its mean diagonal.
    block_size, mask_block : int
        SparseGPT's lazy block and mask window (see :func:`pruning_lab.layerwise.sparsegpt`).
    batch_size : int
        Calibration batch size when ``inputs`` is a tensor.

    Returns
    -------
    OneShotResult
    """
    if strategy not in layerwise.STRATEGIES:
        raise ValueError(f"strategy must be one of {', '.join(layerwise.STRATEGIES)}, got {strategy!r}")
    if not isinstance(sequential, bool):
        raise TypeError(f"sequential must be True or False, got {sequential!r}")
    nm = layerwise.parse_pattern(pattern)
    names = oneshot_layers(model, layers)
    if isinstance(sparsity, dict):
        if set(sparsity) != set(names):
            raise ValueError(f"sparsity: a dict needs exactly the layers pruned, {names}; got {sorted(sparsity)}")
        per_layer = dict(sparsity)
    else:
        per_layer = dict.fromkeys(names, sparsity)
    for value in per_layer.values():
        layerwise.select_mask(np.zeros((1, nm[1] if nm else 1)), sparsity=value, pattern=pattern, scope=scope)
    batches = _batches(inputs, check_int(batch_size, "batch_size"))
    groups = _forward_groups(model, names, batches[0])
    order = [name for group in groups for name in group]
    modules = dict(model.named_modules())
    for name in order:
        d = modules[name].weight[0].numel()
        if nm is not None and d % nm[1]:
            raise ValueError(f"pattern {pattern!r}: layer {name!r} has {d} inputs, not divisible by {nm[1]}")
    stats = None if sequential else _collect(model, order, batches)
    masks, errors = {}, {}
    for group in groups:
        if sequential:  # one pass for the group, stopped once its last layer has its input
            stats = _collect(model, group, batches, stop_after=group[-1])
        for name in group:
            module = modules[name]
            W = module.weight.detach().double().reshape(module.weight.shape[0], -1).cpu().numpy()
            H = stats[name].hessian
            res = layerwise.prune_layer(
                W,
                H,
                strategy,
                sparsity=per_layer[name],
                pattern=pattern,
                scope=scope,
                damp=damp,
                block_size=block_size,
                mask_block=mask_block,
            )
            total = float(np.einsum("ij,ij->", W @ H, W))
            errors[name] = layerwise.reconstruction_error(W, res.weights, H) / total if total > 0 else math.nan
            with torch.no_grad():
                new = torch.as_tensor(res.weights, dtype=module.weight.dtype, device=module.weight.device)
                module.weight.copy_(new.reshape(module.weight.shape))
            key = f"{name}.weight" if name else "weight"
            masks[key] = torch.as_tensor(res.mask).reshape(module.weight.shape).to(module.weight.device)
    return OneShotResult(masks, errors, tuple(order))
