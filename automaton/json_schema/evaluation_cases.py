"""`unevaluatedProperties` / `unevaluatedItems` beside conditional sub-schemas, split into cases.

Which keys (items) a conditional sub-schema evaluates depends on whether it passes: an `anyOf`
branch evaluates its keys only when it passes, `if` only when it holds, `then` and `else` only
when they apply, a `dependentSchemas` entry only when its trigger key is there, `oneOf` the keys
of the one branch that passes. `evaluation_cases(tr, schema, pointer, lower)` distributes those
conditionals over the schema: each case fixes which sub-schemas apply, so that what it evaluates
is static again and `lower` (the static rewrite of `unevaluated`) can take it. The union of the
cases is a sub-language of the schema's (sound), equal to it where the module says:

- `anyOf: [B1..Bn]`: one case per non-empty set P of branches (n <= `SUBSET_BRANCHES`; else one
  per branch, a narrowing): the branches of P applied, their keys evaluated. A valid instance
  falls in the case of the branches it passes (exact).
- `oneOf`: one case per branch B_i, applied and evaluated; the case's texts must also fail
  every other branch, which `exclusive.excluding` shows (possibly narrowing the case: a key made
  required or forbidden, an item made present); a case not shown so is left out.
- `if`/`then`/`else`: (`if` and `then` applied and evaluated); (`else` applied and evaluated,
  on objects failing `if` (`algebra.objects_failing`), or on arrays with an item failing an
  `if` made of `prefixItems` only); (`then` and `else` both holding, neither
  evaluated: whatever `if` says, one of them applies, and the keys evaluated only grow). Values
  failing `if` some other way reach only the last case (a narrowing).
- `dependentSchemas: {k: S}`: (`k` present, S applied and evaluated) and (`k` absent).
- `not` never evaluates and stays where it is; `contains` stays too (held to `unevaluatedItems`,
  `unevaluated`'s narrowing).

With automata, an outcome of `if`/`then`/`else` whose sub-schemas (or whose check that `if`
fails) the translator refuses is left out, as `algebra.conditional` leaves out such a part.

Conditionals are found where the schema's own keywords are: at its top, in `allOf` branches
and `$ref` targets followed recursively, and in the sub-schemas just applied. A sub-schema with
its own `unevaluated*` (other than `true`) is applied whole (its conditionals decide what it
evaluates itself). Constraints that hold without evaluating anything (an object failing `if`, an
absent trigger) are added beside the lowered case (`allOf`), not into what it evaluates. More
than `MAX_CASES` cases, or an unexpected form (a malformed keyword): None, and `unevaluated`
holds the conditional keys to the keyword as before.

    >>> class _Quiet:
    ...     def narrowed(self, *args): pass
    >>> cases = evaluation_cases(_Quiet(), {"anyOf": [{"required": ["a"]}, {"required": ["b"]}]}, "",
    ...                          lambda tr, core, pointer: core)
    >>> [case["allOf"] for case in cases]
    [[{'required': ['a']}], [{'required': ['b']}], [{'required': ['a']}, {'required': ['b']}]]
"""
from __future__ import annotations

import itertools
import json
import weakref
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from automaton.errors import UnsupportedSchemaError
from automaton.json_schema.algebra import objects_failing
from automaton.json_schema.exclusive import excluding
from automaton.json_schema.keywords import ANNOTATIONS, normalize
from automaton.json_schema.lang import automata_in_use

if TYPE_CHECKING:  # pragma: no cover
    from automaton.json_schema.translate import Translator

__all__ = ["MAX_CASES", "SUBSET_BRANCHES", "evaluation_cases"]

MAX_CASES = 16
SUBSET_BRANCHES = 3  # anyOf branches up to which every set of passing branches is a case
_MAX_NODES = 256  # sub-schemas opened in all, over all cases
_UNEVALUATED = ("unevaluatedProperties", "unevaluatedItems")
_SPLIT = ("anyOf", "oneOf", "if", "dependentSchemas")
_TRANSLATES: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()  # translator -> {schema text: bool}


class _GiveUp(Exception):
    """Too many cases or sub-schemas, or a form this module leaves to the translator."""


