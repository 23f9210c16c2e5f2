r"""Sparse double descent: fix ``n`` and the target sparsity ``s``, grow the model size ``p``.

A "world" linear Gaussian problem has ``P`` features; a learner of size
``p`` sees the first ``p`` of them, so it faces
``world.restrict(range(p))``: the missing features act as extra noise.  The
learner trains the min-norm model on ``n`` samples and prunes it to ``s``
weights.  :func:`sparse_double_descent` computes the DC predictions of the
dense and pruned risks for every ``p`` (closed form, milliseconds) and, if
asked, the simulated risks (Monte Carlo of the real pipeline) at the same
points; it also gives the two baselines trained directly on the ``s`` oracle features, by least
squares and with a tuned ridge penalty.  :func:`regime_map` scans where the pruned large model
beats either small model.  Used in the chapter :doc:`/book/predicting_pruning` (the analogue of
Fig. 3 of :cite:`chang2021provable`); the same curves for the large model trained with a tuned
ridge, and the chapter's other experiments, are in :mod:`pruning_lab.dc.experiments`.
"""

from __future__ import annotations

import numbers
from dataclasses import dataclass, field

import numpy as np
from tqdm.auto import tqdm

from ..pipeline import compare_strategies
from ..problems import LinearGaussianProblem
from ..prune import top_s_mask
from ..validation import as_rng, check_array, check_int, check_int_array, check_nonnegative
from .pruning import DC_STRATEGIES, oracle_prune_risk, retrain_risk, threshold_prune_risk
from .simulate import Agreement, MonteCarlo, agreement, simulate_min_norm, simulate_small_model
from .theory import dc_params, isotropic_risk, optimal_ridge, oracle_small_model_risk

__all__ = [
    "DenseRiskCurve",
    "RegimeMap",
    "SparseDoubleDescent",
    "dense_risk_curve",
    "learner_problem",
    "regime_map",
    "sparse_double_descent",
    "two_level_world",
]

#: Baselines of the regime map: the small model by least squares, or with the tuned ridge penalty.
BASELINES = ("ols", "ridge")


def two_level_world(
    P: int,
    k: int,
    *,
    spike: float = 10.0,
    beta_spike=None,
    beta_bulk=None,
    sigma: float = 0.5,
    signal_spike: float = 1.0,
    signal_bulk: float = 1.0,
) -> LinearGaussianProblem:
    r"""World with ``k`` spiked features (variance ``spike``) then ``P - k`` unit-variance features.

    The linear Gaussian problem :math:`y=x^\top\beta+\sigma z` with diagonal
    :math:`\Sigma=\mathrm{diag}(\lambda_{\rm spike},\dots,\lambda_{\rm spike},1,\dots,1)`.
    By default the weights spread a squared norm ``signal_spike`` evenly over
    the spiked features and ``signal_bulk`` over the bulk
    (:math:`\beta_i^2=\text{signal}/\text{count}`); ``beta_spike`` /
    ``beta_bulk`` set them directly.  The world of :func:`regime_map` and of the chapter
    :doc:`/book/predicting_pruning`.

    Parameters
    ----------
    P : int
        Number of features of the world, ``P >= 1`` (the largest learner size).
    k : int
        Number of spiked features, ``0 <= k <= P``; they are features ``0..k-1``,
        so a learner that sees the first ``p >= k`` features sees all of them.
    spike : float
        Variance :math:`\lambda_{\rm spike}>0` of each spiked feature (the bulk has variance 1).
    beta_spike : float or None
        Latent weight :math:`\beta_i` of every spiked feature; ``None``: ``sqrt(signal_spike / k)``.
    beta_bulk : float or None
        Latent weight of every bulk feature; ``None``: ``sqrt(signal_bulk / (P - k))``.
    sigma : float
        Label noise level :math:`\sigma\ge0`.
    signal_spike : float
        Squared norm :math:`\sum_{i<k}\beta_i^2` of the spiked weights when ``beta_spike`` is
        ``None`` (ignored otherwise); the variance they explain is ``spike * signal_spike``.
    signal_bulk : float
        Squared norm :math:`\sum_{i\ge k}\beta_i^2` of the bulk weights when ``beta_bulk`` is
        ``None`` (ignored otherwise).

    Returns
    -------
    pruning_lab.problems.LinearGaussianProblem
        The world, with its covariance stored as a diagonal.
    """
    P = check_int(P, "P")
    k = check_int(k, "k", 0, P)
    spike = check_nonnegative(spike, "spike")
    if spike == 0:
        raise ValueError("spike (variance of the spiked features) must be > 0, got 0")
    signal_spike, signal_bulk = (
        check_nonnegative(signal_spike, "signal_spike"),
        check_nonnegative(signal_bulk, "signal_bulk"),
    )
    for name, value in (("beta_spike", beta_spike), ("beta_bulk", beta_bulk)):
        if value is not None and (
            isinstance(value, bool) or not isinstance(value, numbers.Real) or not np.isfinite(value)
        ):
            raise ValueError(f"{name} must be a finite real number or None, got {value!r}")
    b_spike = np.sqrt(signal_spike / max(k, 1)) if beta_spike is None else float(beta_spike)
    b_bulk = np.sqrt(signal_bulk / max(P - k, 1)) if beta_bulk is None else float(beta_bulk)
    beta = np.r_[np.full(k, b_spike), np.full(P - k, b_bulk)]
    lam = np.r_[np.full(k, float(spike)), np.ones(P - k)]
    return LinearGaussianProblem(beta, sigma, lam)


