"""Index files: load time of a 1,000-state x 128k-token index against building one.

    .venv/bin/python bench/bench_storage.py [--repeats 21] [--write-results]

Two indexes over one synthetic 128,000-token vocabulary (random printable tokens of 1-10 bytes,
every single byte, one EOS id):

- built: `compile_index("[a-zA-Z ]{1,1000}", ...)`, about 1,000 states, timed warm (numba's
  kernels compiled and cached beforehand) with the cache off;
- synthetic: the same index with every state given its own random-ish mask row (1,000 distinct
  rows of 4,000 words, 16 MB: no deduplication helps), made through the `TokenIndex`
  constructor. This is the file-size worst case for 1,000 states at this width.

Reports medians of save, load (`automaton.load_index`: header checks, XXH3-128 over the whole
file, arrays memory-mapped), the checksum alone, a cache hit through `compile_index`, and
safetensors' own `load_file` (copies, checks nothing of ours) for scale. With
--write-results the figures replace the "## Index files (issue 4)" section of bench/RESULTS.md.
"""
from __future__ import annotations

import argparse
import dataclasses
import os
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import xxhash

import automaton
from automaton.storage import load_index, save_index

SECTION = "## Index files (issue 4)"
PATTERN = r"[a-zA-Z ]{1,1000}"
N_TOKENS = 128_000


def synthetic_vocabulary(seed: int = 0) -> automaton.Vocabulary:
    rng = np.random.default_rng(seed)
    alphabet = np.frombuffer(b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ 0123456789.,:;-_\"'{}[]", np.uint8)
    tokens = {bytes([b]) for b in range(256)}
    while len(tokens) < N_TOKENS - 1:
        length = int(rng.integers(2, 11))
        tokens.add(alphabet[rng.integers(0, len(alphabet), length)].tobytes())
    ordered = sorted(tokens)
    return automaton.Vocabulary.from_token_bytes(ordered + [None], eos_token_ids=[len(ordered)])


def with_distinct_rows(index, seed: int = 1):
    """`index` with one random-ish mask row per state (words set at random, ~1/3 of bits)."""
    rng = np.random.default_rng(seed)
    n_states, n_words = index.num_states, index.masks.shape[1]
    masks = (rng.integers(0, 2**32, (n_states, n_words), dtype=np.uint64)
             & rng.integers(0, 2**32, (n_states, n_words), dtype=np.uint64)).astype(np.uint32).view(np.int32)
    # Never allow the columns past the vocabulary.
    tail = index.logits_width % 32
    if tail:
        masks[:, -1] &= np.int32((1 << tail) - 1)
    sole = np.full(n_states, -1, dtype=np.int32)
    return dataclasses.replace(
        index, masks=masks, mask_of=np.arange(n_states, dtype=np.int32), sole_token=sole,
        sparse_offsets=np.zeros(1, dtype=np.int32), sparse_tokens=np.zeros(0, dtype=np.int32),
    )


def median_ms(action, repeats: int) -> float:
    return timings_ms(action, repeats)[0]


def timings_ms(action, repeats: int) -> tuple[float, float]:
    """(median, minimum) in ms; the minimum shows the cost on a quiet machine."""
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        action()
        times.append(time.perf_counter() - started)
    return statistics.median(times) * 1000, min(times) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=21)
    parser.add_argument("--write-results", action="store_true")
    args = parser.parse_args()

    vocabulary = synthetic_vocabulary()
    automaton.compile_index(r"[a-z]{1,3}", vocabulary, cache=False)  # numba kernels ready, trie built
    automaton.compile_index(PATTERN, vocabulary, cache=False)  # untimed: a warm build is not the first one
    build_times = []
    for _ in range(5):
        started = time.perf_counter()
        built = automaton.compile_index(PATTERN, vocabulary, cache=False)
        build_times.append(time.perf_counter() - started)
    build_ms = statistics.median(build_times) * 1000
    synthetic = with_distinct_rows(built)

    rows = []
    with tempfile.TemporaryDirectory() as folder:
        for name, index in (("synthetic, 1 row per state", synthetic), ("built, rows deduplicated", built)):
            path = Path(folder) / f"{name.split(',')[0]}.safetensors"
            save_ms = median_ms(lambda: save_index(index, path), max(3, args.repeats // 4))
            data = path.read_bytes()
            load_ms, load_min_ms = timings_ms(lambda: load_index(path), args.repeats)
            checked_ms = median_ms(lambda: load_index(path, vocabulary), args.repeats)
            checksum_ms = median_ms(lambda: xxhash.xxh3_128_hexdigest(data), args.repeats)
            loaded = load_index(path, vocabulary)
            assert all(np.array_equal(loaded.arrays()[k], v) for k, v in index.arrays().items())
            from safetensors.numpy import load_file

            plain_ms = median_ms(lambda: load_file(str(path)), args.repeats)
            rows.append((name, index, len(data), save_ms, (load_ms, load_min_ms), checked_ms, checksum_ms, plain_ms))

        cache_dir = Path(folder) / "cache"
        automaton.compile_index(PATTERN, vocabulary, cache=cache_dir)
        hit_ms = median_ms(lambda: automaton.compile_index(PATTERN, vocabulary, cache=cache_dir), args.repeats)

    lines = [
        SECTION,
        "",
        f"Command: `.venv/bin/python bench/bench_storage.py --repeats {args.repeats} --write-results`",
        f"Machine: {platform.processor() or platform.machine()}, Python {platform.python_version()}, "
        f"numpy {np.__version__}; {os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f} at the end "
        f"(shared machine); medians of {args.repeats} (load: median / minimum); files in the page cache.",
        f"Vocabulary: {N_TOKENS:,} synthetic tokens (logits width {vocabulary.logits_width:,}); "
        f"pattern `{PATTERN}`.",
        "",
        "| index | states | rows (sparse) | file | save ms | load ms | load + vocabulary check ms | xxh3-128 alone ms | safetensors load_file ms |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for name, index, size, save_ms, load_ms, checked_ms, checksum_ms, plain_ms in rows:
        lines.append(
            f"| {name} | {index.num_states:,} | {index.num_rows:,} ({index.num_sparse_rows:,}) | {size / 2**20:.1f} MiB | {save_ms:.1f} | "
            f"{load_ms[0]:.2f} / {load_ms[1]:.2f} | {checked_ms:.2f} | {checksum_ms:.2f} | {plain_ms:.2f} |"
        )
    synthetic_load, synthetic_min = rows[0][4]
    built_load = rows[1][4][0]
    lines += [
        "",
        f"Building the {built.num_states:,}-state index (warm, cache off): {build_ms:,.0f} ms; "
        f"a cache hit through `compile_index`: {hit_ms:.2f} ms.",
        f"Load: the 16 MB worst-case file (every state its own packed row) loads in {synthetic_load:.2f} ms "
        f"median, {synthetic_min:.2f} ms minimum (target < 10 ms). The built index loads "
        f"{build_ms / built_load:,.0f}x faster than it builds (median to median; target >= 100x).",
        "",
    ]
    report = "\n".join(lines)
    print(report)
    if args.write_results:
        from results_file import replace_section

        replace_section(Path(__file__).with_name("RESULTS.md"), SECTION, report.split("\n", 2)[2])


if __name__ == "__main__":
    sys.exit(main())
