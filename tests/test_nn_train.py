"""Tests of pruning_lab.nn.train (TrainingRecipe, train_classifier, evaluation) and pruning_lab.nn.pipeline."""

import copy
import dataclasses
import math

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from pruning_lab.data import Dataset
from pruning_lab.nn import masks
from pruning_lab.nn.models import MLP
from pruning_lab.nn.pipeline import mask_sweep
from pruning_lab.nn.train import TrainingRecipe, accuracy, evaluate, learning_rate, train_classifier


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
        hist = train_classifier(net, data.X_train, data.y_train, TrainingRecipe(epochs=5, lr=0.05, seed=3))
        return net, hist

    net_a, hist_a = run()
    net_b, hist_b = run()
    assert hist_a[-1] < hist_a[0]
    assert accuracy(net_a, data.X_test, data.y_test) > 0.95
    assert hist_a == hist_b
    for pa, pb in zip(net_a.parameters(), net_b.parameters(), strict=True):
        assert torch.equal(pa, pb)


def test_pruned_weights_stay_zero_through_training_with_momentum_and_weight_decay(data):
    torch.manual_seed(1)
    net = MLP(20, [32, 16], 3)
    m = masks.global_magnitude_masks(net, sparsity=0.7)
    masks.apply_masks(net, m)
    train_classifier(
        net, data.X_train, data.y_train, TrainingRecipe(epochs=3, lr=0.1, momentum=0.9, weight_decay=1e-3, seed=0)
    )
    for name, mask in m.items():
        module = net.get_submodule(name.rsplit(".", 1)[0])
        assert torch.all(module.weight[~mask] == 0)
        assert torch.any(module.weight[mask] != 0)


def test_training_rejects_bad_inputs(data):
    net = MLP(20, [8], 3)
    with pytest.raises(ValueError, match="must match"):
        train_classifier(net, data.X_train, data.y_train[:-1])
    with pytest.raises(ValueError, match="learning rate"):
        train_classifier(net, data.X_train, data.y_train, TrainingRecipe(lr=0.0))
    bad = data.X_train.copy()
    bad[0, 0] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        train_classifier(net, bad, data.y_train)


# -- TrainingRecipe -----------------------------------------------------------------------


def test_recipe_defaults_fields_and_replace():
    recipe = TrainingRecipe()
    assert dataclasses.asdict(recipe) == dict(
        optimizer="sgd",
        lr=0.05,
        lr_schedule="constant",
        epochs=10,
        batch_size=128,
        momentum=0.9,
        weight_decay=0.0,
        seed=0,
    )
    changed = recipe.replace(epochs=3, seed=7)
    assert (changed.epochs, changed.seed, changed.lr) == (3, 7, 0.05) and recipe.epochs == 10  # a copy
    assert changed == TrainingRecipe(epochs=3, seed=7) and hash(changed) == hash(TrainingRecipe(epochs=3, seed=7))
    with pytest.raises(dataclasses.FrozenInstanceError):
        recipe.lr = 0.1
    with pytest.raises(TypeError):
        TrainingRecipe(0.1)  # keyword-only: no silent mix-up of lr and epochs
    with pytest.raises(ValueError, match="momentum must lie"):
        recipe.replace(momentum=1.5)  # replace checks again
    # numpy numbers become plain Python numbers, so equal recipes are equal
    from_numpy = TrainingRecipe(lr=np.float32(0.5), epochs=np.int64(2), batch_size=np.int32(8), seed=np.uint8(1))
    assert from_numpy == TrainingRecipe(lr=0.5, epochs=2, batch_size=8, seed=1)
    assert type(from_numpy.epochs) is int and type(from_numpy.lr) is float and type(from_numpy.momentum) is float


@pytest.mark.parametrize(
    "field, value, match",
    [
        ("optimizer", "rmsprop", "optimizer must be one of sgd, adam"),
        ("lr", 0.0, "lr \\(learning rate\\) must be a finite number > 0"),
        ("lr", float("inf"), "lr \\(learning rate\\)"),
        ("lr", True, "lr \\(learning rate\\)"),
        ("lr", "0.1", "lr \\(learning rate\\)"),
        ("lr_schedule", "step", "lr_schedule must be one of constant, cosine"),
        ("epochs", -1, "epochs must be an integer >= 0"),
        ("epochs", 2.0, "epochs must be an integer"),
        ("batch_size", 0, "batch_size must be an integer >= 1"),
        ("momentum", -0.1, "momentum must be finite and >= 0"),
        ("momentum", 1.0, "momentum must lie in \\[0, 1\\)"),
        ("weight_decay", float("nan"), "weight_decay must be finite and >= 0"),
        ("seed", -1, "seed must be an integer >= 0"),
        ("seed", None, "seed must be an integer"),
    ],
)
def test_recipe_rejects_bad_fields(field, value, match):
    with pytest.raises(ValueError, match=match):
        TrainingRecipe(**{field: value})


