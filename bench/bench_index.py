"""Token index benchmark: compile time, per-step cost, load time and memory of our index, side by
side with outlines-core, xgrammar and llguidance, on the benchmark patterns (`bench.patterns`) x
the three real vocabularies (SmolLM2, Mistral v1, cl100k).

    .venv/bin/python -m bench.bench_index        # full run (~10 min on 2 cores), rewrites its section
                                                 # of bench/RESULTS.md (`bench.index_tables.SECTION`)
    .venv/bin/python -m bench.bench_index --quick --vocab cl100k --pattern email --no-write

A peer library that is not installed (they are the `bench` extra) is reported in the tables and
left out; `--no-peers` times ours alone.

What is measured (medians over repeats; timings on a shared machine are noisy, ratios less so):

- every engine's compile is first run once untimed, then repeated (up to 30 times within a
  time budget): a sub-millisecond build takes several runs to reach its steady speed.

- compile: ours cold = the first `compile_index(..., cache=False)` in a fresh process after
  importing the compile path and building the vocabulary's token trie (once per vocabulary and
  process), as the peers are timed after their import and vocabulary set-up; ours from a bare
  process = those imports + the trie + that first compile; both with the ahead-of-time kernels
  (`python -m automaton build-kernels`; numba is not imported); ours cold (JIT) = the same
  bare-process figure with the numba JIT kernels (AUTOMATON_KERNELS=jit, numba's on-disk cache
  warm); all with Python's bytecode caches written, as an installed package has them; ours
  warm = later builds in this process;
  outlines-core `Index(...)` (in a forked child, killed past --outlines-timeout), and timed as
  ours in a fresh process too: its cold first `Index` after its import and `Vocabulary`, and
  from a bare process (import + `Vocabulary` + first `Index`);
  xgrammar `GrammarCompiler.compile_regex` (its cache off); llguidance `LLMatcher(...)` (lazy).
- per step (batch 1): advance one token + get the next mask, along random walks through the
  engine's own allowed tokens (`bench.walks`); p50 / p99 in µs.
- load: `index.save(path)` then `automaton.load_index(path)`; also load + the first step (the
  first `next_state` after a load sets up its lookup tables).
- memory: `TokenIndex.nbytes`, rows / states, file size, and the build's peak resident memory
  above its starting point in the fresh process (`bench.timing.PeakMemory`).
- a large index: 1,000 states over a 128,256-wide vocabulary (cl100k tokens), for the load target.
"""
from __future__ import annotations

import argparse
import gc
import json
import os
import subprocess
import sys
import tempfile
import time
from functools import partial
from pathlib import Path

import numpy as np

from automaton.kernels import KERNELS_ENV
from bench import vocabularies
from bench.patterns import all_patterns
from bench.peers import PEERS, Ours
from bench.report import RESULTS_FILE, command_line, write_section
from bench.timing import ChildFailed, PeakMemory, TimedOut, percentiles_us, repeat_timed, run_forked
from bench.walks import allowed_ids, replay_step_times, walk_step_times

MODULE = "bench.bench_index"
REPO_ROOT = Path(__file__).resolve().parent.parent
LARGE_WIDTH = 128_256  # Llama 3's logits width
LARGE_STATES = 1_000


def _settings(quick: bool) -> dict:
    if quick:
        return dict(ours_walks=5, ours_steps=100, ours_cap=1.0, peer_walks=3, peer_steps=50, peer_cap=1.5,
                    warm_max=3, warm_budget=1.0, peer_max=2, peer_budget=2.0, load_max=10)
    return dict(ours_walks=100, ours_steps=200, ours_cap=3.0, peer_walks=8, peer_steps=100, peer_cap=4.0,
                warm_max=30, warm_budget=1.0, peer_max=30, peer_budget=3.0, load_max=30)


# -- ours ----------------------------------------------------------------------------------


