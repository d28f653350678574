"""Vectorised conversion of token strings into flat byte arrays.

Takes token strings in id order (`list[str | None]`, length `n`) as a tokenizer's model stores
them, and gives `(data uint8[total], lengths int64[n])`: the bytes of each token concatenated
in id order and the byte length of each (0 for a missing id or an unreadable token). Then
`assemble` applies per-id replacements and exclusions and returns `(data, offsets int64[n + 1])`.

Two spellings are read:
- byte-level (GPT-2 style): every byte is written as one printable character (`Ġ` = space,
  `Ċ` = newline, ...); a character outside that 256-character alphabet makes the token unreadable.
- text with a space marker (SentencePiece): the marker (`▁`) stands for a space, everything
  else is UTF-8 text. Byte-fallback pieces (`<0xE6>`) are handled by the caller as replacements.

Work is done on whole arrays (one `str.join`, one encode, table lookups), not token by token.
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

__all__ = [
    "BYTE_LEVEL_ALPHABET_SIZE",
    "byte_level_char_table",
    "byte_level_arrays",
    "marked_text_arrays",
    "assemble",
]

BYTE_LEVEL_ALPHABET_SIZE = 256 + 68  # printable bytes map to themselves, the other 68 to U+0100..U+0143


def _byte_level_byte_to_char() -> list[int]:
    """Code point standing for each byte value in the GPT-2 byte-level alphabet."""
    printable = (
        list(range(ord("!"), ord("~") + 1))
        + list(range(ord("¡"), ord("¬") + 1))
        + list(range(ord("®"), ord("ÿ") + 1))
    )
    code_points = [0] * 256
    for byte in printable:
        code_points[byte] = byte
    shifted = 0
    for byte in range(256):
        if byte not in printable:
            code_points[byte] = 256 + shifted
            shifted += 1
    return code_points


def byte_level_char_table() -> np.ndarray:
    """int16[BYTE_LEVEL_ALPHABET_SIZE]: code point -> byte value, -1 where not in the alphabet."""
    table = np.full(BYTE_LEVEL_ALPHABET_SIZE, -1, dtype=np.int16)
    for byte, code_point in enumerate(_byte_level_byte_to_char()):
        table[code_point] = byte
    return table


_CHAR_TO_BYTE = byte_level_char_table()


def _code_points(pieces: Sequence[str | None]) -> tuple[np.ndarray, np.ndarray]:
    """(uint32 code points of all pieces joined, int64 character count of each piece)."""
    texts = [piece or "" for piece in pieces]
    char_counts = np.fromiter(map(len, texts), dtype=np.int64, count=len(texts))
    code_points = np.frombuffer("".join(texts).encode("utf-32-le"), dtype=np.uint32)
    return code_points, char_counts


def byte_level_arrays(pieces: Sequence[str | None]) -> tuple[np.ndarray, np.ndarray]:
    """Byte-level token strings -> (data uint8[total], lengths int64[n]).

    A token holding a character outside the byte-level alphabet gets length 0 (unreadable:
    the byte-level encoder can never produce it).
    """
    code_points, lengths = _code_points(pieces)
    clipped = np.minimum(code_points, BYTE_LEVEL_ALPHABET_SIZE - 1)
    values = _CHAR_TO_BYTE[clipped]
    valid = (code_points < BYTE_LEVEL_ALPHABET_SIZE) & (values >= 0)
    if not valid.all():
        owner = np.repeat(np.arange(len(lengths)), lengths)
        bad_tokens = np.unique(owner[~valid])
        keep = ~np.isin(owner, bad_tokens)
        values = values[keep]
        lengths = lengths.copy()
        lengths[bad_tokens] = 0
    return values.astype(np.uint8), lengths


def marked_text_arrays(pieces: Sequence[str | None], space_marker: str) -> tuple[np.ndarray, np.ndarray]:
    """Text token strings whose `space_marker` means a space -> (data uint8[total], lengths int64[n])."""
    if len(space_marker) != 1:
        raise ValueError(f"the space marker must be one character, got {space_marker!r}")
    code_points, char_counts = _code_points(pieces)
    code_points = np.where(code_points == ord(space_marker), np.uint32(ord(" ")), code_points)
    utf8_widths = (
        1
        + (code_points >= 0x80).astype(np.int64)
        + (code_points >= 0x800)
        + (code_points >= 0x10000)
    )
    byte_ends = np.concatenate(([0], np.cumsum(utf8_widths)))
    char_ends = np.concatenate(([0], np.cumsum(char_counts)))
    lengths = byte_ends[char_ends[1:]] - byte_ends[char_ends[:-1]]
    text = code_points.astype("<u4").tobytes().decode("utf-32-le")
    data = np.frombuffer(text.encode("utf-8"), dtype=np.uint8)
    return data, lengths


def assemble(
    data: np.ndarray,
    lengths: np.ndarray,
    replacements: Mapping[int, bytes | None],
) -> tuple[np.ndarray, np.ndarray]:
    """Apply per-id replacements (`None` excludes the id) to (data, lengths).

    Returns (token_data uint8[total], token_offsets int64[n + 1]); excluded ids and empty
    tokens have empty slices.
    """
    lengths = np.array(lengths, dtype=np.int64, copy=True)
    starts = np.concatenate(([0], np.cumsum(lengths)[:-1])).astype(np.int64) if len(lengths) else lengths
    extra = bytearray()
    for token_id, value in replacements.items():
        if value is None:
            lengths[token_id] = 0
        else:
            starts[token_id] = len(data) + len(extra)
            lengths[token_id] = len(value)
            extra += value
    source = np.concatenate((data, np.frombuffer(bytes(extra), dtype=np.uint8))) if extra else data
    offsets = np.zeros(len(lengths) + 1, dtype=np.int64)
    np.cumsum(lengths, out=offsets[1:])
    total = int(offsets[-1])
    gather = np.repeat(starts - offsets[:-1], lengths) + np.arange(total, dtype=np.int64)
    return np.ascontiguousarray(source[gather], dtype=np.uint8), offsets
