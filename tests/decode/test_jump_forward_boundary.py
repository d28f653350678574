"""Where forced text meets a free part: when the last forced token is fed, and what goes in with the prompt.

The reference for "the tokenizer would spell it the same" is the tokenizer itself: its encoding of
the forced text followed by continuations the pattern allows.
"""
from __future__ import annotations

import random
import re

import pytest

import automaton
from decode.generation import index_for
from decode.loop import ForcedTokenizer, Sampler, run_constrained_loop

SCHEMA = {
    "type": "object",
    "properties": {
        "name": {"type": "string", "maxLength": 12},
        "age": {"type": "integer", "minimum": -5, "maximum": 120},
        "role": {"enum": ["admin", "user", "guest"]},
    },
    "required": ["name", "age", "role"],
}
PATTERNS = {
    "schema": automaton.json_schema_to_regex(SCHEMA, layout="compact"),
    "numbers": r'\{"n":-?[0-9]{1,3},"s":"[a-z\'(){}]*"\}',
}


def _ends_of_forced_text(index, forced):
    """state -> (ids, may_merge, state after ids) for every state whose forced text ends at a free part."""
    found = {}
    for state in range(index.num_states):
        ids, may_merge = forced.spelling(state)
        if not ids:
            continue
        end = index.advance(state, ids)
        if end < 0 or index.forced_bytes(end):
            continue  # the spelling stops inside forced text (an unfinished character): not a boundary
        if index.is_accepting(end) and index.allowed_token_ids(end).size == index.eos_token_ids.size:
            continue  # nothing follows
        found[state] = (ids, may_merge, end)
    return found


def _continuations(index, end: int, rng: random.Random) -> list[bytes]:
    """Text that may follow `end`: every single allowed token not led by a letter or digit, some led by
    one, and short random walks."""
    eos = set(index.eos_token_ids.tolist())
    allowed = [t for t in index.allowed_token_ids(end).tolist() if t not in eos]
    texts = []
    others = []
    for token in allowed:
        data = index.token_bytes(token)
        (others if data[:1].isalnum() else texts).append(data)
    texts += rng.sample(others, min(40, len(others)))
    for _ in range(30):
        state, data = end, b""
        for _ in range(3):
            choices = [t for t in index.allowed_token_ids(state).tolist() if t not in eos]
            if not choices:
                break
            token = rng.choice(choices)
            data += index.token_bytes(token)
            state = index.next_state(state, token)
        texts.append(data)
    return texts


def _departures(tokenizer, text: bytes, ids: list[int], continuations: list[bytes]) -> list[bytes]:
    """Continuations after which the tokenizer's spelling of the whole text does not begin with `ids`."""
    decodable = []
    for continuation in continuations:
        try:
            decodable.append((continuation, (text + continuation).decode("utf-8")))
        except UnicodeDecodeError:
            continue
    encoded = tokenizer([whole for _, whole in decodable], add_special_tokens=False)["input_ids"]
    return [continuation for (continuation, _), got in zip(decodable, encoded) if got[: len(ids)] != ids]


@pytest.mark.parametrize("name", sorted(PATTERNS))
def test_fed_last_token_keeps_the_tokenizer_spelling(smollm2_model, name):
    """Where the last forced token is fed, the tokenizer spells forced text + any continuation starting with
    the same tokens; where it is held back, some continuation changes the spelling (checked on `"name":"`)."""
    model, tokenizer = smollm2_model
    index = index_for(model, tokenizer, PATTERNS[name])
    forced = ForcedTokenizer(index, tokenizer)
    ends = _ends_of_forced_text(index, forced)
    rng = random.Random(0)
    continuations_of: dict[int, list[bytes]] = {}
    checked = {True: 0, False: 0}
    # Per free part, the states with the longest and the shortest forced text leading to it.
    by_end: dict[int, list[int]] = {}
    for state, (_, _, end) in ends.items():
        by_end.setdefault(end, []).append(state)
    for end, states in sorted(by_end.items()):
        states.sort(key=lambda s: len(index.forced_bytes(s)))
        continuations = continuations_of.setdefault(end, _continuations(index, end, rng))
        for state in {states[0], states[-1]}:
            ids, may_merge, _ = ends[state]
            text = b"".join(index.token_bytes(t) for t in ids)
            departures = _departures(tokenizer, text, ids, continuations)
            if not may_merge:
                assert not departures, (state, text, departures[:5])
            checked[may_merge] += 1
    assert checked[False] > 0, "some boundary should let the last forced token through"
    if name == "schema":
        assert checked[True] > 0
        name_key = next(s for s in ends if index.forced_bytes(s) == b'{"name":"')
        ids, may_merge, end = ends[name_key]
        assert may_merge
        assert _departures(tokenizer, b'{"name":"', ids, [b'"', b'",']), "an empty name is spelled with '\":' '\"\"'"


