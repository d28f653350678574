"""uniqueItems beyond one item, and the one warning that lists every narrowing.

Oracles: `jsonschema` on every subset of the values (in the schema's order and shuffled), on
every short array of a pool of values in several spellings, and on random walks of the DFA;
`json.dumps` for the spellings."""
from __future__ import annotations

import itertools
import json
import warnings

import jsonschema
import numpy as np
import pytest

import automaton
from tests.automaton.json_schema.walks import random_walks

VALUES = ["a", "b", 3, None]


def compiled(schema, **options):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        dfa = automaton.compile_dfa(schema=schema, **options)
    return dfa, [str(w.message) for w in caught]


def assert_walks_validate(schema, dfa, n=40):
    check = jsonschema.Draft202012Validator(schema)
    for data in random_walks(dfa, n, np.random.default_rng(3)):
        value = json.loads(data)
        assert check.is_valid(value), data


def test_every_arrangement_of_few_values_and_no_repeats():
    schema = {"type": "array", "items": {"enum": VALUES}, "uniqueItems": True}
    dfa, messages = compiled(schema)
    check = jsonschema.Draft202012Validator(schema)
    for size in range(len(VALUES) + 1):
        for order in itertools.permutations(VALUES, size):
            assert check.is_valid(list(order)) and dfa.matches(json.dumps(list(order)).encode()), order
    for repeated in (["a", "a"], [3, "b", 3], [None, None]):
        assert not check.is_valid(repeated) and not dfa.matches(json.dumps(repeated).encode())
    assert_walks_validate(schema, dfa)
    assert not any("uniqueItems" in m for m in messages), messages


def test_many_values_every_subset_in_schema_order():
    values = [f"v{i}" for i in range(12)]
    schema = {"type": "array", "items": {"enum": values}, "uniqueItems": True, "maxItems": 4}
    dfa, messages = compiled(schema)
    check = jsonschema.Draft202012Validator(schema)
    for size in range(4):
        for subset in itertools.combinations(values[:6], size):
            assert dfa.matches(json.dumps(list(subset)).encode()), subset
            for order in itertools.permutations(subset):
                if dfa.matches(json.dumps(list(order)).encode()):
                    assert check.is_valid(list(order)) and list(order) == list(subset), order
    assert not dfa.matches(json.dumps(values[:5]).encode())
    assert_walks_validate(schema, dfa)
    assert len(messages) == 1 and "uniqueItems at / (distinct items in the order" in messages[0]


def test_finite_items_from_types_refs_and_equal_numbers():
    booleans = {"type": "array", "items": {"type": "boolean"}, "uniqueItems": True}
    dfa, _ = compiled(booleans, layout="compact")
    assert dfa.matches(b"[true,false]") and not dfa.matches(b"[true,true]")
    assert_walks_validate(booleans, dfa)
    numbers = {"$defs": {"n": {"enum": [1, 1.0, 2]}}, "type": "array", "items": {"$ref": "#/$defs/n"},
               "uniqueItems": True, "maxItems": 2}
    dfa, _ = compiled(numbers)
    assert dfa.matches(b"[1, 2]") and not dfa.matches(b"[1, 1.0]") and not dfa.matches(b"[1.0, 1]")
    assert_walks_validate(numbers, dfa)
    filtered = {"type": "array", "items": {"enum": ["x", "yy", 5], "type": "string", "maxLength": 1},
                "uniqueItems": True}
    dfa, _ = compiled(filtered)
    assert dfa.matches(b'["x"]') and not dfa.matches(b'["yy"]') and not dfa.matches(b'["x", 5]')


def test_unique_items_with_min_items_over_open_items_is_refused():
    with pytest.raises(automaton.UnsupportedSchemaError) as info:
        automaton.compile_dfa(schema={"type": "array", "items": {"type": "string"}, "uniqueItems": True,
                                      "minItems": 2})
    assert info.value.keyword == "uniqueItems"


def test_one_warning_lists_every_narrowing():
    schema = {"type": "object", "properties": {
        "tags": {"type": "array", "items": {"type": "string"}, "uniqueItems": True},
        "many": {"type": "array", "items": {"type": "integer"}, "maxItems": 1000}}}
    dfa, messages = compiled(schema)
    assert len(messages) == 1
    assert "uniqueItems at /properties/tags (at most one string item)" in messages[0]
    assert "maxItems at /properties/many (at most 64 items)" in messages[0]
    assert_walks_validate(schema, dfa)


