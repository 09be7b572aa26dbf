"""Word counts of evidence: exactly what `len(text.split())` says, however the text is made."""

from __future__ import annotations

import sys

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from shortlist import words
from shortlist.words import count_words

# Every character str.split() splits on, and a few that it does not but that look close.
SPACES = [chr(c) for c in range(sys.maxunicode + 1) if chr(c).isspace()]
NEAR = ["\u200b", "\u2060", "\ufeff", "\x00", "\x08", "\x0e", "\x1b", "\x7f", "\u180e"]
LETTERS = ["a", "Z", "é", "’", "—", "日", "\U0001f600", "\ud800", "7"]


def expected(texts: list[str]) -> list[int]:
    return [len(t.split()) for t in texts]


def test_every_whitespace_character_separates_words() -> None:
    texts = [f"one{s}two" for s in SPACES] + [f"{s}one{s}{s}" for s in SPACES]
    assert count_words(texts).tolist() == [2] * len(SPACES) + [1] * len(SPACES)


def test_look_alike_characters_do_not_separate_words() -> None:
    texts = [f"one{c}two" for c in NEAR]
    assert count_words(texts).tolist() == [1] * len(NEAR)


def test_blank_and_empty_texts_have_no_words() -> None:
    assert count_words(["", " ", "\n\t", "\u3000", ""]).tolist() == [0, 0, 0, 0, 0]
    assert count_words([]).tolist() == []


def test_ordinary_evidence() -> None:
    texts = ["I led a team of six detectives.", "Managed  the\nstrategy;\tbriefed SIO.",
             "I don’t — ever — leave a file unreviewed."]
    assert count_words(texts).tolist() == [7, 5, 9]  # a spaced dash counts as a word


@pytest.mark.parametrize("chunk", [1, 3, 40])
def test_texts_longer_than_a_chunk_and_chunk_boundaries(monkeypatch: pytest.MonkeyPatch,
                                                        chunk: int) -> None:
    monkeypatch.setattr(words, "CHUNK_CHARS", chunk)
    texts = ["alpha beta gamma delta", "", "x", " lead ", "word " * 30, "é é"] * 7
    assert count_words(texts).tolist() == expected(texts)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.text(alphabet=st.sampled_from(SPACES + NEAR + LETTERS), max_size=12),
                max_size=30),
       st.integers(min_value=1, max_value=64))
def test_counts_match_str_split(texts: list[str], chunk: int) -> None:
    original = words.CHUNK_CHARS
    words.CHUNK_CHARS = chunk
    try:
        assert count_words(texts).tolist() == expected(texts)
    finally:
        words.CHUNK_CHARS = original


@settings(max_examples=100, deadline=None)
@given(st.lists(st.text(), max_size=20))
def test_counts_match_str_split_for_any_text(texts: list[str]) -> None:
    assert count_words(texts).tolist() == expected(texts)
