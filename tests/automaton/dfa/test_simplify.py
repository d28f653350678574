"""The tree rewrites before the NFA (`automaton.dfa.simplify`) keep the language exactly.

Two oracles for every random pattern, built from pieces that the rewrites act on (optional
and counted repeats of things that match the empty string, alternations with empty options,
runs of the same star, nested counted repeats):

- Python's `re`: `re.fullmatch` on every string over {a, b, c} up to length 5 (364 strings).
  `re` backtracks, exponentially in nested repeats of what matches the empty string: the
  patterns nest three levels of repeats at most, and a pattern that still keeps `re` busy for
  over a second is checked by the second oracle alone (counted; at most 1 in 20).
- The pattern compiled without the rewrites (the same stages, the tree as parsed): the minimal
  DFA of a language is unique and `compile_dfa` numbers it canonically (breadth first, classes
  by their lowest byte), so the two DFAs must be equal array for array.

And the rewrites never make the NFA bigger, so they never turn a pattern over the limits away.
"""
from __future__ import annotations

import itertools
import re
import signal

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import automaton
from automaton import TooManyStatesError
from automaton.dfa import nfa as nfa_module
from automaton.dfa.determinize import DenseDFA, determinize
from automaton.dfa.limits import Deadline
from automaton.dfa.minimize import minimize
from automaton.dfa.simplify import simplify
from automaton.syntax.parser import parse_regex
from automaton.syntax.tree import CharSet, Concat, Repeat

TEXTS = ["".join(chars) for n in range(6) for chars in itertools.product("abc", repeat=n)]

atoms = st.sampled_from(["a", "b", "c", "[ab]", "ab", "(?:)", "a?", "b*", "(?:ab|)"])
QUANTIFIERS = ["?", "*", "+", "??", "*?", "{0}", "{1}", "{2}", "{3}", "{0,2}", "{1,3}", "{2,}", "{0,}", "{2,3}"]


def _repeat(piece_quantifier):
    piece, quantifier = piece_quantifier
    return f"(?:{piece}){quantifier}"


def _alternation(pieces_and_empty):
    pieces, empty = pieces_and_empty
    return "(?:" + "|".join(pieces + [""] * empty) + ")"


def _star_run(piece_count):
    piece, count, quantifier = piece_count
    return f"(?:{piece}){quantifier}" * count


def _plain(children, size):
    """`children`, or a concatenation or an alternation (empty options added) of a few."""
    return st.one_of(
        children,
        st.lists(children, min_size=2, max_size=size).map("".join),
        st.tuples(st.lists(children, min_size=1, max_size=size), st.integers(0, 2)).map(_alternation),
    )


# Three levels of repeats at most (the atoms' own, then two more), so that `re`'s backtracking,
# exponential in nested repeats of what matches the empty string, stays fast on these texts.
_level1 = _plain(atoms, 3)
_level2 = _plain(st.one_of(
    _level1,
    st.tuples(_level1, st.sampled_from(QUANTIFIERS)).map(_repeat),
    st.tuples(_level1, st.integers(2, 3), st.sampled_from(["*", "?", "+", "{0,2}", ""])).map(_star_run),
), 2)
patterns = _plain(st.one_of(_level2, st.tuples(_level2, st.sampled_from(QUANTIFIERS)).map(_repeat)), 2)

tried = {"patterns": 0, "rewritten": 0, "too_slow_for_re": 0}


class _TooSlow(Exception):
    pass


def re_answers(compiled: re.Pattern, texts: list[str], seconds: float) -> list[bool] | None:
    """`re.fullmatch` on every text, or None once that takes over `seconds` (interrupted: `re`
    checks for signals as it backtracks)."""

    def interrupt(signum, frame):
        raise _TooSlow

    previous = signal.signal(signal.SIGALRM, interrupt)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        return [compiled.fullmatch(text) is not None for text in texts]
    except _TooSlow:
        return None
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


