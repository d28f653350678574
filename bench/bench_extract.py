"""Batch extraction throughput: prompts/s and tokens/s of `extract_file` by batch size, locally and on Ray.

    .venv/bin/python -m bench.bench_extract [--prompts 16] [--max-new-tokens 64] [--batch-sizes 1,4,16]
                                            [--ray-batch-sizes 1,4,16] [--workers 2] [--skip-ray] [--no-write]

Workloads, greedy, SmolLM2-135M-Instruct on CPU:

- seed: the seed prompt (RELLM's few-shot JSON action prompt) asked about --prompts different
  US states, with the seed pattern;
- schema: "give the capital of <country> as JSON" with a two-field object schema.

Local: one process, the model and the index loaded before timing; the time is that of
`extract_file` writing a fresh output file (the summary's throughput). Ray: a local Ray
instance with --workers actors of one CPU each; its time includes starting the actors (each
loads the model and the index file), which is what a run costs; without Ray installed those rows
are left out, with a note. Results go to bench/RESULTS.md under "## Batch extraction throughput,
local and Ray" unless --no-write.
"""
from __future__ import annotations

import argparse
import importlib.util
import json
import os
import sys
import tempfile
import time
from pathlib import Path

import torch

from bench.report import command_line, machine_line, table, table_row, write_section
from decode.__main__ import seed_example
from decode.extraction import extract_file, resolve_target
from decode.models import load_default

SECTION = "## Batch extraction throughput, local and Ray"
MODULE = "bench.bench_extract"
STATES = ["Maryland", "Ohio", "Texas", "Oregon", "Vermont", "Nevada", "Georgia", "Utah", "Iowa", "Maine",
          "Idaho", "Kansas", "Alaska", "Hawaii", "Montana", "Indiana", "Florida", "Arizona", "Wyoming", "Alabama"]
COUNTRIES = ["France", "Japan", "Peru", "Kenya", "Canada", "Norway", "Egypt", "Chile", "India", "Spain",
             "Italy", "Ghana", "Brazil", "Sweden", "Greece", "Mexico", "Poland", "Cuba", "Nepal", "Chad"]
SCHEMA = {
    "type": "object",
    "properties": {"city": {"type": "string", "maxLength": 24}, "country": {"type": "string", "maxLength": 24}},
    "required": ["city", "country"],
}


def workloads(count: int) -> dict:
    prompt, pattern = seed_example()
    seed_prompts = [prompt.replace("Maryland", STATES[i % len(STATES)]) for i in range(count)]
    schema_prompts = [
        f"Human: Give the capital of {COUNTRIES[i % len(COUNTRIES)]} as JSON with the fields city and country.\n"
        "AI Assistant:"
        for i in range(count)
    ]
    return {"seed": (seed_prompts, {"pattern": pattern}), "schema": (schema_prompts, {"schema": SCHEMA})}


def write_input(folder: Path, name: str, prompts: list[str]) -> Path:
    path = folder / f"{name}.jsonl"
    path.write_text("".join(json.dumps({"id": i, "prompt": p}) + "\n" for i, p in enumerate(prompts)), encoding="utf-8")
    return path


def run_once(folder: Path, source: Path, target: dict, batch: int, max_new_tokens: int, **engine) -> dict:
    output = folder / f"out-{time.monotonic_ns()}.jsonl"
    began = time.perf_counter()
    summary = extract_file(source, output, **target, batch_size=batch, max_new_tokens=max_new_tokens,
                           progress=False, **engine)
    wall = time.perf_counter() - began
    return {
        "batch": batch, "prompts": summary.generated, "matched": summary.matched, "tokens": summary.output_tokens,
        "seconds": summary.seconds, "wall": wall,
        "prompts_s": summary.prompts_per_second, "tokens_s": summary.tokens_per_second,
    }


COLUMNS = ["engine", "workload", "batch", "prompts", "matched", "output tokens", "seconds", "prompts/s", "tokens/s"]


