"""The per-step lookup tables of a `TokenIndex`: what `next_state` and `mask` read, built on
first use from the index's arrays.

    FastTables.of(index) -> FastTables     (see the class docstring for every table's layout)

A token's record is RECORD_BYTES (16) bytes: its length L, then the byte classes of its bytes
(`automaton.kernels.records.token_records`); L = LONG_TOKEN (255) for tokens of 16 bytes or
more, whose record says where their classes lie in `long_classes` (LONG_SPAN: start, count).
"""
from __future__ import annotations

import array
import struct
from dataclasses import dataclass

import numpy as np

from automaton import kernels
from automaton.index.rows import PackedRowCache
from automaton.kernels.layout import LONG_TOKEN, RECORD_SHIFT

__all__ = ["FastTables", "LONG_SPAN", "LONG_TOKEN", "RECORD_SHIFT"]

LONG_SPAN = struct.Struct("<II")  # where a long token's classes start in long_classes, how many


@dataclass(frozen=True, slots=True)
class FastTables:
    """Plain-Python copies of what `next_state` and `mask` read: array.array and bytes reads
    cost tens of ns, where numpy scalar reads cost a µs.

    A step along a walk finds most of these cold in the CPU caches, where each extra memory
    line read costs up to a µs, so the layout keeps the lines read per step few:

    row_of_state   list[n_states]: the packed int32[W] row of each state (a view of `masks`), or
                   None for a state with a sparse row until `pack_sparse_row` packs it
    sparse_rows    `PackedRowCache`: the sparse rows, each packed once asked for
    sparse_offsets, sparse_tokens: the index's id lists, for `next_state`'s bit tests
    table          int64[n_dfa * C]: the DFA table renumbered so that index state s is DFA
                   state s (`_table_in_index_order`), entries pre-multiplied by C
    records        bytes[16 * n_tokens]: per token, its length L then the byte classes of its
                   bytes (`automaton.kernels.records`); L = 0 for EOS ids and tokens that no state
                   allows (they take the mask-bit path), L = 255 for tokens over 15 bytes,
                   whose record says where their classes lie in `long_classes`
    long_classes   bytes: the classes of the long tokens
    """

    width: int
    n_tokens: int
    n_states: int
    n_words: int
    n_classes: int
    mask_words: memoryview
    row_of_state: list
    sparse_rows: PackedRowCache
    mask_of: array.array
    sparse_offsets: array.array
    sparse_tokens: array.array
    table: array.array
    index_rows_end: int
    records: bytes
    long_classes: bytes

    @classmethod
    def of(cls, index) -> FastTables:
        masks = np.ascontiguousarray(index.masks, dtype=np.int32)
        rows = list(index.masks)
        records, long_classes = kernels.token_records(
            np.ascontiguousarray(index.token_data), np.ascontiguousarray(index.token_offsets),
            np.ascontiguousarray(index.byte_classes), np.ascontiguousarray(index.eos_token_ids),
        )
        return cls(
            width=index.logits_width,
            n_tokens=index.num_tokens,
            n_states=index.num_states,
            n_words=int(masks.shape[1]),
            n_classes=int(index.dfa_table.shape[1]),
            mask_words=memoryview(masks.reshape(-1).view(np.uint32)).cast("B").cast("I"),
            row_of_state=[rows[row] if row >= 0 else None for row in index.mask_of.tolist()],
            sparse_rows=PackedRowCache(index.sparse_offsets, index.sparse_tokens, int(masks.shape[1])),
            mask_of=_int_array(index.mask_of),
            sparse_offsets=_int_array(index.sparse_offsets),
            sparse_tokens=_int_array(index.sparse_tokens),
            table=_int_array(_table_in_index_order(index)),
            index_rows_end=index.num_states * int(index.dfa_table.shape[1]),
            records=records.tobytes(),
            long_classes=long_classes.tobytes(),
        )

    def pack_sparse_row(self, state: int) -> np.ndarray:
        """The packed row of a state whose row is an id list (packed once per list), kept for `state`."""
        row = self.sparse_rows.row(-1 - self.mask_of[state])
        self.row_of_state[state] = row
        return row


def _table_in_index_order(index) -> np.ndarray:
    """The DFA table renumbered so that index state s is DFA state s (the other DFA states
    follow), each entry pre-multiplied by the row length: int64[n_dfa, C], entry = row start."""
    n_dfa, n_classes = index.dfa_table.shape
    new_id = np.empty(n_dfa, dtype=np.int64)
    new_id[index.dfa_state_of] = np.arange(index.num_states)
    others = np.flatnonzero(index.state_of_dfa < 0)
    new_id[others] = np.arange(index.num_states, n_dfa)
    table = np.empty_like(index.dfa_table, dtype=np.int64)
    table[new_id] = new_id[index.dfa_table] * n_classes
    return table


def _int_array(values: np.ndarray) -> array.array:
    """int32 values as a flat array.array (every value here, table entries included, is below
    max_states * 256 < 2**31)."""
    return array.array("i", np.ascontiguousarray(values, dtype=np.int32).tobytes())

