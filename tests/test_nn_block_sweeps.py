"""Tests of pruning_lab.nn.block_sweeps: seed statistics, the planted block-sparse teacher, the stored MNIST runs.

The committed MNIST results are checked in two ways: their shape (every pruning method at every
sparsity with at least five seeds, overall sparsity consistent with the per-layer sparsities), and one
stored run recomputed from its configuration in a fresh interpreter under ``use_reproducible_cpu``,
which must reproduce its test accuracy and sparsities exactly.
"""

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from pruning_lab.nn import block_pruning as BP  # noqa: E402
from pruning_lab.nn import block_sweeps as BS  # noqa: E402
from pruning_lab.nn.models import MLP  # noqa: E402
from pruning_lab.nn.reproducible import REPRODUCIBLE_ENV  # noqa: E402
from pruning_lab.nn.seqattn import attach_block_attention, block_magnitude_mask  # noqa: E402
from pruning_lab.plotting import plot_block_pruning, plot_block_recovery  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
STORED = BS.RESULTS / "mnist_blocks.json"


def _records():
    rng = np.random.default_rng(0)
    base = rng.normal(size=6)
    recs = []
    for seed in range(6):
        recs.append({"method": "a", "seed": seed, "sparsity": 0.5, "x": base[seed] + 0.1 * seed})
        recs.append({"method": "b", "seed": seed, "sparsity": 0.5, "x": base[seed]})
    return recs, base


def test_seed_summary_is_mean_and_standard_error():
    recs, base = _records()
    mean, se, n = BS.seed_summary(recs, "x", method="b")
    assert n == 6 and mean == pytest.approx(base.mean()) and se == pytest.approx(base.std(ddof=1) / np.sqrt(6))
    with pytest.raises(ValueError, match="no record"):
        BS.seed_summary(recs, "x", method="c")


def test_paired_difference_removes_the_shared_seed_effect():
    recs, base = _records()
    d, se, n, significant = BS.paired_difference(recs, "x", "a", "b")
    diffs = 0.1 * np.arange(6)
    assert n == 6 and d == pytest.approx(diffs.mean()) and se == pytest.approx(diffs.std(ddof=1) / np.sqrt(6))
    assert significant == (abs(d) > 2 * se)
    # unpaired, the seed effect (std of base, about 1) would swamp a difference of 0.25
    assert se < 0.1 < base.std(ddof=1)
    shifted = [dict(r, x=r["x"] + 1.0) if r["method"] == "a" and r["seed"] % 2 else r for r in recs]
    d2, se2, _, sig2 = BS.paired_difference(shifted, "x", "a", "b")
    assert d2 == pytest.approx(d + 0.5) and se2 > se and sig2 == (abs(d2) > 2 * se2)
    with pytest.raises(ValueError, match="share"):
        BS.paired_difference(recs[:2], "x", "a", "b")


def test_weight_sparsity_of_the_middle_layer_matches_the_counts():
    net = MLP(784, (256, 256), 10)
    m = block_magnitude_mask(net[2].weight, 0.95, 16)
    per_layer, overall = BP.weight_sparsity(net, {"2.weight": m})
    kept_blocks = 256 - round(0.95 * 256)
    assert per_layer == {"0": 0.0, "2": pytest.approx(1 - kept_blocks / 256), "4": 0.0}
    assert overall == pytest.approx((256 - kept_blocks) * 256 / (784 * 256 + 256 * 256 + 256 * 10))
    with pytest.raises(ValueError, match="not nn.Linear"):
        BP.weight_sparsity(net, {"1.weight": m})
    with pytest.raises(TypeError, match="model"):
        BP.weight_sparsity("net", {})


