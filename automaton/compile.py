"""`compile_index`: a pattern (or a compiled ByteDFA, or a JSON schema) and a vocabulary in, a
`TokenIndex` out; `load_index` and `save_index`: a `TokenIndex` from and to a file.

The one place that knows both the index and the files:

    compile_index(pattern, vocabulary)   cache lookup (`automaton.cache` names the file,
                                         `load_index` reads it) -> on a miss `compile_dfa`
                                         (`automaton.dfa`) -> `build_index` (`automaton.index`)
                                         -> `save_index` into the cache
    load_index(path, vocabulary=None)    `automaton.files.read_index_file` -> `TokenIndex.from_arrays`
    save_index(index, path)              `automaton.files.write_index_file` (atomic)

The pattern compiler is imported on first build, so a process that only loads index files
never imports it.

    >>> import automaton
    >>> vocab = automaton.Vocabulary.from_token_bytes([b"1", b"2", b"12", None], eos_token_ids=[3])
    >>> index = automaton.compile_index(r"1+2", vocab, cache=False)
    >>> index.allowed_token_ids(index.initial_state).tolist()
    [0, 2]
"""
from __future__ import annotations

import threading
import warnings
from contextlib import contextmanager
from pathlib import Path

from automaton.cache import CacheWarning, cache_folder, cache_key, cache_path, enforce_limit, touch, warn_unwritable
from automaton.dfa.byte_dfa import ByteDFA
from automaton.dfa.limits import DEFAULT_MAX_STATES, Deadline
from automaton.errors import IndexFileError, TooManyStatesError
from automaton.files import DEFAULT_MAX_FILE_BYTES, read_index_file, write_index_file
from automaton.index.token_index import TokenIndex

__all__ = ["compile_dfa", "compile_index", "load_index", "save_index"]


def compile_dfa(
    pattern: str | None = None,
    *,
    schema=None,
    max_states: int = DEFAULT_MAX_STATES,
    time_budget: float | Deadline | None = None,
    **schema_options,
) -> ByteDFA:
    """The minimal `ByteDFA` of a regular expression (`automaton.dfa.build.compile_dfa`) or of a
    JSON schema's instances (`schema=`, see `automaton.json_schema.json_schema_to_dfa`).

    schema_options, with a schema only:
        layout: "spaced" (json.dumps's `", "` and `": "`, the default), "compact", or an int (indent=N);
        strict: refuse keywords that cannot be enforced (True, the default; False: drop them, with
            one warning);
        max_recursion: how many times a `$ref` may nest within itself (default 3);
        resources: {absolute URI: schema} of the other documents the schema's `$ref`s name
            (nothing is fetched; the JSON-schema metaschemas are known).

        >>> compile_dfa(schema={"type": "array", "items": {"type": "integer"}}).matches(b"[1, 2]")
        True
    """
    if schema is not None:
        if pattern is not None:
            raise TypeError("pass either a pattern or schema=, not both")
        from automaton.json_schema import json_schema_to_dfa

        return json_schema_to_dfa(schema, max_states=max_states, time_budget=time_budget, **schema_options)
    if schema_options:
        raise TypeError(f"{', '.join(sorted(schema_options))}: options of a schema, not of a pattern")
    if not isinstance(pattern, str):
        raise TypeError(f"pattern must be a regular expression (str), not {type(pattern).__name__}")
    from automaton.dfa.build import compile_dfa as compile_pattern

    return compile_pattern(pattern, max_states=max_states, time_budget=time_budget)


def compile_index(
    pattern: str | ByteDFA | None = None,
    vocabulary=None,
    *,
    schema=None,
    layout: str | int = "spaced",
    strict: bool = True,
    max_recursion: int = 3,
    resources=None,
    max_states: int = DEFAULT_MAX_STATES,
    cache=True,
    time_budget: float | Deadline | None = None,
    progress: bool = False,
) -> TokenIndex:
    """The token index of `pattern` over `vocabulary`, from the cache when it is there.

    pattern: a regular expression (full match, see the README) or a `ByteDFA` from `compile_dfa`.
    schema: a JSON schema (dict or JSON text) to compile instead of a pattern:
        `compile_index(schema=schema, vocabulary=vocab, layout="spaced")`; layout, strict,
        max_recursion and resources as in `compile_dfa` (all part of the cache key).
    vocabulary: an `automaton.Vocabulary`.
    max_states: limit on DFA and index states; past it `TooManyStatesError`. A cached index is
        checked against it too, so the limit means the same with and without the cache.
    cache: True (the default folder, see `automaton.cache`), False (neither read nor write), or
        a folder path.
    time_budget: seconds the compilation may take, all stages together; each stage looks at the
        clock every few tens of milliseconds, so `CompileTimeoutError` (naming the stage) comes
        within a fraction of a second of the budget. None for no limit.
    progress: show a progress line with the stage and elapsed time on stderr while building.
    """
    if not hasattr(vocabulary, "fingerprint"):
        raise TypeError(
            f"vocabulary must be an automaton.Vocabulary, not {type(vocabulary).__name__}"
        )
    deadline = Deadline.of(time_budget)
    if schema is not None:
        if pattern is not None:
            raise TypeError("pass either a pattern or schema=, not both")
        from automaton.json_schema import schema_cache_text

        key_source = schema_cache_text(schema, layout, strict, max_recursion, resources)
        def source() -> ByteDFA:  # built only on a cache miss
            return compile_dfa(schema=schema, layout=layout, strict=strict, max_recursion=max_recursion,
                               resources=resources, max_states=max_states, time_budget=deadline)

        stored_pattern = None
    else:
        source = key_source = _source(pattern)
        stored_pattern = source if isinstance(source, str) else (source.pattern or "")
    folder = cache_folder(cache)
    path = None
    if folder is not None:
        path = cache_path(folder, cache_key(key_source, vocabulary.fingerprint))
        index = _cached_index(path, vocabulary, stored_pattern)
        if index is not None:
            _check_limit(index, max_states)
            return index
    index = _build(source, vocabulary, stored_pattern, max_states, deadline, progress)
    if path is not None:
        _store_index(index, path)
    return index


