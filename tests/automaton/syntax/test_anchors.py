"""Anchors (`^ $ \\A \\Z`): accepted wherever they sit at an edge of the whole match, and then
meaning what `re.fullmatch` gives them; refused elsewhere, naming the anchor and its offset.

Oracle: `re.fullmatch(pattern, text, re.ASCII)`, on texts built to match (from the grammar of
`tests/automaton/dfa/test_properties.py`, anchors contributing nothing), the same with a newline
added (Python's `$` also holds before a final newline), cut short, and random texts. Patterns:
anchors placed only at edges by construction (must be accepted and agree), one anchor placed
where something must be matched before / after it by construction (must be refused at its
offset), and anchors dropped anywhere (accepted ones must agree; refused ones must name an
anchor at an offset that holds one).
"""
from __future__ import annotations

import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import automaton
from automaton import UnsupportedRegexError
from tests.automaton.dfa.test_properties import CHARS, SCOPED_FLAGS, _extend, classes, literals

START = [("^", ""), ("\\A", "")]
END = [("$", ""), ("\\Z", "")]
GLOBAL = ["", "", "(?m)", "(?i)", "(?s)", "(?ms)"]
texts = st.text(alphabet=st.sampled_from(CHARS + ["C", "\t"]), max_size=6)
SETTINGS = settings(max_examples=200, deadline=None, database=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


def assert_agrees_with_re(pattern: str, texts_to_try) -> None:
    compiled = re.compile(pattern, re.ASCII)
    dfa = automaton.compile_dfa(pattern)
    for text in texts_to_try:
        assert dfa.matches(text.encode()) == (compiled.fullmatch(text) is not None), (pattern, text)


def variants(match: str) -> list[str]:
    return [match, match + "\n", "\n" + match, match[:-1], match + match[:1], match[1:]]


ISSUE_PATTERNS = [
    r"^abc$|^def$", r"(?:^ab)", r"a$|z", r"(aa$)?", r"(^a)", r"(a$)", r"a|^b", r"\Aab\Z|^c$", r"(?m)^ab$|^c$",
    r"(?:^|x)y", r"y(?:$|x)", r"(^)*a", r"a($)*", r"^^a$$", r"(?#c)^a", r"()^a", r"x{0}^a", r"a$x{0}",
    r"(?:(?:^a|b)c|^d)", r"(?i)(?:^A)?b", r"(?s)(?:.$)?", r"(?:a|b$)?", r"[^\s\S]^a|b",
]


@pytest.mark.parametrize("pattern", ISSUE_PATTERNS)
def test_anchors_at_an_edge_of_every_branch_are_accepted(pattern):
    texts_to_try = ["", "a", "ab", "abc", "def", "z", "aa", "b", "c", "d", "bc", "ac", "xy", "y", "yx", "A", "Ab",
                    "\n", "a\n", "ab\n", "abc\n", "x"]
    assert_agrees_with_re(pattern, texts_to_try + [text + "\n" for text in texts_to_try])


@pytest.mark.parametrize(
    ("pattern", "construct", "offset"),
    [
        (r"a^b", "anchor ^", 1),
        (r"a$b", "anchor $", 1),
        (r"a$\n", "anchor $", 1),     # re matches "a\n": `$` holds before a final newline
        (r"a$\n?", "anchor $", 1),    # holds on every way through, but text can follow it: refused
        (r"(?m)a$\nb", "anchor $", 5),
        (r"(?m)a\n^b", "anchor ^", 7),
        (r"(?:^a)*", "anchor ^", 3),  # the second round starts after the first
        (r"(?:a$)+", "anchor $", 4),
        (r"(?:^a){2}", "anchor ^", 3),
        (r"a?^b", "anchor ^", 2),
        (r"a\Ab", "anchor \\A", 1),
        (r"a\Zb", "anchor \\Z", 1),
        (r"(?:a|^b)*", "anchor ^", 5),
        (r"x(?:^a|b)", "anchor ^", 4),
    ],
)
def test_anchors_not_at_an_edge_are_refused_naming_the_construct(pattern, construct, offset):
    re.compile(pattern)
    with pytest.raises(UnsupportedRegexError) as caught:
        automaton.compile_dfa(pattern)
    assert caught.value.construct == construct
    assert caught.value.position == offset
    assert construct in str(caught.value)


# -- anchors at edges, by construction -----------------------------------------------------------


def _edged(can_start: bool, can_end: bool, depth: int):
    """(pattern, text matching it) where anchors stand only where nothing can come before a
    start anchor or after an end anchor (`can_start` / `can_end`: this piece is at that edge)."""
    anchors = (START if can_start else []) + (END if can_end else [])
    leaves = literals | classes
    if anchors:
        leaves = leaves | st.sampled_from(anchors)
    if depth == 0:
        return leaves

    def sub(start: bool, end: bool):
        return _edged(start, end, depth - 1)

    def join(parts):
        return "".join(p for p, _ in parts), "".join(t for _, t in parts)

    def alternation(parts_choice):
        parts, choice = parts_choice
        return "(?:" + "|".join(p for p, _ in parts) + ")", parts[choice % len(parts)][1]

    zero_width = st.sampled_from(["(?#c)", "()", "(?:)", "x{0}"])
    return st.one_of(
        leaves,
        st.tuples(sub(can_start, False), sub(False, can_end)).map(join),
        st.tuples(sub(can_start, False), sub(False, False), sub(False, can_end)).map(join),
        st.tuples(zero_width, sub(can_start, can_end)).map(lambda t: (t[0] + t[1][0], t[1][1])),
        st.tuples(sub(can_start, can_end), zero_width).map(lambda t: (t[0][0] + t[1], t[0][1])),
        st.tuples(st.lists(sub(can_start, can_end), min_size=2, max_size=3), st.integers(0, 2)).map(alternation),
        st.tuples(st.sampled_from(SCOPED_FLAGS), sub(can_start, can_end)).map(
            lambda t: (t[0] + t[1][0] + ")", t[1][1])),
        st.tuples(sub(can_start, can_end), st.booleans()).map(  # at most once: still at the edge
            lambda t: ("(?:" + t[0][0] + ")?", t[0][1] if t[1] else "")),
        st.tuples(sub(False, False), st.sampled_from(["*", "+", "{2}", "{0,3}"])).map(
            lambda t: ("(?:" + t[0][0] + ")" + t[1], t[0][1] * (2 if t[1] != "*" else 1))),
    )


edged = st.tuples(st.sampled_from(GLOBAL), _edged(True, True, 3)).map(lambda t: (t[0] + t[1][0], t[1][1]))


@SETTINGS
@given(pattern_and_match=edged, others=st.lists(texts, min_size=2, max_size=5))
def test_anchors_at_an_edge_of_every_branch_agree_with_re(pattern_and_match, others):
    pattern, match = pattern_and_match
    assert_agrees_with_re(pattern, variants(match) + others)


# -- one anchor with text before / after it, by construction ------------------------------------

consuming = st.sampled_from(["a", "[ab]", "b+", "\\n", "(?:a|bc)", ".", "\\d{2}", "(?:a?b)"])
optional = st.sampled_from(["", "x?", "(?:y|)", "(?#c)"])


@st.composite
def misplaced(draw):
    """(pattern, construct, offset): one anchor that text must precede (a start anchor) or
    follow (an end anchor), inside a random context that does not change that."""
    flags = draw(st.sampled_from(GLOBAL))
    if draw(st.booleans()):
        anchor = draw(st.sampled_from(["^", "\\A"]))
        before, after = draw(optional) + draw(consuming) + draw(optional), draw(optional) + draw(consuming)
    else:
        anchor = draw(st.sampled_from(["$", "\\Z"]))
        before, after = draw(consuming), draw(optional) + draw(consuming) + draw(optional)
    core = before + anchor + after
    context = draw(st.sampled_from(["{}", "(?:{})", "({})", "z|{}", "{}|z", "(?:{}|z)?", "(?:{})?", "y{}"]))
    head, tail = context.split("{}")
    pattern = flags + head + core + tail
    return pattern, f"anchor {anchor}", len(flags + head + before)


@SETTINGS
@given(case=misplaced())
def test_anchors_with_text_before_or_after_them_are_refused_at_their_offset(case):
    pattern, construct, offset = case
    re.compile(pattern)
    with pytest.raises(UnsupportedRegexError) as caught:
        automaton.compile_dfa(pattern)
    assert caught.value.construct == construct, pattern
    assert caught.value.position == offset, pattern
    assert construct in str(caught.value)


# -- anchors anywhere ---------------------------------------------------------------------------

anchor_leaves = st.sampled_from(START + END)
anywhere = st.tuples(
    st.sampled_from(GLOBAL), st.recursive(literals | classes | anchor_leaves, _extend, max_leaves=8)
).map(lambda t: (t[0] + t[1][0], t[1][1]))
tried = {"accepted": 0, "refused": 0}


@SETTINGS
@given(pattern_and_match=anywhere, others=st.lists(texts, min_size=2, max_size=5))
def test_anchors_anywhere_are_refused_or_agree_with_re(pattern_and_match, others):
    pattern, match = pattern_and_match
    try:
        assert_agrees_with_re(pattern, variants(match) + others)
        tried["accepted"] += 1
    except UnsupportedRegexError as error:
        assert error.construct in ("anchor ^", "anchor $", "anchor \\A", "anchor \\Z"), pattern
        written = error.construct.removeprefix("anchor ")
        assert pattern.startswith(written, error.position), (pattern, error.position)
        tried["refused"] += 1


def test_anchors_anywhere_tried_both_outcomes():
    """Runs after the property test above (file order): both outcomes came up."""
    if sum(tried.values()) >= 100:
        assert tried["accepted"] >= 10 and tried["refused"] >= 10, tried