def test_block_teacher_has_the_planted_block_support():
    t = BS.block_teacher(3, n_in=32, n_out=16, block=8, active=3, n_train=50, n_test=40)
    assert t.block_mask.shape == (2, 4) and t.block_mask.sum() == 3
    blocks = np.abs(t.weight).reshape(2, 8, 4, 8).sum(axis=(1, 3))
    assert np.array_equal(blocks > 0, t.block_mask)
    assert t.X_train.shape == (50, 32) and t.y_test.shape == (40, 16) and t.X_train.dtype == np.float32
    again = BS.block_teacher(3, n_in=32, n_out=16, block=8, active=3, n_train=50, n_test=40)
    assert np.array_equal(again.weight, t.weight) and np.array_equal(again.X_test, t.X_test)
    noiseless = BS.block_teacher(3, n_in=32, n_out=16, block=8, active=3, n_train=50, n_test=40, noise=0.0)
    assert np.allclose(noiseless.y_train, noiseless.X_train @ noiseless.weight.T, atol=1e-5)
    for bad in ({"block": 5}, {"active": 0}, {"active": 8}, {"rho": 1.0}, {"noise": -1.0}):
        with pytest.raises(ValueError):
            BS.block_teacher(0, n_in=32, n_out=16, **{"block": 8, **bad})


def test_teacher_recovery_counts_the_teachers_blocks_kept():
    kw = dict(n_in=32, n_out=16, block=8, active=2, n_train=400, n_test=200, noise=0.1, rho=0.0, total_steps=300)
    r = BS.teacher_recovery_run("magnitude", 0, **kw)
    assert set(r) == {"method", "seed", "recovery", "test_mse", "oracle_mse"}
    assert r["recovery"] in (0.0, 0.5, 1.0)
    # easy problem (many samples, little noise, independent inputs): the blocks are found
    assert r["recovery"] == 1.0 and r["oracle_mse"] == pytest.approx(0.01, rel=0.3)
    assert r["test_mse"] < 3 * r["oracle_mse"]
    with pytest.raises(ValueError, match="method"):
        BS.teacher_recovery_run("dense", 0, **kw)


def test_train_block_sparse_mse_and_bad_loss():
    net = torch.nn.Sequential(torch.nn.Linear(8, 4))
    wrapped = attach_block_attention(net, ("0",), 4, 0.5)
    X = np.random.default_rng(0).normal(size=(64, 8)).astype(np.float32)
    y = X[:, :4] * 2.0
    losses = BP.train_block_sparse(wrapped, X, y, BP.method_phase_plan("sapp", 90), lr=1e-2, loss="mse")
    assert losses.shape == (90,) and losses[-10:].mean() < losses[:10].mean()
    with pytest.raises(ValueError, match="loss"):
        BP.train_block_sparse(wrapped, X, y, BP.method_phase_plan("sapp", 90), loss="hinge")
    with pytest.raises(ValueError, match="method"):
        BP.method_phase_plan("lottery", 90)
    with pytest.raises(ValueError, match="finetune"):
        BP.method_phase_plan("magnitude", 90, finetune=1.0)


@pytest.fixture(scope="module")
def stored():
    if not STORED.exists():
        pytest.fail(f"{STORED} is missing: it is committed with the repository")
    return BS.load_records(STORED)


def test_stored_mnist_results_cover_every_method_with_five_seeds(stored):
    command, records = stored
    assert command.startswith("python -m pruning_lab.nn.block_sweeps mnist")
    for s in (0.75, 0.9, 0.95):
        for m in BS.PRUNING_METHODS:
            seeds = {r["seed"] for r in records if r["method"] == m and r["sparsity"] == s}
            assert len(seeds) >= 5, (m, s)
    assert len({r["seed"] for r in records if r["method"] == "dense"}) >= 5
    for r in records:
        ls = r["layer_sparsity"]
        counts = {"0": 784 * 256, "2": 256 * 256, "4": 256 * 10}
        overall = sum(ls[k] * counts[k] for k in counts) / sum(counts.values())
        assert r["overall_sparsity"] == pytest.approx(overall)
        assert ls["0"] == ls["4"] == 0.0 and ls["2"] == pytest.approx(r["realized_sparsity"])


