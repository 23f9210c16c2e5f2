"""Figures and tables of the chapter :doc:`/book/oneshot_pruning`: one-shot pruning by strategy and setting.

The results are summaries ``{(setting, strategy, retrained): (mean, s.e., count)}`` as made by
:func:`pruning_lab.nn.oneshot.experiments.summarize` (torch-free here: only the numbers are read).
"""

from __future__ import annotations

import math

import numpy as np

from .style import STRATEGY_LABELS, axes_or_new, strategy_color

__all__ = ["oneshot_table", "paired_difference", "plot_oneshot"]


def _fmt(entry, scale, digits):
    if entry is None:
        return "—"
    mean, se, _ = entry
    if math.isnan(se):
        return f"{scale * mean:.{digits}f}"
    return f"{scale * mean:.{digits}f} ± {scale * se:.{digits}f}"


def paired_difference(
    rows, a: str, b: str, *, metric: str = "accuracy", scale: float = 1.0, by: str = "strategy", **match
) -> tuple:
    """Mean and standard error of the seed-paired difference ``metric(a) - metric(b)``, times ``scale``.

    The standard error is that of the ``n`` paired differences (``ddof=1``): the right error bar
    when the seeds pair the runs (same trained model, same calibration set).

    Parameters
    ----------
    rows : list of dict
        Result rows with ``"seed"``, the field ``by`` and ``metric``.
    a, b : str
        The two values of ``by`` compared (two strategies); they must have the same seeds (at least
        two).
    metric : str
        The field compared.
    scale : float
        Multiplies the differences (100: accuracy points).
    by : str
        The field that tells the two apart (default ``"strategy"``; e.g. ``"method"``).
    **match
        Only rows whose fields equal these count (e.g. ``setting="90%", retrained=0``).

    Returns
    -------
    tuple
        ``(mean, se, n)``.
    """

    def values(strategy):
        return {
            r["seed"]: float(r[metric])
            for r in rows
            if r[by] == strategy and all(r.get(k) == v for k, v in match.items())
        }

    va, vb = values(a), values(b)
    if set(va) != set(vb) or len(va) < 2:
        raise ValueError(
            f"strategies {a!r} and {b!r} need the same seeds (at least two) among the rows matching {match}; "
            f"got {sorted(va)} and {sorted(vb)}"
        )
    d = scale * np.array([va[s] - vb[s] for s in sorted(va)])
    return float(d.mean()), float(d.std(ddof=1) / np.sqrt(d.size)), int(d.size)


def oneshot_table(summary, settings, strategies, *, retrained=0, scale=100.0, digits=1, width=14) -> str:
    """A text table, one row per setting and one column per strategy: mean ± s.e. (× ``scale``).

    Parameters
    ----------
    summary : dict
        ``{(setting, strategy, retrained): (mean, se, count)}``.
    settings, strategies : sequence of str
        Rows and columns, in order.
    retrained : int or bool
        Which half of the summary (0: right after pruning, 1: after retraining).
    scale : float
        Multiplies every number (100: accuracy in percent).
    digits : int
        Decimals.
    width : int
        Column width.
    """
    head = f"{'setting':<9}" + "".join(f"{m:>{width}}" for m in strategies)
    lines = [head]
    for s in settings:
        cells = [_fmt(summary.get((s, m, int(retrained))), scale, digits) for m in strategies]
        lines.append(f"{s:<9}" + "".join(f"{c:>{width}}" for c in cells))
    return "\n".join(lines)


def plot_oneshot(summary, settings, strategies, *, retrained=0, scale=100.0, ylabel="test accuracy (%)", ax=None):
    """Mean ± s.e. bars of each strategy per setting (grouped bars).

    Parameters
    ----------
    summary : dict
        ``{(setting, strategy, retrained): (mean, se, count)}``, as in :func:`oneshot_table`.
    settings, strategies : sequence of str
        Groups on the x axis, bars within a group.
    retrained : int or bool
        Which half of the summary.
    scale : float
        Multiplies every number.
    ylabel : str
    ax : matplotlib Axes, optional
    """
    ax = axes_or_new(ax)
    x = np.arange(len(settings))
    width = 0.8 / len(strategies)
    for i, strategy in enumerate(strategies):
        entries = [summary.get((s, strategy, int(retrained))) for s in settings]
        mean = np.array([np.nan if e is None else scale * e[0] for e in entries])
        se = np.array([np.nan if e is None else scale * e[1] for e in entries])
        ax.bar(
            x + (i - (len(strategies) - 1) / 2) * width,
            mean,
            width,
            yerr=np.nan_to_num(se),
            capsize=2,
            color=strategy_color(strategy),
            label=STRATEGY_LABELS.get(strategy, strategy),
        )
    ax.set_xticks(x, settings)
    ax.set_xlabel("sparsity or N:M pattern")
    ax.set_ylabel(ylabel)
    ax.legend(fontsize="small")
    return ax
