"""The index cache behind `compile_index`: hits and misses, where files go, damage, concurrency."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import warnings
from pathlib import Path

import pytest

import automaton
from automaton import cache as cache_module
from automaton.cache import CACHE_DIR_ENV, CacheWarning
from automaton.compile import load_index
from automaton.index import build as build_module
from tests.support.index_files import SMALL_PATTERNS, arrays_equal, assert_matches_oracle, small_vocabulary

ROOT = Path(__file__).resolve().parents[2]
PATTERN = SMALL_PATTERNS[0]


@pytest.fixture(scope="module")
def vocabulary():
    return small_vocabulary()


@pytest.fixture
def builds(monkeypatch):
    """Counts index builds (cache misses)."""
    calls = []
    real = build_module.build_index

    def counting(*args, **kwargs):
        calls.append(kwargs.get("pattern"))
        return real(*args, **kwargs)

    monkeypatch.setattr(build_module, "build_index", counting)
    return calls


@pytest.fixture(autouse=True)
def isolated_default_cache(tmp_path, monkeypatch):
    """cache=True writes here, never to the real user cache."""
    folder = tmp_path / "default-cache"
    monkeypatch.setenv(CACHE_DIR_ENV, str(folder))
    return folder


def index_files(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


def assert_same_index(a, b):
    assert a.metadata() == b.metadata()
    for name, array in a.arrays().items():
        assert arrays_equal(b.arrays()[name], array), name


def test_miss_builds_and_stores_then_hit_loads(vocabulary, tmp_path, builds):
    folder = tmp_path / "cache"
    first = automaton.compile_index(PATTERN, vocabulary, cache=folder)
    assert builds == [PATTERN]
    (name,) = index_files(folder)
    assert name.endswith(".safetensors")
    second = automaton.compile_index(PATTERN, vocabulary, cache=folder)
    assert builds == [PATTERN]
    assert_same_index(first, second)
    assert_matches_oracle(second, PATTERN)


def test_cache_true_uses_the_environment_folder(vocabulary, isolated_default_cache, builds):
    automaton.compile_index(PATTERN, vocabulary)
    assert len(index_files(isolated_default_cache / "indexes")) == 1
    automaton.compile_index(PATTERN, vocabulary, cache=True)
    assert len(builds) == 1


def test_cache_path_as_str(vocabulary, tmp_path, builds):
    automaton.compile_index(PATTERN, vocabulary, cache=str(tmp_path / "as-str"))
    automaton.compile_index(PATTERN, vocabulary, cache=tmp_path / "as-str")
    assert len(index_files(tmp_path / "as-str")) == 1 and len(builds) == 1


def test_cache_false_neither_reads_nor_writes(vocabulary, isolated_default_cache, builds):
    automaton.compile_index(PATTERN, vocabulary, cache=True)
    stored = index_files(isolated_default_cache / "indexes")
    automaton.compile_index(PATTERN, vocabulary, cache=False)
    automaton.compile_index(SMALL_PATTERNS[1], vocabulary, cache=False)
    assert len(builds) == 3
    assert index_files(isolated_default_cache / "indexes") == stored


def test_key_separates_patterns_vocabularies_and_dfas(vocabulary, tmp_path, builds):
    folder = tmp_path / "cache"
    wider = small_vocabulary(logits_width=vocabulary.logits_width + 32)
    automaton.compile_index(SMALL_PATTERNS[0], vocabulary, cache=folder)
    automaton.compile_index(SMALL_PATTERNS[1], vocabulary, cache=folder)
    on_wider = automaton.compile_index(SMALL_PATTERNS[0], wider, cache=folder)
    from_dfa = automaton.compile_index(automaton.compile_dfa(SMALL_PATTERNS[0]), vocabulary, cache=folder)
    assert len(index_files(folder)) == 4 and len(builds) == 4
    assert on_wider.logits_width == wider.logits_width
    assert_matches_oracle(from_dfa, SMALL_PATTERNS[0])
    automaton.compile_index(automaton.compile_dfa(SMALL_PATTERNS[0]), vocabulary, cache=folder)
    assert len(builds) == 4


@pytest.mark.parametrize("damage", ["truncate", "flip", "empty", "garbage"])
def test_damaged_cache_file_is_rebuilt_and_replaced(vocabulary, tmp_path, builds, damage):
    folder = tmp_path / "cache"
    automaton.compile_index(PATTERN, vocabulary, cache=folder)
    (name,) = index_files(folder)
    path = folder / name
    data = path.read_bytes()
    damaged = {
        "truncate": data[: len(data) // 2],
        "flip": data[:-1] + bytes([data[-1] ^ 1]),
        "empty": b"",
        "garbage": b"not an index at all",
    }[damage]
    path.write_bytes(damaged)
    with pytest.warns(CacheWarning, match="rebuilding a damaged cached index"):
        index = automaton.compile_index(PATTERN, vocabulary, cache=folder)
    assert len(builds) == 2
    assert_matches_oracle(index, PATTERN)
    assert_same_index(index, load_index(path, vocabulary))
    assert index_files(folder) == [name]


def test_cached_file_of_another_pattern_is_rebuilt(vocabulary, tmp_path, builds):
    folder = tmp_path / "cache"
    automaton.compile_index(SMALL_PATTERNS[0], vocabulary, cache=folder)
    automaton.compile_index(SMALL_PATTERNS[1], vocabulary, cache=folder)
    first, second = (folder / n for n in index_files(folder))
    second.write_bytes(first.read_bytes())  # one key's file now holds the other pattern
    with pytest.warns(CacheWarning, match="it holds pattern"):
        automaton.compile_index(SMALL_PATTERNS[0], vocabulary, cache=folder)
        automaton.compile_index(SMALL_PATTERNS[1], vocabulary, cache=folder)
    assert len(builds) == 3
    assert {load_index(p).pattern for p in (first, second)} == set(SMALL_PATTERNS[:2])


def test_unwritable_cache_folder_warns_once_and_still_compiles(vocabulary, tmp_path, builds):
    blocker = tmp_path / "a-file"
    blocker.write_text("a file where the cache folder should be")
    folder = blocker / "cache"  # cannot be created, even by root
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        first = automaton.compile_index(SMALL_PATTERNS[0], vocabulary, cache=folder)
        second = automaton.compile_index(SMALL_PATTERNS[1], vocabulary, cache=folder)
    cache_warnings = [w for w in caught if issubclass(w.category, CacheWarning)]
    assert len(cache_warnings) == 1
    assert "cannot write to the index cache folder" in str(cache_warnings[0].message)
    assert_matches_oracle(first, SMALL_PATTERNS[0])
    assert_matches_oracle(second, SMALL_PATTERNS[1])
    assert len(builds) == 2


def test_max_states_applies_to_cached_indexes(vocabulary, tmp_path):
    folder = tmp_path / "cache"
    index = automaton.compile_index(PATTERN, vocabulary, cache=folder)
    with pytest.raises(automaton.TooManyStatesError) as from_cache:
        automaton.compile_index(PATTERN, vocabulary, cache=folder, max_states=index.num_states - 1)
    with pytest.raises(automaton.TooManyStatesError):
        automaton.compile_index(PATTERN, vocabulary, cache=False, max_states=index.num_states - 1)
    assert from_cache.value.max_states == index.num_states - 1


def test_bad_arguments(vocabulary):
    with pytest.raises(TypeError, match="cache must be"):
        automaton.compile_index(PATTERN, vocabulary, cache=3)
    with pytest.raises(TypeError, match="pattern must be"):
        automaton.compile_index(b"1+2", vocabulary, cache=False)
    with pytest.raises(TypeError, match="vocabulary must be"):
        automaton.compile_index(PATTERN, [b"1"], cache=False)


_WORKER = """
import json, sys, time
from pathlib import Path
import automaton
from tests.support.index_files import small_vocabulary
folder, pattern, ready, go = sys.argv[1:5]
vocabulary = small_vocabulary()
Path(ready).touch()
while not Path(go).exists():
    time.sleep(0.005)
