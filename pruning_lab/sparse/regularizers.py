r"""Differentiable pruning as nonconvex group regularization (SequentialAttention++, Yasuda et al., 2024, §2).

Multiplying a group of weights by a trainable mask and penalizing mask and weights is, after
minimizing over the mask, a regularizer on the effective weights :math:`u`:

* plain mask with :math:`\ell_2` penalties (Hoff, 2017): :math:`\min_w w^2+a^2/w^2=2a` (group LASSO);
* unnormalized softmax mask :math:`e^{w}` (Lemma 2.1):
  :math:`\min_w w^2+a^2e^{-2w}=q(a)=\tfrac14W(2a^2)^2+\tfrac12W(2a^2)`;
* :math:`\ell_1` penalty on the mask (Lemma 2.2): :math:`\min_w \lvert w\rvert+a^2/w^2=\tfrac32 2^{1/3}a^{2/3}`;
* group Powerpropagation (Lemma 2.3): :math:`\beta\mapsto\lVert\beta\rVert_2\beta` turns
  :math:`\lVert\beta\rVert_2^2` into :math:`\lVert u\rVert_2`.

Here :math:`a=\lVert u\vert_{T_i}\rVert_2` and :math:`W` is the Lambert W function.  For strictly
increasing subadditive :math:`q` with :math:`q(0)=0`, the regularizer
:math:`q^{-1}(\sum_iq(\lVert\beta\vert_{T_i}\rVert_2))` dominates the group LASSO norm with equality on
1-group-sparse vectors (Lemmas 2.4/2.5), so a unique 1-group-sparse group-LASSO minimizer is also the
unique minimizer of the nonconvex problem (Theorem 1.1).  Used in the chapter :doc:`/book/lasso_to_sapp`.
"""

from __future__ import annotations

import numpy as np
from scipy.special import lambertw

from ..validation import check_array
from .base import _Groups

__all__ = ["group_powerprop", "mask_penalty_minimizer", "q_l1_mask", "q_regularizer", "q_softmax_logsum"]

_KINDS = ("hadamard", "softmax", "l1")


def _out(x, like):
    return float(x) if np.ndim(like) == 0 else x


def q_softmax_logsum(a):
    r"""Lemma 2.1 of Yasuda et al. (2024): :math:`q(a)=\tfrac14W(2a^2)^2+\tfrac12W(2a^2)=\min_w w^2+a^2e^{-2w}`.

    :math:`W` is the principal (real) branch of the Lambert W function.  :math:`q(0)=0`, :math:`q` is
    increasing in :math:`\lvert a\rvert`, :math:`q(a)\approx a^2` near 0 (so it is *not* subadditive
    there) and grows like :math:`\tfrac14\log^2(2a^2)` for large :math:`a` (a group log-sum penalty).

    Parameters
    ----------
    a : float or ndarray
        Group norms (the sign is ignored).

    Returns
    -------
    float or ndarray
        :math:`q(a)`, same shape as ``a``.
    """
    arr = check_array(a, "a (group norms)")
    w = np.real(lambertw(2.0 * arr * arr, 0))
    return _out(0.25 * w * w + 0.5 * w, a)


def q_l1_mask(a):
    r"""Lemma 2.2 of Yasuda et al. (2024):
    :math:`q(a)=\tfrac32\,2^{1/3}\lvert a\rvert^{2/3}=\min_w\lvert w\rvert+a^2/w^2`.

    Parameters
    ----------
    a : float or ndarray
        Group norms (the sign is ignored).

    Returns
    -------
    float or ndarray
        :math:`q(a)`, same shape as ``a``.
    """
    arr = check_array(a, "a (group norms)")
    return _out(1.5 * 2.0 ** (1.0 / 3.0) * np.abs(arr) ** (2.0 / 3.0), a)


