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


# -- size: info, clear, prune, the size limit ------------------------------------------------------

MORE_PATTERNS = [r"[0-9]{2}", r"a+b?", r"(ab|c)+", r"[a-c]{3}\.[0-9]", r"c?[0-9]+"]


def du(folder: Path) -> tuple[int, int]:
    """(files, bytes) of the *.safetensors files directly in `folder`, summed like `du --apparent-size`."""
    names = [name for name in os.listdir(folder) if name.endswith(".safetensors")]
    sizes = [os.path.getsize(os.path.join(folder, name)) for name in names]
    return len(sizes), sum(sizes)


def foreign_files(folder: Path) -> dict[str, bytes]:
    """Files in a cache folder that are not our index files: none may be counted or deleted."""
    import numpy as np
    import safetensors.numpy

    folder.mkdir(parents=True, exist_ok=True)
    weights = safetensors.numpy.save({"w": np.zeros(4096, np.float32)})
    made = {
        "notes.txt": b"keep me",
        "0123456789abcdef0123456789abcdef.safetensors": weights,  # our name, not our content
        ".0123456789abcdef0123456789abcdef.safetensors.x1y2.tmp": b"being written",  # mid-rename
        "model.safetensors": weights,
    }
    for name, data in made.items():
        (folder / name).write_bytes(data)
    (folder / "sub").mkdir()
    return made


def assert_foreign_untouched(folder: Path, made: dict[str, bytes]) -> None:
    for name, data in made.items():
        assert (folder / name).read_bytes() == data, name
    assert (folder / "sub").is_dir()


def fill(folder: Path, vocabulary, patterns) -> list[Path]:
    paths = []
    for pattern in patterns:
        automaton.compile_index(pattern, vocabulary, cache=folder)
        paths.append(cache_module.cache_path(folder, cache_module.cache_key(pattern, vocabulary.fingerprint)))
        assert paths[-1].is_file()
    return paths


def test_cache_info_reports_files_and_total_size_of_index_files_only(vocabulary, tmp_path):
    folder = tmp_path / "cache"
    fill(folder, vocabulary, MORE_PATTERNS[:3])
    index_bytes = du(folder)[1]
    made = foreign_files(folder)
    listed = cache_module.cache_files(folder)
    assert len(listed) == 3
    foreign_bytes = sum(len(data) for name, data in made.items() if name.endswith(".safetensors"))
    assert sum(file.size for file in listed) == index_bytes == du(folder)[1] - foreign_bytes


def test_cache_clear_deletes_only_index_files(vocabulary, tmp_path):
    folder = tmp_path / "cache"
    paths = fill(folder, vocabulary, MORE_PATTERNS[:3])
    made = foreign_files(folder)
    deleted = cache_module.clear(folder)
    assert sorted(file.path for file in deleted) == sorted(paths)
    assert not any(path.exists() for path in paths)
    assert_foreign_untouched(folder, made)
    assert cache_module.clear(tmp_path / "absent") == []


def test_cache_prune_removes_least_recently_used_first(vocabulary, tmp_path):
    folder = tmp_path / "cache"
    paths = fill(folder, vocabulary, MORE_PATTERNS[:4])
    made = foreign_files(folder)
    now = time.time()
    # Last use: paths[2] oldest, then 0, 3, 1 (access time counts: a later atime is a later use).
    for path, (atime, mtime) in zip(paths, [(now - 300, now - 300), (now, now - 900), (now - 800, now - 800),
                                            (now - 100, now - 200)]):
        os.utime(path, (atime, mtime))
    sizes = {path: path.stat().st_size for path in paths}
    limit = sizes[paths[1]] + sizes[paths[3]]
    deleted = cache_module.prune(folder, limit)
    assert [file.path for file in deleted] == [paths[2], paths[0]]
    assert sorted(p.name for p in folder.glob("[0-9a-f]*.safetensors") if p.name not in made) == sorted(
        [paths[1].name, paths[3].name])
    assert_foreign_untouched(folder, made)
    assert cache_module.prune(folder, limit) == []  # already within the limit


