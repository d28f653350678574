"""Packed token bitmasks applied to logits, in place, on the logits' own device.

Takes:
    logits   float tensor [batch, V] (float16, bfloat16, float32 or float64), contiguous
    bitmask  int32 tensor [batch, W] on the same device: bit `j % 32` of word `j // 32` set =
             token j allowed (the layout of `TokenIndex.mask(state)`, xgrammar and llguidance)
Gives: the same `logits`, with `-inf` in every column whose bit is clear. Columns at or past
`32 * W` (logits wider than the index) are disallowed too.

    >>> import torch
    >>> logits = torch.zeros(1, 40)
    >>> bitmask = torch.tensor([[0b101, 1]], dtype=torch.int32)   # tokens 0, 2 and 32
    >>> apply_token_bitmask_(logits, bitmask)[0].isfinite().nonzero().flatten().tolist()
    [0, 2, 32]

On CPU the work is one pass of a numba kernel over the logits' raw bits
(`automaton.kernels.fill_rows_i2/i4/i8`: chunks whose bits are all clear are filled, all set
skipped, others blended with -inf's bit pattern through a vectorised loop), compiled ahead of time
by `python -m automaton build-kernels` so that a generating process does not import numba (the
JIT kernel otherwise); elsewhere it is three torch ops (expand bits, compare, masked fill). `DeviceMasks` keeps
an index's mask rows on each device they are used on, so a decoding step costs one gather of rows
and one masked fill.
"""
from __future__ import annotations

import threading
import weakref

import numpy as np
import torch

from automaton import kernels
from decode.errors import MaskingError

__all__ = ["apply_token_bitmask_", "DeviceMasks", "device_masks", "MaskingError", "FLOAT_DTYPES"]

FLOAT_DTYPES = (torch.float16, torch.bfloat16, torch.float32, torch.float64)


# -- the public operation --------------------------------------------------------------------------


def apply_token_bitmask_(logits: torch.Tensor, bitmask: torch.Tensor) -> torch.Tensor:
    """Set `logits[b, j] = -inf` wherever bit j of `bitmask[b]` is clear; returns `logits`."""
    _check_logits(logits)
    _check_bitmask(bitmask, logits)
    if logits.device.type == "cpu":
        _apply_cpu_(logits, bitmask)
    else:
        _apply_torch_(logits, bitmask)
    return logits


# -- CPU: numba over the raw bits --------------------------------------------------------------------

# Integer view of each float dtype and the bit pattern of -inf in it.
_RAW_VIEW = {
    torch.float16: (torch.int16, np.array([-np.inf], np.float16).view(np.int16)[0]),
    torch.bfloat16: (torch.int16, np.int16(-128)),  # 0xFF80
    torch.float32: (torch.int32, np.array([-np.inf], np.float32).view(np.int32)[0]),
    torch.float64: (torch.int64, np.array([-np.inf], np.float64).view(np.int64)[0]),
}

# _BYTE_BITS[v]: the 8 bits of byte v, least significant first, as 8 bytes of 0 or 1 read as one uint64.
_BYTE_BITS = np.unpackbits(np.arange(256, dtype=np.uint8)[:, None], axis=1, bitorder="little").view(np.uint64).ravel()

# The kernel for each raw width (`automaton.kernels`; one name per width in the extension).
_FILL_ROWS = {torch.int16: "fill_rows_i2", torch.int32: "fill_rows_i4", torch.int64: "fill_rows_i8"}


def _apply_cpu_(logits: torch.Tensor, bitmask: torch.Tensor) -> None:
    torch_int, neg_inf = _RAW_VIEW[logits.dtype]
    raw = logits.view(torch_int).numpy()
    # Little-endian words put bit j of a row in bit j % 8 of byte j // 8 of that row.
    mask_bytes = bitmask.numpy().astype("<i4", copy=False).view(np.uint8)
    getattr(kernels, _FILL_ROWS[torch_int])(raw, mask_bytes, neg_inf, _BYTE_BITS)


# -- any other device: torch ops ---------------------------------------------------------------------

_BIT_VALUES: dict[torch.device, torch.Tensor] = {}


def _bit_values(device: torch.device) -> torch.Tensor:
    """int32[32] with value 1 << k at k (1 << 31 is the int32 minimum, which is what `&` needs)."""
    values = _BIT_VALUES.get(device)
    if values is None:
        values = torch.tensor(np.left_shift(np.ones(32, np.int64), np.arange(32)).astype(np.uint32).view(np.int32),
                              device=device)
        _BIT_VALUES[device] = values
    return values


def _apply_torch_(logits: torch.Tensor, bitmask: torch.Tensor) -> None:
    batch, n_cols = logits.shape
    n_bits = 32 * bitmask.shape[1]
    covered = min(n_cols, n_bits)
    disallowed = (bitmask.unsqueeze(-1) & _bit_values(logits.device)) == 0
    logits[:, :covered].masked_fill_(disallowed.view(batch, n_bits)[:, :covered], float("-inf"))
    if n_cols > n_bits:
        logits[:, n_bits:] = float("-inf")


# -- checks ----------------------------------------------------------------------------------------


def _check_logits(logits) -> None:
    if not isinstance(logits, torch.Tensor):
        raise MaskingError(f"logits must be a torch.Tensor, got {type(logits).__name__}")
    if logits.dim() != 2:
        raise MaskingError(
            f"logits must have shape [batch, vocab], got {tuple(logits.shape)}; "
            "for a single row use `logits.unsqueeze(0)`"
        )
    if logits.dtype not in FLOAT_DTYPES:
        raise MaskingError(
            f"logits dtype {logits.dtype} is not supported; use one of float16, bfloat16, float32, "
            "float64 (e.g. `logits.float()`)"
        )
    if not logits.is_contiguous():
        raise MaskingError("logits are not contiguous; use `logits.contiguous()` and mask that tensor")


