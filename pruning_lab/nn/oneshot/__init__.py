"""One-shot pruning with calibration data (torch side): the layer math is :mod:`pruning_lab.layerwise`.

- :mod:`pruning_lab.nn.oneshot.calibration`: each layer's input Gram matrix :math:`H` by forward
  hooks, and ``oneshot_prune``, which prunes a model layer by layer (sequentially, on the outputs of
  the already pruned layers) with magnitude, Wanda, OBD, SparseGPT or exact greedy OBS.
- :mod:`pruning_lab.nn.oneshot.experiments`: the chapter's experiments (the MNIST MLP and the
  character-level language model, pruned one-shot with and without retraining).
"""

from .calibration import (
    LayerStats,
    OneShotResult,
    calibration_hessians,
    oneshot_layers,
    oneshot_prune,
)

__all__ = ["LayerStats", "OneShotResult", "calibration_hessians", "oneshot_layers", "oneshot_prune"]
