"""How the command line fails: one line on standard error and an exit status, never a traceback.

:func:`pruning_lab.cli.main` turns a request that cannot be run into one line
``pruning-lab COMMAND: error: ...`` and exit status 2, an interruption (Ctrl-C)
into ``pruning-lab COMMAND: interrupted; N runs saved in STORE`` and status 130,
and every warning (such as an invalid run file left out of a table) into one
line ``pruning-lab COMMAND: warning: ...``.  The checks here run before any
training: :func:`check_store` (the store can be written) and
:func:`check_cifar10` (the CIFAR-10 files are the official ones).
"""

from __future__ import annotations

import contextlib
import re
import sys
import warnings
from pathlib import Path

__all__ = ["UsageError", "check_cifar10", "check_store", "count_runs", "one_line_warnings"]

#: Exit status of an interrupted command (128 + SIGINT, as shells report it).
INTERRUPTED = 130
_CIFAR10_URL = "https://www.cs.toronto.edu/~kriz/cifar.html"


class UsageError(Exception):
    """A request that cannot be run as given (exit status 2)."""


def _one_line(text) -> str:
    return " ".join(str(text).split())


def check_store(store) -> None:
    """Create the directory of ``store`` (a :class:`pruning_lab.runs.RunStore`) and write a probe file in it.

    Raises :class:`UsageError` naming the directory and the reason (read-only,
    permission denied, a regular file in the path...), before any training.
    """
    try:
        store.check_writable()
    except OSError as err:
        reason = err.strerror or _one_line(err)
        raise UsageError(
            f"cannot write the run store {str(store.directory)!r} ({reason}); choose another --store"
        ) from None


def check_cifar10(data_dir) -> None:
    """Read the CIFAR-10 files of ``data_dir`` once (checksums verified); :class:`UsageError` if they do not serve.

    The message names the file that is wrong and says how to get the official
    files; the command line has no option to read other files.
    """
    from .data import read_cifar10_batches

    try:
        read_cifar10_batches(data_dir)
    except FileNotFoundError as err:
        raise UsageError(_one_line(err).replace("pass root=", "pass --data-dir ")) from None
    except ValueError as err:
        what = re.split(r";\s*(?:re-extract|pass verify_checksums)", _one_line(err))[0]
        raise UsageError(
            f"{what}; the sweeps read only the official CIFAR-10 files: download cifar-10-python.tar.gz from "
            f"{_CIFAR10_URL}, extract it again, and pass --data-dir <its cifar-10-batches-py directory>"
        ) from None


def count_runs(directory) -> int:
    """The number of run files (``run-*.json``) in ``directory``; 0 if it cannot be listed."""
    try:
        return sum(1 for _ in Path(directory).glob("run-*.json"))
    except OSError:
        return 0


@contextlib.contextmanager
def one_line_warnings(command: str, stream=None):
    """Within the block, every warning is printed as one line ``pruning-lab COMMAND: warning: ...``."""

    def show(message, category, filename, lineno, file=None, line=None):
        print(f"pruning-lab {command}: warning: {_one_line(message)}", file=stream or sys.stderr)

    with warnings.catch_warnings():
        warnings.showwarning = show
        yield
