"""Table-driven fuzz tests of the public API: every bad input raises, with the argument's name in the message.

Each row of the table is a public function, legal keyword arguments for it (``base``), the name of
one of its arguments and a bad value for it.  The bad values are generated systematically from the
kind of the argument (a finite real array, a count, a number >= 0, a fraction, a name from a list):
NaN, inf, complex, negative, zero, a non-integer or boolean for an integer, a wrong shape or number
of dimensions, an empty array, a string, ``None``; only values that are genuinely illegal for that
argument are kept.  A row passes when the call raises ``ValueError`` or ``TypeError`` whose message
contains the argument's name (as a word), never a silent result or an exception from deep inside
numpy or torch.  ``test_base_calls_are_legal`` checks that every function accepts its ``base``
arguments, so the rows test the bad value and nothing else.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
import pytest
from matplotlib.figure import Figure

from pruning_lab import dc, layerwise, lottery, lsq, pipeline, plotting, prune, selection, sensing, sparse
from pruning_lab.problems import LinearGaussianProblem, diagonal_spiked_covariance, equicorrelated_covariance
from pruning_lab.random_features import RandomFeaturesProblem, relu_feature_moments

try:
    import torch
except ImportError:  # the network rows need torch; the others run without it
    torch = None

BAD = (ValueError, TypeError)
RNG = np.random.default_rng(0)


# ----------------------------------------------------------------------------- bad values by kind
def bad_arrays(good, *, extra=(), skip=()):
    """Bad values for an argument that must be a finite real array like ``good``."""
    good = np.asarray(good, dtype=float)
    nan, inf = good.copy(), good.copy()
    nan.flat[0], inf.flat[-1] = np.nan, np.inf
    out = {
        "nan": nan,
        "inf": inf,
        "complex": good + 1j,
        "string": "abc",
        "strings": good.astype(str),
        "none": None,
        "none_entry": np.array([None] * good.size, dtype=object).reshape(good.shape) if good.size else None,
    }
    out.update(dict(extra))
    return {k: v for k, v in out.items() if k not in skip}


def bad_ints(low=1, *, high=None, extra=(), skip=()):
    """Bad values for an argument that must be an integer in ``low..high``."""
    out = {"float": 2.5, "bool": True, "string": "3", "none": None, "nan": float("nan"), "complex": 2 + 0j}
    out["below"] = low - 1
    if high is not None:
        out["above"] = high + 1
    out.update(dict(extra))
    return {k: v for k, v in out.items() if k not in skip}


def bad_reals(low=0.0, *, strict=False, high=None, extra=(), skip=()):
    """Bad values for an argument that must be a finite real number in ``[low, high]`` (``(low, ...`` if strict)."""
    out = {"nan": float("nan"), "inf": float("inf"), "complex": 1j, "string": "1.0", "none": None}
    if low is not None:
        out["below"] = low - 1.0
        if strict:
            out["at_low"] = low
    if high is not None:
        out["above"] = high + 0.5
    out.update(dict(extra))
    return {k: v for k, v in out.items() if k not in skip}


def bad_choices(extra=(), skip=()):
    """Bad values for an argument that must be one name out of a list."""
    out = {"unknown": "no-such-name", "none": None, "number": 3}
    out.update(dict(extra))
    return {k: v for k, v in out.items() if k not in skip}


@dataclass(frozen=True)
class Spec:
    """A public function with legal arguments ``base`` and, per argument, its bad values (and name in messages)."""

    label: str
    fn: object
    base: dict
    bad: dict  # argument -> {tag: bad value}
    names: dict | None = None  # argument -> the name (or tuple of names) its message must contain


# ----------------------------------------------------------------------------- legal inputs
P, N = 6, 12
W = RNG.standard_normal(P)
W2 = RNG.standard_normal((3, P))
X = RNG.standard_normal((N, P))
Y = X @ W + 0.1 * RNG.standard_normal(N)
H = X.T @ X / N
PROBLEM = LinearGaussianProblem.isotropic(W / 3, 0.5)
WORLD = dc.two_level_world(40, 4)
TEACHER = lottery.make_teacher(8, 2, 3, rng=0)
LX, LY = TEACHER.sample(30, 1)
LW0 = lottery.init_at_distance(TEACHER.weights, TEACHER.mask, 0.1, 2)
U = RNG.standard_normal((5, 3))
GROUPS = [[0, 1], [2, 3], [4, 5]]
LAYER_W = RNG.standard_normal((4, 8))
LAYER_H = np.cov(RNG.standard_normal((8, 40))) + np.eye(8)
A = np.sign(RNG.standard_normal((20, 4)))
AY = np.where(A @ np.ones(4) > 0, 1.0, -1.0)


def _vec_shape(n):  # wrong lengths, wrong ndim and empty for a vector of length n
    return {"short": np.ones(n - 1), "matrix": np.ones((n, 2)), "empty": np.zeros(0), "scalar": 1.0}


SPECS = [
    # ---- prune
    Spec(
        "magnitude_prune",
        prune.magnitude_prune,
        dict(w=W, s=3),
        dict(
            w=bad_arrays(W, extra={"empty": np.zeros(0), "3d": np.ones((2, 2, 2))}),
            s=bad_ints(0, high=P, skip=("below",), extra={"neg": -1}),
        ),
    ),
    Spec(
        "hessian_prune",
        prune.hessian_prune,
        dict(w=W, s=3, hessian_diag=np.diag(H)),
        dict(
            w=bad_arrays(W),
            hessian_diag=bad_arrays(np.diag(H), extra={**_vec_shape(P), "negative": -np.ones(P)}),
        ),
    ),
    Spec(
        "oracle_prune",
        prune.oracle_prune,
        dict(w=W, s=3, saliency=np.abs(W)),
        dict(saliency=bad_arrays(W, extra=_vec_shape(P))),
    ),
    Spec(
        "random_prune",
        prune.random_prune,
        dict(w=W, s=3, rng=0),
        dict(w=bad_arrays(W), rng={"float": 1.5, "string": "0", "list": [1, 2]}, s=bad_ints(0, high=P)),
    ),
    Spec(
        "threshold_prune",
        prune.threshold_prune,
        dict(w=W, threshold=0.5),
        dict(threshold=bad_reals(), w=bad_arrays(W), scores=bad_arrays(W, skip=("none",), extra=_vec_shape(P))),
    ),
    Spec(
        "top_s_mask",
        prune.top_s_mask,
        dict(scores=W, s=2),
        dict(scores=bad_arrays(W, extra={"3d": np.ones((2, 2, 2))}), s=bad_ints(0)),
    ),
    Spec(
        "obs_prune",
        prune.obs_prune,
        dict(w=W, hessian=H, s=3),
        dict(
            hessian=bad_arrays(H, extra={"non_square": np.ones((P, P - 1)), "vector": np.ones(P)}),
            damping=bad_reals(),
            s=bad_ints(0, high=P),
        ),
    ),
    # ---- lsq
    Spec(
        "min_norm_solution",
        lsq.min_norm_solution,
        dict(X=X, y=Y),
        dict(
            X=bad_arrays(X, extra={"vector": np.ones(N), "empty": np.zeros((0, P))}),
            y=bad_arrays(Y, extra={"short": np.ones(N - 1)}),
            method=bad_choices(),
        ),
    ),
    Spec(
        "ridge_solution",
        lsq.ridge_solution,
        dict(X=X, y=Y, mu=0.1),
        dict(mu=bad_reals(), X=bad_arrays(X), y=bad_arrays(Y)),
    ),
    Spec(
        "restricted_fit",
        lsq.restricted_fit,
        dict(X=X, y=Y, support=[0, 2]),
        dict(
            support={"out_of_range": [0, P], "negative": [-1], "floats": [0.5, 1.5], "repeated": [1, 1]},
            y=bad_arrays(Y),
        ),
    ),
    Spec("empirical_hessian_diag", lsq.empirical_hessian_diag, dict(X=X), dict(X=bad_arrays(X))),
    # ---- problems
    Spec(
        "LinearGaussianProblem",
        LinearGaussianProblem,
        dict(beta=W, sigma=0.5, covariance=np.ones(P)),
        dict(
            beta=bad_arrays(W, extra={"empty": np.zeros(0), "matrix": np.ones((P, 2))}),
            sigma=bad_reals(),
            covariance=bad_arrays(
                np.ones(P), extra={"negative": -np.ones(P), "short": np.ones(P - 1), "asymmetric": np.triu(H + 1)}
            ),
        ),
    ),
    Spec(
        "LinearGaussianProblem.sample",
        PROBLEM.sample,
        dict(n=5, rng=0),
        dict(n=bad_ints(1), rng={"float": 0.5, "string": "seed"}),
    ),
    Spec(
        "equicorrelated_covariance",
        equicorrelated_covariance,
        dict(p=P, rho=0.3),
        dict(p=bad_ints(1), rho=bad_reals(0.0, high=1.0)),
    ),
    Spec(
        "diagonal_spiked_covariance",
        diagonal_spiked_covariance,
        dict(p=P, n_spike=2, spike=5.0),
        dict(p=bad_ints(1), n_spike=bad_ints(0, high=P), spike=bad_reals(), bulk=bad_reals()),
    ),
    # ---- pipeline
    Spec(
        "train_prune_retrain",
        pipeline.train_prune_retrain,
        dict(X=X, y=Y, s=3),
        dict(
            X=bad_arrays(X),
            y=bad_arrays(Y, extra={"matrix": np.ones((N, 2))}),
            s=bad_ints(0, high=P),
            strategy=bad_choices(),
            retrain_data={"single": (X,), "triple": (X, Y, Y), "array": X, "wide": (np.ones((N, P + 1)), Y)},
        ),
    ),
    Spec(
        "prune_weights",
        pipeline.prune_weights,
        dict(strategy="obs", w=W, s=3, X=X),
        dict(strategy=bad_choices(), w=bad_arrays(W), s=bad_ints(0, high=P), X=bad_arrays(X)),
    ),
    Spec(
        "compare_strategies",
        pipeline.compare_strategies,
        dict(problem=PROBLEM, n=N, sparsities=[2], strategies=("magnitude",), trials=2, progress=False),
        dict(
            n=bad_ints(1),
            sparsities={"float": [2.5], "above": [P + 1], "negative": [-1], "string": ["2"]},
            trials=bad_ints(1),
            strategies={"unknown": ("nope",), "empty": (), "string": "nope"},
            small_ridge={"zero": 0.0, "nan": np.nan, "complex": np.array([0.1 + 1j])},
        ),
        names={"strategies": ("strategies", "strategy")},  # "unknown pruning strategy 'nope'"
    ),
    Spec(
        "loo_ridge_penalty",
        pipeline.loo_ridge_penalty,
        dict(X=X, y=Y),
        dict(X=bad_arrays(X), y=bad_arrays(Y), grid={"zero": [0.1, 0.0], "empty": [], "nan": [np.nan]}),
    ),
    # ---- layerwise (one layer pruned with calibration data)
    Spec(
        "damped_hessian",
        layerwise.damped_hessian,
        dict(hessian=LAYER_H),
        dict(hessian=bad_arrays(LAYER_H, extra={"non_square": np.ones((8, 7))}), damp=bad_reals()),
    ),
    Spec(
        "select_mask",
        layerwise.select_mask,
        dict(scores=np.abs(LAYER_W), sparsity=0.5),
        dict(
            scores=bad_arrays(LAYER_W, skip=("inf",), extra={"vector": np.ones(8)}),  # inf scores rank first
            sparsity=bad_reals(0.0, high=1.0, skip=("none",)),
            scope=bad_choices(),
        ),
    ),
    Spec(
        "prune_layer",
        layerwise.prune_layer,
        dict(weights=LAYER_W, hessian=LAYER_H, strategy="magnitude", sparsity=0.5),
        dict(
            weights=bad_arrays(LAYER_W, extra={"vector": np.ones(8)}),
            hessian=bad_arrays(LAYER_H, extra={"small": np.eye(7)}),
            strategy=bad_choices(),
            damp=bad_reals(),
        ),
    ),
    # ---- dc theory and simulation
    Spec(
        "dc_params",
        dc.dc_params,
        dict(problem=PROBLEM, n=N),
        dict(n=bad_ints(1), ridge=bad_reals(), problem={"string": "world", "array": W}),
    ),
    Spec(
        "isotropic_risk",
        dc.isotropic_risk,
        dict(kappa=0.5, r2=1.0, sigma=0.5),
        dict(kappa=bad_reals(extra={"one": 1.0}), r2=bad_reals(), sigma=bad_reals()),
    ),
    Spec(
        "simulate_min_norm",
        dc.simulate_min_norm,
        dict(problem=PROBLEM, n=N, trials=2),
        dict(n=bad_ints(1), trials=bad_ints(1), problem={"string": "world"}),
    ),
    Spec(
        "simulate_threshold_pruning",
        dc.simulate_threshold_pruning,
        dict(problem=PROBLEM, weights=W2, ts=[0.1]),
        dict(
            weights=bad_arrays(W2, extra={"one_trial": W2[:1], "wide": np.ones((3, P + 1)), "vector": W}),
            ts=bad_arrays([0.1], extra={"negative": [-0.1], "empty": []}),
            strategy=bad_choices(),
            problem={"string": "world"},
        ),
    ),
    Spec(
        "simulate_lemma1",
        dc.simulate_lemma1,
        dict(p=4, s=2, n=N, sigma=0.5, beta=np.ones(4), trials=2),
        dict(p=bad_ints(1), n=bad_ints(1), s=bad_ints(0, high=4), sigma=bad_reals(), beta=bad_arrays(np.ones(4))),
    ),
    Spec(
        "dense_risk_curve",
        dc.dense_risk_curve,
        dict(n=10, kappas=[0.5], trials=0),
        dict(
            kappas=bad_arrays([0.5], extra={"zero": [0.0], "negative": [-0.5], "empty": [], "matrix": [[0.5]]}),
            n=bad_ints(1),
            r2=bad_reals(),
            sigma=bad_reals(),
            trials=bad_ints(0),
        ),
    ),
    Spec(
        "sparse_double_descent",
        dc.sparse_double_descent,
        dict(world=WORLD, n=10, s=2, ps=[5]),
        dict(
            ps={"float": [2.5], "zero": [0], "above": [41], "empty": [], "nan": [np.nan], "string": ["5"]},
            n=bad_ints(1),
            s=bad_ints(0),
            trials=bad_ints(0),
            retrain_draws=bad_ints(0),
            world={"string": "world"},
        ),
    ),
    Spec(
        "two_level_world",
        dc.two_level_world,
        dict(P=20, k=4),
        dict(
            P=bad_ints(1),
            k=bad_ints(0, high=20),
            spike=bad_reals(strict=True),
            sigma=bad_reals(),
            signal_spike=bad_reals(),
            signal_bulk=bad_reals(),
            beta_spike=bad_reals(None, skip=("none",)),
        ),
    ),
    Spec("learner_problem", dc.learner_problem, dict(world=WORLD, p=5), dict(p=bad_ints(1, high=40))),
    Spec(
        "agreement",
        dc.agreement,
        dict(theory=[1.0, 2.0], simulated=[1.1, 2.1]),
        dict(
            theory=bad_arrays([1.0, 2.0], skip=("nan", "inf"), extra={"short": [1.0]}),
            simulated=bad_arrays([1.0, 2.0], skip=("nan", "inf")),
            where={"ints": np.array([1, 0]), "short": np.array([True])},
        ),
    ),
    Spec(
        "threshold_risk",
        dc.threshold_risk,
        dict(problem=PROBLEM, n=N, t=0.1),
        dict(t=bad_reals(), n=bad_ints(1), strategy=bad_choices(), ridge=bad_reals()),
    ),
    Spec(
        "oracle_prune_risk",
        dc.oracle_prune_risk,
        dict(problem=PROBLEM, n=N, s=2),
        dict(n=bad_ints(1), s=bad_ints(0, high=P), ridge=bad_reals()),
    ),
    # ---- sensing
    Spec("min_measurements", sensing.min_measurements, dict(d=5, r=2), dict(d=bad_ints(1), r=bad_ints(0, high=5))),
    Spec(
        "random_init",
        sensing.random_init,
        dict(d=5, k=3, rng=0),
        dict(d=bad_ints(1), k=bad_ints(1), scale=bad_reals()),
    ),
    Spec("column_norms", sensing.column_norms, dict(U=U), dict(U=bad_arrays(U, extra={"vector": np.ones(5)}))),
    Spec(
        "prune_columns",
        sensing.prune_columns,
        dict(U=U, tau=0.1),
        dict(U=bad_arrays(U, extra={"vector": np.ones(5)}), tau=bad_reals()),
    ),
    Spec(
        "prune_top_columns",
        sensing.prune_top_columns,
        dict(U=U, count=2),
        dict(count=bad_ints(0, high=3), U=bad_arrays(U)),
    ),
    Spec(
        "prunability_stats",
        sensing.prunability_stats,
        dict(U=U),
        dict(U=bad_arrays(U), c=bad_reals(0.0, strict=True, high=1.0)),
    ),
    Spec(
        "make_ground_truth",
        sensing.make_ground_truth,
        dict(d=5, r=2, rng=0),
        dict(
            d=bad_ints(1),
            r=bad_ints(1, high=5),
            sing_vals=bad_arrays([1.0, 2.0], skip=("none",), extra={"short": [1.0]}),
        ),
    ),
    Spec(
        "sample_measurements",
        sensing.sample_measurements,
        dict(n=10, d=4, rng=0),
        dict(n=bad_ints(1), d=bad_ints(1), kind=bad_choices()),
    ),
    Spec(
        "recovery_error",
        sensing.recovery_error,
        dict(U=U, M_star=U @ U.T),
        dict(U=bad_arrays(U), M_star=bad_arrays(U @ U.T, extra={"non_square": np.ones((5, 4))})),
    ),
    # ---- lottery
    Spec(
        "magnitude_mask",
        lottery.magnitude_mask,
        dict(W=TEACHER.weights, r=2),
        dict(
            W=bad_arrays(TEACHER.weights, extra={"vector": np.ones(8)}),
            r={"zero": 0, "float": 2.5, "too_many": 9, "wrong_length": [1, 2, 3], "string": "2", "none": None},
            within={"ints": np.full((8, 2), 2), "wrong_shape": np.ones((7, 2), dtype=bool)},
        ),
    ),
    Spec(
        "agd_pruned",
        lottery.agd_pruned,
        dict(X=LX, y=LY, mask=TEACHER.mask, W0=LW0, max_iter=2),
        dict(
            X=bad_arrays(LX, extra={"empty": np.zeros((0, 8))}),
            y=bad_arrays(LY, extra={"short": LY[:-1]}),
            W0=bad_arrays(LW0, extra={"outside_mask": np.ones((8, 2)), "zero_auto": np.zeros((8, 2))}),
            mask=bad_arrays(TEACHER.mask, skip=("complex",), extra={"twos": np.full((8, 2), 2)}),
            eta=bad_reals(strict=True, extra={"unknown": "fast"}),
            beta=bad_reals(high=1.0, extra={"one": 1.0}),
            max_iter=bad_ints(1),
            tol=bad_reals(),
        ),
    ),
    Spec(
        "relative_error",
        lottery.relative_error,
        dict(W=LW0, W_star=TEACHER.weights),
        dict(W=bad_arrays(LW0, extra={"wrong_shape": np.ones((8, 3))}), W_star=bad_arrays(TEACHER.weights)),
    ),
    Spec(
        "make_teacher",
        lottery.make_teacher,
        dict(d=8, K=2, r=3, rng=0),
        dict(d=bad_ints(1), K=bad_ints(1), r={"zero": 0, "float": 2.5, "too_wide": 9, "string": "3"}),
    ),
    Spec(
        "check_mask",
        lottery.check_mask,
        dict(mask=TEACHER.mask),
        dict(mask=bad_arrays(TEACHER.mask, extra={"vector": np.ones(8), "twos": np.full((8, 2), 2)})),
    ),
    Spec(
        "heavy_ball_rate",
        lottery.heavy_ball_rate,
        dict(mu=0.1, L=1.0, eta=0.5, beta=0.2),
        dict(mu=bad_reals(), L=bad_reals(), eta=bad_reals(), beta=bad_reals(high=1.0)),
    ),
    # ---- sparse
    Spec(
        "group_soft_threshold",
        sparse.group_soft_threshold,
        dict(x=W, groups=GROUPS, t=0.5),
        dict(
            x=bad_arrays(W),
            t=bad_reals(),
            groups={"overlap": [[0, 1], [1, 2]], "out_of_range": [[0, 9]], "floats": [[0.5, 1]]},
            unpenalized={"float": [0.5], "out_of_range": [7]},
        ),
    ),
    Spec(
        "hard_threshold",
        sparse.hard_threshold,
        dict(x=W, s=2),
        dict(x=bad_arrays(W), s=bad_ints(0, high=P)),
    ),
    Spec(
        "lambda_max",
        sparse.lambda_max,
        dict(X=X, y=Y, groups=GROUPS),
        dict(X=bad_arrays(X), y=bad_arrays(Y), unpenalized={"float": [1.5], "out_of_range": [3]}),
    ),
    Spec(
        "group_lasso",
        sparse.group_lasso,
        dict(X=X, y=Y, lam=0.1, groups=GROUPS, max_iter=50),
        dict(lam=bad_reals(), X=bad_arrays(X), y=bad_arrays(Y), tol=bad_reals(), max_iter=bad_ints(0)),
    ),
    Spec(
        "omp",
        sparse.omp,
        dict(X=X, y=Y, s=2),
        dict(s=bad_ints(0, high=P), X=bad_arrays(X), y=bad_arrays(Y)),
    ),
    Spec(
        "ompr",
        sparse.ompr,
        dict(X=X, y=Y, k=2, groups=GROUPS, n_iter=2),
        dict(
            k=bad_ints(0, high=3),
            n_iter=bad_ints(0),
            start={"floats": [0.5, 1.7], "out_of_range": [0, 5], "repeated": [1, 1], "wrong_count": [0]},
        ),
    ),
    Spec(
        "iht",
        sparse.iht,
        dict(X=X, y=Y, s=2, max_iter=5),
        dict(s=bad_ints(0, high=P), step=bad_reals(strict=True, skip=("none",)), max_iter=bad_ints(0)),
    ),
    # ---- selection
    Spec(
        "leverage_scores",
        selection.leverage_scores,
        dict(X=X),
        dict(X=bad_arrays(X, extra={"vector": np.ones(N)})),
    ),
    Spec("uniform_sample", selection.uniform_sample, dict(n=10, s=3), dict(n=bad_ints(1), s=bad_ints(1))),
    Spec(
        "leverage_sample",
        selection.leverage_sample,
        dict(X=X, s=3),
        dict(X=bad_arrays(X), s=bad_ints(1)),
    ),
    Spec("kmeans", selection.kmeans, dict(X=X, k=2), dict(X=bad_arrays(X), k=bad_ints(1, high=N), iters=bad_ints(1))),
    Spec(
        "weighted_least_squares",
        selection.weighted_least_squares,
        dict(X=X, y=Y, idx=[0, 1, 2, 3, 4, 5, 6], weights=np.ones(7)),
        dict(
            weights=bad_arrays(np.ones(7), extra={"negative": -np.ones(7), "short": np.ones(6)}),
            idx={"out_of_range": [0, N], "floats": [0.5, 1.5]},
            y=bad_arrays(Y),
        ),
    ),
    Spec(
        "logistic_loss",
        selection.logistic_loss,
        dict(A=A, y=AY, x=np.zeros(4)),
        dict(
            A=bad_arrays(A),
            y=bad_arrays(AY, extra={"zeros": np.zeros(20), "short": AY[:-1]}),
            x=bad_arrays(np.zeros(4), extra={"short": np.zeros(3)}),
        ),
    ),
    Spec(
        "one_minus_r2",
        selection.one_minus_r2,
        dict(X=X, y=Y, x=W),
        dict(X=bad_arrays(X), y=bad_arrays(Y), x=bad_arrays(W, extra={"short": W[:-1]})),
    ),
    Spec(
        "block_scores",
        selection.block_scores,
        dict(W=LAYER_W, block=2),
        dict(W=bad_arrays(LAYER_W), block=bad_ints(1, extra={"not_dividing": 3})),
    ),
    Spec("ds1_sample_size", selection.ds1_sample_size, dict(eps=0.5), dict(eps=bad_reals(strict=True))),
    # ---- random features
    Spec(
        "RandomFeaturesProblem",
        RandomFeaturesProblem,
        dict(R=np.eye(3)[:2], w=np.ones(3) / np.sqrt(3), v=np.ones(3)),
        dict(
            R=bad_arrays(np.eye(3)[:2], extra={"vector": np.ones(3)}),
            w=bad_arrays(np.ones(3), extra={"short": np.ones(2)}),
            v=bad_arrays(np.ones(3), extra={"short": np.ones(2)}),
            noise=bad_reals(),
            activation=bad_choices(),
        ),
    ),
    Spec(
        "relu_feature_moments",
        relu_feature_moments,
        dict(rf=RandomFeaturesProblem(np.eye(3)[:2], np.ones(3) / np.sqrt(3), np.ones(3))),
        dict(rf={"string": "rf", "array": np.ones(3)}),
    ),
]


MEAS = sensing.sample_measurements(10, 4, rng=0)
SPECS += [
    Spec(
        "Measurements.apply",
        MEAS.apply,
        dict(M=np.eye(4)),
        dict(M=bad_arrays(np.eye(4), skip=("nan", "inf"), extra={"wrong_size": np.eye(3)})),
    ),
    Spec(
        "Measurements.adjoint",
        MEAS.adjoint,
        dict(w=np.ones(10)),
        dict(w=bad_arrays(np.ones(10), skip=("nan", "inf"), extra={"short": np.ones(9), "scalar": 1.0})),
    ),
    Spec(
        "noise_sweep",
        lottery.noise_sweep,
        dict(r_values=[2], n_values=[20], noise_levels=[0.01], d=6, K=2, trials=1, max_iter=3),
        dict(
            noise_levels=bad_arrays([0.01], extra={"zero": [0.0], "negative": [-0.01], "matrix": [[0.01]]}),
            r_values={"float": [2.5], "zero": [0], "empty": []},
            n_values={"float": [20.5], "empty": [], "string": ["20"]},
        ),
    ),
]

# ---- plotting (cheap calls only)
SPECS += [
    Spec(
        "log_scale",
        plotting.log_scale,
        dict(ax=Figure().add_subplot(), which="y"),
        dict(which=bad_choices(), base=bad_reals(1.0, strict=True)),
    ),
    Spec("plot_mask_penalties", plotting.plot_mask_penalties, dict(), dict(a_max=bad_reals(strict=True))),
]

# ---- networks (torch), with a tiny model
if torch is not None:
    from pruning_lab.data import Dataset
    from pruning_lab.nn import gradual, imp, masks, models, train
    from pruning_lab.nn.pipeline import mask_sweep
    from pruning_lab.nn.sensitivity import sensitivity_scan

    torch.set_num_threads(1)

    def _tiny():
        torch.manual_seed(0)
        return torch.nn.Sequential(torch.nn.Linear(4, 5), torch.nn.ReLU(), torch.nn.Linear(5, 3))

    TINY = _tiny()
    META = _tiny().to("meta")
    NX = RNG.standard_normal((10, 4)).astype(np.float32)
    NY = np.arange(10) % 3
    RECIPE = train.TrainingRecipe(epochs=1, batch_size=5)
    MASKS = masks.random_masks(_tiny(), 0.5, generator=0)
    NDATA = Dataset(NX, NY, NX, NY, name="tiny")
    BAD_MODELS = {"string": "model", "none": None, "meta": META}
    BAD_X = bad_arrays(NX, extra={"wide": np.ones((10, 5), np.float32), "empty": np.zeros((0, 4), np.float32)})
    BAD_Y = {
        "float": NY + 0.5,
        "negative": NY - 1,
        "too_large": NY + 3,
        "matrix": np.stack([NY, NY], 1),
        "short": NY[:-1],
        "strings": NY.astype(str),
        "none": None,
        "nan": np.where(NY == 0, np.nan, NY),
        "complex": NY + 1j,
    }
    SPECS += [
        Spec(
            "train_classifier",
            lambda model, **kw: train.train_classifier(model, **kw),
            dict(model=TINY, X=NX, y=NY, recipe=RECIPE),
            dict(
                model=BAD_MODELS,
                X=BAD_X,
                y=BAD_Y,
                recipe={"dict": {"epochs": 1}, "none": None},
                sample_weight=bad_arrays(
                    np.ones(10), skip=("none",), extra={"negative": -np.ones(10), "short": np.ones(9)}
                ),
                masks={"list": [1, 2], "unknown": {"nope.weight": torch.ones(3, dtype=torch.bool)}},
            ),
            names={"masks": ("masks", "mask")},  # "mask name 'nope.weight' is not a parameter of the model"
        ),
        Spec(
            "accuracy",
            train.accuracy,
            dict(model=TINY, X=NX, y=NY),
            dict(model=BAD_MODELS, X=BAD_X, y=BAD_Y, batch_size=bad_ints(1)),
        ),
        Spec(
            "evaluate",
            train.evaluate,
            dict(model=TINY, X=NX, y=NY),
            dict(model=BAD_MODELS, X=BAD_X, y=BAD_Y, batch_size=bad_ints(1)),
        ),
        Spec(
            "learning_rate",
            train.learning_rate,
            dict(step=3, total_steps=10, lr=0.1, schedule="cosine"),
            dict(
                step=bad_ints(0, high=10),
                total_steps=bad_ints(1),
                lr=bad_reals(),
                schedule=bad_choices(),
            ),
            names={"schedule": ("schedule", "lr_schedule")},
        ),
        Spec(
            "TrainingRecipe",
            train.TrainingRecipe,
            dict(),
            dict(
                lr=bad_reals(strict=True),
                epochs=bad_ints(0),
                batch_size=bad_ints(1),
                momentum=bad_reals(high=1.0, extra={"one": 1.0}),
                weight_decay=bad_reals(),
                seed=bad_ints(0),
                optimizer=bad_choices(),
                lr_schedule=bad_choices(),
            ),
        ),
        Spec(
            "layerwise_counts",
            masks.layerwise_counts,
            dict(sizes=[3, 2], keep=2),
            dict(
                sizes={"float": [3.7, 2], "zero": [3, 0], "empty": [], "matrix": [[3, 2]], "string": ["3"]},
                keep=bad_ints(0, high=5),
            ),
        ),
        Spec(
            "global_magnitude_masks",
            masks.global_magnitude_masks,
            dict(model=TINY, sparsity=0.5),
            dict(model=BAD_MODELS, sparsity=bad_reals(high=1.0, skip=("none",))),
        ),
        Spec(
            "random_masks",
            masks.random_masks,
            dict(model=TINY, sparsity=0.5, generator=0),
            dict(model=BAD_MODELS, sparsity=bad_reals(high=1.0), scope=bad_choices()),
        ),
        Spec(
            "prune_remaining",
            imp.prune_remaining,
            dict(model=TINY, masks=MASKS, prune_fraction=0.2),
            dict(
                model=BAD_MODELS,
                masks={"list": [1], "missing": {}, "wrong_dtype": {k: v.float() for k, v in MASKS.items()}},
                prune_fraction=bad_reals(high=1.0),
                scope=bad_choices(),
            ),
            names={"masks": ("masks", "mask")},  # "mask for 0.weight must be a torch.BoolTensor"
        ),
        Spec(
            "cubic_sparsity",
            gradual.cubic_sparsity,
            dict(step=3, start=0, end=10, final=0.9),
            dict(step=bad_ints(0), start=bad_ints(0), end=bad_ints(1), final=bad_reals(high=1.0)),
        ),
        Spec(
            "mask_sweep",
            mask_sweep,
            dict(model=TINY, data=NDATA, sparsities=[0.5], strategies=("global",), recipe=RECIPE),
            dict(
                sparsities=bad_arrays([0.5], extra={"above": [1.5], "negative": [-0.1], "empty": []}),
                strategies={"unknown": ("nope",)},
                recipe={"dict": {"epochs": 1}},
            ),
            names={"strategies": ("strategies", "strategy")},  # "unknown pruning strategy 'nope'"
        ),
        Spec(
            "sensitivity_scan",
            sensitivity_scan,
            dict(model=TINY, evaluate=lambda m: 0.0, sparsities=[0.5]),
            dict(
                sparsities=bad_arrays([0.5], skip=("inf",), extra={"above": [1.5], "empty": []}),
                model=BAD_MODELS,
            ),
        ),
        Spec(
            "build_model",
            models.build_model,
            dict(name="fc2", width=4, in_features=4, num_classes=3),
            dict(name=bad_choices(), width=bad_ints(1), num_classes=bad_ints(1)),
        ),
    ]


def _rows():
    rows = []
    for spec in SPECS:
        for arg, variants in spec.bad.items():
            for tag, value in variants.items():
                name = (spec.names or {}).get(arg, arg)
                rows.append(pytest.param(spec, arg, value, name, id=f"{spec.label}-{arg}-{tag}"))
    return rows


ROWS = _rows()


def _message_names(err, names) -> bool:
    """True if the message contains one of ``names`` (a string or a tuple of accepted spellings) as a word."""
    names = (names,) if isinstance(names, str) else names
    return any(re.search(rf"(?<![A-Za-z0-9_]){re.escape(n)}(?![A-Za-z0-9_])", str(err)) for n in names)


@pytest.mark.filterwarnings("error")  # a warning (e.g. numpy's ComplexWarning) with a result is no error
@pytest.mark.parametrize("spec, arg, value, name", ROWS)
def test_bad_input_raises_naming_the_argument(spec, arg, value, name):
    kwargs = dict(spec.base) | {arg: value}
    with pytest.raises(BAD) as info:
        spec.fn(**kwargs)
    assert _message_names(info.value, name), f"message does not name {name!r}: {info.value}"


@pytest.mark.parametrize("spec", SPECS, ids=[s.label for s in SPECS])
def test_base_calls_are_legal(spec):
    spec.fn(**spec.base)


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    import matplotlib.pyplot as plt

    plt.close("all")


def test_the_table_is_large():
    assert len(ROWS) >= 200