def test_integer_key_is_fed_whole(smollm2_model):
    """After `"age":` only a digit or a minus can follow; the tokenizer never merges `":` with them."""
    model, tokenizer = smollm2_model
    index = index_for(model, tokenizer, PATTERNS["schema"])
    forced = ForcedTokenizer(index, tokenizer)
    state = next(s for s in range(index.num_states) if index.forced_bytes(s) == b',"age":')
    expected = tokenizer.encode(',"age":', add_special_tokens=False)
    assert forced(state) == expected
    for digits in ("-5", "7", "120"):
        assert tokenizer.encode(',"age":' + digits, add_special_tokens=False)[: len(expected)] == expected


def test_fully_forced_pattern_needs_no_pass_after_the_prompt(smollm2_model):
    """The text forced from the start goes in with the prompt; a pattern that forces everything ends without
    sampling, with the text the plain loop produces token by token."""
    model, tokenizer = smollm2_model
    pattern = r"The answer is forty two\."
    index = index_for(model, tokenizer, pattern)
    encoded = tokenizer(["Say it:"], return_tensors="pt")
    texts, passes = {}, {}
    for jump_forward in (False, True):
        rows, stats = run_constrained_loop(
            model, index, encoded["input_ids"], encoded["attention_mask"], max_new_tokens=20,
            pad_token_id=tokenizer.pad_token_id, sampler=Sampler(),
            forced_tokens=ForcedTokenizer(index, tokenizer) if jump_forward else None,
        )
        assert rows[0].stop_reason == "eos"
        texts[jump_forward] = b"".join(index.token_bytes(t) for t in rows[0].tokens).decode()
        passes[jump_forward] = stats.forward_passes
    assert texts[True] == texts[False] == "The answer is forty two."
    assert passes[True] == 0
    assert passes[False] >= 2


def test_opening_goes_in_with_the_prompt(smollm2_model):
    """A pattern that forces an opening and then a choice: the opening is fed with every prompt of a
    left-padded batch, and every row still matches."""
    model, tokenizer = smollm2_model
    pattern = r'\{"colour":"(red|green|blue)","size":[0-9]{1,2}\}'
    index = index_for(model, tokenizer, pattern)
    forced = ForcedTokenizer(index, tokenizer)
    opening = forced.opening(index.initial_state)
    assert opening, "the opening of the object is forced"
    spelled = b"".join(index.token_bytes(t) for t in opening)
    assert index.forced_bytes(index.initial_state).startswith(spelled)
    prompts = ["A small red ball as JSON:", "Describe a large blue box in JSON, please, with its size:\n"]
    encoded = tokenizer(prompts, return_tensors="pt", padding=True)
    rows, _ = run_constrained_loop(
        model, index, encoded["input_ids"], encoded["attention_mask"], max_new_tokens=24,
        pad_token_id=tokenizer.pad_token_id, sampler=Sampler(), forced_tokens=forced,
    )
    for row in rows:
        assert row.tokens[: len(opening)] == opening
        text = b"".join(index.token_bytes(t) for t in row.tokens).decode()
        assert row.stop_reason == "eos", text
        assert re.fullmatch(pattern, text), text


class _AllLogits:
    """The model without `logits_to_keep` in its signature: the loop then takes logits for every position."""

    def __init__(self, model):
        self.model = model

    def forward(self, input_ids=None, attention_mask=None, position_ids=None, use_cache=None, cache=None):
        return self.model(
            input_ids=input_ids, attention_mask=attention_mask, position_ids=position_ids,
            use_cache=use_cache, cache=cache,
        )

    __call__ = forward


def test_logits_of_the_last_fed_tokens_only(smollm2_model):
    """Rows feeding blocks of different lengths pick the same tokens whether the model computes logits for
    every position of a block or only for the positions the rows need."""
    model, tokenizer = smollm2_model
    pattern = r'(\{"id":[0-9]{1,3},"tag":"(red|blue)"\}|[a-z]{1,8})'
    index = index_for(model, tokenizer, pattern)
    prompts = ["Write a JSON object:", "A short word:", "Here is an item record in JSON:\n"]
    encoded = tokenizer(prompts, return_tensors="pt", padding=True)
    outputs = []
    for runner in (model, _AllLogits(model)):
        rows, stats = run_constrained_loop(
            runner, index, encoded["input_ids"], encoded["attention_mask"], max_new_tokens=24,
            pad_token_id=tokenizer.pad_token_id, sampler=Sampler(), forced_tokens=ForcedTokenizer(index, tokenizer),
        )
        outputs.append(([row.tokens for row in rows], stats.forward_passes))
    assert outputs[0] == outputs[1]
