r"""A sparse execution path for linear layers, used only where it is measured to pay.

A masked ``nn.Linear`` computes :math:`y = xW^\top + b` with a dense kernel that multiplies the
zeros too.  :class:`SparseLinear` stores :math:`W` in compressed sparse row (CSR) form, the
nonzero values with their column indices row by row, and computes :math:`y^\top = W x^\top + b`
with a CSR kernel (``torch.addmv`` for one sample, ``torch.addmm`` for a batch), whose work is
proportional to :math:`\mathrm{nnz}(W)` instead of :math:`d_{out} d_{in}`.  Whether that is faster
depends on the sparsity, the batch size, the shape and the machine: a dense kernel streams memory
and uses SIMD far better, so at moderate sparsity the sparse one is slower.  Hence:

- :func:`break_even_table` measures dense against CSR time for random weights;
- :func:`sparsify_linears` measures every linear layer of a model at the batch size of interest
  and converts a layer only when the measured speed-up exceeds a threshold, reporting its
  decisions (:class:`LayerDecision`).

The indices are stored as 32-bit integers when they fit (halving the index traffic of
``to_sparse_csr``'s 64-bit ones, which we measured to matter), and the CSR arrays are buffers, so
the layer can be copied and saved like any module.  Inference only: there is no gradient.

Used in the chapter :doc:`/book/pruning_speed`.
"""

from __future__ import annotations

import copy
import statistics
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import torch
from torch import nn

from ..validation import check_int
from .measure import Latency, latency

__all__ = ["BreakEvenRow", "LayerDecision", "SparseLinear", "break_even_table", "sparsify_linears"]

_INT32_MAX = 2**31 - 1


def _effective_weight(linear: nn.Linear) -> torch.Tensor:
    """``weight_orig * weight_mask`` for a layer pruned by torch, else ``weight`` (detached)."""
    if "weight_orig" in linear._parameters and "weight_mask" in linear._buffers:
        return (linear.weight_orig * linear.weight_mask).detach()
    return linear.weight.detach()


class SparseLinear(nn.Module):
    r"""Linear layer :math:`y = xW^\top + b` with :math:`W` stored in CSR form (inference only).

    Built from an ``nn.Linear`` (masked or pruned by :mod:`torch.nn.utils.prune`: its effective
    weight :math:`W_{orig}\odot m` is used); only the nonzero weights are stored, in the buffers
    ``crow_indices``, ``col_indices`` and ``values`` of ``W.to_sparse_csr()``; the bias stays a
    parameter (without gradient).  ``weight`` is the CSR tensor.  Inputs of shape
    ``(..., in_features)`` give outputs of shape ``(..., out_features)``, equal to the dense
    layer's up to float rounding.
    """

    def __init__(self, linear: nn.Linear):
        super().__init__()
        if not isinstance(linear, nn.Linear):
            raise TypeError(f"linear must be a torch.nn.Linear, got {type(linear).__name__}")
        self.in_features, self.out_features = linear.in_features, linear.out_features
        with warnings.catch_warnings():  # torch warns that its CSR support is in beta
            warnings.filterwarnings("ignore", message="Sparse CSR tensor support is in beta")
            csr = _effective_weight(linear).to_sparse_csr()
        crow, col = csr.crow_indices(), csr.col_indices()
        if col.numel() <= _INT32_MAX and max(self.in_features, self.out_features) <= _INT32_MAX:
            crow, col = crow.to(torch.int32), col.to(torch.int32)
        self.register_buffer("crow_indices", crow.clone())
        self.register_buffer("col_indices", col.clone())
        self.register_buffer("values", csr.values().clone())
        bias = None if linear.bias is None else nn.Parameter(linear.bias.detach().clone(), requires_grad=False)
        self.register_parameter("bias", bias)

    @property
    def weight(self) -> torch.Tensor:
        """The weight :math:`W` as a sparse CSR tensor of shape ``(out_features, in_features)``."""
        return torch.sparse_csr_tensor(
            self.crow_indices,
            self.col_indices,
            self.values,
            (self.out_features, self.in_features),
            check_invariants=False,  # built from to_sparse_csr, valid by construction
        )

    @property
    def nnz(self) -> int:
        """Number of stored (nonzero) weights."""
        return self.values.numel()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """:math:`y = xW^\\top + b` through a CSR product (``addmv`` for one sample, else ``addmm``)."""
        if x.shape[-1] != self.in_features:
            raise ValueError(
                f"x must have {self.in_features} features in its last dimension, got shape {tuple(x.shape)}"
            )
        lead, w = x.shape[:-1], self.weight
        rows = x.reshape(-1, self.in_features)
        if rows.shape[0] == 1:
            y = torch.mv(w, rows[0]) if self.bias is None else torch.addmv(self.bias, w, rows[0])
            y = y.unsqueeze(0)
        else:
            yt = torch.mm(w, rows.T) if self.bias is None else torch.addmm(self.bias.unsqueeze(1), w, rows.T)
            y = yt.T
        return y.reshape(*lead, self.out_features)

    def extra_repr(self) -> str:
        return f"in_features={self.in_features}, out_features={self.out_features}, nnz={self.nnz}"


