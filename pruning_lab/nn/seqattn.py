r"""SequentialAttention++ block sparsification of a torch MLP, with its block baselines.

Implements the training algorithm of Yasuda, Axiotis, Fu, Bateni & Mirrokni (2024),
*SequentialAttention++ for Block Sparsification* (arXiv:2402.17902, §3 and App. C),
used in the chapter :doc:`/book/lasso_to_sapp`.  A weight matrix
:math:`W\in\mathbb R^{\text{out}\times\text{in}}` (``nn.Linear`` layout) is tiled
into :math:`B\times B` blocks :math:`b=1,\dots,N`; the layer uses

.. math:: \hat W = W\odot A\odot \mathrm{Mask},\qquad
          A_b = N\,\frac{e^{L_b}}{\sum_{b'}e^{L_{b'}}},

with one trainable logit :math:`L_b` per block and :math:`A`, Mask constant on each
block.  Training follows a *phase plan*: dense phases (Mask = 1, the stored mask
tracks the top-:math:`k` blocks of :math:`A`), sparsification phases (the sparsity
ramps by :func:`sparsity_schedule`) and sparse phases (Mask frozen, pruned blocks
exactly zero); the phase plans, the training loop and the MNIST experiment live in
:mod:`pruning_lab.nn.block_pruning`.  The optimizer state is reset at each phase change and
weight decay also acts on the logits.  Baselines: block magnitude pruning + fine-tuning (keep the
blocks of largest Frobenius norm) and ACDC (Peste et al., 2021), whose sparse phases
use the top-:math:`k` block-norm mask taken at the phase start.

Counts follow :mod:`torch.nn.utils.prune`: at sparsity :math:`s` (fraction *removed*),
:math:`k = N - \mathrm{round}(sN)` of the :math:`N` blocks are kept.  Masks are dicts
``{"2.weight": torch.BoolTensor}`` of the weight's shape, usable with
:func:`pruning_lab.nn.masks.apply_masks` or ``prune.custom_from_mask``.
"""

from __future__ import annotations

import copy
import numbers

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from ..validation import check_array, check_int

__all__ = [
    "PHASE_KINDS",
    "BlockAttentionLinear",
    "attach_block_attention",
    "block_frobenius_norms",
    "block_magnitude_mask",
    "block_magnitude_masks",
    "block_softmax_attention",
    "blocks_kept",
    "detach_block_attention",
    "expand_block_mask",
    "sparsity_schedule",
    "topk_block_mask",
]

#: The kinds of training phase, dense, sparsification (ramped sparsity) and sparse (frozen mask).
PHASE_KINDS = ("dense", "sparsify", "sparse")


# -- checks and counts ------------------------------------------------------------------
def _check_sparsity(s, name="sparsity"):
    if isinstance(s, bool) or not isinstance(s, numbers.Real) or not 0 <= float(s) < 1:
        raise ValueError(f"{name} (fraction of blocks removed) must be a number in [0, 1), got {s!r}")
    return float(s)


def _grid(shape, block):
    """``(rows, cols)`` of the block grid of a 2-D weight of ``shape``; ``block`` must divide both sides."""
    block = check_int(block, "block (block side B)")
    if len(shape) != 2:
        raise ValueError(f"weight must be 2-D (out x in, as in nn.Linear), got shape {tuple(shape)}")
    if shape[0] % block or shape[1] % block:
        raise ValueError(
            f"block size {block} must divide both sides of the {shape[0]}x{shape[1]} weight; "
            f"choose a common divisor of {shape[0]} and {shape[1]}"
        )
    return shape[0] // block, shape[1] // block


def blocks_kept(n_blocks, sparsity):
    r"""Number of blocks kept, :math:`k = N - \mathrm{round}(sN)` (torch's ``amount`` rule), at least 1."""
    n_blocks = check_int(n_blocks, "n_blocks")
    return max(1, n_blocks - round(_check_sparsity(sparsity) * n_blocks))


