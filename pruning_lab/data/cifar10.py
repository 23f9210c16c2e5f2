"""CIFAR-10 (Krizhevsky, 2009) from its official ``cifar-10-batches-py`` directory: find, verify, read, write.

The files are Python pickles.  They are read by a restricted unpickler that only
rebuilds dicts, lists, bytes, ints and numpy arrays (no other global can be
loaded, so a tampered file cannot run code), after their MD5 checksums have been
compared with the official ones.  Nothing is downloaded.
"""

from __future__ import annotations

import codecs
import hashlib
import os
import pickle
import re
from pathlib import Path

import numpy as np

from ..validation import check_int
from .mnist import Dataset, channel_standardize

__all__ = [
    "CIFAR10_ENV",
    "CIFAR10_LABELS",
    "find_cifar10",
    "load_cifar10",
    "read_cifar10_batches",
    "write_cifar10_batches",
]

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
            raise pickle.UnpicklingError(
                f"refusing to load the global {module}.{name}: a CIFAR-10 batch "
                "holds only dicts, lists, bytes, ints and numpy arrays"
            ) from None


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
            raise FileNotFoundError(
                f"no CIFAR-10 location given (root=None and {CIFAR10_ENV} is not set): {_CIFAR10_HOWTO}"
            )
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
            raise ValueError(
                f"unexpected file {f.name!r} in {str(path)!r}: the training batches are named "
                "data_batch_1, data_batch_2, ..."
            )
        numbers.append(int(match.group(1)))
    n = 5 if verify_checksums else max(numbers, default=1)
    if numbers and max(numbers) > n:
        raise ValueError(
            f"{str(path)!r} holds data_batch_{max(numbers)}, but the official CIFAR-10 set has "
            "data_batch_1..5; pass verify_checksums=False to read files in a different layout"
        )
    train = [f"data_batch_{k}" for k in range(1, n + 1)]
    missing = [f for f in [*train, "test_batch", "batches.meta"] if not (path / f).is_file()]
    if missing:
        raise FileNotFoundError(
            f"CIFAR-10 file(s) {', '.join(missing)} missing in {str(path)!r}; "
            f"expected data_batch_1..{n}, test_batch and batches.meta: {_CIFAR10_HOWTO}"
        )
    return train


def _unpickle(path: Path) -> dict:
    try:
        with open(path, "rb") as fh:
            obj = _BatchUnpickler(fh, encoding="bytes").load()
    except Exception as err:  # truncated, corrupted, or a forbidden global
        raise ValueError(
            f"{path.name} could not be read as a CIFAR-10 pickle ({type(err).__name__}: {err}); "
            f"the file is truncated, corrupted or not a CIFAR-10 batch: {_CIFAR10_HOWTO}"
        ) from None
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
        raise ValueError(
            f"{path.name}: b'data' must be a uint8 array of shape (N, 3072), got "
            f"{getattr(data, 'dtype', type(data).__name__)} of shape {getattr(data, 'shape', '?')}"
        )
    if labels.ndim != 1 or labels.size != data.shape[0] or (labels.size and labels.dtype.kind not in "iu"):
        raise ValueError(
            f"{path.name}: b'labels' must be {data.shape[0]} integers (one per image), "
            f"got {labels.dtype} of shape {labels.shape}"
        )
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
                raise ValueError(
                    f"checksum mismatch for {name} in {str(path)!r}: MD5 {got}, the official file "
                    f"has {expected}; re-extract the official archive, or pass "
                    "verify_checksums=False to read files that are not the official ones"
                )
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
    chapter :doc:`/book/resnet_cifar` (ResNet-20 width sweep).

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


def write_cifar10_batches(
    directory, X, labels, *, n_train_batches: int = 5, n_test=None, label_names=CIFAR10_LABELS
) -> Path:
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
    files["batches.meta"] = {
        b"num_cases_per_batch": int(chunks[0].size),
        b"label_names": [n.encode() for n in names],
        b"num_vis": 3072,
    }
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
