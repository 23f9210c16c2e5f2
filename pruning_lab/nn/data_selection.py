r"""Choosing which examples to train on: clustering-based sensitivity sampling (DS-1) against uniform sampling.

The image-classification recipe of Axiotis et al. (ICML 2024, arXiv:2402.17327, §5.2.2), scaled to
the 4,000 training digits of :func:`pruning_lab.data.load_mnist`.  For a budget of :math:`k` examples:
(1) train an initial model (the MLP :math:`784\to128\to10`, ReLU, Adam at :math:`10^{-3}`, batch 32,
10 epochs: :data:`~pruning_lab.nn.data_selection.PAPER_RECIPE`) on :math:`k'=\lfloor k/5\rfloor` uniform examples;
(2) embed the pool with its hidden layer, :math:`E(e)=\mathrm{relu}(W_1x_e+b_1)`; (3) DS-1
(:mod:`pruning_lab.selection.sensitivity`): k-means with :math:`k''=\lfloor k/5\rfloor` clusters,
centers snapped to examples, the initial model's :math:`\ell` queried **at the centers only**, and
:math:`k-k'` i.i.d. draws from :math:`p_e\propto\ell(c_e)+\Lambda\lVert E(e)-E(c_e)\rVert^2`
(Hölder exponent :math:`z=2`); (4) train the final model from scratch on the :math:`k` selected
examples.  :math:`\ell` is the cross-entropy (``"loss"``) or the squared norm of the per-example
gradient with respect to all parameters (``"gradient"``); ``"uniform"`` takes :math:`k` examples
uniformly without replacement.  The paper reports, at :math:`k=2000` on full MNIST (100 runs), test
accuracies .9130 (uniform), .9203 (loss) and .9207 (gradient): its numbers, not computed here.  Our
choices are labelled where they are made.  Used in the chapter :doc:`/book/beyond_weights`.
"""

from __future__ import annotations

import copy
import time
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F
from tqdm.auto import tqdm

from ..selection.clustering import kmeans, snap_to_data
from ..selection.sensitivity import WeightedSample, ds1_probabilities
from ..validation import as_rng, check_array, check_int, check_nonnegative
from .models import build_model
from .train import TrainingRecipe, accuracy, train_classifier

__all__ = [
    "PAPER_RECIPE",
    "SELECTION_METHODS",
    "DataSelection",
    "DataSelectionCurve",
    "example_losses",
    "hidden_embeddings",
    "mnist_selection_curve",
    "select_examples",
]

#: The selection methods, uniform sampling and DS-1 with the paper's two losses (cross-entropy, gradient norm).
SELECTION_METHODS = ("uniform", "loss", "gradient")
#: The paper's training recipe of its image experiments (Adam, rate :math:`10^{-3}`, batch 32, 10 epochs).
PAPER_RECIPE = TrainingRecipe(optimizer="adam", lr=1e-3, batch_size=32, epochs=10, momentum=0.9)
#: Hidden width of the paper's MNIST MLP.
HIDDEN = 128


def example_losses(model: torch.nn.Module, X, y, kind: str = "loss") -> np.ndarray:
    r"""Per-example loss of a classifier: cross-entropy or the squared norm of its gradient.

    With logits :math:`z_i=f_\theta(x_i)`: ``"loss"`` gives
    :math:`\ell_i=\log\sum_ce^{z_{ic}}-z_{iy_i}`; ``"gradient"`` gives
    :math:`\lVert\nabla_\theta\ell_i\rVert^2` summed over **all** parameters :math:`\theta`, computed
    exactly for each example (``torch.func.vmap`` of ``torch.func.grad``; tested against a
    backward pass per example and the closed form of a one-hidden-layer MLP).  The model is used as
    it is (in its current train/eval mode) and not changed.  Returns an (n,) float64 array.
    """
    if kind not in ("loss", "gradient"):
        raise ValueError(f"kind must be 'loss' or 'gradient', got {kind!r}")
    X = torch.as_tensor(check_array(X, "X", ndim=(2, 3, 4)), dtype=torch.float32)
    y = torch.as_tensor(np.asarray(y), dtype=torch.long)
    if y.shape != (X.shape[0],):
        raise ValueError(f"y must hold one label per row of X ({X.shape[0]}), got shape {tuple(y.shape)}")
    if kind == "loss":
        with torch.no_grad():
            return F.cross_entropy(model(X), y, reduction="none").double().numpy()
    params = {name: p.detach() for name, p in model.named_parameters()}

    def one(theta, x, t):
        return F.cross_entropy(torch.func.functional_call(model, theta, (x[None],)), t[None])

    grads = torch.func.vmap(torch.func.grad(one), in_dims=(None, 0, 0))(params, X, y)
    return sum(g.flatten(1).square().sum(1, dtype=torch.float64) for g in grads.values()).numpy()


