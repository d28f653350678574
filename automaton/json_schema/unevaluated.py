"""`unevaluatedProperties` and `unevaluatedItems` rewritten into `additionalProperties` and `items`.

A key (an item) is evaluated when some keyword that applies to it validates it: `properties`,
`patternProperties`, `additionalProperties` (`prefixItems`, `items`, `contains`) of the schema
itself or of a sub-schema applied in place that passes (`allOf`, `$ref`, `anyOf`, `oneOf`,
`if`/`then`/`else`, `dependentSchemas`; `not` never counts). `unevaluatedProperties: U`
asks every key not evaluated to satisfy U.

`lower_unevaluated(translator, schema, pointer)` gives the schema with both keywords gone:

- the keys evaluated statically are those of the schema and of what it always applies
  (`allOf` branches and `$ref` targets, followed recursively): their `properties` names become
  `properties: {name: true}` of the schema (constraining nothing), their `patternProperties`
  patterns `patternProperties: {pattern: true}`; then `additionalProperties: U` holds U for
  exactly the other keys. When one of them has `additionalProperties`, every key is evaluated
  and U is dropped. Items likewise: `prefixItems` padded with `true` to the longest prefix
  among them, then `items: U`; dropped when one of them has `items`.
- keys (items) evaluated only by conditional sub-schemas (`anyOf`, `oneOf`, `if`, `then`,
  `else`, `dependentSchemas`): the schema becomes the `anyOf` of the cases of
  `evaluation_cases` (one per way the conditionals turn out, each lowered as above with what
  applies in it), which says where that is exact and where a narrowing; past its limits, and
  for items only `contains` evaluates, those keys (items) are held to U too: a narrowing, recorded.
- `unevaluated*: true` (or `{}`) constrains nothing and is dropped.

Sound because every key a text of the rewritten schema holds is either evaluated in the
original (named or pattern-matched by the schema or an always-applied sub-schema, which passes
whenever the schema does) or satisfies U. A branch's own `unevaluated*` is lowered where the
branch is translated (`Translator._flat` lowers each branch before merging), so it sees only
that branch's keys, as the specification says ("cousins" are not seen).

    >>> class _Quiet:
    ...     def narrowed(self, *args): pass
    ...     def resolve(self, ref, pointer): raise AssertionError(ref)
    >>> lower_unevaluated(_Quiet(), {"allOf": [{"properties": {"a": {"type": "integer"}}}],
    ...                              "unevaluatedProperties": False}, "")
    {'allOf': [{'properties': {'a': {'type': 'integer'}}}], 'properties': {'a': True}, 'additionalProperties': False}
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

from automaton.json_schema.evaluation_cases import evaluation_cases

if TYPE_CHECKING:  # pragma: no cover
    from automaton.json_schema.translate import Translator

__all__ = ["lower_unevaluated"]

_CONDITIONAL = ("anyOf", "oneOf", "if", "then", "else")
_MAX_CHAIN = 64


class _Evaluated:
    """What the schema and its always-applied sub-schemas evaluate."""

    def __init__(self):
        self.names: list[str] = []
        self.patterns: list[str] = []
        self.all_keys = False
        self.prefix = 0
        self.all_items = False
        self.conditional_keys = False  # a conditional sub-schema may evaluate more keys
        self.conditional_items = False  # ... or more items
        self.split_items = False  # ... through a conditional `evaluation_cases` splits on

    def collect(self, translator: Translator, schema: Any, pointer: str, seen: set[str], steps: int) -> None:
        if not isinstance(schema, dict) or steps > _MAX_CHAIN:
            if steps > _MAX_CHAIN:
                self.conditional_keys = self.conditional_items = True
            return
        for name in schema.get("properties") or {}:
            if name not in self.names:
                self.names.append(name)
        for pattern in schema.get("patternProperties") or {}:
            if pattern not in self.patterns:
                self.patterns.append(pattern)
        self.all_keys |= "additionalProperties" in schema or "unevaluatedProperties" in schema
        prefix = schema.get("prefixItems")
        self.prefix = max(self.prefix, len(prefix) if isinstance(prefix, list) else 0)
        self.all_items |= "items" in schema or "unevaluatedItems" in schema
        self.conditional_keys |= any(key in schema for key in _CONDITIONAL + ("dependentSchemas",))
        self.conditional_items |= any(key in schema for key in _CONDITIONAL + ("contains",))
        self.split_items |= any(key in schema for key in _CONDITIONAL)
        for i, branch in enumerate(schema.get("allOf") or []):
            self.collect(translator, branch, f"{pointer}/allOf/{i}", seen, steps + 1)
        ref = schema.get("$ref")
        if isinstance(ref, str):
            target, target_pointer = translator.resolve(ref, pointer)
            if target_pointer in seen:  # a cycle adds nothing new
                return
            seen.add(target_pointer)
            self.collect(translator, target, target_pointer, seen, steps + 1)  # `resolve` converts it


def _unconstrained(value: Any) -> bool:
    return value is True or value == {}


def lower_unevaluated(translator: Translator, schema: dict, pointer: str) -> dict:
    """`schema` (normalized) with `unevaluatedProperties` / `unevaluatedItems` rewritten as the
    module says; the schema itself when it has neither."""
    if "unevaluatedProperties" not in schema and "unevaluatedItems" not in schema:
        return schema
    out = dict(schema)
    props, items = out.pop("unevaluatedProperties", True), out.pop("unevaluatedItems", True)
    if _unconstrained(props) and _unconstrained(items):
        return out
    evaluated = _Evaluated()
    evaluated.collect(translator, out, pointer, set(), 0)
    if ((not _unconstrained(props) and not evaluated.all_keys and evaluated.conditional_keys)
            or (not _unconstrained(items) and not evaluated.all_items and evaluated.split_items)):
        keywords = {"unevaluatedProperties": props, "unevaluatedItems": items}
        cases = evaluation_cases(translator, out, pointer, _lower_static, keywords)
        if cases:
            return cases[0] if len(cases) == 1 else {"anyOf": cases}
    return _lower(translator, out, pointer, props, items, evaluated)


def _lower_static(translator: Translator, schema: dict, pointer: str) -> dict:
    """`schema` with its `unevaluated*` rewritten by what it evaluates statically (a case of
    `evaluation_cases`: conditionals left only inside sub-schemas applied whole)."""
    out = dict(schema)
    props, items = out.pop("unevaluatedProperties", True), out.pop("unevaluatedItems", True)
    evaluated = _Evaluated()
    evaluated.collect(translator, out, pointer, set(), 0)
    return _lower(translator, out, pointer, props, items, evaluated)


def _lower(translator: Translator, out: dict, pointer: str, props: Any, items: Any, evaluated: _Evaluated) -> dict:
    """`out` (without its `unevaluated*`) with `additionalProperties: props` and `items: items`
    beside what `evaluated` found (conditional keys held to them too, recorded)."""
    if not _unconstrained(props) and not evaluated.all_keys:
        own = dict(out.get("properties") or {})
        own.update({name: True for name in evaluated.names if name not in own})
        patterns = dict(out.get("patternProperties") or {})
        patterns.update({p: True for p in evaluated.patterns if p not in patterns})
        if own:
            out["properties"] = own
        if patterns:
            out["patternProperties"] = patterns
        out["additionalProperties"] = props
        if evaluated.conditional_keys:
            translator.narrowed("unevaluatedProperties", pointer, "keys that only anyOf, oneOf, if/then/else or "
                                "dependentSchemas evaluate held to it too")
    if not _unconstrained(items) and not evaluated.all_items:
        prefix = list(out.get("prefixItems") or [])
        if len(prefix) < evaluated.prefix:
            out["prefixItems"] = prefix + [True] * (evaluated.prefix - len(prefix))
        out["items"] = items
        if evaluated.conditional_items:
            translator.narrowed("unevaluatedItems", pointer, "items that only anyOf, oneOf, if/then/else or "
                                "contains evaluate held to it too")
    return out
