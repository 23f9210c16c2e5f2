r"""The exact asymptotic error of least squares over factored low-rank matrices (our derivation).

**Matrix sensing is linear regression with an isotropic design.**  Write a symmetric
:math:`D\in\mathbb R^{d\times d}` in the coordinates
:math:`\mathrm{vec}(D)=(D_{jj},\ \sqrt2D_{jl}\ (j<l))\in\mathbb R^{d(d+1)/2}`, so that
:math:`\lVert D\rVert_F=\lVert\mathrm{vec}(D)\rVert`.  For the symmetric Gaussian ensemble
:math:`A=\tfrac12(G+G^\top)` (diagonal :math:`\mathcal N(0,1)`, off-diagonal :math:`\mathcal N(0,\tfrac12)`),
:math:`\langle A,D\rangle=a^\top\mathrm{vec}(D)` with :math:`a\sim\mathcal N(0,I_{d(d+1)/2})`.  So
:math:`y_i=\langle A_i,M_\star\rangle+\varepsilon_i` is a linear regression with isotropic Gaussian
design, and fitting :math:`M=UU^\top` restricts the parameter to a set :math:`\mathcal S_k` of matrices.

**k = r columns: a manifold of dimension** :math:`m=rd-r(r-1)/2`.  With :math:`U\in\mathbb R^{d\times r}`,
:math:`\mathcal S_r` is the manifold of rank-:math:`r` positive semi-definite matrices: :math:`rd`
entries of :math:`U`, less the :math:`r(r-1)/2` dimensions of the rotations :math:`U\mapsto UO` that
leave :math:`UU^\top` unchanged (:func:`~pruning_lab.sensing.train.min_measurements`).  As
:math:`n\to\infty` (:math:`d,r` fixed) the least-squares estimate :math:`\hat M` tends to :math:`M_\star`,
and to first order it is the least-squares fit in the tangent space
:math:`T=\{U_\star Z^\top+ZU_\star^\top\}` (dimension :math:`m`); the curvature of the manifold enters
only at order :math:`1/n` in :math:`\hat M-M_\star`.  In an orthonormal basis of :math:`T` the design
rows are :math:`\mathcal N(0,I_m)`, hence

.. math:: \mathbb E\lVert\hat M-M_\star\rVert_F^2=\sigma^2\,\mathbb E\,\mathrm{tr}(X_T^\top X_T)^{-1}
    =\frac{\sigma^2m}{n-m-1}=\frac{\sigma^2m}{n}\big(1+O(m/n)\big),

the first equality exact for the linearized problem (the mean of an inverse Wishart matrix).  The
error is therefore :math:`\sigma\sqrt{m/n}`: the constant is exactly 1, and the dimension is
:math:`m=rd-r(r-1)/2`, not :math:`rd`.  It is the error of prune + fine-tune, and of the :math:`k=r`
model trained directly, whenever they reach the least-squares fit near :math:`M_\star`.  For rank-one
measurements :math:`A=xx^\top` (a quadratic network) the design is not isotropic:
:math:`\mathbb E\langle A,D\rangle^2=2\lVert D\rVert_F^2+(\mathrm{tr}D)^2`, so the information on
:math:`T` is :math:`2I+tt^\top` with :math:`t=\mathrm{vec}(P_\star)`, :math:`P_\star` the projector on the
range of :math:`M_\star` (:math:`\lVert t\rVert^2=r`), and
:math:`n\,\mathbb E\lVert\hat M-M_\star\rVert_F^2\to\sigma^2\big(\tfrac{m-1}2+\tfrac1{r+2}\big)`.

**k > r columns, no regularizer: a cone.**  The set :math:`\mathcal S_k` of positive semi-definite
matrices of rank at most :math:`k` is not a manifold at :math:`M_\star`.  In the basis (range of
:math:`M_\star`, its complement) its tangent cone is :math:`T` plus the block
:math:`\{C\succeq0,\ \mathrm{rank}\,C\le k-r\}` on the :math:`(d-r)`-dimensional complement
(the Schur complement :math:`C-B^\top A^{-1}B` is second order).  The estimate is asymptotically the
projection of the Gaussian noise :math:`\sigma/\sqrt n\cdot\mathcal N(0,I)` on this cone
(as for maximum likelihood at the boundary of a parameter set, :cite:`self1987asymptotic`); the
projection of a symmetric Gaussian :math:`W` of the ensemble, of size :math:`(d-r)`, on the block keeps
its :math:`k-r` largest positive eigenvalues.  Hence

.. math:: n\,\mathbb E\lVert\hat M-M_\star\rVert_F^2\to\sigma^2\big(m+c_k\big),\qquad
    c_k=\mathbb E\sum_{i\le k-r}\lambda_i(W)_+^2,

with :math:`c_r=0` and, for :math:`k\ge d`, :math:`c_k=\tfrac12\mathbb E\lVert W\rVert_F^2=(d-r)(d-r+1)/4`
(:math:`W` and :math:`-W` have the same law).  In between, :func:`overfit_dimension` estimates
:math:`c_k` by Monte Carlo.  Plain gradient descent with :math:`k` columns converges to this fit: the
noise it fits on the complement is what makes it worse than the :math:`r`-column model.

The oracle error :math:`\sigma^2\dim T/n` of low-rank recovery is the yardstick of
:cite:`candes2011tight`.  The chapter :doc:`/book/matrix_sensing` checks both formulas against
simulation (and ``tests/test_sensing.py`` with stated tolerances).
"""

