"""The schema entry points' options: layouts through `compile_dfa`, `compile_index` (and its
cache key) and `automaton compile --schema --layout`. Oracle: `json.dumps` in each layout."""
from __future__ import annotations

import json

import pytest

import automaton
from automaton.errors import InvalidSchemaError
from tests.automaton.test_cli import accepts, run, tokenizer_folder, vocabulary, vocabulary_ids  # noqa: F401  (fixtures)

SCHEMA = {"type": "object", "required": ["n", "tags"],
          "properties": {"n": {"type": "integer"}, "tags": {"type": "array", "items": {"type": "string"}}}}
VALUE = {"n": 12, "tags": ["a", "b"]}
SPELLINGS = {"spaced": json.dumps(VALUE), "compact": json.dumps(VALUE, separators=(",", ":")),
             2: json.dumps(VALUE, indent=2), 0: json.dumps(VALUE, indent=0)}


@pytest.fixture(scope="module")
def byte_vocabulary():
    return automaton.Vocabulary.from_token_bytes([bytes([b]) for b in range(256)] + [None], eos_token_ids=[256])


def index_accepts(index, text: str) -> bool:
    state = index.advance(index.initial_state, list(text.encode()))
    return state >= 0 and index.is_accepting(state)


@pytest.mark.parametrize("layout", list(SPELLINGS), ids=str)
def test_each_layout_takes_exactly_its_own_spelling(layout):
    dfa = automaton.compile_dfa(schema=SCHEMA, layout=layout)
    for other, text in SPELLINGS.items():
        assert dfa.matches(text.encode()) == (text == SPELLINGS[layout]), (layout, other)
    assert automaton.compile_dfa(schema=SCHEMA).matches(SPELLINGS["spaced"].encode())  # the default


@pytest.mark.parametrize("layout", ["tight", -1, 2.0, True, None])
def test_unknown_layouts_are_refused(layout):
    with pytest.raises(InvalidSchemaError) as info:
        automaton.compile_dfa(schema=SCHEMA, layout=layout)
    assert info.value.keyword == "layout"


def test_index_cache_keys_hold_the_layout(byte_vocabulary, tmp_path):
    spaced = automaton.compile_index(schema=SCHEMA, vocabulary=byte_vocabulary, cache=tmp_path)
    compact = automaton.compile_index(schema=SCHEMA, vocabulary=byte_vocabulary, layout="compact", cache=tmp_path)
    assert len(list(tmp_path.iterdir())) == 2
    again = automaton.compile_index(schema=SCHEMA, vocabulary=byte_vocabulary, layout="compact", cache=tmp_path)
    assert len(list(tmp_path.iterdir())) == 2
    for index, layout in ((spaced, "spaced"), (compact, "compact"), (again, "compact")):
        for other in ("spaced", "compact"):
            assert index_accepts(index, SPELLINGS[other]) == (other == layout)


def test_index_cache_keys_hold_the_property_order(byte_vocabulary, tmp_path):
    # Properties are written in the schema's order: the same keys in another order are another language.
    reordered = {**SCHEMA, "properties": dict(reversed(SCHEMA["properties"].items()))}
    first = automaton.compile_index(schema=SCHEMA, vocabulary=byte_vocabulary, cache=tmp_path)
    second = automaton.compile_index(schema=reordered, vocabulary=byte_vocabulary, cache=tmp_path)
    assert len(list(tmp_path.iterdir())) == 2
    flipped = json.dumps(dict(reversed(VALUE.items())))
    assert index_accepts(first, SPELLINGS["spaced"]) and not index_accepts(first, flipped)
    assert index_accepts(second, flipped) and not index_accepts(second, SPELLINGS["spaced"])


def test_command_line_layout(tokenizer_folder, vocabulary, tmp_path, run):  # noqa: F811  (the imported fixtures)
    schema_file = tmp_path / "schema.json"
    schema_file.write_text(json.dumps(SCHEMA), encoding="utf-8")
    for option, layout in (("compact", "compact"), ("2", 2)):
        output = tmp_path / f"{option}.index"
        result = run("compile", "--schema", str(schema_file), "--layout", option, "--tokenizer", str(tokenizer_folder),
                     "-o", str(output), cache_dir=tmp_path / "cache")
        assert result.returncode == 0, result.stderr
        index = automaton.load_index(output, vocabulary)
        for other, text in SPELLINGS.items():
            assert accepts(index, vocabulary_ids(vocabulary, text)) == (other == layout), (option, other)
    bad = run("compile", "--schema", str(schema_file), "--layout", "tight", "--tokenizer", str(tokenizer_folder),
              cache_dir=tmp_path / "cache")
    assert bad.returncode == 2 and "--layout" in bad.stderr
