"""Every error compile_dfa raises: its class, its attributes and its message.

Positions are checked against an independent source: `re.error.pos` for syntax errors, the
offset of the offending text in the pattern for refused constructs.
"""
from __future__ import annotations

import re
import unicodedata

import pytest

import automaton
from automaton import (
    AutomatonError,
    CompileTimeoutError,
    EmptyLanguageError,
    RegexSyntaxError,
    TooManyStatesError,
    UnsupportedRegexError,
)
from automaton.syntax.parser import parse_prepared
from automaton.syntax.preparse import Prepared


def display_width(text: str) -> int:
    """Terminal cells `text` takes: 2 for wide and full-width characters, 0 for combining marks."""
    return sum(
        0 if unicodedata.combining(c) else 2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text
    )


def caret_column(message: str) -> int:
    """Column of the caret in the message, relative to the reprinted pattern's first column."""
    lines = message.splitlines()
    caret_line = lines[-1]
    assert caret_line.strip() == "^", message
    pattern_line = lines[-2]
    indent = len(pattern_line) - len(pattern_line.lstrip(" "))
    return caret_line.index("^") - indent


@pytest.mark.parametrize(
    "pattern",
    [
        "a(b", "a)b", "[a-", "[z-a]", "a**", "x{3,2}", "\\", "(?P<1>a)", "\\q", "*a", "a|*", "(?<name>a)", "\\x4",
        "[\\8]",
    ],
)
def test_syntax_errors_carry_re_position_and_caret(pattern):
    with pytest.raises(re.error) as reference:
        re.compile(pattern)
    with pytest.raises(RegexSyntaxError) as caught:
        automaton.compile_dfa(pattern)
    error = caught.value
    assert isinstance(error, AutomatonError) and isinstance(error, ValueError)
    assert error.pattern == pattern
    assert error.position == reference.value.pos
    message = str(error)
    assert f"at position {error.position}" in message
    assert pattern in message.splitlines()[-2]  # shown as typed
    assert caret_column(message) == display_width(pattern[: error.position])


def test_caret_sits_under_the_error_in_a_non_ascii_pattern():
    pattern = "日本(語"
    with pytest.raises(RegexSyntaxError) as caught:
        automaton.compile_dfa(pattern)
    assert caught.value.position == 2
    lines = str(caught.value).splitlines()
    assert lines[-2].strip() == pattern  # shown as typed, not escaped
    # Two wide characters before the "(": the caret stands 4 cells in.
    assert caret_column(str(caught.value)) == display_width("日本") == 4


def test_interegular_failures_are_mapped_back_to_the_pattern():
    # Text that reaches interegular unchanged; its parser stops at the stray ")" (offset 3 here,
    # whose origin in the original pattern is offset 5).
    prepared = Prepared(text="ab()c)d", origins=(0, 1, 2, 3, 4, 5, 6, 7), atoms={})
    with pytest.raises(RegexSyntaxError) as caught:
        parse_prepared("ab()c)d", prepared)
    assert caught.value.position == 5
    assert caret_column(str(caught.value)) == 5

    shifted = Prepared(text="a)", origins=(4, 9, 10), atoms={})
    with pytest.raises(RegexSyntaxError) as caught:
        parse_prepared("[xy]a..)", shifted)
    assert caught.value.position == 9


@pytest.mark.parametrize(
    ("pattern", "construct", "offending"),
    [
        (r"(a)b\1", "backreference", r"\1"),
        (r"(?P<x>a)(?P=x)", "backreference", "(?P=x)"),
        (r"a(?=b)", "lookahead", "(?="),
        (r"a(?!b)c", "lookahead", "(?!"),
        (r"x(?<=a)b", "lookbehind", "(?<="),
        (r"(?<!a)b", "lookbehind", "(?<!"),
        (r"\bword", "word boundary", r"\b"),
        (r"a\Bb", "word boundary", r"\B"),
        (r"(a)?(?(1)b|c)", "conditional", "(?(1"),
        (r"a^b", "anchor ^", "^"),
        (r"a$b", "anchor $", "$"),
        (r"a\Ab", "anchor \\A", r"\A"),
        (r"a\Zb", "anchor \\Z", r"\Z"),
        (r"a*+", "possessive", "+"),
        (r"a{2}+b", "possessive", "+"),
        (r"(?>ab)", "atomic group", "(?>"),
        (r"(?x)a b", "verbose", "(?x)"),
        (r"(?u)\w", "(?u)", "(?u)"),
    ],
)
def test_unsupported_constructs_are_named_with_their_position(pattern, construct, offending):
    re.compile(pattern)  # valid Python syntax: refused for what it means, not how it is written
    with pytest.raises(UnsupportedRegexError) as caught:
        automaton.compile_dfa(pattern)
    error = caught.value
    assert isinstance(error, AutomatonError)
    assert construct in error.construct
    assert error.pattern == pattern
    assert error.position == pattern.index(offending, 1 if offending in "^$+" else 0)
    assert construct in str(error)
    assert caret_column(str(error)) == display_width(pattern[: error.position])


