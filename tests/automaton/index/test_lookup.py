"""`automaton.kernels.records.token_records` (the per-token records `TokenIndex.next_state` reads) against a
plain-Python statement of each record, and `next_state` on tokens too long for a record."""
from __future__ import annotations

import struct

import numpy as np
import regex
from hypothesis import given, settings
from hypothesis import strategies as st

import automaton
from automaton import kernels
from automaton.kernels import layout
from automaton.kernels import records as record_kernels


def expected_records(tokens: list[bytes], classes: np.ndarray, eos_ids: list[int]) -> tuple[np.ndarray, bytes]:
    """(records, long_classes) as `token_records` documents them."""
    records = np.zeros((len(tokens), layout.RECORD_BYTES), dtype=np.uint8)
    long_classes = b""
    for t, raw in enumerate(tokens):
        if t in eos_ids:
            continue
        token_classes = bytes(classes[byte] for byte in raw)
        if len(raw) >= layout.RECORD_BYTES:
            span = struct.pack("<II", len(long_classes), len(raw))
            records[t, : 1 + len(span)] = [layout.LONG_TOKEN, *span]
            long_classes += token_classes
        else:
            records[t, : len(raw) + 1] = [len(raw), *token_classes]
    return records, long_classes


def assert_records(found, expected) -> None:
    np.testing.assert_array_equal(found[0], expected[0])
    assert found[1].tobytes() == expected[1]


@st.composite
def token_cases(draw):
    tokens = draw(st.lists(st.binary(max_size=2 * layout.RECORD_BYTES), max_size=80))
    classes = np.array(draw(st.lists(st.integers(0, 255), min_size=256, max_size=256)), dtype=np.uint8)
    eos_ids = draw(st.lists(st.integers(-2, len(tokens) + 2), max_size=3))
    return tokens, classes, eos_ids


def kernel_arguments(tokens, classes, eos_ids):
    offsets = np.zeros(len(tokens) + 1, dtype=np.int32)
    np.cumsum([len(raw) for raw in tokens], out=offsets[1:])
    data = np.frombuffer(b"".join(tokens), dtype=np.uint8).copy()
    return data, offsets, classes, np.array(eos_ids, dtype=np.int32)


@settings(max_examples=300, deadline=None)
@given(token_cases())
def test_token_records_hold_each_tokens_length_and_classes(case):
    tokens, classes, eos_ids = case
    assert_records(record_kernels.token_records(*kernel_arguments(tokens, classes, eos_ids)),
                   expected_records(tokens, classes, eos_ids))


def test_the_ahead_of_time_kernel_writes_the_same_records():
    rng = np.random.default_rng(7)
    tokens = [rng.integers(0, 256, rng.integers(0, 24)).astype(np.uint8).tobytes() for _ in range(2000)]
    classes = rng.integers(0, 40, 256).astype(np.uint8)
    arguments = kernel_arguments(tokens, classes, [5, 1999, 4000])
    native = kernels.native_kernel("token_records")
    assert native is not None, "no up-to-date kernel extension: run `python -m automaton build-kernels`"
    assert_records(native(*arguments), expected_records(tokens, classes, [5, 1999]))


def test_next_state_on_tokens_longer_than_a_record(tmp_path):
    lengths = [1, 2, 14, 15, 16, 17, 31, 40]
    tokens = [b"a" * n for n in lengths] + [b"a" * 15 + b"b", b"a" * 20 + b"b"]
    vocabulary = automaton.Vocabulary.from_token_bytes([*tokens, None], eos_token_ids=[len(tokens)])
    pattern = "a{0,33}b?"
    built = automaton.compile_index(pattern, vocabulary, cache=False)
    built.save(tmp_path / "index.safetensors")
    loaded = automaton.load_index(tmp_path / "index.safetensors", vocabulary)
    for index in (built, loaded):
        for prefix_length in (0, 1, 16, 17, 33):
            state = index.advance(index.initial_state, [0] * prefix_length)
            for t, raw in enumerate(tokens):
                possible = regex.fullmatch(pattern, "a" * prefix_length + raw.decode(), partial=True) is not None
                assert (index.next_state(state, t) >= 0) == possible, (prefix_length, raw)
