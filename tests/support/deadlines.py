"""Deadlines for tests that check where a compilation looks at the clock, without timing it."""
from __future__ import annotations

from automaton.dfa.limits import Deadline


class Recording(Deadline):
    """A deadline of `seconds` (None: no budget) that records the stage of every look. A budget
    too large to be spent still makes the stages that only cut their work under a budget (the
    index build's walks) cut it."""

    def __init__(self, seconds: float | None = None) -> None:
        super().__init__(seconds)
        self.looks: list[str] = []

    def check(self, stage: str) -> None:
        self.looks.append(stage)
        super().check(stage)


class TickingClock:
    """A clock that reads 0 when the deadline is made, then one second more at every look."""

    def __init__(self) -> None:
        self.now = -1.0

    def __call__(self) -> float:
        self.now += 1.0
        return self.now
