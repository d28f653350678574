"""Numba kernels of the index build: flat NumPy arrays in, flat NumPy arrays out.

No numba typed containers (they cannot be cached to disk and are slow to box). The tests
check the kernels against plain-Python statements of what they compute: the whole build
against `automaton/_reference.py`, the trie walk and the class trie against their definitions.

A vocabulary's byte trie (`sorted_byte_trie`, built once per vocabulary) is quotiented by a
pattern's byte classes (`quotient_trie`): tokens whose bytes fall in the same classes, position
by position, behave alike in every state, so they share one path. For `[a-zA-Z ]{10,200}`
cl100k's 100k tokens collapse to a few hundred nodes. When few bytes share a class (literal
text) merging would shrink the trie little, and the byte trie is walked as is, with a DFA
table that has a column per byte (`automaton.index.class_trie` chooses). Either trie, in
depth-first order:

    node_class  uint8[n_nodes]    symbol on the edge into the node (node 0 is the root): a
                                  class of the merged trie, a byte of the byte trie; the walks'
                                  `table` has a column per symbol
    node_depth  int32[n_nodes]    edges from the root (root 0)
    node_end    int32[n_nodes]    one past the node's last descendant, so a subtree is
                                  node .. node_end[node]-1 and can be skipped in one jump
    node_token_offsets int32[n_nodes + 1], node_tokens int32[n_ending]
                                  ids of the tokens whose bytes end at each node (CSR)

The walks also take, in the same symbol space:

    node_below   uint64[n_nodes, w]  the symbols on the edges strictly below each node
                                     (`subtree_symbols`; bit s % 64 of word s // 64)
    state_loops  uint64[n_dfa, w]    the symbols on which each DFA state stays where it is
                                     (none for the dead state); w = 0 when no state loops

so that a walk that reaches a node in a state looping on every symbol below it (`.*`, a JSON
string's `[^"]*`) knows without going further that all the subtree's tokens end in that state.
"""
from __future__ import annotations

import numba
import numpy as np
from numba import types
from numba.core import cgutils
from numba.cpython.unsafe.numbers import leading_zeros, trailing_zeros
from numba.extending import intrinsic

from automaton._hopcroft import live_states
from automaton._subsets import sort_in_place

__all__ = [
    "token_sort_keys", "sorted_byte_trie", "layout_trie", "quotient_trie", "subtree_symbols", "explore_states", "walk_states",
    "number_walked_states", "live_index_states", "forced_chains", "gather_tokens", "row_ids", "finish_rows", "token_records", "index_problems",
    "RECORD_BYTES", "LONG_TOKEN", "DEAD",
]

DEAD = 0  # the ByteDFA dead state
RECORD_BYTES = 16  # bytes per token in `token_records`
LONG_TOKEN = 255  # the length byte of a token whose classes do not fit its record

_U = np.uintp  # unsigned index type (see explore_states)

_HASH_EMPTY = -1


_CHUNK = 7  # token bytes per sort key (`_chunk_key`)
_INSERTION_SORT_MAX = 32  # `_sort_ties` sorts runs up to this long without allocating


@numba.njit(cache=True, nogil=True)
def _chunk_key(token_data, begin, end, offset):
    """Sort key of the token token_data[begin:end] at byte `offset`: its bytes offset ..
    offset + 6 (zero past its end), big-endian in the high 56 bits, then in the low 8 bits
    min(bytes left, 8), 8 meaning that the token goes on past these 7 bytes.

    Keys order tokens as their bytes do from `offset` on (a token before its extensions: "ab"
    before "ab\x00"); tokens with equal keys are the same bytes, or both go on (`sorted_byte_trie`
    then orders them by their next 7 bytes).
    """
    at = begin + offset
    key = np.uint64(0)
    for j in range(_CHUNK):
        key <<= np.uint64(8)
        if at + j < end:
            key |= np.uint64(token_data[at + j])
    return (key << np.uint64(8)) | np.uint64(min(end - at, _CHUNK + 1))


@numba.njit(cache=True, nogil=True)
def token_sort_keys(token_data, token_offsets):
    """(ids int32[k], keys uint64[k]): the non-empty tokens in id order and the `_chunk_key` of
    their first bytes; `np.argsort(keys)` puts them in nearly the order `sorted_byte_trie` takes.

    Args:
        token_data: uint8[total]; token_offsets: int64[n_tokens + 1].
    """
    n_tokens = token_offsets.shape[0] - 1
    count = 0
    for t in range(n_tokens):
        if token_offsets[t + 1] > token_offsets[t]:
            count += 1
    ids = np.empty(count, np.int32)
    keys = np.empty(count, np.uint64)
    at = 0
    for t in range(n_tokens):
        if token_offsets[t + 1] > token_offsets[t]:
            ids[at] = t
            keys[at] = _chunk_key(token_data, token_offsets[t], token_offsets[t + 1], 0)
            at += 1
    return ids, keys


