"""`decode.generate`'s hardening: foreign indexes refused, empty prompts, chat templates, stop at the first
match, seeded sampling. Real generation with the embedded SmolLM2 model.

Oracles, each apart from the code under test: the tokenizer's own `encode` and `apply_chat_template`
(what reached the model, read by a forward hook), token bytes compared id by id, Python's
`re.fullmatch`, and the index walked token by token (`index.next_state`, `index.is_accepting`).
"""
from __future__ import annotations

import re

import pytest
import torch

import automaton
import decode
from decode.generation import index_for, vocabulary_for
from decode.processor import RegexLogitsProcessor

ANSWER = r"(Yes|No)\."
QUESTIONS = ["Is the sky blue?", "Human: Is water wet?\nAI:", "Are cats mammals?"]
NAME = r"[A-Z][a-z]+"
# decode's own loop, and model.generate with the processor (a keyword the own loop does not take).
PATHS = {"loop": {}, "model.generate": {"jump_forward": False, "repetition_penalty": 1.0}}


class FedInputs:
    """Records the `input_ids` rows (padding dropped) of every prompt pass of the model (the passes with a mask
    as long as the ids: later passes carry the KV cache and a longer mask)."""

    def __init__(self, model):
        self.rows: list[list[int]] = []
        self.calls = 0
        self._handle = model.register_forward_pre_hook(self._hook, with_kwargs=True)

    def _hook(self, module, args, kwargs):
        self.calls += 1
        ids, mask = kwargs.get("input_ids"), kwargs.get("attention_mask")
        if ids is not None and mask is not None and mask.shape[1] == ids.shape[1]:
            for row, row_mask in zip(ids.tolist(), mask.tolist()):
                self.rows.append([token for token, keep in zip(row, row_mask) if keep])

    def close(self):
        self._handle.remove()


def template_ids(tokenizer, messages) -> list[int]:
    """The oracle: the tokenizer's own `apply_chat_template`, tokenized by it (a list, or a mapping with input_ids)."""
    ids = tokenizer.apply_chat_template(messages, add_generation_prompt=True, tokenize=True)
    return list(ids["input_ids"] if hasattr(ids, "keys") else ids)


def walk(index, tokens):
    """The states after each prefix of `tokens` (the initial state first), by the index alone."""
    states = [index.initial_state]
    for token in tokens:
        states.append(index.next_state(states[-1], token))
        assert states[-1] >= 0
    return states


# -- item 2: an index of another vocabulary -------------------------------------------------------------


@pytest.fixture(scope="module")
def swapped_index(smollm2_model):
    """`(Yes|No)\\.` over SmolLM2's own token bytes with the bytes of "Yes" and "No" swapped: the same sizes,
    EOS ids and width, other text per id (the garbage case: "Yes" would come out of the model as "No")."""
    model, tokenizer = smollm2_model
    vocabulary = vocabulary_for(model, tokenizer)
    (yes,) = tokenizer.encode("Yes", add_special_tokens=False)
    (no,) = tokenizer.encode("No", add_special_tokens=False)
    token_bytes = [vocabulary.token_bytes(i) for i in range(vocabulary.num_tokens)]
    token_bytes[yes], token_bytes[no] = token_bytes[no], token_bytes[yes]
    swapped = automaton.Vocabulary.from_token_bytes(
        token_bytes, eos_token_ids=sorted(vocabulary.eos_token_ids), logits_width=vocabulary.logits_width
    )
    return automaton.compile_index(ANSWER, swapped, cache=False), (yes, no)


def test_index_of_another_vocabulary_is_refused_by_generate_and_the_processor(smollm2_model, swapped_index):
    model, tokenizer = smollm2_model
    index, (yes, no) = swapped_index
    vocabulary = vocabulary_for(model, tokenizer)
    assert index.vocabulary_fingerprint != vocabulary.fingerprint
    assert index.num_tokens == vocabulary.num_tokens and index.logits_width == vocabulary.logits_width
    for path in PATHS.values():
        with pytest.raises(decode.VocabularyMismatchError) as caught:
            decode.generate(model, tokenizer, QUESTIONS, index, max_new_tokens=4, **path)
        error = caught.value
        assert isinstance(error, ValueError) and isinstance(error, automaton.AutomatonError)
        assert f"2 token ids spell other bytes (id {min(yes, no)}" in str(error), error
        assert error.index_fingerprint == index.vocabulary_fingerprint
        assert error.vocabulary_fingerprint == vocabulary.fingerprint
        assert index.vocabulary_fingerprint[:16] in str(error) and vocabulary.fingerprint[:16] in str(error)
    with pytest.raises(decode.VocabularyMismatchError, match="spell other bytes"):
        RegexLogitsProcessor(index, tokenizer=tokenizer)
    with pytest.raises(decode.VocabularyMismatchError, match="spell other bytes"):
        RegexLogitsProcessor(index, vocabulary=vocabulary)
    # The model's own index passes both checks, and so does one built without the model's EOS ids.
    own = index_for(model, tokenizer, ANSWER)
    RegexLogitsProcessor(own, tokenizer=tokenizer)
    plain = automaton.compile_index(ANSWER, automaton.Vocabulary.from_tokenizer(tokenizer), cache=False)
    RegexLogitsProcessor(plain, tokenizer=tokenizer)
    (result,) = decode.generate(model, tokenizer, QUESTIONS[:1], plain, max_new_tokens=4)
    assert result.matched and re.fullmatch(ANSWER, result.text)


