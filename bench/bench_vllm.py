"""Constrained decoding inside vLLM: `decode.vllm.AutomatonLogitsProcessor` beside vLLM
unconstrained and vLLM's own structured outputs (xgrammar and guidance backends).

    .venv-vllm/bin/python -m bench.bench_vllm [--prompts 64] [--max-tokens 128] [--repeats 3] [--no-write]

Run in the vLLM environment (`.venv-vllm`, made by `.ci/setup`). One workload: --prompts prompts
asking for a person as JSON, greedy, the person schema of `bench.patterns` (spaced layout, the
one json.dumps writes), the embedded SmolLM2-135M-Instruct (`decode.models.default_model_path()`),
float32. Two engines (vLLM picks the structured-output backend per engine): the first has the
processor and the xgrammar backend and runs "unconstrained", "this processor" and "xgrammar" in
turn, --repeats times each; the second has the guidance backend. Each run submits all prompts in
one `generate` call: tokens/s = generated tokens / wall time (median, and min - max over the
repeats). Every constrained output that ended on EOS is checked with `json` + `jsonschema`.

Time to first token for a new schema: one request, max_tokens=1, with a schema never seen
before (a fresh "title"-like enum value, so no cache holds it), minus nothing: it includes the
prompt's forward pass, which the unconstrained line shows alone. Median over --repeats schemas.
The processor's own cost per step is also timed outside vLLM (`step_cost`): the figure that does
not depend on what else the machine runs. Results go to bench/RESULTS.md under
"## vLLM: this processor beside vLLM's structured outputs" unless --no-write.
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import time

from bench.patterns import PERSON_SCHEMA
from bench.report import machine_line, spread, table, write_section

SECTION = "## vLLM: this processor beside vLLM's structured outputs"
NAMES = ["Ann", "Bob", "Carla", "Dmitri", "Eve", "Farid", "Gus", "Hana"]


def prompts(count: int) -> list[str]:
    return [f"Describe {NAMES[i % len(NAMES)]}, person number {i}, as a JSON object with name, age, email, role, "
            f"active, tags and address:\n" for i in range(count)]


def params(mode: str, schema: dict, max_tokens: int):
    from vllm import SamplingParams
    from vllm.sampling_params import StructuredOutputsParams

    if mode == "unconstrained":
        return SamplingParams(temperature=0.0, max_tokens=max_tokens)
    if mode == "processor":
        return SamplingParams(temperature=0.0, max_tokens=max_tokens, extra_args={"json_schema": schema})
    structured = StructuredOutputsParams(json=schema)
    return SamplingParams(temperature=0.0, max_tokens=max_tokens, structured_outputs=structured)


def run(llm, mode: str, texts: list[str], max_tokens: int) -> tuple[float, int, int, int]:
    """(seconds, generated tokens, outputs ended on EOS, of those the ones that validate)."""
    import jsonschema

    start = time.perf_counter()
    outputs = llm.generate(texts, params(mode, PERSON_SCHEMA, max_tokens), use_tqdm=False)
    seconds = time.perf_counter() - start
    tokens = sum(len(o.outputs[0].token_ids) for o in outputs)
    ended = valid = 0
    for output in outputs:
        completion = output.outputs[0]
        if completion.finish_reason != "stop" or mode == "unconstrained":
            continue
        ended += 1
        try:
            jsonschema.validate(json.loads(completion.text), PERSON_SCHEMA)
            valid += 1
        except (ValueError, jsonschema.ValidationError):
            pass
    return seconds, tokens, ended, valid


def first_token(llm, mode: str, repeats: int, tag: str) -> float:
    """Median seconds of a one-token request whose schema no cache has seen."""
    times = []
    for number in range(repeats):
        schema = json.loads(json.dumps(PERSON_SCHEMA))
        schema["properties"]["role"] = {"enum": ["admin", "user", f"guest-{tag}-{number}-{time.time_ns()}"]}
        start = time.perf_counter()
        llm.generate(["A person as JSON:\n"], params(mode, schema, 1), use_tqdm=False)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def step_cost(batch: int, steps: int) -> list[float]:
    """Seconds of the processor's own work per step (`update_state` + `apply`) for `batch` rows of
    the person schema, outside vLLM: float32 logits [batch, vocabulary] drawn at random, each row
    advanced by its masked argmax (an EOS leaves the row as it is)."""
    import torch
    from vllm import SamplingParams
    from vllm.v1.sample.logits_processor import BatchUpdate

    import decode.models
    from decode.vllm import AutomatonLogitsProcessor

    folder = decode.models.default_model_path()

    class ModelConfig:  # the part of vLLM's model config the processor reads
        tokenizer = str(folder)

        def get_vocab_size(self) -> int:
            return json.loads((folder / "config.json").read_text())["vocab_size"]

        def try_get_generation_config(self) -> dict:
            return json.loads((folder / "generation_config.json").read_text())

    class Config:
        model_config = ModelConfig()
        speculative_config = None

    processor = AutomatonLogitsProcessor(Config(), torch.device("cpu"), False)
    outputs: list[list[int]] = [[] for _ in range(batch)]
    params = SamplingParams(extra_args={"json_schema": PERSON_SCHEMA})
    processor.update_state(BatchUpdate(batch_size=batch, removed=[], moved=[],
                                       added=[(i, params, None, outputs[i]) for i in range(batch)]))
    eos = set(processor.vocabulary().eos_token_ids)
    generator = torch.Generator().manual_seed(0)
    width = ModelConfig().get_vocab_size()
    times = []
    for _ in range(steps):
        logits = torch.randn(batch, width, generator=generator)
        start = time.perf_counter()
        processor.update_state(None)
        processor.apply(logits)
        times.append(time.perf_counter() - start)
        for row, token in enumerate(logits.argmax(dim=1).tolist()):
            if token not in eos:
                outputs[row].append(token)
    return times


def engine(backend: str):
    from vllm import LLM

    import decode.models
    from decode.vllm import AutomatonLogitsProcessor

    return LLM(model=str(decode.models.default_model_path()), logits_processors=[AutomatonLogitsProcessor],
               structured_outputs_config={"backend": backend}, max_model_len=2048, max_num_seqs=64,
               dtype="float32", enforce_eager=True, seed=0)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--prompts", type=int, default=64)
    parser.add_argument("--max-tokens", type=int, default=128)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args(argv)
    os.environ.setdefault("VLLM_CPU_KVCACHE_SPACE", "2")
    texts = prompts(args.prompts)
    load_at_start = os.getloadavg()[0]
    own = step_cost(args.prompts, 200)
    figures: dict[str, dict] = {}
    for backend, modes in (("xgrammar", ("unconstrained", "processor", "xgrammar")), ("guidance", ("guidance",))):
        llm = engine(backend)
        run(llm, modes[0], texts[:4], 8)  # warm-up
        for mode in modes:
            ttft = first_token(llm, mode, args.repeats, backend)
            results = [run(llm, mode, texts, args.max_tokens) for _ in range(args.repeats)]
            rates = [tokens / seconds for seconds, tokens, _, _ in results]
            figures[mode] = {"rates": rates, "ttft": ttft, "ended": results[-1][2], "valid": results[-1][3]}
            print(mode, [f"{r:.1f}" for r in rates], f"ttft {ttft * 1000:.0f} ms", results[-1][2:], flush=True)
        del llm
    base = statistics.median(figures["unconstrained"]["rates"])
    rows = []
    for mode, label in (("unconstrained", "vLLM unconstrained"), ("processor", "this processor (extra_args)"),
                        ("xgrammar", "vLLM structured outputs, xgrammar"),
                        ("guidance", "vLLM structured outputs, guidance")):
        found = figures[mode]
        median = statistics.median(found["rates"])
        checked = "–" if mode == "unconstrained" else f"{found['valid']} / {found['ended']}"
        rows.append([label, f"{median:,.1f}", f"{min(found['rates']):,.1f} – {max(found['rates']):,.1f}",
                     f"{median / base:.2f}x", f"{found['ttft'] * 1000:,.0f}", checked])
    import vllm

    body = "\n".join([
        f"`.venv-vllm/bin/python -m bench.bench_vllm --prompts {args.prompts} --max-tokens {args.max_tokens} "
        f"--repeats {args.repeats}`",
        "",
        f"{args.prompts} prompts asking for a person as JSON, the person schema, greedy, SmolLM2-135M-Instruct "
        f"(float32, eager), vLLM {vllm.__version__} on the CPU, all prompts in one `generate` call; tokens/s = "
        "generated tokens / wall time, median and range over the repeats. First token: one request, "
        "max_tokens=1, with a schema no cache has seen (median of the repeats; the unconstrained line is "
        "the forward pass alone). Valid: outputs that ended on EOS and pass `jsonschema`, of those that "
        "ended on EOS, last repeat.",
        "",
        table(["engine", "tokens/s", "range", "vs unconstrained", "first token, new schema (ms)", "valid"], rows,
              right_from=1),
        "",
        f"The processor's own work per step (`update_state` + `apply`, outside vLLM, {args.prompts} rows of "
        f"the person schema, random float32 logits, 200 steps): p50 / p99 "
        f"{spread(own, (50, 99), scale=1e6, digits=0)} µs; an unconstrained step of the same batch above "
        f"takes {args.prompts / base * 1e6:,.0f} µs. On a shared machine (see the load below) the throughput "
        "lines move with what else runs more than they differ from each other: the per-step figure is the "
        "processor's own cost.",
        "",
        machine_line(["vllm-cpu", "torch", "xgrammar", "llguidance"], load_at_start=load_at_start) + ".",
    ])
    print(body)
    if not args.no_write:
        write_section(SECTION, body)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
