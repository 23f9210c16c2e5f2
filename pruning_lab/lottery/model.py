r"""The pruned one-hidden-layer ReLU teacher of "Why lottery ticket wins?" and its training landscape.

A teacher network with :math:`K` ReLU neurons, second-layer weights fixed to
:math:`1/K`, and a sparse first layer :math:`W^*\in\R^{d\times K}` with mask
:math:`M^*` (eq. 1 of :cite:`zhang2021lottery`):

.. math::
    y = g(x;W^*) + \xi,\qquad g(x;W)=\frac1K\sum_{j=1}^K\phi(w_j^\top x),\qquad
    \phi(z)=\max\{z,0\},\qquad x\sim\mathcal N(0,I_d).

A learner with mask :math:`M` (neuron :math:`j` sees the :math:`r_j` inputs
:math:`\Omega_j`) minimizes the empirical risk (eq. 2)
:math:`\hat f_D(W)=\frac1{2N}\sum_n(g(x_n;W)-y_n)^2` subject to
:math:`M\odot W=W` (eq. 3).  This module holds the model (teacher, masks,
data), the risk, its gradient and masked Gauss–Newton Hessian, the effective
pruned width :math:`\tilde r` (eq. 5), and the exact population error through
the arc-cosine kernel.  Training (Algorithm 1) is in
:mod:`pruning_lab.lottery.train`, the sweeps of the chapter :doc:`/book/lottery_tickets` in
:mod:`pruning_lab.lottery.experiments`.
"""

from __future__ import annotations

import numbers
from dataclasses import dataclass

import numpy as np

from ..validation import as_rng, check_array, check_nonnegative
from ..validation import check_int as _check_int  # the name the lottery modules use

__all__ = [
    "LotteryTeacher",
    "check_mask",
    "empirical_risk",
    "local_curvature",
    "make_teacher",
    "masked_hessian",
    "output_rms",
    "population_hessian",
    "population_rmse",
    "r_tilde",
    "relu",
    "relu_kernel",
    "risk_grad",
    "teacher_output",
    "top_curvature",
]


def check_mask(mask, shape=None, name: str = "mask") -> np.ndarray:
    """Return ``mask`` as a boolean ``(d, K)`` array (or a stack ``(B, d, K)``) after checking it.

    Entries must be 0/1 (or booleans) and every neuron (column) must keep at
    least one input, :math:`r_j\\ge1` (a neuron with no input is identically 0).
    """
    arr = np.asarray(mask)
    if arr.ndim not in (2, 3):
        raise ValueError(f"{name} must be a 2-D (d, K) array of 0/1 (or a stack of them), got shape {arr.shape}")
    if shape is not None and arr.shape[-2:] != tuple(shape):
        raise ValueError(f"{name} must have shape {tuple(shape)} (d, K), got {arr.shape[-2:]}")
    if arr.dtype != bool:
        num = check_array(arr, name)
        if not np.all((num == 0) | (num == 1)):
            raise ValueError(f"{name} must contain only 0/1 (or booleans)")
        arr = num.astype(bool)
    if np.any(arr.sum(axis=-2) == 0):
        raise ValueError(f"{name} has a neuron (column) with no unpruned input; every r_j must be >= 1")
    return arr


def _check_weights(W, name: str = "W", d: int | None = None, ndim=2) -> np.ndarray:
    W = check_array(W, name, ndim=ndim)
    if d is not None and W.shape[-2] != d:
        raise ValueError(f"{name} must have d = {d} rows (one per input), got shape {W.shape}")
    return W


_NO_LABELS = object()


def _check_data(X, y=_NO_LABELS):
    X = check_array(X, "X", ndim=2)
    if X.shape[0] < 1:
        raise ValueError("X must contain at least one sample (row)")
    if y is _NO_LABELS:
        return X
    y = check_array(y, "y", ndim=1)
    if y.shape[0] != X.shape[0]:
        raise ValueError(f"y must have one label per row of X ({X.shape[0]}), got {y.shape[0]}")
    return X, y


def relu(z):
    r""":math:`\phi(z)=\max\{z,0\}`, elementwise; its derivative is taken as :math:`\mathbb 1[z>0]` (so 0 at 0)."""
    return np.maximum(z, 0.0)


def teacher_output(X, W) -> np.ndarray:
    r"""Network output :math:`g(x_n;W)=\frac1K\sum_j\phi(w_j^\top x_n)` for every row of ``X`` (eq. 1).

    ``X`` has shape ``(N, d)`` and ``W`` shape ``(d, K)``; returns shape ``(N,)``.
    The output is invariant to permuting the columns (neurons) of ``W``.
    """
    X = _check_data(X)
    W = _check_weights(W, d=X.shape[1])
    return relu(X @ W).mean(axis=1)


