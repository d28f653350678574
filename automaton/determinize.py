"""Subset construction: `ByteNFA` -> `DenseDFA`, a complete DFA over byte classes (not yet minimal).

    DenseDFA.byte_classes: uint8[256]          byte -> class (bytes in one class have the same edges)
    DenseDFA.table: int32[n_states, n_classes] next state; row 0 is the dead state (loops to itself)
    DenseDFA.accepting: bool[n_states]
    DenseDFA.initial: int                      1, or 0 (dead) when the NFA accepts nothing

The classes are the intervals between the NFA's edge boundaries. A DFA state is the frozenset of
NFA states that have byte edges (or are final) reachable after the bytes read so far; the empty
set is the dead state. Construction stops with `TooManyStatesError` once `max_states` states
(the dead state included) would be exceeded.
"""
from __future__ import annotations

from typing import NamedTuple

import numpy as np

from automaton.budget import Deadline
from automaton.errors import TooManyStatesError
from automaton.nfa import ByteNFA

__all__ = ["DenseDFA", "determinize", "nfa_byte_classes"]


class DenseDFA(NamedTuple):
    byte_classes: np.ndarray
    table: np.ndarray
    accepting: np.ndarray
    initial: int


def nfa_byte_classes(nfa: ByteNFA) -> list[int]:
    """byte -> class, where a class is a maximal run of bytes that no edge boundary cuts."""
    cuts = bytearray(257)
    for state_edges in nfa.edges:
        for lo, hi, _ in state_edges:
            cuts[lo] = 1
            cuts[hi + 1] = 1
    classes = []
    current = -1
    for byte in range(256):
        if byte == 0 or cuts[byte]:
            current += 1
        classes.append(current)
    return classes


def determinize(nfa: ByteNFA, max_states: int, deadline: Deadline) -> DenseDFA:
    byte_class = nfa_byte_classes(nfa)
    n_classes = byte_class[255] + 1
    moves = _Moves(nfa, byte_class)

    dead: frozenset[int] = frozenset()
    start = _closure(nfa, nfa.start, {})
    ids: dict[frozenset[int], int] = {dead: 0}
    pending: list[frozenset[int] | None] = [dead]
    table = np.zeros((64, n_classes), dtype=np.int32)  # grows by doubling; row 0 is the dead state
    accepting = [False]
    if start:
        ids[start] = 1
        pending.append(start)
        accepting.append(nfa.final in start)

    current = 1
    while current < len(pending):
        if current & 0x3FF == 0:
            deadline.check("determinizing")
        members = pending[current]
        pending[current] = None
        if current >= len(table):
            table = np.concatenate([table, np.zeros_like(table)])
        row = table[current]
        for lo, hi, target in moves.of(members):
            state = ids.get(target)
            if state is None:
                state = len(pending)
                if state >= max_states:
                    raise TooManyStatesError(
                        f"the DFA needs more than max_states={max_states} states; "
                        "raise max_states or simplify the pattern",
                        max_states,
                    )
                ids[target] = state
                pending.append(target)
                accepting.append(nfa.final in target)
            if lo == hi:
                row[lo] = state
            else:
                row[lo : hi + 1] = state
        current += 1

    return DenseDFA(
        byte_classes=np.asarray(byte_class, dtype=np.uint8),
        table=table[: len(pending)].copy(),
        accepting=np.asarray(accepting, dtype=np.bool_),
        initial=1 if start else 0,
    )


Run = tuple[int, int, frozenset[int]]


class _Moves:
    """Where sets of NFA states go: (first class, last class, target closure) runs, disjoint and sorted.

    Per NFA state the runs are computed once. For a set of states they are united either run by
    run (cutting at every run boundary) or class by class, whichever touches fewer items.
    """

    def __init__(self, nfa: ByteNFA, byte_class: list[int]):
        memo: dict[int, frozenset[int]] = {}
        self.runs: list[list[Run]] = [[] for _ in range(nfa.num_states)]
        self.span = [0] * nfa.num_states  # number of classes the state's runs cover
        self.per_class: dict[int, list[Run]] = {}
        for state, state_edges in enumerate(nfa.edges):
            if state_edges:
                edges = [(byte_class[lo], byte_class[hi], _closure(nfa, target, memo)) for lo, hi, target in state_edges]
                runs = self.runs[state] = _merged_runs([edges]) if len(edges) > 1 else edges
                self.span[state] = sum(hi - lo + 1 for lo, hi, _ in runs)

    def of(self, members: frozenset[int]) -> list[Run]:
        if len(members) == 1:
            (member,) = members
            return self.runs[member]
        runs, span = self.runs, self.span
        if 3 * sum(len(runs[member]) for member in members) < sum(span[member] for member in members):
            return _merged_runs([runs[member] for member in members])
        return _union_by_class([self.class_by_class(member) for member in members])

    def class_by_class(self, state: int) -> list[Run]:
        found = self.per_class.get(state)
        if found is None:
            found = self.per_class[state] = [
                (cls, cls, closure) for lo, hi, closure in self.runs[state] for cls in range(lo, hi + 1)
            ]
        return found


def _merged_runs(member_runs: list[list[Run]]) -> list[Run]:
    """Cut (possibly overlapping) runs into disjoint ones, uniting closures where they overlap."""
    cuts = sorted({cut for runs in member_runs for lo, hi, _ in runs for cut in (lo, hi + 1)})
    index_of = {cut: index for index, cut in enumerate(cuts)}
    covering: list[list[frozenset[int]]] = [[] for _ in range(len(cuts) - 1)]
    for runs in member_runs:
        for lo, hi, closure in runs:
            for index in range(index_of[lo], index_of[hi + 1]):
                covering[index].append(closure)
    merged = []
    for index, closures in enumerate(covering):
        if closures:
            union = closures[0] if len(closures) == 1 else frozenset().union(*closures)
            merged.append((cuts[index], cuts[index + 1] - 1, union))
    return merged


def _union_by_class(member_moves: list[list[Run]]) -> list[Run]:
    """One (class, class, union of the members' closures) per class any member moves on."""
    by_class: dict[int, list[frozenset[int]]] = {}
    for moves in member_moves:
        for cls, _, closure in moves:
            found = by_class.get(cls)
            if found is None:
                by_class[cls] = [closure]
            else:
                found.append(closure)
    unions: dict[tuple[frozenset[int], ...], frozenset[int]] = {}
    result = []
    for cls, closures in by_class.items():
        if len(closures) == 1:
            result.append((cls, cls, closures[0]))
            continue
        key = tuple(closures)
        union = unions.get(key)
        if union is None:
            union = unions[key] = frozenset().union(*closures)
        result.append((cls, cls, union))
    return result


def _closure(nfa: ByteNFA, state: int, memo: dict[int, frozenset[int]]) -> frozenset[int]:
    """The states with byte edges, or the final state, reachable from `state` by epsilon moves."""
    known = memo.get(state)
    if known is not None:
        return known
    epsilon, edges, final = nfa.epsilon, nfa.edges, nfa.final
    seen = {state}
    stack = [state]
    found = []
    while stack:
        current = stack.pop()
        if edges[current] or current == final:
            found.append(current)
        for nxt in epsilon[current]:
            if nxt not in seen:
                seen.add(nxt)
                stack.append(nxt)
    closure = frozenset(found)
    memo[state] = closure
    return closure
