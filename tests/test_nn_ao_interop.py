"""Tests of pruning_lab.nn.ao_interop: masks through torch.ao.pruning parametrizations and back, and 2:4."""

import copy

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from torch.ao.pruning import WeightNormSparsifier

from pruning_lab.layerwise import select_mask
from pruning_lab.nn import masks as M
from pruning_lab.nn.ao_interop import masks_from_sparsifier, masks_to_sparsifier
from pruning_lab.nn.models import MLP


def tiny(seed=0):
    torch.manual_seed(seed)
    return MLP(16, [24, 12], 4)


def test_round_trip_and_the_forward_pass_uses_our_masks():
    model = tiny()
    masks = M.global_magnitude_masks(model, sparsity=0.6)
    reference = copy.deepcopy(model)
    M.apply_masks(reference, masks)
    sparsifier = masks_to_sparsifier(model, masks)
    assert isinstance(sparsifier, WeightNormSparsifier) and len(sparsifier.groups) == 3
    back = masks_from_sparsifier(model)
    assert set(back) == set(masks)
    for name in masks:
        assert back[name].dtype == torch.bool and torch.equal(back[name], masks[name])
    x = torch.randn(5, 16)
    with torch.no_grad():
        torch.testing.assert_close(model(x), reference(x), rtol=0, atol=0)
    assert torch.equal(model[0].weight, model[0].parametrizations.weight.original * masks["0.weight"])
    sparsifier.squash_mask()  # torch folds our masks into plain weights
    assert masks_from_sparsifier(model) == {}
    for name, w in M.prunable_parameters(model).items():
        assert torch.all(w[~masks[name]] == 0)


def test_a_subset_of_layers_and_an_unprepared_model():
    model = tiny()
    assert masks_from_sparsifier(model) == {}
    mask = M.layerwise_magnitude_masks(model, sparsity=0.25)["2.weight"]
    masks_to_sparsifier(model, {"2.weight": mask})
    assert list(masks_from_sparsifier(model)) == ["2.weight"]


def test_weight_norm_sparsifier_2_to_4_blocks_run_along_the_inputs():
    model = tiny()
    dense = {n: w.detach().clone() for n, w in M.prunable_parameters(model).items()}
    # block shape (rows, cols) = (outputs, inputs) of an nn.Linear weight: 1 output x 4 inputs
    sparsifier = WeightNormSparsifier(sparsity_level=1.0, sparse_block_shape=(1, 4), zeros_per_block=2)
    sparsifier.prepare(model, [{"tensor_fqn": n} for n in dense])
    sparsifier.step()
    masks = masks_from_sparsifier(model)
    assert set(masks) == set(dense)
    for name, mask in masks.items():
        groups = mask.reshape(mask.shape[0], -1, 4)
        assert torch.all(groups.sum(-1) == 2)  # 2 kept in each group of 4 consecutive inputs
        expected = select_mask(np.abs(dense[name].double().numpy()), pattern="2:4")
        np.testing.assert_array_equal(mask.numpy(), expected)  # the 2 largest |w| of each group
    # the same masks as the package's own 2:4 magnitude masks (no ties in random weights)
    ours = M.nm_masks(tiny(), "2:4")
    assert all(torch.equal(ours[n], masks[n]) for n in masks)
    # and they go back into a fresh sparsifier unchanged
    again = tiny()
    masks_to_sparsifier(again, masks)
    assert all(torch.equal(masks_from_sparsifier(again)[n], masks[n]) for n in masks)


@pytest.mark.parametrize(
    "call",
    [
        lambda m, k: masks_to_sparsifier("model", k),
        lambda m, k: masks_to_sparsifier(m, {}),
        lambda m, k: masks_to_sparsifier(m, {"nope.weight": k["0.weight"]}),
        lambda m, k: masks_to_sparsifier(m, {"0.weight": k["2.weight"]}),
        lambda m, k: masks_to_sparsifier(m, {"0.weight": k["0.weight"].float() * 2}),
        lambda m, k: masks_to_sparsifier(m, k, sparsifier="weight norm"),
        lambda m, k: masks_from_sparsifier([m]),
    ],
)
def test_bad_input_raises(call):
    model = tiny()
    with pytest.raises(ValueError):
        call(model, M.global_magnitude_masks(model, sparsity=0.5))


def test_refuses_a_torch_pruned_or_already_prepared_model_and_a_used_sparsifier():
    model = tiny()
    masks = M.global_magnitude_masks(model, sparsity=0.5)
    with pytest.raises(ValueError, match="prune"):
        masks_to_sparsifier(M.apply_masks(tiny(), masks), masks)
    sparsifier = masks_to_sparsifier(model, masks)
    with pytest.raises(ValueError, match="parametrized"):
        masks_to_sparsifier(model, masks)
    with pytest.raises(ValueError, match="prepared"):
        masks_to_sparsifier(tiny(), masks, sparsifier)


def test_a_sparsity_level_below_one_keeps_whole_blocks_dense():
    model = tiny()
    sparsifier = WeightNormSparsifier(sparsity_level=0.5, sparse_block_shape=(1, 4), zeros_per_block=2)
    sparsifier.prepare(model, [{"tensor_fqn": "0.weight"}])
    sparsifier.step()
    groups = masks_from_sparsifier(model)["0.weight"].reshape(24, -1, 4).sum(-1)
    assert set(groups.flatten().tolist()) == {2, 4}
    assert int((groups == 4).sum()) == groups.numel() - round(0.5 * groups.numel())
