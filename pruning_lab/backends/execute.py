"""Executing the runs of a sweep: in this process, over joblib processes, or on a Dask cluster.

Every backend runs the same body, :func:`~pruning_lab.backends.claims.claimed_run`, wherever the run
executes: it skips a
run that is stored, claims it (:class:`~pruning_lab.backends.claims.Claim`, a lease file next to
the run file), computes it, saves it with :meth:`pruning_lab.runs.RunStore.save` and releases the
claim.  A run whose claim is held by another live owner (a second driver on the same store, or a
worker that has not died) is *held*: :func:`~pruning_lab.backends.execute.execute_runs` waits until it is
stored, or until its
claim lapses and it can be claimed here.  So two drivers on one store compute every run once,
and a crashed executor's runs are taken over once its lease is no longer live.
"""

from __future__ import annotations

import contextlib
import numbers
import os
import time

from tqdm.auto import tqdm

from .._atomic import exit_with_driver
from .claims import LEASE_SECONDS, claim_is_live, claimed_run, lease_path, read_claim

__all__ = ["BACKENDS", "POLL_SECONDS", "check_backend", "compute_cached", "execute_runs"]

#: The executors of :func:`~pruning_lab.backends.execute.execute_runs` (``backend`` of
#: :func:`pruning_lab.runs.run_sweep`).
BACKENDS = ("serial", "joblib", "dask")
#: How often a driver waiting for runs held by another owner looks at the store again, in seconds.
POLL_SECONDS = 1.0


def check_backend(backend, *, n_jobs, scheduler) -> str:
    """The backend to use, checked against ``n_jobs`` and ``scheduler``; ``ValueError`` naming the argument.

    ``None`` means ``"serial"`` for ``n_jobs == 1`` and ``"joblib"`` otherwise (the behaviour of
    :func:`pruning_lab.runs.run_sweep` before it had backends).  ``"serial"`` takes
    ``n_jobs == 1`` only; ``"dask"`` takes no ``n_jobs`` (the cluster's workers set the
    parallelism) and a ``scheduler``; the other backends take no ``scheduler``.
    """
    if backend is not None and backend not in BACKENDS:
        raise ValueError(f"backend must be one of {', '.join(map(repr, BACKENDS))} or None, got {backend!r}")
    if backend is None:
        backend = "dask" if scheduler is not None else "serial" if n_jobs == 1 else "joblib"
    if backend == "dask":
        if n_jobs != 1:
            raise ValueError(
                f"n_jobs must be 1 (its default) with backend='dask': the cluster's workers set the parallelism, "
                f"got n_jobs={n_jobs!r}"
            )
        return backend
    if scheduler is not None:
        raise ValueError(f"scheduler is only used with backend='dask', got backend={backend!r}")
    if backend == "serial" and n_jobs != 1:
        raise ValueError(f"n_jobs must be 1 with backend='serial', got {n_jobs!r} (use backend='joblib')")
    return backend


def _joblib_body(run, store, config, lease_seconds, driver):
    exit_with_driver(driver)  # a worker ends with its driver, even one killed by SIGKILL
    return config, claimed_run(run, store, config, lease_seconds=lease_seconds, worker="joblib")


def _outcomes(todo, run, store, *, backend, n_jobs, scheduler, lease_seconds):
    """``(config, outcome)`` for every config of ``todo`` as its run ends."""
    if backend == "serial" or (backend == "joblib" and len(todo) <= 1):
        for config in todo:
            yield config, claimed_run(run, store, config, lease_seconds=lease_seconds, worker="serial")
    elif backend == "joblib":
        from joblib import Parallel, delayed

        jobs = (delayed(_joblib_body)(run, store, c, lease_seconds, os.getpid()) for c in todo)
        yield from Parallel(n_jobs=n_jobs, return_as="generator_unordered")(jobs)
    else:  # scheduler: the connected distributed.Client
        from .cluster import dask_outcomes

        yield from dask_outcomes(todo, run, store, client=scheduler, lease_seconds=lease_seconds)


def _wait_for_others(held, store, bar, poll):
    """Wait until some run of ``held`` is free to claim; count the ones stored meanwhile; return the rest."""
    while held:
        still = []
        for config in held:
            if store.has(config):
                bar.update()
            else:
                still.append(config)
        held = still
        if any(not claim_is_live(read_claim(lease_path(store, c))) for c in held):
            return held
        if held:
            time.sleep(poll)
    return held