def test_bounded_arrays_of_large_items_stay_within_the_state_budget():
    item = {"type": "object", "properties": {"key": {"type": "string", "pattern": "^[0-9a-zA-Z_-]{1,255}$"},
                                             "value": {"type": "string", "minLength": 1, "maxLength": 255}},
            "additionalProperties": False}
    schema = {"type": "array", "items": item, "maxItems": 100}
    dfa, messages = compiled(schema)
    assert dfa.num_states < 40_000
    assert len(messages) == 1 and "maxItems at / (at most" in messages[0]
    assert_walks_validate(schema, dfa, n=10)


# -- uniqueItems by structure (automata) --------------------------------------------------------

POOL = [None, True, False, 0, 1, 1.0, 2, -3.5, "a", "b", "", "ab", [], [1], {}, {"k": 1}]


def spellings(value) -> list[str]:
    """Texts of an array value in the spaced layout: json.dumps's, and with `\\u` escapes."""
    text = json.dumps(value)
    escaped = json.dumps(value, ensure_ascii=False).replace('"a"', '"\\u0061"')
    return list(dict.fromkeys([text, escaped]))


def assert_enumerated_valid(schema, dfa, size=3):
    """Every array of up to `size` pool values (each order, each spelling) the DFA accepts validates."""
    check = jsonschema.Draft202012Validator(schema)
    accepted = 0
    for n in range(size + 1):
        for items in itertools.permutations(POOL, n):
            for text in spellings(list(items)):
                if dfa.matches(text.encode()):
                    accepted += 1
                    assert check.is_valid(json.loads(text)), text
    return accepted


STRUCTURAL = [
    {"prefixItems": [{"type": "string"}, {"type": "integer"}], "uniqueItems": True},
    {"type": "array", "prefixItems": [{"type": "string"}, {"type": "integer"}], "items": False, "uniqueItems": True},
    {"type": "array", "items": {"type": ["string", "integer"]}, "uniqueItems": True},
    {"type": "array", "items": {"anyOf": [{"enum": ["a", "b", 1]}, {"type": "object"}]}, "uniqueItems": True,
     "minItems": 2},
    {"type": "array", "items": {"anyOf": [{"enum": [1, 1.0, 2]}, {"type": "string"}]}, "uniqueItems": True},
    {"type": "array", "prefixItems": [{"enum": ["a", "b"]}, {"enum": ["b", "c"]}],
     "items": {"type": "string", "pattern": "^[a-c]$"}, "uniqueItems": True},
    {"type": "array", "prefixItems": [{"const": "a"}, {"type": "string", "maxLength": 1}], "uniqueItems": True},
    {"type": "array", "prefixItems": [{"type": "integer"}], "items": {"type": ["integer", "boolean", "null"]},
     "uniqueItems": True, "maxItems": 3},
    {"type": "array", "uniqueItems": True},
    {"type": "array", "prefixItems": [{"enum": ["", "ab"]}, {"type": "integer"}, {"enum": [[1], {}]}], "items": False,
     "uniqueItems": True, "maxItems": 2},
    {"type": "array", "prefixItems": [{"type": "boolean"}, {"type": "boolean"}, {"enum": [None, True]}],
     "items": {"type": ["boolean", "integer"]}, "uniqueItems": True},
    {"type": "array", "items": {"type": "array", "items": {"type": "integer"}, "uniqueItems": True},
     "uniqueItems": True},
]


@pytest.mark.parametrize("layout", ["spaced", "compact", 2])
@pytest.mark.parametrize("schema", STRUCTURAL, ids=lambda s: json.dumps(s)[:60])
def test_structurally_distinct_items_validate(schema, layout):
    dfa, _ = compiled(schema, layout=layout)
    if layout == "spaced":
        assert assert_enumerated_valid(schema, dfa) > 0
    assert_walks_validate(schema, dfa, n=60)


def test_disjoint_tuples_are_exact():
    schema = {"prefixItems": [{"type": "string"}, {"type": "integer"}], "items": False, "uniqueItems": True}
    dfa, messages = compiled(schema)
    for value in ([], ["a"], ["a", 1], ["\u0061", -7]):
        assert dfa.matches(json.dumps(value).encode()), value
    assert dfa.matches(b'["\\u0061", 1]')
    assert not any("uniqueItems" in m for m in messages), messages
    canonical = {"type": "array", "prefixItems": [{"type": "string", "pattern": "^a+$"},
                                                  {"type": "string", "pattern": "^b+$"}], "items": False,
                 "uniqueItems": True}
    dfa, messages = compiled(canonical)
    assert dfa.matches(b'["aa", "b"]') and not any("uniqueItems" in m for m in messages), messages


