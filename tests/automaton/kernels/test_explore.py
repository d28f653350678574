"""`automaton.kernels.explore.explore_states` (states walked in batches of look-alike states) against a plain
one-state-at-a-time breadth-first walk over the same class trie: the same states, numbering,
rows, row numbering and successor lists, array for array."""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import automaton
from automaton.dfa.byte_dfa import DEAD_STATE
from automaton.index.class_trie import class_trie
from automaton.kernels import explore as explore_kernels
from automaton.kernels.layout import LANES
from automaton.kernels.trie import subtree_symbols
from automaton.vocabulary.byte_trie import byte_trie

# Counters and alternations give many queued states with the same fan-out, so batches fill up
# and take states from further back in the queue.
PATTERNS = [
    r'[a-z ]{0,30}"[0-9]{0,12}',
    r'\{"k": "[^"]{0,20}", "n": [0-9]{1,9}\}',
    r"(ab|cd|ef){0,9}[xyz]{2,14}",
    r"[α-ω]{0,6}[a-c]{0,20}",
    r"(1|22|333){0,8}",
    # states that loop on most symbols: walks take whole subtrees at once where the loops cover them
    r'\{"k": "[^"]*"(, "n": [0-9]+)*\}',
    r"(.*\}|x+y*)z{0,3}",
]
ALPHABET = b'abcdefxyz0123456789 "{}:,kn' + "αβω".encode()


def one_at_a_time(dfa, table, trie, eos_ids, n_words, allowed_end):
    """The definition: a FIFO queue of states; each state's trie walk (children in layout
    order, `table` giving the DFA's moves on the trie's symbols) lists its successors in the
    order met; a new successor gets the next id."""
    node_class, node_depth, node_end, node_token_offsets, node_tokens = (a.tolist() for a in trie[:5])
    table = table.tolist()
    queue = [dfa.initial_state]
    id_of = {dfa.initial_state: 0}
    rows, row_id, mask_of, succ_offsets, succ = [], {}, [], [0], []
    for d0 in queue:
        bits = set()
        met = []
        walk = {0: d0}
        node = 1
        while node < len(node_class):
            depth = node_depth[node]
            nxt = table[walk[depth - 1]][node_class[node]]
            if nxt == DEAD_STATE:
                node = node_end[node]
                continue
            walk[depth] = nxt
            ending = node_tokens[node_token_offsets[node] : node_token_offsets[node + 1]]
            if ending and allowed_end[nxt]:
                bits.update(ending)
                if nxt not in met:
                    met.append(nxt)
            node += 1
        if dfa.accepting[d0]:
            bits.update(int(e) for e in eos_ids)
        for target in met:
            if target not in id_of:
                id_of[target] = len(queue)
                queue.append(target)
            succ.append(id_of[target])
        succ_offsets.append(len(succ))
        row = np.zeros(n_words, dtype=np.uint32)
        for token in bits:
            row[token >> 5] |= np.uint32(1 << (token & 31))
        key = row.tobytes()
        if key not in row_id:
            row_id[key] = len(rows)
            rows.append(row.view(np.int32))
        mask_of.append(row_id[key])
    return len(queue), queue, rows, mask_of, succ_offsets, succ


def assert_same_exploration(pattern, token_bytes, eos, merge=True):
    vocab = automaton.Vocabulary.from_token_bytes(token_bytes, eos_token_ids=[eos])
    dfa = automaton.compile_dfa(pattern)
    table, trie = class_trie(vocab, dfa, merge=merge)
    n_words = (vocab.logits_width + 31) // 32
    allowed_end = np.ones(dfa.num_states, dtype=np.bool_)
    allowed_end[DEAD_STATE] = False
    eos_ids = np.array([eos], dtype=np.int32)
    got = explore_kernels.explore_states(
        table, dfa.initial_state, allowed_end, np.ascontiguousarray(dfa.accepting), *trie,
        byte_trie(vocab).max_depth, eos_ids, n_words, 100_000,
    )
    n_states, queue, rows, mask_of, succ_offsets, succ = one_at_a_time(dfa, table, trie, eos_ids, n_words, allowed_end)
    assert got[0] == n_states
    assert got[1].tolist() == queue
    assert np.array_equal(got[2], np.array(rows, dtype=np.int32).reshape(len(rows), n_words))
    assert got[3].tolist() == mask_of
    assert got[4].tolist() == succ_offsets
    assert got[5].tolist() == succ
    return n_states


