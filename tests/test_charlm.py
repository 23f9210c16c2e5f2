"""Tests of pruning_lab.nn.charlm: the causal character transformer, its training, perplexity and checkpoints.

The committed run (``results/charlm/pydoc-char.pt``) is evaluated again: its held-out perplexity must
equal the one stored in ``pydoc-char.json`` (relative tolerance 1e-5; skipped when this Python's pydoc
text differs from the text it was trained on).
"""

import dataclasses
import json
import math
from pathlib import Path

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from pruning_lab.data import char_corpus, load_pydoc_text
from pruning_lab.nn.charlm import (
    LM_RUNS,
    CharTransformer,
    LMRunConfig,
    block_linears,
    get_lm_run,
    load_checkpoint,
    lr_at,
    perplexity,
    save_checkpoint,
    train_char_lm,
)

RESULTS = Path(__file__).resolve().parents[1] / "results" / "charlm"
TINY = dict(d_model=16, n_layers=2, n_heads=2, context=16, mlp_ratio=2)


@pytest.fixture(scope="module")
def corpus():
    text = load_pydoc_text()[:20_000]
    return char_corpus(text, held_out=0.1)


def tiny_model(vocab_size, seed=0):
    return LMRunConfig(**TINY, seed=seed).build_model(vocab_size)


def test_shapes_and_parameter_count():
    model = CharTransformer(50, d_model=32, n_layers=3, n_heads=4, context=20, mlp_ratio=4)
    logits = model(torch.randint(0, 50, (5, 20)))
    assert logits.shape == (5, 20, 50)
    d, L = 32, 3
    per_block = 4 * d * d + 2 * 4 * d * d + 2 * 2 * d  # q, k, v, proj; fc1, fc2; two LayerNorms
    expected = 50 * d + 20 * d + L * per_block + 2 * d + (d * 50 + 50)
    assert sum(p.numel() for p in model.parameters()) == expected
    assert model(torch.randint(0, 50, (2, 7))).shape == (2, 7, 50)  # shorter inputs are fine


def test_logits_are_causal():
    model = tiny_model(30)
    x = torch.randint(0, 30, (3, 16))
    y = x.clone()
    t = 6
    y[:, t + 1 :] = torch.randint(0, 30, (3, 16 - t - 1))
    assert not torch.equal(x, y)
    with torch.no_grad():
        a, b = model(x), model(y)
    torch.testing.assert_close(a[:, : t + 1], b[:, : t + 1], rtol=1e-5, atol=1e-6)
    assert (a[:, t + 1 :] - b[:, t + 1 :]).abs().max() > 1e-4  # later positions do see the change


def test_block_linears_are_the_block_linear_layers_in_forward_order():
    model = tiny_model(30)
    names = block_linears(model)
    assert names == [f"blocks.{i}.{n}" for i in range(2) for n in ("q", "k", "v", "proj", "fc1", "fc2")]
    linears = [n for n, m in model.named_modules() if isinstance(m, torch.nn.Linear)]
    assert linears == names + ["head"]
    order = []
    hooks = [model.get_submodule(n).register_forward_hook(lambda m, i, o, n=n: order.append(n)) for n in names]
    model(torch.randint(0, 30, (1, 5)))
    for hook in hooks:
        hook.remove()
    assert order == names
    with pytest.raises(TypeError, match="model"):
        block_linears(torch.nn.Linear(2, 2))


def test_bad_model_input_raises():
    model = tiny_model(30)
    with pytest.raises(ValueError, match="context"):
        model(torch.zeros(1, 17, dtype=torch.long))
    with pytest.raises(ValueError, match="idx"):
        model(torch.zeros(17, dtype=torch.long))
    with pytest.raises(ValueError, match="multiple of n_heads"):
        CharTransformer(30, d_model=10, n_heads=4)
    with pytest.raises(ValueError, match="context"):
        CharTransformer(30, context=0)


def test_lr_schedule_warms_up_then_anneals():
    lrs = [lr_at(t, 10, 1.0, 4) for t in range(10)]
    assert lrs[:4] == [0.25, 0.5, 0.75, 1.0]
    assert lrs[4] == 1.0 and all(a > b for a, b in zip(lrs[4:], lrs[5:]))
    assert lrs[9] == pytest.approx(0.5 * (1 + math.cos(math.pi * 5 / 6)))
    assert lr_at(0, 5, 2.0, 0) == 2.0
    with pytest.raises(ValueError, match="warmup"):
        lr_at(0, 5, 1.0, 5)


def test_training_lowers_the_loss_and_is_deterministic(corpus):
    recipe = dict(steps=30, batch_size=8, lr=3e-3, warmup=5, weight_decay=0.1, seed=1, log_every=10)
    runs = []
    for _ in range(2):
        model = tiny_model(corpus.vocab_size)
        before = perplexity(model, corpus.held_out)
        log = train_char_lm(model, corpus, **recipe)
        runs.append((model, log, before, perplexity(model, corpus.held_out)))
    (m1, log1, before, after), (m2, log2, _, after2) = runs
    assert [s for s, _ in log1] == [10, 20, 30]
    assert log1[-1][1] < log1[0][1] and after < before
    assert before == pytest.approx(corpus.vocab_size, rel=0.2)  # a fresh model is nearly uniform
    assert log1 == log2 and after == after2
    for (n, p), q in zip(m1.state_dict().items(), m2.state_dict().values()):
        assert torch.equal(p, q), n
    other = tiny_model(corpus.vocab_size)
    assert train_char_lm(other, corpus, **{**recipe, "seed": 2}) != log1