class _Case:
    """One choice of the conditionals met so far: sub-schemas still to open, those applied and
    evaluated, constraints that evaluate nothing, and `oneOf` branches its texts must fail."""

    def __init__(self, todo: list, evaluating: list, checks: list, rivals: list):
        self.todo, self.evaluating, self.checks, self.rivals = todo, evaluating, checks, rivals

    def split(self, rest: tuple, apply: list, checks: list = (), rivals: list = ()) -> _Case:
        return _Case([rest, *apply, *self.todo], list(self.evaluating), self.checks + list(checks),
                     self.rivals + list(rivals))


def _own_unevaluated(node: dict) -> bool:
    return any(key in node and node[key] is not True and node[key] != {} for key in _UNEVALUATED)


def _branches(node: dict, key: str) -> list:
    branches = node[key]
    if not isinstance(branches, list) or not branches:
        raise _GiveUp
    return branches


def _outcomes(tr: Translator, node: dict, key: str, pointer: str) -> tuple[dict, list[tuple[list, list, list]]]:
    """`node` without the conditional `key`, and its outcomes: (sub-schemas applied and
    evaluated, constraints evaluating nothing, branches to fail) for each."""
    if key in ("anyOf", "oneOf"):
        branches = [(b, f"{pointer}/{key}/{i}") for i, b in enumerate(_branches(node, key))]
        rest = {k: v for k, v in node.items() if k != key}
        if key == "oneOf":
            return rest, [([b], [], [o for o, _ in branches[:i] + branches[i + 1:]]) for i, b in enumerate(branches)]
        size = len(branches) if len(branches) <= SUBSET_BRANCHES else 1
        if size == 1 and len(branches) > 1:
            tr.narrowed("anyOf", pointer, "beside unevaluated*: the keys of one passing branch evaluated")
        sets = [s for n in range(1, size + 1) for s in itertools.combinations(branches, n)]
        return rest, [(list(s), [], []) for s in sets]
    if key == "if":
        rest = {k: v for k, v in node.items() if k not in ("if", "then", "else")}
        condition = (node["if"], f"{pointer}/if")
        if "then" not in node and "else" not in node:
            return rest, [([condition], [], []), ([], [], [])]
        then, other = node.get("then", True), node.get("else", True)
        holds, fails = [node["if"], then], [other]
        out = [([condition, (then, f"{pointer}/then")], [], [])] if _translate(tr, holds, pointer) else []
        if _translate(tr, fails, pointer):
            failing = [check for check in _failing(node["if"]) if _translate(tr, [check], pointer)]
            out += [([(other, f"{pointer}/else")], [check], []) for check in failing]
        if _translate(tr, [then, other], pointer):
            out.append(([], [then, other], []))
        if not out:
            raise _GiveUp
        tr.narrowed("if", pointer, "beside unevaluated*: values failing `if` limited to objects where a property "
                                   "it tests is absent or fails its test, or valid for both `then` and `else`")
        return rest, out
    schemas = node["dependentSchemas"]
    if not isinstance(schemas, dict):
        raise _GiveUp
    rest = {k: v for k, v in node.items() if k != "dependentSchemas"}
    trigger, sub = next(iter(schemas.items()))
    if len(schemas) > 1:
        rest["dependentSchemas"] = {k: v for k, v in schemas.items() if k != trigger}
    return rest, [([(sub, f"{pointer}/dependentSchemas/{trigger}")], [{"required": [trigger]}], []),
                  ([], [{"properties": {trigger: False}}], [])]


def _translate(tr: Translator, schemas: list, pointer: str) -> bool:
    """Whether each of `schemas` translates without a refusal (checked with automata only,
    where `algebra.conditional` leaves out the parts of `if`/`then`/`else` refused, as the
    cases here do; the regex text refuses them as before). Answers are kept per translator."""
    if not automata_in_use():
        return True
    known = _TRANSLATES.setdefault(tr, {})
    for schema in schemas:
        key = json.dumps(schema, sort_keys=True, default=str)
        if key not in known:
            saved, before = tr.strict, (len(tr.narrowings), tr.value_narrowings)
            tr.strict = True
            try:
                tr.translate(schema, pointer, 0)
                known[key] = True
            except UnsupportedSchemaError:
                known[key] = False
            finally:
                tr.strict = saved
                del tr.narrowings[before[0]:]
                tr.value_narrowings = before[1]
        if not known[key]:
            return False
    return True


