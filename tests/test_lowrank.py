"""Tests for pruning_lab.lowrank: greedy / local search over low-rank matrices, SVP, soft-impute."""

import numpy as np
import pytest

from pruning_lab import lowrank as lr


def _full(seed=0, m=30, n=20):
    """A fully observed (full-rank, decaying spectrum) matrix and its squared loss."""
    rng = np.random.default_rng(seed)
    Y = rng.standard_normal((m, n)) * (0.7 ** np.arange(n))
    return Y, lr.ObservedLoss(Y, np.ones((m, n), dtype=bool))


@pytest.fixture(scope="module")
def small():
    """40 x 40, rank 3, 40 % observed, noise 0.01 (with and without 5 % outliers)."""
    prob = lr.MatrixCompletionProblem(40, 40, 3, 0.4, 0.01)
    return prob.sample(1), lr.MatrixCompletionProblem(40, 40, 3, 0.4, 0.01, 0.05, 10.0).sample(1)


# ------------------------------------------------------------------------- problem and losses
def test_sample_is_reproducible_and_has_the_requested_structure():
    prob = lr.MatrixCompletionProblem(30, 25, 4, 0.3, 0.05, outlier_fraction=0.1, outlier_size=10.0)
    a, b, c = prob.sample(7), prob.sample(7), prob.sample(8)
    for name in ("truth", "observed", "mask", "corrupted"):
        np.testing.assert_array_equal(getattr(a, name), getattr(b, name))
    assert not np.array_equal(a.truth, c.truth)
    k = round(0.3 * 30 * 25)
    assert a.mask.sum() == k and a.corrupted.sum() == round(0.1 * k)
    assert np.linalg.matrix_rank(a.truth) == 4
    assert not np.any(a.corrupted & ~a.mask) and np.array_equal(a.test_mask, ~a.mask)
    dev = np.abs(a.observed - a.truth)
    assert np.all(dev[a.corrupted] > 9.5) and np.all(dev[a.mask & ~a.corrupted] < 0.5)
    assert np.all(a.observed[~a.mask] == 0)


@pytest.mark.parametrize("kind,delta", [("squared", 1.0), ("huber", 0.3)])
def test_gradient_matches_finite_differences(kind, delta):
    rng = np.random.default_rng(2)
    Y = rng.standard_normal((7, 6))
    mask = rng.random((7, 6)) < 0.6
    loss = lr.ObservedLoss(Y, mask, kind, delta)
    A = rng.standard_normal((7, 6))
    G = loss.gradient(A)
    assert np.all(G[~mask] == 0)
    h = 1e-6
    for i, j in [(a, b) for a in range(7) for b in range(6)]:
        E = np.zeros_like(A)
        E[i, j] = h
        fd = (loss.value(A + E) - loss.value(A - E)) / (2 * h)
        assert abs(fd - G[i, j]) < 1e-6


def test_huber_closed_form_and_large_delta_limit():
    Y, mask = np.zeros((1, 3)), np.ones((1, 3), dtype=bool)
    A = np.array([[0.1, -2.0, 5.0]])
    hub = lr.ObservedLoss(Y, mask, "huber", 0.5)
    assert hub.value(A) == pytest.approx(0.5 * 0.01 + 0.5 * (2.0 - 0.25) + 0.5 * (5.0 - 0.25), rel=1e-14)
    sq, big = lr.ObservedLoss(Y, mask), lr.ObservedLoss(Y, mask, "huber", 10.0)
    assert big.value(A) == pytest.approx(sq.value(A), rel=1e-14)
    np.testing.assert_allclose(big.gradient(A), sq.gradient(A))


