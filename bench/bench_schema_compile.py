r"""Compile time of JSON schemas, schema -> token index over the Mistral v1 vocabulary, per
JSONSchemaBench file (the vendored ones in tests/data/jsonschemabench), ours beside the peers
that are installed (llguidance 1.9.1, xgrammar 0.2.8: the `bench` extra).

    .venv/bin/python -m bench.bench_schema_compile [--files F ...] [--limit N] [--layout spaced]
        [--time-budget 30] [--engines ours llguidance xgrammar] [--no-write]

Ours: `automaton.compile_index(schema=..., layout=..., cache=False, time_budget=...)`, in this
process, one schema after another (one untimed warm-up compile per engine first, so that
numba's kernels and the Unicode tables of `\d`/`\w` are loaded). A schema that raises an
`AutomatonError` is refused (counted by error class); one past `--time-budget` seconds is timed
out. llguidance: `LLMatcher.grammar_from_json_schema` and
the matcher (it computes masks lazily, so this is its whole up-front cost); xgrammar:
`GrammarCompiler.compile_json_schema` (single thread, no cache). Schemas that `jsonschema`
rejects as schemas are not counted.

Per file and engine: schemas compiled, refused, timed out; compile time p50 / p90 / max (ms, over
the compiled ones). The "## JSON schema compile time (schema -> index)" section of
bench/RESULTS.md is rewritten unless `--no-write`.
"""
from __future__ import annotations

import argparse
import json
import time
import warnings
from collections import Counter

import jsonschema

import automaton
from automaton.errors import AutomatonError, CompileTimeoutError
from bench.report import command_line, machine_line, ms, quantiles, table, write_section
from bench.vocabularies import load_vocabulary
from tests.automaton.json_schema.walks import BENCH_FILES, load_bench

SECTION = "## JSON schema compile time (schema -> index)"
MODULE = "bench.bench_schema_compile"


def _counted(schemas):
    out = []
    for schema_id, schema in schemas:
        try:
            jsonschema.validators.validator_for(schema, default=jsonschema.Draft202012Validator).check_schema(schema)
        except jsonschema.SchemaError:
            continue
        out.append((schema_id, schema))
    return out


def _ours(vocabulary, layout, budget):
    def compile_one(schema):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return automaton.compile_index(schema=schema, vocabulary=vocabulary, layout=layout, cache=False,
                                           time_budget=budget)
    return compile_one


def _llguidance(tokenizer):
    import llguidance
    import llguidance.hf

    tokenizer_info = llguidance.hf.from_tokenizer(tokenizer)

    def compile_one(schema):
        grammar = llguidance.LLMatcher.grammar_from_json_schema(schema)
        matcher = llguidance.LLMatcher(tokenizer_info, grammar)
        if matcher.is_error():
            raise ValueError(matcher.get_error())
        return matcher
    return compile_one


def _xgrammar(tokenizer):
    import xgrammar

    info = xgrammar.TokenizerInfo.from_huggingface(tokenizer)
    compiler = xgrammar.GrammarCompiler(info, max_threads=1, cache_enabled=False)
    return lambda schema: compiler.compile_json_schema(json.dumps(schema))


def measure(compile_one, schemas, budget: float) -> dict:
    times, refused, slowest = [], Counter(), []
    timed_out = 0
    for schema_id, schema in schemas:
        started = time.perf_counter()
        try:
            compile_one(schema)
        except CompileTimeoutError:
            timed_out += 1
            continue
        except (AutomatonError, ValueError, RuntimeError) as error:
            refused[type(error).__name__] += 1
            continue
        elapsed = time.perf_counter() - started
        if elapsed > budget:
            timed_out += 1
            continue
        times.append(elapsed)
        slowest.append((elapsed, schema_id))
    slowest.sort(reverse=True)
    return {"times": times, "refused": refused, "timed_out": timed_out, "slowest": slowest[:3]}


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(prog=f"python -m {MODULE}", description=__doc__.split("\n\n")[0])
    parser.add_argument("--files", nargs="+", default=list(BENCH_FILES), choices=BENCH_FILES)
    parser.add_argument("--limit", type=int, default=None, help="the first N schemas of each file")
    parser.add_argument("--layout", default="spaced")
    parser.add_argument("--time-budget", type=float, default=30.0)
    parser.add_argument("--engines", nargs="+", default=["ours", "llguidance", "xgrammar"],
                        choices=["ours", "llguidance", "xgrammar"])
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args(argv)
    layout = int(args.layout) if args.layout.isdigit() else args.layout

    tokenizer, vocabulary = load_vocabulary("Mistral v1")
    engines, notes = {}, []
    for name in args.engines:
        try:
            engines[name] = {"ours": lambda: _ours(vocabulary, layout, args.time_budget),
                             "llguidance": lambda: _llguidance(tokenizer),
                             "xgrammar": lambda: _xgrammar(tokenizer)}[name]()
        except ImportError as error:
            notes.append(f"{name} is not installed ({error}); left out.")
    warm_up = {"type": "object", "properties": {"a": {"type": "integer"},
                                                "b": {"type": "string", "pattern": r"^\d\w$"},
                                                "c": {"type": "string", "format": "date-time"}}}
    for compile_one in engines.values():  # numba's kernels, Unicode tables: costs of a process's first schema
        compile_one(warm_up)

    rows = []
    for file in args.files:
        schemas = _counted(load_bench(file)[: args.limit])
        for name, compile_one in engines.items():
            result = measure(compile_one, schemas, args.time_budget)
            p50, p90 = quantiles(result["times"], (50, 90))
            refused = ", ".join(f"{k} {v}" for k, v in result["refused"].most_common()) or "0"
            slowest = ", ".join(f"{sid} {ms(t)}" for t, sid in result["slowest"])
            row = [file, name, str(len(schemas)), str(len(result["times"])), refused, str(result["timed_out"]),
                   ms(p50), ms(p90), ms(max(result["times"], default=float("nan"))), slowest]
            print(" | ".join(row), flush=True)
            rows.append(row)
    header = ["file", "engine", "schemas", "compiled", "refused", "timed out", "p50 ms", "p90 ms", "max ms",
              "slowest (id ms)"]
    body = "\n".join([
        command_line(MODULE, argv if argv is not None else []),
        "",
        machine_line(["numpy", "numba", "llguidance", "xgrammar"]),
        "",
        f"Layout {layout!r}; vocabulary Mistral v1 (32,000 ids); time budget {args.time_budget} s per schema; "
        "compile time = schema -> index, translation included, no cache.",
        "",
        table(header, rows, right_from=2),
        "",
        "One process, schemas one after another: ours keeps the automata of regex texts (strings, numbers, "
        "formats) from schema to schema (`automaton.json_schema.lang`), as a process serving many schemas "
        "does; the warm-up compile loads numba's kernels first. The machine's two cores are shared: the load "
        "average above moves these figures by up to 2x from run to run.",
        *(["", *notes] if notes else []),
    ])
    print(body)
    if not args.no_write:
        write_section(SECTION, body)


if __name__ == "__main__":
    main()
