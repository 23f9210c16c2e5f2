"""Tests of pruning_lab.nn.measure: parameter counts, hand-counted multiply-accumulates of LeNet-300-100
and ResNet-20, checkpoint bytes, and the latency measurement's protocol (warm-up, threads, modes)."""

import io

import pytest

torch = pytest.importorskip("torch")
from torch import nn

from pruning_lab.nn import measure as ME
from pruning_lab.nn.masks import apply_masks, count_kept, global_magnitude_masks
from pruning_lab.nn.models import LeNet300100, ResNet20, count_parameters


def lenet(seed=0):
    torch.manual_seed(seed)
    return LeNet300100()


# -- count_params -----------------------------------------------------------------------
def test_count_params_matches_the_closed_form_and_the_masks():
    model = lenet()
    assert ME.count_params(model) == 784 * 300 + 300 * 100 + 100 * 10 + 300 + 100 + 10
    assert ME.count_params(model) == count_parameters(model)
    masks = global_magnitude_masks(model, sparsity=0.9)
    _, kept = count_kept(masks)
    pruned = apply_masks(lenet(), masks)  # weight_orig (all entries) + weight_mask
    assert ME.count_params(pruned) == ME.count_params(model)
    assert ME.count_params(pruned, nonzero=True) == kept + 410  # biases are all nonzero at initialisation
    zeroed = lenet()
    with torch.no_grad():
        for name, m in masks.items():
            zeroed.get_parameter(name).mul_(m)
    assert ME.count_params(zeroed, nonzero=True) == kept + 410


def test_count_params_counts_a_shared_tensor_once():
    layer = nn.Linear(4, 4)
    assert ME.count_params(nn.Sequential(layer, layer)) == 20


def test_count_params_rejects_bad_input():
    with pytest.raises(TypeError, match="model"):
        ME.count_params("lenet")
    with pytest.raises(TypeError, match="nonzero"):
        ME.count_params(lenet(), nonzero=1)


# -- macs ---------------------------------------------------------------------------------
def test_macs_of_lenet_is_the_hand_count():
    total, per_layer = ME.macs(lenet(), (1, 28, 28))
    assert per_layer == {"0": 784 * 300, "2": 300 * 100, "4": 100 * 10}
    assert total == 784 * 300 + 300 * 100 + 100 * 10


def resnet20_hand_count(k=16, shortcut="A", classes=10):
    """ResNet-20 of width k on 3x32x32, layer by layer: MACs = c_out * H_out * W_out * c_in * kh * kw."""
    conv = lambda c_in, c_out, side, ks=3: c_out * side * side * c_in * ks * ks  # noqa: E731
    count = conv(3, k, 32)  # stem
    count += 6 * conv(k, k, 32)  # stage 1: 3 blocks x 2 convs at 32x32
    count += conv(k, 2 * k, 16) + 5 * conv(2 * k, 2 * k, 16)  # stage 2: stride 2 to 16x16
    count += conv(2 * k, 4 * k, 8) + 5 * conv(4 * k, 4 * k, 8)  # stage 3: stride 2 to 8x8
    if shortcut == "B":
        count += conv(k, 2 * k, 16, 1) + conv(2 * k, 4 * k, 8, 1)  # the two 1x1 projections
    return count + 4 * k * classes  # final linear


@pytest.mark.parametrize("shortcut", ["A", "B"])
def test_macs_of_resnet20_is_the_hand_count(shortcut):
    torch.manual_seed(0)
    model = ResNet20(16, shortcut=shortcut)
    total, per_layer = ME.macs(model, (3, 32, 32))
    assert total == resnet20_hand_count(16, shortcut)
    assert len(per_layer) == 20 + (2 if shortcut == "B" else 0)
    assert per_layer["conv"] == 16 * 32 * 32 * 3 * 9 and per_layer["fc"] == 64 * 10
    assert per_layer["layer3.0.conv1"] == 64 * 8 * 8 * 32 * 9
    assert total == 40_551_040 + (262_144 if shortcut == "B" else 0)  # the hand count, evaluated (~40.6 M)


