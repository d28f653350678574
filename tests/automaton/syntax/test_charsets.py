"""`automaton.syntax.charsets` against independent references: Python sets for the arithmetic,
Python's own `re` for what `\\d \\w \\s`, `.` and case folding stand for, and `re`'s parse for
the class escapes `python_re` names."""
from __future__ import annotations

import itertools
import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from automaton.syntax.charsets import (
    ANY,
    ANY_BUT_NEWLINE,
    ASCII_CLASSES,
    MAX_CODE_POINT,
    SURROGATES,
    ascii_case_fold,
    complement,
    difference,
    intersection,
    normalize,
    size,
    unicode_class,
)
from automaton.syntax.python_re import CLASS_ESCAPES, sre_constants, sre_parse

SMALL = 200  # the arithmetic is checked against sets of code points below this
pairs = st.lists(st.tuples(st.integers(0, SMALL), st.integers(-3, 40)).map(lambda p: (p[0], p[0] + p[1])), max_size=8)


def members(ranges) -> set[int]:
    return {c for lo, hi in ranges for c in range(lo, hi + 1)}


def is_normal(ranges) -> bool:
    return (
        isinstance(ranges, tuple)
        and all(lo <= hi for lo, hi in ranges)
        and all(a[1] + 1 < b[0] for a, b in itertools.pairwise(ranges))
    )


@settings(max_examples=300, deadline=None)
@given(pairs, pairs)
def test_arithmetic_agrees_with_python_sets(a, b):
    for result, expected in (
        (normalize(a), members(a)),
        (difference(a, b), members(a) - members(b)),
        (intersection(a, b), members(a) & members(b)),
    ):
        assert is_normal(result) and members(result) == expected
        assert size(result) == len(expected)
    outside = complement(normalize(a))
    assert is_normal(outside) and size(outside) + size(normalize(a)) == MAX_CODE_POINT + 1
    assert members(difference(outside, [(SMALL + 50, MAX_CODE_POINT)])) == set(range(SMALL + 50)) - members(a)


def _re_class(ranges) -> str:
    """A class naming `ranges` through Python's own escapes (independent of `render`)."""
    return "[" + "".join(f"\\U{lo:08x}-\\U{hi:08x}" for lo, hi in ranges) + "]"


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.integers(0x30, 0x80), st.integers(0, 12)).map(lambda p: (p[0], p[0] + p[1])),
                min_size=1, max_size=4))
def test_ascii_case_fold_agrees_with_re_ignorecase(ranges):
    ranges = normalize(ranges)
    folded = members(ascii_case_fold(ranges))
    regex = re.compile(_re_class(ranges), re.IGNORECASE | re.ASCII)
    assert folded == {c for c in range(0x180) if regex.fullmatch(chr(c))}


ALL_TEXT = "".join(map(chr, range(MAX_CODE_POINT + 1)))


def _runs(regex: str, flags: int = 0) -> tuple[tuple[int, int], ...]:
    """Maximal runs of code points that `regex` (one character) matches, found by `re` itself."""
    return tuple((m.start(), m.end() - 1) for m in re.finditer(f"(?:{regex})+", ALL_TEXT, flags))


@pytest.mark.parametrize("letter", "dws")
def test_class_escapes_agree_with_re(letter):
    assert ASCII_CLASSES[letter] == _runs(f"\\{letter}", re.ASCII)
    assert unicode_class(letter) == _runs(f"\\{letter}")
    assert complement(unicode_class(letter)) == _runs(f"\\{letter.upper()}")


def test_dot_and_surrogates_agree_with_re():
    assert ANY == _runs(".", re.DOTALL)
    assert ANY_BUT_NEWLINE == _runs(".")
    assert SURROGATES == _runs("[\\ud800-\\udfff]")


@pytest.mark.parametrize("escape", "dDwWsS")
def test_class_escapes_name_res_categories(escape):
    [(op, [(kind, code)])] = list(sre_parse.parse(f"\\{escape}"))
    assert (op, kind) == (sre_constants.IN, sre_constants.CATEGORY)
    assert CLASS_ESCAPES[code] == (escape.lower(), escape.isupper())
