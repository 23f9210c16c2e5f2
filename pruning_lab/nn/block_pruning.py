r"""Block pruning with SequentialAttention++, ACDC and block magnitude: phase plans, training, the MNIST experiment.

The training side of :mod:`pruning_lab.nn.seqattn` (Yasuda et al., 2024, §3 and App. C;
Peste et al., 2021 for ACDC), used in the chapter :doc:`/book/lasso_to_sapp`: a
:class:`PhasePlan` of dense, sparsification and sparse phases covering every training step,
the loop :func:`train_block_sparse` that runs a plan on a model whose layers carry
:class:`~pruning_lab.nn.seqattn.BlockAttentionLinear` wrappers (fresh optimizer at each phase
change), and :func:`block_prune_run` / :func:`block_prune_experiment`, which compare the
methods at equal block sparsity, with the same initial network, minibatches and number of steps.
"""

from __future__ import annotations

import numbers
import time
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn
from tqdm.auto import tqdm

from ..validation import check_array, check_int
from .models import MLP
from .seqattn import (
    PHASE_KINDS,
    BlockAttentionLinear,
    _check_sparsity,
    attach_block_attention,
    block_frobenius_norms,
    detach_block_attention,
)
from .train import _tensors, accuracy

__all__ = [
    "METHODS",
    "BlockPruneResult",
    "Phase",
    "PhasePlan",
    "acdc_phase_plan",
    "method_phase_plan",
    "sapp_phase_plan",
    "train_block_sparse",
    "weight_sparsity",
    "block_prune_run",
    "block_prune_experiment",
]

#: The methods of :func:`block_prune_run`: no pruning, block magnitude + fine-tuning, ACDC, SA++,
#: and the ablation "sapp_norm" (the SA++ phase plan with blocks ranked by norm, no attention).
METHODS = ("dense", "magnitude", "acdc", "sapp", "sapp_norm")


# -- phase plans -------------------------------------------------------------------------
@dataclass(frozen=True)
class Phase:
    """One training phase: ``kind`` in :data:`~pruning_lab.nn.seqattn.PHASE_KINDS`, steps ``start <= step < end``."""

    kind: str
    start: int
    end: int


@dataclass(frozen=True)
class PhasePlan:
    """Consecutive phases covering steps ``0..total_steps-1`` exactly, with no gaps or overlaps."""

    phases: tuple

    def __post_init__(self):
        if not self.phases:
            raise ValueError("a phase plan needs at least one phase")
        for i, p in enumerate(self.phases):
            if p.kind not in PHASE_KINDS:
                raise ValueError(f"phase {i} has kind {p.kind!r}; expected one of {PHASE_KINDS}")
            if p.end <= p.start or p.start != (self.phases[i - 1].end if i else 0):
                raise ValueError(
                    f"phase {i} covers steps {p.start}..{p.end}: phases must be non-empty, "
                    "start at step 0 and follow each other without gaps or overlaps"
                )

    @property
    def total_steps(self):
        """Number of training steps covered."""
        return self.phases[-1].end

    def fractions(self):
        """Length of each phase as a fraction of all steps (ndarray of shape (n_phases,))."""
        return np.array([p.end - p.start for p in self.phases]) / self.total_steps

    @classmethod
    def from_fractions(cls, kinds, fractions, total_steps):
        """Plan whose phase boundaries are :math:`\\mathrm{round}(T\\sum_{j\\le i} f_j)` for fractions summing to 1."""
        total_steps = check_int(total_steps, "total_steps")
        f = check_array(fractions, "fractions", ndim=1)
        if len(kinds) != f.size or np.any(f <= 0) or abs(f.sum() - 1) > 1e-9:
            raise ValueError(
                f"fractions must be {len(kinds)} positive numbers (one per phase) summing to 1, got {f.tolist()}"
            )
        ends = np.round(np.cumsum(f) * total_steps).astype(int)
        ends[-1] = total_steps
        starts = np.concatenate([[0], ends[:-1]])
        if np.any(ends <= starts):
            raise ValueError(
                f"total_steps={total_steps} is too small: some phase would get no step "
                f"(shortest fraction {f.min():.3g})"
            )
        return cls(tuple(Phase(str(k), int(a), int(b)) for k, a, b in zip(kinds, starts, ends, strict=True)))


