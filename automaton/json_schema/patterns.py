"""The `pattern` keyword: a regex over a string's characters, rewritten over its JSON text.

Takes a JSON-schema pattern (parsed with Python's own `re` parser, as `jsonschema` validates
with `re.search`) and optional length bounds; gives the body regex (between the quotes) of JSON
strings whose decoded value the pattern finds a match in, each character spelled as
`json.dumps(ensure_ascii=False)` spells it (so `"` becomes `\\"`, a newline `\\n`).

What is kept sound, and how:
- `\\d \\w \\s` become their ASCII members; their negations (`\\D`, `[^\\w]`) exclude every
  Unicode member, so a produced character always satisfies the Unicode meaning too.
- Search semantics: an unanchored side gets any characters (`^` and `$` strip that side).
  With length bounds the match must fill the whole string, and the bounds are pushed into the
  one repetition that can absorb them exactly, or else every repetition is capped
  so that the longest match fits `maxLength`; failing both, the translation is refused.
- `\\p{X}` / `\\P{X}` (ECMA-262's Unicode property escapes, which `re` does not read), outside
  and inside classes: X a General_Category, `Any`, `ASCII`, `Assigned` or a script
  (`syntax.unicode_properties`). Each becomes a private-use placeholder character (one absent
  from the pattern) before `re` parses it, and the walk reads the placeholder as the property's
  code points; an unknown name, or a property as the end of a range (`[a-\\p{L}]`), raises
  `PatternError` naming it. `pattern_search(pattern, text)` is `re.search` reading them so (each
  placeholder written out as its class), for property names tested against `patternProperties`.
- Constructs a regular language cannot hold (backreferences, lookarounds, `\\b`, atomic
  groups, conditionals), anchors inside the pattern and case-insensitive matching raise
  `PatternError`.

Where the body is exact: on strings of printable ASCII (U+0020..U+007E), for the patterns
`exact_on_ascii` admits (literals, `.`, classes, `\\d \\w \\s` and their negations,
alternation, groups, repetitions, `^ $ \\A \\Z`, the flags `a m s u x`, no `\\p{X}`), the
body's strings are exactly those `re.search` finds a match in: no newline for `$` to stand
before, no non-ASCII character for Unicode classes to hold, no case to fold.
"""
from __future__ import annotations

import functools
import re

from automaton.json_schema.regex_text import Regex, alternation, repeat, sequence
from automaton.json_schema.strings import JSON_CHAR, encoded_chars
from automaton.syntax.charsets import (
    ANY,
    ANY_BUT_NEWLINE,
    ASCII_CLASSES,
    CodePoints,
    complement,
    normalize,
    unicode_class,
)
from automaton.syntax.python_re import CLASS_ESCAPES
from automaton.syntax.python_re import sre_constants as _c
from automaton.syntax.python_re import sre_parse as _parser
from automaton.syntax.unicode_properties import UnknownPropertyError, property_code_points

__all__ = ["PatternError", "pattern_body", "pattern_search", "pattern_width", "exact_on_ascii"]

_BEGIN = {_c.AT_BEGINNING, _c.AT_BEGINNING_STRING}
_END = {_c.AT_END, _c.AT_END_STRING}
# What `exact_on_ascii` admits: flags that change nothing on printable ASCII, and the operators
# (with their class items) the walk translates as `re` reads them there.
_ASCII_SAFE_FLAGS = (_c.SRE_FLAG_UNICODE | _c.SRE_FLAG_ASCII | _c.SRE_FLAG_DOTALL | _c.SRE_FLAG_MULTILINE
                     | _c.SRE_FLAG_VERBOSE)
_ASCII_SAFE_ITEMS = {_c.LITERAL, _c.RANGE, _c.NEGATE, _c.CATEGORY}


class PatternError(Exception):
    """The pattern cannot be turned into a regular expression here (the reason is the message)."""


def _category(name) -> tuple[CodePoints, CodePoints]:
    """(subset, superset) of a class escape's code points: the ASCII members, then every Unicode
    member; for a negated escape, every code point but the Unicode members, then all but the ASCII ones."""
    if name not in CLASS_ESCAPES:
        raise PatternError(f"unsupported character category {name}")
    letter, negated = CLASS_ESCAPES[name]
    ascii_members, unicode_members = ASCII_CLASSES[letter], unicode_class(letter)
    if negated:
        return complement(unicode_members), complement(ascii_members)
    return ascii_members, unicode_members


# An escape (two characters, read left to right so `\\p` stays a backslash and a `p`), or a
# property escape with its braces; and the `\U` escapes, which can name a placeholder.
_ESCAPE = re.compile(r"\\(?:([pP])(?:\{([^{}]*)\})?|.)", re.DOTALL)
_WIDE_ESCAPE = re.compile(r"\\U([0-9a-fA-F]{8})")
_PLACEHOLDERS = range(0xF0000, 0x10FFFE)  # private use planes 15 and 16


