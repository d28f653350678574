"""Byte automata for decimal spellings by exact value: multiples of a decimal divisor, and
finite sets of values.

    multiples_dfa(unit, scale, fractions)   the texts `-?(0|[1-9][0-9]*)(\\.[0-9]+)?` (the
        fraction part only when `fractions`) whose exact decimal value is a multiple of
        unit * 10**scale (unit: int >= 1 not divisible by 10; scale: any int)
    values_dfa(texts)   the texts `t` (canonical: `-?I` or `-?I.F`, F without trailing zeros)
        and, for those with a fraction part, `t` followed by any number of zeros
    decimal_divisor(x)  x (int, float or Decimal, > 0) as (unit, scale), its exact decimal
        value: a float is read as its shortest repr (`0.1` is one tenth)

Both give a minimal `ByteDFA` (or None for no text). Signs and `-0` are accepted freely
(`-0` and `-0.0` are multiples of everything): callers intersect with a range language, which
decides the spellings. `multiples_dfa` is a remainder automaton over the digits read:

- scale >= 0 (an integer divisor d = unit * 10**scale): v is a multiple iff v = w * 10**scale
  with unit | w, i.e. the integer part ends with `scale` zeros and the digits before them are a
  multiple of `unit`. The state is (w mod unit, pending zeros z <= scale): a zero beyond
  `scale` pending ones moves one into w; another digit moves all of them. A fraction part
  may only be zeros. About unit * (scale + 1) states.
- scale < 0 (k = -scale fraction digits): v * 10**k must be a multiple of `unit`. The state is
  (N mod unit, j) where N is the digits read so far as an integer and j <= k the fraction
  digits among them; accepting when N * 10**(k - j) = 0 mod unit; beyond k fraction digits only
  zeros. About unit * (k + 2) states.

`MAX_STATES` bounds the automaton laid out before minimizing (`TooManyStatesError` beyond).

    >>> seven = multiples_dfa(7, 0, fractions=False)
    >>> [n for n in range(-15, 30) if seven.matches(str(n).encode())]
    [-14, -7, 0, 7, 14, 21, 28]
    >>> quarter = multiples_dfa(*decimal_divisor(0.25), fractions=True)
    >>> [t for t in ("0.75", "1.5000", "-2", "0.1", "0.125") if quarter.matches(t.encode())]
    ['0.75', '1.5000', '-2']
"""
from __future__ import annotations

from decimal import Decimal

import numpy as np

from automaton.dfa.byte_dfa import DEAD_STATE, ByteDFA
from automaton.dfa.determinize import DenseDFA
from automaton.dfa.limits import Deadline
from automaton.dfa.minimize import minimize
from automaton.errors import TooManyStatesError

__all__ = ["MAX_STATES", "decimal_divisor", "multiples_dfa", "multiples_size", "values_dfa"]

MAX_STATES = 20_000

# Byte classes: the digits 0-9 are classes 0-9, then '-', '.', and every other byte.
_MINUS, _DOT, _OTHER = 10, 11, 12
_CLASSES = np.full(256, _OTHER, dtype=np.uint8)
_CLASSES[ord("0"):ord("9") + 1] = np.arange(10, dtype=np.uint8)
_CLASSES[ord("-")] = _MINUS
_CLASSES[ord(".")] = _DOT
_START, _SIGNED, _ZERO = 1, 2, 3  # after nothing, after '-', after the integer part "0"


def decimal_divisor(value: int | float | Decimal) -> tuple[int, int]:
    """(unit, scale) with value = unit * 10**scale exactly, unit not divisible by 10."""
    exact = Decimal(repr(value)) if isinstance(value, float) else Decimal(value)
    if not exact.is_finite() or exact <= 0:
        raise ValueError(f"a divisor must be a positive finite number, not {value!r}")
    _, digits, exponent = exact.normalize().as_tuple()
    return int("".join(map(str, digits))), int(exponent)


def multiples_size(unit: int, scale: int) -> int:
    """The states `multiples_dfa(unit, scale, True)` lays out before minimizing."""
    return 6 + unit * (max(scale, 0) + 1) + (unit * (2 - scale) if scale < 0 else 0)


def _finish(table: np.ndarray, accepting: np.ndarray) -> ByteDFA | None:
    dense = DenseDFA(_CLASSES.copy(), table, accepting, _START)
    minimal = minimize(dense, Deadline(None))
    if minimal.initial == DEAD_STATE:
        return None
    return ByteDFA(byte_classes=minimal.byte_classes, table=minimal.table, accepting=minimal.accepting,
                   initial_state=minimal.initial)


