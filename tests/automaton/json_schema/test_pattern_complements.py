"""`pattern` inside complements (`not`, `if`, `oneOf`, `maxContains`): exact on printable ASCII.

The property complements rest on, for every pattern `patterns.exact_on_ascii` admits: on the
strings of printable ASCII, the exact language of `{"type": "string", "pattern": P}` accepts
`json.dumps(s)` exactly when `re.search(P, s)` finds a match. Oracle: Python's `re`, on random
printable strings (biased toward the pattern's own characters), strings `hypothesis` draws from
the pattern (`from_regex`), and walks of the automaton and of its complement. Patterns: the
suite's `pattern` / `patternProperties`, the JSONSchemaBench files', and hand-written ones.
Schemas combining them are checked against `jsonschema` on random walks in three layouts."""
from __future__ import annotations

import functools
import json
import re
import warnings
from pathlib import Path

import jsonschema
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import automaton
from automaton.dfa.limits import Deadline
from automaton.errors import TooManyStatesError
from automaton.json_schema import algebra, domains
from automaton.json_schema.lang import as_dfa, composing, difference, intersection
from automaton.json_schema.layout import Layout
from automaton.json_schema.patterns import exact_on_ascii
from automaton.json_schema.translate import Translator
from tests.automaton.json_schema.suite_files import SUITE_DIR
from tests.automaton.json_schema.test_algebra import LAYOUTS, assert_sound, compile_quietly
from tests.automaton.json_schema.walks import BENCH_DIR, BENCH_FILES, random_walks

PRINTABLE = "".join(map(chr, range(0x20, 0x7F)))

HAND_WRITTEN = [
    "", "^a$", "a$", "^a", "^$", "\\d", "^\\d+$", "^\\D*$", "\\w+", "^\\W", "^[\\w.-]+@[\\w-]+\\.\\w{2,}$", "\\s",
    "^\\S+$", "[^abc]", "^[^\\d\\s]{2,4}$", "a{2,3}b?", "^(ab|cd)+$", "^(?:x|y$)", "colou?r|^gr[ae]y$", "(?s)^.$",
    "(?m)^a$", "(?x) a b  # spaced", "(?a)^\\w+$", ".*?x", "\\A\\d\\Z", "^\\$\\^\\.\\\\", "[\\]\\[]",
    "^https?://.+$", "^\\./.+$", "^[A-Fa-f\\d]{24}$", "customer", "^[a-z]{0}$", "\\x41", "é", "\\n", "a|",
    "(a|b)*c{1,2}", "[-a]", "[a-]", "^\\s*$", "(^a)", "^[ -~]*$", '"', '^"\\\\"$', "^.{3}$", "^(a|ab)(c|bcd)d$",
    "x{,2}y", "^[^\\w\\s]+$", "^(?:(?:a|b)c)*$",
]
# Each differs from Python's `re` somewhere, or is not Python syntax: none may be called exact.
REFUSED = ["(?i)a", "(?i:a)b", "\\bfoo\\b", "\\Bx", "a(?=b)", "(?<!a)b", "(a)\\1", "a++", "(?>a+)", "\\p{L}",
           "^\\p{Letter}+$", "(a)?(?(1)b|c)", "a$b", "(^a)b", "[\\d-z]", "a\\Zb", "[", "a**"]


def _patterns_in(node, out: list) -> list:
    """Every `pattern` and `patternProperties` name under `node`, appended to `out`."""
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "pattern" and isinstance(value, str):
                out.append(value)
            elif key == "patternProperties" and isinstance(value, dict):
                out.extend(value)
            _patterns_in(value, out)
    elif isinstance(node, list):
        for value in node:
            _patterns_in(value, out)
    return out


def suite_patterns() -> list[str]:
    out: list = []
    for path in sorted(Path(SUITE_DIR).rglob("*.json")):
        _patterns_in(json.loads(path.read_text(encoding="utf-8")), out)
    return sorted(set(out))


def bench_patterns(n: int = 120) -> list[str]:
    """A reproducible sample of `n` of the JSONSchemaBench files' patterns."""
    out: list = []
    for name in BENCH_FILES:
        for line in (BENCH_DIR / f"{name}.jsonl").read_text(encoding="utf-8").splitlines():
            _patterns_in(json.loads(line)["schema"], out)
    found = sorted(set(out))
    picked = np.random.default_rng(7).choice(len(found), size=min(n, len(found)), replace=False)
    return [found[int(i)] for i in sorted(picked)]


