"""Subset construction: `ByteNFA` -> `DenseDFA`, a complete DFA over byte classes (not yet minimal).

    DenseDFA.byte_classes: uint8[256]          byte -> class (bytes in one class have the same edges)
    DenseDFA.table: int32[n_states, n_classes] next state; row 0 is the dead state (loops to itself)
    DenseDFA.accepting: bool[n_states]
    DenseDFA.initial: int                      1, or 0 (dead) when the NFA accepts nothing

The classes are the intervals between the NFA's edge boundaries. A DFA state is the set of NFA
states that have byte edges (or are final) reachable after the bytes read so far; the empty set
is the dead state. The construction runs in numba kernels (`automaton._subsets`) over the NFA as
flat arrays, a slice of states per call so that the deadline is checked as it goes. It stops
with `TooManyStatesError` once `max_states` states (the dead state included) would be exceeded.
"""
from __future__ import annotations

from itertools import chain
from typing import NamedTuple

import numpy as np

from automaton import kernels
from automaton.budget import Deadline
from automaton.errors import TooManyStatesError
from automaton.nfa import ByteNFA

__all__ = ["DenseDFA", "determinize", "nfa_byte_classes"]

# DFA states whose rows one kernel call fills before the deadline is checked again.
_STATES_PER_SLICE = 2048


class DenseDFA(NamedTuple):
    byte_classes: np.ndarray
    table: np.ndarray
    accepting: np.ndarray
    initial: int


def nfa_byte_classes(nfa: ByteNFA) -> np.ndarray:
    """int32[256] byte -> class, where a class is a maximal run of bytes that no edge boundary
    cuts (classes numbered from 0 in byte order)."""
    return _byte_classes(_flat_edges(nfa))


def _flat_edges(nfa: ByteNFA) -> np.ndarray:
    """int64[k, 3]: every byte edge (lo, hi, target), states in order."""
    return np.array(list(chain.from_iterable(nfa.edges)), dtype=np.int64).reshape(-1, 3)


def _byte_classes(flat_edges: np.ndarray) -> np.ndarray:
    cuts = np.zeros(257, dtype=np.int32)
    cuts[0] = 1
    cuts[flat_edges[:, 0]] = 1
    cuts[flat_edges[:, 1] + 1] = 1
    return np.cumsum(cuts[:256], dtype=np.int32) - 1


def determinize(nfa: ByteNFA, max_states: int, deadline: Deadline) -> DenseDFA:
    flat_edges = _flat_edges(nfa)
    byte_class = _byte_classes(flat_edges)
    n_classes = int(byte_class[255]) + 1
    clo_offsets, clo_states = kernels.epsilon_closures(*_epsilon_csr(nfa))
    edge_offsets, edge_lo, edge_hi, edge_target = _edge_csr(nfa, flat_edges, byte_class)

    pool = np.zeros(1024, np.int32)
    set_offsets = np.zeros(64, np.int64)
    hash_slots = np.full(64, -1, np.int64)
    table = np.zeros((64, n_classes), np.int32)  # grows by doubling; row 0 is the dead state
    accepting = np.zeros(64, np.bool_)
    n_sets = 1  # set 0 is the empty set: the dead state
    start = np.ascontiguousarray(clo_states[clo_offsets[nfa.start] : clo_offsets[nfa.start + 1]])
    if len(start):
        _, pool, set_offsets, n_sets, hash_slots, _ = kernels.find_or_add_set(start, pool, set_offsets, n_sets, hash_slots)
        accepting[1] = nfa.final in start.tolist()

    head = 1
    while head < n_sets:  # in slices, so that the deadline is checked while it runs
        status, pool, set_offsets, n_sets, hash_slots, table, accepting, head = kernels.subset_steps(
            clo_offsets, clo_states, edge_offsets, edge_lo, edge_hi, edge_target, nfa.final, n_classes,
            pool, set_offsets, n_sets, hash_slots, table, accepting, head, head + _STATES_PER_SLICE, max_states,
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


def _epsilon_csr(nfa: ByteNFA) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(eps_offsets int64[n + 1], eps_targets int32[k], kept bool[n]) for `epsilon_closures`;
    kept = the states a DFA state records: those with byte edges, and the final state."""
    eps_offsets = np.zeros(nfa.num_states + 1, dtype=np.int64)
    eps_offsets[1:] = np.cumsum(list(map(len, nfa.epsilon)))
    eps_targets = np.array(list(chain.from_iterable(nfa.epsilon)), dtype=np.int32)
    kept = np.array(list(map(bool, nfa.edges)), dtype=np.bool_)
    kept[nfa.final] = True
    return eps_offsets, eps_targets, kept


def _edge_csr(
    nfa: ByteNFA, flat_edges: np.ndarray, byte_class: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Byte edges (`_flat_edges`) as CSR by source: (offsets int64[n + 1], first class int32[k],
    last class int32[k], target int32[k])."""
    offsets = np.zeros(nfa.num_states + 1, dtype=np.int64)
    offsets[1:] = np.cumsum(list(map(len, nfa.edges)))
    return offsets, byte_class[flat_edges[:, 0]], byte_class[flat_edges[:, 1]], flat_edges[:, 2].astype(np.int32)
