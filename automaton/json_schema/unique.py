"""`uniqueItems: true`: arrays whose items are pairwise distinct JSON values, where a regular
language can promise it.

Finitely many values named by the schema (`enum`, `const`, `boolean`, `null`, after
`allOf`/`$ref` merging): an array of distinct items is written as a subset of those values in
the schema's order (`unique_subsets`): `v0`, then any later values, each at most once. Arrays
listing the same values in another order are left out (a sound narrowing: order is all that is
lost); JSON equality decides distinctness (`1` and `1.0` are one value). At most `MAX_VALUES`
values are used (the first ones; a narrowing too).

With automata (`lang.composing`), other items are split by structure (`kind_parts`,
`distinct_parts`). A JSON text's first byte names its kind: `n` null, `t` true, `f` false, `-`
or a digit a number, `"` a string, `[` an array, `{` an object; texts of different kinds are
different values whatever their spelling, and null, true and false are one value each. What
this module relies on to call two sets of texts *value-disjoint* (no value spelled in both):

- their kinds differ (always safe: JSON equality never holds across kinds);
- or both are finite (at most `MAX_VALUES` texts of that kind each), read back with
  `json.loads` and compared with JSON equality (`merge.json_equal`: `1` equals `1.0`);
- or both lie within `algebra.UNIVERSE` (null, true, false, integers without fraction,
  exponent, leading zeros or `-0`, strings spelled with `json.dumps(ensure_ascii=False)`'s
  escapes only), where each value has exactly one text: there, texts that differ are values
  that differ, so disjoint texts (an empty DFA intersection) are disjoint values, and the text
  difference A \\ B holds no value of B. Fractions, exponents, other string escapes, arrays and
  objects (key order, spacing) have several texts per value and are never compared as texts.

`prefixItems` whose parts are pairwise value-disjoint are kept exactly. Positions with finitely
many values, at most `ANY_ORDER_SLOTS` in all, are kept exactly too: the automaton remembers
which values were written (`Slots.tuples`). Otherwise each part of a later position that cannot
be shown value-disjoint from an earlier one is removed from it (finite values by value,
universe texts by text difference, anything else by kind), and the `items` after them likewise
from every prefix position. The remaining items split into slots,
pairwise value-disjoint: one per value of a finite kind, one per kind with more values
(`open`). An array is then the prefix, then distinct slots, each open kind at most once: in
any order when there are at most `ANY_ORDER_SLOTS` slots and the automaton that remembers which
were written stays small (`ANY_ORDER_STATES`), else in the fixed kind order `KINDS` (values of a
finite kind in the order of their texts).

    >>> layout = Layout(spaced=True)
    >>> regex = unique_subsets(['"a"', '"b"', '"c"'], layout, 0, 0, None)
    >>> import re
    >>> [bool(re.fullmatch(regex, t)) for t in ('["a", "c"]', '["c", "a"]', '[]', '["a", "a"]')]
    [True, False, True, False]
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from automaton.dfa.byte_dfa import DEAD_STATE, ByteDFA
from automaton.errors import TooManyStatesError
from automaton.json_schema import lang as L
from automaton.json_schema.algebra import UNIVERSE
from automaton.json_schema.layout import Layout
from automaton.json_schema.merge import json_equal
from automaton.json_schema.regex_text import Regex, alternation, optional, sequence
from automaton.syntax.render import literal

__all__ = ["finite_values", "unique_subsets", "MAX_VALUES", "KINDS", "Slots", "kind_parts", "finite_texts",
           "distinct_parts", "arrangement", "ANY_ORDER_SLOTS"]

MAX_VALUES = 32

# The kinds of JSON texts, by their first byte, in the order slots are written.
_ANY_TAIL = "(.|\\n)*"
KINDS = (("null", "null"), ("true", "true"), ("false", "false"), ("number", "-?[0-9]" + _ANY_TAIL),
         ("string", '"' + _ANY_TAIL), ("array", "\\[" + _ANY_TAIL), ("object", "\\{" + _ANY_TAIL))
_ONE_VALUE = ("null", "true", "false")


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
    at most once; with `high` below their number, only the first `high` literals are used. Only
    `low` <= 1 is built (None otherwise)."""
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


