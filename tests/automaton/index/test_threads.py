"""The build's walks on several threads (`automaton.index.threads`) against the one-thread
breadth-first walk: the same states, numbering, rows and successor lists, array for array,
whatever the vocabulary (also ones whose tokens skip DFA states, so that some walked states are
never reached) and however many threads."""
from __future__ import annotations

import multiprocessing

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import automaton
import automaton.index.build as index_module
from automaton.dfa.byte_dfa import DEAD_STATE
from automaton.index import threads as threaded_walk
from automaton.index.build import build_index
from automaton.index.class_trie import class_trie
from automaton.kernels.layout import LANES
from automaton.vocabulary.byte_trie import byte_trie
from tests.automaton.kernels.test_explore import ALPHABET, PATTERNS, one_at_a_time
from tests.cases import BENCH_PATTERNS


def explorations(pattern, token_bytes, threads, allowed=None):
    """(threaded result, one-state-at-a-time definition) for `pattern` over `token_bytes` + EOS."""
    eos = len(token_bytes)
    vocab = automaton.Vocabulary.from_token_bytes(token_bytes + [None], eos_token_ids=[eos])
    dfa = automaton.compile_dfa(pattern)
    table, trie = class_trie(vocab, dfa)
    n_words = (vocab.logits_width + 31) // 32
    allowed_end = np.ones(dfa.num_states, dtype=np.bool_) if allowed is None else allowed(dfa)
    allowed_end[DEAD_STATE] = False
    candidates = np.union1d(np.flatnonzero(allowed_end), [dfa.initial_state])
    eos_ids = np.array([eos], dtype=np.int32)
    got = threaded_walk.explore_in_threads(
        table, dfa.initial_state, candidates, allowed_end, np.ascontiguousarray(dfa.accepting), trie,
        byte_trie(vocab).max_depth, eos_ids, n_words, 100_000, threads,
    )
    return got, one_at_a_time(dfa, table, trie, eos_ids, n_words, allowed_end)


def assert_same(got, expected):
    n_states, queue, rows, mask_of, succ_offsets, succ = expected
    assert got[0] == n_states
    assert got[1].tolist() == queue
    assert np.array_equal(got[2], np.array(rows, dtype=np.int32).reshape(len(rows), got[2].shape[1]))
    assert got[3].tolist() == mask_of
    assert got[4].tolist() == succ_offsets
    assert got[5].tolist() == succ


def test_pieces_are_dealt_in_whole_trie_passes():
    states = np.arange(1, 23, dtype=np.int32)
    costs = np.arange(22, 0, -1, dtype=np.float64)  # state 1 costliest
    pieces = threaded_walk._share_out(states[::-1].copy(), costs[::-1].copy(), 3)
    # Passes of four states in falling cost, dealt in turn: whole passes, costliest first.
    assert [piece.tolist() for piece in pieces] == [
        [1, 2, 3, 4, 13, 14, 15, 16], [5, 6, 7, 8, 17, 18, 19, 20], [9, 10, 11, 12, 21, 22],
    ]


@pytest.mark.parametrize("threads", [1, 2, 3])
@pytest.mark.parametrize("pattern", PATTERNS)
def test_threaded_walk_equals_one_state_at_a_time(pattern, threads):
    token_bytes = [bytes([b]) for b in sorted(set(ALPHABET))] + [b"ab", b"abc", b"12", b'": ', b"xyz", b"  "]
    got, expected = explorations(pattern, token_bytes, threads)
    assert_same(got, expected)
    assert got[0] > 2 * LANES  # several passes, shared out among the threads


def test_walked_states_that_no_token_reaches_are_left_out():
    # Only two-byte tokens: the DFA states after an odd number of bytes are walked but never reached.
    got, expected = explorations(r"(ab|cd){1,6}", [b"ab", b"cd", b"abcd"], threads=2)
    assert_same(got, expected)
    dfa = automaton.compile_dfa(r"(ab|cd){1,6}")
    assert 0 < got[0] < dfa.num_states - 1


def test_states_tokens_may_not_end_in_are_respected():
    # The second pass of a build: tokens may end only in some states.
    def every_other(dfa):
        allowed = np.zeros(dfa.num_states, dtype=np.bool_)
        allowed[::2] = True
        return allowed

    token_bytes = [bytes([b]) for b in sorted(set(ALPHABET))] + [b"ab", b"xyz"]
    got, expected = explorations(PATTERNS[2], token_bytes, threads=2, allowed=every_other)
    assert_same(got, expected)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    pattern=st.sampled_from(PATTERNS),
    tokens=st.lists(
        st.binary(min_size=1, max_size=5).map(lambda b: bytes(ALPHABET[x % len(ALPHABET)] for x in b)),
        min_size=1, max_size=60,
    ),
    threads=st.integers(1, 4),
)
def test_threaded_walk_random_vocabularies(pattern, tokens, threads):
    got, expected = explorations(pattern, tokens, threads)
    assert_same(got, expected)


