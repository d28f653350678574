"""Numba kernels of the token tries: flat NumPy arrays in, flat NumPy arrays out.

    token_sort_keys(token_data, token_offsets) -> (ids int32[n], keys uint64[n]): the sort key of
        each non-empty token (its first 7 bytes and length)
    sorted_byte_trie(token_data, token_offsets, ids, keys) -> the vocabulary's byte trie, from
        the tokens in key order
    quotient_trie(...), layout_trie(...) -> the byte trie merged by a pattern's byte classes
    subtree_symbols(node_symbol, node_depth, max_depth, n_words) -> uint64[n_nodes, n_words]

No numba typed containers (they cannot be cached to disk and are slow to box). The tests
check the kernels against plain-Python statements of what they compute.

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

The walks (`automaton.kernels.walk`) also take, in the same symbol space:

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
from numba.cpython.unsafe.numbers import leading_zeros

from automaton.kernels.subsets import sort_in_place

__all__ = ["token_sort_keys", "sorted_byte_trie", "layout_trie", "quotient_trie", "subtree_symbols"]

_U = np.uintp  # unsigned index type (see automaton.kernels.explore)

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
