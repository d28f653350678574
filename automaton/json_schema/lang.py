"""The languages the translator composes: regex text while it is small, automata beyond that.

A language (`Lang`) is regex text (`str`, see `regex_text`), a minimal `ByteDFA`, a `Composite`
of automata not yet determinized (`automaton.dfa.compose`), or None (the empty language).
`sequence`, `alternation`, `optional` and `repeat` take any of them: on text alone they write
text, as `regex_text` does; once an operand is an automaton, the text operands are compiled
(a plain literal straight into its chain of states; other text through the pattern compiler,
once per process, the last `_COMPILED_KEPT` kept) and the operation becomes a `Composite`.
`settle` turns text weighing more than `TEXT_LIMIT` (`text_weight`) into its DFA, and a
Composite laying out more than `COMPOSITE_LIMIT` NFA states into its minimal DFA; the
translator settles every sub-schema's language and materializes each reused `$ref` target, so a
sub-schema met many times (a `$ref` target, the element of an array, a property in every branch
of an object's optional subsets) costs its minimal automaton each time, never copies of its text.

Automata are used only inside `composing(max_states, deadline)`; outside it
(`json_schema_to_regex`) everything stays text.

    >>> from automaton.dfa.limits import Deadline
    >>> with composing(10_000, Deadline(None)):
    ...     dfa = as_dfa(sequence("a", settle("b" * 5000)))
    >>> dfa.matches(b"a" + b"b" * 5000), sequence("a", optional("b"))
    (True, 'ab?')
"""
from __future__ import annotations

import re
import threading
from collections import OrderedDict
from collections.abc import Iterable
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass

from automaton.dfa import compose, product
from automaton.dfa.build import compile_dfa
from automaton.dfa.byte_dfa import ByteDFA
from automaton.dfa.compose import Composite
from automaton.dfa.limits import Deadline
from automaton.errors import EmptyLanguageError
from automaton.json_schema import regex_text as text
from automaton.syntax.render import SPECIAL

__all__ = ["Lang", "TEXT_LIMIT", "COMPOSITE_LIMIT", "composing", "automata_in_use", "settle", "as_dfa", "sequence",
           "alternation", "optional", "repeat", "intersection", "difference", "matcher"]

Lang = str | ByteDFA | Composite | None

# Regex text weighing more than this becomes an automaton before it is composed further (the
# weight: its length plus 8 per unit of its bounded repeat counts, which the NFA unrolls).
TEXT_LIMIT = 1000
_BOUNDED_REPEAT = re.compile(r"\{(\d+)(?:,(\d*))?\}")
# A composite laying out more NFA states than this is determinized and minimized when settled.
COMPOSITE_LIMIT = 20_000


@dataclass
class _Composition:
    max_states: int
    deadline: Deadline


# Texts compiled in this process (most recently used last): the same leaves (strings, numbers,
# formats, punctuation) recur across the schemas a process compiles. DFAs are immutable.
_COMPILED: OrderedDict[str, ByteDFA | None] = OrderedDict()
_COMPILED_KEPT = 2048
_COMPILED_LOCK = threading.Lock()


_CURRENT: ContextVar[_Composition | None] = ContextVar("automaton_json_schema_composition", default=None)


@contextmanager
def composing(max_states: int, deadline: Deadline):
    """Within this block, languages may become automata (limits: `max_states`, `deadline`)."""
    token = _CURRENT.set(_Composition(max_states, deadline))
    try:
        yield
    finally:
        _CURRENT.reset(token)


def automata_in_use() -> bool:
    """True inside `composing` (languages may become automata)."""
    return _CURRENT.get() is not None


def _state() -> _Composition:
    state = _CURRENT.get()
    if state is None:
        raise RuntimeError("automata are composed only inside composing()")
    return state


def as_dfa(lang: Lang) -> ByteDFA | None:
    """The minimal automaton of `lang` (a text compiled once per process)."""
    if lang is None or isinstance(lang, ByteDFA):
        return lang
    state = _state()
    if isinstance(lang, Composite):
        return compose.materialize(lang, state.max_states, state.deadline)
    if lang == "":
        return compose.epsilon()
    with _COMPILED_LOCK:
        dfa = _COMPILED.get(lang, False)
        if dfa is not False:
            _COMPILED.move_to_end(lang)
    if dfa is False and (data := literal_bytes(lang)) is not None and len(data) < state.max_states:
        return compose.literal(data)  # no parse: keys and punctuation
    if dfa is False or (dfa is not None and dfa.num_states > state.max_states):
        try:
            dfa = compile_dfa(lang, max_states=state.max_states, time_budget=state.deadline)
        except EmptyLanguageError:
            dfa = None
        with _COMPILED_LOCK:
            _COMPILED[lang] = dfa
            if len(_COMPILED) > _COMPILED_KEPT:
                _COMPILED.popitem(last=False)
    return dfa


