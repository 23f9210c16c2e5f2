"""Tests of pruning_lab.validation: every helper's accepted and rejected inputs."""

import numpy as np
import pytest

from pruning_lab.validation import (
    as_rng,
    check_array,
    check_covariance,
    check_nonnegative,
    check_sparsity,
    check_support,
)


# ------------------------------------------------------------------- as_rng
def test_as_rng_passes_a_generator_through_unchanged():
    g = np.random.default_rng(3)
    assert as_rng(g) is g


@pytest.mark.parametrize("seed", [0, 7, np.int64(7), np.random.SeedSequence(11)])
def test_as_rng_seed_gives_reproducible_numbers(seed):
    a = as_rng(seed).standard_normal(5)
    b = as_rng(seed).standard_normal(5)
    np.testing.assert_array_equal(a, b)


def test_as_rng_int_seed_matches_numpy_default_rng():
    np.testing.assert_array_equal(as_rng(42).random(4), np.random.default_rng(42).random(4))


def test_as_rng_different_seeds_differ():
    assert not np.array_equal(as_rng(1).random(4), as_rng(2).random(4))


def test_as_rng_none_gives_a_generator():
    assert isinstance(as_rng(None), np.random.Generator)


@pytest.mark.parametrize("bad", ["0", 1.5, np.random.RandomState(0), [1, 2]])
def test_as_rng_rejects_other_types(bad):
    with pytest.raises(ValueError, match="rng must be"):
        as_rng(bad)


# -------------------------------------------------------------- check_array
def test_check_array_converts_to_float():
    out = check_array([1, 2, 3], "x")
    assert out.dtype == float
    np.testing.assert_array_equal(out, [1.0, 2.0, 3.0])


def test_check_array_ndim_int_and_tuple():
    assert check_array(np.zeros((2, 3)), "x", ndim=2).shape == (2, 3)
    assert check_array(np.zeros(3), "x", ndim=(1, 2)).shape == (3,)
    with pytest.raises(ValueError, match=r"x must be 1-D, got an array of shape \(2, 3\)"):
        check_array(np.zeros((2, 3)), "x", ndim=1)
    with pytest.raises(ValueError, match="x must be 1-D or 2-D"):
        check_array(np.zeros((2, 3, 4)), "x", ndim=(1, 2))
    with pytest.raises(ValueError, match="must be 1-D"):
        check_array(3.0, "x", ndim=1)


def test_check_array_shape_with_free_axis():
    assert check_array(np.zeros((4, 3)), "x", shape=(None, 3)).shape == (4, 3)
    with pytest.raises(ValueError, match=r"x must have shape \(any, 3\), got \(4, 2\)"):
        check_array(np.zeros((4, 2)), "x", shape=(None, 3))
    with pytest.raises(ValueError, match="must have shape"):
        check_array(np.zeros(3), "x", shape=(None, 3))


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_check_array_rejects_non_finite(bad):
    with pytest.raises(ValueError, match="x contains 1 NaN or infinite"):
        check_array([1.0, bad, 2.0], "x")


def test_check_array_counts_non_finite_entries():
    with pytest.raises(ValueError, match="contains 2 NaN"):
        check_array([np.nan, 1.0, np.inf], "x")


def test_check_array_finite_false_allows_nan():
    out = check_array([np.nan, 1.0], "x", finite=False)
    assert np.isnan(out[0])


@pytest.mark.parametrize("bad", ["abc", [[1, 2], [3]], [1 + 2j], {"a": 1}, None])
def test_check_array_rejects_non_numbers(bad):
    with pytest.raises(ValueError, match="x must be an array of real numbers"):
        check_array(bad, "x")


@pytest.mark.parametrize("bad", [np.array([1 + 5j, 2]), np.array([1.0, 2.0], dtype=complex), np.complex64(3)])
def test_check_array_rejects_complex_arrays_instead_of_dropping_the_imaginary_part(bad):
    # numpy would cast these to real with only a ComplexWarning, silently keeping the wrong weights
    with pytest.raises(ValueError, match="x must be an array of real numbers, got a complex array"):
        check_array(bad, "x")


