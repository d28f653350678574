"""`dependentRequired` / `dependentSchemas` split into exact cases (trigger written, or never).

Oracle: `jsonschema` (2020-12) on every object over a few keys and values, in every key order."""
from __future__ import annotations

import itertools
import warnings

import jsonschema
import pytest

import automaton
from tests.automaton.json_schema.key_orders import disagreements

LAYOUTS = {"spaced": {}, "compact": {"separators": (",", ":")}, 2: {"indent": 2}}
VALUES = {"a": [1, 7], "b": ["x", 2], "c": [True], "d": [None]}

SCHEMAS = [
    {"type": "object", "properties": {"a": {"type": "integer"}, "b": {"type": "string"}, "c": {"type": "boolean"}},
     "dependentRequired": {"a": ["b"]}, "dependentSchemas": {"c": {"properties": {"a": {"minimum": 5}}}},
     "additionalProperties": False},
    {"dependentRequired": {"b": ["a"]}},  # a trigger written as an extra key
    {"type": "object", "properties": {"a": {}, "b": {}, "c": {}, "d": {}},
     "dependentRequired": {"a": ["b"], "b": ["c"], "c": ["d"]}, "dependentSchemas": {"d": {"required": ["a"]}}},
    {"type": "object", "properties": {"a": {"type": "integer"}}, "additionalProperties": {"type": "string"},
     "dependentSchemas": {"b": {"properties": {"a": {"maximum": 3}}, "required": ["a"]}}},
]


def objects(keys):
    for size in range(len(keys) + 1):
        for chosen in itertools.combinations(keys, size):
            for values in itertools.product(*(VALUES[k] for k in chosen)):
                yield dict(zip(chosen, values))


@pytest.mark.parametrize("layout", list(LAYOUTS), ids=str)
@pytest.mark.parametrize("schema", SCHEMAS, ids=range(len(SCHEMAS)))
def test_dependencies_are_exact(schema, layout):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        dfa = automaton.compile_dfa(schema=schema, layout=layout)
    check = jsonschema.Draft202012Validator(schema)
    wrong = disagreements(dfa, check, objects(list(VALUES)), **LAYOUTS[layout])
    assert not wrong, wrong[:5]


def test_too_many_triggers_fall_back_to_a_narrowing():
    schema = {"type": "object", "properties": {k: {"type": "integer"} for k in "abcdef"},
              "dependentRequired": {k: ["f"] for k in "abcde"}, "additionalProperties": False}
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        dfa = automaton.compile_dfa(schema=schema)
    assert any("dependentRequired" in str(w.message) for w in caught)
    assert dfa.matches(b'{"a": 1, "f": 2}') and not dfa.matches(b'{"a": 1}')
