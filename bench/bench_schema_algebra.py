r"""Compile time and DFA size of the schema keywords that go through automata algebra (complement,
difference, intersection, counters, remainders), each beside the same schema without that keyword.

    .venv/bin/python -m bench.bench_schema_algebra [--repeats 7] [--no-write]

Ours only (no peer enforces these keywords: xgrammar drops `not`, `if`, `contains`,
`uniqueItems`; llguidance refuses them). Each schema is compiled by
`automaton.compile_dfa(schema=..., layout="spaced")`, once untimed (the automata of regex texts
that every schema shares, such as strings and integers, are then kept, as in a process that
serves many schemas), then `--repeats` times; the median and the spread (min-max) are reported
in ms, with the minimal DFA's states. The "## JSON schema algebra: compile time and states"
section of bench/RESULTS.md is rewritten unless `--no-write`.
"""
from __future__ import annotations

import argparse
import statistics
import time
import warnings

import automaton
from bench.report import command_line, machine_line, ms, ratio, table, write_section

SECTION = "## JSON schema algebra: compile time and states"
MODULE = "bench.bench_schema_algebra"
_BOUNDED_INT = {"type": "integer", "minimum": -1000, "maximum": 1000}
_PERSON = {"type": "object", "properties": {"a": {"type": "string"}}}

# (keyword, the schema using it, the same schema without it)
CASES = [
    ("not", {**_BOUNDED_INT, "not": {"enum": [3, 4, 5]}}, _BOUNDED_INT),
    ("if/then/else", {**_BOUNDED_INT, "if": {"minimum": 10}, "then": {"multipleOf": 5}, "else": {"multipleOf": 3}},
     _BOUNDED_INT),
    ("oneOf (overlapping)", {"oneOf": [{"type": "integer", "multipleOf": 2}, {"type": "integer", "multipleOf": 3}]},
     {"anyOf": [{"type": "integer", "multipleOf": 2}, {"type": "integer", "multipleOf": 3}]}),
    ("allOf (two patterns)", {"allOf": [{"type": "string", "pattern": "^[a-z]{1,40}$"},
                                        {"type": "string", "pattern": "ab"}]},
     {"type": "string", "pattern": "^[a-z]{1,40}$"}),
    ("pattern beside format", {"type": "string", "format": "email", "pattern": "@example\\.com$"},
     {"type": "string", "format": "email"}),
    ("contains, min/maxContains", {"type": "array", "items": {"type": "integer"}, "contains": {"minimum": 10},
                                   "minContains": 2, "maxContains": 3},
     {"type": "array", "items": {"type": "integer"}}),
    ("multipleOf 7 (integer)", {"type": "integer", "multipleOf": 7}, {"type": "integer"}),
    ("multipleOf 0.25, bounded", {"type": "number", "multipleOf": 0.25, "minimum": 0, "maximum": 100},
     {"type": "number", "minimum": 0, "maximum": 100}),
    ("multipleOf 0.01", {"type": "number", "multipleOf": 0.01}, {"type": "number"}),
    ("uniqueItems (4 values)", {"type": "array", "items": {"enum": ["red", "green", "blue", "cyan"]},
                                "uniqueItems": True},
     {"type": "array", "items": {"enum": ["red", "green", "blue", "cyan"]}}),
    ("uniqueItems (kinds)", {"type": "array", "items": {"type": ["string", "integer", "boolean"]}, "uniqueItems": True},
     {"type": "array", "items": {"type": ["string", "integer", "boolean"]}}),
    ("unevaluatedProperties", {**_PERSON, "allOf": [{"properties": {"b": {"type": "integer"}}}],
                               "unevaluatedProperties": False},
     {**_PERSON, "allOf": [{"properties": {"b": {"type": "integer"}}}]}),
    ("\\p{...} in pattern", {"type": "string", "pattern": "^\\p{Lu}\\p{Ll}+$"},
     {"type": "string", "pattern": "^[A-Z][a-z]+$"}),
]


def timed(schema: dict, repeats: int) -> tuple[list[float], int]:
    """(seconds per compile after a warm-up one, the DFA's states)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        dfa = automaton.compile_dfa(schema=schema, layout="spaced")
        times = []
        for _ in range(repeats):
            started = time.perf_counter()
            automaton.compile_dfa(schema=schema, layout="spaced")
            times.append(time.perf_counter() - started)
    return times, dfa.num_states


def _cell(times: list[float]) -> str:
    return f"{ms(statistics.median(times))} ({ms(min(times))}-{ms(max(times))})"


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(prog=f"python -m {MODULE}", description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args(argv)

    rows = []
    for name, algebraic, plain in CASES:
        times, states = timed(algebraic, args.repeats)
        plain_times, plain_states = timed(plain, args.repeats)
        row = [name, _cell(times), str(states), _cell(plain_times), str(plain_states),
               ratio(statistics.median(times), statistics.median(plain_times))]
        print(" | ".join(row), flush=True)
        rows.append(row)
    header = ["keyword", "with it: ms median (min-max)", "states", "without it: ms", "states", "time ratio"]
    body = "\n".join([
        command_line(MODULE, argv if argv is not None else []),
        "",
        machine_line(["numpy", "numba"]),
        "",
        f"`compile_dfa(schema=...)`, spaced layout, {args.repeats} timed compiles after one untimed; each schema "
        "beside the same schema without the keyword (the schemas: `CASES` in the module).",
        "",
        table(header, rows, right_from=1),
    ])
    print(body)
    if not args.no_write:
        write_section(SECTION, body)


if __name__ == "__main__":
    main()
