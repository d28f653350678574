"""`automaton.syntax.render` against Python's own `re` and against `parse_regex`: the text it
writes matches exactly the characters (or the text) it was given."""
from __future__ import annotations

import re

from hypothesis import given, settings
from hypothesis import strategies as st

from automaton.syntax.charsets import MAX_CODE_POINT, SURROGATES, difference, normalize
from automaton.syntax.parser import parse_regex
from automaton.syntax.render import char_class, literal
from automaton.syntax.tree import CharSet

# Ranges near the places that need care: controls, class specials, surrogates, the top.
starts = st.one_of(
    st.integers(0, 0x80),
    st.integers(0xD7F0, 0xE010),
    st.integers(0x10FFF0, MAX_CODE_POINT),
    st.integers(0, MAX_CODE_POINT),
)
ranges_st = st.lists(st.tuples(starts, st.sampled_from([0, 1, 2, 5, 100, 70000])), max_size=5).map(
    lambda pairs: normalize((lo, min(lo + width, MAX_CODE_POINT)) for lo, width in pairs)
)


def _probes(ranges) -> set[int]:
    """Code points on and next to every boundary, and a few fixed ones."""
    out = {0, 0x0A, 0x2D, 0x5C, 0x5D, 0x5E, 0x7F, 0xD7FF, 0xE000, MAX_CODE_POINT}
    for lo, hi in ranges:
        out.update((lo - 1, lo, lo + 1, (lo + hi) // 2, hi - 1, hi, hi + 1))
    return {c for c in out if 0 <= c <= MAX_CODE_POINT and not 0xD800 <= c <= 0xDFFF}


@settings(max_examples=300, deadline=None)
@given(ranges_st)
def test_char_class_matches_exactly_its_ranges(ranges):
    text = char_class(ranges)
    wanted = difference(ranges, SURROGATES)
    if not wanted:
        assert text is None
        return
    compiled = re.compile(text, re.ASCII)
    for c in _probes(ranges):
        inside = any(lo <= c <= hi for lo, hi in wanted)
        assert bool(compiled.fullmatch(chr(c))) == inside, (text, hex(c))
    tree = parse_regex(text)
    assert isinstance(tree, CharSet) and difference(tree.ranges, SURROGATES) == wanted


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet=st.one_of(st.sampled_from("\\.^$*+?{}[]()|-\x00\n\x1f\x7f"), st.characters()), max_size=12))
def test_literal_matches_exactly_its_text(text):
    regex = literal(text)
    assert re.fullmatch(regex, text, re.ASCII)
    assert not re.fullmatch(regex, text + "x", re.ASCII)
    if text:
        assert not re.fullmatch(regex, text[:-1], re.ASCII)
