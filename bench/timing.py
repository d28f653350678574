"""Timing and memory helpers for the benchmarks: repeated timings, percentiles, a forked child
with a time limit, and the peak resident memory of a stretch of code (Linux).

    run_times(fn, repeats) -> seconds of each of `repeats` calls
    repeat_timed(fn, ...) -> (median seconds, runs, last result)
    percentiles_us(ns_list) -> {"p50": µs, "p99": µs, "n": count}
    run_forked(fn, timeout_s) -> fn's (picklable) result, or TimedOut
    PeakMemory: `with PeakMemory() as peak: ...` then peak.delta_bytes (peak RSS - RSS at entry)
"""
from __future__ import annotations

import multiprocessing
import re
import resource
import statistics
import time
import traceback

__all__ = ["run_times", "repeat_timed", "percentiles_us", "run_forked", "TimedOut", "ChildFailed", "PeakMemory"]


def run_times(fn, repeats: int) -> list[float]:
    """Seconds of each of `repeats` calls of `fn()`, one after the other."""
    times = []
    for _ in range(repeats):
        began = time.perf_counter()
        fn()
        times.append(time.perf_counter() - began)
    return times


def repeat_timed(fn, *, min_repeats: int = 1, max_repeats: int = 5, budget_s: float = 3.0):
    """Call `fn()` until `max_repeats` runs or `budget_s` spent (at least `min_repeats` runs).

    Returns (median seconds, number of runs, the last result).
    """
    times = []
    result = None
    spent = 0.0
    while len(times) < max_repeats and (len(times) < min_repeats or spent < budget_s):
        result = None  # the previous result is freed before the clock starts, not inside the next run
        began = time.perf_counter()
        result = fn()
        elapsed = time.perf_counter() - began
        times.append(elapsed)
        spent += elapsed
    return statistics.median(times), len(times), result


def percentiles_us(ns: list[int]) -> dict:
    """p50 and p99 (nearest rank) in microseconds of a list of nanosecond timings."""
    if not ns:
        return {"p50": None, "p99": None, "n": 0}
    ordered = sorted(ns)

    def rank(q: float) -> float:
        return ordered[min(len(ordered) - 1, max(0, round(q * len(ordered)) - 1))] / 1e3

    return {"p50": rank(0.50), "p99": rank(0.99), "n": len(ordered)}


class TimedOut:
    """What `run_forked` returns when the child ran past its limit (it was killed)."""

    def __init__(self, timeout_s: float):
        self.timeout_s = timeout_s

    def __repr__(self) -> str:
        return f"TimedOut({self.timeout_s} s)"


class ChildFailed(RuntimeError):
    """The forked child raised or died; the message holds its traceback or exit code."""


def _child(connection, fn) -> None:
    try:
        connection.send(("ok", fn()))
    except BaseException:  # report everything, the parent decides
        connection.send(("error", traceback.format_exc()))
    finally:
        connection.close()


def run_forked(fn, timeout_s: float):
    """Run `fn()` in a forked child (it sees this process's objects); kill it after `timeout_s`.

    Returns fn's result (it must pickle), or a `TimedOut`; raises `ChildFailed` when fn raised.
    """
    context = multiprocessing.get_context("fork")
    receiver, sender = context.Pipe(duplex=False)
    process = context.Process(target=_child, args=(sender, fn), daemon=True)
    process.start()
    sender.close()
    try:
        if not receiver.poll(timeout_s):
            process.kill()
            process.join()
            return TimedOut(timeout_s)
        try:
            status, payload = receiver.recv()
        except EOFError:
            process.join()
            raise ChildFailed(f"the child died with exit code {process.exitcode}") from None
        process.join()
    finally:
        receiver.close()
    if status != "ok":
        raise ChildFailed(payload)
    return payload


def _status_kib(field: str) -> int:
    with open("/proc/self/status") as status:
        match = re.search(rf"^{field}:\s+(\d+) kB", status.read(), re.MULTILINE)
    if match is None:
        raise OSError(f"{field} missing from /proc/self/status")
    return int(match.group(1))


class PeakMemory:
    """Peak resident memory reached inside the `with` block, above the resident memory at entry.

    Resets the kernel's high-water mark (/proc/self/clear_refs) at entry, so what came before the
    block (loading a tokenizer) does not hide the block's own peak. Where that is not possible it
    falls back to ru_maxrss, and `exact` says so.
    """

    def __enter__(self) -> PeakMemory:
        self.exact = True
        try:
            with open("/proc/self/clear_refs", "w") as clear:
                clear.write("5")
            self.rss_before = _status_kib("VmRSS") * 1024
        except OSError:
            self.exact = False
            self.rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
        return self

    def __exit__(self, *exc) -> None:
        if self.exact:
            self.peak_bytes = _status_kib("VmHWM") * 1024
        else:
            self.peak_bytes = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
        self.delta_bytes = max(0, self.peak_bytes - self.rss_before)

