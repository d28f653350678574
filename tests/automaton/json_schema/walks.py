"""Random texts from a regex's DFA, and the JSONSchemaBench files, for the JSON-schema tests.

`random_walks(dfa, n, rng)` walks the byte DFA from its start, choosing uniformly among the
byte classes that stay live, stopping at accepting states with some probability, and heading
for the nearest accepting state once a walk grows long; it gives `n` finished texts (bytes).
`invalid_walks(name, dfa, check, n, rng)` lists the walks that are not JSON or that the
`jsonschema` validator `check` rejects, as (name, text, reason).
"""
from __future__ import annotations

import json
from collections import deque
from pathlib import Path

import numpy as np

from automaton.dfa.byte_dfa import DEAD_STATE

BENCH_DIR = Path(__file__).resolve().parents[2] / "data" / "jsonschemabench"  # tests/data
BENCH_FILES = ("Github_trivial", "Github_easy", "Glaiveai2K")


def load_bench(name: str) -> list[tuple[str, dict]]:
    """(id, schema) pairs of one JSONSchemaBench file."""
    out = []
    with open(BENCH_DIR / f"{name}.jsonl", encoding="utf-8") as handle:
        for line in handle:
            row = json.loads(line)
            out.append((str(row["id"]), row["schema"]))
    return out


def _distances(dfa) -> np.ndarray:
    """Steps from each state to the nearest accepting state (large where none)."""
    table = dfa.table
    n = table.shape[0]
    reverse: list[list[int]] = [[] for _ in range(n)]
    for state in range(n):
        for target in set(table[state].tolist()):
            reverse[target].append(state)
    dist = np.full(n, 1 << 30, dtype=np.int64)
    queue = deque()
    for state in np.flatnonzero(dfa.accepting):
        dist[state] = 0
        queue.append(int(state))
    while queue:
        state = queue.popleft()
        for source in reverse[state]:
            if dist[source] > dist[state] + 1:
                dist[source] = dist[state] + 1
                queue.append(source)
    return dist


def random_walks(dfa, n: int, rng: np.random.Generator, stop: float = 0.15, long: int = 400) -> list[bytes]:
    dist = _distances(dfa)
    class_bytes: dict[int, list[int]] = {}
    for byte, cls in enumerate(dfa.byte_classes.tolist()):
        class_bytes.setdefault(cls, []).append(byte)
    out = []
    for _ in range(n):
        state = dfa.initial_state
        data = bytearray()
        while True:
            if dfa.accepting[state] and (rng.random() < stop or len(data) > long):
                break
            row = dfa.table[state]
            live = [c for c in range(row.shape[0]) if row[c] != DEAD_STATE and c in class_bytes]
            if not live:
                if not dfa.accepting[state]:
                    raise AssertionError(f"state {state} is neither accepting nor able to go on")
                break
            if len(data) > long:
                best = min(dist[row[c]] for c in live)
                live = [c for c in live if dist[row[c]] == best]
            cls = live[int(rng.integers(len(live)))]
            choices = class_bytes[cls]
            data.append(choices[int(rng.integers(len(choices)))])
            state = int(row[cls])
        out.append(bytes(data))
    return out


def invalid_walks(name: str, dfa, check, n: int, rng: np.random.Generator) -> list[tuple[str, bytes, str]]:
    import jsonschema

    invalid = []
    for text in random_walks(dfa, n, rng):
        try:
            value = json.loads(text.decode("utf-8"))
        except ValueError as error:
            invalid.append((name, text[:200], f"not JSON: {error}"))
            continue
        error = jsonschema.exceptions.best_match(check.iter_errors(value))
        if error is not None:
            invalid.append((name, text[:200], error.message[:200]))
    return invalid
