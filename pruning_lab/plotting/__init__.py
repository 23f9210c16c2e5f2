"""The book's house plotting style and the figures of the chapters.

One style for every figure (:mod:`pruning_lab.plotting.style`): white figure
background, PNG output in notebooks, one color per pruning strategy in every
chapter.  Call :func:`~pruning_lab.plotting.style.use_house_style` once at the top of a chapter.  The
figures of each group of chapters live in their own submodule (``linear``, ``sensing``,
``lottery``, ``sparse``, ``networks``, ``oneshot``, ``speed``; :mod:`pruning_lab.widgets` mirrors
them) and are all importable from here: ``from pruning_lab.plotting import plot_mask_sweep``.
"""

from .linear import (
    plot_correlated_sweep,
    plot_dc_histogram,
    plot_dense_risk_curve,
    plot_mask_sweep,
    plot_pruned_against_small,
    plot_random_features_curve,
    plot_regime_map,
    plot_retraining_curves,
    plot_retraining_gap,
    plot_risk_vs_sparsity,
    plot_sparse_double_descent,
    plot_strategy_bars,
    plot_threshold_sweep,
)
from .lottery import (
    LOTTERY_COLORS,
    plot_lottery_convergence,
    plot_lottery_curvature,
    plot_lottery_masks,
    plot_lottery_noise,
    plot_lottery_phase,
    plot_lottery_rates,
)
from .networks import (
    plot_imp,
    plot_imp_summary,
    plot_width_sweep,
    width_sweep_comparison,
    width_sweep_paired,
    width_sweep_summary,
    width_sweep_table,
)
from .oneshot import oneshot_table, paired_difference, plot_oneshot
from .sensing import (
    SENSING_COLORS,
    plot_column_profiles,
    plot_finetune_curves,
    plot_generalization_curve,
    plot_survivor_map,
)
from .sparse import (
    SPARSE_COLORS,
    plot_block_pruning,
    plot_block_recovery,
    plot_group_lasso_path,
    plot_mask_penalties,
    plot_objective_vs_sparsity,
    plot_rank_sweep,
    plot_robust_sweep,
    plot_sparsity_tradeoff,
)
from .speed import (
    LATENCY_COLUMNS,
    break_even_rows,
    break_even_sparsity,
    latency_of,
    latency_rows,
    latency_table,
    plot_break_even,
)
from .structured import frontier_comparison
from .style import (
    HOUSE_STYLE,
    STRATEGY_COLORS,
    STRATEGY_LABELS,
    axes_or_new,
    log_scale,
    strategy_color,
    use_house_style,
)

__all__ = [
    "LATENCY_COLUMNS",
    "break_even_rows",
    "break_even_sparsity",
    "frontier_comparison",
    "latency_of",
    "latency_rows",
    "latency_table",
    "plot_break_even",
    "oneshot_table",
    "paired_difference",
    "plot_oneshot",
    "plot_retraining_curves",
    "plot_pruned_against_small",
    "plot_correlated_sweep",
    "HOUSE_STYLE",
    "LOTTERY_COLORS",
    "SENSING_COLORS",
    "SPARSE_COLORS",
    "STRATEGY_COLORS",
    "STRATEGY_LABELS",
    "axes_or_new",
    "log_scale",
    "plot_block_pruning",
    "plot_block_recovery",
    "plot_column_profiles",
    "plot_dc_histogram",
    "plot_dense_risk_curve",
    "plot_finetune_curves",
    "plot_generalization_curve",
    "plot_group_lasso_path",
    "plot_imp",
    "plot_imp_summary",
    "plot_lottery_convergence",
    "plot_lottery_curvature",
    "plot_lottery_masks",
    "plot_lottery_noise",
    "plot_lottery_phase",
    "plot_lottery_rates",
    "plot_mask_penalties",
    "plot_mask_sweep",
    "plot_objective_vs_sparsity",
    "plot_random_features_curve",
    "plot_rank_sweep",
    "plot_regime_map",
    "plot_retraining_gap",
    "plot_risk_vs_sparsity",
    "plot_robust_sweep",
    "plot_sparse_double_descent",
    "plot_sparsity_tradeoff",
    "plot_strategy_bars",
    "plot_survivor_map",
    "plot_threshold_sweep",
    "plot_width_sweep",
    "strategy_color",
    "use_house_style",
    "width_sweep_comparison",
    "width_sweep_paired",
    "width_sweep_summary",
    "width_sweep_table",
]
