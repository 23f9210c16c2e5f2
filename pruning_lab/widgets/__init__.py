"""Interactive panels of the chapters (ipywidgets), each paired with a static figure function.

Every panel redraws a figure made by a plain function, so the book can show
that function's default figure where no kernel runs, and the panel adds only
sliders around it.  ``ipywidgets`` is imported only when a panel is built.
The panels of each group of chapters live in their own submodule and are all
importable from here: ``from pruning_lab.widgets import dc_panel``.
"""

from . import networks, sparse, theory, width_sweeps
from .networks import *  # noqa: F401,F403
from .sparse import *  # noqa: F401,F403
from .theory import *  # noqa: F401,F403
from .width_sweeps import *  # noqa: F401,F403

__all__ = [*theory.__all__, *sparse.__all__, *networks.__all__, *width_sweeps.__all__]