def measure_ours(engine: Ours, pattern: str, vocabulary, folder: Path, settings: dict) -> dict:
    """Warm compile, index sizes, file size, load time, per-step times of our index."""
    record: dict = {}
    index = engine.compile(pattern)  # the first build in this process is not a warm one
    record["compile_warm_s"], record["warm_runs"], index = repeat_timed(
        lambda: engine.compile(pattern), min_repeats=3, max_repeats=settings["warm_max"],
        budget_s=settings["warm_budget"],
    )
    summary = index.summary()
    record.update(states=summary["states"], rows=summary["rows"], dfa_states=summary["dfa_states"],
                  sparse_rows=summary["sparse_rows"],
                  sparse_bytes=index.sparse_tokens.nbytes + index.sparse_offsets.nbytes,
                  dense_bytes=index.masks.nbytes, nbytes=index.nbytes, logits_width=index.logits_width)
    record.update(_measure_file(index, folder / "index.safetensors", settings))
    walk = walk_step_times(engine, index, eos_ids=vocabulary.eos_token_ids, width=vocabulary.logits_width,
                           walks=settings["ours_walks"], max_steps=settings["ours_steps"],
                           time_cap_s=settings["ours_cap"])
    record["step"] = percentiles_us(walk.step_ns)
    record["step_hot"] = percentiles_us(
        replay_step_times(engine, index, walk.sequences, time_cap_s=settings["ours_cap"])
    )
    record["refusals"] = walk.refusals[:3]
    record["start_allowed"] = allowed_ids(index.mask(index.initial_state), vocabulary.logits_width)
    return record


def _measure_file(index, path: Path, settings: dict) -> dict:
    import automaton

    try:
        index.save(path)
    except Exception as error:  # storage may be unfinished: report, do not stop the run
        return {"load_error": f"{type(error).__name__}: {error}"}
    record = {"file_bytes": path.stat().st_size}
    try:
        record["load_s"], record["load_runs"], loaded = repeat_timed(
            lambda: automaton.load_index(path), min_repeats=5, max_repeats=settings["load_max"], budget_s=1.0
        )
        token = int(allowed_ids(index.mask(index.initial_state), index.logits_width)[0])

        def load_and_step():
            fresh = automaton.load_index(path)
            fresh.mask(fresh.next_state(fresh.initial_state, token))

        record["load_first_step_s"], _, _ = repeat_timed(load_and_step, min_repeats=3, max_repeats=5, budget_s=1.0)
        if loaded.num_states != index.num_states or not all(
            np.array_equal(loaded.arrays()[name], array) for name, array in index.arrays().items()
        ):
            record["load_error"] = "the loaded index differs from the saved one"
    except Exception as error:
        record["load_error"] = f"{type(error).__name__}: {error}"
    return record


def cold_compile(vocabulary_file: Path, pattern: str, kernels: str) -> dict:
    """Run `--cold-child` in a fresh interpreter with `kernels` ("native" or "jit", see
    `automaton.kernels`); its JSON result (or an error)."""
    return _fresh_child("--cold-child", vocabulary_file, pattern, _cold_environment(kernels), timeout_s=600)


def outlines_cold_compile(vocabulary_file: Path, pattern: str, timeout_s: float) -> dict:
    """Run `--outlines-cold-child` in a fresh interpreter; its JSON result (or an error)."""
    return _fresh_child("--outlines-cold-child", vocabulary_file, pattern, _cold_environment("native"), timeout_s)


def _fresh_child(flag: str, vocabulary_file: Path, pattern: str, environment: dict, timeout_s: float) -> dict:
    with tempfile.NamedTemporaryFile("w", suffix=".txt", delete=False, encoding="utf-8") as handle:
        handle.write(pattern)
    try:
        done = subprocess.run(
            [sys.executable, "-m", MODULE, flag, str(vocabulary_file), handle.name],
            capture_output=True, text=True, timeout=timeout_s + 30, env=environment, cwd=REPO_ROOT,
        )
    except subprocess.TimeoutExpired:
        return {"error": f"timeout: more than {timeout_s:.0f} s", "timeout": timeout_s}
    finally:
        Path(handle.name).unlink(missing_ok=True)
    if done.returncode != 0:
        return {"error": (done.stderr.strip().splitlines() or [f"exit {done.returncode}"])[-1]}
    return json.loads(done.stdout.strip().splitlines()[-1])


