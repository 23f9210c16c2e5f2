r"""Over-parameterized matrix sensing: measurements, ground truth, the losses, the quadratic network.

A rank-:math:`r` matrix :math:`M_\star=U_\star U_\star^\top` (:math:`U_\star\in\mathbb R^{d\times r}`) is
observed through :math:`n` linear measurements

.. math:: y_i=\langle A_i,M_\star\rangle+\varepsilon_i,\qquad \varepsilon_i\sim\mathcal N(0,\sigma^2),

with symmetric Gaussian :math:`A_i=\tfrac12(G+G^\top)` or rank-one :math:`A_i=x_ix_i^\top` (a
network with quadratic activation), and fitted by a factor :math:`U\in\mathbb R^{d\times k}`,
:math:`k\ge r`, through the mean squared error
:math:`\mathcal L_{\rm emp}(U)=\frac1n\sum_i(\langle A_i,UU^\top\rangle-y_i)^2` or its expectation.

This is our reconstruction, in the spirit of :cite:`rajaraman2023greedy` (of which only the
abstract was available to us); the chapter :doc:`/book/matrix_sensing` shows the evidence that it behaves as
the paper claims.  The group-Lasso objective is in :mod:`pruning_lab.sensing.objective`, training,
pruning and fine-tuning in :mod:`pruning_lab.sensing.train`; :mod:`pruning_lab.sensing` gathers all
three.

Every measurement operation is vectorized over the stack of measurements: a symmetric :math:`A_i`
is stored as its packed upper triangle, so :math:`(\langle A_i,M\rangle)_i` is one matrix-vector
product and :math:`\sum_iw_iA_i` one vector-matrix product; no Python loop runs over measurements.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache

import numpy as np

from ..validation import as_rng, check_array, check_int, check_nonnegative

__all__ = [
    "KINDS",
    "Measurements",
    "SensingProblem",
    "grad_emp",
    "grad_pop",
    "hvp_emp",
    "hvp_pop",
    "loss_emp",
    "loss_pop",
    "make_ground_truth",
    "observe",
    "quad_net_forward",
    "quad_net_loss",
    "recovery_error",
    "sample_measurements",
]

#: The measurement ensembles, symmetric Gaussian and rank-one :math:`x x^\top` (a quadratic network).
KINDS = ("sym_gauss", "rank_one")


# ----------------------------------------------------------------- checks and packing
def _check_choice(value, name, choices):
    if value not in choices:
        raise ValueError(f"{name} must be one of {', '.join(map(repr, choices))}, got {value!r}")
    return value


def _check_count(value, name, minimum=1) -> int:
    return check_int(value, name, minimum)


def _check_factor(U, name="U", d=None) -> np.ndarray:
    U = check_array(U, name, ndim=2)
    if d is not None and U.shape[0] != d:
        raise ValueError(f"{name} must have d = {d} rows (the size of the measured matrix), got shape {U.shape}")
    return U


def _check_direction(Z, U, name="Z") -> np.ndarray:
    Z = check_array(Z, name, ndim=(2, 3))
    if Z.shape[-2:] != U.shape:
        raise ValueError(f"{name} must have the shape of U, {U.shape} (or a stack (m, *U.shape)), got {Z.shape}")
    return Z


def _check_matrix(M, name="M_star", d=None) -> np.ndarray:
    M = check_array(M, name, ndim=2)
    if M.shape[0] != M.shape[1] or (d is not None and M.shape[0] != d):
        want = f"({d}, {d})" if d is not None else "square"
        raise ValueError(f"{name} must be {want}, got shape {M.shape}")
    if np.max(np.abs(M - M.T), initial=0.0) > 1e-10 * max(np.max(np.abs(M), initial=0.0), 1.0):
        raise ValueError(f"{name} must be symmetric")
    return M


@lru_cache(maxsize=32)
def _packing(d: int):
    """Upper-triangle indices of a d×d matrix, the weights (1 on the diagonal, 2 off it), the flat
    positions of the upper triangle in a raveled matrix, and the packed position of every entry."""
    iu, ju = np.triu_indices(d)
    where = np.empty((d, d), dtype=int)
    where[iu, ju] = where[ju, iu] = np.arange(iu.size)
    return iu, ju, np.where(iu == ju, 1.0, 2.0), iu * d + ju, where.ravel()


def _pack(M: np.ndarray, symmetric: bool = False) -> np.ndarray:
    """Upper triangle of the symmetric part of M (…, d, d) -> (…, d(d+1)/2)."""
    d = M.shape[-1]
    if not symmetric:
        M = 0.5 * (M + np.swapaxes(M, -1, -2))
    return np.take(M.reshape(M.shape[:-2] + (d * d,)), _packing(d)[3], axis=-1)


def _unpack_weighted(v: np.ndarray, d: int) -> np.ndarray:
    """Inverse of "weights * upper triangle": (…, D) -> symmetric (…, d, d)."""
    _, _, w, _, where = _packing(d)
    return np.take(v / w, where, axis=-1).reshape(v.shape[:-1] + (d, d))


def _sym(M: np.ndarray) -> np.ndarray:
    return M + np.swapaxes(M, -1, -2)


# ----------------------------------------------------------------------- measurements
@dataclass(frozen=True, eq=False)
class Measurements:
    r"""A stack of :math:`n` symmetric measurement matrices :math:`A_1,\dots,A_n\in\mathbb R^{d\times d}`.

    ``kind="sym_gauss"`` stores ``data`` of shape (n, d(d+1)/2): row :math:`i` is the upper triangle
    of :math:`A_i`, off-diagonal entries doubled, so that :math:`\langle A_i,M\rangle` is a dot product
    with the upper triangle of a symmetric :math:`M`.  ``kind="rank_one"`` stores the vectors
    :math:`x_i` (shape (n, d)) of :math:`A_i=x_ix_i^\top`.  Build with :func:`sample_measurements`,
    :meth:`from_matrices` or :meth:`from_vectors`.
    """

    kind: str
    data: np.ndarray
    d: int

    def __post_init__(self):
        _check_choice(self.kind, "kind (measurement ensemble)", KINDS)
        d = _check_count(self.d, "d (matrix size)")
        width = d * (d + 1) // 2 if self.kind == "sym_gauss" else d
        data = check_array(self.data, "measurement data", shape=(None, width))
        if data.shape[0] < 1:
            raise ValueError("there must be at least one measurement (n >= 1)")
        if data.flags.writeable:  # keep a read-only copy; arrays made read-only by this module are reused
            data = np.array(data, copy=True)
            data.setflags(write=False)
        object.__setattr__(self, "data", data)

    @classmethod
    def from_matrices(cls, A) -> Measurements:
        """Measurements from an explicit stack of symmetric matrices, shape (n, d, d)."""
        A = check_array(A, "A (measurement matrices)", ndim=3)
        if A.shape[1] != A.shape[2] or np.max(np.abs(A - np.swapaxes(A, 1, 2))) > 1e-12 * max(np.max(np.abs(A)), 1):
            raise ValueError(f"A must be a stack (n, d, d) of symmetric matrices, got shape {A.shape}")
        iu, ju, w, _, _ = _packing(A.shape[1])
        return cls("sym_gauss", A[:, iu, ju] * w, A.shape[1])

    @classmethod
    def from_vectors(cls, X) -> Measurements:
        r"""Rank-one measurements :math:`A_i=x_ix_i^\top` from the rows of ``X`` (n, d)."""
        X = check_array(X, "X (measurement vectors)", ndim=2)
        return cls("rank_one", X, X.shape[1])

    @property
    def n(self) -> int:
        """Number of measurements."""
        return self.data.shape[0]

    def packed(self) -> np.ndarray:
        r"""The (n, d(d+1)/2) matrix :math:`P` with :math:`P\,\mathrm{triu}(M)=(\langle A_i,M\rangle)_i`."""
        if self.kind == "sym_gauss":
            return self.data
        iu, ju, w, _, _ = _packing(self.d)
        return self.data[:, iu] * self.data[:, ju] * w

    def matrices(self) -> np.ndarray:
        """The full stack (n, d, d) of measurement matrices (allocates n d² numbers)."""
        if self.kind == "rank_one":
            return self.data[:, :, None] * self.data[:, None, :]
        return _unpack_weighted(self.data, self.d)

    def apply(self, M) -> np.ndarray:
        r"""The measurement operator :math:`(\langle A_i,M\rangle)_{i\le n}`; ``M`` is (d, d) or a stack (m, d, d)."""
        M = check_array(M, "M")
        if M.shape[-2:] != (self.d, self.d):
            raise ValueError(f"M must be ({self.d}, {self.d}) or a stack of such matrices, got shape {M.shape}")
        if self.kind == "sym_gauss":
            return _pack(M) @ self.data.T
        return np.sum((self.data @ M) * self.data, axis=-1)

    def adjoint(self, w) -> np.ndarray:
        r"""The adjoint :math:`\sum_iw_iA_i` (d, d); ``w`` is (n,) or a stack (m, n)."""
        w = check_array(w, "w")
        if w.ndim == 0 or w.shape[-1] != self.n:
            raise ValueError(f"w must have n = {self.n} entries on its last axis, got shape {w.shape}")
        if self.kind == "sym_gauss":
            return _unpack_weighted(w @ self.data, self.d)
        return np.swapaxes(w[..., :, None] * self.data, -1, -2) @ self.data

    def _apply_factor(self, U):
        """(⟨A_i, U U^T⟩)_i without forming U U^T for rank-one measurements."""
        if self.kind == "rank_one":
            return np.sum((self.data @ U) ** 2, axis=1)
        return self.apply(U @ U.T)

    def _adjoint_times(self, w, U):
        """(Σ_i w_i A_i) U, in O(n d k) for rank-one measurements."""
        if self.kind == "rank_one":
            return self.data.T @ (w[:, None] * (self.data @ U))
        return self.adjoint(w) @ U


def sample_measurements(n: int, d: int, rng=None, kind: str = "sym_gauss") -> Measurements:
    r"""Draw :math:`n` i.i.d. measurement matrices.

    ``"sym_gauss"``: :math:`A=\tfrac12(G+G^\top)`, :math:`G_{jl}\overset{iid}\sim\mathcal N(0,1)`, so the
    diagonal is :math:`\mathcal N(0,1)`, the off-diagonal :math:`\mathcal N(0,\tfrac12)`, and
    :math:`\mathbb E\langle A,D\rangle^2=\lVert D\rVert_F^2` for symmetric :math:`D`.
    ``"rank_one"``: :math:`A=xx^\top`, :math:`x\sim\mathcal N(0,I_d)` (a quadratic network), with
    :math:`\mathbb E\langle A,D\rangle^2=2\lVert D\rVert_F^2+(\mathrm{tr}D)^2`.
    """
    n = _check_count(n, "n (number of measurements)")
    d = _check_count(d, "d (matrix size)")
    _check_choice(kind, "kind (measurement ensemble)", KINDS)
    rng = as_rng(rng)
    if kind == "rank_one":
        data = rng.standard_normal((n, d))
    else:
        iu, ju, w, _, _ = _packing(d)
        data = rng.standard_normal((n, iu.size)) * (np.where(iu == ju, 1.0, np.sqrt(0.5)) * w)
    data.setflags(write=False)  # fresh array: no copy needed
    return Measurements(kind, data, d)


def observe(A: Measurements, M_star, noise_sigma: float = 0.0, rng=None) -> np.ndarray:
    r"""Observations :math:`y_i=\langle A_i,M_\star\rangle+\varepsilon_i`,
    :math:`\varepsilon_i\sim\mathcal N(0,\sigma^2)`."""
    A = _check_measurements(A)
    M_star = _check_matrix(M_star, "M_star", A.d)
    sigma = check_nonnegative(noise_sigma, "noise_sigma")
    return A.apply(M_star) + sigma * as_rng(rng).standard_normal(A.n)


def make_ground_truth(d: int, r: int, sing_vals=None, rng=None) -> np.ndarray:
    r"""Ground truth :math:`U_\star=Q\,\mathrm{diag}(\sigma^\star_1,\dots,\sigma^\star_r)`.

    :math:`Q\in\mathbb R^{d\times r}` has orthonormal columns drawn uniformly (QR of a Gaussian
    matrix).  ``sing_vals`` defaults to ``linspace(1, 0.6, r)`` (for r = 3: 1, 0.8, 0.6, the reference
    setting of the chapter :doc:`/book/matrix_sensing`).  The eigenvalues of :math:`M_\star=U_\star U_\star^\top` are
    :math:`(\sigma^\star_j)^2`.
    """
    d = _check_count(d, "d (matrix size)")
    r = _check_count(r, "r (rank of the ground truth)")
    if r > d:
        raise ValueError(f"the rank r must be <= d, got r = {r} > d = {d}")
    s = np.linspace(1.0, 0.6, r) if sing_vals is None else check_array(sing_vals, "sing_vals", shape=(r,))
    if np.any(s <= 0):
        raise ValueError("sing_vals must all be > 0")
    q, t = np.linalg.qr(as_rng(rng).standard_normal((d, r)))
    return (q * np.sign(np.diag(t))) * s


def _check_measurements(A) -> Measurements:
    if not isinstance(A, Measurements):
        raise ValueError(f"A must be a Measurements object (see sample_measurements), got {type(A).__name__}")
    return A


def _check_data(U, A, y):
    A = _check_measurements(A)
    U = _check_factor(U, "U", A.d)
    y = check_array(y, "y (observations)", ndim=1)
    if y.size != A.n:
        raise ValueError(f"y must have one entry per measurement, n = {A.n}, got {y.size}")
    return U, A, y


@dataclass(frozen=True, eq=False)
class SensingProblem:
    r"""A matrix-sensing problem: ground truth :math:`U_\star` (d×r), noise level :math:`\sigma`, ensemble.

    :meth:`sample` draws measurements and observations; :meth:`reference` is the setting of
    the chapter :doc:`/book/matrix_sensing` (d = 20, r = 3, singular values 1, 0.8, 0.6).
    """

    U_star: np.ndarray
    noise_sigma: float = 0.0
    kind: str = "sym_gauss"
    M_star: np.ndarray = field(init=False, repr=False)

    def __post_init__(self):
        U = _check_factor(self.U_star, "U_star")
        if not 1 <= U.shape[1] <= U.shape[0]:
            raise ValueError(f"U_star must be d×r with 1 <= r <= d, got shape {U.shape}")
        object.__setattr__(self, "noise_sigma", check_nonnegative(self.noise_sigma, "noise_sigma"))
        _check_choice(self.kind, "kind (measurement ensemble)", KINDS)
        for name, value in (("U_star", U), ("M_star", U @ U.T)):
            value = np.array(value, copy=True)
            value.setflags(write=False)
            object.__setattr__(self, name, value)

    @classmethod
    def random(
        cls, d: int, r: int, sing_vals=None, noise_sigma: float = 0.0, kind: str = "sym_gauss", rng=None
    ) -> SensingProblem:
        """A problem with a random ground truth from :func:`make_ground_truth`."""
        return cls(make_ground_truth(d, r, sing_vals, rng), noise_sigma, kind)

    @classmethod
    def reference(cls, noise_sigma: float = 0.0, kind: str = "sym_gauss", rng=0) -> SensingProblem:
        """The reference setting of the chapter: d = 20, r = 3, singular values (1, 0.8, 0.6)."""
        return cls.random(20, 3, [1.0, 0.8, 0.6], noise_sigma, kind, rng)

    @property
    def d(self) -> int:
        """Size of the measured matrix."""
        return self.U_star.shape[0]

    @property
    def r(self) -> int:
        """Rank of the ground truth."""
        return self.U_star.shape[1]

    @property
    def sing_vals(self) -> np.ndarray:
        r"""Singular values :math:`\sigma^\star_1\ge\dots\ge\sigma^\star_r` of :math:`U_\star`."""
        return np.linalg.svd(self.U_star, compute_uv=False)

    def sample(self, n: int, rng=None) -> tuple[Measurements, np.ndarray]:
        """Draw ``n`` measurements and their noisy observations: returns ``(A, y)``."""
        rng = as_rng(rng)
        A = sample_measurements(n, self.d, rng, self.kind)
        return A, observe(A, self.M_star, self.noise_sigma, rng)


# ----------------------------------------------------------------------------- losses
def loss_emp(U, A: Measurements, y) -> float:
    r"""Empirical loss :math:`\mathcal L_{\rm emp}(U)=\frac1n\sum_i(\langle A_i,UU^\top\rangle-y_i)^2`."""
    U, A, y = _check_data(U, A, y)
    return float(np.mean((A._apply_factor(U) - y) ** 2))


def grad_emp(U, A: Measurements, y) -> np.ndarray:
    r"""Gradient of the empirical loss: :math:`\frac4n\sum_i(\langle A_i,UU^\top\rangle-y_i)A_iU`
    (symmetric :math:`A_i`)."""
    U, A, y = _check_data(U, A, y)
    return (4.0 / A.n) * A._adjoint_times(A._apply_factor(U) - y, U)


def hvp_emp(U, Z, A: Measurements, y) -> np.ndarray:
    r"""Hessian-vector product of the empirical loss:
    :math:`\frac4n\sum_i\big[\langle A_i,UZ^\top+ZU^\top\rangle A_iU+r_iA_iZ\big]`.

    :math:`r_i=\langle A_i,UU^\top\rangle-y_i`.  ``Z`` is (d, k) or a stack (m, d, k).
    """
    U, A, y = _check_data(U, A, y)
    Z = _check_direction(Z, U)
    resid = A._apply_factor(U) - y
    return (4.0 / A.n) * (A.adjoint(A.apply(_sym(U @ np.swapaxes(Z, -1, -2)))) @ U + A.adjoint(resid) @ Z)


def _pop_parts(U, M_star, kind):
    _check_choice(kind, "kind (measurement ensemble)", KINDS)
    U = _check_factor(U)
    M_star = _check_matrix(M_star, "M_star", U.shape[0])
    return U, U @ U.T - M_star


def loss_pop(U, M_star, kind: str = "sym_gauss") -> float:
    r"""Population loss: :math:`\mathbb E\,\mathcal L_{\rm emp}(U)-\sigma^2`.

    ``"sym_gauss"``: :math:`\lVert\Delta\rVert_F^2`; ``"rank_one"`` (Isserlis' theorem):
    :math:`2\lVert\Delta\rVert_F^2+(\mathrm{tr}\Delta)^2`, with :math:`\Delta=UU^\top-M_\star`.
    """
    _, D = _pop_parts(U, M_star, kind)
    value = float(np.sum(D * D))
    return value if kind == "sym_gauss" else 2 * value + float(np.trace(D)) ** 2


def grad_pop(U, M_star, kind: str = "sym_gauss") -> np.ndarray:
    r"""Gradient of the population loss: :math:`4\Delta U` (``"sym_gauss"``) or
    :math:`8\Delta U+4\,\mathrm{tr}(\Delta)U` (``"rank_one"``)."""
    U, D = _pop_parts(U, M_star, kind)
    return 4 * D @ U if kind == "sym_gauss" else 8 * D @ U + 4 * np.trace(D) * U


def hvp_pop(U, Z, M_star, kind: str = "sym_gauss") -> np.ndarray:
    r"""Hessian-vector product of the population loss: :math:`4[(UZ^\top+ZU^\top)U+\Delta Z]` for ``"sym_gauss"``.

    For ``"rank_one"``: :math:`8[(UZ^\top+ZU^\top)U+\Delta Z]+4[2\langle U,Z\rangle U+\mathrm{tr}(\Delta)Z]`.
    ``Z`` is (d, k) or a stack (m, d, k).
    """
    U, D = _pop_parts(U, M_star, kind)
    Z = _check_direction(Z, U)
    first = _sym(U @ np.swapaxes(Z, -1, -2)) @ U + D @ Z
    if kind == "sym_gauss":
        return 4 * first
    inner = np.sum(U * Z, axis=(-2, -1))[..., None, None]
    return 8 * first + 4 * (2 * inner * U + np.trace(D) * Z)


def recovery_error(U, M_star) -> float:
    r"""Recovery error :math:`\lVert UU^\top-M_\star\rVert_F` (invariant under :math:`U\mapsto UO`)."""
    U = _check_factor(U)
    return float(np.linalg.norm(U @ U.T - _check_matrix(M_star, "M_star", U.shape[0])))


# ------------------------------------------------------------------ quadratic network
def quad_net_forward(X, U) -> np.ndarray:
    r"""Two-layer network with quadratic activation: :math:`f(x)=\sum_j(u_j^\top x)^2=x^\top UU^\top x`, per row
    of ``X``."""
    X = check_array(X, "X (inputs)", ndim=2)
    U = _check_factor(U, "U", X.shape[1])
    return np.sum((X @ U) ** 2, axis=1)


def quad_net_loss(X, y, U) -> float:
    r"""Mean squared error of the quadratic network: :math:`\frac1n\sum_i(f(x_i)-y_i)^2` (the empirical loss with
    :math:`A_i=x_ix_i^\top`)."""
    y = check_array(y, "y (labels)", ndim=1)
    pred = quad_net_forward(X, U)
    if y.size != pred.size:
        raise ValueError(f"y must have one label per row of X ({pred.size}), got {y.size}")
    return float(np.mean((pred - y) ** 2))