index = automaton.compile_index(pattern, vocabulary, cache=folder)
allowed = [index.allowed_token_ids(s).tolist() for s in range(index.num_states)]
print(json.dumps(allowed))
"""


def test_four_processes_compiling_the_same_key_at_once(tmp_path):
    folder, go = tmp_path / "shared-cache", tmp_path / "go"
    environment = {**os.environ, "PYTHONPATH": str(ROOT), CACHE_DIR_ENV: str(tmp_path / "unused")}
    ready = [tmp_path / f"ready-{i}" for i in range(4)]
    workers = [
        subprocess.Popen(
            [sys.executable, "-c", _WORKER, str(folder), PATTERN, str(flag), str(go)],
            cwd=ROOT, env=environment, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )
        for flag in ready
    ]
    try:
        deadline = time.monotonic() + 300
        while not all(flag.exists() for flag in ready):
            assert all(w.poll() is None for w in workers), [w.communicate() for w in workers if w.poll() is not None]
            assert time.monotonic() < deadline, "workers did not start"
            time.sleep(0.01)
        go.touch()  # all four compile from this moment on
        outputs = [w.communicate(timeout=300) for w in workers]
    finally:
        for w in workers:
            if w.poll() is None:
                w.kill()
    for worker, (_, err) in zip(workers, outputs):
        assert worker.returncode == 0, err
        assert "Warning" not in err, err
    allowed = [json.loads(out) for out, _ in outputs]
    assert all(a == allowed[0] for a in allowed)
    (name,) = index_files(folder)  # one file, no temporary files left
    index = load_index(folder / name, small_vocabulary())
    assert [index.allowed_token_ids(s).tolist() for s in range(index.num_states)] == allowed[0]
    assert_matches_oracle(index, PATTERN)


def test_cache_module_names_files_by_key(vocabulary, tmp_path):
    key = cache_module.cache_key(PATTERN, vocabulary.fingerprint)
    assert key == cache_module.cache_key(PATTERN, vocabulary.fingerprint)
    assert key != cache_module.cache_key(PATTERN + "?", vocabulary.fingerprint)
    assert key != cache_module.cache_key(PATTERN, small_vocabulary(64).fingerprint)
    automaton.compile_index(PATTERN, vocabulary, cache=tmp_path)
    assert index_files(tmp_path) == [cache_module.cache_path(tmp_path, key).name]


def test_schema_compiles_through_the_cache(tmp_path, builds):
    import jsonschema

    schema = {"type": "integer", "minimum": 0, "maximum": 99}
    ascii_bytes = [bytes([b]) for b in range(128)]
    vocabulary = automaton.Vocabulary.from_token_bytes(ascii_bytes + [None], eos_token_ids=[128])
    index = automaton.compile_index(schema=schema, vocabulary=vocabulary, cache=tmp_path)
    again = automaton.compile_index(schema=schema, vocabulary=vocabulary, cache=tmp_path)
    assert len(builds) == 1 and again.pattern == index.pattern
    for value in range(-5, 130):
        text = str(value).encode()
        state = index.advance(index.initial_state, list(text))
        accepted = state >= 0 and index.is_accepting(state)
        assert accepted == jsonschema.Draft202012Validator(schema).is_valid(value), value
    with pytest.raises(TypeError, match="either a pattern or schema"):
        automaton.compile_index(PATTERN, vocabulary, schema=schema)
