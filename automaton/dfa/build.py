"""`compile_dfa`: a regular expression -> its minimal byte-level `ByteDFA`.

    pattern --syntax.parse_regex--> tree --nfa.build_nfa--> ByteNFA (byte ranges, UTF-8)
            --determinize--> DenseDFA --minimize--> minimal DenseDFA --> ByteDFA

Semantics: a full match (like `re.fullmatch(pattern, text, re.ASCII)`) over the UTF-8 bytes of
the text; only valid UTF-8 is ever accepted. See `automaton.syntax.parser` for what is refused.

Limits are ordinary arguments:
    max_states   the most DFA states (dead state included) that determinization may create;
                 DEFAULT_MAX_STATES = 100_000. The NFA is bounded by
                 NFA_STATES_PER_DFA_STATE * max_states, so huge repeat counts stop early too.
                 Going past either raises `TooManyStatesError`.
    time_budget  seconds of wall-clock time (None: no limit); past it, `CompileTimeoutError`
                 naming the stage. The NFA, determinization and minimization look at the
                 clock every few milliseconds (`automaton.dfa.limits`), parsing when it ends.
                 A `Deadline` may be passed instead, so that one budget spans a caller's
                 stages too (`compile_index`).

    >>> dfa = compile_dfa(r"[α-ω]+\\d")
    >>> dfa.matches("αβ1".encode()), dfa.matches(b"ab1")
    (True, False)
"""
from __future__ import annotations

from automaton.dfa.byte_dfa import DEAD_STATE, ByteDFA
from automaton.dfa.determinize import determinize
from automaton.dfa.limits import DEFAULT_MAX_STATES, NFA_STATES_PER_DFA_STATE, Deadline
from automaton.dfa.minimize import minimize
from automaton.dfa.nfa import build_nfa
from automaton.errors import EmptyLanguageError, UnsupportedRegexError
from automaton.syntax.parser import parse_regex

__all__ = ["compile_dfa", "DEFAULT_MAX_STATES", "NFA_STATES_PER_DFA_STATE"]



def compile_dfa(
    pattern: str, *, max_states: int = DEFAULT_MAX_STATES, time_budget: float | Deadline | None = None
) -> ByteDFA:
    """The minimal DFA over UTF-8 bytes that accepts exactly the full matches of `pattern`.

    Raises RegexSyntaxError, UnsupportedRegexError, EmptyLanguageError (nothing matches),
    TooManyStatesError (past `max_states`) or CompileTimeoutError (past `time_budget` seconds).
    """
    if isinstance(max_states, bool) or not isinstance(max_states, int) or max_states < 2:
        raise ValueError(f"max_states must be an int >= 2 (the dead state and one more), not {max_states!r}")
    deadline = Deadline.of(time_budget)
    try:
        tree = parse_regex(pattern)
        deadline.check("parsing")
        nfa = build_nfa(tree, NFA_STATES_PER_DFA_STATE * max_states, deadline)
    except RecursionError:  # the parser and the tree walks recurse once per nesting level
        raise UnsupportedRegexError(pattern, "groups nested too deeply", hint="about 100 levels work") from None
    dense = determinize(nfa, max_states, deadline)
    minimal = minimize(dense, deadline)
    if minimal.initial == DEAD_STATE:
        raise EmptyLanguageError(f"the pattern {pattern!r} matches no string (of valid UTF-8)")
    return ByteDFA(
        byte_classes=minimal.byte_classes,
        table=minimal.table,
        accepting=minimal.accepting,
        initial_state=minimal.initial,
        pattern=pattern,
    )
