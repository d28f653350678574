"""`oneOf` over branches that only test which keys are present (`automaton.json_schema.presence`).

Oracle: `jsonschema` (2020-12) on every object over the schema's keys (each key present or
not, values of the right type and of a wrong one), in every key order."""
from __future__ import annotations

import itertools
import json
import warnings

import jsonschema
import pytest

import automaton
from automaton.errors import EmptyLanguageError
from tests.automaton.json_schema.key_orders import disagreements

NUMBERS = {k: {"type": "number"} for k in ("radius", "length", "width", "base", "height")}
SCHEMAS = {
    "shapes": {"type": "object", "properties": NUMBERS,
               "oneOf": [{"required": ["radius"]}, {"required": ["length", "width"]},
                         {"required": ["base", "height"]}]},
    "with not": {"type": "object", "properties": NUMBERS, "required": ["radius"],
                 "oneOf": [{"not": {"required": ["base", "height"]}, "required": ["length", "width"]},
                           {"not": {"required": ["length", "width"]}, "required": ["base", "height"]}]},
    "nested tests": {"type": "object", "properties": NUMBERS,
                     "oneOf": [{"anyOf": [{"required": ["radius"]}, {"required": ["base"]}]},
                               {"allOf": [{"required": ["length"]}, {"oneOf": [{"required": ["width"]},
                                                                               {"required": ["height"]}]}]}]},
    "extra keys allowed": {"type": "object", "oneOf": [{"required": ["a"]}, {"required": ["b"]}]},
}


def instances(schema):
    keys = list(schema.get("properties", {})) or ["a", "b", "c"]
    for size in range(len(keys) + 1):
        for chosen in itertools.combinations(keys, size):
            yield {k: 1 for k in chosen}
    yield {"radius": "wide"}


@pytest.mark.parametrize("name", list(SCHEMAS))
def test_cases_are_exact(name):
    schema = SCHEMAS[name]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        dfa = automaton.compile_dfa(schema=schema)
    check = jsonschema.Draft202012Validator(schema)
    wrong = disagreements(dfa, check, instances(schema))
    assert not wrong, wrong[:5]


def test_no_object_satisfies_exactly_one_branch():
    every_key = {"type": "object", "properties": NUMBERS, "required": list(NUMBERS),
                 "oneOf": [{"required": ["radius"]}, {"required": ["length", "width"]}]}
    with pytest.raises(EmptyLanguageError):
        automaton.compile_dfa(schema=every_key)


def test_branches_beyond_presence_keep_the_objects_failing_the_others():
    """Objects satisfy exactly one branch where a property the other tests fails it ({"dog": 1}):
    each branch keeps those (`algebra.objects_failing`), checked with `jsonschema`."""
    schema = {"type": "object", "oneOf": [{"properties": {"dog": {"type": "string"}}},
                                          {"properties": {"cat": {"type": "string"}}}]}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        dfa = automaton.compile_dfa(schema=schema)
    check = jsonschema.Draft202012Validator(schema)
    for value in ({"dog": 1}, {"cat": None}, {"dog": "x"}, {}, {"dog": "x", "cat": 2}, {"dog": 1, "cat": 2}):
        assert dfa.matches(json.dumps(value).encode()) == check.is_valid(value), value
