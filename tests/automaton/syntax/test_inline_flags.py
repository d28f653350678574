"""Leading inline-flag groups: every one applies, however many there are, in whatever order, with
comments between (`(?i)(?s)a` matches `A`; `(?s)(?i).` matches a newline).

Oracle: `re.fullmatch(pattern, text, re.ASCII)` on every text of a small alphabet up to length
three (every flag group order and grouping, over bodies where each flag changes the language),
and on random bodies from the grammar of `tests/automaton/dfa/test_properties.py` with random
flag groups and comments.
"""
from __future__ import annotations

import itertools
import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import automaton
from tests.automaton.dfa.test_properties import CHARS, bodies

FLAGS = "ism"


def _flag_prefixes() -> list[str]:
    """Every way to write a subset of `FLAGS` as leading groups: each subset, each order of its
    letters, cut into consecutive groups anywhere (`(?is)`, `(?i)(?s)`, `(?s)(?i)`, ...)."""
    prefixes = {""}
    for size in range(1, len(FLAGS) + 1):
        for letters in itertools.permutations(FLAGS, size):
            for cuts in itertools.product((False, True), repeat=size - 1):
                groups, current = [], letters[0]
                for letter, cut in zip(letters[1:], cuts):
                    if cut:
                        groups.append(current)
                        current = letter
                    else:
                        current += letter
                groups.append(current)
                prefixes.add("".join(f"(?{group})" for group in groups))
    return sorted(prefixes)


PREFIXES = _flag_prefixes()
# Bodies where (?i) or (?s) changes the language (and (?m) may not: anchors at the edges only).
BODIES = ["a", "A", ".", "a.", "^a$", "^.", ".$", "(?-i:a)", "(?-s:.)", "[a-b]", "\n?a", "(?i:a)|.", "[^a]"]
ALPHABET = ["a", "A", "b", "B", "\n"]
TEXTS = ["".join(t) for n in range(4) for t in itertools.product(ALPHABET, repeat=n)]


def test_flag_prefixes_cover_every_order_and_grouping():
    assert len(PREFIXES) == 1 + 3 * 1 + 3 * (2 * 2) + 6 * 4  # 40: by subset size, letter order, cuts
    assert {"(?i)(?s)", "(?s)(?i)", "(?is)", "(?si)", "(?m)(?s)(?i)", "(?ims)"} <= set(PREFIXES)


@pytest.mark.parametrize("body", BODIES)
def test_several_leading_inline_flag_groups_all_apply(body):
    for prefix in PREFIXES:
        for comment in ("", "(?#c)"):
            # A comment before, between and after the groups.
            pattern = comment + prefix.replace(")(", ")" + comment + "(") + comment + body
            compiled = re.compile(pattern, re.ASCII)
            dfa = automaton.compile_dfa(pattern)
            for text in TEXTS:
                expected = compiled.fullmatch(text) is not None
                assert dfa.matches(text.encode()) == expected, (pattern, text)


def test_several_leading_inline_flag_groups_the_issues_examples():
    assert automaton.compile_dfa("(?i)(?s)a").matches(b"A")
    assert automaton.compile_dfa("(?s)(?i).").matches(b"\n")
    assert automaton.compile_dfa("(?i)(?#c)(?s).").matches(b"\n")
    assert automaton.compile_dfa("(?i)(?#c)(?s)a").matches(b"A")


flag_groups = st.lists(
    st.tuples(st.sampled_from(["(?#x)", ""]), st.permutations(FLAGS).flatmap(
        lambda letters: st.integers(1, 3).map(lambda n: "(?" + "".join(letters[:n]) + ")")
    )),
    max_size=4,
).map(lambda groups: "".join(comment + group for comment, group in groups))
texts = st.text(alphabet=st.sampled_from(CHARS + ["C", "\t"]), max_size=6)


@settings(max_examples=150, deadline=None, database=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(prefix=flag_groups, body_and_match=bodies, others=st.lists(texts, min_size=3, max_size=6))
def test_several_leading_inline_flag_groups_on_random_bodies(prefix, body_and_match, others):
    body, match = body_and_match
    pattern = prefix + body
    compiled = re.compile(pattern, re.ASCII)
    dfa = automaton.compile_dfa(pattern)
    swapped = match.swapcase()
    for text in [match, swapped, match.replace("a", "\n"), *others]:
        assert dfa.matches(text.encode()) == (compiled.fullmatch(text) is not None), (pattern, text)
