"""`\\p{...}` / `\\P{...}` in JSON-schema `pattern`s, and the property tables behind them.

Oracles:
- General categories (built from Python's `unicodedata`) against the `regex` package's own
  tables, over every code point. The two carry different Unicode versions (`unicodedata` 14.0
  on Python 3.11; `regex` is newer), so sets are compared only on the code points assigned in
  both: a code point assigned since has `Cn` in the older table and a real category in the newer.
  Two code points changed category between Unicode 14 and 16 (U+0295 Ll -> Lo, U+1171E Mn -> Mc)
  and are left out too (`RECATEGORISED`); any other difference fails.
- Scripts are built from `regex`, so they are checked against something else: the character
  names of `unicodedata` (a letter named "GREEK ..." has Greek among its Script_Extensions,
  which also holds the few Common letters named so, U+0374 GREEK NUMERAL SIGN; and no letter
  of the Script=Greek set is named after another of the scripts tested).
- Compiled schemas: `ByteDFA.matches` on `json.dumps` of single characters against
  `regex.fullmatch`, and random walks of the DFA validated by `jsonschema` with its `pattern`
  keyword checked by `regex.search` (`jsonschema` itself uses Python's `re`, which has no `\\p`).
- `patterns.pattern_search` (property names against `patternProperties`) against `regex.search`.
"""
from __future__ import annotations

import json
import random
import unicodedata
import warnings

import jsonschema
import numpy as np
import pytest
import regex

import automaton
from automaton import UnsupportedSchemaError
from automaton.json_schema.patterns import pattern_search
from automaton.syntax.charsets import MAX_CODE_POINT, complement, difference, intersection
from automaton.syntax.unicode_properties import (
    UnknownPropertyError,
    general_categories,
    property_code_points,
)
from tests.automaton.json_schema.walks import random_walks

pytestmark = pytest.mark.filterwarnings("ignore:JSON-schema keywords narrowed")

_EVERY = "".join(map(chr, range(MAX_CODE_POINT + 1)))


def _regex_set(escape: str) -> tuple[tuple[int, int], ...]:
    """The code points the `regex` package matches with the one-character regex `escape`."""
    found = regex.compile(f"(?:{escape})+")
    return tuple((m.start(), m.end() - 1) for m in found.finditer(_EVERY))


RECATEGORISED = ((0x0295, 0x0295), (0x1171E, 0x1171E))
ASSIGNED_IN_BOTH = difference(
    intersection(complement(general_categories()["Cn"]), _regex_set(r"\p{Assigned}")), RECATEGORISED
)

# A character on which the two Unicode versions disagree (assigned in one only, or recategorised).
DIFFERS_BETWEEN_VERSIONS = regex.compile(
    "[^" + "".join(f"\\U{lo:08x}-\\U{hi:08x}" for lo, hi in ASSIGNED_IN_BOTH) + r"\p{Cn}]"
)

CATEGORIES = ["Lu", "Ll", "Lt", "Lm", "Lo", "Mn", "Mc", "Me", "Nd", "Nl", "No", "Pc", "Pd", "Ps", "Pe",
              "Pi", "Pf", "Po", "Sm", "Sc", "Sk", "So", "Zs", "Zl", "Zp", "Cc", "Cf", "Co",
              "L", "LC", "M", "N", "P", "S", "Z", "C"]
LONG_NAMES = {"Letter": "L", "Uppercase_Letter": "Lu", "Lowercase_Letter": "Ll", "Decimal_Number": "Nd",
              "Punctuation": "P", "Math_Symbol": "Sm", "Space_Separator": "Zs", "Other": "C",
              "Cased_Letter": "LC", "Nonspacing_Mark": "Mn", "Control": "Cc", "Private_Use": "Co",
              "digit": "Nd", "punct": "P", "uppercase letter": "Lu", "LETTER": "L"}


