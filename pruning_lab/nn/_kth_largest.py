"""Exact top-k masks of :math:`|W|` over many tensors, by selection instead of a sort (internal).

The engine of :func:`pruning_lab.nn.masks.global_magnitude_masks` and
:func:`pruning_lab.nn.masks.layerwise_magnitude_masks`.  A *slot* is a triple
``(name, module, attr)`` naming one prunable tensor (``module.<attr>``, or the
effective ``<attr>_orig * <attr>_mask`` of a module pruned by torch).
:func:`top_masks` keeps exactly the :math:`k` largest :math:`|w|` over a list of
slots, ties at the threshold broken in favour of the earlier weight (slot
order, then flat index), the tie rule of ``prune.top_s_mask``.  The threshold
:math:`t`, the :math:`k`-th largest :math:`|w|`, is found by
:func:`kth_largest` without sorting all weights: a random sample brackets it,
one pass over the weights (in cache-sized chunks, through buffers allocated
once) counts those above the bracket and gathers the few inside it.  Extra
memory: the masks and the chunk temporaries.
"""

from __future__ import annotations

import math

import torch

__all__ = [
    "BINS",
    "CHUNK",
    "GATHER_CAP",
    "SAMPLE",
    "abs_chunks",
    "flat_weight",
    "kth_largest",
    "sample_bracket",
    "scan",
    "top_masks",
]

CHUNK = 1 << 18  # elements per chunk: a chunk's temporaries stay in the cache
SAMPLE = 1 << 17  # sample size used to bracket the threshold
GATHER_CAP = 1 << 20  # candidates gathered at most (or total / 64 if larger)
BINS = 1024  # histogram bins when the bracket holds too many candidates
_BITS = {torch.float32: torch.int32, torch.float64: torch.int64}


def flat_weight(module, attr):
    """``(flat weight, flat torch mask or None)`` of a slot: the effective weight is their product."""
    orig = getattr(module, attr + "_orig", None)
    if orig is None:
        return getattr(module, attr).detach().reshape(-1), None
    return orig.detach().reshape(-1), getattr(module, attr + "_mask").reshape(-1)


def abs_chunks(slots, buf, check_finite=False):
    """Yield ``(slot index, start, |w| chunk)`` through all slots, reusing ``buf`` (float32 or float64)."""
    for i, (name, module, attr) in enumerate(slots):
        w, mask = flat_weight(module, attr)
        for start in range(0, w.numel(), CHUNK):
            part, a = w[start : start + CHUNK], buf[: min(CHUNK, w.numel() - start)]
            if part.dtype == a.dtype:
                torch.abs(part, out=a)
            else:
                a.copy_(part).abs_()
            if mask is not None:
                a.mul_(mask[start : start + CHUNK])
            if check_finite and not torch.isfinite(a.amax()):
                raise ValueError(f"weights of {name} contain NaN or inf; all weights must be finite")
            yield i, start, a


def _bits(x, dtype):  # bit pattern of a float >= 0: increasing in the value
    return int(torch.tensor(x, dtype=dtype).view(_BITS[dtype]))


def _value(bits, dtype):
    return float(torch.tensor(bits, dtype=_BITS[dtype]).view(dtype))


def sample_bracket(slots, k, total, dtype):
    """Values ``lo <= hi`` that contain the k-th largest |w| with high probability (exact for small models)."""
    gen, parts = torch.Generator().manual_seed(0), []
    for _, module, attr in slots:
        w, mask = flat_weight(module, attr)
        if total <= SAMPLE:
            idx = torch.arange(w.numel())
        else:
            idx = torch.randint(w.numel(), (max(1, round(SAMPLE * w.numel() / total)),), generator=gen)
        idx = idx.to(w.device)
        v = w[idx].to(dtype).abs()
        parts.append(v if mask is None else v * mask[idx])
    s = torch.cat(parts).sort(descending=True).values
    if total <= SAMPLE:  # the "sample" is everything: the bracket is exact
        return s[k - 1].item(), s[k - 1].item()
    n, q = s.numel(), k / total  # the threshold is near the (q n)-th largest sample value
    margin = 4 * math.sqrt(n * q * (1 - q)) + 4
    hi = s[math.floor(q * n - margin)].item() if q * n - margin >= 0 else torch.finfo(dtype).max
    lo = s[math.ceil(q * n + margin)].item() if q * n + margin <= n - 1 else 0.0
    return lo, hi


