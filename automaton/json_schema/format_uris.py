"""Regexes of the address formats (the JSON text inside the quotes), transcribed from their RFCs.

`ipv6` (RFC 4291 / RFC 3986 `IPv6address`, with an embedded dotted quad), `hostname` (RFC 1123
labels), `email` (RFC 5321 `Mailbox`), `idn-email` (RFC 6531), `uri` / `uri-reference`
(RFC 3986), `iri` / `iri-reference` (RFC 3987) and `uri-template` (RFC 6570). Where an RFC's
grammar is looser than its prose, the prose wins (a subset is produced):

- hostname labels never hold `--` in their 3rd and 4th characters (RFC 5891 reserves it for
  A-labels, whose Punycode no regular language checks) and have 1 to 63 characters; a hostname
  has 1 to 4 labels, the fourth at most 61 characters, so that it stays within 253 characters;
- e-mail local parts are dot-atoms (no quoted strings); domains are such hostnames
  or an IPv4 address literal (no IPv6 nor general address literals);
- idn-email adds non-ASCII characters to the local part (RFC 6531), not to the domain;
- uri-template: no operators reserved for future extensions (`= , ! @ |`).
"""
from __future__ import annotations

from automaton.json_schema.integers import integer_range

__all__ = [
    "IPV4", "IPV6", "HOSTNAME", "IDN_HOSTNAME", "EMAIL", "IDN_EMAIL", "URI", "URI_REFERENCE", "IRI",
    "IRI_REFERENCE", "URI_TEMPLATE",
]

_HEX = "[0-9a-fA-F]"
_OCTET = integer_range(0, 255)
IPV4 = f"{_OCTET}(\\.{_OCTET}){{3}}"
_H16 = f"{_HEX}{{1,4}}"


def _ipv6(most_hex: int, most_with_v4: int) -> str:
    """Eight groups, six and a dotted quad, or `::` standing for what is left out, with at most
    `most_hex` groups written beside it (`most_with_v4` beside a dotted quad)."""

    def groups(count: int) -> str:  # `count` groups or fewer, at least one
        return f"({_H16}:){{0,{count - 1}}}{_H16}" if count > 1 else _H16

    forms = [f"({_H16}:){{7}}{_H16}", f"({_H16}:){{6}}{IPV4}", f"::({groups(most_hex)})?",
             f"::({_H16}:){{0,{most_with_v4}}}{IPV4}"]
    for left in range(1, most_hex + 1):
        head = f"({_H16}:){{{left - 1}}}{_H16}::"
        rest = most_hex - left
        forms.append(f"{head}({groups(rest)})?" if rest else head)
    for left in range(1, most_with_v4 + 1):
        forms.append(f"({_H16}:){{{left - 1}}}{_H16}::({_H16}:){{0,{most_with_v4 - left}}}{IPV4}")
    return "(" + "|".join(forms) + ")"


IPV6 = _ipv6(7, 5)


def _label(letters: str, most: int) -> str:
    """1 to `most` (>= 5) letters, digits and inner hyphens, no `--` in 3rd and 4th place."""
    ldh = f"[{letters}-]"
    return (f"[{letters}]([{letters}]|{ldh}[{letters}]|{ldh}{ldh}[{letters}]"
            f"|{ldh}([{letters}]{ldh}|-[{letters}]){ldh}{{0,{most - 5}}}[{letters}])?")


_ALNUM = "a-zA-Z0-9"
_LABEL = _label(_ALNUM, 63)
HOSTNAME = f"{_LABEL}(\\.{_LABEL}){{0,2}}(\\.{_label(_ALNUM, 61)})?"
# IDNA (`idna.encode`, what `jsonschema` checks) takes ASCII labels; lower case as IDNA writes them.
_LOWER_LABEL = _label("a-z0-9", 63)
IDN_HOSTNAME = f"{_LOWER_LABEL}(\\.{_LOWER_LABEL}){{0,2}}(\\.{_label('a-z0-9', 61)})?"

