"""`decode.generate`'s results carry what generation knew: stop reason, final state, prompt tokens; `matched`.

Oracles, each computed apart from the code under test: the tokenizer's own encode for prompt
token counts, the index walked over each result's tokens from its initial state for the final
state, and Python's `re.fullmatch(pattern, text, re.ASCII)` for `matched`. The processor's own
bookkeeping (`RegexLogitsProcessor.finish`) is checked on a small vocabulary against the same walk.
"""
from __future__ import annotations

import dataclasses
import re

import numpy as np
import pytest
import torch

import automaton
import decode
from decode.generation import index_for
from decode.processor import RegexLogitsProcessor

QUESTIONS = [
    "Is the sky blue?",
    "Human: Is water wet?\nAI:",
    "Can a fish climb a tree? Think about it and answer with one word, then name the fish.",
    "Are cats mammals?",
    "Q",
]
ANSWER = r"(Yes|No)\.( [A-Z][a-z]{1,6}\.)?"

# The three ways a batch is generated: the own loop with and without jump-forward, and
# `model.generate` with a RegexLogitsProcessor (any keyword the own loop does not take).
PATHS = {
    "loop": {},
    "loop-no-jump": {"jump_forward": False},
    "model.generate": {"jump_forward": False, "do_sample": False, "repetition_penalty": 1.0},
}


def check_against_oracles(results, prompts, tokenizer, index, pattern):
    eos = {int(i) for i in np.asarray(index.eos_token_ids).tolist()}
    for result, prompt in zip(results, prompts):
        assert result.prompt == prompt
        assert result.prompt_tokens == len(tokenizer(prompt)["input_ids"]), result
        assert not eos & set(result.token_ids), "an EOS id among the generated tokens"
        assert result.num_tokens == len(result.token_ids)
        assert result.final_state == index.advance(index.initial_state, result.token_ids), result
        assert result.stop_reason in ("eos", "max_new_tokens", "stop"), result
        if result.stop_reason == "eos":
            assert index.is_accepting(result.final_state), result
        assert result.matched == (
            result.stop_reason == "eos" and re.fullmatch(pattern, result.text, re.ASCII) is not None
        ), result


@pytest.mark.parametrize("path", list(PATHS))
def test_results_carry_the_stop_reason_final_state_and_prompt_tokens(smollm2_model, path):
    model, tokenizer = smollm2_model
    index = index_for(model, tokenizer, ANSWER)
    for max_new_tokens in (16, 1):  # rows that end on EOS, then rows that are cut off
        results = decode.generate(model, tokenizer, QUESTIONS, ANSWER, max_new_tokens=max_new_tokens,
                                  batch_size=3, **PATHS[path])
        check_against_oracles(results, QUESTIONS, tokenizer, index, ANSWER)
        reasons = {result.stop_reason for result in results}
        assert reasons == ({"eos"} if max_new_tokens == 16 else {"max_new_tokens"}), results


def test_a_row_whose_state_allows_only_eos_ends_without_one(smollm2_model):
    """After "Yes." the pattern allows only EOS: the loop ends the row there, and no EOS is appended."""
    model, tokenizer = smollm2_model
    pattern = r"(Yes|No)\."
    index = index_for(model, tokenizer, pattern)
    results = decode.generate(model, tokenizer, QUESTIONS, pattern, max_new_tokens=8)
    check_against_oracles(results, QUESTIONS, tokenizer, index, pattern)
    for result in results:
        assert result.stop_reason == "eos" and result.matched, result
        assert index.allowed_token_ids(result.final_state).tolist() == sorted(
            int(i) for i in np.asarray(index.eos_token_ids).tolist()
        )


@pytest.mark.parametrize("path", ["loop", "model.generate"])
def test_matched_means_the_same_for_a_pattern_and_its_index(smollm2_model, path):
    model, tokenizer = smollm2_model
    index = index_for(model, tokenizer, ANSWER)
    kwargs = dict(max_new_tokens=16, batch_size=5, **PATHS[path])
    from_pattern = decode.generate(model, tokenizer, QUESTIONS, ANSWER, **kwargs)
    from_index = decode.generate(model, tokenizer, QUESTIONS, index, **kwargs)
    assert from_index == from_pattern
    check_against_oracles(from_index, QUESTIONS, tokenizer, index, ANSWER)
    assert any(result.matched for result in from_index)

    # An index whose pattern text says otherwise than its automaton: `matched` follows Python's
    # `re` on `index.pattern` for an index too (the second opinion is not skipped for indexes).
    relabeled = dataclasses.replace(index, pattern="Maybe")
    disagreeing = decode.generate(model, tokenizer, QUESTIONS, relabeled, **kwargs)
    assert [r.text for r in disagreeing] == [r.text for r in from_index]
    assert any(r.stop_reason == "eos" and index.is_accepting(r.final_state) for r in disagreeing)
    assert not any(r.matched for r in disagreeing)
    check_against_oracles(disagreeing, QUESTIONS, tokenizer, relabeled, "Maybe")

    # No pattern text at all: `matched` rests on the index alone (EOS in an accepting state).
    unlabeled = dataclasses.replace(index, pattern="")
    for result in decode.generate(model, tokenizer, QUESTIONS, unlabeled, **kwargs):
        assert result.matched == (result.stop_reason == "eos" and index.is_accepting(result.final_state))


# -- the processor's bookkeeping, on a small vocabulary ------------------------------------------------

TOKENS = [b"a", b"b", b"ab", b"c", b"ca", b"x", None, None]  # 6 = EOS, 7 = pad (never allowed)
EOS, PAD = 6, 7


@pytest.fixture(scope="module")
def small_index():
    vocabulary = automaton.Vocabulary.from_token_bytes(TOKENS, eos_token_ids=[EOS], logits_width=len(TOKENS))
    return automaton.compile_index(r"(ab|c)+a?", vocabulary, cache=False)


def walk(index, tokens):
    """(state, stop reason, kept tokens) by walking the index from scratch: EOS ends, a disallowed pad stops."""
    state, kept = index.initial_state, 0
    for token in tokens:
        if token == EOS:
            return state, "eos", kept
        following = index.next_state(state, token)
        if following < 0:
            assert token == PAD
            return state, "stop", kept
        state, kept = following, kept + 1
    return state, None, kept


def test_processor_finish_gives_what_it_tracked(small_index):
    generated = [
        [2, 3, EOS, PAD, PAD],  # "abc", then EOS: padded after it
        [3, PAD, PAD, PAD, PAD],  # "c", then ended by the caller's stopping criterion
        [2, 3, 0, EOS, PAD],  # "abca" + EOS, the EOS at the step before the last
        [3, 3, 2, 3, 4],  # still running when generation ended (the last token seen by no call)
    ]
    prompt = torch.full((len(generated), 2), 5)
    sequences = torch.cat([prompt, torch.tensor(generated)], dim=1)
    processor = RegexLogitsProcessor(small_index, pad_token_id=PAD)
    for length in range(prompt.shape[1], sequences.shape[1]):  # as generate calls it: one call per new token
        processor(sequences[:, :length], torch.zeros(len(generated), small_index.logits_width))
    assert processor.finish(sequences) == [walk(small_index, tokens) for tokens in generated]
    # Rows that the output selects or reorders (beam search) are rebuilt from their tokens.
    assert processor.finish(sequences[[3, 0]]) == [walk(small_index, generated[3]), walk(small_index, generated[0])]
