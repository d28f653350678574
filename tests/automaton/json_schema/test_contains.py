"""contains / minContains / maxContains as a counter over the items (`automaton.json_schema.contains`).

Oracle: `jsonschema` (2020-12) on arrays in each layout's spelling and on random walks of the DFAs."""
from __future__ import annotations

import json
import warnings

import jsonschema
import numpy as np
import pytest

import automaton
from tests.automaton.json_schema.walks import random_walks

LAYOUTS = {"spaced": {}, "compact": {"separators": (",", ":")}, 2: {"indent": 2}}
ARRAYS = [[], [1], [2], [5], [1, 1], [1, 2], [2, 1, 1], [1, 1, 1], [1, 1, 1, 1], ["a", 1], [None, "a"], [{}],
          [{}, {}], [{"a": 1}, 1], [[1], 1], [6, "x", [1, 2]], [1.5, 1], [3, 6, 9]]

# (schema, arrays it must accept, arrays it must reject)
CASES = [
    ({"type": "array", "contains": {"minimum": 5}}, [[5], [6, "x", [1, 2]]], [[], [1], [1, 2]]),
    ({"type": "array", "contains": {"const": 1}, "minContains": 2}, [[1, 1], [2, 1, 1], [1, 1, 1, 1]], [[1], [1, 2]]),
    ({"type": "array", "items": {"type": "integer"}, "contains": {"const": 1}, "minContains": 2, "maxContains": 3},
     [[1, 1], [2, 1, 1], [1, 1, 1]], [[1, 1, 1, 1], [1], ["a", 1]]),
    ({"type": "array", "contains": {"const": 1}, "maxContains": 1}, [[1], [1, 2], ["a", 1]], [[1, 1], [], [2]]),
    ({"type": "array", "contains": {"const": 1}, "minContains": 0, "maxContains": 1}, [[], [2], [1]], [[1, 1]]),
    ({"type": "array", "contains": {"type": "object"}, "maxContains": 1}, [[{}], [{"a": 1}, 1]], [[{}, {}], [1]]),
    ({"type": "array", "items": {"multipleOf": 3, "maximum": 30, "minimum": 0}, "contains": {"const": 9}},
     [[3, 6, 9]], [[3, 6]]),
    ({"type": "array", "prefixItems": [{"type": "string"}], "contains": {"type": "integer"}}, [["a", 1]], [["a"]]),
    ({"type": "array", "contains": {"const": 1}, "maxContains": 1, "minContains": 3}, [], [[1], [1, 1, 1]]),
]


@pytest.mark.parametrize("layout", list(LAYOUTS), ids=str)
@pytest.mark.parametrize("schema,valid,invalid", CASES, ids=[json.dumps(c[0])[:70] for c in CASES])
def test_contains_against_jsonschema(schema, valid, invalid, layout):
    check = jsonschema.Draft202012Validator(schema)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            dfa = automaton.compile_dfa(schema=schema, layout=layout)
    except automaton.EmptyLanguageError:
        assert not valid and not any(check.is_valid(value) for value in ARRAYS)
        return

    def accepted(value):
        return dfa.matches(json.dumps(value, ensure_ascii=False, **LAYOUTS[layout]).encode())

    for value in valid:
        assert check.is_valid(value) and accepted(value), value
    for value in invalid + ARRAYS:
        assert not accepted(value) or check.is_valid(value), value
    for value in invalid:
        assert not check.is_valid(value), value
    for data in random_walks(dfa, 30, np.random.default_rng(4)):
        assert check.is_valid(json.loads(data)), data


def test_contains_in_the_regex_text_path_is_refused():
    with pytest.raises(automaton.UnsupportedSchemaError) as info:
        automaton.json_schema_to_regex({"type": "array", "contains": {"const": 1}})
    assert info.value.keyword == "contains"