@pytest.fixture(scope="module", autouse=True)
def rewrites_were_tried(request):
    yield
    ran = any(item.name == "test_rewritten_patterns_keep_their_language" for item in request.session.items)
    if ran and not request.session.shouldfail:
        # Guards against the property test trying (almost) nothing the rewrites act on.
        assert tried["patterns"] >= 100, tried
        assert tried["rewritten"] >= tried["patterns"] // 2, tried
        assert tried["too_slow_for_re"] <= tried["patterns"] // 20, tried


def compile_raw(pattern: str) -> DenseDFA:
    """The pattern's minimal DFA through the stages of `compile_dfa` without the rewrites."""
    tree = parse_regex(pattern)
    builder = nfa_module._Builder(10**6, Deadline(None))
    nfa = builder.nfa
    nfa.start, nfa.final = builder.fragment(tree)
    return minimize(determinize(nfa, 10**5, Deadline(None)), Deadline(None))


def assert_same_dfa(dfa: automaton.ByteDFA, raw: DenseDFA) -> None:
    assert dfa.initial_state == raw.initial
    np.testing.assert_array_equal(dfa.byte_classes, raw.byte_classes)
    np.testing.assert_array_equal(dfa.table, raw.table)
    np.testing.assert_array_equal(dfa.accepting, raw.accepting)


@settings(max_examples=150, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])
@given(pattern=patterns)
def test_rewritten_patterns_keep_their_language(pattern):
    compiled_re = re.compile(pattern)
    tree = parse_regex(pattern)
    simple = simplify(tree)
    tried["patterns"] += 1
    tried["rewritten"] += simple != tree
    assert nfa_module._count(simple) <= nfa_module._count(tree), pattern
    raw = compile_raw(pattern)
    expected = re_answers(compiled_re, TEXTS, 1.0)  # None: too slow for `re`, the DFA oracle alone
    tried["too_slow_for_re"] += expected is None
    try:
        dfa = automaton.compile_dfa(pattern)
    except automaton.EmptyLanguageError:
        assert raw.initial == 0
        assert expected is None or not any(expected)
        return
    if expected is not None:
        for text, matches in zip(TEXTS, expected):
            assert dfa.matches(text.encode()) == matches, (pattern, text)
    assert_same_dfa(dfa, raw)


@pytest.mark.parametrize(
    ("pattern", "expected"),
    [
        ("(?:R?){5}", "R{0,5}"),
        ("(?:R||){5}", "R{0,5}"),
        ("X?(R||){3335}", "X?R{0,3335}"),
        ("b*" * 9000, "b*"),
        ("b*b?b+b{2}", "b{3,}"),
        ("aa*", "a+"),
        ("(?:a*){4}", "a*"),
        ("(?:a+)*", "a*"),
        ("(?:a{2,3}){2,5}", "a{4,15}"),
        ("(?:a{3}){4}", "a{12}"),
        ("(?:(?:a|)|b){2,}", "(?:a|b)*"),
        ("(?:a?|b){3}", "(?:a|b){0,3}"),
        ("(?:ab)*(?:ab)*", "(?:ab)*"),
    ],
)
def test_rewrites_of_repeats(pattern, expected):
    assert simplify(parse_regex(pattern)) == parse_regex(expected)


NESTED_QUANTIFIERS = ["?", "*", "+", "{0}", "{1}", "{2}", "{3}", "{0,1}", "{0,2}", "{1,2}", "{1,3}", "{2,3}", "{2,}",
                      "{3,}"]
NESTED_TEXTS = sorted({piece * k for piece in ("a", "b", "ab", "aab", "ba") for k in range(13)} | {"aba", "abb", "bab"})


@pytest.mark.parametrize("atom", ["a", "ab", "a?", "(?:a|)", "a*b"])
def test_every_nested_repeat_of_small_counts_keeps_its_language(atom):
    # (X q1) q2 for every pair of quantifiers: the merge rule, its gaps, and the rules for
    # nullable items, exhaustively over their small cases.
    rewritten = 0
    for inner, outer in itertools.product(NESTED_QUANTIFIERS, repeat=2):
        pattern = f"(?:(?:{atom}){inner}){outer}"
        rewritten += simplify(parse_regex(pattern)) != parse_regex(pattern)
        expected = re_answers(re.compile(pattern), NESTED_TEXTS, 20.0)  # well under a second here
        assert expected is not None, f"re took over 20 s on {pattern}"
        dfa = automaton.compile_dfa(pattern)  # never empty: each matches ""
        for text, matches in zip(NESTED_TEXTS, expected):
            assert dfa.matches(text.encode()) == matches, (pattern, text)
        assert_same_dfa(dfa, compile_raw(pattern))
    assert rewritten >= len(NESTED_QUANTIFIERS) ** 2 // 2


