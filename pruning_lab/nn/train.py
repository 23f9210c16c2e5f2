"""Training and evaluation loops for classifiers (CPU-friendly, seeded).

A model pruned through :mod:`torch.nn.utils.prune` (for example with
:func:`pruning_lab.nn.masks.apply_masks`) trains with its masks in force:
its effective weights are ``weight_orig * weight_mask``, so pruned weights
stay exactly zero.
"""

from __future__ import annotations

import numpy as np
import torch
from torch import nn
from tqdm.auto import tqdm

__all__ = ["accuracy", "train_classifier"]


def _tensors(X, y):
    X = torch.as_tensor(np.asarray(X), dtype=torch.float32)
    y = torch.as_tensor(np.asarray(y), dtype=torch.long)
    if X.shape[0] != y.shape[0]:
        raise ValueError(f"X has {X.shape[0]} examples but y has {y.shape[0]}; they must match")
    if X.shape[0] == 0:
        raise ValueError("X must contain at least one example")
    if not torch.isfinite(X).all():
        raise ValueError("X contains NaN or infinite values")
    return X, y


def train_classifier(
    model: nn.Module,
    X,
    y,
    *,
    epochs: int = 10,
    lr: float = 0.05,
    batch_size: int = 128,
    momentum: float = 0.9,
    weight_decay: float = 0.0,
    seed: int = 0,
    progress: bool = False,
) -> list[float]:
    """Train ``model`` with minibatch SGD (momentum) on the cross-entropy loss.

    Minibatches are drawn by a ``torch.Generator`` seeded with ``seed``, so
    the same seed and initial model give the same trained model.  Returns the
    mean training loss of each epoch.
    """
    if not isinstance(epochs, int) or epochs < 0:
        raise ValueError(f"epochs must be a non-negative integer, got {epochs!r}")
    if not isinstance(batch_size, int) or batch_size < 1:
        raise ValueError(f"batch_size must be a positive integer, got {batch_size!r}")
    if not lr > 0:
        raise ValueError(f"lr (learning rate) must be > 0, got {lr}")
    X, y = _tensors(X, y)
    gen = torch.Generator().manual_seed(int(seed))
    opt = torch.optim.SGD(model.parameters(), lr=lr, momentum=momentum, weight_decay=weight_decay)
    loss_fn = nn.CrossEntropyLoss()
    history = []
    model.train()
    for _ in tqdm(range(epochs), desc="epochs", disable=not progress):
        order = torch.randperm(X.shape[0], generator=gen)
        total = 0.0
        for start in range(0, X.shape[0], batch_size):
            idx = order[start : start + batch_size]
            opt.zero_grad(set_to_none=True)
            loss = loss_fn(model(X[idx]), y[idx])
            loss.backward()
            opt.step()
            total += loss.item() * idx.numel()
        history.append(total / X.shape[0])
    model.eval()
    return history


@torch.no_grad()
def accuracy(model: nn.Module, X, y, batch_size: int = 4096) -> float:
    """Fraction of examples whose arg-max prediction equals the label."""
    X, y = _tensors(X, y)
    was_training = model.training
    model.eval()
    correct = 0
    for start in range(0, X.shape[0], batch_size):
        correct += int((model(X[start : start + batch_size]).argmax(1) == y[start : start + batch_size]).sum())
    model.train(was_training)
    return correct / X.shape[0]
