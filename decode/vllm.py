"""`AutomatonLogitsProcessor`: token indexes inside vLLM, one constraint per request.

    from vllm import LLM, SamplingParams
    from decode.vllm import AutomatonLogitsProcessor

    llm = LLM(model=str(decode.models.default_model_path()), logits_processors=[AutomatonLogitsProcessor])
    llm.generate(prompts, [SamplingParams(extra_args={"regex": r"\\d{3}-\\d{4}"}),
                           SamplingParams(extra_args={"json_schema": schema, "layout": "compact"}),
                           SamplingParams(extra_args={"index": "date.index"}),
                           SamplingParams()])                       # no constraint: runs free

    vllm serve MODEL --logits-processors decode.vllm:AutomatonLogitsProcessor
    # the OpenAI-compatible server passes "vllm_xargs": {"regex": "..."} through as extra_args

Each request names at most one constraint in `SamplingParams.extra_args`: "regex" (a pattern),
"json_schema" (a dict or JSON text, with an optional "layout": "spaced", "compact" or an int
indent, as in `automaton.compile_index`), or "index" (the path of an index file built for the
served model's vocabulary). Its output then fully matches the constraint when it stops on EOS
(EOS ids are allowed only in accepting states); requests without one are left alone.

Where the work happens:
  - admission (vLLM's front end, `validate_params`): the constraint is checked and its pattern or
    schema compiled to a DFA (memoized), so a bad pattern fails its own request at once with a
    `RequestConstraintError` naming the problem (vLLM's server answers HTTP 400), never running
    unconstrained. An index file's header and checksum are read there too.
  - the worker (`update_state`, once per step): an added request's index is built for the model's
    vocabulary (`automaton.compile_index`, which reuses the shared index cache; a new pattern
    holds the step up by its own build time only), each running request is advanced by the tokens
    it produced since the last step, and rows are followed through vLLM's moves and swaps.
  - `apply(logits)`: the mask rows of every index in use live in one table on the logits'
    device (an all-ones row first, for free requests); per step ONE gather of a row per request
    (numpy's `take` on the CPU, `index_select` elsewhere) and ONE masked fill of the whole batch
    (`decode.masking.apply_token_bitmask_`).

The vocabulary is the served tokenizer's (`model_config.tokenizer`, a local folder read with the
`tokenizers` library, else loaded with transformers) at the model's logits width, with the EOS
ids vLLM stops on: the tokenizer's and those of the model's generation config. An index that no
longer fits (an index file of another vocabulary, a pattern that this vocabulary cannot spell)
is found only in the worker: that request is then allowed nothing but EOS (it ends at once with
an empty output, never unconstrained) and the error is logged.

This is vLLM's V1 logits-processor interface (`vllm.v1.sample.logits_processor`), the one the
V1 model runner loads; vLLM picks that runner on CPUs (and wherever `VLLM_USE_V2_MODEL_RUNNER=0`).
Speculative decoding is not supported (vLLM refuses custom logits processors with it).
"""
from __future__ import annotations

import functools
import json
import logging
import threading
from collections import OrderedDict
from pathlib import Path
from typing import Any

import numpy as np
import torch
from vllm.v1.sample.logits_processor import BatchUpdate, LogitsProcessor, MoveDirectionality

from automaton.errors import AutomatonError
from decode.errors import RequestConstraintError
from decode.masking import apply_token_bitmask_

__all__ = ["AutomatonLogitsProcessor", "Constraint", "request_constraint", "check_constraint", "served_vocabulary",
           "CONSTRAINT_KEYS"]

CONSTRAINT_KEYS = ("regex", "json_schema", "index")
_LAYOUTS = ("spaced", "compact")
_KEPT_INDEXES = 64
logger = logging.getLogger(__name__)


class Constraint(tuple):
    """(kind, text, layout): kind "regex" / "json_schema" / "index"; text the pattern, the schema
    as JSON text (its property order is the output's), or the index file's path; layout the
    schema layout (None otherwise). Hashable."""

    __slots__ = ()

    def __new__(cls, kind: str, text: str, layout: str | int | None = None):
        return super().__new__(cls, (kind, text, layout))

    kind = property(lambda self: self[0])
    text = property(lambda self: self[1])
    layout = property(lambda self: self[2])

    def describe(self) -> str:
        shown = self.text if len(self.text) <= 80 else self.text[:77] + "..."
        return f"{self.kind} {shown!r}" + (f" (layout {self.layout!r})" if self.layout is not None else "")


