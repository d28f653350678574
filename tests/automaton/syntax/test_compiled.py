"""`automaton.syntax.compiled.pattern_text`: a compiled `re` / `regex` pattern, flags included,
as pattern text that means what the compiled object's `fullmatch` matches.

Oracle: the compiled object itself (`compiled.fullmatch(text)`), on every text up to length two
over an alphabet of the characters where the engines' readings differ (case partners outside
ASCII such as the Kelvin sign and the long s, Unicode digits and spaces), on texts built to match
random patterns, and for one-character patterns on every code point.
"""
from __future__ import annotations

import contextlib
import functools
import io
import itertools
import re
import warnings

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import automaton
from automaton import UnsupportedRegexError
from automaton.syntax.compiled import pattern_text
from tests.automaton.dfa.test_properties import bodies

regex = pytest.importorskip("regex")

SPECIAL = ["a", "A", "k", "K", "\u212a", "s", "S", "\u017f", "i", "I", "\u0130", "\u0131", "é", "É", "ß", "5",
           "\u0663", "_", " ", "\u3000", "\n", "\x85", "-", "日", "y", "E", "n", "o", "x", "b", "\u00b5", "\u03bc"]
TEXTS = ["".join(t) for n in range(3) for t in itertools.product(SPECIAL, repeat=n)]
SOURCES = [
    "(?i)yes|no", "yes|no", "[a-z]+", r"\d+", r"\w+", r"\s*x", r"[^\W\d]+", "(?i)[^k]", "(?i)é", r"\D",
    r"[^\s]", "a.b", "(?s)a.b", "^a$", "(?m)^a$", "(?i)(?s).", r"\S+", r"(?i:s)S", r"(?-i:k)K?", "[α-ω]",
    r"(?u)\w",
]
# Flag sets by name: the modules' ASCII bits differ (re.ASCII is regex.VERSION1).
FLAG_SETS = ["", "I", "SM", "A", "IA", "IS"]


def _flags(engine, names: str) -> int:
    value = 0
    for name in names:
        value |= int(getattr(engine, name))
    return value


def _compile(engine, source: str, names: str):
    return engine.compile(source, _flags(engine, names))


def assert_same_language(compiled, texts) -> str:
    text = pattern_text(compiled)
    dfa = automaton.compile_dfa(text)
    for candidate in texts:
        expected = compiled.fullmatch(candidate) is not None
        assert dfa.matches(candidate.encode()) == expected, (compiled, text[:200], candidate)
    return text


@pytest.mark.parametrize("engine", [re, regex], ids=["re", "regex"])
@pytest.mark.parametrize("flags", FLAG_SETS)
@pytest.mark.parametrize("source", SOURCES)
def test_compiled_pattern_flags_are_translated(engine, source, flags):
    if "A" in flags and "(?u)" in source:
        with pytest.raises(Exception, match="incompatible"):
            _compile(engine, source, flags)  # both engines refuse it themselves
        return
    assert_same_language(_compile(engine, source, flags), TEXTS)


def test_compiled_pattern_flags_are_translated_readably_where_the_language_is_the_same():
    assert pattern_text(re.compile("ab", re.I | re.A)) == "(?i)ab"
    assert pattern_text(re.compile("a.b", re.S)) == "(?s)a.b"
    assert pattern_text(re.compile("a", re.M | re.S)) == "(?ms)a"
    assert pattern_text(re.compile("[0-9]+")) == "[0-9]+"
    assert pattern_text(regex.compile("(?i)[0-9]+")) == "(?i)(?i)[0-9]+"  # no letter: the same with Unicode
    assert pattern_text(re.compile(r"(?i)\d", re.A)) == r"(?i)(?i)\d"
    # Unicode case partners of ASCII letters: written out.
    assert pattern_text(regex.compile("(?i)yes|no")) == "[Yy][Ee][Ssſ]|[Nn][Oo]"
    assert pattern_text(re.compile("(?i)k")) == "[Kk\u212a]"


def test_compiled_pattern_debug_and_default_flags_pass():
    with contextlib.redirect_stdout(io.StringIO()):  # DEBUG prints the compiled code
        compiled = [re.compile("ab", re.DEBUG), regex.compile("ab", regex.V0 | regex.DEBUG)]
    assert [pattern_text(c) for c in compiled] == ["ab", "ab"]
    assert pattern_text(regex.compile("ab", regex.V0)) == "ab"


@pytest.mark.parametrize(
    ("make", "flag"),
    [
        (lambda: re.compile("a b", re.X), "re.VERBOSE"),
        (lambda: re.compile("(?x)a b"), "re.VERBOSE"),
        (lambda: regex.compile("a", regex.V1), "regex.VERSION1"),
        (lambda: regex.compile("(?V1)a"), "regex.VERSION1"),
        (lambda: regex.compile("a", regex.WORD), "regex.WORD"),
        (lambda: regex.compile("a", regex.REVERSE), "regex.REVERSE"),
        (lambda: regex.compile("a", regex.POSIX), "regex.POSIX"),
        (lambda: regex.compile("a", regex.BESTMATCH), "regex.BESTMATCH"),
        (lambda: regex.compile("a", regex.ENHANCEMATCH), "regex.ENHANCEMATCH"),
        (lambda: regex.compile("a", regex.FULLCASE | regex.I), "regex.FULLCASE"),
        (lambda: regex.compile("a b", regex.X), "regex.VERBOSE"),
    ],
)
def test_compiled_pattern_flags_without_equivalent_are_refused_naming_the_flag(make, flag):
    with pytest.raises(UnsupportedRegexError) as caught:
        pattern_text(make())
    assert flag in caught.value.construct
    assert flag in str(caught.value)


