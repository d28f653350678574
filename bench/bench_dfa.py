"""DFA compile time: `automaton.compile_dfa` side by side with interegular's `parse_pattern(p).to_fsm()`.

Patterns: every pattern of ../shared/bench/patterns.py (beside the repository) plus
`[ab]*a[ab]{13}` (16,385 DFA states). Each is timed `--repeats` times per engine, cold (Python's
`re` cache and the UTF-8 sequence cache are cleared before each compile_dfa run); the table shows
medians and the ratio interegular / compile_dfa. A peer run slower than `--slow` seconds is not
repeated (its median is then one run). Note the engines differ in what they build: interegular's
FSM reads characters, compile_dfa's DFA reads UTF-8 bytes and is minimal.

    .venv/bin/python bench/bench_dfa.py [--repeats 5] [--slow 2.0] [--skip-peer] [--write-results]

`--write-results` rewrites the "## DFA compile (issue 2)" section of bench/RESULTS.md.
"""
from __future__ import annotations

import argparse
import importlib.util
import os
import platform
import re
import statistics
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

import interegular  # noqa: E402

import automaton  # noqa: E402
from automaton.utf8 import utf8_sequences  # noqa: E402
from bench.results_file import replace_section  # noqa: E402

HEADING = "## DFA compile (issue 2)"
COMMAND = ".venv/bin/python bench/bench_dfa.py --write-results"

EXPLOSION = r"[ab]*a[ab]{13}"


def shared_patterns() -> dict[str, str]:
    path = REPO.parent / "shared" / "bench" / "patterns.py"
    spec = importlib.util.spec_from_file_location("shared_bench_patterns", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.all_patterns()


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
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--slow", type=float, default=2.0, help="do not repeat a peer run slower than this (s)")
    parser.add_argument("--skip-peer", action="store_true", help="time compile_dfa only")
    parser.add_argument("--write-results", action="store_true", help="rewrite this benchmark's section of bench/RESULTS.md")
    args = parser.parse_args()

    patterns = {**shared_patterns(), "ab_explosion_13": EXPLOSION}
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
        replace_section(REPO / "bench" / "RESULTS.md", HEADING, _results_body(rows, args.repeats))
        print(f"wrote the {HEADING!r} section of bench/RESULTS.md")


def _results_body(rows, repeats: int) -> str:
    by_name = {row[0]: row for row in rows}
    lines = [
        f"Command (from the repository root): `{COMMAND}`",
        "",
        f"Machine: {platform.machine()}, {os.cpu_count()} cores shared with other work, Python {platform.python_version()}, "
        f"interegular {interegular.__version__}; load average {os.getloadavg()[0]:.1f} at the end of the run. "
        f"Medians of {repeats} cold runs (Python's `re` cache and the UTF-8 sequence cache cleared each time; "
        "wall time, and in brackets this process's CPU time, which the load disturbs less); "
        "a to_fsm() run over 2 s is not repeated. interegular's FSM reads characters, ours reads UTF-8 bytes "
        "and is minimal, so the state counts differ.",
        "",
        "| pattern | compile_dfa ms (CPU ms) | DFA states | interegular to_fsm() ms (runs) | FSM states | to_fsm / compile_dfa |",
        "| --- | ---: | ---: | ---: | ---: | ---: |",
    ]
    for name, ours, ours_cpu, our_states, theirs, their_states, runs in rows:
        lines.append(
            f"| {name} | {ours * 1e3:,.1f} ({ours_cpu * 1e3:,.1f}) | {our_states:,} | {theirs * 1e3:,.1f} ({runs}) "
            f"| {their_states:,} | {theirs / ours:,.1f}x |"
        )
    lines += ["", "| target | measured | met |", "| --- | --- | --- |"]
    if "person_schema" in by_name:
        _, ours, _, _, theirs, _, _ = by_name["person_schema"]
        lines.append(f"| person_schema >= 10x faster than to_fsm() | {theirs / ours:.1f}x | {'yes' if theirs / ours >= 10 else 'no'} |")
    _, ours, _, states, _, _, _ = by_name["ab_explosion_13"]
    lines.append(f"| `[ab]*a[ab]{{13}}` ({states:,} states) under 2 s | {ours:.2f} s | {'yes' if ours < 2 else 'no'} |")
    return "\n".join(lines)


if __name__ == "__main__":
    main()
