"""Writes index_format_v1.safetensors, the format-1 fixture that tests/automaton/files/test_files.py keeps loading.

Run once, by the library version that wrote format 1 (automaton 0.1.0):

    .venv/bin/python -m tests.automaton.data.make_index_format_v1

Never regenerate it with a newer library: the file is the proof that old files still load.
"""
from pathlib import Path

import automaton
from automaton.files import FORMAT_VERSION
from tests.support.index_files import SMALL_PATTERNS, small_vocabulary

assert FORMAT_VERSION == 1, "this fixture is the format-1 one"
index = automaton.compile_index(SMALL_PATTERNS[0], small_vocabulary(), cache=False)
index.save(Path(__file__).parent / "index_format_v1.safetensors")
