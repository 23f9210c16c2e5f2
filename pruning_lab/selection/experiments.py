r"""The regression experiment of data selection: 1 - R² against sample size, over repeated draws.

:func:`regression_selection_curve` compares uniform, leverage-score and DS-2 sampling
(:mod:`pruning_lab.selection.sensitivity`) by the weighted least-squares fit on the selected rows;
:func:`clustered_regression` makes the synthetic clustered design (labelled synthetic wherever it
is used).

Used in the chapter :doc:`/book/beyond_weights`.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np

from ..validation import as_rng, check_array, check_int, check_int_array, check_nonnegative
from .clustering import _check_data
from .sensitivity import ds2_sample, leverage_sample, uniform_sample, weighted_least_squares

__all__ = ["METHODS", "SelectionCurve", "clustered_regression", "one_minus_r2", "regression_selection_curve"]

#: The sampling methods of :func:`regression_selection_curve`.
METHODS = ("uniform", "leverage", "ds2", "ds2_medoids")


def one_minus_r2(X, y, x) -> float:
    r"""Unexplained fraction of a fit ``x`` on ``(X, y)``: :math:`1-R^2=\lVert Ax-b\rVert^2/\lVert b-\bar b\rVert^2`."""
    X = _check_data(X, "X")
    y = check_array(y, "y", shape=(X.shape[0],))
    x = check_array(x, "x", shape=(X.shape[1],))
    spread = ((y - y.mean()) ** 2).sum()
    if not spread > 0:
        raise ValueError("y must not be constant (1 - R^2 divides by its spread)")
    return float(((X @ x - y) ** 2).sum() / spread)


@dataclass(frozen=True)
class SelectionCurve:
    """Mean and standard error of :math:`1-R^2` on the full data, per method and sample size.

    Attributes
    ----------
    methods : tuple of str
        The sampling methods (rows of the arrays).
    sizes : ndarray of int
        The numbers of draws :math:`s` (columns of the arrays).
    mean : ndarray
        Mean of :math:`1-R^2` over the draws, one row per method and one column per size.
    se : ndarray
        Its standard error (standard deviation over the draws / sqrt(draws)).
    seconds : ndarray
        Mean wall-clock seconds per draw: sampling (clustering included) plus the weighted fit.
    rows : ndarray
        Rows in each fit (``s``, or ``s + k`` for ``"ds2_medoids"``).
    full : float
        :math:`1-R^2` of least squares on all the data (the floor).
    """

    methods: tuple
    sizes: np.ndarray
    mean: np.ndarray
    se: np.ndarray
    seconds: np.ndarray
    rows: np.ndarray
    full: float


def _draw(method, X, s, clusters, rng):
    if method == "uniform":
        return uniform_sample(X.shape[0], s, rng)
    if method == "leverage":
        return leverage_sample(X, s, rng)
    return ds2_sample(X, clusters, s, medoids="unit" if method == "ds2_medoids" else "none", seed=rng)


def regression_selection_curve(X, y, sizes, methods=("uniform", "leverage", "ds2"), draws=50, seed=0, clusters=None):
    r"""Quality of weighted least squares fitted on a sample, :math:`1-R^2` on the full data, against sample size.

    For each method and size :math:`s`, ``draws`` times: draw a weighted sample, fit
    :func:`~pruning_lab.selection.sensitivity.weighted_least_squares` on it, and score the fit
    with :func:`one_minus_r2` on all of ``(X, y)``; the time of sampling plus fitting is
    measured per draw.  Methods (:data:`~pruning_lab.selection.experiments.METHODS`): ``"uniform"``
    (:func:`~pruning_lab.selection.sensitivity.uniform_sample`), ``"leverage"``
    (:func:`~pruning_lab.selection.sensitivity.leverage_sample`), ``"ds2"``
    (:func:`~pruning_lab.selection.sensitivity.ds2_sample` with distances only and
    ``medoids="none"``, as in the paper's regression experiment) and ``"ds2_medoids"`` (the same
    with the medoids added, ``medoids="unit"``).  The
    paper reports this metric on the UCI gas-sensor data with 100 runs; this function runs on any
    ``(X, y)``.

    Parameters
    ----------
    X : ndarray of shape (n, d)
        The design (full column rank, for the leverage scores).
    y : ndarray of shape (n,)
        The targets (not constant).
    sizes : sequence of int
        Numbers of draws :math:`s`, each >= 1.
    methods : sequence of str
        Methods from :data:`~pruning_lab.selection.experiments.METHODS`.
    draws : int
        Repetitions per method and size (>= 2, for a standard error).
    seed : int or numpy.random.Generator
        Seed of all the draws.
    clusters : int, optional
        Number of medoids of DS-2 (default: 10% of the rows, at least 1).

    Returns
    -------
    SelectionCurve
        Mean and standard error of :math:`1-R^2`, seconds per draw and rows per fit, per method and size.
    """
    X = _check_data(X, "X")
    y = check_array(y, "y", shape=(X.shape[0],))
    sizes = check_int_array(sizes, "sizes", low=1, what="sample sizes")
    methods = tuple(methods) if not isinstance(methods, str) else (methods,)
    bad = [m for m in methods if m not in METHODS]
    if bad or not methods:
        raise ValueError(f"methods must be a non-empty selection of {METHODS}, got {methods!r}")
    draws = check_int(draws, "draws", 2)
    clusters = max(1, X.shape[0] // 10) if clusters is None else check_int(clusters, "clusters", 1, X.shape[0])
    rng = as_rng(seed)
    full = one_minus_r2(X, y, np.linalg.lstsq(X, y, rcond=None)[0])
    shape = (len(methods), len(sizes))
    mean, se, seconds, rows = np.zeros(shape), np.zeros(shape), np.zeros(shape), np.zeros(shape, dtype=int)
    for a, method in enumerate(methods):
        for b, s in enumerate(sizes):
            errors = np.empty(draws)
            start = time.perf_counter()
            for t in range(draws):
                sample = _draw(method, X, int(s), clusters, rng)
                errors[t] = one_minus_r2(X, y, weighted_least_squares(X, y, sample.indices, sample.weights))
            seconds[a, b] = (time.perf_counter() - start) / draws
            mean[a, b], se[a, b] = errors.mean(), errors.std(ddof=1) / np.sqrt(draws)
            rows[a, b] = len(sample.indices)
    return SelectionCurve(methods, sizes, mean, se, seconds, rows, full)


def clustered_regression(n: int, d: int, clusters: int, seed=0, *, noise: float = 0.1):
    r"""A **synthetic** clustered regression design, in the spirit of the paper's gas-sensor setting (not that data).

    Cluster sizes are drawn from a Dirichlet(0.5) distribution (a few large clusters and several
    small ones, each with at least one row), cluster means :math:`\mu_j\sim N(0,I_d)` scaled by a
    log-uniform factor in :math:`[1,10]` (small far clusters carry high leverage), rows
    :math:`a_i=\mu_j+\sigma_j g_i` with :math:`\sigma_j` log-uniform in :math:`[0.05,0.5]`, and targets
    :math:`b_i=\langle a_i,\beta\rangle+\sin(\langle a_i,u\rangle)+\text{noise}\cdot\xi_i` with
    :math:`\beta,u,g_i,\xi_i` standard normal (``u`` scaled by :math:`1/\sqrt d`): a linear trend plus a
    smooth, Lipschitz deviation, so the labels vary slowly within a cluster (Assumption 10).

    Returns
    -------
    X : ndarray of shape (n, d)
        The rows.
    y : ndarray of shape (n,)
        The targets.
    labels : ndarray of int, shape (n,)
        The generating cluster of each row.
    """
    n = check_int(n, "n", 1)
    d = check_int(d, "d", 1)
    clusters = check_int(clusters, "clusters", 1, n)
    noise = check_nonnegative(noise, "noise")
    rng = as_rng(seed)
    sizes = 1 + rng.multinomial(n - clusters, rng.dirichlet(np.full(clusters, 0.5)))
    labels = np.repeat(np.arange(clusters), sizes)
    means = rng.standard_normal((clusters, d)) * np.exp(rng.uniform(0, np.log(10), clusters))[:, None]
    spread = np.exp(rng.uniform(np.log(0.05), np.log(0.5), clusters))
    X = means[labels] + spread[labels, None] * rng.standard_normal((n, d))
    beta, u = rng.standard_normal(d), rng.standard_normal(d) / np.sqrt(d)
    y = X @ beta + np.sin(X @ u) + noise * rng.standard_normal(n)
    return X, y, labels