# RFC 5321 Dot-string local parts (no Quoted-string: a format's regex holds no JSON escapes, as
# it is also read as a pattern over the decoded string when length bounds apply).
_ATEXT = "[a-zA-Z0-9!#$%&'*+/=?^_`{|}~-]"
# IPv4 address literals only: an IPv6 one defeats the length fitting of `maxLength` beside it.
_ADDRESS_LITERAL = f"\\[{IPV4}\\]"
_DOMAIN = f"({HOSTNAME}|{_ADDRESS_LITERAL})"
EMAIL = f"{_ATEXT}+(\\.{_ATEXT}+)*@{_DOMAIN}"
# RFC 6531: UTF8-non-ascii in atext (raw; surrogates are no characters).
_NON_ASCII = "\\u0080-\\ud7ff\\ue000-\\U0010ffff"
_IDN_ATEXT = f"[a-zA-Z0-9!#$%&'*+/=?^_`{{|}}~{_NON_ASCII}-]"
IDN_EMAIL = f"{_IDN_ATEXT}+(\\.{_IDN_ATEXT}+)*@{_DOMAIN}"


_UNRESERVED = "-a-zA-Z0-9._~"  # hyphen first: literal at the head of a class


def _rfc3986(unreserved: str, private: str) -> tuple[str, str]:
    """(absolute, reference) regexes of RFC 3986 with `unreserved` (a class body); `private` is
    what the query may hold besides (RFC 3987's iprivate)."""
    pct = f"%{_HEX}{{2}}"
    sub_delims = "!$&'()*+,;="
    pchar = f"([{unreserved}{sub_delims}:@]|{pct})"
    userinfo = f"([{unreserved}{sub_delims}:]|{pct})*"
    ip_literal = f"\\[({IPV6}|[vV]{_HEX}+\\.[{_UNRESERVED}{sub_delims}:]+)\\]"
    reg_name = f"([{unreserved}{sub_delims}]|{pct})*"
    authority = f"({userinfo}@)?({ip_literal}|{reg_name})(:[0-9]*)?"
    abempty = f"(/{pchar}*)*"
    absolute = f"/({pchar}+(/{pchar}*)*)?"
    rootless = f"{pchar}+(/{pchar}*)*"
    noscheme = f"([{unreserved}{sub_delims}@]|{pct})+(/{pchar}*)*"
    query = f"(\\?({pchar}|[/?{private}])*)?"
    fragment = f"(#({pchar}|[/?])*)?"
    scheme = "[a-zA-Z][a-zA-Z0-9+.-]*"
    hier = f"(//{authority}{abempty}|{absolute}|{rootless})?"
    relative = f"(//{authority}{abempty}|{absolute}|{noscheme})?"
    return f"{scheme}:{hier}{query}{fragment}", f"({scheme}:{hier}|{relative}){query}{fragment}"


URI, URI_REFERENCE = _rfc3986(_UNRESERVED, "")
_UCSCHAR = ("\\u00a0-\\ud7ff\\uf900-\\ufdcf\\ufdf0-\\uffef" + "".join(
    f"\\U{plane:04x}0000-\\U{plane:04x}fffd" for plane in range(1, 14)) + "\\U000e1000-\\U000efffd")
_IPRIVATE = "\\ue000-\\uf8ff\\U000f0000-\\U000ffffd\\U00100000-\\U0010fffd"
IRI, IRI_REFERENCE = _rfc3986(_UNRESERVED + _UCSCHAR, _IPRIVATE)

# RFC 6570 (level 4): literals and `{operator varspec,...}` expressions.
_PCT = f"%{_HEX}{{2}}"
_LITERAL = f"([!#$&(-;=?-\\[\\]_a-z~{_UCSCHAR}{_IPRIVATE}]|{_PCT})"
_VARCHAR = f"([a-zA-Z0-9_]|{_PCT})"
_VARSPEC = f"{_VARCHAR}(\\.?{_VARCHAR})*(:[1-9][0-9]{{0,3}}|\\*)?"
URI_TEMPLATE = f"({_LITERAL}|\\{{[+#./;?&]?{_VARSPEC}(,{_VARSPEC})*\\}})*"
