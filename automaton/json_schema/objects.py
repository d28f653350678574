"""Objects: properties in schema order, optional ones in any subset, extra keys where allowed.

Takes a normalised object schema and the translator (for the value schemas); gives the language
of the object's JSON text. Properties come in the order of `properties` (then required names that
`properties` lacks). Extra keys, when the schema allows them, come after, spelled with raw
characters only and never equal to a named property (a duplicate key would be read back with
the last value, and a named key's value must satisfy its own schema).

The comma placement for optional properties: when some property is required, the ones before
it are written `(p,)?` and the ones after `(,p)?`, which is linear. When none is, the
"non-empty ordered subset" is built by halves, `F(a..c) = F(a..b) T(b..c) | F(b..c)` with
`T` the `(,p)?` chain, so the regex grows as n log n rather than n².

Where the schema asks for more than a regex says here, a smaller sound set is produced:
`minProperties` beyond the required count makes the first optional properties required,
`maxProperties` below the property count leaves the last optional ones out. A dependency
(`dependentRequired`, `dependentSchemas`) whose trigger is optional splits the object into two
exact cases, trigger written (then required: its names required, its schema merged) or never
written, for up to 4 such triggers; past that, the dependent names are made required or the
trigger left out (never written as an extra key either). `propertyNames` leaves out the names
it rejects. Extra keys under several `patternProperties`, a pattern that matches a named
property, or `propertyNames` beside named properties go by regions of key automata
(`extra_keys`, automata only); otherwise they come only for a single pattern that no named
property matches. Each narrowing is recorded (`Translator.narrowed`).
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from automaton.errors import InvalidSchemaError, UnsupportedSchemaError
from automaton.json_schema.extra_keys import exact_patterns, key_regions
from automaton.json_schema.lang import (
    Lang,
    alternation,
    automata_in_use,
    intersection,
    matcher,
    optional,
    repeat,
    sequence,
)
from automaton.json_schema.patterns import PatternError, pattern_search
from automaton.json_schema.refs import escape_pointer_token
from automaton.json_schema.regex_text import Regex
from automaton.json_schema.strings import RAW_CHAR
from automaton.syntax.charsets import complement, normalize
from automaton.syntax.render import char_class, literal

if TYPE_CHECKING:  # pragma: no cover
    from automaton.json_schema.translate import Translator

__all__ = ["object_regex", "key_excluding"]


@dataclass
class _Extras:
    pairs: list[tuple[Lang, Lang]]  # (key language, value language), one per region of keys
    max_count: int | None


def key_excluding(names: list[str]) -> str:
    """A JSON string key of raw characters whose value is none of `names`."""
    trie: dict = {}
    for name in names:
        node = trie
        for ch in name:
            node = node.setdefault(ch, {})
        node[""] = {}

    def body(node: dict) -> Regex:
        children = sorted(c for c in node if c)
        options: list[Regex] = []
        if "" not in node:
            options.append("")
        for ch in children:
            options.append(sequence(literal(ch), body(node[ch])))
        excluded = [(0, 0x1F), (0x22, 0x22), (0x5C, 0x5C)] + [(ord(c), ord(c)) for c in children]
        first = char_class(complement(normalize(excluded)))
        options.append(sequence(first, RAW_CHAR + "*"))
        return alternation(options)

    return '"' + (body(trie) or "") + '"'


_MAX_SPLIT_TRIGGERS = 4


def _pattern_matches(translator: Translator, pattern: str, name: str, pointer: str) -> bool:
    try:
        return pattern_search(pattern, name)
    except PatternError:
        translator.unsupported("patternProperties", pointer, f"pattern {pattern!r} is not a valid regular expression")
        return False


def _chain_optional(items: list[Lang], sep: str) -> Lang:
    return sequence(*(optional(sequence(sep, item)) for item in items))


def _nonempty_subsets(items: list[Lang], sep: str) -> Lang:
    """Any non-empty ordered subset of `items`, separated by `sep`."""
    if len(items) == 1:
        return items[0]
    mid = len(items) // 2
    left = sequence(_nonempty_subsets(items[:mid], sep), _chain_optional(items[mid:], sep))
    right = _nonempty_subsets(items[mid:], sep)
    return alternation([left, right])


def object_regex(translator: Translator, schema: dict, pointer: str, depth: int) -> Lang:
    layout = translator.layout
    properties: dict[str, Any] = dict(schema.get("properties", {}) or {})
    required = list(dict.fromkeys(schema.get("required", []) or []))
    additional = schema.get("additionalProperties", None)
    pattern_props: dict[str, Any] = dict(schema.get("patternProperties", {}) or {})
    for name in required:
        if name not in properties:
            properties[name] = _unnamed_schema(translator, name, pattern_props, additional, pointer)
            if properties[name] is False:
                return None

    dependent = {t: d for t, d in (schema.get("dependentSchemas", {}) or {}).items() if d is not True and d != {}}
    for trigger, dep_schema in dependent.items():
        if trigger in required:  # the dependency always applies: one schema for both
            rest = dict(schema, dependentSchemas={t: d for t, d in dependent.items() if t != trigger})
            return translator.translate({"allOf": [rest, dep_schema]}, pointer, depth)
    split = _split_on_trigger(schema, properties, required)
    if split is not None:  # (trigger written and its dependency holding) or (trigger never written)
        present, absent = split
        try:
            written = translator.translate(present, pointer, depth)
        except UnsupportedSchemaError as error:
            if isinstance(error, InvalidSchemaError):
                raise
            written = None
            translator.narrowed(error.keyword, pointer, f"a dependency's trigger never written ({error})")
        return alternation([written, translator.translate(absent, pointer, depth)])
    banned = _apply_dependencies(translator, schema, properties, required, pointer)
    rejected = _names_rejected(translator, schema, properties, pointer, depth)
    for name in rejected:
        if name in required:
            return None
        properties[name] = False

    items: list[tuple[str, Lang, bool]] = []  # (name, language, required)
    for name, sub in properties.items():
        sub_pointer = f"{pointer}/properties/{escape_pointer_token(name)}"
        for pattern, pattern_schema in pattern_props.items():
            if _pattern_matches(translator, pattern, name, pointer):
                sub = {"allOf": [sub, pattern_schema]}
        value = translator.translate(sub, sub_pointer, depth + 1)
        if value is None:
            if name in required:
                return None
            continue
        key = literal(json.dumps(name, ensure_ascii=False))
        items.append((name, sequence(key, layout.key_separator(), value), name in required))

    extras = _extras(translator, schema, properties, pattern_props, additional, pointer, depth, banned)

    min_props = int(schema.get("minProperties", 0) or 0)
    max_props = schema.get("maxProperties")
    max_props = None if max_props is None else int(max_props)
    n_required = sum(1 for _, _, req in items if req)
    if min_props > n_required and not (min_props == 1 and n_required == 0):
        promote = min_props - n_required
        if promote > len(items) - n_required:
            translator.unsupported("minProperties", pointer, "more properties than the schema can name")
            promote = 0
        changed = []
        if promote:
            translator.narrowed("minProperties", pointer, f"the first {promote} optional properties made required")
        for name, regex, req in items:
            if not req and promote > 0:
                req, promote = True, promote - 1
            changed.append((name, regex, req))
        items = changed
        n_required = sum(1 for _, _, req in items if req)
    if max_props is not None:
        if n_required > max_props:
            return None
        kept = []
        room = max_props - n_required
        for name, regex, req in items:
            if req:
                kept.append((name, regex, req))
            elif room > 0:
                kept.append((name, regex, req))
                room -= 1
        if len(kept) < len(items):
            translator.narrowed("maxProperties", pointer, f"optional properties past the first {max_props} left out")
        items = kept
        if extras is not None:
            room_left = max_props - len(items)
            extras.max_count = room_left if extras.max_count is None else min(extras.max_count, room_left)
            if extras.max_count <= 0:
                extras = None

    if len(items) + (extras is not None) > 1:
        translator.narrowed("properties", pointer, "keys in the schema's order, extra keys last", spelling=True)
    sep = layout.item_separator(depth)
    entries = [regex for _, regex, _ in items]
    flags = [req for _, _, req in items]
    if extras is not None:
        member = alternation(sequence(key, layout.key_separator(), value) for key, value in extras.pairs)
        high = None if extras.max_count is None else extras.max_count - 1
        run = sequence(member, repeat(sequence(sep, member), 0, high))
        entries.append(run)
        flags.append(False)
    if not entries:
        return None if min_props >= 1 else layout.empty("{}")
    if any(flags):
        first = flags.index(True)
        parts = [group_then(entry, sep) for entry in entries[:first]]
        parts.append(entries[first])
        for entry, req in zip(entries[first + 1 :], flags[first + 1 :]):
            parts.append(sequence(sep, entry) if req else optional(sequence(sep, entry)))
        return sequence(layout.open("{", depth), *parts, layout.close("}", depth))
    body = _nonempty_subsets(entries, sep)
    full = sequence(layout.open("{", depth), body, layout.close("}", depth))
    if min_props >= 1:
        return full
    return alternation([layout.empty("{}"), full])


def group_then(entry: Lang, sep: str) -> Lang:
    return optional(sequence(entry, sep))


def _unnamed_schema(translator, name, pattern_props, additional, pointer) -> Any:
    """The schema a required name that `properties` lacks must satisfy."""
    matching = [s for p, s in pattern_props.items() if _pattern_matches(translator, p, name, pointer)]
    if matching:
        return {"allOf": matching} if len(matching) > 1 else matching[0]
    if additional is False:
        return False
    return True if additional is None else additional


def _split_on_trigger(schema: dict, properties: dict, required: list[str]) -> list[dict] | None:
    """Two schemas for the first dependency trigger that may be written (a named property, or an
    extra key) but need not:
    one with the trigger required (its dependency then holds: `_apply_dependencies`, or merged
    above), one with the trigger never written. Their union is the schema's language; None when
    no trigger splits, or when more than `_MAX_SPLIT_TRIGGERS` would (2**n cases)."""
    dependencies = {**(schema.get("dependentRequired") or {}),
                    **{t: d for t, d in (schema.get("dependentSchemas") or {}).items() if d is not True and d != {}}}
    triggers = [t for t in dependencies if t not in required and properties.get(t, True) is not False]
    if not triggers or len(triggers) > _MAX_SPLIT_TRIGGERS:
        return None
    trigger = triggers[0]
    present = dict(schema, required=required + [trigger])
    absent = dict(schema, properties={**(schema.get("properties") or {}), trigger: False})
    if "additionalProperties" not in schema and "properties" not in schema and "required" not in schema:
        present["additionalProperties"] = absent["additionalProperties"] = True  # extra keys stay allowed
    for key in ("dependentRequired", "dependentSchemas"):
        if trigger in (schema.get(key) or {}):
            absent[key] = {t: d for t, d in schema[key].items() if t != trigger}
    return [present, absent]


def _apply_dependencies(translator, schema, properties, required, pointer) -> list[str]:
    """Make each dependency hold: its names required, or its trigger left out. Gives the triggers
    that must never be written (extra keys exclude them too)."""
    banned = []
    for trigger, needed in (schema.get("dependentRequired", {}) or {}).items():
        if trigger not in properties or properties[trigger] is False:
            if trigger in required:
                continue  # the object is impossible; the caller sees the required False property
            banned.append(trigger)
            continue
        if trigger in required or all(n in properties and properties[n] is not False for n in needed):
            if trigger not in required and any(n not in required for n in needed):
                translator.narrowed("dependentRequired", pointer,
                                    f"{needed} required whether {trigger!r} is there or not")
            for n in needed:
                if n not in properties:
                    properties[n] = _unnamed_schema(
                        translator, n, schema.get("patternProperties", {}) or {}, schema.get("additionalProperties"),
                        pointer,
                    )
                if n not in required:
                    required.append(n)
        else:
            translator.narrowed("dependentRequired", pointer, f"{trigger!r} never written")
            properties[trigger] = False
            banned.append(trigger)
    for trigger, dep_schema in (schema.get("dependentSchemas", {}) or {}).items():
        if dep_schema is True or dep_schema == {}:
            continue
        if trigger in required:
            continue  # merged by the caller
        translator.narrowed("dependentSchemas", pointer, f"{trigger!r} never written")
        if trigger in properties:
            properties[trigger] = False
        banned.append(trigger)
    return banned


def _names_rejected(translator, schema, properties, pointer, depth) -> list[str]:
    names_schema = schema.get("propertyNames")
    if names_schema is None or names_schema is True or names_schema == {}:
        return []
    lang = translator.compact_regex({"allOf": [names_schema, {"type": "string"}]}, f"{pointer}/propertyNames")
    accepts = matcher(lang)
    return [n for n in properties if not accepts(json.dumps(n, ensure_ascii=False))]


def _extras(translator, schema, properties, pattern_props, additional, pointer, depth, banned) -> _Extras | None:
    """How extra keys may be written (never a named property or a `banned` name), or None when they may not appear."""
    names = list(properties) + [n for n in banned if n not in properties]
    names_schema = schema.get("propertyNames")
    names_schema = None if names_schema in (None, True, {}) else names_schema
    if pattern_props and automata_in_use() and exact_patterns(pattern_props):
        if additional is None:
            translator.narrowed("additionalProperties", pointer, "no extra keys but those of patternProperties")
        allowed = _allowed_keys(translator, names, names_schema, pointer)
        pairs = key_regions(translator, allowed, pattern_props, additional, pointer, depth)
        return _Extras(pairs, None) if pairs else None
    if pattern_props:
        if additional is not False:
            translator.narrowed("additionalProperties", pointer, "no extra keys but those of patternProperties")
        if len(pattern_props) != 1 or schema.get("propertyNames") not in (None, True, {}):
            translator.narrowed("patternProperties", pointer, "no extra keys: more than one pattern, or propertyNames")
            return None
        (pattern, value_schema), = pattern_props.items()
        if any(_pattern_matches(translator, pattern, n, pointer) for n in names):
            translator.narrowed("patternProperties", pointer, "no extra keys: the pattern matches a named property")
            return None
        key_body = translator.pattern_key(pattern, f"{pointer}/patternProperties")
        if key_body is None:
            return None
        value_pointer = f"{pointer}/patternProperties/{escape_pointer_token(pattern)}"
        value = translator.translate(value_schema, value_pointer, depth + 1)
        return None if value is None else _Extras([(f'"{key_body}"', value)], None)
    if additional is False:
        return None
    if additional is None:
        if "properties" in schema or "required" in schema:
            translator.narrowed("additionalProperties", pointer, "absent: no keys but the named ones")
            return None
        additional = True
    if names_schema is not None and names and not automata_in_use():
        translator.narrowed("propertyNames", pointer, "no extra keys beside named properties")
        return None
    key = _allowed_keys(translator, names, names_schema, pointer)
    value = translator.translate(additional, f"{pointer}/additionalProperties", depth + 1)
    if value is None or key is None:
        return None
    return _Extras([(key, value)], None)


def _allowed_keys(translator, names: list[str], names_schema: Any, pointer: str) -> Lang:
    """The keys extra keys may use: no name of `names`, within `propertyNames` (None: any)."""
    if names_schema is None:
        return key_excluding(names)
    valid = translator.compact_regex({"allOf": [names_schema, {"type": "string"}]}, f"{pointer}/propertyNames")
    return intersection(key_excluding(names), valid) if names else valid
