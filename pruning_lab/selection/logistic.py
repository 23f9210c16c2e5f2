r"""Gradient descent on separable logistic regression, with a loss-normalized step.

The loss, for data :math:`a_1,\dots,a_n\in\mathbb R^d` (the rows of ``A``) and labels
:math:`y_i\in\{-1,+1\}`, is

.. math:: f(x)=\frac1n\sum_{i=1}^n\log\bigl(1+e^{-y_i\langle a_i,x\rangle}\bigr),

computed stably with ``numpy.logaddexp``.  With :math:`\rho=\max_i\lVert a_i\rVert_2` and
:math:`\sigma'(z)\le\log(1+e^{-z})` for every :math:`z`, the Hessian obeys
:math:`\nabla^2 f(x)\preceq\rho^2 f(x)\,I`: the local smoothness is proportional to the loss itself.
That motivates the variable step

.. math:: x_{t+1}=x_t-\frac{\eta_0}{\rho^2 f(x_t)}\nabla f(x_t),\qquad \eta_0\le 1,

which on separable data drives the loss down geometrically (Axiotis & Sviridenko, *Gradient Descent
Converges Linearly for Logistic Regression on Separable Data*, ICML 2023, arXiv:2306.14381, prove a
linear rate for a variable learning rate; the schedule here, and its sparse variants by iterative
hard thresholding and orthogonal matching pursuit, are **our reconstruction, in the spirit of** that
paper, whose exact schedule and constants we have not verified).

Used in the chapter :doc:`/book/beyond_weights`.
"""

from __future__ import annotations

import numpy as np
from scipy.optimize import linprog
from scipy.special import expit

from ..validation import check_array, check_int, check_nonnegative, check_sparsity

__all__ = [
    "STEPS",
    "gd",
    "iht_logistic",
    "is_separable",
    "logistic_gradient",
    "logistic_hessian",
    "logistic_loss",
    "omp_logistic",
    "smoothness_constant",
]

#: The step rules of :func:`gd`, :func:`iht_logistic` and :func:`omp_logistic`.
STEPS = ("constant", "normalized", "loss")


def _check_data(A, y):
    A = check_array(A, "A", ndim=2)
    y = check_array(y, "y", ndim=1)
    if A.shape[0] == 0 or A.shape[1] == 0:
        raise ValueError(f"A must have at least one row and one column, got shape {A.shape}")
    if y.shape[0] != A.shape[0]:
        raise ValueError(f"y must have one label per row of A ({A.shape[0]}), got {y.shape[0]}")
    if not np.all(np.isin(y, (-1.0, 1.0))):
        raise ValueError("y must contain labels -1 and +1 only")
    return A, y


def _check_x(x, d):
    return check_array(x, "x", shape=(d,))


def _margins(A, y, x):
    return y * (A @ x)


def logistic_loss(A, y, x) -> float:
    r"""The logistic loss :math:`f(x)=\frac1n\sum_i\log(1+e^{-y_i\langle a_i,x\rangle})`.

    ``A`` is the :math:`n\times d` data matrix, ``y`` the labels in :math:`\{-1,+1\}` and ``x`` the
    weights; computed as ``mean(logaddexp(0, -margins))``, exact for large margins of either sign.
    """
    A, y = _check_data(A, y)
    x = _check_x(x, A.shape[1])
    return float(np.mean(np.logaddexp(0.0, -_margins(A, y, x))))


def logistic_gradient(A, y, x) -> np.ndarray:
    r"""The gradient :math:`\nabla f(x)=-\frac1n\sum_i y_i\,\sigma(-y_i\langle a_i,x\rangle)\,a_i`.

    :math:`\sigma` is the logistic function; arguments as in :func:`logistic_loss`.
    """
    A, y = _check_data(A, y)
    x = _check_x(x, A.shape[1])
    return _gradient(A, y, x)


def _gradient(A, y, x):
    return -(A.T @ (y * expit(-_margins(A, y, x)))) / A.shape[0]


def _loss(A, y, x):
    return float(np.mean(np.logaddexp(0.0, -_margins(A, y, x))))


def logistic_hessian(A, y, x) -> np.ndarray:
    r"""The exact Hessian :math:`\nabla^2 f(x)=\frac1n\sum_i\sigma'(z_i)\,a_ia_i^\top`.

    Here :math:`z_i=y_i\langle a_i,x\rangle` and :math:`\sigma'(z)=\sigma(z)\sigma(-z)`;
    arguments as in :func:`logistic_loss`.
    """
    A, y = _check_data(A, y)
    x = _check_x(x, A.shape[1])
    z = _margins(A, y, x)
    weights = expit(z) * expit(-z)
    return (A.T * weights) @ A / A.shape[0]


