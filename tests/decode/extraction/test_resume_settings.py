"""What produced a result file (`decode.extraction.settings`), the exit status, and JSON array inputs.

Oracles: the bytes of the output file before and after a refused resume, the run record's JSON
as written, hand-written input files with known content, `re.fullmatch` on matched outputs and
the tokenizer's own encode for prompt token counts (`check_records`).
"""
from __future__ import annotations

import json
import os

import pytest

from decode import ExtractionOptionsError, InputFileError, ResumeMismatchError
from decode.__main__ import main as decode_main
from decode.extraction import extract_file, read_prompts
from decode.extraction.files import BadLine, PromptLine
from decode.extraction.settings import run_record_path
from tests.decode.extraction.loader import RecordingLoader
from tests.decode.extraction.prompt_files import MAX_NEW_TOKENS, PATTERN, check_records, question, read_records

OPTIONS = dict(max_new_tokens=MAX_NEW_TOKENS, progress=False, chat_template=False)


def _two_prompts(path):
    prompts = [("a", question(0)), ("b", question(1))]
    path.write_text("".join(json.dumps({"id": i, "prompt": p}) + "\n" for i, p in prompts), encoding="utf-8")
    return prompts


def test_resume_with_another_pattern_model_or_settings_is_refused(smollm2_model, tmp_path, monkeypatch, capsys):
    model, tokenizer = smollm2_model
    source, output = tmp_path / "prompts.jsonl", tmp_path / "results.jsonl"
    prompts = _two_prompts(source)
    extract_file(source, output, PATTERN, model=model, tokenizer=tokenizer, **OPTIONS)
    check_records(read_records(output), prompts, tokenizer)
    record = json.loads(run_record_path(output).read_text(encoding="utf-8"))
    assert record["settings"]["target"] == {"pattern": PATTERN}
    assert record["settings"]["model"] == "default"  # the embedded model, given as objects
    assert record["settings"]["max_new_tokens"] == MAX_NEW_TOKENS
    assert record["details"]["chat_template_applied"] is False
    before = output.read_bytes() + b'{"id": "c", "sta'  # a torn last line must stay too
    output.write_bytes(before)
    loader = RecordingLoader(monkeypatch)  # a refusal comes before any model load

    refusals = [
        (dict(pattern=r"[a-z]+"), ["target", json.dumps(PATTERN), '"[a-z]+"']),
        (dict(pattern=PATTERN, max_new_tokens=5), ["max_new_tokens: 3 before, 5 now"]),
        (dict(pattern=PATTERN, model=str(tmp_path)), ["model: \"default\" before", str(tmp_path)]),
        (dict(pattern=PATTERN, temperature=0.7), ["generation", "temperature"]),
        (dict(pattern=PATTERN, chat_template=True), ["chat_template: false before, true now"]),
        (dict(schema={"type": "integer"}), ["target", "schema"]),
    ]
    for changed, named in refusals:
        options = {**OPTIONS, "model": None, **changed}
        with pytest.raises(ResumeMismatchError) as refused:
            extract_file(source, output, **options)
        for words in named:
            assert words in str(refused.value), (words, str(refused.value))
        assert output.read_bytes() == before
    # the command says so and exits 2, the file untouched
    code = decode_main(["extract", "--input", str(source), "--output", str(output), "--pattern", "[a-z]+",
                        "--max-new-tokens", str(MAX_NEW_TOKENS), "--no-progress", "--no-chat-template"])
    assert code == 2 and "written with other settings" in capsys.readouterr().err
    assert output.read_bytes() == before and loader.calls == []


def test_output_without_run_record_is_refused(tmp_path, monkeypatch):
    loader = RecordingLoader(monkeypatch)
    source, output = tmp_path / "prompts.jsonl", tmp_path / "results.jsonl"
    _two_prompts(source)
    content = json.dumps({"id": "a", "status": "matched", "output": "Paris"}) + "\n"
    output.write_text(content, encoding="utf-8")
    with pytest.raises(ResumeMismatchError, match="no run record"):
        extract_file(source, output, PATTERN, **OPTIONS)
    assert output.read_text(encoding="utf-8") == content and loader.calls == []
    assert not run_record_path(output).exists()


def test_output_that_is_the_input_is_refused(tmp_path, monkeypatch):
    loader = RecordingLoader(monkeypatch)
    source = tmp_path / "prompts.jsonl"
    _two_prompts(source)
    content = source.read_bytes()
    (tmp_path / "link.jsonl").symlink_to(source)
    (tmp_path / "sub").mkdir()
    monkeypatch.chdir(tmp_path / "sub")
    for output in (source, tmp_path / "link.jsonl", "../prompts.jsonl", tmp_path / "sub" / ".." / "prompts.jsonl"):
        with pytest.raises(ExtractionOptionsError, match="is the input file"):
            extract_file(source, output, PATTERN, **OPTIONS)
    sidecar_named = tmp_path / "results.jsonl.run.json"  # an input that the output's run record would replace
    sidecar_named.write_bytes(content)
    with pytest.raises(ExtractionOptionsError, match="is the input file"):
        extract_file(sidecar_named, tmp_path / "results.jsonl", PATTERN, **OPTIONS)
    assert source.read_bytes() == content == sidecar_named.read_bytes() and loader.calls == []
    assert not (tmp_path / "results.jsonl").exists()
    assert os.listdir(tmp_path / "sub") == []