@functools.cache
def exact_pattern(pattern: str):
    """(the DFAs of the exact language within and outside printable-ASCII strings, its domain), or None
    when the pattern has no exact language (or its automaton is too large to test)."""
    schema = {"type": "string", "pattern": pattern}
    translator = Translator(schema, Layout.of("spaced"), 3, True)
    try:
        with warnings.catch_warnings(), composing(20000, Deadline(None)):
            warnings.simplefilter("ignore")
            exact = algebra.exact_language(translator, schema, "")
            if exact is None:
                return None
            inside = intersection(exact.lang, domains.ASCII_STRINGS)
            outside = difference(domains.ASCII_STRINGS, exact.lang)
            return as_dfa(inside), as_dfa(outside), exact.domain
    except TooManyStatesError:
        return None


def drawn(pattern: str, n: int) -> list[str]:
    """Up to `n` printable strings `hypothesis` draws to contain a match of `pattern`, reproducibly
    (it may add a final newline for `$`: such strings are left out)."""
    out: list[str] = []

    @settings(max_examples=n, derandomize=True, database=None, deadline=None,
              suppress_health_check=list(HealthCheck))
    @given(st.from_regex(pattern, alphabet=st.characters(min_codepoint=0x20, max_codepoint=0x7E)))
    def collect(text):
        if set(text) <= set(PRINTABLE):
            out.append(text)

    try:
        collect()
    except Exception:  # a pattern hypothesis cannot draw from (or that no printable string matches)
        return out
    return out


def random_printable(pattern: str, n: int, rng: np.random.Generator) -> list[str]:
    """`n` random printable strings, half of their characters from the pattern's own."""
    own = [c for c in pattern if c in PRINTABLE] or list("a")
    out = []
    for _ in range(n):
        length = int(rng.integers(0, 14)) if rng.random() < 0.9 else int(rng.integers(14, 40))
        out.append("".join(own[int(rng.integers(len(own)))] if rng.random() < 0.5 else
                           PRINTABLE[int(rng.integers(len(PRINTABLE)))] for _ in range(length)))
    return out


def walked(dfa, n: int, rng: np.random.Generator) -> list[str]:
    return [] if dfa is None else [json.loads(text) for text in random_walks(dfa, n, rng)]


def disagreements(pattern: str, texts: list[str]) -> list[tuple[str, bool]]:
    """The strings on which the exact language and `re.search` disagree, with what `re` says."""
    inside, _outside, _domain = exact_pattern(pattern)
    out = []
    for text in texts:
        found = re.search(pattern, text) is not None
        if (inside is not None and inside.matches(json.dumps(text).encode())) != found:
            out.append((text, found))
    return out


def check_pattern(pattern: str, seed: int) -> None:
    compiled = exact_pattern(pattern)
    if compiled is None:
        return
    inside, outside, domain = compiled
    assert domain is domains.ASCII, pattern
    rng = np.random.default_rng(seed)
    texts = random_printable(pattern, 60, rng) + walked(inside, 15, rng) + walked(outside, 15, rng)
    texts += drawn(pattern, 15)
    assert all(set(text) <= set(PRINTABLE) for text in texts), pattern
    wrong = disagreements(pattern, texts)
    assert not wrong, f"pattern {pattern!r} admitted as exact, but differs from re.search on {wrong[:5]}"


def test_admitted_hand_written_patterns_have_exact_languages():
    for pattern in HAND_WRITTEN:
        assert exact_on_ascii(pattern), pattern
        assert exact_pattern(pattern) is not None, pattern


@pytest.mark.parametrize("pattern", REFUSED)
def test_patterns_re_may_read_otherwise_are_refused(pattern):
    assert exact_pattern(pattern) is None
    with pytest.raises(automaton.UnsupportedSchemaError):
        automaton.compile_dfa(schema={"not": {"pattern": pattern}})


@pytest.mark.parametrize("source", ["hand-written", "suite", "bench"])
def test_exact_pattern_languages_agree_with_re_on_printable_ascii(source):
    patterns = {"hand-written": HAND_WRITTEN, "suite": suite_patterns(), "bench": bench_patterns()}[source]
    checked = 0
    for i, pattern in enumerate(patterns):
        check_pattern(pattern, i)
        checked += exact_pattern(pattern) is not None
    assert checked >= {"hand-written": len(HAND_WRITTEN), "suite": 15, "bench": 80}[source], checked


