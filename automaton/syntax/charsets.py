"""Sets of code points: their arithmetic, and the sets Python's `re` syntax names.

Takes and gives `CodePoints`: a tuple of inclusive `(lo, hi)` pairs, sorted, disjoint and not
touching (`normalize` makes one from any pairs; a pair with `lo > hi` is empty and dropped).
This is the one place that says what `\\d \\w \\s` and `.` stand for:

    ASCII_CLASSES[letter]    `\\d` `\\w` `\\s` under `re.ASCII` (letter "d", "w" or "s")
    unicode_class(letter)    the same escapes without `re.ASCII` (every Unicode member)
    ANY, ANY_BUT_NEWLINE     `.` with and without `(?s)`
    SURROGATES               U+D800..U+DFFF, which no UTF-8 text holds

    >>> complement(((0, 0x60), (0x7B, 0x10FFFF)))
    ((97, 122),)
    >>> difference([(0, 9)], [(3, 4), (8, 20)])
    ((0, 2), (5, 7))
    >>> intersection([(0, 9)], [(3, 4), (8, 20)])
    ((3, 4), (8, 9))
    >>> ascii_case_fold(((ord("a"), ord("c")),))
    ((65, 67), (97, 99))
"""
from __future__ import annotations

import functools
from collections.abc import Iterable

__all__ = [
    "MAX_CODE_POINT",
    "CodePoints",
    "ANY",
    "ANY_BUT_NEWLINE",
    "SURROGATES",
    "ASCII_CLASSES",
    "unicode_class",
    "normalize",
    "complement",
    "difference",
    "intersection",
    "size",
    "ascii_case_fold",
]

MAX_CODE_POINT = 0x10FFFF

CodePoints = tuple[tuple[int, int], ...]


def normalize(ranges: Iterable[tuple[int, int]]) -> CodePoints:
    """Sorted, merged ranges (touching or overlapping pairs become one; empty pairs go)."""
    merged: list[list[int]] = []
    for lo, hi in sorted(ranges):
        if lo > hi:
            continue
        if merged and lo <= merged[-1][1] + 1:
            if hi > merged[-1][1]:
                merged[-1][1] = hi
        else:
            merged.append([lo, hi])
    return tuple((lo, hi) for lo, hi in merged)


def complement(ranges: CodePoints) -> CodePoints:
    """Every code point in 0..MAX_CODE_POINT not in the (normalized) `ranges`."""
    out = []
    next_free = 0
    for lo, hi in ranges:
        if lo > next_free:
            out.append((next_free, lo - 1))
        next_free = hi + 1
    if next_free <= MAX_CODE_POINT:
        out.append((next_free, MAX_CODE_POINT))
    return tuple(out)


def difference(ranges: Iterable[tuple[int, int]], removed: Iterable[tuple[int, int]]) -> CodePoints:
    """Code points of `ranges` that are not in `removed` (neither need be normalized)."""
    cut = normalize(removed)
    out = []
    first = 0  # cut[:first] all lie below the range at hand (and below every later one)
    for lo, hi in normalize(ranges):
        while first < len(cut) and cut[first][1] < lo:
            first += 1
        k = first
        while lo <= hi and k < len(cut) and cut[k][0] <= hi:
            cut_lo, cut_hi = cut[k]
            if cut_lo > lo:
                out.append((lo, cut_lo - 1))
            lo = max(lo, cut_hi + 1)
            k += 1
        if lo <= hi:
            out.append((lo, hi))
    return tuple(out)


def intersection(ranges: Iterable[tuple[int, int]], other: Iterable[tuple[int, int]]) -> CodePoints:
    """Code points in both `ranges` and `other` (neither need be normalized)."""
    return difference(ranges, complement(normalize(other)))


def size(ranges: Iterable[tuple[int, int]]) -> int:
    """How many code points the (disjoint) `ranges` hold."""
    return sum(hi - lo + 1 for lo, hi in ranges)


_UPPER = (ord("A"), ord("Z"))
_LOWER = (ord("a"), ord("z"))
_CASE_SHIFT = ord("a") - ord("A")


def ascii_case_fold(ranges: CodePoints) -> CodePoints:
    """`ranges` plus the other case of every ASCII letter in it (ASCII-only, like `re.ASCII | re.I`)."""
    extra = []
    for lo, hi in ranges:
        for (case_lo, case_hi), shift in ((_UPPER, _CASE_SHIFT), (_LOWER, -_CASE_SHIFT)):
            a, b = max(lo, case_lo), min(hi, case_hi)
            if a <= b:
                extra.append((a + shift, b + shift))
    return normalize((*ranges, *extra)) if extra else ranges


ANY: CodePoints = ((0, MAX_CODE_POINT),)
ANY_BUT_NEWLINE: CodePoints = ((0, 0x09), (0x0B, MAX_CODE_POINT))
SURROGATES: CodePoints = ((0xD800, 0xDFFF),)

ASCII_CLASSES: dict[str, CodePoints] = {
    "d": ((ord("0"), ord("9")),),
    "w": normalize([(ord("0"), ord("9")), (ord("A"), ord("Z")), (ord("_"), ord("_")), (ord("a"), ord("z"))]),
    "s": normalize([(0x09, 0x0D), (0x20, 0x20)]),
}

# What Python's `re` tests for each escape when `re.ASCII` is off (`_sre`'s Unicode predicates).
_UNICODE_MEMBER = {
    "d": str.isdecimal,
    "w": lambda c: c.isalnum() or c == "_",
    "s": lambda c: c.isspace() or c in "\x1c\x1d\x1e\x1f\x85",
}


@functools.cache
def unicode_class(letter: str) -> CodePoints:
    """The code points Python's Unicode `\\d`, `\\w` or `\\s` (letter "d", "w" or "s") matches.

    Computed from `str`'s predicates over every code point, once per process (about 0.2 s each)."""
    member = _UNICODE_MEMBER[letter]
    ranges = []
    start = None
    for code in range(MAX_CODE_POINT + 2):
        inside = code <= MAX_CODE_POINT and member(chr(code))
        if inside and start is None:
            start = code
        elif not inside and start is not None:
            ranges.append((start, code - 1))
            start = None
    return tuple(ranges)
