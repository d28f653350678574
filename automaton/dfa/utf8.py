"""Code point ranges -> UTF-8 byte-range sequences.

`utf8_sequences(ranges)` takes a normalized code point set (inclusive `(lo, hi)` pairs) and gives
a tuple of sequences, each a tuple of inclusive byte ranges `((lo0, hi0), (lo1, hi1), ...)`: a byte
string matches a sequence when its i-th byte lies in the i-th range. The byte strings matching some
sequence are exactly the UTF-8 encodings of the set's code points; surrogates (U+D800..U+DFFF)
have no UTF-8 encoding and are left out. Sequences are disjoint and come in code point order.

    >>> utf8_sequences(((0x61, 0x63), (0x3B1, 0x3C9)))
    (((97, 99),), ((206, 206), (177, 191)), ((207, 207), (128, 137)))
"""
from __future__ import annotations

from functools import lru_cache

from automaton.syntax.charsets import SURROGATES, CodePoints

__all__ = ["utf8_sequences"]

ByteSequence = tuple[tuple[int, int], ...]

_SURROGATES = SURROGATES[0]  # the one range of code points no UTF-8 text holds

# The largest code point encoded with 1, 2 and 3 bytes.
_LENGTH_LIMITS = (0x7F, 0x7FF, 0xFFFF)


@lru_cache(maxsize=4096)
def utf8_sequences(ranges: CodePoints) -> tuple[ByteSequence, ...]:
    sequences: list[ByteSequence] = []
    for lo, hi in ranges:
        for a, b in _without_surrogates(lo, hi):
            _split(a, b, sequences)
    return tuple(sequences)


def _without_surrogates(lo: int, hi: int) -> list[tuple[int, int]]:
    pieces = []
    if lo < _SURROGATES[0]:
        pieces.append((lo, min(hi, _SURROGATES[0] - 1)))
    if hi > _SURROGATES[1]:
        pieces.append((max(lo, _SURROGATES[1] + 1), hi))
    return pieces


def _split(lo: int, hi: int, out: list[ByteSequence]) -> None:
    """Append the sequences for `lo..hi` (no surrogates inside) to `out`, lowest first."""
    stack = [(lo, hi)]
    while stack:
        lo, hi = stack.pop()
        split = _split_point(lo, hi)
        if split is not None:
            stack.append((split + 1, hi))
            stack.append((lo, split))
            continue
        first, last = chr(lo).encode("utf-8"), chr(hi).encode("utf-8")
        out.append(tuple(zip(first, last)))


def _split_point(lo: int, hi: int) -> int | None:
    """Where to cut `lo..hi` so each part encodes as one sequence of byte ranges, or None if it does."""
    for limit in _LENGTH_LIMITS:
        if lo <= limit < hi:
            return limit
    if hi <= 0x7F:
        return None
    for continuation_bytes in (1, 2, 3):
        mask = (1 << (6 * continuation_bytes)) - 1
        if lo & ~mask != hi & ~mask:
            if lo & mask != 0:
                return lo | mask
            if hi & mask != mask:
                return (hi & ~mask) - 1
    return None
