"""Prompt files in, result files out (`decode.extraction.files`), without a model.

Oracles: hand-written input lines with known defects, and the bytes of a result file before and
after recovery.
"""
from __future__ import annotations

import json

import pytest

from decode import ResultFileError
from decode.extraction.files import BadLine, PromptLine, ResultFile, read_prompts


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
