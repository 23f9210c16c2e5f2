"""pruning_lab: the companion package of the Pruning Lab book.

Theory modules (numpy/scipy only, never torch):

- :mod:`pruning_lab.problems`: data models (the linear Gaussian problem).
- :mod:`pruning_lab.lsq`: min-norm least squares, restricted fits, risks.
- :mod:`pruning_lab.prune`: pruning operators on arrays.
- :mod:`pruning_lab.pipeline`: train -> prune -> retrain and strategy comparisons.

Support: :mod:`pruning_lab.plotting` (house style), :mod:`pruning_lab.widgets`
(ipywidgets panels), :mod:`pruning_lab.data` (data loaders).
Neural-network code lives in :mod:`pruning_lab.nn`, the only subpackage that
imports torch; it is not imported by ``import pruning_lab``.
"""

__version__ = "0.1.0"
