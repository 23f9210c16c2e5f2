r"""Lottery tickets in a one-hidden-layer network: the pruned teacher, masked (accelerated) GD, sweeps.

One namespace for the modules:

* :mod:`pruning_lab.lottery.model`: the pruned teacher network, its risk, gradient and curvature;
* :mod:`pruning_lab.lottery.train`: masked heavy-ball gradient descent (Algorithm 1 of
  :cite:`zhang2021lottery`), convergence rates, magnitude masks and neuron-wise IMP;
* :mod:`pruning_lab.lottery.experiments`: the chapter's sweeps (phase diagram, rates, curvature,
  noise, inaccurate masks), cached on disk;
* ``pruning_lab.lottery.transition``: logistic 50% points and the success-curve sweeps (overlap
  patterns at a fixed number of free weights, input dimension, radius);
* ``pruning_lab.lottery.cli``: ``python -m pruning_lab.lottery.cli`` for the stored results.

``from pruning_lab import lottery as lt`` then ``lt.make_teacher(...)``: every public name of
the first four is importable from here.  Used in the chapter :doc:`/book/lottery_tickets`.
"""

from .experiments import (
    MASK_METHODS,
    CurvatureSweep,
    InaccurateMaskSweep,
    NoiseSweep,
    PhaseDiagram,
    RateSweep,
    curvature_sweep,
    inaccurate_mask_sweep,
    noise_sweep,
    phase_diagram,
    rate_sweep,
)
from .model import (
    LotteryTeacher,
    check_mask,
    empirical_risk,
    local_curvature,
    make_teacher,
    masked_hessian,
    output_rms,
    population_hessian,
    population_rmse,
    r_tilde,
    relu,
    relu_kernel,
    risk_grad,
    teacher_output,
    top_curvature,
)
from .train import (
    PAPER_BETA,
    PAPER_ETA,
    AGDResult,
    NeuronwiseIMP,
    RateFit,
    agd_pruned,
    agd_pruned_batch,
    empirical_rate,
    heavy_ball_rate,
    heavy_ball_tuning,
    init_at_distance,
    magnitude_mask,
    mask_accuracy,
    neuronwise_imp,
    relative_error,
)
from .transition import (
    SuccessCurves,
    Transition,
    dimension_sweep,
    logistic_transition,
    pattern_sweep,
    radius_sweep,
    success_cell,
)

__all__ = [
    "MASK_METHODS",
    "PAPER_BETA",
    "PAPER_ETA",
    "AGDResult",
    "CurvatureSweep",
    "InaccurateMaskSweep",
    "LotteryTeacher",
    "NeuronwiseIMP",
    "NoiseSweep",
    "PhaseDiagram",
    "RateFit",
    "RateSweep",
    "agd_pruned",
    "agd_pruned_batch",
    "check_mask",
    "curvature_sweep",
    "empirical_rate",
    "empirical_risk",
    "heavy_ball_rate",
    "heavy_ball_tuning",
    "inaccurate_mask_sweep",
    "init_at_distance",
    "local_curvature",
    "magnitude_mask",
    "make_teacher",
    "mask_accuracy",
    "masked_hessian",
    "neuronwise_imp",
    "noise_sweep",
    "output_rms",
    "phase_diagram",
    "population_hessian",
    "population_rmse",
    "r_tilde",
    "rate_sweep",
    "relative_error",
    "relu",
    "relu_kernel",
    "risk_grad",
    "teacher_output",
    "top_curvature",
    "SuccessCurves",
    "Transition",
    "dimension_sweep",
    "logistic_transition",
    "pattern_sweep",
    "radius_sweep",
    "success_cell",
]
