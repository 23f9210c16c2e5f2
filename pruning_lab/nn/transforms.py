r"""Batch augmentations for image minibatches (vectorised, seeded).

:func:`random_crop_flip` is the standard CIFAR-10 augmentation of He et al.
(2016, section 4.2): pad by 4 pixels, take a random 32x32 crop, flip
horizontally with probability 1/2.  It has the signature
``transform(xb, generator)`` that :func:`pruning_lab.nn.train.train_classifier`
applies to each training minibatch; used in the chapter :doc:`/book/resnet_cifar`.
"""

from __future__ import annotations

import numbers

import torch
import torch.nn.functional as F

from ..validation import check_int

__all__ = ["random_crop_flip"]


def random_crop_flip(x: torch.Tensor, generator, padding: int = 4, flip: float = 0.5) -> torch.Tensor:
    r"""Random crop of the zero-padded images and random horizontal flip, for a whole batch at once.

    For image :math:`b` with offsets :math:`(i_b, j_b)` drawn uniformly from
    :math:`\{0,\dots,2p\}^2` (``p = padding``) and a flip indicator
    :math:`f_b\sim\mathrm{Bernoulli}(\text{flip})`, the output is

    .. math:: y_{b,c,h,w} = \tilde x_{b,\,c,\,i_b+h,\,j_b+w'}, \qquad
              w' = \begin{cases} W-1-w & f_b = 1\\ w & f_b = 0\end{cases}

    where :math:`\tilde x` is :math:`x` padded with :math:`p` zeros on every
    side.  The batch is padded once and gathered with one advanced-indexing
    operation (no loop over images).  Random numbers, drawn from
    ``generator`` on the CPU in the order row offsets, column offsets, flips,
    are the only randomness: the same generator state gives the same output.  With
    ``padding=0`` and ``flip=0`` the output equals the input.

    Parameters
    ----------
    x : torch.Tensor
        Images of shape (B, C, H, W).
    generator : torch.Generator or int
        The generator (its state advances) or a seed.
    padding : int
        Zero padding :math:`p \ge 0` on each side (4 for CIFAR-10).
    flip : float
        Probability in [0, 1] of a horizontal flip.

    Returns
    -------
    torch.Tensor
        Shape (B, C, H, W), same dtype and device as ``x``.
    """
    if not isinstance(x, torch.Tensor) or x.dim() != 4:
        raise ValueError(f"x must be a torch.Tensor of shape (B, C, H, W), got {getattr(x, 'shape', type(x).__name__)}")
    if isinstance(generator, numbers.Integral) and not isinstance(generator, bool):
        generator = torch.Generator().manual_seed(int(generator))
    elif not isinstance(generator, torch.Generator):
        raise ValueError(f"generator must be a torch.Generator or an int seed, got {generator!r}")
    padding = check_int(padding, "padding", 0)
    if isinstance(flip, bool) or not isinstance(flip, numbers.Real) or not 0.0 <= flip <= 1.0:
        raise ValueError(f"flip (probability of a horizontal flip) must be a number in [0, 1], got {flip!r}")
    B, C, H, W = x.shape
    rows0 = torch.randint(0, 2 * padding + 1, (B,), generator=generator)
    cols0 = torch.randint(0, 2 * padding + 1, (B,), generator=generator)
    flipped = torch.rand(B, generator=generator) < flip
    w = torch.arange(W)
    cols = cols0[:, None] + torch.where(flipped[:, None], W - 1 - w, w)  # (B, W)
    rows = rows0[:, None] + torch.arange(H)  # (B, H)
    padded = F.pad(x, (padding,) * 4) if padding else x
    dev = x.device
    return padded[
        torch.arange(B, device=dev)[:, None, None, None],
        torch.arange(C, device=dev)[None, :, None, None],
        rows.to(dev)[:, None, :, None],
        cols.to(dev)[:, None, None, :],
    ]
