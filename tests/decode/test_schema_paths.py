"""Schemas reach generation and extraction through automata (`automaton.compile_index(schema=...)`),
never through one regex text: the text translator is made to fail, and the outputs must still
match their schema (oracles: `json.loads`, `jsonschema.validate`, `json.dumps` for the layout)."""
from __future__ import annotations

import json

import jsonschema
import pytest

import automaton
import automaton.json_schema
import decode
from decode.extraction.core import check_target, resolve_target

CITY = {
    "type": "object",
    "properties": {"city": {"enum": ["Paris", "Rome", "Oslo"]}, "people": {"type": "integer", "maximum": 99}},
    "required": ["city", "people"],
    "additionalProperties": False,
}


@pytest.fixture
def no_regex_text(monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("a schema went through json_schema_to_regex")

    monkeypatch.setattr(automaton.json_schema, "json_schema_to_regex", refuse)
    monkeypatch.setattr(automaton, "json_schema_to_regex", refuse, raising=False)


@pytest.mark.parametrize("layout", ["spaced", 2])
def test_generate_compiles_schemas_as_automata(smollm2_model, no_regex_text, layout):
    model, tokenizer = smollm2_model
    [result] = decode.generate(model, tokenizer, ["A city and how many people you know there, as JSON."],
                               schema=CITY, layout=layout, max_new_tokens=48, chat_template=True)
    assert result.matched, result.text
    value = json.loads(result.text)
    jsonschema.validate(value, CITY)
    indent = None if layout == "spaced" else layout
    assert result.text == json.dumps(value, indent=indent)


def test_extraction_targets_compile_schemas_as_automata(smollm2_model, no_regex_text):
    model, tokenizer = smollm2_model
    assert check_target(schema=CITY, layout="compact") == {"schema": CITY, "layout": "compact"}
    target = resolve_target(model, tokenizer, schema=CITY, layout="compact")
    assert target.is_schema
    text = json.dumps({"city": "Rome", "people": 12}, separators=(",", ":"))
    ids = tokenizer.encode(text, add_special_tokens=False)  # the tokenizer's own spelling of the text
    state = target.index.advance(target.index.initial_state, ids)
    assert state >= 0 and target.index.is_accepting(state)
    spaced = tokenizer.encode(json.dumps({"city": "Rome", "people": 12}), add_special_tokens=False)
    assert target.index.advance(target.index.initial_state, spaced) < 0
