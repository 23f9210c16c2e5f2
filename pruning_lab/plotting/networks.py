r"""Figures of the network chapters: :doc:`/book/pruning_mnist` and :doc:`/book/resnet_cifar`.

- :func:`width_sweep_summary` and :func:`plot_width_sweep`: the width sweep of
  Chang, Li, Oymak & Thrampoulidis (2021, Figs. 1, 5 and 6): error of dense
  models of width :math:`h` and of models pruned to the weight count of a
  small base model, against :math:`h`;
- :func:`plot_imp`: iterative magnitude pruning with rewinding against random
  re-initialisation of the same masks (Frankle & Carbin, 2019).
"""

from __future__ import annotations

import numpy as np
from matplotlib.ticker import FuncFormatter, NullFormatter

from .style import STRATEGY_COLORS, axes_or_new

__all__ = [
    "plot_imp",
    "plot_imp_summary",
    "plot_width_sweep",
    "width_sweep_comparison",
    "width_sweep_summary",
    "width_sweep_table",
]

_LABELS = {
    "dense": "dense, trained at this width",
    "global": "global magnitude",
    "layerwise": "layer-wise magnitude",
    "random": "random",
    "scratch": "global mask, re-initialised, trained from scratch",
}


def _curve_name(strategy, retrain):
    """Name of a curve in tables and legends."""
    if strategy == "dense":
        return "dense, budget-matched" if retrain else "dense"
    if strategy == "scratch":
        return "scratch (same mask)"
    return f"{strategy}, {'retrained' if retrain else 'not retrained'}"


def width_sweep_summary(rows, metric: str = "test_error") -> dict:
    r"""Mean and standard error over seeds of ``metric`` for each (strategy, retrain) curve of a width sweep.

    For a curve :math:`c` and width :math:`h` with values :math:`e_1,\dots,e_m` of
    ``metric`` (one per seed), the mean is :math:`\bar e=\frac1m\sum_i e_i` and the
    standard error :math:`\mathrm{se}=s/\sqrt m` with the sample standard deviation
    :math:`s=\big(\frac1{m-1}\sum_i(e_i-\bar e)^2\big)^{1/2}` (zero for one seed: then
    there is no error bar).  ``("dense", True)`` is the budget-matched dense model (trained
    as many more epochs as the pruned models are retrained), a curve of its own.  Used by
    the chapters :doc:`/book/pruning_mnist` and :doc:`/book/resnet_cifar`.

    Parameters
    ----------
    rows : list of dict
        The flat records of :func:`pruning_lab.nn.sweeps.run_width_sweep` (or of
        :meth:`pruning_lab.runs.RunStore.table`); each needs the keys
        ``strategy``, ``retrain``, ``width`` and ``metric``.
    metric : str
        The record key to summarise, e.g. ``"test_error"`` or ``"train_error"``.

    Returns
    -------
    dict
        ``{(strategy, retrain): (widths, mean, se, n_seeds)}`` in order of first
        appearance, with arrays sorted by width and ``n_seeds`` the smallest number
        of seeds of any width.
    """
    if isinstance(rows, dict) or not hasattr(rows, "__iter__"):
        raise ValueError(f"rows must be a list of records of a width sweep, got {type(rows).__name__}")
    rows = list(rows)
    if not rows:
        raise ValueError("rows is empty: run the sweep first (pruning_lab.nn.sweeps.run_width_sweep)")
    for i, row in enumerate(rows):
        if not isinstance(row, dict):
            raise ValueError(f"rows[{i}] must be a dict (a record of a width sweep), got {type(row).__name__}")
        missing = {"strategy", "retrain", "width", metric} - set(row)
        if missing:
            raise ValueError(f"rows[{i}] lacks the keys {sorted(missing)}; expected records of a width sweep")

    def curve(r):
        return r["strategy"], bool(r["retrain"])

    out = {}
    for key in dict.fromkeys(curve(r) for r in rows):
        sel = [r for r in rows if curve(r) == key]
        widths = np.array(sorted({int(r["width"]) for r in sel}))
        vals = [np.array([float(r[metric]) for r in sel if int(r["width"]) == w]) for w in widths]
        out[key] = (
            widths,
            np.array([v.mean() for v in vals]),
            np.array([v.std(ddof=1) / np.sqrt(v.size) if v.size > 1 else 0.0 for v in vals]),
            min(v.size for v in vals),
        )
    return out


