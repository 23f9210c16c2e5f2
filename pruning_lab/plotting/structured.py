r"""Tables of the structured-pruning experiments: each pruned size against the network trained at that size.

The points are those of :func:`pruning_lab.nn.structured.experiments.frontier` (plain dicts, so
this module needs no torch).  Used in the chapter :doc:`/book/pruning_speed`.
"""

from __future__ import annotations

import numpy as np

__all__ = ["frontier_comparison"]


def frontier_comparison(points, family: str = "structured") -> list:
    r"""Each point of ``family`` against the trained-small point with the same number of parameters.

    For every point of ``family`` whose ``params`` equal those of a ``"scratch"`` point, a row
    with ``method``, ``fraction``, ``params``, the two mean test errors and their standard errors
    (``pruned``, ``pruned_se``, ``scratch``, ``scratch_se``), the difference
    :math:`d = e_{pruned} - e_{scratch}`, its standard error
    :math:`\sqrt{se_{pruned}^2 + se_{scratch}^2}` (the two are trained from different seeds'
    models, so the difference is unpaired) and :math:`z = d / se`; all errors in percentage
    points, and ``width``, ``lr`` and ``lrs`` of the baseline (its width, the learning rate chosen
    and how many were tried).  Points without a baseline of their size are left out.
    """
    if not isinstance(points, (list, tuple)):
        raise ValueError(f"points must be a list of frontier points, got {type(points).__name__}")
    small = {p["params"]: p for p in points if p["family"] == "scratch"}
    rows = []
    for p in points:
        if p["family"] != family or p["params"] not in small:
            continue
        s = small[p["params"]]
        diff = 100 * (p["test_error"] - s["test_error"])
        se = 100 * float(np.hypot(p["test_error_se"], s["test_error_se"]))
        rows.append(
            {
                "method": p["method"],
                "fraction": p["fraction"],
                "params": p["params"],
                "pruned": 100 * p["test_error"],
                "pruned_se": 100 * p["test_error_se"],
                "scratch": 100 * s["test_error"],
                "scratch_se": 100 * s["test_error_se"],
                "difference": diff,
                "difference_se": se,
                "z": diff / se if se > 0 else float("nan"),
                "width": s["width"],
                "lr": s.get("lr"),
                "lrs": s.get("lrs"),
            }
        )
    return rows
