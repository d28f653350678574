"""Prompt files in, result files out: the file side of batch extraction (no model, no torch).

    for item in read_prompts("prompts.jsonl", field="prompt", id_field="id"):
        ...                                   # a PromptLine(line, id, prompt) or a BadLine(line, error, id)
    results = ResultFile.open("results.jsonl")   # recovers a crashed file, lists what is done
    results.is_done(item)                     # already written by an earlier run
    results.write({"id": 7, ...})             # one JSON line, flushed at once

Input: JSON Lines (one object a line; the prompt under `field`, the id under `id_field`, the
line number when there is no id) or plain text (one prompt a line, the line number as id).
Lines are numbered from 1; blank lines are skipped. A line that cannot be read (not JSON, not
an object, no prompt string, an id that is not a string or an integer, an id seen on an
earlier line) becomes a `BadLine` naming the line and the problem; reading goes on.

Output: one JSON object a line. `ResultFile.open` makes a rerun resume safely: a last line
cut off without its newline (a crash mid-write) is cut away, the ids already written are
skipped, and so are input lines already reported as bad (keyed by line number). Lines are
only ever appended, so the lines of earlier runs stay byte for byte as they were.
"""
from __future__ import annotations

import json
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from decode.errors import ResultFileError

__all__ = [
    "PromptLine",
    "BadLine",
    "InputItem",
    "read_prompts",
    "count_prompt_lines",
    "input_format_of",
    "id_key",
    "ResultFile",
]

JSONL_SUFFIXES = {".jsonl", ".ndjson", ".json"}


@dataclass(frozen=True)
class PromptLine:
    """A prompt read from line `line` (1-based) with its id (a string or an integer)."""

    line: int
    id: str | int
    prompt: str


@dataclass(frozen=True)
class BadLine:
    """Line `line` could not be used; `error` says why; `id` is set when the line had a usable one."""

    line: int
    error: str
    id: str | int | None = None


InputItem = PromptLine | BadLine


def id_key(identifier) -> str:
    """A key telling ids apart by type and value (the id 7 and the id "7" differ)."""
    return json.dumps(identifier)


def input_format_of(path, input_format: str = "auto") -> str:
    """"jsonl" or "text": as given, or by the file's suffix (.jsonl, .ndjson, .json are JSON Lines)."""
    if input_format not in ("auto", "jsonl", "text"):
        raise ValueError(f"input_format must be 'auto', 'jsonl' or 'text', not {input_format!r}")
    if input_format != "auto":
        return input_format
    return "jsonl" if Path(path).suffix.lower() in JSONL_SUFFIXES else "text"


def read_prompts(
    path, *, field: str = "prompt", id_field: str = "id", input_format: str = "auto"
) -> Iterator[InputItem]:
    """Each non-blank line of `path` as a `PromptLine`, or a `BadLine` when it cannot be used."""
    kind = input_format_of(path, input_format)
    first_line_of: dict[str, int] = {}
    with open(path, "rb") as stream:
        for number, raw in enumerate(stream, start=1):
            try:
                text = raw.decode("utf-8")
            except UnicodeDecodeError as error:
                yield BadLine(number, f"not valid UTF-8 (byte {error.start})")
                continue
            text = text.rstrip("\r\n")
            if not text.strip():
                continue
            if kind == "jsonl":
                item = _parse_json_line(number, text, field, id_field)
            else:
                item = PromptLine(number, number, text)
            if isinstance(item, PromptLine):
                key = id_key(item.id)
                first = first_line_of.setdefault(key, number)
                if first != number:
                    item = BadLine(number, f"duplicate id {item.id!r} (first on line {first})", item.id)
            yield item


