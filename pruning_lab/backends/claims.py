"""Claims on runs: a lease file next to a run's file, so that no two processes compute the same run.

Before a run starts, its executor creates ``run-<key>.lease`` next to the run file
``run-<key>.json`` of the :class:`pruning_lab.runs.RunStore`.  The lease is a small JSON record
(``host``, ``pid``, ``worker``, ``token``, ``expires``, ``seconds``), written to a temporary file
and then *linked* into place (``os.link`` fails if the name exists, like ``O_CREAT | O_EXCL``, and
a reader never sees a half-written lease).  While the run is alive a thread renews the lease
(a new ``expires`` every ``seconds / 3``, written with ``os.replace``); when the run ends, with a
result or an exception, the lease is removed.

A lease is *live* while ``time.time() < expires`` and, when it was written on this host, while
its process exists.  So a killed worker's run is taken over at once on the same machine and
after at most ``seconds`` elsewhere.  A stale lease is broken by exactly one taker: the taker
first hard-links it to ``<lease>.dead-<token>`` (which fails for every other taker of the same
stale lease), checks that the link holds the stale token, and only then removes the lease and
competes for a fresh one.  The guarantee rests on renewal: an owner frozen for longer than
``seconds`` (a suspended process) can be taken over, and the run is then computed twice; since
runs are saved atomically and a configuration determines its result, the store stays
consistent.  Clocks of the machines must agree to well within ``seconds`` (NTP).
"""

from __future__ import annotations

import json
import os
import socket
import threading
import time
import uuid
from pathlib import Path

from .._atomic import pid_alive, temporary_file

__all__ = ["LEASE_SECONDS", "Claim", "claim_is_live", "claimed_run", "lease_path", "read_claim"]

#: Default lifetime of a lease, in seconds; it is renewed every third of it while the run is alive.
LEASE_SECONDS = 120.0

_HOST = socket.gethostname()


def read_claim(path) -> dict | None:
    """The lease at ``path`` as a dict, ``None`` if there is none.

    An unreadable lease (written without ``os.link`` support and caught half-written, or
    damaged) is reported with ``token`` ``"unreadable-<mtime>"`` and an expiry of its
    modification time plus :data:`~pruning_lab.backends.claims.LEASE_SECONDS`, so that it lapses like any other.
    """
    path = Path(path)
    try:
        text = path.read_text()
        mtime = path.stat().st_mtime_ns
    except FileNotFoundError:
        return None
    try:
        info = json.loads(text)
        if isinstance(info, dict) and {"token", "expires", "host", "pid"} <= set(info):
            return info
    except json.JSONDecodeError:
        pass
    return {"token": f"unreadable-{mtime}", "expires": mtime / 1e9 + LEASE_SECONDS, "host": "", "pid": -1}


def claim_is_live(info, now=None) -> bool:
    """Whether the lease ``info`` (from :func:`read_claim`) still holds its run.

    Live means :math:`t_{\\text{now}} < t_{\\text{expires}}` and, for a lease written on this host,
    that its process still exists.
    """
    if info is None:
        return False
    now = time.time() if now is None else now
    if now >= float(info["expires"]):
        return False
    if info.get("host") == _HOST and int(info["pid"]) != os.getpid():
        return pid_alive(int(info["pid"]))
    return True


def _write_new(path: Path, info: dict) -> bool:
    """Create ``path`` holding ``info`` only if it does not exist; whether we created it."""
    tmp = temporary_file(path)  # umask mode (colleagues read the lease), named for stale cleanup
    try:
        tmp.write_text(json.dumps(info))
        try:
            os.link(tmp, path)
        except FileExistsError:
            return False
        except OSError:  # no hard links on this filesystem: exclusive creation, then the content
            try:
                fd2 = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
            except FileExistsError:
                return False
            with os.fdopen(fd2, "w") as handle:
                handle.write(json.dumps(info))
        return True
    finally:
        Path(tmp).unlink(missing_ok=True)


