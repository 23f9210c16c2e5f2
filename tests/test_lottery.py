r"""Tests of the lottery-ticket modules: pruning_lab.lottery, lottery_train, lottery_sweeps (+ their figures).

Spec: ``lottery-ticket-sample-complexity.md`` §1 (model, eq. 5), §2.2 (Algorithm 1),
§2.4 (gradient, Gauss–Newton Hessian), §3.3 (experiments) and §6 (sanity checks).

Kinds of checks and their tolerances
------------------------------------
* Identities of :math:`\tilde r` (equal widths with overlap: exactly r; disjoint:
  :math:`(K+1)^2r/(4K^2)`), its bounds on random masks and its monotonicity: 1e-12.
  The paper's lower bound :math:`r_{\rm ave}/8` fails for very skewed widths;
  a test records the counterexample.
* Gradient and Hessian against central finite differences (float64, step 1e-6):
  relative error < 1e-6.  Closed forms (arc-cosine kernel, population Hessian for
  K = 1 and orthogonal neurons): 1e-12.  Population quantities against Monte Carlo:
  a few standard errors.
* Algorithm 1: exact invariants (mask, fixed point), agreement with a hand-written
  loop to 1e-12, recovery below the paper's success threshold 1e-4, linear
  convergence with R^2 > 0.99, the rate ordering over 3 seeded trials.
* The phase-diagram cache: files per cell, reuse, resumption after an interruption.

BLAS runs single-threaded: the matrices are small and the machine has 2 cores.
"""

import os

import matplotlib.pyplot as plt
import numpy as np
import pytest

from pruning_lab.lottery import (
    LotteryTeacher,
    check_mask,
    empirical_risk,
    local_curvature,
    make_teacher,
    masked_hessian,
    output_rms,
    population_hessian,
    population_rmse,
    r_tilde,
    relu_kernel,
    risk_grad,
    teacher_output,
    top_curvature,
)
from pruning_lab.lottery import experiments as S
from pruning_lab.lottery.train import (
    agd_pruned,
    agd_pruned_batch,
    empirical_rate,
    heavy_ball_rate,
    heavy_ball_tuning,
    init_at_distance,
    magnitude_mask,
    mask_accuracy,
    neuronwise_imp,
    relative_error,
)


def _block_mask(widths, d=None):
    """Pairwise disjoint supports of the given widths, stacked down the rows."""
    d = d or int(sum(widths))
    M = np.zeros((d, len(widths)), dtype=bool)
    start = 0
    for j, w in enumerate(widths):
        M[start : start + w, j] = True
        start += w
    return M


# ------------------------------------------------------------------ r tilde (eq. 5)
@pytest.mark.parametrize("K, r", [(1, 7), (3, 10), (5, 20), (10, 1)])
def test_r_tilde_equal_widths_full_overlap_is_r(K, r):
    M = np.zeros((50, K), dtype=bool)
    M[:r] = True
    assert r_tilde(M) == pytest.approx(r, rel=1e-12)
    # any overlap pattern in which every pair intersects gives the same value
    M2 = np.zeros((60, K), dtype=bool)
    rng = np.random.default_rng(K)
    for j in range(K):
        M2[0, j] = True
        M2[1 + rng.choice(59, r - 1, replace=False), j] = True
    assert r_tilde(M2) == pytest.approx(r, rel=1e-12)


@pytest.mark.parametrize("K, r", [(2, 5), (5, 20), (8, 3)])
def test_r_tilde_disjoint_equal_widths(K, r):
    assert r_tilde(_block_mask([r] * K)) == pytest.approx((K + 1) ** 2 * r / (4 * K**2), rel=1e-12)


def test_r_tilde_bounds_on_random_masks():
    rng = np.random.default_rng(0)
    for _ in range(300):
        K, d = int(rng.integers(1, 12)), int(rng.integers(5, 80))
        M = rng.random((d, K)) < rng.uniform(0.02, 1.0, size=K)
        M[rng.integers(0, d, size=K), np.arange(K)] = True
        r_ave = M.sum(axis=0).mean()
        rt = r_tilde(M)
        assert r_ave / 8 - 1e-12 <= rt <= r_ave + 1e-12


def test_r_tilde_lower_bound_fails_for_very_skewed_widths():
    """Remark 1.1's r_ave/8 <= r~ needs widths that are not extremely unequal (documented in r_tilde)."""
    widths = [10000] + [1] * 15
    M = _block_mask(widths)
    assert r_tilde(M) < np.mean(widths) / 8
    assert r_tilde(M) <= np.mean(widths)


