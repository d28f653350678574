"""The token trie an index build walks, and the DFA's moves on its symbols.

    class_trie(vocabulary, dfa, merge=None) -> (table, trie arrays)
    should_merge_classes(trie, dfa) -> whether merging the byte trie by the DFA's byte
        classes is expected to pay for itself

The trie arrays are described in `automaton.kernels.trie`.
"""
from __future__ import annotations

import numpy as np

from automaton import kernels
from automaton.dfa.byte_dfa import DEAD_STATE, ByteDFA
from automaton.vocabulary.byte_trie import ByteTrie, byte_trie

__all__ = ["class_trie", "should_merge_classes"]

# `class_trie` walks the byte trie as is, without merging it by classes, when fewer than this
# share of its nodes are entered on a byte whose class holds other bytes (so merging can
# shrink it by about that share at most) ...
_MERGE_SHARE_BELOW = 0.5
# ... and the walk from the index's states is expected to visit fewer than this many trie
# sizes of mergeable nodes (what merging would save), and ...
_MERGEABLE_VISITS_BELOW = 10.0
# ... at least this share of the trie's nodes lie on live bytes (merging also drops the dead
# subtrees once, which is cheap when few nodes are live).
_LIVE_SHARE_ABOVE = 0.5


def should_merge_classes(trie: ByteTrie, dfa: ByteDFA) -> bool:
    """Whether merging `trie` by `dfa`'s byte classes is expected to pay for itself.

    Merging costs a pass over the trie's live nodes and a new layout; it saves, in every walk
    from an index state, the nodes it merges. When few bytes share a class (patterns made of
    literal text) the merged trie is nearly as big as the byte trie, and the saving only
    outweighs the cost when many states walk most of the trie.
    """
    classes = np.asarray(dfa.byte_classes)
    n_classes = dfa.table.shape[1]
    goes_somewhere = dfa.table != DEAD_STATE  # bool[n_dfa, n_classes]
    live_class = goes_somewhere.any(axis=0)
    class_size = np.bincount(classes, minlength=n_classes)
    live_byte = live_class[classes]
    total = trie.byte_nodes.sum()
    live_nodes = trie.byte_nodes[live_byte].sum()
    if total == 0 or live_nodes < _LIVE_SHARE_ABOVE * total:
        return True
    mergeable = trie.byte_nodes[live_byte & (class_size[classes] >= 2)].sum() / live_nodes
    if mergeable >= _MERGE_SHARE_BELOW:
        return True
    # Trie sizes the walks visit, from the nodes under each first byte a state lets through.
    first_nodes_of_class = np.bincount(classes, weights=trie.first_byte_nodes, minlength=n_classes)
    visits = (goes_somewhere @ first_nodes_of_class).sum() / total
    return visits * mergeable >= _MERGEABLE_VISITS_BELOW


def class_trie(vocabulary, dfa: ByteDFA, *, merge: bool | None = None) -> tuple[np.ndarray, tuple]:
    """(table, trie): the vocabulary's token trie as the walk kernels take it (the five trie
    arrays, node_below and state_loops, see `automaton.kernels.trie`), and the DFA's moves on its symbols.

    merge: True to merge byte-trie nodes whose paths spell the same classes (classes dead in
        every state prune their whole subtrees): the symbols are the DFA's classes and `table`
        is `dfa.table`; False to walk the vocabulary's byte trie as it is: the symbols are
        bytes and `table` has a column per byte (`dfa.table[:, dfa.byte_classes]`); None to
        choose by `should_merge_classes`.
    Both give the same index. The byte trie's node_below is kept with the vocabulary's trie;
    when no DFA state loops, node_below and state_loops have no words and the walks skip the
    question.
    """
    trie = byte_trie(vocabulary)
    classes = np.ascontiguousarray(dfa.byte_classes, dtype=np.uint8)
    if merge is None:
        merge = should_merge_classes(trie, dfa)
    class_loops = dfa.table == np.arange(dfa.num_states, dtype=dfa.table.dtype)[:, None]
    class_loops[DEAD_STATE] = False
    loops = class_loops.any()
    if not merge:
        # A column per byte costs 256 entries per DFA state; relabelling every node of the
        # byte trie with its class would cost a pass over the whole trie.
        table = np.ascontiguousarray(dfa.table[:, classes])
        if not loops:
            return table, (*trie.arrays, *_no_loops(trie.num_nodes, dfa.num_states))
        return table, (*trie.arrays, trie.bytes_below, _packed_sets(class_loops[:, classes]))
    dead_class = ~(dfa.table != DEAD_STATE).any(axis=0)
    arrays = kernels.layout_trie(*kernels.quotient_trie(
        *trie.arrays, vocabulary.num_tokens, classes, dead_class, trie.max_depth,
    ))
    table = np.ascontiguousarray(dfa.table)
    if not loops:
        return table, (*arrays, *_no_loops(arrays[0].shape[0], dfa.num_states))
    n_words = -(-dfa.table.shape[1] // 64)
    below = kernels.subtree_symbols(arrays[0], arrays[1], trie.max_depth, n_words)
    return table, (*arrays, below, _packed_sets(class_loops))


def _packed_sets(members: np.ndarray) -> np.ndarray:
    """bool[n, k] -> uint64[n, ceil(k / 64)]: bit j % 64 of word j // 64 set where members[:, j]."""
    n, k = members.shape
    padded = np.zeros((n, -(-k // 64) * 64), dtype=np.bool_)
    padded[:, :k] = members
    return np.packbits(padded, axis=1, bitorder="little").view("<u8").astype(np.uint64, copy=False)


def _no_loops(n_nodes: int, n_dfa: int) -> tuple[np.ndarray, np.ndarray]:
    """node_below and state_loops with no words: the walks then never ask about loops."""
    return np.zeros((n_nodes, 0), dtype=np.uint64), np.zeros((n_dfa, 0), dtype=np.uint64)

