"""The README's failure table ("What happens when"): one test per row, each asserting the exact
exception class (or the documented behaviour) through the public entry points.

Rows, in the README's order: malformed pattern, unsupported construct, empty language, state
explosion, compile time budget, tokenizer without EOS, unknown tokenizer family, logits wider /
narrower than the index, corrupted / foreign / newer / oversized index file, cache folder not
writable, disk full while writing, concurrent writers, a batch row that never accepts, an
interrupted extract run.
"""
from __future__ import annotations

import errno
import json
import os
import re
import threading
import warnings
from pathlib import Path

import numpy as np
import pytest
import regex
import torch

import automaton
from automaton import files as storage
from automaton.cache import CACHE_DIR_ENV, CacheWarning
from tests.support.index_files import (
    SMALL_EOS,
    SMALL_PATTERNS,
    SMALL_TOKEN_BYTES,
    assert_matches_oracle,
    rewrite,
    small_vocabulary,
)

ROOT = Path(__file__).resolve().parents[2]
WIDE = 45  # logits width of the small index: not a multiple of 32, so the last mask word is partial


@pytest.fixture(scope="module")
def vocabulary():
    return small_vocabulary(WIDE)


@pytest.fixture(scope="module")
def index(vocabulary):
    return automaton.compile_index(SMALL_PATTERNS[0], vocabulary, cache=False)


def files_in(folder: Path) -> list[str]:
    return sorted(path.name for path in folder.iterdir()) if folder.exists() else []


def caret_column(message: str) -> int:
    """Column of the caret on the message's last line, relative to the pattern line above it."""
    *_, pattern_line, caret_line = message.splitlines()
    indent = len(pattern_line) - len(pattern_line.lstrip(" "))
    return caret_line.index("^") - indent


# -- patterns ----------------------------------------------------------------------------------


def test_malformed_pattern_raises_regex_syntax_error_with_a_caret(vocabulary, tmp_path):
    pattern = "ab(c|d"
    with pytest.raises(automaton.RegexSyntaxError) as caught:
        automaton.compile_index(pattern, vocabulary, cache=tmp_path)
    assert caught.type is automaton.RegexSyntaxError
    error = caught.value
    assert isinstance(error, ValueError) and isinstance(error, automaton.AutomatonError)
    with pytest.raises(re.error) as python:  # the same position as Python's own parser
        re.compile(pattern)
    assert error.position == python.value.pos == 2
    assert error.pattern == pattern
    assert caret_column(str(error)) == 2
    assert files_in(tmp_path) == []


@pytest.mark.parametrize("pattern, construct, position", [
    (r"(a)b\1", "backreference", 4),
    (r"a(?<=a)b", "lookbehind", 1),
    (r"(a)?(?(1)b|c)", "conditional", 4),
])
def test_unsupported_construct_is_named(vocabulary, pattern, construct, position):
    with pytest.raises(automaton.UnsupportedRegexError) as caught:
        automaton.compile_index(pattern, vocabulary, cache=False)
    assert caught.type is automaton.UnsupportedRegexError
    assert caught.value.construct == construct
    assert caught.value.position == position
    assert f"unsupported construct: {construct}" in str(caught.value)


def test_empty_language_raises_and_caches_nothing(vocabulary, tmp_path):
    with pytest.raises(automaton.EmptyLanguageError) as caught:
        automaton.compile_index(r"a[^\x00-\U0010ffff]b", vocabulary, cache=tmp_path)
    assert caught.type is automaton.EmptyLanguageError
    # Matches exist, but the ASCII vocabulary cannot spell "é": the subclass, naming the bytes.
    with pytest.raises(automaton.IncompatibleVocabularyError, match=re.escape(repr("aé".encode()))):
        automaton.compile_index(r"aé+", vocabulary, cache=tmp_path)
    assert files_in(tmp_path) == []


