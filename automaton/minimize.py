"""Minimisation: a complete `DenseDFA` -> the minimal one, with the same array layout.

Hopcroft's partition refinement groups states with the same language. The group holding the
dead state (id 0) also holds every state from which no accepting state can be reached, so the
result's only non-live state is the dead state, still id 0. The other states are numbered in
breadth-first order from the initial state (id 1, or 0 when the language is empty). Finally,
byte classes whose table columns are equal are merged and renumbered in byte order.

Refinement keeps each block as a contiguous slice of one array of states and marks states by
swapping them to the front of their block, so a split costs the size of its smaller half and the
whole run O(n_states * n_classes * log n_states).
"""
from __future__ import annotations

import numpy as np

from automaton.budget import Deadline
from automaton.determinize import DenseDFA

__all__ = ["minimize", "equivalence_blocks", "merge_byte_classes"]


def minimize(dfa: DenseDFA, deadline: Deadline) -> DenseDFA:
    block_of = np.asarray(equivalence_blocks(dfa.table, dfa.accepting, deadline), dtype=np.int64)
    dead_block = int(block_of[0])
    initial_block = int(block_of[dfa.initial])
    if initial_block == dead_block:
        return DenseDFA(dfa.byte_classes, np.zeros((1, dfa.table.shape[1]), np.int32), np.zeros(1, np.bool_), 0)

    n_blocks = int(block_of.max()) + 1
    representative = np.empty(n_blocks, dtype=np.int64)
    representative[block_of[::-1]] = np.arange(len(block_of) - 1, -1, -1)  # first state of each block
    quotient = block_of[dfa.table[representative]]
    rows = quotient.tolist()
    new_id = {dead_block: 0, initial_block: 1}
    order = [dead_block, initial_block]
    walked = 1
    while walked < len(order):  # breadth-first from the initial block
        for target in dict.fromkeys(rows[order[walked]]):
            if target not in new_id:
                new_id[target] = len(order)
                order.append(target)
        walked += 1

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
    column_id: dict[bytes, int] = {}
    old_to_new: dict[int, int] = {}
    kept_columns: list[int] = []
    for old in byte_classes.tolist():
        if old in old_to_new:
            continue
        key = table[:, old].tobytes()
        new = column_id.get(key)
        if new is None:
            new = column_id[key] = len(kept_columns)
            kept_columns.append(old)
        old_to_new[old] = new
    merged_classes = np.array([old_to_new[old] for old in byte_classes.tolist()], dtype=np.uint8)
    return merged_classes, np.ascontiguousarray(table[:, kept_columns])


