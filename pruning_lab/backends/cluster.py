"""The Dask backend: runs of a sweep as tasks on a ``distributed`` cluster, saved by the workers.

**Where finished runs are saved.** By the worker that computed the run, into the run store,
which must therefore be on storage that every worker mounts at the same path (an NFS or Lustre
home or scratch directory on a Slurm/PBS cluster, a shared volume elsewhere).  Three reasons:
the width sweeps' pruned runs and the structured-pruning runs *read* dense checkpoints from the
store (:meth:`pruning_lab.runs.RunStore.artifact_path`), so their workers need it anyway; a run
saved where it finished survives the driver (a laptop that sleeps, a login-node session that is
killed): nothing finished waits in the driver's memory, and a run in flight when the driver dies
still finishes and is saved, since Dask cannot stop a running task; and the claims that keep two
drivers from computing the same run are lease files that every executor must see.
:func:`connect` checks before anything runs that every connected worker sees the store (a probe
file written by the driver), and a worker that cannot see it refuses to create it.

Connect with :func:`connect` (an address, a ``distributed.Client``, or a cluster object such
as a ``LocalCluster`` or a dask-jobqueue ``SLURMCluster``); resources requested with
``dask.annotate(resources={"GPU": 1})`` around :func:`pruning_lab.runs.run_sweep` are honoured
(each run then holds one ``GPU`` of a worker started with ``--resources GPU=1``).
"""

from __future__ import annotations

import contextlib
import os
import uuid

from .claims import LEASE_SECONDS, claimed_run

__all__ = ["connect", "dask_client", "dask_outcomes"]


def _sees(probe: str, token: str) -> bool:
    """On a worker: whether the driver's probe file is there with its token."""
    try:
        with open(probe) as handle:
            return handle.read() == token
    except OSError:
        return False


def _check_workers(client, store) -> None:
    """``ValueError`` unless every connected worker sees ``store`` and, if asked, offers the resources."""
    token = uuid.uuid4().hex
    store.directory.mkdir(parents=True, exist_ok=True)
    probe = store.directory / f".probe-{token}"
    probe.write_text(token)
    try:
        seen = client.run(_sees, os.path.abspath(probe), token)
    finally:
        probe.unlink(missing_ok=True)
    blind = sorted(w for w, ok in seen.items() if not ok)
    if blind:
        raise ValueError(
            f"store: the run store {str(store.directory.resolve())!r} is not visible on the Dask workers "
            f"{', '.join(blind)}; the workers save finished runs into it, so it must be on storage that every "
            "worker mounts at the same path (give --store as that absolute path)"
        )
    import dask

    wanted = dask.get_annotations().get("resources") or {}
    workers = client.scheduler_info()["workers"] if wanted else {}
    offers = [w.get("resources", {}) for w in workers.values()]
    if wanted and offers and not any(all(o.get(k, 0) >= v for k, v in wanted.items()) for o in offers):
        raise ValueError(
            f"resources: no Dask worker offers {wanted} (start the workers with --resources, e.g. "
            f"'dask worker ADDRESS --resources GPU=1')"
        )


