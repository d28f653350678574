"""Building blocks for regex text in the dialect the DFA compiler reads.

Takes plain strings, code point ranges and sub-regexes; gives regex source strings. The
dialect is the subset of Python `re` syntax that interegular parses and that means the same
under `re.fullmatch(regex, text, re.ASCII)`: no lookarounds, backreferences or `\\b`, no `.`,
no `\\d \\w \\s`; control characters are written `\\xNN`, every other character as itself.

A sub-regex is a `str`; `None` stands for the empty language (no string at all), and the
combinators below propagate it: a sequence with an impossible part is impossible, an
alternation drops its impossible options.

    >>> sequence(literal("a.b"), optional("c"), repeat("[0-9]", 1, None))
    'a\\\\.bc?[0-9]+'
    >>> alternation(["x", None, "yz"])
    '(x|yz)'
"""
from __future__ import annotations

from typing import Iterable, Optional

__all__ = [
    "Regex",
    "MAX_CODE_POINT",
    "literal",
    "char_class",
    "group",
    "sequence",
    "alternation",
    "optional",
    "repeat",
    "normalize_ranges",
    "subtract_ranges",
]

Regex = Optional[str]
MAX_CODE_POINT = 0x10FFFF

_SPECIAL = set("\\.^$*+?{}[]()|")
_CLASS_SPECIAL = set("\\]^-[")


def _char(c: str, specials: set[str]) -> str:
    code = ord(c)
    if code < 0x20 or code == 0x7F:
        return f"\\x{code:02x}"
    if c in specials:
        return "\\" + c
    return c


def literal(text: str) -> str:
    """The regex matching exactly `text`."""
    return "".join(_char(c, _SPECIAL) for c in text)


def normalize_ranges(ranges: Iterable[tuple[int, int]]) -> list[tuple[int, int]]:
    """Sorted, disjoint, non-touching inclusive ranges covering the same code points."""
    out: list[tuple[int, int]] = []
    for lo, hi in sorted(r for r in ranges if r[0] <= r[1]):
        if out and lo <= out[-1][1] + 1:
            if hi > out[-1][1]:
                out[-1] = (out[-1][0], hi)
        else:
            out.append((lo, hi))
    return out


def subtract_ranges(ranges: Iterable[tuple[int, int]], removed: Iterable[tuple[int, int]]) -> list[tuple[int, int]]:
    """Code points of `ranges` that are not in `removed`."""
    result = normalize_ranges(ranges)
    for rlo, rhi in normalize_ranges(removed):
        nxt = []
        for lo, hi in result:
            if hi < rlo or lo > rhi:
                nxt.append((lo, hi))
                continue
            if lo < rlo:
                nxt.append((lo, rlo - 1))
            if hi > rhi:
                nxt.append((rhi + 1, hi))
        result = nxt
    return result


# Surrogates never occur in UTF-8 text, and a lone one in the regex source would make it
# unencodable, so classes neither name them nor count them.
_SURROGATES = [(0xD800, 0xDFFF)]
_UNIVERSE = subtract_ranges([(0, MAX_CODE_POINT)], _SURROGATES)


def _complement(ranges: list[tuple[int, int]]) -> list[tuple[int, int]]:
    return subtract_ranges(_UNIVERSE, ranges)


def _class_body(ranges: list[tuple[int, int]]) -> str:
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


def _size(ranges: list[tuple[int, int]]) -> int:
    return sum(hi - lo + 1 for lo, hi in ranges)


def char_class(ranges: Iterable[tuple[int, int]]) -> Regex:
    """One character from the code point `ranges`, written positively or negated, whichever
    names fewer code points (the parser stores a class as the set of code points it names)."""
    ranges = subtract_ranges(ranges, _SURROGATES)
    if not ranges:
        return None
    if len(ranges) == 1 and ranges[0][0] == ranges[0][1]:
        return _char(chr(ranges[0][0]), _SPECIAL)
    outside = _complement(ranges)
    if _size(outside) < _size(ranges):
        return f"[^{_class_body(outside)}]"
    return f"[{_class_body(ranges)}]"


def _is_atom(regex: str) -> bool:
    """True when `regex` is one unit a quantifier can follow without parentheses."""
    if len(regex) == 1:
        return regex not in _SPECIAL
    if regex.startswith("\\x") and len(regex) == 4:
        return True
    if len(regex) == 2 and regex[0] == "\\":
        return True
    if regex[0] in "([":
        closing = ")" if regex[0] == "(" else "]"
        return _matching_close(regex) == len(regex) - 1 and regex[-1] == closing
    return False


def _matching_close(regex: str) -> int:
    """Index of the bracket closing the one at position 0 (-1 if none)."""
    depth = 0
    i = 0
    in_class = False
    while i < len(regex):
        c = regex[i]
        if c == "\\":
            i += 2
            continue
        if in_class:
            if c == "]" and not (regex[i - 1] == "[" or regex[i - 2 : i] == "[^"):
                in_class = False
                if depth == 0:
                    return i
        elif c == "[":
            in_class = True
        elif c == "(":
            depth += 1
        elif c == ")":
            depth -= 1
            if depth == 0:
                return i
        i += 1
    return -1


def group(regex: str) -> str:
    """`regex` wrapped so a quantifier or a neighbour applies to all of it."""
    if regex == "" or _is_atom(regex):
        return regex
    return f"({regex})"


def _top_level_alternation(regex: str) -> bool:
    depth = 0
    i = 0
    in_class = False
    while i < len(regex):
        c = regex[i]
        if c == "\\":
            i += 2
            continue
        if in_class:
            if c == "]" and not (regex[i - 1] == "[" or regex[i - 2 : i] == "[^"):
                in_class = False
        elif c == "[":
            in_class = True
        elif c == "(":
            depth += 1
        elif c == ")":
            depth -= 1
        elif c == "|" and depth == 0:
            return True
        i += 1
    return False


def sequence(*parts: Regex) -> Regex:
    """The parts one after another; `None` if any part is impossible."""
    out = []
    for part in parts:
        if part is None:
            return None
        if _top_level_alternation(part):
            part = f"({part})"
        out.append(part)
    return "".join(out)


def alternation(options: Iterable[Regex]) -> Regex:
    """Any one of the options (impossible ones dropped, duplicates merged), as one group."""
    kept: list[str] = []
    for option in options:
        if option is not None and option not in kept:
            kept.append(option)
    if not kept:
        return None
    if len(kept) == 1:
        return kept[0]
    if "" in kept:
        kept.remove("")
        return optional(alternation(kept))
    return "(" + "|".join(kept) + ")"


def optional(regex: Regex) -> str:
    """`regex` or nothing (never impossible: nothing is always possible)."""
    if regex is None or regex == "":
        return ""
    return group(regex) + "?"


def repeat(regex: Regex, low: int, high: Optional[int]) -> Regex:
    """`regex` repeated `low`..`high` times (`high=None`: unbounded)."""
    if high is not None and high < low:
        return None
    if regex is None:
        return "" if low == 0 else None
    if regex == "" or high == 0:
        return ""
    if low == high == 1:
        return regex
    atom = group(regex)
    if high is None:
        if low == 0:
            return atom + "*"
        if low == 1:
            return atom + "+"
        return f"{atom}{{{low},}}"
    if low == 0 and high == 1:
        return atom + "?"
    if low == high:
        return f"{atom}{{{low}}}"
    return f"{atom}{{{low},{high}}}"