def learner_problem(world: LinearGaussianProblem, p: int) -> LinearGaussianProblem:
    """The problem faced by a learner that sees the first ``p`` features of ``world``."""
    if not isinstance(world, LinearGaussianProblem):
        raise TypeError(f"world must be a pruning_lab.problems.LinearGaussianProblem, got {type(world).__name__}")
    p = check_int(p, "p", 1, world.p)
    return world.restrict(np.arange(int(p)))


@dataclass(frozen=True)
class SparseDoubleDescent:
    """Theory (and optionally simulation) of the dense and pruned risks against ``p``.

    ``theory[name]`` is an array over ``ps`` for ``"dense"``, each strategy and
    ``"retrained"`` (fresh-sample retraining DC after magnitude pruning, if
    computed); NaN where undefined (``p`` at the interpolation threshold, or
    ``p < s``).  ``simulated[name]`` and ``simulated_sem[name]`` hold the Monte
    Carlo means and standard errors (empty if no trials).  ``small_model``
    is the risk of training directly on the ``s`` oracle features by least squares,
    ``small_model_ridge`` the risk of the same small model with the tuned ridge penalty
    ``small_model_mu`` (:func:`pruning_lab.dc.theory.optimal_ridge` with ``support``): the fair
    baseline.
    """

    ps: np.ndarray
    n: int
    s: int
    theory: dict = field(repr=False)
    simulated: dict = field(repr=False)
    simulated_sem: dict = field(repr=False)
    small_model: float = np.nan
    small_model_ridge: float = np.nan
    small_model_mu: float = np.nan

    def agreement(self, name: str, min_p: int = 0) -> Agreement:
        """Theory against simulation for ``name`` (``"dense"`` or a strategy) over the sizes ``p >= min_p``."""
        if name not in self.simulated:
            raise ValueError(
                f"no simulated curve {name!r}; this result has {sorted(self.simulated)} (simulate with trials > 0)"
            )
        return agreement(self.theory[name], self.simulated[name], self.ps >= min_p)


def _theory_point(problem, n, s, retrain_draws, rng):
    p = problem.p
    out = dict.fromkeys(("dense",) + DC_STRATEGIES + ("retrained",), np.nan)
    if n - 1 <= p <= n:
        return out
    out["dense"] = dc_params(problem, n).gamma
    if p >= s:
        out["magnitude"] = threshold_prune_risk(problem, n, s, "magnitude")
        out["hessian"] = threshold_prune_risk(problem, n, s, "hessian")
        out["oracle"] = oracle_prune_risk(problem, n, s)
        if retrain_draws and not (n - 1 <= s <= n):
            out["retrained"] = retrain_risk(problem, n, s, "magnitude", draws=retrain_draws, rng=rng)[0]
    return out


