"""Mask application alone, on CPU logits: µs per call (median) for ours and the alternatives, same run.

    .venv/bin/python -m bench.bench_masking [--repeats 50] [--masks random|sparse|dense|all] [--threads N]

Rows: batch 1, 8, 64 at logits widths 49,152 and 131,072 (float32). Columns:
    ours         decode.masking.apply_token_bitmask_ (packed int32 rows)
    bool_fill    logits.masked_fill_(bool_mask, -inf) with the boolean mask built beforehand
    naive        unpack the bits with torch ops (repeat_interleave, shift, &) then masked_fill_
    xgrammar     xgrammar.apply_token_bitmask_inplace (0.2.8), when importable
    llguidance   llguidance.torch.apply_token_bitmask_inplace (1.9.1, torch.compile'd), when importable
    floor        logits.fill_(-inf): writing the logits once, the memory floor
Masks: "random" sets each bit with probability 1/2; "sparse" allows 5 tokens per row (a typical
pattern state); "dense" allows all but 5. Each method masks the same logits tensor repeatedly, in
place; the methods take turns call by call (A B C ... A B C ...) so that changes in the machine's
other load hit them alike.
"""
from __future__ import annotations

import argparse
import os
import statistics
import time

import numpy as np
import torch

from bench.report import machine_line, table, table_row
from decode.masking import apply_token_bitmask_

SIZES = [(1, 49_152), (8, 49_152), (64, 49_152), (1, 131_072), (8, 131_072), (64, 131_072)]


def interleaved_medians_us(calls: dict, repeats: int) -> dict:
    """Median µs per call of each of `calls`, timed in turns; a method that raises gets its error."""
    results: dict = {}
    for name, call in calls.items():
        try:
            call()  # warm-up (compilation, caches)
            results[name] = []
        except Exception as error:  # a peer failing must not hide the others
            results[name] = error
    for _ in range(repeats):
        for name, call in calls.items():
            if isinstance(results[name], list):
                start = time.perf_counter()
                call()
                results[name].append(time.perf_counter() - start)
    return {name: times if isinstance(times, Exception) else statistics.median(times) * 1e6
            for name, times in results.items()}


def bitmask_for(kind: str, batch: int, width: int, generator: np.random.Generator) -> torch.Tensor:
    words = (width + 31) // 32
    if kind == "random":
        values = generator.integers(-(2**31), 2**31, size=(batch, words), dtype=np.int64).astype(np.int32)
    else:
        bits = np.zeros((batch, 32 * words), dtype=bool)
        for row in range(batch):
            bits[row, generator.choice(width, size=5, replace=False)] = True
        if kind == "dense":
            bits[:, :width] = ~bits[:, :width]
        values = np.packbits(bits, axis=1, bitorder="little").view("<i4")
    return torch.from_numpy(np.ascontiguousarray(values))


def naive_unpack_fill(logits: torch.Tensor, bitmask: torch.Tensor) -> None:
    expanded = torch.repeat_interleave(bitmask, 32, dim=1)
    shifts = torch.arange(32, dtype=torch.int32).repeat(bitmask.shape[1])
    bits = ((expanded >> shifts) & 1)[:, : logits.shape[1]]
    logits.masked_fill_(bits == 0, float("-inf"))


def method_calls(logits: torch.Tensor, bitmask: torch.Tensor, disallowed: torch.Tensor, others: dict) -> dict:
    """name -> a call that masks `logits` in place, for each column."""
    return {
        "ours": lambda: apply_token_bitmask_(logits, bitmask),
        "bool_fill": lambda: logits.masked_fill_(disallowed, float("-inf")),
        "naive": lambda: naive_unpack_fill(logits, bitmask),
        **{name: (lambda f=f: f(logits, bitmask)) for name, f in others.items()},
        "floor": lambda: logits.fill_(float("-inf")),
    }


def peers() -> dict:
    found = {}
    try:
        import xgrammar

        found["xgrammar"] = lambda logits, bitmask: xgrammar.apply_token_bitmask_inplace(logits, bitmask)
    except Exception as error:  # report and go on without this peer
        print(f"note: xgrammar not measured ({type(error).__name__}: {error})")
    try:
        from llguidance.torch import apply_token_bitmask_inplace

        found["llguidance"] = apply_token_bitmask_inplace
    except Exception as error:
        print(f"note: llguidance not measured ({type(error).__name__}: {error})")
    return found


def main() -> None:
    parser = argparse.ArgumentParser(prog=f"python -m {__spec__.name}", description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=50)
    parser.add_argument("--masks", choices=["random", "sparse", "dense", "all"], default="all")
    parser.add_argument("--threads", type=int, default=None, help="torch and numba threads (default: theirs)")
    arguments = parser.parse_args()
    if arguments.threads:
        import numba

        torch.set_num_threads(arguments.threads)
        numba.set_num_threads(arguments.threads)
    others = peers()
    columns = ["ours", "bool_fill", "naive", *others, "floor"]
    kinds = ["random", "sparse", "dense"] if arguments.masks == "all" else [arguments.masks]
    print(f"{machine_line(['torch'], at_start=True)}; torch threads: {torch.get_num_threads()}; "
          f"median of {arguments.repeats}, µs per call")
    for kind in kinds:
        print(f"\n{kind} masks (load average {' '.join(f'{x:.2f}' for x in os.getloadavg())})\n")
        print(table(["batch x width", *columns], []))
        generator = np.random.default_rng(0)
        for batch, width in SIZES:
            logits = torch.randn(batch, width)
            bitmask = bitmask_for(kind, batch, width, generator)
            allowed = torch.from_numpy(
                np.unpackbits(bitmask.numpy().view(np.uint8), axis=1, bitorder="little")[:, :width].astype(bool)
            )
            calls = method_calls(logits, bitmask, ~allowed, others)
            medians = interleaved_medians_us(calls, arguments.repeats)
            figures = [f"failed ({type(m).__name__})" if isinstance(m, Exception) else f"{m:,.0f}"
                       for m in (medians[name] for name in columns)]
            print(table_row([f"{batch} x {width:,}", *figures]), flush=True)


if __name__ == "__main__":
    main()
