"""Batched constrained generation: prompts and a pattern (or a `TokenIndex`) in, one result per output.

    results = decode.generate(model, tokenizer, prompts, r"\\d{3}-\\d{4}", max_new_tokens=32)
    results[0].text, results[0].matched, results[0].num_tokens, results[0].stop_reason

Prompts are tokenized once, sorted by length (so a batch pads little), left-padded per batch
and run through decode's own KV-cached loop (`decode.loop`), which with `jump_forward=True`
feeds the text the pattern forces (JSON keys, punctuation) without sampling, many tokens per
forward pass. Keyword arguments that loop does not take (anything but do_sample, temperature,
top_k, top_p, num_return_sequences) send the batch through `model.generate` with a
`RegexLogitsProcessor` instead, without jump-forward (a warning says so when it was asked
for). Results come back in input order (with `num_return_sequences=n`, the n outputs of each
prompt follow each other).

Each result carries what generation knew when its row stopped (`RowOutcome` from the loop, or
the `RegexLogitsProcessor`'s tracked states through `model.generate`): the stop reason, the final
index state and the prompt's token count; nothing is re-walked or re-tokenized afterwards.

A result is `matched` when its row stopped on EOS (an EOS picked, or a state that accepts and
allows nothing but EOS) in an accepting state AND Python's `re.fullmatch(index.pattern, text,
re.ASCII)` agrees: the same whether a pattern string, a schema or a `TokenIndex` was given (an
index carries its pattern). Where that second opinion is unavailable (an index whose `pattern`
is "" because it was built from an automaton without pattern text, or a pattern Python's `re`
cannot compile), `matched` rests on the index alone. A row cut off by `max_new_tokens` is
`stop_reason="max_new_tokens"` and never matched. With `stop_when_matched=True` a row ends as soon
as its text fully matches (`stop_reason="match"`, matched under the same double check), without
waiting for an EOS: the first full match, which for a pattern without a terminator
(`[A-Z][a-z]+`) is the shortest one the model's tokens reach.

A prompt is a string (used as is, or with `chat_template=True` as one user message through the
tokenizer's chat template) or a list of `{"role": ..., "content": ...}` messages (always through
the chat template, `apply_chat_template(messages, add_generation_prompt=True)`). A prompt that
encodes to no token raises `EmptyPromptError` for the whole call, before any generation;
`generate([])` is `[]`. `seed` makes sampling reproducible: a `torch.Generator` on the model's
device for the own loop, the global RNG seeded (and restored afterwards) around `model.generate`.

A `TokenIndex` given in place of a pattern is checked against the model's vocabulary first
(`decode.processor.check_index_fits`): an index of another vocabulary raises
`VocabularyMismatchError` naming what differs. The index is built for the model's logits
width (its output embedding size, else `config.vocab_size`) with the EOS ids of the tokenizer
and of `model.generation_config`. Vocabularies and indexes are kept in memory per tokenizer and
pattern, and indexes also in the file cache of `automaton.compile_index`.
"""
from __future__ import annotations

import contextlib
import functools
import re
import warnings
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import torch
from transformers import LogitsProcessorList

from decode.errors import ChatTemplateError, EmptyPromptError
from decode.indexes import SchemaTarget, eos_token_ids_of, index_for, logits_width_of, row_targets, vocabulary_for
from decode.loop import (
    STOP_EOS,
    STOP_MATCH,
    STOP_MAX_NEW_TOKENS,
    STOP_OTHER,
    ForcedTokenizer,
    RowOutcome,
    Sampler,
    run_constrained_loop,
)
from decode.processor import RegexLogitsProcessor, StopWhenMatched

__all__ = [
    "GenerationResult",
    "generate",
    "index_for",
    "vocabulary_for",
    "eos_token_ids_of",
    "logits_width_of",
    "full_match_checker",
    "prompt_token_ids",
]


