"""Numba kernels of the index build: flat NumPy arrays in, flat NumPy arrays out.

No numba typed containers (they cannot be cached to disk and are slow to box). Every kernel
has a pure-Python twin in `automaton/_reference.py`, and the tests compare them.

A vocabulary's byte trie (`insert_tokens`, built once per vocabulary) is quotiented by a
pattern's byte classes (`quotient_trie`): tokens whose bytes fall in the same classes, position
by position, behave alike in every state, so they share one path. For `[a-zA-Z ]{10,200}`
cl100k's 100k tokens collapse to a few hundred nodes. The class trie, in depth-first order:

    node_class  uint8[n_nodes]    byte class on the edge into the node (node 0 is the root)
    node_depth  int32[n_nodes]    edges from the root (root 0)
    node_end    int32[n_nodes]    one past the node's last descendant, so a subtree is
                                  node .. node_end[node]-1 and can be skipped in one jump
    node_token_offsets int32[n_nodes + 1], node_tokens int32[n_ending]
                                  ids of the tokens whose bytes end at each node (CSR)
"""
from __future__ import annotations

import numba
import numpy as np

__all__ = ["insert_tokens", "layout_trie", "quotient_trie", "explore_states", "gather_tokens", "DEAD"]

DEAD = 0  # the ByteDFA dead state

_HASH_EMPTY = -1


@numba.njit(cache=True, nogil=True)
def _hash_capacity(n_keys):
    capacity = 16
    while capacity < 2 * n_keys:
        capacity *= 2
    return capacity


@numba.njit(cache=True, nogil=True)
def _slot_of(key, mask):
    # Fibonacci hashing: the high bits of key * 2^64/phi spread consecutive keys apart.
    mixed = np.uint64(key) * np.uint64(0x9E3779B97F4A7C15)
    return np.int64((mixed >> np.uint64(32)) & np.uint64(mask))


@numba.njit(cache=True, nogil=True)
def _find_or_add_child(keys, values, parent, symbol, n_symbols, n_nodes):
    """Child of `parent` on `symbol` in an open-addressing table; adds node `n_nodes` if absent.

    Returns (child, added).
    """
    key = np.int64(parent) * n_symbols + symbol
    mask = keys.shape[0] - 1
    slot = _slot_of(key, mask)
    while keys[slot] != -1:
        if keys[slot] == key:
            return values[slot], False
        slot = (slot + 1) & mask
    keys[slot] = key
    values[slot] = n_nodes
    return n_nodes, True


@numba.njit(cache=True, nogil=True)
def insert_tokens(token_data, token_offsets):
    """The byte trie of all tokens, nodes in creation order (a parent before its children).

    Args:
        token_data: uint8[total]; token_offsets: int64[n_tokens + 1] (empty tokens are skipped).

    Returns:
        (parent int32[n_nodes] (-1 at the root), symbol uint8[n_nodes], token_node int32[n_tokens])
        where token_node is the node a token's bytes end at (0 for empty tokens).
    """
    n_tokens = token_offsets.shape[0] - 1
    total = token_offsets[n_tokens] - token_offsets[0]
    keys = np.full(_hash_capacity(total + 1), -1, np.int64)
    values = np.zeros(keys.shape[0], np.int32)
    parent = np.full(total + 1, -1, np.int32)
    symbol = np.zeros(total + 1, np.uint8)
    token_node = np.zeros(n_tokens, np.int32)
    n_nodes = 1
    for t in range(n_tokens):
        node = 0
        for k in range(token_offsets[t], token_offsets[t + 1]):
            child, added = _find_or_add_child(keys, values, node, token_data[k], 256, n_nodes)
            if added:
                parent[child] = node
                symbol[child] = token_data[k]
                n_nodes += 1
            node = child
        token_node[t] = node
    return parent[:n_nodes].copy(), symbol[:n_nodes].copy(), token_node


