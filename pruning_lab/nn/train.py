"""Training and evaluation loops for classifiers (CPU-friendly, seeded), with masks kept in force.

A training run is described by one frozen :class:`TrainingRecipe` (optimizer,
learning rate and its schedule, epochs, minibatch size, momentum, weight
decay, seed) and carried out by :func:`train_classifier`.  Masked training
keeps a pruned network pruned.  With masks
:math:`m^{(l)}\\in\\{0,1\\}^{\\text{shape of }W^{(l)}}` (1 = keep) every step of
SGD with momentum :math:`\\mu`, weight decay :math:`\\lambda` and learning rate
:math:`\\eta_t` is

.. math:: g = m\\odot\\nabla_W L,\\qquad
          b \\leftarrow \\mu b + g + \\lambda W,\\qquad
          W \\leftarrow m\\odot(W - \\eta_t b),

so a weight with :math:`m_j = 0` that starts at zero has :math:`g_j = 0`, a
momentum buffer :math:`b_j = 0` and stays exactly zero.  With Adam the same
two multiplications keep its moment estimates and the weight at zero there.  The masks cost two
in-place multiplications per masked tensor and step (no forward hooks, no
extra copy of the weights).  A model pruned through :mod:`torch.nn.utils.prune`
(for example with :func:`pruning_lab.nn.masks.apply_masks`) also trains with
its masks in force, without a ``masks`` argument: its effective weights are
``weight_orig * weight_mask``.  Used in the chapters :doc:`/book/pruning_strategies`,
:doc:`/book/pruning_mnist` (also through :mod:`pruning_lab.nn.imp` and
:mod:`pruning_lab.nn.sweeps`) and :doc:`/book/resnet_cifar`.
"""

from __future__ import annotations

import dataclasses
import functools
import math
import numbers
from dataclasses import dataclass

import numpy as np
import torch
from torch import nn
from tqdm.auto import tqdm

from ..validation import check_array, check_int, check_nonnegative
from .masks import check_materialized

__all__ = [
    "LR_SCHEDULES",
    "OPTIMIZERS",
    "TrainingRecipe",
    "accuracy",
    "evaluate",
    "learning_rate",
    "train_classifier",
    "zero_pruned_weights",
]

#: Learning-rate schedules of :class:`TrainingRecipe` (see :func:`learning_rate`).
LR_SCHEDULES = ("constant", "cosine")
#: Optimizers of :class:`TrainingRecipe`: ``"sgd"`` is ``torch.optim.SGD`` with momentum and weight decay;
#: ``"adam"`` is ``torch.optim.Adam`` with :math:`\beta_1` = ``momentum``, :math:`\beta_2 = 0.999` and
#: L2 weight decay.
OPTIMIZERS = ("sgd", "adam")


