"""Prompt files in, result files out: the file side of batch extraction (no model, no torch).

    for item in read_prompts("prompts.jsonl", field="prompt", id_field="id"):
        ...                                   # a PromptLine(line, id, prompt) or a BadLine(line, error, id)
    results = ResultFile.open("results.jsonl")   # recovers a crashed file, lists what is done
    results.is_done(item)                     # already written by an earlier run
    results.write({"id": 7, ...})             # one JSON line, flushed at once

Input: JSON Lines (one object a line; the prompt under `field`, the id under `id_field`, the
line number when there is no id), a JSON array (pretty-printed or not: each element a prompt
string or such an object; its 1-based position stands for the line number) or plain text (one
prompt a line, the line number as id). Lines are numbered from 1; blank lines are skipped. A
line that cannot be used (not JSON, not an object, no prompt string, an empty prompt, an id that
is not a string or an integer, an id seen on an earlier line) becomes a `BadLine` naming the
line and the problem; reading goes on. A JSON input that is neither JSON Lines nor a JSON array
(a pretty-printed object, text) is refused as a whole with `InputFileError` (`input_format_of`).
`keep_fields`: input fields copied into the item (`fields`), for the result record.

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

from decode.errors import InputFileError, ResultFileError

__all__ = [
    "PromptLine",
    "BadLine",
    "InputItem",
    "read_prompts",
    "count_prompt_lines",
    "INPUT_FORMATS",
    "input_format_of",
    "id_key",
    "ResultFile",
]

JSONL_SUFFIXES = {".jsonl", ".ndjson", ".json"}
INPUT_FORMATS = ("auto", "jsonl", "json", "text")


@dataclass(frozen=True)
class PromptLine:
    """A prompt read from line `line` (1-based) with its id (a string or an integer)."""

    line: int
    id: str | int
    prompt: str
    fields: dict | None = None


@dataclass(frozen=True)
class BadLine:
    """Line `line` could not be used; `error` says why; `id` is set when the line had a usable one."""

    line: int
    error: str
    id: str | int | None = None
    fields: dict | None = None


InputItem = PromptLine | BadLine


def id_key(identifier) -> str:
    """A key telling ids apart by type and value (the id 7 and the id "7" differ)."""
    return json.dumps(identifier)


def input_format_of(path, input_format: str = "auto") -> str:
    """"jsonl", "json" (one JSON array) or "text": as given, else by the file's suffix and first bytes.

    auto: .jsonl, .ndjson and .json files are JSON: a JSON array when the first non-blank
    character is "[", JSON Lines when the first non-blank line is a JSON object; anything else
    raises `InputFileError` (use input_format="jsonl" to read such a file line by line anyway).
    Other suffixes are plain text.
    """
    if input_format not in INPUT_FORMATS:
        raise ValueError(f"input_format must be one of {', '.join(map(repr, INPUT_FORMATS))}, not {input_format!r}")
    if input_format != "auto":
        return input_format
    if Path(path).suffix.lower() not in JSONL_SUFFIXES:
        return "text"
    with open(path, "rb") as stream:
        for number, raw in enumerate(stream, start=1):
            text = raw.strip()
            if not text:
                continue
            if text.startswith(b"["):
                return "json"
            try:
                value = json.loads(text)
            except (json.JSONDecodeError, UnicodeDecodeError):
                value = None
            if isinstance(value, dict):
                return "jsonl"
            raise InputFileError(
                f"{path} is neither JSON Lines nor a JSON array: line {number} is not a whole JSON object "
                f"(a pretty-printed object?) and the file does not start with '['; "
                f"give a JSON object a line, or a JSON array of prompts (input_format='jsonl' reads it "
                f"line by line anyway, reporting each bad line)"
            )
    return "jsonl"  # no prompts at all


def read_prompts(
    path, *, field: str = "prompt", id_field: str = "id", input_format: str = "auto", keep_fields=()
) -> Iterator[InputItem]:
    """Each prompt of `path` as a `PromptLine`, or a `BadLine` when it cannot be used."""
    kind = input_format_of(path, input_format)
    keep_fields = tuple(keep_fields)
    first_line_of: dict[str, int] = {}
    for item in _items_of(path, kind, field, id_field, keep_fields):
        if isinstance(item, PromptLine):
            key = id_key(item.id)
            first = first_line_of.setdefault(key, item.line)
            if first != item.line:
                item = BadLine(item.line, f"duplicate id {item.id!r} (first on line {first})", item.id, item.fields)
        yield item


def _items_of(path, kind: str, field: str, id_field: str, keep_fields: tuple) -> Iterator[InputItem]:
    if kind == "json":
        yield from _array_items(path, field, id_field, keep_fields)
        return
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
                yield _parse_json_line(number, text, field, id_field, keep_fields)
            else:
                yield PromptLine(number, number, text)


def _array_items(path, field: str, id_field: str, keep_fields: tuple) -> Iterator[InputItem]:
    try:
        values = json.loads(Path(path).read_bytes().decode("utf-8"))
    except UnicodeDecodeError as error:
        raise InputFileError(f"{path} is not valid UTF-8 (byte {error.start})") from None
    except json.JSONDecodeError as error:
        raise InputFileError(
            f"{path} is not a JSON array: {error.msg} at line {error.lineno} column {error.colno}"
        ) from None
    if not isinstance(values, list):
        raise InputFileError(f"{path} is not a JSON array of prompts: it holds a {type(values).__name__}")
    for position, value in enumerate(values, start=1):
        if isinstance(value, str):
            yield _prompt_item(position, position, value, None)
        elif isinstance(value, dict):
            yield _parse_json_value(position, value, field, id_field, keep_fields)
        else:
            yield BadLine(position, f"element {position}: expected a prompt string or a JSON object, "
                                    f"got {type(value).__name__}")


def _parse_json_line(number: int, text: str, field: str, id_field: str, keep_fields: tuple = ()) -> InputItem:
    try:
        value = json.loads(text)
    except json.JSONDecodeError as error:
        return BadLine(number, f"not valid JSON: {error.msg} at column {error.colno}")
    if not isinstance(value, dict):
        return BadLine(number, f"expected a JSON object, got {type(value).__name__}")
    return _parse_json_value(number, value, field, id_field, keep_fields)


def _parse_json_value(number: int, value: dict, field: str, id_field: str, keep_fields: tuple) -> InputItem:
    kept = {name: value[name] for name in keep_fields if name in value} if keep_fields else None
    identifier = value.get(id_field, number)
    if isinstance(identifier, bool) or not isinstance(identifier, (str, int)):
        return BadLine(number, f"the id field {id_field!r} must be a string or an integer, got {identifier!r}",
                       None, kept)
    if field not in value:
        return BadLine(number, f"no prompt field {field!r}", identifier, kept)
    prompt = value[field]
    if not isinstance(prompt, str):
        return BadLine(number, f"the prompt field {field!r} must be a string, got {type(prompt).__name__}",
                       identifier, kept)
    return _prompt_item(number, identifier, prompt, kept, field)


def _prompt_item(number: int, identifier, prompt: str, kept: dict | None, field: str | None = None) -> InputItem:
    """A `PromptLine`, or a `BadLine` for an empty prompt (nothing to generate from)."""
    if prompt == "":
        where = f"the prompt field {field!r}" if field is not None else "the prompt"
        return BadLine(number, f"empty prompt: {where} is \"\"", identifier, kept)
    return PromptLine(number, identifier, prompt, kept)


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
    done_lines: input line numbers already reported as bad (records with a "line" and an "error");
        `len(done_lines)` is how many failed records the file holds.
    dropped_bytes: bytes of a cut-off last line removed on opening (0 when the file was whole).
    """

    def __init__(self, path: Path, done_ids: set, done_lines: set, dropped_bytes: int):
        self.path = path
        self.done_ids = done_ids
        self.done_lines = done_lines
        self.dropped_bytes = dropped_bytes
        self._stream = open(path, "ab")

    @staticmethod
    def scan(path) -> tuple[set, set]:
        """(done_ids, done_lines) of `path` as `open` would list them, read only (a cut-off last line is ignored)."""
        path = Path(path)
        done_ids: set = set()
        done_lines: set = set()
        if not path.exists():
            return done_ids, done_lines
        with open(path, "rb") as stream:
            for number, raw in enumerate(stream, start=1):
                if not raw.endswith(b"\n"):
                    break  # cut off mid-write: `open` removes it
                _list_done(path, number, raw, done_ids, done_lines)
        return done_ids, done_lines

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
                    _list_done(path, number, raw, done_ids, done_lines)
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


def _list_done(path: Path, number: int, raw: bytes, done_ids: set, done_lines: set) -> None:
    record = _parse_result_line(path, number, raw)
    if record is None:
        return
    if "error" in record and isinstance(record.get("line"), int):
        done_lines.add(record["line"])
    elif "id" in record:
        done_ids.add(id_key(record["id"]))
    else:
        raise ResultFileError(f"{path}:{number}: a result line without an id")


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
