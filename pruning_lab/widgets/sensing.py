"""Interactive panel of the chapter :doc:`/book/matrix_sensing` (mirrors :mod:`pruning_lab.plotting.sensing`)."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np

from ..plotting.sensing import plot_column_profiles, plot_finetune_curves
from ..sensing import SensingProblem, sensing_run
from .panel import controls_panel

__all__ = ["sensing_figure", "sensing_panel"]


def sensing_figure(
    lam: float = 0.05, beta: float = 0.01, k: int = 12, *, n: int = 1500, noise_sigma: float = 0.0, seed: int = 0
):
    r"""Group Lasso → prune → fine-tune on the reference problem (d = 20, r = 3), for one :math:`(\lambda,\beta,k)`.

    Left: sorted column norms after training with and without the regularizer, with the threshold
    :math:`\tau=\sqrt\beta`.  Right: recovery error while fine-tuning the pruned model.  The title
    gives the number of kept columns, :math:`\lambda/\sqrt\beta` against the strict-saddle bound
    :math:`4(\sigma^\star_r)^2=1.44` and the final error.  Runs
    :func:`~pruning_lab.sensing.experiments.sensing_run` (about a second).  Returns the Figure.
    Used in the chapter :doc:`/book/matrix_sensing` (through :func:`sensing_panel`).

    Parameters
    ----------
    lam : float
        Regularization strength :math:`\lambda\ge0`.
    beta : float
        Smoothing :math:`\beta\ge0` of the group Lasso, and the threshold :math:`\tau=\sqrt\beta`.
    k : int
        Number of columns of the factor, ``k >= 3``.
    n : int
        Number of measurements (at least 57, the degrees of freedom for ``d = 20``, ``r = 3``).
    noise_sigma : float
        Measurement noise level :math:`\sigma\ge0`.
    seed : int
        Seed of the ground truth; the data and :math:`U_0` use ``seed + 1``.

    Returns
    -------
    matplotlib.figure.Figure
        The two-panel figure.
    """
    problem = SensingProblem.reference(noise_sigma, rng=seed)
    run = sensing_run(problem, n, k, lam, beta, rng=seed + 1, ft_steps=800)
    fig, (left, right) = plt.subplots(1, 2, figsize=(11.0, 4.0))
    plot_column_profiles(
        {"group Lasso": run.pipeline.trained.U, "no regularizer": run.unregularized.U}, tau=run.pipeline.tau, ax=left
    )
    left.set_title(f"after training: {run.pipeline.n_kept} of {k} columns ≥ τ (r = {problem.r})")
    plot_finetune_curves({f"fine-tuning the {run.pipeline.n_kept} kept columns": run.pipeline.finetuned}, ax=right)
    right.set_title(
        f"λ/√β = {lam / np.sqrt(beta):.3g} (strict-saddle bound {4 * problem.sing_vals[-1] ** 2:.2f}); "
        f"final error {run.pipeline.finetuned.errors[-1]:.1e}"
    )
    fig.tight_layout()
    return fig


def sensing_panel(lam: float = 0.05, beta: float = 0.01, k: int = 12, **kwargs):
    """Sliders over λ, β (log scales) and the number of columns k, redrawing :func:`sensing_figure`."""
    import ipywidgets as widgets

    lam_slider = widgets.FloatLogSlider(
        value=lam, base=10, min=-3, max=0, step=0.1, description="λ", continuous_update=False
    )
    beta_slider = widgets.FloatLogSlider(
        value=beta, base=10, min=-6, max=-1, step=0.25, description="β", continuous_update=False
    )
    k_slider = widgets.IntSlider(value=k, min=3, max=30, description="columns k", continuous_update=False)
    return controls_panel(sensing_figure, {"lam": lam_slider, "beta": beta_slider, "k": k_slider}, **kwargs)
