"""Tests of pruning_lab.nn.seqattn: SA++ schedule, block attention, masks, phase plans and training."""

import copy

import numpy as np
import pytest

torch = pytest.importorskip("torch")
from torch import nn
from torch.nn.utils import prune

from pruning_lab.data import Dataset
from pruning_lab.nn import block_pruning as BP
from pruning_lab.nn import seqattn as S
from pruning_lab.nn.masks import apply_masks
from pruning_lab.nn.models import MLP


def toy_data(n=600, d=16, seed=0):
    """Gaussian inputs labelled by a random ReLU teacher (4 classes): learnable, fast."""
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, d)).astype(np.float32)
    H = np.maximum(X @ rng.standard_normal((d, 32)), 0)
    y = (H @ rng.standard_normal((32, 4))).argmax(1)
    return Dataset(X[:500], y[:500], X[500:], y[500:], name="toy")


def toy_net(seed=0):
    torch.manual_seed(seed)
    return MLP(16, (32, 32), 4)


# -- sparsity schedule -------------------------------------------------------------------


def test_schedule_endpoints_monotone_concave():
    t = np.linspace(0, 1, 201)
    for c in (0.5, 2.0, 4.0, 8.0):
        r = S.sparsity_schedule(t, 0.9, c)
        assert r.shape == t.shape and r[0] == 0 and abs(r[-1] - 0.9) < 1e-15
        d = np.diff(r)
        assert np.all(d > 0) and np.all(np.diff(d) < 0)  # increasing, concave
        assert np.all(r >= 0.9 * t - 1e-15)  # concave ramp lies above its chord


def test_schedule_closed_form_and_linear_limit():
    assert S.sparsity_schedule(0.5, 0.8, 4.0) == pytest.approx(0.8 * (1 - np.exp(-2)) / (1 - np.exp(-4)), rel=1e-14)
    t = np.linspace(0, 1, 11)
    assert np.allclose(S.sparsity_schedule(t, 0.7, 1e-9), 0.7 * t, atol=1e-9, rtol=0)
    assert np.max(np.abs(S.sparsity_schedule(t, 0.7, 1e-3) - 0.7 * t)) < 1e-3 * 0.7  # O(c) gap


@pytest.mark.parametrize("kw", [dict(c=0.0), dict(c=-1.0), dict(s=1.0), dict(s=-0.1), dict(t=1.5), dict(t=np.nan)])
def test_schedule_bad_inputs(kw):
    args = dict(t=0.5, s=0.5, c=4.0) | kw
    with pytest.raises(ValueError):
        S.sparsity_schedule(**args)


# -- attention and blocks ----------------------------------------------------------------


def test_attention_mean_one_and_zero_logits_give_ones():
    L = torch.randn(16, 8, generator=torch.Generator().manual_seed(0), dtype=torch.float64) * 3
    A = S.block_softmax_attention(L)
    assert abs(float(A.mean()) - 1) < 1e-14
    assert torch.allclose(A, L.numel() * torch.softmax(L.reshape(-1), 0).view_as(L), rtol=1e-12, atol=0)
    assert torch.allclose(S.block_softmax_attention(L + 100.0), A, rtol=1e-12, atol=0)  # shift invariant
    for n in (3, 7, 100, 1024):
        assert torch.equal(S.block_softmax_attention(torch.zeros(n)), torch.ones(n))


def test_wrapped_layer_initially_equals_dense_layer():
    net = toy_net()
    wrapped = S.attach_block_attention(net, ["0", "2"], 4, 0.9)
    assert isinstance(wrapped[2], S.BlockAttentionLinear) and isinstance(net[2], nn.Linear)  # net untouched
    assert [n for n, _ in wrapped.named_parameters()][:3] == ["0.weight", "0.bias", "0.logits"]
    x = torch.randn(5, 16, generator=torch.Generator().manual_seed(1))
    assert torch.equal(wrapped(x), net(x))


