"""Numba kernels that explore an index's states: breadth-first from the start, walking the
token trie (`automaton.kernels.walk`) from each state reached at a token boundary.

    explore_states(...) -> (n_states, dfa_state_of, masks, mask_of, succ_offsets, succ), or a
        negative n_states once max_states is passed
    walk_states(...), number_walked_states(...): the same result in two halves, so that the
        walks can be shared out among threads (`automaton.index.threads`)
    live_index_states(accepting, succ_offsets, succ) -> bool[n_states]: an accepting state is
        reachable along token edges

Distinct rows are stored once (a hash table of rows, `_store_row`).
"""
from __future__ import annotations

import numba
import numpy as np

from automaton.kernels.layout import DEAD
from automaton.kernels.layout import LANES as _LANES
from automaton.kernels.minimize import live_states
from automaton.kernels.walk import add_eos, walk_batch, walk_buffers

_U = np.uintp  # unsigned index type

_HASH_EMPTY = -1

# How far ahead in the queue a batch may take states that look alike (the same fan-out
# bucket, see `_fanout_bucket`).
_GROUP_WINDOW = 64


@numba.njit(cache=True, nogil=True)
def _row_hash(row):
    """FNV-1a over the words, as four interleaved streams (word w feeds stream w % 4) combined
    at the end: one stream is a chain of dependent multiplies, four overlap, and a row of a
    big vocabulary has thousands of words (cl100k: 3,134) to hash for every state."""
    prime = np.uint64(1099511628211)
    h0 = h1 = h2 = h3 = np.uint64(1469598103934665603)
    n = row.shape[0]
    w = 0
    while w + 4 <= n:
        h0 = (h0 ^ np.uint64(np.uint32(row[w]))) * prime
        h1 = (h1 ^ np.uint64(np.uint32(row[w + 1]))) * prime
        h2 = (h2 ^ np.uint64(np.uint32(row[w + 2]))) * prime
        h3 = (h3 ^ np.uint64(np.uint32(row[w + 3]))) * prime
        w += 4
    while w < n:
        h0 = (h0 ^ np.uint64(np.uint32(row[w]))) * prime
        w += 1
    return (((h0 * prime) ^ h1) * prime ^ h2) * prime ^ h3