def scan(slots, lo, hi, buf, cap, check_finite):
    """Count ``|w| > hi`` and ``lo <= |w| <= hi``; gather the latter if at most ``cap``, else bin them.

    Temporaries live in buffers allocated once: small pieces kept from chunk
    to chunk would fragment the heap and hold on to memory.

    Parameters
    ----------
    slots : list of (str, torch.nn.Module, str)
        The tensors scanned.
    lo, hi : float
        The bracket, ``0 <= lo <= hi``.
    buf : torch.Tensor
        Chunk buffer (float32 or float64; its dtype is the one compared in).
    cap : int
        Most candidates gathered; beyond it they are binned in a histogram of ``BINS`` bins.
    check_finite : bool
        Raise ``ValueError`` for a non-finite weight.

    Returns
    -------
    tuple
        ``(n_above, n_in, candidates or None, histogram, lo_bits, bin_width)``.
    """
    dtype, lo_bits, device = buf.dtype, _bits(lo, buf.dtype), buf.device
    bin_width = -(-(_bits(hi, dtype) - lo_bits + 1) // BINS)
    sel, tmp = torch.empty((2, buf.numel()), dtype=torch.bool, device=device)
    cands = torch.empty(max(cap, buf.numel()), dtype=dtype, device=device)
    n_above, n_in, binned, hist = 0, 0, False, torch.zeros(BINS, dtype=torch.long, device=device)

    def add_to_hist(values):
        bins = torch.div(values.view(_BITS[dtype]) - lo_bits, bin_width, rounding_mode="floor")
        hist.add_(torch.bincount(bins.long(), minlength=BINS))

    for _, _, a in abs_chunks(slots, buf, check_finite):
        s, t = sel[: a.numel()], tmp[: a.numel()]
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
            cands[n_in : n_in + c] = a[s]  # a small temporary, freed at once
        n_in += c
    return n_above, n_in, None if binned else cands[:n_in], hist, lo_bits, bin_width


def kth_largest(slots, k, total, buf):
    """``(t, n_gt)``: the k-th largest |w| over the slots and the count of |w| > t (1 <= k <= total).

    Selection without sorting all weights: a random sample brackets ``t`` in
    ``[lo, hi]`` (:func:`sample_bracket`); one pass (:func:`scan`) counts the
    weights above ``hi`` and gathers those in the bracket, and ``t`` is the
    right order statistic of these few candidates.  If the bracket misses
    ``t`` it moves; if it holds too many candidates (heavy ties), a histogram
    over its float bit patterns (monotone in the value for ``|w| >= 0``)
    shrinks it 1024-fold per pass.
    """
    dtype, cap, check = buf.dtype, max(GATHER_CAP, total // 64), True
    lo, hi = sample_bracket(slots, k, total, dtype)
    for _ in range(64):  # <= 1 move + 7 histogram passes (63 bits / 10 per pass) + 1 gather
        n_above, n_in, cands, hist, lo_bits, width = scan(slots, lo, hi, buf, cap, check)
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
            b = BINS - 1 - int(torch.searchsorted(from_top, k - n_above))
            hi_bits = min(_bits(hi, dtype), lo_bits + (b + 1) * width - 1)
            lo, hi = _value(lo_bits + b * width, dtype), _value(hi_bits, dtype)
    raise RuntimeError(f"threshold selection did not converge (k={k}, bracket [{lo}, {hi}]); please report")


def top_masks(slots, k, total):
    """Masks ``{name: torch.BoolTensor}`` keeping exactly the ``k`` largest |w| over ``slots`` (ties: earlier kept).

    ``total`` is the number of weights in the slots and ``0 <= k <= total``;
    non-finite weights raise ``ValueError`` (also for ``k = 0``).
    """
    weights = [flat_weight(m, a)[0] for _, m, a in slots]  # chunks are worked on in a float32/64 buffer
    dtype = torch.float64 if any(w.dtype == torch.float64 for w in weights) else torch.float32
    buf = torch.empty(min(CHUNK, max(w.numel() for w in weights)), dtype=dtype, device=weights[0].device)
    # k = 0 keeps nothing (threshold +inf), but non-finite weights are still refused
    t, n_gt = kth_largest(slots, k, total, buf) if k > 0 else (math.inf, 0)
    masks = {name: torch.empty(getattr(m, a).shape, dtype=torch.bool, device=buf.device) for name, m, a in slots}
    flat = [masks[name].view(-1) for name, _, _ in slots]
    ties_left, eq = k - n_gt, torch.empty_like(buf, dtype=torch.bool)  # ties kept: the earliest
    for i, start, a in abs_chunks(slots, buf, check_finite=k == 0):
        out = flat[i][start : start + a.numel()]
        torch.gt(a, t, out=out)
        if ties_left > 0:
            tied = torch.eq(a, t, out=eq[: a.numel()]).nonzero().view(-1)[:ties_left]
            out[tied] = True
            ties_left -= tied.numel()
    return masks
