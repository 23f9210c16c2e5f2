r"""Architectures by name: a stable key of an architecture spec, and the architectures of run stores.

- :func:`architecture_key` names the architecture of a
  :func:`pruning_lab.nn.structured.surgery.architecture_spec` (dict or JSON text) by a hash, so
  that measurements of one architecture can be found again (:mod:`pruning_lab.nn.speed`).
- :func:`store_architectures` collects the distinct architectures of the runs of run stores: a
  width sweep's dense models, or the smaller networks of structured pruning
  (:mod:`pruning_lab.nn.structured.experiments`, whose runs store their ``spec``).

Used by :mod:`pruning_lab.nn.speed` and the chapter :doc:`/book/pruning_speed`.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Sequence
from pathlib import Path

from .models import MODELS, build_model
from .structured.surgery import architecture_spec

__all__ = ["architecture_key", "store_architectures"]


def architecture_key(spec) -> str:
    """A short stable name of an architecture: the first 16 hex digits of the SHA-256 of its spec.

    ``spec`` is a dict of :func:`pruning_lab.nn.structured.surgery.architecture_spec`, or its JSON
    text (as run records store it); it is encoded as ``json.dumps(spec, sort_keys=True)``, so equal
    specs (whatever their key order, dict or text) have equal keys.
    """
    return hashlib.sha256(json.dumps(_spec_dict(spec), sort_keys=True).encode()).hexdigest()[:16]


def _spec_dict(spec) -> dict:
    """``spec`` as a dict (parsed when it is JSON text), checked to be JSON with a ``"kind"``."""
    if isinstance(spec, str):
        try:
            spec = json.loads(spec)
        except json.JSONDecodeError:
            raise ValueError(
                "spec must be a dict made by architecture_spec or its JSON text; got text that is not JSON"
            ) from None
    if not isinstance(spec, dict) or "kind" not in spec:
        raise ValueError(f"spec must be a dict made by architecture_spec (with a 'kind'), got {type(spec).__name__}")
    try:
        json.dumps(spec)
    except (TypeError, ValueError) as err:
        raise ValueError(f"spec must hold only JSON values (ints, strings, lists, dicts): {err}") from None
    return spec


# ------------------------------------------------------------------------------------------ run stores
def _input_shape(model_name, dataset):
    """One sample's shape for a width-sweep model on a data set of :data:`pruning_lab.nn.sweeps.DATASETS`."""
    from .sweeps.config import DATASETS

    d = DATASETS[dataset]
    if MODELS[model_name].image_input:
        side = int(round((d["in_features"] / d["in_channels"]) ** 0.5))
        return (d["in_channels"], side, side)
    return (d["in_features"],)


def _model_and_data(config):
    """``(model, dataset)`` of a run: its own fields, else those of its named width sweep (``sweep``, ``scale``)."""
    from .sweeps.config import SWEEPS

    name, dataset = config.get("model"), config.get("dataset")
    sweep = (
        SWEEPS.get(config.get("sweep"), {}).get(config.get("scale")) if isinstance(config.get("sweep"), str) else None
    )
    if sweep is not None:
        name, dataset = name or sweep.model, dataset or sweep.dataset
    return name, dataset


#: Fields of a run configuration that say how it was pruned, in the order a label shows them.
_HOW = ("keep", "fraction", "sparsity", "prune_fraction", "method", "criterion")


