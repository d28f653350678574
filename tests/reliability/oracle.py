"""The brute-force oracle's pattern for the `regex` module: lazy quantifiers made greedy.

`regex` (2026.11.19 here) answers partial matches wrongly after a lazy repeat:
`regex.fullmatch(r"b\\s*?x", "ba", partial=True)` is a match, although no string starting
with "ba" matches. Lazy and greedy quantifiers mean the same language under full matching
(and in our semantics), so the oracle asks `regex` about the greedy form.
"""
from __future__ import annotations

import re

# An escaped character (kept as is), or a quantifier followed by the `?` that makes it lazy.
_LAZY = re.compile(r"(\\.)|([*+?}])\?")


def greedy(pattern: str) -> str:
    """`pattern` with `*? +? ?? {m,n}?` turned into `* + ? {m,n}` (patterns without such
    characters inside classes, as the test grammars produce)."""
    return _LAZY.sub(lambda m: m.group(1) or m.group(2), pattern)
