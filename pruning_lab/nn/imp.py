"""Iterative magnitude pruning (IMP) with rewinding: the lottery-ticket procedure for torch classifiers.

Frankle & Carbin (2019), "The lottery ticket hypothesis", find a sparse
trainable subnetwork (a *winning ticket*) by repeating train → prune the
smallest-magnitude weights → reset the survivors to their initial values.
Frankle, Dziugaite, Roy & Carbin (2020), "Linear mode connectivity and the
lottery ticket hypothesis", reset them instead to their values after
:math:`k` steps of training (*rewinding*).  The control of both papers trains
the same masks from a fresh random initialisation.  Every network is trained
by one :class:`pruning_lab.nn.train.TrainingRecipe`; the magnitude ranking has a
*scope*: one threshold over all layers (``"global"``) or the same fraction in
every layer (``"layerwise"``).  Used in the chapter :doc:`/book/pruning_mnist`
(LeNet-300-100 on MNIST).
"""

from __future__ import annotations

import copy
import numbers
import time
from dataclasses import dataclass, field

import numpy as np
import torch
from torch import nn
from tqdm.auto import tqdm

from ..validation import check_int
from . import masks as masks_mod
from .masks import SCOPES
from .train import TrainingRecipe, _model_device, evaluate, train_classifier, zero_pruned_weights

__all__ = ["IMPResult", "iterative_magnitude_pruning", "prune_remaining", "reinitialize"]

_RECIPE = TrainingRecipe()  # the default recipe of iterative_magnitude_pruning


@dataclass(frozen=True)
class IMPResult:
    """Per-round results of :func:`pruning_lab.nn.imp.iterative_magnitude_pruning`.

    Round 0 is the dense network; round :math:`t\\ge 1` the network with the
    masks of round :math:`t`.  Arrays have one entry per round
    (``rounds + 1``).  The ``reinit_*`` arrays (random re-initialisation
    control) are ``None`` unless ``reinit=True``, the ``random_*`` arrays
    (random masks of the same per-layer counts) unless ``random_control=True``;
    their round-0 entry is NaN.
    ``recipe`` is the training recipe of the dense network (round :math:`t`
    trains with ``epochs - rewind_epoch`` epochs and seed ``seed + t``);
    ``config`` lists the protocol as a flat dict (``rounds``, ``prune_fraction``,
    ``scope``, ``rewind_epoch``, the recipe's ``epochs``, ``lr``, ``batch_size``,
    ``momentum``, ``weight_decay``, ``seed``, ``reinit`` and ``random_control``).
    """

    kept: np.ndarray
    kept_fraction: np.ndarray
    test_accuracy: np.ndarray
    test_error: np.ndarray
    test_loss: np.ndarray
    train_error: np.ndarray
    masks: list = field(repr=False)
    rewind_state: dict = field(repr=False)
    final_state: dict = field(repr=False)
    reinit_test_accuracy: np.ndarray | None = None
    reinit_test_error: np.ndarray | None = None
    reinit_train_error: np.ndarray | None = None
    reinit_seeds: tuple = ()
    random_test_error: np.ndarray | None = None
    random_train_error: np.ndarray | None = None
    config: dict = field(default_factory=dict)
    recipe: TrainingRecipe | None = None
    seconds: float = float("nan")


def _snapshot(model):
    return {k: v.detach().clone() for k, v in model.state_dict().items()}


def reinitialize(model: nn.Module, seed: int) -> nn.Module:
    """A deep copy of ``model`` with freshly drawn random parameters (seeded; ``model`` is untouched).

    If the model defines ``reset_parameters()`` itself, that is called;
    otherwise every submodule's ``reset_parameters()`` (PyTorch's default
    initialisation of ``nn.Linear``, ``nn.Conv2d``, ``nn.BatchNorm2d``, ...,
    which also resets BatchNorm running statistics).  The draws use torch's
    global generator seeded with ``seed`` inside ``torch.random.fork_rng``,
    so the caller's random state is unchanged and the same seed gives the same
    weights.  This is the initialisation :math:`\\theta_0'\\sim D_\\theta` of the
    random re-initialisation control of Frankle & Carbin (2019).
    """
    seed = check_int(seed, "seed", low=0)
    fresh = copy.deepcopy(model)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        with torch.no_grad():
            if callable(getattr(type(fresh), "reset_parameters", None)):
                fresh.reset_parameters()
            else:
                for module in fresh.modules():
                    if callable(getattr(module, "reset_parameters", None)):
                        module.reset_parameters()
    return fresh


