"""Tests of pruning_lab.nn.sparse_linear: the CSR layer equals the dense masked layer, and the automatic
conversion keeps the outputs and converts exactly the layers whose measured speed-up exceeds the threshold."""

import copy
import io

import pytest

torch = pytest.importorskip("torch")
from torch import nn

from pruning_lab.nn import measure as ME
from pruning_lab.nn import sparse_linear as SL
from pruning_lab.nn.masks import apply_masks, random_masks
from pruning_lab.nn.models import MLP


def masked_linear(d_in, d_out, sparsity, seed=0, bias=True):
    gen = torch.Generator().manual_seed(seed)
    layer = nn.Linear(d_in, d_out, bias=bias)
    with torch.no_grad():
        layer.weight.normal_(generator=gen)
        layer.weight.mul_(torch.rand(layer.weight.shape, generator=gen) >= sparsity)
        if bias:
            layer.bias.normal_(generator=gen)
    return layer


@pytest.mark.parametrize("sparsity", [0.0, 0.5, 0.9, 0.99])
@pytest.mark.parametrize("batch", [1, 64])
def test_sparse_layer_equals_the_dense_masked_layer(sparsity, batch):
    dense = masked_linear(300, 200, sparsity)
    sparse = SL.SparseLinear(dense)
    x = torch.randn(batch, 300, generator=torch.Generator().manual_seed(1))
    with torch.inference_mode():
        torch.testing.assert_close(sparse(x), dense(x), rtol=1e-5, atol=1e-5)
    assert sparse.nnz == int(torch.count_nonzero(dense.weight))
    assert sparse.crow_indices.dtype == torch.int32
    torch.testing.assert_close(sparse.weight.to_dense(), dense.weight.detach())


def test_sparse_layer_without_bias_and_with_extra_dimensions():
    dense = masked_linear(40, 30, 0.8, bias=False)
    sparse = SL.SparseLinear(dense)
    for x in [torch.randn(40), torch.randn(2, 5, 40), torch.randn(1, 1, 40)]:
        with torch.inference_mode():
            torch.testing.assert_close(sparse(x), dense(x), rtol=1e-5, atol=1e-5)
    with pytest.raises(ValueError, match="40 features"):
        sparse(torch.randn(3, 41))
    with pytest.raises(TypeError, match="linear"):
        SL.SparseLinear(nn.Conv2d(1, 1, 1))


def test_sparse_layer_from_a_layer_pruned_by_torch_copies_and_saves():
    torch.manual_seed(0)
    layer = nn.Linear(50, 20)
    apply_masks(layer, random_masks(layer, 0.9, torch.Generator().manual_seed(0)))
    sparse = SL.SparseLinear(layer)
    assert sparse.nnz == int(torch.count_nonzero(layer.weight_mask)) == 100
    x = torch.randn(7, 50)
    with torch.no_grad():
        torch.testing.assert_close(sparse(x), layer(x), rtol=1e-5, atol=1e-5)
    clone = copy.deepcopy(sparse)
    buffer = io.BytesIO()
    torch.save(sparse.state_dict(), buffer)
    buffer.seek(0)
    clone.load_state_dict(torch.load(buffer))
    torch.testing.assert_close(clone(x), sparse(x))
    # the measures see the layer: its dense size, its nonzeros, and far fewer bytes than the dense layer
    assert ME.count_params(sparse) == 50 * 20 + 20 and ME.count_params(sparse, nonzero=True) == 100 + 20
    assert ME.macs(sparse, (50,)) == (1000, {"": 1000})
    assert ME.macs(sparse, (50,), nonzero=True)[0] == 100
    big = masked_linear(500, 500, 0.95)
    assert ME.model_bytes(SL.SparseLinear(big)) < ME.model_bytes(big) / 4


def mlp_with_one_sparse_and_one_dense_layer():
    torch.manual_seed(0)
    model = MLP(64, [64], 8)  # layers "0" (64x64) and "2" (8x64)
    with torch.no_grad():
        model[0].weight.mul_(torch.rand(64, 64) >= 0.95)
    return model


def fake_timer(dense, sparse, in_features, batch):
    """Deterministic times: the sparse path takes its fraction of nonzeros of the dense time, plus 10 %."""
    density = sparse.nnz / (dense.in_features * dense.out_features)
    return 1.0, density + 0.1


def test_sparsify_converts_exactly_the_layers_measured_faster():
    model = mlp_with_one_sparse_and_one_dense_layer()
    new, report = SL.sparsify_linears(model, batch_size=1, timer=fake_timer)
    assert [r.name for r in report] == ["0", "2"]
    assert [r.converted for r in report] == [True, False]
    assert isinstance(new[0], SL.SparseLinear) and type(new[2]) is nn.Linear
    assert type(model[0]) is nn.Linear  # the original is untouched
    assert report[0].sparsity == pytest.approx(1 - new[0].nnz / 4096) and report[1].sparsity == 0
    assert report[0].speedup == pytest.approx(1 / (new[0].nnz / 4096 + 0.1)) and report[1].speedup < 1
    x = torch.randn(5, 64)
    with torch.inference_mode():
        torch.testing.assert_close(new(x), model(x), rtol=1e-5, atol=1e-5)


