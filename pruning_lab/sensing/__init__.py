r"""Matrix sensing with a smooth group Lasso: greedy column pruning that generalizes (one namespace).

Over-parameterized symmetric matrix sensing: fit :math:`U\in\mathbb R^{d\times k}`, :math:`k\ge r`, to
measurements :math:`y_i=\langle A_i,U_\star U_\star^\top\rangle+\varepsilon_i` of a rank-:math:`r` matrix
by minimizing :math:`f(U)=\mathcal L(U)+\lambda\sum_i\sqrt{\lVert Ue_i\rVert^2+\beta}`; prune every column
with norm below :math:`\tau` and fine-tune the :math:`r` survivors.  Our reconstruction, in the spirit of
:cite:`rajaraman2023greedy`.  The code lives in four modules,
one idea each, and this module gathers their public names:

* :mod:`pruning_lab.sensing.model`: measurements, ground truth, the empirical and population losses, the
  quadratic network;
* :mod:`pruning_lab.sensing.objective`: the smooth group Lasso and the regularized objective;
* :mod:`pruning_lab.sensing.train`: (perturbed) gradient descent, the second-order stationarity check,
  pruning, fine-tuning, rates, and the small model trained directly;
* ``pruning_lab.sensing.asymptotics``: the exact asymptotic error of least squares over factors;
* :mod:`pruning_lab.sensing.experiments`: the chapter's experiments.

Used in the chapter :doc:`/book/matrix_sensing`.
"""

from .asymptotics import asymptotic_error, overfit_dimension
from .experiments import (
    GeneralizationCurve,
    SensingBaselines,
    SensingRun,
    SurvivorMap,
    generalization_curve,
    sensing_baselines,
    sensing_run,
    survivor_map,
)
from .model import (
    KINDS,
    Measurements,
    SensingProblem,
    grad_emp,
    grad_pop,
    hvp_emp,
    hvp_pop,
    loss_emp,
    loss_pop,
    make_ground_truth,
    observe,
    quad_net_forward,
    quad_net_loss,
    recovery_error,
    sample_measurements,
)
from .objective import (
    FORMS,
    SensingObjective,
    grad_reg,
    group_lasso_smooth,
    hvp_reg,
    population_stationary_point,
    shrunk_column_norms,
)
from .train import (
    LinearRate,
    Prunability,
    PruneFinetuneResult,
    SOSPReport,
    TrainResult,
    column_norms,
    finetune,
    fit_linear_rate,
    gradient_descent,
    hessian_matrix,
    local_linear_rate,
    min_measurements,
    perturbed_gradient_descent,
    prunability_stats,
    prune_columns,
    prune_top_columns,
    random_init,
    sosp_check,
    train_prune_finetune,
    train_small_model,
)

__all__ = [
    "FORMS",
    "KINDS",
    "GeneralizationCurve",
    "LinearRate",
    "Measurements",
    "Prunability",
    "PruneFinetuneResult",
    "SOSPReport",
    "SensingBaselines",
    "SensingObjective",
    "SensingProblem",
    "SensingRun",
    "SurvivorMap",
    "TrainResult",
    "asymptotic_error",
    "column_norms",
    "finetune",
    "fit_linear_rate",
    "generalization_curve",
    "grad_emp",
    "grad_pop",
    "grad_reg",
    "gradient_descent",
    "group_lasso_smooth",
    "hessian_matrix",
    "hvp_emp",
    "hvp_pop",
    "hvp_reg",
    "local_linear_rate",
    "loss_emp",
    "loss_pop",
    "make_ground_truth",
    "min_measurements",
    "observe",
    "overfit_dimension",
    "perturbed_gradient_descent",
    "population_stationary_point",
    "prunability_stats",
    "prune_columns",
    "prune_top_columns",
    "quad_net_forward",
    "quad_net_loss",
    "random_init",
    "recovery_error",
    "sample_measurements",
    "sensing_baselines",
    "sensing_run",
    "shrunk_column_norms",
    "sosp_check",
    "survivor_map",
    "train_prune_finetune",
    "train_small_model",
]
