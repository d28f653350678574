"""A compiled `re` / `regex` pattern -> pattern text that means, as `parse_regex` reads it, exactly
what the compiled object's `fullmatch` matches.

    pattern_text(compiled) -> str

A compiled pattern carries flags, inline ones included (Python copies `(?i)` into `.flags`).
`re.IGNORECASE`, `re.DOTALL` and `re.MULTILINE` become the inline groups `(?i)` `(?s)` `(?m)`
in front of the pattern. Without `re.ASCII` (Python sets `re.UNICODE` on every `str` pattern),
`\\d \\w \\s` and case folding are Unicode's, as that engine (`re` or `regex`, which differ) has them:

- the code points of `\\d \\w \\s` are asked of the engine itself (every code point matched
  against the escape), and so, under `(?i)`, is what each character, class or escape matches
  (for `re`, only the cased code points, found from `str`'s case mappings, can change: see
  `_cased_code_points`; for `regex`, whose Unicode tables may be newer than Python's, every
  code point);
- when that reading gives the same tree as the ASCII reading of the flagged text (`(?i)ab[0-9]`:
  no `\\d \\w \\s`, no letter with a non-ASCII case partner), the flagged text is returned as it
  is; otherwise the tree read the engine's way is written back as explicit text (`render.regex_of`),
  which `parse_regex` reads back to the same language (`(?i)s` under Unicode becomes `[Ssſ]`).

Refused, with `UnsupportedRegexError` naming the flag or construct: `re.VERBOSE` / `re.X`, `re.LOCALE`,
`re.TEMPLATE`, and of `regex`'s own flags `VERSION1` (set operations, full case folding),
`FULLCASE` with `IGNORECASE`, `WORD`, `REVERSE`, `POSIX`, `BESTMATCH` and `ENHANCEMATCH`;
`DEBUG` (printing while compiling) and `VERSION0` (the default) change nothing and pass. In a
`regex` pattern, what that module reads otherwise than `re` (whose syntax `parse_regex` follows)
is refused too: a literal `{` (fuzzy matching), `[` inside a class (POSIX classes, nested sets),
`--` `&&` `~~` `||` inside a class (set operations), and syntax only `regex` reads (`\\p{L}`).

    >>> pattern_text(re.compile("ab", re.IGNORECASE | re.ASCII))
    '(?i)ab'
"""
from __future__ import annotations

import functools
import re
from collections.abc import Iterator, Mapping

from automaton.errors import AutomatonError, RegexSyntaxError, UnsupportedRegexError
from automaton.syntax.charsets import (
    ASCII_CLASSES,
    SURROGATES,
    CodePoints,
    difference,
    intersection,
    normalize,
)
from automaton.syntax.parser import parse_regex
from automaton.syntax.preparse import prepare
from automaton.syntax.render import regex_of

__all__ = ["pattern_text"]

_RE_FLAGS = {  # bit -> name, for every flag this module refuses (`re`)
    1: "re.TEMPLATE",
    int(re.LOCALE): "re.LOCALE",
    int(re.VERBOSE): "re.VERBOSE",
}
_RE_PASSED = int(re.IGNORECASE | re.MULTILINE | re.DOTALL | re.ASCII | re.UNICODE | re.DEBUG)
_REGEX_FLAGS = {  # the `regex` module's bits (the same in every release since 2015)
    0x1: "regex.TEMPLATE",
    0x4: "regex.LOCALE",
    0x40: "regex.VERBOSE",
    0x100: "regex.VERSION1",
    0x400: "regex.REVERSE",
    0x800: "regex.WORD",
    0x1000: "regex.BESTMATCH",
    0x8000: "regex.ENHANCEMATCH",
    0x10000: "regex.POSIX",
}
_REGEX_FULLCASE = 0x4000
# Bits both modules give the same value (IGNORECASE, MULTILINE, DOTALL, UNICODE) and ASCII, which differs.
_IGNORECASE, _MULTILINE, _DOTALL, _UNICODE = 0x2, 0x8, 0x10, 0x20
_ASCII = {"re": int(re.ASCII), "regex": 0x80}
# IGNORECASE, MULTILINE, DOTALL, UNICODE, ASCII, DEBUG, VERSION0 (and FULLCASE without IGNORECASE)
_REGEX_PASSED = 0x2 | 0x8 | 0x10 | 0x20 | 0x80 | 0x200 | 0x2000 | _REGEX_FULLCASE


def pattern_text(compiled) -> str:
    """Pattern text meaning, as `automaton` reads patterns, what `compiled.fullmatch` matches.

    `compiled` is a compiled `re` or `regex` pattern over `str`. Raises UnsupportedRegexError
    (a flag or construct with no equivalent), RegexSyntaxError, TypeError (anything else)."""
    engine = _engine_of(compiled)
    source = compiled.pattern
    if not isinstance(source, str):
        raise TypeError("pattern must be text, not bytes: decode it first")
    return _translate(engine, source, int(compiled.flags))


def _engine_of(compiled) -> str:
    if isinstance(compiled, re.Pattern):
        return "re"
    if type(compiled).__module__.split(".")[0] in ("regex", "_regex") and hasattr(compiled, "pattern"):
        return "regex"
    raise TypeError(f"not a compiled re / regex pattern: {type(compiled).__name__}")


