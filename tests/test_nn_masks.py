"""Tests of pruning_lab.nn.masks (and its selection engine pruning_lab.nn._kth_largest): exact counts,
agreement with torch.nn.utils.prune, round trips, the masks of a pruning strategy."""

import copy

import numpy as np
import pytest

torch = pytest.importorskip("torch")
from torch import nn
from torch.nn.utils import prune

from pruning_lab.nn import _kth_largest as K
from pruning_lab.nn import masks as M


def small_net(seed=0):
    """Conv + linear net (distinct weights), ~210k weights: above the sample size, so sampling is used."""
    torch.manual_seed(seed)
    return nn.Sequential(
        nn.Conv2d(3, 8, 3),
        nn.ReLU(),
        nn.Flatten(),
        nn.Linear(8 * 6 * 6, 400),
        nn.BatchNorm1d(400),
        nn.ReLU(),
        nn.Linear(400, 256),
        nn.ReLU(),
        nn.Linear(256, 10),
    ).eval()


def tiny_net(seed=0):
    torch.manual_seed(seed)
    return nn.Sequential(nn.Linear(6, 5), nn.ReLU(), nn.Linear(5, 3)).eval()


def weight_pairs(model):
    return [(m, "weight") for m in model.modules() if isinstance(m, M.PRUNABLE_MODULES)]


def flat(masks):
    return torch.cat([m.reshape(-1) for m in masks.values()])


def reference_top_k(model, k, include_bias=False):
    """Brute force: stable sort of all |w| (ties: earlier position first), keep the first k."""
    w = torch.cat([p.detach().abs().reshape(-1).double() for p in M.prunable_parameters(model, include_bias).values()])
    keep = torch.zeros(w.numel(), dtype=torch.bool)
    keep[torch.sort(-w, stable=True).indices[:k]] = True
    return keep


def set_few_values(model, values=(-2.0, -0.5, 0.0, 0.5, 2.0), seed=0):
    """Many ties: every weight takes one of a few values."""
    g = torch.Generator().manual_seed(seed)
    vals = torch.tensor(values)
    with torch.no_grad():
        for p in model.parameters():
            p.copy_(vals[torch.randint(len(values), p.shape, generator=g)])
    return model


X_IMG = torch.randn(4, 3, 8, 8, generator=torch.Generator().manual_seed(1))


# -- prunable parameters -------------------------------------------------------------


def test_prunable_parameters_names_and_bias():
    net = small_net()
    assert list(M.prunable_parameters(net)) == ["0.weight", "3.weight", "6.weight", "8.weight"]
    with_bias = M.prunable_parameters(net, include_bias=True)
    assert list(with_bias)[:2] == ["0.weight", "0.bias"] and len(with_bias) == 8
    assert M.prunable_parameters(net)["3.weight"] is net[3].weight


def test_prunable_parameters_of_pruned_module_keep_name_and_use_effective_weight():
    net = tiny_net()
    prune.l1_unstructured(net[0], "weight", amount=0.5)
    params = M.prunable_parameters(net)
    assert list(params) == ["0.weight", "2.weight"]
    assert torch.equal(params["0.weight"], net[0].weight_orig * net[0].weight_mask)


def test_prunable_parameters_skip_missing_bias_and_tied_weights():
    enc, dec = nn.Linear(4, 3, bias=False), nn.Linear(3, 4)
    net = nn.Sequential(enc, nn.Conv1d(2, 2, 3), dec)
    dec2 = nn.Linear(4, 3, bias=False)
    dec2.weight = enc.weight  # tied: counted once, under its first name
    net.append(dec2)
    assert list(M.prunable_parameters(net, include_bias=True)) == [
        "0.weight",
        "1.weight",
        "1.bias",
        "2.weight",
        "2.bias",
    ]
    masks = M.global_magnitude_masks(net, keep=5)
    assert M.count_kept(masks)[1] == 5 and "3.weight" not in masks


