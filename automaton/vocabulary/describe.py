"""What an index file says about its vocabulary, and how it differs from another vocabulary.

    vocabulary_metadata(fingerprint, num_tokens, eos_ids, family) -> {metadata key: str}
    mismatch_message(metadata, vocabulary) -> "size 49152 vs 300, EOS ids [0, 2] vs [1], ..."
    remember_family(fingerprint, family) / family_of(fingerprint)

Index files store, beside `vocabulary_fingerprint` and `logits_width`:

    vocabulary_size      the tokenizer's number of ids ("49152")
    vocabulary_eos_ids   the EOS ids, sorted, comma-separated ("0,2")
    vocabulary_family    the tokenizer family (`byte_level`, `sentencepiece`, ..., `raw_bytes` for
                         `Vocabulary.from_token_bytes`); absent when the index was built from
                         arrays whose vocabulary this process never saw

Older files lack these keys: they still load, and a mismatch message says "unknown" for them.
The family is not part of the fingerprint (it describes how the bytes were read), so a
`TokenIndex` learns it from the `Vocabulary` objects of this process, by fingerprint.
"""
from __future__ import annotations

__all__ = [
    "SIZE_KEY", "EOS_KEY", "FAMILY_KEY", "vocabulary_metadata", "mismatch_message", "remember_family",
    "family_of",
]

SIZE_KEY = "vocabulary_size"
EOS_KEY = "vocabulary_eos_ids"
FAMILY_KEY = "vocabulary_family"
_RAW_BYTES = "raw_bytes"
_families: dict[str, str] = {}


def remember_family(fingerprint: str, family: str) -> None:
    """Record the family of a vocabulary (a tokenizer's family wins over `raw_bytes`)."""
    if family != _RAW_BYTES or fingerprint not in _families:
        _families[fingerprint] = family


def family_of(fingerprint: str) -> str | None:
    return _families.get(fingerprint)


def vocabulary_metadata(fingerprint: str, num_tokens: int, eos_ids, family: str | None) -> dict[str, str]:
    metadata = {SIZE_KEY: str(int(num_tokens)), EOS_KEY: ",".join(str(int(i)) for i in sorted(eos_ids))}
    family = family or family_of(fingerprint)
    if family:
        metadata[FAMILY_KEY] = family
    return metadata


def mismatch_message(metadata: dict, vocabulary) -> str:
    """What differs between the vocabulary an index file was built for and `vocabulary`."""
    ours = {
        "size": str(vocabulary.num_tokens),
        "EOS ids": _eos_text(",".join(str(i) for i in sorted(vocabulary.eos_token_ids))),
        "family": vocabulary.family,
        "logits width": str(vocabulary.logits_width),
    }
    theirs = {
        "size": metadata.get(SIZE_KEY),
        "EOS ids": _eos_text(metadata[EOS_KEY]) if EOS_KEY in metadata else None,
        "family": metadata.get(FAMILY_KEY),
        "logits width": metadata.get("logits_width"),
    }
    differ = [f"{name} {theirs[name]} vs {ours[name]}" for name in ours if theirs[name] not in (None, ours[name])]
    unknown = [name for name in ours if theirs[name] is None]
    if differ:
        text = "differs: " + "; ".join(differ) + " (the file's vs this vocabulary's)"
    else:
        text = "same size, EOS ids, family and logits width: the token bytes differ"
        if unknown:
            text = "no difference in what the file records: the token bytes differ"
    if unknown:
        text += f"; the file does not record its vocabulary's {', '.join(unknown)} (an older file)"
    return (
        f"{text} (fingerprint {metadata.get('vocabulary_fingerprint')}, this vocabulary's is "
        f"{vocabulary.fingerprint})"
    )


def _eos_text(ids: str) -> str:
    return f"[{ids.replace(',', ', ')}]"
