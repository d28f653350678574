"""Index files: round trips, the documented checksum rule, atomic writes, and every kind of bad file."""
from __future__ import annotations

import json
import struct
from pathlib import Path

import numpy as np
import pytest

import automaton
from automaton import compile as storage
from automaton import files
from automaton.errors import IndexFileError
from automaton.files import INDEX_ARRAYS
from tests.support.index_files import (
    SMALL_PATTERNS,
    FileInPlace,
    arrays_equal,
    assert_matches_oracle,
    header_of,
    reseal,
    rewrite,
    small_vocabulary,
)

DATA = Path(__file__).parent / "data"
FIXTURE_V1 = DATA / "index_format_v1.safetensors"
FIXTURE_V1_PATTERN = SMALL_PATTERNS[0]


@pytest.fixture(scope="module")
def vocabulary():
    return small_vocabulary()


@pytest.fixture(scope="module", params=SMALL_PATTERNS)
def index(request, vocabulary):
    return automaton.compile_index(request.param, vocabulary, cache=False)


@pytest.fixture
def saved(index, tmp_path) -> Path:
    path = tmp_path / "index.safetensors"
    index.save(path)
    return path


def load_bytes(tmp_path: Path, data: bytes, vocabulary=None, **options):
    path = tmp_path / "candidate.safetensors"
    path.write_bytes(data)
    return storage.load_index(path, vocabulary, **options)


def refused(tmp_path: Path, data: bytes, vocabulary=None, **options) -> str:
    with pytest.raises(IndexFileError) as caught:
        load_bytes(tmp_path, data, vocabulary, **options)
    message = str(caught.value)
    assert "\n" not in message
    return message


# -- round trip ------------------------------------------------------------------------------


def test_round_trip_keeps_every_array_and_answer(index, saved, vocabulary):
    loaded = automaton.load_index(saved, vocabulary=vocabulary)
    assert set(loaded.arrays()) == set(INDEX_ARRAYS)
    for name, array in index.arrays().items():
        assert arrays_equal(loaded.arrays()[name], array), name
    assert loaded.metadata() == index.metadata()
    for state in range(index.num_states):
        assert loaded.allowed_token_ids(state).tolist() == index.allowed_token_ids(state).tolist()
        assert loaded.is_accepting(state) == index.is_accepting(state)
        for token_id in range(index.logits_width):
            assert loaded.next_state(state, token_id) == index.next_state(state, token_id)
    assert_matches_oracle(loaded, index.pattern)


def test_loaded_arrays_are_read_only_views_of_the_file(saved):
    loaded = storage.load_index(saved)
    for name, array in loaded.arrays().items():
        assert not array.flags.writeable, name
    assert any(array.base is not None for array in loaded.arrays().values())


def test_files_are_plain_safetensors_with_the_documented_header(index, saved):
    from safetensors import safe_open

    with safe_open(str(saved), framework="np") as opened:
        metadata = opened.metadata()
        for name, array in index.arrays().items():
            assert arrays_equal(opened.get_tensor(name), array), name
    assert metadata["format"] == files.FILE_MAGIC == "automaton-index"
    assert metadata["format_version"] == str(files.FORMAT_VERSION)
    assert metadata["library_version"] == automaton.__version__
    assert metadata["pattern"] == index.pattern
    assert metadata["vocabulary_fingerprint"] == index.vocabulary_fingerprint
    assert metadata["logits_width"] == str(index.logits_width)


def test_checksum_follows_the_documented_rule(saved):
    data = saved.read_bytes()
    assert reseal(data) == data
    assert reseal(data[:-1] + bytes([data[-1] ^ 1])) != data


def test_read_header_reports_fields_and_sizes(index, saved):
    header = files.read_header(saved)
    assert header["file_bytes"] == saved.stat().st_size
    assert header["metadata"]["pattern"] == index.pattern
    for name, array in index.arrays().items():
        described = header["arrays"][name]
        assert described["shape"] == list(array.shape) and described["bytes"] == array.nbytes


def test_saving_replaces_an_existing_file(vocabulary, tmp_path):
    path = tmp_path / "index.safetensors"
    first = automaton.compile_index(SMALL_PATTERNS[0], vocabulary, cache=False)
    second = automaton.compile_index(SMALL_PATTERNS[1], vocabulary, cache=False)
    first.save(path)
    second.save(str(path))
    assert storage.load_index(path).pattern == SMALL_PATTERNS[1]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["index.safetensors"]