def test_r_tilde_increases_with_a_width_at_fixed_overlap():
    teacher = make_teacher(60, 4, 8, groups=2, spread=0.5, rng=3)
    M = teacher.mask.copy()
    before = r_tilde(M)
    unused = np.flatnonzero(~M.any(axis=1))
    for j in range(4):
        bigger = M.copy()
        bigger[unused[0], j] = True  # a fresh input: the overlap pattern is unchanged
        assert r_tilde(bigger) > before


# ------------------------------------------------------------------ the teacher
def test_make_teacher_structure_and_reproducibility():
    t1 = make_teacher(100, 5, 20, spread=0.1, rng=7)
    t2 = make_teacher(100, 5, 20, spread=0.1, rng=7)
    np.testing.assert_array_equal(t1.weights, t2.weights)
    assert np.all((t1.widths >= 18) & (t1.widths <= 22))
    assert np.all(t1.weights[~t1.mask] == 0) and np.all(np.abs(t1.weights) <= 0.5)
    Mf = t1.mask.astype(int)
    assert np.all(Mf.T @ Mf > 0)  # groups=1: every pair of supports overlaps
    equal = make_teacher(100, 5, 20, rng=1)
    assert equal.r_tilde == pytest.approx(20, rel=1e-12)
    assert np.all(equal.mask == equal.mask[:, :1])
    disjoint = make_teacher(100, 5, 20, groups=5, rng=1)
    Mf = disjoint.mask.astype(int)
    np.testing.assert_array_equal(Mf.T @ Mf, np.diag(disjoint.widths))
    assert disjoint.r_tilde == pytest.approx(36 * 20 / 100, rel=1e-12)


def test_teacher_output_is_permutation_invariant_and_error_aligns():
    teacher = make_teacher(30, 4, 10, groups=2, rng=0)
    X, _ = teacher.sample(50, 1)
    P = np.eye(4)[[2, 0, 3, 1]]
    np.testing.assert_allclose(teacher_output(X, teacher.weights @ P), teacher_output(X, teacher.weights), rtol=1e-13)
    assert relative_error(teacher.weights @ P, teacher.weights) == 0.0
    assert relative_error(teacher.weights @ P, teacher.weights, align=False) > 0.5


def test_noise_level_is_relative_to_output_rms():
    teacher = make_teacher(40, 3, 10, rng=2)
    X, y = teacher.sample(200_000, 3, noise_level=0.1)
    resid = y - teacher.output(X)
    assert resid.std() == pytest.approx(0.1 * output_rms(teacher.weights), rel=0.01)
    assert np.sqrt(np.mean(teacher.output(X) ** 2)) == pytest.approx(output_rms(teacher.weights), rel=0.01)


# ------------------------------------------------------------------ kernel and population quantities
def test_relu_kernel_closed_forms_and_monte_carlo():
    u = np.array([[3.0], [0.0], [0.0]])
    v = np.array([[0.0], [2.0], [0.0]])
    assert relu_kernel(u, u)[0, 0] == pytest.approx(9 / 2, rel=1e-12)
    assert relu_kernel(u, v)[0, 0] == pytest.approx(6 / (2 * np.pi), rel=1e-12)
    assert relu_kernel(u, -u)[0, 0] == pytest.approx(0.0, abs=1e-12)
    rng = np.random.default_rng(0)
    U, V = rng.standard_normal((5, 2)), rng.standard_normal((5, 3))
    X = rng.standard_normal((400_000, 5))
    mc = np.maximum(X @ U, 0).T @ np.maximum(X @ V, 0) / X.shape[0]
    np.testing.assert_allclose(relu_kernel(U, V), mc, rtol=0.02, atol=0.01)


def test_population_rmse_matches_fresh_samples():
    teacher = make_teacher(40, 4, 12, rng=5)
    W = init_at_distance(teacher.weights, teacher.mask, 0.3, 6)
    assert population_rmse(teacher.weights, teacher.weights) == pytest.approx(0.0, abs=1e-7)
    X, _ = teacher.sample(200_000, 7)
    mc = np.sqrt(np.mean((teacher_output(X, W) - teacher.output(X)) ** 2))
    assert population_rmse(W, teacher.weights) == pytest.approx(mc, rel=0.02)


