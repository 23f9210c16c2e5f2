r"""Unit attention: the importance of hidden neurons learned as a softmax over each hidden layer.

Our reconstruction, in the spirit of SequentialAttention++ :cite:`yasuda2024sequentialattention`
(whose attention weighs *blocks of weights*, :mod:`pruning_lab.nn.seqattn`) and of Sequential
Attention :cite:`yasuda2023sequential` (which weighs input features), applied to the hidden
neurons of a fully connected network.  Every hidden unit :math:`u` of a group :math:`g` (a hidden
layer of :math:`n_g` units, :mod:`pruning_lab.nn.structured.layout`) gets a trainable logit
:math:`L_u`, initially 0, and its output :math:`h_u` (after the activation) is read by the next
layer as

.. math:: A_u\,h_u,\qquad A_u = n_g\,\frac{e^{L_u}}{\sum_{v\in g} e^{L_v}}

(:func:`~pruning_lab.nn.seqattn.block_softmax_attention` of the group's logits), so :math:`A`
has mean 1 within the group and all-zero logits leave the network exactly
unchanged.  :func:`attention_scores` trains the logits *together with the weights* of a copy
of the network on a batch ``(X, y)`` with the cross-entropy (Adam, a fixed number of
minibatch steps).  Because the attention of a group is a softmax, the units compete: raising
the attention of the units the loss relies on lowers that of the others, so the softmax
concentrates on the important units (the SA++ idea).  The importance of unit :math:`u` is its
final attention :math:`A_u`.

We score by :math:`A_u` alone, not by :math:`A_u` times the norm of the unit's weights: as in
SA++, selection by attention "factors out" the scale of the weights.  In a ReLU network a unit's
incoming weights can be multiplied by :math:`c>0` and its outgoing weights divided by :math:`c`
without changing the function, so any weight-norm score can be made large for a useless unit
(large incoming weights, no outgoing ones; the planted case of the tests, where ``"l1"`` is
fooled) or small for a useful one; the attention measures what the loss gains from the unit.

Only fully connected networks (:class:`~pruning_lab.nn.models.MLP`,
:class:`~pruning_lab.nn.models.LeNet300100`, ``nn.Sequential`` of linear layers and
activations) are supported; for ResNet-20 a ``ValueError`` says so.  It is the criterion
``"attention"`` of :func:`~pruning_lab.nn.structured.importance.group_importance`, next to the
criteria used in the chapter :doc:`/book/pruning_speed`; the weight-block attention it adapts is
the subject of the chapter :doc:`/book/lasso_to_sapp`.
"""

from __future__ import annotations

import copy
import math
import numbers

import torch
import torch.nn.functional as F
from torch import nn

from ...validation import check_int
from ..seqattn import block_softmax_attention
from .layout import channel_layout

__all__ = ["UnitAttention", "attach_unit_attention", "attention_scores", "check_data"]


def check_data(data, criterion: str):
    """Return ``data = (X, y)`` as a pair of tensors after checking it (``criterion`` names who needs it).

    ``X`` and ``y`` must be tensors with the same, non-zero number of rows; a missing ``data``
    or any other value raises a ``ValueError`` naming ``data``.
    """
    if data is None:
        raise ValueError(f"criterion {criterion!r} needs data=(X, y), a batch of inputs and labels")
    if not (isinstance(data, (tuple, list)) and len(data) == 2):
        raise ValueError(f"data must be a pair (X, y) of tensors, got {type(data).__name__}")
    X, y = data
    if not (isinstance(X, torch.Tensor) and isinstance(y, torch.Tensor)) or len(X) != len(y) or len(y) == 0:
        raise ValueError("data must be a pair (X, y) of tensors with the same non-zero number of rows")
    return X, y


class UnitAttention(nn.Module):
    r"""An ``nn.Linear`` that reads its inputs weighted by unit attention: :math:`W(A\odot h) + b`.

    :math:`A = n\,\mathrm{softmax}(L)` over the :math:`n` input units (the hidden units of
    ``group``), with trainable logits :math:`L` initialised to 0, so that the freshly wrapped
    layer computes exactly what ``linear`` computes.  ``linear`` is kept (not copied) as the
    submodule ``linear``.
    """

    def __init__(self, linear, group: str):
        super().__init__()
        if not isinstance(linear, nn.Linear):
            raise ValueError(f"linear must be an nn.Linear, got {type(linear).__name__}")
        self.linear, self.group = linear, str(group)
        w = linear.weight
        self.logits = nn.Parameter(torch.zeros(linear.in_features, dtype=w.dtype, device=w.device))

    def attention(self) -> torch.Tensor:
        """The attention :math:`A = n\\,\\mathrm{softmax}(L)` of the input units (1-D, mean 1)."""
        return block_softmax_attention(self.logits)

    def forward(self, x):
        return self.linear(x * self.attention())


