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

Used in the chapter :doc:`/book/random_features` (the analogue
of Figs. 2 and 4 of :cite:`chang2021provable`).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from tqdm.auto import tqdm

from .. import dc, lsq
from ..dc.simulate import agreement
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

    def agreement(self, exclude=(200, 450)) -> dict:
        r"""Theory against simulation away from the interpolation threshold: widths ``exclude[0] <= p <= exclude[1]``
        left out.

        Near :math:`p=n` both the finite-:math:`n` theory and the simulation have large variance, so
        the comparison is made on the widths outside ``exclude`` (``None``: all widths).  Returns
        ``{"dense": Agreement, "pruned": [Agreement per s], "retrained": [Agreement per s]}``, where
        "retrained" compares the fresh-sample retraining DC with retraining on a fresh batch
        (:func:`pruning_lab.dc.simulate.agreement`); ``None`` for a sparsity with no width where
        both are defined.
        """
        if exclude is None:
            far = np.ones(self.ps.size, dtype=bool)
        else:
            lo, hi = exclude
            far = (self.ps < lo) | (self.ps > hi)

        def compare(theory, simulated):
            both = far & np.isfinite(theory) & np.isfinite(simulated)
            return agreement(theory, simulated, both) if both.any() else None

        return {
            "dense": compare(self.theory["dense"], self.simulated["dense"]),
            "pruned": [compare(self.theory["pruned"][i], self.simulated["pruned"][i]) for i in range(self.ss.size)],
            "retrained": [
                compare(self.theory["retrained"][i], self.simulated["fresh"][i]) for i in range(self.ss.size)
            ],
        }


def _at_threshold(k: int, n: int) -> bool:
    return n - 1 <= k <= n