def width_sweep_comparison(rows, base_width: int, *, metric: str = "test_error", reference=("dense", True)) -> dict:
    r"""Each curve of a width sweep minus the reference model of width ``base_width``, with its standard error.

    For a curve :math:`c` at width :math:`h` the difference is
    :math:`d = \bar e_c(h) - \bar e_{\mathrm{ref}}(h_0)` and its standard error
    :math:`\sqrt{\mathrm{se}_c^2 + \mathrm{se}_{\mathrm{ref}}^2}` (the runs of different widths
    are independent, so the errors add in quadrature); :math:`z = d/\mathrm{se}`.  The book calls
    a difference significant when :math:`|z| > 2`.  The default reference is the budget-matched
    dense model of the base width, ``("dense", True)``, or the plain dense model when the rows
    have no budget-matched runs.  Used by the chapters :doc:`/book/pruning_mnist` and
    :doc:`/book/resnet_cifar`.

    Returns
    -------
    dict
        ``{(strategy, retrain): (widths, difference, se, z)}`` for every curve except the
        reference itself, plus the key ``"reference"``: ``(strategy, retrain, mean, se, n_seeds)``.
    """
    summary = width_sweep_summary(rows, metric)
    ref = tuple(reference)
    if ref not in summary and ref == ("dense", True):
        ref = ("dense", False)
    if ref not in summary or int(base_width) not in summary[ref][0]:
        raise ValueError(f"base_width {base_width} is not a width of the reference curve {ref} in rows")
    w0, m0, se0, n0 = summary[ref]
    i = list(w0).index(int(base_width))
    out = {"reference": (*ref, float(m0[i]), float(se0[i]), n0)}
    for key, (w, mean, se, _) in summary.items():
        if key == ref:
            continue
        diff, err = mean - m0[i], np.sqrt(se**2 + se0[i] ** 2)
        with np.errstate(divide="ignore", invalid="ignore"):
            z = np.where(err > 0, diff / np.where(err > 0, err, 1.0), np.nan)
        out[key] = (w, diff, err, z)
    return out


def width_sweep_paired(rows, curve, reference, width: int, *, metric: str = "test_error") -> tuple:
    r"""Paired difference of two curves of a width sweep at one width: mean and standard error over seeds.

    For the seeds :math:`i=1,\dots,m` that both curves have at ``width``, the differences
    :math:`d_i = e_{\text{curve}}(i) - e_{\text{reference}}(i)` share the seed's dense model (and,
    for ``"scratch"`` against ``"global"``, the same mask), so their spread is the right yardstick:
    returns :math:`(\bar d,\ s_d/\sqrt m,\ m)` with the sample standard deviation :math:`s_d`.
    Used by the chapter :doc:`/book/pruning_mnist`.
    """

    def by_seed(key):
        key = (str(key[0]), bool(key[1]))
        return {
            r["seed"]: float(r[metric])
            for r in rows
            if (r["strategy"], bool(r["retrain"])) == key and int(r["width"]) == int(width)
        }

    a, b = by_seed(curve), by_seed(reference)
    seeds = sorted(set(a) & set(b))
    if len(seeds) < 2:
        raise ValueError(f"curves {curve} and {reference} share {len(seeds)} seeds at width {width}; need 2 or more")
    d = np.array([a[s] - b[s] for s in seeds])
    return float(d.mean()), float(d.std(ddof=1) / np.sqrt(d.size)), d.size


