"""Tests for pruning_lab.sparse: OMP, OMPR, IHT, group LASSO, sequential LASSO, CSS."""

import numpy as np
import pytest
from scipy.optimize import minimize

from pruning_lab import sparse as sp


def _grouped_problem(seed=0, n=300, t=20, size=3, true_groups=4, rho=0.3, noise=0.1):
    """Spec experiment X1 (small): correlated Gaussian design, groups of 3, 4 true groups."""
    rng = np.random.default_rng(seed)
    d = t * size
    C = (1 - rho) * np.eye(d) + rho
    X = rng.standard_normal((n, d)) @ np.linalg.cholesky(C).T
    groups = [np.arange(i * size, (i + 1) * size) for i in range(t)]
    beta = np.zeros(d)
    for i in rng.choice(t, true_groups, replace=False):
        beta[groups[i]] = rng.standard_normal(size)
    y = X @ beta + noise * rng.standard_normal(n)
    return X, y, groups


def _grad(X, y, b):
    return X.T @ (X @ b - y) / X.shape[0]


# ------------------------------------------------------------------ thresholding
def test_hard_threshold_keeps_exactly_s_largest():
    rng = np.random.default_rng(1)
    x = rng.standard_normal(50)
    for s in (0, 1, 7, 50):
        h = sp.hard_threshold(x, s)
        assert np.count_nonzero(h) == s
        kept = np.flatnonzero(h)
        assert set(kept) == set(np.argsort(-np.abs(x))[:s])
        np.testing.assert_array_equal(h[kept], x[kept])


def test_group_hard_threshold_keeps_exactly_k_groups():
    rng = np.random.default_rng(2)
    x = rng.standard_normal(30)
    groups = [np.arange(i, 30, 6) for i in range(6)]  # interleaved groups of 5
    norms = sp.group_norms(x, groups)
    np.testing.assert_allclose(norms, [np.linalg.norm(x[g]) for g in groups])
    for k in (0, 2, 6):
        h = sp.group_hard_threshold(x, groups, k)
        kept = np.flatnonzero(sp.group_norms(h, groups) > 0)
        assert set(kept) == set(np.argsort(-norms)[:k])
        for i in kept:
            np.testing.assert_array_equal(h[groups[i]], x[groups[i]])


def test_block_soft_threshold_matches_brute_force():
    rng = np.random.default_rng(3)
    for _ in range(6):
        v = rng.standard_normal(4) * rng.uniform(0.2, 3)
        t = rng.uniform(0, 2.5)
        z = sp.block_soft_threshold(v, t)

        def f(u, v=v, t=t):
            return 0.5 * np.sum((v - u) ** 2) + t * np.sqrt(np.sum(u * u) + 1e-30)

        best = min(
            (
                minimize(f, x0, method="Nelder-Mead", options={"xatol": 1e-10, "fatol": 1e-14, "maxiter": 20000})
                for x0 in (v, np.zeros(4) + 1e-3)
            ),
            key=lambda r: r.fun,
        )
        assert f(z) <= best.fun + 1e-9
        np.testing.assert_allclose(z, best.x, atol=1e-4)
    np.testing.assert_array_equal(sp.block_soft_threshold([0.3, 0.4], 0.5), [0.0, 0.0])
    np.testing.assert_allclose(sp.block_soft_threshold([3.0, 4.0], 2.5), [1.5, 2.0])


def test_group_soft_threshold_leaves_unpenalized_groups():
    x = np.array([3.0, 4.0, 0.1, 0.1])
    out = sp.group_soft_threshold(x, [[0, 1], [2, 3]], 1.0, unpenalized=[1])
    np.testing.assert_allclose(out, [2.4, 3.2, 0.1, 0.1])


# --------------------------------------------------------------------------- OMP
def test_omp_orthogonal_design_selects_top_correlations_in_order():
    rng = np.random.default_rng(4)
    n, p = 40, 12
    Q, _ = np.linalg.qr(rng.standard_normal((n, p)))
    y = rng.standard_normal(n)
    c = Q.T @ y
    res = sp.omp(Q, y, 5)
    np.testing.assert_array_equal(res.support, np.argsort(-np.abs(c))[:5])
    np.testing.assert_allclose(res.weights, sp.hard_threshold(c, 5), atol=1e-12)
    assert np.all(np.diff(res.objective) <= 1e-15)
    # group OMP with singleton groups is OMP
    gres = sp.group_omp(Q, y, [[j] for j in range(p)], 5)
    np.testing.assert_array_equal(gres.support, res.support)


