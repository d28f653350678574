"""`extract_file(engine="vllm")` on the shared engine: the records of the local engine (fields,
matched / incomplete / failed, values of schema outputs), written as requests finish, and resume.

Oracles: `json` + `jsonschema` and Python's `re` for outputs, the tokenizer's own chat template
and encode for prompt token counts, the input file for ids and line numbers."""
from __future__ import annotations

import json
import re

import jsonschema
from transformers import AutoTokenizer

import decode
from tests.decode.vllm.cases import PERSON

PEOPLE = ["Ann, 31, from Paris", "Bob, 45, from Rome", "Carla, 27, from Oslo", "Dmitri, 60, from Paris",
          "Eve, 19, from Rome"]


def _input(path) -> list[dict]:
    lines = [json.dumps({"id": f"p{i}", "prompt": f"Give {who} as JSON."}) for i, who in enumerate(PEOPLE)]
    lines.insert(2, "{not json")
    lines.append(json.dumps({"id": "empty", "prompt": ""}))
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return lines


def _records(path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def test_schema_extraction_writes_the_local_engines_records_and_resumes(engine, model_folder, tmp_path):
    source, target = tmp_path / "people.jsonl", tmp_path / "out.jsonl"
    _input(source)
    summary = decode.extract_file(source, target, schema=PERSON, layout="compact", model=engine, engine="vllm",
                                  max_new_tokens=64, progress=False)
    records = {r["id"]: r for r in _records(target)}
    assert summary.matched == 5 and summary.failed == 2 and summary.exit_status == 1
    tokenizer = AutoTokenizer.from_pretrained(str(model_folder))
    for i, who in enumerate(PEOPLE):
        record = records[f"p{i}"]
        assert record["status"] == "matched" and record["stop_reason"] == "eos", record
        value = json.loads(record["output"])
        jsonschema.validate(value, PERSON)
        assert record["value"] == value and record["output"] == json.dumps(value, separators=(",", ":"))
        text = tokenizer.apply_chat_template([{"role": "user", "content": f"Give {who} as JSON."}],
                                             add_generation_prompt=True, tokenize=False)
        assert record["prompt_tokens"] == len(tokenizer(text, add_special_tokens=False)["input_ids"])
        assert 0 < record["output_tokens"] <= 64
    failed = [r for r in _records(target) if r["status"] == "failed"]
    assert [r["line"] for r in failed] == [3, 7] and "empty" in failed[1]["error"]

    again = decode.extract_file(source, target, schema=PERSON, layout="compact", model=engine, engine="vllm",
                                max_new_tokens=64, progress=False)
    assert again.skipped == 7 and again.matched == 0
    kept = target.read_text(encoding="utf-8").splitlines()
    target.write_text("\n".join(kept[:-3]) + "\n", encoding="utf-8")  # the last three records lost
    resumed = decode.extract_file(source, target, schema=PERSON, layout="compact", model=engine, engine="vllm",
                                  max_new_tokens=64, progress=False)
    assert resumed.skipped == 4 and resumed.matched + resumed.failed == 3
    assert sorted(r["id"] for r in _records(target) if r["status"] != "failed") == [f"p{i}" for i in range(5)]


def test_cut_off_outputs_are_incomplete_never_matched(engine, tmp_path):
    source, target = tmp_path / "in.jsonl", tmp_path / "out.jsonl"
    source.write_text("".join(json.dumps({"id": i, "prompt": p}) + "\n" for i, p in
                              enumerate(["Write a long word.", "Write another long word."])), encoding="utf-8")
    pattern = r"[a-z]{8,20}\."
    summary = decode.extract_file(source, target, pattern=pattern, model=engine, engine="vllm", max_new_tokens=2,
                                  progress=False)
    assert summary.incomplete == 2
    for record in _records(target):
        assert record["status"] == "incomplete" and record["stop_reason"] == "max_new_tokens"
        assert record["output_tokens"] == 2 and not re.fullmatch(pattern, record["output"])


def test_each_line_keeps_to_its_own_target(engine, tmp_path):
    from tests.decode.extraction.row_targets import check_row_records, write_lines

    source, target = tmp_path / "in.jsonl", tmp_path / "out.jsonl"
    write_lines(source)
    summary = decode.extract_file(source, target, pattern_field="pattern", schema_field="schema",
                                  keep_fields="topic", model=engine, engine="vllm", max_new_tokens=24, progress=False)
    check_row_records(_records(target))
    assert (summary.matched, summary.failed) == (4, 3)