def test_population_hessian_closed_forms():
    d = 6
    W = np.zeros((d, 1))
    W[:3, 0] = [1.0, -2.0, 0.5]
    M = np.ones((d, 1), dtype=bool)
    np.testing.assert_allclose(population_hessian(W, M), np.eye(d) / 2, atol=1e-12)  # a half-space
    W2 = np.zeros((d, 2))
    W2[0, 0], W2[1, 1] = 1.0, 3.0  # orthogonal neurons: a quadrant
    H = population_hessian(W2, np.ones((d, 2), dtype=bool))
    block = H[:d, d:] * 4  # undo 1/K^2
    expected = np.eye(d) / 4
    expected[0, 1] = expected[1, 0] = 1 / (2 * np.pi)
    np.testing.assert_allclose(block, expected, atol=1e-12)
    W3 = np.zeros((d, 2))
    W3[0, 0], W3[0, 1] = 1.0, -1.0  # antiparallel: never active together
    np.testing.assert_allclose(population_hessian(W3, np.ones((d, 2), dtype=bool))[:d, d:], 0.0, atol=1e-12)


def test_population_hessian_matches_monte_carlo():
    teacher = make_teacher(20, 3, 6, spread=0.3, rng=0)
    Hp = population_hessian(teacher.weights, teacher.mask)
    X, _ = teacher.sample(400_000, 1)
    Hn = masked_hessian(teacher.weights, X, teacher.mask)
    se = 1.0 / (9 * np.sqrt(X.shape[0]))  # entry s.d. <= E[x_i^2 x_j^2]^(1/2) / K^2 / sqrt(N)
    assert np.max(np.abs(Hn - Hp)) < 6 * np.sqrt(3) * se
    np.testing.assert_allclose(np.linalg.eigvalsh(Hn)[[0, -1]], np.linalg.eigvalsh(Hp)[[0, -1]], rtol=0.05)


# ------------------------------------------------------------------ risk, gradient, Hessian
def _fd_setup(seed=0):
    teacher = make_teacher(15, 3, 6, groups=1, spread=0.3, rng=seed)
    X, y = teacher.sample(40, seed + 1, noise_level=0.2)
    W = init_at_distance(teacher.weights, np.ones((15, 3), dtype=bool), 0.5, seed + 2)
    return teacher, X, y, W


def test_gradient_matches_finite_differences():
    teacher, X, y, W = _fd_setup()
    G = risk_grad(W, X, y)
    eps = 1e-6
    fd = np.zeros_like(W)
    for i, j in np.ndindex(*W.shape):
        E = np.zeros_like(W)
        E[i, j] = eps
        fd[i, j] = (empirical_risk(W + E, X, y) - empirical_risk(W - E, X, y)) / (2 * eps)
    assert np.max(np.abs(fd - G)) / np.max(np.abs(G)) < 1e-6
    Gm = risk_grad(W, X, y, mask=teacher.mask)
    assert np.all(Gm[~teacher.mask] == 0)
    np.testing.assert_array_equal(Gm[teacher.mask], G[teacher.mask])


def test_masked_hessian_matches_finite_differences_of_the_gradient():
    teacher, X, y, _ = _fd_setup(3)
    W = init_at_distance(teacher.weights, teacher.mask, 0.3, 9)
    H = masked_hessian(W, X, teacher.mask)
    coords = [(i, j) for j in range(W.shape[1]) for i in np.flatnonzero(teacher.mask[:, j])]  # W.T[mask.T] order
    eps = 1e-6
    fd = np.zeros_like(H)
    for c, (i, j) in enumerate(coords):
        E = np.zeros_like(W)
        E[i, j] = eps
        diff = (risk_grad(W + E, X, y) - risk_grad(W - E, X, y)) / (2 * eps)
        fd[:, c] = [diff[a, b] for a, b in coords]
    assert np.max(np.abs(fd - H)) / np.max(np.abs(H)) < 1e-6
    assert np.linalg.eigvalsh(H)[0] > -1e-12
    assert top_curvature(W, X, teacher.mask) == pytest.approx(np.linalg.eigvalsh(H)[-1], rel=1e-10)


