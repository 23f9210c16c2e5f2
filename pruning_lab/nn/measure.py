r"""What a pruned network costs on a CPU: parameters, multiply-accumulates, bytes on disk, latency.

A mask multiplies weights by zero, and a dense kernel then does the same work as before: pruning
buys speed only through a kernel that skips the zeros (:mod:`pruning_lab.nn.sparse_linear`).
This module measures both sides of that statement.

- :func:`count_params`: the number of parameters, or only the nonzero ones (the effective count
  of a masked model, through the masks of :mod:`torch.nn.utils.prune` when present).
- :func:`macs`: the analytical multiply-accumulate count of the ``nn.Linear`` and
  ``nn.Conv1d/2d/3d`` layers, :math:`|W|\cdot P` per layer where :math:`P` is the number of output
  positions (1 for a linear layer on a vector, :math:`H_{out}W_{out}` for a 2-d convolution),
  learned from one forward pass on zeros; with ``nonzero=True``, :math:`\mathrm{nnz}(W)\cdot P`,
  the work of a kernel that skips zeros.
- :func:`model_bytes`: the size of the state dict as written by ``torch.save``.
- :func:`latency`: wall-clock times of forward passes (inference mode, eval mode, a fixed number
  of threads, warm-up not counted), summarized by :class:`Latency`.

Used in the chapter :doc:`/book/pruning_speed`.
"""

from __future__ import annotations

import io
import statistics
import time
from collections.abc import Sequence
from dataclasses import dataclass

import torch
from torch import nn

from ..validation import check_int

__all__ = ["Latency", "count_params", "latency", "macs", "model_bytes"]

#: Dense layers whose multiply-accumulates :func:`macs` counts.
_COUNTED = (nn.Linear, nn.Conv1d, nn.Conv2d, nn.Conv3d)


def _check_model(model):
    if not isinstance(model, nn.Module):
        raise TypeError(f"model must be a torch.nn.Module, got {type(model).__name__}")


def _check_shape(input_shape, name="input_shape"):
    if isinstance(input_shape, (str, bytes)) or not isinstance(input_shape, Sequence) or not input_shape:
        raise ValueError(
            f"{name} must be a non-empty sequence of positive ints (one sample's shape), got {input_shape!r}"
        )
    return tuple(check_int(d, f"every entry of {name}") for d in input_shape)


def _effective(module: nn.Module, name: str) -> torch.Tensor:
    """The tensor a parameter stands for: ``name_orig * name_mask`` when pruned by torch."""
    if name.endswith("_orig") and name[:-5] + "_mask" in module._buffers:
        return module._parameters[name] * module._buffers[name[:-5] + "_mask"]
    return module._parameters[name]


def _input_dtype(model: nn.Module) -> torch.dtype:
    """The dtype of the model's first floating-point parameter or buffer (float32 if none)."""
    for t in (*model.parameters(), *model.buffers()):
        if t.is_floating_point():
            return t.dtype
    return torch.float32


def _is_sparse_layer(module: nn.Module) -> bool:
    """Whether ``module`` is a linear layer with a sparse CSR weight (duck-typed: a ``weight`` in CSR layout)."""
    weight = getattr(module, "weight", None)
    return isinstance(weight, torch.Tensor) and weight.layout == torch.sparse_csr


def count_params(model: nn.Module, *, nonzero: bool = False) -> int:
    r"""Number of parameters of ``model``, or only the nonzero ones.

    ``nonzero=False``: :math:`\sum_t |t|` over the parameter tensors (each shared tensor once;
    a module pruned by torch counts its ``weight_orig``, of the same size).  ``nonzero=True``:
    :math:`\sum_t \mathrm{nnz}(t)` over the *effective* tensors, :math:`W_{orig}\odot m` for a
    module pruned by torch, so a masked model gives its effective count.  A linear layer stored
    sparse (:class:`pruning_lab.nn.sparse_linear.SparseLinear`) counts its weight as
    :math:`d_{out} d_{in}` entries, of which its stored nonzeros are nonzero.  BatchNorm scales
    and shifts and biases are parameters too (compare
    :func:`pruning_lab.nn.models.count_parameters` with ``prunable_only``).
    """
    _check_model(model)
    if not isinstance(nonzero, bool):
        raise TypeError(f"nonzero must be a bool, got {type(nonzero).__name__}")
    seen, total = set(), 0
    for module in model.modules():
        for name, param in module._parameters.items():
            if param is None or id(param) in seen:
                continue
            seen.add(id(param))
            total += int(torch.count_nonzero(_effective(module, name).detach())) if nonzero else param.numel()
        if _is_sparse_layer(module):
            w = module.weight
            total += int(torch.count_nonzero(w.values())) if nonzero else w.shape[0] * w.shape[1]
    return total


