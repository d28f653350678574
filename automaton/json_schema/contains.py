"""`contains`, `minContains`, `maxContains` (automata only): a counter over the items.

The array's language without these keywords (`arrays.array_regex`: items, prefixItems,
lengths) is intersected with a counting language over the same layout: arrays whose elements
are hits (texts of the `contains` schema's automaton) and misses, with between `minContains`
(default 1) and `maxContains` hits. An array text splits into its element texts one way only,
so an accepted text's i-th element is the same text in both languages. Soundness:

- a hit satisfies `contains` (its automaton is sound), so at least `minContains` elements do;
- without `maxContains`, a miss is any JSON value (containers nested up to `_MISS_LEVELS`
  deep: a narrowing), which can only add matching elements;
- with `maxContains`, a miss is a scalar of the universe (of printable-ASCII strings when
  `contains` tests a `pattern`: `domains`) that fails `contains`, by complement (`algebra`),
  allowed only when `contains` has an exact automaton there; otherwise every
  element must be a hit, so the count of matching elements is the array's length, at most
  `maxContains` items.

    (H = hits, N = misses, S = the separator; `R(lo, hi)` = S-led items with lo..hi hits)
    R(lo, hi) = (S N)* ((S H) (S N)*){lo, hi}
    body      = H R(min-1, max-1) | N R(min, max)
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

from automaton.json_schema import algebra
from automaton.json_schema.lang import Lang, alternation, intersection, repeat, sequence
from automaton.json_schema.literals import any_value

if TYPE_CHECKING:  # pragma: no cover
    from automaton.json_schema.translate import Translator

__all__ = ["CONTAINS_KEYWORDS", "with_contains"]

CONTAINS_KEYWORDS = frozenset({"contains", "minContains", "maxContains"})
_MISS_LEVELS = 2


def _count(translator: Translator, schema: dict, key: str, default: int | None, pointer: str) -> int | None:
    value: Any = schema.get(key, default)
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if value is not None and (isinstance(value, bool) or not isinstance(value, int) or value < 0):
        translator.invalid(key, pointer, "must be a non-negative integer")
    return value


def _items(hit: Lang, miss: Lang, sep: str, low: int, high: int | None) -> Lang:
    """Separator-led items with `low`..`high` hits among misses (`R(low, high)`)."""
    if high is not None and high < low:
        return None
    misses = "" if miss is None else repeat(sequence(sep, miss), 0, None)
    led_hit = sequence(sep, hit, misses)
    return sequence(misses, repeat(led_hit, low, high))


def with_contains(translator: Translator, schema: dict, plain: Lang, pointer: str, depth: int) -> Lang:
    """The array language `plain` (the schema without these keywords) with `contains` enforced."""
    low = _count(translator, schema, "minContains", 1, pointer)
    high = _count(translator, schema, "maxContains", None, pointer)
    if low == 0 and high is None:
        return plain
    layout = translator.layout
    hit = translator.translate(schema["contains"], f"{pointer}/contains", depth + 1)
    if high is None:
        miss: Lang = any_value(layout, depth + 1, _MISS_LEVELS)
        translator.narrowed("contains", pointer, f"other items nested at most {_MISS_LEVELS} levels deep")
    else:
        exact = algebra.exact_language(translator, schema["contains"], f"{pointer}/contains")
        miss = exact.failing() if exact else None
        translator.narrowed("maxContains", pointer, f"other items: scalars{exact.domain.limits} that fail "
                            "`contains`" if exact else "every item matches `contains`")
    sep = layout.item_separator(depth)
    options = [sequence(miss, _items(hit, miss, sep, low, high))]
    if high is None or high > 0:
        options.append(sequence(hit, _items(hit, miss, sep, max(0, low - 1), None if high is None else high - 1)))
    body = alternation(options)
    counted = alternation([layout.empty("[]") if low == 0 else None,
                           sequence(layout.open("[", depth), body, layout.close("]", depth))])
    return intersection(plain, counted)
