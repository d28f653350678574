"""Extra keys by regions of key automata (`automaton.json_schema.extra_keys`): several
`patternProperties`, a pattern matching a named property, `propertyNames` beside names.

Oracle: `jsonschema` (2020-12) on every object of up to two keys from a pool (values from a
pool), and on random walks of each DFA."""
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

KEYS = ["a", "aa", "ab", "b", "bb", "x1", "foo", "fxo", "é"]
VALUES = [1, 30, "s", True]

SCHEMAS = {
    "two patterns": {"type": "object", "patternProperties": {"a": {"type": "integer"},
                                                             "^.b": {"type": "integer", "maximum": 10}},
                     "additionalProperties": False},
    "patterns and additional": {"type": "object", "patternProperties": {"^a": {"type": "integer"},
                                                                        "b$": {"type": "string"}},
                                "additionalProperties": {"type": "boolean"}},
    "pattern matching a name": {"type": "object", "properties": {"foo": {"type": "integer"}},
                                "patternProperties": {"f.o": {"type": "integer", "minimum": 5}},
                                "additionalProperties": False},
    "propertyNames beside names": {"type": "object", "properties": {"foo": {"type": "string"}},
                                   "propertyNames": {"maxLength": 2}, "additionalProperties": {"type": "integer"}},
    "patterns and propertyNames": {"type": "object", "patternProperties": {"a": {"type": "integer"},
                                                                           "b": {"type": "integer"}},
                                   "propertyNames": {"pattern": "^[ab]+$"}},
}


def objects():
    yield {}
    for size in (1, 2):
        for keys in itertools.combinations(KEYS, size):
            for values in itertools.product(VALUES, repeat=size):
                yield dict(zip(keys, values))


@pytest.mark.parametrize("name", list(SCHEMAS))
def test_regions_are_exact(name):
    schema = SCHEMAS[name]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        dfa = automaton.compile_dfa(schema=schema)
    check = jsonschema.Draft202012Validator(schema)
    wrong = disagreements(dfa, check, objects(), ensure_ascii=False)
    assert not wrong, wrong[:5]
    for text in random_walks(dfa, 60, np.random.default_rng(4)):
        assert check.is_valid(json.loads(text)), text


def test_ascii_classes_keep_the_narrowing():
    """`\\d` reads ASCII digits only, so its key automaton misses keys of other digits: no
    regions then (a key of Arabic-Indic digits would escape the pattern's schema)."""
    schema = {"type": "object", "patternProperties": {"^\\d+$": {"type": "integer"}, "^x": {"type": "string"}},
              "additionalProperties": {"type": "string"}}
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        dfa = automaton.compile_dfa(schema=schema)
    assert any("patternProperties" in str(w.message) for w in caught)
    assert not dfa.matches('{"٣": "s"}'.encode()) and not dfa.matches(b'{"12": "s"}')
