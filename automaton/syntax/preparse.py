"""One pass over a raw pattern before interegular parses its structure.

Takes a pattern that Python's `re` already accepts. Gives `Prepared`:
    text: str                  the pattern where every character class, every escape and every
                               anchor is one placeholder character (a private-use code point absent
                               from the pattern); lazy `?` markers dropped, `(?P<name>` made a plain
                               group, comments removed, the inline flags `a` and `m` dropped (ASCII
                               is the only reading here; `m` changes only anchors, see below), every
                               global flag group merged into one at the very start (so that
                               `(?i)(?s)` keeps both), and a `{` that does not start a quantifier escaped
    origins: tuple[int, ...]   len(text) + 1 offsets: where each character of `text` came from in
                               the pattern (the last entry is len(pattern))
    atoms: dict[str, Atom]     placeholder -> the code points it stands for
    anchors: dict[str, Anchor] placeholder -> the anchor (`^ $ \\A \\Z`) it stands for: whether one
                               is accepted depends on where it sits in the tree (`syntax.anchors`)
    hazards: tuple             (construct, offset) of what the `regex` module reads otherwise than
                               `re` does: a literal `{` (fuzzy matching there), a `[` inside a
                               class (POSIX classes, nested sets), a doubled `--` `&&` `~~` `||`
                               inside a class (set operations); `syntax.compiled` refuses them there

Classes and escapes are read here, as code point ranges, because interegular keeps a class as a
set of characters (a wide range such as `[^\\x00-\\U0010ffff]` costs it a million-element set)
and refuses `\\uXXXX`, `\\UXXXXXXXX` and `\\N{...}`. `\\d \\w \\s` are the ASCII classes
(`charsets.ASCII_CLASSES`).

Constructs no finite automaton can express are refused here with `UnsupportedRegexError`
carrying their position: backreferences, lookahead, lookbehind, conditionals, word boundaries,
atomic groups, possessive quantifiers, and the verbose / unicode inline flags.

`prepare(pattern, classes, unicode, flags)` reads `\\d \\w \\s` from `classes` (a mapping of "d",
"w", "s" to code points; `charsets.ASCII_CLASSES` by default); with `unicode=True` (a compiled
pattern without `re.ASCII`, see `syntax.compiled`) the flag `u` is accepted and a scoped
`(?a:...)` refused; `flags` ("i", "s") are global flags added to the pattern's own.
"""
from __future__ import annotations

import itertools
import re
import unicodedata
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field

from automaton.errors import RegexSyntaxError, UnsupportedRegexError
from automaton.syntax.charsets import ASCII_CLASSES, CodePoints, complement, normalize

__all__ = ["Anchor", "Atom", "Prepared", "prepare"]


@dataclass(frozen=True)
class Atom:
    """A class or escape: the code points `ranges`, or every other code point when `negated`.

    Negation is kept apart so that case folding applies to `ranges` before negating, as in `re`.
    """

    ranges: CodePoints
    negated: bool = False
    source: str = field(default="", compare=False)  # the pattern text it was read from


@dataclass(frozen=True)
class Anchor:
    """`^`, `$`, `\\A` or `\\Z` (`construct`, e.g. "anchor ^") at offset `position` of the pattern."""

    construct: str
    position: int

    @property
    def at_start(self) -> bool:
        return self.construct in ("anchor ^", "anchor \\A")


@dataclass(frozen=True)
class Prepared:
    text: str
    origins: tuple[int, ...]
    atoms: dict[str, Atom]
    anchors: dict[str, Anchor] = field(default_factory=dict)
    hazards: tuple[tuple[str, int], ...] = ()


def prepare(
    pattern: str, classes: Mapping[str, CodePoints] = ASCII_CLASSES, unicode: bool = False, flags: str = ""
) -> Prepared:
    return _Scanner(pattern, classes, unicode, flags).run()


_CONTROL_ESCAPES = {"a": 0x07, "f": 0x0C, "n": 0x0A, "r": 0x0D, "t": 0x09, "v": 0x0B}
_HEX_DIGITS = {"x": 2, "u": 4, "U": 8}
_OCTAL = "01234567"
_QUANTIFIER = re.compile(r"\{(\d*)(,\d*)?\}")
# A run of characters that `_Scanner.run` copies as they are, and the extent of a character
# class (Python's rules: a `]` right after `[` or `[^` is literal); the pattern already compiled.
_PLAIN_RUN = re.compile(r"[^\\\[(^$*+?{]+")
_CLASS_TEXT = re.compile(r"\[\^?\]?(?:\\.|[^\\\]])*\]", re.DOTALL)
_INLINE_FLAGS = re.compile(r"\(\?([aiLmsux]*)(?:-([aiLmsux]*))?([:)])")


def _literal(code_point: int) -> Atom:
    return Atom(((code_point, code_point),))


