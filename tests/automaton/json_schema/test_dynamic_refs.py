"""`$dynamicRef` (2020-12) and `$recursiveRef` (2019-09), bound statically (`dynamic_refs`).

Each case compiles a schema whose dynamic references lead to different places depending on the
dynamic scope, and checks the DFA against `jsonschema` (the oracle, with the validator of the
schema's `$schema`): listed instances agree both ways (accepted in some key order exactly when
valid), and random walks of the DFA validate.
"""
from __future__ import annotations

import json

import jsonschema
import numpy as np
import pytest

import automaton
from automaton.json_schema.dynamic_refs import bind_refs
from automaton.json_schema.refs import rebase_refs
from tests.automaton.json_schema.key_orders import disagreements
from tests.automaton.json_schema.suite_files import oracle_registry
from tests.automaton.json_schema.walks import random_walks

pytestmark = pytest.mark.filterwarnings("ignore:JSON-schema keywords narrowed")

V2020 = "https://json-schema.org/draft/2020-12/schema"
V2019 = "https://json-schema.org/draft/2019-09/schema"

TREE = {"$schema": V2020, "$id": "https://example.com/tree", "$dynamicAnchor": "node", "type": "object",
        "properties": {"data": {"type": "integer"},
                       "children": {"type": "array", "maxItems": 2, "items": {"$dynamicRef": "#node"}}},
        "additionalProperties": False}
GENERIC_LIST = {"$schema": V2020, "$id": "https://example.com/list", "type": "array", "maxItems": 3,
                "items": {"$dynamicRef": "#item"}, "$defs": {"default": {"$dynamicAnchor": "item"}}}

CASES = {
    "an outer $dynamicAnchor overrides the inner one": (
        {"$schema": V2020, "$id": "https://example.com/ints", "$ref": "list",
         "$defs": {"item": {"$dynamicAnchor": "item", "type": "integer"},
                   "list": {**GENERIC_LIST, "$id": "list", "$schema": None}}},
        [[], [1, 2], ["a"], [1, None], [True]],
    ),
    "no outer anchor: the initial target": (
        {"$schema": V2020, "$id": "https://example.com/any", "$ref": "list",
         "$defs": {"list": {**GENERIC_LIST, "$id": "list", "$schema": None,
                            "$defs": {"default": {"$dynamicAnchor": "item", "type": "boolean"}}}}},
        [[], [True, False], [1], ["a"]],
    ),
    "an $anchor of the same name does not take part": (
        {"$schema": V2020, "$id": "https://example.com/plain", "$ref": "list",
         "$defs": {"item": {"$anchor": "item", "type": "integer"},
                   "list": {**GENERIC_LIST, "$id": "list", "$schema": None,
                            "$defs": {"default": {"$dynamicAnchor": "item", "type": "string"}}}}},
        [["a", "b"], [1], []],
    ),
    "a target without a matching $dynamicAnchor: a plain $ref": (
        {"$schema": V2020, "$id": "https://example.com/nobook", "$dynamicAnchor": "item",
         "type": "array", "prefixItems": [{"type": "null"}], "items": {"$ref": "inner"},
         "$defs": {"inner": {"$id": "inner", "$dynamicRef": "#item", "$defs": {
             "x": {"$anchor": "item", "type": "string"}}}}},
        [[None, "a"], [None, None], [None, [None]], [None]],
    ),
    "a pointer fragment: a plain $ref": (
        {"$schema": V2020, "$id": "https://example.com/ptr", "$dynamicAnchor": "item", "type": "integer",
         "$defs": {"l": {"$id": "l", "type": "array", "items": {"$dynamicRef": "#/$defs/s"},
                         "$defs": {"s": {"$dynamicAnchor": "item", "type": "string"}}}},
         "properties": {}, "anyOf": [{"type": "integer"}]},
        [1, "a", []],
    ),
    "the recursive tree, extended by a strict tree": (
        {"$schema": V2020, "$id": "https://example.com/strict", "$dynamicAnchor": "node",
         "$ref": "tree", "required": ["data"],
         "$defs": {"tree": {**TREE, "$id": "tree", "$schema": None}}},
        [{"data": 1}, {"data": 1, "children": [{"data": 2}]}, {"data": 1, "children": [{}]},
         {"children": []}, {"data": 1, "children": [{"data": 2, "children": [{"data": 3}]}]},
         {"data": "x"}],
    ),
    "two lists in one document, each with its own items": (
        {"$schema": V2020, "$id": "https://example.com/two", "type": "object", "additionalProperties": False,
         "properties": {"n": {"$ref": "ints"}, "s": {"$ref": "strs"}},
         "$defs": {"list": {**GENERIC_LIST, "$id": "list", "$schema": None},
                   "ints": {"$id": "ints", "$ref": "list",
                            "$defs": {"i": {"$dynamicAnchor": "item", "type": "integer"}}},
                   "strs": {"$id": "strs", "$ref": "list",
                            "$defs": {"i": {"$dynamicAnchor": "item", "type": "string"}}}}},
        [{"n": [1], "s": ["a"]}, {"n": ["a"]}, {"s": [1]}, {}],
    ),
    "the current resource's anchor counts, before the first target's": (
        {"$schema": V2020, "$id": "https://example.com/cur", "$ref": "a", "$defs": {
            "a": {"$id": "a", "$defs": {"x": {"$dynamicAnchor": "x", "type": "integer"}}, "type": "array",
                  "maxItems": 2, "items": {"$dynamicRef": "b#x"}},
            "b": {"$id": "b", "$defs": {"x": {"$dynamicAnchor": "x", "type": "string"}}}}},
        [[1], ["a"], []],
    ),
    "2019-09: $recursiveRef follows the outermost $recursiveAnchor": (
        {"$schema": V2019, "$id": "https://example.com/strict19", "$recursiveAnchor": True,
         "$ref": "tree", "required": ["data"],
         "$defs": {"tree": {"$id": "tree", "$recursiveAnchor": True, "type": "object",
                            "properties": {"data": {"type": "integer"},
                                           "children": {"type": "array", "maxItems": 2,
                                                        "items": {"$recursiveRef": "#"}}},
                            "additionalProperties": False}}},
        [{"data": 1}, {"data": 1, "children": [{"data": 2}]}, {"data": 1, "children": [{}]}, {}],
    ),
    "2019-09: no $recursiveAnchor outside: the current resource": (
        {"$schema": V2019, "$id": "https://example.com/loose19", "$ref": "tree", "required": ["data"],
         "$defs": {"tree": {"$id": "tree", "$recursiveAnchor": True, "type": "object",
                            "properties": {"data": {"type": "integer"},
                                           "children": {"type": "array", "maxItems": 2,
                                                        "items": {"$recursiveRef": "#"}}},
                            "additionalProperties": False}}},
        [{"data": 1}, {"data": 1, "children": [{}]}, {"data": 1, "children": [{"data": "x"}]}, {}],
    ),
}


