r"""Tests of pruning_lab.sensing: matrix sensing with a smooth group Lasso, greedy column pruning, fine-tuning.

Covered: the model, the objective, the pipeline, the quadratic network, the reference setting of the
chapter "Matrix sensing" and the closed forms it quotes.

Kinds of checks and their tolerances
------------------------------------
* Derivatives: central finite differences (step 1e-6, float64) of the value against the gradient
  and of the gradient against the Hessian-vector product, along random directions: relative error
  < 1e-6 (the step's truncation error is ~1e-12, its round-off ~1e-10).
* Two computations of one quantity (sufficient-statistics vs direct empirical loss, packed vs full
  measurement matrices, batched vs single products, dense vs Lanczos curvature): relative 1e-9.
* Monte Carlo (second moments of the ensembles, population loss as the mean of the empirical one):
  4 standard errors of the Monte Carlo mean.
* Closed forms (stationary point, curvature at a zero column, penalty of split columns,
  invariances): 1e-10 or better.
* Pipeline (reference setting d = 20, r = 3, k = 12, n = 1500): exactly r = 3 columns above
  sqrt(beta), every other column below 1e-5; fine-tuning reaches 1e-12; the fitted log-rate of the
  fine-tuning phase agrees with the rate predicted by the Hessian at the limit within 5 %, and its
  two halves agree within 10 %.
* Baselines: the r-column model trained directly (from every start), the unregularized model pruned
  to its top r columns and fine-tuned, and the pipeline reach the same least-squares fit, to 1e-6.
* Exact asymptotic error (m = rd - r(r-1)/2): the mean squared error of the r-column least-squares
  fit over 400 data sets within 4 standard errors of sigma^2 m/(n-m-1) (and within 4 s.e. + 3 % of
  sigma^2 m/n), which rejects rd in place of m; rank-one ensemble and the 12-column cone formula
  sigma^2 (m + c_k)/n within 4 s.e. + 3 % and 4 s.e. + 5 % (10 to 40 data sets); Monte Carlo c_k
  within 2 % of its closed form when k >= d - 1.  Generalization curve: RMS error of the direct model
  within a factor 1.3 of sigma sqrt(m/(n-m-1)) with 2 data sets, fitted log-log slope in [-0.65, -0.35].

Simulations run with one BLAS thread; every random draw is seeded.
"""

import matplotlib.pyplot as plt
import numpy as np
import pytest

from pruning_lab import plotting
from pruning_lab import sensing as S
from pruning_lab.widgets import sensing_figure, sensing_panel

H = 1e-6  # finite-difference step


# --------------------------------------------------------------------------- helpers
def _small(kind="sym_gauss", sigma=0.1, n=300, d=6, r=2, seed=0):
    problem = S.SensingProblem.random(d, r, [1.0, 0.7], sigma, kind, rng=seed)
    A, y = problem.sample(n, seed + 1)
    return problem, A, y


def _rel(a, b):
    return np.linalg.norm(np.asarray(a) - np.asarray(b)) / max(np.linalg.norm(b), 1e-300)


def _check_grad(value, grad, U, seed=0, dirs=4):
    rng = np.random.default_rng(seed)
    g = grad(U)
    for _ in range(dirs):
        Z = rng.standard_normal(U.shape)
        fd = (value(U + H * Z) - value(U - H * Z)) / (2 * H)
        assert abs(fd - np.sum(g * Z)) <= 1e-6 * max(abs(fd), np.linalg.norm(g) * np.linalg.norm(Z) * 1e-3)


def _check_hvp(grad, hvp, U, seed=0, dirs=4):
    rng = np.random.default_rng(seed)
    for _ in range(dirs):
        Z = rng.standard_normal(U.shape)
        fd = (grad(U + H * Z) - grad(U - H * Z)) / (2 * H)
        assert _rel(hvp(U, Z), fd) < 1e-6


U_TEST = np.random.default_rng(7).standard_normal((6, 4)) * 0.6


# ------------------------------------------------------------------- measurement algebra
def test_packed_measurements_match_full_matrices():
    _, A, _ = _small(n=50)
    mats = A.matrices()
    assert np.allclose(mats, np.swapaxes(mats, 1, 2))
    M = np.random.default_rng(1).standard_normal((6, 6))
    M = M + M.T
    w = np.random.default_rng(2).standard_normal(50)
    assert _rel(A.apply(M), np.einsum("ijk,jk->i", mats, M)) < 1e-12
    assert _rel(A.adjoint(w), np.einsum("i,ijk->jk", w, mats)) < 1e-12
    again = S.Measurements.from_matrices(mats)
    assert _rel(again.data, A.data) < 1e-14
    # rank-one measurements, through the vectors and through the full matrices
    X = np.random.default_rng(3).standard_normal((50, 6))
    R = S.Measurements.from_vectors(X)
    F = S.Measurements.from_matrices(R.matrices())
    assert _rel(R.apply(M), F.apply(M)) < 1e-12 and _rel(R.adjoint(w), F.adjoint(w)) < 1e-12
    assert _rel(R.packed(), F.packed()) < 1e-12


def test_batched_operations_equal_stacked_single_ones():
    problem, A, y = _small()
    f = S.SensingObjective.empirical(A, y, 0.1, 0.05, compress=False)
    Z = np.random.default_rng(4).standard_normal((3, 6, 4))
    batch = f.hvp(U_TEST, Z)
    assert _rel(batch, np.stack([f.hvp(U_TEST, z) for z in Z])) < 1e-12
    Ms = np.stack([z @ z.T for z in Z])
    assert _rel(A.apply(Ms), np.stack([A.apply(m) for m in Ms])) < 1e-12


