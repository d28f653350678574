"""Rows kept as id lists answer exactly like packed rows.

Every index is built twice from the same DFA: with the default rule (rows of at most W // 8 ids
become id lists) and with `max_sparse_ids=0` (every row packed, the layout the oracle tests
check against brute force). Both must give the same `mask`, `allowed_token_ids`, `next_state`
and `is_accepting` everywhere; `mask` must be the packing of `allowed_token_ids` (packed here
with numpy's packbits) and back. Small vocabularies are compared over every (state, token)
pair and with the plain-Python reference builder; the real ones over every state, with the
tokens whose answer reads the row.
"""
from __future__ import annotations

import random

import numpy as np
import pytest

import automaton
from automaton.index import rows as mask_rows
from automaton.index.build import build_index
from automaton.index.rows import sparse_limit
from tests.automaton.index.test_build import SMALL_PATTERNS, assert_same_as_reference, vocabulary_from
from tests.automaton.index.test_oracle import ORACLE_CASES

ALL_SPARSE = 10**9


def packbits_row(ids, width: int) -> np.ndarray:
    """The packed int32 row of `ids`, by numpy's packbits (independent of automaton.index.rows)."""
    bits = np.zeros(32 * ((width + 31) // 32), dtype=np.uint8)
    bits[np.asarray(ids, dtype=np.int64)] = 1
    return np.packbits(bits, bitorder="little").view("<i4").astype(np.int32)


def unpacked_ids(row: np.ndarray, width: int) -> list[int]:
    bits = np.unpackbits(np.asarray(row, dtype="<i4").view(np.uint8), bitorder="little")
    return np.flatnonzero(bits[:width]).tolist()


def assert_rows_agree(index, reference, states=None):
    """mask / allowed_token_ids / is_accepting of `index` equal `reference`'s, and each other's."""
    width = index.logits_width
    for state in range(index.num_states) if states is None else states:
        allowed = index.allowed_token_ids(state)
        assert allowed.dtype == np.int64
        assert allowed.tolist() == reference.allowed_token_ids(state).tolist(), state
        row = index.mask(state)
        assert row.dtype == np.int32 and row.shape == ((width + 31) // 32,)
        assert np.array_equal(row, reference.mask(state)), state
        assert np.array_equal(row, packbits_row(allowed, width)), state
        assert unpacked_ids(row, width) == allowed.tolist(), state
        assert index.is_accepting(state) == reference.is_accepting(state)


def assert_rule_holds(index):
    """Id lists hold at most W // 8 ids, packed rows more; no list or packed row repeats."""
    limit = sparse_limit(index.masks.shape[1])
    lengths = np.diff(index.sparse_offsets)
    assert (lengths <= limit).all()
    counts = [len(unpacked_ids(row, index.logits_width)) for row in index.masks]
    assert all(count > limit for count in counts)
    lists = {index.sparse_tokens[a:b].tobytes() for a, b in zip(index.sparse_offsets[:-1], index.sparse_offsets[1:])}
    assert len(lists) == index.num_sparse_rows
    assert len({row.tobytes() for row in index.masks}) == index.num_dense_rows
    used = set(index.mask_of.tolist())
    assert used == set(range(-index.num_sparse_rows, index.num_dense_rows)), "a stored row no state uses"


# -- small vocabularies: every pair, and the reference builder -------------------------------------


def small_vocabulary_bytes(extra_width: int):
    alphabet = b"0125abcxtruefls.{}\" :\n" + "αβω日本語😀".encode()
    token_bytes = [bytes([b]) for b in sorted(set(alphabet))] + [b"ab", b"12", b"ba", b"\xce", b"tr", b"{\""]
    eos = len(token_bytes)
    token_bytes.append(None)
    return token_bytes, eos, vocabulary_from(token_bytes, [eos], logits_width=len(token_bytes) + extra_width)


@pytest.mark.parametrize("pool", ["packed whole", "packed row by row"])
@pytest.mark.parametrize("pattern", SMALL_PATTERNS)
@pytest.mark.parametrize("extra_width", [0, 300])
def test_all_sparse_default_and_all_packed_agree_on_every_pair(pattern, extra_width, pool, monkeypatch):
    if pool == "packed row by row":  # as for an index with thousands of id lists
        monkeypatch.setattr(mask_rows, "_PACK_ALL_BYTES", 0)
    token_bytes, eos, vocab = small_vocabulary_bytes(extra_width)
    dfa = automaton.compile_dfa(pattern)
    packed = build_index(dfa, vocab, max_states=10_000, max_sparse_ids=0)
    assert packed.num_sparse_rows == 0
    for limit in (None, ALL_SPARSE):
        index = build_index(dfa, vocab, max_states=10_000, max_sparse_ids=limit)
        if limit == ALL_SPARSE:
            assert index.num_dense_rows == 0 and index.masks.shape == (0, packed.masks.shape[1])
        else:
            assert_rule_holds(index)
        assert index.num_rows == packed.num_rows
        assert np.array_equal(index.sole_token, packed.sole_token)
        assert_rows_agree(index, packed)
        assert_same_as_reference(index, dfa, token_bytes, {eos})
        for state in range(index.num_states):
            for token_id in range(-2, index.logits_width + 3):
                assert index.next_state(state, token_id) == packed.next_state(state, token_id), (state, token_id)


def test_a_row_exactly_at_the_limit_is_sparse_and_one_past_is_packed():
    # 64 words per row, limit 8: "[a-h]" allows 8 tokens, "[a-i]" allows 9.
    letters = [bytes([c]) for c in b"abcdefghij"]
    vocab = vocabulary_from(letters + [None], [len(letters)], logits_width=64 * 32)
    assert sparse_limit(64) == 8
    at_limit = build_index(automaton.compile_dfa(r"[a-h]"), vocab, max_states=100)
    past = build_index(automaton.compile_dfa(r"[a-i]"), vocab, max_states=100)
    assert at_limit.mask_of[at_limit.initial_state] < 0
    assert past.mask_of[past.initial_state] >= 0
    assert at_limit.allowed_token_ids(0).tolist() == list(range(8))
    assert past.allowed_token_ids(0).tolist() == list(range(9))


def test_mask_of_a_sparse_state_is_read_only_and_kept():
    _token_bytes, _eos, vocab = small_vocabulary_bytes(300)
    index = build_index(automaton.compile_dfa(r"(ab|ba)*c?"), vocab, max_states=100, max_sparse_ids=ALL_SPARSE)
    first = index.mask(0)
    assert not first.flags.writeable
    assert index.mask(0) is first
    with pytest.raises(IndexError):
        index.mask(index.num_states)
    with pytest.raises(IndexError):
        index.allowed_token_ids(-1)


def test_dense_masks_pack_every_row():
    _token_bytes, _eos, vocab = small_vocabulary_bytes(300)
    index = build_index(automaton.compile_dfa(r"\{\"a\": (true|false)\}"), vocab, max_states=100)
    assert index.num_sparse_rows > 0 and index.num_dense_rows > 0
    rows, row_of_state = index.dense_masks()
    assert rows.dtype == np.int32 and rows.shape == (index.num_rows, index.masks.shape[1])
    assert row_of_state.dtype == np.int32 and row_of_state.shape == (index.num_states,)
    for state in range(index.num_states):
        expected = packbits_row(index.allowed_token_ids(state), index.logits_width)
        assert np.array_equal(rows[row_of_state[state]], expected)
    assert len({row.tobytes() for row in rows}) == index.num_rows


# -- real vocabularies ---------------------------------------------------------------------------------


@pytest.fixture(scope="module", params=["smollm2", "mistral", "cl100k"])
def vocabulary(request):
    return request.getfixturevalue(f"{request.param}_vocabulary")


def probe_tokens(index, packed, state: int, rng: random.Random) -> list[int]:
    """Token ids whose `next_state` answer depends on the row: all allowed ids and their
    neighbours where the row is an id list, EOS ids, the edges of the id range, and a sample."""
    allowed = packed.allowed_token_ids(state).tolist()
    width = index.logits_width
    probes = set(index.eos_token_ids.tolist()) | {0, width - 1, width, index.num_tokens - 1, index.num_tokens}
    if index.mask_of[state] < 0:
        probes.update(t + d for t in allowed for d in (-1, 0, 1))
    else:
        probes.update(rng.sample(allowed, min(200, len(allowed))))
    probes.update(rng.sample(range(width), 200))
    return sorted(probes)


@pytest.mark.parametrize("case", ORACLE_CASES, ids=lambda case: case.name)
def test_sparse_and_packed_agree_over_real_vocabularies(case, vocabulary):
    dfa = automaton.compile_dfa(case.pattern)
    index = build_index(dfa, vocabulary, max_states=100_000, pattern=case.pattern)
    packed = build_index(dfa, vocabulary, max_states=100_000, pattern=case.pattern, max_sparse_ids=0)
    assert packed.num_sparse_rows == 0 and index.num_rows == packed.num_rows
    assert index.nbytes <= packed.nbytes
    assert_rule_holds(index)
    assert np.array_equal(index.sole_token, packed.sole_token)
    assert_rows_agree(index, packed)
    rng = random.Random(f"{case.name}/{vocabulary.fingerprint}")
    for state in range(index.num_states):
        for token_id in probe_tokens(index, packed, state, rng):
            assert index.next_state(state, token_id) == packed.next_state(state, token_id), (state, token_id)


def test_person_schema_index_is_mostly_sparse_rows_and_under_4_mb(vocabulary):
    """The size target of the index over cl100k (4,000,000 bytes); the others are smaller."""
    case = next(case for case in ORACLE_CASES if case.name == "bench_person_schema")
    index = automaton.compile_index(case.pattern, vocabulary, cache=False)
    assert index.num_sparse_rows > index.num_dense_rows
    assert index.nbytes <= 4_000_000, index.summary()


def test_a_pool_packed_row_by_row_packs_short_lists_when_asked_and_long_ones_at_once(monkeypatch):
    monkeypatch.setattr(mask_rows, "_PACK_ALL_BYTES", 0)
    few = [list(range(0, 40, 7)), [3]]  # short lists: packed when first asked for
    many = list(range(100, 100 + 3 * (mask_rows._FEW_IDS + 1), 3))  # a long list: packed at once
    lists = few + [many]
    offsets = np.cumsum([0] + [len(ids) for ids in lists]).astype(np.int32)
    tokens = np.concatenate([np.array(ids, dtype=np.int32) for ids in lists])
    cache = mask_rows.PackedRowCache(offsets, tokens, n_words=16)
    assert cache._rows[0] is None and cache._rows[1] is None and cache._rows[2] is not None
    for k, ids in enumerate(lists):
        assert unpacked_ids(cache.row(k), 16 * 32) == ids
    assert cache.row(0) is cache.row(0)


def test_a_small_pool_is_packed_whole_when_made():
    lists = [[1, 5], [40]]
    offsets = np.array([0, 2, 3], dtype=np.int32)
    cache = mask_rows.PackedRowCache(offsets, np.array([1, 5, 40], dtype=np.int32), n_words=4)
    assert all(row is not None for row in cache._rows)
    assert [unpacked_ids(cache.row(k), 128) for k in range(2)] == lists


def test_row_ids_lists_the_bits_of_the_kept_rows():
    from automaton.kernels import rows as kernels

    rng = np.random.default_rng(3)
    rows = rng.integers(-(2**31), 2**31, size=(9, 5), dtype=np.int64).astype(np.int32)
    rows[rng.random(rows.shape) < 0.6] = 0  # mostly empty words, as in sparse rows
    rows[2] = 0
    rows[4, 3] = np.int32(-(2**31))  # only bit 31: id 127
    keep = np.array([True, False, True, True, True, False, True, True, False])
    counts = np.array([len(unpacked_ids(row, 160)) for row in rows], dtype=np.int64)
    offsets, ids = kernels.row_ids(rows, keep, counts)
    expected = [unpacked_ids(row, 160) for row, kept in zip(rows, keep) if kept]
    assert offsets.tolist() == np.cumsum([0] + [len(e) for e in expected]).tolist()
    assert ids.tolist() == [i for e in expected for i in e]
    assert 127 in expected[3]


@pytest.mark.parametrize("which", ["ahead-of-time", "jit"])
@pytest.mark.parametrize("seed", range(4))
def test_finish_rows_against_its_statement(which, seed):
    """Packed rows of a build -> stored rows: rows of at most `limit` ids become id lists, both
    kinds keep their order, mask_of follows, and each state's only id (none in accepting states)."""
    from automaton import kernels

    if which == "ahead-of-time":
        finish_rows = kernels.native_kernel("finish_rows")
    else:
        finish_rows = kernels.jit_kernel("finish_rows")
    assert finish_rows is not None, "no up-to-date kernel extension: run `python -m automaton build-kernels`"
    rng = np.random.default_rng(seed)
    n_words, width = 6, 6 * 32
    sizes = rng.integers(0, 40, size=12)
    sizes[:5] = [0, 1, 1, 5, 6]  # an empty row, single-id rows, rows at and past the limit below
    row_sets = {tuple(sorted(rng.choice(width, size=k, replace=False).tolist())) for k in sizes}
    row_sets = sorted(row_sets, key=lambda ids: (len(ids), ids))
    rng.shuffle(row_sets)
    masks = np.zeros((len(row_sets), n_words), dtype=np.uint32)
    for r, ids in enumerate(row_sets):
        for i in ids:
            masks[r, i // 32] |= np.uint32(1 << (i % 32))
    masks = masks.view(np.int32)
    mask_of = rng.integers(0, len(row_sets), size=30).astype(np.int32)
    accepting = rng.random(30) < 0.3
    limit = 5
    dense, new_mask_of, offsets, tokens, sole = finish_rows(masks, mask_of, accepting, limit)
    dense_rows = [r for r, ids in enumerate(row_sets) if len(ids) > limit]
    sparse_rows = [r for r, ids in enumerate(row_sets) if len(ids) <= limit]
    assert np.array_equal(dense, masks[dense_rows].reshape(len(dense_rows), n_words))
    assert offsets.tolist() == np.cumsum([0] + [len(row_sets[r]) for r in sparse_rows]).tolist()
    assert tokens.tolist() == [i for r in sparse_rows for i in row_sets[r]]
    for state, row in enumerate(mask_of.tolist()):
        stored = new_mask_of[state]
        assert (dense_rows.index(row) if row in dense_rows else -1 - sparse_rows.index(row)) == stored
        only = row_sets[row][0] if len(row_sets[row]) == 1 and not accepting[state] else -1
        assert sole[state] == only
