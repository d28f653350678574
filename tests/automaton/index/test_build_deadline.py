"""The index build under a deadline: the walks are cut into pieces with a look at the deadline
after each (`automaton.index.threads.COST_PER_LOOK`), the index is the same as without one, and
a budget spent inside the walks stops them there. Liveness is read from the DFA when every byte
on its edges is a token of its own; it must agree with the search over the index's edges."""
from __future__ import annotations

import numpy as np
import pytest

import automaton
from automaton import CompileTimeoutError, kernels
from automaton.dfa.limits import Deadline
from automaton.index import build as build_module
from automaton.index import threads as threads_module
from automaton.index.build import build_index
from tests.cases import BENCH_PATTERNS
from tests.support.deadlines import Recording, TickingClock

PATTERNS = [BENCH_PATTERNS["email"], BENCH_PATTERNS["person_schema"], r"[a-z]*[aeiou][a-z]{5}", r"(?:ab|cd){0,400}e?"]


@pytest.fixture
def small_pieces(monkeypatch):
    """Pieces of walks small enough that every build below is cut into many."""
    monkeypatch.setattr(threads_module, "COST_PER_LOOK", 20_000)
    monkeypatch.setattr(build_module, "_THREADED_WALK_ABOVE", 0)


@pytest.mark.parametrize("threads", [1, 2])
@pytest.mark.parametrize("pattern", PATTERNS)
def test_a_build_under_a_deadline_gives_the_same_index(small_pieces, smollm2_vocabulary, pattern, threads):
    dfa = automaton.compile_dfa(pattern)
    plain = build_index(dfa, smollm2_vocabulary, max_states=100_000, threads=threads)
    recording = Recording(10_000)
    timed = build_index(dfa, smollm2_vocabulary, max_states=100_000, threads=threads, deadline=recording)
    for name, array in plain.arrays().items():
        np.testing.assert_array_equal(timed.arrays()[name], array, err_msg=name)
    assert recording.looks.count("building the index") >= 3


def test_a_budget_spent_inside_the_walks_stops_them_there(small_pieces, smollm2_vocabulary):
    dfa = automaton.compile_dfa(BENCH_PATTERNS["person_schema"])
    recording = Recording(10_000)
    build_index(dfa, smollm2_vocabulary, max_states=100_000, threads=1, deadline=recording)
    looks = len(recording.looks)
    assert looks >= 10
    middle = looks // 2
    deadline = Deadline(middle + 0.5, clock=TickingClock())  # expires at look number `middle`
    with pytest.raises(CompileTimeoutError, match=r"\(building the index\)"):
        build_index(dfa, smollm2_vocabulary, max_states=100_000, threads=1, deadline=deadline)
    assert deadline.clock.now == middle + 1  # stopped at that look, not later


def test_a_budget_spent_while_threads_walk_stops_the_build(small_pieces, smollm2_vocabulary):
    dfa = automaton.compile_dfa(BENCH_PATTERNS["person_schema"])
    deadline = Deadline(3.5, clock=TickingClock())
    with pytest.raises(CompileTimeoutError, match=r"\(building the index\)"):
        build_index(dfa, smollm2_vocabulary, max_states=100_000, threads=2, deadline=deadline)


def test_compile_index_spends_one_budget_on_every_stage(small_pieces, smollm2_vocabulary):
    recording = Recording(10_000)
    automaton.compile_index(BENCH_PATTERNS["person_schema"], smollm2_vocabulary, cache=False, time_budget=recording)
    assert "determinizing" in recording.looks and recording.looks.count("building the index") >= 3


def recorded_liveness(monkeypatch, pattern: str, vocabulary):
    """Build the index of `pattern`: (the index, per `_live_states` call: (its answer, the answer
    of the search over the index's successor lists, how many searches it ran itself))."""
    calls = []
    live_states, search = build_module._live_states, kernels.live_index_states
    searches = []

    def counting_search(*args):
        searches.append(1)
        return search(*args)

    def recording(dfa, vocabulary, dfa_state_of, succ_offsets, succ):
        searches.clear()
        live = live_states(dfa, vocabulary, dfa_state_of, succ_offsets, succ)
        from_edges = search(np.ascontiguousarray(dfa.accepting[dfa_state_of]), succ_offsets, succ)
        calls.append((live, from_edges, len(searches)))
        return live

    monkeypatch.setattr(build_module, "_live_states", recording)
    monkeypatch.setattr(kernels, "live_index_states", counting_search)
    index = build_index(automaton.compile_dfa(pattern), vocabulary, max_states=100_000)
    return index, calls


@pytest.mark.parametrize("pattern", PATTERNS)
def test_liveness_read_from_the_dfa_agrees_with_the_index_edges(monkeypatch, smollm2_vocabulary, pattern):
    _, calls = recorded_liveness(monkeypatch, pattern, smollm2_vocabulary)
    assert len(calls) == 1
    live, from_edges, searches = calls[0]
    np.testing.assert_array_equal(live, from_edges)
    assert live.all() and searches == 1  # answered on the DFA's single-token edges alone


def test_liveness_through_longer_tokens_searches_the_index_edges(monkeypatch):
    # "b" is no token: after "a" nothing can follow, and the start is live only through "ab".
    vocabulary = automaton.Vocabulary.from_token_bytes([b"ab", b"a", None], eos_token_ids=[2])
    index, calls = recorded_liveness(monkeypatch, "(?:ab)+", vocabulary)
    [(live, from_edges, searches)] = calls
    np.testing.assert_array_equal(live, from_edges)
    assert live.tolist() == [True, False, True]  # the start, after "a" (a dead end), after "ab"
    assert searches == 2  # the DFA's single-token edges left the start unproven: the index's were searched
    assert index.num_states == 2 and index.allowed_token_ids(0).tolist() == [0]  # "a" dropped, the walk redone
