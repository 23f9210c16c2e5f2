"""Results on disk: every finished unit of work is saved atomically the moment it completes.

Two stores share one encoding of configurations (:func:`canonical_config`: sorted-key JSON of a
flat dict or a flat dataclass; :func:`config_key`: a SHA-256 prefix of it that names the files)
and one atomic write (:func:`atomic_write`: a temporary file in the same directory, moved into
place with ``os.replace``), so an interrupted run never leaves a half-written file and re-running
reuses everything that had finished.

* :class:`ResultCache`: units of a theory sweep (over model sizes, widths, numbers of samples...)
  whose results are dicts of arrays, one ``.npz`` file each.  The chapters run their sweeps at
  small scale without a cache; the same functions with larger arguments and a ``cache_dir``
  produce the full-scale versions.
* :class:`RunStore` and :func:`run_sweep`: runs that return a few numbers (the network width
  sweeps of the chapters :doc:`/book/pruning_mnist` and :doc:`/book/resnet_cifar`): one JSON file
  per finished run, keyed by the run's full configuration; :func:`run_sweep` runs whatever is not
  stored yet (in parallel if asked), saving each run the moment it finishes.  Killing a sweep
  loses only the runs in flight; running it again computes only those.
"""

from __future__ import annotations

import contextlib
import csv
import dataclasses
import hashlib
import io
import json
import numbers
import os
import tempfile
from pathlib import Path

import numpy as np

from .backends import check_backend, execute_runs

__all__ = [
    "RESULTS_ENV",
    "ResultCache",
    "RunStore",
    "atomic_write",
    "canonical_config",
    "config_key",
    "find_results",
    "run_sweep",
    "write_csv",
]

#: Environment variable naming the directory of committed results (the repository's ``results/``).
RESULTS_ENV = "PRUNING_LAB_RESULTS"

_PREFIX = "r_"  # stored names: never clash with np.savez's own arguments or with "__params__"


@contextlib.contextmanager
def atomic_write(path):
    """Context manager yielding a temporary path next to ``path``; moved onto ``path`` on success.

    The temporary file lives in the same directory (a name starting with a
    dot), so ``os.replace`` is an atomic rename: readers see either the old
    file or the complete new one.  On any exception, ``KeyboardInterrupt``
    included, the temporary file is removed and ``path`` is left untouched.
    Used for the files of :class:`ResultCache` and :class:`RunStore`, and for the model
    checkpoints of :mod:`pruning_lab.nn.sweeps`.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}-", suffix=".tmp")
    os.close(fd)
    try:
        yield Path(tmp)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _scalar(value, where):
    """A JSON scalar (or list of them) from Python/numpy values; ValueError otherwise."""
    if isinstance(value, np.ndarray):
        value = value.tolist()
    elif isinstance(value, np.generic):
        value = value.item()
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, numbers.Integral):
        return int(value)
    if isinstance(value, numbers.Real):
        return float(value)
    if isinstance(value, (list, tuple)):
        return [_scalar(v, where) for v in value]
    raise ValueError(
        f"{where} must be a JSON scalar (None, bool, int, float, str) or a list of them, got a {type(value).__name__}"
    )


def _flat_dict(mapping, what, *, finite):
    if dataclasses.is_dataclass(mapping) and not isinstance(mapping, type):
        mapping = {f.name: getattr(mapping, f.name) for f in dataclasses.fields(mapping)}
    if not isinstance(mapping, dict):
        raise ValueError(
            f"{what} must be a dict (or a dataclass) of str to JSON scalars or lists, got {type(mapping).__name__}"
        )
    out = {}
    for key, value in mapping.items():
        if not isinstance(key, str) or not key:
            raise ValueError(f"{what} keys must be non-empty strings, got {key!r}")
        out[key] = _scalar(value, f"{what}[{key!r}]")
        if finite:
            try:
                json.dumps(out[key], allow_nan=False)
            except ValueError:
                raise ValueError(f"{what}[{key!r}] must be finite (no NaN or infinity), got {value!r}") from None
    return out


def _canonical(mapping, what: str) -> str:
    return json.dumps(_flat_dict(mapping, what, finite=True), sort_keys=True, separators=(",", ":"))


def _key(encoded: str) -> str:
    return hashlib.sha256(encoded.encode()).hexdigest()[:16]


def canonical_config(config) -> str:
    """The canonical JSON encoding of a configuration: sorted keys, no spaces, no NaN.

    ``config`` is a dict of str to JSON scalars (None, bool, int, float, str)
    or lists of them, or a dataclass instance whose fields are such values (a
    frozen run configuration: its fields are its key); numpy scalars and arrays
    count as their Python values, tuples as lists, so equal configurations always
    give the same string.  Anything else raises ``ValueError``.
    """
    return _canonical(config, "config")


def config_key(config) -> str:
    """The 16 hex digits naming a configuration's files: a SHA-256 prefix of :func:`canonical_config`."""
    return _key(canonical_config(config))


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
        return _canonical(params, "params")

    def path(self, params: dict) -> Path:
        """The file that holds (or will hold) the result for ``params`` (named by :func:`config_key`)."""
        return self.directory / f"{self.namespace}-{_key(self._encode(params))}.npz"

    def load(self, params: dict) -> dict | None:
        """The stored result for ``params``, or ``None`` if it has not been computed."""
        path = self.path(params)
        if not path.exists():
            return None
        with np.load(path, allow_pickle=False) as data:
            if str(data["__params__"]) != self._encode(params):
                raise ValueError(f"cache file {path.name} holds another result (hash collision); delete it")
            return {k[len(_PREFIX) :]: data[k] for k in data.files if k.startswith(_PREFIX)}

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
        path = self.path(params)
        with atomic_write(path) as tmp, open(tmp, "wb") as handle:
            np.savez(handle, __params__=np.array(encoded), **arrays)
        return path

    def cached(self, params: dict, compute) -> dict:
        """Load the result for ``params``, or call ``compute()`` and save what it returns."""
        result = self.load(params)
        if result is None:
            result = compute()
            self.save(params, result)
            result = self.load(params)
        return result


