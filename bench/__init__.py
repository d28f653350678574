"""Benchmarks: compile time, per-step cost, end to end, side by side with peer libraries.

Run each from the repository root as a module (`--help` lists its options):

    .venv/bin/python -m bench.bench_dfa           DFA compile time beside interegular (--write-results)
    .venv/bin/python -m bench.bench_vocabulary    reading a tokenizer's vocabulary, beside xgrammar and llguidance
    .venv/bin/python -m bench.bench_index         token index: compile, per step, size and load, beside the peers
    .venv/bin/python -m bench.bench_storage       index files: save and load of a 1,000-state x 128k index
    .venv/bin/python -m bench.bench_masking       applying a packed mask to CPU logits, beside the peers (prints)
    .venv/bin/python -m bench.bench_e2e           SmolLM2 end to end: constrained vs free tokens/s, vs RELLM (prints)
    .venv/bin/python -m bench.bench_jump_forward  jump-forward decoding: forward passes and tokens/s
    .venv/bin/python -m bench.bench_json_schema   JSON schema coverage, soundness and compile time (prints)
    .venv/bin/python -m bench.bench_extract       batch extraction throughput, local and on Ray
    .venv-vllm/bin/python -m bench.bench_vllm    this processor in vLLM beside vLLM's xgrammar and guidance backends
    .venv/bin/python -m bench.compare_builds --against OTHER_CHECKOUT   warm builds, this checkout vs another
    .venv/bin/python -m bench.step_floor          the floor under a Python-level step (prints)

Those that measure on the three real vocabularies run on the patterns of `bench.patterns`. The
peer libraries (outlines-core, xgrammar, llguidance) are the `bench` extra; a benchmark leaves out
a peer that is not installed and says so. Benchmarks that keep figures rewrite their own `## `
section of bench/RESULTS.md (unless told not to: `--no-write`, or they write only with
`--write-results`); `bench.report` writes those sections.

Helpers: `patterns` (the benchmark patterns), `vocabularies` (the real vocabularies), `peers` and
`schema_peers` (one adapter per engine), `walks` (random walks through an engine's masks),
`timing` (repeated timings, forked children, peak memory), `report` (RESULTS.md sections, the
machine line, figure formatting), `index_tables` (bench_index's tables).
"""