@pytest.mark.parametrize("kind", S.KINDS)
def test_second_moment_of_the_ensemble(kind):
    """E<A, D>^2 = ||D||_F^2 (symmetric Gaussian) and 2||D||_F^2 + (tr D)^2 (rank one)."""
    rng = np.random.default_rng(11)
    D = rng.standard_normal((6, 6))
    D = (D + D.T) / 2
    A = S.sample_measurements(200_000, 6, rng, kind)
    v = A.apply(D) ** 2
    exact = np.sum(D * D) if kind == "sym_gauss" else 2 * np.sum(D * D) + np.trace(D) ** 2
    assert abs(v.mean() - exact) < 4 * v.std() / np.sqrt(v.size)
    if kind == "sym_gauss":  # entries: N(0, 1) on the diagonal, N(0, 1/2) off it
        mats = S.sample_measurements(20_000, 3, rng, kind).matrices()
        assert np.allclose(mats.var(axis=0), [[1, 0.5, 0.5], [0.5, 1, 0.5], [0.5, 0.5, 1]], atol=0.04)


@pytest.mark.parametrize("kind", S.KINDS)
def test_population_loss_is_the_mean_of_the_empirical_loss(kind):
    """E L_emp(U) = L_pop(U) + sigma^2 (both ensembles), including the empty model U = d×0."""
    problem = S.SensingProblem.random(6, 2, [1.0, 0.7], 0.3, kind, rng=0)
    A, y = problem.sample(400_000, 5)
    for U in (U_TEST, np.zeros((6, 0))):
        resid2 = (A.apply(U @ U.T) - y) ** 2
        expected = S.loss_pop(U, problem.M_star, kind) + 0.3**2
        assert abs(S.loss_emp(U, A, y) - expected) < 4 * resid2.std() / np.sqrt(y.size)
    assert S.loss_pop(np.zeros((6, 0)), problem.M_star) == pytest.approx(np.sum(problem.M_star**2), rel=1e-14)


# -------------------------------------------------------------------------- derivatives
@pytest.mark.parametrize("kind", S.KINDS)
def test_empirical_loss_derivatives_match_finite_differences(kind):
    _, A, y = _small(kind)
    _check_grad(lambda U: S.loss_emp(U, A, y), lambda U: S.grad_emp(U, A, y), U_TEST)
    _check_hvp(lambda U: S.grad_emp(U, A, y), lambda U, Z: S.hvp_emp(U, Z, A, y), U_TEST)


@pytest.mark.parametrize("kind", S.KINDS)
def test_population_loss_derivatives_match_finite_differences(kind):
    problem, _, _ = _small(kind)
    M = problem.M_star
    _check_grad(lambda U: S.loss_pop(U, M, kind), lambda U: S.grad_pop(U, M, kind), U_TEST)
    _check_hvp(lambda U: S.grad_pop(U, M, kind), lambda U, Z: S.hvp_pop(U, Z, M, kind), U_TEST)


@pytest.mark.parametrize("form", S.FORMS)
@pytest.mark.parametrize("beta", [1e-3, 0.1])
def test_regularizer_derivatives_match_finite_differences(form, beta):
    U = U_TEST.copy()
    U[:, 1] *= 1e-2  # one short column: the ridge-like regime of the smoothing
    _check_grad(lambda V: S.group_lasso_smooth(V, beta, form), lambda V: S.grad_reg(V, beta, form), U)
    _check_hvp(lambda V: S.grad_reg(V, beta, form), lambda V, Z: S.hvp_reg(V, Z, beta, form), U)


def test_sqrt_regularizer_hessian_block_is_the_closed_form():
    beta, U = 0.05, U_TEST
    Z = np.random.default_rng(3).standard_normal(U.shape)
    out = S.hvp_reg(U, Z, beta)
    for i in range(U.shape[1]):
        v = U[:, i]
        s = np.sqrt(v @ v + beta)
        assert _rel(out[:, i], (np.eye(6) - np.outer(v, v) / s**2) @ Z[:, i] / s) < 1e-12


@pytest.mark.parametrize("kind", S.KINDS)
@pytest.mark.parametrize("form", S.FORMS)
def test_objective_derivatives_and_compressed_form(kind, form):
    _, A, y = _small(kind, n=300)
    direct = S.SensingObjective.empirical(A, y, 0.2, 0.05, form, compress=False)
    gram = S.SensingObjective.empirical(A, y, 0.2, 0.05, form, compress=True)
    assert gram.gram is not None and direct.gram is None
    _check_grad(gram.value, gram.grad, U_TEST)
    _check_hvp(gram.grad, gram.hvp, U_TEST)
    Z = np.random.default_rng(5).standard_normal(U_TEST.shape)
    assert gram.value(U_TEST) == pytest.approx(direct.value(U_TEST), rel=1e-10)
    assert _rel(gram.grad(U_TEST), direct.grad(U_TEST)) < 1e-10
    assert _rel(gram.hvp(U_TEST, Z), direct.hvp(U_TEST, Z)) < 1e-10
    assert direct.value(U_TEST) == pytest.approx(
        S.loss_emp(U_TEST, A, y) + 0.2 * S.group_lasso_smooth(U_TEST, 0.05, form), rel=1e-13
    )


