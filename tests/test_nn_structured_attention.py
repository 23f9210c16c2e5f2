"""The unit-attention criterion of structured pruning: exact wrapper, planted useful units, checks."""

import copy
from collections import OrderedDict

import pytest

torch = pytest.importorskip("torch")
from torch import nn  # noqa: E402

from pruning_lab.nn.models import MLP, LeNet300100, ResNet20, count_parameters  # noqa: E402
from pruning_lab.nn.structured import (  # noqa: E402
    CRITERIA,
    channel_layout,
    group_importance,
    keep_count,
    keep_sets,
    masked_equivalent,
    prune_structured,
)
from pruning_lab.nn.structured.attention import UnitAttention, attach_unit_attention, attention_scores  # noqa: E402


def _sequential():
    torch.manual_seed(1)
    layers = [("fc1", nn.Linear(12, 9)), ("act1", nn.Sigmoid()), ("fc2", nn.Linear(9, 7)), ("act2", nn.Tanh())]
    return nn.Sequential(OrderedDict([*layers, ("out", nn.Linear(7, 4))])).eval()


def _mlp():
    torch.manual_seed(2)
    return MLP(16, [10, 8, 6], 5).eval()


def _lenet():
    torch.manual_seed(3)
    return LeNet300100(12, in_features=28 * 28).eval()


def _batch(model, shape, seed=5):
    g = torch.Generator().manual_seed(seed)
    classes = list(model.children())[-1].out_features
    return torch.randn(shape, generator=g), torch.randint(classes, (shape[0],), generator=g)


def _planted(seed, useful=(1, 4, 6, 9), n_hidden=12, d=8, classes=3, n=512, big=5.0):
    """A teacher whose only useful hidden units are ``useful``; the others have large incoming weights, no outgoing."""
    g = torch.Generator().manual_seed(seed)
    model = MLP(d, [n_hidden], classes)
    noise = torch.ones(n_hidden, dtype=torch.bool)
    noise[list(useful)] = False
    with torch.no_grad():
        w1 = torch.randn(n_hidden, d, generator=g)
        w1[noise] *= big
        w2 = 2 * torch.randn(classes, n_hidden, generator=g)
        w2[:, noise] = 0
        model[0].weight.copy_(w1)
        model[2].weight.copy_(w2)
        model[0].bias.zero_()
        model[2].bias.zero_()
    X = torch.randn(n, d, generator=g)
    with torch.no_grad():
        y = model(X).argmax(1)  # labels of the teacher itself
    return model.eval(), X, y, torch.tensor(useful)


# -- the wrapper -----------------------------------------------------------------------
@pytest.mark.parametrize(("build", "shape"), [(_mlp, (7, 16)), (_sequential, (7, 12)), (_lenet, (3, 1, 28, 28))])
def test_zero_logits_leave_the_network_exactly_unchanged(build, shape):
    model = build()
    X, y = _batch(model, shape)
    wrapped = attach_unit_attention(model)
    wrappers = [m for m in wrapped.modules() if isinstance(m, UnitAttention)]
    assert [m.group for m in wrappers] == list(channel_layout(model).groups)
    with torch.no_grad():
        assert torch.equal(wrapped(X), model(X))  # bit for bit: A = n softmax(0) = 1 exactly
    scores = attention_scores(model, (X, y), steps=0)
    for group, n in channel_layout(model).group_sizes().items():
        assert torch.equal(scores[group], torch.ones(n, dtype=torch.float64))


def test_attention_scales_the_post_activation_outputs():
    model = _sequential()
    X, _ = _batch(model, (5, 12))
    wrapped = attach_unit_attention(model)
    g = torch.Generator().manual_seed(0)
    reference = copy.deepcopy(model)
    with torch.no_grad():
        for consumer in ("fc2", "out"):
            logits = torch.randn(wrapped.get_submodule(consumer).logits.shape, generator=g)
            wrapped.get_submodule(consumer).logits.copy_(logits)
            a = len(logits) * torch.softmax(logits, 0)
            reference.get_submodule(consumer).weight.mul_(a)  # column u of the reader scaled by A_u
        torch.testing.assert_close(wrapped(X), reference(X), rtol=1e-5, atol=1e-6)
        assert (wrapped(X) - model(X)).abs().max() > 1e-2


