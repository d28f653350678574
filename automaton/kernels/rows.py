"""Numba kernels that finish a build's rows and its token bytes: flat arrays in and out.

    gather_tokens(token_data, token_offsets, keep) -> (uint8[total], int32[n_tokens + 1]): the
        bytes of the tokens whose bit is set in `keep`, others empty
    row_ids(masks, keep, counts) -> the id lists of the packed rows to keep as lists
    finish_rows(masks, mask_of, accepting, limit) -> (masks, mask_of, sparse_offsets,
        sparse_tokens, sole_token): the rows split into packed rows and id lists (see
        `automaton.index.rows`), and each state's only token
"""
from __future__ import annotations

import numba
import numpy as np
from numba import types
from numba.core import cgutils
from numba.cpython.unsafe.numbers import trailing_zeros
from numba.extending import intrinsic


@intrinsic
def _copy_bytes(typingctx, target, target_at, source, source_at, count):
    """memcpy of `count` bytes from source[source_at:] to target[target_at:] (uint8 arrays)."""

    def codegen(context, builder, signature, args):
        target_value, target_at_value, source_value, source_at_value, count_value = args
        target_array = context.make_array(signature.args[0])(context, builder, target_value)
        source_array = context.make_array(signature.args[2])(context, builder, source_value)
        cgutils.raw_memcpy(
            builder,
            builder.gep(target_array.data, [target_at_value]),
            builder.gep(source_array.data, [source_at_value]),
            count_value,
            1,
        )
        return context.get_dummy_value()

    return types.void(target, types.int64, source, types.int64, types.int64), codegen


@numba.njit(cache=True, nogil=True)
def _low_bits(count):
    """uint64 with the low `count` bits set (0 <= count <= 32)."""
    return (np.uint64(1) << np.uint64(count)) - np.uint64(1)


@numba.njit(cache=True, nogil=True)
def gather_tokens(token_data, token_offsets, keep):
    """Bytes of the kept tokens only: (uint8[total_kept], int32[n_tokens + 1]); others empty.

    Args: token_data uint8[total]; token_offsets int64[n_tokens + 1]; keep int32[ceil(n_tokens
    / 32)] packed like a mask row (bit t % 32 of word t // 32 set = token t kept; bits past
    n_tokens are ignored).

    Word by word (32 tokens): first the new offsets (a word with no bit set repeats the
    offset, one with every bit set shifts the old ones, others add each kept token's length
    without branching), then the bytes, one copy per run of consecutive kept tokens within
    the word, found with trailing-zero counts. Runs are mostly a token or two, so a run of at
    most 16 bytes is copied as 16 (the next run overwrites the excess; the buffer has 16 bytes
    to spare) instead of a copy of variable length.
    """
    n_tokens = token_offsets.shape[0] - 1
    n_words = (n_tokens + 31) // 32
    new_offsets = np.empty(n_tokens + 1, np.int32)
    new_offsets[0] = 0
    total = np.int64(0)
    for w in range(n_words):
        base = w * 32
        count = min(32, n_tokens - base)
        word = np.uint64(np.uint32(keep[w])) & _low_bits(count)
        if word == 0:
            fill = np.int32(total)
            for k in range(count):
                new_offsets[base + k + 1] = fill
        elif word == np.uint64(0xFFFFFFFF):
            shift = total - token_offsets[base]
            for k in range(32):
                new_offsets[base + k + 1] = token_offsets[base + k + 1] + shift
            total = token_offsets[base + 32] + shift
        else:
            for k in range(count):
                t = base + k
                kept = np.int64((word >> np.uint64(k)) & np.uint64(1))
                total += (token_offsets[t + 1] - token_offsets[t]) * kept
                new_offsets[t + 1] = total
    spare = 16
    data = np.empty(total + spare, np.uint8)
    readable = token_data.shape[0]
    for w in range(n_words):
        base = w * 32
        word = np.uint64(np.uint32(keep[w])) & _low_bits(min(32, n_tokens - base))
        while word != 0:
            first = np.int64(trailing_zeros(word))
            end = first + np.int64(trailing_zeros(~(word >> np.uint64(first))))
            word &= ~_low_bits(end)
            source = token_offsets[base + first]
            size = token_offsets[base + end] - source
            target = np.int64(new_offsets[base + first])
            if size <= spare and source + spare <= readable:
                _copy_bytes(data, target, token_data, source, spare)
            else:
                _copy_bytes(data, target, token_data, source, size)
    return data[:total], new_offsets


