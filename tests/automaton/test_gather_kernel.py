"""`_kernels.gather_tokens` (one copy per run of kept tokens) against slicing each token alone."""
from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from automaton import _kernels


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.binary(max_size=6), st.booleans()), max_size=40))
def test_gather_tokens_keeps_exactly_the_kept_tokens_bytes(tokens):
    data = np.frombuffer(b"".join(raw for raw, _ in tokens), dtype=np.uint8)
    offsets = np.zeros(len(tokens) + 1, dtype=np.int64)
    np.cumsum([len(raw) for raw, _ in tokens], out=offsets[1:])
    keep = np.array([kept for _, kept in tokens], dtype=np.bool_)
    gathered, new_offsets = _kernels.gather_tokens(data, offsets, keep)
    assert new_offsets.dtype == np.int32 and new_offsets[0] == 0
    for t, (raw, kept) in enumerate(tokens):
        assert gathered[new_offsets[t] : new_offsets[t + 1]].tobytes() == (raw if kept else b"")
    assert len(gathered) == sum(len(raw) for raw, kept in tokens if kept)
