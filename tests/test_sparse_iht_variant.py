"""Tests for pruning_lab.sparse.thresholding.regularized_iht_variant: structural properties only.

The variant is our reconstruction in the spirit of regularized IHT (Axiotis & Sviridenko, 2022),
not the authors' algorithm, so only its structure is tested.
"""

import numpy as np
import pytest

from pruning_lab import sparse as sp


def _problem(seed=0, n=80, p=40, s=5, rho=0.5):
    rng = np.random.default_rng(seed)
    X = np.sqrt(1 - rho) * rng.standard_normal((n, p)) + np.sqrt(rho) * rng.standard_normal((n, 1))
    beta = np.zeros(p)
    beta[rng.choice(p, s, replace=False)] = rng.uniform(1, 2, s)
    return X, X @ beta + 0.05 * rng.standard_normal(n)


@pytest.mark.parametrize("step", [None, 0.01])
def test_zero_weights_and_zero_step_is_iht_bit_for_bit(step):
    X, y = _problem()
    for groups, s in [(None, 6), ([np.arange(i, i + 4) for i in range(0, 40, 4)], 2)]:
        a = sp.iht(X, y, s, groups, step=step, max_iter=300)
        b = sp.regularized_iht_variant(X, y, s, groups, c=0.0, w_init=0.0, step=step, max_iter=300)
        np.testing.assert_array_equal(b.weights, a.weights)
        np.testing.assert_array_equal(b.objective, a.objective)
        np.testing.assert_array_equal(b.support, a.support)
        assert b.n_iter == a.n_iter
        assert np.all(b.reg_weights == 0)


def test_weights_stay_in_unit_interval_and_never_increase():
    X, y = _problem(seed=1)
    res = sp.regularized_iht_variant(X, y, 6, c=0.1, max_iter=400, keep_history=True)
    W = res.reg_weight_history
    assert W.shape == (res.n_iter + 1, X.shape[1])
    assert np.all((W >= 0) & (W <= 1))
    assert np.all(np.diff(W, axis=0) <= 0)
    assert np.all((W == 0) | (W >= 0.5))  # rounding at round_th = 0.5
    assert np.any(W[-1] == 0) and np.any(W[-1] == 1)  # some coordinates unregularized, others untouched
    assert np.count_nonzero(res.weights) == 6


def test_unit_weights_and_zero_step_is_iht_on_ridge_objective():
    # l(x) + (rho/2)|x|^2 is least squares on the augmented design [X; sqrt(n rho) I], rescaled
    X, y = _problem(seed=2)
    n, p = X.shape
    rho, eta = 0.7, 0.05
    res = sp.regularized_iht_variant(X, y, 5, c=0.0, w_init=1.0, reg=rho, step=eta, max_iter=500)
    scale = np.sqrt((n + p) / n)
    Xa = scale * np.vstack([X, np.sqrt(n * rho) * np.eye(p)])
    ya = scale * np.concatenate([y, np.zeros(p)])
    ref = sp.iht(Xa, ya, 5, step=eta, max_iter=500)
    np.testing.assert_allclose(res.weights, ref.weights, rtol=1e-10, atol=1e-12)
    assert res.n_iter == ref.n_iter
    # the ridge pulls the solution towards zero compared with plain IHT
    plain = sp.iht(X, y, 5, step=eta, max_iter=500)
    assert np.linalg.norm(res.weights) < np.linalg.norm(plain.weights)


def test_variant_bad_inputs():
    X, y = _problem()
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        sp.regularized_iht_variant(X, y, 3, c=1.5)
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        sp.regularized_iht_variant(X, y, 3, round_th=2.0)
    with pytest.raises(ValueError, match="w_init"):
        sp.regularized_iht_variant(X, y, 3, w_init=np.ones(3))
    with pytest.raises(ValueError, match="w_init"):
        sp.regularized_iht_variant(X, y, 3, w_init=1.5)
    with pytest.raises(ValueError, match="reg"):
        sp.regularized_iht_variant(X, y, 3, reg=-1.0)
    with pytest.raises(ValueError, match="step"):
        sp.regularized_iht_variant(X, y, 3, step=0.0)
    with pytest.raises(ValueError, match=r"s \(number"):
        sp.regularized_iht_variant(X, y, 41)
