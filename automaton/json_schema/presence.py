"""`oneOf` whose branches only test which keys an object has, made exact by cases.

Real schemas often pick a shape by the keys present: `"oneOf": [{"required": ["radius"]},
{"required": ["length", "width"]}]`, sometimes with `"not": {"required": [...]}`. Such a
branch (a *presence test*: `required`, `not`, `allOf`, `anyOf`, `oneOf` of presence tests, and
annotations) is true or false of an object by which of finitely many keys K it holds. So for
an object schema `rest` with `oneOf: B` (each B_i a presence test), the instances are the
objects of `rest` whose set P of present keys of K makes exactly one B_i true: the union, over
those P, of `rest` with P required and K \\ P never written (`properties: {k: false}`). Each
case is an ordinary object schema; the union is exact, with no complement taken.

`presence_cases(rest, branches)` gives those cases, or None when a branch is not a
presence test, K holds more than `MAX_KEYS` keys, or `rest` may be something other than an
object (there `required` holds of every value, which the cases would not say).

    >>> cases = presence_cases({"type": "object"}, [{"required": ["a"]}, {"required": ["b"]}])
    >>> [(c["required"], sorted(k for k, v in c["properties"].items() if v is False)) for c in cases]
    [(['a'], ['b']), (['b'], ['a'])]
"""
from __future__ import annotations

import itertools
from typing import Any

from automaton.json_schema.keywords import ANNOTATIONS

__all__ = ["MAX_KEYS", "presence_cases"]

MAX_KEYS = 6  # 2**6 presence patterns at most
_TESTS = ("required", "not", "allOf", "anyOf", "oneOf")


def _keys(test: Any, found: list[str]) -> bool:
    """Collect the keys a presence test looks at into `found`; False when it is not one."""
    if isinstance(test, bool):
        return True
    if not isinstance(test, dict) or any(k not in _TESTS and k not in ANNOTATIONS for k in test):
        return False
    names = test.get("required", [])
    if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
        return False
    found.extend(n for n in names if n not in found)
    if "not" in test and not _keys(test["not"], found):
        return False
    for key in ("allOf", "anyOf", "oneOf"):
        if key in test:
            if not isinstance(test[key], list) or not test[key]:
                return False
            if not all(_keys(branch, found) for branch in test[key]):
                return False
    return True


def _holds(test: Any, present: set[str]) -> bool:
    """Whether the presence test is true of an object whose keys (of interest) are `present`."""
    if isinstance(test, bool):
        return test
    if not all(name in present for name in test.get("required", [])):
        return False
    if "not" in test and _holds(test["not"], present):
        return False
    if "allOf" in test and not all(_holds(b, present) for b in test["allOf"]):
        return False
    if "anyOf" in test and not any(_holds(b, present) for b in test["anyOf"]):
        return False
    return "oneOf" not in test or sum(_holds(b, present) for b in test["oneOf"]) == 1


def _objects_only(rest: dict) -> bool:
    types = rest.get("type")
    return types == "object" or types == ["object"]


def presence_cases(rest: dict, branches: list) -> list[dict] | None:
    """The object schemas whose union is `rest` with `oneOf` of `branches`."""
    keys: list[str] = []
    if not _objects_only(rest) or not all(_keys(branch, keys) for branch in branches) or len(keys) > MAX_KEYS:
        return None
    required = list(rest.get("required", []))
    properties = dict(rest.get("properties", {}))
    extra: dict = {}
    if not any(k in rest for k in ("properties", "required", "additionalProperties", "patternProperties")):
        extra["additionalProperties"] = True  # the keys `rest` allows stay allowed once cases name some
    cases = []
    for size in range(len(keys) + 1):
        for chosen in itertools.combinations(keys, size):
            present = set(chosen)
            if sum(_holds(branch, present) for branch in branches) == 1:
                absent = {k: False for k in keys if k not in present}
                cases.append(dict(rest, **extra, required=list(dict.fromkeys(required + list(chosen))),
                                  properties={**properties, **absent}))
    return cases
