"""A LangChain LLM whose every output is constrained by a pattern or a JSON schema.

    from decode.langchain import RELLM          # instead of: from langchain_experimental.llms import RELLM
    llm = RELLM(pipeline=hf_pipeline, regex=pattern, max_new_tokens=200)
    llm.invoke(prompt, stop=["Human:"])           # also .predict (as on RELLM's page), .batch, .stream

`ConstrainedLLM` (alias `RELLM`, with RELLM's field names) is an `langchain_core` LLM. It
takes a transformers text-generation `pipeline` (its model and tokenizer are used) or a
`model` and `tokenizer`, and `regex` (a string or a compiled `re` / `regex` pattern) or
`json_schema` (a dict, JSON text or pydantic model class). The index is compiled once, on
first use, through the file cache.

- `invoke` / `batch` / `generate`: one `decode.generate` call over all prompts (greedy unless
  `generate_kwargs` say otherwise); each text is a full match of the pattern, cut at the first
  `stop` sequence as LangChain does. `chat_template=True` sends each prompt as one user message
  through the tokenizer's chat template (instruct models answer far better so);
  `stop_after_match=True` (RELLM's field) ends generation at the first full match
  (`decode.generate(stop_when_matched=True)`, stop reason "match"). `generation_info` carries
  `matched`, `stop_reason`, `num_tokens`.
- `stream`: the same generation token by token (transformers `generate` with a
  `RegexLogitsProcessor` and a streamer), decoded incrementally from the index's token bytes;
  text that might begin a `stop` sequence is held back until it is known not to, and the stream
  ends at the stop sequence. The pieces add up to what `invoke` returns.

Needs `langchain-core` (`pip install 'automaton-decode[langchain]'`).
"""
from __future__ import annotations

import codecs
import queue
import threading
from collections.abc import Iterator
from typing import Any

from decode.errors import OptionalDependencyError

try:
    from langchain_core.callbacks import CallbackManagerForLLMRun
    from langchain_core.language_models.llms import LLM
    from langchain_core.outputs import Generation, GenerationChunk, LLMResult
except ImportError as error:  # pragma: no cover - depends on the environment
    raise OptionalDependencyError(
        f"decode.langchain needs langchain-core ({error}); install it with `pip install 'automaton-decode[langchain]'`"
    ) from None

from pydantic import ConfigDict, Field, PrivateAttr, model_validator

__all__ = ["ConstrainedLLM", "RELLM", "cut_at_stop"]


def cut_at_stop(text: str, stop: list[str] | None) -> str:
    """`text` up to the first occurrence of any stop sequence (all of it when none occurs)."""
    if not stop:
        return text
    cut = min((position for position in (text.find(s) for s in stop if s) if position >= 0), default=len(text))
    return text[:cut]


