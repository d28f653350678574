"""The NFA builder lays out a character set met before in the same build from what it kept the
first time (`automaton.dfa.nfa._shape`): the NFA must be the one a fresh layout of every set gives,
state for state and edge for edge, and its count of states the one `count_nfa_states` reads
from the tree."""
from __future__ import annotations

import pytest

from automaton.dfa import nfa as nfa_module
from automaton.dfa.limits import Deadline
from automaton.syntax.parser import parse_regex
from tests.cases import BENCH_PATTERNS

PATTERNS = [
    r"[α-ω]{3,9}\w+[^a]{0,5}",
    r'"([^"\\]|\\["\\/bfnrt]){0,12}"',
    r"(\d{1,3}\.){3}\d{1,3}",
    r"[^\x00-\x7f]+x[^\x00-\x7f]?",
    "(?i)" + "abc[ ]def" * 3,
    *BENCH_PATTERNS.values(),
]


class _FreshBuilder(nfa_module._Builder):
    """Works every set out again, as if it had never been met."""

    def char_set(self, node):
        self.shapes.clear()
        return super().char_set(node)


def arrays(nfa) -> tuple:
    return (nfa.start, nfa.final, nfa.num_states, nfa.epsilon_sources, nfa.epsilon_targets,
            nfa.edge_sources, nfa.edge_lo, nfa.edge_hi, nfa.edge_targets)


@pytest.mark.parametrize("pattern", PATTERNS)
def test_sets_met_again_are_laid_out_as_when_fresh(pattern, monkeypatch):
    tree = parse_regex(pattern)
    kept = nfa_module.build_nfa(tree, 10**6, Deadline(None))
    monkeypatch.setattr(nfa_module, "_Builder", _FreshBuilder)
    fresh = nfa_module.build_nfa(tree, 10**6, Deadline(None))
    assert arrays(kept) == arrays(fresh)
    assert kept.num_states == nfa_module.count_nfa_states(tree)