def sparse_double_descent(
    world: LinearGaussianProblem,
    n: int,
    s: int,
    ps,
    *,
    trials: int = 0,
    retrain_draws: int = 0,
    rng=0,
    progress: bool = False,
) -> SparseDoubleDescent:
    r"""DC curves of the dense and pruned risks for each learner size in ``ps``, and optionally the simulation.

    For each ``p`` the learner faces :func:`learner_problem` ``(world, p)``; the theory is the dense DC risk
    :math:`\gamma` (:func:`pruning_lab.dc.theory.dc_params`), the closed-form threshold risks of
    magnitude and Hessian pruning (:func:`pruning_lab.dc.pruning.threshold_prune_risk`) and the oracle
    risk (:func:`pruning_lab.dc.pruning.oracle_prune_risk`), all at ``s`` kept weights.  Used in the
    chapter :doc:`/book/predicting_pruning`.

    Parameters
    ----------
    world : pruning_lab.problems.LinearGaussianProblem
        The full problem; a learner of size ``p`` sees its first ``p`` features.
    n, s : int
        Training-set size and number of weights kept after pruning (``s >= 0``).
    ps : array_like of int
        Learner sizes (each in ``1..world.p``).
    trials : int
        Simulated training sets per ``p`` (0: theory only), each run through
        :func:`pruning_lab.pipeline.compare_strategies`; the standard errors treat them as
        independent (at least 2 are needed for one).  Points with
        ``n - 1 <= p <= n`` or ``p < s`` are skipped (NaN).
    retrain_draws : int
        DC draws (``>= 2``) for the fresh-sample retraining curve ``"retrained"``,
        :func:`pruning_lab.dc.pruning.retrain_risk` after magnitude pruning (0: not computed, NaN;
        also NaN when ``n - 1 <= s <= n``).
    rng : numpy.random.Generator or int or None
        Randomness for the simulation and the retraining DC (one stream, used in the order of ``ps``).
    progress : bool
        Show a ``tqdm`` bar over ``ps``.

    Returns
    -------
    SparseDoubleDescent
        ``theory`` over ``ps`` for ``"dense"``, ``"magnitude"``, ``"hessian"``, ``"oracle"`` and
        ``"retrained"``; ``simulated`` and ``simulated_sem`` for the first four (empty dicts when
        ``trials=0``); ``small_model``: :func:`pruning_lab.dc.theory.oracle_small_model_risk` of
        ``world`` (Inf when ``n - 1 <= s <= n``); ``small_model_ridge`` and ``small_model_mu``: the
        tuned ridge on the same ``s`` features (:func:`pruning_lab.dc.theory.optimal_ridge`; NaN
        when ``s = 0``).
    """
    if not isinstance(world, LinearGaussianProblem):
        raise TypeError(f"world must be a pruning_lab.problems.LinearGaussianProblem, got {type(world).__name__}")
    ps = check_int_array(ps, "ps", 1, "learner sizes")
    if np.any(ps > world.p):
        raise ValueError(f"ps (learner sizes) must lie in 1..world.p = {world.p}, got {ps.tolist()}")
    n = check_int(n, "n", low=1)
    s = check_int(s, "s", low=0)
    trials = check_int(trials, "trials", low=0)
    retrain_draws = check_int(retrain_draws, "retrain_draws", low=0)
    rng = as_rng(rng)
    keys = ("dense",) + DC_STRATEGIES + ("retrained",)
    theory = {k: np.full(ps.size, np.nan) for k in keys}
    sim = {k: np.full(ps.size, np.nan) for k in ("dense",) + DC_STRATEGIES}
    sem = {k: np.full(ps.size, np.nan) for k in ("dense",) + DC_STRATEGIES}
    for j, p in enumerate(tqdm(ps, desc="p", disable=not progress)):
        problem = learner_problem(world, int(p))
        for k, v in _theory_point(problem, n, s, retrain_draws, rng).items():
            theory[k][j] = v
        if trials and p >= s and not (n - 1 <= p <= n):
            comp = compare_strategies(problem, n, [s], DC_STRATEGIES, trials=trials, rng=rng, progress=False)
            sim["dense"][j], sem["dense"][j] = comp.dense.mean(), comp.dense.std(ddof=1) / np.sqrt(trials)
            for strategy in DC_STRATEGIES:
                sim[strategy][j], sem[strategy][j] = comp.mean(strategy)[0], comp.sem(strategy)[0]
    small = oracle_small_model_risk(world, n, s) if not (n - 1 <= s <= n) else np.inf
    tuned = optimal_ridge(world, n, support=top_s_mask(world.oracle_saliency(), s)) if s > 0 else None
    return SparseDoubleDescent(
        ps,
        int(n),
        int(s),
        theory,
        sim if trials else {},
        sem if trials else {},
        small,
        tuned.risk if tuned else np.nan,
        tuned.mu if tuned else np.nan,
    )


