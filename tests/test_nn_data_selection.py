"""Tests of pruning_lab.nn.data_selection: per-example losses, DS-1 selections against uniform, the MNIST curve."""

import dataclasses

import numpy as np
import pytest

torch = pytest.importorskip("torch")

import torch.nn.functional as F  # noqa: E402

from pruning_lab.nn import data_selection as D  # noqa: E402
from pruning_lab.nn.models import MLP  # noqa: E402
from pruning_lab.selection.sensitivity import ds1_sample  # noqa: E402

FAST = D.PAPER_RECIPE.replace(epochs=2)


@pytest.fixture(scope="module")
def pool(mnist):
    """800 of the 4,000 training digits (every fifth), all classes."""
    return mnist.X_train[::5], mnist.y_train[::5]


def small_net(seed=0, hidden=(7,)):
    torch.manual_seed(seed)
    return MLP(12, list(hidden), 4)


def small_data(n=30, seed=0):
    rng = np.random.default_rng(seed)
    return rng.standard_normal((n, 12)).astype(np.float32), rng.integers(0, 4, n)


# ----------------------------------------------------------------------------------------------
# per-example losses and embeddings


def test_example_losses_match_a_backward_pass_per_example_and_the_closed_form():
    net, (X, y) = small_net(), small_data()
    before = [p.detach().clone() for p in net.parameters()]
    loss, grad = D.example_losses(net, X, y, "loss"), D.example_losses(net, X, y, "gradient")
    Xt, yt = torch.as_tensor(X), torch.as_tensor(y)
    for i in range(len(X)):
        net.zero_grad()
        value = F.cross_entropy(net(Xt[i : i + 1]), yt[i : i + 1])
        value.backward()
        assert loss[i] == pytest.approx(value.item(), rel=1e-6)
        assert grad[i] == pytest.approx(sum(float((p.grad.double() ** 2).sum()) for p in net.parameters()), rel=1e-5)
    # closed form of one hidden layer: |d2|^2 (|h|^2 + 1) + |d1|^2 (|x|^2 + 1)
    W1, b1, W2, b2 = (p.detach().double() for p in net.parameters())
    x = Xt.double()
    a = x @ W1.T + b1
    h = a.clamp(min=0)
    d2 = torch.softmax(h @ W2.T + b2, 1) - F.one_hot(yt, 4).double()
    d1 = (d2 @ W2) * (a > 0)
    closed = (d2**2).sum(1) * ((h**2).sum(1) + 1) + (d1**2).sum(1) * ((x**2).sum(1) + 1)
    np.testing.assert_allclose(grad, closed.numpy(), rtol=1e-5)
    assert all(torch.equal(p, q) for p, q in zip(net.parameters(), before, strict=True))  # unchanged


def test_example_losses_reject_bad_inputs():
    net, (X, y) = small_net(), small_data()
    with pytest.raises(ValueError, match="kind"):
        D.example_losses(net, X, y, "hessian")
    with pytest.raises(ValueError, match="y"):
        D.example_losses(net, X, y[:-1])


def test_hidden_embeddings_are_the_input_of_the_last_layer():
    X, _ = small_data()
    net = small_net(hidden=(7, 5))
    x = torch.as_tensor(X).double()
    W1, b1, W2, b2 = (p.detach().double() for p in list(net.parameters())[:4])
    expected = ((x @ W1.T + b1).clamp(min=0) @ W2.T + b2).clamp(min=0)
    np.testing.assert_allclose(D.hidden_embeddings(net, X), expected.numpy(), rtol=1e-5, atol=1e-6)
    with pytest.raises(ValueError, match="model"):
        D.hidden_embeddings(torch.nn.Linear(12, 4), X)


# ----------------------------------------------------------------------------------------------
# DS-1 selections


