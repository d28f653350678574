"""The shape of compile_dfa's result: minimal, every state live and reachable, coarsest byte classes.

Checks use references written here, independent of the Hopcroft code in `automaton.dfa.minimize`:
Moore's partition refinement for minimality, plain graph searches for liveness and
reachability. They read the table per byte class (a byte's row entry is its class's entry, so
per-class and per-byte answers agree); one test checks the 256 bytes directly.
"""
from __future__ import annotations

import numpy as np
import pytest

import automaton
from automaton.dfa.byte_dfa import DEAD_STATE
from tests.cases import CASES

SMALL_CASES = [case for case in CASES if case.name != "explosion_13"]


def byte_table(dfa: automaton.ByteDFA) -> np.ndarray:
    """int32[n_states, 256]: the transition on every byte value."""
    return dfa.table[:, dfa.byte_classes]


def moore_block_count(table: np.ndarray, accepting: np.ndarray) -> int:
    """Number of Myhill-Nerode classes, by Moore's refinement until nothing splits."""
    blocks = accepting.astype(np.int64)
    count = len(np.unique(blocks))
    while True:
        signature = np.ascontiguousarray(np.concatenate([blocks[:, None], blocks[table]], axis=1))
        rows = signature.view(np.dtype((np.void, signature.itemsize * signature.shape[1]))).ravel()
        _, blocks = np.unique(rows, return_inverse=True)
        blocks = blocks.reshape(-1).astype(np.int64)
        new_count = int(blocks.max()) + 1
        if new_count == count:
            return count
        count = new_count


def reachable_from(table: np.ndarray, start: int) -> set[int]:
    seen, stack = {start}, [start]
    while stack:
        for nxt in set(table[stack.pop()].tolist()) - seen:
            seen.add(nxt)
            stack.append(nxt)
    return seen


def live_states(table: np.ndarray, accepting: np.ndarray) -> set[int]:
    predecessors: dict[int, set[int]] = {}
    for state, row in enumerate(table.tolist()):
        for target in row:
            predecessors.setdefault(target, set()).add(state)
    live = set(np.flatnonzero(accepting).tolist())
    stack = list(live)
    while stack:
        for state in predecessors.get(stack.pop(), set()) - live:
            live.add(state)
            stack.append(state)
    return live


@pytest.mark.parametrize("case", SMALL_CASES, ids=[case.name for case in SMALL_CASES])
def test_dfa_is_minimal_live_reachable_with_coarsest_classes(case):
    dfa = automaton.compile_dfa(case.pattern)
    table = dfa.table
    n_states = dfa.num_states

    assert not dfa.accepting[DEAD_STATE] and (dfa.table[DEAD_STATE] == DEAD_STATE).all()
    assert dfa.initial_state != DEAD_STATE
    assert moore_block_count(table, dfa.accepting) == n_states, "two states accept the same language"
    assert live_states(table, dfa.accepting) == set(range(1, n_states)), "a non-dead state cannot accept"
    assert reachable_from(table, dfa.initial_state) | {DEAD_STATE} == set(range(n_states))
    assert len(np.unique(dfa.table, axis=1)[0]) == dfa.num_classes, "two byte classes behave alike"
    assert dfa.table.dtype == np.int32 and dfa.byte_classes.dtype == np.uint8 and dfa.accepting.dtype == np.bool_


def test_bytes_that_never_start_utf8_always_lead_to_the_dead_state():
    never_valid = [0xC0, 0xC1, *range(0xF5, 0x100)]
    for case in SMALL_CASES:
        dfa = automaton.compile_dfa(case.pattern)
        table = byte_table(dfa)
        assert (table[:, never_valid] == DEAD_STATE).all(), case.name
        assert live_states(table, dfa.accepting) == set(range(1, dfa.num_states)), case.name


def test_explosion_pattern_has_its_known_minimal_size():
    # "the 14th byte from the end is an a": 2**14 live states (the last 14 bytes) plus the dead state.
    dfa = automaton.compile_dfa(r"[ab]*a[ab]{13}")
    assert dfa.num_states == 2**14 + 1
    assert live_states(dfa.table, dfa.accepting) == set(range(1, dfa.num_states))


@pytest.mark.parametrize(
    ("first", "second"),
    [
        (r"[\U00010000-\U0010FFFF]", r"[^\x00-\uffff]"),
        (r"[\u0100-\U0010FFFF]+", r"[^\x00-\xff]+"),
        (r"(a|b)*abb", r"[ab]*abb"),
        (r"(?i)abc", r"[aA][bB][cC]"),
        (r"a{2,3}", r"aaa?"),
        (r"(?s).", r"[\x00-\U0010ffff]"),
        (r".", r"[^\n]"),
        (r"x*?y", r"x*y"),
        (r"^\d+$", r"[0-9]+"),
    ],
)
def test_equal_languages_give_identical_minimal_dfas(first, second):
    # A minimal DFA is unique up to numbering; both are numbered breadth-first from the start.
    one, two = automaton.compile_dfa(first), automaton.compile_dfa(second)
    assert np.array_equal(one.byte_classes, two.byte_classes)
    assert np.array_equal(one.table, two.table)
    assert np.array_equal(one.accepting, two.accepting)


def test_different_languages_give_different_dfas():
    one, two = automaton.compile_dfa(r"[ab]*abb"), automaton.compile_dfa(r"[ab]*aba")
    assert not (np.array_equal(one.table, two.table) and np.array_equal(one.accepting, two.accepting))
