"""`decode.langchain`: RELLM's LangChain page, run as written with our class, and invoke / batch / stream.

Oracles: Python's `re.fullmatch` of the seed pattern on each answer plus the stop sequence,
`json.loads` on the JSON it holds, `str.find` for where a stop sequence cuts, and invoke's own
text for what the stream pieces add up to.
"""
from __future__ import annotations

import itertools
import json
import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

pytest.importorskip("langchain_core", reason="the langchain extra (langchain-core) is not installed")

from decode.langchain import RELLM, ConstrainedLLM, _StopFilter, cut_at_stop

STATES = ["Maryland", "Ohio", "Texas", "Oregon"]


@pytest.fixture(scope="module")
def hf_model(smollm2_model):
    """A transformers text-generation pipeline over SmolLM2, as the page builds one (there: Cerebras-GPT)."""
    from transformers import pipeline

    model, tokenizer = smollm2_model
    return pipeline("text-generation", model=model, tokenizer=tokenizer, max_new_tokens=200)


@pytest.fixture(scope="module")
def seed_llm(hf_model, seed_example):
    """The page's own lines, with RELLM imported from decode.langchain."""
    import regex  # Note this is the regex library NOT python's re stdlib module

    pattern = regex.compile(
        r'\{\s*"action":\s*"Final Answer",\s*"action_input":\s*(\{.*\}|"[^"]*")\s*\}\nHuman:'
    )
    model = RELLM(pipeline=hf_model, regex=pattern, max_new_tokens=200)
    return model


def assert_seed_answer(text: str, pattern: str):
    assert "Human:" not in text, text
    assert re.fullmatch(pattern, text + "Human:"), text
    answer = json.loads(text)
    assert answer["action"] == "Final Answer" and isinstance(answer["action_input"], (str, dict))


def test_the_pages_code_gives_the_constrained_answer(seed_llm, seed_example):
    prompt, pattern = seed_example
    generated = seed_llm.predict(prompt, stop=["Human:"])
    assert_seed_answer(generated, pattern)
    assert seed_llm.invoke(prompt, stop=["Human:"]) == generated


def test_without_stop_the_answer_is_a_full_match(seed_llm, seed_example):
    prompt, pattern = seed_example
    result = seed_llm.generate([prompt])
    generation = result.generations[0][0]
    assert re.fullmatch(pattern, generation.text)
    assert generation.generation_info["matched"] and generation.generation_info["stop_reason"] == "eos"


def test_batch_of_four(seed_llm, seed_example):
    prompt, pattern = seed_example
    prompts = [prompt.replace("Maryland", state) for state in STATES]
    answers = seed_llm.batch(prompts, stop=["Human:"])
    assert len(answers) == 4
    for answer in answers:
        assert_seed_answer(answer, pattern)


def test_stream_adds_up_to_invoke(seed_llm, seed_example):
    prompt, pattern = seed_example
    for stop in (["Human:"], None):
        pieces = list(seed_llm.stream(prompt, stop=stop))
        assert len(pieces) > 1 and all(pieces)
        assert "".join(pieces) == seed_llm.invoke(prompt, stop=stop)
    assert re.fullmatch(pattern, "".join(pieces))


def test_model_and_tokenizer_with_a_schema(smollm2_model):
    model, tokenizer = smollm2_model
    schema = {"type": "object", "properties": {"answer": {"type": "integer", "minimum": 0, "maximum": 99}},
              "required": ["answer"]}
    llm = ConstrainedLLM(model=model, tokenizer=tokenizer, json_schema=schema, max_new_tokens=12)
    answer = json.loads(llm.invoke('Human: What is 3 + 4? Reply in JSON like {"answer": 1}.\nAI Assistant:'))
    assert set(answer) == {"answer"} and 0 <= answer["answer"] <= 99


def test_parts_are_checked(smollm2_model):
    model, tokenizer = smollm2_model
    with pytest.raises(ValueError, match="pipeline"):
        ConstrainedLLM(regex="a+")
    with pytest.raises(ValueError, match="exactly one of `regex` and `json_schema`"):
        ConstrainedLLM(model=model, tokenizer=tokenizer)


@settings(max_examples=200, deadline=None)
@given(
    text=st.text(alphabet="abHumn: ", max_size=30),
    cuts=st.lists(st.integers(min_value=0, max_value=30), max_size=6),
    stops=st.lists(st.sampled_from(["Human:", "ab", "mm", "Hu"]), max_size=3),
)
def test_stop_filter_cuts_where_the_first_stop_begins(text, cuts, stops):
    bounds = sorted({0, len(text), *(min(c, len(text)) for c in cuts)})
    chunks = [text[a:b] for a, b in itertools.pairwise(bounds)]
    first = min((text.find(s) for s in stops if s in text), default=len(text))
    pieces = list(_StopFilter(stops).pieces(chunks))
    assert "".join(pieces) == text[:first] == cut_at_stop(text, stops)
    assert all(pieces)


@pytest.mark.parametrize("make", [
    lambda regex: regex.compile(r"(?i)yes|no"),
    lambda regex: re.compile(r"yes|no", re.IGNORECASE),
    lambda regex: re.compile(r"a.\d", re.DOTALL),
    lambda regex: [regex.compile("yes", regex.IGNORECASE), re.compile(r"(?s)no.")],
])
def test_regex_argument_compiled_with_flags_is_translated(make):
    """RELLM(regex=compiled): its pattern means what the compiled object matches, flags included."""
    import regex

    import automaton

    compiled = make(regex)
    llm = RELLM(model=object(), tokenizer=object(), regex=compiled)  # the pattern needs no model
    dfa = automaton.compile_dfa(llm.pattern)
    for text in ["yes", "YES", "ye\u017f", "no", "NO", "no\n", "a\n7", "ab\u0663", "ax", ""]:
        objects = compiled if isinstance(compiled, list) else [compiled]
        expected = any(obj.fullmatch(text) for obj in objects)
        assert dfa.matches(text.encode()) == expected, (compiled, text)


def test_regex_argument_compiled_with_a_flag_without_equivalent_is_refused():
    import automaton

    llm = RELLM(model=object(), tokenizer=object(), regex=re.compile("a b", re.VERBOSE))
    with pytest.raises(automaton.UnsupportedRegexError, match=re.escape("flag re.VERBOSE")):
        llm.pattern  # noqa: B018 - the property compiles the pattern
