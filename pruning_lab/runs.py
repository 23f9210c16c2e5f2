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

Files follow the user's umask (a store shared by a group stays readable).  A temporary file
left by a killed writer is removed the next time the directory is opened as a store or cache:
at once if its writer was a process of this machine that has died, else after a day.  Nothing
read is trusted: an invalid run file or cache file (unreadable, of the wrong shape, or named by
another configuration's key) is named in a warning, left out of tables and recomputed by a
sweep; :meth:`RunStore.load` raises ``ValueError`` naming it.
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
import warnings
import zipfile
from pathlib import Path

import numpy as np

from ._atomic import remove_stale_temporaries, temporary_file
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

    The temporary file lives in the same directory, named
    ``.<name>.pl-<host>-<pid>-<random>.tmp``, so ``os.replace`` is an atomic
    rename: readers see either the old file or the complete new one.  It is
    created with mode ``0o666`` filtered by the umask, as ``open`` creates
    files, so a store shared through group or world permissions stays
    readable.  On any exception, ``KeyboardInterrupt`` included, the
    temporary file is removed and ``path`` is left untouched; a temporary
    file left by a killed process is removed the next time a
    :class:`RunStore` or :class:`ResultCache` opens the directory.  Used for
    the files of :class:`ResultCache` and :class:`RunStore`, and for the
    model checkpoints of :mod:`pruning_lab.nn.sweeps`.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = temporary_file(path)
    try:
        yield tmp
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
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


def _integral(value):
    """Integral floats as ints, also inside lists: equal numbers get one encoding (``1.0`` as ``1``)."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, list):
        return [_integral(v) for v in value]
    return value


def _json(flat: dict) -> str:
    return json.dumps(flat, sort_keys=True, separators=(",", ":"))


def _encodings(mapping, what: str) -> tuple:
    """``(canonical, as given)``: the JSON text with integral floats as ints, and with floats kept as floats."""
    flat = _flat_dict(mapping, what, finite=True)
    return _json({k: _integral(v) for k, v in flat.items()}), _json(flat)


def _canonical(mapping, what: str) -> str:
    return _encodings(mapping, what)[0]


def _key(encoded: str) -> str:
    return hashlib.sha256(encoded.encode()).hexdigest()[:16]


def _locate(directory: Path, prefix: str, suffix: str, mapping, what: str) -> Path:
    """The file of ``mapping``: named by its key, or by its earlier versions' key if only that file exists.

    Earlier versions hashed the JSON text with floats kept as floats
    (``0.0``); a file they wrote under that key is found, and replaced in
    place when saved again, so stores written before keep working.
    """
    canonical, given = _encodings(mapping, what)
    path = directory / f"{prefix}-{_key(canonical)}{suffix}"
    if given != canonical and not path.exists():
        legacy = directory / f"{prefix}-{_key(given)}{suffix}"
        if legacy.exists():
            return legacy
    return path


def canonical_config(config) -> str:
    """The canonical JSON encoding of a configuration: sorted keys, no spaces, no NaN, integral floats as ints.

    ``config`` is a dict of str to JSON scalars (None, bool, int, float, str)
    or lists of them, or a dataclass instance whose fields are such values (a
    frozen run configuration: its fields are its key); numpy scalars and arrays
    count as their Python values, tuples as lists, so equal configurations always
    give the same string.  Equal numbers are encoded alike: a float with an
    integral value is written as that integer (``1.0`` as ``1``, ``-0.0`` as
    ``0``), so ``{"a": 1}`` and ``{"a": 1.0}`` are one configuration.  Booleans
    stay distinct from numbers (``True`` is not ``1``): a switch and a count
    are different settings, and JSON keeps them apart.  Anything else raises
    ``ValueError``.  (Earlier versions kept ``1.0`` as a float; their files are
    still found, see :class:`RunStore`.)
    """
    return _canonical(config, "config")


def config_key(config) -> str:
    """The 16 hex digits naming a configuration's files: a SHA-256 prefix of :func:`canonical_config`."""
    return _key(canonical_config(config))


def _warn(message: str) -> None:
    warnings.warn(message, UserWarning, stacklevel=3)


class ResultCache:
    """A directory of ``.npz`` results keyed by their parameters.

    A file that cannot be read (truncated, not an ``.npz``, holding pickled
    objects) is reported in a warning naming it, deleted and recomputed by
    :meth:`cached`.  Opening a cache removes the temporary files that killed
    writers left in its directory (see :func:`atomic_write`).

    Parameters
    ----------
    directory : str or Path
        Where the results live (created on the first save).
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
        if self.directory.is_dir():
            remove_stale_temporaries(self.directory)

    @staticmethod
    def _check(params: dict) -> dict:
        if not isinstance(params, dict):
            raise ValueError(f"params must be a dict, got {type(params).__name__}")
        return params

    def path(self, params: dict) -> Path:
        """The file that holds (or will hold) the result for ``params`` (named by :func:`config_key`)."""
        return _locate(self.directory, self.namespace, ".npz", self._check(params), "params")

    def load(self, params: dict) -> dict | None:
        """The stored result for ``params``, or ``None`` if it has not been computed (or its file was corrupt)."""
        path = self.path(params)
        if not path.exists():
            return None
        try:
            with np.load(path, allow_pickle=False) as data:
                stored = _canonical(json.loads(str(data["__params__"])), "params")
                result = {k[len(_PREFIX) :]: data[k] for k in data.files if k.startswith(_PREFIX)}
        except (OSError, EOFError, ValueError, KeyError, zipfile.BadZipFile) as err:
            _warn(f"cache file {path.name} in {str(self.directory)!r} is corrupt ({err}); deleted, to be recomputed")
            with contextlib.suppress(OSError):
                path.unlink()
            return None
        if stored != _canonical(params, "params"):
            raise ValueError(f"cache file {path.name} holds another result (hash collision); delete it")
        return result

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
        encoded = _encodings(self._check(params), "params")[1]  # as given: its file's name is checked against it
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
    def same(value, want):
        return _json({"v": _integral(value)}) == _json({"v": _integral(_scalar(want, key))})

    for key, want in match.items():
        if key not in flat:
            return False
        if not any(same(flat[key], w) for w in (want if isinstance(want, (set, frozenset)) else [want])):
            return False
    return True


class RunStore:
    """A directory of finished runs: one JSON file per run, named by a hash of its configuration.

    A run is a configuration ``config`` (a flat dict of JSON scalars or lists,
    see :func:`canonical_config`) and its ``result`` (a flat dict of numbers,
    strings or lists).  The file ``run-<key>.json`` (``key`` =
    :func:`config_key`) holds both.  Files are written through
    :func:`atomic_write`: an interrupted save leaves the store as it was, and
    opening a store removes the temporary files that killed writers left.
    Side artifacts (model checkpoints) keyed by a configuration go to
    :meth:`artifact_path`.  Used by :func:`run_sweep` and the width sweeps of
    the chapters :doc:`/book/pruning_mnist` and :doc:`/book/resnet_cifar`.

    Nothing in a file is trusted: a run file must be UTF-8 JSON holding a flat
    ``config`` and a flat ``result``, and its name must be the key of its
    configuration (a file copied by hand onto another run's name, or a hash
    collision, is caught).  A file that fails this is *invalid*:
    :meth:`records` and :meth:`table` warn, naming it, and leave it out;
    :meth:`has` warns and answers ``False`` (so :func:`run_sweep` recomputes
    the run and its save replaces the file); :meth:`load` raises
    ``ValueError`` naming the file and what to do.  A run stored by an earlier
    version under the key of its integral floats (see :func:`canonical_config`)
    is found under that name.

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
        self._legacy_files = None
        if self.directory.is_dir():
            remove_stale_temporaries(self.directory)

    def __repr__(self):
        return f"RunStore({str(self.directory)!r})"

    def path(self, config) -> Path:
        """The JSON file that holds (or will hold) the run of ``config``."""
        path = _locate(self.directory, "run", ".json", config, "config")
        if path.exists() or not self.directory.is_dir():
            return path
        return self._legacy().get(canonical_config(config), path)

    def _legacy(self) -> dict:
        """Canonical config -> file, for the files named by an earlier version's key (read once per object).

        New files are always named by :func:`config_key`, so the index stays
        valid while this process and others add runs.
        """
        if self._legacy_files is None:
            index = {}
            for path in sorted(self.directory.glob("run-*.json")):
                with contextlib.suppress(ValueError):
                    canonical = _canonical(self._read(path)["config"], "config")
                    if path.name != f"run-{_key(canonical)}.json":
                        index.setdefault(canonical, path)
            self._legacy_files = index
        return self._legacy_files

    def artifact_path(self, config, suffix: str) -> Path:
        """The file of a side artifact of ``config`` (e.g. ``suffix=".pt"`` for a checkpoint).

        Write it with :func:`atomic_write`; store ``canonical_config(config)``
        inside it to check it on load, as :meth:`load` does for runs.
        """
        if not isinstance(suffix, str) or not suffix.startswith(".") or not suffix[1:].isalnum():
            raise ValueError(f"suffix must be a dot followed by letters or digits, such as '.pt', got {suffix!r}")
        return _locate(self.directory, "artifact", suffix, config, "config")

    def check_writable(self) -> None:
        """Create the directory if needed and write (then delete) a probe file; ``OSError`` if that fails.

        A long sweep calls this before its first run, so that a store it cannot
        write is reported at once rather than after the first model is trained.
        """
        self.directory.mkdir(parents=True, exist_ok=True)
        temporary_file(self.directory / "write-probe").unlink()

    def _read(self, path: Path) -> dict:
        """The record of the run file ``path``: ``{"config": ..., "result": ...}``; ``ValueError`` if invalid."""
        where = f"run file {path.name} in {str(self.directory)!r}"
        try:
            record = json.loads(path.read_bytes().decode("utf-8"))
            if not isinstance(record, dict) or set(record) != {"config", "result"}:
                raise ValueError("it does not hold exactly a config and a result")
            _flat_dict(record["result"], "result", finite=False)
            canonical, given = _encodings(record["config"], "config")
        except (OSError, ValueError) as err:  # UnicodeDecodeError and JSONDecodeError are ValueErrors
            raise ValueError(f"{where} cannot be read ({err}); delete it to recompute that run") from None
        if path.name not in (f"run-{_key(canonical)}.json", f"run-{_key(given)}.json"):
            raise ValueError(
                f"{where} holds the run of another configuration (copied by hand, or a hash collision), "
                f"{canonical[:200]}; delete it (its own run is recomputed by the sweep)"
            )
        return record

    def has(self, config) -> bool:
        """Whether the run of ``config`` is stored; an invalid file there gives a warning and ``False``."""
        if not self.path(config).is_file():
            return False
        try:
            return self.load(config) is not None
        except ValueError as err:
            _warn(f"{err}; it will be replaced when that run is saved")
            return False

    def load(self, config) -> dict | None:
        """The stored result of ``config``, or ``None`` if that run has not finished (``ValueError``: invalid file)."""
        path = self.path(config)
        if not path.is_file():
            return None
        record = self._read(path)
        if _canonical(record["config"], "config") != canonical_config(config):
            raise ValueError(f"run file {path.name} holds another configuration (a hash collision); delete it")
        return record["result"]

    def save(self, config, result) -> Path:
        """Store ``result`` for ``config`` atomically (replacing an older result); returns the file.

        ``result`` is a flat dict of str to JSON scalars or lists (numpy values
        allowed; NaN and infinity are kept); its keys must differ from the
        configuration's, so that a run reads as one flat dict.
        """
        canonical, given = _encodings(config, "config")
        config = json.loads(given)  # as given (1.0 stays 1.0): the file's name is checked against it
        result = _flat_dict(result, "result", finite=False)
        clash = sorted(set(config) & set(result))
        if clash:
            raise ValueError(f"result keys {clash} are also configuration keys; rename them")
        text = json.dumps({"config": config, "result": result}, sort_keys=True, indent=1)
        path = replaced = self.path(config)
        if path.name not in (f"run-{_key(canonical)}.json", f"run-{_key(given)}.json"):
            path = self.directory / f"run-{_key(canonical)}.json"  # an earlier version's file of other types
        with atomic_write(path) as tmp:
            with open(tmp, "w") as handle:
                handle.write(text)
                handle.flush()
                os.fsync(handle.fileno())
        if replaced != path:
            replaced.unlink(missing_ok=True)
            self._legacy_files.pop(canonical, None)
        return path

    def records(self, **match) -> list:
        """All finished runs as flat dicts ``{**config, **result}``, in the order of their canonical configs.

        Keyword arguments filter on values: ``records(strategy="global")``
        keeps runs whose ``strategy`` equals ``"global"``; a set gives several
        allowed values (``width={8, 16}``).  Runs lacking a filtered key are
        left out.  An invalid file (see :class:`RunStore`) is left out with a
        warning naming it; two files of one configuration (an earlier
        version's and this one's) give one row, with a warning.
        """
        if not self.directory.is_dir():
            return []
        rows = {}
        for path in sorted(self.directory.glob("run-*.json")):
            try:
                record = self._read(path)
            except ValueError as err:
                _warn(f"{err}; left out of the table")
                continue
            canonical = _canonical(record["config"], "config")
            if canonical in rows:
                kept = path if path.name == f"run-{_key(canonical)}.json" else rows[canonical][0]
                first = rows[canonical][0].name
                _warn(f"run files {first} and {path.name} hold the same configuration; using {kept.name}")
                if kept is not path:
                    continue
            if _matches(record["config"], match):
                rows[canonical] = (path, {**record["config"], **record["result"]})
        return [rows[c][1] for c in sorted(rows)]

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
    if path.is_dir():
        raise ValueError(f"path must name a CSV file, but {str(path)!r} is a directory")
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