def test_recipe_with_zero_epochs_leaves_the_model_untouched(data):
    net, _ = masked_net(seed=6)
    before = copy.deepcopy(net.state_dict())
    assert train_classifier(net, data.X_train, data.y_train, TrainingRecipe(epochs=0)) == []
    assert all(torch.equal(v, before[k]) for k, v in net.state_dict().items())


def test_recipe_fields_reach_the_optimizer_and_seed_the_minibatch_order(data):
    seen = []
    recipe = TrainingRecipe(epochs=1, lr=0.3, momentum=0.5, weight_decay=1e-3, batch_size=50, seed=9)
    net, _ = masked_net(seed=7)
    train_classifier(net, data.X_train, data.y_train, recipe, on_epoch_end=lambda e, m, opt: seen.append(opt))
    group = seen[0].param_groups[0]
    assert isinstance(seen[0], torch.optim.SGD)
    assert (group["lr"], group["momentum"], group["weight_decay"]) == (0.3, 0.5, 1e-3)
    runs = {}
    for seed in (9, 9, 10):  # the same seed gives the same network, another seed another one
        net, _ = masked_net(seed=7)
        train_classifier(net, data.X_train, data.y_train, recipe.replace(seed=seed))
        runs.setdefault(seed, []).append(net.state_dict()["0.weight"])
    assert torch.equal(*runs[9]) and not torch.equal(runs[9][0], runs[10][0])


def test_mask_sweep(data):
    torch.manual_seed(0)
    net = MLP(20, [32], 3)
    train_classifier(net, data.X_train, data.y_train, TrainingRecipe(epochs=5, lr=0.05, seed=0))
    before = copy.deepcopy(net.state_dict())
    sweep = mask_sweep(net, data, [0.0, 0.5, 0.99], recipe=TrainingRecipe(epochs=1, lr=0.02, seed=0))
    # The trained model itself is not modified.
    for k, v in net.state_dict().items():
        assert torch.equal(v, before[k])
    # Removing nothing leaves the dense accuracy.
    for strategy in ("global", "layerwise", "random"):
        assert sweep.accuracy[(strategy, False)][0] == sweep.dense_accuracy
    # Per-layer kept fractions reflect the requested sparsity.
    total = dict(zip(sweep.layer_names, [20 * 32, 32 * 3], strict=True))
    kept = sum(sweep.kept_fraction["global"][1][k] * total[k] for k in total)
    assert kept == pytest.approx(0.5 * sum(total.values()), abs=1)
    # Global magnitude pruning of half the weights keeps the classifier accurate.
    assert sweep.accuracy[("global", False)][1] > 0.9
    with pytest.raises(ValueError, match="fractions"):
        mask_sweep(net, data, [1.5])
    with pytest.raises(ValueError, match="unknown pruning strategy 'magic'"):
        mask_sweep(net, data, [0.5], strategies=("magic",))
    with pytest.raises(ValueError, match="recipe must be a pruning_lab.nn.train.TrainingRecipe"):
        mask_sweep(net, data, [0.5], recipe={"epochs": 1})


# -- masked training -------------------------------------------------------------------


def masked_net(seed=1, sparsity=0.7):
    torch.manual_seed(seed)
    net = MLP(20, [32, 16], 3)
    return net, masks.random_masks(net, sparsity, generator=seed)


