"""Batch extraction, the core: prompts and one target (pattern, JSON schema or index) in, one record per prompt out.

    import decode
    for record in decode.extract(prompts, r"\\d{3}-\\d{4}", model=model, tokenizer=tokenizer, batch_size=16):
        record.id, record.output, record.matched, record.stop_reason, record.output_tokens

Takes an iterable of prompts (strings, whose ids are their 0-based positions, or `(id, prompt)`
pairs, or the `PromptLine` / `BadLine` items of `decode.extraction.files.read_prompts`); gives
an `ExtractionRecord` per prompt, batch by batch, as soon as each batch is done. Exactly one of
`pattern`, `schema` (a dict or JSON text) or `index` (a `TokenIndex` or the path of an index
file) says what the outputs must match: `resolve_target` turns it into an `ExtractionTarget`
once (through the in-memory memo and the file cache of `compile_index`), and an `Extractor`
uses it for every batch: one `decode.generate` call per batch, whose results already carry
the prompt token counts, stop reasons and `matched` (nothing is tokenized twice).

A record is "matched" (the output is a full match, ended on EOS, or at the first full match
with `stop_when_matched`), "incomplete" (cut off by `max_new_tokens` or a stop criterion: never
passed off as a match) or "failed" (the input item could not be used, an empty prompt
included: its line and the reason are in the record). With a schema, `value` holds the parsed
JSON of a matched output; `fields` holds the input fields kept with `keep_fields`.

Options (`extract`, `extract_file`, `Extractor`): temperature / top_p (sampling; greedy when
neither is given or temperature is 0), seed, stop_when_matched, chat_template ("auto", the
default: each prompt string goes through the tokenizer's chat template as one user message when
the tokenizer has one; True: always, an error without one; False: raw), max_states (the DFA's
limit). `check_target` validates the target without a model (`describe_target` also says what
it is, for the run record of a result file).

Files, resume and progress are `decode.extraction.run`; the Ray engine is `decode.extraction.ray`.
"""
from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from decode.errors import ExtractionOptionsError
from decode.extraction.files import BadLine, PromptLine, id_key

__all__ = [
    "ExtractionRecord",
    "ExtractionTarget",
    "Extractor",
    "extract",
    "load_model",
    "model_and_tokenizer",
    "resolve_target",
    "read_schema_file",
    "check_target",
    "model_identity",
    "sampling_options",
    "RECORD_FIELDS",
]

STATUS_MATCHED = "matched"
STATUS_INCOMPLETE = "incomplete"
STATUS_FAILED = "failed"
STOP_INPUT_ERROR = "input_error"
# Fields of a result record: `keep_fields` may not name them.
RECORD_FIELDS = frozenset({"id", "status", "matched", "output", "value", "stop_reason", "prompt_tokens",
                           "output_tokens", "line", "error"})
CHAT_TEMPLATE_CHOICES = ("auto", True, False)


@dataclass(frozen=True)
class ExtractionRecord:
    """The result of one prompt (or of one input item that could not be used).

    id: the prompt's id. output: the generated text (None when failed).
    matched: the output fully matches the pattern and generation ended on EOS.
    value: the parsed JSON of a matched output when a schema was given (else None).
    stop_reason: "eos", "max_new_tokens", "stop", "match" (stop_when_matched), or "input_error" for a failed item.
    prompt_tokens / output_tokens: token counts of the prompt and of the output (EOS excluded).
    line: the input line of a failed item; error: why it failed.
    fields: input fields kept with `keep_fields` (written after the record's own fields).
    """

    id: str | int | None
    output: str | None
    matched: bool
    stop_reason: str
    prompt_tokens: int = 0
    output_tokens: int = 0
    value: Any = None
    has_value: bool = False
    line: int | None = None
    error: str | None = None
    fields: dict | None = None

    @property
    def status(self) -> str:
        if self.error is not None:
            return STATUS_FAILED
        return STATUS_MATCHED if self.matched else STATUS_INCOMPLETE

    def to_json(self) -> dict:
        """The record as written to a result file (one JSON object)."""
        if self.error is not None:
            return {"id": self.id, "status": STATUS_FAILED, "line": self.line, "error": self.error,
                    **(self.fields or {})}
        record = {"id": self.id, "status": self.status, "matched": self.matched, "output": self.output}
        if self.has_value:
            record["value"] = self.value
        record.update(
            stop_reason=self.stop_reason, prompt_tokens=self.prompt_tokens, output_tokens=self.output_tokens
        )
        record.update(self.fields or {})
        return record

    @classmethod
    def failed(cls, item: BadLine) -> ExtractionRecord:
        return cls(
            id=item.id, output=None, matched=False, stop_reason=STOP_INPUT_ERROR, line=item.line, error=item.error,
            fields=item.fields,
        )


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