@dataclass(frozen=True)
class DenseRiskCurve:
    """Dense min-norm risk against κ = p/n on an isotropic problem: finite-p DC, Hastie et al.'s limit, simulation."""

    kappas: np.ndarray
    n: int
    dc: np.ndarray
    asymptotic: np.ndarray
    simulated: np.ndarray
    simulated_sem: np.ndarray

    def agreement(self) -> Agreement:
        """The finite-p DC against the simulation over the whole curve."""
        return agreement(self.dc, self.simulated)


def dense_risk_curve(n: int, kappas, *, r2: float = 1.0, sigma: float = 0.5, trials: int = 10, rng=0) -> DenseRiskCurve:
    r"""Double descent of the dense model on :math:`\Sigma=I`, :math:`\lVert\beta\rVert^2=r^2`, for ``p = round(κ n)``.

    Returns the finite-:math:`p` DC risk (:func:`pruning_lab.dc.theory.dc_params`),
    the limit of :cite:`hastie2022surprises` (:func:`pruning_lab.dc.theory.isotropic_risk`)
    and the simulated risk of the min-norm solution over ``trials`` training
    sets (0: no simulation).  κ values with ``n - 1 <= p <= n`` give NaN.  Used in the chapter
    :doc:`/book/predicting_pruning`.

    Parameters
    ----------
    n : int
        Training-set size.
    kappas : array_like of float
        Ratios :math:`\kappa=p/n>0`; the model size is ``p = max(round(κ n), 1)`` and the limit is
        evaluated at that ``p / n``.
    r2 : float
        Signal :math:`r^2=\lVert\beta\rVert^2\ge0`, spread evenly: :math:`\beta_i=\sqrt{r^2/p}`.
    sigma : float
        Label noise level :math:`\sigma\ge0`.
    trials : int
        Simulated training sets per κ (0: no simulation, NaN); the standard errors treat them as
        independent (at least 2 are needed for one).
    rng : numpy.random.Generator or int or None
        Randomness of the simulation.

    Returns
    -------
    DenseRiskCurve
        ``dc``, ``asymptotic``, ``simulated`` and ``simulated_sem``, each of shape ``(len(kappas),)``.
    """

    kappas = check_array(kappas, "kappas", ndim=1)
    if kappas.size == 0 or np.any(kappas <= 0):
        raise ValueError("kappas must be a non-empty list of positive ratios p/n")
    n = check_int(n, "n", low=1)
    r2, sigma = check_nonnegative(r2, "r2"), check_nonnegative(sigma, "sigma")
    trials = check_int(trials, "trials", low=0)
    rng = as_rng(rng)
    out = {k: np.full(kappas.size, np.nan) for k in ("dc", "asymptotic", "simulated", "sem")}
    for j, kappa in enumerate(kappas):
        p = max(int(round(kappa * n)), 1)
        if n - 1 <= p <= n:
            continue
        problem = LinearGaussianProblem.isotropic(np.full(p, np.sqrt(r2 / p)), sigma)
        out["dc"][j] = dc_params(problem, n).gamma
        out["asymptotic"][j] = isotropic_risk(p / n, r2, sigma)
        if trials:
            risks = simulate_min_norm(problem, n, trials, rng)[1]
            out["simulated"][j], out["sem"][j] = risks.mean(), risks.std(ddof=1) / np.sqrt(trials)
    return DenseRiskCurve(kappas, int(n), out["dc"], out["asymptotic"], out["simulated"], out["sem"])


