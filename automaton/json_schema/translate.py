"""The translator: walks a schema and dispatches each keyword to the module that handles it.

`Translator(root, layout, max_recursion, strict).translate(schema, pointer, depth)` gives the
language (`lang.Lang`: regex text, or automata once composing) of the JSON text of every
instance it produces, or None when it produces none. The schema's keywords are read with the
meanings of its draft (`drafts`). Every produced instance validates against the schema
(soundness); what a regular language cannot say is either narrowed to a sound subset
(documented in each module, recorded through `narrowed` for the one warning) or reported
through `unsupported`, which raises `UnsupportedSchemaError` when strict and records the
keyword otherwise. A `$ref` target that cannot reach itself is translated once per layout and
depth and reused (`refs.RefGraph`).

Order of work on one schema object: `$ref` (its siblings merged in as an `allOf`), `allOf`
(merged; with automata, intersected where merging fails), `anyOf` and `oneOf` (alternations,
siblings merged into each branch; oneOf branches must be provably exclusive, or with automata
differenced from the others, `algebra`), `not` (the forms a regex can honour; with automata a
complement, `algebra`), `if`/`then`/`else` (automata only, `algebra`), `enum`/`const` (values
filtered by the rest of the schema), then one language per type.
"""
from __future__ import annotations

import json
from typing import Any

from automaton.errors import InvalidSchemaError, UnsupportedSchemaError
from automaton.json_schema import algebra
from automaton.json_schema.arrays import array_regex
from automaton.json_schema.contains import CONTAINS_KEYWORDS
from automaton.json_schema.drafts import Converter, draft_of
from automaton.json_schema.exclusive import exclusive_branches
from automaton.json_schema.formats import format_regex, is_known_format
from automaton.json_schema.keywords import TYPE_NAMES, UNSUPPORTED, implied_types, normalize
from automaton.json_schema.lang import Lang, alternation, automata_in_use, matcher, settle
from automaton.json_schema.layout import Layout
from automaton.json_schema.literals import any_value, value_literal
from automaton.json_schema.merge import MergeError, json_equal, merge_schemas
from automaton.json_schema.objects import object_regex
from automaton.json_schema.patterns import PatternError, pattern_body
from automaton.json_schema.presence import presence_cases
from automaton.json_schema.refs import RefError, RefGraph, resolve_ref
from automaton.json_schema.scalars import BOOLEAN, NULL, integer_regex, number_regex, string_regex
from automaton.json_schema.unevaluated import lower_unevaluated

__all__ = ["Translator", "InvalidSchemaError", "ANY_VALUE_LEVELS"]

# How deeply containers may nest inside a value the schema leaves free (`{}`, `true`).
ANY_VALUE_LEVELS = 1
_MAX_MERGE_DEPTH = 64
_COMPLEMENT = object()  # `_not`: the negation is taken by complement (`algebra.negation`)
_UNMERGED = object()  # `_all_of`: the branches do not merge into one schema
_BOUND_KEYWORDS = ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum")
# The numbers integer_regex writes: json.dumps's integers (the other spellings of their values left out).
_INTEGER_SPELLING = "integers as json.dumps spells them: 1.0, 1e2 and -0 left out"