def hidden_embeddings(model: torch.nn.Sequential, X) -> np.ndarray:
    r"""The input of an MLP's last layer, :math:`E(x)=\mathrm{relu}(W_1x+b_1)` for one hidden layer.

    All modules of the ``torch.nn.Sequential`` ``model`` but the last, applied to the rows of the
    2-D ``X`` without gradients: the paper's "last-layer embeddings".  Returns an (n, width) float64 array.
    """
    if not isinstance(model, torch.nn.Sequential) or len(model) < 2:
        raise ValueError(f"model must be a torch.nn.Sequential of two or more modules, got {type(model).__name__}")
    X = torch.as_tensor(check_array(X, "X", ndim=2), dtype=torch.float32)
    with torch.no_grad():
        return torch.nn.Sequential(*list(model)[:-1])(X).double().numpy()


@dataclass(frozen=True)
class DataSelection:
    r"""The training set chosen by one method for a budget of :math:`k` examples.

    Attributes
    ----------
    method : str
        One of :data:`~pruning_lab.nn.data_selection.SELECTION_METHODS`.
    indices : ndarray of int
        The :math:`k` rows to train on, repeats counted: DS-1's :math:`k'` initial rows then its :math:`k-k'`
        draws (with replacement, so rows may repeat); ``"uniform"``'s :math:`k` distinct rows.
    weights : ndarray
        Their importance weights, :math:`n/k` for an initial row and :math:`1/(k\,p_e)` for a draw (so
        :math:`\sum_jw_j\ell_{i_j}` is unbiased for :math:`\sum_{e\in D}\ell(e)`; our reconstruction),
        then scaled to mean 1; all ones for ``"uniform"``.
    initial, queried : ndarray of int
        The :math:`k'` rows the initial model was trained on, and the rows where :math:`\ell` was
        queried (the snapped centers, at most :math:`k''`); both empty for ``"uniform"``.
    probabilities : ndarray
        The sampling distribution :math:`p` over the pool (:math:`1/n` for ``"uniform"``).
    holder_share : float
        Fraction of the mass :math:`Z` from the Hölder term :math:`\Lambda\lVert e-c_e\rVert^2` (0 for ``"uniform"``).
    """

    method: str
    indices: np.ndarray
    weights: np.ndarray
    initial: np.ndarray
    queried: np.ndarray
    probabilities: np.ndarray
    holder_share: float


def _mlp(features, classes, seed):
    return build_model("fc2", HIDDEN, num_classes=classes, in_features=features, seed=int(seed))


def _nearest(E, C):
    """Index of the nearest row of ``C`` for each row of ``E`` (squared distances as in k-means)."""
    d = (E * E).sum(1)[:, None] - 2.0 * E @ C.T + (C * C).sum(1)[None, :]
    return np.maximum(d, 0.0).argmin(1)


def _ds1_shared_clusters(E, losses_at: dict, k: int, s: int, *, holder: float, seed, iters: int = 100):
    """``{name: ds1_sample(E, losses_at[name], k, s, holder=holder, z=2, seed=seed, iters=iters)}`` (tested)
    with one clustering for all losses and the same random numbers for the draws of each."""
    rng = as_rng(seed)
    centers, _ = kmeans(E, k, seed=rng, iters=iters)
    rows = snap_to_data(E, centers)
    labels = _nearest(E, E[rows])
    out = {}
    for name, fn in losses_at.items():
        p = ds1_probabilities(E, rows, labels, fn(rows.copy()), holder=holder, z=2.0)
        draws = copy.deepcopy(rng).choice(E.shape[0], size=s, p=p)
        out[name] = WeightedSample(draws, 1.0 / (s * p[draws]), p, rows)
    return out


