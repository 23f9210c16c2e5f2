r"""The distributional characterization (DC) of over-parameterized least squares, and what it predicts.

One namespace for three modules, one idea each:

* :mod:`pruning_lab.dc.theory`: the DC itself (implicit ridge :math:`\xi`, effective noise
  :math:`\gamma`, marginals) and the closed-form risks of pruning, retraining and the small model;
* :mod:`pruning_lab.dc.double_descent`: sparse double descent (fixed :math:`n` and :math:`s`, growing
  :math:`p`), the dense risk curve and the regime map "large-then-prune against small";
* :mod:`pruning_lab.dc.simulate`: the Monte Carlo of the real pipeline that each prediction is
  checked against.

``from pruning_lab import dc`` then ``dc.dc_params(problem, n)``: every public name of the three
modules is importable from here.  Used in the chapters :doc:`/book/predicting_pruning` and
:doc:`/book/random_features`.
"""

from .double_descent import (
    DenseRiskCurve,
    RegimeMap,
    SparseDoubleDescent,
    dense_risk_curve,
    learner_problem,
    regime_map,
    sparse_double_descent,
    two_level_world,
)
from .simulate import (
    Agreement,
    MonteCarlo,
    agreement,
    simulate_lemma1,
    simulate_min_norm,
    simulate_retraining,
    simulate_small_model,
    simulate_threshold_pruning,
)
from .theory import (
    DC_STRATEGIES,
    DCParams,
    ThresholdRisk,
    dc_marginals,
    dc_params,
    dc_params_asymptotic,
    dc_prune_risk_mc,
    dc_sample,
    isotropic_risk,
    lemma1_risks,
    oracle_prune_risk,
    oracle_small_model_risk,
    retrain_risk,
    small_model_risk,
    solve_xi,
    threshold_prune_risk,
    threshold_risk,
)

__all__ = [
    "DC_STRATEGIES", "Agreement", "DCParams", "DenseRiskCurve", "MonteCarlo", "agreement", "RegimeMap", "SparseDoubleDescent",
    "ThresholdRisk", "dc_marginals", "dc_params", "dc_params_asymptotic", "dc_prune_risk_mc", "dc_sample",
    "dense_risk_curve", "isotropic_risk", "learner_problem", "lemma1_risks", "oracle_prune_risk",
    "oracle_small_model_risk", "regime_map", "retrain_risk", "simulate_lemma1", "simulate_min_norm",
    "simulate_retraining", "simulate_small_model", "simulate_threshold_pruning", "small_model_risk", "solve_xi",
    "sparse_double_descent", "threshold_prune_risk", "threshold_risk", "two_level_world",
]