def execute_runs(
    todo, run, store, *, backend="serial", n_jobs=1, scheduler=None, progress=True, lease_seconds=LEASE_SECONDS
):
    """Run and save every configuration of ``todo`` with ``backend``, claiming each run before it starts.

    Parameters
    ----------
    todo : list
        Configurations (dicts of canonical values or dataclass instances) not yet in ``store``.
    run : callable
        ``run(config) -> dict`` of results (picklable for ``"joblib"`` and ``"dask"``).
    store : pruning_lab.runs.RunStore
        Where each finished run is saved, by whoever computed it; on shared storage for ``"dask"``.
    backend : str
        One of :data:`~pruning_lab.backends.execute.BACKENDS` (see :func:`~pruning_lab.backends.execute.check_backend`).
    n_jobs : int
        Worker processes of ``"joblib"``.
    scheduler : str or distributed.Client or None
        The Dask scheduler (see :func:`pruning_lab.backends.cluster.connect`).
    progress : bool
        Show a ``tqdm`` bar over the runs of ``todo``.
    lease_seconds : float
        Lifetime of a claim between renewals (see :mod:`pruning_lab.backends.claims`).

    Runs held by another live owner are waited for (the store is looked at every
    :data:`~pruning_lab.backends.execute.POLL_SECONDS`) and claimed here if their owner's lease lapses.  The
    first exception
    of a run is raised (the other runs of the pass are cancelled where the backend can).
    """
    if not isinstance(lease_seconds, numbers.Real) or not lease_seconds > 0:
        raise ValueError(f"lease_seconds must be a positive number, got {lease_seconds!r}")
    if not todo:
        return
    store.directory.mkdir(parents=True, exist_ok=True)
    with contextlib.ExitStack() as stack:
        if backend == "dask":
            from .cluster import connect

            scheduler = stack.enter_context(connect(scheduler, store))
        _execute(list(todo), run, store, backend, n_jobs, scheduler, progress, lease_seconds)


def _execute(pending, run, store, backend, n_jobs, scheduler, progress, lease_seconds):
    with tqdm(total=len(pending), desc="runs", disable=not progress) as bar:
        while pending:
            held = []
            outcomes = _outcomes(
                pending,
                run,
                store,
                backend=backend,
                n_jobs=n_jobs,
                scheduler=scheduler,
                lease_seconds=lease_seconds,
            )
            for config, outcome in outcomes:
                if outcome == "held":
                    held.append(config)
                else:
                    bar.update()
            pending = _wait_for_others(held, store, bar, POLL_SECONDS)


class _CacheRuns:
    """A :class:`pruning_lab.runs.ResultCache` seen as a store of runs (what
    :func:`~pruning_lab.backends.execute.execute_runs` uses)."""

    def __init__(self, cache):
        self.cache, self.directory = cache, cache.directory

    def has(self, config) -> bool:
        return self.cache.path(config).is_file()

    def save(self, config, result):
        return self.cache.save(config, result)

    def path(self, config):
        return self.cache.path(config)

    def absolute(self):
        return _CacheRuns(type(self.cache)(self.directory.resolve(), self.cache.namespace))


def compute_cached(configs, compute, cache, *, backend="serial", scheduler=None, progress=False):
    """Fill ``cache`` with ``compute(config)`` for every configuration it lacks, with ``backend``, under claims.

    Afterwards ``cache.cached(config, ...)`` finds every cell.  How the theory sweeps run on a
    cluster (the lottery phase diagram of the chapter :doc:`/book/lottery_tickets`, the
    random-features curves of :doc:`/book/random_features`).

    Parameters
    ----------
    configs : list of dict
        The cells' parameters (the cache's keys).
    compute : callable
        ``compute(config) -> dict`` of arrays; picklable (a module-level function) for
        ``"joblib"`` and ``"dask"``.
    cache : pruning_lab.runs.ResultCache
        Where each cell is saved by whoever computes it (on storage every worker sees, for ``"dask"``).
    backend : str
        One of :data:`~pruning_lab.backends.execute.BACKENDS`; ``"joblib"`` uses one process per CPU.
    scheduler : str or distributed.Client or None
        The Dask scheduler of ``backend="dask"``.
    progress : bool
        Show a ``tqdm`` bar over the missing cells.
    """
    backend = check_backend(backend, n_jobs=-1 if backend == "joblib" else 1, scheduler=scheduler)
    store = _CacheRuns(cache)
    todo = list({store.path(c).name: c for c in configs if not store.has(c)}.values())
    execute_runs(
        todo,
        compute,
        store,
        backend=backend,
        n_jobs=-1 if backend == "joblib" else 1,
        scheduler=scheduler,
        progress=progress,
    )