def equivalence_blocks(table: np.ndarray, accepting: np.ndarray, deadline: Deadline) -> list[int]:
    """state -> block id; two states share a block exactly when they accept the same byte strings.

    `table` must be complete, with state 0 the dead state. Every state that cannot reach an
    accepting state lands in block 0 with the dead state. Hopcroft's algorithm, started from
    {non-live, live rejecting, accepting}: the non-live block is stable (its states only lead to
    each other) and never serves as a splitter, so edges into it are never scanned. Edges are
    runs of consecutive classes with one target; classes that enter a splitter from exactly the
    same states split alike, so each such group of classes is used once.
    """
    n_states = table.shape[0]
    sources, run_lo, run_hi, bounds = _runs_by_target(table)
    live = _live_states(accepting, sources, bounds)

    # Blocks are slices [first[b], end[b]) of `states`; [first[b], marked[b]) holds marked states.
    group = np.where(live, np.where(accepting, 2, 1), 0)
    states = np.argsort(group, kind="stable").tolist()
    sizes = np.bincount(group, minlength=3).tolist()
    position = [0] * n_states
    for index, state in enumerate(states):
        position[state] = index
    first, end = [0], [sizes[0]]
    for lo, hi in ((sizes[0], sizes[0] + sizes[1]), (sizes[0] + sizes[1], n_states)):
        if lo < hi:
            first.append(lo)
            end.append(hi)
    marked = list(first)
    block_of = [0] * n_states
    for block, (lo, hi) in enumerate(zip(first, end)):
        for index in range(lo, hi):
            block_of[states[index]] = block
    pending = list(range(1, len(first)))

    rounds = 0
    while pending:
        rounds += 1
        if rounds & 0xFF == 0:
            deadline.check("minimizing")
        splitter = pending.pop()
        entering = []
        for target in states[first[splitter] : end[splitter]]:
            entering.extend(range(bounds[target], bounds[target + 1]))
        for predecessors in _predecessors_by_class_group(entering, sources, run_lo, run_hi):
            touched = []
            for state in predecessors:
                block = block_of[state]
                mark = marked[block]
                if mark == first[block]:
                    touched.append(block)
                here = position[state]
                if here != mark:
                    other = states[mark]
                    states[mark], states[here] = state, other
                    position[state], position[other] = mark, here
                marked[block] = mark + 1
            for block in touched:
                lo, mid, hi = first[block], marked[block], end[block]
                marked[block] = lo
                if mid == hi:
                    continue
                new_block = len(first)
                if mid - lo <= hi - mid:  # the new block takes the smaller part
                    first.append(lo), end.append(mid), marked.append(lo)
                    first[block] = marked[block] = mid
                    moved = range(lo, mid)
                else:
                    first.append(mid), end.append(hi), marked.append(mid)
                    end[block] = mid
                    moved = range(mid, hi)
                for index in moved:
                    block_of[states[index]] = new_block
                pending.append(new_block)
    return block_of


def _predecessors_by_class_group(
    runs: list[int], sources: list[int], run_lo: list[int], run_hi: list[int]
) -> list[list[int]]:
    """The source states of `runs`, grouped by the classes they cover: one list per maximal group
    of classes that the same sources use (each state at most once per list)."""
    if not runs:
        return []
    cuts = sorted({cut for run in runs for cut in (run_lo[run], run_hi[run] + 1)})
    if len(cuts) == 2:
        return [[sources[run] for run in runs]]
    index_of = {cut: index for index, cut in enumerate(cuts)}
    groups: list[list[int]] = [[] for _ in range(len(cuts) - 1)]
    for run in runs:
        state = sources[run]
        for index in range(index_of[run_lo[run]], index_of[run_hi[run] + 1]):
            groups[index].append(state)
    return [group for group in groups if group]


def _runs_by_target(table: np.ndarray) -> tuple[list[int], list[int], list[int], list[int]]:
    """Runs of consecutive classes with one target (the dead state left out), grouped by target:
    (sources, lo, hi, bounds); run i is sources[i] --classes lo[i]..hi[i]--> t for the t with
    bounds[t] <= i < bounds[t+1]."""
    n_states, n_classes = table.shape
    starts = np.ones(table.shape, dtype=np.bool_)
    starts[:, 1:] = table[:, 1:] != table[:, :-1]
    rows, lo = np.nonzero(starts)
    hi = np.empty_like(lo)
    hi[:-1] = lo[1:] - 1
    row_ends = np.ones(len(lo), dtype=np.bool_)
    row_ends[:-1] = rows[1:] != rows[:-1]
    hi[row_ends] = n_classes - 1
    targets = table[rows, lo]
    keep = np.flatnonzero(targets != 0)
    order = keep[np.argsort(targets[keep], kind="stable")]
    bounds = np.searchsorted(targets[order], np.arange(n_states + 1))
    return rows[order].tolist(), lo[order].tolist(), hi[order].tolist(), bounds.tolist()


def _live_states(accepting: np.ndarray, sources: list[int], bounds: list[int]) -> np.ndarray:
    """bool[n_states]: True where an accepting state can be reached."""
    seen = accepting.tolist()
    stack = np.flatnonzero(accepting).tolist()
    while stack:
        target = stack.pop()
        for index in range(bounds[target], bounds[target + 1]):
            state = sources[index]
            if not seen[state]:
                seen[state] = True
                stack.append(state)
    return np.asarray(seen, dtype=np.bool_)