def width_sweep_table(rows, metric: str = "test_error", *, width_symbol: str = "h") -> str:
    r"""The curves of a width sweep as a text table: one line per (strategy, retrained), one column per width.

    Values are the seed means of :func:`width_sweep_summary`, in percent (one decimal) for the
    error metrics and as they are (three decimals) for the losses, followed by ``±`` and the
    standard error when a curve has several seeds at every width; a blank cell is a width the curve does not
    have.  ``width_symbol`` names the width in the header (``"h"`` for hidden units, ``"k"`` for
    the ResNet width).  Used by the network chapters to print the numbers behind their figures.
    """
    summary = width_sweep_summary(rows, metric)
    widths = sorted({int(w) for ws, _, _, _ in summary.values() for w in ws})
    percent = metric.endswith("error")
    seeds = max(n for *_, n in summary.values())
    cell = 13 if seeds > 1 else 8
    unit = " (%)" if percent else ""

    def fmt(m, se, n):
        text = f"{100 * m:.1f}" if percent else f"{m:.3f}"
        if n > 1:
            text += f"±{100 * se:.1f}" if percent else f"±{se:.3f}"
        return text.ljust(cell)

    lines = [f"{metric}{unit}".ljust(30) + "".join(f"{width_symbol}={w}".ljust(cell) for w in widths)]
    for (strategy, retrain), (w, mean, se, n) in summary.items():
        cells = {int(a): fmt(m, e, n) for a, m, e in zip(w, mean, se)}
        lines.append(_curve_name(strategy, retrain).ljust(30) + "".join(cells.get(a, " " * cell) for a in widths))
    return "\n".join(lines).rstrip()