def mask_penalty_minimizer(a, kind: str = "hadamard"):
    r"""Optimal mask :math:`w^*` and optimal value of the per-group mask problems (Yasuda et al., 2024, §2.1).

    With :math:`a=\lVert u\vert_{T_i}\rVert_2` the effective group norm and the weights written as
    :math:`u/\text{mask}`:

    * ``"hadamard"``: :math:`\min_{w>0} w^2+a^2/w^2`, :math:`w^*=\sqrt a`, value :math:`2a` (Hoff, 2017);
    * ``"softmax"``: :math:`\min_w w^2+a^2e^{-2w}`, :math:`w^*=W(2a^2)/2`, value :func:`q_softmax_logsum`;
    * ``"l1"``: :math:`\min_{w>0} w+a^2/w^2`, :math:`w^*=2^{1/3}a^{2/3}`, value :func:`q_l1_mask`.

    Parameters
    ----------
    a : float or ndarray
        Group norms, >= 0.
    kind : {"hadamard", "softmax", "l1"}
        Which mask parametrization.

    Returns
    -------
    tuple of (float or ndarray, float or ndarray)
        :math:`(w^*, \text{value})`.
    """
    arr = check_array(a, "a (group norms)")
    if np.any(arr < 0):
        raise ValueError("a (group norms) must be >= 0")
    if kind == "hadamard":
        w, v = np.sqrt(arr), 2.0 * arr
    elif kind == "softmax":
        w = 0.5 * np.real(lambertw(2.0 * arr * arr, 0))
        v = w * w + w
    elif kind == "l1":
        w = 2.0 ** (1.0 / 3.0) * arr ** (2.0 / 3.0)
        v = 1.5 * w
    else:
        raise ValueError(f"kind must be one of {_KINDS}, got {kind!r}")
    return _out(w, a), _out(v, a)


def group_powerprop(beta, groups=None) -> np.ndarray:
    r"""Group Powerpropagation (Lemma 2.3 of Yasuda et al., 2024):
    :math:`\beta\vert_{T_i}\mapsto\lVert\beta\vert_{T_i}\rVert_2\,\beta\vert_{T_i}`.

    The effective weights :math:`u` satisfy :math:`\lVert u\vert_{T_i}\rVert_2=\lVert\beta\vert_{T_i}\rVert_2^2`,
    so weight decay :math:`\lambda\lVert\beta\rVert_2^2` on :math:`\beta` is the group LASSO
    :math:`\lambda\sum_i\lVert u\vert_{T_i}\rVert_2` on :math:`u`.

    Parameters
    ----------
    beta : ndarray of shape (p,)
        Parameters.
    groups : sequence of int arrays, optional
        A partition of ``0..p-1`` (default: singleton groups).

    Returns
    -------
    ndarray of shape (p,)
        Effective weights :math:`u`.
    """
    beta = check_array(beta, "beta", ndim=1)
    g = _Groups(groups, beta.size)
    return g.norms(beta)[g.labels] * beta


def q_regularizer(beta, groups, q, q_inv) -> float:
    r"""Nonconvex group regularizer :math:`q^{-1}\big(\sum_iq(\lVert\beta\vert_{T_i}\rVert_2)\big)` (Yasuda et al.,
    2024, §2.2).

    For strictly increasing, subadditive :math:`q` with :math:`q(0)=0` it is at least
    :math:`\sum_i\lVert\beta\vert_{T_i}\rVert_2` (Lemma 2.4), with equality when at most one group is
    nonzero (Lemma 2.5).

    Parameters
    ----------
    beta : ndarray of shape (p,)
        Parameters.
    groups : sequence of int arrays
        A partition of ``0..p-1`` (``None``: singleton groups).
    q : callable
        Vectorized :math:`q:\mathbb R_+\to\mathbb R_+`, e.g. ``np.sqrt`` or ``np.log1p``.
    q_inv : callable
        Its inverse, e.g. ``np.square`` or ``np.expm1``.

    Returns
    -------
    float
        The regularizer's value.
    """
    if not callable(q) or not callable(q_inv):
        raise ValueError("q and q_inv must be callables (e.g. np.sqrt and np.square)")
    beta = check_array(beta, "beta", ndim=1)
    g = _Groups(groups, beta.size)
    return float(q_inv(np.sum(q(g.norms(beta)))))