@pytest.mark.parametrize("pattern", [r"^abc", r"abc$", r"^abc$", r"\Aabc\Z", r"(?i)^abc$"])
def test_leading_and_trailing_anchors_are_accepted(pattern):
    dfa = automaton.compile_dfa(pattern)
    assert dfa.matches(b"abc") == bool(re.fullmatch(pattern, "abc", re.ASCII))
    assert not dfa.matches(b"abcabc")


@pytest.mark.parametrize("pattern", [r"a|^b", r"(^a)", r"(a$)", r"^abc$|^def$", r"(?:^ab)", r"a$|z", r"(aa$)?"])
def test_anchors_at_an_edge_of_every_branch_are_accepted_and_agree_with_re(pattern):
    dfa = automaton.compile_dfa(pattern)
    for text in ["", "a", "b", "z", "ab", "aa", "abc", "def", "a\n", "aaa"]:
        assert dfa.matches(text.encode()) == bool(re.fullmatch(pattern, text, re.ASCII)), (pattern, text)


@pytest.mark.parametrize(
    "pattern",
    [r"a[^\x00-\U0010FFFF]b", r"[^\s\S]", r"[\ud800-\udfff]", r"(x|[^\d\D])y[\ud800]", r"(?i)[^\w\W]+"],
)
def test_patterns_matching_nothing_raise_empty_language(pattern):
    with pytest.raises(EmptyLanguageError) as caught:
        automaton.compile_dfa(pattern)
    assert isinstance(caught.value, AutomatonError)
    assert repr(pattern) in str(caught.value)


def test_state_explosion_stops_at_the_default_limit():
    assert automaton.DEFAULT_MAX_STATES == 100_000
    with pytest.raises(TooManyStatesError) as caught:
        automaton.compile_dfa(r"[ab]*a[ab]{20}")
    assert caught.value.max_states == automaton.DEFAULT_MAX_STATES
    assert "max_states" in str(caught.value)


def test_state_limit_is_an_argument_and_counts_the_dead_state():
    pattern = r"[ab]*a[ab]{3}"  # 2**4 live states plus the dead state
    assert automaton.compile_dfa(pattern, max_states=17).num_states == 17
    with pytest.raises(TooManyStatesError) as caught:
        automaton.compile_dfa(pattern, max_states=16)
    assert caught.value.max_states == 16


def test_huge_repeat_counts_are_refused_before_building():
    with pytest.raises(TooManyStatesError, match="NFA states"):
        automaton.compile_dfa(r"(a{1000}){1000}")
    with pytest.raises(TooManyStatesError):
        automaton.compile_dfa(r"x{4294967294}")


def test_time_budget_raises_compile_timeout():
    with pytest.raises(CompileTimeoutError) as caught:
        automaton.compile_dfa(r"[ab]*a[ab]{24}", max_states=10**8, time_budget=0.05)
    assert isinstance(caught.value, AutomatonError)
    assert "time budget" in str(caught.value)


@pytest.mark.parametrize(
    ("kwargs", "error"),
    [
        ({"max_states": 1}, ValueError),
        ({"max_states": 2.5}, ValueError),
        ({"max_states": True}, ValueError),
        ({"time_budget": 0}, ValueError),
        ({"time_budget": -1.0}, ValueError),
    ],
)
def test_bad_arguments_are_refused(kwargs, error):
    with pytest.raises(error):
        automaton.compile_dfa("a", **kwargs)


def test_deep_nesting_is_refused_cleanly():
    pattern = "(" * 300 + "a" + ")" * 300
    re.compile(pattern)
    with pytest.raises(UnsupportedRegexError, match="nested too deeply"):
        automaton.compile_dfa(pattern)
    with pytest.raises(UnsupportedRegexError, match="nested too deeply"):
        automaton.compile_dfa("(" * 5000 + "a" + ")" * 5000)  # deep enough for `re` itself to give up
    assert automaton.compile_dfa("(" * 60 + "a" + ")" * 60).matches(b"a")


def test_pattern_must_be_text():
    with pytest.raises(TypeError, match="str"):
        automaton.compile_dfa(b"abc")