def _cycle_fraction(initial_dense, cycles, final_sparse, extension):
    cycles = check_int(cycles, "cycles")
    sub = (1.0 - initial_dense - final_sparse - extension) / (2 * cycles)
    if min(initial_dense, final_sparse) <= 0 or extension < 0 or sub <= 0:
        raise ValueError(
            "initial_dense and final_sparse must be > 0, extension >= 0, and together < 1; got "
            f"{initial_dense}, {final_sparse}, {extension}"
        )
    return cycles, sub


def acdc_phase_plan(total_steps, *, initial_dense=0.1, cycles=7, final_sparse=0.15, extension=0.05):
    """ACDC plan (Kuznedelev et al., 2023, as used in SA++ App. C): dense, ``cycles`` x (sparse, dense), sparse.

    The last dense phase is extended by ``extension``; every other sparse / dense
    sub-phase has length ``(1 - initial_dense - final_sparse - extension) / (2 cycles)``.
    The ImageNet defaults give 10 + 7 (5 + 5) + 5 + 15 = 100 %.
    """
    cycles, sub = _cycle_fraction(initial_dense, cycles, final_sparse, extension)
    kinds = ["dense"] + ["sparse", "dense"] * cycles + ["sparse"]
    fr = [initial_dense] + [sub] * (2 * cycles) + [final_sparse]
    fr[-2] += extension
    return PhasePlan.from_fractions(kinds, fr, total_steps)


def sapp_phase_plan(total_steps, *, initial_dense=0.1, cycles=7, final_sparse=0.15, extension=0.05):
    """SA++ plan (SA++ App. C): the ACDC plan with each (sparse, dense) pair made (sparsify, sparse, dense).

    The pair's length is split in equal thirds (our reading: the paper does not state the
    split); the last pair with its extension becomes one sparsification phase, followed by
    the final sparse phase.
    """
    cycles, sub = _cycle_fraction(initial_dense, cycles, final_sparse, extension)
    kinds = ["dense"] + ["sparsify", "sparse", "dense"] * (cycles - 1) + ["sparsify", "sparse"]
    fr = [initial_dense] + [2 * sub / 3] * (3 * (cycles - 1)) + [2 * sub + extension, final_sparse]
    return PhasePlan.from_fractions(kinds, fr, total_steps)


def method_phase_plan(method, total_steps, *, finetune=0.25, cycles=3):
    """The phase plan of a block-pruning ``method`` of :data:`METHODS` over ``total_steps`` steps.

    ``"dense"``: one dense phase; ``"magnitude"``: dense for a fraction :math:`1-f` of the steps
    (:math:`f` = ``finetune``), then sparse (the top-:math:`k` block-norm mask taken at the switch,
    then fine-tuning); ``"acdc"``: :func:`acdc_phase_plan`; ``"sapp"`` and ``"sapp_norm"``:
    :func:`sapp_phase_plan`, both with ``cycles`` cycles.  Used in the chapter :doc:`/book/lasso_to_sapp`.
    """
    if method not in METHODS:
        raise ValueError(f"method must be one of {METHODS}, got {method!r}")
    if not (isinstance(finetune, numbers.Real) and 0 < finetune < 1):
        raise ValueError(f"finetune (fraction of steps spent fine-tuning) must lie in (0, 1), got {finetune!r}")
    if method == "dense":
        return PhasePlan.from_fractions(["dense"], [1.0], total_steps)
    if method == "magnitude":
        return PhasePlan.from_fractions(["dense", "sparse"], [1 - finetune, finetune], total_steps)
    if method == "acdc":
        return acdc_phase_plan(total_steps, cycles=cycles)
    return sapp_phase_plan(total_steps, cycles=cycles)


