"""Which keywords mean what: annotations, the keywords each type reads, normalisation of old forms.

`normalize(schema)` (on a schema in the 2020-12 vocabulary, see `drafts`) rewrites draft-4
forms into the later ones (boolean `exclusiveMinimum` / `exclusiveMaximum` modifying `minimum` /
`maximum`, `const` as a one-value `enum` stays as is) and drops annotation keywords, so the rest
of the package reads one vocabulary.
"""
from __future__ import annotations

__all__ = [
    "ANNOTATIONS",
    "OBJECT_KEYWORDS",
    "ARRAY_KEYWORDS",
    "STRING_KEYWORDS",
    "NUMBER_KEYWORDS",
    "UNSUPPORTED",
    "TYPE_NAMES",
    "normalize",
    "implied_types",
]

ANNOTATIONS = frozenset(
    {
        "title", "description", "examples", "example", "default", "$schema", "$id", "id", "$comment",
        "readOnly", "writeOnly", "deprecated", "$anchor", "$dynamicAnchor", "$recursiveAnchor",
        "$vocabulary", "contentMediaType", "contentEncoding", "contentSchema", "$defs", "definitions",
        "discriminator", "nullable", "xml", "externalDocs",
    }
)
OBJECT_KEYWORDS = frozenset(
    {
        "properties", "required", "additionalProperties", "patternProperties", "minProperties",
        "maxProperties", "propertyNames", "dependencies", "dependentRequired", "dependentSchemas",
        "unevaluatedProperties",
    }
)
ARRAY_KEYWORDS = frozenset(
    {"items", "prefixItems", "additionalItems", "minItems", "maxItems", "uniqueItems", "contains",
     "minContains", "maxContains", "unevaluatedItems"}
)
STRING_KEYWORDS = frozenset({"minLength", "maxLength", "pattern", "format"})
NUMBER_KEYWORDS = frozenset({"minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "multipleOf"})
# Assertions that no translation here can enforce (others are handled case by case).
UNSUPPORTED = frozenset(
    {"if", "then", "else", "contains", "minContains", "maxContains", "$dynamicRef", "$recursiveRef", "extends",
     "disallow"}
)
TYPE_NAMES = ("null", "boolean", "object", "array", "string", "integer", "number")


def normalize(schema: dict) -> dict:
    """`schema` (already in the 2020-12 vocabulary: `drafts.Converter`) without annotations, with
    draft-4 boolean exclusive bounds turned into numbers. Normalizing twice changes nothing."""
    out = {k: v for k, v in schema.items() if k not in ANNOTATIONS}
    for flag, bound in (("exclusiveMinimum", "minimum"), ("exclusiveMaximum", "maximum")):
        value = out.get(flag)
        if isinstance(value, bool):
            del out[flag]
            if value and bound in out:
                out[flag] = out.pop(bound)
    return out


def implied_types(schema: dict) -> list[str]:
    """Types an untyped schema is read as: those its keywords constrain, else every type."""
    keys = set(schema)
    types = []
    if keys & OBJECT_KEYWORDS:
        types.append("object")
    if keys & ARRAY_KEYWORDS:
        types.append("array")
    if keys & STRING_KEYWORDS:
        types.append("string")
    if keys & NUMBER_KEYWORDS:
        types.append("number")
    return types or list(TYPE_NAMES[:5]) + ["number"]
