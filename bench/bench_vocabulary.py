"""Time to read a tokenizer's vocabulary: `Vocabulary.from_tokenizer` beside xgrammar and llguidance.

Run from the repository root:

    .venv/bin/python -m bench.bench_vocabulary [--repeats 5] [--no-write]

For each real tokenizer (SmolLM2 GGUF byte-level BPE, Mistral v1 SentencePiece, cl100k via
TikTokenConverter), prints the median wall time over `--repeats` runs of
- ours: `automaton.Vocabulary.from_tokenizer(tokenizer)` (includes the self-check),
- xgrammar 0.2.8: `xgrammar.TokenizerInfo.from_huggingface(tokenizer)`,
- llguidance 1.9.1: `llguidance.hf.from_tokenizer(tokenizer)`.
A peer library that is missing or fails is reported and skipped. Tokenizers are loaded (and
converted once, into the cache) before timing starts. The table is printed and written to the
"## Reading a tokenizer's vocabulary" section of bench/RESULTS.md (`--no-write` to skip that).
"""
from __future__ import annotations

import argparse
import statistics
import sys
from functools import partial

from automaton import Vocabulary
from bench.report import command_line, machine_line, table, table_row, write_section
from bench.timing import run_times
from tests.support import tokenizers as real_tokenizers

SECTION = "## Reading a tokenizer's vocabulary"
MODULE = "bench.bench_vocabulary"


def peer_readers():
    from importlib.metadata import version

    readers = {}
    try:
        import xgrammar

        readers[f"xgrammar {version('xgrammar')}"] = lambda tok: xgrammar.TokenizerInfo.from_huggingface(tok)
    except Exception as error:  # report any import failure and go on
        print(f"xgrammar unavailable: {error!r}")
    try:
        import llguidance.hf

        readers[f"llguidance {version('llguidance')}"] = lambda tok: llguidance.hf.from_tokenizer(tok)
    except Exception as error:
        print(f"llguidance unavailable: {error!r}")
    return readers


def main() -> None:
    parser = argparse.ArgumentParser(prog=f"python -m {__spec__.name}", description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--no-write", action="store_true", help="do not update bench/RESULTS.md")
    args = parser.parse_args()

    tokenizers = {
        "SmolLM2 (49,152)": real_tokenizers.smollm2_tokenizer(),
        "Mistral v1 (32,000)": real_tokenizers.mistral_v1_tokenizer(),
        "cl100k (100,277)": real_tokenizers.cl100k_tokenizer(),
    }
    readers = {"automaton": lambda tok: Vocabulary.from_tokenizer(tok), **peer_readers()}
    header = ["tokenizer (ids)", *readers]
    rows = []
    print(table(header, []))
    for name, tokenizer in tokenizers.items():
        cells = []
        for reader_name, reader in readers.items():
            try:
                reader(tokenizer)  # warm-up (imports, lazy initialisation)
                cells.append(f"{statistics.median(run_times(partial(reader, tokenizer), args.repeats)) * 1000:,.0f}")
            except Exception as error:  # a peer failing on a tokenizer is a result too
                cells.append(f"failed: {type(error).__name__}")
                print(f"{reader_name} on {name}: {error!r}", file=sys.stderr)
        rows.append([name, *cells])
        print(table_row(rows[-1]), flush=True)
    body = "\n".join([
        "Time to read a tokenizer's vocabulary (token bytes, EOS ids, self-check), median of "
        f"{args.repeats} runs after a warm-up, milliseconds. Target: under 500 ms for cl100k.",
        "",
        f"Command: {command_line(MODULE, ['--repeats', args.repeats])}",
        "",
        f"{machine_line(['transformers'])} (other work on the machine slows every column alike).",
        "",
        table(header, rows),
    ])
    if not args.no_write:
        write_section(SECTION, body)


if __name__ == "__main__":
    main()