# -------------------------------------------------------------------------- closed forms
def test_invariances_of_loss_and_penalty():
    """L(UO) = L(U); permuting columns leaves f unchanged; a zero column adds sqrt(beta) to R."""
    problem, A, y = _small()
    f = S.SensingObjective.empirical(A, y, 0.3, 0.02)
    Q, _ = np.linalg.qr(np.random.default_rng(2).standard_normal((4, 4)))
    assert f.loss(U_TEST @ Q) == pytest.approx(f.loss(U_TEST), rel=1e-12)
    assert f.value(U_TEST[:, [2, 0, 3, 1]]) == pytest.approx(f.value(U_TEST), rel=1e-13)
    padded = np.hstack([U_TEST, np.zeros((6, 3))])
    assert f.loss(padded) == pytest.approx(f.loss(U_TEST), rel=1e-13)
    assert S.group_lasso_smooth(padded, 0.02) - S.group_lasso_smooth(U_TEST, 0.02) == pytest.approx(3 * np.sqrt(0.02))
    assert S.group_lasso_smooth(padded, 0.02, "ratio") == pytest.approx(S.group_lasso_smooth(U_TEST, 0.02, "ratio"))


def test_population_stationary_point_is_stationary_and_matches_the_closed_form_shrinkage():
    """Closed form: c_j^2 = sigma_j^2 - lam/(4 sqrt(c_j^2 + beta)); eigenvalues 0.9875, 0.6243, 0.3388."""
    problem = S.SensingProblem.reference()
    c = S.shrunk_column_norms(problem.sing_vals, 0.05, 0.01)
    np.testing.assert_allclose(c**2, problem.sing_vals**2 - 0.05 / (4 * np.sqrt(c**2 + 0.01)), atol=1e-14)
    np.testing.assert_allclose(c**2, [0.9875, 0.6243, 0.3388], atol=6e-5)
    U = S.population_stationary_point(problem.U_star, 0.05, 0.01, k=12)
    f = S.SensingObjective.population(problem.M_star, 0.05, 0.01)
    assert np.linalg.norm(f.grad(U)) < 1e-13
    assert np.all(S.column_norms(U)[3:] == 0)
    # a regularizer that is too strong kills the weakest direction: no root, c_3 = 0
    assert S.shrunk_column_norms(problem.sing_vals, 0.6, 0.01)[-1] == 0


def test_curvature_at_a_zero_column_and_the_strict_saddle_boundary():
    """<Z, Hess f[Z]> = 4 z^T (UU^T - M*) z + lam |z|^2 / sqrt(beta) for Z = z e_i^T, U e_i = 0.

    At the stationary point that misses the weakest direction u_3, the smallest Hessian eigenvalue
    is negative (strict saddle) iff lam / sqrt(beta) < 4 sigma_3^2 = 1.44.
    """
    problem = S.SensingProblem.reference()
    Q, s, _ = np.linalg.svd(problem.U_star, full_matrices=False)
    lam = 0.05
    for beta, saddle in ((0.01, True), (1e-4, False)):  # lam/sqrt(beta) = 0.5 and 5
        U = np.zeros((20, 4))
        U[:, :2] = Q[:, :2] * S.shrunk_column_norms(s[:2], lam, beta)
        f = S.SensingObjective.population(problem.M_star, lam, beta)
        z = np.random.default_rng(0).standard_normal(20)
        Z = np.zeros_like(U)
        Z[:, 3] = z
        expected = 4 * z @ (U @ U.T - problem.M_star) @ z + lam * z @ z / np.sqrt(beta)
        assert np.sum(Z * f.hvp(U, Z)) == pytest.approx(expected, rel=1e-12)
        Z[:, 3] = Q[:, 2]
        assert np.sum(Z * f.hvp(U, Z)) == pytest.approx(-4 * s[2] ** 2 + lam / np.sqrt(beta), rel=1e-12)
        report = S.sosp_check(f, U, 1e-10, 1e-6)
        assert report.grad_norm < 1e-12
        assert (report.lambda_min < 0) == saddle and report.is_sosp != saddle


def test_splitting_a_column_costs_penalty():
    """m equal columns c u/sqrt(m) have the same UU^T and a larger penalty."""
    u = np.eye(5)[:, 0]
    for beta in (0.0, 1e-3, 0.1):
        for c in (0.3, 1.0):
            one = S.group_lasso_smooth(c * u[:, None], beta)
            for m in (2, 3, 7):
                split = np.tile(c * u[:, None] / np.sqrt(m), (1, m))
                assert np.allclose(split @ split.T, c**2 * np.outer(u, u))
                extra = S.group_lasso_smooth(split, beta) - one
                assert extra > 0
                assert extra == pytest.approx(m * np.sqrt(c**2 / m + beta) - np.sqrt(c**2 + beta), rel=1e-12)
                if beta == 0:
                    assert extra == pytest.approx((np.sqrt(m) - 1) * c, rel=1e-12)


# ------------------------------------------------------------------------ training pieces
def test_prune_columns_and_prunability():
    U = np.array([[3.0, 0.0, 0.1, 1.0], [4.0, 0.0, 0.0, 0.0]])
    np.testing.assert_array_equal(S.column_norms(U), [5.0, 0.0, 0.1, 1.0])
    np.testing.assert_array_equal(S.prune_columns(U, 0.0), U)
    np.testing.assert_array_equal(S.prune_columns(U, 0.5), U[:, [0, 3]])
    assert S.prune_columns(U, 6.0).shape == (2, 0)
    stats = S.prunability_stats(U, 0.2)
    np.testing.assert_array_equal(stats.norms, [5.0, 1.0, 0.1, 0.0])
    assert stats.n_comparable == 2 and stats.gap == np.inf