def plot_width_sweep(
    rows,
    *,
    metric: str = "test_error",
    ax=None,
    base_width=None,
    percent: bool = True,
    curves=None,
    legend: bool = True,
    logy: bool = False,
):
    r"""Error of dense, pruned and pruned-then-retrained networks against the width of the trained model.

    Every pruned model keeps exactly as many prunable weights as the dense model of width
    ``base_width``, :math:`s = \#\{\text{weights of the width-}h_0\text{ model}\}`, so its
    sparsity is :math:`1 - s/N_h` (Chang, Li, Oymak & Thrampoulidis, 2021, Figs. 1, 5, 6).  Drawn:
    solid lines, retrained after pruning; dotted with open markers, pruned without retraining;
    black, the dense model of each width (dashed: budget-matched, trained as many more epochs as
    the pruned models are retrained); a horizontal dashed line with a band of :math:`\pm 2` standard
    errors at the error of the small model of width ``base_width``, budget-matched when the rows
    have it.  Error bars are standard errors over seeds when there are several
    (:func:`width_sweep_summary`).  The x axis is logarithmic.  Used by the chapters
    :doc:`/book/pruning_mnist` and :doc:`/book/resnet_cifar`.

    Parameters
    ----------
    rows : list of dict
        Records of a width sweep (see :func:`width_sweep_summary`).
    metric : str
        The record key drawn, ``"test_error"`` or ``"train_error"``.
    ax : matplotlib.axes.Axes, optional
        Where to draw (default: a new figure).
    base_width : int, optional
        Width of the base model; it must be one of the dense widths in ``rows``.
    percent : bool
        Draw errors in percent.
    curves : list of tuple, optional
        The ``(strategy, retrain)`` curves to draw (default: all).
    legend : bool
        Draw a legend.
    logy : bool
        Logarithmic y axis (tick labels as plain numbers), for curves that differ by orders of magnitude.

    Returns
    -------
    matplotlib.axes.Axes
    """
    summary = width_sweep_summary(rows, metric)
    if curves is not None:
        wanted = [(str(s), bool(r)) for s, r in curves]
        unknown = [c for c in wanted if c not in summary]
        if unknown:
            raise ValueError(f"curves {unknown} are not in rows; expected some of {list(summary)}")
        summary = {c: summary[c] for c in wanted}
    full = width_sweep_summary(rows, metric)
    base = None
    if base_width is not None:
        ref = ("dense", True) if ("dense", True) in full else ("dense", False)
        dense = full.get(ref)
        if dense is None or int(base_width) not in dense[0]:
            have = [] if dense is None else dense[0].tolist()
            raise ValueError(f"base_width {base_width} is not a width of the dense runs in rows ({have})")
        i = list(dense[0]).index(int(base_width))
        base = (dense[1][i], dense[2][i], ref[1])
    ax = axes_or_new(ax)
    scale = 100.0 if percent else 1.0
    for (strategy, retrain), (w, mean, se, n) in summary.items():
        color = STRATEGY_COLORS.get(strategy, "#555555")
        if strategy == "dense":
            label = "dense, budget-matched" if retrain else _LABELS["dense"]
            style = "--" if retrain else "-"
        elif strategy == "scratch":
            label, style = _LABELS["scratch"], "-."
        else:
            label = f"{_LABELS.get(strategy, strategy)}, " + ("retrained" if retrain else "not retrained")
            style = "-" if retrain else ":"
        ax.errorbar(
            w,
            scale * mean,
            yerr=scale * se if n > 1 else None,
            fmt=style,
            marker="o",
            color=color,
            label=label,
            capsize=3,
            markerfacecolor="white" if not retrain and strategy != "dense" else color,
        )
    if base is not None:
        mean, se, matched = base
        what = "trained as long as pruned + retrained" if matched else "trained directly"
        ax.axhline(
            scale * mean,
            color="0.3",
            linestyle="--",
            linewidth=1,
            label=f"small model (width {int(base_width)}), {what}",
        )
        if se > 0:
            ax.axhspan(scale * (mean - 2 * se), scale * (mean + 2 * se), color="0.5", alpha=0.15, linewidth=0)
    ax.set_xscale("log", base=2)
    widths = sorted({int(x) for w, _, _, _ in summary.values() for x in w})
    ax.set_xticks(widths, [str(x) for x in widths])
    ax.xaxis.set_minor_formatter(NullFormatter())
    if logy:
        ax.set_yscale("log")
        plain = FuncFormatter(lambda v, _: f"{v:g}")
        ax.yaxis.set_major_formatter(plain)
        ax.yaxis.set_minor_formatter(plain)
    ax.set_xlabel("width of the trained model")
    what = metric.replace("_", " ")
    ax.set_ylabel(f"{what} (%)" if percent else what)
    if legend:
        ax.legend()
    return ax


