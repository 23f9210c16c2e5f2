"""Fashion-MNIST (Xiao, Rasul & Vollgraf, 2017): find, verify and load its four official idx files.

The 70,000 images (60,000 training, 10,000 test, 6,000 and 1,000 of each of the
10 classes) are the four files ``train-images-idx3-ubyte``,
``train-labels-idx1-ubyte``, ``t10k-images-idx3-ubyte`` and
``t10k-labels-idx1-ubyte`` of https://github.com/zalandoresearch/fashion-mnist,
plain or gzip-compressed (``.gz``).  :func:`fetch_fashion_mnist` (in
``pruning_lab.data.fetch``) puts them in the default cache directory; nothing
is downloaded here.

The checksums are those of the *decompressed* files, so that any gzip
compression of the same content is accepted (Debian's ``dataset-fashion-mnist``
package re-compresses the files, so the official MD5s of the ``.gz`` files do
not apply to it).  How the pins were obtained: the SHA-256 and sizes were
computed from the files of Debian's package (version
``0.0~git20200523.55506a9-1``); the two label files were checked against the
official ``.gz`` files committed in the upstream repository, whose MD5s are the
published ones (``25c81989df183df01b3e8a0aad5dffbe`` and
``bb300cfdad3c16e7a12a480ee83cd310``) and which decompress to the same bytes;
the SHA-256 of all four decompressed files agree with those listed by several
independent public loaders, and their MD5s with the MD5s of the decompressed
files listed next to the official ``.gz`` MD5s in a torchvision-style loader.
"""

from __future__ import annotations

import functools
import hashlib
import os
from pathlib import Path
from typing import NamedTuple

import numpy as np

from .idx import parse_idx, read_idx_bytes
from .mnist import Dataset, channel_standardize

__all__ = [
    "FASHION_MNIST_ENV",
    "FASHION_MNIST_LABELS",
    "default_fashion_mnist_dir",
    "find_fashion_mnist",
    "load_fashion_mnist",
    "load_fashion_mnist32",
    "read_fashion_mnist",
]

FASHION_MNIST_ENV = "PRUNING_LAB_FASHION_MNIST"
FASHION_MNIST_LABELS = (
    "T-shirt/top",
    "Trouser",
    "Pullover",
    "Dress",
    "Coat",
    "Sandal",
    "Shirt",
    "Sneaker",
    "Bag",
    "Ankle boot",
)


class Pin(NamedTuple):
    """What the official decompressed file holds: byte size, SHA-256, array shape, images per class (labels)."""

    size: int
    sha256: str
    shape: tuple
    per_class: int | None


#: The official files, decompressed (how these were obtained: the module docstring).
PINS = {
    "train-images-idx3-ubyte": Pin(
        47_040_016, "c59f468a2f672dc815687fe0f83887768d799fd8a3f3276145d20f83aa44d888", (60_000, 28, 28), None
    ),
    "train-labels-idx1-ubyte": Pin(
        60_008, "bad3541b69d912435c50bb6ba87bec294ff4f6a2e1246121d8633921760443d9", (60_000,), 6_000
    ),
    "t10k-images-idx3-ubyte": Pin(
        7_840_016, "5b4141f0afbad91edebe8549f8fcffe087ea10ca49f1dbef5c9a5cd8815ce37b", (10_000, 28, 28), None
    ),
    "t10k-labels-idx1-ubyte": Pin(
        10_008, "0402a96d92fd2663957122ceb108a494c5af83dab82d92729df917d7dec38c34", (10_000,), 1_000
    ),
}
#: Where an installed Debian package ``dataset-fashion-mnist`` keeps the files (looked at last).
SYSTEM_DIRS = (Path("/usr/share/datasets/fashion-mnist"),)
_HOWTO = (
    "run 'python -m pruning_lab fetch fashion-mnist' (or 'make data'), which puts the four official "
    "files in the default cache directory; or put train-images-idx3-ubyte, train-labels-idx1-ubyte, "
    "t10k-images-idx3-ubyte and t10k-labels-idx1-ubyte (plain or .gz, from "
    "https://github.com/zalandoresearch/fashion-mnist) in a directory and pass root=<it> or set the "
    f"environment variable {FASHION_MNIST_ENV} to it"
)


def default_fashion_mnist_dir() -> Path:
    """The default cache directory of the files: ``$XDG_CACHE_HOME/pruning_lab/fashion-mnist``.

    ``$XDG_CACHE_HOME`` defaults to ``~/.cache`` (it is ignored unless it is
    an absolute path, as the XDG base directory specification asks).
    """
    cache = os.environ.get("XDG_CACHE_HOME", "")
    base = Path(cache) if cache and Path(cache).is_absolute() else Path.home() / ".cache"
    return base / "pruning_lab" / "fashion-mnist"


