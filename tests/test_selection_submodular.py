"""Tests of pruning_lab.selection.submodular: max-flow minimization against brute force, nesting, min-norm point."""

import numpy as np
import pytest

from pruning_lab.selection import submodular as sm


def _random_instance(rng, n, density=0.5, scale=1.0):
    """Random unary terms of both signs and random submodular 2x2 tables on a random set of pairs."""
    unary = scale * rng.standard_normal(n)
    pairwise = []
    for i in range(n):
        for j in range(i + 1, n):
            if rng.random() < density:
                table = rng.standard_normal((2, 2))
                excess = table[0, 0] + table[1, 1] - table[0, 1] - table[1, 0]
                if excess > 0:  # make it submodular by raising theta(0,1)
                    table[0, 1] += excess + rng.exponential()
                pairwise.append((i, j) if rng.random() < 0.5 else (j, i))
                pairwise[-1] = (*pairwise[-1], table)
    return unary, pairwise


def _F(unary, pairwise):
    """F as a plain function (independent of pairwise_value, and fast enough for brute force)."""

    def F(mask):
        x = mask.astype(int)
        return float(unary @ x) + sum(table[x[i], x[j]] for i, j, table in pairwise)

    return F


def test_max_flow_minimizer_equals_brute_force():
    rng = np.random.default_rng(0)
    for trial in range(40):
        n = int(rng.integers(1, 13))
        unary, pairwise = _random_instance(rng, n, density=rng.uniform(0.1, 0.9), scale=rng.choice([0.1, 1.0, 5.0]))
        mask, value = sm.minimize_pairwise(unary, pairwise)
        _, best = sm.brute_force_minimize(_F(unary, pairwise), n)
        assert value == pytest.approx(best, abs=1e-9), trial
        assert value == pytest.approx(sm.pairwise_value(unary, pairwise, mask), abs=1e-12)


def test_dict_and_list_forms_agree_and_a_cut_function_is_solved():
    # a path 0-1-2 with strong agreement, unaries pulling 0 in and 2 out; the cut must go where it is cheapest
    agree = np.array([[0.0, 3.0], [3.0, 0.0]])
    weak = np.array([[0.0, 0.5], [0.5, 0.0]])
    unary = np.array([-2.0, 0.1, 1.0])
    mask, value = sm.minimize_pairwise(unary, {(0, 1): agree, (1, 2): weak})
    np.testing.assert_array_equal(mask, [True, True, False])
    assert value == pytest.approx(-2.0 + 0.1 + 0.5)
    mask2, value2 = sm.minimize_pairwise(unary, [(0, 1, agree), (1, 2, weak)])
    np.testing.assert_array_equal(mask, mask2)
    assert value == value2


def test_non_submodular_and_malformed_terms_are_refused():
    bad = np.array([[1.0, 0.0], [0.0, 1.0]])
    with pytest.raises(ValueError, match=r"\(1, 2\) is not submodular"):
        sm.minimize_pairwise(np.zeros(3), [(0, 1, np.zeros((2, 2))), (1, 2, bad)])
    with pytest.raises(ValueError, match="pairwise"):
        sm.minimize_pairwise(np.zeros(3), [(0, 0, np.zeros((2, 2)))])
    with pytest.raises(ValueError, match="pairwise"):
        sm.minimize_pairwise(np.zeros(3), [(0, 3, np.zeros((2, 2)))])
    with pytest.raises(ValueError, match="pairwise"):
        sm.minimize_pairwise(np.zeros(3), [(0, 1, np.zeros(3))])
    with pytest.raises(TypeError, match="pairwise"):
        sm.minimize_pairwise(np.zeros(3), None)
    with pytest.raises(ValueError, match="unary"):
        sm.minimize_pairwise(np.zeros((2, 2)), [])
    with pytest.raises(ValueError, match="mask"):
        sm.pairwise_value(np.zeros(3), [], np.ones(3))
    with pytest.raises(ValueError, match="n"):
        sm.brute_force_minimize(lambda m: 0.0, 17)
    with pytest.raises(TypeError, match="F"):
        sm.brute_force_minimize(3.0, 2)


def test_parametric_path_is_nested_and_each_set_is_optimal():
    rng = np.random.default_rng(1)
    lambdas = np.linspace(-4, 4, 17)
    for _ in range(8):
        n = int(rng.integers(3, 11))
        unary, pairwise = _random_instance(rng, n)
        masks, values = sm.parametric_path(unary, pairwise, lambdas)
        assert np.all(masks[:-1] <= masks[1:])  # nested
        assert masks[0].sum() <= masks[-1].sum()
        for lam, mask, value in zip(lambdas, masks, values):
            F = _F(unary - lam, pairwise)
            _, best = sm.brute_force_minimize(F, n)
            assert value == pytest.approx(best, abs=1e-9)
            assert value == pytest.approx(sm.pairwise_value(unary, pairwise, mask) - lam * mask.sum(), abs=1e-12)
    with pytest.raises(ValueError, match="lambdas"):
        sm.parametric_path(np.zeros(2), [], [1.0, 0.0])