def test_local_convexity_near_the_truth_with_many_samples():
    teacher = make_teacher(40, 3, 10, rng=4)
    X, _ = teacher.sample(20_000, 5)
    mu, L = local_curvature(teacher.weights, X, teacher.mask)
    assert 0 < mu < L
    for seed in range(3):
        W = init_at_distance(teacher.weights, teacher.mask, 0.05, seed)
        assert local_curvature(W, X, teacher.mask)[0] > 0.5 * mu
    X_few, _ = teacher.sample(20, 6)  # fewer samples than free weights: singular
    assert local_curvature(teacher.weights, X_few, teacher.mask)[0] < 1e-12


# ------------------------------------------------------------------ Algorithm 1
def _problem(d=60, K=4, r=12, n=300, rel=0.1, seed=0, noise=0.0):
    teacher = make_teacher(d, K, r, rng=seed)
    X, y = teacher.sample(n, seed + 1, noise_level=noise)
    return teacher, X, y, init_at_distance(teacher.weights, teacher.mask, rel, seed + 2)


@pytest.mark.parametrize("beta", [0.0, 0.2, 0.9])
def test_truth_is_a_fixed_point(beta):
    teacher, X, y, _ = _problem()
    assert np.all(risk_grad(teacher.weights, X, y) == 0)
    res = agd_pruned(X, y, teacher.mask, teacher.weights, beta=beta, max_iter=20)
    np.testing.assert_allclose(res.weights, teacher.weights, rtol=0, atol=1e-15)  # round-off of the row restriction
    assert res.converged and res.iterations == 1


@pytest.mark.parametrize("batches", [None, 10])
def test_iterates_never_leave_the_mask(batches):
    teacher, X, y, W0 = _problem(rel=0.8, noise=0.3)
    res = agd_pruned(X, y, teacher.mask, W0, beta=0.5, max_iter=150, tol=0.0, batches=batches)
    assert np.all(res.weights[~teacher.mask] == 0)
    assert res.iterations == (150 if batches is None else 10)


def test_plain_and_heavy_ball_equal_a_hand_written_loop():
    teacher, X, y, W0 = _problem(rel=0.3)
    M = teacher.mask
    for beta in (0.0, 0.3):
        eta = 1.0 / top_curvature(W0, X, M)
        W, W_prev = W0.copy(), W0.copy()
        for _ in range(60):
            W, W_prev = W - eta * M * risk_grad(W, X, y) + beta * (W - W_prev), W
        res = agd_pruned(X, y, M, W0, beta=beta, max_iter=60, tol=0.0)
        assert res.eta == pytest.approx(eta, rel=1e-14)
        np.testing.assert_allclose(res.weights, W, rtol=1e-12, atol=1e-14)


def test_a_diverging_run_stops_without_warnings():
    teacher, X, y, W0 = _problem(rel=0.3)
    res = agd_pruned(X, y, teacher.mask, W0, eta=1e6, beta=0.0, max_iter=3000)  # RuntimeWarnings are errors here
    assert not res.converged and res.iterations < 3000
    assert not np.all(np.abs(res.weights) < 1e100)  # overflowed (inf) or about to


def test_batch_runs_each_problem_as_alone():
    problems = [_problem(r=r, seed=s) for r, s in ((8, 0), (15, 1), (12, 2))]
    stacked = [np.stack([p[i] for p in problems]) for i in (1, 2, 3)]
    masks = np.stack([p[0].mask for p in problems])
    refs = np.stack([p[0].weights for p in problems])
    batch = agd_pruned_batch(*stacked[:2], masks, stacked[2], max_iter=400, W_ref=refs)
    for (teacher, X, y, W0), res in zip(problems, batch):
        alone = agd_pruned(X, y, teacher.mask, W0, max_iter=400, W_ref=teacher.weights)
        assert alone.iterations == res.iterations and alone.converged == res.converged
        np.testing.assert_allclose(res.weights, alone.weights, rtol=1e-10, atol=1e-13)
        np.testing.assert_allclose(res.errors, alone.errors, rtol=1e-8)


def test_noiseless_recovery_from_a_close_start():
    teacher, X, y, W0 = _problem(d=100, K=5, r=20, n=400, rel=0.1, seed=3)
    res = agd_pruned(X, y, teacher.mask, W0, max_iter=3000, W_ref=teacher.weights)
    assert res.converged
    assert relative_error(res.weights, teacher.weights) < 1e-4
    assert res.errors[-1] == pytest.approx(relative_error(res.weights, teacher.weights), rel=1e-9)


