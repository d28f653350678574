"""Exact regexes for integer ranges, written the way `json.dumps` writes integers.

Takes inclusive bounds (Python ints, `None` for unbounded); gives a regex matching exactly the
canonical decimal spellings (no leading zeros, no `-0`, `-` for negatives) of the integers in
range, or `None` when the range is empty.

    >>> integer_range(10, 1000)
    '([1-9][0-9]{1,2}|1000)'
    >>> integer_range(-5, None)
    '(-[1-5]|(0|[1-9][0-9]*))'
"""
from __future__ import annotations

from automaton.json_schema.regex_text import Regex, alternation, repeat, sequence

__all__ = ["integer_range", "ANY_INTEGER"]

ANY_INTEGER = "(0|-?[1-9][0-9]*)"


def _digits(low: int, high: int) -> str:
    return str(low) if low == high else f"[{low}-{high}]" if high > low + 1 else f"[{low}{high}]"


def _same_width(low: str, high: str) -> list[str]:
    """Alternatives matching every digit string of this width between `low` and `high` (any leading digit)."""
    if low == high:
        return [low]
    if len(low) == 1:
        return [_digits(int(low), int(high))]
    lo_first, hi_first = int(low[0]), int(high[0])
    rest = len(low) - 1
    if low[1:] == "0" * rest and high[1:] == "9" * rest:
        return [_digits(lo_first, hi_first) + repeat("[0-9]", rest, rest)]
    if lo_first == hi_first:
        tails = _same_width(low[1:], high[1:])
        return [low[0] + (tails[0] if len(tails) == 1 else "(" + "|".join(tails) + ")")]
    out = []
    low_is_floor = low[1:] == "0" * rest
    high_is_ceiling = high[1:] == "9" * rest
    start = lo_first if low_is_floor else lo_first + 1
    end = hi_first if high_is_ceiling else hi_first - 1
    if not low_is_floor:
        out.extend(_prefixed(low[0], _same_width(low[1:], "9" * rest)))
    if start <= end:
        out.append(_digits(start, end) + repeat("[0-9]", rest, rest))
    if not high_is_ceiling:
        out.extend(_prefixed(high[0], _same_width("0" * rest, high[1:])))
    return out


def _prefixed(prefix: str, tails: list[str]) -> list[str]:
    if len(tails) == 1:
        return [prefix + tails[0]]
    return [prefix + "(" + "|".join(tails) + ")"]


def _natural_range(low: int, high: int | None) -> list[str]:
    """Alternatives for the canonical spellings of the naturals in [low, high], low >= 0."""
    out: list[str] = []
    if high is not None and high < low:
        return out
    if low == 0:
        out.append("0")
        low = 1
        if high == 0:
            return out
    width = len(str(low))
    while True:
        top = 10**width - 1
        if high is not None and high <= top:
            out.extend(_same_width(str(low), str(high)))
            return out
        if low == 10 ** (width - 1):
            break
        out.extend(_same_width(str(low), str(top)))
        low = top + 1
        width += 1
    if high is None:
        out.append(f"[1-9][0-9]{{{width - 1},}}" if width > 1 else "[1-9][0-9]*")
        return out
    # low is a power of ten: whole widths up to the one of `high`.
    high_width = len(str(high))
    full_top = high_width - 1 if high != 10**high_width - 1 else high_width
    if full_top >= width:
        out.append("[1-9]" + repeat("[0-9]", width - 1, full_top - 1))
    if full_top < high_width:
        out.extend(_same_width(str(10 ** (high_width - 1)), str(high)))
    return out


def _merge_leading_zero(out: list[str]) -> list[str]:
    # "0" next to "[1-9]" reads better as "[0-9]"
    if len(out) >= 2 and out[0] == "0" and out[1] == "[1-9]":
        return ["[0-9]"] + out[2:]
    if len(out) >= 2 and out[0] == "0" and out[1] == "[1-9][0-9]*":
        return ["(0|[1-9][0-9]*)"] + out[2:]
    if len(out) >= 2 and out[0] == "0" and out[1].startswith("[1-") and len(out[1]) == 5:
        return [f"[0-{out[1][3]}]"] + out[2:]
    return out


def integer_range(low: int | None, high: int | None) -> Regex:
    """Canonical decimal integers n with low <= n <= high (`None`: unbounded that side)."""
    if low is not None and high is not None and low > high:
        return None
    options: list[Regex] = []
    if low is None or low < 0:
        magnitude_low = 1 if high is None or high >= 0 else -high
        magnitude_high = None if low is None else -low
        negatives = _natural_range(magnitude_low, magnitude_high)
        if negatives:
            options.append(sequence("-", alternation(negatives) if len(negatives) > 1 else negatives[0]))
    if high is None or high >= 0:
        naturals = _merge_leading_zero(_natural_range(max(low or 0, 0) if low is not None else 0, high))
        if naturals:
            options.append(alternation(naturals) if len(naturals) > 1 else naturals[0])
    if low is None and high is None:
        return ANY_INTEGER
    return alternation(options)
