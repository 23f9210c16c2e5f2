r"""Tests of pruning_lab.problems: the linear Gaussian problem.

Monte Carlo tolerances: a mean over N i.i.d. draws is compared with its exact
value within 4 standard errors (s.e. = sample s.d. / sqrt(N)); with fixed
seeds these tests are deterministic, and a correct implementation fails a
single such check with probability about 6e-5.
"""

import numpy as np
import pytest

from pruning_lab.problems import (
    LinearGaussianProblem,
    diagonal_spiked_covariance,
    equicorrelated_covariance,
    rank_one_spiked_covariance,
)

P = 5


def _random_psd(p, rank, rng):
    A = rng.standard_normal((p, rank))
    return A @ A.T / rank


def _covariances():
    """The covariance families of the brief: diagonal, correlated, singular PSD."""
    rng = np.random.default_rng(20240)
    scale = np.sqrt([0.5, 2.0, 1.0, 3.0, 0.2])
    return {
        "diagonal": np.array([0.5, 2.0, 1.0, 3.0, 0.2]),
        "diagonal_as_matrix": np.diag([0.5, 2.0, 1.0, 3.0, 0.2]),
        "equicorrelated": scale[:, None] * equicorrelated_covariance(P, 0.6) * scale[None, :],
        "rank_one_spiked": rank_one_spiked_covariance(rng.standard_normal(P), 5.0, bulk=0.7),
        "perfectly_correlated_rho1": equicorrelated_covariance(P, 1.0),
        "singular_rank2": _random_psd(P, 2, rng),
    }


COVS = _covariances()


def _problem(cov_name, sigma=0.7):
    beta = np.array([1.0, -0.5, 0.3, 0.0, 2.0])
    return LinearGaussianProblem(beta, sigma, COVS[cov_name])


# ------------------------------------------------------- population risk vs MC
@pytest.mark.parametrize("cov_name", sorted(COVS))
def test_population_risk_matches_monte_carlo(cov_name):
    """L(b) = sigma^2 + (b-beta)^T Sigma (b-beta) equals E(y - x^T b)^2 (within 4 s.e.)."""
    prob = _problem(cov_name)
    rng = np.random.default_rng(1)
    N = 200_000
    X, y = prob.sample(N, rng)
    for b in [rng.standard_normal(P), np.zeros(P), prob.beta.copy(), prob.beta + 0.1]:
        loss = (y - X @ b) ** 2
        se = loss.std(ddof=1) / np.sqrt(N)
        assert abs(loss.mean() - prob.population_risk(b)) < 4 * se, (cov_name, b)


@pytest.mark.parametrize("cov_name", sorted(COVS))
def test_sample_second_moment_matches_sigma(cov_name):
    """Each entry of X^T X / N is within 5 s.e. of Sigma_ij (Var(x_i x_j) = S_ii S_jj + S_ij^2)."""
    prob = _problem(cov_name)
    Sigma = prob.covariance_matrix()
    N = 200_000
    X, y = prob.sample(N, np.random.default_rng(2))
    S = X.T @ X / N
    se = np.sqrt((np.outer(np.diag(Sigma), np.diag(Sigma)) + Sigma**2) / N)
    assert np.max(np.abs(S - Sigma) / se) < 5
    # E[x y] = Sigma beta, Var(x_i y) <= E x_i^2 E y^2 * 3 (Gaussian fourth moments)
    xy = X.T @ y / N
    se_xy = np.sqrt(3 * np.diag(Sigma) * prob.null_risk() / N)
    assert np.all(np.abs(xy - Sigma @ prob.beta) < 5 * se_xy + 1e-12)


def test_perfectly_correlated_features_are_identical():
    """rho = 1: Sigma = 11^T, so every column of X is the same Gaussian (singular PSD factor)."""
    prob = _problem("perfectly_correlated_rho1")
    X, _ = prob.sample(1000, 3)
    assert np.std(X[:, 0]) > 0.5
    np.testing.assert_allclose(X, np.repeat(X[:, :1], P, axis=1), atol=1e-6)


