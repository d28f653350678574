"""Numba kernels of Hopcroft's partition refinement over a complete DFA's edge runs.

    minimize_setup(table, accepting) -> (sources, run_lo, run_hi, bounds, order, blocks, counters)
        the edge runs (`runs_by_target`) and the refinement's starting point (`refine_setup`)
    refine_steps(sources, run_lo, run_hi, bounds, order, blocks, counters, work_limit) -> int64
        refines in place, splitter after splitter, until about `work_limit` units of work are
        done; returns the splitters still pending (0: done). numba code has no clock, so the
        caller checks its deadline between calls (`automaton.dfa.minimize`)
    minimize_finish(table, accepting, initial, byte_classes, block_of) -> (table, accepting,
        initial, byte_classes) of the minimal DFA from the final blocks
    minimal_table(table, accepting, initial, byte_classes) -> the same, all three in one call
    refine_setup(initial_group) -> (order, blocks, counters)
    live_states(accepting, sources, bounds) -> bool[n_states] (an accepting state is reachable)
    breadth_first_order(quotient, dead_block, initial_block) -> int64[n_reached] block order
    runs_by_target(table) -> (sources, run_lo, run_hi, bounds), the edge runs below
    merge_columns(table, byte_classes) -> (table, byte_classes) with equal columns merged

Inputs (see `automaton.dfa.minimize`): initial_group int32[n_states] (0 non-live, 1 live
rejecting, 2 accepting); the edges as runs of consecutive classes with one target, grouped by
target: run i is sources[i] --classes run_lo[i]..run_hi[i]--> t for the t with
bounds[t] <= i < bounds[t + 1] (int32 arrays; edges into the dead state left out).

The refinement's state lives in three arrays, so that it can stop and resume:
    order int32[3, n_states]       rows: the states, blocks as slices of it; each state's
                                   position in row 0; each state's block
    blocks int64[4, n_states + 1]  rows: per block its first index and end in row 0 of order,
                                   the end of its marked states; the stack of pending splitters
    counters int64[2]              splitters pending, blocks
Blocks are slices [first[b], end[b]) of one permutation of the states; a block's marked states
are swapped to its front, so a split costs the size of its smaller half. Block 0 (non-live
states) never serves as a splitter: its states only lead to each other.
"""
from __future__ import annotations

import numba
import numpy as np

from automaton.kernels.subsets import hash_capacity, set_hash, sort_in_place

__all__ = [
    "minimize_setup", "refine_steps", "minimize_finish", "minimal_table", "refine_setup", "live_states",
    "breadth_first_order", "runs_by_target", "merge_columns",
]


@numba.njit(cache=True, nogil=True)
def refine_setup(initial_group):
    """(order, blocks, counters) as above: one block per non-empty group (the non-live block 0
    even when empty), every block but block 0 pending."""
    n_states = initial_group.shape[0]
    sizes = np.zeros(3, np.int64)
    for state in range(n_states):
        sizes[initial_group[state]] += 1
    order = np.empty((3, n_states), np.int32)
    states, position, block_of = order[0], order[1], order[2]
    states[:] = np.argsort(initial_group, kind="mergesort")
    for index in range(n_states):
        position[states[index]] = index
    blocks = np.zeros((4, n_states + 1), np.int64)
    first, end, marked, pending = blocks[0], blocks[1], blocks[2], blocks[3]
    end[0] = sizes[0]
    n_blocks = 1
    low = sizes[0]
    for group in range(1, 3):
        if sizes[group] > 0:
            first[n_blocks] = low
            end[n_blocks] = low + sizes[group]
            n_blocks += 1
            low += sizes[group]
    marked[:] = first
    for block in range(n_blocks):
        for index in range(first[block], end[block]):
            block_of[states[index]] = block
    n_pending = 0
    for block in range(1, n_blocks):
        pending[n_pending] = block
        n_pending += 1
    counters = np.zeros(2, np.int64)
    counters[0] = n_pending
    counters[1] = n_blocks
    return order, blocks, counters


