r"""BatchNorm statistics after pruning: re-estimate them without training.

A network with batch normalisation normalises a channel at test time by the
running mean :math:`\hat\mu` and variance :math:`\hat\sigma^2` collected while
the dense network trained,

.. math:: \mathrm{BN}(z) = \gamma\,\frac{z-\hat\mu}{\sqrt{\hat\sigma^2+\epsilon}} + \beta .

Pruning changes the distribution of :math:`z` feeding every BN layer, so the
stored statistics no longer match: a hypothesis for why pruned networks
without retraining collapse.  :func:`recalibrate_batchnorm` tests it directly:
it discards the stored statistics and recomputes them, by forward passes in
training mode over training inputs, as exact averages over the passes
(``momentum=None``), changing no weight.  Used in the chapter
:doc:`/book/resnet_cifar` and by :func:`pruning_lab.nn.sweeps.run_width_point`.
"""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

from ..validation import check_int

__all__ = ["has_batchnorm", "recalibrate_batchnorm"]

_BN = (nn.BatchNorm1d, nn.BatchNorm2d, nn.BatchNorm3d)


def has_batchnorm(model: nn.Module) -> bool:
    """Whether ``model`` has a BatchNorm layer that tracks running statistics."""
    if not isinstance(model, nn.Module):
        raise TypeError(f"model must be a torch.nn.Module, got {type(model).__name__}")
    return any(isinstance(m, _BN) and m.track_running_stats for m in model.modules())


@torch.no_grad()
def recalibrate_batchnorm(model: nn.Module, X, *, batch_size: int = 256) -> nn.Module:
    r"""Recompute the running statistics of every BatchNorm layer of ``model`` on the inputs ``X``, in place.

    Each layer's running mean and variance are reset and re-estimated as the
    average over the minibatches ``X[i:i+batch_size]`` of the batch statistics
    (``momentum=None``: a cumulative average, independent of the order of
    magnitude of the old statistics); weights, biases and the BN affine
    parameters are not changed, and no gradient is computed.  The model's
    training/eval mode and each layer's momentum are restored.  A model
    without BatchNorm is returned unchanged.

    Parameters
    ----------
    model : torch.nn.Module
        The (pruned) network.
    X : array_like or torch.Tensor of shape (n, ...)
        Training inputs (float32), on any device; they are moved to the model's device.
    batch_size : int
        Minibatch size of the forward passes (``>= 2``: a batch of one has no variance).

    Returns
    -------
    torch.nn.Module
        ``model`` itself.
    """
    if not has_batchnorm(model):
        return model
    batch_size = check_int(batch_size, "batch_size", low=2)
    X = torch.as_tensor(np.asarray(X) if not isinstance(X, torch.Tensor) else X, dtype=torch.float32)
    if X.ndim < 2 or X.shape[0] < 2:
        raise ValueError(f"X must hold at least 2 inputs (shape (n, ...)), got shape {tuple(X.shape)}")
    device = next(model.parameters()).device
    layers = [m for m in model.modules() if isinstance(m, _BN) and m.track_running_stats]
    momenta = [m.momentum for m in layers]
    was_training = model.training
    for m in layers:
        m.reset_running_stats()
        m.momentum = None
    model.train()
    for start in range(0, X.shape[0], batch_size):
        batch = X[start : start + batch_size]
        if batch.shape[0] >= 2:
            model(batch.to(device))
    for m, momentum in zip(layers, momenta):
        m.momentum = momentum
    model.train(was_training)
    return model