def weight_sparsity(model, masks):
    r"""Per-layer and overall weight sparsity of an MLP, computed from its pruning ``masks``.

    For every ``nn.Linear`` layer :math:`\ell` with weight :math:`W_\ell` the sparsity is the
    fraction of entries the mask removes, :math:`1-\lvert M_\ell\rvert/\lvert W_\ell\rvert`
    (0 for a layer without a mask); the overall sparsity is
    :math:`\sum_\ell(\lvert W_\ell\rvert-\lvert M_\ell\rvert)/\sum_\ell\lvert W_\ell\rvert` over all
    weight matrices (biases excluded).  ``masks`` is ``{"<layer>.weight": BoolTensor}`` as returned by
    :func:`~pruning_lab.nn.seqattn.detach_block_attention`.  Used in the chapter :doc:`/book/lasso_to_sapp`.

    Returns
    -------
    (dict of str to float, float)
        ``({layer name: sparsity}, overall sparsity)``.
    """
    if not isinstance(model, nn.Module):
        raise TypeError(f"model must be a torch.nn.Module, got {type(model).__name__}")
    linears = {n: m for n, m in model.named_modules() if isinstance(m, nn.Linear)}
    unknown = sorted(set(masks) - {f"{n}.weight" for n in linears})
    if unknown:
        raise ValueError(f"masks name weights that are not nn.Linear weights of the model: {unknown}")
    per_layer, removed, total = {}, 0, 0
    for name, m in linears.items():
        mask = masks.get(f"{name}.weight")
        n = m.weight.numel()
        gone = 0 if mask is None else n - int(torch.count_nonzero(mask))
        per_layer[name], removed, total = gone / n, removed + gone, total + n
    return per_layer, removed / total


# -- training ----------------------------------------------------------------------------
def train_block_sparse(
    model,
    X,
    y,
    plan,
    *,
    lr=1e-3,
    logit_lr=None,
    batch_size=128,
    weight_decay=1e-4,
    seed=0,
    loss="cross_entropy",
    progress=False,
):
    r"""Train a model with block-attention layers through a :class:`PhasePlan` (Adam; cross-entropy or MSE).

    The layers carry :class:`~pruning_lab.nn.seqattn.BlockAttentionLinear` wrappers.  At each
    phase change every wrapper enters the new phase and a fresh Adam optimizer is
    made (state reset, SA++ App. C.1); its L2 weight decay acts on all parameters,
    the logits included.  The learning rate follows a cosine decay over all steps; the
    logits use ``logit_lr`` (default ``lr``).  Minibatches come from a torch.Generator
    seeded with ``seed`` (epochs of random permutations).  The number of steps is the
    plan's, not a number of epochs, so this loop takes its own arguments rather than a
    :class:`pruning_lab.nn.train.TrainingRecipe`.

    Parameters
    ----------
    model : torch.nn.Module
        Network with wrapped layers (:func:`~pruning_lab.nn.seqattn.attach_block_attention`);
        trained in place, left in ``eval()`` mode.
    X, y : array_like
        Training inputs and targets: integer labels (``loss="cross_entropy"``) or real
        targets of shape (n, outputs) (``loss="mse"``).
    plan : PhasePlan
        The phases, covering every step.
    lr : float
        Peak learning rate of Adam (cosine decay to 0 over all steps).
    logit_lr : float, optional
        Peak learning rate of the attention logits (default ``lr``).
    batch_size : int
        Minibatch size.
    weight_decay : float
        L2 weight decay of Adam (on all parameters, the logits included).
    seed : int
        Seed of the minibatch order.
    loss : str
        ``"cross_entropy"`` (classification) or ``"mse"``, the mean squared error
        :math:`\frac1{n}\sum_i\lVert f(x_i)-y_i\rVert_2^2/\text{outputs}` (regression).
    progress : bool
        Show a ``tqdm`` bar over the steps.

    Returns
    -------
    numpy.ndarray of shape (total_steps,)
        The training loss of each step.
    """
    if not isinstance(plan, PhasePlan):
        raise ValueError(f"plan must be a PhasePlan, got {type(plan).__name__}")
    wrappers = [m for m in model.modules() if isinstance(m, BlockAttentionLinear)]
    if not wrappers:
        raise ValueError("model has no BlockAttentionLinear layer; wrap layers with attach_block_attention first")
    batch_size = check_int(batch_size, "batch_size")
    for name, v in (("lr", lr), ("logit_lr", lr if logit_lr is None else logit_lr)):
        if not (isinstance(v, numbers.Real) and 0 < v < np.inf):
            raise ValueError(f"{name} (learning rate) must be a finite number > 0, got {v!r}")
    if loss not in ("cross_entropy", "mse"):
        raise ValueError(f"loss must be 'cross_entropy' or 'mse', got {loss!r}")
    if loss == "mse":
        X, _ = _tensors(X, np.zeros(len(X)))
        y = torch.as_tensor(np.asarray(y, dtype=np.float32).reshape(len(X), -1))
        criterion = F.mse_loss
    else:
        X, y = _tensors(X, y)
        criterion = F.cross_entropy
    logits = [m.logits for m in wrappers if m.logits is not None]
    others = [p for p in model.parameters() if all(p is not q for q in logits)]
    gen, n, T = torch.Generator().manual_seed(int(seed)), X.shape[0], plan.total_steps
    order, pos, losses, prev = torch.randperm(n, generator=gen), 0, np.empty(T), None
    model.train()
    with tqdm(total=T, desc="steps", disable=not progress) as bar:
        for phase in plan.phases:
            for m in wrappers:
                m.start_phase(phase.kind, prev)
            groups = [{"params": others, "base": lr}] + ([{"params": logits, "base": logit_lr or lr}] if logits else [])
            opt = torch.optim.Adam(groups, lr=lr, weight_decay=weight_decay)
            for step in range(phase.start, phase.end):
                for m in wrappers:
                    m.update_mask((step - phase.start + 1) / (phase.end - phase.start))
                for g in opt.param_groups:
                    g["lr"] = g["base"] * 0.5 * (1 + np.cos(np.pi * step / T))
                if pos + batch_size > n:
                    order, pos = torch.randperm(n, generator=gen), 0
                idx, pos = order[pos : pos + batch_size], pos + batch_size
                opt.zero_grad(set_to_none=True)
                value = criterion(model(X[idx]), y[idx])
                value.backward()
                opt.step()
                losses[step] = value.item()
                bar.update()
            prev = phase.kind
    model.eval()
    return losses


