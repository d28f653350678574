"""Thompson NFA over byte ranges, built from a `regex_ast` tree.

`build_nfa(tree, max_states, deadline) -> ByteNFA` where

    ByteNFA.start, ByteNFA.final: int    the start state and the one accepting state (no edges out)
    ByteNFA.num_states: int              states are 0 .. num_states - 1
    ByteNFA.epsilon_sources, epsilon_targets: list[int]
                                         epsilon move i: from epsilon_sources[i] to epsilon_targets[i]
    ByteNFA.edge_sources, edge_lo, edge_hi, edge_targets: list[int]
                                         byte edge i: bytes edge_lo[i]..edge_hi[i] (inclusive) lead
                                         from edge_sources[i] to edge_targets[i]

The moves are flat lists, in the order they were made (`automaton.dfa.determinize` turns them into
arrays): a list per state would cost a Python object per state, and repeats unroll into
thousands of states.

A character set becomes its UTF-8 byte-range sequences (`automaton.dfa.utf8`), fanned out from one
state and joined where their suffixes agree, so `[^"]` costs 9 states, not one per sequence byte.
Repeats are unrolled: `x{2,4}` is two copies of `x` then two optional ones, `x{2,}` two copies
with a loop on the last. The tree is first rewritten by `automaton.dfa.simplify` (the same
language: `(?:R?){n}` becomes `R{0,n}`, `b*b*` becomes `b*`), then its size is counted
(`count_nfa_states`), so a pattern over `max_states` states is refused with
`TooManyStatesError` before anything is built.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from automaton.dfa.limits import Deadline
from automaton.dfa.simplify import simplify
from automaton.dfa.utf8 import utf8_sequences
from automaton.errors import TooManyStatesError
from automaton.syntax.tree import Alternation, CharSet, Concat, Node, Repeat

__all__ = ["ByteNFA", "build_nfa", "count_nfa_states"]


@dataclass
class ByteNFA:
    start: int = 0
    final: int = 0
    num_states: int = 0
    epsilon_sources: list[int] = field(default_factory=list)
    epsilon_targets: list[int] = field(default_factory=list)
    edge_sources: list[int] = field(default_factory=list)
    edge_lo: list[int] = field(default_factory=list)
    edge_hi: list[int] = field(default_factory=list)
    edge_targets: list[int] = field(default_factory=list)

    def add_epsilon(self, source: int, target: int) -> None:
        self.epsilon_sources.append(source)
        self.epsilon_targets.append(target)


def build_nfa(tree: Node, max_states: int, deadline: Deadline) -> ByteNFA:
    """The NFA of `tree` after `simplify` (the same language, no epsilon chains through repeats
    of what matches the empty string)."""
    tree = simplify(tree)
    deadline.check("simplifying the pattern")
    needed = _count(tree)
    if needed > max_states:
        raise TooManyStatesError(_too_many(max_states, needed), max_states)
    builder = _Builder(max_states, deadline)
    start, final = builder.fragment(tree)
    nfa = builder.nfa
    nfa.start, nfa.final = start, final
    return nfa


def count_nfa_states(node: Node) -> int:
    """How many states `build_nfa` creates for `node` (computed without building anything)."""
    return _count(simplify(node))


def _count(node: Node) -> int:
    """How many states `_Builder.fragment(node)` creates."""
    if isinstance(node, CharSet):
        return 2 + len({sequence[cut:] for sequence in utf8_sequences(node.ranges) for cut in range(1, len(sequence))})
    if isinstance(node, Concat):
        return sum(_count(item) for item in node.items) or 1
    if isinstance(node, Alternation):
        return 2 + sum(_count(option) for option in node.options)
    if isinstance(node, Repeat):
        item = _count(node.item)
        if node.max is None:
            return 1 + item * node.min if node.min else 2 + item
        return 2 + item * node.max
    raise TypeError(f"not a syntax tree node: {node!r}")


def _too_many(max_states: int, needed: int | None = None) -> str:
    count = f"{needed} NFA states" if needed is not None else f"more than {max_states} NFA states"
    return (
        f"the pattern unrolls into {count}, over the limit of {max_states} "
        "(large repeat counts multiply the size of what they repeat)"
    )


class _Builder:
    def __init__(self, max_states: int, deadline: Deadline):
        self.nfa = ByteNFA()
        self.max_states = max_states
        self.deadline = deadline
        self.shapes: dict[tuple, tuple] = {}  # a character set's ranges -> its `_shape`

    def new_state(self) -> int:
        return self.new_states(1)

    def new_states(self, count: int) -> int:
        """The first of `count` new consecutive states; checks the state limit and, every 4,096
        states, the deadline."""
        nfa = self.nfa
        first = nfa.num_states
        if first + count > self.max_states:
            raise TooManyStatesError(_too_many(self.max_states), self.max_states)
        if (first + count - 1) >> 12 != (first - 1) >> 12:  # a multiple of 4,096 among them
            self.deadline.check("building the NFA")
        nfa.num_states = first + count
        return first

    def fragment(self, node: Node) -> tuple[int, int]:
        """New states matching `node`: returns (entry, exit)."""
        if isinstance(node, CharSet):
            return self.char_set(node)
        if isinstance(node, Concat):
            return self.concat(node.items)
        if isinstance(node, Alternation):
            entry, exit_ = self.new_state(), self.new_state()
            for option in node.options:
                start, end = self.fragment(option)
                self.nfa.add_epsilon(entry, start)
                self.nfa.add_epsilon(end, exit_)
            return entry, exit_
        if isinstance(node, Repeat):
            return self.repeat(node)
        raise TypeError(f"not a syntax tree node: {node!r}")

    def concat(self, items: tuple[Node, ...]) -> tuple[int, int]:
        if not items:
            state = self.new_state()
            return state, state
        entry, current = self.fragment(items[0])
        for item in items[1:]:
            start, end = self.fragment(item)
            self.nfa.add_epsilon(current, start)
            current = end
        return entry, current

    def repeat(self, node: Repeat) -> tuple[int, int]:
        add_epsilon = self.nfa.add_epsilon
        entry = current = self.new_state()
        for _ in range(node.min):
            start, end = self.fragment(node.item)
            add_epsilon(current, start)
            current = end
        if node.max is None:
            if node.min == 0:
                start, end = self.fragment(node.item)
                add_epsilon(current, start)
                exit_ = self.new_state()
                add_epsilon(current, exit_)
                add_epsilon(end, start)
                add_epsilon(end, exit_)
                return entry, exit_
            add_epsilon(current, start)  # loop back onto the last mandatory copy
            return entry, current
        exit_ = self.new_state()
        for _ in range(node.max - node.min):
            start, end = self.fragment(node.item)
            add_epsilon(current, start)
            add_epsilon(current, exit_)
            current = end
        add_epsilon(current, exit_)
        return entry, exit_

    def char_set(self, node: CharSet) -> tuple[int, int]:
        """New states matching one character of `node`: (entry, exit).

        A set met before in this build (`[^"]` in every string of a JSON schema, a class
        under a counted repeat) is laid out as the first time, shifted to the new states
        (`_shape`), instead of being worked out again."""
        shape = self.shapes.get(node.ranges)
        if shape is None:
            shape = self.shapes[node.ranges] = _shape(node.ranges)
        n_states, sources, lo, hi, targets = shape
        base = self.new_states(n_states)
        nfa = self.nfa
        if n_states == 2 and len(lo) == 1:  # one byte range (most sets: literal text)
            nfa.edge_sources.append(base)
            nfa.edge_lo.append(lo[0])
            nfa.edge_hi.append(hi[0])
            nfa.edge_targets.append(base + 1)
        else:
            nfa.edge_sources.extend([base + state for state in sources])
            nfa.edge_lo.extend(lo)
            nfa.edge_hi.extend(hi)
            nfa.edge_targets.extend([base + state for state in targets])
        return base, base + 1


def _shape(ranges) -> tuple[int, list[int], list[int], list[int], list[int]]:
    """The states and byte edges of one character of `ranges`, numbered from 0 (the entry; 1 is
    the exit): (n_states, edge sources, lo, hi, edge targets). Its UTF-8 sequences fan out from
    the entry and join where their suffixes agree."""
    sources: list[int] = []
    lo: list[int] = []
    hi: list[int] = []
    targets: list[int] = []
    suffix_states: dict[tuple[tuple[int, int], ...], int] = {}
    n_states = 2
    for sequence in utf8_sequences(ranges):
        target = 1
        for cut in range(len(sequence) - 1, 0, -1):
            suffix = sequence[cut:]
            state = suffix_states.get(suffix)
            if state is None:
                state = suffix_states[suffix] = n_states
                n_states += 1
                sources.append(state)
                lo.append(sequence[cut][0])
                hi.append(sequence[cut][1])
                targets.append(target)
            target = state
        sources.append(0)
        lo.append(sequence[0][0])
        hi.append(sequence[0][1])
        targets.append(target)
    return n_states, sources, lo, hi, targets
