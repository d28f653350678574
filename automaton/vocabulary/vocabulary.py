"""`Vocabulary`: the exact bytes of every token id, the EOS ids, and the logits width.

Arrays (read-only):
    token_data: uint8[total_bytes]     the bytes of every allowed token, concatenated in id order
    token_offsets: int64[num_tokens + 1]   token i is token_data[token_offsets[i]:token_offsets[i + 1]]

An id whose slice is empty is excluded: the byte tokens never include special added tokens
(BOS, PAD, UNK, chat markers), EOS ids, ids the tokenizer leaves unused, or tokens whose bytes
are empty. `num_tokens` is the tokenizer's size (ids 0..num_tokens-1); `logits_width` is the
model's output width (>= num_tokens); ids at or beyond `num_tokens` are never allowed.
`fingerprint` is a hex digest of (token bytes, EOS ids, logits width), the same in every process.

    >>> import automaton
    >>> vocab = automaton.Vocabulary.from_token_bytes([b"a", b"b", None, b"ab"], eos_token_ids=[2])
    >>> vocab.token_bytes(3), vocab.token_bytes(2), sorted(vocab.eos_token_ids)
    (b'ab', None, [2])

Build one with `from_tokenizer` (any Hugging Face tokenizer, fast or slow, or a
`tokenizers.Tokenizer`), `from_pretrained` (a local tokenizer folder) or `from_token_bytes`.
Reading a tokenizer checks itself by encoding a fixed multilingual sample
(see `automaton.vocabulary.check`).
"""
from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Iterable, Sequence
from pathlib import Path

import numpy as np

from automaton.errors import VocabularyError
from automaton.vocabulary.check import self_check
from automaton.vocabulary.describe import remember_family
from automaton.vocabulary.families import read_tokenizer
from automaton.vocabulary.token_arrays import assemble

__all__ = ["Vocabulary", "RAW_BYTES"]

RAW_BYTES = "raw_bytes"
_FINGERPRINT_VERSION = b"automaton-vocabulary-v1"