@pytest.mark.parametrize("name", CATEGORIES)
def test_general_category_matches_regex_package(name):
    ours = intersection(property_code_points(name), ASSIGNED_IN_BOTH)
    theirs = intersection(_regex_set(rf"\p{{{name}}}"), ASSIGNED_IN_BOTH)
    assert ours == theirs, (name, difference(ours, theirs)[:5], difference(theirs, ours)[:5])


def test_unassigned_and_assigned():
    # The older table leaves unassigned at least what the newer one does.
    assert difference(_regex_set(r"\p{Cn}"), property_code_points("Cn")) == ()
    assert property_code_points("Assigned") == complement(property_code_points("Cn"))
    assert property_code_points("Any") == ((0, MAX_CODE_POINT),)
    assert property_code_points("ASCII") == ((0, 0x7F),)


@pytest.mark.parametrize("long_name", sorted(LONG_NAMES))
def test_long_names_and_keyed_forms(long_name):
    short = property_code_points(LONG_NAMES[long_name])
    assert property_code_points(long_name) == short
    assert property_code_points(f"General_Category={long_name}") == short
    assert property_code_points(f"gc={LONG_NAMES[long_name]}") == short


@pytest.mark.parametrize("name", ["Foo", "Script=Foo", "gc=Greek", "Lx", "L}", "", "Alphabetic=Yes"])
def test_unknown_names_raise(name):
    with pytest.raises(UnknownPropertyError, match="unknown Unicode property"):
        property_code_points(name)


def test_categories_are_computed_once():
    general_categories.cache_clear()
    for name in ("Lu", "L", "N", "Nd", "P"):
        property_code_points.cache_clear()
        property_code_points(name)
    assert general_categories.cache_info().misses == 1


# Scripts, checked against character names (independent of the `regex` tables they come from).
SCRIPTS = ["Latin", "Greek", "Cyrillic", "Armenian", "Hebrew", "Arabic", "Thai", "Georgian",
           "Hiragana", "Katakana", "Hangul", "Devanagari"]


def _named_letters(prefix: str) -> set[int]:
    return {code for code in range(MAX_CODE_POINT + 1)
            if unicodedata.category(chr(code)).startswith("L")
            and unicodedata.name(chr(code), "").startswith(prefix + " ")}


@pytest.fixture(scope="module")
def named_letters() -> dict[str, set[int]]:
    return {script: _named_letters(script.upper()) for script in SCRIPTS}


def _contains(ranges, code: int) -> bool:
    return any(lo <= code <= hi for lo, hi in ranges)


@pytest.mark.parametrize("script", SCRIPTS)
def test_scripts_against_character_names(script, named_letters):
    ranges = property_code_points(f"Script={script}")
    assert ranges == property_code_points(f"sc={script.lower()}") == property_code_points(script)
    extensions = property_code_points(f"Script_Extensions={script}")
    assert property_code_points(f"scx={script}") == extensions
    assert difference(ranges, extensions) == ()
    mine = named_letters[script]
    assert len(mine) > 20
    assert [hex(code) for code in sorted(mine) if not _contains(extensions, code)] == []
    assert sum(_contains(ranges, code) for code in mine) > 0.9 * len(mine)
    for other, letters in named_letters.items():
        if other != script:
            assert not [hex(code) for code in letters if _contains(ranges, code)], other


# --- schemas --------------------------------------------------------------------------------------

def _dfa(pattern: str, **keywords):
    return automaton.compile_dfa(schema={"type": "string", "pattern": pattern, **keywords})


def _accepts(dfa, value: str) -> bool:
    return dfa.matches(json.dumps(value, ensure_ascii=False).encode("utf-8"))


def test_capitalised_word():
    dfa = _dfa(r"^\p{Lu}\p{Ll}+$")
    for word in ("Élan", "Σοφία", "Ärger", "Ωmega"):
        assert _accepts(dfa, word), word
    for word in ("élan", "ÉLAN", "É", "E1an", "Élan ", "Él-an"):
        assert not _accepts(dfa, word), word


