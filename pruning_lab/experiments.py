"""An on-disk cache for long sweeps: every finished unit of work is saved as it completes.

A sweep (over model sizes, widths, numbers of samples...) is split into
units; each unit's result — a dict of arrays — is stored in its own ``.npz``
file, named by a hash of the parameters that produced it.  The file is written
to a temporary name and moved into place with ``os.replace``, so an
interrupted run never leaves a half-written result, and re-running the sweep
reuses every unit that had finished.  The chapters run their sweeps at small
scale without a cache; the same functions with larger arguments and a
``cache_dir`` produce the full-scale versions.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from pathlib import Path

import numpy as np

__all__ = ["ResultCache"]

_PREFIX = "r_"  # stored names: never clash with np.savez's own arguments or with "__params__"


def _jsonable(value):
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, np.generic):
        return value.item()
    raise TypeError(f"cannot use a {type(value).__name__} as a cache parameter")


class ResultCache:
    """A directory of ``.npz`` results keyed by their parameters.

    Parameters
    ----------
    directory : str or Path
        Where the results live (created if missing).
    namespace : str
        Prefix of the file names, e.g. the name of the sweep, so that several
        sweeps can share a directory.

    Examples
    --------
    >>> cache = ResultCache(tmp_path, "demo")                    # doctest: +SKIP
    >>> cache.cached({"p": 100, "seed": 0}, lambda: {"risk": np.array([1.0])})  # doctest: +SKIP
    """

    def __init__(self, directory, namespace: str):
        if not isinstance(namespace, str) or not namespace or not namespace.replace("_", "").replace("-", "").isalnum():
            raise ValueError(f"namespace must be a non-empty name of letters, digits, '-' or '_', got {namespace!r}")
        self.directory = Path(directory)
        if self.directory.exists() and not self.directory.is_dir():
            raise ValueError(f"cache directory {str(self.directory)!r} exists and is not a directory")
        self.namespace = namespace

    @staticmethod
    def _encode(params: dict) -> str:
        if not isinstance(params, dict):
            raise ValueError(f"params must be a dict, got {type(params).__name__}")
        try:
            return json.dumps(params, sort_keys=True, default=_jsonable)
        except (TypeError, ValueError) as err:
            raise ValueError(f"params must be JSON-encodable (str keys; numbers, strings, lists, arrays): {err}") from None

    def path(self, params: dict) -> Path:
        """The file that holds (or will hold) the result for ``params``."""
        digest = hashlib.sha1(self._encode(params).encode()).hexdigest()[:16]
        return self.directory / f"{self.namespace}-{digest}.npz"

    def load(self, params: dict) -> dict | None:
        """The stored result for ``params``, or ``None`` if it has not been computed."""
        path = self.path(params)
        if not path.exists():
            return None
        with np.load(path, allow_pickle=False) as data:
            if str(data["__params__"]) != self._encode(params):
                raise ValueError(f"cache file {path.name} holds another result (hash collision); delete it")
            return {k[len(_PREFIX):]: data[k] for k in data.files if k.startswith(_PREFIX)}

    def save(self, params: dict, result: dict) -> Path:
        """Store ``result`` (a dict of arrays) atomically; returns the file written."""
        if not isinstance(result, dict) or not all(isinstance(k, str) and k for k in result):
            raise ValueError("result must be a dict of arrays with non-empty string keys")
        arrays = {}
        for key, value in result.items():
            arr = np.asarray(value)
            if arr.dtype.hasobject:
                raise ValueError(f"result[{key!r}] is not an array of numbers, strings or booleans")
            arrays[_PREFIX + key] = arr
        encoded = self._encode(params)
        self.directory.mkdir(parents=True, exist_ok=True)
        path = self.path(params)
        fd, tmp = tempfile.mkstemp(dir=self.directory, prefix=f".{path.stem}-", suffix=".npz")
        try:
            with os.fdopen(fd, "wb") as handle:
                np.savez(handle, __params__=np.array(encoded), **arrays)
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        return path

    def cached(self, params: dict, compute) -> dict:
        """Load the result for ``params``, or call ``compute()`` and save what it returns."""
        result = self.load(params)
        if result is None:
            result = compute()
            self.save(params, result)
            result = self.load(params)
        return result