def _failing(condition: Any) -> list[dict]:
    """Schemas whose union is a part of the values failing `condition`: the objects of
    `algebra.objects_failing`, and for a condition of `prefixItems` alone the arrays holding an
    item that fails its test (one schema per position)."""
    out = objects_failing(condition)
    tests = {k: v for k, v in condition.items() if k not in ANNOTATIONS} if isinstance(condition, dict) else {}
    prefix = tests.get("prefixItems")
    if set(tests) <= {"prefixItems", "type"} and tests.get("type", "array") in ("array", ["array"]) \
            and isinstance(prefix, list):
        out += [{"type": "array", "minItems": k + 1, "prefixItems": [True] * k + [{"not": test}]}
                for k, test in enumerate(prefix) if test is not True and test != {}]
    return out


def _open(tr: Translator, case: _Case, opened: list[int]) -> list[_Case] | None:
    """Open `case`'s sub-schemas up to its next conditional: the cases it splits into there
    ([] when a `false` makes it empty), or None when it has no conditional left."""
    while case.todo:
        node, pointer = case.todo.pop(0)
        opened[0] += 1
        if opened[0] > _MAX_NODES:
            raise _GiveUp
        if node is True:
            continue
        if node is False:
            return []
        if not isinstance(node, dict):
            raise _GiveUp
        node = normalize(node)
        if _own_unevaluated(node):
            case.evaluating.append(node)
            continue
        for key in _SPLIT:
            if key in node:
                rest, outcomes = _outcomes(tr, node, key, pointer)
                return [case.split((rest, pointer), apply, checks, rivals) for apply, checks, rivals in outcomes]
        plain = {k: v for k, v in node.items() if k not in ("allOf", "$ref", "then", "else")}  # no `if` here
        if plain:
            case.evaluating.append(plain)
        branches = node.get("allOf", [])
        if not isinstance(branches, list):
            raise _GiveUp
        case.todo[:0] = [(b, f"{pointer}/allOf/{i}") for i, b in enumerate(branches)]
        if isinstance(node.get("$ref"), str):
            case.todo.insert(0, tr.resolve(node["$ref"], pointer))
    return None


def _finish(tr: Translator, case: _Case, pointer: str, keywords: dict, lower: Callable) -> Any:
    """The case's schema: what it evaluates lowered statically, its constraints beside; made to
    fail its `oneOf` rivals (None when that is not shown)."""
    core = dict(keywords)
    if case.evaluating:
        core["allOf"] = case.evaluating
    produced = lower(tr, core, pointer)
    if case.checks:
        produced = {"allOf": [produced, *case.checks]}
    if case.rivals:
        shown = excluding(tr, produced, case.rivals)
        if shown is not None and shown is not produced:
            tr.narrowed("oneOf", pointer, "beside unevaluated*: a case made to write a key or item that "
                                          "excludes the other branches")
        produced = shown
    return produced


def evaluation_cases(tr: Translator, schema: dict, pointer: str, lower: Callable,
                     keywords: dict | None = None) -> list | None:
    """The schemas whose union is (a sound part of) `schema` with `keywords` (its
    `unevaluated*`, taken out of it) as the module says, each lowered by
    `lower(tr, schema, pointer)`; None when the cases are not made (too many, or an unexpected form)."""
    pending, finished, opened = [_Case([(schema, pointer)], [], [], [])], [], [0]
    try:
        while pending:
            case = pending.pop(0)
            split = _open(tr, case, opened)
            if split is None:
                finished.append(case)
            else:
                pending[:0] = split
            if len(pending) + len(finished) > MAX_CASES:
                raise _GiveUp
    except _GiveUp:
        return None
    out: dict[str, Any] = {}
    for case in finished:
        produced = _finish(tr, case, pointer, keywords or {}, lower)
        if produced is None:
            tr.narrowed("oneOf", pointer, "beside unevaluated*: a case not shown to fail the other branches left out")
        elif produced is not False:
            out.setdefault(json.dumps(produced, sort_keys=True, default=str), produced)
    return list(out.values())
