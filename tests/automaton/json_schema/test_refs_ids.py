"""`$ref` to in-document `$id` / `$anchor` targets (JSON Schema 2020-12 base URIs, RFC 3986).

Each case compiles a schema whose `$ref`s resolve against a base URI changed by some `$id`, and
checks the DFA's verdict on chosen instances (spaced `json.dumps` spelling) against `jsonschema`
(the oracle: `Draft202012Validator`, or the validator of the declared `$schema`). The schemas
avoid narrowings, so the verdicts agree both ways; each case holds valid and invalid instances.
"""
from __future__ import annotations

import json
import re

import jsonschema
import pytest

import automaton
from automaton import UnsupportedSchemaError
from automaton.json_schema.refs import rebase_refs, resolve_ref

pytestmark = pytest.mark.filterwarnings("ignore:JSON-schema keywords narrowed")

CASES = {
    "nested $id changes the base of its pointers": (
        {"$id": "http://example.com/root.json",
         "$defs": {"A": {"$id": "http://example.com/other/a.json", "$defs": {"x": {"type": "integer"}},
                         "$ref": "#/$defs/x"},
                   "x": {"type": "string"}},
         "$ref": "#/$defs/A"},
        [1, -7, "a", None],
    ),
    "relative $id resolved against the nearest parent": (
        {"$id": "http://example.com/a/root.json",
         "$defs": {"b": {"$id": "b/", "$defs": {"c": {"$id": "c.json", "type": "boolean"}}},
                   "c": {"$id": "c.json", "type": "null"}},
         "properties": {"deep": {"$ref": "b/c.json"}, "flat": {"$ref": "c.json"}}},
        [{"deep": True}, {"flat": None}, {"deep": True, "flat": None}, {"deep": None}, {"flat": True}],
    ),
    "$anchor inside an embedded resource": (
        {"$id": "http://example.com/root.json",
         "$defs": {"item": {"$id": "item.json", "$defs": {"i": {"$anchor": "it", "type": "boolean"}}},
                   "decoy": {"$anchor": "it", "type": "null"}},
         "properties": {"inner": {"$ref": "item.json#it"}, "outer": {"$ref": "#it"}}},
        [{"inner": True}, {"outer": None}, {"inner": None}, {"outer": False}, {"inner": False, "outer": None}],
    ),
    "the same $anchor in two resources": (
        {"$id": "http://localhost:1234/draft2020-12/foobar",
         "$defs": {"A": {"$id": "child1", "allOf": [{"$id": "child2", "$anchor": "my_anchor", "type": "number"},
                                                    {"$anchor": "my_anchor", "type": "string"}]}},
         "$ref": "child1#my_anchor"},
        ["a", 1, None],
    ),
    "relative refs: list.json and item.json#/items": (
        {"$id": "https://example.com/schemas/root.json", "type": "object",
         "properties": {"list": {"$ref": "list.json"}, "first": {"$ref": "item.json#/items"}},
         "additionalProperties": False,
         "$defs": {"list": {"$id": "list.json", "type": "array", "items": {"$ref": "item.json"}, "maxItems": 3},
                   "item": {"$id": "item.json", "type": "array", "items": {"enum": [1, 2]}, "maxItems": 2}}},
        [{"list": [[1, 2], [2]], "first": 1}, {"first": 2}, {"list": []}, {"first": 3}, {"list": [[3]]},
         {"list": [1]}, {"list": [[1, 1, 1]]}],
    ),
    "absolute-path reference": (
        {"$id": "http://example.com/ref/absref.json",
         "$defs": {"a": {"$id": "http://example.com/ref/absref/foobar.json", "type": "number"},
                   "b": {"$id": "http://example.com/absref/foobar.json", "type": "string"}},
         "$ref": "/absref/foobar.json"},
        ["a", 1],
    ),
    "urn: ids, by URN and by pointer": (
        {"$id": "urn:example:root",
         "$defs": {"n": {"$id": "urn:example:nested", "$defs": {"s": {"type": "string"}}, "$ref": "#/$defs/s"},
                   "s": {"type": "integer"}},
         "properties": {"a": {"$ref": "urn:example:nested"}, "b": {"$ref": "urn:example:root#/$defs/s"},
                        "c": {"$ref": "#/$defs/s"}}},
        [{"a": "x"}, {"b": 1}, {"c": 2}, {"a": 1}, {"b": "x"}, {"c": "x"}],
    ),
    "urn: anchor": (
        {"$id": "urn:uuid:deadbeef-1234-ff00-00ff-4321feebdaed",
         "$defs": {"bar": {"$anchor": "something", "type": "string"}},
         "properties": {"foo": {"$ref": "urn:uuid:deadbeef-1234-ff00-00ff-4321feebdaed#something"}}},
        [{"foo": "x"}, {"foo": 1}],
    ),
    "$ref to a $dynamicAnchor, as to an $anchor": (
        {"$id": "http://example.com/dyn.json",
         "$defs": {"s": {"$dynamicAnchor": "items", "type": "string"},
                   "n": {"$id": "n.json", "$defs": {"i": {"$dynamicAnchor": "items", "type": "integer"}}}},
         "type": "array", "items": {"$ref": "#items"}, "maxItems": 2},
        [[], ["a", "b"], [1], ["a", None]],
    ),
    "$id with an empty fragment": (
        {"$id": "http://example.com/e.json#",
         "$defs": {"d": {"$id": "http://example.com/d.json#", "type": "integer"}, "s": {"type": "string"}},
         "properties": {"d": {"$ref": "http://example.com/d.json"}, "s": {"$ref": "e.json#/$defs/s"}}},
        [{"d": 1}, {"s": "x"}, {"d": "x"}, {"s": 1}],
    ),
    "$ref: # is the current resource's root": (
        {"$id": "http://example.com/r.json",
         "$defs": {"tree": {"$id": "tree.json", "type": "array", "maxItems": 2,
                            "items": {"anyOf": [{"type": "integer"}, {"$ref": "#"}]}}},
         "$ref": "tree.json"},
        [[], [1, [2]], [[1], 3], ["a"], [1, ["a"]], {"a": 1}],
    ),
    "$id and $ref on the same object": (
        {"$id": "https://example.com/ref-and-id1/base.json", "$ref": "int.json",
         "$defs": {"bigint": {"$id": "int.json", "maximum": 10},
                   "smallint": {"$id": "https://example.com/ref-and-id1-int.json", "maximum": 2}}},
        [5, 50],
    ),
    "$id in an unknown keyword or an enum is no identifier": (
        {"$defs": {"u": {"not": {"x-unknown": {"$id": "http://example.com/t.json", "type": "null"}}},
                   "e": {"enum": [{"$id": "http://example.com/t.json", "type": "boolean"}]},
                   "real": {"$id": "http://example.com/t.json", "type": "string"}},
         "$ref": "http://example.com/t.json"},
        ["a", None, True],
    ),
    "draft 7: $id beside $ref does not change the base": (
        {"$schema": "http://json-schema.org/draft-07/schema#",
         "$id": "http://localhost:1234/sibling_id/base/",
         "definitions": {"foo": {"$id": "http://localhost:1234/sibling_id/foo.json", "type": "string"},
                         "base_foo": {"$id": "foo.json", "type": "number"}},
         "allOf": [{"$id": "http://localhost:1234/sibling_id/", "$ref": "foo.json"}]},
        [5, "a"],
    ),
    "draft 7: $id: #name is an anchor of its resource": (
        {"$schema": "http://json-schema.org/draft-07/schema#",
         "$id": "http://example.com/root.json",
         "definitions": {"A": {"$id": "#foo", "type": "integer"},
                         "B": {"$id": "other.json", "definitions": {"X": {"$id": "#foo", "type": "string"}}}},
         "properties": {"a": {"$ref": "#foo"}, "b": {"$ref": "other.json#foo"}}},
        [{"a": 1}, {"b": "x"}, {"a": "x"}, {"b": 1}],
    ),
    "draft 4: id": (
        {"$schema": "http://json-schema.org/draft-04/schema#",
         "id": "http://example.com/root.json",
         "definitions": {"A": {"id": "a/", "definitions": {"x": {"type": "boolean"}},
                               "items": {"$ref": "#/definitions/x"}}, "x": {"type": "null"}},
         "properties": {"list": {"$ref": "a/"}}},
        [{"list": [True]}, {"list": [None]}],
    ),
}


