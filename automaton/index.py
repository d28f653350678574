"""`TokenIndex`: for every live DFA state, which tokens may come next and where each leads.

A state of the index is a DFA state reached at a token boundary from the start, from which
an accepting state can still be reached with this vocabulary's tokens. State 0 is the start.

Arrays (V = logits width, W = ceil(V / 32) words per row):

    masks         int32[n_dense, W]  packed allowed sets: bit j % 32 of word j // 32 set = token j
                                     allowed (the layout of xgrammar's and llguidance's bitmasks)
    sparse_offsets int32[n_sparse + 1], sparse_tokens int32[total]: allowed sets kept as sorted
                                     id lists (CSR), for rows that allow few tokens
    mask_of       int32[n_states]    the row of each state: r >= 0 is `masks[r]`, r < 0 is sparse
                                     row -1 - r

Each distinct allowed set (EOS ids included where the state accepts) is stored once, as a
packed row or, when it allows at most W // 8 ids, as an id list costing at most 1/8 of a
packed row (see `automaton.mask_rows`). `mask(state)` always answers with the packed row;
`dense_masks()` packs every row for consumers that gather rows on a device. The other arrays:

    accepting     bool[n_states]     the text so far is a full match (EOS allowed there)
    dfa_state_of  int32[n_states]    the DFA state behind each index state
    state_of_dfa  int32[n_dfa]       inverse map, -1 for DFA states that are not index states
    dfa_table     int32[n_dfa, C], byte_classes uint8[256]: the pattern's ByteDFA
    token_data    uint8[total], token_offsets int32[n_tokens + 1]: bytes of the tokens that
                                     some state allows (others empty)
    eos_token_ids int32[k]
    forced_offsets int64[n_states + 1], forced_data uint8[total], sole_token int32[n_states]:
                                     forced continuations (see `automaton.forced`)

The first `next_state` or `mask` call builds plain-Python lookup tables beside the arrays
(`_FastTables`): 16 bytes per token and the DFA table again (about 2 MB for person_schema on
cl100k), and a pool with the sparse rows packed (1.9 MB more there; see
`automaton.mask_rows.PackedRowCache`: a pool over 4 MiB is packed row by row as rows are
asked for instead, so that an index with thousands of id lists commits memory only for the
rows in use).

Transitions are not stored per (state, token) pair: `next_state` walks the token's bytes
through the DFA table (a few table reads per token), which keeps an index over a 100k-token
vocabulary a few megabytes where a per-pair table would take hundreds. The build is exact:
a token is allowed in a state iff its bytes lead to a live state; EOS iff the state accepts.
Since the index states are exactly the live states reached at token boundaries, a token with
bytes is allowed in a state iff its walk ends in an index state, so `next_state` needs no
mask read for it.

    >>> import automaton
    >>> vocab = automaton.Vocabulary.from_token_bytes([b"1", b"2", b"12", b"a", None], eos_token_ids=[4])
    >>> index = automaton.compile_index(r"1+2", vocab, cache=False)
    >>> index.allowed_token_ids(index.initial_state).tolist()
    [0, 2]
"""
from __future__ import annotations

import array
import struct
from bisect import bisect_left
from dataclasses import InitVar, dataclass
from functools import cached_property

import numpy as np

from automaton import kernels
from automaton.dfa import DEAD_STATE, ByteDFA
from automaton.errors import EmptyLanguageError, IncompatibleVocabularyError, TooManyStatesError
from automaton.forced import forced_bytes_table
from automaton.mask_rows import (
    PackedRowCache, packed_rows, sparse_limit,
)
from automaton.threaded_walk import build_threads, explore_in_threads, walk_costs

__all__ = ["TokenIndex", "build_index", "INDEX_ARRAYS"]

# Names and dtypes of the arrays that make up an index (what a file stores).
INDEX_ARRAYS = {
    "masks": np.int32,
    "mask_of": np.int32,
    "sparse_offsets": np.int32,
    "sparse_tokens": np.int32,
    "accepting": np.bool_,
    "dfa_state_of": np.int32,
    "state_of_dfa": np.int32,
    "dfa_table": np.int32,
    "byte_classes": np.uint8,
    "token_data": np.uint8,
    "token_offsets": np.int32,
    "eos_token_ids": np.int32,
    "forced_offsets": np.int64,
    "forced_data": np.uint8,
    "sole_token": np.int32,
}


