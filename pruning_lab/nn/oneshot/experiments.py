r"""The experiments of the chapter :doc:`/book/oneshot_pruning`: one-shot pruning of real networks.

- :func:`run_mlp_oneshot`: LeNet-300-100 trained on MNIST (one model per seed), pruned one-shot
  with a calibration set of training images drawn with the same seed, at several sparsities
  and N:M patterns, by every strategy (each layer the same fraction) and by global magnitude;
  test accuracy before and after a short masked retraining.  An N:M pattern is applied to the
  layers whose number of inputs is a multiple of ``m`` (LeNet-300-100 under 4:8: the first
  layer only, 88 % of the weights); the others stay dense, and the ``kept`` column says so.
- :func:`run_lm_oneshot`: the character-level language model of :mod:`pruning_lab.nn.charlm`,
  its block linears pruned one-shot; held-out perplexity (:func:`lm_command`, the command
  ``python -m pruning_lab oneshot-lm``, runs it and writes a JSON file).

A *setting* is a label with a pattern: ``"50%"`` (unstructured, half of every row removed),
``"2:4"``, ``"4:8"``.  Rows of results are flat dicts, summarized by :func:`summarize`
(mean and standard error over seeds, ``ddof=1``).
"""

from __future__ import annotations

import copy
import json
import math
import platform
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch

from ...runs import atomic_write
from ...validation import check_int
from .. import masks as M
from ..models import LeNet300100
from ..train import TrainingRecipe, accuracy, train_classifier, zero_pruned_weights
from .calibration import oneshot_prune

__all__ = [
    "LM_DEFAULTS",
    "MLPOneShotExperiment",
    "calibration_set",
    "calibration_size_sweep",
    "single_layer_diagnostic",
    "lm_command",
    "parse_setting",
    "run_lm_oneshot",
    "run_mlp_oneshot",
    "summarize",
    "train_dense",
]


def parse_setting(setting: str) -> dict:
    """``"70%"`` → ``{"sparsity": 0.7}``; ``"2:4"`` → ``{"pattern": "2:4"}`` (keyword arguments of the pruners)."""
    if isinstance(setting, str) and setting.endswith("%"):
        try:
            value = float(setting[:-1]) / 100
        except ValueError:
            value = math.nan
        if 0 <= value <= 1:
            return {"sparsity": value}
    elif isinstance(setting, str) and ":" in setting:
        return {"pattern": setting}
    raise ValueError(f'setting must be a percentage such as "70%" or an n:m pattern such as "2:4", got {setting!r}')


@dataclass(frozen=True)
class MLPOneShotExperiment:
    """The MLP experiment: what is trained, how it is pruned and retrained.

    Attributes
    ----------
    seeds : tuple of int
        One dense model and one calibration draw per seed.
    settings : tuple of str
        Sparsities (``"90%"``) and N:M patterns (``"2:4"``).
    strategies : tuple of str
        One-shot strategies (:data:`pruning_lab.layerwise.STRATEGIES`); ``"global"`` adds global
        magnitude over all layers and ``"sparsegpt_global"`` SparseGPT with the per-layer
        fractions of the global magnitude mask and per-layer counts (``scope="layer"``: rows
        keep different numbers, as under global magnitude) (unstructured settings only; for N:M the global
        mask is the layer-wise one).
    n_calibration : int
        Training images in the calibration set (a quarter of the 4,000 by default).
    recipe : TrainingRecipe
        Training of the dense model.
    retrain : TrainingRecipe
        The short masked retraining after pruning.
    """

    seeds: tuple = (0, 1, 2)
    settings: tuple = ("50%", "70%", "80%", "90%", "95%", "4:8", "2:4")
    strategies: tuple = ("magnitude", "wanda", "sparsegpt", "global", "sparsegpt_global")
    n_calibration: int = 1024
    recipe: TrainingRecipe = field(
        default_factory=lambda: TrainingRecipe(epochs=10, lr=0.05, batch_size=128, momentum=0.9)
    )
    retrain: TrainingRecipe = field(default_factory=lambda: TrainingRecipe(epochs=1, lr=0.01, batch_size=128))

    def __post_init__(self):
        for s in self.settings:
            parse_setting(s)
        known = ("magnitude", "wanda", "obd", "sparsegpt", "global", "sparsegpt_global")
        for m in self.strategies:
            if m not in known:
                raise ValueError(f"strategies: unknown strategy {m!r}; expected some of {', '.join(known)}")
        check_int(self.n_calibration, "n_calibration")
        if not self.seeds:
            raise ValueError("seeds must name at least one seed")


