"""bench/RESULTS.md is shared by several benchmarks: each owns one `## ` section and rewrites only it.

    replace_section(path, heading, body): put `heading` + body in place of that section (or append it)
"""
from __future__ import annotations

from pathlib import Path

__all__ = ["replace_section"]

_TITLE = "# Benchmark results\n"


def replace_section(path: Path, heading: str, body: str) -> None:
    """Replace the section that starts with the line `heading` (up to the next `## ` line)."""
    path = Path(path)
    text = path.read_text(encoding="utf-8") if path.exists() else _TITLE
    lines = text.splitlines(keepends=True)
    section = [heading.rstrip("\n") + "\n", "\n", body.rstrip("\n") + "\n"]
    start = next((i for i, line in enumerate(lines) if line.rstrip("\n") == heading.rstrip("\n")), None)
    if start is None:
        if lines and not lines[-1].endswith("\n"):
            lines[-1] += "\n"
        if lines and lines[-1].strip():
            lines.append("\n")
        lines.extend(section)
    else:
        end = next((i for i in range(start + 1, len(lines)) if lines[i].startswith("## ")), len(lines))
        tail = lines[end:]
        lines[start:end] = section + (["\n"] if tail else [])
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text("".join(lines), encoding="utf-8")
    tmp.replace(path)
