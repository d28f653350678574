"""`multipleOf` for any divisor (`automaton.json_schema.divisibility`, `multiples`).

Oracles: exact rational arithmetic (`fractions.Fraction` of the texts' and the divisor's
decimals) and `jsonschema` (2020-12) on every integer of a window, on fractions with 0-4
digits, on long and large spellings, and on random walks of the DFAs. An accepted text must
be a multiple in both readings; where both readings accept a value the translator covers
exactly (integer divisors, dyadic divisors near zero, small windows), the DFA must accept it.
"""
from __future__ import annotations

import functools
import json
import warnings
from decimal import Decimal
from fractions import Fraction

import jsonschema
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import automaton
from automaton.dfa.limits import Deadline
from automaton.errors import EmptyLanguageError, TooManyStatesError, UnsupportedSchemaError
from automaton.json_schema import algebra, divisibility
from automaton.json_schema.lang import composing
from automaton.json_schema.layout import Layout
from automaton.json_schema.multiples import passes_float_test
from automaton.json_schema.translate import Translator
from tests.automaton.json_schema.walks import random_walks

pytestmark = pytest.mark.filterwarnings("ignore:JSON-schema keywords narrowed")

INTEGER_DIVISORS = [*range(1, 61), 7, 13, 64, 100, 125, 1000, 1024, 12345, 10**20, 3 * 10**15]
DECIMAL_DIVISORS = [0.5, 0.25, 0.01, 1.5, 0.0001, 0.1, 0.3, 0.7, 2.5, 0.125, 1e-8, 19.99, 4.0]
BOUNDS = [{}, {"minimum": -37, "maximum": 240}, {"exclusiveMinimum": 3.5, "maximum": 1000.25},
          {"minimum": 0}, {"exclusiveMaximum": -12}]


def exact(value_text: str, divisor) -> bool:
    q = Fraction(Decimal(repr(divisor))) if isinstance(divisor, float) else Fraction(divisor)
    return Fraction(Decimal(value_text)) % q == 0


@functools.lru_cache(maxsize=64)
def _validator(schema_text: str) -> jsonschema.Draft202012Validator:
    return jsonschema.Draft202012Validator(json.loads(schema_text))


def reference(schema: dict, text: str) -> bool:
    """Valid for `jsonschema` and a multiple in exact decimal arithmetic."""
    value = json.loads(text)
    return _validator(json.dumps(schema)).is_valid(value) and exact(text, schema["multipleOf"])


class _Nothing:
    def matches(self, data: bytes) -> bool:
        return False