@pytest.mark.parametrize("bad", ["1.5", ["1", "2"], np.array([b"3"])])
def test_check_array_rejects_strings_of_digits(bad):
    # numpy would parse these as numbers
    with pytest.raises(ValueError, match="x must be an array of real numbers, got dtype"):
        check_array(bad, "x")


def test_check_array_accepts_bools_ints_and_object_arrays_of_reals():
    np.testing.assert_array_equal(check_array([True, False], "x"), [1.0, 0.0])
    np.testing.assert_array_equal(check_array(np.array([1, 2], dtype=np.uint8), "x"), [1.0, 2.0])
    np.testing.assert_array_equal(check_array(np.array([1, 2.5], dtype=object), "x"), [1.0, 2.5])


# ---------------------------------------------------------- check_nonnegative
@pytest.mark.parametrize("value", [0, 0.0, 2, 3.5, np.float64(1.5), np.int32(4)])
def test_check_nonnegative_accepts(value):
    out = check_nonnegative(value, "v")
    assert isinstance(out, float) and out == float(value)


@pytest.mark.parametrize("bad", [-1, -1e-12, np.nan, np.inf])
def test_check_nonnegative_rejects_negative_or_non_finite(bad):
    with pytest.raises(ValueError, match="v must be finite and >= 0"):
        check_nonnegative(bad, "v")


@pytest.mark.parametrize("bad", [True, "1", None, [1.0], 1 + 0j])
def test_check_nonnegative_rejects_non_real(bad):
    with pytest.raises(ValueError, match="v must be a real number"):
        check_nonnegative(bad, "v")


# ------------------------------------------------------------ check_sparsity
@pytest.mark.parametrize("s", [0, 3, 10, np.int64(5), 4.0, np.float64(2.0)])
def test_check_sparsity_accepts_integers_in_range(s):
    out = check_sparsity(s, 10)
    assert type(out) is int and out == int(s)


@pytest.mark.parametrize("bad", [-1, 11, 100, -0.0 - 1.0])
def test_check_sparsity_rejects_out_of_range(bad):
    with pytest.raises(ValueError, match=r"s \(number of weights to keep\) must lie in 0..10"):
        check_sparsity(bad, 10)


@pytest.mark.parametrize("bad", [2.5, np.nan, np.inf, "3", None])
def test_check_sparsity_rejects_non_integers(bad):
    with pytest.raises(ValueError, match="must be an integer"):
        check_sparsity(bad, 10)


@pytest.mark.parametrize("flag", [True, False, np.bool_(True)])
def test_check_sparsity_rejects_bool(flag):
    # check_nonnegative rejects bools; a bool is a flag, not a number of weights.
    with pytest.raises(ValueError, match="must be an integer"):
        check_sparsity(flag, 10)


def test_check_sparsity_uses_the_given_name():
    with pytest.raises(ValueError, match=r"^k \(number"):
        check_sparsity(5, 3, name="k")


# ---------------------------------------------------------- check_covariance
def test_check_covariance_accepts_diagonal_and_psd_matrices():
    np.testing.assert_array_equal(check_covariance([1.0, 0.0, 2.0], 3), [1.0, 0.0, 2.0])
    A = np.random.default_rng(0).standard_normal((4, 2))
    singular_psd = A @ A.T  # rank 2, PSD
    np.testing.assert_array_equal(check_covariance(singular_psd, 4), singular_psd)
    np.testing.assert_array_equal(check_covariance(np.ones((3, 3))), np.ones((3, 3)))


def test_check_covariance_rejects_negative_variance():
    with pytest.raises(ValueError, match="diagonal must be >= 0"):
        check_covariance([1.0, -0.5], 2)


def test_check_covariance_rejects_wrong_p():
    with pytest.raises(ValueError, match="must describe 3 features"):
        check_covariance(np.eye(2), 3)
    with pytest.raises(ValueError, match="must describe 3 features"):
        check_covariance(np.ones(4), 3)


def test_check_covariance_rejects_non_square():
    with pytest.raises(ValueError, match="must be a square matrix"):
        check_covariance(np.ones((3, 2)))


def test_check_covariance_rejects_non_symmetric():
    with pytest.raises(ValueError, match="must be symmetric"):
        check_covariance(np.array([[1.0, 0.5], [0.0, 1.0]]))