def r_tilde(mask) -> float:
    r"""Effective pruned width :math:`\tilde r` of a mask (eq. 5 of :cite:`zhang2021lottery`).

    .. math::
        \tilde r=\frac1{8K^4}\Big(\sum_{j,k=1}^K(1+\delta_{j,k})\sqrt{r_j+r_k}\Big)^2,
        \qquad \delta_{j,k}=\mathbb 1[\Omega_j\cap\Omega_k\neq\emptyset].

    Equal widths :math:`r` with overlapping supports give :math:`\tilde r=r`;
    pairwise disjoint supports give :math:`(K+1)^2r/(4K^2)`.  By Jensen,
    :math:`\tilde r\le r_{\rm ave}` always; the paper's lower bound
    :math:`r_{\rm ave}/8\le\tilde r` (Remark 1.1) holds for moderately
    unequal widths but not for extremely skewed ones (one very wide neuron
    among many narrow ones), see the tests.
    """
    M = check_mask(mask)
    if M.ndim != 2:
        raise ValueError(f"mask must be a single 2-D (d, K) mask, got shape {M.shape}")
    Mf = M.astype(float)
    r = Mf.sum(axis=0)
    delta = (Mf.T @ Mf) > 0
    K = M.shape[1]
    total = np.sum((1.0 + delta) * np.sqrt(r[:, None] + r[None, :]))
    return float(total**2 / (8.0 * K**4))


def relu_kernel(U, V) -> np.ndarray:
    r"""Arc-cosine kernel :math:`k(u,v)=\E[\phi(u^\top x)\phi(v^\top x)]`, :math:`x\sim\mathcal N(0,I)`.

    .. math:: k(u,v)=\frac{\lVert u\rVert\lVert v\rVert}{2\pi}\big(\sin\theta+(\pi-\theta)\cos\theta\big),

    with :math:`\theta` the angle between :math:`u` and :math:`v` (Cho and Saul's
    first-order arc-cosine kernel).  ``U`` is ``(d, K1)``, ``V`` is ``(d, K2)``;
    returns the ``(K1, K2)`` matrix of kernel values between their columns.
    """
    U = check_array(U, "U", ndim=2)
    V = check_array(V, "V", ndim=2, shape=(U.shape[0], None))
    nu, nv = np.linalg.norm(U, axis=0), np.linalg.norm(V, axis=0)
    norms = nu[:, None] * nv[None, :]
    safe = np.where(norms > 0, norms, 1.0)
    cos = np.clip((U.T @ V) / safe, -1.0, 1.0)
    theta = np.arccos(cos)
    return np.where(norms > 0, norms / (2 * np.pi) * (np.sin(theta) + (np.pi - theta) * cos), 0.0)


def output_rms(W) -> float:
    r"""Root mean square :math:`E_y=\sqrt{\E\,g(x;W)^2}` of the noiseless output, exactly (arc-cosine kernel).

    The paper reports label noise as :math:`\sigma/E_y` (§4.1).
    """
    W = _check_weights(W)
    return float(np.sqrt(max(relu_kernel(W, W).sum(), 0.0)) / W.shape[1])


def population_rmse(W, W_star) -> float:
    r"""Exact test RMSE :math:`\sqrt{\E_x\,(g(x;W)-g(x;W^*))^2}` of a learner against the noiseless teacher.

    .. math:: \frac1{K}\Big(\mathbf 1^\top[k(W,W)-2k(W,W^*)+k(W^*,W^*)]\mathbf 1\Big)^{1/2},

    with :func:`relu_kernel` :math:`k`.  This replaces the paper's test RMSE on
    :math:`10^5` fresh samples (§4.2) by its limit, with no Monte Carlo error.
    The learner may have a different number of neurons.
    """
    W_star = _check_weights(W_star, "W_star")
    W = _check_weights(W, d=W_star.shape[0])
    K, Ks = W.shape[1], W_star.shape[1]
    val = (
        relu_kernel(W, W).sum() / K**2
        - 2 * relu_kernel(W, W_star).sum() / (K * Ks)
        + relu_kernel(W_star, W_star).sum() / Ks**2
    )
    return float(np.sqrt(max(val, 0.0)))