def test_index_of_another_tokenizer_is_refused_naming_sizes_and_eos(smollm2_model):
    from tests.support.tokenizers import mistral_v1_tokenizer

    model, tokenizer = smollm2_model
    mistral = automaton.Vocabulary.from_tokenizer(mistral_v1_tokenizer())
    index = automaton.compile_index(ANSWER, mistral, cache=False)
    ours = vocabulary_for(model, tokenizer)
    with pytest.raises(decode.VocabularyMismatchError) as caught:
        decode.generate(model, tokenizer, QUESTIONS, index, max_new_tokens=4)
    message = str(caught.value)
    assert f"the index has {mistral.num_tokens} tokens, the tokenizer {ours.num_tokens}" in message, message
    assert f"EOS ids are {sorted(mistral.eos_token_ids)}, the model's {sorted(ours.eos_token_ids)}" in message
    with pytest.raises(decode.VocabularyMismatchError, match=f"the index has {mistral.num_tokens} tokens"):
        RegexLogitsProcessor(index, tokenizer=tokenizer)


# -- item 3: empty prompts ---------------------------------------------------------------------------------


def test_empty_prompts_raise_before_generation_and_no_prompts_give_no_results(smollm2_model):
    model, tokenizer = smollm2_model
    assert tokenizer("")["input_ids"] == []  # this tokenizer adds no BOS: "" is no token at all
    assert decode.generate(model, tokenizer, [], ANSWER) == []
    fed = FedInputs(model)
    try:
        for prompts, positions in ((["Is the sky blue?", "", "Q", ""], [1, 3]), ("", [0])):
            with pytest.raises(decode.EmptyPromptError) as caught:
                decode.generate(model, tokenizer, prompts, ANSWER, max_new_tokens=4)
            assert caught.value.positions == positions
            assert isinstance(caught.value, ValueError)
            assert "position " + ", ".join(map(str, positions)) in str(caught.value)
        assert fed.calls == 0  # nothing was generated for the other prompts either
        # Through the chat template an empty message is not an empty prompt.
        (result,) = decode.generate(model, tokenizer, [""], ANSWER, max_new_tokens=4, chat_template=True)
        templated = template_ids(tokenizer, [{"role": "user", "content": ""}])
        assert result.prompt == "" and result.prompt_tokens == len(templated) > 0
        assert fed.rows == [templated]
    finally:
        fed.close()


# -- item 10: chat templates --------------------------------------------------------------------------------


def test_chat_messages_and_chat_template_reach_the_model_as_the_template_says(smollm2_model):
    model, tokenizer = smollm2_model
    conversation = [{"role": "system", "content": "Answer Yes or No."}, {"role": "user", "content": QUESTIONS[0]}]
    cases = [  # (prompt, chat_template, the ids the model must see)
        (conversation, None, template_ids(tokenizer, conversation)),
        (QUESTIONS[1], None, tokenizer.encode(QUESTIONS[1])),
        (QUESTIONS[2], True, template_ids(tokenizer, [{"role": "user", "content": QUESTIONS[2]}])),
    ]
    for prompt, chat_template, expected in cases:
        fed = FedInputs(model)
        try:
            (result,) = decode.generate(model, tokenizer, [prompt], ANSWER, max_new_tokens=8,
                                        chat_template=chat_template)
        finally:
            fed.close()
        assert fed.rows == [expected], (prompt, chat_template)
        assert result.prompt is prompt and result.prompt_tokens == len(expected)
        assert result.matched and re.fullmatch(ANSWER, result.text)
    # One conversation alone, and conversations mixed with strings in one batch, in input order.
    (alone,) = decode.generate(model, tokenizer, conversation, ANSWER, max_new_tokens=8)
    mixed = decode.generate(model, tokenizer, [QUESTIONS[1], conversation], ANSWER, max_new_tokens=8, batch_size=2)
    assert [r.prompt for r in mixed] == [QUESTIONS[1], conversation]
    assert mixed[1].prompt_tokens == alone.prompt_tokens == len(cases[0][2])
    assert mixed[0].prompt_tokens == len(cases[1][2])


