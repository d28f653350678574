"""Fuzzing the index-file loader: any damaged file raises IndexFileError, never anything else.

Damage: truncations, byte flips, bytes inserted or overwritten, huge header lengths, huge or
negative sizes and offsets written into the JSON header (re-sealed so the checksum passes and
the size checks themselves are exercised). A bounded run in the normal suite; set
AUTOMATON_LONG_TESTS=1 for a long one. The number of cases tried is printed.
"""
from __future__ import annotations

import json
import math
import os
import struct
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from automaton import compile as storage
from automaton import files
from automaton.errors import IndexFileError
from tests.support.index_files import header_of, reseal

FIXTURE = Path(__file__).parent / "data" / "index_format_v1.safetensors"
LONG = os.environ.get("AUTOMATON_LONG_TESTS") == "1"
EXAMPLES = 20_000 if LONG else 300

ORIGINAL = FIXTURE.read_bytes()
HEADER_LENGTH = struct.unpack_from("<Q", ORIGINAL)[0]
ORIGINAL_HEADER = header_of(ORIGINAL)
ARRAY_NAMES = sorted(name for name in ORIGINAL_HEADER if name != "__metadata__")
HUGE = st.sampled_from([2**31, 2**32 + 1, 2**53, 2**63 - 1, 2**64 - 1, 2**80, -1, -(2**63)])


def _without_checksum(header: dict) -> dict:
    metadata = {key: value for key, value in header["__metadata__"].items() if key != "checksum"}
    return {**header, "__metadata__": metadata}


@st.composite
def raw_damage(draw) -> bytes:
    data = bytearray(ORIGINAL)
    for _ in range(draw(st.integers(1, 4))):
        kind = draw(st.sampled_from(["flip", "truncate", "insert", "overwrite", "header_length"]))
        if kind == "flip" and data:
            position = draw(st.integers(0, len(data) - 1))
            data[position] ^= draw(st.integers(1, 255))
        elif kind == "truncate":
            del data[draw(st.integers(0, max(0, len(data) - 1))) :]
        elif kind == "insert":
            position = draw(st.integers(0, len(data)))
            data[position:position] = draw(st.binary(min_size=1, max_size=16))
        elif kind == "overwrite" and data:
            position = draw(st.integers(0, len(data) - 1))
            chunk = draw(st.binary(min_size=1, max_size=16))
            data[position : position + len(chunk)] = chunk
        elif kind == "header_length" and len(data) >= 8:
            data[:8] = struct.pack("<Q", draw(st.integers(0, 2**64 - 1)))
    return bytes(data)


@st.composite
def sealed_header_damage(draw) -> bytes:
    """A header whose numbers are replaced by huge or wrong values, with a valid checksum."""
    header = header_of(ORIGINAL)
    for _ in range(draw(st.integers(1, 3))):
        entry = header[draw(st.sampled_from(ARRAY_NAMES))]
        field = draw(st.sampled_from(["shape", "data_offsets"]))
        values = entry[field]
        if values:
            position = draw(st.integers(0, len(values) - 1))
            old = values[position]
            values[position] = draw((HUGE | st.integers(-5, 10_000)).filter(lambda v, old=old: v != old))
        else:
            entry[field] = [draw(HUGE)]
    text = json.dumps(header, separators=(",", ":")).encode()
    data = struct.pack("<Q", len(text)) + text + ORIGINAL[8 + HEADER_LENGTH :]
    return reseal(data)


def test_damaged_files_always_raise_index_file_error(tmp_path, capsys):
    path = tmp_path / "fuzzed.safetensors"
    tried = {"raw": 0, "sealed": 0}

    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
    )
    @given(
        damage=st.one_of(
            raw_damage().map(lambda d: ("raw", d)),
            sealed_header_damage().map(lambda d: ("sealed", d)),
        )
    )
    def check(damage):
        kind, data = damage
        if data == ORIGINAL:
            return  # an overwrite that wrote the same bytes back is not damage
        if kind == "sealed" and _without_checksum(header_of(data)) == _without_checksum(ORIGINAL_HEADER):
            return  # a later change put the earlier one back: the same header, resealed
        tried[kind] += 1
        path.write_bytes(data)
        with pytest.raises(IndexFileError):
            storage.load_index(path)

    check()
    with capsys.disabled():
        print(f"\nindex loader fuzz: {tried['raw']} raw and {tried['sealed']} sealed damaged files, all refused")
    assert tried["raw"] > 0 and tried["sealed"] > 0


SIZES = st.one_of(st.integers(-2, 40), st.sampled_from([True, False, 2.0, "4", None, 2**70]))
ENTRIES = st.one_of(
    st.fixed_dictionaries({
        "dtype": st.sampled_from(["I32", "I64", "U8", "BOOL", "F32", 3, None]),
        "shape": st.one_of(st.lists(SIZES, max_size=3), st.sampled_from([None, 5, "x", (2,)])),
        "data_offsets": st.one_of(st.lists(SIZES, min_size=0, max_size=3), st.sampled_from([None, 7])),
    }),
    st.sampled_from([None, [], "I32", 4]),
    # valid entries, and entries one byte off
    st.tuples(st.sampled_from([("I32", 4), ("I64", 8), ("U8", 1), ("BOOL", 1)]),
              st.lists(st.integers(0, 6), max_size=3), st.integers(0, 100), st.sampled_from([0, 0, 1, -1])).map(
        lambda t: {"dtype": t[0][0], "shape": t[1],
                   "data_offsets": [t[2], t[2] + t[0][1] * math.prod(t[1]) + t[3]]}),
)


@settings(max_examples=EXAMPLES, deadline=None)
@given(ENTRIES)
def test_span_checks_agree_with_the_detailed_checks(entry):
    """`_span`'s one-go check of a valid entry accepts exactly what `_checked_span` accepts."""
    outcomes = []
    for check in (files._span, files._checked_span):
        try:
            outcomes.append(check("masks", entry, Path("x")))
        except IndexFileError as error:
            outcomes.append(str(error))
    assert outcomes[0] == outcomes[1]
