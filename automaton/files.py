"""Index files: the arrays and metadata of one index per file, written atomically, checked
completely on read. This module knows the file format (which arrays, their dtypes, the
metadata fields, the versions) but not `TokenIndex`: `automaton.compile.load_index` turns what
it reads into an index.

    write_index_file(path, arrays, metadata)                 atomic write, checksummed
    read_index_file(path, build, fingerprint=None, max_file_bytes=...) -> build(arrays, metadata),
        the arrays memory-mapped from the file (read-only views, no copy)
    read_header(path) -> the header alone (`python -m automaton inspect`)

The file is a plain safetensors file, so other tools can read the arrays (for example the masks
straight onto a GPU with `safetensors.torch`):

    8 bytes      little-endian length N of the JSON header
    N bytes      JSON header: "__metadata__" (strings only) and, per array, dtype, shape and
                 [begin, end) byte offsets into the data section
    the data     the arrays of `INDEX_ARRAYS`, raw little-endian, back to back

Metadata fields:

    format            "automaton-index" (the magic that says what this file is)
    format_version    "2"; a file with a higher version is refused with a message naming both.
                      Version 1 files (automaton 0.1.0) lack `sparse_offsets` and
                      `sparse_tokens`: every row is packed; they load with empty id lists.
                      Version 2 adds those two arrays (rows stored as sorted id lists,
                      `mask_of` < 0 pointing at them; see `automaton.index.rows`).
    library_version   `automaton.__version__` of the writer (informative)
    pattern, vocabulary_fingerprint, logits_width     from `TokenIndex.metadata()`
    vocabulary_size, vocabulary_eos_ids, vocabulary_family   from `TokenIndex.metadata()`
                      too, for messages and `inspect` (see `automaton.vocabulary.describe`);
                      optional: files written before they existed lack them and still load
    checksum          "xxh3_128:" + 32 hex digits: XXH3-128 of the whole file, computed with
                      these 32 digits read as "0"s, so every byte (header included) is covered

Loading never executes anything from the file (no pickle) and allocates nothing the file's real
size does not back: the header's declared sizes are checked against the file size first, and the
arrays are views on a read-only memory map. Every problem raises `IndexFileError` naming the file
and what is wrong with it.

    >>> index.save("digits.safetensors")                                   # doctest: +SKIP
    >>> automaton.load_index("digits.safetensors", vocabulary=vocab)        # doctest: +SKIP
"""
from __future__ import annotations

import contextlib
import json
import math
import mmap
import os
import re
import struct
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import numpy as np
import xxhash

from automaton.errors import IndexFileError

__all__ = [
    "INDEX_ARRAYS",
    "write_index_file",
    "read_index_file",
    "read_header",
    "FILE_MAGIC",
    "FORMAT_VERSION",
    "DEFAULT_MAX_FILE_BYTES",
]

# Names and dtypes of the arrays that make up an index (what a file stores; see
# `automaton.index.token_index` for what each holds).
INDEX_ARRAYS = {
    "masks": np.int32,
    "mask_of": np.int32,
    "sparse_offsets": np.int32,
    "sparse_tokens": np.int32,
    "accepting": np.bool_,
    "dfa_state_of": np.int32,
    "state_of_dfa": np.int32,
    "dfa_table": np.int32,
    "byte_classes": np.uint8,
    "token_data": np.uint8,
    "token_offsets": np.int32,
    "eos_token_ids": np.int32,
    "forced_offsets": np.int64,
    "forced_data": np.uint8,
    "sole_token": np.int32,
}

FILE_MAGIC = "automaton-index"
FORMAT_VERSION = 2
T = TypeVar("T")
# Arrays that format 1 files do not have; such files load with these empty (every row packed).
_ADDED_IN_FORMAT_2 = ("sparse_offsets", "sparse_tokens")
DEFAULT_MAX_FILE_BYTES = 4 * 1024**3