def test_check_covariance_rejects_indefinite():
    with pytest.raises(ValueError, match="positive semi-definite.*-1"):
        check_covariance(np.array([[1.0, 2.0], [2.0, 1.0]]))  # eigenvalues 3 and -1


def test_check_covariance_rejects_nan_and_3d():
    with pytest.raises(ValueError, match="NaN"):
        check_covariance(np.array([[1.0, np.nan], [np.nan, 1.0]]))
    with pytest.raises(ValueError, match="1-D or 2-D"):
        check_covariance(np.ones((2, 2, 2)))


def test_check_covariance_tolerates_rounding_asymmetry():
    A = np.random.default_rng(1).standard_normal((5, 5))
    S = A @ A.T
    S[0, 1] *= 1 + 1e-14
    assert check_covariance(S).shape == (5, 5)


# ------------------------------------------------------------- check_support
def test_check_support_boolean_mask_and_indices():
    np.testing.assert_array_equal(check_support(np.array([True, False, True, False]), 4), [0, 2])
    np.testing.assert_array_equal(check_support([3, 0, 2], 4), [0, 2, 3])  # sorted
    np.testing.assert_array_equal(check_support(np.array([1], dtype=np.int8), 4), [1])
    assert check_support([], 4).size == 0
    assert check_support(np.zeros(4, dtype=bool), 4).size == 0


def test_check_support_rejects_wrong_mask_length():
    with pytest.raises(ValueError, match=r"boolean mask must have shape \(4,\)"):
        check_support(np.array([True, False]), 4)


@pytest.mark.parametrize("bad", [[-1, 2], [0, 4]])
def test_check_support_rejects_out_of_range(bad):
    with pytest.raises(ValueError, match="indices must lie in 0..3"):
        check_support(bad, 4)


def test_check_support_rejects_repeated_indices():
    with pytest.raises(ValueError, match="repeated indices"):
        check_support([1, 1, 2], 4)


@pytest.mark.parametrize("bad", [[0.0, 1.0], np.array([[0, 1]]), ["a"]])
def test_check_support_rejects_non_integer_or_2d(bad):
    with pytest.raises(ValueError, match="boolean mask or a 1-D array of integer indices"):
        check_support(bad, 4)


def test_check_int_accepts_integers_in_range_and_names_the_problem():
    from pruning_lab.validation import check_int

    assert check_int(np.int64(3), "k") == 3 and isinstance(check_int(np.int64(3), "k"), int)
    assert check_int(0, "k", low=0) == 0 and check_int(5, "k", 1, 5) == 5
    for bad, match in [
        (True, r"k must be an integer >= 1, got True"),
        (2.0, r"k must be an integer >= 1"),
        (0, r"k must be an integer >= 1, got 0"),
        ("3", "k must be an integer"),
    ]:
        with pytest.raises(ValueError, match=match):
            check_int(bad, "k")
    with pytest.raises(ValueError, match=r"k must be an integer in 1\.\.5, got 6"):
        check_int(6, "k", 1, 5)


def test_check_int_array_accepts_whole_numbers_and_rejects_the_rest():
    from pruning_lab.validation import check_int_array

    out = check_int_array([1, 2.0, np.int32(7)], "ps")
    assert out.dtype.kind == "i" and out.tolist() == [1, 2, 7]
    assert check_int_array([0], "ss", low=0).tolist() == [0]
    for bad in ([], [[1, 2]], [1.5], [0], [True, True], ["a"], [np.nan]):
        with pytest.raises(ValueError, match="ps must be a non-empty list of"):
            check_int_array(bad, "ps")
    with pytest.raises(ValueError, match=r"ps must be a non-empty list of positive widths \(whole numbers >= 1\)"):
        check_int_array([0], "ps", 1, "positive widths")


@pytest.mark.parametrize("bad", [np.array([3 + 0j, 2]), np.array([3 + 1j])])
def test_check_int_array_rejects_complex_entries(bad):
    from pruning_lab.validation import check_int_array

    with pytest.raises(ValueError, match="ps must be a non-empty list of whole numbers"):
        check_int_array(bad, "ps")