def compile_schema(schema: dict):
    """The schema's DFA, or a matcher of nothing when no value satisfies it."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            return automaton.compile_dfa(schema=schema, layout="spaced")
        except EmptyLanguageError:
            return _Nothing()


def fraction_texts(low: int, high: int) -> list[str]:
    """Every number from low to high with 0 to 4 fraction digits (a sparse grid for 3-4 digits)."""
    out = [str(n) for n in range(low, high + 1)]
    for n in range(low * 100, high * 100 + 1):
        out.append(json.dumps(n / 100))
    for n in range(low * 10000, high * 10000 + 1, 37):
        out.append(json.dumps(n / 10000))
    return out


@pytest.mark.parametrize("divisor", INTEGER_DIVISORS)
def test_integer_divisors_exactly(divisor):
    for bounds in BOUNDS[:3]:
        schema = {"type": "integer", "multipleOf": divisor, **bounds}
        dfa = compile_schema(schema)
        for n in [*range(-400, 1300), divisor * 7919, -divisor * 104729, divisor * 10**18 + 1, divisor * 10**18]:
            text = json.dumps(n)
            assert dfa.matches(text.encode()) == reference(schema, text), (schema, text)
        for spelling in ("-0", "00", "07", "1.0", "1e2", "+7"):
            assert not dfa.matches(spelling.encode())


@pytest.mark.parametrize("divisor", [2, 3, 7, 10, 25, 1.5, 0.5, 0.25, 0.125, 2.5, 4.0])
@pytest.mark.parametrize("bounds", BOUNDS, ids=str)
def test_exact_divisors_on_numbers(divisor, bounds):
    """Integer and dyadic divisors: the DFA accepts exactly what both readings accept (window)."""
    schema = {"type": "number", "multipleOf": divisor, **bounds}
    dfa = compile_schema(schema)
    for text in fraction_texts(-20, 20) + ["1000.25", "240.0", "3.5000", "-12.0", "0.000"]:
        assert dfa.matches(text.encode()) == reference(schema, text), (schema, text)


@pytest.mark.parametrize("divisor", [0.01, 0.0001, 0.1, 0.3, 0.7, 1e-8, 19.99])
@pytest.mark.parametrize("bounds", BOUNDS, ids=str)
def test_inexact_divisors_are_sound(divisor, bounds):
    """Divisors no double holds: every accepted text is valid in both readings; integers below
    2**53 * divisor are all accepted where the double's error allows (0.01, 0.1, 0.3, 1e-8)."""
    schema = {"type": "number", "multipleOf": divisor, **bounds}
    dfa = compile_schema(schema)
    accepted = 0
    for text in fraction_texts(-25, 25) + [json.dumps(12391239123), "12391239123.00", "0.0075", "0.00751"]:
        expected = reference(schema, text)
        got = dfa.matches(text.encode())
        assert not got or expected, (schema, text)
        accepted += got
        value = json.loads(text)
        if divisor in (0.01, 0.1, 0.3, 1e-8) and expected and isinstance(value, int) and abs(value) < 2**53 * divisor:
            assert got, (schema, text)
    assert accepted


def test_suite_values_and_float_division():
    assert compile_schema({"multipleOf": 0.0001}).matches(b"0.0075")
    assert not compile_schema({"multipleOf": 0.0001}).matches(b"0.00751")
    assert compile_schema({"type": "integer", "multipleOf": 1e-8}).matches(b"12391239123")
    assert compile_schema({"type": "number", "multipleOf": 1.5}).matches(b"4.5")
    assert not compile_schema({"type": "number", "multipleOf": 1.5}).matches(b"35")
    tenths = compile_schema({"type": "number", "multipleOf": 0.1})
    # 0.3 is three tenths, but 0.3 / 0.1 is 2.9999999999999996 in doubles: jsonschema rejects it.
    assert not jsonschema.Draft202012Validator({"multipleOf": 0.1}).is_valid(0.3)
    assert not tenths.matches(b"0.3") and tenths.matches(b"0.5") and tenths.matches(b"7")
    assert not compile_schema({"type": "integer", "multipleOf": 0.123456789}).matches(b"1" + b"0" * 308)


@pytest.mark.parametrize("divisor", [7, 12345, 0.5, 0.01, 0.3, 1.5, 0.0001, 1e-8])
def test_random_walks_validate(divisor):
    rng = np.random.default_rng(divisor.__hash__() % 1000)
    for schema in ({"type": "number", "multipleOf": divisor}, {"type": "integer", "multipleOf": divisor},
                   {"multipleOf": divisor, "minimum": -1000.5, "exclusiveMaximum": 10**17}):
        dfa = compile_schema(schema)
        for text in random_walks(dfa, 300, rng):
            assert reference(schema, text.decode()), (schema, text)


@settings(max_examples=300, deadline=None)
@given(st.integers(1, 5000), st.integers(-4, 3), st.integers(-10**12, 10**12), st.integers(0, 6), st.integers(0, 3))
def test_remainder_automaton(unit, scale, numerator, fraction_digits, trailing):
    unit = unit * 10 + 7 if unit % 10 == 0 else unit
    if divisibility.multiples_size(unit, scale) > divisibility.MAX_STATES:
        return
    dfa = divisibility.multiples_dfa(unit, scale, fractions=True)
    for candidate in (numerator, numerator * unit, numerator * unit * 10**max(scale, 0)):
        magnitude = str(abs(candidate)).rjust(fraction_digits + 1, "0")
        whole, fraction = magnitude[: len(magnitude) - fraction_digits], magnitude[len(magnitude) - fraction_digits:]
        text = ("-" if candidate < 0 else "") + whole + ("." + fraction + "0" * trailing if fraction_digits else "")
        divisor = Fraction(unit) * Fraction(10) ** scale
        assert dfa.matches(text.encode()) == (Fraction(Decimal(text)) % divisor == 0), (unit, scale, text)


