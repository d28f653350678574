"""The per-request side of `AutomatonLogitsProcessor`, shared by vLLM's two model runners.

`RequestTable` compiles each request's constraint for the served vocabulary once (`Entry`,
kept by constraint, at most 64 unused ones), follows each constrained request's index state
(`ConstrainedRequest`) through the tokens it produces (`advance`), and per step gives the
mask rows of a batch in one gather (`batch_masks`): the rows of every index in use live in one
table on the logits' device, after an all-ones row for free requests.

    W = ceil(V / 32) words per mask row, V the served model's logits width
    Entry.masks         int32[rows, W]   the index's mask rows, packed (`TokenIndex.dense_masks`)
    Entry.row_of_state  int64[states]    the mask row of each index state
    the table           int32[1 + rows of the entries in use, W], on the logits' device

A request whose index cannot be built, or whose output leaves its index (the mask was bypassed),
gets the EOS-only entry: it may only end, never run unconstrained.
"""
from __future__ import annotations

import json
import logging
import threading
from collections import OrderedDict
from pathlib import Path

import numpy as np
import torch

from automaton.errors import AutomatonError
from decode.errors import RequestConstraintError
from decode.vllm.constraints import Constraint, request_constraint
from decode.vllm.vocabulary import served_vocabulary

__all__ = ["RequestTable", "ConstrainedRequest", "Entry"]

_KEPT_INDEXES = 64
logger = logging.getLogger("decode.vllm")


class Entry:
    """A compiled constraint: the index (None when it failed: EOS only), its first row in the table."""

    __slots__ = ("index", "eos", "row_of_state", "offset", "masks")

    def __init__(self, index, masks: np.ndarray, row_of_state: np.ndarray):
        self.index = index
        self.eos = frozenset(np.asarray(index.eos_token_ids).tolist()) if index is not None else frozenset()
        self.masks = masks
        self.row_of_state = row_of_state.astype(np.int64)
        self.offset = -1


class ConstrainedRequest:
    """One constrained request: its entry, its index state, and how many output tokens it has
    consumed (`seen`). `output` is vLLM's live output list where the runner shares one (V1)."""

    __slots__ = ("entry", "state", "output", "seen")

    def __init__(self, entry: Entry, output: list[int] | None = None):
        self.entry = entry
        self.state = entry.index.initial_state if entry.index is not None else 0
        self.output = output
        self.seen = 0

    def mask_row(self) -> int:
        """The row of the current state in the table (valid once `batch_masks` placed the entry)."""
        return self.entry.offset + int(self.entry.row_of_state[self.state])


class RequestTable:
    """Compiled constraints and the mask table of one processor (one model, one device)."""

    def __init__(self, model_config):
        self._model_config = model_config
        self._vocabulary = None
        self._entries: OrderedDict[Constraint, Entry] = OrderedDict()
        self._table: torch.Tensor | None = None  # int32[1 + rows of the entries placed, W] on a device
        self._host_table: np.ndarray | None = None  # the same rows on the host
        self._table_entries: tuple = ()
        self._lock = threading.Lock()

    def vocabulary(self):
        """The served model's `automaton.Vocabulary` (built once, at the first constrained request)."""
        with self._lock:
            if self._vocabulary is None:
                self._vocabulary = served_vocabulary(self._model_config)
            return self._vocabulary

    # -- requests ---------------------------------------------------------------------------------

    def request(self, params, where: str, live: list[ConstrainedRequest],
                output: list[int] | None = None) -> ConstrainedRequest | None:
        """The constrained request for `params` (None: no constraint, it runs free). `where` names
        it in logs; `live` are the requests still running (their entries are kept)."""
        try:
            constraint = request_constraint(getattr(params, "extra_args", None))
        except RequestConstraintError as error:  # admission checks this; a request that bypassed it
            logger.error("request at %s: %s; it may only end (EOS)", where, error)
            constraint = Constraint("invalid", str(error))
        if constraint is None:
            return None
        return ConstrainedRequest(self._entry(constraint, live), output)

    def advance(self, request: ConstrainedRequest, tokens) -> None:
        """Consume `tokens` (output ids in order) from the request's state; a negative id is a
        placeholder for a token not sampled yet (vLLM's async scheduling): stop there."""
        index = request.entry.index
        for token in tokens:
            token = int(token)
            if token < 0:
                return
            request.seen += 1
            if index is None or token in request.entry.eos:
                continue  # an EOS leaves the state as it is (the request ends)
            following = index.next_state(request.state, token)
            if following < 0:
                logger.error(
                    "token %d is not allowed in state %d of %s: the mask was bypassed; the request may only end",
                    token, request.state, index.pattern[:80] or "the index",
                )
                request.entry, request.state = self._failed_entry(), 0
                return
            request.state = following

    # -- the step ---------------------------------------------------------------------------------

    def batch_masks(self, picks: list[tuple[int, ConstrainedRequest]], n_rows: int,
                    device: torch.device) -> torch.Tensor:
        """int32[n_rows, W] on `device`: row i the mask of the request picked for logits row i,
        all ones where none is. One gather from the table (numpy's `take` on the CPU: one
        thread, no pool to wake; `index_select` elsewhere)."""
        table = self._mask_table(device, [request for _, request in picks])
        rows = np.zeros(n_rows, dtype=np.int64)  # row 0: all tokens (free requests)
        for position, request in picks:
            rows[position] = request.mask_row()
        if table.device.type == "cpu":
            return torch.from_numpy(self._host_table.take(rows, axis=0))
        return table.index_select(0, torch.from_numpy(rows).to(table.device, non_blocking=True))

    def _mask_table(self, device: torch.device, requests: list[ConstrainedRequest]) -> torch.Tensor:
        """All mask rows of the entries of `requests`, one table on `device` (rebuilt when they change)."""
        in_use = tuple(dict.fromkeys(request.entry for request in requests))
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

    # -- compiled constraints ---------------------------------------------------------------------

    def _entry(self, constraint: Constraint, live: list[ConstrainedRequest]) -> Entry:
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
        entry = Entry(index, np.ascontiguousarray(masks, dtype=np.int32), row_of_state)
        self._entries[constraint] = entry
        if len(self._entries) > _KEPT_INDEXES:
            self._evict({id(request.entry) for request in live})
        return entry

    def _evict(self, in_use: set[int]) -> None:
        for key in list(self._entries):
            if len(self._entries) <= _KEPT_INDEXES:
                break
            if id(self._entries[key]) not in in_use:
                del self._entries[key]

    def _failed_entry(self) -> Entry:
        entry = self._entries.get(Constraint("failed", ""))
        if entry is None:
            vocabulary = self.vocabulary()
            words = (vocabulary.logits_width + 31) // 32
            row = np.zeros((1, words), dtype=np.uint32)
            for eos in vocabulary.eos_token_ids:
                row[0, eos // 32] |= np.uint32(1 << (eos % 32))
            entry = Entry(None, row.view(np.int32), np.zeros(1, np.int64))
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