def test_local_linear_rate_of_gradient_descent_with_exactly_r_columns():
    """Noiseless, k = r, start near U*: the error decays geometrically at max|1 - eta mu|."""
    problem = S.SensingProblem.random(10, 2, [1.0, 0.6], 0.0, rng=3)
    A, y = problem.sample(400, 4)
    U0 = problem.U_star + 0.05 * np.random.default_rng(5).standard_normal((10, 2))
    run = S.finetune(U0, A, y, 0.1, 1500, M_star=problem.M_star, record_every=5)
    assert run.errors[-1] < 1e-13
    fit = S.fit_linear_rate(run.steps, run.errors)
    predicted = S.local_linear_rate(S.SensingObjective.empirical(A, y), run.U, 0.1)
    assert fit.slope < 0
    assert fit.slope == pytest.approx(np.log10(predicted), rel=0.05)
    assert fit.half_slopes[0] == pytest.approx(fit.half_slopes[1], rel=0.10)


def test_perturbed_gradient_descent_escapes_a_strict_saddle():
    """At the stationary point missing u_3 the gradient is 0: GD stays, PGD escapes and recovers r = 3 columns."""
    problem = S.SensingProblem.reference()
    Q, s, _ = np.linalg.svd(problem.U_star, full_matrices=False)
    U = np.zeros((20, 5))
    U[:, :2] = Q[:, :2] * S.shrunk_column_norms(s[:2], 0.05, 0.01)
    f = S.SensingObjective.population(problem.M_star, 0.05, 0.01)
    stuck = S.gradient_descent(f, U, 0.05, 500)
    assert np.abs(stuck.U - U).max() < 1e-10 and not stuck.U[:, 2:].any()  # zero columns get zero gradient
    run = S.perturbed_gradient_descent(
        f, U, 0.05, 5000, g_thres=1e-4, t_thres=200, radius=1e-2, f_thres=1e-8, rng=0, M_star=problem.M_star
    )
    assert run.perturbations >= 1 and run.converged
    assert np.sum(S.column_norms(run.U) >= 0.1) == 3
    assert run.errors[-1] < 0.1 < stuck.values[0] - run.values[-1] + 0.1


def test_sosp_check_dense_and_lanczos_agree():
    _, A, y = _small()
    f = S.SensingObjective.empirical(A, y, 0.1, 0.05)
    dense = S.sosp_check(f, U_TEST, 1.0, 1.0, method="dense")
    lanczos = S.sosp_check(f, U_TEST, 1.0, 1.0, method="lanczos", lanczos_iters=U_TEST.size)
    assert dense.method == "dense" and lanczos.method == "lanczos"
    assert lanczos.lambda_min == pytest.approx(dense.lambda_min, rel=1e-9, abs=1e-9)
    H = S.hessian_matrix(f, U_TEST)
    assert np.allclose(H, H.T)


# ------------------------------------------------------------------------- the pipeline
@pytest.fixture(scope="module")
def reference_run():
    problem = S.SensingProblem.reference()
    return S.sensing_run(problem, 1500, 12, 0.05, 0.01, rng=1, ft_steps=600)


def test_exactly_r_columns_survive_in_the_reference_setting(reference_run):
    """With the group Lasso exactly r = 3 columns stay above sqrt(beta); without it, many are comparable."""
    norms = S.column_norms(reference_run.pipeline.trained.U)
    assert reference_run.pipeline.n_kept == 3
    assert np.sort(norms)[-3] > 0.5 and np.sort(norms)[-4] < 1e-5
    assert S.prunability_stats(reference_run.unregularized.U).n_comparable >= 5
    assert S.prunability_stats(reference_run.pipeline.trained.U).n_comparable == 3


def test_finetuning_is_linear_and_the_overparameterized_model_is_not(reference_run):
    """The pruned model reaches machine precision at the predicted rate; k = 12 unregularized GD crawls."""
    run = reference_run
    tuned = run.pipeline.finetuned
    assert tuned.errors[0] < 0.05 and tuned.errors[-1] < 1e-13
    fit = S.fit_linear_rate(tuned.steps, tuned.errors)
    predicted = S.local_linear_rate(S.SensingObjective.empirical(run.A, run.y), tuned.U, 0.05)
    assert fit.slope == pytest.approx(np.log10(predicted), rel=0.05)
    assert fit.half_slopes[0] == pytest.approx(fit.half_slopes[1], rel=0.10)
    plain = S.gradient_descent(
        S.SensingObjective.empirical(run.A, run.y),
        run.unregularized.U,
        0.05,
        1000,
        M_star=run.problem.M_star,
        record_every=500,
    )
    assert plain.errors[-1] > 0.5 * plain.errors[0] > 1e-4


def test_generalization_curve_compares_the_pipeline_with_its_baselines():
    """With noise, the pipeline, the r-column model trained directly and plain training pruned to its
    top r columns reach the same fit, whose error follows sigma sqrt(m/n); 12 columns are worse."""
    problem = S.SensingProblem.reference(noise_sigma=0.3)
    curve = S.generalization_curve(
        problem, [600, 2400, 9600], 12, 0.05, 0.01, trials=2, starts=2, rng=2, progress=False
    )
    assert np.all(curve.kept == 3)
    np.testing.assert_allclose(curve.direct, curve.pruned, atol=1e-6)  # the same least-squares fit
    np.testing.assert_allclose(curve.plain_pruned, curve.direct, atol=1e-6)
    assert np.all(curve.direct_spread < 1e-6)  # the outcome does not depend on the start
    rms = curve.rms("direct")
    assert np.all(rms < 1.3 * curve.asymptotic_finite) and np.all(rms > curve.asymptotic_finite / 1.3)
    assert -0.65 < curve.slope("direct") < -0.35
    assert curve.slope(min_n=2400) == pytest.approx(np.log(rms[2] / rms[1]) / np.log(4))
    assert np.all(curve.unregularized > curve.pruned)
    m = S.min_measurements(20, 3)
    np.testing.assert_allclose(curve.asymptotic, 0.3 * np.sqrt(m / curve.ns))
    np.testing.assert_allclose(curve.asymptotic_finite, 0.3 * np.sqrt(m / (curve.ns - m - 1)))
    assert np.all(curve.asymptotic_k / curve.asymptotic == pytest.approx(np.sqrt((m + 76.5) / m), rel=0.01))
    assert np.all(curve.rms_se("direct") > 0)
    with pytest.raises(ValueError, match="which must be one of"):
        curve.rms("small")


