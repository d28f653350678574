"""`$ref` to other documents, passed as `resources` (`automaton.json_schema.resources`).

Each case compiles a schema that refers to documents of a registry and checks the DFA against
`jsonschema` given the same documents (a `referencing` registry): listed instances agree both
ways, random walks validate. Also: a URI nowhere to be found is refused naming it, the registry
is part of the index cache key, and the JSON-schema metaschemas are known without passing them.
"""
from __future__ import annotations

import json

import jsonschema
import numpy as np
import pytest

import automaton
from automaton.json_schema import schema_cache_text
from automaton.json_schema.resources import embed_resources
from tests.automaton.json_schema.key_orders import disagreements
from tests.automaton.json_schema.suite_files import oracle_registry, remote_documents
from tests.automaton.json_schema.walks import random_walks

pytestmark = pytest.mark.filterwarnings("ignore:JSON-schema keywords narrowed")

V2020 = "https://json-schema.org/draft/2020-12/schema"
DOCS = {
    "https://example.com/int.json": {"type": "integer", "minimum": 0},
    "https://example.com/defs.json": {"$defs": {"name": {"type": "string", "maxLength": 3},
                                                "pair": {"type": "array", "prefixItems": [{"$ref": "#/$defs/name"},
                                                                                          {"$ref": "int.json"}],
                                                         "items": False}}},
    "https://example.com/moved.json": {"$id": "https://example.com/elsewhere/real.json",
                                       "$defs": {"n": {"type": "null"}}, "$ref": "#/$defs/n"},
    "https://example.com/folder/list.json": {"type": "array", "maxItems": 2, "items": {"$ref": "item.json"}},
    "https://example.com/folder/item.json": {"type": "boolean"},
    "https://example.com/bundle.json": {"$defs": {"inner": {"$id": "https://example.com/inner.json",
                                                            "$anchor": "b", "enum": ["x", "y"]}}},
    "urn:example:string": {"type": "string", "minLength": 2},
}

CASES = {
    "a whole document": ({"$ref": "https://example.com/int.json"}, [0, 7, -1, "a"]),
    "a pointer into a document, with refs inside it": (
        {"$ref": "https://example.com/defs.json#/$defs/pair"}, [["ab", 1], ["abcd", 1], ["a", -1], ["a"]]),
    "relative refs against the referring document's $id": (
        {"$id": "https://example.com/root.json", "type": "object", "additionalProperties": False,
         "properties": {"n": {"$ref": "int.json"}, "l": {"$ref": "folder/list.json"}}},
        [{"n": 1, "l": [True]}, {"l": [1]}, {"n": -1}, {"l": [True, False, True]}]),
    "a document whose $id differs from its URI": (
        {"$ref": "https://example.com/moved.json"}, [None, 0]),
    "a resource found by the $id it has inside a document": (
        {"$ref": "https://example.com/inner.json"}, ["x", "y", "z"]),
    "an anchor of a resource inside a document": (
        {"type": "array", "items": {"$ref": "https://example.com/inner.json#b"}, "maxItems": 2},
        [["x"], ["z"], []]),
    "a URN": ({"properties": {"s": {"$ref": "urn:example:string"}}, "required": ["s"], "type": "object",
               "additionalProperties": False}, [{"s": "ab"}, {"s": "a"}, {}]),
}


@pytest.mark.parametrize("name", list(CASES))
def test_remote_refs_agree_with_jsonschema(name):
    schema, instances = CASES[name]
    check = jsonschema.Draft202012Validator(schema, registry=oracle_registry(DOCS))
    dfa = automaton.compile_dfa(schema=schema, resources=DOCS)
    assert not disagreements(dfa, check, instances), disagreements(dfa, check, instances)
    assert any(check.is_valid(value) for value in instances)
    for data in random_walks(dfa, 25, np.random.default_rng(9)):
        assert check.is_valid(json.loads(data)), data
    text = automaton.json_schema_to_regex(schema, resources=DOCS)
    assert isinstance(text, str)


def test_only_the_documents_reached_are_embedded():
    root, places = embed_resources({"$ref": "https://example.com/defs.json#/$defs/pair"}, DOCS)
    assert sorted(places.values()) == ["https://example.com/defs.json", "https://example.com/int.json"]
    assert set(root["definitions"]) == set(places.values())


