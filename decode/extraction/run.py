"""Batch extraction over files: `extract_file` with resume, progress and a summary, on the local, Ray or vLLM engine.

    summary = decode.extract_file("prompts.jsonl", "results.jsonl", schema=schema, batch_size=16)
    print("\n".join(summary.lines()))

Takes an input file of prompts (JSON Lines or text, read by `decode.extraction.files`), an
output path and one target (pattern, schema or index); gives an `ExtractionSummary` after
writing one JSON result line per prompt. `FileRun` is what every engine shares: it opens the
result file (dropping a cut-off last line, listing the ids already done), yields the input
items not done yet, writes each record as it comes (flushed), counts, and draws the progress
bar. The local engine (`LocalEngine`, here) turns batches of items into records with an
`Extractor`; `engine="ray"` hands the same `FileRun` to `decode.extraction.ray.RayEngine`,
imported only then (the Ray module never imports this one); its workers run the local engine's
`Extractor` or, with `ray_backend="vllm"`, a vLLM engine each (`decode.extraction.ray.VllmWorker`).

Order of work (`extract_file`): the options, the target (its DFA compiled, or its index file
checked), the input (its format) and the output path (not the input, a writable folder, a run
record that agrees: `decode.extraction.settings`) are checked first, without the model; then
the prompts left to do are counted (read only): none (an empty input, a finished run) ends the
run there, without loading the model; else the engine loads the model and compiles the index,
the run record is written (fresh outputs), and the output file is opened.
"""
from __future__ import annotations

import json
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from decode.errors import ExtractionOptionsError
from decode.extraction.core import (
    CHAT_TEMPLATE_CHOICES,
    RECORD_FIELDS,
    STATUS_FAILED,
    STOP_INPUT_ERROR,
    ExtractionRecord,
    Extractor,
    check_target,
    model_and_tokenizer,
    model_identity,
    resolve_target,
    sampling_options,
)
from decode.extraction.files import BadLine, PromptLine, ResultFile, id_key, input_format_of, read_prompts
from decode.extraction.settings import check_paths, check_resume, has_results, write_run_record

__all__ = ["ExtractionSummary", "FileRun", "LocalEngine", "extract_file", "ENGINES"]

ENGINES = ("local", "ray", "vllm")


@dataclass
class ExtractionSummary:
    """Counts and throughput of one `extract_file` run (skipped = already in the output file).

    failed_earlier: failed records an earlier run left in the output (skipped now, still there).
    exit_status: 0 when the output holds no failed record, 1 when it holds any (this run's or earlier).
    """

    matched: int = 0
    incomplete: int = 0
    failed: int = 0
    skipped: int = 0
    output_tokens: int = 0
    seconds: float = 0.0
    dropped_bytes: int = 0
    engine: str = "local"
    by_stop_reason: dict = field(default_factory=dict)
    failed_earlier: int = 0

    @property
    def exit_status(self) -> int:
        return 1 if self.failed + self.failed_earlier else 0

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
        if self.exit_status:
            earlier = f" ({self.failed_earlier} from earlier runs)" if self.failed_earlier else ""
            lines.append(f"{self.failed + self.failed_earlier} failed lines in the output{earlier}: "
                         'see their "error"; exit status 1')
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
    """The shared part of a file extraction, whatever the engine: resume, writing, counts, progress.

    An engine reads `items()` (input items not done yet) and hands back records with `write`
    (an `ExtractionRecord`) or `write_json_line` (a record already encoded by a Ray worker).
    """

    def __init__(self, input_path, output_path, *, field: str, id_field: str, input_format: str, progress: bool,
                 engine: str, keep_fields=(), total: int | None = None):
        self.input_path = Path(input_path)
        if not self.input_path.is_file():
            raise ExtractionOptionsError(f"input file {self.input_path} does not exist")
        self.reading = dict(field=field, id_field=id_field, input_format=input_format, keep_fields=tuple(keep_fields))
        self.output = ResultFile.open(output_path)
        self.summary = ExtractionSummary(dropped_bytes=self.output.dropped_bytes, engine=engine,
                                         failed_earlier=len(self.output.done_lines))
        done = len(self.output.done_ids) + len(self.output.done_lines)
        if total is None:
            total = sum(1 for _ in read_prompts(self.input_path, **self.reading))
        self.progress = _Progress(progress, total=max(total, done), initial=min(done, total))
        self.started = time.perf_counter()

    def items(self) -> Iterator[PromptLine | BadLine]:
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


