"""Random small patterns, built from a grammar of regex pieces, against Python's `re`.

Pieces: literals (ASCII and not), classes and negated classes, `\\d \\w \\s` and their
negations, `.`, escapes, groups, alternation, `? * + {m} {m,n} {m,} {,n}` (greedy and lazy),
inline flags `(?i) (?s)` (global and scoped), leading `^` and trailing `$`. For each pattern,
`compile_dfa` must agree with `re.fullmatch(pattern, text, re.ASCII)` on random texts and on
texts hypothesis generates from the pattern. Texts stay short: `re` backtracks, and nested
repeats would make it exponential on long ones.

Patterns per run: 150 by default, 5000 with AUTOMATON_LONG_TESTS=1. The number tried is
printed at the end of the module.
"""
from __future__ import annotations

import os
import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import automaton

LONG = os.environ.get("AUTOMATON_LONG_TESTS") == "1"
EXAMPLES = 5000 if LONG else 150

CHARS = ["a", "b", "c", "A", "B", "x", "1", "_", " ", "\n", "-", ".", "é", "É", "日", "😀", "α", "Ω"]
CLASSES = [
    r"[abc]", r"[^ab]", r"[a-c]", r"[^a-cé]", r"[α-ω]", r"[^α-ω\n]", r"\d", r"\w", r"\s", r"\D", r"\W",
    r"\S", r".", r"[^\x00-\x7f]", r"[A-Za-z]", r"[日😀]", r"[\u00e0-\u00ff]", r"[-a]", r"[]b]", r"\x41",
    r"\u00e9", r"[\w\-]", r"[^\d\s]", r"[\U0001F600-\U0001F64F]",
]
QUANTIFIERS = ["?", "*", "+", "??", "*?", "+?", "{2}", "{0,2}", "{1,3}", "{2,}", "{,2}", "{1,2}?", "{0}"]
SCOPED_FLAGS = ["(?i:", "(?s:", "(?-i:", "(?is:", "(?:", "("]

atoms = st.sampled_from(CHARS).map(re.escape) | st.sampled_from(CLASSES)


def _extend(children):
    return st.one_of(
        st.lists(children, min_size=2, max_size=3).map("".join),
        st.lists(children, min_size=2, max_size=3).map(lambda parts: "(?:" + "|".join(parts) + ")"),
        st.tuples(children, st.sampled_from(QUANTIFIERS)).map(lambda t: "(?:" + t[0] + ")" + t[1]),
        st.tuples(st.sampled_from(SCOPED_FLAGS), children).map(lambda t: t[0] + t[1] + ")"),
    )


body = st.recursive(atoms, _extend, max_leaves=8)
patterns = st.tuples(
    st.sampled_from(["", "", "", "(?i)", "(?s)", "(?is)", "^", "(?i)^"]), body, st.sampled_from(["", "", "$"])
).map("".join)
texts = st.text(alphabet=st.sampled_from(CHARS + ["C", "2", "ω", "\t"]), max_size=8)

tried = {"patterns": 0, "texts": 0}


@pytest.fixture(scope="module", autouse=True)
def report_count(request):
    yield
    line = f"test_dfa_properties: {tried['patterns']} random patterns, {tried['texts']} texts compared with re"
    capture = request.config.pluginmanager.getplugin("capturemanager")
    reporter = request.config.pluginmanager.getplugin("terminalreporter")
    if capture is not None and reporter is not None:
        with capture.global_and_fixture_disabled():
            reporter.write_line(line)
    ran = any(item.name == "test_random_patterns_agree_with_re" for item in request.session.items)
    if ran and not request.session.shouldfail:
        # Guards against the property test silently trying (almost) nothing.
        assert tried["patterns"] >= min(EXAMPLES, 50), line
        assert tried["texts"] > tried["patterns"], line


@settings(max_examples=EXAMPLES, deadline=None, database=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much])
@given(pattern=patterns, data=st.data())
def test_random_patterns_agree_with_re(pattern, data):
    compiled_re = re.compile(pattern, re.ASCII)
    dfa = automaton.compile_dfa(pattern)
    candidates = data.draw(st.lists(texts, min_size=4, max_size=8), label="random texts")
    candidates += data.draw(st.lists(st.from_regex(compiled_re, fullmatch=True), min_size=2, max_size=2), label="matches")
    tried["patterns"] += 1
    for text in candidates:
        if len(text) > 16:
            text = text[:16]
        try:
            encoded = text.encode("utf-8")
        except UnicodeEncodeError:
            continue
        tried["texts"] += 1
        assert dfa.matches(encoded) == (compiled_re.fullmatch(text) is not None), (pattern, text)
