"""Numba kernel of the per-token records a loaded index steps with (`automaton.index.lookup`).
"""
from __future__ import annotations

import numba
import numpy as np

from automaton.kernels.layout import LONG_TOKEN, RECORD_BYTES

_U = np.uintp  # unsigned index type



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