class LocalEngine:
    """Generation in this process: loads (or takes) the model, resolves the target, runs batches in order."""

    label = "local"

    def __init__(self, model, tokenizer, device, target: dict, *, batch_size: int, max_new_tokens: int,
                 jump_forward: bool | None, generate_kwargs: dict, rows=None):
        model, tokenizer = model_and_tokenizer(model, tokenizer, device)
        self.extractor = Extractor(
            model, tokenizer, resolve_target(model, tokenizer, **target) if rows is None else None,
            max_new_tokens=max_new_tokens, jump_forward=jump_forward, **generate_kwargs,
        )
        self.rows = None
        if rows is not None:
            from decode.extraction.rows import RowExtractor

            self.rows = RowExtractor(self.extractor, rows, target.get("max_states"))
        self.batch_size = batch_size
        self.chat_template_applied = self.extractor.chat_template_applied

    def run(self, file_run: FileRun) -> None:
        source = self.rows or self.extractor
        for record in source.records(file_run.items(), self.batch_size):
            file_run.write(record)

    def close(self) -> None:
        pass


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
    ray_address: str | None = None,
    ray_backend: str = "local",
    vllm_options: dict | None = None,
    progress: bool = True,
    jump_forward: bool | None = None,
    temperature: float | None = None,
    top_p: float | None = None,
    seed: int | None = None,
    stop_when_matched: bool = False,
    chat_template="auto",
    max_states: int | None = None,
    keep_fields=(),
    layout: str | int = "spaced",
    pattern_field: str | None = None,
    schema_field: str | None = None,
    **generate_kwargs,
) -> ExtractionSummary:
    """Extract every prompt of `input_path` into `output_path` (JSONL), resuming an earlier run.

    Each result line is flushed as written; a rerun with the same output and settings skips the
    ids (and bad input lines) already there; other settings are refused (`ResumeMismatchError`,
    see `decode.extraction.settings`). Bad input lines and empty prompts become failed records
    with their line number and the run goes on. `engine="ray"` runs generation on `workers` Ray
    Data actors (then `model` must be a spec, "default" or a folder, that every worker loads
    itself); `ray_backend="vllm"` makes each worker a vLLM engine instead (one GPU each where the
    cluster has GPUs; `decode.extraction.ray.VllmWorker`). `engine="vllm"` runs every prompt through one
    vLLM engine with `decode.vllm.AutomatonLogitsProcessor` (`model`: a spec, or a `vllm.LLM` made
    with that processor; see `decode.extraction.vllm`). vllm_options: keyword arguments of the
    `vllm.LLM` that the vLLM engine, or each Ray vLLM worker, starts (dtype, max_model_len...).
    Options, target, input and output are checked before the model is loaded, and the model is
    not loaded at all when nothing is left to do (module docstring).
    keep_fields: input fields copied into each record. temperature, top_p, seed,
    stop_when_matched, chat_template ("auto": the tokenizer's chat template when it has one),
    max_states: see `decode.extraction.core`. layout: with a schema, "spaced" (the default),
    "compact" or an indent (part of the run's settings). pattern_field / schema_field: instead of
    one target, each input line's own pattern or schema in that field (`decode.extraction.rows`;
    local and vllm engines, and Ray with ray_backend="vllm").
    """
    if engine not in ENGINES:
        raise ExtractionOptionsError(f"engine must be one of {', '.join(ENGINES)}, not {engine!r}")
    for name, value in (("batch_size", batch_size), ("max_new_tokens", max_new_tokens), ("workers", workers)):
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise ExtractionOptionsError(f"{name} must be at least 1, got {value!r}")
    _check_backend(engine, ray_backend, vllm_options)
    chat_template = "auto" if chat_template is None else chat_template
    if chat_template not in CHAT_TEMPLATE_CHOICES:
        raise ExtractionOptionsError(f"chat_template must be 'auto', True or False, not {chat_template!r}")
    keep_fields = _checked_keep_fields(keep_fields)
    generate_kwargs = {**sampling_options(temperature, top_p, seed, stop_when_matched), **generate_kwargs}
    rows = None
    if pattern_field is not None or schema_field is not None:
        if pattern is not None or schema is not None or index is not None:
            raise ExtractionOptionsError("give either one target (pattern, schema or index) or pattern_field / "
                                         "schema_field, not both")
        if engine == "ray" and ray_backend != "vllm":
            raise ExtractionOptionsError("a target per line (pattern_field / schema_field) runs on the local and "
                                         "vllm engines and on ray with ray_backend='vllm', not on ray's local "
                                         "backend")
        from decode.extraction.rows import RowTargets

        rows = RowTargets(pattern_field, schema_field, layout, keep_fields)
        described = rows.describe()
    else:
        described = check_target(pattern=pattern, schema=schema, index=index, max_states=max_states, layout=layout)
    check_paths(input_path, output_path)
    kind = input_format_of(input_path, input_format)
    if keep_fields and kind == "text":
        raise ExtractionOptionsError("keep_fields needs JSON input (JSON Lines or a JSON array), not plain text")
    if rows is not None and kind == "text":
        raise ExtractionOptionsError("pattern_field / schema_field need JSON input (JSON Lines or a JSON array), "
                                     "not plain text")
    settings = {
        "target": described, "model": model_identity(model), "max_new_tokens": max_new_tokens,
        "chat_template": chat_template, "field": field, "id_field": id_field, "input_format": kind,
        "keep_fields": list(keep_fields),
        "generation": {"do_sample": False, "stop_when_matched": False, **generate_kwargs},
    }
    check_resume(output_path, settings)
    reading = dict(field=field, id_field=id_field, input_format=kind,
                   keep_fields=rows.read_fields if rows is not None else keep_fields)
    total, pending, failed_earlier = _count_work(input_path, output_path, reading)
    if not pending:  # an empty input or a finished run: no model to load
        return ExtractionSummary(skipped=total, failed_earlier=failed_earlier, engine=engine)

    target = {"pattern": pattern, "schema": schema, "index": index}
    if max_states is not None:
        target["max_states"] = max_states
    if schema is not None:
        target["layout"] = layout
    generate_kwargs["chat_template"] = chat_template
    if engine == "vllm":
        from decode.extraction.vllm import VllmEngine

        runner = VllmEngine(model, target, described.get("pattern"), batch_size=batch_size,
                            max_new_tokens=max_new_tokens, jump_forward=jump_forward, generate_kwargs=generate_kwargs,
                            rows=rows, llm_options=vllm_options)
    elif engine == "ray":
        from decode.extraction.ray import RayEngine

        runner = RayEngine(
            model, device, target, batch_size=batch_size, max_new_tokens=max_new_tokens, workers=workers,
            address=ray_address, progress=progress, jump_forward=jump_forward, generate_kwargs=generate_kwargs,
            backend=ray_backend, rows=rows, pattern=described.get("pattern"), llm_options=vllm_options,
        )
    else:
        runner = LocalEngine(
            model, tokenizer, device, target, batch_size=batch_size, max_new_tokens=max_new_tokens,
            jump_forward=jump_forward, generate_kwargs=generate_kwargs, rows=rows,
        )
    if not has_results(output_path):
        from automaton import __version__

        write_run_record(output_path, settings, {
            "input": str(Path(input_path).resolve()), "library_version": __version__,
            "chat_template_applied": getattr(runner, "chat_template_applied", None),
        })
    file_run = FileRun(input_path, output_path, **reading, progress=progress, engine=runner.label, total=total)
    try:
        runner.run(file_run)
    finally:
        summary = file_run.close()
        runner.close()
    return summary


