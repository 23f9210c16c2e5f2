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
