r"""Restricted strong convexity and smoothness constants of least squares, by enumeration or Monte Carlo.

For :math:`l(\beta)=\frac1{2n}\lVert y-X\beta\rVert^2` the Hessian is :math:`X^\top X/n`, so the
restricted constants at group sparsity :math:`s` (Yasuda's thesis Def. 16.4.1; SequentialAttention++
Def. B.2, Yasuda et al., 2024) are

.. math:: \mu_s=\min_{\lvert U\rvert=s}\lambda_{\min}\big(X_U^\top X_U/n\big),\qquad
          L_s=\max_{\lvert U\rvert=s}\lambda_{\max}\big(X_U^\top X_U/n\big),

over unions :math:`U` of :math:`s` groups, and :math:`\kappa_s=L_s/\mu_s` is the restricted condition
number that enters every sparsity guarantee of the chapter :doc:`/book/lasso_to_sapp`.
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import combinations
from math import comb

import numpy as np

from ..validation import as_rng, check_array, check_int
from .base import _Groups

__all__ = ["RestrictedConstants", "restricted_constants"]


@dataclass(frozen=True)
class RestrictedConstants:
    """Restricted constants at one group sparsity.

    Attributes
    ----------
    mu : float
        :math:`\\mu_s` (an upper bound on the true value when sampled).
    L : float
        :math:`L_s` (a lower bound on the true value when sampled).
    kappa : float
        :math:`L_s/\\mu_s` (``inf`` when :math:`\\mu_s=0`).
    n_unions : int
        Number of unions of groups examined.
    exact : bool
        True when every union was enumerated.
    """

    mu: float
    L: float
    kappa: float
    n_unions: int
    exact: bool


def restricted_constants(X, s: int, groups=None, *, n_samples: int = 500, rng=None) -> RestrictedConstants:
    r"""Estimate :math:`\mu_s, L_s` of :math:`X^\top X/n` over unions of ``s`` groups.

    When the number of unions :math:`\binom ts` is at most ``n_samples`` they are all enumerated and
    the constants are exact; otherwise ``n_samples`` unions are drawn uniformly (each a uniformly random
    ``s``-subset of the groups), which gives :math:`\hat\mu_s\ge\mu_s` and :math:`\hat L_s\le L_s`.
    The eigenvalues of equally sized unions are computed in one batched ``eigvalsh``.

    Parameters
    ----------
    X : ndarray of shape (n, p)
        Design matrix.
    s : int
        Number of groups in a union, in ``1..t``.
    groups : sequence of int arrays, optional
        A partition of ``0..p-1`` (default: singleton groups).
    n_samples : int
        Largest number of unions examined.
    rng : numpy.random.Generator or int, optional
        Generator or seed for the sampled unions.

    Returns
    -------
    RestrictedConstants
        :math:`\mu_s`, :math:`L_s`, :math:`\kappa_s` and how they were obtained.
    """
    X = check_array(X, "X", ndim=2)
    if X.shape[0] == 0 or X.shape[1] == 0:
        raise ValueError(f"X must have at least one row and one column, got shape {X.shape}")
    g = _Groups(groups, X.shape[1])
    s = check_int(s, "s (number of groups in a union)", 1, g.t)
    n_samples = check_int(n_samples, "n_samples", 1)
    rng = as_rng(rng)
    total = comb(g.t, s)
    exact = total <= n_samples
    if exact:
        unions = np.array(list(combinations(range(g.t), s)), dtype=int)
    else:
        unions = np.argsort(rng.random((n_samples, g.t)), axis=1)[:, :s]
    G = X.T @ X / X.shape[0]
    sizes = np.array([g.members[i].size for i in range(g.t)])
    coord_sets = [g.coords(u) for u in unions] if np.any(sizes != sizes[0]) else None
    lo, hi = np.inf, -np.inf
    if coord_sets is None:  # equal group sizes: one batch
        idx = np.stack([np.concatenate([g.members[i] for i in u]) for u in unions]) if sizes[0] > 1 else unions
        ev = np.linalg.eigvalsh(G[idx[:, :, None], idx[:, None, :]])
        lo, hi = float(ev[:, 0].min()), float(ev[:, -1].max())
    else:
        lengths = np.array([c.size for c in coord_sets])
        for m in np.unique(lengths):
            idx = np.stack([c for c, ln in zip(coord_sets, lengths) if ln == m])
            ev = np.linalg.eigvalsh(G[idx[:, :, None], idx[:, None, :]])
            lo, hi = min(lo, float(ev[:, 0].min())), max(hi, float(ev[:, -1].max()))
    lo = max(lo, 0.0)
    kappa = hi / lo if lo > 0 else np.inf
    return RestrictedConstants(lo, hi, float(kappa), int(len(unions)), bool(exact))