def _sample_code_points(count: int, seed: int) -> list[int]:
    """Every range boundary of every category, plus random code points (surrogates left out)."""
    rng = random.Random(seed)
    points = {0, 0x7F, 0x80, 0xFFFF, 0x10000, MAX_CODE_POINT}
    for ranges in general_categories().values():
        for lo, hi in ranges:
            points.update((lo, hi, lo - 1, hi + 1))
    points.update(rng.randrange(MAX_CODE_POINT + 1) for _ in range(count))
    return sorted(p for p in points if 0 <= p <= MAX_CODE_POINT and not 0xD800 <= p <= 0xDFFF)


@pytest.mark.parametrize("escape", [r"\p{Lu}", r"\P{L}", r"\p{Nd}", r"[\p{L}0-9_-]", r"[^\p{N}\p{P}]",
                                    r"\p{Letter}", r"[\P{Z}]", r"\p{gc=Sm}", r"[^\P{Ll}]", r"\p{Script=Greek}"])
def test_one_character_against_regex_package(escape):
    dfa = _dfa(f"^{escape}$")
    oracle = regex.compile(escape)
    assigned = ASSIGNED_IN_BOTH
    wrong = []
    for code in _sample_code_points(3000, seed=len(escape)):
        if "Script" not in escape and not _contains(assigned, code):
            continue
        char = chr(code)
        if _accepts(dfa, char) != bool(oracle.fullmatch(char)):
            wrong.append(hex(code))
    assert wrong == []


def test_digit_escape_beside_a_property_is_a_sound_subset():
    # `\d` stays ASCII here (the patterns' rule); the accepted characters are still all matched.
    dfa = _dfa(r"^[\p{L}\d_-]$")
    assert _accepts(dfa, "7") and _accepts(dfa, "ж") and not _accepts(dfa, "\u0660")
    for code in _sample_code_points(3000, seed=1):
        if _accepts(dfa, chr(code)):
            assert regex.fullmatch(r"[\p{L}\d_-]", chr(code)), hex(code)


def _validator(schema: dict):
    """A 2020-12 validator whose `pattern` is checked with `regex.search` (Python's `re` has no `\\p`)."""

    def pattern(validator, value, instance, schema):
        if validator.is_type(instance, "string") and not regex.search(value, instance):
            yield jsonschema.ValidationError(f"{instance!r} does not match {value!r}")

    cls = jsonschema.validators.extend(jsonschema.Draft202012Validator, {"pattern": pattern})
    return cls(schema)


WALKED = [
    {"type": "string", "pattern": r"^\p{Lu}\p{Ll}+$"},
    {"type": "string", "pattern": r"^[\p{L}\d_-]{1,8}$"},
    {"type": "string", "pattern": r"\P{L}"},
    {"type": "string", "pattern": r"^\p{N}+$", "maxLength": 4},
    {"type": "object", "properties": {"name": {"type": "string", "pattern": r"^[\p{Lu}][\p{L}\p{Zs}'-]*$"},
                                      "code": {"type": "string", "pattern": r"^\p{Script=Greek}{2}$"}},
     "required": ["name", "code"], "additionalProperties": False},
]


@pytest.mark.parametrize("index", range(len(WALKED)))
def test_random_walks_validate(index):
    schema = WALKED[index]
    dfa = automaton.compile_dfa(schema=schema)
    check = _validator(schema)
    walks = [json.loads(text.decode("utf-8")) for text in random_walks(dfa, 200, np.random.default_rng(index))]
    # The two Unicode versions agree on a character assigned in both or in neither.
    kept = [value for value in walks if not DIFFERS_BETWEEN_VERSIONS.search(json.dumps(value, ensure_ascii=False))]
    assert len(kept) >= 150
    assert [value for value in kept if not check.is_valid(value)] == []


def test_negated_property_excludes_every_member():
    dfa = _dfa(r"^\P{L}$")
    assert _accepts(dfa, "1") and _accepts(dfa, " ")
    assert not _accepts(dfa, "a") and not _accepts(dfa, "語")


def test_escaped_backslash_is_not_a_property():
    dfa = _dfa(r"^\\p{L}$")
    assert _accepts(dfa, "\\p{L}")
    assert not _accepts(dfa, "a")


