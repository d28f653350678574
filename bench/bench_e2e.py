"""End to end with SmolLM2-135M-Instruct: constrained vs unconstrained tokens/s, and the seed example vs RELLM.

    .venv/bin/python -m bench.bench_e2e [--tokens 32] [--repeats 3] [--threads N] [--skip-rellm] [--skip-throughput]

1. Throughput, greedy, batch 1 and 8, the same prompts and `min_new_tokens = max_new_tokens`
   (every row generates exactly --tokens tokens): `model.generate` alone vs `decode.generate`
   with a pattern that never forces EOS (`[A-Za-z0-9 ,.'\\n-]*`, so the mask has tens of
   thousands of allowed tokens per step). Runs alternate; the best of --repeats is kept.
2. The seed example (decode/data): `decode.complete_re` vs RELLM 0.0.5 `complete_re`
   (installed with `pip install rellm==0.0.5 --no-deps`; skipped with a note when missing),
   seconds per generated token and the outputs.
"""
from __future__ import annotations

import argparse
import re
import time

import torch

import decode
from bench.report import machine_line, table, table_row
from decode.__main__ import seed_example
from decode.generation import eos_token_ids_of
from decode.models import load_default

PROMPTS = [
    "Write a short story about a lighthouse keeper.",
    "Describe the city of Paris.",
    "Human: What do cats like to eat?\nAI Assistant:",
    "Explain how a bicycle works, step by step, for a child who has never seen one.",
    "List some fruits.",
    "Tell me about the history of the printing press and why it mattered.",
    "Hi!",
    "What is the weather usually like in Scotland in the spring?",
]
OPEN_PATTERN = r"[A-Za-z0-9 ,.'\n-]*"


def unconstrained(model, tokenizer, prompts, tokens):
    batch = tokenizer(prompts, return_tensors="pt", padding=True)
    eos = eos_token_ids_of(model, tokenizer)
    with torch.no_grad():
        model.generate(
            **batch, max_new_tokens=tokens, min_new_tokens=tokens, do_sample=False,
            eos_token_id=eos, pad_token_id=tokenizer.pad_token_id,
        )


def constrained(model, tokenizer, prompts, tokens):
    results = decode.generate(
        model, tokenizer, prompts, OPEN_PATTERN, max_new_tokens=tokens, batch_size=len(prompts),
        min_new_tokens=tokens, do_sample=False,
    )
    assert all(r.num_tokens == tokens for r in results), [r.num_tokens for r in results]


def throughput(model, tokenizer, tokens: int, repeats: int) -> None:
    print(f"\n## Throughput: greedy, {tokens} new tokens per row (min_new_tokens = max_new_tokens)\n")
    print(table(["batch", "unconstrained tokens/s", "constrained tokens/s", "ratio"], []))
    constrained(model, tokenizer, PROMPTS[:1], 2)  # builds the vocabulary and index once
    for batch in (1, 8):
        prompts = PROMPTS[:batch]
        best = {"unconstrained": float("inf"), "constrained": float("inf")}
        for _ in range(repeats):
            for name, run in (("unconstrained", unconstrained), ("constrained", constrained)):
                start = time.perf_counter()
                run(model, tokenizer, prompts, tokens)
                best[name] = min(best[name], time.perf_counter() - start)
        free = batch * tokens / best["unconstrained"]
        masked = batch * tokens / best["constrained"]
        print(table_row([batch, f"{free:.1f}", f"{masked:.1f}", f"{masked / free:.3f}"]), flush=True)


def seed_comparison(model, tokenizer, skip_rellm: bool) -> None:
    import regex

    prompt, pattern = seed_example()
    print("\n## Seed example: complete_re\n")
    print(table(["implementation", "seconds", "tokens", "s/token", "full match", "output"], []))
    decode.complete_re(prompt, pattern, tokenizer, model, max_new_tokens=2)  # index built and cached
    runs = [("decode.complete_re", decode.complete_re)]
    if not skip_rellm:
        try:
            from rellm import complete_re as rellm_complete_re

            runs.append(("rellm 0.0.5 complete_re", rellm_complete_re))
        except Exception as error:  # report and go on
            print(f"note: RELLM not measured ({type(error).__name__}: {error})")
    for name, complete in runs:
        start = time.perf_counter()
        text = complete(prompt, regex.compile(pattern), tokenizer, model, max_new_tokens=40)
        seconds = time.perf_counter() - start
        tokens = len(tokenizer.encode(text))
        matched = re.fullmatch(pattern, text) is not None
        print(table_row([name, f"{seconds:.2f}", tokens, f"{seconds / tokens:.3f}", matched, repr(text)]), flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(prog=f"python -m {__spec__.name}", description=__doc__.split("\n\n")[0])
    parser.add_argument("--tokens", type=int, default=32)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--threads", type=int, default=None, help="torch threads (default: torch's)")
    parser.add_argument("--skip-rellm", action="store_true")
    parser.add_argument("--skip-throughput", action="store_true")
    arguments = parser.parse_args()
    if arguments.threads:
        torch.set_num_threads(arguments.threads)
    model, tokenizer = load_default()
    print(f"{machine_line(['torch', 'transformers'], at_start=True)}; torch threads: {torch.get_num_threads()}")
    if not arguments.skip_throughput:
        throughput(model, tokenizer, arguments.tokens, arguments.repeats)
    seed_comparison(model, tokenizer, arguments.skip_rellm)


if __name__ == "__main__":
    main()
