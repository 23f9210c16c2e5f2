r"""Tests of pruning_lab.lsq: min-norm least squares, restricted fits, risks.

Agreement with ``numpy.linalg.pinv`` is checked in relative 2-norm to 1e-8:
the solver's Cholesky route is trusted only up to Gram condition 1e7, i.e. a
relative error of about 1e-9, and falls back to the SVD beyond.
"""

import numpy as np
import pytest

from pruning_lab import lsq
from pruning_lab.problems import LinearGaussianProblem, equicorrelated_covariance

RTOL = 1e-8
SHAPES = [(30, 60), (60, 30), (40, 40), (1, 5), (5, 1), (2, 2)]
METHODS = ["auto", "dual", "primal", "svd"]


def _rel_err(a, b):
    return np.linalg.norm(a - b) / max(np.linalg.norm(b), 1e-300)


def _with_singular_values(n, p, svals, rng):
    U, _ = np.linalg.qr(rng.standard_normal((n, n)))
    V, _ = np.linalg.qr(rng.standard_normal((p, p)))
    r = len(svals)
    return (U[:, :r] * svals) @ V[:, :r].T


# ------------------------------------------------------------- min-norm solution
@pytest.mark.parametrize("n, p", SHAPES)
@pytest.mark.parametrize("method", METHODS)
def test_min_norm_solution_equals_pinv(n, p, method):
    rng = np.random.default_rng(n * 100 + p)
    X = rng.standard_normal((n, p))
    y = rng.standard_normal(n)
    beta = lsq.min_norm_solution(X, y, method=method)
    assert beta.shape == (p,)
    assert _rel_err(beta, np.linalg.pinv(X) @ y) < RTOL


@pytest.mark.parametrize("n, p", [(30, 60), (60, 30), (40, 40)])
def test_dual_primal_svd_agree(n, p):
    rng = np.random.default_rng(7)
    X = rng.standard_normal((n, p))
    y = rng.standard_normal(n)
    sols = [lsq.min_norm_solution(X, y, method=m) for m in METHODS]
    for s in sols[1:]:
        assert _rel_err(s, sols[0]) < RTOL


@pytest.mark.parametrize("n, p", [(20, 50), (50, 20), (25, 25)])
def test_multiple_right_hand_sides(n, p):
    rng = np.random.default_rng(8)
    X = rng.standard_normal((n, p))
    Y = rng.standard_normal((n, 3))
    B = lsq.min_norm_solution(X, Y)
    assert B.shape == (p, 3)
    assert _rel_err(B, np.linalg.pinv(X) @ Y) < RTOL
    for k in range(3):  # column k is the solution for the k-th right-hand side
        assert _rel_err(B[:, k], lsq.min_norm_solution(X, Y[:, k])) < RTOL


@pytest.mark.parametrize("n, p", [(10, 11), (30, 60), (5, 200)])
def test_interpolates_when_overparameterized(n, p):
    rng = np.random.default_rng(9)
    X = rng.standard_normal((n, p))
    y = rng.standard_normal(n)
    beta = lsq.min_norm_solution(X, y)
    np.testing.assert_allclose(X @ beta, y, atol=1e-9 * np.linalg.norm(y))


@pytest.mark.parametrize("n, p", [(20, 50), (50, 20), (10, 10)])
def test_min_norm_property_orthogonal_to_null_space(n, p):
    """X^+ y lies in the row space of X: it is orthogonal to null(X), so adding a null vector only adds norm."""
    rng = np.random.default_rng(10)
    X = rng.standard_normal((n, 5)) @ rng.standard_normal((5, p))  # rank 5: null space in every case
    y = rng.standard_normal(n)
    beta = lsq.min_norm_solution(X, y)
    _, sv, Vt = np.linalg.svd(X)
    rank = int(np.sum(sv > 1e-10 * sv[0]))
    assert rank == 5
    null = Vt[rank:].T
    assert np.max(np.abs(null.T @ beta)) < 1e-10 * np.linalg.norm(beta)
    # any other least-squares solution (beta + null vector) has the same residual and a larger norm
    other = beta + null @ rng.standard_normal(null.shape[1])
    np.testing.assert_allclose(X @ other, X @ beta, atol=1e-9)
    assert np.linalg.norm(other) > np.linalg.norm(beta)


