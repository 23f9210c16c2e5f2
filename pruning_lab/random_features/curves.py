r"""Pruning random features: DC theory of the equivalent linear problem against simulation, as the width grows.

For each draw of the first layer (a "layer"), each width ``p`` (nested: the
width-``p`` model uses the first ``p`` rows of one wide first layer) and each
sparsity target ``s``:

* **theory**: the ELP (:func:`pruning_lab.random_features.model.equivalent_linear_problem`)
  and the DC of :mod:`pruning_lab.dc` — the dense risk :math:`\gamma`, the
  pruned risk by Monte Carlo over eigen-rotated DC vectors (Def. 4), and the
  fresh-sample retraining DC (Def. 5), all from one shared set of DC draws;
  and the dense model with a tuned ridge penalty (:func:`pruning_lab.dc.theory.optimal_ridge`);
* **simulation**: least squares on real ReLU features of ``n`` samples,
  pruned to ``s`` weights, retrained on the same samples and on a fresh batch;
  each model's test risk is the exact ELP risk (an identity, not an
  approximation).

The directly trained width-``s`` model, the baseline of these curves, is in
:mod:`pruning_lab.random_features.baseline`.  Used in the chapter :doc:`/book/random_features` (the
analogue of Figs. 2 and 4 of :cite:`chang2021provable`).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field

import numpy as np
from tqdm.auto import tqdm

from .. import dc, lsq
from ..backends import compute_cached
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

    ``theory`` has ``"dense"``, ``"dense_ridge"`` (the dense model with its tuned ridge
    penalty), ``"ridge_mu"`` (that penalty) and ``"elp_noise"`` (:math:`\\sigma^2` of the ELP),
    each of shape (len(ps),), and ``"pruned"`` and ``"retrained"`` (fresh-sample retraining DC;
    shape (len(ss), len(ps))).  ``simulated`` and ``simulated_sem`` have ``"dense"``,
    ``"dense_ridge"``, ``"pruned"``, ``"same"`` (retrained on the training samples),
    ``"same_ridge"`` (retrained on them with the ridge penalty tuned for the kept neurons),
    ``"fresh"`` (retrained on a fresh batch) and ``"kept_noise"`` (the ELP noise :math:`\\sigma^2_\\Delta` of
    the kept neurons: the smallest risk any model on them can reach); the standard errors treat
    the ``layers * trials`` runs as independent.  NaN where undefined (``s > p``, or ``p`` or
    ``s`` at the interpolation threshold ``n - 1 .. n``).
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

    def far_from_threshold(self, margin: float = 2.0) -> np.ndarray:
        r"""Mask of the widths at least a factor ``margin`` from the interpolation threshold.

        :math:`p\le n/\text{margin}` or :math:`p\ge\text{margin}\cdot n`; the finite-:math:`n`
        theory and the heavy-tailed simulation are compared there (``margin`` :math:`\ge1`).
        """
        margin = float(margin)
        if not margin >= 1:
            raise ValueError(f"margin must be a number >= 1, got {margin!r}")
        return (self.ps * margin <= self.n) | (self.ps >= margin * self.n)

    def deviations(self) -> dict:
        r"""Theory against simulation at every width: relative error and z-score.

        Returns ``{"dense": (rel, z), "pruned": (rel, z), "retrained": (rel, z)}`` with
        :math:`\text{rel}=\text{theory}/\text{simulation}-1` and
        :math:`z=(\text{theory}-\text{simulation})/\text{s.e.}` (shapes (len(ps),) for the dense
        model, (len(ss), len(ps)) otherwise); "retrained" compares the retraining DC with
        retraining on a fresh batch.  NaN where either is undefined.
        """
        pairs = {"dense": "dense", "pruned": "pruned", "retrained": "fresh"}
        out = {}
        for name, sim_key in pairs.items():
            theory, sim, sem = self.theory[name], self.simulated[sim_key], self.simulated_sem[sim_key]
            with np.errstate(divide="ignore", invalid="ignore"):
                out[name] = (theory / sim - 1.0, (theory - sim) / sem)
        return out

    def agreement(self, margin: float | None = 2.0) -> dict:
        r"""Theory against simulation on the widths :meth:`far_from_threshold` (``margin=None``: all widths).

        Near :math:`p=n` the finite-:math:`n` theory is least accurate and the simulated risks are
        heavy-tailed (a few runs dominate the mean, and the standard error understates the
        spread), so the summary is made at least a factor ``margin`` away from it; the excluded
        widths are listed with their errors by :meth:`deviations`.  Returns
        ``{"dense": Agreement, "pruned": [Agreement per s], "retrained": [Agreement per s]}``, where
        "retrained" compares the fresh-sample retraining DC with retraining on a fresh batch
        (:func:`pruning_lab.dc.simulate.agreement`); ``None`` for a sparsity with no width where
        both are defined.
        """
        far = np.ones(self.ps.size, dtype=bool) if margin is None else self.far_from_threshold(margin)

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


def _check_point_args(rf, n, ss, strategy, trials, draws):
    """The checks shared by :func:`random_features_point` and :func:`random_features_curve`."""
    if strategy not in _STRATEGIES:
        raise ValueError(f"strategy must be one of {_STRATEGIES}, got {strategy!r}")
    if rf is not None and not isinstance(rf, RandomFeaturesProblem):
        raise ValueError(f"rf must be a RandomFeaturesProblem, got {type(rf).__name__}")
    check_int(n, "n", 2)
    check_int(trials, "trials", 1)
    check_int(draws, "draws", 2)
    return check_int_array(ss, "ss", 0, "non-negative sparsity targets")


def _theory(elp, n: int, ss: np.ndarray, strategy: str, draws: int, rng) -> dict:
    """The ELP + DC predictions of one unit (NaN at the interpolation threshold)."""
    p = elp.p
    out = {"elp_noise": np.array(elp.sigma**2), "theory_dense": np.array(np.nan)}
    out["theory_pruned"] = np.full(ss.size, np.nan)
    out["theory_retrained"] = np.full(ss.size, np.nan)
    tuned = dc.optimal_ridge(elp, n)
    out["ridge_mu"], out["theory_dense_ridge"] = np.array(tuned.mu), np.array(tuned.risk)
    if _at_threshold(p, n):
        return out
    out["theory_dense"] = np.array(dc.dc_params(elp, n).gamma)
    shared = dc.dc_sample(elp, n, size=draws, rng=rng)
    for j, s in enumerate(ss):
        if s <= p:
            out["theory_pruned"][j] = dc.dc_prune_risk_mc(elp, n, int(s), strategy, draws=shared)[0]
            if not _at_threshold(int(s), n):
                out["theory_retrained"][j] = dc.retrain_risk(elp, n, int(s), strategy, draws=shared)[0]
    return out


def random_features_point(
    rf: RandomFeaturesProblem, n: int, ss, *, strategy: str = "magnitude", trials: int = 5, draws: int = 100, rng=None
) -> dict:
    r"""Theory and simulation for one first layer ``rf`` (its full width) and each sparsity in ``ss``.

    Theory: on the ELP (:func:`pruning_lab.random_features.model.equivalent_linear_problem`), the dense
    DC risk :math:`\gamma`, and from one shared set of ``draws`` DC vectors the pruned risk
    (:func:`pruning_lab.dc.pruning.dc_prune_risk_mc`) and the fresh-sample retraining risk
    (:func:`pruning_lab.dc.pruning.retrain_risk`); and the dense model with the ridge penalty
    :math:`\mu^\star` that minimizes its predicted risk (:func:`pruning_lab.dc.theory.optimal_ridge`).
    Simulation: min-norm least squares on the ReLU features of ``n`` samples, pruned to ``s``
    weights, retrained on the same samples (by least squares, and by ridge with the penalty that
    :func:`~pruning_lab.dc.theory.optimal_ridge` tunes on the ELP of the kept neurons) and on a
    fresh batch of ``n``, and the dense ridge at :math:`\mu^\star`; each model is scored by the
    exact ELP risk
    :math:`\sigma^2+(b-\beta)^\top\Sigma(b-\beta)`.  One unit of :func:`random_features_curve`
    (chapter :doc:`/book/random_features`).

    Parameters
    ----------
    rf : pruning_lab.random_features.model.RandomFeaturesProblem
        The first layer and target; its width ``rf.p`` is the model size :math:`p`.
    n : int
        Training samples per trial (``>= 2``; also the size of each fresh retraining batch).
    ss : array_like of int
        Sparsity targets (weights kept, ``>= 0``); an ``s > p`` gives NaN.
    strategy : str
        ``"magnitude"`` or ``"hessian"`` (empirical :math:`\hat\Sigma_{ii}` in the simulation,
        :math:`\Sigma_{ii}` of the ELP in the theory).
    trials : int
        Simulated training sets (``>= 1``), each with its own fresh batch.
    draws : int
        DC vectors (``>= 2``) shared by all theory points.
    rng : numpy.random.Generator or int or None
        Randomness of the DC draws, then of the data.  Give it a stream independent of the one
        that drew ``rf`` (as :func:`random_features_curve` does): the same seed would make the DC
        draws reuse the normals of the first layer.

    Returns
    -------
    dict of str to ndarray
        ``"theory_dense"``, ``"theory_dense_ridge"``, ``"ridge_mu"``, ``"elp_noise"`` (0-d; the ELP
        noise :math:`\sigma^2`), ``"theory_pruned"``, ``"theory_retrained"`` (over ``ss``), and the
        simulated risks per trial ``"sim_dense"``, ``"sim_dense_ridge"`` (trials,),
        ``"sim_pruned"``, ``"sim_same"``, ``"sim_same_ridge"``, ``"sim_fresh"`` and the ELP noise
        :math:`\sigma^2_\Delta` of the kept neurons
        ``"sim_kept_noise"`` (trials, len(ss)).  The min-norm theory is NaN at the interpolation
        threshold ``n - 1 <= p <= n`` (the retraining theory also at ``n - 1 <= s <= n``).
    """
    ss = _check_point_args(rf, n, ss, strategy, trials, draws)
    rng = as_rng(rng)
    p = rf.p
    elp = equivalent_linear_problem(rf)
    out = _theory(elp, n, ss, strategy, draws, rng)
    mu = float(out["ridge_mu"])
    keys = ("sim_pruned", "sim_same", "sim_same_ridge", "sim_fresh", "sim_kept_noise")
    sims = {k: np.full((trials, ss.size), np.nan) for k in keys}
    sims["sim_dense"], sims["sim_dense_ridge"] = np.full(trials, np.nan), np.full(trials, np.nan)
    for t in range(trials):
        X, y = rf.sample(n, rng)
        X2, y2 = rf.sample(n, rng)
        w = lsq.min_norm_solution(X, y)
        sims["sim_dense"][t] = elp.population_risk(w)
        sims["sim_dense_ridge"][t] = elp.population_risk(lsq.ridge_solution(X, y, mu))
        for j, s in enumerate(ss):
            if s > p:
                continue
            pruned = prune_weights(strategy, w, int(s), X=X)
            sims["sim_pruned"][t, j] = elp.population_risk(pruned.weights)
            sims["sim_same"][t, j] = elp.population_risk(lsq.restricted_fit(X, y, pruned.mask))
            sims["sim_fresh"][t, j] = elp.population_risk(lsq.restricted_fit(X2, y2, pruned.mask))
            sims["sim_kept_noise"][t, j] = elp.restricted_noise(pruned.mask)
            if s > 0:
                kept_mu = dc.optimal_ridge(elp, n, support=pruned.mask).mu
                fit = lsq.ridge_solution(X, y, kept_mu, pruned.mask)
                sims["sim_same_ridge"][t, j] = elp.population_risk(fit)
    out.update(sims)
    return out


#: The keys of a unit, as (curve key, unit key): theory per width, theory per (s, width),
#: simulation per trial and width, simulation per trial, s and width.
_THEORY_P = (
    ("dense", "theory_dense"),
    ("dense_ridge", "theory_dense_ridge"),
    ("ridge_mu", "ridge_mu"),
    ("elp_noise", "elp_noise"),
)
_THEORY_SP = (("pruned", "theory_pruned"), ("retrained", "theory_retrained"))
_SIM_P = (("dense", "sim_dense"), ("dense_ridge", "sim_dense_ridge"))
_SIM_SP = (
    ("pruned", "sim_pruned"),
    ("same", "sim_same"),
    ("same_ridge", "sim_same_ridge"),
    ("fresh", "sim_fresh"),
    ("kept_noise", "sim_kept_noise"),
)


def _seed_of(rng, cache_dir) -> int:
    if isinstance(rng, (int, np.integer)) and not isinstance(rng, bool):
        return int(rng)
    if cache_dir is not None:
        raise ValueError("a cache needs an int seed (rng=...) so that cached units are reproducible")
    return int(as_rng(rng).integers(2**63))


def _average(th: dict, sims: dict, count: int):
    theory = {key: value.mean(axis=0) for key, value in th.items()}
    simulated = {key: value.mean(axis=(0, 1)) for key, value in sims.items()}
    sem = {
        key: value.std(axis=(0, 1), ddof=1) / np.sqrt(count) if count > 1 else np.zeros_like(simulated[key])
        for key, value in sims.items()
    }
    return theory, simulated, sem


def _curve_unit(params: dict) -> dict:
    """One (layer, width) unit of :func:`random_features_curve`, from its parameters alone."""
    c = params
    wide = RandomFeaturesProblem.draw(
        c["d"], c["p_max"], v_norm=c["v_norm"], noise=c["noise"], rng=np.random.default_rng([c["seed"], c["layer"]])
    )
    return random_features_point(
        wide.with_width(c["p"]),
        c["n"],
        np.asarray(c["ss"]),
        strategy=c["strategy"],
        trials=c["trials"],
        draws=c["draws"],
        rng=np.random.default_rng([c["seed"], c["layer"], c["p"]]),
    )


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
    p_max: int | None = None,
    cache_dir=None,
    progress: bool = False,
    backend=None,
    scheduler=None,
) -> RandomFeaturesCurve:
    r"""Pruned and retrained risk of ReLU random features against the width: ELP + DC theory and simulation.

    Each (layer, width) unit is :func:`random_features_point`; the curves average over the
    ``layers`` first layers.  Layer ``l`` is drawn from the seed ``[rng, l]`` at width ``p_max``
    and the unit of width ``p`` runs on the stream ``[rng, l, p]``, independent of it: a rerun with
    more ``trials`` (same ``draws``, ``rng`` and ``p_max``) repeats the theory and extends the
    simulation of the same units.  Used in the chapter :doc:`/book/random_features`.

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
    p_max : int or None
        Width of the first layer the nested models are cut from (``>= max(ps)``; default
        ``max(ps)``): with the ``p_max`` of another curve, a subset of its widths on the same
        first layers.
    cache_dir : str or pathlib.Path or None
        If given, each finished (layer, width) unit is saved there
        (:class:`pruning_lab.runs.ResultCache`) and reused on a rerun.
    progress : bool
        Show a ``tqdm`` bar over the (layer, width) units.
    backend : {None, "serial", "joblib", "dask"}
        With a ``cache_dir``: compute the missing units with this executor first, each claimed
        and saved into the cache by whoever computes it (:func:`pruning_lab.backends.compute_cached`;
        ``"dask"``: on a Dask cluster whose workers see ``cache_dir``).  ``None``: one after the
        other in this process.
    scheduler : str or distributed.Client or None
        The Dask scheduler of ``backend="dask"`` (see :func:`pruning_lab.runs.run_sweep`).

    Returns
    -------
    RandomFeaturesCurve
        Theory and simulation against ``ps``, one row per sparsity in ``ss``.
    """
    ps = check_int_array(ps, "ps", 1, "positive widths")
    ss = _check_point_args(None, n, ss, strategy, trials, draws)
    p_max = int(ps.max()) if p_max is None else check_int(p_max, "p_max", int(ps.max()))
    check_int(d, "d", 1)
    check_int(layers, "layers", 1)
    v_norm, noise = check_nonnegative(v_norm, "v_norm"), check_nonnegative(noise, "noise")
    seed = _seed_of(rng, cache_dir)
    cache = None if cache_dir is None else ResultCache(cache_dir, "random-features")
    th = {key: np.zeros((layers, ps.size)) for key, _ in _THEORY_P}
    th.update({key: np.zeros((layers, ss.size, ps.size)) for key, _ in _THEORY_SP})
    sims = {key: np.zeros((layers, trials, ps.size)) for key, _ in _SIM_P}
    sims.update({key: np.zeros((layers, trials, ss.size, ps.size)) for key, _ in _SIM_SP})
    units = [(layer, k) for layer in range(layers) for k in range(ps.size)]
    fixed = dict(d=int(d), n=int(n), p_max=p_max, ss=ss.tolist(), strategy=strategy, trials=int(trials))
    fixed.update(draws=int(draws), v_norm=v_norm, noise=noise, seed=seed)
    configs = [{**fixed, "p": int(ps[k]), "layer": layer, "version": 2} for layer, k in units]  # 2: tuned ridge
    if backend is not None:  # the missing units on the backend's executors, each saved into the cache there
        if cache is None:
            raise ValueError(f"cache_dir is needed with backend={backend!r}: the executors save each unit there")
        compute_cached(configs, _curve_unit, cache, backend=backend, scheduler=scheduler, progress=progress)
    bar = tqdm(units, desc="(layer, width)", disable=not progress or backend is not None)
    for (layer, k), params in zip(bar, configs):
        compute = functools.partial(_curve_unit, params)
        unit = compute() if cache is None else cache.cached(params, compute)
        for key, unit_key in _THEORY_P:
            th[key][layer, k] = unit[unit_key]
        for key, unit_key in _THEORY_SP:
            th[key][layer, :, k] = unit[unit_key]
        for key, unit_key in _SIM_P:
            sims[key][layer, :, k] = unit[unit_key]
        for key, unit_key in _SIM_SP:
            sims[key][layer, :, :, k] = unit[unit_key]
    theory, simulated, sem = _average(th, sims, layers * trials)
    return RandomFeaturesCurve(ps, ss, int(n), int(d), strategy, int(layers), int(trials), theory, simulated, sem)
