"""Token indexes applied during generation: logits masking, a transformers LogitsProcessor,
batched generation, the RELLM-compatible `complete_re`, batch extraction, and the embedded default model.

Takes a `TokenIndex` (or a pattern / JSON schema, compiled through `automaton`), a model and a
tokenizer; gives masked logits, constrained generations and extraction records. The error
classes (`decode.errors`) are imported here at once; every other public name is loaded on first
use, so `import decode` does not import torch until needed.

    masking     packed rows -> -inf on the logits (any device); MaskingError
    processor   RegexLogitsProcessor (transformers)
    loop        the KV-cached loop with jump-forward; ForcedTokenizer
    generation  generate -> GenerationResult
    rellm       complete_re;  langchain: RELLM;  models: the embedded SmolLM2
    extraction/ extract, extract_file, `python -m decode extract` (local and Ray engines)
"""
from __future__ import annotations

import importlib

from decode.errors import (
    ChatTemplateError,
    EmptyPromptError,
    ExtractionOptionsError,
    InputFileError,
    MaskingError,
    ModelNotAvailableError,
    OptionalDependencyError,
    ResultFileError,
    ResumeMismatchError,
    TokenNotAllowedError,
    VocabularyMismatchError,
)

# public name -> module that defines it
_LAZY = {
    "models": "decode.models",
    "apply_token_bitmask_": "decode.masking",
    "RegexLogitsProcessor": "decode.processor",
    "generate": "decode.generation",
    "GenerationResult": "decode.generation",
    "complete_re": "decode.rellm",
    "extract": "decode.extraction",
    "extract_file": "decode.extraction",
}

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
    *_LAZY,
]


def __getattr__(name: str):
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'decode' has no attribute {name!r}")
    imported = importlib.import_module(module)
    value = imported if module == f"decode.{name}" else getattr(imported, name)
    globals()[name] = value
    return value


def __dir__():
    return sorted(__all__)
