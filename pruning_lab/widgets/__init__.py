"""Interactive panels of the chapters (ipywidgets), each paired with a static figure function.

Every panel (``*_panel``) redraws a figure made by a plain function (``*_figure``), so the
book can show that function's default figure where no kernel runs, and the panel adds only
controls around it (:func:`~pruning_lab.widgets.panel.controls_panel`).  ``ipywidgets`` is
imported only when a panel is built.  The submodules mirror :mod:`pruning_lab.plotting`
(``linear``, ``sensing``, ``lottery``, ``sparse``, ``networks``, ``oneshot``, ``speed``,
``selection``), and every panel is importable from here: ``from pruning_lab.widgets import dc_panel``.
"""

from .linear import (
    dc_figure,
    dc_panel,
    random_features_figure,
    random_features_panel,
    strategy_figure,
    strategy_panel,
    strategy_problem,
)
from .lottery import lottery_figure, lottery_panel
from .networks import (
    METRICS,
    PANEL_STRATEGIES,
    PANEL_WIDTHS,
    mnist_pruning_figure,
    mnist_pruning_panel,
    width_sweep_figure,
    width_sweep_panel,
)
from .oneshot import PANEL_CALIBRATION_SIZES, PANEL_PATTERNS, oneshot_figure, oneshot_panel
from .panel import controls_panel
from .selection import block_selection_figure, block_selection_panel
from .sensing import sensing_figure, sensing_panel
from .sparse import group_lasso_figure, group_lasso_panel
from .speed import speed_figure, speed_panel

__all__ = [
    "PANEL_CALIBRATION_SIZES",
    "PANEL_PATTERNS",
    "oneshot_figure",
    "oneshot_panel",
    "METRICS",
    "PANEL_STRATEGIES",
    "PANEL_WIDTHS",
    "controls_panel",
    "dc_figure",
    "dc_panel",
    "group_lasso_figure",
    "group_lasso_panel",
    "lottery_figure",
    "lottery_panel",
    "mnist_pruning_figure",
    "mnist_pruning_panel",
    "random_features_figure",
    "random_features_panel",
    "sensing_figure",
    "sensing_panel",
    "block_selection_figure",
    "block_selection_panel",
    "speed_figure",
    "speed_panel",
    "strategy_figure",
    "strategy_panel",
    "strategy_problem",
    "width_sweep_figure",
    "width_sweep_panel",
]
