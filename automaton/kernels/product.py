"""Numba kernel of the product of two DFAs (`automaton.dfa.product`).

    product_table(table_a, table_b, initial_a, initial_b, class_a, class_b, accepting_a,
                  accepting_b, mode, max_states) -> (n_states, table, accepting)

The pairs (state of A, state of B) reachable from the pair of initial states, breadth-first,
over the classes of the common refinement of both DFAs' byte classes. State 0 is the dead
state: every pair from which the result cannot accept any more (for an intersection, a pair
with either side dead; for a difference, a pair whose A side is dead).
"""
from __future__ import annotations

import numba
import numpy as np

INTERSECTION = 0  # A and B accept
DIFFERENCE = 1  # A accepts, B does not

_EMPTY = -1


@numba.njit(cache=True, nogil=True)
def product_table(table_a, table_b, initial_a, initial_b, class_a, class_b, accepting_a, accepting_b, mode,
                  max_states):
    """The product DFA's table.

    Args:
        table_a int32[n_a, classes_a], table_b int32[n_b, classes_b]: the operands (dead state 0).
        initial_a, initial_b: their start states.
        class_a int32[k], class_b int32[k]: for each class of the product, the class of A and of B
            its bytes belong to.
        accepting_a bool[n_a], accepting_b bool[n_b].
        mode: INTERSECTION (0) or DIFFERENCE (1).
        max_states: the most states (the dead state included) the result may have.

    Returns:
        (n_states, table int32[n_states, k], accepting bool[n_states]) with the start in state 1
        (n_states 1 when the start pair is dead), or (-1, empty, empty) past `max_states`.
    """
    n_b = np.int64(table_b.shape[0])
    k = class_a.shape[0]
    capacity = 1024
    keys = np.full(capacity, _EMPTY, np.int64)
    ids = np.zeros(capacity, np.int32)
    pair_a = np.zeros(64, np.int32)
    pair_b = np.zeros(64, np.int32)
    table = np.zeros((64, k), np.int32)
    accepting = np.zeros(64, np.bool_)
    n_states = 1
    if initial_a == 0 or (mode == INTERSECTION and initial_b == 0):
        return n_states, table[:1].copy(), accepting[:1].copy()
    pair_a[1], pair_b[1] = initial_a, initial_b
    accepting[1] = accepting_a[initial_a] and (accepting_b[initial_b] == (mode == INTERSECTION))
    key = np.int64(initial_a) * n_b + initial_b
    slot = _slot(key, capacity)
    keys[slot], ids[slot] = key, 1
    n_states = 2
    head = 1
    while head < n_states:
        a, b = pair_a[head], pair_b[head]
        for c in range(k):
            next_a = table_a[a, class_a[c]]
            next_b = table_b[b, class_b[c]]
            if next_a == 0 or (mode == INTERSECTION and next_b == 0):
                continue  # the dead state: the row holds 0 already
            key = np.int64(next_a) * n_b + next_b
            slot = _slot(key, capacity)
            while keys[slot] != _EMPTY and keys[slot] != key:
                slot = (slot + 1) & (capacity - 1)
            if keys[slot] == key:
                table[head, c] = ids[slot]
                continue
            if n_states >= max_states:
                return -1, np.zeros((0, k), np.int32), np.zeros(0, np.bool_)
            if n_states == pair_a.shape[0]:
                pair_a, pair_b, table, accepting = _grown(pair_a, pair_b, table, accepting)
            pair_a[n_states], pair_b[n_states] = next_a, next_b
            accepting[n_states] = accepting_a[next_a] and (accepting_b[next_b] == (mode == INTERSECTION))
            keys[slot], ids[slot] = key, n_states
            table[head, c] = n_states
            n_states += 1
            if 2 * n_states > capacity:
                keys, ids, capacity = _rehashed(keys, ids, capacity * 2)
        head += 1
    return n_states, table[:n_states].copy(), accepting[:n_states].copy()


@numba.njit(cache=True, nogil=True)
def _slot(key, capacity):
    """The home slot of `key` in a table of `capacity` (a power of two) slots: a multiplicative
    hash with its high bits folded down, since a pair's low bits vary with B's state alone."""
    mixed = key * np.int64(-7046029254386353131)
    mixed ^= mixed >> 29
    return mixed & (capacity - 1)


@numba.njit(cache=True, nogil=True)
def _grown(pair_a, pair_b, table, accepting):
    """The four per-state arrays with twice the room, their contents kept."""
    size = pair_a.shape[0]
    new_a = np.zeros(2 * size, np.int32)
    new_b = np.zeros(2 * size, np.int32)
    new_table = np.zeros((2 * size, table.shape[1]), np.int32)
    new_accepting = np.zeros(2 * size, np.bool_)
    new_a[:size], new_b[:size], new_table[:size], new_accepting[:size] = pair_a, pair_b, table, accepting
    return new_a, new_b, new_table, new_accepting


@numba.njit(cache=True, nogil=True)
def _rehashed(keys, ids, capacity):
    """The pair table moved into `capacity` slots (a power of two)."""
    new_keys = np.full(capacity, _EMPTY, np.int64)
    new_ids = np.zeros(capacity, np.int32)
    for old in range(keys.shape[0]):
        key = keys[old]
        if key == _EMPTY:
            continue
        slot = _slot(key, capacity)
        while new_keys[slot] != _EMPTY:
            slot = (slot + 1) & (capacity - 1)
        new_keys[slot], new_ids[slot] = key, ids[old]
    return new_keys, new_ids, capacity
