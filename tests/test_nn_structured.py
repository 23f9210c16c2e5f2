"""Structured pruning: importance criteria, masks equal to physical removal, save/load."""

import copy
from collections import OrderedDict

import pytest

torch = pytest.importorskip("torch")
from torch import nn  # noqa: E402
from torch.nn.utils import prune  # noqa: E402

from pruning_lab.nn.models import MLP, LeNet300100, ResNet20, count_parameters  # noqa: E402
from pruning_lab.nn.structured import (  # noqa: E402
    architecture_spec,
    build_from_spec,
    channel_layout,
    group_importance,
    keep_count,
    keep_sets,
    load_pruned,
    masked_equivalent,
    prune_structured,
    remove_structured,
    save_pruned,
    structured_masks,
)


def _randomize_batchnorm(model, seed=0):
    """Random BatchNorm affine parameters and running statistics, so BN matters in eval mode."""
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, nn.BatchNorm2d):
                m.weight.uniform_(0.2, 1.5, generator=g)
                m.bias.normal_(generator=g)
                m.running_mean.normal_(generator=g)
                m.running_var.uniform_(0.5, 2.0, generator=g)
    return model


def _resnet(shortcut, width=4):
    torch.manual_seed(0)
    return _randomize_batchnorm(ResNet20(width, shortcut=shortcut)).eval()


def _sequential():
    torch.manual_seed(1)
    layers = [("fc1", nn.Linear(12, 9)), ("act1", nn.Sigmoid()), ("fc2", nn.Linear(9, 7)), ("act2", nn.Tanh())]
    return nn.Sequential(OrderedDict([*layers, ("out", nn.Linear(7, 4))])).eval()


def _seeded(seed, build):
    torch.manual_seed(seed)
    return build().eval()


MODELS = {
    "mlp": (lambda: _seeded(2, lambda: MLP(16, [10, 8, 6], 5)), (6, 16)),
    "lenet": (lambda: _seeded(3, lambda: LeNet300100(12, in_features=28 * 28)), (6, 1, 28, 28)),
    "sequential": (_sequential, (6, 12)),
    "resnetA": (lambda: _resnet("A"), (3, 3, 32, 32)),
    "resnetB": (lambda: _resnet("B"), (3, 3, 32, 32)),
}


def _data(name, seed=5):
    build, shape = MODELS[name]
    g = torch.Generator().manual_seed(seed)
    model = build()
    classes = model.fc.out_features if isinstance(model, ResNet20) else list(model.children())[-1].out_features
    return model, torch.randn(shape, generator=g), torch.randint(classes, (shape[0],), generator=g)


def _rows(model, name, norm=1):
    w = model.get_submodule(name).weight.detach().double().flatten(1)
    return w.abs().sum(1) if norm == 1 else w.norm(dim=1)


# -- importance ----------------------------------------------------------------------
def test_mlp_groups_and_norm_criteria():
    model, _, _ = _data("mlp")
    assert channel_layout(model).group_sizes() == {"0": 10, "2": 8, "4": 6}  # output layer "6" is not a group
    for criterion, norm in (("l1", 1), ("l2", 2)):
        scores = group_importance(model, criterion)
        for name in ("0", "2", "4"):
            torch.testing.assert_close(scores[name], _rows(model, name, norm))


def test_resnet_b_stage_scores_sum_the_coupled_filters():
    model = _resnet("B")
    l1, bn = group_importance(model, "l1"), group_importance(model, "bn")
    stage2 = ["layer2.0.conv2", "layer2.1.conv2", "layer2.2.conv2", "layer2.0.shortcut.0"]
    torch.testing.assert_close(l1["stage2"], sum(_rows(model, n) for n in stage2))
    torch.testing.assert_close(
        l1["stage1"], sum(_rows(model, n) for n in ["conv", *(f"layer1.{b}.conv2" for b in range(3))])
    )
    gammas = ["layer2.0.bn2", "layer2.1.bn2", "layer2.2.bn2", "layer2.0.shortcut.1"]
    torch.testing.assert_close(bn["stage2"], sum(model.get_submodule(n).weight.detach().double().abs() for n in gammas))
    torch.testing.assert_close(l1["layer3.1.conv1"], _rows(model, "layer3.1.conv1"))


def test_resnet_a_groups_follow_the_zero_padding_shortcut():
    model, k = _resnet("A"), 4
    sizes = channel_layout(model).group_sizes()
    assert sizes["stream1"] == k and sizes["stream2"] == k and sizes["stream3"] == 2 * k
    lo2, lo3 = k // 2, k  # the padding of stage 2 (k channels) and 3 (2k channels) is split in halves
    conv2 = {s: sum(_rows(model, f"layer{s}.{b}.conv2") for b in range(3)) for s in (1, 2, 3)}
    l1 = group_importance(model, "l1")
    c = torch.arange(k)
    expected = _rows(model, "conv") + conv2[1] + conv2[2][c + lo2] + conv2[3][c + lo2 + lo3]
    torch.testing.assert_close(l1["stream1"], expected)
    born2 = torch.tensor([0, 1, 6, 7])  # stage-2 channels outside the copied slice 2..5
    torch.testing.assert_close(l1["stream2"], conv2[2][born2] + conv2[3][born2 + lo3])


