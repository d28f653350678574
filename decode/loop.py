"""The constrained generation loop: KV-cached, batched, with jump-forward over forced text.

Takes a causal LM, a `TokenIndex` and tokenized prompts; gives, per row, the generated ids,
why the row stopped and how many of its tokens were forced rather than sampled.

Each step masks the next-token logits of every running row with its state's row, picks one
token per row (greedy or sampled), and then, with `jump_forward`, appends the text the
pattern forces from the new state (JSON keys, quotes, colons, closing braces) without
sampling. All appended tokens go through the model in ONE forward pass: rows in a block
are left-aligned and padded on the right with masked-out positions, so rows forcing
different lengths share the pass. A row whose state accepts and allows nothing but EOS
ends at once, without a forward pass.

Forced text is tokenized the way the tokenizer would write it alone; where a free part
follows, the last forced token is held back and left to the model (its canonical spelling
may merge with what comes next), as long as it is not the only one.

Tensors: prompt ids [batch, prompt_len] left-padded; attention mask [batch, total_len]
(1 = real token); per-step logits [batch, V] float.
"""
from __future__ import annotations

import inspect
from dataclasses import dataclass, field

import torch

from decode.masking import device_masks

__all__ = ["RowOutcome", "LoopStats", "Sampler", "run_constrained_loop", "ForcedTokenizer"]

STOP_EOS = "eos"
STOP_MAX_NEW_TOKENS = "max_new_tokens"
STOP_MATCH = "match"  # stop_when_accepting: the text fully matches


@dataclass
class RowOutcome:
    """One row's generated ids (EOS excluded), stop reason, and forced-token count."""

    tokens: list[int] = field(default_factory=list)
    stop_reason: str | None = None
    forced_tokens: int = 0
    state: int = 0


@dataclass
class LoopStats:
    """Forward passes run (the prompt pass included) and tokens produced over all rows."""

    forward_passes: int = 0
    generated_tokens: int = 0
    forced_tokens: int = 0


@dataclass(frozen=True)
class Sampler:
    """Greedy when `do_sample` is False; else temperature, top-k and top-p sampling."""

    do_sample: bool = False
    temperature: float = 1.0
    top_k: int = 0
    top_p: float = 1.0
    generator: torch.Generator | None = None

    def pick(self, logits: torch.Tensor) -> torch.Tensor:
        """int64[batch] token ids from masked logits [batch, V]."""
        if not self.do_sample:
            return logits.argmax(dim=-1)
        logits = logits.float() / max(self.temperature, 1e-6)
        if self.top_k and self.top_k < logits.shape[-1]:
            kth = torch.topk(logits, self.top_k, dim=-1).values[:, -1:]
            logits = logits.masked_fill(logits < kth, float("-inf"))
        if self.top_p < 1.0:
            sorted_logits, order = torch.sort(logits, descending=True, dim=-1)
            cumulative = sorted_logits.softmax(dim=-1).cumsum(dim=-1)
            drop = cumulative - sorted_logits.softmax(dim=-1) > self.top_p  # keep the first token always
            sorted_logits = sorted_logits.masked_fill(drop, float("-inf"))
            logits = torch.full_like(logits, float("-inf")).scatter(-1, order, sorted_logits)
        probabilities = logits.softmax(dim=-1)
        return torch.multinomial(probabilities, 1, generator=self.generator).squeeze(-1)


class ForcedTokenizer:
    """Token ids for the text an index forces from a state, spelled as the tokenizer would.

    Returns [] when the forced bytes cannot be tokenized into exactly those bytes with
    tokens the index allows (then the row simply samples, as without jump-forward).
    """

    def __init__(self, index, tokenizer):
        self.index = index
        self.tokenizer = tokenizer
        self._memo: dict[int, list[int]] = {}

    def __call__(self, state: int) -> list[int]:
        found = self._memo.get(state)
        if found is None:
            found = self._compute(state)
            self._memo[state] = found
        return found

    def _compute(self, state: int) -> list[int]:
        index = self.index
        sole = index.forced_tokens(state)
        if sole:
            return sole
        forced = _complete_characters(index.forced_bytes(state))
        if not forced:
            return []
        ids = self.tokenizer.encode(forced.decode("utf-8"), add_special_tokens=False)
        if b"".join(index.token_bytes(i) for i in ids) != forced:
            return []  # e.g. a tokenizer that prepends a space to the text
        end = index.advance(state, ids)
        if end < 0:
            return []
        # Hold the last token back where a free choice follows (it may merge with it),
        # unless the pattern ends there or it is the only forced token.
        if len(ids) > 1 and not _only_eos_left(index, end):
            ids = ids[:-1]
        return ids


def _complete_characters(data: bytes) -> bytes:
    """`data` cut after its last complete UTF-8 character."""
    for cut in range(len(data), max(len(data) - 4, -1), -1):
        try:
            data[:cut].decode("utf-8")
            return data[:cut]
        except UnicodeDecodeError:
            continue
    return b""