@pytest.mark.parametrize("schema,uri", [
    ({"$ref": "https://example.com/missing.json"}, "https://example.com/missing.json"),
    ({"$id": "https://example.com/r.json", "items": {"$ref": "nested/x.json#/a"}}, "https://example.com/nested/x.json"),
    ({"$ref": "https://example.com/defs.json#/$defs/pair", "$defs": {}}, None),
])
def test_a_uri_not_passed_is_refused_naming_it(schema, uri):
    if uri is None:  # found when passed, refused when not
        automaton.compile_dfa(schema=schema, resources=DOCS)
        uri = "https://example.com/defs.json"
    with pytest.raises(automaton.UnsupportedSchemaError, match="resources") as info:
        automaton.compile_dfa(schema=schema)
    assert uri in str(info.value) and info.value.keyword == "$ref"


def test_resources_are_part_of_the_cache_key():
    schema = {"$ref": "https://example.com/int.json"}
    plain = schema_cache_text(schema)
    with_docs = schema_cache_text(schema, resources=DOCS)
    other = schema_cache_text(schema, resources={**DOCS, "https://example.com/int.json": {"type": "string"}})
    reordered = schema_cache_text(schema, resources=dict(reversed(list(DOCS.items()))))
    assert len({plain, with_docs, other}) == 3 and reordered == with_docs


def test_compile_index_reads_resources(tmp_path):
    vocabulary = automaton.Vocabulary.from_token_bytes([bytes([b]) for b in range(128)] + [None], eos_token_ids=[128])
    schema = {"$ref": "https://example.com/n.json"}
    ints = automaton.compile_index(schema=schema, vocabulary=vocabulary, cache=tmp_path,
                                   resources={"https://example.com/n.json": {"enum": [1]}})
    nulls = automaton.compile_index(schema=schema, vocabulary=vocabulary, cache=tmp_path,
                                    resources={"https://example.com/n.json": {"enum": [None]}})
    assert ints.next_state(ints.initial_state, ord("1")) >= 0 and ints.next_state(ints.initial_state, ord("n")) < 0
    assert nulls.next_state(nulls.initial_state, ord("n")) >= 0
    assert len(list(tmp_path.rglob("*"))) >= 2


@pytest.mark.parametrize("resources", [["https://example.com/a"], {"relative.json": {}}, {"https://x/a": 3}])
def test_malformed_resources_are_invalid(resources):
    with pytest.raises(automaton.InvalidSchemaError):
        automaton.compile_dfa(schema={"type": "integer"}, resources=resources)


def test_mixed_drafts_are_refused():
    docs = {"https://example.com/seven.json": {"$schema": "http://json-schema.org/draft-07/schema#", "type": "null"}}
    with pytest.raises(automaton.UnsupportedSchemaError, match="draft 7"):
        automaton.compile_dfa(schema={"$schema": V2020, "$ref": "https://example.com/seven.json"}, resources=docs)


def test_the_metaschema_vocabularies_are_known():
    schema = {"$ref": "https://json-schema.org/draft/2020-12/meta/validation#/$defs/simpleTypes"}
    dfa = automaton.compile_dfa(schema=schema)
    assert dfa.matches(b'"integer"') and not dfa.matches(b'"int"')


def test_the_metaschema_compiles_with_little_recursion():
    schema = {"$schema": V2020, "$ref": V2020}
    dfa = automaton.compile_dfa(schema=schema, max_recursion=1)
    check = jsonschema.Draft202012Validator(jsonschema.Draft202012Validator.META_SCHEMA)
    assert dfa.matches(b'{"type": "string"}') and not dfa.matches(b'{"type": 1}')
    assert dfa.matches(b'{"minimum": -1}') and not dfa.matches(b'{"minLength": -1}')
    for data in random_walks(dfa, 40, np.random.default_rng(2)):
        assert check.is_valid(json.loads(data)), data


def test_the_suite_remotes_are_read_from_their_folder():
    documents = remote_documents()
    assert "http://localhost:1234/draft2020-12/integer.json" in documents
    assert "http://localhost:1234/draft2020-12/nested/string.json" in documents


def test_without_jsonschema_specifications_the_error_says_what_to_install(monkeypatch):
    from automaton.json_schema import resources

    monkeypatch.setattr(resources, "_metaschemas", dict)
    with pytest.raises(automaton.UnsupportedSchemaError, match="pip install jsonschema-specifications"):
        automaton.compile_dfa(schema={"$ref": V2020})


def test_dropped_when_not_strict():
    with pytest.warns(UserWarning, match="not enforced"):
        dfa = automaton.compile_dfa(schema={"type": "array", "items": {"$ref": "https://example.com/nope.json"}},
                                    strict=False)
    assert dfa.matches(b"[]")
