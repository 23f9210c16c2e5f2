r"""Seeded block-pruning sweeps: the MNIST comparison over seeds, a planted block-sparse teacher, and their statistics.

Used in the chapter :doc:`/book/lasso_to_sapp`.  Two experiments compare the block-pruning methods of
:mod:`pruning_lab.nn.block_pruning` (block magnitude + fine-tuning, ACDC, SA++ and the ablation
``"sapp_norm"``) over several seeds:

* :func:`mnist_block_sweep`: the MNIST MLP of :func:`~pruning_lab.nn.block_pruning.block_prune_run`
  at several block sparsities, one record per (seed, sparsity, method) with its configuration, test
  accuracy and per-layer and overall weight sparsity (computed from the masks);
* :func:`teacher_recovery_run`: a linear teacher :math:`y=W^\star x+\varepsilon` whose weight
  :math:`W^\star` is block sparse, so that the right blocks are known; the student (one linear layer)
  is trained with each method to the teacher's block sparsity and scored by the **block recovery
  rate** :math:`\lvert\hat S\cap S^\star\rvert/\lvert S^\star\rvert` (:math:`\hat S` the kept blocks).

:func:`seed_summary` and :func:`paired_difference` give mean :math:`\pm` standard error over seeds
(s.e. = sample standard deviation with ``ddof=1`` over :math:`\sqrt n`); since all methods of one
seed share the initial network and the minibatches, methods are compared by the **paired**
differences over seeds.  The larger MNIST run is a command whose JSON output is committed::

    python -m pruning_lab.nn.block_sweeps mnist --seeds 8 --steps 1000 --out results/sapp/mnist_blocks.json
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from tqdm.auto import tqdm

from ..runs import atomic_write
from ..validation import check_int
from .block_pruning import METHODS, block_prune_run, method_phase_plan, train_block_sparse
from .reproducible import REPRODUCIBLE_ENV, use_reproducible_cpu
from .seqattn import _check_sparsity, attach_block_attention, detach_block_attention

__all__ = [
    "PRUNING_METHODS",
    "RESULTS",
    "BlockTeacher",
    "block_teacher",
    "teacher_recovery_run",
    "teacher_recovery_experiment",
    "mnist_block_run",
    "mnist_block_sweep",
    "seed_summary",
    "paired_difference",
    "load_records",
    "main",
]

#: The pruning methods compared over seeds (all of :data:`~pruning_lab.nn.block_pruning.METHODS` but "dense").
PRUNING_METHODS = ("magnitude", "acdc", "sapp", "sapp_norm")

#: Where the committed result files of the command live (``results/sapp`` of the repository).
RESULTS = Path(__file__).resolve().parents[2] / "results" / "sapp"

_OUTPUTS = ("test_accuracy", "realized_sparsity", "layer_sparsity", "overall_sparsity", "seconds")


# -- statistics over seeds -----------------------------------------------------------------
def _se(x):
    x = np.asarray(x, dtype=float)
    return float(x.std(ddof=1) / np.sqrt(x.size)) if x.size > 1 else float("nan")


def _select(records, **match):
    return sorted((r for r in records if all(r[k] == v for k, v in match.items())), key=lambda r: r["seed"])


def seed_summary(records, metric, **match):
    r"""Mean, standard error and count of ``metric`` over the records matching ``match`` (one per seed).

    s.e. :math:`=\mathrm{std}_{\rm ddof=1}(x)/\sqrt n`.  ``records`` are dicts such as those of
    :func:`mnist_block_sweep`; e.g. ``seed_summary(recs, "test_accuracy", method="sapp", sparsity=0.95)``.
    Used in the chapter :doc:`/book/lasso_to_sapp`.
    """
    rows = _select(records, **match)
    if not rows:
        raise ValueError(f"no record matches {match}")
    x = [r[metric] for r in rows]
    return float(np.mean(x)), _se(x), len(x)


def paired_difference(records, metric, a, b, **match):
    r"""Paired difference of ``metric`` between methods ``a`` and ``b`` over the seeds both ran.

    With :math:`d_i=x_{a,i}-x_{b,i}` for seed :math:`i`, returns ``(mean d, s.e. of d, n, significant)``:
    s.e. :math:`=\mathrm{std}_{\rm ddof=1}(d)/\sqrt n`, and the difference is called significant when
    :math:`\lvert\bar d\rvert>2\,\mathrm{s.e.}` (pairing removes the seed-to-seed variation that both
    methods share: same initial network, same minibatches).  Used in the chapter :doc:`/book/lasso_to_sapp`.
    """
    xa = {r["seed"]: r[metric] for r in _select(records, method=a, **match)}
    xb = {r["seed"]: r[metric] for r in _select(records, method=b, **match)}
    seeds = sorted(set(xa) & set(xb))
    if len(seeds) < 2:
        raise ValueError(f"methods {a!r} and {b!r} share {len(seeds)} seed(s) under {match}; need at least 2")
    d = np.array([xa[s] - xb[s] for s in seeds])
    mean, se = float(d.mean()), _se(d)
    return mean, se, len(seeds), bool(abs(mean) > 2 * se)


# -- the MNIST sweep -----------------------------------------------------------------------
def mnist_block_run(config, data=None):
    """One MNIST block-pruning run as a JSON-ready record: ``config`` (a dict of
    :func:`~pruning_lab.nn.block_pruning.block_prune_run` arguments with ``method``, ``sparsity``,
    ``seed``; the output keys of a stored record are ignored, so a record can be recomputed) plus
    ``test_accuracy``, ``realized_sparsity`` (fraction of blocks removed in the pruned
    layers), ``layer_sparsity`` and ``overall_sparsity`` (fractions of weights removed, from the masks)
    and ``seconds``.  Used in the chapter :doc:`/book/lasso_to_sapp`.
    """
    if not isinstance(config, dict) or not {"method", "sparsity", "seed"} <= set(config):
        raise ValueError(f"config must be a dict with keys method, sparsity and seed, got {config!r}")
    config = {k: v for k, v in config.items() if k not in _OUTPUTS}
    kw = {k: (tuple(v) if isinstance(v, list) else v) for k, v in config.items()}
    r = block_prune_run(kw.pop("method"), kw.pop("sparsity"), data, **kw)
    return {
        **config,
        "test_accuracy": r.test_accuracy,
        "realized_sparsity": r.realized_sparsity,
        "layer_sparsity": r.layer_sparsity,
        "overall_sparsity": r.overall_sparsity,
        "seconds": r.seconds,
    }


def mnist_block_sweep(
    seeds=range(5),
    sparsities=(0.75, 0.9, 0.95),
    methods=("dense", *PRUNING_METHODS),
    *,
    data=None,
    total_steps=1000,
    block=16,
    layers=("2",),
    progress=False,
):
    """Records of :func:`mnist_block_run` for every (seed, sparsity, method); ``"dense"`` runs once per seed.

    Parameters
    ----------
    seeds : iterable of int
        Seeds (initialization and minibatches; every method of a seed shares them).
    sparsities : sequence of float
        Target block sparsities of the pruned layers.
    methods : sequence of str
        Among :data:`~pruning_lab.nn.block_pruning.METHODS`.
    data : pruning_lab.data.Dataset, optional
        Default :func:`pruning_lab.data.load_mnist`.
    total_steps : int
        Training steps of every run.
    block : int
        Block side.
    layers : sequence of str
        The pruned ``nn.Linear`` layers.
    progress : bool
        Show a ``tqdm`` bar over the runs.

    Returns
    -------
    list of dict
    """
    for m in methods:
        if m not in METHODS:
            raise ValueError(f"method must be one of {METHODS}, got {m!r}")
    sparsities = [_check_sparsity(s) for s in sparsities]
    if data is None:
        from ..data import load_mnist

        data = load_mnist()
    base = {"total_steps": check_int(total_steps, "total_steps"), "block": block, "layers": list(layers)}
    configs = [
        {"method": m, "sparsity": 0.0 if m == "dense" else s, "seed": int(seed), **base}
        for seed in seeds
        for i, s in enumerate(sparsities)
        for m in methods
        if m != "dense" or i == 0
    ]
    return [mnist_block_run(c, data) for c in tqdm(configs, desc="runs", disable=not progress)]


def load_records(path):
    """The records stored by ``python -m pruning_lab.nn.block_sweeps`` (a JSON file with ``command`` and ``records``).

    Returns ``(command, records)``.  Used in the chapter :doc:`/book/lasso_to_sapp`.
    """
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"{path} not found: make it with `python -m pruning_lab.nn.block_sweeps` (see --help)")
    payload = json.loads(path.read_text())
    if not isinstance(payload, dict) or "records" not in payload:
        raise ValueError(f"{path} is not a block-sweep result file (no 'records')")
    return payload["command"], payload["records"]


# -- the planted block-sparse teacher ------------------------------------------------------
@dataclass(frozen=True)
class BlockTeacher:
    """Regression data of a linear teacher with a block-sparse weight (:func:`block_teacher`).

    ``X_train, y_train, X_test, y_test`` are float32 arrays; ``weight`` is :math:`W^\\star`
    (out x in) and ``block_mask`` its (rows x cols) boolean block support :math:`S^\\star`.
    """

    X_train: np.ndarray
    y_train: np.ndarray
    X_test: np.ndarray
    y_test: np.ndarray
    weight: np.ndarray
    block_mask: np.ndarray
    block: int


def block_teacher(seed, *, n_in=128, n_out=32, block=8, active=8, n_train=128, n_test=2000, rho=0.5, noise=0.5):
    r"""A linear teacher :math:`y=W^\star x+\sigma\varepsilon` with ``active`` nonzero :math:`B\times B` blocks.

    The support :math:`S^\star` is ``active`` blocks drawn uniformly among the
    :math:`(n_{out}/B)(n_{in}/B)` blocks; each active block is :math:`g_b Z_b/B` with :math:`Z_b`
    standard Gaussian and a block scale :math:`g_b` log-uniform in :math:`[0.25, 1]` (weak blocks are
    hard to find).  Inputs are Gaussian with equicorrelation :math:`\rho` between coordinates; noise
    :math:`\varepsilon\sim\mathcal N(0,I)`.  Everything is drawn from ``numpy.random.default_rng(seed)``.

    Parameters
    ----------
    seed : int
        Seed of the teacher and the data.
    n_in, n_out : int
        Weight shape (out x in); both multiples of ``block``.
    block : int
        Block side :math:`B`.
    active : int
        Number of nonzero blocks, at least 1 and fewer than all.
    n_train, n_test : int
        Training and test sample sizes.
    rho : float
        Equicorrelation of the inputs, in ``[0, 1)``.
    noise : float
        Noise level :math:`\sigma\ge0`.

    Returns
    -------
    BlockTeacher
    """
    block, n_in, n_out = check_int(block, "block"), check_int(n_in, "n_in"), check_int(n_out, "n_out")
    if n_in % block or n_out % block:
        raise ValueError(f"block={block} must divide n_in={n_in} and n_out={n_out}")
    rows, cols = n_out // block, n_in // block
    active = check_int(active, "active", 1, rows * cols - 1)
    if not 0 <= rho < 1 or noise < 0:
        raise ValueError(f"rho must lie in [0, 1) and noise be >= 0, got rho={rho}, noise={noise}")
    rng = np.random.default_rng(seed)
    mask = np.zeros(rows * cols, bool)
    mask[rng.choice(rows * cols, active, replace=False)] = True
    mask = mask.reshape(rows, cols)
    scale = np.exp(rng.uniform(np.log(0.25), 0.0, size=(rows, cols))) * mask
    W = rng.standard_normal((n_out, n_in)) * np.kron(scale, np.ones((block, block))) / block

    def sample(n):
        X = np.sqrt(1 - rho) * rng.standard_normal((n, n_in)) + np.sqrt(rho) * rng.standard_normal((n, 1))
        return X.astype(np.float32), (X @ W.T + noise * rng.standard_normal((n, n_out))).astype(np.float32)

    (Xtr, ytr), (Xte, yte) = sample(check_int(n_train, "n_train")), sample(check_int(n_test, "n_test"))
    return BlockTeacher(Xtr, ytr, Xte, yte, W, mask, block)


def teacher_recovery_run(method, seed, *, total_steps=600, lr=1e-2, logit_lr=None, batch_size=64, **teacher_kw):
    r"""Train a one-layer student on :func:`block_teacher` data with ``method`` and score its blocks.

    The student is ``nn.Linear(n_in, n_out)`` (seeded with ``seed``), pruned in :math:`B\times B` blocks
    to the teacher's block sparsity with the plan of
    :func:`~pruning_lab.nn.block_pruning.method_phase_plan` and the MSE loss.  Returns a dict with
    ``method``, ``seed``, ``recovery`` :math:`=\lvert\hat S\cap S^\star\rvert/\lvert S^\star\rvert`
    (the fraction of the teacher's blocks kept; the student keeps exactly :math:`\lvert S^\star\rvert`),
    the student's ``test_mse`` and the ``oracle_mse`` of least squares on the true support.
    Used in the chapter :doc:`/book/lasso_to_sapp`.

    Parameters
    ----------
    method : str
        One of :data:`PRUNING_METHODS`.
    seed : int
        Seed of the teacher, the data, the student's initialization and the minibatches.
    total_steps : int
        Training steps.
    lr : float
        Adam's peak learning rate.
    logit_lr : float, optional
        Peak learning rate of the attention logits (default ``lr``).
    batch_size : int
        Minibatch size.
    **teacher_kw
        Passed to :func:`block_teacher`.

    Returns
    -------
    dict
    """
    if method not in PRUNING_METHODS:
        raise ValueError(f"method must be one of {PRUNING_METHODS}, got {method!r}")
    t = block_teacher(seed, **teacher_kw)
    rows, cols = t.block_mask.shape
    sparsity = 1 - t.block_mask.sum() / (rows * cols)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(int(seed))
        net = torch.nn.Sequential(torch.nn.Linear(t.X_train.shape[1], t.y_train.shape[1]))
    wrapped = attach_block_attention(net, ("0",), t.block, sparsity, attention=method == "sapp")
    plan = method_phase_plan(method, total_steps)
    train_kw = {"lr": lr, "logit_lr": logit_lr, "batch_size": batch_size, "seed": seed, "loss": "mse"}
    train_block_sparse(wrapped, t.X_train, t.y_train, plan, **train_kw)
    plain, masks = detach_block_attention(wrapped)
    kept = masks["0.weight"][:: t.block, :: t.block].numpy()
    with torch.no_grad():
        pred = plain(torch.as_tensor(t.X_test)).numpy()
    return {
        "method": method,
        "seed": int(seed),
        "recovery": float((kept & t.block_mask).sum() / t.block_mask.sum()),
        "test_mse": float(np.mean((pred - t.y_test) ** 2)),
        "oracle_mse": _oracle_mse(t),
    }


def _oracle_mse(t):
    """Test MSE of least squares (with intercept) restricted to the teacher's own blocks, row block by row block."""
    B, pred = t.block, np.zeros_like(t.y_test, dtype=float)
    ones = lambda X: np.hstack([X, np.ones((len(X), 1))])  # noqa: E731
    for i in range(t.block_mask.shape[0]):
        cols = np.flatnonzero(np.repeat(t.block_mask[i], B))
        out = slice(i * B, (i + 1) * B)
        A, At = ones(t.X_train[:, cols]), ones(t.X_test[:, cols])
        pred[:, out] = At @ np.linalg.lstsq(A, t.y_train[:, out], rcond=None)[0]
    return float(np.mean((pred - t.y_test) ** 2))


def teacher_recovery_experiment(methods=PRUNING_METHODS, seeds=range(5), *, progress=False, **run_kw):
    """Records of :func:`teacher_recovery_run` for every (seed, method); ``run_kw`` are passed on.

    Used in the chapter :doc:`/book/lasso_to_sapp`.
    """
    runs = [(seed, m) for seed in seeds for m in methods]
    return [teacher_recovery_run(m, s, **run_kw) for s, m in tqdm(runs, desc="runs", disable=not progress)]


# -- the command ---------------------------------------------------------------------------
def main(argv=None):
    """Command line: ``python -m pruning_lab.nn.block_sweeps {mnist,teacher} --seeds N --out FILE``.

    Writes ``{"command": ..., "records": [...]}`` as JSON through :func:`pruning_lab.runs.atomic_write`.
    The chapter :doc:`/book/lasso_to_sapp` loads the committed files.
    """
    parser = argparse.ArgumentParser(prog="python -m pruning_lab.nn.block_sweeps", description=main.__doc__)
    parser.add_argument("experiment", choices=("mnist", "teacher"))
    parser.add_argument("--seeds", type=int, default=5, help="seeds 0..N-1")
    parser.add_argument("--steps", type=int, default=1000, help="training steps per run")
    parser.add_argument("--out", required=True, help="output JSON file")
    args = parser.parse_args(argv)
    if not use_reproducible_cpu()["reproducible"]:
        raise RuntimeError(
            "torch started without the reproducible CPU set-up; run the command with the environment "
            + " ".join(f"{k}={v}" for k, v in REPRODUCIBLE_ENV.items())
        )
    seeds = range(args.seeds)
    if args.experiment == "mnist":
        records = mnist_block_sweep(seeds, total_steps=args.steps, progress=True)
    else:
        records = teacher_recovery_experiment(seeds=seeds, total_steps=args.steps, progress=True)
    command = (
        f"python -m pruning_lab.nn.block_sweeps {args.experiment} --seeds {args.seeds} "
        f"--steps {args.steps} --out {args.out}"
    )
    with atomic_write(args.out) as tmp:
        tmp.write_text(json.dumps({"command": command, "records": records}, indent=1) + "\n")
    return records


if __name__ == "__main__":
    if not use_reproducible_cpu()["reproducible"]:  # torch read its environment at import: restart with it
        argv = [sys.executable, "-m", __spec__.name, *sys.argv[1:]]
        os.execve(sys.executable, argv, {**os.environ, **REPRODUCIBLE_ENV})
    main()
