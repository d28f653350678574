"""Fixtures of the decoding tests: the embedded SmolLM2 model (loaded once per session) and the seed example."""
from __future__ import annotations

import importlib.util

import pytest

# The vLLM tests need vLLM, which lives in its own environment (`.venv-vllm`, see README): the
# README's test command runs them there as its second step.
collect_ignore = [] if importlib.util.find_spec("vllm") is not None else ["vllm"]


@pytest.fixture(scope="session")
def smollm2_model():
    """(model, tokenizer): SmolLM2-135M-Instruct from `decode.models.load_default()`."""
    from decode.models import load_default

    return load_default()


@pytest.fixture(scope="session")
def seed_example():
    """(prompt, pattern) of the seed example, as shipped in the package."""
    from decode.__main__ import seed_example as read

    return read()
