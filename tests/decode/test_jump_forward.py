"""Jump-forward decoding with SmolLM2: same language with it on or off, fewer forward passes."""
from __future__ import annotations

import json
import re

import torch

import automaton
from decode.generation import index_for
from decode.loop import ForcedTokenizer, Sampler, run_constrained_loop

SCHEMA = {
    "type": "object",
    "properties": {
        "name": {"type": "string", "maxLength": 12},
        "age": {"type": "integer", "minimum": 0, "maximum": 120},
        "role": {"enum": ["admin", "user", "guest"]},
    },
    "required": ["name", "age", "role"],
}


def run(model, tokenizer, prompts, pattern, *, jump_forward, max_new_tokens=40, sampler=None):
    sampler = Sampler() if sampler is None else sampler
    index = index_for(model, tokenizer, pattern)
    encoded = tokenizer(prompts, return_tensors="pt", padding=True)
    rows, stats = run_constrained_loop(
        model, index, encoded["input_ids"], encoded["attention_mask"],
        max_new_tokens=max_new_tokens, pad_token_id=tokenizer.pad_token_id, sampler=sampler,
        forced_tokens=ForcedTokenizer(index, tokenizer) if jump_forward else None,
    )
    texts = [b"".join(index.token_bytes(t) for t in row.tokens).decode("utf-8", "replace") for row in rows]
    return rows, stats, texts


def test_seed_example_same_text_with_fewer_passes(smollm2_model, seed_example):
    model, tokenizer = smollm2_model
    prompt, pattern = seed_example
    plain_rows, plain_stats, plain_texts = run(model, tokenizer, [prompt], pattern, jump_forward=False)
    jump_rows, jump_stats, jump_texts = run(model, tokenizer, [prompt], pattern, jump_forward=True)
    for rows, texts in ((plain_rows, plain_texts), (jump_rows, jump_texts)):
        assert rows[0].stop_reason == "eos"
        assert re.fullmatch(pattern, texts[0]), texts[0]
        json.loads(texts[0].split("\nHuman:")[0])
    if plain_texts != jump_texts:
        print(f"texts differ where tokenization differs:\n  off: {plain_texts[0]!r}\n  on:  {jump_texts[0]!r}")
    assert jump_rows[0].forced_tokens > 0
    assert jump_stats.forward_passes < plain_stats.forward_passes


def test_json_schema_outputs_validate_with_and_without_jump_forward(smollm2_model):
    import jsonschema
    model, tokenizer = smollm2_model
    pattern = automaton.json_schema_to_regex(SCHEMA)
    prompt = "Give a JSON record of a user named Ada, aged 36, role admin.\n"
    outputs = {}
    for jump_forward in (False, True):
        rows, stats, texts = run(model, tokenizer, [prompt], pattern, jump_forward=jump_forward, max_new_tokens=48)
        assert rows[0].stop_reason == "eos", texts[0]
        jsonschema.validate(json.loads(texts[0]), SCHEMA)
        outputs[jump_forward] = (texts[0], stats)
    if outputs[False][0] != outputs[True][0]:
        print(f"texts differ: off {outputs[False][0]!r} / on {outputs[True][0]!r}")
    passes_off, passes_on = outputs[False][1].forward_passes, outputs[True][1].forward_passes
    tokens_on = outputs[True][1].generated_tokens
    print(f"forward passes: {passes_off} without, {passes_on} with jump-forward ({tokens_on} tokens)")
    assert passes_on < passes_off


def test_batch_mixing_forcing_and_free_rows(smollm2_model):
    """Rows force different lengths at different steps; every row still matches on its own."""
    model, tokenizer = smollm2_model
    pattern = r'(\{"id":[0-9]{1,3},"tag":"(red|blue)"\}|[a-z]{1,8})'
    prompts = ["Write a JSON object:", "A short word:", "Here is an item record in JSON:\n", "colour?"]
    generator = torch.Generator().manual_seed(7)
    rows, _, texts = run(
        model, tokenizer, prompts, pattern, jump_forward=True, max_new_tokens=24,
        sampler=Sampler(do_sample=True, temperature=1.0, generator=generator),
    )
    for row, text in zip(rows, texts):
        if row.stop_reason == "eos":
            assert re.fullmatch(pattern, text), text
        else:
            assert row.stop_reason == "max_new_tokens"
    assert sum(row.forced_tokens for row in rows) > 0 or all(re.fullmatch("[a-z]{1,8}", t) for t in texts)


def test_forced_tokens_spell_the_forced_bytes(smollm2_model):
    model, tokenizer = smollm2_model
    index = index_for(model, tokenizer, r'\{"name":"[a-z]+","kind":"(cat|dog)"\}')
    forced = ForcedTokenizer(index, tokenizer)
    ids = forced(index.initial_state)
    assert ids, "the opening of the object is forced"
    spelled = b"".join(index.token_bytes(t) for t in ids)
    assert index.forced_bytes(index.initial_state).startswith(spelled)
    assert index.advance(index.initial_state, ids) >= 0
