"""The trie walk the index build repeats from every state: one pass over the token trie for
`LANES` DFA states side by side (numba; flat arrays in and out).

    walk_batch(...)     marks, per lane, the tokens whose bytes lead to an allowed end state
                         (rows int32[LANES, W]) and the DFA states they end in
    walk_buffers(max_depth, n_dfa, n_words) -> the scratch arrays of a walk
    add_eos(row, eos_ids) sets the EOS bits of a packed row

The trie layout is described in `automaton.kernels.trie`; `automaton.kernels.explore` drives
the walks.
"""
from __future__ import annotations

import numba
import numpy as np

from automaton.kernels.layout import DEAD
from automaton.kernels.layout import LANES as _LANES

_U = np.uintp  # unsigned index type (see automaton.kernels.explore)


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
def walk_batch(
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
def walk_buffers(max_depth, n_dfa, n_words):
    """(walk, rows, seen_mark, found, n_found): the scratch arrays of `walk_batch`, for a trie
    no deeper than `max_depth`."""
    walk = np.zeros((max_depth + 1, _LANES), np.int32)  # DFA state per depth and lane
    rows = np.zeros((_LANES, n_words), np.int32)
    seen_mark = np.full((_LANES, n_dfa), -1, np.int32)  # batch number that last found a DFA state
    found = np.zeros((_LANES, n_dfa), np.int32)  # per lane: successor DFA states in walk order
    n_found = np.zeros(_LANES, np.int64)
    return walk, rows, seen_mark, found, n_found


@numba.njit(cache=True, nogil=True)
def add_eos(row, eos_ids):
    for k in range(eos_ids.shape[0]):
        token = eos_ids[k]
        row[token >> 5] |= np.int32(1) << np.int32(token & 31)