def _run_architecture(file, record):
    """``(spec, input_shape, label, order)`` of one run record, or None for a run without an architecture."""
    from .sweeps.config import DATASETS

    config, result = (record.get("config"), record.get("result")) if isinstance(record, dict) else (None, None)
    if not isinstance(config, dict) or not isinstance(result, dict):
        raise ValueError(f"store_dirs: {file} is not a run record ({{'config': ..., 'result': ...}})")
    (name, dataset), width = _model_and_data(config), config.get("width")
    head = " ".join(str(p) for p in (name, f"w={width}" if width is not None else None) if p is not None)
    if "spec" in result:
        if "input_shape" not in result:
            raise ValueError(f"store_dirs: {file} has a 'spec' but no 'input_shape' in its result")
        try:
            spec = _spec_dict(result["spec"])
        except ValueError as err:
            raise ValueError(f"store_dirs: {file}: {err}") from None
        how = [f"{k}={config[k]:g}" if isinstance(config[k], float) else str(config[k]) for k in _HOW if k in config]
        label = " ".join([head or str(spec["kind"]), "pruned", *how])
        return spec, tuple(result["input_shape"]), label, (str(name), width or 0, 1, label)
    if name is None or width is None or dataset is None:
        return None
    if name not in MODELS or dataset not in DATASETS:
        raise ValueError(f"store_dirs: {file} names an unknown model {name!r} or data set {dataset!r}")
    shape = {k: DATASETS[dataset][k] for k in ("in_features", "in_channels")}
    spec = architecture_spec(build_model(name, int(width), **shape))
    return spec, _input_shape(name, dataset), head, (str(name), width, 0, head)


def store_architectures(store_dirs) -> dict:
    """The distinct architectures of the runs (``run-*.json``) of run stores, labelled, to be timed.

    The result is the ``architectures`` argument of :func:`~pruning_lab.nn.speed.measure_speed`.

    A run's architecture is ``result["spec"]`` (a dict or its JSON text) with
    ``result["input_shape"]`` when its result has a spec (the smaller networks of structured
    pruning); otherwise, for a run whose configuration has ``model``, ``width`` and ``dataset``
    (width sweeps, IMP experiments), or ``width`` and a named width sweep ``sweep``, ``scale`` of
    :data:`pruning_lab.nn.sweeps.config.SWEEPS` that gives them, the dense model
    ``pruning_lab.nn.models.build_model(model, width, ...)`` with the input size of the data set,
    whose input shape is ``(in_features,)`` for the fully connected models and
    ``(channels, 32, 32)``-like for ResNet-20.  Runs of other experiments are skipped.  Runs with
    the same :func:`architecture_key` count once (a masked network has its dense architecture).

    Labels: ``"<model> w=<width>"`` for a dense architecture, ``"<model> w=<width> pruned
    fraction=<fraction> <method>"`` for a spec, from the configuration's fields ``keep``, ``fraction``,
    ``sparsity``, ``prune_fraction``, ``method`` and ``criterion``, those present (e.g.
    ``"resnet20 w=16 pruned fraction=0.5 l1"``); two different architectures with the same label (say
    the same sizes with other channels kept) get their key's first 6 digits appended
    (``" #3fa2c1"``).

    Returns
    -------
    dict
        ``{label: (spec, input_shape)}``, ordered by model, width, dense before pruned, label.
    """
    dirs = [store_dirs] if isinstance(store_dirs, (str, os.PathLike)) else store_dirs
    if not isinstance(dirs, Sequence) or not dirs:
        raise ValueError(f"store_dirs must be a directory or a non-empty list of them, got {store_dirs!r}")
    found = {}
    for d in dirs:
        d = Path(d)
        if not d.is_dir():
            raise ValueError(f"store_dirs: {str(d)!r} is not a directory")
        files = sorted(d.glob("run-*.json"))
        if not files:
            raise ValueError(f"store_dirs: {str(d)!r} holds no run records (run-*.json)")
        for file in files:
            try:
                record = json.loads(file.read_text())
            except (json.JSONDecodeError, UnicodeDecodeError):
                raise ValueError(f"store_dirs: {file} is not JSON") from None
            arch = _run_architecture(file, record)
            if arch is not None:
                found.setdefault(architecture_key(arch[0]), arch)
    labels = {}
    for _, _, label, _ in found.values():
        labels[label] = labels.get(label, 0) + 1
    out = {}
    for key, (spec, shape, label, _) in sorted(found.items(), key=lambda item: item[1][3]):
        out[label if labels[label] == 1 else f"{label} #{key[:6]}"] = (spec, tuple(int(v) for v in shape))
    return out