@numba.njit(cache=True, nogil=True)
def layout_trie(parent, symbol, token_node):
    """Depth-first layout of a trie given in creation order (a parent before its children).

    Args:
        parent int32[n] (-1 at the root), symbol uint8[n], token_node int32[n_tokens] (0 = none).

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

    n_tokens = token_node.shape[0]
    counts = np.zeros(n_new + 1, np.int32)
    n_listed = 0
    for t in range(n_tokens):
        if token_node[t] != 0:
            counts[order[token_node[t]] + 1] += 1
            n_listed += 1
    node_token_offsets = np.cumsum(counts).astype(np.int32)
    fill = node_token_offsets[:n_new].copy()
    node_tokens = np.zeros(n_listed, np.int32)
    for t in range(n_tokens):
        if token_node[t] != 0:
            at = order[token_node[t]]
            node_tokens[fill[at]] = t
            fill[at] += 1
    return node_class, node_depth, node_end, node_token_offsets, node_tokens


@numba.njit(cache=True, nogil=True)
def quotient_trie(node_byte, node_depth, node_end, node_token_offsets, node_tokens, n_tokens, class_of, dead_class):
    """Merge byte-trie nodes whose paths spell the same byte-class string.

    Subtrees entered on a class that is dead in every DFA state (`dead_class`) are dropped:
    no state can allow their tokens.

    Args:
        node_*: the vocabulary's byte trie in depth-first layout (`layout_trie`).
        n_tokens: number of token ids; class_of: uint8[256] byte -> class;
        dead_class: bool[n_classes].

    Returns:
        (parent, symbol, token_node) of the class trie in creation order, for `layout_trie`.
    """
    n_old = node_byte.shape[0]
    keys = np.full(_hash_capacity(n_old), -1, np.int64)
    values = np.zeros(keys.shape[0], np.int32)
    parent = np.full(n_old, -1, np.int32)
    symbol = np.zeros(n_old, np.uint8)
    token_node = np.zeros(n_tokens, np.int32)
    max_depth = 0
    for node in range(n_old):
        if node_depth[node] > max_depth:
            max_depth = node_depth[node]
    path = np.zeros(max_depth + 1, np.int32)  # class node at each depth of the current branch
    n_new = 1
    node = 1
    while node < n_old:
        cls = class_of[node_byte[node]]
        if dead_class[cls]:
            node = node_end[node]
            continue
        depth = node_depth[node]
        up = path[depth - 1]
        child, added = _find_or_add_child(keys, values, up, cls, 256, n_new)
        if added:
            parent[child] = up
            symbol[child] = cls
            n_new += 1
        path[depth] = child
        for k in range(node_token_offsets[node], node_token_offsets[node + 1]):
            token_node[node_tokens[k]] = child
        node += 1
    return parent[:n_new].copy(), symbol[:n_new].copy(), token_node


@numba.njit(cache=True, nogil=True)
def _row_hash(row):
    h = np.uint64(1469598103934665603)
    for w in range(row.shape[0]):
        h = (h ^ np.uint64(np.uint32(row[w]))) * np.uint64(1099511628211)
    return h


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
    eos_ids,
    n_words,
    max_states,
):
    """Breadth-first over the DFA states reachable at token boundaries, with their mask rows.

    From each reached DFA state the trie is walked, a subtree skipped at its first dead byte.
    A token is allowed when its bytes end in a DFA state `d` with `allowed_end[d]`; EOS ids
    are allowed in states with `accepting[d]`.

    Args:
        table: int32[n_dfa, n_classes]; initial: DFA start state.
        allowed_end: bool[n_dfa] states a token may end in (live ones).
        accepting: bool[n_dfa].
        node_*: the token trie over the DFA's byte classes (module docstring).
        eos_ids: int32[k]; n_words: words per mask row (ceil(logits_width / 32)).
        max_states: stop once more states than this are reached.

    Returns:
        (n_states, dfa_state_of int32[n_states], masks int32[n_rows, n_words],
         mask_of int32[n_states], succ_offsets int64[n_states + 1], succ int32[n_edges])
        where succ lists, per state, the distinct successor states (index ids).
        n_states is -1 when `max_states` was exceeded (the other arrays are then empty).
    """
    n_dfa = table.shape[0]
    state_of_dfa = np.full(n_dfa, -1, np.int32)
    dfa_state_of = np.zeros(n_dfa, np.int32)  # queue, index id -> DFA state
    n_states = 1
    state_of_dfa[initial] = 0
    dfa_state_of[0] = initial
    mask_of = np.zeros(n_dfa, np.int32)

    row_capacity = 16
    masks = np.zeros((row_capacity, n_words), np.int32)
    n_rows = 0
    hash_capacity = 64
    hash_slots = np.full(hash_capacity, _HASH_EMPTY, np.int64)

    succ_capacity = 1024
    succ = np.zeros(succ_capacity, np.int32)
    succ_offsets = np.zeros(n_dfa + 1, np.int64)
    n_succ = 0
    seen_mark = np.full(n_dfa, -1, np.int32)  # last state whose successor list holds a DFA state

    row = np.zeros(n_words, np.int32)
    max_depth = 0
    for node in range(node_depth.shape[0]):
        if node_depth[node] > max_depth:
            max_depth = node_depth[node]
    walk = np.zeros(max_depth + 1, np.int32)
    n_nodes = node_class.shape[0]

    head = 0
    while head < n_states:
        d0 = dfa_state_of[head]
        row[:] = 0
        walk[0] = d0
        node = 1
        while node < n_nodes:
            depth = node_depth[node]
            nxt = table[walk[depth - 1], node_class[node]]
            if nxt == DEAD:
                node = node_end[node]
                continue
            walk[depth] = nxt
            if allowed_end[nxt]:
                first = node_token_offsets[node]
                last = node_token_offsets[node + 1]
                if first < last:
                    for k in range(first, last):
                        token = node_tokens[k]
                        row[token >> 5] |= np.int32(1) << np.int32(token & 31)
                    if seen_mark[nxt] != head:
                        seen_mark[nxt] = head
                        target = state_of_dfa[nxt]
                        if target < 0:
                            if n_states >= max_states:
                                return (
                                    -1,
                                    np.zeros(0, np.int32),
                                    np.zeros((0, n_words), np.int32),
                                    np.zeros(0, np.int32),
                                    np.zeros(1, np.int64),
                                    np.zeros(0, np.int32),
                                )
                            target = n_states
                            state_of_dfa[nxt] = target
                            dfa_state_of[target] = nxt
                            n_states += 1
                        if n_succ == succ_capacity:
                            succ_capacity *= 2
                            grown = np.zeros(succ_capacity, np.int32)
                            grown[:n_succ] = succ[:n_succ]
                            succ = grown
                        succ[n_succ] = target
                        n_succ += 1
            node += 1
        if accepting[d0]:
            for k in range(eos_ids.shape[0]):
                token = eos_ids[k]
                row[token >> 5] |= np.int32(1) << np.int32(token & 31)
        succ_offsets[head + 1] = n_succ

        # Store the row once: open addressing on a hash of its words.
        h = _row_hash(row)
        slot = np.int64(h & np.uint64(hash_capacity - 1))
        found = -1
        while hash_slots[slot] != _HASH_EMPTY:
            candidate = hash_slots[slot]
            same = True
            for w in range(n_words):
                if masks[candidate, w] != row[w]:
                    same = False
                    break
            if same:
                found = candidate
                break
            slot = (slot + 1) & (hash_capacity - 1)
        if found < 0:
            if n_rows == row_capacity:
                row_capacity *= 2
                grown_masks = np.zeros((row_capacity, n_words), np.int32)
                grown_masks[:n_rows] = masks[:n_rows]
                masks = grown_masks
            masks[n_rows] = row
            found = n_rows
            n_rows += 1
            hash_slots[slot] = found
            if 2 * n_rows > hash_capacity:
                hash_capacity *= 2
                hash_slots = np.full(hash_capacity, _HASH_EMPTY, np.int64)
                for r in range(n_rows):
                    s = np.int64(_row_hash(masks[r]) & np.uint64(hash_capacity - 1))
                    while hash_slots[s] != _HASH_EMPTY:
                        s = (s + 1) & (hash_capacity - 1)
                    hash_slots[s] = r
        mask_of[head] = found
        head += 1

    return (
        n_states,
        dfa_state_of[:n_states].copy(),
        masks[:n_rows].copy(),
        mask_of[:n_states].copy(),
        succ_offsets[: n_states + 1].copy(),
        succ[:n_succ].copy(),
    )


@numba.njit(cache=True, nogil=True)
def gather_tokens(token_data, token_offsets, keep):
    """Bytes of the kept tokens only: (uint8[total_kept], int32[n_tokens + 1]); others empty.

    Args: token_data uint8[total]; token_offsets int64[n_tokens + 1]; keep bool[n_tokens].
    """
    n_tokens = keep.shape[0]
    new_offsets = np.zeros(n_tokens + 1, np.int32)
    for t in range(n_tokens):
        length = token_offsets[t + 1] - token_offsets[t] if keep[t] else 0
        new_offsets[t + 1] = new_offsets[t] + length
    data = np.empty(new_offsets[n_tokens], np.uint8)
    for t in range(n_tokens):
        if keep[t]:
            start = token_offsets[t]
            data[new_offsets[t] : new_offsets[t + 1]] = token_data[start : token_offsets[t + 1]]
    return data, new_offsets
