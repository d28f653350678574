"""Warm `compile_index` times of this checkout against another one (an older revision), side by
side: fresh processes alternate between the two checkouts, so both see the same machine load.

    git worktree add /tmp/before HEAD~1          # the revision to compare with
    .venv/bin/python -m bench.compare_builds --against /tmp/before
    .venv/bin/python -m bench.compare_builds --against /tmp/before --vocab cl100k --pattern seed_json --rounds 3

Each child process first builds each vocabulary's token trie (timed once: a process builds it
once), then builds each pattern once untimed and `--repeats` times timed (median); a pair's
figure is the smallest over the rounds, which alternate which checkout goes first. Both
checkouts use this checkout's vocabularies (saved once to .npz) and benchmark patterns
(`bench.patterns`). Prints one line per pair: before ms, after ms and before / after.
"""
from __future__ import annotations

import argparse
import importlib.util
import json
import statistics
import subprocess
import sys
import tempfile
import time
from functools import partial
from pathlib import Path

from bench import vocabularies
from bench.patterns import all_patterns
from bench.timing import run_times

MODULE = "bench.compare_builds"
REPO_ROOT = Path(__file__).resolve().parent.parent


def _import_automaton(root: Path):
    """Import the `automaton` package of checkout `root` (not necessarily this one) as `automaton`;
    it must come before anything imports this checkout's (nothing in bench imports it at the top)."""
    if "automaton" in sys.modules:
        raise RuntimeError("automaton was imported before the checkout to time was chosen")
    folder = root / "automaton"
    spec = importlib.util.spec_from_file_location("automaton", folder / "__init__.py",
                                                  submodule_search_locations=[str(folder)])
    module = importlib.util.module_from_spec(spec)
    sys.modules["automaton"] = module
    spec.loader.exec_module(module)
    return module


def _child(root: str, job_file: str) -> None:
    """Time the builds of `job_file` with the `automaton` of checkout `root`; JSON to stdout."""
    automaton = _import_automaton(Path(root))
    job = json.loads(Path(job_file).read_text(encoding="utf-8"))
    result = {}
    try:
        from automaton.vocabulary.byte_trie import byte_trie
    except ImportError:  # a checkout from before the vocabulary package
        from automaton.index import byte_trie

    for vocab_name, npz in job["vocabularies"].items():
        vocabulary = vocabularies.vocabulary_from_arrays(Path(npz))
        began = time.perf_counter()
        byte_trie(vocabulary)  # built once per vocabulary and process: the first build is the one paid
        result[f"{vocab_name}/token trie"] = (time.perf_counter() - began) * 1e3
        for pattern_name, pattern in job["patterns"].items():
            automaton.compile_index(pattern, vocabulary, cache=False)
            times = run_times(partial(automaton.compile_index, pattern, vocabulary, cache=False), job["repeats"])
            result[f"{vocab_name}/{pattern_name}"] = statistics.median(times) * 1e3
    print(json.dumps(result))


def _run_child(root: Path, job_file: Path) -> dict:
    done = subprocess.run(
        [sys.executable, "-m", MODULE, "--child", str(root), str(job_file)],
        capture_output=True, text=True, timeout=1800, cwd=REPO_ROOT,
    )
    if done.returncode != 0:
        raise SystemExit(f"the build in {root} failed: {(done.stderr.strip().splitlines() or ['?'])[-1]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(prog=f"python -m {__spec__.name}", description=__doc__.split("\n\n")[0])
    parser.add_argument("--against", type=Path, help="the other checkout (its root folder)")
    parser.add_argument("--vocab", action="append", help="vocabulary name (repeatable; default all three)")
    parser.add_argument("--pattern", action="append", help="benchmark pattern name (repeatable; default all)")
    parser.add_argument("--rounds", type=int, default=4)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--child", nargs=2, metavar=("ROOT", "JOB"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        _child(*args.child)
        return
    if args.against is None or not (args.against / "automaton" / "__init__.py").is_file():
        parser.error("--against must name another checkout of this repository")

    patterns = all_patterns()
    chosen = {name: patterns[name] for name in (args.pattern or patterns)}
    with tempfile.TemporaryDirectory() as folder:
        npz = {}
        for name in args.vocab or vocabularies.VOCABULARY_NAMES:
            path = Path(folder) / f"{name.replace(' ', '_')}.npz"
            vocabularies.save_arrays(vocabularies.load_vocabulary(name)[1], path)
            npz[name] = str(path)
        job_file = Path(folder) / "job.json"
        job_file.write_text(json.dumps({"vocabularies": npz, "patterns": chosen, "repeats": args.repeats}))
        before, after = [], []
        for round_number in range(args.rounds):
            # Alternate which checkout goes first, so that neither always starts on an idle machine.
            if round_number % 2:
                after.append(_run_child(REPO_ROOT, job_file))
                before.append(_run_child(args.against.resolve(), job_file))
            else:
                before.append(_run_child(args.against.resolve(), job_file))
                after.append(_run_child(REPO_ROOT, job_file))
    print(f"{'pair':30s} {'before ms':>10s} {'after ms':>10s} {'before/after':>13s}")
    for key in before[0]:
        old, new = min(run[key] for run in before), min(run[key] for run in after)
        print(f"{key:30s} {old:10.2f} {new:10.2f} {old / new:12.2f}x")


if __name__ == "__main__":
    main()
