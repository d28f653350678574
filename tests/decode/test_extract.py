"""Batch extraction: input and result files, resume after a crash, the `extract` command, the Python API.

Oracles: Python's `re.fullmatch` on every matched output, `json.loads` + `jsonschema` on schema
values, the tokenizer's own encode for token counts, `decode.generate` on the same batches for
the pairing of ids and outputs, and the bytes of the output file before and after a resume.
"""
from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import jsonschema
import pytest

import decode
from decode import generation
from decode.__main__ import main as decode_main
from decode.extract_errors import ExtractionOptionsError, ResultFileError
from decode.extraction import extract_file
from decode.jsonl_io import BadLine, PromptLine, ResultFile, read_prompts

REPO = Path(__file__).resolve().parents[2]
# One capitalised word in at most 3 tokens: SmolLM2 ends some answers there and is cut off in others.
PATTERN = r"[A-Z][a-z]+"
MAX_NEW_TOKENS = 3
COUNTRIES = ["France", "Japan", "Peru", "Kenya", "Canada", "Norway", "Egypt", "Chile", "India", "Spain",
             "Italy", "Ghana", "Brazil", "Sweden", "Greece", "Mexico", "Poland", "Cuba", "Nepal", "Chad",
             "Iran", "Fiji", "Laos", "Mali", "Oman"]
BATCH = 8
BAD_LINE = 21  # the malformed line in the 50-prompt file


def question(i: int) -> str:
    asked = "the capital" if i < len(COUNTRIES) else "the largest city"
    return f"Human: What is {asked} of {COUNTRIES[i % len(COUNTRIES)]}? Answer with one word.\nAI Assistant:"


def write_prompt_file(path: Path, count: int, bad_line: int | None = None) -> list[tuple[str, str]]:
    """JSONL with `count` prompts (ids "p0".."p{count-1}") and, at `bad_line`, a line that is not JSON."""
    prompts = [(f"p{i}", question(i)) for i in range(count)]
    lines = [json.dumps({"id": identifier, "prompt": prompt}) for identifier, prompt in prompts]
    if bad_line is not None:
        lines.insert(bad_line - 1, '{"id": "broken", "prompt": ')
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return prompts