def test_sparsify_never_converts_a_dense_layer_when_sparse_is_slower():
    layer = masked_linear(32, 32, 0.0)
    new, report = SL.sparsify_linears(nn.Sequential(layer), timer=lambda d, s, n, b: (1.0, 1.3))
    assert report[0].sparsity == 0 and not report[0].converted and type(new[0]) is nn.Linear
    # the threshold is strict: a speed-up of exactly min_speedup does not convert
    _, report = SL.sparsify_linears(nn.Sequential(layer), min_speedup=1.25, timer=lambda d, s, n, b: (1.25, 1.0))
    assert not report[0].converted
    new, report = SL.sparsify_linears(layer, min_speedup=1.25, timer=lambda d, s, n, b: (1.3, 1.0))
    assert report[0].converted and isinstance(new, SL.SparseLinear)  # a bare linear layer is replaced whole


def test_sparsify_times_a_pruned_layer_without_its_hook():
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(16, 16))
    apply_masks(model, random_masks(model, 0.75, torch.Generator().manual_seed(0)))
    seen = []

    def timer(dense, sparse, in_features, batch):
        seen.append((type(dense), len(dense._forward_pre_hooks), in_features, batch))
        return 1.0, 0.5

    new, report = SL.sparsify_linears(model, batch_size=3, timer=timer)
    assert seen == [(nn.Linear, 0, 16, 3)] and report[0].converted and new[0].nnz == 64
    x = torch.randn(4, 16)
    with torch.no_grad():
        torch.testing.assert_close(new(x), model(x), rtol=1e-5, atol=1e-5)


def test_sparsify_real_timing_smoke():
    model = mlp_with_one_sparse_and_one_dense_layer()
    new, report = SL.sparsify_linears(model, batch_size=1, repeats=3)
    assert len(report) == 2
    for r in report:
        assert r.dense_seconds > 0 and r.sparse_seconds > 0
        assert r.converted == (r.dense_seconds > 1.05 * r.sparse_seconds)
        assert isinstance(new.get_submodule(r.name), SL.SparseLinear) == r.converted
    x = torch.randn(1, 64)
    with torch.inference_mode():
        torch.testing.assert_close(new(x), model(x), rtol=1e-5, atol=1e-5)


def test_sparsify_rejects_bad_arguments():
    model = mlp_with_one_sparse_and_one_dense_layer()
    with pytest.raises(ValueError, match="min_speedup"):
        SL.sparsify_linears(model, min_speedup=0.9)
    with pytest.raises(ValueError, match="batch_size"):
        SL.sparsify_linears(model, batch_size=0)
    with pytest.raises(TypeError, match="timer"):
        SL.sparsify_linears(model, timer=3)
    with pytest.raises(TypeError, match="model"):
        SL.sparsify_linears([model])


def test_break_even_table_rows():
    rows = SL.break_even_table([(32, 48)], [0.5, 0.9], [1, 4], repeats=2)
    assert [(r.shape, r.sparsity, r.batch_size) for r in rows] == [
        ((32, 48), 0.5, 1),
        ((32, 48), 0.5, 4),
        ((32, 48), 0.9, 1),
        ((32, 48), 0.9, 4),
    ]
    assert all(r.dense_seconds > 0 and r.sparse_seconds > 0 for r in rows)
    assert rows[0].ratio == pytest.approx(rows[0].dense_seconds / rows[0].sparse_seconds)
    for r in rows:  # every timed pass is kept, and the medians are theirs
        assert len(r.dense_times) == len(r.sparse_times) == 2 and r.threads == 1
        assert r.dense_latency().median == r.dense_seconds and r.sparse_latency().median == r.sparse_seconds
        assert r.dense_latency().q1 <= r.dense_seconds <= r.dense_latency().q3


@pytest.mark.parametrize(
    "args, match",
    [
        (([(32,)], [0.5], [1]), "shapes"),
        (([(32, 0)], [0.5], [1]), "shapes"),
        (([32], [0.5], [1]), "shapes"),
        (([], [0.5], [1]), "shapes"),
        (([(32, 32)], [1.0], [1]), "sparsity"),
        (([(32, 32)], [0.5], [0]), "batch size"),
        (([(32, 32)], [], [1]), "sparsities"),
    ],
)
def test_break_even_table_rejects_bad_arguments(args, match):
    with pytest.raises(ValueError, match=match):
        SL.break_even_table(*args, repeats=1)


def test_float64_layers_are_measured_in_their_dtype():
    dense = masked_linear(20, 10, 0.9, bias=False).double()
    sparse = SL.SparseLinear(dense)
    assert ME.macs(sparse, (20,), nonzero=True)[0] == sparse.nnz
    assert len(ME.latency(sparse, (20,), repeats=2).times) == 2  # a float32 input would fail in the CSR product
