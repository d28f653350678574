"""The Ray Data engine (`decode.extraction.ray`): 20 prompts on a local Ray instance with 2 workers
give the single-process results.

Oracles: the local engine's result lines for the same input (greedy, one prompt a batch on both
sides, so every row is computed alike), and the bytes of an output file resumed by Ray.
"""
from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys

import pytest

from decode import ExtractionOptionsError
from decode.extraction import extract_file
from decode.extraction.settings import run_record_path
from tests.decode.extraction.prompt_files import MAX_NEW_TOKENS, PATTERN, REPO, read_records, write_prompt_file

ray = pytest.importorskip("ray", reason="the ray extra (ray[data]) is not installed")

WORKERS = 2
BAD_LINE = 8


@pytest.fixture(scope="module")
def local_ray():
    """A local Ray instance with one CPU per worker, shut down after the module."""
    started = not ray.is_initialized()
    if started:
        ray.init(num_cpus=WORKERS, include_dashboard=False)
    yield ray
    if started:
        ray.shutdown()


def test_ray_gives_the_single_process_results_and_resumes_like_it(smollm2_model, tmp_path, local_ray):
    model, tokenizer = smollm2_model
    source = tmp_path / "prompts.jsonl"
    prompts = write_prompt_file(source, 20, bad_line=BAD_LINE)
    options = dict(batch_size=1, max_new_tokens=MAX_NEW_TOKENS, progress=False)

    local_output = tmp_path / "local.jsonl"
    extract_file(source, local_output, PATTERN, model=model, tokenizer=tokenizer, **options)
    local = read_records(local_output)

    # The Ray run resumes a file that a crashed run left with 5 lines and half of a sixth.
    ray_output = tmp_path / "ray.jsonl"
    first_lines = "".join(json.dumps(record, ensure_ascii=False) + "\n" for record in local[:5]).encode()
    ray_output.write_bytes(first_lines + b'{"id": "p5", "sta')
    shutil.copy(run_record_path(local_output), run_record_path(ray_output))  # the crashed run wrote its run record
    summary = extract_file(source, ray_output, PATTERN, model="default", engine="ray", workers=WORKERS, **options)
    assert ray_output.read_bytes().startswith(first_lines)
    assert summary.skipped == 5 and summary.dropped_bytes == len('{"id": "p5", "sta')

    by_key = lambda records: {(r["id"], r.get("line")): r for r in records}
    from_ray = read_records(ray_output)
    assert len(from_ray) == len(local) == 21
    assert by_key(from_ray) == by_key(local)
    assert [r["line"] for r in from_ray if r["status"] == "failed"] == [BAD_LINE]
    assert {r["id"] for r in from_ray if r["status"] != "failed"} == {identifier for identifier, _ in prompts}
    for record in from_ray:
        if record.get("matched"):
            assert re.fullmatch(PATTERN, record["output"])


def test_ray_needs_a_model_every_worker_can_load(smollm2_model, tmp_path):
    model, tokenizer = smollm2_model
    source = tmp_path / "prompts.txt"
    source.write_text("a prompt\n", encoding="utf-8")
    with pytest.raises(ExtractionOptionsError, match="every worker loads it itself"):
        extract_file(source, tmp_path / "out.jsonl", PATTERN, model=model, tokenizer=tokenizer, engine="ray")


def test_ray_is_imported_only_when_asked_for():
    code = (
        "import sys, decode, decode.extraction, decode.extraction.command, decode.extraction.run, decode.__main__\n"
        "decode.extract, decode.extract_file\n"
        "assert 'ray' not in sys.modules, sorted(m for m in sys.modules if m.startswith('ray'))\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, cwd=REPO)


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"ray_backend": "vllm"}, "option of engine='ray'"),
        ({"engine": "ray", "ray_backend": "gpu"}, "must be 'local' or 'vllm'"),
        ({"engine": "ray", "vllm_options": {"dtype": "float32"}}, "vllm_options are for"),
        ({"engine": "ray", "ray_backend": "vllm", "stop_when_matched": True}, "not available on the vLLM engine"),
        ({"engine": "ray", "ray_backend": "vllm", "jump_forward": True}, "not available on the vLLM engine"),
        ({"engine": "ray", "ray_backend": "vllm", "model": "no-such-folder"}, "'default' or a local model folder"),
    ],
)
def test_ray_vllm_backend_options_are_checked(tmp_path, options, message):
    """The vLLM backend itself runs in the vLLM environment (tests/decode/vllm/test_ray_vllm.py)."""
    source = tmp_path / "prompts.txt"
    source.write_text("a prompt\n", encoding="utf-8")
    with pytest.raises(ExtractionOptionsError, match=message):
        extract_file(source, tmp_path / "out.jsonl", PATTERN, progress=False, **options)
