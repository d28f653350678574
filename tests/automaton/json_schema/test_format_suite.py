"""The JSON-Schema-Test-Suite's 2020-12 `optional/format` files through `compile_dfa(schema=...)`.

Our compiler asserts formats (README, "JSON schemas"), so every instance the suite marks invalid
must be rejected, in each layout's spelling and with ASCII escapes. Random walks of every
compiled DFA must validate with `jsonschema` (format checks on) and, for the formats its checker
skips here or checks loosely, with the RFC checks of `format_oracles` (those are checked against
the suite first). Valid instances the DFA rejects are narrowings (non-strings, which the format
keywords alone read as strings; formats only partly regular); their count is held above a floor.
"""
from __future__ import annotations

import json
import warnings

import jsonschema
import numpy as np
import pytest

import automaton
from tests.automaton.json_schema.format_oracles import ORACLES
from tests.automaton.json_schema.suite_files import LAYOUTS, SUITE_DIR, compile_groups, read_groups, scan_instances
from tests.automaton.json_schema.walks import random_walks

FORMAT_DIR = SUITE_DIR / "optional" / "format"
# Measured: all 28 groups compile, 199 of their 376 valid instances are accepted in each layout
# (128 before the formats followed their RFCs: URI references, IRIs,
# e-mail address literals, IPv6 with a dotted quad, leap seconds, 63-character labels, ...).
MIN_COMPILED, MIN_VALID_ACCEPTED = 28, 199
# Formats whose walks no checker here decides, and why (none is left unchecked silently).
UNCHECKED = {"unknown": "not a format: JSON Schema takes any string"}
# Valid suite instances the RFC checks refuse (they are stricter, never looser, than the suite).
STRICTER_THAN_SUITE = {
    ("idn-email", "실례@실례.테스트"), ("idn-email", "user@cafe\u0301.com"),  # U-label domains (IDNA rules)
    ("uri-template", "a'b"),  # RFC 6570's literals leave out the apostrophe
}
pytestmark = pytest.mark.filterwarnings("ignore:JSON-schema keywords narrowed")


def format_groups() -> list[tuple[str, dict]]:
    assert FORMAT_DIR.is_dir(), f"the vendored format tests are missing from {FORMAT_DIR}"
    return read_groups(sorted(FORMAT_DIR.glob("*.json")))


def compiled(layout) -> tuple[list, list]:
    done, refused = compile_groups(format_groups(), layout)
    for name, error in refused:
        assert isinstance(error, automaton.UnsupportedSchemaError), (name, error)
    return done, refused


@pytest.mark.parametrize("layout", list(LAYOUTS), ids=str)
def test_format_suite_invalid_instances_are_rejected(layout):
    done, refused = compiled(layout)
    unsound, valid_total, valid_accepted = scan_instances(done, layout)
    assert not unsound, unsound[:10]
    assert len(done) >= MIN_COMPILED, (len(done), [(n, str(e)[:80]) for n, e in refused])
    assert valid_accepted >= MIN_VALID_ACCEPTED, (valid_accepted, valid_total)


def test_every_format_has_a_checker():
    checked = set(jsonschema.Draft202012Validator.FORMAT_CHECKER.checkers) | set(ORACLES)
    formats = {group["schema"]["format"] for _, group in format_groups()}
    assert formats - checked == set(UNCHECKED), formats - checked


def test_oracles_agree_with_the_suite():
    """The RFC checks refuse every invalid suite instance and take every valid one but those listed."""
    disagreements = set()
    for name, group in format_groups():
        oracle = ORACLES.get(group["schema"]["format"])
        for case in group["tests"]:
            if oracle is not None and isinstance(case["data"], str) and oracle(case["data"]) != case["valid"]:
                assert case["valid"], (name, case["data"])  # an oracle taking an invalid instance
                disagreements.add((group["schema"]["format"], case["data"]))
    assert disagreements == STRICTER_THAN_SUITE