def run_constrained_loop(
    model,
    index,
    input_ids: torch.Tensor,
    attention_mask: torch.Tensor,
    *,
    max_new_tokens: int,
    pad_token_id: int,
    sampler: Sampler,
    forced_tokens=None,
    stop_when_accepting: bool = False,
) -> tuple[list[RowOutcome], LoopStats]:
    """Generate for every row until EOS or `max_new_tokens`.

    Args:
        input_ids: int64[batch, prompt_len], left-padded. attention_mask: same shape, 1 = token.
        forced_tokens: callable state -> list of forced ids (a `ForcedTokenizer`), or None
            to sample every token (no jump-forward).
        stop_when_accepting: end a row as soon as its text fully matches (stop reason
            "match"), as RELLM's `stop_after_match` does. Forced text never passes through an
            accepting state, so this stops at the first full match either way.

    Returns:
        (outcomes, stats): one `RowOutcome` per row, in row order.
    """
    device = input_ids.device
    batch = input_ids.shape[0]
    masks = device_masks(index)
    eos_ids = set(int(i) for i in index.eos_token_ids.tolist())
    rows = [RowOutcome(state=index.initial_state) for _ in range(batch)]
    stats = LoopStats()

    forward_parameters = inspect.signature(model.forward).parameters
    # Newer transformers take the KV cache as `cache`, older ones as `past_key_values`.
    cache_argument = "cache" if "cache" in forward_parameters else "past_key_values"
    positions = (attention_mask.long().cumsum(dim=-1) - 1).clamp(min=0)
    next_position = positions[:, -1] + 1
    only_last = {"logits_to_keep": 1} if "logits_to_keep" in forward_parameters else {}
    with torch.no_grad():
        output = model(
            input_ids=input_ids, attention_mask=attention_mask, position_ids=positions, use_cache=True,
            **only_last,
        )
    stats.forward_passes += 1
    cache = _cache_of(output)
    logits = output.logits[:, -1, :]

    while True:
        running = [r for r in range(batch) if rows[r].stop_reason is None]
        if not running:
            break
        step_logits = logits[running].float()
        masks.apply_(step_logits, [rows[r].state for r in running])
        picked = sampler.pick(step_logits).tolist()

        pending: dict[int, list[int]] = {}
        for r, token in zip(running, picked):
            row = rows[r]
            if token in eos_ids:
                row.stop_reason = STOP_EOS
                continue
            state = index.next_state(row.state, token)
            if state < 0:
                raise RuntimeError(f"row {r}: token {token} is not allowed in state {row.state}")
            feed = [token]
            row.tokens.append(token)
            row.state = state
            if forced_tokens is not None:
                room = max_new_tokens - len(row.tokens)
                for forced in forced_tokens(state)[:room]:
                    feed.append(forced)
                    row.tokens.append(forced)
                    row.forced_tokens += 1
                    row.state = index.next_state(row.state, forced)
            if stop_when_accepting and index.is_accepting(row.state):
                row.stop_reason = STOP_MATCH
                continue
            if _only_eos_left(index, row.state):
                row.stop_reason = STOP_EOS  # nothing but EOS can follow: no pass needed
                continue
            if len(row.tokens) >= max_new_tokens:
                row.stop_reason = STOP_MAX_NEW_TOKENS
                continue
            pending[r] = feed
        if not pending:
            break

        width = max(len(feed) for feed in pending.values())
        block = torch.full((batch, width), pad_token_id, dtype=torch.long, device=device)
        block_mask = torch.zeros((batch, width), dtype=attention_mask.dtype, device=device)
        last = torch.zeros(batch, dtype=torch.long, device=device)
        for r, feed in pending.items():
            block[r, : len(feed)] = torch.tensor(feed, dtype=torch.long, device=device)
            block_mask[r, : len(feed)] = 1
            last[r] = len(feed) - 1
        block_positions = next_position.unsqueeze(1) + torch.arange(width, device=device).unsqueeze(0)
        attention_mask = torch.cat([attention_mask, block_mask], dim=1)
        with torch.no_grad():
            output = model(
                input_ids=block,
                attention_mask=attention_mask,
                position_ids=block_positions,
                use_cache=True,
                **{cache_argument: cache},
            )
        stats.forward_passes += 1
        cache = _cache_of(output)
        next_position = next_position + block_mask.long().sum(dim=1)
        logits = output.logits[torch.arange(batch, device=device), last, :]

    for row in rows:
        stats.generated_tokens += len(row.tokens)
        stats.forced_tokens += row.forced_tokens
    return rows, stats


def _only_eos_left(index, state: int) -> bool:
    """The state accepts and allows nothing but EOS."""
    if not index.is_accepting(state):
        return False
    return index.allowed_token_ids(state).size == index.eos_token_ids.size


def _cache_of(output):
    cache = getattr(output, "cache", None)
    return cache if cache is not None else output.past_key_values
