"""Regexes for the string `format`s: the JSON text of a string in that format, quotes excluded.

Each regex is the format's RFC grammar where a regular language can say it, else a sound subset
(also within what `jsonschema`'s format checkers accept):

| format | what is produced |
| --- | --- |
| date | RFC 3339 full-date, a real calendar date (leap days only in leap years), year 0001-9999 |
| time | RFC 3339 full-time: `HH:MM:SS[.frac]` then `Z`/`z` or `+HH:MM`; second 60 only where the time is 23:59 UTC |
| date-time | date `T`/`t` time |
| duration | RFC 3339 (appendix A) durations: `P1Y2M3DT4H5M6S`, `P2W`, ... |
| uuid | 8-4-4-4-12 hex digits |
| ipv4 | dotted quad without leading zeros |
| ipv6 | RFC 4291 text: eight groups, `::` compressed forms, a trailing dotted quad |
| hostname, idn-hostname | RFC 1123 labels (`format_uris`: at most 4, no `--` in 3rd-4th place; idn: lower case ASCII) |
| email, idn-email | RFC 5321 / 6531 mailboxes (dot-atom local part; label or address-literal domain) |
| uri, uri-reference, iri, iri-reference | RFC 3986 / 3987 |
| uri-template | RFC 6570 (level 4, no reserved operators) |
| json-pointer, relative-json-pointer | RFC 6901 / draft-handrews (numbers as `jsonschema` reads them) |
| regex | plain literal text |

Formats outside the JSON-schema vocabulary are annotations and produce nothing here
(`format_regex` returns `None` for them and `is_known_format` tells them apart).
"""
from __future__ import annotations

from automaton.json_schema.format_uris import (
    EMAIL,
    HOSTNAME,
    IDN_EMAIL,
    IDN_HOSTNAME,
    IPV4,
    IPV6,
    IRI,
    IRI_REFERENCE,
    URI,
    URI_REFERENCE,
    URI_TEMPLATE,
)

__all__ = ["format_regex", "is_known_format", "KNOWN_FORMATS"]

_YEAR = "([1-9][0-9]{3}|0([1-9][0-9]{2}|0([1-9][0-9]|0[1-9])))"
_MONTH_DAY = "((0[1-9]|1[0-2])-(0[1-9]|1[0-9]|2[0-8])|(0[13-9]|1[0-2])-(29|30)|(0[13578]|1[02])-31)"
_LEAP_DAY = "([0-9]{2}(0[48]|[2468][048]|[13579][26])|(0[48]|[2468][048]|[13579][26])00)-02-29"
DATE = f"({_YEAR}-{_MONTH_DAY}|{_LEAP_DAY})"
_HOUR = "([01][0-9]|2[0-3])"
_MINUTE = "[0-5][0-9]"
_FRACTION = "(\\.[0-9]+)?"


def _clock(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def _leap_seconds() -> str:
    """`HH:MM:60[.frac]` and an offset that makes HH:MM 23:59 UTC (RFC 3339 5.7): `Z` or zero at
    23:59, else `+` the local time plus one minute, `-` 23:59 less the local time; only offsets
    of whole hours, halves and quarters to (those in use; each offset is one more time of day)."""
    last = 23 * 60 + 59
    by_hour: dict[int, list[str]] = {}
    for offset in range(0, 24 * 60, 15):
        if offset % 60 == 15:
            continue
        for local, sign in (((last + offset) % (24 * 60), "\\+"), (last - offset, "-")):
            zone = f"{sign}{_clock(offset)}" if offset else "([Zz]|[+-]00:00)"
            by_hour.setdefault(local // 60, []).append(f"{local % 60:02d}:60{_FRACTION}{zone}")
            if not offset:
                break
    return "(" + "|".join(f"{hour:02d}:({'|'.join(rest)})" for hour, rest in sorted(by_hour.items())) + ")"


TIME = f"({_HOUR}:{_MINUTE}:{_MINUTE}{_FRACTION}([Zz]|[+-]{_HOUR}:{_MINUTE})|{_leap_seconds()})"
DATE_TIME = f"{DATE}[Tt]{TIME}"
_N = "[0-9]+"
DURATION = (
    f"P(({_N}D|{_N}M({_N}D)?|{_N}Y({_N}M({_N}D)?)?)"
    f"(T({_N}H({_N}M({_N}S)?)?|{_N}M({_N}S)?|{_N}S))?"
    f"|T({_N}H({_N}M({_N}S)?)?|{_N}M({_N}S)?|{_N}S)|{_N}W)"
)
_HEX = "[0-9a-fA-F]"
UUID = f"{_HEX}{{8}}-{_HEX}{{4}}-{_HEX}{{4}}-{_HEX}{{4}}-{_HEX}{{12}}"
# A token's characters: not `/`, `~` (but `~0`, `~1`), nor what JSON escapes (a format's regex
# holds no JSON escapes, as it is also read as a pattern over the decoded string).
_POINTER_CHAR = '([^/~"\\\\\\x00-\\x1f]|~[01])'
JSON_POINTER = f"(/{_POINTER_CHAR}*)*"
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
    "uri-reference": URI_REFERENCE,
    "iri": IRI,
    "iri-reference": IRI_REFERENCE,
    "uri-template": URI_TEMPLATE,
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
