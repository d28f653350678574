"""`extract_file` (`decode.extraction.run`): 50 prompts, a crash part way, resume, summary.

Oracles: `re.fullmatch` on matched outputs and the tokenizer's own encode for token counts
(`check_records`), `decode.generate` on the same batches for the pairing of ids and outputs, and
the bytes of the output file before and after a resume.
"""
from __future__ import annotations

import pytest

import decode
from decode import generation
from decode.extraction import extract_file
from tests.decode.extraction.prompt_files import BAD_LINE, BATCH, MAX_NEW_TOKENS, PATTERN, check_records, read_records


def test_extract_fifty_prompts(fifty, smollm2_model):
    model, tokenizer = smollm2_model
    _, prompts, output, summary = fifty
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
                     max_new_tokens=MAX_NEW_TOKENS, progress=False, chat_template=False)
    monkeypatch.setattr(generation, "generate", real_generate)
    before = output.read_bytes()
    # two batches, and the bad line 21, read (and reported) while the third batch was filling
    assert [r["status"] == "failed" for r in read_records(output)] == [False] * 2 * BATCH + [True]
    cut_off = b'{"id": "p16", "status": "mat'  # what a crash in the middle of a write leaves
    output.write_bytes(before + cut_off)

    summary = extract_file(source, output, PATTERN, model=model, tokenizer=tokenizer, batch_size=BATCH,
                           max_new_tokens=MAX_NEW_TOKENS, progress=False, chat_template=False)
    after = output.read_bytes()
    assert after.startswith(before), "the lines of the first run changed"
    assert summary.dropped_bytes == len(cut_off) and summary.skipped == 2 * BATCH + 1
    records = read_records(output)
    check_records(records, prompts, tokenizer)
    assert [r["line"] for r in records if r["status"] == "failed"] == [BAD_LINE]
    # a third run finds everything done and writes nothing
    again = extract_file(source, output, PATTERN, model=model, tokenizer=tokenizer, batch_size=BATCH,
                         max_new_tokens=MAX_NEW_TOKENS, progress=False, chat_template=False)
    assert output.read_bytes() == after
    assert (again.skipped, again.matched + again.incomplete + again.failed) == (51, 0)