@pytest.mark.parametrize("n, p", [(30, 60), (60, 30), (40, 40)])
def test_rotation_equivariance(n, p):
    """§7.8: for orthogonal V, min_norm(X V, y) = V^T min_norm(X, y)."""
    rng = np.random.default_rng(11)
    X = rng.standard_normal((n, p))
    y = rng.standard_normal(n)
    V, _ = np.linalg.qr(rng.standard_normal((p, p)))
    assert _rel_err(lsq.min_norm_solution(X @ V, y), V.T @ lsq.min_norm_solution(X, y)) < RTOL


@pytest.mark.parametrize("n, p", [(30, 60), (60, 30), (40, 40)])
@pytest.mark.parametrize("method", METHODS)
def test_rank_deficient_equals_pinv(n, p, method):
    rng = np.random.default_rng(12)
    X = rng.standard_normal((n, 5)) @ rng.standard_normal((5, p))
    y = rng.standard_normal(n)
    ref = np.linalg.pinv(X, rcond=1e-10) @ y  # cut the rounding-level singular values
    assert _rel_err(lsq.min_norm_solution(X, y, method=method), ref) < RTOL


@pytest.mark.parametrize("n, p", [(30, 60), (60, 30), (40, 40)])
@pytest.mark.parametrize("decades", [2.0, 3.5, 6.0])
def test_ill_conditioned_equals_pinv(n, p, decades):
    """Singular values from 1 to 10^-decades: Gram condition up to 1e12, beyond the Cholesky route."""
    rng = np.random.default_rng(13)
    X = _with_singular_values(n, p, np.logspace(0, -decades, min(n, p)), rng)
    y = rng.standard_normal(n)
    for method in METHODS:
        assert _rel_err(lsq.min_norm_solution(X, y, method=method), np.linalg.pinv(X) @ y) < RTOL


def test_ill_conditioned_gram_takes_the_svd_fallback(monkeypatch):
    """The Gram route is abandoned (lstsq is called) when the Gram condition exceeds 1e7, and only then."""
    calls = []
    real = np.linalg.lstsq

    def spy(*args, **kwargs):
        calls.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(np.linalg, "lstsq", spy)
    rng = np.random.default_rng(14)
    y = rng.standard_normal(20)
    well = _with_singular_values(20, 40, np.logspace(0, -1, 20), rng)  # Gram condition 1e2
    lsq.min_norm_solution(well, y)
    assert calls == []
    ill = _with_singular_values(20, 40, np.logspace(0, -5, 20), rng)  # Gram condition 1e10
    beta = lsq.min_norm_solution(ill, y)
    assert calls == [1]
    assert _rel_err(beta, np.linalg.pinv(ill) @ y) < RTOL


def test_min_norm_solution_does_not_modify_inputs():
    rng = np.random.default_rng(15)
    X = rng.standard_normal((10, 20))
    y = rng.standard_normal(10)
    X0, y0 = X.copy(), y.copy()
    for m in METHODS:
        lsq.min_norm_solution(X, y, method=m)
    np.testing.assert_array_equal(X, X0)
    np.testing.assert_array_equal(y, y0)


# ------------------------------------------------------ isotropic / OLS sanity
def test_isotropic_min_norm_risk_matches_theory():
    r"""§7.1 (Hastie et al.): Sigma = I, kappa = p/n = 2, sigma = 0.5, r = 1.

    Exact finite-n value: E L = sigma^2 + r^2 (1 - n/p) + sigma^2 n / (p - n - 1)
    (bias: X^+ X is a uniformly random rank-n projection; variance: E (X X^T)^{-1} = I/(p-n-1)).
    Asymptotic value: sigma^2 kappa/(kappa-1) + r^2 (kappa-1)/kappa = 1.0.
    Checks: Monte Carlo mean within 4 s.e. of the exact value, and within 5% of the asymptotic one.
    """
    n, p, sigma, trials = 200, 400, 0.5, 40
    rng = np.random.default_rng(16)
    beta = rng.standard_normal(p)
    beta /= np.linalg.norm(beta)
    prob = LinearGaussianProblem.isotropic(beta, sigma)
    risks = np.array([prob.population_risk(lsq.min_norm_solution(*prob.sample(n, rng))) for _ in range(trials)])
    se = risks.std(ddof=1) / np.sqrt(trials)
    exact = sigma**2 + (1 - n / p) + sigma**2 * n / (p - n - 1)
    kappa = p / n
    asymptotic = sigma**2 * kappa / (kappa - 1) + (kappa - 1) / kappa
    assert asymptotic == pytest.approx(1.0)
    assert abs(risks.mean() - exact) < 4 * se
    assert abs(risks.mean() - asymptotic) < 0.05 * asymptotic


