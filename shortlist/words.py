"""Counting the words of evidence: exactly `len(text.split())`, for a whole column at once.

A word is a run of characters that are not whitespace, as Python's `str.split()` sees it (the
word limits in the README and the live counts of the form templates use the same rule). A
national campaign brings hundreds of thousands of evidence texts; splitting each into a list
of words only to count them is most of the cost of reading them, so the texts are joined in
chunks and their word starts counted with NumPy.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence

import numpy as np

#: Characters of text joined and counted at once: the working arrays then stay small enough
#: to be reused from one chunk to the next, in the processor's caches (a chunk of a few
#: hundred KB is three times slower: each one is fresh memory, faulted in page by page).
CHUNK_CHARS = 1 << 17

# What str.isspace() holds, besides the space: ASCII 9-13 and 28-31, and these code points.
_WIDE_SPACES = (0x85, 0xA0, 0x1680, 0x2028, 0x2029, 0x202F, 0x205F, 0x3000)  # and 2000-200A


def count_words(texts: Sequence[str]) -> np.ndarray:
    """`[len(t.split()) for t in texts]` as an int32 array."""
    n = len(texts)
    out = np.empty(n, dtype=np.int32)
    if not n:
        return out
    # Each text with the space before it: text i is at [ends[i-1], ends[i]) of all of them
    # joined (see `_count_chunk`). Texts are counted in chunks of about CHUNK_CHARS.
    ends = np.cumsum(np.fromiter(map(len, texts), dtype=np.int64, count=n) + 1)
    cuts = [0, *(np.flatnonzero(np.diff(ends // CHUNK_CHARS)) + 1).tolist(), n]
    for start, stop in itertools.pairwise(cuts):
        base = ends[start - 1] if start else 0
        bounds = np.empty(stop - start + 1, dtype=np.int64)
        bounds[0] = 0
        np.subtract(ends[start:stop], base, out=bounds[1:])
        out[start:stop] = _count_chunk(texts[start:stop], bounds)
    return out


def _count_chunk(chunk: Sequence[str], bounds: np.ndarray) -> np.ndarray:
    # The texts joined by single spaces, with one before the first and one after the last:
    # each text then begins just after a space (text i's at bounds[i]), and its words are the
    # places where a space is followed by anything else, up to the next text's space.
    joined = " ".join(["", *chunk, ""])
    if joined.isascii():
        codes = np.frombuffer(joined.encode("ascii"), dtype=np.uint8)
    else:  # one code point per element
        codes = np.frombuffer(joined.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)
    space = codes == 32
    if codes.min() < 32:  # tabs, line breaks...
        space |= (codes - codes.dtype.type(9) <= 4) | (codes - codes.dtype.type(28) <= 3)
    if codes.dtype == np.uint32:  # the few code points outside ASCII, checked one by one
        wide = np.flatnonzero(codes >= _WIDE_SPACES[0])
        points = codes[wide]
        space[wide] = (points - np.uint32(0x2000) <= 0x0A) | np.isin(points, _WIDE_SPACES)
    starts = np.flatnonzero(space[:-1] > space[1:])  # i: a word starts at i + 1
    return np.diff(np.searchsorted(starts, bounds)).astype(np.int32)
