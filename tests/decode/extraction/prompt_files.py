"""Prompt files and result checks shared by the extraction tests.

Oracles: Python's `re.fullmatch` on every matched output and the tokenizer's own encode for
prompt token counts (`check_records`).
"""
from __future__ import annotations

import json
import re
from pathlib import Path

REPO = Path(__file__).resolve().parents[3]
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
