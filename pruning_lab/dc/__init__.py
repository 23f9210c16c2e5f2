r"""The distributional characterization (DC) of over-parameterized least squares, and what it predicts.

One namespace for four modules, one idea each:

* :mod:`pruning_lab.dc.theory`: the DC itself (implicit ridge :math:`\xi`, effective noise
  :math:`\gamma`, marginals) for min-norm least squares and for ridge, the small model and the
  tuned ridge penalty;
* :mod:`pruning_lab.dc.pruning`: the risks of pruning and of pruning then retraining;
* :mod:`pruning_lab.dc.double_descent`: sparse double descent (fixed :math:`n` and :math:`s`, growing
  :math:`p`), the dense risk curve and the regime map "large-then-prune against small";
* :mod:`pruning_lab.dc.simulate`: the Monte Carlo of the real pipeline that each prediction is
  checked against.

``from pruning_lab import dc`` then ``dc.dc_params(problem, n)``: every public name of the four
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
from .pruning import (
    DC_STRATEGIES,
    ThresholdRisk,
    dc_prune_risk_mc,
    oracle_prune_risk,
    retrain_risk,
    threshold_prune_risk,
    threshold_risk,
)
from .simulate import (
    Agreement,
    MonteCarlo,
    agreement,
    simulate_lemma1,
    simulate_min_norm,
    simulate_retraining,
    simulate_ridge,
    simulate_small_model,
    simulate_threshold_pruning,
)
from .theory import (
    DCParams,
    OptimalRidge,
    dc_marginals,
    dc_params,
    dc_params_asymptotic,
    dc_sample,
    isotropic_risk,
    lemma1_risks,
    optimal_ridge,
    oracle_small_model_risk,
    small_model_risk,
    solve_kappa,
    solve_xi,
)

__all__ = [
    "DC_STRATEGIES",
    "Agreement",
    "DCParams",
    "DenseRiskCurve",
    "MonteCarlo",
    "OptimalRidge",
    "RegimeMap",
    "SparseDoubleDescent",
    "ThresholdRisk",
    "agreement",
    "dc_marginals",
    "dc_params",
    "dc_params_asymptotic",
    "dc_prune_risk_mc",
    "dc_sample",
    "dense_risk_curve",
    "isotropic_risk",
    "learner_problem",
    "lemma1_risks",
    "optimal_ridge",
    "oracle_prune_risk",
    "oracle_small_model_risk",
    "regime_map",
    "retrain_risk",
    "simulate_lemma1",
    "simulate_min_norm",
    "simulate_retraining",
    "simulate_ridge",
    "simulate_small_model",
    "simulate_threshold_pruning",
    "small_model_risk",
    "solve_kappa",
    "solve_xi",
    "sparse_double_descent",
    "threshold_prune_risk",
    "threshold_risk",
    "two_level_world",
]