@pytest.mark.parametrize(
    ("pattern", "texts"),
    [
        # (a{2}){0,3} is aa repeated 0..3 times: never "aaa"; a{0,6} would accept it.
        ("(?:a{2}){0,3}", ["", "a", "aa", "aaa", "aaaa", "aaaaa", "aaaaaa", "aaaaaaa"]),
        ("(?:a{2,3}){0,2}", ["", "a", "aa", "aaa", "aaaa", "aaaaa", "aaaaaa", "aaaaaaa"]),
        ("(?:a{3}){1,}", ["aaa", "aaaa", "aaaaa", "aaaaaa"]),
        ("(?:a{2}){2,3}", ["", "aa", "aaaa", "aaaaa", "aaaaaa", "aaaaaaa"]),
    ],
)
def test_repeats_with_gaps_are_not_merged(pattern, texts):
    tree = simplify(parse_regex(pattern))
    assert isinstance(tree, Repeat) and isinstance(tree.item, Repeat)  # left nested
    dfa = automaton.compile_dfa(pattern)
    for text in texts:
        assert dfa.matches(text.encode()) == (re.fullmatch(pattern, text) is not None), text


def test_nested_counts_are_still_refused_before_building():
    # (a{1000}){1000} is a{1000000}: the same NFA size, refused by the count as before.
    assert simplify(parse_regex("(a{1000}){1000}")) == Repeat(CharSet(((97, 97),)), 1_000_000, 1_000_000)
    with pytest.raises(TooManyStatesError, match="NFA states"):
        automaton.compile_dfa("(a{1000}){1000}")


def test_concatenations_of_optionals_are_left_as_they_are():
    # Its non-empty part would be an alternation bigger than the pattern: no rewrite but the
    # lower bound (the deadline and the closure walks bound its cost instead).
    tree = simplify(parse_regex("(?:a?b?){4}"))
    assert isinstance(tree, Repeat) and (tree.min, tree.max) == (0, 4) and isinstance(tree.item, Concat)


def optional_x_then_r(text: str) -> bool:  # X?(R||){3335}
    body = text[1:] if text.startswith("X") else text
    return set(body) <= {"R"} and len(body) <= 3335


@pytest.mark.parametrize(
    ("pattern", "accepts", "halved"),
    [
        ("X?(R||){3335}", optional_x_then_r, True),
        ("b*" * 9000, lambda text: set(text) <= {"b"}, True),
        ("(?:R?){3000}", lambda text: set(text) <= {"R"} and len(text) <= 3000, True),
        ("(?:a|b?){2000}c", lambda text: text.endswith("c") and set(text[:-1]) <= {"a", "b"} and len(text) <= 2001,
         False),
    ],
)
def test_pathological_repeats_compile_to_small_nfas(pattern, accepts, halved):
    # Texts checked against the language written out by hand: `re` backtracks exponentially on
    # these patterns when a text does not match.
    tree = parse_regex(pattern)
    simple = simplify(tree)
    if halved:
        assert nfa_module._count(simple) <= nfa_module._count(tree) // 2 + 1
    else:
        assert nfa_module._count(simple) <= nfa_module._count(tree) - 1000
    dfa = automaton.compile_dfa(pattern)
    texts = ["", "R", "X", "XR", "RX", "X" + "R" * 3335, "X" + "R" * 3336, "R" * 3000, "R" * 3001, "b" * 50,
             "bab", "a" * 1999 + "c", "ab" * 1000 + "c", "ab" * 1001 + "c", "c", "cc"]
    for text in texts:
        assert dfa.matches(text.encode()) == accepts(text), (pattern[:20], text[:20])