def smoothness_constant(A) -> float:
    r"""The constant :math:`\rho=\max_i\lVert a_i\rVert_2` of the bound :math:`\nabla^2f(x)\preceq\rho^2f(x)\,I`.

    The bound holds for every ``x`` and every labelling, because
    :math:`\sigma'(z)\le\sigma(-z)\le\log(1+e^{-z})`.
    """
    A = check_array(A, "A", ndim=2)
    if A.size == 0:
        raise ValueError(f"A must have at least one row and one column, got shape {A.shape}")
    return float(np.max(np.linalg.norm(A, axis=1)))


def is_separable(A, y) -> bool:
    r"""Whether the data are linearly separable through the origin.

    That is, whether some :math:`x` has :math:`y_i\langle a_i,x\rangle\ge1` for all :math:`i`.
    An exact feasibility check by a linear program (``scipy.optimize.linprog``, HiGHS).  Strict
    separation :math:`y_i\langle a_i,x\rangle>0` for all :math:`i` is equivalent, by scaling.
    """
    A, y = _check_data(A, y)
    n, d = A.shape
    result = linprog(np.zeros(d), A_ub=-(y[:, None] * A), b_ub=-np.ones(n), bounds=[(None, None)] * d, method="highs")
    if result.status not in (0, 2):
        raise RuntimeError(f"the separability linear program failed: {result.message}")
    return bool(result.status == 0)


def _check_step(step, eta0, iters):
    if step not in STEPS:
        raise ValueError(f"step must be one of {STEPS}, got {step!r}")
    eta0 = check_nonnegative(eta0, "eta0")
    if eta0 == 0:
        raise ValueError("eta0 must be > 0")
    return eta0, check_int(iters, "iters", low=0)


def _require_separable(A, y, step):
    if step in ("normalized", "loss") and not is_separable(A, y):
        raise ValueError(
            f"step={step!r} needs linearly separable data (its linear rate is a statement about separable "
            "data); these data (A, y) are not separable: use step='constant'"
        )


def _step(A, y, x, step, eta0, rho):
    """One gradient step with the chosen rule; returns the new x (None when the gradient vanished)."""
    g = _gradient(A, y, x)
    scale = np.max(np.abs(g))
    if scale == 0 or not np.isfinite(scale):
        return None
    norm = scale * np.linalg.norm(g / scale)  # scaled: the squares of a tiny gradient underflow
    if step == "constant":
        return x - eta0 * 4.0 / rho**2 * g
    if step == "normalized":
        return x - eta0 / rho * g / norm
    f = _loss(A, y, x)
    if f == 0:
        return None
    return x - eta0 / (rho**2 * f) * g


def _descend(A, y, x, step, eta0, iters, rho):
    losses = [_loss(A, y, x)]
    for _ in range(iters):
        new = _step(A, y, x, step, eta0, rho)
        if new is None:  # the loss underflowed to 0 or the gradient vanished: x is optimal in floats
            losses.append(losses[-1])
            continue
        x = new
        losses.append(_loss(A, y, x))
    return x, np.array(losses)


def gd(A, y, *, step="loss", eta0=1.0, iters=100, x0=None):
    r"""Gradient descent on the logistic loss with a constant, normalized or loss-normalized step.

    With :math:`\rho` of :func:`smoothness_constant` and :math:`L=\rho^2/4` the global smoothness
    constant, the step rules are

    * ``"constant"``: :math:`x_{t+1}=x_t-\frac{\eta_0}{L}\nabla f(x_t)` (:math:`\eta_0=1` is the
      classical :math:`1/L` step);
    * ``"normalized"``: :math:`x_{t+1}=x_t-\frac{\eta_0}{\rho}\,\nabla f(x_t)/\lVert\nabla f(x_t)\rVert`;
    * ``"loss"``: :math:`x_{t+1}=x_t-\frac{\eta_0}{\rho^2f(x_t)}\nabla f(x_t)`, our reconstruction of
      the variable learning rate of Axiotis & Sviridenko (ICML 2023).

    ``"normalized"`` and ``"loss"`` refuse data that are not linearly separable
    (:func:`is_separable`), since their guarantee is for separable data.  Once the loss underflows
    to zero in floating point the iterate stops moving.

    Parameters
    ----------
    A : array of shape (n, d)
        The data, one example per row.
    y : array of shape (n,)
        Labels in :math:`\{-1,+1\}`.
    step : {"constant", "normalized", "loss"}
        The step rule.
    eta0 : float
        The base step :math:`\eta_0>0`.
    iters : int
        The number of iterations.
    x0 : array of shape (d,), optional
        The starting point (default zero).

    Returns
    -------
    x : ndarray of shape (d,)
        The last iterate.
    losses : ndarray of shape (iters + 1,)
        :math:`f(x_0),\dots,f(x_T)`.
    """
    A, y = _check_data(A, y)
    eta0, iters = _check_step(step, eta0, iters)
    x = np.zeros(A.shape[1]) if x0 is None else check_array(x0, "x0", shape=(A.shape[1],)).copy()
    _require_separable(A, y, step)
    return _descend(A, y, x, step, eta0, iters, smoothness_constant(A))


