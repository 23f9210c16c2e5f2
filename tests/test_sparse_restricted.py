"""Tests for pruning_lab.sparse.restricted: restricted strong convexity / smoothness constants."""

from itertools import combinations

import numpy as np
import pytest

from pruning_lab import sparse as sp


def _brute(X, s, groups):
    G = X.T @ X / X.shape[0]
    lo, hi = np.inf, -np.inf
    for U in combinations(range(len(groups)), s):
        idx = np.concatenate([groups[i] for i in U])
        ev = np.linalg.eigvalsh(G[np.ix_(idx, idx)])
        lo, hi = min(lo, ev[0]), max(hi, ev[-1])
    return lo, hi


def test_orthonormal_columns_give_unit_constants():
    rng = np.random.default_rng(0)
    n, p = 40, 9
    Q, _ = np.linalg.qr(rng.standard_normal((n, p)))
    X = np.sqrt(n) * Q  # X^T X / n = I
    for s in range(1, p + 1):
        rc = sp.restricted_constants(X, s)
        assert rc.exact
        assert rc.mu == pytest.approx(1.0, abs=1e-12) and rc.L == pytest.approx(1.0, abs=1e-12)
        assert rc.kappa == pytest.approx(1.0, abs=1e-11)


def test_exact_enumeration_matches_brute_force_and_sampling_brackets_it():
    rng = np.random.default_rng(1)
    X = rng.standard_normal((30, 8)) @ (np.eye(8) + 0.4 * rng.standard_normal((8, 8)))
    singles = [np.array([j]) for j in range(8)]
    lo, hi = _brute(X, 3, singles)
    exact = sp.restricted_constants(X, 3, n_samples=56)
    assert exact.exact and exact.n_unions == 56
    assert exact.mu == pytest.approx(lo, rel=1e-10) and exact.L == pytest.approx(hi, rel=1e-10)
    sampled = sp.restricted_constants(X, 3, n_samples=20, rng=5)
    assert not sampled.exact and sampled.n_unions == 20
    assert sampled.mu >= exact.mu - 1e-12 and sampled.L <= exact.L + 1e-12
    again = sp.restricted_constants(X, 3, n_samples=20, rng=5)
    assert again == sampled
    # nested sparsities: mu_s decreases and L_s increases with s (Cauchy interlacing)
    cs = [sp.restricted_constants(X, s) for s in range(1, 9)]
    assert all(a.mu >= b.mu - 1e-12 and a.L <= b.L + 1e-12 for a, b in zip(cs, cs[1:]))
    np.testing.assert_allclose(cs[-1].L, np.linalg.eigvalsh(X.T @ X / 30)[-1])


def test_groups_of_unequal_size_match_brute_force():
    rng = np.random.default_rng(2)
    X = rng.standard_normal((25, 10))
    groups = [np.array([0, 5]), np.array([1]), np.array([2, 3, 4]), np.array([6, 7]), np.array([8, 9])]
    for s in (1, 2, 3):
        lo, hi = _brute(X, s, groups)
        rc = sp.restricted_constants(X, s, groups)
        assert rc.mu == pytest.approx(lo, rel=1e-10) and rc.L == pytest.approx(hi, rel=1e-10)
    eq = [np.array([2 * i, 2 * i + 1]) for i in range(5)]
    lo, hi = _brute(X, 2, eq)
    rc = sp.restricted_constants(X, 2, eq)
    assert rc.mu == pytest.approx(lo, rel=1e-10) and rc.L == pytest.approx(hi, rel=1e-10)


def test_rank_deficient_union_gives_infinite_kappa():
    X = np.ones((5, 3))
    rc = sp.restricted_constants(X, 2)
    assert rc.mu == 0.0 and rc.kappa == np.inf


def test_restricted_constants_bad_inputs():
    X = np.ones((5, 4))
    with pytest.raises(ValueError, match=r"1\.\.4"):
        sp.restricted_constants(X, 0)
    with pytest.raises(ValueError, match=r"1\.\.2"):
        sp.restricted_constants(X, 3, [[0, 1], [2, 3]])
    with pytest.raises(ValueError, match="n_samples"):
        sp.restricted_constants(X, 1, n_samples=0)
    with pytest.raises(ValueError, match="2-D"):
        sp.restricted_constants(np.ones(4), 1)
    with pytest.raises(ValueError, match="rng"):
        sp.restricted_constants(X, 1, rng="seed")
