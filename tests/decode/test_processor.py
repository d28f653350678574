"""`RegexLogitsProcessor` and `decode.generate`: per-row states, EOS handling, and real generation with SmolLM2.

Oracles: Python's `re.fullmatch` on the generated text, `json.loads` on the seed example's JSON,
and, for the bookkeeping, the index walked over each row's tokens from scratch.
"""
from __future__ import annotations

import json
import re

import numpy as np
import pytest
import torch
from transformers import LogitsProcessorList

import automaton
import decode
from decode.processor import RegexLogitsProcessor, TokenNotAllowedError

# -- the processor alone, on a small vocabulary --------------------------------------------------------

TOKENS = [b"a", b"b", b"ab", b"c", b"ca", b"x", None, None]  # 6 = EOS, 7 = pad
EOS, PAD = 6, 7
PATTERN = r"(ab|c)+a?"


@pytest.fixture(scope="module")
def index():
    vocabulary = automaton.Vocabulary.from_token_bytes(TOKENS, eos_token_ids=[EOS], logits_width=len(TOKENS) + 3)
    return automaton.compile_index(PATTERN, vocabulary, cache=False)


def text_of(tokens) -> str:
    return b"".join(TOKENS[t] for t in tokens if t != EOS and TOKENS[t] is not None).decode()


def finite_ids(scores_row: torch.Tensor) -> list[int]:
    return torch.isfinite(scores_row).nonzero().flatten().tolist()


def run_rows(processor, prompt: torch.Tensor, steps: int, generator: np.random.Generator, width: int):
    """Drive the processor like generate does, picking a random allowed token per row each step."""
    ids = prompt
    history = []
    for _ in range(steps):
        scores = processor(ids, torch.zeros(ids.shape[0], width))
        history.append(scores.clone())
        choices = []
        for row in range(ids.shape[0]):
            allowed = finite_ids(scores[row])
            choices.append(int(generator.choice(allowed)))
        ids = torch.cat([ids, torch.tensor(choices).unsqueeze(1)], dim=1)
    return ids, history


def test_rows_follow_their_own_tokens(index):
    width = index.logits_width
    processor = RegexLogitsProcessor(index, pad_token_id=PAD)
    prompt = torch.tensor([[PAD, PAD, 9], [PAD, 8, 9], [1, 8, 9], [0, 0, 0]])
    ids, history = run_rows(processor, prompt, steps=12, generator=np.random.default_rng(1), width=width)
    generated = ids[:, prompt.shape[1] :]
    for step, scores in enumerate(history):
        for row in range(ids.shape[0]):
            tokens = generated[row, :step].tolist()
            if EOS in tokens:  # finished: only EOS and pad stay possible
                assert finite_ids(scores[row]) == [EOS, PAD]
                continue
            expected_state = index.advance(index.initial_state, tokens)
            assert finite_ids(scores[row]) == index.allowed_token_ids(expected_state).tolist()
            # EOS is allowed exactly when the text so far is a full match (Python's re decides).
            eos_allowed = bool(torch.isfinite(scores[row, EOS]))
            assert eos_allowed == (re.fullmatch(PATTERN, text_of(tokens)) is not None)
    # Every row's text up to its EOS is a prefix of a match; finished rows are full matches.
    for row in generated.tolist():
        if EOS in row:
            assert re.fullmatch(PATTERN, text_of(row[: row.index(EOS)]))


def test_finished_row_allows_only_eos_and_pad(index):
    processor = RegexLogitsProcessor(index, pad_token_id=PAD)
    prompt = torch.tensor([[5, 5], [5, 5]])
    processor(prompt, torch.zeros(2, index.logits_width))
    ids = torch.cat([prompt, torch.tensor([[3], [3]])], dim=1)  # "c": a full match, EOS allowed
    scores = processor(ids, torch.zeros(2, index.logits_width))
    assert EOS in finite_ids(scores[0]) and 0 in finite_ids(scores[0])
    ids = torch.cat([ids, torch.tensor([[EOS], [0]])], dim=1)
    scores = processor(ids, torch.zeros(2, index.logits_width))
    assert processor.finished == [True, False]
    assert finite_ids(scores[0]) == [EOS, PAD]
    ids = torch.cat([ids, torch.tensor([[PAD], [EOS]])], dim=1)
    scores = processor(ids, torch.zeros(2, index.logits_width))
    assert processor.finished == [True, True]
    assert finite_ids(scores[1]) == [EOS, PAD]