def test_the_oracle_sees_what_the_domain_leaves_out():
    """Outside printable ASCII the automaton and `re` do differ: the check above would fail
    on such strings (and on a pattern wrongly admitted)."""
    inside = {"^a$": "a\n", "^\\d$": "٣", "^\\w$": "é", "^\\s$": "\x1c"}
    for pattern, text in inside.items():
        schema = {"type": "string", "pattern": pattern}
        dfa = compile_quietly(schema)
        assert re.search(pattern, text) and not dfa.matches(json.dumps(text, ensure_ascii=False).encode())


BENCH_ONE_OFS = [
    {"type": "object", "properties": {"href": {"oneOf": [
        {"type": "string", "pattern": "^https?://.+$"}, {"type": "string", "pattern": "^\\./.+$"}]}}},
    {"type": "object", "properties": {"id": {"oneOf": [
        {"type": "string", "pattern": "^[A-Fa-f\\d]{24}$"}, {"type": "string"}]}}},
    {"type": "object", "properties": {"scopes": {"type": "array", "items": {"oneOf": [
        {"pattern": "customer"}, {"pattern": "maker"}, {"pattern": "operator"}, {"pattern": "admin"},
        {"pattern": "designer"}]}}}},
]
COMBINED = BENCH_ONE_OFS + [
    {"not": {"pattern": "^a$"}},
    {"type": "string", "not": {"pattern": "^\\d+$"}},
    {"not": {"not": {"pattern": "^a$"}}},
    {"not": {"anyOf": [{"pattern": "^a"}, {"pattern": "b$"}]}},
    {"not": {"type": "string", "pattern": "^\\s*$", "maxLength": 3}},
    {"oneOf": [{"pattern": "\\d"}, {"pattern": "\\w"}]},
    {"oneOf": [{"type": "string", "pattern": "^\\w+$"}, {"type": "string", "minLength": 3}, {"type": "integer"}]},
    {"if": {"pattern": "^a"}, "then": {"maxLength": 2}, "else": {"minLength": 4}},
    {"if": {"type": "string", "pattern": "^\\d+$"}, "then": {"maxLength": 3}, "else": {"pattern": "x"}},
    {"type": "array", "contains": {"type": "string", "pattern": "^x"}, "maxContains": 1},
]
# Values outside the domain that the complemented patterns read otherwise than the automata.
PROBES = ["a\n", "٣", "١٢", "a\u2028", "\n", "é", "\x1c", "x\n", "1\n", "customer\n", "./é", "http://٣"]


@pytest.mark.parametrize("layout", list(LAYOUTS), ids=str)
@pytest.mark.parametrize("schema", COMBINED, ids=[json.dumps(s)[:70] for s in COMBINED])
def test_complements_with_patterns_against_jsonschema(schema, layout):
    dfa = compile_quietly(schema, layout)
    assert_sound(schema, dfa, layout, walks=60)
    check = jsonschema.Draft202012Validator(schema)
    for value in PROBES + [[p] for p in PROBES] + [{"href": p, "id": p, "scopes": [p]} for p in PROBES]:
        text = json.dumps(value, ensure_ascii=False, **LAYOUTS[layout]).encode()
        assert not dfa.matches(text) or check.is_valid(value), (schema, value)


@pytest.mark.parametrize("schema", BENCH_ONE_OFS[:2], ids=["href", "id"])
def test_bench_one_ofs_compile_and_keep_their_ascii_values(schema):
    name, one_of = next(iter(schema["properties"].items()))
    dfa = compile_quietly(schema)
    check = jsonschema.Draft202012Validator(schema)
    for value in ["http://x", "./y", "a" * 24, "q", "", "hello"]:
        expected = check.is_valid({name: value})
        assert dfa.matches(json.dumps({name: value}).encode()) == expected, (value, one_of)


def test_complements_leave_out_non_ascii_strings_with_a_warning():
    with pytest.warns(UserWarning, match="strings to printable ASCII"):
        dfa = automaton.compile_dfa(schema={"type": "string", "not": {"pattern": "^a$"}})
    assert dfa.matches(b'"b"') and not dfa.matches(b'"a"')
    assert not dfa.matches('"é"'.encode()) and not dfa.matches(b'"a\\n"')


def test_patterns_without_strings_keep_the_full_universe():
    schema = {"not": {"type": "integer", "pattern": "^a$"}}
    translator = Translator(schema, Layout.of("spaced"), 3, True)
    with composing(20000, Deadline(None)):
        exact = algebra.exact_language(translator, schema["not"], "/not")
    assert exact is not None and exact.domain is domains.FULL
