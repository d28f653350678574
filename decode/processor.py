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

The processor cannot see which tokenizer the model uses: pass `tokenizer=` (or `vocabulary=`) to
have the index checked against it when the processor is made (`check_index_fits`: token count,
every token's bytes, EOS ids; `VocabularyMismatchError` when they differ). Without either, only
the logits width is checked, at the first call. With `stop_when_accepting=True` a row is finished
(stop reason "match") as soon as its text fully matches; `StopWhenMatched(processor)` is the
stopping criterion that ends such rows in `model.generate` without another token.
"""
from __future__ import annotations

import weakref

import numpy as np
import torch
from transformers import LogitsProcessor, StoppingCriteria

from decode.errors import MaskingError, TokenNotAllowedError, VocabularyMismatchError
from decode.loop import STOP_EOS, STOP_MATCH, STOP_OTHER
from decode.masking import apply_token_bitmask_, device_masks

__all__ = ["RegexLogitsProcessor", "StopWhenMatched", "TokenNotAllowedError", "check_index_fits"]


class RegexLogitsProcessor(LogitsProcessor):
    """Masks logits so every row's generated text stays a prefix of a full match of the index's pattern.

    index: an `automaton.TokenIndex` built with the model's logits width.
    pad_token_id: also allowed in finished rows (transformers writes pad there after EOS).
    tokenizer / vocabulary: the model's tokenizer (or its `automaton.Vocabulary`): when given, the
        index is checked against it at once (`check_index_fits`), so an index of another
        vocabulary raises `VocabularyMismatchError` instead of masking the wrong tokens.
        Without them only the logits width is checked (at the first call).
    stop_when_accepting: finish a row (stop reason "match") as soon as its text fully matches;
        add `StopWhenMatched(processor)` to the stopping criteria to end it without another token.
    """

    def __init__(self, index, *, pad_token_id: int | None = None, tokenizer=None, vocabulary=None,
                 stop_when_accepting: bool = False):
        if vocabulary is None and tokenizer is not None:
            vocabulary = _tokenizer_vocabulary(tokenizer, index)
        if vocabulary is not None:
            check_index_fits(index, vocabulary)
        self.index = index
        self.pad_token_id = pad_token_id
        self.stop_when_accepting = stop_when_accepting
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
        self.stop_reasons: list[str | None] = []  # "eos", "match", "stop" (padded by a caller's stop), None: running
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
        (final index state, stop reason "eos" / "match" / "stop" or None when the row was still running,
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
        if self.stop_when_accepting and self.index.is_accepting(self.index.initial_state):
            for row in range(batch):
                self._stop(row, STOP_MATCH)  # the empty text matches: only EOS (or pad) is left to pick

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
        if self.stop_when_accepting and self.index.is_accepting(following):
            self._stop(row, STOP_MATCH)

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



class StopWhenMatched(StoppingCriteria):
    """Ends, in `model.generate`, every row that `processor` (made with `stop_when_accepting=True`)
    finished on a full match, so that no further token is generated for it."""

    def __init__(self, processor: RegexLogitsProcessor):
        self.processor = processor

    def __call__(self, input_ids: torch.Tensor, scores: torch.Tensor, **kwargs) -> torch.BoolTensor:
        self.processor.advance(input_ids)
        done = [reason == STOP_MATCH for reason in self.processor.stop_reasons]
        return torch.tensor(done, dtype=torch.bool, device=input_ids.device)


# -- the index against the model's vocabulary ---------------------------------------------------------


def check_index_fits(index, vocabulary) -> None:
    """Raise `VocabularyMismatchError` unless `index` spells the same text with each id as `vocabulary`.

    Equal fingerprints pass at once. Otherwise the index must have the vocabulary's token count
    and the same bytes for every id it allows (an index keeps only those), its EOS ids must be tokens without
    text in the vocabulary (EOS or special ones), and it must not be wider than the vocabulary's
    logits. A narrower index (extra columns never allowed) and fewer EOS ids are accepted.
    """
    if index.vocabulary_fingerprint == vocabulary.fingerprint:
        return
    problems = []
    index_eos = sorted(int(i) for i in np.asarray(index.eos_token_ids).tolist())
    vocabulary_eos = sorted(vocabulary.eos_token_ids)
    if index.logits_width > vocabulary.logits_width:
        problems.append(f"the index is {index.logits_width} logits wide, the model's are {vocabulary.logits_width}")
    if index.num_tokens != vocabulary.num_tokens:
        problems.append(f"the index has {index.num_tokens} tokens, the tokenizer {vocabulary.num_tokens}")
    differing = _differing_ids(index, vocabulary, set(index_eos) | set(vocabulary_eos))
    if differing.size:
        first = int(differing[0])
        problems.append(
            f"{differing.size} token ids spell other bytes (id {first}: {index.token_bytes(first)!r} in the index, "
            f"{vocabulary.token_bytes(first)!r} in the tokenizer)"
        )
    texts = [i for i in index_eos if i < vocabulary.num_tokens and vocabulary.token_bytes(i) is not None]
    if texts or (index_eos != vocabulary_eos and problems):
        problems.append(f"the index's EOS ids are {index_eos}, the model's {vocabulary_eos}")
    if problems:
        raise VocabularyMismatchError(problems, index.vocabulary_fingerprint, vocabulary.fingerprint)


def _differing_ids(index, vocabulary, wildcards: set[int]) -> np.ndarray:
    """Sorted ids below both token counts that the index allows somewhere and whose bytes differ
    (ids in `wildcards`, the EOS ids, left out)."""
    count = min(index.num_tokens, vocabulary.num_tokens)
    offsets_a = np.asarray(index.token_offsets, dtype=np.int64)[: count + 1]
    offsets_b = np.asarray(vocabulary.token_offsets, dtype=np.int64)[: count + 1]
    lengths_a, lengths_b = np.diff(offsets_a), np.diff(offsets_b)
    compared = lengths_a > 0  # an index keeps the bytes of the tokens some state allows, and only those
    compared[[i for i in wildcards if i < count]] = False
    differ = compared & (lengths_a != lengths_b)
    same_length = np.flatnonzero(compared & ~differ)
    lengths = lengths_a[same_length]
    within = np.arange(int(lengths.sum())) - np.repeat(np.cumsum(lengths) - lengths, lengths)
    bytes_a = np.asarray(index.token_data)[np.repeat(offsets_a[same_length], lengths) + within]
    bytes_b = np.asarray(vocabulary.token_data)[np.repeat(offsets_b[same_length], lengths) + within]
    differ[np.repeat(same_length, lengths)[bytes_a != bytes_b]] = True
    return np.flatnonzero(differ)


_TOKENIZER_VOCABULARIES: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def _tokenizer_vocabulary(tokenizer, index):
    """The tokenizer's `Vocabulary` (its own EOS, else the index's), as wide as the index when that is wider."""
    from automaton import Vocabulary

    eos = tokenizer.eos_token_id if isinstance(tokenizer.eos_token_id, int) else index.eos_token_ids.tolist()
    try:
        vocabulary = _TOKENIZER_VOCABULARIES.get(tokenizer)
    except TypeError:  # not weak-referenceable
        vocabulary = None
    if vocabulary is None:
        vocabulary = Vocabulary.from_tokenizer(tokenizer, eos_token_ids=eos)
        try:
            _TOKENIZER_VOCABULARIES[tokenizer] = vocabulary
        except TypeError:
            pass
    if index.logits_width > vocabulary.logits_width:
        vocabulary = vocabulary.with_logits_width(index.logits_width)  # the model's width is checked per call
    return vocabulary
