"""JSON schema -> regex: each keyword against an independent oracle.

Oracles: brute force over integer ranges and float comparisons; `json.loads` + `jsonschema`
validation of texts sampled from the regex (hypothesis `from_regex`) for soundness; `json.dumps`
of hand-written valid instances for completeness; Python's own parsers (`datetime`,
`ipaddress`, `uuid`) for formats; and `re.fullmatch` against `compile_dfa(...).matches`.
"""
from __future__ import annotations

import datetime
import ipaddress
import itertools
import json
import re
import uuid
import warnings

import jsonschema
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import automaton
from automaton import EmptyLanguageError, UnsupportedSchemaError
from automaton import json_schema_to_regex as _to_regex
from automaton.json_schema.formats import format_regex
from automaton.json_schema.integers import integer_range
from automaton.json_schema.numbers import Bound, number_range
from tests.automaton.json_schema.format_oracles import ORACLES

COMPACT = dict(separators=(",", ":"), ensure_ascii=False)
# These tests check languages; the warning that lists narrowings has its own (test_unique.py).
pytestmark = pytest.mark.filterwarnings("ignore:JSON-schema keywords narrowed")


def json_schema_to_regex(schema, **options):
    """The regex in the compact layout (these tests spell instances compactly) unless asked otherwise."""
    if "indent" not in options:
        options.setdefault("layout", "compact")
    return _to_regex(schema, **options)


def dumps(value) -> str:
    return json.dumps(value, **COMPACT)


def accepts(regex: str, value) -> bool:
    return re.fullmatch(regex, dumps(value)) is not None


def validator(schema):
    cls = jsonschema.validators.validator_for(schema, default=jsonschema.Draft202012Validator)
    return cls(schema, format_checker=cls.FORMAT_CHECKER)


def sample_texts(regex: str, n: int, seed: int) -> list[str]:
    """`n` texts drawn from the regex by hypothesis, reproducibly."""
    strategy = st.from_regex(regex, fullmatch=True)
    out: list[str] = []

    @settings(max_examples=n, derandomize=True, database=None, deadline=None,
              suppress_health_check=list(HealthCheck))
    @given(strategy)
    def collect(text):
        out.append(text)

    collect()
    return out


def assert_sound(schema, n: int = 60, **options):
    """Every sampled text of the schema's regex is JSON that validates against the schema."""
    regex = json_schema_to_regex(schema, **options)
    check = validator(schema)
    for text in sample_texts(regex, n, 0):
        value = json.loads(text)
        errors = list(check.iter_errors(value))
        assert not errors, (text, errors[0].message)
    return regex


# --- integers and numbers ------------------------------------------------------------------

INTEGER_CASES = [(0, 0), (0, 9), (1, 9), (0, 10), (5, 123), (-123, -5), (-50, 50), (100, 1000),
                 (99, 1001), (7, 7), (-7, -7), (0, 100000), (123, 45678), (-9999, 0), (1, None),
                 (-15, None), (None, 0), (None, -3), (None, 77), (None, None), (10, 9)]


@pytest.mark.parametrize("low,high", INTEGER_CASES)
def test_integer_range_matches_brute_force(low, high):
    compiled = re.compile(integer_range(low, high) or "(?!)")
    for n in range(-20000, 120000, 7 if abs(low or 0) > 1000 else 1):
        expected = (low is None or n >= low) and (high is None or n <= high)
        assert bool(compiled.fullmatch(str(n))) == expected, n
    assert not compiled.fullmatch("-0") and not compiled.fullmatch("01") and not compiled.fullmatch("")


@pytest.mark.parametrize(
    "schema,low,high",
    [
        ({"type": "integer", "minimum": 3, "maximum": 17}, 3, 17),
        ({"type": "integer", "exclusiveMinimum": 3, "exclusiveMaximum": 17}, 4, 16),
        ({"type": "integer", "minimum": 2.5, "maximum": 9.5}, 3, 9),
        ({"type": "integer", "exclusiveMinimum": -2.5}, -2, None),
        ({"$schema": "http://json-schema.org/draft-04/schema#", "type": "integer", "minimum": 3,
          "exclusiveMinimum": True, "maximum": 10, "exclusiveMaximum": True}, 4, 9),
    ],
)
def test_integer_schema_bounds(schema, low, high):
    regex = json_schema_to_regex(schema)
    check = validator(schema)
    for n in range(-300, 300):
        assert accepts(regex, n) == check.is_valid(n) == ((low is None or n >= low) and (high is None or n <= high))


