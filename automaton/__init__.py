"""Regular expressions and JSON schemas compiled into token indexes for constrained decoding.

    pattern --compile_dfa--> ByteDFA --compile_index(+ Vocabulary)--> TokenIndex --save--> file

Public names are loaded on first use, so `import automaton` stays cheap (numba and the
tokenizer machinery load only when needed).
"""
from __future__ import annotations

from automaton._lazy import lazy_exports
from automaton.errors import (
    AutomatonError,
    CacheWarning,
    CompileTimeoutError,
    EmptyLanguageError,
    IncompatibleVocabularyError,
    IndexFileError,
    InvalidSchemaError,
    KernelBuildError,
    RegexSyntaxError,
    SchemaNarrowingWarning,
    SettingError,
    TooManyStatesError,
    UnsupportedRegexError,
    UnsupportedSchemaError,
    VocabularyError,
)

__version__ = "0.1.0"

# public name -> module that defines it
_LAZY = {
    "ByteDFA": "automaton.dfa.byte_dfa",
    "DEAD_STATE": "automaton.dfa.byte_dfa",
    "compile_dfa": "automaton.compile",
    "DEFAULT_MAX_STATES": "automaton.dfa.limits",
    "Vocabulary": "automaton.vocabulary.vocabulary",
    "TokenIndex": "automaton.index.token_index",
    "compile_index": "automaton.compile",
    "load_index": "automaton.compile",
    "save_index": "automaton.compile",
    "json_schema_to_regex": "automaton.json_schema",
    "json_schema_to_dfa": "automaton.json_schema",
}

__all__ = [
    "AutomatonError",
    "CacheWarning",
    "InvalidSchemaError",
    "KernelBuildError",
    "CompileTimeoutError",
    "EmptyLanguageError",
    "IncompatibleVocabularyError",
    "IndexFileError",
    "RegexSyntaxError",
    "SchemaNarrowingWarning",
    "SettingError",
    "TooManyStatesError",
    "UnsupportedRegexError",
    "UnsupportedSchemaError",
    "VocabularyError",
    *_LAZY,
]


__getattr__ = lazy_exports(__name__, _LAZY)


def __dir__():
    return sorted(__all__)
