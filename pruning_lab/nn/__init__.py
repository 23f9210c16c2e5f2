"""Neural-network side of the book (the only part of the package that imports torch).

- :mod:`pruning_lab.nn.masks`: global and layer-wise magnitude and random masks,
  interoperable with :mod:`torch.nn.utils.prune`, and ``strategy_masks``, the masks of a
  pruning *strategy* (``"global"``, ``"layerwise"``, ``"random"``) by sparsity or kept count.
- :mod:`pruning_lab.nn.models`: MLP, LeNet-300-100, ResNet-20 of width k, parameter counts,
  and the registry ``MODELS`` of the named models (constructor and closed-form weight count)
  behind ``build_model``.
- :mod:`pruning_lab.nn.transforms`: batch augmentation (random crop and flip).
- :mod:`pruning_lab.nn.train`: the frozen ``TrainingRecipe`` and the training and evaluation
  loops (masked training).
- :mod:`pruning_lab.nn.batchnorm`: BatchNorm statistics re-estimated after pruning, without training.
- :mod:`pruning_lab.nn.structured`: structured pruning with physical removal (whole neurons of
  MLPs, whole channels of ResNet-20 with option-A or option-B shortcuts), scored by ``"l1"``,
  ``"l2"``, ``"bn"`` or ``"taylor"``; the smaller network equals the masked one, and saves and
  loads at its own sizes.
- :mod:`pruning_lab.nn.oneshot`: one-shot pruning with calibration data (magnitude, Wanda, OBD,
  SparseGPT-style OBS; unstructured and N:M), layer by layer with forward hooks.
- :mod:`pruning_lab.nn.imp`: iterative magnitude pruning with rewinding (lottery tickets).
- :mod:`pruning_lab.nn.gradual`: gradual magnitude pruning during training on the cubic sparsity
  schedule of Zhu & Gupta (2017), masks only shrinking.
- :mod:`pruning_lab.nn.sensitivity`: one-layer sensitivity scans and a per-layer sparsity
  allocation from them (a common threshold on the metric drop) meeting a total sparsity.
- :mod:`pruning_lab.nn.ao_interop`: masks in and out of :mod:`torch.ao.pruning` sparsifiers
  (``WeightNormSparsifier`` parametrizations), including its 2:4 blocks.
- :mod:`pruning_lab.nn.sweeps`: width sweeps (train wide, prune to a base model's size, retrain),
  one frozen run configuration per run, every finished run stored.
- :mod:`pruning_lab.nn.pipeline`: train → prune → retrain over sparsities and strategies.
- :mod:`pruning_lab.nn.seqattn`: SequentialAttention++ block sparsification
  (block attention, block masks, the sparsification schedule);
  :mod:`pruning_lab.nn.block_pruning`: its phase plans and training loop, with the
  block magnitude and ACDC baselines, on an MNIST MLP.
- :mod:`pruning_lab.nn.charlm`: a small causal character-level transformer language model
  (separate ``q``, ``k``, ``v``, ``proj``, ``fc1``, ``fc2`` linear layers per block, the layers a
  one-shot pruner prunes), its training, held-out perplexity, checkpoints and the named run
  ``LM_RUNS``, on Python's pydoc text (:mod:`pruning_lab.data.text`).
- :mod:`pruning_lab.nn.reproducible`: torch set up for the same numbers, bit for bit, on every
  x86-64 CPU (the network chapters call it first).
- :mod:`pruning_lab.nn.measure`: what a pruned network costs on a CPU: parameters (all or
  nonzero), analytical multiply-accumulates per layer, checkpoint bytes, and latency.
- :mod:`pruning_lab.nn.sparse_linear`: linear layers in CSR form, the measured break-even between
  dense and sparse kernels, and ``sparsify_linears``, which converts a layer only where the sparse
  kernel is measured to be faster.
- :mod:`pruning_lab.nn.speed`: stored speed measurements (dense against CSR layers, and the latency
  of the architectures of run stores), written row by row and resumable, for figures that do not
  depend on the machine that builds the book.
- :mod:`pruning_lab.nn.data_selection`: data selection on MNIST digits by clustering-based
  sensitivity sampling (the loss or the gradient norm of an initial model, queried at cluster
  centers only) against uniform sampling, with the curve of accuracy against examples selected.

Importing ``pruning_lab.nn`` itself imports nothing (not even torch); import the modules.
"""