def read_records(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def check_records(records: list[dict], prompts: list[tuple[str, str]], tokenizer, pattern: str = PATTERN):
    """Each prompt once; matched outputs are full matches; counts agree with the tokenizer."""
    results = [r for r in records if r["status"] != "failed"]
    ids = [r["id"] for r in results]
    assert len(ids) == len(set(ids)), "duplicate ids"
    assert set(ids) == {identifier for identifier, _ in prompts}, "lost or extra ids"
    prompt_of = dict(prompts)
    for record in results:
        assert record["matched"] == (record["status"] == "matched")
        if record["matched"]:
            assert re.fullmatch(pattern, record["output"]), record
            assert record["stop_reason"] == "eos"
        else:
            assert record["stop_reason"] != "eos"
        assert record["prompt_tokens"] == len(tokenizer(prompt_of[record["id"]])["input_ids"])
        assert 0 <= record["output_tokens"] <= MAX_NEW_TOKENS
    return results


# -- files, without a model --------------------------------------------------------------------------


def test_read_prompts_reports_bad_lines_and_goes_on(tmp_path):
    path = tmp_path / "in.jsonl"
    lines = [
        json.dumps({"id": 1, "prompt": "a"}),
        "",
        "not json",
        json.dumps(["a list"]),
        json.dumps({"id": 2}),
        json.dumps({"id": 3, "prompt": 5}),
        json.dumps({"id": True, "prompt": "b"}),
        json.dumps({"id": 1, "prompt": "again"}),
        json.dumps({"prompt": "no id"}),
        json.dumps({"id": "1", "prompt": "a string id"}),
    ]
    path.write_bytes(("\n".join(lines) + "\n").encode() + b"\xff\xfe\n")
    items = list(read_prompts(path))
    good = [(item.line, item.id, item.prompt) for item in items if isinstance(item, PromptLine)]
    bad = {item.line: item.error for item in items if isinstance(item, BadLine)}
    assert good == [(1, 1, "a"), (9, 9, "no id"), (10, "1", "a string id")]
    assert sorted(bad) == [3, 4, 5, 6, 7, 8, 11]
    assert "not valid JSON" in bad[3]
    assert "JSON object" in bad[4]
    assert "no prompt field 'prompt'" in bad[5]
    assert "must be a string" in bad[6]
    assert "string or an integer" in bad[7]
    assert "duplicate id 1 (first on line 1)" in bad[8]
    assert "UTF-8" in bad[11]


def test_read_prompts_plain_text_and_other_fields(tmp_path):
    text = tmp_path / "in.txt"
    text.write_text("first prompt\n\nthird line\r\n", encoding="utf-8")
    assert list(read_prompts(text)) == [PromptLine(1, 1, "first prompt"), PromptLine(3, 3, "third line")]
    jsonl = tmp_path / "in.jsonl"
    jsonl.write_text(json.dumps({"key": "k", "question": "q?"}) + "\n", encoding="utf-8")
    assert list(read_prompts(jsonl, field="question", id_field="key")) == [PromptLine(1, "k", "q?")]


def test_result_file_drops_a_cut_off_last_line_and_lists_what_is_done(tmp_path):
    path = tmp_path / "out.jsonl"
    whole = (
        json.dumps({"id": "a", "status": "matched"}) + "\n"
        + json.dumps({"id": None, "status": "failed", "line": 4, "error": "not valid JSON"}) + "\n"
        + json.dumps({"id": 7, "status": "incomplete"}) + "\n"
    )
    cut_off = '{"id": "b", "status": "matc'
    path.write_text(whole + cut_off, encoding="utf-8")
    results = ResultFile.open(path)
    assert results.dropped_bytes == len(cut_off)
    assert path.read_text(encoding="utf-8") == whole
    assert results.is_done(PromptLine(1, "a", "x")) and results.is_done(PromptLine(2, 7, "x"))
    assert not results.is_done(PromptLine(3, "7", "x")) and not results.is_done(PromptLine(5, "b", "x"))
    assert results.is_done(BadLine(4, "anything")) and not results.is_done(BadLine(5, "anything"))
    results.write({"id": "b", "text": "two\nlines"})
    # flushed at once: another reader sees the line before the file is closed
    assert json.loads(path.read_text(encoding="utf-8").splitlines()[-1]) == {"id": "b", "text": "two\nlines"}
    results.close()


def test_result_file_refuses_a_file_of_other_things(tmp_path):
    path = tmp_path / "out.jsonl"
    path.write_text('{"id": 1}\nthis is not a result\n{"id": 2}\n', encoding="utf-8")
    with pytest.raises(ResultFileError, match=r"out.jsonl:2: not a JSON result line"):
        ResultFile.open(path)


# -- with SmolLM2 -----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def fifty(tmp_path_factory, smollm2_model):
    """50 prompts plus one malformed line, extracted once without interruption."""
    model, tokenizer = smollm2_model
    folder = tmp_path_factory.mktemp("fifty")
    source = folder / "prompts.jsonl"
    prompts = write_prompt_file(source, 50, bad_line=BAD_LINE)
    output = folder / "results.jsonl"
    summary = extract_file(source, output, PATTERN, model=model, tokenizer=tokenizer, batch_size=BATCH,
                           max_new_tokens=MAX_NEW_TOKENS, progress=False)
    return source, prompts, output, summary


def test_extract_fifty_prompts(fifty, smollm2_model):
    model, tokenizer = smollm2_model
    source, prompts, output, summary = fifty
    records = read_records(output)
    results = check_records(records, prompts, tokenizer)
    failed = [r for r in records if r["status"] == "failed"]
    assert len(failed) == 1 and failed[0]["line"] == BAD_LINE and "not valid JSON" in failed[0]["error"]
    assert summary.failed == 1 and summary.skipped == 0
    assert summary.matched == sum(r["matched"] for r in results) > 0
    assert summary.incomplete == len(results) - summary.matched
    assert summary.output_tokens == sum(r["output_tokens"] for r in results)
    # Ids are paired with their own outputs: the first batches equal decode.generate on the same prompts.
    by_id = {r["id"]: r for r in results}
    for start in (0, BATCH):
        batch = prompts[start : start + BATCH]
        expected = decode.generate(model, tokenizer, [p for _, p in batch], PATTERN,
                                   max_new_tokens=MAX_NEW_TOKENS, batch_size=BATCH, do_sample=False)
        for (identifier, _), result in zip(batch, expected):
            assert (by_id[identifier]["output"], by_id[identifier]["matched"]) == (result.text, result.matched)


def test_crash_part_way_then_resume(fifty, smollm2_model, tmp_path, monkeypatch):
    model, tokenizer = smollm2_model
    source, prompts, _, _ = fifty
    output = tmp_path / "results.jsonl"
    real_generate = generation.generate
    calls = []

    def crashing_generate(*args, **kwargs):
        calls.append(1)
        if len(calls) == 3:
            raise RuntimeError("injected crash")
        return real_generate(*args, **kwargs)

    monkeypatch.setattr(generation, "generate", crashing_generate)
    with pytest.raises(RuntimeError, match="injected crash"):
        extract_file(source, output, PATTERN, model=model, tokenizer=tokenizer, batch_size=BATCH,
                     max_new_tokens=MAX_NEW_TOKENS, progress=False)
    monkeypatch.setattr(generation, "generate", real_generate)
    before = output.read_bytes()
    # two batches, and the bad line 21, read (and reported) while the third batch was filling
    assert [r["status"] == "failed" for r in read_records(output)] == [False] * 2 * BATCH + [True]
    cut_off = b'{"id": "p16", "status": "mat'  # what a crash in the middle of a write leaves
    output.write_bytes(before + cut_off)

    summary = extract_file(source, output, PATTERN, model=model, tokenizer=tokenizer, batch_size=BATCH,
                           max_new_tokens=MAX_NEW_TOKENS, progress=False)
    after = output.read_bytes()
    assert after.startswith(before), "the lines of the first run changed"
    assert summary.dropped_bytes == len(cut_off) and summary.skipped == 2 * BATCH + 1
    records = read_records(output)
    check_records(records, prompts, tokenizer)
    assert [r["line"] for r in records if r["status"] == "failed"] == [BAD_LINE]
    # a third run finds everything done and writes nothing
    again = extract_file(source, output, PATTERN, model=model, tokenizer=tokenizer, batch_size=BATCH,
                         max_new_tokens=MAX_NEW_TOKENS, progress=False)
    assert output.read_bytes() == after
    assert (again.skipped, again.matched + again.incomplete + again.failed) == (51, 0)


def test_command_killed_part_way_then_resumed(fifty, smollm2_model, tmp_path):
    """`python -m decode extract` killed with SIGKILL after a few lines; the rerun completes the file."""
    model, tokenizer = smollm2_model
    source, prompts, _, _ = fifty
    output = tmp_path / "results.jsonl"
    command = [sys.executable, "-m", "decode", "extract", "--input", str(source), "--output", str(output),
               "--pattern", PATTERN, "--max-new-tokens", str(MAX_NEW_TOKENS), "--batch-size", "4", "--no-progress"]
    process = subprocess.Popen(command, cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                               env={**os.environ, "OMP_NUM_THREADS": "1"})
    deadline = time.monotonic() + 600
    try:
        while process.poll() is None and time.monotonic() < deadline:
            if output.exists() and output.read_bytes().count(b"\n") >= 8:
                break
            time.sleep(0.02)
        process.send_signal(signal.SIGKILL)
    finally:
        _, errors = process.communicate(timeout=60)
    assert process.returncode == -signal.SIGKILL, errors.decode(errors="replace")[-2000:]
    before = output.read_bytes()
    written = before[: before.rfind(b"\n") + 1]
    assert 8 <= written.count(b"\n") < 51

    extract_file(source, output, PATTERN, model=model, tokenizer=tokenizer, batch_size=4,
                 max_new_tokens=MAX_NEW_TOKENS, progress=False)
    assert output.read_bytes().startswith(written)
    records = read_records(output)
    check_records(records, prompts, tokenizer)
    assert [r["line"] for r in records if r["status"] == "failed"] == [BAD_LINE]


def test_command_on_a_text_file(smollm2_model, tmp_path, capsys):
    source = tmp_path / "prompts.txt"
    questions = [question(i).replace("\n", " ") for i in range(3)]
    source.write_text("\n".join(questions) + "\n", encoding="utf-8")
    pattern_file = tmp_path / "pattern.txt"
    pattern_file.write_text(PATTERN + "\n", encoding="utf-8")
    output = tmp_path / "results.jsonl"
    arguments = ["extract", "--input", str(source), "--output", str(output), "--pattern-file", str(pattern_file),
                 "--max-new-tokens", str(MAX_NEW_TOKENS), "--batch-size", "2", "--no-progress"]
    assert decode_main(arguments) == 0
    printed = capsys.readouterr().out
    records = read_records(output)
    check_records(records, [(i + 1, q) for i, q in enumerate(questions)], smollm2_model[1])
    matched = sum(r["matched"] for r in records)
    assert f"3 written (local): {matched} matched, {3 - matched} incomplete, 0 failed" in printed
    assert "prompts/s" in printed and "tokens/s" in printed
    assert decode_main(arguments) == 0
    assert "0 written (local)" in capsys.readouterr().out and len(read_records(output)) == 3


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
    with pytest.raises(ExtractionOptionsError, match="index file .* does not exist"):
        list(decode.extract(["x"], index=tmp_path / "missing.index", model=model, tokenizer=tokenizer))
    with pytest.raises(ExtractionOptionsError, match="num_return_sequences must be 1"):
        list(decode.extract(["x"], PATTERN, model=model, tokenizer=tokenizer, num_return_sequences=2))
    with pytest.raises(ExtractionOptionsError, match="engine must be one of"):
        extract_file(tmp_path / "in.txt", tmp_path / "out.jsonl", PATTERN, engine="spark")