@numba.njit(cache=True, nogil=True)
def row_ids(masks, keep, counts):
    """The ids set in the rows with `keep[r]`, as lists: (offsets int32[k + 1], ids int32[total]),
    kept rows in order, ids ascending within a row.

    Args:
        masks: int32[n_rows, W], bit j % 32 of word j // 32 set = id j.
        keep: bool[n_rows]; counts: int64[n_rows], the bits set in each row.
    """
    n_rows, n_words = masks.shape
    n_kept = 0
    total = 0
    for r in range(n_rows):
        if keep[r]:
            n_kept += 1
            total += counts[r]
    offsets = np.zeros(n_kept + 1, np.int32)
    ids = np.zeros(total, np.int32)
    k = 0
    n = 0
    for r in range(n_rows):
        if not keep[r]:
            continue
        for w in range(n_words):
            word = np.uint32(masks[r, w])
            if word == 0:
                continue
            for bit in range(32):
                if (word >> np.uint32(bit)) & np.uint32(1):
                    ids[n] = w * 32 + bit
                    n += 1
        k += 1
        offsets[k] = n
    return offsets, ids


@numba.njit(cache=True, nogil=True)
def _popcount32(word):
    """Set bits of a 32-bit word (given as any integer), by the SWAR sums."""
    x = np.uint64(np.uint32(word))
    x = x - ((x >> np.uint64(1)) & np.uint64(0x55555555))
    x = (x & np.uint64(0x33333333)) + ((x >> np.uint64(2)) & np.uint64(0x33333333))
    x = (x + (x >> np.uint64(4))) & np.uint64(0x0F0F0F0F)
    return np.int64(((x * np.uint64(0x01010101)) >> np.uint64(24)) & np.uint64(0xFF))


@numba.njit(cache=True, nogil=True)
def finish_rows(masks, mask_of, accepting, limit):
    """A build's distinct rows as the index stores them: (masks int32[n_dense, W], mask_of
    int32[n_states], sparse_offsets int32[n_sparse + 1], sparse_tokens int32[total],
    sole_token int32[n_states]).

    Args: masks int32[n_rows, W] distinct packed rows; mask_of int32[n_states] each state's
    row; accepting bool[n_states]; limit: rows allowing at most this many ids become id lists
    (`automaton.index.rows`: mask_of -1 - k for list k), the others stay packed; both keep
    their order. sole_token: the only id a state allows, -1 where there are none or several
    and in accepting states (EOS is a choice there too).
    """
    n_rows, n_words = masks.shape
    counts = np.zeros(n_rows, np.int64)
    for r in range(n_rows):
        for w in range(n_words):
            counts[r] += _popcount32(masks[r, w])
    sparse = np.empty(n_rows, np.bool_)
    new_row = np.empty(n_rows, np.int32)
    n_dense = 0
    n_sparse = 0
    for r in range(n_rows):
        sparse[r] = counts[r] <= limit
        if sparse[r]:
            new_row[r] = -1 - n_sparse
            n_sparse += 1
        else:
            new_row[r] = n_dense
            n_dense += 1
    dense = np.empty((n_dense, n_words), np.int32)
    row_sole = np.full(n_rows, -1, np.int32)
    for r in range(n_rows):
        if not sparse[r]:
            dense[new_row[r]] = masks[r]
        if counts[r] == 1:
            for w in range(n_words):
                word = np.uint32(masks[r, w])
                if word != 0:
                    row_sole[r] = w * 32 + np.int32(trailing_zeros(word))
                    break
    offsets, ids = row_ids(masks, sparse, counts)
    n_states = mask_of.shape[0]
    new_mask_of = np.empty(n_states, np.int32)
    sole = np.empty(n_states, np.int32)
    for state in range(n_states):
        row = mask_of[state]
        new_mask_of[state] = new_row[row]
        sole[state] = -1 if accepting[state] else row_sole[row]
    return dense, new_mask_of, offsets, ids, sole
