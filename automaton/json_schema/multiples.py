"""`multipleOf` as automata: the numbers within bounds that are multiples of a divisor, in the
spellings the translator writes (integers as `json.dumps` writes them; for `number` also
fractions `-?I.F`, never exponents), sound for exact decimal arithmetic and for `jsonschema`.

Every accepted text's value is an exact decimal multiple of the divisor (the divisor read as
the decimal it is written as: `0.1` is one tenth) and passes `jsonschema`'s test, which
differs where the divisor is a float: `instance / divisor` in doubles must come out integral
(`0.3 / 0.1` gives 2.9999999999999996, so `jsonschema` rejects 0.3 for `multipleOf: 0.1`, while
exactly it is a multiple). Where the two disagree, neither reading's rejects are accepted. The
values kept (each set intersected with the bounds' language and the exact multiples'
automaton, `divisibility.multiples_dfa`):

- an integer divisor written as an int: every integer (Python ints are exact); fractions
  spelled `I.0...` up to 2**53 in magnitude (beyond, a double may round off the multiple);
- a float divisor q = A / 2**j exactly (A odd: 0.5, 1.5, 2.0): |v| < 2**(53 - max(j, 0)),
  where v and v / q are exact doubles;
- a float divisor that no double holds (0.1, 0.01): integer values with |v / q| < 2**53 when
  the relative error e of the double q is at most 2**-54 (then v / q rounds to the integer
  v / q); the values nearest 0 within the bounds (`WINDOW` multiples each side) that pass the
  float test one by one;
- any float divisor: |v| >= 2**53 * q * (1 + 2**-40) up to 1e18 (the quotient's double is
  then >= 2**53, hence integral, and finite);
- a divisor whose automaton is over `divisibility.MAX_STATES` states: the nearest `WINDOW`
  multiples each side, checked one by one.

Integers left out record a narrowing of values (`Translator.narrowed`); fractions left out one
of fractions only (they are outside `algebra.UNIVERSE`, so complements stay exact); both warned.
"""
from __future__ import annotations

import math
from decimal import Decimal, localcontext
from fractions import Fraction
from typing import TYPE_CHECKING

from automaton.errors import TooManyStatesError
from automaton.json_schema.divisibility import decimal_divisor, multiples_dfa, values_dfa
from automaton.json_schema.integers import integer_range
from automaton.json_schema.lang import Lang, alternation, intersection
from automaton.json_schema.numbers import Bound, integer_bounds, number_range

if TYPE_CHECKING:  # pragma: no cover
    from automaton.json_schema.translate import Translator

__all__ = ["multiples_language", "passes_float_test", "WINDOW"]

WINDOW = 1000
_EXACT = 2**53
_MAGNITUDE = 10**18
_LONGEST = 40  # window values spelled longer are left out
_Interval = tuple[Bound | None, Bound | None]


def passes_float_test(instance: int | float, divisor: int | float) -> bool:
    """`jsonschema`'s multipleOf test (4.x) for a number instance."""
    try:
        if isinstance(divisor, float):
            quotient = instance / divisor
            try:
                return int(quotient) == quotient
            except OverflowError:
                return (Fraction(instance) / Fraction(divisor)).denominator == 1
        return not instance % divisor
    except OverflowError:
        return False


def _tighter(a: _Interval, b: _Interval) -> _Interval:
    lows = [x for x in (a[0], b[0]) if x is not None]
    highs = [x for x in (a[1], b[1]) if x is not None]
    low = max(lows, key=lambda x: (x.value, not x.inclusive), default=None)
    high = min(highs, key=lambda x: (x.value, x.inclusive), default=None)
    return low, high


def _symmetric(low: int | float, high: int | float | None, low_inclusive: bool, high_inclusive: bool):
    """The intervals low <= |v| <= high (each end inclusive or not), on both signs."""
    top = None if high is None else Bound(high, high_inclusive)
    bottom = None if high is None else Bound(-high, high_inclusive)
    if low == 0:
        return [(bottom, top)]
    return [(Bound(low, low_inclusive), top), (bottom, Bound(-low, low_inclusive))]


def _up(value: Fraction) -> int | float:
    """A number >= value (an int when value >= 1)."""
    if value >= 1:
        return math.ceil(value)
    x = float(value)
    return x if Fraction(x) >= value else math.nextafter(x, math.inf)


def _down(value: Fraction) -> int | float:
    if value >= 1:
        return math.floor(value)
    x = float(value)
    return x if Fraction(x) <= value else math.nextafter(x, -math.inf)


def _spellings(value: Fraction, integers: bool) -> list[str]:
    """`json.dumps`'s integer and this module's fraction spellings of an exact value."""
    out = []
    if value.denominator == 1:
        out.append(str(value.numerator))
        if integers:
            return out
    if not integers:
        with localcontext() as context:
            context.prec = 2000
            exact = Decimal(value.numerator) / Decimal(value.denominator)
        text = format(exact, "f")
        text = text if "." in text else text + ".0"
        whole, fraction = text.split(".")
        out.append(f"{whole}.{fraction.rstrip('0') or '0'}")
    return out


