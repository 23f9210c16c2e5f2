r"""Matrix completion and robust PCA: the problem, its sampled data and the loss on the observed entries.

:math:`R(A)=\tfrac12\lVert P_\Omega(A-Y)\rVert_F^2` or the Huber loss on :math:`\Omega`, with gradients.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ..validation import as_rng, check_array, check_int, check_nonnegative

__all__ = ["CompletionData", "MatrixCompletionProblem", "ObservedLoss"]

_LOSSES = ("squared", "huber")


def _readonly(a, dtype=float):
    a = np.array(a, dtype=dtype, copy=True)
    a.setflags(write=False)
    return a


def _check_mask(mask, shape, name):
    arr = np.asarray(mask)
    if arr.dtype != bool:
        raise ValueError(f"{name} must be a boolean array, got dtype {arr.dtype}")
    if arr.shape != tuple(shape):
        raise ValueError(f"{name} must have the shape {tuple(shape)} of the matrix, got {arr.shape}")
    if not arr.any():
        raise ValueError(f"{name} is empty: at least one entry must be True")
    return arr


@dataclass(frozen=True, eq=False)
class ObservedLoss:
    r"""A convex loss on the observed entries :math:`\Omega` of an :math:`m\times n` matrix.

    ``kind="squared"``: :math:`R(A)=\tfrac12\sum_{\Omega}(A_{ij}-Y_{ij})^2`, :math:`\nabla R=P_\Omega(A-Y)`.
    ``kind="huber"`` (Huber 1964): :math:`R(A)=\sum_\Omega h_\delta(A_{ij}-Y_{ij})`, :math:`h_\delta(z)=z^2/2`
    for :math:`|z|\le\delta` and :math:`\delta(|z|-\delta/2)` otherwise,
    :math:`\nabla R=P_\Omega(\operatorname{clip}(A-Y,-\delta,\delta))`.  Both gradients are 1-Lipschitz.

    Parameters
    ----------
    observed : ndarray of shape (m, n)
        :math:`Y`; entries outside ``mask`` are ignored (they may be NaN), observed ones must be finite.
    mask : ndarray of shape (m, n)
        Boolean :math:`\Omega`, at least one True.
    kind : str
        ``"squared"`` or ``"huber"``.
    delta : float
        Huber threshold :math:`\delta>0` (unused by the squared loss).
    """

    observed: np.ndarray
    mask: np.ndarray
    kind: str = "squared"
    delta: float = 1.0
    _rows: np.ndarray = field(init=False, repr=False)
    _cols: np.ndarray = field(init=False, repr=False)
    _y: np.ndarray = field(init=False, repr=False)

    def __post_init__(self):
        Y = check_array(self.observed, "observed", ndim=2, finite=False)
        mask = _check_mask(self.mask, Y.shape, "mask (observed entries)")
        if not np.all(np.isfinite(Y[mask])):
            raise ValueError("observed has NaN or infinite values on observed entries; they must be finite")
        if self.kind not in _LOSSES:
            raise ValueError(f"kind must be one of {_LOSSES}, got {self.kind!r}")
        delta = check_nonnegative(self.delta, "delta (Huber threshold)")
        if delta == 0:
            raise ValueError("delta (Huber threshold) must be > 0")
        rows, cols = np.nonzero(mask)
        for name, value in (
            ("observed", _readonly(np.where(mask, Y, 0.0))),
            ("mask", _readonly(mask, bool)),
            ("delta", delta),
            ("_rows", rows),
            ("_cols", cols),
            ("_y", Y[rows, cols]),
        ):
            object.__setattr__(self, name, value)

    @property
    def shape(self) -> tuple:
        """The matrix shape (m, n)."""
        return self.mask.shape

    def _value(self, res):
        if self.kind == "squared":
            return 0.5 * float(res @ res)
        a = np.abs(res)
        return float(np.sum(np.where(a <= self.delta, 0.5 * res * res, self.delta * (a - 0.5 * self.delta))))

    def _grad_matrix(self, res):
        G = np.zeros(self.shape)
        G[self._rows, self._cols] = res if self.kind == "squared" else np.clip(res, -self.delta, self.delta)
        return G

    def _res(self, A):
        return check_array(A, "A", ndim=2, shape=self.shape)[self._rows, self._cols] - self._y

    def value(self, A) -> float:
        """:math:`R(A)` for a matrix ``A`` of shape (m, n)."""
        return self._value(self._res(A))

    def gradient(self, A) -> np.ndarray:
        r""":math:`\nabla R(A)`, an (m, n) matrix that vanishes outside :math:`\Omega`."""
        return self._grad_matrix(self._res(A))


@dataclass(frozen=True, eq=False)
class CompletionData:
    r"""One matrix-completion instance (arrays of shape (m, n), read-only).

    Attributes
    ----------
    truth : ndarray
        Shape (m, n). The low-rank matrix :math:`M`.
    observed : ndarray
        Shape (m, n). :math:`Y=M+\text{noise}\,(+\text{outliers})` on :math:`\Omega`, zero elsewhere.
    mask : ndarray
        Shape (m, n). Boolean :math:`\Omega`.
    test_mask : ndarray
        Shape (m, n). Boolean held-out entries scored by :meth:`test_rmse`.
    corrupted : ndarray
        Shape (m, n). Boolean: observed entries that carry an outlier (all False without outliers).
    """

    truth: np.ndarray
    observed: np.ndarray
    mask: np.ndarray
    test_mask: np.ndarray
    corrupted: np.ndarray

    def __post_init__(self):
        M = check_array(self.truth, "truth", ndim=2)
        Y = check_array(self.observed, "observed", ndim=2, shape=M.shape)
        c = np.asarray(self.corrupted)
        if c.dtype != bool or c.shape != M.shape:
            raise ValueError(f"corrupted must be a boolean array of shape {M.shape}")
        for name, value in (
            ("truth", _readonly(M)),
            ("observed", _readonly(Y)),
            ("corrupted", _readonly(c, bool)),
            ("mask", _readonly(_check_mask(self.mask, M.shape, "mask"), bool)),
            ("test_mask", _readonly(_check_mask(self.test_mask, M.shape, "test_mask"), bool)),
        ):
            object.__setattr__(self, name, value)

    def loss(self, kind: str = "squared", delta: float = 1.0) -> ObservedLoss:
        """The :class:`ObservedLoss` of this instance's observations."""
        return ObservedLoss(self.observed, self.mask, kind, delta)

    def test_rmse(self, A) -> float:
        r"""Held-out error :math:`\big(\operatorname{mean}_{(i,j)\in\text{test}}(A_{ij}-M_{ij})^2\big)^{1/2}`."""
        A = check_array(A, "A", ndim=2, shape=self.truth.shape)
        return float(np.sqrt(np.mean((A - self.truth)[self.test_mask] ** 2)))

    def _rmse(self, L, C, R):
        i, j = np.nonzero(self.test_mask)
        d = np.einsum("ka,ka->k", (L @ C)[i], R[j]) - self.truth[i, j]
        return float(np.sqrt(np.mean(d * d)))