# --------------------------------------------------------------------------- the regime map
@dataclass(frozen=True)
class RegimeMap:
    r"""Large-then-prune against the small model, over :math:`s/n` (rows) and the spike variance (columns).

    ``pruned[i, j]`` is the smallest predicted risk of pruning the min-norm model (by ``strategy``)
    over the learner sizes and ``best_p[i, j]`` the size that attains it; ``small[i, j]`` is the
    risk of least squares on the ``s`` oracle features and ``small_ridge[i, j]`` that of ridge on
    them at the tuned penalty ``small_mu[i, j]``.  :attr:`ratio` divides ``pruned`` by the
    ``baseline`` (``"ridge"``: the tuned small model; ``"ols"``: least squares): below 1 the large
    model pruned to ``s`` weights wins.
    """

    s_ratios: np.ndarray
    spikes: np.ndarray
    n: int
    strategy: str
    pruned: np.ndarray
    best_p: np.ndarray
    small: np.ndarray
    small_ridge: np.ndarray
    small_mu: np.ndarray
    baseline: str = "ols"
    world_kwargs: dict = field(repr=False, default_factory=dict)

    def ratio_to(self, baseline: str) -> np.ndarray:
        """``pruned`` divided by the small model's risk: ``"ols"`` (least squares) or ``"ridge"`` (tuned)."""
        if baseline not in BASELINES:
            raise ValueError(f"baseline must be one of {BASELINES}, got {baseline!r}")
        return self.pruned / (self.small if baseline == "ols" else self.small_ridge)

    @property
    def ratio(self) -> np.ndarray:
        """``pruned`` over the risk of the small model named by ``baseline``."""
        return self.ratio_to(self.baseline)

    @property
    def s_values(self) -> np.ndarray:
        """Numbers of kept weights, one per row."""
        return np.maximum(np.round(self.s_ratios * self.n).astype(int), 1)

    def world(self, j: int) -> LinearGaussianProblem:
        """The world of column ``j`` (spike variance ``spikes[j]``)."""
        return two_level_world(spike=float(self.spikes[j]), **self.world_kwargs)

    def simulate_cell(self, i: int, j: int, trials: int = 20, rng=0) -> dict:
        """Monte Carlo check of cell ``(i, j)``: the pruned learner at ``best_p[i, j]`` and both small models.

        Returns ``{"pruned", "small", "small_ridge"}`` as :class:`~pruning_lab.dc.simulate.MonteCarlo`
        risks, to set against ``pruned[i, j]``, ``small[i, j]`` and ``small_ridge[i, j]``.
        """
        rng = as_rng(rng)
        world, s = self.world(j), int(self.s_values[i])
        learner = learner_problem(world, int(self.best_p[i, j]))
        comp = compare_strategies(learner, self.n, [s], [self.strategy], trials=trials, rng=rng, progress=False)
        pruned = MonteCarlo(float(comp.mean(self.strategy)[0]), float(comp.sem(self.strategy)[0]), trials)
        support = top_s_mask(world.oracle_saliency(), s)
        small = simulate_small_model(world, self.n, support, trials, rng)
        tuned = simulate_small_model(world, self.n, support, trials, rng, ridge=float(self.small_mu[i, j]))
        return {"pruned": pruned, "small": small, "small_ridge": tuned}


def _check_map_inputs(n, s_ratios, spikes, strategy, baseline):
    s_ratios = check_array(s_ratios, "s_ratios", ndim=1)
    spikes = check_array(spikes, "spikes", ndim=1)
    if s_ratios.size == 0 or np.any(s_ratios <= 0):
        raise ValueError("s_ratios must be a non-empty list of positive ratios s/n")
    if spikes.size == 0 or np.any(spikes <= 0):
        raise ValueError("spikes must be a non-empty list of positive spike variances")
    if not isinstance(n, (int, np.integer)) or n < 2:
        raise ValueError(f"n must be an integer >= 2, got {n!r}")
    if strategy not in DC_STRATEGIES:
        raise ValueError(f"strategy must be one of {DC_STRATEGIES}, got {strategy!r}")
    if baseline not in BASELINES:
        raise ValueError(f"baseline must be one of {BASELINES}, got {baseline!r}")
    return s_ratios, spikes


def _best_pruned(world, n, s, P, ps, strategy):
    if ps is None:
        grid = np.unique(np.geomspace(max(s, n + 2), P, 40).round().astype(int))
    else:
        grid = check_int_array(ps, "ps", 1, "learner sizes")
    grid = grid[(grid >= s) & ~((grid >= n - 1) & (grid <= n))]
    if grid.size == 0:
        raise ValueError(f"no learner size in ps is >= s = {s} and away from the threshold p = n")

    def risk(p):
        learner = learner_problem(world, int(p))
        if strategy == "oracle":
            return oracle_prune_risk(learner, n, s)
        return threshold_prune_risk(learner, n, s, strategy)

    risks = np.array([risk(p) for p in grid])
    best = int(np.argmin(risks))
    return risks[best], grid[best]


