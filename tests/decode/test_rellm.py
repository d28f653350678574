"""`decode.complete_re` as a drop-in for RELLM 0.0.5's `complete_re`."""
from __future__ import annotations

import inspect
import re

import pytest
import regex
import torch

import automaton
from decode import complete_re
from decode.rellm import _pattern_source

P = inspect.Parameter
# RELLM 0.0.5, rellm/rellm.py:
#   def complete_re(prompt:str, pattern: regex.Pattern | List[regex.Pattern], tokenizer: PreTrainedTokenizer,
#                   model: PreTrainedModel, max_new_tokens: int = 3, stop_after_match: bool = True,
#                   debug: bool = False, **model_kwargs)
RELLM_PARAMETERS = [
    ("prompt", P.POSITIONAL_OR_KEYWORD, P.empty),
    ("pattern", P.POSITIONAL_OR_KEYWORD, P.empty),
    ("tokenizer", P.POSITIONAL_OR_KEYWORD, P.empty),
    ("model", P.POSITIONAL_OR_KEYWORD, P.empty),
    ("max_new_tokens", P.POSITIONAL_OR_KEYWORD, 3),
    ("stop_after_match", P.POSITIONAL_OR_KEYWORD, True),
    ("debug", P.POSITIONAL_OR_KEYWORD, False),
    ("model_kwargs", P.VAR_KEYWORD, P.empty),
]


def test_signature_equals_rellms():
    parameters = inspect.signature(complete_re).parameters.values()
    assert [(p.name, p.kind, p.default) for p in parameters] == RELLM_PARAMETERS


def test_pattern_forms():
    assert _pattern_source("a+") == "a+"
    assert _pattern_source(re.compile("a+")) == "a+"
    assert _pattern_source(regex.compile("a+")) == "a+"
    assert _pattern_source([regex.compile("yes"), regex.compile("no")]) == "(?:yes)|(?:no)"
    assert _pattern_source(re.compile("a", re.IGNORECASE)) == "(?i)a"  # translated (it was refused)
    with pytest.raises(TypeError, match="compiled re/regex pattern"):
        _pattern_source(42)
    with pytest.raises(TypeError, match="bytes"):
        _pattern_source(re.compile(b"a"))


COMPILED = [
    regex.compile(r"(?i)yes|no"),                 # inline flags, copied into .flags by Python
    re.compile(r"(?i)yes|no"),
    re.compile(r"yes|no", re.IGNORECASE),
    regex.compile(r"yes|no", regex.IGNORECASE),
    re.compile(r"a.b", re.DOTALL),
    regex.compile(r"(?s)a.b"),
    re.compile(r"^ab$", re.MULTILINE),
    re.compile(r"\d+\s\w+"),                      # re.UNICODE, which Python sets by default
    regex.compile(r"\d+\s\w+"),
    re.compile(r"[^\W\d]+", re.IGNORECASE),
    re.compile(r"(?i)[^k]+", re.ASCII),
]
TEXTS = ["yes", "YES", "Yes", "ye\u017f", "no", "NO", "a\nb", "A\nB", "axb", "ab", "AB", "12 ab", "\u0663 \u00e9",
         "1\u3000x", "k", "K", "\u212a", "abc", "Z_", "\u017f", "", "x"]


@pytest.mark.parametrize("compiled", COMPILED, ids=repr)
def test_compiled_pattern_flags_are_translated_by_complete_re(compiled):
    """The pattern complete_re compiles means what the compiled object matches (its flags included)."""
    dfa = automaton.compile_dfa(_pattern_source(compiled))
    for text in TEXTS:
        assert dfa.matches(text.encode()) == (compiled.fullmatch(text) is not None), (compiled, text)


def test_compiled_pattern_flags_are_translated_in_a_list():
    """Each pattern of a list keeps its own flags (and gives them to no other)."""
    patterns = [re.compile("yes", re.IGNORECASE), regex.compile("(?s)no."), "maybe", re.compile(r"(?i)\d")]
    dfa = automaton.compile_dfa(_pattern_source(patterns))
    for text in ["yes", "YES", "no\n", "nO\n", "maybe", "MAYBE", "7", "\u0663", "a"]:
        expected = any(
            (re.fullmatch(p, text, re.ASCII) if isinstance(p, str) else p.fullmatch(text)) for p in patterns
        )
        assert dfa.matches(text.encode()) == expected, text


@pytest.mark.parametrize(
    ("compiled", "flag"),
    [(re.compile("a b", re.VERBOSE), "re.VERBOSE"), (regex.compile("a", regex.VERSION1), "regex.VERSION1"),
     (regex.compile("a", regex.WORD), "regex.WORD")],
)
def test_compiled_pattern_flags_without_equivalent_are_refused_by_complete_re(compiled, flag):
    with pytest.raises(automaton.UnsupportedRegexError, match=re.escape(flag)):
        _pattern_source(compiled)


def test_complete_re_output_fully_matches_the_compiled_pattern(smollm2_model):
    model, tokenizer = smollm2_model
    cases = [
        ("Human: Is the sky blue? Answer YES or NO.\nAI Assistant:", regex.compile(r"(?i) ?(yes|no)")),
        ("Human: How many legs does a spider have?\nAI Assistant:", re.compile(r"\s?\d+")),
        ("Human: Name a colour.\nAI Assistant:", regex.compile(r" ?\w+", regex.IGNORECASE)),
    ]
    for prompt, compiled in cases:
        completion = complete_re(prompt, compiled, tokenizer, model, max_new_tokens=6)
        assert compiled.fullmatch(completion), (compiled, completion)


def test_seed_example_matches(smollm2_model, seed_example):
    model, tokenizer = smollm2_model
    prompt, pattern = seed_example
    completion = complete_re(prompt, regex.compile(pattern), tokenizer, model, max_new_tokens=40)
    assert re.fullmatch(pattern, completion), completion
    assert completion.endswith("\nHuman:")


def test_stop_after_match_returns_the_first_full_match(smollm2_model):
    """With `[0-9]+` the first token already matches: the result is the model's best digit token."""
    model, tokenizer = smollm2_model
    prompt = "Human: How many legs does a spider have?\nAI Assistant:"
    completion = complete_re(prompt, r"[0-9]+", tokenizer, model, max_new_tokens=5)
    # Oracle: the highest-scoring token whose decoded text is all digits, by a scan of the vocabulary.
    with torch.no_grad():
        logits = model(tokenizer.encode(prompt, return_tensors="pt")).logits[0, -1]
    digit_ids = [i for i in range(len(tokenizer)) if re.fullmatch(r"[0-9]+", tokenizer.decode([i]))]
    best = max(digit_ids, key=lambda i: logits[i].item())
    assert completion == tokenizer.decode([best])


def test_without_stop_after_match_generation_goes_on(smollm2_model):
    model, tokenizer = smollm2_model
    prompt = "Human: Count from one to five in digits.\nAI Assistant:"
    completion = complete_re(prompt, r"[0-9 ,]+", tokenizer, model, max_new_tokens=6, stop_after_match=False)
    assert re.fullmatch(r"[0-9 ,]+", completion), completion
    assert len(tokenizer.encode(completion)) > 1


def test_a_list_of_patterns_means_any_of_them(smollm2_model):
    model, tokenizer = smollm2_model
    prompt = "Human: Is the sky blue? Answer yes or no.\nAI Assistant:"
    patterns = [regex.compile(" ?yes"), regex.compile(" ?no")]
    completion = complete_re(prompt, patterns, tokenizer, model, max_new_tokens=4)
    assert completion in {"yes", " yes", "no", " no"}
