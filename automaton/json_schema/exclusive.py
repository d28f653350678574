"""`oneOf` soundness: which branches provably exclude every other branch.

An instance produced from branch i satisfies `oneOf` only if it fails every other branch. This
module proves that for a branch by comparing what the branch can produce with what another
branch can accept:

- kinds: null, boolean, object, array, string, integer (spelled without a fraction) and
  fraction; e.g. `{"type": "string"}` against `{"type": "integer"}`;
- fixed values: the branch's `enum`/`const` values against the other's;
- objects: a property the branch always writes that the other forbids, or whose value is
  provably excluded by the other's schema for it (discriminators such as `"kind": {"const": "a"}`),
  or a property the other requires that the branch never writes;
- arrays: an item the branch always writes (below its `minItems`) whose `prefixItems` schema
  excludes the other's at the same position;
- an other branch with `anyOf` / `oneOf`: excluded when each of its alternatives is.

A branch that overlaps another only through objects lacking a key may be narrowed to objects
that carry a key the other branch forbids, or a key whose value the other branch's schema for
it excludes (an optional discriminator made required). Branches it cannot prove exclusive are left out of
the alternation (a smaller but sound set).
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

from automaton.errors import UnsupportedSchemaError
from automaton.json_schema.literals import json_kind
from automaton.json_schema.merge import json_equal
from automaton.json_schema.patterns import PatternError, pattern_search
from automaton.json_schema.refs import RefError, resolve_ref

if TYPE_CHECKING:  # pragma: no cover
    from automaton.json_schema.translate import Translator

__all__ = ["exclusive_branches", "excluding"]

ALL_KINDS = frozenset({"null", "boolean", "object", "array", "string", "integer", "fraction"})
_MAX_DEPTH = 8
_MAX_NODES = 4000


def _flat(tr: Translator, schema: Any) -> Any:
    """The schema with top-level $ref/allOf merged, or None when that fails (without reporting)."""
    return tr.quiet_flat(schema)


def _type_kinds(tr: Translator, schema: dict, produced: bool) -> set[str]:
    if "type" not in schema and not produced:
        return set(ALL_KINDS)
    try:
        names = tr._types(schema, "")
    except UnsupportedSchemaError:
        return set(ALL_KINDS)
    kinds = set()
    for name in names:
        if name == "number":
            kinds |= {"integer", "fraction"}
        elif name == "integer":
            kinds |= {"integer"} if produced else {"integer", "fraction"}
        else:
            kinds.add(name)
    return kinds


def _value_kinds(values: list, produced: bool) -> set[str]:
    kinds = set()
    for value in values:
        try:
            kind = json_kind(value)
        except TypeError:
            return set(ALL_KINDS)
        kinds.add(kind)
        if not produced and kind in ("integer", "fraction"):
            kinds |= {"integer", "fraction"}
    return kinds


def _fixed_values(schema: dict) -> list | None:
    if "const" in schema:
        return [schema["const"]]
    if "enum" in schema and isinstance(schema["enum"], list):
        return schema["enum"]
    return None


def _kinds(tr: Translator, schema: Any, produced: bool, depth: int = 0) -> set[str]:
    """Kinds the translator may produce (`produced`) or a validator may accept for `schema`."""
    if schema is True:
        return set(ALL_KINDS)
    if schema is False:
        return set()
    flat = _flat(tr, schema)
    if not isinstance(flat, dict) or depth > _MAX_DEPTH:
        return set(ALL_KINDS) if flat is not False else set()
    kinds = _type_kinds(tr, flat, produced)
    values = _fixed_values(flat)
    if values is not None:
        kinds &= _value_kinds(values, produced)
    for key in ("anyOf", "oneOf"):
        if isinstance(flat.get(key), list):
            union = set()
            for branch in flat[key]:
                union |= _kinds(tr, branch, produced, depth + 1)
            kinds &= union
    return kinds


def _never_written(schema: dict, name: str) -> bool:
    """True when the translation of object schema `schema` never writes key `name`."""
    properties = schema.get("properties", {}) or {}
    if properties.get(name) is False:
        return True
    if name in properties or name in (schema.get("required") or []):
        return False
    try:
        if any(pattern_search(pattern, name) for pattern in schema.get("patternProperties") or {}):
            return False
    except PatternError:
        return False
    additional = schema.get("additionalProperties")
    return additional is False or (additional is None and ("properties" in schema or "required" in schema))


def _forbids(schema: dict, name: str) -> bool:
    """True when a validator rejects any object of `schema`'s with key `name`."""
    properties = schema.get("properties", {}) or {}
    if properties.get(name) is False:
        return True
    return (
        name not in properties
        and not schema.get("patternProperties")
        and schema.get("additionalProperties") is False
    )


