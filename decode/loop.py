"""The constrained generation loop: KV-cached, batched, with jump-forward over forced text.

Takes a causal LM, a `TokenIndex` and tokenized prompts; gives, per row, a `RowOutcome`: what
the loop knew when the row stopped (the generated ids, why it stopped, the index state it
ended in, its prompt's token count, how many tokens were forced rather than sampled), so that
callers read results from it without walking the index again. Also holds `ForcedTokenizer`
(the jump-forward spelling of forced text) and the stop reasons `STOP_*`.

Each step masks the next-token logits of every running row with its state's row, picks one
token per row (greedy or sampled), and then, with `jump_forward`, appends the text the
pattern forces from the new state (JSON keys, quotes, colons, closing braces) without
sampling. All appended tokens go through the model in ONE forward pass: rows in a block
are left-aligned and padded on the right with masked-out positions, so rows forcing
different lengths share the pass, and logits are computed only for the block's last
positions that some row needs. Text forced from the initial state goes in with the prompt.
A row whose state accepts and allows nothing but EOS ends at once, without a forward pass.

Forced text is tokenized the way the tokenizer would write it alone; where a free part
follows and the tokenizer could spell the last forced token differently together with
what comes next, that token is held back and left to the model (see `ForcedTokenizer`).

Tensors: prompt ids [batch, prompt_len] left-padded; attention mask [batch, total_len]
(1 = real token); per-step logits [batch, V] float.
"""
from __future__ import annotations

import inspect
from dataclasses import dataclass, field

import numpy as np
import torch

from decode.errors import MaskingError, TokenNotAllowedError
from decode.masking import apply_token_bitmask_, device_masks

__all__ = [
    "RowOutcome",
    "LoopStats",
    "Sampler",
    "run_constrained_loop",
    "ForcedTokenizer",
    "STOP_EOS",
    "STOP_MAX_NEW_TOKENS",
    "STOP_MATCH",
    "STOP_OTHER",
]

STOP_EOS = "eos"  # an EOS was picked, or the state accepts and allows nothing but EOS
STOP_MAX_NEW_TOKENS = "max_new_tokens"
STOP_MATCH = "match"  # stop_when_accepting (generate's stop_when_matched): the text fully matches
STOP_OTHER = "stop"  # a stopping criterion or stop string of the caller (only through model.generate)