def test_dense_network_converges_with_enough_samples():
    teacher = make_teacher(20, 3, 20, rng=0)  # r = d: no pruning
    assert teacher.mask.all() and teacher.r_tilde == pytest.approx(20)
    X, y = teacher.sample(600, 1)
    W0 = init_at_distance(teacher.weights, teacher.mask, 0.1, 2)
    res = agd_pruned(X, y, teacher.mask, W0, max_iter=3000)
    assert relative_error(res.weights, teacher.weights) < 1e-4


def test_too_few_samples_fail():
    teacher, X, y, W0 = _problem(d=100, K=5, r=20, n=60, rel=0.1, seed=3)  # N < K r = 100 free weights
    res = agd_pruned(X, y, teacher.mask, W0, max_iter=3000)
    assert relative_error(res.weights, teacher.weights) > 1e-2
    assert empirical_risk(res.weights, X, y) < 1e-10  # it interpolates the data, at the wrong weights


def test_sample_split_mode_contracts():
    teacher = make_teacher(20, 3, 6, rng=1)
    X, y = teacher.sample(6000, 2)
    W0 = init_at_distance(teacher.weights, teacher.mask, 0.2, 3)
    res = agd_pruned(X, y, teacher.mask, W0, batches=100, W_ref=teacher.weights)
    assert res.iterations == 100 and not res.converged
    assert res.errors[-1] < res.errors[0] / 10
    assert empirical_rate(res.errors).r_squared > 0.99


def test_linear_convergence_in_the_e2_setting():
    teacher, X, y, W0 = _problem(d=150, K=5, r=25, n=1000, rel=0.2, seed=0)
    res = agd_pruned(X, y, teacher.mask, W0, beta=0.2, max_iter=3000, W_ref=teacher.weights)
    fit = empirical_rate(res.errors)
    assert fit.r_squared > 0.99 and 0.9 < fit.nu < 1.0
    mu, L = local_curvature(teacher.weights, X, teacher.mask)
    assert fit.nu == pytest.approx(heavy_ball_rate(mu, L, res.eta, 0.2), abs=0.005)


def test_rate_improves_as_r_tilde_shrinks_and_momentum_helps():
    sweep = S.rate_sweep([25, 100], trials=3, max_iter=3000)
    for label, nu in sweep.nu.items():
        assert nu[0].mean() < nu[1].mean(), label
    for i in range(2):
        assert sweep.nu["tuned"][i].mean() < sweep.nu["beta=0.2"][i].mean() < sweep.nu["beta=0"][i].mean()
        for label in ("beta=0", "beta=0.2"):
            # the fit window can catch the slowest mode before it dominates: compare trial means
            assert sweep.nu[label][i].mean() == pytest.approx(sweep.predicted[label][i].mean(), abs=0.004)


def test_heavy_ball_rate_closed_forms():
    mu, L = 0.01, 1.0
    assert heavy_ball_rate(mu, L, 1 / L, 0.0) == pytest.approx(1 - mu / L, rel=1e-12)
    eta, beta = heavy_ball_tuning(mu, L)
    assert heavy_ball_rate(mu, L, eta, beta) == pytest.approx((1 - 0.1) / (1 + 0.1), rel=1e-6)
    assert heavy_ball_rate(mu, L, 1 / L, 0.2) < heavy_ball_rate(mu, L, 1 / L, 0.0)


def test_empirical_rate_on_a_geometric_sequence():
    t = np.arange(200)
    fit = empirical_rate(3.0 * 0.95**t)
    assert fit.nu == pytest.approx(0.95, rel=1e-12) and fit.r_squared == pytest.approx(1.0)
    floored = np.maximum(0.5**t, 1e-300)  # the floor cuts off round-off values
    assert empirical_rate(floored).nu == pytest.approx(0.5, rel=1e-12)


def test_init_at_distance_is_exact_and_inside_the_mask():
    teacher = make_teacher(50, 4, 10, rng=0)
    for lam in (0.0, 0.1, 1.3):
        W = init_at_distance(teacher.weights, teacher.mask, lam, 1)
        assert relative_error(W, teacher.weights, align=False) == pytest.approx(lam, abs=1e-14)
        assert np.all(W[~teacher.mask] == 0)
    dense = init_at_distance(teacher.weights, np.ones((50, 4)), 0.5, 1)
    assert np.count_nonzero(dense) == 200


