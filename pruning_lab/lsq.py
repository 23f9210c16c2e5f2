r"""Least squares: the min-norm solution, restricted fits ("retraining") and risks.

Training in the linear chapters means the **min-norm least-squares solution**

.. math::
    \hat\beta = X^\dagger y =
    \begin{cases} X^\top (XX^\top)^{-1} y, & p > n \ \text{(dual, } n\times n\text{ system)},\\
                  (X^\top X)^{-1} X^\top y, & p \le n \ \text{(primal, } p\times p\text{ system)},\end{cases}

which is where gradient descent started at zero converges on the square
loss.  The solver forms the smaller Gram matrix, factors it by Cholesky and
checks its conditioning; when the Gram matrix is too ill-conditioned for
that to be accurate (or singular), it falls back to the SVD-based
pseudo-inverse, so the answer is always :math:`X^\dagger y`.

Used in every linear chapter; "retraining" after pruning is
:func:`restricted_fit`.
"""

from __future__ import annotations

import numpy as np
import scipy.linalg as sla

from .validation import check_array, check_support

__all__ = [
    "empirical_hessian_diag",
    "min_norm_solution",
    "restricted_fit",
    "ridge_solution",
    "test_risk",
    "training_risk",
]

# Largest condition number of the Gram matrix for which the Cholesky route is
# trusted; its relative error is then about cond * machine epsilon <= 1e-8.
_MAX_GRAM_COND = 1e7


def _check_xy(X, y):
    X = check_array(X, "X", ndim=2)
    y = check_array(y, "y", ndim=(1, 2))
    if y.shape[0] != X.shape[0]:
        raise ValueError(f"X has {X.shape[0]} rows but y has {y.shape[0]}; they must match")
    if X.shape[0] == 0 or X.shape[1] == 0:
        raise ValueError(f"X must have at least one row and one column, got shape {X.shape}")
    return X, y


def min_norm_solution(X, y, *, method: str = "auto") -> np.ndarray:
    r"""Min-norm least-squares solution :math:`\hat\beta = X^\dagger y`.

    Parameters
    ----------
    X : array of shape (n, p)
        Design matrix.
    y : array of shape (n,) or (n, k)
        Labels (k right-hand sides are solved at once).
    method : {"auto", "dual", "primal", "svd"}
        ``"auto"`` picks the dual :math:`n\times n` system when ``p > n`` and the
        primal :math:`p\times p` system otherwise; ``"svd"`` always uses the
        pseudo-inverse (``numpy.linalg.lstsq``).

    Returns
    -------
    beta_hat : array of shape (p,) or (p, k)

    Notes
    -----
    The Gram route costs :math:`O(np\min(n,p))` flops with one BLAS-3 product;
    the SVD route is taken automatically when the Gram matrix has a
    reciprocal condition number below ``1e-7``, so the result always agrees
    with ``numpy.linalg.pinv(X) @ y``.
    """
    X, y = _check_xy(X, y)
    n, p = X.shape
    if method not in ("auto", "dual", "primal", "svd"):
        raise ValueError(f"method must be 'auto', 'dual', 'primal' or 'svd', got {method!r}")
    if method == "auto":
        method = "dual" if p > n else "primal"
    if method != "svd":
        G = X @ X.T if method == "dual" else X.T @ X
        rhs = y if method == "dual" else X.T @ y
        sol = _solve_spd(G, rhs)
        if sol is not None:
            return X.T @ sol if method == "dual" else sol
    return np.linalg.lstsq(X, y, rcond=None)[0]