def test_omp_exact_recovery_noiseless_gaussian():
    rng = np.random.default_rng(5)
    n, p, s = 100, 200, 5  # s log p ~ 26 << n
    X = rng.standard_normal((n, p))
    beta = np.zeros(p)
    true = rng.choice(p, s, replace=False)
    beta[true] = rng.choice([-1, 1], s) * rng.uniform(1, 2, s)
    res = sp.omp(X, X @ beta, s)
    assert set(res.support) == set(true)
    np.testing.assert_allclose(res.weights, beta, atol=1e-10)
    assert res.objective[-1] < 1e-20


def test_group_omp_and_sequential_lasso_agree():
    X, y, groups = _grouped_problem(seed=0)
    o = sp.group_omp(X, y, groups, 8)
    sl = sp.sequential_lasso(X, y, 8, groups)
    np.testing.assert_array_equal(sl.support, o.support)
    np.testing.assert_allclose(sl.weights, o.weights, atol=1e-12)
    # singleton groups: sequential LASSO = OMP
    X2, y2, _ = _grouped_problem(seed=1, n=80, t=30, size=1, true_groups=4)
    np.testing.assert_array_equal(sp.sequential_lasso(X2, y2, 5).support, sp.omp(X2, y2, 5).support)


def test_theorem_3a_one_group_enters_below_threshold():
    # after each OMP step, the restricted group LASSO just below tau activates exactly S + {next OMP group}
    X, y, groups = _grouped_problem(seed=6, n=200, t=15)
    order = list(sp.group_omp(X, y, groups, 5).support)
    for r in range(4):
        S = order[:r]
        tau = sp.lambda_max(X, y, groups, unpenalized=S)
        res = sp.group_lasso(X, y, 0.999 * tau, groups, unpenalized=S)
        assert res.converged
        assert set(res.active) == set(S) | {order[r]}


def test_sequential_attention_linear_matches_group_omp():
    X, y, groups = _grouped_problem(seed=0, n=150, t=8)
    o = sp.group_omp(X, y, groups, 3)
    sa = sp.sequential_attention_linear(X, y, 3, groups, n_steps=6000, rng=0)
    np.testing.assert_array_equal(sa.support, o.support)
    again = sp.sequential_attention_linear(X, y, 3, groups, n_steps=6000, rng=0)
    np.testing.assert_array_equal(again.support, sa.support)


# -------------------------------------------------------------------- group LASSO
def _check_kkt(X, y, b, lam, groups, unpen=(), tol=1e-6):
    grad = _grad(X, y, b)
    for i, g in enumerate(groups):
        nb = np.linalg.norm(b[g])
        if i in unpen:
            assert np.linalg.norm(grad[g]) < tol
        elif nb > 0:
            np.testing.assert_allclose(grad[g], -lam * b[g] / nb, atol=tol)
        else:
            assert np.linalg.norm(grad[g]) <= lam + tol


def test_group_lasso_kkt_conditions():
    X, y, groups = _grouped_problem(seed=2, n=120, t=10)
    lmax = sp.lambda_max(X, y, groups)
    for frac in (0.5, 0.1):
        res = sp.group_lasso(X, y, frac * lmax, groups)
        assert res.converged and res.kkt_residual < 1e-10
        assert 0 < len(res.active) <= 10
        _check_kkt(X, y, res.weights, frac * lmax, groups)
    res = sp.group_lasso(X, y, 0.3 * lmax, groups, unpenalized=[0, 5])
    assert {0, 5} <= set(res.active)
    _check_kkt(X, y, res.weights, 0.3 * lmax, groups, unpen=(0, 5))


def test_group_lasso_threshold_and_first_entry():
    X, y, groups = _grouped_problem(seed=3, n=150, t=12)
    lmax = sp.lambda_max(X, y, groups)
    n = X.shape[0]
    assert lmax == pytest.approx(max(np.linalg.norm(X[:, g].T @ y) / n for g in groups))
    for lam in (lmax, 1.5 * lmax):
        res = sp.group_lasso(X, y, lam, groups)
        assert res.active == () and np.all(res.weights == 0)
    first = int(np.argmax(sp.group_norms(_grad(X, y, np.zeros(X.shape[1])), groups)))
    res = sp.group_lasso(X, y, 0.999 * lmax, groups)
    assert res.active == (first,)
    path = sp.group_lasso_path(X, y, groups, n_lams=15, eps=0.05)
    assert path.active[0] == ()
    assert path.entry_order[0] == first
    assert path.weights.shape == (15, X.shape[1])
    assert len(path.active[-1]) >= len(path.active[1])
    for lam, b in zip(path.lams[::5], path.weights[::5]):
        _check_kkt(X, y, b, lam, groups)