# ------------------------------------------------------------------ masks
def test_magnitude_mask_and_mask_accuracy():
    W = np.array([[3.0, 0.1], [-4.0, 0.2], [1.0, -0.3], [0.0, 0.3]])
    M = magnitude_mask(W, 2)
    np.testing.assert_array_equal(M, [[1, 0], [1, 0], [0, 1], [0, 1]])  # tie |-0.3| = |0.3|: lower index kept
    np.testing.assert_array_equal(magnitude_mask(W, [1, 3]).sum(axis=0), [1, 3])
    inner = magnitude_mask(W, 1, within=[[0, 1], [0, 1], [1, 1], [1, 1]])
    np.testing.assert_array_equal(inner, [[0, 0], [0, 0], [1, 1], [0, 0]])
    assert mask_accuracy(M, M) == 1.0
    assert mask_accuracy(M, ~M) == 0.0
    assert mask_accuracy(np.ones((4, 2)), M) == 1.0


def test_iterative_magnitude_pruning_nests_masks():
    teacher, X, y, _ = _problem(d=30, K=3, r=6, n=200)
    W_init = init_at_distance(teacher.weights, np.ones((30, 3)), 0.3, 0)
    imp = neuronwise_imp(X, y, W_init, rounds=4, rate=0.2, steps=20)
    widths = [m.sum(axis=0)[0] for m in imp.masks]
    assert widths == [30, 24, 20, 16, 13]
    for prev, nxt in zip(imp.masks, imp.masks[1:]):
        assert np.all(nxt <= prev)
    for M, W in zip(imp.masks, imp.weights):
        assert np.all(W[~M] == 0)


# ------------------------------------------------------------------ sweeps and the cache
_SMALL = dict(d=30, K=3, trials=3, max_iter=1500)


def test_phase_diagram_shows_the_transition():
    pd = S.phase_diagram([4, 12], [15, 120], **_SMALL)
    np.testing.assert_array_equal(pd.success, [[0, 1], [0, 1]])
    assert pd.errors.shape == (2, 2, 3)
    np.testing.assert_allclose(pd.mean_r_tilde, [4, 12], rtol=0.15)


def test_phase_diagram_transition_and_slope():
    errors = np.ones((3, 4, 2))
    errors[0, 1:] = 0.0  # success from N=20 on
    errors[1, 2:] = 0.0
    errors[1, 1, 0] = 0.0  # half at N=40... 50% crossing exactly at n[1]
    errors[2, 3:] = 0.0
    pd = S.PhaseDiagram(
        np.array([1, 2, 3]),
        np.array([10, 40, 60, 100]),
        errors,
        np.broadcast_to(np.array([1.0, 2.0, 3.0])[:, None, None], errors.shape),
        1e-4,
        2,
    )
    np.testing.assert_allclose(pd.transition(), [25.0, 40.0, 80.0])
    np.testing.assert_allclose(pd.boundary_slope(), (25 + 80 + 240) / 14)


def test_phase_diagram_cache_reuses_and_resumes(tmp_path, monkeypatch):
    cache = tmp_path / "cache"
    first = S.phase_diagram([4, 8], [30, 90], cache_dir=str(cache), **_SMALL)
    files = sorted(os.listdir(cache))
    assert len(files) == 4 and all(f.endswith(".npz") and not f.startswith(".") for f in files)

    calls = []
    real = S.agd_pruned_batch

    def counting(*args, **kwargs):
        calls.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(S, "agd_pruned_batch", counting)
    again = S.phase_diagram([4, 8], [30, 90], cache_dir=str(cache), **_SMALL)
    assert not calls
    np.testing.assert_array_equal(again.errors, first.errors)

    # a larger grid reuses the finished cells and computes only the new ones
    bigger = S.phase_diagram([4, 8], [30, 60, 90], cache_dir=str(cache), **_SMALL)
    assert len(calls) == 2
    np.testing.assert_array_equal(bigger.errors[:, [0, 2]], first.errors)

    # an interrupted sweep keeps its finished cells
    def failing(*args, **kwargs):
        if len(calls) >= 3:
            raise KeyboardInterrupt
        return counting(*args, **kwargs)

    monkeypatch.setattr(S, "agd_pruned_batch", failing)
    with pytest.raises(KeyboardInterrupt):
        S.phase_diagram([4, 8], [30, 45, 60, 90], cache_dir=str(cache), **_SMALL)
    assert len(os.listdir(cache)) == 7 and not [f for f in os.listdir(cache) if f.startswith(".")]
    monkeypatch.setattr(S, "agd_pruned_batch", counting)
    S.phase_diagram([4, 8], [30, 45, 60, 90], cache_dir=str(cache), **_SMALL)
    assert len(calls) == 4 and len(os.listdir(cache)) == 8
    # another setting is another key
    S.phase_diagram([4], [30], cache_dir=str(cache), **dict(_SMALL, max_iter=100))
    assert len(os.listdir(cache)) == 9


