"""JSON schemas (dicts, JSON text, pydantic models) to regular expressions of their instances.

    >>> import re
    >>> regex = json_schema_to_regex({"type": "object", "properties": {"n": {"type": "integer", "minimum": 1}},
    ...                               "required": ["n"]})
    >>> bool(re.fullmatch(regex, '{"n":12}')), bool(re.fullmatch(regex, '{"n":0}'))
    (True, False)

Semantics:

- Soundness: every string the regex matches is JSON (for `json.loads`) whose value the schema
  accepts, with the schema's own draft (`$schema`). Where the schema asks for something a
  regex cannot say exactly, a smaller set is produced (documented per module), and a keyword
  that cannot be honoured at all raises `UnsupportedSchemaError(keyword, pointer)`; with
  `strict=False` it is dropped instead and one warning lists everything dropped.
- Layout: compact (`json.dumps(separators=(",", ":"), ensure_ascii=False)`) by default;
  `whitespace=N` allows up to N whitespace characters at each structural point; `indent=N`
  gives exactly `json.dumps(indent=N, ensure_ascii=False)`. Objects keep the schema's property
  order; optional properties may be left out.
- `oneOf` is an alternation over the branches that provably exclude each other (by type, by
  fixed values, by discriminating properties); the others are left out. `anyOf` is a plain
  alternation. `allOf` is merged into one schema.
- `$ref` must point into the same document; a reference nested within itself more than
  `max_recursion` times is cut (the instance then takes a branch that ends the recursion).
- `{}` and `true` allow any JSON value whose containers nest at most one level deep (arrays and objects of scalars).
- Annotations (title, description, examples, default, $schema, $id, $comment, ...) and keywords
  outside the JSON-schema vocabulary are ignored, as validators ignore them.
"""
from __future__ import annotations

import warnings
from typing import Any

from automaton.errors import EmptyLanguageError, InvalidSchemaError
from automaton.json_schema.layout import Layout
from automaton.json_schema.loading import load_schema
from automaton.json_schema.translate import Translator

__all__ = ["json_schema_to_regex", "InvalidSchemaError"]


def _check_count(name: str, value: int | None) -> None:
    if value is not None and (isinstance(value, bool) or not isinstance(value, int) or value < 0):
        raise InvalidSchemaError(name, "", f"option {name} must be None or a non-negative integer, not {value!r}")


def json_schema_to_regex(
    schema: Any,
    *,
    whitespace: int | None = None,
    indent: int | None = None,
    max_recursion: int = 3,
    strict: bool = True,
) -> str:
    """The regex (Python `re` syntax, for `re.fullmatch`) of the JSON texts of the schema's instances."""
    _check_count("whitespace", whitespace)
    _check_count("indent", indent)
    _check_count("max_recursion", max_recursion)
    if whitespace and indent is not None:
        raise InvalidSchemaError("indent", "", "options whitespace and indent cannot be combined")
    root = load_schema(schema)
    translator = Translator(root, Layout(whitespace=whitespace, indent=indent), max_recursion, strict)
    regex = translator.translate(root, "", 0)
    if translator.dropped:
        listed = "; ".join(
            f"{keyword} at {pointer}" + (f" ({reason})" if reason else "")
            for keyword, pointer, reason in translator.dropped
        )
        warnings.warn(f"JSON-schema keywords not enforced: {listed}", UserWarning, stacklevel=2)
    if regex is None:
        raise EmptyLanguageError(
            "no JSON value satisfies this schema"
            + (f" within max_recursion={max_recursion}" if translator._ref_depth else "")
        )
    return regex
