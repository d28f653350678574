"""A schema's layout through extraction, checked without a model: the target's pattern takes the
layout's spelling (oracle: `json.dumps` and `re.fullmatch`), the run record names the layout, and
`--layout` reaches the target."""
from __future__ import annotations

import argparse
import json
import re

import pytest

from decode.extraction.command import _target_of, add_extract_arguments
from decode.extraction.core import check_target

SCHEMA = {"type": "object", "properties": {"n": {"type": "integer"}}, "required": ["n"]}
SPELLINGS = {"spaced": json.dumps({"n": 1}), "compact": json.dumps({"n": 1}, separators=(",", ":")),
             2: json.dumps({"n": 1}, indent=2)}


@pytest.mark.parametrize("layout", list(SPELLINGS), ids=str)
def test_check_target_compiles_the_layout(layout):
    described = check_target(schema=SCHEMA, layout=layout)
    assert described["layout"] == layout and described["schema"] == SCHEMA
    for other, text in SPELLINGS.items():
        assert bool(re.fullmatch(described["pattern"], text)) == (other == layout), other


def test_layout_option_reaches_the_target(tmp_path):
    schema_file = tmp_path / "schema.json"
    schema_file.write_text(json.dumps(SCHEMA), encoding="utf-8")
    parser = argparse.ArgumentParser()
    add_extract_arguments(parser.add_subparsers(dest="command"))
    common = ["extract", "--input", "in.jsonl", "--output", "out.jsonl", "--schema", str(schema_file)]
    assert _target_of(parser.parse_args(common))["layout"] == "spaced"
    assert _target_of(parser.parse_args([*common, "--layout", "2"])) == {"schema": SCHEMA, "layout": 2}
    with pytest.raises(SystemExit):
        parser.parse_args([*common, "--layout", "tight"])
