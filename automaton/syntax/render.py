"""Text and code point sets -> regex source in the dialect `parse_regex` reads.

Takes a string or code point ranges; gives regex text meaning the same under
`re.fullmatch(regex, text, re.ASCII)`: control characters are written `\\xNN`, the characters
special to `re` are backslash-escaped, every other character stands as itself. Surrogates
(U+D800..U+DFFF) are never named: no UTF-8 text holds one, and a lone one would make the regex
text itself unencodable.

    literal(text) -> str                 the regex matching exactly `text`
    char_class(ranges) -> str | None     one character from `ranges` (None: the set is empty)

    >>> literal("a.b")
    'a\\\\.b'
    >>> char_class([(0x30, 0x39), (0x41, 0x41)])
    '[0-9A]'
"""
from __future__ import annotations

from collections.abc import Iterable

from automaton.syntax.charsets import SURROGATES, complement, difference, size

__all__ = ["SPECIAL", "literal", "char_class"]

SPECIAL = frozenset("\\.^$*+?{}[]()|")  # characters that mean something outside a class
_CLASS_SPECIAL = frozenset("\\]^-[")


def _char(c: str, specials: frozenset[str]) -> str:
    code = ord(c)
    if code < 0x20 or code == 0x7F:
        return f"\\x{code:02x}"
    if c in specials:
        return "\\" + c
    return c


def literal(text: str) -> str:
    """The regex matching exactly `text`."""
    return "".join(_char(c, SPECIAL) for c in text)


def _class_body(ranges: Iterable[tuple[int, int]]) -> str:
    parts = []
    for lo, hi in ranges:
        first = _char(chr(lo), _CLASS_SPECIAL)
        if hi == lo:
            parts.append(first)
        elif hi == lo + 1:
            parts.append(first + _char(chr(hi), _CLASS_SPECIAL))
        else:
            parts.append(f"{first}-{_char(chr(hi), _CLASS_SPECIAL)}")
    return "".join(parts)


def char_class(ranges: Iterable[tuple[int, int]]) -> str | None:
    """One character from the code point `ranges` (surrogates left out), written positively or
    negated, whichever names fewer code points; a lone character is written as itself. None when
    no code point is left."""
    ranges = difference(ranges, SURROGATES)
    if not ranges:
        return None
    if len(ranges) == 1 and ranges[0][0] == ranges[0][1]:
        return _char(chr(ranges[0][0]), SPECIAL)
    outside = difference(complement(ranges), SURROGATES)
    if size(outside) < size(ranges):
        return f"[^{_class_body(outside)}]"
    return f"[{_class_body(ranges)}]"
