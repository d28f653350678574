"""Reading a tokenizer into token bytes, by the family its own description declares.

Takes a tokenizer object: a Hugging Face fast tokenizer (anything with `backend_tokenizer`), a
`tokenizers.Tokenizer`, or a slow Hugging Face tokenizer (SentencePiece `sp_model`, or a
byte-level `byte_decoder` + `encoder`). Gives a `TokenizerReading`: the family, token bytes as
flat arrays (`data uint8[total]`, `lengths int64[num_tokens]`), per-id replacements (byte-fallback
pieces, added tokens; `None` = excluded), and the tokenizer's own `encode` for the self-check.

Families, detected from the pre-tokenizer, normalizer, decoder and model configuration:
- `byte_level`: a `ByteLevel` pre-tokenizer or decoder (GPT-2, Llama-3, Qwen, SmolLM, tiktoken
  converted by `TikTokenConverter`, GGUF conversions whose decoder is a Sequence ending in ByteLevel).
  Each token character stands for one byte. A ByteLevel pre-tokenizer with `add_prefix_space`
  puts a space before the text, like SentencePiece.
- `sentencepiece`: a `Metaspace` pre-tokenizer, or a normalizer replacing " " by "▁" (older
  conversions), over a BPE or Unigram model; `▁` is a space and `<0xNN>` byte-fallback pieces are
  single raw bytes. The encoder puts a space before the text (the leading-space convention).
Anything else (WordPiece's `##` continuations, character BPE without a space marker, ...) is
refused with a `VocabularyError` describing what was found.
"""
from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from automaton.errors import VocabularyError
from automaton.vocabulary.token_arrays import byte_level_arrays, byte_level_char_table, marked_text_arrays

__all__ = ["BYTE_LEVEL", "SENTENCEPIECE", "TokenizerReading", "read_tokenizer"]

BYTE_LEVEL = "byte_level"
SENTENCEPIECE = "sentencepiece"

_DEFAULT_SPACE_MARKER = "\u2581"  # ▁
_BYTE_PIECE_NAMES = [f"<0x{byte:02X}>" for byte in range(256)]


@dataclass
class TokenizerReading:
    """What a tokenizer says about its tokens (see the module docstring)."""

    family: str
    description: str
    num_tokens: int
    data: np.ndarray
    lengths: np.ndarray
    replacements: dict[int, bytes | None]
    encode: Callable[[str], list[int]]
    piece: Callable[[int], str | None]
    prepends_space: bool
    unknown_ids: frozenset[int] = field(default_factory=frozenset)
    default_eos_ids: frozenset[int] = field(default_factory=frozenset)


def read_tokenizer(tokenizer) -> TokenizerReading:
    """Dispatch on the kind of tokenizer object."""
    backend = getattr(tokenizer, "backend_tokenizer", None)
    if backend is not None:
        return _read_backend(
            backend,
            encode=lambda text: list(tokenizer.encode(text, add_special_tokens=False)),
            added=dict(tokenizer.added_tokens_decoder),
            size=len(tokenizer),
            eos_ids=_ids_of(getattr(tokenizer, "eos_token_id", None)),
            unknown_ids=_ids_of(getattr(tokenizer, "unk_token_id", None)),
        )
    if _is_tokenizers_object(tokenizer):
        return _read_backend(
            tokenizer,
            encode=lambda text: tokenizer.encode(text, add_special_tokens=False).ids,
            added=dict(tokenizer.get_added_tokens_decoder()),
            size=tokenizer.get_vocab_size(with_added_tokens=True),
            eos_ids=frozenset(),
            unknown_ids=frozenset(),
        )
    if getattr(tokenizer, "sp_model", None) is not None:
        return _read_slow_sentencepiece(tokenizer)
    if getattr(tokenizer, "byte_decoder", None) is not None and isinstance(getattr(tokenizer, "encoder", None), dict):
        return _read_slow_byte_level(tokenizer)
    raise VocabularyError(
        f"unknown tokenizer family: {type(tokenizer).__module__}.{type(tokenizer).__qualname__} has no "
        "tokenizer.json description (backend_tokenizer), no SentencePiece model (sp_model) and no "
        "byte-level table (byte_decoder); build the vocabulary with Vocabulary.from_token_bytes instead"
    )


def _is_tokenizers_object(tokenizer) -> bool:
    try:
        from tokenizers import Tokenizer
    except ImportError:
        return False
    return isinstance(tokenizer, Tokenizer)


