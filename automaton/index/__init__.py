"""`ByteDFA` + `Vocabulary` -> `TokenIndex`: the build, the rows, forced text, per-step tables.

    build_index(dfa, vocabulary, max_states=...) -> TokenIndex   (`automaton.index.build`)
    TokenIndex                     the index and its queries (`automaton.index.token_index`)

Stages: `class_trie` (the token trie to walk, merged by byte classes when that pays) ->
`build` (explore the states, `threads` when the work is big) -> `rows` (packed rows and id
lists) and `forced` (text with no choice) -> `token_index`; `lookup` (tables of a step) and
`checks` (a loaded index's consistency) serve the finished index; `reference` is the slow,
plain-Python builder the tests hold the kernels to.
"""
from __future__ import annotations

from automaton._lazy import lazy_exports

_EXPORTS = {
    "TokenIndex": "automaton.index.token_index",
    "build_index": "automaton.index.build",
}
__all__ = list(_EXPORTS)
__getattr__ = lazy_exports(__name__, _EXPORTS)