class _Plan:
    """The value sets kept for one divisor and its bounds, and whether integers are all there.

    parts: (automaton, interval) pairs, the automaton "int" (integer spellings of multiples),
    "full" (the multiples in the translator's spellings) or "whole" (those of integer value).
    """

    def __init__(self, divisor: int | float, low: Bound | None, high: Bound | None, integers: bool):
        self.divisor, self.integers = divisor, integers
        self.bounds: _Interval = (low, high)
        self.unit, self.scale = decimal_divisor(divisor)
        self.exact = Fraction(Decimal(repr(divisor)) if isinstance(divisor, float) else divisor)
        self.parts: list[tuple[str, _Interval]] = []
        self.window: list[str] = []
        self.window_complete = False
        self.integers_complete = True
        self.reasons: list[str] = []

    def window_values(self) -> None:
        """The multiples nearest 0 within the bounds (`WINDOW` each side) that pass the float test."""
        low, high = self.bounds
        q = self.exact
        n_lo = None if low is None else math.ceil(Fraction(low.value) / q)
        n_hi = None if high is None else math.floor(Fraction(high.value) / q)
        centre = 0 if n_lo is None or n_lo <= 0 else n_lo
        centre = centre if n_hi is None or centre <= n_hi else n_hi
        first = centre - WINDOW if n_lo is None else max(n_lo, centre - WINDOW)
        last = centre + WINDOW if n_hi is None else min(n_hi, centre + WINDOW)
        failed = False
        for n in range(first, last + 1):
            value = n * q
            if abs(value) > _MAGNITUDE:
                failed = True
                continue
            for text in _spellings(value, self.integers):
                instance = int(text) if "." not in text else float(text)
                if len(text) <= _LONGEST and passes_float_test(instance, self.divisor):
                    self.window.append(text)
                elif value.denominator == 1:
                    failed = True
        whole = n_lo is not None and n_hi is not None and first == n_lo and last == n_hi
        self.window_complete = whole and not failed

    def plan(self) -> None:
        q, divisor = self.exact, self.divisor
        if not isinstance(divisor, float):
            self.parts.append(("int", (None, None)))
            if not self.integers and divisor <= _EXACT:
                self.parts += [("full", i) for i in _symmetric(0, _EXACT, True, True)]
            return
        top = _down(min(Fraction(_MAGNITUDE), q * 2**1000))
        start = _up(q * _EXACT * (1 + Fraction(1, 2**40)))
        covered = []
        if Fraction(start) <= Fraction(top):
            self.parts += [("full", i) for i in _symmetric(start, top, True, True)]
            covered.append((Fraction(start), Fraction(top)))
        binary = Fraction(divisor)
        if binary == q:
            j = max(int(math.log2(binary.denominator)), 0)
            self.parts += [("full", i) for i in _symmetric(0, 2 ** (53 - j), True, False)]
            covered.append((Fraction(0), Fraction(2 ** (53 - j)) - 1))
        else:
            if abs((binary - q) / binary) <= Fraction(1, 2**54):
                limit = _down(min(Fraction(_EXACT), q * _EXACT))
                self.parts += [("whole", i) for i in _symmetric(0, limit, True, False)]
                covered.append((Fraction(0), Fraction(limit) - 1))
            else:
                self.reasons.append("integers below 2**53 * multipleOf checked one by one near the bounds")
            self.window_values()
            if not self.integers:
                self.reasons.append(f"fractions: the {2 * WINDOW + 1} multiples nearest the bounds checked one by one")
        self.integers_complete = self.window_complete or self._covers(covered)

    def _covers(self, covered: list[tuple[Fraction, Fraction]]) -> bool:
        """Whether every integer within the bounds has its magnitude in a covered interval."""
        lo, hi = integer_bounds(*self.bounds)
        if lo is None or hi is None:
            return False
        if lo > hi:
            return True
        least = min(abs(lo), abs(hi)) if lo > 0 or hi < 0 else 0
        reach = Fraction(least)
        for a, b in sorted(covered):
            if a <= reach <= b:
                reach = Fraction(math.floor(b)) + 1
        return reach > max(abs(lo), abs(hi))


def _range(integers: bool, interval: _Interval) -> Lang:
    low, high = interval
    return integer_range(*integer_bounds(low, high)) if integers else number_range(low, high)


def multiples_language(translator: Translator, divisor: int | float, low: Bound | None, high: Bound | None,
                       pointer: str, integers: bool) -> Lang:
    """The texts of integers (`integers`) or numbers within `low`/`high` that are multiples of
    `divisor` (an int or float > 0) in both readings; automata only (`lang.composing`)."""
    plan = _Plan(divisor, low, high, integers)
    whole_unit = plan.unit // math.gcd(plan.unit, 10 ** max(-plan.scale, 0))
    shapes = {"int": (plan.unit, plan.scale, False), "full": (plan.unit, plan.scale, not integers),
              "whole": (whole_unit, max(plan.scale, 0), not integers)}
    dfas = {}
    try:
        plan.plan()
        for kind, _ in plan.parts:
            if kind not in dfas:
                dfas[kind] = multiples_dfa(*shapes[kind])
    except TooManyStatesError as error:
        plan.parts, plan.window, plan.reasons = [], [], [f"{error}: the {2 * WINDOW + 1} multiples nearest the "
                                                         "bounds checked one by one"]
        plan.window_values()
        plan.integers_complete = plan.window_complete
    options: list[Lang] = []
    for kind, interval in plan.parts:
        options.append(intersection(dfas[kind], _range(integers, _tighter(plan.bounds, interval))))
    if plan.window:
        options.append(intersection(values_dfa(plan.window), _range(integers, plan.bounds)))
    if not plan.integers_complete:
        translator.narrowed("multipleOf", pointer, "; ".join(plan.reasons + [
            "integers where doubles are exact or the quotient is >= 2**53 (up to 1e18)"]))
    elif plan.reasons:
        translator.narrowed("multipleOf", pointer, "; ".join(plan.reasons), fractions=True)
    return alternation(options)
