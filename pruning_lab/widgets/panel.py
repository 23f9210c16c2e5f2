"""What every panel shares: a row of controls above a figure that is redrawn when one of them moves."""

from __future__ import annotations

import matplotlib.pyplot as plt

__all__ = ["controls_panel"]


def controls_panel(figure, controls: dict, **kwargs):
    """An ipywidgets ``VBox``: the ``controls`` in a row above the output of ``figure``.

    ``controls`` maps keyword arguments of ``figure`` to ipywidgets controls; whenever one of them
    moves, ``figure(**values, **kwargs)`` is called with the current values of all controls (and
    the fixed ``kwargs``) and the figure it draws replaces the previous one.  ``ipywidgets`` is
    imported here, only when a panel is built.
    """
    import ipywidgets as widgets

    def redraw(**values):
        figure(**values, **kwargs)
        plt.show()

    out = widgets.interactive_output(redraw, controls)
    return widgets.VBox([widgets.HBox(list(controls.values())), out])
