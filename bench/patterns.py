# ruff: noqa: E501, F401  (vendored as it is: one long frozen regex, an unused import)
"""Visible benchmark patterns: every benchmark and comparison in bench/ runs on these (plus your own).

person_schema is the JSON-schema regex that outlines-core 0.2.14 builds for PERSON_SCHEMA (build_regex_from_schema),
frozen here as text so that no benchmark needs outlines-core to get it.

Vendored from the project's shared `bench/patterns.py` (the folder beside the repository), unchanged but for
this paragraph and the ruff line above it, so that bench/ runs from the repository alone.
"""
import json

SEED_JSON = r'\{\s*"action":\s*"Final Answer",\s*"action_input":\s*(\{.*\}|"[^"]*")\s*\}\nHuman:'
EMAIL = r"[a-z0-9._%+-]+@[a-z0-9.-]+\.[a-z]{2,}"
DATETIME = r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z"
IPV4 = r"((25[0-5]|2[0-4]\d|[01]?\d\d?)\.){3}(25[0-5]|2[0-4]\d|[01]?\d\d?)"
PHONE = r"\(\d{3}\) \d{3}-\d{4}"
BOUNDED = r"[a-zA-Z ]{10,200}"

PERSON_SCHEMA = {
    "type": "object",
    "properties": {
        "name": {"type": "string", "maxLength": 40},
        "age": {"type": "integer"},
        "email": {"type": "string", "format": "email"},
        "role": {"enum": ["admin", "user", "guest"]},
        "active": {"type": "boolean"},
        "tags": {"type": "array", "items": {"type": "string"}, "maxItems": 5},
        "address": {
            "type": "object",
            "properties": {
                "street": {"type": "string"},
                "city": {"type": "string"},
                "zip": {"type": "string", "pattern": "[0-9]{5}"},
            },
            "required": ["street", "city", "zip"],
        },
    },
    "required": ["name", "age", "email", "role", "active", "tags", "address"],
}


PERSON_SCHEMA_REGEX = '\\{[ ]?"name"[ ]?:[ ]?"([^"\\\\\\x00-\\x1F\\x7F-\\x9F]|\\\\["\\\\/bfnrt]){0,40}"[ ]?,[ ]?"age"[ ]?:[ ]?(-)?(0|[1-9][0-9]*)[ ]?,[ ]?"email"[ ]?:[ ]?"(?:[a-z0-9!#$%&\'*+/=?^_`{|}~-]+(?:\\.[a-z0-9!#$%&\'*+/=?^_`{|}~-]+)*|"(?:[\\x01-\\x08\\x0b\\x0c\\x0e-\\x1f\\x21\\x23-\\x5b\\x5d-\\x7f]|\\\\[\\x01-\\x09\\x0b\\x0c\\x0e-\\x7f])*")@(?:(?:[a-z0-9](?:[a-z0-9-]*[a-z0-9])?\\.)+[a-z0-9](?:[a-z0-9-]*[a-z0-9])?|\\[(?:(?:(2(5[0-5]|[0-4][0-9])|1[0-9][0-9]|[1-9]?[0-9]))\\.){3}(?:(2(5[0-5]|[0-4][0-9])|1[0-9][0-9]|[1-9]?[0-9])|[a-z0-9-]*[a-z0-9]:(?:[\\x01-\\x08\\x0b\\x0c\\x0e-\\x1f\\x21-\\x5a\\x53-\\x7f]|\\\\[\\x01-\\x09\\x0b\\x0c\\x0e-\\x7f])+)\\])"[ ]?,[ ]?"role"[ ]?:[ ]?("admin"|"user"|"guest")[ ]?,[ ]?"active"[ ]?:[ ]?(true|false)[ ]?,[ ]?"tags"[ ]?:[ ]?\\[[ ]?(("([^"\\\\\\x00-\\x1F\\x7F-\\x9F]|\\\\["\\\\/bfnrt])*")(,[ ]?("([^"\\\\\\x00-\\x1F\\x7F-\\x9F]|\\\\["\\\\/bfnrt])*")){0,4})?[ ]?\\][ ]?,[ ]?"address"[ ]?:[ ]?\\{[ ]?"street"[ ]?:[ ]?"([^"\\\\\\x00-\\x1F\\x7F-\\x9F]|\\\\["\\\\/bfnrt])*"[ ]?,[ ]?"city"[ ]?:[ ]?"([^"\\\\\\x00-\\x1F\\x7F-\\x9F]|\\\\["\\\\/bfnrt])*"[ ]?,[ ]?"zip"[ ]?:[ ]?("[0-9]{5}")[ ]?\\}[ ]?\\}'


def all_patterns():
    """name -> pattern, in benchmark order."""
    return {
        "seed_json": SEED_JSON,
        "email": EMAIL,
        "datetime": DATETIME,
        "ipv4": IPV4,
        "phone": PHONE,
        "bounded_200": BOUNDED,
        "person_schema": PERSON_SCHEMA_REGEX,
    }
