"""`RegexLogitsProcessor`: a transformers `LogitsProcessor` that keeps every row inside a `TokenIndex`.

Takes, at each generation step, `input_ids` int64[batch, length] (prompt, left-padded, then the
tokens generated so far) and `scores` float[batch, V]; gives the same `scores` with `-inf` on
every token the row's index state does not allow.

Per row it keeps one index state. The first call records the prompt length; each later call
advances every unfinished row with its last token (`TokenIndex.next_state`) and then applies the
rows' masks: one gather of packed rows and one masked fill (`decode.masking`). A row that has
emitted an EOS id is finished and from then on allows only EOS (and `pad_token_id`), which is
what transformers feeds such rows. When the generated tokens of some row are not the
continuation of what was seen before (beam search reorders rows), that row's state is rebuilt
from its generated tokens.

    processor = RegexLogitsProcessor(index)
    model.generate(**inputs, logits_processor=LogitsProcessorList([processor]), ...)

One processor follows one `generate` call; call `reset()` (or make a new one) before the next.
After the call, `finish(sequences)` takes in the last token (which no processor call sees) and
gives per output row the state, stop reason and generated-token count the processor tracked,
so the result needs no second walk of the index. A row that a stopping criterion of the caller
ended is padded by transformers with `pad_token_id`: where the index does not allow that token,
the row is finished with stop reason "stop" (where it does allow it, the pad reads as text, or
as an EOS when the pad is an EOS id).
"""
from __future__ import annotations

import numpy as np
import torch
from transformers import LogitsProcessor

from decode.errors import MaskingError, TokenNotAllowedError
from decode.loop import STOP_EOS, STOP_OTHER
from decode.masking import apply_token_bitmask_, device_masks

__all__ = ["RegexLogitsProcessor", "TokenNotAllowedError"]


