"""Tests of pruning_lab.data: the MNIST subset and the stratified split."""

import numpy as np
import pytest

from pruning_lab.data import load_mnist, stratified_split


@pytest.fixture(scope="module")
def mnist():
    return load_mnist(test_fraction=0.2, seed=0)


def test_mnist_shapes_and_types(mnist):
    assert mnist.X_train.shape == (4000, 784) and mnist.X_test.shape == (1000, 784)
    assert mnist.X_train.dtype == np.float32 and mnist.y_train.dtype == np.int64
    assert mnist.n_classes == 10


def test_mnist_split_is_stratified(mnist):
    # 500 digits per class in the subset: 400 train / 100 test each.
    assert np.all(np.bincount(mnist.y_train, minlength=10) == 400)
    assert np.all(np.bincount(mnist.y_test, minlength=10) == 100)


def test_mnist_standardized_with_training_statistics(mnist):
    assert abs(float(mnist.X_train.mean())) < 1e-4
    assert abs(float(mnist.X_train.std()) - 1.0) < 1e-3
    # The test set is transformed with the training statistics, so its moments are close but not exact.
    assert abs(float(mnist.X_test.mean())) < 0.05


def test_mnist_deterministic_and_seed_dependent():
    a, b, c = load_mnist(seed=0), load_mnist(seed=0), load_mnist(seed=1)
    np.testing.assert_array_equal(a.X_test, b.X_test)
    assert not np.array_equal(a.y_test, c.y_test) or not np.array_equal(a.X_test, c.X_test)


def test_stratified_split_partitions_indices():
    y = np.repeat(np.arange(3), [10, 20, 30])
    train, test = stratified_split(y, 0.3, rng=5)
    assert np.intersect1d(train, test).size == 0
    assert np.union1d(train, test).size == y.size
    assert list(np.bincount(y[test])) == [3, 6, 9]


@pytest.mark.parametrize("fraction", [0.0, 1.0, -0.1, 1.5])
def test_stratified_split_rejects_bad_fraction(fraction):
    with pytest.raises(ValueError, match="test_fraction"):
        stratified_split(np.zeros(10), fraction)


def test_stratified_split_rejects_bad_labels():
    with pytest.raises(ValueError, match="1-D"):
        stratified_split(np.zeros((3, 3)), 0.5)
