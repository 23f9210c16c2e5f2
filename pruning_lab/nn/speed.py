r"""Stored speed measurements: dense against CSR layers, and the latency of whole architectures.

Timings are not reproducible, so a chapter about speed draws its figures from a file of stored
measurements and prints live timings only where they are not compared.  This module writes and
reads that file.

- :func:`measure_speed` measures, on this CPU, (a) the break-even table of
  :func:`pruning_lab.nn.sparse_linear.break_even_table` (dense ``nn.Linear`` against
  :class:`~pruning_lab.nn.sparse_linear.SparseLinear` for random layers of given shapes and
  sparsities) and (b) the latency of whole architectures (:func:`pruning_lab.nn.measure.latency`,
  with their parameters, multiply-accumulates and checkpoint bytes), at every batch size and
  number of threads.  Each finished row is written to the file at once (atomically), and a second
  call with the same file measures only the rows that are missing.
- :func:`load_speed` reads such a file back, checked.
- :func:`~pruning_lab.nn.architectures.store_architectures` collects the distinct architectures
  of the runs of run stores (a width sweep's dense models, or the smaller networks of structured
  pruning), each identified by :func:`~pruning_lab.nn.architectures.architecture_key`.

The timings use this CPU's normal fast kernels: do *not* call
:func:`pruning_lab.nn.reproducible.use_reproducible_cpu` first (it switches off oneDNN, which
changes the speed of convolutions, and sets ``MKL_CBWR``).  :func:`measure_speed` switches oneDNN
on while it measures (where torch has it) and restores the previous setting; the file records
torch's version, its CPU capability, whether oneDNN was on and ``MKL_CBWR``.

Used in the chapter :doc:`/book/pruning_speed`.
"""

from __future__ import annotations

import datetime
import json
import os
import platform
from collections.abc import Mapping, Sequence
from pathlib import Path

import torch

from ..runs import atomic_write
from ..validation import check_int
from .architectures import _spec_dict, architecture_key
from .measure import count_params, latency, macs, model_bytes
from .sparse_linear import break_even_table
from .structured.surgery import build_from_spec

__all__ = ["FORMAT", "WARMUP", "load_speed", "measure_speed"]

#: The ``"format"`` field of a speed file.
FORMAT = "pruning-lab-speed/1"
#: Untimed forward passes before every latency measurement of an architecture.
WARMUP = 3
#: Fields of ``"meta"`` that must agree for a file to be resumed (measurements of one machine and torch).
_MACHINE = ("torch", "cpu_capability", "processor", "machine", "mkldnn", "mkl_cbwr")
_BREAK_EVEN_FIELDS = ("out_features", "in_features", "sparsity", "batch_size", "threads", "repeats")
_BREAK_EVEN_FIELDS += ("dense_median", "dense_q1", "dense_q3", "sparse_median", "sparse_q1", "sparse_q3", "speedup")
_LATENCY_FIELDS = ("key", "label", "input_shape", "batch_size", "threads", "repeats", "warmup")
_LATENCY_FIELDS += ("params", "macs", "bytes", "median", "q1", "q3")


# ------------------------------------------------------------------------------------------ checks
def _positive_ints(values, name):
    if isinstance(values, (str, bytes)) or not isinstance(values, Sequence) or not values:
        raise ValueError(f"{name} must be a non-empty list of positive integers, got {values!r}")
    out = tuple(check_int(v, f"every entry of {name}") for v in values)
    if len(set(out)) != len(out):
        raise ValueError(f"{name} must not repeat a value, got {list(out)}")
    return out


def _check_shapes(shapes):
    if isinstance(shapes, (str, bytes)) or not isinstance(shapes, Sequence):
        raise ValueError(f"shapes must be a list of (out_features, in_features) pairs, got {shapes!r}")
    out = []
    for s in shapes:
        if isinstance(s, (str, bytes)) or not isinstance(s, Sequence) or len(s) != 2:
            raise ValueError(f"shapes must be a list of (out_features, in_features) pairs, got the entry {s!r}")
        out.append(tuple(check_int(d, "every dimension of shapes") for d in s))
    if len(set(out)) != len(out):
        raise ValueError(f"shapes must not repeat a shape, got {out}")
    return out


