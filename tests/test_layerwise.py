"""Tests of pruning_lab.layerwise against exact answers: SparseGPT = sequential OBS for every block size,
greedy OBS = least squares on its mask = chapter 1's OBS, the diagonal-Hessian coincidences, exact counts."""

import numpy as np
import pytest

from pruning_lab import layerwise as lw
from pruning_lab import prune


def layer(seed=0, r=6, d=16, n=200, rho=0.7):
    """Weights and H = X^T X / n of inputs with AR(1) correlation rho^|j-k| and unequal scales in [0.2, 3]."""
    rng = np.random.default_rng(seed)
    corr = rho ** np.abs(np.subtract.outer(np.arange(d), np.arange(d)))
    X = rng.normal(size=(n, d)) @ np.linalg.cholesky(corr).T * rng.uniform(0.2, 3.0, size=d)
    return rng.normal(size=(r, d)), X.T @ X / n


@pytest.mark.parametrize("block_size", [1, 3, 16, 128])
@pytest.mark.parametrize(
    "request_",
    [
        dict(sparsity=0.5, mask_block=8),
        dict(sparsity=0.3, mask_block=None),
        dict(sparsity=0.7, mask_block=5, scope="layer"),
        dict(pattern="2:4"),
        dict(pattern="4:8"),
    ],
)
def test_sparsegpt_is_sequential_obs_for_every_block_size(block_size, request_):
    W, H = layer(seed=block_size)
    fast = lw.sparsegpt(W, H, block_size=block_size, **request_)
    exact = lw.sequential_obs_reference(W, H, fast.mask)
    np.testing.assert_allclose(fast.weights, exact, atol=1e-10 * np.abs(W).max())
    one = lw.sparsegpt(W, H, block_size=1, **request_)  # the mask does not depend on the lazy block either
    assert np.array_equal(one.mask, fast.mask)
    assert np.all(fast.weights[~fast.mask] == 0)


def test_sparsegpt_with_a_fixed_mask_only_reconstructs():
    W, H = layer(1)
    mask = lw.select_mask(np.abs(W) * np.sqrt(np.diag(H)), sparsity=0.6)
    res = lw.sparsegpt(W, H, mask=mask, block_size=4)
    assert np.array_equal(res.mask, mask)
    np.testing.assert_allclose(res.weights, lw.sequential_obs_reference(W, H, mask), atol=1e-10)
    # on Wanda's mask the reconstruction lowers the error; the least-squares weights are the floor
    Hd = lw.damped_hessian(H, 0.01)
    zeroed = lw.reconstruction_error(W, np.where(mask, W, 0), Hd)
    rebuilt = lw.reconstruction_error(W, res.weights, Hd)
    best = lw.reconstruction_error(W, lw.least_squares_weights(W, Hd, mask), Hd)
    assert best <= rebuilt + 1e-9 < zeroed


def test_nothing_pruned_leaves_the_layer_unchanged():
    W, H = layer(2)
    for strategy in lw.STRATEGIES:
        res = lw.prune_layer(W, H, strategy, sparsity=0.0)
        assert res.mask.all()
        np.testing.assert_allclose(res.weights, W, atol=1e-12)
        assert lw.reconstruction_error(W, res.weights, H) < 1e-20


@pytest.mark.parametrize("scope", ["row", "layer"])
def test_greedy_obs_ends_at_the_least_squares_weights_of_its_mask(scope):
    W, H = layer(3, r=4, d=12)
    res = lw.greedy_obs(W, H, sparsity=0.5, scope=scope, damp=0.01)
    np.testing.assert_allclose(
        res.weights, lw.least_squares_weights(W, lw.damped_hessian(H, 0.01), res.mask), atol=1e-9
    )
    assert res.mask.sum() == 24
    if scope == "row":
        assert (res.mask.sum(axis=1) == 6).all()


def test_greedy_obs_of_one_row_is_the_obs_of_chapter_1():
    W, H = layer(4, r=1, d=10)
    for keep in (8, 5, 2):
        mine = lw.greedy_obs(W, H, sparsity=1 - keep / 10, damp=0.0)
        theirs = prune.obs_prune(W[0], H, keep)
        assert np.array_equal(mine.mask[0], theirs.mask)
        np.testing.assert_allclose(mine.weights[0], theirs.weights, atol=1e-10)


def test_greedy_obs_respects_n_m_groups():
    W, H = layer(5, r=3, d=8)
    res = lw.greedy_obs(W, H, pattern="2:4")
    assert (res.mask.reshape(3, 2, 4).sum(axis=2) == 2).all()


@pytest.mark.parametrize("seed", range(5))
def test_error_order_on_correlated_inputs(seed):
    """Empirical, not a theorem (each order depends on the data): with unequal input scales and AR(1)
    correlations (rho = 0.7, condition numbers ~1e3), greedy OBS <= SparseGPT <= Wanda <= magnitude in
    every one of five fixed draws (and of 40 tried)."""
    W, H = layer(10 + seed, r=8, d=32, n=400)
    err = {m: lw.reconstruction_error(W, lw.prune_layer(W, H, m, sparsity=0.5).weights, H) for m in lw.STRATEGIES}
    assert err["obs"] <= err["sparsegpt"] <= err["wanda"] <= err["magnitude"]
    assert err["wanda"] == pytest.approx(err["obd"], rel=1e-12)