def test_noise_free_zero_signal_has_zero_risk_and_zero_labels():
    prob = LinearGaussianProblem(np.zeros(4), 0.0, np.array([1.0, 2.0, 3.0, 4.0]))
    assert prob.population_risk(np.zeros(4)) == 0.0
    assert prob.null_risk() == 0.0
    _, y = prob.sample(50, 0)
    np.testing.assert_array_equal(y, np.zeros(50))


def test_population_risk_closed_form_by_hand():
    prob = LinearGaussianProblem(np.array([1.0, 2.0]), 0.5, np.array([[2.0, 1.0], [1.0, 3.0]]))
    b = np.array([0.0, 1.0])  # d = b - beta = (-1, -1): d^T S d = 2 + 2*1 + 3 = 7
    assert prob.population_risk(b) == pytest.approx(0.25 + 7.0, rel=1e-15)
    assert prob.null_risk() == pytest.approx(0.25 + 2 + 4 * 1 + 4 * 3, rel=1e-15)


@pytest.mark.parametrize("cov_name", sorted(COVS))
def test_batched_population_risk_equals_per_row(cov_name):
    prob = _problem(cov_name)
    B = np.random.default_rng(4).standard_normal((7, P))
    batched = prob.population_risk(B)
    assert isinstance(batched, np.ndarray) and batched.shape == (7,)
    np.testing.assert_allclose(batched, [prob.population_risk(b) for b in B], rtol=1e-14)
    assert isinstance(prob.population_risk(B[0]), float)


def test_diagonal_and_full_storage_give_the_same_risk():
    d = _problem("diagonal")
    f = _problem("diagonal_as_matrix")
    assert d.is_diagonal and not f.is_diagonal
    B = np.random.default_rng(5).standard_normal((6, P))
    np.testing.assert_allclose(d.population_risk(B), f.population_risk(B), rtol=1e-14)


# ----------------------------------------------------------------- reproducibility
@pytest.mark.parametrize("cov_name", ["diagonal", "equicorrelated"])
def test_same_seed_same_numbers(cov_name):
    prob = _problem(cov_name)
    X1, y1 = prob.sample(20, 123)
    X2, y2 = prob.sample(20, np.random.default_rng(123))
    np.testing.assert_array_equal(X1, X2)
    np.testing.assert_array_equal(y1, y2)
    X3, _ = prob.sample(20, 124)
    assert not np.array_equal(X1, X3)
    # a shared generator advances: two consecutive draws differ
    g = np.random.default_rng(9)
    assert not np.array_equal(prob.sample(5, g)[0], prob.sample(5, g)[0])


def test_sample_shapes():
    X, y = _problem("equicorrelated").sample(np.int64(13), 0)
    assert X.shape == (13, P) and y.shape == (13,)


# ---------------------------------------------------------------- restriction
def _random_restrict_case(seed, singular=False):
    rng = np.random.default_rng(seed)
    p = 8
    Sigma = _random_psd(p, 6 if singular else 12, rng)
    beta = rng.standard_normal(p)
    support = np.sort(rng.choice(p, size=3, replace=False))
    return LinearGaussianProblem(beta, 0.3, Sigma), support, rng


@pytest.mark.parametrize("seed", range(5))
@pytest.mark.parametrize("singular", [False, True])
def test_restrict_identity_for_any_b_on_the_support(seed, singular):
    """Def. 5 / §7.7: L(b) = L_Delta(b_Delta) for every b supported on Delta (machine precision)."""
    prob, support, rng = _random_restrict_case(seed, singular)
    sub = prob.restrict(support)
    assert sub.p == support.size
    for _ in range(5):
        b = np.zeros(prob.p)
        b[support] = rng.standard_normal(support.size) * 3
        full, reduced = prob.population_risk(b), sub.population_risk(b[support])
        assert abs(full - reduced) <= 1e-12 * full