@dataclass(frozen=True)
class GenerationResult:
    """One generated output, as the generation loop left it.

    text: the generated text (EOS and padding excluded), decoded from the index's token bytes.
    matched: the row stopped on EOS (or, with `stop_when_matched`, on its first full match) in an
        accepting state and `re.fullmatch(index.pattern, text, re.ASCII)` agrees (see the module docstring).
    num_tokens: generated tokens in `text` (EOS not counted).
    stop_reason: "eos", "match" (`stop_when_matched`: the text fully matched), "max_new_tokens",
        or "stop" (the caller's stopping criteria).
    prompt: the prompt this output continues, as given (a string or a list of chat messages).
    token_ids: the generated ids of `text`.
    forced_tokens: tokens of `text` appended by jump-forward without sampling.
    final_state: the index state after `token_ids` (accepting when `text` is a full match).
    prompt_tokens: tokens of the prompt as fed to the model (special tokens the tokenizer adds included).
    """

    text: str
    matched: bool
    num_tokens: int
    stop_reason: str
    prompt: str | list
    token_ids: tuple[int, ...] = ()
    forced_tokens: int = 0
    final_state: int = 0
    prompt_tokens: int = 0


# Keyword arguments decode's own loop takes; any other one goes to `model.generate`.
LOOP_KWARGS = frozenset({"do_sample", "temperature", "top_k", "top_p", "num_return_sequences"})


def generate(
    model,
    tokenizer,
    prompts,
    pattern_or_index=None,
    *,
    schema=None,
    layout: str | int = "spaced",
    patterns=None,
    schemas=None,
    max_new_tokens: int = 256,
    batch_size: int = 8,
    vocabulary=None,
    jump_forward: bool = True,
    chat_template: bool | None = None,
    stop_when_matched: bool = False,
    seed: int | None = None,
    **generate_kwargs,
) -> list[GenerationResult]:
    """Generate a continuation of every prompt that fully matches `pattern_or_index`.

    prompts: a string, a list of `{"role", "content"}` messages, or a list of those ([] gives []).
    pattern_or_index: a regular expression (string) or an `automaton.TokenIndex` built for this
        model's vocabulary (else `VocabularyMismatchError`).
    chat_template: None: message lists go through the tokenizer's chat template, strings are used
        as they are; True: each string becomes one user message through the template too
        (`ChatTemplateError` when the tokenizer has none); False: strings only (messages raise
        `ChatTemplateError`).
    stop_when_matched: end each row at its first full match (stop reason "match") instead of
        waiting for an EOS.
    seed: makes sampling (`do_sample=True`) reproducible; greedy decoding does not use it.
    schema: a JSON schema (dict, JSON text or pydantic model class) instead of a pattern.
    layout: with a schema, how its JSON is spaced: "spaced" (json.dumps's `", "` and `": "`, the
        default), "compact", or an int (json.dumps's indent=N).
    patterns / schemas: one constraint per prompt instead (patterns[i] or schemas[i], the other
        None there; `layout` applies to every schema): rows of different constraints share a
        batch, each masked with its own index; own loop only (no `model.generate` keywords).
    vocabulary: the `automaton.Vocabulary` to build the index with (default: read from `tokenizer`).
    jump_forward: append forced text without sampling (several tokens per forward pass).
    generate_kwargs: do_sample, temperature, top_k, top_p, num_return_sequences; any other
        keyword (repetition_penalty, logits_processor, ...) makes the batch go through
        `model.generate`, where jump-forward is not available.
    """
    per_row = patterns is not None or schemas is not None
    if per_row and (pattern_or_index is not None or schema is not None):
        raise ValueError("give either patterns= / schemas= (one per prompt) or one pattern_or_index / schema")
    if schema is not None:
        if pattern_or_index is not None:
            raise ValueError("give either pattern_or_index or schema, not both")
        pattern_or_index = SchemaTarget(schema, layout)
    if pattern_or_index is None and not per_row:
        raise ValueError("generate needs a pattern, a TokenIndex or a schema")
    own_loop = set(generate_kwargs) <= LOOP_KWARGS
    if per_row and not own_loop:
        raise ValueError(f"patterns= / schemas= need decode's own loop, which does not take {sorted(generate_kwargs)}")
    if jump_forward and not own_loop:
        warnings.warn(
            f"jump_forward is off for this call: {sorted(set(generate_kwargs) - LOOP_KWARGS)} "
            "need model.generate, which samples every token",
            UserWarning,
            stacklevel=2,
        )
    prompts = _prompt_list(prompts)
    if batch_size < 1:
        raise ValueError(f"batch_size must be at least 1, got {batch_size}")
    if max_new_tokens < 1:
        raise ValueError(f"max_new_tokens must be at least 1, got {max_new_tokens}")
    if not prompts:
        return []
    encoded = prompt_token_ids(tokenizer, prompts, chat_template=chat_template)
    targets = row_targets(len(prompts), patterns, schemas, layout=layout) if per_row else [pattern_or_index]
    found: dict = {}  # one index per distinct target
    for target in targets:
        key = target if isinstance(target, str) else id(target)
        if key not in found:
            found[key] = index_for(model, tokenizer, target, vocabulary=vocabulary)
    indexes = [found[t if isinstance(t, str) else id(t)] for t in targets] * (1 if per_row else len(prompts))
    index = indexes[0]
    eos = sorted({int(i) for ix in found.values() for i in np.asarray(ix.eos_token_ids).tolist()})
    pad_id = _pad_token_id(model, tokenizer, eos)
    copies = int(generate_kwargs.get("num_return_sequences", 1) or 1)
    extra_processors = list(generate_kwargs.pop("logits_processor", None) or [])
    sampling = {k: v for k, v in generate_kwargs.items() if k != "num_return_sequences"}

    order = sorted(range(len(prompts)), key=lambda i: len(encoded[i]))
    results: list[list[GenerationResult] | None] = [None] * len(prompts)
    device = _device_of(model)
    forced = {id(ix): ForcedTokenizer(ix, tokenizer) for ix in found.values()} if jump_forward and own_loop else {}
    sampler = None
    if own_loop:
        generator = torch.Generator(device=device).manual_seed(int(seed)) if seed is not None else None
        sampler = Sampler(**sampling, generator=generator)
    seeded = _seeded(seed, device) if seed is not None and not own_loop else contextlib.nullcontext()
    with seeded:
        for start in range(0, len(order), batch_size):
            members = order[start : start + batch_size]
            outcomes = _run_batch(
                model, [indexes[i] for i in members] if per_row else index, [encoded[i] for i in members], copies,
                pad_id, device, own_loop=own_loop,
                max_new_tokens=max_new_tokens, forced=forced, sampler=sampler,
                stop_when_matched=stop_when_matched, eos=eos, extra_processors=extra_processors,
                generate_kwargs=generate_kwargs,
            )
            for position, prompt_index in enumerate(members):
                rows = outcomes[position * copies : (position + 1) * copies]
                own = indexes[prompt_index]
                checker = full_match_checker(own.pattern)
                results[prompt_index] = [_result(own, row, prompts[prompt_index], checker) for row in rows]
    return [result for group in results for result in group]


