"""`automaton.kernels.rows.gather_tokens` (one copy per run of kept tokens within a 32-token word, kept bits
packed like a mask row) against slicing each token alone."""
from __future__ import annotations

import numpy as np
from hypothesis import example, given, settings
from hypothesis import strategies as st

from automaton.kernels import rows as row_kernels


@st.composite
def tokens_and_kept(draw):
    """(token bytes, kept flags): kept tokens anywhere, a few among long unkept runs (whole
    32-token words with no bit set), or all but a few (whole words with every bit set)."""
    tokens = draw(st.lists(st.binary(max_size=20), max_size=150))
    mode = draw(st.sampled_from(["any", "few kept", "few dropped"]))
    if mode == "any":
        kept = draw(st.lists(st.booleans(), min_size=len(tokens), max_size=len(tokens)))
    else:
        chosen = draw(st.sets(st.integers(0, max(len(tokens) - 1, 0)), max_size=4)) if tokens else set()
        kept = [(t in chosen) == (mode == "few kept") for t in range(len(tokens))]
    return tokens, kept


_TOKENS = [bytes([65 + t % 26]) * (1 + t % 19) for t in range(100)]


@settings(max_examples=300, deadline=None)
@given(tokens_and_kept())
# whole words kept, then words with a few gaps, a word with none kept, a partial last word
@example((_TOKENS, [t < 64 or t in (70, 71, 90) for t in range(100)]))
@example((_TOKENS, [t != 40 for t in range(100)]))
def test_gather_tokens_keeps_exactly_the_kept_tokens_bytes(case):
    tokens, kept = case
    data = np.frombuffer(b"".join(tokens), dtype=np.uint8)
    offsets = np.zeros(len(tokens) + 1, dtype=np.int64)
    np.cumsum([len(raw) for raw in tokens], out=offsets[1:])
    # packed like a mask row, with bits set past the last token too (they must be ignored)
    bits = np.ones(32 * (len(tokens) // 32 + 1), dtype=np.bool_)
    bits[: len(tokens)] = kept
    packed = np.packbits(bits, bitorder="little").view("<i4").astype(np.int32)
    gathered, new_offsets = row_kernels.gather_tokens(data, offsets, packed)
    assert new_offsets.dtype == np.int32 and new_offsets[0] == 0
    for t, raw in enumerate(tokens):
        assert gathered[new_offsets[t] : new_offsets[t + 1]].tobytes() == (raw if kept[t] else b"")
    assert len(gathered) == sum(len(raw) for raw, k in zip(tokens, kept) if k)
