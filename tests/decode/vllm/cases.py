"""Requests for the vLLM tests: prompts with their constraints, and the independent checks of outputs."""
from __future__ import annotations

import json
import re

import jsonschema

PATTERNS = [
    r"\d{3}-\d{4}",
    r"(yes|no)",
    r"[A-Z][a-z]{1,8}",
    r"\d{4}-\d{2}-\d{2}",
    r"(red|green|blue)",
    r"[a-z]{1,8}@[a-z]{1,8}\.(com|org)",
    r"-?\d{1,3}\.\d{2}",
    r"\(\d{3}\) \d{3}-\d{4}",
    r"[A-Z]{2}\d{4}",
    r"#[0-9a-f]{6}",
    r"(\w{1,6} ){2}\w{1,6}",
    r"(café|naïve|日本) \d",
    r"[0-9]{1,2}:[0-5][0-9] (AM|PM)",
]

PERSON = {
    "type": "object",
    "properties": {
        "name": {"type": "string", "pattern": "^[A-Za-z ]{1,12}$"},
        "age": {"type": "integer", "minimum": 0, "maximum": 120},
        "city": {"enum": ["Paris", "Rome", "Oslo"]},
    },
    "required": ["name", "age", "city"],
    "additionalProperties": False,
}

PROMPTS = [
    "Write a phone number:",
    "Is the sky blue? Answer:",
    "Name a city:",
    "Today's date is",
    "My favourite colour is",
    "Her email address is",
    "The temperature is",
    "Call us at",
    "The flight number is",
    "A nice colour code:",
    "Three words about cats:",
    "A word and a digit:",
    "The meeting starts at",
]

FREE_PROMPTS = ["The capital of France is", "Once upon a time", "def add(a, b):"]


def check_output(constraint: dict, text: str) -> None:
    """Assert that `text` fully satisfies the request's constraint (Python `re`, `json` + `jsonschema`)."""
    if "regex" in constraint:
        assert re.fullmatch(constraint["regex"], text, re.ASCII), (constraint["regex"], text)
        return
    schema = constraint["json_schema"]
    value = json.loads(text)
    jsonschema.validate(value, schema)
    assert list(value) == [key for key in schema["properties"] if key in value], text  # the schema's order
    if constraint.get("layout") == "compact":
        assert text == json.dumps(value, separators=(",", ":"), ensure_ascii=False), text
    else:
        assert text == json.dumps(value, ensure_ascii=False), text