@numba.njit(cache=True, nogil=True)
def explore_states(
    table,
    initial,
    allowed_end,
    accepting,
    node_class,
    node_depth,
    node_end,
    node_token_offsets,
    node_tokens,
    node_below,
    state_loops,
    max_depth,
    eos_ids,
    n_words,
    max_states,
):
    """Breadth-first over the DFA states reachable at token boundaries, with their mask rows.

    From each reached DFA state the trie is walked, a subtree skipped at its first dead byte.
    A token is allowed when its bytes end in a DFA state `d` with `allowed_end[d]`; EOS ids
    are allowed in states with `accepting[d]`.

    The trie is walked for `_LANES` states at once (one pass over the nodes, a subtree skipped
    when it is dead in every lane), which shares the trie reads and branches among them. A batch
    takes the next queued state and queued states of the same fan-out bucket from the next
    `_GROUP_WINDOW`, so that states with big walks share a pass. States are then renumbered as
    one-at-a-time breadth-first processing numbers them, and rows by first use in that order.

    Args:
        table: int32[n_dfa, n_classes]; initial: DFA start state.
        allowed_end: bool[n_dfa] states a token may end in (live ones).
        accepting: bool[n_dfa].
        node_*: the token trie over the DFA's byte classes; node_below, state_loops: the
            symbols below each node and each state's loops (module docstring).
        max_depth: at least the trie's greatest node depth (the byte trie's, known once per
            vocabulary: a scan for it here would cost a pass over every node per call).
        eos_ids: int32[k]; n_words: words per mask row (ceil(logits_width / 32)).
        max_states: stop once more states than this are reached.

    Returns:
        (n_states, dfa_state_of int32[n_states], masks int32[n_rows, n_words],
         mask_of int32[n_states], succ_offsets int64[n_states + 1], succ int32[n_edges])
        where succ lists, per state, the distinct successor states (index ids) in the order the
        trie walk meets them. n_states is -1 when `max_states` was exceeded (the other arrays
        are then empty).
    """
    lanes = _LANES
    n_dfa = table.shape[0]
    # Provisional ids, in order of discovery; `queue` holds them in processing order.
    id_of_dfa = np.full(n_dfa, -1, np.int32)
    dfa_of_id = np.zeros(n_dfa, np.int32)
    bucket = np.zeros(n_dfa, np.int32)
    queue = np.zeros(n_dfa, np.int32)
    n_states = 1
    id_of_dfa[initial] = 0
    dfa_of_id[0] = initial
    bucket[0] = _fanout_bucket(table, initial)
    row_of_id = np.zeros(n_dfa, np.int32)

    masks = np.empty((16, n_words), np.int32)  # rows past n_rows are never read
    n_rows = 0
    hash_slots = np.full(64, _HASH_EMPTY, np.int64)

    succ = np.zeros(1024, np.int32)
    succ_start = np.zeros(n_dfa, np.int64)
    succ_end = np.zeros(n_dfa, np.int64)
    n_succ = 0

    walk, rows, seen_mark, found, n_found = walk_buffers(max_depth, n_dfa, n_words)
    batch = np.zeros(lanes, np.int32)

    head = 0
    n_batches = 0
    while head < n_states:
        size = 1
        wanted = bucket[queue[head]]
        for j in range(head + 1, min(n_states, head + _GROUP_WINDOW)):
            if size == lanes:
                break
            if bucket[queue[j]] == wanted:
                queue[head + size], queue[j] = queue[j], queue[head + size]
                size += 1
        for lane in range(lanes):
            if lane < size:
                batch[lane] = queue[head + lane]
                walk[0, lane] = dfa_of_id[batch[lane]]
            else:
                walk[0, lane] = DEAD
        walk_batch(
            table, walk, allowed_end, node_class, node_depth, node_end, node_token_offsets, node_tokens,
            node_below, state_loops, rows, seen_mark, found, n_found, n_batches,
        )
        n_batches += 1

        for lane in range(size):
            state = batch[lane]
            succ_start[state] = n_succ
            for k in range(n_found[lane]):
                nxt = found[lane, k]
                target = id_of_dfa[nxt]
                if target < 0:
                    if n_states >= max_states:
                        return _too_many_states(n_words)
                    target = n_states
                    id_of_dfa[nxt] = target
                    dfa_of_id[target] = nxt
                    queue[target] = target
                    bucket[target] = _fanout_bucket(table, nxt)
                    n_states += 1
                if n_succ == succ.shape[0]:
                    grown = np.zeros(2 * n_succ, np.int32)
                    grown[:n_succ] = succ
                    succ = grown
                succ[n_succ] = target
                n_succ += 1
            succ_end[state] = n_succ
            row = rows[lane]
            if accepting[dfa_of_id[state]]:
                add_eos(row, eos_ids)
            row_id, masks, n_rows, hash_slots = _store_row(row, masks, n_rows, hash_slots)
            row_of_id[state] = row_id
        head += size

    return _breadth_first_numbering(n_states, dfa_of_id, row_of_id, masks[:n_rows], succ, succ_start, succ_end)


@numba.njit(cache=True, nogil=True)
def _too_many_states(n_words):
    """`explore_states`' result when `max_states` was exceeded."""
    return (
        -1,
        np.zeros(0, np.int32),
        np.zeros((0, n_words), np.int32),
        np.zeros(0, np.int32),
        np.zeros(1, np.int64),
        np.zeros(0, np.int32),
    )


