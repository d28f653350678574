"""A slow, plain-Python index builder: the reference the numba kernels are tested against.

It follows the definition rather than the fast algorithm: every token's bytes are walked
from every DFA state reached at a token boundary, then states that cannot reach an
accepting state along token edges are dropped.
"""
from __future__ import annotations

from automaton.dfa.byte_dfa import DEAD_STATE, ByteDFA

__all__ = ["reference_transitions"]


def reference_transitions(
    dfa: ByteDFA, token_bytes: list[bytes | None], eos_token_ids, *, max_states: int = 10_000
) -> dict[int, dict[int, int]]:
    """DFA state -> {allowed token id: DFA state after it} for every live state at a boundary.

    EOS ids map to the state itself in accepting states. Only states reachable from the
    start through allowed tokens are listed; {} when no token sequence matches.
    """
    edges: dict[int, dict[int, int]] = {}
    queue = [dfa.initial_state]
    seen = {dfa.initial_state}
    for state in queue:
        out = {}
        for token_id, data in enumerate(token_bytes):
            if not data or token_id in eos_token_ids:
                continue
            target = dfa.step(state, data)
            if target != DEAD_STATE:
                out[token_id] = target
                if target not in seen:
                    if len(seen) >= max_states:
                        raise RuntimeError("too many states for the reference builder")
                    seen.add(target)
                    queue.append(target)
        edges[state] = out

    live = {state for state in edges if dfa.accepting[state]}
    changed = True
    while changed:
        changed = False
        for state, out in edges.items():
            if state not in live and any(target in live for target in out.values()):
                live.add(state)
                changed = True
    if dfa.initial_state not in live:
        return {}

    result: dict[int, dict[int, int]] = {}
    queue = [dfa.initial_state]
    for state in queue:
        if state in result:
            continue
        allowed = {token: target for token, target in edges[state].items() if target in live}
        if dfa.accepting[state]:
            allowed.update({eos: state for eos in eos_token_ids})
        result[state] = allowed
        queue.extend(target for target in allowed.values() if target not in result)
    return result