# -- a store of finished runs, one JSON file each ------------------------------------
def _matches(flat, match):
    for key, want in match.items():
        if key not in flat:
            return False
        if isinstance(want, (set, frozenset)):
            if not any(flat[key] == _scalar(w, key) for w in want):
                return False
        elif flat[key] != _scalar(want, key):
            return False
    return True


class RunStore:
    """A directory of finished runs: one JSON file per run, named by a hash of its configuration.

    A run is a configuration ``config`` (a flat dict of JSON scalars or lists,
    see :func:`canonical_config`) and its ``result`` (a flat dict of numbers,
    strings or lists).  The file ``run-<key>.json`` (``key`` =
    :func:`config_key`) holds both; the stored configuration is compared with
    the requested one on load, so a hash collision or a file copied by hand
    is detected.  Files are written through :func:`atomic_write`: an
    interrupted save leaves the store as it was.  Side artifacts (model
    checkpoints) keyed by a configuration go to :meth:`artifact_path`.  Used
    by :func:`run_sweep` and the width sweeps of the chapters :doc:`/book/pruning_mnist` and :doc:`/book/resnet_cifar`.

    Parameters
    ----------
    directory : str or Path
        Where the runs live (created on the first save).
    """

    def __init__(self, directory):
        if not isinstance(directory, (str, os.PathLike)) or not str(directory):
            raise ValueError(f"directory must be a non-empty path (str or os.PathLike), got {directory!r}")
        self.directory = Path(directory)
        if self.directory.exists() and not self.directory.is_dir():
            raise ValueError(f"store directory {str(self.directory)!r} exists and is not a directory")

    def __repr__(self):
        return f"RunStore({str(self.directory)!r})"

    def path(self, config) -> Path:
        """The JSON file that holds (or will hold) the run of ``config``."""
        return self.directory / f"run-{config_key(config)}.json"

    def artifact_path(self, config, suffix: str) -> Path:
        """The file of a side artifact of ``config`` (e.g. ``suffix=".pt"`` for a checkpoint).

        Write it with :func:`atomic_write`; store ``canonical_config(config)``
        inside it to check it on load, as :meth:`load` does for runs.
        """
        if not isinstance(suffix, str) or not suffix.startswith(".") or not suffix[1:].isalnum():
            raise ValueError(f"suffix must be a dot followed by letters or digits, such as '.pt', got {suffix!r}")
        return self.directory / f"artifact-{config_key(config)}{suffix}"

    def _read(self, path: Path) -> dict:
        try:
            record = json.loads(path.read_text())
        except (OSError, json.JSONDecodeError) as err:
            raise ValueError(
                f"run file {path.name} in {str(self.directory)!r} cannot be read ({err}); "
                "delete it to recompute that run"
            ) from None
        if not isinstance(record, dict) or set(record) != {"config", "result"}:
            raise ValueError(f"run file {path.name} does not hold a config and a result; delete it")
        return record

    def has(self, config) -> bool:
        """Whether the run of ``config`` is stored (checks the configuration, like :meth:`load`)."""
        return self.load(config) is not None

    def load(self, config) -> dict | None:
        """The stored result of ``config``, or ``None`` if that run has not finished."""
        encoded, path = canonical_config(config), self.path(config)
        if not path.is_file():
            return None
        record = self._read(path)
        if canonical_config(record["config"]) != encoded:
            raise ValueError(
                f"run file {path.name} holds another configuration (hash collision or a file copied by hand); delete it"
            )
        return record["result"]

    def save(self, config, result) -> Path:
        """Store ``result`` for ``config`` atomically (replacing an older result); returns the file.

        ``result`` is a flat dict of str to JSON scalars or lists (numpy values
        allowed; NaN and infinity are kept); its keys must differ from the
        configuration's, so that a run reads as one flat dict.
        """
        config = json.loads(canonical_config(config))
        result = _flat_dict(result, "result", finite=False)
        clash = sorted(set(config) & set(result))
        if clash:
            raise ValueError(f"result keys {clash} are also configuration keys; rename them")
        text = json.dumps({"config": config, "result": result}, sort_keys=True, indent=1)
        path = self.path(config)
        with atomic_write(path) as tmp:
            with open(tmp, "w") as handle:
                handle.write(text)
                handle.flush()
                os.fsync(handle.fileno())
        return path

    def records(self, **match) -> list:
        """All finished runs as flat dicts ``{**config, **result}``, in the order of their canonical configs.

        Keyword arguments filter on values: ``records(strategy="global")``
        keeps runs whose ``strategy`` equals ``"global"``; a set gives several
        allowed values (``width={8, 16}``).  Runs lacking a filtered key are
        left out.
        """
        if not self.directory.is_dir():
            return []
        rows = []
        for path in self.directory.glob("run-*.json"):
            record = self._read(path)
            if _matches(record["config"], match):
                rows.append((canonical_config(record["config"]), {**record["config"], **record["result"]}))
        return [row for _, row in sorted(rows, key=lambda r: r[0])]

    def table(self, *, sort_by=(), **match) -> list:
        """:meth:`records` (same filters), sorted by the keys ``sort_by`` (e.g. ``("strategy", "width")``).

        Missing values sort first; values of different types sort by type name.
        """
        if isinstance(sort_by, str):
            sort_by = (sort_by,)
        rows = self.records(**match)

        def key(row):
            parts = []
            for k in sort_by:
                value = row.get(k)
                if value is None:
                    parts.append((0, "", 0))
                else:
                    parts.append((1, "" if isinstance(value, numbers.Real) else type(value).__name__, value))
            return tuple(parts)

        return sorted(rows, key=key)