def _parse_json_line(number: int, text: str, field: str, id_field: str) -> InputItem:
    try:
        value = json.loads(text)
    except json.JSONDecodeError as error:
        return BadLine(number, f"not valid JSON: {error.msg} at column {error.colno}")
    if not isinstance(value, dict):
        return BadLine(number, f"expected a JSON object, got {type(value).__name__}")
    identifier = value.get(id_field, number)
    if isinstance(identifier, bool) or not isinstance(identifier, (str, int)):
        return BadLine(number, f"the id field {id_field!r} must be a string or an integer, got {identifier!r}")
    if field not in value:
        return BadLine(number, f"no prompt field {field!r}", identifier)
    prompt = value[field]
    if not isinstance(prompt, str):
        return BadLine(number, f"the prompt field {field!r} must be a string, got {type(prompt).__name__}", identifier)
    return PromptLine(number, identifier, prompt)


def count_prompt_lines(path) -> int:
    """Non-blank lines of `path` (the progress bar's total), counted without parsing them."""
    count = 0
    with open(path, "rb") as stream:
        for raw in stream:
            if raw.strip():
                count += 1
    return count


class ResultFile:
    """An output file of result lines, opened for appending after recovery; use `ResultFile.open`.

    done_ids: keys (`id_key`) of the ids already written.
    done_lines: input line numbers already reported as bad (records with a "line" and an "error").
    dropped_bytes: bytes of a cut-off last line removed on opening (0 when the file was whole).
    """

    def __init__(self, path: Path, done_ids: set, done_lines: set, dropped_bytes: int):
        self.path = path
        self.done_ids = done_ids
        self.done_lines = done_lines
        self.dropped_bytes = dropped_bytes
        self._stream = open(path, "ab")

    @classmethod
    def open(cls, path) -> ResultFile:
        """Open `path` to append results, creating it; an earlier run's lines are kept and listed."""
        path = Path(path)
        dropped = _drop_partial_last_line(path) if path.exists() else 0
        done_ids: set = set()
        done_lines: set = set()
        if path.exists():
            with open(path, "rb") as stream:
                for number, raw in enumerate(stream, start=1):
                    record = _parse_result_line(path, number, raw)
                    if record is None:
                        continue
                    if "error" in record and isinstance(record.get("line"), int):
                        done_lines.add(record["line"])
                    elif "id" in record:
                        done_ids.add(id_key(record["id"]))
                    else:
                        raise ResultFileError(f"{path}:{number}: a result line without an id")
        return cls(path, done_ids, done_lines, dropped)

    def is_done(self, item: InputItem) -> bool:
        """True when an earlier run already wrote the result of this input item."""
        if isinstance(item, BadLine):
            return item.line in self.done_lines
        return id_key(item.id) in self.done_ids

    def write(self, record: dict) -> None:
        """Append `record` as one JSON line and flush it to the operating system."""
        self.write_line(json.dumps(record, ensure_ascii=False))

    def write_line(self, line: str) -> None:
        """Append one already-encoded JSON object (no newline inside) and flush it."""
        if "\n" in line:
            raise ValueError("a result line must not contain a newline")
        self._stream.write(line.encode("utf-8") + b"\n")
        self._stream.flush()

    def close(self) -> None:
        self._stream.close()

    def __enter__(self) -> ResultFile:
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()


def _drop_partial_last_line(path: Path) -> int:
    """Cut the file after its last newline; returns how many bytes were cut.

    Result lines are written whole with their newline and JSON never holds a raw newline, so
    bytes after the last newline can only be a line whose writing was interrupted.
    """
    size = path.stat().st_size
    if size == 0:
        return 0
    with open(path, "rb+") as stream:
        position = size
        chunk = 1 << 16
        while position > 0:
            start = max(0, position - chunk)
            stream.seek(start)
            data = stream.read(position - start)
            newline = data.rfind(b"\n")
            if newline >= 0:
                keep = start + newline + 1
                break
            position = start
        else:
            keep = 0
        if keep < size:
            stream.truncate(keep)
            stream.flush()
            os.fsync(stream.fileno())
    return size - keep


def _parse_result_line(path: Path, number: int, raw: bytes):
    if not raw.strip():
        return None
    try:
        record = json.loads(raw)
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        raise ResultFileError(
            f"{path}:{number}: not a JSON result line ({error}); is this the output file of an extraction?"
        ) from None
    if not isinstance(record, dict):
        raise ResultFileError(f"{path}:{number}: expected a JSON object, got {type(record).__name__}")
    return record