def _clean(schema):
    """The schema without the `"$schema": None` placeholders of the embedded templates."""
    if isinstance(schema, dict):
        return {k: _clean(v) for k, v in schema.items() if not (k == "$schema" and v is None)}
    if isinstance(schema, list):
        return [_clean(v) for v in schema]
    return schema


@pytest.mark.parametrize("name", list(CASES))
def test_dynamic_refs_agree_with_jsonschema(name):
    schema, instances = CASES[name]
    schema = _clean(schema)
    check = jsonschema.validators.validator_for(schema)(schema, registry=oracle_registry({}))
    dfa = automaton.compile_dfa(schema=schema, max_recursion=4)
    assert not disagreements(dfa, check, instances), disagreements(dfa, check, instances)
    assert any(check.is_valid(value) for value in instances)
    for data in random_walks(dfa, 25, np.random.default_rng(3)):
        assert check.is_valid(json.loads(data)), data


def test_regex_path_binds_dynamic_refs_too():
    schema = _clean(CASES["an outer $dynamicAnchor overrides the inner one"][0])
    regex = automaton.json_schema_to_regex(schema, layout="compact")
    assert regex and "string" not in regex
    dfa = automaton.compile_dfa(schema=schema, layout="compact")
    assert dfa.matches(b"[1,2]") and not dfa.matches(b'["a"]')


def test_recursion_is_still_cut():
    schema = _clean(CASES["the recursive tree, extended by a strict tree"][0])
    check = jsonschema.validators.validator_for(schema)(schema)
    with pytest.warns(automaton.SchemaNarrowingWarning, match="max_recursion=2"):
        dfa = automaton.compile_dfa(schema=schema, max_recursion=2)
    deep = {"data": 1}
    for _ in range(4):
        deep = {"data": 1, "children": [deep]}
    assert dfa.matches(b'{"data": 1, "children": [{"data": 2}]}')
    assert check.is_valid(deep) and not dfa.matches(json.dumps(deep).encode())
    for data in random_walks(dfa, 25, np.random.default_rng(4)):
        assert check.is_valid(json.loads(data)), data


def test_documents_without_dynamic_refs_are_only_rebased():
    schema = {"$id": "https://example.com/a", "$defs": {"b": {"$id": "b", "type": "integer"}}, "$ref": "b"}
    assert bind_refs(schema, {}) == rebase_refs(schema)


def test_copies_depend_only_on_the_bindings():
    schema = _clean(CASES["two lists in one document, each with its own items"][0])
    bound = bind_refs(schema, {})
    lists = [copy["items"]["$ref"] for key, copy in bound["definitions"].items()
             if key.startswith("dynamic-scope-") and "items" in copy]
    assert sorted(lists) == ["#/$defs/ints/$defs/i", "#/$defs/strs/$defs/i"]  # the list once per binding
    assert bound["$defs"]["ints"]["$ref"] != bound["$defs"]["strs"]["$ref"]


def test_recursive_ref_must_be_a_hash():
    schema = {"$schema": V2019, "$recursiveAnchor": True, "items": {"$recursiveRef": "#/items"}}
    with pytest.raises(automaton.UnsupportedSchemaError, match="only '#'"):
        automaton.compile_dfa(schema=schema)


def test_dynamic_ref_outside_the_document_names_the_uri():
    schema = {"$schema": V2020, "$id": "https://example.com/x", "items": {"$dynamicRef": "other#node"}}
    with pytest.raises(automaton.UnsupportedSchemaError, match=r"https://example\.com/other.*resources"):
        automaton.compile_dfa(schema=schema)


def test_copies_never_replace_definitions_of_the_schema():
    schema = _clean(CASES["an outer $dynamicAnchor overrides the inner one"][0])
    schema = {**schema, "definitions": {"dynamic-scope-0": {"type": "null"}},
              "properties": {}, "anyOf": [{"$ref": "#/definitions/dynamic-scope-0"}, {"type": "array"}]}
    bound = bind_refs(schema, {})
    assert bound["definitions"]["dynamic-scope-0"] == {"type": "null"}
    check = jsonschema.validators.validator_for(schema)(schema)
    dfa = automaton.compile_dfa(schema=schema)
    assert not disagreements(dfa, check, [[1], ["a"], None])