def test_items_of_several_kinds_take_one_of_each_open_kind():
    schema = {"type": "array", "items": {"type": ["string", "integer"]}, "uniqueItems": True, "minItems": 2}
    dfa, messages = compiled(schema)  # was refused: two distinct items
    assert dfa.matches(b'[1, "a"]') and dfa.matches(b'["a", 1]')  # any order of the kinds
    assert not dfa.matches(b'["a", "b"]') and not dfa.matches(b"[1, 2]") and not dfa.matches(b'[1, "a", 2]')
    assert "uniqueItems at / (at most one number and one string item)" in messages[0]
    assert "fixed order" not in messages[0]
    anything = {"type": "array", "uniqueItems": True}  # seven kinds: too many states for any order
    dfa, messages = compiled(anything)
    assert dfa.matches(b'[null, true, false, 0, "a", [], {}]') and not dfa.matches(b"[0, null]")
    assert "distinct items in a fixed order, by kind" in messages[0]
    mixed = {"type": "array", "items": {"anyOf": [{"enum": ["a", "b", 1]}, {"type": "object"}]},
             "uniqueItems": True}
    dfa, messages = compiled(mixed)
    for value in ([1, "a", "b", {}], ["a", "b"], [1, {"x": 2}]):
        assert dfa.matches(json.dumps(value).encode()), value
    assert not dfa.matches(b'["a", "a"]') and not dfa.matches(b"[{}, {}]")
    assert "at most one object item" in messages[0]
    equal_numbers = {"type": "array", "items": {"anyOf": [{"enum": [1, 1.0, 2]}, {"type": "string"}]},
                     "uniqueItems": True}
    dfa, _ = compiled(equal_numbers)
    assert dfa.matches(b'[1.0, 2, "x"]') and dfa.matches(b"[1, 2]")
    assert not dfa.matches(b"[1, 1.0]") and not dfa.matches(b"[1.0, 1]")


def test_overlapping_positions_stay_distinct():
    schema = {"type": "array", "prefixItems": [{"enum": ["a", "b"]}, {"enum": ["b", "c"]}],
              "items": {"type": "string", "pattern": "^[a-c]$"}, "uniqueItems": True}
    dfa, messages = compiled(schema)  # finite positions: exact, the values written are remembered
    for value in (["a", "c"], ["b", "c"], ["a", "b"], ["b"]):
        assert dfa.matches(json.dumps(value).encode()), value
    assert not dfa.matches(b'["b", "b"]') and not dfa.matches(b'["a", "c", "b"]')
    assert "values an earlier item may take left out at /items)" in messages[0]
    escapes = {"type": "array", "prefixItems": [{"const": "a"}, {"type": "string", "maxLength": 1}],
               "uniqueItems": True}
    dfa, messages = compiled(escapes)  # "\u0061" is "a": the second position cannot be told apart
    assert dfa.matches(b'["a"]') and not dfa.matches(b'["a", "\\u0061"]') and not dfa.matches(b'["a", "b"]')
    assert "left out at /prefixItems/1" in messages[0]


def test_counts_are_exact_over_finite_values():
    schema = {"type": "array", "items": {"enum": [1, 2, 3, "x"]}, "uniqueItems": True, "minItems": 2,
              "maxItems": 3}
    dfa, _ = compiled(schema)  # minItems 2 over finite values: no longer refused
    assert dfa.matches(b"[1, 3]") and dfa.matches(b'[2, 3, "x"]')
    assert not dfa.matches(b"[1]") and not dfa.matches(b'[1, 2, 3, "x"]')
    assert_enumerated_valid(schema, dfa)
    with pytest.raises(automaton.EmptyLanguageError):
        automaton.compile_dfa(schema={"type": "array", "items": {"enum": ["a"]}, "uniqueItems": True,
                                      "minItems": 2})


# -- the warning: each narrowing named where it applies, and only there --------------------------