def _replace_properties(pattern: str) -> tuple[str, dict[int, CodePoints], dict[str, str]]:
    """`pattern` with every `\\p{X}` / `\\P{X}` replaced by one placeholder character;
    placeholder code point -> the code points it stands for (those of X, or all others);
    placeholder character -> the escape it replaces."""
    if "\\p" not in pattern and "\\P" not in pattern:
        return pattern, {}, {}
    used = set(map(ord, pattern)) | {int(digits, 16) for digits in _WIDE_ESCAPE.findall(pattern)}
    free = (code for code in _PLACEHOLDERS if code not in used)
    placeholders: dict[str, int] = {}
    properties: dict[int, CodePoints] = {}

    def replace(match: re.Match) -> str:
        letter, name = match.group(1), match.group(2)
        if letter is None:
            return match.group(0)
        if name is None:
            raise PatternError(f"\\{letter} must be followed by a property name in braces, as \\{letter}{{L}}")
        text = match.group(0)
        if text not in placeholders:
            try:
                ranges = property_code_points(name)
            except UnknownPropertyError as error:
                raise PatternError(f"{text}: {error}") from None
            code = next(free, None)
            if code is None:
                raise PatternError("more Unicode properties than free placeholder characters")
            placeholders[text] = code
            properties[code] = complement(ranges) if letter == "P" else ranges
        return chr(placeholders[text])

    text = _ESCAPE.sub(replace, pattern)
    return text, properties, {chr(code): source for source, code in placeholders.items()}


def _written_out(text: str, properties: dict[int, CodePoints]) -> str:
    """`text` (from `_replace_properties`) with each placeholder written as its code points: a class
    outside classes, the class's members inside one (Python's rules: a `]` first in a class is literal)."""
    out = []
    in_class = False
    first = 0  # where the class at hand starts its members
    i = 0
    while i < len(text):
        char = text[i]
        if char == "\\":
            out.append(text[i : i + 2])
            i += 2
            continue
        ranges = properties.get(ord(char))
        if ranges is not None:
            members = "".join(f"\\U{lo:08x}-\\U{hi:08x}" for lo, hi in ranges)
            out.append(members if in_class else f"[{members}]" if members else "(?!)")
        else:
            out.append(char)
            if in_class:
                in_class = not (char == "]" and i > first)
            elif char == "[":
                in_class = True
                first = i + 2 if text.startswith("^", i + 1) else i + 1
        i += 1
    return "".join(out)


@functools.lru_cache(maxsize=256)
def _search_regex(pattern: str) -> re.Pattern:
    text, properties, _sources = _replace_properties(pattern)
    try:
        return re.compile(_written_out(text, properties) if properties else pattern)
    except (re.error, RecursionError, OverflowError) as error:
        raise PatternError(f"not a valid Python regular expression: {error}") from None


def pattern_search(pattern: str, text: str) -> bool:
    """Whether `re.search(pattern, text)` finds a match, `\\p{X}` / `\\P{X}` read as `pattern_body`
    reads them (`PatternError` when the pattern is not valid)."""
    return _search_regex(pattern).search(text) is not None


