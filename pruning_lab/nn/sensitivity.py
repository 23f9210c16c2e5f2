"""Layer sensitivity scans and a per-layer sparsity allocation read from them.

A *sensitivity scan* prunes one layer at a time by magnitude, the others dense, and records a
metric :math:`a_l(s)` (higher is better, e.g. test accuracy) at each sparsity :math:`s` of a grid,
as in the per-layer sensitivity analysis of Han et al. (2015).  Its *drop* is
:math:`d_l(s) = \\max_{s' \\le s}\\,\\big(a(0) - a_l(s')\\big)^+`, the largest loss of the metric
up to :math:`s` (nondecreasing, 0 at :math:`s = 0`), linear between the grid points.

:func:`allocate_from_sensitivity` chooses, for a common threshold :math:`\\tau` on the drop, the
largest sparsity of each layer whose drop stays within it,
:math:`s_l(\\tau) = \\max\\{s \\le s_{\\max} : d_l(s) \\le \\tau\\}`, and finds by bisection the
:math:`\\tau` at which :math:`\\sum_l n_l s_l(\\tau) = S\\,N` (:math:`S` the requested total
sparsity, :math:`N = \\sum_l n_l`); a layer that tolerates pruning gets much of it, a sensitive
layer little.  :func:`masks_from_allocation` turns the fractions into layer-wise magnitude masks.
Our reconstruction of sensitivity-guided allocation.  An exercise of the chapter
:doc:`/book/pruning_speed` compares it with uniform and global pruning; it extends the
global-against-layer-wise comparison of the chapter :doc:`/book/pruning_strategies`.
"""

from __future__ import annotations

import copy
import numbers
from dataclasses import dataclass

import numpy as np
import torch

from ..validation import check_array
from .masks import layerwise_magnitude_masks, prunable_parameters
from .train import zero_pruned_weights

__all__ = ["SensitivityRow", "allocate_from_sensitivity", "masks_from_allocation", "sensitivity_scan"]


@dataclass(frozen=True)
class SensitivityRow:
    """One point of a sensitivity scan: ``metric`` of the model with ``layer`` alone pruned to ``sparsity``.

    Attributes
    ----------
    layer : str
        The prunable weight's name (``"fc1.weight"``).
    size : int
        Its number of weights :math:`n_l`.
    sparsity : float
        Fraction of that layer removed by magnitude (``round(sparsity * size)`` weights).
    metric : float
        ``evaluate(model_copy)``.
    """

    layer: str
    size: int
    sparsity: float
    metric: float


def _sparsity_grid(sparsities):
    try:
        grid = check_array(sparsities, "sparsities", finite=False)
    except ValueError as err:
        raise ValueError("sparsities must be a sequence of numbers in [0, 1]") from err
    if grid.ndim != 1 or grid.size == 0 or not np.all((grid >= 0) & (grid <= 1)):
        raise ValueError(f"sparsities must be a non-empty sequence of numbers in [0, 1], got {sparsities!r}")
    return np.unique(np.concatenate([[0.0], grid]))


@torch.no_grad()
def sensitivity_scan(model, evaluate, sparsities, *, layers=None) -> list[SensitivityRow]:
    """Prune each layer alone by magnitude at each sparsity and record ``evaluate`` of the pruned copy.

    For each prunable weight :math:`l` (``layers``: a subset of names; default all, in module
    order) and each :math:`s` of ``sparsities`` (with 0 added, sorted), a deep copy of ``model``
    gets layer :math:`l`'s :math:`\\mathrm{round}(s\\,n_l)` smallest :math:`|w|` set to zero
    (:func:`pruning_lab.nn.masks.layerwise_magnitude_masks`, other layers untouched) and the row
    records ``float(evaluate(copy))``.  At :math:`s = 0` the copy is the dense model, evaluated
    once and reported for every layer.  ``model`` is not changed.  Returns the rows
    (:class:`SensitivityRow`), layer by layer, sparsities ascending.
    """
    if not callable(evaluate):
        raise ValueError(f"evaluate must be callable (model -> number), got {type(evaluate).__name__}")
    grid = _sparsity_grid(sparsities)
    params = prunable_parameters(model)
    if layers is None:
        layers = list(params)
    elif (
        isinstance(layers, str) or not isinstance(layers, (list, tuple)) or not layers or not set(layers) <= set(params)
    ):
        raise ValueError(
            f"layers must be a non-empty list of prunable weight names from {list(params)}, got {layers!r}"
        )
    dense = float(evaluate(copy.deepcopy(model)))
    rows = []
    for name in layers:
        for s in grid:
            if s == 0:
                rows.append(SensitivityRow(name, params[name].numel(), 0.0, dense))
                continue
            pruned = copy.deepcopy(model)
            keep = {n: p.numel() for n, p in params.items()}
            keep[name] = keep[name] - round(float(s) * keep[name])
            mask = layerwise_magnitude_masks(pruned, keep=keep)[name]
            zero_pruned_weights(pruned, {name: mask})
            rows.append(SensitivityRow(name, params[name].numel(), float(s), float(evaluate(pruned))))
    return rows


