r"""Selection beyond weights: which training examples, which input features.

The same idea as the rest of the book — keep a small, well-chosen subset, chosen greedily by a
cheap score — applied to other things than weights.  The submodules, one idea each:

* :mod:`pruning_lab.selection.sensitivity`: data selection by clustering-based sensitivity
  sampling (DS-1, DS-2) against uniform and leverage-score sampling;
* :mod:`pruning_lab.selection.attribution`: integrated gradients and Greedy PIG (feature
  attribution and selection);
* :mod:`pruning_lab.selection.logistic`: gradient descent with a loss-normalized step on separable
  logistic regression, and its use for sparse logistic regression;
* :mod:`pruning_lab.selection.submodular`: decomposable submodular minimization by maximum flow
  (exact, and its parametric path).

Import the submodule you need, e.g. ``from pruning_lab.selection import submodular``.
"""

__all__: list = []
