r"""Sparse convex optimization for linear models (one namespace for the submodules below).

All methods minimize the least-squares loss :math:`l(\beta)=\frac1{2n}\lVert y-X\beta\rVert_2^2`
over (group-)sparse :math:`\beta`; ``groups=None`` means ordinary sparsity.  The code lives in
submodules, one idea each, and this module gathers their public names:

* :mod:`pruning_lab.sparse.base`: the loss, group norms and the result type;
* :mod:`pruning_lab.sparse.greedy`: OMP, group OMP, OMP with Replacement, column subset selection;
* :mod:`pruning_lab.sparse.lasso`: block soft-thresholding, group LASSO and its path, sequential
  LASSO and regularized linear Sequential Attention;
* :mod:`pruning_lab.sparse.thresholding`: hard thresholding, IHT and our reconstruction of regularized IHT;
* :mod:`pruning_lab.sparse.regularizers`: the differentiable-pruning regularizers of
  SequentialAttention++ (Yasuda et al., 2024);
* :mod:`pruning_lab.sparse.restricted`: Monte-Carlo restricted strong convexity / smoothness constants;
* :mod:`pruning_lab.sparse.experiments`: the chapter's experiments.

ARHT (Axiotis & Sviridenko, 2020) is not provided: its pseudocode could not be checked.
Used in the chapter :doc:`/book/lasso_to_sapp`.
"""

from .base import SparseFit, group_norms, least_squares_loss
from .experiments import (
    ObjectiveCurves,
    SparseProblem,
    SparsityTradeoff,
    ThresholdDemo,
    decoy_problem,
    equicorrelated_problem,
    group_lasso_threshold_demo,
    objective_vs_sparsity,
    sparsity_tradeoff,
)
from .greedy import CSSResult, css_group_omp, group_omp, omp, ompr
from .lasso import (
    GroupLassoPath,
    GroupLassoResult,
    block_soft_threshold,
    group_lasso,
    group_lasso_path,
    group_soft_threshold,
    lambda_max,
    sequential_attention_linear,
    sequential_lasso,
)
from .regularizers import group_powerprop, mask_penalty_minimizer, q_l1_mask, q_regularizer, q_softmax_logsum
from .restricted import RestrictedConstants, restricted_constants
from .thresholding import RegularizedIHTFit, group_hard_threshold, hard_threshold, iht, regularized_iht_variant

__all__ = [
    "CSSResult",
    "GroupLassoPath",
    "GroupLassoResult",
    "ObjectiveCurves",
    "RegularizedIHTFit",
    "RestrictedConstants",
    "SparseFit",
    "SparseProblem",
    "SparsityTradeoff",
    "ThresholdDemo",
    "block_soft_threshold",
    "css_group_omp",
    "decoy_problem",
    "equicorrelated_problem",
    "group_hard_threshold",
    "group_lasso",
    "group_lasso_path",
    "group_lasso_threshold_demo",
    "group_norms",
    "group_omp",
    "group_powerprop",
    "group_soft_threshold",
    "hard_threshold",
    "iht",
    "lambda_max",
    "least_squares_loss",
    "mask_penalty_minimizer",
    "objective_vs_sparsity",
    "omp",
    "ompr",
    "q_l1_mask",
    "q_regularizer",
    "q_softmax_logsum",
    "regularized_iht_variant",
    "restricted_constants",
    "sequential_attention_linear",
    "sequential_lasso",
    "sparsity_tradeoff",
]