def test_model_without_prunable_weights_is_refused():
    for fn in (
        M.prunable_parameters,
        lambda m: M.global_magnitude_masks(m, sparsity=0.5),
        lambda m: M.layerwise_magnitude_masks(m, sparsity=0.5),
        lambda m: M.random_masks(m, 0.5),
    ):
        with pytest.raises(ValueError, match="no prunable weights"):
            fn(nn.Sequential(nn.ReLU(), nn.BatchNorm1d(3)))
    with pytest.raises(ValueError, match="must be a torch.nn.Module"):
        M.prunable_parameters("not a model")


# -- global magnitude ----------------------------------------------------------------


@pytest.mark.parametrize("amount", [0.0, 0.13, 0.5, 0.9, 0.999, 1.0, 1, 1234, 100000])
def test_global_masks_equal_torch_global_unstructured(amount):
    net = small_net()
    total = sum(p.numel() for p in M.prunable_parameters(net).values())
    if isinstance(amount, int):
        ours = M.global_magnitude_masks(net, keep=total - amount)
    else:
        ours = M.global_magnitude_masks(net, sparsity=amount)
    ref = copy.deepcopy(net)
    prune.global_unstructured(weight_pairs(ref), pruning_method=prune.L1Unstructured, amount=amount)
    theirs = M.masks_from_model(ref)
    assert list(ours) == list(theirs)
    for name in ours:
        assert ours[name].dtype == torch.bool and ours[name].shape == theirs[name].shape
        assert torch.equal(ours[name], theirs[name]), name


@pytest.mark.parametrize("k", [0, 1, 7, 1000, 77777, 150000, 209999])
def test_global_keeps_exactly_k_and_the_top_set(k):
    net = small_net(seed=3)
    masks = M.global_magnitude_masks(net, keep=k)
    kept = flat(masks)
    assert int(kept.sum()) == k
    w = torch.cat([p.detach().abs().reshape(-1) for p in M.prunable_parameters(net).values()])
    if 0 < k < w.numel():
        assert w[kept].min() >= w[~kept].max()
    assert torch.equal(kept, reference_top_k(net, k))


@pytest.mark.parametrize("k", [1, 5, 30000, 84000, 100001, 170000, 209000])
def test_global_exact_k_with_many_ties_keeps_earlier_weights(k):
    net = set_few_values(small_net())
    masks = M.global_magnitude_masks(net, keep=k)
    assert M.count_kept(masks)[1] == k
    assert torch.equal(flat(masks), reference_top_k(net, k))


def test_global_masks_are_deterministic_and_include_bias():
    net = set_few_values(small_net(), values=(-1.0, 1.0, 3.0))
    a = M.global_magnitude_masks(net, sparsity=0.6, include_bias=True)
    b = M.global_magnitude_masks(net, sparsity=0.6, include_bias=True)
    assert list(a) == list(M.prunable_parameters(net, include_bias=True))
    assert all(torch.equal(a[n], b[n]) for n in a)
    total = sum(m.numel() for m in a.values())
    assert M.count_kept(a)[1] == total - round(0.6 * total)
    assert torch.equal(flat(a), reference_top_k(net, total - round(0.6 * total), include_bias=True))


@pytest.mark.parametrize("bracket", ["above", "below", "too_many_candidates"])
def test_selection_recovers_from_a_wrong_bracket(monkeypatch, bracket):
    """The sample only speeds things up: a bad bracket must still give the exact answer."""
    net = small_net(seed=5)
    w = torch.cat([p.detach().abs().reshape(-1) for p in M.prunable_parameters(net).values()])
    k = 60001
    t = torch.sort(w, descending=True).values[k - 1].item()
    fake, calls = {"above": (t * 1.5, t * 2.0), "below": (t * 0.1, t * 0.5), "too_many_candidates": (0.0, 1e30)}, []
    monkeypatch.setattr(K, "sample_bracket", lambda *args: calls.append(args) or fake[bracket])
    monkeypatch.setattr(K, "GATHER_CAP", 10)
    assert torch.equal(flat(M.global_magnitude_masks(net, keep=k)), reference_top_k(net, k))
    set_few_values(net, values=(-1.0, 0.25, 1.0, 2.0))  # histogram down to a single tied value
    assert torch.equal(flat(M.global_magnitude_masks(net, keep=k)), reference_top_k(net, k))
    assert len(calls) == 2  # the wrong bracket was used both times


