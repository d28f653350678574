"""The consistency checks of a `TokenIndex`'s arrays, run when an index is loaded from a file.

    check_consistent(index) -> None, or ValueError naming every problem found

Shapes are checked in Python; when they hold, the values are checked by one kernel
(`automaton.kernels.checks.index_problems`, a bit per check) and worded here.
"""
from __future__ import annotations

from automaton import kernels

__all__ = ["check_consistent"]


def check_consistent(index) -> None:
    """Shapes and ranges that every method relies on; ValueError naming the problems.

    Shapes are checked here; when they hold, the values are checked by one kernel
    (`automaton.kernels.checks.index_problems`), whose failed checks are worded by `_VALUE_PROBLEMS`.
    """
    n_states = index.mask_of.shape[0]
    n_words = (index.logits_width + 31) // 32
    problems = []
    if index.logits_width <= 0:
        problems.append(f"logits_width {index.logits_width} is not positive")
    if index.masks.ndim != 2 or index.masks.shape[1] != n_words:
        problems.append(f"masks shape {index.masks.shape} does not fit logits width {index.logits_width}")
    if n_states == 0:
        problems.append("no states")
    for name in ("mask_of", "accepting", "dfa_state_of", "sole_token"):
        if getattr(index, name).shape != (n_states,):
            problems.append(f"{name} shape {getattr(index, name).shape} != ({n_states},)")
    if index.sparse_offsets.ndim != 1 or index.sparse_offsets.shape[0] < 1 or index.sparse_tokens.ndim != 1:
        problems.append("sparse_offsets must hold at least one offset and sparse_tokens must be a list of ids")
    n_dfa = index.dfa_table.shape[0] if index.dfa_table.ndim == 2 else 0
    if n_dfa == 0:
        problems.append(f"dfa_table shape {index.dfa_table.shape} is not [n_dfa, n_classes]")
    if index.byte_classes.shape != (256,):
        problems.append("byte_classes does not fit the DFA table")
    if index.state_of_dfa.shape != (n_dfa,):
        problems.append("state_of_dfa does not have one entry per DFA state")
    if index.token_offsets.ndim != 1 or not 1 <= index.token_offsets.shape[0] <= index.logits_width + 1:
        problems.append("token_offsets does not fit the logits width")
    if index.forced_offsets.shape != (n_states + 1,):
        problems.append("forced_offsets are not increasing offsets into forced_data")
    if index.eos_token_ids.ndim != 1 or index.token_data.ndim != 1 or index.forced_data.ndim != 1:
        problems.append("eos_token_ids, token_data and forced_data must be lists")
    if not problems:
        found = kernels.index_problems(
            index.mask_of, index.masks.shape[0], index.sparse_offsets, index.sparse_tokens, index.dfa_table,
            index.byte_classes, index.state_of_dfa, index.dfa_state_of, index.token_offsets,
            index.token_data.shape[0], index.forced_offsets, index.forced_data.shape[0], index.sole_token,
            index.eos_token_ids, index.logits_width,
        )
        problems = [problem for bit, problem in enumerate(_VALUE_PROBLEMS) if found >> bit & 1]
    if problems:
        raise ValueError("inconsistent index: " + "; ".join(problems))


# What each bit of `automaton.kernels.checks.index_problems` means, bit 0 first.
_VALUE_PROBLEMS = (
    "sparse_offsets are not increasing offsets into sparse_tokens",
    "sparse_tokens holds an id outside the logits width",
    "sparse_tokens are not sorted and distinct within a row",
    "mask_of refers to a row that does not exist",
    "dfa_table refers to a DFA state that does not exist",
    "byte_classes does not fit the DFA table",
    "state_of_dfa refers to a state that does not exist",
    "dfa_state_of refers to a DFA state that does not exist",
    "token_offsets are not increasing offsets into token_data",
    "forced_offsets are not increasing offsets into forced_data",
    "sole_token does not hold one token id (or -1) per state",
    "an EOS id lies outside the logits width",
)
