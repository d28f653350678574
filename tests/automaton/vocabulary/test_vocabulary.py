"""Vocabulary: exact token bytes for the three real tokenizers, checked against their own encoders."""
from __future__ import annotations

import json
import random
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from automaton import Vocabulary, VocabularyError
from tests.support import tokenizers as real_tokenizers

# Character pools for random text. U+2581 (▁) is left out: SentencePiece reads it as a space.
_POOLS = [
    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ",
    "0123456789",
    " !\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~",
    "      \t\t\n\n\r",
    "éèêëàâäîïôöùûüçñßÅåøæœŁłŠšŽžő",
    "абвгдеёжзийклмнопрстуфхцчшщъыьэюяАБВ",
    "αβγδεζηθικλμνξοπρστυφχψωΩ",
    "日本語中文字漢字東京大阪人口学生先生時間問題",
    "한국어텍스트안녕하세요",
    "مرحبابالعالم",
    "ข้อความภาษาไทย",
    "😀😂🎉👍🏽👨‍👩‍👧🇫🇷❤️✨🚀🤖",
    "𝕏𝔸𝒜𐍈𓀀𝄞",
    "\u0301\u0308\u200b\u00a0\u3000",
]


def random_texts(count: int, seed: int) -> list[str]:
    rng = random.Random(seed)
    texts = []
    for _ in range(count):
        pools = rng.sample(_POOLS, rng.randint(1, 4))
        length = rng.randint(0, 40)
        texts.append("".join(rng.choice(rng.choice(pools)) for _ in range(length)))
    return texts


def expected_bytes(text: str, leading_space: bool) -> bytes:
    """The text's UTF-8, with the SentencePiece leading space where the encoder adds one."""
    if leading_space and text and not text.startswith(" "):
        return b" " + text.encode("utf-8")
    return text.encode("utf-8")


def joined_token_bytes(vocabulary: Vocabulary, ids) -> bytes:
    parts = [vocabulary.token_bytes(int(i)) for i in ids]
    assert None not in parts, f"encoding produced excluded ids: {[i for i, p in zip(ids, parts) if p is None]}"
    return b"".join(parts)


REAL = [
    ("smollm2_tokenizer", "smollm2_vocabulary", False, 49152),
    ("mistral_tokenizer", "mistral_vocabulary", True, 32000),
    ("cl100k_tokenizer", "cl100k_vocabulary", False, 100277),
]


@pytest.mark.parametrize("tokenizer_name, vocabulary_name, leading_space, size", REAL)
def test_random_text_round_trips_through_token_bytes(request, tokenizer_name, vocabulary_name, leading_space, size):
    tokenizer = request.getfixturevalue(tokenizer_name)
    vocabulary = request.getfixturevalue(vocabulary_name)
    assert len(vocabulary) == vocabulary.num_tokens == size
    texts = random_texts(2000, seed=len(tokenizer_name))
    encoded = tokenizer(texts, add_special_tokens=False)["input_ids"]
    for text, ids in zip(texts, encoded):
        assert joined_token_bytes(vocabulary, ids) == expected_bytes(text, leading_space), (text, ids)


def test_families_are_detected(smollm2_vocabulary, mistral_vocabulary, cl100k_vocabulary):
    assert smollm2_vocabulary.family == "byte_level"
    assert cl100k_vocabulary.family == "byte_level"
    assert mistral_vocabulary.family == "sentencepiece"
    assert mistral_vocabulary.prepends_space and not cl100k_vocabulary.prepends_space


def test_cl100k_bytes_equal_tiktoken_ranks(cl100k_vocabulary):
    from tiktoken.load import load_tiktoken_bpe

    ranks = load_tiktoken_bpe(str(real_tokenizers.package_file("tiktoken_ext", "data", "cl100k_base.tiktoken")))
    assert len(ranks) == 100256
    for token, rank in ranks.items():
        assert cl100k_vocabulary.token_bytes(rank) == token
    assert cl100k_vocabulary.token_bytes(100256) is None  # unused id in cl100k


