"""Text and code point sets -> regex source in the dialect `parse_regex` reads.

Takes a string or code point ranges; gives regex text meaning the same under
`re.fullmatch(regex, text, re.ASCII)`: control characters are written `\\xNN`, the characters
special to `re` are backslash-escaped, every other character stands as itself. Surrogates
(U+D800..U+DFFF) are never named: no UTF-8 text holds one, and a lone one would make the regex
text itself unencodable.

    literal(text) -> str                 the regex matching exactly `text`
    char_class(ranges) -> str | None     one character from `ranges` (None: the set is empty)
    regex_of(tree) -> str                a syntax tree (`tree`) written out: every set explicit,
                                         no flags, so it reads back the same under any flags

    >>> literal("a.b")
    'a\\\\.b'
    >>> char_class([(0x30, 0x39), (0x41, 0x41)])
    '[0-9A]'
    >>> from automaton.syntax.parser import parse_regex
    >>> regex_of(parse_regex("(?i)ab+|(?-i:c){2,}"))
    '[Aa][Bb]+|c{2,}'
"""
from __future__ import annotations

from collections.abc import Iterable

from automaton.syntax.charsets import SURROGATES, complement, difference, size
from automaton.syntax.tree import Alternation, CharSet, Concat, Node, Repeat

__all__ = ["SPECIAL", "literal", "char_class", "regex_of"]

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
    if outside and size(outside) < size(ranges):  # (`[^]` is no class: every character is written out)
        return f"[^{_class_body(outside)}]"
    return f"[{_class_body(ranges)}]"


_NOTHING = "[^\\x00-\\U0010ffff]"  # no character at all (a set left empty)


def regex_of(node: Node) -> str:
    """Regex text of the syntax tree `node`: the same language, read with or without `(?i)`/`(?s)`
    (every set is written out; a set left with no character is written as one of nothing)."""
    if isinstance(node, CharSet):
        return char_class(node.ranges) or _NOTHING
    if isinstance(node, Alternation):
        return "|".join(regex_of(option) for option in node.options)
    if isinstance(node, Concat):
        return "".join(
            f"(?:{regex_of(item)})" if isinstance(item, Alternation) else regex_of(item) for item in node.items
        )
    if isinstance(node, Repeat):
        item = regex_of(node.item)
        if not isinstance(node.item, CharSet):
            item = f"(?:{item})"
        return item + _quantifier(node.min, node.max)
    raise TypeError(f"not a syntax tree node: {node!r}")


def _quantifier(low: int, high: int | None) -> str:
    if high is None:
        return {0: "*", 1: "+"}.get(low, f"{{{low},}}")
    if (low, high) == (0, 1):
        return "?"
    return f"{{{low}}}" if low == high else f"{{{low},{high}}}"