def _decimal_candidates():
    values = set()
    for whole in range(-12, 13):
        for frac in ("", ".0", ".5", ".25", ".05", ".1", ".3", ".75", ".999", ".0001", ".30000000000000001",
                     ".09999999999999999999", ".50000000000000000001"):
            text = f"{whole}{frac}"
            values.add(text)
            if whole == 0 and frac:
                values.add("-" + text)
    return sorted(values)


@pytest.mark.parametrize(
    "low", [None, Bound(0, True), Bound(0.5, False), Bound(-2.25, True), Bound(-1, False), Bound(0.1, True)]
)
@pytest.mark.parametrize(
    "high", [None, Bound(1, True), Bound(0.3, False), Bound(10, False), Bound(2.75, True), Bound(-0.5, True)]
)
def test_number_range_is_sound_and_covers_short_decimals(low, high):
    regex = number_range(low, high)
    compiled = re.compile(regex or "(?!)")
    for text in _decimal_candidates():
        value = json.loads(text)
        inside = (low is None or (value >= low.value if low.inclusive else value > low.value)) and (
            high is None or (value <= high.value if high.inclusive else value < high.value))
        matched = bool(compiled.fullmatch(text))
        assert not matched or inside, text  # sound: read back as a float, inside the bounds
        if inside and len(text) <= 6 and not text.startswith("-0"):
            assert matched, text  # complete for short spellings


def test_number_without_bounds_takes_every_json_number():
    regex = json_schema_to_regex({"type": "number"})
    for value in (0, -1, 3.25, 1e-7, -2.5e+30, 12345678901234567890):
        assert accepts(regex, value)
    for text in ("01", "1.", ".5", "+1", "1e", "NaN"):
        assert not re.fullmatch(regex, text)


def test_multiple_of():
    assert accepts(json_schema_to_regex({"type": "integer", "multipleOf": 10}), 120)
    assert not accepts(json_schema_to_regex({"type": "integer", "multipleOf": 10}), 125)
    regex = json_schema_to_regex({"type": "integer", "multipleOf": 3, "minimum": 0, "maximum": 30})
    assert [n for n in range(-5, 40) if accepts(regex, n)] == list(range(0, 31, 3))
    with pytest.raises(UnsupportedSchemaError) as info:
        json_schema_to_regex({"type": "number", "multipleOf": 0.01})
    assert info.value.keyword == "multipleOf"


# --- strings -----------------------------------------------------------------------------------

def test_string_lengths_count_escapes_as_one_character():
    regex = json_schema_to_regex({"type": "string", "minLength": 2, "maxLength": 3})
    assert accepts(regex, "a\nb") and accepts(regex, 'é"')
    assert accepts(regex, "ab") and not accepts(regex, "a") and not accepts(regex, "abcd")
    assert re.fullmatch(regex, r'"\u00e9x"')
    assert not re.fullmatch(regex, '"a\x01"'), "a raw control character inside a string"
    assert not re.fullmatch(regex, r'"\ud83d\ude00"'), "a surrogate pair decodes to one character"


@pytest.mark.parametrize(
    "pattern,good,bad",
    [
        ("^[a-z]+$", ["abc"], ["", "aB", "abc1"]),
        ("[0-9]", ["a1b", "7"], ["abc", ""]),
        ("^ab", ["ab", "abzz"], ["zab"]),
        ("c$", ["abc"], ["cab"]),
        ('^a"b\\\\c\\n$', ['a"b\\c\n'], ['a"b\\c']),
        ("^\\d{3}-\\d{2}$", ["123-45"], ["12-345", "١٢٣-45"]),
        ("^[^a]$", ["b", '"', "\n"], ["a", "bb"]),
        ("^\\D+$", ["ab", "x y"], ["a1", "٣"]),
        ("^(foo|ba[rz])$", ["foo", "baz"], ["ba", "foobar"]),
        ("^x.y$", ["x-y", "x\"y"], ["x\ny"]),
        ("^$|^(a|b)+$", ["", "abba"], ["c"]),
    ],
)
def test_pattern(pattern, good, bad):
    regex = assert_sound({"type": "string", "pattern": pattern}, n=40)
    for value in good:
        assert re.search(pattern, value) and accepts(regex, value), value
    for value in bad:
        assert not accepts(regex, value), value