@pytest.mark.parametrize("dtype", [torch.float16, torch.bfloat16, torch.float64])
def test_global_masks_in_other_dtypes(dtype):
    net = small_net(seed=2).to(dtype)
    for k in (1, 98765):
        assert torch.equal(flat(M.global_magnitude_masks(net, keep=k)), reference_top_k(net, k))


def test_global_masks_of_channels_last_conv():
    net = small_net(seed=4).to(memory_format=torch.channels_last)
    assert not net[0].weight.is_contiguous()
    masks = M.global_magnitude_masks(net, keep=4321)
    assert torch.equal(flat(masks), reference_top_k(net, 4321))


def test_global_masks_of_a_pruned_model_use_effective_weights():
    net = small_net()
    prune.global_unstructured(weight_pairs(net), pruning_method=prune.L1Unstructured, amount=0.7)
    before = M.masks_from_model(net)
    again = M.global_magnitude_masks(net, sparsity=0.7)
    assert list(again) == list(before)
    assert all(torch.equal(again[n], before[n]) for n in again)
    # removing 80% of the effective weights removes the already-zeroed 70% first
    more = M.global_magnitude_masks(net, sparsity=0.8)
    assert all(not (more[n] & ~before[n]).any() for n in more)


# -- layer-wise magnitude ------------------------------------------------------------


@pytest.mark.parametrize("amount", [0.0, 0.25, 0.5, 0.95, 1.0])
def test_layerwise_masks_equal_torch_l1_unstructured(amount):
    net = small_net()
    ours = M.layerwise_magnitude_masks(net, sparsity=amount)
    ref = copy.deepcopy(net)
    for module, name in weight_pairs(ref):
        prune.l1_unstructured(module, name, amount=amount)
    theirs = M.masks_from_model(ref)
    for name, mask in ours.items():
        assert torch.equal(mask, theirs[name]), name
        assert int(mask.sum()) == mask.numel() - round(amount * mask.numel())


def test_layerwise_keep_dict_and_ties():
    net = set_few_values(small_net(), values=(-1.0, 1.0))  # |w| all tied
    keep = {"0.weight": 3, "3.weight": 0, "6.weight": 1000, "8.weight": 2560}
    masks = M.layerwise_magnitude_masks(net, keep=keep)
    assert M.count_kept(masks)[0] == keep
    assert torch.equal(masks["6.weight"].reshape(-1).nonzero().view(-1), torch.arange(1000))  # earliest kept


# -- random masks --------------------------------------------------------------------


def test_random_masks_exact_counts_and_reproducible():
    net = small_net()
    total = sum(p.numel() for p in M.prunable_parameters(net).values())
    g = M.random_masks(net, 0.8, generator=7)
    assert M.count_kept(g)[1] == total - round(0.8 * total)
    assert all(torch.equal(g[n], M.random_masks(net, 0.8, generator=7)[n]) for n in g)
    again = M.random_masks(net, 0.8, generator=torch.Generator().manual_seed(7))
    assert all(torch.equal(g[n], again[n]) for n in g)
    other = M.random_masks(net, 0.8, generator=8)
    assert any(not torch.equal(g[n], other[n]) for n in g)
    lw = M.random_masks(net, 0.8, generator=1, scope="layerwise")
    assert all(int(m.sum()) == m.numel() - round(0.8 * m.numel()) for m in lw.values())


def test_global_random_masks_are_uniform_across_and_within_layers():
    net = small_net()
    counts = {n: 0 for n in M.prunable_parameters(net)}
    positions = torch.zeros(400, 288)
    for seed in range(20):
        masks = M.random_masks(net, 0.7, generator=seed)
        for n, m in masks.items():
            counts[n] += int(m.sum())
        positions += masks["3.weight"]
    for n, p in M.prunable_parameters(net).items():
        n_draws = 20 * p.numel()
        sd = (n_draws * 0.3 * 0.7) ** 0.5
        assert abs(counts[n] - 0.3 * n_draws) < 5 * sd + 1, n
    assert abs(positions[:200].mean() - positions[200:].mean()) < 0.2  # no positional drift (0.3*20 = 6)


# -- interoperability with torch.nn.utils.prune --------------------------------------