def macs(model: nn.Module, input_shape: Sequence[int], *, nonzero: bool = False) -> tuple:
    r"""Analytical multiply-accumulate count of one sample's forward pass, in total and per layer.

    For every ``nn.Linear``, ``nn.Conv1d/2d/3d`` and sparse linear layer the count is
    :math:`|W|\cdot P`: each weight enters one multiply-accumulate per output position, and
    :math:`P = |\text{output}| / c_{out}` (batch 1).  For a 2-d convolution with :math:`g` groups,
    kernel :math:`k_h\times k_w`, this is :math:`c_{out} H_{out} W_{out} \cdot (c_{in}/g) k_h k_w`, with
    :math:`H_{out} = \lfloor (H + 2p - d(k_h-1) - 1)/s \rfloor + 1` (stride :math:`s`, padding
    :math:`p`, dilation :math:`d`) taken from the actual output; for a linear layer on a vector,
    :math:`d_{out} d_{in}`.  With ``nonzero=True`` :math:`|W|` is replaced by
    :math:`\mathrm{nnz}(W)` of the effective weight (masks of :mod:`torch.nn.utils.prune`
    applied): the work of a kernel that skips zeros.  Biases, BatchNorm, activations and
    pooling are not counted.

    The output sizes are learned from one forward pass, with hooks, on zeros of shape
    ``(1, *input_shape)`` in eval and inference mode (the training flags are restored).

    Returns
    -------
    (int, dict of str to int)
        The total and ``{module name: count}`` for every counted layer that ran (a layer
        called twice counts twice).
    """
    _check_model(model)
    shape = _check_shape(input_shape)
    per_layer: dict = {}

    def hook(name):
        def record(module, _inputs, output):
            if _is_sparse_layer(module):
                w = module.weight
                weights = int(torch.count_nonzero(w.values())) if nonzero else w.shape[0] * w.shape[1]
                channels = w.shape[0]
            else:
                weight = _effective(module, "weight_orig" if "weight_orig" in module._parameters else "weight")
                weights = int(torch.count_nonzero(weight)) if nonzero else weight.numel()
                channels = module.out_channels if isinstance(module, nn.modules.conv._ConvNd) else module.out_features
            per_layer[name] = per_layer.get(name, 0) + weights * (output.numel() // channels)

        return record

    handles = [
        m.register_forward_hook(hook(n))
        for n, m in model.named_modules()
        if isinstance(m, _COUNTED) or _is_sparse_layer(m)
    ]
    modes = [(m, m.training) for m in model.modules()]
    try:
        x = torch.zeros((1, *shape), dtype=_input_dtype(model))
        model.eval()
        with torch.inference_mode():
            model(x)
    finally:
        for h in handles:
            h.remove()
        for m, mode in modes:
            m.training = mode
    return sum(per_layer.values()), per_layer


def model_bytes(model: nn.Module) -> int:
    """Bytes of ``torch.save(model.state_dict())``, written to an in-memory buffer (``io.BytesIO``).

    The size on disk of the checkpoint: dense tensors take :math:`4|W|` bytes in float32 whatever
    their zeros (a masked model also stores its masks); a
    :class:`pruning_lab.nn.sparse_linear.SparseLinear` stores its CSR arrays.
    """
    _check_model(model)
    buffer = io.BytesIO()
    torch.save(model.state_dict(), buffer)
    return buffer.getbuffer().nbytes


@dataclass(frozen=True)
class Latency:
    r"""Wall-clock seconds of repeated forward passes of one batch: all times and their summary.

    ``median``, ``q1`` and ``q3`` are the median and quartiles (``statistics.quantiles``,
    inclusive method) of ``times``; ``spread`` is the relative interquartile range
    :math:`(q_3 - q_1)/\mathrm{median}`.
    """

    times: tuple
    median: float
    q1: float
    q3: float
    batch_size: int
    threads: int

    @property
    def spread(self) -> float:
        """Relative interquartile range :math:`(q_3 - q_1)/\\mathrm{median}`."""
        return (self.q3 - self.q1) / self.median if self.median > 0 else float("nan")

    @classmethod
    def from_times(cls, times: Sequence[float], batch_size: int, threads: int) -> Latency:
        """The summary of ``times`` (at least one)."""
        times = tuple(float(t) for t in times)
        if not times:
            raise ValueError("times must hold at least one measurement")
        q1, _, q3 = statistics.quantiles(times, n=4, method="inclusive") if len(times) > 1 else times * 3
        return cls(times, statistics.median(times), q1, q3, batch_size, threads)


def latency(
    model: nn.Module,
    input_shape: Sequence[int],
    *,
    batch_size: int = 1,
    repeats: int = 20,
    warmup: int = 3,
    threads: int = 1,
) -> Latency:
    r"""Time ``repeats`` forward passes of one batch of ``batch_size`` samples of shape ``input_shape``.

    The input is drawn once from a seeded normal generator; each pass is timed alone with
    ``time.perf_counter``, after ``warmup`` passes that are not counted, under
    ``torch.inference_mode()`` with the model in eval mode and ``torch.set_num_threads(threads)``.
    The number of threads and the training flags of every module are restored afterwards.

    Parameters
    ----------
    model : torch.nn.Module
        The model (not modified).
    input_shape : sequence of int
        Shape of one sample, without the batch dimension.
    batch_size : int
        Samples per forward pass.
    repeats : int
        Timed passes (at least 1).
    warmup : int
        Untimed passes first (at least 0).
    threads : int
        Intra-op threads during the measurement.

    Returns
    -------
    Latency
    """
    _check_model(model)
    shape = _check_shape(input_shape)
    batch_size = check_int(batch_size, "batch_size")
    repeats = check_int(repeats, "repeats")
    warmup = check_int(warmup, "warmup", 0)
    threads = check_int(threads, "threads")
    gen = torch.Generator().manual_seed(0)
    x = torch.randn((batch_size, *shape), generator=gen, dtype=_input_dtype(model))
    old_threads, modes = torch.get_num_threads(), [(m, m.training) for m in model.modules()]
    times = []
    try:
        torch.set_num_threads(threads)
        model.eval()
        with torch.inference_mode():
            for i in range(warmup + repeats):
                start = time.perf_counter()
                model(x)
                if i >= warmup:
                    times.append(time.perf_counter() - start)
    finally:
        torch.set_num_threads(old_threads)
        for m, mode in modes:
            m.training = mode
    return Latency.from_times(times, batch_size, threads)
