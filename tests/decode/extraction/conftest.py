"""Fixtures of the extraction tests: 50 prompts (and a malformed line) extracted once per test package."""
from __future__ import annotations

import pytest

from decode.extraction import extract_file
from tests.decode.extraction.prompt_files import BAD_LINE, BATCH, MAX_NEW_TOKENS, PATTERN, write_prompt_file


@pytest.fixture(scope="package")
def fifty(tmp_path_factory, smollm2_model):
    """50 prompts plus one malformed line, extracted once without interruption."""
    model, tokenizer = smollm2_model
    folder = tmp_path_factory.mktemp("fifty")
    source = folder / "prompts.jsonl"
    prompts = write_prompt_file(source, 50, bad_line=BAD_LINE)
    output = folder / "results.jsonl"
    summary = extract_file(source, output, PATTERN, model=model, tokenizer=tokenizer, batch_size=BATCH,
                           max_new_tokens=MAX_NEW_TOKENS, progress=False, chat_template=False)
    return source, prompts, output, summary
