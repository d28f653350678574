"""Strings, numbers, integers, booleans and null: one schema (one type) to the regex of its JSON text.

Takes a normalised schema and the translator (for reporting what cannot be enforced); gives a
regex, or None when no value of that type satisfies the schema. While automata are composed
(`lang.composing`), a `pattern` beside a `format` or length bounds becomes the intersection of
the pattern's strings with theirs (exact) instead of a narrowed or refused regex, and
`multipleOf` becomes the automaton of the multiples within the bounds (`multiples`; as text
only powers of ten and up to 64 multiples are written).
"""
from __future__ import annotations

import math
from typing import TYPE_CHECKING

from automaton.json_schema.formats import format_regex, is_known_format
from automaton.json_schema.integers import integer_range
from automaton.json_schema.lang import Lang, automata_in_use, intersection
from automaton.json_schema.multiples import multiples_language
from automaton.json_schema.numbers import Bound, integer_bounds, number_range
from automaton.json_schema.patterns import PatternError, pattern_body, pattern_width
from automaton.json_schema.regex_text import alternation
from automaton.json_schema.strings import JSON_CHAR, string_of

if TYPE_CHECKING:  # pragma: no cover
    from automaton.json_schema.translate import Translator

__all__ = ["string_regex", "number_regex", "integer_regex", "BOOLEAN", "NULL", "LENGTH_CAP"]

BOOLEAN = "(true|false)"
# A maxLength above this is lowered to it (a sound narrowing that keeps automata small).
LENGTH_CAP = 256
NULL = "null"


def _body_width(body: str) -> tuple[int, int | None]:
    return pattern_width(body)


def string_regex(translator: Translator, schema: dict, pointer: str) -> Lang:
    low = int(schema.get("minLength", 0) or 0)
    high = schema.get("maxLength")
    high = None if high is None else int(high)
    if high is not None and high > LENGTH_CAP:
        # Shorter strings still satisfy maxLength; the automaton grows with the bound.
        high = max(low, LENGTH_CAP)
        translator.narrowed("maxLength", pointer, f"at most {high} characters")
    if high is not None and high < low:
        return None
    fmt = schema.get("format")
    pattern = schema.get("pattern")
    formatted = isinstance(fmt, str) and is_known_format(fmt)
    if pattern is not None and automata_in_use() and (formatted or low or high is not None):
        # Automata: the pattern's strings intersected with the format's and the lengths' (exact).
        unbounded = {k: v for k, v in schema.items() if k not in ("format", "minLength", "maxLength")}
        bounded = {k: v for k, v in schema.items() if k != "pattern"}
        return intersection(string_regex(translator, unbounded, pointer), string_regex(translator, bounded, pointer))
    body: str | None = None
    if isinstance(fmt, str) and is_known_format(fmt):
        body = format_regex(fmt)
        if body is None:
            translator.unsupported("format", pointer, f"format {fmt!r} has no regex here")
        elif pattern is not None:
            translator.unsupported("pattern", pointer, f"pattern beside format {fmt!r}")
            pattern = None
        else:
            width_low, width_high = _body_width(body)
            if width_low < low or (high is not None and (width_high is None or width_high > high)):
                try:
                    fitted = pattern_body(f"^(?:{body})$", low, high)
                except PatternError:
                    translator.unsupported("maxLength" if high is not None else "minLength", pointer,
                                           f"length bounds beside format {fmt!r}")
                else:
                    return None if fitted is None else f'"{fitted}"'
            return f'"{body}"'
    if pattern is not None:
        if not isinstance(pattern, str):
            translator.invalid("pattern", pointer, "must be a string")
        try:
            inner = pattern_body(pattern, low, high)
        except PatternError as error:
            translator.unsupported("pattern", pointer, str(error))
        else:
            return None if inner is None else f'"{inner}"'
    return string_of(JSON_CHAR, low, high)


def _bounds(translator: Translator, schema: dict, pointer: str) -> tuple[Bound | None, Bound | None]:
    candidates_low = []
    candidates_high = []
    for key, inclusive, side in (("minimum", True, candidates_low), ("exclusiveMinimum", False, candidates_low),
                                 ("maximum", True, candidates_high), ("exclusiveMaximum", False, candidates_high)):
        value = schema.get(key)
        if value is None:
            continue
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            translator.invalid(key, pointer, "must be a number")
            continue
        if not math.isfinite(value):
            translator.unsupported(key, pointer, "not a finite number")
            continue
        side.append(Bound(value, inclusive))
    # The tightest bound on each side (an exclusive one wins a tie).
    low = max(candidates_low, key=lambda b: (b.value, not b.inclusive), default=None)
    high = min(candidates_high, key=lambda b: (b.value, b.inclusive), default=None)
    return low, high


def _divisor(translator: Translator, schema: dict, pointer: str) -> int | float | None:
    """The `multipleOf` divisor (a positive finite int or float), or None when it is absent or invalid."""
    step = schema.get("multipleOf")
    if step is None:
        return None
    if isinstance(step, bool) or not isinstance(step, (int, float)) or not math.isfinite(step) or step <= 0:
        translator.unsupported("multipleOf", pointer, f"multipleOf {step!r} is not a positive number")
        return None
    return step


def _multiple_of_step(translator: Translator, schema: dict, pointer: str) -> int | None:
    """The integer step that `multipleOf` asks for (1 when absent), or None when it is not handled."""
    step = schema.get("multipleOf")
    if step is None:
        return 1
    if isinstance(step, float) and step.is_integer():
        step = int(step)
    if isinstance(step, bool) or not isinstance(step, int) or step <= 0:
        translator.unsupported("multipleOf", pointer, f"multipleOf {step!r} is not a positive integer")
        return None
    return step


def integer_regex(translator: Translator, schema: dict, pointer: str) -> Lang:
    low, high = _bounds(translator, schema, pointer)
    if "multipleOf" in schema and automata_in_use():
        divisor = _divisor(translator, schema, pointer)
        if divisor is not None:
            return multiples_language(translator, divisor, low, high, pointer, integers=True)
    lo, hi = integer_bounds(low, high)
    step = _multiple_of_step(translator, schema, pointer)
    if step is None or step == 1:
        return integer_range(lo, hi)
    zeros = len(str(step)) - 1
    if step == 10**zeros and lo is None and hi is None:
        return f"(0|-?[1-9][0-9]*{'0' * zeros})"
    if lo is not None and hi is not None and (hi - lo) // step <= 64:
        first = -(-lo // step) * step
        return alternation(str(v) for v in range(first, hi + 1, step))
    translator.unsupported("multipleOf", pointer, f"multiples of {step} over this range")
    return integer_range(lo, hi)


def number_regex(translator: Translator, schema: dict, pointer: str) -> Lang:
    if "multipleOf" in schema:
        if automata_in_use():
            divisor = _divisor(translator, schema, pointer)
            if divisor is not None:
                low, high = _bounds(translator, schema, pointer)
                translator.narrowed("multipleOf", pointer, "numbers without exponent (1e2 left out), fractions "
                                    "within 1e-20 of a bound left out", spelling=True)
                return multiples_language(translator, divisor, low, high, pointer, integers=False)
        translator.narrowed("multipleOf", pointer, "integers spelled as json.dumps spells them (1.0, 1e2 and -0 "
                            "left out)", spelling=True)
        return integer_regex(translator, schema, pointer)
    low, high = _bounds(translator, schema, pointer)
    if low is None and high is None:
        return number_range(None, None)
    return number_range(low, high)
