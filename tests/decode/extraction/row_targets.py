"""An input file whose lines carry their own targets (`pattern_field="pattern"`, `schema_field="schema"`),
and the checks of its records; used by the local engine's test here and the vLLM engine's test."""
from __future__ import annotations

import json
import re

import jsonschema

CITY = {"type": "object", "properties": {"city": {"enum": ["Paris", "Rome", "Oslo"]}}, "required": ["city"],
        "additionalProperties": False}
LINES = [
    {"id": "phone", "prompt": "Write a phone number.", "pattern": r"\d{3}-\d{4}", "topic": "a"},
    {"id": "city", "prompt": "Name a city as JSON.", "schema": CITY, "topic": "b"},
    {"id": "yes", "prompt": "Is the sky blue?", "pattern": "(yes|no)", "topic": "c"},
    {"id": "text-schema", "prompt": "Name a city as JSON.", "schema": json.dumps(CITY), "topic": "d"},
    {"id": "bad", "prompt": "Anything.", "pattern": "(unclosed", "topic": "e"},
    {"id": "none", "prompt": "Anything.", "topic": "f"},
    {"id": "both", "prompt": "Anything.", "pattern": "a", "schema": CITY, "topic": "g"},
]


def write_lines(path) -> None:
    path.write_text("".join(json.dumps(line) + "\n" for line in LINES), encoding="utf-8")


def check_row_records(records: list[dict]) -> None:
    """Each line matched its own target; the lines whose target is unusable failed, naming why; only
    the kept field ("topic") was copied."""
    by_id = {r["id"]: r for r in records}
    assert len(records) == len(LINES) == len(by_id)
    for line in LINES[:4]:
        record = by_id[line["id"]]
        assert record["status"] == "matched", record
        assert record["topic"] == line["topic"] and "pattern" not in record and "schema" not in record
        if "pattern" in line:
            assert re.fullmatch(line["pattern"], record["output"], re.ASCII) and "value" not in record
        else:
            jsonschema.validate(record["value"], CITY)
            assert json.loads(record["output"]) == record["value"]
    assert by_id["bad"]["status"] == "failed" and "(unclosed" in by_id["bad"]["error"] \
        and "line 5" not in by_id["bad"]["error"] and by_id["bad"]["line"] == 5
    assert by_id["none"]["status"] == "failed" and "no target field" in by_id["none"]["error"]
    assert by_id["both"]["status"] == "failed" and "exactly one" in by_id["both"]["error"]
    assert by_id["none"]["topic"] == "f"
