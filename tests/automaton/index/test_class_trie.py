"""The token trie the index build walks: `automaton.kernels.trie.quotient_trie` against the definition (a
token's node spells its bytes' classes), and the merged and unmerged tries giving one index."""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import automaton
from automaton.index.build import build_index
from automaton.index.class_trie import class_trie, should_merge_classes
from automaton.kernels import trie as trie_kernels
from automaton.vocabulary.byte_trie import byte_trie
from tests.cases import BENCH_PATTERNS


def class_string(parent, symbol, node):
    """The classes on the path from the root to `node` of a trie in creation order."""
    spelled = []
    while node > 0:
        spelled.append(int(symbol[node]))
        node = int(parent[node])
    return tuple(reversed(spelled))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    tokens=st.lists(st.binary(min_size=1, max_size=6), min_size=1, max_size=80, unique=True),
    n_classes=st.integers(1, 6),
    seed=st.integers(0, 2**31),
)
def test_quotient_trie_gives_each_class_string_one_node(tokens, n_classes, seed):
    rng = np.random.default_rng(seed)
    class_of = rng.integers(0, n_classes, 256).astype(np.uint8)
    dead_class = rng.random(n_classes) < 0.3
    vocab = automaton.Vocabulary.from_token_bytes(tokens + [None], eos_token_ids=[len(tokens)])
    trie = byte_trie(vocab)
    parent, symbol, listed_tokens, listed_nodes = trie_kernels.quotient_trie(
        *trie.arrays, vocab.num_tokens, class_of, dead_class, trie.max_depth
    )
    assert len(set(listed_tokens.tolist())) == listed_tokens.shape[0], "a token listed twice"
    token_node = np.zeros(vocab.num_tokens, np.int32)
    token_node[listed_tokens] = listed_nodes
    node_of_string = {}
    for token_id, data in enumerate(tokens):
        classes = tuple(int(class_of[b]) for b in data)
        if any(dead_class[c] for c in classes):
            assert token_node[token_id] == 0, "a token through a dead class kept a node"
            continue
        node = int(token_node[token_id])
        assert node > 0
        assert class_string(parent, symbol, node) == classes
        assert node_of_string.setdefault(classes, node) == node, "one class string, two nodes"
    # No two children of one node on the same class: every node is one distinct class string.
    strings = {class_string(parent, symbol, node) for node in range(parent.shape[0])}
    assert len(strings) == parent.shape[0]
    assert parent[0] == -1 and all(0 <= parent[n] < n for n in range(1, parent.shape[0]))


@pytest.mark.parametrize("name", ["seed_json", "email", "datetime", "person_schema"])
def test_merged_and_byte_tries_give_the_same_index(smollm2_vocabulary, name):
    dfa = automaton.compile_dfa(BENCH_PATTERNS[name])
    merged = build_index(dfa, smollm2_vocabulary, max_states=10_000, merge_classes=True)
    unmerged = build_index(dfa, smollm2_vocabulary, max_states=10_000, merge_classes=False)
    # Breadth-first numbering follows the order children are laid out, which differs between
    # the tries; each DFA state must still get the same row, and next states follow the DFA.
    assert sorted(merged.dfa_state_of.tolist()) == sorted(unmerged.dfa_state_of.tolist())
    assert merged.dfa_state_of[merged.initial_state] == unmerged.dfa_state_of[unmerged.initial_state]
    for state in range(merged.num_states):
        other = int(unmerged.state_of_dfa[merged.dfa_state_of[state]])
        assert np.array_equal(merged.mask(state), unmerged.mask(other))
        assert merged.is_accepting(state) == unmerged.is_accepting(other)
        assert merged.forced_bytes(state) == unmerged.forced_bytes(other)
        assert merged.sole_token[state] == unmerged.sole_token[other]
    for name in ("dfa_table", "byte_classes", "token_data", "token_offsets", "eos_token_ids"):
        assert np.array_equal(merged.arrays()[name], unmerged.arrays()[name]), name


def test_merging_is_chosen_when_bytes_share_classes(smollm2_vocabulary):
    trie = byte_trie(smollm2_vocabulary)
    # Letters in one class: the trie collapses to a few hundred nodes.
    assert should_merge_classes(trie, automaton.compile_dfa(r"[a-z]+@[a-z]+\.com"))
    # Literal text: almost every byte is its own class, merging would shrink little.
    literal = automaton.compile_dfa(r"The (quick|slow) brown fox jumps over the lazy dog\.")
    assert not should_merge_classes(trie, literal)
    nodes = class_trie(smollm2_vocabulary, literal, merge=True)[1][0].shape[0]
    assert nodes > 0.3 * trie.num_nodes
