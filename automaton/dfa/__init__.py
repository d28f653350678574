"""Syntax tree -> NFA -> determinize -> minimize -> `ByteDFA`, with the limits of each stage.

    compile_dfa(pattern, max_states=..., time_budget=None) -> ByteDFA   (`automaton.dfa.build`)
    ByteDFA, DEAD_STATE           the dense byte-class DFA (`automaton.dfa.byte_dfa`)
    DEFAULT_MAX_STATES, Deadline  the limits (`automaton.dfa.limits`)

Stages: `nfa` (Thompson NFA over byte ranges, `utf8` turning code-point sets into UTF-8 byte
sequences), `determinize` (subset construction), `minimize` (Hopcroft), their numba kernels in
`automaton.kernels`.
"""
from __future__ import annotations

from automaton._lazy import lazy_exports

_EXPORTS = {
    "compile_dfa": "automaton.dfa.build",
    "ByteDFA": "automaton.dfa.byte_dfa",
    "DEAD_STATE": "automaton.dfa.byte_dfa",
    "DEFAULT_MAX_STATES": "automaton.dfa.limits",
    "Deadline": "automaton.dfa.limits",
}
__all__ = list(_EXPORTS)
__getattr__ = lazy_exports(__name__, _EXPORTS)