def test_isotropic_dc_mean_is_shrunk_by_n_over_p():
    """§7.2: E beta_hat = (n/p) beta for Sigma = I (noise-free, averaged over designs), per coordinate within 4 s.e."""
    n, p, trials = 20, 50, 400
    rng = np.random.default_rng(17)
    beta = np.linspace(-1, 1, p)
    prob = LinearGaussianProblem.isotropic(beta, 0.0)
    est = np.array([lsq.min_norm_solution(*prob.sample(n, rng)) for _ in range(trials)])
    se = est.std(axis=0, ddof=1) / np.sqrt(trials)
    assert np.all(np.abs(est.mean(axis=0) - n / p * beta) < 4 * se + 1e-12)


@pytest.mark.parametrize("correlated", [False, True])
def test_underparameterized_risk_matches_theory(correlated):
    r"""§5.2 / §7.5: OLS with p < n - 1 has E L = sigma^2 (n-1)/(n-p-1) for any Sigma; MC within 4 s.e."""
    n, p, sigma, trials = 60, 20, 0.5, 400
    rng = np.random.default_rng(18)
    scale = np.sqrt(np.linspace(0.1, 5, p))
    cov = scale[:, None] * equicorrelated_covariance(p, 0.5) * scale[None, :] if correlated else scale**2
    prob = LinearGaussianProblem(rng.standard_normal(p), sigma, cov)
    risks = np.array([prob.population_risk(lsq.min_norm_solution(*prob.sample(n, rng))) for _ in range(trials)])
    se = risks.std(ddof=1) / np.sqrt(trials)
    theory = sigma**2 * (n - 1) / (n - p - 1)
    assert abs(risks.mean() - theory) < 4 * se
    # the test has power: the tolerance is below 10% of the excess risk sigma^2 p/(n-p-1)
    assert 4 * se < 0.1 * sigma**2 * p / (n - p - 1)


def test_noise_free_underparameterized_recovers_beta_exactly():
    prob = LinearGaussianProblem(np.arange(1.0, 6.0), 0.0, np.ones(5))
    X, y = prob.sample(20, 19)
    np.testing.assert_allclose(lsq.min_norm_solution(X, y), prob.beta, rtol=1e-10)


# -------------------------------------------------------------- restricted fit
@pytest.mark.parametrize("n, p, k", [(30, 60, 10), (30, 60, 45), (60, 30, 10), (10, 10, 10)])
def test_restricted_fit_is_pinv_on_the_support(n, p, k):
    rng = np.random.default_rng(20)
    X = rng.standard_normal((n, p))
    y = rng.standard_normal(n)
    support = rng.choice(p, size=k, replace=False)
    fit = lsq.restricted_fit(X, y, support)
    mask = np.zeros(p, dtype=bool)
    mask[support] = True
    assert np.all(fit[~mask] == 0.0)
    assert _rel_err(fit[mask], np.linalg.pinv(X[:, mask]) @ y) < RTOL
    np.testing.assert_array_equal(lsq.restricted_fit(X, y, mask), fit)  # mask and indices agree


def test_restricted_fit_full_and_empty_support():
    rng = np.random.default_rng(21)
    X = rng.standard_normal((15, 8))
    y = rng.standard_normal(15)
    np.testing.assert_allclose(lsq.restricted_fit(X, y, np.arange(8)), lsq.min_norm_solution(X, y), rtol=1e-12)
    np.testing.assert_array_equal(lsq.restricted_fit(X, y, []), np.zeros(8))
    np.testing.assert_array_equal(lsq.restricted_fit(X, y, np.zeros(8, dtype=bool)), np.zeros(8))


def test_restricted_fit_multiple_right_hand_sides():
    rng = np.random.default_rng(22)
    X = rng.standard_normal((15, 8))
    Y = rng.standard_normal((15, 2))
    fit = lsq.restricted_fit(X, Y, [1, 4, 6])
    assert fit.shape == (8, 2)
    for k in range(2):
        np.testing.assert_allclose(fit[:, k], lsq.restricted_fit(X, Y[:, k], [1, 4, 6]), rtol=1e-12)