@dataclass(frozen=True, eq=False)
class TokenIndex:
    """The compiled index of one pattern over one vocabulary. Build it with `compile_index`."""

    pattern: str
    vocabulary_fingerprint: str
    logits_width: int
    masks: np.ndarray
    mask_of: np.ndarray
    sparse_offsets: np.ndarray
    sparse_tokens: np.ndarray
    accepting: np.ndarray
    dfa_state_of: np.ndarray
    state_of_dfa: np.ndarray
    dfa_table: np.ndarray
    byte_classes: np.ndarray
    token_data: np.ndarray
    token_offsets: np.ndarray
    eos_token_ids: np.ndarray
    forced_offsets: np.ndarray
    forced_data: np.ndarray
    sole_token: np.ndarray

    initial_state = 0

    # False only for the arrays of a build, consistent by construction (the build's tests hold
    # them to that): the checks cost about 0.1 ms, a tenth of a small pattern's whole build.
    validate: InitVar[bool] = True

    def __post_init__(self, validate: bool) -> None:
        if validate:
            _check_consistent(self)
        for array_ in self.arrays().values():
            if array_.flags.writeable:  # a loaded index's views of its file are read-only already
                array_.setflags(write=False)

    # -- queries ---------------------------------------------------------------------------

    @property
    def num_states(self) -> int:
        return int(self.mask_of.shape[0])

    @property
    def num_rows(self) -> int:
        """Distinct mask rows stored, packed and sparse."""
        return self.num_dense_rows + self.num_sparse_rows

    @property
    def num_dense_rows(self) -> int:
        """Rows stored packed (`masks`)."""
        return int(self.masks.shape[0])

    @property
    def num_sparse_rows(self) -> int:
        """Rows stored as sorted id lists (`sparse_offsets`, `sparse_tokens`)."""
        return int(self.sparse_offsets.shape[0] - 1)

    @property
    def num_tokens(self) -> int:
        """Token ids the vocabulary defines (ids at or past this are never allowed)."""
        return int(self.token_offsets.shape[0] - 1)

    @property
    def nbytes(self) -> int:
        """Bytes held by the index arrays."""
        return int(sum(getattr(self, name).nbytes for name in INDEX_ARRAYS))

    def is_accepting(self, state: int) -> bool:
        """True when the text that led to `state` fully matches the pattern."""
        return bool(self.accepting[self._checked_state(state)])

    def mask(self, state: int) -> np.ndarray:
        """The packed row of `state`: int32[ceil(logits_width / 32)] (read-only).

        A row stored as an id list is packed when the lookup tables are built (the first
        `mask` or `next_state` call), or on its first request in a very big index, and kept.
        """
        fast = self._fast
        if not 0 <= state < fast.n_states:
            raise IndexError(f"state {state} out of range [0, {fast.n_states})")
        row = fast.row_of_state[state]
        if row is None:
            row = fast.pack_sparse_row(state)
        return row

    def allowed_token_ids(self, state: int) -> np.ndarray:
        """Sorted int64 ids of the tokens allowed in `state` (EOS ids included where accepting)."""
        row = int(self.mask_of[self._checked_state(state)])
        if row < 0:
            start, end = self.sparse_offsets[-1 - row], self.sparse_offsets[-row]
            return self.sparse_tokens[start:end].astype(np.int64)
        packed = self.masks[row].astype("<i4", copy=False).view(np.uint8)
        bits = np.unpackbits(packed, bitorder="little")[: self.logits_width]
        return np.flatnonzero(bits)

    def dense_masks(self) -> tuple[np.ndarray, np.ndarray]:
        """Every row packed: (int32[num_rows, W], row_of_state int32[n_states]), new arrays.

        `rows[row_of_state[s]]` is `mask(s)`; for consumers that gather rows in bulk (on a GPU).
        """
        return packed_rows(self.masks, self.mask_of, self.sparse_offsets, self.sparse_tokens)

    def next_state(self, state: int, token_id: int) -> int:
        """State after `token_id` in `state`; -1 when the token is not allowed there.

        An allowed EOS id leaves the state unchanged (the text is complete).
        """
        fast = self._fast
        if not 0 <= state < fast.n_states:
            raise IndexError(f"state {state} out of range [0, {fast.n_states})")
        if 0 <= token_id < fast.n_tokens:
            at = token_id << 4  # records are RECORD_BYTES = 16 bytes long
            records = fast.records
            length = records[at]
            if length:
                # The token is allowed iff its bytes end in an index state (see the module docstring).
                if length < _LONG:
                    classes = records[at + 1 : at + 1 + length]
                else:
                    start, count = _LONG_SPAN.unpack_from(records, at + 1)
                    classes = fast.long_classes[start : start + count]
                table, n_classes = fast.table, fast.n_classes
                row = state * n_classes
                for cls in classes:
                    row = table[row + cls]
                return row // n_classes if row < fast.index_rows_end else -1
        # EOS, ids past the vocabulary's tokens, and tokens that no state allows.
        if not 0 <= token_id < fast.width:
            return -1
        row = fast.mask_of[state]
        if row >= 0:
            word = fast.mask_words[row * fast.n_words + (token_id >> 5)]
            return state if (word >> (token_id & 31)) & 1 else -1
        ids, end = fast.sparse_tokens, fast.sparse_offsets[-row]
        at = bisect_left(ids, token_id, fast.sparse_offsets[-1 - row], end)
        return state if at < end and ids[at] == token_id else -1

    def advance(self, state: int, token_ids) -> int:
        """State after a sequence of tokens; -1 as soon as one is not allowed."""
        for token_id in token_ids:
            state = self.next_state(state, int(token_id))
            if state < 0:
                return -1
        return state

    def forced_bytes(self, state: int) -> bytes:
        """Bytes the pattern forces from `state` with no choice (b"" where there is a choice)."""
        state = self._checked_state(state)
        start, end = self.forced_offsets[state], self.forced_offsets[state + 1]
        return self.forced_data[start:end].tobytes()

    def forced_tokens(self, state: int, limit: int = 64) -> list[int]:
        """Tokens forced one after another from `state`: each the only token allowed where it stands."""
        state = self._checked_state(state)
        tokens: list[int] = []
        while len(tokens) < limit and self.sole_token[state] >= 0:
            token = int(self.sole_token[state])
            tokens.append(token)
            state = self.next_state(state, token)
        return tokens

    def token_bytes(self, token_id: int) -> bytes:
        """Bytes of a token some state allows (b"" for the others and EOS)."""
        start, end = self.token_offsets[token_id], self.token_offsets[token_id + 1]
        return self.token_data[start:end].tobytes()

    def save(self, path) -> None:
        """Write the index to one file (see `automaton.storage`); the write is atomic."""
        from automaton.storage import save_index

        save_index(self, path)

    def summary(self) -> dict:
        """States, distinct rows, bytes: what a build or a file holds."""
        return {
            "states": self.num_states,
            "rows": self.num_rows,
            "dense_rows": self.num_dense_rows,
            "sparse_rows": self.num_sparse_rows,
            "sparse_ids": int(self.sparse_tokens.shape[0]),
            "dfa_states": int(self.dfa_table.shape[0]),
            "logits_width": self.logits_width,
            "bytes": self.nbytes,
        }

    def __repr__(self) -> str:
        return (
            f"TokenIndex(states={self.num_states}, rows={self.num_rows}, "
            f"width={self.logits_width}, pattern={self.pattern!r:.60})"
        )

    # -- serialisation hooks (used by automaton.storage) -------------------------------------

    def arrays(self) -> dict[str, np.ndarray]:
        return {name: getattr(self, name) for name in INDEX_ARRAYS}

    def metadata(self) -> dict[str, str]:
        return {
            "pattern": self.pattern,
            "vocabulary_fingerprint": self.vocabulary_fingerprint,
            "logits_width": str(self.logits_width),
        }

    @classmethod
    def from_arrays(cls, arrays: dict[str, np.ndarray], metadata: dict[str, str]) -> "TokenIndex":
        """Rebuild an index from `arrays()` and `metadata()`; raises ValueError when inconsistent."""
        missing = [name for name in INDEX_ARRAYS if name not in arrays]
        if missing:
            raise ValueError(f"missing arrays: {', '.join(missing)}")
        for name, dtype in INDEX_ARRAYS.items():
            if arrays[name].dtype != dtype:
                raise ValueError(f"array {name!r} has dtype {arrays[name].dtype}, expected {np.dtype(dtype)}")
        return cls(
            pattern=metadata["pattern"],
            vocabulary_fingerprint=metadata["vocabulary_fingerprint"],
            logits_width=int(metadata["logits_width"]),
            **{name: arrays[name] for name in INDEX_ARRAYS},
        )

    # -- internals ---------------------------------------------------------------------------

    def _checked_state(self, state: int) -> int:
        if not 0 <= state < self.num_states:
            raise IndexError(f"state {state} out of range [0, {self.num_states})")
        return state

    @cached_property
    def _fast(self) -> "_FastTables":
        return _FastTables.of(self)


