"""Tests of pruning_lab.nn.models and pruning_lab.nn.transforms: parameter counts, shapes, seeding, augmentation."""

import numpy as np
import pytest

torch = pytest.importorskip("torch")
import torch.nn.functional as F

from pruning_lab.nn import masks as M
from pruning_lab.nn.models import (
    MLP,
    MODEL_NAMES,
    MODELS,
    BasicBlock,
    LeNet300100,
    ResNet20,
    build_model,
    count_parameters,
    mlp_weight_count,
    prunable_weight_count,
    resnet20_weight_count,
)
from pruning_lab.nn.transforms import random_crop_flip

# -- parameter counts -------------------------------------------------------------------


def test_resnet20_has_the_published_parameter_count():
    # He et al. (2016), Table 6: 0.27M parameters; option A (zero-padding shortcuts) gives 269,722 with
    # BatchNorm, option B (1x1 projections + BatchNorm on the two downsampling blocks) 272,474.
    assert count_parameters(ResNet20(16)) == 269_722
    assert count_parameters(ResNet20(16, shortcut="B")) == 272_474
    assert resnet20_weight_count(16, prunable_only=False) == 269_722
    assert resnet20_weight_count(16, shortcut="B", prunable_only=False) == 272_474


@pytest.mark.parametrize(
    "width, num_classes, in_channels, shortcut",
    [
        (1, 10, 3, "A"),
        (4, 10, 3, "A"),
        (7, 100, 1, "A"),
        (16, 10, 3, "B"),
        (24, 3, 2, "B"),
    ],
)
def test_resnet20_counts_match_closed_form(width, num_classes, in_channels, shortcut):
    net = ResNet20(width, num_classes, in_channels, shortcut=shortcut)
    for prunable in (True, False):
        assert count_parameters(net, prunable_only=prunable) == resnet20_weight_count(
            width, num_classes, in_channels, shortcut=shortcut, prunable_only=prunable
        )
    # the prunable set is exactly what masks cover
    assert count_parameters(net, prunable_only=True) == sum(w.numel() for w in M.prunable_parameters(net).values())
    convs = [m for m in net.modules() if isinstance(m, torch.nn.Conv2d)]
    assert len(convs) == 19 + (2 if shortcut == "B" else 0)


@pytest.mark.parametrize("widths", [[784, 300, 100, 10], [5, 3], [10, 7, 7, 7, 2], [3072, 64, 10]])
def test_mlp_counts_match_closed_form(widths):
    net = MLP(widths[0], widths[1:-1], widths[-1])
    assert count_parameters(net) == mlp_weight_count(widths, prunable_only=False)
    assert count_parameters(net, prunable_only=True) == mlp_weight_count(widths)
    assert mlp_weight_count(widths) == sum(a * b for a, b in zip(widths[:-1], widths[1:], strict=True))


def test_lenet300100_shape_and_count():
    net = LeNet300100()
    assert net.widths == (784, 300, 100, 10)
    assert count_parameters(net, prunable_only=True) == 266_200 and count_parameters(net) == 266_610
    assert LeNet300100(width=30).widths == (784, 30, 10, 10)
    assert LeNet300100.hidden_widths(300) == (300, 100) and LeNet300100.hidden_widths(2) == (2, 1)
    assert LeNet300100(width=2).widths == (784, 2, 1, 10)  # at least one unit in the second layer


def test_prunable_count_agrees_with_masks_also_after_torch_pruning():
    net = ResNet20(4, shortcut="B")
    n = count_parameters(net, prunable_only=True)
    masks = M.global_magnitude_masks(net, sparsity=0.75)
    assert sum(m.numel() for m in masks.values()) == n
    total = count_parameters(net)
    M.apply_masks(net, masks)
    assert count_parameters(net, prunable_only=True) == n and count_parameters(net) == total


def test_count_parameters_counts_shared_weights_once():
    a = torch.nn.Linear(4, 4, bias=False)
    net = torch.nn.Sequential(a, torch.nn.ReLU(), a)
    assert count_parameters(net) == 16 and count_parameters(net, prunable_only=True) == 16


# -- forward pass and architecture ---------------------------------------------------------