def test_small_model_and_pruned_plain_model_reach_the_pipelines_fit():
    """Same data: k = r trained directly (any start) = plain GD pruned to its top r columns and fine-tuned =
    group Lasso -> prune -> fine-tune, to 1e-6; pruning the plain model first costs a large error."""
    run = S.sensing_run(S.SensingProblem.reference(noise_sigma=0.3), 1500, 12, 0.05, 0.01, rng=1, ft_tol=1e-7)
    base = S.sensing_baselines(run, starts=3, rng=2)
    final = run.pipeline.finetuned.errors[-1]
    np.testing.assert_allclose(base.direct_errors, final, atol=1e-6)
    assert base.plain_pruned.errors[-1] == pytest.approx(final, abs=1e-6)
    assert base.direct_spread < 1e-6 and base.plain_prune_error > 0.3 > 0.1 > final
    assert run.unregularized.errors[-1] > 1.3 * final
    assert all(r.n_steps < run.schedule["steps"] for r in base.direct)  # stopped at the tolerance
    assert run.schedule == {
        "eta": 0.02,
        "steps": 6000,
        "init_scale": 0.01,
        "ft_eta": 0.05,
        "ft_steps": 3000,
        "ft_tol": 1e-7,
        "record_every": 10,
    }
    with pytest.raises(ValueError, match="unregularized=True"):
        S.sensing_baselines(S.sensing_run(run.problem, 300, 4, 0.05, 0.01, unregularized=False, steps=10))


def test_sensing_run_can_vary_the_start_on_fixed_data():
    problem = S.SensingProblem.reference()
    runs = [S.sensing_run(problem, 200, 4, 0.05, 0.01, rng=1, init_rng=seed, steps=5, ft_steps=0) for seed in (0, 1)]
    np.testing.assert_array_equal(runs[0].A.data, runs[1].A.data)
    np.testing.assert_array_equal(runs[0].y, runs[1].y)
    assert not np.allclose(runs[0].U0, runs[1].U0)
    np.testing.assert_allclose(runs[0].U0, S.random_init(20, 4, 0.01, 0))


def test_train_small_model_runs_the_pipelines_schedule():
    problem, A, y = _small(sigma=0.0)
    full = S.train_small_model(A, y, 2, eta=0.02, steps=50, ft_eta=0.05, ft_steps=30, rng=0, record_every=10)
    assert full.n_steps == 80 and not full.converged
    np.testing.assert_array_equal(full.steps, np.arange(0, 81, 10))
    first = S.gradient_descent(S.SensingObjective.empirical(A, y), S.random_init(6, 2, 0.01, 0), 0.02, 50)
    second = S.gradient_descent(S.SensingObjective.empirical(A, y), first.U, 0.05, 30)
    np.testing.assert_allclose(full.U, second.U, rtol=1e-12)
    done = S.train_small_model(A, y, 2, tol=1e-9, M_star=problem.M_star, rng=0)
    assert done.converged and done.errors[-1] < 1e-8 and done.n_steps < 6000
    with pytest.raises(ValueError, match=r"too few measurements: n = 10.*needs at least .* = 11"):
        S.train_small_model(*problem.sample(10, 0), 2)
    with pytest.raises(ValueError, match=r"U0 must have k = 2 columns"):
        S.train_small_model(A, y, 2, U0=np.ones((6, 3)))


def test_prune_top_columns_keeps_the_largest_in_order():
    U = np.array([[0.1, 3.0, 0.0, 2.0], [0.0, 0.0, 0.5, 0.0]])
    np.testing.assert_array_equal(S.prune_top_columns(U, 2), U[:, [1, 3]])
    np.testing.assert_array_equal(S.prune_top_columns(U, 3), U[:, [1, 2, 3]])
    assert S.prune_top_columns(U, 0).shape == (2, 0)
    np.testing.assert_array_equal(S.prune_top_columns(U, 4), U)
    with pytest.raises(ValueError, match=r"count \(columns to keep\) must be <= k = 4"):
        S.prune_top_columns(U, 5)


def test_gram_matrix_is_shared_by_objectives_on_the_same_measurements():
    problem, A, y = _small(n=400)
    first, second = S.SensingObjective.empirical(A, y), S.SensingObjective.empirical(A, 2 * y, lam=0.1, beta=0.01)
    assert first.gram[0] is second.gram[0]
    P = A.packed()
    np.testing.assert_allclose(first.gram[0], P.T @ P / A.n, rtol=1e-12)
    assert second.loss(U_TEST) == pytest.approx(S.loss_emp(U_TEST, A, 2 * y), rel=1e-9)


