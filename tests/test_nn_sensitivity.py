"""Tests of pruning_lab.nn.sensitivity: the scan prunes one layer alone; the allocation meets the total."""

import copy

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from pruning_lab.nn import masks as M
from pruning_lab.nn.models import MLP
from pruning_lab.nn.sensitivity import (
    SensitivityRow,
    allocate_from_sensitivity,
    masks_from_allocation,
    sensitivity_scan,
)

GRID = [0.25, 0.5, 0.75, 0.9]


def tiny(seed=0):
    torch.manual_seed(seed)
    return MLP(8, [16, 12], 4)


def first_layer_distance(reference):
    """A metric that sees only the first layer: minus its distance to the reference weights."""
    w0 = reference[0].weight.detach().clone()
    return lambda m: -float(torch.linalg.norm(m[0].weight - w0))


def test_scan_prunes_each_layer_alone_by_magnitude():
    model = tiny()
    state = copy.deepcopy(model.state_dict())
    seen = []

    def evaluate(m):
        seen.append({n: int((w == 0).sum()) for n, w in M.prunable_parameters(m).items()})
        return 0.0

    rows = sensitivity_scan(model, evaluate, GRID, layers=["0.weight", "4.weight"])
    assert all(torch.equal(v, state[k]) for k, v in model.state_dict().items())  # model untouched
    assert [(r.layer, r.sparsity) for r in rows] == [(n, s) for n in ("0.weight", "4.weight") for s in [0.0, *GRID]]
    assert len(seen) == 1 + 2 * len(GRID)  # the dense model once
    sizes = {"0.weight": 128, "2.weight": 192, "4.weight": 48}
    for row, zeros in zip([r for r in rows if r.sparsity > 0], seen[1:], strict=True):
        assert row.size == sizes[row.layer]
        for name, z in zeros.items():
            assert z == (round(row.sparsity * sizes[name]) if name == row.layer else 0)


def test_scan_metric_of_a_pruned_layer_equals_its_magnitude_error():
    model = tiny()
    rows = sensitivity_scan(model, first_layer_distance(model), [0.5])
    w = model[0].weight.detach().abs().flatten().sort().values
    expected = -float(torch.linalg.norm(w[: round(0.5 * w.numel())]))
    got = {(r.layer, r.sparsity): r.metric for r in rows}
    assert got[("0.weight", 0.5)] == pytest.approx(expected, rel=1e-6)
    assert got[("2.weight", 0.5)] == 0.0 and got[("4.weight", 0.5)] == 0.0


def synthetic_rows():
    grid = [0.0, 0.25, 0.5, 0.75, 0.9]
    drops = {"a": [0, 0.01, 0.05, 0.2, 0.5], "b": [0, 0.0, 0.0, 0.0, 0.0], "c": [0, 0.002, 0.01, 0.04, 0.1]}
    return [SensitivityRow(k, 100, s, 0.9 - d) for k, ds in drops.items() for s, d in zip(grid, ds, strict=True)]


@pytest.mark.parametrize("total", [0.0, 0.1, 0.4, 0.5, 0.6, 0.77, 0.9])
def test_allocation_meets_the_total_and_prunes_the_insensitive_layer_most(total):
    sizes = {"a": 300, "b": 77, "c": 1000}
    rows = [SensitivityRow(r.layer, sizes[r.layer], r.sparsity, r.metric) for r in synthetic_rows()]
    alloc = allocate_from_sensitivity(rows, sizes, total)
    removed = sum(round(alloc[k] * n) for k, n in sizes.items())
    assert removed == round(total * sum(sizes.values()))
    assert all(0 <= s <= 0.9 for s in alloc.values())
    if total > 0:
        assert alloc["b"] >= max(alloc.values()) - 1 / 77  # metric never moves: the most pruned (to rounding)
        assert alloc["c"] >= alloc["a"] - 1 / 300  # c tolerates more than a
    assert allocate_from_sensitivity(rows, sizes, total) == alloc  # deterministic


def test_allocation_common_threshold_by_hand():
    # one layer's drop is linear 0 -> 0.4 on [0, 0.8]; the other 0 -> 0.1: at tau the sparsities
    # are 2 tau and 8 tau; equal sizes and total 0.25 give 10 tau = 0.5: tau = 0.05 -> (0.1, 0.4)
    rows = [
        SensitivityRow("x", 1000, 0.0, 1.0),
        SensitivityRow("x", 1000, 0.8, 0.6),
        SensitivityRow("y", 1000, 0.0, 1.0),
        SensitivityRow("y", 1000, 0.8, 0.9),
    ]
    alloc = allocate_from_sensitivity(rows, {"x": 1000, "y": 1000}, 0.25)
    assert alloc == {"x": 0.1, "y": 0.4}


def test_allocation_to_masks_on_a_real_scan():
    model = tiny()
    rows = sensitivity_scan(model, first_layer_distance(model), GRID)
    sizes = {n: w.numel() for n, w in M.prunable_parameters(model).items()}
    alloc = allocate_from_sensitivity(rows, sizes, 0.5)
    # the metric sees only the first layer: the two others share the pruning (to one weight's rounding)
    assert alloc["0.weight"] < 0.01 < min(alloc["2.weight"], alloc["4.weight"])
    assert abs(alloc["2.weight"] - alloc["4.weight"]) <= 1 / 48
    masks = masks_from_allocation(model, alloc)
    per_layer, kept = M.count_kept(masks)
    total = sum(sizes.values())
    assert kept == total - round(0.5 * total)
    for name, n in sizes.items():
        assert per_layer[name] == n - round(alloc[name] * n)
    layer = M.layerwise_magnitude_masks(model, sparsity=alloc["2.weight"])["2.weight"]
    assert torch.equal(masks["2.weight"], layer)


@pytest.mark.parametrize(
    "call",
    [
        lambda m: sensitivity_scan(m, "not callable", [0.5]),
        lambda m: sensitivity_scan(m, lambda _: 0.0, [1.5]),
        lambda m: sensitivity_scan(m, lambda _: 0.0, []),
        lambda m: sensitivity_scan(m, lambda _: 0.0, [0.5], layers=["nope.weight"]),
        lambda m: sensitivity_scan(m, lambda _: 0.0, [0.5], layers=3),
        lambda m: sensitivity_scan(m, lambda _: 0.0, [0.5], layers="0.weight"),
        lambda m: allocate_from_sensitivity(synthetic_rows(), {"a": 100, "b": 100, "c": 100}, 0.95),
        lambda m: allocate_from_sensitivity(synthetic_rows(), {"a": 100, "z": 100}, 0.2),
        lambda m: allocate_from_sensitivity(synthetic_rows(), {"a": 0}, 0.2),
        lambda m: allocate_from_sensitivity(synthetic_rows(), {"a": 100}, 0.2, tolerance=0),
        lambda m: allocate_from_sensitivity([("a", 0.0, 1.0)], {"a": 100}, 0.2),
        lambda m: masks_from_allocation(m, {"nope.weight": 0.5}),
        lambda m: masks_from_allocation(m, {"0.weight": 1.5}),
    ],
)
def test_bad_input_raises(call):
    with pytest.raises(ValueError):
        call(tiny())


def test_a_rows_metric_that_is_not_finite_is_refused():
    rows = [SensitivityRow("a", 10, 0.0, 1.0), SensitivityRow("a", 10, 0.5, np.nan)]
    with pytest.raises(ValueError, match="finite"):
        allocate_from_sensitivity(rows, {"a": 10}, 0.2)
