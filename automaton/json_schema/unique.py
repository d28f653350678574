"""`uniqueItems: true` over items with finitely many values: every subset, each value at most once.

When the items' schema allows only a finite list of values (`enum`, `const`, `boolean`, `null`,
after `allOf`/`$ref` merging), an array of distinct items is written here as a subset of those
values in the schema's order: `v0`, then any later values, each at most once. Arrays listing the
same values in another order are left out (a sound narrowing: order is all that is lost); JSON
equality decides distinctness (`1` and `1.0` are one value). The text grows with the square of
the number of values, so at most `MAX_VALUES` are used (the first ones; a narrowing too).

    >>> layout = Layout(spaced=True)
    >>> regex = unique_subsets(['"a"', '"b"', '"c"'], layout, 0, 0, None)
    >>> import re
    >>> [bool(re.fullmatch(regex, t)) for t in ('["a", "c"]', '["c", "a"]', '[]', '["a", "a"]')]
    [True, False, True, False]
"""
from __future__ import annotations

from typing import Any

from automaton.json_schema.layout import Layout
from automaton.json_schema.regex_text import Regex, alternation, optional, sequence

__all__ = ["finite_values", "unique_subsets", "MAX_VALUES"]

MAX_VALUES = 32


def finite_values(flat: Any) -> list | None:
    """The values a flattened item schema allows when it names them all, else None."""
    if flat is False:
        return []
    if not isinstance(flat, dict):
        return None
    if "const" in flat:
        return [flat["const"]]
    if isinstance(flat.get("enum"), list):
        return list(flat["enum"])
    declared = flat.get("type")
    names = [declared] if isinstance(declared, str) else declared
    if isinstance(names, list) and names and set(names) <= {"boolean", "null"}:
        return ([True, False] if "boolean" in names else []) + ([None] if "null" in names else [])
    return None


def unique_subsets(literals: list[str], layout: Layout, depth: int, low: int, high: int | None) -> Regex:
    """Arrays of `low`..`high` of the `literals` (regexes of distinct values), in their order, each
    at most once. Only `low` <= 1 is built (None otherwise)."""
    if low > 1:
        return None
    count = len(literals) if high is None else min(high, len(literals))
    literals = literals[:count]
    sep = layout.item_separator(depth)
    # after value i: any of the later values, in order, each optional
    bodies = []
    for i, first in enumerate(literals):
        tail = sequence(*(optional(sequence(sep, later)) for later in literals[i + 1 :]))
        bodies.append(sequence(first, tail))
    body = alternation(bodies)
    empty = layout.empty("[]")
    if body is None:
        return empty if low == 0 else None
    full = sequence(layout.open("[", depth), body, layout.close("]", depth))
    return alternation([empty, full]) if low == 0 else full