def test_failed_write_leaves_the_old_file_and_no_temporary(index, vocabulary, tmp_path, monkeypatch):
    path = tmp_path / "index.safetensors"
    automaton.compile_index(SMALL_PATTERNS[2], vocabulary, cache=False).save(path)
    before = path.read_bytes()

    def fail(fd):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(files.os, "fsync", fail)
    with pytest.raises(OSError):
        index.save(path)
    assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["index.safetensors"]


# -- refused files ---------------------------------------------------------------------------


def test_missing_file_and_folder(tmp_path):
    with pytest.raises(IndexFileError, match="no such file"):
        storage.load_index(tmp_path / "absent.safetensors")
    with pytest.raises(IndexFileError, match="is a folder"):
        storage.load_index(tmp_path)


def test_empty_file(tmp_path):
    assert "empty file" in refused(tmp_path, b"")


@pytest.mark.parametrize(
    "data",
    [
        b"hello world, this is a text file\n",
        json.dumps({"a": 1}).encode(),
        bytes(range(256)) * 4,
        b"\x00" * 64,
        b"PK\x03\x04" + b"\x00" * 100,
    ],
    ids=["text", "json", "binary", "zeros", "zip"],
)
def test_files_that_are_not_safetensors(tmp_path, data):
    assert "not an index file" in refused(tmp_path, data)


def test_safetensors_file_that_is_not_an_index(tmp_path):
    import safetensors.numpy

    plain = safetensors.numpy.save({"weight": np.zeros((2, 3), np.float32)})
    assert "not an index file" in refused(tmp_path, plain)
    tagged = safetensors.numpy.save({"weight": np.zeros(3, np.int32)}, metadata={"format": "pt"})
    assert "not an index file" in refused(tmp_path, tagged)


def test_wrong_magic(saved, tmp_path):
    data = rewrite(saved.read_bytes(), metadata={"format": "automaton-grammar"})
    assert "not an index file" in refused(tmp_path, data)


@pytest.fixture
def fixture_copy(tmp_path) -> FileInPlace:
    """A writable copy of the format-1 fixture, to corrupt in place."""
    path = tmp_path / "copy.safetensors"
    path.write_bytes(FIXTURE_V1.read_bytes())
    return FileInPlace(path)


def test_truncation_at_every_offset_is_refused(fixture_copy):
    data = fixture_copy.original
    (_header_length,) = struct.unpack_from("<Q", data)
    for cut in range(len(data)):
        with fixture_copy.truncated(cut) as path, pytest.raises(IndexFileError) as caught:
            storage.load_index(path)
        if cut == 0:
            assert "empty file" in str(caught.value)
        elif cut >= 10:
            assert "truncated" in str(caught.value), (cut, str(caught.value))


