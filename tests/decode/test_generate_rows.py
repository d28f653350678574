"""`decode.generate(patterns=[...], schemas=[...])`: one constraint per prompt, rows of different
constraints in one batch of the own loop (with and without jump-forward).

Oracles: Python's `re.fullmatch(pattern, text, re.ASCII)` for patterns, `json.loads` +
`jsonschema.validate` (and `json.dumps` for the layout) for schemas, and the row's own index
walked over its token ids for the final state.
"""
from __future__ import annotations

import json
import re

import jsonschema
import pytest

import decode
from decode.generation import index_for

PATTERNS = [r"(yes|no)", r"\d{3}-\d{4}", None, r"[A-Z][a-z]{1,8}", None, r"(red|green|blue)"]
CITY = {
    "type": "object",
    "properties": {"city": {"enum": ["Paris", "Rome", "Oslo"]}, "people": {"type": "integer", "maximum": 99}},
    "required": ["city", "people"],
    "additionalProperties": False,
}
SCHEMAS = [None, None, CITY, None, {"type": "array", "items": {"enum": [1, 2, 3]}, "maxItems": 3}, None]
PROMPTS = ["Is the sky blue?", "Write a phone number.", "A city as JSON.", "Name a person.",
           "A short list of numbers as JSON.", "Name a colour."]


@pytest.mark.parametrize("jump_forward", [True, False])
def test_each_row_matches_its_own_constraint(smollm2_model, jump_forward):
    model, tokenizer = smollm2_model
    results = decode.generate(model, tokenizer, PROMPTS, patterns=PATTERNS, schemas=SCHEMAS, layout="compact",
                              max_new_tokens=40, batch_size=6, chat_template=True, jump_forward=jump_forward)
    assert [r.prompt for r in results] == PROMPTS
    for pattern, schema, result in zip(PATTERNS, SCHEMAS, results):
        assert result.matched and result.stop_reason == "eos", (pattern, schema, result.text)
        if pattern is not None:
            assert re.fullmatch(pattern, result.text, re.ASCII)
            index = index_for(model, tokenizer, pattern)
        else:
            value = json.loads(result.text)
            jsonschema.validate(value, schema)
            assert result.text == json.dumps(value, separators=(",", ":"))
            index = index_for(model, tokenizer, decode.generation.row_targets(1, schemas=[schema], layout="compact")[0])
        assert index.advance(index.initial_state, list(result.token_ids)) == result.final_state
        assert index.is_accepting(result.final_state)
    if jump_forward:  # the schema rows force their openings ('{"city":"', '[') while the others sample
        assert results[2].forced_tokens > 0 and results[0].forced_tokens == 0


def test_a_row_whose_constraint_allows_only_the_empty_text_stops_at_once(smollm2_model):
    model, tokenizer = smollm2_model
    results = decode.generate(model, tokenizer, ["Say yes.", "Say no."], patterns=["(yes)?", "no"],
                              max_new_tokens=8, stop_when_matched=True, chat_template=True)
    assert (results[0].text, results[0].stop_reason, results[0].num_tokens) == ("", "match", 0)
    assert results[1].text == "no" and results[1].matched


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"patterns": ["a"]}, "1 entries for 2 prompts"),
        ({"patterns": ["a", None]}, "prompt 1 needs exactly one"),
        ({"patterns": ["a", "b"], "schemas": [None, {"type": "string"}]}, "prompt 1 needs exactly one"),
        ({"patterns": ["a", "b"], "schema": {"type": "string"}}, "one per prompt"),
        ({"patterns": ["a", "b"], "repetition_penalty": 1.1}, "own loop"),
    ],
)
def test_per_row_arguments_are_checked(smollm2_model, kwargs, message):
    model, tokenizer = smollm2_model
    with pytest.raises(ValueError, match=message):
        decode.generate(model, tokenizer, ["x", "y"], **kwargs)