def test_macs_of_a_grouped_strided_dilated_convolution():
    conv = nn.Conv2d(4, 8, 3, stride=2, padding=2, dilation=2, groups=2)
    side = (15 + 2 * 2 - 2 * (3 - 1) - 1) // 2 + 1  # = 8
    total, _ = ME.macs(conv, (4, 15, 15))
    assert total == 8 * side * side * (4 // 2) * 9 == 9216


def test_macs_counts_nonzero_weights_of_a_masked_model():
    torch.manual_seed(0)
    model = ResNet20(16)
    dense_total, dense = ME.macs(model, (3, 32, 32))
    masks = global_magnitude_masks(model, sparsity=0.8)
    kept, _ = count_kept(masks)
    apply_masks(model, masks)
    total, per_layer = ME.macs(model, (3, 32, 32), nonzero=True)
    sizes = {n: m.numel() for n, m in masks.items()}
    expected = {n.removesuffix(".weight"): kept[n] * (dense[n.removesuffix(".weight")] // sizes[n]) for n in masks}
    assert per_layer == expected
    assert total < 0.4 * dense_total
    assert ME.macs(model, (3, 32, 32))[0] == dense_total  # nonzero=False: the dense work, zeros included


def test_macs_restores_training_mode_and_checks_input():
    model = lenet().train()
    ME.macs(model, (784,))
    assert model.training and all(m.training for m in model.modules())
    for bad in [(), "784", (0, 28), [1.5]]:
        with pytest.raises(ValueError, match="input_shape"):
            ME.macs(model, bad)


# -- model_bytes --------------------------------------------------------------------------
def test_model_bytes_is_the_size_of_torch_save():
    model = nn.Linear(100, 100)
    buffer = io.BytesIO()
    torch.save(model.state_dict(), buffer)
    assert ME.model_bytes(model) == len(buffer.getvalue())
    assert 4 * 10_100 < ME.model_bytes(model) < 4 * 10_100 + 4096  # float32 payload plus a small archive


# -- latency ----------------------------------------------------------------------------
class Probe(nn.Module):
    """Records, at every forward call, the threads, the inference mode and its training flag."""

    def __init__(self):
        super().__init__()
        self.lin = nn.Linear(8, 2)
        self.calls = []

    def forward(self, x):
        self.calls.append((torch.get_num_threads(), torch.is_inference_mode_enabled(), self.training, x.shape))
        return self.lin(x)


def test_latency_protocol():
    model, before = Probe().train(), torch.get_num_threads()
    out = ME.latency(model, (8,), batch_size=5, repeats=7, warmup=2, threads=2)
    assert len(model.calls) == 9 and len(out.times) == 7  # warm-up run, not counted
    assert all(c == (2, True, False, (5, 8)) for c in model.calls)
    assert torch.get_num_threads() == before and model.training
    assert out.q1 <= out.median <= out.q3 and min(out.times) <= out.q1 and out.q3 <= max(out.times)
    assert out.batch_size == 5 and out.threads == 2 and out.spread >= 0


def test_latency_summary_of_known_times():
    s = ME.Latency.from_times([4.0, 1.0, 3.0, 2.0, 5.0], batch_size=1, threads=1)
    assert (s.median, s.q1, s.q3) == (3.0, 2.0, 4.0)
    assert s.spread == pytest.approx(2 / 3)
    with pytest.raises(ValueError, match="times"):
        ME.Latency.from_times([], 1, 1)


def test_latency_restores_threads_after_an_error():
    class Broken(nn.Module):
        def forward(self, x):
            raise RuntimeError("boom")

    before = torch.get_num_threads()
    with pytest.raises(RuntimeError, match="boom"):
        ME.latency(Broken(), (3,), threads=before + 1)
    assert torch.get_num_threads() == before


@pytest.mark.parametrize(
    "kwargs, name",
    [
        ({"batch_size": 0}, "batch_size"),
        ({"repeats": 0}, "repeats"),
        ({"warmup": -1}, "warmup"),
        ({"threads": 0}, "threads"),
    ],
)
def test_latency_rejects_bad_arguments(kwargs, name):
    with pytest.raises(ValueError, match=name):
        ME.latency(nn.Linear(3, 2), (3,), **kwargs)