@numba.njit(cache=True, nogil=True)
def refine_steps(sources, run_lo, run_hi, bounds, order, blocks, counters, work_limit):
    """Refine (order, blocks, counters) in place, one pending splitter after another, until
    none is pending or about `work_limit` units (states of the splitters, runs entering them,
    the sources they mark) are done. Returns the splitters still pending."""
    states, position, block_of = order[0], order[1], order[2]
    first, end, marked, pending = blocks[0], blocks[1], blocks[2], blocks[3]
    n_pending, n_blocks = counters[0], counters[1]
    # Scratch, grown to what the largest splitter of this call needs.
    entering = np.empty(16, np.int64)
    first_group = np.empty(16, np.int64)  # per entering run: the class groups it covers
    end_group = np.empty(16, np.int64)
    cuts = np.empty(34, np.int64)
    group_start = np.empty(34, np.int64)
    fill_buffer = np.empty(34, np.int64)
    members = np.empty(16, np.int32)
    touched = np.empty(16, np.int64)
    work = 0
    while n_pending > 0 and work < work_limit:
        n_pending -= 1
        splitter = pending[n_pending]
        # The runs entering the splitter, taken before any split moves its states.
        n_entering = 0
        for index in range(first[splitter], end[splitter]):
            target = states[index]
            n_entering += bounds[target + 1] - bounds[target]
        work += end[splitter] - first[splitter] + n_entering
        if n_entering == 0:
            continue
        if entering.shape[0] < n_entering:
            entering = np.empty(2 * n_entering, np.int64)
            first_group = np.empty(2 * n_entering, np.int64)
            end_group = np.empty(2 * n_entering, np.int64)
            cuts = np.empty(4 * n_entering + 2, np.int64)
            group_start = np.empty(4 * n_entering + 2, np.int64)
            fill_buffer = np.empty(4 * n_entering + 2, np.int64)
        n_entering = 0
        for index in range(first[splitter], end[splitter]):
            target = states[index]
            for run in range(bounds[target], bounds[target + 1]):
                entering[n_entering] = run
                n_entering += 1
        # Classes that enter from exactly the same states split alike: one group per interval
        # between consecutive run boundaries, listing the sources of the runs that cover it.
        n_cuts = 0
        for k in range(n_entering):
            run = entering[k]
            cuts[n_cuts] = run_lo[run]
            cuts[n_cuts + 1] = run_hi[run] + 1
            n_cuts += 2
        sort_in_place(cuts[:n_cuts])
        n_values = 1
        for k in range(1, n_cuts):
            if cuts[k] != cuts[n_values - 1]:
                cuts[n_values] = cuts[k]
                n_values += 1
        cut_values = cuts[:n_values]
        n_groups = n_values - 1
        group_start[: n_groups + 1] = 0
        for k in range(n_entering):
            run = entering[k]
            first_group[k] = np.searchsorted(cut_values, run_lo[run])
            end_group[k] = np.searchsorted(cut_values, run_hi[run] + 1)
            for group in range(first_group[k], end_group[k]):
                group_start[group + 1] += 1
        for group in range(n_groups):
            group_start[group + 1] += group_start[group]
        total = group_start[n_groups]
        work += n_cuts + total
        if members.shape[0] < total:
            members = np.empty(2 * total, np.int32)
            touched = np.empty(2 * total, np.int64)
        fill = fill_buffer[:n_groups]
        fill[:] = group_start[:n_groups]
        for k in range(n_entering):
            source = sources[entering[k]]
            for group in range(first_group[k], end_group[k]):
                members[fill[group]] = source
                fill[group] += 1

        for group in range(n_groups):
            n_touched = 0
            for k in range(group_start[group], group_start[group + 1]):
                state = members[k]
                block = block_of[state]
                mark = marked[block]
                if mark == first[block]:
                    touched[n_touched] = block
                    n_touched += 1
                here = position[state]
                if here != mark:
                    other = states[mark]
                    states[mark] = state
                    states[here] = other
                    position[state] = mark
                    position[other] = here
                marked[block] = mark + 1
            for t in range(n_touched):
                block = touched[t]
                lo = first[block]
                mid = marked[block]
                hi = end[block]
                marked[block] = lo
                if mid == hi:
                    continue
                new_block = n_blocks
                n_blocks += 1
                if mid - lo <= hi - mid:  # the new block takes the smaller part
                    first[new_block] = lo
                    end[new_block] = mid
                    marked[new_block] = lo
                    first[block] = mid
                    marked[block] = mid
                    moved_lo, moved_hi = lo, mid
                else:
                    first[new_block] = mid
                    end[new_block] = hi
                    marked[new_block] = mid
                    end[block] = mid
                    moved_lo, moved_hi = mid, hi
                work += moved_hi - moved_lo
                for index in range(moved_lo, moved_hi):
                    block_of[states[index]] = new_block
                pending[n_pending] = new_block
                n_pending += 1
    counters[0] = n_pending
    counters[1] = n_blocks
    return n_pending


