"""Tests of pruning_lab.nn.gradual: the cubic schedule's values, exact final sparsity, nested masks."""

import copy
import time

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from pruning_lab.nn import masks as M
from pruning_lab.nn.gradual import GradualResult, cubic_sparsity, gradual_magnitude_pruning
from pruning_lab.nn.models import MLP
from pruning_lab.nn.train import TrainingRecipe, train_classifier

RECIPE = TrainingRecipe(epochs=6, lr=0.05, batch_size=50, momentum=0.9, seed=2)


def data(n=200, d=10, k=3, seed=0):
    rng = np.random.default_rng(seed)
    return rng.standard_normal((n, d)).astype(np.float32), rng.integers(0, k, size=n)


def tiny(seed=0):
    torch.manual_seed(seed)
    return MLP(10, [20, 12], 3)


def test_cubic_schedule_hand_values_and_monotone():
    assert cubic_sparsity(0, start=2, end=6, final=0.8) == 0.0
    assert cubic_sparsity(2, start=2, end=6, final=0.8, initial=0.1) == 0.1
    assert cubic_sparsity(6, start=2, end=6, final=0.8) == pytest.approx(0.8)
    assert cubic_sparsity(9, start=2, end=6, final=0.8) == 0.8
    # middle: u = 1/2, s = 0.8 - 0.8 * (1/2)^3 = 0.7
    assert cubic_sparsity(4, start=2, end=6, final=0.8) == pytest.approx(0.7)
    # u = 1/4: s = 0.9 + (0.1 - 0.9) * (3/4)^3 = 0.5625
    assert cubic_sparsity(3, start=2, end=6, final=0.9, initial=0.1) == pytest.approx(0.5625)
    values = [cubic_sparsity(t, start=5, end=105, final=0.95) for t in range(120)]
    assert np.all(np.diff(values) >= 0) and values[-1] == 0.95
    steps = np.diff(values[5:106])
    assert np.all(np.diff(steps) <= 1e-12)  # concave on the ramp: fast first, slow at the end


@pytest.mark.parametrize(
    "kwargs",
    [
        dict(step=-1, start=0, end=2, final=0.5),
        dict(step=0, start=2, end=2, final=0.5),
        dict(step=0, start=0, end=2, final=1.5),
        dict(step=0, start=0, end=2, final=0.5, initial=0.6),
        dict(step=0, start=0, end=2, final=True),
    ],
)
def test_cubic_schedule_rejects_bad_input(kwargs):
    with pytest.raises(ValueError):
        cubic_sparsity(**kwargs)


@pytest.mark.parametrize("scope", ["global", "layerwise"])
def test_gradual_pruning_follows_the_schedule_with_nested_masks(scope, monkeypatch):
    X, y = data()
    seen = []
    original = M.strategy_masks

    def spy(*args, **kwargs):
        out = original(*args, **kwargs)
        seen.append({k: v.clone() for k, v in out.items()})
        return out

    monkeypatch.setattr("pruning_lab.nn.gradual.strategy_masks", spy)
    model = tiny()
    t0 = time.perf_counter()
    res = gradual_magnitude_pruning(model, X, y, RECIPE, final_sparsity=0.8, start_epoch=1, end_epoch=4, scope=scope)
    assert time.perf_counter() - t0 < 10
    assert isinstance(res, GradualResult)
    assert res.epoch.tolist() == list(range(6)) and np.all(np.isfinite(res.train_loss))
    expected = [0.0] + [cubic_sparsity(e, start=1, end=4, final=0.8) for e in (1, 2, 3, 4)] + [0.8]
    np.testing.assert_allclose(res.target, expected)
    sizes = [10 * 20, 20 * 12, 12 * 3]
    total = sum(sizes)
    for s, t in zip(res.sparsity, res.target, strict=True):
        if scope == "global":
            assert s == pytest.approx(round(t * total) / total)
        else:
            assert s == pytest.approx(sum(round(t * n) for n in sizes) / total)
    assert len(seen) == 4  # one mask computation per pruning epoch
    for before, after in zip(seen, seen[1:], strict=False):
        for name in after:
            assert not torch.any(after[name] & ~before[name])  # kept set shrinks
    _, kept = M.count_kept(res.masks)
    expected_kept = total - round(0.8 * total) if scope == "global" else sum(n - round(0.8 * n) for n in sizes)
    assert kept == expected_kept
    for name, w in M.prunable_parameters(model).items():
        assert torch.all(w[~res.masks[name]] == 0) and torch.all(w[res.masks[name]] != 0)


def test_gradual_pruning_at_zero_sparsity_is_plain_per_epoch_training():
    X, y = data()
    a, b = tiny(), tiny()
    res = gradual_magnitude_pruning(a, X, y, RECIPE, final_sparsity=0.0, start_epoch=0, end_epoch=2)
    for e in range(RECIPE.epochs):
        train_classifier(b, X, y, RECIPE.replace(epochs=1, seed=RECIPE.seed + e))
    for (na, pa), (_, pb) in zip(a.named_parameters(), b.named_parameters(), strict=True):
        assert torch.equal(pa, pb), na
    assert all(m.all() for m in res.masks.values())


def test_gradual_pruning_is_deterministic_and_masks_match_the_last_magnitude_step():
    X, y = data()
    r1 = gradual_magnitude_pruning(tiny(), X, y, RECIPE, final_sparsity=0.7, start_epoch=0, end_epoch=4, prune_every=2)
    r2 = gradual_magnitude_pruning(tiny(), X, y, RECIPE, final_sparsity=0.7, start_epoch=0, end_epoch=4, prune_every=2)
    np.testing.assert_array_equal(r1.train_loss, r2.train_loss)
    assert all(torch.equal(r1.masks[k], r2.masks[k]) for k in r1.masks)
    np.testing.assert_allclose(r1.target, [0.0, 0.0, 0.6125, 0.6125, 0.7, 0.7])


@pytest.mark.parametrize(
    "kwargs",
    [
        dict(final_sparsity=1.2, start_epoch=0, end_epoch=2),
        dict(final_sparsity=0.5, start_epoch=2, end_epoch=2),
        dict(final_sparsity=0.5, start_epoch=0, end_epoch=6),
        dict(final_sparsity=0.5, start_epoch=0, end_epoch=3, prune_every=2),
        dict(final_sparsity=0.5, start_epoch=0, end_epoch=2, scope="row"),
    ],
)
def test_gradual_pruning_rejects_bad_input(kwargs):
    X, y = data()
    with pytest.raises(ValueError):
        gradual_magnitude_pruning(tiny(), X, y, RECIPE, **kwargs)


def test_gradual_pruning_refuses_a_recipe_that_is_not_one_and_a_torch_pruned_model():
    X, y = data()
    with pytest.raises(ValueError, match="recipe"):
        gradual_magnitude_pruning(tiny(), X, y, {"epochs": 3}, final_sparsity=0.5, start_epoch=0, end_epoch=1)
    model = M.apply_masks(tiny(), M.global_magnitude_masks(copy.deepcopy(tiny()), sparsity=0.5))
    with pytest.raises(ValueError, match="prune"):
        gradual_magnitude_pruning(model, X, y, RECIPE, final_sparsity=0.5, start_epoch=0, end_epoch=1)