def test_placeholders_avoid_code_points_of_the_pattern():
    # U+F0000 written raw and U+F0001 as an escape must keep their own meaning beside a property.
    dfa = _dfa("^\U000F0000\\U000F0001\\p{Lu}$")
    assert _accepts(dfa, "\U000F0000\U000F0001A")
    assert not _accepts(dfa, "\U000F0000\U000F0001\U000F0000")
    assert not _accepts(dfa, "\U000F0000\U000F0001\U000F0001")


@pytest.mark.parametrize(("pattern", "message"), [
    (r"^\p{Foo}$", r"\\p\{Foo\}: unknown Unicode property 'Foo'"),
    (r"\p{Alphabetic}", r"\\p\{Alphabetic\}: unknown Unicode property 'Alphabetic' \(known: General_Category"),
    (r"[\P{Script=Nope}]", r"unknown Unicode property 'Script=Nope'"),
    (r"\pL", r"property name in braces"),
    (r"[a-\p{L}]", r"end of a character range"),
    (r"[\p{L}-z]", r"bad character range \\p\{L\}-z"),
])
def test_refused_patterns_name_the_property_and_pointer(pattern, message):
    schema = {"type": "object", "properties": {"word": {"type": "string", "pattern": pattern}}}
    with pytest.raises(UnsupportedSchemaError, match=message) as caught:
        automaton.compile_dfa(schema=schema)
    assert caught.value.keyword == "pattern"
    assert caught.value.pointer == "/properties/word"


def test_unknown_property_dropped_when_not_strict():
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        dfa = automaton.compile_dfa(schema={"type": "string", "pattern": r"\p{Foo}"}, strict=False)
    assert _accepts(dfa, "anything")
    assert any("Foo" in str(w.message) for w in caught)


def test_json_schema_to_regex_spells_properties_out():
    text = automaton.json_schema_to_regex({"type": "string", "pattern": r"^\p{Lu}$"})
    assert regex.fullmatch(text, '"Ä"') and not regex.fullmatch(text, '"ä"')


@pytest.mark.parametrize("pattern", [r"^\p{Lu}", r"^[\p{Lu}0-9]+$", r"^[^\p{Lu}]$", r"^[]\p{Lu}]$", r"\P{L}",
                                     r"^\\p\{L\}$", r"[\p{Nd}\P{Any}]"])
def test_pattern_search_against_regex_package(pattern):
    names = ["Élan", "élan", "A1Ä", "a", "A", "]", "Ö", "\\p{L}", "7", "٣", "", "ab", "Σ9"]
    for name in names:
        assert pattern_search(pattern, name) == bool(regex.search(pattern, name)), name


def test_pattern_properties_with_properties():
    schema = {"type": "object", "properties": {"Ab": {"type": "string"}, "ab": {"type": "string"}},
              "patternProperties": {r"^\p{Lu}": {"type": "integer"}}}
    dfa = automaton.compile_dfa(schema=schema)
    assert _accepts_value(dfa, {"ab": "s"})
    assert not _accepts_value(dfa, {"Ab": "s"}) and not _accepts_value(dfa, {"Ab": 1})
    merged = automaton.compile_dfa(schema={"allOf": [
        {"type": "object", "properties": {"a": {"type": "integer"}}},
        {"type": "object", "patternProperties": {r"^\p{Ll}": {"type": "integer"}}},
    ]})
    assert _accepts_value(merged, {"a": 1}) and not _accepts_value(merged, {"a": "x"})
    only = automaton.compile_dfa(schema={"type": "object", "additionalProperties": False,
                                         "patternProperties": {r"^\p{Lu}\p{Ll}*$": {"type": "integer"}}})
    assert _accepts_value(only, {"Élan": 1}) and not _accepts_value(only, {"élan": 1})


def _accepts_value(dfa, value) -> bool:
    return dfa.matches(json.dumps(value, ensure_ascii=False).encode("utf-8"))