def request_constraint(extra_args: dict | None) -> Constraint | None:
    """The constraint a request's `extra_args` name (None: none), its form checked.

    Raises `RequestConstraintError` for two constraints at once, values of the wrong type, a
    layout without a schema or an unknown layout. Other keys of `extra_args` are ignored.
    """
    if not extra_args:
        return None
    named = [key for key in CONSTRAINT_KEYS if extra_args.get(key) is not None]
    layout = extra_args.get("layout")
    if not named:
        if layout is not None:
            raise RequestConstraintError("extra_args has a 'layout' but no 'json_schema' to apply it to")
        return None
    if len(named) > 1:
        raise RequestConstraintError(f"extra_args names {' and '.join(map(repr, named))}: give at most one constraint")
    kind = named[0]
    value = extra_args[kind]
    if layout is not None and kind != "json_schema":
        raise RequestConstraintError(f"extra_args has a 'layout', which only applies to 'json_schema', not {kind!r}")
    if kind == "json_schema":
        if isinstance(value, str):
            try:
                value = json.loads(value)
            except json.JSONDecodeError as error:
                raise RequestConstraintError(f"extra_args 'json_schema' is not valid JSON: {error}") from None
        if not isinstance(value, (dict, bool)):
            raise RequestConstraintError(
                f"extra_args 'json_schema' must be a JSON object (a dict or its JSON text), got {type(value).__name__}"
            )
        layout = "spaced" if layout is None else layout
        if not (layout in _LAYOUTS or (isinstance(layout, int) and not isinstance(layout, bool) and layout >= 0)):
            raise RequestConstraintError(
                f"extra_args 'layout' must be 'spaced', 'compact' or an indent (int >= 0), got {layout!r}"
            )
        return Constraint(kind, json.dumps(value, ensure_ascii=False), layout)  # key order kept: it is the output's
    if not isinstance(value, str) or (kind == "index" and not value):
        what = "a pattern string" if kind == "regex" else "the path of an index file"
        raise RequestConstraintError(f"extra_args {kind!r} must be {what}, got {type(value).__name__}")
    return Constraint(kind, value)


def check_constraint(extra_args: dict | None) -> Constraint | None:
    """What admission checks (`validate_params`): the constraint's form, and that it compiles as
    far as it can without the served vocabulary. Raises `RequestConstraintError`."""
    constraint = request_constraint(extra_args)
    if constraint is not None:
        _check_compiles(constraint)
    return constraint


@functools.lru_cache(maxsize=256)
def _check_compiles(constraint: Constraint) -> None:
    """What can be checked without the vocabulary: the DFA compiles, the index file reads."""
    import automaton

    try:
        if constraint.kind == "regex":
            automaton.compile_dfa(constraint.text)
        elif constraint.kind == "json_schema":
            automaton.compile_dfa(schema=json.loads(constraint.text), layout=constraint.layout)
        else:
            automaton.load_index(constraint.text)
    except (AutomatonError, OSError) as error:
        raise RequestConstraintError(f"the request's {constraint.describe()} cannot be used: {error}") from None


class _Row:
    """One constrained request: its compiled entry, index state, and vLLM's live output list."""

    __slots__ = ("entry", "state", "output", "seen")

    def __init__(self, entry, output: list[int]):
        self.entry = entry
        self.state = entry.index.initial_state if entry.index is not None else 0
        self.output = output
        self.seen = 0


class _Entry:
    """A compiled constraint: the index (None when it failed: EOS only), its first row in the table."""

    __slots__ = ("index", "eos", "row_of_state", "offset", "masks")

    def __init__(self, index, masks: np.ndarray, row_of_state: np.ndarray):
        self.index = index
        self.eos = frozenset(np.asarray(index.eos_token_ids).tolist()) if index is not None else frozenset()
        self.masks = masks
        self.row_of_state = row_of_state.astype(np.int64)
        self.offset = -1


