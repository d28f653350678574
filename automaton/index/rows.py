"""Mask rows stored two ways: packed bit rows, or sorted token-id lists for rows that allow few tokens.

A packed row costs W int32 words whatever it allows (W = ceil(V / 32)); a row that allows k
tokens costs k int32 ids as a list. The rule (`sparse_limit`): a row is stored sparse when
k <= W // 8, so its list costs at most 1/8 of the packed row. Pattern indexes have many such
rows (inside JSON keys, digits, closing punctuation), which take a large share of an index's
size when they are packed.

Arrays (n_states index states, n_dense packed rows, n_sparse id lists):

    masks           int32[n_dense, W]        packed rows (bit j % 32 of word j // 32 = token j)
    mask_of         int32[n_states]          r >= 0: packed row r; r < 0: sparse row -1 - r
    sparse_offsets  int32[n_sparse + 1]      CSR offsets of each sparse row into sparse_tokens
    sparse_tokens   int32[total]             each sparse row's allowed ids, sorted ascending

A build's packed rows become the four arrays above in `automaton.kernels.rows.finish_rows`.

Functions:

    packed_rows(masks, mask_of, sparse_offsets, sparse_tokens)
                                        -> (int32[n_dense + n_sparse, W], row_of_state int32[n_states]):
                                        every row packed, sparse row k at n_dense + k
    PackedRowCache(sparse_offsets, sparse_tokens, n_words).row(k)
                                        -> id list k packed, int32[W], packed once and kept
    concatenated_ranges(starts, lengths)
                                        arange(start, start + length) of each pair, concatenated
"""
from __future__ import annotations

import threading

import numpy as np

__all__ = ["sparse_limit", "packed_rows", "PackedRowCache", "concatenated_ranges"]


def sparse_limit(n_words: int) -> int:
    """Most allowed ids a row may have to be stored as an id list (W // 8)."""
    return n_words // 8


def _bits(ids: np.ndarray) -> np.ndarray:
    return np.left_shift(np.uint32(1), (ids & 31).astype(np.uint32))


# In a pool packed row by row, lists of up to this many ids are packed when first asked for,
# a bit at a time in Python (a few µs); longer ones, which that would make slow, are all
# packed up front with numpy.
_FEW_IDS = 32


# A pool of at most this many bytes is packed whole when made: a decoding step then never
# stops to pack a row (a few µs in Python, more with the page it first touches). Bigger pools
# (indexes with thousands of id lists) are packed row by row as rows are asked for, so that
# memory goes only to the rows in use.
_PACK_ALL_BYTES = 4 << 20


class PackedRowCache:
    """The id lists of an index packed into one pool of rows, each list once.

    A pool of up to `_PACK_ALL_BYTES` is packed whole at once. A bigger one is allocated
    zeroed (the system hands out zero pages only when they are written) and packed a list at
    a time when asked for, except long lists (packed at once with numpy): packing a short list
    writes just the words of its ids, a few cache lines instead of a whole fresh row, and
    memory only for rows in use. `row(k)` gives a read-only int32[W] view of the pool; packing
    is locked so that threads never lose a bit.
    """

    def __init__(self, sparse_offsets: np.ndarray, sparse_tokens: np.ndarray, n_words: int):
        self._offsets = sparse_offsets.tolist()
        self._tokens = sparse_tokens
        self._n_words = n_words
        n_sparse = len(self._offsets) - 1
        self._pool = np.zeros((n_sparse, n_words), dtype=np.int32)
        self._pool_bytes = memoryview(self._pool.reshape(-1).view(np.uint8))
        self._rows: list = [None] * n_sparse
        self._lock = threading.Lock()
        offsets = np.asarray(sparse_offsets, dtype=np.int64)
        if self._pool.nbytes <= _PACK_ALL_BYTES:
            self._pack_up_front(np.arange(n_sparse), offsets)
        else:
            self._pack_up_front(np.flatnonzero(np.diff(offsets) > _FEW_IDS), offsets)

    def row(self, sparse: int) -> np.ndarray:
        """The packed int32[W] row of id list `sparse` (read-only view)."""
        row = self._rows[sparse]
        if row is None:
            with self._lock:
                row = self._rows[sparse]
                if row is None:
                    row = self._pack(sparse)
                    self._rows[sparse] = row
        return row

    def _pack(self, sparse: int) -> np.ndarray:
        start, end = self._offsets[sparse], self._offsets[sparse + 1]
        # Little-endian words: bit j of a row is bit j % 8 of its byte j // 8.
        pool, base = self._pool_bytes, 4 * self._n_words * sparse
        for token_id in self._tokens[start:end].tolist():
            pool[base + (token_id >> 3)] |= 1 << (token_id & 7)
        return self._view(sparse)

    def _pack_up_front(self, lists: np.ndarray, offsets: np.ndarray) -> None:
        """Pack the id lists numbered `lists` (int64[k]) with numpy, all at once."""
        if not len(lists):
            return
        lengths = offsets[lists + 1] - offsets[lists]
        at = concatenated_ranges(offsets[lists], lengths)
        ids = np.asarray(self._tokens, dtype=np.int64)[at]
        np.bitwise_or.at(self._pool.view(np.uint32), (np.repeat(lists, lengths), ids >> 5), _bits(ids))
        for sparse in lists.tolist():
            self._rows[sparse] = self._view(sparse)

    def _view(self, sparse: int) -> np.ndarray:
        row = self._pool[sparse]
        row.setflags(write=False)
        return row


def concatenated_ranges(starts: np.ndarray, lengths: np.ndarray) -> np.ndarray:
    """Concatenated arange(start, start + length) for each pair: int64[sum(lengths)]."""
    if not len(lengths):
        return np.zeros(0, dtype=np.int64)
    ends = np.cumsum(lengths)
    return np.arange(ends[-1]) - np.repeat(ends - lengths, lengths) + np.repeat(starts, lengths)


def packed_rows(
    masks: np.ndarray, mask_of: np.ndarray, sparse_offsets: np.ndarray, sparse_tokens: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """(rows int32[n_dense + n_sparse, W], row_of_state int32[n_states]): every row packed,
    the packed rows first, then sparse row k as row n_dense + k; a new array each call."""
    n_dense, n_words = masks.shape
    n_sparse = sparse_offsets.shape[0] - 1
    rows = np.zeros((n_dense + n_sparse, n_words), dtype=np.uint32)
    rows[:n_dense] = np.asarray(masks, dtype=np.int32).view(np.uint32)
    tokens = np.asarray(sparse_tokens, dtype=np.int64)
    owner = n_dense + np.repeat(np.arange(n_sparse), np.diff(np.asarray(sparse_offsets, dtype=np.int64)))
    np.bitwise_or.at(rows, (owner, tokens >> 5), _bits(tokens))
    mask_of = np.asarray(mask_of, dtype=np.int32)
    row_of_state = np.where(mask_of >= 0, mask_of, n_dense - 1 - mask_of).astype(np.int32)
    return rows.view(np.int32), row_of_state