@pytest.mark.parametrize("seed", range(3))
def test_restrict_beta_star_is_the_best_predictor_on_the_support(seed):
    r"""beta*_Delta = Sigma_DD^{-1} (Sigma beta)_Delta minimises L over b supported on Delta, and sigma_Delta^2 is that
    minimum."""
    prob, support, rng = _random_restrict_case(seed)
    Sigma = prob.covariance_matrix()
    sub = prob.restrict(support)
    b_star = np.zeros(prob.p)
    b_star[support] = sub.beta
    # normal equations on the support: (Sigma (b* - beta))_Delta = 0
    np.testing.assert_allclose((Sigma @ (b_star - prob.beta))[support], 0, atol=1e-12)
    assert sub.sigma**2 == pytest.approx(prob.population_risk(b_star), rel=1e-12)
    np.testing.assert_allclose(sub.covariance, Sigma[np.ix_(support, support)], rtol=0, atol=0)
    for _ in range(5):
        b = b_star.copy()
        b[support] += 0.1 * rng.standard_normal(support.size)
        assert prob.population_risk(b) > prob.population_risk(b_star)


def test_restrict_diagonal_keeps_beta_and_moves_dropped_signal_into_noise():
    """Diagonal Sigma: beta*_Delta = beta_Delta and sigma_Delta^2 = sigma^2 + sum_{i not in Delta} lambda_i beta_i^2."""
    prob = _problem("diagonal")
    support = np.array([0, 2, 4])
    sub = prob.restrict(support)
    assert sub.is_diagonal
    np.testing.assert_array_equal(sub.beta, prob.beta[support])
    np.testing.assert_array_equal(sub.covariance, prob.covariance[support])
    lam, beta = prob.covariance, prob.beta
    assert sub.sigma**2 == pytest.approx(0.7**2 + lam[1] * beta[1] ** 2 + lam[3] * beta[3] ** 2, rel=1e-14)


def test_restrict_diagonal_and_matrix_paths_agree():
    sub_d = _problem("diagonal").restrict([1, 3])
    sub_f = _problem("diagonal_as_matrix").restrict(np.array([False, True, False, True, False]))
    np.testing.assert_allclose(sub_f.beta, sub_d.beta, rtol=1e-14)
    assert sub_f.sigma == pytest.approx(sub_d.sigma, rel=1e-13)
    np.testing.assert_allclose(sub_f.covariance_diag(), sub_d.covariance_diag(), rtol=0)


def test_restrict_correlated_beta_star_differs_from_beta():
    """With correlated features the kept weights absorb the dropped ones (why retraining helps)."""
    prob = _problem("equicorrelated")
    sub = prob.restrict([0, 1])
    assert np.max(np.abs(sub.beta - prob.beta[:2])) > 0.1


def test_restrict_full_support_is_the_same_problem():
    prob = _problem("equicorrelated")
    sub = prob.restrict(np.arange(P))
    np.testing.assert_allclose(sub.beta, prob.beta, atol=1e-12)
    assert sub.sigma == pytest.approx(prob.sigma, abs=1e-7)


def test_restrict_rejects_empty_or_singular_support():
    with pytest.raises(ValueError, match="at least one feature"):
        _problem("equicorrelated").restrict([])
    with pytest.raises(ValueError, match="singular"):
        _problem("perfectly_correlated_rho1").restrict([0, 1])
    with pytest.raises(ValueError, match="zero variance"):
        LinearGaussianProblem(np.ones(3), 0.1, np.array([1.0, 0.0, 1.0])).restrict([1, 2])
    with pytest.raises(ValueError, match="indices must lie in"):
        _problem("diagonal").restrict([0, P])


# -------------------------------------------------------------- constructors
def test_spiked_reproduces_e1_null_risk():
    """E1 of the chapter "Predicting pruning": sigma^2 + beta^T Sigma beta = 0.25 + 100*10*0.01 + 900*(0.5/30)^2 =
    10.5."""
    prob = LinearGaussianProblem.spiked(1000, 100, beta_bulk=0.5 / 30)
    assert prob.is_diagonal and prob.p == 1000 and prob.sigma == 0.5
    assert prob.null_risk() == pytest.approx(10.5, rel=1e-12)
    assert np.sum(prob.beta**2) == pytest.approx(1.25, rel=1e-12)
    np.testing.assert_array_equal(prob.covariance_diag()[:100], 10.0)
    np.testing.assert_array_equal(prob.covariance_diag()[100:], 1.0)
    np.testing.assert_array_equal(prob.beta[:100], 0.1)


