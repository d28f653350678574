"""Batch extraction: many prompts, one pattern or JSON schema, one result record per prompt.

    import decode
    for record in decode.extract(prompts, r"\\d{3}-\\d{4}", model=model, tokenizer=tokenizer, batch_size=16):
        record.id, record.output, record.matched, record.stop_reason, record.output_tokens

    summary = decode.extract_file("prompts.jsonl", "results.jsonl", schema=schema, batch_size=16)

`extract` takes an iterable of prompts (strings, whose ids are their 0-based positions, or
`(id, prompt)` pairs, or the `PromptLine` / `BadLine` items of `decode.jsonl_io.read_prompts`)
and yields an `ExtractionRecord` per prompt, batch by batch, as soon as each batch is done.
Exactly one of `pattern`, `schema` (a dict or JSON text) or `index` (a `TokenIndex` or the
path of an index file) says what the outputs must match; the index is resolved once (through
the in-memory memo and the file cache of `compile_index`) and used for every batch.

A record is "matched" (the output is a full match, ended on EOS), "incomplete" (cut off by
`max_new_tokens` or a stop criterion: never passed off as a match) or "failed" (the input
item could not be used: its line and the reason are in the record). With a schema, `value`
holds the parsed JSON of a matched output.

`extract_file` runs the same over a JSONL or text file into a JSONL file, with a progress bar,
resume (see `decode.jsonl_io`) and a summary; `engine="ray"` runs the generation on Ray Data
workers (`decode.ray_engine`).
"""
from __future__ import annotations

import json
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, Iterator, Optional, Union

from decode.extract_errors import ExtractionOptionsError
from decode.jsonl_io import BadLine, PromptLine, ResultFile, count_prompt_lines, id_key, read_prompts

__all__ = [
    "ExtractionRecord",
    "ExtractionTarget",
    "ExtractionSummary",
    "Extractor",
    "extract",
    "extract_file",
    "load_model",
    "resolve_target",
    "read_schema_file",
]

STATUS_MATCHED = "matched"
STATUS_INCOMPLETE = "incomplete"
STATUS_FAILED = "failed"
STOP_INPUT_ERROR = "input_error"
ENGINES = ("local", "ray")


@dataclass(frozen=True)
class ExtractionRecord:
    """The result of one prompt (or of one input item that could not be used).

    id: the prompt's id. output: the generated text (None when failed).
    matched: the output fully matches the pattern and generation ended on EOS.
    value: the parsed JSON of a matched output when a schema was given (else None).
    stop_reason: "eos", "max_new_tokens", "stop", or "input_error" for a failed item.
    prompt_tokens / output_tokens: token counts of the prompt and of the output (EOS excluded).
    line: the input line of a failed item; error: why it failed.
    """

    id: Union[str, int, None]
    output: Optional[str]
    matched: bool
    stop_reason: str
    prompt_tokens: int = 0
    output_tokens: int = 0
    value: Any = None
    has_value: bool = False
    line: Optional[int] = None
    error: Optional[str] = None

    @property
    def status(self) -> str:
        if self.error is not None:
            return STATUS_FAILED
        return STATUS_MATCHED if self.matched else STATUS_INCOMPLETE

    def to_json(self) -> dict:
        """The record as written to a result file (one JSON object)."""
        if self.error is not None:
            return {"id": self.id, "status": STATUS_FAILED, "line": self.line, "error": self.error}
        record = {"id": self.id, "status": self.status, "matched": self.matched, "output": self.output}
        if self.has_value:
            record["value"] = self.value
        record.update(
            stop_reason=self.stop_reason, prompt_tokens=self.prompt_tokens, output_tokens=self.output_tokens
        )
        return record

    @classmethod
    def failed(cls, item: BadLine) -> "ExtractionRecord":
        return cls(id=item.id, output=None, matched=False, stop_reason=STOP_INPUT_ERROR, line=item.line, error=item.error)


@dataclass(frozen=True)
class ExtractionTarget:
    """What outputs must match: the resolved `TokenIndex`, its pattern, and whether it came from a schema."""

    index: Any
    pattern: str
    is_schema: bool


def read_schema_file(path) -> dict:
    """The JSON schema in the file `path` (ExtractionOptionsError when missing or not JSON)."""
    path = Path(path)
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ExtractionOptionsError(f"schema file {path} does not exist") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        raise ExtractionOptionsError(f"schema file {path} is not JSON: {error}") from None