def _run_batch(
    model, index, sequences: list[list[int]], copies: int, pad_id: int, device, *, own_loop: bool,
    max_new_tokens: int, forced: dict, sampler: Sampler | None, stop_when_matched: bool, eos: list[int],
    extra_processors: list, generate_kwargs: dict,
) -> list[RowOutcome]:
    """The outcomes of one batch of prompt ids (`copies` rows each), through the own loop or `model.generate`.

    index: one `TokenIndex`, or a list of one per prompt (own loop only); forced: `ForcedTokenizer` by index id.
    """
    if isinstance(index, list):
        index = index[0] if all(i is index[0] for i in index) else [i for i in index for _ in range(copies)]
    if isinstance(index, list):
        forced_rows = [forced.get(id(i)) for i in index] if forced else None
    else:
        forced_rows = forced.get(id(index))
    # The empty text matches: nothing to run.
    if not isinstance(index, list) and stop_when_matched and index.is_accepting(index.initial_state):
        return [
            RowOutcome(stop_reason=STOP_MATCH, state=index.initial_state, prompt_tokens=len(ids))
            for ids in sequences for _ in range(copies)
        ]
    if own_loop:
        input_ids, attention_mask = _left_padded([ids for ids in sequences for _ in range(copies)], pad_id, device)
        outcomes, _ = run_constrained_loop(
            model, index, input_ids, attention_mask, max_new_tokens=max_new_tokens, pad_token_id=pad_id,
            forced_tokens=forced_rows, sampler=sampler, stop_when_accepting=stop_when_matched,
        )
        return outcomes
    input_ids, attention_mask = _left_padded(sequences, pad_id, device)
    return _generate_with_processor(
        model, index, input_ids, attention_mask, copies, max_new_tokens=max_new_tokens, eos=eos, pad_id=pad_id,
        extra_processors=extra_processors, generate_kwargs=generate_kwargs, stop_when_matched=stop_when_matched,
    )


