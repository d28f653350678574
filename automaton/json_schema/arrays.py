"""Arrays: `prefixItems`, `items`, lengths (older drafts' tuples arrive as `prefixItems`, see `drafts`).

Takes a normalised array schema and the translator; gives the language of the array's JSON
text. An element schema that no value can satisfy caps the length before it. Narrowings (each
reported through `Translator.narrowed`): `maxItems` above `ITEMS_CAP` is lowered to it, and in
automata, to what keeps the array's DFA within about `ITEM_STATES` states (element states times
items). `uniqueItems: true` (`unique`): over items with finitely many values, each subset of
them in the schema's order; in regex text, over other items at most one element (refused when
`minItems` asks for more); with automata, prefix positions and later items made pairwise
distinct by structure (`unique.distinct_parts`: exact when the positions' values are disjoint),
later items at most one per kind with infinitely many values, in a fixed kind order, and
`minItems`/`maxItems` by intersection with the plain array. With automata, `contains` /
`minContains` / `maxContains` intersect the array's language with a counter over its items
(`contains`).
"""
from __future__ import annotations

import json
from typing import TYPE_CHECKING

from automaton.dfa.byte_dfa import ByteDFA
from automaton.json_schema.contains import CONTAINS_KEYWORDS, with_contains
from automaton.json_schema.lang import (
    Lang,
    alternation,
    as_dfa,
    automata_in_use,
    intersection,
    matcher,
    optional,
    repeat,
    sequence,
)
from automaton.json_schema.literals import value_literal
from automaton.json_schema.merge import json_equal
from automaton.json_schema.unique import (
    MAX_VALUES,
    arrangement,
    distinct_parts,
    finite_values,
    unique_subsets,
)

if TYPE_CHECKING:  # pragma: no cover
    from automaton.json_schema.translate import Translator

__all__ = ["array_regex", "ITEMS_CAP"]

# A maxItems above this is lowered to it (a sound narrowing that keeps automata small).
ITEMS_CAP = 64
# In automata, a bounded array's items are capped so that items x element states stays about this.
ITEM_STATES = 20_000
_SCHEMA_ORDER = "distinct items in the order the schema lists their values"
_KIND_ORDER = "distinct items in a fixed order, by kind: null, true, false, numbers, strings, arrays, objects"


def _unique_of_finite(translator: Translator, items, pointer: str, depth: int, low: int, high: int | None) -> Lang:
    """uniqueItems over finitely many item values (`unique`), or False when the items are not finite."""
    finite = None if low > 1 else _finite_slots(translator, items, pointer, depth)
    if finite is None:
        return False
    literals, _ = finite
    if len(literals) > 1:
        translator.narrowed("uniqueItems", pointer, _SCHEMA_ORDER)
    if high is not None and high < len(literals):
        translator.narrowed("uniqueItems", pointer, f"only the first {high} item values")
    return unique_subsets(literals, translator.layout, depth, low, high)


def array_regex(translator: Translator, schema: dict, pointer: str, depth: int) -> Lang:
    if "contains" in schema and automata_in_use():
        plain = array_regex(translator, {k: v for k, v in schema.items() if k not in CONTAINS_KEYWORDS}, pointer, depth)
        return with_contains(translator, schema, plain, pointer, depth)
    items = schema.get("items")
    if isinstance(items, list):
        translator.invalid("items", pointer, "an array of schemas is spelled prefixItems in draft 2020-12")
    prefix = list(schema.get("prefixItems", []) or [])
    rest = True if items is None else items
    low = int(schema.get("minItems", 0) or 0)
    high: int | None = schema.get("maxItems")
    high = None if high is None else int(high)
    unique = schema.get("uniqueItems") is True and (high is None or high > 1)
    if unique and automata_in_use():
        return _unique_automaton(translator, prefix, rest, pointer, depth, low, high)
    if high is not None and high > ITEMS_CAP:
        # Shorter arrays still satisfy maxItems; the automaton grows with the bound.
        high = max(low, ITEMS_CAP)
        translator.narrowed("maxItems", pointer, f"at most {high} items")
    if unique:
        if not prefix:
            lang = _unique_of_finite(translator, rest, pointer, depth, low, high)
            if lang is not False:
                return lang
        if low > 1:
            translator.unsupported("uniqueItems", pointer, "more than one element would have to be distinct")
        else:
            high = 1
            translator.narrowed("uniqueItems", pointer, "at most one item")
    elements, rest_regex, high = _element_langs(translator, prefix, rest, pointer, depth, high)
    if high is not None and low > high:
        return None
    if high is not None and high > len(elements) + 1 and rest_regex is not None and automata_in_use():
        rest_regex = as_dfa(rest_regex)  # one automaton, repeated: its size bounds the items
        high = _state_budget(translator, rest_regex, pointer, len(elements), low, high)
    return _assemble(translator.layout, depth, elements, rest_regex, low, high)


