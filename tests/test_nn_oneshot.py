"""Tests of pruning_lab.nn.oneshot (calibration Hessians by hooks, sequential one-shot pruning) and of the
N:M masks of pruning_lab.nn.masks."""

import copy

import numpy as np
import pytest

torch = pytest.importorskip("torch")
from torch import nn
from torch.nn import functional as F

from pruning_lab import layerwise as lw
from pruning_lab.nn import masks as M
from pruning_lab.nn import oneshot as O


def mlp(seed=0):
    torch.manual_seed(seed)
    return nn.Sequential(nn.Linear(12, 16), nn.ReLU(), nn.Linear(16, 8), nn.ReLU(), nn.Linear(8, 4))


def convnet(seed=0):
    torch.manual_seed(seed)
    return nn.Sequential(nn.Conv2d(4, 4, 3, padding=1, stride=2), nn.ReLU(), nn.Flatten(), nn.Linear(4 * 4 * 4, 8))


def test_calibration_hessians_are_the_gram_matrices_of_the_layer_inputs():
    model, X = mlp(), torch.randn(50, 12)
    stats = O.calibration_hessians(model, X, batch_size=7)
    h1 = torch.relu(model[0](X))
    for name, inp in (("0", X), ("2", h1), ("4", torch.relu(model[2](h1)))):
        x = inp.detach().double().numpy()
        np.testing.assert_allclose(stats[name].hessian, x.T @ x / 50, rtol=1e-6, atol=1e-9)  # float32 layers
        assert stats[name].samples == 50


def test_conv_hessian_uses_the_unfolded_patches():
    model, X = convnet(), torch.randn(5, 4, 8, 8)
    st = O.calibration_hessians(model, X, ["0"])["0"]
    conv = model[0]
    patches = F.unfold(X, 3, padding=1, stride=2).transpose(1, 2).reshape(-1, 36).double()
    assert st.samples == 5 * 16
    np.testing.assert_allclose(st.hessian, (patches.T @ patches / 80).numpy(), rtol=1e-10)
    # the flattened weight times the patches is the convolution (the layout the pruner assumes)
    out = patches.float() @ conv.weight.reshape(4, -1).T + conv.bias
    np.testing.assert_allclose(
        out.reshape(5, 16, 4).transpose(1, 2).reshape(5, 4, 4, 4).detach(), conv(X).detach(), atol=1e-5
    )


