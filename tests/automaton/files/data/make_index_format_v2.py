"""Writes index_format_v2.safetensors, the format-2 fixture that tests/automaton/files/test_files.py keeps loading.

Format 2 stores rows that allow few tokens as id lists (`sparse_offsets`, `sparse_tokens`). The
fixture's vocabulary is the small test vocabulary with logits 1,024 wide (32 words per row, so
rows of at most 4 ids become lists): its index has both packed rows and id lists. Run once, by the
library version that wrote format 2:

    .venv/bin/python -m tests.automaton.data.make_index_format_v2

Never regenerate it with a newer library: the file is the proof that format-2 files still load.
"""
from pathlib import Path

import automaton
from automaton.files import FORMAT_VERSION
from tests.support.index_files import SMALL_PATTERNS, small_vocabulary

FIXTURE_V2_LOGITS_WIDTH = 1024

if __name__ == "__main__":
    assert FORMAT_VERSION == 2, "this fixture is the format-2 one"
    index = automaton.compile_index(SMALL_PATTERNS[0], small_vocabulary(FIXTURE_V2_LOGITS_WIDTH), cache=False)
    assert index.num_sparse_rows and index.num_dense_rows, "the fixture must hold both kinds of rows"
    index.save(Path(__file__).parent / "index_format_v2.safetensors")