@contextlib.contextmanager
def connect(scheduler, store=None):
    """A ``distributed.Client`` for ``scheduler``, closed on exit if it was opened here.

    ``scheduler`` is an address (``"tcp://host:8786"``), a ``Client``, a cluster object (a
    ``LocalCluster``, a dask-jobqueue cluster...), or ``None`` for the current default client.
    An unreachable address raises ``ConnectionError`` naming it, after Dask's connect timeout
    (``distributed.comm.timeouts.connect``, 30 s unless configured).  With ``store`` (a
    :class:`pruning_lab.runs.RunStore`), checks that every connected worker sees it.
    Used by :func:`pruning_lab.runs.run_sweep` (chapter :doc:`/book/pruning_mnist`'s sweeps on a cluster).
    """
    try:
        from distributed import Client
        from distributed.deploy import Cluster
    except ImportError:
        raise ImportError("backend='dask' needs dask and distributed: pip install 'pruning-lab[dask]'") from None

    owned = None
    if scheduler is None:
        try:
            from distributed import default_client

            client = default_client()
        except ValueError:
            raise ValueError(
                "scheduler must be given with backend='dask' (an address such as 'tcp://host:8786', a "
                "distributed.Client or a cluster) when no Dask client is active"
            ) from None
    elif isinstance(scheduler, Client):
        client = scheduler
    elif isinstance(scheduler, Cluster):
        client = owned = Client(scheduler, set_as_default=False)
    elif isinstance(scheduler, str) and scheduler.strip():
        try:
            client = owned = Client(scheduler, set_as_default=False)
        except (OSError, TimeoutError) as err:
            raise ConnectionError(
                f"cannot reach the Dask scheduler at {scheduler!r} ({type(err).__name__}: {err}); "
                "is it running, and is this the address it printed?"
            ) from None
        except (ValueError, TypeError) as err:
            raise ValueError(f"scheduler {scheduler!r} is not a Dask scheduler address ({err})") from None
    else:
        raise ValueError(
            "scheduler must be an address such as 'tcp://host:8786', a distributed.Client or a cluster, "
            f"got {scheduler!r}"
        )
    try:
        if store is not None:
            _check_workers(client, store)
        yield client
    finally:
        if owned is not None:
            owned.close()


@contextlib.contextmanager
def dask_client(scheduler=None, *, local_workers=None, store=None):
    """A Dask client: on a new local cluster of ``local_workers`` processes, or :func:`connect` to ``scheduler``.

    The local cluster (one thread per worker process, no dashboard) is shut down on exit.  The
    command line's ``--dask-local N`` and ``--scheduler ADDRESS``; ``store`` is checked as in
    :func:`connect`.
    """
    if local_workers is None:
        with connect(scheduler, store) as client:
            yield client
        return
    if isinstance(local_workers, bool) or not isinstance(local_workers, int) or local_workers < 1:
        raise ValueError(f"local_workers must be a positive number of worker processes, got {local_workers!r}")
    if scheduler is not None:
        raise ValueError("give scheduler or local_workers, not both")
    from distributed import LocalCluster

    with (
        LocalCluster(n_workers=local_workers, threads_per_worker=1, processes=True, dashboard_address=None) as cluster,
        connect(cluster, store) as client,
    ):
        yield client


def _dask_body(config, run, store, lease_seconds):
    """On a worker: :func:`~pruning_lab.backends.claims.claimed_run`, with the worker's address in the lease."""
    from distributed import get_worker

    try:
        worker = get_worker().address
    except ValueError:
        worker = "dask"
    return claimed_run(run, store, config, lease_seconds=lease_seconds, worker=worker)


def dask_outcomes(todo, run, store, *, client, lease_seconds=LEASE_SECONDS):
    """``(config, outcome)`` for each config of ``todo`` as its task on ``client``'s cluster ends.

    One task per run (key ``run-<key>-<random>``, shown on the Dask dashboard); the first failed
    run's exception is raised, and the tasks not yet finished are cancelled when this generator
    stops early (runs already executing finish and are saved by their workers).
    """
    from distributed import as_completed

    if not store.directory.is_absolute():  # a worker's working directory is not the driver's
        store = store.absolute() if hasattr(store, "absolute") else type(store)(store.directory.resolve())
    keys = [f"{store.path(c).stem}-{uuid.uuid4().hex[:8]}" for c in todo]
    by_key = dict(zip(keys, todo))
    futures = client.map(_dask_body, todo, key=keys, run=run, store=store, lease_seconds=lease_seconds)
    try:
        for future in as_completed(futures, loop=client.loop):
            yield by_key[future.key], future.result()
    finally:
        client.cancel([f for f in futures if not f.done()])
