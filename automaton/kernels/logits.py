"""Numba kernel that applies packed masks to rows of values: flat NumPy arrays in, nothing out.

    fill_rows(raw, mask_bytes, neg_inf, byte_bits) -> number of rows

The values are handled as raw bits (`raw`: the logits viewed as same-width integers), so one
kernel serves float16, bfloat16, float32 and float64: where a mask bit is clear the value's bits
become `neg_inf` (the bit pattern of -inf in that format). `decode.masking` calls it on CPU
logits; it lives here so that `python -m automaton build-kernels` compiles it ahead of time with
the index build's kernels, and a generating process does not pay numba's start-up.
`fill_rows_i2`, `fill_rows_i4`, `fill_rows_i8` are the same kernel, one name per integer width
(the ahead-of-time build exports one signature per name).
"""
from __future__ import annotations

import numba
import numpy as np

__all__ = ["fill_rows", "fill_rows_i2", "fill_rows_i4", "fill_rows_i8", "CHUNK"]

# Values handled per step: a step's 0/1 bytes (2 KiB) stay in the L1 cache between expand and blend.
CHUNK = 2048


@numba.njit(cache=True, nogil=True)
def _fill_row(raw, mask_bytes, neg_inf, byte_bits, keep, b):
    """Row `b`: keep the raw value where the bit is set, write `neg_inf` where it is clear.

    Chunk by chunk: a chunk whose bits are all clear is filled, one whose bits are all set is
    skipped, and any other has its bits expanded into `keep` (uint8[CHUNK], 0 or 1 per value,
    one table lookup per byte) and is blended with a branchless loop, which LLVM vectorises
    (numba's per-word lane loops stay scalar: it does not run LLVM's SLP vectoriser).
    """
    n_cols = raw.shape[1]
    covered = min(n_cols, 8 * mask_bytes.shape[1])
    keep64 = keep.view(np.uint64)
    row = raw[b]
    row_bytes = mask_bytes[b]
    for start in range(0, covered, CHUNK):
        stop = min(start + CHUNK, covered)
        first = start >> 3
        last = (stop + 7) >> 3
        either = 0
        both = 255
        for i in range(first, last):
            either |= row_bytes[i]
            both &= row_bytes[i]
        if either == 0:
            row[start:stop] = neg_inf
        elif both != 255:
            for i in range(last - first):
                keep64[i] = byte_bits[row_bytes[first + i]]
            segment = row[start:stop]
            for k in range(stop - start):
                lane = -np.int32(keep[k])  # all ones where allowed
                segment[k] = (segment[k] & lane) | (neg_inf & ~lane)
    row[covered:] = neg_inf


# One thread: blended this way the rows are memory-bound, and on the 2 shared cores measured here
# numba's parallel loop was slower at every size (up to 35x; its idle workers also stall other work).
@numba.njit(cache=True, nogil=True)
def fill_rows(raw, mask_bytes, neg_inf, byte_bits):
    """Apply row b of `mask_bytes` to row b of `raw`, for every row.

    Args:
        raw: int16, int32 or int64 [batch, V], C-contiguous: the values' bits, changed in place.
        mask_bytes: uint8[batch, >= ceil(V / 8) or fewer]: bit j % 8 of byte j // 8 set = value
            j kept; values past the mask's bits are filled too.
        neg_inf: the bits written over a value (same integer type as `raw`).
        byte_bits: uint64[256], the 8 bits of byte v, least significant first, as 8 bytes of 0 or
            1 read as one uint64 (`decode.masking` holds it).
    Returns the number of rows (so that every exported signature has a result).
    """
    keep = np.empty(CHUNK, np.uint8)
    for b in range(raw.shape[0]):
        _fill_row(raw, mask_bytes, neg_inf, byte_bits, keep, b)
    return raw.shape[0]


fill_rows_i2 = fill_rows_i4 = fill_rows_i8 = fill_rows