@dataclass(frozen=True)
class LotteryTeacher:
    r"""A pruned teacher network :math:`(W^*, M^*)` of eq. (1): first-layer weights and their mask.

    ``weights`` has shape ``(d, K)`` with :math:`M^*\odot W^*=W^*`; ``mask``
    is the boolean oracle mask.  :meth:`sample` draws Gaussian inputs and
    labels :math:`y=g(x;W^*)+\xi` with :math:`\xi\sim\mathcal N(0,\sigma^2)`,
    :math:`\sigma=` ``noise_level`` :math:`\times E_y` (the paper's relative noise level).
    """

    weights: np.ndarray
    mask: np.ndarray

    def __post_init__(self):
        W = _check_weights(self.weights, "weights")
        M = check_mask(self.mask, W.shape)
        if M.ndim != 2:
            raise ValueError(f"mask must be a single (d, K) mask, got shape {M.shape}")
        if np.any(W[~M] != 0):
            raise ValueError("weights must be zero outside the mask (M * W = W)")
        for name, arr in (("weights", W), ("mask", M)):
            arr = arr.copy()
            arr.setflags(write=False)
            object.__setattr__(self, name, arr)

    @property
    def d(self) -> int:
        """Input dimension."""
        return self.weights.shape[0]

    @property
    def K(self) -> int:
        """Number of hidden neurons."""
        return self.weights.shape[1]

    @property
    def widths(self) -> np.ndarray:
        r"""Widths :math:`r_j` of the neurons' supports."""
        return self.mask.sum(axis=0)

    @property
    def r_tilde(self) -> float:
        r"""Effective pruned width :math:`\tilde r` of the oracle mask (eq. 5)."""
        return r_tilde(self.mask)

    def output(self, X) -> np.ndarray:
        """Noiseless teacher output :math:`g(x_n;W^*)` for every row of ``X``."""
        return teacher_output(X, self.weights)

    def sample(self, n: int, rng=None, noise_level: float = 0.0):
        r"""Draw ``n`` samples: ``X`` of shape ``(n, d)`` with i.i.d. :math:`\mathcal N(0,1)` entries and labels ``y``.

        ``noise_level`` is :math:`\sigma/E_y` (0 gives noiseless labels).
        """
        n = _check_int(n, "n (number of samples)")
        noise_level = check_nonnegative(noise_level, "noise_level")
        rng = as_rng(rng)
        X = rng.standard_normal((n, self.d))
        y = self.output(X)
        if noise_level > 0:
            y = y + noise_level * output_rms(self.weights) * rng.standard_normal(n)
        return X, y


def make_teacher(d: int, K: int, r, *, groups: int = 1, spread: float = 0.0, rng=None) -> LotteryTeacher:
    r"""Draw a pruned teacher: supports :math:`\Omega_j` of widths :math:`r_j` and weights :math:`U[-0.5,0.5]` on them.

    Parameters
    ----------
    d, K : int
        Input dimension and number of neurons.
    r : int or sequence of K ints
        Target width.  An int gives every neuron a width drawn uniformly from
        :math:`\{\lceil(1-s)r\rceil,\dots,\lfloor(1+s)r\rfloor\}` with ``s = spread``
        (the paper's Figs. 2 and 4 use :math:`s=0.1`; ``spread=0`` gives all
        :math:`r_j=r`); a sequence fixes the widths.
    groups : int
        The overlap pattern.  Neurons are split into ``groups`` contiguous
        groups; each group draws its own "core" of :math:`\max_{j\in g}r_j`
        inputs, disjoint from the other groups' cores, and each neuron keeps a
        random subset of its group's core.  So :math:`\delta_{j,k}=1` exactly
        when :math:`j,k` are in the same group: ``groups=1`` is the paper's
        almost-complete overlap (all :math:`r_j=r` gives :math:`\tilde r=r`),
        ``groups=K`` gives pairwise disjoint supports.
    spread : float in [0, 1)
        Relative spread of the widths around ``r`` (ignored when ``r`` is a sequence).
    rng : Generator, int or None
        Source of randomness.
    """
    d = _check_int(d, "d (input dimension)")
    K = _check_int(K, "K (number of neurons)")
    groups = _check_int(groups, "groups", 1, K)
    spread = check_nonnegative(spread, "spread")
    if spread >= 1:
        raise ValueError(f"spread must lie in [0, 1), got {spread}")
    rng = as_rng(rng)
    if isinstance(r, numbers.Integral) and not isinstance(r, (bool, np.bool_)):
        r = _check_int(r, "r (neuron width)", 1, d)
        lo, hi = max(1, int(np.ceil((1 - spread) * r - 1e-9))), min(d, int(np.floor((1 + spread) * r + 1e-9)))
        widths = rng.integers(lo, hi + 1, size=K) if spread > 0 else np.full(K, r)
    else:
        widths = np.asarray(r)
        if widths.shape != (K,) or not np.issubdtype(widths.dtype, np.integer):
            raise ValueError(f"r must be an int or a sequence of K = {K} integer widths, got {r!r}")
        if widths.min() < 1 or widths.max() > d:
            raise ValueError(f"every width r_j must lie in 1..d = 1..{d}, got {widths.min()}..{widths.max()}")
    members = np.array_split(np.arange(K), groups)
    cores = [int(widths[m].max()) for m in members]
    if sum(cores) > d:
        raise ValueError(f"{groups} disjoint groups of widths {cores} need d >= {sum(cores)} inputs, got d = {d}")
    perm = rng.permutation(d)
    mask = np.zeros((d, K), dtype=bool)
    start = 0
    for m, size in zip(members, cores):
        core = perm[start : start + size]
        start += size
        for j in m:
            mask[rng.choice(core, size=int(widths[j]), replace=False), j] = True
    weights = np.where(mask, rng.uniform(-0.5, 0.5, size=(d, K)), 0.0)
    return LotteryTeacher(weights, mask)


