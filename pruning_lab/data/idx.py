"""The idx file format of MNIST and Fashion-MNIST: read and write unsigned-byte arrays, plain or gzip-compressed.

An idx file (LeCun, Bottou, Bengio & Haffner, 1998) is a header followed by the
array's elements in C order.  The header is the magic number, the four bytes
``0x00 0x00 T D`` where ``T`` is the element type and ``D`` the number of
dimensions, then the ``D`` sizes as big-endian unsigned 32-bit integers.  Only
the type ``T = 0x08`` (unsigned byte), the one of the images and labels of both
data sets, is read and written.  A file whose name ends in ``.gz`` is gzip-
compressed.
"""

from __future__ import annotations

import gzip
import os
import struct
import zlib
from pathlib import Path

import numpy as np

from ..runs import atomic_write

__all__ = ["read_idx", "write_idx"]

IDX_UBYTE = 0x08
_MAX_NDIM = 8  # the data sets use 1 (labels) and 3 (images); anything beyond this is a corrupted header


def _check_path(path, name: str = "path") -> Path:
    if not isinstance(path, (str, os.PathLike)):
        raise TypeError(f"{name} must be a path (str or os.PathLike), got {type(path).__name__}")
    return Path(path).expanduser()


def read_idx_bytes(path) -> bytes:
    """The (decompressed) content of the idx file ``path``; ValueError naming the file if the gzip stream is broken."""
    path = _check_path(path)
    if path.name.endswith(".gz"):
        try:
            with gzip.open(path, "rb") as fh:
                return fh.read()
        except (OSError, EOFError, zlib.error) as err:
            if isinstance(err, FileNotFoundError):
                raise
            raise ValueError(
                f"{path.name}: not a complete gzip file ({type(err).__name__}: {err}); "
                "the download is truncated or corrupted"
            ) from None
    return path.read_bytes()


def parse_idx(data: bytes, name: str = "<bytes>") -> np.ndarray:
    """The uint8 array held by the idx bytes ``data`` (a read-only view); ``name`` is the file named in errors."""
    if len(data) < 4:
        raise ValueError(f"{name}: {len(data)} bytes is too short for an idx header (4-byte magic number)")
    zero, dtype_code, ndim = struct.unpack(">HBB", data[:4])
    if zero != 0:
        raise ValueError(
            f"{name}: bad magic number 0x{data[:4].hex()} (an idx file starts with two zero bytes); "
            "not an idx file, or a compressed file without the .gz suffix"
        )
    if dtype_code != IDX_UBYTE:
        raise ValueError(f"{name}: element type 0x{dtype_code:02x} is not unsigned byte (0x08), the only one read")
    if not 1 <= ndim <= _MAX_NDIM:
        raise ValueError(f"{name}: the header declares {ndim} dimensions; expected 1 to {_MAX_NDIM}")
    header = 4 + 4 * ndim
    if len(data) < header:
        raise ValueError(f"{name}: truncated header: {ndim} dimensions need {header} bytes, the file has {len(data)}")
    shape = struct.unpack(f">{ndim}I", data[4:header])
    size = int(np.prod(shape, dtype=np.int64))
    if len(data) - header != size:
        what = "truncated" if len(data) - header < size else "trailing bytes"
        raise ValueError(
            f"{name}: {what}: the header declares shape {shape} ({size} bytes of data), "
            f"the file holds {len(data) - header}"
        )
    return np.frombuffer(data, dtype=np.uint8, count=size, offset=header).reshape(shape)


def read_idx(path) -> np.ndarray:
    """Read the idx file ``path`` (gzip-compressed if its name ends in ``.gz``) as a uint8 array.

    The header must be the magic number ``0x00 0x00 0x08 D`` with
    :math:`1 \\le D \\le 8` dimensions, followed by the sizes
    :math:`n_1, \\dots, n_D`, and the file must hold exactly
    :math:`\\prod_i n_i` bytes of data after it.  The inverse of
    :func:`write_idx`.

    Returns
    -------
    numpy.ndarray
        A writable uint8 array of shape :math:`(n_1, \\dots, n_D)`.

    Raises
    ------
    FileNotFoundError
        If the file does not exist.
    ValueError
        Naming the file, for a bad magic number, an element type other than
        unsigned byte, a truncated header or data, trailing bytes, or a broken
        gzip stream.
    """
    path = _check_path(path)
    return parse_idx(read_idx_bytes(path), path.name).copy()


def write_idx(path, array) -> Path:
    """Write the uint8 ``array`` (1 to 8 dimensions) as the idx file ``path``, gzip-compressed if it ends in ``.gz``.

    The header is ``0x00 0x00 0x08 D`` and the ``D`` sizes as big-endian
    unsigned 32-bit integers, then the elements in C order; a ``.gz`` file
    gets a gzip stream with a zero time stamp (same array, same bytes).  The
    file is written to a temporary name and renamed, so no half-written file
    is left.  The inverse of :func:`read_idx`.
    """
    path = _check_path(path)
    arr = np.asarray(array)
    if arr.dtype != np.uint8:
        raise ValueError(f"array must be uint8 (the idx element type 0x08), got {arr.dtype}")
    if not 1 <= arr.ndim <= _MAX_NDIM or any(n >= 2**32 for n in arr.shape):
        raise ValueError(f"array must have 1 to {_MAX_NDIM} dimensions, each below 2**32, got shape {arr.shape}")
    payload = struct.pack(f">HBB{arr.ndim}I", 0, IDX_UBYTE, arr.ndim, *arr.shape) + np.ascontiguousarray(arr).tobytes()
    with atomic_write(path) as tmp:
        if path.name.endswith(".gz"):
            with open(tmp, "wb") as raw, gzip.GzipFile(fileobj=raw, mode="wb", filename="", mtime=0) as fh:
                fh.write(payload)
        else:
            tmp.write_bytes(payload)
    return path
