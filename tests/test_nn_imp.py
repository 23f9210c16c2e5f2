"""Tests of pruning_lab.nn.imp: nested masks, exact kept counts, rewinding, the re-initialisation control."""

import copy

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from pruning_lab.data import Dataset
from pruning_lab.nn import masks as M
from pruning_lab.nn.imp import IMPResult, iterative_magnitude_pruning, prune_remaining, reinitialize
from pruning_lab.nn.models import MLP
from pruning_lab.nn.train import TrainingRecipe, evaluate, train_classifier


def blobs(n=400, d=12, k=3, seed=0):
    rng = np.random.default_rng(seed)
    centers = 2.0 * rng.standard_normal((k, d))
    y = rng.integers(0, k, size=n)
    X = (centers[y] + rng.standard_normal((n, d))).astype(np.float32)
    return Dataset(X[:300], y[:300], X[300:], y[300:], name="blobs")


DATA = blobs()
RECIPE = TrainingRecipe(epochs=2, lr=0.05, batch_size=50, momentum=0.9, weight_decay=5e-4, seed=3)


def tiny(seed=0):
    torch.manual_seed(seed)
    return MLP(12, [24, 16], 3)


@pytest.fixture(scope="module")
def run():
    model = tiny()
    before = copy.deepcopy(model.state_dict())
    res = iterative_magnitude_pruning(model, DATA, RECIPE, rounds=4, prune_fraction=0.2, reinit=True)
    return model, before, res


def test_masks_are_nested_and_kept_counts_follow_the_recursion(run):
    model, _, res = run
    assert isinstance(res, IMPResult) and len(res.masks) == 5 and res.kept.shape == (5,)
    total = 12 * 24 + 24 * 16 + 16 * 3
    assert res.kept[0] == total and all(m.all() for m in res.masks[0].values())
    for t in range(1, 5):
        assert res.kept[t] == res.kept[t - 1] - round(0.2 * res.kept[t - 1])
        assert res.kept[t] == sum(int(m.sum()) for m in res.masks[t].values())
        for name in res.masks[t]:
            assert not torch.any(res.masks[t][name] & ~res.masks[t - 1][name])  # m_t <= m_{t-1}
    np.testing.assert_allclose(res.kept_fraction, 0.8 ** np.arange(5), atol=3 / total)
    np.testing.assert_allclose(res.test_error, 1 - res.test_accuracy)
    assert res.test_accuracy[0] > 0.9  # the dense net learns the blobs


def test_global_scope_is_magnitude_pruning_of_the_previous_rounds_network(run):
    model, _, res = run
    # round 1 masks = top-k |W| of the dense network trained in round 0 (recomputed independently)
    net = copy.deepcopy(model)
    train_classifier(
        net,
        DATA.X_train,
        DATA.y_train,
        TrainingRecipe(epochs=2, lr=0.05, batch_size=50, momentum=0.9, weight_decay=5e-4, seed=3),
    )
    ref = M.global_magnitude_masks(net, keep=int(res.kept[1]))
    assert all(torch.equal(ref[n], res.masks[1][n]) for n in ref)


def test_rewinding_to_epoch_zero_restores_initial_values_and_rounds_can_be_recomputed(run):
    model, before, res = run
    assert all(torch.equal(v, before[k]) for k, v in model.state_dict().items())  # model untouched
    assert all(torch.equal(res.rewind_state[k], before[k]) for k in before)
    # last round = train (theta_0 * m_T) with m_T and seed + T, from a fresh optimizer
    net = copy.deepcopy(model)
    net.load_state_dict(res.rewind_state)
    m = res.masks[-1]
    train_classifier(net, DATA.X_train, DATA.y_train, RECIPE.replace(seed=RECIPE.seed + 4), masks=m)
    for k, v in net.state_dict().items():
        assert torch.equal(v, res.final_state[k])
    assert evaluate(net, DATA.X_test, DATA.y_test)["accuracy"] == res.test_accuracy[-1]
    for name, mask in m.items():
        assert torch.all(res.final_state[name][~mask] == 0)


