"""Token indexes applied during generation: logits masking, a transformers LogitsProcessor,
batched generation, the RELLM-compatible `complete_re`, batch extraction, and the embedded default model.

Takes a `TokenIndex` (or a pattern / JSON schema, compiled through `automaton`), a model and a
tokenizer; gives masked logits, constrained generations and extraction records. The error
classes (`decode.errors`) are imported here at once; every other public name is loaded on first
use, so `import decode` does not import torch until needed.

    masking     packed rows -> -inf on the logits (any device); MaskingError
    processor   RegexLogitsProcessor (transformers)
    loop        the KV-cached loop with jump-forward; ForcedTokenizer
    generation  generate -> GenerationResult (one constraint, or one per prompt: patterns= / schemas=)
    indexes     a model's vocabulary and indexes, looked up once and kept
    models      the embedded SmolLM2 (`default_model_path()`: one folder for vLLM and transformers)
    vllm        AutomatonLogitsProcessor: a vLLM logits processor, one constraint per request
    integrations/  rellm: complete_re;  langchain: RELLM (also importable as `decode.rellm`, `decode.langchain`)
    extraction/ extract, extract_file, `python -m decode extract` (local, Ray and vLLM engines)
"""
from __future__ import annotations

import importlib
import importlib.abc
import importlib.util
import sys

from decode.errors import (
    ChatTemplateError,
    EmptyPromptError,
    ExtractionOptionsError,
    InputFileError,
    MaskingError,
    ModelNotAvailableError,
    OptionalDependencyError,
    RequestConstraintError,
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
    "complete_re": "decode.integrations.rellm",
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
    "RequestConstraintError",
    *_LAZY,
]


# Short public names of modules that live in a subpackage: `import decode.rellm` gives the very
# module object of `decode.integrations.rellm`.
_MOVED = {"decode.rellm": "decode.integrations.rellm", "decode.langchain": "decode.integrations.langchain"}


class _ModuleAlias(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    def find_spec(self, fullname, path=None, target=None):
        if fullname not in _MOVED:
            return None
        return importlib.util.spec_from_loader(fullname, self)

    def create_module(self, spec):
        return importlib.import_module(_MOVED[spec.name])

    def exec_module(self, module) -> None:
        return None


if not any(isinstance(finder, _ModuleAlias) for finder in sys.meta_path):
    sys.meta_path.append(_ModuleAlias())


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