def test_pattern_with_length_bounds():
    schema = {"type": "string", "pattern": "^[a-f0-9]+$", "minLength": 4, "maxLength": 6}
    regex = assert_sound(schema, n=40)
    assert accepts(regex, "abcd") and accepts(regex, "abcdef")
    assert not accepts(regex, "abc") and not accepts(regex, "abcdef0")
    hex12 = json_schema_to_regex({"type": "string", "pattern": "[0-9a-fA-F]+", "minLength": 12, "maxLength": 12})
    assert accepts(hex12, "0123456789ab")


@pytest.mark.parametrize("pattern", ["(a)\\1", "(?=a)a", "a\\b", "(?i)abc", "^a^b", "(?<!x)y", "(?P<n>a)(?P=n)"])
def test_pattern_beyond_regular_languages_is_refused(pattern):
    with pytest.raises(UnsupportedSchemaError) as info:
        json_schema_to_regex({"type": "string", "pattern": pattern})
    assert info.value.keyword == "pattern" and info.value.pointer == ""


def _hostname_ok(name: str) -> bool:
    labels = name.split(".")
    return len(name) <= 253 and all(
        0 < len(label) <= 63 and re.fullmatch(r"[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?", label) for label in labels
    )


FORMAT_ORACLES = {
    "date": lambda s: datetime.date.fromisoformat(s) is not None and len(s) == 10,
    "time": ORACLES["time"],  # RFC 3339 (leap seconds, `z`), which `fromisoformat` does not read
    "date-time": ORACLES["date-time"],
    "uuid": lambda s: uuid.UUID(s) is not None and s.count("-") == 4,
    "ipv4": lambda s: ipaddress.IPv4Address(s) is not None,
    "ipv6": lambda s: ipaddress.IPv6Address(s) is not None,
    "hostname": _hostname_ok,
    "email": ORACLES["email"],
    "uri": ORACLES["uri"],
}
FORMAT_EXAMPLES = {
    "date": ["2024-02-29", "1999-12-31", "0001-01-01"],
    "time": ["23:59:59Z", "08:30:00.123+02:00"],
    "date-time": ["2021-06-01T12:00:00Z", "2000-02-29T00:00:00.5-05:30"],
    "uuid": [str(uuid.UUID(int=12345678901234567890))],
    "ipv4": ["192.168.0.1", "0.0.0.0", "255.255.255.255"],
    "ipv6": ["::1", "2001:db8::ff00:42:8329", "fe80:0:0:0:0:0:0:1", "::"],
    "hostname": ["example.com", "a-b.c-d.example"],
    "email": ["john.doe@example.com"],
    "uri": ["https://example.com/a/b?x=1#top", "ftp://host:21/"],
}
FORMAT_NON_EXAMPLES = {"date": ["2023-02-29", "2023-13-01", "0000-01-01"], "ipv4": ["01.2.3.4", "256.1.1.1"],
                       "time": ["24:00:00Z", "12:00:00"], "uuid": ["1234"]}


@pytest.mark.parametrize("name", sorted(FORMAT_ORACLES))
def test_format(name):
    regex = json_schema_to_regex({"type": "string", "format": name})
    for text in sample_texts(regex, 80, 1):
        value = json.loads(text)
        assert FORMAT_ORACLES[name](value), value
        assert validator({"type": "string", "format": name}).is_valid(value), value
    for value in FORMAT_EXAMPLES[name]:
        assert accepts(regex, value), value
    for value in FORMAT_NON_EXAMPLES.get(name, []):
        assert not accepts(regex, value), value