class AutomatonLogitsProcessor(LogitsProcessor):
    """vLLM (V1 interface) logits processor: each request keeps to the constraint of its `extra_args`."""

    @classmethod
    def validate_params(cls, sampling_params) -> None:
        check_constraint(getattr(sampling_params, "extra_args", None))

    def __init__(self, vllm_config, device: torch.device, is_pin_memory: bool):
        self._model_config = vllm_config.model_config
        if getattr(vllm_config, "speculative_config", None) is not None:
            raise RequestConstraintError("AutomatonLogitsProcessor does not support speculative decoding")
        self._device = device
        self._vocabulary = None
        self._rows: dict[int, _Row] = {}
        self._entries: OrderedDict[Constraint, _Entry] = OrderedDict()
        self._table: torch.Tensor | None = None  # int32[1 + rows of the entries in use, W] on `device`
        self._host_table: np.ndarray | None = None  # the same rows on the host
        self._table_entries: tuple = ()
        self._lock = threading.Lock()

    def is_argmax_invariant(self) -> bool:
        return False  # masking changes which token is the most likely

    # -- requests entering, leaving and moving ----------------------------------------------------

    def update_state(self, batch_update: BatchUpdate | None) -> None:
        if batch_update is not None:
            for position in batch_update.removed:
                self._rows.pop(position, None)
            for position, params, _prompt, output in batch_update.added:
                self._add(position, params, output)
            for first, second, direction in batch_update.moved:
                moving = self._rows.pop(first, None)
                if direction == MoveDirectionality.SWAP:
                    staying = self._rows.pop(second, None)
                    if staying is not None:
                        self._rows[first] = staying
                else:
                    self._rows.pop(second, None)
                if moving is not None:
                    self._rows[second] = moving
        for row in self._rows.values():
            if len(row.output) > row.seen:
                self._advance(row)

    def _add(self, position: int, params, output: list[int]) -> None:
        self._rows.pop(position, None)
        try:
            constraint = request_constraint(getattr(params, "extra_args", None))
        except RequestConstraintError as error:  # admission checks this; a request that bypassed it
            logger.error("request at batch position %d: %s; it may only end (EOS)", position, error)
            constraint = Constraint("invalid", str(error))
        if constraint is None:
            return
        self._rows[position] = _Row(self._entry(constraint), output)

    def _advance(self, row: _Row) -> None:
        index = row.entry.index
        for token in row.output[row.seen :]:
            if token < 0:  # a placeholder for a token not sampled yet (async scheduling): wait for it
                return
            row.seen += 1
            if index is None or token in row.entry.eos:
                continue  # an EOS leaves the state as it is (the request ends)
            following = index.next_state(row.state, int(token))
            if following < 0:
                logger.error(
                    "token %d is not allowed in state %d of %s: the mask was bypassed; the request may only end",
                    token, row.state, index.pattern[:80] or "the index",
                )
                row.entry, row.state = self._failed_entry(), 0
                return
            row.state = following

    # -- compiled constraints ---------------------------------------------------------------------

    def _entry(self, constraint: Constraint) -> _Entry:
        entry = self._entries.get(constraint)
        if entry is not None:
            self._entries.move_to_end(constraint)
            return entry
        try:
            index = self._compile(constraint)
        except (AutomatonError, OSError, ValueError) as error:
            logger.error("the request's %s cannot be used: %s; it may only end (EOS)", constraint.describe(), error)
            return self._failed_entry()
        masks, row_of_state = index.dense_masks()
        entry = _Entry(index, np.ascontiguousarray(masks, dtype=np.int32), row_of_state)
        self._entries[constraint] = entry
        if len(self._entries) > _KEPT_INDEXES:
            self._evict()
        return entry

    def _evict(self) -> None:
        in_use = {id(row.entry) for row in self._rows.values()}
        for key in list(self._entries):
            if len(self._entries) <= _KEPT_INDEXES:
                break
            if id(self._entries[key]) not in in_use:
                del self._entries[key]

    def _failed_entry(self) -> _Entry:
        entry = self._entries.get(Constraint("failed", ""))
        if entry is None:
            vocabulary = self.vocabulary()
            words = (vocabulary.logits_width + 31) // 32
            row = np.zeros((1, words), dtype=np.uint32)
            for eos in vocabulary.eos_token_ids:
                row[0, eos // 32] |= np.uint32(1 << (eos % 32))
            entry = _Entry(None, row.view(np.int32), np.zeros(1, np.int64))
            self._entries[Constraint("failed", "")] = entry
        return entry

    def _compile(self, constraint: Constraint):
        import automaton

        vocabulary = self.vocabulary()
        if constraint.kind == "regex":
            return automaton.compile_index(constraint.text, vocabulary)
        if constraint.kind == "json_schema":
            return automaton.compile_index(schema=json.loads(constraint.text), vocabulary=vocabulary,
                                           layout=constraint.layout)
        if constraint.kind == "index":
            return automaton.load_index(Path(constraint.text), vocabulary=vocabulary)
        raise RequestConstraintError(constraint.text)

    def vocabulary(self):
        """The served model's `automaton.Vocabulary` (built once, at the first constrained request)."""
        with self._lock:
            if self._vocabulary is None:
                self._vocabulary = served_vocabulary(self._model_config)
            return self._vocabulary

    # -- the step ---------------------------------------------------------------------------------

    def apply(self, logits: torch.Tensor) -> torch.Tensor:
        if not self._rows:
            return logits
        table = self._mask_table(logits.device)
        picks = np.zeros(logits.shape[0], dtype=np.int64)  # row 0: all tokens (free requests)
        for position, row in self._rows.items():
            if position < logits.shape[0]:
                picks[position] = row.entry.offset + row.entry.row_of_state[row.state]
        if table.device.type == "cpu":  # numpy's take: one thread, no pool to wake
            rows = torch.from_numpy(self._host_table.take(picks, axis=0))
        else:
            rows = table.index_select(0, torch.from_numpy(picks).to(table.device, non_blocking=True))
        return apply_token_bitmask_(logits, rows)

    def _mask_table(self, device: torch.device) -> torch.Tensor:
        """All mask rows of the entries in use, one table on `device` (rebuilt when they change)."""
        in_use = tuple(dict.fromkeys(row.entry for row in self._rows.values()))
        if self._table is not None and self._table.device == device and set(in_use) <= set(self._table_entries):
            return self._table
        words = in_use[0].masks.shape[1]
        parts = [np.full((1, words), -1, dtype=np.int32)]
        offset = 1
        for entry in in_use:
            entry.offset = offset
            parts.append(entry.masks)
            offset += entry.masks.shape[0]
        self._host_table = np.concatenate(parts)
        self._table = torch.from_numpy(self._host_table).to(device)
        self._table_entries = in_use
        return self._table


def served_vocabulary(model_config) -> Any:
    """The `automaton.Vocabulary` of the model vLLM serves: its tokenizer, its logits width, and
    the EOS ids vLLM stops on (the tokenizer's and the generation config's)."""
    from automaton import Vocabulary

    width = int(model_config.get_vocab_size())
    eos: set[int] = set()
    generation = model_config.try_get_generation_config() or {}
    configured = generation.get("eos_token_id")
    if isinstance(configured, int):
        eos.add(configured)
    elif configured:
        eos.update(int(i) for i in configured)
    folder = Path(str(model_config.tokenizer))
    if (folder / "tokenizer.json").is_file():
        vocabulary = Vocabulary.from_pretrained(folder, logits_width=width)  # the folder's own EOS ids
        if eos <= set(vocabulary.eos_token_ids):
            return vocabulary
        return Vocabulary.from_pretrained(folder, eos_token_ids=sorted(eos | set(vocabulary.eos_token_ids)),
                                          logits_width=width)
    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(
        str(model_config.tokenizer), revision=getattr(model_config, "tokenizer_revision", None),
        trust_remote_code=bool(getattr(model_config, "trust_remote_code", False)),
    )
    if isinstance(tokenizer.eos_token_id, int):
        eos.add(tokenizer.eos_token_id)
    return Vocabulary.from_tokenizer(tokenizer, eos_token_ids=sorted(eos), logits_width=width)