def test_masks_keep_pruned_weights_grads_and_momentum_exactly_zero(data):
    net, m = masked_net()
    assert all(torch.any(net.get_parameter(n)[~mask] != 0) for n, mask in m.items())  # not zero at the start
    buffers = []

    def check(epoch, model, opt):
        for name in m:
            p = model.get_parameter(name)
            buffers.append((name, opt.state[p]["momentum_buffer"].clone(), p.grad.clone()))

    train_classifier(
        net,
        data.X_train,
        data.y_train,
        TrainingRecipe(epochs=3, lr=0.1, momentum=0.9, weight_decay=5e-4, seed=0),
        masks=m,
        on_epoch_end=check,
    )
    assert len(buffers) == 3 * len(m)
    for name, buf, grad in buffers:
        assert torch.all(buf[~m[name]] == 0) and torch.all(grad[~m[name]] == 0)
        assert torch.any(buf[m[name]] != 0) and torch.any(grad[m[name]] != 0)
    for name, mask in m.items():
        w = net.get_parameter(name)
        assert torch.all(w[~mask] == 0) and torch.all(w[mask] != 0)


def test_adam_keeps_pruned_weights_and_moments_exactly_zero_and_uses_the_recipe(data):
    net, m = masked_net()
    seen = []

    def check(epoch, model, opt):
        seen.append(opt)
        for name in m:
            p = model.get_parameter(name)
            state = opt.state[p]
            assert torch.all(state["exp_avg"][~m[name]] == 0) and torch.all(state["exp_avg_sq"][~m[name]] == 0)

    recipe = TrainingRecipe(optimizer="adam", epochs=2, lr=1e-3, momentum=0.8, weight_decay=1e-4, seed=0)
    before = evaluate(net, data.X_train, data.y_train)["loss"]
    train_classifier(net, data.X_train, data.y_train, recipe, masks=m, on_epoch_end=check)
    assert isinstance(seen[0], torch.optim.Adam)
    group = seen[0].param_groups[0]
    assert (group["lr"], group["betas"], group["weight_decay"]) == (1e-3, (0.8, 0.999), 1e-4)
    for name, mask in m.items():
        w = net.get_parameter(name)
        assert torch.all(w[~mask] == 0) and torch.all(w[mask] != 0)
    assert evaluate(net, data.X_train, data.y_train)["loss"] < before  # it trains


def test_all_ones_masks_equal_dense_training_bit_for_bit(data):
    dense, _ = masked_net()
    masked = copy.deepcopy(dense)
    ones = {n: torch.ones_like(w, dtype=torch.bool) for n, w in masks.prunable_parameters(masked, True).items()}
    recipe = TrainingRecipe(epochs=2, lr=0.1, momentum=0.9, weight_decay=5e-4, seed=4, lr_schedule="cosine")
    h_dense = train_classifier(dense, data.X_train, data.y_train, recipe)
    h_masked = train_classifier(masked, data.X_train, data.y_train, recipe, masks=ones)
    assert h_dense == h_masked
    for a, b in zip(dense.parameters(), masked.parameters(), strict=True):
        assert torch.equal(a, b)


def test_masked_training_equals_training_through_torch_prune_hooks(data):
    ours, m = masked_net(seed=2, sparsity=0.8)
    hooked = masks.apply_masks(copy.deepcopy(ours), m)
    recipe = TrainingRecipe(epochs=3, lr=0.1, momentum=0.9, weight_decay=5e-4, seed=1)
    h_ours = train_classifier(ours, data.X_train, data.y_train, recipe, masks=m)
    h_hooked = train_classifier(hooked, data.X_train, data.y_train, recipe)
    np.testing.assert_allclose(h_ours, h_hooked, rtol=1e-5)
    effective = masks.prunable_parameters(hooked)
    for name in m:
        torch.testing.assert_close(ours.get_parameter(name), effective[name], rtol=1e-5, atol=1e-6)
    # masks keyed "0.weight" also work on a hook-pruned model (they refer to weight_orig)
    twice = masks.apply_masks(copy.deepcopy(masked_net(seed=2, sparsity=0.8)[0]), m)
    train_classifier(twice, data.X_train, data.y_train, recipe, masks=m)
    for name in m:
        orig = twice.get_parameter(name + "_orig")
        assert torch.all(orig[~m[name]] == 0)
        torch.testing.assert_close(masks.prunable_parameters(twice)[name], effective[name], rtol=1e-5, atol=1e-6)


def test_identity_transform_changes_nothing_and_sees_each_minibatch(data):
    a, _ = masked_net(seed=3)
    b = copy.deepcopy(a)
    sizes = []

    def identity(xb, generator):
        assert isinstance(generator, torch.Generator)
        sizes.append(xb.shape[0])
        return xb

    recipe = TrainingRecipe(epochs=2, batch_size=64, seed=5)
    train_classifier(a, data.X_train, data.y_train, recipe)
    train_classifier(b, data.X_train, data.y_train, recipe, transform=identity)
    assert sizes == 2 * ([64] * 6 + [16])  # 400 examples
    for pa, pb in zip(a.parameters(), b.parameters(), strict=True):
        assert torch.equal(pa, pb)


