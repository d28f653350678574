"""Batch extraction throughput: prompts/s and tokens/s of `extract_file` by batch size, locally and on Ray.

    .venv/bin/python bench/bench_extract.py [--prompts 16] [--max-new-tokens 64] [--batch-sizes 1,4,16]
                                            [--ray-batch-sizes 1,4,16] [--workers 2] [--skip-ray] [--no-write]

Workloads, greedy, SmolLM2-135M-Instruct on CPU:

- seed: the seed prompt (RELLM's few-shot JSON action prompt) asked about --prompts different
  US states, with the seed pattern;
- schema: "give the capital of <country> as JSON" with a two-field object schema.

Local: one process, the model and the index loaded before timing; the time is that of
`extract_file` writing a fresh output file (the summary's throughput). Ray: a local Ray
instance with --workers actors of one CPU each; its time includes starting the actors (each
loads the model and the index file), which is what a run costs. Results go to
bench/RESULTS.md under "## Batch extraction (issue 6)" unless --no-write.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import torch  # noqa: E402

from bench.results_file import replace_section  # noqa: E402
from decode.__main__ import seed_example  # noqa: E402
from decode.extraction import extract_file, resolve_target  # noqa: E402
from decode.models import load_default  # noqa: E402

HEADING = "## Batch extraction (issue 6)"
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


def table(rows: list[dict]) -> list[str]:
    lines = ["| engine | workload | batch | prompts | matched | output tokens | seconds | prompts/s | tokens/s |",
             "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"]
    for r in rows:
        lines.append(f"| {r['engine']} | {r['workload']} | {r['batch']} | {r['prompts']} | {r['matched']} | "
                     f"{r['tokens']} | {r['seconds']:.1f} | {r['prompts_s']:.2f} | {r['tokens_s']:.1f} |")
    return lines


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
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

    model, tokenizer = load_default()
    rows = []
    with tempfile.TemporaryDirectory(prefix="bench-extract-") as name:
        folder = Path(name)
        jobs = {key: (write_input(folder, key, prompts), target) for key, (prompts, target) in workloads(args.prompts).items()}
        for key, (source, target) in jobs.items():
            resolve_target(model, tokenizer, **target)  # index compiled (and cached) before timing
            warm = folder / f"warm-{key}.jsonl"
            warm.write_text(json.dumps({"id": 0, "prompt": "Hi"}) + "\n", encoding="utf-8")
            run_once(folder, warm, target, 1, 4, model=model, tokenizer=tokenizer)
            for batch in (int(b) for b in args.batch_sizes.split(",")):
                row = run_once(folder, source, target, batch, args.max_new_tokens, model=model, tokenizer=tokenizer)
                rows.append({"engine": f"local ({args.threads} threads)", "workload": key, **row})
                print(table(rows)[-1], flush=True)
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
                    print(table(rows)[-1], flush=True)
            ray.shutdown()

    load = os.getloadavg()
    body = [
        f"Command: `.venv/bin/python bench/bench_extract.py --prompts {args.prompts} --max-new-tokens "
        f"{args.max_new_tokens} --batch-sizes {args.batch_sizes} --ray-batch-sizes {args.ray_batch_sizes} "
        f"--workers {args.workers}{' --skip-ray' if args.skip_ray else ''}`",
        "",
        f"Machine: {os.cpu_count()} CPU cores ({platform.machine()}), torch {torch.__version__}, "
        f"SmolLM2-135M-Instruct float32 on CPU, greedy, jump-forward on (the default), {args.prompts} prompts a run; "
        f"load average at the end {load[0]:.1f} / {load[1]:.1f} / {load[2]:.1f} (the machine was shared).",
        "Workloads: `seed` = the seed prompt asked about different US states, with the seed pattern; "
        "`schema` = \"give the capital of <country> as JSON\" with a two-string-field object schema.",
        "Local: model and index loaded before timing. Ray: a local instance started once"
        + ("" if args.skip_ray else f" ({ray_start:.1f} s, not counted)")
        + "; each run's time includes starting the actors, each of which loads the model and the index file.",
        "",
        *table(rows),
    ]
    text = "\n".join(body)
    print("\n" + text)
    if not args.no_write:
        replace_section(Path(__file__).resolve().parent / "RESULTS.md", HEADING, text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
