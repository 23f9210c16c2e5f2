r"""The panel of smoothness-penalized block selection: which blocks of a noisy layer to keep.

:func:`block_selection_figure` draws one draw of the experiment of
:mod:`pruning_lab.selection.block_experiments`: the planted nonzero blocks of a layer, the blocks
kept by score alone (top-k) and those kept by
:func:`~pruning_lab.selection.submodular.smooth_block_selection` with smoothness :math:`\gamma`,
with the fraction of true blocks each recovers; :func:`block_selection_panel` puts sliders for
:math:`\gamma`, the noise and the draw, and a layout menu (contiguous or the scattered control),
around it.  Mirrors :mod:`pruning_lab.plotting.selection`.

Used in the chapter :doc:`/book/beyond_weights`.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np

from ..plotting.selection import plot_block_masks
from ..selection.block_experiments import LAYOUTS, block_scores, planted_block_layer
from ..selection.submodular import smooth_block_selection
from ..validation import check_int, check_nonnegative
from .panel import controls_panel

__all__ = ["block_selection_figure", "block_selection_panel"]


def block_selection_figure(
    smoothness: float = 0.5,
    noise: float = 3.0,
    *,
    layout: str = "rectangles",
    seed: int = 0,
    grid=(8, 32),
    block: int = 4,
    samples: int = 160,
    axes=None,
) -> dict:
    r"""One draw: the true blocks, top-k and the smooth selection of as many blocks; returns their recovery.

    The layer is :func:`~pruning_lab.selection.block_experiments.planted_block_layer` ``(grid,
    block, layout=layout, seed=seed)``; it is estimated by least squares from ``samples`` Gaussian
    inputs with output noise ``noise``; block scores (normalized to mean 1) go to
    :func:`~pruning_lab.selection.submodular.smooth_block_selection` with ``k`` the number of true
    blocks.

    Parameters
    ----------
    smoothness : float
        :math:`\gamma\ge0` (0 is top-k).
    noise : float
        Output noise standard deviation.
    layout : {"rectangles", "scattered"}
        Contiguous true blocks, or the scattered control.
    seed : int
        The draw.
    grid : (int, int)
        The block grid of the layer.
    block : int
        The block side.
    samples : int
        Input–output pairs of the least-squares estimate.
    axes : sequence of 3 matplotlib Axes, optional

    Returns
    -------
    dict
        ``{"top_k": recovered fraction, "smooth": recovered fraction, "kept": blocks kept}``.
    """
    smoothness = check_nonnegative(smoothness, "smoothness")
    noise = check_nonnegative(noise, "noise")
    seed = check_int(seed, "seed", 0)
    rng = np.random.default_rng(seed)
    W, truth = planted_block_layer(grid, block, layout=layout, seed=rng)
    samples = check_int(samples, "samples", W.shape[1])
    X = rng.standard_normal((samples, W.shape[1]))
    Y = X @ W.T + noise * rng.standard_normal((samples, W.shape[0]))
    scores = block_scores(np.linalg.lstsq(X, Y, rcond=None)[0].T, block)
    sel = smooth_block_selection(scores / scores.mean(), k=int(truth.sum()), smoothness=smoothness)
    found = {name: float((m & truth).sum() / truth.sum()) for name, m in (("top_k", sel.top_k), ("smooth", sel.mask))}
    plot_block_masks(
        {
            f"true nonzero blocks ({int(truth.sum())} of {truth.size}, {layout})": truth,
            f"top-{int(sel.mask.sum())} by score: {found['top_k']:.0%} of the true blocks": sel.top_k,
            f"smooth selection, γ = {smoothness:g}: {found['smooth']:.0%} of the true blocks": sel.mask,
        },
        axes=axes,
    )
    return {**found, "kept": int(sel.mask.sum())}


def block_selection_panel():
    """Sliders for the smoothness, the noise and the draw, and a layout menu, around :func:`block_selection_figure`.

    Returns
    -------
    ipywidgets.VBox
    """
    import ipywidgets as widgets

    controls = {
        "smoothness": widgets.FloatSlider(
            value=0.5, min=0.0, max=2.0, step=0.05, description="γ", continuous_update=False
        ),
        "noise": widgets.FloatSlider(
            value=3.0, min=0.5, max=6.0, step=0.5, description="noise", continuous_update=False
        ),
        "layout": widgets.Dropdown(options=list(LAYOUTS), value="rectangles", description="layout"),
        "seed": widgets.IntSlider(value=0, min=0, max=20, description="draw", continuous_update=False),
    }

    def draw(smoothness, noise, layout, seed):
        fig, axes = plt.subplots(3, 1, figsize=(7.0, 4.6))
        block_selection_figure(smoothness, noise, layout=layout, seed=seed, axes=axes)
        fig.tight_layout()

    return controls_panel(draw, controls)
