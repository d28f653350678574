"""Python `re` syntax -> syntax tree: the only importer of interegular.

    parse_regex(pattern) -> Node        (`automaton.syntax.parser`)
    Node, CharSet, Concat, Alternation, Repeat   the tree (`automaton.syntax.tree`)
    CodePoints                          a set of code points (`automaton.syntax.charsets`)

`parser` checks the pattern with Python's own parser first, has `preparse` rewrite what
interegular does not read (`\\uXXXX` escapes, wide classes), and turns interegular's parse into
the tree; `tree` holds the nodes. `charsets` is the one home of code point set arithmetic and of
what `\\d \\w \\s` and `.` stand for; `render` writes sets and text back as regex source;
`python_re` reaches Python's own `re` parser (which JSON-schema `pattern`s are read with too).
Errors (`RegexSyntaxError`, `UnsupportedRegexError`) reprint the pattern with a caret under the problem.
"""
from __future__ import annotations

from automaton._lazy import lazy_exports

_EXPORTS = {
    "parse_regex": "automaton.syntax.parser",
    "CodePoints": "automaton.syntax.charsets",
    "Node": "automaton.syntax.tree",
    "CharSet": "automaton.syntax.tree",
    "Concat": "automaton.syntax.tree",
    "Alternation": "automaton.syntax.tree",
    "Repeat": "automaton.syntax.tree",
}
__all__ = list(_EXPORTS)
__getattr__ = lazy_exports(__name__, _EXPORTS)
