"""Fetch the official Fashion-MNIST files: from the upstream release, else from Debian's package.

Called by the command ``python -m pruning_lab fetch fashion-mnist`` and
``make data``, never at import time.  Each file is decompressed into a staging
directory next to the destination, checked against the pinned sizes and SHA-256
of :mod:`pruning_lab.data.fashion_mnist`, and only when all four are verified
renamed into place, so an interrupted or failed fetch leaves nothing half-written.
"""

from __future__ import annotations

import gzip
import hashlib
import http.client
import os
import shutil
import subprocess
import tempfile
import urllib.request
import zlib
from collections.abc import Callable
from pathlib import Path

from .fashion_mnist import FASHION_MNIST_ENV, PINS, data_file, default_fashion_mnist_dir, verify_content
from .idx import read_idx_bytes

__all__ = ["FASHION_MNIST_SOURCES", "FetchError", "fetch_fashion_mnist"]

#: The places :func:`fetch_fashion_mnist` can get the files from, in its default order.
FASHION_MNIST_SOURCES = ("upstream", "debian")
UPSTREAM_URL = "http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/"
DEBIAN_PACKAGE = "dataset-fashion-mnist"
#: Seconds allowed to each of ``apt-get download`` (31 MB) and ``dpkg-deb -x``.
COMMAND_TIMEOUT = 900.0


class FetchError(OSError):
    """No source could provide the verified Fashion-MNIST files (the message has one reason per source)."""


def run(command: list[str], cwd: Path, timeout: float) -> None:
    """Run ``command`` in ``cwd``; a RuntimeError with its last line of error output if it fails."""
    try:
        done = subprocess.run(command, cwd=cwd, capture_output=True, text=True, timeout=timeout, check=False)
    except FileNotFoundError:
        raise RuntimeError(f"{command[0]} is not installed (not a Debian-based system?)") from None
    except subprocess.TimeoutExpired:
        raise RuntimeError(f"'{' '.join(command)}' did not finish within {timeout:g} s") from None
    if done.returncode != 0:
        lines = [line for line in (done.stderr or done.stdout or "").splitlines() if line.strip()]
        raise RuntimeError(f"'{' '.join(command)}' failed: {lines[-1] if lines else f'status {done.returncode}'}")


def from_upstream(work: Path, timeout: float) -> dict[str, Path]:
    """Download the four official ``.gz`` files of the upstream release into ``work``."""
    files = {}
    for name in PINS:
        target = work / f"{name}.gz"
        try:
            with urllib.request.urlopen(f"{UPSTREAM_URL}{name}.gz", timeout=timeout) as response:
                with open(target, "wb") as fh:
                    shutil.copyfileobj(response, fh)
        except (OSError, ValueError, http.client.HTTPException) as err:  # URLError, timeouts, resets, short reads
            raise RuntimeError(f"{UPSTREAM_URL}{name}.gz: {getattr(err, 'reason', err)}") from None
        files[name] = target
    return files


def from_debian(work: Path, timeout: float) -> dict[str, Path]:
    """The four files of Debian's package ``dataset-fashion-mnist``: ``apt-get download``, then ``dpkg-deb -x``."""
    del timeout  # the commands have their own limit, COMMAND_TIMEOUT
    try:
        run(["apt-get", "download", DEBIAN_PACKAGE], work, COMMAND_TIMEOUT)
    except RuntimeError as err:
        if "Unable to locate package" in str(err):
            raise RuntimeError(f"{err} (the package lists are missing or old: run 'apt-get update' as root)") from None
        raise
    debs = sorted(work.glob(f"{DEBIAN_PACKAGE}_*.deb"))
    if len(debs) != 1:
        raise RuntimeError(f"apt-get download left {len(debs)} {DEBIAN_PACKAGE} .deb files, expected 1")
    run(["dpkg-deb", "-x", debs[0].name, "extracted"], work, COMMAND_TIMEOUT)
    files = {}
    for name in PINS:
        found = sorted((work / "extracted").rglob(f"{name}.gz")) or sorted((work / "extracted").rglob(name))
        if not found:
            raise RuntimeError(f"{debs[0].name} holds no {name}(.gz)")
        files[name] = found[0]
    return files


#: name -> function(work directory, timeout) returning {file name: path of the plain or .gz file}.
SOURCES: dict[str, Callable[[Path, float], dict[str, Path]]] = {"upstream": from_upstream, "debian": from_debian}


def _verified(directory: Path) -> bool:
    """Whether ``directory`` already holds the four official files (plain or .gz)."""
    try:
        for name in PINS:
            path = data_file(directory, name)
            if path is None:
                return False
            verify_content(read_idx_bytes(path), name, str(directory))
    except ValueError:
        return False
    return True


