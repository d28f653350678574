"""Checks of string formats written from their RFCs, for the formats `jsonschema` does not check
here (its checkers for them need optional packages) or checks loosely (`email`: an `@`).

`ORACLES[name](text)` is True when `text` is in format `name`. Each check parses the text its
own way (component by component, numbers compared as numbers, `ipaddress` and `idna` for
addresses and labels), not with the regexes of `automaton.json_schema.formats`.
"""
from __future__ import annotations

import datetime
import ipaddress
import re

import idna

__all__ = ["ORACLES"]

_DIGITS = re.compile(r"[0-9]+\Z")


def _number(text: str) -> int | None:
    return int(text) if _DIGITS.match(text) else None


def is_date(text: str) -> bool:  # RFC 3339 full-date
    parts = text.split("-")
    if len(parts) != 3 or [len(p) for p in parts] != [4, 2, 2]:
        return False
    numbers = [_number(p) for p in parts]
    if None in numbers:
        return False
    try:
        datetime.date(*numbers)
    except ValueError:
        return False
    return True


def is_time(text: str) -> bool:
    """RFC 3339 full-time; a leap second (60) only where the time is 23:59 in UTC (5.7)."""
    if len(text) < 9 or text[2] != ":" or text[5] != ":":
        return False
    hour, minute, second = _number(text[:2]), _number(text[3:5]), _number(text[6:8])
    rest = text[8:]
    if rest.startswith("."):
        digits = len(rest) - len(rest[1:].lstrip("0123456789"))
        if digits == 1:
            return False
        rest = rest[digits:]
    if rest in ("Z", "z"):
        offset = 0
    elif len(rest) == 6 and rest[0] in "+-" and rest[3] == ":":
        off_hour, off_minute = _number(rest[1:3]), _number(rest[4:6])
        if off_hour is None or off_minute is None or off_hour > 23 or off_minute > 59:
            return False
        offset = (off_hour * 60 + off_minute) * (1 if rest[0] == "+" else -1)
    else:
        return False
    if None in (hour, minute, second) or hour > 23 or minute > 59 or second > 60:
        return False
    return second < 60 or (hour * 60 + minute - offset) % (24 * 60) == 23 * 60 + 59


def is_date_time(text: str) -> bool:
    return len(text) > 11 and text[10] in "Tt" and is_date(text[:10]) and is_time(text[11:])


def _units(text: str, allowed: str) -> list[str] | None:
    """The unit letters of `1*DIGIT unit` items filling `text`, or None."""
    found = re.findall(r"([0-9]+)([A-Z])", text)
    if "".join(n + u for n, u in found) != text or any(u not in allowed for _, u in found):
        return None
    return [u for _, u in found]


def is_duration(text: str) -> bool:
    """RFC 3339 appendix A: P then weeks alone, or date units then T and time units, each run of
    units contiguous in the order Y M D / H M S."""
    if not text.startswith("P"):
        return False
    body = text[1:]
    if _units(body, "W") is not None and len(_units(body, "W")) == 1:
        return True
    date, _, time = body.partition("T")
    date_units, time_units = _units(date, "YMD"), _units(time, "HMS")
    if date_units is None or time_units is None or ("T" in body and not time_units):
        return False
    if not date_units and not time_units:
        return False
    return all("".join(units) in order for units, order in ((date_units, "YMD"), (time_units, "HMS")))


_LDH = re.compile(r"[a-zA-Z0-9]([a-zA-Z0-9-]*[a-zA-Z0-9])?\Z")


def _host_label(label: str) -> bool:
    """RFC 1123 label of at most 63 characters; `--` in 3rd-4th place only in an A-label
    (RFC 5891) that decodes."""
    if not _LDH.match(label) or len(label) > 63:
        return False
    if label[2:4] == "--":
        try:
            idna.decode(label)
        except (idna.IDNAError, UnicodeError):
            return False
    return True


def is_hostname(text: str) -> bool:
    return 0 < len(text) <= 253 and all(_host_label(label) for label in text.split("."))


_ATEXT = "-a-zA-Z0-9!#$%&'*+/=?^_`{|}~"  # hyphen first: literal at the head of a class


def _mailbox(text: str, wide: bool) -> bool:
    """RFC 5321 Mailbox (RFC 6531 with `wide`: non-ASCII in the local part)."""
    extra = "\u0080-\ud7ff\ue000-\U0010ffff" if wide else ""
    if text.startswith('"'):
        match = re.match(f'"((?:[ !#-\\[\\]-~{extra}]|\\\\[ -~])*)"@', text)
        if not match:
            return False
        domain = text[match.end():]
    else:
        local, at, domain = text.rpartition("@")
        if not at or not re.fullmatch(f"[{_ATEXT}{extra}]+(\\.[{_ATEXT}{extra}]+)*", local):
            return False
    if domain.startswith("[") and domain.endswith("]"):
        literal = domain[1:-1]
        if literal.startswith("IPv6:"):
            address = literal[5:]
            if "%" in address:  # ipaddress reads a zone; RFC 5321 has none
                return False
            try:
                ipaddress.IPv6Address(address)
            except ValueError:
                return False
            # RFC 5321 4.1.3: "::" stands for at least two groups.
            written = len([g for g in re.split("::|:", address) if g]) + ("." in address)
            return "::" not in address or written <= 6
        try:
            ipaddress.IPv4Address(literal)
        except ValueError:
            return False
        return True
    return bool(domain) and all(_LDH.match(label) for label in domain.split("."))


