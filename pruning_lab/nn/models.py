"""Models of the network chapters (plain torch, no torchvision)."""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import nn

__all__ = ["MLP"]


class MLP(nn.Sequential):
    r"""Fully connected ReLU network :math:`d_{in}\to h_1\to\dots\to h_L\to d_{out}`.

    Layers are ``nn.Linear`` modules named ``"0"``, ``"2"``, ... (ReLUs in between),
    so their weights are ``"0.weight"``, ``"2.weight"``, ... in
    ``named_parameters()``.  The number of weights (without biases) is
    :math:`\sum_\ell h_{\ell-1}h_\ell`.
    """

    def __init__(self, in_features: int, hidden: Sequence[int], out_features: int):
        widths = [in_features, *hidden, out_features]
        if any(not isinstance(w, int) or w < 1 for w in widths):
            raise ValueError(f"all layer widths must be positive integers, got {widths}")
        layers: list[nn.Module] = []
        for i, (a, b) in enumerate(zip(widths[:-1], widths[1:])):
            layers.append(nn.Linear(a, b))
            if i < len(widths) - 2:
                layers.append(nn.ReLU())
        super().__init__(*layers)
        self.widths = tuple(widths)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return super().forward(x.flatten(1))
