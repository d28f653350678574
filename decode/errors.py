"""Every error `decode` raises beyond Python's own `ValueError` / `TypeError` for bad arguments.

Takes nothing; gives the error classes, all exported from the package root (`decode.MaskingError`, ...).
Each derives from `automaton.AutomatonError` (so one `except AutomatonError` catches the errors of both
packages) and from the builtin error it refines (`ValueError`, `RuntimeError`, `ImportError`), so
code written against the builtin keeps working.

    AutomatonError
    +-- MaskingError             logits / mask rows of the wrong dtype, shape, device or width   (ValueError)
    +-- TokenNotAllowedError     a generated token the index does not allow: the mask was bypassed (RuntimeError)
    +-- ModelNotAvailableError   the embedded default model cannot be loaded                      (RuntimeError)
    +-- ExtractionOptionsError   contradictory or missing options of an extraction                (ValueError)
    +-- ResultFileError          an output file to resume that holds something else than results  (ValueError)
    +-- OptionalDependencyError  an optional extra (Ray, LangChain) is not installed              (ImportError)
"""
from __future__ import annotations

from automaton.errors import AutomatonError

__all__ = [
    "MaskingError",
    "TokenNotAllowedError",
    "ModelNotAvailableError",
    "ExtractionOptionsError",
    "ResultFileError",
    "OptionalDependencyError",
]


class MaskingError(AutomatonError, ValueError):
    """Logits or mask rows of the wrong dtype, shape, device or layout for masking.

    Raised by `decode.masking.apply_token_bitmask_`, `DeviceMasks` and `RegexLogitsProcessor`
    (e.g. logits narrower than the index's logits width); the message says how to fix the input.
    """


class TokenNotAllowedError(AutomatonError, RuntimeError):
    """A generated token is not allowed by the index in its row's state: the mask was bypassed.

    Raised by `RegexLogitsProcessor` (another logits processor ran after it, or generation did not
    call it) and by decode's own loop (a sampler picked a masked-out token).
    Attributes: row, token_id, state, step.
    """

    def __init__(self, row: int, token_id: int, state: int, step: int, hint: str | None = None):
        self.row = row
        self.token_id = token_id
        self.state = state
        self.step = step
        if hint is None:
            hint = (
                "the mask was bypassed (another logits processor after this one, or generation that does not "
                "call it); make RegexLogitsProcessor the last processor and call reset() between generate calls"
            )
        super().__init__(
            f"row {row} generated token {token_id} at step {step}, which index state {state} does not allow: {hint}"
        )


class ModelNotAvailableError(AutomatonError, RuntimeError):
    """The embedded default model cannot be loaded: a package it needs is missing or its file is absent.

    The message says what to install.
    """


class ExtractionOptionsError(AutomatonError, ValueError):
    """The options of an extraction contradict each other or name something that is not there
    (two of pattern / schema / index given, a schema file that is not JSON, an unknown engine,
    a missing input file, a model object given to the Ray engine)."""


class ResultFileError(AutomatonError, ValueError):
    """The output file to resume holds something other than result lines; the message names the line."""


class OptionalDependencyError(AutomatonError, ImportError):
    """An optional extra (Ray, LangChain) is needed and not installed; the message says what to install."""