def _cold_environment(kernels: str) -> dict:
    """This process's environment with `kernels` chosen, and bytecode caching on: an installed
    package has its .pyc files, so a fresh process does not compile the modules it imports."""
    environment = {name: value for name, value in os.environ.items() if name != "PYTHONDONTWRITEBYTECODE"}
    environment[KERNELS_ENV] = kernels
    return environment


def _cold_child(vocabulary_file: str, pattern_file: str) -> None:
    """In a fresh process: build the vocabulary (untimed), then time, one after the other, the
    imports of the compile path, the vocabulary's token trie (built once per vocabulary and
    process, as the peers build their vocabulary objects) and the first compile_index."""
    vocabulary = vocabularies.vocabulary_from_arrays(Path(vocabulary_file))
    pattern = Path(pattern_file).read_text(encoding="utf-8")
    began = time.perf_counter()
    import automaton
    import automaton.compile  # what compile_index needs: the DFA compiler, interegular, the index build
    import automaton.dfa.build
    import automaton.index.build
    from automaton.kernels import native_module
    from automaton.vocabulary.byte_trie import byte_trie

    imported = time.perf_counter()
    with PeakMemory() as peak:
        trie_began = time.perf_counter()
        byte_trie(vocabulary)
        compile_began = time.perf_counter()
        index = automaton.compile_index(pattern, vocabulary, cache=False)
        ended = time.perf_counter()
    print(json.dumps({
        "import_s": imported - began,
        "trie_s": compile_began - trie_began,
        "compile_cold_s": ended - compile_began,
        "bare_s": ended - began,
        "peak_delta_bytes": peak.delta_bytes,
        "peak_bytes": peak.peak_bytes,
        "peak_exact": peak.exact,
        "states": index.num_states,
        "kernels": "ahead-of-time" if native_module() is not None else "JIT",
        "numba_imported": "numba" in sys.modules,
    }))


def _outlines_cold_child(vocabulary_file: str, pattern_file: str) -> None:
    """outlines-core timed as `_cold_child` times ours, in a fresh process: its import, its
    `Vocabulary` (from our token bytes, made untimed beforehand as the tokenizer would give
    them), and its first `Index`."""
    from bench.peers import outlines_vocabulary_arguments

    arguments = outlines_vocabulary_arguments(vocabularies.vocabulary_from_arrays(Path(vocabulary_file)))
    pattern = Path(pattern_file).read_text(encoding="utf-8")
    began = time.perf_counter()
    import outlines_core

    imported = time.perf_counter()
    vocabulary = outlines_core.Vocabulary(*arguments)
    compile_began = time.perf_counter()
    outlines_core.Index(pattern, vocabulary)
    ended = time.perf_counter()
    print(json.dumps({
        "import_s": imported - began,
        "vocabulary_s": compile_began - imported,
        "compile_cold_s": ended - compile_began,
        "bare_s": ended - began,
    }))


# -- peers ---------------------------------------------------------------------------------


def measure_peer(engine, pattern: str, vocabulary, start_reference: np.ndarray, settings: dict) -> dict:
    """Compile repeats and per-step times of one peer; the start mask compared with ours."""
    engine.compile(pattern)  # untimed, as ours: the first compile in a process is not a warm one
    median, runs, compiled = repeat_timed(lambda: engine.compile(pattern), min_repeats=1,
                                          max_repeats=settings["peer_max"], budget_s=settings["peer_budget"])
    walk = walk_step_times(engine, compiled, eos_ids=vocabulary.eos_token_ids, width=vocabulary.logits_width,
                           walks=settings["peer_walks"], max_steps=settings["peer_steps"],
                           time_cap_s=settings["peer_cap"])
    start = allowed_ids(engine.start(compiled).words, vocabulary.logits_width)
    return {
        "compile_s": median,
        "runs": runs,
        "step": percentiles_us(walk.step_ns),
        "step_hot": percentiles_us(
            replay_step_times(engine, compiled, walk.sequences, time_cap_s=settings["peer_cap"])
        ),
        "refusals": len(walk.refusals),
        "refusal_example": walk.refusals[0] if walk.refusals else None,
        "start_only_peer": int(np.setdiff1d(start, start_reference).size),
        "start_only_ours": int(np.setdiff1d(start_reference, start).size),
    }


