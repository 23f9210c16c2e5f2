r"""The experiments of the DC chapter: fair baselines with tuned ridge, retraining, correlated designs.

Each function runs one experiment of the chapter :doc:`/book/predicting_pruning` from a seed, with
the DC prediction and, where asked, the simulation of the same quantity:

* :func:`optimal_prune_ridge`, :func:`ridge_curves` and :func:`fair_comparison`: the large model
  trained with a ridge penalty tuned for the pruned model, and the small model with a tuned
  ridge, the fair baselines for "train large, then prune" (the regime map over many worlds is
  :func:`~pruning_lab.dc.double_descent.regime_map`);
* :func:`retraining_sweep` and :func:`correlated_sweep`: pruning only against retraining on a
  fresh batch (the retraining DC, Def. 5) and on the same samples, along the model size and,
  for equicorrelated features, along the sparsity for several correlations.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from scipy import optimize

from ..problems import LinearGaussianProblem, equicorrelated_covariance
from ..prune import top_s_mask
from ..validation import as_rng, check_array, check_int, check_int_array, check_nonnegative, check_sparsity
from .double_descent import learner_problem
from .pruning import DC_STRATEGIES, dc_prune_risk_mc, oracle_prune_risk, retrain_risk, threshold_prune_risk
from .simulate import (
    Agreement,
    agreement,
    simulate_pruning,
    simulate_retraining,
    simulate_ridge,
    simulate_small_model,
)
from .theory import (
    OptimalRidge,
    _check_n,
    _check_problem,
    dc_params,
    dc_sample,
    optimal_ridge,
    oracle_small_model_risk,
)

__all__ = [
    "CorrelatedSweep",
    "EquicorrelatedProblem",
    "FairComparison",
    "RetrainingCurves",
    "RidgeCurves",
    "correlated_sweep",
    "equicorrelated_problem",
    "fair_comparison",
    "optimal_prune_ridge",
    "retraining_sweep",
    "ridge_curves",
]


# --------------------------------------------------------------------------- the large model with a tuned ridge
def _pruned_risk(problem, n, s, strategy, mu):
    if strategy == "oracle":
        return oracle_prune_risk(problem, n, s, ridge=mu)
    return threshold_prune_risk(problem, n, s, strategy, ridge=mu)


def optimal_prune_ridge(problem, n: int, s: int, strategy: str = "hessian", *, grid: int = 41) -> OptimalRidge:
    r"""The ridge penalty :math:`\mu^\star` of the large model that minimizes the risk *after* pruning to ``s``.

    Minimizes the closed-form risk of ridge-then-prune,
    :func:`~pruning_lab.dc.pruning.threshold_prune_risk` (``"magnitude"``, ``"hessian"``) or
    :func:`~pruning_lab.dc.pruning.oracle_prune_risk` (``"oracle"``) with ``ridge`` :math:`=\mu`,
    over :math:`\mu\in[10^{-6}\bar\lambda,10^{3}\bar\lambda]` (:math:`\bar\lambda` the mean variance):
    a log grid of ``grid`` points, then a bounded Brent search between the neighbours of the best.
    The penalty is tuned for the pruned model, not for the dense one (compare
    :func:`~pruning_lab.dc.theory.optimal_ridge`); at the lower end the trained model is
    min-norm least squares up to :math:`10^{-6}`.  Diagonal :math:`\Sigma`.  Used in the chapter
    :doc:`/book/predicting_pruning`.
    """
    problem, n = _check_problem(problem), _check_n(n)
    s = check_sparsity(s, problem.p)
    if strategy not in DC_STRATEGIES:
        raise ValueError(f"strategy must be one of {DC_STRATEGIES}, got {strategy!r}")
    grid = check_int(grid, "grid", 5)
    scale = float(np.mean(problem.covariance_diag()))
    logs = np.linspace(np.log(scale) - 6 * np.log(10), np.log(scale) + 3 * np.log(10), grid)

    def risk(log_mu):
        return _pruned_risk(problem, n, s, strategy, float(np.exp(log_mu)))

    values = np.array([risk(u) for u in logs])
    best = int(np.argmin(values))
    if best in (0, grid - 1):
        return OptimalRidge(float(np.exp(logs[best])), float(values[best]), True)
    found = optimize.minimize_scalar(risk, bounds=(logs[best - 1], logs[best + 1]), method="bounded")
    log_mu, value = (found.x, found.fun) if found.fun <= values[best] else (logs[best], values[best])
    return OptimalRidge(float(np.exp(log_mu)), float(value), False)


@dataclass(frozen=True)
class RidgeCurves:
    r"""The large model with a tuned ridge, against the model size ``ps`` (theory; NaN where ``p < s``).

    ``dense[j]``: risk of the dense ridge model of size ``ps[j]`` at the penalty ``dense_mu[j]``
    that minimizes it; ``pruned[j]``: risk of ridge-then-prune (``strategy``) at the penalty
    ``pruned_mu[j]`` tuned for the pruned model (:func:`optimal_prune_ridge`).
    """

    ps: np.ndarray
    n: int
    s: int
    strategy: str
    dense: np.ndarray
    dense_mu: np.ndarray
    pruned: np.ndarray
    pruned_mu: np.ndarray


def ridge_curves(world, n: int, s: int, ps, *, strategy: str = "hessian") -> RidgeCurves:
    """Tuned-ridge counterparts of :func:`~pruning_lab.dc.double_descent.sparse_double_descent` (theory only).

    For each size ``p`` in ``ps`` the learner :func:`~pruning_lab.dc.double_descent.learner_problem`
    is trained with ridge; the dense risk at its best penalty
    (:func:`~pruning_lab.dc.theory.optimal_ridge`) and the pruned risk at the penalty tuned for
    pruning to ``s`` weights (:func:`optimal_prune_ridge`).  Ridge has a finite risk at every ``p``,
    the interpolation threshold included.  Used in the chapter :doc:`/book/predicting_pruning`.
    """
    ps = check_int_array(ps, "ps", 1, "learner sizes")
    out = {k: np.full(ps.size, np.nan) for k in ("dense", "dense_mu", "pruned", "pruned_mu")}
    for j, p in enumerate(ps):
        learner = learner_problem(world, int(p))
        dense = optimal_ridge(learner, n)
        out["dense"][j], out["dense_mu"][j] = dense.risk, dense.mu
        if p >= s:
            pruned = optimal_prune_ridge(learner, n, s, strategy)
            out["pruned"][j], out["pruned_mu"][j] = pruned.risk, pruned.mu
    return RidgeCurves(ps, int(n), int(s), strategy, **out)


@dataclass(frozen=True)
class FairComparison:
    """Small model against pruned large model, each unregularized and with a tuned ridge: DC and simulation.

    ``rows`` is a tuple of ``(label, penalty mu, DC risk, simulated MonteCarlo)``; :meth:`table`
    prints them (a positive penalty below :math:`10^{-4}` as ``~0``: the bottom of the searched
    range, where ridge is min-norm least squares for all practical purposes).
    """

    n: int
    s: int
    p: int
    strategy: str
    rows: tuple

    def risk(self, label: str) -> float:
        """The DC risk of the row ``label``."""
        for row in self.rows:
            if row[0] == label:
                return row[2]
        raise ValueError(f"no row {label!r}; rows are {[row[0] for row in self.rows]}")

    def table(self) -> str:
        """One line per model: label, penalty, DC risk, simulated mean ± standard error."""
        lines = [f"{'model':<44}{'penalty mu':>11}{'DC':>8}{'simulated':>18}"]
        for label, mu, theory, sim in self.rows:
            penalty = "0" if mu == 0 else "~0" if mu < 1e-4 else f"{mu:.3g}"  # ~0: bottom of the search
            lines.append(f"{label:<44}{penalty:>11}{theory:>8.2f}{sim.mean:>10.2f} +/- {sim.sem:.2f}")
        return "\n".join(lines)


def fair_comparison(world, n: int, s: int, p: int, *, strategy: str = "hessian", trials: int = 40, rng=0):
    r"""Train small or train large and prune, each without and with a tuned ridge penalty (DC and simulation).

    Five models, each predicted by the DC and simulated over ``trials`` training sets of ``n``:

    1. ``"small, least squares"``: least squares on the ``s`` oracle features (exact risk
       :math:`\sigma_\Delta^2(n-1)/(n-s-1)`);
    2. ``"small, tuned ridge"``: ridge on the same features at the penalty of
       :func:`~pruning_lab.dc.theory.optimal_ridge` (``support``);
    3. ``"large, min-norm, pruned"``: the learner of size ``p`` trained by min-norm least squares
       and pruned to ``s`` weights by ``strategy`` (the DC paper's pipeline);
    4. ``"large, tuned ridge, dense"``: the learner with its best ridge penalty, not pruned;
    5. ``"large, tuned ridge, pruned"``: ridge with the penalty tuned for the pruned model
       (:func:`optimal_prune_ridge`), then pruned.

    Used in the chapter :doc:`/book/predicting_pruning`.

    Parameters
    ----------
    world : pruning_lab.problems.LinearGaussianProblem
        The full problem (diagonal covariance); the small models use its ``s`` features of largest
        oracle saliency, the large model its first ``p`` features.
    n : int
        Training-set size.
    s : int
        Number of weights of the small model and of the pruned large model.
    p : int
        Size of the large model, ``s <= p <= world.p``.
    strategy : str
        Pruning strategy of the large model: ``"magnitude"``, ``"hessian"`` or ``"oracle"``.
    trials : int
        Simulated training sets per model.
    rng : numpy.random.Generator or int or None
        Randomness of the simulation (one stream, models in the order above).

    Returns
    -------
    FairComparison
        The five rows, with the DC risk, the penalty and the simulated risk of each.
    """
    rng = as_rng(rng)
    support = top_s_mask(world.oracle_saliency(), s)
    learner = learner_problem(world, int(p))
    tuned_small = optimal_ridge(world, n, support=support)
    tuned_dense = optimal_ridge(learner, n)
    tuned_pruned = optimal_prune_ridge(learner, n, s, strategy)
    models = (  # label, penalty, DC risk, simulation
        ("small, least squares", 0.0, oracle_small_model_risk(world, n, s),
         lambda: simulate_small_model(world, n, support, trials, rng)),
        ("small, tuned ridge", tuned_small.mu, tuned_small.risk,
         lambda: simulate_small_model(world, n, support, trials, rng, ridge=tuned_small.mu)),
        (f"large (p = {p}), min-norm, pruned", 0.0, _pruned_risk(learner, n, s, strategy, 0.0),
         lambda: simulate_pruning(learner, n, s, strategy, trials, rng)["pruned"]),
        (f"large (p = {p}), tuned ridge, dense", tuned_dense.mu, tuned_dense.risk,
         lambda: simulate_ridge(learner, n, tuned_dense.mu, trials, rng)),
        (f"large (p = {p}), tuned ridge, pruned", tuned_pruned.mu, tuned_pruned.risk,
         lambda: simulate_pruning(learner, n, s, strategy, trials, rng, ridge=tuned_pruned.mu)["pruned"]),
    )  # fmt: skip
    rows = tuple((label, mu, theory, simulate()) for label, mu, theory, simulate in models)
    return FairComparison(int(n), int(s), int(p), strategy, rows)


# --------------------------------------------------------------------------- retraining
@dataclass(frozen=True)
class RetrainingCurves:
    r"""Pruning only against retraining, along ``x`` (the model size ``p`` or the kept count ``s``).

    ``theory`` holds the DC predictions ``"pruned"`` and ``"fresh"`` (the retraining DC, Def. 5:
    refit on a fresh batch of ``n``), with their Monte Carlo errors in ``theory_sem`` (0 for a
    closed form); ``simulated`` and ``simulated_sem`` hold ``"pruned"``, ``"fresh"`` and ``"same"``
    (refit on the training samples, which the theory does not cover).
    """

    x: np.ndarray
    axis: str
    n: int
    strategy: str
    theory: dict = field(repr=False)
    theory_sem: dict = field(repr=False)
    simulated: dict = field(repr=False)
    simulated_sem: dict = field(repr=False)
    label: str = ""

    def agreement(self, theory: str = "pruned", simulated: str | None = None) -> Agreement:
        """Relative error of the prediction ``theory`` against the simulated curve ``simulated`` (default: same)."""
        simulated = theory if simulated is None else simulated
        if theory not in self.theory or simulated not in self.simulated:
            raise ValueError(
                f"theory must be one of {sorted(self.theory)} and simulated one of {sorted(self.simulated)}"
            )
        return agreement(self.theory[theory], self.simulated[simulated])

    def max_z(self, theory: str = "pruned", simulated: str | None = None) -> float:
        r"""Largest gap between prediction and simulation in standard errors.

        :math:`\max_j|\text{theory}_j-\text{simulated}_j|/\sqrt{\text{se}_{\rm theory}^2+\text{se}_{\rm sim}^2}`,
        with the Monte Carlo errors of both sides: a value below about 2.5 is what chance alone
        gives over a handful of points.
        """
        simulated = theory if simulated is None else simulated
        self.agreement(theory, simulated)  # checks the names
        gap = np.abs(self.theory[theory] - self.simulated[simulated])
        return float(np.nanmax(gap / np.hypot(self.theory_sem[theory], self.simulated_sem[simulated])))


def _retraining_point(problem, n, s, strategy, draws, trials, rng, closed_form=True):
    """DC (pruned, fresh) and simulation (pruned, fresh, same) at one (problem, s)."""
    if closed_form and problem.is_diagonal:
        pruned, pruned_se = _pruned_risk(problem, n, s, strategy, 0.0), 0.0
    else:
        pruned, pruned_se = dc_prune_risk_mc(problem, n, s, strategy, draws=draws)
    fresh, fresh_se = retrain_risk(problem, n, s, strategy, draws=draws)
    sim = simulate_retraining(problem, n, s, strategy, trials=trials, rng=rng)
    return (pruned, pruned_se, fresh, fresh_se), sim


def _curves(points, x, axis, n, strategy, label):
    theory = {k: np.array([pt[0][2 * i] for pt in points]) for i, k in enumerate(("pruned", "fresh"))}
    theory_sem = {k: np.array([pt[0][2 * i + 1] for pt in points]) for i, k in enumerate(("pruned", "fresh"))}
    simulated = {k: np.array([pt[1][k].mean for pt in points]) for k in ("pruned", "fresh", "same")}
    sem = {k: np.array([pt[1][k].sem for pt in points]) for k in ("pruned", "fresh", "same")}
    return RetrainingCurves(np.asarray(x), axis, int(n), strategy, theory, theory_sem, simulated, sem, label)


def _check_retrain_sizes(values, name):
    return check_int_array(values, name, 0)


def retraining_sweep(
    world, n: int, s: int, ps, *, strategy: str = "magnitude", draws: int = 100, trials: int = 40, rng=0
) -> RetrainingCurves:
    r"""Prune only, retrain on a fresh batch, retrain on the same samples: along the model size ``p``.

    For each ``p`` in ``ps`` the learner :func:`~pruning_lab.dc.double_descent.learner_problem`
    is pruned to ``s`` weights; the DC gives the pruned risk (closed form) and the fresh-batch
    retraining risk (:func:`~pruning_lab.dc.pruning.retrain_risk` over ``draws`` DC vectors); the
    simulation (:func:`~pruning_lab.dc.simulate.simulate_retraining`, ``trials`` training sets)
    gives all three.  Used in the chapter :doc:`/book/predicting_pruning`.

    Parameters
    ----------
    world : pruning_lab.problems.LinearGaussianProblem
        The full problem (diagonal covariance for the closed-form pruned risk).
    n : int
        Training-set size, and size of the fresh retraining batch.
    s : int
        Number of kept weights, outside ``n - 1 .. n`` (infinite retraining risk there).
    ps : array_like of int
        Learner sizes, each ``>= s`` and outside ``n - 1 .. n``.
    strategy : str
        ``"magnitude"``, ``"hessian"`` or ``"oracle"``.
    draws : int
        DC vectors for the retraining DC at each ``p``.
    trials : int
        Simulated training sets at each ``p``.
    rng : numpy.random.Generator or int or None
        Randomness of the simulation.

    Returns
    -------
    RetrainingCurves
        Along ``x = ps`` (``axis = "p"``).
    """
    ps = _check_retrain_sizes(ps, "ps")
    if np.any(ps < s) or np.any((ps >= n - 1) & (ps <= n)) or n - 1 <= s <= n:
        raise ValueError(f"ps must be >= s = {s} and outside {n - 1}..{n}, and s outside {n - 1}..{n}")
    rng = as_rng(rng)
    points = [_retraining_point(learner_problem(world, int(p)), n, s, strategy, draws, trials, rng) for p in ps]
    return _curves(points, ps, "p", n, strategy, f"s = {s}, n = {n}")


@dataclass(frozen=True)
class CorrelatedSweep:
    """:class:`RetrainingCurves` along the kept count, one per correlation ``rhos[i]`` (``curves[i]``).

    ``null[i]`` is the risk of the zero model and ``dense[i]`` the DC risk of the unpruned min-norm
    model for that correlation.
    """

    rhos: np.ndarray
    p: int
    n: int
    curves: tuple
    null: np.ndarray
    dense: np.ndarray


class EquicorrelatedProblem(LinearGaussianProblem):
    r"""The linear Gaussian problem with :math:`\Sigma=(1-\rho)I+\rho\mathbf 1\mathbf 1^\top`, in closed form.

    Features are drawn from the one-factor model :math:`x=\sqrt\rho\,g\mathbf 1+\sqrt{1-\rho}\,z`
    (:math:`g\sim\mathcal N(0,1)`, :math:`z\sim\mathcal N(0,I_p)`), whose covariance is
    :math:`\Sigma`, in :math:`O(np)` per batch; the eigen-decomposition is the closed form
    :math:`\lambda=1-\rho` (multiplicity :math:`p-1`, Helmert basis of :math:`\mathbf 1^\perp`) and
    :math:`1+(p-1)\rho` (eigenvector :math:`\mathbf 1/\sqrt p`).  The :math:`(p-1)`-fold eigenvalue
    leaves a numerical eigensolver free to return any basis of :math:`\mathbf 1^\perp`, which can
    change with the linear-algebra library and its threads, and with it the sampled data and the
    rotated DC draws; the closed forms make both reproducible.  Everything else is inherited.
    Built by :func:`equicorrelated_problem`; used in the chapter :doc:`/book/predicting_pruning`.
    """

    @property
    def rho(self) -> float:
        """The correlation between any two features."""
        return float(self.covariance[0, 1]) if self.p > 1 else 0.0

    def eigh(self):
        r"""Closed-form :math:`\Sigma=V\mathrm{diag}(\lambda)V^\top`, ascending (for :math:`\rho>0`)."""
        p, rho = self.p, self.rho
        k = np.arange(1, p, dtype=float)  # Helmert column k: k entries 1, then -k, normalized
        V = np.zeros((p, p))
        V[:-1, :-1] = np.triu(np.ones((p - 1, p - 1))) / np.sqrt(k * (k + 1))
        V[np.arange(1, p), np.arange(p - 1)] = -k / np.sqrt(k * (k + 1))
        V[:, -1] = 1.0 / np.sqrt(p)
        lam = np.r_[np.full(p - 1, 1.0 - rho), 1.0 + (p - 1) * rho]
        return lam, V

    def sample(self, n: int, rng=None) -> tuple[np.ndarray, np.ndarray]:
        """Draw ``n`` examples from the one-factor model (same contract as the parent's ``sample``)."""
        if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1:
            raise ValueError(f"n (number of samples) must be a positive integer, got {n!r}")
        rng = as_rng(rng)
        z, g = rng.standard_normal((int(n), self.p)), rng.standard_normal((int(n), 1))
        X = np.sqrt(1.0 - self.rho) * z + np.sqrt(self.rho) * g
        return X, X @ self.beta + self.sigma * rng.standard_normal(int(n))


def equicorrelated_problem(p: int, rho: float, *, sigma: float = 0.5, seed: int = 0) -> LinearGaussianProblem:
    r"""Equicorrelated features with random-sign weights: :math:`\Sigma=(1-\rho)I+\rho\mathbf 1\mathbf 1^\top`.

    :math:`\beta_i\sim\mathcal N(0,1/p)` i.i.d. from ``seed`` (the same :math:`\beta` for every
    :math:`\rho`), so no common factor dominates the signal:
    :math:`\beta^\top\Sigma\beta=(1-\rho)\lVert\beta\rVert^2+\rho(\mathbf 1^\top\beta)^2` with
    :math:`\mathbf 1^\top\beta=O(1)`.  ``rho = 0`` gives a diagonal problem, ``rho > 0`` an
    :class:`EquicorrelatedProblem`.  Used in the chapter :doc:`/book/predicting_pruning`.
    """
    cov = equicorrelated_covariance(p, rho)  # checks p and rho
    if rho >= 1:
        raise ValueError(f"rho (correlation) must be < 1 (rho = 1 is the singular Lemma 1 case), got {rho}")
    beta = np.random.default_rng(seed).standard_normal(p) / np.sqrt(p)
    return LinearGaussianProblem(beta, sigma, np.ones(p)) if rho == 0 else EquicorrelatedProblem(beta, sigma, cov)


def correlated_sweep(
    rhos,
    ss,
    *,
    p: int = 300,
    n: int = 100,
    sigma: float = 0.5,
    strategy: str = "magnitude",
    draws: int = 200,
    trials: int = 40,
    seed: int = 0,
    rng=0,
) -> CorrelatedSweep:
    r"""The eigen-rotated DC on correlated designs: prune only and retrain, against simulation, per :math:`\rho`.

    For each correlation the problem is :func:`equicorrelated_problem` ``(p, rho, sigma=sigma,
    seed=seed)``.  ``draws`` DC vectors (Def. 4, drawn in the eigenbasis and rotated back) are shared
    by every ``s`` in ``ss``: :func:`~pruning_lab.dc.pruning.dc_prune_risk_mc` predicts the pruned risk
    and :func:`~pruning_lab.dc.pruning.retrain_risk` the risk of retraining on a fresh batch;
    :func:`~pruning_lab.dc.simulate.simulate_retraining` measures both and the same-sample refit.

    Parameters
    ----------
    rhos : array_like of float
        Correlations in ``[0, 1)``.
    ss : array_like of int
        Kept counts, ``1 <= s <= p``, outside ``n - 1 .. n``.
    p, n : int
        Model size and training-set size (``p > n``).
    sigma : float
        Label noise level.
    strategy : str
        ``"magnitude"``, ``"hessian"`` or ``"oracle"`` (with unit variances, Hessian and magnitude
        pruning rank alike in the population).
    draws : int
        DC vectors per correlation.
    trials : int
        Simulated training sets per ``(rho, s)``.
    seed : int
        Seed of :math:`\beta`.
    rng : numpy.random.Generator or int or None
        Randomness of the DC draws and of the simulation.

    Returns
    -------
    CorrelatedSweep
        One :class:`RetrainingCurves` per correlation, along ``s``.
    """
    rhos = check_array(rhos, "rhos", ndim=1)
    if rhos.size == 0 or np.any((rhos < 0) | (rhos >= 1)):
        raise ValueError("rhos must be a non-empty list of correlations in [0, 1)")
    ss = _check_retrain_sizes(ss, "ss")
    if np.any(ss < 1) or np.any(ss > p) or np.any((ss >= n - 1) & (ss <= n)):
        raise ValueError(f"ss must lie in 1..p = {p} and outside {n - 1}..{n} (infinite retraining risk)")
    check_nonnegative(sigma, "sigma")
    if strategy not in DC_STRATEGIES:
        raise ValueError(f"strategy must be one of {DC_STRATEGIES}, got {strategy!r}")
    rng = as_rng(rng)
    curves, null, dense = [], [], []
    for rho in rhos:
        problem = equicorrelated_problem(p, float(rho), sigma=sigma, seed=seed)
        shared = dc_sample(problem, n, size=check_int(draws, "draws", 2), rng=rng)
        # the same Monte Carlo over DC vectors for every rho, rho = 0 (diagonal) included
        points = [_retraining_point(problem, n, int(s), strategy, shared, trials, rng, False) for s in ss]
        curves.append(_curves(points, ss, "s", n, strategy, f"rho = {rho:g}"))
        null.append(problem.null_risk())
        dense.append(dc_params(problem, n).gamma)
    return CorrelatedSweep(rhos, int(p), int(n), tuple(curves), np.array(null), np.array(dense))