def test_taylor_is_the_first_order_change_of_the_loss():
    torch.manual_seed(4)
    model = MLP(7, [6, 5], 3).double()
    X, y = torch.randn(9, 7, dtype=torch.float64), torch.randint(3, (9,))
    before = copy.deepcopy(model.state_dict())
    scores = group_importance(model, "taylor", data=(X, y))
    assert all(torch.equal(v, model.state_dict()[k]) for k, v in before.items())  # model untouched
    for name in ("0", "2"):
        layer = model.get_submodule(name)
        for j in range(layer.out_features):
            losses = []
            for t in (1e-6, -1e-6):  # scale row j by (1 + t): dL/dt = sum_i w_ji dL/dw_ji
                probe = copy.deepcopy(model)
                with torch.no_grad():
                    probe.get_submodule(name).weight[j] *= 1 + t
                losses.append(nn.functional.cross_entropy(probe(X), y).item())
            assert scores[name][j].item() == pytest.approx(abs(losses[0] - losses[1]) / 2e-6, rel=1e-5, abs=1e-9)
    assert not torch.allclose(scores["0"], group_importance(model, "l1")["0"])


def test_keep_sets_keep_the_top_scores_in_every_group():
    model = _resnet("B")
    scores = group_importance(model, "l2")
    for fraction in (0.01, 0.3, 0.5, 1.0):
        kept = keep_sets(model, fraction, "l2")
        for group, units in kept.items():
            n = len(scores[group])
            assert len(units) == max(1, round(fraction * n)) == keep_count(n, fraction)
            assert torch.equal(units, torch.sort(units).values)
            removed = torch.ones(n, dtype=torch.bool)
            removed[units] = False
            if removed.any():
                assert scores[group][units].min() >= scores[group][removed].max()


# -- masks and removal --------------------------------------------------------------
CASES = [
    ("mlp", "l1"),
    ("mlp", "taylor"),
    ("lenet", "l2"),
    ("sequential", "l1"),
    ("resnetA", "l1"),
    ("resnetA", "bn"),
    ("resnetA", "taylor"),
    ("resnetB", "l2"),
    ("resnetB", "bn"),
    ("resnetB", "taylor"),
]


@pytest.mark.parametrize(("name", "criterion"), CASES)
def test_smaller_network_equals_the_masked_network(name, criterion):
    model, X, y = _data(name)
    dense_state = copy.deepcopy(model.state_dict())
    small, kept = prune_structured(model, 0.5, criterion, data=(X, y))
    assert all(torch.equal(v, model.state_dict()[k]) for k, v in dense_state.items())
    masked = masked_equivalent(model, kept)
    with torch.no_grad():
        out_small, out_masked, out_dense = small(X), masked(X), model(X)
    torch.testing.assert_close(out_small, out_masked, rtol=1e-5, atol=1e-5)
    assert (out_masked - out_dense).abs().max() > 1e-3  # pruning changed the function
    masks = structured_masks(model, kept)
    weights = {n + ".weight" for n, m in model.named_modules() if isinstance(m, (nn.Linear, nn.Conv2d))}
    assert count_parameters(small, prunable_only=True) == sum(int(masks[w].sum()) for w in weights if w in masks) + sum(
        p.numel() for n, p in model.named_parameters() if n in weights and n not in masks
    )
    assert count_parameters(small) < count_parameters(model)
    assert not small.training and type(small) is (MLP if name in ("mlp", "lenet") else type(model))


def test_option_a_removed_channels_are_exactly_zero_and_lineages_are_consistent():
    model = _resnet("A")
    kept = keep_sets(model, 0.5, "l1")
    masked = masked_equivalent(model, kept)
    outputs = {}
    for s in (1, 2, 3):
        getattr(masked, f"layer{s}").register_forward_hook(lambda m, i, o, s=s: outputs.__setitem__(s, o))
    with torch.no_grad():
        masked(torch.randn(2, 3, 32, 32))
    on = {s: outputs[s].abs().amax(dim=(0, 2, 3)) > 0 for s in (1, 2, 3)}
    masks = structured_masks(model, kept)
    rows = {s: masks[f"layer{s}.0.conv2.weight"].flatten(1).any(1) for s in (1, 2, 3)}
    for s in (1, 2, 3):
        assert torch.equal(on[s], rows[s])  # a removed channel is exactly zero, a kept one is not
    assert torch.equal(rows[2][2:6], rows[1]) and torch.equal(rows[3][6:10], rows[1])  # kept in every stage or none
    assert int(rows[3].sum()) == len(kept["stream1"]) + len(kept["stream2"]) + len(kept["stream3"])


