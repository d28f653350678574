"""Errors of `extract_file` / `python -m decode extract` come before the model loads, and a run with
nothing to do never loads it.

Oracle: a stand-in model loader that records every call (and fails the test when called), the
error classes and messages of `automaton` and `decode`, and the output file's bytes.
"""
from __future__ import annotations

import json
import shutil

import pytest

import decode
from automaton import IndexFileError, RegexSyntaxError, TooManyStatesError, UnsupportedRegexError
from decode import ExtractionOptionsError
from decode.__main__ import main as decode_main
from decode.extraction import extract_file
from decode.extraction.settings import run_record_path
from tests.decode.extraction.loader import RecordingLoader
from tests.decode.extraction.prompt_files import MAX_NEW_TOKENS, PATTERN, question


def test_errors_surface_before_the_model_loads(tmp_path, monkeypatch, capsys):
    loader = RecordingLoader(monkeypatch)
    source, output = tmp_path / "prompts.jsonl", tmp_path / "out" / "results.jsonl"
    source.write_text(json.dumps({"id": 1, "prompt": question(0)}) + "\n", encoding="utf-8")
    output.parent.mkdir()
    schema_file = tmp_path / "schema.json"
    schema_file.write_text('{"type": "object", "properties": ', encoding="utf-8")
    not_an_index = tmp_path / "x.index"
    not_an_index.write_bytes(b"not an index file")
    cases = [
        (dict(pattern="ab(c|d"), RegexSyntaxError, "missing \\)"),
        (dict(pattern=r"(a)\1"), UnsupportedRegexError, "backreference"),
        (dict(pattern="[ab]*a[ab]{20}", max_states=500), TooManyStatesError, "500"),
        (dict(schema={"type": "object", "properties": {"a": {"type": "wrong"}}}), Exception, "wrong"),
        (dict(index=tmp_path / "missing.index"), ExtractionOptionsError, "does not exist"),
        (dict(index=not_an_index), IndexFileError, "not an index file"),
        (dict(pattern=PATTERN, batch_size=0), ExtractionOptionsError, "batch_size must be at least 1"),
        (dict(pattern=PATTERN, max_new_tokens=0), ExtractionOptionsError, "max_new_tokens must be at least 1"),
        (dict(pattern=PATTERN, temperature=-1.0), ExtractionOptionsError, "temperature"),
        (dict(pattern=PATTERN, top_p=1.5), ExtractionOptionsError, "top_p"),
        (dict(pattern=PATTERN, chat_template="yes"), ExtractionOptionsError, "chat_template"),
        (dict(pattern=PATTERN, keep_fields="topic,status"), ExtractionOptionsError, "cannot copy 'status'"),
        (dict(pattern=PATTERN, max_states=1), ExtractionOptionsError, "max_states"),
    ]
    for options, error, words in cases:
        with pytest.raises(error, match=words):
            extract_file(source, output, progress=False, **options)
    for wrong_output, words in ((tmp_path / "missing" / "r.jsonl", "does not exist"),
                                (tmp_path / "out", "is a folder"), (source, "is the input file")):
        with pytest.raises(ExtractionOptionsError, match=words):
            extract_file(source, wrong_output, PATTERN, progress=False)
    text_input = tmp_path / "prompts.txt"
    text_input.write_text("a prompt\n", encoding="utf-8")
    with pytest.raises(ExtractionOptionsError, match="keep_fields needs JSON input"):
        extract_file(text_input, output, PATTERN, keep_fields=["topic"], progress=False)
    # the command: exit status 2, the message on stderr
    base = ["extract", "--input", str(source), "--output", str(output), "--no-progress"]
    for extra, words in ((["--pattern", "ab(c|d"], "missing )"), (["--schema", str(schema_file)], "not JSON"),
                         (["--pattern", PATTERN, "--top-p", "0"], "top_p"),
                         (["--pattern", "[ab]*a[ab]{20}", "--max-states", "300"], "300")):
        assert decode_main(base + extra) == 2
        assert words in capsys.readouterr().err
    # decode.extract with a model to load (a spec): the target first too
    with pytest.raises(RegexSyntaxError):
        next(decode.extract(["x"], "ab(c|d", model="default"))
    assert loader.calls == [] and list(output.parent.iterdir()) == []


def test_empty_input_and_finished_resume_do_not_load_the_model(fifty, tmp_path, monkeypatch):
    loader = RecordingLoader(monkeypatch)
    for name, text in (("empty.jsonl", ""), ("blank.txt", "\n  \n"), ("empty.json", "[]")):
        (tmp_path / name).write_text(text, encoding="utf-8")
        summary = extract_file(tmp_path / name, tmp_path / f"{name}.out", PATTERN, progress=False)
        assert (summary.matched, summary.incomplete, summary.failed, summary.skipped) == (0, 0, 0, 0)
        assert not (tmp_path / f"{name}.out").exists()
    # a finished run (the fifty fixture's, made with the embedded model's objects), resumed by spec
    source, _, finished, _ = fifty
    output = tmp_path / "results.jsonl"
    shutil.copy(finished, output)
    shutil.copy(run_record_path(finished), run_record_path(output))
    before = output.read_bytes()
    summary = extract_file(source, output, PATTERN, model="default", max_new_tokens=MAX_NEW_TOKENS, batch_size=8,
                           progress=False, chat_template=False)
    assert (summary.skipped, summary.generated, summary.failed, summary.failed_earlier) == (51, 0, 0, 1)
    assert summary.exit_status == 1  # the fixture's bad line 21 is a failed record in the output
    assert output.read_bytes() == before and loader.calls == []
