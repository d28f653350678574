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
    +-- VocabularyMismatchError  an index built for another vocabulary than the model's tokenizer  (ValueError)
    +-- EmptyPromptError         a prompt that encodes to no token at all                         (ValueError)
    +-- ChatTemplateError        chat messages where no chat template can or may be applied        (ValueError)
    +-- InputFileError           an extraction input neither JSON Lines, a JSON array nor text    (ValueError)
    +-- RequestConstraintError   a vLLM request's constraint (extra_args) that cannot be used      (ValueError)
    ResultFileError
    +-- ResumeMismatchError      resuming an output written with another target, model or settings
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
    "VocabularyMismatchError",
    "EmptyPromptError",
    "ChatTemplateError",
    "InputFileError",
    "ResumeMismatchError",
    "RequestConstraintError",
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


class VocabularyMismatchError(AutomatonError, ValueError):
    """A `TokenIndex` was built for another vocabulary than the one of the model and tokenizer it is used with.

    Raised by `decode.generate` (and everything built on it) and by `RegexLogitsProcessor(index,
    tokenizer=...)` / `(index, vocabulary=...)` before any generation: the index's token ids would
    spell other text than the model's. The message names what differs (token counts, the bytes of
    the first differing ids, EOS ids, logits widths) and both fingerprints.
    Attributes: problems (the differences, one sentence each), index_fingerprint, vocabulary_fingerprint.
    """

    def __init__(self, problems: list[str], index_fingerprint: str, vocabulary_fingerprint: str):
        self.problems = list(problems)
        self.index_fingerprint = index_fingerprint
        self.vocabulary_fingerprint = vocabulary_fingerprint
        super().__init__(
            "the index was built for another vocabulary than the model's tokenizer: "
            + "; ".join(problems)
            + f" (index vocabulary fingerprint {index_fingerprint[:16]}...,"
            f" the model's {vocabulary_fingerprint[:16]}...);"
            " compile the pattern for this model (pass the pattern itself, or use "
            "decode.generation.vocabulary_for(model, tokenizer))"
        )


class EmptyPromptError(AutomatonError, ValueError):
    """A prompt encodes to no token at all (an empty string from a tokenizer that adds no BOS):
    there is nothing to generate from.

    Raised by `decode.generate` for the whole call, before any generation, so the caller can drop
    those prompts and call again. Attributes: positions (the indexes of the empty prompts in the list given).
    """

    def __init__(self, positions: list[int]):
        self.positions = list(positions)
        shown = ", ".join(str(p) for p in self.positions[:10]) + (", ..." if len(self.positions) > 10 else "")
        super().__init__(
            f"prompt{'s' if len(self.positions) > 1 else ''} at position {shown} "
            f"encode{'' if len(self.positions) > 1 else 's'} to no token (an empty prompt, and the tokenizer adds no "
            "BOS): nothing to generate from; drop or fill them, or use chat_template=True"
        )


class ChatTemplateError(AutomatonError, ValueError):
    """Chat messages cannot be templated as asked: `chat_template=True` with a tokenizer that has no
    chat template, messages given with `chat_template=False`, or a message that is not a
    `{"role": ..., "content": ...}` mapping. The message names the prompt's position."""


class InputFileError(AutomatonError, ValueError):
    """The input file of an extraction cannot be read as prompts at all: a `.json`/`.jsonl` file that
    is neither JSON Lines (a JSON object a line) nor a JSON array, or an array that is not valid JSON.
    (Single bad lines are not errors: they become failed records.)"""


class ResumeMismatchError(ResultFileError):
    """The output file to resume was written by a run with another target, model or settings (or
    without a run record); the message names what differs. The output file is left untouched."""


class RequestConstraintError(AutomatonError, ValueError):
    """The constraint a vLLM request asks for in `SamplingParams.extra_args` cannot be used: more
    than one of "regex" / "json_schema" / "index", a value of the wrong type, an unknown layout,
    a pattern or schema that does not compile (the compiler's own error follows), or an index file
    that cannot be read. Raised by `decode.vllm.AutomatonLogitsProcessor.validate_params` when the
    request is admitted, so only that request fails (an HTTP 400 from vLLM's server)."""