def _drop_curves(rows, sizes):
    """``{layer: (grid, nondecreasing drop)}`` from the rows; checked against ``sizes``."""
    if not isinstance(rows, (list, tuple)) or not rows or not all(isinstance(r, SensitivityRow) for r in rows):
        raise ValueError("rows must be a non-empty list of SensitivityRow (from sensitivity_scan)")
    if not isinstance(sizes, dict) or not sizes:
        raise ValueError("sizes must be a non-empty dict {layer name: number of weights}")
    curves = {}
    for name, n in sizes.items():
        if isinstance(n, bool) or not isinstance(n, numbers.Integral) or n < 1:
            raise ValueError(f"sizes[{name!r}] must be a positive integer, got {n!r}")
        mine = sorted((r.sparsity, r.metric) for r in rows if r.layer == name)
        if not mine or mine[0][0] != 0:
            raise ValueError(f"rows must hold layer {name!r} at sparsity 0 (as sensitivity_scan gives)")
        grid = np.array([s for s, _ in mine])
        if np.any(np.diff(grid) <= 0):
            raise ValueError(f"rows hold layer {name!r} twice at the same sparsity")
        metric = np.array([m for _, m in mine])
        if not np.all(np.isfinite(metric)):
            raise ValueError(f"rows hold a non-finite metric for layer {name!r}")
        curves[name] = (grid, np.maximum.accumulate(np.maximum(metric[0] - metric, 0.0)))
    return curves


def _sparsity_at(grid, drop, tau):
    """:math:`\\max\\{s \\le s_{\\max}: d(s) \\le \\tau\\}` for the piecewise-linear nondecreasing drop."""
    if tau < 0:
        return 0.0
    i = int(np.searchsorted(drop, tau, side="right")) - 1  # last grid point with drop <= tau
    if i == len(grid) - 1:
        return float(grid[-1])
    return float(grid[i] + (tau - drop[i]) / (drop[i + 1] - drop[i]) * (grid[i + 1] - grid[i]))


def _apportion(ideal, sizes, removed):
    """Integers :math:`r_l \\le n_l` summing to ``removed``, by largest remainder from ``ideal``."""
    counts = np.minimum(np.floor(ideal + 1e-9).astype(np.int64), sizes)
    order = np.argsort(-(ideal - counts), kind="stable")
    for idx in order:
        if counts.sum() >= removed:
            break
        if counts[idx] < sizes[idx]:
            counts[idx] += 1
    for idx in order[::-1]:  # float slack the other way: take back from the smallest remainders
        if counts.sum() <= removed:
            break
        if counts[idx] > 0:
            counts[idx] -= 1
    return counts


