"""Command line of `decode`: takes argv, gives an exit status.

    python -m decode [-v] demo [--max-new-tokens N] [--device cpu]
    python -m decode extract --input prompts.jsonl --output results.jsonl --pattern P
                                                          (see decode/extraction/command.py)

`demo` runs the seed example (RELLM's LangChain example: a few-shot prompt asking for a JSON
action and a pattern for it, shipped in `decode/data/`) with the embedded SmolLM2 model, once
without and once with the pattern, and prints each output, whether it fully matches the
pattern, and the tokens per second of each run.

transformers' progress bars and warnings while the embedded model loads (or is converted on
first use) are hidden unless `-v` / `--verbose` (`decode.models.set_verbose`); extract's own
progress bar and summary stay.
"""
from __future__ import annotations

import argparse
import re
import sys
import time
from importlib import resources

from decode.extraction.command import add_extract_arguments, run_extract

__all__ = ["main", "seed_example"]


def seed_example() -> tuple[str, str]:
    """(prompt, pattern) of the seed example, read from the package data."""
    data = resources.files("decode") / "data"
    prompt = (data / "seed_prompt.txt").read_bytes().decode("utf-8")
    pattern = (data / "seed_pattern.txt").read_bytes().decode("utf-8")
    return prompt, pattern


def run_demo(max_new_tokens: int, device: str | None) -> int:
    import torch

    from decode.generation import eos_token_ids_of, generate
    from decode.models import load_default

    prompt, pattern = seed_example()
    print("Loading the embedded model (SmolLM2-135M-Instruct)...", flush=True)
    model, tokenizer = load_default(device=device)
    print(f"Pattern: {pattern!r}\n")

    eos = eos_token_ids_of(model, tokenizer)
    inputs = tokenizer(prompt, return_tensors="pt").to(model.device)
    started = time.perf_counter()
    with torch.no_grad():
        output = model.generate(
            **inputs, max_new_tokens=max_new_tokens, do_sample=False, eos_token_id=eos,
            pad_token_id=tokenizer.pad_token_id if tokenizer.pad_token_id is not None else eos[0],
        )
    seconds = time.perf_counter() - started
    new_tokens = output[0, inputs["input_ids"].shape[1] :]
    new_tokens = new_tokens[~torch.isin(new_tokens, torch.tensor(eos, device=new_tokens.device))]
    text = tokenizer.decode(new_tokens, skip_special_tokens=True)
    _report("Unconstrained", text, re.fullmatch(pattern, text) is not None, len(new_tokens), seconds)

    started = time.perf_counter()
    (result,) = generate(model, tokenizer, [prompt], pattern, max_new_tokens=max_new_tokens, do_sample=False)
    seconds = time.perf_counter() - started
    _report("Constrained", result.text, result.matched, result.num_tokens, seconds, result.stop_reason)
    return 0 if result.matched else 1


def _report(title: str, text: str, matched: bool, tokens: int, seconds: float, stop: str | None = None) -> None:
    print(f"--- {title} output ---")
    print(text)
    print(f"--- matches the pattern: {'yes' if matched else 'no'}", end="")
    if stop is not None:
        print(f" (stopped on: {stop})", end="")
    rate = tokens / seconds if seconds > 0 else float("inf")
    print(f"; {tokens} tokens in {seconds:.2f} s = {rate:.1f} tokens/s\n", flush=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m decode", description=__doc__.split("\n\n")[0])
    parser.add_argument("-v", "--verbose", action="store_true",
                        help="show transformers' progress bars and warnings while the model loads")
    commands = parser.add_subparsers(dest="command", required=True)
    demo = commands.add_parser("demo", help="run the seed example with and without the pattern")
    demo.add_argument("--max-new-tokens", type=int, default=64, help="generation limit (default 64)")
    demo.add_argument("--device", default=None, help="torch device for the model (default cpu)")
    add_extract_arguments(commands)
    arguments = parser.parse_args(argv)
    from decode.models import set_verbose

    set_verbose(arguments.verbose)
    if arguments.command == "demo":
        return run_demo(arguments.max_new_tokens, arguments.device)
    if arguments.command == "extract":
        return run_extract(arguments)
    parser.error(f"unknown command {arguments.command!r}")
    return 2


if __name__ == "__main__":
    sys.exit(main())