def test_spiked_correlated_covariance():
    prob = LinearGaussianProblem.spiked(6, 2, spike=4.0, beta_bulk=0.2, rho=0.3)
    lam = np.array([4.0, 4, 1, 1, 1, 1])
    S = prob.covariance_matrix()
    np.testing.assert_allclose(np.diag(S), lam, rtol=1e-15)
    np.testing.assert_allclose(S[0, 1], 0.3 * 4.0, rtol=1e-15)
    np.testing.assert_allclose(S[0, 2], 0.3 * 2.0, rtol=1e-15)
    np.testing.assert_allclose(S[3, 4], 0.3, rtol=1e-15)
    assert prob.null_risk() == pytest.approx(0.25 + prob.beta @ S @ prob.beta, rel=1e-14)


def test_isotropic_constructor():
    prob = LinearGaussianProblem.isotropic([1.0, 2.0], 0.5)
    np.testing.assert_array_equal(prob.covariance_matrix(), np.eye(2))
    assert prob.null_risk() == pytest.approx(0.25 + 5.0)


def test_equicorrelated_covariance_spectrum():
    p, rho = 6, 0.4
    S = equicorrelated_covariance(p, rho)
    np.testing.assert_allclose(np.diag(S), 1.0)
    ev = np.linalg.eigvalsh(S)
    np.testing.assert_allclose(ev[:-1], 1 - rho, atol=1e-14)
    assert ev[-1] == pytest.approx(1 + (p - 1) * rho)


def test_rank_one_spiked_covariance_spectrum():
    u = np.array([3.0, 0.0, 4.0, 0.0])
    S = rank_one_spiked_covariance(u, 2.0, bulk=0.5)
    np.testing.assert_allclose(S @ (u / 5), 2.5 * u / 5, atol=1e-14)  # u is an eigenvector, eigenvalue bulk + theta
    np.testing.assert_allclose(np.linalg.eigvalsh(S), [0.5, 0.5, 0.5, 2.5], atol=1e-14)


def test_diagonal_spiked_covariance_values():
    np.testing.assert_array_equal(diagonal_spiked_covariance(5, 2, 7.0, bulk=0.5), [7, 7, 0.5, 0.5, 0.5])
    np.testing.assert_array_equal(diagonal_spiked_covariance(3, 0, 7.0), [1, 1, 1])
    np.testing.assert_array_equal(diagonal_spiked_covariance(3, 3, 7.0), [7, 7, 7])


def test_oracle_saliency_uses_the_diagonal():
    prob = _problem("equicorrelated")
    np.testing.assert_allclose(prob.oracle_saliency(), np.diag(COVS["equicorrelated"]) * prob.beta**2, rtol=1e-15)


def test_problem_is_immutable_and_copies_inputs():
    beta = np.array([1.0, 2.0])
    cov = np.array([1.0, 1.0])
    prob = LinearGaussianProblem(beta, 0.1, cov)
    beta[0] = 100.0
    cov[0] = 100.0
    assert prob.beta[0] == 1.0 and prob.covariance[0] == 1.0
    with pytest.raises(ValueError):
        prob.beta[0] = 5.0
    with pytest.raises(AttributeError):
        prob.sigma = 2.0


