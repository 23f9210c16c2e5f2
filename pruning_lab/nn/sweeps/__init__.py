r"""Width sweeps of networks: train wide, prune to a small model's size, retrain, compare.

The network experiment of Chang, Li, Oymak & Thrampoulidis (2021) (the distributional
characterization paper, section 3.3 and appendix A.1-A.2): models of growing
width :math:`k` are trained densely, then pruned to exactly the number
:math:`s` of prunable weights (weights of the ``nn.Linear``/``nn.Conv``
layers) of a fixed small *base* model of width :math:`k_0`,

.. math:: s = \#\{\text{prunable weights of the width-}k_0\text{ model}\},\qquad
          \|m\|_0 = s \ \text{ for every width } k \ge k_0,

by one of the pruning strategies of :func:`pruning_lab.nn.masks.strategy_masks`:
global magnitude pruning (one threshold on :math:`|W|` over all layers),
layer-wise magnitude pruning (the same fraction :math:`s/N_k` kept in every
layer), or uniformly random masks of the same size; each pruned model is
evaluated as is and after retraining with its mask in force.  Used in the
chapters :doc:`/book/pruning_mnist` and :doc:`/book/resnet_cifar`.

A sweep is a :class:`WidthSweep` (models, data, widths, strategies, seeds and
one :class:`pruning_lab.nn.train.TrainingRecipe`); :meth:`WidthSweep.configs`
expands it into one frozen :class:`WidthRunConfig` per width x strategy x
retrain x seed, whose fields are its key in a :class:`pruning_lab.runs.RunStore`,
and :func:`run_width_sweep` runs them through :func:`pruning_lab.runs.run_sweep`,
storing every finished run.  The dense model of a (width, seed) is trained
once and checkpointed in the store's directory under its
:class:`DenseModelKey` (``torch.save`` to a temporary file, then
``os.replace``), so the pruned variants, and a sweep resumed after an
interruption, reuse it.  :mod:`pruning_lab.nn.sweeps.imp` does the same for
iterative magnitude pruning over seeds and rewind points (:class:`IMPExperiment`,
:data:`IMP_EXPERIMENTS`).  :data:`SWEEPS` names the sweeps of the book at a
``"book"`` scale (CPU, minutes) and a ``"full"`` scale (the widths of the
paper's figures; hours on a GPU).  The paper trains with Adam, and its ResNet base
models have about 28k, 70k and 109k parameters (ResNet-20 of widths 5, 8 and 10);
the ResNet sweeps use Adam and base widths 5 (book) and 8 (full).  The
fully connected sweeps use SGD with momentum and a cosine schedule (our choice),
and their widths and epochs are ours.
"""

from . import config as _config
from . import imp as _imp
from .config import DenseModelKey, WidthRunConfig, WidthSweep, get_sweep
from .imp import (
    IMPExperiment,
    IMPRunConfig,
    get_imp_experiment,
    imp_summary,
    run_imp_experiment,
    run_imp_point,
)
from .run import run_width_point, run_width_sweep

# the data of the sweeps, bound here with their descriptions so that the API page documents them
#: The strategies of a width sweep, ``"dense"`` (the dense model itself, and budget-matched when
#: retrained), the pruning strategies of :data:`pruning_lab.nn.masks.STRATEGIES`, and ``"scratch"``
#: (the global-magnitude mask re-initialised and trained from scratch).
STRATEGIES = _config.STRATEGIES
#: The named IMP experiments of the book, ``IMP_EXPERIMENTS[name][scale]`` (see :mod:`pruning_lab.nn.sweeps.imp`).
IMP_EXPERIMENTS = _imp.IMP_EXPERIMENTS
#: The curves of a stored IMP run, the tickets, the same masks re-initialised and random masks.
IMP_CURVES = _imp.IMP_CURVES
#: The data sets of the width sweeps, ``{name: {"in_features", "in_channels", "image"}}``, with the
#: input shape the models get from them and whether they are images.
DATASETS = _config.DATASETS
#: The named sweeps of the book, ``SWEEPS[name][scale]`` with scales ``"book"`` and ``"full"``.
SWEEPS = _config.SWEEPS

__all__ = [
    "DATASETS",
    "IMP_CURVES",
    "IMP_EXPERIMENTS",
    "IMPExperiment",
    "IMPRunConfig",
    "STRATEGIES",
    "SWEEPS",
    "DenseModelKey",
    "WidthRunConfig",
    "WidthSweep",
    "get_imp_experiment",
    "get_sweep",
    "imp_summary",
    "run_imp_experiment",
    "run_imp_point",
    "run_width_point",
    "run_width_sweep",
]
