"""Time to refusal (or to a compiled DFA) of pathological patterns, with `time_budget=1` and
without a budget, this checkout beside another one (an older revision), each in fresh processes.

    git archive HEAD | tar -x -C /tmp/before      # the revision to compare with (or a worktree)
    .venv/bin/python -m bench.bench_refusal --against /tmp/before
    .venv/bin/python -m bench.bench_refusal --against /tmp/before --repeats 3 --kill-after 60 --no-write
    .venv/bin/python -m bench.bench_refusal --only email person_schema --rounds 6

Patterns: the pathological ones of the "Hardening" issue (`X?(R||){3335}`, `"b*" * 9000`,
`(?:R?){n}` for a few n, `(a{1000}){1000}`), two that stay expensive after the rewrites
(`(?:a?b?){3000}`, whose subset construction is quadratic, and a 65,541-state DFA with 30 byte
classes, whose minimization takes about a second; and `[a-z]*[aeiou][a-z]{15}` through
`compile_index` over SmolLM2's vocabulary: a 65,537-state DFA built in a fraction of a second,
whose index build takes seconds), and normal patterns of `bench.patterns`.

Each (checkout, pattern, budget) runs in its own child process: after a warm-up compile it
compiles the pattern `--repeats` times (Python's `re` cache and the UTF-8 sequence cache cleared
before each, as `bench.bench_dfa` does), and stops repeating once a run took over `--slow`
seconds. A normal pattern, whose times are short and move with the machine's load, runs in
`--rounds` rounds of `--normal-repeats` runs per checkout, the checkouts alternating. A child
still running after `--kill-after` seconds is killed: its time is then "> limit". Each run
reports its wall time, its outcome (DFA states, or the error and the stage it names) and the
growth of peak resident memory over the child's memory before the run
(`bench.timing.PeakMemory`; for a killed child the peak read from /proc just before the kill).
Checkouts alternate which goes first, pattern by pattern.

The table shows medians with the range (min-max) over the runs, and the ratio before / after of
the medians. `--no-write` prints only; otherwise the "## Time to refusal: pathological patterns
and time budgets" section of bench/RESULTS.md is rewritten.
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.patterns import all_patterns
from bench.report import command_line, machine_line, table, write_section

SECTION = "## Time to refusal: pathological patterns and time budgets"
MODULE = "bench.bench_refusal"
REPO_ROOT = Path(__file__).resolve().parent.parent

MANY_CLASSES = "(?:" + "|".join("abcdefghijklmnopqrstuvwxyz") + ")!|[a-z]*[acegikmoqsuwy][a-z]{15}"

# name -> (pattern as shown, pattern, normal, through the index: `compile_index` over SmolLM2's vocabulary)
CASES: dict[str, tuple[str, str, bool, bool]] = {
    "optional_alternation": ("X?(R||){3335}", "X?(R||){3335}", False, False),
    "star_run_9000": ('"b*" * 9000', "b*" * 9000, False, False),
    "optional_repeat_1000": ("(?:R?){1000}", "(?:R?){1000}", False, False),
    "optional_repeat_3000": ("(?:R?){3000}", "(?:R?){3000}", False, False),
    "optional_repeat_10000": ("(?:R?){10000}", "(?:R?){10000}", False, False),
    "nested_counts": ("(a{1000}){1000}", "(a{1000}){1000}", False, False),
    "optional_pairs_3000": ("(?:a?b?){3000}", "(?:a?b?){3000}", False, False),
    "many_classes_65k": ("(?:a|b|…|z)!|[a-z]*[acegikmoqsuwy][a-z]{15}", MANY_CLASSES, False, False),
    "vowel_window_65k_index": ("[a-z]*[aeiou][a-z]{15}, index", "[a-z]*[aeiou][a-z]{15}", False, True),
    **{name: (name, all_patterns()[name], True, False) for name in ("email", "bounded_200", "person_schema")},
}
BUDGETS = (1.0, None)


# -- the child: one checkout, one pattern, one budget -------------------------------------------


def _child(root: str, job_file: str, out_file: str) -> None:
    """Compile the job's pattern with the `automaton` of checkout `root`; one JSON line per run
    (and one for the memory at the start) to `out_file`, flushed as they come."""
    from bench.timing import PeakMemory  # this checkout's helpers, before `root` goes on the path

    job = json.loads(Path(job_file).read_text(encoding="utf-8"))
    sys.path.insert(0, root)
    import re

    import automaton
    from automaton.dfa.utf8 import utf8_sequences

    if not automaton.__file__.startswith(str(Path(root).resolve())):
        raise RuntimeError(f"imported {automaton.__file__}, not the checkout {root}")
    automaton.compile_dfa("warm(up)?")
    vocabulary = None
    if job["index"]:
        from automaton.vocabulary.default_model import default_vocabulary

        vocabulary = default_vocabulary()
        automaton.compile_index("warm(up)?", vocabulary, cache=False)
    with open(out_file, "a", encoding="utf-8") as out:
        out.write(json.dumps({"rss_bytes": _rss_bytes()}) + "\n")
        out.flush()
        for _ in range(job["repeats"]):
            re.purge()
            utf8_sequences.cache_clear()
            with PeakMemory() as peak:
                started = time.perf_counter()
                try:
                    if vocabulary is None:
                        dfa = automaton.compile_dfa(job["pattern"], time_budget=job["budget"])
                    else:
                        dfa = automaton.compile_index(
                            job["pattern"], vocabulary, cache=False, time_budget=job["budget"]
                        )
                    outcome = f"{dfa.num_states:,} states"
                except automaton.AutomatonError as error:
                    outcome = _outcome_of(error)
                seconds = time.perf_counter() - started
            out.write(json.dumps({"seconds": seconds, "outcome": outcome, "peak_bytes": peak.delta_bytes}) + "\n")
            out.flush()
            if seconds > job["slow"]:
                break


def _outcome_of(error: Exception) -> str:
    """"CompileTimeoutError (stage)", "TooManyStatesError (NFA)", ... from the error's message."""
    name = type(error).__name__
    message = str(error)
    if name == "CompileTimeoutError" and message.endswith(")"):
        return f"timeout ({message.rsplit('(', 1)[1][:-1]})"
    if name == "TooManyStatesError":
        return "TooManyStatesError (" + ("NFA" if "NFA states" in message else "DFA") + ")"
    return name