def _generate_with_processor(
    model, index, input_ids, attention_mask, copies: int, *, max_new_tokens: int, eos: list[int], pad_id: int,
    extra_processors: list, generate_kwargs: dict, stop_when_matched: bool = False,
) -> list[RowOutcome]:
    """One `model.generate` call with a `RegexLogitsProcessor`; per output row what the processor tracked."""
    processor = RegexLogitsProcessor(index, pad_token_id=pad_id, stop_when_accepting=stop_when_matched)
    if stop_when_matched:
        stopping = list(generate_kwargs.get("stopping_criteria") or [])
        generate_kwargs = {**generate_kwargs, "stopping_criteria": [*stopping, StopWhenMatched(processor)]}
    with torch.no_grad():
        output = model.generate(
            input_ids=input_ids,
            attention_mask=attention_mask,
            max_new_tokens=max_new_tokens,
            eos_token_id=eos,
            pad_token_id=pad_id,
            logits_processor=LogitsProcessorList([*extra_processors, processor]),
            **generate_kwargs,
        )
    sequences = output.sequences if hasattr(output, "sequences") else output
    generated = sequences[:, input_ids.shape[1] :].tolist()
    # Every row ran until the batch stopped: at max_new_tokens, or earlier by the caller's criteria.
    unfinished = STOP_MAX_NEW_TOKENS if sequences.shape[1] - input_ids.shape[1] >= max_new_tokens else STOP_OTHER
    prompt_tokens = attention_mask.sum(dim=1).repeat_interleave(copies).tolist()
    return [
        RowOutcome(tokens=tokens[:length], stop_reason=reason or unfinished, state=state, prompt_tokens=int(count))
        for tokens, (state, reason, length), count in zip(generated, processor.finish(sequences), prompt_tokens)
    ]


def _result(index, row: RowOutcome, prompt: str, checker) -> GenerationResult:
    """The result of one row, read from what the loop knew (no EOS appended, no walk of the index)."""
    text = b"".join(index.token_bytes(token) for token in row.tokens).decode("utf-8", errors="replace")
    matched = row.stop_reason in (STOP_EOS, STOP_MATCH) and bool(index.is_accepting(row.state)) and checker(text)
    return GenerationResult(
        text=text,
        matched=matched,
        num_tokens=len(row.tokens),
        stop_reason=row.stop_reason,
        prompt=prompt,
        token_ids=tuple(row.tokens),
        forced_tokens=row.forced_tokens,
        final_state=row.state,
        prompt_tokens=row.prompt_tokens,
    )


@functools.lru_cache(maxsize=64)
def full_match_checker(pattern: str | None):
    """`text -> bool`: Python's `re.fullmatch(pattern, text, re.ASCII)`, the second opinion on matches.

    Where there is none to give (`pattern` None or "", the text of an index built without one,
    or a pattern Python's `re` cannot compile) the checker says True and the index alone decides.
    """
    if not pattern:
        return lambda text: True
    try:
        compiled = re.compile(pattern, re.ASCII)
    except re.error:
        return lambda text: True
    return lambda text: compiled.fullmatch(text) is not None


def _prompt_list(prompts) -> list:
    """`prompts` as a list of prompts: a string or one list of messages becomes a list of one."""
    if isinstance(prompts, str):
        return [prompts]
    prompts = list(prompts)
    if prompts and isinstance(prompts[0], Mapping):
        return [prompts]  # one conversation
    return prompts


