"""`build_index`: a `ByteDFA` and a `Vocabulary` in, a `TokenIndex` out (no cache, no files).

The vocabulary's token trie (`automaton.index.class_trie`) is walked from every DFA state
reached at a token boundary, breadth-first from the start (`automaton.kernels.explore`, or
several threads, `automaton.index.threads`); states from which no accepting state can be
reached are dropped and the walk redone; then the rows are finished (packed rows and id lists,
`automaton.index.rows`) and the forced text of each state is found (`automaton.index.forced`).
Under a deadline with a budget, the walks always go through `automaton.index.threads` (on one
thread if need be), in pieces with a look at the deadline after each.
A pattern that no token sequence spells raises `EmptyLanguageError` or
`IncompatibleVocabularyError` naming the bytes it needs.
"""
from __future__ import annotations

import numpy as np

from automaton import kernels
from automaton.dfa.byte_dfa import DEAD_STATE, ByteDFA
from automaton.dfa.limits import Deadline
from automaton.errors import EmptyLanguageError, IncompatibleVocabularyError, TooManyStatesError
from automaton.index.class_trie import class_trie
from automaton.index.forced import forced_bytes_table
from automaton.index.rows import sparse_limit
from automaton.index.threads import build_threads, explore_in_threads, walk_costs
from automaton.index.token_index import TokenIndex
from automaton.vocabulary.byte_trie import byte_trie

__all__ = ["build_index"]


def build_index(
    dfa: ByteDFA,
    vocabulary,
    *,
    max_states: int,
    pattern: str | None = None,
    max_sparse_ids: int | None = None,
    merge_classes: bool | None = None,
    threads: int | None = None,
    deadline: Deadline | None = None,
) -> TokenIndex:
    """Walk `vocabulary` against `dfa` into a `TokenIndex` (no cache, no files).

    max_sparse_ids: rows allowing at most this many ids are stored as id lists; None for the
        rule of `automaton.index.rows.sparse_limit` (W // 8), 0 to store every row packed.
    merge_classes: how the token trie is walked (`class_trie`'s `merge`); None chooses.
    threads: threads the trie walks may use when there is enough work to share (see
        `automaton.index.threads`); None for `build_threads()`. The index is the same either way.
    deadline: a `Deadline` looked at every few tens of milliseconds while the trie is walked
        (`CompileTimeoutError` naming "building the index"); None for no limit.
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
    timed = deadline is not None and deadline.expires is not None

    def explore(allowed_end):
        result = _explore_by_walks(
            table, dfa.initial_state, allowed_end, accepting, trie, max_depth, eos, n_words, max_states, threads,
            deadline if timed else None,
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
    if timed:
        deadline.check("building the index")
    live = _live_states(dfa, vocabulary, dfa_state_of, succ_offsets, succ)
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


# A build may use several threads (`automaton.index.threads`) when the walks are guessed to
# visit at least this many trie nodes and tokens in all (`walk_costs`: a few milliseconds of
# walking). Below it, handing work to threads costs about as much as it saves, and the walk of
# one costly state (`.*` inside a JSON object) cannot be split.
_THREADED_WALK_ABOVE = 4_000_000


def _live_states(dfa: ByteDFA, vocabulary, dfa_state_of, succ_offsets, succ) -> np.ndarray:
    """bool[n_states]: the index states from which a token path reaches an accepting state.

    A DFA state that reaches acceptance along bytes that are tokens of their own is live in the
    index (each such byte is a one-token step). When every index state is of that kind (the
    usual case: a byte-level vocabulary, a pattern whose accepting states are a few ASCII bytes
    away), that is the answer, found on the DFA's graph (n_dfa * n_classes edges), far smaller
    than the index's (every distinct token target of every state). Otherwise the index's
    successor lists are searched."""
    accepting = np.ascontiguousarray(dfa.accepting)
    table = np.ascontiguousarray(dfa.table, dtype=np.int32)
    n_dfa = table.shape[0]
    one_token = table[:, _single_token_classes(dfa.byte_classes, table.shape[1], vocabulary)]
    n_edges = one_token.shape[1]
    by_single_tokens = kernels.live_index_states(
        accepting, np.arange(0, n_dfa * n_edges + 1, max(n_edges, 1)) if n_edges else np.zeros(n_dfa + 1, np.int64),
        np.ascontiguousarray(one_token).reshape(-1),
    )
    live = by_single_tokens[dfa_state_of]
    if live.all():
        return live
    return kernels.live_index_states(accepting[dfa_state_of], succ_offsets, succ)


def _single_token_classes(byte_classes: np.ndarray, n_classes: int, vocabulary) -> np.ndarray:
    """bool[n_classes]: the byte classes holding a byte that is the whole of some usable token
    (all bytes of a class lead to the same state)."""
    offsets = vocabulary.token_offsets
    single = np.flatnonzero(np.diff(offsets) == 1)
    is_token = np.zeros(256, np.bool_)
    is_token[vocabulary.token_data[offsets[single]]] = True
    classes = np.zeros(n_classes, np.bool_)
    classes[np.asarray(byte_classes)[is_token]] = True
    return classes


def _explore_by_walks(
    table, initial, allowed_end, accepting, trie, max_depth, eos, n_words, max_states, threads, deadline=None
):
    """`explore_states`' result from walks of every candidate state up front, on `threads`
    threads, or None when the build is better done by `explore_states`: one thread (unless
    there is a `deadline` to look at), little work, or more candidate states than `max_states`
    (`explore_states` stops as soon as the limit is passed)."""
    if (threads < 2 and deadline is None) or initial == DEAD_STATE:
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
        threads, costs, deadline,
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

