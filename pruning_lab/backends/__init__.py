"""Executors of sweeps: serial, joblib processes or a Dask cluster, with claims so no run is computed twice.

:func:`pruning_lab.runs.run_sweep` hands the runs a store does not hold yet to
:func:`~pruning_lab.backends.execute.execute_runs`, which runs them with one of
:data:`~pruning_lab.backends.execute.BACKENDS`.  Wherever a run executes it
is first claimed by a lease file next to its run file (:class:`~pruning_lab.backends.claims.Claim`, module
:mod:`pruning_lab.backends.claims`), computed, saved by :meth:`pruning_lab.runs.RunStore.save`
and released; a run another live driver or worker holds is waited for, and a dead owner's claim is
taken over.  The Dask backend (:mod:`pruning_lab.backends.cluster`, extra ``dask``) is imported
only when asked for.  Used for the network sweeps of the chapter :doc:`/book/pruning_mnist`.
"""

from .claims import LEASE_SECONDS, Claim, claim_is_live, claimed_run, lease_path, read_claim
from .execute import BACKENDS, POLL_SECONDS, check_backend, compute_cached, execute_runs

__all__ = [
    "BACKENDS",
    "LEASE_SECONDS",
    "POLL_SECONDS",
    "Claim",
    "check_backend",
    "claim_is_live",
    "claimed_run",
    "compute_cached",
    "execute_runs",
    "lease_path",
    "read_claim",
]
