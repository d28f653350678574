"""JSON schema coverage, soundness and compile time on the JSONSchemaBench files, ours beside peers.

Two modes.

Token walks (default): for each engine (ours, outlines-core, xgrammar, llguidance; bench/schema_peers.py)
and each schema, in a forked child with a time limit: compile the schema with the engine's own
translator over the Mistral v1 vocabulary (ours: `compile_index(schema=...)`), then take
random walks through the engine's own masks: at each step the allowed ids are read from its packed
mask and one is drawn; the walk ends when an EOS id is drawn (finished) or after `--max-steps` tokens
(unfinished, not judged). The draw is uniform over groups of allowed tokens keyed by their first byte
(`"`, `\\`, `{`, `}`, `[`, `]`, `,`, `:`, EOS, anything else), then uniform inside the group:
drawing uniformly over the ids themselves almost never closes a string (a few hundred of the 32,000
tokens hold a quote), so such walks would seldom finish. `--uniform` draws uniformly over ids.
Ids without bytes other than EOS (`<unk>`, `<s>`) are never drawn; walks whose masks allowed them
are counted apart.

DFA walks (`--dfa`): ours only; random walks through the byte DFA (no vocabulary).

Each finished walk is decoded with our vocabulary's token bytes and checked with `json.loads` +
`jsonschema` (the draft named by `$schema`, default 2020-12, format checks on). Schemas that
`jsonschema` rejects as schemas are not counted.

Measures per file and engine: declared coverage (share that compiles within `--time-limit`), walk
compliance (valid walks / finished walks), sound coverage (share that compiles and never gives an
invalid, stuck or refused walk), compile time p50/p90 (ms per compiled schema, translation included).

    .venv/bin/python -m bench.bench_json_schema [--files F ...] [--limit N] [--walks 3] [--seed 0]
        [--engines ours outlines-core xgrammar llguidance] [--time-limit 30] [--max-steps 400]
    .venv/bin/python -m bench.bench_json_schema --dfa [--limit N] [--walks 5]

A peer library that is not installed (they are the `bench` extra) is named in a note and left out.
The schema files are those of the tests (`tests.automaton.json_schema.walks.BENCH_DIR`).
"""
from __future__ import annotations

import argparse
import json
import random
import time
from functools import partial

import jsonschema
import numpy as np

import automaton
from automaton.errors import AutomatonError
from bench.peers import StepRejected
from bench.report import quantiles, table, table_row, versions
from bench.schema_peers import SCHEMA_ENGINES
from bench.timing import ChildFailed, TimedOut, run_forked
from tests.automaton.json_schema.walks import BENCH_DIR, BENCH_FILES, load_bench, random_walks

_GROUP_BYTES = b'"\\{}[],:'
_EOS_GROUP = 256
_NO_BYTES_GROUP = 257


def _validator(schema):
    cls = jsonschema.validators.validator_for(schema, default=jsonschema.Draft202012Validator)
    cls.check_schema(schema)
    return cls(schema, format_checker=cls.FORMAT_CHECKER)


def _is_valid(check, text: bytes) -> bool:
    try:
        value = json.loads(text.decode("utf-8"))
    except ValueError:
        return False
    return not any(True for _ in check.iter_errors(value))


def _sample(name: str, limit: int | None, seed: int) -> list[tuple[str, dict, object]]:
    """(id, schema, validator) of the file or of a seeded sample of `limit` schemas of it."""
    schemas = load_bench(name)
    if limit is not None and limit < len(schemas):
        schemas = random.Random(seed).sample(schemas, limit)
    out = []
    for schema_id, schema in schemas:
        try:
            out.append((schema_id, schema, _validator(schema)))
        except jsonschema.SchemaError:
            continue
    return out


# ---------------------------------------------------------------- token walks through each engine


class TokenWalker:
    """Random walks through an engine's masks; decodes with our vocabulary's token bytes."""

    def __init__(self, vocabulary, max_steps: int, uniform: bool):
        self.width = vocabulary.logits_width
        self.max_steps = max_steps
        self.uniform = uniform
        self.eos = frozenset(vocabulary.eos_token_ids)
        self.pieces: list[bytes | None] = [None] * self.width
        group = np.zeros(self.width, dtype=np.int64)
        for token_id in range(self.width):
            if token_id in self.eos:
                group[token_id] = _EOS_GROUP
                continue
            piece = vocabulary.token_bytes(token_id) if token_id < vocabulary.num_tokens else None
            self.pieces[token_id] = piece
            if not piece:
                group[token_id] = _NO_BYTES_GROUP
            elif piece[0] in _GROUP_BYTES:
                group[token_id] = piece[0]
        self.group = group

    def _draw(self, allowed: np.ndarray, rng: np.random.Generator) -> int:
        if self.uniform:
            return int(allowed[rng.integers(allowed.size)])
        groups = self.group[allowed]
        present = np.unique(groups)
        chosen = present[rng.integers(present.size)]
        members = allowed[groups == chosen]
        return int(members[rng.integers(members.size)])

    def special_allowed(self, allowed: np.ndarray) -> bool:
        return bool((self.group[allowed] == _NO_BYTES_GROUP).any())

    def walk(self, engine, compiled, rng: np.random.Generator) -> tuple[str, bytes, bool]:
        """("finished" | "unfinished" | "stuck" | "refused", text so far, whether a mask
        allowed a non-EOS id without bytes (`<unk>`, `<s>`): such ids are never drawn)."""
        walker = engine.start(compiled)
        data = bytearray()
        special = False
        for _ in range(self.max_steps):
            words = np.ascontiguousarray(walker.words, dtype=np.int32)
            bits = np.unpackbits(words.view(np.uint8), bitorder="little")[: self.width]
            allowed = np.flatnonzero(bits)
            if self.special_allowed(allowed):
                special = True
                allowed = allowed[self.group[allowed] != _NO_BYTES_GROUP]
            if allowed.size == 0:
                return "stuck", bytes(data), special
            token_id = self._draw(allowed, rng)
            if token_id in self.eos:
                return "finished", bytes(data), special
            piece = self.pieces[token_id]
            try:
                walker.timed_step(token_id)
            except StepRejected:
                return "refused", bytes(data), special
            data += piece
        return "unfinished", bytes(data), special