def _oracle(schema):
    cls = jsonschema.validators.validator_for(schema, default=jsonschema.Draft202012Validator)
    return cls(schema)


@pytest.mark.parametrize("name", list(CASES))
def test_refs_follow_base_uris(name):
    schema, instances = CASES[name]
    validator = _oracle(schema)
    dfa = automaton.compile_dfa(schema=schema, layout="spaced")
    verdicts = [validator.is_valid(instance) for instance in instances]
    assert any(verdicts) and not all(verdicts), "a case needs valid and invalid instances"
    for instance, valid in zip(instances, verdicts):
        assert dfa.matches(json.dumps(instance).encode("utf-8")) == valid, instance


def test_regex_path_reads_the_same_refs():
    schema, instances = CASES["urn: ids, by URN and by pointer"]
    regex = automaton.json_schema_to_regex(schema)
    validator = _oracle(schema)
    for instance in instances:
        assert bool(re.fullmatch(regex, json.dumps(instance))) == validator.is_valid(instance), instance


@pytest.mark.parametrize("schema, pointer", [
    ({"$ref": "https://example.com/elsewhere/schema"}, "/"),
    ({"$ref": "http://localhost:1234/draft2020-12/integer.json"}, "/"),  # not passed in `resources`
    ({"$id": "http://localhost:1234/draft2020-12/",
      "items": {"$id": "baseUriChange/", "items": {"$ref": "folderInteger.json"}}}, "/items/items"),
    ({"$id": "http://example.com/root.json", "$defs": {"n": {"$id": "n.json", "$defs": {"i": {"$anchor": "it"}}}},
      "$ref": "#it"}, "/"),  # the anchor belongs to the nested resource
    ({"$id": "http://example.com/root.json", "$defs": {"n": {"$id": "n.json"}}, "$ref": "n.json#/$defs/none"}, "/"),
    ({"$defs": {"a": {"$anchor": "x", "type": "string"}, "b": {"$anchor": "x", "type": "integer"}}, "$ref": "#x"}, "/"),
])
def test_refs_outside_the_document_are_refused(schema, pointer):
    with pytest.raises(UnsupportedSchemaError) as info:
        automaton.compile_dfa(schema=schema)
    assert info.value.keyword == "$ref"
    assert (info.value.pointer or "/") == pointer


def test_rebase_rewrites_to_root_pointers():
    schema = {"$id": "urn:example:root", "$defs": {"n": {"$id": "urn:example:n", "$defs": {"s": {"type": "string"}},
                                                         "$ref": "#/$defs/s"}}, "$ref": "urn:example:n"}
    rebased = rebase_refs(schema)
    assert rebased["$ref"] == "#/$defs/n" and rebased["$defs"]["n"]["$ref"] == "#/$defs/n/$defs/s"
    assert schema["$defs"]["n"]["$ref"] == "#/$defs/s"  # the original is left as it was
    assert resolve_ref(rebased, rebased["$defs"]["n"]["$ref"]) == ({"type": "string"}, "/$defs/n/$defs/s")
    plain = {"$defs": {"a": {"type": "string"}}, "properties": {"a": {"$ref": "#/$defs/a"}}}
    assert rebase_refs(plain) is plain