def measure_peer_guarded(engine, pattern, vocabulary, start_reference, settings, timeout_s: float) -> dict:
    """`measure_peer`, in a forked child for engines that may run for minutes (outlines-core)."""
    def measure():
        return measure_peer(engine, pattern, vocabulary, start_reference, settings)

    if engine.name != "outlines-core":
        try:
            return measure()
        except Exception as error:
            return {"error": f"{type(error).__name__}: {str(error)[:200]}"}
    try:
        outcome = run_forked(measure, timeout_s + settings["peer_cap"] + 5)
    except ChildFailed as failure:
        return {"error": str(failure).strip().splitlines()[-1][:200]}
    if isinstance(outcome, TimedOut):
        return {"error": f"timeout: compile > {timeout_s:.0f} s", "timeout": timeout_s}
    return outcome


# -- the run -------------------------------------------------------------------------------


def run_vocabulary(name: str, patterns: dict, args, settings: dict, folder: Path) -> tuple[list, dict]:
    print(f"[{name}] loading tokenizer and vocabulary", flush=True)
    tokenizer, vocabulary = vocabularies.load_vocabulary(name)
    vocabularies.save_arrays(vocabulary, folder / f"{name}.npz")
    ours = Ours(tokenizer, vocabulary)
    peers, setup = [], {}
    for peer_class in () if args.no_peers else PEERS:
        began = time.perf_counter()
        try:
            peers.append(peer_class(tokenizer, vocabulary))
            setup[peer_class.name] = time.perf_counter() - began
        except Exception as error:
            setup[peer_class.name] = f"{type(error).__name__}: {error}"
    rows = []
    for pattern_name, pattern in patterns.items():
        row = {"vocab": name, "pattern": pattern_name, "peers": {}}
        print(f"[{name}] {pattern_name}: ours", flush=True)
        try:
            row["ours"] = measure_ours(ours, pattern, vocabulary, folder, settings)
        except Exception as error:
            row["ours"] = {"error": f"{type(error).__name__}: {str(error)[:200]}"}
        reference = row["ours"].pop("start_allowed", None)
        for peer in peers:
            print(f"[{name}] {pattern_name}: {peer.name}", flush=True)
            row["peers"][peer.name] = measure_peer_guarded(
                peer, pattern, vocabulary, reference if reference is not None else np.zeros(0, np.int64),
                settings, args.outlines_timeout,
            )
        rows.append(row)
    return rows, setup


