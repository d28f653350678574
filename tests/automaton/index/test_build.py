"""The numba index build against the plain-Python reference builder, on the same inputs."""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import automaton
from automaton.index.build import build_index
from automaton.index.reference import reference_transitions

SMALL_PATTERNS = [
    r"1+2",
    r"0(x5)?",
    r"[a-c]{2,4}",
    r"(ab|ba)*c?",
    r"\d{1,3}(\.\d+)?",
    r"[α-ω]+",
    r"日本語?",
    r"(?i)ab[^b]{0,2}",
    r"\{\"a\": (true|false)\}",
    r"[^\n]{0,3}x",
    r"😀|ab",
]

ALPHABET = b"0125abcxtruefls.{}\" :\n" + "αβω日本語😀".encode()


def assert_same_as_reference(index, dfa, token_bytes, eos_ids):
    reference = reference_transitions(dfa, token_bytes, eos_ids)
    assert reference, "the reference found no match but the build succeeded"
    built_states = {int(index.dfa_state_of[s]): s for s in range(index.num_states)}
    assert set(built_states) == set(reference)
    assert index.dfa_state_of[index.initial_state] == dfa.initial_state
    for dfa_state, expected in reference.items():
        state = built_states[dfa_state]
        assert index.allowed_token_ids(state).tolist() == sorted(expected)
        assert index.is_accepting(state) == bool(dfa.accepting[dfa_state])
        for token_id in range(index.logits_width):
            got = index.next_state(state, token_id)
            if token_id in expected:
                assert got >= 0 and int(index.dfa_state_of[got]) == expected[token_id]
            else:
                assert got == -1


def vocabulary_from(token_bytes, eos_ids, logits_width=None):
    return automaton.Vocabulary.from_token_bytes(token_bytes, eos_token_ids=eos_ids, logits_width=logits_width)


token_lists = st.lists(
    st.binary(min_size=1, max_size=4).map(lambda b: bytes(ALPHABET[x % len(ALPHABET)] for x in b)),
    min_size=1,
    max_size=40,
)


@pytest.mark.parametrize("merge_classes", [True, False], ids=["class-trie", "byte-trie"])
@pytest.mark.parametrize("pattern", SMALL_PATTERNS)
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(tokens=token_lists, extra_width=st.integers(0, 40))
def test_kernels_match_reference(pattern, merge_classes, tokens, extra_width):
    # Single bytes of the alphabet keep most patterns reachable; random pieces add partial UTF-8.
    token_bytes = [bytes([b]) for b in sorted(set(ALPHABET))] + tokens
    eos = len(token_bytes)
    token_bytes.append(None)
    vocab = vocabulary_from(token_bytes, [eos], logits_width=len(token_bytes) + extra_width)
    dfa = automaton.compile_dfa(pattern)
    index = build_index(dfa, vocab, max_states=10_000, merge_classes=merge_classes)
    assert_same_as_reference(index, dfa, token_bytes, {eos})


@settings(max_examples=60, deadline=None)
@given(tokens=token_lists, pattern=st.sampled_from(SMALL_PATTERNS))
def test_sparse_vocabularies_match_reference_or_fail_clearly(tokens, pattern):
    """Vocabularies that cannot spell every string: states drop out, or the build refuses."""
    token_bytes = list(tokens) + [None]
    eos = len(token_bytes) - 1
    vocab = vocabulary_from(token_bytes, [eos])
    dfa = automaton.compile_dfa(pattern)
    reference = reference_transitions(dfa, token_bytes, {eos})
    if not reference:
        with pytest.raises(automaton.IncompatibleVocabularyError):
            build_index(dfa, vocab, max_states=10_000)
        return
    index = build_index(dfa, vocab, max_states=10_000)
    assert_same_as_reference(index, dfa, token_bytes, {eos})


def test_optional_tail_after_a_full_match_stays_allowed():
    # `0(x5)?`: after "0" the text matches, yet "x" must stay allowed (EOS too).
    token_bytes = [b"0", b"x", b"5", None]
    index = build_index(automaton.compile_dfa(r"0(x5)?"), vocabulary_from(token_bytes, [3]), max_states=100)
    after_zero = index.next_state(index.initial_state, 0)
    assert index.allowed_token_ids(after_zero).tolist() == [1, 3]
    after_x = index.next_state(after_zero, 1)
    assert index.allowed_token_ids(after_x).tolist() == [2]
    assert index.next_state(after_zero, 3) == after_zero


def test_accepting_state_with_nowhere_to_go_allows_only_eos():
    token_bytes = [b"a", b"b", b"ab", None]
    index = build_index(automaton.compile_dfa(r"ab"), vocabulary_from(token_bytes, [3]), max_states=100)
    end = index.next_state(index.initial_state, 2)
    assert index.is_accepting(end)
    assert index.allowed_token_ids(end).tolist() == [3]


def test_dead_end_tokens_are_pruned():
    # "ab" leads to a state needing "c", which no token spells: only "x" survives.
    token_bytes = [b"ab", b"x", b"a", None]
    index = build_index(automaton.compile_dfa(r"abc|x"), vocabulary_from(token_bytes, [3]), max_states=100)
    assert index.allowed_token_ids(index.initial_state).tolist() == [1]


def test_columns_past_the_tokenizer_are_never_allowed():
    token_bytes = [b"a", None]
    vocab = vocabulary_from(token_bytes, [1], logits_width=100)
    index = build_index(automaton.compile_dfa(r"a*"), vocab, max_states=100)
    for state in range(index.num_states):
        row = index.mask(state)
        assert row.shape == (4,)
        assert set(index.allowed_token_ids(state).tolist()) <= {0, 1}
    assert index.next_state(0, 99) == -1
    assert index.next_state(0, 100) == -1


def test_unspellable_pattern_names_the_bytes_it_needs():
    vocab = vocabulary_from([b"a", b"b", None], [2])
    with pytest.raises(automaton.IncompatibleVocabularyError, match=r"b'c'"):
        build_index(automaton.compile_dfa(r"c+"), vocab, max_states=100)


def test_max_states_stops_the_build():
    vocab = vocabulary_from([b"a", b"b", None], [2])
    with pytest.raises(automaton.TooManyStatesError):
        build_index(automaton.compile_dfa(r"[ab]{0,50}"), vocab, max_states=10)


def test_identical_rows_are_stored_once():
    vocab = vocabulary_from([b"a", None], [1])
    index = build_index(automaton.compile_dfa(r"a{30}"), vocab, max_states=100)
    assert index.num_states == 31
    assert index.num_rows == 2  # "a" only, then EOS only
    assert np.array_equal(index.mask(0), index.mask(29))