@numba.njit(cache=True, nogil=True)
def _sort_ties(token_data, token_offsets, ids, keys):
    """Finish the sort that ordered `ids` by their `keys` (first chunks): tokens with equal keys
    that go on are ordered by their next chunks, and so on; the same bytes by ascending id.
    Sorts `ids` in place (and overwrites `keys`)."""
    n = ids.shape[0]
    # Runs of equal keys still to split: (first, end, offset of their keys). They do not
    # overlap and each holds two tokens or more, so n // 2 + 1 slots suffice.
    pending = np.empty((n // 2 + 1, 3), np.int64)
    pending[0, 0], pending[0, 1], pending[0, 2] = 0, n, 0
    top = 1
    while top > 0:
        top -= 1
        first, end, offset = pending[top, 0], pending[top, 1], pending[top, 2]
        i = first
        while i < end:
            j = i + 1
            while j < end and keys[j] == keys[i]:
                j += 1
            if j - i > 1:
                if keys[i] & np.uint64(0xFF) == np.uint64(_CHUNK + 1):
                    for m in range(i, j):
                        t = ids[m]
                        keys[m] = _chunk_key(token_data, token_offsets[t], token_offsets[t + 1], offset + _CHUNK)
                    if j - i <= _INSERTION_SORT_MAX:  # most runs: a few tokens, sorted where they lie
                        for m in range(i + 1, j):
                            key, t = keys[m], ids[m]
                            k = m - 1
                            while k >= i and keys[k] > key:
                                keys[k + 1], ids[k + 1] = keys[k], ids[k]
                                k -= 1
                            keys[k + 1], ids[k + 1] = key, t
                    else:
                        order = np.argsort(keys[i:j]) + i
                        ids[i:j] = ids[order]
                        keys[i:j] = keys[order]
                    pending[top, 0], pending[top, 1], pending[top, 2] = i, j, offset + _CHUNK
                    top += 1
                else:
                    sort_in_place(ids[i:j])
            i = j


@numba.njit(cache=True, nogil=True)
def sorted_byte_trie(token_data, token_offsets, ids, keys):
    """The byte trie of the tokens in depth-first layout, built from the tokens in byte order.

    In byte order (a token before its extensions) each token shares with the one before it
    the path of their common prefix and adds one node per byte after it, so the nodes come
    out in depth-first order, the children of a node in byte order, with no lookups.

    Args:
        token_data: uint8[total]; token_offsets: int64[n_tokens + 1].
        ids int32[k], keys uint64[k]: `token_sort_keys`' output ordered by `np.argsort(keys)`
            (how equal keys are ordered does not matter; both arrays are sorted in place).

    Returns:
        (node_byte uint8[n], node_depth int32[n], node_end int32[n],
         node_token_offsets int32[n + 1], node_tokens int32[k]) as `layout_trie` gives them
        (node 0 the root; within a node, token ids ascending); node_tokens is `ids`, sorted.
    """
    first_keys = keys.copy()  # each token's first chunk: tie sorting moves tokens only among equal ones
    _sort_ties(token_data, token_offsets, ids, keys)
    n = ids.shape[0]
    total = 0
    longest = 0
    for p in range(n):
        length = token_offsets[ids[p] + 1] - token_offsets[ids[p]]
        total += length
        longest = max(longest, length)
    node_byte = np.empty(total + 1, np.uint8)
    node_depth = np.empty(total + 1, np.int32)
    node_byte[0], node_depth[0] = 0, 0
    path = np.zeros(longest + 1, np.int32)  # path[d]: the node at depth d on the last token's path
    end_node = np.empty(n, np.int32)
    n_nodes = 1
    previous_begin = 0
    previous_length = 0
    previous_key = np.uint64(0)
    for p in range(n):
        begin = token_offsets[ids[p]]
        length = token_offsets[ids[p] + 1] - begin
        key = first_keys[p]
        # The common prefix within the first chunk comes from the keys (no read of the token's
        # bytes, which lie anywhere in token_data); past it, from the bytes.
        differ = (key ^ previous_key) >> np.uint64(8)
        common = _CHUNK if differ == 0 else (np.int64(leading_zeros(differ)) - 8) // 8
        common = min(common, length, previous_length)
        if common == _CHUNK:
            limit = min(length, previous_length)
            while common < limit and token_data[begin + common] == token_data[previous_begin + common]:
                common += 1
        for depth in range(common, length):
            if depth < _CHUNK:
                node_byte[n_nodes] = np.uint8((key >> np.uint64(56 - 8 * depth)) & np.uint64(0xFF))
            else:
                node_byte[n_nodes] = token_data[begin + depth]
            node_depth[n_nodes] = depth + 1
            path[depth + 1] = n_nodes
            n_nodes += 1
        end_node[p] = path[length]
        previous_begin, previous_length, previous_key = begin, length, key

    # A node's subtree ends at the next node no deeper than it.
    node_end = np.empty(n_nodes, np.int32)
    open_at = np.zeros(longest + 1, np.int32)  # open_at[d]: the open node at depth d
    deepest = 0
    for node in range(1, n_nodes):
        depth = node_depth[node]
        for closed in range(depth, deepest + 1):
            node_end[open_at[closed]] = node
        open_at[depth] = node
        deepest = depth
    for closed in range(0, deepest + 1):  # the root among them
        node_end[open_at[closed]] = n_nodes

    # Tokens meet their nodes in depth-first order (end_node never decreases).
    node_token_offsets = np.zeros(n_nodes + 1, np.int32)
    for p in range(n):
        node_token_offsets[end_node[p] + 1] += 1
    for node in range(n_nodes):
        node_token_offsets[node + 1] += node_token_offsets[node]
    return node_byte[:n_nodes].copy(), node_depth[:n_nodes].copy(), node_end, node_token_offsets, ids


@numba.njit(cache=True, nogil=True)
def layout_trie(parent, symbol, listed_tokens, listed_nodes):
    """Depth-first layout of a trie given in creation order (a parent before its children).

    Args:
        parent int32[n] (-1 at the root), symbol uint8[n]; listed_tokens, listed_nodes
        int32[k]: token listed_tokens[i] ends at node listed_nodes[i] (> 0), each token once.
        Within a node, tokens keep their order in the list.

    Returns:
        (node_class uint8[n], node_depth int32[n], node_end int32[n],
         node_token_offsets int32[n + 1], node_tokens int32[n_listed]), see the module docstring.
    """
    n_new = parent.shape[0]
    # Subtree sizes bottom-up, then preorder ids: each child starts after its earlier siblings.
    size = np.ones(n_new, np.int32)
    for node in range(n_new - 1, 0, -1):
        size[parent[node]] += size[node]
    order = np.zeros(n_new, np.int32)  # creation id -> depth-first id
    next_slot = np.zeros(n_new, np.int32)
    next_slot[0] = 1
    depth_of = np.zeros(n_new, np.int32)
    for node in range(1, n_new):
        up = parent[node]
        order[node] = next_slot[up]
        next_slot[up] += size[node]
        next_slot[node] = order[node] + 1
        depth_of[node] = depth_of[up] + 1

    node_class = np.zeros(n_new, np.uint8)
    node_depth = np.zeros(n_new, np.int32)
    node_end = np.zeros(n_new, np.int32)
    for node in range(n_new):
        at = order[node]
        node_class[at] = symbol[node]
        node_depth[at] = depth_of[node]
        node_end[at] = at + size[node]

    n_listed = listed_tokens.shape[0]
    counts = np.zeros(n_new + 1, np.int32)
    for i in range(n_listed):
        counts[order[listed_nodes[i]] + 1] += 1
    node_token_offsets = np.cumsum(counts).astype(np.int32)
    fill = node_token_offsets[:n_new].copy()
    node_tokens = np.zeros(n_listed, np.int32)
    for i in range(n_listed):
        at = order[listed_nodes[i]]
        node_tokens[fill[at]] = listed_tokens[i]
        fill[at] += 1
    return node_class, node_depth, node_end, node_token_offsets, node_tokens


@numba.njit(cache=True, nogil=True)
def quotient_trie(
    node_byte, node_depth, node_end, node_token_offsets, node_tokens, n_tokens, class_of, dead_class, max_depth
):
    """Merge byte-trie nodes whose paths spell the same byte-class string.

    Subtrees entered on a class that is dead in every DFA state (`dead_class`) are dropped:
    no state can allow their tokens.

    A class node's children are kept as a linked list (`first_child`, `next_sibling`). Most
    lookups never walk it: in depth-first order the byte siblings of one node are met one
    after another, so the child last found at each depth for each class (`recent_*`, a small
    table that stays in cache) answers them; the list is walked only when a class node is
    reached again through another byte path.

    Args:
        node_*: the vocabulary's byte trie in depth-first layout (`sorted_byte_trie`).
        n_tokens: number of token ids; class_of: uint8[256] byte -> class;
        dead_class: bool[n_classes]; max_depth: the byte trie's greatest node depth (passed in:
        a scalar pass over every node to find it costs as much as the whole merge of a small
        pattern in the ahead-of-time build, whose generic code has no vector max).

    Returns:
        (parent, symbol, listed_tokens, listed_nodes) of the class trie in creation order, for
        `layout_trie`: only the tokens whose bytes avoid the dead classes are listed (a token
        list as long as the vocabulary would cost a pass over every token id in both kernels).
    """
    n_old = node_byte.shape[0]
    n_classes = dead_class.shape[0]
    # Written only as class nodes are made (often far fewer than the byte trie's): no up-front fill.
    parent = np.empty(n_old, np.int32)
    symbol = np.empty(n_old, np.uint8)
    first_child = np.empty(n_old, np.int32)
    next_sibling = np.empty(n_old, np.int32)
    parent[0], symbol[0], first_child[0], next_sibling[0] = -1, 0, -1, -1
    listed_tokens = np.empty(n_tokens, np.int32)
    listed_nodes = np.empty(n_tokens, np.int32)
    n_listed = 0
    path = np.zeros(max_depth + 1, np.int32)  # class node at each depth of the current branch
    recent_parent = np.full((max_depth + 1, n_classes), -1, np.int32)
    recent_child = np.zeros((max_depth + 1, n_classes), np.int32)
    n_new = 1
    node = _U(1)  # unsigned indexes, as in explore_states
    while node < _U(n_old):
        cls = _U(class_of[node_byte[node]])
        if dead_class[cls]:
            node = _U(node_end[node])
            continue
        depth = _U(node_depth[node])
        up = path[depth - _U(1)]
        if recent_parent[depth, cls] == up:
            child = recent_child[depth, cls]
        else:
            child = first_child[_U(up)]
            while child >= 0 and symbol[_U(child)] != cls:
                child = next_sibling[_U(child)]
            if child < 0:
                child = n_new
                n_new += 1
                parent[_U(child)] = up
                symbol[_U(child)] = cls
                first_child[_U(child)] = -1
                next_sibling[_U(child)] = first_child[_U(up)]
                first_child[_U(up)] = child
            recent_parent[depth, cls] = up
            recent_child[depth, cls] = child
        path[depth] = child
        for k in range(_U(node_token_offsets[node]), _U(node_token_offsets[node + _U(1)])):
            listed_tokens[n_listed] = node_tokens[k]
            listed_nodes[n_listed] = child
            n_listed += 1
        node += _U(1)
    return parent[:n_new].copy(), symbol[:n_new].copy(), listed_tokens[:n_listed], listed_nodes[:n_listed]


@numba.njit(cache=True, nogil=True)
def subtree_symbols(node_symbol, node_depth, max_depth, n_words):
    """uint64[n_nodes, n_words]: per node of a depth-first trie, the set of symbols on the
    edges strictly below it (bit s % 64 of word s // 64).

    One pass in reverse depth-first order, where a node's descendants come before it:
    pending[d] gathers what the nodes of depth d met since their parent's last sibling hand
    up, and a node takes pending[depth + 1] as its own set.

    Args: node_symbol uint8[n_nodes] (the edge into each node), node_depth int32[n_nodes],
    max_depth: at least the greatest depth, n_words: words per set (symbols < 64 * n_words).
    """
    n_nodes = node_symbol.shape[0]
    below = np.zeros((n_nodes, n_words), np.uint64)
    pending = np.zeros((max_depth + 2, n_words), np.uint64)
    for node in range(n_nodes - 1, -1, -1):
        depth = node_depth[node]
        for k in range(n_words):
            below[node, k] = pending[depth + 1, k]
            pending[depth + 1, k] = 0
        if node > 0:
            for k in range(n_words):
                pending[depth, k] |= below[node, k]
            symbol = np.int64(node_symbol[node])
            pending[depth, symbol >> 6] |= np.uint64(1) << np.uint64(symbol & 63)
    return below


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


# States walked side by side through the trie, and how far ahead in the queue a batch may
# take states that look alike (the same fan-out bucket, see `_fanout_bucket`).
_LANES = 4
_GROUP_WINDOW = 64


@numba.njit(cache=True, nogil=True)
def _loops_cover(walk, depth, lanes, node, node_below, state_loops):
    """Whether every live lane's state at `depth` loops on all the symbols below `node`."""
    for lane in range(lanes):
        state = _U(walk[depth, lane])
        if state != DEAD:
            for k in range(_U(node_below.shape[1])):
                if node_below[node, k] & ~state_loops[state, k]:
                    return False
    return True


# A walk asks whether the loops cover a subtree only at nodes with at least this many
# descendants: below that the answer saves less than asking costs.
_COVER_MIN_BELOW = 4


@numba.njit(cache=True, nogil=True)
def _walk_batch(
    table, walk, allowed_end, node_class, node_depth, node_end, node_token_offsets, node_tokens,
    node_below, state_loops, rows, seen_mark, found, n_found, mark,
):
    """One pass over the trie for the `_LANES` DFA states in walk[0] (DEAD in unused lanes).

    Fills, per lane, `rows[lane]` with the bits of the tokens whose bytes end in a state `d`
    with `allowed_end[d]`, and `found[lane, :n_found[lane]]` with those end states in the order
    the walk meets them (each once: `seen_mark[lane, d] == mark` once met; `mark` must differ
    from every earlier call's). Where every live lane's state loops on all the symbols below a
    node, the subtree's tokens (a contiguous slice of node_tokens) all end in those states and
    are taken at once, the nodes below unvisited.
    """
    rows[:] = 0
    n_found[:] = 0
    n_nodes = _U(node_class.shape[0])
    checks_loops = node_below.shape[1] > 0  # no words: no state loops, nothing to ask
    # The walk indexes with unsigned ints: numba then skips its negative-index checks,
    # which made this loop a third slower.
    node = _U(1)
    while node < n_nodes:
        depth = _U(node_depth[node])
        cls = _U(node_class[node])
        alive = False
        for lane in range(_U(_LANES)):
            nxt = table[_U(walk[depth - _U(1), lane]), cls]
            walk[depth, lane] = nxt
            alive |= nxt != DEAD
        if not alive:
            node = _U(node_end[node])
            continue
        first = _U(node_token_offsets[node])
        next_node = node + _U(1)
        end = _U(node_end[node])
        if checks_loops and end >= next_node + _U(_COVER_MIN_BELOW) and _loops_cover(
            walk, depth, _U(_LANES), node, node_below, state_loops
        ):
            next_node = end
        last = _U(node_token_offsets[next_node])
        if first < last:
            for lane in range(_U(_LANES)):
                nxt = _U(walk[depth, lane])
                if allowed_end[nxt]:
                    for k in range(first, last):
                        token = _U(node_tokens[k])
                        rows[lane, token >> _U(5)] |= np.int32(1) << np.int32(token & _U(31))
                    if seen_mark[lane, nxt] != mark:
                        seen_mark[lane, nxt] = mark
                        found[lane, n_found[lane]] = nxt
                        n_found[lane] += 1
        node = next_node


@numba.njit(cache=True, nogil=True)
def _walk_buffers(max_depth, n_dfa, n_words):
    """(walk, rows, seen_mark, found, n_found): the scratch arrays of `_walk_batch`, for a trie
    no deeper than `max_depth`."""
    walk = np.zeros((max_depth + 1, _LANES), np.int32)  # DFA state per depth and lane
    rows = np.zeros((_LANES, n_words), np.int32)
    seen_mark = np.full((_LANES, n_dfa), -1, np.int32)  # batch number that last found a DFA state
    found = np.zeros((_LANES, n_dfa), np.int32)  # per lane: successor DFA states in walk order
    n_found = np.zeros(_LANES, np.int64)
    return walk, rows, seen_mark, found, n_found


@numba.njit(cache=True, nogil=True)
def _add_eos(row, eos_ids):
    for k in range(eos_ids.shape[0]):
        token = eos_ids[k]
        row[token >> 5] |= np.int32(1) << np.int32(token & 31)


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

    walk, rows, seen_mark, found, n_found = _walk_buffers(max_depth, n_dfa, n_words)
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
        _walk_batch(
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
                _add_eos(row, eos_ids)
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
    walk, rows, seen_mark, found, n_found = _walk_buffers(max_depth, n_dfa, n_words)
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
        _walk_batch(
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
                _add_eos(row, eos_ids)
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


@numba.njit(cache=True, nogil=True)
def forced_chains(table, byte_classes, accepting, starts, max_bytes):
    """Per start state, the bytes met following each state's only live byte until a state
    with a choice, at most `max_bytes`: (offsets int64[n + 1], data uint8[total]).

    Args: table int32[n_dfa, n_classes] (a minimal DFA: every state but DEAD is live);
    byte_classes uint8[256]; accepting bool[n_dfa]; starts int32[n] the DFA states to start
    from; max_bytes: the cap (a chain that loops, in a DFA whose states never accept, stops
    there). A state has an only live byte when it does not accept and exactly one byte value
    leads to a live state (a class of one byte, every other class dead).
    """
    n_dfa, n_classes = table.shape
    class_size = np.zeros(n_classes, np.int64)
    byte_of_class = np.zeros(n_classes, np.int16)
    for byte in range(255, -1, -1):
        cls = byte_classes[byte]
        class_size[cls] += 1
        byte_of_class[cls] = byte
    only_byte = np.full(n_dfa, -1, np.int16)
    after = np.full(n_dfa, -1, np.int64)
    for state in range(n_dfa):
        if state == DEAD or accepting[state]:
            continue
        live_bytes = 0
        live_class = -1
        for cls in range(n_classes):
            if table[state, cls] != DEAD:
                live_bytes += class_size[cls]
                live_class = cls
        if live_bytes == 1:
            only_byte[state] = byte_of_class[live_class]
            after[state] = table[state, live_class]
    n = starts.shape[0]
    offsets = np.zeros(n + 1, np.int64)
    for i in range(n):
        state = starts[i]
        length = 0
        while length < max_bytes and only_byte[state] >= 0:
            state = after[state]
            length += 1
        offsets[i + 1] = offsets[i] + length
    data = np.empty(offsets[n], np.uint8)
    for i in range(n):
        state = starts[i]
        for at in range(offsets[i], offsets[i + 1]):
            data[at] = only_byte[state]
            state = after[state]
    return offsets, data


@intrinsic
def _copy_bytes(typingctx, target, target_at, source, source_at, count):
    """memcpy of `count` bytes from source[source_at:] to target[target_at:] (uint8 arrays)."""

    def codegen(context, builder, signature, args):
        target_value, target_at_value, source_value, source_at_value, count_value = args
        target_array = context.make_array(signature.args[0])(context, builder, target_value)
        source_array = context.make_array(signature.args[2])(context, builder, source_value)
        cgutils.raw_memcpy(
            builder,
            builder.gep(target_array.data, [target_at_value]),
            builder.gep(source_array.data, [source_at_value]),
            count_value,
            1,
        )
        return context.get_dummy_value()

    return types.void(target, types.int64, source, types.int64, types.int64), codegen


@numba.njit(cache=True, nogil=True)
def _low_bits(count):
    """uint64 with the low `count` bits set (0 <= count <= 32)."""
    return (np.uint64(1) << np.uint64(count)) - np.uint64(1)


@numba.njit(cache=True, nogil=True)
def gather_tokens(token_data, token_offsets, keep):
    """Bytes of the kept tokens only: (uint8[total_kept], int32[n_tokens + 1]); others empty.

    Args: token_data uint8[total]; token_offsets int64[n_tokens + 1]; keep int32[ceil(n_tokens
    / 32)] packed like a mask row (bit t % 32 of word t // 32 set = token t kept; bits past
    n_tokens are ignored).

    Word by word (32 tokens): first the new offsets (a word with no bit set repeats the
    offset, one with every bit set shifts the old ones, others add each kept token's length
    without branching), then the bytes, one copy per run of consecutive kept tokens within
    the word, found with trailing-zero counts. Runs are mostly a token or two, so a run of at
    most 16 bytes is copied as 16 (the next run overwrites the excess; the buffer has 16 bytes
    to spare) instead of a copy of variable length.
    """
    n_tokens = token_offsets.shape[0] - 1
    n_words = (n_tokens + 31) // 32
    new_offsets = np.empty(n_tokens + 1, np.int32)
    new_offsets[0] = 0
    total = np.int64(0)
    for w in range(n_words):
        base = w * 32
        count = min(32, n_tokens - base)
        word = np.uint64(np.uint32(keep[w])) & _low_bits(count)
        if word == 0:
            fill = np.int32(total)
            for k in range(count):
                new_offsets[base + k + 1] = fill
        elif word == np.uint64(0xFFFFFFFF):
            shift = total - token_offsets[base]
            for k in range(32):
                new_offsets[base + k + 1] = token_offsets[base + k + 1] + shift
            total = token_offsets[base + 32] + shift
        else:
            for k in range(count):
                t = base + k
                kept = np.int64((word >> np.uint64(k)) & np.uint64(1))
                total += (token_offsets[t + 1] - token_offsets[t]) * kept
                new_offsets[t + 1] = total
    spare = 16
    data = np.empty(total + spare, np.uint8)
    readable = token_data.shape[0]
    for w in range(n_words):
        base = w * 32
        word = np.uint64(np.uint32(keep[w])) & _low_bits(min(32, n_tokens - base))
        while word != 0:
            first = np.int64(trailing_zeros(word))
            end = first + np.int64(trailing_zeros(~(word >> np.uint64(first))))
            word &= ~_low_bits(end)
            source = token_offsets[base + first]
            size = token_offsets[base + end] - source
            target = np.int64(new_offsets[base + first])
            if size <= spare and source + spare <= readable:
                _copy_bytes(data, target, token_data, source, spare)
            else:
                _copy_bytes(data, target, token_data, source, size)
    return data[:total], new_offsets


@numba.njit(cache=True, nogil=True)
def row_ids(masks, keep, counts):
    """The ids set in the rows with `keep[r]`, as lists: (offsets int32[k + 1], ids int32[total]),
    kept rows in order, ids ascending within a row.

    Args:
        masks: int32[n_rows, W], bit j % 32 of word j // 32 set = id j.
        keep: bool[n_rows]; counts: int64[n_rows], the bits set in each row.
    """
    n_rows, n_words = masks.shape
    n_kept = 0
    total = 0
    for r in range(n_rows):
        if keep[r]:
            n_kept += 1
            total += counts[r]
    offsets = np.zeros(n_kept + 1, np.int32)
    ids = np.zeros(total, np.int32)
    k = 0
    n = 0
    for r in range(n_rows):
        if not keep[r]:
            continue
        for w in range(n_words):
            word = np.uint32(masks[r, w])
            if word == 0:
                continue
            for bit in range(32):
                if (word >> np.uint32(bit)) & np.uint32(1):
                    ids[n] = w * 32 + bit
                    n += 1
        k += 1
        offsets[k] = n
    return offsets, ids


@numba.njit(cache=True, nogil=True)
def _popcount32(word):
    """Set bits of a 32-bit word (given as any integer), by the SWAR sums."""
    x = np.uint64(np.uint32(word))
    x = x - ((x >> np.uint64(1)) & np.uint64(0x55555555))
    x = (x & np.uint64(0x33333333)) + ((x >> np.uint64(2)) & np.uint64(0x33333333))
    x = (x + (x >> np.uint64(4))) & np.uint64(0x0F0F0F0F)
    return np.int64(((x * np.uint64(0x01010101)) >> np.uint64(24)) & np.uint64(0xFF))


@numba.njit(cache=True, nogil=True)
def finish_rows(masks, mask_of, accepting, limit):
    """A build's distinct rows as the index stores them: (masks int32[n_dense, W], mask_of
    int32[n_states], sparse_offsets int32[n_sparse + 1], sparse_tokens int32[total],
    sole_token int32[n_states]).

    Args: masks int32[n_rows, W] distinct packed rows; mask_of int32[n_states] each state's
    row; accepting bool[n_states]; limit: rows allowing at most this many ids become id lists
    (`automaton.mask_rows`: mask_of -1 - k for list k), the others stay packed; both keep
    their order. sole_token: the only id a state allows, -1 where there are none or several
    and in accepting states (EOS is a choice there too).
    """
    n_rows, n_words = masks.shape
    counts = np.zeros(n_rows, np.int64)
    for r in range(n_rows):
        for w in range(n_words):
            counts[r] += _popcount32(masks[r, w])
    sparse = np.empty(n_rows, np.bool_)
    new_row = np.empty(n_rows, np.int32)
    n_dense = 0
    n_sparse = 0
    for r in range(n_rows):
        sparse[r] = counts[r] <= limit
        if sparse[r]:
            new_row[r] = -1 - n_sparse
            n_sparse += 1
        else:
            new_row[r] = n_dense
            n_dense += 1
    dense = np.empty((n_dense, n_words), np.int32)
    row_sole = np.full(n_rows, -1, np.int32)
    for r in range(n_rows):
        if not sparse[r]:
            dense[new_row[r]] = masks[r]
        if counts[r] == 1:
            for w in range(n_words):
                word = np.uint32(masks[r, w])
                if word != 0:
                    row_sole[r] = w * 32 + np.int32(trailing_zeros(word))
                    break
    offsets, ids = row_ids(masks, sparse, counts)
    n_states = mask_of.shape[0]
    new_mask_of = np.empty(n_states, np.int32)
    sole = np.empty(n_states, np.int32)
    for state in range(n_states):
        row = mask_of[state]
        new_mask_of[state] = new_row[row]
        sole[state] = -1 if accepting[state] else row_sole[row]
    return dense, new_mask_of, offsets, ids, sole


@numba.njit(cache=True, nogil=True)
def _put_u32(target, at, value):
    """Write `value` as 4 little-endian bytes at target[at:at + 4] (uint8 array)."""
    for k in range(4):
        target[at + _U(k)] = np.uint8((value >> _U(8 * k)) & _U(0xFF))


@numba.njit(cache=True, nogil=True)
def token_records(token_data, token_offsets, byte_classes, eos_ids):
    """Each token's byte classes in a record of RECORD_BYTES: (records uint8[n_tokens,
    RECORD_BYTES], long_classes uint8[total_long]).

    Args: token_data uint8[total]; token_offsets int32[n_tokens + 1] (token t's bytes are
    token_data[token_offsets[t]:token_offsets[t + 1]]); byte_classes uint8[256]; eos_ids int32[k]
    (ids past n_tokens are ignored).

    Record t: byte 0 the token's length L, bytes 1..L the classes of its bytes, the rest 0.
    L = 0 for EOS ids and empty tokens. A token of RECORD_BYTES bytes or more has L =
    LONG_TOKEN and its classes in long_classes: bytes 1..4 of its record give where they
    start, bytes 5..8 how many there are (uint32, little-endian).

    Every short record is written in full, RECORD_BYTES - 1 classes read from a padded copy
    and multiplied by 0 past the token's end: a loop as long as each token mispredicts its
    exit about once per token, which took twice as long.
    """
    n_tokens = token_offsets.shape[0] - 1
    total = token_data.shape[0]
    classes = np.zeros(total + RECORD_BYTES, np.uint8)
    for i in range(total):
        classes[i] = byte_classes[token_data[i]]
    is_eos = np.zeros(n_tokens, np.bool_)
    for eos in eos_ids:
        if 0 <= eos < n_tokens:
            is_eos[eos] = True
    total_long = 0
    for t in range(n_tokens):
        length = token_offsets[t + 1] - token_offsets[t]
        if length >= RECORD_BYTES and not is_eos[t]:
            total_long += length
    long_classes = np.empty(total_long, np.uint8)
    cursor = _U(0)
    records = np.empty(n_tokens * RECORD_BYTES, np.uint8)
    for t in range(n_tokens):
        start = _U(token_offsets[t])
        length = _U(token_offsets[t + 1]) - start
        listed = np.uint8(not is_eos[t])
        short = length < RECORD_BYTES
        kept = np.uint8(length) * np.uint8(short) * listed
        at = _U(t) * _U(RECORD_BYTES)
        records[at] = (kept | (np.uint8(LONG_TOKEN) * np.uint8(not short))) * listed
        for k in range(RECORD_BYTES - 1):
            records[at + _U(1 + k)] = classes[start + _U(k)] * np.uint8(_U(k) < kept)
        if not short and listed:
            for k in range(length):
                long_classes[cursor + k] = classes[start + k]
            _put_u32(records, at + _U(1), cursor)
            _put_u32(records, at + _U(5), length)
            cursor += length
    return records.reshape(n_tokens, RECORD_BYTES), long_classes


@numba.njit(cache=True, nogil=True)
def _outside(values, low, high):
    """Whether a value lies outside [low, high) (no early exit: the loop vectorises)."""
    outside = False
    for k in range(values.shape[0]):
        outside |= (values[k] < low) | (values[k] >= high)
    return outside


@numba.njit(cache=True, nogil=True)
def _not_offsets(offsets, total):
    """Whether `offsets` fail to be CSR offsets into `total` items: from 0 to total, never down."""
    n = offsets.shape[0]
    if n == 0 or offsets[0] != 0 or offsets[n - 1] != total:
        return True
    down = False
    for k in range(1, n):
        down |= offsets[k] < offsets[k - 1]
    return down


@numba.njit(cache=True, nogil=True)
def index_problems(
    mask_of, n_dense, sparse_offsets, sparse_tokens, dfa_table, byte_classes, state_of_dfa, dfa_state_of,
    token_offsets, n_token_bytes, forced_offsets, n_forced_bytes, sole_token, eos_ids, logits_width,
):
    """The value checks of a `TokenIndex`'s arrays, in one pass over each: an int64 whose bit k
    is set when the k-th check below fails (0: none does).

    The arrays are those of `automaton.index.TokenIndex`, their shapes already checked (only
    their values are read here, each array within its own bounds); n_dense is masks.shape[0],
    n_token_bytes token_data.shape[0], n_forced_bytes forced_data.shape[0].

    The checks, bit 0 first: sparse_offsets are CSR offsets into sparse_tokens (when they are
    not, bits 1 and 2 are not checked); sparse_tokens in [0, logits_width); sparse_tokens
    strictly increasing within a row; mask_of in [-n_sparse, n_dense); dfa_table in [0, n_dfa);
    byte_classes in [0, n_classes); state_of_dfa in [-1, n_states); dfa_state_of in [0, n_dfa);
    token_offsets are CSR offsets into n_token_bytes; forced_offsets into n_forced_bytes;
    sole_token in [-1, logits_width); eos_ids in [0, logits_width).
    """
    n_states = mask_of.shape[0]
    n_dfa, n_classes = dfa_table.shape
    n_sparse = max(sparse_offsets.shape[0] - 1, 0)
    problems = 0
    if _not_offsets(sparse_offsets, sparse_tokens.shape[0]):
        problems |= 1 << 0
    else:
        if _outside(sparse_tokens, 0, logits_width):
            problems |= 1 << 1
        unordered = False
        for row in range(n_sparse):
            for k in range(sparse_offsets[row] + 1, sparse_offsets[row + 1]):
                unordered |= sparse_tokens[k] <= sparse_tokens[k - 1]
        if unordered:
            problems |= 1 << 2
    outside = (
        _outside(mask_of, -n_sparse, n_dense),
        _outside(dfa_table.reshape(-1), 0, n_dfa),
        _outside(byte_classes, 0, n_classes),
        _outside(state_of_dfa, -1, n_states),
        _outside(dfa_state_of, 0, n_dfa),
        _not_offsets(token_offsets, n_token_bytes),
        _not_offsets(forced_offsets, n_forced_bytes),
        _outside(sole_token, -1, logits_width),
        _outside(eos_ids, 0, logits_width),
    )
    for k in range(len(outside)):
        if outside[k]:
            problems |= 1 << (3 + k)
    return np.int64(problems)
