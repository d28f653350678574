"""Time to read a tokenizer's vocabulary: `Vocabulary.from_tokenizer` beside xgrammar and llguidance.

Run from the repository root:

    .venv/bin/python bench/bench_vocabulary.py [--repeats 5]

For each real tokenizer (SmolLM2 GGUF byte-level BPE, Mistral v1 SentencePiece, cl100k via
TikTokenConverter), prints the median wall time over `--repeats` runs of
- ours: `automaton.Vocabulary.from_tokenizer(tokenizer)` (includes the self-check),
- xgrammar 0.2.8: `xgrammar.TokenizerInfo.from_huggingface(tokenizer)`,
- llguidance 1.9.1: `llguidance.hf.from_tokenizer(tokenizer)`.
A peer library that is missing or fails is reported and skipped. Tokenizers are loaded (and
converted once, into the cache) before timing starts. The table is printed and written to the
"## Vocabulary (issue 3)" section of bench/RESULTS.md (`--no-write` to skip that).
"""
from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from automaton import Vocabulary  # noqa: E402
from bench.results_file import replace_section  # noqa: E402
from tests.support import tokenizers as real_tokenizers  # noqa: E402


def median_seconds(function, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        function()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def peer_readers():
    from importlib.metadata import version

    readers = {}
    try:
        import xgrammar

        readers[f"xgrammar {version('xgrammar')}"] = lambda tok: xgrammar.TokenizerInfo.from_huggingface(tok)
    except Exception as error:  # noqa: BLE001 - report any import failure and go on
        print(f"xgrammar unavailable: {error!r}")
    try:
        import llguidance.hf

        readers[f"llguidance {version('llguidance')}"] = lambda tok: llguidance.hf.from_tokenizer(tok)
    except Exception as error:  # noqa: BLE001
        print(f"llguidance unavailable: {error!r}")
    return readers


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--no-write", action="store_true", help="do not update bench/RESULTS.md")
    args = parser.parse_args()

    tokenizers = {
        "SmolLM2 (49,152)": real_tokenizers.smollm2_tokenizer(),
        "Mistral v1 (32,000)": real_tokenizers.mistral_v1_tokenizer(),
        "cl100k (100,277)": real_tokenizers.cl100k_tokenizer(),
    }
    readers = {"automaton": lambda tok: Vocabulary.from_tokenizer(tok), **peer_readers()}
    lines = [
        "| tokenizer (ids) | " + " | ".join(readers) + " |",
        "|" + " --- |" * (len(readers) + 1),
    ]
    for name, tokenizer in tokenizers.items():
        cells = []
        for reader_name, reader in readers.items():
            try:
                reader(tokenizer)  # warm-up (imports, lazy initialisation)
                cells.append(f"{median_seconds(lambda: reader(tokenizer), args.repeats) * 1000:,.0f}")
            except Exception as error:  # noqa: BLE001 - a peer failing on a tokenizer is a result too
                cells.append(f"failed: {type(error).__name__}")
                print(f"{reader_name} on {name}: {error!r}", file=sys.stderr)
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
        print(lines[-1] if len(lines) > 3 else "\n".join(lines))
    load = os.getloadavg()[0]
    body = "\n".join([
        "Time to read a tokenizer's vocabulary (token bytes, EOS ids, self-check), median of "
        f"{args.repeats} runs after a warm-up, milliseconds. Target: under 500 ms for cl100k.",
        "",
        "Command: `.venv/bin/python bench/bench_vocabulary.py`",
        "",
        f"Machine: {os.cpu_count()} cores, python {platform.python_version()}, load average {load:.1f} "
        "at the end of the run (other work on the machine slows every column alike).",
        "",
        *lines,
    ])
    if not args.no_write:
        replace_section(Path(__file__).resolve().parent / "RESULTS.md", "## Vocabulary (issue 3)", body)


if __name__ == "__main__":
    main()
