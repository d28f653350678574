"""uniqueItems beyond one item, and the one warning that lists every narrowing.

Oracles: `jsonschema` on every subset of the values (in the schema's order and shuffled) and on
random walks of the DFA; `json.dumps` for the spellings."""
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


def test_every_subset_in_schema_order_and_no_repeats():
    schema = {"type": "array", "items": {"enum": VALUES}, "uniqueItems": True}
    dfa, messages = compiled(schema)
    check = jsonschema.Draft202012Validator(schema)
    for size in range(len(VALUES) + 1):
        for subset in itertools.combinations(VALUES, size):
            assert dfa.matches(json.dumps(list(subset)).encode()), subset
            for order in itertools.permutations(subset):
                if dfa.matches(json.dumps(list(order)).encode()):
                    assert check.is_valid(list(order)) and list(order) == list(subset), order
    for repeated in (["a", "a"], [3, "b", 3], [None, None]):
        assert not check.is_valid(repeated) and not dfa.matches(json.dumps(repeated).encode())
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
    assert "uniqueItems at /properties/tags (at most one item)" in messages[0]
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
