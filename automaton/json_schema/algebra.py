"""`not`, `if`/`then`/`else` and `oneOf` by complement and difference of automata, and
`allOf` by intersection.

Intersection needs no care: a text that two sound automata both accept is a JSON text whose
value satisfies both schemas, whatever the spellings either automaton leaves out. Complement
and difference do: "the texts a sub-schema's automaton rejects" are the values that fail the
sub-schema only where the automaton accepts *every* spelling of *every* valid value among the
texts complemented. The translator's automata are narrowed in many ways (key order, extra keys,
`1.0` for an integer, `{}` nesting one level deep, maxLength capped, ...), so a complement is
taken only within a universe on which the complemented automaton is known to be exact.

The domains (`domains`): `UNIVERSE`, the JSON scalars in one spelling per value, the one
`json.dumps(ensure_ascii=False)` writes (integers only: no fractions, exponents or `-0`), and
`ASCII_UNIVERSE`, the same with strings limited to printable ASCII (U+0020..U+007E).

The exact language of a schema S (`exact_language`, an `Exact`: a language and the domain it is
exact on): the automaton of S's scalar part, where the scalar part keeps S's `type` (restricted
to scalar types; every scalar type when S has none), drops the keywords that only constrain
objects and arrays (they hold for every scalar), keeps the scalar keywords known to be
translated exactly on the universe (`type`, `enum`/`const` with integral numbers written as
integers, `minLength`/`maxLength` up to the length cap, `minimum`/`maximum`/`exclusive*` within
1e15, `multipleOf` where the translator handles it) and `pattern` where
`patterns.exact_on_ascii` admits it, and gives up (None) on anything else (`format`, `oneOf`,
`if`, a pattern with `(?i)`, `\\b`, lookarounds, `\\p{X}`, ...). It is translated strictly, and
any refusal or narrowing recorded on the way also gives up. Its domain is `UNIVERSE`, or
`ASCII_UNIVERSE` when it tests a `pattern` on strings: there Python's `re` has no final newline
to let `$` match before and no non-ASCII character for its Unicode `\\d \\w \\s`, so the
pattern's automaton is exact. `not N` and `anyOf` inside S combine exact languages:
(UNIVERSE ∩ exact(rest) ∩ ∪ exact(B_i)) \\ exact(N), exact on the meet (the smaller) of the
parts' domains. So for every text t of the domain D(S): t is in `exact_language(S)` exactly
when the value of t satisfies S. Hence, each complement taken within the domain of what it
complements:

- `not N` = rest ∩ (D(N) \\ exact(N)): every text is a scalar of D(N) that fails N;
- `if C then T else E` = (rest ∧ C ∧ T) ∪ (rest ∧ T ∧ E) ∪ ((rest ∧ E) ∩ D(C) \\ exact(C)):
  the first holds where C holds, the second whatever C says, the third only where C fails;
- `oneOf`: a branch shown exclusive of the others (`exclusive`) is kept as that module
  produces it (possibly with a discriminating key made required); another branch
  B_i becomes (B_i ∩ D_i) \\ ∪_{j≠i} exact(B_j), D_i the meet of the other branches' domains,
  when every other branch has an exact language: its texts satisfy B_i and fail every B_j,
  exactly one branch;
- `maxContains` (`contains`): the items that fail `contains` are D(C) \\ exact(C).

Each is a narrowing (containers and fractions are left out of complements, and non-ASCII
strings, or strings with control characters, where a pattern is complemented: the warning
says so) and never unsound; a complement that needs an exact language that is not there is
refused as before. `allOf` branches that do not merge into one schema (`merge.MergeError`) are
translated one by one and intersected (`all_of`).
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from automaton.errors import UnsupportedSchemaError
from automaton.json_schema.domains import ASCII, FULL, UNIVERSE, Domain, meet
from automaton.json_schema.keywords import ANNOTATIONS, ARRAY_KEYWORDS, OBJECT_KEYWORDS
from automaton.json_schema.lang import Lang, alternation, difference, intersection
from automaton.json_schema.patterns import exact_on_ascii
from automaton.json_schema.scalars import LENGTH_CAP

if TYPE_CHECKING:  # pragma: no cover
    from automaton.json_schema.translate import Translator

__all__ = ["UNIVERSE", "Exact", "exact_language", "negation", "conditional", "objects_failing", "exact_one_of",
           "all_of"]

SCALAR_TYPES = ("null", "boolean", "string", "integer", "number")
_BOUNDS = ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum")
_MAX_BOUND = 10**15


def _scalars(values: list) -> list:
    """The scalar `values` as the universe spells them (integral floats as ints), others left out."""
    out = []
    for value in values:
        if isinstance(value, float):
            if not (math.isfinite(value) and value.is_integer()):
                continue
            value = int(value)
        if value is None or isinstance(value, (bool, int, str)):
            out.append(value)
    return out


def _scalar_part(schema: Any) -> Any:
    """A schema agreeing with `schema` on every value of the universe, made only of keywords
    translated exactly there; None when there is none such."""
    if isinstance(schema, bool):
        return schema
    if not isinstance(schema, dict):
        return None
    out: dict[str, Any] = {}
    declared = schema.get("type", list(SCALAR_TYPES))
    names = [declared] if isinstance(declared, str) else declared
    if not isinstance(names, list):
        return None
    types = [name for name in names if name in SCALAR_TYPES]
    if not types:
        return False
    out["type"] = types
    for key, value in schema.items():
        if key == "type" or key in OBJECT_KEYWORDS or key in ARRAY_KEYWORDS:
            continue
        if key in ("minLength", "maxLength"):
            if isinstance(value, bool) or not isinstance(value, int) or (key == "maxLength" and value > LENGTH_CAP):
                return None
        elif key in _BOUNDS:
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not abs(value) <= _MAX_BOUND:
                return None
        elif key in ("enum", "const"):
            values = value if key == "enum" else [value]
            if not isinstance(values, list):
                return None
            if "enum" in out:
                return None
            key, value = "enum", _scalars(values)
        elif key == "pattern":
            if not isinstance(value, str) or not exact_on_ascii(value):
                return None
        elif key != "multipleOf":
            return None
        out[key] = value
    return out


@dataclass(frozen=True)
class Exact:
    """A schema's exact language: on every text of `domain`, `lang` (None: no text) accepts the
    text exactly when its value satisfies the schema."""

    lang: Lang
    domain: Domain

    def failing(self) -> Lang:
        """The texts of the domain whose values fail the schema."""
        return difference(self.domain.regex, self.lang)


def exact_language(tr: Translator, schema: Any, pointer: str) -> Exact | None:
    """The exact language of `schema` on `UNIVERSE`, or on `ASCII_UNIVERSE` when it tests a
    `pattern` (`domains`); None when no such language is known."""
    flat = tr.quiet_flat(schema)
    if isinstance(flat, dict) and ("not" in flat or "anyOf" in flat):
        return _combined_exact(tr, flat, pointer)
    part = None if flat is None else _scalar_part(flat)
    if part is None:
        return None
    if part is False or part is True:
        return Exact(UNIVERSE if part else None, FULL)
    saved = tr.strict, len(tr.narrowings), len(tr.dropped), tr.value_narrowings
    tr.strict = True
    try:
        lang = tr.translate(part, pointer, 0)
    except UnsupportedSchemaError:
        return None
    finally:
        tr.strict = saved[0]
        clean = tr.value_narrowings == saved[3] and len(tr.dropped) == saved[2]
        del tr.narrowings[saved[1]:], tr.dropped[saved[2]:]
    tests_pattern = "pattern" in part and "string" in part["type"]
    return Exact(lang, ASCII if tests_pattern else FULL) if clean else None


def _combined_exact(tr: Translator, flat: dict, pointer: str) -> Exact | None:
    """The exact language of a schema with `not` or `anyOf` from those of its parts: the
    universe's texts of its other keywords, less the negated one's, within the branches' union;
    exact on the meet of the parts' domains."""
    rest = exact_language(tr, {k: v for k, v in flat.items() if k not in ("not", "anyOf")}, pointer)
    if rest is None:
        return None
    parts = [rest]
    lang = intersection(UNIVERSE, rest.lang) if rest.lang is not None else None
    if "anyOf" in flat:
        branches = flat["anyOf"] if isinstance(flat["anyOf"], list) else []
        results = [exact_language(tr, b, f"{pointer}/anyOf/{i}") for i, b in enumerate(branches)]
        if not results or any(result is None for result in results):
            return None
        parts += results
        lang = intersection(lang, alternation(result.lang for result in results))
    if "not" in flat:
        negated = exact_language(tr, flat["not"], f"{pointer}/not")
        if negated is None:
            return None
        parts.append(negated)
        lang = difference(lang, negated.lang)
    return Exact(lang, meet(part.domain for part in parts))


