r"""Selection beyond weights: which training examples, which input features.

The same idea as the rest of the book — keep a small, well-chosen subset, chosen greedily by a
cheap score — applied to other things than weights.  The submodules, one idea each:

* :mod:`pruning_lab.selection.sensitivity`: data selection by clustering-based sensitivity
  sampling (DS-1, DS-2) against uniform and leverage-score sampling, with the clustering of
  :mod:`pruning_lab.selection.clustering` and the regression experiment of
  :mod:`pruning_lab.selection.experiments`;
* :mod:`pruning_lab.selection.attribution`: integrated gradients and Greedy PIG (feature
  attribution and selection), on the models of :mod:`pruning_lab.selection.attribution_models`,
  with the experiments of :mod:`pruning_lab.selection.attribution_experiments`;
* :mod:`pruning_lab.selection.logistic`: gradient descent with a loss-normalized step on separable
  logistic regression, and its use for sparse logistic regression, with the experiments of
  :mod:`pruning_lab.selection.logistic_experiments`;
* :mod:`pruning_lab.selection.submodular`: decomposable submodular minimization by maximum flow
  (exact, and its parametric path), with the block-selection experiment of
  :mod:`pruning_lab.selection.block_experiments`.

This module gathers the public functions and classes of the submodules (their constants, such as
``METHODS``, stay in the submodule that defines them).  Used in the chapter :doc:`/book/beyond_weights`;
the reconstructions among them are labelled in their docstrings.
"""

from .attribution import (
    PIGResult,
    deletion_curve,
    greedy_pig,
    ig_topk,
    insertion_curve,
    integrated_gradients,
    kl_auc,
    recovery_rate,
    softmax_auc,
)
from .attribution_experiments import (
    FeatureSelectionResult,
    MnistAttributionResult,
    ProxyDesign,
    ScoreTable,
    feature_selection_experiment,
    mnist_attribution_experiment,
)
from .attribution_models import FeatureMaskObjective, LinearModel, OneHiddenLayerMLP, SoftmaxRegression
from .block_experiments import BlockExperiment, block_scores, block_selection_experiment, planted_block_layer
from .clustering import kmeans, kmedoids, snap_to_data
from .experiments import SelectionCurve, clustered_regression, one_minus_r2, regression_selection_curve
from .logistic import (
    gd,
    iht_logistic,
    is_separable,
    logistic_gradient,
    logistic_hessian,
    logistic_loss,
    omp_logistic,
    smoothness_constant,
)
from .logistic_experiments import (
    LogisticCurves,
    SparseTradeoff,
    gd_curves,
    max_margin,
    separable_sphere,
    sparse_logistic_tradeoff,
)
from .sensitivity import (
    WeightedSample,
    ds1_probabilities,
    ds1_sample,
    ds1_sample_size,
    ds2_sample,
    leverage_sample,
    leverage_scores,
    uniform_sample,
    weighted_least_squares,
)
from .submodular import (
    BlockSelection,
    MinNormPoint,
    brute_force_minimize,
    greedy_vertex,
    min_norm_point,
    minimize_pairwise,
    pairwise_value,
    parametric_path,
    smooth_block_selection,
)

__all__ = [
    "BlockExperiment",
    "BlockSelection",
    "FeatureMaskObjective",
    "FeatureSelectionResult",
    "LinearModel",
    "LogisticCurves",
    "MinNormPoint",
    "MnistAttributionResult",
    "OneHiddenLayerMLP",
    "PIGResult",
    "ProxyDesign",
    "ScoreTable",
    "SelectionCurve",
    "SoftmaxRegression",
    "SparseTradeoff",
    "WeightedSample",
    "block_scores",
    "block_selection_experiment",
    "brute_force_minimize",
    "clustered_regression",
    "deletion_curve",
    "ds1_probabilities",
    "ds1_sample",
    "ds1_sample_size",
    "ds2_sample",
    "feature_selection_experiment",
    "gd",
    "gd_curves",
    "greedy_pig",
    "greedy_vertex",
    "ig_topk",
    "iht_logistic",
    "insertion_curve",
    "integrated_gradients",
    "is_separable",
    "kl_auc",
    "kmeans",
    "kmedoids",
    "leverage_sample",
    "leverage_scores",
    "logistic_gradient",
    "logistic_hessian",
    "logistic_loss",
    "max_margin",
    "min_norm_point",
    "minimize_pairwise",
    "mnist_attribution_experiment",
    "omp_logistic",
    "one_minus_r2",
    "pairwise_value",
    "parametric_path",
    "planted_block_layer",
    "recovery_rate",
    "regression_selection_curve",
    "separable_sphere",
    "smooth_block_selection",
    "smoothness_constant",
    "snap_to_data",
    "softmax_auc",
    "sparse_logistic_tradeoff",
    "uniform_sample",
    "weighted_least_squares",
]
