"""The inputs on which the `regex` module's answers were wrong, kept as regression tests of the
brute-force oracle (`tests.reliability.oracle`) and of the index on the same patterns."""
from __future__ import annotations

import re

import pytest

import automaton
from tests.reliability.oracle import PartialOracle, greedy

ASCII_TOKENS = [bytes([b]) for b in (0x09, 0x0A, *range(0x20, 0x7F))] + [b"ba", b"c."]
EOS = len(ASCII_TOKENS)


@pytest.fixture(scope="module")
def vocabulary():
    return automaton.Vocabulary.from_token_bytes(ASCII_TOKENS + [None], eos_token_ids=[EOS])


def allowed_after(index, text: str) -> set[bytes]:
    state = index.initial_state
    for char in text:
        state = index.next_state(state, ASCII_TOKENS.index(char.encode()))
        assert state >= 0, text
    return {ASCII_TOKENS[t] for t in index.allowed_token_ids(state).tolist() if t != EOS}


def test_greedy_keeps_escapes_and_drops_only_lazy_marks():
    assert greedy(r"a*?b+?c??d{1,2}?(?:e)??") == r"a*b+c?d{1,2}(?:e)?"
    assert greedy(r"\*?x\\*?") == r"\*?x\\*"
    assert greedy(r"(?i:a)?(?s:.)") == r"(?i:a)?(?s:.)"


# Found by test_stress_cache: after "." the index refused "ba", which `regex` called a partial match.
LAZY_CASE = r"(?:[^a]){2,}(?:0)*(?:\s)*?(?:\ )+?\ [xyz]"


@pytest.mark.parametrize("pattern, text, expected", [
    (r"b\s*?x", "ba", False),
    (r"b\s*?x", "b  ", True),
    (LAZY_CASE, ".ba", False),
    (LAZY_CASE, "..a", False),
    (LAZY_CASE, ".c.  ", True),
])
def test_partial_matches_after_lazy_repeats(pattern, text, expected):
    assert PartialOracle(pattern)(text) is expected


def test_index_refuses_what_cannot_follow_a_lazy_repeat(vocabulary):
    index = automaton.compile_index(LAZY_CASE, vocabulary, cache=False)
    after_dot = allowed_after(index, ".")
    assert b"c." in after_dot and b"ba" not in after_dot and b"a" not in after_dot
    assert re.fullmatch(LAZY_CASE, ".c.  x") and index.is_accepting(index.advance(
        index.initial_state, [ASCII_TOKENS.index(bytes([b])) for b in b".c.  x"]))


# Found by test_index_properties: the index allowed "B", which `regex` (V0) refused.
SCOPED_CASE = r"(?:a|(?:[^ab])+|(?i:a))"


@pytest.mark.parametrize("pattern, text, expected", [
    (r"[^ab]|(?i:a)", "B", True),
    (r"[^ab]|(?i:a)", "A", True),
    (r"[^ab]|(?i:a)", "b", False),
    (r"(?:[^ab]x|(?i:a))", "B", None),  # a prefix the two modes disagree on: left unchecked
    (SCOPED_CASE, "BB", True),
])
def test_partial_matches_beside_a_scoped_ignorecase_branch(pattern, text, expected):
    # A text that `re` fully matches is decided by `re`; other disagreements give None.
    assert PartialOracle(pattern)(text) is expected


def test_index_allows_uppercase_beside_a_scoped_ignorecase_branch(vocabulary):
    index = automaton.compile_index(SCOPED_CASE, vocabulary, cache=False)
    first = allowed_after(index, "")
    assert {b"B", b"A", b"a", b"c"} <= first and b"b" not in first and b"ba" not in first
    assert all(bool(re.fullmatch(SCOPED_CASE, token.decode(), re.ASCII)) for token in first if len(token) == 1)
