"""The limits of a compilation: state counts, a wall-clock deadline, and the work a kernel does
between two looks at the deadline.

    DEFAULT_MAX_STATES = 100_000   the default `max_states` of `compile_dfa` and `compile_index`
    NFA_STATES_PER_DFA_STATE = 8   the NFA may have this many states per allowed DFA state
    WORK_PER_CALL = 2**21          units of work (NFA states visited, edges scanned, ...) a
                                   long-running kernel does per call, a few milliseconds: numba
                                   code has no clock, so the kernels of determinization and
                                   minimization stop after this much and the Python loop around
                                   them checks the deadline before resuming them
    Deadline(seconds)              a wall-clock budget that long loops check now and then
    Deadline.of(budget)            a Deadline from seconds, None, or a Deadline (returned as it is,
                                   so one budget can span several stages)

    >>> Deadline(None).check("anything")   # no budget: never raises
"""
from __future__ import annotations

import time
from collections.abc import Callable

from automaton.errors import CompileTimeoutError

__all__ = ["Deadline", "DEFAULT_MAX_STATES", "NFA_STATES_PER_DFA_STATE", "WORK_PER_CALL"]

DEFAULT_MAX_STATES = 100_000
NFA_STATES_PER_DFA_STATE = 8
WORK_PER_CALL = 1 << 21


class Deadline:
    """A wall-clock budget of `seconds` (None: no limit), counted from construction on `clock`
    (seconds, monotonic; the tests pass a fake one)."""

    def __init__(self, seconds: float | None, clock: Callable[[], float] = time.monotonic):
        if seconds is not None and not seconds > 0:
            raise ValueError(f"time_budget must be a positive number of seconds or None, not {seconds!r}")
        self.seconds = seconds
        self.clock = clock
        self.expires = None if seconds is None else clock() + seconds

    @classmethod
    def of(cls, budget: float | Deadline | None) -> Deadline:
        """`budget` itself when it is a Deadline, else a new one of `budget` seconds."""
        return budget if isinstance(budget, Deadline) else cls(budget)

    def check(self, stage: str) -> None:
        """Raise `CompileTimeoutError` naming `stage` once the budget is spent."""
        if self.expires is not None and self.clock() > self.expires:
            raise CompileTimeoutError(f"compilation took longer than its time budget of {self.seconds} s ({stage})")
