"""The small syntax tree the DFA compiler reads, and code point set arithmetic.

Nodes (all immutable):
    CharSet(ranges)          one code point from `ranges`
    Concat(items)            the items one after another; `Concat(())` is the empty string
    Alternation(options)     any one of the options
    Repeat(item, min, max)   `item` repeated `min`..`max` times; `max=None` means unbounded

A code point set is a tuple of inclusive `(lo, hi)` pairs, sorted, disjoint and not touching
(`normalize` makes one). Flags are already applied when a tree is built: case folding and `.`
have become plain code point sets, so the tree means the same thing wherever it appears.

    >>> complement(((0, 0x60), (0x7B, 0x10FFFF)))
    ((97, 122),)
    >>> ascii_case_fold(((ord("a"), ord("c")),))
    ((65, 67), (97, 99))
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable, Union

__all__ = [
    "MAX_CODE_POINT",
    "CodePoints",
    "CharSet",
    "Concat",
    "Alternation",
    "Repeat",
    "Node",
    "EMPTY_STRING",
    "normalize",
    "complement",
    "ascii_case_fold",
]

MAX_CODE_POINT = 0x10FFFF

CodePoints = tuple[tuple[int, int], ...]


@dataclass(frozen=True)
class CharSet:
    ranges: CodePoints


@dataclass(frozen=True)
class Concat:
    items: tuple["Node", ...]


@dataclass(frozen=True)
class Alternation:
    options: tuple["Node", ...]


@dataclass(frozen=True)
class Repeat:
    item: "Node"
    min: int
    max: int | None


Node = Union[CharSet, Concat, Alternation, Repeat]

EMPTY_STRING = Concat(())


def normalize(ranges: Iterable[tuple[int, int]]) -> CodePoints:
    """Sorted, merged ranges (touching or overlapping pairs become one)."""
    merged: list[list[int]] = []
    for lo, hi in sorted(ranges):
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
