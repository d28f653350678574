"""Batch extraction: many prompts, one pattern or JSON schema, one result record per prompt.

    for record in decode.extract(prompts, pattern, model=model, tokenizer=tokenizer, batch_size=16): ...
    summary = decode.extract_file("prompts.jsonl", "results.jsonl", schema=schema, engine="local")

Takes prompts (an iterable, or a JSONL / text file) and one target; gives records (or a JSONL
result file and its summary). One job per module, imported one way only:

    core     records, targets (`resolve_target`), `Extractor` (batches -> `decode.generate` -> records), `extract`
    files    prompt files in (`read_prompts`: JSON Lines, JSON arrays, text), result files out (`ResultFile`)
    settings what produced a result file (`<output>.run.json`, checked on resume) and the path checks
    run      `extract_file`: checks first, `FileRun` (resume, progress, summary) and the local engine
    ray      the Ray Data engine (imported by `run` only when asked for; Ray itself only then)
    vllm     the vLLM engine (`decode.vllm.AutomatonLogitsProcessor`; imported by `run` only when asked for)
    command  the argparse of `python -m decode extract`

This module only re-exports the public names of `core`, `files` and `run`.
"""
from __future__ import annotations

from decode.extraction.core import (
    ExtractionRecord,
    ExtractionTarget,
    Extractor,
    extract,
    load_model,
    read_schema_file,
    resolve_target,
)
from decode.extraction.files import BadLine, PromptLine, ResultFile, read_prompts
from decode.extraction.run import ExtractionSummary, FileRun, extract_file

__all__ = [
    "ExtractionRecord",
    "ExtractionTarget",
    "Extractor",
    "extract",
    "load_model",
    "read_schema_file",
    "resolve_target",
    "BadLine",
    "PromptLine",
    "ResultFile",
    "read_prompts",
    "ExtractionSummary",
    "FileRun",
    "extract_file",
]
