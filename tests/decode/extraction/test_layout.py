"""A schema's layout through extraction, checked without a model: the run record names the schema
and its layout, whose automaton takes exactly the layout's spelling (oracle: `json.dumps`), the
layout is compiled when the target is checked, and `--layout` reaches the target."""
from __future__ import annotations

import argparse
import json

import pytest

import automaton
from decode.extraction.command import _target_of, add_extract_arguments
from decode.extraction.core import check_target

SCHEMA = {"type": "object", "properties": {"n": {"type": "integer"}}, "required": ["n"]}
SPELLINGS = {"spaced": json.dumps({"n": 1}), "compact": json.dumps({"n": 1}, separators=(",", ":")),
             2: json.dumps({"n": 1}, indent=2)}


@pytest.mark.parametrize("layout", list(SPELLINGS), ids=str)
def test_check_target_compiles_the_layout(layout):
    described = check_target(schema=SCHEMA, layout=layout)
    assert described == {"schema": SCHEMA, "layout": layout}
    dfa = automaton.compile_dfa(schema=described["schema"], layout=described["layout"])
    for other, text in SPELLINGS.items():
        assert dfa.matches(text.encode()) == (other == layout), other


def test_check_target_refuses_a_bad_layout_before_any_model():
    with pytest.raises(automaton.AutomatonError, match="layout"):
        check_target(schema=SCHEMA, layout="tight")


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
