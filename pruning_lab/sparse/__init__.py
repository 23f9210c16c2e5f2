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
Used in the chapter "Sparse convex optimization".
"""

from .base import *  # noqa: F401,F403
from .base import __all__ as _base
from .experiments import *  # noqa: F401,F403
from .experiments import __all__ as _experiments
from .greedy import *  # noqa: F401,F403
from .greedy import __all__ as _greedy
from .thresholding import *  # noqa: F401,F403
from .thresholding import __all__ as _thresholding
from .lasso import *  # noqa: F401,F403
from .lasso import __all__ as _lasso
from .regularizers import *  # noqa: F401,F403
from .regularizers import __all__ as _regularizers
from .restricted import *  # noqa: F401,F403
from .restricted import __all__ as _restricted

__all__ = [*_base, *_greedy, *_lasso, *_thresholding, *_regularizers, *_restricted, *_experiments]
