"""`TokenIndex`'s consistency checks (what a loaded file must satisfy): each damage to a valid
index is refused with the message naming it, with the ahead-of-time kernel and the JIT kernel,
and an intact index passes."""
from __future__ import annotations

import numpy as np
import pytest

import automaton
from automaton import kernels
from automaton.index.build import build_index
from automaton.index.token_index import TokenIndex


@pytest.fixture(scope="module")
def index() -> TokenIndex:
    tokens = [b"a", b"b", b"ab", b"ba", b"aab", b"c", b"abc", None]
    vocabulary = automaton.Vocabulary.from_token_bytes(tokens, eos_token_ids=[7])
    built = build_index(automaton.compile_dfa("(ab|ba)+c?"), vocabulary, max_states=100, max_sparse_ids=2)
    assert built.num_sparse_rows >= 1 and built.num_dense_rows >= 1 and built.forced_data.size
    return built


def with_change(index: TokenIndex, name: str, change) -> dict:
    arrays = {key: np.array(value) for key, value in index.arrays().items()}
    changed = change(arrays[name])
    arrays[name] = changed if changed is not None else arrays[name]
    return arrays


def bump_first(offset):
    def change(array):
        array.reshape(-1)[0] += offset
    return change


def bump_last(offset):
    def change(array):
        array.reshape(-1)[-1] += offset
    return change


def swap_two(array):
    flat = array.reshape(-1)
    flat[0], flat[1] = flat[1], flat[0]


def set_all(value):
    def change(array):
        array[:] = value
    return change


DAMAGES = {
    "sparse offsets past the ids": ("sparse_offsets", bump_last(1), "sparse_offsets are not increasing"),
    "a sparse id past the width": ("sparse_tokens", bump_last(100), "sparse_tokens holds an id outside"),
    "a negative sparse id": ("sparse_tokens", bump_first(-100), "sparse_tokens holds an id outside"),
    "mask_of past the rows": ("mask_of", set_all(99), "mask_of refers to a row that does not exist"),
    "mask_of past the id lists": ("mask_of", set_all(-99), "mask_of refers to a row that does not exist"),
    "a DFA entry past the states": ("dfa_table", bump_last(99), "dfa_table refers to a DFA state"),
    "a negative DFA entry": ("dfa_table", set_all(-1), "dfa_table refers to a DFA state"),
    "a class past the table": ("byte_classes", set_all(200), "byte_classes does not fit"),
    "state_of_dfa past the states": ("state_of_dfa", bump_last(99), "state_of_dfa refers to a state"),
    "state_of_dfa below -1": ("state_of_dfa", set_all(-2), "state_of_dfa refers to a state"),
    "dfa_state_of past the DFA": ("dfa_state_of", bump_last(99), "dfa_state_of refers to a DFA state"),
    "token offsets going down": ("token_offsets", swap_two, "token_offsets are not increasing"),
    "token offsets past the bytes": ("token_offsets", bump_last(1), "token_offsets are not increasing"),
    "forced offsets not from 0": ("forced_offsets", bump_first(1), "forced_offsets are not increasing"),
    "a sole token past the width": ("sole_token", set_all(10**6), "sole_token does not hold"),
    "an EOS id past the width": ("eos_token_ids", set_all(10**6), "an EOS id lies outside"),
    "a negative EOS id": ("eos_token_ids", set_all(-1), "an EOS id lies outside"),
    "masks one word short": ("masks", lambda array: np.ascontiguousarray(array[:, :-1]), "masks shape"),
    "dfa_state_of one short": ("dfa_state_of", lambda array: array[:-1].copy(), "dfa_state_of shape"),
    "no DFA states": ("dfa_table", lambda array: array[:0].copy(), "dfa_table shape"),
}


@pytest.fixture(params=["ahead-of-time", "jit"])
def which_kernel(request, monkeypatch):
    if request.param == "jit":
        monkeypatch.setattr(kernels, "index_problems", kernels.jit_kernel("index_problems"))
    else:
        native = kernels.native_kernel("index_problems")
        assert native is not None, "no up-to-date kernel extension: run `python -m automaton build-kernels`"
        monkeypatch.setattr(kernels, "index_problems", native)
    return request.param


def test_an_intact_index_passes(index, which_kernel):
    TokenIndex.from_arrays({key: np.array(value) for key, value in index.arrays().items()}, index.metadata())


@pytest.mark.parametrize("damage", sorted(DAMAGES))
def test_each_damage_is_named(index, which_kernel, damage):
    name, change, expected = DAMAGES[damage]
    with pytest.raises(ValueError, match="inconsistent index") as raised:
        TokenIndex.from_arrays(with_change(index, name, change), index.metadata())
    assert expected in str(raised.value)