# ------------------------------------------------------------------------- singular pair
def test_top_singular_pair_exact_and_lanczos_agree():
    rng = np.random.default_rng(3)
    for shape, method in (((12, 9), "exact"), ((320, 310), "lanczos"), ((320, 310), "auto")):
        G = rng.standard_normal(shape)
        G += 2 * np.sqrt(max(shape)) * np.outer(*[rng.standard_normal(d) / np.sqrt(d) for d in shape])  # gap
        s, u, v = lr.top_singular_pair(G, method=method)
        U, S, Vt = np.linalg.svd(G)
        assert s == pytest.approx(S[0], rel=1e-10)
        assert u @ G @ v == pytest.approx(S[0], rel=1e-10)
        assert abs(u @ U[:, 0]) == pytest.approx(1.0, abs=1e-8)
        assert u[np.argmax(np.abs(u))] > 0


# ------------------------------------------------------------------------- greedy (check 13)
@pytest.mark.parametrize("r", [1, 3, 7])
def test_greedy_full_observation_is_truncated_svd(r):
    """Eckart-Young: greedy with exact refit after r steps = rank-r truncated SVD, R = 1/2 sum_{i>r} s_i^2."""
    Y, loss = _full()
    U, s, Vt = np.linalg.svd(Y, full_matrices=False)
    fit = lr.greedy_rank(loss, r)
    np.testing.assert_allclose(fit.matrix, (U[:, :r] * s[:r]) @ Vt[:r], atol=1e-8)
    assert fit.objective[-1] == pytest.approx(0.5 * np.sum(s[r:] ** 2), rel=1e-8)
    np.testing.assert_allclose(
        fit.objective, 0.5 * (np.sum(s**2) - np.concatenate([[0], np.cumsum(s[:r] ** 2)])), rtol=1e-8
    )
    assert fit.rank == r and fit.n_iter == r


@pytest.mark.parametrize("kind", ["squared", "huber"])
@pytest.mark.parametrize("refit", ["core", "factors"])
def test_greedy_and_local_search_objectives_never_increase(small, kind, refit):
    data = small[1] if kind == "huber" else small[0]
    loss = data.loss(kind, 0.05)
    g = lr.greedy_rank(loss, 5, refit=refit, refit_iter=5)
    assert np.all(np.diff(g.objective) <= 1e-9 * g.objective[0])
    assert g.rank <= 5 and g.left.shape[1] <= 5 and g.right.shape[1] <= 5
    ls = lr.local_search_rank(loss, 5, refit=refit, refit_iter=5, n_iter=4)
    assert ls.objective[0] == pytest.approx(g.objective[-1], rel=1e-12)
    assert np.all(np.diff(ls.objective) < 0) and ls.objective[-1] <= g.objective[-1]
    assert ls.rank <= 5 and ls.objective.size == ls.n_iter + 1
    assert loss.value(ls.matrix) == pytest.approx(ls.objective[-1], rel=1e-9)
    np.testing.assert_allclose(ls.left.T @ ls.left, np.eye(ls.left.shape[1]), atol=1e-10)


def test_local_search_improves_on_greedy_with_core_refit(small):
    """At the true rank, core-refit greedy keeps its poor early directions; swaps must help."""
    loss = small[0].loss()
    g, ls = lr.greedy_rank(loss, 3), lr.local_search_rank(loss, 3, n_iter=10)
    assert ls.n_iter >= 1 and ls.objective[-1] < 0.9 * g.objective[-1]


# ------------------------------------------------------------------------- baselines
def test_svp_iterates_have_rank_at_most_r_and_step_one_is_monotone(small):
    loss = small[0].loss()
    for it in (1, 2, 5, 30):
        fit = lr.svp(loss, 2, max_iter=it)
        assert np.linalg.matrix_rank(fit.matrix) <= 2 and fit.core.shape == (2, 2)
    f1 = lr.svp(loss, 4, step=1.0, max_iter=40)  # projected gradient with step 1/L: majorize-minimize
    assert np.all(np.diff(f1.objective) <= 1e-10 * f1.objective[0])


def test_soft_impute_full_observation_is_singular_value_soft_thresholding():
    Y, loss = _full(4)
    lam = 0.8
    U, s, Vt = np.linalg.svd(Y, full_matrices=False)
    fit = lr.soft_impute(loss, lam, max_iter=5)
    np.testing.assert_allclose(fit.matrix, (U * np.maximum(s - lam, 0)) @ Vt, atol=1e-10)
    assert fit.n_iter == 2  # the second step reproduces the first: a fixed point
    capped = lr.soft_impute(loss, lam, max_rank=2, max_iter=5)
    np.testing.assert_allclose(capped.matrix, (U[:, :2] * (s[:2] - lam)) @ Vt[:2], atol=1e-10)


