"""Regular expressions and JSON schemas compiled into token indexes for constrained decoding.

    pattern --compile_dfa--> ByteDFA --compile_index(+ Vocabulary)--> TokenIndex --save--> file

Public names are loaded on first use, so `import automaton` stays cheap (numba and the
tokenizer machinery load only when needed).
"""
from __future__ import annotations

import importlib

from automaton.errors import (
    AutomatonError,
    CompileTimeoutError,
    EmptyLanguageError,
    IncompatibleVocabularyError,
    IndexFileError,
    RegexSyntaxError,
    SettingError,
    TooManyStatesError,
    UnsupportedRegexError,
    UnsupportedSchemaError,
    VocabularyError,
)

__version__ = "0.1.0"

# public name -> module that defines it
_LAZY = {
    "ByteDFA": "automaton.dfa",
    "DEAD_STATE": "automaton.dfa",
    "compile_dfa": "automaton.dfa_builder",
    "DEFAULT_MAX_STATES": "automaton.dfa_builder",
    "Vocabulary": "automaton.vocabulary",
    "TokenIndex": "automaton.index",
    "compile_index": "automaton.compile",
    "load_index": "automaton.storage",
    "json_schema_to_regex": "automaton.json_schema",
}

__all__ = [
    "AutomatonError",
    "CompileTimeoutError",
    "EmptyLanguageError",
    "IncompatibleVocabularyError",
    "IndexFileError",
    "RegexSyntaxError",
    "SettingError",
    "TooManyStatesError",
    "UnsupportedRegexError",
    "UnsupportedSchemaError",
    "VocabularyError",
    *_LAZY,
]


def __getattr__(name: str):
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'automaton' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__():
    return sorted(__all__)
