"""Random small patterns, built from a grammar of regex pieces, against Python's `re`.

Pieces: literals (ASCII and not), classes and negated classes, `\\d \\w \\s` and their
negations, `.`, escapes, groups, alternation, `? * + {m} {m,n} {m,} {,n}` (greedy and lazy),
inline flags `(?i) (?s)` (global and scoped), leading `^` and trailing `$`. For each pattern,
`compile_dfa` must agree with `re.fullmatch(pattern, text, re.ASCII)` on random texts and on a
text built alongside the pattern so that it matches (checked with `re`), plus two near misses of
it. Texts stay short: `re` backtracks, and nested repeats make it exponential on long texts
(which is also why hypothesis's `from_regex`, whose output `re` re-checks, is not used here).

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
# (class, some characters in it): the characters build texts known to match.
CLASSES = [
    (r"[abc]", "abc"), (r"[^ab]", "cxZ1 é日"), (r"[a-c]", "abc"), (r"[^a-cé]", "dX_😀"), (r"[α-ω]", "αβω"),
    (r"[^α-ω\n]", "aΩ日"), (r"\d", "0159"), (r"\w", "aZ_5"), (r"\s", " \t\n"), (r"\D", "a é"), (r"\W", " -é"),
    (r"\S", "a-日"), (r".", "a é😀"), (r"[^\x00-\x7f]", "é日😀"), (r"[A-Za-z]", "aZ"), (r"[日😀]", "日😀"),
    (r"[\u00e0-\u00ff]", "àéÿ"), (r"[-a]", "-a"), (r"[]b]", "]b"), (r"\x41", "A"), (r"\u00e9", "é"),
    (r"[\w\-]", "a-_"), (r"[^\d\s]", "a-é"), (r"[\U0001F600-\U0001F64F]", "😀🙏"),
]
# quantifier -> (min, max) repetitions used to build matching texts (texts stay short)
QUANTIFIERS = {"?": (0, 1), "*": (0, 2), "+": (1, 2), "??": (0, 1), "*?": (0, 2), "+?": (1, 2), "{2}": (2, 2),
               "{0,2}": (0, 2), "{1,3}": (1, 2), "{2,}": (2, 3), "{,2}": (0, 2), "{1,2}?": (1, 2), "{0}": (0, 0)}
SCOPED_FLAGS = ["(?i:", "(?s:", "(?-i:", "(?is:", "(?:", "("]

# Strategies of (pattern, a text that matches it), built side by side.
literals = st.sampled_from(CHARS).map(lambda char: (re.escape(char), char))
classes = st.sampled_from(CLASSES).flatmap(lambda entry: st.sampled_from(entry[1]).map(lambda char: (entry[0], char)))


def _concat(pieces):
    return "".join(p for p, _ in pieces), "".join(t for _, t in pieces)


def _alternation(pieces_and_choice):
    pieces, choice = pieces_and_choice
    return "(?:" + "|".join(p for p, _ in pieces) + ")", pieces[choice % len(pieces)][1]


def _repeat(piece_quantifier_count):
    (pattern, text), quantifier, extra = piece_quantifier_count
    low, high = QUANTIFIERS[quantifier]
    return "(?:" + pattern + ")" + quantifier, text * min(low + extra, high)


def _extend(children):
    return st.one_of(
        st.lists(children, min_size=2, max_size=3).map(_concat),
        st.tuples(st.lists(children, min_size=2, max_size=3), st.integers(0, 2)).map(_alternation),
        st.tuples(children, st.sampled_from(sorted(QUANTIFIERS)), st.integers(0, 1)).map(_repeat),
        st.tuples(st.sampled_from(SCOPED_FLAGS), children).map(lambda t: (t[0] + t[1][0] + ")", t[1][1])),
    )


bodies = st.recursive(literals | classes, _extend, max_leaves=8)
patterns_with_matches = st.tuples(
    st.sampled_from(["", "", "", "(?i)", "(?s)", "(?is)", "^", "(?i)^"]), bodies, st.sampled_from(["", "", "$"])
).map(lambda t: (t[0] + t[1][0] + t[2], t[1][1]))
texts = st.text(alphabet=st.sampled_from(CHARS + ["C", "2", "ω", "\t"]), max_size=8)

tried = {"patterns": 0, "texts": 0, "matches": 0}


@pytest.fixture(scope="module", autouse=True)
def report_count(request):
    yield
    line = (
        f"dfa/test_properties: {tried['patterns']} random patterns, {tried['texts']} texts compared with re "
        f"({tried['matches']} of them matches)"
    )
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
        assert tried["matches"] >= tried["patterns"], line


@settings(max_examples=EXAMPLES, deadline=None, database=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much])
@given(pattern_and_match=patterns_with_matches, others=st.lists(texts, min_size=4, max_size=8))
def test_random_patterns_agree_with_re(pattern_and_match, others):
    pattern, match = pattern_and_match
    compiled_re = re.compile(pattern, re.ASCII)
    assert compiled_re.fullmatch(match), f"test generator error: {match!r} should match {pattern!r}"
    dfa = automaton.compile_dfa(pattern)
    tried["patterns"] += 1
    for text in [match, match + match[:1], match[1:], *others]:
        expected = compiled_re.fullmatch(text) is not None
        assert dfa.matches(text.encode("utf-8")) == expected, (pattern, text)
        tried["texts"] += 1
        tried["matches"] += expected