class _Translator:
    def __init__(self, pattern: str, properties: dict[int, CodePoints] | None = None):
        self.pattern = pattern
        self.properties = properties or {}  # placeholder code point -> the property's code points

    def literal(self, code: int) -> CodePoints:
        """The code points a `LITERAL` operand stands for (a placeholder: its property's)."""
        return self.properties.get(code, ((code, code),))

    def chars(self, ranges) -> Regex:
        return encoded_chars(normalize(ranges))

    def char_set(self, items) -> tuple[list, list]:
        """(subset, superset) of the characters an `IN` item list matches, before negation."""
        low: list = []
        high: list = []
        for op, av in items:
            if op is _c.LITERAL:
                low.extend(self.literal(av))
                high.extend(self.literal(av))
            elif op is _c.RANGE:
                if av[0] in self.properties or av[1] in self.properties:
                    raise PatternError("a Unicode property \\p{...} as the end of a character range")
                low.append(av)
                high.append(av)
            elif op is _c.CATEGORY:
                sub, sup = _category(av)
                low.extend(sub)
                high.extend(sup)
            elif op is _c.NEGATE:
                continue
            else:
                raise PatternError(f"unsupported construct {op} in a character class")
        return low, high

    def node(self, op, av, dotall: bool) -> Regex:
        if op is _c.LITERAL:
            return self.chars(self.literal(av))
        if op is _c.NOT_LITERAL:
            return self.chars(complement(normalize(self.literal(av))))
        if op is _c.ANY:
            return self.chars(ANY if dotall else ANY_BUT_NEWLINE)
        if op is _c.IN:
            negated = bool(av) and av[0][0] is _c.NEGATE
            low, high = self.char_set(av)
            return self.chars(complement(normalize(high)) if negated else low)
        if op is _c.BRANCH:
            return alternation([self.sequence(list(alt), dotall) for alt in av[1]])
        if op is _c.SUBPATTERN:
            _group, add_flags, del_flags, sub = av
            self.check_flags(add_flags)
            inner_dotall = (dotall or bool(add_flags & _c.SRE_FLAG_DOTALL)) and not del_flags & _c.SRE_FLAG_DOTALL
            return self.sequence(list(sub), inner_dotall)
        if op in (_c.MAX_REPEAT, _c.MIN_REPEAT) or op is getattr(_c, "POSSESSIVE_REPEAT", None):
            if op is getattr(_c, "POSSESSIVE_REPEAT", None):
                raise PatternError("possessive repetition")
            low, high, sub = av
            return repeat(self.sequence(list(sub), dotall), low, None if high == _c.MAXREPEAT else high)
        if op is _c.AT:
            raise PatternError("an anchor inside the pattern")
        names = {_c.GROUPREF: "a backreference", _c.ASSERT: "a lookaround", _c.ASSERT_NOT: "a lookaround",
                 _c.GROUPREF_EXISTS: "a conditional"}
        raise PatternError(f"{names.get(op, op)} cannot be expressed")

    def sequence(self, items, dotall: bool) -> Regex:
        return sequence(*(self.node(op, av, dotall) for op, av in items))

    def check_flags(self, flags: int) -> None:
        if flags & _c.SRE_FLAG_IGNORECASE:
            raise PatternError("case-insensitive matching")


def _unwrap(items: list) -> list:
    """A sequence that is one plain group, as the group's own sequence (anchors may sit inside)."""
    while len(items) == 1 and items[0][0] is _c.SUBPATTERN and not items[0][1][1] and not items[0][1][2]:
        items = list(items[0][1][3])
    return items


def _alternatives(items: list, anchored_start: bool = False) -> list[tuple[list, bool, bool]]:
    """The top-level alternatives as (items, anchored at start, anchored at end).

    Python's parser moves a prefix that all alternatives share (such as `^`) in front of the
    alternation, so an anchor before a lone alternation applies to each of its branches."""
    items = _unwrap(items)
    if items and items[0][0] is _c.AT and items[0][1] in _BEGIN:
        anchored_start = True
        items = _unwrap(items[1:])
    if len(items) == 1 and items[0][0] is _c.BRANCH:
        out = []
        for alt in items[0][1][1]:
            out.extend(_alternatives(list(alt), anchored_start))
        return out
    anchored_end = bool(items) and items[-1][0] is _c.AT and items[-1][1] in _END
    if anchored_end:
        items = _unwrap(items[:-1])
    return [(items, anchored_start, anchored_end)]


def _width(items: list) -> tuple[int, int | None]:
    sub = _parser.SubPattern(_parser.State(), items)
    low, high = sub.getwidth()
    return low, (None if high >= _c.MAXREPEAT else high)


def pattern_width(regex: str) -> tuple[int, int | None]:
    """Shortest and longest match of `regex` in characters (None: unbounded)."""
    return _width(list(_parser.parse(regex)))


def _fit_length(items: list, min_length: int, max_length: int | None) -> list | None:
    """`items` with one repetition's bounds changed so the whole match has an allowed length,
    or None when that cannot be done by one repetition of a single character."""
    variable = [i for i, item in enumerate(items) if _width([item])[0] != _width([item])[1]]
    if len(variable) != 1:
        return None
    index = variable[0]
    op, av = items[index]
    if op not in (_c.MAX_REPEAT, _c.MIN_REPEAT) or _width(list(av[2])) != (1, 1):
        return None
    fixed = sum(_width([item])[0] for j, item in enumerate(items) if j != index)
    low, high, sub = av
    new_low = max(low, min_length - fixed)
    new_high = max_length - fixed if max_length is not None else None
    if high != _c.MAXREPEAT:
        new_high = high if new_high is None else min(high, new_high)
    if new_high is not None and new_high < new_low:
        return []
    changed = list(items)
    changed[index] = (op, (new_low, _c.MAXREPEAT if new_high is None else new_high, sub))
    return changed