def test_values_dfa_and_limits():
    dfa = divisibility.values_dfa(["0.3", "-1.25", "7"])
    assert [t for t in ("0.3", "0.300", "-1.250", "7", "7.0", "0.31", "1.25") if dfa.matches(t.encode())] == \
        ["0.3", "0.300", "-1.250", "7"]
    assert divisibility.decimal_divisor(0.1) == (1, -1) and divisibility.decimal_divisor(1200) == (12, 2)
    with pytest.raises(TooManyStatesError):
        divisibility.multiples_dfa(123456789, 0, fractions=False)
    with pytest.raises(ValueError):
        divisibility.decimal_divisor(0)
    pairs = ((0.3, 0.1), (0.0075, 0.0001), (7, 0.7), (21, 0.7), (4.5, 1.5), (14.0, 7), (1e300, 1e-300))
    for instance, divisor in pairs:
        expected = jsonschema.Draft202012Validator({"multipleOf": divisor}).is_valid(instance)
        assert passes_float_test(instance, divisor) == expected, (instance, divisor)


def narrowings(schema: dict) -> tuple[list, int]:
    translator = Translator(schema, Layout.of("spaced"), 3, True)
    with composing(100_000, Deadline(None)):
        translator.translate(translator.document, "", 0)
    return translator.narrowings, translator.value_narrowings


def test_narrowings_are_recorded():
    assert narrowings({"type": "integer", "multipleOf": 7})[1] == 0
    assert narrowings({"type": "integer", "multipleOf": 0.5, "minimum": 0, "maximum": 100})[1] == 0
    assert narrowings({"type": "integer", "multipleOf": 0.5})[1] > 0  # beyond 1e18
    assert narrowings({"type": "integer", "multipleOf": 123456789})[1] > 0
    assert narrowings({"type": "integer", "multipleOf": 123456789, "minimum": 0, "maximum": 10**9})[1] == 0
    reasons, values = narrowings({"type": "number", "multipleOf": 0.01, "minimum": -5, "maximum": 5})
    assert values == 0 and any("checked one by one" in r for _, _, r in reasons)


def test_huge_divisor_keeps_the_window():
    schema = {"type": "integer", "multipleOf": 123456789}
    dfa = compile_schema(schema)
    assert dfa.matches(b"0") and dfa.matches(b"-123456789") and dfa.matches(str(123456789 * 1000).encode())
    assert not dfa.matches(b"123456788") and not dfa.matches(str(123456789 * 1001).encode())
    with pytest.raises(UnsupportedSchemaError):
        automaton.compile_dfa(schema={"type": "integer", "multipleOf": -3}, layout="spaced", strict=True)


def test_complement_within_the_universe():
    """`not multipleOf` stays exact on integers for an integer divisor (algebra's universe)."""
    dfa = compile_schema({"type": "integer", "not": {"multipleOf": 3}, "minimum": -20, "maximum": 20})
    assert [n for n in range(-25, 25) if dfa.matches(str(n).encode())] == \
        [n for n in range(-20, 21) if n % 3]
    halves = compile_schema({"not": {"multipleOf": 2.5, "minimum": -100, "maximum": 100}, "type": "integer",
                             "minimum": 0, "maximum": 10})
    assert [n for n in range(-5, 15) if halves.matches(str(n).encode())] == [1, 2, 3, 4, 6, 7, 8, 9]
    with composing(100_000, Deadline(None)):
        translator = Translator({}, Layout.of("spaced"), 3, True)
        assert algebra.exact_language(translator, {"multipleOf": 4, "maximum": 100}, "") is not None
        assert algebra.exact_language(translator, {"multipleOf": 0.7}, "") is None
