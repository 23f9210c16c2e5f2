r"""Pruning random features: DC theory of the equivalent linear problem against simulation, as the width grows.

For each draw of the first layer (a "layer"), each width ``p`` (nested: the
width-``p`` model uses the first ``p`` rows of one wide first layer) and each
sparsity target ``s``:

* **theory**: the ELP (:func:`pruning_lab.random_features.model.equivalent_linear_problem`)
  and the DC of :mod:`pruning_lab.dc` — the dense risk :math:`\gamma`, the
  pruned risk by Monte Carlo over eigen-rotated DC vectors (Def. 4), and the
  fresh-sample retraining DC (Def. 5), all from one shared set of DC draws;
* **simulation**: least squares on real ReLU features of ``n`` samples,
  pruned to ``s`` weights, retrained on the same samples and on a fresh batch;
  each model's test risk is the exact ELP risk (an identity, not an
  approximation).

Used in the chapter "Random features: when retraining matters" (the analogue
of Figs. 2 and 4 of :cite:`chang2021provable`).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from tqdm.auto import tqdm

from .. import dc, lsq
from ..pipeline import prune_weights
from ..runs import ResultCache
from ..validation import as_rng, check_int, check_int_array, check_nonnegative
from .model import RandomFeaturesProblem, equivalent_linear_problem

__all__ = ["RandomFeaturesCurve", "random_features_curve", "random_features_point"]

_STRATEGIES = ("magnitude", "hessian")


@dataclass(frozen=True)
class RandomFeaturesCurve:
    """Risks against the width ``ps`` for each sparsity in ``ss`` (rows), averaged over first layers.

    ``theory`` has ``"dense"`` (shape (len(ps),)), ``"pruned"`` and
    ``"retrained"`` (fresh-sample retraining DC; shape (len(ss), len(ps))) and
    ``"elp_noise"`` (:math:`\\sigma^2` of the ELP).  ``simulated`` and
    ``simulated_sem`` have ``"dense"``, ``"pruned"``, ``"same"`` (retrained on
    the training samples) and ``"fresh"`` (retrained on a fresh batch); the
    standard errors treat the ``layers * trials`` runs as independent.  NaN
    where undefined (``s > p``, or ``p`` or ``s`` at the interpolation
    threshold ``n - 1 .. n``).
    """

    ps: np.ndarray
    ss: np.ndarray
    n: int
    d: int
    strategy: str
    layers: int
    trials: int
    theory: dict = field(repr=False)
    simulated: dict = field(repr=False)
    simulated_sem: dict = field(repr=False)


def _at_threshold(k: int, n: int) -> bool:
    return n - 1 <= k <= n


def random_features_point(rf: RandomFeaturesProblem, n: int, ss, *, strategy: str = "magnitude", trials: int = 5,
                          draws: int = 100, rng=None) -> dict:
    """Theory and simulation for one first layer ``rf`` (its full width) and each sparsity in ``ss``.

    Returns a dict of arrays: ``"theory_dense"``, ``"elp_noise"`` (scalars),
    ``"theory_pruned"``, ``"theory_retrained"`` (over ``ss``), and the
    simulated risks per trial ``"sim_dense"`` (trials,), ``"sim_pruned"``,
    ``"sim_same"``, ``"sim_fresh"`` (trials, len(ss)).
    """
    rng = as_rng(rng)
    ss = np.asarray(ss, dtype=int)
    p = rf.p
    elp = equivalent_linear_problem(rf)
    out = {"elp_noise": np.array(elp.sigma**2), "theory_dense": np.array(np.nan)}
    out["theory_pruned"] = np.full(ss.size, np.nan)
    out["theory_retrained"] = np.full(ss.size, np.nan)
    if not _at_threshold(p, n):
        out["theory_dense"] = np.array(dc.dc_params(elp, n).gamma)
        shared = dc.dc_sample(elp, n, size=draws, rng=rng)
        for j, s in enumerate(ss):
            if s <= p:
                out["theory_pruned"][j] = dc.dc_prune_risk_mc(elp, n, int(s), strategy, draws=shared)[0]
                if not _at_threshold(int(s), n):
                    out["theory_retrained"][j] = dc.retrain_risk(elp, n, int(s), strategy, draws=shared)[0]
    sims = {k: np.full((trials, ss.size), np.nan) for k in ("sim_pruned", "sim_same", "sim_fresh")}
    sims["sim_dense"] = np.full(trials, np.nan)
    for t in range(trials):
        X, y = rf.sample(n, rng)
        X2, y2 = rf.sample(n, rng)
        w = lsq.min_norm_solution(X, y)
        sims["sim_dense"][t] = elp.population_risk(w)
        for j, s in enumerate(ss):
            if s > p:
                continue
            pruned = prune_weights(strategy, w, int(s), X=X)
            sims["sim_pruned"][t, j] = elp.population_risk(pruned.weights)
            sims["sim_same"][t, j] = elp.population_risk(lsq.restricted_fit(X, y, pruned.mask))
            sims["sim_fresh"][t, j] = elp.population_risk(lsq.restricted_fit(X2, y2, pruned.mask))
    out.update(sims)
    return out


def random_features_curve(d: int, n: int, ps, ss, *, strategy: str = "magnitude", layers: int = 4, trials: int = 5,
                          draws: int = 100, v_norm: float = 0.5, noise: float = 0.0, rng=0, cache_dir=None,
                          progress: bool = False) -> RandomFeaturesCurve:
    r"""Pruned and retrained risk of ReLU random features against the width: ELP + DC theory and simulation.

    Parameters
    ----------
    d, n : int
        Input dimension and number of training samples.
    ps : sequence of int
        Widths (numbers of random features); nested models share the first
        rows of one first layer of width ``max(ps)`` per layer draw.
    ss : sequence of int
        Sparsity targets (weights kept after pruning).
    strategy : {"magnitude", "hessian"}
        Pruning strategy (Hessian: the empirical :math:`\hat\Sigma_{ii}` in the
        simulation, :math:`\Sigma_{ii}` of the ELP in the theory).
    layers, trials, draws : int
        First-layer draws; training sets per layer and width; DC draws per
        theory point.
    v_norm, noise : float
        Norm of the linear part of the target; label noise.
    rng : int, Generator or None
        Seed of the whole sweep.  With an int seed, each (layer, width) unit
        has its own seed, so results do not depend on which units are cached.
    cache_dir : str or Path or None
        If given, each finished (layer, width) unit is saved there
        (:class:`pruning_lab.runs.ResultCache`) and reused on a rerun.
    """
    ps = check_int_array(ps, "ps", 1, "positive widths")
    ss = check_int_array(ss, "ss", 0, "non-negative sparsity targets")
    if strategy not in _STRATEGIES:
        raise ValueError(f"strategy must be one of {_STRATEGIES}, got {strategy!r}")
    for name, value, low in (("d", d, 1), ("n", n, 2), ("layers", layers, 1), ("trials", trials, 1), ("draws", draws, 2)):
        check_int(value, name, low)
    v_norm, noise = check_nonnegative(v_norm, "v_norm"), check_nonnegative(noise, "noise")
    if isinstance(rng, (int, np.integer)) and not isinstance(rng, bool):
        seed = int(rng)
    else:
        if cache_dir is not None:
            raise ValueError("a cache needs an int seed (rng=...) so that cached units are reproducible")
        seed = int(as_rng(rng).integers(2**63))
    cache = None if cache_dir is None else ResultCache(cache_dir, "random-features")
    th = {"dense": np.zeros((layers, ps.size)), "elp_noise": np.zeros((layers, ps.size)),
          "pruned": np.zeros((layers, ss.size, ps.size)), "retrained": np.zeros((layers, ss.size, ps.size))}
    sims = {"dense": np.zeros((layers, trials, ps.size)), "pruned": np.zeros((layers, trials, ss.size, ps.size)),
            "same": np.zeros((layers, trials, ss.size, ps.size)), "fresh": np.zeros((layers, trials, ss.size, ps.size))}
    units = [(layer, k) for layer in range(layers) for k in range(ps.size)]
    for layer, k in tqdm(units, desc="(layer, width)", disable=not progress):
        params = dict(d=int(d), n=int(n), p_max=int(ps.max()), p=int(ps[k]), ss=ss.tolist(), strategy=strategy,
                      trials=int(trials), draws=int(draws), v_norm=v_norm, noise=noise, seed=seed, layer=layer)

        def compute(layer=layer, k=k):
            wide = RandomFeaturesProblem.draw(d, int(ps.max()), v_norm=v_norm, noise=noise,
                                              rng=np.random.default_rng([seed, layer]))
            return random_features_point(wide.with_width(int(ps[k])), n, ss, strategy=strategy, trials=trials,
                                         draws=draws, rng=np.random.default_rng([seed, layer, int(ps[k])]))

        unit = compute() if cache is None else cache.cached(params, compute)
        th["dense"][layer, k], th["elp_noise"][layer, k] = unit["theory_dense"], unit["elp_noise"]
        th["pruned"][layer, :, k], th["retrained"][layer, :, k] = unit["theory_pruned"], unit["theory_retrained"]
        sims["dense"][layer, :, k] = unit["sim_dense"]
        for key in ("pruned", "same", "fresh"):
            sims[key][layer, :, :, k] = unit[f"sim_{key}"]
    theory = {key: value.mean(axis=0) for key, value in th.items()}
    count = layers * trials
    simulated = {key: value.mean(axis=(0, 1)) for key, value in sims.items()}
    sem = {key: value.std(axis=(0, 1), ddof=1) / np.sqrt(count) if count > 1 else np.zeros_like(simulated[key])
           for key, value in sims.items()}
    return RandomFeaturesCurve(ps, ss, int(n), int(d), strategy, int(layers), int(trials), theory, simulated, sem)