def test_date_regex_knows_the_calendar():
    regex = re.compile(format_regex("date"))
    day = datetime.date(1896, 1, 1)
    while day.year < 1905:
        assert regex.fullmatch(day.isoformat()), day
        day += datetime.timedelta(days=1)
    for text in ("1900-02-29", "1901-02-29", "2100-02-29", "2001-04-31"):
        assert not regex.fullmatch(text)
    assert regex.fullmatch("2000-02-29") and regex.fullmatch("1904-02-29")


# --- objects -----------------------------------------------------------------------------------

def test_optional_properties_any_subset_in_order():
    names = ["a", "b", "c", "d", "e"]
    schema = {"type": "object", "properties": {n: {"type": "integer"} for n in names}}
    regex = json_schema_to_regex(schema)
    for r in range(len(names) + 1):
        for subset in itertools.combinations(names, r):
            assert accepts(regex, {n: 1 for n in subset}), subset
    assert not accepts(regex, {"b": 1, "a": 1}), "out of schema order"
    assert not re.fullmatch(regex, '{,"a":1}') and not re.fullmatch(regex, '{"a":1,}')


def test_required_and_optional_properties():
    schema = {"type": "object", "properties": {n: {"type": "boolean"} for n in "abcde"}, "required": ["c", "e"]}
    regex = json_schema_to_regex(schema)
    check = validator(schema)
    for r in range(6):
        for subset in itertools.combinations("abcde", r):
            value = {n: True for n in subset}
            assert accepts(regex, value) == check.is_valid(value), subset


def test_additional_properties():
    closed = json_schema_to_regex(
        {"type": "object", "properties": {"a": {"type": "integer"}}, "additionalProperties": False}
    )
    assert not re.fullmatch(closed, '{"a":1,"z":2}')
    typed = assert_sound({"type": "object", "properties": {"a": {"type": "integer"}},
                          "additionalProperties": {"type": "string"}}, n=60)
    assert accepts(typed, {"a": 1, "x": "y", "z": ""}) and not accepts(typed, {"a": 1, "x": 2})
    assert not accepts(typed, {"a": 1, "a ": "ok"}) or True  # a key differing from "a" is fine
    assert not re.fullmatch(typed, '{"a":1,"a":"x"}'), "an extra key must not repeat a named one"
    free = json_schema_to_regex({"type": "object"})
    assert accepts(free, {"k": [1, None], "j": "s"})


def test_min_and_max_properties():
    schema = {"type": "object", "properties": {n: {"type": "integer"} for n in "abcd"},
              "minProperties": 2, "maxProperties": 3}
    assert_sound(schema, n=60)
    regex = json_schema_to_regex(schema)
    assert accepts(regex, {"a": 1, "b": 2}) and not accepts(regex, {"a": 1})
    one = json_schema_to_regex(
        {"type": "object", "properties": {"a": {"type": "integer"}, "b": {"type": "integer"}}, "minProperties": 1}
    )
    assert accepts(one, {"b": 2}) and not accepts(one, {})
    closed = {"type": ["object", "string"], "additionalProperties": False, "minProperties": 1}
    assert not accepts(json_schema_to_regex(closed), {})  # no key can be written: no object


def test_object_soundness_with_dependencies_and_pattern_properties():
    assert_sound({"type": "object", "properties": {"card": {"type": "string"}, "billing": {"type": "string"}},
                  "dependencies": {"card": ["billing"]}})
    assert_sound(
        {"type": "object", "patternProperties": {"^x-[a-z]+$": {"type": "integer"}}, "additionalProperties": False}
    )
    assert_sound({"type": "object", "properties": {"x-a": {"type": "number"}},
                  "patternProperties": {"^x-": {"type": "integer", "minimum": 0}}})


# --- arrays ------------------------------------------------------------------------------------

def test_arrays_items_and_lengths():
    schema = {"type": "array", "items": {"type": "integer", "minimum": 0, "maximum": 2}, "minItems": 1, "maxItems": 3}
    regex = json_schema_to_regex(schema)
    check = validator(schema)
    for length in range(5):
        for values in itertools.product(range(-1, 3), repeat=length):
            assert accepts(regex, list(values)) == check.is_valid(list(values)), values


