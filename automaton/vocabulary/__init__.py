"""Tokenizer -> `Vocabulary`: the exact bytes of every token, EOS ids, excluded ids, logits
width, fingerprint; and the vocabulary's byte trie.

    Vocabulary.from_tokenizer(hf_tokenizer) / .from_pretrained(path) / .from_token_bytes([...])
    byte_trie(vocabulary) -> ByteTrie    (built once per fingerprint)

Stages: `families` (which tokenizer family: byte-level BPE, SentencePiece with byte fallback,
marked text) -> `token_arrays` (each token's bytes, flat) -> `check` (the tokenizer's own
encode agrees with the bytes) -> `vocabulary` (the class) -> `byte_trie`.
"""
from __future__ import annotations

from automaton._lazy import lazy_exports

_EXPORTS = {
    "Vocabulary": "automaton.vocabulary.vocabulary",
    "ByteTrie": "automaton.vocabulary.byte_trie",
    "byte_trie": "automaton.vocabulary.byte_trie",
}
__all__ = list(_EXPORTS)
__getattr__ = lazy_exports(__name__, _EXPORTS)
