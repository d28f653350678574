"""Numba kernels of subset construction (see `automaton.dfa.determinize`): flat arrays in and out.

    epsilon_closure(eps_offsets, eps_targets, kept, state) -> int32[k]
        the sorted states with `kept` (byte edges, or final) reachable from `state` by epsilon
        moves (itself included): the start of the DFA
    target_closures(eps_offsets, eps_targets, kept, edge_target, budget) -> (clo_start, clo_states)
        the closures of byte-edge targets, tabulated within a budget of work and memory
    subset_steps(...)   fills table rows of DFA states, from a resume point, adding the sets they
        reach, until about `work_limit` units of work are done: the caller checks its deadline
        between calls

A DFA state is a sorted, distinct array of NFA states stored in one pool (`set_offsets` CSR);
set 0 is the empty set, the dead state. An open-addressing table on a hash of the contents maps
sets to ids. Edges are (first class, last class, target) per NFA state, CSR by source.

Closures are not tabulated for every NFA state without bound (a table that costs the sum of
all closure sizes: O(n^2) for `b*b*b*...`, 1.5 GB for 9,000 stars): the closures of edge
targets are tabulated while the table stays within a budget of O(NFA size), and the others are
walked per (DFA state, class) from all their targets at once, marking what the walk visits, so
it costs the NFA states and moves it reaches, each once. Scratch memory is O(NFA states).
"""
from __future__ import annotations

import numba
import numpy as np

__all__ = ["epsilon_closure", "target_closures", "subset_steps", "find_or_add_set"]

_EMPTY = -1


