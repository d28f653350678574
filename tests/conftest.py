"""Shared fixtures: the three real tokenizers (converted once, cached on disk) and their vocabularies."""
from __future__ import annotations

import pytest

from tests.support import tokenizers as real_tokenizers


@pytest.fixture(scope="session")
def smollm2_tokenizer():
    return real_tokenizers.smollm2_tokenizer()


@pytest.fixture(scope="session")
def mistral_tokenizer():
    return real_tokenizers.mistral_v1_tokenizer()


@pytest.fixture(scope="session")
def cl100k_tokenizer():
    return real_tokenizers.cl100k_tokenizer()


@pytest.fixture(scope="session")
def smollm2_vocabulary(smollm2_tokenizer):
    from automaton import Vocabulary

    return Vocabulary.from_tokenizer(smollm2_tokenizer)


@pytest.fixture(scope="session")
def mistral_vocabulary(mistral_tokenizer):
    from automaton import Vocabulary

    return Vocabulary.from_tokenizer(mistral_tokenizer)


@pytest.fixture(scope="session")
def cl100k_vocabulary(cl100k_tokenizer):
    from automaton import Vocabulary

    return Vocabulary.from_tokenizer(cl100k_tokenizer)