def write_csv(rows, path, columns=None) -> Path:
    """Write flat dicts (e.g. :meth:`RunStore.records`) to a CSV file atomically; returns the path.

    ``columns`` defaults to every key, in order of first appearance; a
    missing value is an empty cell, a list is written as its JSON text.
    """
    if not isinstance(rows, (list, tuple)) or not all(isinstance(r, dict) for r in rows):
        raise ValueError("rows must be a list of dicts (for example RunStore.records())")
    if columns is None:
        columns = list(dict.fromkeys(k for row in rows for k in row))
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(columns)
    for row in rows:
        writer.writerow(
            ["" if row.get(c) is None else json.dumps(row[c]) if isinstance(row[c], list) else row[c] for c in columns]
        )
    path = Path(path)
    with atomic_write(path) as tmp:
        tmp.write_text(buffer.getvalue())
    return path


# -- running a sweep ------------------------------------------------------------------
def find_results(name: str, root=None) -> Path:
    """The directory ``name`` of the committed results (a :class:`RunStore`), e.g. ``"mnist-fc"``.

    The network chapters plot runs computed by the command line and committed
    under the repository's ``results/`` folder.  Looked up in order: ``root``;
    the environment variable :data:`RESULTS_ENV`; ``results/`` next to the
    package's source (a clone of the repository, or an editable install); and
    ``results/`` in the current directory or its parent (a notebook run from
    the repository's ``book/``).  ``FileNotFoundError`` says where it looked.
    Used by the chapters :doc:`/book/pruning_mnist` and :doc:`/book/resnet_cifar`.
    """
    if not isinstance(name, str) or not name or "/" in name or "\\" in name:
        raise ValueError(f"name must be the name of one results directory, got {name!r}")
    if root is not None:
        candidates = [Path(root)]
    else:
        env = os.environ.get(RESULTS_ENV)
        candidates = [Path(env)] if env else []
        candidates += [Path(__file__).resolve().parents[1] / "results", Path.cwd() / "results"]
        candidates.append(Path.cwd().parent / "results")
    for base in candidates:
        if (base / name).is_dir():
            return base / name
    looked = ", ".join(str(c) for c in candidates)
    raise FileNotFoundError(
        f"no results directory {name!r} in {looked}: clone the repository (its results/ folder holds it) "
        f"and set {RESULTS_ENV} to that folder, or compute it with the command printed in the chapter"
    )