# --------------------------------------------------------------------- exact asymptotic error
def test_asymptotic_error_closed_forms():
    m = S.min_measurements(20, 3)
    assert m == 57
    assert S.asymptotic_error(20, 3, 1500, 0.3) == pytest.approx(0.3 * np.sqrt(57 / 1500), rel=1e-14)
    assert S.asymptotic_error(20, 3, 1500, 0.3, finite_n=True) == pytest.approx(0.3 * np.sqrt(57 / 1442), rel=1e-14)
    assert S.asymptotic_error(20, 3, 1500, 0.3, kind="rank_one") == pytest.approx(0.3 * np.sqrt(28.2 / 1500))
    assert S.overfit_dimension(20, 3, 3) == 0.0
    assert S.overfit_dimension(20, 3, 20) == S.overfit_dimension(20, 3, 40) == 17 * 18 / 4
    assert S.asymptotic_error(20, 3, 1500, 0.3, k=25) == pytest.approx(0.3 * np.sqrt((57 + 76.5) / 1500))
    # Monte Carlo c_k: increasing in k, and keeping all but one of q = 6 eigenvalues misses only the
    # event that all six are positive
    c = [S.overfit_dimension(8, 2, k, samples=20000, rng=1) for k in (3, 5, 7)]
    assert 0 < c[0] < c[1] < c[2]
    assert c[2] == pytest.approx(6 * 7 / 4, rel=0.02)
    assert S.overfit_dimension(8, 2, 5, samples=20000, rng=1) == c[1]  # seeded


def test_asymptotic_error_bad_inputs_raise():
    with pytest.raises(ValueError, match=r"need k >= r = 3"):
        S.asymptotic_error(20, 3, 1500, 0.3, k=2)
    with pytest.raises(ValueError, match="below the 57 degrees of freedom"):
        S.asymptotic_error(20, 3, 50, 0.3)
    with pytest.raises(ValueError, match=r"finite_n=True needs n > m \+ 1 = 58"):
        S.asymptotic_error(20, 3, 58, 0.3, finite_n=True)
    with pytest.raises(ValueError, match="k must equal r = 3"):
        S.asymptotic_error(20, 3, 1500, 0.3, k=12, finite_n=True)
    with pytest.raises(ValueError, match="k must equal r = 3"):
        S.asymptotic_error(20, 3, 1500, 0.3, k=4, kind="rank_one")
    with pytest.raises(ValueError, match="only for kind='sym_gauss'"):
        S.asymptotic_error(20, 3, 1500, 0.3, kind="rank_one", finite_n=True)
    with pytest.raises(ValueError, match="noise_sigma"):
        S.asymptotic_error(20, 3, 1500, -0.3)
    with pytest.raises(ValueError, match="rank r must be <= d"):
        S.overfit_dimension(3, 4, 5)
    with pytest.raises(ValueError, match="kind"):
        S.asymptotic_error(20, 3, 1500, 0.3, kind="gaussian")


def _least_squares_errors(problem, n, trials, eta, seed):
    """Squared errors of the r-column least-squares fit (fine-tuning from U_star to convergence)."""
    out = []
    for t in range(trials):
        A, y = problem.sample(n, seed + t)
        fit = S.finetune(problem.U_star, A, y, eta, 4000, tol=1e-9, record_every=4000)
        out.append(S.recovery_error(fit.U, problem.M_star) ** 2)
    return np.array(out)


@pytest.mark.parametrize(
    "kind, n, eta, trials",
    [pytest.param("sym_gauss", 2400, 0.05, 400, marks=pytest.mark.slow), ("rank_one", 4000, 0.02, 40)],
)
def test_least_squares_error_matches_the_exact_asymptotic(kind, n, eta, trials):
    """E|M_hat - M*|_F^2 of the r-column fit against sigma^2 m/n, m = rd - r(r-1)/2 (symmetric Gaussian;
    finite-n value m/(n-m-1)) and sigma^2 ((m-1)/2 + 1/(r+2))/n (rank-one): within 4 standard errors of
    the Monte Carlo mean, plus 3 % for the finite-n bias of the asymptotic value (m/n = 2.4 % here).
    With 400 data sets 4 standard errors are 3.7 %, so the count rd = 60 in place of m = 57 (5 % more)
    is rejected."""
    problem = S.SensingProblem.reference(noise_sigma=0.3, kind=kind)
    sq = _least_squares_errors(problem, n, trials, eta, seed=100)
    mean, se = sq.mean(), sq.std(ddof=1) / np.sqrt(sq.size)
    asym = S.asymptotic_error(20, 3, n, 0.3, kind=kind) ** 2
    assert abs(mean - asym) <= 4 * se + 0.03 * asym
    if kind == "sym_gauss":
        m = S.min_measurements(20, 3)
        assert abs(mean - S.asymptotic_error(20, 3, n, 0.3, finite_n=True) ** 2) <= 4 * se
        assert abs(mean - 0.09 * (m + 3) / (n - m - 4)) > 4 * se  # rd parameters instead of m


def test_plain_gradient_descent_error_matches_the_cone_asymptotic():
    """12 columns, no regularizer, n = 4800: RMS error over 10 data sets within 4 standard errors + 5 % of
    sigma sqrt((m + c_k)/n), and above the r-column value by the predicted factor sqrt((m + c_k)/m) ~ 1.53."""
    problem = S.SensingProblem.reference(noise_sigma=0.3)
    sq = []
    for t in range(10):
        A, y = problem.sample(4800, 200 + t)
        run = S.gradient_descent(
            S.SensingObjective.empirical(A, y), S.random_init(20, 12, 0.01, t), 0.02, 6000, record_every=6000
        )
        sq.append(S.recovery_error(run.U, problem.M_star) ** 2)
    sq = np.array(sq)
    rms, se = np.sqrt(sq.mean()), sq.std(ddof=1) / np.sqrt(sq.size) / (2 * np.sqrt(sq.mean()))
    theory = S.asymptotic_error(20, 3, 4800, 0.3, k=12)
    assert abs(rms - theory) <= 4 * se + 0.05 * theory
    assert rms > 1.3 * S.asymptotic_error(20, 3, 4800, 0.3)