_CHECKSUM_PREFIX = "xxh3_128:"
_DIGITS = 32
_PLACEHOLDER = "0" * _DIGITS
_CHECKSUM_VALUE = re.compile(r"xxh3_128:[0-9a-f]{32}")
# safetensors dtype names of the dtypes an index uses, with their little-endian numpy forms.
_DTYPES = {"I32": np.dtype("<i4"), "I64": np.dtype("<i8"), "U8": np.dtype("u1"), "BOOL": np.dtype("?")}
_HEADER_LENGTH = struct.Struct("<Q")
# safetensors refuses headers above 100 MB; a longer declared header means another kind of file.
_PLAUSIBLE_HEADER_BYTES = 100 * 1024**2


# -- writing -------------------------------------------------------------------------------


def write_index_file(path: Path, arrays: dict[str, np.ndarray], metadata: dict[str, str]) -> None:
    """Write an index's arrays (`INDEX_ARRAYS`) and metadata (pattern, vocabulary_fingerprint,
    logits_width) to `path` as one file; the write is atomic.

    The bytes go to a temporary file in the same folder, are flushed to disk, then renamed over
    `path`: readers see the old file or the new one, never a mix. On any error the temporary
    file is removed and `path` is left as it was.
    """
    import safetensors.numpy

    from automaton import __version__

    metadata = {
        **metadata,
        "format": FILE_MAGIC,
        "format_version": str(FORMAT_VERSION),
        "library_version": __version__,
        "checksum": _CHECKSUM_PREFIX + _PLACEHOLDER,
    }
    data = memoryview(safetensors.numpy.save(arrays, metadata=metadata))
    position = _checksum_position(data[8 : 8 + _HEADER_LENGTH.unpack_from(data)[0]]) + 8
    digest = xxhash.xxh3_128_hexdigest(data).encode("ascii")
    write_atomically(Path(path), [data[:position], digest, data[position + _DIGITS :]])


def write_atomically(path: Path, chunks) -> None:
    """Write `chunks` (bytes-like) to `path` through a temporary file renamed into place."""
    fd, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as file:
            for chunk in chunks:
                file.write(chunk)
            file.flush()
            os.fsync(file.fileno())
        os.chmod(temporary, 0o644)
        os.replace(temporary, path)
    except BaseException as error:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        if isinstance(error, OSError) and error.filename is None:
            # file.write names no file: say which one could not be written (disk full, ...).
            raise OSError(error.errno, error.strerror, str(path)) from error
        raise
    _fsync_directory(path.parent)


def _fsync_directory(directory: Path) -> None:
    """Make the rename durable (POSIX); a no-op where folders cannot be opened."""
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


# -- reading -------------------------------------------------------------------------------


def read_index_file(
    path, build: Callable[[dict, dict], T], *, fingerprint: str | None = None,
    max_file_bytes: int = DEFAULT_MAX_FILE_BYTES,
) -> T:
    """`build(arrays, metadata)` of the index file at `path`, checking everything first; raises
    `IndexFileError` when the file is not valid, or when `build` raises ValueError (the arrays
    are inconsistent).

    `fingerprint`, when given, must be the fingerprint of the vocabulary the index was built for.
    Files larger than `max_file_bytes` are refused before anything is read. The arrays are
    read-only views of a memory map of the file.
    """
    path = Path(path)
    buffer = _map_file(path, max_file_bytes)
    try:
        header = _parse_header(buffer, path)
        metadata, spans = header.metadata, header.spans
        version = int(metadata["format_version"])
        expected = {
            name: dtype for name, dtype in INDEX_ARRAYS.items() if version >= 2 or name not in _ADDED_IN_FORMAT_2
        }
        _check_arrays(spans, path, expected)
        _check_checksum(buffer, header, path)
        if fingerprint is not None and metadata["vocabulary_fingerprint"] != fingerprint:
            raise IndexFileError(
                f"{path}: built for another vocabulary (fingerprint "
                f"{metadata['vocabulary_fingerprint']}, this vocabulary's is {fingerprint})"
            )
        arrays = {
            name: _view(buffer, header.data_start + begin, dtype, shape)
            for name, (dtype, shape, begin, _end) in spans.items()
        }
        if version < 2:
            arrays["sparse_offsets"] = np.zeros(1, dtype=np.int32)
            arrays["sparse_tokens"] = np.zeros(0, dtype=np.int32)
        try:
            return build(arrays, metadata)
        except ValueError as error:
            raise IndexFileError(f"{path}: inconsistent arrays: {error}") from None
    except BaseException:
        _close_quietly(buffer)
        raise