@numba.njit(cache=True, nogil=True)
def live_states(accepting, sources, bounds):
    """bool[n_states]: True where an accepting state can be reached (runs as above)."""
    n_states = accepting.shape[0]
    live = accepting.copy()
    stack = np.zeros(n_states, np.int64)
    n_stack = 0
    for state in range(n_states):
        if accepting[state]:
            stack[n_stack] = state
            n_stack += 1
    while n_stack > 0:
        n_stack -= 1
        target = stack[n_stack]
        for run in range(bounds[target], bounds[target + 1]):
            state = sources[run]
            if not live[state]:
                live[state] = True
                stack[n_stack] = state
                n_stack += 1
    return live


@numba.njit(cache=True, nogil=True)
def breadth_first_order(quotient, dead_block, initial_block):
    """int64[n_reached] blocks in breadth-first order: `dead_block`, then `initial_block`, then
    the blocks met from it, each row of quotient int64[n_blocks, n_classes] read in class order."""
    n_blocks, n_classes = quotient.shape
    seen = np.zeros(n_blocks, np.bool_)
    order = np.zeros(n_blocks, np.int64)
    order[0] = dead_block
    order[1] = initial_block
    seen[dead_block] = True
    seen[initial_block] = True
    n_order = 2
    walked = 1
    while walked < n_order:
        block = order[walked]
        for cls in range(n_classes):
            target = quotient[block, cls]
            if not seen[target]:
                seen[target] = True
                order[n_order] = target
                n_order += 1
        walked += 1
    return order[:n_order].copy()


@numba.njit(cache=True, nogil=True)
def runs_by_target(table):
    """The edges of `table` (int32[n_states, n_classes], complete) as runs of consecutive
    classes with one target, the dead state (0) left out, grouped by target (a counting
    sort): int32 arrays (sources, run_lo, run_hi, bounds[n_states + 1]); within a target, runs
    keep the order of their source and first class."""
    n_states, n_classes = table.shape
    bounds = np.zeros(n_states + 1, np.int32)
    n_runs = 0
    for state in range(n_states):
        for cls in range(n_classes):
            target = table[state, cls]
            if target != 0 and (cls == 0 or table[state, cls - 1] != target):
                bounds[target + 1] += 1
                n_runs += 1
    for target in range(n_states):
        bounds[target + 1] += bounds[target]
    fill = bounds[:n_states].copy()
    sources = np.empty(n_runs, np.int32)
    run_lo = np.empty(n_runs, np.int32)
    run_hi = np.empty(n_runs, np.int32)
    for state in range(n_states):
        cls = 0
        while cls < n_classes:
            target = table[state, cls]
            last = cls
            while last + 1 < n_classes and table[state, last + 1] == target:
                last += 1
            if target != 0:
                at = fill[target]
                sources[at], run_lo[at], run_hi[at] = state, cls, last
                fill[target] += 1
            cls = last + 1
    return sources, run_lo, run_hi, bounds


@numba.njit(cache=True, nogil=True)
def minimize_setup(table, accepting):
    """The edge runs of `table` (int32[n_states, n_classes] with state 0 dead, complete) and the
    refinement's starting point from {non-live, live rejecting, accepting} (`accepting`
    bool[n_states]): (sources, run_lo, run_hi, bounds, order, blocks, counters)."""
    n_states = table.shape[0]
    sources, run_lo, run_hi, bounds = runs_by_target(table)
    live = live_states(accepting, sources, bounds)
    group = np.zeros(n_states, np.int32)
    for state in range(n_states):
        if live[state]:
            group[state] = 2 if accepting[state] else 1
    order, blocks, counters = refine_setup(group)
    return sources, run_lo, run_hi, bounds, order, blocks, counters


