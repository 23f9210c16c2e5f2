"""Tests of pruning_lab.plotting.speed on a hand-made speed table (no torch, no timing)."""

import matplotlib.pyplot as plt
import numpy as np
import pytest

from pruning_lab.plotting import break_even_rows, latency_rows, latency_table, plot_break_even


def _be(out_f, in_f, s, b, dense, sparse, threads=1):
    return {
        "out_features": out_f,
        "in_features": in_f,
        "sparsity": s,
        "batch_size": b,
        "threads": threads,
        "repeats": 3,
        "dense_median": dense,
        "dense_q1": 0.9 * dense,
        "dense_q3": 1.2 * dense,
        "sparse_median": sparse,
        "sparse_q1": 0.8 * sparse,
        "sparse_q3": 1.1 * sparse,
        "speedup": dense / sparse,
    }


def _lat(key, label, b, median):
    return {
        "key": key,
        "label": label,
        "input_shape": [784],
        "batch_size": b,
        "threads": 1,
        "repeats": 3,
        "warmup": 3,
        "params": 100,
        "macs": 90,
        "bytes": 1000,
        "median": median,
        "q1": 0.9 * median,
        "q3": 1.1 * median,
    }


SPARSITIES = (0.0, 0.5, 0.9)
TABLE = {
    "break_even": [
        _be(64, 32, s, b, 1.0 + b, (1 - s) * (2.0 + b)) for b in (8, 1) for s in SPARSITIES
    ]  # stored out of order on purpose
    + [_be(16, 16, 0.5, 1, 1.0, 2.0)],
    "latency": [_lat("k2", "big", 8, 2e-3), _lat("k1", "small", 1, 1e-3), _lat("k2", "big", 1, 1.5e-3)],
}


def test_break_even_rows_select_and_sort():
    rows = break_even_rows(TABLE, shape=(64, 32))
    assert [(r["batch_size"], r["sparsity"]) for r in rows] == [(b, s) for b in (1, 8) for s in SPARSITIES]
    with pytest.raises(ValueError, match="shape"):
        break_even_rows(TABLE, shape=(5, 5))
    with pytest.raises(ValueError, match="shape"):
        break_even_rows(TABLE, shape=(64, 32), threads=2)
    with pytest.raises(ValueError, match="table"):
        break_even_rows({"latency": []}, shape=(64, 32))


def test_plot_break_even_draws_the_stored_speedups():
    ax = plot_break_even(TABLE, shape=(64, 32))
    assert len(ax.containers) == 2  # one errorbar line per batch size
    for container, b in zip(ax.containers, (1, 8)):
        x, y = container.lines[0].get_data()
        np.testing.assert_allclose(x, SPARSITIES)
        np.testing.assert_allclose(y, [(1.0 + b) / ((1 - s) * (2.0 + b)) for s in SPARSITIES])
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["batch 1", "batch 8"]
    assert any(np.allclose(line.get_ydata(), 1.0) for line in ax.get_lines())  # the break-even line
    assert ax.get_yscale() == "log"
    one = plot_break_even(TABLE, shape=(64, 32), batch_sizes=[8])
    assert len(one.containers) == 1
    with pytest.raises(ValueError, match="batch_sizes"):
        plot_break_even(TABLE, shape=(64, 32), batch_sizes=[64])
    plt.close("all")


def test_latency_rows_in_milliseconds_in_file_order():
    rows = latency_rows(TABLE)
    assert [(r["label"], r["batch_size"]) for r in rows] == [("big", 1), ("big", 8), ("small", 1)]
    assert rows[0]["median_ms"] == pytest.approx(1.5) and rows[0]["q3_ms"] == pytest.approx(1.65)
    assert [r["label"] for r in latency_rows(TABLE, batch_sizes=[8])] == ["big"]
    assert latency_rows(TABLE, threads=2) == []


def test_latency_table_is_a_data_frame_of_the_rows():
    pd = pytest.importorskip("pandas")
    frame = latency_table(TABLE)
    assert isinstance(frame, pd.DataFrame)
    assert list(frame.columns) == [
        "label",
        "batch_size",
        "threads",
        "params",
        "macs",
        "bytes",
        "median_ms",
        "q1_ms",
        "q3_ms",
    ]
    assert frame.to_dict("records") == latency_rows(TABLE)


def test_break_even_sparsity_is_where_csr_stays_faster():
    from pruning_lab.plotting import break_even_sparsity

    # batch 1: dense 2, CSR 3(1 - s): speed-ups 2/3, 4/3, 20/3 at sparsities 0, 0.5, 0.9 -> from 0.5
    assert break_even_sparsity(TABLE, shape=(64, 32), batch_size=1) == 0.5
    # exactly as fast is not faster
    even = {"break_even": [_be(8, 8, 0.0, 1, 1.0, 2.0), _be(8, 8, 0.5, 1, 1.0, 1.0), _be(8, 8, 0.9, 1, 2.0, 1.0)]}
    assert break_even_sparsity(even, shape=(8, 8), batch_size=1) == 0.9
    # a dip below 1 after a faster row: only the run that lasts to the sparsest row counts
    dip = {"break_even": [_be(8, 8, 0.0, 1, 2.0, 1.0), _be(8, 8, 0.5, 1, 1.0, 2.0), _be(8, 8, 0.9, 1, 2.0, 1.0)]}
    assert break_even_sparsity(dip, shape=(8, 8), batch_size=1) == 0.9
    never = {"break_even": [_be(8, 8, s, 1, 1.0, 2.0) for s in SPARSITIES]}
    assert break_even_sparsity(never, shape=(8, 8), batch_size=1) is None
    with pytest.raises(ValueError, match="batch_size"):
        break_even_sparsity(TABLE, shape=(64, 32), batch_size=64)


def test_latency_of_reads_one_stored_median():
    from pruning_lab.plotting import latency_of

    assert latency_of(TABLE, "k2", batch_size=8) == 2e-3 and latency_of(TABLE, "k2") == 1.5e-3
    with pytest.raises(ValueError, match="k3"):
        latency_of(TABLE, "k3")