def test_eos_is_never_allowed_before_a_full_match(index):
    processor = RegexLogitsProcessor(index)
    prompt = torch.tensor([[5]])
    scores = processor(prompt, torch.zeros(1, index.logits_width))
    assert not torch.isfinite(scores[0, EOS])  # empty text does not match
    scores = processor(torch.tensor([[5, 0]]), torch.zeros(1, index.logits_width))  # "a"
    assert not torch.isfinite(scores[0, EOS])
    assert finite_ids(scores[0]) == [1]  # only "b" continues "a"


def test_a_token_the_mask_forbids_raises(index):
    processor = RegexLogitsProcessor(index)
    processor(torch.tensor([[5]]), torch.zeros(1, index.logits_width))
    with pytest.raises(TokenNotAllowedError, match="token 5 at step 0") as caught:
        processor(torch.tensor([[5, 5]]), torch.zeros(1, index.logits_width))
    assert caught.value.row == 0 and caught.value.token_id == 5
    assert isinstance(caught.value, automaton.AutomatonError)


def test_reordered_rows_are_rebuilt(index):
    processor = RegexLogitsProcessor(index)
    prompt = torch.tensor([[5], [5]])
    processor(prompt, torch.zeros(2, index.logits_width))
    ids = torch.tensor([[5, 0], [5, 3]])  # "a" / "c"
    processor(ids, torch.zeros(2, index.logits_width))
    swapped = torch.tensor([[5, 3, 0], [5, 0, 1]])  # beams swapped, then one token each: "ca" / "ab"
    scores = processor(swapped, torch.zeros(2, index.logits_width))
    for row in range(2):
        state = index.advance(index.initial_state, swapped[row, 1:].tolist())
        assert processor.states[row] == state
        assert finite_ids(scores[row]) == index.allowed_token_ids(state).tolist()


def test_advance_twice_is_harmless_and_a_new_prompt_restarts(index):
    processor = RegexLogitsProcessor(index)
    processor(torch.tensor([[5]]), torch.zeros(1, index.logits_width))
    processor.advance(torch.tensor([[5, 3]]))
    after_once = list(processor.states)
    processor(torch.tensor([[5, 3]]), torch.zeros(1, index.logits_width))
    assert processor.states == after_once != [index.initial_state]
    # The same processor handed a new prompt (another generate call) starts over.
    processor(torch.tensor([[4, 4, 4, 4]]), torch.zeros(1, index.logits_width))
    assert processor.states == [index.initial_state] and processor.prompt_length == 4


def test_scores_narrower_than_the_index_are_refused(index):
    processor = RegexLogitsProcessor(index)
    with pytest.raises(automaton.AutomatonError, match="logits width"):
        processor(torch.tensor([[5]]), torch.zeros(1, index.logits_width - 1))


# -- with the embedded model ----------------------------------------------------------------------------

QUESTIONS = [
    "Is the sky blue?",
    "Is fire cold? Answer briefly.",
    "Human: Is water wet?\nAI:",
    "Can a fish climb a tree? Think about it and answer with one word, then name the fish.",
    "Yes or no: is two plus two four?",
    "Are cats mammals?",
    "Is the moon made of cheese? Please reply in the format 'Yes. Name.' or 'No. Name.', nothing else.",
    "Q",
]
SHORT_ANSWER = r"(Yes|No)\. [A-Z][a-z]{1,6}\."


def assert_full_matches(results, pattern):
    for result in results:
        assert result.stop_reason == "eos", result
        assert result.matched, result
        assert re.fullmatch(pattern, result.text), result.text