@dataclass(frozen=True, kw_only=True)
class TrainingRecipe:
    r"""How a classifier is trained: optimizer, learning rate and schedule, epochs, minibatches, seed.

    A frozen, validated record (every field is checked when the recipe is
    made, with a ``ValueError`` naming the field); :func:`train_classifier`
    runs it, and :func:`pruning_lab.nn.imp.iterative_magnitude_pruning`,
    :func:`pruning_lab.nn.pipeline.mask_sweep`, the width sweeps
    (:class:`pruning_lab.nn.sweeps.WidthSweep`) and the panel
    :func:`pruning_lab.widgets.networks.mnist_pruning_figure` take one.  Each
    epoch is a pass over the training examples in an order drawn by a
    ``torch.Generator`` seeded with ``seed``, in minibatches of ``batch_size``;
    each minibatch is one step of the optimizer (the masked SGD step of
    :mod:`pruning_lab.nn.train`) on the mean cross-entropy.

    Attributes
    ----------
    optimizer : str
        One of :data:`OPTIMIZERS`: ``"sgd"`` (minibatch SGD with momentum, ``torch.optim.SGD``) or
        ``"adam"`` (``torch.optim.Adam``, the optimizer of Chang, Li, Oymak & Thrampoulidis, 2021).
    lr : float
        Peak learning rate :math:`\eta > 0`.
    lr_schedule : str
        ``"constant"`` (:math:`\eta_t = \eta`) or ``"cosine"`` (annealed per step to 0), see
        :func:`learning_rate`.
    epochs : int
        Passes over the data (``>= 0``; 0: no training).
    batch_size : int
        Minibatch size (the last minibatch of an epoch may be smaller).
    momentum : float
        SGD momentum :math:`\mu\in[0, 1)`; for Adam its :math:`\beta_1`.
    weight_decay : float
        :math:`\lambda \ge 0` (L2 penalty :math:`\tfrac{\lambda}{2}\|W\|^2`, added to the gradient by
        torch's SGD and Adam).
    seed : int
        Seed of the minibatch order (and of a data augmentation's own generator), ``>= 0``.

    Examples
    --------
    >>> recipe = TrainingRecipe(lr=0.1, epochs=20, lr_schedule="cosine")  # doctest: +SKIP
    >>> recipe.replace(epochs=5, seed=1)                                   # doctest: +SKIP
    """

    optimizer: str = "sgd"
    lr: float = 0.05
    lr_schedule: str = "constant"
    epochs: int = 10
    batch_size: int = 128
    momentum: float = 0.9
    weight_decay: float = 0.0
    seed: int = 0

    def __post_init__(self):
        if self.optimizer not in OPTIMIZERS:
            raise ValueError(f"optimizer must be one of {', '.join(OPTIMIZERS)}, got {self.optimizer!r}")
        lr = self.lr
        if isinstance(lr, bool) or not isinstance(lr, numbers.Real) or not math.isfinite(lr) or not lr > 0:
            raise ValueError(f"lr (learning rate) must be a finite number > 0, got {lr!r}")
        if self.lr_schedule not in LR_SCHEDULES:
            raise ValueError(f"lr_schedule must be one of {', '.join(LR_SCHEDULES)}, got {self.lr_schedule!r}")
        momentum = check_nonnegative(self.momentum, "momentum")
        if momentum >= 1:
            raise ValueError(f"momentum must lie in [0, 1), got {momentum}")
        checked = dict(
            lr=float(lr),
            epochs=check_int(self.epochs, "epochs", low=0),
            batch_size=check_int(self.batch_size, "batch_size", low=1),
            momentum=momentum,
            weight_decay=check_nonnegative(self.weight_decay, "weight_decay"),
            seed=check_int(self.seed, "seed", low=0),
        )
        for name, value in checked.items():  # plain Python numbers: equal recipes compare and print alike
            object.__setattr__(self, name, value)

    def replace(self, **changes) -> TrainingRecipe:
        """A copy with some fields changed (checked again), e.g. ``recipe.replace(epochs=2, seed=1)``."""
        return dataclasses.replace(self, **changes)


def _tensors(X, y, device=None):
    """``X`` as float32 and ``y`` as int64 tensors, checked: real inputs, one whole-number label >= 0 per example."""
    X_arr = X.detach().cpu().numpy() if isinstance(X, torch.Tensor) else np.asarray(X)
    if X_arr.dtype.kind not in "biuf":
        raise ValueError(f"X must be an array of real numbers of shape (n, ...), got dtype {X_arr.dtype}")
    if X_arr.ndim == 0:
        raise ValueError("X must be an array of shape (n, ...) (one row per example), got a scalar")
    y_arr = y.detach().cpu().numpy() if isinstance(y, torch.Tensor) else np.asarray(y)
    if y_arr.dtype.kind not in "iuf" or y_arr.ndim != 1:
        raise ValueError(
            f"y must be a 1-D array of integer class labels, got dtype {y_arr.dtype} and shape {y_arr.shape}"
        )
    if y_arr.dtype.kind == "f" and y_arr.size and not np.all(np.isfinite(y_arr) & (y_arr == np.round(y_arr))):
        raise ValueError("y must hold integer class labels; it contains non-integer values")
    if y_arr.size and y_arr.min() < 0:
        raise ValueError(f"y must hold class labels >= 0, got the label {y_arr.min()}")
    X = torch.as_tensor(X_arr, dtype=torch.float32)
    y = torch.as_tensor(y_arr, dtype=torch.long)
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
    check_materialized(model)
    first = next(model.parameters(), None)
    return None if first is None else first.device