def test_apply_then_read_back_round_trip_and_forward():
    net = small_net()
    masks = M.global_magnitude_masks(net, sparsity=0.6, include_bias=True)
    expected = {n: p.detach() * masks[n] for n, p in M.prunable_parameters(net, include_bias=True).items()}
    assert M.apply_masks(net, masks) is net
    back = M.masks_from_model(net)
    assert list(back) == list(masks) and all(torch.equal(back[n], masks[n]) for n in masks)
    for n, w in M.prunable_parameters(net, include_bias=True).items():
        assert torch.equal(w, expected[n])
    assert torch.equal(net[3].weight, expected["3.weight"])


def test_pruned_model_survives_deepcopy_state_dict_and_remove():
    net = small_net()
    M.apply_masks(net, M.global_magnitude_masks(net, sparsity=0.75))
    twin = copy.deepcopy(net)  # straight after apply_masks: the masked weights are graph leaves
    with torch.no_grad():  # after a forward pass with grad, torch can deepcopy a pruned module only
        y = net(X_IMG)  # once module.weight is a leaf again (pytorch/pytorch#37322)
        assert torch.equal(copy.deepcopy(net)(X_IMG), y)
        assert torch.equal(twin(X_IMG), y)
    fresh = small_net(seed=9)
    M.apply_masks(fresh, M.random_masks(fresh, 0.5, generator=0))  # same buffers, other values
    fresh.load_state_dict(net.state_dict())
    with torch.no_grad():
        assert torch.equal(fresh(X_IMG), y)
    assert all(
        torch.equal(a, b)
        for a, b in zip(M.masks_from_model(fresh).values(), M.masks_from_model(net).values(), strict=True)
    )
    for module, name in weight_pairs(net):
        prune.remove(module, name)
    assert M.masks_from_model(net) == {}
    with torch.no_grad():
        assert torch.equal(net(X_IMG), y)
    assert (
        M.count_kept({n: p != 0 for n, p in M.prunable_parameters(net).items()})[1]
        == M.count_kept(M.masks_from_model(fresh))[1]
    )


def test_masks_from_model_pruned_by_torch():
    net = small_net()
    prune.l1_unstructured(net[0], "weight", amount=5)
    prune.random_unstructured(net[8], "bias", amount=0.5)
    masks = M.masks_from_model(net)
    assert list(masks) == ["0.weight", "8.bias"]
    assert torch.equal(masks["0.weight"], net[0].weight_mask.bool())
    assert masks["0.weight"].dtype == torch.bool and int((~masks["0.weight"]).sum()) == 5
    M.apply_masks(net, {"0.weight": torch.ones_like(masks["0.weight"])})  # torch combines masks
    assert torch.equal(M.masks_from_model(net)["0.weight"], masks["0.weight"])


def test_summaries():
    masks = {"a.weight": torch.tensor([[True, False], [True, True]]), "b.weight": torch.zeros(4, dtype=torch.bool)}
    assert M.count_kept(masks) == ({"a.weight": 3, "b.weight": 0}, 3)
    assert M.mask_sparsity(masks) == pytest.approx(5 / 8)


# -- bad inputs ----------------------------------------------------------------------


@pytest.mark.parametrize("sparsity", [-0.1, 1.5, float("nan"), "half", True])
def test_bad_sparsity(sparsity):
    net = tiny_net()
    for fn in (M.global_magnitude_masks, M.layerwise_magnitude_masks, M.random_masks):
        with pytest.raises(ValueError, match=r"sparsity \(fraction of weights removed\) must be a number in \[0, 1\]"):
            fn(net, sparsity)


def test_bad_keep():
    net = tiny_net()  # 45 weights
    with pytest.raises(ValueError, match=r"keep \(number of weights to keep\) must lie in 0..45, got 46"):
        M.global_magnitude_masks(net, keep=46)
    with pytest.raises(ValueError, match=r"must lie in 0..45, got -1"):
        M.global_magnitude_masks(net, keep=-1)
    with pytest.raises(ValueError, match="must be an integer, got 2.5"):
        M.global_magnitude_masks(net, keep=2.5)
    with pytest.raises(ValueError, match="give exactly one of sparsity"):
        M.global_magnitude_masks(net)
    with pytest.raises(ValueError, match="give exactly one of sparsity"):
        M.global_magnitude_masks(net, sparsity=0.5, keep=3)
    with pytest.raises(ValueError, match=r"keep\['2.weight'\] \(number of weights to keep\) must lie in 0..15"):
        M.layerwise_magnitude_masks(net, keep={"0.weight": 1, "2.weight": 16})
    with pytest.raises(ValueError, match="keep must give a count for exactly the prunable names"):
        M.layerwise_magnitude_masks(net, keep={"0.weight": 1})
    with pytest.raises(ValueError, match="keep must be a dict"):
        M.layerwise_magnitude_masks(net, keep=3)