def _check_common(methods, seed, holder, recipe):
    methods = (methods,) if isinstance(methods, str) else tuple(methods)
    if not methods or len(set(methods)) != len(methods) or any(m not in SELECTION_METHODS for m in methods):
        raise ValueError(f"methods must be distinct names from {SELECTION_METHODS}, got {methods!r}")
    if not isinstance(recipe, TrainingRecipe):
        raise ValueError(f"recipe must be a pruning_lab.nn.train.TrainingRecipe, got {type(recipe).__name__}")
    return methods, check_int(seed, "seed", 0), check_nonnegative(holder, "holder")


def _check_pool(X, y):
    X = check_array(X, "X", ndim=2).astype(np.float32)
    y = np.asarray(y)
    if y.shape != (X.shape[0],) or not np.issubdtype(y.dtype, np.integer) or X.shape[0] == 0 or y.min() < 0:
        raise ValueError(f"y must hold one label >= 0 per row of X ({X.shape[0]}), got {y.dtype} {y.shape}")
    return X, y.astype(np.int64)


def _ds1_selections(model, X, y, initial, k, methods, holder, seed):
    """The DS-1 ``DataSelection`` of each method, from the initial model and its training rows."""
    n, k1 = X.shape[0], len(initial)
    E = hidden_embeddings(model, X)
    E = E / max(np.sqrt(((E - E.mean(0)) ** 2).sum(1).mean()), np.finfo(float).tiny)
    queried = {}

    def normalized(kind):
        def losses_at(rows):
            losses = example_losses(model, X[rows], y[rows], kind)
            queried[kind] = losses / losses.mean() if losses.mean() > 0 else losses
            return queried[kind]

        return losses_at

    fns = {m: normalized(m) for m in methods}
    out = {}
    for m, sample in _ds1_shared_clusters(E, fns, k1, k - k1, holder=holder, seed=seed).items():
        w = np.concatenate([np.full(k1, n / k), sample.weights * (k - k1) / k])
        labels = _nearest(E, E[sample.centers])
        extrapolated = holder * ((E - E[sample.centers][labels]) ** 2).sum()
        share = float(extrapolated / (queried[m][labels].sum() + extrapolated))
        indices = np.concatenate([initial, sample.indices])
        out[m] = DataSelection(m, indices, w / w.mean(), initial, sample.centers, sample.probabilities, share)
    return out


