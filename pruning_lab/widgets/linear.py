"""Interactive panels of the chapters on linear models: pruning strategies, the DC, random features.

Each panel (``*_panel``) puts sliders around a plain figure function (``*_figure``) of this
module, so the book shows the figure function's default state where no kernel runs.  Mirrors
:mod:`pruning_lab.plotting.linear`.  Used in the chapters :doc:`/book/pruning_strategies`,
:doc:`/book/predicting_pruning` and :doc:`/book/random_features`.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np

from .. import dc
from ..pipeline import STRATEGIES, compare_strategies
from ..plotting.linear import plot_strategy_bars
from ..plotting.style import STRATEGY_LABELS, strategy_color
from ..problems import LinearGaussianProblem
from ..prune import top_s_mask
from ..random_features import RandomFeaturesProblem, random_features_point, small_model_point
from .panel import controls_panel

__all__ = [
    "dc_figure",
    "dc_panel",
    "random_features_figure",
    "random_features_panel",
    "strategy_figure",
    "strategy_panel",
    "strategy_problem",
]


def strategy_problem(p: int = 200, rho: float = 0.0, sigma: float = 0.5, *, signs=None) -> LinearGaussianProblem:
    r"""The linear Gaussian problem of the chapter :doc:`/book/pruning_strategies`.

    ``p // 10`` spiked features of variance 10 and latent weight 0.2, a bulk
    of variance 1 and latent weight 0.05, equicorrelated with correlation
    ``rho`` (see :meth:`~pruning_lab.problems.LinearGaussianProblem.spiked`).

    ``signs`` multiplies :math:`\beta` by signs :math:`s_i=\pm1`, keeping :math:`|\beta_i|` and the
    covariance: ``None`` (all :math:`+1`), ``"alternating"`` (:math:`s_i=(-1)^i`) or an integer, the
    seed of independent random signs.  With equicorrelated features the signal splits as
    :math:`\beta^\top\Sigma\beta=(1-\rho)\sum_i\Sigma_{ii}\beta_i^2+\rho\,(\sum_i\sqrt{\Sigma_{ii}}\beta_i)^2`,
    the second term being one common factor.  All signs positive make that factor dominate;
    random signs leave it, on average, the share :math:`\rho`; alternating signs cancel it exactly
    when both groups have an even size (e.g. ``p = 200``).
    """
    problem = LinearGaussianProblem.spiked(
        p, max(p // 10, 1), spike=10.0, beta_spike=0.2, beta_bulk=0.05, sigma=sigma, rho=rho
    )
    if signs is None:
        return problem
    if isinstance(signs, str):
        if signs != "alternating":
            raise ValueError(f"signs must be None, 'alternating' or an integer seed, got {signs!r}")
        flips = np.where(np.arange(p) % 2 == 0, 1.0, -1.0)
    elif isinstance(signs, (int, np.integer)) and not isinstance(signs, bool):
        flips = np.random.default_rng(int(signs)).choice([-1.0, 1.0], size=p)
    else:
        raise ValueError(f"signs must be None, 'alternating' or an integer seed, got {signs!r}")
    return LinearGaussianProblem(flips * problem.beta, problem.sigma, problem.covariance)


def strategy_figure(
    keep_fraction: float = 0.2,
    rho: float = 0.0,
    *,
    p: int = 200,
    n: int = 100,
    trials: int = 10,
    seed: int = 0,
    signs=None,
    ax=None,
):
    r"""Bar chart of the test risk of each strategy (pruned only and retrained) at one sparsity.

    Runs :func:`~pruning_lab.pipeline.compare_strategies` on
    :func:`strategy_problem` with ``s = round(keep_fraction * p)`` kept
    weights; returns the :class:`~pruning_lab.pipeline.StrategyComparison`.  The bars are mean test
    risks :math:`\mathcal L=\sigma^2+(b-\beta)^\top\Sigma(b-\beta)` over the trials.  The lines are
    the baselines on the same training sets: the small model on the oracle top-``s`` features by
    least squares and with the ridge penalty the ridge DC predicts to be optimal
    (:func:`pruning_lab.dc.theory.optimal_ridge` on that support), and the dense model, min-norm and with its
    own DC-optimal penalty.  Used in the chapter :doc:`/book/pruning_strategies` (through
    :func:`strategy_panel`).

    Parameters
    ----------
    keep_fraction : float
        Kept fraction :math:`s/p\in[0,1]`.
    rho : float
        Equicorrelation :math:`\rho\in[0,1)` of the features.
    p : int
        Number of features.
    n : int
        Training-set size.
    trials : int
        Independent training sets (``>= 1``); the error bars treat them as independent.
    seed : int
        Seed of the data (and of random pruning).
    signs : None, str or int
        Signs of :math:`\beta`: ``None`` (all positive), ``"alternating"`` or a seed of random signs
        (see :func:`strategy_problem`).
    ax : matplotlib.axes.Axes, optional
        Axes to draw on (default: a new 7 × 4 inch figure).

    Returns
    -------
    pruning_lab.pipeline.StrategyComparison
        The risks behind the bars.
    """
    if not 0.0 <= keep_fraction <= 1.0:
        raise ValueError(f"keep_fraction must lie in [0, 1], got {keep_fraction}")
    problem = strategy_problem(p, rho, signs=signs)
    s = int(round(keep_fraction * p))
    support = top_s_mask(problem.oracle_saliency(), s)
    small_ridge = dc.optimal_ridge(problem, n, support).mu if s > 0 else None
    comparison = compare_strategies(
        problem,
        n,
        [s],
        STRATEGIES,
        trials=trials,
        rng=seed,
        progress=False,
        small_ridge=small_ridge,
        dense_ridge=dc.optimal_ridge(problem, n).mu,
    )
    if ax is None:
        _, ax = plt.subplots(figsize=(7.0, 4.0))
    plot_strategy_bars(comparison, 0, ax=ax)
    sign_text = "" if signs is None else (", alternating signs" if signs == "alternating" else ", random signs")
    ax.set_title(f"s = {s} of p = {p} kept, n = {n}, correlation ρ = {rho:g}{sign_text} ({trials} trials)")
    return comparison


def strategy_panel(keep_fraction: float = 0.2, rho: float = 0.0, **kwargs):
    """Sliders over the kept fraction s/p and the feature correlation ρ, redrawing :func:`strategy_figure`.

    Extra keyword arguments (``p``, ``n``, ``trials``, ``seed``) are passed on.
    Returns the ipywidgets container to display.
    """
    import ipywidgets as widgets

    frac = widgets.FloatSlider(
        value=keep_fraction, min=0.025, max=1.0, step=0.025, description="kept s/p", continuous_update=False
    )
    corr = widgets.FloatSlider(
        value=rho, min=0.0, max=0.95, step=0.05, description="correlation ρ", continuous_update=False
    )
    return controls_panel(strategy_figure, {"keep_fraction": frac, "rho": corr}, **kwargs)


def dc_figure(kappa: float = 4.0, keep_fraction: float = 0.1, spike: float = 10.0, *, n: int = 200, ax=None):
    r"""DC-predicted risks at one point: model size :math:`p=\kappa n`, ``s = keep_fraction * p`` kept.

    The problem has ``p // 10`` features of variance ``spike`` carrying half
    the signal and a unit-variance bulk carrying the other half
    (:func:`~pruning_lab.dc.double_descent.two_level_world`, :math:`\sigma=0.5`).
    Bars: dense, magnitude, Hessian and oracle pruning of the min-norm model, the fresh-sample
    retraining DC after magnitude pruning, the large model trained with a ridge penalty tuned for
    the pruned model and then Hessian-pruned (:func:`~pruning_lab.dc.experiments.optimal_prune_ridge`),
    and the small model trained on the ``s`` oracle features, by least squares and with its tuned
    ridge penalty (:func:`~pruning_lab.dc.theory.optimal_ridge`).  Pure theory: no simulation,
    milliseconds.  Returns the dict of predicted risks.  Used in the chapter
    :doc:`/book/predicting_pruning` (through :func:`dc_panel`).
    """
    if not kappa > 1:
        raise ValueError(f"kappa = p/n must exceed 1, got {kappa}")
    if not 0 < keep_fraction <= 1:
        raise ValueError(f"keep_fraction must lie in (0, 1], got {keep_fraction}")
    p = int(round(kappa * n))
    s = max(1, int(round(keep_fraction * p)))
    problem = dc.two_level_world(p, max(p // 10, 1), spike=spike, signal_spike=0.5, signal_bulk=0.5)
    risks = {
        "dense": dc.dc_params(problem, n).gamma,
        "magnitude": dc.threshold_prune_risk(problem, n, s, "magnitude"),
        "hessian": dc.threshold_prune_risk(problem, n, s, "hessian"),
        "oracle": dc.oracle_prune_risk(problem, n, s),
    }
    near = n - 1 <= s <= n
    risks["retrained"] = np.inf if near else dc.retrain_risk(problem, n, s, "magnitude", draws=50, rng=0)[0]
    risks["ridge_pruned"] = dc.optimal_prune_ridge(problem, n, s, "hessian").risk
    risks["small"] = np.inf if near else dc.oracle_small_model_risk(problem, n, s)
    risks["small_ridge"] = dc.optimal_ridge(problem, n, support=top_s_mask(problem.oracle_saliency(), s)).risk
    if ax is None:
        _, ax = plt.subplots(figsize=(7.0, 4.0))
    names = list(risks)
    looks = {
        "retrained": (strategy_color("random"), "magnitude + fresh retrain"),
        "ridge_pruned": ("#8c564b", "tuned ridge + Hessian"),
        "small": (strategy_color("small"), "small, least squares"),
        "small_ridge": ("#8c564b", "small, tuned ridge"),
    }
    colors = [looks[k][0] if k in looks else strategy_color(k) for k in names]
    hatches = ["//" if k == "ridge_pruned" else "" for k in names]
    ax.bar(range(len(names)), [risks[k] for k in names], color=colors, hatch=hatches, edgecolor="black", linewidth=0.5)
    labels = [looks[k][1] if k in looks else STRATEGY_LABELS[k] for k in names]
    ax.set_xticks(range(len(names)), labels, rotation=25, ha="right")
    ax.axhline(problem.null_risk(), color="0.5", linestyle=":", label="null risk (predict 0)")
    ax.set_ylabel(r"predicted test risk $\mathcal{L}$")
    ax.set_title(f"DC prediction: n = {n}, p = {p} (κ = {kappa:g}), s = {s}, spike variance {spike:g}")
    ax.legend()
    ax.figure.tight_layout()
    return risks


def dc_panel(kappa: float = 4.0, keep_fraction: float = 0.1, spike: float = 10.0, **kwargs):
    """Sliders over κ = p/n, the kept fraction s/p and the spike variance, redrawing :func:`dc_figure`."""
    import ipywidgets as widgets

    k = widgets.FloatLogSlider(
        value=kappa, base=10, min=0.05, max=1.3, step=0.01, description="κ = p/n", continuous_update=False
    )
    f = widgets.FloatSlider(
        value=keep_fraction, min=0.01, max=1.0, step=0.01, description="kept s/p", continuous_update=False
    )
    sp = widgets.FloatLogSlider(
        value=spike, base=10, min=0, max=2, step=0.05, description="spike", continuous_update=False
    )
    return controls_panel(dc_figure, {"kappa": k, "keep_fraction": f, "spike": sp}, **kwargs)


def random_features_figure(
    kappa: float = 2.0,
    keep_fraction: float = 0.1,
    *,
    n: int = 200,
    d: int = 30,
    trials: int = 30,
    draws: int = 400,
    seed: int = 0,
    ax=None,
):
    r"""Random features at one width :math:`p=\kappa n` and sparsity ``s = keep_fraction * p``: theory and simulation.

    For one draw of the ReLU first layer, bars give the ELP + DC predictions (dense; magnitude and
    Hessian pruning; each + fresh-batch retraining; and the baseline, the width-``s`` model made of
    the first ``s`` neurons, by least squares and with its tuned ridge penalty) and markers the
    simulated risks, mean :math:`\pm` one standard error over ``trials`` training sets, with
    retraining on the same samples as open diamonds.  The first layer is layer 0 of
    :func:`~pruning_lab.random_features.curves.random_features_curve` with seed ``seed``
    (``[seed, 0]``), and the theory and the simulation run on the independent stream
    ``[seed, 0, p]`` (:func:`~pruning_lab.random_features.curves.random_features_point`; the same
    stream for both strategies, so they see the same training sets), the baseline on
    ``[seed, 0, 0, 1]`` (:func:`~pruning_lab.random_features.baseline.small_model_point`).  Used in
    the chapter :doc:`/book/random_features` (through :func:`random_features_panel`).

    Parameters
    ----------
    kappa : float
        Width ratio :math:`\kappa=p/n>0`; ``p = max(round(κ n), 2)``, moved to ``n + 1`` if it falls
        on the interpolation threshold ``n - 1 .. n``.
    keep_fraction : float
        Kept fraction :math:`s/p\in(0,1]`; ``s = max(1, round(keep_fraction * p))``.
    n : int
        Training-set size.
    d : int
        Input dimension.
    trials : int
        Simulated training sets (``>= 2``, for a standard error).
    draws : int
        DC vectors of the theory (``>= 2``); the DC Monte Carlo error of a pruned risk is a few
        percent at 100 draws.
    seed : int
        Seed of the first layer and of the theory and simulation draws.
    ax : matplotlib.axes.Axes, optional
        Axes to draw on (default: a new 8 × 4 inch figure).

    Returns
    -------
    dict of str to dict
        ``"theory"``: the predicted risks (the bar heights) of ``"dense"``, ``"magnitude"``,
        ``"magnitude + retrain"``, ``"hessian"``, ``"hessian + retrain"`` (fresh-batch retraining
        DC), ``"small"`` and ``"small ridge"`` (the width-``s`` model); ``"simulated"`` and
        ``"sem"``: mean and standard error of the simulated risks of the same models (retraining on
        a fresh batch); ``"same"`` and ``"same_sem"``: retraining on the same samples (the two
        ``+ retrain`` keys only).
    """
    if not kappa > 0:
        raise ValueError(f"kappa = p/n must be positive, got {kappa}")
    if not 0 < keep_fraction <= 1:
        raise ValueError(f"keep_fraction must lie in (0, 1], got {keep_fraction}")
    if isinstance(trials, bool) or not isinstance(trials, (int, np.integer)) or trials < 2:
        raise ValueError(f"trials must be an integer >= 2 (for a standard error), got {trials!r}")
    p = max(int(round(kappa * n)), 2)
    if n - 1 <= p <= n:
        p = n + 1  # the interpolation threshold itself has infinite expected risk
    s = max(1, int(round(keep_fraction * p)))
    rf = RandomFeaturesProblem.draw(d, p, rng=np.random.default_rng([seed, 0]))
    result = {key: {} for key in ("theory", "simulated", "sem", "same", "same_sem")}

    def record(name, theory, runs, same=None):
        result["theory"][name] = float(theory)
        result["simulated"][name] = float(np.mean(runs))
        result["sem"][name] = float(np.std(runs, ddof=1) / np.sqrt(len(runs)))
        if same is not None:
            result["same"][name] = float(np.mean(same))
            result["same_sem"][name] = float(np.std(same, ddof=1) / np.sqrt(len(same)))

    for strategy in ("magnitude", "hessian"):
        stream = np.random.default_rng([seed, 0, p])
        point = random_features_point(rf, n, [s], strategy=strategy, trials=trials, draws=draws, rng=stream)
        record("dense", point["theory_dense"], point["sim_dense"])
        record(strategy, point["theory_pruned"][0], point["sim_pruned"][:, 0])
        record(f"{strategy} + retrain", point["theory_retrained"][0], point["sim_fresh"][:, 0], point["sim_same"][:, 0])
    small = small_model_point(rf.with_width(s), n, [s], trials=trials, rng=np.random.default_rng([seed, 0, 0, 1]))
    record("small", small["theory_least_squares"][0], small["sim_least_squares"][:, 0])
    record("small ridge", small["theory_ridge"][0], small["sim_ridge"][:, 0])
    _draw_random_features_bars(ax, result, n, d, p, s, trials)
    return result


def _draw_random_features_bars(ax, result, n, d, p, s, trials):
    """The bars and markers of :func:`random_features_figure`."""
    if ax is None:
        _, ax = plt.subplots(figsize=(8.0, 4.0))
    names = list(result["theory"])
    looks = {
        "small": (strategy_color("small"), f"width {s},\nleast squares"),
        "small ridge": ("#8c564b", f"width {s},\ntuned ridge"),
    }
    for i, name in enumerate(names):
        retrain = name.endswith("retrain")
        color = looks[name][0] if name in looks else strategy_color(name.split(" ")[0])
        ax.bar(
            i,
            result["theory"][name],
            color=color,
            alpha=0.5 if retrain else 1.0,
            hatch="//" if retrain else None,
            edgecolor="black",
            linewidth=0.5,
        )
        ax.errorbar(
            i,
            result["simulated"][name],
            yerr=result["sem"][name],
            fmt="o",
            color="black",
            markersize=5,
            capsize=3,
            label="simulation ± s.e. (retraining: fresh batch)" if i == 0 else None,
        )
        if name in result["same"]:
            ax.errorbar(
                i + 0.22,
                result["same"][name],
                yerr=result["same_sem"][name],
                fmt="D",
                mfc="white",
                mec="black",
                color="black",
                markersize=5,
                capsize=3,
                label="simulation, retrained on the same samples" if name == "magnitude + retrain" else None,
            )
    labels = [
        looks[k][1] if k in looks else k.replace("magnitude", "magn.").replace("hessian", "Hessian") for k in names
    ]
    ax.set_xticks(range(len(names)), labels, rotation=15, ha="right")
    ax.set_ylabel(r"test risk $\mathcal{L}$ (bars: ELP + DC)")
    ax.set_title(f"ReLU random features: n = {n}, d = {d}, p = {p}, s = {s}; {trials} training sets")
    ax.legend(fontsize=8)
    ax.figure.tight_layout()
    return ax


def random_features_panel(kappa: float = 2.0, keep_fraction: float = 0.1, **kwargs):
    """Sliders over p/n and the kept fraction s/p, redrawing :func:`random_features_figure`."""
    import ipywidgets as widgets

    k = widgets.FloatLogSlider(
        value=kappa, base=10, min=-0.7, max=0.8, step=0.05, description="p/n", continuous_update=False
    )
    f = widgets.FloatSlider(
        value=keep_fraction, min=0.02, max=1.0, step=0.02, description="kept s/p", continuous_update=False
    )
    return controls_panel(random_features_figure, {"kappa": k, "keep_fraction": f}, **kwargs)
