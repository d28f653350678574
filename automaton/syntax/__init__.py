"""Python `re` syntax -> syntax tree: the only importer of interegular.

    parse_regex(pattern) -> Node        (`automaton.syntax.parser`)
    pattern_text(compiled) -> str       a compiled `re` / `regex` pattern as pattern text (`compiled`)
    Node, CharSet, Concat, Alternation, Repeat   the tree (`automaton.syntax.tree`)
    CodePoints                          a set of code points (`automaton.syntax.charsets`)

`parser` checks the pattern with Python's own parser first, has `preparse` rewrite what
interegular does not read (`\\uXXXX` escapes, wide classes), and turns interegular's parse into
the tree; `anchors` keeps the anchors that sit at an edge of the whole match and refuses the
others; `tree` holds the nodes. `charsets` is the one home of code point set arithmetic and of
what `\\d \\w \\s` and `.` stand for; `unicode_properties` gives the code points of `\\p{...}`
(General_Category from `unicodedata`, scripts from `regex`); `render` writes sets, text and
trees back as regex source;
`python_re` reaches Python's own `re` parser (which JSON-schema `pattern`s are read with too);
`compiled` turns a compiled `re` / `regex` pattern (its flags, its engine's Unicode reading) into
pattern text meaning the same.
Errors (`RegexSyntaxError`, `UnsupportedRegexError`) reprint the pattern with a caret under the problem.
"""
from __future__ import annotations

from automaton._lazy import lazy_exports

_EXPORTS = {
    "parse_regex": "automaton.syntax.parser",
    "pattern_text": "automaton.syntax.compiled",
    "CodePoints": "automaton.syntax.charsets",
    "Node": "automaton.syntax.tree",
    "CharSet": "automaton.syntax.tree",
    "Concat": "automaton.syntax.tree",
    "Alternation": "automaton.syntax.tree",
    "Repeat": "automaton.syntax.tree",
}
__all__ = list(_EXPORTS)
__getattr__ = lazy_exports(__name__, _EXPORTS)