def train_dense(data, recipe: TrainingRecipe, seed: int):
    """LeNet-300-100 initialized with ``seed`` and trained by ``recipe`` (its seed replaced by ``seed``)."""
    torch.manual_seed(seed)
    model = LeNet300100(in_features=data.X_train.shape[1], num_classes=data.n_classes)
    train_classifier(model, data.X_train, data.y_train, recipe.replace(seed=seed))
    return model


def calibration_set(X, n: int, seed: int) -> torch.Tensor:
    """``n`` rows of ``X`` drawn without replacement by ``numpy.random.default_rng(seed)``."""
    n = check_int(n, "n (calibration samples)", 1, len(X))
    idx = np.random.default_rng(seed).choice(len(X), size=n, replace=False)
    return torch.as_tensor(np.asarray(X)[np.sort(idx)], dtype=torch.float32)


def _prune(dense, strategy, setting, X_cal):
    model = copy.deepcopy(dense)
    kwargs = parse_setting(setting)
    if strategy == "global":
        masks = M.strategy_masks(model, "global", **kwargs)
        zero_pruned_weights(model, masks)
        return model, masks, None
    if strategy == "sparsegpt_global":  # SparseGPT with global magnitude's fraction in each layer
        glob = M.strategy_masks(model, "global", **kwargs)
        fractions = {name.rsplit(".", 1)[0]: 1 - float(m.float().mean()) for name, m in glob.items()}
        res = oneshot_prune(model, X_cal, "sparsegpt", sparsity=fractions, layers=list(fractions), scope="layer")
        return model, res.masks, res.errors
    layers = None
    if "pattern" in kwargs:  # N:M only where the inputs split into groups of m; other layers stay dense
        m = int(setting.split(":")[1])
        layers = [
            n for n, mod in model.named_modules() if isinstance(mod, torch.nn.Linear) and mod.in_features % m == 0
        ]
    res = oneshot_prune(model, X_cal, strategy, layers=layers, **kwargs)
    masks = {
        name: res.masks.get(name, torch.ones_like(p, dtype=torch.bool))
        for name, p in M.prunable_parameters(model).items()
    }
    return model, masks, res.errors


def run_mlp_oneshot(exp: MLPOneShotExperiment, data, *, progress=None) -> list:
    """Every (seed, setting, strategy) of ``exp`` on ``data`` (a :class:`pruning_lab.data.Dataset`).

    Returns rows ``{"seed", "setting", "strategy", "retrained", "accuracy", "kept",
    "mean_layer_error"}`` (``kept``: fraction of the prunable weights kept;
    ``mean_layer_error``: the mean over the pruned layers of their relative reconstruction error
    on the calibration inputs, NaN for global magnitude), plus dense rows per seed.  ``progress``: an
    optional callable given a short message after each seed.
    """
    if not isinstance(exp, MLPOneShotExperiment):
        raise TypeError(f"exp must be an MLPOneShotExperiment, got {type(exp).__name__}")
    rows = []
    for seed in exp.seeds:
        dense = train_dense(data, exp.recipe, seed)
        acc = accuracy(dense, data.X_test, data.y_test)
        rows += [
            dict(seed=seed, setting="0%", strategy="dense", retrained=r, accuracy=acc, kept=1.0, mean_layer_error=0.0)
            for r in (0, 1)
        ]
        X_cal = calibration_set(data.X_train, exp.n_calibration, seed)
        for setting in exp.settings:
            for strategy in exp.strategies:
                if strategy in ("global", "sparsegpt_global") and ":" in setting:
                    continue
                model, masks, errors = _prune(dense, strategy, setting, X_cal)
                kept = float(sum(int(m.sum()) for m in masks.values()) / sum(m.numel() for m in masks.values()))
                layer_error = math.nan if errors is None else float(np.mean(list(errors.values())))
                row = dict(seed=seed, setting=setting, strategy=strategy, kept=kept, mean_layer_error=layer_error)
                rows.append({**row, "retrained": 0, "accuracy": accuracy(model, data.X_test, data.y_test)})
                train_classifier(model, data.X_train, data.y_train, exp.retrain.replace(seed=seed), masks=masks)
                rows.append({**row, "retrained": 1, "accuracy": accuracy(model, data.X_test, data.y_test)})
        if progress is not None:
            progress(f"seed {seed} done")
    return rows