def data_file(directory: Path, name: str) -> Path | None:
    """The file ``name`` of ``directory``, plain or else ``.gz``; ``None`` if neither exists."""
    for candidate in (directory / name, directory / f"{name}.gz"):
        if candidate.is_file():
            return candidate
    return None


def _places(root) -> tuple[list[Path], bool]:
    """Directories to look in, and whether they were named explicitly (by ``root`` or the environment)."""
    if root is None:
        root = os.environ.get(FASHION_MNIST_ENV) or None
        if root is None:
            return [default_fashion_mnist_dir(), *SYSTEM_DIRS], False
    if not isinstance(root, (str, os.PathLike)):
        raise TypeError(f"root must be a path (str or os.PathLike) or None, got {type(root).__name__}")
    return [Path(root).expanduser()], True


def find_fashion_mnist(root=None) -> Path | None:
    """The directory holding the four Fashion-MNIST files, or ``None``.

    Looks at ``root``; if it is ``None``, at ``$PRUNING_LAB_FASHION_MNIST``;
    if that is unset too, at :func:`default_fashion_mnist_dir` and then at
    ``/usr/share/datasets/fashion-mnist`` (where Debian's package
    ``dataset-fashion-mnist`` installs them).  A directory counts if it holds
    each file plain or as ``.gz``; nothing is read or checked beyond that.
    """
    places, _ = _places(root)
    for place in places:
        if place.is_dir() and all(data_file(place, name) for name in PINS):
            return place
    return None


def _directory(root) -> Path:
    found = find_fashion_mnist(root)
    if found is not None:
        return found
    places, explicit = _places(root)
    if explicit:
        where = f"in {str(places[0])!r}" if places[0].is_dir() else f"at {str(places[0])!r} (no such directory)"
        raise FileNotFoundError(f"the Fashion-MNIST files were not found {where}: {_HOWTO}")
    raise FileNotFoundError(
        f"the Fashion-MNIST files were not found (root=None, {FASHION_MNIST_ENV} unset; looked in "
        f"{', '.join(repr(str(p)) for p in places)}): {_HOWTO}"
    )


def verify_content(data: bytes, name: str, where: str) -> None:
    """ValueError unless ``data`` is the official decompressed file ``name`` (byte size and SHA-256 of ``PINS``)."""
    pin = PINS[name]
    if len(data) != pin.size:
        raise ValueError(
            f"checksum mismatch for {name} in {where}: {len(data)} bytes decompressed, the official file has "
            f"{pin.size}; fetch the files again, or pass verify_checksums=False to read other files"
        )
    got = hashlib.sha256(data).hexdigest()
    if got != pin.sha256:
        raise ValueError(
            f"checksum mismatch for {name} in {where}: SHA-256 {got} of the decompressed file, the official "
            f"one is {pin.sha256}; fetch the files again, or pass verify_checksums=False to read other files"
        )


def _read_split(directory: Path, split: str, verify: bool) -> tuple[np.ndarray, np.ndarray]:
    """``(images uint8 (N, 28, 28), labels int64)`` of ``split`` ("train" or "t10k"), read-only, after the checks."""
    arrays = {}
    for kind in ("images", "labels"):
        name = f"{split}-{kind}-idx{3 if kind == 'images' else 1}-ubyte"
        path = data_file(directory, name)
        data = read_idx_bytes(path)
        if verify:
            verify_content(data, name, repr(str(directory)))
        arrays[kind] = parse_idx(data, path.name)
        expected = PINS[name].shape if verify else ((None, 28, 28) if kind == "images" else (None,))
        if len(arrays[kind].shape) != len(expected) or any(
            e is not None and e != g for e, g in zip(expected, arrays[kind].shape)
        ):
            shown = tuple("N" if e is None else e for e in expected)
            raise ValueError(f"{path.name}: expected an array of shape {shown}, got {arrays[kind].shape}")
    images, labels = arrays["images"], arrays["labels"]
    if labels.shape[0] != images.shape[0]:
        raise ValueError(f"{split}: {images.shape[0]} images but {labels.shape[0]} labels in {str(directory)!r}")
    if labels.size and labels.max() >= len(FASHION_MNIST_LABELS):
        raise ValueError(f"{split}-labels: labels must lie in 0..9, got a {labels.max()} in {str(directory)!r}")
    labels = labels.astype(np.int64)
    per_class = PINS[f"{split}-labels-idx1-ubyte"].per_class
    counts = np.bincount(labels, minlength=len(FASHION_MNIST_LABELS))
    if verify and not np.all(counts == per_class):
        raise ValueError(f"{split}-labels: expected {per_class} images of each class, got {counts.tolist()}")
    labels.flags.writeable = False
    return images, labels


