"""The construction-time self-check of a vocabulary read from a tokenizer.

Takes the token bytes (flat `data uint8[total]` + `offsets int64[n + 1]`) and the tokenizer's
`encode(text) -> list[int]`; encodes a fixed multilingual sample and confirms that the bytes of
the tokens, joined, are the text's UTF-8. The only difference allowed is one space in front
when the tokenizer declares the leading-space convention (SentencePiece). Raises
`VocabularyError` naming the family and the first token that disagrees.
"""
from __future__ import annotations

from collections.abc import Callable

import numpy as np

from automaton.errors import VocabularyError

__all__ = ["SELF_CHECK_SAMPLES", "self_check"]

SELF_CHECK_SAMPLES: tuple[str, ...] = (
    "Hello, world! The quick brown fox jumps over the lazy dog.",
    "café naïve façade Ångström São Paulo Łódź",
    "日本語のテキスト、中文文本，한국어 텍스트",
    "Привет, мир! Ελληνικά. مرحبا بالعالم. שלום",
    "emoji 😀🎉👍🏽 family 👨‍👩‍👧 flag 🇫🇷",
    "  two  spaces,    four, \ttab\t\tand\nnewlines\n\n\r\nend ",
    "digits 0123456789 3.14159 -42 1,000,000 2024-01-31",
    '{"name": "Ada", "tags": ["x", "y"], "n": 12}',
    "	leading tab and trailing spaces   ",
)


def self_check(
    data: np.ndarray,
    offsets: np.ndarray,
    encode: Callable[[str], list[int]],
    *,
    family: str,
    prepends_space: bool,
    unknown_ids: frozenset[int],
    piece: Callable[[int], str | None],
) -> None:
    """Raise `VocabularyError` at the first sample whose token bytes differ from its UTF-8."""
    raw = data.tobytes()
    num_tokens = len(offsets) - 1
    for text in SELF_CHECK_SAMPLES:
        ids = [int(i) for i in encode(text)]
        if any(i in unknown_ids for i in ids):
            continue  # the tokenizer cannot spell this text at all; nothing to compare
        expected = text.encode("utf-8")
        candidates = [expected, b" " + expected] if prepends_space else [expected]
        got_parts = []
        for token_id in ids:
            if not 0 <= token_id < num_tokens:
                raise VocabularyError(
                    f"{family} vocabulary self-check: the tokenizer produced id {token_id}, outside its "
                    f"{num_tokens} ids, for {text!r}"
                )
            got_parts.append(raw[offsets[token_id] : offsets[token_id + 1]])
        if b"".join(got_parts) in candidates:
            continue
        _raise_first_disagreement(text, ids, got_parts, candidates, family, piece)


def _raise_first_disagreement(text, ids, got_parts, candidates, family, piece) -> None:
    best = None
    for expected in candidates:
        position = 0
        for index, part in enumerate(got_parts):
            if expected[position : position + len(part)] != part or not part:
                if best is None or position > best[0]:
                    best = (position, index, expected)
                break
            position += len(part)
        else:
            best = (position, len(got_parts), expected)
            break
    position, index, expected = best
    if index == len(got_parts):
        detail = f"the tokens stop at byte {position} of {len(expected)}"
    else:
        token_id = ids[index]
        shown = got_parts[index] if got_parts[index] else None
        detail = (
            f"token {token_id} ({piece(token_id)!r}) reads as {shown!r} but the text has "
            f"{expected[position:position + max(len(got_parts[index]), 1)]!r} at byte {position}"
        )
    raise VocabularyError(f"{family} vocabulary failed its self-check on {text!r}: {detail}")
