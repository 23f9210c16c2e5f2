r"""Numpy models with exact input gradients, for attribution and feature selection.

:class:`LinearModel` (identity or logistic link), :class:`SoftmaxRegression` (multinomial
logistic regression fitted by full-batch gradient descent, seeded), :class:`OneHiddenLayerMLP` (a
ReLU network fitted by Adam, seeded) and :class:`FeatureMaskObjective` (the fit of a linear model as
a function of a feature mask, our design for post-hoc feature selection) give ``output`` and
``input_gradient`` as :mod:`pruning_lab.selection.attribution` needs them.

Used in the chapter :doc:`/book/beyond_weights`.
"""

from __future__ import annotations

import numbers
from dataclasses import dataclass

import numpy as np

from ..validation import as_rng, check_array, check_int, check_nonnegative, check_support

__all__ = ["FeatureMaskObjective", "LinearModel", "OneHiddenLayerMLP", "SoftmaxRegression"]


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
        return _check_output(target, kind, self.W.shape[1])

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


def _check_output(target, kind, classes):
    """The class index of ``target`` (0..classes-1), after checking ``kind``."""
    c = check_int(target, "target", low=0, high=classes - 1)
    if kind not in ("proba", "log_proba"):
        raise ValueError(f"kind must be 'proba' or 'log_proba', got {kind!r}")
    return c