def test_load_records_errors(tmp_path):
    with pytest.raises(FileNotFoundError, match="block_sweeps"):
        BS.load_records(tmp_path / "missing.json")
    (tmp_path / "bad.json").write_text(json.dumps([1, 2]))
    with pytest.raises(ValueError, match="records"):
        BS.load_records(tmp_path / "bad.json")


@pytest.mark.slow
def test_one_stored_mnist_run_is_recomputed_bit_for_bit(stored):
    """A fresh interpreter (torch started under use_reproducible_cpu) reruns the seed-0 SA++ run at 95 %."""
    pytest.importorskip("mlxtend")
    _, records = stored
    record = next(r for r in records if r["method"] == "sapp" and r["sparsity"] == 0.95 and r["seed"] == 0)
    code = (
        "import json, sys\n"
        "from pruning_lab.nn.reproducible import use_reproducible_cpu\n"
        "assert use_reproducible_cpu()['reproducible']\n"
        "from pruning_lab.nn.block_sweeps import mnist_block_run\n"
        "print(json.dumps(mnist_block_run(json.loads(sys.argv[1]))))\n"
    )
    env = {**os.environ, **REPRODUCIBLE_ENV, "PYTHONPATH": str(ROOT)}
    out = subprocess.run(
        [sys.executable, "-c", code, json.dumps(record)], capture_output=True, text=True, env=env, check=True
    )
    again = json.loads(out.stdout.strip().splitlines()[-1])
    for key in ("test_accuracy", "realized_sparsity", "layer_sparsity", "overall_sparsity"):
        assert again[key] == record[key], key


def test_block_pruning_plot_draws_standard_errors():
    import matplotlib.pyplot as plt

    recs = [
        {"method": m, "seed": s, "sparsity": 0.5, "overall_sparsity": 0.1, "test_accuracy": 0.8 + 0.01 * s + d}
        for s in range(4)
        for m, d in (("magnitude", 0.0), ("sapp", 0.05))
    ] + [{"method": "dense", "seed": 0, "sparsity": 0.0, "overall_sparsity": 0.0, "test_accuracy": 0.9}]
    ax = plot_block_pruning(recs, dense_accuracy=0.9)
    bars = [c for c in ax.containers]
    assert len(bars) == 2  # dense records are skipped
    seg = bars[0].lines[2][0].get_segments()[0]
    se = np.std(0.8 + 0.01 * np.arange(4), ddof=1) / 2
    assert seg[1][1] - seg[0][1] == pytest.approx(2 * 100 * se)
    with pytest.raises(ValueError, match="x must"):
        plot_block_pruning(recs, x="seed")
    ax2 = plot_block_recovery([{"method": "a", "seed": s, "recovery": s / 4} for s in range(4)])
    assert ax2.patches[0].get_height() == pytest.approx(np.mean(np.arange(4) / 4))
    plt.close("all")


def test_the_command_restarts_under_the_reproducible_setup_and_writes_its_records(tmp_path):
    """Run without the environment of use_reproducible_cpu, the command re-executes itself with it."""
    out = tmp_path / "teacher.json"
    env = {k: v for k, v in os.environ.items() if k not in REPRODUCIBLE_ENV}
    env["PYTHONPATH"] = str(ROOT)
    cmd = [sys.executable, "-m", "pruning_lab.nn.block_sweeps", "teacher", "--seeds", "2", "--steps", "60"]
    subprocess.run([*cmd, "--out", str(out)], capture_output=True, text=True, env=env, check=True)
    command, records = BS.load_records(out)
    assert command == f"python -m pruning_lab.nn.block_sweeps teacher --seeds 2 --steps 60 --out {out}"
    assert [(r["seed"], r["method"]) for r in records] == [(s, m) for s in range(2) for m in BS.PRUNING_METHODS]
    direct = BS.teacher_recovery_run("sapp", 1, total_steps=60)
    assert records[6]["recovery"] == direct["recovery"]