# -- automata: items split by kind -------------------------------------------------------------


def finite_texts(dfa: ByteDFA | None, limit: int = MAX_VALUES) -> list[bytes] | None:
    """Every text `dfa` accepts (in byte order) when they are at most `limit`, else None."""
    if dfa is None:
        return []
    table, accepting = dfa.table, dfa.accepting
    bytes_of: list[list[int]] = [[] for _ in range(dfa.num_classes)]
    for byte, cls in enumerate(dfa.byte_classes.tolist()):
        bytes_of[cls].append(byte)
    words: dict[int, list[bytes]] = {}
    grey = {dfa.initial_state}
    stack = [(dfa.initial_state, iter(range(dfa.num_classes)))]
    while stack:
        state, classes = stack[-1]
        for cls in classes:
            target = int(table[state, cls])
            if target == DEAD_STATE or target in words or not bytes_of[cls]:
                continue
            if target in grey:
                return None  # a loop: infinitely many texts
            grey.add(target)
            stack.append((target, iter(range(dfa.num_classes))))
            break
        else:
            stack.pop()
            out = [b""] if accepting[state] else []
            for cls in range(dfa.num_classes):
                target = int(table[state, cls])
                if target == DEAD_STATE or not bytes_of[cls]:
                    continue
                tails = words[target]
                if tails is None or len(out) + len(bytes_of[cls]) * len(tails) > limit:
                    return None
                out.extend(bytes([byte]) + tail for byte in bytes_of[cls] for tail in tails)
            words[state] = sorted(out)
    return words[dfa.initial_state]


def kind_parts(lang: L.Lang) -> list[tuple[str, ByteDFA]]:
    """The non-empty parts of `lang` (JSON texts of values) by kind, in `KINDS` order."""
    whole = L.as_dfa(lang)
    if whole is None:
        return []
    parts = []
    for kind, texts in KINDS:
        part = L.intersection(whole, texts)
        if part is not None:
            parts.append((kind, part))
    return parts


@dataclass
class _Part:
    """The texts of one kind at one position: their values when finite, whether canonical."""

    kind: str
    dfa: ByteDFA
    texts: list[bytes] | None = field(default=None)
    canonical: bool = False

    @classmethod
    def of(cls, kind: str, dfa: ByteDFA) -> _Part:
        texts = finite_texts(dfa)
        canonical = kind in _ONE_VALUE or L.difference(dfa, UNIVERSE) is None
        return cls(kind, dfa, texts, canonical)

    def values(self) -> list:
        return [json.loads(text) for text in self.texts or []]


def _without(part: _Part, other: _Part) -> tuple[_Part | None, bool]:
    """`part` less every value `other` may take (finite values by value, universe texts by
    text, anything else: the whole kind), and whether anything was removed."""
    if part.kind != other.kind:
        return part, False
    if part.texts is not None and other.texts is not None:
        taken = other.values()
        kept = [t for t in part.texts if not any(json_equal(json.loads(t), v) for v in taken)]
        if len(kept) == len(part.texts):
            return part, False
        dfa = L.as_dfa(L.alternation(literal(t.decode("utf-8")) for t in kept))
        return (None if dfa is None else _Part(part.kind, dfa, kept, part.canonical)), True
    if part.canonical and other.canonical:
        if L.intersection(part.dfa, other.dfa) is None:
            return part, False
        dfa = L.difference(part.dfa, other.dfa)
        return (None if dfa is None else _Part.of(part.kind, dfa)), True
    return None, True


@dataclass
class Slots:
    """The item languages of a unique array: `prefix` (positions, pairwise value-disjoint, or
    when `tuples` is set each position's whole language), `tuples` (when every prefix position
    has finitely many values, at most `ANY_ORDER_SLOTS` in all: per position, (value id, its
    texts there); `arrangement` then writes distinct ids), `slots` (the items after them,
    pairwise value-disjoint and disjoint from the prefix, in writing order), `open` (the kinds
    with more values than `MAX_VALUES`, one slot each), `cut` (the positions, `items` as
    `len(prefix)`, that lost values an earlier position may take)."""

    prefix: list[ByteDFA]
    slots: list[L.Lang]
    open: list[str]
    cut: list[int]
    tuples: list[list[tuple[int, L.Lang]]] | None = None