def test_cache_max_bytes_setting_prunes_after_each_store(vocabulary, tmp_path, monkeypatch):
    folder = tmp_path / "cache"
    probe = fill(tmp_path / "probe", vocabulary, MORE_PATTERNS[:1])[0].stat().st_size
    monkeypatch.setenv(cache_module.CACHE_MAX_BYTES_ENV, str(int(probe * 2.5)))
    made = foreign_files(folder)
    for number, pattern in enumerate(MORE_PATTERNS, 1):
        automaton.compile_index(pattern, vocabulary, cache=folder)
        newest = cache_module.cache_path(folder, cache_module.cache_key(pattern, vocabulary.fingerprint))
        assert newest.is_file()  # the file just stored is kept
        files = cache_module.cache_files(folder)
        assert sum(file.size for file in files) <= probe * 2.5
        assert len(files) == min(number, 2)
    assert_foreign_untouched(folder, made)


def test_cache_hit_marks_the_file_as_used(vocabulary, tmp_path, monkeypatch):
    folder = tmp_path / "cache"
    first, second = fill(folder, vocabulary, MORE_PATTERNS[:2])
    old = time.time() - 3600
    os.utime(first, (old, old))
    os.utime(second, (old + 60, old + 60))
    automaton.compile_index(MORE_PATTERNS[0], vocabulary, cache=folder)  # a hit on the older file
    assert first.stat().st_mtime > old + 60
    deleted = cache_module.prune(folder, first.stat().st_size)
    assert [file.path for file in deleted] == [second]


@pytest.mark.parametrize("value", ["lots", "-5", "12Q", "1e9"])
def test_bad_cache_max_bytes_raises_setting_error(value, vocabulary, tmp_path, monkeypatch):
    monkeypatch.setenv(cache_module.CACHE_MAX_BYTES_ENV, value)
    with pytest.raises(automaton.SettingError, match=cache_module.CACHE_MAX_BYTES_ENV):
        automaton.compile_index(MORE_PATTERNS[0], vocabulary, cache=tmp_path / "cache")


def test_cache_size_setting_values(monkeypatch):
    assert cache_module.parse_size("500M") == 500 * 2**20
    assert cache_module.parse_size("2G") == cache_module.parse_size("2GiB") == 2 * 2**30
    assert cache_module.parse_size("1048576") == 2**20 and cache_module.parse_size("1.5k") == 1536
    monkeypatch.delenv(cache_module.CACHE_MAX_BYTES_ENV, raising=False)
    assert cache_module.max_cache_bytes() == cache_module.DEFAULT_MAX_BYTES == 2**30


def test_cache_prune_is_safe_under_concurrent_writers(vocabulary, tmp_path):
    """Writers renaming files into place while two pruners run: nobody fails, nothing foreign
    goes, and every file left is a whole valid index."""
    import threading

    folder = tmp_path / "cache"
    made = foreign_files(folder)
    errors = []
    stop = threading.Event()

    def writer(patterns):
        try:
            for round_ in range(3):
                for pattern in patterns:
                    index = automaton.compile_index(pattern, vocabulary, cache=False)
                    index.save(cache_module.cache_path(folder, cache_module.cache_key(pattern + str(round_), "x")))
        except BaseException as error:
            errors.append(error)

    def pruner():
        try:
            while not stop.is_set():
                cache_module.prune(folder, 0)
        except BaseException as error:
            errors.append(error)

    writers = [threading.Thread(target=writer, args=(MORE_PATTERNS[i::2],)) for i in range(2)]
    pruners = [threading.Thread(target=pruner) for _ in range(2)]
    for thread in writers + pruners:
        thread.start()
    for thread in writers:
        thread.join()
    stop.set()
    for thread in pruners:
        thread.join()
    assert errors == []
    assert_foreign_untouched(folder, made)
    for file in cache_module.cache_files(folder):
        load_index(file.path)  # whole and valid
