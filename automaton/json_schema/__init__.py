"""JSON schemas (dicts, JSON text, pydantic models) to the automata (or regexes) of their instances' JSON texts.

    >>> import re
    >>> from automaton.json_schema import json_schema_to_dfa, json_schema_to_regex
    >>> schema = {"type": "object", "properties": {"n": {"type": "integer", "minimum": 1}}, "required": ["n"]}
    >>> regex = json_schema_to_regex(schema, layout="compact")
    >>> bool(re.fullmatch(regex, '{"n":12}')), bool(re.fullmatch(regex, '{"n":0}'))
    (True, False)
    >>> json_schema_to_dfa(schema).matches(b'{"n": 12}')
    True

`json_schema_to_dfa` composes the automata of sub-schemas (`lang`, `automaton.dfa.compose`);
`json_schema_to_regex` writes the same language as one regex text (for schemas small enough).

Semantics:

- Soundness: every string accepted is JSON (for `json.loads`) whose value the schema
  accepts, with the schema's own draft (`$schema`). Where the schema asks for something a
  regex cannot say exactly, a smaller set is produced (documented per module), and a keyword
  that cannot be honoured at all raises `UnsupportedSchemaError(keyword, pointer)`; with
  `strict=False` it is dropped instead and one warning lists everything dropped.
- Layout: "spaced" (`json.dumps(value, ensure_ascii=False)`: `", "` and `": "`) by default,
  "compact" (`separators=(",", ":")`), or an int N (`json.dumps(indent=N, ensure_ascii=False)`);
  compact with `whitespace=N` allows up to N whitespace characters at each structural point.
  Objects keep the schema's property order; optional properties may be left out.
- `oneOf` is an alternation over the branches that provably exclude each other (by type, by
  fixed values, by discriminating properties); `json_schema_to_dfa` keeps the others as the
  scalars that fail every other branch (`algebra`), the text path leaves them out. `anyOf` is a
  plain alternation. `allOf` is merged into one schema, or (DFA only) intersected where it does
  not merge; `not` and `if`/`then`/`else` beyond the forms a regex honours are taken by
  complement within canonical scalars (`algebra`); `contains` / `minContains` / `maxContains`
  count items (`contains`, DFA only).
- `$ref` points into the same document or into one passed in `resources={uri: schema}`
  (`resources`: nothing is fetched; the metaschemas are known); `$dynamicRef` and
  `$recursiveRef` are bound statically (`dynamic_refs`); a reference nested within itself more
  than `max_recursion` times is cut (the instance then takes a branch that ends the recursion).
- `{}` and `true` allow any JSON value whose containers nest at most one level deep (arrays and objects of scalars).
- Drafts: `$schema` chooses 4, 6, 7, 2019-09 or 2020-12 keyword meanings (`drafts`); none
  means 2020-12; any other dialect is refused.
- Annotations (title, description, examples, default, $id, $comment, ...) and keywords
  outside the JSON-schema vocabulary are ignored, as validators ignore them.
"""
from __future__ import annotations

from automaton._lazy import lazy_exports
from automaton.errors import InvalidSchemaError

_EXPORTS = {
    "json_schema_to_regex": "automaton.json_schema.entry",
    "json_schema_to_dfa": "automaton.json_schema.entry",
    "schema_cache_text": "automaton.json_schema.entry",
}
__all__ = [*_EXPORTS, "InvalidSchemaError"]
__getattr__ = lazy_exports(__name__, _EXPORTS)