def _check_sparsities(sparsities):
    if isinstance(sparsities, (str, bytes)) or not isinstance(sparsities, Sequence) or not sparsities:
        raise ValueError(f"sparsities must be a non-empty list of fractions in [0, 1), got {sparsities!r}")
    out = []
    for s in sparsities:
        if isinstance(s, bool) or not isinstance(s, (int, float)) or not 0 <= s < 1:
            raise ValueError(f"every entry of sparsities must be a fraction in [0, 1), got {s!r}")
        out.append(float(s))
    if len(set(out)) != len(out):
        raise ValueError(f"sparsities must not repeat a value, got {out}")
    return out


def _check_architectures(architectures):
    """``{label: (key, spec, input_shape)}`` from the ``{label: (spec, input_shape)}`` of the caller."""
    if not isinstance(architectures, Mapping):
        raise ValueError(f"architectures must be a dict {{label: (spec, input_shape)}}, got {architectures!r}")
    out, labels_of = {}, {}
    for label, entry in architectures.items():
        if not isinstance(label, str) or not label:
            raise ValueError(f"architectures must have non-empty string labels, got {label!r}")
        if not isinstance(entry, Sequence) or isinstance(entry, (str, bytes)) or len(entry) != 2:
            raise ValueError(f"architectures[{label!r}] must be a pair (spec, input_shape), got {entry!r}")
        spec, shape = entry
        spec = _spec_dict(spec)
        key = architecture_key(spec)
        if isinstance(shape, (str, bytes)) or not isinstance(shape, Sequence) or not shape:
            raise ValueError(f"architectures[{label!r}] needs an input shape (one sample's), got {shape!r}")
        shape = tuple(check_int(d, f"every dimension of the input shape of architectures[{label!r}]") for d in shape)
        if key in labels_of:
            raise ValueError(f"architectures {labels_of[key]!r} and {label!r} are the same architecture (key {key})")
        labels_of[key] = label
        out[label] = (key, spec, shape)
    return out


# ------------------------------------------------------------------------------------------ the file
def _meta_now(arguments, command):
    return {
        "torch": torch.__version__,
        "cpu_capability": torch.backends.cpu.get_cpu_capability(),
        "processor": platform.processor(),
        "machine": platform.machine(),
        "mkldnn": bool(torch.backends.mkldnn.is_available()),
        "mkl_cbwr": os.environ.get("MKL_CBWR"),
        "python": platform.python_version(),
        "runs": [
            {
                "date": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
                "command": command,
                "arguments": arguments,
            }
        ],
    }