class RegexLogitsProcessor(LogitsProcessor):
    """Masks logits so every row's generated text stays a prefix of a full match of the index's pattern.

    index: an `automaton.TokenIndex` built with the model's logits width.
    pad_token_id: also allowed in finished rows (transformers writes pad there after EOS).
    """

    def __init__(self, index, *, pad_token_id: int | None = None):
        self.index = index
        self.pad_token_id = pad_token_id
        self._masks = device_masks(index)
        self._eos = frozenset(int(i) for i in np.asarray(index.eos_token_ids).tolist())
        self._finished_row_host = self._finished_row(index, pad_token_id)
        self._finished_row_on: dict[torch.device, torch.Tensor] = {}
        self.reset()

    # -- state -------------------------------------------------------------------------------

    def reset(self) -> None:
        """Forget the rows, so the next call starts a new generation."""
        self.prompt_length: int | None = None
        self.states: list[int] = []
        self.finished: list[bool] = []
        self.stop_reasons: list[str | None] = []  # "eos", "stop" (padded by a caller's stop), None: running
        self.lengths: list[int] = []  # generated tokens taken in per row (EOS and padding not counted)
        self._prompt: torch.Tensor | None = None
        self._generated: torch.Tensor | None = None

    def accepting(self) -> list[bool]:
        """Per row: the text generated so far is a full match of the pattern."""
        return [bool(self.index.accepting[state]) for state in self.states]

    def advance(self, input_ids: torch.Tensor) -> None:
        """Bring the row states up to `input_ids` (calling it twice with the same ids is harmless)."""
        ids = input_ids.detach().cpu()
        prompt_length = self.prompt_length
        if (
            prompt_length is None
            or ids.shape[0] != len(self.states)
            or ids.shape[1] < prompt_length
            or not torch.equal(ids[:, :prompt_length], self._prompt)
        ):
            self._start(ids)
            return
        generated = ids[:, prompt_length:]
        seen = self._generated.shape[1]
        if generated.shape[1] == seen + 1 and torch.equal(generated[:, :seen], self._generated):
            for row, token in enumerate(generated[:, -1].tolist()):
                self._step(row, token, seen)
        elif not torch.equal(generated, self._generated):
            self._rebuild(generated)
        self._generated = generated

    def finish(self, sequences: torch.Tensor) -> list[tuple[int, str | None, int]]:
        """Per row of `sequences` (what `model.generate` returned: prompt + generated ids):
        (final index state, stop reason "eos" / "stop" or None when the row was still running,
        number of generated tokens before the stop).

        The rows followed during generation take in their last token; rows the output reorders
        or selects (beam search) are rebuilt from their generated tokens.
        """
        if self.prompt_length is None:
            raise ValueError("finish() needs a processor that took part in the generate call")
        ids = sequences.detach().cpu()
        prompt_length = self.prompt_length
        if ids.shape[0] == len(self.states) and torch.equal(ids[:, :prompt_length], self._prompt):
            self.advance(ids)
        else:
            self._prompt = ids[:, :prompt_length]
            self._generated = ids[:, prompt_length:]
            self._rebuild(self._generated)
        return list(zip(self.states, self.stop_reasons, self.lengths))

    # -- the LogitsProcessor call -------------------------------------------------------------

    def __call__(self, input_ids: torch.Tensor, scores: torch.Tensor) -> torch.Tensor:
        self.advance(input_ids)
        if not scores.is_contiguous():
            scores = scores.contiguous()
        if scores.dim() != 2 or scores.shape[0] != len(self.states):
            raise MaskingError(f"scores shape {tuple(scores.shape)} does not fit {len(self.states)} rows of input_ids")
        if scores.shape[1] < self._masks.logits_width:
            raise MaskingError(
                f"the logits have {scores.shape[1]} columns but the index was built for "
                f"{self._masks.logits_width}: build it with the model's logits width (model.config.vocab_size)"
            )
        rows = self._masks.rows(self.states, scores.device)
        if any(self.finished):
            finished = torch.tensor(self.finished, device=scores.device)
            rows[finished] = self._finished_row_on_device(scores.device)
        return apply_token_bitmask_(scores, rows)

    # -- internals ------------------------------------------------------------------------------

    def _start(self, ids: torch.Tensor) -> None:
        self.prompt_length = ids.shape[1]
        self._reset_rows(ids.shape[0])
        self._prompt = ids
        self._generated = ids[:, self.prompt_length :]

    def _reset_rows(self, batch: int) -> None:
        self.states = [self.index.initial_state] * batch
        self.finished = [False] * batch
        self.stop_reasons = [None] * batch
        self.lengths = [0] * batch

    def _step(self, row: int, token: int, step: int) -> None:
        if self.finished[row]:
            return
        state = self.states[row]
        following = self.index.next_state(state, token)
        if following < 0:
            if token == self.pad_token_id:
                self._stop(row, STOP_OTHER)  # transformers pads a row a stopping criterion ended
                return
            raise TokenNotAllowedError(row, token, state, step)
        if token in self._eos:
            self._stop(row, STOP_EOS)  # an allowed EOS leaves the state as it is
            return
        self.states[row] = following
        self.lengths[row] += 1

    def _stop(self, row: int, reason: str) -> None:
        self.finished[row] = True
        self.stop_reasons[row] = reason

    def _rebuild(self, generated: torch.Tensor) -> None:
        """Recompute every row from its generated tokens (rows were reordered)."""
        self._reset_rows(generated.shape[0])
        for row, tokens in enumerate(generated.tolist()):
            for step, token in enumerate(tokens):
                if self.finished[row]:
                    break
                self._step(row, token, step)

    @staticmethod
    def _finished_row(index, pad_token_id) -> torch.Tensor:
        words = np.asarray(index.masks).shape[1]
        row = np.zeros(words, dtype=np.uint32)
        allowed = [int(i) for i in np.asarray(index.eos_token_ids).tolist()]
        if pad_token_id is not None and 0 <= pad_token_id < index.logits_width:
            allowed.append(int(pad_token_id))
        for token in allowed:
            row[token >> 5] |= np.uint32(1) << np.uint32(token & 31)
        return torch.from_numpy(row.view(np.int32))

    def _finished_row_on_device(self, device: torch.device) -> torch.Tensor:
        row = self._finished_row_on.get(device)
        if row is None:
            row = self._finished_row_host.to(device)
            self._finished_row_on[device] = row
        return row