def test_max_states_is_enforced_on_the_reached_states():
    token_bytes = [bytes([b]) for b in b"abcdefxyz "]
    vocab = automaton.Vocabulary.from_token_bytes(token_bytes + [None], eos_token_ids=[len(token_bytes)])
    dfa = automaton.compile_dfa(PATTERNS[2])
    allowed_end = np.ones(dfa.num_states, dtype=np.bool_)
    allowed_end[DEAD_STATE] = False
    table, trie = class_trie(vocab, dfa)
    args = (table, dfa.initial_state, np.flatnonzero(allowed_end), allowed_end,
            np.ascontiguousarray(dfa.accepting), trie, byte_trie(vocab).max_depth,
            np.array([10], np.int32), 1)
    n_reached = threaded_walk.explore_in_threads(*args, 100_000, 2)[0]
    assert threaded_walk.explore_in_threads(*args, n_reached, 2)[0] == n_reached
    assert threaded_walk.explore_in_threads(*args, n_reached - 1, 2)[0] == -1


@pytest.mark.parametrize("name", ["bounded_200", "person_schema"])
def test_real_vocabulary_builds_are_the_same_every_way(monkeypatch, smollm2_vocabulary, name):
    dfa = automaton.compile_dfa(BENCH_PATTERNS[name])
    calls = []
    real = threaded_walk.explore_in_threads
    threads_of = lambda *a: a[10]  # explore_in_threads' positional arguments: threads is the 11th
    monkeypatch.setattr(index_module, "explore_in_threads", lambda *a: calls.append(threads_of(*a)) or real(*a))

    def build(walk_above, threads):
        monkeypatch.setattr(index_module, "_THREADED_WALK_ABOVE", walk_above)
        calls.clear()
        index = build_index(dfa, smollm2_vocabulary, max_states=100_000, threads=threads)
        return index, list(calls)

    breadth_first, used = build(float("inf"), 3)
    assert used == []
    assert build(0, 1)[1] == []  # one thread: always breadth-first
    for threads in (2, 3):
        walked, used = build(0, threads)
        assert used and set(used) == {threads}
        for array_name, array in breadth_first.arrays().items():
            np.testing.assert_array_equal(array, walked.arrays()[array_name], err_msg=array_name)


def test_a_build_with_too_many_states_fails_the_same_on_threads(monkeypatch):
    vocab = automaton.Vocabulary.from_token_bytes([bytes([b]) for b in b"abcdefxyz"] + [None], eos_token_ids=[9])
    monkeypatch.setattr(index_module, "_THREADED_WALK_ABOVE", 0)
    dfa = automaton.compile_dfa(PATTERNS[2])
    with pytest.raises(automaton.TooManyStatesError, match="max_states=5"):
        build_index(dfa, vocab, max_states=5, threads=2)


def test_build_threads_setting(monkeypatch):
    monkeypatch.delenv(threaded_walk.BUILD_THREADS_ENV, raising=False)
    assert threaded_walk.build_threads() == len(__import__("os").sched_getaffinity(0))
    monkeypatch.setenv(threaded_walk.BUILD_THREADS_ENV, "3")
    assert threaded_walk.build_threads() == 3
    for bad in ["0", "-2", "two", "1.5"]:
        monkeypatch.setenv(threaded_walk.BUILD_THREADS_ENV, bad)
        with pytest.raises(automaton.SettingError, match=f"AUTOMATON_BUILD_THREADS={bad!r}"):
            threaded_walk.build_threads()


def _build_in_child(queue):
    token_bytes = [bytes([b]) for b in sorted(set(ALPHABET))]
    got, expected = explorations(PATTERNS[0], token_bytes, threads=2)
    queue.put((got[1].tolist(), expected[1]))


def test_a_forked_child_gets_its_own_pool():
    # The parent's pool threads do not exist in a forked child; reusing the pool would hang.
    token_bytes = [bytes([b]) for b in sorted(set(ALPHABET))]
    explorations(PATTERNS[0], token_bytes, threads=2)  # the parent's pool now exists
    context = multiprocessing.get_context("fork")
    queue = context.Queue()
    child = context.Process(target=_build_in_child, args=(queue,))
    child.start()
    child.join(timeout=60)
    if child.is_alive():
        child.kill()
        pytest.fail("the build in the forked child did not finish")
    got, expected = queue.get(timeout=5)
    assert got == expected
