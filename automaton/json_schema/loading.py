"""Schema input: a dict, a boolean, a JSON string, or a pydantic model class, to a plain JSON value.

pydantic is optional: a model class is recognised by its `model_json_schema` method (pydantic
2) or `schema` method (pydantic 1), so pydantic is never imported here.
"""
from __future__ import annotations

import json
from typing import Any

from automaton.errors import InvalidSchemaError

__all__ = ["load_schema"]


def load_schema(schema: Any) -> Any:
    """The schema as JSON data (dict or bool)."""
    if isinstance(schema, (dict, bool)):
        return schema
    if isinstance(schema, (str, bytes)):
        try:
            loaded = json.loads(schema)
        except ValueError as error:
            raise InvalidSchemaError("schema", "", f"not valid JSON: {error}") from None
        if not isinstance(loaded, (dict, bool)):
            raise InvalidSchemaError("schema", "", "the JSON text must hold an object or a boolean")
        return loaded
    if isinstance(schema, type):
        method = getattr(schema, "model_json_schema", None) or getattr(schema, "schema", None)
        if callable(method):
            loaded = method()
            if isinstance(loaded, dict):
                return loaded
    raise InvalidSchemaError(
        "schema", "", f"expected a dict, a JSON string or a pydantic model class, not {type(schema).__name__}"
    )