def test_one_clustering_for_several_losses_equals_ds1_sample_for_each():
    rng = np.random.default_rng(0)
    E = np.repeat(rng.normal(0, 5, (6, 4)), 40, axis=0) + rng.standard_normal((240, 4))
    values = {"a": rng.uniform(0, 2, 240), "b": rng.uniform(0, 2, 240) ** 3}
    fns = {name: (lambda rows, v=v: v[rows]) for name, v in values.items()}
    shared = D._ds1_shared_clusters(E, fns, 8, 50, holder=0.7, seed=3)
    for name, fn in fns.items():
        alone = ds1_sample(E, fn, 8, 50, holder=0.7, z=2.0, seed=3)
        for field in ("indices", "weights", "probabilities", "centers"):
            np.testing.assert_array_equal(getattr(shared[name], field), getattr(alone, field))
    assert not np.array_equal(shared["a"].probabilities, shared["b"].probabilities)


def test_selections_have_k_rows_paired_initial_sets_and_unbiased_weights(pool):
    X, y = pool
    n, k = len(X), 60
    sel = D.select_examples(X, y, k, seed=1, recipe=FAST)
    assert list(sel) == list(D.SELECTION_METHODS)
    uniform = sel["uniform"]
    assert len(np.unique(uniform.indices)) == k and uniform.indices.max() < n  # without replacement
    np.testing.assert_array_equal(uniform.weights, np.ones(k))
    for method in ("loss", "gradient"):
        s = sel[method]
        assert s.indices.shape == s.weights.shape == (k,) and 0 <= s.indices.min() and s.indices.max() < n
        np.testing.assert_array_equal(s.initial, uniform.indices[: k // 5])  # the same k' uniform rows
        np.testing.assert_array_equal(s.indices[: k // 5], s.initial)
        assert 1 <= len(s.queried) <= k // 5 and s.weights.mean() == pytest.approx(1.0)
        assert s.probabilities.sum() == pytest.approx(1.0) and s.probabilities.min() >= 0
        # a draw weighs 1/(k p_e), an initial row n/k: their ratio is 1/(n p_e)
        ratio = s.weights[k // 5 :] / s.weights[0]
        np.testing.assert_allclose(ratio, 1.0 / (n * s.probabilities[s.indices[k // 5 :]]), rtol=1e-10)
        assert 0 < s.holder_share < 1
    np.testing.assert_array_equal(sel["loss"].queried, sel["gradient"].queried)  # one clustering


def test_selections_query_the_loss_only_at_the_centers(pool, monkeypatch):
    X, y = pool
    calls, real = [], D.example_losses

    def counting(model, Xq, yq, kind="loss"):
        calls.append((kind, np.array(Xq)))
        return real(model, Xq, yq, kind)

    monkeypatch.setattr(D, "example_losses", counting)
    sel = D.select_examples(X, y, 60, seed=0, recipe=FAST)
    assert [kind for kind, _ in calls] == ["loss", "gradient"]  # one query per loss
    for kind, Xq in calls:
        assert len(Xq) == len(sel[kind].queried) <= 60 // 5
        np.testing.assert_array_equal(Xq, X[sel[kind].queried])
    D.select_examples(X, y, 60, methods=("uniform",), seed=0, recipe=FAST)
    assert len(calls) == 2  # uniform sampling queries nothing


def test_holder_zero_samples_by_the_centers_losses_alone(pool):
    X, y = pool
    s = D.select_examples(X, y, 60, methods=("loss",), seed=2, holder=0.0, recipe=FAST)["loss"]
    assert s.holder_share == 0.0
    center_p = s.probabilities[s.queried]
    assert np.all(np.isclose(s.probabilities[:, None], center_p[None, :], rtol=1e-12, atol=0).any(1))


def test_selections_are_deterministic_and_seeded(pool):
    X, y = pool
    a, b = (D.select_examples(X, y, 40, seed=5, recipe=FAST) for _ in range(2))
    c = D.select_examples(X, y, 40, seed=6, recipe=FAST)
    for method in D.SELECTION_METHODS:
        for field in dataclasses.fields(D.DataSelection):
            assert np.array_equal(getattr(a[method], field.name), getattr(b[method], field.name))
        assert not np.array_equal(a[method].indices, c[method].indices)


@pytest.mark.parametrize(
    "kwargs, match",
    [
        (dict(k=4), "k must be >= 5"),
        (dict(k=801), "k must be"),
        (dict(methods=("random",)), "methods"),
        (dict(methods=("loss", "loss")), "methods"),
        (dict(holder=-1.0), "holder"),
        (dict(seed=-1), "seed"),
        (dict(recipe="adam"), "recipe"),
    ],
)
def test_select_examples_rejects_bad_inputs(pool, kwargs, match):
    X, y = pool
    with pytest.raises(ValueError, match=match):
        D.select_examples(X, y, **{"k": 60, **kwargs})


def test_select_examples_checks_the_pool(pool):
    X, y = pool
    with pytest.raises(ValueError, match="y must"):
        D.select_examples(X, y[:-1], 60)
    assert len(D.select_examples(X, y, 3, methods=("uniform",))["uniform"].indices) == 3  # k < 5 without DS-1


# ----------------------------------------------------------------------------------------------
# the curve


def test_a_small_curve_returns_what_it_documents(mnist):
    c = D.mnist_selection_curve(sizes=(10, 20), draws=2, seed=0, recipe=FAST, data=mnist)
    assert c.methods == D.SELECTION_METHODS and c.sizes == (10, 20) and c.accuracy.shape == (3, 2, 2)
    np.testing.assert_allclose(c.accuracy * 1000, np.round(c.accuracy * 1000))  # counts over 1,000 test digits
    np.testing.assert_array_equal(c.mean, c.accuracy.mean(2))
    np.testing.assert_allclose(c.se, c.accuracy.std(2, ddof=1) / np.sqrt(2))
    np.testing.assert_array_equal(c.distinct[0], [[10, 10], [20, 20]])
    assert np.all(c.distinct[1:] <= np.array([10, 20])[:, None]) and np.all(c.distinct >= 1)
    assert c.seconds.shape == (2,) and np.all(c.seconds > 0) and not c.weighted
    mean, se = c.difference("loss")
    d = c.accuracy[1] - c.accuracy[0]
    np.testing.assert_allclose(mean, d.mean(1))
    np.testing.assert_allclose(se, d.std(1, ddof=1) / np.sqrt(2))
    with pytest.raises(ValueError, match="method"):
        c.difference("coreset")
    # the same seed gives the same curve; a method's numbers do not depend on the others (paired draws)
    again = D.mnist_selection_curve(sizes=(10, 20), draws=2, seed=0, recipe=FAST, data=mnist)
    np.testing.assert_array_equal(again.accuracy, c.accuracy)
    part = D.mnist_selection_curve(sizes=(10, 20), methods=("gradient", "uniform"), draws=2, recipe=FAST, data=mnist)
    np.testing.assert_array_equal(part.accuracy, c.accuracy[[2, 0]])
    weighted = D.mnist_selection_curve(sizes=(10, 20), draws=2, recipe=FAST, data=mnist, weighted=True)
    np.testing.assert_array_equal(weighted.accuracy[0], c.accuracy[0])  # uniform has unit weights
    assert weighted.weighted and not np.array_equal(weighted.accuracy[1:], c.accuracy[1:])


@pytest.mark.parametrize(
    "kwargs, match",
    [
        (dict(sizes=(100, 4001)), "sizes"),
        (dict(sizes=(4,)), "sizes"),
        (dict(sizes=()), "sizes"),
        (dict(sizes=(10, 10)), "sizes"),
        (dict(methods=("coreset",)), "methods"),
        (dict(draws=0), "draws"),
        (dict(holder=float("nan")), "holder"),
        (dict(data="mnist"), "data"),
    ],
)
def test_the_curve_rejects_bad_inputs(mnist, kwargs, match):
    with pytest.raises(ValueError, match=match):
        D.mnist_selection_curve(**{"data": mnist, **kwargs})