def _with_unbounded_capped(items: list, extra: int) -> list:
    """`items` with every repetition allowed at most `extra` more than its minimum."""
    out = []
    for op, av in items:
        if op in (_c.MAX_REPEAT, _c.MIN_REPEAT):
            low, high, sub = av
            inner = _with_unbounded_capped(list(sub), extra)
            high = min(high, low + extra)
            out.append((op, (low, high, _parser.SubPattern(_parser.State(), inner))))
        elif op is _c.SUBPATTERN:
            group, add_flags, del_flags, sub = av
            inner = _with_unbounded_capped(list(sub), extra)
            out.append((op, (group, add_flags, del_flags, _parser.SubPattern(_parser.State(), inner))))
        elif op is _c.BRANCH:
            alts = [_parser.SubPattern(_parser.State(), _with_unbounded_capped(list(alt), extra)) for alt in av[1]]
            out.append((op, (av[0], alts)))
        else:
            out.append((op, av))
    return out


def _capped_to_fit(items: list, min_length: int, max_length: int) -> list | None:
    """`items` with repetitions capped so every match is at most `max_length` long
    (the largest such cap), or None when even the minimum matches are too long or too short."""
    best = None
    low_cap, high_cap = 0, max_length
    while low_cap <= high_cap:
        middle = (low_cap + high_cap) // 2
        capped = _with_unbounded_capped(items, middle)
        _, width_high = _width(capped)
        if width_high is not None and width_high <= max_length:
            best = capped
            low_cap = middle + 1
        else:
            high_cap = middle - 1
    if best is None or _width(best)[0] < min_length:
        return None
    return best


def pattern_body(pattern: str, min_length: int = 0, max_length: int | None = None) -> Regex:
    """Body regex of JSON strings whose value `re.search(pattern, value)` finds, with
    min_length <= len(value) <= max_length; None when no string qualifies."""
    text, properties, sources = _replace_properties(pattern)
    try:
        parsed = _parser.parse(text)
    except Exception as error:  # re.error, RecursionError, OverflowError
        message = "".join(sources.get(char, char) for char in str(error))
        raise PatternError(f"not a valid Python regular expression: {message}") from None
    translator = _Translator(pattern, properties)
    translator.check_flags(parsed.state.flags)
    dotall = bool(parsed.state.flags & _c.SRE_FLAG_DOTALL)
    bounded = min_length > 0 or max_length is not None
    options: list[Regex] = []
    for items, anchored_start, anchored_end in _alternatives(list(parsed)):
        if not bounded:
            body = translator.sequence(items, dotall)
            prefix = "" if anchored_start else f"{JSON_CHAR}*"
            suffix = "" if anchored_end else f"{JSON_CHAR}*"
            options.append(sequence(prefix, body, suffix))
            continue
        low, high = _width(items)
        if low >= min_length and (max_length is None or (high is not None and high <= max_length)):
            options.append(translator.sequence(items, dotall))
            continue
        fitted = _fit_length(items, min_length, max_length)
        if fitted is not None:
            options.append(translator.sequence(fitted, dotall) if fitted else None)
            continue
        capped = _capped_to_fit(items, min_length, max_length) if max_length is not None else None
        if capped is not None:
            options.append(translator.sequence(capped, dotall))
            continue
        if not anchored_end and low == high and (max_length is None or low <= max_length):
            free = repeat(JSON_CHAR, max(0, min_length - low), None if max_length is None else max_length - low)
            options.append(sequence(translator.sequence(items, dotall), free))
            continue
        raise PatternError("its length range cannot be combined with minLength/maxLength")
    return alternation(options)


def exact_on_ascii(pattern: str) -> bool:
    """Whether `pattern_body(pattern)`, on strings of printable ASCII, accepts exactly those
    `re.search(pattern, ...)` finds a match in: the pattern parses as plain Python syntax (no
    `\\p{X}`) and uses only the constructs and flags listed in the module docstring (a pattern
    `pattern_body` refuses is not exact either)."""
    try:
        parsed = _parser.parse(pattern)
    except Exception:  # re.error, RecursionError, OverflowError
        return False
    return not parsed.state.flags & ~_ASCII_SAFE_FLAGS and _ascii_safe(list(parsed))


def _ascii_safe(items: list) -> bool:
    """Whether every operator in `items` (recursively) is one `exact_on_ascii` admits."""
    for op, av in items:
        if op is _c.IN:
            if not all(item in _ASCII_SAFE_ITEMS and (item is not _c.CATEGORY or arg in CLASS_ESCAPES)
                       for item, arg in av):
                return False
        elif op is _c.BRANCH:
            if not all(_ascii_safe(list(alt)) for alt in av[1]):
                return False
        elif op is _c.SUBPATTERN:
            if (av[1] | av[2]) & ~_ASCII_SAFE_FLAGS or not _ascii_safe(list(av[3])):
                return False
        elif op in (_c.MAX_REPEAT, _c.MIN_REPEAT):
            if not _ascii_safe(list(av[2])):
                return False
        elif op is _c.AT:
            if av not in _BEGIN and av not in _END:
                return False
        elif op not in (_c.LITERAL, _c.NOT_LITERAL, _c.ANY):
            return False
    return True