_LONG = 255  # `_kernels.LONG_TOKEN` (not imported from there: that would import numba)
_LONG_SPAN = struct.Struct("<II")  # where a long token's classes start in long_classes, how many


@dataclass(frozen=True, slots=True)
class _FastTables:
    """Plain-Python copies of what `next_state` and `mask` read: array.array and bytes reads
    cost tens of ns, where numpy scalar reads cost a µs.

    A step along a walk finds most of these cold in the CPU caches, where each extra memory
    line read costs up to a µs, so the layout keeps the lines read per step few:

    row_of_state   list[n_states]: the packed int32[W] row of each state (a view of `masks`), or
                   None for a state with a sparse row until `pack_sparse_row` packs it
    sparse_rows    `PackedRowCache`: the sparse rows, each packed once asked for
    sparse_offsets, sparse_tokens: the index's id lists, for `next_state`'s bit tests
    table          int64[n_dfa * C]: the DFA table renumbered so that index state s is DFA
                   state s (`_table_in_index_order`), entries pre-multiplied by C
    records        bytes[16 * n_tokens]: per token, its length L then the byte classes of its
                   bytes (`_kernels.token_records`); L = 0 for EOS ids and tokens that no state
                   allows (they take the mask-bit path), L = 255 for tokens over 15 bytes,
                   whose record says where their classes lie in `long_classes`
    long_classes   bytes: the classes of the long tokens
    """

    width: int
    n_tokens: int
    n_states: int
    n_words: int
    n_classes: int
    mask_words: memoryview
    row_of_state: list
    sparse_rows: PackedRowCache
    mask_of: array.array
    sparse_offsets: array.array
    sparse_tokens: array.array
    table: array.array
    index_rows_end: int
    records: bytes
    long_classes: bytes

    @classmethod
    def of(cls, index: TokenIndex) -> "_FastTables":
        masks = np.ascontiguousarray(index.masks, dtype=np.int32)
        rows = list(index.masks)
        records, long_classes = kernels.token_records(
            np.ascontiguousarray(index.token_data), np.ascontiguousarray(index.token_offsets),
            np.ascontiguousarray(index.byte_classes), np.ascontiguousarray(index.eos_token_ids),
        )
        return cls(
            width=index.logits_width,
            n_tokens=index.num_tokens,
            n_states=index.num_states,
            n_words=int(masks.shape[1]),
            n_classes=int(index.dfa_table.shape[1]),
            mask_words=memoryview(masks.reshape(-1).view(np.uint32)).cast("B").cast("I"),
            row_of_state=[rows[row] if row >= 0 else None for row in index.mask_of.tolist()],
            sparse_rows=PackedRowCache(index.sparse_offsets, index.sparse_tokens, int(masks.shape[1])),
            mask_of=_int_array(index.mask_of),
            sparse_offsets=_int_array(index.sparse_offsets),
            sparse_tokens=_int_array(index.sparse_tokens),
            table=_int_array(_table_in_index_order(index)),
            index_rows_end=index.num_states * int(index.dfa_table.shape[1]),
            records=records.tobytes(),
            long_classes=long_classes.tobytes(),
        )

    def pack_sparse_row(self, state: int) -> np.ndarray:
        """The packed row of a state whose row is an id list (packed once per list), kept for `state`."""
        row = self.sparse_rows.row(-1 - self.mask_of[state])
        self.row_of_state[state] = row
        return row


