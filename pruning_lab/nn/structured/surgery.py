r"""Remove neurons and channels physically, or mask them; save and load the smaller network.

Given the keep-sets of the groups of a :class:`~pruning_lab.nn.structured.layout.ChannelLayout`
(:func:`~pruning_lab.nn.structured.importance.keep_sets`), every channel space keeps the units
:math:`K` its groups keep, and

- :func:`structured_masks` zeroes, for every removed unit :math:`j\notin K`, row :math:`j` of
  every producing weight, its bias and BatchNorm :math:`\gamma_j, \beta_j`, and column :math:`j` of
  every consumer: masks for :func:`pruning_lab.nn.masks.apply_masks` (:func:`masked_equivalent`
  applies them to a copy).  A removed BatchNorm channel then outputs exactly
  :math:`0\cdot(z-\hat\mu)/\hat\sigma + 0 = 0`;
- :func:`remove_structured` builds the network that has only the kept rows and columns (running
  statistics carried over), whose outputs equal those of the masked network (tested).

:func:`architecture_spec` describes a (smaller) network by its layer sizes, from which
:func:`build_from_spec` rebuilds it, so :func:`save_pruned` / :func:`load_pruned` round-trip a
pruned network without size mismatches.  The smaller network of an
:class:`~pruning_lab.nn.models.MLP` (:class:`~pruning_lab.nn.models.LeNet300100` included) is an
``MLP``; that of a ResNet-20 is a :class:`~pruning_lab.nn.models.ResNet20` whose modules were
resized (option A: its stride-2 shortcuts are
:class:`~pruning_lab.nn.structured.layout.ChannelMapShortcut`).  Used in the chapter
:doc:`/book/pruning_speed`; its unstructured counterpart is in :doc:`/book/resnet_cifar`.
"""

from __future__ import annotations

import collections
import copy

import torch
from torch import nn

from ...runs import atomic_write
from ..masks import apply_masks
from ..models import MLP, ResNet20
from .importance import keep_sets as select_keep_sets
from .layout import ACTIVATIONS, ChannelMapShortcut, channel_layout

__all__ = [
    "architecture_spec",
    "build_from_spec",
    "load_pruned",
    "masked_equivalent",
    "prune_structured",
    "remove_structured",
    "save_pruned",
    "structured_masks",
]

_BN = (nn.BatchNorm1d, nn.BatchNorm2d)
#: The state entries indexed by output unit (weight rows, biases, BatchNorm parameters and statistics).
_ROW_STATE = ("weight", "bias", "running_mean", "running_var")


def structured_masks(model, keep_sets: dict) -> dict:
    """The masks ``{parameter name: bool tensor}`` that zero every removed unit (module docstring)."""
    layout = channel_layout(model)
    kept = _space_keep(layout, keep_sets)
    modules, masks = dict(model.named_modules()), {}
    for name in sorted(set(layout.outputs) | set(layout.inputs), key=list(modules).index):
        module = modules[name]
        for attr in ("weight", "bias"):
            param = getattr(module, attr, None)
            if param is None:
                continue
            mask = torch.ones(param.shape, dtype=torch.bool, device=param.device)
            if name in layout.outputs:
                mask[~kept[layout.outputs[name]].to(param.device)] = False
            if attr == "weight" and name in layout.inputs and not isinstance(module, _BN):
                mask[:, ~kept[layout.inputs[name]].to(param.device)] = False
            masks[f"{name}.{attr}"] = mask
    return masks


def masked_equivalent(model, keep_sets: dict):
    """A copy of ``model`` with :func:`structured_masks` applied (``apply_masks``): the dense-sized reference."""
    return apply_masks(copy.deepcopy(model), structured_masks(model, keep_sets))


def remove_structured(model, keep_sets: dict):
    """The smaller network that keeps only the units of ``keep_sets`` (same mode, device and dtype as ``model``)."""
    layout = channel_layout(model)
    kept = {space: torch.nonzero(k).flatten() for space, k in _space_keep(layout, keep_sets).items()}
    state = {}
    for key, value in model.state_dict().items():
        name, _, attr = key.rpartition(".")
        value = value.detach()
        if name in layout.outputs and attr in _ROW_STATE:
            value = value.index_select(0, kept[layout.outputs[name]].to(value.device))
        if name in layout.inputs and attr == "weight":
            value = value.index_select(1, kept[layout.inputs[name]].to(value.device))
        state[key] = value.clone()
    spec = _with_sizes(architecture_spec(model), state)
    if spec["kind"] == "resnet20":
        spec["maps"] = {block: _routed(index, kept, block) for block, index in spec["maps"].items()}
    small = _load(build_from_spec(spec), state)
    param = next(model.parameters())
    return small.to(device=param.device, dtype=param.dtype).train(model.training)