@pytest.mark.parametrize("strategy", ["magnitude", "wanda", "sparsegpt", "obs"])
def test_reported_error_is_the_output_error_on_the_calibration_data(strategy):
    model, X = mlp(1), torch.randn(64, 12)
    dense = copy.deepcopy(model)
    res = O.oneshot_prune(model, X, strategy, sparsity=0.5, sequential=False)
    with torch.no_grad():
        y0, y1 = dense[0](X), model[0](X)
        rel = ((y1 - y0) ** 2).sum() / ((y0 - dense[0].bias) ** 2).sum()
    assert res.errors["0"] == pytest.approx(float(rel), rel=1e-4)
    assert res.order == ("0", "2", "4")
    for name, mask in res.masks.items():
        weight = dict(model.named_parameters())[name]
        assert (weight[~mask] == 0).all()
        assert (mask.reshape(mask.shape[0], -1).sum(1) == mask[0].numel() // 2).all()


def test_sequential_calibrates_on_the_pruned_model():
    model, X = mlp(2), torch.randn(40, 12)
    seq = copy.deepcopy(model)
    O.oneshot_prune(seq, X, "wanda", sparsity=0.6, layers=["0"])  # first layer only
    h_after = O.calibration_hessians(seq, X, ["2"])["2"].hessian
    # pruning layer 2 sequentially uses the inputs of the pruned first layer
    both = copy.deepcopy(model)
    res = O.oneshot_prune(both, X, "wanda", sparsity=0.6, layers=["0", "2"])
    expected = lw.prune_layer(model[2].weight.detach().double().numpy(), h_after, "wanda", sparsity=0.6).mask
    assert np.array_equal(res.masks["2.weight"].numpy(), expected)
    nonseq = copy.deepcopy(model)
    res2 = O.oneshot_prune(nonseq, X, "sparsegpt", sparsity=0.6, sequential=False)
    res1 = O.oneshot_prune(copy.deepcopy(model), X, "sparsegpt", sparsity=0.6)
    assert torch.equal(res1.masks["0.weight"], res2.masks["0.weight"])
    assert res1.errors["2"] != res2.errors["2"]


def test_masks_work_with_torch_prune_and_n_m_on_convolutions():
    model, X = convnet(3), torch.randn(6, 4, 8, 8)
    res = O.oneshot_prune(model, X, "sparsegpt", pattern="2:4")
    for mask in res.masks.values():
        assert (mask.reshape(mask.shape[0], -1, 4).sum(-1) == 2).all()
    pruned = M.apply_masks(copy.deepcopy(model), res.masks)
    assert torch.allclose(pruned(X), model(X))


class Unused(nn.Module):
    """A model with a layer its forward pass never calls."""

    def __init__(self):
        super().__init__()
        self.used, self.spare = nn.Linear(12, 4), nn.Linear(3, 3)

    def forward(self, x):
        return self.used(x)


def test_bad_inputs_are_named():
    model = mlp()
    X = torch.randn(10, 12)
    unused = Unused()
    with pytest.raises(ValueError, match="never reached"):
        O.oneshot_prune(unused, X, "wanda", sparsity=0.5)
    with pytest.raises(ValueError, match="never reached"):
        O.calibration_hessians(unused, X)
    O.oneshot_prune(mlp(), X, "wanda", pattern="4:8", layers=["4"])  # 8 inputs: fine
    with pytest.raises(ValueError, match="not divisible"):
        O.oneshot_prune(mlp(), X, "wanda", pattern="2:5")
    with pytest.raises(ValueError, match="sparsity"):
        O.oneshot_prune(model, X, "wanda", sparsity=-0.1)
    with pytest.raises(ValueError, match="strategy"):
        O.oneshot_prune(model, X, "snip", sparsity=0.5)
    with pytest.raises(ValueError, match="no module named"):
        O.oneshot_prune(model, X, "wanda", sparsity=0.5, layers=["fc9"])
    with pytest.raises(TypeError, match="torch.Tensor"):
        O.oneshot_prune(model, X.numpy(), "wanda", sparsity=0.5)
    with pytest.raises(ValueError, match="empty"):
        O.oneshot_prune(model, X[:0], "wanda", sparsity=0.5)
    with pytest.raises(ValueError, match="singular"):
        O.oneshot_prune(model, torch.zeros(10, 12) + 1.0, "sparsegpt", sparsity=0.5, damp=0.0)
    torch_pruned = M.apply_masks(mlp(), M.strategy_masks(mlp(), "global", sparsity=0.5))
    with pytest.raises(ValueError, match="prune.remove"):
        O.oneshot_prune(torch_pruned, X, "wanda", sparsity=0.5)


def test_n_m_masks_of_the_magnitude_and_random_strategies():
    model = mlp(4)
    for strategy in ("global", "layerwise", "random"):
        masks = M.strategy_masks(model, strategy, pattern="2:4", seed=1)
        for name, mask in masks.items():
            groups = mask.reshape(mask.shape[0], -1, 4)
            assert (groups.sum(-1) == 2).all()
            if strategy != "random":
                w = dict(model.named_parameters())[name].detach().abs().reshape(groups.shape)
                kept = torch.where(groups, w, torch.inf).amin(-1)
                dropped = torch.where(~groups, w, -torch.inf).amax(-1)
                assert (kept >= dropped).all()
    a, b = M.strategy_masks(model, "global", pattern="2:4"), M.strategy_masks(model, "layerwise", pattern="2:4")
    assert a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a)
    with pytest.raises(ValueError, match="neither sparsity nor keep"):
        M.strategy_masks(model, "global", pattern="2:4", sparsity=0.5)
    with pytest.raises(ValueError, match="not divisible"):
        M.nm_masks(nn.Sequential(nn.Linear(6, 2)), "4:8")


class SharedInput(nn.Module):
    """Three layers reading the same tensor (as query, key and value do), then one more."""

    def __init__(self):
        super().__init__()
        torch.manual_seed(5)
        self.q, self.k, self.v, self.out = nn.Linear(8, 8), nn.Linear(8, 8), nn.Linear(8, 8), nn.Linear(8, 4)

    def forward(self, x):
        return self.out(torch.tanh(self.q(x)) * self.k(x) + self.v(x))


def test_layers_reading_one_tensor_are_calibrated_in_one_pass_with_the_same_result():
    X = torch.randn(30, 8)
    model = SharedInput()
    calls = []
    model.register_forward_pre_hook(lambda m, a: calls.append(1))
    res = O.oneshot_prune(model, X, "sparsegpt", sparsity=0.5, batch_size=30)
    assert res.order == ("q", "k", "v", "out")
    assert len(calls) == 1 + 2  # the order pass, the (q, k, v) pass, the pass for `out`
    one_by_one = SharedInput()
    for name in ("q", "k", "v", "out"):
        O.oneshot_prune(one_by_one, X, "sparsegpt", sparsity=0.5, layers=[name])
    for name, param in model.named_parameters():
        assert torch.equal(param, dict(one_by_one.named_parameters())[name])
