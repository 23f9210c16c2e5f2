r"""The baseline of pruning random features: a width-``s`` model trained directly, with and without ridge.

The book's question for random features is "train a width-:math:`s` model, or train a wide one and
prune it to :math:`s` neurons?".  The width-:math:`s` model here is the first :math:`s` neurons of
the same nested first layer as the curves of :mod:`pruning_lab.random_features.curves` (the rows
of a first layer are i.i.d., so these are :math:`s` random neurons), trained on the same number
:math:`n` of samples in two ways:

* **least squares** (min-norm when :math:`s>n`): theory from the DC of its own ELP,
  :math:`\sigma_s^2(n-1)/(n-s-1)` for :math:`s<n-1` (:func:`pruning_lab.dc.theory.small_model_risk`);
* **ridge with a tuned penalty** :math:`\mu^\star`, the penalty that minimizes the predicted risk
  on its ELP (:func:`pruning_lab.dc.theory.optimal_ridge`): the fair baseline.

:math:`\sigma_s^2` is the ELP noise of the :math:`s` neurons, the risk of their best linear
combination.  The simulation trains both on real ReLU features and scores them by the exact ELP
risk; it also runs ridge at :math:`\mu^\star/c` and :math:`c\,\mu^\star` on the same samples, to
show that the penalty tuned on the ELP is (near) the best one for the real features too.  Used in
the chapter :doc:`/book/random_features`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .. import dc, lsq
from ..validation import as_rng, check_int, check_int_array, check_nonnegative
from .model import RandomFeaturesProblem, equivalent_linear_problem

__all__ = ["SmallModelBaseline", "small_model_baseline", "small_model_point"]

#: Keys of the simulated risks (each has a standard error).
_SIMULATED = ("least_squares", "ridge", "ridge_low", "ridge_high")


@dataclass(frozen=True)
class SmallModelBaseline:
    r"""The directly trained width-``s`` model for each ``s`` in ``ss``, averaged over first layers.

    ``theory`` has ``"least_squares"`` and ``"ridge"`` (the predicted risks, ridge at its tuned
    :math:`\mu^\star`), ``"mu"`` (:math:`\mu^\star`), ``"elp_noise"`` (:math:`\sigma_s^2`, the
    smallest risk reachable with these :math:`s` neurons), ``"ridge_low"`` and ``"ridge_high"``
    (predicted risks at :math:`\mu^\star/c` and :math:`c\mu^\star`, ``c = detune``); ``simulated``
    and ``simulated_sem`` have ``"least_squares"``, ``"ridge"``, ``"ridge_low"`` and
    ``"ridge_high"``.  Every entry has shape (len(ss),); the standard errors treat the
    ``layers * trials`` runs as independent.  NaN for least squares at the interpolation threshold
    :math:`n-1\le s\le n`.
    """

    ss: np.ndarray
    n: int
    d: int
    layers: int
    trials: int
    detune: float
    theory: dict = field(repr=False)
    simulated: dict = field(repr=False)
    simulated_sem: dict = field(repr=False)


def _check(n, trials, detune):
    check_int(n, "n", 2)
    check_int(trials, "trials", 1)
    detune = check_nonnegative(detune, "detune")
    if not detune > 1:
        raise ValueError(f"detune must be a number > 1, got {detune!r}")
    return detune


def small_model_point(
    rf: RandomFeaturesProblem, n: int, ss, *, trials: int = 20, detune: float = 3.0, rng=None
) -> dict:
    r"""The width-``s`` model made of the first ``s`` neurons of ``rf``, for each ``s`` in ``ss``.

    For each ``s`` (``1 <= s <= rf.p``), on the ELP of ``rf.with_width(s)``: the predicted risk of
    least squares (the DC; NaN at :math:`n-1\le s\le n`), the tuned penalty :math:`\mu^\star` and
    the predicted ridge risks at :math:`\mu^\star/c`, :math:`\mu^\star`, :math:`c\mu^\star`
    (``c = detune > 1``).  Simulation: ``trials`` training sets of ``n`` samples (one draw serves
    every ``s``: the features of the width-``s`` model are the first ``s`` columns), each model
    scored by its exact ELP risk.  One layer of :func:`small_model_baseline` (chapter
    :doc:`/book/random_features`).

    Parameters
    ----------
    rf : pruning_lab.random_features.model.RandomFeaturesProblem
        The first layer and target; the width-``s`` model uses its first ``s`` neurons.
    n : int
        Training samples per trial (``>= 2``).
    ss : array_like of int
        Widths of the small model (``1 <= s <= rf.p``).
    trials : int
        Simulated training sets (``>= 1``).
    detune : float
        Factor ``c > 1`` of the detuned penalties :math:`\mu^\star/c` and :math:`c\mu^\star`.
    rng : numpy.random.Generator or int or None
        Randomness of the data.

    Returns
    -------
    dict of str to ndarray
        ``"elp_noise"``, ``"mu"``, ``"theory_least_squares"``, ``"theory_ridge"``,
        ``"theory_ridge_low"``, ``"theory_ridge_high"`` (shape (len(ss),)) and the simulated risks
        ``"sim_least_squares"``, ``"sim_ridge"``, ``"sim_ridge_low"``, ``"sim_ridge_high"`` (shape
        (trials, len(ss))).
    """
    if not isinstance(rf, RandomFeaturesProblem):
        raise ValueError(f"rf must be a RandomFeaturesProblem, got {type(rf).__name__}")
    ss = check_int_array(ss, "ss", 1, "widths of the small model")
    if ss.max() > rf.p:
        raise ValueError(f"ss must be at most the width of rf ({rf.p}), got {ss.max()}")
    detune, rng = _check(n, trials, detune), as_rng(rng)
    out = {f"theory_{key}": np.full(ss.size, np.nan) for key in _SIMULATED}
    out.update(elp_noise=np.empty(ss.size), mu=np.empty(ss.size))
    elps = []
    for j, s in enumerate(ss):
        elp = equivalent_linear_problem(rf.with_width(int(s)))
        elps.append(elp)
        tuned = dc.optimal_ridge(elp, n)
        out["elp_noise"][j], out["mu"][j], out["theory_ridge"][j] = elp.sigma**2, tuned.mu, tuned.risk
        out["theory_ridge_low"][j] = dc.dc_params(elp, n, ridge=tuned.mu / detune).gamma
        out["theory_ridge_high"][j] = dc.dc_params(elp, n, ridge=tuned.mu * detune).gamma
        if not n - 1 <= s <= n:
            out["theory_least_squares"][j] = dc.small_model_risk(elp, n, np.arange(int(s)))
    sims = {f"sim_{key}": np.empty((trials, ss.size)) for key in _SIMULATED}
    factors = {"ridge": 1.0, "ridge_low": 1.0 / detune, "ridge_high": detune}
    for t in range(trials):
        X, y = rf.with_width(int(ss.max())).sample(n, rng)
        for j, s in enumerate(ss):
            Xs = X[:, : int(s)]
            sims["sim_least_squares"][t, j] = elps[j].population_risk(lsq.min_norm_solution(Xs, y))
            for key, factor in factors.items():
                fit = lsq.ridge_solution(Xs, y, float(out["mu"][j]) * factor)
                sims[f"sim_{key}"][t, j] = elps[j].population_risk(fit)
    out.update(sims)
    return out


def small_model_baseline(
    d: int,
    n: int,
    ss,
    *,
    p_max: int,
    layers: int = 4,
    trials: int = 20,
    detune: float = 3.0,
    v_norm: float = 0.5,
    noise: float = 0.0,
    rng=0,
) -> SmallModelBaseline:
    r"""The width-``s`` baseline of :func:`~pruning_lab.random_features.curves.random_features_curve`.

    Layer ``l`` is the first layer of width ``p_max`` drawn from the seed ``[rng, l]``, exactly as
    in ``random_features_curve`` with ``max(ps) = p_max`` and the same ``d``, ``v_norm``,
    ``noise`` and ``rng``; the width-``s`` model is its first ``s`` neurons (the same first layers
    as the pruned wide models, so the comparison is paired).  Each layer runs
    :func:`small_model_point` on its own stream ``[rng, l, 0, 1]``.  Used in the chapter
    :doc:`/book/random_features`.

    Parameters
    ----------
    d, n : int
        Input dimension (``>= 1``) and number of training samples (``>= 2``).
    ss : array_like of int
        Widths of the small model (``1 <= s <= p_max``).
    p_max : int
        Width of the first layer the neurons are taken from (``max(ps)`` of the curve).
    layers, trials : int
        First-layer draws (``>= 1``) and training sets per layer (``>= 1``).
    detune : float
        Factor ``c > 1``: ridge is also run at :math:`\mu^\star/c` and :math:`c\mu^\star`.
    v_norm, noise : float
        Norm of the linear part of the target and label noise, as in the curve.
    rng : int
        Seed of the curve (an int, so that the first layers are the curve's).

    Returns
    -------
    SmallModelBaseline
        Theory and simulation for each ``s``.
    """
    check_int(d, "d", 1)
    check_int(p_max, "p_max", 1)
    check_int(layers, "layers", 1)
    detune = _check(n, trials, detune)
    v_norm, noise = check_nonnegative(v_norm, "v_norm"), check_nonnegative(noise, "noise")
    if isinstance(rng, bool) or not isinstance(rng, (int, np.integer)):
        raise ValueError(f"rng must be the int seed of the curve, got {rng!r}")
    ss = check_int_array(ss, "ss", 1, "widths of the small model")
    if ss.max() > p_max:
        raise ValueError(f"ss must be at most p_max = {p_max}, got {ss.max()}")
    seed = int(rng)
    units = []
    for layer in range(layers):
        wide = RandomFeaturesProblem.draw(
            d, p_max, v_norm=v_norm, noise=noise, rng=np.random.default_rng([seed, layer])
        )
        stream = np.random.default_rng([seed, layer, 0, 1])
        units.append(small_model_point(wide.with_width(int(ss.max())), n, ss, trials=trials, detune=detune, rng=stream))
    theory = {key: np.mean([u[f"theory_{key}"] for u in units], axis=0) for key in _SIMULATED}
    theory.update({key: np.mean([u[key] for u in units], axis=0) for key in ("elp_noise", "mu")})
    runs = {key: np.concatenate([u[f"sim_{key}"] for u in units]) for key in _SIMULATED}
    count = layers * trials
    simulated = {key: value.mean(axis=0) for key, value in runs.items()}
    sem = {
        key: value.std(axis=0, ddof=1) / np.sqrt(count) if count > 1 else np.zeros(ss.size)
        for key, value in runs.items()
    }
    return SmallModelBaseline(ss, int(n), int(d), int(layers), int(trials), detune, theory, simulated, sem)
