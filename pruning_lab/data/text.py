"""A character-level text corpus: Python's own pydoc topics, as token ids (numpy only).

The text of a small character-level language model
(:mod:`pruning_lab.nn.charlm`) whose linear layers are pruned one-shot: the
help topics that ship with every Python (``pydoc_data.topics.topics``, about
465,000 characters), so nothing is downloaded.  Each distinct character is a
token; the vocabulary is the sorted set of characters, and a character's id is
its position there.  The corpus is split contiguously: the last ``held_out``
fraction of the text is the held-out set on which perplexity is measured.

The text changes between Python versions (its SHA-256 is stored with a trained
model, so a checkpoint can tell whether it is evaluated on the text it was
trained on).
"""

from __future__ import annotations

import hashlib
import numbers
from dataclasses import dataclass

import numpy as np

from ..validation import as_rng, check_int

__all__ = ["CharCorpus", "char_corpus", "load_pydoc_text", "sample_windows"]


def load_pydoc_text() -> str:
    """The text of Python's pydoc help topics: the values of ``pydoc_data.topics.topics`` in sorted-key order.

    The topics (``"assert"``, ``"atom-identifiers"``, ...) are joined by a
    blank line (``"\\n\\n"``).  About 465,000 characters in Python 3.11; the
    exact text depends on the Python version.
    """
    from pydoc_data.topics import topics

    return "\n\n".join(topics[key] for key in sorted(topics))


def _sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


@dataclass(frozen=True, eq=False)
class CharCorpus:
    """A text as character tokens: its vocabulary, a contiguous train/held-out split and its SHA-256.

    Made by :func:`char_corpus`.  Token :math:`i` is the character
    ``vocab[i]``; the text is ``decode(train) + decode(held_out)``.

    Attributes
    ----------
    vocab : str
        The sorted distinct characters of the text.
    train : numpy.ndarray
        Token ids of the first part of the text (1-D, ``uint8`` when the vocabulary has at most 256
        characters, else ``int32``).
    held_out : numpy.ndarray
        Token ids of the last part of the text (same dtype).
    sha256 : str
        SHA-256 (hex) of the whole text, UTF-8 encoded.
    """

    vocab: str
    train: np.ndarray
    held_out: np.ndarray
    sha256: str

    @property
    def vocab_size(self) -> int:
        """Number of distinct characters (tokens)."""
        return len(self.vocab)

    def encode(self, text: str) -> np.ndarray:
        """Token ids of ``text`` (a 1-D array); a character outside the vocabulary raises ``ValueError``."""
        if not isinstance(text, str):
            raise TypeError(f"text must be a str, got {type(text).__name__}")
        index = {c: i for i, c in enumerate(self.vocab)}
        unknown = sorted(set(text) - index.keys())
        if unknown:
            raise ValueError(f"text contains characters outside the vocabulary: {''.join(unknown)!r}")
        return np.fromiter((index[c] for c in text), dtype=self.train.dtype, count=len(text))

    def decode(self, ids) -> str:
        """The text of the token ids ``ids`` (a 1-D sequence of ints in ``0..vocab_size-1``)."""
        ids = np.asarray(ids)
        if ids.ndim != 1 or (ids.size and not np.issubdtype(ids.dtype, np.integer)):
            raise ValueError(f"ids must be a 1-D array of integers, got shape {ids.shape} and dtype {ids.dtype}")
        if ids.size and (ids.min() < 0 or ids.max() >= len(self.vocab)):
            raise ValueError(f"ids must lie in 0..{len(self.vocab) - 1}, got values in {ids.min()}..{ids.max()}")
        return "".join(self.vocab[i] for i in ids.tolist())


def char_corpus(text: str | None = None, held_out: float = 0.1) -> CharCorpus:
    """The character corpus of ``text`` (default: :func:`load_pydoc_text`), its last ``held_out`` fraction held out.

    With :math:`N` characters the held-out set is the last
    :math:`\\lfloor h N \\rceil` tokens (``round(held_out * N)``, :math:`h` =
    ``held_out`` in :math:`(0, 1)`), the training set the first
    :math:`N - \\lfloor h N \\rceil`; both must be non-empty.
    """
    if text is None:
        text = load_pydoc_text()
    if not isinstance(text, str):
        raise TypeError(f"text must be a str or None, got {type(text).__name__}")
    if isinstance(held_out, bool) or not isinstance(held_out, numbers.Real) or not 0 < held_out < 1:
        raise ValueError(f"held_out must be a fraction in (0, 1), got {held_out!r}")
    n_held = int(round(float(held_out) * len(text)))
    if n_held < 1 or n_held >= len(text):
        raise ValueError(
            f"text of {len(text)} characters is too short for held_out={held_out}: both parts must be non-empty"
        )
    vocab = "".join(sorted(set(text)))
    dtype = np.uint8 if len(vocab) <= 256 else np.int32
    lookup = {c: i for i, c in enumerate(vocab)}
    tokens = np.fromiter((lookup[c] for c in text), dtype=dtype, count=len(text))
    train, held = tokens[: len(text) - n_held].copy(), tokens[len(text) - n_held :].copy()
    train.flags.writeable = False
    held.flags.writeable = False
    return CharCorpus(vocab=vocab, train=train, held_out=held, sha256=_sha256(text))


def sample_windows(tokens, n: int, length: int, seed) -> np.ndarray:
    """``n`` random contiguous windows of ``length`` tokens of ``tokens``, as an ``(n, length)`` int64 array.

    Window :math:`i` is ``tokens[s_i : s_i + length]`` with start :math:`s_i`
    drawn uniformly from :math:`0, \\dots, T - \\text{length}` (independently,
    with replacement) by ``numpy.random.default_rng(seed)``: the calibration
    sets of one-shot pruning and the training batches of
    :func:`pruning_lab.nn.charlm.train_char_lm`.  Same seed, same windows.
    """
    tokens = np.asarray(tokens)
    if tokens.ndim != 1 or not np.issubdtype(tokens.dtype, np.integer):
        raise ValueError(f"tokens must be a 1-D array of integer ids, got shape {tokens.shape}, dtype {tokens.dtype}")
    n = check_int(n, "n", low=1)
    length = check_int(length, "length", low=1)
    if length > tokens.size:
        raise ValueError(f"length must be at most the number of tokens ({tokens.size}), got {length}")
    starts = as_rng(seed).integers(0, tokens.size - length + 1, size=n)
    return tokens[starts[:, None] + np.arange(length)].astype(np.int64)