_UCS = ("\u00a0-\ud7ff\uf900-\ufdcf\ufdf0-\uffef" + "".join(
    chr(plane << 16) + "-" + chr((plane << 16) + 0xFFFD) for plane in range(1, 14)) + "\U000e1000-\U000efffd")
_PRIVATE = "\ue000-\uf8ff\U000f0000-\U000ffffd\U00100000-\U0010fffd"
_SPLIT = re.compile(r"(([^:/?#]+):)?(//([^/?#]*))?([^?#]*)(\?([^#]*))?(#(.*))?\Z", re.S)  # RFC 3986, appendix B


def _reference(text: str, absolute: bool, iri: bool) -> bool:
    """RFC 3986 URI / URI-reference (RFC 3987 IRI with `iri`): split by appendix B, then each
    component checked against its rule."""
    unreserved = "-a-zA-Z0-9._~" + (_UCS if iri else "")
    pct = "%[0-9a-fA-F]{2}"
    pchar = f"(?:[{unreserved}!$&'()*+,;=:@]|{pct})"
    scheme, authority, path, query, fragment = _SPLIT.match(text).group(2, 4, 5, 7, 9)
    if scheme is not None and not re.fullmatch("[a-zA-Z][a-zA-Z0-9+.-]*", scheme):
        return False
    if absolute and scheme is None:
        return False
    if authority is not None:
        userinfo, _, hostport = authority.rpartition("@") if "@" in authority else ("", "", authority)
        if not re.fullmatch(f"(?:[{unreserved}!$&'()*+,;=:]|{pct})*", userinfo):
            return False
        match = re.fullmatch(r"(\[[^\]]*\]|[^:]*)(?::[0-9]*)?", hostport)
        if match is None:
            return False
        host = match.group(1)
        if host.startswith("["):
            inner = host[1:-1]
            if inner.startswith(("v", "V")):
                if not re.fullmatch(r"[vV][0-9a-fA-F]+\.[a-zA-Z0-9._~!$&'()*+,;=:-]+", inner):
                    return False
            else:
                try:
                    ipaddress.IPv6Address(inner)
                except ValueError:
                    return False
                if "%" in inner:  # ipaddress reads a zone; RFC 3986 has none
                    return False
        elif not re.fullmatch(f"(?:[{unreserved}!$&'()*+,;=]|{pct})*", host):
            return False
        if path and not path.startswith("/"):
            return False
    elif path.startswith("//"):
        return False
    elif scheme is None and ":" in path.split("/")[0]:
        return False
    if not all(re.fullmatch(f"{pchar}*", segment) for segment in path.split("/")):
        return False
    private = _PRIVATE if iri else ""
    return all(part is None or re.fullmatch(f"(?:{pchar}|[/?{extra}])*", part)
               for part, extra in ((query, private), (fragment, "")))


def is_uri_template(text: str) -> bool:
    """RFC 6570 level 4, without the operators it reserves for future extensions."""
    literal = f"(?:[!#$&(-;=?-\\[\\]_a-z~{_UCS}{_PRIVATE}]|%[0-9a-fA-F]{{2}})"
    varchar = "(?:[a-zA-Z0-9_]|%[0-9a-fA-F]{2})"
    for index, piece in enumerate(re.split(r"(\{[^{}]*\})", text)):
        if index % 2 == 0:
            if not re.fullmatch(f"{literal}*", piece):
                return False
            continue
        body = piece[1:-1]
        if body[:1] and body[0] in "+#./;?&":
            body = body[1:]
        for spec in body.split(","):
            name, _, modifier = spec.partition(":") if ":" in spec else spec.partition("*")
            if not re.fullmatch(f"{varchar}+(?:\\.{varchar}+)*", name):
                return False
            if ":" in spec and not (modifier.isascii() and modifier.isdigit() and not modifier.startswith("0")
                                    and len(modifier) <= 4):
                return False
            if "*" in spec and ":" not in spec and modifier:
                return False
    return True


ORACLES = {
    "date": is_date,
    "time": is_time,
    "date-time": is_date_time,
    "duration": is_duration,
    "hostname": is_hostname,
    "email": lambda text: _mailbox(text, False),
    "idn-email": lambda text: _mailbox(text, True),
    "uri": lambda text: _reference(text, True, False),
    "uri-reference": lambda text: _reference(text, False, False),
    "iri": lambda text: _reference(text, True, True),
    "iri-reference": lambda text: _reference(text, False, True),
    "uri-template": is_uri_template,
}
