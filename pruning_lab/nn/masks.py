"""Pruning masks for torch models, interoperable with :mod:`torch.nn.utils.prune`.

A mask of a weight tensor :math:`W` is :math:`m\\in\\{0,1\\}^{\\text{shape of }W}`
(1 = keep); the pruned network uses :math:`W\\odot m`.  The masks of a model
are a dict ``{name: torch.BoolTensor}`` keyed by the qualified parameter name
of ``model.named_parameters()`` (``"fc1.weight"``, ``"0.weight"``).  For a
module already pruned by torch (``weight_orig`` and ``weight_mask``) the key is
still ``"fc1.weight"`` and the scores are the effective weights
``weight_orig * weight_mask``.  Used in the chapter *Pruning strategies*.

Counts follow :mod:`torch.nn.utils.prune`: ``sparsity`` is the fraction
*removed* (torch's ``amount``), so of ``n`` weights ``round(sparsity * n)``
go (Python rounding) and the rest are kept; ``keep`` is the number kept (the
book's :math:`s`).  Ties at the threshold are broken as in
``prune.top_s_mask``: the earlier weight is kept, in the order (module order,
weight before bias, flat index).
"""

from __future__ import annotations

import math
import numbers

import numpy as np
import torch
from torch import nn
from torch.nn.utils import prune

from ..validation import check_sparsity

__all__ = [
    "PRUNABLE_MODULES", "apply_masks", "count_kept", "global_magnitude_masks", "layerwise_magnitude_masks",
    "mask_sparsity", "masks_from_model", "prunable_parameters", "random_masks",
]

PRUNABLE_MODULES = (nn.Linear, nn.Conv1d, nn.Conv2d, nn.Conv3d)
_CHUNK = 1 << 18  # elements per chunk: a chunk's temporaries stay in the cache
_SAMPLE = 1 << 17  # sample size used to bracket the threshold
_GATHER_CAP = 1 << 20  # candidates gathered at most (or total / 64 if larger)
_BINS = 1024  # histogram bins when the bracket holds too many candidates
_BITS = {torch.float32: torch.int32, torch.float64: torch.int64}


# -- the prunable tensors -----------------------------------------------------------
def _slots(model, include_bias=False):
    """``[(name, module, attr)]`` of the prunable tensors, in module order."""
    if not isinstance(model, nn.Module):
        raise ValueError(f"model must be a torch.nn.Module, got {type(model).__name__}")
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
        raise ValueError("model has no prunable weights: expected at least one nn.Linear or "
                         "nn.Conv1d/2d/3d module with a weight")
    return slots


def _flat_weight(module, attr):
    """``(flat weight, flat torch mask or None)``: the effective weight is their product."""
    orig = getattr(module, attr + "_orig", None)
    if orig is None:
        return getattr(module, attr).detach().reshape(-1), None
    return orig.detach().reshape(-1), getattr(module, attr + "_mask").reshape(-1)


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
        w, mask = _flat_weight(module, attr)
        out[name] = getattr(module, attr) if mask is None else (w * mask).view_as(getattr(module, attr))
    return out


def _chunks(slots, buf, check_finite=False):
    """Yield ``(slot index, start, |w| chunk)`` through all slots, reusing ``buf``."""
    for i, (name, module, attr) in enumerate(slots):
        w, mask = _flat_weight(module, attr)
        for start in range(0, w.numel(), _CHUNK):
            part, a = w[start:start + _CHUNK], buf[:min(_CHUNK, w.numel() - start)]
            if part.dtype == a.dtype:
                torch.abs(part, out=a)
            else:
                a.copy_(part).abs_()
            if mask is not None:
                a.mul_(mask[start:start + _CHUNK])
            if check_finite and not torch.isfinite(a.amax()):
                raise ValueError(f"weights of {name} contain NaN or inf; all weights must be finite")
            yield i, start, a


