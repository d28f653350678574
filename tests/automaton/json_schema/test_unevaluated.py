"""`unevaluatedProperties` / `unevaluatedItems` lowered into `additionalProperties` / `items`
(`automaton.json_schema.unevaluated`).

Oracle: `jsonschema`'s Draft 2020-12 validator (draft 7 for the draft-7 case), on chosen
instances, on the official suite's unevaluated* groups (every instance, many random walks)."""
from __future__ import annotations

import json
import warnings

import jsonschema
import numpy as np

import automaton
from automaton.errors import AutomatonError
from tests.automaton.json_schema.key_orders import accepted_in_some_order
from tests.automaton.json_schema.suite_files import LAYOUTS, SUITE_DIR, read_groups
from tests.automaton.json_schema.walks import invalid_walks


def compiled(schema, layout="spaced"):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        dfa = automaton.compile_dfa(schema=schema, layout=layout)
    return dfa, [str(w.message) for w in caught]


def agrees(schema, instances, validator=jsonschema.Draft202012Validator):
    """Valid instances accepted in some key order, invalid ones in none."""
    dfa, _ = compiled(schema)
    check = validator(schema)
    for instance in instances:
        accepted = accepted_in_some_order(dfa, instance)
        assert accepted == check.is_valid(instance), (schema, instance)
    return dfa


def test_keys_of_always_applied_subschemas_are_evaluated():
    schema = {"type": "object", "properties": {"foo": {"type": "string"}},
              "allOf": [{"properties": {"bar": {"type": "integer"}}}], "unevaluatedProperties": False}
    agrees(schema, [{"foo": "a"}, {"foo": "a", "bar": 1}, {"bar": 1}, {"foo": "a", "baz": 1}, {"bar": "x"}, {}])
    via_ref = {"$defs": {"b": {"properties": {"bar": {"type": "integer"}}}}, "$ref": "#/$defs/b",
               "properties": {"foo": {"type": "string"}}, "unevaluatedProperties": False}
    agrees(via_ref, [{"foo": "a", "bar": 1}, {"foo": "a", "baz": 1}, {"bar": 2}])


def test_a_schema_for_the_other_keys():
    schema = {"type": "object", "properties": {"foo": {"type": "string"}},
              "unevaluatedProperties": {"type": "integer", "maximum": 9}}
    dfa = agrees(schema, [{"foo": "a", "n": 3}, {"foo": "a", "n": 30}, {"n": "x"}, {"foo": "a"}])
    assert dfa.matches(b'{"foo": "a", "zz": 9}')


def test_cousins_are_not_seen():
    schema = {"allOf": [{"properties": {"foo": True}}, {"unevaluatedProperties": False}]}
    agrees(schema, [{"foo": 1}, {}, {"bar": 1}])


def test_additional_properties_evaluate_every_key():
    schema = {"type": "object", "properties": {"foo": {"type": "string"}},
              "additionalProperties": {"type": "integer"}, "unevaluatedProperties": False}
    agrees(schema, [{"foo": "a", "n": 1}, {"foo": "a", "n": "b"}, {"n": 2}])


def test_conditional_keys_are_held_to_it_and_named():
    schema = {"type": "object", "anyOf": [{"properties": {"foo": {"type": "string"}}, "required": ["foo"]},
                                          {"properties": {"bar": {"type": "integer"}}, "required": ["bar"]}],
              "unevaluatedProperties": {"type": "string"}}
    dfa, messages = compiled(schema)
    assert any("unevaluatedProperties at / (keys that only anyOf" in m for m in messages), messages
    check = jsonschema.Draft202012Validator(schema)
    assert dfa.matches(b'{"foo": "a"}') and check.is_valid({"foo": "a"})
    assert not dfa.matches(b'{"bar": 1}') and check.is_valid({"bar": 1})  # narrowed: bar's 1 is no string


def test_items():
    schema = {"prefixItems": [{"type": "string"}], "allOf": [{"prefixItems": [True, {"type": "integer"}]}],
              "unevaluatedItems": False}
    agrees(schema, [["a"], ["a", 1], ["a", 1, 2], ["a", "b"], [], [1]])
    with_items = {"prefixItems": [{"type": "string"}], "unevaluatedItems": {"type": "integer"}}
    agrees(with_items, [["a", 1, 2], ["a", 1, "b"], ["a"], [1]])
    everything = {"items": {"type": "integer"}, "unevaluatedItems": False}
    agrees(everything, [[1, 2], [], ["a"]])


def test_true_constrains_nothing_and_old_drafts_ignore_it():
    dfa, _ = compiled({"type": "object", "properties": {"a": {"type": "integer"}}, "unevaluatedProperties": True})
    assert dfa.matches(b'{"a": 1}')
    draft7 = {"$schema": "http://json-schema.org/draft-07/schema#", "type": "object",
              "properties": {"a": {"type": "integer"}}, "additionalProperties": {"type": "string"},
              "unevaluatedProperties": False}
    agrees(draft7, [{"a": 1, "b": "x"}, {"a": 1, "b": 2}], validator=jsonschema.Draft7Validator)


def test_suite_groups_in_every_layout():
    """Every invalid instance rejected in each layout; random walks validate; at least the
    measured numbers of groups compile (35 + 26 of 73) and valid instances pass (53 of 109)."""
    compiled_groups, valid_accepted = 0, 0
    rng = np.random.default_rng(8)
    bad = []
    for name, group in read_groups([SUITE_DIR / "unevaluatedProperties.json", SUITE_DIR / "unevaluatedItems.json"]):
        check = jsonschema.Draft202012Validator(group["schema"])
        for layout, dumps in LAYOUTS.items():
            try:
                dfa, _ = compiled(group["schema"], layout)
            except AutomatonError:
                break
            for case in group["tests"]:
                accepted = dfa.matches(json.dumps(case["data"], **dumps).encode())
                if accepted and not case["valid"]:
                    bad.append((name, layout, case["description"]))
                if layout == "spaced":
                    valid_accepted += accepted and case["valid"]
            if layout == "spaced":
                compiled_groups += 1
                bad += invalid_walks(name, dfa, check, 60, rng)
    assert not bad, bad[:5]
    assert compiled_groups >= 61 and valid_accepted >= 53, (compiled_groups, valid_accepted)