def read_header(path, *, max_file_bytes: int = DEFAULT_MAX_FILE_BYTES) -> dict:
    """The header of an index file without loading its arrays (checks the header only):
    {"file_bytes", "metadata": {...}, "arrays": {name: {"dtype", "shape", "bytes"}}}."""
    path = Path(path)
    buffer = _map_file(path, max_file_bytes)
    try:
        header = _parse_header(buffer, path)
        return {
            "file_bytes": len(buffer),
            "metadata": dict(header.metadata),
            "arrays": {
                name: {"dtype": str(dtype), "shape": list(shape), "bytes": end - begin}
                for name, (dtype, shape, begin, end) in header.spans.items()
            },
        }
    finally:
        _close_quietly(buffer)


class _Header:
    """What the JSON header says: metadata, array spans, where the data section starts."""

    def __init__(self, metadata: dict, spans: dict, data_start: int, length: int):
        self.metadata = metadata
        self.spans = spans  # name -> (dtype, shape, begin, end), offsets relative to data_start
        self.data_start = data_start
        self.length = length


def _map_file(path: Path, max_file_bytes: int) -> mmap.mmap:
    try:
        file = open(path, "rb")
    except FileNotFoundError:
        raise IndexFileError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise IndexFileError(f"{path}: is a folder, not an index file") from None
    except OSError as error:
        raise IndexFileError(f"{path}: cannot be read ({error.strerror or error})") from None
    with file:
        size = os.fstat(file.fileno()).st_size
        if size == 0:
            raise IndexFileError(f"{path}: empty file, not an index file")
        if size > max_file_bytes:
            raise IndexFileError(
                f"{path}: file is {size} bytes, more than max_file_bytes={max_file_bytes}"
            )
        try:
            return mmap.mmap(file.fileno(), 0, access=mmap.ACCESS_READ)
        except (OSError, ValueError) as error:
            raise IndexFileError(f"{path}: cannot be memory-mapped ({error})") from None


def _parse_header(buffer, path: Path) -> _Header:
    size = len(buffer)
    magic_quoted = f'"{FILE_MAGIC}"'.encode("ascii")
    if size < 8:
        raise IndexFileError(f"{path}: not an index file (only {size} bytes)")
    (length,) = _HEADER_LENGTH.unpack_from(buffer, 0)
    prefix = buffer[8 : 8 + min(length, size - 8, 1 << 20)]
    looks_like_ours = magic_quoted in prefix
    if size < 8 + length or length < 2:
        # The magic may sit anywhere in the metadata, so a header cut early shows only its start.
        if looks_like_ours or (prefix.startswith(b'{"') and length <= _PLAUSIBLE_HEADER_BYTES):
            raise IndexFileError(
                f"{path}: truncated: the header declares {length} bytes but only {size - 8} follow"
            )
        raise IndexFileError(f"{path}: not an index file (no safetensors header)")
    if buffer[8:9] != b"{":
        raise IndexFileError(f"{path}: not an index file (no safetensors header)")
    try:
        parsed = json.loads(buffer[8 : 8 + length].decode("utf-8"))
    except (ValueError, RecursionError) as error:  # bad UTF-8, bad JSON, huge numbers
        if looks_like_ours:
            raise IndexFileError(f"{path}: corrupted header ({error})") from None
        raise IndexFileError(f"{path}: not an index file (the header is not JSON)") from None
    if not isinstance(parsed, dict):
        raise IndexFileError(f"{path}: not an index file (the header is not a JSON object)")
    metadata = parsed.pop("__metadata__", None)
    if not isinstance(metadata, dict) or metadata.get("format") != FILE_MAGIC:
        if looks_like_ours:
            raise IndexFileError(f"{path}: corrupted header (the {FILE_MAGIC!r} marker is damaged)")
        raise IndexFileError(
            f"{path}: not an index file (a safetensors file without format={FILE_MAGIC!r} metadata)"
        )
    if not all(isinstance(value, str) for value in metadata.values()):
        raise IndexFileError(f"{path}: corrupted header (metadata values must be strings)")
    _check_version(metadata, path)
    for field in ("pattern", "vocabulary_fingerprint", "logits_width", "checksum"):
        if field not in metadata:
            raise IndexFileError(f"{path}: corrupted header (metadata field {field!r} is missing)")
    spans = {name: _span(name, entry, path) for name, entry in parsed.items()}
    return _Header(metadata, spans, 8 + length, length)


