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
from ..random_features import RandomFeaturesProblem, random_features_point
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


def strategy_problem(p: int = 200, rho: float = 0.0, sigma: float = 0.5) -> LinearGaussianProblem:
    r"""The linear Gaussian problem of the chapter :doc:`/book/pruning_strategies`.

    ``p // 10`` spiked features of variance 10 and latent weight 0.2, a bulk
    of variance 1 and latent weight 0.05, equicorrelated with correlation
    ``rho`` (see :meth:`~pruning_lab.problems.LinearGaussianProblem.spiked`).
    """
    return LinearGaussianProblem.spiked(
        p, max(p // 10, 1), spike=10.0, beta_spike=0.2, beta_bulk=0.05, sigma=sigma, rho=rho
    )


def strategy_figure(
    keep_fraction: float = 0.2,
    rho: float = 0.0,
    *,
    p: int = 200,
    n: int = 100,
    trials: int = 10,
    seed: int = 0,
    ax=None,
):
    r"""Bar chart of the test risk of each strategy (pruned only and retrained) at one sparsity.

    Runs :func:`~pruning_lab.pipeline.compare_strategies` on
    :func:`strategy_problem` with ``s = round(keep_fraction * p)`` kept
    weights; returns the :class:`~pruning_lab.pipeline.StrategyComparison`.  The bars are mean test
    risks :math:`\mathcal L=\sigma^2+(b-\beta)^\top\Sigma(b-\beta)` over the trials.  Used in the chapter
    :doc:`/book/pruning_strategies` (through :func:`strategy_panel`).

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
    ax : matplotlib.axes.Axes, optional
        Axes to draw on (default: a new 7 × 4 inch figure).

    Returns
    -------
    pruning_lab.pipeline.StrategyComparison
        The risks behind the bars.
    """
    if not 0.0 <= keep_fraction <= 1.0:
        raise ValueError(f"keep_fraction must lie in [0, 1], got {keep_fraction}")
    problem = strategy_problem(p, rho)
    s = int(round(keep_fraction * p))
    comparison = compare_strategies(problem, n, [s], STRATEGIES, trials=trials, rng=seed, progress=False)
    if ax is None:
        _, ax = plt.subplots(figsize=(7.0, 4.0))
    plot_strategy_bars(comparison, 0, ax=ax)
    ax.set_title(f"s = {s} of p = {p} kept, n = {n}, feature correlation ρ = {rho:g} ({trials} trials)")
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
    Bars: dense, magnitude, Hessian and oracle pruning, the fresh-sample
    retraining DC after magnitude pruning, and the small model trained on the
    ``s`` oracle features.  Pure theory: no simulation, milliseconds.
    Returns the dict of predicted risks.
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
    risks["small"] = np.inf if near else dc.oracle_small_model_risk(problem, n, s)
    if ax is None:
        _, ax = plt.subplots(figsize=(7.0, 4.0))
    names = list(risks)
    colors = [strategy_color("random" if k == "retrained" else k) for k in names]
    ax.bar(range(len(names)), [risks[k] for k in names], color=colors, edgecolor="black", linewidth=0.5)
    labels = ["magnitude + fresh retrain" if k == "retrained" else STRATEGY_LABELS[k] for k in names]
    ax.set_xticks(range(len(names)), labels, rotation=20, ha="right")
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
    trials: int = 6,
    seed: int = 0,
    ax=None,
):
    r"""Random features at one width :math:`p=\kappa n` and sparsity ``s = keep_fraction * p``: theory and simulation.

    For one draw of the ReLU first layer, bars give the ELP + DC predictions
    (dense; magnitude and Hessian pruning; each + fresh-batch retraining) and
    markers the simulated risks over ``trials`` training sets, with retraining
    on the same samples as open diamonds.  Runs
    :func:`~pruning_lab.random_features.curves.random_features_point` with 60 DC draws per strategy.
    Used in the chapter :doc:`/book/random_features` (through :func:`random_features_panel`).

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
        Simulated training sets per strategy.
    seed : int
        Seed of the first layer and of the theory and simulation draws.
    ax : matplotlib.axes.Axes, optional
        Axes to draw on (default: a new 7 × 4 inch figure).

    Returns
    -------
    dict of str to float
        Predicted risks ``"dense"``, ``"magnitude"``, ``"magnitude + retrain"``, ``"hessian"`` and
        ``"hessian + retrain"`` (fresh-batch retraining DC).
    """
    if not kappa > 0:
        raise ValueError(f"kappa = p/n must be positive, got {kappa}")
    if not 0 < keep_fraction <= 1:
        raise ValueError(f"keep_fraction must lie in (0, 1], got {keep_fraction}")
    p = max(int(round(kappa * n)), 2)
    if n - 1 <= p <= n:
        p = n + 1  # the interpolation threshold itself has infinite expected risk
    s = max(1, int(round(keep_fraction * p)))
    rf = RandomFeaturesProblem.draw(d, p, rng=seed)
    if ax is None:
        _, ax = plt.subplots(figsize=(7.0, 4.0))
    risks, simulated = {}, {}
    for strategy in ("magnitude", "hessian"):
        point = random_features_point(rf, n, [s], strategy=strategy, trials=trials, draws=60, rng=seed)
        risks["dense"], simulated["dense"] = float(point["theory_dense"]), (point["sim_dense"], None)
        risks[strategy], simulated[strategy] = float(point["theory_pruned"][0]), (point["sim_pruned"][:, 0], None)
        risks[f"{strategy} + retrain"] = float(point["theory_retrained"][0])
        simulated[f"{strategy} + retrain"] = (point["sim_fresh"][:, 0], point["sim_same"][:, 0])
    names = ["dense", "magnitude", "magnitude + retrain", "hessian", "hessian + retrain"]
    for i, name in enumerate(names):
        retrain = name.endswith("retrain")
        ax.bar(
            i,
            risks[name],
            color=strategy_color(name.split(" ")[0]),
            alpha=0.5 if retrain else 1.0,
            hatch="//" if retrain else None,
            edgecolor="black",
            linewidth=0.5,
        )
        fresh, same = simulated[name]
        ax.plot(
            i,
            np.mean(fresh),
            "o",
            color="black",
            markersize=6,
            label="simulation (retraining: fresh batch)" if i == 0 else None,
        )
        if same is not None:
            ax.plot(
                i + 0.2,
                np.mean(same),
                "D",
                mfc="white",
                mec="black",
                markersize=6,
                label="simulation, retrained on the same samples" if i == 2 else None,
            )
    ax.set_xticks(
        range(len(names)),
        [k.replace("magnitude", "magn.").replace("hessian", "Hessian") for k in names],
        rotation=15,
        ha="right",
    )
    ax.set_ylabel(r"test risk $\mathcal{L}$")
    ax.set_title(f"ReLU random features: n = {n}, d = {d}, p = {p}, s = {s}")
    ax.legend(fontsize=8)
    ax.figure.tight_layout()
    return risks


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