def test_rewinding_to_epoch_k_uses_the_weights_after_k_epochs():
    model = tiny(1)
    res = iterative_magnitude_pruning(model, DATA, RECIPE.replace(epochs=3), rounds=1, rewind_epoch=1)
    net = copy.deepcopy(model)
    train_classifier(net, DATA.X_train, DATA.y_train, RECIPE.replace(epochs=1))
    assert all(torch.equal(res.rewind_state[k], v) for k, v in net.state_dict().items())
    assert not torch.equal(res.rewind_state["0.weight"], model.state_dict()["0.weight"])
    # the ticket is retrained for epochs - k = 2 epochs from the rewind point
    net.load_state_dict(res.rewind_state)
    train_classifier(net, DATA.X_train, DATA.y_train, RECIPE.replace(epochs=2, seed=4), masks=res.masks[1])
    assert all(torch.equal(res.final_state[k], v) for k, v in net.state_dict().items())


def test_reinit_control_same_masks_different_initial_weights(run):
    model, _, res = run
    plain = iterative_magnitude_pruning(model, DATA, RECIPE, rounds=4, prune_fraction=0.2)
    assert plain.reinit_test_accuracy is None
    for a, b in zip(plain.masks, res.masks, strict=True):  # the control does not change the masks
        assert all(torch.equal(a[n], b[n]) for n in a)
    np.testing.assert_array_equal(plain.test_accuracy, res.test_accuracy)
    assert np.isnan(res.reinit_test_accuracy[0]) and np.all(np.isfinite(res.reinit_test_accuracy[1:]))
    fresh = reinitialize(model, res.reinit_seeds[4])
    assert not torch.equal(fresh.state_dict()["0.weight"], model.state_dict()["0.weight"])
    assert torch.equal(
        reinitialize(model, res.reinit_seeds[4]).state_dict()["0.weight"], fresh.state_dict()["0.weight"]
    )  # same seed, same weights
    train_classifier(fresh, DATA.X_train, DATA.y_train, RECIPE.replace(seed=RECIPE.seed + 4), masks=res.masks[4])
    assert evaluate(fresh, DATA.X_test, DATA.y_test)["accuracy"] == res.reinit_test_accuracy[4]
    assert evaluate(fresh, DATA.X_train, DATA.y_train)["error"] == res.reinit_train_error[4]
    # a callable builds the control itself: the same masks, its own initial weights
    built = iterative_magnitude_pruning(model, DATA, RECIPE, rounds=1, reinit=lambda s: tiny(s % 1000))
    assert all(torch.equal(built.masks[1][n], res.masks[1][n]) for n in built.masks[1])
    control = tiny(built.reinit_seeds[1] % 1000)
    train_classifier(control, DATA.X_train, DATA.y_train, RECIPE.replace(seed=RECIPE.seed + 1), masks=built.masks[1])
    assert evaluate(control, DATA.X_test, DATA.y_test)["accuracy"] == built.reinit_test_accuracy[1]


def test_same_seed_same_result_and_layerwise_scope():
    a = iterative_magnitude_pruning(tiny(2), DATA, RECIPE, rounds=2, scope="layerwise")
    b = iterative_magnitude_pruning(tiny(2), DATA, RECIPE, rounds=2, scope="layerwise")
    np.testing.assert_array_equal(a.test_loss, b.test_loss)
    assert all(torch.equal(a.final_state[k], b.final_state[k]) for k in a.final_state)
    for t in (1, 2):
        for name, m in a.masks[t].items():
            prev = int(a.masks[t - 1][name].sum())
            assert int(m.sum()) == prev - round(0.2 * prev)  # the fraction in every layer
            assert not torch.any(m & ~a.masks[t - 1][name])