@pytest.mark.parametrize("merge", [True, False], ids=["class-trie", "byte-trie"])
@pytest.mark.parametrize("pattern", PATTERNS)
def test_batched_walk_equals_one_state_at_a_time(pattern, merge):
    token_bytes = [bytes([b]) for b in sorted(set(ALPHABET))] + [b"ab", b"abc", b"12", b'": ', b"xyz", b"  "]
    eos = len(token_bytes)
    n_states = assert_same_exploration(pattern, token_bytes + [None], eos, merge)
    assert n_states > 2 * LANES  # several full batches were walked


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    pattern=st.sampled_from(PATTERNS),
    tokens=st.lists(st.binary(min_size=1, max_size=5).map(lambda b: bytes(ALPHABET[x % len(ALPHABET)] for x in b)),
                    min_size=1, max_size=60),
)
def test_batched_walk_equals_one_state_at_a_time_random_vocabularies(pattern, tokens):
    token_bytes = [bytes([b]) for b in sorted(set(ALPHABET))] + tokens
    assert_same_exploration(pattern, token_bytes + [None], len(token_bytes))


def test_max_states_is_still_enforced():
    token_bytes = [bytes([b]) for b in b"abcdefxyz "]
    vocab = automaton.Vocabulary.from_token_bytes(token_bytes + [None], eos_token_ids=[len(token_bytes)])
    dfa = automaton.compile_dfa(PATTERNS[2])
    allowed_end = np.ones(dfa.num_states, dtype=np.bool_)
    allowed_end[DEAD_STATE] = False
    table, trie = class_trie(vocab, dfa)
    result = explore_kernels.explore_states(
        table, dfa.initial_state, allowed_end, np.ascontiguousarray(dfa.accepting), *trie,
        byte_trie(vocab).max_depth, np.array([len(token_bytes)], dtype=np.int32), 1, 5,
    )
    assert result[0] == -1


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(tokens=st.lists(st.binary(min_size=1, max_size=6), min_size=1, max_size=50, unique=True))
def test_subtree_symbols_are_the_bytes_below_each_node(tokens):
    vocab = automaton.Vocabulary.from_token_bytes(tokens + [None], eos_token_ids=[len(tokens)])
    trie = byte_trie(vocab)
    _, node_depth, node_end, node_token_offsets, node_tokens = trie.arrays
    below = subtree_symbols(trie.arrays[0], node_depth, trie.max_depth, 4)
    assert np.array_equal(below, trie.bytes_below)
    for node in range(node_depth.shape[0]):
        depth = int(node_depth[node])
        expected = set()
        for k in range(node_token_offsets[node], node_token_offsets[node_end[node]]):
            expected.update(tokens[node_tokens[k]][depth:])
        got = {b for b in range(256) if int(below[node, b >> 6]) >> (b & 63) & 1}
        assert got == expected, node


def test_walks_take_the_loops_they_are_given():
    """The loop sets are used: claiming that every state loops on every symbol changes the
    rows (so the loop patterns above, which agree with the definition, do take subtrees whole)."""
    tokens = [bytes([b]) for b in b'"ab'] + [b'ab"', b"aab", b"abab", b'b"a', b'b"b', b'b"ab', b"bb"]
    vocab = automaton.Vocabulary.from_token_bytes(tokens + [None], eos_token_ids=[len(tokens)])
    dfa = automaton.compile_dfa(r'"[^"]*"')
    table, trie = class_trie(vocab, dfa, merge=False)
    allowed_end = np.ones(dfa.num_states, dtype=np.bool_)
    allowed_end[DEAD_STATE] = False

    def explore(state_loops):
        return explore_kernels.explore_states(
            table, dfa.initial_state, allowed_end, np.ascontiguousarray(dfa.accepting), *trie[:6], state_loops,
            byte_trie(vocab).max_depth, np.array([len(tokens)], dtype=np.int32), 1, 100,
        )

    true_loops = explore(trie[6])
    expected = one_at_a_time(dfa, table, trie, np.array([len(tokens)], dtype=np.int32), 1, allowed_end)
    assert np.array_equal(true_loops[2], np.array(expected[2], dtype=np.int32).reshape(-1, 1))
    everything = np.full_like(trie[6], np.iinfo(np.uint64).max)
    everything[DEAD_STATE] = 0
    assert not np.array_equal(explore(everything)[2], true_loops[2])
