"""Forced continuations: what the pattern lets through with no choice at all.

From a DFA state that does not accept and where exactly one byte value leads to a live
state, that byte is forced; the forced string is the run of such bytes (JSON keys, quotes,
colons, closing braces). Jump-forward decoding feeds it to the model without sampling.

Arrays, per index state (`n_states` of them):

    forced_offsets  int64[n_states + 1]  CSR offsets into forced_data
    forced_data     uint8[total]         the forced bytes, at most `MAX_FORCED_BYTES` per state
    sole_token      int32[n_states]      the only token allowed there, or -1 (none, several,
                                         or the state accepts so EOS is a choice too); made
                                         with the rows (`automaton.kernels.rows.finish_rows`)
"""
from __future__ import annotations

import numpy as np

from automaton import kernels

__all__ = ["forced_bytes_table", "MAX_FORCED_BYTES"]

MAX_FORCED_BYTES = 256


def forced_bytes_table(
    table: np.ndarray, byte_classes: np.ndarray, accepting: np.ndarray, dfa_state_of: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """(forced_offsets int64[n_states + 1], forced_data uint8[total]) for the given index states.

    Args:
        table: int32[n_dfa, n_classes]; byte_classes: uint8[256]; accepting: bool[n_dfa].
        dfa_state_of: int32[n_states], the DFA state behind each index state.
    """
    return kernels.forced_chains(
        np.ascontiguousarray(table, dtype=np.int32), np.ascontiguousarray(byte_classes, dtype=np.uint8),
        np.ascontiguousarray(accepting, dtype=np.bool_), np.ascontiguousarray(dfa_state_of, dtype=np.int32),
        MAX_FORCED_BYTES,
    )
