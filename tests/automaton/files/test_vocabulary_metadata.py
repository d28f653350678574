"""Index files record their vocabulary's size, EOS ids and family, and a mismatch says what differs."""
from __future__ import annotations

from pathlib import Path

import pytest

import automaton
from automaton.compile import load_index
from automaton.errors import IndexFileError
from automaton.files import read_header
from tests.support.index_files import SMALL_PATTERNS, small_vocabulary

DATA = Path(__file__).parent / "data"
OLD_FILES = [DATA / "index_format_v1.safetensors", DATA / "index_format_v2.safetensors"]
TOKENS = [b"1", b"2", b"12", b"a", b"-", None, None]


def vocab(eos=(5,), tokens=TOKENS, width=None):
    return automaton.Vocabulary.from_token_bytes(tokens, eos_token_ids=list(eos), logits_width=width)


def test_index_file_records_vocabulary_size_eos_ids_and_family(tmp_path):
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers
    from transformers import PreTrainedTokenizerFast

    # A real byte-level tokenizer: its family is read from the tokenizer, not assumed.
    tokenizer = Tokenizer(models.BPE(vocab={**{c: i for i, c in enumerate(pre_tokenizers.ByteLevel.alphabet())},
                                            "<eos>": 256}, merges=[]))
    tokenizer.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tokenizer.decoder = decoders.ByteLevel()
    hf = PreTrainedTokenizerFast(tokenizer_object=tokenizer, eos_token="<eos>")
    vocabulary = automaton.Vocabulary.from_tokenizer(hf, logits_width=320)
    path = tmp_path / "digits.index"
    automaton.compile_index(r"[0-9]+", vocabulary, cache=False).save(path)
    metadata = read_header(path)["metadata"]
    assert metadata["vocabulary_size"] == str(len(hf)) == "257"
    assert metadata["vocabulary_eos_ids"] == str(hf.eos_token_id) == "256"
    assert metadata["vocabulary_family"] == vocabulary.family == "byte_level"
    assert metadata["logits_width"] == "320"
    # A loaded index saved again keeps them.
    again = tmp_path / "again.index"
    load_index(path).save(again)
    assert {k: v for k, v in read_header(again)["metadata"].items() if k.startswith("vocabulary")} == {
        k: v for k, v in metadata.items() if k.startswith("vocabulary")
    }


def test_vocabulary_mismatch_message_names_what_differs(tmp_path):
    path = tmp_path / "a.index"
    automaton.compile_index(r"1+2", vocab(eos=(5,)), cache=False).save(path)

    with pytest.raises(IndexFileError, match="built for another vocabulary") as caught:
        load_index(path, vocab(eos=(5, 6)))
    message = str(caught.value)
    assert "EOS ids [5] vs [5, 6]" in message and "size" not in message.split("(fingerprint")[0]

    with pytest.raises(IndexFileError) as caught:
        load_index(path, vocab(eos=(5,), tokens=TOKENS + [b"3"]))
    assert "size 7 vs 8" in str(caught.value) and "EOS" not in str(caught.value).split("(fingerprint")[0]

    with pytest.raises(IndexFileError) as caught:
        load_index(path, vocab(eos=(5,), width=64))
    assert "logits width 7 vs 64" in str(caught.value)

    with pytest.raises(IndexFileError) as caught:  # same size, EOS and width: only the bytes differ
        load_index(path, vocab(eos=(5,), tokens=[b"1", b"2", b"21", b"a", b"-", None, None]))
    other = vocab(eos=(5,), tokens=[b"1", b"2", b"21", b"a", b"-", None, None])
    assert "the token bytes differ" in str(caught.value)
    assert vocab().fingerprint in str(caught.value) and other.fingerprint in str(caught.value)


@pytest.mark.parametrize("old", OLD_FILES, ids=lambda p: p.stem)
def test_old_index_file_without_vocabulary_keys_loads_and_mismatch_says_unknown(old):
    metadata = read_header(old)["metadata"]
    assert not any(key in metadata for key in ("vocabulary_size", "vocabulary_eos_ids", "vocabulary_family"))
    width = int(metadata["logits_width"])
    index = load_index(old, small_vocabulary(width))  # still loads, with its own vocabulary
    assert index.pattern == SMALL_PATTERNS[0]
    with pytest.raises(IndexFileError, match="built for another vocabulary") as caught:
        load_index(old, small_vocabulary(width + 3))
    message = str(caught.value)
    assert "does not record its vocabulary's size, EOS ids, family" in message
    assert "logits width" in message  # what the old file does record is still compared