def _fresh(model, reinit, seed):
    """The control's network: :func:`reinitialize` or ``reinit(seed)``, checked against ``model``."""
    if reinit is True:
        return reinitialize(model, seed)
    fresh = reinit(seed)
    want = {k: v.shape for k, v in model.state_dict().items()}
    got = {k: v.shape for k, v in fresh.state_dict().items()} if isinstance(fresh, nn.Module) else None
    if got != want:
        raise ValueError(
            "reinit(seed) must return a torch.nn.Module with the same parameters and shapes "
            f"as model, got {type(fresh).__name__}"
        )
    return fresh


def _random_like(masks, seed):
    """Random masks with the same number of kept entries in every tensor as ``masks`` (seeded)."""
    generator = torch.Generator().manual_seed(int(seed))
    out = {}
    for name, mask in masks.items():
        order = torch.randperm(mask.numel(), generator=generator)
        flat = torch.zeros(mask.numel(), dtype=torch.bool)
        flat[order[: int(mask.sum())]] = True
        out[name] = flat.reshape(mask.shape).to(mask.device)
    return out


def _nested(new, old, counts):
    """Force ``new`` inside ``old`` with exactly ``counts`` kept, filling with the earliest old positions.

    ``counts`` is ``{name: k}`` (per layer) or an int (total, filled in layer order).
    """
    new = {name: new[name] & old[name] for name in old}
    per_layer = isinstance(counts, dict)
    deficit = None if per_layer else counts - sum(int(m.sum()) for m in new.values())
    for name in old:
        need = counts[name] - int(new[name].sum()) if per_layer else deficit
        if need <= 0:
            continue
        flat = new[name].view(-1)
        spare = (old[name].view(-1) & ~flat).nonzero().view(-1)[:need]
        flat[spare] = True
        if not per_layer:
            deficit -= spare.numel()
    return new


def prune_remaining(model: nn.Module, masks: dict, prune_fraction: float, scope: str = "global") -> dict:
    """One IMP pruning step: remove ``prune_fraction`` of the weights still kept, smallest :math:`|W|` first.

    With :math:`K` weights kept by ``masks`` (per layer :math:`K_l` for
    ``scope="layerwise"``) the new masks keep :math:`K' = K -
    \\mathrm{round}(p K)` of them (Python rounding): those of largest
    :math:`|W\\odot m|`, ranked by
    :func:`pruning_lab.nn.masks.global_magnitude_masks` (one threshold across
    layers) or :func:`pruning_lab.nn.masks.layerwise_magnitude_masks`.
    Pruned weights score 0, so the new masks are contained in the old ones;
    should fewer than :math:`K'` kept weights be non-zero, the ranking's tie
    rule (earlier weight kept) is applied among the kept weights only, so the
    count is always exactly :math:`K'` and the masks are nested.

    Parameters
    ----------
    model : torch.nn.Module
        Unpruned by torch hooks; its weights are read, not changed.
    masks : dict of str to torch.BoolTensor
        The current masks, one for every prunable weight (as from
        :func:`pruning_lab.nn.masks.prunable_parameters`).
    prune_fraction : float
        :math:`p \\in [0, 1]`.
    scope : str
        Ranking scope, one of :data:`pruning_lab.nn.masks.SCOPES`: ``"global"`` or ``"layerwise"``.

    Returns
    -------
    dict of str to torch.BoolTensor
    """
    if scope not in SCOPES:
        raise ValueError(f"scope must be one of {', '.join(SCOPES)}, got {scope!r}")
    if isinstance(prune_fraction, bool) or not isinstance(prune_fraction, numbers.Real) or not 0 <= prune_fraction <= 1:
        raise ValueError(
            f"prune_fraction must be a number in [0, 1] (fraction of the remaining weights "
            f"removed per round), got {prune_fraction!r}"
        )
    _check_unpruned(model)
    params = masks_mod.prunable_parameters(model)
    if not isinstance(masks, dict) or set(masks) != set(params):
        got = sorted(masks) if isinstance(masks, dict) else type(masks).__name__
        raise ValueError(f"masks must give a mask for exactly the prunable weights {list(params)}, got {got}")
    for name, w in params.items():
        m = masks[name]
        if not isinstance(m, torch.Tensor) or m.dtype != torch.bool or m.shape != w.shape:
            raise ValueError(f"mask for {name} must be a torch.BoolTensor of shape {tuple(w.shape)}")
    masks = {name: masks[name].to(params[name].device) for name in params}
    scored = zero_pruned_weights(copy.deepcopy(model), masks)  # scores |W * m|: pruned weights count as 0
    if scope == "global":
        kept = sum(int(m.sum()) for m in masks.values())
        k = kept - round(float(prune_fraction) * kept)
        return _nested(masks_mod.global_magnitude_masks(scored, keep=k), masks, k)
    counts = {name: int(m.sum()) - round(float(prune_fraction) * int(m.sum())) for name, m in masks.items()}
    return _nested(masks_mod.layerwise_magnitude_masks(scored, keep=counts), masks, counts)