def _time_pair_times(dense: nn.Module, sparse: nn.Module, in_features: int, batch_size: int, repeats: int, threads):
    """All seconds of ``dense`` and ``sparse`` on one batch, timed in alternation (fair under load)."""
    a, b = [], []
    for i in range(repeats):
        warm = 2 if i == 0 else 0
        a.extend(latency(dense, (in_features,), batch_size=batch_size, repeats=1, warmup=warm, threads=threads).times)
        b.extend(latency(sparse, (in_features,), batch_size=batch_size, repeats=1, warmup=warm, threads=threads).times)
    return tuple(a), tuple(b)


def _time_pair(dense: nn.Module, sparse: nn.Module, in_features: int, batch_size: int, repeats: int, threads: int):
    """Median seconds of ``dense`` and ``sparse`` on one batch, timed in alternation (fair under load)."""
    a, b = _time_pair_times(dense, sparse, in_features, batch_size, repeats, threads)
    return statistics.median(a), statistics.median(b)


@dataclass(frozen=True)
class BreakEvenRow:
    """One measured point of :func:`break_even_table`: dense and CSR median seconds of one layer.

    ``ratio`` is dense / sparse, the speed-up of the sparse path (above 1: sparse pays).
    ``dense_times`` and ``sparse_times`` hold every timed pass (seconds) whose medians are
    ``dense_seconds`` and ``sparse_seconds`` (empty for a row made by hand); their quartiles are
    :meth:`dense_latency` and :meth:`sparse_latency`.
    """

    shape: tuple
    sparsity: float
    batch_size: int
    dense_seconds: float
    sparse_seconds: float
    dense_times: tuple = ()
    sparse_times: tuple = ()
    threads: int = 1

    @property
    def ratio(self) -> float:
        """Speed-up ``dense_seconds / sparse_seconds``."""
        return self.dense_seconds / self.sparse_seconds

    def dense_latency(self) -> Latency:
        """The :class:`~pruning_lab.nn.measure.Latency` summary (median, quartiles) of ``dense_times``."""
        return Latency.from_times(self.dense_times, self.batch_size, self.threads)

    def sparse_latency(self) -> Latency:
        """The :class:`~pruning_lab.nn.measure.Latency` summary (median, quartiles) of ``sparse_times``."""
        return Latency.from_times(self.sparse_times, self.batch_size, self.threads)


def _check_fraction(value, name):
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value < 1:
        raise ValueError(f"{name} must be a fraction of weights removed in [0, 1), got {value!r}")
    return float(value)


def break_even_table(
    shapes: Sequence, sparsities: Sequence[float], batch_sizes: Sequence[int], *, repeats: int = 10, threads: int = 1
) -> list:
    r"""Measure dense against CSR time of random linear layers: where does sparsity pay?

    For every ``(out_features, in_features)`` of ``shapes``, sparsity :math:`s` of ``sparsities``
    and batch size of ``batch_sizes``: a layer with standard normal weights, a uniformly random
    fraction :math:`s` of them set to zero (seeded), timed as ``nn.Linear`` and as
    :class:`SparseLinear` in alternation, ``repeats`` times each, on ``threads`` threads.

    Returns
    -------
    list of BreakEvenRow
        One row per combination, in the order of the loops (shape, sparsity, batch size), with
        every timed pass kept (``dense_times``, ``sparse_times``).
    """
    repeats, threads = check_int(repeats, "repeats"), check_int(threads, "threads")
    if not shapes or any(not isinstance(s, Sequence) or len(s) != 2 for s in shapes):
        raise ValueError(f"shapes must be a non-empty list of (out_features, in_features), got {shapes!r}")
    shapes = [tuple(check_int(d, "every dimension of shapes") for d in s) for s in shapes]
    sparsities = [_check_fraction(s, "every sparsity") for s in sparsities]
    batch_sizes = [check_int(b, "every batch size") for b in batch_sizes]
    if not sparsities or not batch_sizes:
        raise ValueError("sparsities and batch_sizes must be non-empty")
    rows, gen = [], torch.Generator().manual_seed(0)
    for out_f, in_f in shapes:
        for s in sparsities:
            dense = nn.Linear(in_f, out_f)
            with torch.no_grad():
                dense.weight.normal_(generator=gen)
                dense.weight.mul_(torch.rand(dense.weight.shape, generator=gen) >= s)
            sparse = SparseLinear(dense)
            for b in batch_sizes:
                a, t = _time_pair_times(dense, sparse, in_f, b, repeats, threads)
                rows.append(
                    BreakEvenRow((out_f, in_f), s, b, statistics.median(a), statistics.median(t), a, t, threads)
                )
    return rows


