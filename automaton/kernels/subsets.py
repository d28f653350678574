"""Numba kernels of subset construction (see `automaton.dfa.determinize`): flat arrays in and out.

    epsilon_closures(eps_offsets, eps_targets, kept) -> (offsets int64[n + 1], states int32[total])
        per NFA state, the sorted states with `kept` (byte edges, or final) reachable by epsilon
        moves (itself included), as CSR
    subset_steps(...)   fills the table rows of a range of DFA states, adding the sets they reach

A DFA state is a sorted, distinct array of NFA states stored in one pool (`set_offsets` CSR);
set 0 is the empty set, the dead state. An open-addressing table on a hash of the contents maps
sets to ids. Edges are (first class, last class, target) per NFA state, CSR by source.
"""
from __future__ import annotations

import numba
import numpy as np

__all__ = ["epsilon_closures", "subset_steps", "find_or_add_set"]

_EMPTY = -1


@numba.njit(cache=True, nogil=True)
def epsilon_closures(eps_offsets, eps_targets, kept):
    """Per NFA state, the sorted states with `kept[state]` reachable by epsilon moves (CSR)."""
    n = eps_offsets.shape[0] - 1
    stamp = np.full(n, -1, np.int64)
    stack = np.zeros(n, np.int32)
    offsets = np.zeros(n + 1, np.int64)
    out = np.zeros(max(16, n), np.int32)
    total = 0
    found = np.zeros(n, np.int32)
    for s in range(n):
        n_found = 0
        top = 0
        stack[top] = s
        top += 1
        stamp[s] = s
        while top > 0:
            top -= 1
            cur = stack[top]
            if kept[cur]:
                found[n_found] = cur
                n_found += 1
            for k in range(eps_offsets[cur], eps_offsets[cur + 1]):
                nxt = eps_targets[k]
                if stamp[nxt] != s:
                    stamp[nxt] = s
                    stack[top] = nxt
                    top += 1
        if total + n_found > out.shape[0]:
            grown = np.zeros(2 * (total + n_found), np.int32)
            grown[:total] = out[:total]
            out = grown
        out[total : total + n_found] = np.sort(found[:n_found])
        total += n_found
        offsets[s + 1] = total
    return offsets, out[:total].copy()


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
    clo_offsets, clo_states, edge_offsets, edge_lo, edge_hi, edge_target, final, n_classes,
    pool, set_offsets, n_sets, hash_slots, table, accepting, head, head_limit, max_states,
):
    """Fill the table rows of DFA states head .. min(head_limit, n_sets) - 1, adding the sets
    they lead to (in class order, so ids follow breadth-first discovery).

    For each state the closures of its members' edge targets are bucketed per class; a class
    that no edge starts at shares the previous class's target. Returns (status, pool,
    set_offsets, n_sets, hash_slots, table int32[cap, n_classes], accepting bool[cap], head):
    status -1 as soon as more than `max_states` sets (the empty one included) would exist.
    """
    n_nfa = clo_offsets.shape[0] - 1
    counts = np.zeros(n_classes + 1, np.int64)
    cut = np.zeros(n_classes + 1, np.bool_)
    mark = np.full(n_nfa, -1, np.int64)
    bucket = np.zeros(64, np.int32)
    unique = np.zeros(n_nfa, np.int32)
    stamp = 0
    while head < n_sets and head < head_limit:
        start, end = set_offsets[head], set_offsets[head + 1]
        counts[:] = 0
        cut[:] = False
        for k in range(start, end):
            m = pool[k]
            for e in range(edge_offsets[m], edge_offsets[m + 1]):
                t = edge_target[e]
                size = clo_offsets[t + 1] - clo_offsets[t]
                cut[edge_lo[e]] = True
                cut[edge_hi[e] + 1] = True
                for c in range(edge_lo[e], edge_hi[e] + 1):
                    counts[c + 1] += size
        for c in range(n_classes):
            counts[c + 1] += counts[c]
        total = counts[n_classes]
        if bucket.shape[0] < total:
            bucket = np.zeros(2 * total, np.int32)
        fill = counts[:n_classes].copy()
        for k in range(start, end):
            m = pool[k]
            for e in range(edge_offsets[m], edge_offsets[m + 1]):
                t = edge_target[e]
                lo_t, hi_t = clo_offsets[t], clo_offsets[t + 1]
                for c in range(edge_lo[e], edge_hi[e] + 1):
                    at = fill[c]
                    for j in range(lo_t, hi_t):
                        bucket[at] = clo_states[j]
                        at += 1
                    fill[c] = at
        if head >= table.shape[0]:
            grown_table = np.zeros((2 * table.shape[0], n_classes), np.int32)
            grown_table[: table.shape[0]] = table
            table = grown_table
        for c in range(n_classes):
            lo, hi = counts[c], counts[c + 1]
            if lo == hi:
                continue  # the dead state (row already 0)
            if c > 0 and not cut[c]:  # the same edges cover c and c - 1
                table[head, c] = table[head, c - 1]
                continue
            stamp += 1
            n_unique = 0
            for j in range(lo, hi):
                s = bucket[j]
                if mark[s] != stamp:
                    mark[s] = stamp
                    unique[n_unique] = s
                    n_unique += 1
            values = unique[:n_unique]
            sort_in_place(values)
            found, pool, set_offsets, n_sets, hash_slots, added = find_or_add_set(
                values, pool, set_offsets, n_sets, hash_slots)
            if added:
                if n_sets > max_states:
                    return -1, pool, set_offsets, n_sets, hash_slots, table, accepting, head
                if found >= accepting.shape[0]:
                    grown_acc = np.zeros(2 * accepting.shape[0], np.bool_)
                    grown_acc[: accepting.shape[0]] = accepting
                    accepting = grown_acc
                at = np.searchsorted(values, final)
                accepting[found] = at < values.shape[0] and values[at] == final
            table[head, c] = found
        head += 1
    return 0, pool, set_offsets, n_sets, hash_slots, table, accepting, head