def _fully_connected_layout(model):
    layout = channel_layout(model)
    if layout.kind == "resnet20":
        raise ValueError(
            "criterion 'attention' applies to fully connected networks only (MLP, LeNet300100, nn.Sequential "
            "of Linear layers and activations); model is a ResNet20"
        )
    return layout


def attach_unit_attention(model):
    """A deep copy of the fully connected ``model`` whose hidden units are weighted by :class:`UnitAttention`.

    The layer that reads each hidden layer is wrapped (its parameters become
    ``"<name>.linear.weight"``, ``"<name>.linear.bias"`` and ``"<name>.logits"``); ``model`` is not
    changed.  A ResNet-20 raises a ``ValueError``.
    """
    layout = _fully_connected_layout(model)
    wrapped = copy.deepcopy(model)
    for consumer, space in layout.inputs.items():
        setattr(wrapped, consumer, UnitAttention(wrapped.get_submodule(consumer), space))
    return wrapped


def _check_training(steps, lr, batch_size, seed):
    steps = check_int(steps, "steps", 0)
    if isinstance(lr, bool) or not isinstance(lr, numbers.Real) or not 0 < float(lr) < math.inf:
        raise ValueError(f"lr (Adam step size) must be a finite number > 0, got {lr!r}")
    return steps, float(lr), check_int(batch_size, "batch_size"), check_int(seed, "seed", 0)


def attention_scores(model, data, *, steps: int = 200, lr: float = 1e-2, batch_size: int = 64, seed: int = 0) -> dict:
    r"""The final unit attention :math:`A_u` of every hidden unit, ``{group: 1-D float64 tensor}`` (module docstring).

    A copy of ``model`` wrapped by :func:`attach_unit_attention` is trained in training mode
    with the cross-entropy, by Adam on its weights, biases and logits together; ``steps=0``
    returns the initial attention, all ones.  ``model`` is not changed.

    Parameters
    ----------
    model : torch.nn.Module
        A fully connected network (:class:`~pruning_lab.nn.models.MLP`,
        :class:`~pruning_lab.nn.models.LeNet300100` or an ``nn.Sequential`` of linear layers and
        activations); a ResNet-20 raises a ``ValueError``.
    data : tuple
        ``(X, y)``: a tensor of inputs and a tensor of class labels, with the same number of rows.
    steps : int
        Number of Adam steps (minibatches), at least 0.
    lr : float
        Adam step size, > 0.
    batch_size : int
        Rows per minibatch (at most the number of rows of ``X``); every epoch visits the rows in a
        new random order.
    seed : int
        Seed of the ``torch.Generator`` that orders the minibatches: the same seed gives the same
        scores.

    Returns
    -------
    dict
        ``{group: torch.Tensor}`` in the order of the layout's groups; each group's attentions
        are positive and have mean 1.
    """
    layout = _fully_connected_layout(model)
    X, y = check_data(data, "attention")
    steps, lr, batch_size, seed = _check_training(steps, lr, batch_size, seed)
    wrapped = attach_unit_attention(model).train()
    optimizer = torch.optim.Adam(wrapped.parameters(), lr=lr)
    generator = torch.Generator().manual_seed(seed)
    y = y.long()
    batch_size = min(batch_size, len(y))
    order, at = torch.randperm(len(y), generator=generator), 0
    for _ in range(steps):
        if at + batch_size > len(y):
            order, at = torch.randperm(len(y), generator=generator), 0
        rows = order[at : at + batch_size].to(X.device)
        at += batch_size
        optimizer.zero_grad()
        F.cross_entropy(wrapped(X[rows]), y[rows]).backward()
        optimizer.step()
    attention = {
        m.group: m.attention().detach().double().cpu() for m in wrapped.modules() if isinstance(m, UnitAttention)
    }
    return {group: attention[group] for group in layout.groups}