def _check_unpruned(model):
    """ValueError unless ``model`` is a torch module with data (not on the meta device) and no torch pruning hooks."""
    _model_device(model)
    if masks_mod.masks_from_model(model):
        raise ValueError(
            "model is pruned by torch.nn.utils.prune hooks; pass an unpruned network "
            "(torch.nn.utils.prune.remove each pruned parameter first)"
        )


def _check_protocol(model, data, recipe, rounds, prune_fraction, scope, rewind_epoch, reinit):
    """The checked ``(rounds, rewind_epoch)``; ValueError for any bad argument of the IMP protocol."""
    _check_unpruned(model)
    for attr in ("X_train", "y_train", "X_test", "y_test"):
        if not hasattr(data, attr):
            raise ValueError(
                f"data must be a pruning_lab.data.Dataset (X_train, y_train, X_test, y_test); it has no {attr}"
            )
    if not isinstance(recipe, TrainingRecipe):
        raise ValueError(f"recipe must be a pruning_lab.nn.train.TrainingRecipe, got {type(recipe).__name__}")
    rounds = check_int(rounds, "rounds", low=1)
    check_int(recipe.epochs, "recipe.epochs (epochs of IMP training)", low=1)
    rewind_epoch = check_int(rewind_epoch, "rewind_epoch", low=0, high=recipe.epochs - 1)
    if isinstance(prune_fraction, bool) or not isinstance(prune_fraction, numbers.Real) or not 0 < prune_fraction < 1:
        raise ValueError(
            f"prune_fraction must be a number in (0, 1) (fraction of the remaining weights "
            f"removed per round), got {prune_fraction!r}"
        )
    if scope not in SCOPES:
        raise ValueError(f"scope must be one of {', '.join(SCOPES)}, got {scope!r}")
    if not isinstance(reinit, bool) and not callable(reinit):
        raise ValueError(f"reinit must be True, False or a callable seed -> model, got {reinit!r}")
    return rounds, rewind_epoch