def test_state_explosion_stops_at_max_states(vocabulary, tmp_path):
    with pytest.raises(automaton.TooManyStatesError) as caught:
        automaton.compile_index(r"[ab]*a[ab]{20}", vocabulary, cache=tmp_path)
    assert caught.type is automaton.TooManyStatesError
    assert caught.value.max_states == automaton.DEFAULT_MAX_STATES == 100_000
    assert "max_states=100000" in str(caught.value)
    with pytest.raises(automaton.TooManyStatesError) as smaller:
        automaton.compile_index(r"[ab]*a[ab]{20}", vocabulary, cache=tmp_path, max_states=500)
    assert smaller.value.max_states == 500
    assert files_in(tmp_path) == []


def test_compile_time_budget_raises_compile_timeout(vocabulary, tmp_path):
    with pytest.raises(automaton.CompileTimeoutError) as caught:
        automaton.compile_index(r"[ab]*a[ab]{12}", vocabulary, cache=tmp_path, time_budget=0.001)
    assert caught.type is automaton.CompileTimeoutError
    assert "time budget of 0.001 s" in str(caught.value)
    assert files_in(tmp_path) == []
    # Without the budget the same pattern compiles (the budget, not the pattern, stopped it).
    automaton.compile_dfa(r"[ab]*a[ab]{12}")


# -- tokenizers --------------------------------------------------------------------------------


def test_tokenizer_without_eos_needs_eos_token_ids(smollm2_model, tmp_path):
    from transformers import PreTrainedTokenizerFast

    _model, tokenizer = smollm2_model
    backend = tokenizer.backend_tokenizer
    without_eos = PreTrainedTokenizerFast(tokenizer_object=backend)
    assert without_eos.eos_token_id is None
    with pytest.raises(automaton.VocabularyError, match="names no EOS token: pass eos_token_ids") as caught:
        automaton.Vocabulary.from_tokenizer(without_eos)
    assert caught.type is automaton.VocabularyError
    # A folder with only tokenizer.json (no tokenizer_config / generation_config naming EOS).
    backend.save(str(tmp_path / "tokenizer.json"))
    with pytest.raises(automaton.VocabularyError, match="pass eos_token_ids"):
        automaton.Vocabulary.from_pretrained(tmp_path)
    # Naming the EOS id explicitly works; a vocabulary never exists without one.
    chat_end = tokenizer.convert_tokens_to_ids("<|im_end|>")
    vocabulary = automaton.Vocabulary.from_tokenizer(without_eos, eos_token_ids=chat_end)
    assert vocabulary.eos_token_ids == {chat_end}
    with pytest.raises(automaton.VocabularyError, match="empty"):
        automaton.Vocabulary.from_tokenizer(without_eos, eos_token_ids=[])


def test_unknown_tokenizer_family_raises_vocabulary_error():
    from tokenizers import Tokenizer, pre_tokenizers
    from tokenizers.models import BPE

    # Character BPE without a space marker or byte table: token bytes cannot be known exactly.
    backend = Tokenizer(BPE({"a": 0, "b": 1, "ab": 2, "[UNK]": 3}, [("a", "b")], unk_token="[UNK]"))
    backend.pre_tokenizer = pre_tokenizers.Whitespace()
    with pytest.raises(automaton.VocabularyError, match=r"unknown tokenizer family.*BPE") as caught:
        automaton.Vocabulary.from_tokenizer(backend, eos_token_ids=3)
    assert caught.type is automaton.VocabularyError


# -- logits ------------------------------------------------------------------------------------


def finite_columns(row: torch.Tensor) -> list[int]:
    return torch.isfinite(row).nonzero().flatten().tolist()


def test_logits_wider_than_the_index_disallow_the_extra_columns(index):
    from decode import RegexLogitsProcessor
    from decode.masking import device_masks

    allowed = index.allowed_token_ids(index.initial_state).tolist()
    for width in (WIDE + 1, WIDE + 19, 3 * WIDE):
        scores = processor_scores(RegexLogitsProcessor(index), width)
        assert finite_columns(scores[0]) == allowed
        logits = torch.zeros(1, width)
        device_masks(index).apply_(logits, [index.initial_state])
        assert finite_columns(logits[0]) == allowed