def empirical_risk(W, X, y) -> float:
    r"""Empirical risk :math:`\hat f_D(W)=\frac1{2N}\sum_n\big(g(x_n;W)-y_n\big)^2` (eq. 2)."""
    X, y = _check_data(X, y)
    r = teacher_output(X, W) - y
    return float(0.5 * np.mean(r**2))


def risk_grad(W, X, y, mask=None) -> np.ndarray:
    r"""Gradient of the empirical risk (our derivation, checked by finite differences in the tests), optionally masked:
    :math:`M\odot\nabla\hat f_D(W)`.

    .. math::
        \nabla_{w_j}\hat f_D(W)=\frac1{NK}\sum_{n=1}^N e_n\,\mathbb 1[w_j^\top x_n>0]\,x_n,\qquad
        e_n=g(x_n;W)-y_n,

    computed for all samples at once as :math:`X^\top(e\odot A)/(NK)`.
    """
    X, y = _check_data(X, y)
    W = _check_weights(W, d=X.shape[1])
    Z = X @ W
    active = Z > 0
    e = relu(Z).mean(axis=1) - y
    G = X.T @ (e[:, None] * active) / (X.shape[0] * W.shape[1])
    if mask is not None:
        G = G * check_mask(mask, W.shape)
    return G


def _gauss_newton_factor(W, X, mask) -> np.ndarray:
    r"""The matrix with rows :math:`v_n/(K\sqrt N)`, so that the masked Hessian is its Gram matrix."""
    X = _check_data(X)
    W = _check_weights(W, d=X.shape[1])
    M = check_mask(mask, W.shape)
    if M.ndim != 2:
        raise ValueError(f"mask must be a single (d, K) mask, got shape {M.shape}")
    active = (X @ W) > 0
    V = np.concatenate([X[:, M[:, j]] * active[:, j : j + 1] for j in range(W.shape[1])], axis=1)
    return V / (W.shape[1] * np.sqrt(X.shape[0]))


def masked_hessian(W, X, mask) -> np.ndarray:
    r"""Gauss–Newton Hessian of :math:`\hat f_D` over the unpruned coordinates (our derivation).

    .. math::
        \nabla^2\hat f_D(W)=\frac1{NK^2}\sum_n v_nv_n^\top,\qquad
        v_n=\big(\mathbb 1[w_j^\top x_n>0]\,x_{n,\Omega_j}\big)_{j=1..K}\in\R^{\sum_j r_j}.

    ReLU has zero second derivative away from its kink, so this is the exact
    Hessian wherever no :math:`w_j^\top x_n=0`; it does not depend on the labels.
    Coordinates are ordered neuron by neuron, inputs increasing within a
    neuron (the order of ``W.T[mask.T]``).  Positive semi-definite by
    construction; Theorem 1 says its eigenvalues lie in
    :math:`[\Theta((1-\varepsilon_0-\varepsilon_1)/K^2),\Theta(1/K)]` near the truth (eq. 7).
    """
    V = _gauss_newton_factor(W, X, mask)
    return V.T @ V


