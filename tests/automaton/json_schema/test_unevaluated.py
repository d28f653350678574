"""`unevaluatedProperties` / `unevaluatedItems` lowered into `additionalProperties` / `items`
(`automaton.json_schema.unevaluated`).

Oracle: `jsonschema`'s Draft 2020-12 validator (draft 7 for the draft-7 case), on chosen
instances, on the official suite's unevaluated* groups (every instance, many random walks)."""
from __future__ import annotations

import json
import warnings

import jsonschema
import numpy as np
import pytest

import automaton
from automaton.errors import AutomatonError, EmptyLanguageError
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


def test_keys_of_passing_conditionals_are_evaluated():
    """anyOf branches, the oneOf branch, if/then/else and dependentSchemas evaluate the keys of
    the sub-schemas that apply (`evaluation_cases`): no narrowing is recorded for them."""
    schema = {"type": "object", "anyOf": [{"properties": {"foo": {"type": "string"}}, "required": ["foo"]},
                                          {"properties": {"bar": {"type": "integer"}}, "required": ["bar"]}],
              "unevaluatedProperties": {"type": "string"}}
    _, messages = compiled(schema)
    assert not any("unevaluatedProperties" in m for m in messages), messages
    agrees(schema, [{"foo": "a"}, {"bar": 1}, {"bar": 1, "foo": "a", "x": "y"}, {"bar": 1, "x": 2}, {"x": "y"}])


def test_too_many_cases_hold_conditional_keys_to_it_and_name_it():
    """7 sets of anyOf branches times 3 oneOf branches: past MAX_CASES, so as before."""
    schema = {"type": "object", "anyOf": [{"properties": {name: {"type": "string"}}} for name in "abc"],
              "oneOf": [{"required": [name]} for name in "xyz"], "unevaluatedProperties": {"type": "integer"}}
    dfa, messages = compiled(schema)
    assert any("unevaluatedProperties at / (keys that only anyOf" in m for m in messages), messages
    check = jsonschema.Draft202012Validator(schema)
    assert dfa.matches(b'{"x": 1}')
    assert not accepted_in_some_order(dfa, {"a": "s", "x": 1}) and check.is_valid({"a": "s", "x": 1})  # narrowed
    assert invalid_walks("too many cases", dfa, check, 100, np.random.default_rng(3)) == []


def test_more_anyof_branches_than_sets_evaluate_one_branch_each():
    branches = [{"properties": {name: {"const": 1}}, "required": [name]} for name in "abcd"]
    schema = {"type": "object", "anyOf": branches, "unevaluatedProperties": False}
    dfa, messages = compiled(schema)
    assert any("anyOf at / (beside unevaluated*: the keys of one passing branch" in m for m in messages), messages
    check = jsonschema.Draft202012Validator(schema)
    assert dfa.matches(b'{"a": 1}') and not dfa.matches(b'{"a": 1, "b": 1}') and check.is_valid({"a": 1, "b": 1})


