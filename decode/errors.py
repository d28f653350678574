"""Errors raised by `decode` beyond those of `automaton.errors` (all derive from `AutomatonError`)."""
from __future__ import annotations

from automaton.errors import AutomatonError

__all__ = ["ModelNotAvailableError"]


class ModelNotAvailableError(AutomatonError, RuntimeError):
    """The embedded default model cannot be loaded: a package it needs is missing or its file is absent.

    The message says what to install.
    """
