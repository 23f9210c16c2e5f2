"""A small causal character-level transformer language model, trained on Python's pydoc text.

The model whose linear layers a one-shot pruner (magnitude, Wanda, SparseGPT)
prunes, a CPU-scale analog of the large language models of those methods.
:class:`CharTransformer` is a GPT-style decoder: token and learned position
embeddings, ``n_layers`` pre-LayerNorm blocks

.. math:: h \\leftarrow h + \\mathrm{proj}\\big(\\mathrm{Attn}(\\mathrm{LN}_1(h))\\big),\\qquad
          h \\leftarrow h + \\mathrm{fc}_2\\big(\\mathrm{GELU}(\\mathrm{fc}_1(\\mathrm{LN}_2(h)))\\big),

where the causal multi-head attention has separate bias-free linear maps
``q``, ``k``, ``v`` and ``proj``, and a final LayerNorm before the output layer
``head``.  :func:`block_linears` names the six linear layers of each block in
forward order: the layers a one-shot pruner prunes (the ``head`` and the
embeddings stay dense, as in those papers).

:func:`train_char_lm` minimizes the mean next-character cross-entropy with
AdamW on random windows of the training text; :func:`perplexity` is
:math:`\\exp` of the mean next-character negative log-likelihood on the held-out
text.  :data:`LM_RUNS` names the committed run (``python -m pruning_lab
train-lm pydoc-char``); :func:`save_checkpoint` and :func:`load_checkpoint`
store a trained model with its vocabulary and the SHA-256 of its text.  The
text is :func:`pruning_lab.data.load_pydoc_text`.
"""

from __future__ import annotations

import dataclasses
import math
import numbers
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn
from tqdm.auto import tqdm

from ..data.text import CharCorpus, sample_windows
from ..runs import atomic_write
from ..validation import as_rng, check_int, check_nonnegative

__all__ = [
    "BLOCK_LINEARS",
    "CHECKPOINT_FORMAT",
    "LM_RUNS",
    "CharTransformer",
    "LMRunConfig",
    "block_linears",
    "get_lm_run",
    "load_checkpoint",
    "lr_at",
    "perplexity",
    "save_checkpoint",
    "train_char_lm",
]

#: Names of the linear layers inside each block, in forward order.
BLOCK_LINEARS = ("q", "k", "v", "proj", "fc1", "fc2")
#: The ``"format"`` entry of a checkpoint written by :func:`save_checkpoint`.
CHECKPOINT_FORMAT = "pruning_lab.charlm/1"


