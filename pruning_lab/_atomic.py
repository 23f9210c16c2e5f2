"""Files written safely by several processes: temporary names, stale temporaries, a watchdog on the driver.

The helpers of :func:`pruning_lab.runs.atomic_write` and of the run store: a
temporary file is named ``.<name>.pl-<host>-<pid>-<random>.tmp`` (created
with mode ``0o666`` filtered by the umask, as ``open`` creates files), so the
next process that opens the directory can tell whether its writer has died
(:func:`remove_stale_temporaries`); and a worker process of a sweep ends when
its driver is gone (:func:`exit_with_driver`).
"""

from __future__ import annotations

import contextlib
import os
import re
import secrets
import socket
import threading
import time
from pathlib import Path

__all__ = ["STALE_SECONDS", "exit_with_driver", "pid_alive", "remove_stale_temporaries", "temporary_file"]

#: Age (seconds) after which a temporary file whose writer cannot be checked counts as left by a killed writer.
STALE_SECONDS = 24 * 3600
_HOST = re.sub(r"[^A-Za-z0-9_]", "_", socket.gethostname())[:32] or "host"
# .<target>.pl-<host>-<pid>-<token>.tmp, written by atomic_write; .<target>-<8 chars>.tmp, by earlier versions (mkstemp)
_TEMPORARY = re.compile(r"\.(?P<target>.+)\.pl-(?P<host>[A-Za-z0-9_]+)-(?P<pid>[0-9]+)-[0-9a-f]{8}\.tmp")
_OLD_TEMPORARY = re.compile(r"\..+-[a-z0-9_]{8}\.tmp")


def temporary_file(path: Path) -> Path:
    """A new empty file ``.<name>.pl-<host>-<pid>-<random>.tmp`` next to ``path``, mode 0o666 & ~umask."""
    while True:
        tmp = path.parent / f".{path.name}.pl-{_HOST}-{os.getpid()}-{secrets.token_hex(4)}.tmp"
        try:
            os.close(os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666))
            return tmp
        except FileExistsError:  # pragma: no cover - 32 random bits collided
            continue


def pid_alive(pid: int) -> bool:
    """Whether a process ``pid`` runs on this machine (another user's counts as running)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OverflowError):
        return True  # another user's process (or a pid this system cannot hold): assume alive
    return True


def _stale(entry: os.DirEntry, now: float) -> bool:
    """Whether ``entry`` is a temporary file of ``atomic_write`` whose writer is certainly gone."""
    match = _TEMPORARY.fullmatch(entry.name)
    if match is None and _OLD_TEMPORARY.fullmatch(entry.name) is None:
        return False
    if match is not None and match["host"] == _HOST and int(match["pid"]) != os.getpid():
        if not pid_alive(int(match["pid"])):
            return True  # written on this machine by a process that has died
    try:
        return now - entry.stat(follow_symlinks=False).st_mtime > STALE_SECONDS
    except OSError:
        return False


def remove_stale_temporaries(directory: Path) -> None:
    """Delete the temporary files that killed writers left in ``directory`` (of ``runs.atomic_write``).

    A file is removed if it was written on this machine by a process that is
    no longer running, or (another machine's, or of an earlier version's
    naming) if it is older than :data:`STALE_SECONDS`.  A directory that cannot
    be listed or written is left alone.
    """
    now = time.time()
    try:
        with os.scandir(directory) as entries:
            stale = [e.path for e in entries if e.name.startswith(".") and e.name.endswith(".tmp") and _stale(e, now)]
    except OSError:
        return
    for path in stale:
        with contextlib.suppress(OSError):
            os.unlink(path)


_WATCHED_DRIVER = None


def exit_with_driver(driver: int) -> None:
    """In a worker process: a daemon thread ends this process as soon as the process ``driver`` is gone.

    joblib's (loky's) workers outlive a driver killed by SIGKILL, idle, until
    their own timeout; this watchdog ends them within a second.  The run in
    flight is lost, as if the worker had been killed with the driver (its
    temporary file is removed the next time the store is opened).  Polls
    ``os.getppid()`` (a worker is the driver's child, reparented when it
    dies), else the driver's pid.
    """
    global _WATCHED_DRIVER
    if _WATCHED_DRIVER == driver or os.getpid() == driver:
        return
    _WATCHED_DRIVER = driver
    child = os.getppid() == driver

    def watch():
        while (os.getppid() == driver) if child else pid_alive(driver):
            time.sleep(1.0)
        os._exit(1)

    threading.Thread(target=watch, name="pruning-lab-driver-watch", daemon=True).start()