def _check_bitmask(bitmask, logits: torch.Tensor) -> None:
    if not isinstance(bitmask, torch.Tensor):
        raise MaskingError(f"bitmask must be a torch.Tensor, got {type(bitmask).__name__}")
    if bitmask.dtype != torch.int32:
        raise MaskingError(f"bitmask dtype must be torch.int32, got {bitmask.dtype}; use `bitmask.to(torch.int32)`")
    if bitmask.dim() != 2 or bitmask.shape[0] != logits.shape[0]:
        raise MaskingError(
            f"bitmask shape {tuple(bitmask.shape)} does not fit logits shape {tuple(logits.shape)}: "
            "expected [batch, words] with the same batch as the logits"
        )
    n_cols = logits.shape[1]
    if bitmask.shape[1] > (n_cols + 31) // 32:
        raise MaskingError(
            f"bitmask has {bitmask.shape[1]} words ({32 * bitmask.shape[1]} tokens) but the logits have "
            f"only {n_cols} columns: the mask was built for a wider vocabulary; build the index with "
            f"logits_width={n_cols}"
        )
    if bitmask.device != logits.device:
        raise MaskingError(
            f"bitmask is on {bitmask.device} but logits are on {logits.device}; "
            f"use `bitmask.to(logits.device)` (or `DeviceMasks`, which keeps a copy per device)"
        )
    if not bitmask.is_contiguous():
        raise MaskingError("bitmask is not contiguous; use `bitmask.contiguous()`")


# -- an index's masks, one copy per device -------------------------------------------------------------


class DeviceMasks:
    """The mask rows of a `TokenIndex` on every device they are used on (copied once per device).

    Every distinct row packed (`TokenIndex.dense_masks()`: the rows the index keeps as id lists
    packed too), `masks` int32[n_rows, W], and `mask_of` int64[n_states] are moved lazily;
    `rows(states)` gathers `masks[mask_of[states]]` -> int32[batch, W] and `apply_(logits, states)`
    masks `logits` [batch, V] with the rows of `states` (int, sequence or int64 tensor [batch]).
    """

    def __init__(self, index):
        self.index = index
        self.logits_width = int(index.logits_width)
        self.num_states = int(index.num_states)
        masks, row_of_state = index.dense_masks()
        self._host_masks = torch.from_numpy(np.ascontiguousarray(masks, dtype=np.int32))
        self._host_mask_of = torch.from_numpy(row_of_state.astype(np.int64))
        self._on_device: dict[torch.device, tuple[torch.Tensor, torch.Tensor]] = {}
        self._lock = threading.Lock()

    def tensors(self, device) -> tuple[torch.Tensor, torch.Tensor]:
        """(masks int32[n_rows, W], mask_of int64[n_states]) on `device`."""
        device = torch.device(device)
        if device.type == "cuda" and device.index is None:
            device = torch.device("cuda", torch.cuda.current_device())
        found = self._on_device.get(device)
        if found is None:
            with self._lock:
                found = self._on_device.get(device)
                if found is None:
                    found = (self._host_masks.to(device), self._host_mask_of.to(device))
                    self._on_device[device] = found
        return found

    def rows(self, states, device) -> torch.Tensor:
        """int32[batch, W]: the mask row of each state, on `device`."""
        masks, mask_of = self.tensors(device)
        states = self._states_tensor(states, mask_of.device)
        return masks.index_select(0, mask_of.index_select(0, states))

    def apply_(self, logits: torch.Tensor, states) -> torch.Tensor:
        """Mask `logits` [batch, V] in place with the rows of `states`; returns `logits`."""
        _check_logits(logits)
        if logits.shape[1] < self.logits_width:
            raise MaskingError(
                f"logits have {logits.shape[1]} columns but the index was built for {self.logits_width}: "
                "build the index with the model's logits width (e.g. model.config.vocab_size)"
            )
        rows = self.rows(states, logits.device)
        if rows.shape[0] != logits.shape[0]:
            raise MaskingError(f"{rows.shape[0]} states given for {logits.shape[0]} rows of logits")
        return apply_token_bitmask_(logits, rows)

    def _states_tensor(self, states, device) -> torch.Tensor:
        if isinstance(states, torch.Tensor):
            tensor = states.to(device=device, dtype=torch.int64).reshape(-1)
            low, high = (int(tensor.min()), int(tensor.max())) if tensor.numel() else (0, 0)
        else:
            values = [int(states)] if np.ndim(states) == 0 else [int(s) for s in states]
            low, high = (min(values), max(values)) if values else (0, 0)
            tensor = torch.tensor(values, dtype=torch.int64, device=device)
        if low < 0 or high >= self.num_states:
            raise MaskingError(f"state out of range [0, {self.num_states}): got values in [{low}, {high}]")
        return tensor


_DEVICE_MASKS: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
_DEVICE_MASKS_LOCK = threading.Lock()


def device_masks(index) -> DeviceMasks:
    """The shared `DeviceMasks` of `index` (one per index, so device copies are made once)."""
    with _DEVICE_MASKS_LOCK:
        found = _DEVICE_MASKS.get(index)
        if found is None:
            found = DeviceMasks(index)
            _DEVICE_MASKS[index] = found
        return found
