"""Options of `decode.extract` / `extract_file` / `python -m decode extract`: keep_fields, sampling
with a seed, the chat template, stop_when_matched, max_states, and empty prompts.

Oracles: the input lines' own fields, `decode.generate` called directly with the same sampling
options, the tokenizer's own `apply_chat_template` and encode for prompt token counts,
`re.fullmatch`, the output of the same greedy run without stop_when_matched (of which a stopped
output must be a prefix), and the run record as written.
"""
from __future__ import annotations

import json
import re

import decode
from decode.__main__ import main as decode_main
from decode.extraction import extract_file
from decode.extraction.settings import run_record_path
from tests.decode.extraction.loader import RecordingLoader
from tests.decode.extraction.prompt_files import MAX_NEW_TOKENS, PATTERN, question, read_records

RAW = dict(max_new_tokens=MAX_NEW_TOKENS, chat_template=False)


def test_keep_fields_copies_input_fields_into_records(smollm2_model, tmp_path):
    model, tokenizer = smollm2_model
    source, output = tmp_path / "prompts.jsonl", tmp_path / "results.jsonl"
    lines = [
        {"id": "a", "prompt": question(0), "topic": "capitals", "meta": {"n": [1, 2]}, "other": 1},
        {"id": "b", "prompt": question(1), "meta": None},
        {"id": "c", "prompt": "", "topic": "empty"},
    ]
    source.write_text("".join(json.dumps(line) + "\n" for line in lines), encoding="utf-8")
    summary = extract_file(source, output, PATTERN, model=model, tokenizer=tokenizer, keep_fields="topic,meta",
                           progress=False, **RAW)
    records = {r["id"]: r for r in read_records(output)}
    for line in lines:
        kept = {name: line[name] for name in ("topic", "meta") if name in line}
        assert {name: records[line["id"]][name] for name in kept} == kept
        assert not ({"topic", "meta"} - set(kept)) & set(records[line["id"]])  # missing: not invented
        assert "other" not in records[line["id"]] and "prompt" not in records[line["id"]]
    assert records["c"]["status"] == "failed" and "empty prompt" in records["c"]["error"]
    assert records["a"]["status"] in ("matched", "incomplete") and summary.failed == 1
    assert json.loads(run_record_path(output).read_text())["settings"]["keep_fields"] == ["topic", "meta"]


def test_empty_prompts_become_failed_records(smollm2_model):
    model, tokenizer = smollm2_model
    records = list(decode.extract(["", question(0), ("z", "")], PATTERN, model=model, tokenizer=tokenizer, **RAW))
    # failed items are yielded at once, prompts when their batch is done
    assert [(r.id, r.status) for r in records[:2]] == [(0, "failed"), ("z", "failed")]
    assert all("empty prompt" in r.error and r.line in (0, 2) for r in records[:2])
    assert records[2].id == 1 and records[2].status in ("matched", "incomplete")
    (expected,) = decode.generate(model, tokenizer, [question(0)], PATTERN, max_new_tokens=MAX_NEW_TOKENS)
    assert records[2].output == expected.text


def test_sampling_with_a_seed_is_reproducible(smollm2_model, tmp_path):
    model, tokenizer = smollm2_model
    prompts = [question(i) for i in range(4)]
    sampling = dict(temperature=3.0, top_p=0.95, seed=7)
    first = list(decode.extract(prompts, PATTERN, model=model, tokenizer=tokenizer, batch_size=4, **sampling, **RAW))
    again = list(decode.extract(prompts, PATTERN, model=model, tokenizer=tokenizer, batch_size=4, **sampling, **RAW))
    assert [r.to_json() for r in first] == [r.to_json() for r in again]
    direct = decode.generate(model, tokenizer, prompts, PATTERN, max_new_tokens=MAX_NEW_TOKENS, batch_size=4,
                             do_sample=True, temperature=3.0, top_p=0.95, seed=7)
    assert [r.output for r in first] == [r.text for r in direct]
    greedy = list(decode.extract(prompts, PATTERN, model=model, tokenizer=tokenizer, batch_size=4, **RAW))
    assert [r.output for r in first] != [r.output for r in greedy], "temperature 3 sampled the greedy answers"
    for record in first:
        assert not record.matched or re.fullmatch(PATTERN, record.output)


