"""Drafts: which JSON-schema dialect a document declares, and what its keywords mean there.

`draft_of(root)` reads the root's `$schema` and gives one of `DRAFTS` ("4", "6", "7",
"2019-09", "2020-12"); a document without `$schema` is read as "2020-12" (what validators
default to), with two older forms kept because real schemas use them without declaring a
draft: an array-valued `items` is a tuple (followed by `additionalItems`) and `dependencies`
holds both required names and schemas. A `$schema` naming any other dialect raises
`UnsupportedSchemaError("$schema", "")`.

`to_current(schema, draft)` rewrites one schema object (not its sub-schemas) into the 2020-12
vocabulary the rest of the package reads, so that every keyword means what its draft says; the
rewrite is not idempotent (a 2019-09 `prefixItems` is dropped, a rewritten tuple is one), so
`Converter(draft)` applies it exactly once to each schema object of a document, sub-schemas
included, and gives the same converted object each time it is asked for the same original
(references are resolved in the original document, then converted):

- 4, 6, 7, 2019-09: `items: [...]` becomes `prefixItems`, `additionalItems` becomes `items`
  (ignored when `items` is not an array, as those drafts say); `prefixItems` is not a keyword.
- 4, 6, 7: `dependencies` becomes `dependentRequired` / `dependentSchemas`, which are not
  keywords themselves, nor are `unevaluatedProperties` / `unevaluatedItems`; a `$ref` makes
  its siblings ignored; `$defs` is not a keyword.
- 2020-12 (declared): `additionalItems` and `dependencies` are not keywords.
- 4: `const`, `contains`, `propertyNames`, `if`/`then`/`else` are not keywords; 6: `if`/
  `then`/`else` are not.

Keywords a draft does not know are dropped, as its validators ignore them.

    >>> to_current({"items": [{"type": "string"}], "additionalItems": False}, "7")
    {'prefixItems': [{'type': 'string'}], 'items': False}
"""
from __future__ import annotations

from automaton.errors import UnsupportedSchemaError

__all__ = ["DRAFTS", "DEFAULT_DRAFT", "UNDECLARED", "draft_of", "to_current", "Converter"]

DRAFTS = ("4", "6", "7", "2019-09", "2020-12")
DEFAULT_DRAFT = "2020-12"
UNDECLARED = "2020-12 (undeclared)"  # 2020-12 that also reads array `items` and `dependencies`

_URIS = {
    "json-schema.org/draft-04/schema": "4",
    "json-schema.org/draft-06/schema": "6",
    "json-schema.org/draft-07/schema": "7",
    "json-schema.org/draft/2019-09/schema": "2019-09",
    "json-schema.org/draft/2020-12/schema": "2020-12",
}
_NOT_IN_4 = ("const", "contains", "propertyNames", "if", "then", "else")


def draft_of(root) -> str:
    """The draft `root` declares with `$schema` (UNDECLARED when it declares none)."""
    if not isinstance(root, dict) or "$schema" not in root:
        return UNDECLARED
    uri = root["$schema"]
    if isinstance(uri, str):
        key = uri.split("://", 1)[-1].split("#", 1)[0].rstrip("/")
        if key in _URIS:
            return _URIS[key]
    raise UnsupportedSchemaError(
        "$schema", "", f"unknown dialect {uri!r}; the drafts read here are 4, 6, 7, 2019-09 and 2020-12"
    )


def _tuple_items(out: dict) -> None:
    items = out.pop("items", None)
    additional = out.pop("additionalItems", None)
    out.pop("prefixItems", None)
    if isinstance(items, list):
        out["prefixItems"] = items
        if additional is not None:
            out["items"] = additional
    elif items is not None:
        out["items"] = items


def _split_dependencies(out: dict) -> None:
    dependencies = out.pop("dependencies", None)
    if not isinstance(dependencies, dict):
        return
    names = {k: v for k, v in dependencies.items() if isinstance(v, list)}
    schemas = {k: v for k, v in dependencies.items() if not isinstance(v, list)}
    for key, found in (("dependentRequired", names), ("dependentSchemas", schemas)):
        if found:
            merged = dict(out.get(key) or {})
            for trigger, value in found.items():
                if trigger in merged:  # undeclared drafts may carry both spellings: both apply
                    value = list(dict.fromkeys(merged[trigger] + value)) if key == "dependentRequired" else \
                        {"allOf": [merged[trigger], value]}
                merged[trigger] = value
            out[key] = merged


def to_current(schema: dict, draft: str) -> dict:
    """`schema` (one object) in the 2020-12 vocabulary, read with `draft`'s keyword meanings."""
    out = dict(schema)
    if draft == "2020-12":
        out.pop("additionalItems", None)
        out.pop("dependencies", None)
        return out
    if draft == UNDECLARED:
        if isinstance(out.get("items"), list):
            _tuple_items(out)
        else:
            out.pop("additionalItems", None)
        _split_dependencies(out)
        return out
    _tuple_items(out)
    if draft == "2019-09":
        out.pop("dependencies", None)
        return out
    for key in ("dependentRequired", "dependentSchemas", "unevaluatedProperties", "unevaluatedItems"):
        out.pop(key, None)
    _split_dependencies(out)
    if "$ref" in out:
        return {"$ref": out["$ref"]}
    for key in _NOT_IN_4 if draft == "4" else _NOT_IN_4[3:] if draft == "6" else ():
        out.pop(key, None)
    return out


# Where sub-schemas sit: keywords holding one schema (or, for `items`, a list of them), keywords
# holding a list of schemas, keywords holding a map of names to schemas.
_ONE = frozenset({"items", "additionalItems", "additionalProperties", "not", "contains", "propertyNames", "if",
                  "then", "else", "unevaluatedItems", "unevaluatedProperties", "contentSchema"})
_LIST = frozenset({"allOf", "anyOf", "oneOf", "prefixItems"})
_MAP = frozenset({"properties", "patternProperties", "$defs", "definitions", "dependencies", "dependentSchemas"})


class Converter:
    """`converter(schema)`: the schema (a dict or a bool) and all its sub-schemas in the 2020-12
    vocabulary as `draft` reads them; each original object converted once (by identity)."""

    def __init__(self, draft: str):
        self.draft = draft
        self._done: dict[int, tuple[dict, dict]] = {}  # id(original) -> (original, converted)

    def __call__(self, schema):
        if not isinstance(schema, dict):
            return schema
        found = self._done.get(id(schema))
        if found is not None:
            return found[1]
        out: dict = {}
        self._done[id(schema)] = (schema, out)  # the original kept alive: its id stays its own
        for key, value in to_current(schema, self.draft).items():
            out[key] = self._below(key, value)
        return out

    def _below(self, key: str, value):
        if key in _ONE:
            return [self(v) for v in value] if isinstance(value, list) else self(value)
        if key in _LIST and isinstance(value, list):
            return [self(v) for v in value]
        if key in _MAP and isinstance(value, dict):
            return {name: v if isinstance(v, list) else self(v) for name, v in value.items()}
        return value