@numba.njit(cache=True, nogil=True)
def _close(eps_offsets, eps_targets, kept, stack, top, mark, stamp, found, n_found):
    """Walk the epsilon moves from the `top` states on `stack` (each already marked `stamp` in
    `mark`), marking what is reached; the reached states with `kept` are appended to `found`
    after its first `n_found`. A state already marked is not walked again: the caller marks only
    states whose closure it has taken in whole.

    The walk is depth first from the first seed on, moves in their order, so that in a Thompson
    NFA (states numbered as built) the states come out nearly sorted. Returns (how many are in
    `found` now, the work: states popped plus moves scanned)."""
    for i in range(top // 2):  # pop the seeds in the order they were pushed
        stack[i], stack[top - 1 - i] = stack[top - 1 - i], stack[i]
    work = 0
    while top > 0:
        top -= 1
        state = stack[top]
        if kept[state]:
            found[n_found] = state
            n_found += 1
        first, last = eps_offsets[state], eps_offsets[state + 1]
        work += 1 + last - first
        for k in range(last - 1, first - 1, -1):
            target = eps_targets[k]
            if mark[target] != stamp:
                mark[target] = stamp
                stack[top] = target
                top += 1
    return n_found, work


@numba.njit(cache=True, nogil=True)
def epsilon_closure(eps_offsets, eps_targets, kept, state):
    """The sorted states with `kept` reachable from `state` by epsilon moves (int32[k])."""
    n = kept.shape[0]
    mark = np.full(n, -1, np.int64)
    stack = np.empty(n, np.int32)
    found = np.empty(n, np.int32)
    mark[state] = 0
    stack[0] = state
    n_found, _ = _close(eps_offsets, eps_targets, kept, stack, 1, mark, 0, found, 0)
    sort_in_place(found[:n_found])
    return found[:n_found].copy()


@numba.njit(cache=True, nogil=True)
def target_closures(eps_offsets, eps_targets, kept, edge_target, budget):
    """The epsilon closures (sorted states with `kept`) of the byte edges' targets, tabulated
    lowest target first while the walks and the table cost at most about `budget` units in
    all: (clo_start int64[n]: where target t's closure starts in clo_states, -1 where it was
    not tabulated; clo_states int32[k]: at clo_start[t] the closure's length, then its states).

    Most closures are a state or two, and a table of them saves `subset_steps` a walk per
    (DFA state, class, member edge); the budget keeps the table O(NFA size) where they are not
    (`b*b*b*...`: each star's closure holds every later one), and those targets are walked."""
    n = kept.shape[0]
    is_target = np.zeros(n, np.bool_)
    for e in range(edge_target.shape[0]):
        is_target[edge_target[e]] = True
    clo_start = np.full(n, -1, np.int64)
    clo_states = np.empty(1024, np.int32)
    mark = np.full(n, -1, np.int64)
    stack = np.empty(n, np.int32)
    found = np.empty(n, np.int32)
    total = 0
    spent = 0
    for t in range(n):
        if not is_target[t]:
            continue
        mark[t] = t
        stack[0] = t
        n_found, work = _close(eps_offsets, eps_targets, kept, stack, 1, mark, t, found, 0)
        spent += work + n_found
        if spent > budget:
            break
        sort_in_place(found[:n_found])
        if total + 1 + n_found > clo_states.shape[0]:
            grown = np.empty(2 * (total + 1 + n_found), np.int32)
            grown[:total] = clo_states[:total]
            clo_states = grown
        clo_start[t] = total
        clo_states[total] = n_found
        clo_states[total + 1 : total + 1 + n_found] = found[:n_found]
        total += 1 + n_found
    return clo_start, clo_states[:total].copy()


@numba.njit(cache=True, nogil=True)
def hash_capacity(n_keys):
    """Slots of an open-addressing table for `n_keys` keys: a power of two, at least 16 and
    twice the keys (the hash table of table columns in `automaton.kernels.minimize.merge_columns`)."""
    capacity = 16
    while capacity < 2 * n_keys:
        capacity *= 2
    return capacity


@numba.njit(cache=True, nogil=True)
def set_hash(values):
    """FNV-1a over the values (non-negative ints): a set's hash here, a table column's in
    `automaton.kernels.minimize.merge_columns`."""
    h = np.uint64(1469598103934665603)
    for i in range(values.shape[0]):
        h = (h ^ np.uint64(values[i])) * np.uint64(1099511628211)
    return h


@numba.njit(cache=True, nogil=True)
def find_or_add_set(values, pool, set_offsets, n_sets, hash_slots):
    """Id of the set `values` (sorted, distinct, non-empty), adding it if new.

    Returns (id, pool, set_offsets, n_sets, hash_slots, added); the arrays may have grown.
    """
    capacity = hash_slots.shape[0]
    slot = np.int64(set_hash(values) & np.uint64(capacity - 1))
    size = values.shape[0]
    while hash_slots[slot] != _EMPTY:
        candidate = hash_slots[slot]
        start = set_offsets[candidate]
        if set_offsets[candidate + 1] - start == size:
            same = True
            for i in range(size):
                if pool[start + i] != values[i]:
                    same = False
                    break
            if same:
                return candidate, pool, set_offsets, n_sets, hash_slots, False
        slot = (slot + 1) & (capacity - 1)
    end = set_offsets[n_sets]
    if end + size > pool.shape[0]:
        grown = np.zeros(2 * (end + size), np.int32)
        grown[:end] = pool[:end]
        pool = grown
    if n_sets + 1 >= set_offsets.shape[0]:
        grown_offsets = np.zeros(2 * set_offsets.shape[0], np.int64)
        grown_offsets[: n_sets + 1] = set_offsets[: n_sets + 1]
        set_offsets = grown_offsets
    pool[end : end + size] = values
    set_offsets[n_sets + 1] = end + size
    new_id = n_sets
    hash_slots[slot] = new_id
    n_sets += 1
    if 2 * n_sets > capacity:
        capacity *= 2
        hash_slots = np.full(capacity, _EMPTY, np.int64)
        for s in range(1, n_sets):
            member = pool[set_offsets[s] : set_offsets[s + 1]]
            h = np.int64(set_hash(member) & np.uint64(capacity - 1))
            while hash_slots[h] != _EMPTY:
                h = (h + 1) & (capacity - 1)
            hash_slots[h] = s
    return new_id, pool, set_offsets, n_sets, hash_slots, True


@numba.njit(cache=True, nogil=True)
def sort_in_place(values):
    """Sort an array where it lies (insertion sort up to 32 items): the kernels sort many small
    arrays (a set of NFA states per class and DFA state, the class cuts of each splitter), and
    a new array each time, as np.sort and np.unique make, costs more than the sorting."""
    n = values.shape[0]
    if n > 32:
        values.sort()
        return
    for i in range(1, n):
        item = values[i]
        at = i
        while at > 0 and values[at - 1] > item:
            values[at] = values[at - 1]
            at -= 1
        values[at] = item


@numba.njit(cache=True, nogil=True)
def subset_steps(
    eps_offsets, eps_targets, kept, clo_start, clo_states,
    edge_offsets, edge_lo, edge_hi, edge_target, final, n_classes,
    pool, set_offsets, n_sets, hash_slots, table, accepting, head, head_class,
    mark, stack, found, work_limit, max_states,
):
    """Fill the table rows of DFA states from (head, head_class) on, adding the sets they lead to
    (in class order, so ids follow breadth-first discovery), until every set has its row or
    `work_limit` units of work (NFA states visited, moves and edges scanned, set entries
    hashed) are done; then return where to resume.

    Per state, a class that no member edge starts or ends at shares the previous class's
    target; each other class gathers the epsilon closures of the targets of the member edges
    that cover it: from the table of `target_closures` where it has them, else by a walk
    (`_close`), in member order, so the states come nearly sorted. Scratch: mark
    int64[n_nfa + 1] (all below the stamp in mark[n_nfa], which counts on across calls), stack
    and found int32[n_nfa].

    Returns (status, pool, set_offsets, n_sets, hash_slots, table int32[cap, n_classes],
    accepting bool[cap], head, head_class): status -1 as soon as more than `max_states` sets (the
    empty one included) would exist; the construction is done when head == n_sets.
    """
    n_nfa = kept.shape[0]
    stamp = mark[n_nfa]
    cut = np.zeros(n_classes + 1, np.bool_)
    # The member edges of the DFA state at hand, in member order: first and last class, target,
    # where the target's closure is tabulated (-1: walk it).
    e_lo = np.empty(64, np.int32)
    e_hi = np.empty(64, np.int32)
    e_t = np.empty(64, np.int32)
    e_at = np.empty(64, np.int64)
    work = 0
    while head < n_sets:
        if head >= table.shape[0]:
            grown_table = np.zeros((2 * table.shape[0], n_classes), np.int32)
            grown_table[: table.shape[0]] = table
            table = grown_table
        start, end = set_offsets[head], set_offsets[head + 1]
        cut[:] = False
        n_edges = 0
        for k in range(start, end):
            n_edges += edge_offsets[pool[k] + 1] - edge_offsets[pool[k]]
        if e_hi.shape[0] < n_edges:
            e_hi = np.empty(2 * n_edges, np.int32)
            e_lo = np.empty(2 * n_edges, np.int32)
            e_t = np.empty(2 * n_edges, np.int32)
            e_at = np.empty(2 * n_edges, np.int64)
        at = 0
        for k in range(start, end):  # the member edges, in member order
            m = pool[k]
            for e in range(edge_offsets[m], edge_offsets[m + 1]):
                cut[edge_lo[e]] = True
                cut[edge_hi[e] + 1] = True
                e_lo[at] = edge_lo[e]
                e_hi[at] = edge_hi[e]
                e_t[at] = edge_target[e]
                e_at[at] = clo_start[edge_target[e]]
                at += 1
        work += end - start + n_edges
        for c in range(head_class, n_classes):
            if c > 0 and not cut[c]:  # the same edges cover c and c - 1
                table[head, c] = table[head, c - 1]
                continue
            stamp += 1
            top = 0
            n_found = 0
            for i in range(n_edges):
                if e_lo[i] > c or e_hi[i] < c:
                    continue
                at = e_at[i]
                if at >= 0:  # tabulated: its kept states, all of them
                    for j in range(at + 1, at + 1 + clo_states[at]):
                        s = clo_states[j]
                        if mark[s] != stamp:
                            mark[s] = stamp
                            found[n_found] = s
                            n_found += 1
                    work += clo_states[at]
                else:
                    t = e_t[i]
                    if mark[t] != stamp:
                        mark[t] = stamp
                        stack[top] = t
                        top += 1
            visited = 0
            if top > 0:
                n_found, visited = _close(eps_offsets, eps_targets, kept, stack, top, mark, stamp, found, n_found)
            sort_in_place(found[:n_found])
            work += n_edges + visited + n_found
            if n_found == 0:
                table[head, c] = 0  # the dead state
            else:
                values = found[:n_found]
                pool_size, slots = pool.shape[0], hash_slots.shape[0]
                set_id, pool, set_offsets, n_sets, hash_slots, added = find_or_add_set(
                    values, pool, set_offsets, n_sets, hash_slots)
                if added:
                    if n_sets > max_states:
                        mark[n_nfa] = stamp
                        return -1, pool, set_offsets, n_sets, hash_slots, table, accepting, head, c
                    if pool.shape[0] != pool_size or hash_slots.shape[0] != slots:  # grown: copied, rehashed
                        work += pool.shape[0] + hash_slots.shape[0]
                    if set_id >= accepting.shape[0]:
                        grown_acc = np.zeros(2 * accepting.shape[0], np.bool_)
                        grown_acc[: accepting.shape[0]] = accepting
                        accepting = grown_acc
                    accepting[set_id] = mark[final] == stamp  # final is kept: reached = found
                table[head, c] = set_id
            if work >= work_limit and c + 1 < n_classes:
                mark[n_nfa] = stamp
                return 0, pool, set_offsets, n_sets, hash_slots, table, accepting, head, c + 1
        head += 1
        head_class = 0
        if work >= work_limit:
            break
    mark[n_nfa] = stamp
    return 0, pool, set_offsets, n_sets, hash_slots, table, accepting, head, 0