@numba.njit(cache=True, nogil=True)
def walk_states(
    table,
    states,
    allowed_end,
    accepting,
    node_class,
    node_depth,
    node_end,
    node_token_offsets,
    node_tokens,
    node_below,
    state_loops,
    max_depth,
    eos_ids,
    n_words,
):
    """The trie walk of `explore_states` from each of the given DFA states, with no search for
    more: the part of a build that can run on several threads at once, each on its own states.

    States are walked `_LANES` at a time in the order given (put look-alike states next to
    each other). `number_walked_states` turns the walks of all states into `explore_states`'
    result.

    Args:
        table, allowed_end, accepting, node_*, state_loops, max_depth, eos_ids, n_words: as in
            `explore_states`.
        states: int32[n] DFA states to walk.

    Returns:
        (masks int32[n_rows, n_words] the distinct rows, row_of int32[n] the row of each
         state, found_offsets int64[n + 1], found int32[n_edges]): per state, the DFA states
        its allowed tokens end in, distinct, in the order the walk meets them.
    """
    n = states.shape[0]
    n_dfa = table.shape[0]
    walk, rows, seen_mark, found, n_found = walk_buffers(max_depth, n_dfa, n_words)
    masks = np.empty((16, n_words), np.int32)
    n_rows = 0
    hash_slots = np.full(64, _HASH_EMPTY, np.int64)
    row_of = np.zeros(n, np.int32)
    found_offsets = np.zeros(n + 1, np.int64)
    out = np.zeros(1024, np.int32)
    n_out = 0
    for head in range(0, n, _LANES):
        size = min(_LANES, n - head)
        for lane in range(_LANES):
            walk[0, lane] = states[head + lane] if lane < size else DEAD
        walk_batch(
            table, walk, allowed_end, node_class, node_depth, node_end, node_token_offsets, node_tokens,
            node_below, state_loops, rows, seen_mark, found, n_found, head,
        )
        for lane in range(size):
            i = head + lane
            if n_out + n_found[lane] > out.shape[0]:
                grown = np.zeros(2 * (n_out + n_found[lane]), np.int32)
                grown[:n_out] = out[:n_out]
                out = grown
            out[n_out : n_out + n_found[lane]] = found[lane, : n_found[lane]]
            n_out += n_found[lane]
            found_offsets[i + 1] = n_out
            row = rows[lane]
            if accepting[states[i]]:
                add_eos(row, eos_ids)
            row_id, masks, n_rows, hash_slots = _store_row(row, masks, n_rows, hash_slots)
            row_of[i] = row_id
    return masks[:n_rows].copy(), row_of, found_offsets, out[:n_out].copy()


@numba.njit(cache=True, nogil=True)
def number_walked_states(initial, n_dfa, states, row_of, masks, found_offsets, found, max_states):
    """`explore_states`' result from the walks of `walk_states` (several calls' results
    concatenated: `row_of` indexes the concatenated `masks`, which may repeat rows).

    States are numbered breadth-first from `initial` over the found lists (a state that is
    walked but not reached is left out), rows by first use in that order, each distinct row
    once. Every DFA state that a found list names must be among `states`.

    Args:
        initial: the DFA start state; n_dfa: DFA states in all.
        states int32[n], row_of int32[n], masks int32[n_rows, W], found_offsets int64[n + 1],
        found int32[n_edges]: the walks, state i's found list at found_offsets[i]..[i + 1].
        max_states: as in `explore_states`.
    """
    n_words = masks.shape[1]
    position = np.full(n_dfa, -1, np.int64)
    for i in range(states.shape[0]):
        position[states[i]] = i
    new_of_dfa = np.full(n_dfa, -1, np.int32)
    dfa_state_of = np.zeros(states.shape[0], np.int32)
    new_of_dfa[initial] = 0
    dfa_state_of[0] = initial
    n_states = 1
    n_edges = 0
    i = 0
    while i < n_states:
        at = position[dfa_state_of[i]]
        for e in range(found_offsets[at], found_offsets[at + 1]):
            target = found[e]
            if new_of_dfa[target] < 0:
                if n_states >= max_states:
                    return _too_many_states(n_words)
                new_of_dfa[target] = n_states
                dfa_state_of[n_states] = target
                n_states += 1
        n_edges += found_offsets[at + 1] - found_offsets[at]
        i += 1

    out_masks = np.empty((16, n_words), np.int32)
    n_rows = 0
    hash_slots = np.full(64, _HASH_EMPTY, np.int64)
    row_id = np.full(masks.shape[0], -1, np.int32)
    mask_of = np.zeros(n_states, np.int32)
    succ_offsets = np.zeros(n_states + 1, np.int64)
    succ = np.zeros(n_edges, np.int32)
    n_edges = 0
    for i in range(n_states):
        at = position[dfa_state_of[i]]
        row = row_of[at]
        if row_id[row] < 0:
            stored, out_masks, n_rows, hash_slots = _store_row(masks[row], out_masks, n_rows, hash_slots)
            row_id[row] = stored
        mask_of[i] = row_id[row]
        for e in range(found_offsets[at], found_offsets[at + 1]):
            succ[n_edges] = new_of_dfa[found[e]]
            n_edges += 1
        succ_offsets[i + 1] = n_edges
    return n_states, dfa_state_of[:n_states].copy(), out_masks[:n_rows].copy(), mask_of, succ_offsets, succ


@numba.njit(cache=True, nogil=True)
def _fanout_bucket(table, state):
    """floor(log2) of the number of classes on which `state` does not die: a cheap guess of
    how much of the trie a walk from it visits."""
    fanout = 0
    for cls in range(table.shape[1]):
        if table[state, cls] != DEAD:
            fanout += 1
    bucket = 0
    while fanout > 1:
        fanout >>= 1
        bucket += 1
    return bucket


