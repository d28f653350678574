"""Minimisation: a complete `DenseDFA` -> the minimal one, with the same array layout.

Hopcroft's partition refinement groups states with the same language. The group holding the
dead state (id 0) also holds every state from which no accepting state can be reached, so the
result's only non-live state is the dead state, still id 0. The other states are numbered in
breadth-first order from the initial state (id 1, or 0 when the language is empty). Finally,
byte classes whose table columns are equal are merged and renumbered in byte order.

Refinement (a numba kernel, `automaton._hopcroft`) keeps each block as a contiguous slice of one
array of states and marks states by swapping them to the front of their block, so a split costs
the size of its smaller half and the whole run O(n_states * n_classes * log n_states).
"""
from __future__ import annotations

import numpy as np

from automaton import kernels
from automaton.budget import Deadline
from automaton.determinize import DenseDFA

__all__ = ["minimize", "equivalence_blocks", "merge_byte_classes"]


def minimize(dfa: DenseDFA, deadline: Deadline) -> DenseDFA:
    block_of = equivalence_blocks(dfa.table, dfa.accepting, deadline).astype(np.int64)
    dead_block = int(block_of[0])
    initial_block = int(block_of[dfa.initial])
    if initial_block == dead_block:
        return DenseDFA(dfa.byte_classes, np.zeros((1, dfa.table.shape[1]), np.int32), np.zeros(1, np.bool_), 0)

    n_blocks = int(block_of.max()) + 1
    representative = np.empty(n_blocks, dtype=np.int64)
    representative[block_of[::-1]] = np.arange(len(block_of) - 1, -1, -1)  # first state of each block
    quotient = block_of[dfa.table[representative]]
    order = kernels.breadth_first_order(quotient, dead_block, initial_block)

    renumber = np.empty(n_blocks, dtype=np.int32)
    renumber[order] = np.arange(len(order), dtype=np.int32)
    minimal = renumber[quotient[order]]
    minimal[0] = 0
    accepting = dfa.accepting[representative[order]]
    accepting[0] = False
    byte_classes, minimal = merge_byte_classes(dfa.byte_classes, minimal)
    return DenseDFA(byte_classes, minimal, accepting, 1)


def merge_byte_classes(byte_classes: np.ndarray, table: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Merge classes with equal columns; new classes are numbered by their lowest byte."""
    present, lowest_byte = np.unique(byte_classes, return_index=True)
    column_id: dict[bytes, int] = {}
    new_of_old = np.zeros(table.shape[1], dtype=np.uint8)
    kept_columns: list[int] = []
    columns = np.ascontiguousarray(table.T)
    for old in present[np.argsort(lowest_byte)].tolist():  # classes in order of their lowest byte
        key = columns[old].tobytes()
        new = column_id.get(key)
        if new is None:
            new = column_id[key] = len(kept_columns)
            kept_columns.append(old)
        new_of_old[old] = new
    return new_of_old[byte_classes], np.ascontiguousarray(table[:, kept_columns])


def equivalence_blocks(table: np.ndarray, accepting: np.ndarray, deadline: Deadline) -> np.ndarray:
    """int32[n_states] state -> block id; two states share a block exactly when they accept the
    same byte strings.

    `table` must be complete, with state 0 the dead state. Every state that cannot reach an
    accepting state lands in block 0 with the dead state. Hopcroft's algorithm (the numba
    kernel `automaton._hopcroft.refine_blocks`), started from {non-live, live rejecting,
    accepting}: the non-live block is stable (its states only lead to each other) and never
    serves as a splitter, so edges into it are never scanned. Edges are runs of consecutive
    classes with one target; classes that enter a splitter from exactly the same states split
    alike, so each such group of classes is used once.
    """
    sources, run_lo, run_hi, bounds = kernels.runs_by_target(np.ascontiguousarray(table, dtype=np.int32))
    live = kernels.live_states(np.ascontiguousarray(accepting, dtype=np.bool_), sources, bounds)
    group = np.where(live, np.where(accepting, 2, 1), 0).astype(np.int32)
    deadline.check("minimizing")
    block_of = kernels.refine_blocks(group, sources, run_lo, run_hi, bounds)
    deadline.check("minimizing")
    return block_of
