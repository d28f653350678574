"""The time budget is honoured inside every stage, and what closures allocate stays linear.

numba code has no clock: the kernels of determinization and minimization stop after about
`limits.WORK_PER_CALL` units of work and resume where they stopped, with a look at the deadline
between calls. The mechanism is checked without timing anything:

- a deadline that records its looks (`Recording`) shows each stage looking many times while it
  runs, not only at its ends;
- a fake clock that advances one second per look makes the real `Deadline` expire at a chosen
  look inside a stage: the error names that stage;
- with a work limit of 1 every call does one class of one DFA state (or one splitter), and the
  DFA must be the one an unlimited run gives, array for array.

One test times a real compile, with a generous bound (see there), and one measures memory.
"""
from __future__ import annotations

import subprocess
import sys
import time

import numpy as np
import pytest

import automaton
from automaton import CompileTimeoutError, kernels
from automaton.dfa import determinize as determinize_module
from automaton.dfa import limits
from automaton.dfa import nfa as nfa_module
from automaton.dfa.limits import Deadline
from automaton.syntax.parser import parse_regex
from tests.cases import BENCH_PATTERNS
from tests.support.deadlines import Recording, TickingClock

MANY_CLASSES = "(?:" + "|".join("abcdefghijklmnopqrstuvwxyz") + ")!|[a-z]*[acegikmoqsuwy][a-z]{6}"


def looks_of(pattern: str, **kwargs) -> list[str]:
    recording = Recording()
    automaton.compile_dfa(pattern, time_budget=recording, **kwargs)
    return recording.looks


def test_every_stage_looks_at_the_deadline_while_it_runs(monkeypatch):
    monkeypatch.setattr(limits, "WORK_PER_CALL", 2_000)
    looks = looks_of("a{20000}") + looks_of(MANY_CLASSES) + looks_of(r"[ab]*a[ab]{11}")
    assert looks.count("building the NFA") >= 5  # 40,001 NFA states: a look every 4,096
    assert looks.count("determinizing") >= 20
    assert looks.count("minimizing") >= 20
    # The defaults: a normal pattern looks a few times only.
    monkeypatch.undo()
    assert len(looks_of(BENCH_PATTERNS["email"])) <= 12


