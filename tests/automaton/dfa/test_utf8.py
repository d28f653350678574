"""utf8_sequences against Python's own UTF-8 codec."""
from __future__ import annotations

import itertools

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from automaton.dfa.utf8 import utf8_sequences
from automaton.syntax.charsets import normalize

SURROGATES = range(0xD800, 0xE000)


def expand(sequences) -> list[bytes]:
    out = []
    for sequence in sequences:
        out.extend(bytes(combo) for combo in itertools.product(*(range(lo, hi + 1) for lo, hi in sequence)))
    return out


def encodings(ranges) -> list[bytes]:
    return [chr(c).encode("utf-8") for lo, hi in ranges for c in range(lo, hi + 1) if c not in SURROGATES]


@pytest.mark.parametrize(
    "ranges",
    [
        ((0x00, 0x7F),),
        ((0x41, 0x5A), (0x61, 0x7A)),
        ((0x7E, 0x81),),
        ((0x7F0, 0x810),),
        ((0xD7F0, 0xE010),),
        ((0xD800, 0xDFFF),),
        ((0xFFF0, 0x10010),),
        ((0x10FFF0, 0x10FFFF),),
        ((0x3B1, 0x3C9), (0x65E5, 0x65E5), (0x1F600, 0x1F64F)),
        ((0x80, 0x7FF),),
        ((0x800, 0x1FFF),),
    ],
)
def test_sequences_spell_exactly_the_encodings(ranges):
    produced = expand(utf8_sequences(ranges))
    assert produced == encodings(ranges)  # same strings, each once, in code point order


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 0x10FFFF), st.integers(0, 3000)), min_size=1, max_size=3))
def test_random_ranges(pairs):
    ranges = normalize((lo, min(lo + width, 0x10FFFF)) for lo, width in pairs)
    assert expand(utf8_sequences(ranges)) == encodings(ranges)


def test_whole_code_space():
    sequences = utf8_sequences(((0, 0x10FFFF),))
    assert len(sequences) <= 10
    assert expand(sequences) == encodings(((0, 0x10FFFF),))