def test_greedy_vertex_lies_in_the_base_polytope():
    rng = np.random.default_rng(2)
    unary, pairwise = _random_instance(rng, 6)
    F = _F(unary, pairwise)
    q = sm.greedy_vertex(F, rng.standard_normal(6))
    empty = F(np.zeros(6, dtype=bool))
    assert q.sum() == pytest.approx(F(np.ones(6, dtype=bool)) - empty)
    for bits in range(64):
        mask = np.array([(bits >> i) & 1 for i in range(6)], dtype=bool)
        assert q[mask].sum() <= F(mask) - empty + 1e-9


def _concave_of_cardinality(rng, n):
    weights, modular = rng.uniform(0.5, 2.0), rng.standard_normal(n)
    return lambda m: weights * np.sqrt(m.sum()) + modular @ m


def test_min_norm_point_matches_brute_force():
    rng = np.random.default_rng(3)
    for trial in range(12):
        n = int(rng.integers(2, 9))
        if trial % 2:
            F = _concave_of_cardinality(rng, n)
        else:
            unary, pairwise = _random_instance(rng, n)
            F = _F(unary, pairwise)
        result = sm.min_norm_point(F, n)
        _, best = sm.brute_force_minimize(F, n)
        assert result.value == pytest.approx(best, abs=1e-9), trial
        assert result.value == pytest.approx(F(result.mask), abs=1e-12)
        assert -1e-9 <= result.gap <= 1e-6  # the certificate closes at the minimum-norm point


def test_smooth_block_selection_without_smoothness_is_top_k():
    rng = np.random.default_rng(4)
    for shape in [(20,), (5, 6)]:
        scores = rng.standard_normal(shape)
        for k in (0, 1, 7, scores.size):
            result = sm.smooth_block_selection(scores, k=k, smoothness=0.0)
            assert result.mask.sum() == k and result.mask.shape == shape
            np.testing.assert_array_equal(result.mask, result.top_k)
            top = np.argsort(-scores.ravel())[:k]
            assert set(np.flatnonzero(result.mask.ravel())) == set(top)


def test_smooth_block_selection_with_smoothness_keeps_contiguous_blocks_and_is_optimal():
    rng = np.random.default_rng(5)
    scores = np.concatenate([np.full(6, 1.0), np.full(6, -1.0)]) + 0.8 * rng.standard_normal(12)
    result = sm.smooth_block_selection(scores, k=6, smoothness=2.0)
    # the smooth selection is one run of blocks; the independent top-6 of these noisy scores is fragmented
    assert np.count_nonzero(np.diff(result.mask.astype(int))) <= 1
    assert np.count_nonzero(np.diff(result.top_k.astype(int))) > 1
    pairs = [(i, i + 1, np.array([[0.0, 2.0], [2.0, 0.0]])) for i in range(11)]
    _, best = sm.brute_force_minimize(_F(result.lam - scores, pairs), 12)
    assert result.objective == pytest.approx(best, abs=1e-9)
    by_lam = sm.smooth_block_selection(scores, lam=result.lam, smoothness=2.0)
    np.testing.assert_array_equal(by_lam.mask, result.mask)
    with pytest.raises(ValueError, match="exactly one of k"):
        sm.smooth_block_selection(scores, smoothness=1.0)
    with pytest.raises(ValueError, match="smoothness"):
        sm.smooth_block_selection(scores, k=2, smoothness=-1.0)
    with pytest.raises(ValueError, match="k"):
        sm.smooth_block_selection(scores, k=13)


def test_max_flow_and_min_norm_point_survive_a_wide_dynamic_range():
    """Tables scaled by 1e-4 .. 1e4 in one instance: both methods still agree with brute force (relative 1e-9)."""
    rng = np.random.default_rng(9)
    for _ in range(6):
        n = int(rng.integers(8, 12))
        unary, pairwise = _random_instance(rng, n, scale=rng.choice([1e-3, 1e3]))
        pairwise = [(i, j, table * rng.choice([1e-4, 1.0, 1e4])) for i, j, table in pairwise]
        F = _F(unary, pairwise)
        _, best = sm.brute_force_minimize(F, n)
        assert sm.minimize_pairwise(unary, pairwise)[1] == pytest.approx(best, rel=1e-9, abs=1e-9)
        assert sm.min_norm_point(F, n).value == pytest.approx(best, rel=1e-9, abs=1e-9)