def _top_k(x, k):
    keep = np.argsort(-np.abs(x), kind="stable")[:k]
    out = np.zeros_like(x)
    out[keep] = x[keep]
    return out


def iht_logistic(A, y, k, *, step="loss", eta0=1.0, iters=100):
    r"""Iterative hard thresholding for sparse logistic regression: a gradient step, then keep :math:`k` entries.

    :math:`x_{t+1}=H_k\bigl(x_t-\eta_t\nabla f(x_t)\bigr)`, where :math:`H_k` keeps the :math:`k`
    largest :math:`\lvert x_j\rvert` and :math:`\eta_t` is the step rule ``step`` of :func:`gd`
    (default the loss-normalized step: our reconstruction of the sparse variant of Axiotis &
    Sviridenko, ICML 2023).  Starts at zero.

    Parameters
    ----------
    A : array of shape (n, d)
        The data, one example per row.
    y : array of shape (n,)
        Labels in :math:`\{-1,+1\}`.
    k : int
        The number of nonzero weights kept.
    step : {"constant", "normalized", "loss"}
        The step rule of :func:`gd`.
    eta0 : float
        The base step :math:`\eta_0>0`.
    iters : int
        The number of iterations.

    Returns
    -------
    support : ndarray of int
        The sorted support of the last iterate (at most ``k`` indices).
    x : ndarray of shape (d,)
        The last iterate.
    losses : ndarray of shape (iters + 1,)
        The loss after each iteration, starting with :math:`f(0)=\log 2`.
    """
    A, y = _check_data(A, y)
    k = check_sparsity(k, A.shape[1], "k")
    eta0, iters = _check_step(step, eta0, iters)
    _require_separable(A, y, step)
    rho = smoothness_constant(A)
    x = np.zeros(A.shape[1])
    losses = [_loss(A, y, x)]
    for _ in range(iters):
        new = _step(A, y, x, step, eta0, rho)
        if new is not None:
            x = _top_k(new, k)
        losses.append(_loss(A, y, x))
    return np.flatnonzero(x), x, np.array(losses)


def omp_logistic(A, y, k, *, step="loss", eta0=1.0, iters=100):
    r"""Orthogonal matching pursuit for sparse logistic regression: add the largest gradient entry, refit.

    Starting from :math:`S=\emptyset`, :math:`x=0`, each of the :math:`k` rounds adds
    :math:`j=\arg\max_{j\notin S}\lvert\partial_jf(x)\rvert` to :math:`S` and refits :math:`x` on
    :math:`S` by ``iters`` steps of :func:`gd` with the rule ``step`` (warm-started; the refit on a
    support may meet non-separable restricted data, where the loss-normalized step is still a
    descent step because :math:`\nabla^2f\preceq\rho^2 f\,I` holds for any data).  The sparse variant
    with the loss-normalized inner step is our reconstruction, in the spirit of Axiotis & Sviridenko
    (ICML 2023).

    Parameters
    ----------
    A : array of shape (n, d)
        The data, one example per row.
    y : array of shape (n,)
        Labels in :math:`\{-1,+1\}`.
    k : int
        The number of nonzero weights kept.
    step : {"constant", "normalized", "loss"}
        The step rule of :func:`gd`.
    eta0 : float
        The base step :math:`\eta_0>0`.
    iters : int
        The number of gradient steps of each refit.

    Returns
    -------
    support : ndarray of int
        The selected coordinates in the order they were added.
    x : ndarray of shape (d,)
        The refitted weights (zero off the support).
    losses : ndarray of shape (k + 1,)
        The loss before the first round and after each refit.
    """
    A, y = _check_data(A, y)
    k = check_sparsity(k, A.shape[1], "k")
    eta0, iters = _check_step(step, eta0, iters)
    _require_separable(A, y, step)
    rho = smoothness_constant(A)
    x = np.zeros(A.shape[1])
    support = []
    losses = [_loss(A, y, x)]
    for _ in range(k):
        g = np.abs(_gradient(A, y, x))
        g[support] = -np.inf
        support.append(int(np.argmax(g)))
        x_s, _ = _descend(A[:, support], y, x[support], step, eta0, iters, rho)
        x = np.zeros(A.shape[1])
        x[support] = x_s
        losses.append(_loss(A, y, x))
    return np.array(support), x, np.array(losses)
