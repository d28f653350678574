"""Checks that read an object in every order of its keys: the automata write one order per
schema, so a valid object counts as accepted when some order of its keys is."""
from __future__ import annotations

import itertools
import json


def key_orders(instance, **dumps) -> list[bytes]:
    """The instance's JSON text (`json.dumps(..., **dumps)`) in every order of its top-level keys."""
    if not isinstance(instance, dict):
        return [json.dumps(instance, **dumps).encode()]
    return [json.dumps(dict(order), **dumps).encode() for order in itertools.permutations(instance.items())]


def accepted_in_some_order(dfa, instance, **dumps) -> bool:
    return any(dfa.matches(text) for text in key_orders(instance, **dumps))


def disagreements(dfa, check, instances, **dumps) -> list[tuple[object, bool]]:
    """(instance, accepted) wherever acceptance in some key order differs from `check.is_valid`."""
    wrong = []
    for instance in instances:
        accepted = accepted_in_some_order(dfa, instance, **dumps)
        if accepted != check.is_valid(instance):
            wrong.append((instance, accepted))
    return wrong
