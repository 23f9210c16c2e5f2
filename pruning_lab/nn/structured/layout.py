r"""Which neurons and channels of a network can be removed together: its channel layout.

A *channel space* is a set of :math:`n` activations that several layers agree on: the outputs
(rows) of the layers that produce it, with their BatchNorm, and the inputs (columns) of the
layers that read it.  Removing unit :math:`j` of a space removes row :math:`j` of every producer,
entry :math:`j` of their biases and BatchNorms, and column :math:`j` of every consumer.  A
*group* is what one keep decision covers: :math:`n_g` units, each one position in one or more
spaces; its keep-set is a sorted subset of :math:`\{0,\dots,n_g-1\}`.

- Fully connected networks (:class:`~pruning_lab.nn.models.MLP`,
  :class:`~pruning_lab.nn.models.LeNet300100`, an ``nn.Sequential`` of ``nn.Linear`` and the
  elementwise activations :data:`ACTIVATIONS`): one space and one group per hidden layer, named
  after the ``nn.Linear`` that produces it (``"0"``, ``"2"``, ...).  The input and the output
  layer are never pruned.
- :class:`~pruning_lab.nn.models.ResNet20`: the internal channels of every
  :class:`~pruning_lab.nn.models.BasicBlock` (``conv1``/``bn1`` rows, ``conv2`` columns), one
  group per block named after its ``conv1`` (``"layer2.0.conv1"``); and the residual stream,
  one space per stage (``"stage1"`` .. ``"stage3"``) produced by every ``conv2``/``bn2`` of the
  stage, the stem (stage 1) and the projection shortcut (option B), read by every ``conv1``, the
  next stage's projection and the final linear layer (stage 3).  With option B one group per
  stage covers its space.  With option A the zero-padding shortcut copies channel :math:`c` of
  stage :math:`s` into channel :math:`c + \lfloor p/2\rfloor` of stage :math:`s+1`
  (:math:`p` the added channels), so a channel is one *lineage* through the stages:
  ``"stream1"`` holds the :math:`k` lineages born in stage 1, ``"stream2"`` the :math:`k` born in
  stage 2 (its padded channels), ``"stream3"`` the :math:`2k` born in stage 3.  Keeping or
  removing whole lineages keeps every removed channel exactly zero in the masked network; the
  smaller network replaces the padding by a :class:`ChannelMapShortcut` that routes the kept
  channels.

:func:`channel_layout` reads the layout of a model; the importance criteria
(:mod:`pruning_lab.nn.structured.importance`) score its groups and the surgery
(:mod:`pruning_lab.nn.structured.surgery`) removes them.  Used in the chapter :doc:`/book/pruning_speed`;
it complements the unstructured masks of the chapters :doc:`/book/pruning_mnist` and
:doc:`/book/resnet_cifar`, whose pruned networks are no smaller than the dense ones.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

from ..masks import masks_from_model
from ..models import MLP, ResNet20

__all__ = ["ACTIVATIONS", "ChannelLayout", "ChannelMapShortcut", "channel_layout"]

#: The elementwise activations allowed between the ``nn.Linear`` layers of an ``nn.Sequential``.
ACTIVATIONS = (nn.ReLU, nn.Tanh, nn.Sigmoid, nn.SiLU, nn.Identity)


class ChannelMapShortcut(nn.Module):
    r"""Parameter-free shortcut :math:`S(x)_{:,i} = x_{:,\pi(i)}`, or 0 where :math:`\pi(i)=-1`.

    The input is first subsampled by ``stride``; ``index`` is :math:`\pi` (a buffer, one entry
    per output channel).  With
    :math:`\pi(i) = i - \lfloor p/2\rfloor` on the middle slice and :math:`-1` elsewhere it is the
    zero-padding shortcut (option A) of :class:`~pruning_lab.nn.models.BasicBlock`; after
    channel removal it routes the kept input channels to the kept output channels.
    """

    def __init__(self, stride: int, index):
        super().__init__()
        self.stride = int(stride)
        self.register_buffer("index", torch.as_tensor(index, dtype=torch.long).clone())

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.stride != 1:
            x = x[:, :, :: self.stride, :: self.stride]
        padded = torch.cat([x, x.new_zeros(x.shape[0], 1, *x.shape[2:])], dim=1)
        return padded.index_select(1, torch.where(self.index < 0, x.shape[1], self.index))


@dataclass(frozen=True)
class ChannelLayout:
    """The channel spaces and groups of a model (see the module docstring).

    Attributes
    ----------
    kind : str
        ``"mlp"``, ``"sequential"`` or ``"resnet20"``.
    spaces : dict of str to int
        Number of units of every space.
    outputs : dict of str to str
        Module name to the space of its outputs (rows of a ``Linear``/``Conv2d``, features of a
        BatchNorm).
    inputs : dict of str to str
        Module name to the space of its inputs (columns).
    groups : dict of str to tuple
        Group name to its members ``((space, positions), ...)``, ``positions`` a
        ``torch.LongTensor`` of the group's size: unit :math:`u` of the group is position
        ``positions[u]`` of that space.
    """

    kind: str
    spaces: dict
    outputs: dict
    inputs: dict
    groups: dict

    def group_sizes(self) -> dict:
        """Number of units of every group, ``{group: n_g}``."""
        return {g: len(members[0][1]) for g, members in self.groups.items()}


def channel_layout(model) -> ChannelLayout:
    """The :class:`ChannelLayout` of an unpruned MLP, ``nn.Sequential`` of linear layers, or ResNet-20.

    A ``TypeError`` names ``model`` for any other module, a ``ValueError`` for a model pruned by
    :mod:`torch.nn.utils.prune` (remove the reparametrisation first), for a fully connected
    network without a hidden layer, and for a ResNet-20 with option-A shortcuts whose channels
    were already removed.
    """
    if not isinstance(model, nn.Module):
        raise TypeError(f"model must be a torch.nn.Module, got {type(model).__name__}")
    if masks_from_model(model):
        raise ValueError("model is pruned by torch.nn.utils.prune; call prune.remove on it before structured pruning")
    if isinstance(model, ResNet20):
        return _resnet_layout(model)
    if isinstance(model, nn.Sequential):
        return _fc_layout(model, "mlp" if isinstance(model, MLP) else "sequential")
    raise TypeError(
        f"model must be an MLP, LeNet300100, nn.Sequential of Linear layers and activations, or ResNet20; "
        f"got {type(model).__name__}"
    )


def _fc_layout(model, kind):
    linear = []
    for name, child in model.named_children():
        if isinstance(child, nn.Linear):
            linear.append(name)
        elif type(child) not in ACTIVATIONS:
            allowed = ", ".join(a.__name__ for a in (nn.Linear, *ACTIVATIONS))
            raise TypeError(f"model: layer {name!r} is a {type(child).__name__}; expected only {allowed}")
    if len(linear) < 2:
        raise ValueError(f"model has {len(linear)} linear layer(s); structured pruning needs a hidden layer")
    spaces, outputs, inputs, groups = {}, {}, {}, {}
    for producer, consumer in zip(linear[:-1], linear[1:], strict=True):
        n = model.get_submodule(producer).out_features
        spaces[producer] = n
        outputs[producer], inputs[consumer] = producer, producer
        groups[producer] = ((producer, torch.arange(n)),)
    return ChannelLayout(kind, spaces, outputs, inputs, groups)


def _resnet_layout(model):
    spaces, outputs, inputs, groups = {}, {}, {}, {}
    outputs["conv"] = outputs["bn"] = "stage1"
    previous = "stage1"
    for s in (1, 2, 3):
        stage, space = getattr(model, f"layer{s}"), f"stage{s}"
        spaces[space] = stage[0].conv2.out_channels
        for b, block in enumerate(stage):
            name = f"layer{s}.{b}"
            internal = f"{name}.conv1"
            spaces[internal] = block.conv1.out_channels
            groups[internal] = ((internal, torch.arange(spaces[internal])),)
            inputs[f"{name}.conv1"] = previous if b == 0 else space
            outputs[f"{name}.conv1"] = outputs[f"{name}.bn1"] = inputs[f"{name}.conv2"] = internal
            outputs[f"{name}.conv2"] = outputs[f"{name}.bn2"] = space
            if isinstance(block.shortcut, nn.Sequential):
                inputs[f"{name}.shortcut.0"] = previous
                outputs[f"{name}.shortcut.0"] = outputs[f"{name}.shortcut.1"] = space
            elif block.shortcut is not None:
                raise ValueError(
                    f"model: block {name} has a {type(block.shortcut).__name__} shortcut (channels "
                    "already removed); option-A networks are pruned once, from the dense network"
                )
        previous = space
    inputs["fc"] = "stage3"
    if model.shortcut == "B":
        for s in (1, 2, 3):
            groups[f"stage{s}"] = ((f"stage{s}", torch.arange(spaces[f"stage{s}"])),)
    else:
        groups.update(_lineages(model, spaces))
    return ChannelLayout("resnet20", spaces, outputs, inputs, dict(sorted(groups.items(), key=_group_order)))


def _lineages(model, spaces):
    """The option-A groups ``stream1..3``: channels followed through the zero-padding shortcuts."""
    offsets = {2: model.layer2[0].pad // 2, 3: model.layer3[0].pad // 2}
    groups = {}
    for born in (1, 2, 3):
        space = spaces[f"stage{born}"]
        inherited = torch.zeros(space, dtype=torch.bool)
        if born > 1:
            inherited[offsets[born] : offsets[born] + spaces[f"stage{born - 1}"]] = True
        positions = torch.nonzero(~inherited).flatten()
        members = [(f"stage{born}", positions)]
        for later in range(born + 1, 4):
            positions = positions + offsets[later]
            members.append((f"stage{later}", positions))
        groups[f"stream{born}"] = tuple(members)
    return groups


def _group_order(item):
    """Residual-stream groups first, then the blocks in network order."""
    name = item[0]
    return (0, name) if name.startswith(("stage", "stream")) else (1, name)
