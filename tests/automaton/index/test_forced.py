"""Forced continuations stored in the index, against a byte-by-byte brute force over the DFA."""
from __future__ import annotations

import pytest

import automaton
from automaton.dfa.byte_dfa import DEAD_STATE
from automaton.index.forced import MAX_FORCED_BYTES
from tests.cases import CASES

FORCING_CASES = [case for case in CASES if case.name != "explosion_13"]


def brute_force_forced(dfa, state: int) -> bytes:
    """Bytes forced from a DFA state: try all 256 bytes at every step."""
    out = bytearray()
    while len(out) < MAX_FORCED_BYTES and not dfa.accepting[state]:
        live = [b for b in range(256) if dfa.step(state, bytes([b])) != DEAD_STATE]
        if len(live) != 1:
            break
        out.append(live[0])
        state = dfa.step(state, bytes(live))
    return bytes(out)


@pytest.mark.parametrize("case", FORCING_CASES, ids=lambda case: case.name)
def test_forced_bytes_match_brute_force(case, smollm2_vocabulary, tmp_path):
    dfa = automaton.compile_dfa(case.pattern)
    index = automaton.compile_index(dfa, smollm2_vocabulary, cache=tmp_path)
    for state in range(index.num_states):
        expected = brute_force_forced(dfa, int(index.dfa_state_of[state]))
        assert index.forced_bytes(state) == expected, state


@pytest.mark.parametrize("case", FORCING_CASES, ids=lambda case: case.name)
def test_sole_tokens_are_the_only_allowed_token(case, smollm2_vocabulary, tmp_path):
    index = automaton.compile_index(case.pattern, smollm2_vocabulary, cache=tmp_path)
    for state in range(index.num_states):
        allowed = index.allowed_token_ids(state).tolist()
        sole = int(index.sole_token[state])
        if len(allowed) == 1 and not index.is_accepting(state):
            assert sole == allowed[0]
        else:
            assert sole == -1
        tokens = index.forced_tokens(state)
        # Each forced token spells the start of the forced bytes, one after another.
        spelled = b"".join(index.token_bytes(t) for t in tokens)
        assert index.forced_bytes(state).startswith(spelled)
        assert index.advance(state, tokens) >= 0


def test_json_keys_are_forced(smollm2_vocabulary, tmp_path):
    index = automaton.compile_index(r'\{"name":"[a-z]+","age":[0-9]+\}', smollm2_vocabulary, cache=tmp_path)
    assert index.forced_bytes(index.initial_state) == b'{"name":"'
    state = index.advance(index.initial_state, [t for t in range(smollm2_vocabulary.num_tokens)
                                                if smollm2_vocabulary.token_bytes(t) == b'{"'][:1])
    assert index.forced_bytes(state) == b'name":"'


def test_nothing_is_forced_where_there_is_a_choice(smollm2_vocabulary, tmp_path):
    index = automaton.compile_index(r"(ab|ac)d", smollm2_vocabulary, cache=tmp_path)
    assert index.forced_bytes(index.initial_state) == b"a"
    after_a = index.advance(index.initial_state, [token_of(smollm2_vocabulary, b"a")])
    assert index.forced_bytes(after_a) == b""


def test_accepting_states_force_nothing(smollm2_vocabulary, tmp_path):
    index = automaton.compile_index(r"a(bc)?", smollm2_vocabulary, cache=tmp_path)
    after_a = index.advance(index.initial_state, [token_of(smollm2_vocabulary, b"a")])
    assert index.is_accepting(after_a)
    assert index.forced_bytes(after_a) == b""
    assert index.forced_tokens(after_a) == []


def token_of(vocabulary, data: bytes) -> int:
    return next(t for t in range(vocabulary.num_tokens) if vocabulary.token_bytes(t) == data)


def test_forced_chains_follow_each_state_to_a_choice_and_stop_at_the_cap():
    import numpy as np

    from automaton.index.forced import forced_bytes_table

    # 1 -a-> 2 -b-> 3 -c-> 4 (accepting); 5 -x-> 6 -y-> 5 loops without accepting (an untrimmed DFA).
    classes = np.zeros(256, dtype=np.uint8)
    for cls, byte in enumerate(b"abcxy", start=1):
        classes[byte] = cls
    table = np.zeros((7, 6), dtype=np.int32)
    table[1, 1], table[2, 2], table[3, 3], table[5, 4], table[6, 5] = 2, 3, 4, 6, 5
    accepting = np.array([False, False, False, False, True, False, False])
    offsets, data = forced_bytes_table(table, classes, accepting, np.array([3, 1, 2, 4, 5, 6], dtype=np.int32))
    pieces = [bytes(data[offsets[i] : offsets[i + 1]]) for i in range(len(offsets) - 1)]
    assert pieces[:4] == [b"c", b"abc", b"bc", b""]
    assert pieces[4] == (b"xy" * MAX_FORCED_BYTES)[:MAX_FORCED_BYTES]
    assert pieces[5] == (b"yx" * MAX_FORCED_BYTES)[:MAX_FORCED_BYTES]
