"""`not`, `if`/`then`/`else` and `oneOf` by complement and difference of automata, and
`allOf` by intersection.

Intersection needs no care: a text that two sound automata both accept is a JSON text whose
value satisfies both schemas, whatever the spellings either automaton leaves out. Complement
and difference do: "the texts a sub-schema's automaton rejects" are the values that fail the
sub-schema only where the automaton accepts *every* spelling of *every* valid value among the
texts complemented. The translator's automata are narrowed in many ways (key order, extra keys,
`1.0` for an integer, `{}` nesting one level deep, maxLength capped, ...), so a complement is
taken only within a universe on which the complemented automaton is known to be exact.

The universe (`UNIVERSE`): the JSON scalars in one spelling per value, the one `json.dumps`
writes: `null`, `true`, `false`, integers without fraction, exponent, leading zeros or `-0`,
and strings with `json.dumps(ensure_ascii=False)`'s escapes only (raw characters, `\\"`, `\\\\`,
`\\b \\f \\n \\r \\t`, `\\u00xx` in lower case for the other control characters). It is the same in
every layout (scalars carry no whitespace). Non-integer numbers are left out: a long decimal can
round to an integral double (`1.00000000000000000001` reads as `1.0`), which would make a text
of the universe change kind.

The exact language of a schema S (`exact_language`): the automaton of S's scalar part, where
the scalar part keeps S's `type` (restricted to scalar types; every scalar type when S has none),
drops the keywords that only constrain objects and arrays (they hold for every scalar), keeps
the scalar keywords known to be translated exactly on the universe (`type`, `enum`/`const`
with integral numbers written as integers, `minLength`/`maxLength` up to the length cap,
`minimum`/`maximum`/`exclusive*` within 1e15, `multipleOf` where the translator handles it),
and gives up (None) on anything else (`pattern`, `format`, `oneOf`, `if`, ...). It is translated
strictly, and any refusal or narrowing recorded on the way also gives up. `not N` and `anyOf`
inside S combine exact languages: (UNIVERSE ∩ exact(rest) ∩ ∪ exact(B_i)) \\ exact(N). So for
every text t of the universe: t is in `exact_language(S)` exactly when the value of t satisfies
S. Hence:

- `not N` = rest ∩ (UNIVERSE \\ exact(N)): every text is a scalar of the universe that fails N;
- `if C then T else E` = (rest ∧ C ∧ T) ∪ (rest ∧ T ∧ E) ∪ ((rest ∧ E) ∩ UNIVERSE \\ exact(C)):
  the first holds where C holds, the second whatever C says, the third only where C fails;
- `oneOf`: a branch shown exclusive of the others (`exclusive`) is kept as that module
  produces it (possibly with a discriminating key made required); another branch
  B_i becomes (B_i ∩ UNIVERSE) \\ ∪_{j≠i} exact(B_j) when every other branch has an exact
  language: its texts satisfy B_i and fail every B_j, exactly one branch.

Each is a narrowing (containers and fractions are left out of complements) and never unsound;
a complement that needs an exact language that is not there is refused as before. `allOf`
branches that do not merge into one schema (`merge.MergeError`) are translated one by one and
intersected (`all_of`).
"""
from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

from automaton.errors import UnsupportedSchemaError
from automaton.json_schema.integers import ANY_INTEGER
from automaton.json_schema.keywords import ANNOTATIONS, ARRAY_KEYWORDS, OBJECT_KEYWORDS
from automaton.json_schema.lang import Lang, alternation, difference, intersection
from automaton.json_schema.regex_text import alternation as text_alternation
from automaton.json_schema.scalars import LENGTH_CAP
from automaton.json_schema.strings import RAW_CHAR, encoded_chars

if TYPE_CHECKING:  # pragma: no cover
    from automaton.json_schema.translate import Translator

__all__ = ["UNIVERSE", "exact_language", "negation", "conditional", "objects_failing", "exact_one_of", "all_of"]

_MUST_ESCAPE = [(0x00, 0x1F), (0x22, 0x22), (0x5C, 0x5C)]
CANONICAL_STRING = '"' + text_alternation([RAW_CHAR, encoded_chars(_MUST_ESCAPE)]) + '*"'
UNIVERSE = f"(null|true|false|{ANY_INTEGER}|{CANONICAL_STRING})"

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
        elif key != "multipleOf":
            return None
        out[key] = value
    return out


def exact_language(tr: Translator, schema: Any, pointer: str) -> tuple[bool, Lang]:
    """(True, L) where L accepts exactly the texts of `UNIVERSE` whose values satisfy `schema`;
    (False, None) when no such language is known."""
    flat = tr.quiet_flat(schema)
    if isinstance(flat, dict) and ("not" in flat or "anyOf" in flat):
        return _combined_exact(tr, flat, pointer)
    part = None if flat is None else _scalar_part(flat)
    if part is None:
        return False, None
    if part is False:
        return True, None
    if part is True:
        return True, UNIVERSE
    saved = tr.strict, len(tr.narrowings), len(tr.dropped), tr.value_narrowings
    tr.strict = True
    try:
        lang = tr.translate(part, pointer, 0)
    except UnsupportedSchemaError:
        return False, None
    finally:
        tr.strict = saved[0]
        clean = tr.value_narrowings == saved[3] and len(tr.dropped) == saved[2]
        del tr.narrowings[saved[1]:], tr.dropped[saved[2]:]
    return (True, lang) if clean else (False, None)