@dataclass(frozen=True)
class BlockPruneResult:
    """One run of :func:`block_prune_run`.

    Attributes
    ----------
    method : str
        One of :data:`METHODS`.
    sparsity : float
        Target block sparsity.
    realized_sparsity : float
        Fraction of blocks of the pruned layers that are zero in the returned model.
    test_accuracy : float
        Test accuracy of the returned model.
    seconds : float
        CPU wall time of the training.
    seed : int
        Seed of the initialization and of the minibatches.
    model : torch.nn.Module
        The plain trained network (``nn.Linear`` layers; pruned blocks exactly zero).
    masks : dict of str to torch.BoolTensor
        Kept entries of each pruned weight (empty for ``"dense"``).
    layer_sparsity : dict of str to float
        Fraction of the weights removed from each ``nn.Linear`` layer (:func:`weight_sparsity`).
    overall_sparsity : float
        Fraction of all the network's weights removed (biases excluded).
    """

    method: str
    sparsity: float
    realized_sparsity: float
    test_accuracy: float
    seconds: float
    seed: int
    model: nn.Module
    masks: dict
    layer_sparsity: dict
    overall_sparsity: float


def block_prune_run(
    method,
    sparsity,
    data=None,
    *,
    block=16,
    layers=("2",),
    hidden=(256, 256),
    total_steps=1000,
    finetune=0.25,
    cycles=3,
    c=4.0,
    seed=0,
    progress=False,
    **train_kw,
):
    """Train an MLP on ``data`` (default :func:`pruning_lab.data.load_mnist`) and block-prune ``layers``.

    ``method``: ``"dense"`` (no pruning), ``"magnitude"`` (dense for ``1 - finetune`` of
    the steps, keep the blocks of largest Frobenius norm, fine-tune), ``"acdc"``
    (:func:`acdc_phase_plan`), ``"sapp"`` (:func:`sapp_phase_plan` with attention
    logits) or ``"sapp_norm"`` (the same plan, blocks ranked by Frobenius norm instead of
    attention: the ablation that separates the schedule from the attention).  All methods use
    the same initialization, minibatches and number of steps for a given ``seed``.

    Parameters
    ----------
    method : str
        One of :data:`METHODS`.
    sparsity : float
        Target fraction of blocks removed from each pruned layer, in ``[0, 1)``.
    data : pruning_lab.data.Dataset, optional
        Flat inputs (default: :func:`pruning_lab.data.load_mnist`).
    block : int
        Block side :math:`B`.
    layers : sequence of str
        Names of the ``nn.Linear`` layers of the MLP that are pruned.
    hidden : sequence of int
        Hidden widths of the MLP.
    total_steps : int
        Training steps of every method.
    finetune : float
        Fraction of the steps spent fine-tuning after block magnitude pruning, in ``(0, 1)``.
    cycles : int
        Sparse/dense cycles of the ACDC and SA++ plans.
    c : float
        Steepness of the sparsification schedule.
    seed : int
        Seed of the initialization and of the minibatches.
    progress : bool
        Show a ``tqdm`` bar over the steps.
    **train_kw
        Passed to :func:`train_block_sparse` (``lr``, ``logit_lr``, ``batch_size``, ``weight_decay``).

    Returns
    -------
    BlockPruneResult
    """
    plan = method_phase_plan(method, total_steps, finetune=finetune, cycles=cycles)
    sparsity = _check_sparsity(sparsity)
    if data is None:
        from ..data import load_mnist

        data = load_mnist()
    if not all(hasattr(data, a) for a in ("X_train", "y_train", "X_test", "y_test")):
        raise ValueError(f"data must be a pruning_lab.data.Dataset, got {type(data).__name__}")
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(int(seed))
        net = MLP(data.X_train.shape[1], tuple(hidden), data.n_classes)
    wrapped = attach_block_attention(net, layers, block, sparsity, attention=method == "sapp", c=c)
    start = time.perf_counter()
    train_block_sparse(wrapped, data.X_train, data.y_train, plan, seed=seed, progress=progress, **train_kw)
    seconds = time.perf_counter() - start
    plain, masks = detach_block_attention(wrapped)
    if method == "dense":
        masks = {}
    kept = sum(int(torch.count_nonzero(block_frobenius_norms(plain.get_submodule(n).weight, block))) for n in layers)
    total = sum(block_frobenius_norms(plain.get_submodule(n).weight, block).numel() for n in layers)
    per_layer, overall = weight_sparsity(plain, masks)
    acc = accuracy(plain, data.X_test, data.y_test)
    return BlockPruneResult(
        method, sparsity, 1 - kept / total, acc, seconds, int(seed), plain, masks, per_layer, overall
    )