def test_survivor_map_sees_both_failure_boundaries():
    problem = S.SensingProblem.reference()
    smap = S.survivor_map(problem, 1500, 12, [0.05, 1.0], [0.01], steps=3000, rng=1, progress=False)
    np.testing.assert_array_equal(smap.counts, [[3, 0]])  # lam/sqrt(beta) = 0.5 and 10 > 4 sigma_1^2
    assert smap.boundary("saddle")[0] == pytest.approx(4 * 0.36 * 0.1)
    assert smap.boundary("zero")[0] == pytest.approx(0.4)


def test_quadratic_network_is_rank_one_sensing_and_prunes_to_r_neurons():
    """Quadratic network: f(x) = sum_j (u_j^T x)^2 is sensing with A_i = x_i x_i^T; the group Lasso leaves 3 neurons."""
    problem = S.SensingProblem.reference(kind="rank_one")
    A, y = problem.sample(2000, 3)
    X = A.data
    U = np.random.default_rng(4).standard_normal((20, 4)) * 0.3
    assert S.quad_net_loss(X, y, U) == pytest.approx(S.loss_emp(U, A, y), rel=1e-12)
    np.testing.assert_allclose(S.quad_net_forward(X, problem.U_star), A.apply(problem.M_star), rtol=1e-10)
    result = S.train_prune_finetune(A, y, 12, 0.05, 0.01, rng=2, ft_eta=0.02, ft_steps=800, M_star=problem.M_star)
    assert result.n_kept == 3 and result.finetuned.errors[-1] < 1e-12


# ------------------------------------------------------------------------------ bad inputs
def test_bad_problem_settings_raise():
    problem = S.SensingProblem.reference()
    with pytest.raises(ValueError, match=r"k >= r = 3"):
        S.sensing_run(problem, 1500, 2, 0.05, 0.01)
    with pytest.raises(ValueError, match=r"k must be >= r = 3"):
        S.population_stationary_point(problem.U_star, 0.05, 0.01, k=2)
    with pytest.raises(ValueError, match=r"too few measurements: n = 40.*57"):
        S.sensing_run(problem, 40, 12, 0.05, 0.01)
    with pytest.raises(ValueError, match="too few measurements"):
        S.generalization_curve(problem, [40, 1000], 12, 0.05, 0.01, progress=False)
    A, y = problem.sample(30, 0)
    with pytest.raises(ValueError, match=r"too few measurements: n = 30.*needs at least"):
        S.finetune(problem.U_star, A, y, 0.05, 10)
    with pytest.raises(ValueError, match="rank r must be <= d"):
        S.make_ground_truth(3, 4)
    with pytest.raises(ValueError, match="sing_vals must all be > 0"):
        S.make_ground_truth(5, 2, [1.0, -0.5])
    with pytest.raises(ValueError, match=r"sing_vals must have shape \(2,\)"):
        S.make_ground_truth(5, 2, [1.0, 0.5, 0.2])
    with pytest.raises(ValueError, match="noise_sigma must be finite and >= 0"):
        S.SensingProblem(problem.U_star, -0.1)
    with pytest.raises(ValueError, match="kind"):
        S.sample_measurements(10, 4, 0, kind="gaussian")
    with pytest.raises(ValueError, match=r"n \(number of measurements\) must be an integer >= 1"):
        S.sample_measurements(0, 4)
    with pytest.raises(ValueError, match="rng must be"):
        S.sample_measurements(10, 4, rng="seed")


def test_bad_regularization_parameters_raise():
    problem, A, y = _small()
    with pytest.raises(ValueError, match=r"lam \(regularization strength λ\) must be finite and >= 0"):
        S.SensingObjective.empirical(A, y, lam=-0.1, beta=0.01)
    with pytest.raises(ValueError, match=r"beta \(smoothing β\) must be finite and >= 0"):
        S.SensingObjective.population(problem.M_star, 0.1, -1e-3)
    with pytest.raises(ValueError, match="beta"):
        S.group_lasso_smooth(U_TEST, -1.0)
    with pytest.raises(ValueError, match="beta"):
        S.train_prune_finetune(A, y, 4, 0.1, float("nan"))
    with pytest.raises(ValueError, match="not differentiable at a zero column"):
        S.grad_reg(np.zeros((3, 2)), 0.0)
    with pytest.raises(ValueError, match="form"):
        S.group_lasso_smooth(U_TEST, 0.1, form="huber")
    with pytest.raises(ValueError, match=r"eta \(step size\) must be > 0"):
        S.gradient_descent(S.SensingObjective.empirical(A, y), U_TEST, 0.0, 10)
    with pytest.raises(ValueError, match="diverged.*smaller step size"):
        S.gradient_descent(S.SensingObjective.empirical(A, y), U_TEST * 10, 10.0, 100)
    with pytest.raises(ValueError, match=r"c \(fraction of the largest norm\) must lie in \(0, 1\]"):
        S.prunability_stats(U_TEST, 1.5)
    with pytest.raises(ValueError, match=r"tau \(pruning threshold\) must be finite and >= 0"):
        S.prune_columns(U_TEST, -1)
    with pytest.raises(ValueError, match="need at least 4 recorded errors"):
        S.fit_linear_rate([0, 1, 2], [1.0, 0.5, 0.25])


