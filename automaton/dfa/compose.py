"""Regular operations on `ByteDFA`s: concatenation, union, bounded and unbounded repetition.

An operation is first a `Composite`, a tree whose leaves are minimal DFAs; `materialize` lays the
whole tree out as one NFA over byte ranges (each leaf DFA's states and edges copied as they are,
glued with epsilon moves), then determinizes and minimizes it with the pattern compiler's own
stages, so the result is a minimal `ByteDFA` again and a composition costs what its operands'
automata cost, never what their regex texts would. Callers choose when to materialize (a tree
whose `size`, the NFA states it lays out, has grown, or one that is reused).

    Composite.of(op, parts, low=0, high=None)   op "concat" | "union" | "repeat" (one part, low..high
                                                copies, high None: unbounded); parts DFAs or Composites
    materialize(node, max_states, deadline)     the minimal ByteDFA (None: the empty language)
    concat(parts, ...), union(parts, ...), repeat(part, low, high, ...)   the same, materialized
    epsilon()                                   the DFA of the empty string alone
    literal(data)                               the DFA of exactly the bytes `data`

    >>> from automaton.dfa.build import compile_dfa
    >>> from automaton.dfa.limits import Deadline
    >>> ab = concat([compile_dfa("a"), compile_dfa("b+")], 100, Deadline(None))
    >>> ab.matches(b"abb"), ab.matches(b"a")
    (True, False)
    >>> repeat(ab, 0, 2, 100, Deadline(None)).matches(b"abab")
    True

Limits: `max_states` bounds the NFA (`NFA_STATES_PER_DFA_STATE` per DFA state) and the DFA
(`TooManyStatesError`); `deadline` is checked by each stage (`CompileTimeoutError`). An operation
whose language is empty gives None.
"""
from __future__ import annotations

import weakref
from dataclasses import dataclass

import numpy as np

from automaton.dfa.byte_dfa import DEAD_STATE, ByteDFA
from automaton.dfa.determinize import determinize
from automaton.dfa.limits import NFA_STATES_PER_DFA_STATE, Deadline
from automaton.dfa.minimize import minimize
from automaton.dfa.nfa import ByteNFA
from automaton.errors import TooManyStatesError

__all__ = ["Composite", "materialize", "concat", "union", "repeat", "epsilon", "literal"]


@dataclass(frozen=True, eq=False)
class Composite:
    """An operation not yet carried out: `op` over `parts` (DFAs or Composites)."""

    op: str
    parts: tuple
    low: int = 0
    high: int | None = None
    size: int = 0

    @classmethod
    def of(cls, op: str, parts, low: int = 0, high: int | None = None) -> Composite:
        parts = tuple(parts)
        size = sum(p.size if isinstance(p, Composite) else p.num_states for p in parts) + 2
        if op == "repeat":
            size *= max(low, 1) + (1 if high is None else high - low)
        return cls(op, parts, low, high, size)


def epsilon() -> ByteDFA:
    """The DFA accepting only the empty string."""
    return ByteDFA(
        byte_classes=np.zeros(256, np.uint8), table=np.zeros((2, 1), np.int32),
        accepting=np.array([False, True]), initial_state=1,
    )


def literal(data: bytes) -> ByteDFA:
    """The minimal DFA accepting exactly `data` (a chain of len(data) + 1 live states)."""
    if not data:
        return epsilon()
    values = np.frombuffer(data, dtype=np.uint8)
    used = np.unique(values)
    byte_classes = np.zeros(256, np.uint8)
    byte_classes[used] = np.arange(1, len(used) + 1, dtype=np.uint8)
    table = np.zeros((len(data) + 2, len(used) + 1), np.int32)
    steps = np.arange(1, len(data) + 1)
    table[steps, byte_classes[values]] = steps + 1
    accepting = np.zeros(len(data) + 2, np.bool_)
    accepting[-1] = True
    return ByteDFA(byte_classes=byte_classes, table=table, accepting=accepting, initial_state=1)