def block_prune_experiment(
    data=None, methods=("magnitude", "sapp"), sparsities=(0.75, 0.9, 0.95), seeds=(0,), *, progress=False, **run_kw
):
    """Compare ``methods`` at equal block sparsity and steps: one :func:`block_prune_run` per (seed, sparsity, method).

    Parameters
    ----------
    data : pruning_lab.data.Dataset, optional
        Flat inputs (default: :func:`pruning_lab.data.load_mnist`).
    methods : sequence of str
        Among :data:`METHODS`.
    sparsities : sequence of float
        Target block sparsities.
    seeds : sequence of int
        Seeds of the runs.
    progress : bool
        Show a ``tqdm`` bar over the runs.
    **run_kw
        Passed to :func:`block_prune_run` (e.g. ``block``, ``layers``, ``total_steps``).

    Returns
    -------
    list of BlockPruneResult
        In the loop order seed, sparsity, method.
    """
    for m in methods:
        if m not in METHODS:
            raise ValueError(f"method must be one of {METHODS}, got {m!r}")
    for s in sparsities:
        _check_sparsity(s)
    if data is None:
        from ..data import load_mnist

        data = load_mnist()
    runs = [(seed, s, m) for seed in seeds for s in sparsities for m in methods]
    return [
        block_prune_run(m, s, data, seed=seed, **run_kw) for seed, s, m in tqdm(runs, desc="runs", disable=not progress)
    ]
