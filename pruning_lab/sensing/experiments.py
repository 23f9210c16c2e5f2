r"""Experiments of the chapter :doc:`/book/matrix_sensing` (our settings; the paper's were not recovered).

* :func:`sensing_run`: one data set, the pipeline train (group Lasso) → prune → fine-tune, and the
  same gradient descent without the regularizer from the same :math:`U_0`.
* :func:`sensing_baselines`: on the data of a run, the two baselines of the book's question, the
  :math:`k=r` model trained directly (from several starts) and the unregularized model pruned to its
  :math:`r` largest columns and fine-tuned.
* :func:`generalization_curve`: error :math:`\lVert UU^\top-M_\star\rVert_F` of all four models against
  the number of measurements :math:`n`, with the exact asymptotic errors of
  ``pruning_lab.sensing.asymptotics``.
* :func:`survivor_map`: number of surviving columns over a grid of :math:`(\lambda,\beta)`, with the
  boundaries :math:`\lambda/\sqrt\beta=4(\sigma^\star_r)^2` (a missing direction stops being a strict
  saddle) and :math:`\lambda/\sqrt\beta=4(\sigma^\star_1)^2` (:math:`U=0` becomes a local minimum), our derivation.

All are our reconstruction, in the spirit of :cite:`rajaraman2023greedy`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ..validation import as_rng, check_array
from .asymptotics import asymptotic_error, overfit_dimension
from .model import Measurements, SensingProblem, _check_count
from .objective import SensingObjective
from .train import (
    PruneFinetuneResult,
    TrainResult,
    column_norms,
    finetune,
    gradient_descent,
    min_measurements,
    random_init,
    train_prune_finetune,
    train_small_model,
)

__all__ = [
    "GeneralizationCurve",
    "SensingBaselines",
    "SensingRun",
    "SurvivorMap",
    "generalization_curve",
    "sensing_baselines",
    "sensing_run",
    "survivor_map",
]

#: The pipeline's schedule when :func:`sensing_run` is not told otherwise (those of
#: :func:`~pruning_lab.sensing.train.train_prune_finetune`).
_SCHEDULE = {
    "eta": 0.02,
    "steps": 6000,
    "init_scale": 0.01,
    "ft_eta": 0.05,
    "ft_steps": 3000,
    "ft_tol": None,
    "record_every": 10,
}


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
    r"""One data set ``(A, y)`` of ``problem``, the start :math:`U_0`, the pipeline result, the
    unregularized gradient descent from the same :math:`U_0` (``None`` if not run) and the pipeline's
    ``schedule`` (``eta``, ``steps``, ``init_scale``, ``ft_eta``, ``ft_steps``, ``ft_tol``,
    ``record_every``), which the baselines of :func:`sensing_baselines` reuse."""

    problem: SensingProblem
    A: Measurements
    y: np.ndarray
    U0: np.ndarray
    pipeline: PruneFinetuneResult
    unregularized: TrainResult | None
    schedule: dict = field(default_factory=dict)


def sensing_run(
    problem: SensingProblem,
    n: int,
    k: int,
    lam: float,
    beta: float,
    *,
    rng=0,
    init_rng=None,
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
        Randomness of the measurements and observations, then of :math:`U_0` (unless ``init_rng``).
    init_rng : numpy.random.Generator or int or None
        Randomness of :math:`U_0` alone (``None``: continue with ``rng``), to vary the start on fixed data.
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
        The data, :math:`U_0`, the pipeline result, the unregularized run and the schedule.
    """
    k, n = _check_problem(problem, k, n)
    rng = as_rng(rng)
    A, y = problem.sample(n, rng)
    schedule = {key: pipeline_kwargs.get(key, default) for key, default in _SCHEDULE.items()}
    pipeline_kwargs.pop("init_scale", None)
    U0 = random_init(problem.d, k, schedule["init_scale"], rng if init_rng is None else as_rng(init_rng))
    result = train_prune_finetune(A, y, k, lam, beta, U0=U0, M_star=problem.M_star, **pipeline_kwargs)
    plain = None
    if unregularized:
        plain = gradient_descent(
            SensingObjective.empirical(A, y),
            U0,
            schedule["eta"],
            schedule["steps"],
            M_star=problem.M_star,
            record_every=schedule["record_every"],
        )
    return SensingRun(problem, A, y, U0, result, plain, schedule)