@pytest.mark.parametrize("layout,count", [("spaced", 40), ("compact", 8), (2, 8)], ids=str)
def test_format_walks_validate(layout, count):
    done, _ = compiled(layout)
    rng = np.random.default_rng(22)
    invalid = []
    for name, group, dfa in done:
        schema = group["schema"]
        check = jsonschema.Draft202012Validator(schema, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER)
        oracle = ORACLES.get(schema["format"])
        for text in random_walks(dfa, count, rng):
            try:
                value = json.loads(text.decode("utf-8"))
            except ValueError as error:
                invalid.append((name, text[:200], f"not JSON: {error}"))
                continue
            if not check.is_valid(value):
                invalid.append((name, text[:200], "jsonschema"))
            elif oracle is not None and isinstance(value, str) and not oracle(value):
                invalid.append((name, text[:200], f"RFC check of {schema['format']}"))
    assert not invalid, (sorted({(n.split(":")[0], r) for n, _, r in invalid}), invalid[:3])


def _format_dfa(name: str):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return automaton.compile_dfa(schema={"type": "string", "format": name}, max_states=20000)


def test_leap_seconds_follow_the_offset():
    """Every `HH:MM:60` with every offset in quarter hours: accepted only at 23:59 UTC, and there
    whenever the offset is a whole hour, a half or a quarter to (the narrowing)."""
    dfa = _format_dfa("time")
    wrong = []
    zones = ["Z", "z"] + [f"{s}{m // 60:02d}:{m % 60:02d}" for s in "+-" for m in range(0, 24 * 60, 15)]
    for local in range(24 * 60):
        for zone in zones:
            value = f"{local // 60:02d}:{local % 60:02d}:60{zone}"
            accepted = dfa.matches(json.dumps(value).encode())
            expected = ORACLES["time"](value) and not zone.endswith(":15")
            if accepted != expected:
                wrong.append(value)
    assert not wrong, wrong[:10]


# (format, value, accepted): lengths and counts at the edges of the RFCs' limits.
EDGES = [
    ("hostname", "a" * 63 + ".com", True),
    ("hostname", "a" * 64 + ".com", False),
    ("hostname", ".".join(["a" * 63] * 3 + ["a" * 61]), True),  # 253 characters
    ("hostname", ".".join(["a" * 63] * 3 + ["a" * 62]), False),
    ("hostname", "ab--c.com", False),
    ("hostname", "a--b.com", True),
    ("idn-hostname", "a" * 63, True),
    ("ipv6", "1:2:3:4:5:6:7::", True),
    ("ipv6", "::1.2.3.4", True),
    ("ipv6", "1:2:3:4:5:6:1.2.3.4", True),
    ("ipv6", "1:2:3:4:5:6:7:1.2.3.4", False),
    ("ipv6", "1::2:3:4:5:6:1.2.3.4", False),
    ("email", "a@[1.2.3.4]", True),
    ("email", "a@[IPv6:1:2:3:4:5::6]", False),  # no IPv6 address literals (the narrowing)
    ("email", '"a b"@x.y', False),  # no quoted local parts (no JSON escapes in a format's regex)
    ("email", "a@[IPv6:::1%eth0]", False),
    ("uri", "http://[v7.a:b]/", True),
    ("uri", "http://[::1%eth0]/", False),
    ("uri-reference", "a/b:c", True),
    ("uri-reference", "a:b/c", True),
    ("iri", "http://x/?\U000f0000", True),
    ("iri", "http://x/\U000f0000", False),  # private use only in the query
    ("uri-template", "{v:9999}", True),
    ("uri-template", "{=v}", False),
    ("time", "23:59:60.5+00:00", True),
    ("date-time", "2016-12-31t23:59:60z", True),
    ("json-pointer", "/a b/~0~1/\u00e9", True),
    ("json-pointer", "/a\\b", False),  # no JSON escapes in a format's regex
    ("json-pointer", "/~", False),
]


@pytest.mark.parametrize("name,value,accepted", EDGES)
def test_format_edges(name, value, accepted):
    assert _format_dfa(name).matches(json.dumps(value, ensure_ascii=False).encode("utf-8")) == accepted
    if accepted:
        assert ORACLES[name](value) if name in ORACLES else jsonschema.Draft202012Validator.FORMAT_CHECKER.conforms(
            value, name)