def processor_scores(processor, width: int) -> torch.Tensor:
    return processor(torch.tensor([[7, 8]]), torch.zeros(1, width))


def test_logits_narrower_than_the_index_are_refused(index):
    from decode import RegexLogitsProcessor, apply_token_bitmask_
    from decode.masking import MaskingError, device_masks

    for width in (WIDE - 1, 33, 10):  # the last mask word partly, exactly, or not at all covered
        with pytest.raises(MaskingError, match=f"{width} columns.*built for {WIDE}") as caught:
            processor_scores(RegexLogitsProcessor(index), width)
        assert caught.type is MaskingError and isinstance(caught.value, automaton.AutomatonError)
        with pytest.raises(MaskingError, match=f"{width} columns.*built for {WIDE}"):
            device_masks(index).apply_(torch.zeros(1, width), [index.initial_state])
    # The raw kernel sees only words: a mask with more words than the logits cover is refused.
    row = torch.from_numpy(np.array(index.mask(index.initial_state))[None, :])
    with pytest.raises(MaskingError, match="built for a wider vocabulary"):
        apply_token_bitmask_(torch.zeros(1, 20), row)


# -- index files -------------------------------------------------------------------------------


@pytest.fixture
def saved(index, tmp_path) -> Path:
    path = tmp_path / "index.safetensors"
    index.save(path)
    return path


