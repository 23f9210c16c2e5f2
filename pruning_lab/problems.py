r"""Data models of the book: the linear Gaussian problem and its covariances.

The **linear Gaussian problem** (LGP, Definition 1 of the distributional
characterization paper :cite:`chang2021provable`) draws a feature vector
:math:`x \sim \mathcal N(0, \Sigma)` and a label

.. math:: y = x^\top \beta + \sigma z, \qquad z \sim \mathcal N(0, 1).

Its population (test) risk has the exact closed form

.. math:: \mathcal L(b) = \mathbb E (y - x^\top b)^2 = \sigma^2 + (b-\beta)^\top \Sigma (b-\beta).

Used in the chapters :doc:`/book/pruning_strategies` and :doc:`/book/predicting_pruning`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .validation import (
    as_rng,
    check_array,
    check_covariance,
    check_int,
    check_nonnegative,
    check_support,
)

__all__ = [
    "LinearGaussianProblem",
    "diagonal_spiked_covariance",
    "equicorrelated_covariance",
    "rank_one_spiked_covariance",
]


def _readonly(a: np.ndarray) -> np.ndarray:
    a = np.array(a, dtype=float, copy=True)
    a.setflags(write=False)
    return a


@dataclass(frozen=True, eq=False)
class LinearGaussianProblem:
    r"""The linear Gaussian problem :math:`x\sim\mathcal N(0,\Sigma)`, :math:`y=x^\top\beta+\sigma z`.

    Parameters
    ----------
    beta : array of shape (p,)
        Latent vector :math:`\beta`.
    sigma : float
        Noise level :math:`\sigma \ge 0`.
    covariance : array of shape (p,) or (p, p)
        :math:`\Sigma`: a 1-D array is its diagonal (uncorrelated features,
        stored in O(p) memory); a 2-D array is a full positive semi-definite
        matrix (correlated features).

    Notes
    -----
    The object is immutable; its arrays are read-only copies.  Randomness
    comes only from the ``rng`` passed to :meth:`sample`.
    """

    beta: np.ndarray
    sigma: float
    covariance: np.ndarray
    _factor: np.ndarray | None = field(default=None, init=False, repr=False, compare=False)
    _eig: tuple | None = field(default=None, init=False, repr=False, compare=False)
    _sb: np.ndarray | None = field(default=None, init=False, repr=False, compare=False)

    def __post_init__(self):
        beta = check_array(self.beta, "beta", ndim=1)
        if beta.size == 0:
            raise ValueError("beta must have at least one entry (p >= 1)")
        sigma = check_nonnegative(self.sigma, "sigma (noise level)")
        cov = check_covariance(self.covariance, beta.size, "covariance")
        object.__setattr__(self, "beta", _readonly(beta))
        object.__setattr__(self, "sigma", sigma)
        object.__setattr__(self, "covariance", _readonly(cov))

    def _decompose(self):
        """Eigen-decomposition of a full Sigma, computed on first use (sampling, rotation) and kept."""
        if self._eig is None:
            cov = self.covariance
            lam, vec = np.linalg.eigh(cov)
            lam = np.where(lam > cov.shape[0] * np.finfo(float).eps * max(lam[-1], 0.0), lam, 0.0)
            # Symmetric square root-like factor F with F F^T = Sigma; round-off eigenvalues are zero,
            # so a singular Sigma stays singular.
            object.__setattr__(self, "_factor", _readonly(vec * np.sqrt(lam)))
            object.__setattr__(self, "_eig", (_readonly(lam), _readonly(vec)))
        return self._eig

    # ----------------------------------------------------------------- basics
    @property
    def p(self) -> int:
        """Number of features."""
        return self.beta.size

    @property
    def is_diagonal(self) -> bool:
        """True when :math:`\\Sigma` is stored as its diagonal (uncorrelated features)."""
        return self.covariance.ndim == 1

    def covariance_diag(self) -> np.ndarray:
        r"""The diagonal :math:`(\Sigma_{11},\dots,\Sigma_{pp})`."""
        return self.covariance if self.is_diagonal else np.diag(self.covariance).copy()

    def eigh(self) -> tuple[np.ndarray, np.ndarray | None]:
        r"""Eigen-decomposition :math:`\Sigma=V\mathrm{diag}(\lambda)V^\top` (ascending :math:`\lambda`, read-only).

        Eigenvalues at round-off level are set to zero.  For a diagonal
        :math:`\Sigma` this returns ``(diagonal, None)``: the basis is the
        identity.  Computed on first use and kept.
        """
        return (self.covariance, None) if self.is_diagonal else self._decompose()

    def covariance_matrix(self) -> np.ndarray:
        r"""The full :math:`p\times p` matrix :math:`\Sigma` (allocates p² numbers)."""
        return np.diag(self.covariance) if self.is_diagonal else self.covariance.copy()

    def _cov_times(self, v: np.ndarray) -> np.ndarray:
        """Sigma @ v along the last axis of ``v``."""
        if self.is_diagonal:
            return v * self.covariance
        return v @ self.covariance  # Sigma is symmetric

    # --------------------------------------------------------------- sampling
    def sample(self, n: int, rng=None) -> tuple[np.ndarray, np.ndarray]:
        """Draw ``n`` i.i.d. examples.

        Parameters
        ----------
        n : int
            Number of samples (>= 1).
        rng : numpy.random.Generator or int or None
            Source of randomness; the same seed gives the same data.

        Returns
        -------
        X : array of shape (n, p)
        y : array of shape (n,)
        """
        if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1:
            raise ValueError(f"n (number of samples) must be a positive integer, got {n!r}")
        rng = as_rng(rng)
        g = rng.standard_normal((int(n), self.p))
        if not self.is_diagonal:
            self._decompose()
        X = g * np.sqrt(self.covariance) if self.is_diagonal else g @ self._factor.T
        y = X @ self.beta + self.sigma * rng.standard_normal(int(n))
        return X, y

    # ------------------------------------------------------------------ risks
    def population_risk(self, b) -> np.ndarray | float:
        r"""Exact test risk :math:`\mathcal L(b)=\sigma^2+(b-\beta)^\top\Sigma(b-\beta)`.

        ``b`` may be a single weight vector of shape (p,) (returns a float) or a
        stack of shape (k, p) (returns an array of k risks).
        """
        b = check_array(b, "b (weights)", ndim=(1, 2))
        if b.shape[-1] != self.p:
            raise ValueError(f"b (weights) must have {self.p} entries on its last axis, got shape {b.shape}")
        d = b - self.beta
        risk = self.sigma**2 + np.sum(d * self._cov_times(d), axis=-1)
        return float(risk) if b.ndim == 1 else risk

    def null_risk(self) -> float:
        r"""Risk of the zero model, :math:`\sigma^2+\beta^\top\Sigma\beta` (the variance of y)."""
        return self.population_risk(np.zeros(self.p))

    def oracle_saliency(self) -> np.ndarray:
        r"""Population saliency :math:`\Sigma_{ii}\beta_i^2` (eq. 4 of :cite:`chang2021provable`)."""
        return self.covariance_diag() * self.beta**2

    # ------------------------------------------------------------- restriction
    def restricted_noise(self, support) -> float:
        r"""Effective noise :math:`\sigma_\Delta^2` of the features in ``support`` (Def. 5).

        .. math:: \sigma_\Delta^2=\sigma^2+\beta^\top\Sigma\beta
                  -(\Sigma\beta)_\Delta^\top\Sigma_{\Delta\Delta}^{-1}(\Sigma\beta)_\Delta

        The smallest risk a model using only the features in ``support`` can
        reach; the same number as ``restrict(support).sigma ** 2``, without
        building the restricted problem.
        """
        return self._restricted_parts(support)[2]

    def _restricted_parts(self, support):
        idx = check_support(support, self.p)
        if idx.size == 0:
            raise ValueError("support must keep at least one feature")
        if self.is_diagonal:
            lam = self.covariance[idx]
            if np.any(lam <= 0):
                raise ValueError("restricted covariance is singular: a kept feature has zero variance")
            dropped = np.ones(self.p, dtype=bool)
            dropped[idx] = False
            noise2 = self.sigma**2 + float(np.sum(self.covariance[dropped] * self.beta[dropped] ** 2))
            return idx, self.beta[idx], noise2
        cov_dd = self.covariance[np.ix_(idx, idx)]
        c = self._sigma_beta()[idx]
        try:
            beta_star = np.linalg.solve(cov_dd, c)
        except np.linalg.LinAlgError:
            raise ValueError("restricted covariance is singular on this support") from None
        noise2 = max(self.sigma**2 + self.signal_variance() - float(c @ beta_star), 0.0)
        return idx, beta_star, noise2

    def _sigma_beta(self) -> np.ndarray:
        if self._sb is None:
            object.__setattr__(self, "_sb", _readonly(self._cov_times(self.beta)))
        return self._sb

    def signal_variance(self) -> float:
        r""":math:`\beta^\top\Sigma\beta`, the variance of the noise-free label."""
        return float(self.beta @ self._sigma_beta())

    def restrict(self, support) -> LinearGaussianProblem:
        r"""The LGP seen by a model that uses only the features in ``support`` (Def. 5).

        Returns the problem with covariance :math:`\Sigma_{\Delta\Delta}`,
        latent vector :math:`\beta^\star_\Delta=\Sigma_{\Delta\Delta}^{-1}(\Sigma\beta)_\Delta`
        (the best predictor on those features) and noise
        :math:`\sigma_\Delta^2=\sigma^2+\beta^\top\Sigma\beta-(\Sigma\beta)_\Delta^\top\Sigma_{\Delta\Delta}^{-1}(\Sigma\beta)_\Delta`,
        so that :math:`\mathcal L(b)` of any ``b`` supported on Δ equals the
        restricted problem's risk of :math:`b_\Delta`.
        """
        idx, beta_star, noise2 = self._restricted_parts(support)
        cov = self.covariance[idx] if self.is_diagonal else self.covariance[np.ix_(idx, idx)]
        return LinearGaussianProblem(beta_star, np.sqrt(noise2), cov)

    # ------------------------------------------------------------ constructors
    @classmethod
    def isotropic(cls, beta, sigma: float) -> LinearGaussianProblem:
        r"""LGP with :math:`\Sigma=I`."""
        beta = check_array(beta, "beta", ndim=1)
        return cls(beta, sigma, np.ones(beta.size))

    @classmethod
    def spiked(
        cls,
        p: int,
        n_spike: int,
        *,
        spike: float = 10.0,
        beta_spike: float = 0.1,
        beta_bulk: float = 0.0,
        sigma: float = 0.5,
        rho: float = 0.0,
    ) -> LinearGaussianProblem:
        r"""Spiked problem: ``n_spike`` strong features, then a bulk, optionally correlated.

        Feature :math:`i` has variance ``spike`` (:math:`i<` ``n_spike``) or 1,
        and latent weight ``beta_spike`` or ``beta_bulk``.  With ``rho > 0`` all
        features are equicorrelated:
        :math:`\Sigma=D^{1/2}\big((1-\rho)I+\rho\mathbf 1\mathbf 1^\top\big)D^{1/2}`
        with :math:`D` the diagonal of variances; ``rho = 0`` stores the
        diagonal only.  The first experiment (E1) of the chapter
        :doc:`/book/predicting_pruning` is ``spiked(1000, 100, beta_bulk=0.5/30)``.
        """
        lam = diagonal_spiked_covariance(p, n_spike, spike)
        beta = np.full(int(p), float(beta_bulk))
        beta[: int(n_spike)] = beta_spike
        rho = check_nonnegative(rho, "rho (correlation)")
        if rho == 0.0:
            return cls(beta, sigma, lam)
        root = np.sqrt(lam)
        return cls(beta, sigma, root[:, None] * equicorrelated_covariance(p, rho) * root[None, :])


def diagonal_spiked_covariance(p: int, n_spike: int, spike: float, bulk: float = 1.0) -> np.ndarray:
    r"""Diagonal of the spiked covariance: :math:`\Sigma_{ii}=` ``spike`` for the first ``n_spike`` features, ``bulk``
    after.

    This is the "spiked diagonal" covariance of the DC paper's linear
    experiments; returned as a 1-D array (the diagonal).
    """
    p = check_int(p, "p")
    n_spike = check_int(n_spike, "n_spike", 0, p)
    spike = check_nonnegative(spike, "spike")
    bulk = check_nonnegative(bulk, "bulk")
    lam = np.full(int(p), bulk)
    lam[: int(n_spike)] = spike
    return lam


def rank_one_spiked_covariance(u, theta: float, bulk: float = 1.0) -> np.ndarray:
    r"""Rank-one spiked covariance :math:`\Sigma=\text{bulk}\cdot I+\theta\,uu^\top/\lVert u\rVert^2`.

    The direction ``u`` is normalized; ``theta >= 0`` is the spike strength.
    """
    u = check_array(u, "u", ndim=1)
    norm = np.linalg.norm(u)
    if norm == 0:
        raise ValueError("u (spike direction) must be a nonzero vector")
    theta = check_nonnegative(theta, "theta (spike strength)")
    bulk = check_nonnegative(bulk, "bulk")
    u = u / norm
    return bulk * np.eye(u.size) + theta * np.outer(u, u)


def equicorrelated_covariance(p: int, rho: float) -> np.ndarray:
    r"""Equicorrelated covariance :math:`\Sigma=(1-\rho)I+\rho\mathbf 1\mathbf 1^\top`, with :math:`0\le\rho\le1`.

    Every feature has variance 1 and every pair correlation ``rho``; ``rho = 1``
    gives perfectly correlated features (Lemma 1 of :cite:`chang2021provable`).
    """
    p = check_int(p, "p")
    rho = check_nonnegative(rho, "rho (correlation)")
    if rho > 1:
        raise ValueError(f"rho (correlation) must lie in [0, 1], got {rho}")
    return (1.0 - rho) * np.eye(int(p)) + rho * np.ones((int(p), int(p)))
