"""The exception hierarchy: every error the project raises derives from `AutomatonError`.

Each failure has its own class so callers catch exactly what they mean to handle,
and messages name what is wrong and where (pattern position, token id, file field).
"""
from __future__ import annotations

__all__ = [
    "AutomatonError",
    "RegexSyntaxError",
    "UnsupportedRegexError",
    "TooManyStatesError",
    "CompileTimeoutError",
    "EmptyLanguageError",
    "IncompatibleVocabularyError",
    "VocabularyError",
    "SettingError",
    "IndexFileError",
    "UnsupportedSchemaError",
    "InvalidSchemaError",
    "KernelBuildError",
    "CacheWarning",
    "SchemaNarrowingWarning",
]


class AutomatonError(Exception):
    """Base of every error raised by `automaton` and `decode`."""


class RegexSyntaxError(AutomatonError, ValueError):
    """The pattern is not a valid regular expression.

    Attributes:
        pattern: the pattern as given.
        position: 0-based character offset of the problem in `pattern` (or None if unknown).
    """

    def __init__(self, pattern: str, position: int | None, reason: str):
        self.pattern = pattern
        self.position = position
        self.reason = reason
        super().__init__(_with_caret(f"invalid regular expression: {reason}", pattern, position))


class UnsupportedRegexError(AutomatonError, ValueError):
    """The pattern uses a construct a finite automaton cannot express (backreference, lookaround, ...).

    Attributes:
        pattern: the pattern as given.
        construct: a short name of the construct, e.g. "backreference".
        position: 0-based offset of the construct in `pattern`, or None.
    """

    def __init__(self, pattern: str, construct: str, position: int | None = None, hint: str = ""):
        self.pattern = pattern
        self.construct = construct
        self.position = position
        message = f"unsupported construct: {construct}"
        if hint:
            message += f" ({hint})"
        super().__init__(_with_caret(message, pattern, position))


class TooManyStatesError(AutomatonError):
    """The automaton would exceed `max_states`; raise the limit or simplify the pattern."""

    def __init__(self, message: str, max_states: int):
        self.max_states = max_states
        super().__init__(message)


class CompileTimeoutError(AutomatonError):
    """Compilation ran past its time budget (`time_budget`, seconds)."""


class EmptyLanguageError(AutomatonError, ValueError):
    """No string (or no string made of this vocabulary's tokens) can match the pattern."""


class IncompatibleVocabularyError(EmptyLanguageError):
    """The pattern matches some strings, but none can be spelled with this vocabulary's tokens."""


class VocabularyError(AutomatonError, ValueError):
    """The tokenizer cannot be read into exact token bytes (unknown family, failed self-check, ...)."""


class SettingError(AutomatonError, ValueError):
    """An environment variable of the package holds a value it cannot use (the message names it)."""


class IndexFileError(AutomatonError):
    """An index file is not valid: not an index, truncated, corrupted, newer format, other vocabulary."""


class UnsupportedSchemaError(AutomatonError, ValueError):
    """A JSON-schema keyword cannot be enforced.

    Attributes:
        keyword: the keyword, e.g. "uniqueItems".
        pointer: JSON pointer of the schema object holding it, e.g. "/properties/tags".
    """

    def __init__(self, keyword: str, pointer: str, reason: str = ""):
        self.keyword = keyword
        self.pointer = pointer
        message = f"unsupported JSON-schema keyword {keyword!r} at {pointer or '/'}"
        if reason:
            message += f": {reason}"
        super().__init__(message)


class InvalidSchemaError(UnsupportedSchemaError):
    """The schema is malformed at this keyword (wrong value type, dangling reference, ...)."""


class KernelBuildError(AutomatonError):
    """The ahead-of-time kernels could not be compiled (`python -m automaton build-kernels`);
    the JIT kernels still work."""


class CacheWarning(UserWarning):
    """The index cache could not be read or written; the compilation itself went on (a
    warning, not an error: also importable as `automaton.cache.CacheWarning`)."""


class SchemaNarrowingWarning(UserWarning):
    """A JSON schema compiled to a sound subset of its instances: the message lists each keyword
    narrowed, with the JSON pointers of its sub-schemas and what is left out (key orders, number
    spellings, ...). Issued only when no keyword was dropped (`strict=False`): that warning is a
    plain `UserWarning`, listing the narrowings too."""


def _with_caret(message: str, pattern: str, position: int | None) -> str:
    """`message`, then the pattern as typed and a caret under `position` (when known).

    Printable characters, non-ASCII ones included, are shown as they are; the others (control
    characters, line and paragraph separators, zero-width format characters, lone surrogates)
    as their Python escape (`\\n`, `\\x00`, `\\u2028`), so the pattern stays on one line. The
    caret's column counts the terminal cells of what is shown before it: two for a wide (East
    Asian) character, none for a combining mark."""
    import unicodedata

    def shown(char: str) -> str:
        return char if char.isprintable() else char.encode("unicode_escape").decode("ascii")

    def cells(text: str) -> int:
        width = 0
        for char in text:
            if unicodedata.combining(char) or unicodedata.category(char) in ("Mn", "Me"):
                continue
            width += 2 if unicodedata.east_asian_width(char) in ("W", "F") else 1
        return width

    parts = [shown(char) for char in pattern]
    line = "".join(parts)
    if position is None:
        return f"{message}\n    {line}"
    column = cells("".join(parts[:position]))
    return f"{message} at position {position}\n    {line}\n    {' ' * column}^"
