r"""Integrated gradients and Greedy PIG: feature attribution as greedy subset selection.

Integrated gradients (Sundararajan, Taly & Yan, 2017) attribute a scalar model output :math:`F` at an
input :math:`x` against a baseline :math:`x'` by
:math:`\mathrm{IG}_i(x;x')=(x_i-x'_i)\int_0^1\partial_iF\big(x'+\alpha(x-x')\big)\,d\alpha`, and satisfy
completeness, :math:`\sum_i\mathrm{IG}_i=F(x)-F(x')`.  Taking the top :math:`k` attributions is a
one-shot (non-adaptive) answer to the subset-selection problem
:math:`\max_{\lvert S\rvert\le k}G(S)`, :math:`G(S)=F(x_S\oplus x'_{\bar S})` (the features of
:math:`S` at their input values, the others at the baseline).  Greedy PIG (Axiotis, Abu-El-Haija,
Chen, Fahrbach & Fu, 2023, arXiv:2311.06192) makes it adaptive: select a few features, reveal them (move them into the
baseline), recompute IG from the new baseline, repeat.  The verified parts are this structure and the
metrics named in the paper's reviews (Softmax-AUC and KL-AUC); the exact pseudocode here — signed
ranking, the score rule, the quadrature — is **our reconstruction, in the spirit of Greedy PIG, not
the authors' algorithm**.  It is the same "greedy through one-shot scores" idea as Sequential
Attention (Yasuda et al., 2023) and SequentialAttention++ (:cite:`yasuda2024sequentialattention`).

Models are plain callables on a batch ``X`` of shape (m, d): ``f(X)`` returns the m outputs and
``f_grad(X)`` the (m, d) gradients.  Two numpy models with exact gradients come with the module,
:class:`~pruning_lab.selection.attribution_models.LinearModel` and
:class:`~pruning_lab.selection.attribution_models.SoftmaxRegression`.  Numpy only.  Written for the book's chapter on
selection beyond weights (feature attribution), which is not written yet.

Used in the chapter :doc:`/book/beyond_weights`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..validation import check_array, check_int

__all__ = [
    "PIGResult",
    "deletion_curve",
    "greedy_pig",
    "ig_topk",
    "insertion_curve",
    "integrated_gradients",
    "kl_auc",
    "recovery_rate",
    "softmax_auc",
]

METHODS = ("trapezoid", "riemann_mid")
RANKINGS = ("signed", "absolute")


def _check_callable(fn, name):
    if not callable(fn):
        raise TypeError(f"{name} must be a callable taking a batch X of shape (m, d), got {type(fn).__name__}")


def _check_pair(x, baseline):
    x = check_array(x, "x", ndim=1)
    baseline = check_array(baseline, "baseline", ndim=1)
    if baseline.shape != x.shape:
        raise ValueError(f"baseline must have the shape of x, {x.shape}, got {baseline.shape}")
    if x.size == 0:
        raise ValueError("x must have at least one feature")
    return x, baseline


def _call(fn, X, name, shape):
    out = np.asarray(fn(X), dtype=float)
    if out.shape != shape:
        raise ValueError(
            f"{name} must return an array of shape {shape} for a batch of shape {X.shape}, got {out.shape}"
        )
    return out


def _quadrature(steps, method):
    """Nodes and weights on [0, 1]: trapezoid (steps+1 nodes) or midpoint Riemann (steps nodes)."""
    steps = check_int(steps, "steps", low=1)
    if method == "trapezoid":
        nodes = np.linspace(0.0, 1.0, steps + 1)
        weights = np.full(steps + 1, 1.0 / steps)
        weights[[0, -1]] /= 2
    elif method == "riemann_mid":
        nodes = (np.arange(steps) + 0.5) / steps
        weights = np.full(steps, 1.0 / steps)
    else:
        raise ValueError(f"method must be one of {METHODS}, got {method!r}")
    return nodes, weights


def integrated_gradients(f_grad, x, baseline, *, steps=64, method="trapezoid"):
    r"""Integrated gradients of a scalar model at ``x`` against ``baseline``, by quadrature.

    Computes :math:`\mathrm{IG}_i=(x_i-x'_i)\sum_j w_j\,\partial_iF(x'+\alpha_j(x-x'))`, the quadrature of
    :math:`(x_i-x'_i)\int_0^1\partial_iF(x'+\alpha(x-x'))\,d\alpha` (Sundararajan, Taly & Yan, 2017).
    ``method="trapezoid"`` uses the ``steps + 1`` nodes :math:`\alpha_j=j/\text{steps}` (error
    :math:`O(\text{steps}^{-2})` for smooth :math:`F`); ``"riemann_mid"`` the ``steps`` midpoints
    :math:`(j+\frac12)/\text{steps}`, also :math:`O(\text{steps}^{-2})`.  Both are exact when the gradient is
    constant along the path (a linear :math:`F`), so completeness
    :math:`\sum_i\mathrm{IG}_i=F(x)-F(x')` then holds to rounding for any ``steps``.

    ``f_grad(X)`` maps a batch of shape (m, d) to the gradients of :math:`F`, shape (m, d); it is called
    once, on all the nodes.  Returns the attributions, shape (d,).  Used by :func:`greedy_pig`.
    """
    _check_callable(f_grad, "f_grad")
    x, baseline = _check_pair(x, baseline)
    nodes, weights = _quadrature(steps, method)
    path = baseline + nodes[:, None] * (x - baseline)
    grads = _call(f_grad, path, "f_grad", path.shape)
    return (x - baseline) * (weights @ grads)


@dataclass(frozen=True)
class PIGResult:
    r"""The output of :func:`greedy_pig`: the selected features in order and each round's attributions.

    Attributes
    ----------
    order : ndarray of int
        The k selected features, most important first: by round, and within a round by decreasing
        attribution (the ranking of the reconstructed score rule, earlier round = more important).
    round_of : ndarray of int
        The round (0-based) in which each feature of ``order`` was selected.
    attributions : ndarray
        Shape (rounds, d): the integrated gradients computed at the start of each round, from that
        round's baseline (selected features have attribution exactly 0 afterwards).
    values : ndarray
        :math:`G(S_r)=F(x_{S_r}\oplus x'_{\bar S_r})` for r = 0, ..., rounds (the objective after each round).
    """

    order: np.ndarray
    round_of: np.ndarray
    attributions: np.ndarray
    values: np.ndarray


def _top(scores, free, z, rank_by):
    """Indices of the z largest ``scores`` among ``free`` (signed or absolute), largest first, stable."""
    if rank_by not in RANKINGS:
        raise ValueError(f"rank_by must be one of {RANKINGS}, got {rank_by!r}")
    key = np.abs(scores) if rank_by == "absolute" else scores.copy()
    key = np.where(free, key, -np.inf)
    return np.argsort(-key, kind="stable")[:z]


def ig_topk(f_grad, x, baseline, k, *, steps=64, method="trapezoid", rank_by="signed"):
    r"""Plain integrated-gradients top-k: the one-round, non-adaptive baseline of Greedy PIG.

    Computes :math:`\mathrm{IG}(x;x')` once (:func:`integrated_gradients`) and keeps the ``k`` features
    with the largest attributions.  Equal to :func:`greedy_pig` with ``per_round=k``.

    Parameters
    ----------
    f_grad : callable
        ``f_grad(X)``, the gradients of the scalar output :math:`F` on a batch of shape (m, d).
    x, baseline : array_like
        The input and the baseline :math:`x'`, shape (d,).
    k : int
        Number of features to keep, 1..d.
    steps : int
        Quadrature steps.
    method : {"trapezoid", "riemann_mid"}
        Quadrature rule.
    rank_by : {"signed", "absolute"}
        Largest values :math:`\mathrm{IG}_i`, or largest magnitudes :math:`\lvert\mathrm{IG}_i\rvert`.

    Returns
    -------
    order : ndarray of int
        The k features, largest first; ties go to the lower index.
    ig : ndarray
        The attributions, shape (d,).
    """
    ig = integrated_gradients(f_grad, x, baseline, steps=steps, method=method)
    k = check_int(k, "k", low=1, high=ig.size)
    return _top(ig, np.ones(ig.size, dtype=bool), k, rank_by), ig


def greedy_pig(f, f_grad, x, baseline, k, *, per_round=1, steps=64, method="trapezoid", rank_by="signed"):
    r"""Greedy PIG: select k features in rounds, revealing the selected ones and recomputing IG.

    Our reconstruction, in the spirit of Greedy PIG (Axiotis et al., 2023), of a greedy maximization of
    :math:`G(S)=F(x_S\oplus b_{\bar S})`.  Start with :math:`S=\emptyset`, :math:`b=x'`; each round
    computes :math:`g=\mathrm{IG}(x;b)`, adds to :math:`S` the ``per_round`` features not yet in
    :math:`S` with the largest :math:`g_i`, and sets :math:`b_T\leftarrow x_T` for them, until
    :math:`\lvert S\rvert=k` (the last round takes what is left).  By completeness from the current
    baseline, :math:`g_i` is feature i's share of :math:`F(x)-G(S)`, a one-shot estimate of its marginal
    gain; the round's IG sees the features already revealed, which is what makes the method adaptive.

    We rank by the **signed** attribution by default: the objective :math:`G` is to be maximized, and a
    feature with a large negative :math:`g_i` moves :math:`F` down when revealed.  ``rank_by="absolute"``
    ranks by :math:`\lvert g_i\rvert` instead ("which features matter, either way"), the choice for
    support recovery when contributions have both signs.  Which of the two the authors use is not
    verified.

    Parameters
    ----------
    f : callable
        ``f(X)``, the scalar output :math:`F` on a batch of shape (m, d), returning shape (m,).
    f_grad : callable
        ``f_grad(X)``, the gradients of :math:`F`, shape (m, d).
    x : array_like
        The input, shape (d,).
    baseline : array_like
        The baseline :math:`x'`, shape (d,).
    k : int
        Number of features to select, 1..d.
    per_round : int
        Features selected per round, :math:`z` (default 1); ``per_round >= k`` is one round, which equals
        :func:`ig_topk`.
    steps : int
        Quadrature steps of each round's integrated gradients.
    method : {"trapezoid", "riemann_mid"}
        Quadrature rule (:func:`integrated_gradients`).
    rank_by : {"signed", "absolute"}
        Rank by the attribution's value or by its magnitude.

    Returns
    -------
    PIGResult
    """
    _check_callable(f, "f")
    x, baseline = _check_pair(x, baseline)
    d = x.size
    k = check_int(k, "k", low=1, high=d)
    per_round = check_int(per_round, "per_round", low=1)
    b = baseline.copy()
    free = np.ones(d, dtype=bool)
    order, round_of, attributions = [], [], []
    values = [float(_call(f, b[None], "f", (1,))[0])]
    while len(order) < k:
        g = integrated_gradients(f_grad, x, b, steps=steps, method=method)
        chosen = _top(g, free, min(per_round, k - len(order)), rank_by)
        round_of += [len(attributions)] * chosen.size
        attributions.append(g)
        order += chosen.tolist()
        free[chosen] = False
        b[chosen] = x[chosen]
        values.append(float(_call(f, b[None], "f", (1,))[0]))
    return PIGResult(np.array(order), np.array(round_of), np.array(attributions), np.array(values))


def recovery_rate(selected, support):
    r"""Fraction of a known support found by a selection: :math:`\lvert\hat S\cap S^*\rvert/\lvert S^*\rvert`.

    ``selected`` and ``support`` are sequences of distinct feature indices (``support`` non-empty).
    Returns a number in [0, 1]; 1 means every true feature was selected.
    """
    selected, support = np.asarray(selected), np.asarray(support)
    for name, arr in (("selected", selected), ("support", support)):
        if arr.ndim != 1 or (arr.size and not np.issubdtype(arr.dtype, np.integer)):
            raise ValueError(f"{name} must be a 1-D sequence of integer feature indices, got {arr!r}")
        if np.unique(arr).size != arr.size:
            raise ValueError(f"{name} must not repeat a feature, got {arr.tolist()}")
    if support.size == 0:
        raise ValueError("support must contain at least one feature")
    return float(np.intersect1d(selected, support).size / support.size)


def _check_order(order, d):
    arr = np.asarray(order)
    if arr.ndim != 1 or arr.size == 0 or not np.issubdtype(arr.dtype, np.integer):
        raise ValueError(f"order must be a non-empty 1-D sequence of integer feature indices, got {order!r}")
    if arr.min() < 0 or arr.max() >= d or np.unique(arr).size != arr.size:
        raise ValueError(f"order must hold distinct feature indices in 0..{d - 1}, got {arr.tolist()}")
    return arr


def _reveal_path(x, baseline, order, *, insert):
    """Inputs after j = 0..m steps: features order[:j] at x (insertion) or at the baseline (deletion)."""
    start, target = (baseline, x) if insert else (x, baseline)
    path = np.repeat(start[None], order.size + 1, axis=0)
    for j, i in enumerate(order):
        path[j + 1 :, i] = target[i]
    return path


def _curve(f, x, baseline, order, insert):
    _check_callable(f, "f")
    x, baseline = _check_pair(x, baseline)
    order = _check_order(order, x.size)
    path = _reveal_path(x, baseline, order, insert=insert)
    return np.arange(order.size + 1) / x.size, _call(f, path, "f", (order.size + 1,))


def insertion_curve(f, x, baseline, order):
    r"""Insertion curve: the output as features are revealed in ``order``, the others at the baseline.

    Returns ``(fractions, values)``, with ``values[j]`` :math:`=F(x_{S_j}\oplus x'_{\bar S_j})` where
    :math:`S_j` holds the first j features of ``order`` (j = 0..m) and ``fractions[j]`` :math:`=j/d`.
    With a complete ``order`` the curve ends at :math:`F(x)`.  The area under it (trapezoid rule) is
    higher for a better ordering.
    """
    return _curve(f, x, baseline, order, True)


def deletion_curve(f, x, baseline, order):
    r"""Deletion curve: the output as features are set to the baseline in ``order``, starting from ``x``.

    Returns ``(fractions, values)``, with ``values[j]`` :math:`=F(x'_{S_j}\oplus x_{\bar S_j})` for the
    first j features :math:`S_j` of ``order`` and ``fractions[j]`` :math:`=j/d`.  A lower area means the
    ordering found the features the output depends on.  (The paper's authors did not report these
    curves; they are our addition.)
    """
    return _curve(f, x, baseline, order, False)


def _area(values, fractions):
    """Trapezoid-rule area under ``values`` over ``fractions`` (numpy < 2 has no ``trapezoid``)."""
    return float(np.sum(np.diff(fractions) * (values[1:] + values[:-1]) / 2))


def _check_proba(proba, x, baseline, order):
    _check_callable(proba, "proba")
    x, baseline = _check_pair(x, baseline)
    order = _check_order(order, x.size)
    path = _reveal_path(x, baseline, order, insert=True)
    p = np.asarray(proba(np.vstack([path, x[None]])), dtype=float)
    if p.ndim != 2 or p.shape[0] != path.shape[0] + 1 or p.shape[1] < 2 or np.any(p < 0):
        raise ValueError(f"proba must return class probabilities of shape (m, classes), got shape {p.shape}")
    return np.arange(order.size + 1) / x.size, p[:-1], p[-1]


def softmax_auc(proba, x, baseline, order, target, *, normalize=False):
    r"""Softmax-AUC (our definition): area under the target-class probability as features are revealed.

    With :math:`S_j` the first j features of ``order``, computes
    :math:`\sum_j\frac{1}{2d}\big(p_c(x_{S_j}\oplus x'_{\bar S_j})+p_c(x_{S_{j+1}}\oplus x'_{\bar S_{j+1}})\big)`,
    the trapezoid-rule area of the insertion curve of :math:`p_c` (class ``target``) over the fraction
    :math:`j/d` revealed, j = 0..m; with ``normalize=True``, :math:`p_c` is divided by its full-input
    value :math:`p_c(x)`.  A complete ``order`` integrates over [0, 1]; a partial one over
    [0, m/d], so compare orderings of equal length.  Higher is better.  The metric the paper's reviews
    name is the AUC of the softmax information curve, whose horizontal axis is an information measure
    of the revealed input rather than a feature count; this is our simplification of it.

    Parameters
    ----------
    proba : callable
        ``proba(X)``, the class probabilities of a batch of shape (m, d), returning shape (m, classes).
    x, baseline : array_like
        The input and the baseline :math:`x'`, shape (d,).
    order : sequence of int
        Distinct features in the order they are revealed (m of them, 1..d).
    target : int
        The class :math:`c` whose probability is integrated.
    normalize : bool
        Divide by :math:`p_c(x)`, so that a complete ordering ends at 1.

    Returns
    -------
    float
        The area.
    """
    c = check_int(target, "target", low=0)
    fractions, p, full = _check_proba(proba, x, baseline, order)
    if c >= p.shape[1]:
        raise ValueError(f"target must be a class index in 0..{p.shape[1] - 1}, got {target}")
    curve = p[:, c] / full[c] if normalize else p[:, c]
    return float(_area(curve, fractions))


def kl_auc(proba, x, baseline, order):
    r"""KL-AUC (our definition): area under the KL divergence to the full-input prediction as features are revealed.

    With :math:`S_j` the first j features of ``order`` and :math:`p=\text{proba}(x)`, the curve is
    :math:`\mathrm{KL}\big(p\,\Vert\,q_j\big)=\sum_c p_c\log(p_c/q_{j,c})`,
    :math:`q_j=\text{proba}(x_{S_j}\oplus x'_{\bar S_j})`, over the fraction :math:`j/d` revealed
    (j = 0..m), integrated by the trapezoid rule.  Lower is better; with all features revealed the
    curve reaches 0.  Terms with :math:`p_c=0` count as 0.
    """
    fractions, q, p = _check_proba(proba, x, baseline, order)
    with np.errstate(divide="ignore", invalid="ignore"):
        terms = np.where(p > 0, p * (np.log(p) - np.log(q)), 0.0)
    return float(_area(terms.sum(axis=1), fractions))
