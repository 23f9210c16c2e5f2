"""pruning_lab: the companion package of the Pruning Lab book.

Theory modules (numpy/scipy only, never torch):

- :mod:`pruning_lab.problems`: data models (the linear Gaussian problem).
- :mod:`pruning_lab.lsq`: min-norm least squares, restricted fits, risks.
- :mod:`pruning_lab.prune`: pruning operators on arrays.
- :mod:`pruning_lab.pipeline`: train -> prune -> retrain and strategy comparisons.
- :mod:`pruning_lab.dc`, :mod:`pruning_lab.dc.double_descent`, :mod:`pruning_lab.dc.simulate`:
  the distributional characterization, sparse double descent, and their simulations.
- :mod:`pruning_lab.random_features`, :mod:`pruning_lab.random_features.curves`:
  random-features regression through its equivalent linear problem.
- :mod:`pruning_lab.sensing`: matrix sensing with a smooth group lasso.
- :mod:`pruning_lab.lottery`, :mod:`pruning_lab.lottery.train`, :mod:`pruning_lab.lottery.experiments`:
  pruned one-hidden-layer networks (lottery tickets).
- :mod:`pruning_lab.sparse`: OMP, OMPR, IHT, group LASSO, sequential attention, the
  SA++ mask penalties, restricted constants.
- :mod:`pruning_lab.lowrank`: rank-constrained convex optimization (greedy, local
  search, SVP, soft-impute) on matrix completion.

Support: :mod:`pruning_lab.plotting` (house style), :mod:`pruning_lab.widgets`
(ipywidgets panels), :mod:`pruning_lab.data` (data loaders),
:mod:`pruning_lab.runs` (on-disk cache and run store of long sweeps, run serially, over local
processes or on a Dask cluster by :mod:`pruning_lab.backends`),
:mod:`pruning_lab.cli` (``python -m pruning_lab``: run named sweeps at full scale).
Neural-network code lives in :mod:`pruning_lab.nn`, the only subpackage that
imports torch; it is not imported by ``import pruning_lab``.
"""

__version__ = "0.1.0"
