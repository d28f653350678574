"""`if`/`then`/`else` whose `if` tests properties: objects that fail it reach `else`
(`algebra.objects_failing`).

Oracle: `jsonschema` (2020-12) on every object over a few keys and values, in every key order,
and on random walks of each DFA."""
from __future__ import annotations

import itertools
import json
import warnings

import jsonschema
import numpy as np
import pytest

import automaton
from tests.automaton.json_schema.key_orders import disagreements
from tests.automaton.json_schema.walks import random_walks

INTS = {"type": "integer"}
SCHEMAS = {
    "const discriminator": (
        {"type": "object", "properties": {"country": {"enum": ["US", "CA", "FR"]}, "zip": {"type": "string"}},
         "required": ["country", "zip"], "if": {"properties": {"country": {"const": "US"}}},
         "then": {"properties": {"zip": {"pattern": "^[0-9]{5}$"}}},
         "else": {"properties": {"zip": {"pattern": "^[A-Z][0-9]$"}}}},
        {"country": ["US", "CA", "FR", "DE"], "zip": ["12345", "A1", "x", 7]}),
    "required test": (
        {"type": "object", "properties": {"a": INTS, "b": INTS, "c": INTS}, "if": {"required": ["a"]},
         "then": {"required": ["b"]}, "else": {"required": ["c"]}},
        {"a": [1], "b": [2], "c": [3]}),
    "bound test": (
        {"type": "object", "properties": {"n": INTS, "m": INTS}, "required": ["m"],
         "if": {"properties": {"n": {"minimum": 10}}, "required": ["n"]},
         "then": {"properties": {"m": {"const": 1}}}, "else": {"properties": {"m": {"const": 2}}}},
        {"n": [3, 10, 12], "m": [1, 2]}),
    "closed test": (
        {"type": "object", "properties": {"a": INTS, "b": INTS},
         "if": {"properties": {"a": INTS}, "additionalProperties": False},
         "then": {"required": ["a"]}, "else": {"required": ["b"]}},
        {"a": [1, "x"], "b": [2]}),
}


def objects(values: dict):
    keys = list(values)
    for size in range(len(keys) + 1):
        for chosen in itertools.combinations(keys, size):
            for picked in itertools.product(*(values[k] for k in chosen)):
                yield dict(zip(chosen, picked))


@pytest.mark.parametrize("name", list(SCHEMAS))
def test_objects_failing_if_reach_else(name):
    schema, values = SCHEMAS[name]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        dfa = automaton.compile_dfa(schema=schema)
    check = jsonschema.Draft202012Validator(schema)
    wrong = disagreements(dfa, check, objects(values))
    assert not wrong, wrong[:5]
    for text in random_walks(dfa, 60, np.random.default_rng(6)):
        assert check.is_valid(json.loads(text)), text


def test_a_container_value_failing_the_test_is_left_out():
    """The property's failing side is taken over scalars only: `{"t": [1]}` fails `if` (not 1
    or 2), satisfies `else`, and is left out here (a narrowing, named in the warning)."""
    schema = {"type": "object", "properties": {"t": {}}, "required": ["t"],
              "if": {"properties": {"t": {"enum": [1, 2]}}}, "then": {"properties": {"t": {"type": "integer"}}},
              "else": {"properties": {"t": {"not": {"type": "integer"}}}}}
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        dfa = automaton.compile_dfa(schema=schema)
    assert any("objects where a property it tests is absent or holds a scalar" in str(w.message) for w in caught)
    check = jsonschema.Draft202012Validator(schema)
    for value, accepted in ((1, True), (2, True), (3, False), ("x", True), (None, True)):
        assert check.is_valid({"t": value}) == accepted
        assert dfa.matches(json.dumps({"t": value}).encode()) == accepted, value
    assert check.is_valid({"t": [1]}) and not dfa.matches(b'{"t": [1]}')


def test_not_of_a_property_test_keeps_the_objects_that_fail_it():
    schema = {"type": "object", "properties": {"kind": {"enum": ["a", "b", "c"]}, "n": INTS}, "required": ["kind"],
              "not": {"properties": {"kind": {"const": "a"}, "n": {"minimum": 5}}, "required": ["n"]}}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        dfa = automaton.compile_dfa(schema=schema)
    check = jsonschema.Draft202012Validator(schema)
    wrong = disagreements(dfa, check, objects({"kind": ["a", "b", "c"], "n": [1, 7]}))
    assert not wrong, wrong


# `oneOf` whose branches test properties: each branch keeps the objects shown to fail every other
# one (`algebra.exact_one_of` with `objects_failing`). Exact over these objects of scalar values.
ONE_OF = {
    "overlapping discriminators": (
        {"type": "object", "properties": {"country": {"enum": ["CAN", "MEX", "USA"]}, "state": {"type": "string"}},
         "oneOf": [{"properties": {"country": {"enum": ["CAN", "USA"]}, "state": {"enum": ["AB", "x"]}}},
                   {"properties": {"country": {"enum": ["MEX", "USA"]}, "state": {"enum": ["colima", "x"]}}}]},
        {"country": ["CAN", "MEX", "USA"], "state": ["AB", "colima", "x", "y"]}),
    "overlapping optional properties": (
        {"type": "object", "properties": {"dog": {}, "cat": {}},
         "oneOf": [{"properties": {"dog": {"type": "string"}}}, {"properties": {"cat": {"type": "string"}}}]},
        {"dog": ["x", 1], "cat": ["y", 2, None]}),
    "required beside a value test": (
        {"type": "object", "properties": {"a": INTS, "b": INTS},
         "oneOf": [{"required": ["a"]}, {"properties": {"b": {"minimum": 3}}, "required": ["b"]}]},
        {"a": [1], "b": [2, 5]}),
}


@pytest.mark.parametrize("name", list(ONE_OF))
def test_one_of_branches_keep_the_objects_failing_the_others(name):
    schema, values = ONE_OF[name]
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        dfa = automaton.compile_dfa(schema=schema)
    assert any("shown to fail the other branches" in str(w.message) for w in caught)
    check = jsonschema.Draft202012Validator(schema)
    instances = list(objects(values))
    assert any(check.is_valid(i) for i in instances) and not all(check.is_valid(i) for i in instances)
    wrong = disagreements(dfa, check, instances)
    assert not wrong, wrong[:5]
    for text in random_walks(dfa, 60, np.random.default_rng(7)):
        assert check.is_valid(json.loads(text)), text
