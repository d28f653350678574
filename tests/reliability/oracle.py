"""Brute-force oracle: can a text still become a full match of a pattern? (the `regex` module's
partial matching, ASCII flag, guarded against two bugs of `regex` 2026.11.19 found by these tests).

1. After a lazy repeat, partial matching accepts anything:
   `regex.fullmatch(r"b\\s*?x", "ba", partial=True)` is a match, although no string starting
   with "ba" matches. Lazy and greedy quantifiers mean the same language under full matching
   (and in our semantics), so `regex` is asked about the greedy form (`greedy`).
2. In its default (V0) mode, a scoped `(?i:...)` branch of an alternation makes negated classes
   of the other branches case-insensitive: `regex.fullmatch(r"[^ab]|(?i:a)", "B")` is None,
   while `re` matches. Its V1 mode gets that right but differs elsewhere (full case folding of
   non-ASCII letters under `(?i)`). `PartialOracle` asks both modes and answers only where
   they agree (None otherwise); a text that `re` matches fully is a partial match whatever
   `regex` says.
"""
from __future__ import annotations

import re

import regex

__all__ = ["greedy", "PartialOracle"]

# An escaped character (kept as is), or a quantifier followed by the `?` that makes it lazy.
_LAZY = re.compile(r"(\\.)|([*+?}])\?")


def greedy(pattern: str) -> str:
    """`pattern` with `*? +? ?? {m,n}?` turned into `* + ? {m,n}` (patterns without such
    characters inside classes, as the test grammars produce)."""
    return _LAZY.sub(lambda m: m.group(1) or m.group(2), pattern)


class PartialOracle:
    """`oracle(text)`: True / False whether `text` is a prefix of a full match; None when the
    two `regex` modes disagree (and `re` does not fully match the text)."""

    def __init__(self, pattern: str):
        self.full = re.compile(pattern, re.ASCII)
        self.modes = [regex.compile(greedy(pattern), regex.ASCII | regex.V0)]
        try:
            self.modes.append(regex.compile(greedy(pattern), regex.ASCII | regex.V1))
        except regex.error:
            pass  # V1 reads some class syntax differently; V0 alone then

    def __call__(self, text: str) -> bool | None:
        if self.full.fullmatch(text):
            return True
        answers = {mode.fullmatch(text, partial=True) is not None for mode in self.modes}
        return answers.pop() if len(answers) == 1 else None