def test_soft_impute_penalized_objective_never_increases(small):
    fit = lr.soft_impute(small[0].loss(), 0.3, max_iter=60)
    assert np.all(np.diff(fit.objective) <= 1e-10 * fit.objective[0])


def test_noiseless_recovery_with_enough_observations():
    data = lr.MatrixCompletionProblem(40, 40, 2, 0.5, 0.0).sample(5)
    loss = data.loss()
    assert lr.local_search_rank(loss, 2, refit="factors", refit_iter=20, holdout=data).test_rmse[-1] < 1e-6
    assert lr.svp(loss, 2, max_iter=300, tol=1e-20, holdout=data).test_rmse[-1] < 1e-6
    assert lr.greedy_rank(loss, 2, holdout=data).test_rmse[-1] > 1e-2  # core refit alone does not recover


def test_deterministic_solvers_reproduce(small):
    loss = small[0].loss()
    for f in (
        lambda: lr.local_search_rank(loss, 3, n_iter=3),
        lambda: lr.svp(loss, 3, max_iter=5),
        lambda: lr.soft_impute(loss, 0.2, max_iter=5),
    ):
        a, b = f(), f()
        np.testing.assert_array_equal(a.matrix, b.matrix)
        np.testing.assert_array_equal(a.objective, b.objective)


# ------------------------------------------------------------------------- experiments
def test_rank_sweep_reaches_the_noise_floor_at_the_true_rank():
    prob = lr.MatrixCompletionProblem(60, 60, 3, 0.4, 0.01)
    out = lr.completion_rank_sweep(prob, (1, 3, 5), max_iter=60)
    floor = float(out["noise_floor"])
    assert floor == pytest.approx(0.01 * np.sqrt(3 * 117 / 1440))
    at3 = {k: out[k][1] for k in ("greedy_factors", "local_search_factors", "svp")}
    for name, v in at3.items():  # oracle rate sigma sqrt(df/|Omega|) within a factor 0.7..2
        assert 0.7 * floor < v < 2 * floor, (name, v, floor)
    assert out["greedy"][1] > 5 * floor  # core refit is far from the floor at the true rank
    for v in out.values():
        assert np.all(np.isfinite(v))
    rob = lr.robust_completion_sweep(lr.MatrixCompletionProblem(60, 60, 3, 0.4, 0.01, 0.05, 10.0), (3,))
    assert rob["huber"][0] < 2 * float(rob["noise_floor"]) and rob["squared"][0] > 100 * rob["huber"][0]


def test_ridge_als_zero_ridge_is_the_truncated_svd_and_the_ridge_shrinks_singular_values():
    Y, loss = _full(3)
    U, s, Vt = np.linalg.svd(Y)
    fit = lr.ridge_als(loss, 2, 0.0, n_iter=200)
    A = fit.left @ fit.core @ fit.right.T
    np.testing.assert_allclose(A, (U[:, :2] * s[:2]) @ Vt[:2], atol=1e-6)  # Eckart-Young
    assert np.all(np.diff(fit.objective) <= 1e-9 * fit.objective[0])  # exact block minimizations
    # fully observed: the ridge on the factors is a nuclear-norm penalty, singular values shrink by lam
    lam = 0.5 * s[1]
    sv = np.linalg.svd(lr.ridge_als(loss, 2, lam, n_iter=300).core, compute_uv=False)
    np.testing.assert_allclose(sv, s[:2] - lam, rtol=1e-4)
    far = lr.ridge_als(loss, 2, 2 * s[0], n_iter=50)
    assert np.abs(far.core).max() < 1e-8  # above the top singular value everything is shrunk to 0


