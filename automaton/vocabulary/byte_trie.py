"""A vocabulary's byte trie: its tokens' bytes in one trie in depth-first layout, built once
per vocabulary fingerprint and kept (the last four) for every index built over it.

    byte_trie(vocabulary) -> ByteTrie

The layout of the trie arrays is described in `automaton.kernels.trie`.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from automaton import kernels

__all__ = ["ByteTrie", "byte_trie"]


@dataclass(frozen=True)
class ByteTrie:
    """A vocabulary's byte trie in depth-first layout (`automaton.kernels.trie.sorted_byte_trie`), with the
    byte statistics `class_trie` uses to choose between merging it by classes and walking it as
    is.

    byte_nodes: float64[256] nodes entered on each byte (root excluded).
    first_byte_nodes: float64[256] nodes in the subtree under each first byte (its root child).
    bytes_below: uint64[n_nodes, 4] the bytes on the edges below each node (`subtree_symbols`).
    """

    arrays: tuple
    byte_nodes: np.ndarray
    first_byte_nodes: np.ndarray
    max_depth: int  # the longest token's length in bytes
    bytes_below: np.ndarray

    @property
    def num_nodes(self) -> int:
        return int(self.arrays[0].shape[0])


_BYTE_TRIES: dict[str, ByteTrie] = {}

def byte_trie(vocabulary) -> ByteTrie:
    """The byte trie of a vocabulary's tokens in depth-first layout, built once per fingerprint."""
    trie = _BYTE_TRIES.get(vocabulary.fingerprint)
    if trie is None:
        token_data = np.ascontiguousarray(vocabulary.token_data, dtype=np.uint8)
        token_offsets = np.ascontiguousarray(vocabulary.token_offsets, dtype=np.int64)
        ids, keys = kernels.token_sort_keys(token_data, token_offsets)  # empty tokens are left out
        order = np.argsort(keys)  # numpy's sort: several times faster than a compiled loop's
        arrays = kernels.sorted_byte_trie(token_data, token_offsets, ids[order], keys[order])
        node_byte, node_depth, node_end = arrays[:3]
        first = np.flatnonzero(node_depth == 1)
        first_byte_nodes = np.zeros(256)
        first_byte_nodes[node_byte[first]] = node_end[first] - first
        max_depth = int(node_depth.max())
        trie = ByteTrie(
            arrays, np.bincount(node_byte[1:], minlength=256).astype(np.float64), first_byte_nodes,
            max_depth, kernels.subtree_symbols(node_byte, node_depth, max_depth, 4),
        )
        if len(_BYTE_TRIES) >= 4:
            _BYTE_TRIES.pop(next(iter(_BYTE_TRIES)))
        _BYTE_TRIES[vocabulary.fingerprint] = trie
    return trie

