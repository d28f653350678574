"""Python regex syntax -> the syntax tree (`tree`). The only module that imports interegular.

`parse_regex(pattern: str) -> Node`, in four steps:

1. Python's `re` parses the pattern; its errors become `RegexSyntaxError` at `re`'s position,
   so nothing `re` rejects is ever accepted.
2. `preparse.prepare` refuses what no finite automaton can express and turns each class and
   escape into one placeholder character standing for a set of code point ranges.
3. interegular parses the structure (groups, alternation, repeats, inline flags). Its errors
   carry no message; the position hides in `__context__` and is mapped back to the pattern.
4. A walk turns interegular's tree into ours, applying the flags: `(?i)` folds ASCII letters,
   `(?s)` lets `.` match a newline; then `anchors.resolve_anchors` drops the anchors that sit
   at an edge of the whole match and refuses the others.

`parse_regex(pattern, reading)` reads the pattern another way than `re.ASCII` does: `reading`
(a `Reading`, made by `syntax.compiled` for a compiled `re` / `regex` pattern) gives the code
points of `\\d \\w \\s` and what `(?i)` makes of each character, class or escape.

    >>> parse_regex("a|b?")
    Alternation(options=(CharSet(ranges=((97, 97),)), Repeat(item=CharSet(ranges=((98, 98),)), min=0, max=1)))
"""
from __future__ import annotations

import re
import warnings
from collections.abc import Mapping
from functools import lru_cache
from typing import Protocol

from interegular.patterns import (
    _DOT,
    _EMPTY,
    InvalidSyntax,
    Pattern,
    REFlags,
    Unsupported,
    _CharGroup,
    _Concatenation,
    _NonCapturing,
    _ParsePattern,
    _Repeated,
)
from interegular.utils.simple_parser import NoMatch, nomatch

from automaton.errors import RegexSyntaxError, UnsupportedRegexError
from automaton.syntax.anchors import resolve_anchors
from automaton.syntax.charsets import ANY, ANY_BUT_NEWLINE, CodePoints, ascii_case_fold, complement, normalize
from automaton.syntax.preparse import Anchor, Atom, Prepared, prepare
from automaton.syntax.python_re import sre_parse
from automaton.syntax.tree import EMPTY_STRING, Alternation, CharSet, Concat, Node, Repeat

__all__ = ["Reading", "parse_regex", "parse_prepared"]


class Reading(Protocol):
    """How a pattern is read when not as `re.ASCII` reads it (see `syntax.compiled`)."""

    classes: Mapping[str, CodePoints]  # "d", "w", "s" -> the code points of `\\d`, `\\w`, `\\s`
    unicode: bool  # `(?u)` is the pattern's own reading (accepted), `(?a:...)` refused
    flags: str  # global flags ("i", "s") that apply as if the pattern started with them

    def case_fold(self, source: str, plain: CodePoints) -> CodePoints:
        """What the one-character regex `source` (a literal, class or escape, matching `plain`
        without `(?i)`) matches under `(?i)`."""


def parse_regex(pattern: str, reading: Reading | None = None) -> Node:
    if not isinstance(pattern, str):
        raise TypeError(f"pattern must be str, not {type(pattern).__name__}")
    _check_with_re(pattern)
    if reading is None:
        return parse_prepared(pattern, prepare(pattern))
    return parse_prepared(pattern, prepare(pattern, reading.classes, reading.unicode, reading.flags), reading)


def parse_prepared(pattern: str, prepared: Prepared, reading: Reading | None = None) -> Node:
    """Parse `prepared.text` with interegular and walk the result (errors point into `pattern`)."""
    parser = _Parser(prepared.text)
    try:
        tree = parser.parse()
    except InvalidSyntax as error:
        failure = error.__context__
        index = failure.index if isinstance(failure, NoMatch) else parser.index
        reason = str(error) or "the parser cannot continue here"
        raise RegexSyntaxError(pattern, prepared.origins[min(index, len(prepared.text))], reason) from None
    except Unsupported as error:
        position = prepared.origins[min(parser.index, len(prepared.text))]
        raise UnsupportedRegexError(pattern, str(error) or "construct", position) from None
    tree = _Walk(pattern, prepared, reading).node(tree, 0)
    return resolve_anchors(tree, pattern) if prepared.anchors else tree


@lru_cache(maxsize=512)  # as `re` keeps its compiled patterns (errors are not kept: they raise again)
def _check_with_re(pattern: str) -> None:
    """Raise RegexSyntaxError where Python's `re` rejects `pattern` (at `re`'s position).

    Only `re`'s parser runs: its compiler adds no error for what `prepare` accepts (it only
    refuses lookbehinds of variable width and its own internal states) and costs as much again
    (0.3 ms of 0.8 for person_schema's regex)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # re's FutureWarnings about possible set syntax
        try:
            sre_parse.parse(pattern)
        except re.error as error:
            raise RegexSyntaxError(pattern, error.pos, error.msg) from None
        except OverflowError as error:
            raise RegexSyntaxError(pattern, None, str(error) or type(error).__name__) from None


class _Parser(_ParsePattern):
    """interegular's parser, with shortcuts for its commonest steps (`_item`, `_repetition`)."""


_STOCK_ITEM = _ParsePattern.obj
# Characters after which the stock parser's `obj` does something else than read one character
# (a group, a class, an escape, `.`, an anchor, an alternative's or a group's end) ...
_NOT_PLAIN = _ParsePattern.SPECIAL_CHARS_STANDARD | {"{"}
# ... and the characters that start a quantifier.
_QUANTIFIER_START = frozenset("*+?{")
_ENDS_ITEMS = frozenset({")", "|", ""})


