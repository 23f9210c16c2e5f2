"""Tests for pruning_lab.sparse.regularizers: the SequentialAttention++ mask identities (Yasuda et al., 2024)."""

import numpy as np
import pytest
from scipy.optimize import minimize_scalar

from pruning_lab import sparse as sp

A_VALUES = [1e-3, 0.1, 0.5, 1.0, 2.0, 7.5, 40.0]


def _min_over_mask(phi, lo, hi):
    """Numerical minimum of a 1-D function of the mask (bounded Brent, tight tolerance)."""
    res = minimize_scalar(phi, bounds=(lo, hi), method="bounded", options={"xatol": 1e-12, "maxiter": 2000})
    return res.x, res.fun


def test_hoff_identity_one_dimensional_and_group():
    # min_{w b = u} (w^2 + b^2)/2 = |u|; group version min_w w^2 + a^2/w^2 = 2a at w^2 = a
    for u in (-3.0, 0.2, 1.7):
        _, val = _min_over_mask(lambda w, u=u: 0.5 * (w * w + (u / w) ** 2), 1e-6, 10.0)
        assert val == pytest.approx(abs(u), abs=1e-9)
    for a in A_VALUES:
        w_num, val = _min_over_mask(lambda w, a=a: w * w + a * a / (w * w), 1e-6, 100.0)
        w_star, v = sp.mask_penalty_minimizer(a, "hadamard")
        assert v == pytest.approx(2 * a) and val == pytest.approx(v, rel=1e-9, abs=1e-12)
        assert w_star == pytest.approx(w_num, rel=1e-4)


def test_q_softmax_logsum_is_the_minimum_over_the_mask():
    for a in A_VALUES:
        w_num, val = _min_over_mask(lambda w, a=a: w * w + a * a * np.exp(-2 * w), -5.0, 20.0)
        assert sp.q_softmax_logsum(a) == pytest.approx(val, abs=1e-8)
        w_star, v = sp.mask_penalty_minimizer(a, "softmax")
        assert v == pytest.approx(sp.q_softmax_logsum(a), rel=1e-14)
        assert w_star == pytest.approx(w_num, abs=1e-5)
    assert sp.q_softmax_logsum(0.0) == 0.0
    grid = np.linspace(0, 50, 2001)
    assert np.all(np.diff(sp.q_softmax_logsum(grid)) > 0)
    # near zero W(x) ~ x - x^2, so q(a) = a^2 - a^4 + O(a^6): quadratic, not subadditive there
    a = 1e-3
    assert sp.q_softmax_logsum(a) == pytest.approx(a**2 - a**4, rel=1e-9)
    np.testing.assert_allclose(sp.q_softmax_logsum(-grid), sp.q_softmax_logsum(grid))


def test_q_l1_mask_is_the_minimum_over_the_mask():
    for a in A_VALUES:
        w_num, val = _min_over_mask(lambda w, a=a: abs(w) + a * a / (w * w), 1e-6, 100.0)
        assert sp.q_l1_mask(a) == pytest.approx(val, rel=1e-9)
        w_star, v = sp.mask_penalty_minimizer(a, "l1")
        assert v == pytest.approx(sp.q_l1_mask(a)) and w_star == pytest.approx(w_num, rel=1e-4)
    assert sp.q_l1_mask(0.0) == 0.0
    assert sp.q_l1_mask(8.0) == pytest.approx(1.5 * 2 ** (1 / 3) * 4.0)


def test_group_powerprop_turns_weight_decay_into_group_lasso():
    rng = np.random.default_rng(0)
    beta = rng.standard_normal(12)
    groups = [np.arange(i, 12, 4) for i in range(4)]  # interleaved groups of 3
    u = sp.group_powerprop(beta, groups)
    np.testing.assert_allclose(sp.group_norms(u, groups), sp.group_norms(beta, groups) ** 2)
    # lambda ||beta||^2 == lambda * sum_i ||u|T_i||  (Lemma 2.3)
    assert np.sum(sp.group_norms(u, groups)) == pytest.approx(np.sum(beta**2))
    # direction within each group is preserved
    for gi in groups:
        np.testing.assert_allclose(u[gi] / np.linalg.norm(u[gi]), beta[gi] / np.linalg.norm(beta[gi]))


@pytest.mark.parametrize(
    "q,q_inv", [(np.sqrt, np.square), (np.log1p, np.expm1), (sp.q_l1_mask, lambda v: (v / (1.5 * 2 ** (1 / 3))) ** 1.5)]
)
def test_q_regularizer_dominates_group_lasso_with_equality_when_one_group(q, q_inv):
    rng = np.random.default_rng(1)
    groups = [np.arange(3 * i, 3 * i + 3) for i in range(5)]
    for _ in range(20):
        beta = rng.standard_normal(15) * rng.uniform(0.1, 5)
        gl = np.sum(sp.group_norms(beta, groups))
        assert sp.q_regularizer(beta, groups, q, q_inv) >= gl * (1 - 1e-12)
        assert sp.q_regularizer(beta, groups, q, q_inv) > gl * (1 + 1e-6)  # strict for dense beta
        one = np.zeros(15)
        one[groups[2]] = beta[groups[2]]
        assert sp.q_regularizer(one, groups, q, q_inv) == pytest.approx(np.linalg.norm(one), rel=1e-10)


def test_theorem_1_1_nonconvex_minimizer_equals_group_lasso_on_two_groups():
    # two singleton groups, L(b) = |y - X b|^2 / (2n): brute-force the nonconvex problem (1) on a 2-D grid
    X = np.array([[1.0, 0.4], [0.2, 1.0], [0.5, -0.3]])
    y = np.array([1.0, 0.3, 0.6])
    n = X.shape[0]
    tau = sp.lambda_max(X, y)
    lam = 0.95 * tau
    lasso = sp.group_lasso(X, y, lam, tol=1e-13)
    assert len(lasso.active) == 1  # (2) has a 1-group-sparse minimizer just below tau
    for q, q_inv in [(np.sqrt, np.square), (np.log1p, np.expm1)]:

        def obj(B1, B2, q=q, q_inv=q_inv):
            R = y[None, None, :] - (B1[..., None] * X[:, 0] + B2[..., None] * X[:, 1])
            return np.sum(R * R, axis=-1) / (2 * n) + lam * q_inv(q(np.abs(B1)) + q(np.abs(B2)))

        center, half = np.zeros(2), 2.0
        for _ in range(6):  # zoom in; every grid contains the current best point exactly
            t = half * np.arange(-200, 201) / 200  # contains 0 exactly
            B1, B2 = np.meshgrid(center[0] + t, center[1] + t, indexing="ij")
            F = obj(B1, B2)
            i, j = np.unravel_index(np.argmin(F), F.shape)
            center, half = np.array([B1[i, j], B2[i, j]]), half / 20
        np.testing.assert_allclose(center, lasso.weights, atol=1e-5)
        assert np.count_nonzero(center) == 1  # the nonconvex global minimizer is 1-group-sparse


def test_regularizer_bad_inputs():
    with pytest.raises(ValueError, match=">= 0"):
        sp.mask_penalty_minimizer(-1.0)
    with pytest.raises(ValueError, match="kind"):
        sp.mask_penalty_minimizer(1.0, "relu")
    with pytest.raises(ValueError, match="NaN"):
        sp.q_softmax_logsum(np.nan)
    with pytest.raises(ValueError, match="callable"):
        sp.q_regularizer(np.ones(2), None, "sqrt", np.square)
    with pytest.raises(ValueError, match="partition"):
        sp.group_powerprop(np.ones(4), [[0, 1], [1, 2]])