@pytest.mark.parametrize("bad", [float("nan"), float("inf"), -float("inf")])
@pytest.mark.parametrize("k", [0, 20, 45])
def test_non_finite_weights_are_refused(bad, k):
    net = tiny_net()
    with torch.no_grad():
        net[2].weight[1, 2] = bad
    with pytest.raises(ValueError, match="weights of 2.weight contain NaN or inf"):
        M.global_magnitude_masks(net, keep=k)
    with pytest.raises(ValueError, match="weights of 2.weight contain NaN or inf"):
        M.layerwise_magnitude_masks(net, sparsity=0.5)


def test_bad_masks_for_apply():
    net = tiny_net()
    good = M.global_magnitude_masks(net, sparsity=0.5)
    with pytest.raises(ValueError, match=r"mask for 2.weight has shape \(5, 3\), expected \(3, 5\)"):
        M.apply_masks(net, {**good, "2.weight": torch.ones(5, 3, dtype=torch.bool)})
    with pytest.raises(ValueError, match="mask name 'fc9.weight' is not a parameter of the model"):
        M.apply_masks(net, {"fc9.weight": torch.ones(3, 5, dtype=torch.bool)})
    with pytest.raises(ValueError, match="mask name '0.weight_orig' is not a parameter"):
        M.apply_masks(net, {"0.weight_orig": good["0.weight"]})
    with pytest.raises(ValueError, match="must be boolean"):
        M.apply_masks(net, {"0.weight": torch.full((5, 6), 0.5)})
    with pytest.raises(ValueError, match="non-empty dict"):
        M.apply_masks(net, {})
    assert M.masks_from_model(net) == {}  # nothing half-applied
    with pytest.raises(ValueError, match="must be a torch.BoolTensor"):
        M.count_kept({"a": torch.ones(3)})
    with pytest.raises(ValueError, match="masks must be a non-empty dict"):
        M.count_kept([torch.ones(3, dtype=torch.bool)])
    with pytest.raises(ValueError, match="model must be a torch.nn.Module"):
        M.apply_masks(None, good)
    with pytest.raises(ValueError, match="model must be a torch.nn.Module"):
        M.masks_from_model({})
    with pytest.raises(ValueError, match="masks hold no entries"):
        M.mask_sparsity({"a": torch.ones(0, dtype=torch.bool)})


def test_bad_random_arguments():
    net = tiny_net()
    with pytest.raises(ValueError, match="scope must be 'global' or 'layerwise'"):
        M.random_masks(net, 0.5, scope="per-layer")
    with pytest.raises(ValueError, match="generator must be a torch.Generator, an int seed or None"):
        M.random_masks(net, 0.5, generator="seed")


# -- the masks of a pruning strategy ----------------------------------------------------


def test_layerwise_counts_apportion_exactly():
    sizes = [7840, 100, 30, 7]
    for keep in (0, 1, 5, 999, 4000, sum(sizes)):
        counts = M.layerwise_counts(sizes, keep)
        assert counts.sum() == keep and np.all(counts <= sizes) and np.all(counts >= 0)
        assert np.all(np.abs(counts - keep * np.asarray(sizes) / sum(sizes)) < 1)
    assert M.layerwise_counts([10, 10], 5).tolist() == [3, 2]  # tie: the earlier layer gets the extra weight
    with pytest.raises(ValueError, match="keep"):
        M.layerwise_counts([3, 4], 8)
    with pytest.raises(ValueError, match="sizes"):
        M.layerwise_counts([3, 0], 1)


