"""The floor under a Python-level step along walks: two do-nothing methods against ours.

    .venv/bin/python -m bench.step_floor --vocab SmolLM2 --pattern person_schema --pattern datetime

Walks our index as `bench.bench_index` does (between two steps: unpack the mask, drop EOS,
draw a token). At each step it times, one after the other, `next_state` + `mask` of a stand-in
whose methods do nothing (return the state, return a stored row) and then ours, each after its
own unpacking, so both start with the same cold caches. Prints p50 / p99 in µs.
"""
from __future__ import annotations

import argparse
import sys
from time import perf_counter_ns

import numpy as np

from bench import vocabularies
from bench.patterns import all_patterns
from bench.peers import Ours
from bench.report import spread
from bench.walks import allowed_ids


class DoNothing:
    """`next_state` and `mask` with no work in them."""

    def __init__(self, row: np.ndarray):
        self.row = row

    def next_state(self, state: int, token_id: int) -> int:
        return state

    def mask(self, state: int) -> np.ndarray:
        return self.row


def step_times(index, vocabulary, *, walks: int, steps: int, seed: int = 0) -> tuple[list[int], list[int]]:
    """(do-nothing ns, ours ns) per step along random walks through `index`."""
    rng = np.random.default_rng(seed)
    eos = np.array(sorted(vocabulary.eos_token_ids))
    stand_in = DoNothing(index.mask(index.initial_state))
    nothing, ours = [], []
    width = vocabulary.logits_width
    for _ in range(walks):
        state = index.initial_state
        words = index.mask(state)
        for _ in range(steps):
            choices = allowed_ids(words, width)
            choices = choices[~np.isin(choices, eos)]
            if choices.size == 0:
                break
            token = int(choices[rng.integers(choices.size)])
            began = perf_counter_ns()
            stand_in.mask(stand_in.next_state(state, token))
            nothing.append(perf_counter_ns() - began)
            choices = allowed_ids(words, width)  # the same cache-clearing work again
            choices = choices[~np.isin(choices, eos)]
            began = perf_counter_ns()
            next_state = index.next_state(state, token)
            row = index.mask(next_state)
            ours.append(perf_counter_ns() - began)
            state, words = next_state, row
    return nothing, ours


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog=f"python -m {__spec__.name}", description=__doc__.split("\n\n")[0])
    parser.add_argument("--vocab", action="append", help="SmolLM2, Mistral v1 or cl100k (repeatable)")
    parser.add_argument("--pattern", action="append", help="a name from bench.patterns (repeatable)")
    parser.add_argument("--walks", type=int, default=25)
    parser.add_argument("--steps", type=int, default=200)
    args = parser.parse_args(argv)
    patterns = all_patterns()
    for vocab_name in args.vocab or ["SmolLM2"]:
        tokenizer, vocabulary = vocabularies.load_vocabulary(vocab_name)
        engine = Ours(tokenizer, vocabulary)
        for pattern_name in args.pattern or ["person_schema"]:
            index = engine.compile(patterns[pattern_name])
            nothing, ours = step_times(index, vocabulary, walks=args.walks, steps=args.steps)
            print(
                f"{vocab_name} / {pattern_name} ({len(ours)} steps): do-nothing {spread(nothing, scale=1e-3)} µs, "
                f"ours {spread(ours, scale=1e-3)} µs (p50 / p99)"
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