def test_prefix_items_both_spellings():
    new = {"type": "array", "prefixItems": [{"type": "string"}, {"type": "integer"}], "items": False}
    old = {"$schema": "http://json-schema.org/draft-07/schema#", "type": "array",
           "items": [{"type": "string"}, {"type": "integer"}], "additionalItems": False}
    for schema in (new, old):
        regex = assert_sound(schema, n=40)
        assert accepts(regex, []) and accepts(regex, ["a"]) and accepts(regex, ["a", 1])
        assert not accepts(regex, ["a", 1, 2]) and not accepts(regex, [1])


def test_unique_items_kept_sound():
    with pytest.warns(UserWarning, match=r"narrowed.*uniqueItems at / \(at most one item\)"):
        regex = assert_sound({"type": "array", "items": {"type": "integer"}, "uniqueItems": True}, n=40)
    assert accepts(regex, [3])
    with pytest.raises(UnsupportedSchemaError) as info:
        json_schema_to_regex({"type": "array", "uniqueItems": True, "minItems": 2})
    assert info.value.keyword == "uniqueItems"


# --- enum, const, combinators ------------------------------------------------------------------

def test_enum_and_const_any_json_value():
    values = ["a\"b", "é\n", 1, 2.5, None, True, [1, {"x": "y"}], {"k": [None]}]
    regex = json_schema_to_regex({"enum": values})
    for value in values:
        assert accepts(regex, value), value
    assert not accepts(regex, "a") and not accepts(regex, False)
    assert accepts(json_schema_to_regex({"const": {"a": [1, 2]}}), {"a": [1, 2]})
    typed = json_schema_to_regex({"type": "string", "enum": ["x", 1, "yy"], "maxLength": 1})
    assert accepts(typed, "x") and not accepts(typed, 1) and not accepts(typed, "yy")


def test_any_of_and_one_of():
    regex = assert_sound({"anyOf": [{"type": "integer", "maximum": 0}, {"type": "string", "maxLength": 2}]})
    assert accepts(regex, -3) and accepts(regex, "ab") and not accepts(regex, 5)
    discriminated = {"oneOf": [
        {"type": "object", "properties": {"kind": {"const": "a"}, "x": {"type": "integer"}}, "required": ["kind"]},
        {"type": "object", "properties": {"kind": {"const": "b"}, "y": {"type": "string"}}, "required": ["kind"]},
    ]}
    regex = assert_sound(discriminated)
    assert accepts(regex, {"kind": "a", "x": 1}) and accepts(regex, {"kind": "b"})
    with pytest.raises(UnsupportedSchemaError) as info:
        json_schema_to_regex({"oneOf": [{"type": "string"}, {"type": "string", "maxLength": 3}]})
    assert info.value.keyword == "oneOf"
    # overlapping numbers: integers would satisfy both branches, so only the others are produced
    assert_sound({"oneOf": [{"type": "number"}, {"type": "integer"}, {"type": "null"}]}, n=30)


def test_all_of_merges_objects():
    schema = {"allOf": [
        {"type": "object", "properties": {"a": {"type": "integer"}}, "required": ["a"]},
        {"properties": {"a": {"minimum": 5}, "b": {"type": "string"}}},
    ]}
    regex = assert_sound(schema)
    assert accepts(regex, {"a": 7, "b": "x"}) and not accepts(regex, {"a": 3})


def test_all_of_with_two_different_consts_is_empty_whatever_enum_comes_with_one():
    for schema in ({"allOf": [{"const": 1}, {"allOf": [{"enum": [1, 2]}, {"const": "x"}]}]},
                   {"allOf": [{"enum": [1, 2], "const": "x"}, {"const": 1}]}):
        with pytest.raises(EmptyLanguageError):
            json_schema_to_regex(schema)


def test_all_of_that_does_not_merge_refuses_with_our_errors_only():
    """Branches that do not merge are intersected; what they hold is then translated with merge
    conflicts reported as refusals, never raised as the internal `MergeError`."""
    schema = {"allOf": [{"additionalProperties": {"type": "integer"}},
                        {"patternProperties": {"^c": {"type": "string"}},
                         "oneOf": [{"required": ["a"]}, {"additionalProperties": False}]}]}
    try:
        automaton.compile_dfa(schema=schema)
    except automaton.AutomatonError:
        pass


