r"""Monte Carlo counterparts of the DC predictions: train on simulated data, measure the exact risk.

Each function here simulates what a function of :mod:`pruning_lab.dc`
predicts, so that a chapter (and the tests) can put theory and simulation
side by side.  Used in the chapter :doc:`/book/predicting_pruning`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from tqdm.auto import tqdm

from .. import lsq
from ..pipeline import prune_weights
from ..problems import LinearGaussianProblem
from ..validation import as_rng, check_array, check_int, check_nonnegative, check_sparsity
from .theory import _check_problem

__all__ = [
    "Agreement",
    "MonteCarlo",
    "agreement",
    "simulate_lemma1",
    "simulate_ridge",
    "simulate_min_norm",
    "simulate_pruning",
    "simulate_refit_alignment",
    "simulate_retraining",
    "simulate_small_model",
    "simulate_threshold_pruning",
]


@dataclass(frozen=True)
class MonteCarlo:
    """Mean and standard error of a simulated quantity over ``trials`` independent data sets."""

    mean: float
    sem: float
    trials: int

    @classmethod
    def of(cls, values) -> MonteCarlo:
        values = np.asarray(values, dtype=float)
        sem = values.std(ddof=1) / np.sqrt(values.size) if values.size > 1 else 0.0
        return cls(float(values.mean()), float(sem), int(values.size))


@dataclass(frozen=True)
class Agreement:
    r"""How close a theory curve is to its simulation: the relative errors :math:`|\text{theory}/\text{simulated}-1|`.

    ``median`` and ``max`` over the ``points`` compared (fractions: 0.02 is 2 %).  Printed as
    ``"median 2.0%, max 4.1%"``.
    """

    median: float
    max: float
    points: int

    def __str__(self) -> str:
        return f"median {self.median:.1%}, max {self.max:.1%}"


def agreement(theory, simulated, where=None) -> Agreement:
    r"""Median and maximum of :math:`|\text{theory}_j/\text{simulated}_j-1|` over the points ``where`` selects.

    ``theory`` and ``simulated`` are arrays of the same shape (a prediction and the Monte Carlo
    mean at the same points); ``where`` is a boolean array of that shape (default: every point).
    Points where either value is NaN (undefined, e.g. at the interpolation threshold) are left
    out.  The chapters :doc:`/book/predicting_pruning` and :doc:`/book/random_features` summarize
    their theory-against-simulation figures with it.
    """
    theory = check_array(theory, "theory", finite=False)
    simulated = check_array(simulated, "simulated", finite=False)
    if theory.shape != simulated.shape:
        raise ValueError(f"theory and simulated must have the same shape, got {theory.shape} and {simulated.shape}")
    where = np.ones(theory.shape, dtype=bool) if where is None else np.asarray(where)
    if where.dtype != bool or where.shape != theory.shape:
        raise ValueError(f"where must be a boolean array of shape {theory.shape}, got {where.dtype} {where.shape}")
    use = where & np.isfinite(theory) & np.isfinite(simulated)
    if not use.any():
        raise ValueError("no point to compare: where selects no point at which both curves are finite")
    if np.any(simulated[use] == 0):
        raise ValueError("simulated is 0 at a compared point; a relative error is undefined there")
    rel = np.abs(theory[use] / simulated[use] - 1)
    return Agreement(float(np.median(rel)), float(rel.max()), int(use.sum()))


def _check_trials(trials) -> int:
    if isinstance(trials, bool) or not isinstance(trials, (int, np.integer)) or trials < 1:
        raise ValueError(f"trials must be a positive integer, got {trials!r}")
    return int(trials)


def simulate_min_norm(problem: LinearGaussianProblem, n: int, trials: int, rng=0, progress: bool = False):
    """Min-norm solutions on ``trials`` simulated training sets: returns (weights (trials, p), risks (trials,))."""
    _check_problem(problem)
    rng, trials = as_rng(rng), _check_trials(trials)
    weights = np.empty((trials, problem.p))
    for t in tqdm(range(trials), desc="trials", disable=not progress):
        X, y = problem.sample(n, rng)
        weights[t] = lsq.min_norm_solution(X, y)
    return weights, problem.population_risk(weights)


def simulate_retraining(
    problem: LinearGaussianProblem,
    n: int,
    s: int,
    strategy: str = "magnitude",
    trials: int = 20,
    rng=0,
    progress: bool = False,
) -> dict:
    r"""Train → prune → retrain, retraining on the same samples *and* on a fresh batch of ``n``.

    Each trial trains :math:`\hat\beta=X^\dagger y` on ``n`` samples, prunes it to ``s`` weights
    (:func:`pruning_lab.pipeline.prune_weights`, support :math:`\Delta`) and refits least squares on
    :math:`\Delta` (:func:`pruning_lab.lsq.restricted_fit`), on the same ``(X, y)`` and on a fresh
    batch; every model is scored by its exact risk
    :math:`\mathcal L(b)=\sigma^2+(b-\beta)^\top\Sigma(b-\beta)`.
    The fresh-batch version is what the retraining DC (Def. 5) predicts
    exactly; the same-sample version carries a selection bias.  Used in the chapter
    :doc:`/book/predicting_pruning`.

    Parameters
    ----------
    problem : pruning_lab.problems.LinearGaussianProblem
        The data model.
    n : int
        Samples per training set, and per fresh retraining batch.
    s : int
        Number of weights kept, ``0 <= s <= p``.
    strategy : str
        One of :data:`pruning_lab.pipeline.STRATEGIES`: ``"hessian"`` and ``"obs"`` use the
        training inputs, ``"oracle"`` the population saliency of ``problem``, ``"random"`` draws
        from ``rng``.
    trials : int
        Independent training sets (``>= 1``); the standard errors treat them as independent.
    rng : numpy.random.Generator or int or None
        Randomness of the data (and of random pruning).
    progress : bool
        Show a ``tqdm`` bar over the trials.

    Returns
    -------
    dict of str to pruning_lab.dc.simulate.MonteCarlo
        Risks ``"pruned"`` (pruned, not retrained; OBS includes its weight update),
        ``"same"`` (retrained on the training samples) and ``"fresh"`` (retrained on the fresh batch).
    """
    _check_problem(problem)
    rng, trials = as_rng(rng), _check_trials(trials)
    s = check_sparsity(s, problem.p)
    out = {"pruned": [], "same": [], "fresh": []}
    for _ in tqdm(range(trials), desc="trials", disable=not progress):
        X, y = problem.sample(n, rng)
        w = lsq.min_norm_solution(X, y)
        pruned = prune_weights(strategy, w, s, X=X, problem=problem, rng=rng)
        X2, y2 = problem.sample(n, rng)
        out["pruned"].append(problem.population_risk(pruned.weights))
        out["same"].append(problem.population_risk(lsq.restricted_fit(X, y, pruned.mask)))
        out["fresh"].append(problem.population_risk(lsq.restricted_fit(X2, y2, pruned.mask)))
    return {k: MonteCarlo.of(v) for k, v in out.items()}


def simulate_lemma1(p: int, s: int, n: int, sigma: float, beta, trials: int = 200, rng=0) -> dict:
    r"""Lemma 1 by simulation: features :math:`x=g\mathbf 1_p`, prune the min-norm solution to ``s``, retrain.

    Each trial draws ``n`` samples :math:`x_j=g_j\mathbf 1_p`, :math:`y_j=g_jS+\sigma z_j` with
    :math:`S=\mathbf 1^\top\beta`, fits the min-norm solution (all its entries are equal), keeps its
    first ``s`` entries, and refits least squares on them.  For :math:`x=g\mathbf 1_p` the excess risk
    of :math:`b` is :math:`(\mathbf 1^\top b-S)^2`.  Used in the chapter :doc:`/book/predicting_pruning`.

    Parameters
    ----------
    p : int
        Number of (identical) features, ``p >= 1``.
    s : int
        Number of weights kept, ``0 <= s <= p``.
    n : int
        Training samples per trial; :func:`pruning_lab.dc.theory.lemma1_risks` needs ``n > 2``.
    sigma : float
        Label noise level :math:`\sigma\ge0`.
    beta : array_like of shape (p,)
        Latent vector; only its sum :math:`S` matters.
    trials : int
        Independent training sets (``>= 1``); the standard errors treat them as independent.
    rng : numpy.random.Generator or int or None
        Randomness of the data.

    Returns
    -------
    dict of str to pruning_lab.dc.simulate.MonteCarlo
        ``{"pruned", "retrained"}`` *excess* risks
        :math:`\mathcal L-\sigma^2`, to compare with :func:`pruning_lab.dc.theory.lemma1_risks`.
    """
    rng, trials = as_rng(rng), _check_trials(trials)
    sigma = check_nonnegative(sigma, "sigma")
    p, n = check_int(p, "p", low=1), check_int(n, "n", low=1)
    beta = check_array(beta, "beta", ndim=1)
    if beta.shape != (p,):
        raise ValueError(f"beta must have shape ({p},), got {beta.shape}")
    s = check_sparsity(s, p)
    signal = beta.sum()
    pruned, retrained = [], []
    for _ in range(trials):
        g = rng.standard_normal(n)
        y = g * signal + sigma * rng.standard_normal(n)
        X = np.repeat(g[:, None], p, axis=1)
        w = lsq.min_norm_solution(X, y)  # all entries equal: any s of them are "the top s"
        keep = np.arange(p) < s
        # For x = g 1, the excess risk of b is (1^T b - S)^2.
        pruned.append((w[keep].sum() - signal) ** 2)
        retrained.append((lsq.restricted_fit(X, y, keep).sum() - signal) ** 2)
    return {"pruned": MonteCarlo.of(pruned), "retrained": MonteCarlo.of(retrained)}


def simulate_threshold_pruning(problem: LinearGaussianProblem, weights, ts, strategy: str = "magnitude") -> dict:
    r"""Prune simulated min-norm solutions at each explicit threshold in ``ts``; what
    :func:`pruning_lab.dc.pruning.threshold_risk` predicts.

    ``weights`` (trials, p) are trained weights (e.g. from :func:`simulate_min_norm`).
    Keep :math:`|w_i|>t` (``"magnitude"``) or :math:`\lambda_iw_i^2>t^2`
    (``"hessian"``, population :math:`\lambda_i=\Sigma_{ii}`).  Returns arrays
    over ``ts``: ``"kept"`` (mean number kept), ``"risk"`` and ``"risk_sem"``.
    """
    if not isinstance(problem, LinearGaussianProblem):
        raise TypeError(f"problem must be a pruning_lab.problems.LinearGaussianProblem, got {type(problem).__name__}")
    weights = check_array(weights, "weights", ndim=2)
    if weights.shape[1] != problem.p or weights.shape[0] < 2:
        raise ValueError(f"weights must have shape (trials >= 2, {problem.p}), got {weights.shape}")
    if strategy not in ("magnitude", "hessian"):
        raise ValueError(f"strategy must be 'magnitude' or 'hessian', got {strategy!r}")
    ts = check_array(ts, "ts", ndim=1)
    if ts.size == 0 or np.any(ts < 0):
        raise ValueError("ts must be a non-empty list of finite thresholds >= 0")
    lam = problem.covariance_diag()
    score = np.abs(weights) * (1.0 if strategy == "magnitude" else np.sqrt(lam))
    out = {"kept": np.empty(ts.size), "risk": np.empty(ts.size), "risk_sem": np.empty(ts.size)}
    for j, t in enumerate(ts):
        keep = score > t
        mc = MonteCarlo.of(problem.population_risk(np.where(keep, weights, 0.0)))
        out["kept"][j], out["risk"][j], out["risk_sem"][j] = keep.sum(axis=1).mean(), mc.mean, mc.sem
    return out


def simulate_small_model(
    problem: LinearGaussianProblem, n: int, support, trials: int = 20, rng=0, *, ridge: float = 0.0
) -> MonteCarlo:
    r"""A model trained on ``n`` fresh samples of the features in ``support`` only; what
    :func:`pruning_lab.dc.theory.small_model_risk` predicts.

    Least squares (``ridge = 0``, :func:`pruning_lab.lsq.restricted_fit`) or ridge with penalty
    ``ridge`` (:func:`pruning_lab.lsq.ridge_solution`), over ``trials`` independent training sets,
    each model scored by its exact risk.

    Parameters
    ----------
    problem : pruning_lab.problems.LinearGaussianProblem
        The data model (all ``p`` features are sampled; the model sees those in ``support``).
    n : int
        Samples per training set.
    support : array_like of int or bool
        The features of the small model (indices, or a boolean mask of length ``p``).
    trials : int
        Independent training sets (``>= 1``).
    rng : numpy.random.Generator or int or None
        Randomness of the data.
    ridge : float
        Ridge penalty :math:`\mu\ge0` (0: least squares).

    Returns
    -------
    pruning_lab.dc.simulate.MonteCarlo
        Mean and standard error of the risk over the trials.
    """
    _check_problem(problem)
    rng, trials = as_rng(rng), _check_trials(trials)
    ridge = check_nonnegative(ridge, "ridge (the penalty mu)")
    support = np.asarray(support)
    risks = []
    for _ in range(trials):
        X, y = problem.sample(n, rng)
        fit = lsq.restricted_fit(X, y, support) if ridge == 0 else lsq.ridge_solution(X, y, ridge, support)
        risks.append(problem.population_risk(fit))
    return MonteCarlo.of(risks)


def simulate_ridge(problem: LinearGaussianProblem, n: int, ridge: float, trials: int = 20, rng=0) -> MonteCarlo:
    """Ridge regression (:func:`pruning_lab.lsq.ridge_solution`) on ``trials`` simulated training sets of ``n``.

    Returns the mean and standard error of the exact risk; what :func:`pruning_lab.dc.theory.dc_params`
    with ``ridge`` predicts.
    """
    _check_problem(problem)
    rng, trials = as_rng(rng), _check_trials(trials)
    risks = []
    for _ in range(trials):
        X, y = problem.sample(n, rng)
        risks.append(problem.population_risk(lsq.ridge_solution(X, y, ridge)))
    return MonteCarlo.of(risks)


def simulate_pruning(
    problem: LinearGaussianProblem, n: int, s: int, strategy: str = "magnitude", trials: int = 20, rng=0, *, ridge=0.0
) -> dict:
    r"""Train (min-norm least squares, or ridge) on ``n`` samples, prune to ``s`` weights; exact risks.

    Each trial fits :math:`\hat\beta` (:func:`pruning_lab.lsq.min_norm_solution` when ``ridge = 0``,
    :func:`pruning_lab.lsq.ridge_solution` with penalty ``ridge`` :math:`=\mu>0` otherwise), prunes it
    with :func:`pruning_lab.pipeline.prune_weights` and scores both by
    :math:`\mathcal L(b)=\sigma^2+(b-\beta)^\top\Sigma(b-\beta)`: what
    :func:`pruning_lab.dc.pruning.threshold_prune_risk` with ``ridge`` predicts ("ridge, then prune").
    Used in the chapter :doc:`/book/predicting_pruning`.

    Parameters
    ----------
    problem : pruning_lab.problems.LinearGaussianProblem
        The data model.
    n : int
        Samples per training set.
    s : int
        Number of weights kept, ``0 <= s <= p``.
    strategy : str
        One of :data:`pruning_lab.pipeline.STRATEGIES` (``"hessian"`` uses the empirical
        :math:`\hat\Sigma_{ii}` of the training inputs).
    trials : int
        Independent training sets (``>= 1``).
    rng : numpy.random.Generator or int or None
        Randomness of the data (and of random pruning).
    ridge : float
        Ridge penalty :math:`\mu\ge0` of the trained model (0: min-norm least squares).

    Returns
    -------
    dict of str to pruning_lab.dc.simulate.MonteCarlo
        Risks ``"dense"`` (the trained model) and ``"pruned"``.
    """
    _check_problem(problem)
    rng, trials = as_rng(rng), _check_trials(trials)
    ridge = check_nonnegative(ridge, "ridge (the penalty mu)")
    s = check_sparsity(s, problem.p)
    dense, pruned = [], []
    for _ in range(trials):
        X, y = problem.sample(n, rng)
        w = lsq.min_norm_solution(X, y) if ridge == 0 else lsq.ridge_solution(X, y, ridge)
        dense.append(problem.population_risk(w))
        pruned.append(problem.population_risk(prune_weights(strategy, w, s, X=X, problem=problem, rng=rng).weights))
    return {"dense": MonteCarlo.of(dense), "pruned": MonteCarlo.of(pruned)}


def _refit_geometry(X: np.ndarray, y: np.ndarray, mask: np.ndarray, best: np.ndarray, weak: int):
    """Captured fraction, weak-direction share and coefficient error of least squares on the columns ``mask``."""
    residual = y - X[:, mask] @ best  # noise + the signal of the features outside the support
    U, S, Vt = np.linalg.svd(X[:, mask], full_matrices=False)
    c = U.T @ residual  # coordinates of the residual in the left singular directions (S descending)
    captured = float(c @ c)
    return captured / float(residual @ residual), float(np.sum(c[-weak:] ** 2)) / captured, Vt.T @ (c / S)


def simulate_refit_alignment(
    problem: LinearGaussianProblem, n: int, s: int, strategy: str = "magnitude", trials: int = 20, rng=0, weak=None
) -> dict:
    r"""Why same-sample and fresh-batch retraining differ: where the residual lies in the kept design.

    With :math:`s<n` kept features :math:`\Delta`, the refit on data :math:`(X,y)` is
    :math:`b_\Delta=\beta^\star_\Delta+X_\Delta^+\varepsilon`, where
    :math:`\varepsilon=y-X_\Delta\beta^\star_\Delta` is the label noise plus the signal of the
    features outside :math:`\Delta` (Def. 5).  With the SVD :math:`X_\Delta=USV^\top` and
    :math:`c=U^\top\varepsilon`, the coefficient error is :math:`X_\Delta^+\varepsilon=V(c/S)`:
    residual energy in weak directions (small :math:`S_k`) is amplified.  Each trial trains the
    min-norm model on ``n`` samples, prunes it to ``s`` weights (``strategy``), and measures on the
    *same* samples and on a *fresh* batch

    * ``"captured"``: :math:`\lVert c\rVert^2/\lVert\varepsilon\rVert^2`, the fraction of the residual
      the kept columns can fit (:math:`s/n` on average for a fresh batch, which is independent of
      :math:`\Delta`);
    * ``"weak_share"``: the share of :math:`\lVert c\rVert^2` in the ``weak`` directions of smallest
      :math:`S_k` (``weak / s`` on average for a fresh batch; default ``weak = s // 4``);
    * ``"excess"``: :math:`(b_\Delta-\beta^\star_\Delta)^\top\Sigma_{\Delta\Delta}(b_\Delta-\beta^\star_\Delta)`,
      the refit's risk minus :math:`\sigma_\Delta^2`.

    Used in the chapter :doc:`/book/predicting_pruning`.

    Parameters
    ----------
    problem : pruning_lab.problems.LinearGaussianProblem
        The data model.
    n : int
        Samples per training set and per fresh batch.
    s : int
        Number of weights kept, ``1 <= s < n`` (least squares on the kept features is then unique).
    strategy : str
        One of :data:`pruning_lab.pipeline.STRATEGIES` except ``"obs"``.
    trials : int
        Independent training sets (``>= 1``).
    rng : numpy.random.Generator or int or None
        Randomness of the data.
    weak : int or None
        Number of weakest singular directions in ``"weak_share"``, ``1 <= weak <= s``.

    Returns
    -------
    dict
        ``{"same": {...}, "fresh": {...}}``, each mapping ``"captured"``, ``"weak_share"`` and
        ``"excess"`` to a :class:`MonteCarlo`.
    """
    _check_problem(problem)
    rng, trials = as_rng(rng), _check_trials(trials)
    if isinstance(s, bool) or not isinstance(s, (int, np.integer)) or not 1 <= s < min(n, problem.p + 1):
        raise ValueError(f"s must be an integer with 1 <= s < n = {n} and s <= p = {problem.p}, got {s!r}")
    weak = max(int(s) // 4, 1) if weak is None else weak
    if isinstance(weak, bool) or not isinstance(weak, (int, np.integer)) or not 1 <= weak <= s:
        raise ValueError(f"weak must be an integer in 1..s = {s}, got {weak!r}")
    if strategy == "obs":
        raise ValueError("strategy 'obs' moves the kept weights; use magnitude, hessian, oracle or random")
    out = {k: {"captured": [], "weak_share": [], "excess": []} for k in ("same", "fresh")}
    for _ in range(trials):
        X, y = problem.sample(n, rng)
        mask = prune_weights(strategy, lsq.min_norm_solution(X, y), int(s), X=X, problem=problem, rng=rng).mask
        restricted = problem.restrict(mask)
        cov = restricted.covariance_matrix()
        for name, (Xb, yb) in (("same", (X, y)), ("fresh", problem.sample(n, rng))):
            captured, share, err = _refit_geometry(Xb, yb, mask, restricted.beta, int(weak))
            out[name]["captured"].append(captured)
            out[name]["weak_share"].append(share)
            out[name]["excess"].append(float(err @ cov @ err))
    return {name: {k: MonteCarlo.of(v) for k, v in values.items()} for name, values in out.items()}