def fc(width=16, seed=1):
    torch.manual_seed(seed)
    return nn.Sequential(nn.Flatten(), nn.Linear(784, width), nn.ReLU(), nn.Linear(width, 10))


@pytest.mark.parametrize("strategy", M.STRATEGIES)
def test_strategy_masks_keep_exactly_the_target(strategy):
    net = fc()
    for keep in (0, 1, 3176, 784 * 16 + 160 - 1):
        masks = M.strategy_masks(net, strategy, keep=keep, seed=2)
        assert sum(int(m.sum()) for m in masks.values()) == keep
        again = M.strategy_masks(net, strategy, keep=keep, seed=2)  # same arguments, same masks
        assert all(torch.equal(masks[n], again[n]) for n in masks)
    masks = M.strategy_masks(net, strategy, keep=3176, seed=2)
    assert masks.keys() == M.prunable_parameters(net).keys()
    if strategy == "global":  # every kept |w| is at least every removed |w|
        w = torch.cat([p.detach().abs().reshape(-1) for p in M.prunable_parameters(net).values()])
        m = torch.cat([x.reshape(-1) for x in masks.values()])
        assert w[m].min() >= w[~m].max()
    if strategy == "layerwise":  # the same fraction in every layer: the apportioned counts
        sizes = [m.numel() for m in masks.values()]
        assert [int(m.sum()) for m in masks.values()] == M.layerwise_counts(sizes, 3176).tolist()
    if strategy == "random":  # the seed matters
        other = M.strategy_masks(net, strategy, keep=3176, seed=3)
        assert not all(torch.equal(masks[n], other[n]) for n in masks)


@pytest.mark.parametrize("sparsity", [0.0, 0.37, 0.9, 1.0])
def test_strategy_masks_by_sparsity_are_the_builders_of_each_strategy(sparsity):
    net = fc(width=12, seed=4)
    by_builder = {
        "global": M.global_magnitude_masks(net, sparsity=sparsity),
        "layerwise": M.layerwise_magnitude_masks(net, sparsity=sparsity),
        "random": M.random_masks(net, sparsity, generator=5),
    }
    for strategy, expected in by_builder.items():
        got = M.strategy_masks(net, strategy, sparsity=sparsity, seed=5)
        assert got.keys() == expected.keys() and all(torch.equal(got[n], expected[n]) for n in got)
    # by sparsity, layer-wise rounds per layer (torch's l1_unstructured); the global count rounds once
    total = sum(m.numel() for m in by_builder["global"].values())
    assert M.count_kept(by_builder["global"])[1] == total - round(sparsity * total)
    assert M.count_kept(by_builder["layerwise"])[1] == sum(
        m.numel() - round(sparsity * m.numel()) for m in by_builder["layerwise"].values()
    )


def test_strategy_masks_reject_bad_arguments():
    net = fc()
    with pytest.raises(ValueError, match="strategy must be one of global, layerwise, random"):
        M.strategy_masks(net, "dense", keep=10)
    with pytest.raises(ValueError, match="give exactly one of sparsity"):
        M.strategy_masks(net, "global")
    with pytest.raises(ValueError, match="give exactly one of sparsity"):
        M.strategy_masks(net, "layerwise", sparsity=0.5, keep=10)
    with pytest.raises(ValueError, match=r"keep \(number of weights to keep\) must lie in 0..12704"):
        M.strategy_masks(net, "random", keep=12705)
    with pytest.raises(ValueError, match="sparsity"):
        M.strategy_masks(net, "random", sparsity=1.5)
    with pytest.raises(ValueError, match="seed must be an integer >= 0"):
        M.strategy_masks(net, "random", keep=10, seed=-1)
    with pytest.raises(ValueError, match="model must be a torch.nn.Module"):
        M.strategy_masks("net", "global", keep=10)


@pytest.mark.parametrize("sizes", [[3.7, 2], [2, 0], [], [[3, 2]], np.array([3 + 0j, 2])])
def test_layerwise_counts_rejects_sizes_that_are_not_positive_whole_numbers(sizes):
    # [3.7, 2] used to be truncated to [3, 2]
    with pytest.raises(ValueError, match="sizes must be a non-empty list of layer sizes"):
        M.layerwise_counts(sizes, 2)