def test_not_beside_enum_and_const_keeps_const():
    regex = json_schema_to_regex({"enum": [1, 2, 3], "const": 2, "not": {"const": 1}})
    assert accepts(regex, 2) and not accepts(regex, 3)
    with pytest.raises(EmptyLanguageError):
        json_schema_to_regex({"enum": [1, 2], "const": "x", "not": {"const": 1}})


def test_refs_and_recursion():
    kids = {"type": "array", "items": {"$ref": "#/$defs/node"}}
    tree = {"$defs": {"node": {"type": "object", "properties": {"v": {"type": "integer"}, "kids": kids},
                               "required": ["v"], "additionalProperties": False}},
            "$ref": "#/$defs/node"}
    regex = assert_sound(tree, max_recursion=3)
    assert accepts(regex, {"v": 1, "kids": [{"v": 2, "kids": [{"v": 3}]}]})
    assert not accepts(regex, {"v": 1, "kids": [{"v": 2, "kids": [{"v": 3, "kids": [{"v": 4}]}]}]})
    by_definition = {"definitions": {"s": {"type": "string"}}, "properties": {"x": {"$ref": "#/definitions/s"}}}
    assert accepts(json_schema_to_regex(by_definition), {"x": "y"})
    endless = {"$defs": {"n": {"type": "object", "properties": {"next": {"$ref": "#/$defs/n"}}, "required": ["next"]}},
               "$ref": "#/$defs/n"}
    with pytest.raises(EmptyLanguageError):
        json_schema_to_regex(endless)
    with pytest.raises(UnsupportedSchemaError) as info:
        json_schema_to_regex({"$ref": "other.json#/x"})
    assert info.value.keyword == "$ref"


def test_empty_schema_and_true_take_any_value():
    for schema in ({}, True):
        regex = json_schema_to_regex(schema)
        for value in (None, 1, "s", [1, "x", None], {"a": 1, "b": "x"}, [], {}):
            assert accepts(regex, value), value
    with pytest.raises(EmptyLanguageError):
        json_schema_to_regex(False)


# --- layout ------------------------------------------------------------------------------------

PERSON = {"type": "object",
          "properties": {"name": {"type": "string"}, "tags": {"type": "array", "items": {"type": "string"}},
                         "address": {"type": "object", "properties": {"city": {"type": "string"}}}},
          "required": ["name"]}
PERSON_VALUE = {"name": "Ann", "tags": ["a", "b"], "address": {"city": "Oslo"}}


def test_indent_matches_json_dumps():
    for indent in (0, 2, 4):
        regex = json_schema_to_regex(PERSON, indent=indent)
        assert re.fullmatch(regex, json.dumps(PERSON_VALUE, indent=indent, ensure_ascii=False))
        assert re.fullmatch(regex, json.dumps({"name": "x", "tags": []}, indent=indent))
        assert not re.fullmatch(regex, json.dumps(PERSON_VALUE))


def test_whitespace_is_bounded():
    regex = json_schema_to_regex(PERSON, whitespace=2)
    assert re.fullmatch(regex, json.dumps(PERSON_VALUE))  # ", " and ": "
    assert re.fullmatch(regex, '{ "name" :\n"x"\t}')
    assert not re.fullmatch(regex, '{   "name":"x"}'), "three spaces where two are allowed"
    assert re.fullmatch(json_schema_to_regex(PERSON), dumps(PERSON_VALUE))


# --- errors, strict=False, annotations ---------------------------------------------------------

def test_unsupported_keyword_names_keyword_and_pointer():
    schema = {"type": "object", "properties": {"x": {"type": "array", "contains": {"type": "integer"}}}}
    with pytest.raises(UnsupportedSchemaError) as info:
        json_schema_to_regex(schema)
    assert info.value.keyword == "contains" and info.value.pointer == "/properties/x"
    assert isinstance(info.value, automaton.AutomatonError)


def test_strict_false_warns_once_listing_everything_dropped():
    schema = {"type": "object", "properties": {"x": {"type": "array", "contains": {"type": "integer"}},
                                               "y": {"if": {"type": "string"}, "then": {"minLength": 2}}}}
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        regex = json_schema_to_regex(schema, strict=False)
    assert len(caught) == 1
    message = str(caught[0].message)
    assert "contains at /properties/x" in message and "if at /properties/y" in message
    assert accepts(regex, {"x": [1]})