def prune_structured(model, fraction, criterion: str = "l1", *, data=None):
    """Keep the fraction ``fraction`` of every group by ``criterion``; returns ``(smaller model, keep_sets)``.

    The counts are :func:`~pruning_lab.nn.structured.importance.keep_count` per group; the
    masked equivalent is ``masked_equivalent(model, keep_sets)``.  ``data = (X, y)`` is needed by
    the ``"taylor"`` criterion.
    """
    kept = select_keep_sets(model, fraction, criterion, data=data)
    return remove_structured(model, kept), kept


def architecture_spec(model) -> dict:
    """The sizes that :func:`build_from_spec` needs to rebuild ``model`` (plain ints, strings and lists).

    ``{"kind": "mlp", "widths": [...]}``; ``{"kind": "sequential", "layers": [[name, type, ...]]}``;
    or for ResNet-20 ``{"kind": "resnet20", "shortcut", "num_classes", "in_channels", "width",
    "sizes": {module: [out, in] or [features]}, "maps": {block: channel map}}`` with the
    channel map of every option-A stride-2 shortcut
    (:class:`~pruning_lab.nn.structured.layout.ChannelMapShortcut`).
    """
    kind = _kind(model)
    sizes = {}
    for name, module in model.named_modules():
        if isinstance(module, (nn.Linear, nn.Conv2d)):
            sizes[name] = list(module.weight.shape[:2])
        elif isinstance(module, _BN):
            sizes[name] = [module.num_features]
    if kind == "mlp":
        return {
            "kind": "mlp",
            "widths": [sizes[n][1] for n in sizes][:1] + [sizes[n][0] for n in sizes],
            "sizes": sizes,
        }
    if kind == "sequential":
        layers = [
            [name, "Linear", *sizes[name][::-1], child.bias is not None]
            if isinstance(child, nn.Linear)
            else [name, type(child).__name__]
            for name, child in model.named_children()
        ]
        return {"kind": "sequential", "layers": layers, "sizes": sizes}
    maps = {}
    for s in (2, 3):
        block, name = getattr(model, f"layer{s}")[0], f"layer{s}.0"
        if isinstance(block.shortcut, ChannelMapShortcut):
            maps[name] = block.shortcut.index.tolist()
        elif block.shortcut is None:
            lo, c_in = block.pad // 2, block.conv1.in_channels
            maps[name] = [-1] * lo + list(range(c_in)) + [-1] * (block.pad - lo)
    return {
        "kind": "resnet20",
        "shortcut": model.shortcut,
        "num_classes": model.fc.out_features,
        "in_channels": model.conv.in_channels,
        "width": model.width,
        "sizes": sizes,
        "maps": maps,
    }


def build_from_spec(spec: dict):
    """A freshly initialised network of the sizes of ``spec`` (:func:`architecture_spec`)."""
    if not isinstance(spec, dict) or spec.get("kind") not in ("mlp", "sequential", "resnet20"):
        raise ValueError("spec must be a dict from architecture_spec with kind 'mlp', 'sequential' or 'resnet20'")
    if spec["kind"] == "mlp":
        w = [int(v) for v in spec["widths"]]
        return MLP(w[0], w[1:-1], w[-1])
    if spec["kind"] == "sequential":
        layers = collections.OrderedDict()
        for name, kind, *args in spec["layers"]:
            layers[name] = nn.Linear(int(args[0]), int(args[1]), bias=bool(args[2])) if kind == "Linear" else _act(kind)
        return nn.Sequential(layers)
    model = ResNet20(1, int(spec["num_classes"]), int(spec["in_channels"]), shortcut=spec["shortcut"])
    model.width = int(spec["width"])
    for name, size in spec["sizes"].items():
        parent, _, attr = name.rpartition(".")
        owner = model.get_submodule(parent)
        setattr(owner, attr, _resized(getattr(owner, attr), [int(v) for v in size]))
    for name, index in spec["maps"].items():
        block = model.get_submodule(name)
        block.shortcut, block.pad = ChannelMapShortcut(block.stride, index), 0
    return model