def _compile_and_walk(engine, schema, walker: TokenWalker, walks: int, seed: int, time_limit: float):
    """Runs in the forked child: ("ok", ms, walks) | ("slow", ms) | ("error", reason)."""
    began = time.perf_counter()
    try:
        compiled = engine.compile_schema(schema)
    except Exception as error:  # each engine raises its own types; the reason is recorded
        if isinstance(error, AutomatonError):
            reason = type(error).__name__ + (f":{error.keyword}" if hasattr(error, "keyword") else "")
        else:
            reason = f"{type(error).__name__}: {str(error).strip()[:70]}"
        return ("error", reason)
    ms = (time.perf_counter() - began) * 1000
    if ms > time_limit * 1000:
        return ("slow", ms)
    rng = np.random.default_rng(seed)
    return ("ok", ms, [walker.walk(engine, compiled, rng) for _ in range(walks)])


def run_engine_file(engine, walker: TokenWalker, name: str, sample, walks: int, seed: int,
                    time_limit: float, walk_limit: float) -> dict:
    declared = sound = finished = valid = unfinished = special_walks = 0
    bad_kinds: dict[str, int] = {}
    times: list[float] = []
    failures: dict[str, int] = {}
    invalid_examples = []
    for position, (schema_id, schema, check) in enumerate(sample):
        try:
            result = run_forked(
                partial(_compile_and_walk, engine, schema, walker, walks, seed + position, time_limit),
                time_limit + walk_limit,
            )
        except ChildFailed as error:
            result = ("error", "crash:" + str(error).strip().splitlines()[-1][:60])
        if isinstance(result, TimedOut):
            failures["timeout"] = failures.get("timeout", 0) + 1
            continue
        if result[0] == "slow":
            failures["timeout"] = failures.get("timeout", 0) + 1
            continue
        if result[0] == "error":
            failures[result[1]] = failures.get(result[1], 0) + 1
            continue
        _, ms, outcomes = result
        declared += 1
        times.append(ms)
        bad = 0
        for kind, text, special in outcomes:
            special_walks += special
            if kind == "unfinished":
                unfinished += 1
                continue
            if kind == "finished":
                finished += 1
                if _is_valid(check, text):
                    valid += 1
                    continue
                kind = "invalid"
            else:
                bad_kinds[kind] = bad_kinds.get(kind, 0) + 1
            bad += 1
            invalid_examples.append((schema_id, kind, text[:100]))
        sound += bad == 0
    counted = len(sample)
    p50, p90 = quantiles(times, (50, 90))
    return {
        "engine": engine.name, "file": name, "schemas": counted, "declared": declared / counted,
        "compliance": (valid, finished), "unfinished": unfinished, "special_walks": special_walks,
        "bad_kinds": bad_kinds,
        "sound": sound / counted, "p50": p50, "p90": p90,
        "failures": dict(sorted(failures.items(), key=lambda kv: -kv[1])),
        "invalid_examples": invalid_examples[:4],
    }


def _engine_label(engine) -> str:
    return engine.name if engine.name == "ours" else versions([engine.name])


def _engines(names, tokenizer, vocabulary) -> list:
    """The engines named, each over `vocabulary`; a peer that cannot be made is named in a note."""
    engines = []
    for cls in SCHEMA_ENGINES:
        if cls.name not in names:
            continue
        try:
            engines.append(cls(tokenizer, vocabulary))
        except ImportError as error:
            print(f"note: {cls.name} left out, not installed ({error}); the peers are the `bench` extra")
    return engines