def _check_version(metadata: dict, path: Path) -> None:
    from automaton import __version__

    text = metadata.get("format_version", "")
    if not (text.isascii() and text.isdigit()) or int(text) < 1:
        raise IndexFileError(f"{path}: corrupted header (format_version {text!r} is not a version number)")
    if int(text) > FORMAT_VERSION:
        raise IndexFileError(
            f"{path}: index file format version {int(text)} is newer than this library reads "
            f"(automaton {__version__} reads format versions 1 to {FORMAT_VERSION}); "
            f"written by automaton {metadata.get('library_version', '?')}: upgrade automaton or rebuild the index"
        )


def _span(name: str, entry, path: Path) -> tuple:
    """(dtype, shape, begin, end) of one array's header entry; IndexFileError naming what is
    wrong with it. The common case, a valid entry, is checked in one go; any doubt goes to
    `_checked_span`, which finds the problem and words it."""
    if type(entry) is dict:
        dtype = _DTYPES.get(entry.get("dtype"))
        shape, offsets = entry.get("shape"), entry.get("data_offsets")
        if dtype is not None and type(shape) is list and type(offsets) is list and len(offsets) == 2:
            begin, end = offsets
            count = 1  # Python integers: a huge declared shape cannot overflow
            for size in shape:
                if type(size) is not int or size < 0:
                    break
                count *= size
            else:
                if (
                    type(begin) is int
                    and type(end) is int
                    and 0 <= begin <= end
                    and count * dtype.itemsize == end - begin
                ):
                    return dtype, tuple(shape), begin, end
    return _checked_span(name, entry, path)


def _checked_span(name: str, entry, path: Path) -> tuple:
    def problem(what: str) -> IndexFileError:  # the message is only written for a bad entry
        return IndexFileError(f"{path}: corrupted header (array {name!r}: {what})")

    if not isinstance(entry, dict):
        raise problem("not an array description")
    dtype = _DTYPES.get(entry.get("dtype"))
    if dtype is None:
        raise problem(f"dtype {entry.get('dtype')!r} is not one an index uses")
    shape, offsets = entry.get("shape"), entry.get("data_offsets")
    if not isinstance(shape, list) or not all(type(n) is int and n >= 0 for n in shape):
        raise problem(f"shape {shape!r} is not a list of sizes")
    if (
        not isinstance(offsets, list)
        or len(offsets) != 2
        or not all(type(n) is int and n >= 0 for n in offsets)
        or offsets[0] > offsets[1]
    ):
        raise problem(f"data_offsets {offsets!r} are not [begin, end]")
    count = math.prod(shape)  # Python integers: a huge declared shape cannot overflow
    if count * dtype.itemsize != offsets[1] - offsets[0]:
        raise problem(
            f"shape {shape} of {dtype} needs {count * dtype.itemsize} bytes, "
            f"data_offsets give {offsets[1] - offsets[0]}"
        )
    return dtype, tuple(shape), offsets[0], offsets[1]