def _check_backend(engine: str, ray_backend: str, vllm_options) -> None:
    if ray_backend not in ("local", "vllm"):
        raise ExtractionOptionsError(f"ray_backend must be 'local' or 'vllm', not {ray_backend!r}")
    if ray_backend != "local" and engine != "ray":
        raise ExtractionOptionsError(f"ray_backend is an option of engine='ray', not of engine={engine!r}")
    if vllm_options is not None:
        if not isinstance(vllm_options, dict):
            raise ExtractionOptionsError(f"vllm_options must be a dict of vllm.LLM arguments, got {vllm_options!r}")
        if engine != "vllm" and ray_backend != "vllm":
            raise ExtractionOptionsError("vllm_options are for engine='vllm' or ray_backend='vllm'")


def _checked_keep_fields(keep_fields) -> tuple[str, ...]:
    if isinstance(keep_fields, str):
        keep_fields = [name for name in keep_fields.split(",") if name]
    keep_fields = tuple(keep_fields or ())
    for name in keep_fields:
        if not isinstance(name, str) or not name:
            raise ExtractionOptionsError(f"keep_fields must be field names, got {name!r}")
        if name in RECORD_FIELDS:
            raise ExtractionOptionsError(
                f"keep_fields cannot copy {name!r}: result records have their own {name!r} "
                f"(their fields: {', '.join(sorted(RECORD_FIELDS))})"
            )
    return keep_fields


def _count_work(input_path, output_path, reading: dict) -> tuple[int, int, int]:
    """(input items, items not done yet, failed records already in the output), reading both files only."""
    done_ids, done_lines = ResultFile.scan(output_path)
    total = pending = 0
    for item in read_prompts(input_path, **reading):
        total += 1
        done = item.line in done_lines if isinstance(item, BadLine) else id_key(item.id) in done_ids
        pending += not done
    return total, pending, len(done_lines)
