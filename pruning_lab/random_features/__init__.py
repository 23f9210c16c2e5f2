r"""Random-features regression, pruned and retrained, through its equivalent linear problem.

One namespace for three modules:

* :mod:`pruning_lab.random_features.model`: the random-features model (a fixed random first layer,
  a trained linear second layer), the closed-form ReLU feature moments and the equivalent linear
  problem (ELP) whose DC predicts pruning;
* :mod:`pruning_lab.random_features.curves`: theory and simulation of the dense, pruned and retrained
  risks against the width, and the summary of how far they agree;
* :mod:`pruning_lab.random_features.baseline`: the width-:math:`s` model trained directly, by least
  squares and with a tuned ridge penalty, the baseline that pruning a wide model must beat.

Used in the chapter :doc:`/book/random_features`.
"""

from .baseline import SmallModelBaseline, small_model_baseline, small_model_point
from .curves import RandomFeaturesCurve, random_features_curve, random_features_point
from .model import (
    ACTIVATIONS,
    RandomFeaturesProblem,
    equivalent_linear_problem,
    equivalent_linear_problem_mc,
    relu_feature_moments,
)

__all__ = [
    "ACTIVATIONS",
    "RandomFeaturesCurve",
    "RandomFeaturesProblem",
    "SmallModelBaseline",
    "equivalent_linear_problem",
    "equivalent_linear_problem_mc",
    "random_features_curve",
    "random_features_point",
    "relu_feature_moments",
    "small_model_baseline",
    "small_model_point",
]
