"""The parser `automaton.syntax.parser` drives (interegular's, with a shortcut for plain characters)
gives the same interegular tree as interegular's own parser, on the prepared text of every
pattern: the benchmark patterns, hand-picked corners, and the random patterns of
`tests/automaton/dfa/test_properties.py`."""
from __future__ import annotations

import pytest
from hypothesis import given, settings
from interegular.patterns import InvalidSyntax, Unsupported, _ParsePattern

from automaton.syntax.parser import _Parser
from automaton.syntax.preparse import prepare
from tests.automaton.dfa.test_properties import patterns_with_matches
from tests.cases import BENCH_PATTERNS

CORNERS = [
    "a", "ab", "a{2}{3}", "a{2,}?", "a*?b+?c??", "}", "]", "a}", "{", "a{", "x{,2}", "a|b", "(a)|b|",
    "(?:ab)*c", "(?i)ab", "(?i:a)b", "a||b", "()", "(|a)", "[ab]{2}c", r"\d+\.\d*", "a.b", "^ab$",
    "é日😀+", "a(b(c|d)*)?e",
]


def assert_same_tree(pattern: str) -> None:
    text = prepare(pattern).text
    outcomes = []
    for parser in (_ParsePattern, _Parser):
        try:
            outcomes.append(parser(text).parse())
        except (InvalidSyntax, Unsupported) as error:
            outcomes.append(type(error))
    assert outcomes[0] == outcomes[1], (pattern, text)


@pytest.mark.parametrize("pattern", CORNERS + list(BENCH_PATTERNS.values()))
def test_same_tree_as_interegulars_parser(pattern):
    assert_same_tree(pattern)


@settings(max_examples=300, deadline=None)
@given(patterns_with_matches)
def test_same_tree_on_random_patterns(case):
    assert_same_tree(case[0])