def _value_schema(schema: dict, name: str) -> Any:
    """The schema a validator applies to the value of key `name` (None when unconstrained)."""
    properties = schema.get("properties") or {}
    if name in properties:
        return properties[name]
    matching = []
    for pattern, sub in (schema.get("patternProperties") or {}).items():
        try:
            if pattern_search(pattern, name):
                matching.append(sub)
        except PatternError:
            return None
    if matching:
        return {"allOf": matching} if len(matching) > 1 else matching[0]
    return None


def _disjoint(tr: Translator, produced: Any, accepted: Any, depth: int = 0) -> bool:
    """True when no instance the translator produces for `produced` is accepted by `accepted`."""
    if depth > _MAX_DEPTH:
        return False
    if not (_kinds(tr, produced, True) & _kinds(tr, accepted, False)):
        return True
    fp, fa = _flat(tr, produced), _flat(tr, accepted)
    if not isinstance(fp, dict) or not isinstance(fa, dict):
        return fa is False
    vp, va = _fixed_values(fp), _fixed_values(fa)
    if vp is not None and va is not None and not any(json_equal(x, y) for x in vp for y in va):
        return True
    for key in ("anyOf", "oneOf"):  # failing every alternative fails both keywords
        alternatives = fa.get(key)
        if isinstance(alternatives, list) and alternatives:
            rest = {k: v for k, v in fa.items() if k != key}
            if all(_disjoint(tr, fp, {"allOf": [rest, b]} if rest else b, depth + 1) for b in alternatives):
                return True
    if "anyOf" in fp or "oneOf" in fp:
        return False
    if _kinds(tr, fp, True) == {"array"}:
        return _items_disjoint(tr, fp, fa, depth)
    if _kinds(tr, fp, True) != {"object"}:
        return False
    for name in fp.get("required", []) or []:
        if _forbids(fa, name):
            return True
        mine = (fp.get("properties") or {}).get(name)
        theirs = _value_schema(fa, name)
        if mine is not None and theirs is not None and _disjoint(tr, mine, theirs, depth + 1):
            return True
    return any(_never_written(fp, name) for name in fa.get("required", []) or [])


def _items_disjoint(tr: Translator, fp: dict, fa: dict, depth: int) -> bool:
    """True when an item the array schema `fp` always writes is excluded by `fa`'s for its position."""
    mine, theirs = fp.get("prefixItems") or [], fa.get("prefixItems") or []
    written = fp.get("minItems", 0)
    if not isinstance(written, int) or not isinstance(mine, list) or not isinstance(theirs, list):
        return False
    return any(_disjoint(tr, mine[k], theirs[k], depth + 1) for k in range(min(len(mine), len(theirs), written)))


def _excludes_value(tr: Translator, mine: Any, other: dict, name: str) -> bool:
    """True when every value produced for `mine` fails what `other` asks of key `name`."""
    theirs = _value_schema(other, name)
    return theirs is not None and _disjoint(tr, mine, theirs)