def _combined_exact(tr: Translator, flat: dict, pointer: str) -> tuple[bool, Lang]:
    """The exact language of a schema with `not` or `anyOf` from those of its parts: the
    universe's texts of its other keywords, less the negated one's, within the branches' union."""
    rest = {k: v for k, v in flat.items() if k not in ("not", "anyOf")}
    exact, lang = exact_language(tr, rest, pointer)
    if not exact:
        return False, None
    lang = intersection(UNIVERSE, lang) if lang is not None else None
    if "anyOf" in flat:
        branches = flat["anyOf"] if isinstance(flat["anyOf"], list) else []
        results = [exact_language(tr, b, f"{pointer}/anyOf/{i}") for i, b in enumerate(branches)]
        if not results or not all(ok for ok, _ in results):
            return False, None
        lang = intersection(lang, alternation(branch for _, branch in results))
    if "not" in flat:
        exact, negated = exact_language(tr, flat["not"], f"{pointer}/not")
        if not exact:
            return False, None
        lang = difference(lang, negated)
    return True, lang


def negation(tr: Translator, negated: Any, rest: dict, pointer: str, depth: int) -> Lang:
    """`rest` and `not negated`, within the universe; refused when `negated` has no exact language."""
    exact, lang = exact_language(tr, negated, f"{pointer}/not")
    failing = objects_failing(negated) or _objects_failing_merged(tr, negated)
    if not exact and not failing:
        tr.unsupported("not", pointer, "the negated schema has no exact automaton (only scalar keywords do)")
        return tr.translate(rest, pointer, depth)
    parts = [intersection(tr.translate(rest, pointer, depth), difference(UNIVERSE, lang))] if exact else []
    results = [_strictly(tr, lambda f=f: tr.translate({"allOf": [rest, f]}, pointer, depth)) for f in failing]
    if not exact and all(error is not None for _, error in results):
        tr.unsupported("not", pointer, str(results[0][1]))
        return tr.translate(rest, pointer, depth)
    parts += [part for part, _ in results]
    if failing:
        tr.narrowed("not", pointer, "values limited to scalars, and to objects where a property the negated "
                                    "schema tests is absent or holds a scalar failing its test")
    else:
        tr.narrowed("not", pointer, "values limited to scalars (no fractions) in their json.dumps spelling")
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
    exact, holds = exact_language(tr, condition, f"{pointer}/if")
    if exact:
        builders.append(lambda: intersection(tr.translate({"allOf": [rest, other]}, pointer, depth),
                                             difference(UNIVERSE, holds)))
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
        tr.narrowed("if", pointer, "values that fail `if` limited to scalars, and to objects where a property "
                                   "it tests is absent or holds a scalar failing its test")
    else:
        tr.narrowed("if", pointer, "values that fail `if` limited to scalars")
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


def exact_one_of(tr: Translator, branches: list, keep: list, pointer: str, depth: int) -> Lang:
    """`oneOf`: the kept branches (`keep`: index and the schema to produce from, shown exclusive
    of the others) as they are, every other one less all the others."""
    kept = dict(keep)
    exact = [exact_language(tr, branch, f"{pointer}/oneOf/{i}") for i, branch in enumerate(branches)]
    parts = []
    left = []
    limited = False  # a branch had instances beyond the scalars its difference keeps
    for i, branch in enumerate(branches):
        if i in kept:
            parts.append(tr.translate(kept[i], f"{pointer}/oneOf/{i}", depth))
        elif all(ok for j, (ok, _) in enumerate(exact) if j != i):
            others = [other for j, (_, other) in enumerate(exact) if j != i]
            lang = tr.translate(branch, f"{pointer}/oneOf/{i}", depth)
            limited = limited or lang is not None
            parts.append(difference(intersection(lang, UNIVERSE), *others))
            tr.narrowed("oneOf", pointer, f"branch {i} limited to scalars that fail the other branches")
        else:
            left.append(i)
    result = alternation(parts)
    if len(left) == len(branches) or (result is None and limited):
        # Nothing would be left, though objects, arrays or fractions may satisfy one branch only:
        # that is the narrowing's doing, not the schema's, so the schema is refused, not empty.
        tr.unsupported("oneOf", pointer, "no branch could be shown to exclude all the others")
        return alternation(tr.translate(b, f"{pointer}/oneOf/{i}", depth) for i, b in enumerate(branches))
    if left:
        tr.narrowed("oneOf", pointer, f"branches {left} left out (not shown to exclude the others)")
    return result


def all_of(tr: Translator, schema: dict, pointer: str, depth: int) -> Lang:
    """`allOf` as the intersection of its branches' automata (and of the schema's other keywords)."""
    rest = {k: v for k, v in schema.items() if k != "allOf"}
    parts = [tr.translate(branch, f"{pointer}/allOf/{i}", depth) for i, branch in enumerate(schema["allOf"])]
    if rest:
        parts.append(tr.translate(rest, pointer, depth))
    return intersection(*parts)