def resolve_target(model, tokenizer, *, pattern=None, schema=None, index=None) -> ExtractionTarget:
    """Exactly one of pattern / schema / index, as a `TokenIndex` for this model and tokenizer."""
    from automaton import TokenIndex, json_schema_to_regex, load_index

    from decode.generation import index_for, vocabulary_for

    given = [name for name, value in (("pattern", pattern), ("schema", schema), ("index", index)) if value is not None]
    if len(given) != 1:
        raise ExtractionOptionsError(
            f"give exactly one of pattern, schema or index (got {', '.join(given) if given else 'none'})"
        )
    if index is not None:
        if not isinstance(index, TokenIndex):
            path = Path(index)
            if not path.is_file():
                raise ExtractionOptionsError(f"index file {path} does not exist")
            index = load_index(path, vocabulary=vocabulary_for(model, tokenizer))
        return ExtractionTarget(index_for(model, tokenizer, index), index.pattern, is_schema=False)
    if schema is not None:
        pattern = json_schema_to_regex(schema)
    if not isinstance(pattern, str):
        pattern = getattr(pattern, "pattern", pattern)  # a compiled re / regex pattern
    if not isinstance(pattern, str):
        raise ExtractionOptionsError(f"pattern must be a string or a compiled pattern, got {type(pattern).__name__}")
    return ExtractionTarget(index_for(model, tokenizer, pattern), pattern, is_schema=schema is not None)


def load_model(spec=None, device=None):
    """(model, tokenizer) from a spec: None or "default" (the embedded SmolLM2) or a local model folder."""
    if spec is None or spec == "default":
        from decode.models import load_default

        return load_default(device=device)
    from transformers import AutoModelForCausalLM, AutoTokenizer

    folder = Path(spec)
    if not folder.is_dir():
        raise ExtractionOptionsError(f"--model {spec!r} is neither 'default' nor a local model folder")
    tokenizer = AutoTokenizer.from_pretrained(str(folder), local_files_only=True)
    tokenizer.padding_side = "left"
    if tokenizer.pad_token is None:
        tokenizer.pad_token = tokenizer.eos_token
    model = AutoModelForCausalLM.from_pretrained(str(folder), local_files_only=True)
    if device is not None:
        model = model.to(device)
    model.eval()
    return model, tokenizer


class Extractor:
    """A model, a tokenizer and a resolved target: turns batches of prompts into records."""

    def __init__(self, model, tokenizer, target: ExtractionTarget, *, max_new_tokens: int = 256,
                 jump_forward: Optional[bool] = None, **generate_kwargs):
        if max_new_tokens < 1:
            raise ExtractionOptionsError(f"max_new_tokens must be at least 1, got {max_new_tokens}")
        copies = generate_kwargs.get("num_return_sequences", 1)
        if copies not in (None, 1):
            raise ExtractionOptionsError(f"extraction writes one output per prompt: num_return_sequences must be 1, not {copies}")
        generate_kwargs.setdefault("do_sample", False)
        if jump_forward is not None:
            generate_kwargs["jump_forward"] = jump_forward
        self.model = model
        self.tokenizer = tokenizer
        self.target = target
        self.max_new_tokens = max_new_tokens
        self.generate_kwargs = generate_kwargs

    def run_batch(self, items: list[PromptLine]) -> list[ExtractionRecord]:
        """One `decode.generate` call over the prompts of `items`; records in the same order."""
        from decode import generation

        if not items:
            return []
        prompts = [item.prompt for item in items]
        results = generation.generate(
            self.model, self.tokenizer, prompts, self.target.index,
            max_new_tokens=self.max_new_tokens, batch_size=len(prompts), **self.generate_kwargs,
        )
        prompt_lengths = [len(ids) for ids in self.tokenizer(prompts)["input_ids"]]
        return [self._record(item, result, length) for item, result, length in zip(items, results, prompt_lengths)]

    def _record(self, item: PromptLine, result, prompt_tokens: int) -> ExtractionRecord:
        value = None
        if self.target.is_schema and result.matched:
            value = json.loads(result.text)
        return ExtractionRecord(
            id=item.id,
            output=result.text,
            matched=bool(result.matched),
            stop_reason=result.stop_reason,
            prompt_tokens=prompt_tokens,
            output_tokens=result.num_tokens,
            value=value,
            has_value=self.target.is_schema,
        )

    def records(self, items: Iterable, batch_size: int, skip_ids: Iterable = ()) -> Iterator[ExtractionRecord]:
        """Records of `items` (see `extract`), a batch of `batch_size` prompts at a time."""
        if batch_size < 1:
            raise ExtractionOptionsError(f"batch_size must be at least 1, got {batch_size}")
        skipped = {id_key(identifier) for identifier in skip_ids}
        pending: list[PromptLine] = []
        for position, item in enumerate(items):
            item = _as_item(position, item)
            if isinstance(item, BadLine):
                yield ExtractionRecord.failed(item)
                continue
            if id_key(item.id) in skipped:
                continue
            pending.append(item)
            if len(pending) == batch_size:
                yield from self.run_batch(pending)
                pending = []
        yield from self.run_batch(pending)


