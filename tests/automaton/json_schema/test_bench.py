"""Soundness over JSONSchemaBench: random walks through the DFA of every schema (`compile_dfa(schema=...)`)
parse with `json.loads` and validate with `jsonschema` (the draft named by `$schema`, format
checks on). Zero invalid instances allowed.

CI checks a fixed sample of each file; `AUTOMATON_LONG_TESTS=1` checks every schema with more
walks. Schemas that `jsonschema` itself rejects as schemas are not counted.
"""
from __future__ import annotations

import os
import random

import jsonschema
import numpy as np
import pytest

import automaton
from automaton.errors import AutomatonError
from tests.automaton.json_schema.walks import BENCH_DIR, BENCH_FILES, invalid_walks, load_bench

LONG = os.environ.get("AUTOMATON_LONG_TESTS") == "1"
pytestmark = pytest.mark.filterwarnings("ignore:JSON-schema keywords narrowed")
SAMPLE_PER_FILE = None if LONG else 30
WALKS_PER_SCHEMA = 8 if LONG else 3
MAX_STATES = 20000
# Share of the sampled schemas that must translate and compile (a regression guard).
MIN_COVERAGE = {"Github_trivial": 0.9, "Github_easy": 0.85, "Glaiveai2K": 0.9}


def _validator(schema):
    cls = jsonschema.validators.validator_for(schema, default=jsonschema.Draft202012Validator)
    cls.check_schema(schema)
    return cls(schema, format_checker=cls.FORMAT_CHECKER)


@pytest.mark.parametrize("name", BENCH_FILES)
def test_random_walks_validate(name):
    assert (BENCH_DIR / f"{name}.jsonl").is_file(), f"the vendored JSONSchemaBench file is missing from {BENCH_DIR}"
    schemas = load_bench(name)
    if SAMPLE_PER_FILE is not None:
        schemas = random.Random(9).sample(schemas, SAMPLE_PER_FILE)
    rng = np.random.default_rng(9)
    counted = compiled = 0
    invalid = []
    for schema_id, schema in schemas:
        try:
            check = _validator(schema)
        except jsonschema.SchemaError:
            continue
        counted += 1
        try:
            dfa = automaton.compile_dfa(schema=schema, max_states=MAX_STATES, time_budget=20)
        except AutomatonError:
            continue
        compiled += 1
        invalid += invalid_walks(schema_id, dfa, check, WALKS_PER_SCHEMA, rng)
    assert not invalid, invalid[:5]
    assert counted and compiled / counted >= MIN_COVERAGE[name], (compiled, counted)