def test_mismatched_shapes_raise():
    problem, A, y = _small()
    with pytest.raises(ValueError, match=r"U must have d = 6 rows"):
        S.loss_emp(np.ones((5, 3)), A, y)
    with pytest.raises(ValueError, match=r"one entry per measurement, n = 300, got 299"):
        S.grad_emp(U_TEST, A, y[:-1])
    with pytest.raises(ValueError, match=r"Z must have the shape of U"):
        S.hvp_emp(U_TEST, np.ones((6, 3)), A, y)
    with pytest.raises(ValueError, match=r"M_star must be \(6, 6\)"):
        S.loss_pop(U_TEST, np.eye(5))
    with pytest.raises(ValueError, match="M_star must be symmetric"):
        S.grad_pop(U_TEST, np.triu(np.ones((6, 6))))
    with pytest.raises(ValueError, match="stack .* of symmetric matrices"):
        S.Measurements.from_matrices(np.random.default_rng(0).standard_normal((4, 3, 3)))
    with pytest.raises(ValueError, match="A must be a Measurements object"):
        S.loss_emp(U_TEST, np.ones((300, 6, 6)), y)
    with pytest.raises(ValueError, match="NaN or infinite"):
        S.loss_emp(np.full((6, 2), np.nan), A, y)
    with pytest.raises(ValueError, match=r"U0 must have k = 4 columns"):
        S.train_prune_finetune(A, y, 4, 0.1, 0.01, U0=np.ones((6, 3)))
    with pytest.raises(ValueError, match=r"U0 must have d = 6 rows"):
        S.gradient_descent(S.SensingObjective.empirical(A, y), np.ones((5, 3)), 0.1, 10)
    with pytest.raises(ValueError, match=r"y must have one label per row of X"):
        S.quad_net_loss(np.ones((10, 6)), np.ones(9), U_TEST)


# ------------------------------------------------------------------- figures and the panel
def _train_result(errors):
    steps = np.arange(len(errors)) * 10
    return S.TrainResult(
        np.zeros((3, 1)), steps, np.ones(len(errors)), np.ones(len(errors)), np.array(errors), int(steps[-1]), False
    )


def test_sensing_plots_draw_what_they_are_given():
    U = np.diag([1.0, 0.5, 1e-30])
    ax = plotting.plot_column_profiles({"model": U, "norms": np.array([0.3, 0.2])}, tau=0.1)
    first = ax.get_lines()[0]
    np.testing.assert_allclose(first.get_ydata(), [1.0, 0.5, 1e-20])  # sorted, floored at 1e-20
    assert "2 of 3 columns" in ax.get_legend().get_texts()[0].get_text()
    assert ax.get_yscale() == "log" and ax.get_xlabel() and ax.get_ylabel()
    run = _train_result([1e-1, 1e-3, 1e-5, 1e-7, 1e-9])
    ax = plotting.plot_finetune_curves({"pruned": run, "other": (run, "--")}, predicted=("pruned", 0.01**0.1))
    guide = ax.get_lines()[-1]
    np.testing.assert_allclose(guide.get_ydata(), run.errors, rtol=1e-12)  # the guide of the exact rate
    errors = np.array([[0.2, 0.1], [0.22, 0.12]])
    curve = S.GeneralizationCurve(
        np.array([100, 400]),
        errors,
        errors,
        np.zeros((2, 2)),
        errors,
        2 * errors,
        np.array([[3, 3], [3, 3]]),
        np.array([0.2, 0.1]),
        np.array([0.21, 0.11]),
        np.array([0.4, 0.2]),
    )
    ax = plotting.plot_generalization_curve(curve)
    assert ax.get_xscale() == "log" and ax.get_yscale() == "log"
    assert len(ax.get_legend().get_texts()) == 7
    np.testing.assert_allclose(ax.get_lines()[-1].get_ydata(), [0.4, 0.2])  # the k-column asymptotic
    np.testing.assert_allclose(curve.rms("pruned"), np.sqrt([(0.04 + 0.0484) / 2, (0.01 + 0.0144) / 2]))
    smap = S.SurvivorMap(
        np.array([0.01, 0.1, 1.0]),
        np.array([1e-4, 1e-2]),
        np.array([[3, 2, 0], [5, 3, 1]]),
        np.array([1.0, 0.6]),
        2,
        0.02,
    )
    ax = plotting.plot_survivor_map(smap)
    assert [t.get_text() for t in ax.texts] == ["3", "2", "0", "5", "3", "1"]
    plt.close("all")


def test_sensing_figure_and_panel():
    fig = sensing_figure(lam=0.05, beta=0.01, k=6, n=800)
    left, right = fig.axes
    assert left.get_title().startswith("after training: 3 of 6 columns")
    assert "λ/√β = 0.5" in right.get_title()
    plt.close("all")
    ipywidgets = pytest.importorskip("ipywidgets")

    panel = sensing_panel(lam=0.05, beta=0.01, k=6, n=800)
    sliders = panel.children[0].children
    assert [type(w) for w in sliders] == [ipywidgets.FloatLogSlider, ipywidgets.FloatLogSlider, ipywidgets.IntSlider]
    assert [w.value for w in sliders] == [pytest.approx(0.05), pytest.approx(0.01), 6]
    plt.close("all")


@pytest.mark.parametrize("d, r", [(5, 20), (5, 6), (5, -1), (5, 2.0)])
def test_min_measurements_rejects_a_rank_outside_0_to_d(d, r):
    # r > d used to give a negative count (-90 for d = 5, r = 20)
    with pytest.raises(ValueError, match=r"r \(rank\) must be an integer in 0\.\.5"):
        S.min_measurements(d, r)