def sparsity_schedule(t, s, c=4.0):
    r"""Sparsity during a sparsification phase, :math:`s\,\frac{1-e^{-ct}}{1-e^{-c}}` (SA++ §3.1).

    :math:`t\in[0,1]` is the fraction of the phase elapsed.  The ramp rises from 0 to
    :math:`s`, fast at first and slowly near the target (concave); as :math:`c\to0` it
    tends to the linear ramp :math:`st` (computed stably with ``expm1``).  The paper uses
    :math:`c=4`.  Used in the chapter :doc:`/book/lasso_to_sapp`.

    Parameters
    ----------
    t : float or ndarray
        Phase fractions in [0, 1] (any shape).
    s : float
        Target sparsity in [0, 1).
    c : float
        Exponent, > 0.

    Returns
    -------
    float or ndarray
        The sparsity at each ``t`` (same shape as ``t``).
    """
    s = _check_sparsity(s, "s")
    if isinstance(c, bool) or not isinstance(c, numbers.Real) or not 0 < float(c) < np.inf:
        raise ValueError(f"c (exponent of the sparsity ramp) must be a finite number > 0, got {c!r}")
    arr = check_array(t, "t")
    if np.any((arr < 0) | (arr > 1)):
        raise ValueError(f"t (fraction of the phase) must lie in [0, 1], got range {arr.min()}..{arr.max()}")
    out = s * np.expm1(-float(c) * arr) / np.expm1(-float(c))
    return float(out) if out.ndim == 0 else out


# -- blocks and masks --------------------------------------------------------------------
def block_frobenius_norms(weight, block):
    r"""Frobenius norms of the :math:`B\times B` blocks, :math:`\lVert W_{[b]}\rVert_F`, as a (rows, cols) grid.

    Block :math:`(i,j)` is ``weight[iB:(i+1)B, jB:(j+1)B]``.  Returns a torch.Tensor of
    shape (out/B, in/B).
    """
    rows, cols = _grid(weight.shape, block)
    return weight.detach().reshape(rows, block, cols, block).pow(2).sum((1, 3)).sqrt()


def topk_block_mask(scores, k, allowed=None):
    r"""Boolean grid keeping exactly the ``k`` blocks with the largest scores (among ``allowed`` ones).

    Ties are broken deterministically: the block with the smaller flat (row-major) index
    is kept.  With ``allowed`` (a torch.BoolTensor of the same shape) only allowed blocks
    can be kept, which makes the shrinking of a sparsification phase monotone.
    """
    scores = torch.as_tensor(scores)
    if not torch.isfinite(scores).all():
        raise ValueError("scores contain NaN or infinite values; all block scores must be finite")
    pool = scores.numel() if allowed is None else int(torch.count_nonzero(allowed))
    k = check_int(k, "k (number of blocks kept)", low=0, high=pool)
    flat = scores.detach().reshape(-1).double()
    if allowed is not None:
        if allowed.shape != scores.shape:
            raise ValueError(f"allowed must have the shape of scores {tuple(scores.shape)}, got {tuple(allowed.shape)}")
        flat = torch.where(allowed.reshape(-1), flat, torch.tensor(-np.inf, dtype=flat.dtype))
    keep = torch.zeros(flat.numel(), dtype=torch.bool)
    keep[torch.sort(-flat, stable=True).indices[:k]] = True
    return keep.view(scores.shape)


def expand_block_mask(block_mask, block):
    """Expand a (rows, cols) block mask to the (rows*B, cols*B) weight shape (each entry repeated over its block)."""
    block = check_int(block, "block (block side B)")
    if block_mask.ndim != 2:
        raise ValueError(f"block_mask must be 2-D (rows x cols of blocks), got shape {tuple(block_mask.shape)}")
    return block_mask.repeat_interleave(block, 0).repeat_interleave(block, 1)


def block_magnitude_mask(weight, sparsity, block):
    r"""Block magnitude pruning of one weight: keep the :math:`k=N-\mathrm{round}(sN)` largest blocks.

    Blocks are ranked by their Frobenius norm :math:`\lVert W_{[b]}\rVert_F` (the baseline of
    SA++ §4).  Returns a torch.BoolTensor of the weight's shape (True = keep); ties keep the earlier block.
    """
    norms = block_frobenius_norms(weight, block)
    return expand_block_mask(topk_block_mask(norms, blocks_kept(norms.numel(), sparsity)), block)


def _linear_layers(model, layers):
    mods = dict(model.named_modules())
    for name in layers:
        if not isinstance(mods.get(name), (nn.Linear, BlockAttentionLinear)):
            linears = [n for n, m in mods.items() if isinstance(m, nn.Linear)]
            raise ValueError(f"layer {name!r} is not an nn.Linear of the model; expected one of {linears}")
    return mods