@functools.lru_cache(maxsize=256)
def _translate(engine: str, source: str, flags: int) -> str:
    _check_flags(engine, source, flags)
    inline = "".join(letter for letter, bit in (("i", _IGNORECASE), ("m", _MULTILINE), ("s", _DOTALL)) if flags & bit)
    reading = _EngineReading(engine, bool(flags & _ASCII[engine]), inline.replace("m", ""))
    try:
        tree = parse_regex(source, reading)  # errors point into `source`
    except RegexSyntaxError as error:
        if engine == "re":
            raise
        raise UnsupportedRegexError(  # valid for `regex` (it compiled it), not in `re`'s syntax
            source, f"regex-module syntax ({error.reason})", error.position, "only Python re's syntax is read here"
        ) from None
    if engine == "regex":
        hazards = prepare(source, reading.classes, reading.unicode).hazards
        if hazards:
            construct, position = hazards[0]
            raise UnsupportedRegexError(
                source, construct, position, "the regex module reads it otherwise than re: escape it with \\"
            )
    text = f"(?{inline}){source}" if inline else source
    try:
        if parse_regex(text) == tree:
            return text
    except AutomatonError:  # `(?u)`, refused in the ASCII reading
        pass
    return regex_of(tree)


def _check_flags(engine: str, source: str, flags: int) -> None:
    names, passed = (_RE_FLAGS, _RE_PASSED) if engine == "re" else (_REGEX_FLAGS, _REGEX_PASSED)
    for bit, name in names.items():
        if flags & bit:
            raise UnsupportedRegexError(source, f"flag {name}", None, "it has no equivalent here")
    if engine == "regex" and flags & _REGEX_FULLCASE and flags & _IGNORECASE:
        raise UnsupportedRegexError(
            source, "flag regex.FULLCASE with IGNORECASE", None, "one character may match several there"
        )
    unknown = flags & ~passed & ~sum(names)
    if unknown:
        raise UnsupportedRegexError(source, f"flags {unknown:#x}", None, "unknown to this library")


class _EngineReading:
    """`parser.Reading` of a compiled pattern's engine and its ASCII / Unicode flag."""

    def __init__(self, engine: str, ascii_reading: bool, flags: str):
        self.engine = engine
        self.unicode = not ascii_reading
        self.flags = flags
        self.classes = _EngineClasses(engine, ascii_reading)
        self._base = _ASCII[engine] if ascii_reading else _UNICODE

    def case_fold(self, source: str, plain: CodePoints) -> CodePoints:
        return _case_fold(self.engine, self._base, source, plain)


class _EngineClasses(Mapping):
    """"d", "w", "s" -> the code points the engine's `\\d`, `\\w`, `\\s` match (asked on first use)."""

    def __init__(self, engine: str, ascii_reading: bool):
        self.engine = engine
        self.base = _ASCII[engine] if ascii_reading else _UNICODE

    def __getitem__(self, letter: str) -> CodePoints:
        if letter not in ASCII_CLASSES:
            raise KeyError(letter)
        return _scan(self.engine, "\\" + letter, self.base, None)

    def __iter__(self) -> Iterator[str]:
        return iter(ASCII_CLASSES)

    def __len__(self) -> int:
        return len(ASCII_CLASSES)


@functools.lru_cache(maxsize=4096)
def _case_fold(engine: str, base: int, source: str, plain: CodePoints) -> CodePoints:
    """What `source` matches under IGNORECASE: asked of the engine, for `re` on the cased code
    points only (elsewhere its IGNORECASE changes nothing), for `regex` on every code point.
    Surrogates keep their membership in `plain` (no UTF-8 text holds one)."""
    if engine == "re":
        cased = _cased_code_points()
        found = _scan(engine, source, base | _IGNORECASE, cased[1])
        folded = normalize((*difference(plain, cased[0]), *found))
    else:
        folded = _scan(engine, source, base | _IGNORECASE, None)
    return normalize((*difference(folded, SURROGATES), *intersection(plain, SURROGATES)))


@functools.lru_cache(maxsize=64)
def _scan(engine: str, source: str, flags: int, text: str | None) -> CodePoints:
    """The code points of `text` (default: every code point) that the one-character regex
    `source`, compiled by `engine` with `flags`, matches."""
    module = re if engine == "re" else _regex_module()
    runs = module.compile(f"(?:{source})+", flags)  # one character a round: a match is a run
    if text is None:  # every code point, in order: a run is a range
        return normalize((match.start(), match.end() - 1) for match in runs.finditer(_every_code_point()))
    return normalize((ord(char),) * 2 for match in runs.finditer(text) for char in match.group())


@functools.cache
def _every_code_point() -> str:
    import numpy as np

    codes = np.arange(0x110000, dtype="<u4")
    return codes.tobytes().decode("utf-32-le", "surrogatepass")


@functools.cache
def _cased_code_points() -> tuple[CodePoints, str]:
    """Every code point whose lower, upper, title or case-folded form differs from it, and every
    single code point such a form is: under `re`'s IGNORECASE any other code point matches
    only itself, as without the flag. As ranges, and as a string of them in order."""
    every = _every_code_point()
    cased: set[int] = set()
    for start in range(0, len(every), 64):
        chunk = every[start : start + 64]
        if chunk.lower() == chunk and chunk.upper() == chunk and chunk.casefold() == chunk:
            continue
        for char in chunk:
            for mapped in (char.lower(), char.upper(), char.title(), char.casefold()):
                if mapped != char:
                    cased.add(ord(char))
                    if len(mapped) == 1:
                        cased.add(ord(mapped))
    ordered = sorted(cased)
    return normalize((code, code) for code in ordered), "".join(map(chr, ordered))


def _regex_module():
    import regex

    return regex