def ridge_solution(X, y, mu: float, support=None) -> np.ndarray:
    r"""Ridge regression with penalty :math:`\mu>0`, optionally on the columns in ``support`` only.

    .. math:: \hat\beta_\mu=\arg\min_b\tfrac1{2n}\lVert y-Xb\rVert^2+\tfrac\mu2\lVert b\rVert^2
              =(X^\top X/n+\mu I)^{-1}X^\top y/n=X^\top(XX^\top/n+\mu I)^{-1}y/n,

    solved in the primal :math:`p\times p` form when :math:`p\le n` and in the dual
    :math:`n\times n` form otherwise (both systems are positive definite).  As :math:`\mu\to0` it
    tends to :func:`min_norm_solution`.  With ``support`` (boolean mask or indices), the columns
    outside it are zero: the small model trained with a penalty.  ``y`` may hold several right-hand
    sides as columns.  Used in the chapters :doc:`/book/pruning_strategies` and
    :doc:`/book/predicting_pruning` (the tuned small model).
    """
    X, y = _check_xy(X, y)
    if (
        isinstance(mu, bool)
        or not isinstance(mu, (int, float, np.integer, np.floating))
        or not np.isfinite(mu)
        or not mu > 0
    ):
        raise ValueError(f"mu (the ridge penalty) must be a finite number > 0, got {mu!r}")
    idx = np.arange(X.shape[1]) if support is None else check_support(support, X.shape[1])
    out = np.zeros((X.shape[1],) + y.shape[1:])
    if idx.size == 0:
        return out
    Xs = X[:, idx]
    n, p = Xs.shape
    if p <= n:
        G = Xs.T @ Xs / n
        G[np.diag_indices(p)] += mu
        out[idx] = sla.solve(G, Xs.T @ y / n, assume_a="pos", check_finite=False)
    else:
        G = Xs @ Xs.T / n
        G[np.diag_indices(n)] += mu
        out[idx] = Xs.T @ sla.solve(G, y / n, assume_a="pos", check_finite=False)
    return out


def _solve_spd(G: np.ndarray, rhs: np.ndarray) -> np.ndarray | None:
    """Solve the symmetric positive definite system G a = rhs, or None if it is not well conditioned."""
    anorm = float(np.linalg.norm(G, 1))
    if not np.isfinite(anorm) or anorm == 0.0:
        return None
    try:
        c = sla.cholesky(G, lower=False, overwrite_a=True, check_finite=False)
    except np.linalg.LinAlgError:
        return None
    rcond, info = sla.lapack.dpocon(c, anorm)
    if info != 0 or rcond * _MAX_GRAM_COND < 1.0:
        return None
    return sla.cho_solve((c, False), rhs, check_finite=False)


def restricted_fit(X, y, support) -> np.ndarray:
    r"""Retrain on a support: min-norm least squares on the columns in ``support``, zero elsewhere.

    .. math:: \hat\beta^{RT}_\Delta = X_\Delta^\dagger y,\qquad \hat\beta^{RT}_{\Delta^c}=0.

    This is the "retrain" step of train → prune → retrain.  ``support`` is a
    boolean mask of length p or an array of indices; an empty support gives
    the zero vector.
    """
    X, y = _check_xy(X, y)
    idx = check_support(support, X.shape[1])
    out = np.zeros((X.shape[1],) + y.shape[1:])
    if idx.size:
        out[idx] = min_norm_solution(X[:, idx], y)
    return out


def empirical_hessian_diag(X) -> np.ndarray:
    r"""Diagonal of the training-loss Hessian :math:`\hat\Sigma = X^\top X / n`, i.e. the mean of :math:`x_{ij}^2` over
    samples.

    This is the curvature used by Hessian (Optimal Brain Damage) pruning.
    """
    X = check_array(X, "X", ndim=2)
    if X.shape[0] == 0:
        raise ValueError("X must have at least one row")
    return np.einsum("ij,ij->j", X, X) / X.shape[0]


def training_risk(X, y, b) -> float:
    r"""Training mean squared error :math:`\frac1n\lVert y - Xb\rVert^2`."""
    X, y = _check_xy(X, y)
    b = check_array(b, "b (weights)", ndim=1, shape=(X.shape[1],))
    r = y - X @ b
    return float(np.mean(r**2))


def test_risk(problem, b):
    r"""Test risk of weights ``b`` under a problem: :math:`\mathcal L(b)` (exact, no test sample needed).

    ``problem`` is any object with a ``population_risk`` method, e.g.
    :class:`~pruning_lab.problems.LinearGaussianProblem`.
    """
    if not hasattr(problem, "population_risk"):
        raise ValueError("problem must provide population_risk(b), e.g. a LinearGaussianProblem")
    return problem.population_risk(b)


test_risk.__test__ = False  # not a pytest test despite its name