def negation(tr: Translator, negated: Any, rest: dict, pointer: str, depth: int) -> Lang:
    """`rest` and `not negated`, within the universe; refused when `negated` has no exact language."""
    exact = exact_language(tr, negated, f"{pointer}/not")
    failing = objects_failing(negated) or _objects_failing_merged(tr, negated)
    if exact is None and not failing:
        tr.unsupported("not", pointer, "the negated schema has no exact automaton (only scalar keywords do)")
        return tr.translate(rest, pointer, depth)
    parts = [intersection(tr.translate(rest, pointer, depth), exact.failing())] if exact else []
    results = [_strictly(tr, lambda f=f: tr.translate({"allOf": [rest, f]}, pointer, depth)) for f in failing]
    if exact is None and all(error is not None for _, error in results):
        tr.unsupported("not", pointer, str(results[0][1]))
        return tr.translate(rest, pointer, depth)
    parts += [part for part, _ in results]
    limits = exact.domain.limits if exact else ""
    if failing:
        tr.narrowed("not", pointer, f"values limited to scalars{limits}, and to objects where a property the "
                                    "negated schema tests is absent or holds a scalar failing its test")
    else:
        tr.narrowed("not", pointer, f"values limited to scalars (no fractions) in their json.dumps spelling{limits}")
    return alternation(parts)


