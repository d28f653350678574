"""JSON schema coverage, soundness and compile time on the JSONSchemaBench files.

For each schema: translate it (`automaton.json_schema_to_regex`), compile the DFA
(`automaton.compile_dfa`), take random walks through the DFA to accepting states, and check
each walk with `json.loads` + `jsonschema` (the draft named by `$schema`, format checks on).
Schemas that `jsonschema` rejects as schemas are not counted.

Measures per file: declared coverage (share that translates and compiles), walk compliance
(valid walks / finished walks), sound coverage (share that compiles and never gives an invalid
walk), compile time p50/p90 (translation + DFA, ms per schema).

    .venv/bin/python bench/bench_json_schema.py [--limit N] [--walks 5] [--markdown]
"""
from __future__ import annotations

import argparse
import json
import random
import sys
import time
from pathlib import Path

import jsonschema
import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import automaton  # noqa: E402
from automaton.errors import AutomatonError  # noqa: E402
from tests.automaton.json_schema_walks import BENCH_FILES, load_bench, random_walks  # noqa: E402


def _validator(schema):
    cls = jsonschema.validators.validator_for(schema, default=jsonschema.Draft202012Validator)
    cls.check_schema(schema)
    return cls(schema, format_checker=cls.FORMAT_CHECKER)


def run_file(name: str, limit: int | None, walks: int, max_states: int, seed: int) -> dict:
    schemas = load_bench(name)
    if limit is not None and limit < len(schemas):
        schemas = random.Random(seed).sample(schemas, limit)
    rng = np.random.default_rng(seed)
    counted = declared = sound = finished = valid = 0
    times: list[float] = []
    failures: dict[str, int] = {}
    invalid_examples = []
    for schema_id, schema in schemas:
        try:
            check = _validator(schema)
        except jsonschema.SchemaError:
            continue
        counted += 1
        start = time.perf_counter()
        try:
            regex = automaton.json_schema_to_regex(schema)
            dfa = automaton.compile_dfa(regex, max_states=max_states)
        except AutomatonError as error:
            reason = type(error).__name__ + (f":{error.keyword}" if hasattr(error, "keyword") else "")
            failures[reason] = failures.get(reason, 0) + 1
            continue
        times.append((time.perf_counter() - start) * 1000)
        declared += 1
        bad = 0
        for text in random_walks(dfa, walks, rng):
            finished += 1
            try:
                value = json.loads(text.decode("utf-8"))
                ok = not any(True for _ in check.iter_errors(value))
            except ValueError:
                ok = False
            valid += ok
            if not ok:
                bad += 1
                invalid_examples.append((schema_id, text[:120]))
        sound += bad == 0
    return {
        "file": name,
        "schemas": counted,
        "declared": declared / counted,
        "compliance": (valid, finished),
        "sound": sound / counted,
        "p50": float(np.percentile(times, 50)) if times else float("nan"),
        "p90": float(np.percentile(times, 90)) if times else float("nan"),
        "failures": dict(sorted(failures.items(), key=lambda kv: -kv[1])),
        "invalid_examples": invalid_examples[:5],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--files", nargs="*", default=list(BENCH_FILES))
    parser.add_argument("--limit", type=int, default=None, help="random sample of N schemas per file")
    parser.add_argument("--walks", type=int, default=5)
    parser.add_argument("--max-states", type=int, default=50000)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    print("| file | schemas | declared coverage | invalid walks / finished | sound coverage | compile p50 / p90 ms |")
    print("| --- | --- | --- | --- | --- | --- |")
    results = []
    for name in args.files:
        r = run_file(name, args.limit, args.walks, args.max_states, args.seed)
        results.append(r)
        valid, finished = r["compliance"]
        print(f"| {name} | {r['schemas']} | {r['declared']:.3f} | {finished - valid} / {finished} | {r['sound']:.3f} "
              f"| {r['p50']:.0f} / {r['p90']:.0f} |", flush=True)
    for r in results:
        print(f"\n{r['file']}: not compiled: {r['failures']}")
        if r["invalid_examples"]:
            print(f"  invalid walks: {r['invalid_examples']}")


if __name__ == "__main__":
    main()