NARROWINGS = [
    ("additionalProperties at / (absent: no keys but the named ones)",
     {"type": "object", "properties": {"a": {"type": "string"}}},
     {"type": "object", "properties": {"a": {"type": "string"}}, "additionalProperties": False}),
    ("additionalProperties at / (no extra keys but those of patternProperties)",
     {"type": "object", "patternProperties": {"^x": {"type": "string"}}},
     {"type": "object", "patternProperties": {"^x": {"type": "string"}}, "additionalProperties": False}),
    ("patternProperties at / (no extra keys: more than one pattern",
     {"type": "object", "patternProperties": {"^x\\d": {"type": "string"}, "^y": {"type": "string"}},
      "additionalProperties": False},
     {"type": "object", "patternProperties": {"^x": {"type": "string"}, "^y": {"type": "string"}},
      "additionalProperties": False}),
    ("format at / (asserted, though JSON Schema makes it an annotation",
     {"type": "string", "format": "date"},
     {"type": "string", "pattern": "^[0-9]{4}$"}),
    ("$ref at /$defs/n/items (recursion cut after max_recursion=3 levels)",
     {"$defs": {"n": {"type": "array", "items": {"$ref": "#/$defs/n"}, "maxItems": 2}}, "$ref": "#/$defs/n"},
     {"$defs": {"n": {"type": "array", "items": {"type": "null"}, "maxItems": 2}}, "$ref": "#/$defs/n"}),
]


# One spelling per value (key order, integers and numbers as json.dumps writes them): documented
# in the README's JSON-schemas section, not warned about.
SPELLINGS_ONLY = [
    {"type": "object", "properties": {"a": {"type": "string"}, "n": {"type": "integer"}},
     "additionalProperties": False},
    {"type": "number", "minimum": 0, "maximum": 5},
    {"enum": ["a", 1, 2.0]},
    {"const": {"a": 1, "b": [1.0]}},
]


@pytest.mark.parametrize("schema", SPELLINGS_ONLY, ids=["properties", "number", "enum", "const"])
def test_spelling_only_narrowings_are_silent(schema):
    dfa, messages = compiled(schema)
    assert messages == []
    assert_walks_validate(schema, dfa)


@pytest.mark.parametrize("fragment,triggers,quiet", NARROWINGS, ids=[n[0].split(" (")[0] for n in NARROWINGS])
def test_each_narrowing_is_named_where_it_applies(fragment, triggers, quiet):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        automaton.compile_dfa(schema=triggers)
    assert len(caught) == 1 and caught[0].category is automaton.SchemaNarrowingWarning
    assert fragment in str(caught[0].message), str(caught[0].message)
    _, messages = compiled(quiet)
    assert not any(fragment.split(" (")[0] + " (" + fragment.split(" (")[1][:12] in m for m in messages), messages


def test_narrowings_are_their_own_category_unless_a_keyword_is_dropped():
    schema = {"type": "object", "properties": {"a": {"type": "integer"}, "b": {"type": "string"}}}
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        warnings.simplefilter("ignore", automaton.SchemaNarrowingWarning)
        automaton.compile_dfa(schema=schema)  # filtered by category
    with pytest.warns(automaton.SchemaNarrowingWarning, match="^JSON-schema keywords narrowed"):
        automaton.json_schema_to_regex(schema)
    dropped = {"type": "object", "properties": {"a": {"type": "array", "contains": {"type": "integer"}},
                                                "b": {"type": "integer"}}}
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        automaton.json_schema_to_regex(dropped, strict=False)
    (warning,) = caught
    assert warning.category is UserWarning and "contains at /properties/a" in str(warning.message)
    assert "keywords narrowed (fewer instances allowed): " in str(warning.message)


def test_spelling_narrowings_keep_complements_exact():
    schema = {"type": "integer", "not": {"enum": [3, 4]}, "minimum": 0, "maximum": 6}
    dfa, _ = compiled(schema)  # refused if the integers' spelling narrowing counted as a value one
    assert [v for v in range(-2, 9) if dfa.matches(str(v).encode())] == [0, 1, 2, 5, 6]


def test_compile_index_warns_once_per_compilation(tmp_path):
    vocabulary = automaton.Vocabulary.from_token_bytes([bytes([b]) for b in range(256)] + [None], eos_token_ids=[256])
    schema = {"type": "object", "properties": {"a": {"type": "integer"}, "b": {"type": "string"}}}
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        for _ in range(3):  # the cache answers the later calls: nothing compiled, nothing to say
            automaton.compile_index(schema=schema, vocabulary=vocabulary, cache=tmp_path)
    narrowed = [w for w in caught if issubclass(w.category, automaton.SchemaNarrowingWarning)]
    assert len(narrowed) == 1 and "additionalProperties at / (absent: no keys" in str(narrowed[0].message)
