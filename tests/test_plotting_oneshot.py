"""Tests of pruning_lab.plotting.oneshot's paired differences (torch-free)."""

import numpy as np
import pytest

from pruning_lab.plotting import paired_difference


def test_paired_difference_pairs_by_seed_and_filters_the_rows():
    rows = [
        dict(seed=s, strategy=m, setting=g, accuracy=v)
        for s, (va, vb) in enumerate([(0.9, 0.8), (0.7, 0.65), (0.8, 0.6)])
        for m, v in (("a", va), ("b", vb))
        for g in ("50%", "90%")
    ]
    rows.append(dict(seed=0, strategy="a", setting="2:4", accuracy=0.0))
    mean, se, n = paired_difference(rows, "a", "b", scale=100, setting="90%")
    d = 100 * np.array([0.1, 0.05, 0.2])
    assert (mean, n) == (pytest.approx(d.mean()), 3)
    assert se == pytest.approx(d.std(ddof=1) / np.sqrt(3))
    with pytest.raises(ValueError, match="same seeds"):
        paired_difference(rows, "a", "b", setting="2:4")


def test_paired_difference_can_tell_the_two_apart_by_another_field():
    rows = [
        dict(seed=s, method=m, keep=k, test_error=e + (0.01 if m == "gradual" else 0.0))
        for s, e in enumerate((0.05, 0.07, 0.06))
        for m in ("oneshot", "gradual")
        for k in (0.1, 0.05)
    ]
    mean, se, n = paired_difference(rows, "gradual", "oneshot", metric="test_error", by="method", keep=0.05)
    assert (mean, se, n) == (pytest.approx(0.01), pytest.approx(0.0, abs=1e-12), 3)
    with pytest.raises(KeyError):
        paired_difference(rows, "gradual", "oneshot", metric="test_error")  # no "strategy" field