def prompt_token_ids(tokenizer, prompts: list, *, chat_template: bool | None = None) -> list[list[int]]:
    """The token ids fed to the model for each prompt (see `generate` for `chat_template`).

    A string is encoded as the tokenizer does by default (special tokens it adds included), or,
    with `chat_template=True`, templated as one user message. Messages are rendered with
    `apply_chat_template(messages, add_generation_prompt=True, tokenize=False)` and encoded
    without adding special tokens again. Raises `ChatTemplateError` (messages where no template
    can or may be applied) and `EmptyPromptError` (prompts that encode to no token), naming positions.
    """
    texts: list[str | None] = []
    for position, prompt in enumerate(prompts):
        if isinstance(prompt, str) and not chat_template:
            texts.append(None)
            continue
        if isinstance(prompt, str):
            messages = [{"role": "user", "content": prompt}]
        elif isinstance(prompt, (list, tuple)):
            if chat_template is False:
                raise ChatTemplateError(f"prompt {position} is a list of chat messages but chat_template=False")
            messages = _checked_messages(prompt, position)
        else:
            raise TypeError(
                f"prompt {position} must be a string or a list of chat messages, got {type(prompt).__name__}"
            )
        if not getattr(tokenizer, "chat_template", None):
            raise ChatTemplateError(
                f"prompt {position} needs a chat template ({'chat_template=True' if chat_template else 'messages'}) "
                f"but the tokenizer has none: pass strings with chat_template=None or set tokenizer.chat_template"
            )
        texts.append(tokenizer.apply_chat_template(messages, add_generation_prompt=True, tokenize=False))
    raw = [i for i, text in enumerate(texts) if text is None]
    encoded: list[list[int]] = [[] for _ in prompts]
    if raw:
        for i, ids in zip(raw, tokenizer([prompts[i] for i in raw])["input_ids"]):
            encoded[i] = list(ids)
    templated = [i for i, text in enumerate(texts) if text is not None]
    if templated:
        ids_of = tokenizer([texts[i] for i in templated], add_special_tokens=False)["input_ids"]
        for i, ids in zip(templated, ids_of):
            encoded[i] = list(ids)
    empty = [i for i, ids in enumerate(encoded) if not ids]
    if empty:
        raise EmptyPromptError(empty)
    return encoded


def _checked_messages(messages, position: int) -> list:
    for number, message in enumerate(messages):
        if not (isinstance(message, Mapping) and "role" in message and "content" in message):
            raise ChatTemplateError(
                f"prompt {position}: message {number} is not a {{'role': ..., 'content': ...}} mapping: {message!r:.80}"
            )
    return list(messages)


@contextlib.contextmanager
def _seeded(seed: int, device: torch.device):
    """torch's global RNG seeded with `seed` inside, restored afterwards (for `model.generate`'s sampling)."""
    devices = [device] if device.type == "cuda" else []
    with torch.random.fork_rng(devices=devices):
        torch.manual_seed(int(seed))
        yield


def _left_padded(sequences: list[list[int]], pad_id: int, device) -> tuple[torch.Tensor, torch.Tensor]:
    width = max(len(ids) for ids in sequences)
    input_ids = torch.full((len(sequences), width), pad_id, dtype=torch.long)
    attention_mask = torch.zeros((len(sequences), width), dtype=torch.long)
    for row, ids in enumerate(sequences):
        if ids:
            input_ids[row, width - len(ids) :] = torch.tensor(ids, dtype=torch.long)
            attention_mask[row, width - len(ids) :] = 1
    return input_ids.to(device), attention_mask.to(device)


def _device_of(model) -> torch.device:
    device = getattr(model, "device", None)
    if device is not None:
        return torch.device(device)
    return next(model.parameters()).device


def _pad_token_id(model, tokenizer, eos: list[int]) -> int:
    for candidate in (tokenizer.pad_token_id, getattr(model.generation_config, "pad_token_id", None)):
        if isinstance(candidate, int):
            return candidate
    return eos[0]