def test_sample_weights_all_ones_match_unweighted_and_zero_weights_silence_examples(data):
    recipe = TrainingRecipe(optimizer="adam", lr=1e-3, epochs=2, batch_size=32, seed=2)
    plain = masked_net(seed=4)[0]
    ones = copy.deepcopy(plain)
    zero_a, zero_b = copy.deepcopy(plain), copy.deepcopy(plain)
    h_plain = train_classifier(plain, data.X_train, data.y_train, recipe)
    h_ones = train_classifier(ones, data.X_train, data.y_train, recipe, sample_weight=np.ones(400))
    np.testing.assert_allclose(h_ones, h_plain, rtol=1e-5)
    for a, b in zip(plain.parameters(), ones.parameters(), strict=True):
        torch.testing.assert_close(a, b, rtol=1e-5, atol=1e-6)
    # examples of weight 0 do not move the model: relabelling them changes nothing
    w = np.where(np.arange(400) % 3 == 0, 0.0, 2.5)
    relabelled = np.where(w == 0, (data.y_train + 1) % 3, data.y_train)
    train_classifier(zero_a, data.X_train, data.y_train, recipe, sample_weight=w)
    train_classifier(zero_b, data.X_train, relabelled, recipe, sample_weight=w)
    for a, b in zip(zero_a.parameters(), zero_b.parameters(), strict=True):
        assert torch.equal(a, b)
    assert not torch.equal(zero_a[0].weight, plain[0].weight)


def test_sample_weights_give_the_weighted_mean_gradient(data):
    net = masked_net(seed=5)[0]
    start = copy.deepcopy(net)
    w = np.random.default_rng(0).uniform(0, 3, 400)
    recipe = TrainingRecipe(lr=0.1, momentum=0.0, epochs=1, batch_size=400, seed=0)
    train_classifier(net, data.X_train, data.y_train, recipe, sample_weight=w)
    X, y = torch.as_tensor(data.X_train), torch.as_tensor(data.y_train)
    per_example = torch.nn.functional.cross_entropy(start(X), y, reduction="none")
    (torch.as_tensor(w, dtype=torch.float32) * per_example).sum().div(400).backward()
    for p0, p1 in zip(start.parameters(), net.parameters(), strict=True):
        torch.testing.assert_close(p1, p0.detach() - 0.1 * p0.grad, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("bad", [np.ones(399), -np.ones(400), np.full(400, np.nan), "heavy"])
def test_sample_weights_reject_bad_values(data, bad):
    with pytest.raises(ValueError, match="sample_weight"):
        train_classifier(MLP(20, [8], 3), data.X_train, data.y_train, sample_weight=bad)


def test_cosine_schedule_values_and_agreement_with_torch_scheduler(data):
    assert learning_rate(0, 10, 0.3, "cosine") == 0.3
    assert learning_rate(5, 10, 0.3, "cosine") == pytest.approx(0.15)
    assert learning_rate(10, 10, 0.3, "cosine") == pytest.approx(0.0, abs=1e-15)
    assert learning_rate(7, 10, 0.3, "constant") == 0.3
    ours, _ = masked_net(seed=4)
    ref = copy.deepcopy(ours)
    X, y = torch.as_tensor(data.X_train), torch.as_tensor(data.y_train)
    epochs, bs = 2, 100
    lrs = []
    train_classifier(
        ours,
        X,
        y,
        TrainingRecipe(epochs=epochs, lr=0.2, batch_size=bs, seed=7, lr_schedule="cosine"),
        on_epoch_end=lambda e, m, opt: lrs.append(opt.param_groups[0]["lr"]),
    )
    # independent loop: the same minibatches, torch's CosineAnnealingLR stepped per minibatch
    gen = torch.Generator().manual_seed(7)
    opt = torch.optim.SGD(ref.parameters(), lr=0.2, momentum=0.9)
    total = epochs * math.ceil(X.shape[0] / bs)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=total, eta_min=0.0)
    ref.train()
    for _ in range(epochs):
        order = torch.randperm(X.shape[0], generator=gen)
        for start in range(0, X.shape[0], bs):
            idx = order[start : start + bs]
            opt.zero_grad()
            torch.nn.functional.cross_entropy(ref(X[idx]), y[idx]).backward()
            opt.step()
            sched.step()
    assert sched.get_last_lr()[0] == pytest.approx(0.0, abs=1e-12)  # the schedule ends at 0
    assert lrs[-1] == pytest.approx(learning_rate(total - 1, total, 0.2, "cosine"))
    for pa, pb in zip(ours.parameters(), ref.parameters(), strict=True):
        torch.testing.assert_close(pa, pb, rtol=1e-5, atol=1e-6)