@pytest.mark.parametrize(
    ("source", "construct", "position"),
    [
        ("a{e<=1}", "literal {", 1),          # fuzzy matching in regex, a literal in re
        ("x{e}", "literal {", 1),
        ("[[:alpha:]]+", "[ inside a character class", 1),   # a POSIX class in regex
        ("[a[:digit:]]", "[ inside a character class", 2),
        ("[a&&b]", "&& inside a character class", 2),        # set operations (regex.V1)
        ("[a||b]", "|| inside a character class", 2),
    ],
)
def test_compiled_regex_module_constructs_read_otherwise_are_refused(source, construct, position):
    with pytest.raises(UnsupportedRegexError) as caught:
        pattern_text(regex.compile(source))
    assert caught.value.construct == construct
    assert caught.value.position == position
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)  # re's "possible nested set" and the like
        compiled = re.compile(source)  # re reads them (otherwise): the same text from `re` is accepted
        assert_same_language(compiled, TEXTS + ["a{e<=1}", "x{e}", "[:", "a]", ":]"])


@pytest.mark.parametrize("engine", [re, regex], ids=["re", "regex"])
def test_compiled_pattern_scoped_ascii_or_unicode_flag_is_read_or_refused(engine):
    """A scoped `(?u:...)` / `(?a:...)` that agrees with the pattern's own reading is read; one
    that switches it for part of the pattern is refused, naming it."""
    assert_same_language(_compile(engine, r"(?u:\d)x", ""), TEXTS + ["5x", "\u0663x"])
    assert_same_language(_compile(engine, r"(?a:\d)x", "A"), TEXTS + ["5x", "\u0663x"])
    for source, flags, construct in [(r"(?a:\d)x", "", "(?a:...)"), (r"(?u:\d)x", "A", "(?u)")]:
        with pytest.raises(UnsupportedRegexError) as caught:
            pattern_text(_compile(engine, source, flags))
        assert construct in caught.value.construct
        assert caught.value.position == 0


def test_compiled_regex_module_only_syntax_is_refused():
    with pytest.raises(UnsupportedRegexError) as caught:
        pattern_text(regex.compile(r"a\p{L}"))
    assert caught.value.construct.startswith("regex-module syntax")
    assert caught.value.position == 1


def test_compiled_pattern_other_objects_are_refused():
    with pytest.raises(TypeError, match="bytes"):
        pattern_text(re.compile(b"a"))
    with pytest.raises(TypeError, match="not a compiled"):
        pattern_text("a")


# -- every code point, for one-character patterns ---------------------------------------------------

_CODE_POINTS = np.array([c for c in range(0x110000) if not 0xD800 <= c <= 0xDFFF], dtype=np.int64)
_EVERY_CHARACTER = [chr(c) for c in _CODE_POINTS.tolist()]


@functools.cache
def _utf8_of_every_code_point() -> tuple[np.ndarray, np.ndarray]:
    """(UTF-8 bytes of each code point, zero-padded to 4; their lengths)."""
    encoded = [char.encode() for char in _EVERY_CHARACTER]
    lengths = np.array([len(e) for e in encoded])
    padded = np.zeros((len(encoded), 4), dtype=np.uint8)
    flat = np.frombuffer(b"".join(encoded), dtype=np.uint8)
    rows = np.repeat(np.arange(len(encoded)), lengths)
    columns = np.arange(len(flat)) - np.repeat(np.cumsum(lengths) - lengths, lengths)
    padded[rows, columns] = flat
    return padded, lengths


def _accepted_code_points(dfa) -> np.ndarray:
    """The code points whose UTF-8 encoding the DFA accepts, walked for all at once."""
    padded, lengths = _utf8_of_every_code_point()
    state = np.full(len(lengths), dfa.initial_state, dtype=np.int64)
    for column in range(4):
        active = lengths > column
        state[active] = dfa.table[state[active], dfa.byte_classes[padded[active, column]]]
    return _CODE_POINTS[np.asarray(dfa.accepting)[state]]


@pytest.mark.parametrize("engine", [re, regex], ids=["re", "regex"])
@pytest.mark.parametrize(
    ("source", "flags"),
    [(r"\w", ""), (r"\W", "I"), ("[^k]", "I"), ("s", "I"), (r"[^\d\s]", ""), ("[^a-zé]", "I"), (r"\D", "AI")],
)
def test_compiled_pattern_flags_are_translated_for_every_code_point(engine, source, flags):
    compiled = _compile(engine, source, flags)
    dfa = automaton.compile_dfa(pattern_text(compiled))
    expected = [ord(char) for char in _EVERY_CHARACTER if compiled.fullmatch(char)]
    assert _accepted_code_points(dfa).tolist() == expected


# -- random patterns ----------------------------------------------------------------------------

texts = st.text(alphabet=st.sampled_from(SPECIAL + ["c", "1", "\t", "Ω", "ω"]), max_size=5)


@settings(max_examples=120, deadline=None, database=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(
    body_and_match=bodies,
    engine=st.sampled_from([re, regex]),
    flags=st.sampled_from(FLAG_SETS),
    others=st.lists(texts, min_size=3, max_size=6),
)
def test_compiled_pattern_flags_are_translated_on_random_patterns(body_and_match, engine, flags, others):
    body, match = body_and_match
    compiled = _compile(engine, body, flags)
    assert_same_language(compiled, [match, match.swapcase(), match.upper(), *others])
