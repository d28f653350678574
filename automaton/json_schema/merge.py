"""`allOf`: several schemas merged into one that accepts exactly the instances all of them accept.

Takes normalised schema dicts (no `$ref` at their top: the caller resolves those first); gives
one schema dict. Sub-schemas that both sides constrain (a property, `items`, ...) are not merged
now but become `{"allOf": [a, b]}`, merged in turn when translated. Keywords whose
conjunction has no single-keyword form (two different `pattern`s, two `not`s, ...) raise
`MergeError` naming the keyword.
"""
from __future__ import annotations

import json
from typing import Any

from automaton.json_schema.patterns import PatternError, pattern_search

__all__ = ["MergeError", "merge_schemas", "json_equal"]


class MergeError(Exception):
    """The two schemas cannot be merged into one; `keyword` names the obstacle."""

    def __init__(self, keyword: str, reason: str):
        self.keyword = keyword
        super().__init__(reason)


def json_equal(a: Any, b: Any) -> bool:
    """Equality as JSON-schema defines it (1 == 1.0, true != 1, order matters in arrays)."""
    if isinstance(a, bool) or isinstance(b, bool):
        return isinstance(a, bool) and isinstance(b, bool) and a == b
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        return a == b
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(json_equal(x, y) for x, y in zip(a, b))
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(json_equal(a[k], b[k]) for k in a)
    return type(a) is type(b) and a == b


def _both(a: Any, b: Any) -> Any:
    if a is True or a == {}:
        return b
    if b is True or b == {}:
        return a
    if a is False or b is False:
        return False
    return {"allOf": [a, b]}


def _types(schema: dict) -> set[str] | None:
    t = schema.get("type")
    if t is None:
        return None
    return {t} if isinstance(t, str) else set(t)


def _merge_types(a: dict, b: dict) -> list[str] | None:
    ta, tb = _types(a), _types(b)
    if ta is None or tb is None:
        chosen = ta if tb is None else tb
        return None if chosen is None else sorted(chosen)
    out = ta & tb
    if ("integer" in ta and "number" in tb) or ("number" in ta and "integer" in tb):
        out.add("integer")
    return sorted(out)


def _property_schema(schema: dict, name: str) -> Any:
    """What `schema` requires of the value of property `name` (its own, pattern or additional schema)."""
    if name in schema.get("properties", {}):
        return schema["properties"][name]
    try:
        patterns = [s for p, s in schema.get("patternProperties", {}).items() if pattern_search(p, name)]
    except PatternError as error:
        raise MergeError("patternProperties", str(error)) from None
    if patterns:
        out: Any = True
        for s in patterns:
            out = _both(out, s)
        return out
    return schema.get("additionalProperties", True)


def _merge_objects(a: dict, b: dict, out: dict) -> None:
    pa, pb = a.get("patternProperties"), b.get("patternProperties")
    for side, other in ((a, b), (b, a)):
        # A key matching a pattern of `side` only would be additional for `other`: not one keyword.
        alone = set(side.get("patternProperties") or {}) - set(other.get("patternProperties") or {})
        if alone and other.get("additionalProperties", True) is not True:
            raise MergeError("patternProperties", "patternProperties beside another schema's additionalProperties")
    if "properties" in a or "properties" in b:
        names = list(a.get("properties", {})) + [n for n in b.get("properties", {}) if n not in a.get("properties", {})]
        out["properties"] = {n: _both(_property_schema(a, n), _property_schema(b, n)) for n in names}
    if pa or pb:
        merged = dict(pa or {})
        for p, s in (pb or {}).items():
            merged[p] = _both(merged[p], s) if p in merged else s
        out["patternProperties"] = merged
    if "additionalProperties" in a or "additionalProperties" in b:
        out["additionalProperties"] = _both(a.get("additionalProperties", True), b.get("additionalProperties", True))
    if "required" in a or "required" in b:
        out["required"] = list(dict.fromkeys(list(a.get("required", [])) + list(b.get("required", []))))


def _merge_arrays(a: dict, b: dict, out: dict) -> None:
    """Position by position: element i meets `prefixItems[i]` of a side that has one, else its `items`."""
    ia, ib = a.get("items", True), b.get("items", True)
    if "prefixItems" in a or "prefixItems" in b:
        pa, pb = list(a.get("prefixItems") or []), list(b.get("prefixItems") or [])
        out["prefixItems"] = [
            _both(pa[i] if i < len(pa) else ia, pb[i] if i < len(pb) else ib) for i in range(max(len(pa), len(pb)))
        ]
    if "items" in a or "items" in b:
        out["items"] = _both(ia, ib)


def _merge_dependencies(a: dict, b: dict, out: dict) -> None:
    names = dict(a.get("dependentRequired") or {})
    for trigger, needed in (b.get("dependentRequired") or {}).items():
        names[trigger] = list(dict.fromkeys(list(names.get(trigger, [])) + list(needed)))
    if names:
        out["dependentRequired"] = names
    schemas = dict(a.get("dependentSchemas") or {})
    for trigger, sub in (b.get("dependentSchemas") or {}).items():
        schemas[trigger] = _both(schemas[trigger], sub) if trigger in schemas else sub
    if schemas:
        out["dependentSchemas"] = schemas


def merge_schemas(a: dict, b: dict) -> dict:
    """One schema accepting what both `a` and `b` accept (both normalised, without top-level $ref)."""
    out: dict = {}
    types = _merge_types(a, b)
    if types is not None:
        out["type"] = types
    _merge_objects(a, b, out)
    _merge_arrays(a, b, out)
    _merge_dependencies(a, b, out)
    handled = {"type", "properties", "patternProperties", "additionalProperties", "required", "items", "prefixItems",
               "dependentRequired", "dependentSchemas"}
    consts_differ = False
    for key in (set(a) | set(b)) - handled:
        if key not in b:
            out[key] = a[key]
            continue
        if key not in a:
            out[key] = b[key]
            continue
        va, vb = a[key], b[key]
        if key in ("minimum", "exclusiveMinimum", "minLength", "minItems", "minProperties"):
            out[key] = max(va, vb)
        elif key in ("maximum", "exclusiveMaximum", "maxLength", "maxItems", "maxProperties"):
            out[key] = min(va, vb)
        elif key == "uniqueItems":
            out[key] = bool(va) or bool(vb)
        elif key == "propertyNames":
            out[key] = _both(va, vb)
        elif key == "enum":
            out[key] = [v for v in va if any(json_equal(v, w) for w in vb)]
        elif key == "const":
            consts_differ = consts_differ or not json_equal(va, vb)
            out[key] = va
        elif key == "allOf":
            out[key] = list(va) + list(vb)
        elif key in ("anyOf", "oneOf"):
            out[key] = [_both(x, y) for x in va for y in vb]
        elif json.dumps(va, sort_keys=True) == json.dumps(vb, sort_keys=True):
            out[key] = va
        else:
            raise MergeError(key, f"two different values of {key!r} cannot be merged into one")
    if consts_differ:  # after the loop: an `enum` of one side alone must not take this back
        out["enum"] = []
    return out