def select_examples(
    X, y, k: int, methods=SELECTION_METHODS, *, seed: int = 0, holder: float = 1.0, recipe=PAPER_RECIPE
):
    r"""The training sets of :math:`k` examples chosen by each method for one draw, paired.

    The steps of :mod:`pruning_lab.nn.data_selection`.  One seed fixes a permutation :math:`\pi`
    of the pool: ``"uniform"`` takes :math:`\pi_1..\pi_k`; the one initial model of ``"loss"`` and
    ``"gradient"`` is trained on :math:`\pi_1..\pi_{k'}`; both DS-1 methods share the clustering
    and the random numbers of their draws and differ only in :math:`\ell` (our choice, for paired
    comparisons).  The draws come from the whole pool (an initial example may be drawn again).
    One Hölder constant :math:`\Lambda` = ``holder``, in **normalized units** (our choice): the
    embeddings are divided by their root mean squared distance to their mean and the queried
    losses by their mean, so that one value serves both losses and every :math:`k`.  The default
    :math:`\Lambda=1` (our choice, not tuned on test accuracy) gives the Hölder term a quarter to
    two fifths of the mass on MNIST (``holder_share``); ``holder=0`` samples by the centers'
    losses alone.  Not implemented: the paper's per-cluster :math:`\Lambda_i` and multiple rounds.

    Parameters
    ----------
    X, y : ndarray of shape (n, d) and (n,)
        The pool: inputs (finite) and integer labels.
    k : int
        The budget, in ``1..n``; at least 5 for DS-1 (:math:`k'=k''=\lfloor k/5\rfloor\ge1`).
    methods : sequence of str
        Distinct names from :data:`~pruning_lab.nn.data_selection.SELECTION_METHODS`.
    seed : int
        Seed of the permutation, the initial model (weights and minibatch order) and DS-1.
    holder : float
        The Hölder constant :math:`\Lambda\ge0` in normalized units.
    recipe : TrainingRecipe
        How the initial model is trained (its ``seed`` is replaced by one derived from ``seed``).

    Returns
    -------
    dict of str to DataSelection
        One :class:`~pruning_lab.nn.data_selection.DataSelection` per method, in the order of ``methods``.
    """
    X, y = _check_pool(X, y)
    n = X.shape[0]
    methods, seed, holder = _check_common(methods, seed, holder, recipe)
    k = check_int(k, "k", 1, n)
    ds = [m for m in methods if m != "uniform"]
    if ds and k < 5:
        raise ValueError(f"k must be >= 5 for {ds} (k' = k // 5 initial examples and clusters), got {k}")
    perm_seed, init_seed, order_seed, ds_seed = np.random.SeedSequence([seed, 7]).generate_state(4)
    perm = np.random.default_rng(perm_seed).permutation(n)
    empty = np.zeros(0, dtype=int)
    out = {"uniform": DataSelection("uniform", perm[:k], np.ones(k), empty, empty, np.full(n, 1.0 / n), 0.0)}
    if ds:
        model = _mlp(X.shape[1], int(y.max()) + 1, init_seed)
        train_classifier(model, X[perm[: k // 5]], y[perm[: k // 5]], recipe.replace(seed=int(order_seed)))
        out.update(_ds1_selections(model, X, y, perm[: k // 5], k, ds, holder, ds_seed))
    return {m: out[m] for m in methods}


@dataclass(frozen=True)
class DataSelectionCurve:
    r"""Test accuracy against the budget :math:`k` for each selection method, over paired draws.

    Draw :math:`i` of every method and size shares its seeds (the permutation of the pool, so the
    initial model and uniform examples; DS-1's clustering and random numbers; the final model's
    initial weights and minibatch order): differences within a draw are paired
    (:meth:`~pruning_lab.nn.data_selection.DataSelectionCurve.difference`).

    Attributes
    ----------
    methods, sizes : tuple
        The methods (rows of the arrays) and the budgets :math:`k` (columns).
    accuracy, distinct : ndarray
        Per method, size and draw: test accuracy of the final model; distinct examples among its :math:`k`.
    mean, se : ndarray
        Per method and size: mean accuracy over the draws; standard error :math:`\mathrm{sd}/\sqrt{\mathrm{draws}}`.
    seconds : ndarray
        Wall-clock time of each draw (all sizes and methods; the only field that depends on the machine).
    weighted, holder : bool, float
        Whether importance weights were used; the Hölder constant (normalized units).
    """

    methods: tuple
    sizes: tuple
    accuracy: np.ndarray
    distinct: np.ndarray
    mean: np.ndarray
    se: np.ndarray
    seconds: np.ndarray
    weighted: bool
    holder: float

    def difference(self, method: str, baseline: str = "uniform") -> tuple:
        r"""Seed-paired difference ``method - baseline`` of the accuracy: mean and standard error per size.

        With :math:`d_i=a_i^{\text{method}}-a_i^{\text{baseline}}` over the draws :math:`i`, returns
        :math:`(\bar d,\ \mathrm{sd}(d)/\sqrt{\mathrm{draws}})`, two arrays over ``sizes``.
        """
        for name, value in (("method", method), ("baseline", baseline)):
            if value not in self.methods:
                raise ValueError(f"{name} must be one of {self.methods}, got {value!r}")
        d = self.accuracy[self.methods.index(method)] - self.accuracy[self.methods.index(baseline)]
        return d.mean(1), _standard_error(d)


def _standard_error(a):
    return a.std(-1, ddof=1) / np.sqrt(a.shape[-1]) if a.shape[-1] > 1 else np.full(a.shape[:-1], np.nan)


def _check_sizes(sizes, n, methods):
    low = 5 if any(m != "uniform" for m in methods) else 1
    what = f"sizes (distinct budgets in {low}..{n}, the pool's size)"
    sizes = tuple(np.atleast_1d(np.asarray(sizes, dtype=object)).tolist())
    if not sizes or len(set(sizes)) != len(sizes):
        raise ValueError(f"{what} must not be empty or repeat a budget, got {sizes!r}")
    return tuple(check_int(k, what, low, n) for k in sizes)


def _train_and_test(data, selection, recipe, model_seed, weighted):
    idx, model = selection.indices, _mlp(data.X_train.shape[1], data.n_classes, model_seed)
    weights = selection.weights if weighted and selection.method != "uniform" else None  # uniform: all ones
    train_classifier(model, data.X_train[idx], data.y_train[idx], recipe, sample_weight=weights)
    return accuracy(model, data.X_test, data.y_test)


def mnist_selection_curve(
    sizes=(100, 200, 400, 800),
    methods=SELECTION_METHODS,
    draws: int = 10,
    seed: int = 0,
    *,
    holder: float = 1.0,
    weighted: bool = False,
    recipe: TrainingRecipe = PAPER_RECIPE,
    data=None,
    progress: bool = False,
) -> DataSelectionCurve:
    r"""Test accuracy of the MLP trained on :math:`k` selected MNIST digits, per method and budget.

    For each draw and budget :math:`k`: :func:`~pruning_lab.nn.data_selection.select_examples` on the 4,000
    training digits of :func:`pruning_lab.data.load_mnist`, then per method the MLP :math:`784\to128\to10` trained from
    scratch by ``recipe`` on the selected examples, and its accuracy on the 1,000 held-out digits.
    By default **without** importance weights (mean cross-entropy over the :math:`k` examples,
    repeats counted): the paper's image experiments train on the selected subset and mention no
    weights (our reading); ``weighted=True`` uses the selections' ``weights``.  Runs on one
    torch thread (the caller's setting restored); the same arguments give the same accuracies.
    Scaled from the paper: a pool of 4,000 digits (not 60,000), :math:`k` = 100..800 (not
    1,000..5,000), 10 draws (not 100).

    Parameters
    ----------
    sizes : sequence of int
        Distinct budgets :math:`k` in ``1..4000`` (at least 5 with a DS-1 method).
    methods : sequence of str
        Distinct names from :data:`~pruning_lab.nn.data_selection.SELECTION_METHODS`.
    draws : int
        Number of paired draws, >= 1.
    seed : int
        Seed of the whole curve; draw :math:`i` uses seeds derived from ``(seed, i)``.
    holder : float
        Hölder constant of DS-1 in normalized units (see :func:`~pruning_lab.nn.data_selection.select_examples`).
    weighted : bool
        Train the final DS-1 models with the importance weights (``"uniform"`` has unit weights).
    recipe : TrainingRecipe
        Training of the initial and final models (its ``seed`` replaced by seeds derived from ``seed``).
    data : Dataset, optional
        Pool (``X_train``, ``y_train``) and test set; default ``load_mnist()``.
    progress : bool
        Show a ``tqdm`` bar over the draws.

    Returns
    -------
    DataSelectionCurve
        Accuracies per method, size and draw with their means and standard errors.
    """
    from ..data import Dataset, load_mnist

    methods, seed, holder = _check_common(methods, seed, holder, recipe)
    draws = check_int(draws, "draws", 1)
    data = load_mnist() if data is None else data
    if not isinstance(data, Dataset):
        raise ValueError(f"data must be a pruning_lab.data.Dataset or None, got {type(data).__name__}")
    sizes = _check_sizes(sizes, data.X_train.shape[0], methods)
    acc = np.zeros((len(methods), len(sizes), draws))
    distinct = np.zeros(acc.shape, dtype=int)
    seconds = np.zeros(draws)
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        for i in tqdm(range(draws), desc="draws", disable=not progress):
            start = time.perf_counter()
            draw_seed, model_seed, order_seed = np.random.SeedSequence([seed, i]).generate_state(3)
            final = recipe.replace(seed=int(order_seed))
            for j, k in enumerate(sizes):
                chosen = select_examples(
                    data.X_train, data.y_train, k, methods, seed=int(draw_seed), holder=holder, recipe=recipe
                )
                for m, name in enumerate(methods):
                    acc[m, j, i] = _train_and_test(data, chosen[name], final, model_seed, weighted)
                    distinct[m, j, i] = np.unique(chosen[name].indices).size
            seconds[i] = time.perf_counter() - start
    finally:
        torch.set_num_threads(threads)
    return DataSelectionCurve(
        methods, sizes, acc, distinct, acc.mean(2), _standard_error(acc), seconds, bool(weighted), holder
    )