def test_smollm2_bytes_equal_gpt2_byte_table(smollm2_tokenizer, smollm2_vocabulary):
    from transformers.convert_slow_tokenizer import bytes_to_unicode

    byte_of = {char: byte for byte, char in bytes_to_unicode().items()}
    special = {i for i, t in smollm2_tokenizer.added_tokens_decoder.items() if t.special}
    for piece, token_id in smollm2_tokenizer.get_vocab().items():
        if token_id in special or token_id in smollm2_vocabulary.eos_token_ids:
            assert smollm2_vocabulary.token_bytes(token_id) is None
        else:
            assert smollm2_vocabulary.token_bytes(token_id) == bytes(byte_of[c] for c in piece), piece


def test_mistral_bytes_equal_sentencepiece_pieces(mistral_vocabulary):
    import sentencepiece

    processor = sentencepiece.SentencePieceProcessor(
        model_file=str(real_tokenizers.package_file("mistral_common", "data", "tokenizer.model.v1"))
    )
    for token_id in range(processor.get_piece_size()):
        piece = processor.id_to_piece(token_id)
        if processor.is_control(token_id) or processor.is_unknown(token_id):
            expected = None
        elif processor.is_byte(token_id):
            expected = bytes([int(piece[3:5], 16)])
        else:
            expected = piece.replace("\u2581", " ").encode("utf-8")
        assert mistral_vocabulary.token_bytes(token_id) == expected, (token_id, piece)


def test_partial_utf8_tokens_carry_raw_bytes(smollm2_tokenizer, smollm2_vocabulary, mistral_tokenizer,
                                             mistral_vocabulary, cl100k_tokenizer, cl100k_vocabulary):
    # A byte-level piece of a CJK character is not valid UTF-8 on its own.
    for tokenizer, vocabulary, text in [
        (smollm2_tokenizer, smollm2_vocabulary, "你"),
        (cl100k_tokenizer, cl100k_vocabulary, "𓀀"),
    ]:
        ids = tokenizer.encode(text, add_special_tokens=False)
        parts = [vocabulary.token_bytes(i) for i in ids]
        assert len(parts) > 1 and b"".join(parts) == text.encode()
        with pytest.raises(UnicodeDecodeError):
            parts[0].decode("utf-8")
    byte_e6 = mistral_tokenizer.convert_tokens_to_ids("<0xE6>")
    assert mistral_vocabulary.token_bytes(byte_e6) == b"\xe6"
    ids = mistral_tokenizer.encode("𓀀", add_special_tokens=False)  # not in the vocabulary: byte fallback
    assert [mistral_tokenizer.convert_ids_to_tokens(i) for i in ids][-4:] == ["<0xF0>", "<0x93>", "<0x80>", "<0x80>"]
    assert joined_token_bytes(mistral_vocabulary, ids) == " 𓀀".encode()


@pytest.mark.parametrize("tokenizer_name, vocabulary_name", [(t, v) for t, v, _, _ in REAL])
def test_special_tokens_excluded_and_eos_present(request, tokenizer_name, vocabulary_name):
    tokenizer = request.getfixturevalue(tokenizer_name)
    vocabulary = request.getfixturevalue(vocabulary_name)
    special = [i for i, t in tokenizer.added_tokens_decoder.items() if t.special]
    assert special
    for token_id in special:
        assert vocabulary.token_bytes(token_id) is None
    assert vocabulary.eos_token_ids == frozenset({tokenizer.eos_token_id})
    assert tokenizer.eos_token_id in special
    lengths = np.diff(vocabulary.token_offsets)
    assert np.all(lengths[sorted(special)] == 0)
    allowed = vocabulary.byte_token_ids()
    assert len(allowed) == np.count_nonzero(lengths) and not set(allowed.tolist()) & set(special)