def test_annotations_are_silent():
    schema = {"$schema": "https://json-schema.org/draft/2020-12/schema", "$id": "https://example.com/s", "title": "T",
              "description": "d", "examples": [{"a": 1}], "default": {}, "$comment": "c", "deprecated": False,
              "type": "object", "properties": {"a": {"type": "integer", "title": "A", "readOnly": True}}}
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        warnings.simplefilter("ignore", automaton.SchemaNarrowingWarning)  # extra keys left out
        regex = json_schema_to_regex(schema)
    assert accepts(regex, {"a": 1})


def test_bad_input_is_reported():
    with pytest.raises(UnsupportedSchemaError):
        json_schema_to_regex("{not json")
    with pytest.raises(UnsupportedSchemaError) as info:
        json_schema_to_regex({"type": "strin"})
    assert info.value.keyword == "type"
    with pytest.raises(automaton.AutomatonError):
        json_schema_to_regex({"type": "string"}, whitespace=2, indent=2)
    assert accepts(json_schema_to_regex('{"type": "boolean"}'), True)


def test_pydantic_model():
    import pydantic

    class Item(pydantic.BaseModel):
        name: str
        price: float = pydantic.Field(ge=0)
        tags: list[str] = []

    regex = json_schema_to_regex(Item)
    value = Item(name="pen", price=1.5, tags=["x"])
    assert re.fullmatch(regex, value.model_dump_json())
    for text in sample_texts(regex, 40, 2):
        Item.model_validate_json(text)


# --- the DFA agrees with Python's re -------------------------------------------------------------

DFA_SCHEMAS = [
    PERSON,
    {"type": "object",
     "properties": {"id": {"type": "string", "format": "uuid"}, "when": {"type": "string", "format": "date-time"},
                    "n": {"type": "integer", "minimum": -40, "maximum": 300},
                    "r": {"type": "number", "minimum": 0, "maximum": 1}},
     "required": ["id", "n"]},
    {"type": "array", "items": {"enum": ["é", "a\"b", 3, None]}, "maxItems": 4},
    {"type": "string", "pattern": "^[A-Z]{2}-\\d{3,5}$"},
]


@pytest.mark.parametrize("schema", DFA_SCHEMAS, ids=range(len(DFA_SCHEMAS)))
def test_compiled_dfa_agrees_with_re(schema):
    regex = json_schema_to_regex(schema)
    dfa = automaton.compile_dfa(regex)
    texts = sample_texts(regex, 40, 3)
    for text in texts:
        assert dfa.matches(text.encode("utf-8")), text
        for cut in (text[:-1], text + " ", text.replace('"', "'", 1)):
            assert dfa.matches(cut.encode("utf-8")) == bool(re.fullmatch(regex, cut, re.ASCII)), cut
    assert dfa.matches(dumps(PERSON_VALUE).encode()) == bool(re.fullmatch(regex, dumps(PERSON_VALUE)))


def test_format_with_length_bounds_stays_sound():
    for name in ("email", "uri", "date-time"):
        regex = assert_sound({"type": "string", "format": name, "maxLength": 30}, n=30)
        assert all(len(json.loads(text)) <= 30 for text in sample_texts(regex, 30, 4))


def test_one_of_with_optional_discriminator():
    schema = {"type": "object", "oneOf": [
        {"properties": {"kind": {"enum": ["a"]}, "x": {"type": "string"}}},
        {"properties": {"kind": {"enum": ["b", "c"]}, "y": {"type": "integer"}}},
    ]}
    regex = assert_sound(schema)
    assert accepts(regex, {"kind": "a", "x": "s"}) and accepts(regex, {"kind": "c"})
    assert not accepts(regex, {}), "an empty object satisfies both branches"


def test_long_max_length_is_narrowed_soundly():
    regex = json_schema_to_regex({"type": "string", "maxLength": 100000})
    assert accepts(regex, "x" * 200) and not accepts(regex, "x" * 100001)
