r"""The smooth group Lasso and the regularized matrix-sensing objective.

Over the columns :math:`v_i=Ue_i` of :math:`U\in\mathbb R^{d\times k}`, the group Lasso
:math:`\sum_i\lVert v_i\rVert` is smoothed with a parameter :math:`\beta>0`, in one of two forms:

.. math:: R_\beta(U)=\sum_{i=1}^k\sqrt{\lVert v_i\rVert^2+\beta}\quad(\texttt{"sqrt"}),\qquad
    R_\beta(U)=\sum_{i=1}^k\frac{\lVert v_i\rVert^2}{\sqrt{\lVert v_i\rVert^2+\beta}}\quad(\texttt{"ratio"}),

and added to the mean squared error: :math:`f(U)=\mathcal L(U)+\lambda R_\beta(U)`.  Both forms
are ridge-like for columns shorter than :math:`\sqrt\beta` and Lasso-like for longer ones.  The
objective is our reconstruction, in the spirit of :cite:`rajaraman2023greedy`.  Used in the chapter
:doc:`/book/matrix_sensing`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from weakref import WeakKeyDictionary

import numpy as np

from ..validation import check_array, check_nonnegative
from .model import (
    KINDS,
    Measurements,
    _check_choice,
    _check_count,
    _check_data,
    _check_direction,
    _check_factor,
    _check_matrix,
    _check_measurements,
    _pack,
    _sym,
    _unpack_weighted,
    grad_pop,
    hvp_emp,
    hvp_pop,
    loss_emp,
    loss_pop,
)

__all__ = [
    "FORMS",
    "SensingObjective",
    "grad_reg",
    "group_lasso_smooth",
    "hvp_reg",
    "population_stationary_point",
    "shrunk_column_norms",
]

#: The two smoothings of the group Lasso, ``"sqrt"`` for :math:`\sqrt{\lVert v\rVert^2+\beta}`
#: and ``"ratio"`` for :math:`\lVert v\rVert^2/\sqrt{\lVert v\rVert^2+\beta}`.
FORMS = ("sqrt", "ratio")


#: :math:`P^\top P/n` of each measurement stack, computed once: it depends on the measurements only
#: (their data are read-only), and several objectives on the same data share it.
_GRAMS: WeakKeyDictionary = WeakKeyDictionary()


def _gram_of(A: Measurements, P: np.ndarray) -> np.ndarray:
    G = _GRAMS.get(A)
    if G is None:
        G = P.T @ P / A.n
        G.setflags(write=False)
        _GRAMS[A] = G
    return G


def _check_reg(lam, beta, form):
    _check_choice(form, "form (smoothing of the group Lasso)", FORMS)
    return (check_nonnegative(lam, "lam (regularization strength λ)"), check_nonnegative(beta, "beta (smoothing β)"))


def _penalty(U, beta, form, order):
    r"""Column-wise :math:`h(a)`, :math:`h'(a)`, :math:`h''(a)` (up to ``order``) of
    :math:`R=\sum_ih(\lVert v_i\rVert^2)`."""
    a = np.einsum("ij,ij->j", U, U)
    s = np.sqrt(a + beta)
    if order > 0 and beta == 0 and np.any(a == 0):
        raise ValueError("the group Lasso with beta = 0 is not differentiable at a zero column; use beta > 0")
    if form == "sqrt":
        return s, 0.5 / s if order else None, -0.25 / s**3 if order > 1 else None
    h = a / np.where(s > 0, s, 1.0)
    return h, (a + 2 * beta) / (2 * s**3) if order else None, -(a + 4 * beta) / (4 * s**5) if order > 1 else None


def _reg_grad(U, beta, form):
    return U * (2 * _penalty(U, beta, form, 1)[1])


def _reg_hvp(U, Z, beta, form):
    _, h1, h2 = _penalty(U, beta, form, 2)
    return Z * (2 * h1) + U * (4 * h2 * np.sum(U * Z, axis=-2))[..., None, :]


def group_lasso_smooth(U, beta: float, form: str = "sqrt") -> float:
    r"""Smooth group Lasso over the columns :math:`v_i=Ue_i` of ``U``.

    ``"sqrt"``: :math:`R_\beta(U)=\sum_i\sqrt{\lVert v_i\rVert^2+\beta}`, which is
    :math:`\approx\sqrt\beta+\lVert v\rVert^2/(2\sqrt\beta)` for short columns and :math:`\approx\lVert v\rVert`
    for long ones, and adds :math:`\sqrt\beta` per zero column; ``"ratio"``:
    :math:`\sum_i\lVert v_i\rVert^2/\sqrt{\lVert v_i\rVert^2+\beta}`, zero at :math:`U=0`.
    Both tend to :math:`\sum_i\lVert v_i\rVert` as :math:`\beta\to0`.
    """
    U = _check_factor(U)
    _, beta = _check_reg(0.0, beta, form)
    return float(np.sum(_penalty(U, beta, form, 0)[0]))


def grad_reg(U, beta: float, form: str = "sqrt") -> np.ndarray:
    r"""Gradient of the smooth group Lasso, column by column.

    ``"sqrt"``: :math:`v/\sqrt{\lVert v\rVert^2+\beta}`, i.e. :math:`\nabla R_\beta(U)=UD_\beta^{-1}`;
    ``"ratio"``: :math:`v\,(\lVert v\rVert^2+2\beta)/(\lVert v\rVert^2+\beta)^{3/2}`.
    """
    U = _check_factor(U)
    _, beta = _check_reg(0.0, beta, form)
    return _reg_grad(U, beta, form)


def hvp_reg(U, Z, beta: float, form: str = "sqrt") -> np.ndarray:
    r"""Hessian-vector product of the smooth group Lasso; columns do not interact.

    With :math:`R=\sum_ih(a_i)`, :math:`a_i=\lVert v_i\rVert^2`, column :math:`i` of the product is
    :math:`2h'(a_i)z_i+4h''(a_i)\langle v_i,z_i\rangle v_i`; for ``"sqrt"`` this is
    :math:`\frac1{s_i}\big(I-v_iv_i^\top/s_i^2\big)z_i` with :math:`s_i=\sqrt{a_i+\beta}`.
    ``Z`` is (d, k) or a stack (m, d, k).
    """
    U = _check_factor(U)
    _, beta = _check_reg(0.0, beta, form)
    return _reg_hvp(U, _check_direction(Z, U), beta, form)


@dataclass(frozen=True, eq=False)
class SensingObjective:
    r"""The objective :math:`f(U)=\mathcal L(U)+\lambda R_\beta(U)`: value, gradient, Hessian-vector product.

    Build it with :meth:`empirical` (the empirical loss on data) or :meth:`population` (the population loss);
    ``lam = 0`` gives the plain loss.  When there are more measurements than unknowns of a symmetric
    matrix (:math:`n>D=d(d+1)/2`), the empirical loss is evaluated through its sufficient statistics
    :math:`G=P^\top P/n`, :math:`b=P^\top y/n`, :math:`c=\lVert y\rVert^2/n` (``P`` from
    :meth:`~pruning_lab.sensing.model.Measurements.packed`):
    :math:`\mathcal L_{\rm emp}(U)=m^\top Gm-2b^\top m+c` with :math:`m=\mathrm{triu}(UU^\top)`.  It is
    the same function, at a cost per step independent of :math:`n`.
    """

    lam: float
    beta: float
    form: str
    d: int
    kind: str
    measurements: Measurements | None = field(default=None, repr=False)
    y: np.ndarray | None = field(default=None, repr=False)
    M_star: np.ndarray | None = field(default=None, repr=False)
    gram: tuple | None = field(default=None, repr=False)

    @classmethod
    def empirical(
        cls, A: Measurements, y, lam: float = 0.0, beta: float = 0.0, form: str = "sqrt", compress: bool | None = None
    ) -> SensingObjective:
        """Objective with the empirical loss of measurements ``A`` and observations ``y``.

        ``compress`` forces (True) or forbids (False) the sufficient-statistics form; ``None`` uses it
        when n > d(d+1)/2.
        """
        A = _check_measurements(A)
        _, A, y = _check_data(np.zeros((A.d, 0)), A, y)
        lam, beta = _check_reg(lam, beta, form)
        gram = None
        if compress or (compress is None and A.n > A.d * (A.d + 1) // 2):
            P = A.packed()
            gram = (_gram_of(A, P), P.T @ y / A.n, float(y @ y) / A.n)
        return cls(lam, beta, form, A.d, A.kind, A, np.array(y, copy=True), None, gram)

    @classmethod
    def population(
        cls, M_star, lam: float = 0.0, beta: float = 0.0, form: str = "sqrt", kind: str = "sym_gauss"
    ) -> SensingObjective:
        """Objective with the population loss of the measurement ensemble ``kind``."""
        M_star = _check_matrix(M_star, "M_star")
        _check_choice(kind, "kind (measurement ensemble)", KINDS)
        lam, beta = _check_reg(lam, beta, form)
        return cls(lam, beta, form, M_star.shape[0], kind, None, None, np.array(M_star, copy=True))

    def with_regularizer(self, lam: float, beta: float | None = None) -> SensingObjective:
        """The same data term with another :math:`\\lambda` (and :math:`\\beta`); ``lam = 0`` is the plain loss."""
        lam, beta = _check_reg(lam, self.beta if beta is None else beta, self.form)
        return SensingObjective(
            lam, beta, self.form, self.d, self.kind, self.measurements, self.y, self.M_star, self.gram
        )

    # Public methods check their input; the underscored ones (used by the training loops) do not.
    def loss(self, U) -> float:
        r"""The data term :math:`\mathcal L(U)`."""
        return self._loss(_check_factor(U, "U", self.d))

    def value(self, U) -> float:
        r""":math:`f(U)=\mathcal L(U)+\lambda R_\beta(U)`."""
        return self._value(_check_factor(U, "U", self.d))

    def grad(self, U) -> np.ndarray:
        r""":math:`\nabla f(U)=\nabla\mathcal L(U)+\lambda\nabla R_\beta(U)`."""
        return self._grad(_check_factor(U, "U", self.d))

    def hvp(self, U, Z) -> np.ndarray:
        r""":math:`\nabla^2f(U)[Z]`; ``Z`` is (d, k) or a stack (m, d, k) (one product per slice)."""
        U = _check_factor(U, "U", self.d)
        return self._hvp(U, _check_direction(Z, U))

    def _loss(self, U):
        if self.M_star is not None:
            return loss_pop(U, self.M_star, self.kind)
        if self.gram is None:
            return loss_emp(U, self.measurements, self.y)
        G, b, c = self.gram
        m = _pack(U @ U.T, symmetric=True)
        return float(m @ (G @ m - 2 * b) + c)

    def _value(self, U):
        reg = self.lam * float(np.sum(_penalty(U, self.beta, self.form, 0)[0])) if self.lam else 0.0
        return self._loss(U) + reg

    def _resid_image(self, U):
        r""":math:`\frac1n\sum_ir_iA_i` with :math:`r_i=\langle A_i,UU^\top\rangle-y_i` (empirical loss)."""
        if self.gram is None:
            A = self.measurements
            return A.adjoint(A._apply_factor(U) - self.y) / A.n
        G, b, _ = self.gram
        return _unpack_weighted(G @ _pack(U @ U.T, symmetric=True) - b, self.d)

    def _grad(self, U):
        if self.M_star is not None:
            g = grad_pop(U, self.M_star, self.kind)
        elif self.gram is None and self.kind == "rank_one":
            A = self.measurements
            g = (4.0 / A.n) * A._adjoint_times(A._apply_factor(U) - self.y, U)
        else:
            g = 4 * self._resid_image(U) @ U
        return g + self.lam * _reg_grad(U, self.beta, self.form) if self.lam else g

    def _hvp(self, U, Z):
        if self.M_star is not None:
            h = hvp_pop(U, Z, self.M_star, self.kind)
        elif self.gram is None:
            h = hvp_emp(U, Z, self.measurements, self.y)
        else:
            lin = _unpack_weighted(_pack(_sym(U @ np.swapaxes(Z, -1, -2)), symmetric=True) @ self.gram[0], self.d)
            h = 4 * (lin @ U + self._resid_image(U) @ Z)
        return h + self.lam * _reg_hvp(U, Z, self.beta, self.form) if self.lam else h


# --------------------------------------------------------------- closed forms (our derivation)
def shrunk_column_norms(sing_vals, lam: float, beta: float) -> np.ndarray:
    r"""Norms :math:`c_j` of the surviving columns at the population stationary point (our derivation).

    :math:`c_j` is the largest root of :math:`c^2=(\sigma^\star_j)^2-\lambda/(4\sqrt{c^2+\beta})`
    (form ``"sqrt"``, symmetric Gaussian ensemble), or 0 when there is none (the regularizer kills
    that direction).  In :math:`a=c^2` the difference of the two sides is convex; the root lies between
    its minimizer :math:`a_0=\max((\lambda/8)^{2/3}-\beta,0)` and :math:`(\sigma^\star_j)^2`, and is found
    by bisection, vectorized over :math:`j`.
    """
    s2 = check_array(sing_vals, "sing_vals", ndim=1) ** 2
    lam, beta = _check_reg(lam, beta, "sqrt")

    def g(a):
        return a - s2 + lam / (4 * np.sqrt(a + beta)) if lam else a - s2

    lo = np.full_like(s2, max((lam / 8) ** (2 / 3) - beta, 0.0))
    hi = np.maximum(s2, lo)
    alive = g(lo) <= 0
    for _ in range(200):
        mid = 0.5 * (lo + hi)
        neg = g(mid) <= 0
        lo, hi = np.where(neg, mid, lo), np.where(neg, hi, mid)
    return np.where(alive, np.sqrt(0.5 * (lo + hi)), 0.0)


def population_stationary_point(U_star, lam: float, beta: float, k: int) -> np.ndarray:
    r"""The stationary point :math:`U=[c_1u_1,\dots,c_ru_r,0,\dots,0]\in\mathbb R^{d\times k}` of the population
    objective.

    :math:`u_j` are the eigenvectors of :math:`M_\star=U_\star U_\star^\top`, :math:`c_j` come from
    :func:`shrunk_column_norms`; then :math:`\nabla f_{\rm pop}(U)=0` (form
    ``"sqrt"``, symmetric Gaussian ensemble).
    """
    U_star = _check_factor(U_star, "U_star")
    k = _check_count(k, "k (number of columns)")
    if k < U_star.shape[1]:
        raise ValueError(f"k must be >= r = {U_star.shape[1]} (the rank of the ground truth), got k = {k}")
    Q, s, _ = np.linalg.svd(U_star, full_matrices=False)
    U = np.zeros((U_star.shape[0], k))
    U[:, : s.size] = Q * shrunk_column_norms(s, lam, beta)
    return U