# -- exact selection of the k-th largest |w| ---------------------------------------
def _bits(x, dtype):  # bit pattern of a float >= 0: increasing in the value
    return int(torch.tensor(x, dtype=dtype).view(_BITS[dtype]))


def _value(bits, dtype):
    return float(torch.tensor(bits, dtype=_BITS[dtype]).view(dtype))


def _sample_bracket(slots, k, total, dtype):
    """Values ``lo <= hi`` that contain the k-th largest |w| with high probability."""
    gen, parts = torch.Generator().manual_seed(0), []
    for _, module, attr in slots:
        w, mask = _flat_weight(module, attr)
        if total <= _SAMPLE:
            idx = torch.arange(w.numel())
        else:
            idx = torch.randint(w.numel(), (max(1, round(_SAMPLE * w.numel() / total)),), generator=gen)
        idx = idx.to(w.device)
        v = w[idx].to(dtype).abs()
        parts.append(v if mask is None else v * mask[idx])
    s = torch.cat(parts).sort(descending=True).values
    if total <= _SAMPLE:  # the "sample" is everything: the bracket is exact
        return s[k - 1].item(), s[k - 1].item()
    n, q = s.numel(), k / total  # the threshold is near the (q n)-th largest sample value
    margin = 4 * math.sqrt(n * q * (1 - q)) + 4
    hi = s[math.floor(q * n - margin)].item() if q * n - margin >= 0 else torch.finfo(dtype).max
    lo = s[math.ceil(q * n + margin)].item() if q * n + margin <= n - 1 else 0.0
    return lo, hi