def load_speed(path) -> dict:
    """The measurements written by :func:`measure_speed` at ``path``, with their structure checked.

    Returns
    -------
    dict
        ``{"format", "complete", "meta", "break_even": [row, ...], "latency": [row, ...]}``, the
        rows as described in :func:`measure_speed`.  ``FileNotFoundError`` if there is no file,
        ``ValueError`` naming ``path`` if it is not such a file.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"no speed measurements at {str(path)!r}; write them with measure_speed")
    bad = f"{str(path)!r} is not a file of speed measurements written by measure_speed"
    try:
        table = json.loads(path.read_text())
    except (json.JSONDecodeError, UnicodeDecodeError):
        raise ValueError(f"{bad} (not JSON)") from None
    if not isinstance(table, dict) or table.get("format") != FORMAT:
        raise ValueError(f"{bad} (no 'format': {FORMAT!r})")
    meta = table.get("meta")
    if not isinstance(meta, dict) or any(k not in meta for k in _MACHINE) or not isinstance(meta.get("runs"), list):
        raise ValueError(f"{bad} ('meta' lacks {', '.join(_MACHINE)} or 'runs')")
    if not isinstance(table.get("complete"), bool):
        raise ValueError(f"{bad} ('complete' must be true or false)")
    for part, fields in (("break_even", _BREAK_EVEN_FIELDS), ("latency", _LATENCY_FIELDS)):
        rows = table.get(part)
        if not isinstance(rows, list) or any(not isinstance(r, dict) or any(f not in r for f in fields) for r in rows):
            raise ValueError(f"{bad} ('{part}' must be a list of rows with the fields {', '.join(fields)})")
    return table


def _save(path, table):
    with atomic_write(path) as tmp:
        tmp.write_text(json.dumps(table, indent=1) + "\n")


def _break_even_id(row):
    return (row["out_features"], row["in_features"], float(row["sparsity"]), row["batch_size"], row["threads"])


def _latency_id(row):
    return (row["key"], row["batch_size"], row["threads"])


def _start(path, meta):
    """The table to extend: the file at ``path`` (same machine and torch), or a new one."""
    if Path(path).exists() and not Path(path).is_file():
        raise ValueError(f"path {str(path)!r} exists and is not a file")
    if not Path(path).exists():
        return {"format": FORMAT, "complete": False, "meta": meta, "break_even": [], "latency": []}
    table = load_speed(path)
    differ = [k for k in _MACHINE if table["meta"][k] != meta[k]]
    if differ:
        raise ValueError(
            f"path {str(path)!r} holds measurements of another set-up ({', '.join(differ)} differ: "
            f"{[table['meta'][k] for k in differ]} there, {[meta[k] for k in differ]} here); choose another path"
        )
    table["meta"] = {**meta, "runs": table["meta"]["runs"] + meta["runs"]}
    table["complete"] = False
    return table


# ------------------------------------------------------------------------------------------ measuring
def _break_even_row(shape, sparsity, batch_size, threads, repeats):
    row = break_even_table([shape], [sparsity], [batch_size], repeats=repeats, threads=threads)[0]
    dense, sparse = row.dense_latency(), row.sparse_latency()
    return {
        "out_features": shape[0],
        "in_features": shape[1],
        "sparsity": sparsity,
        "batch_size": batch_size,
        "threads": threads,
        "repeats": repeats,
        "dense_median": dense.median,
        "dense_q1": dense.q1,
        "dense_q3": dense.q3,
        "sparse_median": sparse.median,
        "sparse_q1": sparse.q1,
        "sparse_q3": sparse.q3,
        "speedup": dense.median / sparse.median,
    }


def _model_of(spec):
    """The network of ``spec``, its weights drawn from torch's generator seeded with 0 (global state untouched)."""
    with torch.random.fork_rng():
        torch.manual_seed(0)
        return build_from_spec(spec).eval()


def _cost(model, shape):
    return {"params": count_params(model), "macs": macs(model, shape)[0], "bytes": model_bytes(model)}


