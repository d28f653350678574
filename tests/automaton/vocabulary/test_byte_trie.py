"""The vocabulary's byte trie (`automaton.vocabulary.byte_trie`, from `token_sort_keys` and
`sorted_byte_trie` of `automaton.kernels.trie`) against its definition: one node per distinct non-empty prefix of
the tokens, in depth-first order with children in byte order (which is the prefixes' sorted
order), each subtree a contiguous range, and each token listed at the node that spells it."""
from __future__ import annotations

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import automaton
from automaton.vocabulary.byte_trie import byte_trie

# Few distinct bytes and long tokens: many tokens share their first 7 bytes (one sort key) or
# more, are prefixes of one another, or are the same bytes under two ids; zero bytes among them.
_BYTES = st.sampled_from([0, 1, 97, 98, 255])
_TOKEN = st.one_of(
    st.lists(_BYTES, min_size=0, max_size=24).map(bytes),
    st.lists(_BYTES, min_size=0, max_size=6).map(lambda tail: b"\x00abcdefgh" + bytes(tail)),
)


def expected_trie(tokens: list[bytes]):
    """(node_byte, node_depth, node_end, node_tokens per node) from the definition."""
    strings = sorted({token[:end] for token in tokens for end in range(len(token) + 1)} | {b""})
    ends = []
    for at, string in enumerate(strings):
        end = at + 1
        while end < len(strings) and strings[end].startswith(string):
            end += 1
        ends.append(end)
    listed = [sorted(t for t, token in enumerate(tokens) if token and token == string) for string in strings]
    return [s[-1] if s else 0 for s in strings], [len(s) for s in strings], ends, listed


def check_trie(tokens: list[bytes]) -> None:
    vocabulary = automaton.Vocabulary.from_token_bytes(tokens + [None], eos_token_ids=[len(tokens)])
    node_byte, node_depth, node_end, token_offsets, node_tokens = byte_trie(vocabulary).arrays
    want_byte, want_depth, want_end, want_listed = expected_trie(tokens)
    assert node_byte.tolist() == want_byte
    assert node_depth.tolist() == want_depth
    assert node_end.tolist() == want_end
    assert token_offsets[0] == 0 and token_offsets[-1] == node_tokens.shape[0]
    got_listed = [node_tokens[token_offsets[n]:token_offsets[n + 1]].tolist() for n in range(len(want_listed))]
    assert got_listed == want_listed


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(tokens=st.lists(_TOKEN, min_size=1, max_size=60))
def test_byte_trie_matches_its_definition(tokens):
    check_trie(tokens)


def test_tokens_sharing_long_prefixes_and_duplicates():
    long = b"0123456789abcdefghijklmnopqrstuvwxyz"
    tokens = [long, long[:7], long[:8], long[:14], long[:15], long, b"\x00" * 9, b"\x00" * 8, b"\x00" * 7,
              b"\x00" * 16, b"", long[:6] + b"\xff", long[:21], b"x", b"0"]
    check_trie(tokens)


def test_a_vocabulary_of_many_random_tokens():
    rng = np.random.default_rng(0)
    tokens = [bytes(rng.integers(0, 4, int(rng.integers(1, 20))).astype(np.uint8)) for _ in range(3000)]
    check_trie(tokens)


def test_many_tokens_sharing_their_first_chunks():
    # More tokens with one first chunk than `_sort_ties` sorts in place, in shuffled id order,
    # and runs that stay tied for a second and a third chunk.
    rng = np.random.default_rng(1)
    tails = [bytes(rng.integers(0, 3, int(rng.integers(0, 12))).astype(np.uint8)) for _ in range(120)]
    tokens = [b"abcdefg" + tail for tail in tails] + [b"abcdefg" * 2 + tail for tail in tails[:60]]
    tokens += [b"abcdefg" * 3 + tail for tail in tails[:50]]
    rng.shuffle(tokens)
    check_trie(tokens)
