r"""Figures and tables of stored speed measurements: where a sparse kernel pays, and what whole networks cost.

The table is the dict written by :func:`pruning_lab.nn.speed.measure_speed` and read by
:func:`pruning_lab.nn.speed.load_speed` (torch-free here: only the numbers are read).  The
speed-up of the sparse path is :math:`t_{dense}/t_{CSR}`, the ratio of the median times; above 1
the CSR kernel is faster.

Used in the chapter :doc:`/book/pruning_speed`.
"""

from __future__ import annotations

import numpy as np

from .style import axes_or_new

__all__ = [
    "LATENCY_COLUMNS",
    "break_even_rows",
    "break_even_sparsity",
    "latency_of",
    "latency_rows",
    "latency_table",
    "plot_break_even",
]

#: Columns of :func:`latency_rows` and :func:`latency_table`, in order.
LATENCY_COLUMNS = ("label", "batch_size", "threads", "params", "macs", "bytes", "median_ms", "q1_ms", "q3_ms")


def _rows(table, part):
    if not isinstance(table, dict) or not isinstance(table.get(part), list):
        raise ValueError(f"table must be a speed table (load_speed) with a list {part!r}, got {type(table).__name__}")
    return table[part]


def break_even_rows(table, *, shape, threads: int = 1) -> list:
    """The break-even rows of ``table`` for one layer ``shape`` ``(out_features, in_features)`` and thread count.

    Sorted by batch size, then sparsity.  ``ValueError`` naming ``shape`` (and the shapes there
    are) when the table has no row of it.
    """
    rows = _rows(table, "break_even")
    if not isinstance(shape, (tuple, list)) or len(shape) != 2:
        raise ValueError(f"shape must be a pair (out_features, in_features), got {shape!r}")
    out = [r for r in rows if (r["out_features"], r["in_features"]) == tuple(shape) and r["threads"] == threads]
    if not out:
        have = sorted({(r["out_features"], r["in_features"], r["threads"]) for r in rows})
        raise ValueError(f"shape {tuple(shape)} with threads={threads} is not in the table; it has {have}")
    return sorted(out, key=lambda r: (r["batch_size"], r["sparsity"]))


def break_even_sparsity(table, *, shape, batch_size: int, threads: int = 1):
    """The smallest stored sparsity from which CSR is faster at every larger stored sparsity, or None.

    Read from the break-even rows of one layer ``shape``, ``batch_size`` and ``threads``
    (:func:`break_even_rows`): the sparsity :math:`s_i` of the first row such that every row
    from it on has a speed-up :math:`t_{dense}/t_{CSR} > 1`; ``None`` if the last (sparsest) row
    is not faster.  ``ValueError`` if the table has no row at that batch size.
    """
    rows = [r for r in break_even_rows(table, shape=shape, threads=threads) if r["batch_size"] == batch_size]
    if not rows:
        raise ValueError(f"batch_size {batch_size!r} is not in the table for shape {tuple(shape)}")
    start = None
    for row in reversed(rows):
        if row["speedup"] <= 1:
            break
        start = row["sparsity"]
    return start


def latency_of(table, key: str, *, batch_size: int = 1, threads: int = 1) -> float:
    """The stored median latency, in seconds, of the architecture ``key`` at one batch size and thread count.

    ``key`` is :func:`pruning_lab.nn.architectures.architecture_key` of the architecture.
    ``ValueError`` naming the key when the table has no such row (or more than one).
    """
    rows = [
        r for r in _rows(table, "latency") if (r["key"], r["batch_size"], r["threads"]) == (key, batch_size, threads)
    ]
    if len(rows) != 1:
        raise ValueError(
            f"key {key!r} at batch_size={batch_size}, threads={threads} has {len(rows)} rows in the table, expected 1"
        )
    return float(rows[0]["median"])