def test_cl100k_special_token_ids(cl100k_tokenizer, cl100k_vocabulary):
    assert cl100k_vocabulary.eos_token_ids == {100257}
    for content, token_id in real_tokenizers.CL100K_SPECIAL_TOKENS.items():
        assert cl100k_tokenizer.convert_tokens_to_ids(content) == token_id
        assert cl100k_vocabulary.token_bytes(token_id) is None


def test_generation_config_eos_lists(smollm2_tokenizer):
    vocabulary = Vocabulary.from_tokenizer(smollm2_tokenizer, eos_token_ids=[2, 0])
    assert vocabulary.eos_token_ids == frozenset({0, 2})
    assert Vocabulary.from_tokenizer(smollm2_tokenizer, eos_token_ids=0).eos_token_ids == {0}


def test_logits_width(cl100k_tokenizer, cl100k_vocabulary):
    assert cl100k_vocabulary.logits_width == cl100k_vocabulary.num_tokens
    wide = Vocabulary.from_tokenizer(cl100k_tokenizer, logits_width=100352)
    assert wide.logits_width == 100352 and wide.num_tokens == 100277
    assert wide.token_bytes(100300) is None
    with pytest.raises(IndexError):
        wide.token_bytes(100352)
    assert wide.fingerprint != cl100k_vocabulary.fingerprint
    assert cl100k_vocabulary.with_logits_width(100352).fingerprint == wide.fingerprint
    with pytest.raises(VocabularyError, match="smaller than"):
        Vocabulary.from_tokenizer(cl100k_tokenizer, logits_width=1000)


def test_arrays_are_flat_and_read_only(mistral_vocabulary):
    data, offsets = mistral_vocabulary.token_data, mistral_vocabulary.token_offsets
    assert data.dtype == np.uint8 and offsets.dtype == np.int64
    assert offsets.shape == (mistral_vocabulary.num_tokens + 1,) and offsets[-1] == len(data)
    assert not data.flags.writeable and not offsets.flags.writeable
    with pytest.raises(ValueError):
        data[0] = 1


def test_from_token_bytes_matches_from_tokenizer(cl100k_vocabulary):
    token_list = [cl100k_vocabulary.token_bytes(i) for i in range(cl100k_vocabulary.num_tokens)]
    copy = Vocabulary.from_token_bytes(token_list, eos_token_ids=[100257])
    assert copy.fingerprint == cl100k_vocabulary.fingerprint
    assert copy.family == "raw_bytes"
    changed = list(token_list)
    changed[1000] = changed[1000] + b"x"
    assert Vocabulary.from_token_bytes(changed, eos_token_ids=[100257]).fingerprint != copy.fingerprint
    assert Vocabulary.from_token_bytes(token_list, eos_token_ids=[100257, 100276]).fingerprint != copy.fingerprint


def test_from_token_bytes_small():
    vocabulary = Vocabulary.from_token_bytes([b"a", b"", None, bytearray(b"\xe6"), b"</s>"], eos_token_ids=4,
                                             logits_width=8)
    assert [vocabulary.token_bytes(i) for i in range(8)] == [b"a", None, None, b"\xe6", None, None, None, None]
    assert vocabulary.byte_token_ids().tolist() == [0, 3]
    assert vocabulary.eos_token_ids == {4} and len(vocabulary) == 5


def test_fingerprint_stable_across_processes(cl100k_tokenizer, cl100k_vocabulary):
    script = (
        "from automaton import Vocabulary\n"
        "from tests.support.tokenizers import cl100k_tokenizer, _cache_folder\n"
        "print(Vocabulary.from_tokenizer(cl100k_tokenizer()).fingerprint)\n"
        "print(Vocabulary.from_pretrained(_cache_folder('cl100k')).fingerprint)\n"
    )
    root = Path(__file__).resolve().parents[3]
    output = subprocess.run([sys.executable, "-c", script], cwd=root, capture_output=True, text=True, check=True)
    assert output.stdout.split() == [cl100k_vocabulary.fingerprint] * 2


