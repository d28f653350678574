"""Small indexes, index files and their oracles, shared by the files, cache and command-line tests.

- `small_vocabulary()`: an ASCII vocabulary with every single character the test patterns use,
  some multi-character tokens, an excluded id, an EOS id and logits wider than the tokenizer.
  Every string over those characters can be spelled, so "a prefix can still reach a match" is
  exactly `regex.fullmatch(..., partial=True)`.
- `assert_matches_oracle(index, pattern, token_bytes, eos_ids)`: walks the index breadth-first
  and compares every allowed set with a brute-force scan by the `regex` module.
- `reseal(data)`: recomputes an index file's checksum by the rule the format documents
  (XXH3-128 of the whole file with the checksum's 32 hex digits read as "0"s), written here
  independently of `automaton.files`; used to build deliberately wrong but sealed files.
- `rewrite(data, metadata=..., arrays=...)`: the file with header fields or arrays replaced.
- `FileInPlace(path)`: flips a byte or truncates the file in place, then restores it.
"""
from __future__ import annotations

import contextlib
import json
import os
import re
import struct

import numpy as np
import regex
import xxhash

import automaton

SMALL_TOKENS = (
    [c.encode() for c in "0123456789abcx.5"]
    + [b"x5", b"ab", b"c.", b"12", b".9", b"0x", b"abc"]
    + [None]  # an excluded (special) id
)
SMALL_EOS = len(SMALL_TOKENS)
SMALL_TOKEN_BYTES = SMALL_TOKENS + [None]  # the EOS id itself has no bytes
SMALL_LOGITS_WIDTH = len(SMALL_TOKEN_BYTES) + 7
SMALL_PATTERNS = [r"0(x5)?|[a-c]+\.[0-9]{1,2}", r"(ab|c)*1[0-9]?", r"[0-9]+(\.[0-9]+)?"]

_CHECKSUM = re.compile(rb'"checksum":"xxh3_128:([0-9a-f]{32})"')


def small_vocabulary(logits_width: int = SMALL_LOGITS_WIDTH) -> automaton.Vocabulary:
    return automaton.Vocabulary.from_token_bytes(
        SMALL_TOKEN_BYTES, eos_token_ids=[SMALL_EOS], logits_width=logits_width
    )


def assert_matches_oracle(index, pattern: str, token_bytes=SMALL_TOKEN_BYTES, eos_ids=(SMALL_EOS,)):
    """Every state, reached breadth-first, and every transition agree with a brute-force scan:
    the allowed set after text T is {tokens t: T + t can still become a full match} plus EOS
    when T fully matches; tokens outside it lead nowhere (-1)."""
    compiled = regex.compile(pattern, regex.ASCII)
    eos = set(eos_ids)

    def check(text: str, state: int) -> set:
        expected = {
            token_id
            for token_id, data in enumerate(token_bytes)
            if data is not None and compiled.fullmatch(text + data.decode(), partial=True)
        }
        if re.fullmatch(pattern, text, re.ASCII):
            expected |= eos
        assert index.allowed_token_ids(state).tolist() == sorted(expected), (pattern, text)
        assert index.is_accepting(state) == bool(re.fullmatch(pattern, text, re.ASCII)), (pattern, text)
        return expected - eos

    queue = [("", index.initial_state)]
    seen = {index.initial_state}
    for text, state in queue:
        allowed = check(text, state)
        for token_id in range(index.logits_width):
            if token_id not in allowed and token_id not in eos:
                assert index.next_state(state, token_id) == -1, (pattern, text, token_id)
        for token_id in sorted(allowed):
            following = text + token_bytes[token_id].decode()
            target = index.next_state(state, token_id)
            assert target >= 0, (pattern, following)
            if target in seen:
                check(following, target)
            else:
                seen.add(target)
                queue.append((following, target))
    assert len(seen) == index.num_states, "some states are unreachable"


def header_of(data: bytes) -> dict:
    (length,) = struct.unpack_from("<Q", data)
    return json.loads(data[8 : 8 + length])


def reseal(data: bytes) -> bytes:
    """`data` with its checksum recomputed by the documented rule."""
    (length,) = struct.unpack_from("<Q", data)
    matches = list(_CHECKSUM.finditer(data[8 : 8 + length]))
    assert len(matches) == 1
    start = 8 + matches[0].start(1)
    zeroed = data[:start] + b"0" * 32 + data[start + 32 :]
    return data[:start] + xxhash.xxh3_128_hexdigest(zeroed).encode() + data[start + 32 :]


def rewrite(data: bytes, *, metadata: dict | None = None, arrays: dict | None = None, header=None) -> bytes:
    """A sealed file with metadata fields replaced (None deletes one) and arrays replaced or
    added (None deletes one); `header(dict) -> dict` edits the raw JSON header last."""
    import safetensors.numpy

    loaded = safetensors.numpy.load(data)
    new_metadata = dict(header_of(data)["__metadata__"])
    for key, value in (metadata or {}).items():
        if value is None:
            new_metadata.pop(key, None)
        else:
            new_metadata[key] = value
    new_metadata["checksum"] = "xxh3_128:" + "0" * 32
    for name, value in (arrays or {}).items():
        if value is None:
            loaded.pop(name)
        else:
            loaded[name] = value
    out = safetensors.numpy.save(loaded, metadata=new_metadata)
    if header is not None:
        edited = json.dumps(header(header_of(out)), separators=(",", ":")).encode()
        out = struct.pack("<Q", len(edited)) + edited + out[8 + struct.unpack_from("<Q", out)[0] :]
    return reseal(out)


def arrays_equal(a, b) -> bool:
    return a.dtype == b.dtype and a.shape == b.shape and np.array_equal(a, b)


class FileInPlace:
    """Changes a file in place and puts it back, much faster than writing a new file per case."""

    def __init__(self, path):
        self.path = path
        self.original = path.read_bytes()

    def flipped(self, position: int, mask: int):
        return self._changed(lambda fd: os.pwrite(fd, bytes([self.original[position] ^ mask]), position))

    def truncated(self, length: int):
        return self._changed(lambda fd: os.ftruncate(fd, length))

    @contextlib.contextmanager
    def _changed(self, change):
        fd = os.open(self.path, os.O_RDWR)
        try:
            change(fd)
            yield self.path
        finally:
            os.ftruncate(fd, len(self.original))
            os.pwrite(fd, self.original, 0)
            os.close(fd)
