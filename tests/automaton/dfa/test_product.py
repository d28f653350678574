"""Intersection, difference and complement of DFAs (`automaton.dfa.product`) against Python's
`re`: random pattern pairs from the grammar of `test_properties`, each result checked on texts
that match either operand, near misses and random texts (`re.fullmatch` of both operands is the
oracle); inclusion and equality against the same oracle on every short text of a small alphabet."""
from __future__ import annotations

import itertools
import re

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import automaton
from automaton.dfa.byte_dfa import DEAD_STATE
from automaton.dfa.limits import Deadline
from automaton.dfa.product import complement, difference, equivalent, intersection, is_subset
from tests.automaton.dfa.test_properties import bodies, texts
from tests.support.deadlines import Recording, TickingClock


def accepted(dfa, text: str) -> bool:
    return dfa is not None and dfa.matches(text.encode())


def check_product(first, second, candidates):
    """Every operation on the two patterns' DFAs, each candidate text checked against `re`."""
    a, b = automaton.compile_dfa(first), automaton.compile_dfa(second)
    re_a, re_b = re.compile(first, re.ASCII), re.compile(second, re.ASCII)
    both, only_a, only_b = intersection(a, b), difference(a, b), complement(a, b)
    for text in candidates:
        in_a, in_b = re_a.fullmatch(text) is not None, re_b.fullmatch(text) is not None
        assert accepted(both, text) == (in_a and in_b), (first, second, text)
        assert accepted(only_a, text) == (in_a and not in_b), (first, second, text)
        assert accepted(only_b, text) == (in_b and not in_a), (first, second, text)
    for result in (both, only_a, only_b):
        if result is not None:  # minimal: no dead state but 0, no two states alike
            assert result.table[DEAD_STATE].max() == 0
            assert len({(row.tobytes(), acc) for row, acc in zip(result.table, result.accepting)}) == result.num_states


@settings(max_examples=120, deadline=None, database=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much])
@given(first=bodies, second=bodies, others=st.lists(texts, min_size=4, max_size=8))
def test_random_pairs_agree_with_re(first, second, others):
    (pattern_a, match_a), (pattern_b, match_b) = first, second
    near = [match_a + match_b, match_b + match_a, match_a[1:], match_b[:-1]]
    check_product(pattern_a, pattern_b, [match_a, match_b, *near, *others])


WORDS = ["".join(chars) for length in range(6) for chars in itertools.product("abc", repeat=length)]
LONGER_WORDS = ["".join(chars) for length in range(9) for chars in itertools.product("abc", repeat=length)]
SMALL = ["a*", "(?:ab)*", "a?b?c?", "[ab]*c", "(?:a|b)*a(?:a|b)", "c|abc|", "(?:abc)+", "[abc]{2,4}", "b+|c+"]


def shortest_accepted(dfa) -> str:
    """The shortest text `dfa` accepts (breadth-first over its table), as ASCII."""
    parents = {dfa.initial_state: None}
    queue = [dfa.initial_state]
    for state in queue:
        if dfa.accepting[state]:
            text = []
            while parents[state] is not None:
                state, byte = parents[state]
                text.append(chr(byte))
            return "".join(reversed(text))
        for byte in range(128):
            target = int(dfa.table[state, dfa.byte_classes[byte]])
            if target != DEAD_STATE and target not in parents:
                parents[target] = (state, byte)
                queue.append(target)
    raise AssertionError("no text accepted")


@pytest.mark.parametrize("first", SMALL)
def test_inclusion_and_equality_against_re(first):
    a = automaton.compile_dfa(first)
    for second in SMALL:
        b = automaton.compile_dfa(second)
        if is_subset(a, b):  # no counterexample among the texts up to length 8
            assert not [w for w in LONGER_WORDS if re.fullmatch(first, w) and not re.fullmatch(second, w)]
        else:  # a counterexample, which `re` confirms
            witness = shortest_accepted(difference(a, b))
            assert re.fullmatch(first, witness) and not re.fullmatch(second, witness), (first, second, witness)
        if {w for w in LONGER_WORDS if re.fullmatch(first, w)} != {w for w in LONGER_WORDS if re.fullmatch(second, w)}:
            assert not equivalent(a, b)
        elif first == second:
            assert equivalent(a, b)
        check_product(first, second, WORDS)


def test_equal_languages_written_differently_are_equivalent():
    assert equivalent(automaton.compile_dfa("(?:a|b)*"), automaton.compile_dfa("(?:a*b*)*"))
    assert equivalent(automaton.compile_dfa("[α-ω]+é?"), automaton.compile_dfa("(?:[α-ω]+)(?:é|)"))
    assert not equivalent(automaton.compile_dfa("[α-ω]+"), automaton.compile_dfa("[α-ψ]+"))


def test_complement_within_a_universe_of_utf8_text():
    universe = automaton.compile_dfa("(?s).{0,3}")
    rest = complement(automaton.compile_dfa("[é日]+"), universe)
    for text in ["", "a", "é", "日é", "éé", "aé", "😀", "abcd", "日日日"]:
        assert accepted(rest, text) == (len(text) <= 3 and not re.fullmatch("[é日]+", text)), text
    assert complement(universe, universe) is None


def test_a_product_past_max_states_is_refused():
    a, b = automaton.compile_dfa("[ab]*a[ab]{6}"), automaton.compile_dfa("[ab]*b[ab]{2}")
    assert intersection(a, b).num_states > 20
    with pytest.raises(automaton.TooManyStatesError, match="max_states=20"):
        intersection(a, b, max_states=20)


def test_the_deadline_is_looked_at_and_honoured():
    a, b = automaton.compile_dfa("[a-z]*q[a-z]{4}"), automaton.compile_dfa("[a-z]*x[a-z]{3}")
    recording = Recording()
    intersection(a, b, deadline=recording)
    assert recording.looks.count("combining automata") == 2 and "minimizing" in recording.looks
    with pytest.raises(automaton.CompileTimeoutError, match="combining automata"):
        intersection(a, b, deadline=Deadline(1.5, clock=TickingClock()))  # spent at the second look


def test_classes_of_both_operands_are_refined():
    # Classes of a ([a-m] vs the rest) and of b ([h-z] vs the rest) cut each other into four.
    a, b = automaton.compile_dfa("[a-m]+"), automaton.compile_dfa("[h-z]+")
    both = intersection(a, b)
    assert all(accepted(both, chr(c)) == (ord("h") <= c <= ord("m")) for c in range(128))
    assert np.unique(both.byte_classes).shape[0] <= 3  # minimized: dead bytes merge into one class