def test_the_recipe_drives_every_round_and_is_recorded():
    cosine = RECIPE.replace(lr_schedule="cosine", epochs=3)
    res = iterative_magnitude_pruning(tiny(3), DATA, cosine, rounds=1, rewind_epoch=1)
    assert res.recipe == cosine
    assert res.config == dict(
        rounds=1,
        prune_fraction=0.2,
        scope="global",
        rewind_epoch=1,
        epochs=3,
        lr=0.05,
        batch_size=50,
        momentum=0.9,
        weight_decay=5e-4,
        seed=3,
        reinit=False,
        random_control=False,
    )
    # round 1 = the rewound network trained with the masks by the recipe with epochs - k epochs and seed + 1
    net = tiny(3)
    net.load_state_dict(res.rewind_state)
    train_classifier(net, DATA.X_train, DATA.y_train, cosine.replace(epochs=2, seed=4), masks=res.masks[1])
    assert all(torch.equal(res.final_state[k], v) for k, v in net.state_dict().items())
    constant = iterative_magnitude_pruning(tiny(3), DATA, RECIPE.replace(epochs=3), rounds=1, rewind_epoch=1)
    assert not torch.equal(constant.final_state["0.weight"], res.final_state["0.weight"])  # the schedule matters


def test_prune_remaining_with_ties_at_zero_keeps_exact_nested_count():
    net = tiny()
    with torch.no_grad():
        for p in M.prunable_parameters(net).values():
            p.zero_()  # every weight ties at |w| = 0: ranking alone would pick pruned positions first
    old = M.random_masks(net, 0.5, generator=0)
    for scope in ("global", "layerwise"):
        new = prune_remaining(net, old, 0.2, scope)
        for name in old:
            assert not torch.any(new[name] & ~old[name])
            if scope == "layerwise":
                k = int(old[name].sum())
                assert int(new[name].sum()) == k - round(0.2 * k)
        kept = M.count_kept(old)[1]
        if scope == "global":
            assert M.count_kept(new)[1] == kept - round(0.2 * kept)


def test_bad_inputs_raise():
    model = tiny()
    with pytest.raises(ValueError, match="rounds must be an integer >= 1"):
        iterative_magnitude_pruning(model, DATA, rounds=0)
    with pytest.raises(ValueError, match=r"prune_fraction must be a number in \(0, 1\)"):
        iterative_magnitude_pruning(model, DATA, rounds=1, prune_fraction=1.0)
    with pytest.raises(ValueError, match="scope must be one of global, layerwise"):
        iterative_magnitude_pruning(model, DATA, rounds=1, scope="random")
    with pytest.raises(ValueError, match=r"rewind_epoch must be an integer in 0..1"):
        iterative_magnitude_pruning(model, DATA, TrainingRecipe(epochs=2), rounds=1, rewind_epoch=2)
    with pytest.raises(ValueError, match=r"recipe.epochs \(epochs of IMP training\) must be an integer >= 1"):
        iterative_magnitude_pruning(model, DATA, TrainingRecipe(epochs=0), rounds=1)
    with pytest.raises(ValueError, match="recipe must be a pruning_lab.nn.train.TrainingRecipe"):
        iterative_magnitude_pruning(model, DATA, {"epochs": 2}, rounds=1)
    with pytest.raises(ValueError, match="data must be a pruning_lab.data.Dataset"):
        iterative_magnitude_pruning(model, (DATA.X_train, DATA.y_train), rounds=1)
    with pytest.raises(ValueError, match="reinit must be True, False or a callable"):
        iterative_magnitude_pruning(model, DATA, rounds=1, reinit="yes")
    with pytest.raises(ValueError, match="same parameters and shapes as model"):
        iterative_magnitude_pruning(model, DATA, TrainingRecipe(epochs=1), rounds=1, reinit=lambda s: MLP(12, [5], 3))
    with pytest.raises(ValueError, match="model must be a torch.nn.Module"):
        iterative_magnitude_pruning(None, DATA, rounds=1)
    hooked = M.apply_masks(tiny(), M.random_masks(tiny(), 0.5, generator=0))
    with pytest.raises(ValueError, match="pruned by torch.nn.utils.prune hooks"):
        iterative_magnitude_pruning(hooked, DATA, rounds=1)
    with pytest.raises(ValueError, match="learning rate"):
        iterative_magnitude_pruning(model, DATA, TrainingRecipe(lr=-1.0), rounds=1)
    ones = {n: torch.ones_like(w, dtype=torch.bool) for n, w in M.prunable_parameters(model).items()}
    with pytest.raises(ValueError, match="exactly the prunable weights"):
        prune_remaining(model, {"0.weight": ones["0.weight"]}, 0.2)
    with pytest.raises(ValueError, match="must be a torch.BoolTensor of shape"):
        prune_remaining(model, {**ones, "0.weight": ones["0.weight"].float()}, 0.2)
    with pytest.raises(ValueError, match=r"prune_fraction must be a number in \[0, 1\]"):
        prune_remaining(model, ones, -0.1)
    with pytest.raises(ValueError, match="seed must be an integer"):
        reinitialize(model, -1)