def _one_target(pattern, schema, index) -> None:
    given = [name for name, value in (("pattern", pattern), ("schema", schema), ("index", index)) if value is not None]
    if len(given) != 1:
        raise ExtractionOptionsError(
            f"give exactly one of pattern, schema or index (got {', '.join(given) if given else 'none'})"
        )


def _pattern_text(pattern) -> str:
    if not isinstance(pattern, str):
        pattern = getattr(pattern, "pattern", pattern)  # a compiled re / regex pattern
    if not isinstance(pattern, str):
        raise ExtractionOptionsError(f"pattern must be a string or a compiled pattern, got {type(pattern).__name__}")
    return pattern


def check_target(*, pattern=None, schema=None, index=None, max_states: int | None = None,
                 layout: str | int = "spaced") -> dict:
    """Validate the target without a model, and describe it (for the run record of a result file).

    A pattern, or a schema in its layout, is compiled to its DFA (syntax, unsupported constructs,
    an empty language, `max_states`); an index file is loaded and checked. Raises what those raise
    (`automaton` errors) or ExtractionOptionsError. Gives {"pattern": ...}, {"schema": ...,
    "layout": ...}, or the index's pattern with "index_sha256" (the file's digest) or "index".
    """
    import hashlib

    from automaton import TokenIndex, compile_dfa, load_index

    _one_target(pattern, schema, index)
    if max_states is not None and (isinstance(max_states, bool) or not isinstance(max_states, int) or max_states < 2):
        raise ExtractionOptionsError(f"max_states must be an integer of at least 2, got {max_states!r}")
    if index is not None:
        if isinstance(index, TokenIndex):
            return {"pattern": index.pattern, "index": "object"}
        path = Path(index)
        if not path.is_file():
            raise ExtractionOptionsError(f"index file {path} does not exist")
        loaded = load_index(path)
        return {"pattern": loaded.pattern, "index_sha256": hashlib.sha256(path.read_bytes()).hexdigest()}
    limits = {} if max_states is None else {"max_states": max_states}
    if schema is not None:
        if isinstance(schema, str):
            try:
                schema = json.loads(schema)
            except json.JSONDecodeError as error:
                raise ExtractionOptionsError(f"the schema is not JSON: {error}") from None
        compile_dfa(schema=schema, layout=layout, **limits)
        return {"schema": schema, "layout": layout}
    pattern = _pattern_text(pattern)
    compile_dfa(pattern, **limits)
    return {"pattern": pattern}


def model_identity(model) -> str:
    """What model a run used, without loading it: "default", a model folder's path, or a model object's name."""
    from automaton.cache import default_cache_dir

    if model is None or (isinstance(model, str) and model == "default"):
        return "default"
    if isinstance(model, (str, Path)):
        return str(Path(model).resolve())
    name = getattr(model, "name_or_path", None) or getattr(getattr(model, "config", None), "_name_or_path", None)
    if not name:
        return f"a {type(model).__name__} object"
    folder = Path(name)
    if folder.name == "model" and folder.parent.parent == default_cache_dir() / "models" \
            and folder.parent.name.startswith("smollm2-135m-instruct"):
        return "default"  # the embedded model, as load_default loads it
    return str(folder.resolve()) if folder.is_dir() else str(name)


def sampling_options(temperature: float | None = None, top_p: float | None = None, seed: int | None = None,
                     stop_when_matched: bool = False) -> dict:
    """Keyword arguments of `decode.generate` for these options (checked): sampling when temperature
    (above 0) or top_p is given, else greedy; seed and stop_when_matched only when asked for."""
    options: dict = {}
    if temperature is not None:
        if isinstance(temperature, bool) or not isinstance(temperature, (int, float)) or temperature < 0:
            raise ExtractionOptionsError(f"temperature must be a number of at least 0, got {temperature!r}")
    if top_p is not None:
        if isinstance(top_p, bool) or not isinstance(top_p, (int, float)) or not 0 < top_p <= 1:
            raise ExtractionOptionsError(f"top_p must be a number in (0, 1], got {top_p!r}")
    if seed is not None and (isinstance(seed, bool) or not isinstance(seed, int)):
        raise ExtractionOptionsError(f"seed must be an integer, got {seed!r}")
    sampling = (temperature is not None and temperature > 0) or top_p is not None
    if sampling:
        options["do_sample"] = True
        if temperature is not None:
            options["temperature"] = float(temperature)
        if top_p is not None:
            options["top_p"] = float(top_p)
    if seed is not None:
        options["seed"] = seed
    if stop_when_matched:
        options["stop_when_matched"] = True
    return options


