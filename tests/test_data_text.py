"""Tests of pruning_lab.data.text: the pydoc text, its character corpus and random windows (no torch)."""

import hashlib

import numpy as np
import pytest

from pruning_lab.data import CharCorpus, char_corpus, load_pydoc_text, sample_windows


@pytest.fixture(scope="module")
def pydoc():
    return char_corpus()


def test_pydoc_text_is_the_sorted_topics_joined_by_blank_lines():
    from pydoc_data.topics import topics

    text = load_pydoc_text()
    first, *_ = sorted(topics)
    assert text.startswith(topics[first] + "\n\n")
    assert len(text) == sum(map(len, topics.values())) + 2 * (len(topics) - 1)
    assert len(text) > 100_000


def test_split_is_contiguous_with_the_held_out_tail(pydoc):
    text = load_pydoc_text()
    n_held = round(0.1 * len(text))
    assert pydoc.held_out.size == n_held and pydoc.train.size == len(text) - n_held
    assert pydoc.decode(pydoc.train) + pydoc.decode(pydoc.held_out) == text
    assert pydoc.decode(pydoc.held_out) == text[-n_held:]
    assert pydoc.vocab == "".join(sorted(set(text))) and pydoc.vocab_size == len(set(text))
    assert pydoc.train.dtype == np.uint8 and not pydoc.train.flags.writeable


def test_sha256_is_that_of_the_utf8_text_and_stable(pydoc):
    text = load_pydoc_text()
    assert pydoc.sha256 == hashlib.sha256(text.encode("utf-8")).hexdigest()
    assert char_corpus(held_out=0.2).sha256 == pydoc.sha256  # the split does not change the text's hash
    assert char_corpus("abc", held_out=0.5).sha256 != char_corpus("abd", held_out=0.5).sha256


def test_encode_decode_round_trip_and_ids_are_vocabulary_positions():
    corpus = char_corpus("hello world, hello pruning", held_out=0.25)
    assert isinstance(corpus, CharCorpus)
    ids = corpus.encode("hello")
    assert ids.tolist() == [corpus.vocab.index(c) for c in "hello"]
    assert corpus.decode(ids) == "hello"
    assert corpus.decode(corpus.encode("")) == ""
    assert corpus.held_out.size == round(0.25 * 26)


def test_bad_corpus_input_raises():
    corpus = char_corpus("abcabc", held_out=0.5)
    with pytest.raises(ValueError, match="'xz'"):
        corpus.encode("axbz")
    with pytest.raises(TypeError, match="text"):
        corpus.encode(b"abc")
    with pytest.raises(ValueError, match="ids"):
        corpus.decode([0, 3])
    with pytest.raises(ValueError, match="ids"):
        corpus.decode([[0, 1]])
    for held_out in (0, 1, -0.1, True, "0.1"):
        with pytest.raises(ValueError, match="held_out"):
            char_corpus("abcabc", held_out=held_out)
    with pytest.raises(ValueError, match="too short"):
        char_corpus("ab", held_out=0.1)  # rounds to no held-out character
    with pytest.raises(TypeError, match="text"):
        char_corpus(123)


def test_windows_are_contiguous_slices_in_range_and_seeded(pydoc):
    tokens = pydoc.held_out
    windows = sample_windows(tokens, 50, 33, seed=3)
    assert windows.shape == (50, 33) and windows.dtype == np.int64
    assert windows.min() >= 0 and windows.max() < pydoc.vocab_size
    text = pydoc.decode(tokens)
    for row in windows[:10]:
        assert pydoc.decode(row) in text
    np.testing.assert_array_equal(windows, sample_windows(tokens, 50, 33, seed=3))
    assert not np.array_equal(windows, sample_windows(tokens, 50, 33, seed=4))
    whole = sample_windows(np.arange(5), 4, 5, seed=0)  # only one window fits
    np.testing.assert_array_equal(whole, np.tile(np.arange(5), (4, 1)))


def test_windows_start_uniformly():
    starts = sample_windows(np.arange(10), 20_000, 1, seed=0)[:, 0]
    counts = np.bincount(starts, minlength=10)
    assert counts.size == 10 and np.all(np.abs(counts - 2000) < 5 * np.sqrt(2000))


def test_bad_window_arguments_raise():
    tokens = np.arange(10)
    with pytest.raises(ValueError, match="length"):
        sample_windows(tokens, 2, 11, seed=0)
    with pytest.raises(ValueError, match="length"):
        sample_windows(tokens, 2, 0, seed=0)
    with pytest.raises(ValueError, match="n must"):
        sample_windows(tokens, 0, 3, seed=0)
    with pytest.raises(ValueError, match="tokens"):
        sample_windows(np.ones((2, 5), dtype=int), 1, 3, seed=0)
    with pytest.raises(ValueError, match="tokens"):
        sample_windows(np.linspace(0, 1, 10), 1, 3, seed=0)
    with pytest.raises(ValueError, match="rng"):
        sample_windows(tokens, 1, 3, seed="x")