@numba.njit(cache=True, nogil=True)
def minimize_finish(table, accepting, initial, byte_classes, block_of):
    """The minimal DFA once refinement is done (`block_of` int32[n_states], row 2 of `order`):
    (int32[n_min, n_merged], bool[n_min], initial, uint8[256] byte -> merged class).

    Each block is represented by its lowest state; blocks are numbered breadth-first from the
    initial one (1) with the dead block first (0). Then classes with equal columns are merged
    (`merge_columns`). An empty language gives the dead state alone, initial 0 and the byte
    classes as they were.
    """
    n_states, n_classes = table.shape
    dead_block, initial_block = block_of[0], block_of[initial]
    if initial_block == dead_block:
        return np.zeros((1, n_classes), np.int32), np.zeros(1, np.bool_), 0, byte_classes.copy()
    n_blocks = 0
    for state in range(n_states):
        n_blocks = max(n_blocks, block_of[state] + 1)
    representative = np.full(n_blocks, -1, np.int64)
    for state in range(n_states):
        if representative[block_of[state]] < 0:
            representative[block_of[state]] = state
    quotient = np.empty((n_blocks, n_classes), np.int64)
    for block in range(n_blocks):
        for cls in range(n_classes):
            quotient[block, cls] = block_of[table[representative[block], cls]]
    order = breadth_first_order(quotient, dead_block, initial_block)
    renumber = np.zeros(n_blocks, np.int32)
    for i in range(order.shape[0]):
        renumber[order[i]] = i
    minimal = np.zeros((order.shape[0], n_classes), np.int32)
    minimal_accepting = np.zeros(order.shape[0], np.bool_)
    for i in range(1, order.shape[0]):
        for cls in range(n_classes):
            minimal[i, cls] = renumber[quotient[order[i], cls]]
        minimal_accepting[i] = accepting[representative[order[i]]]
    merged, merged_classes = merge_columns(minimal, byte_classes)
    return merged, minimal_accepting, 1, merged_classes


@numba.njit(cache=True, nogil=True)
def minimal_table(table, accepting, initial, byte_classes):
    """The minimal DFA of a complete one (int32[n_states, n_classes] with state 0 dead,
    bool[n_states], the initial state, uint8[256] byte -> class) in one call, without a
    deadline: `minimize_setup`, `refine_steps` until done, `minimize_finish`."""
    sources, run_lo, run_hi, bounds, order, blocks, counters = minimize_setup(table, accepting)
    while refine_steps(sources, run_lo, run_hi, bounds, order, blocks, counters, 1 << 62) > 0:
        pass
    return minimize_finish(table, accepting, initial, byte_classes, order[2])


@numba.njit(cache=True, nogil=True)
def merge_columns(table, byte_classes):
    """Classes of `table` (int32[n_states, n_classes]) with equal columns merged:
    (int32[n_states, n_merged], uint8[256] byte -> merged class), the merged classes numbered
    by their lowest byte. Columns are matched through a hash table of their contents."""
    n_states, n_classes = table.shape
    new_of_old = np.full(n_classes, -1, np.int64)
    kept = np.zeros(n_classes, np.int64)  # old class kept for each merged class
    capacity = hash_capacity(n_classes)
    slots = np.full(capacity, -1, np.int64)
    n_kept = 0
    for byte in range(256):
        old = byte_classes[byte]
        if new_of_old[old] >= 0:
            continue
        slot = np.int64(set_hash(table[:, old]) & np.uint64(capacity - 1))
        while slots[slot] >= 0:
            other = kept[slots[slot]]
            same = True
            for state in range(n_states):
                if table[state, other] != table[state, old]:
                    same = False
                    break
            if same:
                break
            slot = (slot + 1) & (capacity - 1)
        if slots[slot] < 0:
            slots[slot] = n_kept
            kept[n_kept] = old
            n_kept += 1
        new_of_old[old] = slots[slot]
    merged = np.empty((n_states, n_kept), np.int32)
    for state in range(n_states):
        for new in range(n_kept):
            merged[state, new] = table[state, kept[new]]
    merged_classes = np.empty(256, np.uint8)
    for byte in range(256):
        merged_classes[byte] = new_of_old[byte_classes[byte]]
    return merged, merged_classes