from __future__ import annotations

import numpy as np

from ..validation import as_rng, check_int, check_nonnegative
from .model import KINDS, _check_choice
from .train import min_measurements

__all__ = ["asymptotic_error", "overfit_dimension"]


def _check_sizes(d, r, k):
    d = check_int(d, "d (matrix size)")
    r = check_int(r, "r (rank of the ground truth)")
    if r > d:
        raise ValueError(f"the rank r must be <= d, got r = {r} > d = {d}")
    k = r if k is None else check_int(k, "k (number of columns)")
    if k < r:
        raise ValueError(f"k = {k} columns cannot fit a rank-{r} ground truth: need k >= r = {r}")
    return d, r, k


def overfit_dimension(d: int, r: int, k: int, *, samples: int = 20000, rng=0) -> float:
    r"""The extra dimensions :math:`c_k=\mathbb E\sum_{i\le k-r}\lambda_i(W)_+^2` fitted by :math:`k>r` columns.

    :math:`W` is a :math:`(d-r)\times(d-r)` symmetric Gaussian matrix of the measurement ensemble
    (diagonal :math:`\mathcal N(0,1)`, off-diagonal :math:`\mathcal N(0,\tfrac12)`) and :math:`\lambda_i`
    its eigenvalues, largest first.  Exact for :math:`k=r` (0) and :math:`k\ge d`
    (:math:`(d-r)(d-r+1)/4`); otherwise the mean over ``samples`` seeded draws (standard error about
    :math:`0.1` for the reference setting and the default 20000).  Used in the chapter
    :doc:`/book/matrix_sensing`.
    """
    d, r, k = _check_sizes(d, r, k)
    samples = check_int(samples, "samples")
    q, keep = d - r, k - r
    if keep == 0 or q == 0:
        return 0.0
    if keep >= q:
        return q * (q + 1) / 4
    rng, total, done = as_rng(rng), 0.0, 0
    while done < samples:
        batch = min(2000, samples - done)
        G = rng.standard_normal((batch, q, q))
        top = np.linalg.eigvalsh(0.5 * (G + np.swapaxes(G, 1, 2)))[:, ::-1][:, :keep]
        total += float(np.sum(np.maximum(top, 0.0) ** 2))
        done += batch
    return total / samples


def asymptotic_error(
    d: int,
    r: int,
    n: int,
    noise_sigma: float,
    k: int | None = None,
    *,
    kind: str = "sym_gauss",
    finite_n: bool = False,
    samples: int = 20000,
    rng=0,
) -> float:
    r"""Root mean square error :math:`\sqrt{\mathbb E\lVert\hat M-M_\star\rVert_F^2}` of least squares over
    :math:`M=UU^\top`, :math:`U\in\mathbb R^{d\times k}`, to leading order in :math:`1/n`.

    :math:`\sigma\sqrt{(m+c_k)/n}` with :math:`m=rd-r(r-1)/2` and :math:`c_k` from
    :func:`overfit_dimension` (0 for :math:`k=r`); ``finite_n=True`` (only for :math:`k=r`) gives the
    exact error of the linearized problem, :math:`\sigma\sqrt{m/(n-m-1)}`.  For ``kind="rank_one"``
    (only :math:`k=r`, asymptotic) it is :math:`\sigma\sqrt{((m-1)/2+1/(r+2))/n}`.  The derivation is in
    the module docstring.  Used in the chapter :doc:`/book/matrix_sensing`.

    Parameters
    ----------
    d : int
        Size of the measured matrix.
    r : int
        Rank of the ground truth, ``1 <= r <= d``.
    n : int
        Number of measurements, at least :math:`m` (more than :math:`m+1` with ``finite_n``).
    noise_sigma : float
        Noise level :math:`\sigma\ge0`.
    k : int or None
        Number of columns of the fitted factor, ``k >= r`` (``None``: ``r``).
    kind : str
        Measurement ensemble, ``"sym_gauss"`` or ``"rank_one"``.
    finite_n : bool
        Use the finite-:math:`n` value :math:`m/(n-m-1)` of the linearized problem (``k = r``,
        ``"sym_gauss"`` only).
    samples : int
        Monte Carlo draws for :math:`c_k` when :math:`r<k<d`.
    rng : numpy.random.Generator or int or None
        Randomness of those draws.

    Returns
    -------
    float
        The predicted root mean square recovery error.
    """
    d, r, k = _check_sizes(d, r, k)
    _check_choice(kind, "kind (measurement ensemble)", KINDS)
    sigma = check_nonnegative(noise_sigma, "noise_sigma")
    m = min_measurements(d, r)
    n = check_int(n, "n (number of measurements)")
    if n < m:
        raise ValueError(f"n = {n} is below the {m} degrees of freedom r d - r(r-1)/2 of the rank-{r} model")
    if kind == "rank_one" or finite_n:
        if k != r:
            raise ValueError(f"k must equal r = {r} for kind='rank_one' or finite_n=True (got k = {k})")
        if kind == "rank_one":
            if finite_n:
                raise ValueError("finite_n=True is available only for kind='sym_gauss'")
            return sigma * float(np.sqrt(((m - 1) / 2 + 1 / (r + 2)) / n))
        if n <= m + 1:
            raise ValueError(f"finite_n=True needs n > m + 1 = {m + 1}, got n = {n}")
        return sigma * float(np.sqrt(m / (n - m - 1)))
    return sigma * float(np.sqrt((m + overfit_dimension(d, r, k, samples=samples, rng=rng)) / n))