def _as_item(position: int, item) -> Union[PromptLine, BadLine]:
    if isinstance(item, (PromptLine, BadLine)):
        return item
    if isinstance(item, str):
        return PromptLine(position, position, item)
    if isinstance(item, tuple) and len(item) == 2 and isinstance(item[1], str):
        return PromptLine(position, item[0], item[1])
    raise TypeError(
        f"prompt {position} must be a string, an (id, prompt) pair or a PromptLine, got {type(item).__name__}"
    )


def extract(
    prompts: Iterable,
    pattern=None,
    *,
    schema=None,
    index=None,
    model=None,
    tokenizer=None,
    batch_size: int = 8,
    max_new_tokens: int = 256,
    skip_ids: Iterable = (),
    jump_forward: Optional[bool] = None,
    device=None,
    **generate_kwargs,
) -> Iterator[ExtractionRecord]:
    """Yield an `ExtractionRecord` per prompt whose output must match `pattern` (or `schema`, or `index`).

    model: a loaded transformers model (with `tokenizer`), or a spec for `load_model` (None or
        "default" for the embedded SmolLM2, or a local model folder).
    skip_ids: ids not to run again (those of an earlier run).
    jump_forward: passed to `decode.generate` when given.
    generate_kwargs: passed to `decode.generate` (greedy unless `do_sample=True`).
    """
    model, tokenizer = _model_and_tokenizer(model, tokenizer, device)
    target = resolve_target(model, tokenizer, pattern=pattern, schema=schema, index=index)
    extractor = Extractor(model, tokenizer, target, max_new_tokens=max_new_tokens, jump_forward=jump_forward, **generate_kwargs)
    yield from extractor.records(prompts, batch_size, skip_ids)


def _model_and_tokenizer(model, tokenizer, device):
    if model is None or isinstance(model, (str, Path)):
        if tokenizer is not None:
            raise ExtractionOptionsError("a tokenizer was given without its model")
        return load_model(None if model is None else str(model), device)
    if tokenizer is None:
        raise ExtractionOptionsError("a model object needs its tokenizer: pass tokenizer=...")
    return model, tokenizer


@dataclass
class ExtractionSummary:
    """Counts and throughput of one `extract_file` run (skipped = already in the output file)."""

    matched: int = 0
    incomplete: int = 0
    failed: int = 0
    skipped: int = 0
    output_tokens: int = 0
    seconds: float = 0.0
    dropped_bytes: int = 0
    engine: str = "local"
    by_stop_reason: dict = field(default_factory=dict)

    @property
    def generated(self) -> int:
        return self.matched + self.incomplete

    @property
    def prompts_per_second(self) -> float:
        return self.generated / self.seconds if self.seconds > 0 else 0.0

    @property
    def tokens_per_second(self) -> float:
        return self.output_tokens / self.seconds if self.seconds > 0 else 0.0

    def add(self, record: ExtractionRecord) -> None:
        status = record.status
        setattr(self, status, getattr(self, status) + 1)
        self.output_tokens += record.output_tokens
        self.by_stop_reason[record.stop_reason] = self.by_stop_reason.get(record.stop_reason, 0) + 1

    def add_json(self, record: dict) -> None:
        """Count a record given as its JSON object (as the Ray engine returns them)."""
        status = record.get("status", STATUS_FAILED)
        setattr(self, status, getattr(self, status) + 1)
        self.output_tokens += int(record.get("output_tokens", 0))
        reason = record.get("stop_reason", STOP_INPUT_ERROR)
        self.by_stop_reason[reason] = self.by_stop_reason.get(reason, 0) + 1

    def lines(self) -> list[str]:
        total = self.matched + self.incomplete + self.failed
        lines = [
            f"{total} written ({self.engine}): {self.matched} matched, {self.incomplete} incomplete, "
            f"{self.failed} failed; {self.skipped} already done before this run",
            f"{self.generated} prompts, {self.output_tokens} output tokens in {self.seconds:.1f} s: "
            f"{self.prompts_per_second:.2f} prompts/s, {self.tokens_per_second:.1f} tokens/s",
        ]
        if self.dropped_bytes:
            lines.append(f"dropped a cut-off last line ({self.dropped_bytes} bytes) left by an interrupted run")
        return lines


