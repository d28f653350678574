"""Fixed JSON values and the any-value regex.

`value_literal(v)` gives the regex of exactly `json.dumps(v, ensure_ascii=False)` laid out by
the `Layout` (compact, bounded whitespace, or indented); `any_value(layout, depth, levels)`
gives every JSON value with containers nested at most `levels` deep (objects may repeat keys).

    >>> value_literal({"a": [1, "x"]}, Layout(), 0)
    '\\\\{"a":\\\\[1,"x"\\\\]\\\\}'
"""
from __future__ import annotations

import json
import math

from automaton.json_schema.layout import Layout
from automaton.json_schema.numbers import ANY_NUMBER
from automaton.json_schema.regex_text import alternation, repeat, sequence
from automaton.json_schema.strings import ANY_STRING
from automaton.syntax.render import literal

__all__ = ["value_literal", "any_value", "ANY_SCALAR", "json_kind"]

ANY_SCALAR = f"(null|true|false|{ANY_NUMBER}|{ANY_STRING})"


def json_kind(value) -> str:
    """The JSON kind of a Python value from json.loads: null, boolean, integer, fraction, string, array, object."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "fraction"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    if isinstance(value, dict):
        return "object"
    raise TypeError(f"not a JSON value: {value!r}")


def value_literal(value, layout: Layout, depth: int) -> str:
    """Regex of the JSON text of `value`, written at nesting `depth`."""
    if isinstance(value, float) and not math.isfinite(value):
        raise ValueError(f"{value!r} has no JSON spelling")
    if isinstance(value, dict):
        if not value:
            return layout.empty("{}")
        items = [
            literal(json.dumps(str(key), ensure_ascii=False))
            + layout.key_separator()
            + value_literal(item, layout, depth + 1)
            for key, item in value.items()
        ]
        return layout.open("{", depth) + layout.item_separator(depth).join(items) + layout.close("}", depth)
    if isinstance(value, list):
        if not value:
            return layout.empty("[]")
        items = [value_literal(item, layout, depth + 1) for item in value]
        return layout.open("[", depth) + layout.item_separator(depth).join(items) + layout.close("]", depth)
    return literal(json.dumps(value, ensure_ascii=False))


def any_value(layout: Layout, depth: int, levels: int) -> str:
    """Any JSON value at nesting `depth` whose containers nest at most `levels` deep."""
    if levels <= 0:
        return ANY_SCALAR
    inner = any_value(layout, depth + 1, levels - 1)
    sep = layout.item_separator(depth)
    array = sequence(layout.open("[", depth), inner, repeat(sep + inner, 0, None), layout.close("]", depth))
    member = ANY_STRING + layout.key_separator() + inner
    obj = sequence(layout.open("{", depth), member, repeat(sep + member, 0, None), layout.close("}", depth))
    return alternation([ANY_SCALAR, layout.empty("[]"), array, layout.empty("{}"), obj])
