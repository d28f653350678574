"""The small syntax tree the DFA compiler reads.

Nodes (all immutable):
    CharSet(ranges)          one code point from `ranges` (`CodePoints`, see `charsets`)
    Concat(items)            the items one after another; `Concat(())` is the empty string
    Alternation(options)     any one of the options
    Repeat(item, min, max)   `item` repeated `min`..`max` times; `max=None` means unbounded

Flags are already applied when a tree is built: case folding and `.` have become plain code
point sets, so the tree means the same thing wherever it appears.

    >>> Repeat(CharSet(((97, 97),)), 0, None)
    Repeat(item=CharSet(ranges=((97, 97),)), min=0, max=None)
"""
from __future__ import annotations

from dataclasses import dataclass

from automaton.syntax.charsets import CodePoints

__all__ = [
    "CodePoints",
    "CharSet",
    "Concat",
    "Alternation",
    "Repeat",
    "Node",
    "EMPTY_STRING",
]


@dataclass(frozen=True)
class CharSet:
    ranges: CodePoints


@dataclass(frozen=True)
class Concat:
    items: tuple[Node, ...]


@dataclass(frozen=True)
class Alternation:
    options: tuple[Node, ...]


@dataclass(frozen=True)
class Repeat:
    item: Node
    min: int
    max: int | None


Node = CharSet | Concat | Alternation | Repeat

EMPTY_STRING = Concat(())