def _strengthened(tr: Translator, branch: Any, others: list) -> Any:
    """`branch` made to always write a key that each overlapping other branch forbids, or None."""
    flat = _flat(tr, branch)
    if not isinstance(flat, dict) or _kinds(tr, flat, True) != {"object"}:
        return None
    required = list(flat.get("required", []) or [])
    for other in others:
        if _disjoint(tr, flat, other):
            continue
        other_flat = _flat(tr, other)
        if not isinstance(other_flat, dict):
            return None
        names = [
            n for n, sub in (flat.get("properties") or {}).items()
            if sub is not False and (_forbids(other_flat, n) or _excludes_value(tr, sub, other_flat, n))
        ]
        if not names:
            return None
        if names[0] not in required:
            required.append(names[0])
    stronger = dict(flat, required=required)
    return stronger if all(_disjoint(tr, stronger, other) for other in others) else None


def _narrowed_when_read(tr: Translator, schema: Any) -> bool:
    """True when `schema` (or a sub-schema or `$ref` target of it) has an `unevaluatedProperties`
    or `unevaluatedItems` other than `true`: their lowering may narrow (`unevaluated`), and a
    narrowed schema read as the other side of a comparison would let unsound branches through.
    Also True past `_MAX_NODES` nodes."""
    stack, seen, count = [schema], set(), 0
    while stack:
        node = stack.pop()
        count += 1
        if count > _MAX_NODES:
            return True
        if isinstance(node, list):
            stack.extend(node)
            continue
        if not isinstance(node, dict):
            continue
        for key in ("unevaluatedProperties", "unevaluatedItems"):
            if key in node and node[key] is not True and node[key] != {}:
                return True
        ref = node.get("$ref")
        if isinstance(ref, str) and ref not in seen:
            seen.add(ref)
            try:
                target, _ = resolve_ref(tr.root, ref)
            except RefError:
                return True
            stack.append(target)
        stack.extend(value for key, value in node.items() if key not in ("enum", "const", "$ref"))
    return False


def _longer(tr: Translator, branch: Any, others: list) -> Any:
    """`branch` (arrays only) made to always write an item whose `prefixItems` schema excludes
    each overlapping other branch's at that position (a larger `minItems`), or None."""
    flat = _flat(tr, branch)
    if not isinstance(flat, dict) or _kinds(tr, flat, True) != {"array"}:
        return None
    mine = flat.get("prefixItems") or []
    written = flat.get("minItems", 0)
    if not isinstance(mine, list) or not isinstance(written, int):
        return None
    for other in others:
        other_flat = _flat(tr, other)
        if _disjoint(tr, flat, other):
            continue
        theirs = (other_flat.get("prefixItems") or []) if isinstance(other_flat, dict) else []
        if not isinstance(theirs, list):
            return None
        spots = [k for k in range(min(len(mine), len(theirs))) if _disjoint(tr, mine[k], theirs[k])]
        if not spots:
            return None
        written = max(written, spots[0] + 1)
    longer = dict(flat, minItems=written)
    return longer if all(_disjoint(tr, longer, other) for other in others) else None


def excluding(tr: Translator, branch: Any, others: list) -> Any:
    """`branch` when none of its instances satisfies any of `others`; else `branch` narrowed so
    (a key made required, or an item made present); None when neither is shown."""
    if any(_narrowed_when_read(tr, other) for other in others):
        return None
    if all(_disjoint(tr, branch, other) for other in others):
        return branch
    stronger = _strengthened(tr, branch, others)
    return stronger if stronger is not None else _longer(tr, branch, others)


def exclusive_branches(tr: Translator, branches: list, pointer: str) -> list[tuple[int, Any]]:
    """(index, schema to produce from) of the branches that can be made to exclude all the others.

    The schema is the branch itself, or the branch narrowed by `excluding` (a key made
    required, an item made present: a sound narrowing of what the branch produces)."""
    keep = []
    for i, branch in enumerate(branches):
        others = [other for j, other in enumerate(branches) if j != i]
        produced = excluding(tr, branch, others)
        if produced is not None:
            keep.append((i, produced))
    return keep