def plot_imp(result, *, ax=None, percent: bool = True):
    r"""Test error against the fraction of weights kept, for IMP tickets and their random re-initialisation.

    Round :math:`t` of iterative magnitude pruning keeps the fraction :math:`(1-p)^t` of the weights
    (up to rounding); its ticket is trained from the rewind point :math:`\theta_k` with the masks
    :math:`m_t` (Frankle & Carbin, 2019; Frankle et al., 2020), the control from a fresh random
    initialisation with the same masks.  Round 0, the dense network, is drawn as a dotted
    horizontal line.  The x axis is logarithmic and decreasing (pruning proceeds to the right).
    Used by the chapter :doc:`/book/pruning_mnist`.

    Parameters
    ----------
    result : pruning_lab.nn.imp.IMPResult
        The result of :func:`pruning_lab.nn.imp.iterative_magnitude_pruning` (or any object with
        ``kept_fraction``, ``test_error``, ``reinit_test_error`` and ``config``).
    ax : matplotlib.axes.Axes, optional
        Where to draw (default: a new figure).
    percent : bool
        Draw errors in percent.

    Returns
    -------
    matplotlib.axes.Axes
    """
    for attr in ("kept_fraction", "test_error", "reinit_test_error", "config"):
        if not hasattr(result, attr):
            raise ValueError(
                f"result must be an IMPResult (pruning_lab.nn.imp.iterative_magnitude_pruning); it has no {attr}"
            )
    kept = np.asarray(result.kept_fraction, dtype=float)
    error = np.asarray(result.test_error, dtype=float)
    if kept.ndim != 1 or kept.size < 2 or error.shape != kept.shape:
        raise ValueError(
            f"result needs one kept fraction and one test error per round (at least 2 rounds), "
            f"got shapes {kept.shape} and {error.shape}"
        )
    ax = axes_or_new(ax)
    scale = 100.0 if percent else 1.0
    k = int(dict(result.config).get("rewind_epoch", 0))
    where = "initialisation" if k == 0 else f"epoch {k}"
    ax.plot(kept, scale * error, "o-", color=STRATEGY_COLORS["global"], label=f"IMP ticket (rewound to {where})")
    reinit = None if result.reinit_test_error is None else np.asarray(result.reinit_test_error, dtype=float)
    if reinit is not None and np.isfinite(reinit).any():
        ax.plot(
            kept[1:],
            scale * reinit[1:],
            "s--",
            color=STRATEGY_COLORS["random"],
            label="same masks, random re-initialisation",
        )
    ax.axhline(scale * float(error[0]), color="0.3", linestyle=":", linewidth=1, label="dense network")
    ax.set_xscale("log")
    ax.set_xticks(kept, [f"{100 * f:.0f}%" for f in kept])
    ax.xaxis.set_minor_formatter(NullFormatter())
    ax.invert_xaxis()
    ax.set_xlabel("weights kept")
    ax.set_ylabel("test error (%)" if percent else "test error")
    ax.legend()
    return ax


def plot_imp_summary(summary, *, ax=None, percent: bool = True, title=None):
    r"""IMP over seeds: test error of the tickets and of both controls against the fraction of weights kept.

    ``summary`` is :func:`pruning_lab.nn.sweeps.imp_summary` of one rewind epoch: the mean over
    seeds with error bars of one standard error, for the tickets :math:`m_t\odot\theta_k`, the
    same masks on a fresh initialisation, and random masks with the same per-layer counts on
    :math:`\theta_k`; the dense network (round 0) is a dotted line.  The x axis is logarithmic and
    decreasing.  Used by the chapter :doc:`/book/pruning_mnist`.
    """
    if not isinstance(summary, dict) or not {"kept_fraction", "ticket", "reinit", "random"} <= set(summary):
        raise ValueError("summary must be the dict of pruning_lab.nn.sweeps.imp_summary")
    kept = np.asarray(summary["kept_fraction"], dtype=float)
    ax = axes_or_new(ax)
    scale = 100.0 if percent else 1.0
    styles = {
        "ticket": ("o-", STRATEGY_COLORS["global"], "IMP ticket"),
        "reinit": ("s--", STRATEGY_COLORS["scratch"], "same masks, random re-initialisation"),
        "random": ("^:", STRATEGY_COLORS["random"], "random masks, same per-layer counts"),
    }
    for key, (fmt, color, label) in styles.items():
        mean, se = summary[key]
        sl = slice(0, None) if key == "ticket" else slice(1, None)
        ax.errorbar(kept[sl], scale * mean[sl], yerr=scale * se[sl], fmt=fmt, color=color, label=label, capsize=2)
    ax.axhline(scale * summary["ticket"][0][0], color="0.3", linestyle=":", linewidth=1, label="dense network")
    ax.set_xscale("log")
    ticks = kept[:: max(1, len(kept) // 8)]
    ax.set_xticks(ticks, [f"{100 * f:.3g}%" for f in ticks])
    ax.xaxis.set_minor_formatter(NullFormatter())
    ax.invert_xaxis()
    ax.set_xlabel("weights kept")
    ax.set_ylabel("test error (%)" if percent else "test error")
    if title is not None:
        ax.set_title(title)
    ax.legend()
    return ax
