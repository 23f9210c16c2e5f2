"""Tests of pruning_lab.nn.batchnorm: BatchNorm statistics re-estimated without training.

* after recalibration the running mean and variance of a BatchNorm layer equal the
  average over the minibatches of the batch statistics of its inputs (computed here
  by hand from the layer below), whatever the stored statistics were;
* no weight, bias or affine parameter changes; mode and momentum are restored;
* a model without BatchNorm is returned unchanged; bad input raises.
"""

import pytest

torch = pytest.importorskip("torch")

from torch import nn

from pruning_lab.nn.batchnorm import has_batchnorm, recalibrate_batchnorm


def net():
    torch.manual_seed(0)
    return nn.Sequential(nn.Linear(5, 4), nn.BatchNorm1d(4), nn.ReLU(), nn.Linear(4, 3))


def test_recalibrated_statistics_are_the_average_batch_statistics():
    model = net().eval()
    model[1].running_mean.fill_(100.0)
    model[1].running_var.fill_(1e-6)
    X = torch.randn(60, 5)
    before = {k: v.clone() for k, v in model.state_dict().items() if "running" not in k and "num_batches" not in k}
    recalibrate_batchnorm(model, X, batch_size=20)
    with torch.no_grad():
        z = model[0](X)
    batches = z.split(20)
    mean = torch.stack([b.mean(0) for b in batches]).mean(0)
    var = torch.stack([b.var(0, unbiased=True) for b in batches]).mean(0)
    assert torch.allclose(model[1].running_mean, mean, atol=1e-6)
    assert torch.allclose(model[1].running_var, var, atol=1e-6)
    after = {k: v for k, v in model.state_dict().items() if k in before}
    assert all(torch.equal(before[k], after[k]) for k in before)
    assert not model.training and model[1].momentum == 0.1


def test_without_batchnorm_and_bad_input():
    plain = nn.Sequential(nn.Linear(5, 2))
    assert not has_batchnorm(plain) and has_batchnorm(net())
    state = {k: v.clone() for k, v in plain.state_dict().items()}
    assert recalibrate_batchnorm(plain, torch.randn(4, 5)) is plain
    assert all(torch.equal(state[k], v) for k, v in plain.state_dict().items())
    with pytest.raises(TypeError, match="model"):
        has_batchnorm("net")
    with pytest.raises(ValueError, match="batch_size"):
        recalibrate_batchnorm(net(), torch.randn(4, 5), batch_size=1)
    with pytest.raises(ValueError, match="X must hold"):
        recalibrate_batchnorm(net(), torch.randn(1, 5))
