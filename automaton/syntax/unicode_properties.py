"""Unicode properties (`\\p{...}`) as sets of code points.

    property_code_points(name) -> CodePoints     the code points of `\\p{name}` (`charsets.CodePoints`:
                                                 sorted, disjoint inclusive `(lo, hi)` pairs)
    UnknownPropertyError                         raised for a name this module does not know

Names are read as ECMA-262 reads `\\p{...}`, with Unicode's loose matching (case, spaces, `_`
and `-` ignored: `Lu`, `lu`, `Uppercase_Letter`, `uppercase letter` are one name):

- a General_Category value, short or long (`L`, `Lu`, `LC`, `Letter`, `Decimal_Number`, the
  aliases `digit`, `punct`, `cntrl`, `Combining_Mark`), also as `General_Category=X` or `gc=X`;
  a one-letter group is the union of its two-letter categories;
- the binary properties `Any`, `ASCII` and `Assigned`;
- a script: `Script=X` / `sc=X`, `Script_Extensions=X` / `scx=X`, or a bare script name that is
  no category (`Greek`), as the `regex` package reads it.

General categories come from Python's `unicodedata` (Unicode `unicodedata.unidata_version`:
14.0.0 on Python 3.11), read in one pass over every code point the first time one is asked
for (about 0.25 s), then kept for the process. Scripts come from the `regex` package's own
tables (its Unicode version may be newer than `unicodedata`'s), each found once by one scan of
every code point and kept; without `regex` a script name raises `UnknownPropertyError`.

    >>> property_code_points("Nd")[:2]
    ((48, 57), (1632, 1641))
    >>> property_code_points("gc=Decimal_Number") == property_code_points("digit")
    True
    >>> property_code_points("ASCII")
    ((0, 127),)
"""
from __future__ import annotations

import functools
import re
import unicodedata

from automaton.syntax.charsets import MAX_CODE_POINT, CodePoints, complement, normalize

__all__ = ["UNICODE_VERSION", "UnknownPropertyError", "property_code_points", "general_categories"]

UNICODE_VERSION = unicodedata.unidata_version

# Two-letter General_Category values -> their long names (Unicode's PropertyValueAliases.txt).
_CATEGORY_NAMES = {
    "Lu": "Uppercase_Letter", "Ll": "Lowercase_Letter", "Lt": "Titlecase_Letter",
    "Lm": "Modifier_Letter", "Lo": "Other_Letter",
    "Mn": "Nonspacing_Mark", "Mc": "Spacing_Mark", "Me": "Enclosing_Mark",
    "Nd": "Decimal_Number", "Nl": "Letter_Number", "No": "Other_Number",
    "Pc": "Connector_Punctuation", "Pd": "Dash_Punctuation", "Ps": "Open_Punctuation",
    "Pe": "Close_Punctuation", "Pi": "Initial_Punctuation", "Pf": "Final_Punctuation",
    "Po": "Other_Punctuation",
    "Sm": "Math_Symbol", "Sc": "Currency_Symbol", "Sk": "Modifier_Symbol", "So": "Other_Symbol",
    "Zs": "Space_Separator", "Zl": "Line_Separator", "Zp": "Paragraph_Separator",
    "Cc": "Control", "Cf": "Format", "Cs": "Surrogate", "Co": "Private_Use", "Cn": "Unassigned",
}
# Groups of categories: short name, long name, members.
_GROUPS = {
    "L": ("Letter", ("Lu", "Ll", "Lt", "Lm", "Lo")),
    "LC": ("Cased_Letter", ("Lu", "Ll", "Lt")),
    "M": ("Mark", ("Mn", "Mc", "Me")),
    "N": ("Number", ("Nd", "Nl", "No")),
    "P": ("Punctuation", ("Pc", "Pd", "Ps", "Pe", "Pi", "Pf", "Po")),
    "S": ("Symbol", ("Sm", "Sc", "Sk", "So")),
    "Z": ("Separator", ("Zs", "Zl", "Zp")),
    "C": ("Other", ("Cc", "Cf", "Cs", "Co", "Cn")),
}
_ALIASES = {"digit": "Nd", "punct": "P", "cntrl": "Cc", "combiningmark": "M"}
_CATEGORY_KEYS = ("generalcategory", "gc")
_SCRIPT_KEYS = {"script": "Script", "sc": "Script", "scriptextensions": "Script_Extensions", "scx": "Script_Extensions"}
_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_ \-]*")


