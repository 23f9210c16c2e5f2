r"""Matrix sensing with a smooth group Lasso: greedy column pruning that generalizes (one namespace).

Over-parameterized symmetric matrix sensing: fit :math:`U\in\mathbb R^{d\times k}`, :math:`k\ge r`, to
measurements :math:`y_i=\langle A_i,U_\star U_\star^\top\rangle+\varepsilon_i` of a rank-:math:`r` matrix
by minimizing :math:`f(U)=\mathcal L(U)+\lambda\sum_i\sqrt{\lVert Ue_i\rVert^2+\beta}`; prune every column
with norm below :math:`\tau` and fine-tune the :math:`r` survivors.  Our reconstruction, in the spirit of
:cite:`rajaraman2023greedy` (spec ``matrix-sensing-group-lasso.md``).  The code lives in four modules,
one idea each, and this module gathers their public names:

* :mod:`pruning_lab.sensing.model`: measurements, ground truth, losses (B1)–(B4), quadratic network (B12);
* :mod:`pruning_lab.sensing.objective`: smooth group Lasso (B5) and the objective (B6);
* :mod:`pruning_lab.sensing.train`: (perturbed) gradient descent, SOSP check (B7), pruning (B8),
  fine-tuning (B9), rates;
* :mod:`pruning_lab.sensing.experiments`: the chapter's experiments.

Used in the chapter "Matrix sensing: group lasso makes pruning safe".
"""

from .experiments import *  # noqa: F401,F403
from .experiments import __all__ as _experiments
from .model import *  # noqa: F401,F403
from .model import __all__ as _model
from .objective import *  # noqa: F401,F403
from .objective import __all__ as _objective
from .train import *  # noqa: F401,F403
from .train import __all__ as _train

__all__ = [*_model, *_objective, *_train, *_experiments]