def _stage(files: dict[str, Path], staging: Path) -> None:
    """Decompress each file into ``staging`` under its plain name, checking its size and SHA-256 on the way."""
    for name, path in files.items():
        pin = PINS[name]
        digest, size = hashlib.sha256(), 0
        try:
            with gzip.open(path, "rb") if path.name.endswith(".gz") else open(path, "rb") as src:
                with open(staging / name, "wb") as dst:
                    for chunk in iter(lambda src=src: src.read(1 << 20), b""):
                        digest.update(chunk)
                        size += len(chunk)
                        dst.write(chunk)
        except (OSError, EOFError, zlib.error) as err:
            raise RuntimeError(f"{path.name} could not be decompressed ({err})") from None
        if size != pin.size or digest.hexdigest() != pin.sha256:
            raise RuntimeError(
                f"{name} is not the official file ({size} bytes, SHA-256 {digest.hexdigest()}; "
                f"expected {pin.size} bytes, {pin.sha256})"
            )


def fetch_fashion_mnist(
    dest=None, *, sources=FASHION_MNIST_SOURCES, timeout: float = 10.0, log: Callable[[str], None] | None = None
) -> Path:
    """Put the four official Fashion-MNIST files, decompressed and verified, in ``dest``; returns ``dest``.

    ``dest`` defaults to ``$PRUNING_LAB_FASHION_MNIST`` if set, else
    :func:`default_fashion_mnist_dir` (where :func:`load_fashion_mnist` looks).
    If ``dest`` already holds the official files (checked by their pinned
    byte sizes and SHA-256, plain or ``.gz``), nothing is done.  Otherwise the
    ``sources`` are tried in order: ``"upstream"`` downloads the release files
    from the authors' server (giving up when the server does not answer
    within ``timeout`` seconds); ``"debian"`` runs ``apt-get download
    dataset-fashion-mnist`` (no root needed, but current package lists:
    ``apt-get update``) and ``dpkg-deb -x`` in a temporary directory.  The
    files are decompressed into a staging directory inside ``dest``, verified,
    and renamed into place only when all four are; on any failure or
    interruption the staging directory is removed (and ``dest`` too, if this
    call created it and it is empty).  ``log``, if given, is called with one
    line per step.

    Raises
    ------
    FetchError
        If no source provides the verified files; the one-line message gives
        each source's reason.
    ValueError
        For an unknown source, or a timeout that is not a positive number.
    OSError
        If ``dest`` cannot be created or written.
    """
    names = (sources,) if isinstance(sources, str) else tuple(sources)
    unknown = [s for s in names if s not in SOURCES]
    if unknown or not names:
        raise ValueError(f"sources must be a non-empty sequence of {list(SOURCES)}, got {sources!r}")
    if isinstance(timeout, bool) or not isinstance(timeout, (int, float)) or not timeout > 0:
        raise ValueError(f"timeout must be a number of seconds > 0, got {timeout!r}")
    say = log or (lambda message: None)
    if dest is None:
        dest = os.environ.get(FASHION_MNIST_ENV) or default_fashion_mnist_dir()
    if not isinstance(dest, (str, os.PathLike)):
        raise TypeError(f"dest must be a path (str or os.PathLike) or None, got {type(dest).__name__}")
    dest = Path(dest).expanduser()
    if dest.is_dir() and _verified(dest):
        say(f"Fashion-MNIST: the verified files are already in {dest}")
        return dest
    created = not dest.exists()
    dest.mkdir(parents=True, exist_ok=True)
    reasons = []
    try:
        for source in names:
            say(f"Fashion-MNIST: trying {source}")
            staging = Path(tempfile.mkdtemp(dir=dest, prefix=".fetch-"))
            try:
                with tempfile.TemporaryDirectory(prefix="pruning-lab-fetch-") as work:
                    _stage(SOURCES[source](Path(work), float(timeout)), staging)
                for name in PINS:
                    os.replace(staging / name, dest / name)
            except RuntimeError as err:
                reasons.append(f"{source}: {err}")
                say(f"Fashion-MNIST: {source} failed: {err}")
                continue
            finally:
                shutil.rmtree(staging, ignore_errors=True)
            say(f"Fashion-MNIST: the verified files from {source} are in {dest}")
            return dest
    finally:
        if created and dest.is_dir() and not any(dest.iterdir()):
            dest.rmdir()
    raise FetchError(f"could not fetch Fashion-MNIST into {str(dest)!r}: {'; '.join(reasons)}")
