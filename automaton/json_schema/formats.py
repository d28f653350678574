"""Regexes for the string `format`s: the JSON text of a string in that format, quotes included.

Each regex is a subset of what the format's RFC allows (and of what `jsonschema`'s format
checkers accept), chosen to be small as an automaton:

| format | what is produced |
| --- | --- |
| date | RFC 3339 full-date, a real calendar date (leap days only in leap years), year 0001-9999 |
| time | RFC 3339 full-time: `HH:MM:SS[.frac]` then `Z` or `+HH:MM`; seconds 00-59 |
| date-time | date `T` time |
| duration | RFC 3339 (appendix A) durations: `P1Y2M3DT4H5M6S`, `P2W`, ... |
| uuid | 8-4-4-4-12 hex digits |
| ipv4 | dotted quad without leading zeros |
| ipv6 | the eight-group form and every `::` compressed form (no embedded IPv4) |
| hostname | 1 to 4 labels of letters and digits, single inner hyphens, each label at most 61 characters |
| email | a dot-atom local part `@` a hostname |
| uri | `scheme://host[:port][/path][?query][#fragment]` with RFC 3986 characters |
| json-pointer | `/`-separated tokens with `~0`/`~1` escapes |

`uri-reference`, `iri`, `iri-reference` and `uri-template` reuse the uri regex (a URI is each of
those), `idn-email` and `idn-hostname` the ASCII ones (lower case for IDNA), `regex` gives
plain literal text. Formats outside the JSON-schema vocabulary are annotations and produce
nothing here (`format_regex` returns `None` for them and `is_known_format` tells them apart).
"""
from __future__ import annotations

from automaton.json_schema.integers import integer_range

__all__ = ["format_regex", "is_known_format", "KNOWN_FORMATS"]

_YEAR = "([1-9][0-9]{3}|0([1-9][0-9]{2}|0([1-9][0-9]|0[1-9])))"
_MONTH_DAY = "((0[1-9]|1[0-2])-(0[1-9]|1[0-9]|2[0-8])|(0[13-9]|1[0-2])-(29|30)|(0[13578]|1[02])-31)"
_LEAP_DAY = "([0-9]{2}(0[48]|[2468][048]|[13579][26])|(0[48]|[2468][048]|[13579][26])00)-02-29"
DATE = f"({_YEAR}-{_MONTH_DAY}|{_LEAP_DAY})"
_HOUR = "([01][0-9]|2[0-3])"
_MINUTE = "[0-5][0-9]"
TIME = f"{_HOUR}:{_MINUTE}:{_MINUTE}(\\.[0-9]+)?(Z|[+-]{_HOUR}:{_MINUTE})"
DATE_TIME = f"{DATE}T{TIME}"
_N = "[0-9]+"
DURATION = (
    f"P(({_N}D|{_N}M({_N}D)?|{_N}Y({_N}M({_N}D)?)?)"
    f"(T({_N}H({_N}M({_N}S)?)?|{_N}M({_N}S)?|{_N}S))?"
    f"|T({_N}H({_N}M({_N}S)?)?|{_N}M({_N}S)?|{_N}S)|{_N}W)"
)
_HEX = "[0-9a-fA-F]"
UUID = f"{_HEX}{{8}}-{_HEX}{{4}}-{_HEX}{{4}}-{_HEX}{{4}}-{_HEX}{{12}}"
_OCTET = integer_range(0, 255)
IPV4 = f"{_OCTET}(\\.{_OCTET}){{3}}"
_H16 = f"{_HEX}{{1,4}}"
IPV6 = "(" + "|".join(
    [
        f"({_H16}:){{7}}{_H16}",
        f"({_H16}:){{1,7}}:",
        f"({_H16}:){{1,6}}:{_H16}",
        f"({_H16}:){{1,5}}(:{_H16}){{1,2}}",
        f"({_H16}:){{1,4}}(:{_H16}){{1,3}}",
        f"({_H16}:){{1,3}}(:{_H16}){{1,4}}",
        f"({_H16}:){{1,2}}(:{_H16}){{1,5}}",
        f"{_H16}:(:{_H16}){{1,6}}",
        f":((:{_H16}){{1,7}}|:)",
    ]
) + ")"
# Labels never hold "--" (IDNA refuses it in 3rd-4th position) and stay under 63 characters;
# four labels keep the name under 253.
_LABEL = "[a-zA-Z0-9]([a-zA-Z0-9]|-[a-zA-Z0-9]){0,30}"
HOSTNAME = f"{_LABEL}(\\.{_LABEL}){{0,3}}"
_LOWER_LABEL = "[a-z0-9]([a-z0-9]|-[a-z0-9]){0,30}"
IDN_HOSTNAME = f"{_LOWER_LABEL}(\\.{_LOWER_LABEL}){{0,3}}"
_ATEXT = "[a-zA-Z0-9!#$%&'*+/=?^_`{|}~-]+"
EMAIL = f"{_ATEXT}(\\.{_ATEXT})*@{HOSTNAME}"
IDN_EMAIL = f"{_ATEXT}(\\.{_ATEXT})*@{IDN_HOSTNAME}"
_PCHAR = "([a-zA-Z0-9._~!$&'()*+,;=:@-]|%[0-9a-fA-F]{2})"
URI = (
    f"[a-zA-Z][a-zA-Z0-9+.-]*://{HOSTNAME}(:[0-9]{{1,5}})?(/{_PCHAR}*)*"
    f"(\\?({_PCHAR}|[/?])*)?(#({_PCHAR}|[/?])*)?"
)
JSON_POINTER = r'(/([^/~"\\\x00-\x1f]|~[01])*)*'
# The number: no digit after a 0 (`jsonschema` rejects `100#`; a sound subset of the RFC's).
RELATIVE_JSON_POINTER = f"(0|[1-9]+0?)(#|{JSON_POINTER})"
REGEX = "[a-zA-Z0-9 _-]*"

_BODIES = {
    "date": DATE,
    "time": TIME,
    "date-time": DATE_TIME,
    "duration": DURATION,
    "uuid": UUID,
    "ipv4": IPV4,
    "ip-address": IPV4,
    "ipv6": IPV6,
    "hostname": HOSTNAME,
    "host-name": HOSTNAME,
    "idn-hostname": IDN_HOSTNAME,
    "email": EMAIL,
    "idn-email": IDN_EMAIL,
    "uri": URI,
    "uri-reference": URI,
    "iri": URI,
    "iri-reference": URI,
    "uri-template": URI,
    "json-pointer": JSON_POINTER,
    "relative-json-pointer": RELATIVE_JSON_POINTER,
    "regex": REGEX,
}
KNOWN_FORMATS = frozenset(_BODIES)
# Formats of the JSON-schema vocabularies (all drafts) that have no regex here.
_UNSUPPORTED_STANDARD = frozenset({"color", "utc-millisec", "phone", "style"})


def is_known_format(name: str) -> bool:
    """True for formats defined by some JSON-schema draft (those a validator may assert)."""
    return name in KNOWN_FORMATS or name in _UNSUPPORTED_STANDARD


def format_regex(name: str) -> str | None:
    """The body regex (inside the quotes) of a string in format `name`, or None if there is none here."""
    return _BODIES.get(name)
