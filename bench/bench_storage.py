"""Index files: load time of a 1,000-state x 128k-token index against building one.

    .venv/bin/python -m bench.bench_storage [--repeats 21] [--write-results]

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
--write-results the figures replace the "## Index files: save and load" section of bench/RESULTS.md.
"""
from __future__ import annotations

import argparse
import dataclasses
import statistics
import sys
import tempfile
from functools import partial
from pathlib import Path

import numpy as np
import xxhash

import automaton
from automaton.compile import load_index, save_index
from bench.report import command_line, machine_line, quantiles, spread, table, write_section
from bench.timing import repeat_timed, run_times

SECTION = "## Index files: save and load"
MODULE = "bench.bench_storage"
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
    return statistics.median(run_times(action, repeats)) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(prog=f"python -m {__spec__.name}", description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=21)
    parser.add_argument("--write-results", action="store_true")
    args = parser.parse_args()

    vocabulary = synthetic_vocabulary()
    automaton.compile_index(r"[a-z]{1,3}", vocabulary, cache=False)  # numba kernels ready, trie built
    automaton.compile_index(PATTERN, vocabulary, cache=False)  # untimed: a warm build is not the first one
    build_s, _, built = repeat_timed(lambda: automaton.compile_index(PATTERN, vocabulary, cache=False),
                                     min_repeats=5, max_repeats=5)
    build_ms = build_s * 1000
    synthetic = with_distinct_rows(built)

    rows = []
    with tempfile.TemporaryDirectory() as folder:
        for name, index in (("synthetic, 1 row per state", synthetic), ("built, rows deduplicated", built)):
            path = Path(folder) / f"{name.split(',')[0]}.safetensors"
            save_ms = median_ms(partial(save_index, index, path), max(3, args.repeats // 4))
            data = path.read_bytes()
            load_s = run_times(partial(load_index, path), args.repeats)  # the minimum: a quiet machine's cost
            checked_ms = median_ms(partial(load_index, path, vocabulary), args.repeats)
            checksum_ms = median_ms(partial(xxhash.xxh3_128_hexdigest, data), args.repeats)
            loaded = load_index(path, vocabulary)
            assert all(np.array_equal(loaded.arrays()[k], v) for k, v in index.arrays().items())
            from safetensors.numpy import load_file

            plain_ms = median_ms(partial(load_file, str(path)), args.repeats)
            rows.append((name, index, len(data), save_ms, load_s, checked_ms, checksum_ms, plain_ms))

        cache_dir = Path(folder) / "cache"
        automaton.compile_index(PATTERN, vocabulary, cache=cache_dir)
        hit_ms = median_ms(lambda: automaton.compile_index(PATTERN, vocabulary, cache=cache_dir), args.repeats)

    figures = [
        [name, f"{index.num_states:,}", f"{index.num_rows:,} ({index.num_sparse_rows:,})", f"{size / 2**20:.1f} MiB",
         f"{save_ms:.1f}", spread(load_s, (50, 0), scale=1e3), f"{checked_ms:.2f}", f"{checksum_ms:.2f}",
         f"{plain_ms:.2f}"]
        for name, index, size, save_ms, load_s, checked_ms, checksum_ms, plain_ms in rows
    ]
    synthetic_load, synthetic_min = (value * 1e3 for value in quantiles(rows[0][4], (50, 0)))
    built_load = statistics.median(rows[1][4]) * 1e3
    body = "\n".join([
        f"Command: {command_line(MODULE, ['--repeats', args.repeats, '--write-results'])}",
        f"{machine_line(['numpy'])}; the cores are shared with other work. Medians of {args.repeats} "
        "(load: median / minimum); files in the page cache.",
        f"Vocabulary: {N_TOKENS:,} synthetic tokens (logits width {vocabulary.logits_width:,}); "
        f"pattern `{PATTERN}`.",
        "",
        table(["index", "states", "rows (sparse)", "file", "save ms", "load ms", "load + vocabulary check ms",
               "xxh3-128 alone ms", "safetensors load_file ms"], figures, right_from=1),
        "",
        f"Building the {built.num_states:,}-state index (warm, cache off): {build_ms:,.0f} ms; "
        f"a cache hit through `compile_index`: {hit_ms:.2f} ms.",
        f"Load: the 16 MB worst-case file (every state its own packed row) loads in {synthetic_load:.2f} ms "
        f"median, {synthetic_min:.2f} ms minimum (target < 10 ms). The built index loads "
        f"{build_ms / built_load:,.0f}x faster than it builds (median to median; target >= 100x).",
    ])
    print(f"{SECTION}\n\n{body}")
    if args.write_results:
        write_section(SECTION, body)

if __name__ == "__main__":
    sys.exit(main())
