"""Token indexes applied during generation: logits masking, a transformers LogitsProcessor,
batched generation, the RELLM-compatible `complete_re`, and the embedded default model.

Public names are loaded on first use, so `import decode` does not import torch until needed.
"""
from __future__ import annotations

import importlib

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

__all__ = list(_LAZY)


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
