"""A target per input line: `extract_file(pattern_field=..., schema_field=...)`, `--pattern-field`
/ `--schema-field`, so that one run serves many extraction tasks.

Takes the input items (their `fields` hold the named target fields, read like `keep_fields`)
and the field names; gives, per item, the item with only the fields the user keeps, and its
target: `{"pattern": text}` or `{"schema": schema, "layout": layout}` (a schema field holds a JSON
object or its JSON text). A line whose target is missing, of the wrong type or does not compile
becomes a failed record naming the problem; the other lines run on. Targets are compiled once
per distinct value (`resolve_target`, the index cache).

    RowTargets(pattern_field, schema_field, layout, keep_fields)
        .read_fields           the fields to read from each input line
        .split(item) -> (item, target dict)   or raises RowTargetError
    RowExtractor(extractor, rows).records(items, batch_size)   the local engine's records

Engines: local (`RowExtractor`: batches mixing targets through `decode.generate(patterns=...)`)
and vLLM (`decode.extraction.vllm`: each request's own `extra_args`); not Ray.
"""
from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterable, Iterator

from automaton.errors import AutomatonError
from decode.errors import ExtractionOptionsError
from decode.extraction.core import ExtractionRecord, Extractor, resolve_target
from decode.extraction.files import BadLine, PromptLine

__all__ = ["RowTargets", "RowTargetError", "RowExtractor"]


class RowTargetError(ValueError):
    """An input line's own target cannot be used (the message becomes its failed record's error)."""


@dataclasses.dataclass(frozen=True)
class RowTargets:
    pattern_field: str | None
    schema_field: str | None
    layout: str | int = "spaced"
    keep_fields: tuple = ()

    def __post_init__(self):
        for name in (self.pattern_field, self.schema_field):
            if name is not None and (not isinstance(name, str) or not name):
                raise ExtractionOptionsError(f"pattern_field / schema_field must be field names, got {name!r}")
        if self.pattern_field is None and self.schema_field is None:
            raise ExtractionOptionsError("RowTargets needs a pattern_field or a schema_field")
        if self.pattern_field == self.schema_field:
            raise ExtractionOptionsError(f"pattern_field and schema_field are both {self.pattern_field!r}")

    @property
    def read_fields(self) -> tuple:
        named = (self.pattern_field, self.schema_field)
        return tuple(dict.fromkeys([*self.keep_fields, *(n for n in named if n is not None)]))

    def describe(self) -> dict:
        return {"pattern_field": self.pattern_field, "schema_field": self.schema_field, "layout": self.layout}

    def split(self, item: PromptLine) -> tuple[PromptLine, dict]:
        """(the item with the kept fields only, its target); RowTargetError for an unusable target."""
        fields = item.fields or {}
        kept = {name: fields[name] for name in self.keep_fields if name in fields} or None
        item = dataclasses.replace(item, fields=kept if self.keep_fields else None)
        pattern = fields.get(self.pattern_field) if self.pattern_field else None
        schema = fields.get(self.schema_field) if self.schema_field else None
        if (pattern is None) == (schema is None):
            named = " or ".join(repr(n) for n in (self.pattern_field, self.schema_field) if n)
            raise RowTargetError(f"the line needs exactly one target field, {named}" if pattern is not None
                                 else f"the line has no target field {named}")
        if pattern is not None:
            if not isinstance(pattern, str):
                raise RowTargetError(f"the pattern field {self.pattern_field!r} must be a string, "
                                     f"got {type(pattern).__name__}")
            return item, {"pattern": pattern}
        if isinstance(schema, str):
            try:
                schema = json.loads(schema)
            except json.JSONDecodeError as error:
                raise RowTargetError(f"the schema field {self.schema_field!r} is not JSON: {error}") from None
        if not isinstance(schema, (dict, bool)):
            raise RowTargetError(f"the schema field {self.schema_field!r} must be a JSON object, "
                                 f"got {type(schema).__name__}")
        return item, {"schema": schema, "layout": self.layout}

    def failed(self, item: PromptLine, error: Exception) -> ExtractionRecord:
        kept = {n: item.fields[n] for n in self.keep_fields if item.fields and n in item.fields} or None
        return ExtractionRecord.failed(BadLine(item.line, str(error), item.id, kept if self.keep_fields else None))


def target_key(target: dict) -> str:
    return json.dumps(target, sort_keys=False, ensure_ascii=False)


class RowExtractor:
    """The local engine with a target per line: batches of lines (whatever their targets) through
    one `decode.generate(patterns=...)` call each."""

    def __init__(self, extractor: Extractor, rows: RowTargets, max_states: int | None = None):
        self.extractor = extractor
        self.rows = rows
        self.max_states = max_states
        self._resolved: dict[str, object] = {}

    def _resolve(self, target: dict):
        key = target_key(target)
        found = self._resolved.get(key)
        if found is None:
            try:
                found = resolve_target(self.extractor.model, self.extractor.tokenizer, max_states=self.max_states,
                                       **target)
            except (AutomatonError, ValueError, TypeError) as error:
                found = RowTargetError(f"the line's target cannot be used: {error}")
            self._resolved[key] = found
        if isinstance(found, Exception):
            raise found
        return found

    def records(self, items: Iterable, batch_size: int) -> Iterator[ExtractionRecord]:
        pending: list[tuple[PromptLine, object]] = []
        for item in items:
            if isinstance(item, BadLine):
                kept = {n: item.fields[n] for n in self.rows.keep_fields if item.fields and n in item.fields}
                yield ExtractionRecord.failed(dataclasses.replace(item, fields=kept or None))
                continue
            try:
                item, target = self.rows.split(item)
                pending.append((item, self._resolve(target)))
            except RowTargetError as error:
                yield self.rows.failed(item, error)
                continue
            if len(pending) == batch_size:
                yield from self.extractor.run_batch([i for i, _ in pending], [t for _, t in pending])
                pending = []
        if pending:
            yield from self.extractor.run_batch([i for i, _ in pending], [t for _, t in pending])