# -------------------------------------------------------------- bad inputs
@pytest.mark.parametrize(
    "kwargs, match",
    [
        (dict(beta=[1.0, 2.0], sigma=-0.1, covariance=[1.0, 1.0]), r"sigma \(noise level\) must be finite and >= 0"),
        (dict(beta=[1.0, 2.0], sigma=np.nan, covariance=[1.0, 1.0]), r"sigma \(noise level\) must be finite"),
        (dict(beta=[1.0, 2.0], sigma="0.5", covariance=[1.0, 1.0]), "sigma .* must be a real number"),
        (dict(beta=[1.0, np.nan], sigma=0.5, covariance=[1.0, 1.0]), "beta contains 1 NaN"),
        (dict(beta=[1.0, np.inf], sigma=0.5, covariance=[1.0, 1.0]), "beta contains 1 NaN or infinite"),
        (dict(beta=[[1.0, 2.0]], sigma=0.5, covariance=[1.0, 1.0]), "beta must be 1-D"),
        (dict(beta=[], sigma=0.5, covariance=[]), r"at least one entry"),
        (dict(beta=[1.0, 2.0], sigma=0.5, covariance=[[1.0, 2.0], [2.0, 1.0]]), "positive semi-definite"),
        (dict(beta=[1.0, 2.0], sigma=0.5, covariance=[[1.0, 0.5], [0.0, 1.0]]), "symmetric"),
        (dict(beta=[1.0, 2.0], sigma=0.5, covariance=[1.0, -1.0]), "diagonal must be >= 0"),
        (dict(beta=[1.0, 2.0], sigma=0.5, covariance=[1.0, 1.0, 1.0]), "must describe 2 features"),
        (dict(beta=[1.0, 2.0], sigma=0.5, covariance=np.eye(3)), "must describe 2 features"),
        (dict(beta=[1.0, 2.0], sigma=0.5, covariance=np.ones((2, 3))), "square"),
        (dict(beta=[1.0, 2.0], sigma=0.5, covariance=np.ones((2, 2, 2))), "1-D or 2-D"),
        (dict(beta=[1.0, 2.0], sigma=0.5, covariance=[[1.0, np.nan], [np.nan, 1.0]]), "covariance contains"),
    ],
)
def test_bad_problem_inputs_raise(kwargs, match):
    with pytest.raises(ValueError, match=match):
        LinearGaussianProblem(**kwargs)


@pytest.mark.parametrize("bad_n", [0, -3, 2.5, True, "10"])
def test_sample_rejects_bad_n(bad_n):
    with pytest.raises(ValueError, match=r"n \(number of samples\) must be a positive integer"):
        _problem("diagonal").sample(bad_n, 0)


def test_sample_rejects_bad_rng():
    with pytest.raises(ValueError, match="rng must be"):
        _problem("diagonal").sample(3, "seed")


def test_population_risk_rejects_bad_b():
    prob = _problem("equicorrelated")
    with pytest.raises(ValueError, match=f"must have {P} entries"):
        prob.population_risk(np.zeros(P + 1))
    with pytest.raises(ValueError, match="NaN"):
        prob.population_risk(np.full(P, np.nan))
    with pytest.raises(ValueError, match="1-D or 2-D"):
        prob.population_risk(np.zeros((2, 2, P)))


@pytest.mark.parametrize("rho", [1.5, -0.1, np.nan])
def test_rho_outside_unit_interval_raises(rho):
    with pytest.raises(ValueError, match="rho"):
        equicorrelated_covariance(4, rho)
    with pytest.raises(ValueError, match="rho"):
        LinearGaussianProblem.spiked(10, 2, rho=rho)


def test_covariance_constructors_reject_bad_arguments():
    with pytest.raises(ValueError, match="p must be an integer >= 1"):
        equicorrelated_covariance(0, 0.5)
    with pytest.raises(ValueError, match="p must be an integer >= 1"):
        diagonal_spiked_covariance(0, 0, 1.0)
    with pytest.raises(ValueError, match="n_spike must be an integer in 0..5"):
        diagonal_spiked_covariance(5, 6, 1.0)
    with pytest.raises(ValueError, match="spike must be finite and >= 0"):
        diagonal_spiked_covariance(5, 2, -1.0)
    with pytest.raises(ValueError, match="u .* must be a nonzero vector"):
        rank_one_spiked_covariance(np.zeros(3), 1.0)
    with pytest.raises(ValueError, match="theta"):
        rank_one_spiked_covariance(np.ones(3), -1.0)