def regime_map(
    n: int,
    s_ratios,
    spikes,
    *,
    P: int = 4000,
    k: int = 20,
    sigma: float = 0.5,
    signal_spike: float = 1.0,
    signal_bulk: float = 1.0,
    ps=None,
    strategy: str = "magnitude",
    baseline: str = "ols",
    progress: bool = False,
) -> RegimeMap:
    r"""Where does training large and pruning beat training small?  DC theory over :math:`(s/n,\ \lambda_{\rm spike})`.

    For each spike variance, the world is :func:`two_level_world`
    ``(P, k, spike=...)`` (``k`` informative spiked features carrying ``signal_spike`` of
    :math:`\lVert\beta\rVert^2`, the bulk carrying ``signal_bulk``); for each
    :math:`s=\mathrm{round}((s/n)\,n)` the risk of pruning the min-norm model is minimized over the
    learner sizes ``ps`` (default: 40 sizes from ``max(s, n + 2)`` to ``P``, geometric) with the
    closed-form DC risks, and compared with the small model on the ``s`` oracle features: least
    squares (:func:`~pruning_lab.dc.theory.oracle_small_model_risk`, Inf when
    :math:`n-1\le s\le n`) and ridge at its tuned penalty
    (:func:`~pruning_lab.dc.theory.optimal_ridge` with ``support``).  Theory only; the chapter
    :doc:`/book/predicting_pruning` spot-checks cells by simulation.

    Parameters
    ----------
    n : int
        Training-set size, ``n >= 2``.
    s_ratios : array_like of float
        Positive ratios :math:`s/n`, one row each; :math:`s=\max(\mathrm{round}((s/n)\,n),1)` must not
        exceed ``P``.
    spikes : array_like of float
        Positive spike variances :math:`\lambda_{\rm spike}`, one column (and one world) each.
    P : int
        Number of features of the world: the largest learner size.
    k : int
        Number of spiked features, ``0 <= k <= P``.
    sigma : float
        Label noise level :math:`\sigma\ge0`.
    signal_spike, signal_bulk : float
        Squared norms of the spiked and of the bulk weights, as in :func:`two_level_world`.
    ps : array_like of int or None
        Learner sizes to minimize over (each ``<= P``); sizes below ``s`` or in ``n - 1 .. n`` are
        dropped.  ``None``: the geometric default above, per ``s``.
    strategy : str
        ``"magnitude"`` or ``"hessian"`` (:func:`~pruning_lab.dc.pruning.threshold_prune_risk`), or
        ``"oracle"`` (:func:`~pruning_lab.dc.pruning.oracle_prune_risk`).
    baseline : str
        The denominator of :attr:`RegimeMap.ratio`: ``"ols"`` (least squares, the comparison of
        :cite:`chang2021provable`) or ``"ridge"`` (the small model with the tuned ridge penalty,
        the fair baseline); both are computed, and :meth:`RegimeMap.ratio_to` gives either.
    progress : bool
        Show a ``tqdm`` bar over ``spikes``.

    Returns
    -------
    RegimeMap
        ``pruned``, ``best_p``, ``small``, ``small_ridge`` and ``small_mu`` of shape
        ``(len(s_ratios), len(spikes))``, and the world's arguments (``world_kwargs``) for
        :meth:`RegimeMap.simulate_cell`.
    """
    s_ratios, spikes = _check_map_inputs(n, s_ratios, spikes, strategy, baseline)
    s_values = np.maximum(np.round(s_ratios * n).astype(int), 1)
    if s_values.max() > P:
        raise ValueError(f"s = {s_values.max()} exceeds the world size P = {P}")
    shape = (s_ratios.size, spikes.size)
    pruned, best_p = np.full(shape, np.nan), np.zeros(shape, dtype=int)
    small, small_ridge, small_mu = np.full(shape, np.nan), np.full(shape, np.nan), np.full(shape, np.nan)
    world_kwargs = dict(P=P, k=k, sigma=sigma, signal_spike=signal_spike, signal_bulk=signal_bulk)
    for j, spike in enumerate(tqdm(spikes, desc="spike", disable=not progress)):
        world = two_level_world(spike=spike, **world_kwargs)
        for i, s in enumerate(s_values):
            pruned[i, j], best_p[i, j] = _best_pruned(world, n, int(s), P, ps, strategy)
            small[i, j] = oracle_small_model_risk(world, n, int(s)) if not (n - 1 <= s <= n) else np.inf
            tuned = optimal_ridge(world, n, support=top_s_mask(world.oracle_saliency(), int(s)))
            small_ridge[i, j], small_mu[i, j] = tuned.risk, tuned.mu
    return RegimeMap(
        s_ratios, spikes, int(n), strategy, pruned, best_p, small, small_ridge, small_mu, baseline, world_kwargs
    )
