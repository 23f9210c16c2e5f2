"""Tests of pruning_lab.nn.models, pruning_lab.nn.train and pruning_lab.nn.pipeline."""

import copy

import numpy as np
import pytest
import torch

from pruning_lab.data import Dataset
from pruning_lab.nn import masks
from pruning_lab.nn.models import MLP
from pruning_lab.nn.pipeline import mask_sweep
from pruning_lab.nn.train import accuracy, train_classifier


def blobs(n=300, d=20, k=3, seed=0):
    """Well separated Gaussian blobs: a classifier must reach high accuracy on them."""
    rng = np.random.default_rng(seed)
    centers = 3.0 * rng.standard_normal((k, d))
    y = rng.integers(0, k, size=n)
    X = centers[y] + rng.standard_normal((n, d))
    return X.astype(np.float32), y


@pytest.fixture(scope="module")
def data():
    X, y = blobs(600)
    return Dataset(X[:400], y[:400], X[400:], y[400:], name="blobs")


def test_mlp_parameter_count_matches_formula():
    net = MLP(784, [300, 100], 10)
    weights = 784 * 300 + 300 * 100 + 100 * 10
    biases = 300 + 100 + 10
    assert sum(p.numel() for p in net.parameters()) == weights + biases
    assert [n for n, _ in net.named_parameters() if n.endswith("weight")] == ["0.weight", "2.weight", "4.weight"]


def test_mlp_rejects_bad_widths():
    with pytest.raises(ValueError, match="positive integers"):
        MLP(10, [0], 2)


def test_training_learns_and_is_reproducible(data):
    def run():
        torch.manual_seed(0)
        net = MLP(20, [32], 3)
        hist = train_classifier(net, data.X_train, data.y_train, epochs=5, lr=0.05, seed=3)
        return net, hist

    net_a, hist_a = run()
    net_b, hist_b = run()
    assert hist_a[-1] < hist_a[0]
    assert accuracy(net_a, data.X_test, data.y_test) > 0.95
    assert hist_a == hist_b
    for pa, pb in zip(net_a.parameters(), net_b.parameters()):
        assert torch.equal(pa, pb)


def test_pruned_weights_stay_zero_through_training_with_momentum_and_weight_decay(data):
    torch.manual_seed(1)
    net = MLP(20, [32, 16], 3)
    m = masks.global_magnitude_masks(net, sparsity=0.7)
    masks.apply_masks(net, m)
    train_classifier(net, data.X_train, data.y_train, epochs=3, lr=0.1, momentum=0.9, weight_decay=1e-3, seed=0)
    for name, mask in m.items():
        module = net.get_submodule(name.rsplit(".", 1)[0])
        assert torch.all(module.weight[~mask] == 0)
        assert torch.any(module.weight[mask] != 0)


def test_training_rejects_bad_inputs(data):
    net = MLP(20, [8], 3)
    with pytest.raises(ValueError, match="must match"):
        train_classifier(net, data.X_train, data.y_train[:-1])
    with pytest.raises(ValueError, match="learning rate"):
        train_classifier(net, data.X_train, data.y_train, lr=0.0)
    bad = data.X_train.copy()
    bad[0, 0] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        train_classifier(net, bad, data.y_train)


def test_mask_sweep(data):
    torch.manual_seed(0)
    net = MLP(20, [32], 3)
    train_classifier(net, data.X_train, data.y_train, epochs=5, lr=0.05, seed=0)
    before = copy.deepcopy(net.state_dict())
    sweep = mask_sweep(net, data, [0.0, 0.5, 0.99], retrain_epochs=1, seed=0)
    # The trained model itself is not modified.
    for k, v in net.state_dict().items():
        assert torch.equal(v, before[k])
    # Removing nothing leaves the dense accuracy.
    for scope in ("global", "layerwise", "random"):
        assert sweep.accuracy[(scope, False)][0] == sweep.dense_accuracy
    # Per-layer kept fractions reflect the requested sparsity.
    total = {k: v for k, v in zip(sweep.layer_names, [20 * 32, 32 * 3])}
    kept = sum(sweep.kept_fraction["global"][1][k] * total[k] for k in total)
    assert kept == pytest.approx(0.5 * sum(total.values()), abs=1)
    # Global magnitude pruning of half the weights keeps the classifier accurate.
    assert sweep.accuracy[("global", False)][1] > 0.9
    with pytest.raises(ValueError, match="fractions"):
        mask_sweep(net, data, [1.5])
    with pytest.raises(ValueError, match="unknown mask scope"):
        mask_sweep(net, data, [0.5], scopes=("magic",))