def test_block_norms_expand_and_magnitude_mask_match_brute_force():
    W = torch.randn(12, 8, generator=torch.Generator().manual_seed(2))
    norms = S.block_frobenius_norms(W, 4)
    brute = torch.tensor([[W[4 * i : 4 * i + 4, 4 * j : 4 * j + 4].norm() for j in range(2)] for i in range(3)])
    assert torch.allclose(norms, brute, rtol=1e-6)
    bm = torch.tensor([[True, False], [False, True], [True, True]])
    assert torch.equal(S.expand_block_mask(bm, 4), torch.kron(bm.int(), torch.ones(4, 4, dtype=torch.int)).bool())
    for s, k in ((0.5, 3), (0.9, 1), (0.0, 6), (0.34, 4)):
        mask = S.block_magnitude_mask(W, s, 4)
        top = sorted(range(6), key=lambda b: -float(brute.view(-1)[b]))[:k]
        ref = torch.zeros(6, dtype=torch.bool)
        ref[top] = True
        assert torch.equal(mask, S.expand_block_mask(ref.view(3, 2), 4)) and int(mask.sum()) == 16 * k


def test_topk_exact_count_tie_break_and_allowed():
    scores = torch.tensor([[1.0, 3.0, 3.0], [0.5, 3.0, 2.0]])
    assert torch.equal(S.topk_block_mask(scores, 2), torch.tensor([[False, True, True], [False, False, False]]))
    assert int(S.topk_block_mask(torch.ones(4, 4), 5).sum()) == 5
    assert torch.equal(S.topk_block_mask(torch.ones(2, 2), 3).view(-1), torch.tensor([True, True, True, False]))
    allowed = torch.tensor([[True, False, False], [True, False, True]])
    expected = torch.tensor([[True, False, False], [False, False, True]])
    assert torch.equal(S.topk_block_mask(scores, 2, allowed), expected)
    with pytest.raises(ValueError):
        S.topk_block_mask(scores, 4, allowed)  # only 3 allowed
    with pytest.raises(ValueError):
        S.topk_block_mask(torch.tensor([1.0, np.nan]), 1)


def test_block_size_must_divide_both_sides():
    with pytest.raises(ValueError, match="divide"):
        S.block_frobenius_norms(torch.zeros(12, 8), 3)
    with pytest.raises(ValueError, match="divide"):
        S.attach_block_attention(toy_net(), ["0"], 5, 0.5)  # 32 x 16
    with pytest.raises(ValueError):
        S.attach_block_attention(toy_net(), ["1"], 4, 0.5)  # a ReLU, not a Linear


def test_masks_interoperate_with_torch_prune():
    net = toy_net()
    masks = S.block_magnitude_masks(net, 0.75, 4, ["2"])
    assert list(masks) == ["2.weight"] and masks["2.weight"].dtype == torch.bool
    pruned = apply_masks(copy.deepcopy(net), masks)
    lin = copy.deepcopy(net[2])
    prune.custom_from_mask(lin, "weight", masks["2.weight"])
    assert torch.equal(lin.weight, pruned[2].weight)
    # the attention-free wrapper in its sparse phase uses the same effective weight
    wrapped = S.attach_block_attention(net, ["2"], 4, 0.75, attention=False)
    wrapped[2].start_phase("sparse", "dense")
    assert torch.equal(wrapped[2].effective_weight(), net[2].weight * masks["2.weight"])
    assert torch.equal(wrapped[2].effective_weight(), lin.weight)


# -- phase plans -------------------------------------------------------------------------


def test_acdc_imagenet_plan_covers_all_steps():
    plan = BP.acdc_phase_plan(1000)
    kinds = [p.kind for p in plan.phases]
    assert kinds == ["dense"] + ["sparse", "dense"] * 7 + ["sparse"]
    lengths = [p.end - p.start for p in plan.phases]
    assert lengths == [100] + [50] * 13 + [100, 150] and sum(lengths) == 1000  # 10 + 7(5+5) + 5 + 15
    assert plan.phases[0].start == 0
    assert all(a.end == b.start for a, b in zip(plan.phases, plan.phases[1:], strict=False))
    assert np.isclose(plan.fractions().sum(), 1.0)


@pytest.mark.parametrize("T", [97, 300, 1001])
def test_sapp_plan_structure_and_coverage(T):
    plan = BP.sapp_phase_plan(T)
    kinds = [p.kind for p in plan.phases]
    assert kinds == ["dense"] + ["sparsify", "sparse", "dense"] * 6 + ["sparsify", "sparse"]
    assert plan.total_steps == T and plan.phases[0].start == 0
    assert all(a.end == b.start and a.end > a.start for a, b in zip(plan.phases, plan.phases[1:], strict=False))
    ref = [0.1] + [0.1 / 3] * 18 + [0.15, 0.15]
    assert np.allclose(plan.fractions(), ref, atol=1.0 / T)


