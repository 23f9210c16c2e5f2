"""Tests for pruning_lab.sparse.experiments: the chapter's problems and experiments X1-X3."""

import numpy as np
import pytest

from pruning_lab import sparse as sp


def test_equicorrelated_problem_has_the_stated_correlation_and_noise():
    prob = sp.equicorrelated_problem(n=4000, n_groups=20, s_star=4, rho=0.3, noise=0.1, rng=0)
    C = np.corrcoef(prob.X, rowvar=False)
    off = C[~np.eye(20, dtype=bool)]
    assert abs(off.mean() - 0.3) < 0.03  # Monte Carlo, 4000 rows
    # residual of the fit on the true support is noise: f* ~ sigma^2 (n - s)/(2n)
    assert prob.f_star == pytest.approx(0.01 / 2, rel=0.1)
    assert np.count_nonzero(prob.beta) == 4 and set(np.flatnonzero(prob.beta)) == set(prob.support)
    again = sp.equicorrelated_problem(n=4000, n_groups=20, s_star=4, rho=0.3, noise=0.1, rng=0)
    np.testing.assert_array_equal(again.X, prob.X)


def test_decoy_columns_correlate_with_the_signal():
    prob = sp.decoy_problem(n=5000, p=30, s_star=5, coherence=0.81, n_decoys=3, rng=1)
    signal = prob.X @ prob.beta
    corr = np.array([np.corrcoef(prob.X[:, j], signal)[0, 1] for j in range(30)])
    decoys = np.argsort(-np.abs(corr))[:3]
    assert not set(decoys) & set(prob.support)
    np.testing.assert_allclose(corr[decoys], 0.9, atol=0.02)  # sqrt(coherence)
    assert prob.f_star < 1e-20  # noiseless


def test_objective_vs_sparsity_x2():
    prob = sp.equicorrelated_problem(n=300, n_groups=60, s_star=5, rho=0.3, noise=0.1, rng=2)
    s_values = [3, 5, 8, 15]
    cur = sp.objective_vs_sparsity(prob, s_values, methods=("omp", "ompr", "iht"), ompr_iter=20)
    # OMPR starts from OMP and returns its best support: never worse
    assert np.all(cur.objective["ompr"] <= cur.objective["omp"] + 1e-12)
    for m in ("omp", "ompr"):
        assert np.all(np.diff(cur.objective[m]) <= 1e-12)
        assert cur.objective[m][-1] <= cur.f_star + 1e-12  # supersets of the truth fit at least as well
    assert cur.objective["iht"][-1] <= cur.f_star + 1e-3
    assert np.all(cur.objective["omp"][:1] > cur.f_star)  # too sparse to fit


def test_sparsity_tradeoff_separates_methods_as_coherence_grows():
    res = sp.sparsity_tradeoff(
        levels=(0.0, 0.6),
        n=150,
        p=60,
        s_star=6,
        n_decoys=4,
        methods=("omp", "ompr", "iht"),
        ompr_iter=30,
        iht_iter=500,
        kappa_samples=100,
        rng=0,
    )
    assert res.kappa[1] > 2 * res.kappa[0]
    for m in ("omp", "ompr", "iht"):
        assert res.s_needed[m][0] == 6  # well conditioned: the planted sparsity suffices
        assert np.all(res.excess[m] >= -1e-10)  # noiseless: x* is a global minimizer
        ok = res.excess[m] <= 1e-4
        first = np.where(ok.any(axis=1), res.s_values[np.argmax(ok, axis=1)], -1)
        np.testing.assert_array_equal(first, res.s_needed[m])
    # with decoys, OMP spends steps on them; OMPR swaps them out and needs fewer coordinates
    assert res.s_needed["omp"][1] > 6
    assert 0 < res.s_needed["ompr"][1] < res.s_needed["omp"][1]


def test_group_lasso_threshold_demo_x1():
    prob = sp.equicorrelated_problem(n=200, n_groups=15, s_star=4, group_size=3, rng=3)
    demo = sp.group_lasso_threshold_demo(prob, 3, n_lams=20)
    np.testing.assert_array_equal(demo.switch_on, demo.omp_order[:3])  # Theorem 3.A
    assert all(a == () for a in demo.active_above)
    assert np.all(demo.group_norm_path[0] == 0)  # lambda = 1.2 tau: solution is 0
    first_row = np.flatnonzero(demo.group_norm_path.any(axis=1))[0]
    assert np.argmax(demo.group_norm_path[first_row]) == demo.omp_order[0]
    assert np.all(np.diff(demo.tau) < 0)


def test_experiment_bad_inputs():
    prob = sp.equicorrelated_problem(n=30, n_groups=10, s_star=2, rng=0)
    with pytest.raises(ValueError, match="rho"):
        sp.equicorrelated_problem(rho=1.0)
    with pytest.raises(ValueError, match="coherence"):
        sp.decoy_problem(coherence=1.2)
    with pytest.raises(ValueError, match="n_decoys"):
        sp.decoy_problem(p=20, s_star=10, n_decoys=11)
    with pytest.raises(ValueError, match="s_values"):
        sp.objective_vs_sparsity(prob, [11])
    with pytest.raises(ValueError, match="methods"):
        sp.objective_vs_sparsity(prob, [2], methods=("arht",))
    with pytest.raises(ValueError, match="levels"):
        sp.sparsity_tradeoff(levels=(0.5, 1.0))
    with pytest.raises(ValueError, match="delta"):
        sp.group_lasso_threshold_demo(prob, 2, delta=0.0)


def test_omp_curve_from_one_run_equals_a_run_per_sparsity():
    from pruning_lab.sparse import group_omp

    prob = sp.equicorrelated_problem(n=80, n_groups=12, s_star=3, group_size=2, rng=5)
    s_values = [6, 0, 2, 9]
    cur = sp.objective_vs_sparsity(prob, s_values, methods=("omp",))
    each = [group_omp(prob.X, prob.y, prob.groups, s).objective[-1] for s in s_values]
    np.testing.assert_array_equal(cur.objective["omp"], each)
