"""`decode.masking` against a boolean reference: bits read one by one in Python/numpy, then `torch.where`."""
from __future__ import annotations

import numpy as np
import pytest
import torch

import automaton
from decode import masking
from decode.masking import DeviceMasks, MaskingError, apply_token_bitmask_, device_masks

DTYPES = [torch.float32, torch.float16, torch.bfloat16, torch.float64]


def reference(logits: torch.Tensor, bitmask: torch.Tensor) -> torch.Tensor:
    """-inf where bit j of the row is clear or j is past the mask (bits read with shifts and `&`)."""
    batch, width = logits.shape
    words = bitmask.numpy().astype(np.int64) & 0xFFFFFFFF
    allowed = np.zeros((batch, width), dtype=bool)
    columns = np.arange(min(width, 32 * words.shape[1]))
    allowed[:, columns] = (words[:, columns // 32] >> (columns % 32)) & 1 == 1
    minus_inf = torch.tensor(float("-inf"), dtype=logits.dtype)
    return torch.where(torch.from_numpy(allowed), logits, minus_inf)


def random_bitmask(generator: np.random.Generator, batch: int, words: int, kind: str) -> torch.Tensor:
    if kind == "random":
        values = generator.integers(-(2**31), 2**31, size=(batch, words), dtype=np.int64)
    elif kind == "sparse":  # most words empty, a few bits set: the usual shape of a pattern's row
        values = np.zeros((batch, words), dtype=np.int64)
        for row in range(batch):
            for j in generator.choice(32 * words, size=min(5, 32 * words), replace=False):
                values[row, j // 32] |= 1 << (j % 32)
        values[values >= 2**31] -= 2**32
    else:  # "mixed": whole words all-set, all-clear or random
        values = generator.integers(-(2**31), 2**31, size=(batch, words), dtype=np.int64)
        choice = generator.integers(0, 3, size=(batch, words))
        values[choice == 0] = 0
        values[choice == 1] = -1
    return torch.from_numpy(values.astype(np.int32))


CASES = [  # batch, logits width, mask words
    (1, 1, 1),
    (1, 31, 1),
    (2, 33, 2),
    (3, 100, 4),
    (5, 1000, 32),
    (8, 49_152, 1536),
    (64, 4099, 129),
    (17, 12_345, 386),
]


@pytest.mark.parametrize("dtype", DTYPES, ids=str)
@pytest.mark.parametrize("batch,width,words", CASES)
@pytest.mark.parametrize("kind", ["random", "sparse", "mixed"])
def test_matches_reference(dtype, batch, width, words, kind):
    generator = np.random.default_rng(batch * 7919 + width)
    logits = torch.from_numpy(generator.standard_normal((batch, width))).to(dtype)
    bitmask = random_bitmask(generator, batch, words, kind)
    expected = reference(logits, bitmask)
    for apply in (apply_token_bitmask_, masking._apply_torch_):
        masked = logits.clone()
        returned = apply(masked, bitmask)
        assert torch.equal(masked, expected), apply.__name__
        if returned is not None:
            assert returned is masked


@pytest.mark.parametrize("batch", [2, 64])
def test_parallel_and_serial_kernels_agree_with_reference(batch):
    # Large enough to take the parallel kernel (batch > 1, at least 2**20 logits).
    width = 2**20 // batch + 77
    generator = np.random.default_rng(batch)
    logits = torch.from_numpy(generator.standard_normal((batch, width)).astype(np.float32))
    bitmask = random_bitmask(generator, batch, (width + 31) // 32, "mixed")
    expected = reference(logits, bitmask)
    masked = logits.clone()
    apply_token_bitmask_(masked, bitmask)
    assert torch.equal(masked, expected)


@pytest.mark.parametrize("extra", [1, 32, 1000])
def test_columns_past_the_mask_are_disallowed(extra):
    words = 3
    logits = torch.zeros(2, 32 * words + extra)
    bitmask = torch.full((2, words), -1, dtype=torch.int32)  # every token of the mask allowed
    for apply in (apply_token_bitmask_, masking._apply_torch_):
        masked = logits.clone()
        apply(masked, bitmask)
        assert torch.isfinite(masked[:, : 32 * words]).all()
        assert torch.isneginf(masked[:, 32 * words :]).all()


def test_keeps_allowed_values_bit_for_bit():
    values = torch.tensor([[float("nan"), float("inf"), -0.0, 1e-45, 3.5, float("-inf")]])
    bitmask = torch.tensor([[0b011111]], dtype=torch.int32)
    masked = values.clone()
    apply_token_bitmask_(masked, bitmask)
    assert masked[0, :5].view(torch.int32).tolist() == values[0, :5].view(torch.int32).tolist()
    assert torch.isneginf(masked[0, 5])


# -- validation ----------------------------------------------------------------------------------


def test_rejects_integer_logits():
    with pytest.raises(MaskingError, match=r"logits\.float\(\)"):
        apply_token_bitmask_(torch.zeros(1, 32, dtype=torch.int32), torch.zeros(1, 1, dtype=torch.int32))


def test_rejects_one_dimensional_logits():
    with pytest.raises(MaskingError, match=r"unsqueeze\(0\)"):
        apply_token_bitmask_(torch.zeros(32), torch.zeros(1, 1, dtype=torch.int32))


def test_rejects_non_contiguous_logits():
    logits = torch.zeros(64, 4).t()
    with pytest.raises(MaskingError, match=r"contiguous\(\)"):
        apply_token_bitmask_(logits, torch.zeros(4, 2, dtype=torch.int32))


def test_rejects_wrong_bitmask_dtype():
    with pytest.raises(MaskingError, match=r"torch\.int32"):
        apply_token_bitmask_(torch.zeros(1, 32), torch.zeros(1, 1, dtype=torch.int64))


def test_rejects_batch_mismatch():
    with pytest.raises(MaskingError, match="same batch"):
        apply_token_bitmask_(torch.zeros(2, 32), torch.zeros(3, 1, dtype=torch.int32))


def test_rejects_mask_wider_than_logits():
    with pytest.raises(MaskingError, match="logits_width=40"):
        apply_token_bitmask_(torch.zeros(1, 40), torch.zeros(1, 3, dtype=torch.int32))


def test_rejects_bitmask_on_another_device():
    logits = torch.zeros(1, 32, device="meta")
    with pytest.raises(MaskingError, match=r"bitmask\.to\(logits\.device\)"):
        apply_token_bitmask_(logits, torch.zeros(1, 1, dtype=torch.int32))


def test_rejects_non_contiguous_bitmask():
    bitmask = torch.zeros(4, 2, dtype=torch.int32)[:, :1]
    with pytest.raises(MaskingError, match=r"bitmask\.contiguous\(\)"):
        apply_token_bitmask_(torch.zeros(4, 32), bitmask)


def test_errors_belong_to_the_hierarchy():
    assert issubclass(MaskingError, automaton.AutomatonError)


# -- masks of an index ------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def small_index():
    tokens = [b"1", b"2", b"12", b"a", b"-", None] + [bytes([48 + i % 10]) * (1 + i % 3) for i in range(60)]
    vocabulary = automaton.Vocabulary.from_token_bytes(tokens, eos_token_ids=[5], logits_width=len(tokens) + 9)
    return automaton.compile_index(r"-?(1|2)+a?", vocabulary, cache=False)


def test_device_masks_apply_the_rows_of_each_state(small_index):
    masks = DeviceMasks(small_index)
    states = list(range(small_index.num_states)) * 3
    logits = torch.zeros(len(states), small_index.logits_width + 7)
    masks.apply_(logits, states)
    for row, state in enumerate(states):
        finite = torch.isfinite(logits[row]).nonzero().flatten().tolist()
        assert finite == small_index.allowed_token_ids(state).tolist()


@pytest.mark.parametrize("max_sparse_ids", [None, 10**9], ids=["default_rule", "all_sparse"])
def test_device_masks_apply_rows_stored_as_id_lists(max_sparse_ids):
    """Rows the index keeps as id lists mask exactly like the same index with every row packed."""
    from automaton.index import build_index

    tokens = [b"1", b"2", b"12", b"a", b"-", None] + [bytes([48 + i % 10]) * (1 + i % 3) for i in range(60)]
    vocabulary = automaton.Vocabulary.from_token_bytes(tokens, eos_token_ids=[5], logits_width=2048)
    dfa = automaton.compile_dfa(r"-?(1|2)+a?")
    index = build_index(dfa, vocabulary, max_states=100, max_sparse_ids=max_sparse_ids)
    packed = build_index(dfa, vocabulary, max_states=100, max_sparse_ids=0)
    assert index.num_sparse_rows > 0 and packed.num_sparse_rows == 0
    states = list(range(index.num_states)) * 2
    logits = torch.zeros(len(states), index.logits_width)
    DeviceMasks(index).apply_(logits, states)
    for row, state in enumerate(states):
        finite = torch.isfinite(logits[row]).nonzero().flatten().tolist()
        assert finite == packed.allowed_token_ids(state).tolist()


def test_device_masks_keep_one_copy_per_device(small_index):
    masks = device_masks(small_index)
    assert device_masks(small_index) is masks
    first = masks.tensors("cpu")
    assert masks.tensors(torch.device("cpu"))[0] is first[0]


def test_device_masks_reject_bad_states_and_narrow_logits(small_index):
    masks = DeviceMasks(small_index)
    with pytest.raises(MaskingError, match="state out of range"):
        masks.apply_(torch.zeros(1, small_index.logits_width), [small_index.num_states])
    with pytest.raises(MaskingError, match="logits width"):
        masks.apply_(torch.zeros(1, small_index.logits_width - 1), [0])
    with pytest.raises(MaskingError, match="2 states given for 1 rows"):
        masks.apply_(torch.zeros(1, small_index.logits_width), [0, 0])