def test_noise_sweep_error_scales_with_noise_and_width():
    ns = S.noise_sweep([5, 15], [300], noise_levels=(1e-4, 1e-3), d=40, K=3, trials=2, max_iter=2000)
    err = ns.errors.mean(axis=3)
    # same data, noise only rescaled: the error is linear in the noise until it moves samples across a ReLU kink
    np.testing.assert_allclose(err[1] / err[0], 10.0, rtol=0.01)
    assert np.all(err[:, 0, 0] < err[:, 0, 1])
    assert ns.slope() > 0


def test_curvature_sweep_samples_eat_curvature():
    cs = S.curvature_sweep([10, 40], [250, 2000], d=60, K=3, trials=2)
    frac = (cs.mu / cs.mu_pop).mean(axis=2)
    assert frac[0, 1] < frac[0, 0] and frac[0, 1] < frac[1, 1]  # larger r~ or fewer samples: less curvature
    assert np.all(frac[1] > 0.5)


def test_mask_sweep_shapes_and_dense_accuracy():
    ms = S.inaccurate_mask_sweep([150], d=30, K=3, r_star=6, rounds=3, trials=2, max_iter=200)
    np.testing.assert_array_equal(ms.widths, [30, 24, 20, 16])
    for m in ("IMP", "one-shot"):
        assert ms.rmse[m].shape == (1, 4, 2)
        np.testing.assert_array_equal(ms.accuracy[m][:, 0], 1.0)
        assert np.all(ms.rmse[m] > 0)


# ------------------------------------------------------------------ figures and the panel
def test_plots_label_their_axes():
    from pruning_lab import plotting as P

    pd = S.phase_diagram([4, 12], [15, 60, 120], **_SMALL)
    rs = S.rate_sweep([10, 20], d=40, K=3, n=400, trials=2, max_iter=1500)
    cs = S.curvature_sweep([5, 10], [200], d=30, K=3, trials=1)
    ns = S.noise_sweep([5, 10], [300], d=30, K=3, trials=1, max_iter=300)
    ms = S.inaccurate_mask_sweep([150], d=30, K=3, r_star=6, rounds=2, trials=2, max_iter=100)
    axes = [
        P.plot_lottery_phase(pd),
        P.plot_lottery_convergence(rs),
        P.plot_lottery_rates(rs),
        *P.plot_lottery_curvature(cs),
        P.plot_lottery_noise(ns),
        *P.plot_lottery_masks(ms),
    ]
    for ax in axes:
        assert ax.get_xlabel() and ax.get_ylabel()
    plt.close("all")


def test_lottery_figure_and_panel():
    from pruning_lab.widgets import lottery_figure, lottery_panel

    summary = lottery_figure(10, 300, d=40, K=3, trials=2, max_iter=1500)
    assert set(summary) == {"GD", "AGD"} and summary["AGD"][0] == 1.0
    assert summary["AGD"][1] < summary["GD"][1] < 1
    plt.close("all")
    with pytest.raises(ValueError, match="r must lie"):
        lottery_figure(0, 100)
    pytest.importorskip("ipywidgets")
    panel = lottery_panel(10, 200, d=40, K=3, trials=1, max_iter=50)
    assert len(panel.children[0].children) == 2
    plt.close("all")


