"""Load: 200 different patterns compiled at once by 2 processes into one cache folder, then read back.

Both processes (multiprocessing, spawn) compile all 200 patterns into the same folder, one in
order and one in reverse, so they write different files at the same time at first, then meet
and read the files the other wrote. Then: both succeeded without a cache warning, the folder
holds exactly one file per pattern (named by its cache key) and no temporary file, every file
loads with `automaton.load_index`, holds the same index the processes had in memory, and
agrees with its pattern on random walks checked against a brute-force scan with the `regex`
module (every token allowed iff the text can still become a full match, EOS iff it is one).
"""
from __future__ import annotations

import json
import multiprocessing
import random
import re

import regex

import automaton
from automaton.cache import cache_key, cache_path
from tests.reliability.cache_worker import (
    STRESS_EOS,
    STRESS_TOKEN_BYTES,
    compile_all,
    stress_vocabulary,
)
from tests.reliability.oracle import greedy

NUM_PATTERNS = 200
WALKS_PER_PATTERN = 2
MAX_WALK_STEPS = 8

# Every set below contains printable ASCII, so every partial match can be completed with the
# vocabulary's single-character tokens (the brute force below relies on it).
_ATOMS = [
    *map(re.escape, "abcxyz019-. "), r"[a-c]", r"[^a]", r"\d", r"\w", r"\s", r".", r"[0-9a-f]",
    r"[xyz]", r"[^\n]", r"[A-Z]", r"\W",
]
_QUANTIFIERS = ["?", "*", "+", "{2}", "{1,3}", "{0,2}", "{2,}", "*?", "+?"]


def _random_pattern(rng: random.Random, depth: int = 0) -> str:
    kind = rng.choice(["atom", "concat", "concat", "alternation", "repeat"]) if depth < 3 else "atom"
    if kind == "atom":
        return rng.choice(_ATOMS)
    if kind == "concat":
        return "".join(_random_pattern(rng, depth + 1) for _ in range(rng.randint(2, 4)))
    if kind == "alternation":
        return "(?:" + "|".join(_random_pattern(rng, depth + 1) for _ in range(rng.randint(2, 3))) + ")"
    return "(?:" + _random_pattern(rng, depth + 1) + ")" + rng.choice(_QUANTIFIERS)


def stress_patterns() -> list[str]:
    rng = random.Random(20261119)
    found: dict[str, None] = {}
    while len(found) < NUM_PATTERNS:
        found[_random_pattern(rng)] = None
    return list(found)


def walk_against_brute_force(index, pattern: str, rng: random.Random) -> int:
    """Random walks; at every state the allowed set equals a brute-force scan. Returns states checked."""
    partial = regex.compile(greedy(pattern), regex.ASCII)
    full = re.compile(pattern, re.ASCII)
    checked = 0
    for _walk in range(WALKS_PER_PATTERN):
        state, text = index.initial_state, ""
        for _step in range(MAX_WALK_STEPS + 1):
            checked += 1
            expected = {
                token_id
                for token_id, data in enumerate(STRESS_TOKEN_BYTES)
                if data is not None and partial.fullmatch(text + data.decode("ascii"), partial=True)
            }
            matched = full.fullmatch(text) is not None
            if matched:
                expected.add(STRESS_EOS)
            assert index.allowed_token_ids(state).tolist() == sorted(expected), (pattern, text)
            assert index.is_accepting(state) == matched, (pattern, text)
            choices = sorted(expected - {STRESS_EOS})
            if not choices or (matched and rng.random() < 0.3):
                break
            token_id = rng.choice(choices)
            state = index.next_state(state, token_id)
            text += STRESS_TOKEN_BYTES[token_id].decode("ascii")
    return checked


def test_two_processes_compile_200_patterns_into_one_folder(tmp_path, summary):
    patterns = stress_patterns()
    folder = tmp_path / "cache"
    context = multiprocessing.get_context("spawn")
    start = context.Event()
    orders = [patterns, patterns[::-1]]
    results = [tmp_path / f"worker-{n}.json" for n in range(2)]
    workers = [
        context.Process(target=compile_all, args=(str(folder), order, start, str(result)))
        for order, result in zip(orders, results)
    ]
    for worker in workers:
        worker.start()
    try:
        start.set()
        for worker in workers:
            worker.join(timeout=600)
    finally:
        for worker in workers:
            if worker.is_alive():
                worker.kill()
    assert [worker.exitcode for worker in workers] == [0, 0]
    reports = [json.loads(result.read_text()) for result in results]
    for report in reports:
        assert report["warnings"] == []
    assert reports[0]["allowed"] == reports[1]["allowed"]

    vocabulary = stress_vocabulary()
    expected_names = {cache_path(folder, cache_key(p, vocabulary.fingerprint)).name for p in patterns}
    assert sorted(path.name for path in folder.iterdir()) == sorted(expected_names)

    states_checked = 0
    rng = random.Random(7)
    for pattern in patterns:
        path = cache_path(folder, cache_key(pattern, vocabulary.fingerprint))
        index = automaton.load_index(path, vocabulary)
        assert index.pattern == pattern
        assert [index.allowed_token_ids(s).tolist() for s in range(index.num_states)] == reports[0]["allowed"][pattern]
        states_checked += walk_against_brute_force(index, pattern, rng)
    summary.append(
        f"test_stress_cache: 2 processes x {NUM_PATTERNS} patterns into one cache folder; "
        f"{len(expected_names)} files read back, {states_checked} walk states checked against brute force"
    )