def cells(r: dict) -> list:
    return [r["engine"], r["workload"], r["batch"], r["prompts"], r["matched"], r["tokens"], f"{r['seconds']:.1f}",
            f"{r['prompts_s']:.2f}", f"{r['tokens_s']:.1f}"]


def main() -> int:
    parser = argparse.ArgumentParser(prog=f"python -m {__spec__.name}", description=__doc__.split("\n\n")[0])
    parser.add_argument("--prompts", type=int, default=16)
    parser.add_argument("--max-new-tokens", type=int, default=64)
    parser.add_argument("--batch-sizes", default="1,4,16")
    parser.add_argument("--ray-batch-sizes", default="1,4,16")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=os.cpu_count(), help="torch threads of the local run")
    parser.add_argument("--skip-ray", action="store_true")
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    if not args.skip_ray and importlib.util.find_spec("ray") is None:
        print("note: Ray is not installed (`pip install ray`): the Ray rows are left out, as with --skip-ray")
        args.skip_ray = True

    model, tokenizer = load_default()
    rows = []
    print(table(COLUMNS, [], right_from=2))
    with tempfile.TemporaryDirectory(prefix="bench-extract-") as name:
        folder = Path(name)
        jobs = {key: (write_input(folder, key, prompts), target)
                for key, (prompts, target) in workloads(args.prompts).items()}
        for key, (source, target) in jobs.items():
            resolve_target(model, tokenizer, **target)  # index compiled (and cached) before timing
            warm = folder / f"warm-{key}.jsonl"
            warm.write_text(json.dumps({"id": 0, "prompt": "Hi"}) + "\n", encoding="utf-8")
            run_once(folder, warm, target, 1, 4, model=model, tokenizer=tokenizer)
            for batch in (int(b) for b in args.batch_sizes.split(",")):
                row = run_once(folder, source, target, batch, args.max_new_tokens, model=model, tokenizer=tokenizer)
                rows.append({"engine": f"local ({args.threads} threads)", "workload": key, **row})
                print(table_row(cells(rows[-1])), flush=True)
        if not args.skip_ray:
            import ray

            began = time.perf_counter()
            ray.init(num_cpus=args.workers, include_dashboard=False)
            ray_start = time.perf_counter() - began
            for key, (source, target) in jobs.items():
                for batch in (int(b) for b in args.ray_batch_sizes.split(",")):
                    row = run_once(folder, source, target, batch, args.max_new_tokens, model="default",
                                   engine="ray", workers=args.workers)
                    rows.append({"engine": f"ray ({args.workers} workers x 1 CPU)", "workload": key, **row})
                    print(table_row(cells(rows[-1])), flush=True)
            ray.shutdown()

    arguments = ["--prompts", args.prompts, "--max-new-tokens", args.max_new_tokens, "--batch-sizes", args.batch_sizes,
                 "--ray-batch-sizes", args.ray_batch_sizes, "--workers", args.workers]
    body = "\n".join([
        f"Command: {command_line(MODULE, arguments + (['--skip-ray'] if args.skip_ray else []))}",
        "",
        f"{machine_line(['torch'])}; SmolLM2-135M-Instruct float32 on CPU, greedy, jump-forward on (the default), "
        f"{args.prompts} prompts a run.",
        "Workloads: `seed` = the seed prompt asked about different US states, with the seed pattern; "
        "`schema` = \"give the capital of <country> as JSON\" with a two-string-field object schema.",
        "Local: model and index loaded before timing. Ray: a local instance started once"
        + ("" if args.skip_ray else f" ({ray_start:.1f} s, not counted)")
        + "; each run's time includes starting the actors, each of which loads the model and the index file.",
        "",
        table(COLUMNS, [cells(r) for r in rows], right_from=2),
    ])
    print("\n" + body)
    if not args.no_write:
        write_section(SECTION, body)
    return 0


if __name__ == "__main__":
    sys.exit(main())
