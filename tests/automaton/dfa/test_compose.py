"""`automaton.dfa.compose` against Python's `re`: the composed DFA of some patterns accepts
exactly what `re.fullmatch` of the composed pattern text accepts, on every short string over
an alphabet that covers the patterns' characters (multi-byte ones included)."""
from __future__ import annotations

import itertools
import re

import pytest

from automaton.dfa.build import compile_dfa
from automaton.dfa.compose import Composite, concat, epsilon, literal, materialize, repeat, union
from automaton.dfa.limits import Deadline

PARTS = ["a", "ab?", "[bé]+", "(a|bb)*", "é"]
ALPHABET = ["a", "b", "é"]
NO_LIMIT = Deadline(None)


def strings(max_length: int):
    for n in range(max_length + 1):
        for chars in itertools.product(ALPHABET, repeat=n):
            yield "".join(chars)


def assert_same(dfa, pattern: str, max_length: int = 6) -> None:
    compiled = re.compile(pattern)
    for text in strings(max_length):
        assert dfa.matches(text.encode()) == bool(compiled.fullmatch(text)), (pattern, text)


@pytest.mark.parametrize("left,right", list(itertools.combinations(PARTS, 2)))
def test_concat_and_union(left, right):
    dfas = [compile_dfa(left), compile_dfa(right)]
    assert_same(concat(dfas, 1000, NO_LIMIT), f"(?:{left})(?:{right})")
    assert_same(union(dfas, 1000, NO_LIMIT), f"(?:{left})|(?:{right})")


@pytest.mark.parametrize("part", PARTS)
@pytest.mark.parametrize("low,high", [(0, 0), (0, 1), (1, 1), (2, 3), (0, None), (2, None)])
def test_repeat(part, low, high):
    quantifier = f"{{{low},{'' if high is None else high}}}"
    assert_same(repeat(compile_dfa(part), low, high, 1000, NO_LIMIT), f"(?:{part}){quantifier}")


def test_nested_composites_and_literals():
    inner = Composite.of("union", [literal("é".encode()), Composite.of("repeat", [compile_dfa("ab")], 1, 2)])
    node = Composite.of("concat", [literal(b"b"), inner, epsilon(), Composite.of("repeat", [inner], 0, None)])
    assert_same(materialize(node, 1000, NO_LIMIT), r"b(?:é|(?:ab){1,2})(?:é|(?:ab){1,2})*", max_length=7)
    assert repeat(compile_dfa("a"), 3, 2, 1000, NO_LIMIT) is None


def test_limits_are_named():
    from automaton.errors import TooManyStatesError

    with pytest.raises(TooManyStatesError, match="max_states=10"):
        repeat(compile_dfa("[ab]{5}"), 50, 50, 10, NO_LIMIT)
