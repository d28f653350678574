"""`python -m decode extract` (`decode.extraction.command`): killed and resumed, and on a text file.

Oracles: `check_records` (re.fullmatch, the tokenizer's encode), the bytes written before the
kill, and the summary the command prints.
"""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

from decode.__main__ import main as decode_main
from decode.extraction import extract_file
from tests.decode.extraction.prompt_files import (
    BAD_LINE,
    MAX_NEW_TOKENS,
    PATTERN,
    REPO,
    check_records,
    question,
    read_records,
)


def test_command_killed_part_way_then_resumed(fifty, smollm2_model, tmp_path):
    """`python -m decode extract` killed with SIGKILL after a few lines; the rerun completes the file."""
    model, tokenizer = smollm2_model
    source, prompts, _, _ = fifty
    output = tmp_path / "results.jsonl"
    command = [sys.executable, "-m", "decode", "extract", "--input", str(source), "--output", str(output),
               "--pattern", PATTERN, "--max-new-tokens", str(MAX_NEW_TOKENS), "--batch-size", "4", "--no-progress",
               "--no-chat-template"]
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
                 max_new_tokens=MAX_NEW_TOKENS, progress=False, chat_template=False)
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
                 "--max-new-tokens", str(MAX_NEW_TOKENS), "--batch-size", "2", "--no-progress", "--no-chat-template"]
    assert decode_main(arguments) == 0
    printed = capsys.readouterr().out
    records = read_records(output)
    check_records(records, [(i + 1, q) for i, q in enumerate(questions)], smollm2_model[1])
    matched = sum(r["matched"] for r in records)
    assert f"3 written (local): {matched} matched, {3 - matched} incomplete, 0 failed" in printed
    assert "prompts/s" in printed and "tokens/s" in printed
    assert decode_main(arguments) == 0
    assert "0 written (local)" in capsys.readouterr().out and len(read_records(output)) == 3