def token_mode(args) -> None:
    from tests.support.tokenizers import mistral_v1_tokenizer

    tokenizer = mistral_v1_tokenizer()
    vocabulary = automaton.Vocabulary.from_tokenizer(tokenizer)
    walker = TokenWalker(vocabulary, args.max_steps, args.uniform)
    engines = _engines(args.engines, tokenizer, vocabulary)
    warm = {"type": "object", "properties": {"a": {"type": "integer"}}, "required": ["a"]}
    for engine in engines:  # first-call costs (JIT, lazy tables) are not charged to the first schema
        walker.walk(engine, engine.compile_schema(warm), np.random.default_rng(0))
    for name in args.files:
        sample = _sample(name, args.limit, args.seed)
        print(f"\n{name}: {len(sample)} schemas, {args.walks} walks each, seed {args.seed}\n")
        print(table(["engine", "declared coverage", "invalid walks / finished (unfinished)", "sound coverage",
                     "compile p50 / p90 ms"], []))
        results = []
        for engine in engines:
            r = run_engine_file(engine, walker, name, sample, args.walks, args.seed, args.time_limit,
                                args.walk_limit)
            results.append(r)
            valid, finished = r["compliance"]
            extra = "".join(f", {count} {kind}" for kind, count in r["bad_kinds"].items())
            print(table_row([_engine_label(engine), f"{r['declared']:.2f}",
                             f"{finished - valid} / {finished} ({r['unfinished']}{extra})", f"{r['sound']:.2f}",
                             f"{r['p50']:.0f} / {r['p90']:.0f}"]), flush=True)
        print()
        for r in results:
            print(f"- {r['engine']}: not compiled: {r['failures'] or 'none'}; walks whose masks allowed "
                  f"an id without bytes (not drawn): {r['special_walks']}"
                  + (f"; bad walks e.g. {r['invalid_examples']}" if r["invalid_examples"] else ""))


# ---------------------------------------------------------------- byte-DFA walks, ours only


def run_file_dfa(name: str, limit: int | None, walks: int, max_states: int, seed: int) -> dict:
    sample = _sample(name, limit, seed)
    rng = np.random.default_rng(seed)
    declared = sound = finished = valid = 0
    times: list[float] = []
    failures: dict[str, int] = {}
    invalid_examples = []
    for schema_id, schema, check in sample:
        start = time.perf_counter()
        try:
            dfa = automaton.compile_dfa(schema=schema, max_states=max_states)
        except AutomatonError as error:
            reason = type(error).__name__ + (f":{error.keyword}" if hasattr(error, "keyword") else "")
            failures[reason] = failures.get(reason, 0) + 1
            continue
        times.append((time.perf_counter() - start) * 1000)
        declared += 1
        bad = 0
        for text in random_walks(dfa, walks, rng):
            finished += 1
            ok = _is_valid(check, text)
            valid += ok
            if not ok:
                bad += 1
                invalid_examples.append((schema_id, text[:120]))
        sound += bad == 0
    counted = len(sample)
    p50, p90 = quantiles(times, (50, 90))
    return {
        "file": name, "schemas": counted, "declared": declared / counted, "compliance": (valid, finished),
        "sound": sound / counted, "p50": p50, "p90": p90,
        "failures": dict(sorted(failures.items(), key=lambda kv: -kv[1])),
        "invalid_examples": invalid_examples[:5],
    }


def dfa_mode(args) -> None:
    print(table(["file", "schemas", "declared coverage", "invalid walks / finished", "sound coverage",
                 "compile p50 / p90 ms"], []))
    results = []
    for name in args.files:
        r = run_file_dfa(name, args.limit, args.walks, args.max_states, args.seed)
        results.append(r)
        valid, finished = r["compliance"]
        print(table_row([name, r["schemas"], f"{r['declared']:.3f}", f"{finished - valid} / {finished}",
                         f"{r['sound']:.3f}", f"{r['p50']:.0f} / {r['p90']:.0f}"]), flush=True)
    for r in results:
        print(f"\n{r['file']}: not compiled: {r['failures']}")
        if r["invalid_examples"]:
            print(f"  invalid walks: {r['invalid_examples']}")


def main() -> None:
    parser = argparse.ArgumentParser(prog=f"python -m {__spec__.name}", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--files", nargs="*", default=list(BENCH_FILES))
    parser.add_argument("--limit", type=int, default=None, help="seeded random sample of N schemas per file")
    parser.add_argument("--walks", type=int, default=3)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--dfa", action="store_true", help="ours only, walks through the byte DFA")
    parser.add_argument("--max-states", type=int, default=50000, help="DFA mode: state limit")
    parser.add_argument("--engines", nargs="*", default=[cls.name for cls in SCHEMA_ENGINES])
    parser.add_argument("--time-limit", type=float, default=30.0, help="seconds to compile one schema")
    parser.add_argument("--walk-limit", type=float, default=60.0, help="seconds for one schema's walks")
    parser.add_argument("--max-steps", type=int, default=400, help="tokens per walk before it counts as unfinished")
    parser.add_argument("--uniform", action="store_true", help="draw uniformly over allowed ids")
    args = parser.parse_args()
    missing = [name for name in args.files if not (BENCH_DIR / f"{name}.jsonl").is_file()]
    if missing:
        parser.error(f"schema file(s) {', '.join(missing)} not found in {BENCH_DIR}")
    if args.dfa:
        dfa_mode(args)
    else:
        token_mode(args)


if __name__ == "__main__":
    main()