def _table_in_index_order(index: TokenIndex) -> np.ndarray:
    """The DFA table renumbered so that index state s is DFA state s (the other DFA states
    follow), each entry pre-multiplied by the row length: int64[n_dfa, C], entry = row start."""
    n_dfa, n_classes = index.dfa_table.shape
    new_id = np.empty(n_dfa, dtype=np.int64)
    new_id[index.dfa_state_of] = np.arange(index.num_states)
    others = np.flatnonzero(index.state_of_dfa < 0)
    new_id[others] = np.arange(index.num_states, n_dfa)
    table = np.empty_like(index.dfa_table, dtype=np.int64)
    table[new_id] = new_id[index.dfa_table] * n_classes
    return table


def _int_array(values: np.ndarray) -> array.array:
    """int32 values as a flat array.array (every value here, table entries included, is below
    max_states * 256 < 2**31)."""
    return array.array("i", np.ascontiguousarray(values, dtype=np.int32).tobytes())


def _check_consistent(index: TokenIndex) -> None:
    """Shapes and ranges that every method relies on; ValueError naming the problems.

    Shapes are checked here; when they hold, the values are checked by one kernel
    (`_kernels.index_problems`), whose failed checks are worded by `_VALUE_PROBLEMS`.
    """
    n_states = index.mask_of.shape[0]
    n_words = (index.logits_width + 31) // 32
    problems = []
    if index.logits_width <= 0:
        problems.append(f"logits_width {index.logits_width} is not positive")
    if index.masks.ndim != 2 or index.masks.shape[1] != n_words:
        problems.append(f"masks shape {index.masks.shape} does not fit logits width {index.logits_width}")
    if n_states == 0:
        problems.append("no states")
    for name in ("mask_of", "accepting", "dfa_state_of", "sole_token"):
        if getattr(index, name).shape != (n_states,):
            problems.append(f"{name} shape {getattr(index, name).shape} != ({n_states},)")
    if index.sparse_offsets.ndim != 1 or index.sparse_offsets.shape[0] < 1 or index.sparse_tokens.ndim != 1:
        problems.append("sparse_offsets must hold at least one offset and sparse_tokens must be a list of ids")
    n_dfa = index.dfa_table.shape[0] if index.dfa_table.ndim == 2 else 0
    if n_dfa == 0:
        problems.append(f"dfa_table shape {index.dfa_table.shape} is not [n_dfa, n_classes]")
    if index.byte_classes.shape != (256,):
        problems.append("byte_classes does not fit the DFA table")
    if index.state_of_dfa.shape != (n_dfa,):
        problems.append("state_of_dfa does not have one entry per DFA state")
    if index.token_offsets.ndim != 1 or not 1 <= index.token_offsets.shape[0] <= index.logits_width + 1:
        problems.append("token_offsets does not fit the logits width")
    if index.forced_offsets.shape != (n_states + 1,):
        problems.append("forced_offsets are not increasing offsets into forced_data")
    if index.eos_token_ids.ndim != 1 or index.token_data.ndim != 1 or index.forced_data.ndim != 1:
        problems.append("eos_token_ids, token_data and forced_data must be lists")
    if not problems:
        found = kernels.index_problems(
            index.mask_of, index.masks.shape[0], index.sparse_offsets, index.sparse_tokens, index.dfa_table,
            index.byte_classes, index.state_of_dfa, index.dfa_state_of, index.token_offsets,
            index.token_data.shape[0], index.forced_offsets, index.forced_data.shape[0], index.sole_token,
            index.eos_token_ids, index.logits_width,
        )
        problems = [problem for bit, problem in enumerate(_VALUE_PROBLEMS) if found >> bit & 1]
    if problems:
        raise ValueError("inconsistent index: " + "; ".join(problems))