def test_chat_template_is_on_by_default_when_the_tokenizer_has_one(smollm2_model, tmp_path):
    model, tokenizer = smollm2_model
    assert tokenizer.chat_template
    prompts = [question(0).removeprefix("Human: ").split("\n")[0], question(1).replace("\n", " ")]  # one line each
    templated = list(decode.extract(prompts, PATTERN, model=model, tokenizer=tokenizer, max_new_tokens=MAX_NEW_TOKENS))
    raw = list(decode.extract(prompts, PATTERN, model=model, tokenizer=tokenizer, **RAW))
    for prompt, record, plain in zip(prompts, templated, raw):
        text = tokenizer.apply_chat_template([{"role": "user", "content": prompt}], add_generation_prompt=True,
                                             tokenize=False)
        assert record.prompt_tokens == len(tokenizer(text, add_special_tokens=False)["input_ids"])
        assert plain.prompt_tokens == len(tokenizer(prompt)["input_ids"])
    source, output = tmp_path / "prompts.txt", tmp_path / "results.jsonl"
    source.write_text("\n".join(prompts) + "\n", encoding="utf-8")
    extract_file(source, output, PATTERN, model=model, tokenizer=tokenizer, max_new_tokens=MAX_NEW_TOKENS,
                 progress=False)
    record = json.loads(run_record_path(output).read_text())
    assert record["settings"]["chat_template"] == "auto" and record["details"]["chat_template_applied"] is True
    assert [r["prompt_tokens"] for r in read_records(output)] == [r.prompt_tokens for r in templated]


def test_stop_when_matched_ends_at_the_first_full_match(smollm2_model):
    model, tokenizer = smollm2_model
    pattern = r"[A-Z][a-z]*"  # every first token (a capital, maybe more letters) is already a full match
    prompts = [question(i) for i in range(4)]
    stopped = list(decode.extract(prompts, pattern, model=model, tokenizer=tokenizer, stop_when_matched=True,
                                  max_new_tokens=6, chat_template=False))
    whole = list(decode.extract(prompts, pattern, model=model, tokenizer=tokenizer, max_new_tokens=6,
                                chat_template=False))
    for short, full in zip(stopped, whole):
        assert short.matched and short.stop_reason == "match" and short.output_tokens == 1, short
        assert re.fullmatch(pattern, short.output) and full.output.startswith(short.output)


def test_command_options_reach_the_run(smollm2_model, tmp_path, monkeypatch):
    loader = RecordingLoader(monkeypatch, smollm2_model)
    source, output = tmp_path / "prompts.jsonl", tmp_path / "results.jsonl"
    source.write_text("".join(json.dumps({"id": i, "prompt": question(i), "topic": f"t{i}"}) + "\n"
                              for i in range(2)), encoding="utf-8")
    arguments = ["extract", "--input", str(source), "--output", str(output), "--pattern", r"[A-Z][a-z]*",
                 "--max-new-tokens", "4", "--temperature", "0.8", "--top-p", "0.9", "--seed", "3",
                 "--max-states", "1000", "--keep-fields", "topic", "--chat-template", "--stop-when-matched",
                 "--no-progress"]
    assert decode_main(arguments) == 0
    settings = json.loads(run_record_path(output).read_text())["settings"]
    assert settings["chat_template"] is True and settings["keep_fields"] == ["topic"]
    assert settings["generation"] == {"do_sample": True, "temperature": 0.8, "top_p": 0.9, "seed": 3,
                                      "stop_when_matched": True}
    records = read_records(output)
    assert [(r["id"], r["topic"]) for r in records] == [(0, "t0"), (1, "t1")]
    for record in records:
        assert record["stop_reason"] == "match" and re.fullmatch(r"[A-Z][a-z]*", record["output"])
    assert loader.calls == ["default"]
