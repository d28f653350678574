"""`compile_index`: a pattern (or a compiled ByteDFA, or a JSON schema) and a vocabulary in, a `TokenIndex` out.

The one place that knows both the index build and the files: it looks the index up in the cache
(`automaton.cache`), builds it on a miss (`compile_dfa`, then `automaton.index.build_index`) and
stores the result for the next run or process.

    >>> import automaton
    >>> vocab = automaton.Vocabulary.from_token_bytes([b"1", b"2", b"12", None], eos_token_ids=[3])
    >>> index = automaton.compile_index(r"1+2", vocab, cache=False)
    >>> index.allowed_token_ids(index.initial_state).tolist()
    [0, 2]
"""
from __future__ import annotations

import threading
from contextlib import contextmanager

from automaton.budget import Deadline
from automaton.cache import cache_folder, cache_key, cache_path, cached_index, store_index
from automaton.dfa import ByteDFA
from automaton.dfa_builder import DEFAULT_MAX_STATES, compile_dfa
from automaton.errors import TooManyStatesError
from automaton.index import TokenIndex, build_index

__all__ = ["compile_index"]


def compile_index(
    pattern: str | ByteDFA | None = None,
    vocabulary=None,
    *,
    schema=None,
    max_states: int = DEFAULT_MAX_STATES,
    cache=True,
    time_budget: float | None = None,
    progress: bool = False,
) -> TokenIndex:
    """The token index of `pattern` over `vocabulary`, from the cache when it is there.

    pattern: a regular expression (full match, see the README) or a `ByteDFA` from `compile_dfa`.
    schema: a JSON schema (dict or JSON text) to compile instead of a pattern:
        `compile_index(schema=schema, vocabulary=vocab)`.
    vocabulary: an `automaton.Vocabulary`.
    max_states: limit on DFA and index states; past it `TooManyStatesError`. A cached index is
        checked against it too, so the limit means the same with and without the cache.
    cache: True (the default folder, see `automaton.cache`), False (neither read nor write), or
        a folder path.
    time_budget: seconds the compilation may take, checked while the DFA is built and before
        the index is built (`CompileTimeoutError`); None for no limit.
    progress: show a progress line with the stage and elapsed time on stderr while building.
    """
    source = _source(pattern, schema)
    if not hasattr(vocabulary, "fingerprint"):
        raise TypeError(
            f"vocabulary must be an automaton.Vocabulary, not {type(vocabulary).__name__}"
        )
    stored_pattern = source if isinstance(source, str) else (source.pattern or "")
    folder = cache_folder(cache)
    path = None
    if folder is not None:
        path = cache_path(folder, cache_key(source, vocabulary.fingerprint))
        index = cached_index(path, vocabulary, stored_pattern)
        if index is not None:
            _check_limit(index, max_states)
            return index
    index = _build(source, vocabulary, stored_pattern, max_states, time_budget, progress)
    if path is not None:
        store_index(index, path)
    return index


def _source(pattern, schema) -> str | ByteDFA:
    if schema is not None:
        if pattern is not None:
            raise TypeError("pass either a pattern or schema=, not both")
        from automaton.json_schema import json_schema_to_regex

        return json_schema_to_regex(schema)
    if isinstance(pattern, (str, ByteDFA)):
        return pattern
    raise TypeError(
        f"pattern must be a regular expression (str) or a ByteDFA, not {type(pattern).__name__}"
    )


def _build(source, vocabulary, stored_pattern, max_states, time_budget, progress) -> TokenIndex:
    deadline = Deadline(time_budget)
    with _progress_line(progress) as stage:
        if isinstance(source, str):
            stage("compiling the pattern to a DFA")
            dfa = compile_dfa(source, max_states=max_states, time_budget=time_budget)
        else:
            dfa = source
        deadline.check("after building the DFA")
        stage(f"walking {vocabulary.num_tokens} tokens through {dfa.num_states} DFA states")
        return build_index(dfa, vocabulary, max_states=max_states, pattern=stored_pattern)


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
