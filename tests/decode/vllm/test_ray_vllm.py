"""`extract_file(engine="ray", ray_backend="vllm")`: one Ray actor holding a vLLM engine with the
processor, on lines that carry their own pattern or schema, gives the vLLM engine's records and
resumes like it.

Oracles: Python's `re.fullmatch` and `jsonschema` for outputs (`check_row_records`), the
tokenizer's own chat template and encode for prompt token counts, the fields of
`ExtractionRecord.to_json` for record fields, the input file for what a resumed run skips.
The actor starts its own vLLM engine (about a minute here); it runs twice (first run, resume)."""
from __future__ import annotations

import json

import pytest
from transformers import AutoTokenizer

import decode
from tests.decode.extraction.row_targets import LINES, check_row_records

ray = pytest.importorskip("ray", reason="Ray (ray[data]) is not installed in this environment")

# The engine fixture's settings (conftest), for the actor's vllm.LLM.
VLLM_OPTIONS = dict(max_model_len=1024, max_num_seqs=8, dtype="float32", enforce_eager=True, seed=0)
MAX_NEW_TOKENS = 24
FIRST = 3  # lines of the first run; the resumed run adds the rest


@pytest.fixture(scope="module")
def local_ray():
    """A small local Ray instance (the actors get the VLLM_* variables conftest sets, through the engine)."""
    started = not ray.is_initialized()
    if started:
        ray.init(num_cpus=2, include_dashboard=False)
    yield ray
    if started:
        ray.shutdown()


def _run(source, target):
    return decode.extract_file(source, target, pattern_field="pattern", schema_field="schema", keep_fields="topic",
                               engine="ray", ray_backend="vllm", workers=1, batch_size=4,
                               max_new_tokens=MAX_NEW_TOKENS, vllm_options=VLLM_OPTIONS, progress=False)


def _write(path, lines) -> None:
    path.write_text("".join(json.dumps(line) + "\n" for line in lines), encoding="utf-8")


def _records(path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def test_ray_actors_run_vllm_and_resume(local_ray, model_folder, tmp_path):
    source, target = tmp_path / "in.jsonl", tmp_path / "out.jsonl"
    _write(source, LINES[:FIRST])
    first = _run(source, target)
    assert (first.matched, first.failed, first.skipped) == (FIRST, 0, 0)
    assert first.engine == "ray, 1 workers, vllm"
    done = target.read_text(encoding="utf-8")

    _write(source, LINES)  # more lines: the resumed run skips the first ones
    resumed = _run(source, target)
    assert resumed.skipped == FIRST and resumed.matched + resumed.failed == len(LINES) - FIRST
    assert target.read_text(encoding="utf-8").startswith(done)
    records = _records(target)
    check_row_records(records)  # each output fully matches its own pattern / validates against its schema

    tokenizer = AutoTokenizer.from_pretrained(str(model_folder))
    by_id = {line["id"]: line for line in LINES}
    for record in records:
        if record["status"] == "failed":
            assert set(record) == {"id", "status", "line", "error", "topic"}
            continue
        expected = {"id", "status", "matched", "output", "stop_reason", "prompt_tokens", "output_tokens", "topic"}
        assert set(record) == expected | ({"value"} if "schema" in by_id[record["id"]] else set())
        assert record["stop_reason"] == "eos" and 0 < record["output_tokens"] <= MAX_NEW_TOKENS
        text = tokenizer.apply_chat_template([{"role": "user", "content": by_id[record["id"]]["prompt"]}],
                                             add_generation_prompt=True, tokenize=False)
        assert record["prompt_tokens"] == len(tokenizer(text, add_special_tokens=False)["input_ids"])
