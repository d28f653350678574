"""The official JSON-Schema-Test-Suite (draft 2020-12, vendored in tests/data) through `compile_dfa(schema=...)`,
with the suite's remote documents (`remotes/`) passed as `resources` (and to `jsonschema` as its registry).

For every group whose schema compiles: no instance the suite marks invalid is accepted, in the
layout's spelling (`json.dumps` with the layout's separators or indent) nor with ASCII escapes;
random walks of the DFA parse with `json.loads` and validate with `jsonschema` (format checks
on). Groups that do not compile are refused with an `AutomatonError`. Valid instances the DFA
rejects are the documented narrowings (README, "JSON schemas"); their count is held above a floor.
"""
from __future__ import annotations

import json
import warnings

import jsonschema
import numpy as np
import pytest
import regex

import automaton
from automaton.errors import AutomatonError
from automaton.json_schema import lang
from tests.automaton.json_schema.suite_files import (
    LAYOUTS,
    SUITE_DIR,
    compile_groups,
    oracle_registry,
    read_groups,
    remote_documents,
    scan_instances,
)
from tests.automaton.json_schema.walks import invalid_walks, random_walks

# Measured: 364 of 383 groups compile, 488 of their 759 valid instances are accepted (356 and 457
# of 738 before unevaluated* beside conditional sub-schemas; 319 and 422 of 699 before other
# documents passed as `resources` and `$dynamicRef` / `$recursiveRef`; 318 and 415 before extra
# keys by key regions, oneOf by key presence and objects failing `if`/`not`; 303 and 402 of 683
# before `$ref` followed `$id` base URIs and `$anchor`s of embedded resources; 234 and 332 of 588
# before unevaluated*, multipleOf, uniqueItems and dependencies through automata; 232 and 329 of
# 584 before `\p{...}` in patterns; 196 and 277 of 525 before allOf, not, if-then-else, oneOf and
# contains went through automata algebra).
MIN_COMPILED, MIN_VALID_ACCEPTED = 364, 488
# The narrowings' warning is tested in test_unique.py.
pytestmark = pytest.mark.filterwarnings("ignore:JSON-schema keywords narrowed")


def suite_groups() -> list[tuple[str, dict]]:
    assert SUITE_DIR.is_dir(), f"the vendored test suite is missing from {SUITE_DIR}"
    return read_groups(sorted(SUITE_DIR.glob("*.json")))


def compiled_groups(layout) -> tuple[list, list]:
    """([(name, group, dfa)], [(name, error)]) over the whole suite."""
    return compile_groups(suite_groups(), layout)


@pytest.mark.parametrize("layout", list(LAYOUTS), ids=str)
def test_suite_invalid_instances_are_rejected(layout):
    done, refused = compiled_groups(layout)
    unsound, valid_total, valid_accepted = scan_instances(done, layout)
    assert not unsound, unsound[:10]
    assert len(done) >= MIN_COMPILED, (len(done), [(n, str(e)[:80]) for n, e in refused][:20])
    assert valid_accepted >= MIN_VALID_ACCEPTED, (valid_accepted, valid_total)


def _regex_search_validator():
    """Draft 2020-12 with `pattern` and `patternProperties` searched by the `regex` package: the
    suite's patterns hold `\\p{Letter}` (ECMA-262), which Python's `re` (what jsonschema uses) lacks."""
    base = jsonschema.Draft202012Validator

    def pattern(validator, patrn, instance, schema):
        if validator.is_type(instance, "string") and not regex.search(patrn, instance):
            yield jsonschema.ValidationError(f"{instance!r} does not match {patrn!r}")

    def pattern_properties(validator, patterns, instance, schema):
        if validator.is_type(instance, "object"):
            for patrn, subschema in patterns.items():
                for key, value in instance.items():
                    if regex.search(patrn, key):
                        yield from validator.descend(value, subschema, path=key, schema_path=patrn)

    return jsonschema.validators.extend(base, {"pattern": pattern, "patternProperties": pattern_properties})


def test_suite_random_walks_validate():
    done, _ = compiled_groups("spaced")
    rng = np.random.default_rng(21)
    invalid = []
    validator = _regex_search_validator()
    registry = oracle_registry()
    for name, group, dfa in done:
        check = validator(group["schema"], format_checker=validator.FORMAT_CHECKER, registry=registry)
        invalid += invalid_walks(name, dfa, check, 4, rng)
    assert not invalid, invalid[:5]


def _automaton_only(schema) -> bool:
    """Whether `schema` uses what only the automata path enforces as the schema says
    (`uniqueItems` beyond one item, `multipleOf` beyond integer steps, `\\p{...}` in patterns,
    extra keys beside `patternProperties` or `propertyNames`)."""
    text = json.dumps(schema)
    return any(word in text for word in ('"uniqueItems"', '"multipleOf"', "\\\\p{", '"patternProperties"',
                                         '"propertyNames"'))


def test_composed_automata_equal_the_regex_text(monkeypatch):
    """With every sub-schema composed as an automaton, the language is the regex path's:
    both agree on every suite instance, and the composed DFA's walks match the regex
    (schemas using what only automata enforce exactly left out)."""
    import re

    monkeypatch.setattr(lang, "TEXT_LIMIT", 0)
    rng = np.random.default_rng(5)
    disagreements, compared = [], 0
    resources = remote_documents()
    for name, group in suite_groups():
        if _automaton_only(group["schema"]):
            continue
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                regex = automaton.json_schema_to_regex(group["schema"], resources=resources)
                dfa = automaton.compile_dfa(schema=group["schema"], max_states=20000, resources=resources)
        except AutomatonError:
            continue
        compiled = re.compile(regex)
        compared += 1
        texts = [json.dumps(case["data"], ensure_ascii=False) for case in group["tests"]]
        texts += [data.decode("utf-8") for data in random_walks(dfa, 3, rng)]
        for text in texts:
            if dfa.matches(text.encode("utf-8")) != bool(compiled.fullmatch(text)):
                disagreements.append((name, text))
    assert not disagreements, disagreements[:10]
    assert compared >= 150, compared


