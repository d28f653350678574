"""Numba kernel of forced text: the bytes a pattern allows with no choice from each state
(see `automaton.index.forced`).
"""
from __future__ import annotations

import numba
import numpy as np

from automaton.kernels.layout import DEAD


@numba.njit(cache=True, nogil=True)
def forced_chains(table, byte_classes, accepting, starts, max_bytes):
    """Per start state, the bytes met following each state's only live byte until a state
    with a choice, at most `max_bytes`: (offsets int64[n + 1], data uint8[total]).

    Args: table int32[n_dfa, n_classes] (a minimal DFA: every state but DEAD is live);
    byte_classes uint8[256]; accepting bool[n_dfa]; starts int32[n] the DFA states to start
    from; max_bytes: the cap (a chain that loops, in a DFA whose states never accept, stops
    there). A state has an only live byte when it does not accept and exactly one byte value
    leads to a live state (a class of one byte, every other class dead).
    """
    n_dfa, n_classes = table.shape
    class_size = np.zeros(n_classes, np.int64)
    byte_of_class = np.zeros(n_classes, np.int16)
    for byte in range(255, -1, -1):
        cls = byte_classes[byte]
        class_size[cls] += 1
        byte_of_class[cls] = byte
    only_byte = np.full(n_dfa, -1, np.int16)
    after = np.full(n_dfa, -1, np.int64)
    for state in range(n_dfa):
        if state == DEAD or accepting[state]:
            continue
        live_bytes = 0
        live_class = -1
        for cls in range(n_classes):
            if table[state, cls] != DEAD:
                live_bytes += class_size[cls]
                live_class = cls
        if live_bytes == 1:
            only_byte[state] = byte_of_class[live_class]
            after[state] = table[state, live_class]
    n = starts.shape[0]
    offsets = np.zeros(n + 1, np.int64)
    for i in range(n):
        state = starts[i]
        length = 0
        while length < max_bytes and only_byte[state] >= 0:
            state = after[state]
            length += 1
        offsets[i + 1] = offsets[i] + length
    data = np.empty(offsets[n], np.uint8)
    for i in range(n):
        state = starts[i]
        for at in range(offsets[i], offsets[i + 1]):
            data[at] = only_byte[state]
            state = after[state]
    return offsets, data