class UnknownPropertyError(ValueError):
    """`\\p{name}` names no property this module knows (the message says which, and what is known)."""

    def __init__(self, name: str):
        self.name = name
        super().__init__(
            f"unknown Unicode property {name!r} (known: General_Category values, Any, ASCII, Assigned, scripts)"
        )


def _loose(name: str) -> str:
    """Unicode's loose matching (UAX44-LM3): case, spaces, underscores and hyphens ignored."""
    return re.sub(r"[\s_\-]", "", name).lower()


def _category_lookup() -> dict[str, str]:
    """Loose name -> short category or group name ("Lu", "L", ...)."""
    lookup = {}
    for short, long in _CATEGORY_NAMES.items():
        lookup[_loose(short)] = lookup[_loose(long)] = short
    for short, (long, _members) in _GROUPS.items():
        lookup[_loose(short)] = lookup[_loose(long)] = short
    lookup.update(_ALIASES)
    return lookup


_CATEGORIES = _category_lookup()


@functools.cache
def general_categories() -> dict[str, CodePoints]:
    """Every two-letter General_Category -> its code points, from `unicodedata` in one pass."""
    found: dict[str, list[tuple[int, int]]] = {short: [] for short in _CATEGORY_NAMES}
    category = unicodedata.category
    previous = category(chr(0))
    start = 0
    for code in range(1, MAX_CODE_POINT + 1):
        current = category(chr(code))
        if current != previous:
            found[previous].append((start, code - 1))
            previous, start = current, code
    found[previous].append((start, MAX_CODE_POINT))
    return {short: tuple(ranges) for short, ranges in found.items()}


def _category(short: str) -> CodePoints:
    table = general_categories()
    if short in table:
        return table[short]
    return normalize(pair for member in _GROUPS[short][1] for pair in table[member])


@functools.cache
def _script(key: str, value: str) -> CodePoints | None:
    """The code points of `\\p{key=value}` as the `regex` package reads it (None: it knows no such
    script, or `regex` is not installed)."""
    try:
        import regex
    except ImportError:  # pragma: no cover - regex comes with transformers
        return None
    try:
        compiled = regex.compile(rf"\p{{{key}={value}}}+")
    except regex.error:
        return None
    every = "".join(map(chr, range(MAX_CODE_POINT + 1)))
    return tuple((match.start(), match.end() - 1) for match in compiled.finditer(every))


@functools.cache
def property_code_points(name: str) -> CodePoints:
    """The code points `\\p{name}` matches; `UnknownPropertyError` for a name not known here."""
    key, _, value = name.partition("=")
    if not _NAME.fullmatch(key) or (value and not _NAME.fullmatch(value)):
        raise UnknownPropertyError(name)
    if value:
        loose_key = _loose(key)
        if loose_key in _CATEGORY_KEYS and _loose(value) in _CATEGORIES:
            return _category(_CATEGORIES[_loose(value)])
        if loose_key in _SCRIPT_KEYS:
            found = _script(_SCRIPT_KEYS[loose_key], _loose(value))
            if found is not None:
                return found
        raise UnknownPropertyError(name)
    loose = _loose(name)
    if loose in _CATEGORIES:
        return _category(_CATEGORIES[loose])
    if loose == "any":
        return ((0, MAX_CODE_POINT),)
    if loose == "ascii":
        return ((0, 0x7F),)
    if loose == "assigned":
        return complement(_category("Cn"))
    found = _script("Script", loose)
    if found is None:
        raise UnknownPropertyError(name)
    return found
