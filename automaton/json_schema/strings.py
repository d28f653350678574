"""JSON string literals: characters, escapes, lengths.

Gives regexes over the JSON text of a string (quotes included). A character is either a raw
character (anything but `"`, `\\` and the control characters U+0000..U+001F, which JSON forbids
raw) or an escape (`\\n`, `\\"`, `\\u00e9`, ...). `\\u` escapes of surrogates are left out: a
pair decodes to one character, which would break the character counts of min/maxLength.

    >>> string_of("[ab]", 1, 3)
    '"[ab]{1,3}"'
    >>> encoded_chars([(0x0A, 0x0A), (0x22, 0x22), (0x41, 0x43)])
    '([A-C]|\\\\\\\\["n])'
"""
from __future__ import annotations

from collections.abc import Iterable

from automaton.json_schema.regex_text import Regex, alternation, repeat, sequence
from automaton.syntax.charsets import difference, intersection
from automaton.syntax.render import char_class

__all__ = ["RAW_CHAR", "JSON_CHAR", "ANY_STRING", "string_of", "encoded_chars"]

RAW_CHAR = r'[^"\\\x00-\x1f]'
_ESCAPE = r'\\(["\\/bfnrt]|u([0-9a-cA-CefEF][0-9a-fA-F]{3}|[dD][0-7][0-9a-fA-F]{2}))'
JSON_CHAR = f"({RAW_CHAR}|{_ESCAPE})"
ANY_STRING = f'"{JSON_CHAR}*"'

# How json.dumps writes the characters that cannot appear raw: a short escape where one
# exists, else `\u00xx` with lower-case hex.
_SHORT_ESCAPES = {'"': '"', "\\": "\\", "\b": "b", "\f": "f", "\n": "n", "\r": "r", "\t": "t"}
_MUST_ESCAPE = [(0x00, 0x1F), (ord('"'), ord('"')), (ord("\\"), ord("\\"))]
_HEX_DIGITS = "0123456789abcdef"


def string_of(char: Regex, min_length: int = 0, max_length: int | None = None) -> Regex:
    """A JSON string of `min_length`..`max_length` characters, each matching `char`."""
    body = repeat(char, min_length, max_length)
    if body is None:
        return None
    return f'"{body}"'


def _escapes(codes: list[int]) -> Regex:
    """The json.dumps escapes of `codes` (code points that cannot appear raw), as one regex."""
    short = [_SHORT_ESCAPES[chr(c)] for c in codes if chr(c) in _SHORT_ESCAPES]
    by_high: dict[int, list[int]] = {}
    for code in codes:
        if chr(code) not in _SHORT_ESCAPES:
            by_high.setdefault(code >> 4, []).append(code & 15)
    options: list[Regex] = []
    if short:
        options.append(char_class((ord(ch), ord(ch)) for ch in short))
    if by_high:
        options.append(
            "u00"
            + alternation(
                str(high) + char_class((ord(_HEX_DIGITS[d]), ord(_HEX_DIGITS[d])) for d in lows)
                for high, lows in sorted(by_high.items())
            )
        )
    body = alternation(options)
    return None if body is None else sequence(r"\\", body)


def encoded_chars(ranges: Iterable[tuple[int, int]]) -> Regex:
    """One character from the code point `ranges`, spelled as `json.dumps(ensure_ascii=False)` spells it."""
    ranges = list(ranges)
    raw = char_class(difference(ranges, _MUST_ESCAPE))
    codes: list[int] = []
    for lo, hi in intersection(ranges, _MUST_ESCAPE):
        codes.extend(range(lo, hi + 1))
    return alternation([raw, _escapes(codes)])