# (schema, valid instances the DFA accepts, invalid instances): jsonschema is the oracle of both lists.
CONDITIONAL_CASES = {
    "anyOf": ({"type": "object", "properties": {"foo": {"type": "string"}},
               "anyOf": [{"properties": {"bar": {"const": "bar"}}, "required": ["bar"]},
                         {"properties": {"baz": {"type": "integer"}}, "required": ["baz"]}],
               "unevaluatedProperties": {"type": "boolean"}},
              [{"foo": "x", "bar": "bar"}, {"bar": "bar", "baz": 3}, {"baz": 1, "q": True},
               {"bar": "bar", "baz": True}],
              [{"foo": "x"}, {"bar": "bar", "q": 1}, {"bar": "bar", "baz": "s"}, {"foo": 1, "baz": 1}]),
    "oneOf": ({"type": "object", "oneOf": [
                  {"properties": {"kind": {"const": "a"}, "x": {"type": "integer"}}, "required": ["kind"]},
                  {"properties": {"kind": {"const": "b"}, "y": {"type": "string"}}, "required": ["kind"]}],
               "unevaluatedProperties": False},
              [{"kind": "a", "x": 1}, {"kind": "b", "y": "s"}, {"kind": "a"}],
              [{"kind": "a", "y": "s"}, {"kind": "c"}, {"kind": "b", "x": 1}, {}]),
    "if/then/else": ({"type": "object", "properties": {"kind": {"type": "string"}},
                      "if": {"properties": {"kind": {"const": "num"}}, "required": ["kind"]},
                      "then": {"properties": {"value": {"type": "number"}}},
                      "else": {"properties": {"text": {"type": "string"}}}, "unevaluatedProperties": False},
                     [{"kind": "num", "value": 1}, {"kind": "str", "text": "a"}, {"text": "a"}, {"kind": "num"}],
                     [{"kind": "num", "text": "a"}, {"kind": "str", "value": 1}, {"value": 1},
                      {"kind": "num", "x": 1}]),
    "if alone": ({"type": "object", "if": {"properties": {"a": {"type": "integer"}}, "required": ["a"]},
                  "unevaluatedProperties": False},
                 [{"a": 1}, {}],
                 [{"a": "x"}, {"b": 1}, {"a": 1, "b": 1}]),
    "dependentSchemas": ({"type": "object", "properties": {"a": {"type": "integer"}},
                          "dependentSchemas": {"a": {"properties": {"b": {"type": "string"}}}},
                          "unevaluatedProperties": False},
                         [{"a": 1, "b": "x"}, {"a": 1}, {}],
                         [{"b": "x"}, {"a": 1, "c": 1}, {"a": 1, "b": 2}]),
    "oneOf through refs": ({"$defs": {"one": {"properties": {"a": True}},
                                      "two": {"required": ["x"], "properties": {"x": True}}},
                            "type": "object",
                            "allOf": [{"$ref": "#/$defs/one"},
                                      {"oneOf": [{"$ref": "#/$defs/two"},
                                                 {"required": ["y"], "properties": {"y": True}}]}],
                            "unevaluatedProperties": False},
                           [{"a": 1, "x": 1}, {"y": 1}],
                           [{"a": 1}, {"x": 1, "y": 1}, {"x": 1, "b": 1}]),
    "items anyOf": ({"type": "array", "prefixItems": [{"type": "string"}],
                     "anyOf": [{"prefixItems": [True, {"type": "integer"}]},
                               {"prefixItems": [True, True, {"type": "boolean"}]}],
                     "unevaluatedItems": False},
                    [["a", 1], ["a", 1, True], ["a", "b", True], ["a"]],
                    [["a", 1, 2], [1], ["a", 1, True, None]]),
    "items oneOf": ({"type": "array", "prefixItems": [{"const": "foo"}],
                     "oneOf": [{"prefixItems": [True, {"const": "bar"}]}, {"prefixItems": [True, {"const": "baz"}]}],
                     "unevaluatedItems": False},
                    [["foo", "bar"], ["foo", "baz"]],
                    [["foo"], ["foo", "bar", 1], ["foo", "qux"], []]),
    "items if/then/else": ({"type": "array", "prefixItems": [{"const": "foo"}],
                            "if": {"prefixItems": [True, {"const": "bar"}]},
                            "then": {"prefixItems": [True, True, {"const": "then"}]},
                            "else": {"prefixItems": [True, True, True, {"const": "else"}]}, "unevaluatedItems": False},
                           [["foo", "bar", "then"], ["foo", 42, 42, "else"]],
                           [["foo", "bar", "then", "else"], ["foo", 42, 42, "else", 42], ["foo", "bar", 1]]),
}


@pytest.mark.parametrize("name", list(CONDITIONAL_CASES))
def test_conditionals_beside_unevaluated(name):
    """In every layout: the listed valid instances accepted (in some key order), the invalid ones
    in none; random walks of the DFA validate."""
    schema, valid, invalid = CONDITIONAL_CASES[name]
    check = jsonschema.Draft202012Validator(schema)
    assert all(check.is_valid(i) for i in valid) and not any(check.is_valid(i) for i in invalid)
    for layout, dumps in LAYOUTS.items():
        dfa, _ = compiled(schema, layout)
        assert all(accepted_in_some_order(dfa, i, **dumps) for i in valid), (layout, valid)
        assert not any(accepted_in_some_order(dfa, i, **dumps) for i in invalid), (layout, invalid)
    dfa, _ = compiled(schema)
    assert invalid_walks(name, dfa, check, 150, np.random.default_rng(13)) == []


def test_annotations_inside_not_are_collected_there():
    """The suite's "collect annotations inside a 'not'": the negated schema, made an `anyOf` of
    cases, fails on objects where every case fails (keys, none named `foo`)."""
    schema = {"not": {"anyOf": [True, {"properties": {"foo": True}}], "unevaluatedProperties": False}}
    check = jsonschema.Draft202012Validator(schema)
    dfa, _ = compiled(schema)
    for instance in ({"bar": 1}, {"bar": 1, "baz": 2}):
        assert check.is_valid(instance) and accepted_in_some_order(dfa, instance), instance
    for instance in ({"foo": 1}, {}, 1, "x", None):
        assert not check.is_valid(instance) and not accepted_in_some_order(dfa, instance), instance
    assert check.is_valid({"foo": 1, "bar": 1}) and not accepted_in_some_order(dfa, {"foo": 1, "bar": 1})  # narrowed
    assert invalid_walks("not", dfa, check, 100, np.random.default_rng(4)) == []


def test_empty_languages_are_empty():
    """`not` evaluates nothing, so keys (items) only a negated schema names stay unevaluated:
    the suite's "with not" schemas allow no value; nor does `oneOf` with two `true` branches."""
    empty = [{"properties": {"foo": {"type": "string"}}, "not": {"not": {"required": ["bar"],
              "properties": {"bar": {"const": "bar"}}}}, "unevaluatedProperties": False},
             {"prefixItems": [{"const": "foo"}], "not": {"not": {"prefixItems": [True, {"const": "bar"}]}},
              "unevaluatedItems": False},
             {"oneOf": [True, True, False]}, {"oneOf": [{}, True]}]
    for schema in empty:
        with pytest.raises(EmptyLanguageError):
            compiled(schema)


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
    measured numbers of groups compile (43 + 28 of 73) and valid instances pass (84 of 109)."""
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
    assert compiled_groups >= 71 and valid_accepted >= 84, (compiled_groups, valid_accepted)