@functools.lru_cache(maxsize=2)
def _read_cached(directory: str, verify: bool, stamp: tuple):
    """The four arrays of ``directory`` (``stamp``: the files' sizes and times, so that changed files are re-read)."""
    del stamp
    return (*_read_split(Path(directory), "train", verify), *_read_split(Path(directory), "t10k", verify))


def _read(root, verify_checksums: bool):
    if not isinstance(verify_checksums, bool):
        raise TypeError(f"verify_checksums must be True or False, got {verify_checksums!r}")
    directory = _directory(root).resolve()
    files = [data_file(directory, name) for name in PINS]
    stamp = tuple((f.name, f.stat().st_size, f.stat().st_mtime_ns) for f in files)
    return _read_cached(str(directory), verify_checksums, stamp)


def read_fashion_mnist(root=None, *, verify_checksums: bool = True):
    """Read the Fashion-MNIST files as uint8 images and int64 labels (no scaling).

    ``root`` is found as :func:`find_fashion_mnist` says.  With
    ``verify_checksums`` every decompressed file must have the official byte
    size and SHA-256, and each class must have 6,000 training and 1,000 test
    images.  In both cases the image files must hold arrays of shape
    (N, 28, 28) and the label files N labels in 0..9.  The arrays are read
    once per process (and again when the files change); each call returns
    fresh copies.

    Returns
    -------
    tuple
        ``(X_train, y_train, X_test, y_test)``: uint8 images of shape
        (N, 28, 28) and int64 labels.

    Raises
    ------
    FileNotFoundError
        If the files are not there (the message says how to obtain them).
    ValueError
        For a checksum mismatch or a malformed file (naming the file).
    """
    return tuple(a.copy() for a in _read(root, verify_checksums))


def load_fashion_mnist(root=None, *, standardize: bool = True, verify_checksums: bool = True) -> Dataset:
    """Fashion-MNIST as flattened 784-pixel inputs: the official 60,000 / 10,000 train/test split.

    The 28x28 images of :func:`read_fashion_mnist` are flattened row by row
    and scaled to [0, 1]; with ``standardize`` (the default, as in
    :func:`load_mnist`) every pixel :math:`x` is then mapped to
    :math:`(x-\\mu)/\\sigma`, with :math:`\\mu` and :math:`\\sigma` the mean and
    standard deviation of all training pixels (one pair of numbers, so the
    test set is treated exactly like the training set).  The class names are
    ``FASHION_MNIST_LABELS``.

    Returns
    -------
    Dataset
        ``X_train`` of shape (60000, 784) and ``X_test`` of shape (10000, 784),
        float32; int64 labels.

    Raises
    ------
    FileNotFoundError
        If the files are not there (the message says how to obtain them).
    ValueError
        For a checksum mismatch or a malformed file.
    """
    X_train, y_train, X_test, y_test = _read(root, verify_checksums)
    X_train = X_train.reshape(-1, 784).astype(np.float32) / np.float32(255)
    X_test = X_test.reshape(-1, 784).astype(np.float32) / np.float32(255)
    if standardize:
        mean, std = np.float32(X_train.mean(dtype=np.float64)), np.float32(X_train.std(dtype=np.float64))
        X_train = (X_train - mean) / std
        X_test = (X_test - mean) / std
    return Dataset(X_train, y_train.copy(), X_test, y_test.copy(), name="Fashion-MNIST")


def load_fashion_mnist32(root=None, *, verify_checksums: bool = True) -> Dataset:
    """Fashion-MNIST as 3x32x32 images, for the CIFAR-10 models (ResNet-20 with ``in_channels=3``).

    As :func:`load_mnist32` does with the MNIST digits: each 28x28 image is
    zero-padded by 2 pixels on every side to 32x32, repeated over 3 channels
    and per-channel standardized with :func:`channel_standardize`, i.e.
    :math:`(x-\\mu_c)/\\sigma_c` with the training statistics (computed on the
    pixels scaled to [0, 1]).  The split is the official one.  The result
    holds 70,000 x 3,072 float32 numbers (860 MB).

    Returns
    -------
    Dataset
        ``X_train`` of shape (60000, 3, 32, 32) float32, labels int64.
    """
    X_train, y_train, X_test, y_test = _read(root, verify_checksums)
    pad = ((0, 0), (0, 0), (2, 2), (2, 2))
    # the 3 channels are equal, so they are standardized once (one channel) and then repeated
    one_train = np.pad(X_train[:, None].astype(np.float32) / np.float32(255), pad)
    one_test = np.pad(X_test[:, None].astype(np.float32) / np.float32(255), pad)
    one_train, one_test, _, _ = channel_standardize(one_train, one_test)
    return Dataset(
        np.repeat(one_train, 3, axis=1),
        y_train.copy(),
        np.repeat(one_test, 3, axis=1),
        y_test.copy(),
        name="Fashion-MNIST as 3x32x32 (zero-padded, 3 equal channels)",
    )
