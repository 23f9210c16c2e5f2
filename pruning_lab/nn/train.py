"""Training and evaluation loops for classifiers (CPU-friendly, seeded), with masks kept in force.

Masked training keeps a pruned network pruned.  With masks
:math:`m^{(l)}\\in\\{0,1\\}^{\\text{shape of }W^{(l)}}` (1 = keep) every step of
SGD with momentum :math:`\\mu`, weight decay :math:`\\lambda` and learning rate
:math:`\\eta_t` is

.. math:: g = m\\odot\\nabla_W L,\\qquad
          b \\leftarrow \\mu b + g + \\lambda W,\\qquad
          W \\leftarrow m\\odot(W - \\eta_t b),

so a weight with :math:`m_j = 0` that starts at zero has :math:`g_j = 0`, a
momentum buffer :math:`b_j = 0` and stays exactly zero.  The masks cost two
in-place multiplications per masked tensor and step (no forward hooks, no
extra copy of the weights).  A model pruned through :mod:`torch.nn.utils.prune`
(for example with :func:`pruning_lab.nn.masks.apply_masks`) also trains with
its masks in force, without a ``masks`` argument: its effective weights are
``weight_orig * weight_mask``.  Used in the chapters *Pruning strategies* and
*Lottery tickets* (through ``pruning_lab.nn.imp``).
"""

from __future__ import annotations

import math
import numbers

import numpy as np
import torch
from torch import nn
from tqdm.auto import tqdm

from ..validation import check_int, check_nonnegative

__all__ = ["LR_SCHEDULES", "accuracy", "evaluate", "learning_rate", "train_classifier", "zero_pruned_weights"]

#: Learning-rate schedules of :func:`train_classifier`.
LR_SCHEDULES = ("constant", "cosine")


def _tensors(X, y, device=None):
    X = torch.as_tensor(np.asarray(X), dtype=torch.float32)
    y = torch.as_tensor(np.asarray(y), dtype=torch.long)
    if X.shape[0] != y.shape[0]:
        raise ValueError(f"X has {X.shape[0]} examples but y has {y.shape[0]}; they must match")
    if X.shape[0] == 0:
        raise ValueError("X must contain at least one example")
    if not torch.isfinite(X).all():
        raise ValueError("X contains NaN or infinite values")
    if device is not None:
        X, y = X.to(device), y.to(device)
    return X, y


def _model_device(model):
    if not isinstance(model, nn.Module):
        raise ValueError(f"model must be a torch.nn.Module, got {type(model).__name__}")
    first = next(model.parameters(), None)
    return None if first is None else first.device


def learning_rate(step: int, total_steps: int, lr: float, schedule: str = "constant") -> float:
    """Learning rate :math:`\\eta_t` of step ``t = step`` (0-based) of ``total_steps``.

    ``"constant"``: :math:`\\eta_t = \\eta`.  ``"cosine"`` (cosine annealing
    without restarts, Loshchilov & Hutter 2017):

    .. math:: \\eta_t = \\frac{\\eta}{2}\\Big(1 + \\cos\\frac{\\pi t}{T}\\Big),
              \\qquad t = 0, \\dots, T,

    so :math:`\\eta_0 = \\eta` and :math:`\\eta_T = 0`: the schedule anneals to 0
    at the end of training (the last update uses :math:`\\eta_{T-1}`), as
    ``torch.optim.lr_scheduler.CosineAnnealingLR(T_max=T, eta_min=0)`` stepped
    once per minibatch.
    """
    if schedule not in LR_SCHEDULES:
        raise ValueError(f"lr_schedule must be one of {', '.join(LR_SCHEDULES)}, got {schedule!r}")
    total_steps = check_int(total_steps, "total_steps", low=1)
    step = check_int(step, "step", low=0, high=total_steps)
    if schedule == "constant":
        return float(lr)
    return 0.5 * float(lr) * (1.0 + math.cos(math.pi * step / total_steps))


def _resolve_masks(model, masks):
    """``[(parameter, float mask)]`` for ``masks`` keyed by parameter name; checked before any use.

    A key ``"fc1.weight"`` of a module pruned by torch refers to its
    ``weight_orig`` parameter.
    """
    if not isinstance(masks, dict):
        raise ValueError(f"masks must be a dict {{parameter name: bool tensor}}, got {type(masks).__name__}")
    params = dict(model.named_parameters())
    pairs, seen = [], {}
    for name, mask in masks.items():
        param = params.get(name, params.get(f"{name}_orig"))
        if param is None:
            names = [n.removesuffix("_orig") for n in params]
            raise ValueError(f"mask name {name!r} is not a parameter of the model; expected one of {names[:8]}"
                             + (" ..." if len(names) > 8 else ""))
        if id(param) in seen:
            raise ValueError(f"masks {seen[id(param)]!r} and {name!r} refer to the same parameter; give one")
        seen[id(param)] = name
        if not isinstance(mask, torch.Tensor):
            raise ValueError(f"mask for {name} must be a torch.BoolTensor, got {type(mask).__name__}")
        if mask.shape != param.shape:
            raise ValueError(f"mask for {name} has shape {tuple(mask.shape)}, expected {tuple(param.shape)}")
        if mask.dtype != torch.bool and not bool(((mask == 0) | (mask == 1)).all()):
            raise ValueError(f"mask for {name} must be boolean (or 0/1), got other values")
        pairs.append((param, mask.to(device=param.device, dtype=param.dtype)))
    return pairs


