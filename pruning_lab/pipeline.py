r"""Train → prune → retrain on the linear Gaussian problem, and Monte Carlo comparisons of strategies.

The pipeline of the chapter :doc:`/book/pruning_strategies`:

1. **train**: :math:`\hat\beta = X^\dagger y` (min-norm least squares);
2. **prune**: keep ``s`` weights with one of the strategies of
   :mod:`pruning_lab.prune`;
3. **retrain** (optional): refit by least squares on the kept features, on
   the same data (or on a fresh batch).

:func:`compare_strategies` repeats this over independent training sets and
reports the exact test risk :math:`\mathcal L` of every model, together with the baselines of the
book's question: the *small model* trained directly on the oracle features, by least squares and
with a ridge penalty (fixed, e.g. the one the ridge DC says is optimal, or tuned by leave-one-out
cross-validation, :func:`loo_ridge_penalty`), and the large model with a ridge penalty.
:func:`retraining_diagnostics` separates what retraining on the same data costs into the quality
of the kept support and the fit to the training noise on it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from tqdm.auto import tqdm

from . import lsq, prune
from .validation import as_rng, check_array, check_sparsity, check_support

__all__ = [
    "BASELINES",
    "LOO_GRID",
    "STRATEGIES",
    "PipelineResult",
    "RetrainingDiagnostics",
    "StrategyComparison",
    "compare_strategies",
    "loo_ridge_penalty",
    "prune_weights",
    "retraining_diagnostics",
    "train_prune_retrain",
]

#: Pruning strategies understood by :func:`prune_weights`, in the book's order.
STRATEGIES = ("magnitude", "hessian", "obs", "oracle", "random")

#: Relative damping of the Hessian used by Optimal Brain Surgeon when p >= n.
OBS_DAMPING = 1e-3


def _fmt(value: float, digits: int = 3) -> str:
    """``digits`` significant digits, trailing zeros kept (``1.00``, ``0.860``, ``266``, ``nan``)."""
    text = f"{value:#.{digits}g}"
    return text[:-1] if text.endswith(".") else text


def _check_strategy(strategy: str) -> str:
    if strategy not in STRATEGIES:
        raise ValueError(f"unknown pruning strategy {strategy!r}; choose one of {', '.join(STRATEGIES)}")
    return strategy


def _obs_damping(X: np.ndarray) -> float:
    return OBS_DAMPING if X.shape[1] >= X.shape[0] else 0.0


def prune_weights(strategy: str, w, s: int, *, X=None, problem=None, rng=None) -> prune.PruneResult:
    r"""Prune trained weights ``w`` (fitted on ``X``) to ``s`` weights with a named strategy.

    ``X`` is needed by ``"hessian"`` and ``"obs"`` (the training Hessian
    :math:`X^\top X/n`), ``problem`` by ``"oracle"``, ``rng`` by ``"random"``.  The step "prune"
    of the chapter :doc:`/book/pruning_strategies`.

    Parameters
    ----------
    strategy : str
        One of :data:`STRATEGIES`: ``"magnitude"`` keeps the largest :math:`|w_i|`
        (:func:`pruning_lab.prune.magnitude_prune`); ``"hessian"`` the largest
        :math:`\hat\Sigma_{ii}w_i^2` (:func:`pruning_lab.prune.hessian_prune`); ``"obs"`` runs Optimal
        Brain Surgeon on :math:`X^\top X/n` (:func:`pruning_lab.prune.obs_prune`, damped by
        ``OBS_DAMPING`` when :math:`p\ge n`), which also moves the kept weights; ``"oracle"`` keeps
        the largest :math:`\Sigma_{ii}\beta_i^2` (:func:`pruning_lab.prune.oracle_prune`);
        ``"random"`` a uniformly random set (:func:`pruning_lab.prune.random_prune`).
    w : ndarray of shape (p,) or (k, p)
        Trained weights, or a stack of ``k`` weight vectors pruned row by row (not for ``"obs"``).
    s : int
        Number of weights to keep, ``0 <= s <= p``.
    X : ndarray of shape (n, p) or None
        Training inputs; required by ``"hessian"`` and ``"obs"``.
    problem : pruning_lab.problems.LinearGaussianProblem or None
        The data model; required by ``"oracle"``.
    rng : numpy.random.Generator or int or None
        Randomness of ``"random"`` (``None``: a fresh, unseeded generator).

    Returns
    -------
    pruning_lab.prune.PruneResult
        The pruned weights (zero outside the mask) and the boolean mask of the kept weights.
    """
    _check_strategy(strategy)
    if strategy in ("hessian", "obs") and X is None:
        raise ValueError(f"strategy {strategy!r} needs the training inputs X")
    if strategy == "oracle" and problem is None:
        raise ValueError("strategy 'oracle' needs the problem (population saliency)")
    if strategy == "magnitude":
        return prune.magnitude_prune(w, s)
    if strategy == "hessian":
        return prune.hessian_prune(w, s, lsq.empirical_hessian_diag(X))
    if strategy == "obs":
        X = check_array(X, "X", ndim=2)
        if X.shape[0] == 0:
            raise ValueError("X must have at least one row")
        return prune.obs_prune(w, X.T @ X / X.shape[0], s, damping=_obs_damping(X))
    if strategy == "oracle":
        return prune.oracle_prune(w, s, problem)
    return prune.random_prune(w, s, rng)


@dataclass(frozen=True)
class PipelineResult:
    """Weights at each step of train → prune → retrain.

    Attributes
    ----------
    dense : numpy.ndarray
        The trained (min-norm) weights, shape (p,).
    pruned : numpy.ndarray
        After pruning (for OBS, including its weight update), shape (p,).
    mask : numpy.ndarray
        Boolean, True for the kept weights, shape (p,).
    retrained : numpy.ndarray or None
        After refitting on the kept features (if asked), shape (p,).
    """

    dense: np.ndarray
    pruned: np.ndarray
    mask: np.ndarray
    retrained: np.ndarray | None = None


def _retrain_batch(retrain_data, p: int):
    """``retrain_data`` checked as a pair ``(X2, y2)`` with ``p`` columns and matching rows."""
    if not isinstance(retrain_data, (tuple, list)) or len(retrain_data) != 2:
        got = f"{len(retrain_data)} items" if isinstance(retrain_data, (tuple, list)) else type(retrain_data).__name__
        raise ValueError(f"retrain_data must be a pair (X2, y2) of a batch to retrain on, got {got}")
    X2 = check_array(retrain_data[0], "retrain_data X2", ndim=2, shape=(None, p))
    y2 = check_array(retrain_data[1], "retrain_data y2", ndim=1, shape=(X2.shape[0],))
    if X2.shape[0] == 0:
        raise ValueError("retrain_data X2 must have at least one row")
    return X2, y2


def train_prune_retrain(
    X, y, s: int, strategy: str = "magnitude", *, retrain: bool = True, problem=None, rng=None, retrain_data=None
) -> PipelineResult:
    r"""Train the min-norm model on ``(X, y)``, prune it to ``s`` weights, optionally retrain.

    Train :math:`\hat\beta=X^\dagger y`, prune with :func:`prune_weights` to the support
    :math:`\Delta`, retrain by least squares on the kept features,
    :math:`\hat\beta^{RT}_\Delta=X_\Delta^\dagger y` (:func:`pruning_lab.lsq.restricted_fit`).
    ``retrain_data=(X2, y2)`` retrains on a fresh batch instead of the
    training data (the setting the retraining theory of the chapter :doc:`/book/predicting_pruning`
    covers exactly).  The pipeline of the chapter :doc:`/book/pruning_strategies`.

    Parameters
    ----------
    X : ndarray of shape (n, p)
        Training inputs.
    y : ndarray of shape (n,)
        Training labels.
    s : int
        Number of weights to keep, ``0 <= s <= p``.
    strategy : str
        One of :data:`STRATEGIES`, as in :func:`prune_weights`.
    retrain : bool
        Refit on the kept features (``False``: ``retrained`` is ``None`` and ``retrain_data`` is ignored).
    problem : pruning_lab.problems.LinearGaussianProblem or None
        The data model; required by ``"oracle"``.
    rng : numpy.random.Generator or int or None
        Randomness of ``"random"`` pruning.
    retrain_data : tuple of ndarray or None
        ``(X2, y2)``, a batch to retrain on (``None``: the training data).

    Returns
    -------
    PipelineResult
        The dense, pruned and retrained weights and the mask.
    """
    X = check_array(X, "X", ndim=2)
    y = check_array(y, "y", ndim=1)
    X2, y2 = (X, y) if retrain_data is None or not retrain else _retrain_batch(retrain_data, X.shape[1])
    dense = lsq.min_norm_solution(X, y)
    result = prune_weights(strategy, dense, s, X=X, problem=problem, rng=rng)
    retrained = None
    if retrain:
        retrained = lsq.restricted_fit(X2, y2, result.mask)
    return PipelineResult(dense, result.weights, result.mask, retrained)


#: Names of the baselines a :class:`StrategyComparison` may hold besides the strategies.
BASELINES = ("small", "small_ridge", "small_loo", "dense", "dense_ridge", "dense_loo")

#: Penalties searched by :func:`loo_ridge_penalty`, relative to the mean feature variance.
LOO_GRID = np.logspace(-4, 2, 61)


def loo_ridge_penalty(X, y, support=None, grid=None) -> float:
    r"""The ridge penalty with the smallest leave-one-out error on ``(X, y)``: tuning without extra data.

    For each penalty :math:`\mu` of ``grid``, ridge on the columns :math:`Z=X_\Delta` in ``support``
    (all columns if ``None``), :math:`\hat b_\mu=(Z^\top Z/n+\mu I)^{-1}Z^\top y/n`, has the hat matrix
    :math:`H_\mu=Z(Z^\top Z+n\mu I)^{-1}Z^\top=U\,\mathrm{diag}\big(d_j^2/(d_j^2+n\mu)\big)U^\top`
    (thin SVD :math:`Z=UDV^\top`), and its leave-one-out residuals are exactly
    :math:`(y_i-(H_\mu y)_i)/(1-(H_\mu)_{ii})`.  Returns the :math:`\mu` of ``grid`` with the smallest
    mean squared leave-one-out residual.  The default grid is :data:`LOO_GRID` (61 log-spaced values
    from :math:`10^{-4}` to :math:`10^{2}`) times the mean of :math:`\lVert Z_{:j}\rVert^2/n`.  One
    SVD serves the whole grid.  Used for the tuned small and large models of the chapter
    :doc:`/book/pruning_strategies`.
    """
    X = check_array(X, "X", ndim=2)
    y = check_array(y, "y", ndim=1)
    if y.shape[0] != X.shape[0]:
        raise ValueError(f"X has {X.shape[0]} rows but y has {y.shape[0]}; they must match")
    idx = np.arange(X.shape[1]) if support is None else check_support(support, X.shape[1])
    if idx.size == 0:
        raise ValueError("support is empty: there is no penalty to tune")
    Z = X[:, idx]
    n = Z.shape[0]
    if n < 2:
        raise ValueError("leave-one-out needs at least 2 samples")
    if grid is None:
        grid = LOO_GRID * float(np.mean(np.sum(Z**2, axis=0) / n))
    grid = check_array(grid, "grid", ndim=1)
    if grid.size == 0 or np.any(grid <= 0):
        raise ValueError("grid must hold at least one penalty, all > 0")
    U, d, _ = np.linalg.svd(Z, full_matrices=False)
    shrink = d**2 / (d**2 + n * grid[:, None])  # (grid, rank)
    fitted = (shrink * (U.T @ y)) @ U.T  # (grid, n)
    leverage = shrink @ (U**2).T  # (grid, n)
    loo = np.mean(((y - fitted) / (1.0 - leverage)) ** 2, axis=1)
    return float(grid[int(np.argmin(loo))])


@dataclass(frozen=True)
class StrategyComparison:
    r"""Test risks of train → prune (→ retrain) over Monte Carlo trials, and of the baselines.

    Arrays of risks have shape ``(len(sparsities), trials)``; ``dense`` has
    shape ``(trials,)``.  ``small`` is the risk of training directly on the
    oracle top-``s`` features by least squares (the "train a small model" baseline).
    ``baselines`` holds the ridge baselines that were asked for: ``"small_ridge"`` (the small model
    with the penalties ``small_penalty``, one per sparsity), ``"small_loo"`` (the small model with
    the penalty tuned by leave-one-out on each training set), shape ``(len(sparsities), trials)``;
    ``"dense_ridge"`` (the large model with penalty ``dense_penalty``) and ``"dense_loo"``, shape
    ``(trials,)``.  :meth:`mean`, :meth:`sem` and :meth:`table` accept every name of
    :data:`STRATEGIES` and :data:`BASELINES` that was recorded.
    """

    sparsities: np.ndarray
    strategies: tuple
    pruned: dict = field(repr=False)
    retrained: dict = field(repr=False)
    dense: np.ndarray = field(repr=False)
    small: np.ndarray = field(repr=False)
    null_risk: float = 0.0
    n: int = 0
    p: int = 0
    baselines: dict = field(default_factory=dict, repr=False)
    small_penalty: np.ndarray | None = None
    dense_penalty: float | None = None

    def has(self, name: str) -> bool:
        """Whether ``name`` (a strategy or a baseline) was recorded in this comparison."""
        return name in self.strategies or name in ("small", "dense") or name in self.baselines

    def mean(self, strategy: str, retrained: bool = False) -> np.ndarray:
        """Mean risk over trials for each sparsity (``strategy`` may also name a baseline)."""
        return self._table(strategy, retrained).mean(axis=-1)

    def sem(self, strategy: str, retrained: bool = False) -> np.ndarray:
        """Standard error of the mean risk over trials."""
        r = self._table(strategy, retrained)
        return r.std(axis=-1, ddof=1) / np.sqrt(r.shape[-1]) if r.shape[-1] > 1 else np.zeros(r.shape[:-1])

    def table(self, retrained: bool = False, digits: int = 3) -> str:
        """Mean test risks as a text table: one row per strategy and small model, one column per s.

        The rows are the strategies, then ``small`` and those of ``small_ridge`` and ``small_loo``
        that were recorded (the small models do not depend on ``retrained``).
        """
        names = list(self.strategies) + [b for b in ("small", "small_ridge", "small_loo") if self.has(b)]
        width = max(len(n) for n in names) + 2
        head = "s".ljust(width) + "".join(f"{s:>10d}" for s in self.sparsities)
        rows = [head]
        for name in names:
            values = "".join(f"{_fmt(v, digits):>10}" for v in self.mean(name, retrained))
            rows.append(name.ljust(width) + values)
        return "\n".join(rows)

    def fair_table(self, theory=None) -> str:
        r"""Text table of the book's question at each sparsity: the small models against the best pruned model.

        One row per sparsity: the small model on the oracle features by least squares (its
        ``theory``, if given, and the simulated mean ± s.e.), with the ridge penalty ``small_penalty``
        (the penalty, ``theory``, simulated), with the penalty tuned by leave-one-out (simulated),
        and the best strategy, pruned only and pruned then retrained.  The retrained oracle is left
        out of the last column: it *is* the least-squares small model.  ``theory`` maps ``"small"``
        and ``"small_ridge"`` to their predicted risks (e.g. from :mod:`pruning_lab.dc`).  Columns
        of baselines that were not recorded are left out.
        """
        theory = dict(theory or {})

        def sim(name, j):
            m, e = self.mean(name)[j], self.sem(name)[j]
            return f"{_fmt(m)}±{e:.1g}"

        def best(retrained, j):
            names = [s for s in self.strategies if not (retrained and s == "oracle")]
            if not names:
                return "-"
            risks = [self.mean(s, retrained)[j] for s in names]
            i = int(np.argmin(risks))
            return f"{_fmt(risks[i])} {names[i]}"

        columns = [("s", lambda j: f"{self.sparsities[j]}")]
        if "small" in theory:
            columns.append(("LS theory", lambda j: _fmt(theory["small"][j])))
        columns.append(("LS simulated", lambda j: sim("small", j)))
        if self.has("small_ridge"):
            columns.append(("mu*", lambda j: f"{self.small_penalty[j]:.2g}"))
            if "small_ridge" in theory:
                columns.append(("ridge theory", lambda j: _fmt(theory["small_ridge"][j])))
            columns.append(("ridge simulated", lambda j: sim("small_ridge", j)))
        if self.has("small_loo"):
            columns.append(("LOO simulated", lambda j: sim("small_loo", j)))
        columns.append(("best pruned", lambda j: best(False, j)))
        columns.append(("best retrained", lambda j: best(True, j)))
        cells = [[head] + [fmt(j) for j in range(len(self.sparsities))] for head, fmt in columns]
        widths = [max(len(c) for c in col) + 2 for col in cells]
        return "\n".join("".join(col[i].rjust(w) for col, w in zip(cells, widths)) for i in range(len(cells[0])))

    def _table(self, strategy: str, retrained: bool) -> np.ndarray:
        k = len(self.sparsities)
        if strategy == "small":
            return self.small
        if strategy == "dense":
            return np.broadcast_to(self.dense, (k, self.dense.size))
        if strategy in self.baselines:
            values = self.baselines[strategy]
            return np.broadcast_to(values, (k, values.size)) if values.ndim == 1 else values
        table = self.retrained if retrained else self.pruned
        if strategy not in table:
            recorded = ", ".join(list(self.strategies) + ["small", "dense"] + list(self.baselines))
            raise ValueError(f"strategy {strategy!r} was not part of this comparison ({recorded})")
        return table[strategy]


def _check_count(value, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        raise ValueError(f"{name} must be a positive integer, got {value!r}")
    return int(value)


def _check_penalties(values, k: int, name: str) -> np.ndarray:
    """``None``, or ``k`` finite penalties > 0 (a single number is repeated)."""
    if values is None:
        return None
    try:
        arr = check_array(values, name, finite=False)
    except ValueError:
        raise ValueError(f"{name} must be a penalty > 0 or one per sparsity, got {values!r}") from None
    if arr.ndim == 0:
        arr = np.full(k, float(arr))
    if arr.shape != (k,) or not np.all(np.isfinite(arr)) or np.any(arr <= 0):
        raise ValueError(f"{name} must be a finite penalty > 0 or {k} of them (one per sparsity), got {values!r}")
    return arr


def _ridge_or_zero(X, y, mu, mask) -> np.ndarray:
    return lsq.ridge_solution(X, y, mu, mask) if mask.any() else np.zeros(X.shape[1])


def _loo_fit(X, y, mask) -> np.ndarray:
    return _ridge_or_zero(X, y, loo_ridge_penalty(X, y, mask), mask) if mask.any() else np.zeros(X.shape[1])


def _check_sweep(problem, strategies, sparsities, trials, n):
    """The checked ``(strategies, sparsities, trials, n)`` of a comparison over strategies and sparsities."""
    if isinstance(strategies, str):
        strategies = (strategies,)
    strategies = tuple(_check_strategy(s) for s in strategies)
    sparsities = np.array(
        [check_sparsity(s, problem.p, "sparsities") for s in np.atleast_1d(sparsities).tolist()], dtype=int
    )
    if sparsities.size == 0 or not strategies:
        raise ValueError("sparsities and strategies must each name at least one value")
    return strategies, sparsities, _check_count(trials, "trials"), _check_count(n, "n (training-set size)")


def compare_strategies(
    problem,
    n: int,
    sparsities,
    strategies=STRATEGIES,
    *,
    trials: int = 20,
    rng=0,
    progress: bool = True,
    small_ridge=None,
    dense_ridge=None,
    loo: bool = False,
) -> StrategyComparison:
    r"""Monte Carlo comparison of pruning strategies on a linear Gaussian problem, with the baselines.

    For each of ``trials`` independent training sets of size ``n``: train the
    min-norm model once, then for every sparsity and strategy prune it, and
    retrain on the same data; record the exact test risk of each model.
    Optimal Brain Surgeon runs its greedy path once per trial and records all
    sparsities on the way.  On the same training sets it fits the baselines: the small model
    (least squares on the oracle top-``s`` features) and, if asked, the small model with ridge
    penalties ``small_ridge``, the large model with the ridge penalty ``dense_ridge``, and (``loo``)
    both with the penalty tuned by :func:`loo_ridge_penalty` on each training set.  The baselines
    draw no random numbers, so asking for them leaves every other result unchanged.  Used in the
    chapter :doc:`/book/pruning_strategies`.

    Parameters
    ----------
    problem : LinearGaussianProblem
    n : int
        Training-set size.
    sparsities : sequence of int
        Numbers of weights to keep (each in ``0..p``).
    strategies : sequence of str
        A subset of :data:`STRATEGIES`.
    trials : int
        Number of independent training sets (>= 1).
    rng : Generator, int or None
        Randomness for the data and for random pruning.
    progress : bool
        Show a progress bar over trials.
    small_ridge : float or sequence of float or None
        Ridge penalty :math:`\mu>0` of the small model, one number or one per sparsity (e.g. the
        penalties of :func:`pruning_lab.dc.theory.optimal_ridge` on the oracle supports); recorded as
        ``"small_ridge"``.
    dense_ridge : float or None
        Ridge penalty :math:`\mu>0` of the large (dense) model; recorded as ``"dense_ridge"``.
    loo : bool
        Also record ``"small_loo"`` and ``"dense_loo"``: ridge with the penalty chosen by
        leave-one-out on each training set (no extra data).
    """
    p = problem.p
    strategies, sparsities, trials, n = _check_sweep(problem, strategies, sparsities, trials, n)
    k = len(sparsities)
    small_penalty = _check_penalties(small_ridge, k, "small_ridge")
    dense_penalty = None if dense_ridge is None else float(_check_penalties(dense_ridge, 1, "dense_ridge")[0])
    rng = as_rng(rng)
    pruned = {s: np.empty((k, trials)) for s in strategies}
    retrained = {s: np.empty((k, trials)) for s in strategies}
    dense = np.empty(trials)
    small = np.empty((k, trials))
    baselines = {}
    if small_penalty is not None:
        baselines["small_ridge"] = np.empty((k, trials))
    if dense_penalty is not None:
        baselines["dense_ridge"] = np.empty(trials)
    if loo:
        baselines["small_loo"], baselines["dense_loo"] = np.empty((k, trials)), np.empty(trials)
    oracle_masks = [prune.top_s_mask(problem.oracle_saliency(), s) for s in sparsities]
    for t in tqdm(range(trials), desc="trials", disable=not progress):
        X, y = problem.sample(n, rng)
        w = lsq.min_norm_solution(X, y)
        dense[t] = problem.population_risk(w)
        small[:, t] = [problem.population_risk(lsq.restricted_fit(X, y, m)) for m in oracle_masks]
        if small_penalty is not None:
            fits = [_ridge_or_zero(X, y, mu, m) for mu, m in zip(small_penalty, oracle_masks)]
            baselines["small_ridge"][:, t] = problem.population_risk(np.stack(fits))
        if dense_penalty is not None:
            baselines["dense_ridge"][t] = problem.population_risk(lsq.ridge_solution(X, y, dense_penalty))
        if loo:
            baselines["small_loo"][:, t] = problem.population_risk(np.stack([_loo_fit(X, y, m) for m in oracle_masks]))
            baselines["dense_loo"][t] = problem.population_risk(_loo_fit(X, y, np.ones(p, dtype=bool)))
        for strategy in strategies:
            if strategy == "obs":
                H = X.T @ X / n
                results = prune.obs_path(w, H, sparsities, damping=_obs_damping(X))
            else:
                results = [prune_weights(strategy, w, s, X=X, problem=problem, rng=rng) for s in sparsities]
            pruned[strategy][:, t] = problem.population_risk(np.stack([r.weights for r in results]))
            refits = np.stack([lsq.restricted_fit(X, y, r.mask) for r in results])
            retrained[strategy][:, t] = problem.population_risk(refits)
    return StrategyComparison(
        sparsities,
        strategies,
        pruned,
        retrained,
        dense,
        small,
        problem.null_risk(),
        int(n),
        p,
        baselines,
        small_penalty,
        dense_penalty,
    )


@dataclass(frozen=True)
class RetrainingDiagnostics:
    r"""Where the risk of retraining on the same data comes from (:func:`retraining_diagnostics`).

    Each dictionary maps a strategy to an array of shape ``(len(sparsities), trials)``:

    * ``support_risk``: :math:`\sigma_\Delta^2`, the smallest risk any weights on the kept
      support :math:`\Delta` can reach (the quality of the support);
    * ``train_risk``: training loss :math:`\frac1n\lVert y-X\hat\beta^{RT}_\Delta\rVert^2` of the
      refit on the same data (for a support chosen independently of the data, its expectation is
      :math:`\sigma_\Delta^2(n-s)/n`);
    * ``same``: test risk of the refit on the same data;
    * ``fresh``: test risk of the refit on ``n`` fresh samples (expectation
      :math:`\sigma_\Delta^2(n-1)/(n-s-1)` given :math:`\Delta`, for :math:`s<n-1`).
    """

    sparsities: np.ndarray
    strategies: tuple
    support_risk: dict = field(repr=False)
    train_risk: dict = field(repr=False)
    same: dict = field(repr=False)
    fresh: dict = field(repr=False)
    n: int = 0

    def mean(self, quantity: str, strategy: str) -> np.ndarray:
        """Mean over trials of ``quantity`` (``"support_risk"``, ``"train_risk"``, ``"same"``, ``"fresh"``)."""
        if quantity not in ("support_risk", "train_risk", "same", "fresh"):
            raise ValueError(f"quantity must be 'support_risk', 'train_risk', 'same' or 'fresh', got {quantity!r}")
        values = getattr(self, quantity)
        if strategy not in values:
            raise ValueError(f"strategy {strategy!r} was not part of these diagnostics ({', '.join(self.strategies)})")
        return values[strategy].mean(axis=1)

    def table(self, digits: int = 3) -> str:
        r"""Text table: for each strategy, the four quantities, and the expectations for a fixed support.

        The rows "expected if fixed" are :math:`\sigma_\Delta^2(n-s)/n` (training loss) and
        :math:`\sigma_\Delta^2(n-1)/(n-s-1)` (test risk, ``nan`` for :math:`s\ge n-1`) at the mean
        :math:`\sigma_\Delta^2`: what a support chosen without looking at the data would give.
        """
        s, n = self.sparsities, self.n
        rows = [f"{'':<10}{'s':<24}" + "".join(f"{v:>9d}" for v in s)]
        for strategy in self.strategies:
            sd2 = self.mean("support_risk", strategy)
            fresh_fixed = np.full(len(s), np.nan)
            under = s < n - 1
            fresh_fixed[under] = sd2[under] * (n - 1) / (n - s[under] - 1)
            values = (
                ("best risk on support", sd2),
                ("train loss, refit", self.mean("train_risk", strategy)),
                ("  expected if fixed", sd2 * np.maximum(n - s, 0) / n),
                ("test risk, same data", self.mean("same", strategy)),
                ("test risk, fresh data", self.mean("fresh", strategy)),
                ("  expected if fixed", fresh_fixed),
            )
            for row, (label, v) in enumerate(values):
                name = strategy if row == 0 else ""
                rows.append(f"{name:<10}{label:<24}" + "".join(f"{_fmt(x, digits):>9}" for x in v))
        return "\n".join(rows)


def retraining_diagnostics(
    problem, n: int, sparsities, strategies=("hessian", "obs"), *, trials: int = 20, rng=0
) -> RetrainingDiagnostics:
    r"""Train, prune, and retrain both on the same data and on fresh data; record why retraining costs.

    For each of ``trials`` training sets of size ``n`` (and a fresh set of ``n`` samples drawn right
    after it): train the min-norm model, prune it with each strategy to each sparsity, and record
    the quality of the kept support :math:`\sigma_\Delta^2` (restricted noise of Def. 5), the
    training loss and test risk of the refit :math:`X_\Delta^\dagger y` on the training data, and
    the test risk of the refit on the fresh data.  A support chosen by fitting the training noise
    shows up as a training loss below :math:`\sigma_\Delta^2(n-s)/n` and a same-data test risk
    above the fresh-data one.  Used in the chapter :doc:`/book/pruning_strategies` (the bump of
    Optimal Brain Surgeon).

    Parameters
    ----------
    problem : pruning_lab.problems.LinearGaussianProblem
        The data model.
    n : int
        Size of the training set, and of the fresh retraining set.
    sparsities : sequence of int
        Numbers of weights to keep (each in ``0..p``).
    strategies : sequence of str
        A subset of :data:`STRATEGIES`.
    trials : int
        Number of independent (training, fresh) pairs of data sets (>= 1).
    rng : numpy.random.Generator or int or None
        Randomness of the data (and of ``"random"`` pruning).

    Returns
    -------
    RetrainingDiagnostics
        The four quantities per strategy, sparsity and trial.
    """
    strategies, sparsities, trials, n = _check_sweep(problem, strategies, sparsities, trials, n)
    rng = as_rng(rng)
    shape = (len(sparsities), trials)
    out = {key: {s: np.empty(shape) for s in strategies} for key in ("support_risk", "train_risk", "same", "fresh")}
    for t in range(trials):
        X, y = problem.sample(n, rng)
        X2, y2 = problem.sample(n, rng)
        w = lsq.min_norm_solution(X, y)
        for strategy in strategies:
            if strategy == "obs":
                results = prune.obs_path(w, X.T @ X / n, sparsities, damping=_obs_damping(X))
            else:
                results = [prune_weights(strategy, w, s, X=X, problem=problem, rng=rng) for s in sparsities]
            for j, r in enumerate(results):
                refit = lsq.restricted_fit(X, y, r.mask)
                out["support_risk"][strategy][j, t] = problem.restricted_noise(r.mask)
                out["train_risk"][strategy][j, t] = lsq.training_risk(X, y, refit)
                out["same"][strategy][j, t] = problem.population_risk(refit)
                out["fresh"][strategy][j, t] = problem.population_risk(lsq.restricted_fit(X2, y2, r.mask))
    return RetrainingDiagnostics(sparsities, strategies, **out, n=int(n))