def random_features_point(
    rf: RandomFeaturesProblem, n: int, ss, *, strategy: str = "magnitude", trials: int = 5, draws: int = 100, rng=None
) -> dict:
    r"""Theory and simulation for one first layer ``rf`` (its full width) and each sparsity in ``ss``.

    Theory: on the ELP (:func:`pruning_lab.random_features.model.equivalent_linear_problem`), the dense
    DC risk :math:`\gamma`, and from one shared set of ``draws`` DC vectors the pruned risk
    (:func:`pruning_lab.dc.pruning.dc_prune_risk_mc`) and the fresh-sample retraining risk
    (:func:`pruning_lab.dc.pruning.retrain_risk`).  Simulation: min-norm least squares on the ReLU
    features of ``n`` samples, pruned to ``s`` weights, retrained on the same samples and on a fresh
    batch of ``n``; each model is scored by the exact ELP risk
    :math:`\sigma^2+(b-\beta)^\top\Sigma(b-\beta)`.  One unit of :func:`random_features_curve`
    (chapter :doc:`/book/random_features`).

    Parameters
    ----------
    rf : pruning_lab.random_features.model.RandomFeaturesProblem
        The first layer and target; its width ``rf.p`` is the model size :math:`p`.
    n : int
        Training samples per trial (and size of each fresh retraining batch).
    ss : array_like of int
        Sparsity targets (weights kept); an ``s > p`` gives NaN.
    strategy : str
        ``"magnitude"`` or ``"hessian"`` (empirical :math:`\hat\Sigma_{ii}` in the simulation,
        :math:`\Sigma_{ii}` of the ELP in the theory).
    trials : int
        Simulated training sets, each with its own fresh batch.
    draws : int
        DC vectors (``>= 2``) shared by all theory points.
    rng : numpy.random.Generator or int or None
        Randomness of the DC draws, then of the data.

    Returns
    -------
    dict of str to ndarray
        ``"theory_dense"``, ``"elp_noise"`` (0-d; the ELP noise :math:`\sigma^2`),
        ``"theory_pruned"``, ``"theory_retrained"`` (over ``ss``), and the
        simulated risks per trial ``"sim_dense"`` (trials,), ``"sim_pruned"``,
        ``"sim_same"``, ``"sim_fresh"`` (trials, len(ss)).  The theory is NaN at the interpolation
        threshold ``n - 1 <= p <= n`` (the retraining theory also at ``n - 1 <= s <= n``).
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


def random_features_curve(
    d: int,
    n: int,
    ps,
    ss,
    *,
    strategy: str = "magnitude",
    layers: int = 4,
    trials: int = 5,
    draws: int = 100,
    v_norm: float = 0.5,
    noise: float = 0.0,
    rng=0,
    cache_dir=None,
    progress: bool = False,
) -> RandomFeaturesCurve:
    r"""Pruned and retrained risk of ReLU random features against the width: ELP + DC theory and simulation.

    Each (layer, width) unit is :func:`random_features_point`; the curves average over the
    ``layers`` first layers.  Used in the chapter :doc:`/book/random_features`.

    Parameters
    ----------
    d, n : int
        Input dimension (``>= 1``) and number of training samples (``>= 2``).
    ps : array_like of int
        Widths (numbers of random features, ``>= 1``); nested models share the first
        rows of one first layer of width ``max(ps)`` per layer draw.
    ss : array_like of int
        Sparsity targets (weights kept after pruning, ``>= 0``).
    strategy : str
        ``"magnitude"`` or ``"hessian"``: pruning strategy (Hessian: the empirical
        :math:`\hat\Sigma_{ii}` in the simulation, :math:`\Sigma_{ii}` of the ELP in the theory).
    layers, trials, draws : int
        First-layer draws (``>= 1``); training sets per layer and width (``>= 1``); DC draws per
        theory point (``>= 2``).  The standard errors treat the ``layers * trials`` runs as
        independent.
    v_norm, noise : float
        Norm :math:`\lVert v\rVert\ge0` of the linear part of the target
        :math:`y=(w^\top a)^2+v^\top a+\sigma_0z`; label noise :math:`\sigma_0\ge0`.
    rng : numpy.random.Generator or int or None
        Seed of the whole sweep.  With an int seed, each (layer, width) unit
        has its own seed, so results do not depend on which units are cached.
        A cache needs an int seed.
    cache_dir : str or pathlib.Path or None
        If given, each finished (layer, width) unit is saved there
        (:class:`pruning_lab.runs.ResultCache`) and reused on a rerun.
    progress : bool
        Show a ``tqdm`` bar over the (layer, width) units.

    Returns
    -------
    RandomFeaturesCurve
        Theory and simulation against ``ps``, one row per sparsity in ``ss``.
    """
    ps = check_int_array(ps, "ps", 1, "positive widths")
    ss = check_int_array(ss, "ss", 0, "non-negative sparsity targets")
    if strategy not in _STRATEGIES:
        raise ValueError(f"strategy must be one of {_STRATEGIES}, got {strategy!r}")
    for name, value, low in (
        ("d", d, 1),
        ("n", n, 2),
        ("layers", layers, 1),
        ("trials", trials, 1),
        ("draws", draws, 2),
    ):
        check_int(value, name, low)
    v_norm, noise = check_nonnegative(v_norm, "v_norm"), check_nonnegative(noise, "noise")
    if isinstance(rng, (int, np.integer)) and not isinstance(rng, bool):
        seed = int(rng)
    else:
        if cache_dir is not None:
            raise ValueError("a cache needs an int seed (rng=...) so that cached units are reproducible")
        seed = int(as_rng(rng).integers(2**63))
    cache = None if cache_dir is None else ResultCache(cache_dir, "random-features")
    th = {
        "dense": np.zeros((layers, ps.size)),
        "elp_noise": np.zeros((layers, ps.size)),
        "pruned": np.zeros((layers, ss.size, ps.size)),
        "retrained": np.zeros((layers, ss.size, ps.size)),
    }
    sims = {
        "dense": np.zeros((layers, trials, ps.size)),
        "pruned": np.zeros((layers, trials, ss.size, ps.size)),
        "same": np.zeros((layers, trials, ss.size, ps.size)),
        "fresh": np.zeros((layers, trials, ss.size, ps.size)),
    }
    units = [(layer, k) for layer in range(layers) for k in range(ps.size)]
    for layer, k in tqdm(units, desc="(layer, width)", disable=not progress):
        params = dict(
            d=int(d),
            n=int(n),
            p_max=int(ps.max()),
            p=int(ps[k]),
            ss=ss.tolist(),
            strategy=strategy,
            trials=int(trials),
            draws=int(draws),
            v_norm=v_norm,
            noise=noise,
            seed=seed,
            layer=layer,
        )

        def compute(layer=layer, k=k):
            wide = RandomFeaturesProblem.draw(
                d, int(ps.max()), v_norm=v_norm, noise=noise, rng=np.random.default_rng([seed, layer])
            )
            return random_features_point(
                wide.with_width(int(ps[k])),
                n,
                ss,
                strategy=strategy,
                trials=trials,
                draws=draws,
                rng=np.random.default_rng([seed, layer, int(ps[k])]),
            )

        unit = compute() if cache is None else cache.cached(params, compute)
        th["dense"][layer, k], th["elp_noise"][layer, k] = unit["theory_dense"], unit["elp_noise"]
        th["pruned"][layer, :, k], th["retrained"][layer, :, k] = unit["theory_pruned"], unit["theory_retrained"]
        sims["dense"][layer, :, k] = unit["sim_dense"]
        for key in ("pruned", "same", "fresh"):
            sims[key][layer, :, :, k] = unit[f"sim_{key}"]
    theory = {key: value.mean(axis=0) for key, value in th.items()}
    count = layers * trials
    simulated = {key: value.mean(axis=(0, 1)) for key, value in sims.items()}
    sem = {
        key: value.std(axis=(0, 1), ddof=1) / np.sqrt(count) if count > 1 else np.zeros_like(simulated[key])
        for key, value in sims.items()
    }
    return RandomFeaturesCurve(ps, ss, int(n), int(d), strategy, int(layers), int(trials), theory, simulated, sem)