def measure_large(folder: Path, settings: dict) -> list[dict]:
    """Indexes of about 1,000 states over cl100k's tokens at a 128,256 logits width."""
    _, vocabulary = vocabularies.load_vocabulary("cl100k")
    vocabulary = vocabulary.with_logits_width(LARGE_WIDTH)
    rng = np.random.default_rng(1)
    letters = np.array(list("abcdefghijklmnopqrstuvwxyz     "))
    literal = "".join(rng.choice(letters, LARGE_STATES - 1))
    cases = {
        # every state allows a different set of tokens: no row is shared, the file is all masks
        f"literal_{LARGE_STATES - 1}_chars": literal.replace(" ", "[ ]"),
        # the bounded pattern made 5x longer: many states share rows
        f"letters_10_{LARGE_STATES - 1}": f"[a-zA-Z ]{{10,{LARGE_STATES - 1}}}",
    }
    ours = Ours(None, vocabulary)
    results = []
    for name, pattern in cases.items():
        print(f"[large] {name}", flush=True)
        record = {"name": name, "width": LARGE_WIDTH}
        try:
            ours.compile(pattern)  # untimed: the first build at this width also builds the token trie
            record["compile_s"], record["runs"], index = repeat_timed(
                partial(ours.compile, pattern), min_repeats=3, max_repeats=5, budget_s=settings["warm_budget"]
            )
            record.update(states=index.num_states, rows=index.num_rows, sparse_rows=index.num_sparse_rows,
                          nbytes=index.nbytes)
            record.update(_measure_file(index, folder / f"{name}.safetensors", settings))
        except Exception as error:
            record["error"] = f"{type(error).__name__}: {str(error)[:200]}"
        results.append(record)
    return results


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog=f"python -m {__spec__.name}", description=__doc__.splitlines()[0])
    parser.add_argument("--vocab", action="append", choices=vocabularies.VOCABULARY_NAMES,
                        help="vocabulary to run (repeatable; default: all three)")
    parser.add_argument("--pattern", action="append", help="pattern name from bench.patterns (repeatable)")
    parser.add_argument("--quick", action="store_true", help="fewer repeats and shorter walks")
    parser.add_argument("--no-peers", action="store_true")
    parser.add_argument("--no-cold", action="store_true", help="skip the fresh-process compiles")
    parser.add_argument("--no-large", action="store_true", help="skip the 1,000-state x 128k index")
    parser.add_argument("--outlines-timeout", type=float, default=60.0, help="seconds per outlines-core compile")
    parser.add_argument("--results", type=Path, default=RESULTS_FILE)
    parser.add_argument("--no-write", action="store_true", help="print the tables, leave RESULTS.md alone")
    parser.add_argument("--json", type=Path, help="also write the raw figures here")
    parser.add_argument("--cold-child", nargs=2, metavar=("VOCAB_NPZ", "PATTERN_FILE"), help=argparse.SUPPRESS)
    parser.add_argument("--outlines-cold-child", nargs=2, metavar=("VOCAB_NPZ", "PATTERN_FILE"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.cold_child:
        _cold_child(*args.cold_child)
        return 0
    if args.outlines_cold_child:
        _outlines_cold_child(*args.outlines_cold_child)
        return 0

    from bench.index_tables import SECTION, render

    settings = _settings(args.quick)
    settings["outlines_timeout"] = args.outlines_timeout
    known = all_patterns()
    unknown = sorted(set(args.pattern or ()) - set(known))
    if unknown:
        parser.error(f"unknown pattern(s) {', '.join(unknown)}; known: {', '.join(known)}")
    patterns = {k: v for k, v in known.items() if not args.pattern or k in args.pattern}
    names = args.vocab or list(vocabularies.VOCABULARY_NAMES)
    began = time.perf_counter()
    results = {"rows": [], "setup": {}, "large": [], "settings": settings}
    with tempfile.TemporaryDirectory(prefix="bench-index-") as scratch:
        folder = Path(scratch)
        for name in names:
            rows, setup = run_vocabulary(name, patterns, args, settings, folder)
            results["rows"].extend(rows)
            results["setup"][name] = setup
            gc.collect()
        if not args.no_cold and results["rows"]:
            # Untimed children first write the .pyc files the timed ones then read, and fill
            # numba's on-disk cache with every JIT kernel the builds use (each pattern takes
            # its own path: merged trie or not, loops or not, threaded walks or not).
            first_vocabulary = folder / f"{results['rows'][0]['vocab']}.npz"
            cold_compile(first_vocabulary, "a", "native")
            for pattern in patterns.values():
                cold_compile(first_vocabulary, pattern, "jit")
            for row in results["rows"]:
                print(f"[cold] {row['vocab']} {row['pattern']}", flush=True)
                vocabulary_file = folder / f"{row['vocab']}.npz"
                row["ours"]["cold"] = cold_compile(vocabulary_file, patterns[row["pattern"]], "native")
                row["ours"]["cold_jit"] = cold_compile(vocabulary_file, patterns[row["pattern"]], "jit")
                outlines = row["peers"].get("outlines-core")
                if outlines is not None and "compile_s" in outlines:  # not for a pattern it timed out on
                    outlines["cold"] = outlines_cold_compile(vocabulary_file, patterns[row["pattern"]],
                                                             args.outlines_timeout)
        if not args.no_large:
            results["large"] = measure_large(folder, settings)
    results["wall_s"] = time.perf_counter() - began
    results["command"] = command_line(MODULE, argv if argv is not None else sys.argv[1:])
    markdown = render(results)
    print(markdown)
    if args.json:
        args.json.write_text(json.dumps(results, indent=1, default=str), encoding="utf-8")
    if not args.no_write:
        write_section(SECTION, markdown, args.results)
    return 0


if __name__ == "__main__":
    sys.exit(main())