def test_training_rejects_bad_arguments(corpus):
    model = tiny_model(corpus.vocab_size)
    good = dict(steps=2, batch_size=2, lr=1e-3, warmup=0, weight_decay=0.0, seed=0)
    for key, value in [("steps", 0), ("batch_size", 0), ("lr", 0.0), ("warmup", 2), ("weight_decay", -1), ("seed", -1)]:
        with pytest.raises(ValueError, match=key.split("_")[0]):
            train_char_lm(model, corpus, **{**good, key: value})
    with pytest.raises(ValueError, match="tokens"):
        train_char_lm(tiny_model(corpus.vocab_size + 1), corpus, **good)


def test_perplexity_is_the_exp_mean_nll_over_windows_including_the_tail(corpus):
    model = tiny_model(corpus.vocab_size, seed=3)
    tokens = corpus.held_out[: 16 * 5 + 1 + 7]  # five full windows and a tail predicting 7 tokens
    ids = torch.from_numpy(tokens.astype(np.int64))
    nll, count = 0.0, 0
    with torch.no_grad():
        for start in range(0, ids.numel() - 1, 16):  # one window at a time, positions restarting at 0
            window = ids[start : start + 17]
            logp = torch.log_softmax(model(window[None, :-1])[0].double(), dim=-1)
            nll -= logp[torch.arange(window.numel() - 1), window[1:]].sum().item()
            count += window.numel() - 1
    assert count == tokens.size - 1
    for batch_size in (1, 2, 64):
        assert perplexity(model, tokens, batch_size=batch_size) == pytest.approx(math.exp(nll / count), rel=1e-5)
    model.train()
    perplexity(model, tokens)
    assert model.training  # the mode is restored
    with pytest.raises(ValueError, match="tokens"):
        perplexity(model, tokens[:1])
    with pytest.raises(ValueError, match="tokens"):
        perplexity(model, np.array([0, corpus.vocab_size]))


def test_checkpoint_round_trip(tmp_path, corpus):
    model = tiny_model(corpus.vocab_size, seed=5)
    config = LMRunConfig(**TINY, seed=5, steps=3, warmup=1)
    path = save_checkpoint(tmp_path / "sub" / "m.pt", model, corpus, config, {"perplexity": {"held_out": 1.5}})
    assert [p.name for p in path.parent.iterdir()] == ["m.pt"]  # no temporary file left
    loaded, info = load_checkpoint(path)
    x = torch.randint(0, corpus.vocab_size, (2, 16))
    with torch.no_grad():
        assert torch.equal(model(x), loaded(x))
    assert not loaded.training
    assert info["vocab"] == corpus.vocab and info["text_sha256"] == corpus.sha256
    assert info["model_config"] == model.config and info["run_config"]["seed"] == 5
    assert info["extra"] == {"perplexity": {"held_out": 1.5}}


def test_loading_a_missing_or_foreign_file_raises(tmp_path):
    with pytest.raises(FileNotFoundError, match="no checkpoint"):
        load_checkpoint(tmp_path / "none.pt")
    (tmp_path / "junk.pt").write_text("not a checkpoint")
    with pytest.raises(ValueError, match="not a character-LM checkpoint"):
        load_checkpoint(tmp_path / "junk.pt")
    torch.save({"state_dict": {}}, tmp_path / "other.pt")
    with pytest.raises(ValueError, match="not a character-LM checkpoint"):
        load_checkpoint(tmp_path / "other.pt")


def test_run_configurations():
    assert get_lm_run("pydoc-char") is LM_RUNS["pydoc-char"]
    with pytest.raises(ValueError, match="unknown language-model run 'nope'"):
        get_lm_run("nope")
    with pytest.raises(ValueError, match="warmup"):
        LMRunConfig(steps=10, warmup=10)
    with pytest.raises(ValueError, match="held_out"):
        LMRunConfig(held_out=1.0)
    config = LMRunConfig(**TINY, seed=7)
    a, b = config.build_model(40), config.build_model(40)
    assert all(torch.equal(p, q) for p, q in zip(a.parameters(), b.parameters()))
    assert set(config.recipe()) == {"steps", "batch_size", "lr", "warmup", "weight_decay", "seed", "log_every"}


def test_committed_checkpoint_reproduces_its_held_out_perplexity():
    record = json.loads((RESULTS / "pydoc-char.json").read_text())
    model, info = load_checkpoint(RESULTS / "pydoc-char.pt")
    corpus = char_corpus(held_out=record["config"]["held_out"])
    if corpus.sha256 != info["text_sha256"]:
        pytest.skip("this Python's pydoc text differs from the one the checkpoint was trained on (other version)")
    assert info["vocab"] == corpus.vocab and record["text_sha256"] == info["text_sha256"]
    assert info["run_config"] == record["config"] == dataclasses.asdict(get_lm_run("pydoc-char"))
    assert (RESULTS / "pydoc-char.pt").stat().st_size <= 3_000_000
    assert perplexity(model, corpus.held_out) == pytest.approx(record["held_out_perplexity"], rel=1e-5)
    assert record["held_out_perplexity"] == info["extra"]["perplexity"]["held_out"]