def _check_fits(model, X, y):
    """The model maps a minibatch of ``X`` to logits ``(batch, classes)`` with more classes than ``max(y)``.

    One forward pass on the first example, in ``eval()`` mode without gradients (no running statistic
    or random number is used); the model's mode is restored.
    """
    was_training = model.training
    model.eval()
    try:
        with torch.no_grad():
            out = model(X[:1])
    except (RuntimeError, ValueError, TypeError, IndexError) as err:
        first = str(err).splitlines()[0] if str(err) else type(err).__name__
        raise ValueError(
            f"X (examples of shape {tuple(X.shape[1:])}, float32) does not fit the model: {first}"
        ) from None
    finally:
        model.train(was_training)
    if not isinstance(out, torch.Tensor) or out.ndim != 2:
        shape = tuple(out.shape) if isinstance(out, torch.Tensor) else type(out).__name__
        raise ValueError(f"model must map a batch of X to logits of shape (batch, classes), got {shape}")
    classes, top = out.shape[1], int(y.max())
    if top >= classes:
        raise ValueError(
            f"y contains the label {top} but the model has {classes} outputs; labels must lie in 0..{classes - 1}"
        )


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
    lr = check_nonnegative(lr, "lr (learning rate)")
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
            raise ValueError(
                f"mask name {name!r} is not a parameter of the model; expected one of {names[:8]}"
                + (" ..." if len(names) > 8 else "")
            )
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


def _check_callable(fn, what):
    if fn is not None and not callable(fn):
        raise ValueError(f"{what} must be callable or None, got {type(fn).__name__}")


def _torch_device(device):
    try:
        return torch.device(device)
    except (RuntimeError, TypeError) as err:
        raise ValueError(f"device must name a torch device such as 'cpu' or 'cuda', got {device!r}") from err


def _optimizer(model, recipe):
    """The ``torch.optim`` optimizer of ``recipe.optimizer`` over the model's parameters."""
    if recipe.optimizer == "adam":
        return torch.optim.Adam(
            model.parameters(), lr=recipe.lr, betas=(recipe.momentum, 0.999), weight_decay=recipe.weight_decay
        )
    return torch.optim.SGD(model.parameters(), lr=recipe.lr, momentum=recipe.momentum, weight_decay=recipe.weight_decay)


def _masked_step(model, opt, loss_fn, xb, yb, pairs) -> float:
    """One optimizer step on the minibatch with the masks in force; returns the minibatch's mean loss."""
    opt.zero_grad(set_to_none=True)
    loss = loss_fn(model(xb), yb)
    loss.backward()
    for param, mask in pairs:
        if param.grad is not None:
            param.grad.mul_(mask)
    opt.step()
    if pairs:
        with torch.no_grad():
            for param, mask in pairs:
                param.mul_(mask)
    return loss.item()


def _sample_weights(sample_weight, n):
    w = check_array(sample_weight, "sample_weight", shape=(n,))
    if np.any(w < 0):
        raise ValueError(f"sample_weight must be {n} finite numbers >= 0 (one per example), got min {w.min()}")
    return torch.as_tensor(w, dtype=torch.float32)


def _weighted_cross_entropy(logits, target, weights):
    """The minibatch loss :math:`\\frac1{|B|}\\sum_{i\\in B}w_i\\ell_i` (:math:`\\ell_i`: per-example cross-entropy)."""
    return (weights * nn.functional.cross_entropy(logits, target, reduction="none")).mean()