# ------------------------------------------------------------------ bad inputs
def _call(name):
    teacher, X, y, W0 = _problem(d=20, K=2, r=5, n=30)
    M = teacher.mask
    calls = {
        "r>d": lambda: make_teacher(10, 2, 11),
        "groups>K": lambda: make_teacher(10, 2, 3, groups=3),
        "groups need d": lambda: make_teacher(10, 4, 4, groups=4),
        "spread": lambda: make_teacher(10, 2, 3, spread=1.0),
        "widths": lambda: make_teacher(10, 3, [2, 3]),
        "mask values": lambda: check_mask([[0, 2], [1, 1]]),
        "empty neuron": lambda: check_mask([[1, 0], [1, 0]]),
        "mask shape": lambda: agd_pruned(X, y, M[:-1], W0),
        "outside mask": lambda: LotteryTeacher(np.ones((3, 2)), np.eye(3, 2)),
        "y length": lambda: risk_grad(W0, X, y[:-1]),
        "nan": lambda: empirical_risk(W0, np.full_like(X, np.nan), y),
        "W0 outside": lambda: agd_pruned(X, y, M, np.ones_like(W0)),
        "beta": lambda: agd_pruned(X, y, M, W0, beta=1.0),
        "eta": lambda: agd_pruned(X, y, M, W0, eta=-0.1),
        "eta name": lambda: agd_pruned(X, y, M, W0, eta="fast"),
        "batches": lambda: agd_pruned(X, y, M, W0, batches=31),
        "max_iter": lambda: agd_pruned(X, y, M, W0, max_iter=0),
        "rel_dist": lambda: init_at_distance(teacher.weights, M, -0.1),
        "error shape": lambda: relative_error(W0[:, :1], teacher.weights),
        "zero truth": lambda: relative_error(W0, np.zeros_like(W0)),
        "rate points": lambda: empirical_rate([1.0, 0.5]),
        "rate window": lambda: empirical_rate(np.ones(10), window=(0.8, 0.2)),
        "tuning": lambda: heavy_ball_tuning(2.0, 1.0),
        "magnitude r": lambda: magnitude_mask(W0, 21),
        "noise": lambda: teacher.sample(10, 0, noise_level=-1.0),
        "phase r": lambda: S.phase_diagram([30], [10], d=20),
        "phase n": lambda: S.phase_diagram([3], []),
        "noise levels": lambda: S.noise_sweep([3], [10], noise_levels=(-1e-3,)),
    }
    return calls[name]


@pytest.mark.parametrize(
    "name, match",
    [
        ("r>d", r"r \(neuron width\) must be an integer in 1\.\.10"),
        ("groups>K", r"groups must be an integer in 1\.\.2"),
        ("groups need d", r"need d >= 16"),
        ("spread", r"spread must lie in \[0, 1\)"),
        ("widths", r"sequence of K = 3 integer widths"),
        ("mask values", r"only 0/1"),
        ("empty neuron", r"no unpruned input"),
        ("mask shape", r"mask must have shape \(20, 2\)"),
        ("outside mask", r"zero outside the mask"),
        ("y length", r"one label per row of X"),
        ("nan", r"NaN or infinite"),
        ("W0 outside", r"W0 has nonzero entries outside the mask"),
        ("beta", r"beta \(momentum\) must lie in \[0, 1\)"),
        ("eta", r"eta \(step size\) must be finite and >= 0"),
        ("eta name", r"'auto' \(1/L_hat\) or 'theory'"),
        ("batches", r"batches .* must be an integer in 1\.\.30"),
        ("max_iter", r"max_iter must be an integer >= 1"),
        ("rel_dist", r"rel_dist must be finite and >= 0"),
        ("error shape", r"W must have shape"),
        ("zero truth", r"W_star must not be identically zero"),
        ("rate points", r"at least 3 usable errors"),
        ("rate window", r"window must be"),
        ("tuning", r"0 < mu <= L"),
        ("magnitude r", r"r exceeds the number of weights"),
        ("noise", r"noise_level must be finite and >= 0"),
        ("phase r", r"must be <= d = 20"),
        ("phase n", r"n_values must be a non-empty"),
        ("noise levels", r"noise_levels must be positive"),
    ],
)
def test_bad_inputs_raise_value_error(name, match):
    with pytest.raises(ValueError, match=match):
        _call(name)()


def test_agd_pruned_from_an_all_zero_start_with_auto_step_size_raises_a_value_error():
    teacher, X, y, _ = _problem(d=12, K=2, r=4, n=40)
    W0 = np.zeros_like(teacher.weights)
    with pytest.raises(ValueError, match=r"W0 gives the loss zero curvature .*eta='auto'"):
        agd_pruned(X, y, teacher.mask, W0)
    res = agd_pruned(X, y, teacher.mask, W0, eta=0.5, max_iter=3)  # a given step size is still fine
    assert res.iterations >= 1


@pytest.mark.parametrize("r", [[1, 2], [[1, 2]], np.ones((3, 3), dtype=int)])
def test_magnitude_mask_rejects_a_list_of_widths_of_the_wrong_length(r):
    W = np.random.default_rng(0).standard_normal((4, 3))
    with pytest.raises(ValueError, match="r must be one positive integer width or K = 3 of them"):
        magnitude_mask(W, r)