class Translator:
    def __init__(self, root: Any, layout: Layout, max_recursion: int, strict: bool):
        self.root = root
        self.layout = layout
        self.max_recursion = max_recursion
        self.strict = strict
        self.draft = draft_of(root)
        self.convert = Converter(self.draft)
        self.document = self.convert(root)  # what `translate` starts from
        self.refs = RefGraph(root)
        self._memo: dict[tuple, Lang] = {}
        self.dropped: list[tuple[str, str, str]] = []
        self.narrowings: list[tuple[str, str, str]] = []
        # Calls of `narrowed` that left out values of `algebra.UNIVERSE` (repeats counted too).
        self.value_narrowings = 0
        self._ref_depth: dict[str, int] = {}
        self._merge_conflicts = False  # raise MergeError out of _flat (allOf then intersects)

    # -- reporting --------------------------------------------------------------------------
    def unsupported(self, keyword: str, pointer: str, reason: str = "") -> None:
        if self.strict:
            raise UnsupportedSchemaError(keyword, pointer, reason)
        entry = (keyword, pointer or "/", reason)
        if entry not in self.dropped:
            self.dropped.append(entry)

    def narrowed(self, keyword: str, pointer: str, reason: str, spelling: bool = False,
                 fractions: bool = False) -> None:
        """Record that `keyword` at `pointer` is enforced on fewer instances than it allows (sound).

        spelling: True when only other spellings of values that keep one are left out (`1.0` for
        `1`, escapes, key orders, exponents): not recorded nor warned about (the README's
        JSON-schemas section lists them). fractions: True when the values left out are
        non-integer numbers only. Neither leaves out a text of `algebra.UNIVERSE`, so a language
        exact on the universe stays exact (`algebra.exact_language` counts `value_narrowings`)."""
        if spelling:
            return
        if not fractions:
            self.value_narrowings += 1
        entry = (keyword, pointer or "/", reason)
        if entry not in self.narrowings:
            self.narrowings.append(entry)

    def quiet_flat(self, schema: Any) -> Any:
        """The schema with top-level $ref/allOf merged, or None when that fails (nothing reported)."""
        saved = self.strict
        self.strict = True
        try:
            return self._flat(schema, "")
        except UnsupportedSchemaError:
            return None
        finally:
            self.strict = saved

    def invalid(self, keyword: str, pointer: str, reason: str) -> None:
        raise InvalidSchemaError(keyword, pointer, reason)

    # -- helpers used by the per-type modules -----------------------------------------------
    def compact_regex(self, schema: Any, pointer: str) -> Lang:
        """The schema's regex in compact layout at depth 0 (to test fixed texts against it)."""
        saved = self.layout
        self.layout = Layout()
        try:
            return self.translate(schema, pointer, 0)
        finally:
            self.layout = saved

    def pattern_key(self, pattern: str, pointer: str) -> str | None:
        try:
            return pattern_body(pattern)
        except PatternError as error:
            self.unsupported("patternProperties", pointer, str(error))
            return None

    def resolve(self, ref: Any, pointer: str) -> tuple[Any, str]:
        try:
            target, pointer = resolve_ref(self.root, ref)
            return self.convert(target), pointer
        except RefError as error:
            self.unsupported("$ref", pointer, str(error))
            return True, pointer

    # -- the walk ----------------------------------------------------------------------------
    def translate(self, schema: Any, pointer: str, depth: int) -> Lang:
        """The language of the schema's instances written at nesting `depth` (None: none)."""
        return settle(self._translate(schema, pointer, depth))

    def _translate(self, schema: Any, pointer: str, depth: int) -> Lang:
        if schema is True:
            self.narrowed("true", pointer, f"any value, containers nested at most {ANY_VALUE_LEVELS} level deep")
            return any_value(self.layout, depth, ANY_VALUE_LEVELS)
        if schema is False:
            return None
        if not isinstance(schema, dict):
            self.invalid("schema", pointer, f"a schema must be an object or a boolean, not {type(schema).__name__}")
        schema = lower_unevaluated(self, normalize(schema), pointer)
        if "$ref" in schema:
            return self._ref(schema, pointer, depth)
        if "allOf" in schema:
            return self._all_of(schema, pointer, depth)
        for key in ("anyOf", "oneOf"):
            if key in schema:
                return self._alternatives(schema, key, pointer, depth)
        if "not" in schema:
            rewritten = self._not(schema, pointer)
            if rewritten is _COMPLEMENT:
                rest = {k: v for k, v in schema.items() if k != "not"}
                return algebra.negation(self, schema["not"], rest, pointer, depth)
            if rewritten is None:
                return None
            schema = rewritten
        if automata_in_use() and ("if" in schema or "then" in schema or "else" in schema):
            return algebra.conditional(self, schema, pointer, depth)
        automata = automata_in_use()
        for key in schema:  # in the schema's order (a set's order changes from one process to the next)
            if key in UNSUPPORTED and not (automata and key in CONTAINS_KEYWORDS):
                self.unsupported(key, pointer)
        if "enum" in schema or "const" in schema:
            return self._enum(schema, pointer, depth)
        return alternation(self._typed(t, schema, pointer, depth) for t in self._types(schema, pointer))

    def _ref(self, schema: dict, pointer: str, depth: int) -> Lang:
        target, target_pointer = self.resolve(schema["$ref"], pointer)
        siblings = {k: v for k, v in schema.items() if k != "$ref"}
        count = self._ref_depth.get(target_pointer, 0)
        if count >= self.max_recursion:
            self.narrowed("$ref", pointer, f"recursion cut after max_recursion={self.max_recursion} levels")
            return None
        key = None
        if not siblings and not self.refs.recursive(target_pointer):  # the same language wherever it is used
            key = (target_pointer, self.layout, depth if self.layout.indent is not None else 0)
            if key in self._memo:
                return self._memo[key]
        self._ref_depth[target_pointer] = count + 1
        try:
            if siblings:
                return self.translate({"allOf": [target, siblings]}, pointer, depth)
            lang = self.translate(target, target_pointer, depth)
            if key is not None:
                lang = settle(lang, reused=True)
                self._memo[key] = lang
            return lang
        finally:
            self._ref_depth[target_pointer] = count

    def _flat(self, schema: Any, pointer: str, seen: int = 0, refs: list | None = None) -> Any:
        """`schema` with its top-level `$ref` and `allOf` merged away (a bool stays a bool).

        The pointers of the references it follows are appended to `refs`."""
        if seen > _MAX_MERGE_DEPTH:
            self.unsupported("allOf", pointer, "references nest too deeply to merge")
            return True
        if not isinstance(schema, dict):
            if isinstance(schema, bool):
                return schema
            self.invalid("schema", pointer, "a schema must be an object or a boolean")
        schema = lower_unevaluated(self, normalize(schema), pointer)
        if "$ref" in schema:
            target, target_pointer = self.resolve(schema["$ref"], pointer)
            if refs is not None:
                refs.append(target_pointer)
            rest = {k: v for k, v in schema.items() if k != "$ref"}
            if rest:
                return self._flat({"allOf": [target, rest]}, target_pointer, seen + 1, refs)
            return self._flat(target, target_pointer, seen + 1, refs)
        if "allOf" in schema:
            branches = schema["allOf"]
            if not isinstance(branches, list):
                self.invalid("allOf", pointer, "must be a list of schemas")
            merged: Any = {k: v for k, v in schema.items() if k != "allOf"}
            for i, branch in enumerate(branches):
                flat = self._flat(branch, f"{pointer}/allOf/{i}", seen + 1, refs)
                if flat is False:
                    return False
                if flat is True:
                    continue
                try:
                    merged = merge_schemas(merged, flat)
                except MergeError as error:
                    if self._merge_conflicts:
                        raise
                    self.unsupported(error.keyword if self.strict else "allOf", f"{pointer}/allOf/{i}", str(error))
            if "allOf" in merged or "$ref" in merged:
                return self._flat(merged, pointer, seen + 1, refs)
            return merged
        return schema

    def _all_of(self, schema: dict, pointer: str, depth: int) -> Lang:
        refs: list[str] = []
        self._merge_conflicts = automata_in_use()
        try:
            flat = self._flat(schema, pointer, refs=refs)
        except MergeError:
            flat = _UNMERGED  # intersected below, once merge conflicts are reported as usual again
        finally:
            self._merge_conflicts = False
        if flat is _UNMERGED:
            return algebra.all_of(self, schema, pointer, depth)
        followed = set(refs)
        counts = {ref: self._ref_depth.get(ref, 0) for ref in followed}
        if any(count >= self.max_recursion for count in counts.values()):
            self.narrowed("$ref", pointer, f"recursion cut after max_recursion={self.max_recursion} levels")
            return None
        for ref, count in counts.items():
            self._ref_depth[ref] = count + 1
        try:
            return self.translate(flat, pointer, depth)
        finally:
            for ref, count in counts.items():
                self._ref_depth[ref] = count

    def _alternatives(self, schema: dict, key: str, pointer: str, depth: int) -> Lang:
        branches = schema[key]
        if not isinstance(branches, list) or not branches:
            self.invalid(key, pointer, "must be a non-empty list of schemas")
        rest = {k: v for k, v in schema.items() if k != key}
        merged = [{"allOf": [rest, branch]} if rest else branch for branch in branches]
        keep = list(enumerate(merged))
        if key == "oneOf" and sum(branch is True or branch == {} for branch in branches) > 1:
            return None  # every value passes two branches
        if key == "oneOf" and len(merged) > 1:
            cases = presence_cases(rest, branches)
            if cases is not None:  # branches that only test which keys are there
                return alternation(self.translate(case, pointer, depth) for case in cases)
            keep = exclusive_branches(self, merged, pointer)
            if len(keep) < len(merged) and automata_in_use():
                return algebra.exact_one_of(self, merged, keep, pointer, depth, tests=branches)
            if not keep:
                self.unsupported("oneOf", pointer, "no branch could be shown to exclude all the others")
                keep = list(enumerate(merged))
            elif len(keep) < len(merged):
                left = sorted(set(range(len(merged))) - {i for i, _ in keep})
                self.narrowed("oneOf", pointer, f"branches {left} left out (not shown to exclude the others)")
        return alternation(self.translate(branch, f"{pointer}/{key}/{i}", depth) for i, branch in keep)

    def _not(self, schema: dict, pointer: str) -> Any:
        negated = self._flat(schema["not"], f"{pointer}/not")
        rest = {k: v for k, v in schema.items() if k != "not"}
        if negated is True or negated == {}:
            return None
        if negated is False:
            return rest
        keys = set(negated)
        if keys == {"type"}:
            banned = {negated["type"]} if isinstance(negated["type"], str) else set(negated["type"])
            if "number" in banned:
                banned.add("integer")
            types = [t for t in self._types(rest, pointer) if t not in banned]
            if "integer" in banned and "number" in types:
                if automata_in_use():
                    return _COMPLEMENT
                self.unsupported("not", pointer, "non-integer numbers")
            rest["type"] = types
            return rest
        if keys == {"required"} and isinstance(negated["required"], list) and negated["required"]:
            required = set(rest.get("required", []))
            for name in negated["required"]:
                if name not in required:
                    properties = dict(rest.get("properties", {}))
                    properties[name] = False
                    rest["properties"] = properties
                    return rest
            return None
        if keys <= {"enum", "const"} and ("enum" in rest or "const" in rest):
            banned_values = list(negated.get("enum", [])) + ([negated["const"]] if "const" in negated else [])
            values = list(rest.get("enum", [])) if "enum" in rest else [rest["const"]]
            if "const" in rest:  # beside `enum` too: only the values equal to it
                const = rest.pop("const")
                values = [v for v in values if json_equal(v, const)]
            rest["enum"] = [v for v in values if not any(json_equal(v, b) for b in banned_values)]
            return rest
        if automata_in_use():
            return _COMPLEMENT
        self.unsupported("not", pointer, "only not {type}, not {required}, not {enum} beside enum are enforced")
        return rest

    def _enum(self, schema: dict, pointer: str, depth: int) -> Lang:
        if "const" in schema:
            values = [schema["const"]]
            if "enum" in schema:
                values = [v for v in values if any(json_equal(v, w) for w in schema["enum"])]
        else:
            values = schema["enum"]
            if not isinstance(values, list):
                self.invalid("enum", pointer, "must be a list")
        rest = {k: v for k, v in schema.items() if k not in ("enum", "const")}
        if rest:
            check = self.compact_regex(rest, pointer)
            if check is None:
                return None
            accepts = matcher(check)
            values = [v for v in values if accepts(json.dumps(v, ensure_ascii=False, separators=(",", ":")))]
        if any(v is not None and not isinstance(v, bool) for v in values):
            self.narrowed("const" if "const" in schema else "enum", pointer, "values as json.dumps spells them: "
                          "other spellings such as 1.0 for 1, \\u0061 for a, other key orders left out", spelling=True)
        try:
            return alternation(value_literal(v, self.layout, depth) for v in values)
        except (TypeError, ValueError) as error:
            self.invalid("enum", pointer, str(error))
            return None

    def _types(self, schema: dict, pointer: str) -> list[str]:
        declared = schema.get("type")
        if declared is None:
            implied = implied_types(schema)
            if len(implied) < len(TYPE_NAMES) - 1:  # every type is 6 names: integer goes with number
                self.narrowed("type", pointer, f"no type given: read as {', '.join(implied)} from its keywords")
            return implied
        names = [declared] if isinstance(declared, str) else declared
        if not isinstance(names, list):
            self.invalid("type", pointer, "must be a type name or a list of them")
        for name in names:
            if name not in TYPE_NAMES:
                if name == "any":
                    return implied_types({})
                self.invalid("type", pointer, f"unknown type {name!r}")
        if "number" in names and "integer" in names:
            names = [n for n in names if n != "integer"]
        return list(dict.fromkeys(names))

    def _typed(self, name: str, schema: dict, pointer: str, depth: int) -> Lang:
        if name == "object":
            return object_regex(self, schema, pointer, depth)
        if name == "array":
            return array_regex(self, schema, pointer, depth)
        if name == "string":
            fmt = schema.get("format")
            if isinstance(fmt, str) and is_known_format(fmt) and format_regex(fmt) is not None:
                self.narrowed("format", pointer, "asserted, though JSON Schema makes it an annotation: strings not "
                                                 "in the format left out")
            return string_regex(self, schema, pointer)
        if name == "integer":
            self.narrowed("type", pointer, _INTEGER_SPELLING, spelling=True)
            return integer_regex(self, schema, pointer)
        if name == "number":
            bounds = [key for key in _BOUND_KEYWORDS if key in schema]
            if bounds and "multipleOf" not in schema:  # multipleOf: scalars.number_regex says
                self.narrowed(bounds[0], pointer, "numbers without exponent: 1e2 and -0 left out, and fractions "
                              "within 1e-20 of a bound", spelling=True)
            return number_regex(self, schema, pointer)
        if name == "boolean":
            return BOOLEAN
        return NULL

