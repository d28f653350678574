"""One vLLM engine (CPU build) serving the embedded model with `AutomatonLogitsProcessor`, shared
by every test here: starting one takes about a minute. These tests run in the vLLM environment
(`.venv-vllm`, see README); `tests/decode/conftest.py` leaves this folder out where vLLM is not installed."""
from __future__ import annotations

import os

import pytest

os.environ.setdefault("VLLM_CPU_KVCACHE_SPACE", "1")  # GiB of KV cache: plenty for a 135M model
os.environ.setdefault("VLLM_LOGGING_LEVEL", "WARNING")


@pytest.fixture(scope="session")
def model_folder():
    from decode.models import default_model_path

    return default_model_path()


@pytest.fixture(scope="session")
def engine(model_folder):
    """`vllm.LLM` on the default model with the processor, greedy-friendly settings."""
    from vllm import LLM

    from decode.vllm import AutomatonLogitsProcessor

    llm = LLM(model=str(model_folder), logits_processors=[AutomatonLogitsProcessor], max_model_len=1024,
              max_num_seqs=32, dtype="float32", enforce_eager=True, seed=0)
    yield llm
    del llm
