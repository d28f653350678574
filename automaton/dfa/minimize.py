"""Minimisation: a complete `DenseDFA` -> the minimal one, with the same array layout.

Hopcroft's partition refinement groups states with the same language. The group holding the
dead state (id 0) also holds every state from which no accepting state can be reached, so the
result's only non-live state is the dead state, still id 0. The other states are numbered in
breadth-first order from the initial state (id 1, or 0 when the language is empty). Finally,
byte classes whose table columns are equal are merged and renumbered in byte order.

Refinement keeps each block as a contiguous slice of one array of states and marks states by
swapping them to the front of their block, so a split costs the size of its smaller half and
the whole run O(n_states * n_classes * log n_states). It starts from {non-live, live rejecting,
accepting}: the non-live block is stable (its states only lead to each other) and never serves
as a splitter, so edges into it are never scanned. Edges are runs of consecutive classes with
one target; classes that enter a splitter from exactly the same states split alike, so each
such group of classes is used once. It runs in numba kernels (`automaton.kernels.minimize`):
a set-up (the edge runs, the first partition), the refinement in calls of about
`limits.WORK_PER_CALL` units of work with a look at the deadline between them, and the
quotient DFA with the merge of byte classes.
"""
from __future__ import annotations

import numpy as np

from automaton import kernels
from automaton.dfa import limits
from automaton.dfa.determinize import DenseDFA
from automaton.dfa.limits import Deadline

__all__ = ["minimize"]


def minimize(dfa: DenseDFA, deadline: Deadline) -> DenseDFA:
    deadline.check("minimizing")
    table = np.ascontiguousarray(dfa.table, dtype=np.int32)
    accepting = np.ascontiguousarray(dfa.accepting, dtype=np.bool_)
    sources, run_lo, run_hi, bounds, order, blocks, counters = kernels.minimize_setup(table, accepting)
    deadline.check("minimizing")
    while kernels.refine_steps(sources, run_lo, run_hi, bounds, order, blocks, counters, limits.WORK_PER_CALL):
        deadline.check("minimizing")
    table, accepting, initial, byte_classes = kernels.minimize_finish(
        table, accepting, int(dfa.initial), np.ascontiguousarray(dfa.byte_classes, dtype=np.uint8), order[2]
    )
    deadline.check("minimizing")
    return DenseDFA(byte_classes, table, accepting, int(initial))