@pytest.mark.parametrize("width, classes, in_channels, size", [(4, 10, 3, 32), (2, 100, 1, 28), (3, 7, 3, 16)])
def test_resnet20_output_shapes(width, classes, in_channels, size):
    net = ResNet20(width, classes, in_channels).eval()
    x = torch.randn(5, in_channels, size, size, generator=torch.Generator().manual_seed(0))
    feats = net.layer3(net.layer2(net.layer1(F.relu(net.bn(net.conv(x))))))
    assert feats.shape == (5, 4 * width, -(-size // 4), -(-size // 4))
    assert net(x).shape == (5, classes)


def test_option_a_shortcut_is_subsample_and_zero_padding():
    torch.manual_seed(0)
    block = BasicBlock(4, 8, stride=2, shortcut="A").eval()
    with torch.no_grad():
        block.conv2.weight.zero_()  # residual branch is then BN(0) = beta = 0: output = relu(shortcut)
    x = torch.randn(3, 4, 6, 6)
    expected = torch.zeros(3, 8, 3, 3)
    expected[:, 2:6] = x[:, :, ::2, ::2]
    torch.testing.assert_close(block(x), F.relu(expected))
    assert sum(p.numel() for p in block.parameters()) == 9 * 4 * 8 + 9 * 8 * 8 + 4 * 8


def test_resnet20_he_initialisation():
    net = ResNet20(16)
    w = net.layer3[1].conv1.weight  # 64 x 64 x 3 x 3: fan-out 576
    assert abs(float(w.detach().std()) / np.sqrt(2 / 576) - 1) < 0.03
    assert torch.all(net.bn.weight == 1) and torch.all(net.bn.bias == 0)


def test_resnet20_trains_one_step():
    net = build_model("resnet20", 2, seed=0)
    x, y = torch.randn(8, 3, 32, 32), torch.arange(8) % 10
    loss = F.cross_entropy(net(x), y)
    loss.backward()
    assert all(torch.isfinite(p.grad).all() and p.grad.abs().sum() > 0 for p in net.parameters())


# -- build_model -------------------------------------------------------------------


def test_build_model_is_seeded_and_leaves_global_rng_alone():
    state = torch.get_rng_state()
    a, b, c = (build_model("resnet20", 4, seed=s) for s in (3, 3, 4))
    assert torch.equal(torch.get_rng_state(), state)
    sa, sb, sc = a.state_dict(), b.state_dict(), c.state_dict()
    assert all(torch.equal(sa[k], sb[k]) for k in sa)
    assert not torch.equal(sa["conv.weight"], sc["conv.weight"])


def test_build_model_names():
    fc2 = build_model("fc2", 32, in_features=3072, num_classes=5)
    assert isinstance(fc2, MLP) and fc2.widths == (3072, 32, 5)
    assert fc2(torch.zeros(2, 3, 32, 32)).shape == (2, 5)
    assert build_model("lenet300100", 300).widths == (784, 300, 100, 10)
    net = build_model("resnet20", 8, in_channels=1, num_classes=4)
    assert isinstance(net, ResNet20) and net.conv.in_channels == 1 and net.fc.out_features == 4
    assert count_parameters(net, True) == resnet20_weight_count(8, 4, 1)


# -- the model registry -------------------------------------------------------------


@pytest.mark.parametrize("name", MODEL_NAMES)
@pytest.mark.parametrize(
    "width, shape",
    [(1, {}), (3, dict(num_classes=4, in_channels=1, in_features=50)), (10, dict(in_features=3072)), (16, {})],
)
def test_registry_counts_equal_the_built_models(name, width, shape):
    model = build_model(name, width, **shape)
    assert prunable_weight_count(name, width, **shape) == count_parameters(model, prunable_only=True)
    assert MODELS[name].weight_count(
        width, shape.get("num_classes", 10), shape.get("in_channels", 3), shape.get("in_features", 784)
    ) == count_parameters(model, prunable_only=True)


def test_registry_entries():
    assert MODEL_NAMES == tuple(MODELS) == ("fc2", "lenet300100", "resnet20")
    assert [MODELS[n].image_input for n in MODEL_NAMES] == [False, False, True]
    assert prunable_weight_count("fc2", 16) == 794 * 16
    assert prunable_weight_count("lenet300100", 300) == 266_200
    assert prunable_weight_count("resnet20", 16) == resnet20_weight_count(16) == 268_336
    assert prunable_weight_count("resnet20", 4, in_channels=1, in_features=5) == resnet20_weight_count(4, 10, 1)
    with pytest.raises(ValueError, match="unknown model name 'vgg'"):
        prunable_weight_count("vgg", 4)
    with pytest.raises(ValueError, match="width"):
        prunable_weight_count("fc2", 0)
    with pytest.raises(ValueError, match="in_features"):
        prunable_weight_count("fc2", 4, in_features=0)


@pytest.mark.parametrize(
    "name, width, kwargs, match",
    [
        ("resnet56", 16, {}, "unknown model name 'resnet56'"),
        ("resnet20", 0, {}, "width"),
        ("fc2", 2.5, {}, "width"),
        ("fc2", True, {}, "width"),
        ("resnet20", 16, {"num_classes": 0}, "num_classes"),
        ("resnet20", 16, {"in_channels": -1}, "in_channels"),
        ("fc2", 16, {"seed": -1}, "seed"),
    ],
)
def test_build_model_rejects_bad_arguments(name, width, kwargs, match):
    with pytest.raises(ValueError, match=match):
        build_model(name, width, **kwargs)


def test_model_constructors_and_counts_reject_bad_arguments():
    with pytest.raises(ValueError, match="shortcut"):
        ResNet20(16, shortcut="C")
    with pytest.raises(ValueError, match="shortcut"):
        resnet20_weight_count(16, shortcut="C")
    with pytest.raises(ValueError, match="width"):
        LeNet300100(width=0)
    with pytest.raises(ValueError, match="at least the input and output"):
        mlp_weight_count([5])
    with pytest.raises(ValueError, match="every width"):
        mlp_weight_count([5, 0, 2])
    with pytest.raises(ValueError, match="torch.nn.Module"):
        count_parameters("resnet20")


# -- random_crop_flip -------------------------------------------------------------------


def images(b=6, c=2, h=5, w=7, seed=0):
    return torch.randn(b, c, h, w, generator=torch.Generator().manual_seed(seed))


def test_crop_flip_identity_and_pure_flip():
    x = images()
    assert torch.equal(random_crop_flip(x, torch.Generator().manual_seed(0), padding=0, flip=0.0), x)
    assert torch.equal(random_crop_flip(x, 1, padding=0, flip=1.0), x.flip(-1))


def test_crop_flip_matches_a_per_image_loop():
    x, p, flip = images(b=9, h=6, w=8), 3, 0.5
    out = random_crop_flip(x, torch.Generator().manual_seed(5), padding=p, flip=flip)
    gen = torch.Generator().manual_seed(5)  # the same draws, documented order: rows, columns, flips
    rows = torch.randint(0, 2 * p + 1, (9,), generator=gen)
    cols = torch.randint(0, 2 * p + 1, (9,), generator=gen)
    flips = torch.rand(9, generator=gen) < flip
    for b in range(9):
        crop = F.pad(x[b], (p, p, p, p))[:, rows[b] : rows[b] + 6, cols[b] : cols[b] + 8]
        torch.testing.assert_close(out[b], crop.flip(-1) if flips[b] else crop, rtol=0, atol=0)
    assert out.shape == x.shape and out.dtype == x.dtype


def test_crop_flip_is_reproducible_and_advances_the_generator():
    x = images()
    g1, g2 = torch.Generator().manual_seed(7), torch.Generator().manual_seed(7)
    a1, a2 = random_crop_flip(x, g1), random_crop_flip(x, g2)
    assert torch.equal(a1, a2)
    assert not torch.equal(random_crop_flip(x, g1), a1)  # the state advanced


def test_crop_flip_offsets_and_flips_have_the_right_distribution():
    # Images of ones: the zero columns of the middle row reveal the horizontal shift s = offset - p,
    # which must be uniform on -p..p; a ramp in w reveals the flips, which must be Bernoulli(flip).
    n, p = 20_000, 3
    out = random_crop_flip(torch.ones(n, 1, 9, 9), torch.Generator().manual_seed(0), padding=p, flip=0.0)
    row = out[:, 0, 4]
    lead = (row.cumsum(1) == 0).sum(1)
    trail = (row.flip(1).cumsum(1) == 0).sum(1)
    freq = np.bincount((trail - lead + p).numpy(), minlength=2 * p + 1) / n
    np.testing.assert_allclose(freq, 1 / (2 * p + 1), atol=0.015)  # sd 0.0025
    ramp = torch.arange(1.0, 10.0).expand(n, 1, 9, 9)
    flipped = random_crop_flip(ramp, torch.Generator().manual_seed(1), padding=0, flip=0.3)[:, 0, 0, 0] == 9
    assert abs(float(flipped.float().mean()) - 0.3) < 0.015  # sd 0.0032


@pytest.mark.parametrize(
    "x, generator, kwargs, match",
    [
        (torch.zeros(2, 3, 4), 0, {}, "shape"),
        (np.zeros((2, 3, 4, 4)), 0, {}, "torch.Tensor"),
        (torch.zeros(2, 3, 4, 4), None, {}, "generator"),
        (torch.zeros(2, 3, 4, 4), 0, {"padding": -1}, "padding"),
        (torch.zeros(2, 3, 4, 4), 0, {"flip": 1.5}, "flip"),
        (torch.zeros(2, 3, 4, 4), 0, {"flip": True}, "flip"),
    ],
)
def test_crop_flip_rejects_bad_input(x, generator, kwargs, match):
    with pytest.raises(ValueError, match=match):
        random_crop_flip(x, generator, **kwargs)
