r"""Rank-constrained convex optimization: greedy and local search over low-rank matrices.

The chapter :doc:`/book/lasso_to_sapp` studies
:math:`\min_{\operatorname{rank}(A)\le r}R(A)` for a convex :math:`R:\mathbb{R}^{m\times n}\to\mathbb{R}`, on
**matrix completion**: a rank-:math:`r^*` matrix :math:`M` is seen on a set :math:`\Omega` of entries, with
noise (and, for robust PCA, a few gross outliers), and

.. math:: R(A)=\tfrac12\lVert P_\Omega(A-Y)\rVert_F^2
          \quad\text{or}\quad R(A)=\sum_{(i,j)\in\Omega}h_\delta(A_{ij}-Y_{ij})\ \text{(Huber)}.

Axiotis & Sviridenko (2021, "Local search algorithms for rank-constrained convex optimization", ICLR)
bound the rank that greedy and local search need to reach :math:`R(A^*)+\varepsilon` by the
rank-restricted condition number :math:`\kappa=\rho_r^+/\rho_r^-`.  :func:`greedy_rank` and
:func:`local_search_rank` are **our reconstruction, in the spirit of Axiotis & Sviridenko (2021)**,
written from the paper's abstract and definitions, not from its pseudocode.  :func:`svp` (singular value
projection, Jain, Meka & Dhillon 2010) and :func:`soft_impute` (Mazumder, Hastie & Tibshirani 2010) are
the standard baselines.  Solutions are kept factored, :math:`A=PCQ^\top` with orthonormal columns in
:math:`P,Q` and a small core :math:`C`.

The code is split in ``pruning_lab.lowrank.completion`` (problem, data, loss),
``pruning_lab.lowrank.algorithms`` and ``pruning_lab.lowrank.experiments``; every public
name is importable from here.
"""

from .algorithms import LowRankFit, greedy_rank, local_search_rank, ridge_als, soft_impute, svp, top_singular_pair
from .completion import CompletionData, MatrixCompletionProblem, ObservedLoss
from .experiments import completion_rank_sweep, noise_floor, robust_completion_sweep

__all__ = [
    "CompletionData",
    "LowRankFit",
    "MatrixCompletionProblem",
    "ObservedLoss",
    "completion_rank_sweep",
    "greedy_rank",
    "local_search_rank",
    "noise_floor",
    "ridge_als",
    "robust_completion_sweep",
    "soft_impute",
    "svp",
    "top_singular_pair",
]