def _by_value(texts: list[bytes], groups: list[tuple[Any, list[bytes]]]) -> list[int]:
    """The ids (indexes in `groups`, grown as needed) of the values of `texts`, one per text."""
    ids = []
    for text in texts:
        value = json.loads(text)
        for i, (seen, _) in enumerate(groups):
            if json_equal(seen, value):
                ids.append(i)
                break
        else:
            ids.append(len(groups))
            groups.append((value, []))
    return ids


def _value_tuples(positions: list[list[_Part]]) -> list[list[tuple[int, L.Lang]]] | None:
    """Per position, (value id, the position's texts of it), when every position's values are
    finite and at most `ANY_ORDER_SLOTS` in all; else None."""
    if any(part.texts is None for parts in positions for part in parts):
        return None
    groups: list[tuple[Any, list[bytes]]] = []
    out = []
    for parts in positions:
        texts = [text for part in parts for text in part.texts or []]
        spellings: dict[int, list[bytes]] = {}
        for vid, text in zip(_by_value(texts, groups), texts):
            spellings.setdefault(vid, []).append(text)
        if len(groups) > ANY_ORDER_SLOTS:
            return None
        out.append([(vid, alternation(literal(t.decode("utf-8")) for t in spelled))
                    for vid, spelled in spellings.items()])
    return out


def distinct_parts(prefix: list[L.Lang], rest: L.Lang) -> Slots:
    """The prefix positions and the items after them made pairwise value-disjoint (see the
    module's docstring); a position left without texts ends the prefix there. Prefix positions
    of finitely many values in all are kept whole (`Slots.tuples`)."""
    positions = [[_Part.of(kind, dfa) for kind, dfa in kind_parts(lang)] for lang in prefix]
    tuples = _value_tuples(positions) if positions else None
    kept: list[list[_Part]] = []
    cut: list[int] = []
    for position, lang in enumerate([*prefix, rest]):
        parts = positions[position] if position < len(prefix) else [_Part.of(k, d) for k, d in kind_parts(lang)]
        lost = False
        for earlier in kept:
            for other in earlier:
                narrowed = []
                for part in parts:
                    left, removed = _without(part, other) if tuples is None or position == len(prefix) else (
                        part, False)
                    lost = lost or removed
                    if left is not None:
                        narrowed.append(left)
                parts = narrowed
        if lost:
            cut.append(position)
        if position == len(prefix):
            break
        if not parts:
            return Slots([_union(p) for p in kept], [], [], cut, None if tuples is None else tuples[:len(kept)])
        kept.append(parts)
    slots: list[L.Lang] = []
    open_kinds: list[str] = []
    for part in parts:
        if part.texts is None:
            slots.append(part.dfa)
            open_kinds.append(part.kind)
            continue
        groups: list[tuple[Any, list[bytes]]] = []
        for vid, text in zip(_by_value(part.texts, groups), part.texts):
            groups[vid][1].append(text)
        slots.extend(alternation(literal(t.decode("utf-8")) for t in spellings) for _, spellings in groups)
    return Slots([_union(p) for p in kept], slots, open_kinds, cut, tuples)


def _union(parts: list[_Part]) -> ByteDFA:
    return L.as_dfa(L.alternation(part.dfa for part in parts))


def _ordered_subsets(items: list[L.Lang], sep: str) -> L.Lang:
    """Any non-empty ordered subset of `items`, separated by `sep` (n log n copies of items)."""
    if len(items) == 1:
        return items[0]
    mid = len(items) // 2
    later = L.sequence(*(L.optional(L.sequence(sep, item)) for item in items[mid:]))
    return L.alternation([L.sequence(_ordered_subsets(items[:mid], sep), later), _ordered_subsets(items[mid:], sep)])


