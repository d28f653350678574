"""What a request's `extra_args` ask for: at most one constraint (`Constraint`), its form checked
(`request_constraint`), and at admission its DFA compiled or its index file read
(`check_constraint`). Imports no vLLM module: vLLM's front end calls this through
`AutomatonLogitsProcessor.validate_params`."""
from __future__ import annotations

import functools
import json

from automaton.errors import AutomatonError
from decode.errors import RequestConstraintError

__all__ = ["Constraint", "CONSTRAINT_KEYS", "request_constraint", "check_constraint"]

CONSTRAINT_KEYS = ("regex", "json_schema", "index")
_LAYOUTS = ("spaced", "compact")

class Constraint(tuple):
    """(kind, text, layout): kind "regex" / "json_schema" / "index"; text the pattern, the schema
    as JSON text (its property order is the output's), or the index file's path; layout the
    schema layout (None otherwise). Hashable."""

    __slots__ = ()

    def __new__(cls, kind: str, text: str, layout: str | int | None = None):
        return super().__new__(cls, (kind, text, layout))

    kind = property(lambda self: self[0])
    text = property(lambda self: self[1])
    layout = property(lambda self: self[2])

    def describe(self) -> str:
        shown = self.text if len(self.text) <= 80 else self.text[:77] + "..."
        return f"{self.kind} {shown!r}" + (f" (layout {self.layout!r})" if self.layout is not None else "")


def request_constraint(extra_args: dict | None) -> Constraint | None:
    """The constraint a request's `extra_args` name (None: none), its form checked.

    Raises `RequestConstraintError` for two constraints at once, values of the wrong type, a
    layout without a schema or an unknown layout. Other keys of `extra_args` are ignored.
    """
    if not extra_args:
        return None
    named = [key for key in CONSTRAINT_KEYS if extra_args.get(key) is not None]
    layout = extra_args.get("layout")
    if not named:
        if layout is not None:
            raise RequestConstraintError("extra_args has a 'layout' but no 'json_schema' to apply it to")
        return None
    if len(named) > 1:
        raise RequestConstraintError(f"extra_args names {' and '.join(map(repr, named))}: give at most one constraint")
    kind = named[0]
    value = extra_args[kind]
    if layout is not None and kind != "json_schema":
        raise RequestConstraintError(f"extra_args has a 'layout', which only applies to 'json_schema', not {kind!r}")
    if kind == "json_schema":
        if isinstance(value, str):
            try:
                value = json.loads(value)
            except json.JSONDecodeError as error:
                raise RequestConstraintError(f"extra_args 'json_schema' is not valid JSON: {error}") from None
        if not isinstance(value, (dict, bool)):
            raise RequestConstraintError(
                f"extra_args 'json_schema' must be a JSON object (a dict or its JSON text), got {type(value).__name__}"
            )
        layout = "spaced" if layout is None else layout
        if not (layout in _LAYOUTS or (isinstance(layout, int) and not isinstance(layout, bool) and layout >= 0)):
            raise RequestConstraintError(
                f"extra_args 'layout' must be 'spaced', 'compact' or an indent (int >= 0), got {layout!r}"
            )
        return Constraint(kind, json.dumps(value, ensure_ascii=False), layout)  # key order kept: it is the output's
    if not isinstance(value, str) or (kind == "index" and not value):
        what = "a pattern string" if kind == "regex" else "the path of an index file"
        raise RequestConstraintError(f"extra_args {kind!r} must be {what}, got {type(value).__name__}")
    return Constraint(kind, value)


def check_constraint(extra_args: dict | None) -> Constraint | None:
    """What admission checks (`validate_params`): the constraint's form, and that it compiles as
    far as it can without the served vocabulary. Raises `RequestConstraintError`."""
    constraint = request_constraint(extra_args)
    if constraint is not None:
        _check_compiles(constraint)
    return constraint


@functools.lru_cache(maxsize=256)
def _check_compiles(constraint: Constraint) -> None:
    """What can be checked without the vocabulary: the DFA compiles, the index file reads."""
    import automaton

    try:
        if constraint.kind == "regex":
            automaton.compile_dfa(constraint.text)
        elif constraint.kind == "json_schema":
            automaton.compile_dfa(schema=json.loads(constraint.text), layout=constraint.layout)
        else:
            automaton.load_index(constraint.text)
    except (AutomatonError, OSError) as error:
        raise RequestConstraintError(f"the request's {constraint.describe()} cannot be used: {error}") from None

