"""`complete_re`: RELLM's function, with the same signature and meaning, on a compiled token index.

    from decode import complete_re          # instead of: from rellm import complete_re
    text = complete_re(prompt, regex.compile(pattern), tokenizer, model, max_new_tokens=64)

Takes a prompt, a pattern (a string, a compiled `re` or `regex` pattern, or a list of them: any
one may match), a tokenizer and a model; gives the generated completion text (the prompt not
included). As in RELLM 0.0.5, every generated token keeps the text a prefix of some match, and
with `stop_after_match=True` generation stops as soon as the text fully matches a pattern;
otherwise it runs to `max_new_tokens` or to an EOS, which is allowed only once the text fully
matches. `model_kwargs` configure the sampling, or go to `model.generate` (RELLM passes them
there) when the path below that uses it is taken.

Where RELLM re-encodes the prompt and tests every token against a partial regex at each step,
this runs decode's KV-cached loop with jump-forward (forced text is fed without sampling, see
`decode.loop`): a step costs one mask-row gather and one masked fill. With `debug=True`, or
model keywords that loop does not take (anything but do_sample, temperature, top_k, top_p),
it runs one `model.generate` with a `RegexLogitsProcessor` instead. Matching is over the
tokens' exact bytes, so a token is allowed exactly when its bytes can continue into a match. Patterns use the syntax of
`automaton` (Python `re` syntax as far as interegular parses it). A compiled pattern is read
the way its own engine reads it, flags included (`automaton.syntax.compiled.pattern_text`):
`IGNORECASE`, `DOTALL` and `MULTILINE` become inline flags, and without `ASCII` its Unicode
`\\d \\w \\s` and case folding are kept; a flag with no equivalent (`VERBOSE`, `LOCALE`, ...) is
refused with `UnsupportedRegexError` naming it.
"""
from __future__ import annotations

import re

import torch
from transformers import LogitsProcessorList, StoppingCriteria, StoppingCriteriaList

from automaton.syntax.compiled import pattern_text
from automaton.syntax.parser import parse_regex
from automaton.syntax.render import regex_of
from decode.generation import LOOP_KWARGS, _device_of, eos_token_ids_of, index_for
from decode.loop import ForcedTokenizer, Sampler, run_constrained_loop
from decode.processor import RegexLogitsProcessor

__all__ = ["complete_re"]


def complete_re(
    prompt,
    pattern,
    tokenizer,
    model,
    max_new_tokens=3,
    stop_after_match=True,
    debug=False,
    **model_kwargs,
):
    """Complete `prompt` with text that matches `pattern` (RELLM's `complete_re`); returns the completion."""
    source = _pattern_source(pattern)
    index = index_for(model, tokenizer, source)
    eos = sorted(set(eos_token_ids_of(model, tokenizer)) | set(int(i) for i in index.eos_token_ids))
    pad_id = tokenizer.eos_token_id if tokenizer.eos_token_id is not None else eos[0]
    input_ids = tokenizer.encode(prompt, return_tensors="pt").to(_device_of(model))
    if not debug and set(model_kwargs) <= LOOP_KWARGS - {"num_return_sequences"}:
        rows, _ = run_constrained_loop(
            model, index, input_ids, torch.ones_like(input_ids),
            max_new_tokens=max_new_tokens, pad_token_id=pad_id, sampler=Sampler(**model_kwargs),
            forced_tokens=ForcedTokenizer(index, tokenizer), stop_when_accepting=stop_after_match,
        )
        return b"".join(index.token_bytes(token) for token in rows[0].tokens).decode("utf-8", errors="replace")
    processor = RegexLogitsProcessor(index, pad_token_id=pad_id)
    stopping = list(model_kwargs.pop("stopping_criteria", None) or [])
    if stop_after_match:
        stopping.append(_StopWhenMatched(processor))
    if debug:
        stopping.append(_PrintSteps(tokenizer, input_ids.shape[1]))
    extra_processors = list(model_kwargs.pop("logits_processor", None) or [])
    with torch.no_grad():
        output = model.generate(
            input_ids,
            attention_mask=torch.ones_like(input_ids),
            max_new_tokens=max_new_tokens,
            pad_token_id=pad_id,
            eos_token_id=eos,
            logits_processor=LogitsProcessorList([*extra_processors, processor]),
            stopping_criteria=StoppingCriteriaList(stopping),
            **model_kwargs,
        )
    sequences = output.sequences if hasattr(output, "sequences") else output
    generated = sequences[0, input_ids.shape[1] :].tolist()
    kept = []
    for token in generated:
        if token in eos:
            break
        kept.append(token)
    return b"".join(index.token_bytes(token) for token in kept).decode("utf-8", errors="replace")


def _pattern_source(pattern) -> str:
    """One pattern string from a string, a compiled `re`/`regex` pattern, or a list of those."""
    if isinstance(pattern, (list, tuple)):
        if not pattern:
            raise ValueError("pattern is an empty list: give at least one pattern")
        sources = [_pattern_source(item) for item in pattern]
        if len(sources) == 1:
            return sources[0]
        return "|".join(f"(?:{_without_global_flags(source)})" for source in sources)
    if isinstance(pattern, str):
        return pattern
    source = getattr(pattern, "pattern", None)
    if isinstance(pattern, bytes) or isinstance(source, bytes):
        raise TypeError("pattern must be text, not bytes: decode it first")
    if not isinstance(source, str):
        raise TypeError(
            f"pattern must be a string, a compiled re/regex pattern or a list of them, got {type(pattern).__name__}"
        )
    return pattern_text(pattern)


_GLOBAL_FLAG_GROUP = re.compile(r"\(\?[aiLmsux]+\)")


def _without_global_flags(source: str) -> str:
    """`source`, or where it may hold a global flag group (`(?i)`, which must not end up inside
    the group joining it with the other patterns, nor apply to them), the same language written
    out without flags."""
    if _GLOBAL_FLAG_GROUP.search(source) is None:
        return source
    return regex_of(parse_regex(source))


class _StopWhenMatched(StoppingCriteria):
    """Stops each row as soon as its text fully matches (RELLM's `stop_after_match`)."""

    def __init__(self, processor: RegexLogitsProcessor):
        self.processor = processor

    def __call__(self, input_ids: torch.Tensor, scores: torch.Tensor, **kwargs) -> torch.BoolTensor:
        self.processor.advance(input_ids)
        return torch.tensor(self.processor.accepting(), dtype=torch.bool, device=input_ids.device)


class _PrintSteps(StoppingCriteria):
    """RELLM's `debug=True`: print the completion after every step."""

    def __init__(self, tokenizer, prompt_length: int):
        self.tokenizer = tokenizer
        self.prompt_length = prompt_length
        self.step = 0

    def __call__(self, input_ids: torch.Tensor, scores: torch.Tensor, **kwargs) -> torch.BoolTensor:
        completion = self.tokenizer.decode(input_ids[0, self.prompt_length :], skip_special_tokens=True)
        print(f"step={self.step} completion={completion}")
        self.step += 1
        return torch.zeros(input_ids.shape[0], dtype=torch.bool, device=input_ids.device)