def test_slow_sentencepiece_tokenizer_reads_the_same(mistral_vocabulary):
    slow = real_tokenizers.mistral_v1_slow_tokenizer()
    assert not hasattr(slow, "backend_tokenizer")
    vocabulary = Vocabulary.from_tokenizer(slow)
    assert vocabulary.family == "sentencepiece"
    assert vocabulary.fingerprint == mistral_vocabulary.fingerprint
    for text in random_texts(200, seed=7):
        ids = slow.encode(text, add_special_tokens=False)
        joined = joined_token_bytes(vocabulary, ids)
        # The sentencepiece library always adds its dummy prefix, even before a space.
        assert joined == (b" " + text.encode() if text else b""), text


def _backend_variant(tokenizer, edit):
    """A fast tokenizer whose tokenizer.json description was changed by `edit(dict)`."""
    from tokenizers import Tokenizer
    from transformers import PreTrainedTokenizerFast

    description = json.loads(tokenizer.backend_tokenizer.to_str())
    edit(description)
    return PreTrainedTokenizerFast(tokenizer_object=Tokenizer.from_str(json.dumps(description)),
                                   eos_token=tokenizer.eos_token)


def test_gguf_decoder_sequence_is_byte_level(smollm2_tokenizer, smollm2_vocabulary):
    def gguf_decoder(description):
        description["decoder"] = {"type": "Sequence", "decoders": [
            {"type": "ByteFallback"}, {"type": "Fuse"},
            {"type": "Replace", "pattern": {"String": "\u2581"}, "content": " "},
            {"type": "ByteLevel", "add_prefix_space": True, "trim_offsets": True, "use_regex": True},
        ]}

    variant = _backend_variant(smollm2_tokenizer, gguf_decoder)
    vocabulary = Vocabulary.from_tokenizer(variant)
    assert vocabulary.family == "byte_level"
    assert vocabulary.fingerprint == smollm2_vocabulary.fingerprint


def test_legacy_sentencepiece_normalizer_conversion(mistral_tokenizer, mistral_vocabulary):
    def legacy(description):
        description["pre_tokenizer"] = None
        description["normalizer"] = {"type": "Sequence", "normalizers": [
            {"type": "Prepend", "prepend": "\u2581"},
            {"type": "Replace", "pattern": {"String": " "}, "content": "\u2581"},
        ]}

    variant = _backend_variant(mistral_tokenizer, legacy)
    vocabulary = Vocabulary.from_tokenizer(variant)
    assert vocabulary.family == "sentencepiece" and vocabulary.prepends_space
    assert vocabulary.fingerprint == mistral_vocabulary.fingerprint


def test_non_special_added_token_keeps_its_text(smollm2_tokenizer):
    from tokenizers import AddedToken, Tokenizer

    backend = Tokenizer.from_str(smollm2_tokenizer.backend_tokenizer.to_str())
    backend.add_tokens([AddedToken("<tool call>", special=False, normalized=False)])
    backend.add_special_tokens([AddedToken("<|secret|>", special=True, normalized=False)])
    tool_id, secret_id = backend.token_to_id("<tool call>"), backend.token_to_id("<|secret|>")
    vocabulary = Vocabulary.from_tokenizer(backend, eos_token_ids=2)
    assert vocabulary.num_tokens == 49154
    assert vocabulary.token_bytes(tool_id) == b"<tool call>"
    assert vocabulary.token_bytes(secret_id) is None
    ids = backend.encode("run <tool call> now", add_special_tokens=False).ids
    assert tool_id in ids and joined_token_bytes(vocabulary, ids) == b"run <tool call> now"