def test_phase_plan_rejects_gaps_bad_kinds_and_too_few_steps():
    with pytest.raises(ValueError):
        BP.PhasePlan((BP.Phase("dense", 0, 5), BP.Phase("sparse", 6, 10)))
    with pytest.raises(ValueError):
        BP.PhasePlan((BP.Phase("prune", 0, 5),))
    with pytest.raises(ValueError):
        BP.PhasePlan.from_fractions(["dense", "sparse"], [0.5, 0.6], 10)
    with pytest.raises(ValueError, match="too small"):
        BP.acdc_phase_plan(10)
    with pytest.raises(ValueError):
        BP.sapp_phase_plan(100, initial_dense=0.5, final_sparse=0.5)


# -- phase logic during training -----------------------------------------------------------


def record_masks(model):
    """Forward hooks recording (phase, active blocks, max |raw weight| on pruned blocks, max |W_hat| there)."""
    log = []

    def hook(mod, inputs, output):
        if mod.training:
            active = mod.applied_mask()
            off = ~S.expand_block_mask(active, mod.block)
            log.append(
                (
                    mod.phase,
                    int(active.sum()),
                    active.clone(),
                    float(mod.weight.detach()[off].abs().max()) if off.any() else 0.0,
                    float(mod.effective_weight().detach()[off].abs().max()) if off.any() else 0.0,
                )
            )

    for m in model.modules():
        if isinstance(m, S.BlockAttentionLinear):
            m.register_forward_hook(hook)
    return log


@pytest.mark.parametrize("method", ["sapp", "acdc"])
def test_mask_phases_counts_and_exact_zeros(method):
    data, k = toy_data(), S.blocks_kept(64, 0.8)  # 32 x 32 in 4 x 4 blocks: 64 blocks, keep 13
    attention = method == "sapp"
    model = S.attach_block_attention(toy_net(), ["2"], 4, 0.8, attention=attention)
    plan = (BP.sapp_phase_plan if attention else BP.acdc_phase_plan)(240, cycles=2)
    log = record_masks(model)
    BP.train_block_sparse(model, data.X_train, data.y_train, plan, lr=3e-3, weight_decay=1e-2, batch_size=50)
    assert [e[0] for e in log] == [p.kind for p in plan.phases for _ in range(p.start, p.end)]
    prev = None
    for kind, active, mask, raw_off, eff_off in log:
        if kind == "dense":
            assert active == 64
        elif kind == "sparse":
            assert active == k and raw_off == 0.0 and eff_off == 0.0  # exact zeros despite Adam + weight decay
            if prev is not None and prev[0] == "sparse":
                assert torch.equal(mask, prev[1])  # frozen
        else:  # sparsify: monotone shrinking from the dense count to k
            assert k <= active <= 64 and eff_off == 0.0
            if prev is not None and prev[0] == "sparsify":
                assert not (mask & ~prev[1]).any()
        prev = (kind, mask)
    assert model[2].logits is None or float(model[2].logits.detach().abs().max()) > 0  # the logits did train


def test_sparsify_phase_follows_the_schedule():
    lin = S.BlockAttentionLinear(nn.Linear(32, 32), 4, 0.9)
    with torch.no_grad():
        lin.logits.copy_(torch.randn(8, 8, generator=torch.Generator().manual_seed(3)))
    lin.start_phase("sparsify", "dense")
    for t in np.linspace(0.05, 1, 20):
        lin.update_mask(float(t))
        assert int(lin.block_mask.sum()) == 64 - round(float(S.sparsity_schedule(t, 0.9)) * 64)
    assert int(lin.block_mask.sum()) == S.blocks_kept(64, 0.9) == 6
    top = S.topk_block_mask(lin.scores(), 6)  # with fixed logits, shrinking keeps the global top-k
    assert torch.equal(lin.block_mask, top)


def test_blocks_pruned_in_a_sparsify_phase_do_not_return():
    lin = S.BlockAttentionLinear(nn.Linear(32, 32), 4, 0.9, clip=False)
    lin.start_phase("sparsify", "dense")
    lin.update_mask(0.3)  # all logits 0: ties, the last blocks go first
    gone = ~lin.block_mask.clone()
    assert gone.view(-1)[-1] and gone.any()
    with torch.no_grad():
        lin.logits.copy_(gone.double() * 5.0)  # the pruned blocks now have the largest attention
    lin.update_mask(0.6)
    assert not (lin.block_mask & gone).any()
    lin.start_phase("sparsify", "dense")  # a new sparsification phase starts from all blocks again
    lin.update_mask(0.05)
    assert (lin.block_mask & gone).any()