def _check_arrays(spans: dict, path: Path, expected: dict) -> None:
    """The arrays are exactly the expected ones, with their dtypes, tiling the data section."""
    missing = [name for name in expected if name not in spans]
    if missing:
        raise IndexFileError(f"{path}: corrupted header (missing arrays: {', '.join(missing)})")
    extra = [name for name in spans if name not in expected]
    if extra:
        raise IndexFileError(f"{path}: corrupted header (unexpected arrays: {', '.join(extra)})")
    for name, dtype in expected.items():
        if spans[name][0] != np.dtype(dtype):
            raise IndexFileError(
                f"{path}: corrupted header (array {name!r} has dtype {spans[name][0]}, "
                f"an index stores {np.dtype(dtype)})"
            )


def _check_layout(buffer, header: _Header, path: Path) -> None:
    data_bytes = len(buffer) - header.data_start
    cursor = 0
    for name, (_dtype, _shape, begin, end) in sorted(header.spans.items(), key=lambda item: item[1][2:]):
        if begin != cursor:
            raise IndexFileError(
                f"{path}: corrupted header (array {name!r} starts at data byte {begin}, expected {cursor})"
            )
        cursor = end
    if cursor > data_bytes:
        raise IndexFileError(
            f"{path}: truncated: the arrays need {cursor} bytes of data but only {data_bytes} are present"
        )
    if cursor < data_bytes:
        raise IndexFileError(f"{path}: corrupted: {data_bytes - cursor} unexpected bytes after the arrays")


def _check_checksum(buffer, header: _Header, path: Path) -> None:
    _check_layout(buffer, header, path)
    stored = header.metadata["checksum"]
    if not _CHECKSUM_VALUE.fullmatch(stored):
        raise IndexFileError(f"{path}: corrupted header (checksum {stored!r} is not xxh3_128:<32 hex digits>)")
    with memoryview(buffer) as view:
        try:
            position = _checksum_position(view[8 : header.data_start]) + 8
        except ValueError:
            raise IndexFileError(f"{path}: checksum mismatch (the checksum field is damaged)") from None
        digest = xxhash.xxh3_128()
        digest.update(view[:position])
        digest.update(_PLACEHOLDER.encode("ascii"))
        digest.update(view[position + _DIGITS :])
    computed = digest.hexdigest()
    if computed != stored[len(_CHECKSUM_PREFIX) :]:
        raise IndexFileError(
            f"{path}: checksum mismatch: the file is corrupted "
            f"(stored {stored[len(_CHECKSUM_PREFIX):]}, computed {computed})"
        )


def _checksum_position(header_bytes) -> int:
    """Offset in the JSON header of the checksum's 32 hex digits; ValueError if not exactly once."""
    found = [
        match.start(1)
        for match in re.finditer(rb'"checksum":"xxh3_128:([0-9a-f]{32})"', bytes(header_bytes))
    ]
    if len(found) != 1:
        raise ValueError("the header must hold exactly one checksum field")
    return found[0]


def _view(buffer, offset: int, dtype: np.dtype, shape: tuple) -> np.ndarray:
    count = math.prod(shape)  # Python ints: exact, and a tenth of np.prod's cost per call
    if count == 0:
        return np.zeros(shape, dtype=dtype)
    flat = np.frombuffer(buffer, dtype=dtype, count=count, offset=offset)
    return flat if len(shape) == 1 else flat.reshape(shape)


def _close_quietly(buffer: mmap.mmap) -> None:
    # Views handed out keep the map alive; closing is only possible (and needed) when none are.
    with contextlib.suppress(BufferError):
        buffer.close()