@dataclass(frozen=True, eq=False)
class SensingBaselines:
    r"""The baselines of the book's question on the data of one :class:`SensingRun`.

    ``direct``: the :math:`k=r` model trained directly
    (:func:`~pruning_lab.sensing.train.train_small_model`), one result per start; ``plain_pruned``: the
    unregularized :math:`k`-column model pruned to its :math:`r` largest columns
    (:func:`~pruning_lab.sensing.train.prune_top_columns`) and fine-tuned, with ``plain_prune_error`` the
    recovery error right after pruning.  Made by :func:`sensing_baselines`; used in the chapter
    :doc:`/book/matrix_sensing`.
    """

    direct: tuple
    plain_pruned: TrainResult
    plain_prune_error: float

    @property
    def direct_errors(self) -> np.ndarray:
        r"""Final recovery error :math:`\lVert UU^\top-M_\star\rVert_F` of the direct model from each start."""
        return np.array([run.errors[-1] for run in self.direct])

    @property
    def direct_spread(self) -> float:
        """Largest minus smallest final error over the starts (0 when the outcome does not depend on the start)."""
        errors = self.direct_errors
        return float(errors.max() - errors.min())


def sensing_baselines(run: SensingRun, *, starts: int = 3, rng=0) -> SensingBaselines:
    r"""The two baselines on the data of ``run``, with the optimizer budget of its pipeline.

    * The :math:`r`-column model trained directly from ``starts`` random starts (scale ``init_scale``,
      drawn from ``rng``): ``steps`` steps at ``eta``, then at most ``ft_steps`` at ``ft_eta``, each
      phase stopping at the pipeline's fine-tuning tolerance (default 1e-7 if it had none).
    * The unregularized :math:`k`-column model of ``run`` pruned to its :math:`r` largest columns, then
      fine-tuned exactly as the pipeline's pruned model (``ft_eta``, ``ft_steps``, ``ft_tol``).

    Used in the chapter :doc:`/book/matrix_sensing`.
    """
    if not isinstance(run, SensingRun) or run.unregularized is None:
        raise ValueError("run must be a SensingRun made with unregularized=True")
    starts = _check_count(starts, "starts")
    rng, sch, problem = as_rng(rng), run.schedule, run.problem
    tol = 1e-7 if sch["ft_tol"] is None else sch["ft_tol"]
    direct = tuple(
        train_small_model(
            run.A,
            run.y,
            problem.r,
            eta=sch["eta"],
            steps=sch["steps"],
            ft_eta=sch["ft_eta"],
            ft_steps=sch["ft_steps"],
            tol=tol,
            M_star=problem.M_star,
            U0=random_init(problem.d, problem.r, sch["init_scale"], rng),
            record_every=sch["record_every"],
        )
        for _ in range(starts)
    )
    U = run.unregularized.U
    kept = np.sort(np.argsort(-column_norms(U), kind="stable")[: problem.r])
    tuned = finetune(
        U[:, kept],
        run.A,
        run.y,
        sch["ft_eta"],
        sch["ft_steps"],
        tol=sch["ft_tol"],
        M_star=problem.M_star,
        record_every=sch["record_every"],
    )
    return SensingBaselines(direct, tuned, float(tuned.errors[0]))


#: The models of a :class:`GeneralizationCurve`, by field name.
_CURVE_MODELS = ("pruned", "direct", "plain_pruned", "unregularized")


@dataclass(frozen=True, eq=False)
class GeneralizationCurve:
    r"""Errors :math:`\lVert UU^\top-M_\star\rVert_F` against :math:`n`, each of shape (trials, len(ns)).

    ``pruned``: group Lasso → prune → fine-tune; ``direct``: the :math:`r`-column model trained directly
    (first start) and ``direct_spread`` its largest-minus-smallest error over the starts;
    ``plain_pruned``: the unregularized model pruned to its :math:`r` largest columns and fine-tuned;
    ``unregularized``: plain gradient descent with :math:`k` columns; ``kept``: surviving columns of the
    pipeline.  The exact asymptotic root mean square errors (``pruning_lab.sensing.asymptotics``):
    ``asymptotic`` :math:`\sigma\sqrt{m/n}` and ``asymptotic_finite`` :math:`\sigma\sqrt{m/(n-m-1)}` of the
    :math:`r`-column least squares, ``asymptotic_k`` :math:`\sigma\sqrt{(m+c_k)/n}` of the :math:`k`-column one.
    """

    ns: np.ndarray
    pruned: np.ndarray
    direct: np.ndarray
    direct_spread: np.ndarray
    plain_pruned: np.ndarray
    unregularized: np.ndarray
    kept: np.ndarray
    asymptotic: np.ndarray
    asymptotic_finite: np.ndarray
    asymptotic_k: np.ndarray

    def _values(self, which):
        if which not in _CURVE_MODELS:
            raise ValueError(f"which must be one of {', '.join(map(repr, _CURVE_MODELS))}, got {which!r}")
        return getattr(self, which)

    def rms(self, which: str = "pruned") -> np.ndarray:
        r"""Root mean square error over the trials, :math:`\sqrt{\overline{e^2}}`, per :math:`n` (the quantity
        the asymptotic errors predict)."""
        return np.sqrt(np.mean(self._values(which) ** 2, axis=0))

    def rms_se(self, which: str = "pruned") -> np.ndarray:
        r"""Standard error of :meth:`rms` (delta method: s.e. of :math:`\overline{e^2}` over
        :math:`2\sqrt{\overline{e^2}}`; NaN with one trial)."""
        sq = self._values(which) ** 2
        if sq.shape[0] < 2:
            return np.full(sq.shape[1], np.nan)
        return sq.std(axis=0, ddof=1) / np.sqrt(sq.shape[0]) / (2 * self.rms(which))

    def slope(self, which: str = "pruned", min_n: int = 0) -> float:
        """Least-squares slope of log(:meth:`rms`) against log n over ``n >= min_n`` (-1/2 for the
        :math:`\\sqrt{m/n}` rate)."""
        values = self.rms(which)
        keep = self.ns >= min_n
        if keep.sum() < 2:
            raise ValueError(f"need at least two values of n >= min_n = {min_n} to fit a slope")
        return float(np.polyfit(np.log(self.ns[keep]), np.log(values[keep]), 1)[0])