def test_robust_sweep_tunes_the_ridge_of_the_squared_loss_on_validation_entries():
    prob = lr.MatrixCompletionProblem(60, 60, 3, 0.4, 0.01, 0.05, 10.0)
    rob = lr.robust_completion_sweep(prob, (3,), ridges=(0.0, 3.0, 30.0))
    assert rob["ridge"][0] in (0.0, 3.0, 30.0)
    # the tuned ridge stops the unregularized refit from diverging, but does not reach the Huber fit
    assert rob["squared_ridge"][0] < rob["squared"][0] and rob["squared_ridge"][0] > rob["huber"][0]
    data = prob.sample(0)
    assert float(rob["zero_matrix"]) == pytest.approx(np.sqrt(np.mean(data.truth[data.test_mask] ** 2)))
    with pytest.raises(ValueError, match="ridges"):
        lr.robust_completion_sweep(prob, (3,), ridges=(-1.0,))


# ------------------------------------------------------------------------- bad inputs
def test_bad_inputs_raise_clear_errors(small):
    Y = np.zeros((4, 3))
    ok = np.ones((4, 3), dtype=bool)
    loss = lr.ObservedLoss(Y, ok)
    cases = [
        (lambda: lr.ObservedLoss(np.zeros(4), np.ones(4, dtype=bool)), "2-D"),
        (lambda: lr.ObservedLoss(Y, np.ones((3, 4), dtype=bool)), "shape"),
        (lambda: lr.ObservedLoss(Y, np.zeros((4, 3), dtype=bool)), "empty"),
        (lambda: lr.ObservedLoss(Y, np.ones((4, 3))), "boolean"),
        (lambda: lr.ObservedLoss(np.where(ok, np.nan, 0), ok), "NaN"),
        (lambda: lr.ObservedLoss(Y, ok, "l1"), "kind"),
        (lambda: lr.ObservedLoss(Y, ok, "huber", 0.0), "delta"),
        (lambda: lr.greedy_rank(loss, 0), "target rank"),
        (lambda: lr.greedy_rank(loss, 4), "target rank"),
        (lambda: lr.local_search_rank(loss, 1.5), "target rank"),
        (lambda: lr.svp(loss, 5), "target rank"),
        (lambda: lr.soft_impute(loss, -1.0), "lam"),
        (lambda: lr.ridge_als(loss, 1, -1.0), "lam"),
        (lambda: lr.ridge_als(loss, 1, 1.0, n_iter=0), "n_iter"),
        (lambda: lr.ridge_als(lr.ObservedLoss(Y, ok, "huber", 0.5), 1, 1.0), "squared"),
        (lambda: lr.soft_impute(loss, 1.0, max_rank=0), "max_rank"),
        (lambda: lr.greedy_rank(Y, 1), "ObservedLoss"),
        (lambda: lr.greedy_rank(loss, 1, refit="both"), "refit"),
        (lambda: lr.greedy_rank(loss, 1, holdout=small[0]), "holdout"),
        (lambda: lr.svp(loss, 1, step=0.0), "step"),
        (lambda: lr.top_singular_pair(np.zeros(3)), "2-D"),
        (lambda: lr.top_singular_pair(Y, method="power"), "method"),
        (lambda: lr.MatrixCompletionProblem(noise=-0.1), "noise"),
        (lambda: lr.MatrixCompletionProblem(10, 10, 11), "rank"),
        (lambda: lr.MatrixCompletionProblem(10, 10, 0), "rank"),
        (lambda: lr.MatrixCompletionProblem(observed_fraction=0.0), "observed_fraction"),
        (lambda: lr.MatrixCompletionProblem(observed_fraction=1.5), "observed_fraction"),
        (lambda: lr.MatrixCompletionProblem(outlier_fraction=1.0), "outlier_fraction"),
        (lambda: lr.completion_rank_sweep(lr.MatrixCompletionProblem(10, 10, 2), (0, 2)), "ranks"),
        (lambda: lr.completion_rank_sweep("X8"), "MatrixCompletionProblem"),
    ]
    for make, word in cases:
        with pytest.raises(ValueError, match=word):
            make()