class ConstrainedLLM(LLM):
    """A LangChain LLM over a local transformers model whose outputs fully match `regex` (or `json_schema`)."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    pipeline: Any = None
    """A transformers text-generation pipeline (its `.model` and `.tokenizer` are used)."""
    model: Any = None
    tokenizer: Any = None
    regex: Any = None
    """The pattern: a string, a compiled `re` / `regex` pattern, or a list of them (any may match)."""
    json_schema: Any = None
    """A JSON schema to constrain to instead of `regex`."""
    layout: Any = "spaced"
    """With `json_schema`: "spaced" (json.dumps's `", "` and `": "`), "compact", or an indent (int)."""
    max_new_tokens: int = 200
    jump_forward: bool = False
    chat_template: bool | None = None
    """True: each prompt goes to the model as one user message through the tokenizer's chat template."""
    stop_after_match: bool = False
    """End each output at its first full match instead of waiting for an EOS (RELLM's field)."""
    generate_kwargs: dict = Field(default_factory=dict)
    """Passed to `decode.generate` and to transformers `generate` (do_sample, temperature, ...)."""

    _index: Any = PrivateAttr(default=None)
    _pattern: str | None = PrivateAttr(default=None)

    @model_validator(mode="after")
    def _check_parts(self) -> ConstrainedLLM:
        if self.pipeline is not None:
            if self.model is None:
                self.model = self.pipeline.model
            if self.tokenizer is None:
                self.tokenizer = self.pipeline.tokenizer
        if self.model is None or self.tokenizer is None:
            raise ValueError("give a text-generation `pipeline`, or a `model` and its `tokenizer`")
        if (self.regex is None) == (self.json_schema is None):
            raise ValueError("give exactly one of `regex` and `json_schema`")
        if self.max_new_tokens < 1:
            raise ValueError(f"max_new_tokens must be at least 1, got {self.max_new_tokens}")
        return self

    @property
    def _llm_type(self) -> str:
        return "decode-constrained"

    @property
    def _identifying_params(self) -> dict:
        target = (
            {"json_schema": self.json_schema, "layout": self.layout} if self.json_schema is not None
            else {"pattern": self.pattern}
        )
        return {**target, "max_new_tokens": self.max_new_tokens, **self.generate_kwargs}

    @property
    def pattern(self) -> str:
        """The regular expression outputs match (the schema's, when a schema was given)."""
        if self._pattern is None:
            if self.json_schema is not None:
                from automaton import json_schema_to_regex

                self._pattern = json_schema_to_regex(self.json_schema, layout=self.layout)
            else:
                from decode.integrations.rellm import _pattern_source

                self._pattern = _pattern_source(self.regex)
        return self._pattern

    @property
    def index(self):
        """The `TokenIndex` of the pattern for this model (compiled on first use, through the cache)."""
        if self._index is None:
            from decode.indexes import SchemaTarget, index_for

            target = SchemaTarget(self.json_schema, self.layout) if self.json_schema is not None else self.pattern
            self._index = index_for(self.model, self.tokenizer, target)
        return self._index

    def predict(self, text: str, *, stop: list[str] | None = None, **kwargs: Any) -> str:
        """`invoke` under the older name RELLM's page calls (langchain-core 1.x dropped it from LLMs)."""
        return self.invoke(text, stop=stop, **kwargs)

    # -- LangChain hooks --------------------------------------------------------------------------

    def _call(self, prompt: str, stop: list[str] | None = None,
              run_manager: CallbackManagerForLLMRun | None = None, **kwargs: Any) -> str:
        return self._generate([prompt], stop=stop, run_manager=run_manager, **kwargs).generations[0][0].text

    def _generate(self, prompts: list[str], stop: list[str] | None = None,
                  run_manager: CallbackManagerForLLMRun | None = None, **kwargs: Any) -> LLMResult:
        from decode.generation import generate

        options = {"do_sample": False, **self.generate_kwargs, **kwargs}
        results = generate(
            self.model, self.tokenizer, prompts, self.index, max_new_tokens=self.max_new_tokens,
            batch_size=max(1, len(prompts)), jump_forward=self.jump_forward, chat_template=self.chat_template,
            stop_when_matched=self.stop_after_match, **options,
        )
        generations = [
            [Generation(
                text=cut_at_stop(result.text, stop),
                generation_info={"matched": result.matched, "stop_reason": result.stop_reason,
                                 "num_tokens": result.num_tokens},
            )]
            for result in results
        ]
        return LLMResult(generations=generations)

    def _stream(self, prompt: str, stop: list[str] | None = None,
                run_manager: CallbackManagerForLLMRun | None = None, **kwargs: Any) -> Iterator[GenerationChunk]:
        for piece in _StopFilter(stop).pieces(self._token_texts(prompt, **kwargs)):
            chunk = GenerationChunk(text=piece)
            if run_manager is not None:
                run_manager.on_llm_new_token(piece, chunk=chunk)
            yield chunk

    # -- streaming --------------------------------------------------------------------------------

    def _token_texts(self, prompt: str, **kwargs: Any) -> _TokenTexts:
        return _TokenTexts(self, prompt, {"do_sample": False, **self.generate_kwargs, **kwargs})


class _TokenTexts:
    """The text of each generated token, in order, from `generate` running in a helper thread.

    Iterating yields strings (incrementally decoded UTF-8 of the tokens' bytes); `stop()` ends
    the generation early (the consumer found a stop sequence or went away).
    """

    def __init__(self, llm: ConstrainedLLM, prompt: str, options: dict):
        self.llm = llm
        self.prompt = prompt
        self.options = options
        self._stopped = threading.Event()

    def stop(self) -> None:
        self._stopped.set()

    def __iter__(self) -> Iterator[str]:
        import torch
        from transformers import LogitsProcessorList, StoppingCriteria, StoppingCriteriaList
        from transformers.generation.streamers import BaseStreamer

        from decode.generation import _device_of, _pad_token_id, prompt_token_ids
        from decode.processor import RegexLogitsProcessor, StopWhenMatched

        llm, index = self.llm, self.llm.index
        eos = sorted(int(i) for i in index.eos_token_ids)
        pad_id = _pad_token_id(llm.model, llm.tokenizer, eos)
        tokens: queue.Queue = queue.Queue()
        done = object()
        stopped = self._stopped

        class Streamer(BaseStreamer):
            def __init__(self):
                self.prompt_seen = False

            def put(self, value):
                if not self.prompt_seen:  # the first call carries the prompt
                    self.prompt_seen = True
                    return
                for token in value.reshape(-1).tolist():
                    tokens.put(int(token))

            def end(self):
                pass

        class StopWhenAsked(StoppingCriteria):
            def __call__(self, input_ids, scores, **kwargs):
                return torch.full((input_ids.shape[0],), stopped.is_set(), dtype=torch.bool, device=input_ids.device)

        (ids,) = prompt_token_ids(llm.tokenizer, [self.prompt], chat_template=llm.chat_template)
        input_ids = torch.tensor([ids], dtype=torch.long, device=_device_of(llm.model))
        encoded = {"input_ids": input_ids, "attention_mask": torch.ones_like(input_ids)}
        options = {key: value for key, value in self.options.items() if key != "jump_forward"}
        processor = RegexLogitsProcessor(index, pad_token_id=pad_id, stop_when_accepting=llm.stop_after_match)
        criteria = [StopWhenAsked(), *([StopWhenMatched(processor)] if llm.stop_after_match else [])]

        def run():
            try:
                with torch.no_grad():
                    llm.model.generate(
                        **encoded, max_new_tokens=llm.max_new_tokens, eos_token_id=eos, pad_token_id=pad_id,
                        logits_processor=LogitsProcessorList([processor]),
                        stopping_criteria=StoppingCriteriaList(criteria),
                        streamer=Streamer(), **options,
                    )
                tokens.put(done)
            except BaseException as error:  # handed to the consumer
                tokens.put(error)

        worker = threading.Thread(target=run, name="decode-langchain-stream", daemon=True)
        worker.start()
        decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
        eos_ids = set(eos)
        try:
            while True:
                item = tokens.get()
                if item is done:
                    break
                if isinstance(item, BaseException):
                    raise item
                if item in eos_ids:
                    self.stop()
                    break
                text = decoder.decode(index.token_bytes(item))
                if text:
                    yield text
            tail = decoder.decode(b"", final=True)
            if tail:
                yield tail
        finally:
            self.stop()
            worker.join()


class _StopFilter:
    """Passes text through until the first stop sequence, holding back what might begin one."""

    def __init__(self, stop: list[str] | None):
        self.stop = [s for s in (stop or []) if s]

    def pieces(self, texts) -> Iterator[str]:
        """The texts of `texts` (an iterable of str) regrouped: all of them up to the first stop sequence."""
        iterator = iter(texts)
        try:
            pending = ""
            for text in iterator:
                pending += text
                cut = cut_at_stop(pending, self.stop)
                if len(cut) < len(pending):  # a stop sequence: emit what precedes it and end
                    if cut:
                        yield cut
                    return
                keep = self._held_back(pending)
                if len(pending) > keep:
                    yield pending[: len(pending) - keep]
                    pending = pending[len(pending) - keep:]
            if pending:
                yield pending
        finally:
            close = getattr(iterator, "close", None)
            if close is not None:  # ends the generation thread
                close()

    def _held_back(self, text: str) -> int:
        """Length of the longest end of `text` that is the start of a stop sequence."""
        longest = 0
        for stop in self.stop:
            for length in range(min(len(stop) - 1, len(text)), longest, -1):
                if text.endswith(stop[:length]):
                    longest = length
                    break
        return longest


RELLM = ConstrainedLLM