def iterative_magnitude_pruning(
    model: nn.Module,
    data,
    recipe: TrainingRecipe = _RECIPE,
    *,
    rounds: int,
    prune_fraction: float = 0.2,
    scope: str = "global",
    rewind_epoch: int = 0,
    reinit: bool = False,
    random_control: bool = False,
    transform=None,
    device="cpu",
    progress: bool = False,
) -> IMPResult:
    """Iterative magnitude pruning with rewinding (Frankle & Carbin 2019; Frankle et al. 2020).

    Protocol (all training: :func:`pruning_lab.nn.train.train_classifier` with
    ``recipe``, e.g. SGD with momentum and weight decay, minibatches of
    ``recipe.batch_size``, cross-entropy):

    0. Train a deep copy of ``model`` (initial weights :math:`\\theta_0`;
       ``model`` itself is never modified) densely by ``recipe``
       (``recipe.epochs`` epochs, minibatch order seed ``recipe.seed``).  The
       *rewind point* :math:`\\theta_k` is the full ``state_dict`` (weights,
       biases, BatchNorm statistics) after ``rewind_epoch = k`` epochs
       (:math:`k = 0`: :math:`\\theta_0`, the lottery ticket of Frankle &
       Carbin 2019).
    1. For :math:`t = 1, \\dots,` ``rounds``: prune ``prune_fraction`` of the
       weights still kept, by magnitude of the network trained in round
       :math:`t-1` (:func:`pruning_lab.nn.imp.prune_remaining` with ranking
       ``scope`` global or layer-wise); so :math:`m_t\\le m_{t-1}` and the kept
       fraction is :math:`(1-p)^t` up to rounding.
    2. *Rewind*: weights and buffers are reset to :math:`\\theta_k`, then
       multiplied by :math:`m_t`; the masks are kept, the optimizer state
       (momentum buffers) starts afresh.  Train with the masks in force by
       ``recipe.replace(epochs=epochs - k, seed=seed + t)`` (so every network
       sees ``epochs`` epochs counted from initialisation; a learning-rate
       schedule runs over these ``epochs - k`` epochs).
    3. With ``reinit``: the control network :math:`m_t\\odot\\theta_0'`, a
       fresh random initialisation (:func:`pruning_lab.nn.imp.reinitialize`
       with seed ``reinit_seeds[t]``) with the same masks, is trained the same
       way (same recipe and minibatch order); it does not influence the masks.
    4. With ``random_control``: a random mask with the same number of kept
       weights in every layer as :math:`m_t` (drawn independently each round,
       not nested), on the same rewind point :math:`\theta_k`, trained the
       same way: is the magnitude ranking better than chance at this
       per-layer sparsity?

    Only the weights of ``nn.Linear``/``nn.Conv`` layers are pruned (not the
    biases), with the same fraction for the output layer as for the others
    (Frankle & Carbin prune LeNet's output layer at half the rate).

    Parameters
    ----------
    model : torch.nn.Module
        The initialised, untrained network (not pruned by torch hooks).
    data : pruning_lab.data.Dataset
        Training set for training and the train error, test set for the test metrics.
    recipe : pruning_lab.nn.train.TrainingRecipe
        The training recipe (``recipe.epochs >= 1``); its ``seed`` seeds the
        minibatch orders and the re-initialisations.
    rounds : int
        Number of pruning rounds :math:`T \\ge 1`.
    prune_fraction : float
        :math:`p\\in(0, 1)`: fraction of the remaining weights removed per round.
    scope : str
        Ranking scope, one of :data:`pruning_lab.nn.masks.SCOPES`: ``"global"``
        (one threshold) or ``"layerwise"`` (the fraction in every layer).
    rewind_epoch : int
        :math:`k` in ``0..recipe.epochs-1``.
    reinit : bool or callable
        Also train the random re-initialisation control of every round.
        ``True``: the fresh initialisation of
        :func:`pruning_lab.nn.imp.reinitialize` (the modules' default
        initialisation unless the model defines ``reset_parameters``); a
        callable ``reinit(seed) -> torch.nn.Module`` builds the fresh network
        itself, e.g. ``lambda s: build_model("resnet20", 16, seed=s)`` to draw
        it from the model's own initialisation.
    random_control : bool
        Also train the random-mask control of every round (step 4).
    transform : callable, optional
        Minibatch augmentation ``transform(xb, generator)``.
    device : str or torch.device
        Where to train.
    progress : bool
        Show a ``tqdm`` bar over the rounds.

    Returns
    -------
    pruning_lab.nn.imp.IMPResult
        Per round the kept count and fraction, the test accuracy, error and
        loss, the train error and the masks (all on CPU); the rewind state
        :math:`\\theta_k`, the ``state_dict`` of the last trained network, and
        the control's metrics.
    """
    rounds, rewind_epoch = _check_protocol(model, data, recipe, rounds, prune_fraction, scope, rewind_epoch, reinit)
    if not isinstance(random_control, bool):
        raise ValueError(f"random_control must be True or False, got {random_control!r}")
    seed, epochs = recipe.seed, recipe.epochs
    train_kw = dict(transform=transform, device=device)
    reinit_seeds = tuple(int(s) for s in np.random.SeedSequence([seed, 2]).generate_state(rounds + 1))
    started = time.perf_counter()

    net = copy.deepcopy(model)
    rewind = {0: _snapshot(net)} if rewind_epoch == 0 else {}

    def keep_rewind_point(epoch, m, _optimizer):
        if epoch == rewind_epoch:
            rewind[0] = _snapshot(m)

    train_classifier(net, data.X_train, data.y_train, recipe, on_epoch_end=keep_rewind_point, **train_kw)
    masks = {
        n: torch.ones(w.shape, dtype=torch.bool, device=w.device) for n, w in masks_mod.prunable_parameters(net).items()
    }
    rows, all_masks, ctrl, rand = [], [], [], []

    def record(trained, m):
        test, train = evaluate(trained, data.X_test, data.y_test), evaluate(trained, data.X_train, data.y_train)
        rows.append(
            (sum(int(v.sum()) for v in m.values()), test["accuracy"], test["error"], test["loss"], train["error"])
        )
        all_masks.append({n: v.cpu() for n, v in m.items()})

    record(net, masks)
    for t in tqdm(range(1, rounds + 1), desc="IMP rounds", disable=not progress):
        masks = prune_remaining(net, masks, prune_fraction, scope)
        round_recipe = recipe.replace(epochs=epochs - rewind_epoch, seed=seed + t)
        net = copy.deepcopy(model).to(device)
        net.load_state_dict(rewind[0])
        train_classifier(net, data.X_train, data.y_train, round_recipe, masks=masks, **train_kw)
        record(net, masks)
        if reinit:
            control = _fresh(model, reinit, reinit_seeds[t])
            train_classifier(control, data.X_train, data.y_train, round_recipe, masks=masks, **train_kw)
            ctrl.append(
                (
                    evaluate(control, data.X_test, data.y_test)["accuracy"],
                    evaluate(control, data.X_train, data.y_train)["error"],
                )
            )
        if random_control:
            random_masks = _random_like(masks, reinit_seeds[t] + 1)
            control = copy.deepcopy(model).to(device)
            control.load_state_dict(rewind[0])
            train_classifier(control, data.X_train, data.y_train, round_recipe, masks=random_masks, **train_kw)
            rand.append(
                (
                    evaluate(control, data.X_test, data.y_test)["error"],
                    evaluate(control, data.X_train, data.y_train)["error"],
                )
            )
    kept, acc, err, loss, train_err = (np.array(c) for c in zip(*rows, strict=True))
    total = sum(v.numel() for v in masks.values())
    if reinit:
        c_acc, c_train = (np.concatenate([[np.nan], np.array(c)]) for c in zip(*ctrl, strict=True))
    if random_control:
        r_test, r_train = (np.concatenate([[np.nan], np.array(c)]) for c in zip(*rand, strict=True))
    config = dict(
        rounds=rounds,
        prune_fraction=float(prune_fraction),
        scope=scope,
        rewind_epoch=rewind_epoch,
        epochs=epochs,
        lr=recipe.lr,
        batch_size=recipe.batch_size,
        momentum=recipe.momentum,
        weight_decay=recipe.weight_decay,
        seed=seed,
        reinit=reinit if isinstance(reinit, bool) else repr(reinit),
        random_control=random_control,
    )
    return IMPResult(
        kept=kept.astype(int),
        kept_fraction=kept / total,
        test_accuracy=acc,
        test_error=err,
        test_loss=loss,
        train_error=train_err,
        masks=all_masks,
        rewind_state={k: v.cpu() for k, v in rewind[0].items()},
        final_state={k: v.cpu() for k, v in _snapshot(net).items()},
        reinit_test_accuracy=c_acc if reinit else None,
        reinit_test_error=1 - c_acc if reinit else None,
        reinit_train_error=c_train if reinit else None,
        reinit_seeds=reinit_seeds if reinit else (),
        random_test_error=r_test if random_control else None,
        random_train_error=r_train if random_control else None,
        config=config,
        recipe=recipe,
        seconds=time.perf_counter() - started,
    )