def save_pruned(path, model) -> None:
    """Write ``model``'s :func:`architecture_spec` and state dict to ``path`` (``torch.save``, atomically)."""
    payload = {"spec": architecture_spec(model), "state_dict": model.state_dict()}
    with atomic_write(path) as tmp:
        torch.save(payload, tmp)


def load_pruned(path):
    """The network saved by :func:`save_pruned` at ``path``, rebuilt at its saved sizes (on the CPU)."""
    payload = torch.load(path, map_location="cpu", weights_only=True)
    if not isinstance(payload, dict) or set(payload) != {"spec", "state_dict"}:
        raise ValueError(f"path {str(path)!r} does not hold a network written by save_pruned")
    return _load(build_from_spec(payload["spec"]), payload["state_dict"]).eval()


def _kind(model) -> str:
    """``"mlp"``, ``"sequential"`` or ``"resnet20"``: the kind of a supported model (TypeError otherwise)."""
    if isinstance(model, ResNet20):
        return "resnet20"
    if isinstance(model, nn.Sequential):
        channel_layout(model)  # checks the layers
        return "mlp" if isinstance(model, MLP) else "sequential"
    return channel_layout(model).kind  # raises the TypeError naming model


def _space_keep(layout, keep_sets):
    """``{space: bool tensor of kept units}`` from checked ``keep_sets``."""
    if not isinstance(keep_sets, dict) or set(keep_sets) != set(layout.groups):
        got = sorted(keep_sets) if isinstance(keep_sets, dict) else type(keep_sets).__name__
        raise ValueError(f"keep_sets must be a dict over the groups {sorted(layout.groups)}, got {got}")
    kept = {space: torch.zeros(n, dtype=torch.bool) for space, n in layout.spaces.items()}
    for group, n in layout.group_sizes().items():
        units = torch.as_tensor(keep_sets[group]).cpu()
        if units.ndim != 1 or units.numel() == 0 or units.dtype.is_floating_point or units.dtype == torch.bool:
            raise ValueError(f"keep_sets[{group!r}] must be a non-empty 1-D tensor of unit indices")
        if units.unique().numel() != units.numel() or int(units.min()) < 0 or int(units.max()) >= n:
            raise ValueError(f"keep_sets[{group!r}] must hold distinct indices in 0..{n - 1}")
        for space, positions in layout.groups[group]:
            kept[space][positions[units.long()]] = True
    return kept


def _load(model, state):
    """Load ``state`` into ``model`` (strictly); the channel maps of the shortcuts come from the spec."""
    maps = {k: v for k, v in model.state_dict().items() if k.endswith("shortcut.index")}
    model.load_state_dict({**state, **maps})
    return model


def _with_sizes(spec, state):
    """``spec`` with the layer sizes read from the (smaller) ``state`` dict."""
    sizes = {name: list(state[f"{name}.weight"].shape[: len(size)]) for name, size in spec["sizes"].items()}
    spec = {**spec, "sizes": sizes}
    if spec["kind"] == "mlp":
        spec["widths"] = [s[1] for s in sizes.values()][:1] + [s[0] for s in sizes.values()]
    elif spec["kind"] == "sequential":
        spec["layers"] = [
            [name, kind, *sizes[name][::-1], args[-1]] if kind == "Linear" else [name, kind]
            for name, kind, *args in spec["layers"]
        ]
    return spec


def _routed(index, kept, block):
    """The channel map of an option-A shortcut after removal: kept output channels to kept inputs."""
    stage = int(block[len("layer")])
    inputs, outputs = kept[f"stage{stage - 1}"].tolist(), kept[f"stage{stage}"].tolist()
    where = {c: i for i, c in enumerate(inputs)}
    return [where.get(index[c], -1) if index[c] >= 0 else -1 for c in outputs]


def _resized(module, size):
    """A fresh module like ``module`` with ``size = [out, in]`` (or ``[features]`` for BatchNorm)."""
    if isinstance(module, nn.Linear):
        return nn.Linear(size[1], size[0], bias=module.bias is not None)
    if isinstance(module, nn.Conv2d):
        return nn.Conv2d(
            size[1], size[0], module.kernel_size, module.stride, module.padding, bias=module.bias is not None
        )
    return type(module)(size[0], module.eps, module.momentum, module.affine, module.track_running_stats)


def _act(name):
    for activation in ACTIVATIONS:
        if activation.__name__ == name:
            return activation()
    raise ValueError(f"spec: unknown activation {name!r}")
