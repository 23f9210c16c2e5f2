"""Tests of pruning_lab.nn.reproducible: the same trained weights whatever SIMD kernels the CPU offers.

A different CPU is simulated by restricting the instruction sets MKL and oneDNN may use
(``MKL_ENABLE_INSTRUCTIONS``, ``ONEDNN_MAX_CPU_ISA``), each run in a fresh interpreter.  With
:func:`use_reproducible_cpu` called first, an MLP and a ResNet-20 trained for a few steps have
bit-identical weights under every restriction; without it (the control), torch's own AVX kernels
and oneDNN's convolutions make the weights differ, so the test would notice if the settings
stopped mattering or stopped working.
"""

import os
import subprocess
import sys

import pytest

pytest.importorskip("torch")

SCRIPT = """
import hashlib, sys
reproducible = sys.argv[1] == "1"
if reproducible:
    from pruning_lab.nn.reproducible import use_reproducible_cpu
    info = use_reproducible_cpu()
    assert info["reproducible"], info
import numpy as np
import torch
torch.set_num_threads(1)
from pruning_lab.nn.models import build_model
from pruning_lab.nn.train import TrainingRecipe, train_classifier
rng = np.random.default_rng(0)
X, X_img = rng.standard_normal((256, 64)).astype(np.float32), rng.standard_normal((64, 3, 32, 32)).astype(np.float32)
y, y_img = (X[:, 0] > 0).astype(np.int64), rng.integers(0, 10, 64)
mlp = build_model("fc2", 32, in_features=64, seed=0)
train_classifier(mlp, X, y, TrainingRecipe(epochs=2, lr=0.1, lr_schedule="cosine", batch_size=32))
net = build_model("resnet20", 2, seed=0)
train_classifier(net, X_img, y_img, TrainingRecipe(epochs=1, lr=0.05, batch_size=32))
digest = hashlib.sha256(b"".join(p.detach().numpy().tobytes() for m in (mlp, net) for p in m.parameters()))
print(digest.hexdigest())
"""

CPUS = {
    "native": {},
    "avx2": {"MKL_ENABLE_INSTRUCTIONS": "AVX2", "ONEDNN_MAX_CPU_ISA": "AVX2"},
    "sse4": {"MKL_ENABLE_INSTRUCTIONS": "SSE4_2", "ONEDNN_MAX_CPU_ISA": "SSE41"},
}


def _digest(reproducible: bool, cpu: dict) -> str:
    env = {k: v for k, v in os.environ.items() if k not in ("MKL_CBWR", "ATEN_CPU_CAPABILITY")} | cpu
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT, "1" if reproducible else "0"],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout.strip()


@pytest.mark.slow
def test_trained_weights_are_identical_on_simulated_cpus():
    digests = {name: _digest(True, cpu) for name, cpu in CPUS.items()}
    assert len(set(digests.values())) == 1, digests
    # the control: without the settings, restricting the instruction sets changes the weights
    control = {name: _digest(False, cpu) for name, cpu in CPUS.items()}
    assert len(set(control.values())) > 1, control


def test_use_reproducible_cpu_reports_when_torch_started_without_it():
    code = (
        "import torch\nfrom pruning_lab.nn.reproducible import use_reproducible_cpu\n"
        "print(use_reproducible_cpu(threads=2))"
    )
    env = {k: v for k, v in os.environ.items() if k not in ("MKL_CBWR", "ATEN_CPU_CAPABILITY")}
    done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    info = eval(done.stdout)  # a dict literal of str, bool and int
    assert info["threads"] == 2 and info["mkldnn"] is False and info["MKL_CBWR"] is None
    assert info["reproducible"] is (info["capability"].lower() == "default")  # False on any SIMD-capable CPU


def test_use_reproducible_cpu_rejects_bad_threads():
    from pruning_lab.nn.reproducible import use_reproducible_cpu

    with pytest.raises(ValueError, match="threads"):
        use_reproducible_cpu(threads=0)