# Slots are written in any order when there are at most this many (the automaton remembers
# which were written: 2^slots sets) and the estimate below stays within ANY_ORDER_STATES.
ANY_ORDER_SLOTS = 8
ANY_ORDER_STATES = 4_000


def _weight(lang: L.Lang) -> int:
    if isinstance(lang, str):
        return L.text_weight(lang)
    return lang.num_states if isinstance(lang, ByteDFA) else lang.size


def any_order_fits(slots: list[L.Lang]) -> bool:
    """Whether `arrangement` tries to write these slots in any order (else in theirs)."""
    count = len(slots)
    return count <= ANY_ORDER_SLOTS and (1 << max(count - 1, 0)) * sum(map(_weight, slots)) <= ANY_ORDER_STATES


def _continuations(slots: list[L.Lang], sep: str) -> list[L.Lang]:
    """For each set U of slots (a bit mask): `sep slot` for slots outside U, each at most once,
    in any order (nothing included). Each set's automaton is built once, from the larger sets'."""
    full = (1 << len(slots)) - 1
    after: list[L.Lang] = [None] * (full + 1)
    for used in sorted(range(full + 1), key=lambda mask: -bin(mask).count("1")):
        options: list[L.Lang] = [""]
        for i, slot in enumerate(slots):
            if not used >> i & 1:
                options.append(L.sequence(sep, slot, after[used | 1 << i]))
        after[used] = L.as_dfa(L.alternation(options)) if len(options) > 1 else ""
    return after


def _distinct_prefix(tuples: list[list[tuple[int, L.Lang]]], sep: str, tail: L.Lang) -> L.Lang:
    """The prefix positions in order, each one of its values not written before (the array may
    end after any position), then `tail` after the last; one automaton per (position, values used)."""
    memo: dict[tuple[int, int], L.Lang] = {}

    def after(position: int, used: int) -> L.Lang:
        if position == len(tuples):
            return tail
        if (position, used) not in memo:
            options: list[L.Lang] = [""]
            for vid, lang in tuples[position]:
                if not used >> vid & 1:
                    options.append(L.sequence(sep, lang, after(position + 1, used | 1 << vid)))
            memo[position, used] = L.as_dfa(L.alternation(options))
        return memo[position, used]

    return L.alternation(L.sequence(lang, after(1, 1 << vid)) for vid, lang in tuples[0])


def arrangement(layout: Layout, depth: int, prefix: list[L.Lang], slots: list[L.Lang], low: int,
                tuples: list[list[tuple[int, L.Lang]]] | None = None) -> tuple[L.Lang, bool]:
    """(arrays of the `prefix` positions in order (the array may end after any of them), then
    distinct `slots`, each at most once: in any order when `any_order_fits` and the automaton
    stays within max_states, else in theirs; `[]` only when `low` is 0; whether in any order).
    With `tuples` (`Slots.tuples`), the prefix positions take distinct values of theirs.
    Counts beyond that are the caller's."""
    sep = layout.item_separator(depth)
    any_order = any_order_fits(slots)
    after: list[L.Lang] = []
    if any_order:
        try:
            after = _continuations(slots, sep)
        except TooManyStatesError:
            any_order = False
    if prefix:
        tail = after[0] if any_order else L.sequence(*(L.optional(L.sequence(sep, slot)) for slot in slots))
        if tuples:
            body = _distinct_prefix(tuples, sep, tail)
            full = L.sequence(layout.open("[", depth), body, layout.close("]", depth))
            return (L.alternation([layout.empty("[]"), full]) if low == 0 else full), any_order
        for element in reversed(prefix[1:]):
            tail = L.optional(L.sequence(sep, element, tail))
        body = L.sequence(prefix[0], tail)
    elif slots and any_order:
        body = L.alternation(L.sequence(slot, after[1 << i]) for i, slot in enumerate(slots))
    elif slots:
        body = _ordered_subsets(slots, sep)
    else:
        body = None
    full = L.sequence(layout.open("[", depth), body, layout.close("]", depth))
    return (L.alternation([layout.empty("[]"), full]) if low == 0 else full), any_order