def summarize(rows, metric: str = "accuracy", keys=("setting", "strategy", "retrained")) -> dict:
    """``{key tuple: (mean, standard error, count)}`` of ``metric`` over the rows (s.e. with ``ddof=1``)."""
    groups: dict = {}
    for row in rows:
        groups.setdefault(tuple(row[k] for k in keys), []).append(float(row[metric]))
    out = {}
    for key, values in groups.items():
        v = np.asarray(values)
        se = float(v.std(ddof=1) / np.sqrt(v.size)) if v.size > 1 else math.nan
        out[key] = (float(v.mean()), se, int(v.size))
    return out


#: The language-model experiment of the chapter, with the seeds of the calibration draws, the
#: settings, the strategies and the calibration windows (each ``context`` characters of text).
LM_DEFAULTS = dict(
    seeds=(0, 1, 2),
    settings=("50%", "4:8", "2:4"),
    strategies=("magnitude", "wanda", "sparsegpt"),
    n_calibration=64,
)


def run_lm_oneshot(
    checkpoint,
    *,
    seeds=LM_DEFAULTS["seeds"],
    settings=LM_DEFAULTS["settings"],
    strategies=LM_DEFAULTS["strategies"],
    n_calibration: int = LM_DEFAULTS["n_calibration"],
    eval_tokens: int | None = None,
    progress=None,
    done_rows=(),
    on_row=None,
) -> dict:
    """The character language model of ``checkpoint``, its block linears pruned one-shot; held-out perplexity.

    Each seed draws ``n_calibration`` windows of ``context`` characters from the training text
    (:func:`pruning_lab.data.sample_windows`); every (setting, strategy) prunes a copy of the dense
    model sequentially (:func:`pruning_lab.nn.oneshot.oneshot_prune`, exact counts per row, the
    embeddings and the output layer kept dense, as in the Wanda and SparseGPT papers) and scores
    it on the held-out text (its first ``eval_tokens`` characters, or all of it).

    Parameters
    ----------
    checkpoint : str or Path
        A checkpoint of :func:`pruning_lab.nn.charlm.save_checkpoint`.
    seeds : sequence of int
        Calibration draws.
    settings : sequence of str
        Sparsities (``"50%"``) and N:M patterns (``"2:4"``).
    strategies : sequence of str
        One-shot strategies.
    n_calibration : int
        Calibration windows per draw.
    eval_tokens : int, optional
        Score only the first held-out characters (quick checks).
    progress : callable, optional
        Given a short message after each pruned model.
    done_rows : sequence of dict
        Rows computed before (same experiment): their (seed, setting, strategy) are not recomputed.
    on_row : callable, optional
        Given the result so far after each new row (to save it).

    Returns
    -------
    dict
        ``dense_perplexity``, ``rows`` (``{"seed", "setting", "strategy", "perplexity"}``), and the
        experiment's parameters.
    """
    from ...data import char_corpus, sample_windows
    from ..charlm import block_linears, load_checkpoint, perplexity

    model, info = load_checkpoint(checkpoint)
    held = (info.get("run_config") or {}).get("held_out", 0.1)
    corpus = char_corpus(held_out=held)
    if corpus.sha256 != info["text_sha256"]:
        raise ValueError("this Python's pydoc text differs from the one the checkpoint was trained on")
    tokens = corpus.held_out if eval_tokens is None else corpus.held_out[: check_int(eval_tokens, "eval_tokens", 2)]
    for s in settings:
        parse_setting(s)
    n_calibration = check_int(n_calibration, "n_calibration")
    layers = block_linears(model)
    out = dict(
        checkpoint=Path(checkpoint).name,
        seeds=list(seeds),
        settings=list(settings),
        strategies=list(strategies),
        n_calibration=n_calibration,
        context=model.context,
        eval_tokens=int(len(tokens)),
        dense_perplexity=perplexity(model, tokens),
        rows=[],
    )
    done = {(r["seed"], r["setting"], r["strategy"]): r for r in done_rows}
    for seed in seeds:
        X_cal = torch.as_tensor(sample_windows(corpus.train, n_calibration, model.context, seed), dtype=torch.long)
        for setting in settings:
            for strategy in strategies:
                if (seed, setting, strategy) in done:
                    out["rows"].append(done[(seed, setting, strategy)])
                    continue
                pruned = copy.deepcopy(model)
                res = oneshot_prune(pruned, X_cal, strategy, layers=layers, **parse_setting(setting))
                ppl = perplexity(pruned, tokens)
                out["rows"].append(
                    dict(
                        seed=seed,
                        setting=setting,
                        strategy=strategy,
                        perplexity=ppl,
                        mean_layer_error=float(np.mean(list(res.errors.values()))),
                    )
                )
                if progress is not None:
                    progress(f"seed {seed} {setting} {strategy}: perplexity {ppl:.4f}")
                if on_row is not None:
                    on_row(out)
    return out


