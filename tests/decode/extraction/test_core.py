"""`decode.extract` (`decode.extraction.core`): records from prompts, schemas, index files, options.

Oracles: `json.loads` + `jsonschema` on schema values, the records of the same prompts from a
pattern and from its index file, the tokenizer's own encode for prompt token counts.
"""
from __future__ import annotations

import json

import jsonschema
import pytest

import decode
from decode import ExtractionOptionsError, generation
from decode.extraction import extract_file
from tests.decode.extraction.prompt_files import MAX_NEW_TOKENS, PATTERN, question


def test_extract_with_a_schema_gives_parsed_values(smollm2_model, tmp_path):
    model, tokenizer = smollm2_model
    schema = {"type": "object", "properties": {"answer": {"type": "integer", "minimum": 0, "maximum": 99}},
              "required": ["answer"]}
    prompts = [f'Human: What is {i} + {i + 2}? Reply in JSON like {{"answer": 3}}.\nAI Assistant:' for i in range(4)]
    records = list(decode.extract(prompts, schema=schema, model=model, tokenizer=tokenizer, batch_size=4,
                                  max_new_tokens=12))
    assert [r.id for r in records] == [0, 1, 2, 3]
    assert any(r.matched for r in records)
    for record in records:
        line = record.to_json()
        assert "value" in line
        if record.matched:
            assert record.value == json.loads(record.output)
            jsonschema.validate(record.value, schema)
        else:
            assert record.value is None


def test_extract_yields_batch_by_batch(smollm2_model):
    """Records of the first batches come out before the input is used up."""
    model, tokenizer = smollm2_model

    def prompts():
        for i in range(4):
            yield (f"q{i}", question(i))
        raise KeyError("input read too far")

    records = decode.extract(prompts(), PATTERN, model=model, tokenizer=tokenizer, batch_size=2,
                             max_new_tokens=MAX_NEW_TOKENS)
    first = [next(records), next(records), next(records), next(records)]
    assert [r.id for r in first] == ["q0", "q1", "q2", "q3"]
    with pytest.raises(KeyError, match="input read too far"):
        next(records)


def test_index_file_gives_the_same_records_as_the_pattern(smollm2_model, tmp_path):
    model, tokenizer = smollm2_model
    index_path = tmp_path / "digits.index"
    generation.index_for(model, tokenizer, PATTERN).save(index_path)
    prompts = [question(i) for i in range(4)]
    from_pattern = list(decode.extract(prompts, PATTERN, model=model, tokenizer=tokenizer, batch_size=4,
                                       max_new_tokens=MAX_NEW_TOKENS))
    from_file = list(decode.extract(prompts, index=index_path, model=model, tokenizer=tokenizer, batch_size=4,
                                    max_new_tokens=MAX_NEW_TOKENS))
    assert [r.to_json() for r in from_file] == [r.to_json() for r in from_pattern]


def test_options_are_checked(smollm2_model, tmp_path):
    model, tokenizer = smollm2_model
    with pytest.raises(ExtractionOptionsError, match="exactly one of pattern, schema or index"):
        list(decode.extract(["x"], PATTERN, schema={"type": "integer"}, model=model, tokenizer=tokenizer))
    with pytest.raises(ExtractionOptionsError, match=r"index file .* does not exist"):
        list(decode.extract(["x"], index=tmp_path / "missing.index", model=model, tokenizer=tokenizer))
    with pytest.raises(ExtractionOptionsError, match="num_return_sequences must be 1"):
        list(decode.extract(["x"], PATTERN, model=model, tokenizer=tokenizer, num_return_sequences=2))
    with pytest.raises(ExtractionOptionsError, match="engine must be one of"):
        extract_file(tmp_path / "in.txt", tmp_path / "out.jsonl", PATTERN, engine="spark")


def test_prompt_tokens_come_from_the_generation_not_a_second_tokenization(smollm2_model, monkeypatch):
    """Each batch is tokenized once (by `decode.generate`); the records' prompt counts are that tokenization's."""
    model, tokenizer = smollm2_model
    prompts = [question(i) for i in range(5)] + ["x"]
    expected = [len(tokenizer(prompt)["input_ids"]) for prompt in prompts]  # the tokenizer's own encode
    batches = []
    real_call = type(tokenizer).__call__

    def counting_call(self, text=None, *args, **kwargs):
        if isinstance(text, list):
            batches.append(list(text))
        return real_call(self, text, *args, **kwargs)

    monkeypatch.setattr(type(tokenizer), "__call__", counting_call)
    records = list(decode.extract(prompts, PATTERN, model=model, tokenizer=tokenizer, batch_size=4,
                                  max_new_tokens=MAX_NEW_TOKENS, chat_template=False))
    assert [record.prompt_tokens for record in records] == expected
    assert batches == [prompts[:4], prompts[4:]]