# What each bit of `_kernels.index_problems` means, bit 0 first.
_VALUE_PROBLEMS = (
    "sparse_offsets are not increasing offsets into sparse_tokens",
    "sparse_tokens holds an id outside the logits width",
    "sparse_tokens are not sorted and distinct within a row",
    "mask_of refers to a row that does not exist",
    "dfa_table refers to a DFA state that does not exist",
    "byte_classes does not fit the DFA table",
    "state_of_dfa refers to a state that does not exist",
    "dfa_state_of refers to a DFA state that does not exist",
    "token_offsets are not increasing offsets into token_data",
    "forced_offsets are not increasing offsets into forced_data",
    "sole_token does not hold one token id (or -1) per state",
    "an EOS id lies outside the logits width",
)


# -- build -------------------------------------------------------------------------------------


def build_index(
    dfa: ByteDFA,
    vocabulary,
    *,
    max_states: int,
    pattern: str | None = None,
    max_sparse_ids: int | None = None,
    merge_classes: bool | None = None,
    threads: int | None = None,
) -> TokenIndex:
    """Walk `vocabulary` against `dfa` into a `TokenIndex` (no cache, no files).

    max_sparse_ids: rows allowing at most this many ids are stored as id lists; None for the
        rule of `automaton.mask_rows.sparse_limit` (W // 8), 0 to store every row packed.
    merge_classes: how the token trie is walked (`class_trie`'s `merge`); None chooses.
    threads: threads the trie walks may use when there is enough work to share (see
        `automaton.threaded_walk`); None for `build_threads()`. The index is the same either way.
    """
    table, trie = class_trie(vocabulary, dfa, merge=merge_classes)
    max_depth = byte_trie(vocabulary).max_depth  # the class trie is no deeper
    eos = np.array(sorted(vocabulary.eos_token_ids), dtype=np.int32)
    n_words = (vocabulary.logits_width + 31) // 32
    accepting = np.ascontiguousarray(dfa.accepting)
    allowed_end = np.ones(dfa.num_states, dtype=np.bool_)
    allowed_end[DEAD_STATE] = False

    if threads is None:
        threads = build_threads()

    def explore(allowed_end):
        result = _explore_by_walks(
            table, dfa.initial_state, allowed_end, accepting, trie, max_depth, eos, n_words, max_states, threads
        )
        if result is None:
            result = kernels.explore_states(
                table, dfa.initial_state, allowed_end, accepting, *trie, max_depth,
                eos, n_words, max_states,
            )
        if result[0] < 0:
            raise TooManyStatesError(
                f"the index would have more than max_states={max_states} states; "
                "raise max_states or simplify the pattern",
                max_states,
            )
        return result

    n_states, dfa_state_of, masks, mask_of, succ_offsets, succ = explore(allowed_end)
    live = kernels.live_index_states(accepting[dfa_state_of], succ_offsets, succ)
    if not live[0]:
        raise _no_match_error(dfa, vocabulary, pattern)
    if not live.all():
        # Tokens into dead-ends are dropped; one more walk gives exact rows and numbering.
        allowed_end = np.zeros(dfa.num_states, dtype=np.bool_)
        allowed_end[dfa_state_of[live]] = True
        n_states, dfa_state_of, masks, mask_of, succ_offsets, succ = explore(allowed_end)

    state_of_dfa = np.full(dfa.num_states, -1, dtype=np.int32)
    state_of_dfa[dfa_state_of] = np.arange(n_states, dtype=np.int32)
    token_data, token_offsets = _allowed_token_bytes(vocabulary, masks)
    state_accepting = accepting[dfa_state_of].copy()
    forced_offsets, forced_data = forced_bytes_table(dfa.table, dfa.byte_classes, accepting, dfa_state_of)
    limit = sparse_limit(n_words) if max_sparse_ids is None else max_sparse_ids
    masks, mask_of, sparse_offsets, sparse_tokens, sole_token = kernels.finish_rows(
        masks, mask_of, state_accepting, limit
    )
    return TokenIndex(
        pattern=pattern if pattern is not None else (dfa.pattern or ""),
        vocabulary_fingerprint=vocabulary.fingerprint,
        logits_width=int(vocabulary.logits_width),
        masks=masks,
        mask_of=mask_of,
        sparse_offsets=sparse_offsets,
        sparse_tokens=sparse_tokens,
        accepting=state_accepting,
        dfa_state_of=dfa_state_of,
        state_of_dfa=state_of_dfa,
        dfa_table=np.ascontiguousarray(dfa.table),
        byte_classes=np.ascontiguousarray(dfa.byte_classes),
        token_data=token_data,
        token_offsets=token_offsets,
        eos_token_ids=eos,
        forced_offsets=forced_offsets,
        forced_data=forced_data,
        sole_token=sole_token,
        validate=False,
    )


