r"""Random-features regression and its equivalent linear problem (Def. 2 of :cite:`chang2021provable`).

A two-layer network whose first layer is fixed at random: inputs
:math:`a\sim\mathcal N(0,I_d)`, features :math:`\phi(a)=\psi(Ra)\in\R^p` with
:math:`R_{ij}\sim\mathcal N(0,1/d)` and activation :math:`\psi` (ReLU by
default), and a quadratic-plus-linear target

.. math:: y=(w^\top a)^2+v^\top a+\sigma_0 z,\qquad \lVert w\rVert=1 .

Least squares on the features is linear regression with *non-Gaussian,
correlated* features.  Its **equivalent linear problem** (ELP) is the linear
Gaussian problem with the same second moments,

.. math::
    \Sigma=\E[\phi\phi^\top],\qquad \beta=\Sigma^{-1}\E[\phi y],\qquad
    \sigma^2=\E[y^2]-\E[\phi y]^\top\Sigma^{-1}\E[\phi y],

for which :math:`\E(y-\phi^\top b)^2=\sigma^2+(b-\beta)^\top\Sigma(b-\beta)`
holds *exactly* for every ``b``: the ELP gives the exact test risk of any
weights.  Treating the features as Gaussian with these moments (a Gaussian
equivalence, checked by simulation) lets the DC of :mod:`pruning_lab.dc`
predict pruning and retraining.  Used in the chapter :doc:`/book/random_features`.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
from scipy import linalg

from ..problems import LinearGaussianProblem
from ..validation import as_rng, check_array, check_int, check_nonnegative

__all__ = [
    "ACTIVATIONS",
    "RandomFeaturesProblem",
    "equivalent_linear_problem",
    "equivalent_linear_problem_mc",
    "relu_feature_moments",
]

#: Activations by name (any callable acting entrywise is accepted too).
ACTIVATIONS = {
    "relu": lambda z: np.maximum(z, 0.0),
    "tanh": np.tanh,
    "abs": np.abs,
}


@dataclass(frozen=True)
class RandomFeaturesProblem:
    r"""Random-features regression: first layer ``R`` (p, d), target directions ``w``, ``v``, label noise.

    Parameters
    ----------
    R : array of shape (p, d)
        The fixed first layer; feature :math:`i` is :math:`\psi(r_i^\top a)`.
    w : array of shape (d,)
        Direction of the quadratic part :math:`(w^\top a)^2`.
    v : array of shape (d,)
        Linear part :math:`v^\top a`.
    noise : float
        Standard deviation :math:`\sigma_0\ge0` of independent label noise.
    activation : str or callable
        ``"relu"`` (closed-form ELP available), ``"tanh"``, ``"abs"`` or an
        entrywise callable (ELP by Monte Carlo).
    """

    R: np.ndarray
    w: np.ndarray
    v: np.ndarray
    noise: float = 0.0
    activation: object = "relu"

    def __post_init__(self):
        R = check_array(self.R, "R (first layer)", ndim=2)
        if R.shape[0] < 1 or R.shape[1] < 1:
            raise ValueError(f"R (first layer) must have at least one row and one column, got shape {R.shape}")
        d = R.shape[1]
        w = check_array(self.w, "w", shape=(d,))
        v = check_array(self.v, "v", shape=(d,))
        if isinstance(self.activation, str) and self.activation not in ACTIVATIONS:
            raise ValueError(f"activation must be one of {sorted(ACTIVATIONS)} or a callable, got {self.activation!r}")
        if not isinstance(self.activation, str) and not callable(self.activation):
            raise ValueError(f"activation must be a name or a callable, got {self.activation!r}")
        for name, value in (("R", R), ("w", w), ("v", v)):
            value = value.copy()
            value.setflags(write=False)
            object.__setattr__(self, name, value)
        object.__setattr__(self, "noise", check_nonnegative(self.noise, "noise (label noise level)"))

    @classmethod
    def draw(
        cls, d: int, p: int, *, v_norm: float = 0.5, noise: float = 0.0, activation="relu", rng=None
    ) -> RandomFeaturesProblem:
        r"""Draw :math:`R_{ij}\sim\mathcal N(0,1/d)`, a uniform unit :math:`w` and :math:`v` of norm ``v_norm``."""
        d, p = check_int(d, "d (input dimension)"), check_int(p, "p (number of features)")
        v_norm = check_nonnegative(v_norm, "v_norm")
        rng = as_rng(rng)
        R = rng.standard_normal((p, d)) / np.sqrt(d)
        w = rng.standard_normal(d)
        v = rng.standard_normal(d)
        return cls(R, w / np.linalg.norm(w), v_norm * v / np.linalg.norm(v), noise, activation)

    @property
    def p(self) -> int:
        """Number of random features (width of the hidden layer)."""
        return self.R.shape[0]

    @property
    def d(self) -> int:
        """Input dimension."""
        return self.R.shape[1]

    def with_width(self, p: int) -> RandomFeaturesProblem:
        """The same problem with only the first ``p`` features: nested models of growing width share their first
        layer."""
        p = check_int(p, "p (number of features)")
        if p > self.p:
            raise ValueError(f"p = {p} exceeds the {self.p} features of this problem")
        return RandomFeaturesProblem(self.R[:p], self.w, self.v, self.noise, self.activation)

    def features(self, A) -> np.ndarray:
        r""":math:`\phi(a)=\psi(Ra)` for each row of ``A`` (shape (n, d)); returns (n, p)."""
        A = check_array(A, "A (inputs)", ndim=2)
        if A.shape[1] != self.d:
            raise ValueError(f"A (inputs) must have {self.d} columns, got shape {A.shape}")
        act = ACTIVATIONS[self.activation] if isinstance(self.activation, str) else self.activation
        return act(A @ self.R.T)

    def target(self, A) -> np.ndarray:
        r"""Noise-free label :math:`(w^\top a)^2+v^\top a` for each row of ``A``."""
        A = check_array(A, "A (inputs)", ndim=2)
        return (A @ self.w) ** 2 + A @ self.v

    def sample(self, n: int, rng=None) -> tuple[np.ndarray, np.ndarray]:
        """Draw ``n`` examples: features ``X`` of shape (n, p) and labels ``y`` of shape (n,)."""
        n, rng = check_int(n, "n (number of samples)"), as_rng(rng)
        A = rng.standard_normal((n, self.d))
        y = self.target(A) + self.noise * rng.standard_normal(n)
        return self.features(A), y

    def test_risk(self, b, n_test: int = 20_000, rng=None, batch: int = 20_000) -> np.ndarray | float:
        r"""Monte Carlo test risk :math:`\E(y-\phi^\top b)^2` on ``n_test`` fresh points (``b``: (p,) or (k, p)).

        The exact value is the ELP risk
        :meth:`~pruning_lab.problems.LinearGaussianProblem.population_risk`;
        this estimate is the independent check of that identity.
        """
        b = check_array(b, "b (weights)", ndim=(1, 2))
        if b.shape[-1] != self.p:
            raise ValueError(f"b (weights) must have {self.p} entries on its last axis, got shape {b.shape}")
        n_test, batch, rng = check_int(n_test, "n_test"), check_int(batch, "batch"), as_rng(rng)
        total = np.zeros(b.shape[:-1])
        for start in range(0, n_test, batch):
            X, y = self.sample(min(batch, n_test - start), rng)
            total = total + np.sum((y[:, None] - X @ np.atleast_2d(b).T) ** 2, axis=0).reshape(total.shape)
        return float(total / n_test) if b.ndim == 1 else total / n_test


def relu_feature_moments(rf: RandomFeaturesProblem) -> tuple[np.ndarray, np.ndarray, float]:
    r"""Closed-form second moments of ReLU random features with the quadratic target (arc-cosine kernel).

    With :math:`\theta_{ij}=\angle(r_i,r_j)` and
    :math:`\rho_i=r_i^\top w/(\lVert r_i\rVert\lVert w\rVert)`,

    .. math::
        \Sigma_{ij}&=\frac{\lVert r_i\rVert\lVert
        r_j\rVert}{2\pi}\big(\sin\theta_{ij}+(\pi-\theta_{ij})\cos\theta_{ij}\big),\\
        \E[\phi_iy]&=\frac{\lVert r_i\rVert\lVert w\rVert^2(1+\rho_i^2)}{\sqrt{2\pi}}+\tfrac12r_i^\top v,\qquad
        \E[y^2]=3\lVert w\rVert^4+\lVert v\rVert^2+\sigma_0^2 .

    Returns ``(Sigma, E[phi y], E[y^2])``.
    """
    if not isinstance(rf, RandomFeaturesProblem):
        raise ValueError(f"rf must be a RandomFeaturesProblem, got {type(rf).__name__}")
    if rf.activation != "relu":
        raise ValueError("the closed-form moments are for ReLU features; use equivalent_linear_problem_mc")
    norms = np.linalg.norm(rf.R, axis=1)
    if np.any(norms == 0):
        raise ValueError("every row of R must be nonzero for the closed-form moments")
    unit = rf.R / norms[:, None]
    cos = np.clip(unit @ unit.T, -1.0, 1.0)
    theta = np.arccos(cos)
    sigma = np.outer(norms, norms) / (2 * np.pi) * (np.sqrt(1.0 - cos**2) + (np.pi - theta) * cos)
    np.fill_diagonal(sigma, 0.5 * norms**2)
    w2 = float(rf.w @ rf.w)
    rho = (unit @ rf.w) / np.sqrt(w2) if w2 > 0 else np.zeros(rf.p)
    cross = norms * w2 * (1.0 + rho**2) / np.sqrt(2 * np.pi) + 0.5 * rf.R @ rf.v
    y2 = 3.0 * w2**2 + float(rf.v @ rf.v) + rf.noise**2
    return sigma, cross, y2


def _elp_from_moments(sigma: np.ndarray, cross: np.ndarray, y2: float) -> LinearGaussianProblem:
    sigma = 0.5 * (sigma + sigma.T)
    singular = ValueError(
        "the feature second-moment matrix is singular: features are linearly dependent "
        "(e.g. repeated rows of R or a zero row); remove duplicates or use fewer features"
    )
    eig = np.linalg.eigvalsh(sigma)
    if not eig[-1] > 0 or eig[0] <= 1e-12 * eig[-1]:
        raise singular
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", linalg.LinAlgWarning)
            beta = linalg.solve(sigma, cross, assume_a="pos")
    except (linalg.LinAlgError, linalg.LinAlgWarning, ValueError):
        raise singular from None
    noise2 = y2 - float(cross @ beta)
    scale = max(y2, 1e-300)
    if noise2 < -1e-8 * scale:
        raise ValueError(f"inconsistent moments: E[y^2] - c^T Sigma^-1 c = {noise2:.3g} < 0")
    return LinearGaussianProblem(beta, np.sqrt(max(noise2, 0.0)), sigma)


def equivalent_linear_problem(rf: RandomFeaturesProblem) -> LinearGaussianProblem:
    r"""The ELP (Def. 2) of ReLU random features with the quadratic target, in closed form.

    Returns the :class:`~pruning_lab.problems.LinearGaussianProblem` with
    :math:`\Sigma=\E\phi\phi^\top`, :math:`\beta=\Sigma^{-1}\E[\phi y]` and noise
    :math:`\sigma^2=\E y^2-\E[\phi y]^\top\beta` from :func:`relu_feature_moments`.
    Its ``population_risk(b)`` is the exact test risk of weights ``b`` on the
    random-features problem.
    """
    if not isinstance(rf, RandomFeaturesProblem):
        raise ValueError(f"rf must be a RandomFeaturesProblem, got {type(rf).__name__}")
    return _elp_from_moments(*relu_feature_moments(rf))


def equivalent_linear_problem_mc(
    rf: RandomFeaturesProblem, samples: int = 200_000, rng=None, batch: int = 20_000
) -> LinearGaussianProblem:
    r"""The ELP (Def. 2) estimated by Monte Carlo, for any activation.

    Averages :math:`\phi\phi^\top`, :math:`\phi y` and :math:`y^2` over
    ``samples`` draws of :math:`a` (in batches of ``batch``, so memory stays
    :math:`O(\text{batch}\cdot p+p^2)`), then forms :math:`\beta` and
    :math:`\sigma^2` as in :func:`equivalent_linear_problem`.  Needs
    ``samples`` well above ``p`` (the estimate of :math:`\Sigma` must be
    invertible and accurate).
    """
    if not isinstance(rf, RandomFeaturesProblem):
        raise ValueError(f"rf must be a RandomFeaturesProblem, got {type(rf).__name__}")
    samples, batch, rng = check_int(samples, "samples"), check_int(batch, "batch"), as_rng(rng)
    if samples < 10 * rf.p:
        raise ValueError(
            f"samples = {samples} is too few to estimate a {rf.p} x {rf.p} second-moment matrix; "
            f"use at least {10 * rf.p}"
        )
    sigma, cross, y2 = np.zeros((rf.p, rf.p)), np.zeros(rf.p), 0.0
    for start in range(0, samples, batch):
        X, y = rf.sample(min(batch, samples - start), rng)
        sigma += X.T @ X
        cross += X.T @ y
        y2 += float(y @ y)
    return _elp_from_moments(sigma / samples, cross / samples, y2 / samples)
