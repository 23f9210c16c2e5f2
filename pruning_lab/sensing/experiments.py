r"""Experiments of the chapter :doc:`/book/matrix_sensing` (our settings; the paper's were not recovered).

* :func:`sensing_run`: one data set, the pipeline train (group Lasso) → prune → fine-tune, and the
  same gradient descent without the regularizer from the same :math:`U_0`.
* :func:`generalization_curve`: error :math:`\lVert UU^\top-M_\star\rVert_F` after prune + fine-tune
  against the number of measurements :math:`n`, with the reference :math:`\sigma\sqrt{rd/n}`.
* :func:`survivor_map`: number of surviving columns over a grid of :math:`(\lambda,\beta)`, with the
  boundaries :math:`\lambda/\sqrt\beta=4(\sigma^\star_r)^2` (a missing direction stops being a strict
  saddle) and :math:`\lambda/\sqrt\beta=4(\sigma^\star_1)^2` (:math:`U=0` becomes a local minimum), our derivation.

All are our reconstruction, in the spirit of :cite:`rajaraman2023greedy`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..validation import as_rng, check_array
from .model import Measurements, SensingProblem, _check_count
from .objective import SensingObjective
from .train import (
    PruneFinetuneResult,
    TrainResult,
    column_norms,
    gradient_descent,
    min_measurements,
    random_init,
    train_prune_finetune,
)

__all__ = [
    "GeneralizationCurve",
    "SensingRun",
    "SurvivorMap",
    "generalization_curve",
    "sensing_run",
    "survivor_map",
]


def _progress(items, progress, desc, total=None):
    """Wrap ``items`` in a tqdm bar when ``progress`` (tqdm is imported only then)."""
    if not progress:
        return items
    from tqdm.auto import tqdm

    return tqdm(items, desc=desc, total=total)


def _check_problem(problem, k, n=None):
    if not isinstance(problem, SensingProblem):
        raise ValueError(f"problem must be a SensingProblem, got {type(problem).__name__}")
    k = _check_count(k, "k (number of columns)")
    if k < problem.r:
        raise ValueError(f"k = {k} columns cannot fit a rank-{problem.r} ground truth: need k >= r = {problem.r}")
    if n is not None:
        n = _check_count(n, "n (number of measurements)")
        need = min_measurements(problem.d, problem.r)
        if n < need:
            raise ValueError(
                f"too few measurements: n = {n}, but a rank-{problem.r} {problem.d}×{problem.d} "
                f"matrix has r d - r(r-1)/2 = {need} degrees of freedom; use n >= {need}"
            )
    return k, n


@dataclass(frozen=True, eq=False)
class SensingRun:
    r"""One data set ``(A, y)`` of ``problem``, the start :math:`U_0`, the pipeline result and the
    unregularized gradient descent from the same :math:`U_0` (``None`` if not run)."""

    problem: SensingProblem
    A: Measurements
    y: np.ndarray
    U0: np.ndarray
    pipeline: PruneFinetuneResult
    unregularized: TrainResult | None


def sensing_run(
    problem: SensingProblem,
    n: int,
    k: int,
    lam: float,
    beta: float,
    *,
    rng=0,
    unregularized: bool = True,
    **pipeline_kwargs,
) -> SensingRun:
    r"""Sample ``n`` measurements of ``problem``, run :func:`~pruning_lab.sensing.train.train_prune_finetune`
    and (with ``unregularized``) gradient descent on the plain loss :math:`\mathcal L_{\rm emp}` with the
    same :math:`U_0`, step and number of steps.  Errors are recorded against :math:`M_\star`.

    ``pipeline_kwargs`` go to ``train_prune_finetune`` (``eta``, ``steps``, ``init_scale``, ``tau``,
    ``ft_eta``, ``ft_steps``, ``ft_tol``, ``form``, ``record_every``).  Used in the chapter
    :doc:`/book/matrix_sensing`.

    Parameters
    ----------
    problem : pruning_lab.sensing.model.SensingProblem
        Ground truth :math:`M_\star=U_\star U_\star^\top`, noise level and measurement ensemble.
    n : int
        Number of measurements, at least :func:`~pruning_lab.sensing.train.min_measurements` ``(d, r)``.
    k : int
        Number of columns of the factor :math:`U\in\mathbb R^{d\times k}`, ``k >= r``.
    lam : float
        Regularization strength :math:`\lambda\ge0` of :math:`\mathcal L_{\rm emp}+\lambda R_\beta`.
    beta : float
        Smoothing :math:`\beta\ge0` of the group Lasso (and the default threshold :math:`\tau=\sqrt\beta`).
    rng : numpy.random.Generator or int or None
        Randomness of the measurements and observations, then of :math:`U_0`.
    unregularized : bool
        Also run plain gradient descent on :math:`\mathcal L_{\rm emp}` from the same :math:`U_0`, with the
        pipeline's ``eta``, ``steps`` and ``record_every`` (defaults 0.02, 6000, 10).
    **pipeline_kwargs
        Keyword arguments of :func:`~pruning_lab.sensing.train.train_prune_finetune` listed above;
        ``init_scale`` (default 0.01) sets the entries' standard deviation of :math:`U_0`, drawn here.
        ``U0`` and ``M_star`` are set here and must not be given.

    Returns
    -------
    SensingRun
        The data, :math:`U_0`, the pipeline result and the unregularized run.
    """
    k, n = _check_problem(problem, k, n)
    rng = as_rng(rng)
    A, y = problem.sample(n, rng)
    U0 = random_init(problem.d, k, pipeline_kwargs.pop("init_scale", 0.01), rng)
    result = train_prune_finetune(A, y, k, lam, beta, U0=U0, M_star=problem.M_star, **pipeline_kwargs)
    plain = None
    if unregularized:
        plain = gradient_descent(
            SensingObjective.empirical(A, y),
            U0,
            pipeline_kwargs.get("eta", 0.02),
            pipeline_kwargs.get("steps", 6000),
            M_star=problem.M_star,
            record_every=pipeline_kwargs.get("record_every", 10),
        )
    return SensingRun(problem, A, y, U0, result, plain)


@dataclass(frozen=True, eq=False)
class GeneralizationCurve:
    r"""Errors :math:`\lVert UU^\top-M_\star\rVert_F` against :math:`n`: ``pruned`` (prune + fine-tune),
    ``unregularized`` (plain gradient descent, :math:`k` columns), ``kept`` (surviving columns), each of
    shape (trials, len(ns)); ``reference`` is :math:`\sigma\sqrt{rd/n}` and ``reference_k`` the
    :math:`k`-column level :math:`\sigma\sqrt{kd/n}`."""

    ns: np.ndarray
    pruned: np.ndarray
    unregularized: np.ndarray
    kept: np.ndarray
    reference: np.ndarray
    reference_k: np.ndarray

    def slope(self, which: str = "pruned", min_n: int = 0) -> float:
        """Least-squares slope of log(mean error) against log n over ``n >= min_n`` (-1/2 for the
        :math:`\\sqrt{rd/n}` rate)."""
        if which not in ("pruned", "unregularized"):
            raise ValueError(f"which must be 'pruned' or 'unregularized', got {which!r}")
        keep = self.ns >= min_n
        if keep.sum() < 2:
            raise ValueError(f"need at least two values of n >= min_n = {min_n} to fit a slope")
        return float(np.polyfit(np.log(self.ns[keep]), np.log(getattr(self, which).mean(axis=0)[keep]), 1)[0])


def generalization_curve(
    problem: SensingProblem,
    ns,
    k: int,
    lam: float,
    beta: float,
    *,
    trials: int = 2,
    rng=0,
    progress: bool = True,
    **pipeline_kwargs,
) -> GeneralizationCurve:
    r"""Run :func:`sensing_run` for every :math:`n` in ``ns``, ``trials`` independent data sets each.

    Fine-tuning runs until :math:`\lVert\nabla\mathcal L_{\rm emp}\rVert_F\le` ``ft_tol`` (default
    1e-7) or ``ft_steps`` (default 5000) steps.  Each run's error is :math:`\lVert UU^\top-M_\star\rVert_F`
    of the final model, to set against :math:`\sigma\sqrt{rd/n}`.  Used in the chapter
    :doc:`/book/matrix_sensing`.

    Parameters
    ----------
    problem : pruning_lab.sensing.model.SensingProblem
        Ground truth, noise level and measurement ensemble.
    ns : array_like of int
        Numbers of measurements :math:`n`, each at least
        :func:`~pruning_lab.sensing.train.min_measurements` ``(d, r)``.
    k : int
        Number of columns of the factor, ``k >= r``.
    lam : float
        Regularization strength :math:`\lambda\ge0`.
    beta : float
        Smoothing :math:`\beta\ge0` of the group Lasso.
    trials : int
        Independent data sets (and starts) per :math:`n`, ``>= 1``.
    rng : numpy.random.Generator or int or None
        One stream for all runs, used trial by trial, :math:`n` by :math:`n`.
    progress : bool
        Show a ``tqdm`` bar over the runs.
    **pipeline_kwargs
        Passed on to :func:`sensing_run` (and from there to
        :func:`~pruning_lab.sensing.train.train_prune_finetune`); the defaults here are
        ``ft_tol=1e-7``, ``ft_steps=5000``, ``record_every=100``.  ``unregularized=False`` is not
        allowed (the curve needs the unregularized run).

    Returns
    -------
    GeneralizationCurve
        ``pruned``, ``unregularized`` and ``kept`` of shape ``(trials, len(ns))`` and the references.
    """
    ns = check_array(ns, "ns", ndim=1).astype(int)
    for n in ns:
        _check_problem(problem, k, int(n))
    trials = _check_count(trials, "trials")
    pipeline_kwargs = {"ft_tol": 1e-7, "ft_steps": 5000, "record_every": 100} | pipeline_kwargs
    rng = as_rng(rng)
    out = np.zeros((3, trials, ns.size))
    for t, j in _progress([(t, j) for t in range(trials) for j in range(ns.size)], progress, "generalization curve"):
        run = sensing_run(problem, int(ns[j]), k, lam, beta, rng=rng, **pipeline_kwargs)
        out[:, t, j] = run.pipeline.finetuned.errors[-1], run.unregularized.errors[-1], run.pipeline.n_kept
    level = problem.noise_sigma * np.sqrt(problem.d / ns)
    return GeneralizationCurve(ns, out[0], out[1], out[2].astype(int), level * np.sqrt(problem.r), level * np.sqrt(k))


@dataclass(frozen=True, eq=False)
class SurvivorMap:
    r"""Number of columns with :math:`\lVert Ue_i\rVert\ge\sqrt\beta` after regularized training, ``counts[i, j]``
    for ``betas[i]`` and ``lams[j]``; ``sing_vals`` of the ground truth and the step ``eta`` used."""

    lams: np.ndarray
    betas: np.ndarray
    counts: np.ndarray
    sing_vals: np.ndarray
    r: int
    eta: float

    def boundary(self, which: str = "saddle") -> np.ndarray:
        r"""The :math:`\lambda` of a boundary at each :math:`\beta`: ``"saddle"``
        :math:`4(\sigma^\star_r)^2\sqrt\beta`, ``"zero"`` :math:`4(\sigma^\star_1)^2\sqrt\beta`, ``"stability"``
        :math:`2\sqrt\beta/\eta` (above it, gradient descent with step :math:`\eta` oscillates around a
        zero column, whose curvature is :math:`\lambda/\sqrt\beta`)."""
        factor = {"saddle": 4 * self.sing_vals[-1] ** 2, "zero": 4 * self.sing_vals[0] ** 2, "stability": 2 / self.eta}
        if which not in factor:
            raise ValueError(f"which must be one of {', '.join(factor)}, got {which!r}")
        return factor[which] * np.sqrt(self.betas)


def survivor_map(
    problem: SensingProblem,
    n: int,
    k: int,
    lams,
    betas,
    *,
    eta: float = 0.02,
    steps: int = 6000,
    init_scale: float = 0.01,
    form: str = "sqrt",
    rng=0,
    progress: bool = True,
) -> SurvivorMap:
    r"""Train :math:`\mathcal L_{\rm emp}+\lambda R_\beta` on one data set from one :math:`U_0` for every
    :math:`(\lambda,\beta)` on the grid, and count the columns above the threshold :math:`\tau=\sqrt\beta`.

    Each cell is ``steps`` steps of :func:`~pruning_lab.sensing.train.gradient_descent` (no early
    stop); the count is :math:`|\{i:\lVert Ue_i\rVert\ge\sqrt\beta\}|`.  Used in the chapter
    :doc:`/book/matrix_sensing`.

    Parameters
    ----------
    problem : pruning_lab.sensing.model.SensingProblem
        Ground truth, noise level and measurement ensemble.
    n : int
        Number of measurements, at least :func:`~pruning_lab.sensing.train.min_measurements` ``(d, r)``.
    k : int
        Number of columns of the factor, ``k >= r``.
    lams : array_like of float
        Regularization strengths :math:`\lambda\ge0` (columns of ``counts``).
    betas : array_like of float
        Smoothings :math:`\beta\ge0` (rows of ``counts``).
    eta : float
        Step size :math:`\eta>0` of every run.
    steps : int
        Number of steps of every run, ``>= 1``.
    init_scale : float
        Standard deviation of the entries of :math:`U_0`.
    form : str
        Smoothing of the group Lasso, ``"sqrt"`` or ``"ratio"``.
    rng : numpy.random.Generator or int or None
        Randomness of the measurements and observations, then of :math:`U_0`.
    progress : bool
        Show a ``tqdm`` bar over the cells.

    Returns
    -------
    SurvivorMap
        ``counts`` of shape ``(len(betas), len(lams))``.
    """
    k, n = _check_problem(problem, k, n)
    lams = check_array(lams, "lams", ndim=1)
    betas = check_array(betas, "betas", ndim=1)
    rng = as_rng(rng)
    A, y = problem.sample(n, rng)
    U0 = random_init(problem.d, k, init_scale, rng)
    base = SensingObjective.empirical(A, y, 0.0, 0.0, form)
    counts = np.zeros((betas.size, lams.size), dtype=int)
    for i, j in _progress(np.ndindex(counts.shape), progress, "survivor map", counts.size):
        run = gradient_descent(base.with_regularizer(lams[j], betas[i]), U0, eta, steps, record_every=steps)
        counts[i, j] = np.sum(column_norms(run.U) >= np.sqrt(betas[i]))
    return SurvivorMap(lams, betas, counts, problem.sing_vals, problem.r, float(eta))
