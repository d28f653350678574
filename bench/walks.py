"""Random walks through an engine's own masks, timing each step (see `bench.peers`).

At every step a token is drawn uniformly from the non-EOS tokens the engine's current mask
allows; the engine advances by it and fills its next mask (`Walker.timed_step`). A walk ends
when the mask allows nothing but EOS, after `max_steps`, or when the time cap is spent.
Drawing the token (unpacking the mask) is outside the timed part.

    allowed_ids(words, width) -> int64[k]          token ids set in a packed int32 mask
    walk_step_times(engine, compiled, ...) -> WalkTimes (ns per step, the tokens walked, refusals)
    replay_step_times(engine, compiled, sequences, ...) -> ns per step, the same tokens replayed
        back to back with nothing in between (caches stay warm: a lower bound on the step cost)
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np

from bench.peers import StepRejected

__all__ = ["allowed_ids", "walk_step_times", "replay_step_times", "WalkTimes"]


def allowed_ids(words: np.ndarray, width: int) -> np.ndarray:
    """Sorted ids of the tokens a packed mask allows (bit j % 32 of word j // 32), below `width`."""
    raw = np.ascontiguousarray(words).astype("<i4", copy=False).view(np.uint8)
    return np.flatnonzero(np.unpackbits(raw, bitorder="little")[:width])


@dataclass
class WalkTimes:
    step_ns: list[int] = field(default_factory=list)
    walks: int = 0
    sequences: list[list[int]] = field(default_factory=list)
    refusals: list[str] = field(default_factory=list)


def walk_step_times(
    engine,
    compiled,
    *,
    eos_ids,
    width: int,
    walks: int,
    max_steps: int,
    time_cap_s: float,
    seed: int = 0,
) -> WalkTimes:
    """Per-step nanoseconds over random walks of `engine` (an adapter of `bench.peers`)."""
    rng = np.random.default_rng(seed)
    eos = np.array(sorted(eos_ids), dtype=np.int64)
    result = WalkTimes()
    deadline = time.perf_counter() + time_cap_s
    for _ in range(walks):
        if time.perf_counter() > deadline:
            break
        walker = engine.start(compiled)
        result.walks += 1
        sequence: list[int] = []
        result.sequences.append(sequence)
        for _ in range(max_steps):
            choices = allowed_ids(walker.words, width)
            choices = choices[~np.isin(choices, eos)]
            if choices.size == 0 or time.perf_counter() > deadline:
                break
            token = int(choices[rng.integers(choices.size)])
            try:
                result.step_ns.append(walker.timed_step(token))
            except StepRejected as refusal:
                result.refusals.append(str(refusal))
                break
            sequence.append(token)
    return result


def replay_step_times(engine, compiled, sequences, *, time_cap_s: float) -> list[int]:
    """Per-step nanoseconds of `sequences` (accepted tokens of earlier walks) replayed back to back."""
    step_ns: list[int] = []
    deadline = time.perf_counter() + time_cap_s
    for sequence in sequences:
        if time.perf_counter() > deadline:
            break
        walker = engine.start(compiled)
        step_ns.extend([walker.timed_step(token) for token in sequence])
    return step_ns