# A build may use several threads (`automaton.threaded_walk`) when the walks are guessed to
# visit at least this many trie nodes and tokens in all (`walk_costs`: a few milliseconds of
# walking). Below it, handing work to threads costs about as much as it saves, and the walk of
# one costly state (`.*` inside a JSON object) cannot be split.
_THREADED_WALK_ABOVE = 4_000_000


def _explore_by_walks(table, initial, allowed_end, accepting, trie, max_depth, eos, n_words, max_states, threads):
    """`explore_states`' result from walks of every candidate state up front, on `threads`
    threads, or None when the build is better done by `explore_states`: one thread, little
    work, or more candidate states than `max_states` (`explore_states` stops as soon as the
    limit is passed)."""
    if threads < 2 or initial == DEAD_STATE:
        return None
    candidates = np.flatnonzero(allowed_end)
    if not allowed_end[initial]:
        candidates = np.append(candidates, initial)
    if candidates.shape[0] > max_states:
        return None
    # No state's walk costs more than the whole trie: skip the estimate when even that is small.
    if candidates.shape[0] * (trie[0].shape[0] + trie[4].shape[0]) < _THREADED_WALK_ABOVE:
        return None
    costs = walk_costs(table, candidates, trie)
    if costs.sum() < _THREADED_WALK_ABOVE:
        return None
    return explore_in_threads(
        table, initial, candidates, allowed_end, accepting, trie, max_depth, eos, n_words, max_states,
        threads, costs,
    )