def plot_break_even(table, *, shape, batch_sizes=None, threads: int = 1, ax=None):
    """Speed-up :math:`t_{dense}/t_{CSR}` of a CSR layer against sparsity, one line per batch size.

    For the layer ``shape`` ``(out_features, in_features)`` at ``threads`` threads; a dotted line
    at 1 marks break-even (above it the sparse kernel is faster).  The error bars span the ratios
    of the quartiles, :math:`q_1^{dense}/q_3^{CSR}` to :math:`q_3^{dense}/q_1^{CSR}` (a pessimistic
    and an optimistic speed-up).  ``batch_sizes`` (default: all in the table) chooses the lines;
    the y axis is logarithmic.  Returns the Axes.
    """
    rows = break_even_rows(table, shape=shape, threads=threads)
    have = sorted({r["batch_size"] for r in rows})
    batch_sizes = have if batch_sizes is None else list(batch_sizes)
    missing = [b for b in batch_sizes if b not in have]
    if not batch_sizes or missing:
        raise ValueError(f"batch_sizes must be among {have} for shape {tuple(shape)}, got {batch_sizes}")
    ax = axes_or_new(ax)
    for b in batch_sizes:
        sel = [r for r in rows if r["batch_size"] == b]
        s = np.array([r["sparsity"] for r in sel])
        ratio = np.array([r["speedup"] for r in sel])
        low = np.array([r["dense_q1"] / r["sparse_q3"] for r in sel])
        high = np.array([r["dense_q3"] / r["sparse_q1"] for r in sel])
        ax.errorbar(s, ratio, yerr=[ratio - low, high - ratio], marker="o", ms=4, capsize=2, label=f"batch {b}")
    ax.axhline(1.0, color="0.3", ls=":", lw=1)
    ax.set_yscale("log")
    ax.set_xlabel("sparsity (fraction of weights removed)")
    ax.set_ylabel(r"speed-up $t_{dense}/t_{CSR}$")
    ax.set_title(f"{shape[0]}×{shape[1]} linear layer, {threads} thread{'s' if threads > 1 else ''}", fontsize="medium")
    ax.legend(fontsize="small")
    return ax


def latency_rows(table, *, threads=None, batch_sizes=None) -> list:
    """The latency rows of ``table`` as dicts, seconds turned into milliseconds.

    Their keys are :data:`~pruning_lab.plotting.speed.LATENCY_COLUMNS`.

    Optionally only those at ``threads`` and at the batch sizes ``batch_sizes``; in the order of
    the file's architectures, then batch size, then threads.
    """
    rows = _rows(table, "latency")
    order = {}
    for r in rows:
        order.setdefault(r["key"], len(order))
    out = []
    for r in sorted(rows, key=lambda r: (order[r["key"]], r["batch_size"], r["threads"])):
        if (threads is not None and r["threads"] != threads) or (
            batch_sizes is not None and r["batch_size"] not in batch_sizes
        ):
            continue
        out.append(
            {
                "label": r["label"],
                "batch_size": r["batch_size"],
                "threads": r["threads"],
                "params": r["params"],
                "macs": r["macs"],
                "bytes": r["bytes"],
                "median_ms": 1e3 * r["median"],
                "q1_ms": 1e3 * r["q1"],
                "q3_ms": 1e3 * r["q3"],
            }
        )
    return out


def latency_table(table, *, threads=None, batch_sizes=None):
    """The latency rows of ``table`` (:func:`latency_rows`) as a pandas ``DataFrame``, one column per field.

    Columns :data:`~pruning_lab.plotting.speed.LATENCY_COLUMNS`: label, batch size, threads,
    parameters, multiply-accumulates of one sample, checkpoint bytes, and the median and
    quartiles of the latency of one batch in milliseconds.  pandas is imported here (it comes
    with the book's environment, not with the package).
    """
    try:
        import pandas as pd
    except ImportError:  # pragma: no cover - pandas is in the book's environment
        raise ImportError("latency_table needs pandas (pip install pandas); latency_rows gives the same rows") from None
    return pd.DataFrame(latency_rows(table, threads=threads, batch_sizes=batch_sizes), columns=list(LATENCY_COLUMNS))