def measure_speed(
    path,
    *,
    shapes,
    sparsities,
    batch_sizes,
    architectures,
    threads=(1,),
    repeats: int = 20,
    progress: bool = False,
    command: str = "",
) -> dict:
    r"""Measure break-even rows and architecture latencies on this CPU into the JSON file ``path``, resumably.

    **Break-even rows**, one per ``(out_features, in_features)`` of ``shapes`` × sparsity × batch
    size × thread count: a random layer is timed as ``nn.Linear`` and as CSR
    :class:`~pruning_lab.nn.sparse_linear.SparseLinear`, alternately, ``repeats`` times each
    (:func:`~pruning_lab.nn.sparse_linear.break_even_table`); a row holds the median and the
    quartiles :math:`q_1, q_3` of both and the speed-up :math:`t_{dense}/t_{CSR}` of the medians.

    **Latency rows**, one per architecture × batch size × thread count: the network of the spec
    (:func:`~pruning_lab.nn.structured.surgery.build_from_spec`, weights seeded with 0) with its
    :func:`~pruning_lab.nn.measure.count_params`, :func:`~pruning_lab.nn.measure.macs` (one
    sample), :func:`~pruning_lab.nn.measure.model_bytes`, and the median and quartiles of
    ``repeats`` timed forward passes of :func:`~pruning_lab.nn.measure.latency` after
    :data:`WARMUP` untimed ones.

    The file (``{"format", "complete", "meta", "break_even", "latency"}``; ``"meta"`` holds torch's
    version, its CPU capability, ``platform.processor()`` and ``machine()``, whether oneDNN was on
    (it is switched on while measuring, where available), ``MKL_CBWR``, and per call the date,
    ``command`` and the arguments) is rewritten atomically after every
    row.  Rows are identified by their parameters (shape, sparsity, batch size, threads; or
    architecture key, batch size, threads): a call with an existing file keeps its rows, measures
    only the missing ones (an interrupted call loses nothing finished) and refuses a file measured
    with another torch or CPU set-up.  ``"complete"`` becomes true when every requested row is
    there.  The kernels are this CPU's normal fast ones: do not call
    :func:`pruning_lab.nn.reproducible.use_reproducible_cpu` before.

    Parameters
    ----------
    path : str or Path
        The JSON file (created, or resumed).
    shapes : sequence of (int, int)
        ``(out_features, in_features)`` of the random layers (may be empty: no break-even rows).
    sparsities : sequence of float
        Fractions of weights removed, in [0, 1).
    batch_sizes : sequence of int
        Samples per forward pass.
    architectures : dict
        ``{label: (spec, input_shape)}``, a spec of
        :func:`~pruning_lab.nn.structured.surgery.architecture_spec` and one sample's shape (may be
        empty: no latency rows); e.g. from :func:`~pruning_lab.nn.architectures.store_architectures`.
    threads : sequence of int
        Intra-op thread counts.
    repeats : int
        Timed passes per measurement.
    progress : bool
        Show a progress bar over the rows to measure.
    command : str
        The command line, recorded in ``"meta"``.

    Returns
    -------
    dict
        What was written (as :func:`load_speed` reads it).
    """
    shapes = _check_shapes(shapes)
    sparsities = _check_sparsities(sparsities)
    batch_sizes = _positive_ints(batch_sizes, "batch_sizes")
    threads = _positive_ints(threads, "threads")
    repeats = check_int(repeats, "repeats")
    archs = _check_architectures(architectures)
    if not shapes and not archs:
        raise ValueError("shapes and architectures are both empty: there is nothing to measure")
    if not isinstance(progress, bool):
        raise ValueError(f"progress must be True or False, got {progress!r}")
    if not isinstance(command, str):
        raise ValueError(f"command must be a string, got {command!r}")
    arguments = {
        "shapes": [list(s) for s in shapes],
        "sparsities": sparsities,
        "batch_sizes": list(batch_sizes),
        "threads": list(threads),
        "repeats": repeats,
        "architectures": {label: [key, list(shape)] for label, (key, _, shape) in archs.items()},
    }
    table = _start(path, _meta_now(arguments, command))
    done_be = {_break_even_id(r) for r in table["break_even"]}
    done_lat = {_latency_id(r) for r in table["latency"]}
    todo_be = [
        (shape, s, b, t)
        for t in threads
        for shape in shapes
        for s in sparsities
        for b in batch_sizes
        if (*shape, s, b, t) not in done_be
    ]
    todo_lat = [
        (label, b, t)
        for t in threads
        for label, (key, _, _) in archs.items()
        for b in batch_sizes
        if (key, b, t) not in done_lat
    ]
    models = {}
    for label in dict.fromkeys(label for label, _, _ in todo_lat):  # built and costed first: a bad one fails early
        _, spec, shape = archs[label]
        try:
            model = _model_of(spec)
            models[label] = (model, _cost(model, shape))
        except (ValueError, TypeError, KeyError, RuntimeError) as err:
            raise ValueError(f"architectures[{label!r}] cannot be built and run on {shape}: {err}") from None
    from tqdm.auto import tqdm

    bar = tqdm(total=len(todo_be) + len(todo_lat), desc="speed", disable=not progress)
    mkldnn = torch.backends.mkldnn.enabled
    try:
        torch.backends.mkldnn.enabled = torch.backends.mkldnn.is_available()
        for shape, s, b, t in todo_be:
            table["break_even"].append(_break_even_row(shape, s, b, t, repeats))
            _save(path, table)
            bar.update()
        for label, b, t in todo_lat:
            key, _, shape = archs[label]
            model, cost = models[label]
            lat = latency(model, shape, batch_size=b, repeats=repeats, warmup=WARMUP, threads=t)
            row = {"key": key, "label": label, "input_shape": list(shape), "batch_size": b, "threads": t}
            row |= {"repeats": repeats, "warmup": WARMUP, **cost, "median": lat.median, "q1": lat.q1, "q3": lat.q3}
            table["latency"].append(row)
            _save(path, table)
            bar.update()
    finally:
        torch.backends.mkldnn.enabled = mkldnn
        bar.close()
    table["complete"] = True
    _save(path, table)
    return table
