"""Input checks shared by the public functions of the package.

Every public function of :mod:`pruning_lab` checks its inputs at the boundary
and raises a :class:`ValueError` that names the argument, what was wrong and
what is expected.  The helpers below are that one idea, written once.
"""

from __future__ import annotations

import numbers

import numpy as np

__all__ = [
    "as_rng",
    "check_array",
    "check_covariance",
    "check_nonnegative",
    "check_sparsity",
    "check_support",
]


def as_rng(rng) -> np.random.Generator:
    """Turn ``rng`` (a Generator, an int seed or ``None``) into a Generator.

    ``None`` gives a fresh, unseeded generator; an int gives a seeded one, so
    the same seed always produces the same numbers.
    """
    if isinstance(rng, np.random.Generator):
        return rng
    if rng is None or isinstance(rng, (numbers.Integral, np.random.SeedSequence)):
        return np.random.default_rng(rng)
    raise ValueError(f"rng must be a numpy.random.Generator, an int seed or None, got {type(rng).__name__}")


def check_array(x, name: str, *, ndim=None, shape=None, finite: bool = True) -> np.ndarray:
    """Return ``x`` as a float array after checking its dimension, shape and finiteness.

    ``ndim`` may be an int or a tuple of allowed ints; ``shape`` may contain
    ``None`` for a free axis.  Complex arrays (numpy would drop their imaginary
    part with a mere warning), strings and ``None`` entries are rejected.
    """
    try:
        raw = np.asarray(x)
    except (TypeError, ValueError) as err:
        raise ValueError(f"{name} must be an array of real numbers: {err}") from None
    if raw.dtype.kind == "c":
        raise ValueError(f"{name} must be an array of real numbers, got a complex array (dtype {raw.dtype})")
    if raw.dtype.kind not in "biufO":
        raise ValueError(f"{name} must be an array of real numbers, got dtype {raw.dtype}")
    if raw.dtype.kind == "O":  # e.g. None (which numpy would turn into NaN) or a complex number among reals
        bad = [v for v in raw.flat if not isinstance(v, numbers.Real)]
        if bad:
            raise ValueError(f"{name} must be an array of real numbers, got an entry {bad[0]!r}")
    try:
        arr = np.asarray(raw, dtype=float)
    except (TypeError, ValueError) as err:
        raise ValueError(f"{name} must be an array of real numbers: {err}") from None
    if ndim is not None:
        allowed = (ndim,) if isinstance(ndim, int) else tuple(ndim)
        if arr.ndim not in allowed:
            want = " or ".join(f"{d}-D" for d in allowed)
            raise ValueError(f"{name} must be {want}, got an array of shape {arr.shape}")
    if shape is not None:
        if arr.ndim != len(shape) or any(want is not None and got != want for got, want in zip(arr.shape, shape)):
            want = str(tuple("any" if s is None else s for s in shape)).replace("'", "")
            raise ValueError(f"{name} must have shape {want}, got {arr.shape}")
    if finite and not np.all(np.isfinite(arr)):
        bad = int(np.size(arr) - np.count_nonzero(np.isfinite(arr)))
        raise ValueError(f"{name} contains {bad} NaN or infinite value(s); all entries must be finite")
    return arr