def run_sweep(
    configs, run, store, *, n_jobs: int = 1, progress: bool = True, backend: str | None = None, scheduler=None
) -> list:
    """Run ``run(config)`` for every configuration not yet in ``store``; return the table of all of them.

    Each run's result is saved by :meth:`RunStore.save` as soon as it
    completes (in the worker process when ``n_jobs > 1``), so an interrupted
    sweep (an exception, ``KeyboardInterrupt``, a killed process) loses only
    the runs in flight, and calling ``run_sweep`` again computes only the
    missing ones.  With ``n_jobs > 1`` the runs are spread over joblib
    worker processes (``Parallel(return_as="generator_unordered")``); ``run``
    must then be picklable (a module-level function or a
    ``functools.partial`` of one).  With ``backend="dask"`` the runs are
    tasks on a Dask cluster (:mod:`pruning_lab.backends.cluster`, extra
    ``dask``), each saved by the worker that computed it into ``store``,
    which must be on storage every worker mounts.  Every backend claims a
    run before it starts (a lease file next to its run file, renewed while
    it runs, :mod:`pruning_lab.backends.claims`), so two drivers on one
    store compute each run once and a dead worker's run is taken over.
    Used by :func:`pruning_lab.nn.sweeps.run_width_sweep`.

    Parameters
    ----------
    configs : list of dict or of dataclass instances
        The run configurations (see :func:`canonical_config`); duplicates run once.
    run : callable
        ``run(config) -> dict`` of the run's results: a dict configuration is passed as a copy
        holding its canonical JSON values, a (frozen) dataclass configuration as itself.
    store : RunStore
        Where finished runs are kept.
    n_jobs : int
        Number of worker processes (1: run in this process; -1: one per CPU).
    progress : bool
        Show a ``tqdm`` bar over the runs still to do.
    backend : {None, "serial", "joblib", "dask"}
        Where the runs execute; ``None``: ``"serial"`` if ``n_jobs == 1``, else ``"joblib"``
        (``"dask"`` if a ``scheduler`` is given).
    scheduler : str or distributed.Client or cluster, optional
        With ``backend="dask"``: the scheduler's address (``"tcp://host:8786"``), a client, or a
        cluster object; ``None``: the active Dask client.  An unreachable address raises
        ``ConnectionError`` naming it.

    Returns
    -------
    list of dict
        ``{**config, **result}`` for each configuration, in the order given,
        read back from the store (so a resumed sweep returns exactly what an
        uninterrupted one does).
    """
    if not isinstance(store, RunStore):
        raise ValueError(f"store must be a RunStore, got {type(store).__name__}")
    if not callable(run):
        raise ValueError(f"run must be callable (config -> dict of results), got {type(run).__name__}")
    if isinstance(configs, dict) or not isinstance(configs, (list, tuple)):
        raise ValueError(f"configs must be a list of dicts, got {type(configs).__name__}")
    if not (n_jobs == -1 or (isinstance(n_jobs, numbers.Integral) and not isinstance(n_jobs, bool) and n_jobs >= 1)):
        raise ValueError(f"n_jobs must be an integer >= 1 or -1 (all CPUs), got {n_jobs!r}")
    for i, config in enumerate(configs):
        if not isinstance(config, dict) and not (dataclasses.is_dataclass(config) and not isinstance(config, type)):
            raise ValueError(f"configs[{i}] must be a dict or a dataclass instance, got {type(config).__name__}")
    encoded = [canonical_config(c) for c in configs]  # every config checked before anything runs
    unique = {}  # a dict config runs as its canonical (JSON) values, a dataclass config as itself
    for e, config in zip(encoded, configs):
        unique.setdefault(e, json.loads(e) if isinstance(config, dict) else config)
    backend = check_backend(backend, n_jobs=n_jobs, scheduler=scheduler)
    todo = [c for c in unique.values() if not store.has(c)]
    execute_runs(todo, run, store, backend=backend, n_jobs=n_jobs, scheduler=scheduler, progress=progress)
    return [{**json.loads(e), **store.load(unique[e])} for e in encoded]