def block_magnitude_masks(model, sparsity, block, layers):
    """Block magnitude masks ``{"<layer>.weight": mask}`` of the named ``nn.Linear`` layers (same sparsity each)."""
    mods = _linear_layers(model, layers)
    return {f"{name}.weight": block_magnitude_mask(mods[name].weight, sparsity, block) for name in layers}


def block_softmax_attention(logits):
    r"""Block attention :math:`A_b = N e^{L_b}/\sum_{b'} e^{L_{b'}}` over the :math:`N` entries of ``logits``.

    :math:`A` has mean 1 (up to rounding) and :math:`L=0` gives :math:`A\equiv1` exactly, so a
    freshly wrapped layer equals the dense one.  The paper normalizes over all
    :math:`nm` entries of an unstructured kernel; one logit per block with the factor
    :math:`N` is our reading for the block case.  Accepts a torch.Tensor of any shape.
    """
    logits = torch.as_tensor(logits)
    e = torch.exp(logits - logits.max())
    return (e * logits.numel()) / e.sum()


# -- the wrapped layer -------------------------------------------------------------------
class BlockAttentionLinear(nn.Module):
    r"""An ``nn.Linear`` whose weight is used as :math:`\hat W = W\odot A\odot\mathrm{Mask}` (SA++ Algorithm 1).

    ``attention=False`` fixes :math:`A\equiv1` and scores blocks by
    :math:`\lVert W_{[b]}\rVert_F` (magnitude and ACDC baselines).  With
    ``attention=True`` blocks are scored by :math:`A` (not by magnitude), and :math:`A`
    is clipped to :math:`[d, 1/d]` with :math:`d = 1-s` the density.  The paper prints
    the range :math:`[n d, n/d]`, which contradicts :math:`\mathrm{mean}(A)=1`; the
    range used here is our reading.  Phases (see :class:`~pruning_lab.nn.block_pruning.PhasePlan`): ``"dense"`` (Mask
    = 1, stored mask = top-:math:`k` scores), ``"sparsify"`` (at phase fraction
    :math:`t` keep the top :math:`N-\mathrm{round}(\mathrm{sparsity}(t)N)` blocks among
    those not yet pruned in this phase: monotone shrinking, our reading) and
    ``"sparse"`` (stored mask frozen, raw weights of pruned blocks set to zero, pruned
    logits get no gradient).  Parameter names are those of the wrapped layer plus
    ``logits``, so ``"2.weight"`` keeps its name.
    """

    def __init__(self, linear, block, sparsity, *, attention=True, c=4.0, clip=True):
        super().__init__()
        if not isinstance(linear, nn.Linear):
            raise ValueError(f"linear must be an nn.Linear, got {type(linear).__name__}")
        self.rows, self.cols = _grid(linear.weight.shape, block)
        self.block, self.sparsity, self.c = int(block), _check_sparsity(sparsity), float(c)
        sparsity_schedule(1.0, self.sparsity, self.c)  # checks c
        self.k = blocks_kept(self.rows * self.cols, self.sparsity)
        self.weight = nn.Parameter(linear.weight.detach().clone())
        self.bias = None if linear.bias is None else nn.Parameter(linear.bias.detach().clone())
        self.logits = nn.Parameter(torch.zeros(self.rows, self.cols)) if attention else None
        self.clip = bool(clip)
        self.register_buffer("block_mask", torch.ones(self.rows, self.cols, dtype=torch.bool))
        self.phase = "dense"

    def attention(self):
        """Block attention :math:`A` (rows, cols): N times the softmax of the logits, clipped (ones without logits)."""
        if self.logits is None:
            return torch.ones(self.rows, self.cols, device=self.weight.device)
        logits = self.logits
        if self.phase == "sparse":  # only the surviving blocks' logits train
            logits = torch.where(self.block_mask, logits, logits.detach())
        a = block_softmax_attention(logits)
        if self.clip:
            d = 1.0 - self.sparsity
            a = a.clamp(d, 1.0 / d)
        return a

    def scores(self):
        """Selection scores: :math:`A` with attention, block Frobenius norms without."""
        with torch.no_grad():
            return self.attention() if self.logits is not None else block_frobenius_norms(self.weight, self.block)

    def applied_mask(self):
        """The block mask used in the forward pass: all ones in dense phases, the stored mask otherwise."""
        return torch.ones_like(self.block_mask) if self.phase == "dense" else self.block_mask

    def effective_weight(self):
        r""":math:`\hat W = W\odot A\odot\mathrm{Mask}`, of the weight's shape."""
        g = self.attention() * self.applied_mask()
        w = self.weight.view(self.rows, self.block, self.cols, self.block) * g[:, None, :, None]
        return w.view_as(self.weight)

    def forward(self, x):
        return F.linear(x, self.effective_weight(), self.bias)

    @torch.no_grad()
    def start_phase(self, kind, previous=None):
        """Enter a phase of kind ``kind`` (one of :data:`PHASE_KINDS`) after a phase of kind ``previous``."""
        if kind not in PHASE_KINDS:
            raise ValueError(f"phase kind must be one of {PHASE_KINDS}, got {kind!r}")
        if kind == "sparsify":
            self.block_mask.fill_(True)
        elif kind == "sparse":
            if previous != "sparsify":  # ACDC / magnitude: top-k at the start of the sparse phase
                self.block_mask.copy_(topk_block_mask(self.scores(), self.k))
            self.weight.mul_(expand_block_mask(self.block_mask, self.block))  # hard prune: exact zeros
        self.phase = kind

    @torch.no_grad()
    def update_mask(self, t):
        """Update the stored mask at fraction ``t`` in (0, 1] of the current phase (no-op in sparse phases)."""
        if self.phase == "dense":
            self.block_mask.copy_(topk_block_mask(self.scores(), self.k))
        elif self.phase == "sparsify":
            n = self.rows * self.cols
            k = max(self.k, n - round(float(sparsity_schedule(t, self.sparsity, self.c)) * n))
            self.block_mask.copy_(topk_block_mask(self.scores(), k, allowed=self.block_mask.clone()))

    @torch.no_grad()
    def to_linear(self):
        """A plain ``nn.Linear`` with weight :math:`\\hat W` (pruned blocks exactly zero) and the same bias."""
        out = nn.Linear(self.cols * self.block, self.rows * self.block, bias=self.bias is not None)
        out.weight.copy_(self.effective_weight())
        if self.bias is not None:
            out.bias.copy_(self.bias)
        return out