def local_curvature(W, X, mask) -> tuple[float, float]:
    r"""Extreme eigenvalues :math:`(\hat\mu,\hat L)` of :func:`masked_hessian`: the local curvature at ``W``.

    :math:`\hat L/\hat\mu` is the local condition number; :math:`\hat\mu=0`
    when there are fewer samples than free weights.
    """
    eig = np.linalg.eigvalsh(masked_hessian(W, X, mask))
    return float(max(eig[0], 0.0)), float(eig[-1])


def top_curvature(W, X, mask) -> float:
    r""":math:`\hat L`, the largest eigenvalue of :func:`masked_hessian` at ``W``, from the smaller Gram matrix.

    :math:`\hat L=\sigma_{\max}(V)^2` for the stacked :math:`v_n/(K\sqrt N)`, computed from
    :math:`V^\top V` or :math:`VV^\top`, whichever is smaller.  Algorithm 1 with
    ``eta="auto"`` uses :math:`\eta=1/\hat L` at :math:`W^{(0)}`.
    """
    V = _gauss_newton_factor(W, X, mask)
    G = V @ V.T if V.shape[0] < V.shape[1] else V.T @ V
    return float(np.linalg.eigvalsh(G)[-1])


def _pair_moment(u: np.ndarray, v: np.ndarray) -> np.ndarray:
    r"""Closed form of :math:`\E[\mathbb 1(u^\top x>0)\mathbb 1(v^\top x>0)\,xx^\top]` for standard Gaussian x."""
    d = u.shape[0]
    nu, nv = np.linalg.norm(u), np.linalg.norm(v)
    if nu == 0 or nv == 0:
        return np.zeros((d, d))
    e1 = u / nu
    w = v / nv - (e1 @ (v / nv)) * e1
    theta = float(np.arccos(np.clip(e1 @ (v / nv), -1.0, 1.0)))
    if np.linalg.norm(w) < 1e-12:  # parallel (half-space) or antiparallel (empty intersection)
        return np.eye(d) / 2 if theta < np.pi / 2 else np.zeros((d, d))
    e2 = w / np.linalg.norm(w)
    a1, a2 = theta - np.pi / 2, np.pi / 2  # the wedge {u.x > 0, v.x > 0} in the (e1, e2) plane
    width = a2 - a1
    s2 = np.sin(2 * a2) - np.sin(2 * a1)
    cc, ss, sc = width / 2 + s2 / 4, width / 2 - s2 / 4, (np.cos(2 * a1) - np.cos(2 * a2)) / 4
    Q = np.stack([e1, e2], axis=1)
    inside = Q @ (np.array([[cc, sc], [sc, ss]]) / np.pi) @ Q.T
    return width / (2 * np.pi) * (np.eye(d) - Q @ Q.T) + inside


def population_hessian(W, mask) -> np.ndarray:
    r"""Population Gauss–Newton Hessian :math:`\E_x` of :func:`masked_hessian` (the limit :math:`N\to\infty`), exactly.

    Block :math:`(j,k)` is :math:`\frac1{K^2}\E[\mathbb 1(w_j^\top x>0)\mathbb 1(w_k^\top x>0)\,
    x_{\Omega_j}x_{\Omega_k}^\top]`.  With :math:`\theta` the angle between
    :math:`w_j,w_k` and :math:`P` the projector on their span, the expectation
    is :math:`\frac{\pi-\theta}{2\pi}(I-P)` plus the second moment of a 2-D
    Gaussian over the wedge of angle :math:`\pi-\theta` (our derivation, checked
    against Monte Carlo in the tests).  Theorem 1 bounds the empirical Hessian
    by this one up to :math:`\varepsilon_1=\Theta(\sqrt{\tilde r/N})` (on the
    :math:`1/K^2` scale of eq. 7).
    """
    W = _check_weights(W)
    M = check_mask(mask, W.shape)
    if M.ndim != 2:
        raise ValueError(f"mask must be a single (d, K) mask, got shape {M.shape}")
    K = W.shape[1]
    idx = [np.flatnonzero(M[:, j]) for j in range(K)]
    offsets = np.concatenate([[0], np.cumsum([len(i) for i in idx])])
    H = np.zeros((offsets[-1], offsets[-1]))
    for j in range(K):
        for k in range(j, K):
            block = _pair_moment(W[:, j], W[:, k])[np.ix_(idx[j], idx[k])] / K**2
            H[offsets[j] : offsets[j + 1], offsets[k] : offsets[k + 1]] = block
            H[offsets[k] : offsets[k + 1], offsets[j] : offsets[j + 1]] = block.T
    return H