def _break(path: Path, stale: dict) -> bool:
    """Remove the stale lease ``stale`` at ``path`` unless another taker is at it; whether we did."""
    dead = path.with_name(f"{path.name}.dead-{stale['token']}")
    try:
        os.link(path, dead)
    except FileExistsError:  # another taker is breaking this very lease
        return False
    except FileNotFoundError:  # already gone
        return True
    except OSError:  # no hard links: remove it if it still is the stale lease (a narrow race)
        current = read_claim(path)
        if current is not None and current["token"] == stale["token"]:
            path.unlink(missing_ok=True)
        return True
    try:
        current = read_claim(dead)
        if current is None or current["token"] != stale["token"]:
            return False  # the lease was replaced between our read and the link: leave it
        path.unlink(missing_ok=True)
        return True
    finally:
        dead.unlink(missing_ok=True)


class Claim:
    """A held lease on one run, renewed by a background thread until :meth:`release`.

    Obtain one with :meth:`acquire`; use it as a context manager (released on exit, exception
    or not).  ``lost`` becomes true if a renewal finds the lease taken over by someone else.
    The lease protocol (creation, liveness, takeover) is described in the module's docstring;
    used by :func:`pruning_lab.runs.run_sweep` through :mod:`pruning_lab.backends`, for the
    network sweeps of the chapter :doc:`/book/pruning_mnist`.
    """

    def __init__(self, path: Path, info: dict, seconds: float):
        self.path, self.info, self.seconds = path, info, seconds
        self.lost = False
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._renew_loop, name=f"lease {path.name}", daemon=True)
        self._thread.start()

    @classmethod
    def acquire(cls, path, *, seconds: float = LEASE_SECONDS, worker: str = "") -> Claim | None:
        """Claim the run whose lease file is ``path``; ``None`` if a live lease of another owner holds it.

        ``worker`` names the executor in the lease (a Dask worker's address, ``"joblib"``...).
        The lease's directory must exist (a worker must not create a store of its own).
        """
        path = Path(path)
        if not isinstance(seconds, (int, float)) or not seconds > 0:
            raise ValueError(f"seconds must be a positive number, got {seconds!r}")
        if not path.parent.is_dir():
            raise FileNotFoundError(f"the run store {str(path.parent)!r} does not exist here (on {_HOST})")
        for _ in range(4):
            info = {
                "host": _HOST,
                "pid": os.getpid(),
                "worker": str(worker),
                "token": uuid.uuid4().hex,
                "seconds": float(seconds),
                "expires": time.time() + seconds,
            }
            if _write_new(path, info):
                return cls(path, info, float(seconds))
            current = read_claim(path)
            if current is None:
                continue  # released meanwhile: try again
            if claim_is_live(current) or not _break(path, current):
                return None
        return None

    def _renew_loop(self):
        while not self._stop.wait(self.seconds / 3):
            current = read_claim(self.path)
            if current is None or current["token"] != self.info["token"]:
                self.lost = True
                return
            info = {**self.info, "expires": time.time() + self.seconds}
            tmp = None
            try:
                tmp = temporary_file(self.path)
                tmp.write_text(json.dumps(info))
                os.replace(tmp, self.path)
                self.info = info
            except OSError:
                if tmp is not None:
                    tmp.unlink(missing_ok=True)

    def release(self) -> None:
        """Stop renewing and remove the lease (if it is still ours)."""
        self._stop.set()
        if self._thread is not threading.current_thread():
            self._thread.join()
        current = read_claim(self.path)
        if current is not None and current["token"] == self.info["token"]:
            self.path.unlink(missing_ok=True)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.release()
        return False


def lease_path(store, config):
    """The lease file of ``config``'s run: ``run-<key>.lease`` next to its ``run-<key>.json``."""
    return store.path(config).with_suffix(".lease")


def claimed_run(run, store, config, *, lease_seconds: float = LEASE_SECONDS, worker: str = "") -> str:
    """Compute one run under a claim and save it; returns ``"computed"``, ``"done"`` or ``"held"``.

    ``"done"``: already stored (by someone else); ``"held"``: another live owner holds its
    claim, nothing was computed.  The run is saved before its claim is released, so a run is
    always either stored, claimed, or free.  Runs where the run executes (this process, a
    joblib process or a Dask worker).
    """
    if store.has(config):
        return "done"
    claim = Claim.acquire(lease_path(store, config), seconds=lease_seconds, worker=worker)
    if claim is None:
        return "held"
    with claim:
        if store.has(config):  # finished by its previous owner between our look and our claim
            return "done"
        store.save(config, run(dict(config) if isinstance(config, dict) else config))
    return "computed"