def _source(pattern) -> str | ByteDFA:
    if isinstance(pattern, (str, ByteDFA)):
        return pattern
    raise TypeError(
        f"pattern must be a regular expression (str) or a ByteDFA, not {type(pattern).__name__}"
    )


def load_index(path, vocabulary=None, *, max_file_bytes: int = DEFAULT_MAX_FILE_BYTES) -> TokenIndex:
    """Read the index in `path`, checking everything; raises `IndexFileError` when it is not valid.

    `vocabulary`, when given, must be the one the index was built for (same fingerprint); the
    error then says what differs: size, EOS ids, family, logits width (the file's vs this one's,
    "unknown" for files that do not record them). Files larger than `max_file_bytes` are refused
    before anything is read.
    """
    if vocabulary is None:
        return read_index_file(path, TokenIndex.from_arrays, max_file_bytes=max_file_bytes)

    def checked(arrays, metadata):  # after the checksum: the metadata is what was written
        if metadata["vocabulary_fingerprint"] != vocabulary.fingerprint:
            from automaton.vocabulary.describe import mismatch_message

            raise IndexFileError(f"{path}: built for another vocabulary: {mismatch_message(metadata, vocabulary)}")
        return TokenIndex.from_arrays(arrays, metadata)

    return read_index_file(path, checked, max_file_bytes=max_file_bytes)


def save_index(index: TokenIndex, path) -> None:
    """Write `index` to `path` as one file; the write is atomic (see `automaton.files`)."""
    write_index_file(Path(path), index.arrays(), index.metadata())


def _cached_index(path: Path, vocabulary, pattern: str | None):
    """The valid index stored at `path` for this vocabulary and pattern, or None (pattern None:
    a schema's index, which its file name alone identifies).

    A missing file is a plain miss; a damaged or foreign one is reported (warning) and treated
    as a miss, so the caller rebuilds and replaces it.
    """
    if not path.is_file():
        return None
    try:
        index = load_index(path, vocabulary)
    except IndexFileError as error:
        warnings.warn(f"rebuilding a damaged cached index: {error}", CacheWarning, stacklevel=3)
        return None
    if pattern is not None and index.pattern != pattern:
        warnings.warn(
            f"rebuilding cached index {path}: it holds pattern {index.pattern!r:.80}, not {pattern!r:.80}",
            CacheWarning,
            stacklevel=3,
        )
        return None
    touch(path)  # a use, for least-recently-used pruning
    return index


def _store_index(index, path: Path) -> bool:
    """Write `index` to `path` (creating the folder); on failure warn once per folder, return False."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        save_index(index, path)
    except OSError as error:
        warn_unwritable(path.parent, error)
        return False
    enforce_limit(path)  # AUTOMATON_CACHE_MAX_BYTES: least recently used files go first
    return True


def _build(source, vocabulary, stored_pattern, max_states, deadline, progress) -> TokenIndex:
    from automaton.index.build import build_index

    with _progress_line(progress) as stage:
        if isinstance(source, str):
            stage("compiling the pattern to a DFA")
            dfa = compile_dfa(source, max_states=max_states, time_budget=deadline)  # one budget for both
        elif callable(source):
            stage("compiling the schema to a DFA")
            dfa = source()
            stored_pattern = dfa.pattern or ""
        else:
            dfa = source
        deadline.check("after building the DFA")
        stage(f"walking {vocabulary.num_tokens} tokens through {dfa.num_states} DFA states")
        return build_index(dfa, vocabulary, max_states=max_states, pattern=stored_pattern, deadline=deadline)


def _check_limit(index: TokenIndex, max_states: int) -> None:
    if index.num_states > max_states:
        raise TooManyStatesError(
            f"the index would have more than max_states={max_states} states "
            f"(the cached one has {index.num_states}); raise max_states or simplify the pattern",
            max_states,
        )


@contextmanager
def _progress_line(enabled: bool):
    """Yield `stage(text)`; when enabled, a tqdm line on stderr shows the stage and elapsed time."""
    if not enabled:
        yield lambda text: None
        return
    from tqdm import tqdm

    bar = tqdm(total=None, desc="compiling", bar_format="{desc}: {elapsed}{postfix}", leave=False)
    done = threading.Event()

    def tick() -> None:  # tqdm only redraws on updates; keep the elapsed time moving
        while not done.wait(0.25):
            bar.refresh()

    ticker = threading.Thread(target=tick, daemon=True)
    ticker.start()
    try:
        yield lambda text: bar.set_postfix_str(text)
    finally:
        done.set()
        ticker.join()
        bar.close()
