"""The book's house plotting style and the figures of the chapters.

One style for every figure (:mod:`pruning_lab.plotting.style`): white figure
background, PNG output in notebooks, one color per pruning strategy in every
chapter.  Call :func:`~pruning_lab.plotting.style.use_house_style` once at the top of a chapter.  The
figures of each chapter live in their own submodule and are all importable
from here: ``from pruning_lab.plotting import plot_mask_sweep``.
"""

from . import linear, lottery, networks, sensing, sparse, style
from .linear import *  # noqa: F401,F403
from .lottery import *  # noqa: F401,F403
from .networks import *  # noqa: F401,F403
from .sensing import *  # noqa: F401,F403
from .sparse import *  # noqa: F401,F403
from .style import *  # noqa: F401,F403
from .style import _axes  # noqa: F401

__all__ = [*style.__all__, *linear.__all__, *sensing.__all__, *lottery.__all__, *sparse.__all__, *networks.__all__]
