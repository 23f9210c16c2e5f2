r"""The panel of the speed measurements: dense against CSR latency of one layer, from the stored table.

:func:`speed_figure` draws, for one layer shape and batch size of a table written by
:func:`pruning_lab.nn.speed.measure_speed`, the median latency of the dense and of the CSR
layer against sparsity, with quartile bars, and marks one sparsity, whose speed-up
:math:`t_{dense}/t_{CSR}` it states; :func:`speed_panel` puts sliders over the stored
sparsities and batch sizes and a shape menu around it.  Nothing is timed here: the numbers are
the stored ones.  Mirrors :mod:`pruning_lab.plotting.speed`.

Used in the chapter :doc:`/book/pruning_speed`.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np

from ..plotting.speed import break_even_rows
from ..plotting.style import axes_or_new
from .panel import controls_panel

__all__ = ["speed_figure", "speed_panel"]


def _shapes(table, threads):
    rows = table.get("break_even") if isinstance(table, dict) else None
    if not isinstance(rows, list):
        raise ValueError(
            f"table must be a speed table (load_speed) with a list 'break_even', got {type(table).__name__}"
        )
    shapes = sorted({(r["out_features"], r["in_features"]) for r in rows if r["threads"] == threads})
    if not shapes:
        raise ValueError(f"table has no break-even rows at threads={threads}")
    return shapes


def speed_figure(table, *, shape, sparsity, batch_size, threads: int = 1, ax=None) -> float:
    """Dense and CSR median latency of one layer against sparsity, one sparsity marked; returns its speed-up.

    The median seconds (in ms) of ``nn.Linear`` and of the CSR layer at every stored sparsity,
    bars from the first to the third quartile, a log y axis; a vertical line marks ``sparsity``
    and the title gives the speed-up :math:`t_{dense}/t_{CSR}` (of the medians) there.

    Parameters
    ----------
    table : dict
        A speed table (:func:`pruning_lab.nn.speed.load_speed`).
    shape : tuple of int
        ``(out_features, in_features)`` of a layer in the table.
    sparsity : float
        One of the stored sparsities of that layer.
    batch_size : int
        One of the stored batch sizes.
    threads : int
        The thread count of the rows drawn.
    ax : matplotlib Axes, optional

    Returns
    -------
    float
        The stored speed-up at ``sparsity``.
    """
    rows = [r for r in break_even_rows(table, shape=shape, threads=threads) if r["batch_size"] == batch_size]
    if not rows:
        have = sorted({r["batch_size"] for r in break_even_rows(table, shape=shape, threads=threads)})
        raise ValueError(f"batch_size must be one of {have} for shape {tuple(shape)}, got {batch_size!r}")
    at = [r for r in rows if r["sparsity"] == sparsity]
    if not at:
        raise ValueError(f"sparsity must be one of the stored {[r['sparsity'] for r in rows]}, got {sparsity!r}")
    ax = axes_or_new(ax)
    s = np.array([r["sparsity"] for r in rows])
    for kind, color, name in (("dense", "#222222", "dense nn.Linear"), ("sparse", "#1f77b4", "CSR (SparseLinear)")):
        med = 1e3 * np.array([r[f"{kind}_median"] for r in rows])
        q1 = 1e3 * np.array([r[f"{kind}_q1"] for r in rows])
        q3 = 1e3 * np.array([r[f"{kind}_q3"] for r in rows])
        ax.errorbar(s, med, yerr=[med - q1, q3 - med], marker="o", ms=4, capsize=2, color=color, label=name)
    ax.axvline(sparsity, color="0.5", ls="--", lw=1)
    speedup = float(at[0]["speedup"])
    ax.set_yscale("log")
    ax.set_xlabel("sparsity (fraction of weights removed)")
    ax.set_ylabel("median latency of one batch (ms)")
    verdict = "faster" if speedup > 1 else "slower"
    ax.set_title(
        f"{shape[0]}×{shape[1]}, batch {batch_size}, sparsity {sparsity:g}\n"
        f"speed-up of CSR: {speedup:.2f}× ({verdict} than dense)",
        fontsize="medium",
    )
    ax.legend(fontsize="small")
    return speedup


def speed_panel(table, *, threads: int = 1):
    """A shape menu and sliders over the stored sparsities and batch sizes around :func:`speed_figure`.

    The controls offer what ``table`` holds at ``threads`` threads (the sparsities and batch
    sizes of all its layer shapes; :func:`~pruning_lab.nn.speed.measure_speed` measures every
    shape at all of them); each move redraws from the stored numbers (nothing is timed).

    Returns
    -------
    ipywidgets.VBox
    """
    shapes = _shapes(table, threads)
    rows = [r for shape in shapes for r in break_even_rows(table, shape=shape, threads=threads)]
    sparsities = sorted({r["sparsity"] for r in rows})
    batch_sizes = sorted({r["batch_size"] for r in rows})
    import ipywidgets as widgets

    controls = {
        "shape": widgets.Dropdown(
            options=[(f"{a}×{b}", (a, b)) for a, b in shapes], value=shapes[0], description="layer"
        ),
        "sparsity": widgets.SelectionSlider(
            options=sparsities,
            value=min(sparsities, key=lambda v: abs(v - 0.9)),
            description="sparsity",
            continuous_update=False,
        ),
        "batch_size": widgets.SelectionSlider(
            options=batch_sizes, value=batch_sizes[0], description="batch", continuous_update=False
        ),
    }

    def draw(shape, sparsity, batch_size):
        fig, ax = plt.subplots(figsize=(7.0, 4.0))
        try:
            speed_figure(table, shape=shape, sparsity=sparsity, batch_size=batch_size, threads=threads, ax=ax)
        except ValueError as err:  # a shape not measured at every stored sparsity and batch size
            ax.text(0.5, 0.5, str(err), ha="center", va="center", wrap=True, transform=ax.transAxes)
        fig.tight_layout()

    return controls_panel(draw, controls)
