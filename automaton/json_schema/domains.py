"""The sets of texts on which complements are taken (`algebra`): where an exact language is exact.

`UNIVERSE`: the JSON scalars in one spelling per value, the one `json.dumps` writes: `null`,
`true`, `false`, integers without fraction, exponent, leading zeros or `-0`, and strings with
`json.dumps(ensure_ascii=False)`'s escapes only (raw characters, `\\"`, `\\\\`, `\\b \\f \\n \\r \\t`,
`\\u00xx` in lower case for the other control characters). It is the same in every layout
(scalars carry no whitespace). Non-integer numbers are left out: a long decimal can round to an
integral double (`1.00000000000000000001` reads as `1.0`), which would make a text of the
universe change kind.

`ASCII_UNIVERSE`: the same, with strings limited to `ASCII_STRINGS`, those whose characters are
printable ASCII (U+0020..U+007E), spelled raw but for `\\"` and `\\\\`. On it a `pattern`'s
automaton is exact (`patterns.exact_on_ascii`): Python's `re` and the automaton differ only on
newlines (`$` also matches before a final one) and non-ASCII characters (Unicode `\\d \\w \\s`).

A `Domain` is one of the two (`FULL`, `ASCII`); a language exact on each of several domains is
exact on their meet (`meet`), the smaller one.

    >>> meet([FULL, ASCII]) is ASCII, meet([]) is FULL
    (True, True)
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from automaton.json_schema.integers import ANY_INTEGER
from automaton.json_schema.regex_text import alternation, repeat
from automaton.json_schema.strings import RAW_CHAR, encoded_chars

__all__ = ["UNIVERSE", "ASCII_STRINGS", "ASCII_UNIVERSE", "Domain", "FULL", "ASCII", "meet"]

_MUST_ESCAPE = [(0x00, 0x1F), (0x22, 0x22), (0x5C, 0x5C)]
_CANONICAL_STRING = '"' + repeat(alternation([RAW_CHAR, encoded_chars(_MUST_ESCAPE)]), 0, None) + '"'
UNIVERSE = f"(null|true|false|{ANY_INTEGER}|{_CANONICAL_STRING})"
ASCII_STRINGS = '"' + repeat(encoded_chars([(0x20, 0x7E)]), 0, None) + '"'
ASCII_UNIVERSE = f"(null|true|false|{ANY_INTEGER}|{ASCII_STRINGS})"


@dataclass(frozen=True)
class Domain:
    """A set of canonical scalar texts (`regex`), and what a complement within it leaves out of
    the universe (`limits`: "" for the universe itself, else a clause for a narrowing's reason)."""

    regex: str
    limits: str


FULL = Domain(UNIVERSE, "")
ASCII = Domain(ASCII_UNIVERSE, ", strings to printable ASCII (where `pattern` is exact)")


def meet(domains: Iterable[Domain]) -> Domain:
    """The largest domain within all of `domains` (`FULL` for none)."""
    return ASCII if any(domain is ASCII for domain in domains) else FULL