def _ids_of(value) -> frozenset[int]:
    if value is None:
        return frozenset()
    if isinstance(value, int):
        return frozenset((value,))
    return frozenset(int(v) for v in value if v is not None)


def _config(component) -> dict | None:
    """The JSON description of a tokenizers component (normalizer, pre-tokenizer, decoder)."""
    if component is None:
        return None
    return json.loads(component.__getstate__())


def _walk(config: dict | None):
    """Every component config inside `config`, Sequences unrolled."""
    if config is None:
        return
    yield config
    for key in ("pretokenizers", "decoders", "normalizers"):
        for child in config.get(key) or ():
            yield from _walk(child)


def _types(config: dict | None) -> list[str]:
    return [part.get("type", "?") for part in _walk(config) if part.get("type") != "Sequence"]


def _describe(model_type: str, normalizer, pre_tokenizer, decoder) -> str:
    def show(config):
        names = _types(config)
        return "+".join(names) if names else "none"

    return (
        f"model {model_type}, normalizer {show(normalizer)}, pre-tokenizer {show(pre_tokenizer)}, "
        f"decoder {show(decoder)}"
    )


def _space_marker_of(normalizer: dict | None, pre_tokenizer: dict | None) -> tuple[str, bool] | None:
    """(marker, prepends_space) when spaces are written as a marker character, else None."""
    for part in _walk(pre_tokenizer):
        if part.get("type") == "Metaspace":
            marker = part.get("replacement", _DEFAULT_SPACE_MARKER)
            scheme = part.get("prepend_scheme")
            prepends = scheme in ("first", "always") if scheme is not None else bool(part.get("add_prefix_space", True))
            return marker, prepends
    parts = list(_walk(normalizer))
    for part in parts:
        if part.get("type") == "Replace" and part.get("pattern", {}).get("String") == " ":
            marker = part.get("content", "")
            if len(marker) == 1:
                prepends = any(p.get("type") == "Prepend" and p.get("prepend") == marker for p in parts)
                return marker, prepends
    return None


def _read_backend(backend, *, encode, added, size, eos_ids, unknown_ids) -> TokenizerReading:
    normalizer = _config(backend.normalizer)
    pre_tokenizer = _config(backend.pre_tokenizer)
    decoder = _config(backend.decoder)
    model = backend.model
    model_type = type(model).__name__
    description = _describe(model_type, normalizer, pre_tokenizer, decoder)
    model_byte_fallback = bool(getattr(model, "byte_fallback", False))

    num_tokens = max([size, backend.get_vocab_size(with_added_tokens=True), *(i + 1 for i in added)])
    pieces = list(map(backend.id_to_token, range(num_tokens)))
    replacements: dict[int, bytes | None] = {}

    byte_level = "ByteLevel" in _types(pre_tokenizer) or "ByteLevel" in _types(decoder)
    marker = _space_marker_of(normalizer, pre_tokenizer)
    if model_type == "WordPiece" or (not byte_level and marker is None):
        raise VocabularyError(f"unknown tokenizer family ({description}): cannot tell the bytes of its tokens")
    if byte_level:
        family = BYTE_LEVEL
        # A ByteLevel pre-tokenizer with add_prefix_space writes "x" as "Ġx" (RoBERTa style).
        prepends_space = any(
            part.get("type") == "ByteLevel" and part.get("add_prefix_space") for part in _walk(pre_tokenizer)
        )
        data, lengths = byte_level_arrays(pieces)
        use_byte_pieces = model_byte_fallback
    else:
        if model_type not in ("BPE", "Unigram"):
            raise VocabularyError(f"unknown tokenizer family ({description}): cannot tell the bytes of its tokens")
        family = SENTENCEPIECE
        space_marker, prepends_space = marker
        data, lengths = marked_text_arrays(pieces, space_marker)
        use_byte_pieces = model_byte_fallback or "ByteFallback" in _types(decoder)
    if use_byte_pieces:
        for byte, name in enumerate(_BYTE_PIECE_NAMES):
            token_id = backend.token_to_id(name)
            if token_id is not None:
                replacements[token_id] = bytes((byte,))

    unknown = set(unknown_ids)
    unk_token = getattr(model, "unk_token", None)
    if isinstance(unk_token, str) and backend.token_to_id(unk_token) is not None:
        unknown.add(backend.token_to_id(unk_token))
    _add_added_tokens(replacements, added)
    for token_id in unknown:
        replacements[token_id] = None
    return TokenizerReading(
        family=family,
        description=description,
        num_tokens=num_tokens,
        data=data,
        lengths=lengths,
        replacements=replacements,
        encode=encode,
        piece=lambda token_id: pieces[token_id] if 0 <= token_id < len(pieces) else None,
        prepends_space=prepends_space,
        unknown_ids=frozenset(unknown),
        default_eos_ids=eos_ids,
    )