def _replace(model, name, module):
    parent, _, child = name.rpartition(".")
    setattr(model.get_submodule(parent) if parent else model, child, module)


def attach_block_attention(model, layers, block, sparsity, *, attention=True, c=4.0, clip=True):
    r"""A deep copy of ``model`` whose named ``nn.Linear`` layers are :class:`BlockAttentionLinear` wrappers.

    Parameters
    ----------
    model : torch.nn.Module
        The network; it is not modified.
    layers : sequence of str
        Names of its ``nn.Linear`` layers to wrap (as in ``model.named_modules()``, e.g. ``"2"``).
    block : int
        Block side :math:`B`; it must divide both dimensions of every wrapped weight.
    sparsity : float
        Target fraction of blocks removed, in ``[0, 1)``.
    attention : bool
        Score blocks by the trainable attention :math:`A` (SA++) instead of by
        :math:`\lVert W_{[b]}\rVert_F` (block magnitude, ACDC).
    c : float
        Steepness of :func:`sparsity_schedule`.
    clip : bool
        Clip :math:`A` to :math:`[d, 1/d]` (:math:`d` the density).

    Returns
    -------
    torch.nn.Module
    """
    model = copy.deepcopy(model)
    mods = _linear_layers(model, layers)
    for name in layers:
        _replace(model, name, BlockAttentionLinear(mods[name], block, sparsity, attention=attention, c=c, clip=clip))
    return model


def detach_block_attention(model):
    r"""``(plain model, masks)``: a copy with every wrapper folded into an ``nn.Linear`` of weight :math:`\hat W`.

    ``masks`` is ``{"<layer>.weight": torch.BoolTensor}`` (the applied block masks expanded
    to the weight's shape), ready for :func:`pruning_lab.nn.masks.apply_masks`.
    """
    model = copy.deepcopy(model)
    wrapped = [(n, m) for n, m in model.named_modules() if isinstance(m, BlockAttentionLinear)]
    masks = {}
    for name, m in wrapped:
        masks[f"{name}.weight"] = expand_block_mask(m.applied_mask().clone(), m.block)
        _replace(model, name, m.to_linear())
    return model, masks
