"""The limits of a compilation: state counts and a wall-clock deadline.

    DEFAULT_MAX_STATES = 100_000   the default `max_states` of `compile_dfa` and `compile_index`
    NFA_STATES_PER_DFA_STATE = 8   the NFA may have this many states per allowed DFA state
    Deadline(seconds)              a wall-clock budget that long loops check now and then

    >>> Deadline(None).check("anything")   # no budget: never raises
"""
from __future__ import annotations

import time

from automaton.errors import CompileTimeoutError

__all__ = ["Deadline", "DEFAULT_MAX_STATES", "NFA_STATES_PER_DFA_STATE"]

DEFAULT_MAX_STATES = 100_000
NFA_STATES_PER_DFA_STATE = 8


class Deadline:
    """A wall-clock budget of `seconds` (None: no limit), counted from construction."""

    def __init__(self, seconds: float | None):
        if seconds is not None and not seconds > 0:
            raise ValueError(f"time_budget must be a positive number of seconds or None, not {seconds!r}")
        self.seconds = seconds
        self.expires = None if seconds is None else time.monotonic() + seconds

    def check(self, stage: str) -> None:
        """Raise `CompileTimeoutError` naming `stage` once the budget is spent."""
        if self.expires is not None and time.monotonic() > self.expires:
            raise CompileTimeoutError(f"compilation took longer than its time budget of {self.seconds} s ({stage})")