def _generate_takes(name: str) -> bool:
    import inspect

    from decode import generation

    return name in inspect.signature(generation.generate).parameters


def _chat_template_for(tokenizer, chat_template) -> bool:
    """Whether prompts go through the chat template: "auto"/None: when the tokenizer has one."""
    if chat_template is None:
        chat_template = "auto"
    if chat_template not in CHAT_TEMPLATE_CHOICES:
        raise ExtractionOptionsError(f"chat_template must be 'auto', True or False, not {chat_template!r}")
    has_template = bool(getattr(tokenizer, "chat_template", None))
    if chat_template == "auto":
        return has_template and _generate_takes("chat_template")
    if chat_template and not has_template:
        raise ExtractionOptionsError("chat_template=True but the tokenizer has no chat template")
    return bool(chat_template)


def resolve_target(model, tokenizer, *, pattern=None, schema=None, index=None,
                   max_states: int | None = None, layout: str | int = "spaced") -> ExtractionTarget:
    """Exactly one of pattern / schema / index, as a `TokenIndex` for this model and tokenizer."""
    from automaton import TokenIndex, compile_index, load_index
    from decode.generation import index_for, vocabulary_for
    from decode.indexes import SchemaTarget

    _one_target(pattern, schema, index)
    if index is not None:
        if not isinstance(index, TokenIndex):
            path = Path(index)
            if not path.is_file():
                raise ExtractionOptionsError(f"index file {path} does not exist")
            index = load_index(path, vocabulary=vocabulary_for(model, tokenizer))
        return ExtractionTarget(index_for(model, tokenizer, index), index.pattern, is_schema=False)
    if schema is not None:
        vocabulary = vocabulary_for(model, tokenizer)
        if max_states is not None:
            built = compile_index(schema=schema, layout=layout, vocabulary=vocabulary, max_states=max_states)
        else:
            built = index_for(model, tokenizer, SchemaTarget(schema, layout), vocabulary=vocabulary)
        return ExtractionTarget(index_for(model, tokenizer, built), built.pattern, is_schema=True)
    pattern = _pattern_text(pattern)
    if max_states is not None:
        built = compile_index(pattern, vocabulary_for(model, tokenizer), max_states=max_states)
        return ExtractionTarget(index_for(model, tokenizer, built), pattern, is_schema=schema is not None)
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
                 jump_forward: bool | None = None, chat_template="auto", **generate_kwargs):
        if isinstance(max_new_tokens, bool) or not isinstance(max_new_tokens, int) or max_new_tokens < 1:
            raise ExtractionOptionsError(f"max_new_tokens must be at least 1, got {max_new_tokens}")
        copies = generate_kwargs.get("num_return_sequences", 1)
        if copies not in (None, 1):
            raise ExtractionOptionsError(
                f"extraction writes one output per prompt: num_return_sequences must be 1, not {copies}"
            )
        generate_kwargs.setdefault("do_sample", False)
        if jump_forward is not None:
            generate_kwargs["jump_forward"] = jump_forward
        for name in ("seed", "stop_when_matched"):
            if name in generate_kwargs and not _generate_takes(name):
                raise ExtractionOptionsError(f"{name} needs a decode.generate that takes it (this one does not)")
        self.chat_template_applied = _chat_template_for(tokenizer, chat_template)
        if self.chat_template_applied:
            generate_kwargs["chat_template"] = True
        self.model = model
        self.tokenizer = tokenizer
        self.target = target
        self.max_new_tokens = max_new_tokens
        self.generate_kwargs = generate_kwargs

    def run_batch(self, items: list[PromptLine], targets: list[ExtractionTarget] | None = None
                  ) -> list[ExtractionRecord]:
        """One `decode.generate` call over the prompts of `items`; records in the same order.

        targets: one per item instead of the extractor's own (`decode.generate(patterns=...)`)."""
        from decode import generation

        if not items:
            return []
        from decode import errors

        empty_prompt_error = getattr(errors, "EmptyPromptError", None) or ()
        constraint = {"patterns": [t.index for t in targets]} if targets is not None else {}
        try:
            results = generation.generate(
                self.model, self.tokenizer, [item.prompt for item in items],
                self.target.index if targets is None else None, **constraint,
                max_new_tokens=self.max_new_tokens, batch_size=len(items), **self.generate_kwargs,
            )
        except empty_prompt_error as error:  # prompts that encode to no token: failed records, the rest again
            empty = set(error.positions)
            kept = [position for position in range(len(items)) if position not in empty]
            rest_targets = None if targets is None else [targets[p] for p in kept]
            rest = iter(self.run_batch([items[p] for p in kept], rest_targets))
            return [
                ExtractionRecord.failed(BadLine(item.line, "the prompt encodes to no token", item.id, item.fields))
                if position in empty else next(rest)
                for position, item in enumerate(items)
            ]
        schema_rows = [self.target.is_schema] * len(items) if targets is None else [t.is_schema for t in targets]
        return [self._record(item, result, is_schema) for item, result, is_schema in zip(items, results, schema_rows)]

    def _record(self, item: PromptLine, result, is_schema: bool) -> ExtractionRecord:
        value = None
        if is_schema and result.matched:
            value = json.loads(result.text)
        return ExtractionRecord(
            id=item.id,
            output=result.text,
            matched=bool(result.matched),
            stop_reason=result.stop_reason,
            prompt_tokens=result.prompt_tokens,
            output_tokens=result.num_tokens,
            value=value,
            has_value=is_schema,
            fields=item.fields,
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


def _as_item(position: int, item) -> PromptLine | BadLine:
    if isinstance(item, (PromptLine, BadLine)):
        return item
    if isinstance(item, str):
        item = (position, item)
    if isinstance(item, tuple) and len(item) == 2 and isinstance(item[1], str):
        if item[1] == "":
            return BadLine(position, "empty prompt: the prompt is \"\"", item[0])
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
    jump_forward: bool | None = None,
    device=None,
    temperature: float | None = None,
    top_p: float | None = None,
    seed: int | None = None,
    stop_when_matched: bool = False,
    chat_template="auto",
    max_states: int | None = None,
    layout: str | int = "spaced",
    **generate_kwargs,
) -> Iterator[ExtractionRecord]:
    """Yield an `ExtractionRecord` per prompt whose output must match `pattern` (or `schema`, or `index`).

    model: a loaded transformers model (with `tokenizer`), or a spec for `load_model` (None or
        "default" for the embedded SmolLM2, or a local model folder).
    skip_ids: ids not to run again (those of an earlier run).
    jump_forward: passed to `decode.generate` when given.
    temperature, top_p, seed, stop_when_matched, chat_template, max_states: see the module docstring.
    layout: with a schema, "spaced" (the default), "compact" or an indent (see `decode.generate`).
    generate_kwargs: passed to `decode.generate` (greedy unless `do_sample=True`).
    """
    generate_kwargs = {**sampling_options(temperature, top_p, seed, stop_when_matched), **generate_kwargs}
    if model is None or isinstance(model, (str, Path)):  # the target's errors before the model loads
        check_target(pattern=pattern, schema=schema, index=index, max_states=max_states, layout=layout)
    model, tokenizer = model_and_tokenizer(model, tokenizer, device)
    target = resolve_target(model, tokenizer, pattern=pattern, schema=schema, index=index, max_states=max_states,
                            layout=layout)
    extractor = Extractor(model, tokenizer, target, max_new_tokens=max_new_tokens, jump_forward=jump_forward,
                          chat_template=chat_template, **generate_kwargs)
    yield from extractor.records(prompts, batch_size, skip_ids)


def model_and_tokenizer(model, tokenizer, device):
    """(model, tokenizer): the objects given, or those `load_model` loads from a spec (None, "default", a folder)."""
    if model is None or isinstance(model, (str, Path)):
        if tokenizer is not None:
            raise ExtractionOptionsError("a tokenizer was given without its model")
        return load_model(None if model is None else str(model), device)
    if tokenizer is None:
        raise ExtractionOptionsError("a model object needs its tokenizer: pass tokenizer=...")
    return model, tokenizer


