r"""The distributional characterization (DC) of over-parameterized least squares, and what it predicts.

One namespace for five modules, one idea each:

* :mod:`pruning_lab.dc.theory`: the DC itself (implicit ridge :math:`\xi`, effective noise
  :math:`\gamma`, marginals) for min-norm least squares and for ridge, the small model and the
  tuned ridge penalty;
* :mod:`pruning_lab.dc.pruning`: the risks of pruning and of pruning then retraining;
* :mod:`pruning_lab.dc.double_descent`: sparse double descent (fixed :math:`n` and :math:`s`, growing
  :math:`p`), the dense risk curve and the regime map "large-then-prune against small" (against
  the least-squares and the tuned-ridge small model);
* :mod:`pruning_lab.dc.experiments`: the chapter's other experiments: the large model with a
  ridge penalty tuned for pruning and the fair comparison with tuned-ridge baselines, retraining
  along the model size, and the correlated-design (equicorrelated) sweep;
* :mod:`pruning_lab.dc.simulate`: the Monte Carlo of the real pipeline that each prediction is
  checked against.

``from pruning_lab import dc`` then ``dc.dc_params(problem, n)``: every public name of the five
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
from .experiments import (
    CorrelatedSweep,
    EquicorrelatedProblem,
    FairComparison,
    RetrainingCurves,
    RidgeCurves,
    correlated_sweep,
    equicorrelated_problem,
    fair_comparison,
    optimal_prune_ridge,
    retraining_sweep,
    ridge_curves,
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
    simulate_pruning,
    simulate_refit_alignment,
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
    "CorrelatedSweep",
    "DCParams",
    "DenseRiskCurve",
    "EquicorrelatedProblem",
    "FairComparison",
    "MonteCarlo",
    "OptimalRidge",
    "RegimeMap",
    "RetrainingCurves",
    "RidgeCurves",
    "SparseDoubleDescent",
    "ThresholdRisk",
    "agreement",
    "correlated_sweep",
    "dc_marginals",
    "dc_params",
    "dc_params_asymptotic",
    "dc_prune_risk_mc",
    "dc_sample",
    "dense_risk_curve",
    "equicorrelated_problem",
    "fair_comparison",
    "isotropic_risk",
    "learner_problem",
    "lemma1_risks",
    "optimal_prune_ridge",
    "optimal_ridge",
    "oracle_prune_risk",
    "oracle_small_model_risk",
    "regime_map",
    "retrain_risk",
    "retraining_sweep",
    "ridge_curves",
    "simulate_lemma1",
    "simulate_min_norm",
    "simulate_pruning",
    "simulate_refit_alignment",
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
