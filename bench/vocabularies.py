"""The three real vocabularies the benchmarks run on.

Takes nothing; gives, per vocabulary name, the Hugging Face tokenizer (from the on-disk cache
of `tests.support.tokenizers`, nothing downloaded) and its `automaton.Vocabulary`. Also saves
a vocabulary's arrays to an `.npz` file and rebuilds it from there, so that a fresh benchmark
process gets the same vocabulary (same fingerprint) without loading a tokenizer.

The patterns they run on are in `bench.patterns`.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

__all__ = ["VOCABULARY_NAMES", "load_tokenizer", "load_vocabulary", "save_arrays", "vocabulary_from_arrays"]

VOCABULARY_NAMES = ("SmolLM2", "Mistral v1", "cl100k")

_LOADERS = {
    "SmolLM2": "smollm2_tokenizer",
    "Mistral v1": "mistral_v1_tokenizer",
    "cl100k": "cl100k_tokenizer",
}


def load_tokenizer(name: str):
    """The Hugging Face tokenizer behind `name` (one of VOCABULARY_NAMES)."""
    from tests.support import tokenizers

    if name not in _LOADERS:
        raise KeyError(f"unknown vocabulary {name!r}; known: {', '.join(VOCABULARY_NAMES)}")
    return getattr(tokenizers, _LOADERS[name])()


def load_vocabulary(name: str):
    """(tokenizer, automaton.Vocabulary) for `name`."""
    import automaton

    tokenizer = load_tokenizer(name)
    return tokenizer, automaton.Vocabulary.from_tokenizer(tokenizer)


def save_arrays(vocabulary, path: Path) -> None:
    """Write what `vocabulary_from_arrays` needs to rebuild `vocabulary` into an .npz file."""
    np.savez(
        path,
        token_data=np.asarray(vocabulary.token_data),
        token_offsets=np.asarray(vocabulary.token_offsets),
        eos_token_ids=np.array(sorted(vocabulary.eos_token_ids), dtype=np.int64),
        logits_width=np.int64(vocabulary.logits_width),
        family=np.array(vocabulary.family),
        prepends_space=np.bool_(vocabulary.prepends_space),
    )


def vocabulary_from_arrays(path: Path):
    """The `automaton.Vocabulary` saved by `save_arrays` (same fingerprint)."""
    import automaton

    with np.load(path) as saved:
        return automaton.Vocabulary(
            saved["token_data"],
            saved["token_offsets"],
            saved["eos_token_ids"].tolist(),
            logits_width=int(saved["logits_width"]),
            family=str(saved["family"]),
            prepends_space=bool(saved["prepends_space"]),
        )