def test_corrupted_index_file_raises_index_file_error(saved, vocabulary):
    data = bytearray(saved.read_bytes())
    data[-3] ^= 0x40  # a byte of the last array
    saved.write_bytes(bytes(data))
    with pytest.raises(automaton.IndexFileError, match="checksum mismatch") as caught:
        automaton.load_index(saved, vocabulary)
    assert caught.type is automaton.IndexFileError
    saved.write_bytes(bytes(data[: len(data) // 2]))
    with pytest.raises(automaton.IndexFileError, match="truncated"):
        automaton.load_index(saved, vocabulary)


def test_index_file_of_another_vocabulary_raises_index_file_error(saved):
    other = small_vocabulary(WIDE + 1)
    with pytest.raises(automaton.IndexFileError, match="built for another vocabulary") as caught:
        automaton.load_index(saved, other)
    assert caught.type is automaton.IndexFileError


def test_foreign_file_raises_index_file_error(tmp_path):
    import safetensors.numpy

    path = tmp_path / "weights.safetensors"
    safetensors.numpy.save_file({"weight": np.zeros((2, 3), np.float32)}, str(path))
    with pytest.raises(automaton.IndexFileError, match="not an index file") as caught:
        automaton.load_index(path)
    assert caught.type is automaton.IndexFileError
    (tmp_path / "notes.txt").write_text("hello")
    with pytest.raises(automaton.IndexFileError, match="not an index file"):
        automaton.load_index(tmp_path / "notes.txt")


def test_newer_format_index_file_raises_index_file_error(saved, vocabulary):
    newer = storage.FORMAT_VERSION + 1
    saved.write_bytes(rewrite(saved.read_bytes(), metadata={"format_version": str(newer)}))
    with pytest.raises(automaton.IndexFileError, match=f"format version {newer} is newer") as caught:
        automaton.load_index(saved, vocabulary)
    assert caught.type is automaton.IndexFileError


def test_index_file_over_max_file_bytes_is_refused_before_reading(saved, vocabulary):
    size = saved.stat().st_size
    with pytest.raises(automaton.IndexFileError, match=f"max_file_bytes={size - 1}") as caught:
        automaton.load_index(saved, vocabulary, max_file_bytes=size - 1)
    assert caught.type is automaton.IndexFileError
    assert automaton.load_index(saved, vocabulary, max_file_bytes=size).num_states > 0


# -- the cache and writing ---------------------------------------------------------------------


def test_cache_folder_not_writable_warns_and_returns_the_index(vocabulary, tmp_path, monkeypatch):
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the cache folder should be")
    monkeypatch.setenv(CACHE_DIR_ENV, str(blocker / "cache"))  # cannot be created, even by root
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        index = automaton.compile_index(SMALL_PATTERNS[1], vocabulary)  # cache=True: the env folder
    messages = [str(w.message) for w in caught if issubclass(w.category, CacheWarning)]
    assert len(messages) == 1 and "cannot write to the index cache folder" in messages[0], messages
    assert_matches_oracle(index, SMALL_PATTERNS[1], SMALL_TOKEN_BYTES, (SMALL_EOS,))


class _FillingDisk:
    """A file object that accepts `room` bytes, then fails like a full disk."""

    def __init__(self, file, room: int):
        self.file, self.room = file, room

    def write(self, data) -> int:
        data = bytes(data)
        if len(data) > self.room:
            self.file.write(data[: self.room])
            self.room = 0
            self.file.flush()
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        self.room -= len(data)
        return self.file.write(data)

    def __getattr__(self, name):
        return getattr(self.file, name)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.file.close()


class _Disk:
    """`fill()`: index files written from then on fail with ENOSPC after 100 bytes; `free()` undoes it."""

    def __init__(self, monkeypatch):
        self.monkeypatch = monkeypatch

    def fill(self) -> None:
        real_fdopen = os.fdopen
        self.monkeypatch.setattr(
            storage.os, "fdopen", lambda fd, *a, **k: _FillingDisk(real_fdopen(fd, *a, **k), 100)
        )

    def free(self) -> None:
        self.monkeypatch.undo()


@pytest.fixture
def full_disk(monkeypatch):
    return _Disk(monkeypatch)


def test_disk_full_while_saving_keeps_the_old_file_and_leaves_no_temporary(index, vocabulary, tmp_path, full_disk):
    path = tmp_path / "index.safetensors"
    automaton.compile_index(SMALL_PATTERNS[2], vocabulary, cache=False).save(path)
    before = path.read_bytes()
    full_disk.fill()
    with pytest.raises(OSError) as caught:
        index.save(path)
    assert caught.value.errno == errno.ENOSPC
    assert path.read_bytes() == before
    assert files_in(tmp_path) == ["index.safetensors"]
    full_disk.free()
    assert automaton.load_index(path, vocabulary).pattern == SMALL_PATTERNS[2]


def test_disk_full_error_names_the_file(index, tmp_path, full_disk):
    path = tmp_path / "index.safetensors"
    full_disk.fill()
    with pytest.raises(OSError) as caught:
        index.save(path)
    assert caught.value.errno == errno.ENOSPC
    assert str(path) in str(caught.value)


def test_disk_full_while_caching_warns_and_returns_the_index(vocabulary, tmp_path, full_disk):
    folder = tmp_path / "cache"
    full_disk.fill()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        index = automaton.compile_index(SMALL_PATTERNS[0], vocabulary, cache=folder)
    messages = [str(w.message) for w in caught if issubclass(w.category, CacheWarning)]
    assert len(messages) == 1 and "No space left on device" in messages[0], messages
    assert files_in(folder) == []  # no half-written file, no temporary
    assert_matches_oracle(index, SMALL_PATTERNS[0], SMALL_TOKEN_BYTES, (SMALL_EOS,))


def test_concurrent_writers_of_one_path_all_succeed_leaving_one_valid_file(vocabulary, tmp_path):
    indexes = [automaton.compile_index(p, vocabulary, cache=False) for p in SMALL_PATTERNS]
    path = tmp_path / "shared.safetensors"
    threads_per_index, rounds = 3, 5
    barrier = threading.Barrier(threads_per_index * len(indexes))
    errors: list[BaseException] = []

    def write(index):
        try:
            barrier.wait()
            for _ in range(rounds):
                index.save(path)
                automaton.load_index(path, vocabulary)  # a reader between writes sees a whole file
        except BaseException as error:
            errors.append(error)

    threads = [threading.Thread(target=write, args=(ix,)) for ix in indexes for _ in range(threads_per_index)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert files_in(tmp_path) == ["shared.safetensors"]
    loaded = automaton.load_index(path, vocabulary)
    (written,) = [ix for ix in indexes if ix.pattern == loaded.pattern]
    for name, array in written.arrays().items():
        assert np.array_equal(loaded.arrays()[name], array), name


def test_concurrent_compiles_of_one_cache_key_agree(vocabulary, tmp_path):
    folder = tmp_path / "cache"
    barrier = threading.Barrier(6)
    results, errors = [], []

    def compile_one():
        try:
            barrier.wait()
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                index = automaton.compile_index(SMALL_PATTERNS[1], vocabulary, cache=folder)
            results.append(([index.allowed_token_ids(s).tolist() for s in range(index.num_states)],
                            [str(w.message) for w in caught]))
        except BaseException as error:
            errors.append(error)

    threads = [threading.Thread(target=compile_one) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert all(allowed == results[0][0] and messages == [] for allowed, messages in results)
    (name,) = files_in(folder)
    assert_matches_oracle(automaton.load_index(folder / name, vocabulary), SMALL_PATTERNS[1],
                          SMALL_TOKEN_BYTES, (SMALL_EOS,))


# -- generation --------------------------------------------------------------------------------


def test_batch_rows_that_never_accept_are_reported_incomplete(smollm2_model):
    import decode

    model, tokenizer = smollm2_model
    pattern = r"[0-9]{40}"  # SmolLM2 writes one digit per token: 5 tokens cannot finish it
    prompts = ["Count:", "Write the longest number you know:", "x"]
    results = decode.generate(model, tokenizer, prompts, pattern, max_new_tokens=5, batch_size=2)
    assert [result.prompt for result in results] == prompts
    for result in results:
        assert result.stop_reason == "max_new_tokens", result
        assert result.matched is False, result
        assert result.num_tokens == len(result.token_ids) == 5, result
        assert re.fullmatch(pattern, result.text) is None
        assert regex.fullmatch(pattern, result.text, partial=True), result.text  # a valid prefix


# -- extraction --------------------------------------------------------------------------------

EXTRACT_PATTERN = r"(Yes|No)\."


def test_interrupted_extract_run_resumes_without_lost_or_duplicate_ids(smollm2_model, tmp_path, monkeypatch):
    from decode import extraction

    model, tokenizer = smollm2_model
    ids = [f"q{i}" for i in range(8)]
    prompts = tmp_path / "prompts.jsonl"
    prompts.write_text("".join(json.dumps({"id": i, "prompt": f"Is {i} a number? Answer Yes or No.\n"}) + "\n"
                               for i in ids))
    output = tmp_path / "results.jsonl"

    def run():
        return extraction.extract_file(prompts, output, EXTRACT_PATTERN, model=model, tokenizer=tokenizer,
                                       batch_size=1, max_new_tokens=6, progress=False)

    real_run_batch = extraction.Extractor.run_batch
    batches = []

    def interrupted(self, items):
        batches.append(items)
        if len(batches) == 4:
            raise KeyboardInterrupt  # Ctrl-C during the fourth batch
        return real_run_batch(self, items)

    monkeypatch.setattr(extraction.Extractor, "run_batch", interrupted)
    with pytest.raises(KeyboardInterrupt):
        run()
    monkeypatch.undo()
    written = output.read_bytes()
    assert written.count(b"\n") == 3 and written.endswith(b"\n")
    with open(output, "ab") as file:  # and a crash in the middle of writing the next line
        file.write(b'{"id": "q3", "status": "mat')

    run()
    final = output.read_bytes()
    assert final.startswith(written)  # the lines written before the interruption are untouched
    records = [json.loads(line) for line in final.decode().splitlines()]
    assert sorted(record["id"] for record in records) == sorted(ids)  # none lost, none twice
    for record in records:
        assert record["status"] in ("matched", "incomplete"), record
        if record["matched"]:
            assert re.fullmatch(EXTRACT_PATTERN, record["output"]), record