def generalization_curve(
    problem: SensingProblem,
    ns,
    k: int,
    lam: float,
    beta: float,
    *,
    trials: int = 2,
    starts: int = 1,
    rng=0,
    progress: bool = True,
    **pipeline_kwargs,
) -> GeneralizationCurve:
    r"""Run :func:`sensing_run` and :func:`sensing_baselines` for every :math:`n` in ``ns``, ``trials``
    independent data sets each.

    Fine-tuning runs until :math:`\lVert\nabla\mathcal L_{\rm emp}\rVert_F\le` ``ft_tol`` (default
    1e-7) or ``ft_steps`` (default 5000) steps.  Each run's error is :math:`\lVert UU^\top-M_\star\rVert_F`
    of the final model; the asymptotic errors are those of the measurement ensemble
    ``"sym_gauss"``.  Used in the chapter :doc:`/book/matrix_sensing`.

    Parameters
    ----------
    problem : pruning_lab.sensing.model.SensingProblem
        Ground truth, noise level and measurement ensemble (``"sym_gauss"``).
    ns : array_like of int
        Numbers of measurements :math:`n`, each more than
        :func:`~pruning_lab.sensing.train.min_measurements` ``(d, r)`` + 1.
    k : int
        Number of columns of the factor, ``k >= r``.
    lam : float
        Regularization strength :math:`\lambda\ge0`.
    beta : float
        Smoothing :math:`\beta\ge0` of the group Lasso.
    trials : int
        Independent data sets (and starts) per :math:`n`, ``>= 1``.
    starts : int
        Starts of the directly trained :math:`r`-column model per data set, ``>= 1``.
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
        The errors of the four models, of shape ``(trials, len(ns))``, and the asymptotic errors.
    """
    ns = check_array(ns, "ns", ndim=1).astype(int)
    for n in ns:
        _check_problem(problem, k, int(n))
        if n <= min_measurements(problem.d, problem.r) + 1:
            raise ValueError(f"every n in ns must exceed m + 1 = {min_measurements(problem.d, problem.r) + 1}")
    if problem.kind != "sym_gauss":
        raise ValueError(
            f"problem.kind must be 'sym_gauss' (the ensemble of the asymptotic errors), got {problem.kind!r}"
        )
    trials = _check_count(trials, "trials")
    pipeline_kwargs = {"ft_tol": 1e-7, "ft_steps": 5000, "record_every": 100} | pipeline_kwargs
    rng = as_rng(rng)
    out = np.zeros((6, trials, ns.size))
    for t, j in _progress([(t, j) for t in range(trials) for j in range(ns.size)], progress, "generalization curve"):
        run = sensing_run(problem, int(ns[j]), k, lam, beta, rng=rng, **pipeline_kwargs)
        base = sensing_baselines(run, starts=starts, rng=rng)
        out[:, t, j] = (
            run.pipeline.finetuned.errors[-1],
            base.direct_errors[0],
            base.direct_spread,
            base.plain_pruned.errors[-1],
            run.unregularized.errors[-1],
            run.pipeline.n_kept,
        )
    d, r, sigma = problem.d, problem.r, problem.noise_sigma
    m = min_measurements(d, r)
    excess = overfit_dimension(d, r, k)
    theory = (
        np.array([asymptotic_error(d, r, int(n), sigma) for n in ns]),
        np.array([asymptotic_error(d, r, int(n), sigma, finite_n=True) for n in ns]),
        sigma * np.sqrt((m + excess) / ns),
    )
    return GeneralizationCurve(ns, *out[:5], out[5].astype(int), *theory)


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