def test_exit_status_is_one_when_a_line_failed(smollm2_model, tmp_path, monkeypatch, capsys):
    """A bad line and an empty prompt: written as failed, the rest generated, exit status 1 (also on a rerun)."""
    tokenizer = smollm2_model[1]
    loader = RecordingLoader(monkeypatch, smollm2_model)
    source, output = tmp_path / "prompts.jsonl", tmp_path / "results.jsonl"
    lines = [json.dumps({"id": "a", "prompt": question(0)}), "{not json", json.dumps({"id": "e", "prompt": ""}),
             json.dumps({"id": "b", "prompt": question(1)})]
    source.write_text("\n".join(lines) + "\n", encoding="utf-8")
    arguments = ["extract", "--input", str(source), "--output", str(output), "--pattern", PATTERN,
                 "--max-new-tokens", str(MAX_NEW_TOKENS), "--no-progress", "--no-chat-template"]
    assert decode_main(arguments) == 1
    printed = capsys.readouterr().out
    assert "2 failed" in printed and "2 failed lines in the output" in printed and "exit status 1" in printed
    records = read_records(output)
    failed = {r["line"]: r for r in records if r["status"] == "failed"}
    assert sorted(failed) == [2, 3] and failed[3]["id"] == "e" and "empty prompt" in failed[3]["error"]
    check_records(records, [("a", question(0)), ("b", question(1))], tokenizer)
    assert loader.calls == ["default"]
    written = output.read_bytes()
    # the rerun: nothing left to do, no model loaded, the earlier failures still count
    assert decode_main(arguments) == 1
    printed = capsys.readouterr().out
    assert "0 written" in printed and "(2 from earlier runs)" in printed
    assert output.read_bytes() == written and loader.calls == ["default"]


def test_json_array_input_is_read_as_prompts(smollm2_model, tmp_path):
    model, tokenizer = smollm2_model
    source = tmp_path / "prompts.json"
    items = [question(0), {"id": "x", "prompt": question(1), "topic": "geo"}, 7, {"prompt": question(2)}, ""]
    source.write_text(json.dumps(items, indent=2), encoding="utf-8")  # pretty-printed: one value over many lines
    read = list(read_prompts(source, keep_fields=("topic",)))
    assert read[:2] == [PromptLine(1, 1, question(0)), PromptLine(2, "x", question(1), {"topic": "geo"})]
    assert isinstance(read[2], BadLine) and read[2].line == 3 and "got int" in read[2].error
    assert read[3] == PromptLine(4, 4, question(2), {})
    assert isinstance(read[4], BadLine) and "empty prompt" in read[4].error
    output = tmp_path / "results.jsonl"
    summary = extract_file(source, output, PATTERN, model=model, tokenizer=tokenizer, **OPTIONS)
    assert (summary.failed, summary.exit_status) == (2, 1)
    records = read_records(output)
    check_records(records, [(1, question(0)), ("x", question(1)), (4, question(2))], tokenizer)
    assert json.loads(run_record_path(output).read_text())["settings"]["input_format"] == "json"


def test_input_neither_json_lines_nor_an_array_is_refused(tmp_path, monkeypatch, capsys):
    loader = RecordingLoader(monkeypatch)
    output = tmp_path / "results.jsonl"
    cases = {
        "object.json": json.dumps({"id": 1, "prompt": "a"}, indent=2),  # a pretty-printed object
        "text.jsonl": "What is the capital of France?\n",
        "broken.json": '[\n  "a",\n  "b"\n',  # an array never closed
        "number.json": "[1, 2] [3]",
    }
    for name, text in cases.items():
        (tmp_path / name).write_text(text, encoding="utf-8")
        with pytest.raises(InputFileError, match=r"neither JSON Lines nor a JSON array|not a JSON array") as refused:
            extract_file(tmp_path / name, output, PATTERN, **OPTIONS)
        assert name in str(refused.value)
    with pytest.raises(InputFileError, match="line 4 column 1"):
        list(read_prompts(tmp_path / "broken.json"))
    code = decode_main(["extract", "--input", str(tmp_path / "object.json"), "--output", str(output),
                        "--pattern", PATTERN, "--no-progress"])
    assert code == 2 and "neither JSON Lines nor a JSON array" in capsys.readouterr().err
    assert not output.exists() and loader.calls == []