class OneHiddenLayerMLP:
    r"""A one-hidden-layer ReLU network with exact input gradients: :math:`p(x)=\mathrm{softmax}(W_2^\top h+b_2)`.

    The hidden layer is :math:`h=\mathrm{relu}(a)`, :math:`a=W_1^\top x+b_1`.  :meth:`fit` trains it with
    Adam on mini-batches (seeded); :meth:`output` and :meth:`input_gradient` give the ``f`` and ``f_grad``
    of a class's probability or log-probability for
    :func:`~pruning_lab.selection.attribution.greedy_pig`.  Unlike :class:`SoftmaxRegression`, whose
    log-probabilities are a linear function minus a log-sum-exp, the network's output is far from linear
    along an integration path, which is where adaptive attribution can differ from one-shot
    integrated gradients.  Numpy only.
    """

    def __init__(self, W1=None, b1=None, W2=None, b2=None):
        self.W1 = None if W1 is None else check_array(W1, "W1", ndim=2)
        if self.W1 is not None:
            hidden = self.W1.shape[1]
            self.b1 = np.zeros(hidden) if b1 is None else check_array(b1, "b1", shape=(hidden,))
            self.W2 = check_array(W2, "W2", shape=(hidden, None))
            self.b2 = np.zeros(self.W2.shape[1]) if b2 is None else check_array(b2, "b2", shape=(self.W2.shape[1],))

    def fit(self, X, y, *, hidden=128, epochs=20, batch_size=64, lr=1e-3, seed=0):
        r"""Fit by Adam on the mean cross-entropy of mini-batches; returns ``self``.

        Initialization :math:`W_1\sim\mathcal N(0,2/d)`, :math:`W_2\sim\mathcal N(0,1/\text{hidden})`, zero
        biases; each epoch visits the rows in a fresh random order, ``batch_size`` at a time; Adam with
        :math:`\beta=(0.9,0.999)`, :math:`\epsilon=10^{-8}`.  Deterministic for a given ``seed``.

        Parameters
        ----------
        X : array_like
            Inputs, shape (n, d).
        y : array_like of int
            Labels in 0..classes-1 (classes = ``max(y) + 1``, at least 2), shape (n,).
        hidden : int
            Width of the hidden layer.
        epochs : int
            Passes over the data.
        batch_size : int
            Rows per Adam step.
        lr : float
            Adam's step size.
        seed : int or numpy.random.Generator
            Seed of the initialization and of the batch order.
        """
        X = check_array(X, "X", ndim=2)
        y = np.asarray(y)
        if y.shape != (X.shape[0],) or not np.issubdtype(y.dtype, np.integer) or y.min() < 0 or y.max() < 1:
            raise ValueError(f"y must hold {X.shape[0]} integer labels >= 0 with at least two classes")
        hidden, epochs = check_int(hidden, "hidden"), check_int(epochs, "epochs")
        batch_size, lr = check_int(batch_size, "batch_size"), check_nonnegative(lr, "lr")
        rng = as_rng(seed)
        n, d, classes = X.shape[0], X.shape[1], int(y.max()) + 1
        self.W1 = rng.standard_normal((d, hidden)) * np.sqrt(2.0 / d)
        self.b1 = np.zeros(hidden)
        self.W2 = rng.standard_normal((hidden, classes)) * np.sqrt(1.0 / hidden)
        self.b2 = np.zeros(classes)
        params = [self.W1, self.b1, self.W2, self.b2]
        moments = [[np.zeros_like(p), np.zeros_like(p)] for p in params]
        onehot, t = np.eye(classes)[y], 0
        for _ in range(epochs):
            order = rng.permutation(n)
            for start in range(0, n, batch_size):
                rows = order[start : start + batch_size]
                t += 1
                for p, (m, v), g in zip(params, moments, self._loss_gradients(X[rows], onehot[rows]), strict=True):
                    m *= 0.9
                    m += 0.1 * g
                    v *= 0.999
                    v += 0.001 * g * g
                    p -= lr * (m / (1 - 0.9**t)) / (np.sqrt(v / (1 - 0.999**t)) + 1e-8)
        return self

    def _loss_gradients(self, X, onehot):
        a = X @ self.W1 + self.b1
        h = np.maximum(a, 0.0)
        residual = (_softmax(h @ self.W2 + self.b2) - onehot) / X.shape[0]
        back = (residual @ self.W2.T) * (a > 0)
        return X.T @ back, back.sum(axis=0), h.T @ residual, residual.sum(axis=0)

    def _forward(self, X):
        if self.W1 is None:
            raise ValueError("the model has no weights: pass W1 and W2 or call fit first")
        a = check_array(X, "X", shape=(None, self.W1.shape[0])) @ self.W1 + self.b1
        return a, _softmax(np.maximum(a, 0.0) @ self.W2 + self.b2)

    def predict_proba(self, X):
        """Class probabilities on a batch ``X`` of shape (m, d), shape (m, classes)."""
        return self._forward(X)[1]

    def output(self, X, target, kind="proba"):
        r"""The scalar output of class ``target`` on a batch, shape (m,).

        :math:`p_c(x)` for ``kind="proba"``, :math:`\log p_c(x)` for ``kind="log_proba"``.
        """
        p = self.predict_proba(X)
        c = _check_output(target, kind, p.shape[1])
        return p[:, c] if kind == "proba" else np.log(p[:, c])

    def input_gradient(self, X, target, kind="proba"):
        r"""Exact input gradient of class ``target``'s probability (or log-probability), shape (m, d).

        :math:`\nabla_x\log p_c=W_1\big(\mathbb 1[a>0]\odot W_2(e_c-p)\big)` and
        :math:`\nabla_xp_c=p_c\,\nabla_x\log p_c` (at a kink :math:`a_j=0` the ReLU's derivative is taken as 0).
        """
        a, p = self._forward(X)
        c = _check_output(target, kind, p.shape[1])
        dz = -p
        dz[:, c] += 1.0
        if kind == "proba":
            dz *= p[:, c : c + 1]
        return ((dz @ self.W2.T) * (a > 0)) @ self.W1.T