def _strictly(tr: Translator, build) -> tuple[Lang, UnsupportedSchemaError | None]:
    """`build()` translated strictly: (its language, None), or (None, the refusal)."""
    saved = tr.strict
    tr.strict = True
    try:
        return build(), None
    except UnsupportedSchemaError as error:
        return None, error
    finally:
        tr.strict = saved


def conditional(tr: Translator, schema: dict, pointer: str, depth: int) -> Lang:
    """`if`/`then`/`else` (with the schema's other keywords as `rest`): the union of the parts
    that translate (each sound on its own; a part refused is left out, a narrowing)."""
    rest = {k: v for k, v in schema.items() if k not in ("if", "then", "else")}
    if "if" not in schema or ("then" not in schema and "else" not in schema):
        return tr.translate(rest, pointer, depth)
    condition, then, other = schema["if"], schema.get("then", True), schema.get("else", True)
    builders = [lambda: tr.translate({"allOf": [rest, condition, then]}, pointer, depth),
                lambda: tr.translate({"allOf": [rest, then, other]}, pointer, depth)]
    exact = exact_language(tr, condition, f"{pointer}/if")
    if exact:
        builders.append(lambda: intersection(tr.translate({"allOf": [rest, other]}, pointer, depth),
                                             exact.failing()))
    failing_objects = objects_failing(condition)
    for failing in failing_objects:
        builders.append(lambda failing=failing: tr.translate({"allOf": [rest, other, failing]}, pointer, depth))
    results = [_strictly(tr, build) for build in builders]
    refusals = [error for _, error in results if error is not None]
    if len(refusals) == len(results):
        if tr.strict:
            raise refusals[0]
        tr.unsupported("if", pointer, str(refusals[0]))
        return tr.translate(rest, pointer, depth)
    if refusals or not exact:
        tr.narrowed("if", pointer, "the parts of if/then/else that translate exactly" if exact else
                    "only values valid for both `then` and `else` where `if` fails")
    elif failing_objects:
        tr.narrowed("if", pointer, f"values that fail `if` limited to scalars{exact.domain.limits}, and to objects "
                                   "where a property it tests is absent or holds a scalar failing its test")
    else:
        tr.narrowed("if", pointer, f"values that fail `if` limited to scalars{exact.domain.limits}")
    return alternation(part for part, _ in results)


def objects_failing(condition: Any) -> list[dict]:
    """Object schemas whose union is a part of the objects that fail `condition`, when it tests
    only properties (`properties`, `required`, `additionalProperties: false`, `type: object`):
    one per tested property, with that property present and failing its test (`not`, itself
    exact on scalars only), one per required name, absent, and with `additionalProperties: false`
    the objects with keys but none of the `properties` names.
    [] for any other condition."""
    if not isinstance(condition, dict):
        return []
    tests = {k: v for k, v in condition.items() if k not in ANNOTATIONS}
    properties, required = tests.get("properties", {}), tests.get("required", [])
    if (not tests or set(tests) - {"properties", "required", "type", "additionalProperties"}
            or tests.get("additionalProperties", False) is not False
            or tests.get("type", "object") not in ("object", ["object"]) or not isinstance(properties, dict)
            or not isinstance(required, list)):
        return []
    out = [{"type": "object", "properties": {name: {"not": test}}, "required": [name]}
           for name, test in properties.items() if test is not True and test != {}]
    out += [{"type": "object", "properties": {name: False}} for name in required if isinstance(name, str)]
    if "additionalProperties" in tests:  # an extra key
        out.append({"type": "object", "minProperties": 1, "properties": {name: False for name in properties},
                    "additionalProperties": True})
    return out


