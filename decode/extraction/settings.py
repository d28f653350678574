"""What produced a result file: the run settings, kept beside it in `<output>.run.json`, and the path checks.

    check_paths(input_path, output_path)            # the input exists; the output is not it; its folder is writable
    check_resume(output_path, settings)             # refuses an output written with other settings (untouched)
    write_run_record(output_path, settings, details)  # atomically, before the first result line

Takes the input and output paths and the settings of a run (a JSON-able dict: target, model,
generation and reading options); gives nothing or an error. No model, no torch.

The result file stays pure JSON Lines (one record a line, readers need not skip anything): what
produced it is a sidecar, `<output>.run.json`, written to a temporary file and renamed into
place. It holds {"format": 1, "settings": {...}, "details": {...}}: `settings` are compared on
resume (a rerun must ask for the same thing, or its lines would mix with other results
silently); `details` are for people (input path, library version, whether the chat template
was applied). An output file with results and no run record, or a record whose settings
differ, is refused with `ResumeMismatchError` naming each difference, before anything is
touched. An output that does not exist or is empty is a fresh start: its run record is
(re)written.
"""
from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

from decode.errors import ExtractionOptionsError, ResumeMismatchError

__all__ = ["RUN_RECORD_SUFFIX", "run_record_path", "check_paths", "check_resume", "read_run_record",
           "write_run_record", "has_results"]

RUN_RECORD_SUFFIX = ".run.json"
RUN_RECORD_FORMAT = 1


def run_record_path(output_path) -> Path:
    """`<output>.run.json`, the sidecar that says what produced `output_path`."""
    output_path = Path(output_path)
    return output_path.with_name(output_path.name + RUN_RECORD_SUFFIX)


def _same_file(a: Path, b: Path) -> bool:
    try:
        if a.exists() and b.exists():
            return os.path.samefile(a, b)
    except OSError:
        pass
    return a.resolve() == b.resolve()


def check_paths(input_path, output_path) -> None:
    """ExtractionOptionsError unless the input is a file and the output a writable path that is not the input."""
    input_path, output_path = Path(input_path), Path(output_path)
    if not input_path.is_file():
        raise ExtractionOptionsError(f"input file {input_path} does not exist")
    for written in (output_path, run_record_path(output_path)):
        if _same_file(input_path, written):
            raise ExtractionOptionsError(
                f"the output {written} is the input file {input_path}: results would overwrite the prompts; "
                "give another --output"
            )
    if output_path.is_dir():
        raise ExtractionOptionsError(f"the output {output_path} is a folder; give a file path")
    folder = output_path.resolve().parent
    if not folder.is_dir():
        raise ExtractionOptionsError(f"the output's folder {folder} does not exist")
    if not os.access(folder, os.W_OK | os.X_OK):
        raise ExtractionOptionsError(f"the output's folder {folder} is not writable")
    if output_path.exists() and not os.access(output_path, os.W_OK):
        raise ExtractionOptionsError(f"the output file {output_path} is not writable")


def has_results(output_path) -> bool:
    """True when `output_path` exists and holds any byte (results of an earlier run, maybe one cut off)."""
    output_path = Path(output_path)
    return output_path.is_file() and output_path.stat().st_size > 0


def read_run_record(output_path) -> dict | None:
    """The run record beside `output_path`, or None when there is none."""
    path = run_record_path(output_path)
    try:
        record = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        raise ResumeMismatchError(f"the run record {path} is not JSON ({error}); move the output away") from None
    if not isinstance(record, dict) or not isinstance(record.get("settings"), dict):
        raise ResumeMismatchError(f"the run record {path} holds no settings; move the output away")
    return record


def _normalized(value):
    return json.loads(json.dumps(value, sort_keys=True, default=repr))


def check_resume(output_path, settings: dict) -> None:
    """Refuse (ResumeMismatchError) to append to an output written with other settings; touches nothing."""
    if not has_results(output_path):
        return
    record = read_run_record(output_path)
    if record is None:
        raise ResumeMismatchError(
            f"{output_path} already holds results but has no run record ({run_record_path(output_path).name}): "
            "what produced it is unknown, so results could mix; write to another --output, or delete it to start over"
        )
    earlier, now = _normalized(record["settings"]), _normalized(settings)
    differences = [
        f"{name}: {json.dumps(earlier.get(name))} before, {json.dumps(now.get(name))} now"
        for name in sorted(set(earlier) | set(now))
        if earlier.get(name) != now.get(name)
    ]
    if differences:
        raise ResumeMismatchError(
            f"{output_path} was written with other settings, so resuming would mix results: "
            + "; ".join(differences)
            + ". Rerun with the earlier settings, or write to another --output"
        )


def write_run_record(output_path, settings: dict, details: dict | None = None) -> None:
    """Write `<output>.run.json` atomically (temporary file in the same folder, then rename)."""
    path = run_record_path(output_path)
    text = json.dumps({"format": RUN_RECORD_FORMAT, "settings": _normalized(settings),
                       "details": _normalized(details or {})}, indent=1, ensure_ascii=False) + "\n"
    descriptor, temporary = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(descriptor, "w", encoding="utf-8") as stream:
            stream.write(text)
            stream.flush()
            os.fsync(stream.fileno())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