@torch.no_grad()
def zero_pruned_weights(model: nn.Module, masks: dict) -> nn.Module:
    r"""Set the pruned weights to zero in place, :math:`W \leftarrow W\odot m`, without torch prune hooks.

    ``masks`` is ``{parameter name: mask}`` (True = keep) as made by :mod:`pruning_lab.nn.masks`;
    names and shapes are checked first (as by :func:`train_classifier`).  The model keeps plain
    parameters, so it trains and deep-copies like an unpruned one; :func:`train_classifier` with
    ``masks=`` keeps the zeros.  Returns ``model``.
    """
    for param, mask in _resolve_masks(model, masks):
        param.mul_(mask)
    return model


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
    masks: dict | None = None,
    transform=None,
    lr_schedule: str = "constant",
    device="cpu",
    on_epoch_end=None,
) -> list[float]:
    """Train ``model`` in place with minibatch SGD (momentum) on the cross-entropy loss, masks in force.

    Each epoch visits the examples in an order drawn by a ``torch.Generator``
    seeded with ``seed``; so the same seed and initial model give the same
    trained model.  With ``masks`` every step is the masked SGD step of
    :mod:`pruning_lab.nn.train`: after ``loss.backward()`` the gradients are
    multiplied by the masks (momentum buffers stay zero at pruned positions),
    after ``opt.step()`` the weights are multiplied by the masks again
    (exactly zero, whatever momentum and weight decay do).  Weights at masked
    positions that are not zero at the start are set to zero first (in place).
    With all-ones masks the run equals unmasked training bit for bit.

    Parameters
    ----------
    model : torch.nn.Module
        Classifier mapping a batch of ``X`` to logits; modified in place, left
        in ``eval()`` mode on ``device``.  A model pruned with
        :mod:`torch.nn.utils.prune` hooks keeps its masks without ``masks``.
    X : array_like of shape (n, ...)
        Inputs (float32).
    y : array_like of shape (n,)
        Integer class labels.
    epochs : int
        Passes over the data (0: no training).
    lr : float
        Peak learning rate :math:`\\eta > 0`.
    batch_size : int
        Minibatch size (the last minibatch of an epoch may be smaller).
    momentum : float
        SGD momentum :math:`\\mu\\in[0, 1)`.
    weight_decay : float
        :math:`\\lambda \\ge 0` (L2 penalty :math:`\\tfrac{\\lambda}{2}\\|W\\|^2` of torch's SGD).
    seed : int
        Seed of the minibatch order (and of the ``transform``'s own generator).
    progress : bool
        Show a ``tqdm`` bar over the epochs.
    masks : dict of str to torch.BoolTensor, optional
        ``{parameter name: mask}`` (True = keep) as made by
        :func:`pruning_lab.nn.masks.global_magnitude_masks`; a name
        ``"fc1.weight"`` of a module pruned by torch refers to its
        ``weight_orig``.  Names and shapes are checked before training.
    transform : callable, optional
        ``transform(xb, generator) -> xb`` applied to each training minibatch
        (data augmentation), with a CPU ``torch.Generator`` seeded from
        ``seed`` and separate from the one drawing the order.
    lr_schedule : str
        ``"constant"`` or ``"cosine"``: the rate of each step is
        :func:`pruning_lab.nn.train.learning_rate` (cosine: annealed per step to 0).
    device : str or torch.device
        Where the model and the data go for training.
    on_epoch_end : callable, optional
        ``on_epoch_end(epoch, model, optimizer)`` called after epoch
        ``1, ..., epochs`` (for snapshots; the model is then in training mode,
        ``optimizer`` is the ``torch.optim.SGD`` with its momentum buffers).

    Returns
    -------
    list of float
        Mean training loss of each epoch (over its minibatches, weighted by size).
    """
    epochs = check_int(epochs, "epochs", low=0)
    batch_size = check_int(batch_size, "batch_size", low=1)
    if isinstance(lr, bool) or not isinstance(lr, numbers.Real) or not math.isfinite(lr) or not lr > 0:
        raise ValueError(f"lr (learning rate) must be a finite number > 0, got {lr!r}")
    momentum = check_nonnegative(momentum, "momentum")
    if momentum >= 1:
        raise ValueError(f"momentum must lie in [0, 1), got {momentum}")
    weight_decay = check_nonnegative(weight_decay, "weight_decay")
    seed = check_int(seed, "seed", low=0)
    if lr_schedule not in LR_SCHEDULES:
        raise ValueError(f"lr_schedule must be one of {', '.join(LR_SCHEDULES)}, got {lr_schedule!r}")
    for fn, what in ((transform, "transform"), (on_epoch_end, "on_epoch_end")):
        if fn is not None and not callable(fn):
            raise ValueError(f"{what} must be callable or None, got {type(fn).__name__}")
    _model_device(model)
    try:
        device = torch.device(device)
    except (RuntimeError, TypeError) as err:
        raise ValueError(f"device must name a torch device such as 'cpu' or 'cuda', got {device!r}") from err
    X, y = _tensors(X, y)
    model.to(device)
    X, y = X.to(device), y.to(device)
    pairs = [] if masks is None else _resolve_masks(model, masks)
    with torch.no_grad():
        for param, mask in pairs:  # as zero_pruned_weights, reusing the resolved masks of the loop below
            param.mul_(mask)

    gen = torch.Generator().manual_seed(seed)
    aug_gen = torch.Generator().manual_seed(int(np.random.SeedSequence([seed, 1]).generate_state(1)[0]))
    opt = torch.optim.SGD(model.parameters(), lr=lr, momentum=momentum, weight_decay=weight_decay)
    loss_fn = nn.CrossEntropyLoss()
    n, history = X.shape[0], []
    total_steps, step = max(1, epochs * -(-n // batch_size)), 0
    model.train()
    for epoch in tqdm(range(epochs), desc="epochs", disable=not progress):
        order = torch.randperm(n, generator=gen).to(device)
        total = 0.0
        for start in range(0, n, batch_size):
            idx = order[start : start + batch_size]
            xb = X[idx] if transform is None else transform(X[idx], aug_gen)
            if lr_schedule != "constant":
                for group in opt.param_groups:
                    group["lr"] = learning_rate(step, total_steps, lr, lr_schedule)
            opt.zero_grad(set_to_none=True)
            loss = loss_fn(model(xb), y[idx])
            loss.backward()
            for param, mask in pairs:
                if param.grad is not None:
                    param.grad.mul_(mask)
            opt.step()
            if pairs:
                with torch.no_grad():
                    for param, mask in pairs:
                        param.mul_(mask)
            total += loss.item() * idx.numel()
            step += 1
        history.append(total / n)
        if on_epoch_end is not None:
            on_epoch_end(epoch + 1, model, opt)
    model.eval()
    return history


@torch.no_grad()
def evaluate(model: nn.Module, X, y, batch_size: int = 4096) -> dict:
    """Mean cross-entropy, accuracy and error of ``model`` on ``(X, y)`` (in ``eval()`` mode).

    With logits :math:`z_i = f(x_i)` of the :math:`n` examples,

    .. math:: \\text{loss} = \\frac1n\\sum_i\\Big(\\log\\sum_c e^{z_{ic}} - z_{iy_i}\\Big),\\qquad
              \\text{accuracy} = \\frac1n\\sum_i 1[\\arg\\max_c z_{ic} = y_i],

    and error = 1 - accuracy.  The data go to the model's device; the model's
    training/eval mode is restored afterwards.

    Returns
    -------
    dict
        Keys ``"loss"``, ``"accuracy"``, ``"error"`` (floats).
    """
    batch_size = check_int(batch_size, "batch_size", low=1)
    X, y = _tensors(X, y, _model_device(model))
    was_training = model.training
    model.eval()
    loss, correct = 0.0, 0
    for start in range(0, X.shape[0], batch_size):
        logits, yb = model(X[start : start + batch_size]), y[start : start + batch_size]
        loss += float(nn.functional.cross_entropy(logits, yb, reduction="sum"))
        correct += int((logits.argmax(1) == yb).sum())
    model.train(was_training)
    acc = correct / X.shape[0]
    return {"loss": loss / X.shape[0], "accuracy": acc, "error": 1.0 - acc}


@torch.no_grad()
def accuracy(model: nn.Module, X, y, batch_size: int = 4096) -> float:
    """Fraction of examples whose arg-max prediction equals the label, :math:`\\frac1n\\sum_i 1[\\hat y_i = y_i]`."""
    X, y = _tensors(X, y, _model_device(model))
    was_training = model.training
    model.eval()
    correct = 0
    for start in range(0, X.shape[0], batch_size):
        correct += int((model(X[start : start + batch_size]).argmax(1) == y[start : start + batch_size]).sum())
    model.train(was_training)
    return correct / X.shape[0]
