r"""Two numpy models with exact input gradients, for attribution and feature selection.

:class:`LinearModel` (identity or logistic link) and :class:`SoftmaxRegression` (multinomial
logistic regression fitted by full-batch gradient descent, seeded) give ``output`` and
``input_gradient`` as :mod:`pruning_lab.selection.attribution` needs them.
"""

from __future__ import annotations

import numbers
from dataclasses import dataclass

import numpy as np

from ..validation import as_rng, check_array, check_int, check_nonnegative

__all__ = ["LinearModel", "SoftmaxRegression"]


@dataclass(frozen=True)
class LinearModel:
    r"""A linear or logistic model with its exact input gradient: :math:`F(x)=\phi(w^\top x+b)`.

    ``link="identity"`` gives :math:`F=w^\top x+b` (gradient :math:`w`); ``link="logistic"`` gives
    :math:`F=\sigma(w^\top x+b)` (gradient :math:`\sigma(1-\sigma)w`).  ``model.output`` and
    ``model.input_gradient`` are the ``f`` and ``f_grad`` of :func:`~pruning_lab.selection.attribution.greedy_pig`.
    """

    w: np.ndarray
    b: float = 0.0
    link: str = "identity"

    def __post_init__(self):
        object.__setattr__(self, "w", check_array(self.w, "w", ndim=1))
        if self.link not in ("identity", "logistic"):
            raise ValueError(f"link must be 'identity' or 'logistic', got {self.link!r}")
        if isinstance(self.b, bool) or not isinstance(self.b, numbers.Real) or not np.isfinite(self.b):
            raise ValueError(f"b must be a finite real number, got {self.b!r}")

    def _logit(self, X):
        return check_array(X, "X", shape=(None, self.w.size)) @ self.w + self.b

    def output(self, X):
        """The model output :math:`F` on a batch ``X`` of shape (m, d), shape (m,)."""
        z = self._logit(X)
        return z if self.link == "identity" else 1.0 / (1.0 + np.exp(-z))

    def input_gradient(self, X):
        r"""The gradient :math:`\partial F/\partial x` on a batch ``X`` of shape (m, d), shape (m, d)."""
        z = self._logit(X)
        scale = np.ones_like(z) if self.link == "identity" else np.exp(-np.logaddexp(0.0, z) - np.logaddexp(0.0, -z))
        return scale[:, None] * self.w[None, :]


def _softmax(z):
    z = z - z.max(axis=1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=1, keepdims=True)


class SoftmaxRegression:
    r"""Multinomial logistic regression :math:`p(x)=\mathrm{softmax}(W^\top x+b)` with exact input gradients.

    ``SoftmaxRegression(W, b)`` wraps given weights (W of shape (d, classes)); :meth:`fit` trains them
    by full-batch gradient descent.  :meth:`output` and :meth:`input_gradient` give the ``f`` and
    ``f_grad`` of a class's probability or log-probability for :func:`~pruning_lab.selection.attribution.greedy_pig`.
    """

    def __init__(self, W=None, b=None):
        self.W = None if W is None else check_array(W, "W", ndim=2)
        if self.W is not None:
            self.b = np.zeros(self.W.shape[1]) if b is None else check_array(b, "b", shape=(self.W.shape[1],))

    def fit(self, X, y, *, steps=500, lr=0.5, l2=1e-4, seed=0):
        r"""Fit by gradient descent on the mean cross-entropy plus :math:`\frac{\lambda}{2}\lVert W\rVert_F^2`.

        ``X`` (n, d) and integer labels ``y`` (n,) in 0..classes-1 (classes = ``max(y) + 1``, at least 2);
        ``steps`` full-batch steps of size ``lr``; ``l2`` is :math:`\lambda`; ``seed`` draws the initial
        weights :math:`W_0\sim 0.01\,\mathcal N(0,1)`.  Deterministic for a given seed.  Returns ``self``.
        """
        X = check_array(X, "X", ndim=2)
        y = np.asarray(y)
        if y.shape != (X.shape[0],) or not np.issubdtype(y.dtype, np.integer) or y.min() < 0 or y.max() < 1:
            raise ValueError(f"y must hold {X.shape[0]} integer labels >= 0 with at least two classes")
        steps = check_int(steps, "steps", low=1)
        lr, l2 = check_nonnegative(lr, "lr"), check_nonnegative(l2, "l2")
        n, classes = X.shape[0], int(y.max()) + 1
        self.W = 0.01 * as_rng(seed).standard_normal((X.shape[1], classes))
        self.b = np.zeros(classes)
        onehot = np.eye(classes)[y]
        for _ in range(steps):
            residual = (_softmax(X @ self.W + self.b) - onehot) / n
            self.W -= lr * (X.T @ residual + l2 * self.W)
            self.b -= lr * residual.sum(axis=0)
        return self

    def _check_fitted(self, X):
        if self.W is None:
            raise ValueError("the model has no weights: pass W or call fit first")
        return check_array(X, "X", shape=(None, self.W.shape[0]))

    def predict_proba(self, X):
        """Class probabilities on a batch ``X`` of shape (m, d), shape (m, classes)."""
        return _softmax(self._check_fitted(X) @ self.W + self.b)

    def _target(self, target, kind):
        c = check_int(target, "target", low=0, high=self.W.shape[1] - 1)
        if kind not in ("proba", "log_proba"):
            raise ValueError(f"kind must be 'proba' or 'log_proba', got {kind!r}")
        return c

    def output(self, X, target, kind="proba"):
        r"""The scalar output of class ``target`` on a batch, shape (m,).

        :math:`p_c(x)` for ``kind="proba"``, :math:`\log p_c(x)` for ``kind="log_proba"``.
        """
        p = self.predict_proba(X)
        c = self._target(target, kind)
        return p[:, c] if kind == "proba" else np.log(p[:, c])

    def input_gradient(self, X, target, kind="proba"):
        r"""Exact input gradient of class ``target``'s probability (or log-probability), shape (m, d).

        :math:`\nabla_x\log p_c=W_{:,c}-\sum_jp_jW_{:,j}` and :math:`\nabla_xp_c=p_c\,\nabla_x\log p_c`.
        """
        p = self.predict_proba(X)
        c = self._target(target, kind)
        g = self.W[:, c][None, :] - p @ self.W.T
        return g if kind == "log_proba" else p[:, c][:, None] * g
