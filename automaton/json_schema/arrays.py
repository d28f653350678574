"""Arrays: `prefixItems` (or draft-4 `items` lists), `items` / `additionalItems`, lengths.

Takes a normalised array schema and the translator; gives the regex of the array's JSON text.
An element schema that no value can satisfy caps the length before it. `uniqueItems: true`
is kept sound by allowing at most one element (refused when `minItems` asks for more).
"""
from __future__ import annotations

from typing import TYPE_CHECKING

from automaton.json_schema.regex_text import Regex, alternation, optional, repeat, sequence

if TYPE_CHECKING:  # pragma: no cover
    from automaton.json_schema.translate import Translator

__all__ = ["array_regex", "ITEMS_CAP"]

# A maxItems above this is lowered to it (a sound narrowing that keeps automata small).
ITEMS_CAP = 64


def array_regex(translator: Translator, schema: dict, pointer: str, depth: int) -> Regex:
    layout = translator.layout
    items = schema.get("items")
    if isinstance(items, list):
        prefix, prefix_key = items, "items"
        rest, rest_key = schema.get("additionalItems", True), "additionalItems"
    else:
        prefix, prefix_key = list(schema.get("prefixItems", []) or []), "prefixItems"
        rest, rest_key = (True if items is None else items), "items"
    low = int(schema.get("minItems", 0) or 0)
    high: int | None = schema.get("maxItems")
    high = None if high is None else int(high)
    if high is not None and high > ITEMS_CAP:
        # Shorter arrays still satisfy maxItems; the automaton grows with the bound.
        high = max(low, ITEMS_CAP)
    if schema.get("uniqueItems") is True and (high is None or high > 1):
        if low > 1:
            translator.unsupported("uniqueItems", pointer, "more than one element would have to be distinct")
        else:
            high = 1
    elements: list[str] = []
    for i, sub in enumerate(prefix):
        if high is not None and i >= high:
            break
        regex = translator.translate(sub, f"{pointer}/{prefix_key}/{i}", depth + 1)
        if regex is None:
            high = i
            break
        elements.append(regex)
    rest_regex = None
    if high is None or high > len(prefix):
        rest_regex = translator.translate(rest, f"{pointer}/{rest_key}", depth + 1)
        if rest_regex is None:
            high = len(elements)
    else:
        high = min(high, len(elements)) if high is not None else len(elements)
    if high is not None and low > high:
        return None
    if high == 0:
        return layout.empty("[]")
    sep = layout.item_separator(depth)
    n_prefix = len(elements)
    rest_low = max(0, low - n_prefix)
    rest_high = None if high is None else high - n_prefix
    if n_prefix == 0:
        body = sequence(rest_regex, repeat(sep + rest_regex, max(0, low - 1), None if high is None else high - 1))
    else:
        tail = "" if rest_regex is None or rest_high == 0 else repeat(sep + rest_regex, rest_low, rest_high)
        for i in range(n_prefix - 1, 0, -1):
            step = sequence(sep, elements[i], tail)
            tail = step if i < low else optional(step)
        body = sequence(elements[0], tail)
    full = sequence(layout.open("[", depth), body, layout.close("]", depth))
    if low == 0:
        return alternation([layout.empty("[]"), full])
    return full