@pytest.mark.parametrize("name", ["mlp", "sequential", "resnetA", "resnetB"])
def test_keeping_everything_gives_the_dense_network(name):
    model, X, _ = _data(name)
    small, _ = prune_structured(model, 1.0)
    with torch.no_grad():
        torch.testing.assert_close(small(X), model(X), rtol=1e-6, atol=1e-6)
    assert count_parameters(small) == count_parameters(model)


def test_one_unit_per_group_still_runs_and_matches():
    model, X, _ = _data("resnetA")
    small, kept = prune_structured(model, 1e-3, "l1")
    assert all(len(units) == 1 for units in kept.values())
    with torch.no_grad():
        torch.testing.assert_close(small(X), masked_equivalent(model, kept)(X), rtol=1e-5, atol=1e-5)


def test_option_b_network_can_be_pruned_again():
    model, X, _ = _data("resnetB")
    small, _ = prune_structured(model, 0.5)
    smaller, kept = prune_structured(small, 0.5)
    assert count_parameters(smaller) < count_parameters(small)
    with torch.no_grad():
        torch.testing.assert_close(smaller(X), masked_equivalent(small, kept)(X), rtol=1e-5, atol=1e-5)
    with pytest.raises(ValueError, match="option-A"):
        prune_structured(prune_structured(_resnet("A"), 0.5)[0], 0.5)


# -- save and load --------------------------------------------------------------------
@pytest.mark.parametrize("name", ["mlp", "lenet", "sequential", "resnetA", "resnetB"])
def test_save_and_load_round_trip(name, tmp_path):
    model, X, _ = _data(name)
    for net in (prune_structured(model, 0.4, "l1")[0], model):
        path = tmp_path / "net.pt"
        save_pruned(path, net)
        loaded = load_pruned(path)
        assert architecture_spec(loaded) == architecture_spec(net)
        with torch.no_grad():
            torch.testing.assert_close(loaded(X), net(X), rtol=1e-6, atol=1e-6)
        assert [p.name for p in tmp_path.iterdir()] == ["net.pt"]  # no temporary file left


def test_spec_rebuilds_the_sizes():
    small, _ = prune_structured(_resnet("B", width=8), 0.25)
    rebuilt = build_from_spec(architecture_spec(small))
    assert [p.shape for p in rebuilt.parameters()] == [p.shape for p in small.parameters()]
    assert small.layer3[0].conv1.out_channels == 8 and small.fc.in_features == 8  # 32 channels, a quarter kept


# -- bad input -------------------------------------------------------------------------
def test_bad_input_names_the_argument(tmp_path):
    model, X, y = _data("mlp")
    with pytest.raises(ValueError, match="criterion"):
        prune_structured(model, 0.5, "l3")
    for fraction in (0, 1.5, -0.2, True, "0.5"):
        with pytest.raises(ValueError, match="fraction"):
            prune_structured(model, fraction)
    with pytest.raises(TypeError, match="model"):
        prune_structured(nn.Conv2d(3, 4, 3), 0.5)
    with pytest.raises(TypeError, match="model"):
        prune_structured(nn.Sequential(nn.Linear(4, 4), nn.Dropout(), nn.Linear(4, 2)), 0.5)
    with pytest.raises(ValueError, match="hidden layer"):
        prune_structured(nn.Sequential(nn.Linear(4, 2)), 0.5)
    with pytest.raises(ValueError, match="'bn'"):
        group_importance(model, "bn")
    with pytest.raises(ValueError, match="data"):
        group_importance(model, "taylor")
    with pytest.raises(ValueError, match="data"):
        group_importance(model, "taylor", data=(X, y[:2]))
    pruned = copy.deepcopy(model)
    prune.l1_unstructured(pruned.get_submodule("0"), "weight", 0.5)
    with pytest.raises(ValueError, match="prune.remove"):
        prune_structured(pruned, 0.5)
    kept = keep_sets(model, 0.5)
    for bad in ({**kept, "0": torch.tensor([0, 0])}, {**kept, "0": torch.tensor([10])}, {"0": kept["0"]}, [1]):
        with pytest.raises(ValueError, match="keep_sets"):
            remove_structured(model, bad)
    torch.save({"weights": 1}, tmp_path / "other.pt")
    with pytest.raises(ValueError, match="save_pruned"):
        load_pruned(tmp_path / "other.pt")
    with pytest.raises(ValueError, match="spec"):
        build_from_spec({"kind": "vgg"})