def _item(self: _Parser):
    """`obj` (one item of a concatenation) as interegular parses it, giving the same tree.

    The stock `obj` reaches a plain character through about ten failed matches (a group? a
    class? an escape? ..., and then four quantifiers), each recorded for error messages; the
    prepared text is mostly plain characters (literal text and class placeholders), so this
    reads them at once. A `)`, `|` or the end stops a concatenation, as `obj` would (by
    raising `nomatch`, the position recorded as the stock tries record it, so that an error
    still points at the furthest position reached); anything else goes to the stock `obj`.
    The expectations listed for an error message are fewer, and `re` has already accepted
    the pattern."""
    data, at = self.data, self.index
    char = data[at : at + 1]
    if char in _ENDS_ITEMS:
        self._expected[at].append("an item")  # as the stock `obj` records its tries here
        raise nomatch
    if char in _NOT_PLAIN:
        return _STOCK_ITEM(self)
    self.index = at + 1
    # The stock `obj` applies `repetition` twice (in `atom`, then itself): `a{2}{3}` nests.
    return self.repetition(self.repetition(_CharGroup(frozenset(char), False)))


def _repetition(self: _Parser, base):
    """`repetition` as interegular parses it: `base` as it is unless a quantifier follows (the
    stock method finds that out through four failed matches)."""
    if self.data[self.index : self.index + 1] not in _QUANTIFIER_START:
        return base
    return _STOCK_REPETITION(self, base)


_STOCK_REPETITION = _ParsePattern.repetition
# Assigned after the class is made: interegular wraps each public method a subclass defines
# in a reset of the position on failure, which these do not need.
_Parser.obj = _item
_Parser.repetition = _repetition


_CASE_INSENSITIVE = REFlags.CASE_INSENSITIVE.value
_SINGLE_LINE = REFlags.SINGLE_LINE.value


class _Walk:
    """interegular's tree -> ours, the flags carried as the int value of `REFlags`.

    Nodes are told apart by their exact class first (an `isinstance` test against
    interegular's abstract base classes is slow), and each distinct character group is
    converted once per flag set: literal text repeats the same ones. An anchor's placeholder
    becomes its `preparse.Anchor` (`anchors` takes them out)."""

    def __init__(self, pattern: str, prepared: Prepared, reading: Reading | None = None):
        self.pattern = pattern
        self.atoms: dict[str, Atom] = prepared.atoms
        self.anchors: dict[str, Anchor] = prepared.anchors
        self.reading = reading
        self.char_sets: dict[tuple, CharSet | Anchor] = {}

    def node(self, item, flags: int) -> Node:
        kind = type(item)
        if kind is _CharGroup:
            key = (item.chars, item.negated, flags)
            found = self.char_sets.get(key)
            if found is None:
                found = self.char_sets[key] = self.char_set(item, flags)
            return found
        if kind is _Concatenation:
            parts = [self.node(part, flags) for part in item.parts if part is not None]
            parts = [part for part in parts if part is not EMPTY_STRING]
            if not parts:
                return EMPTY_STRING
            return parts[0] if len(parts) == 1 else Concat(tuple(parts))
        if kind is _Repeated:
            return Repeat(self.node(item.base, flags), item.min, item.max)
        if isinstance(item, Pattern):
            flags = (flags | item.added_flags.value) & ~item.removed_flags.value
            options = tuple(self.node(option, flags) for option in item.options)
            return options[0] if len(options) == 1 else Alternation(options)
        if isinstance(item, _CharGroup):
            return self.char_set(item, flags)
        if item is _DOT:
            return CharSet(ANY if flags & _SINGLE_LINE else ANY_BUT_NEWLINE)
        if item is _EMPTY:
            return EMPTY_STRING
        if isinstance(item, _NonCapturing):
            raise UnsupportedRegexError(self.pattern, "lookbehind" if item.backwards else "lookahead")
        raise TypeError(f"unexpected node from interegular: {item!r}")

    def char_set(self, group: _CharGroup, flags: int) -> CharSet | Anchor:
        ranges: list[tuple[int, int]] = []
        negated = group.negated
        for char in group.chars:
            atom = self.atoms.get(char)
            if atom is None:
                if char in self.anchors and len(group.chars) == 1:
                    return self.anchors[char]
                ranges.append((ord(char), ord(char)))
            elif atom.negated and len(group.chars) > 1:
                raise TypeError("a negated atom inside a multi-character group")
            else:
                ranges.extend(atom.ranges)
                negated ^= atom.negated
        code_points = normalize(ranges) if len(ranges) > 1 else tuple(ranges)
        if flags & _CASE_INSENSITIVE:
            if self.reading is not None:
                return CharSet(self.reading_fold(group, complement(code_points) if negated else code_points))
            code_points = ascii_case_fold(code_points)
        return CharSet(complement(code_points) if negated else code_points)

    def reading_fold(self, group: _CharGroup, plain: CodePoints) -> CodePoints:
        """What the one character (literal, class or escape) of `group` matches under `(?i)`, as
        `reading` says: it is asked with the text the character was written as."""
        if len(group.chars) != 1 or group.negated:  # not met: each class reaches interegular as one placeholder
            raise TypeError(f"a multi-character group under (?i): {group!r}")
        (char,) = group.chars
        atom = self.atoms.get(char)
        return self.reading.case_fold(re.escape(char) if atom is None else atom.source, plain)