def test_run_returns_plain_network_with_exact_zeros_and_realized_sparsity():
    data = toy_data()
    r = BP.block_prune_run(
        "sapp", 0.75, data, block=4, layers=("0", "2"), hidden=(32, 32), total_steps=200, cycles=2, batch_size=50
    )
    assert all(type(m) in (nn.Linear, nn.ReLU) for m in r.model)
    assert set(r.masks) == {"0.weight", "2.weight"}
    for name, mask in r.masks.items():
        w = r.model.get_submodule(name[:-7]).weight
        assert torch.all(w[~mask] == 0) and int(mask.sum()) == 16 * S.blocks_kept(mask.numel() // 16, 0.75)
    assert r.realized_sparsity == pytest.approx(1 - (8 + 16) / (32 + 64))  # 0: 32 blocks keep 8; 2: 64 keep 16
    again = apply_masks(copy.deepcopy(r.model), r.masks)  # torch re-applies the same masks: nothing changes
    x = torch.as_tensor(data.X_test)
    assert torch.equal(again(x), r.model(x)) and 0.25 < r.test_accuracy <= 1


def test_same_seed_same_result_and_seed_matters():
    data = toy_data()
    kw = dict(block=4, hidden=(32, 32), total_steps=120, cycles=1, batch_size=50)
    a, b = (BP.block_prune_run("sapp", 0.5, data, seed=3, **kw) for _ in range(2))
    c = BP.block_prune_run("sapp", 0.5, data, seed=4, **kw)
    sa, sb, sc = (r.model.state_dict() for r in (a, b, c))
    assert all(torch.equal(sa[n], sb[n]) for n in sa) and a.test_accuracy == b.test_accuracy
    assert not torch.equal(sa["2.weight"], sc["2.weight"])


def test_experiment_loop_order_and_bad_inputs():
    data = toy_data()
    res = BP.block_prune_experiment(
        data,
        methods=("magnitude", "dense"),
        sparsities=(0.5,),
        block=4,
        hidden=(32, 32),
        total_steps=40,
        batch_size=100,
    )
    assert [r.method for r in res] == ["magnitude", "dense"]
    assert res[0].realized_sparsity == 0.5 and res[1].realized_sparsity == 0.0 and res[1].masks == {}
    with pytest.raises(ValueError, match="method"):
        BP.block_prune_experiment(data, methods=("lottery",))
    with pytest.raises(ValueError, match="method"):
        BP.block_prune_run("powerprop", 0.5, data)
    for bad in (1.0, -0.2, 1.5):
        with pytest.raises(ValueError, match="sparsity"):
            BP.block_prune_run("sapp", bad, data)
    with pytest.raises(ValueError, match="c"):
        S.BlockAttentionLinear(nn.Linear(8, 8), 4, 0.5, c=0.0)
    with pytest.raises(ValueError, match="divide"):
        BP.block_prune_run("sapp", 0.5, data, block=5, hidden=(32, 32))
    with pytest.raises(ValueError, match="BlockAttentionLinear"):
        BP.train_block_sparse(toy_net(), data.X_train, data.y_train, BP.acdc_phase_plan(200))


def test_sapp_norm_ablation_is_the_sapp_plan_without_attention():
    data = toy_data()
    kw = dict(block=4, hidden=(32, 32), total_steps=120, cycles=1, batch_size=50)
    ablation = BP.block_prune_run("sapp_norm", 0.5, data, seed=3, **kw)
    full = BP.block_prune_run("sapp", 0.5, data, seed=3, **kw)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(3)
        net = MLP(data.X_train.shape[1], (32, 32), data.n_classes)
    manual = S.attach_block_attention(net, ("2",), 4, 0.5, attention=False)
    BP.train_block_sparse(manual, data.X_train, data.y_train, BP.sapp_phase_plan(120, cycles=1), seed=3, batch_size=50)
    plain, masks = S.detach_block_attention(manual)
    assert torch.equal(masks["2.weight"], ablation.masks["2.weight"])
    assert torch.equal(plain.state_dict()["2.weight"], ablation.model.state_dict()["2.weight"])
    assert ablation.realized_sparsity == full.realized_sparsity == pytest.approx(0.5)
    assert not torch.equal(full.model.state_dict()["2.weight"], ablation.model.state_dict()["2.weight"])