class _Block(nn.Module):
    """One pre-LayerNorm transformer block: causal self-attention, then a GELU MLP."""

    def __init__(self, d_model: int, n_heads: int, mlp_ratio: int):
        super().__init__()
        self.n_heads = n_heads
        self.ln1 = nn.LayerNorm(d_model)
        self.q = nn.Linear(d_model, d_model, bias=False)
        self.k = nn.Linear(d_model, d_model, bias=False)
        self.v = nn.Linear(d_model, d_model, bias=False)
        self.proj = nn.Linear(d_model, d_model, bias=False)
        self.ln2 = nn.LayerNorm(d_model)
        self.fc1 = nn.Linear(d_model, mlp_ratio * d_model, bias=False)
        self.fc2 = nn.Linear(mlp_ratio * d_model, d_model, bias=False)

    def _heads(self, x):
        b, t, d = x.shape
        return x.view(b, t, self.n_heads, d // self.n_heads).transpose(1, 2)

    def forward(self, h):
        x = self.ln1(h)
        q, k, v = self._heads(self.q(x)), self._heads(self.k(x)), self._heads(self.v(x))
        att = F.scaled_dot_product_attention(q, k, v, is_causal=True)
        h = h + self.proj(att.transpose(1, 2).reshape(h.shape))
        return h + self.fc2(F.gelu(self.fc1(self.ln2(h))))


class CharTransformer(nn.Module):
    """A causal character-level transformer: ``(batch, T)`` token ids → ``(batch, T, vocab_size)`` logits.

    The logits at position :math:`t` depend on tokens :math:`0..t` only (causal
    attention through ``torch.nn.functional.scaled_dot_product_attention`` with
    ``is_causal=True``) and predict token :math:`t+1`.  Weights start as
    :math:`\\mathcal N(0, 0.02^2)` (``proj`` and ``fc2`` scaled by
    :math:`1/\\sqrt{2 L}` for :math:`L` blocks, as in GPT-2), LayerNorms at
    identity.  Inputs longer than ``context`` raise ``ValueError``.  The module
    names are ``tok``, ``pos``, ``blocks.<i>.{ln1, q, k, v, proj, ln2, fc1,
    fc2}``, ``ln_f`` and ``head``; ``config`` holds the constructor's
    arguments (enough to rebuild it).

    Parameters
    ----------
    vocab_size : int
        Number of tokens.
    d_model : int
        Width of the residual stream (a multiple of ``n_heads``).
    n_layers : int
        Number of blocks.
    n_heads : int
        Attention heads per block.
    context : int
        Longest input (number of learned positions).
    mlp_ratio : int
        Hidden width of the MLP over ``d_model``.
    """

    def __init__(self, vocab_size: int, *, d_model=128, n_layers=4, n_heads=4, context=128, mlp_ratio=4):
        super().__init__()
        self.config = {
            "vocab_size": check_int(vocab_size, "vocab_size", low=1),
            "d_model": check_int(d_model, "d_model", low=1),
            "n_layers": check_int(n_layers, "n_layers", low=1),
            "n_heads": check_int(n_heads, "n_heads", low=1),
            "context": check_int(context, "context", low=1),
            "mlp_ratio": check_int(mlp_ratio, "mlp_ratio", low=1),
        }
        if d_model % n_heads:
            raise ValueError(f"d_model must be a multiple of n_heads ({n_heads}), got {d_model}")
        self.tok = nn.Embedding(vocab_size, d_model)
        self.pos = nn.Embedding(context, d_model)
        self.blocks = nn.ModuleList(_Block(d_model, n_heads, mlp_ratio) for _ in range(n_layers))
        self.ln_f = nn.LayerNorm(d_model)
        self.head = nn.Linear(d_model, vocab_size)
        for name, param in self.named_parameters():
            if name.endswith(("proj.weight", "fc2.weight")):
                nn.init.normal_(param, std=0.02 / math.sqrt(2 * n_layers))
            elif param.dim() >= 2:
                nn.init.normal_(param, std=0.02)
            elif name.startswith("head"):
                nn.init.zeros_(param)

    @property
    def context(self) -> int:
        """The longest input the model takes."""
        return self.config["context"]

    def forward(self, idx):
        """Logits ``(batch, T, vocab_size)`` of the token ids ``idx`` ``(batch, T)``, ``T <= context``."""
        if idx.dim() != 2:
            raise ValueError(f"idx must be a (batch, T) tensor of token ids, got shape {tuple(idx.shape)}")
        t = idx.shape[1]
        if t > self.context:
            raise ValueError(f"input of length {t} is longer than the model's context ({self.context})")
        h = self.tok(idx) + self.pos(torch.arange(t, device=idx.device))
        for block in self.blocks:
            h = block(h)
        return self.head(self.ln_f(h))


def block_linears(model: CharTransformer) -> list:
    """Qualified names of the linear layers inside the blocks, in forward order (not the ``head``).

    ``["blocks.0.q", "blocks.0.k", "blocks.0.v", "blocks.0.proj", "blocks.0.fc1",
    "blocks.0.fc2", "blocks.1.q", ...]``; ``model.get_submodule(name)`` is the
    layer.  These are the layers a one-shot pruner prunes, one after the other.
    """
    if not isinstance(model, CharTransformer):
        raise TypeError(f"model must be a CharTransformer, got {type(model).__name__}")
    return [f"blocks.{i}.{name}" for i in range(len(model.blocks)) for name in BLOCK_LINEARS]


def lr_at(step: int, steps: int, lr: float, warmup: int) -> float:
    """Learning rate of step ``step`` (0-based) of ``steps``: linear warmup, then cosine decay to 0.

    .. math:: \\eta_t = \\eta\\,\\frac{t+1}{W}\\ (t < W),\\qquad
              \\eta_t = \\frac{\\eta}{2}\\Big(1 + \\cos\\frac{\\pi (t - W)}{T - W}\\Big)\\ (W \\le t < T),

    with :math:`W` = ``warmup`` and :math:`T` = ``steps``.
    """
    steps = check_int(steps, "steps", low=1)
    step = check_int(step, "step", low=0, high=steps - 1)
    warmup = check_int(warmup, "warmup", low=0, high=steps - 1)
    if step < warmup:
        return float(lr) * (step + 1) / warmup
    return 0.5 * float(lr) * (1.0 + math.cos(math.pi * (step - warmup) / (steps - warmup)))


def _check_lr(lr):
    if isinstance(lr, bool) or not isinstance(lr, numbers.Real) or not math.isfinite(lr) or not lr > 0:
        raise ValueError(f"lr (learning rate) must be a finite number > 0, got {lr!r}")
    return float(lr)


def _optimizer(model, lr, weight_decay):
    """AdamW with weight decay on the matrices (linear layers, embeddings), none on biases and LayerNorms."""
    params = [p for p in model.parameters() if p.requires_grad]
    groups = [
        {"params": [p for p in params if p.dim() >= 2], "weight_decay": weight_decay},
        {"params": [p for p in params if p.dim() < 2], "weight_decay": 0.0},
    ]
    return torch.optim.AdamW(groups, lr=lr, betas=(0.9, 0.99))


def _check_model_and_corpus(model, corpus):
    if not isinstance(model, CharTransformer):
        raise TypeError(f"model must be a CharTransformer, got {type(model).__name__}")
    if not isinstance(corpus, CharCorpus):
        raise TypeError(f"corpus must be a pruning_lab.data.CharCorpus, got {type(corpus).__name__}")
    if corpus.vocab_size != model.config["vocab_size"]:
        raise ValueError(f"corpus has {corpus.vocab_size} tokens but the model {model.config['vocab_size']}")


def train_char_lm(
    model: CharTransformer,
    corpus,
    *,
    steps: int,
    batch_size: int,
    lr: float,
    warmup: int,
    weight_decay: float,
    seed: int,
    log_every: int = 100,
    grad_clip: float = 1.0,
    progress: bool = False,
) -> list:
    """Train ``model`` in place on ``corpus.train`` (next-character cross-entropy, AdamW); returns the loss log.

    Step :math:`t` draws ``batch_size`` windows of ``context + 1`` tokens
    (:func:`pruning_lab.data.sample_windows` from one ``numpy`` generator
    seeded with ``seed``) and takes one AdamW step (:math:`\\beta = (0.9, 0.99)`)
    with learning rate :func:`lr_at` on

    .. math:: L = -\\frac{1}{B T}\\sum_{b, t} \\log p_\\theta(x_{b, t+1} \\mid x_{b, \\le t}),

    the gradient's norm clipped to ``grad_clip``.  Same seed and the same
    initial model, same run (on the same kernels and number of threads).

    Parameters
    ----------
    model : CharTransformer
        The model, trained in place (left in eval mode).
    corpus : pruning_lab.data.CharCorpus
        The text; its vocabulary size must be the model's.
    steps : int
        Optimizer steps (``>= 1``).
    batch_size : int
        Windows per step.
    lr : float
        Peak learning rate.
    warmup : int
        Steps of linear warmup (``0 <= warmup < steps``).
    weight_decay : float
        AdamW's decoupled weight decay, on the weight matrices and embeddings only.
    seed : int
        Seed of the windows.
    log_every : int
        A log entry every this many steps (and after the last).
    grad_clip : float
        Largest gradient norm (``0``: no clipping).
    progress : bool
        Show a ``tqdm`` bar.

    Returns
    -------
    list of (int, float)
        ``(step, loss)``: the number of steps done and the mean minibatch loss of the steps since the previous
        entry.
    """
    _check_model_and_corpus(model, corpus)
    steps = check_int(steps, "steps", low=1)
    batch_size = check_int(batch_size, "batch_size", low=1)
    lr = _check_lr(lr)
    warmup = check_int(warmup, "warmup", low=0, high=steps - 1)
    weight_decay = check_nonnegative(weight_decay, "weight_decay")
    rng = as_rng(check_int(seed, "seed", low=0))
    log_every = check_int(log_every, "log_every", low=1)
    grad_clip = check_nonnegative(grad_clip, "grad_clip")
    optimizer = _optimizer(model, lr, weight_decay)
    model.train()
    log, running = [], []
    for step in tqdm(range(steps), desc="train", disable=not progress):
        for group in optimizer.param_groups:
            group["lr"] = lr_at(step, steps, lr, warmup)
        batch = torch.from_numpy(sample_windows(corpus.train, batch_size, model.context + 1, rng))
        logits = model(batch[:, :-1])
        loss = F.cross_entropy(logits.reshape(-1, logits.shape[-1]), batch[:, 1:].reshape(-1))
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        if grad_clip > 0:
            nn.utils.clip_grad_norm_(model.parameters(), grad_clip)
        optimizer.step()
        running.append(loss.item())
        if (step + 1) % log_every == 0 or step + 1 == steps:
            log.append((step + 1, float(np.mean(running))))
            running = []
    model.eval()
    return log


@torch.no_grad()
def perplexity(model: CharTransformer, tokens, *, batch_size: int = 64) -> float:
    """Perplexity of ``model`` on ``tokens``: :math:`\\exp` of the mean next-character negative log-likelihood.

    The :math:`N` tokens are cut into windows of ``context + 1`` tokens
    starting at :math:`0, C, 2C, \\dots` (:math:`C` = ``context``); window
    :math:`w` predicts tokens :math:`wC+1, \\dots, wC+C` from the tokens before
    them in the window, so every token but the first is predicted exactly once
    and

    .. math:: \\mathrm{PPL} = \\exp\\Big(-\\frac{1}{N-1}\\sum_{i=1}^{N-1}
              \\log p_\\theta(x_i \\mid x_{c(i)}, \\dots, x_{i-1})\\Big),

    where :math:`c(i)` is the start of the window of :math:`i`.  The last,
    shorter window is included (the whole text is scored).  Deterministic:
    eval mode, no gradients, fixed batches of ``batch_size`` windows, the sum
    in float64; the model's mode is restored afterwards.
    """
    if not isinstance(model, CharTransformer):
        raise TypeError(f"model must be a CharTransformer, got {type(model).__name__}")
    tokens = np.asarray(tokens)
    if tokens.ndim != 1 or not np.issubdtype(tokens.dtype, np.integer) or tokens.size < 2:
        raise ValueError(f"tokens must be a 1-D array of at least 2 integer ids, got shape {tokens.shape}")
    if tokens.min() < 0 or tokens.max() >= model.config["vocab_size"]:
        raise ValueError(f"tokens must lie in 0..{model.config['vocab_size'] - 1}")
    batch_size = check_int(batch_size, "batch_size", low=1)
    c = model.context
    ids = torch.from_numpy(tokens.astype(np.int64))
    n_full = (ids.numel() - 1) // c
    windows = [ids[: n_full * c + 1].unfold(0, c + 1, c)] if n_full else []
    if n_full * c + 1 < ids.numel():
        windows.append(ids[n_full * c :].unsqueeze(0))  # the shorter tail
    was_training = model.training
    model.eval()
    total = 0.0
    try:
        for group in windows:
            for start in range(0, group.shape[0], batch_size):
                batch = group[start : start + batch_size]
                logits = model(batch[:, :-1])
                nll = F.cross_entropy(logits.reshape(-1, logits.shape[-1]), batch[:, 1:].reshape(-1), reduction="sum")
                total += float(nll)
    finally:
        model.train(was_training)
    return math.exp(total / (ids.numel() - 1))


@dataclass(frozen=True, kw_only=True)
class LMRunConfig:
    """A named character-LM run: model size, training recipe, seed and held-out fraction.

    ``build_model(vocab_size)`` makes the initial :class:`CharTransformer`
    (initialized under ``torch.manual_seed(seed)``, without touching the global
    generator's state), ``recipe()`` the keyword arguments of
    :func:`train_char_lm`.

    Attributes
    ----------
    d_model : int
        Width of the residual stream (see :class:`CharTransformer`).
    n_layers : int
        Number of blocks.
    n_heads : int
        Attention heads per block.
    context : int
        Longest input; the training windows have ``context + 1`` tokens.
    mlp_ratio : int
        Hidden width of the MLP over ``d_model``.
    steps : int
        Optimizer steps.
    batch_size : int
        Windows per step.
    lr : float
        Peak learning rate (see :func:`lr_at`).
    warmup : int
        Steps of linear warmup.
    weight_decay : float
        AdamW weight decay (on the weight matrices and embeddings).
    log_every : int
        Steps per entry of the loss log.
    seed : int
        Seed of the initialization and of the training windows.
    held_out : float
        Fraction of the text held out (:func:`pruning_lab.data.char_corpus`).
    """

    d_model: int = 128
    n_layers: int = 4
    n_heads: int = 4
    context: int = 128
    mlp_ratio: int = 4
    steps: int = 1000
    batch_size: int = 32
    lr: float = 3e-3
    warmup: int = 100
    weight_decay: float = 0.1
    log_every: int = 50
    seed: int = 0
    held_out: float = 0.1

    def __post_init__(self):
        for name in ("d_model", "n_layers", "n_heads", "context", "mlp_ratio", "steps", "batch_size", "log_every"):
            check_int(getattr(self, name), name, low=1)
        check_int(self.seed, "seed", low=0)
        check_int(self.warmup, "warmup", low=0, high=self.steps - 1)
        _check_lr(self.lr)
        check_nonnegative(self.weight_decay, "weight_decay")
        if self.d_model % self.n_heads:
            raise ValueError(f"d_model must be a multiple of n_heads ({self.n_heads}), got {self.d_model}")
        if isinstance(self.held_out, bool) or not isinstance(self.held_out, numbers.Real) or not 0 < self.held_out < 1:
            raise ValueError(f"held_out must be a fraction in (0, 1), got {self.held_out!r}")

    def replace(self, **changes) -> LMRunConfig:
        """A copy with some fields changed (checked again), e.g. ``config.replace(steps=10)``."""
        return dataclasses.replace(self, **changes)

    def build_model(self, vocab_size: int) -> CharTransformer:
        """The initial model of this run (seeded by ``seed``)."""
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(self.seed)
            return CharTransformer(
                vocab_size,
                d_model=self.d_model,
                n_layers=self.n_layers,
                n_heads=self.n_heads,
                context=self.context,
                mlp_ratio=self.mlp_ratio,
            )

    def recipe(self) -> dict:
        """The keyword arguments of :func:`train_char_lm` for this run."""
        names = ("steps", "batch_size", "lr", "warmup", "weight_decay", "seed", "log_every")
        return {name: getattr(self, name) for name in names}


#: The named runs of ``python -m pruning_lab train-lm NAME``.
LM_RUNS = {
    # 0.70M parameters (a 2.8 MB float32 checkpoint); about 13 minutes on one CPU thread
    "pydoc-char": LMRunConfig(
        d_model=128,
        n_layers=4,
        n_heads=4,
        context=128,
        mlp_ratio=3,
        steps=1800,
        batch_size=16,
        lr=3e-3,
        warmup=100,
        weight_decay=0.1,
        log_every=50,
        seed=0,
        held_out=0.1,
    ),
}


def get_lm_run(name: str) -> LMRunConfig:
    """The run configuration named ``name`` in :data:`LM_RUNS` (``ValueError`` listing the names if unknown)."""
    if name not in LM_RUNS:
        raise ValueError(f"unknown language-model run {name!r}; known: {', '.join(sorted(LM_RUNS))}")
    return LM_RUNS[name]


def save_checkpoint(path, model: CharTransformer, corpus, config=None, extra=None) -> Path:
    """Write ``model`` with its vocabulary and text SHA-256 to ``path`` atomically (``torch.save``); returns it.

    The file holds a dict: ``format`` (:data:`CHECKPOINT_FORMAT`),
    ``state_dict``, ``model_config`` (``model.config``), ``vocab``,
    ``text_sha256``, ``run_config`` (``config`` as a dict: an
    :class:`LMRunConfig` or a dict, or ``None``) and ``extra`` (a dict of
    plain values, e.g. the perplexities).  Written to a temporary file and moved
    into place, so an interrupted save leaves no partial file.
    """
    _check_model_and_corpus(model, corpus)
    if isinstance(config, LMRunConfig):
        config = dataclasses.asdict(config)
    if config is not None and not isinstance(config, dict):
        raise TypeError(f"config must be an LMRunConfig, a dict or None, got {type(config).__name__}")
    if extra is not None and not isinstance(extra, dict):
        raise TypeError(f"extra must be a dict or None, got {type(extra).__name__}")
    state = {name: tensor.detach().cpu().clone() for name, tensor in model.state_dict().items()}
    payload = {
        "format": CHECKPOINT_FORMAT,
        "state_dict": state,
        "model_config": dict(model.config),
        "vocab": corpus.vocab,
        "text_sha256": corpus.sha256,
        "run_config": config,
        "extra": dict(extra or {}),
    }
    path = Path(path)
    with atomic_write(path) as tmp:
        torch.save(payload, tmp)
    return path


def load_checkpoint(path) -> tuple:
    """The model saved by :func:`save_checkpoint` at ``path`` (in eval mode) and its information.

    Returns
    -------
    (CharTransformer, dict)
        The model, and the checkpoint's entries other than ``state_dict`` (``model_config``, ``vocab``,
        ``text_sha256``, ``run_config``, ``extra``, ``format``).  A missing file raises
        ``FileNotFoundError``; a file that is not such a checkpoint, ``ValueError``.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(
            f"no checkpoint at {str(path)!r}; train one with 'python -m pruning_lab train-lm NAME --out DIR'"
        )
    try:
        payload = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as err:  # a zip/pickle error: not a torch file
        raise ValueError(f"{str(path)!r} is not a character-LM checkpoint: {err}") from None
    if not isinstance(payload, dict) or payload.get("format") != CHECKPOINT_FORMAT:
        raise ValueError(f"{str(path)!r} is not a character-LM checkpoint (format {CHECKPOINT_FORMAT!r})")
    model = CharTransformer(**payload["model_config"])
    model.load_state_dict(payload["state_dict"])
    model.eval()
    return model, {key: value for key, value in payload.items() if key != "state_dict"}