def test_truncation_inside_the_header_says_truncated(saved, tmp_path):
    data = saved.read_bytes()
    (header_length,) = struct.unpack_from("<Q", data)
    for cut in (10, 8 + header_length // 2, 8 + header_length - 1):
        assert "truncated" in refused(tmp_path, data[:cut])


def test_every_single_byte_change_is_refused(fixture_copy):
    for position in range(len(fixture_copy.original)):
        for mask in (0x01, 0x20, 0xFF):
            with fixture_copy.flipped(position, mask) as path, pytest.raises(IndexFileError) as caught:
                storage.load_index(path)
            assert "\n" not in str(caught.value)


def test_body_change_is_a_checksum_mismatch(saved, tmp_path):
    data = bytearray(saved.read_bytes())
    data[-1] ^= 0x01
    assert "checksum mismatch" in refused(tmp_path, bytes(data))


def test_header_change_is_refused(index, saved, tmp_path):
    data = saved.read_bytes()
    (header_length,) = struct.unpack_from("<Q", data)
    pattern_at = data.index(json.dumps(index.pattern).encode()[1:-1], 8, 8 + header_length)
    replacement = b"Z" if data[pattern_at] != ord("Z") else b"Y"  # still valid JSON, another pattern
    changed = data[:pattern_at] + replacement + data[pattern_at + 1 :]
    assert "checksum mismatch" in refused(tmp_path, changed)


def test_swapped_array_bytes_are_a_checksum_mismatch(index, saved, tmp_path):
    """Two same-sized arrays trade places in the data section (the header unchanged)."""
    data = saved.read_bytes()
    spans = {name: entry["data_offsets"] for name, entry in header_of(data).items() if name != "__metadata__"}
    start = 8 + struct.unpack_from("<Q", data)[0]
    (a_begin, a_end), (b_begin, b_end) = spans["mask_of"], spans["dfa_state_of"]
    assert a_end - a_begin == b_end - b_begin
    assert data[start + a_begin : start + a_end] != data[start + b_begin : start + b_end]
    swapped = bytearray(data)
    swapped[start + a_begin : start + a_end] = data[start + b_begin : start + b_end]
    swapped[start + b_begin : start + b_end] = data[start + a_begin : start + a_end]
    assert "checksum mismatch" in refused(tmp_path, bytes(swapped))


def test_swapped_arrays_with_a_valid_checksum_are_inconsistent(index, saved, tmp_path):
    arrays = index.arrays()
    data = rewrite(saved.read_bytes(), arrays={"masks": arrays["dfa_table"], "dfa_table": arrays["masks"]})
    assert "inconsistent arrays" in refused(tmp_path, data)


def test_wrong_dtype_missing_and_extra_arrays(index, saved, tmp_path):
    data = saved.read_bytes()
    as_int64 = rewrite(data, arrays={"mask_of": index.mask_of.astype(np.int64)})
    assert "dtype" in refused(tmp_path, as_int64)
    assert "missing arrays: masks" in refused(tmp_path, rewrite(data, arrays={"masks": None}))
    assert "unexpected arrays: extra" in refused(tmp_path, rewrite(data, arrays={"extra": np.zeros(2, np.int32)}))


def test_missing_metadata_fields(saved, tmp_path):
    for field in ("pattern", "vocabulary_fingerprint", "logits_width"):
        assert field in refused(tmp_path, rewrite(saved.read_bytes(), metadata={field: None}))


def test_huge_header_length_is_refused_without_allocating(saved, tmp_path):
    data = saved.read_bytes()
    for declared in (2**63, 2**64 - 1, 10**12, len(data)):
        message = refused(tmp_path, struct.pack("<Q", declared) + data[8:])
        assert "truncated" in message or "not an index file" in message


def test_huge_declared_shapes_are_refused_without_allocating(saved, tmp_path):
    def huge(name):
        def edit(header):
            header[name]["shape"] = [2**40, 2**40]
            itemsize = {"I32": 4, "I64": 8, "U8": 1, "BOOL": 1}[header[name]["dtype"]]
            header[name]["data_offsets"][1] = header[name]["data_offsets"][0] + 2**80 * itemsize
            return header

        return edit

    header = header_of(saved.read_bytes())
    by_offset = sorted((entry["data_offsets"], name) for name, entry in header.items() if name != "__metadata__")
    last, first = by_offset[-1][1], by_offset[0][1]
    assert "truncated" in refused(tmp_path, rewrite(saved.read_bytes(), header=huge(last)))
    assert "starts at data byte" in refused(tmp_path, rewrite(saved.read_bytes(), header=huge(first)))

    def inconsistent(header):
        header["masks"]["shape"] = [2**62, 2**62]
        return header

    assert "needs" in refused(tmp_path, rewrite(saved.read_bytes(), header=inconsistent))


def test_bad_offsets(saved, tmp_path):
    def overlapping(header):
        header["mask_of"]["data_offsets"] = list(header["dfa_state_of"]["data_offsets"])
        return header

    assert "corrupted header" in refused(tmp_path, rewrite(saved.read_bytes(), header=overlapping))

    def negative(header):
        header["masks"]["data_offsets"] = [-4, 0]
        return header

    assert "data_offsets" in refused(tmp_path, rewrite(saved.read_bytes(), header=negative))


def test_trailing_bytes_are_refused(saved, tmp_path):
    assert "unexpected bytes" in refused(tmp_path, reseal(saved.read_bytes() + b"\x00" * 16))


def test_newer_format_version_is_refused_naming_both_versions(saved, tmp_path):
    newer = files.FORMAT_VERSION + 1
    data = rewrite(saved.read_bytes(), metadata={"format_version": str(newer), "library_version": "9.0.0"})
    message = refused(tmp_path, data)
    assert f"format version {newer}" in message
    assert f"reads format versions 1 to {files.FORMAT_VERSION}" in message
    assert "9.0.0" in message


@pytest.mark.parametrize("version", ["0", "-1", "one", "", "1.0"])
def test_invalid_format_version(saved, tmp_path, version):
    assert "format_version" in refused(tmp_path, rewrite(saved.read_bytes(), metadata={"format_version": version}))


def test_other_vocabulary_is_refused(index, saved, tmp_path, vocabulary):
    other = small_vocabulary(logits_width=vocabulary.logits_width + 1)
    assert other.fingerprint != vocabulary.fingerprint
    message = refused(tmp_path, saved.read_bytes(), other)
    assert "another vocabulary" in message
    assert vocabulary.fingerprint in message and other.fingerprint in message
    assert load_bytes(tmp_path, saved.read_bytes(), vocabulary).pattern == index.pattern


def test_file_larger_than_the_limit(saved, tmp_path):
    size = saved.stat().st_size
    assert "max_file_bytes" in refused(tmp_path, saved.read_bytes(), max_file_bytes=size - 1)
    assert load_bytes(tmp_path, saved.read_bytes(), max_file_bytes=size).num_states > 0


# -- format versions -------------------------------------------------------------------------


def test_format_1_fixture_still_loads_and_answers_correctly():
    """A file written by automaton 0.1.0 (format 1), kept unchanged in tests/automaton/data."""
    header = header_of(FIXTURE_V1.read_bytes())["__metadata__"]
    assert header["format_version"] == "1"
    index = storage.load_index(FIXTURE_V1, vocabulary=small_vocabulary())
    assert index.pattern == FIXTURE_V1_PATTERN
    assert_matches_oracle(index, FIXTURE_V1_PATTERN)


def test_synthetic_future_format_fixture_is_refused(tmp_path):
    future = rewrite(FIXTURE_V1.read_bytes(), metadata={"format_version": "999"})
    message = refused(tmp_path, future)
    assert "format version 999 is newer" in message


FIXTURE_V2 = DATA / "index_format_v2.safetensors"
FIXTURE_V2_PATTERN = SMALL_PATTERNS[0]
FIXTURE_V2_LOGITS_WIDTH = 1024  # as in data/make_index_format_v2.py


def assert_same_answers(index, expected):
    assert index.num_states == expected.num_states and index.num_rows == expected.num_rows
    for state in range(expected.num_states):
        assert index.allowed_token_ids(state).tolist() == expected.allowed_token_ids(state).tolist()
        assert np.array_equal(index.mask(state), expected.mask(state))
        assert index.is_accepting(state) == expected.is_accepting(state)
        for token_id in range(expected.logits_width + 2):
            assert index.next_state(state, token_id) == expected.next_state(state, token_id)


def test_format_1_fixture_loads_with_every_row_packed(vocabulary):
    index = storage.load_index(FIXTURE_V1, vocabulary=vocabulary)
    assert index.num_sparse_rows == 0 and index.sparse_tokens.shape == (0,)
    assert index.sparse_offsets.tolist() == [0]
    assert (index.mask_of >= 0).all()
    assert_same_answers(index, automaton.compile_index(FIXTURE_V1_PATTERN, vocabulary, cache=False))


def test_format_2_fixture_loads_and_matches_a_fresh_build():
    """A format-2 file with packed rows and id lists, kept unchanged in tests/automaton/data."""
    assert header_of(FIXTURE_V2.read_bytes())["__metadata__"]["format_version"] == "2"
    vocabulary = small_vocabulary(FIXTURE_V2_LOGITS_WIDTH)
    index = storage.load_index(FIXTURE_V2, vocabulary=vocabulary)
    assert index.num_sparse_rows > 0 and index.num_dense_rows > 0
    fresh = automaton.compile_index(FIXTURE_V2_PATTERN, vocabulary, cache=False)
    for name, array in fresh.arrays().items():
        assert arrays_equal(index.arrays()[name], array), name
    assert_same_answers(index, fresh)
    assert_matches_oracle(index, FIXTURE_V2_PATTERN)


# -- rows stored as id lists -------------------------------------------------------------------


@pytest.fixture(scope="module", params=[None, 10**9], ids=["default_rule", "all_sparse"])
def sparse_index(request):
    from automaton.index.build import build_index

    dfa = automaton.compile_dfa(SMALL_PATTERNS[0])
    built = build_index(dfa, small_vocabulary(FIXTURE_V2_LOGITS_WIDTH), max_states=1000,
                        pattern=SMALL_PATTERNS[0], max_sparse_ids=request.param)
    assert built.num_sparse_rows >= 3
    return built


@pytest.fixture
def sparse_saved(sparse_index, tmp_path) -> Path:
    path = tmp_path / "sparse.safetensors"
    sparse_index.save(path)
    return path


def test_round_trip_with_sparse_rows(sparse_index, sparse_saved):
    loaded = storage.load_index(sparse_saved, vocabulary=small_vocabulary(FIXTURE_V2_LOGITS_WIDTH))
    for name, array in sparse_index.arrays().items():
        assert arrays_equal(loaded.arrays()[name], array), name
    assert_same_answers(loaded, sparse_index)
    assert_matches_oracle(loaded, SMALL_PATTERNS[0])


def test_format_2_without_its_new_arrays_and_format_1_with_them_are_refused(sparse_saved, tmp_path):
    data = sparse_saved.read_bytes()
    assert "missing arrays: sparse_tokens" in refused(tmp_path, rewrite(data, arrays={"sparse_tokens": None}))
    relabelled = rewrite(data, metadata={"format_version": "1"})
    assert "unexpected arrays: sparse_offsets, sparse_tokens" in refused(tmp_path, relabelled)
    sparse_tokens = storage.load_index(sparse_saved).sparse_tokens
    as_int64 = rewrite(data, arrays={"sparse_tokens": np.asarray(sparse_tokens, np.int64)})
    assert "dtype" in refused(tmp_path, as_int64)


def sparse_damage(index) -> dict:
    """Sealed but wrong id lists: each must be refused as inconsistent, naming the problem."""
    offsets, tokens, mask_of = index.sparse_offsets, index.sparse_tokens, index.mask_of
    long_row = int(np.argmax(np.diff(offsets)))
    assert offsets[long_row + 1] - offsets[long_row] >= 2, "the damage below needs a row of 2 ids or more"
    unsorted = tokens.copy()
    start = offsets[long_row]
    unsorted[start], unsorted[start + 1] = tokens[start + 1], tokens[start]
    repeated = tokens.copy()
    repeated[start + 1] = tokens[start]
    decreasing = offsets.copy()
    decreasing[1], decreasing[2] = offsets[2], offsets[1]
    return {
        "offsets not ending at the ids' end": (
            {"sparse_offsets": np.append(offsets[:-1], offsets[-1] + 1).astype(np.int32)},
            "sparse_offsets are not increasing",
        ),
        "offsets decreasing": ({"sparse_offsets": decreasing}, "sparse_offsets are not increasing"),
        "offsets not starting at 0": (
            {"sparse_offsets": (offsets + 1).astype(np.int32)},
            "sparse_offsets are not increasing",
        ),
        "no offsets at all": ({"sparse_offsets": np.zeros(0, np.int32)}, "sparse_offsets must hold"),
        "ids out of order": ({"sparse_tokens": unsorted}, "not sorted and distinct"),
        "an id twice": ({"sparse_tokens": repeated}, "not sorted and distinct"),
        "an id past the logits": ({"sparse_tokens": np.where(np.arange(len(tokens)) == len(tokens) - 1,
                                                             index.logits_width, tokens).astype(np.int32)},
                                  "outside the logits width"),
        "a negative id": ({"sparse_tokens": np.where(np.arange(len(tokens)) == 0, -1, tokens).astype(np.int32)},
                          "outside the logits width"),
        "mask_of past the last id list": (
            {"mask_of": np.where(mask_of < 0, -index.num_sparse_rows - 1, mask_of).astype(np.int32)},
            "mask_of refers to a row that does not exist",
        ),
    }


def test_damaged_id_lists_are_inconsistent(sparse_index, sparse_saved, tmp_path):
    data = sparse_saved.read_bytes()
    for what, (arrays, expected) in sparse_damage(sparse_index).items():
        message = refused(tmp_path, rewrite(data, arrays=arrays))
        assert "inconsistent arrays" in message and expected in message, (what, message)