def _objects_failing_merged(tr: Translator, negated: Any) -> list[dict]:
    """`objects_failing` of `negated` merged (`$ref`, `allOf` and `unevaluated*` rewritten), when
    merging narrowed nothing (a narrowed schema has more failing objects than the schema): an
    `anyOf` (as `unevaluated*` beside conditionals becomes) fails where each branch does."""
    before = tr.value_narrowings
    flat = tr.quiet_flat(negated)
    branches = flat.get("anyOf") if isinstance(flat, dict) and set(flat) == {"anyOf"} else [flat]
    if not isinstance(branches, list):
        return []
    parts = [objects_failing(tr.quiet_flat(branch)) for branch in branches]
    if tr.value_narrowings != before or not all(parts):
        return []
    return parts[0] if len(parts) == 1 else [{"allOf": [{"anyOf": part} for part in parts]}]


_MAX_FAILING_CASES = 4  # objects failing the other branches: cases merged per branch of a oneOf


def exact_one_of(tr: Translator, branches: list, keep: list, pointer: str, depth: int,
                 tests: list | None = None) -> Lang:
    """`oneOf`: the kept branches (`keep`: index and the schema to produce from, shown exclusive
    of the others) as they are, every other one limited to values shown to fail all the others:
    scalars outside their exact languages, and objects in a part of each one's failing objects
    (`objects_failing` of `tests[j]`, the branch without the keywords beside `oneOf`, which
    every branch holds anyway; `branches` by default)."""
    kept = dict(keep)
    exact = [exact_language(tr, branch, f"{pointer}/oneOf/{i}") for i, branch in enumerate(branches)]
    failing = [_translatable_failing(tr, branch, f"{pointer}/oneOf/{i}", depth)
               for i, branch in enumerate(tests if tests is not None else branches)]
    parts = []
    left = []
    limited = False  # a branch had instances beyond the values its parts keep
    for i, branch in enumerate(branches):
        where = f"{pointer}/oneOf/{i}"
        if i in kept:
            parts.append(tr.translate(kept[i], where, depth))
            continue
        others = [other for j, other in enumerate(exact) if j != i]
        objects = [other for j, other in enumerate(failing) if j != i]
        kinds = []
        own = tr.translate(branch, where, depth)
        limited = limited or own is not None
        if all(other is not None for other in others):
            domain = meet(other.domain for other in others)
            parts.append(difference(intersection(own, domain.regex), *(other.lang for other in others)))
            kinds.append(f"scalars{domain.limits}")
        if objects and all(objects):
            # The failing sides multiply out when merged: keep a few of each (a part is sound).
            each = max(1, int(_MAX_FAILING_CASES ** (1 / len(objects)) + 1e-9))
            failing_all = {"allOf": [branch] + [{"anyOf": other[:each]} for other in objects]}
            lang, error = _strictly(tr, lambda schema=failing_all, at=where: tr.translate(schema, at, depth))
            if error is None:
                parts.append(lang)
                kinds.append("objects where a property another branch tests is absent or holds a scalar failing it")
        if not kinds:
            left.append(i)
            continue
        tr.narrowed("oneOf", pointer, f"branch {i} limited to {' and '.join(kinds)}, shown to fail the other branches")
    result = alternation(parts)
    if len(left) == len(branches) or (result is None and limited):
        # Nothing would be left, though objects, arrays or fractions may satisfy one branch only:
        # that is the narrowing's doing, not the schema's, so the schema is refused, not empty.
        tr.unsupported("oneOf", pointer, "no branch could be shown to exclude all the others")
        return alternation(tr.translate(b, f"{pointer}/oneOf/{i}", depth) for i, b in enumerate(branches))
    if left:
        tr.narrowed("oneOf", pointer, f"branches {left} left out (not shown to exclude the others)")
    return result


def _translatable_failing(tr: Translator, branch: Any, pointer: str, depth: int) -> list[dict]:
    """The object schemas of `objects_failing(branch)` (merged first where needed) that translate
    strictly: a part of the objects that fail `branch` ([] when none is known)."""
    candidates = objects_failing(branch) or _objects_failing_merged(tr, branch)
    return [schema for schema in candidates
            if _strictly(tr, lambda schema=schema: tr.translate(schema, pointer, depth))[1] is None]


def all_of(tr: Translator, schema: dict, pointer: str, depth: int) -> Lang:
    """`allOf` as the intersection of its branches' automata (and of the schema's other keywords)."""
    rest = {k: v for k, v in schema.items() if k != "allOf"}
    parts = [tr.translate(branch, f"{pointer}/allOf/{i}", depth) for i, branch in enumerate(schema["allOf"])]
    if rest:
        parts.append(tr.translate(rest, pointer, depth))
    return intersection(*parts)