def test_lambda_max_with_selected_groups_is_omp_score():
    X, y, groups = _grouped_problem(seed=4, n=100, t=8)
    b = np.zeros(X.shape[1])
    idx = np.concatenate([groups[1], groups[4]])
    b[idx] = np.linalg.lstsq(X[:, idx], y, rcond=None)[0]
    scores = sp.group_norms(_grad(X, y, b), groups)
    scores[[1, 4]] = -np.inf
    assert sp.lambda_max(X, y, groups, unpenalized=[1, 4]) == pytest.approx(scores.max(), rel=1e-9)


# --------------------------------------------------------------------------- IHT
def test_iht_fixed_point_is_sparse_and_stationary():
    X, y, _ = _grouped_problem(seed=5, n=200, t=40, size=1, true_groups=5)
    s = 6
    res = sp.iht(X, y, s, max_iter=5000)
    b = res.weights
    assert res.n_iter < 5000
    assert np.count_nonzero(b) == s
    sup = np.flatnonzero(b)
    grad = _grad(X, y, b)
    assert np.max(np.abs(grad[sup])) < 1e-8
    eta = 1.0 / (np.linalg.norm(X, 2) ** 2 / X.shape[0])
    off = np.setdiff1d(np.arange(X.shape[1]), sup)
    assert eta * np.max(np.abs(grad[off])) <= np.min(np.abs(b[sup])) + 1e-12
    np.testing.assert_array_equal(np.flatnonzero(sp.hard_threshold(b - eta * grad, s)), sup)
    # the fixed point is the restricted least-squares fit on its support
    ref = np.linalg.lstsq(X[:, sup], y, rcond=None)[0]
    np.testing.assert_allclose(b[sup], ref, atol=1e-8)


def test_iht_one_step_fixed_point():
    rng = np.random.default_rng(6)
    n, p = 60, 20
    X = rng.standard_normal((n, p))
    beta = np.zeros(p)
    beta[:3] = [5.0, -4.0, 6.0]
    y = X @ beta + 0.01 * rng.standard_normal(n)
    b0 = np.zeros(p)
    b0[:3] = np.linalg.lstsq(X[:, :3], y, rcond=None)[0]
    res = sp.iht(X, y, 3, w0=b0, max_iter=1)
    np.testing.assert_allclose(res.weights, b0, atol=1e-12)


def test_group_iht_keeps_k_groups():
    X, y, groups = _grouped_problem(seed=7, n=150, t=10)
    res = sp.iht(X, y, 3, groups, max_iter=300)
    assert np.count_nonzero(sp.group_norms(res.weights, groups)) == 3
    assert len(res.support) == 3


# -------------------------------------------------------------------------- OMPR
def test_ompr_never_worse_than_omp_start():
    for seed in range(3):
        X, y, groups = _grouped_problem(seed=10 + seed, n=60, t=30, size=1, rho=0.6, true_groups=6)
        o = sp.omp(X, y, 4)
        r = sp.ompr(X, y, 4, n_iter=20)
        assert r.objective[0] == pytest.approx(o.objective[-1])
        assert sp.least_squares_loss(X, y, r.weights) <= o.objective[-1] + 1e-12
        assert sp.least_squares_loss(X, y, r.weights) == pytest.approx(r.objective.min())
        assert len(r.support) == 4 and np.count_nonzero(r.weights) <= 4


def test_ompr_from_true_support_returns_zero_loss_and_improves_bad_start():
    rng = np.random.default_rng(8)
    Q, _ = np.linalg.qr(rng.standard_normal((30, 10)))
    beta = np.zeros(10)
    beta[[1, 3, 7]] = [2.0, -1.0, 3.0]
    y = Q @ beta
    r = sp.ompr(Q, y, 3, start=[1, 3, 7], n_iter=5)
    assert r.objective.min() < 1e-25 and set(r.support) == {1, 3, 7}
    r = sp.ompr(Q, y, 3, start=[0, 2, 4], n_iter=10)
    assert set(r.support) == {1, 3, 7}


