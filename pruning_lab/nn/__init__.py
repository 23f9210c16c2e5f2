"""Neural-network side of the book (the only part of the package that imports torch).

- :mod:`pruning_lab.nn.masks`: global and layer-wise magnitude and random masks,
  interoperable with :mod:`torch.nn.utils.prune`.
- :mod:`pruning_lab.nn.models`: MLP, LeNet-300-100, ResNet-20 of width k,
  parameter counts and ``build_model``.
- :mod:`pruning_lab.nn.transforms`: batch augmentation (random crop and flip).
- :mod:`pruning_lab.nn.train`: training and evaluation loops (masked training).
- :mod:`pruning_lab.nn.imp`: iterative magnitude pruning with rewinding (lottery tickets).
- :mod:`pruning_lab.nn.sweeps`: width sweeps (train wide, prune to a base model's size, retrain)
  that store every finished run.
- :mod:`pruning_lab.nn.pipeline`: train → prune → retrain over sparsities.
- :mod:`pruning_lab.nn.seqattn`: SequentialAttention++ block sparsification
  (block attention, block masks, the sparsification schedule);
  :mod:`pruning_lab.nn.block_pruning`: its phase plans and training loop, with the
  block magnitude and ACDC baselines, on an MNIST MLP.
"""