@dataclass(frozen=True)
class MatrixCompletionProblem:
    r"""A random matrix-completion problem (experiment X8; robust PCA when ``outlier_fraction > 0``).

    :meth:`sample` draws :math:`M=UV^\top/\sqrt{r}` with i.i.d. standard normal :math:`U\in\mathbb{R}^{m\times r}`,
    :math:`V\in\mathbb{R}^{n\times r}` (entries of unit variance), a uniformly random :math:`\Omega` of
    ``round(observed_fraction*m*n)`` entries, :math:`Y=M+\text{noise}\cdot Z` on :math:`\Omega`
    (:math:`Z` standard normal), and adds :math:`\pm\text{outlier\_size}` (random signs) to
    ``round(outlier_fraction*|Omega|)`` observed entries.  The unobserved entries are held out (all
    entries if every entry is observed).
    """

    m: int = 100
    n: int = 100
    rank: int = 5
    observed_fraction: float = 0.3
    noise: float = 0.01
    outlier_fraction: float = 0.0
    outlier_size: float = 10.0

    def __post_init__(self):
        m, n = check_int(self.m, "m (number of rows)", 1), check_int(self.n, "n (number of columns)", 1)
        p = check_nonnegative(self.observed_fraction, "observed_fraction")
        if p > 1 or round(p * m * n) < 1:
            raise ValueError(
                f"observed_fraction={p} must lie in (0, 1] and observe at least one entry of the {m}x{n} matrix"
            )
        f = check_nonnegative(self.outlier_fraction, "outlier_fraction")
        if f >= 1:
            raise ValueError(f"outlier_fraction must lie in [0, 1), got {f}")
        rank = check_int(self.rank, "rank (of the truth)", 1, min(m, n))
        for name, value in (
            ("m", m),
            ("n", n),
            ("rank", rank),
            ("observed_fraction", p),
            ("outlier_fraction", f),
            ("noise", check_nonnegative(self.noise, "noise (standard deviation)")),
            ("outlier_size", check_nonnegative(self.outlier_size, "outlier_size")),
        ):
            object.__setattr__(self, name, value)

    def sample(self, rng=None) -> CompletionData:
        """Draw one instance; ``rng`` (Generator, int or None): the same seed gives the same instance."""
        rng = as_rng(rng)
        m, n, r = self.m, self.n, self.rank
        M = rng.standard_normal((m, r)) @ rng.standard_normal((n, r)).T / np.sqrt(r)
        k = int(round(self.observed_fraction * m * n))
        idx = rng.choice(m * n, size=k, replace=False)
        Y = (M + self.noise * rng.standard_normal((m, n))).ravel()
        bad = rng.choice(idx, size=int(round(self.outlier_fraction * k)), replace=False)
        Y[bad] += self.outlier_size * rng.choice([-1.0, 1.0], size=bad.size)
        mask, corrupted = np.zeros(m * n, dtype=bool), np.zeros(m * n, dtype=bool)
        mask[idx], corrupted[bad] = True, True
        mask, corrupted = mask.reshape(m, n), corrupted.reshape(m, n)
        test = ~mask if k < m * n else np.ones((m, n), dtype=bool)
        return CompletionData(M, np.where(mask, Y.reshape(m, n), 0.0), mask, test, corrupted)