@dataclass
class RowOutcome:
    """What the loop knew of one row when it stopped.

    tokens: the generated ids, forced ones included, EOS excluded (no EOS is ever appended).
    stop_reason: one of the `STOP_*` values ("eos", "max_new_tokens", "match", "stop").
    forced_tokens: how many of `tokens` jump-forward appended without sampling.
    state: the index state after `tokens` (an EOS leaves it unchanged).
    prompt_tokens: the row's real prompt tokens (padding and forced opening text not counted).
    """

    tokens: list[int] = field(default_factory=list)
    stop_reason: str | None = None
    forced_tokens: int = 0
    state: int = 0
    prompt_tokens: int = 0


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

    `tokenizer.encode` spells the forced text alone. Where a free part follows, the last forced
    token may merge with what comes next in the tokenizer's spelling of the whole text: that
    needs a run of allowed tokens from the state before it that covers its bytes and reaches
    past them (e.g. `":` then `""` for an empty string after `"name":"`). Each such run's bytes
    past the end are appended to the forced text and spelled by the tokenizer; only where one
    of those spellings does not begin with the forced tokens is the last token held back and
    left to the model. Without a tokenizer spelling (the index's sole tokens instead), any run
    that reaches past the end holds it back.

    Calling it gives the tokens to feed after a sampled token (a token that may merge is held
    back only when it is not the only one: feeding it still saves a pass); `opening` gives the
    tokens to feed with the prompt (every token that may merge is held back). Both are [] when
    the forced bytes cannot be spelled with tokens the index allows (the row then samples).
    Results are kept per state.
    """

    def __init__(self, index, tokenizer):
        self.index = index
        self.tokenizer = tokenizer
        self._token_lengths = np.diff(np.asarray(index.token_offsets, dtype=np.int64))
        self._spelled: dict[int, tuple[list[int], bool]] = {}
        self._after_token: dict[int, list[int]] = {}

    def __call__(self, state: int) -> list[int]:
        found = self._after_token.get(state)
        if found is None:
            ids, last_may_merge = self.spelling(state)
            found = ids[:-1] if last_may_merge and len(ids) > 1 else ids
            self._after_token[state] = found
        return found

    def opening(self, state: int) -> list[int]:
        """The forced tokens to feed before any sampling (with the prompt)."""
        ids, last_may_merge = self.spelling(state)
        return ids[:-1] if last_may_merge else ids

    def spelling(self, state: int) -> tuple[list[int], bool]:
        """(ids spelling the forced text from `state`, whether the last one may merge with what follows)."""
        found = self._spelled.get(state)
        if found is None:
            found = self._spell(state)
            self._spelled[state] = found
        return found

    def _spell(self, state: int) -> tuple[list[int], bool]:
        index = self.index
        text = _complete_characters(index.forced_bytes(state))
        ids = self._encoded(state, text)
        if not ids:
            ids, text = index.forced_tokens(state), None
        if not ids:
            return [], False
        if _only_eos_left(index, index.advance(state, ids)):
            return ids, False  # the pattern ends with the forced text: nothing to merge with
        overhangs = self._overhangs(index.advance(state, ids[:-1]), int(self._token_lengths[ids[-1]]))
        if text is None:
            return ids, bool(overhangs)
        return ids, any(not self._keeps_spelling(text, ids, overhang) for overhang in overhangs)

    def _encoded(self, state: int, text: bytes) -> list[int]:
        """The tokenizer's spelling of `text` (forced from `state`), or [] where the index does not allow it."""
        if not text:
            return []
        index = self.index
        ids = self.tokenizer.encode(text.decode("utf-8"), add_special_tokens=False)
        if b"".join(index.token_bytes(i) for i in ids) != text:
            return []  # e.g. a tokenizer that prepends a space to the text
        if index.advance(state, ids) < 0:
            return []
        return ids

    def _keeps_spelling(self, text: bytes, ids: list[int], overhang: bytes) -> bool:
        """The tokenizer spells `text + overhang` starting with `ids`."""
        try:
            longer = (text + overhang).decode("utf-8")
        except UnicodeDecodeError:
            return False  # the overhang ends inside a character: assume the worst
        return self.tokenizer.encode(longer, add_special_tokens=False)[: len(ids)] == ids

    def _overhangs(self, state: int, length: int) -> set[bytes]:
        """Bytes past the next `length` of each allowed token that some run from `state` reaches across them with.

        Inside forced text every allowed token spells a prefix of what is forced, so only
        the lengths matter on the way. Each state is met at one offset at most (forced text
        has no cycles).
        """
        index = self.index
        found: set[bytes] = set()
        pending = [(state, length)]
        seen = {state}
        while pending:
            state, left = pending.pop()
            allowed = index.allowed_token_ids(state)
            lengths = self._token_lengths[allowed]
            for token in allowed[lengths > left].tolist():
                found.add(index.token_bytes(token)[left:])
            for token in allowed[(lengths > 0) & (lengths < left)].tolist():
                following = index.next_state(state, token)
                if following not in seen:
                    seen.add(following)
                    pending.append((following, left - int(self._token_lengths[token])))
        return found


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
        index: one `TokenIndex` for every row, or a list of one per row (rows of different
            constraints in one batch: each step still masks all running rows in one fill).
        input_ids: int64[batch, prompt_len], left-padded. attention_mask: same shape, 1 = token.
        forced_tokens: callable state -> list of forced ids (a `ForcedTokenizer`), or None
            to sample every token (no jump-forward); with a list of indexes, a list of one per
            row. Where it has an `opening` method, the text forced from the initial state is
            fed with the prompt when every row forces the same; otherwise each row feeds its
            own in the first block, without sampling.
        stop_when_accepting: end a row as soon as its text fully matches (stop reason
            "match"), as RELLM's `stop_after_match` does. Forced text never passes through an
            accepting state, so this stops at the first full match either way.

    Returns:
        (outcomes, stats): one `RowOutcome` per row, in row order: ids, stop reason, final
        state and prompt token count as the loop knew them.
    """
    device = input_ids.device
    batch = input_ids.shape[0]
    per_row = isinstance(index, (list, tuple))
    indexes = list(index) if per_row else [index] * batch
    forcers = list(forced_tokens) if per_row and forced_tokens is not None else [forced_tokens] * batch
    eos_of = {id(i): set(int(t) for t in i.eos_token_ids.tolist()) for i in indexes}
    rows = [RowOutcome(state=i.initial_state, prompt_tokens=int(n))
            for i, n in zip(indexes, attention_mask.sum(dim=1).tolist())]
    stats = LoopStats()

    def append_forced(r: int, ids: list[int]) -> None:
        row = rows[r]
        for forced in ids[: max_new_tokens - len(row.tokens)]:
            row.tokens.append(forced)
            row.forced_tokens += 1
            row.state = indexes[r].next_state(row.state, forced)

    def finished(r: int) -> bool:
        """Sets the stop reason of a row that needs no further pass."""
        row, index = rows[r], indexes[r]
        if stop_when_accepting and index.is_accepting(row.state):
            row.stop_reason = STOP_MATCH
        elif _only_eos_left(index, row.state):
            row.stop_reason = STOP_EOS  # nothing but EOS can follow: no pass needed
        elif len(row.tokens) >= max_new_tokens:
            row.stop_reason = STOP_MAX_NEW_TOKENS
        return row.stop_reason is not None

    # Every row starts in its initial state: what it forces goes in with the prompt when all
    # rows force the same, else in the first block (`preset`).
    opening_of: dict[tuple[int, int], list[int]] = {}
    for forcer, i in zip(forcers, indexes):
        if (id(forcer), id(i)) not in opening_of:
            opening_of[id(forcer), id(i)] = _opening(forcer, i, max_new_tokens)
    openings = [opening_of[id(forcer), id(i)] for forcer, i in zip(forcers, indexes)]
    opening_ids = openings[0] if all(o == openings[0] for o in openings) else []
    preset = {} if opening_ids else {r: ids for r, ids in enumerate(openings) if ids}
    if stop_when_accepting:
        for r, i in enumerate(indexes):
            if i.is_accepting(i.initial_state):
                rows[r].stop_reason = STOP_MATCH
        if all(row.stop_reason is not None for row in rows):
            return rows, _totals(rows, stats)
    if opening_ids:
        for r in range(batch):
            if rows[r].stop_reason is None:
                append_forced(r, opening_ids)
                finished(r)
        if all(row.stop_reason is not None for row in rows):
            return rows, _totals(rows, stats)
        appended = torch.tensor([opening_ids] * batch, dtype=torch.long, device=device)
        input_ids = torch.cat([input_ids, appended], dim=1)
        attention_mask = torch.cat([attention_mask, torch.ones_like(appended, dtype=attention_mask.dtype)], dim=1)

    forward_parameters = inspect.signature(model.forward).parameters
    # Newer transformers take the KV cache as `cache`, older ones as `past_key_values`.
    cache_argument = "cache" if "cache" in forward_parameters else "past_key_values"
    # Logits only where a row's last fed token stands: the LM head is a sizeable part of a pass.
    keeps_logits = "logits_to_keep" in forward_parameters
    positions = (attention_mask.long().cumsum(dim=-1) - 1).clamp(min=0)
    next_position = positions[:, -1] + 1
    with torch.no_grad():
        output = model(
            input_ids=input_ids, attention_mask=attention_mask, position_ids=positions, use_cache=True,
            **({"logits_to_keep": 1} if keeps_logits else {}),
        )
    stats.forward_passes += 1
    cache = _cache_of(output)
    logits = output.logits[:, -1, :]
    every_row = torch.arange(batch, device=device)

    while True:
        running = [r for r in range(batch) if rows[r].stop_reason is None]
        if not running:
            break
        step_logits = logits[running].float()
        _apply_masks(step_logits, [indexes[r] for r in running], [rows[r].state for r in running])
        picked = sampler.pick(step_logits).tolist()

        pending: dict[int, list[int]] = {}
        for r, token in zip(running, picked):
            row = rows[r]
            start = len(row.tokens)
            if r in preset:  # this row's opening text, fed without sampling
                append_forced(r, preset.pop(r))
                if not finished(r):
                    pending[r] = row.tokens[start:]
                continue
            if token in eos_of[id(indexes[r])]:
                row.stop_reason = STOP_EOS
                continue
            state = indexes[r].next_state(row.state, token)
            if state < 0:
                raise TokenNotAllowedError(r, token, row.state, len(row.tokens), "the sampler picked a masked token")
            row.tokens.append(token)
            row.state = state
            if forcers[r] is not None:
                append_forced(r, forcers[r](state))
            if not finished(r):
                pending[r] = row.tokens[start:]
        if not pending:
            break

        width = max(len(feed) for feed in pending.values())
        block_rows = [[pad_token_id] * width for _ in range(batch)]
        mask_rows = [[0] * width for _ in range(batch)]
        last_of = [width - 1] * batch
        for r, feed in pending.items():
            block_rows[r][: len(feed)] = feed
            mask_rows[r][: len(feed)] = [1] * len(feed)
            last_of[r] = len(feed) - 1
        block = torch.tensor(block_rows, dtype=torch.long, device=device)
        block_mask = torch.tensor(mask_rows, dtype=attention_mask.dtype, device=device)
        block_positions = next_position.unsqueeze(1) + torch.arange(width, device=device).unsqueeze(0)
        attention_mask = torch.cat([attention_mask, block_mask], dim=1)
        # The last `kept` positions of the block hold every row's last fed token.
        kept = width - min(last_of) if keeps_logits else width
        with torch.no_grad():
            output = model(
                input_ids=block,
                attention_mask=attention_mask,
                position_ids=block_positions,
                use_cache=True,
                **{cache_argument: cache},
                **({"logits_to_keep": kept} if keeps_logits else {}),
            )
        stats.forward_passes += 1
        cache = _cache_of(output)
        next_position = next_position + block_mask.long().sum(dim=1)
        last = torch.tensor(last_of, dtype=torch.long, device=device) - (width - kept)
        logits = output.logits[every_row, last, :]

    return rows, _totals(rows, stats)


def _totals(rows: list[RowOutcome], stats: LoopStats) -> LoopStats:
    for row in rows:
        stats.generated_tokens += len(row.tokens)
        stats.forced_tokens += row.forced_tokens
    return stats


def _opening(forcer, index, max_new_tokens: int) -> list[int]:
    """The ids forced from the index's initial state (nothing without jump-forward)."""
    opening = getattr(forcer, "opening", None)
    return list(opening(index.initial_state))[:max_new_tokens] if opening is not None else []


def _apply_masks(logits: torch.Tensor, indexes: list, states: list[int]) -> None:
    """Mask row k of `logits` with the row of `states[k]` in `indexes[k]`: one gather per
    distinct index, then one masked fill of all rows."""
    first = indexes[0]
    if all(i is first for i in indexes):
        device_masks(first).apply_(logits, states)
        return
    width = max(int(i.logits_width) for i in indexes)
    if logits.shape[1] < width:
        raise MaskingError(f"logits have {logits.shape[1]} columns but an index was built for {width}")
    words = (logits.shape[1] + 31) // 32
    bitmask = torch.zeros((logits.shape[0], words), dtype=torch.int32, device=logits.device)
    groups: dict[int, list[int]] = {}
    for k, i in enumerate(indexes):
        groups.setdefault(id(i), []).append(k)
    for members in groups.values():
        rows = device_masks(indexes[members[0]]).rows([states[k] for k in members], logits.device)
        bitmask[torch.tensor(members, device=logits.device), : rows.shape[1]] = rows
    apply_token_bitmask_(logits, bitmask)


def _only_eos_left(index, state: int) -> bool:
    """The state accepts and allows nothing but EOS."""
    if not index.is_accepting(state):
        return False
    return index.allowed_token_ids(state).size == index.eos_token_ids.size


def _cache_of(output):
    cache = getattr(output, "cache", None)
    return cache if cache is not None else output.past_key_values
