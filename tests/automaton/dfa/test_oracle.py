"""compile_dfa against Python's `re` on every pattern of the shared case table.

The oracle is `re.fullmatch(pattern, text, re.ASCII)`. Strings come from the table, from
hypothesis (`from_regex`, so they match) and from mutating those into near misses: characters
deleted, inserted, replaced or doubled, ASCII and non-ASCII alike. Byte-level mutants that are
not valid UTF-8 (truncated characters, stray continuation bytes, overlong forms, surrogates,
code points past U+10FFFF) must never be accepted.

Examples per case: 12 by default, 300 with AUTOMATON_LONG_TESTS=1.
"""
from __future__ import annotations

import functools
import os
import re
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import automaton
from tests.cases import BENCH_PATTERNS, CASES, Case

LONG = os.environ.get("AUTOMATON_LONG_TESTS") == "1"
EXAMPLES = 300 if LONG else 12

INTERESTING_CHARS = ["a", "Z", "0", "9", "_", " ", "\n", "\t", '"', "\\", "-", ".", "\x00", "\x7f",
                     "é", "É", "α", "Ω", "日", "語", "😀", "😃", "\u0800", "\uffff", "\U0010ffff"]
# Byte strings that are never valid UTF-8 wherever they are inserted.
INVALID_PIECES = [b"\x80", b"\xbf", b"\xc0", b"\xc1\xbf", b"\xc0\xaf", b"\xe0\x80\xaf", b"\xed\xa0\x80",
                  b"\xed\xbf\xbf", b"\xf4\x90\x80\x80", b"\xf5", b"\xff", b"\xfe", b"\xe6", b"\xf0\x9f\x98"]


@functools.cache
def compiled(pattern: str) -> automaton.ByteDFA:
    return automaton.compile_dfa(pattern)


@functools.cache
def strings_matching(pattern: str):
    return st.from_regex(re.compile(pattern, re.ASCII), fullmatch=True)


def re_accepts(pattern: str, text: str) -> bool:
    return re.fullmatch(pattern, text, re.ASCII) is not None


def assert_agrees(dfa: automaton.ByteDFA, pattern: str, text: str) -> None:
    try:
        data = text.encode("utf-8")
    except UnicodeEncodeError:  # lone surrogates are not text
        return
    assert dfa.matches(data) == re_accepts(pattern, text), (pattern, text)


def assert_rejects_or_agrees(dfa: automaton.ByteDFA, pattern: str, data: bytes) -> None:
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        assert not dfa.matches(data), (pattern, data)
        return
    assert dfa.matches(data) == re_accepts(pattern, text), (pattern, data)


CASE_IDS = [case.name for case in CASES]


def test_table_is_large_and_varied():
    assert len(CASES) >= 60
    assert set(BENCH_PATTERNS) <= {case.name.removeprefix("bench_") for case in CASES}
    assert all(case.matching and case.non_matching for case in CASES)


def test_bench_patterns_copy_matches_the_benchmarks_file():
    path = Path(__file__).resolve().parents[3] / "bench" / "patterns.py"
    namespace: dict = {}
    exec(compile(path.read_text(), str(path), "exec"), namespace)
    assert BENCH_PATTERNS == namespace["all_patterns"]()


@pytest.mark.parametrize("case", CASES, ids=CASE_IDS)
def test_table_strings_agree_with_re(case: Case):
    for text in case.matching:
        assert re_accepts(case.pattern, text), f"table error: {text!r} should match {case.pattern!r}"
    for text in case.non_matching:
        assert not re_accepts(case.pattern, text), f"table error: {text!r} should not match {case.pattern!r}"
    dfa = compiled(case.pattern)
    for text in case.matching:
        assert dfa.matches(text.encode("utf-8")), text
    for text in case.non_matching:
        assert not dfa.matches(text.encode("utf-8")), text


@pytest.mark.parametrize("case", CASES, ids=CASE_IDS)
@settings(max_examples=EXAMPLES, deadline=None, database=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much])
@given(data=st.data())
def test_generated_strings_and_near_misses_agree_with_re(case: Case, data):
    dfa = compiled(case.pattern)
    text = data.draw(strings_matching(case.pattern), label="matching")
    assert_agrees(dfa, case.pattern, text)

    other_char = st.sampled_from(INTERESTING_CHARS) | st.characters(codec="utf-8")
    position = data.draw(st.integers(0, len(text)), label="position")
    inserted = data.draw(other_char, label="inserted")
    mutants = [
        text[:position] + inserted + text[position:],
        text + inserted,
        inserted + text,
        text[:position] + text[position:] * 2,
    ]
    if text:
        cut = min(position, len(text) - 1)
        mutants += [text[:cut] + text[cut + 1 :], text[:cut] + inserted + text[cut + 1 :], text.swapcase()]
    for mutant in mutants:
        assert_agrees(dfa, case.pattern, mutant)

    encoded = text.encode("utf-8", "surrogatepass")
    byte_position = data.draw(st.integers(0, len(encoded)), label="byte position")
    piece = data.draw(st.sampled_from(INVALID_PIECES), label="invalid piece")
    byte_mutants = [encoded[:byte_position] + piece + encoded[byte_position:], encoded + piece]
    multi_byte_starts = [i for i, byte in enumerate(encoded) if byte >= 0xC0]
    if multi_byte_starts:  # cut a character in half
        start = data.draw(st.sampled_from(multi_byte_starts), label="cut character")
        byte_mutants.append(encoded[: start + 1] + encoded[start + 2 :])
        byte_mutants.append(encoded[: start + 1])
    for mutant in byte_mutants:
        assert_rejects_or_agrees(dfa, case.pattern, mutant)
