"""Python `re` syntax -> syntax tree: the only importer of interegular.

    parse_regex(pattern) -> Node        (`automaton.syntax.parser`)
    CodePoints, Node, CharSet, Concat, Alternation, Repeat   the tree (`automaton.syntax.tree`)

`preparse` checks the pattern with Python's own parser first and rewrites what interegular
does not read (`\\uXXXX` escapes, wide classes); `parser` turns interegular's parse into the
tree; `tree` holds the nodes and the code-point set arithmetic. Errors (`RegexSyntaxError`,
`UnsupportedRegexError`) reprint the pattern with a caret under the problem.
"""
from __future__ import annotations

from automaton._lazy import lazy_exports

_EXPORTS = {
    "parse_regex": "automaton.syntax.parser",
    "CodePoints": "automaton.syntax.tree",
    "Node": "automaton.syntax.tree",
    "CharSet": "automaton.syntax.tree",
    "Concat": "automaton.syntax.tree",
    "Alternation": "automaton.syntax.tree",
    "Repeat": "automaton.syntax.tree",
}
__all__ = list(_EXPORTS)
__getattr__ = lazy_exports(__name__, _EXPORTS)