@pytest.mark.parametrize("stage", ["building the NFA", "determinizing", "minimizing"])
def test_a_budget_spent_inside_a_stage_stops_it_there(monkeypatch, stage):
    monkeypatch.setattr(limits, "WORK_PER_CALL", 2_000)
    pattern = "a{20000}" if stage == "building the NFA" else MANY_CLASSES
    looks = looks_of(pattern)
    inside = [index for index, look in enumerate(looks) if look == stage]
    assert len(inside) >= 5, looks
    middle = inside[len(inside) // 2]  # neither the first nor the last look of the stage
    deadline = Deadline(middle + 0.5, clock=TickingClock())  # expires at look number `middle`
    with pytest.raises(CompileTimeoutError) as caught:
        automaton.compile_dfa(pattern, time_budget=deadline)
    assert f"({stage})" in str(caught.value) and "time budget" in str(caught.value)
    assert deadline.clock.now == middle + 1  # it stopped at that look, not later


RESUMED = [*BENCH_PATTERNS.values(), MANY_CLASSES, r"[ab]*a[ab]{6}", r"(?:a?b?){40}c", "b*" * 50, r"[^\x00-\x7f]+é?"]


@pytest.mark.parametrize("pattern", RESUMED, ids=[*BENCH_PATTERNS, "many_classes", "ab6", "ab_optional",
                                                  "stars", "non_ascii"])
def test_kernels_stopped_after_every_step_give_the_same_dfa(monkeypatch, pattern):
    expected = automaton.compile_dfa(pattern)
    resumed_rows = []
    subset_steps = kernels.subset_steps

    def recording_steps(*args):
        result = subset_steps(*args)
        resumed_rows.append(result[-1])  # head_class: > 0 when a row was left half done
        return result

    monkeypatch.setattr(limits, "WORK_PER_CALL", 1)
    monkeypatch.setattr(kernels, "subset_steps", recording_steps)
    looks = looks_of(pattern)
    dfa = automaton.compile_dfa(pattern)
    assert dfa.initial_state == expected.initial_state
    np.testing.assert_array_equal(dfa.byte_classes, expected.byte_classes)
    np.testing.assert_array_equal(dfa.table, expected.table)
    np.testing.assert_array_equal(dfa.accepting, expected.accepting)
    assert any(head_class > 0 for head_class in resumed_rows)  # resumed inside a row
    assert looks.count("minimizing") >= 3


def test_a_tiny_budget_stops_a_slow_compile_promptly():
    # `(?:a?b?){5000}`: the rewrites leave it (the non-empty part of a?b? is no smaller), and
    # its subset construction is quadratic: 10,000 DFA states of up to 10,000 NFA states,
    # over 10 s here without a budget. With 0.2 s it must stop in the stage that runs. The
    # bound is wall-clock, so it is generous (25 times the budget, for a loaded machine); one
    # kernel call left to run to its end would take the whole 10 s.
    started = time.monotonic()
    with pytest.raises(CompileTimeoutError, match=r"0\.2 s \(determinizing\)"):
        automaton.compile_dfa("(?:a?b?){5000}", time_budget=0.2)
    assert time.monotonic() - started < 5.0


def test_the_closure_table_stays_within_its_budget():
    # Without the rewrites, "b*" * 9000 has 36,000 NFA states whose closures hold 40 million
    # states in all (each star reaches every later one): the table keeps what fits its
    # budget, linear in the NFA, and the rest is walked.
    builder = nfa_module._Builder(10**6, Deadline(None))
    nfa = builder.nfa
    nfa.start, nfa.final = builder.fragment(parse_regex("b*" * 9000))
    edge_sources = np.array(nfa.edge_sources, dtype=np.int64)
    eps_offsets, eps_targets, kept = determinize_module._epsilon_csr(nfa, edge_sources)
    budget = 4 * (nfa.num_states + len(eps_targets)) + 4096
    targets = np.array(nfa.edge_targets, dtype=np.int32)
    clo_start, clo_states = kernels.target_closures(eps_offsets, eps_targets, kept, targets, budget)
    assert len(clo_states) <= budget < 400_000
    tabulated = np.flatnonzero(clo_start >= 0)
    assert 0 < len(tabulated) < len(set(targets.tolist()))  # the first ones fill it, the others are walked
    eps = [[] for _ in range(nfa.num_states)]
    for source, target in zip(nfa.epsilon_sources, nfa.epsilon_targets):
        eps[source].append(target)
    for target in (*tabulated[:2].tolist(), int(tabulated[-1])):  # against a plain graph search
        seen, stack = {target}, [target]
        while stack:
            for nxt in eps[stack.pop()]:
                if nxt not in seen:
                    seen.add(nxt)
                    stack.append(nxt)
        at = int(clo_start[target])
        assert clo_states[at + 1 : at + 1 + clo_states[at]].tolist() == sorted(s for s in seen if kept[s])
    dense = determinize_module.determinize(nfa, 100, Deadline(None))
    assert dense.table.shape[0] == 2  # the dead state and b*'s one state


PEAK_SCRIPT = """
import resource, sys
import automaton
import automaton.dfa.nfa as nfa_module
nfa_module.simplify = lambda tree: tree  # the tree as parsed: what the kernels used to face
automaton.compile_dfa("warm(up)?")
pattern = sys.argv[1]
dfa = automaton.compile_dfa(eval(pattern))
print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, dfa.num_states)
"""


def peak_kib(pattern_expression: str) -> tuple[int, int]:
    """(peak resident KiB, DFA states) of a fresh process that compiles the pattern unrewritten."""
    out = subprocess.run([sys.executable, "-c", PEAK_SCRIPT, pattern_expression], capture_output=True,
                         text=True, check=True)
    peak, states = out.stdout.split()
    return int(peak), int(states)


def test_closures_of_unrewritten_stars_need_no_large_tables():
    # Before: a table of every NFA state's closure, 1.5 GB at its peak for this 2-state DFA.
    # Now: O(NFA) scratch. Measured as the growth of a fresh process's peak resident memory
    # over one that compiles a tiny pattern.
    base, _ = peak_kib("'a'")
    stars, states = peak_kib("'b*' * 9000")
    optional, _ = peak_kib("'X?(R||){3335}'")
    assert states == 2
    assert stars - base < 150 * 1024, (base, stars)
    assert optional - base < 150 * 1024, (base, optional)