class _Progress:
    """A tqdm bar counting prompts (prompts/s) with tokens/s beside it; silent when disabled."""

    def __init__(self, enabled: bool, total: int, initial: int):
        self.bar = None
        self.tokens = 0
        self.started = time.perf_counter()
        if enabled:
            from tqdm import tqdm

            self.bar = tqdm(total=total, initial=initial, unit="prompt", dynamic_ncols=True, file=sys.stderr)

    def update(self, prompts: int, tokens: int) -> None:
        self.tokens += tokens
        if self.bar is not None:
            self.bar.update(prompts)
            elapsed = time.perf_counter() - self.started
            self.bar.set_postfix_str(f"{self.tokens / elapsed if elapsed > 0 else 0.0:.1f} tokens/s", refresh=False)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()


class FileRun:
    """The shared part of a file extraction, whatever the engine: resume, writing, counts, progress."""

    def __init__(self, input_path, output_path, *, field: str, id_field: str, input_format: str, progress: bool, engine: str):
        self.input_path = Path(input_path)
        if not self.input_path.is_file():
            raise ExtractionOptionsError(f"input file {self.input_path} does not exist")
        self.reading = dict(field=field, id_field=id_field, input_format=input_format)
        self.output = ResultFile.open(output_path)
        self.summary = ExtractionSummary(dropped_bytes=self.output.dropped_bytes, engine=engine)
        done = len(self.output.done_ids) + len(self.output.done_lines)
        total = count_prompt_lines(self.input_path)
        self.progress = _Progress(progress, total=max(total, done), initial=min(done, total))
        self.started = time.perf_counter()

    def items(self) -> Iterator[Union[PromptLine, BadLine]]:
        """Input items not done yet (those done are counted as skipped)."""
        for item in read_prompts(self.input_path, **self.reading):
            if self.output.is_done(item):
                self.summary.skipped += 1
                continue
            yield item

    def write(self, record: ExtractionRecord) -> None:
        self.output.write(record.to_json())
        self.summary.add(record)
        self.progress.update(1, record.output_tokens)

    def write_json_line(self, line: str) -> None:
        """Write a record already encoded as one JSON line (from a Ray worker)."""
        record = json.loads(line)
        self.output.write_line(line)
        self.summary.add_json(record)
        self.progress.update(1, int(record.get("output_tokens", 0)))

    def close(self) -> ExtractionSummary:
        self.summary.seconds = time.perf_counter() - self.started
        self.progress.close()
        self.output.close()
        return self.summary


def extract_file(
    input_path,
    output_path,
    pattern=None,
    *,
    schema=None,
    index=None,
    model=None,
    tokenizer=None,
    device=None,
    batch_size: int = 8,
    max_new_tokens: int = 256,
    field: str = "prompt",
    id_field: str = "id",
    input_format: str = "auto",
    engine: str = "local",
    workers: int = 2,
    ray_address: Optional[str] = None,
    progress: bool = True,
    jump_forward: Optional[bool] = None,
    **generate_kwargs,
) -> ExtractionSummary:
    """Extract every prompt of `input_path` into `output_path` (JSONL), resuming an earlier run.

    Each result line is flushed as written; a rerun with the same output skips the ids (and
    bad input lines) already there. Bad input lines become records with their line number and
    the run goes on. `engine="ray"` runs generation on `workers` Ray Data actors (then `model`
    must be a spec, "default" or a folder, that every worker loads itself).
    """
    if engine not in ENGINES:
        raise ExtractionOptionsError(f"engine must be one of {', '.join(ENGINES)}, not {engine!r}")
    if batch_size < 1:
        raise ExtractionOptionsError(f"batch_size must be at least 1, got {batch_size}")
    if engine == "ray":
        from decode.ray_engine import extract_file_with_ray

        return extract_file_with_ray(
            input_path, output_path, pattern=pattern, schema=schema, index=index, model=model, device=device,
            batch_size=batch_size, max_new_tokens=max_new_tokens, field=field, id_field=id_field,
            input_format=input_format, workers=workers, address=ray_address, progress=progress,
            jump_forward=jump_forward, **generate_kwargs,
        )
    model, tokenizer = _model_and_tokenizer(model, tokenizer, device)
    target = resolve_target(model, tokenizer, pattern=pattern, schema=schema, index=index)
    extractor = Extractor(model, tokenizer, target, max_new_tokens=max_new_tokens, jump_forward=jump_forward, **generate_kwargs)
    run = FileRun(input_path, output_path, field=field, id_field=id_field, input_format=input_format,
                  progress=progress, engine="local")
    try:
        for record in extractor.records(run.items(), batch_size):
            run.write(record)
    finally:
        summary = run.close()
    return summary
