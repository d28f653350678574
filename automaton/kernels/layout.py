"""Layout constants the kernels and their numba-free readers share (importing this module
does not import numba).

    DEAD          the ByteDFA dead state (`automaton.dfa.DEAD_STATE`)
    RECORD_BYTES  bytes per token in the step records (`automaton.kernels.records`)
    RECORD_SHIFT  log2(RECORD_BYTES): a token's record starts at byte id << RECORD_SHIFT
    LONG_TOKEN    the length byte of a token whose classes do not fit its record
    LANES         DFA states walked side by side in one pass over the trie
"""
from __future__ import annotations

__all__ = ["DEAD", "RECORD_BYTES", "RECORD_SHIFT", "LONG_TOKEN", "LANES"]

DEAD = 0
RECORD_SHIFT = 4
RECORD_BYTES = 1 << RECORD_SHIFT
LONG_TOKEN = 255
LANES = 4
