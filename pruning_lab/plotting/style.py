"""The book's house plotting style: one look and one color per pruning strategy in every chapter.

White figure background (so figures read in a dark-mode browser), PNG output
in notebooks, and one color per pruning strategy, the same in every chapter.
Call :func:`use_house_style` once at the top of a chapter.
"""

from __future__ import annotations

import matplotlib as mpl
import matplotlib.pyplot as plt
from matplotlib.ticker import LogFormatter

from ..validation import check_nonnegative

__all__ = [
    "HOUSE_STYLE",
    "STRATEGY_COLORS",
    "STRATEGY_LABELS",
    "axes_or_new",
    "log_scale",
    "strategy_color",
    "use_house_style",
]

#: One color per strategy (and per baseline), used by every chapter.
STRATEGY_COLORS = {
    "dense": "#222222",
    "magnitude": "#1f77b4",
    "hessian": "#d62728",
    "obs": "#9467bd",
    "oracle": "#2ca02c",
    "random": "#7f7f7f",
    "small": "#ff7f0e",
    "global": "#1f77b4",
    "layerwise": "#17becf",
    "scratch": "#8c564b",
    "wanda": "#e377c2",
    "obd": "#d62728",
    "sparsegpt": "#6a3d9a",
    "sparsegpt_global": "#b15928",
}

#: How each strategy is named in legends.
STRATEGY_LABELS = {
    "dense": "dense (no pruning)",
    "magnitude": "magnitude",
    "hessian": "Hessian (OBD)",
    "obs": "Optimal Brain Surgeon",
    "oracle": "oracle saliency",
    "random": "random",
    "small": "small model on oracle features",
    "global": "global magnitude",
    "layerwise": "layer-wise magnitude",
    "scratch": "same mask, trained from scratch",
    "wanda": "Wanda (|w|·‖x‖)",
    "obd": "OBD (diagonal of H)",
    "sparsegpt": "SparseGPT-style OBS",
    "sparsegpt_global": "SparseGPT, global magnitude's layer fractions",
}

#: Matplotlib rcParams of the house style.
HOUSE_STYLE = {
    "figure.facecolor": "white",
    "axes.facecolor": "white",
    "savefig.facecolor": "white",
    "savefig.format": "png",
    "figure.figsize": (6.4, 4.0),
    "figure.dpi": 100,
    "axes.grid": True,
    "grid.alpha": 0.3,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.titlesize": 11,
    "axes.labelsize": 10,
    "legend.fontsize": 8,
    "legend.frameon": False,
    "lines.linewidth": 1.8,
    "lines.markersize": 5,
}


def use_house_style() -> None:
    """Apply the house style to matplotlib and ask IPython (if running) for PNG figures."""
    mpl.rcParams.update(HOUSE_STYLE)
    try:
        from IPython import get_ipython

        if get_ipython() is not None:
            from matplotlib_inline.backend_inline import set_matplotlib_formats

            set_matplotlib_formats("png")
    except ImportError:  # plain Python: nothing to configure
        pass


def strategy_color(name: str) -> str:
    """Color of a strategy (or baseline) in the house style."""
    if name not in STRATEGY_COLORS:
        raise ValueError(f"no house color for {name!r}; known: {', '.join(STRATEGY_COLORS)}")
    return STRATEGY_COLORS[name]


def axes_or_new(ax):
    """``ax`` itself, or the axes of a new figure when ``ax`` is None (every figure function takes ``ax=``)."""
    if ax is None:
        _, ax = plt.subplots()
    return ax


class _PlainLogFormatter(LogFormatter):
    """matplotlib's choice of which log ticks to label, written as plain numbers (``0.3``, not ``3e-01``)."""

    def __call__(self, x, pos=None):
        return f"{x:g}" if super().__call__(x, pos) else ""


def log_scale(ax, which: str = "y", base: float = 10):
    """Put ``which`` axis (``"x"``, ``"y"`` or ``"both"``) of ``ax`` on a log scale with plain-number labels.

    Major and minor ticks are labelled ``0.3``, ``2``, ``40`` rather than ``3×10⁻¹``; minor ticks
    are labelled only where they fit: on a y axis, all of them when it spans less than half a
    decade, a non-overlapping subset up to two decades, none beyond (matplotlib's ``LogFormatter``
    decides which); an x axis, whose labels are wider, labels its minor ticks only below a decade.
    Every log axis of the house style goes through here.  Returns ``ax``.
    """
    if which not in ("x", "y", "both"):
        raise ValueError(f"which must be 'x', 'y' or 'both', got {which!r}")
    base = check_nonnegative(base, "base")
    if base <= 1:
        raise ValueError(f"base (of the logarithm) must be > 1, got {base}")
    for name in ("x", "y") if which == "both" else (which,):
        getattr(ax, f"set_{name}scale")("log", base=base)
        axis = getattr(ax, f"{name}axis")
        thresholds = (2, 0.5) if name == "y" else (1, 0.3)
        axis.set_major_formatter(_PlainLogFormatter(base=base, labelOnlyBase=False, minor_thresholds=thresholds))
        axis.set_minor_formatter(_PlainLogFormatter(base=base, labelOnlyBase=False, minor_thresholds=thresholds))
    return ax
