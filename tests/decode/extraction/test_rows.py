"""`extract_file(pattern_field=..., schema_field=...)` on the local engine: each line keeps to its own
target, in shared batches; lines whose target is unusable fail alone; the options are checked."""
from __future__ import annotations

import json

import pytest

from decode.errors import ExtractionOptionsError
from decode.extraction import extract_file
from tests.decode.extraction.row_targets import check_row_records, write_lines


def test_each_line_keeps_to_its_own_target(smollm2_model, tmp_path):
    model, tokenizer = smollm2_model
    source, output = tmp_path / "in.jsonl", tmp_path / "out.jsonl"
    write_lines(source)
    summary = extract_file(source, output, pattern_field="pattern", schema_field="schema", keep_fields="topic",
                           model=model, tokenizer=tokenizer, batch_size=4, max_new_tokens=24, progress=False)
    records = [json.loads(line) for line in output.read_text(encoding="utf-8").splitlines()]
    check_row_records(records)
    assert (summary.matched, summary.failed) == (4, 3)
    again = extract_file(source, output, pattern_field="pattern", schema_field="schema", keep_fields="topic",
                         model=model, tokenizer=tokenizer, batch_size=4, max_new_tokens=24, progress=False)
    assert (again.skipped, again.failed_earlier, again.matched) == (4, 3, 0)  # resumed: nothing left to do


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"pattern": "a", "pattern_field": "p"}, "not both"),
        ({"pattern_field": "p", "engine": "ray"}, "not on ray"),
        ({"pattern_field": "p", "schema_field": "p"}, "both 'p'"),
    ],
)
def test_row_target_options_are_checked(tmp_path, options, message):
    source = tmp_path / "in.jsonl"
    write_lines(source)
    with pytest.raises(ExtractionOptionsError, match=message):
        extract_file(source, tmp_path / "out.jsonl", progress=False, **options)


def test_row_targets_need_json_input(tmp_path):
    source = tmp_path / "in.txt"
    source.write_text("a prompt\n", encoding="utf-8")
    with pytest.raises(ExtractionOptionsError, match="JSON input"):
        extract_file(source, tmp_path / "out.jsonl", pattern_field="pattern", progress=False)
