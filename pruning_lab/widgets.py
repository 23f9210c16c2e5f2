"""Interactive panels of the chapters (ipywidgets), each paired with a static figure function.

Every panel redraws a figure made by a plain function of this module, so the
book can show that function's default figure where no kernel runs, and the
panel adds only sliders around it.
"""

from __future__ import annotations

import matplotlib.pyplot as plt

from .pipeline import STRATEGIES, compare_strategies
from .plotting import plot_strategy_bars
from .problems import LinearGaussianProblem

__all__ = ["strategy_figure", "strategy_panel", "strategy_problem"]


def strategy_problem(p: int = 200, rho: float = 0.0, sigma: float = 0.5) -> LinearGaussianProblem:
    r"""The linear Gaussian problem of the chapter "Pruning strategies".

    ``p // 10`` spiked features of variance 10 and latent weight 0.2, a bulk
    of variance 1 and latent weight 0.05, equicorrelated with correlation
    ``rho`` (see :meth:`~pruning_lab.problems.LinearGaussianProblem.spiked`).
    """
    return LinearGaussianProblem.spiked(
        p, max(p // 10, 1), spike=10.0, beta_spike=0.2, beta_bulk=0.05, sigma=sigma, rho=rho
    )


def strategy_figure(keep_fraction: float = 0.2, rho: float = 0.0, *, p: int = 200, n: int = 100,
                    trials: int = 10, seed: int = 0, ax=None):
    """Bar chart of the test risk of each strategy (pruned only and retrained) at one sparsity.

    Runs :func:`~pruning_lab.pipeline.compare_strategies` on
    :func:`strategy_problem` with ``s = round(keep_fraction * p)`` kept
    weights; returns the :class:`~pruning_lab.pipeline.StrategyComparison`.
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

    frac = widgets.FloatSlider(value=keep_fraction, min=0.025, max=1.0, step=0.025,
                               description="kept s/p", continuous_update=False)
    corr = widgets.FloatSlider(value=rho, min=0.0, max=0.95, step=0.05,
                               description="correlation ρ", continuous_update=False)
    out = widgets.interactive_output(
        lambda keep_fraction, rho: (strategy_figure(keep_fraction, rho, **kwargs), plt.show()),
        {"keep_fraction": frac, "rho": corr},
    )
    return widgets.VBox([widgets.HBox([frac, corr]), out])