@dataclass(frozen=True)
class LayerDecision:
    """What :func:`sparsify_linears` measured for one linear layer and what it decided.

    ``speedup`` is ``dense_seconds / sparse_seconds``; ``converted`` is whether it exceeded the
    threshold and the layer was replaced by :class:`SparseLinear`.
    """

    name: str
    shape: tuple
    sparsity: float
    dense_seconds: float
    sparse_seconds: float
    converted: bool

    @property
    def speedup(self) -> float:
        """Measured speed-up of the sparse path, ``dense_seconds / sparse_seconds``."""
        return self.dense_seconds / self.sparse_seconds


def _plain_linear(linear: nn.Linear) -> nn.Linear:
    """A hook-free ``nn.Linear`` with the effective weight of ``linear`` (the fair dense baseline)."""
    plain = nn.Linear(linear.in_features, linear.out_features, bias=linear.bias is not None)
    with torch.no_grad():
        plain.weight.copy_(_effective_weight(linear))
        if linear.bias is not None:
            plain.bias.copy_(linear.bias)
    return plain


def sparsify_linears(
    model: nn.Module,
    *,
    batch_size: int = 1,
    min_speedup: float = 1.05,
    repeats: int = 10,
    threads: int = 1,
    timer: Callable | None = None,
) -> tuple:
    r"""A copy of ``model`` whose linear layers are :class:`SparseLinear` where that is measured to be faster.

    For every ``nn.Linear`` of the copy, the dense layer (its effective weight, without pruning
    hooks) and its :class:`SparseLinear` are timed on a batch of ``batch_size`` inputs; the layer
    is replaced when the measured speed-up :math:`t_{dense}/t_{sparse}` exceeds ``min_speedup``,
    and left as it was otherwise.  ``model`` itself is not modified.

    Parameters
    ----------
    model : torch.nn.Module
        A (masked) model; layers pruned by :mod:`torch.nn.utils.prune` are converted with their
        effective weights.
    batch_size : int
        Batch size the decision is made for (the break-even sparsity depends on it).
    min_speedup : float
        Convert only when the measured speed-up exceeds this (at least 1).
    repeats : int
        Timed passes of each layer, alternating dense and sparse.
    threads : int
        Intra-op threads during the measurement.
    timer : callable, optional
        ``timer(dense, sparse, in_features, batch_size) -> (dense seconds, sparse seconds)``; by
        default the medians of ``repeats`` alternating measurements with
        :func:`pruning_lab.nn.measure.latency`.  Give one for a deterministic decision.

    Returns
    -------
    (torch.nn.Module, list of LayerDecision)
        The converted copy and one decision per linear layer, in module order.
    """
    if not isinstance(model, nn.Module):
        raise TypeError(f"model must be a torch.nn.Module, got {type(model).__name__}")
    batch_size, repeats, threads = (
        check_int(batch_size, "batch_size"),
        check_int(repeats, "repeats"),
        check_int(threads, "threads"),
    )
    if isinstance(min_speedup, bool) or not isinstance(min_speedup, (int, float)) or not min_speedup >= 1:
        raise ValueError(f"min_speedup must be a number at least 1, got {min_speedup!r}")
    if timer is None:

        def timer(dense, sparse, in_features, batch):
            return _time_pair(dense, sparse, in_features, batch, repeats, threads)

    elif not callable(timer):
        raise TypeError(f"timer must be callable, got {type(timer).__name__}")
    with torch.no_grad():
        new = copy.deepcopy(model)
    decisions = []
    for name, module in [(n, m) for n, m in new.named_modules() if isinstance(m, nn.Linear)]:
        dense, sparse = _plain_linear(module), SparseLinear(module)
        t_dense, t_sparse = (float(t) for t in timer(dense, sparse, module.in_features, batch_size))
        converted = t_dense > min_speedup * t_sparse
        if converted and not name:  # the model is itself one linear layer
            new = sparse
        elif converted:
            parent_name, _, attr = name.rpartition(".")
            setattr(new.get_submodule(parent_name), attr, sparse)
        sparsity = 1.0 - sparse.nnz / (module.in_features * module.out_features)
        decisions.append(
            LayerDecision(name, (module.out_features, module.in_features), sparsity, t_dense, t_sparse, converted)
        )
    return new, decisions
