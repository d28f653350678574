"""Soundness over JSONSchemaBench: random walks through the DFA of every schema (`compile_dfa(schema=...)`)
parse with `json.loads` and validate with `jsonschema` (the draft named by `$schema`, format
checks on). Zero invalid instances allowed.

CI checks a fixed sample of each file; `AUTOMATON_LONG_TESTS=1` checks every schema with more
walks. Schemas that `jsonschema` itself rejects as schemas are not counted.
"""
from __future__ import annotations

import json
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


TOKEN_SAMPLE, TOKEN_WALKS, MAX_TOKENS = 6, 3, 300


def first_bytes(vocabulary) -> np.ndarray:
    """int16[logits_width]: each id's first byte, 256 for EOS ids, -1 for ids without bytes."""
    out = np.full(vocabulary.logits_width, -1, dtype=np.int16)
    for token_id in range(vocabulary.num_tokens):
        data = vocabulary.token_bytes(token_id)
        if data:
            out[token_id] = data[0]
    out[list(vocabulary.eos_token_ids)] = 256
    return out


def token_walk(index, vocabulary, firsts, rng) -> bytes | None:
    """Tokens drawn through the index's masks until an EOS id (the text), or None past
    MAX_TOKENS. Allowed ids are grouped by their first byte and a group drawn first, so that
    strings close (uniform draws over 32,000 ids seldom pick one of the few quote tokens)."""
    state, out = index.initial_state, b""
    for _ in range(MAX_TOKENS):
        allowed = index.allowed_token_ids(state)
        allowed = allowed[firsts[allowed] >= 0]
        assert allowed.size, ("a live state allows no token", out)
        groups = np.unique(firsts[allowed])
        group = allowed[firsts[allowed] == groups[rng.integers(groups.size)]]
        token_id = int(group[rng.integers(group.size)])
        if firsts[token_id] == 256:
            return out
        out += vocabulary.token_bytes(token_id)
        state = index.next_state(state, token_id)
    return None


@pytest.mark.parametrize("name", BENCH_FILES)
def test_token_walks_through_a_real_vocabulary_validate(name, mistral_vocabulary):
    """A sample of each file through the masks of Mistral v1's 32,000 tokens: every finished
    walk's bytes parse and validate (the index adds no text the DFA lacks, and EOS comes only
    where the text is complete)."""
    schemas = random.Random(4).sample(load_bench(name), TOKEN_SAMPLE)
    rng = np.random.default_rng(4)
    firsts = first_bytes(mistral_vocabulary)
    finished, invalid = 0, []
    for schema_id, schema in schemas:
        try:
            check = _validator(schema)
            index = automaton.compile_index(schema=schema, vocabulary=mistral_vocabulary, cache=False, time_budget=20)
        except (jsonschema.SchemaError, AutomatonError):
            continue
        for _ in range(TOKEN_WALKS):
            text = token_walk(index, mistral_vocabulary, firsts, rng)
            if text is None:
                continue
            finished += 1
            try:
                value = json.loads(text.decode("utf-8"))
            except (UnicodeDecodeError, ValueError) as error:
                invalid.append((schema_id, text, str(error)))
                continue
            if not check.is_valid(value):
                invalid.append((schema_id, text, "invalid"))
    assert not invalid, invalid[:3]
    assert finished >= TOKEN_SAMPLE, finished