@pytest.mark.slow
def test_imp_on_real_mnist_keeps_lenet_300_100_accurate(mnist):
    digits = mnist
    torch.manual_seed(0)
    recipe = TrainingRecipe(epochs=2, lr=0.05, batch_size=64)
    res = iterative_magnitude_pruning(MLP(784, [300, 100], 10), digits, recipe, rounds=2, prune_fraction=0.5)
    assert res.kept_fraction[-1] == pytest.approx(0.25, abs=1e-5)
    assert np.all(res.test_accuracy > 0.85)  # a quarter of the weights still classify digits well


def test_random_control_keeps_each_layers_count_and_trains_from_the_rewind_point():
    res = iterative_magnitude_pruning(tiny(5), DATA, RECIPE, rounds=2, random_control=True)
    assert np.isnan(res.random_test_error[0]) and res.random_test_error.shape == (3,)
    assert np.all((res.random_test_error[1:] >= 0) & (res.random_test_error[1:] <= 1))
    assert res.reinit_test_error is None and res.config["random_control"] is True
    # the control of round 1 recomputed: a random mask of the same per-layer counts on theta_0, same recipe
    from pruning_lab.nn.imp import _random_like

    masks = _random_like(res.masks[1], res_seed := int(np.random.SeedSequence([3, 2]).generate_state(3)[1]) + 1)
    assert {n: int(m.sum()) for n, m in masks.items()} == {n: int(m.sum()) for n, m in res.masks[1].items()}
    assert any(not torch.equal(masks[n], res.masks[1][n]) for n in masks)  # not the magnitude mask
    net = tiny(5)
    net.load_state_dict(res.rewind_state)
    train_classifier(net, DATA.X_train, DATA.y_train, RECIPE.replace(seed=4), masks=masks)
    from pruning_lab.nn.train import evaluate

    assert evaluate(net, DATA.X_test, DATA.y_test)["error"] == res.random_test_error[1]
    assert _random_like(res.masks[1], res_seed).keys() == masks.keys()
    with pytest.raises(ValueError, match="random_control"):
        iterative_magnitude_pruning(tiny(5), DATA, RECIPE, rounds=1, random_control="yes")


def test_prune_remaining_refuses_a_torch_pruned_model_as_imp_does():
    net = tiny()
    old = M.random_masks(net, 0.5, generator=0)
    M.apply_masks(net, old)
    with pytest.raises(ValueError, match="model is pruned by torch.nn.utils.prune hooks"):
        prune_remaining(net, old, 0.2)


def test_prune_remaining_refuses_a_model_on_the_meta_device():
    net = tiny()
    old = M.random_masks(net, 0.5, generator=0)
    with pytest.raises(ValueError, match="model has tensors on the meta device"):
        prune_remaining(net.to("meta"), old, 0.2)
