r"""The Greedy PIG experiments: feature selection with a known support, and attribution on MNIST digits.

Greedy PIG (our reconstruction, in the spirit of Axiotis et al., 2023, arXiv:2311.06192;
:func:`~pruning_lab.selection.attribution.greedy_pig`) against one-shot integrated gradients and other
baselines, in two seeded experiments that keep every per-draw (per-image) score, so differences pair:

* :func:`feature_selection_experiment`: post-hoc feature selection on a synthetic regression with a
  planted support, correlated features and proxy decoys (:class:`ProxyDesign`, our design), where the set
  function is the fit of the least-squares model as a function of a feature mask
  (:class:`~pruning_lab.selection.attribution_models.FeatureMaskObjective`, our design), scored by the
  recovery rate of the true support and the objective reached;
* :func:`mnist_attribution_experiment`: orderings of the ink pixels of test digits by integrated gradients,
  Greedy PIG and at random, scored by Softmax-AUC, KL-AUC and insertion/deletion areas.

Numpy only.  Used in the chapter :doc:`/book/beyond_weights`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..data import load_mnist
from ..sparse.greedy import omp
from ..validation import as_rng, check_array, check_int, check_nonnegative
from .attribution import deletion_curve, greedy_pig, ig_topk, insertion_curve, kl_auc, recovery_rate, softmax_auc
from .attribution_models import FeatureMaskObjective, OneHiddenLayerMLP, SoftmaxRegression

__all__ = [
    "FEATURE_METRICS",
    "MNIST_METRICS",
    "FeatureSelectionResult",
    "MnistAttributionResult",
    "ProxyDesign",
    "ScoreTable",
    "feature_selection_experiment",
    "mnist_attribution_experiment",
]

#: Scores of :func:`feature_selection_experiment` (higher is better for all three).
FEATURE_METRICS = ("recovery", "mask_r2", "refit_r2")
#: Scores of :func:`mnist_attribution_experiment` (higher is better for the first and third).
MNIST_METRICS = ("softmax_auc", "kl_auc", "insertion_auc", "deletion_auc")


@dataclass(frozen=True)
class ScoreTable:
    r"""Scores of several methods on the same draws (or images), with means, standard errors and paired differences.

    Attributes
    ----------
    methods : tuple of str
        The methods, in the order of ``values``' second axis.
    metrics : tuple of str
        The scores, in the order of ``values``' third axis.
    values : ndarray
        Shape (draws, methods, metrics): every score of every method on every draw; draw r of two
        methods used the same data (or image), so their difference is paired.
    """

    methods: tuple
    metrics: tuple
    values: np.ndarray

    @property
    def mean(self):
        """Mean over the draws, shape (methods, metrics)."""
        return self.values.mean(axis=0)

    @property
    def se(self):
        r"""Standard error of the mean, :math:`s/\sqrt{\text{draws}}` (s with ddof=1), shape (methods, metrics)."""
        return self.values.std(axis=0, ddof=1) / np.sqrt(self.values.shape[0])

    def _index(self, method, name):
        if method not in self.methods:
            raise ValueError(f"{name} must be one of {self.methods}, got {method!r}")
        return self.methods.index(method)

    def difference(self, method, reference):
        r"""Paired difference ``method`` − ``reference``: its mean and standard error over the draws, per metric.

        With :math:`D_r=v_r(\text{method})-v_r(\text{reference})` on draw r, returns
        ``(mean, se)``, each of shape (metrics,): :math:`\bar D` and :math:`s_D/\sqrt{\text{draws}}`.
        """
        D = self.values[:, self._index(method, "method")] - self.values[:, self._index(reference, "reference")]
        return D.mean(axis=0), D.std(axis=0, ddof=1) / np.sqrt(D.shape[0])

    def summary(self, digits=3):
        """A plain-text table, one row per method, of ``mean ± se`` for every metric."""
        digits = check_int(digits, "digits", low=0)
        width, cell = max(len(m) for m in self.methods), f"{digits + 5}.{digits}f"
        rows = ["  ".join([" " * width] + [f"{m:>{2 * digits + 9}}" for m in self.metrics])]
        for method, mean, se in zip(self.methods, self.mean, self.se, strict=True):
            cells = [f"{m:{cell}} ± {e:.{digits}f}" for m, e in zip(mean, se, strict=True)]
            rows.append("  ".join([f"{method:<{width}}"] + cells))
        return "\n".join(rows)


@dataclass(frozen=True)
class FeatureSelectionResult(ScoreTable):
    r"""The output of :func:`feature_selection_experiment`: a :class:`ScoreTable` and the selections.

    Attributes
    ----------
    supports : ndarray of int
        Shape (draws, k): the true support :math:`S^*` of each draw (sorted).
    selected : ndarray of int
        Shape (draws, methods, k): the k features each method selected (in selection order where there is one).
    """

    supports: np.ndarray
    selected: np.ndarray


@dataclass(frozen=True)
class MnistAttributionResult(ScoreTable):
    r"""The output of :func:`mnist_attribution_experiment`: a :class:`ScoreTable` and what was attributed.

    Attributes
    ----------
    images : ndarray of int
        The test images used (indices into ``X_test``), one per draw.
    targets : ndarray of int
        The predicted class of each image (the attributed class).
    ink : ndarray of int
        The number of pixels of each image that differ from the black baseline (the ranked pixels).
    test_accuracy : float
        The fitted model's accuracy on the whole test set.
    """

    images: np.ndarray
    targets: np.ndarray
    ink: np.ndarray
    test_accuracy: float


@dataclass(frozen=True)
class ProxyDesign:
    r"""A sparse linear regression with correlated features and proxy decoys (our design).

    ``n_true + n_noise`` base features are equicorrelated Gaussians,
    :math:`z_j=\sqrt{1-\rho}\,e_j+\sqrt\rho\,g` (unit variance, pairwise correlation :math:`\rho`); the target
    is :math:`y=\sum_{i\in S^*}\beta_iz_i+\sigma\varepsilon` on the ``n_true`` true features, with
    :math:`\lvert\beta_i\rvert\sim U[0.5,1.5]` and random signs (``signs=True``) or positive ones.  Each of
    the ``n_proxy`` decoys tracks the contribution of two random true features a, b,
    :math:`(\beta_az_a+\beta_bz_b)/\sqrt{\beta_a^2+\beta_b^2}+\tau\,\varepsilon'`
    (:math:`\tau` = ``proxy_noise``), so it is more correlated with :math:`y` than either of them, yet not
    in :math:`S^*`.  Correlation with mixed signs makes true features complements (suppressors); proxies
    make features redundant with each other.  The columns are shuffled.
    """

    n_true: int = 6
    n_noise: int = 14
    n_proxy: int = 10
    rho: float = 0.5
    noise: float = 1.0
    proxy_noise: float = 0.3
    signs: bool = True

    def __post_init__(self):
        for name, low in (("n_true", 1), ("n_noise", 0), ("n_proxy", 0)):
            check_int(getattr(self, name), name, low=low)
        if self.n_proxy and self.n_true < 2:
            raise ValueError(f"n_true must be at least 2 when there are proxies, got {self.n_true}")
        if not 0.0 <= float(self.rho) < 1.0:
            raise ValueError(f"rho must lie in [0, 1), got {self.rho}")
        for name in ("noise", "proxy_noise"):
            check_nonnegative(getattr(self, name), name)
        if not isinstance(self.signs, bool):
            raise TypeError(f"signs must be a bool, got {type(self.signs).__name__}")

    @property
    def d(self):
        """Number of features, ``n_true + n_noise + n_proxy``."""
        return self.n_true + self.n_noise + self.n_proxy

    def sample(self, n, rng=None):
        r"""Draw ``n`` rows: returns ``(X, y, support, beta)``.

        ``X`` (n, d) and ``y`` (n,) as described in the class; ``support`` the sorted column indices of
        :math:`S^*`; ``beta`` (d,) the coefficients of :math:`y` on the columns (zero off the support).
        """
        n = check_int(n, "n", low=2)
        rng = as_rng(rng)
        base = self.n_true + self.n_noise
        Z = np.sqrt(1 - self.rho) * rng.standard_normal((n, base)) + np.sqrt(self.rho) * rng.standard_normal((n, 1))
        beta = rng.uniform(0.5, 1.5, self.n_true) * (rng.choice([-1.0, 1.0], self.n_true) if self.signs else 1.0)
        proxies = []
        for _ in range(self.n_proxy):
            a, b = rng.choice(self.n_true, 2, replace=False)
            signal = (beta[a] * Z[:, a] + beta[b] * Z[:, b]) / np.hypot(beta[a], beta[b])
            proxies.append(signal + self.proxy_noise * rng.standard_normal(n))
        y = Z[:, : self.n_true] @ beta + self.noise * rng.standard_normal(n)
        X = np.column_stack([Z, *proxies]) if proxies else Z
        perm = rng.permutation(self.d)
        coef = np.zeros(self.d)
        coef[: self.n_true] = beta
        return X[:, perm], y, np.flatnonzero(perm < self.n_true), coef[perm]


def _check_rounds(per_round):
    if not isinstance(per_round, (tuple, list)) or not per_round or len(set(per_round)) != len(per_round):
        raise ValueError(f"per_round must be a non-empty tuple of distinct positive ints, got {per_round!r}")
    return tuple(check_int(z, "per_round", low=1) for z in per_round)


def _exact_greedy(objective, k):
    """Greedy maximization of G over sets: add the feature with the largest exact gain, k times."""
    mask, chosen = np.zeros(objective.X.shape[1]), []
    for _ in range(k):
        values = objective.output(np.maximum(mask, np.eye(mask.size)))  # row i: the mask plus feature i
        chosen.append(int(np.argmax(np.where(mask == 0, values, -np.inf))))
        mask[chosen[-1]] = 1.0
    return np.array(chosen)


def _refit_r2(X, y, selected):
    Xc, yc = X - X.mean(axis=0), y - y.mean()
    w = np.linalg.lstsq(Xc[:, selected], yc, rcond=None)[0]
    return float(1.0 - np.sum((yc - Xc[:, selected] @ w) ** 2) / np.sum(yc**2))


def _selections(X, y, objective, k, rounds, rng):
    d = X.shape[1]
    ones, zeros = np.ones(d), np.zeros(d)
    f, grad = objective.output, objective.input_gradient
    out = [greedy_pig(f, grad, ones, zeros, k, per_round=z, steps=1).order for z in rounds]
    out.append(ig_topk(grad, ones, zeros, k, steps=1)[0])
    out.append(_exact_greedy(objective, k))
    scale = np.where(X.std(axis=0) > 0, X.std(axis=0), 1.0)
    out.append(omp((X - X.mean(axis=0)) / scale, y - y.mean(), k).support)
    out.append(np.argsort(-np.abs(objective.weights * scale), kind="stable")[:k])
    out.append(rng.choice(d, k, replace=False))
    return np.array(out)


def feature_selection_experiment(design=None, *, n=200, draws=50, per_round=(1, 3), seed=0):
    r"""Post-hoc feature selection with a known support: recovery rate and objective of each method (our design).

    On each of ``draws`` data sets of ``n`` rows from ``design`` (default :class:`ProxyDesign`), fit least
    squares on all features and let :math:`G(m)` be its :math:`R^2` with the features outside the mask
    :math:`m` replaced by their means
    (:class:`~pruning_lab.selection.attribution_models.FeatureMaskObjective`).  Attribution acts on the
    mask, input :math:`\mathbf 1`, baseline :math:`\mathbf 0`; :math:`G` is quadratic, so the one-step
    trapezoid rule gives integrated gradients exactly.  Each method selects :math:`k=\lvert S^*\rvert`
    features:

    * ``greedy_pig_z{z}``: :func:`~pruning_lab.selection.attribution.greedy_pig` on :math:`G`, z features
      per round, signed ranking (one per entry of ``per_round``);
    * ``ig``: one-shot :func:`~pruning_lab.selection.attribution.ig_topk` on :math:`G`;
    * ``exact_greedy``: greedy on :math:`G` with exact marginal gains :math:`G(S\cup\{i\})-G(S)` (the set
      function Greedy PIG approximates);
    * ``omp``: :func:`~pruning_lab.sparse.greedy.omp` on the standardized data (refits at each step; the
      greedy rule that sequential attention reproduces on linear models);
    * ``weight``: the largest standardized weights :math:`\lvert w_j\rvert\operatorname{sd}(x_j)` of the fit;
    * ``random``: k features uniformly at random.

    Scores per draw (:data:`~pruning_lab.selection.attribution_experiments.FEATURE_METRICS`): ``recovery``
    (:func:`~pruning_lab.selection.attribution.recovery_rate` of :math:`S^*`), ``mask_r2``
    (:math:`G(\mathbb 1_S)`, the objective reached) and ``refit_r2`` (in-sample :math:`R^2` of least
    squares refitted on the selected features).  Deterministic given ``seed``.  Returns a
    :class:`FeatureSelectionResult`.
    """
    design = ProxyDesign() if design is None else design
    if not isinstance(design, ProxyDesign):
        raise TypeError(f"design must be a ProxyDesign, got {type(design).__name__}")
    n, draws = check_int(n, "n", low=2), check_int(draws, "draws", low=2)
    rounds = _check_rounds(per_round)
    methods = tuple(f"greedy_pig_z{z}" for z in rounds) + ("ig", "exact_greedy", "omp", "weight", "random")
    rng = as_rng(seed)
    values = np.zeros((draws, len(methods), len(FEATURE_METRICS)))
    selected = np.zeros((draws, len(methods), design.n_true), dtype=int)
    supports = np.zeros((draws, design.n_true), dtype=int)
    for r in range(draws):
        X, y, support, _ = design.sample(n, rng)
        objective = FeatureMaskObjective.least_squares(X, y)
        supports[r], selected[r] = support, _selections(X, y, objective, support.size, rounds, rng)
        for i, sel in enumerate(selected[r]):
            values[r, i] = recovery_rate(sel, support), objective.value(sel), _refit_r2(X, y, sel)
    return FeatureSelectionResult(methods, FEATURE_METRICS, values, supports, selected)


def _fit_model(model, data, rng):
    if model == "mlp":
        return OneHiddenLayerMLP().fit(data.X_train, data.y_train, hidden=128, epochs=20, seed=rng)
    return SoftmaxRegression().fit(data.X_train, data.y_train, steps=300, lr=0.5, l2=1e-4, seed=rng)


def _check_images(data):
    if not all(hasattr(data, name) for name in ("X_train", "y_train", "X_test", "y_test")):
        raise TypeError(f"data must be a pruning_lab.data.Dataset (X_train, y_train, X_test, y_test), got {data!r}")
    X_train = check_array(data.X_train, "data.X_train", ndim=2)
    X_test = check_array(data.X_test, "data.X_test", shape=(None, X_train.shape[1]))
    for X in (X_train, X_test):
        if X.min() < 0 or X.max() > 1:
            raise ValueError("data must hold pixels in [0, 1] (load_mnist(standardize=False)), so that 0 is black")
    if not np.all(np.any(X_test != 0, axis=1)):
        raise ValueError("data.X_test must not contain an all-black image (it would have nothing to rank)")
    return X_test


def _area(fractions, values):
    return float(np.sum(np.diff(fractions) * (values[1:] + values[:-1]) / 2))


def _order_scores(f, proba, x, base, order, c):
    ins, dele = insertion_curve(f, x, base, order), deletion_curve(f, x, base, order)
    return [softmax_auc(proba, x, base, order, c), kl_auc(proba, x, base, order), _area(*ins), _area(*dele)]


def _image_scores(clf, x, output, rounds, steps, rng):
    """Orderings of the ink pixels of one image and their scores; returns (target, ink, scores)."""
    c = int(np.argmax(clf.predict_proba(x[None])[0]))
    ink = np.flatnonzero(x != 0)
    xa, base = x[ink], np.zeros(ink.size)

    def embed(Z):
        full = np.zeros((Z.shape[0], x.size))
        full[:, ink] = Z
        return full

    def f(Z):
        return clf.output(embed(Z), c, output)

    def grad(Z):
        return clf.input_gradient(embed(Z), c, output)[:, ink]

    def proba(Z):
        return clf.predict_proba(embed(Z))

    orders = [ig_topk(grad, xa, base, ink.size, steps=steps)[0]]
    orders += [greedy_pig(f, grad, xa, base, ink.size, per_round=z, steps=steps).order for z in rounds]
    orders.append(rng.permutation(ink.size))
    return c, ink.size, [_order_scores(f, proba, xa, base, order, c) for order in orders]


def mnist_attribution_experiment(
    data=None, *, n_images=100, model="mlp", output="log_proba", per_round=(4, 16), steps=32, seed=0
):
    r"""Orderings of the pixels of test digits by IG, Greedy PIG and at random, scored by insertion metrics.

    Fits a classifier on ``data.X_train`` (default: the 4,000 training digits of
    :func:`pruning_lab.data.load_mnist` with ``standardize=False``, pixels in [0, 1]): ``model="mlp"``, a
    :class:`~pruning_lab.selection.attribution_models.OneHiddenLayerMLP` (128 ReLU units, Adam, 20
    epochs), or ``"softmax"``, a :class:`~pruning_lab.selection.attribution_models.SoftmaxRegression`
    (300 steps).  For ``n_images`` test images drawn without replacement, the target is the predicted
    class c, :math:`F` its log-probability (``"log_proba"``: unlike the probability, it does not saturate
    at 1 on a confident digit, where the gradient would vanish along most of the path) or probability
    (``"proba"``), and the baseline the black image :math:`x'=0`.  Only the ink pixels
    (:math:`x_i\neq0`) are ranked: a pixel at the baseline has attribution 0 and revealing it changes
    nothing.  Orderings of all the ink pixels: ``ig`` (one-shot integrated gradients, signed),
    ``greedy_pig_z{z}`` (our reconstruction of Greedy PIG, z pixels per round, signed; one per entry of
    ``per_round``) and ``random``.

    Scores (:data:`~pruning_lab.selection.attribution_experiments.MNIST_METRICS`), each an area over
    the fraction of ink pixels revealed:
    ``softmax_auc`` (:func:`~pruning_lab.selection.attribution.softmax_auc` of class c, higher is better),
    ``kl_auc`` (:func:`~pruning_lab.selection.attribution.kl_auc`, lower is better), ``insertion_auc`` and
    ``deletion_auc`` (areas under the insertion and deletion curves of :math:`F`; higher, respectively
    lower, is better).

    Parameters
    ----------
    data : pruning_lab.data.Dataset, optional
        Images with pixels in [0, 1] (``None``: load the MNIST digits).
    n_images : int
        Number of test images attributed.
    model : {"mlp", "softmax"}
        The classifier.
    output : {"log_proba", "proba"}
        The attributed output :math:`F` of the target class.
    per_round : tuple of int
        The Greedy PIG round sizes z compared.
    steps : int
        Quadrature steps (trapezoid rule) of every integrated-gradients call.
    seed : int or numpy.random.Generator
        Seed of the model's fit, the choice of images and the random orderings.

    Returns
    -------
    MnistAttributionResult
    """
    for name, value, allowed in (("model", model, ("mlp", "softmax")), ("output", output, ("log_proba", "proba"))):
        if value not in allowed:
            raise ValueError(f"{name} must be one of {allowed}, got {value!r}")
    rounds, steps = _check_rounds(per_round), check_int(steps, "steps", low=1)
    data = load_mnist(standardize=False) if data is None else data
    X_test = _check_images(data)
    n_images = check_int(n_images, "n_images", low=2, high=X_test.shape[0])
    rng = as_rng(seed)
    clf = _fit_model(model, data, rng)
    accuracy = float(np.mean(np.argmax(clf.predict_proba(X_test), axis=1) == np.asarray(data.y_test)))
    images = rng.choice(X_test.shape[0], n_images, replace=False)
    methods = ("ig",) + tuple(f"greedy_pig_z{z}" for z in rounds) + ("random",)
    values = np.zeros((n_images, len(methods), len(MNIST_METRICS)))
    targets, ink = np.zeros(n_images, dtype=int), np.zeros(n_images, dtype=int)
    for r, i in enumerate(images):
        targets[r], ink[r], values[r] = _image_scores(clf, X_test[i], output, rounds, steps, rng)
    return MnistAttributionResult(methods, MNIST_METRICS, values, images, targets, ink, accuracy)