def test_group_ompr_runs_on_groups():
    X, y, groups = _grouped_problem(seed=9, n=120, t=15)
    o = sp.group_omp(X, y, groups, 3)
    r = sp.ompr(X, y, 3, groups, n_iter=10)
    assert r.objective[0] == pytest.approx(o.objective[-1])
    assert sp.least_squares_loss(X, y, r.weights) <= o.objective[-1] + 1e-12


# --------------------------------------------------------------------------- CSS
def test_css_group_omp_exact_low_rank():
    rng = np.random.default_rng(10)
    X = rng.standard_normal((100, 8)) @ rng.standard_normal((8, 40))
    res = sp.css_group_omp(X, 8)
    assert res.objective[-1] < 1e-18 * res.objective[0]
    assert np.all(np.diff(res.objective) <= 1e-9)
    assert len(set(res.columns)) == 8
    np.testing.assert_allclose(X[:, res.columns] @ res.coefficients, X, atol=1e-8)


# ------------------------------------------------------------------------ errors
def test_bad_inputs_raise():
    X = np.ones((5, 4))
    y = np.ones(5)
    with pytest.raises(ValueError, match="rows"):
        sp.omp(X, np.ones(6), 1)
    with pytest.raises(ValueError, match=r"0\.\.4"):
        sp.omp(X, y, 5)
    with pytest.raises(ValueError, match=r"0\.\.4"):
        sp.omp(X, y, -1)
    with pytest.raises(ValueError, match="NaN"):
        sp.omp(np.full((5, 4), np.nan), y, 1)
    with pytest.raises(ValueError, match="NaN"):
        sp.iht(X, np.array([1, 2, np.nan, 1, 1]), 1)
    with pytest.raises(ValueError, match="partition"):
        sp.group_omp(X, y, [[0, 1], [1, 2, 3]], 1)
    with pytest.raises(ValueError, match="partition"):
        sp.group_lasso(X, y, 0.1, [[0, 1], [2]])
    with pytest.raises(ValueError, match="integer index arrays"):
        sp.group_norms(np.ones(4), [[0.5, 1], [2, 3]])
    with pytest.raises(ValueError, match=r"0\.\.2"):
        sp.group_omp(X, y, [[0, 1], [2, 3]], 3)
    with pytest.raises(ValueError, match=r"0\.\.2"):
        sp.group_hard_threshold(np.ones(4), [[0, 1], [2, 3]], 3)
    with pytest.raises(ValueError, match="lam"):
        sp.group_lasso(X, y, -0.1)
    with pytest.raises(ValueError, match="threshold"):
        sp.block_soft_threshold(np.ones(3), -1.0)
    with pytest.raises(ValueError, match="decreasing"):
        sp.group_lasso_path(X, y, lams=[0.1, 0.2])
    with pytest.raises(ValueError, match=">= 0"):
        sp.group_lasso_path(X, y, lams=[0.1, -0.2])
    with pytest.raises(ValueError, match="unpenalized"):
        sp.group_lasso(X, y, 0.1, unpenalized=[7])
    with pytest.raises(ValueError, match="rel_gap"):
        sp.sequential_lasso(X, y, 1, rel_gap=1.5)
    with pytest.raises(ValueError, match="start"):
        sp.ompr(X, y, 2, start=[0, 0])
    with pytest.raises(ValueError, match="step"):
        sp.iht(X, y, 1, step=0.0)
    with pytest.raises(ValueError, match="w0"):
        sp.iht(X, y, 1, w0=np.ones(3))
    with pytest.raises(ValueError, match="s \\(number"):
        sp.hard_threshold(np.ones(3), 4)
    with pytest.raises(ValueError, match="columns"):
        sp.css_group_omp(np.ones((4, 3)), 4)
    with pytest.raises(ValueError, match="2-D"):
        sp.omp(np.ones(5), y, 1)


def test_ompr_start_and_unpenalized_groups_must_be_whole_indices():
    X, y, *_ = _grouped_problem()
    groups = [list(range(3 * i, 3 * i + 3)) for i in range(20)]
    with pytest.raises(ValueError, match="start must be a non-empty list of group indices"):
        sp.ompr(X, y, 2, groups, start=[0.5, 1.7], n_iter=1)
    with pytest.raises(ValueError, match="unpenalized must be a non-empty list of group indices"):
        sp.lambda_max(X, y, groups, unpenalized=[1.5])
