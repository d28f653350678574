"""Objects: properties in schema order, optional ones in any subset, extra keys where allowed.

Takes a normalised object schema and the translator (for the value schemas); gives the regex of
the object's JSON text. Properties come in the order of `properties` (then required names that
`properties` lacks). Extra keys, when the schema allows them, come after, spelled with raw
characters only and never equal to a named property (a duplicate key would be read back with
the last value, and a named key's value must satisfy its own schema).

The comma placement for optional properties: when some property is required, the ones before
it are written `(p,)?` and the ones after `(,p)?`, which is linear. When none is, the
"non-empty ordered subset" is built by halves, `F(a..c) = F(a..b) T(b..c) | F(b..c)` with
`T` the `(,p)?` chain, so the regex grows as n log n rather than n².

Where the schema asks for more than a regex says here, a smaller sound set is produced:
`minProperties` beyond the required count makes the first optional properties required,
`maxProperties` below the property count leaves the last optional ones out, `dependencies`
make the dependent properties required (or leave the trigger out), `propertyNames` leaves out
the names it rejects, `patternProperties` with extra keys allowed yields extra keys only for a
single pattern that no named property matches.
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from automaton.json_schema.refs import escape_pointer_token
from automaton.json_schema.regex_text import Regex, alternation, optional, repeat, sequence
from automaton.json_schema.strings import RAW_CHAR
from automaton.syntax.charsets import complement, normalize
from automaton.syntax.render import char_class, literal

if TYPE_CHECKING:  # pragma: no cover
    from automaton.json_schema.translate import Translator

__all__ = ["object_regex", "key_excluding"]


@dataclass
class _Extras:
    key: str
    value: str
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


def _pattern_matches(translator: Translator, pattern: str, name: str, pointer: str) -> bool:
    try:
        return re.search(pattern, name) is not None
    except re.error:
        translator.unsupported("patternProperties", pointer, f"pattern {pattern!r} is not a valid regular expression")
        return False


def _chain_optional(items: list[str], sep: str) -> str:
    return "".join(optional(sep + item) for item in items)


def _nonempty_subsets(items: list[str], sep: str) -> str:
    """Any non-empty ordered subset of `items`, separated by `sep`."""
    if len(items) == 1:
        return items[0]
    mid = len(items) // 2
    left = sequence(_nonempty_subsets(items[:mid], sep), _chain_optional(items[mid:], sep))
    right = _nonempty_subsets(items[mid:], sep)
    return alternation([left, right])


def object_regex(translator: Translator, schema: dict, pointer: str, depth: int) -> Regex:
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

    _apply_dependencies(translator, schema, properties, required, pointer)
    rejected = _names_rejected(translator, schema, properties, pointer, depth)
    for name in rejected:
        if name in required:
            return None
        properties[name] = False

    items: list[tuple[str, str, bool]] = []  # (name, regex, required)
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
        items.append((name, key + layout.key_separator() + value, name in required))

    extras = _extras(translator, schema, properties, pattern_props, additional, pointer, depth)

    min_props = schema.get("minProperties", 0) or 0
    max_props = schema.get("maxProperties")
    n_required = sum(1 for _, _, req in items if req)
    if min_props > n_required and not (min_props == 1 and n_required == 0):
        promote = min_props - n_required
        if promote > len(items) - n_required:
            translator.unsupported("minProperties", pointer, "more properties than the schema can name")
            promote = 0
        changed = []
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
        items = kept
        if extras is not None:
            room_left = max_props - len(items)
            extras.max_count = room_left if extras.max_count is None else min(extras.max_count, room_left)
            if extras.max_count <= 0:
                extras = None

    sep = layout.item_separator(depth)
    entries = [regex for _, regex, _ in items]
    flags = [req for _, _, req in items]
    if extras is not None:
        member = extras.key + layout.key_separator() + extras.value
        run = sequence(member, repeat(sep + member, 0, None if extras.max_count is None else extras.max_count - 1))
        entries.append(run)
        flags.append(False)
    if not entries:
        return layout.empty("{}")
    if any(flags):
        first = flags.index(True)
        body = "".join(group_then(entry, sep) for entry in entries[:first])
        body += entries[first]
        for entry, req in zip(entries[first + 1 :], flags[first + 1 :]):
            body += (sep + entry) if req else optional(sep + entry)
        return sequence(layout.open("{", depth), body, layout.close("}", depth))
    body = _nonempty_subsets(entries, sep)
    full = sequence(layout.open("{", depth), body, layout.close("}", depth))
    if min_props >= 1:
        return full
    return alternation([layout.empty("{}"), full])


def group_then(entry: str, sep: str) -> str:
    return optional(entry + sep)


def _unnamed_schema(translator, name, pattern_props, additional, pointer) -> Any:
    """The schema a required name that `properties` lacks must satisfy."""
    matching = [s for p, s in pattern_props.items() if _pattern_matches(translator, p, name, pointer)]
    if matching:
        return {"allOf": matching} if len(matching) > 1 else matching[0]
    if additional is False:
        return False
    return True if additional is None else additional


def _apply_dependencies(translator, schema, properties, required, pointer) -> None:
    dependencies = dict(schema.get("dependentRequired", {}) or {})
    schemas = dict(schema.get("dependentSchemas", {}) or {})
    for trigger, dep in (schema.get("dependencies", {}) or {}).items():
        (dependencies if isinstance(dep, list) else schemas)[trigger] = dep
    for trigger, needed in dependencies.items():
        if trigger not in properties or properties[trigger] is False:
            continue
        if trigger in required or all(n in properties and properties[n] is not False for n in needed):
            for n in needed:
                if n not in properties:
                    properties[n] = _unnamed_schema(
                        translator, n, schema.get("patternProperties", {}) or {}, schema.get("additionalProperties"),
                        pointer,
                    )
                if n not in required:
                    required.append(n)
        else:
            properties[trigger] = False
    for trigger, dep_schema in schemas.items():
        if trigger not in properties or properties[trigger] is False or dep_schema is True or dep_schema == {}:
            continue
        if trigger in required:
            translator.unsupported("dependentSchemas", pointer, f"{trigger!r} is required and brings a schema")
        else:
            properties[trigger] = False


def _names_rejected(translator, schema, properties, pointer, depth) -> list[str]:
    names_schema = schema.get("propertyNames")
    if names_schema is None or names_schema is True or names_schema == {}:
        return []
    regex = translator.compact_regex({"allOf": [names_schema, {"type": "string"}]}, f"{pointer}/propertyNames")
    if regex is None:
        return list(properties)
    compiled = re.compile(regex)
    return [n for n in properties if not compiled.fullmatch(json.dumps(n, ensure_ascii=False))]


def _extras(translator, schema, properties, pattern_props, additional, pointer, depth) -> _Extras | None:
    """How extra keys may be written, or None when they may not appear."""
    names = list(properties)
    if pattern_props:
        if len(pattern_props) != 1 or schema.get("propertyNames") not in (None, True, {}):
            return None
        (pattern, value_schema), = pattern_props.items()
        if any(_pattern_matches(translator, pattern, n, pointer) for n in names):
            return None
        key_body = translator.pattern_key(pattern, f"{pointer}/patternProperties")
        if key_body is None:
            return None
        value_pointer = f"{pointer}/patternProperties/{escape_pointer_token(pattern)}"
        value = translator.translate(value_schema, value_pointer, depth + 1)
        return None if value is None else _Extras(f'"{key_body}"', value, None)
    if additional is False:
        return None
    if additional is None:
        if "properties" in schema or "required" in schema:
            return None
        additional = True
    if schema.get("propertyNames") not in (None, True, {}):
        if names:
            return None
        names_schema = {"allOf": [schema["propertyNames"], {"type": "string"}]}
        key = translator.compact_regex(names_schema, f"{pointer}/propertyNames")
    else:
        key = key_excluding(names)
    value = translator.translate(additional, f"{pointer}/additionalProperties", depth + 1)
    if value is None or key is None:
        return None
    return _Extras(key, value, None)