def _scan(slots, lo, hi, buf, cap, check_finite):
    """Count ``|w| > hi`` and ``lo <= |w| <= hi``; gather the latter if at most ``cap``, else bin them.

    Temporaries live in buffers allocated once: small pieces kept from chunk
    to chunk would fragment the heap and hold on to memory.
    """
    dtype, lo_bits, device = buf.dtype, _bits(lo, buf.dtype), buf.device
    bin_width = -(-(_bits(hi, dtype) - lo_bits + 1) // _BINS)
    sel, tmp = torch.empty((2, buf.numel()), dtype=torch.bool, device=device)
    cands = torch.empty(max(cap, buf.numel()), dtype=dtype, device=device)
    n_above, n_in, binned, hist = 0, 0, False, torch.zeros(_BINS, dtype=torch.long, device=device)

    def add_to_hist(values):
        bins = torch.div(values.view(_BITS[dtype]) - lo_bits, bin_width, rounding_mode="floor")
        hist.add_(torch.bincount(bins.long(), minlength=_BINS))

    for _, _, a in _chunks(slots, buf, check_finite):
        s, t = sel[:a.numel()], tmp[:a.numel()]
        n_above += int(torch.count_nonzero(torch.gt(a, hi, out=s)))
        if lo == hi:
            n_in += int(torch.count_nonzero(torch.eq(a, lo, out=s)))
            continue
        c = int(torch.count_nonzero(torch.ge(a, lo, out=s).logical_and_(torch.le(a, hi, out=t))))
        if not binned and n_in + c > cap:  # too many candidates: histogram of their bit patterns
            add_to_hist(cands[:n_in])
            binned = True
        if binned:
            add_to_hist(a[s])
        else:
            cands[n_in:n_in + c] = a[s]  # a small temporary, freed at once
        n_in += c
    return n_above, n_in, None if binned else cands[:n_in], hist, lo_bits, bin_width


def _kth_largest(slots, k, total, buf):
    """``(t, n_gt)``: the k-th largest |w| over the slots and the count of |w| > t (1 <= k <= total).

    Selection without sorting all weights: a random sample brackets ``t`` in
    ``[lo, hi]``; one pass counts the weights above ``hi`` and gathers those in
    the bracket, and ``t`` is the right order statistic of these few candidates.
    If the bracket misses ``t`` it moves; if it holds too many candidates
    (heavy ties), a histogram over its float bit patterns (monotone in the
    value for ``|w| >= 0``) shrinks it 1024-fold per pass.
    """
    dtype, cap, check = buf.dtype, max(_GATHER_CAP, total // 64), True
    lo, hi = _sample_bracket(slots, k, total, dtype)
    for _ in range(64):  # <= 1 move + 7 histogram passes (63 bits / 10 per pass) + 1 gather
        n_above, n_in, cands, hist, lo_bits, width = _scan(slots, lo, hi, buf, cap, check)
        check = False
        if n_above >= k:  # t > hi
            lo, hi = _value(_bits(hi, dtype) + 1, dtype), torch.finfo(dtype).max
        elif n_above + n_in < k:  # t < lo
            lo, hi = 0.0, _value(_bits(lo, dtype) - 1, dtype)
        elif lo == hi:
            return lo, n_above
        elif cands is not None:  # t is the r-th largest candidate
            t = torch.kthvalue(cands, cands.numel() - (k - n_above) + 1).values.item()
            return t, n_above + int(torch.count_nonzero(cands > t))
        else:  # keep only the histogram bin that holds the r-th largest candidate
            from_top = torch.cumsum(hist.flip(0), 0)
            b = _BINS - 1 - int(torch.searchsorted(from_top, k - n_above))
            hi_bits = min(_bits(hi, dtype), lo_bits + (b + 1) * width - 1)
            lo, hi = _value(lo_bits + b * width, dtype), _value(hi_bits, dtype)
    raise RuntimeError(f"threshold selection did not converge (k={k}, bracket [{lo}, {hi}]); please report")


def _top_masks(slots, k, total):
    """Masks keeping exactly the ``k`` largest |w| over ``slots`` (ties: earlier kept)."""
    weights = [_flat_weight(m, a)[0] for _, m, a in slots]  # chunks are worked on in a float32/64 buffer
    dtype = torch.float64 if any(w.dtype == torch.float64 for w in weights) else torch.float32
    buf = torch.empty(min(_CHUNK, max(w.numel() for w in weights)), dtype=dtype, device=weights[0].device)
    # k = 0 keeps nothing (threshold +inf), but non-finite weights are still refused
    t, n_gt = _kth_largest(slots, k, total, buf) if k > 0 else (math.inf, 0)
    masks = {name: torch.empty(getattr(m, a).shape, dtype=torch.bool, device=buf.device)
             for name, m, a in slots}
    flat = [masks[name].view(-1) for name, _, _ in slots]
    ties_left, eq = k - n_gt, torch.empty_like(buf, dtype=torch.bool)  # ties kept: the earliest
    for i, start, a in _chunks(slots, buf, check_finite=k == 0):
        out = flat[i][start:start + a.numel()]
        torch.gt(a, t, out=out)
        if ties_left > 0:
            tied = torch.eq(a, t, out=eq[:a.numel()]).nonzero().view(-1)[:ties_left]
            out[tied] = True
            ties_left -= tied.numel()
    return masks


# -- public mask builders -------------------------------------------------------------
def _kept_count(n, sparsity, keep, what=""):
    """Number kept out of ``n`` from exactly one of ``sparsity`` (fraction removed) or ``keep``."""
    if (sparsity is None) == (keep is None):
        raise ValueError("give exactly one of sparsity (fraction of weights removed, in [0, 1]) "
                         "or keep (number of weights kept)")
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
    return _top_masks(slots, _kept_count(total, sparsity, keep), total)


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
        masks.update(_top_masks([(name, module, attr)], k, n))
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
    if scope not in ("global", "layerwise"):
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
    for (name, module, attr), n, c in zip(slots, sizes, counts):
        weight = getattr(module, attr)
        mask = torch.zeros(n, dtype=torch.bool)
        mask[torch.randperm(n, generator=generator)[: int(c)]] = True
        masks[name] = mask.view(weight.shape).to(weight.device)
    return masks


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