@numba.njit(cache=True, nogil=True)
def _store_row(row, masks, n_rows, hash_slots):
    """Id of `row` among the stored rows, storing it if new (open addressing on a hash of its
    words). Returns (row id, masks, n_rows, hash_slots); the arrays may have been grown."""
    n_words = row.shape[0]
    capacity = hash_slots.shape[0]
    slot = np.int64(_row_hash(row) & np.uint64(capacity - 1))
    while hash_slots[slot] != _HASH_EMPTY:
        candidate = hash_slots[slot]
        same = True
        for w in range(n_words):
            if masks[candidate, w] != row[w]:
                same = False
                break
        if same:
            return candidate, masks, n_rows, hash_slots
        slot = (slot + 1) & (capacity - 1)
    if n_rows == masks.shape[0]:
        grown = np.empty((2 * n_rows, n_words), np.int32)
        grown[:n_rows] = masks
        masks = grown
    masks[n_rows] = row
    hash_slots[slot] = n_rows
    n_rows += 1
    if 2 * n_rows > capacity:
        capacity *= 2
        hash_slots = np.full(capacity, _HASH_EMPTY, np.int64)
        for r in range(n_rows):
            s = np.int64(_row_hash(masks[r]) & np.uint64(capacity - 1))
            while hash_slots[s] != _HASH_EMPTY:
                s = (s + 1) & (capacity - 1)
            hash_slots[s] = r
    return n_rows - 1, masks, n_rows, hash_slots


@numba.njit(cache=True, nogil=True)
def _breadth_first_numbering(n_states, dfa_of_id, row_of_id, masks, succ, succ_start, succ_end):
    """`explore_states`' result with states numbered breadth-first over the successor lists
    (from provisional id 0) and rows numbered by first use in that order."""
    new_of_id = np.full(n_states, -1, np.int32)
    id_of_new = np.zeros(n_states, np.int32)
    new_of_id[0] = 0
    count = 1
    for i in range(n_states):
        state = id_of_new[i]
        for e in range(succ_start[state], succ_end[state]):
            target = succ[e]
            if new_of_id[target] < 0:
                new_of_id[target] = count
                id_of_new[count] = target
                count += 1

    n_rows = masks.shape[0]
    new_row = np.full(n_rows, -1, np.int32)
    out_masks = np.empty_like(masks)  # every stored row is some state's row
    dfa_state_of = np.zeros(n_states, np.int32)
    mask_of = np.zeros(n_states, np.int32)
    succ_offsets = np.zeros(n_states + 1, np.int64)
    out_succ = np.zeros(succ_end.max() if n_states else 0, np.int32)
    n_rows_used = 0
    n_edges = 0
    for i in range(n_states):
        state = id_of_new[i]
        dfa_state_of[i] = dfa_of_id[state]
        old_row = row_of_id[state]
        if new_row[old_row] < 0:
            new_row[old_row] = n_rows_used
            out_masks[n_rows_used] = masks[old_row]
            n_rows_used += 1
        mask_of[i] = new_row[old_row]
        for e in range(succ_start[state], succ_end[state]):
            out_succ[n_edges] = new_of_id[succ[e]]
            n_edges += 1
        succ_offsets[i + 1] = n_edges
    return n_states, dfa_state_of, out_masks, mask_of, succ_offsets, out_succ[:n_edges].copy()


@numba.njit(cache=True, nogil=True)
def live_index_states(accepting, succ_offsets, succ):
    """bool[n_states]: the index states from which an accepting one can be reached along the
    successor lists (`explore_states`' succ_offsets int64[n_states + 1], succ int32[n_edges]),
    by a backward search over the edges grouped by target (a counting sort)."""
    n_states = accepting.shape[0]
    bounds = np.zeros(n_states + 1, np.int32)
    for e in range(succ.shape[0]):
        bounds[succ[e] + 1] += 1
    for state in range(n_states):
        bounds[state + 1] += bounds[state]
    fill = bounds[:n_states].copy()
    sources = np.empty(succ.shape[0], np.int32)
    for state in range(n_states):
        for e in range(succ_offsets[state], succ_offsets[state + 1]):
            sources[fill[succ[e]]] = state
            fill[succ[e]] += 1
    return live_states(accepting, sources, bounds)

