r"""Models of the network chapters (plain torch, no torchvision).

- :class:`MLP`: fully connected ReLU networks, among them the two-layer
  network ``"fc2"`` of the MNIST width sweep (Chang, Li, Oymak & Thrampoulidis, 2021) and
  :class:`LeNet300100` of the lottery-ticket experiments (Frankle & Carbin, 2019).
- :class:`ResNet20`: the CIFAR ResNet-20 of He et al. (2016, section 4.2) with a
  width parameter, used for the CIFAR-10 width sweep.
- :func:`count_parameters` and the closed forms :func:`mlp_weight_count`,
  :func:`resnet20_weight_count`: the parameter budgets that the chapters
  :doc:`/book/pruning_mnist` and :doc:`/book/resnet_cifar` prune wide models down to.
- :data:`MODELS`: the registry of the named models (``"fc2"``, ``"lenet300100"``, ``"resnet20"``),
  each with its constructor and its closed-form prunable-weight count as a function of the
  width; :func:`build_model` builds one by name, seeded, and :func:`prunable_weight_count`
  counts its prunable weights without building it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

from ..validation import check_int
from .masks import PRUNABLE_MODULES

__all__ = [
    "MODELS",
    "MODEL_NAMES",
    "BasicBlock",
    "LeNet300100",
    "MLP",
    "ModelSpec",
    "ResNet20",
    "build_model",
    "count_parameters",
    "mlp_weight_count",
    "prunable_weight_count",
    "resnet20_weight_count",
]


class MLP(nn.Sequential):
    r"""Fully connected ReLU network :math:`d_{in}\to h_1\to\dots\to h_L\to d_{out}`.

    Layers are ``nn.Linear`` modules named ``"0"``, ``"2"``, ... (ReLUs in between),
    so their weights are ``"0.weight"``, ``"2.weight"``, ... in
    ``named_parameters()``.  The number of weights (without biases) is
    :math:`\sum_\ell h_{\ell-1}h_\ell` (:func:`mlp_weight_count`).
    """

    def __init__(self, in_features: int, hidden: Sequence[int], out_features: int):
        widths = [in_features, *hidden, out_features]
        if any(not isinstance(w, int) or w < 1 for w in widths):
            raise ValueError(f"all layer widths must be positive integers, got {widths}")
        layers: list[nn.Module] = []
        for i, (a, b) in enumerate(zip(widths[:-1], widths[1:], strict=True)):
            layers.append(nn.Linear(a, b))
            if i < len(widths) - 2:
                layers.append(nn.ReLU())
        super().__init__(*layers)
        self.widths = tuple(widths)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return super().forward(x.flatten(1))


class LeNet300100(MLP):
    r"""LeNet-300-100 (LeCun et al., 1998; the lottery-ticket network of Frankle & Carbin, 2019).

    The :class:`MLP` :math:`784\to300\to100\to10`: 266,200 weights and 410
    biases.  ``width`` scales it: the hidden layers have the widths
    :meth:`hidden_widths` ``(width, max(1, round(width / 3)))`` (300 and 100 by default).
    """

    def __init__(self, width: int = 300, in_features: int = 784, num_classes: int = 10):
        super().__init__(in_features, list(self.hidden_widths(width)), num_classes)

    @staticmethod
    def hidden_widths(width: int) -> tuple:
        """The hidden widths ``(width, max(1, round(width / 3)))`` of the network of this ``width``."""
        width = check_int(width, "width")
        return width, max(1, round(width / 3))


class BasicBlock(nn.Module):
    r"""Residual block :math:`x\mapsto \mathrm{relu}(\mathrm{BN}(W_2 * \mathrm{relu}(\mathrm{BN}(W_1 * x))) + S(x))`.

    Two 3x3 convolutions (no bias, each followed by BatchNorm).  The shortcut
    :math:`S` is the identity when the shape is kept; when the block halves
    the resolution and doubles the channels it is option A of He et al.
    (2016): subsample by 2 and pad the new channels with zeros (no
    parameters), or option B: a 1x1 convolution with stride 2 and BatchNorm.
    """

    def __init__(self, in_channels: int, out_channels: int, stride: int = 1, shortcut: str = "A"):
        super().__init__()
        self.conv1 = nn.Conv2d(in_channels, out_channels, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(out_channels)
        self.conv2 = nn.Conv2d(out_channels, out_channels, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(out_channels)
        self.stride, self.pad = stride, out_channels - in_channels
        self.shortcut = None
        if shortcut == "B" and (stride != 1 or in_channels != out_channels):
            self.shortcut = nn.Sequential(
                nn.Conv2d(in_channels, out_channels, 1, stride, bias=False), nn.BatchNorm2d(out_channels)
            )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = self.bn2(self.conv2(F.relu(self.bn1(self.conv1(x)))))
        if self.shortcut is not None:
            res = self.shortcut(x)
        else:
            res = x[:, :, :: self.stride, :: self.stride] if self.stride != 1 else x
            if self.pad:
                res = F.pad(res, (0, 0, 0, 0, self.pad // 2, self.pad - self.pad // 2))
        return F.relu(out + res)


class ResNet20(nn.Module):
    r"""ResNet-20 for 32x32 images (He et al., 2016, section 4.2) with width :math:`k`.

    A 3x3 convolution :math:`c_{in}\to k` with BatchNorm and ReLU, three
    stages of three :class:`BasicBlock` with :math:`k, 2k, 4k` channels (the
    first block of stages 2 and 3 has stride 2), global average pooling and a
    linear layer :math:`4k\to` ``num_classes``: :math:`6\cdot3+2=20` layers
    with weights.  ``width=16`` is the original network; with option-A
    shortcuts (the paper's choice on CIFAR-10, default) it has 269,722
    parameters for 10 classes, with option B (``shortcut="B"``) 272,474.
    Convolution weights use He initialisation (``kaiming_normal_``, fan-out,
    as torchvision's ResNets), BatchNorm starts at :math:`\gamma=1,\beta=0`.
    The width sweep of the chapter :doc:`/book/resnet_cifar`
    prunes ResNet-20 of width :math:`k` to the size of a small base width (Chang, Li, Oymak & Thrampoulidis, 2021).
    """

    def __init__(self, width: int = 16, num_classes: int = 10, in_channels: int = 3, *, shortcut: str = "A"):
        super().__init__()
        width = check_int(width, "width")
        num_classes = check_int(num_classes, "num_classes")
        in_channels = check_int(in_channels, "in_channels")
        if shortcut not in ("A", "B"):
            raise ValueError(f"shortcut must be 'A' (zero-padding identity) or 'B' (1x1 projection), got {shortcut!r}")
        self.width, self.shortcut = width, shortcut
        self.conv = nn.Conv2d(in_channels, width, 3, 1, 1, bias=False)
        self.bn = nn.BatchNorm2d(width)
        stages, channels = [], width
        for stage, out in enumerate((width, 2 * width, 4 * width)):
            blocks = []
            for b in range(3):
                blocks.append(BasicBlock(channels, out, 2 if stage > 0 and b == 0 else 1, shortcut))
                channels = out
            stages.append(nn.Sequential(*blocks))
        self.layer1, self.layer2, self.layer3 = stages
        self.fc = nn.Linear(4 * width, num_classes)
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = F.relu(self.bn(self.conv(x)))
        out = self.layer3(self.layer2(self.layer1(out)))
        return self.fc(out.mean(dim=(2, 3)))


def count_parameters(model: nn.Module, prunable_only: bool = False) -> int:
    """Number of parameters of ``model`` (each shared tensor once).

    With ``prunable_only``, only the weights of the ``nn.Linear`` and
    ``nn.Conv1d/2d/3d`` modules: the tensors that
    :func:`pruning_lab.nn.masks.prunable_parameters` returns and that masks
    cover (for a module pruned by torch its ``weight_orig``); biases and
    BatchNorm parameters are not counted.
    """
    if not isinstance(model, nn.Module):
        raise ValueError(f"model must be a torch.nn.Module, got {type(model).__name__}")
    if not prunable_only:
        return sum(p.numel() for p in model.parameters())
    tensors = {}
    for module in model.modules():
        if isinstance(module, PRUNABLE_MODULES):
            w = getattr(module, "weight_orig", getattr(module, "weight", None))
            if w is not None:
                tensors[id(w)] = w.numel()
    return sum(tensors.values())


def mlp_weight_count(widths: Sequence[int], prunable_only: bool = True) -> int:
    r"""Weights of a fully connected net with layer widths :math:`(h_0, \dots, h_L)`.

    The count is :math:`\sum_{\ell=1}^{L} h_{\ell-1}h_\ell`; with
    ``prunable_only=False`` the biases :math:`\sum_{\ell=1}^{L} h_\ell` are
    added.  ``widths`` includes input and output (``[784, 300, 100, 10]``).
    """
    if isinstance(widths, (str, bytes)) or not isinstance(widths, Sequence) or len(widths) < 2:
        raise ValueError(f"widths must list at least the input and output widths, got {widths!r}")
    w = [check_int(v, "every width") for v in widths]
    return sum(a * b for a, b in zip(w[:-1], w[1:], strict=True)) + (0 if prunable_only else sum(w[1:]))


def resnet20_weight_count(
    width: int, num_classes: int = 10, in_channels: int = 3, *, shortcut: str = "A", prunable_only: bool = True
) -> int:
    r"""Closed-form parameter count of :class:`ResNet20` of width :math:`k`.

    Convolution and linear weights: :math:`9c_{in}k + 9k^2(6 + 2 + 5\cdot4 + 8 + 5\cdot16)
    + 4kC = 9c_{in}k + 1044k^2 + 4kC` for :math:`C` classes, plus :math:`10k^2`
    for the two 1x1 projections of option B.  With ``prunable_only=False``
    the linear bias :math:`C` and the BatchNorm scales and shifts
    :math:`2(k + 6k + 12k + 24k) = 86k` (option B: :math:`+12k`) are added;
    :math:`k=16, C=10`: 269,722 (A) and 272,474 (B).
    """
    k = check_int(width, "width")
    c = check_int(num_classes, "num_classes")
    c_in = check_int(in_channels, "in_channels")
    if shortcut not in ("A", "B"):
        raise ValueError(f"shortcut must be 'A' or 'B', got {shortcut!r}")
    projections = shortcut == "B"
    weights = 9 * c_in * k + 1044 * k * k + 4 * k * c + (10 * k * k if projections else 0)
    return weights if prunable_only else weights + c + 86 * k + (12 * k if projections else 0)


@dataclass(frozen=True)
class ModelSpec:
    """One named model of :data:`MODELS`: how to build it and how many prunable weights it has.

    Both functions take ``(width, num_classes, in_channels, in_features)``; each
    model uses the arguments that apply to it (``in_channels`` the convolutional
    ones, ``in_features`` the fully connected ones, which flatten their input).

    Attributes
    ----------
    build : callable
        ``build(width, num_classes, in_channels, in_features) -> torch.nn.Module`` (unseeded).
    weight_count : callable
        ``weight_count(width, num_classes, in_channels, in_features) -> int``: the closed-form
        number of prunable weights (``nn.Linear``/``nn.Conv`` weights) of the built model.
    image_input : bool
        Whether the model needs images of shape ``(in_channels, H, W)`` rather than flat vectors.
    """

    build: object
    weight_count: object
    image_input: bool


#: The named models of :func:`build_model`: ``{name: ModelSpec}``.
MODELS = {  # arguments: width k, classes C, input channels c_in, input features d
    "fc2": ModelSpec(
        build=lambda k, c, c_in, d: MLP(d, [k], c),
        weight_count=lambda k, c, c_in, d: mlp_weight_count([d, k, c]),
        image_input=False,
    ),
    "lenet300100": ModelSpec(
        build=lambda k, c, c_in, d: LeNet300100(k, d, c),
        weight_count=lambda k, c, c_in, d: mlp_weight_count([d, *LeNet300100.hidden_widths(k), c]),
        image_input=False,
    ),
    "resnet20": ModelSpec(
        build=lambda k, c, c_in, d: ResNet20(k, c, c_in),
        weight_count=lambda k, c, c_in, d: resnet20_weight_count(k, c, c_in),
        image_input=True,
    ),
}
#: Names of the models of :data:`MODELS`.
MODEL_NAMES = tuple(MODELS)


def _model_args(name, width, num_classes, in_channels, in_features):
    if name not in MODELS:
        raise ValueError(f"unknown model name {name!r}; expected one of {', '.join(MODEL_NAMES)}")
    return (
        check_int(width, "width"),
        check_int(num_classes, "num_classes"),
        check_int(in_channels, "in_channels"),
        check_int(in_features, "in_features"),
    )


def prunable_weight_count(
    name: str, width: int, *, num_classes: int = 10, in_channels: int = 3, in_features: int = 784
) -> int:
    r"""Closed-form number of prunable weights of ``build_model(name, width, ...)``, without building it.

    ``"fc2"``: :math:`dk + kC` (:func:`mlp_weight_count`, :math:`d` = ``in_features``);
    ``"lenet300100"``: :math:`dk + k k' + k' C` with :math:`k' = \max(1, \mathrm{round}(k/3))`;
    ``"resnet20"``: :math:`9c_{in}k + 1044k^2 + 4kC` (:func:`resnet20_weight_count`).  It equals
    ``count_parameters(build_model(name, width, ...), prunable_only=True)`` (tested).  The width
    sweeps of :doc:`/book/pruning_mnist` and :doc:`/book/resnet_cifar` take their pruning targets
    :math:`N(k_0)` from it.
    """
    args = _model_args(name, width, num_classes, in_channels, in_features)
    return MODELS[name].weight_count(*args)


def build_model(
    name: str, width: int, *, num_classes: int = 10, in_channels: int = 3, in_features: int = 784, seed: int = 0
) -> nn.Module:
    r"""A freshly initialised model of :data:`MODELS` by name, seeded: the same arguments give the same weights.

    - ``"fc2"``: the two-layer fully connected net :math:`d\to` ``width`` :math:`\to C`
      (:class:`MLP`, ``d = in_features``) of the MNIST width sweep (Chang, Li, Oymak & Thrampoulidis, 2021);
    - ``"lenet300100"``: :class:`LeNet300100` with hidden widths ``width`` and
      ``round(width / 3)`` (``width=300`` is the original);
    - ``"resnet20"``: :class:`ResNet20` with ``width`` channels in the first stage (16 is the original).

    The weights are drawn from torch's generator seeded with ``seed`` inside
    ``torch.random.fork_rng``, so the global random state is left untouched.
    Its prunable weights number :func:`prunable_weight_count` of the same arguments.

    Parameters
    ----------
    name : str
        One of :data:`MODEL_NAMES`.
    width : int
        Width :math:`k` (hidden units, or channels of the first ResNet stage).
    num_classes : int
        Outputs :math:`C`.
    in_channels : int
        Input channels (``"resnet20"`` only).
    in_features : int
        Input features after flattening (the fully connected models only).
    seed : int
        Seed of the initial weights.

    Returns
    -------
    torch.nn.Module
    """
    args = _model_args(name, width, num_classes, in_channels, in_features)
    seed = check_int(seed, "seed", 0)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        return MODELS[name].build(*args)
