"""Boolean operations on `ByteDFA`s by the product construction: intersection, difference,
complement within a universe, and the tests of inclusion and equality they give.

    intersection(a, b, max_states, deadline)   the strings both accept
    difference(a, b, max_states, deadline)     the strings `a` accepts and `b` does not
    complement(a, universe, max_states, deadline)   the strings of `universe` that `a` rejects
    is_subset(a, b), equivalent(a, b)          language inclusion and equality (bool)

Each result is minimal (`automaton.dfa.minimize`), or None for the empty language, as the
operations of `automaton.dfa.compose` give. The product runs over the common refinement of
both operands' byte classes (at most 256 classes), breadth-first from the pair of start
states, in a numba kernel (`automaton.kernels.product`); it stops with `TooManyStatesError`
once `max_states` states (the dead state included) would be exceeded, which bounds its work
(states x classes), and the deadline is looked at before and after it and while minimizing.

Complement is taken over bytes, within `universe` (say, every JSON text of one layout): the
strings of the universe that `a` rejects. Where one value has several spellings in the
universe, rejecting one spelling does not reject the value; callers that mean "values not
matching" must use a universe with one spelling per value.

    >>> from automaton.dfa.build import compile_dfa
    >>> from automaton.dfa.limits import Deadline
    >>> both = intersection(compile_dfa("[a-c]+"), compile_dfa("[b-d]+"), 100, Deadline(None))
    >>> both.matches(b"bcb"), both.matches(b"ab")
    (True, False)
    >>> is_subset(compile_dfa("ab|b"), compile_dfa("a?b"))
    True
"""
from __future__ import annotations

import numpy as np

from automaton import kernels
from automaton.dfa.byte_dfa import DEAD_STATE, ByteDFA
from automaton.dfa.determinize import DenseDFA
from automaton.dfa.limits import DEFAULT_MAX_STATES, Deadline
from automaton.dfa.minimize import minimize
from automaton.errors import TooManyStatesError
from automaton.kernels.product import DIFFERENCE, INTERSECTION

__all__ = ["intersection", "difference", "complement", "is_subset", "equivalent"]


def intersection(a: ByteDFA, b: ByteDFA, max_states: int = DEFAULT_MAX_STATES,
                 deadline: Deadline | None = None) -> ByteDFA | None:
    """The minimal DFA of the strings that both `a` and `b` accept; None when there are none."""
    return _product(a, b, INTERSECTION, max_states, deadline)


def difference(a: ByteDFA, b: ByteDFA, max_states: int = DEFAULT_MAX_STATES,
               deadline: Deadline | None = None) -> ByteDFA | None:
    """The minimal DFA of the strings that `a` accepts and `b` rejects; None when there are none."""
    return _product(a, b, DIFFERENCE, max_states, deadline)


def complement(a: ByteDFA, universe: ByteDFA, max_states: int = DEFAULT_MAX_STATES,
               deadline: Deadline | None = None) -> ByteDFA | None:
    """The minimal DFA of the strings of `universe` that `a` rejects; None when there are none."""
    return _product(universe, a, DIFFERENCE, max_states, deadline)


def is_subset(a: ByteDFA, b: ByteDFA, max_states: int = DEFAULT_MAX_STATES) -> bool:
    """Whether every string `a` accepts, `b` accepts too."""
    return difference(a, b, max_states) is None


def equivalent(a: ByteDFA, b: ByteDFA, max_states: int = DEFAULT_MAX_STATES) -> bool:
    """Whether `a` and `b` accept the same strings."""
    return is_subset(a, b, max_states) and is_subset(b, a, max_states)


def _product(a: ByteDFA, b: ByteDFA, mode: int, max_states: int, deadline: Deadline | None) -> ByteDFA | None:
    deadline = Deadline.of(deadline)
    deadline.check("combining automata")
    pairs = np.asarray(a.byte_classes, np.int64) * 256 + np.asarray(b.byte_classes, np.int64)
    classes, byte_classes = np.unique(pairs, return_inverse=True)
    n_states, table, accepting = kernels.product_table(
        np.ascontiguousarray(a.table, dtype=np.int32), np.ascontiguousarray(b.table, dtype=np.int32),
        int(a.initial_state), int(b.initial_state),
        (classes // 256).astype(np.int32), (classes % 256).astype(np.int32),
        np.ascontiguousarray(a.accepting, dtype=np.bool_), np.ascontiguousarray(b.accepting, dtype=np.bool_),
        int(mode), int(max_states),
    )
    if n_states < 0:
        raise TooManyStatesError(
            f"combining two automata gives more than max_states={max_states} states; "
            "raise max_states or simplify the schema",
            max_states,
        )
    deadline.check("combining automata")
    if n_states == 1:
        return None
    minimal = minimize(DenseDFA(byte_classes.astype(np.uint8), table, accepting, 1), deadline)
    if minimal.initial == DEAD_STATE:
        return None
    return ByteDFA(byte_classes=minimal.byte_classes, table=minimal.table, accepting=minimal.accepting,
                   initial_state=minimal.initial)
