"""Errors of batch extraction (`decode.extract`, `python -m decode extract`); all derive from `AutomatonError`."""
from __future__ import annotations

from automaton.errors import AutomatonError

__all__ = ["ExtractionOptionsError", "ResultFileError", "OptionalDependencyError"]


class ExtractionOptionsError(AutomatonError, ValueError):
    """The options of an extraction contradict each other or name something that is not there
    (two of pattern / schema / index given, a schema file that is not JSON, an unknown engine)."""


class ResultFileError(AutomatonError, ValueError):
    """The output file to resume holds something other than result lines; the message names the line."""


class OptionalDependencyError(AutomatonError, ImportError):
    """An optional extra (Ray, LangChain) is needed and not installed; the message says what to install."""