def test_evaluate_matches_direct_computation(data):
    net, _ = masked_net(seed=5)
    train_classifier(net, data.X_train, data.y_train, TrainingRecipe(epochs=1, lr=0.05, seed=0))
    net.train()
    got = evaluate(net, data.X_test, data.y_test, batch_size=7)
    assert net.training  # mode restored
    with torch.no_grad():
        logits = net.eval()(torch.as_tensor(data.X_test))
    y = torch.as_tensor(data.y_test)
    loss = float(torch.nn.functional.cross_entropy(logits, y))
    acc = float((logits.argmax(1) == y).double().mean())
    assert got["loss"] == pytest.approx(loss, rel=1e-5)
    assert got["accuracy"] == pytest.approx(acc) and got["error"] == pytest.approx(1 - acc)
    assert got["accuracy"] == accuracy(net, data.X_test, data.y_test)
    # a manual log-softmax of one example: the loss is -log p(y)
    z = logits[:1].double()
    assert evaluate(net, data.X_test[:1], data.y_test[:1])["loss"] == pytest.approx(
        float(torch.logsumexp(z, 1) - z[0, int(y[0])]), rel=1e-5
    )


def test_masked_training_rejects_bad_inputs(data):
    net, m = masked_net()
    X, y = data.X_train, data.y_train
    with pytest.raises(ValueError, match="mask name 'fc9.weight' is not a parameter"):
        train_classifier(net, X, y, masks={"fc9.weight": m["0.weight"]})
    with pytest.raises(ValueError, match=r"mask for 0.weight has shape \(3, 5\), expected \(32, 20\)"):
        train_classifier(net, X, y, masks={"0.weight": torch.ones(3, 5, dtype=torch.bool)})
    with pytest.raises(ValueError, match="must be boolean"):
        train_classifier(net, X, y, masks={"0.weight": torch.full((32, 20), 0.5)})
    with pytest.raises(ValueError, match="must be a torch.BoolTensor"):
        train_classifier(net, X, y, masks={"0.weight": np.ones((32, 20), bool)})
    with pytest.raises(ValueError, match="masks must be a dict"):
        train_classifier(net, X, y, masks=[m["0.weight"]])
    with pytest.raises(ValueError, match="lr_schedule must be one of constant, cosine"):
        train_classifier(net, X, y, TrainingRecipe(lr_schedule="step"))
    with pytest.raises(ValueError, match=r"momentum must lie in \[0, 1\)"):
        train_classifier(net, X, y, TrainingRecipe(momentum=1.0))
    with pytest.raises(ValueError, match="weight_decay must be finite and >= 0"):
        train_classifier(net, X, y, TrainingRecipe(weight_decay=-1e-4))
    with pytest.raises(ValueError, match="transform must be callable"):
        train_classifier(net, X, y, transform="flip")
    with pytest.raises(ValueError, match="device must name a torch device"):
        train_classifier(net, X, y, device="gpu0")
    with pytest.raises(ValueError, match="epochs must be an integer"):
        train_classifier(net, X, y, TrainingRecipe(epochs=1.5))
    with pytest.raises(ValueError, match="recipe must be a pruning_lab.nn.train.TrainingRecipe"):
        train_classifier(net, X, y, {"epochs": 1})
    with pytest.raises(ValueError, match="model must be a torch.nn.Module"):
        train_classifier("net", X, y)
    with pytest.raises(ValueError, match="total_steps must be an integer"):
        learning_rate(0, 0, 0.1, "cosine")
    with pytest.raises(ValueError, match=r"step must be an integer in 0..10"):
        learning_rate(11, 10, 0.1, "cosine")
    with pytest.raises(ValueError, match="batch_size must be an integer"):
        evaluate(net, X, y, batch_size=0)
    before = copy.deepcopy(net.state_dict())
    with pytest.raises(ValueError, match="mask name"):  # nothing is changed when a later mask is bad
        train_classifier(net, X, y, masks={**m, "9.weight": m["0.weight"]})
    assert all(torch.equal(v, before[k]) for k, v in net.state_dict().items())