def _allowed_token_bytes(vocabulary, masks: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Token bytes restricted to the tokens some row allows: (uint8[total], int32[n_tokens + 1])."""
    n_words = (vocabulary.num_tokens + 31) // 32  # the logits width is at least the token count
    union = np.zeros(n_words, np.int32)
    if masks.shape[0]:
        np.bitwise_or.reduce(masks[:, :n_words], axis=0, out=union)
    return kernels.gather_tokens(
        np.ascontiguousarray(vocabulary.token_data, dtype=np.uint8),
        np.ascontiguousarray(vocabulary.token_offsets, dtype=np.int64),
        union,
    )


def _no_match_error(dfa: ByteDFA, vocabulary, pattern) -> EmptyLanguageError:
    shortest = _shortest_match(dfa)
    shown = pattern if pattern is not None else dfa.pattern
    if shortest is None:
        return EmptyLanguageError(f"the pattern {shown!r} matches no string")
    return IncompatibleVocabularyError(
        f"no sequence of this vocabulary's tokens matches {shown!r}: from the start state the "
        f"pattern needs bytes such as {shortest!r}, which no token sequence spells "
        f"(vocabulary {getattr(vocabulary, 'family', '?')}, {vocabulary.num_tokens} tokens)"
    )


def _shortest_match(dfa: ByteDFA) -> bytes | None:
    """A shortest accepted byte string, by breadth-first search (None when there is none)."""
    representative = {}
    for byte in range(256):
        representative.setdefault(int(dfa.byte_classes[byte]), byte)
    previous = {dfa.initial_state: None}
    queue = [dfa.initial_state]
    for state in queue:
        if dfa.accepting[state]:
            path = []
            while previous[state] is not None:
                state, byte = previous[state]
                path.append(byte)
            return bytes(reversed(path))
        for cls, byte in representative.items():
            nxt = int(dfa.table[state, cls])
            if nxt != DEAD_STATE and nxt not in previous:
                previous[nxt] = (state, byte)
                queue.append(nxt)
    return None


@dataclass(frozen=True)
class _ByteTrie:
    """A vocabulary's byte trie in depth-first layout (`_kernels.sorted_byte_trie`), with the
    byte statistics `class_trie` uses to choose between merging it by classes and walking it as
    is.

    byte_nodes: float64[256] nodes entered on each byte (root excluded).
    first_byte_nodes: float64[256] nodes in the subtree under each first byte (its root child).
    bytes_below: uint64[n_nodes, 4] the bytes on the edges below each node (`subtree_symbols`).
    """

    arrays: tuple
    byte_nodes: np.ndarray
    first_byte_nodes: np.ndarray
    max_depth: int  # the longest token's length in bytes
    bytes_below: np.ndarray

    @property
    def num_nodes(self) -> int:
        return int(self.arrays[0].shape[0])


_BYTE_TRIES: dict[str, _ByteTrie] = {}

# `class_trie` walks the byte trie as is, without merging it by classes, when fewer than this
# share of its nodes are entered on a byte whose class holds other bytes (so merging can
# shrink it by about that share at most) ...
_MERGE_SHARE_BELOW = 0.5
# ... and the walk from the index's states is expected to visit fewer than this many trie
# sizes of mergeable nodes (what merging would save), and ...
_MERGEABLE_VISITS_BELOW = 10.0
# ... at least this share of the trie's nodes lie on live bytes (merging also drops the dead
# subtrees once, which is cheap when few nodes are live).
_LIVE_SHARE_ABOVE = 0.5


def byte_trie(vocabulary) -> _ByteTrie:
    """The byte trie of a vocabulary's tokens in depth-first layout, built once per fingerprint."""
    trie = _BYTE_TRIES.get(vocabulary.fingerprint)
    if trie is None:
        token_data = np.ascontiguousarray(vocabulary.token_data, dtype=np.uint8)
        token_offsets = np.ascontiguousarray(vocabulary.token_offsets, dtype=np.int64)
        ids, keys = kernels.token_sort_keys(token_data, token_offsets)  # empty tokens are left out
        order = np.argsort(keys)  # numpy's sort: several times faster than a compiled loop's
        arrays = kernels.sorted_byte_trie(token_data, token_offsets, ids[order], keys[order])
        node_byte, node_depth, node_end = arrays[:3]
        first = np.flatnonzero(node_depth == 1)
        first_byte_nodes = np.zeros(256)
        first_byte_nodes[node_byte[first]] = node_end[first] - first
        max_depth = int(node_depth.max())
        trie = _ByteTrie(
            arrays, np.bincount(node_byte[1:], minlength=256).astype(np.float64), first_byte_nodes,
            max_depth, kernels.subtree_symbols(node_byte, node_depth, max_depth, 4),
        )
        if len(_BYTE_TRIES) >= 4:
            _BYTE_TRIES.pop(next(iter(_BYTE_TRIES)))
        _BYTE_TRIES[vocabulary.fingerprint] = trie
    return trie


def should_merge_classes(trie: _ByteTrie, dfa: ByteDFA) -> bool:
    """Whether merging `trie` by `dfa`'s byte classes is expected to pay for itself.

    Merging costs a pass over the trie's live nodes and a new layout; it saves, in every walk
    from an index state, the nodes it merges. When few bytes share a class (patterns made of
    literal text) the merged trie is nearly as big as the byte trie, and the saving only
    outweighs the cost when many states walk most of the trie.
    """
    classes = np.asarray(dfa.byte_classes)
    n_classes = dfa.table.shape[1]
    goes_somewhere = dfa.table != DEAD_STATE  # bool[n_dfa, n_classes]
    live_class = goes_somewhere.any(axis=0)
    class_size = np.bincount(classes, minlength=n_classes)
    live_byte = live_class[classes]
    total = trie.byte_nodes.sum()
    live_nodes = trie.byte_nodes[live_byte].sum()
    if total == 0 or live_nodes < _LIVE_SHARE_ABOVE * total:
        return True
    mergeable = trie.byte_nodes[live_byte & (class_size[classes] >= 2)].sum() / live_nodes
    if mergeable >= _MERGE_SHARE_BELOW:
        return True
    # Trie sizes the walks visit, from the nodes under each first byte a state lets through.
    first_nodes_of_class = np.bincount(classes, weights=trie.first_byte_nodes, minlength=n_classes)
    visits = (goes_somewhere @ first_nodes_of_class).sum() / total
    return visits * mergeable >= _MERGEABLE_VISITS_BELOW


def class_trie(vocabulary, dfa: ByteDFA, *, merge: bool | None = None) -> tuple[np.ndarray, tuple]:
    """(table, trie): the vocabulary's token trie as the walk kernels take it (the five trie
    arrays, node_below and state_loops, see `_kernels`), and the DFA's moves on its symbols.

    merge: True to merge byte-trie nodes whose paths spell the same classes (classes dead in
        every state prune their whole subtrees): the symbols are the DFA's classes and `table`
        is `dfa.table`; False to walk the vocabulary's byte trie as it is: the symbols are
        bytes and `table` has a column per byte (`dfa.table[:, dfa.byte_classes]`); None to
        choose by `should_merge_classes`.
    Both give the same index. The byte trie's node_below is kept with the vocabulary's trie;
    when no DFA state loops, node_below and state_loops have no words and the walks skip the
    question.
    """
    trie = byte_trie(vocabulary)
    classes = np.ascontiguousarray(dfa.byte_classes, dtype=np.uint8)
    if merge is None:
        merge = should_merge_classes(trie, dfa)
    class_loops = dfa.table == np.arange(dfa.num_states, dtype=dfa.table.dtype)[:, None]
    class_loops[DEAD_STATE] = False
    loops = class_loops.any()
    if not merge:
        # A column per byte costs 256 entries per DFA state; relabelling every node of the
        # byte trie with its class would cost a pass over the whole trie.
        table = np.ascontiguousarray(dfa.table[:, classes])
        if not loops:
            return table, (*trie.arrays, *_no_loops(trie.num_nodes, dfa.num_states))
        return table, (*trie.arrays, trie.bytes_below, _packed_sets(class_loops[:, classes]))
    dead_class = ~(dfa.table != DEAD_STATE).any(axis=0)
    arrays = kernels.layout_trie(*kernels.quotient_trie(
        *trie.arrays, vocabulary.num_tokens, classes, dead_class, trie.max_depth,
    ))
    table = np.ascontiguousarray(dfa.table)
    if not loops:
        return table, (*arrays, *_no_loops(arrays[0].shape[0], dfa.num_states))
    n_words = -(-dfa.table.shape[1] // 64)
    below = kernels.subtree_symbols(arrays[0], arrays[1], trie.max_depth, n_words)
    return table, (*arrays, below, _packed_sets(class_loops))


def _packed_sets(members: np.ndarray) -> np.ndarray:
    """bool[n, k] -> uint64[n, ceil(k / 64)]: bit j % 64 of word j // 64 set where members[:, j]."""
    n, k = members.shape
    padded = np.zeros((n, -(-k // 64) * 64), dtype=np.bool_)
    padded[:, :k] = members
    return np.packbits(padded, axis=1, bitorder="little").view("<u8").astype(np.uint64, copy=False)


def _no_loops(n_nodes: int, n_dfa: int) -> tuple[np.ndarray, np.ndarray]:
    """node_below and state_loops with no words: the walks then never ask about loops."""
    return np.zeros((n_nodes, 0), dtype=np.uint64), np.zeros((n_dfa, 0), dtype=np.uint64)