def _add_added_tokens(replacements: dict[int, bytes | None], added: dict) -> None:
    """Special added tokens are excluded; the others are matched as literal text, so keep their text."""
    for token_id, token in added.items():
        replacements[int(token_id)] = None if getattr(token, "special", True) else str(token.content).encode("utf-8")


def _slow_size(tokenizer, base_size: int) -> int:
    added = getattr(tokenizer, "added_tokens_decoder", {}) or {}
    return max([len(tokenizer), base_size, *(int(i) + 1 for i in added)])


def _read_slow_sentencepiece(tokenizer) -> TokenizerReading:
    sp = tokenizer.sp_model
    sp_size = sp.get_piece_size()
    num_tokens = _slow_size(tokenizer, sp_size)
    pieces: list[str | None] = [sp.id_to_piece(i) for i in range(sp_size)] + [None] * (num_tokens - sp_size)
    data, lengths = marked_text_arrays(pieces, _DEFAULT_SPACE_MARKER)
    replacements: dict[int, bytes | None] = {}
    unknown = set()
    for token_id in range(sp_size):
        if sp.is_byte(token_id):
            replacements[token_id] = bytes((int(pieces[token_id][3:5], 16),))
        elif sp.is_unknown(token_id):
            unknown.add(token_id)
            replacements[token_id] = None
        elif sp.is_control(token_id) or sp.is_unused(token_id):
            replacements[token_id] = None
    _add_added_tokens(replacements, tokenizer.added_tokens_decoder)
    return TokenizerReading(
        family=SENTENCEPIECE,
        description=f"slow SentencePiece tokenizer {type(tokenizer).__name__}",
        num_tokens=num_tokens,
        data=data,
        lengths=lengths,
        replacements=replacements,
        encode=lambda text: list(tokenizer.encode(text, add_special_tokens=False)),
        piece=lambda token_id: pieces[token_id] if 0 <= token_id < len(pieces) else None,
        prepends_space=True,
        unknown_ids=frozenset(unknown) | _ids_of(getattr(tokenizer, "unk_token_id", None)),
        default_eos_ids=_ids_of(getattr(tokenizer, "eos_token_id", None)),
    )


def _read_slow_byte_level(tokenizer) -> TokenizerReading:
    encoder: dict[str, int] = tokenizer.encoder
    base_size = max(encoder.values()) + 1 if encoder else 0
    num_tokens = _slow_size(tokenizer, base_size)
    pieces: list[str | None] = [None] * num_tokens
    for piece, token_id in encoder.items():
        pieces[token_id] = piece
    byte_decoder = tokenizer.byte_decoder
    if any(byte_decoder.get(char) != byte for char, byte in _standard_byte_decoder().items()):
        raise VocabularyError(
            f"unknown tokenizer family: {type(tokenizer).__name__} has a byte_decoder that is not the "
            "GPT-2 byte-level alphabet"
        )
    data, lengths = byte_level_arrays(pieces)
    replacements: dict[int, bytes | None] = {}
    _add_added_tokens(replacements, tokenizer.added_tokens_decoder)
    return TokenizerReading(
        family=BYTE_LEVEL,
        description=f"slow byte-level tokenizer {type(tokenizer).__name__}",
        num_tokens=num_tokens,
        data=data,
        lengths=lengths,
        replacements=replacements,
        encode=lambda text: list(tokenizer.encode(text, add_special_tokens=False)),
        piece=lambda token_id: pieces[token_id] if 0 <= token_id < len(pieces) else None,
        prepends_space=False,
        unknown_ids=_ids_of(getattr(tokenizer, "unk_token_id", None)),
        default_eos_ids=_ids_of(getattr(tokenizer, "eos_token_id", None)),
    )


def _standard_byte_decoder() -> dict[str, int]:
    """The GPT-2 byte-level alphabet: character -> byte value."""
    table = byte_level_char_table()
    return {chr(int(code_point)): int(table[code_point]) for code_point in np.flatnonzero(table >= 0)}
