"""Arrays: `prefixItems`, `items`, lengths (older drafts' tuples arrive as `prefixItems`, see `drafts`).

Takes a normalised array schema and the translator; gives the language of the array's JSON
text. An element schema that no value can satisfy caps the length before it. Narrowings (each
reported through `Translator.narrowed`): `maxItems` above `ITEMS_CAP` is lowered to it, and in
automata, to what keeps the array's DFA within about `ITEM_STATES` states (element states times
items); `uniqueItems: true` over items with finitely many values allows each subset of them in
the schema's order (`unique`), over other items at most one element (refused when `minItems`
asks for more). With automata, `contains` / `minContains` / `maxContains` intersect the array's
language with a counter over its items (`contains`).
"""
from __future__ import annotations

import json
from typing import TYPE_CHECKING

from automaton.dfa.byte_dfa import ByteDFA
from automaton.json_schema.contains import CONTAINS_KEYWORDS, with_contains
from automaton.json_schema.lang import Lang, alternation, as_dfa, automata_in_use, matcher, optional, repeat, sequence
from automaton.json_schema.literals import value_literal
from automaton.json_schema.merge import json_equal
from automaton.json_schema.unique import MAX_VALUES, finite_values, unique_subsets

if TYPE_CHECKING:  # pragma: no cover
    from automaton.json_schema.translate import Translator

__all__ = ["array_regex", "ITEMS_CAP"]

# A maxItems above this is lowered to it (a sound narrowing that keeps automata small).
ITEMS_CAP = 64
# In automata, a bounded array's items are capped so that items x element states stays about this.
ITEM_STATES = 20_000


def _unique_of_finite(translator: Translator, items, pointer: str, depth: int, low: int, high: int | None) -> Lang:
    """uniqueItems over finitely many item values (`unique`), or False when the items are not finite."""
    values = finite_values(translator.quiet_flat(items))
    if values is None or low > 1:
        return False
    accepts = matcher(translator.compact_regex(items, f"{pointer}/items"))
    kept: list = []
    for value in values:
        if not any(json_equal(value, k) for k in kept) and accepts(json.dumps(value, ensure_ascii=False,
                                                                            separators=(",", ":"))):
            kept.append(value)
    if len(kept) > MAX_VALUES:
        translator.narrowed("uniqueItems", pointer, f"the first {MAX_VALUES} of {len(kept)} item values")
        kept = kept[:MAX_VALUES]
    if len(kept) > 1:
        translator.narrowed("uniqueItems", pointer, "distinct items in the order the schema lists their values")
    return unique_subsets([value_literal(v, translator.layout, depth + 1) for v in kept], translator.layout, depth,
                          low, high)


def array_regex(translator: Translator, schema: dict, pointer: str, depth: int) -> Lang:
    if "contains" in schema and automata_in_use():
        plain = array_regex(translator, {k: v for k, v in schema.items() if k not in CONTAINS_KEYWORDS}, pointer, depth)
        return with_contains(translator, schema, plain, pointer, depth)
    layout = translator.layout
    items = schema.get("items")
    if isinstance(items, list):
        translator.invalid("items", pointer, "an array of schemas is spelled prefixItems in draft 2020-12")
    prefix, prefix_key = list(schema.get("prefixItems", []) or []), "prefixItems"
    rest, rest_key = (True if items is None else items), "items"
    low = int(schema.get("minItems", 0) or 0)
    high: int | None = schema.get("maxItems")
    high = None if high is None else int(high)
    if high is not None and high > ITEMS_CAP:
        # Shorter arrays still satisfy maxItems; the automaton grows with the bound.
        high = max(low, ITEMS_CAP)
        translator.narrowed("maxItems", pointer, f"at most {high} items")
    if schema.get("uniqueItems") is True and (high is None or high > 1):
        if not prefix:
            unique = _unique_of_finite(translator, rest, pointer, depth, low, high)
            if unique is not False:
                return unique
        if low > 1:
            translator.unsupported("uniqueItems", pointer, "more than one element would have to be distinct")
        else:
            high = 1
            translator.narrowed("uniqueItems", pointer, "at most one item")
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
    if high is not None and high > len(elements) + 1 and rest_regex is not None and automata_in_use():
        rest_regex = as_dfa(rest_regex)  # one automaton, repeated: its size bounds the items
        high = _state_budget(translator, rest_regex, pointer, len(elements), low, high)
    if high == 0:
        return layout.empty("[]")
    sep = layout.item_separator(depth)
    n_prefix = len(elements)
    rest_low = max(0, low - n_prefix)
    rest_high = None if high is None else high - n_prefix
    if n_prefix == 0:
        more = repeat(sequence(sep, rest_regex), max(0, low - 1), None if high is None else high - 1)
        body = sequence(rest_regex, more)
    else:
        tail = "" if rest_regex is None or rest_high == 0 else repeat(sequence(sep, rest_regex), rest_low, rest_high)
        for i in range(n_prefix - 1, 0, -1):
            step = sequence(sep, elements[i], tail)
            tail = step if i < low else optional(step)
        body = sequence(elements[0], tail)
    full = sequence(layout.open("[", depth), body, layout.close("]", depth))
    if low == 0:
        return alternation([layout.empty("[]"), full])
    return full


def _state_budget(translator: Translator, dfa: ByteDFA, pointer: str, n_prefix: int, low: int, high: int) -> int:
    """`high`, lowered so that the repeated element's automaton stays within ITEM_STATES states."""
    room = max(low, n_prefix + ITEM_STATES // max(dfa.num_states, 1))
    if room < high:
        translator.narrowed("maxItems", pointer, f"at most {room} items (each item's automaton has "
                                                 f"{dfa.num_states} states)")
        return room
    return high