# -- the criterion -----------------------------------------------------------------------
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_attention_finds_the_planted_units_where_l1_is_fooled(seed):
    model, X, y, useful = _planted(seed)
    fraction = len(useful) / 12
    kept = keep_sets(model, fraction, "attention", data=(X, y))["0"]
    assert torch.equal(kept, useful)
    fooled = keep_sets(model, fraction, "l1")["0"]
    assert not set(fooled.tolist()) & set(useful.tolist())  # the large incoming weights win under l1
    scores = group_importance(model, "attention", data=(X, y))["0"]
    assert scores.sum().item() == pytest.approx(12, rel=1e-6)  # mean attention 1 (float32)
    noise = torch.ones(12, dtype=torch.bool)
    noise[useful] = False
    assert scores[useful].min() > 1 > scores[noise].max()  # the softmax concentrated on the useful units


def test_scores_are_deterministic_and_the_model_is_unchanged():
    model = _mlp()
    X, y = _batch(model, (40, 16))
    before = copy.deepcopy(model.state_dict())
    first = attention_scores(model, (X, y), steps=30, batch_size=16, seed=3)
    assert all(torch.equal(v, model.state_dict()[k]) for k, v in before.items())
    again = attention_scores(model, (X, y), steps=30, batch_size=16, seed=3)
    other = attention_scores(model, (X, y), steps=30, batch_size=16, seed=4)
    assert list(first) == ["0", "2", "4"]
    assert all(torch.equal(first[g], again[g]) for g in first)
    assert any(not torch.equal(first[g], other[g]) for g in first)  # the seed orders the minibatches
    assert all(s.dtype == torch.float64 and (s != 1).any() for s in first.values())  # the logits trained
    assert all(
        torch.equal(a, b)
        for a, b in zip(
            group_importance(model, "attention", data=(X, y)).values(),
            attention_scores(model, (X, y)).values(),
            strict=True,
        )
    )


@pytest.mark.parametrize(("build", "width"), [(_mlp, 16), (_sequential, 12)])
def test_keep_sets_counts_and_pruned_network_equals_the_masked_one(build, width):
    model = build()
    X, y = _batch(model, (40, width))
    scores = group_importance(model, "attention", data=(X, y))
    for fraction in (0.2, 0.5):
        kept = keep_sets(model, fraction, "attention", data=(X, y))
        for group, units in kept.items():
            n = len(scores[group])
            assert len(units) == keep_count(n, fraction)
            removed = torch.ones(n, dtype=torch.bool)
            removed[units] = False
            assert scores[group][units].min() >= scores[group][removed].max()
    small, kept = prune_structured(model, 0.5, "attention", data=(X, y))
    assert count_parameters(small) < count_parameters(model)
    with torch.no_grad():
        torch.testing.assert_close(small(X), masked_equivalent(model, kept)(X), rtol=1e-5, atol=1e-5)
        assert (small(X) - model(X)).abs().max() > 1e-3  # units were removed that mattered


def test_bad_input_names_the_argument():
    assert "attention" in CRITERIA
    model = _mlp()
    X, y = _batch(model, (8, 16))
    with pytest.raises(ValueError, match="data"):
        group_importance(model, "attention")
    with pytest.raises(ValueError, match="data"):
        keep_sets(model, 0.5, "attention")
    with pytest.raises(ValueError, match="data"):
        attention_scores(model, (X, y[:3]))
    resnet = ResNet20(2)
    Xr = torch.randn(2, 3, 32, 32)
    with pytest.raises(ValueError, match="fully connected networks only"):
        group_importance(resnet, "attention", data=(Xr, torch.tensor([0, 1])))
    with pytest.raises(ValueError, match="fully connected networks only"):
        attach_unit_attention(resnet)
    for kwargs, name in (
        ({"steps": -1}, "steps"),
        ({"steps": 1.5}, "steps"),
        ({"lr": 0.0}, "lr"),
        ({"lr": float("nan")}, "lr"),
        ({"batch_size": 0}, "batch_size"),
        ({"seed": -1}, "seed"),
    ):
        with pytest.raises(ValueError, match=name):
            attention_scores(model, (X, y), **kwargs)
    with pytest.raises(ValueError, match="linear"):
        UnitAttention(nn.ReLU(), "0")