def test_zero_pruned_weights_zeroes_exactly_the_masked_entries_and_checks_names():
    from pruning_lab.nn.train import zero_pruned_weights

    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Linear(6, 4), torch.nn.ReLU(), torch.nn.Linear(4, 2))
    before = {k: v.clone() for k, v in model.state_dict().items()}
    mask = torch.rand(4, 6) < 0.5
    assert zero_pruned_weights(model, {"0.weight": mask}) is model
    w = model.state_dict()["0.weight"]
    assert torch.all(w[~mask] == 0) and torch.equal(w[mask], before["0.weight"][mask])
    assert torch.equal(model.state_dict()["2.weight"], before["2.weight"])
    with pytest.raises(ValueError, match="not a parameter"):
        zero_pruned_weights(model, {"1.weight": mask})
    with pytest.raises(ValueError, match="shape"):
        zero_pruned_weights(model, {"0.weight": mask.T})


# -- inputs that used to give silent wrong results or torch-internal errors -----------------
def _tiny():
    torch.manual_seed(0)
    return torch.nn.Sequential(torch.nn.Linear(4, 3))


def _tiny_data(n=10):
    X = np.random.default_rng(0).standard_normal((n, 4)).astype(np.float32)
    return X, np.arange(n) % 3


@pytest.mark.parametrize("bad", [-5, 0, 2.5, True])
def test_accuracy_rejects_a_bad_batch_size_instead_of_returning_zero(bad):
    X, y = _tiny_data()
    with pytest.raises(ValueError, match="batch_size must be an integer >= 1"):
        accuracy(_tiny(), X, y, batch_size=bad)


@pytest.mark.parametrize(
    "X_change, y_change, match",
    [
        (None, lambda y: y + 0.5, "y must hold integer class labels"),
        (lambda X: X + 1j, None, r"X must be an array of real numbers .*complex"),
        (None, lambda y: np.stack([y, y], 1), "y must be a 1-D array of integer class labels"),
        (None, lambda y: y.astype(str), "y must be a 1-D array of integer class labels"),
        (lambda X: X[:, :3], None, r"X \(examples of shape \(3,\), float32\) does not fit the model"),
        (None, lambda y: y + 5, "y contains the label 7 but the model has 3 outputs"),
        (None, lambda y: y - 1, "y must hold class labels >= 0"),
    ],
)
@pytest.mark.parametrize("entry", ["train", "evaluate", "accuracy"])
def test_bad_examples_or_labels_raise_a_value_error_naming_them(entry, X_change, y_change, match):
    X, y = _tiny_data()
    X = X if X_change is None else X_change(X)
    y = y if y_change is None else y_change(y)
    model = _tiny()
    before = copy.deepcopy(model.state_dict())
    call = {
        "train": lambda: train_classifier(model, X, y, TrainingRecipe(epochs=1, batch_size=5)),
        "evaluate": lambda: evaluate(model, X, y),
        "accuracy": lambda: accuracy(model, X, y),
    }[entry]
    with pytest.raises(ValueError, match=match):
        call()
    assert all(torch.equal(before[k], v) for k, v in model.state_dict().items())  # nothing trained


@pytest.mark.parametrize("entry", ["train", "evaluate", "accuracy"])
def test_a_model_on_the_meta_device_is_refused(entry):
    X, y = _tiny_data()
    model = _tiny().to("meta")
    call = {
        "train": lambda: train_classifier(model, X, y, TrainingRecipe(epochs=1)),
        "evaluate": lambda: evaluate(model, X, y),
        "accuracy": lambda: accuracy(model, X, y),
    }[entry]
    with pytest.raises(ValueError, match="model has tensors on the meta device"):
        call()


def test_whole_float_labels_and_torch_inputs_are_still_accepted():
    X, y = _tiny_data()
    model = _tiny()
    a = accuracy(model, X, y)
    assert accuracy(model, torch.as_tensor(X), torch.as_tensor(y)) == a
    assert accuracy(model, X, y.astype(float)) == a
