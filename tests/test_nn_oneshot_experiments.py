"""Tests of the one-shot experiments (pruning_lab.nn.oneshot.experiments), their table and figure, and the panel."""

import math

import matplotlib.pyplot as plt
import numpy as np
import pytest

from pruning_lab.plotting import oneshot_table, plot_oneshot

torch = pytest.importorskip("torch")
from pruning_lab.data import Dataset  # noqa: E402
from pruning_lab.nn import masks as M  # noqa: E402
from pruning_lab.nn.oneshot import experiments as E  # noqa: E402
from pruning_lab.nn.train import TrainingRecipe  # noqa: E402


@pytest.fixture(scope="module")
def small(mnist):
    return Dataset(mnist.X_train[::8], mnist.y_train[::8], mnist.X_test[::4], mnist.y_test[::4], name="small")


def quick(**changes):
    base = dict(
        seeds=(0,),
        settings=("50%", "90%", "2:4", "4:8"),
        n_calibration=64,
        recipe=TrainingRecipe(epochs=2, lr=0.05, batch_size=64),
        retrain=TrainingRecipe(epochs=1, lr=0.01, batch_size=64),
    )
    return E.MLPOneShotExperiment(**{**base, **changes})


def test_settings_parse_and_bad_ones_are_named():
    assert E.parse_setting("70%") == {"sparsity": 0.7}
    assert E.parse_setting("2:4") == {"pattern": "2:4"}
    for bad in ("70", "150%", "x%", 0.7):
        with pytest.raises(ValueError, match="setting"):
            E.parse_setting(bad)
    with pytest.raises(ValueError, match="strategies"):
        E.MLPOneShotExperiment(strategies=("snip",))


def test_mlp_rows_have_exact_kept_fractions_and_both_halves(small):
    rows = E.run_mlp_oneshot(quick(), small)
    strategies = quick().strategies
    by_key = {(r["setting"], r["strategy"], r["retrained"]): r for r in rows}
    for strategy in strategies:
        assert by_key["90%", strategy, 0]["kept"] == pytest.approx(0.1, abs=1e-3)
        assert ("2:4", strategy, 0) in by_key or strategy in ("global", "sparsegpt_global")
    for strategy in ("magnitude", "wanda", "sparsegpt"):
        assert by_key["2:4", strategy, 1]["kept"] == 0.5
        # 4:8 only on the first layer (784 inputs); the 300- and 100-input layers stay dense
        assert by_key["4:8", strategy, 0]["kept"] == pytest.approx((784 * 300 / 2 + 300 * 100 + 100 * 10) / 266200)
    assert all(0 <= r["accuracy"] <= 1 for r in rows)
    assert by_key["0%", "dense", 0]["accuracy"] == by_key["0%", "dense", 1]["accuracy"]
    assert math.isnan(by_key["90%", "global", 0]["mean_layer_error"])
    assert 0 < by_key["90%", "sparsegpt", 0]["mean_layer_error"] < by_key["90%", "magnitude", 0]["mean_layer_error"]


def test_sparsegpt_global_uses_the_fractions_of_global_magnitude(small):
    exp = quick()
    dense = E.train_dense(small, exp.recipe, 0)
    X_cal = E.calibration_set(small.X_train, 64, 0)
    _, masks, _ = E._prune(dense, "sparsegpt_global", "90%", X_cal)
    glob = M.strategy_masks(dense, "global", sparsity=0.9)
    for name in glob:
        assert int(masks[name].sum()) == int(glob[name].sum())


def test_summarize_is_mean_and_standard_error():
    rows = [dict(setting="a", strategy="wanda", retrained=0, accuracy=v) for v in (0.1, 0.3, 0.8)]
    mean, se, n = E.summarize(rows)["a", "wanda", 0]
    assert (mean, n) == (pytest.approx(0.4), 3)
    assert se == pytest.approx(np.std([0.1, 0.3, 0.8], ddof=1) / np.sqrt(3))
    text = oneshot_table({("a", "wanda", 0): (mean, se, n)}, ["a", "b"], ["wanda"])
    assert "40.0 ± 20.8" in text and "—" in text
    ax = plot_oneshot({("a", "wanda", 0): (mean, se, n)}, ["a"], ["wanda"], ax=plt.subplots()[1])
    assert len(ax.patches) == 1
    plt.close("all")


def test_calibration_set_and_sweep(small):
    X = E.calibration_set(small.X_train, 10, 3)
    assert X.shape == (10, 784) and torch.equal(X, E.calibration_set(small.X_train, 10, 3))
    with pytest.raises(ValueError, match="calibration"):
        E.calibration_set(small.X_train, 10**6, 0)
    diag = E.single_layer_diagnostic(small, seeds=(0,), strategies=("magnitude", "sparsegpt"), n_calibration=64)
    assert {r["layer"] for r in diag} == {"0", "2", "4"}
    for r in diag:
        assert 0 < r["test_error"] < 1 and 0 < r["calibration_error"] < 1


def test_panel_figure_prunes_a_given_model(small):
    from pruning_lab.widgets.oneshot import oneshot_figure

    dense = E.train_dense(small, quick().recipe, 0)
    fig, ax = plt.subplots()
    acc = oneshot_figure(0.5, "2:4", 64, model=dense, data=small, ax=ax)
    assert set(acc) == {"magnitude", "wanda", "sparsegpt"} and all(0 <= v <= 1 for v in acc.values())
    with pytest.raises(ValueError, match="pattern"):
        oneshot_figure(0.5, "3:7", 64, model=dense, data=small)
    with pytest.raises(ValueError, match="data is required"):
        oneshot_figure(0.5, "2:4", 64, model=dense)
    plt.close("all")


def test_lm_command_saves_its_rows_resumes_and_reports_errors(tmp_path, capsys):
    import json

    from pruning_lab import cli
    from pruning_lab.data import char_corpus
    from pruning_lab.nn.charlm import LMRunConfig, save_checkpoint

    corpus = char_corpus()
    cfg = LMRunConfig(d_model=16, n_layers=1, n_heads=2, context=16, mlp_ratio=2, steps=2, warmup=0, batch_size=2)
    checkpoint = save_checkpoint(tmp_path / "tiny.pt", cfg.build_model(corpus.vocab_size), corpus, cfg)
    out = tmp_path / "lm.json"
    args = ["oneshot-lm", "--checkpoint", str(checkpoint), "--out", str(out), "--eval-tokens", "300", "--fast"]
    assert cli.main([*args, "--seeds", "0"]) == 0
    first = json.loads(out.read_text())
    assert first["complete"] and len(first["rows"]) == 9 and first["eval_tokens"] == 300
    assert first["command"].endswith("--seeds 0") and first["reproducible"] is False
    # one more seed: the finished rows are kept as they were, only the new ones are computed
    capsys.readouterr()
    assert cli.main([*args, "--seeds", "0", "1"]) == 0
    assert "seed 0" not in capsys.readouterr().out
    second = json.loads(out.read_text())
    assert second["rows"][:9] == first["rows"] and len(second["rows"]) == 18
    assert (
        cli.main(["oneshot-lm", "--checkpoint", str(tmp_path / "missing.pt"), "--out", str(tmp_path / "x.json")]) == 2
    )
    err = capsys.readouterr().err
    assert "no checkpoint" in err and len(err.strip().splitlines()) == 1
    assert not (tmp_path / "x.json").exists()
