"""Tests of pruning_lab.plotting.structured: pruned points against the trained-small point of their size."""

import math

import pytest

from pruning_lab.plotting import frontier_comparison


def _point(family, method, params, err, se, width=0, lr=None, lrs=None):
    return dict(
        family=family,
        method=method,
        fraction=0.5,
        params=params,
        test_error=err,
        test_error_se=se,
        width=width,
        lr=lr,
        lrs=lrs,
    )


def test_each_pruned_point_meets_the_baseline_of_its_size():
    points = [
        _point("structured", "l1", 100, 0.07, 0.003),
        _point("structured", "random", 100, 0.08, 0.004),
        _point("structured", "l1", 50, 0.09, 0.01),  # no baseline of 50 parameters: left out
        _point("unstructured", "oneshot", 100, 0.05, 0.001),  # another family: left out
        _point("scratch", "trained", 100, 0.06, 0.004, width=8, lr=0.1, lrs=5),
    ]
    rows = frontier_comparison(points)
    assert [(r["method"], r["params"]) for r in rows] == [("l1", 100), ("random", 100)]
    first = rows[0]
    assert first["difference"] == pytest.approx(1.0) and first["difference_se"] == pytest.approx(0.5)
    assert first["z"] == pytest.approx(2.0) and (first["width"], first["lr"], first["lrs"]) == (8, 0.1, 5)
    assert first["pruned"] == pytest.approx(7.0) and first["scratch_se"] == pytest.approx(0.4)
    (sparse,) = frontier_comparison(points, family="unstructured")
    assert sparse["difference"] == pytest.approx(-1.0)
    zero = frontier_comparison([_point("structured", "l1", 1, 0.1, 0.0), _point("scratch", "trained", 1, 0.1, 0.0)])
    assert math.isnan(zero[0]["z"])
    with pytest.raises(ValueError, match="points"):
        frontier_comparison("points")