def test_issue_examples_are_rejected():
    dependent = automaton.compile_dfa(schema={"dependentRequired": {"bar": ["foo"]}})
    assert not dependent.matches(b'{"bar": 2}')
    assert dependent.matches(b'{"baz": 2}') and dependent.matches(b'{"foo": 1}')
    merged = automaton.compile_dfa(schema={"allOf": [{"prefixItems": [True]}, {"items": {"type": "integer"}}]})
    assert not merged.matches(b'["x"]') and merged.matches(b"[1, 2]")
    schemas = automaton.compile_dfa(schema={"dependentSchemas": {"bar": {"required": ["foo"]}}}, layout="compact")
    assert not schemas.matches(b'{"bar":2}') and schemas.matches(b'{"foo":1}')


DRAFT_URIS = {
    "7": "http://json-schema.org/draft-07/schema#",
    "2019-09": "https://json-schema.org/draft/2019-09/schema",
    "2020-12": "https://json-schema.org/draft/2020-12/schema",
}
# (draft, schema, instances): the first instance is valid in that draft and must be accepted; an
# accepted one must be valid (the draft's own validator decides)
DRAFT_CASES = [
    ("7", {"items": [{"type": "integer"}], "additionalItems": False}, [[1], [1, 2], ["x"], []]),
    ("7", {"prefixItems": [{"type": "integer"}], "items": {"type": "string"}}, [["a", "b"], [1], []]),
    ("7", {"definitions": {"a": {"type": "integer"}}, "properties": {"n": {"$ref": "#/definitions/a", "maximum": 3}},
           "required": ["n"], "additionalProperties": False}, [{"n": 5}, {"n": "x"}, {"n": 2}]),
    ("7", {"dependencies": {"bar": ["foo"]}, "properties": {"foo": {"type": "integer"}, "bar": {"type": "integer"}},
           "additionalProperties": False}, [{"foo": 2, "bar": 1}, {"bar": 1}, {"foo": 2}, {}]),
    ("7", {"dependentRequired": {"bar": ["foo"]}, "properties": {"bar": {"type": "integer"}},
           "additionalProperties": False}, [{"bar": 1}, {}]),
    ("7", {"items": [{"type": "integer"}], "additionalItems": False, "anyOf": [{"minItems": 1}, {"maxItems": 0}]},
     [[1], [1, 2], ["x"], []]),  # siblings merged into each branch: the tuple read once, kept
    ("7", {"dependencies": {"d": ["v"], "v": ["d"]}, "additionalProperties": False,
           "properties": {"d": {"type": "string"}, "v": {"type": "array"}, "n": {"type": "string"}},
           "anyOf": [{"required": ["n"]}, {"required": ["d", "v"]}]},
     [{"d": "a", "v": [], "n": "b"}, {"d": "a", "n": "b"}, {"n": "b"}]),
    ("2019-09", {"items": [{"type": "integer"}], "additionalItems": {"type": "string"}}, [[1, "a"], [1, 2], ["a"]]),
    ("2019-09", {"type": "array", "allOf": [{"items": [{"type": "integer"}]}, {"additionalItems": False}]},
     [[1, "x"], [1], ["x"]]),  # additionalItems beside no tuple: ignored
    ("2019-09", {"prefixItems": [{"type": "integer"}], "items": {"type": "string"}}, [["a", "b"], [1], []]),
    ("2019-09", {"properties": {"n": {"$ref": "#/$defs/a", "maximum": 3}}, "$defs": {"a": {"type": "integer"}},
                 "required": ["n"], "additionalProperties": False}, [{"n": 2}, {"n": 5}]),
    ("2020-12", {"prefixItems": [{"type": "integer"}], "items": False, "additionalItems": {"type": "string"}},
     [[1], [1, "a"], ["a"]]),
    ("2020-12", {"dependencies": {"bar": ["foo"]}, "properties": {"bar": {"type": "integer"}},
                 "additionalProperties": False}, [{"bar": 1}, {}]),
]


@pytest.mark.parametrize("draft,schema,instances", DRAFT_CASES)
def test_drafts_give_keywords_their_own_meaning(draft, schema, instances):
    kind = "array" if "items" in schema or "prefixItems" in schema else "object"
    schema = {"$schema": DRAFT_URIS[draft], "type": kind, **schema}
    check = jsonschema.validators.validator_for(schema)(schema)
    dfa = automaton.compile_dfa(schema=schema)
    assert check.is_valid(instances[0]) and dfa.matches(json.dumps(instances[0]).encode()), instances[0]
    for value in instances:
        text = json.dumps(value)
        assert not dfa.matches(text.encode()) or check.is_valid(value), (draft, text)
    for data in random_walks(dfa, 20, np.random.default_rng(7)):
        assert check.is_valid(json.loads(data)), data


@pytest.mark.parametrize("uri", ["http://json-schema.org/draft-03/schema#", "https://example.com/my-dialect", 7])
def test_unknown_drafts_are_refused(uri):
    with pytest.raises(automaton.UnsupportedSchemaError) as info:
        automaton.compile_dfa(schema={"$schema": uri, "type": "integer"})
    assert info.value.keyword == "$schema" and "dialect" in str(info.value)
