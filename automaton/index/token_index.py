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
packed row (see `automaton.index.rows`). `mask(state)` always answers with the packed row;
`dense_masks()` packs every row for consumers that gather rows on a device. The other arrays:

    accepting     bool[n_states]     the text so far is a full match (EOS allowed there)
    dfa_state_of  int32[n_states]    the DFA state behind each index state
    state_of_dfa  int32[n_dfa]       inverse map, -1 for DFA states that are not index states
    dfa_table     int32[n_dfa, C], byte_classes uint8[256]: the pattern's ByteDFA
    token_data    uint8[total], token_offsets int32[n_tokens + 1]: bytes of the tokens that
                                     some state allows (others empty)
    eos_token_ids int32[k]
    forced_offsets int64[n_states + 1], forced_data uint8[total], sole_token int32[n_states]:
                                     forced continuations (see `automaton.index.forced`)

The first `next_state` or `mask` call builds plain-Python lookup tables beside the arrays
(`FastTables`): 16 bytes per token and the DFA table again (about 2 MB for person_schema on
cl100k), and a pool with the sparse rows packed (1.9 MB more there; see
`automaton.index.rows.PackedRowCache`: a pool over 4 MiB is packed row by row as rows are
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

from bisect import bisect_left
from dataclasses import InitVar, dataclass
from functools import cached_property
from pathlib import Path

import numpy as np

from automaton.files import INDEX_ARRAYS, write_index_file
from automaton.index.checks import check_consistent
from automaton.index.lookup import LONG_SPAN, LONG_TOKEN, RECORD_SHIFT, FastTables
from automaton.index.rows import packed_rows

__all__ = ["TokenIndex", "INDEX_ARRAYS"]


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
            check_consistent(self)
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
            at = token_id << RECORD_SHIFT
            records = fast.records
            length = records[at]
            if length:
                # The token is allowed iff its bytes end in an index state (see the module docstring).
                if length < LONG_TOKEN:
                    classes = records[at + 1 : at + 1 + length]
                else:
                    start, count = LONG_SPAN.unpack_from(records, at + 1)
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
        """Write the index to one file (see `automaton.files`); the write is atomic."""
        write_index_file(Path(path), self.arrays(), self.metadata())

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

    # -- serialisation hooks (used by automaton.files) -------------------------------------

    def arrays(self) -> dict[str, np.ndarray]:
        return {name: getattr(self, name) for name in INDEX_ARRAYS}

    def metadata(self) -> dict[str, str]:
        """What the file's header stores: the pattern and the vocabulary (fingerprint, logits
        width, size, EOS ids, family: see `automaton.vocabulary.describe`)."""
        from automaton.vocabulary.describe import vocabulary_metadata

        return {
            "pattern": self.pattern,
            "vocabulary_fingerprint": self.vocabulary_fingerprint,
            "logits_width": str(self.logits_width),
            **vocabulary_metadata(
                self.vocabulary_fingerprint, self.num_tokens, self.eos_token_ids.tolist(),
                self.__dict__.get("_vocabulary_family"),
            ),
        }

    @classmethod
    def from_arrays(cls, arrays: dict[str, np.ndarray], metadata: dict[str, str]) -> TokenIndex:
        """Rebuild an index from `arrays()` and `metadata()`; raises ValueError when inconsistent."""
        missing = [name for name in INDEX_ARRAYS if name not in arrays]
        if missing:
            raise ValueError(f"missing arrays: {', '.join(missing)}")
        for name, dtype in INDEX_ARRAYS.items():
            if arrays[name].dtype != dtype:
                raise ValueError(f"array {name!r} has dtype {arrays[name].dtype}, expected {np.dtype(dtype)}")
        index = cls(
            pattern=metadata["pattern"],
            vocabulary_fingerprint=metadata["vocabulary_fingerprint"],
            logits_width=int(metadata["logits_width"]),
            **{name: arrays[name] for name in INDEX_ARRAYS},
        )
        family = metadata.get("vocabulary_family")
        if family:  # kept so that saving the loaded index again keeps it (not a dataclass field)
            object.__setattr__(index, "_vocabulary_family", family)
        return index

    # -- internals ---------------------------------------------------------------------------

    def _checked_state(self, state: int) -> int:
        if not 0 <= state < self.num_states:
            raise IndexError(f"state {state} out of range [0, {self.num_states})")
        return state

    @cached_property
    def _fast(self) -> FastTables:
        return FastTables.of(self)