def _rss_bytes() -> int:
    return _status_field(os.getpid(), "VmRSS")


def _status_field(pid: int, field: str) -> int:
    """A memory field of /proc/PID/status in bytes (0 when it cannot be read)."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


# -- the parent ----------------------------------------------------------------------------------


def run_case(root: Path, pattern: str, index: bool, budget: float | None, repeats: int, slow: float,
             kill_after: float) -> dict:
    """The runs of one child: {"runs": [{"seconds", "outcome", "peak_bytes"}], "killed": bool}."""
    with tempfile.TemporaryDirectory(prefix="bench-refusal-") as folder:
        job_file, out_file = Path(folder) / "job.json", Path(folder) / "runs.jsonl"
        job_file.write_text(json.dumps({"pattern": pattern, "index": index, "budget": budget, "repeats": repeats,
                                         "slow": slow}))
        out_file.touch()
        child = subprocess.Popen(
            [sys.executable, "-m", MODULE, "--child", str(root), str(job_file), str(out_file)],
            cwd=REPO_ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
        )
        stop_at = time.monotonic() + kill_after
        high_water = 0
        while child.poll() is None and time.monotonic() < stop_at:
            high_water = max(high_water, _status_field(child.pid, "VmHWM"))
            time.sleep(0.05)
        killed = child.poll() is None
        if killed:
            high_water = max(high_water, _status_field(child.pid, "VmHWM"))
            child.kill()
        _, errors = child.communicate()
        lines = [json.loads(line) for line in out_file.read_text(encoding="utf-8").splitlines() if line.strip()]
    if not killed and child.returncode != 0:
        raise RuntimeError(f"the child for {pattern[:40]!r} failed:\n{errors}")
    start_rss = next((line["rss_bytes"] for line in lines if "rss_bytes" in line), 0)
    runs = [line for line in lines if "seconds" in line]
    if killed:
        runs.append({"seconds": None, "outcome": f"killed after {kill_after:g} s",
                     "peak_bytes": max(0, high_water - start_rss) if high_water else None})
    return {"runs": runs, "killed": killed}


def summary(result: dict, kill_after: float) -> tuple[str, str, str, float | None]:
    """(time text, outcome text, peak MiB text, median seconds or None when killed) of a case."""
    runs = result["runs"]
    times = [run["seconds"] for run in runs if run["seconds"] is not None]
    outcomes = sorted({run["outcome"] for run in runs})
    peaks = [run["peak_bytes"] for run in runs if run["peak_bytes"] is not None]
    peak = f"{max(peaks) / 2**20:,.0f}" if peaks else "–"
    if result["killed"] and not times:
        return f"> {kill_after:g} s", "; ".join(outcomes), peak, None
    median = statistics.median(times)
    text = _seconds(median)
    if len(times) > 1:
        text += f" ({_seconds(min(times))}–{_seconds(max(times))}, {len(times)} runs)"
    if result["killed"]:
        text += f", then > {kill_after:g} s"
    return text, "; ".join(outcomes), peak, median


def _seconds(value: float) -> str:
    return f"{value * 1e3:.1f} ms" if value < 1 else f"{value:.2f} s"


def _ratio(before: float | None, after: float | None, kill_after: float) -> str:
    if after is None or after <= 0:
        return "–"
    if before is None:
        return f"> {kill_after / after:,.0f}x"
    value = before / after
    return f"{value:,.1f}x" if value >= 1 else f"{value:.2f}x"


def main() -> None:
    parser = argparse.ArgumentParser(prog=f"python -m {MODULE}", description=__doc__.splitlines()[0])
    parser.add_argument("--against", type=Path, help="another checkout (an older revision) to time beside this one")
    parser.add_argument("--repeats", type=int, default=3, help="runs per pathological pattern and budget")
    parser.add_argument("--normal-repeats", type=int, default=5, help="runs per normal pattern, budget and round")
    parser.add_argument("--rounds", type=int, default=4,
                        help="rounds for a normal pattern: each runs both checkouts, the first alternating")
    parser.add_argument("--slow", type=float, default=5.0, help="do not repeat a run slower than this (s)")
    parser.add_argument("--kill-after", type=float, default=60.0, help="kill a child running longer (s)")
    parser.add_argument("--label", default="", help="what the other checkout is, for the results' text")
    parser.add_argument("--only", nargs="*", help="case names to run (default: all)")
    parser.add_argument("--no-write", action="store_true", help="print only; leave bench/RESULTS.md alone")
    parser.add_argument("--child", nargs=3, metavar=("ROOT", "JOB", "OUT"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        _child(*args.child)
        return

    checkouts = {"after": REPO_ROOT}
    if args.against is not None:
        checkouts = {"before": args.against.resolve(), "after": REPO_ROOT}
    load_at_start = os.getloadavg()[0]
    rows = []
    for number, (name, (shown, pattern, normal, index)) in enumerate(CASES.items()):
        if args.only and name not in args.only:
            continue
        for budget in BUDGETS:
            results = {label: {"runs": [], "killed": False} for label in checkouts}
            for round_number in range(args.rounds if normal else 1):
                order = list(checkouts.items())
                if (number + round_number) % 2:
                    order.reverse()
                for label, root in order:
                    repeats = args.normal_repeats if normal else args.repeats
                    result = run_case(root, pattern, index, budget, repeats, args.slow, args.kill_after)
                    results[label]["runs"] += result["runs"]
                    results[label]["killed"] |= result["killed"]
            cells = {label: summary(result, args.kill_after) for label, result in results.items()}
            row = ["`" + shown.replace("|", "\\|") + "`", "1 s" if budget else "none"]
            for label in checkouts:
                row += list(cells[label][:3])
            if "before" in cells:
                row.append(_ratio(cells["before"][3], cells["after"][3], args.kill_after))
            rows.append(row)
            print(" | ".join(row), flush=True)

    header = ["pattern", "budget"]
    for label in checkouts:
        header += [f"{label}: time", f"{label}: outcome", f"{label}: peak MiB"]
    if "before" in checkouts:
        header.append("before / after")
    body = "\n\n".join([
        command_line(MODULE, ["--against", "CHECKOUT"] if args.against else []) + f", {args.repeats} runs per "
        f"pathological pattern (fewer once one takes over {args.slow:g} s), {args.rounds} rounds of "
        f"{args.normal_repeats} per normal one (the checkouts alternating), each checkout in fresh processes; a "
        f"child still running after {args.kill_after:g} s is killed. Times are medians (min–max) of "
        "`compile_dfa(pattern, time_budget=...)` to its DFA or its error (rows marked \"index\": "
        "`compile_index(pattern, vocabulary, cache=False, time_budget=...)` over SmolLM2's vocabulary, to its "
        "index); peak MiB is the largest growth of peak "
        "resident memory during a run." + (f" Before: {args.label}." if args.label else ""),
        machine_line(["numpy", "numba"], load_at_start=load_at_start),
        table(header, rows, right_from=None),
    ])
    print(body)
    if not args.no_write:
        write_section(SECTION, body)


if __name__ == "__main__":
    main()
