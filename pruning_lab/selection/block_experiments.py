r"""Smoothness-penalized block selection on a noisy layer, against independent top-k (our design).

A layer :math:`W` (``d_out`` × ``d_in``) is cut into :math:`b\times b` blocks on a grid; the nonzero
blocks form a few contiguous rectangles (:func:`planted_block_layer`).  We see the layer only
through a least-squares estimate :math:`\hat W` from ``samples`` noisy input–output pairs, score each
block by :math:`\lVert\hat W_{\text{block}}\rVert_F^2`, and keep :math:`k` blocks (the number of
nonzero ones) either by score alone (top-k) or by
:func:`~pruning_lab.selection.submodular.smooth_block_selection`, which also pays
:math:`\gamma` for every pair of grid neighbours that is split.  :func:`block_selection_experiment`
measures, over repeated draws, the fraction of the true blocks kept and the relative error of the
kept estimate, and picks :math:`\gamma` on separate validation draws.

Used in the chapter :doc:`/book/beyond_weights`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..validation import as_rng, check_array, check_int, check_nonnegative
from .submodular import smooth_block_selection

__all__ = ["LAYOUTS", "BlockExperiment", "block_scores", "block_selection_experiment", "planted_block_layer"]

#: The layouts of the nonzero blocks in :func:`planted_block_layer`.
LAYOUTS = ("rectangles", "scattered")


def planted_block_layer(grid=(8, 32), block: int = 4, *, regions: int = 2, layout: str = "rectangles", seed=0):
    r"""A layer whose nonzero :math:`b\times b` blocks form ``regions`` random rectangles of the block grid.

    Each rectangle has sides drawn from 2..⌈side/3⌉ blocks of the grid (rectangles may overlap);
    the nonzero weights are standard normal.  ``layout="scattered"`` is the control: as many
    nonzero blocks, at uniformly random places of the grid (neighbours no longer agree).

    Parameters
    ----------
    grid : (int, int)
        Blocks per column and per row of the layer: the layer is ``grid[0]*block`` × ``grid[1]*block``.
    block : int
        Block side :math:`b`.
    regions : int
        Number of rectangles.
    layout : {"rectangles", "scattered"}
        Contiguous rectangles, or the same number of blocks scattered at random.
    seed : int or numpy.random.Generator
        Seed.

    Returns
    -------
    W : ndarray
        Shape (grid[0]*block, grid[1]*block): the layer.
    truth : ndarray of bool, shape grid
        Its nonzero blocks.
    """
    grid = _check_grid(grid)
    block = check_int(block, "block", 1)
    regions = check_int(regions, "regions", 1)
    if layout not in LAYOUTS:
        raise ValueError(f"layout must be one of {LAYOUTS}, got {layout!r}")
    rng = as_rng(seed)
    truth = np.zeros(grid, dtype=bool)
    for _ in range(regions):
        h, w = (int(rng.integers(2, max(2, -(-g // 3)) + 1)) if g >= 2 else 1 for g in grid)
        r0, c0 = int(rng.integers(0, grid[0] - h + 1)), int(rng.integers(0, grid[1] - w + 1))
        truth[r0 : r0 + h, c0 : c0 + w] = True
    if layout == "scattered":
        truth = rng.permutation(truth.ravel()).reshape(grid)
    W = rng.standard_normal((grid[0] * block, grid[1] * block)) * np.kron(truth, np.ones((block, block)))
    return W, truth


def _check_grid(grid):
    try:
        grid = tuple(int(g) for g in grid)
    except (TypeError, ValueError):
        raise ValueError(f"grid must be two positive ints, got {grid!r}") from None
    if len(grid) != 2 or min(grid) < 1:
        raise ValueError(f"grid must be two positive ints, got {grid!r}")
    return grid


def block_scores(W, block: int) -> np.ndarray:
    r"""Squared Frobenius norm of every :math:`b\times b` block of ``W``, on the block grid."""
    W = check_array(W, "W", ndim=2)
    block = check_int(block, "block", 1)
    if W.shape[0] % block or W.shape[1] % block:
        raise ValueError(f"block={block} must divide both sides of W, got shape {W.shape}")
    r, c = W.shape[0] // block, W.shape[1] // block
    return (W.reshape(r, block, c, block) ** 2).sum(axis=(1, 3))


@dataclass(frozen=True)
class BlockExperiment:
    r"""The result of :func:`block_selection_experiment`.

    Attributes
    ----------
    smoothness : ndarray
        The values of :math:`\gamma` tried (0 is top-k).
    recovered : ndarray
        Shape (smoothness, draws): fraction of the true blocks kept, on the test draws.
    error : ndarray
        Shape (smoothness, draws): :math:`\lVert W-\hat W\odot M\rVert_F^2/\lVert W\rVert_F^2` of the kept estimate.
    top_k_recovered, top_k_error : ndarray
        Shape (smoothness, draws): the same for top-k with as many blocks as the smooth selection kept (equal counts).
    kept : ndarray
        Shape (smoothness, draws): blocks kept (the target is the number of true blocks; the path may jump over it).
    chosen : float
        The :math:`\gamma` with the best mean recovery on the validation draws.
    validation_recovered : ndarray
        Shape (smoothness,): that mean recovery, per :math:`\gamma`.
    """

    smoothness: np.ndarray
    recovered: np.ndarray
    error: np.ndarray
    top_k_recovered: np.ndarray
    top_k_error: np.ndarray
    kept: np.ndarray
    chosen: float
    validation_recovered: np.ndarray


def _draw(grid, block, regions, layout, samples, noise, smoothness, rng):
    W, truth = planted_block_layer(grid, block, regions=regions, layout=layout, seed=rng)
    X = rng.standard_normal((samples, W.shape[1]))
    Y = X @ W.T + noise * rng.standard_normal((samples, W.shape[0]))
    W_hat = np.linalg.lstsq(X, Y, rcond=None)[0].T
    scores = block_scores(W_hat, block)
    scores = scores / scores.mean()
    ones = np.ones((block, block))
    total = (W**2).sum()
    out = np.empty((len(smoothness), 5))
    for i, gamma in enumerate(smoothness):
        sel = smooth_block_selection(scores, k=int(truth.sum()), smoothness=gamma)
        row = []
        for mask in (sel.mask, sel.top_k):
            row += [(mask & truth).sum() / truth.sum(), ((W - W_hat * np.kron(mask, ones)) ** 2).sum() / total]
        out[i] = row + [sel.mask.sum()]
    return out


def block_selection_experiment(
    smoothness=(0.0, 0.1, 0.25, 0.5, 1.0),
    *,
    draws: int = 20,
    validation_draws: int = 10,
    grid=(8, 32),
    block: int = 4,
    regions: int = 2,
    layout: str = "rectangles",
    samples: int = 160,
    noise: float = 3.0,
    seed=0,
):
    r"""Recovery of a planted block support by smooth selection vs top-k, over repeated draws.

    Scores are normalized to mean 1 per draw, so :math:`\gamma` is in units of the mean block
    score.  The validation draws (their own seeds, drawn first) choose :math:`\gamma`; the test
    draws report every :math:`\gamma` with top-k at equal counts beside it.

    Parameters
    ----------
    smoothness : sequence of float
        The values of :math:`\gamma\ge0` to try.
    draws : int
        Test draws (>= 2).
    validation_draws : int
        Draws used only to choose :math:`\gamma` (>= 1).
    grid : (int, int)
        The block grid of the layer (:func:`planted_block_layer`).
    block : int
        The block side.
    regions : int
        Number of nonzero rectangles.
    layout : {"rectangles", "scattered"}
        Contiguous rectangles, or the scattered control.
    samples : int
        Input–output pairs of the least-squares estimate (at least the layer's input width).
    noise : float
        Standard deviation of the output noise.
    seed : int or numpy.random.Generator
        Seed.

    Returns
    -------
    BlockExperiment
    """
    smoothness = np.array([check_nonnegative(g, "smoothness") for g in np.atleast_1d(smoothness)])
    if smoothness.size == 0:
        raise ValueError("smoothness must hold at least one value")
    draws = check_int(draws, "draws", 2)
    validation_draws = check_int(validation_draws, "validation_draws", 1)
    grid = _check_grid(grid)
    block = check_int(block, "block", 1)
    samples = check_int(samples, "samples", grid[1] * block)
    noise = check_nonnegative(noise, "noise")
    if layout not in LAYOUTS:
        raise ValueError(f"layout must be one of {LAYOUTS}, got {layout!r}")
    rng = as_rng(seed)
    val = np.stack(
        [_draw(grid, block, regions, layout, samples, noise, smoothness, rng) for _ in range(validation_draws)]
    )
    test = np.stack([_draw(grid, block, regions, layout, samples, noise, smoothness, rng) for _ in range(draws)])
    val_rec = val[:, :, 0].mean(0)
    chosen = float(smoothness[int(np.argmax(val_rec))])
    t = test.transpose(2, 1, 0)  # (quantity, smoothness, draws)
    return BlockExperiment(smoothness, t[0], t[1], t[2], t[3], t[4].astype(int), chosen, val_rec)