class Vocabulary:
    """Token bytes as flat arrays, plus EOS ids and the logits width (see the module docstring)."""

    __slots__ = (
        "token_data",
        "token_offsets",
        "num_tokens",
        "logits_width",
        "eos_token_ids",
        "family",
        "prepends_space",
        "fingerprint",
    )

    def __init__(
        self,
        token_data: np.ndarray,
        token_offsets: np.ndarray,
        eos_token_ids: Iterable[int],
        *,
        logits_width: int | None = None,
        family: str = RAW_BYTES,
        prepends_space: bool = False,
    ):
        data = np.ascontiguousarray(token_data, dtype=np.uint8)
        offsets = np.ascontiguousarray(token_offsets, dtype=np.int64)
        if data.ndim != 1 or offsets.ndim != 1 or len(offsets) < 1:
            raise VocabularyError("token_data must be uint8[total] and token_offsets int64[num_tokens + 1]")
        if offsets[0] != 0 or offsets[-1] != len(data) or np.any(np.diff(offsets) < 0):
            raise VocabularyError("token_offsets must rise from 0 to len(token_data)")
        num_tokens = len(offsets) - 1
        eos = _validate_eos(eos_token_ids, num_tokens)
        width = _validate_width(logits_width, num_tokens)
        if eos and any(offsets[i + 1] != offsets[i] for i in eos):
            data, offsets = assemble(data, np.diff(offsets), {i: None for i in eos})
        data.setflags(write=False)
        offsets.setflags(write=False)
        self.token_data = data
        self.token_offsets = offsets
        self.num_tokens = num_tokens
        self.logits_width = width
        self.eos_token_ids = eos
        self.family = family
        self.prepends_space = bool(prepends_space)
        self.fingerprint = _fingerprint(data, offsets, eos, width)
        remember_family(self.fingerprint, family)

    # ---- constructors -------------------------------------------------------------------

    @classmethod
    def from_token_bytes(
        cls,
        token_bytes: Sequence[bytes | None],
        eos_token_ids: int | Iterable[int],
        logits_width: int | None = None,
    ) -> Vocabulary:
        """From a list with the bytes of each id (`None` = excluded) and the EOS id(s)."""
        if isinstance(token_bytes, (str, bytes, bytearray)) or not isinstance(token_bytes, Sequence):
            raise VocabularyError(
                f"token_bytes must be a sequence with bytes or None per id, got {type(token_bytes).__name__}"
            )
        parts = []
        for token_id, value in enumerate(token_bytes):
            if value is None:
                parts.append(b"")
            elif isinstance(value, (bytes, bytearray, memoryview)):
                parts.append(bytes(value))
            else:
                raise VocabularyError(
                    f"token_bytes[{token_id}] must be bytes or None, got {type(value).__name__}"
                )
        lengths = np.fromiter(map(len, parts), dtype=np.int64, count=len(parts))
        offsets = np.zeros(len(parts) + 1, dtype=np.int64)
        np.cumsum(lengths, out=offsets[1:])
        data = np.frombuffer(b"".join(parts), dtype=np.uint8)
        return cls(data, offsets, _eos_argument(eos_token_ids), logits_width=logits_width)

    @classmethod
    def from_tokenizer(
        cls,
        tokenizer,
        *,
        eos_token_ids: int | Iterable[int] | None = None,
        logits_width: int | None = None,
    ) -> Vocabulary:
        """From a Hugging Face tokenizer (fast or slow) or a `tokenizers.Tokenizer`.

        `eos_token_ids`: an id or a list of ids (a `generation_config.eos_token_id` fits);
        by default the tokenizer's `eos_token_id`. `logits_width`: the model's output width
        (`model.config.vocab_size` or the logits' last dimension); by default the tokenizer's size.
        """
        if isinstance(tokenizer, (str, os.PathLike)):
            return cls.from_pretrained(tokenizer, eos_token_ids=eos_token_ids, logits_width=logits_width)
        reading = read_tokenizer(tokenizer)
        if eos_token_ids is None:
            eos = reading.default_eos_ids
            if not eos:
                raise VocabularyError(
                    f"the tokenizer ({type(tokenizer).__name__}) names no EOS token: pass eos_token_ids"
                )
        else:
            eos = _eos_argument(eos_token_ids)
        data, offsets = assemble(reading.data, reading.lengths, reading.replacements)
        self_check(
            data,
            offsets,
            reading.encode,
            family=reading.family,
            prepends_space=reading.prepends_space,
            unknown_ids=reading.unknown_ids,
            piece=reading.piece,
        )
        return cls(
            data,
            offsets,
            eos,
            logits_width=logits_width,
            family=reading.family,
            prepends_space=reading.prepends_space,
        )

    @classmethod
    def from_pretrained(
        cls,
        path: str | os.PathLike,
        *,
        eos_token_ids: int | Iterable[int] | None = None,
        logits_width: int | None = None,
    ) -> Vocabulary:
        """From a local folder holding a saved tokenizer (never downloads).

        With a `tokenizer.json` the folder is read with the `tokenizers` library alone; EOS ids
        come from `generation_config.json` and `tokenizer_config.json`, the logits width from
        `config.json`'s `vocab_size` when those files are there. A folder without
        `tokenizer.json` is loaded with `transformers.AutoTokenizer` (slow tokenizers).
        """
        folder = Path(path)
        if not folder.is_dir():
            raise VocabularyError(f"{str(path)!r} is not a local tokenizer folder")
        tokenizer_file = folder / "tokenizer.json"
        if tokenizer_file.is_file():
            from tokenizers import Tokenizer

            tokenizer = Tokenizer.from_file(str(tokenizer_file))
            if eos_token_ids is None:
                eos_token_ids = _folder_eos_ids(folder, tokenizer) or None
        else:
            try:
                from transformers import AutoTokenizer

                tokenizer = AutoTokenizer.from_pretrained(str(folder), local_files_only=True)
            except (OSError, ValueError) as error:
                raise VocabularyError(f"cannot load a tokenizer from {str(folder)!r}: {error}") from error
            if eos_token_ids is None:
                eos_token_ids = _folder_eos_ids(folder, None) or None
        if logits_width is None:
            logits_width = _folder_logits_width(folder)
        vocabulary = cls.from_tokenizer(tokenizer, eos_token_ids=eos_token_ids)
        if logits_width is not None and logits_width >= vocabulary.num_tokens:
            return vocabulary.with_logits_width(logits_width)
        return vocabulary

    # ---- queries ------------------------------------------------------------------------

    def token_bytes(self, token_id: int) -> bytes | None:
        """The bytes of `token_id`; None for excluded ids (special, EOS, unused, empty) and ids past the tokenizer."""
        if not 0 <= token_id < self.num_tokens:
            if 0 <= token_id < self.logits_width:
                return None
            raise IndexError(f"token id {token_id} is outside 0..{self.logits_width - 1}")
        start, end = self.token_offsets[token_id], self.token_offsets[token_id + 1]
        return self.token_data[start:end].tobytes() if end > start else None

    def byte_token_ids(self) -> np.ndarray:
        """int64 ids whose bytes are known (every id that is neither excluded nor EOS), sorted."""
        return np.flatnonzero(np.diff(self.token_offsets) > 0)

    def with_logits_width(self, logits_width: int) -> Vocabulary:
        """The same vocabulary for a model whose logits are `logits_width` wide."""
        return Vocabulary(
            self.token_data,
            self.token_offsets,
            self.eos_token_ids,
            logits_width=logits_width,
            family=self.family,
            prepends_space=self.prepends_space,
        )

    def __len__(self) -> int:
        return self.num_tokens

    def __repr__(self) -> str:
        return (
            f"Vocabulary(family={self.family!r}, num_tokens={self.num_tokens}, logits_width={self.logits_width}, "
            f"eos_token_ids={sorted(self.eos_token_ids)}, fingerprint={self.fingerprint[:16]!r}...)"
        )

    def __eq__(self, other) -> bool:
        return isinstance(other, Vocabulary) and other.fingerprint == self.fingerprint

    def __hash__(self) -> int:
        return hash(self.fingerprint)


