"""Interactive panels of the theory chapters (ipywidgets), each paired with a static figure function.

Every panel redraws a figure made by a plain function of this module, so the
book can show that function's default figure where no kernel runs, and the
panel adds only sliders around it.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np

from ..pipeline import STRATEGIES, compare_strategies
from ..plotting import STRATEGY_LABELS, plot_strategy_bars, strategy_color
from ..problems import LinearGaussianProblem

__all__ = ["dc_figure", "dc_panel", "random_features_figure", "random_features_panel", "strategy_figure",
           "strategy_panel", "strategy_problem"]


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


def dc_figure(kappa: float = 4.0, keep_fraction: float = 0.1, spike: float = 10.0, *, n: int = 200, ax=None):
    r"""DC-predicted risks at one point: model size :math:`p=\kappa n`, ``s = keep_fraction * p`` kept.

    The problem has ``p // 10`` features of variance ``spike`` carrying half
    the signal and a unit-variance bulk carrying the other half
    (:func:`~pruning_lab.double_descent.two_level_world`, :math:`\sigma=0.5`).
    Bars: dense, magnitude, Hessian and oracle pruning, the fresh-sample
    retraining DC after magnitude pruning, and the small model trained on the
    ``s`` oracle features.  Pure theory: no simulation, milliseconds.
    Returns the dict of predicted risks.
    """
    from .. import dc
    from ..double_descent import two_level_world

    if not kappa > 1:
        raise ValueError(f"kappa = p/n must exceed 1, got {kappa}")
    if not 0 < keep_fraction <= 1:
        raise ValueError(f"keep_fraction must lie in (0, 1], got {keep_fraction}")
    p = int(round(kappa * n))
    s = max(1, int(round(keep_fraction * p)))
    problem = two_level_world(p, max(p // 10, 1), spike=spike, signal_spike=0.5, signal_bulk=0.5)
    risks = {"dense": dc.dc_params(problem, n).gamma,
             "magnitude": dc.threshold_prune_risk(problem, n, s, "magnitude"),
             "hessian": dc.threshold_prune_risk(problem, n, s, "hessian"),
             "oracle": dc.oracle_prune_risk(problem, n, s)}
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

    k = widgets.FloatLogSlider(value=kappa, base=10, min=0.05, max=1.3, step=0.01, description="κ = p/n",
                               continuous_update=False)
    f = widgets.FloatSlider(value=keep_fraction, min=0.01, max=1.0, step=0.01, description="kept s/p",
                            continuous_update=False)
    sp = widgets.FloatLogSlider(value=spike, base=10, min=0, max=2, step=0.05, description="spike",
                                continuous_update=False)
    out = widgets.interactive_output(
        lambda kappa, keep_fraction, spike: (dc_figure(kappa, keep_fraction, spike, **kwargs), plt.show()),
        {"kappa": k, "keep_fraction": f, "spike": sp},
    )
    return widgets.VBox([widgets.HBox([k, f, sp]), out])


def random_features_figure(kappa: float = 2.0, keep_fraction: float = 0.1, *, n: int = 200, d: int = 30,
                           trials: int = 6, seed: int = 0, ax=None):
    r"""Random features at one width :math:`p=\kappa n` and sparsity ``s = keep_fraction * p``: theory and simulation.

    For one draw of the ReLU first layer, bars give the ELP + DC predictions
    (dense; magnitude and Hessian pruning; each + fresh-batch retraining) and
    markers the simulated risks over ``trials`` training sets, with retraining
    on the same samples as open diamonds.  Returns the dict of predicted risks.
    """
    from ..random_features import RandomFeaturesProblem
    from ..random_features_curves import random_features_point

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
    for rule in ("magnitude", "hessian"):
        point = random_features_point(rf, n, [s], rule=rule, trials=trials, draws=60, rng=seed)
        risks["dense"], simulated["dense"] = float(point["theory_dense"]), (point["sim_dense"], None)
        risks[rule], simulated[rule] = float(point["theory_pruned"][0]), (point["sim_pruned"][:, 0], None)
        risks[f"{rule} + retrain"] = float(point["theory_retrained"][0])
        simulated[f"{rule} + retrain"] = (point["sim_fresh"][:, 0], point["sim_same"][:, 0])
    names = ["dense", "magnitude", "magnitude + retrain", "hessian", "hessian + retrain"]
    for i, name in enumerate(names):
        retrain = name.endswith("retrain")
        ax.bar(i, risks[name], color=strategy_color(name.split(" ")[0]), alpha=0.5 if retrain else 1.0,
               hatch="//" if retrain else None, edgecolor="black", linewidth=0.5)
        fresh, same = simulated[name]
        ax.plot(i, np.mean(fresh), "o", color="black", markersize=6,
                label="simulation (retraining: fresh batch)" if i == 0 else None)
        if same is not None:
            ax.plot(i + 0.2, np.mean(same), "D", mfc="white", mec="black", markersize=6,
                    label="simulation, retrained on the same samples" if i == 2 else None)
    ax.set_xticks(range(len(names)), [k.replace("magnitude", "magn.").replace("hessian", "Hessian") for k in names],
                  rotation=15, ha="right")
    ax.set_ylabel(r"test risk $\mathcal{L}$")
    ax.set_title(f"ReLU random features: n = {n}, d = {d}, p = {p}, s = {s}")
    ax.legend(fontsize=8)
    ax.figure.tight_layout()
    return risks


def random_features_panel(kappa: float = 2.0, keep_fraction: float = 0.1, **kwargs):
    """Sliders over p/n and the kept fraction s/p, redrawing :func:`random_features_figure`."""
    import ipywidgets as widgets

    k = widgets.FloatLogSlider(value=kappa, base=10, min=-0.7, max=0.8, step=0.05, description="p/n",
                               continuous_update=False)
    f = widgets.FloatSlider(value=keep_fraction, min=0.02, max=1.0, step=0.02, description="kept s/p",
                            continuous_update=False)
    out = widgets.interactive_output(
        lambda kappa, keep_fraction: (random_features_figure(kappa, keep_fraction, **kwargs), plt.show()),
        {"kappa": k, "keep_fraction": f},
    )
    return widgets.VBox([widgets.HBox([k, f]), out])


# ------------------------------------------- chapter "Matrix sensing: group lasso makes pruning safe"
__all__ += ["sensing_figure", "sensing_panel"]


def sensing_figure(lam: float = 0.05, beta: float = 0.01, k: int = 12, *, n: int = 1500, noise_sigma: float = 0.0,
                   seed: int = 0):
    r"""Group Lasso → prune → fine-tune on the reference problem (d = 20, r = 3), for one :math:`(\lambda,\beta,k)`.

    Left: sorted column norms after training with and without the regularizer, with the threshold
    :math:`\tau=\sqrt\beta`.  Right: recovery error while fine-tuning the pruned model.  The title
    gives the number of kept columns, :math:`\lambda/\sqrt\beta` against the strict-saddle bound
    :math:`4(\sigma^\star_r)^2=1.44` and the final error.  Runs
    :func:`~pruning_lab.sensing.experiments.sensing_run` (about a second).  Returns the Figure.
    """
    from ..plotting import plot_column_profiles, plot_finetune_curves
    from ..sensing import SensingProblem, sensing_run

    problem = SensingProblem.reference(noise_sigma, rng=seed)
    run = sensing_run(problem, n, k, lam, beta, rng=seed + 1, ft_steps=800)
    fig, (left, right) = plt.subplots(1, 2, figsize=(11.0, 4.0))
    plot_column_profiles({"group Lasso": run.pipeline.trained.U, "no regularizer": run.unregularized.U},
                         tau=run.pipeline.tau, ax=left)
    left.set_title(f"after training: {run.pipeline.n_kept} of {k} columns ≥ τ (r = {problem.r})")
    plot_finetune_curves({f"fine-tuning the {run.pipeline.n_kept} kept columns": run.pipeline.finetuned}, ax=right)
    right.set_title(f"λ/√β = {lam / np.sqrt(beta):.3g} (strict-saddle bound {4 * problem.sing_vals[-1] ** 2:.2f}); "
                    f"final error {run.pipeline.finetuned.errors[-1]:.1e}")
    fig.tight_layout()
    return fig


def sensing_panel(lam: float = 0.05, beta: float = 0.01, k: int = 12, **kwargs):
    """Sliders over λ, β (log scales) and the number of columns k, redrawing :func:`sensing_figure`."""
    import ipywidgets as widgets

    lam_slider = widgets.FloatLogSlider(value=lam, base=10, min=-3, max=0, step=0.1, description="λ",
                                        continuous_update=False)
    beta_slider = widgets.FloatLogSlider(value=beta, base=10, min=-6, max=-1, step=0.25, description="β",
                                         continuous_update=False)
    k_slider = widgets.IntSlider(value=k, min=3, max=30, description="columns k", continuous_update=False)
    out = widgets.interactive_output(
        lambda lam, beta, k: (sensing_figure(lam, beta, k, **kwargs), plt.show()),
        {"lam": lam_slider, "beta": beta_slider, "k": k_slider},
    )
    return widgets.VBox([widgets.HBox([lam_slider, beta_slider, k_slider]), out])


# ---------------------------------------------------------------- chapter "Lottery tickets"
__all__ += ["lottery_figure", "lottery_panel"]


def lottery_figure(r: int = 30, n: int = 250, *, d: int = 100, K: int = 5, trials: int = 4, max_iter: int = 1500,
                   seed: int = 0, ax=None):
    r"""Algorithm 1 on ``trials`` pruned teachers of width ``r`` with ``n`` samples: error histories of GD and AGD.

    Each trial draws a teacher (equal widths, overlapping supports, so
    :math:`\tilde r=r`), ``n`` noiseless samples and a start at relative
    distance 0.1, then runs :func:`~pruning_lab.lottery_train.agd_pruned` with
    :math:`\eta=1/\hat L` and :math:`\beta\in\{0,0.2\}`.  The dotted line is the
    success threshold :math:`10^{-4}`.  Returns ``{"GD": (success rate, mean rate), "AGD": (...)}``.
    """
    from ..lottery import make_teacher
    from ..lottery_train import agd_pruned_batch, empirical_rate, init_at_distance, relative_error

    if not 1 <= r <= d:
        raise ValueError(f"r must lie in 1..d = 1..{d}, got {r}")
    if n < 1:
        raise ValueError(f"n (number of samples) must be >= 1, got {n}")
    rngs = [np.random.default_rng([seed, 6, r, n, t]) for t in range(trials)]
    teachers = [make_teacher(d, K, int(r), rng=g) for g in rngs]
    data = [T.sample(int(n), g) for T, g in zip(teachers, rngs)]
    W0 = np.stack([init_at_distance(T.weights, T.mask, 0.1, g) for T, g in zip(teachers, rngs)])
    X, y = np.stack([D[0] for D in data]), np.stack([D[1] for D in data])
    masks, W_star = np.stack([T.mask for T in teachers]), np.stack([T.weights for T in teachers])
    if ax is None:
        _, ax = plt.subplots(figsize=(7.0, 4.0))
    summary = {}
    for label, beta, color in (("GD", 0.0, "#1f77b4"), ("AGD", 0.2, "#d62728")):
        res = agd_pruned_batch(X, y, masks, W0, beta=beta, max_iter=max_iter, W_ref=W_star)
        for t, rr in enumerate(res):
            ax.semilogy(rr.errors, color=color, alpha=0.7, label=f"{label} (β = {beta:g})" if t == 0 else None)
        ok = [relative_error(rr.weights, T.weights) < 1e-4 for rr, T in zip(res, teachers)]
        rates = [empirical_rate(rr.errors).nu for rr in res]
        summary[label] = (float(np.mean(ok)), float(np.mean(rates)))
    ax.axhline(1e-4, color="0.4", linestyle=":", label="success threshold $10^{-4}$")
    ax.set_xlabel("iteration $t$")
    ax.set_ylabel("relative error")
    ax.set_title(f"r̃ = {r}, N = {n} (N / K r̃ = {n / (K * r):.2f}): success GD {summary['GD'][0]:.0%}, "
                 f"AGD {summary['AGD'][0]:.0%}", fontsize=10)
    ax.legend()
    return summary


def lottery_panel(r: int = 30, n: int = 250, **kwargs):
    """Sliders over the width r̃ and the number of samples N, redrawing :func:`lottery_figure`."""
    import ipywidgets as widgets

    r_slider = widgets.IntSlider(value=r, min=5, max=60, step=5, description="width r̃", continuous_update=False)
    n_slider = widgets.IntSlider(value=n, min=50, max=1000, step=50, description="samples N",
                                 continuous_update=False)
    out = widgets.interactive_output(
        lambda r, n: (lottery_figure(r, n, **kwargs), plt.show()), {"r": r_slider, "n": n_slider})
    return widgets.VBox([widgets.HBox([r_slider, n_slider]), out])