def lm_command(
    checkpoint, out, *, seeds, n_calibration, eval_tokens=None, command="", reproducible=False, log=None
) -> dict:
    """The command ``python -m pruning_lab oneshot-lm``: :func:`run_lm_oneshot`, saved row by row to ``out``.

    After every pruned model the result so far is written to ``out`` (JSON, atomically, with
    ``"complete": false``); a later call with the same checkpoint, calibration size and
    evaluation length keeps the rows found there and computes only the missing ones, so an
    interrupted run loses nothing finished.  The file records ``command``, the Python and torch
    versions, ``reproducible`` (whether :func:`pruning_lab.nn.reproducible.use_reproducible_cpu`
    was in force; numpy's BLAS is then also limited to one thread, when threadpoolctl is
    installed) and the seconds spent.

    Parameters
    ----------
    checkpoint : str or Path
        A checkpoint of :func:`pruning_lab.nn.charlm.save_checkpoint`.
    out : str or Path
        The JSON file written.
    seeds : sequence of int
        Calibration draws.
    n_calibration : int
        Calibration windows per draw.
    eval_tokens : int, optional
        Score only the first held-out characters.
    command : str
        The command line, recorded.
    reproducible : bool
        Whether the reproducible kernels are in force (recorded; limits numpy to one thread).
    log : callable, optional
        Given a line per pruned model.

    Returns
    -------
    dict
        What was written.
    """
    if reproducible:
        _one_blas_thread()
    out_path = Path(out)
    start = time.perf_counter()
    extra = dict(command=command, python=platform.python_version(), torch=torch.__version__, reproducible=reproducible)

    def save(result, complete):
        result = {**result, **extra, "complete": complete, "seconds": round(time.perf_counter() - start, 1)}
        with atomic_write(out_path) as tmp:
            Path(tmp).write_text(json.dumps(result, indent=1) + "\n")
        return result

    done = _finished_rows(out_path, checkpoint, n_calibration, eval_tokens)
    result = run_lm_oneshot(
        checkpoint,
        seeds=seeds,
        n_calibration=n_calibration,
        eval_tokens=eval_tokens,
        progress=log,
        done_rows=done,
        on_row=lambda partial: save(partial, False),
    )
    return save(result, True)