def allocate_from_sensitivity(rows, sizes, total_sparsity, *, tolerance=1e-9) -> dict:
    r"""Per-layer sparsities from a sensitivity scan reaching the total sparsity ``total_sparsity``.

    The rule (see :mod:`pruning_lab.nn.sensitivity`): a common threshold :math:`\tau` on each
    layer's nondecreasing metric drop :math:`d_l`, each layer pruned to
    :math:`s_l(\tau) = \max\{s \le s_{\max,l} : d_l(s) \le \tau\}` (linear between the scan's
    sparsities, never beyond the largest one scanned).  The total
    :math:`T(\tau) = \sum_l n_l s_l(\tau) / N` is nondecreasing; bisection brackets the requested
    :math:`S` between :math:`\tau_{lo}` and :math:`\tau_{hi}` until
    :math:`\tau_{hi} - \tau_{lo} \le` ``tolerance``, and since :math:`T` may jump (a layer whose
    metric does not move at all is released at once, to its largest sparsity) the allocation is the
    blend :math:`s = s(\tau_{lo}) + \theta\,(s(\tau_{hi}) - s(\tau_{lo}))` with :math:`\theta` such
    that the total is :math:`S` exactly.  Finally the removed counts :math:`n_l s_l` are rounded by
    largest remainder to integers summing to :math:`\mathrm{round}(S N)`, and the fractions are
    those counts over :math:`n_l`.  ``sizes`` is ``{layer: n_l}`` over every prunable weight (a
    layer must appear in ``rows`` at sparsity 0; :math:`S` may not exceed what the scan covers).
    Returns ``{layer: sparsity}``, deterministic.
    """
    curves = _drop_curves(rows, sizes)
    names = list(sizes)
    n = np.array([sizes[k] for k in names], dtype=np.int64)
    total = int(n.sum())
    if isinstance(total_sparsity, bool) or not isinstance(total_sparsity, numbers.Real):
        raise ValueError(f"total_sparsity must be a number in [0, 1], got {total_sparsity!r}")
    reachable = float(sum(n_l * curves[k][0][-1] for k, n_l in zip(names, n, strict=True)) / total)
    if not 0 <= total_sparsity <= reachable + 1e-12:
        raise ValueError(
            f"total_sparsity must lie in [0, {reachable:.6g}] (the most the scanned sparsities reach), "
            f"got {total_sparsity!r}"
        )
    if isinstance(tolerance, bool) or not isinstance(tolerance, numbers.Real) or not tolerance > 0:
        raise ValueError(f"tolerance must be a number > 0, got {tolerance!r}")

    def alloc(tau):
        return np.array([_sparsity_at(*curves[k], tau) for k in names])

    def reached(s):
        return float(n @ s) / total

    lo, hi = -1.0, float(max(c[1][-1] for c in curves.values()))
    s_lo, s_hi = alloc(lo), alloc(hi)
    while hi - lo > tolerance:
        mid = 0.5 * (lo + hi)
        s_mid = alloc(mid)
        if reached(s_mid) < total_sparsity:
            lo, s_lo = mid, s_mid
        else:
            hi, s_hi = mid, s_mid
    gap = reached(s_hi) - reached(s_lo)
    theta = 1.0 if gap <= 0 else min(max((total_sparsity - reached(s_lo)) / gap, 0.0), 1.0)
    ideal = (s_lo + theta * (s_hi - s_lo)) * n
    removed = _apportion(ideal, n, round(float(total_sparsity) * total))
    return {k: int(r) / int(n_l) for k, r, n_l in zip(names, removed, n, strict=True)}


def masks_from_allocation(model, allocation) -> dict:
    r"""Layer-wise magnitude masks with the fractions of ``allocation`` (``{layer: sparsity}``).

    Layer :math:`l` keeps its :math:`n_l - \mathrm{round}(s_l n_l)` largest :math:`|w|`
    (:func:`pruning_lab.nn.masks.layerwise_magnitude_masks`, ties: earlier kept); a prunable
    layer absent from ``allocation`` stays dense.  Returns ``{name: mask}``, True = keep.
    """
    params = prunable_parameters(model)
    if not isinstance(allocation, dict) or not set(allocation) <= set(params):
        raise ValueError(f"allocation must be a dict {{layer: sparsity}} over the prunable names {list(params)}")
    keep = {}
    for name, p in params.items():
        s = allocation.get(name, 0.0)
        if isinstance(s, bool) or not isinstance(s, numbers.Real) or not 0 <= s <= 1:
            raise ValueError(f"allocation[{name!r}] must be a sparsity in [0, 1], got {s!r}")
        keep[name] = p.numel() - round(float(s) * p.numel())
    return layerwise_magnitude_masks(model, keep=keep)