def train_classifier(
    model: nn.Module,
    X,
    y,
    recipe: TrainingRecipe = TrainingRecipe(),
    *,
    masks: dict | None = None,
    transform=None,
    device="cpu",
    progress: bool = False,
    on_epoch_end=None,
    sample_weight=None,
) -> list[float]:
    """Train ``model`` in place by ``recipe`` (minibatch SGD with momentum, cross-entropy loss), masks in force.

    Each epoch visits the examples in an order drawn by a ``torch.Generator``
    seeded with ``recipe.seed``; so the same recipe and initial model give the
    same trained model.  The rate of step :math:`t` of :math:`T` = ``epochs``
    :math:`\\times` minibatches per epoch is :func:`learning_rate` of
    ``recipe.lr`` and ``recipe.lr_schedule``.  With ``masks`` every step is the
    masked SGD step of :mod:`pruning_lab.nn.train`: after ``loss.backward()``
    the gradients are multiplied by the masks (momentum buffers stay zero at
    pruned positions), after ``opt.step()`` the weights are multiplied by the
    masks again (exactly zero, whatever momentum and weight decay do).
    Weights at masked positions that are not zero at the start are set to zero
    first (in place).  With all-ones masks the run equals unmasked training
    bit for bit.

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
    recipe : TrainingRecipe
        Optimizer, learning rate and schedule, epochs, minibatch size, momentum,
        weight decay and seed (default: ``TrainingRecipe()``, 10 epochs of SGD
        with momentum 0.9 at the constant rate 0.05 in minibatches of 128).
    masks : dict of str to torch.BoolTensor, optional
        ``{parameter name: mask}`` (True = keep) as made by
        :func:`pruning_lab.nn.masks.global_magnitude_masks`; a name
        ``"fc1.weight"`` of a module pruned by torch refers to its
        ``weight_orig``.  Names and shapes are checked before training.
    transform : callable, optional
        ``transform(xb, generator) -> xb`` applied to each training minibatch
        (data augmentation), with a CPU ``torch.Generator`` seeded from
        ``recipe.seed`` and separate from the one drawing the order.
    device : str or torch.device
        Where the model and the data go for training.
    progress : bool
        Show a ``tqdm`` bar over the epochs.
    on_epoch_end : callable, optional
        ``on_epoch_end(epoch, model, optimizer)`` called after epoch
        ``1, ..., epochs`` (for snapshots; the model is then in training mode,
        ``optimizer`` is the ``torch.optim`` optimizer with its state).
    sample_weight : array_like of shape (n,), optional
        Per-example weights :math:`w_i\\ge0` (finite): the loss of a minibatch :math:`B` is then
        :math:`\\frac1{|B|}\\sum_{i\\in B}w_i\\ell_i` instead of the mean cross-entropy (all ones
        gives the unweighted loss up to rounding).  Used by :mod:`pruning_lab.nn.data_selection`
        for importance-weighted training.

    Returns
    -------
    list of float
        Mean training loss of each epoch (over its minibatches, weighted by size).
    """
    if not isinstance(recipe, TrainingRecipe):
        raise ValueError(f"recipe must be a pruning_lab.nn.train.TrainingRecipe, got {type(recipe).__name__}")
    _check_callable(transform, "transform")
    _check_callable(on_epoch_end, "on_epoch_end")
    _model_device(model)
    device = _torch_device(device)
    X, y = _tensors(X, y)
    model.to(device)
    X, y = X.to(device), y.to(device)
    _check_fits(model, X, y)
    pairs = [] if masks is None else _resolve_masks(model, masks)
    weights = None if sample_weight is None else _sample_weights(sample_weight, X.shape[0]).to(device)
    with torch.no_grad():
        for param, mask in pairs:  # as zero_pruned_weights, reusing the resolved masks of the loop below
            param.mul_(mask)

    seed, batch_size = recipe.seed, recipe.batch_size
    gen = torch.Generator().manual_seed(seed)
    aug_gen = torch.Generator().manual_seed(int(np.random.SeedSequence([seed, 1]).generate_state(1)[0]))
    opt = _optimizer(model, recipe)
    loss_fn = nn.CrossEntropyLoss()
    n, history = X.shape[0], []
    total_steps, step = max(1, recipe.epochs * -(-n // batch_size)), 0
    model.train()
    for epoch in tqdm(range(recipe.epochs), desc="epochs", disable=not progress):
        order = torch.randperm(n, generator=gen).to(device)
        total = 0.0
        for start in range(0, n, batch_size):
            idx = order[start : start + batch_size]
            xb = X[idx] if transform is None else transform(X[idx], aug_gen)
            if recipe.lr_schedule != "constant":
                for group in opt.param_groups:
                    group["lr"] = learning_rate(step, total_steps, recipe.lr, recipe.lr_schedule)
            fn = loss_fn if weights is None else functools.partial(_weighted_cross_entropy, weights=weights[idx])
            total += _masked_step(model, opt, fn, xb, y[idx], pairs) * idx.numel()
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
    _check_fits(model, X, y)
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
    batch_size = check_int(batch_size, "batch_size", low=1)
    X, y = _tensors(X, y, _model_device(model))
    _check_fits(model, X, y)
    was_training = model.training
    model.eval()
    correct = 0
    for start in range(0, X.shape[0], batch_size):
        correct += int((model(X[start : start + batch_size]).argmax(1) == y[start : start + batch_size]).sum())
    model.train(was_training)
    return correct / X.shape[0]