@pytest.mark.parametrize("request_", [dict(sparsity=0.5), dict(sparsity=0.25, scope="layer"), dict(pattern="2:4")])
def test_diagonal_hessian_makes_the_orderings_coincide(request_):
    """H diagonal: U is diagonal with U_jj^2 = 1/H_jj, so SparseGPT's saliency w^2/U_jj^2 is OBD's w^2 H_jj
    (Wanda's squared) and no update reaches another column: the three give the same mask and weights.
    With H = c I magnitude joins them."""
    rng = np.random.default_rng(6)
    W = rng.normal(size=(5, 16))
    H = np.diag(rng.uniform(0.1, 3.0, size=16))
    wanda = lw.prune_layer(W, H, "wanda", **request_)
    obd = lw.prune_layer(W, H, "obd", **request_)
    gpt = lw.sparsegpt(W, H, damp=0.0, mask_block=None, **request_)
    assert np.array_equal(wanda.mask, obd.mask) and np.array_equal(wanda.mask, gpt.mask)
    np.testing.assert_array_equal(wanda.weights, gpt.weights)
    iso = 2.5 * np.eye(16)
    mag = lw.prune_layer(W, iso, "magnitude", **request_)
    for strategy in ("wanda", "obd"):
        assert np.array_equal(mag.mask, lw.prune_layer(W, iso, strategy, **request_).mask)
    assert np.array_equal(mag.mask, lw.sparsegpt(W, iso, damp=0.0, mask_block=None, **request_).mask)


@pytest.mark.parametrize("pattern", ["1:4", "2:4", "4:8", "3:3"])
def test_n_m_masks_keep_exactly_n_in_every_group(pattern):
    n, m = lw.parse_pattern(pattern)
    scores = np.random.default_rng(7).normal(size=(9, 24))
    keep = lw.select_mask(scores, pattern=pattern)
    groups = keep.reshape(9, -1, m)
    assert (groups.sum(axis=2) == n).all()
    kept_scores = np.where(groups, scores.reshape(9, -1, m), np.inf).min(axis=2)
    dropped = np.where(~groups, scores.reshape(9, -1, m), -np.inf).max(axis=2)
    assert (kept_scores >= dropped).all()


def test_exact_counts_and_ties():
    scores = np.ones((3, 10))
    keep = lw.select_mask(scores, sparsity=0.35)  # round(3.5) = 4 go from each row; ties: the later go
    assert (keep.sum(axis=1) == 6).all() and keep[:, :6].all()
    keep = lw.select_mask(np.arange(30.0).reshape(3, 10), sparsity=0.5, scope="layer")
    assert keep.sum() == 15 and not keep[0].any() and keep[2].all()
    W, H = layer(8, r=5, d=20)
    for scope, expect in (("row", None), ("layer", 5 * 20 - 35)):
        res = lw.sparsegpt(W, H, sparsity=0.35, scope=scope, mask_block=6)
        if expect is None:
            assert (res.mask.sum(axis=1) == 13).all()
        else:
            assert res.mask.sum() == expect


def test_bad_input_is_named():
    W, H = layer(9)
    rank_deficient = np.ones((16, 16))
    with pytest.raises(ValueError, match="singular"):
        lw.sparsegpt(W, rank_deficient, sparsity=0.5, damp=0.0)
    with pytest.raises(ValueError, match="no calibration input"):
        lw.sparsegpt(W, np.zeros((16, 16)), sparsity=0.5)
    with pytest.raises(ValueError, match="not divisible|do not split"):
        lw.prune_layer(W, H, "wanda", pattern="2:5")
    with pytest.raises(ValueError, match="sparsity"):
        lw.prune_layer(W, H, "magnitude", sparsity=1.5)
    with pytest.raises(ValueError, match="sparsity"):
        lw.prune_layer(W, H, "magnitude")
    with pytest.raises(ValueError, match="not both"):
        lw.prune_layer(W, H, "magnitude", sparsity=0.5, pattern="2:4")
    with pytest.raises(ValueError, match="pattern"):
        lw.parse_pattern("5:4")
    with pytest.raises(ValueError, match="strategy"):
        lw.prune_layer(W, H, "snip", sparsity=0.5)
    with pytest.raises(ValueError, match="scope"):
        lw.select_mask(W, sparsity=0.5, scope="global")
    with pytest.raises(ValueError, match="symmetric"):
        lw.damped_hessian(np.triu(H))
    with pytest.raises(ValueError, match="hessian must have shape"):
        lw.prune_layer(W, H[:4, :4], "wanda", sparsity=0.5)
    with pytest.raises(ValueError, match="block_size"):
        lw.sparsegpt(W, H, sparsity=0.5, block_size=0)