def check_nonnegative(value, name: str) -> float:
    """Return ``value`` as a float after checking it is a finite number >= 0."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise ValueError(f"{name} must be a real number, got {value!r}")
    value = float(value)
    if not np.isfinite(value) or value < 0:
        raise ValueError(f"{name} must be finite and >= 0, got {value}")
    return value


def check_int(value, name: str, low: int = 1, high: int | None = None) -> int:
    """Return ``value`` as an int after checking it is an integer (not a bool) in ``low..high``."""
    want = f"in {low}..{high}" if high is not None else f">= {low}"
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Integral):
        raise ValueError(f"{name} must be an integer {want}, got {value!r}")
    if int(value) < low or (high is not None and int(value) > high):
        raise ValueError(f"{name} must be an integer {want}, got {value!r}")
    return int(value)


def check_int_array(values, name: str, low: int = 1, what: str | None = None) -> np.ndarray:
    """Return a non-empty 1-D list of whole numbers ``>= low`` (ints, or floats with integer values) as ints.

    ``what`` names the entries in the error message (default: "whole numbers >= low").
    """
    what = f"whole numbers >= {low}" if what is None else f"{what} (whole numbers >= {low})"
    arr = np.asarray(values)
    if arr.ndim != 1 or arr.size == 0 or arr.dtype.kind not in "iuf":
        raise ValueError(f"{name} must be a non-empty list of {what}, got {values!r}")
    if np.any(~np.isfinite(arr)) or np.any(arr != np.round(arr)) or np.any(arr < low):
        raise ValueError(f"{name} must be a non-empty list of {what}, got {arr.tolist()}")
    return arr.astype(int)


def check_sparsity(s, p: int, name: str = "s") -> int:
    """Return the target sparsity ``s`` as an int after checking ``0 <= s <= p``."""
    if isinstance(s, (bool, np.bool_)):
        raise ValueError(f"{name} (number of weights to keep) must be an integer, got the boolean {s!r}")
    if not isinstance(s, numbers.Integral):
        if isinstance(s, numbers.Real) and float(s).is_integer():
            s = int(s)
        else:
            raise ValueError(f"{name} (number of weights to keep) must be an integer, got {s!r}")
    s = int(s)
    if not 0 <= s <= p:
        raise ValueError(f"{name} (number of weights to keep) must lie in 0..{p}, got {s}")
    return s


def check_covariance(cov, p: int | None = None, name: str = "covariance", tol: float = 1e-10) -> np.ndarray:
    """Check a covariance given as a 1-D diagonal or a full 2-D matrix.

    A diagonal must be finite and >= 0.  A matrix must be square, symmetric
    (to a relative ``tol``) and positive semi-definite (smallest eigenvalue
    >= ``-tol`` times the largest).  Returns the array as float.
    """
    cov = check_array(cov, name, ndim=(1, 2))
    if p is not None and cov.shape[0] != p:
        raise ValueError(f"{name} must describe {p} features, got shape {cov.shape}")
    if cov.ndim == 1:
        if np.any(cov < 0):
            raise ValueError(f"{name} diagonal must be >= 0 (variances), got min {cov.min():.3g}")
        return cov
    if cov.shape[0] != cov.shape[1]:
        raise ValueError(f"{name} must be a square matrix, got shape {cov.shape}")
    scale = max(float(np.max(np.abs(cov))), 1e-300)
    if np.max(np.abs(cov - cov.T)) > tol * scale * 10:
        raise ValueError(f"{name} must be symmetric")
    eig_min = float(np.linalg.eigvalsh(cov)[0])
    if eig_min < -1e-8 * scale:
        raise ValueError(f"{name} must be positive semi-definite, its smallest eigenvalue is {eig_min:.3g}")
    return cov


def check_support(support, p: int, name: str = "support") -> np.ndarray:
    """Return a support (boolean mask of length ``p`` or integer indices) as sorted unique indices."""
    arr = np.asarray(support)
    if arr.dtype == bool:
        if arr.shape != (p,):
            raise ValueError(f"{name} as a boolean mask must have shape ({p},), got {arr.shape}")
        return np.flatnonzero(arr)
    if arr.size == 0:
        return np.zeros(0, dtype=int)
    if arr.ndim != 1 or not np.issubdtype(arr.dtype, np.integer):
        raise ValueError(f"{name} must be a boolean mask or a 1-D array of integer indices")
    if arr.min() < 0 or arr.max() >= p:
        raise ValueError(f"{name} indices must lie in 0..{p - 1}, got range {arr.min()}..{arr.max()}")
    idx = np.unique(arr)
    if idx.size != arr.size:
        raise ValueError(f"{name} contains repeated indices")
    return idx