def _one_blas_thread():
    """numpy's BLAS on one thread too (the layer solvers are numpy), when threadpoolctl is installed."""
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:  # pragma: no cover - threadpoolctl comes with scikit-learn
        return
    threadpool_limits(1)


def _finished_rows(path: Path, checkpoint, n_calibration, eval_tokens) -> list:
    """The rows of an earlier, interrupted run of the same experiment at ``path`` (kept: nothing finished is lost)."""
    if not path.is_file():
        return []
    try:
        old = json.loads(path.read_text())
    except json.JSONDecodeError:
        raise ValueError(f"{path} exists and is not a result file; remove it or choose another --out") from None
    same = (
        old.get("checkpoint") == Path(checkpoint).name
        and old.get("n_calibration") == n_calibration
        and (old.get("eval_tokens") if eval_tokens is not None else None) == eval_tokens
    )
    return old.get("rows", []) if same else []


def calibration_size_sweep(data, sizes, *, seeds=(0, 1, 2), setting="90%", strategies=("wanda", "sparsegpt")) -> list:
    """Test accuracy (no retraining) of the MLP pruned one-shot from calibration sets of each size.

    For each seed the dense model of :func:`run_mlp_oneshot` (same recipe) is pruned by each
    strategy from ``n`` training images drawn with that seed, for ``n`` in ``sizes``.  Returns rows
    ``{"seed", "n_calibration", "strategy", "accuracy", "mean_layer_error"}``.
    """
    exp = MLPOneShotExperiment(seeds=tuple(seeds), settings=(setting,), strategies=tuple(strategies))
    rows = []
    for seed in exp.seeds:
        dense = train_dense(data, exp.recipe, seed)
        for n in sizes:
            X_cal = calibration_set(data.X_train, n, seed)
            for strategy in strategies:
                model, _, errors = _prune(dense, strategy, setting, X_cal)
                rows.append(
                    dict(
                        seed=seed,
                        n_calibration=int(n),
                        strategy=strategy,
                        accuracy=accuracy(model, data.X_test, data.y_test),
                        mean_layer_error=float(np.mean(list(errors.values()))),
                    )
                )
    return rows


def single_layer_diagnostic(
    data, *, seeds=(0, 1, 2), setting="90%", strategies=("magnitude", "wanda", "sparsegpt"), n_calibration=1024
):
    """Each layer of the MLP pruned alone (the others dense): test accuracy and the layer's output error.

    The dense models and calibration sets (``n_calibration`` training images) are those of
    :func:`run_mlp_oneshot` for the same seeds.
    Returns rows ``{"seed", "layer", "strategy", "accuracy", "calibration_error", "test_error"}``: the
    relative reconstruction errors :math:`E(\\hat W)/E(0)` with the layer's :math:`H` on the
    calibration images and on the test images.
    """
    from ... import layerwise
    from .calibration import calibration_hessians

    exp = MLPOneShotExperiment(seeds=tuple(seeds), settings=(setting,), n_calibration=n_calibration)
    rows = []
    for seed in exp.seeds:
        dense = train_dense(data, exp.recipe, seed)
        X_cal = calibration_set(data.X_train, exp.n_calibration, seed)
        names = [n for n, m in dense.named_modules() if isinstance(m, torch.nn.Linear)]
        test_h = calibration_hessians(dense, torch.as_tensor(data.X_test, dtype=torch.float32), names)
        for name in names:
            W = dict(dense.named_modules())[name].weight.detach().double().numpy()
            H_test = test_h[name].hessian
            for strategy in strategies:
                model = copy.deepcopy(dense)
                res = oneshot_prune(model, X_cal, strategy, layers=[name], **parse_setting(setting))
                W_hat = dict(model.named_modules())[name].weight.detach().double().numpy()
                rows.append(
                    dict(
                        seed=seed,
                        layer=name,
                        strategy=strategy,
                        accuracy=accuracy(model, data.X_test, data.y_test),
                        calibration_error=res.errors[name],
                        test_error=layerwise.reconstruction_error(W, W_hat, H_test)
                        / layerwise.reconstruction_error(W, 0 * W, H_test),
                    )
                )
    return rows