def multiples_dfa(unit: int, scale: int, fractions: bool) -> ByteDFA | None:
    """Spellings of the multiples of unit * 10**scale (see the module docstring)."""
    if unit < 1 or unit % 10 == 0:
        raise ValueError("unit must be a positive integer not divisible by 10")
    size = multiples_size(unit, scale)
    if size > MAX_STATES:
        raise TooManyStatesError(f"multiples of {unit}e{scale} need {size} states (at most {MAX_STATES})",
                                 MAX_STATES)
    zeros = max(scale, 0)
    k = max(-scale, 0)
    n_int = unit * (zeros + 1)
    base_int = 4
    base_frac = base_int + n_int
    # scale >= 0: two fraction states (after '.', after zeros); scale < 0: (N mod unit, j <= k).
    n_frac = 2 if scale >= 0 else unit * (k + 1)
    n = base_frac + n_frac
    table = np.zeros((n, 13), dtype=np.int32)
    accepting = np.zeros(n, dtype=bool)
    digits = np.arange(10)

    remainders = np.repeat(np.arange(unit), zeros + 1)
    pending = np.tile(np.arange(zeros + 1), unit)
    ids = base_int + remainders * (zeros + 1) + pending
    # digit 0: one more pending zero, or (all `zeros` pending) the oldest joins w
    full = pending == zeros
    zero_next = np.where(full, base_int + (remainders * 10 % unit) * (zeros + 1) + pending,
                         ids + 1)
    table[ids, 0] = zero_next
    shift = np.array([pow(10, z + 1, unit) for z in range(zeros + 1)], dtype=np.int64)
    for d in range(1, 10):
        table[ids, d] = base_int + ((remainders * shift[pending] + d) % unit) * (zeros + 1)
    for state in (_START, _SIGNED):
        table[state, 0] = _ZERO
        table[state, 1:10] = base_int + (digits[1:] % unit) * (zeros + 1)
    table[_START, _MINUS] = _SIGNED
    accepting[_ZERO] = True
    if scale >= 0:
        accepting[ids] = (remainders == 0) & full
        if fractions:
            dot, tail = base_frac, base_frac + 1
            table[_ZERO, _DOT] = dot
            table[ids[accepting[ids]], _DOT] = dot
            table[dot, 0] = tail
            table[tail, 0] = tail
            accepting[tail] = True
    else:
        power = pow(10, k, unit)
        accepting[ids] = remainders * power % unit == 0
        if fractions:
            frac_r = np.repeat(np.arange(unit), k + 1)
            frac_j = np.tile(np.arange(k + 1), unit)
            frac_ids = base_frac + frac_r * (k + 1) + frac_j
            table[ids, _DOT] = base_frac + remainders * (k + 1)
            table[_ZERO, _DOT] = base_frac
            open_ = frac_j < k
            for d in range(10):
                table[frac_ids[open_], d] = base_frac + ((frac_r[open_] * 10 + d) % unit) * (k + 1) + frac_j[open_] + 1
            table[frac_ids[~open_], 0] = frac_ids[~open_]
            scales = np.array([pow(10, k - j, unit) for j in range(k + 1)], dtype=np.int64)
            accepting[frac_ids] = (frac_j >= 1) & ((frac_r * scales[frac_j]) % unit == 0)
    return _finish(table, accepting)


def values_dfa(texts: list[str]) -> ByteDFA | None:
    """Exactly the given canonical spellings, those with a fraction part also followed by zeros."""
    children: list[dict[int, int]] = [{}, {}]  # 0: dead, 1: start
    final: list[bool] = [False, False]
    tail: list[bool] = [False, False]

    def child(node: int, cls: int) -> int:
        nxt = children[node].get(cls)
        if nxt is None:
            nxt = len(children)
            children[node][cls] = nxt
            children.append({})
            final.append(False)
            tail.append(False)
        return nxt

    for text in texts:
        node = 1
        for byte in text.encode("ascii"):
            node = child(node, int(_CLASSES[byte]))
        final[node] = True
        tail[node] = tail[node] or "." in text
    zeros = len(children)  # one shared state for "only zeros from here"
    children.append({0: zeros})
    final.append(True)
    tail.append(True)
    stack = [node for node in range(len(tail)) if tail[node] and node != zeros]
    while stack:
        node = stack.pop()
        nxt = children[node].get(0)
        if nxt is None:
            children[node][0] = zeros
        elif not (tail[nxt] and final[nxt]):
            tail[nxt] = final[nxt] = True
            stack.append(nxt)
    table = np.zeros((len(children), 13), dtype=np.int32)
    for node, edges in enumerate(children):
        for cls, nxt in edges.items():
            table[node, cls] = nxt
    return _finish(table, np.array(final, dtype=bool))
