"""Tests of pruning_lab.widgets.speed: the stored-speed figure and its panel (nothing is timed)."""

import matplotlib.pyplot as plt
import numpy as np
import pytest

from pruning_lab.widgets import speed_figure, speed_panel

SPARSITIES = (0.0, 0.5, 0.9)


def _row(out_f, in_f, s, b, dense, sparse):
    stats = {
        f"{k}_{q}": f * t for k, t in (("dense", dense), ("sparse", sparse)) for q, f in (("q1", 0.9), ("q3", 1.1))
    }
    return {
        "out_features": out_f,
        "in_features": in_f,
        "sparsity": s,
        "batch_size": b,
        "threads": 1,
        "dense_median": dense,
        "sparse_median": sparse,
        "speedup": dense / sparse,
        **stats,
    }


TABLE = {
    "break_even": [_row(64, 32, s, b, 1.0 + b, (1 - s) * (2.0 + b)) for b in (1, 8) for s in SPARSITIES]
    + [_row(16, 16, 0.5, 1, 1.0, 2.0)],
    "latency": [],
}


def test_speed_figure_draws_dense_and_csr_and_states_the_speedup():
    fig, ax = plt.subplots()
    speedup = speed_figure(TABLE, shape=(64, 32), sparsity=0.5, batch_size=8, ax=ax)
    assert speedup == pytest.approx(9.0 / (0.5 * 10.0))
    assert len(ax.containers) == 2  # dense and CSR
    (x_d, y_d), (x_s, y_s) = (c.lines[0].get_data() for c in ax.containers)
    np.testing.assert_allclose(x_d, SPARSITIES)
    np.testing.assert_allclose(y_d, [9e3] * 3)
    np.testing.assert_allclose(y_s, [1e3 * (1 - s) * 10.0 for s in SPARSITIES])
    marks = [line for line in ax.get_lines() if np.allclose(line.get_xdata(), 0.5)]
    assert len(marks) == 1  # the chosen sparsity
    assert "1.80×" in ax.get_title() and "faster" in ax.get_title()
    plt.close("all")


@pytest.mark.parametrize(
    "kw, match",
    [
        (dict(shape=(64, 32), sparsity=0.7, batch_size=8), "sparsity"),
        (dict(shape=(64, 32), sparsity=0.5, batch_size=64), "batch_size"),
        (dict(shape=(1, 2), sparsity=0.5, batch_size=8), "shape"),
    ],
)
def test_speed_figure_rejects_what_is_not_stored(kw, match):
    with pytest.raises(ValueError, match=match):
        speed_figure(TABLE, **kw)
    plt.close("all")


def test_speed_panel_offers_the_stored_values():
    pytest.importorskip("ipywidgets")
    panel = speed_panel(TABLE)
    shape, sparsity, batch = panel.children[0].children
    assert [v for _, v in shape.options] == [(16, 16), (64, 32)]
    assert shape.value == (16, 16) and tuple(sparsity.options) == SPARSITIES and tuple(batch.options) == (1, 8)
    assert sparsity.value == 0.9 and batch.value == 1
    plt.close("all")
    shape.value = (64, 32)  # redraws from the stored rows of that layer
    (fig,) = map(plt.figure, plt.get_fignums())
    assert len(fig.axes[0].containers) == 2 and fig.axes[0].get_title().startswith("64×32, batch 1, sparsity 0.9\n")
    with pytest.raises(ValueError, match="threads"):
        speed_panel(TABLE, threads=4)
    plt.close("all")