def _eos_argument(value) -> frozenset[int]:
    if isinstance(value, (bool, np.bool_)):
        raise VocabularyError(f"eos_token_ids must be an int or a list of ints, got {value!r}")
    if isinstance(value, (int, np.integer)):
        return frozenset((int(value),))
    if isinstance(value, (str, bytes)) or not isinstance(value, Iterable):
        raise VocabularyError(f"eos_token_ids must be an int or a list of ints, got {value!r}")
    ids = []
    for item in value:
        if isinstance(item, (bool, np.bool_)) or not isinstance(item, (int, np.integer)):
            raise VocabularyError(f"eos_token_ids must hold ints, got {item!r}")
        ids.append(int(item))
    return frozenset(ids)


def _validate_eos(eos_token_ids, num_tokens: int) -> frozenset[int]:
    eos = _eos_argument(eos_token_ids)
    if not eos:
        raise VocabularyError("eos_token_ids is empty: a vocabulary needs at least one EOS id")
    outside = sorted(i for i in eos if not 0 <= i < num_tokens)
    if outside:
        raise VocabularyError(f"EOS id(s) {outside} are outside the tokenizer's ids 0..{num_tokens - 1}")
    return eos


def _validate_width(logits_width, num_tokens: int) -> int:
    if logits_width is None:
        return num_tokens
    if isinstance(logits_width, (bool, np.bool_)) or not isinstance(logits_width, (int, np.integer)):
        raise VocabularyError(f"logits_width must be an int, got {logits_width!r}")
    if logits_width < num_tokens:
        raise VocabularyError(
            f"logits_width {int(logits_width)} is smaller than the tokenizer's {num_tokens} ids"
        )
    return int(logits_width)


def _fingerprint(data: np.ndarray, offsets: np.ndarray, eos: frozenset[int], width: int) -> str:
    digest = hashlib.blake2b(digest_size=20)
    digest.update(_FINGERPRINT_VERSION)
    digest.update(np.array([len(offsets) - 1, width], dtype="<i8").tobytes())
    digest.update(np.array(sorted(eos), dtype="<i8").tobytes())
    digest.update(offsets.astype("<i8", copy=False).tobytes())
    digest.update(data.tobytes())
    return digest.hexdigest()


def _read_json(path: Path) -> dict:
    try:
        with open(path, encoding="utf-8") as handle:
            value = json.load(handle)
    except (OSError, ValueError):
        return {}
    return value if isinstance(value, dict) else {}


def _folder_eos_ids(folder: Path, tokenizer) -> frozenset[int]:
    """EOS ids named by generation_config.json, plus tokenizer_config.json's eos_token."""
    ids: set[int] = set()
    generation_eos = _read_json(folder / "generation_config.json").get("eos_token_id")
    if isinstance(generation_eos, int):
        ids.add(generation_eos)
    elif isinstance(generation_eos, list):
        ids.update(i for i in generation_eos if isinstance(i, int))
    if tokenizer is not None:
        eos_token = _read_json(folder / "tokenizer_config.json").get("eos_token")
        if isinstance(eos_token, dict):
            eos_token = eos_token.get("content")
        if isinstance(eos_token, str) and tokenizer.token_to_id(eos_token) is not None:
            ids.add(tokenizer.token_to_id(eos_token))
    return frozenset(ids)


def _folder_logits_width(folder: Path) -> int | None:
    width = _read_json(folder / "config.json").get("vocab_size")
    return width if isinstance(width, int) and not isinstance(width, bool) else None
