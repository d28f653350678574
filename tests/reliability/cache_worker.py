"""What one process of the cache stress test does (kept apart from the test so that a spawned
process imports only this: no pytest, no hypothesis).

`STRESS_TOKENS` is an ASCII vocabulary holding every character the stress patterns use as a
single-byte token (so every ASCII string can be spelled), some multi-character tokens, an
excluded id and the EOS id. `compile_all` compiles a list of patterns into one cache folder
once a start event fires and writes, per pattern, the index's allowed sets to a JSON file.
"""
from __future__ import annotations

import json
import warnings
from pathlib import Path

import automaton

STRESS_TOKENS: list[bytes | None] = (
    [bytes([b]) for b in (0x09, 0x0A, 0x0D, *range(0x20, 0x7F))]
    + [b"ab", b"abc", b"12", b"0x", b"  ", b".5", b"xyz", b"-1", b"a1", b"\n\n", b"ba", b"c."]
    + [None]  # an excluded id
)
STRESS_EOS = len(STRESS_TOKENS)
STRESS_TOKEN_BYTES = STRESS_TOKENS + [None]  # the EOS id has no bytes
STRESS_LOGITS_WIDTH = len(STRESS_TOKEN_BYTES) + 5


def stress_vocabulary() -> automaton.Vocabulary:
    return automaton.Vocabulary.from_token_bytes(
        STRESS_TOKEN_BYTES, eos_token_ids=[STRESS_EOS], logits_width=STRESS_LOGITS_WIDTH
    )


def compile_all(folder: str, patterns: list[str], start, result_file: str) -> None:
    """Compile `patterns` (in this order) into the cache `folder` once `start` is set."""
    vocabulary = stress_vocabulary()
    start.wait(timeout=120)
    allowed = {}
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        for pattern in patterns:
            index = automaton.compile_index(pattern, vocabulary, cache=folder)
            allowed[pattern] = [index.allowed_token_ids(s).tolist() for s in range(index.num_states)]
    Path(result_file).write_text(
        json.dumps({"allowed": allowed, "warnings": [str(w.message) for w in caught]})
    )
