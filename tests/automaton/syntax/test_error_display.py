"""Error messages reprint the pattern as typed (`\\d` stays `\\d`, `é` stays `é`; only characters
that are not printable, such as a newline, are escaped) with the caret under the offending
character, counted in terminal cells (a wide East Asian character or emoji takes two, a
combining mark none).

Oracle: patterns built from pieces whose shown text and width are written down here, next to
the offset (Python's own `re.error.pos`, or the offset of the refused construct) of the problem.
"""
from __future__ import annotations

import re

import pytest

import automaton
from automaton import RegexSyntaxError, UnsupportedRegexError

# piece as typed -> (how it is shown, its width in terminal cells)
PIECES = {
    r"\d": (r"\d", 2),
    r"\xe9": (r"\xe9", 4),
    "é": ("é", 1),
    "e\u0301": ("e\u0301", 1),    # e and a combining acute accent
    "日本": ("日本", 4),
    "😀": ("😀", 2),
    "\n": (r"\n", 2),
    "\t": (r"\t", 2),
    "\x00": (r"\x00", 4),
    "\u2028": (r"\u2028", 6),     # a line separator: it would break the line
    "\u200b": (r"\u200b", 6),     # a zero-width space: invisible
    "\\\\": ("\\\\", 2),           # an escaped backslash, as typed
    "[α-ω]": ("[α-ω]", 5),
    " ": (" ", 1),
}
# offending tails, each refused at its first character
TAILS = {"(": RegexSyntaxError, "(?<=a)b": UnsupportedRegexError, r"\b": UnsupportedRegexError}


def shown_lines(message: str) -> tuple[str, int]:
    """(the reprinted pattern, the caret's column relative to it) of an error message."""
    *_, pattern_line, caret_line = message.splitlines()
    assert caret_line.strip() == "^", message
    indent = len(pattern_line) - len(pattern_line.lstrip(" "))
    return pattern_line[indent:], caret_line.index("^") - indent


@pytest.mark.parametrize("tail", sorted(TAILS))
@pytest.mark.parametrize("pieces", [
    [r"\d"], [r"\xe9"], ["é"], ["e\u0301"], ["日本"], ["😀"], ["\n"], ["\t", "\x00"], ["\u2028"], ["\u200b"],
    ["\\\\"], ["[α-ω]", " "], [r"\d", "é", "日本", "😀", "\n", "e\u0301", "\\\\"], [],
])
def test_error_message_shows_the_pattern_as_typed(pieces, tail):
    pattern = "".join(pieces) + tail
    with pytest.raises(TAILS[tail]) as caught:
        automaton.compile_dfa(pattern)
    error = caught.value
    expected_position = len("".join(pieces))
    if TAILS[tail] is RegexSyntaxError:
        with pytest.raises(re.error) as python:
            re.compile(pattern)
        assert python.value.pos == expected_position
    assert error.position == expected_position
    shown, column = shown_lines(str(error))
    assert shown == "".join(PIECES[piece][0] for piece in pieces) + tail
    assert column == sum(PIECES[piece][1] for piece in pieces)


def test_error_message_shows_the_pattern_as_typed_the_issues_examples():
    with pytest.raises(UnsupportedRegexError) as caught:
        automaton.compile_dfa(r"\d+é(?=x)")
    shown, column = shown_lines(str(caught.value))
    assert shown == r"\d+é(?=x)"  # was \\d+\xe9(?=x)
    assert shown[column] == "("   # one cell per character here


def test_error_message_without_a_position_shows_the_pattern_as_typed():
    error = UnsupportedRegexError("é\\d\n", "something")
    assert str(error).splitlines()[-1].strip() == r"é\d\n"
