"""Subset construction: `ByteNFA` -> `DenseDFA`, a complete DFA over byte classes (not yet minimal).

    DenseDFA.byte_classes: uint8[256]          byte -> class (bytes in one class have the same edges)
    DenseDFA.table: int32[n_states, n_classes] next state; row 0 is the dead state (loops to itself)
    DenseDFA.accepting: bool[n_states]
    DenseDFA.initial: int                      1, or 0 (dead) when the NFA accepts nothing

The classes are the intervals between the NFA's edge boundaries. A DFA state is the set of NFA
states that have byte edges (or are final) reachable after the bytes read so far; the empty set
is the dead state. The construction runs in numba kernels (`automaton.kernels.subsets`) over the
NFA as flat arrays. The epsilon closures of edge targets are tabulated only within a budget of
O(NFA size); the others are walked per (DFA state, class) from all their targets at once, so
memory beyond the DFA's own sets is O(NFA states), never the sum of all closures. A kernel
call stops after about `limits.WORK_PER_CALL` units of work (even inside one DFA state's row),
so the deadline is checked every few milliseconds however the work is spread. It stops with
`TooManyStatesError` once `max_states` states (the dead state included) would be exceeded.
"""
from __future__ import annotations

from typing import NamedTuple

import numpy as np

from automaton import kernels
from automaton.dfa import limits
from automaton.dfa.limits import Deadline
from automaton.dfa.nfa import ByteNFA
from automaton.errors import TooManyStatesError

__all__ = ["DenseDFA", "determinize"]

# The table of edge targets' epsilon closures may cost this many units of work and memory per
# NFA state and epsilon move (`automaton.kernels.subsets.target_closures`); targets past it are walked.
_CLOSURE_TABLE_PER_STATE = 4


class DenseDFA(NamedTuple):
    byte_classes: np.ndarray
    table: np.ndarray
    accepting: np.ndarray
    initial: int


def _byte_classes(lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    """int32[256] byte -> class, where a class is a maximal run of bytes that no edge boundary
    (edges cover bytes lo[i]..hi[i]) cuts; classes numbered from 0 in byte order."""
    cuts = np.zeros(257, dtype=np.int32)
    cuts[0] = 1
    cuts[lo] = 1
    cuts[hi + 1] = 1
    return np.cumsum(cuts[:256], dtype=np.int32) - 1


def determinize(nfa: ByteNFA, max_states: int, deadline: Deadline) -> DenseDFA:
    lo = np.array(nfa.edge_lo, dtype=np.int64)
    hi = np.array(nfa.edge_hi, dtype=np.int64)
    byte_class = _byte_classes(lo, hi)
    n_classes = int(byte_class[255]) + 1
    edge_sources = np.array(nfa.edge_sources, dtype=np.int64)
    eps_offsets, eps_targets, kept = _epsilon_csr(nfa, edge_sources)
    edge_offsets, order = _grouped_by_source(nfa.num_states, edge_sources)
    edge_lo, edge_hi = byte_class[lo[order]], byte_class[hi[order]]
    edge_target = np.array(nfa.edge_targets, dtype=np.int32)[order]
    budget = _CLOSURE_TABLE_PER_STATE * (nfa.num_states + len(eps_targets)) + 4096
    clo_start, clo_states = kernels.target_closures(eps_offsets, eps_targets, kept, edge_target, budget)
    deadline.check("determinizing")

    pool = np.zeros(1024, np.int32)
    set_offsets = np.zeros(64, np.int64)
    hash_slots = np.full(64, -1, np.int64)
    table = np.zeros((64, n_classes), np.int32)  # grows by doubling; row 0 is the dead state
    accepting = np.zeros(64, np.bool_)
    n_sets = 1  # set 0 is the empty set: the dead state
    start = kernels.epsilon_closure(eps_offsets, eps_targets, kept, nfa.start)
    if len(start):
        _, pool, set_offsets, n_sets, hash_slots, _ = kernels.find_or_add_set(
            start, pool, set_offsets, n_sets, hash_slots
        )
        accepting[1] = nfa.final in start.tolist()

    mark = np.full(nfa.num_states + 1, -1, np.int64)  # the kernel's scratch, kept across calls
    mark[-1] = 0
    stack = np.empty(nfa.num_states, np.int32)
    found = np.empty(nfa.num_states, np.int32)
    head, head_class = 1, 0
    while head < n_sets:  # in bounded calls, so that the deadline is checked while it runs
        deadline.check("determinizing")
        status, pool, set_offsets, n_sets, hash_slots, table, accepting, head, head_class = kernels.subset_steps(
            eps_offsets, eps_targets, kept, clo_start, clo_states, edge_offsets, edge_lo, edge_hi, edge_target,
            nfa.final, n_classes,
            pool, set_offsets, n_sets, hash_slots, table, accepting, head, head_class,
            mark, stack, found, limits.WORK_PER_CALL, max_states,
        )
        if status < 0:
            raise TooManyStatesError(
                f"the DFA needs more than max_states={max_states} states; "
                "raise max_states or simplify the pattern",
                max_states,
            )
    deadline.check("determinizing")

    return DenseDFA(
        byte_classes=byte_class.astype(np.uint8),
        table=table[:n_sets].copy(),
        accepting=accepting[:n_sets].copy(),
        initial=1 if len(start) else 0,
    )


def _epsilon_csr(nfa: ByteNFA, edge_sources: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(eps_offsets int64[n + 1], eps_targets int32[k], kept bool[n]) for the kernels;
    kept = the states a DFA state records: those with byte edges (`edge_sources`), and the
    final state."""
    eps_offsets, order = _grouped_by_source(nfa.num_states, np.array(nfa.epsilon_sources, dtype=np.int64))
    eps_targets = np.array(nfa.epsilon_targets, dtype=np.int32)[order]
    kept = np.zeros(nfa.num_states, dtype=np.bool_)
    kept[edge_sources] = True
    kept[nfa.final] = True
    return eps_offsets, eps_targets, kept


def _grouped_by_source(n_states: int, sources: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(offsets int64[n_states + 1], order int64[k]): the moves `order[offsets[s]:offsets[s + 1]]`
    leave state s, in the order they were made."""
    offsets = np.zeros(n_states + 1, dtype=np.int64)
    np.cumsum(np.bincount(sources, minlength=n_states), out=offsets[1:])
    return offsets, np.argsort(sources, kind="stable")