def _placeholders(pattern: str) -> Iterator[str]:
    """Private-use code points (planes 15 and 16) that do not occur in `pattern`."""
    used = set(pattern)
    for code_point in itertools.chain(range(0xF0000, 0xFFFFE), range(0x100000, 0x10FFFE)):
        char = chr(code_point)
        if char not in used:
            yield char
    raise UnsupportedRegexError(pattern, "more classes and escapes than private-use code points")


class _Scanner:
    def __init__(self, pattern: str, classes: Mapping[str, CodePoints], unicode: bool, flags: str):
        self.pattern = pattern
        self.classes = classes
        self.unicode = unicode
        self.anchors: dict[str, Anchor] = {}
        self.global_flags: set[str] = set(flags)
        self.hazards: list[tuple[str, int]] = []
        self.out: list[str] = []
        self.origins: list[int] = []
        self.atoms: dict[str, Atom] = {}
        self.free = _placeholders(pattern)
        self.class_placeholders: dict[str, str] = {}  # class text -> its placeholder (classes repeat)

    # -- output -------------------------------------------------------------------------------

    def emit(self, text: str, origin: int) -> None:
        self.out.extend(text)
        self.origins.extend([origin] * len(text))

    def emit_atom(self, atom: Atom, origin: int) -> None:
        placeholder = next(self.free)
        self.atoms[placeholder] = atom
        self.emit(placeholder, origin)

    def emit_anchor(self, construct: str, origin: int) -> None:
        placeholder = next(self.free)
        self.anchors[placeholder] = Anchor(construct, origin)
        self.emit(placeholder, origin)

    def refuse(self, construct: str, position: int, hint: str = "") -> None:
        raise UnsupportedRegexError(self.pattern, construct, position, hint)

    # -- the scan -------------------------------------------------------------------------------

    def run(self) -> Prepared:
        pattern = self.pattern
        end = len(pattern)
        i = 0
        while i < end:
            char = pattern[i]
            if char == "\\":
                i = self.escape_outside_class(i)
            elif char == "[":
                i = self.char_class(i)
            elif char == "(":
                i = self.group_open(i)
            elif char in "^$":
                self.emit_anchor(f"anchor {char}", i)
                i += 1
            elif char in "*+?":
                self.emit(char, i)
                i = self.quantifier_suffix(i + 1)
            elif char == "{":
                quantifier = _QUANTIFIER.match(pattern, i)
                if quantifier and (quantifier.group(1) or quantifier.group(2)):
                    self.emit(quantifier.group(0), i)
                    i = self.quantifier_suffix(quantifier.end())
                else:  # a literal brace, as in `re`
                    self.hazards.append(("literal {", i))
                    self.emit("\\{", i)
                    i += 1
            else:
                j = _PLAIN_RUN.match(pattern, i).end()
                self.out.extend(pattern[i:j])
                self.origins.extend(range(i, j))
                i = j
        self.origins.append(end)
        text = "".join(self.out)
        origins = tuple(self.origins)
        flags = "".join(sorted(self.global_flags & set("is")))
        if flags:  # interegular keeps only the last global flag group: give it one, first
            text = f"(?{flags}){text}"
            origins = (0,) * (len(flags) + 3) + origins
        return Prepared(text, origins, self.atoms, self.anchors, tuple(self.hazards))

    def quantifier_suffix(self, i: int) -> int:
        """Skip a lazy `?` (same language as greedy); refuse a possessive `+`."""
        if i < len(self.pattern):
            if self.pattern[i] == "?":
                return i + 1
            if self.pattern[i] == "+":
                self.refuse("possessive quantifier", i)
        return i

    def group_open(self, i: int) -> int:
        """Handle the `(` at `i`; returns the offset after what was read."""
        pattern = self.pattern
        if not pattern.startswith("(?", i):
            self.emit("(", i)
            return i + 1
        after = pattern[i + 2 : i + 4]
        if after.startswith("#"):
            return pattern.index(")", i) + 1
        if after[:1] in ("=", "!"):
            self.refuse("lookahead", i)
        if after in ("<=", "<!"):
            self.refuse("lookbehind", i)
        if after.startswith("("):
            self.refuse("conditional", i)
        if after == "P=":
            self.refuse("backreference", i)
        if after.startswith(">"):
            self.refuse("atomic group", i)
        if after == "P<":
            self.emit("(", i)
            return pattern.index(">", i) + 1
        if after.startswith(":"):
            self.emit("(?:", i)
            return i + 3
        flags = _INLINE_FLAGS.match(pattern, i)
        if flags is None:
            raise RegexSyntaxError(pattern, i, "unknown group extension")
        added, removed, closer = flags.group(1), flags.group(2) or "", flags.group(3)
        if "x" in added + removed:
            self.refuse("verbose flag (?x)", i)
        if "L" in added or ("u" in added and not self.unicode):
            self.refuse("inline flag (?u) / (?L)", i, "\\d \\w \\s and case folding are ASCII here")
        if "a" in added and self.unicode and closer == ":":
            self.refuse("inline flag (?a:...)", i, "a scoped ASCII group in a pattern compiled without re.ASCII")
        # ASCII semantics are the only ones here (a Unicode reading has its classes in `classes`);
        # `m` changes only `^` and `$`, which are accepted only where it makes no difference.
        added = added.replace("a", "").replace("u", "").replace("m", "")
        removed = removed.replace("m", "")
        if closer == ")":  # a global flag group: merged with the others at the start
            self.global_flags.update(added)
        elif added or removed:
            self.emit(f"(?{added}{'-' + removed if removed else ''}:", i)
        else:
            self.emit("(?:", i)
        return flags.end()

    def escape_outside_class(self, i: int) -> int:
        pattern = self.pattern
        kind = pattern[i + 1]
        if kind in "bB":
            self.refuse(f"word boundary \\{kind}", i)
        if kind in "AZ":
            self.emit_anchor(f"anchor \\{kind}", i)
            return i + 2
        if kind in "123456789":
            three_octal = pattern[i + 1 : i + 4]
            if not (len(three_octal) == 3 and all(c in _OCTAL for c in three_octal)):
                self.refuse("backreference", i)
        atom, after = self.read_escape(i, in_class=False)
        self.emit_atom(Atom(atom.ranges, atom.negated, pattern[i:after]), i)
        return after

    def read_escape(self, i: int, in_class: bool) -> tuple[Atom, int]:
        """The escape whose backslash is at `i`, and the offset after it."""
        pattern = self.pattern
        kind = pattern[i + 1]
        lower = kind.lower()
        if kind in "dDwWsS":
            return Atom(self.classes[lower], negated=kind.isupper()), i + 2
        if kind in _CONTROL_ESCAPES:
            return _literal(_CONTROL_ESCAPES[kind]), i + 2
        if kind == "b" and in_class:
            return _literal(0x08), i + 2
        if kind in _HEX_DIGITS:
            width = _HEX_DIGITS[kind]
            digits = pattern[i + 2 : i + 2 + width]
            return _literal(int(digits, 16)), i + 2 + width
        if kind == "N":
            close = pattern.index("}", i)
            return _literal(ord(unicodedata.lookup(pattern[i + 3 : close]))), close + 1
        if kind in _OCTAL:
            # `\0` takes up to two more octal digits outside a class; other octal escapes have three.
            j = i + 2
            limit = i + 4
            while j < limit and j < len(pattern) and pattern[j] in _OCTAL:
                j += 1
            return _literal(int(pattern[i + 1 : j], 8)), j
        if kind.isascii() and kind.isalnum():
            raise RegexSyntaxError(pattern, i, f"bad escape \\{kind}")
        return _literal(ord(kind)), i + 2

    def char_class(self, i: int) -> int:
        """Read the class opening at `i` (Python's rules: a `]` first is literal) into one atom;
        a class met before (same text) gets the same placeholder."""
        extent = _CLASS_TEXT.match(self.pattern, i)
        if extent is not None:
            placeholder = self.class_placeholders.get(extent.group())
            if placeholder is not None:
                self.emit(placeholder, i)
                return extent.end()
        j = self.read_class(i)
        if extent is not None and j == extent.end():
            self.class_placeholders[extent.group()] = self.out[-1]
        return j

    def read_class(self, i: int) -> int:
        pattern = self.pattern
        j = i + 1
        negated = pattern[j] == "^"
        if negated:
            j += 1
        ranges: list[tuple[int, int]] = []
        first = True
        while True:
            char = pattern[j]
            if char == "]" and not first:
                j += 1
                break
            first = False
            start, j = self.class_item(j)
            if pattern[j] == "-" and pattern[j + 1] != "]":
                end, j = self.class_item(j + 1)
                if not (_is_single(start) and _is_single(end)):
                    raise RegexSyntaxError(pattern, i, "bad character range")
                ranges.append((start.ranges[0][0], end.ranges[0][0]))
            else:
                ranges.extend(complement(start.ranges) if start.negated else start.ranges)
        self.emit_atom(Atom(normalize(ranges), negated, pattern[i:j]), i)
        return j

    def class_item(self, j: int) -> tuple[Atom, int]:
        pattern = self.pattern
        char = pattern[j]
        if char == "\\":
            return self.read_escape(j, in_class=True)
        if char == "[":
            self.hazards.append(("[ inside a character class", j))
        elif char in "-&~|" and pattern[j + 1] == char:
            self.hazards.append((f"{char}{char} inside a character class", j))
        return _literal(ord(char)), j + 1


def _is_single(atom: Atom) -> bool:
    return not atom.negated and len(atom.ranges) == 1 and atom.ranges[0][0] == atom.ranges[0][1]
