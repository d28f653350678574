"""What the benchmarks report: their sections of bench/RESULTS.md, the lines that say how and on
what a run was made, and the formatting of the figures.

bench/RESULTS.md holds one `## ` section per benchmark that writes one (and hand-written ones);
a benchmark rewrites only its own section, found by its title line.

    RESULTS_FILE                               bench/RESULTS.md
    write_section(title, body, path=...)       put `title` + body in place of that section (or append it)
    command_line(module, args) -> str          "`.venv/bin/python -m bench.NAME ARGS`", how to rerun a run
    machine_line(packages, ...) -> str         "Machine: CPU, N cores, Python x.y.z, numpy a.b; load average ..."
    cpu_name(), versions(names)                the pieces of that line
    ms(seconds), us(µs), mib(bytes), ratio(a, b)   one figure, digits by size; "–" when missing
    quantiles(values, qs) -> floats            e.g. (p50, p99); nan when there are none
    spread(values, qs, scale, digits) -> str   the same as "p50 / p99" text (qs=(50, 0): median / minimum)
    table(header, rows, right_from=None) -> str    a Markdown table; with no rows, its header alone
    table_row(cells) -> str                        one row, to print rows as they are measured
"""
from __future__ import annotations

import os
import platform
from collections.abc import Iterable, Sequence
from importlib import metadata
from pathlib import Path

import numpy as np

__all__ = [
    "RESULTS_FILE", "write_section", "command_line", "machine_line", "cpu_name", "versions",
    "ms", "us", "mib", "ratio", "quantiles", "spread", "table", "table_row",
]

RESULTS_FILE = Path(__file__).resolve().with_name("RESULTS.md")

_TITLE = "# Benchmark results\n"
_MISSING = "–"


# -- RESULTS.md ----------------------------------------------------------------------------


def write_section(title: str, body: str, path: Path = RESULTS_FILE) -> None:
    """Replace the section that starts with the line `title` (up to the next `## ` line) by
    `title`, a blank line and `body`; append it when there is no such section."""
    path = Path(path)
    text = path.read_text(encoding="utf-8") if path.exists() else _TITLE
    lines = text.splitlines(keepends=True)
    section = [title.rstrip("\n") + "\n", "\n", body.rstrip("\n") + "\n"]
    start = next((i for i, line in enumerate(lines) if line.rstrip("\n") == title.rstrip("\n")), None)
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
    print(f"wrote the {title.lstrip('# ')!r} section of {path}")


def command_line(module: str, args: Iterable[str] = ()) -> str:
    """How to rerun: "`.venv/bin/python -m MODULE ARGS`" (from the repository root)."""
    words = [".venv/bin/python", "-m", module, *(str(arg) for arg in args)]
    return "`" + " ".join(f'"{word}"' if " " in word else word for word in words) + "`"


# -- the machine ---------------------------------------------------------------------------


def cpu_name() -> str:
    """The CPU's model name (Linux), else what `platform` knows."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine() or "unknown CPU"


def versions(names: Iterable[str]) -> str:
    """"name version, ..." of installed distributions; "name (not installed)" for the others."""
    found = []
    for name in names:
        try:
            found.append(f"{name} {metadata.version(name)}")
        except metadata.PackageNotFoundError:
            found.append(f"{name} (not installed)")
    return ", ".join(found)


def machine_line(packages: Iterable[str] = (), *, load_at_start: float | None = None, at_start: bool = False) -> str:
    """"Machine: CPU (arch), N cores, Python x.y.z[, package versions]; load average L at the
    end of the run" (1-minute load, now; "S at the start, L at the end" with `load_at_start`, the
    load at the start of the run; "L at the start" with `at_start`, for a line printed first).

    No final full stop: callers add what their run adds (threads, model, how it was timed)."""
    parts = [f"{cpu_name()} ({platform.machine()})", f"{os.cpu_count()} cores", f"Python {platform.python_version()}"]
    packages = list(packages)
    if packages:
        parts.append(versions(packages))
    at = f"{os.getloadavg()[0]:.1f} at the {'start' if at_start else 'end'}"
    if load_at_start is not None:
        at = f"{load_at_start:.1f} at the start, {at}"
    return f"Machine: {', '.join(parts)}; load average {at} of the run"


# -- figures -------------------------------------------------------------------------------


def ms(seconds: float | None) -> str:
    """Seconds as milliseconds: no decimals from 100 ms, one from 1 ms, two below."""
    if seconds is None:
        return _MISSING
    value = seconds * 1e3
    return f"{value:,.0f}" if value >= 100 else f"{value:.1f}" if value >= 1 else f"{value:.2f}"


def us(microseconds: float | None) -> str:
    """Microseconds: no decimals from 100 µs, one below."""
    if microseconds is None:
        return _MISSING
    return f"{microseconds:,.0f}" if microseconds >= 100 else f"{microseconds:.1f}"


def mib(nbytes: float | None) -> str:
    return _MISSING if nbytes is None else f"{nbytes / 2**20:.2f}"


def ratio(numerator: float | None, denominator: float | None) -> str:
    """"12.3x" (two decimals below 1x); "–" when either side is missing or zero."""
    if not numerator or not denominator:
        return _MISSING
    value = numerator / denominator
    return f"{value:,.1f}x" if value >= 1 else f"{value:.2f}x"


def quantiles(values: Sequence[float], qs: Sequence[float] = (50, 99)) -> tuple[float, ...]:
    """The `qs` percentiles of `values` (numpy's linear interpolation); nan for each when empty."""
    if len(values) == 0:
        return tuple(float("nan") for _ in qs)
    return tuple(float(v) for v in np.percentile(np.asarray(values, dtype=float), qs))


def spread(values: Sequence[float], qs: Sequence[float] = (50, 99), *, scale: float = 1.0, digits: int = 2) -> str:
    """The `qs` percentiles of `values` times `scale` as "a / b" text: (50, 99) = p50 / p99,
    (50, 0) = median / minimum."""
    return " / ".join(f"{value * scale:,.{digits}f}" for value in quantiles(values, qs))


def table(header: Sequence[str], rows: Iterable[Sequence[object]], *, right_from: int | None = None) -> str:
    """A Markdown table; columns from `right_from` on are aligned right (numbers)."""
    rule = [" ---: " if right_from is not None and i >= right_from else " --- " for i in range(len(header))]
    lines = [table_row(header), "|" + "|".join(rule) + "|"]
    lines += [table_row(row) for row in rows]
    return "\n".join(lines)


def table_row(cells: Iterable[object]) -> str:
    """One Markdown table row: "| a | b |"."""
    return "| " + " | ".join(str(cell) for cell in cells) + " |"