def test_seed_example_is_json_followed_by_human(smollm2_model, seed_example):
    model, tokenizer = smollm2_model
    prompt, pattern = seed_example
    (result,) = decode.generate(model, tokenizer, [prompt], pattern, max_new_tokens=48)
    assert result.stop_reason == "eos" and result.matched
    assert re.fullmatch(pattern, result.text)
    assert result.text.endswith("\nHuman:")
    answer = json.loads(result.text[: -len("\nHuman:")])
    assert answer["action"] == "Final Answer"
    assert result.num_tokens == len(result.token_ids) > 0
    assert result.prompt == prompt


def test_batch_of_prompts_of_different_lengths(smollm2_model):
    model, tokenizer = smollm2_model
    lengths = {len(tokenizer(q)["input_ids"]) for q in QUESTIONS}
    assert len(lengths) >= 6  # left padding really happens
    results = decode.generate(model, tokenizer, QUESTIONS, SHORT_ANSWER, max_new_tokens=16, batch_size=8)
    assert [r.prompt for r in results] == QUESTIONS  # input order, although batched by length
    assert_full_matches(results, SHORT_ANSWER)
    # The most padded prompt gives the same text alone as in the batch (padding is masked out).
    shortest = min(range(len(QUESTIONS)), key=lambda i: len(tokenizer(QUESTIONS[i])["input_ids"]))
    (alone,) = decode.generate(model, tokenizer, [QUESTIONS[shortest]], SHORT_ANSWER, max_new_tokens=16)
    assert alone.text == results[shortest].text


def test_sampling_with_a_fixed_seed(smollm2_model):
    model, tokenizer = smollm2_model
    pattern = r"[0-9]{1,3} (apples|pears)"
    torch.manual_seed(1234)
    results = decode.generate(
        model, tokenizer, QUESTIONS[:6], pattern, max_new_tokens=10, batch_size=6, do_sample=True, temperature=1.3
    )
    assert_full_matches(results, pattern)
    assert len({r.text for r in results}) > 1  # sampling, not one forced answer


def test_num_return_sequences(smollm2_model):
    model, tokenizer = smollm2_model
    torch.manual_seed(7)
    results = decode.generate(
        model, tokenizer, QUESTIONS[:2], SHORT_ANSWER, max_new_tokens=14,
        do_sample=True, num_return_sequences=3,
    )
    assert [r.prompt for r in results] == [QUESTIONS[0]] * 3 + [QUESTIONS[1]] * 3
    assert_full_matches(results, SHORT_ANSWER)


def test_cut_off_rows_are_not_matches(smollm2_model):
    model, tokenizer = smollm2_model
    pattern = r"[a-z ]{30,40}\."
    results = decode.generate(model, tokenizer, QUESTIONS[:2], pattern, max_new_tokens=4)
    for result in results:
        assert result.stop_reason == "max_new_tokens"
        assert not result.matched
        assert result.num_tokens == 4
        assert re.fullmatch(pattern, result.text) is None


def test_rows_stop_right_after_eos(smollm2_model):
    model, tokenizer = smollm2_model
    vocabulary = automaton.Vocabulary.from_tokenizer(
        tokenizer, eos_token_ids=model.generation_config.eos_token_id, logits_width=model.config.vocab_size
    )
    index = automaton.compile_index(r"(Yes|No)\.( [A-Z][a-z]{1,6}\.)?", vocabulary)
    eos = set(vocabulary.eos_token_ids)
    batch = tokenizer(QUESTIONS[:4], return_tensors="pt", padding=True)
    processor = RegexLogitsProcessor(index, pad_token_id=tokenizer.pad_token_id)
    output = model.generate(
        **batch, max_new_tokens=12, do_sample=False, logits_processor=LogitsProcessorList([processor]),
        eos_token_id=sorted(eos), pad_token_id=tokenizer.pad_token_id,
    )
    for row in output[:, batch["input_ids"].shape[1] :].tolist():
        assert any(token in eos for token in row), row
        end = next(i for i, token in enumerate(row) if token in eos)
        text = tokenizer.decode(row[:end])
        assert re.fullmatch(index.pattern, text), text
        assert set(row[end + 1 :]) <= {tokenizer.pad_token_id, *eos}  # nothing after EOS