def text_weight(regex: str) -> int:
    """About how many NFA states `regex` costs: its length, plus 8 per repeat its counts unroll."""
    unrolled = sum(int(high or low) for low, high in _BOUNDED_REPEAT.findall(regex))
    return len(regex) + 8 * unrolled


_ESCAPED = {"n": "\n", "r": "\r", "t": "\t"}


def literal_bytes(regex: str) -> bytes | None:
    """The one string `regex` matches when it is a plain literal (as `syntax.render.literal`
    writes them), else None."""
    out = []
    i = 0
    while i < len(regex):
        c = regex[i]
        if c == "\\":
            following = regex[i + 1 : i + 2]
            if following in SPECIAL:
                out.append(following)
                i += 2
            elif following in _ESCAPED:
                out.append(_ESCAPED[following])
                i += 2
            elif following == "x" and re.fullmatch(r"[0-9a-f]{2}", regex[i + 2 : i + 4]):
                out.append(chr(int(regex[i + 2 : i + 4], 16)))
                i += 4
            else:
                return None
        elif c in SPECIAL:
            return None
        else:
            out.append(c)
            i += 1
    try:
        return "".join(out).encode("utf-8")
    except UnicodeEncodeError:  # a lone surrogate: the pattern compiler says what to do with it
        return None


def settle(lang: Lang, reused: bool = False) -> Lang:
    """`lang`, as a DFA when it is long text or a large Composite (any Composite when `reused`)."""
    if _CURRENT.get() is None:
        return lang
    if isinstance(lang, str) and text_weight(lang) > TEXT_LIMIT:
        return as_dfa(lang)
    if isinstance(lang, Composite) and (reused or lang.size > COMPOSITE_LIMIT):
        return as_dfa(lang)
    return lang


def _nodes(parts: Iterable[Lang]) -> list | None:
    """The parts as DFAs or Composites (text compiled; the empty string left out); None if one is empty."""
    out = []
    for part in parts:
        if part == "":
            continue
        node = as_dfa(part) if isinstance(part, str) else part
        if node is None:
            return None
        out.append(node)
    return out


def sequence(*parts: Lang) -> Lang:
    """The parts one after another; None if any part is impossible."""
    if any(part is None for part in parts):
        return None
    if all(isinstance(part, str) for part in parts):
        return text.sequence(*parts)
    nodes = _nodes(parts)
    if nodes is None:
        return None
    if not nodes:
        return ""
    return nodes[0] if len(nodes) == 1 else Composite.of("concat", nodes)


def alternation(options: Iterable[Lang]) -> Lang:
    """Any one of the options (impossible ones dropped)."""
    kept = [option for option in options if option is not None]
    if all(isinstance(option, str) for option in kept):
        return text.alternation(kept)
    nodes = [node for node in (as_dfa(o) if isinstance(o, str) else o for o in kept) if node is not None]
    if not nodes:
        return None
    return nodes[0] if len(nodes) == 1 else Composite.of("union", nodes)


def optional(lang: Lang) -> Lang:
    """`lang` or nothing."""
    if lang is None or isinstance(lang, str):
        return text.optional(lang)
    return Composite.of("repeat", [lang], 0, 1)


def repeat(lang: Lang, low: int, high: int | None) -> Lang:
    """`lang` repeated `low`..`high` times (`high` None: unbounded)."""
    if lang is None or isinstance(lang, str):
        return text.repeat(lang, low, high)
    if high is not None and high < low:
        return None
    if high == 0:
        return ""
    if low == high == 1:
        return lang
    return Composite.of("repeat", [lang], low, high)


def intersection(*parts: Lang) -> Lang:
    """The texts every part accepts (a minimal DFA; None when there are none). Automata only."""
    state = _state()
    dfas = [as_dfa(part) for part in parts]
    if not dfas or any(dfa is None for dfa in dfas):
        return None
    out = dfas[0]
    for dfa in dfas[1:]:
        out = product.intersection(out, dfa, state.max_states, state.deadline)
        if out is None:
            return None
    return out


def difference(lang: Lang, *removed: Lang) -> Lang:
    """The texts of `lang` that none of `removed` accepts (a minimal DFA or None). Automata only."""
    state = _state()
    out = as_dfa(lang)
    for part in removed:
        dfa = as_dfa(part)
        if out is None:
            return None
        if dfa is not None:
            out = product.difference(out, dfa, state.max_states, state.deadline)
    return out


def matcher(lang: Lang):
    """`text -> bool`: whether the whole of `text` is in `lang`."""
    if lang is None:
        return lambda value: False
    if isinstance(lang, Composite):
        lang = as_dfa(lang)
    if isinstance(lang, ByteDFA):
        return lambda value: lang.matches(value.encode("utf-8"))
    import re

    compiled = re.compile(lang)
    return lambda value: compiled.fullmatch(value) is not None
