r"""Train → prune → retrain on the linear Gaussian problem, and Monte Carlo comparisons of strategies.

The pipeline of the chapter :doc:`/book/pruning_strategies`:

1. **train**: :math:`\hat\beta = X^\dagger y` (min-norm least squares);
2. **prune**: keep ``s`` weights with one of the strategies of
   :mod:`pruning_lab.prune`;
3. **retrain** (optional): refit by least squares on the kept features, on
   the same data (or on a fresh batch).

:func:`compare_strategies` repeats this over independent training sets and
reports the exact test risk :math:`\mathcal L` of every model.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from tqdm.auto import tqdm

from . import lsq, prune
from .validation import as_rng, check_sparsity

__all__ = [
    "STRATEGIES",
    "PipelineResult",
    "StrategyComparison",
    "compare_strategies",
    "prune_weights",
    "train_prune_retrain",
]

#: Pruning strategies understood by :func:`prune_weights`, in the book's order.
STRATEGIES = ("magnitude", "hessian", "obs", "oracle", "random")

#: Relative damping of the Hessian used by Optimal Brain Surgeon when p >= n.
OBS_DAMPING = 1e-3


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
        X = np.asarray(X, dtype=float)
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
    dense = lsq.min_norm_solution(X, y)
    result = prune_weights(strategy, dense, s, X=X, problem=problem, rng=rng)
    retrained = None
    if retrain:
        X2, y2 = (X, y) if retrain_data is None else retrain_data
        retrained = lsq.restricted_fit(X2, y2, result.mask)
    return PipelineResult(dense, result.weights, result.mask, retrained)


@dataclass(frozen=True)
class StrategyComparison:
    """Test risks of train → prune (→ retrain) over Monte Carlo trials.

    Arrays of risks have shape ``(len(sparsities), trials)``; ``dense`` has
    shape ``(trials,)``.  ``small`` is the risk of training directly on the
    oracle top-``s`` features (the "train a small model" baseline).
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

    def mean(self, strategy: str, retrained: bool = False) -> np.ndarray:
        """Mean risk over trials for each sparsity (``strategy`` may also be ``"small"``)."""
        return self._table(strategy, retrained).mean(axis=-1)

    def sem(self, strategy: str, retrained: bool = False) -> np.ndarray:
        """Standard error of the mean risk over trials."""
        r = self._table(strategy, retrained)
        return r.std(axis=-1, ddof=1) / np.sqrt(r.shape[-1]) if r.shape[-1] > 1 else np.zeros(r.shape[:-1])

    def table(self, retrained: bool = False, digits: int = 3) -> str:
        """Mean test risks as a text table: one row per strategy (plus the small model), one column per s."""
        names = list(self.strategies) + ["small"]
        width = max(len(n) for n in names) + 2
        head = "s".ljust(width) + "".join(f"{s:>10d}" for s in self.sparsities)
        rows = [head]
        for name in names:
            values = "".join(f"{v:>10.{digits}g}" for v in self.mean(name, retrained))
            rows.append(name.ljust(width) + values)
        return "\n".join(rows)

    def _table(self, strategy: str, retrained: bool) -> np.ndarray:
        if strategy == "small":
            return self.small
        if strategy == "dense":
            return np.broadcast_to(self.dense, (len(self.sparsities), self.dense.size))
        table = self.retrained if retrained else self.pruned
        if strategy not in table:
            raise ValueError(f"strategy {strategy!r} was not part of this comparison ({', '.join(self.strategies)})")
        return table[strategy]


def compare_strategies(
    problem, n: int, sparsities, strategies=STRATEGIES, *, trials: int = 20, rng=0, progress: bool = True
) -> StrategyComparison:
    """Monte Carlo comparison of pruning strategies on a linear Gaussian problem.

    For each of ``trials`` independent training sets of size ``n``: train the
    min-norm model once, then for every sparsity and strategy prune it, and
    retrain on the same data; record the exact test risk of each model.
    Optimal Brain Surgeon runs its greedy path once per trial and records all
    sparsities on the way.

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
    """
    p = problem.p
    if isinstance(strategies, str):
        strategies = (strategies,)
    strategies = tuple(_check_strategy(s) for s in strategies)
    sparsities = np.array([check_sparsity(s, p) for s in np.atleast_1d(sparsities).tolist()], dtype=int)
    if sparsities.size == 0 or not strategies:
        raise ValueError("sparsities and strategies must each name at least one value")
    if isinstance(trials, bool) or not isinstance(trials, (int, np.integer)) or trials < 1:
        raise ValueError(f"trials must be a positive integer, got {trials!r}")
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1:
        raise ValueError(f"n (training-set size) must be a positive integer, got {n!r}")
    rng = as_rng(rng)
    k = len(sparsities)
    pruned = {s: np.empty((k, trials)) for s in strategies}
    retrained = {s: np.empty((k, trials)) for s in strategies}
    dense = np.empty(trials)
    small = np.empty((k, trials))
    oracle_masks = [prune.top_s_mask(problem.oracle_saliency(), s) for s in sparsities]
    for t in tqdm(range(trials), desc="trials", disable=not progress):
        X, y = problem.sample(n, rng)
        w = lsq.min_norm_solution(X, y)
        dense[t] = problem.population_risk(w)
        small[:, t] = [problem.population_risk(lsq.restricted_fit(X, y, m)) for m in oracle_masks]
        for strategy in strategies:
            if strategy == "obs":
                H = X.T @ X / n
                results = prune.obs_path(w, H, sparsities, damping=_obs_damping(X))
            else:
                results = [prune_weights(strategy, w, s, X=X, problem=problem, rng=rng) for s in sparsities]
            pruned[strategy][:, t] = problem.population_risk(np.stack([r.weights for r in results]))
            refits = np.stack([lsq.restricted_fit(X, y, r.mask) for r in results])
            retrained[strategy][:, t] = problem.population_risk(refits)
    return StrategyComparison(sparsities, strategies, pruned, retrained, dense, small, problem.null_risk(), int(n), p)