def _class_ranges(byte_classes: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(lo, hi, offsets, counts): the bytes of each class as inclusive runs, grouped by class:
    class c owns runs offsets[c] .. offsets[c] + counts[c] - 1."""
    classes = byte_classes.astype(np.int64)
    starts = np.flatnonzero(np.r_[True, classes[1:] != classes[:-1]])
    ends = np.r_[starts[1:] - 1, 255]
    owner = classes[starts]
    order = np.argsort(owner, kind="stable")
    counts = np.bincount(owner, minlength=int(classes.max()) + 1)
    offsets = np.r_[0, np.cumsum(counts)[:-1]]
    return starts[order], ends[order], offsets, counts


_EDGES: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def _edges(dfa: ByteDFA) -> tuple[np.ndarray, list[int], list[int], np.ndarray, np.ndarray]:
    """(sources, lo, hi, targets, accepting) of `dfa` as byte-range edges between its states
    (the dead state left out; states as int64 arrays, bytes as lists), computed once per DFA."""
    found = _EDGES.get(dfa)
    if found is None:
        lo, hi, offsets, counts = _class_ranges(dfa.byte_classes)
        sources, classes = np.nonzero(dfa.table[1:] != DEAD_STATE)
        targets = dfa.table[1:][sources, classes].astype(np.int64)
        per_edge = counts[classes]
        first = np.repeat(np.cumsum(per_edge) - per_edge, per_edge)
        runs = np.repeat(offsets[classes], per_edge) + np.arange(int(per_edge.sum())) - first
        found = (np.repeat(sources + 1, per_edge).astype(np.int64), lo[runs].tolist(), hi[runs].tolist(),
                 np.repeat(targets, per_edge), np.flatnonzero(dfa.accepting).astype(np.int64))
        _EDGES[dfa] = found
    return found


class _Layout:
    """An NFA under construction; `place(dfa)` copies a DFA in and gives its (start, final)."""

    def __init__(self, max_states: int):
        self.nfa = ByteNFA()
        self.limit = NFA_STATES_PER_DFA_STATE * max_states
        self.max_states = max_states

    def new_state(self) -> int:
        state = self.nfa.num_states
        self.nfa.num_states += 1
        return state

    def place(self, dfa: ByteDFA) -> tuple[int, int]:
        nfa = self.nfa
        base = nfa.num_states - 1  # DFA state s (dead state 0 left out) becomes base + s
        nfa.num_states += dfa.num_states - 1
        final = self.new_state()
        if nfa.num_states > self.limit:
            raise TooManyStatesError(
                f"composing the automata needs more than {self.limit} NFA states (max_states={self.max_states})",
                self.max_states,
            )
        sources, lo, hi, targets, accepting = _edges(dfa)
        nfa.edge_sources.extend((sources + base).tolist())
        nfa.edge_lo.extend(lo)
        nfa.edge_hi.extend(hi)
        nfa.edge_targets.extend((targets + base).tolist())
        nfa.epsilon_sources.extend((accepting + base).tolist())
        nfa.epsilon_targets.extend([final] * len(accepting))
        return base + dfa.initial_state, final


def _lay(layout: _Layout, node) -> tuple[int, int]:
    """Lay `node` (a DFA or a Composite) out in `layout`; its (entry, exit) states."""
    if isinstance(node, ByteDFA):
        return layout.place(node)
    nfa = layout.nfa
    if node.op == "union":
        start, final = layout.new_state(), layout.new_state()
        for part in node.parts:
            entry, exit_ = _lay(layout, part)
            nfa.add_epsilon(start, entry)
            nfa.add_epsilon(exit_, final)
        return start, final
    if node.op == "concat":
        start = current = layout.new_state()
        for part in node.parts:
            entry, exit_ = _lay(layout, part)
            nfa.add_epsilon(current, entry)
            current = exit_
        return start, current
    (part,) = node.parts
    start = current = layout.new_state()
    for _ in range(node.low):
        entry, exit_ = _lay(layout, part)
        nfa.add_epsilon(current, entry)
        current = exit_
    if node.high is None:
        entry, exit_ = _lay(layout, part)
        loop = layout.new_state()
        nfa.add_epsilon(current, loop)
        nfa.add_epsilon(loop, entry)
        nfa.add_epsilon(exit_, loop)
        return start, loop
    final = layout.new_state()
    nfa.add_epsilon(current, final)
    for _ in range(node.high - node.low):  # each further copy may be the last
        entry, exit_ = _lay(layout, part)
        nfa.add_epsilon(current, entry)
        nfa.add_epsilon(exit_, final)
        current = exit_
    return start, final


def materialize(node, max_states: int, deadline: Deadline) -> ByteDFA | None:
    """The minimal DFA of `node` (a DFA is returned as it is); None for the empty language."""
    if isinstance(node, ByteDFA):
        return node
    if node.op == "repeat" and node.high is not None and node.high < node.low:
        return None
    if node.op == "repeat" and node.high == 0:
        return epsilon()
    layout = _Layout(max_states)
    start, final = _lay(layout, node)
    layout.nfa.start, layout.nfa.final = start, final
    deadline.check("composing automata")
    minimal = minimize(determinize(layout.nfa, max_states, deadline), deadline)
    if minimal.initial == DEAD_STATE:
        return None
    return ByteDFA(
        byte_classes=minimal.byte_classes, table=minimal.table, accepting=minimal.accepting,
        initial_state=minimal.initial,
    )


def concat(parts: list[ByteDFA], max_states: int, deadline: Deadline) -> ByteDFA | None:
    """The strings made of one string of each part, in order."""
    return materialize(Composite.of("concat", parts), max_states, deadline)


def union(parts: list[ByteDFA], max_states: int, deadline: Deadline) -> ByteDFA | None:
    """The strings of any of the parts."""
    return materialize(Composite.of("union", parts), max_states, deadline)


def repeat(part: ByteDFA, low: int, high: int | None, max_states: int, deadline: Deadline) -> ByteDFA | None:
    """`low` to `high` strings of `part` one after another (`high` None: no upper bound)."""
    return materialize(Composite.of("repeat", [part], low, high), max_states, deadline)
