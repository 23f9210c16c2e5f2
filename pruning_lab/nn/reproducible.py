"""The same numbers on every x86-64 CPU: torch set up for bit-for-bit reproducible CPU runs.

Training a network amplifies the last bit of every rounding: two CPUs that pick
different SIMD kernels (AVX2, AVX-512, AMX) for the same matrix product end with
visibly different test errors after a few epochs.  :func:`use_reproducible_cpu`
removes every CPU-dependent choice we know of:

* ``MKL_CBWR=COMPATIBLE``: MKL's conditional numerical reproducibility, one code
  path on all Intel-compatible processors (matrix products and their gradients);
* ``ATEN_CPU_CAPABILITY=default``: torch's own kernels (element-wise operations,
  reductions, softmax) in their baseline x86-64 build, not the AVX2/AVX-512 ones;
* oneDNN off (``torch.backends.mkldnn.enabled = False``): convolutions through
  torch's own im2col and MKL's product, whose oneDNN kernels depend on the CPU;
* a fixed number of threads, which fixes the order of every parallel sum.

The first two are read when torch starts, so they must be in the environment
before ``import torch``: the function sets them when torch has not been
imported yet (call it at the top of a notebook) and reports whether they are in
force.  The cost is speed: on a 2-core machine a ResNet-20 step takes about 2×
longer, an MLP step 1.25× (oneDNN's convolutions are the main loss).  The
network chapters call it so that their printed numbers are the same on the
reader's machine, in continuous integration and in the book.  Not covered:
other architectures (ARM) and GPUs.
"""

from __future__ import annotations

import os
import sys

from ..validation import check_int

__all__ = ["REPRODUCIBLE_ENV", "use_reproducible_cpu"]

#: The environment variables that torch and MKL read at start-up.
REPRODUCIBLE_ENV = {"MKL_CBWR": "COMPATIBLE", "ATEN_CPU_CAPABILITY": "default"}


def use_reproducible_cpu(threads: int = 1) -> dict:
    """Set up torch for bit-for-bit reproducible CPU computations; returns what is in force.

    Parameters
    ----------
    threads : int
        Number of intra-op threads (``torch.set_num_threads``); results are reproducible for a fixed
        number, and the book uses 1.

    Returns
    -------
    dict
        ``{"reproducible": bool, "capability": str, "MKL_CBWR": str or None, "threads": int,
        "mkldnn": bool}``; ``reproducible`` is False when torch had already started without the
        environment of :data:`REPRODUCIBLE_ENV` (restart the kernel and call this first).
    """
    threads = check_int(threads, "threads", 1)
    if "torch" not in sys.modules:
        for key, value in REPRODUCIBLE_ENV.items():
            os.environ.setdefault(key, value)
    import torch

    torch.set_num_threads(threads)
    torch.backends.mkldnn.enabled = False
    capability = torch.backends.cpu.get_cpu_capability()
    cbwr = os.environ.get("MKL_CBWR")
    return {
        "reproducible": capability.lower() == "default" and cbwr == "COMPATIBLE",
        "capability": capability,
        "MKL_CBWR": cbwr,
        "threads": torch.get_num_threads(),
        "mkldnn": torch.backends.mkldnn.enabled,
    }
