"""Regexes for JSON numbers, optionally bounded.

Takes bounds as `json.loads` gives them (int or float, each inclusive or exclusive); gives a
regex whose every match, read back by `json.loads`, compares within the bounds the way a
validator compares it. Two spellings are produced:

- integer spellings (`-12`): Python ints, compared exactly with the bound;
- fraction spellings (`-12.5`): floats, so rounding matters. They are bounded by the shortest
  decimal of the double nearest the bound on the inside; since rounding to a double is
  monotonic, a decimal inside those bounds rounds to a double inside the real bounds.

Exponent spellings (`1e5`) appear only when the number is unbounded.

    >>> number_range(Bound(0, True), Bound(1, True))
    '((0|1)|(0\\\\.[0-9]+|1\\\\.0+))'
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal, localcontext

from automaton.json_schema.integers import integer_range
from automaton.json_schema.regex_text import Regex, alternation, sequence
from automaton.syntax.render import char_class

__all__ = ["Bound", "ANY_NUMBER", "integer_bounds", "number_range"]

ANY_NUMBER = r"-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?"
_FRACTION = r"\.[0-9]+"
# Bounds are rounded inward to this many fraction digits, and clamped to +-_MAGNITUDE, so a
# bound such as 5e-324 or 1.8e308 does not unroll into hundreds of nested digits (a sound
# narrowing: the values left out are within 1e-20 of the bound or beyond 1e18).
_FRACTION_DIGITS = 20
_MAGNITUDE = 10**18


@dataclass(frozen=True)
class Bound:
    value: int | float
    inclusive: bool


def integer_bounds(low: Bound | None, high: Bound | None) -> tuple[int | None, int | None]:
    """Inclusive integer bounds equivalent to `low`/`high` for integer instances (exact comparison)."""
    lo = hi = None
    if low is not None:
        v = low.value
        lo = math.ceil(v) if low.inclusive else math.floor(v) + 1
    if high is not None:
        v = high.value
        hi = math.floor(v) if high.inclusive else math.ceil(v) - 1
    return lo, hi


def _double_inside_low(bound: Bound) -> float:
    """The smallest double d with d >= bound (or d > bound when exclusive)."""
    d = float(bound.value)
    if d < bound.value or (not bound.inclusive and d == bound.value):
        d = math.nextafter(d, math.inf)
    return d


def _double_inside_high(bound: Bound) -> float:
    d = float(bound.value)
    if d > bound.value or (not bound.inclusive and d == bound.value):
        d = math.nextafter(d, -math.inf)
    return d


def _inward(value: Decimal, upward: bool) -> Decimal:
    """`value` rounded toward the inside of the range to at most `_FRACTION_DIGITS` digits."""
    quantum = Decimal(1).scaleb(-_FRACTION_DIGITS)
    return value.quantize(quantum, rounding=ROUND_CEILING if upward else ROUND_FLOOR)


def _split(value: Decimal) -> tuple[int, str]:
    """A non-negative decimal as (integer part, fraction digits without trailing zeros)."""
    integer = int(value)
    fraction = value - integer
    if fraction == 0:
        return integer, ""
    digits = format(fraction, "f").split(".")[1].rstrip("0")
    return integer, digits


def _fraction_digits(low: str | None, low_incl: bool, high: str | None, high_incl: bool, allow_empty: bool) -> Regex:
    """Digit strings S (empty allowed when `allow_empty`) with 0.S between 0.low and 0.high.

    `low`/`high` are digit strings without trailing zeros ("" means zero), `None` means no bound.
    """
    if low is not None and low == "" and low_incl:
        low = None
    any_tail = "[0-9]*" if allow_empty else "[0-9]+"
    if high is not None and high == "":
        if not high_incl or low is not None:
            return None
        return "0*" if allow_empty else "0+"
    if low is None and high is None:
        return any_tail
    if low == "" and high is None:
        # strictly positive fraction
        return "0*[1-9][0-9]*"
    options: list[Regex] = []
    if allow_empty and low is None:
        options.append("")
    free_digits = []
    lo_first = -1 if low is None else (int(low[0]) if low else 0)
    hi_first = 10 if high is None else int(high[0])
    for digit in range(10):
        if digit < lo_first or digit > hi_first:
            continue
        low_tail = None if digit > lo_first else (low[1:] if low else "")
        high_tail = None if digit < hi_first else high[1:]
        if low_tail is None and high_tail is None:
            free_digits.append((digit, digit))
            continue
        tail = _fraction_digits(low_tail, low_incl, high_tail, high_incl, True)
        options.append(sequence(str(digit), tail))
    if free_digits:
        options.insert(0, sequence(char_class((ord("0") + a, ord("0") + b) for a, b in free_digits), "[0-9]*"))
    return alternation(options)


def _magnitude_fractions(low: Decimal | None, low_incl: bool, high: Decimal | None, high_incl: bool) -> Regex:
    """Spellings `I.F` (I canonical, F non-empty) of non-negative values in the given decimal range."""
    lo_int, lo_frac = _split(low) if low is not None else (0, None)
    if low is None:
        low_incl = True
    hi_int, hi_frac = _split(high) if high is not None else (None, None)
    options: list[Regex] = []
    # Integer parts whose every fraction is in range.
    free_lo = lo_int if (lo_frac is None or (lo_frac == "" and low_incl)) else lo_int + 1
    free_hi = None if hi_int is None else hi_int - 1
    options.append(sequence(integer_range(free_lo, free_hi), _FRACTION))
    if lo_frac is not None and free_lo != lo_int:
        same = hi_int == lo_int
        tail = _fraction_digits(lo_frac, low_incl, hi_frac if same else None, high_incl, False)
        options.append(sequence(str(lo_int), r"\.", tail))
    same_as_low = lo_frac is not None and hi_int == lo_int
    if hi_int is not None and (free_lo <= hi_int) and not (same_as_low and free_lo != lo_int):
        lower = lo_frac if same_as_low else None
        tail = _fraction_digits(lower, low_incl, hi_frac, high_incl, False)
        options.append(sequence(str(hi_int), r"\.", tail))
    return alternation(options)


def number_range(low: Bound | None, high: Bound | None) -> Regex:
    """JSON numbers within `low`/`high`; `None` when no number is."""
    if low is None and high is None:
        return ANY_NUMBER
    for bound in (low, high):
        if bound is not None and not math.isfinite(bound.value):
            raise ValueError("bounds must be finite")
    if high is not None and high.value > _MAGNITUDE:
        high = Bound(_MAGNITUDE, True)
    if low is not None and low.value < -_MAGNITUDE:
        low = Bound(-_MAGNITUDE, True)
    int_lo, int_hi = integer_bounds(low, high)
    integers = integer_range(int_lo, int_hi)
    with localcontext() as context:
        context.prec = 1000
        f_lo = None if low is None else _inward(Decimal(repr(_double_inside_low(low))), True)
        f_hi = None if high is None else _inward(Decimal(repr(_double_inside_high(high))), False)
    fractions: list[Regex] = []
    if f_lo is None or f_hi is None or f_lo <= f_hi:
        if f_hi is None or f_hi >= 0:
            mag_lo = max(f_lo, Decimal(0)) if f_lo is not None else Decimal(0)
            fractions.append(_magnitude_fractions(mag_lo, True, f_hi, True))
        if f_lo is None or f_lo < 0:
            mag_lo = Decimal(0) if f_hi is None or f_hi >= 0 else -f_hi
            mag_lo_incl = not (f_hi is None or f_hi >= 0)
            mag_hi = None if f_lo is None else -f_lo
            fractions.append(sequence("-", _magnitude_fractions(mag_lo, mag_lo_incl, mag_hi, True)))
    return alternation([integers, *fractions])
