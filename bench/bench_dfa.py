"""DFA compile time: `automaton.compile_dfa` side by side with interegular's `parse_pattern(p).to_fsm()`.

Patterns: every pattern of `bench.patterns` plus
`[ab]*a[ab]{13}` (16,385 DFA states). Each is timed `--repeats` times per engine, cold (Python's
`re` cache and the UTF-8 sequence cache are cleared before each compile_dfa run); the table shows
medians and the ratio interegular / compile_dfa. A peer run slower than `--slow` seconds is not
repeated (its median is then one run). Note the engines differ in what they build: interegular's
FSM reads characters, compile_dfa's DFA reads UTF-8 bytes and is minimal.

    .venv/bin/python -m bench.bench_dfa [--repeats 5] [--slow 2.0] [--skip-peer] [--write-results]

`--write-results` rewrites the "## DFA compile time beside interegular" section of bench/RESULTS.md.
"""
from __future__ import annotations

import argparse
import re
import statistics
import time

import interegular

import automaton
from automaton.dfa.utf8 import utf8_sequences
from bench.patterns import all_patterns
from bench.report import command_line, machine_line, table, write_section

SECTION = "## DFA compile time beside interegular"
MODULE = "bench.bench_dfa"

EXPLOSION = r"[ab]*a[ab]{13}"


def time_ours(pattern: str, repeats: int) -> tuple[float, float, int]:
    """Median wall and CPU seconds of a cold compile_dfa, and the DFA's state count."""
    wall, cpu = [], []
    for _ in range(repeats):
        re.purge()
        utf8_sequences.cache_clear()
        start, start_cpu = time.perf_counter(), time.process_time()
        dfa = automaton.compile_dfa(pattern)
        wall.append(time.perf_counter() - start)
        cpu.append(time.process_time() - start_cpu)
    return statistics.median(wall), statistics.median(cpu), dfa.num_states


def time_interegular(pattern: str, repeats: int, slow: float) -> tuple[float, int, int]:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fsm = interegular.parse_pattern(pattern).to_fsm()
        times.append(time.perf_counter() - start)
        if times[-1] > slow:
            break
    return statistics.median(times), len(fsm.states), len(times)


def main() -> None:
    parser = argparse.ArgumentParser(prog=f"python -m {__spec__.name}", description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--slow", type=float, default=2.0, help="do not repeat a peer run slower than this (s)")
    parser.add_argument("--skip-peer", action="store_true", help="time compile_dfa only")
    parser.add_argument("--write-results", action="store_true",
                        help="rewrite this benchmark's section of bench/RESULTS.md")
    args = parser.parse_args()

    patterns = {**all_patterns(), "ab_explosion_13": EXPLOSION}
    automaton.compile_dfa("warm(up)?")  # imports and first-call costs stay out of the figures

    header = (
        f"{'pattern':<16} {'compile_dfa ms':>15} {'(cpu ms)':>9} {'states':>7} {'to_fsm() ms':>12} {'states':>7} "
        f"{'runs':>5} {'ratio':>7}"
    )
    print(header)
    print("-" * len(header))
    rows = []
    for name, pattern in patterns.items():
        ours, ours_cpu, our_states = time_ours(pattern, args.repeats)
        if args.skip_peer:
            print(f"{name:<16} {ours * 1e3:>15.1f} {ours_cpu * 1e3:>9.1f} {our_states:>7}")
            continue
        theirs, their_states, runs = time_interegular(pattern, args.repeats, args.slow)
        rows.append((name, ours, ours_cpu, our_states, theirs, their_states, runs))
        print(
            f"{name:<16} {ours * 1e3:>15.1f} {ours_cpu * 1e3:>9.1f} {our_states:>7} {theirs * 1e3:>12.1f} "
            f"{their_states:>7} {runs:>5} {theirs / ours:>6.1f}x",
            flush=True,
        )
    if args.write_results and rows:
        write_section(SECTION, _results_body(rows, args))


def _results_body(rows, args) -> str:
    by_name = {row[0]: row for row in rows}
    figures = [
        [name, f"{ours * 1e3:,.1f} ({ours_cpu * 1e3:,.1f})", f"{our_states:,}", f"{theirs * 1e3:,.1f} ({runs})",
         f"{their_states:,}", f"{theirs / ours:,.1f}x"]
        for name, ours, ours_cpu, our_states, theirs, their_states, runs in rows
    ]
    targets = []
    if "person_schema" in by_name:
        _, ours, _, _, theirs, _, _ = by_name["person_schema"]
        targets.append(["person_schema >= 10x faster than to_fsm()", f"{theirs / ours:.1f}x",
                        "yes" if theirs / ours >= 10 else "no"])
    _, ours, _, states, _, _, _ = by_name["ab_explosion_13"]
    targets.append([f"`[ab]*a[ab]{{13}}` ({states:,} states) under 2 s", f"{ours:.2f} s", "yes" if ours < 2 else "no"])
    return "\n".join([
        f"Command (from the repository root): {command_line(MODULE, ['--repeats', args.repeats, '--write-results'])}",
        "",
        f"{machine_line(['interegular'])}; the cores are shared with other work. "
        f"Medians of {args.repeats} cold runs (Python's `re` cache and the UTF-8 sequence cache cleared each time; "
        "wall time, and in brackets this process's CPU time, which the load disturbs less); "
        f"a to_fsm() run over {args.slow:g} s is not repeated. interegular's FSM reads characters, ours reads "
        "UTF-8 bytes and is minimal, so the state counts differ.",
        "",
        table(["pattern", "compile_dfa ms (CPU ms)", "DFA states", "interegular to_fsm() ms (runs)", "FSM states",
               "to_fsm / compile_dfa"], figures, right_from=1),
        "",
        table(["target", "measured", "met"], targets),
    ])

if __name__ == "__main__":
    main()