def _element_langs(translator: Translator, prefix: list, rest, pointer: str, depth: int,
                   high: int | None) -> tuple[list[Lang], Lang, int | None]:
    """(the prefix positions' languages, the later items' language, `high`): the prefix cut
    before its first impossible position, the later items None when they cannot appear."""
    elements: list[Lang] = []
    for i, sub in enumerate(prefix):
        if high is not None and i >= high:
            break
        regex = translator.translate(sub, f"{pointer}/prefixItems/{i}", depth + 1)
        if regex is None:
            high = i
            break
        elements.append(regex)
    rest_regex = None
    if high is None or high > len(prefix):
        rest_regex = translator.translate(rest, f"{pointer}/items", depth + 1)
        if rest_regex is None:
            high = len(elements)
    else:
        high = min(high, len(elements)) if high is not None else len(elements)
    return elements, rest_regex, high


def _assemble(layout, depth: int, elements: list[Lang], rest_regex: Lang, low: int, high: int | None) -> Lang:
    """Arrays of `low`..`high` items: the `elements` in order, then items of `rest_regex`."""
    if high is not None and low > high:
        return None
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


def _unique_automaton(translator: Translator, prefix: list, rest, pointer: str, depth: int, low: int,
                      high: int | None) -> Lang:
    """uniqueItems with automata: values in the schema's order when the items name them all
    (`_unique_of_finite`), else items split by kind (`unique.distinct_parts`); `arrangement`
    intersected with the plain array of `low`..`high` items when the counts bind."""
    layout = translator.layout
    if not prefix:
        finite = _finite_slots(translator, rest, pointer, depth)
        if finite is not None:
            return _counted(translator, layout, depth, [], finite[0], low, high, pointer, finite[1], _SCHEMA_ORDER)
    elements, rest_lang, _ = _element_langs(translator, prefix, rest, pointer, depth, None)
    parts = distinct_parts(elements, rest_lang)
    cut = [f"{pointer}/prefixItems/{i}" if i < len(prefix) else f"{pointer}/items" for i in parts.cut]
    if cut:
        translator.narrowed("uniqueItems", pointer, f"values an earlier item may take left out at {', '.join(cut)}")
    if parts.open:
        kinds = ", one ".join(parts.open[:-1]) + (" and one " if len(parts.open) > 1 else "") + parts.open[-1]
        translator.narrowed("uniqueItems", pointer, f"at most one {kinds} item")
    exact = not cut and not parts.open
    return _counted(translator, layout, depth, parts.prefix, parts.slots, low, high, pointer, exact, _KIND_ORDER,
                    parts.tuples)


def _counted(translator: Translator, layout, depth: int, prefix: list, slots: list, low: int, high: int | None,
             pointer: str, exact: bool, order: str, tuples: list | None = None) -> Lang:
    """`unique.arrangement` of the prefix and slots with `low`..`high` items (`exact`: no value
    left out on the way, so too few slots means no instance rather than a refusal; `order`: the
    narrowing recorded when the slots keep their order)."""
    if high is not None and high < len(prefix):
        prefix, slots, tuples = prefix[:high], [], None if tuples is None else tuples[:high]
    longest = len(prefix) + len(slots)
    if low > longest:
        if not exact:
            translator.unsupported("uniqueItems", pointer, f"{low} distinct items asked for, at most {longest} "
                                   f"can be written")
        return None
    lang, any_order = arrangement(layout, depth, prefix, slots, low, tuples)
    if len(slots) > 1 and not any_order:
        translator.narrowed("uniqueItems", pointer, order)
    if low > 1 or (high is not None and high < longest):
        plain = _assemble(layout, depth, prefix, alternation(slots), low, None if high is None else min(high, longest))
        lang = intersection(lang, plain)
    return lang


def _finite_slots(translator: Translator, items, pointer: str, depth: int) -> tuple[list[Lang], bool] | None:
    """(the literals of the item values in the schema's order, whether all were kept), when the
    items name them all."""
    values = finite_values(translator.quiet_flat(items))
    if values is None:
        return None
    accepts = matcher(translator.compact_regex(items, f"{pointer}/items"))
    kept: list = []
    for value in values:
        if not any(json_equal(value, k) for k in kept) and accepts(json.dumps(value, ensure_ascii=False,
                                                                            separators=(",", ":"))):
            kept.append(value)
    exact = len(kept) <= MAX_VALUES
    if not exact:
        translator.narrowed("uniqueItems", pointer, f"the first {MAX_VALUES} of {len(kept)} item values")
        kept = kept[:MAX_VALUES]
    return [value_literal(v, translator.layout, depth + 1) for v in kept], exact


def _state_budget(translator: Translator, dfa: ByteDFA, pointer: str, n_prefix: int, low: int, high: int) -> int:
    """`high`, lowered so that the repeated element's automaton stays within ITEM_STATES states."""
    room = max(low, n_prefix + ITEM_STATES // max(dfa.num_states, 1))
    if room < high:
        translator.narrowed("maxItems", pointer, f"at most {room} items (each item's automaton has "
                                                 f"{dfa.num_states} states)")
        return room
    return high