def test_restricted_fit_minimises_training_loss_on_the_support():
    rng = np.random.default_rng(23)
    X = rng.standard_normal((40, 10))
    y = rng.standard_normal(40)
    support = [0, 3, 7]
    fit = lsq.restricted_fit(X, y, support)
    best = lsq.training_risk(X, y, fit)
    for _ in range(10):
        other = fit.copy()
        other[support] += 0.05 * rng.standard_normal(3)
        assert lsq.training_risk(X, y, other) > best


# --------------------------------------------------------- hessian and risks
def test_empirical_hessian_diag_equals_diag_of_gram():
    rng = np.random.default_rng(24)
    X = rng.standard_normal((13, 7)) * np.arange(1, 8)
    np.testing.assert_allclose(lsq.empirical_hessian_diag(X), np.diag(X.T @ X / 13), rtol=1e-14)


def test_training_risk_and_test_risk():
    rng = np.random.default_rng(25)
    X = rng.standard_normal((12, 4))
    y = rng.standard_normal(12)
    b = rng.standard_normal(4)
    assert lsq.training_risk(X, y, b) == pytest.approx(np.sum((y - X @ b) ** 2) / 12, rel=1e-14)
    prob = LinearGaussianProblem(np.ones(4), 0.3, np.array([1.0, 2, 3, 4]))
    assert lsq.test_risk(prob, b) == prob.population_risk(b)


# ---------------------------------------------------------------- bad inputs
def test_mismatched_rows_raise():
    with pytest.raises(ValueError, match="X has 5 rows but y has 4"):
        lsq.min_norm_solution(np.ones((5, 3)), np.ones(4))
    with pytest.raises(ValueError, match="X has 5 rows but y has 4"):
        lsq.restricted_fit(np.ones((5, 3)), np.ones(4), [0])
    with pytest.raises(ValueError, match="X has 5 rows but y has 4"):
        lsq.training_risk(np.ones((5, 3)), np.ones(4), np.ones(3))


@pytest.mark.parametrize("bad", [np.nan, np.inf])
def test_non_finite_inputs_raise(bad):
    X = np.ones((4, 3))
    y = np.ones(4)
    Xb, yb = X.copy(), y.copy()
    Xb[1, 1] = bad
    yb[2] = bad
    with pytest.raises(ValueError, match="X contains 1 NaN"):
        lsq.min_norm_solution(Xb, y)
    with pytest.raises(ValueError, match="y contains 1 NaN"):
        lsq.min_norm_solution(X, yb)
    with pytest.raises(ValueError, match="X contains"):
        lsq.empirical_hessian_diag(Xb)


@pytest.mark.parametrize("method", ["cholesky", "Dual", "", None])
def test_bad_method_raises(method):
    with pytest.raises(ValueError, match="method must be 'auto', 'dual', 'primal' or 'svd'"):
        lsq.min_norm_solution(np.eye(3), np.ones(3), method=method)


def test_bad_shapes_raise():
    with pytest.raises(ValueError, match="X must be 2-D"):
        lsq.min_norm_solution(np.ones(3), np.ones(3))
    with pytest.raises(ValueError, match="y must be 1-D or 2-D"):
        lsq.min_norm_solution(np.ones((3, 2)), np.ones((3, 1, 1)))
    with pytest.raises(ValueError, match="at least one row and one column"):
        lsq.min_norm_solution(np.ones((3, 0)), np.ones(3))
    with pytest.raises(ValueError, match="at least one row"):
        lsq.empirical_hessian_diag(np.ones((0, 3)))
    with pytest.raises(ValueError, match=r"b \(weights\) must have shape"):
        lsq.training_risk(np.ones((3, 2)), np.ones(3), np.ones(3))


def test_restricted_fit_bad_support_raises():
    X, y = np.ones((4, 3)), np.ones(4)
    with pytest.raises(ValueError, match="indices must lie in 0..2"):
        lsq.restricted_fit(X, y, [0, 3])
    with pytest.raises(ValueError, match=r"boolean mask must have shape \(3,\)"):
        lsq.restricted_fit(X, y, np.array([True, False]))
    with pytest.raises(ValueError, match="repeated"):
        lsq.restricted_fit(X, y, [1, 1])


def test_test_risk_needs_a_problem():
    with pytest.raises(ValueError, match="population_risk"):
        lsq.test_risk(object(), np.ones(3))