class FeatureMaskObjective:
    r"""The fit of a fixed linear model when unselected features are replaced by their means: :math:`G(m)` (ours).

    Our design for post-hoc feature selection with attribution methods.  For data :math:`X` (n, d),
    :math:`y` (n,), a fitted linear model :math:`\hat y(x)=b+w^\top x` and a mask :math:`m\in[0,1]^d`,
    each row becomes :math:`\tilde x_r(m)=\mu+m\odot(x_r-\mu)` (:math:`\mu` the column means: :math:`m_j=1`
    keeps feature j, :math:`m_j=0` replaces it by its mean), and

    .. math:: G(m)=1-\frac{\frac1n\sum_r\big(y_r-\hat y(\tilde x_r(m))\big)^2}{\frac1n\sum_r(y_r-\bar y)^2},

    the :math:`R^2` of the model with the features outside the mask switched off.  With
    :math:`U=(X-\mathbf 1\mu^\top)\operatorname{diag}(w)` and residuals
    :math:`R(m)=y-b-\mu^\top w-Um`, :math:`\nabla G(m)=\frac{2}{n s_y^2}U^\top R(m)`.  :math:`G` is a concave
    quadratic in :math:`m`, so integrated gradients with the trapezoid rule are exact for any number of steps.
    Attribution acts on the mask, from the baseline :math:`m'=0` (no feature) to the input
    :math:`m=\mathbf 1` (all features): :meth:`output` and :meth:`input_gradient` are the ``f`` and
    ``f_grad`` of :func:`~pruning_lab.selection.attribution.greedy_pig`.  For least squares with an
    intercept (:meth:`least_squares`), :math:`G(\mathbf 0)=0` and :math:`G(\mathbf 1)` is the in-sample
    :math:`R^2`.
    """

    def __init__(self, X, y, weights, intercept=0.0):
        self.X = check_array(X, "X", ndim=2)
        self.y = check_array(y, "y", shape=(self.X.shape[0],))
        self.weights = check_array(weights, "weights", shape=(self.X.shape[1],))
        if isinstance(intercept, bool) or not isinstance(intercept, numbers.Real) or not np.isfinite(intercept):
            raise ValueError(f"intercept must be a finite real number, got {intercept!r}")
        self.spread = float(np.mean((self.y - self.y.mean()) ** 2))
        if not self.spread > 0:
            raise ValueError("y must not be constant (G divides by its variance)")
        mu = self.X.mean(axis=0)
        self._U = (self.X - mu) * self.weights
        self._offset = self.y - float(intercept) - float(mu @ self.weights)

    @classmethod
    def least_squares(cls, X, y):
        r"""The objective of the least-squares fit with an intercept on all the features of ``(X, y)``.

        :math:`w=\arg\min\lVert(y-\bar y)-(X-\mathbf 1\mu^\top)w\rVert^2` (minimum-norm if not unique),
        :math:`b=\bar y-\mu^\top w`.
        """
        X = check_array(X, "X", ndim=2)
        y = check_array(y, "y", shape=(X.shape[0],))
        mu = X.mean(axis=0)
        w = np.linalg.lstsq(X - mu, y - y.mean(), rcond=None)[0]
        return cls(X, y, w, float(y.mean() - mu @ w))

    def _residuals(self, M):
        M = check_array(M, "M", shape=(None, self.X.shape[1]))
        return self._offset[None, :] - M @ self._U.T

    def output(self, M):
        """:math:`G(m)` for each row ``m`` of a batch ``M`` of masks, shape (m, d); returns shape (m,)."""
        R = self._residuals(M)
        return 1.0 - np.mean(R**2, axis=1) / self.spread

    def input_gradient(self, M):
        r""":math:`\nabla G(m)` for each row of ``M``, shape (m, d)."""
        R = self._residuals(M)
        return (2.0 / (self.X.shape[0] * self.spread)) * (R @ self._U)

    def value(self, selected):
        r""":math:`G(\mathbb 1_S)`: the objective with exactly the features ``selected`` (indices) kept."""
        mask = np.zeros((1, self.X.shape[1]))
        mask[0, check_support(selected, self.X.shape[1], "selected")] = 1.0
        return float(self.output(mask)[0])
