"""`ByteDFA`: a deterministic automaton over UTF-8 bytes, stored densely.

Arrays:
    byte_classes: uint8[256]   byte value -> equivalence class (bytes in one class behave alike)
    table: int32[n_states, n_classes]   next state; `DEAD_STATE` (0) rejects forever
    accepting: bool[n_states]   True where the bytes read so far form a full match

The dead state always has id 0 and loops to itself, so a zero-filled row means "reject".
Every other state is live: an accepting state is reachable from it.

    >>> import automaton
    >>> dfa = automaton.compile_dfa(r"[0-9]+(\\.[0-9]+)?")
    >>> dfa.matches(b"3.14"), dfa.matches(b"3.")
    (True, False)
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from automaton.kernels.layout import DEAD

__all__ = ["ByteDFA", "DEAD_STATE"]

DEAD_STATE = DEAD  # the dead state is always 0, so a zeroed table rejects


@dataclass(frozen=True, eq=False)
class ByteDFA:
    """A minimal byte-level DFA. Construct it with `automaton.compile_dfa`."""

    byte_classes: np.ndarray
    table: np.ndarray
    accepting: np.ndarray
    initial_state: int
    pattern: str | None = None

    def __post_init__(self) -> None:
        if self.byte_classes.shape != (256,) or self.byte_classes.dtype != np.uint8:
            raise ValueError("byte_classes must be uint8[256]")
        if self.table.ndim != 2 or self.table.dtype != np.int32:
            raise ValueError("table must be int32[n_states, n_classes]")
        n_states, n_classes = self.table.shape
        if self.accepting.shape != (n_states,) or self.accepting.dtype != np.bool_:
            raise ValueError("accepting must be bool[n_states]")
        if int(self.byte_classes.max()) >= n_classes:
            raise ValueError("byte_classes refers to a class beyond the table")
        if n_states and (self.table[DEAD_STATE] != DEAD_STATE).any():
            raise ValueError("the dead state must loop to itself")
        if not 0 <= self.initial_state < n_states:
            raise ValueError("initial_state out of range")
        for array in (self.byte_classes, self.table, self.accepting):
            array.setflags(write=False)

    @property
    def num_states(self) -> int:
        """Number of states, the dead state included."""
        return int(self.table.shape[0])

    @property
    def num_classes(self) -> int:
        return int(self.table.shape[1])

    def step(self, state: int, data: bytes) -> int:
        """The state reached from `state` after reading `data` (`DEAD_STATE` once it fails)."""
        table, classes = self.table, self.byte_classes
        for byte in data:
            state = int(table[state, classes[byte]])
            if state == DEAD_STATE:
                return DEAD_STATE
        return state

    def matches(self, data: bytes) -> bool:
        """True when `data`, as a whole, matches the pattern (a full match)."""
        return bool(self.accepting[self.step(self.initial_state, data)])

    def __repr__(self) -> str:
        return f"ByteDFA(states={self.num_states}, classes={self.num_classes}, pattern={self.pattern!r})"