def test_chat_template_refusals_name_the_prompt(smollm2_model):
    from tests.support.tokenizers import mistral_v1_tokenizer

    model, tokenizer = smollm2_model
    conversation = [{"role": "user", "content": "Hi"}]
    with pytest.raises(decode.ChatTemplateError, match="prompt 1 is a list of chat messages but chat_template=False"):
        decode.generate(model, tokenizer, ["Hi", conversation], ANSWER, chat_template=False)
    with pytest.raises(decode.ChatTemplateError, match="prompt 0: message 1 is not"):
        decode.generate(model, tokenizer, [[{"role": "user", "content": "Hi"}, "Hi"]], ANSWER)
    mistral = mistral_v1_tokenizer()
    assert not mistral.chat_template
    from decode.generation import prompt_token_ids

    with pytest.raises(decode.ChatTemplateError, match="prompt 0 needs a chat template"):
        prompt_token_ids(mistral, ["Hi"], chat_template=True)
    assert prompt_token_ids(mistral, ["Hi"]) == [mistral.encode("Hi")]


# -- item 11: stop at the first full match --------------------------------------------------------------------


@pytest.mark.parametrize("path", list(PATHS))
def test_stop_when_matched_ends_rows_at_their_first_full_match(smollm2_model, path):
    model, tokenizer = smollm2_model
    path = PATHS[path]
    index = index_for(model, tokenizer, NAME)
    prompts = ["Name a city:", "My name is", "The capital of France is", "Q"]
    results = decode.generate(model, tokenizer, prompts, NAME, max_new_tokens=12, stop_when_matched=True, **path)
    for result in results:
        states = walk(index, result.token_ids)
        accepting = [bool(index.is_accepting(state)) for state in states]
        assert result.stop_reason == "match" and result.matched, result
        assert accepting[-1] and not any(accepting[:-1]), (result, accepting)  # the first accepting prefix
        assert result.final_state == states[-1]
        assert re.fullmatch(NAME, result.text, re.ASCII)
        assert not any(re.fullmatch(NAME, tokenizer.decode(result.token_ids[:n])) for n in range(result.num_tokens))
    # Without it the rows go on past their first match (to an EOS or max_new_tokens).
    longer = decode.generate(model, tokenizer, prompts, NAME, max_new_tokens=12, **path)
    assert all(r.stop_reason in ("eos", "max_new_tokens") for r in longer)
    assert any(r.num_tokens > s.num_tokens for r, s in zip(longer, results))


def test_stop_when_matched_with_a_pattern_the_empty_text_matches_runs_no_model(smollm2_model):
    model, tokenizer = smollm2_model
    pattern = r"[a-z]*"
    index = index_for(model, tokenizer, pattern)
    assert index.is_accepting(index.initial_state) and re.fullmatch(pattern, "")
    fed = FedInputs(model)
    try:
        for path in PATHS.values():
            results = decode.generate(model, tokenizer, QUESTIONS, pattern, max_new_tokens=4,
                                      stop_when_matched=True, **path)
            assert [(r.text, r.stop_reason, r.matched, r.num_tokens) for r in results] == [("", "match", True, 0)] * 3
            assert [r.prompt_tokens for r in results] == [len(tokenizer.encode(q)) for q in QUESTIONS]
    finally:
        fed.close()
    assert fed.calls == 0


def test_langchain_chat_template_and_stop_after_match(smollm2_model):
    pytest.importorskip("langchain_core", reason="the langchain extra (langchain-core) is not installed")
    from decode.langchain import RELLM

    model, tokenizer = smollm2_model
    llm = RELLM(model=model, tokenizer=tokenizer, regex=NAME, max_new_tokens=12, stop_after_match=True,
                chat_template=True)
    result = llm.generate(["Name a city."])
    generation = result.generations[0][0]
    assert generation.generation_info["stop_reason"] == "match" and generation.generation_info["matched"]
    (expected,) = decode.generate(model, tokenizer, ["Name a city."], NAME, max_new_tokens=12,
                                  stop_when_matched=True, chat_template=True, jump_forward=False)
    assert generation.text == expected.text and re.fullmatch(NAME, generation.text)
    assert "".join(chunk for chunk in llm.stream("Name a city.")) == expected.text


# -- item 12: seeded sampling -------------------------------------------------------------------------------


@pytest.mark.parametrize("path", list(PATHS))
def test_seed_makes_sampling_reproducible(smollm2_model, path):
    model, tokenizer = smollm2_model
    path = PATHS[path]
    prompts = ["Name a city:", "My favourite word is"]
    pattern = r"[a-z]{1,12}( [a-z]{1,12}){0,3}"
    options = dict(max_new_tokens=6, do_sample=True, temperature=3.0, **path)

    def texts(seed, **extra):
        return [r.token_ids for r in decode.generate(model, tokenizer, prompts, pattern, seed=seed, **extra)]

    before = torch.random.get_rng_state()
    first = texts(7, **options)
    assert torch.equal(torch.random.get_rng_state(), before)  # the global RNG is left as it was
    assert texts(7, **options) == first
    assert texts(8, **options) != first
    greedy = dict(max_new_tokens=4, **path)
    assert texts(7, **greedy) == texts(8, **greedy)
