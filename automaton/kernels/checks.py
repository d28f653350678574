"""Numba kernel of a loaded index's value checks (`automaton.index.checks` words them).
"""
from __future__ import annotations

import numba
import numpy as np


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