def test_unknown_family_is_named():
    from tokenizers import Tokenizer, decoders, pre_tokenizers
    from tokenizers.models import WordPiece

    backend = Tokenizer(WordPiece({"[UNK]": 0, "hel": 1, "##lo": 2}, unk_token="[UNK]"))
    backend.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
    backend.decoder = decoders.WordPiece()
    with pytest.raises(VocabularyError, match=r"unknown tokenizer family.*WordPiece"):
        Vocabulary.from_tokenizer(backend, eos_token_ids=0)

    class Opaque:
        pass

    with pytest.raises(VocabularyError, match=r"unknown tokenizer family.*Opaque"):
        Vocabulary.from_tokenizer(Opaque(), eos_token_ids=0)


def test_self_check_failure_names_family_and_token(smollm2_tokenizer):
    def lowercase(description):
        description["normalizer"] = {"type": "Lowercase"}

    variant = _backend_variant(smollm2_tokenizer, lowercase)
    with pytest.raises(VocabularyError, match=r"byte_level vocabulary failed its self-check on 'Hello.*token \d+"):
        Vocabulary.from_tokenizer(variant)


def test_from_pretrained(tmp_path, cl100k_vocabulary):
    folder = real_tokenizers._cache_folder("cl100k")
    assert Vocabulary.from_pretrained(folder).fingerprint == cl100k_vocabulary.fingerprint
    for name in ("tokenizer.json", "tokenizer_config.json"):
        shutil.copyfile(folder / name, tmp_path / name)
    (tmp_path / "config.json").write_text(json.dumps({"vocab_size": 100352}))
    (tmp_path / "generation_config.json").write_text(json.dumps({"eos_token_id": [100257, 100276]}))
    vocabulary = Vocabulary.from_pretrained(tmp_path)
    assert vocabulary.logits_width == 100352
    assert vocabulary.eos_token_ids == {100257, 100276}
    with pytest.raises(VocabularyError, match="not a local tokenizer folder"):
        Vocabulary.from_pretrained(tmp_path / "missing")


@pytest.mark.parametrize("kwargs, message", [
    ({"eos_token_ids": [200000]}, "outside"),
    ({"eos_token_ids": []}, "empty"),
    ({"eos_token_ids": True}, "int or a list"),
    ({"eos_token_ids": ["2"]}, "must hold ints"),
    ({"logits_width": "49152"}, "must be an int"),
    ({"logits_width": 100}, "smaller than"),
])
def test_bad_arguments(smollm2_tokenizer, kwargs, message):
    with pytest.raises(VocabularyError, match=message):
        Vocabulary.from_tokenizer(smollm2_tokenizer, **kwargs)


def test_bad_token_bytes():
    with pytest.raises(VocabularyError, match=r"token_bytes\[1\] must be bytes or None"):
        Vocabulary.from_token_bytes([b"a", "b"], eos_token_ids=0)
    with pytest.raises(VocabularyError, match="sequence"):
        Vocabulary.from_token_bytes(b"ab", eos_token_ids=0)


def test_tokenizer_without_eos_needs_explicit_ids(smollm2_tokenizer):
    from tokenizers import Tokenizer

    backend = Tokenizer.from_str(smollm2_tokenizer.backend_tokenizer.to_str())
    with pytest.raises(VocabularyError, match="pass eos_token_ids"):
        Vocabulary.from_tokenizer(backend)


def test_byte_level_prefix_space_is_allowed(smollm2_tokenizer, smollm2_vocabulary):
    def prefix_space(description):
        description["pre_tokenizer"]["add_prefix_space"] = True

    variant = _backend_variant(smollm2_tokenizer, prefix_space)
    vocabulary = Vocabulary.from_tokenizer(variant)
    assert vocabulary.prepends_space and vocabulary.fingerprint == smollm2_vocabulary.fingerprint
    ids = variant.encode("x", add_special_tokens=False)
    assert joined_token_bytes(vocabulary, ids) == b" x"
