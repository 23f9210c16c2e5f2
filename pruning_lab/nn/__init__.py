"""Neural-network side of the book (the only part of the package that imports torch).

- :mod:`pruning_lab.nn.masks`: global and layer-wise magnitude and random masks,
  interoperable with :mod:`torch.nn.utils.prune`.
- :mod:`pruning_lab.nn.models`: small models used by the chapters.
"""
