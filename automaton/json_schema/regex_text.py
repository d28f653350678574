"""Combinators of regex text in the dialect the DFA compiler reads.

Takes sub-regexes; gives regex source strings. The dialect is the subset of Python `re` syntax
that interegular parses and that means the same under `re.fullmatch(regex, text, re.ASCII)`:
no lookarounds, backreferences or `\\b`, no `.`, no `\\d \\w \\s`. Characters and sets of
them are written by `automaton.syntax.render` (`literal`, `char_class`).

A sub-regex is a `str`; `None` stands for the empty language (no string at all), and the
combinators below propagate it: a sequence with an impossible part is impossible, an
alternation drops its impossible options.

    >>> sequence("a\\\\.b", optional("c"), repeat("[0-9]", 1, None))
    'a\\\\.bc?[0-9]+'
    >>> alternation(["x", None, "yz"])
    '(x|yz)'
"""
from __future__ import annotations

from collections.abc import Iterable
from functools import lru_cache

from automaton.syntax.render import SPECIAL

__all__ = [
    "Regex",
    "group",
    "sequence",
    "alternation",
    "optional",
    "repeat",
]

Regex = str | None


@lru_cache(maxsize=4096)
def _is_atom(regex: str) -> bool:
    """True when `regex` is one unit a quantifier can follow without parentheses."""
    if len(regex) == 1:
        return regex not in SPECIAL
    if regex.startswith("\\x") and len(regex) == 4:
        return True
    if len(regex) == 2 and regex[0] == "\\":
        return True
    if regex[0] in "([":
        closing = ")" if regex[0] == "(" else "]"
        # the bracket at 0 closes at the very end
        return _first_outside_groups(regex, ")]") == len(regex) - 1 and regex[-1] == closing
    return False


def _first_outside_groups(regex: str, wanted: str) -> int:
    """Index of the first character of `wanted` that stands outside escapes and with no group
    open after it (-1 if none): a `|`, a `)` closing the outermost group, or a `]` closing a
    class (Python's rules: a `]` right after `[` or `[^` is literal)."""
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
                if depth == 0 and c in wanted:
                    return i
        elif c == "[":
            in_class = True
        elif c == "(":
            depth += 1
        elif c == ")":
            depth -= 1
            if depth == 0 and c in wanted:
                return i
        elif c == "|" and depth == 0 and c in wanted:
            return i
        i += 1
    return -1


def group(regex: str) -> str:
    """`regex` wrapped so a quantifier or a neighbour applies to all of it."""
    if regex == "" or _is_atom(regex):
        return regex
    return f"({regex})"


@lru_cache(maxsize=4096)
def _top_level_alternation(regex: str) -> bool:
    return _first_outside_groups(regex, "|") >= 0


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


def repeat(regex: Regex, low: int, high: int | None) -> Regex:
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

