"""Anchors in the syntax tree: kept where they sit at an edge of the whole match, refused elsewhere.

Takes the tree `parser` builds, in which each `^ $ \\A \\Z` is still a `preparse.Anchor` node, and
the pattern (for errors); gives the tree without them, or raises `UnsupportedRegexError` naming
the anchor and its offset.

Under full-match semantics (`re.fullmatch`) a start anchor (`^`, `\\A`, and `(?m)^`) holds at
offset 0 and an end anchor (`$`, `\\Z`, and `(?m)$`) at the end of the text. One is accepted,
and dropped, when on every way through the pattern that reaches it nothing can have been matched
before it (a start anchor) or can be matched after it (an end anchor): there it always holds, so
`^abc$|^def$`, `(?:^ab)`, `a$|z`, `(aa$)?` and `(^)*a` mean what they mean without their anchors.
Anywhere else it is refused, even where `re` gives it a meaning: `a$\\n` (Python's `$` also
holds before a final newline), `(?m)a$\\nb` (`(?m)` lets `^`/`$` hold next to a newline), `a^b`.

"Can be matched" looks at what the parts around the anchor can match: a part that matches no
string at all (`[^\\s\\S]`) leaves no way through, and such a dead part is replaced by a set of no
characters. Other anchors count as matching nothing, which is exact for every pattern accepted
(all its anchors hold).

    >>> from automaton.syntax.parser import parse_regex
    >>> parse_regex("^ab$|c$") == parse_regex("ab|c")
    True
"""
from __future__ import annotations

from automaton.errors import UnsupportedRegexError
from automaton.syntax.preparse import Anchor
from automaton.syntax.tree import EMPTY_STRING, Alternation, CharSet, Concat, Node, Repeat

__all__ = ["resolve_anchors"]

_NOTHING = CharSet(())


def resolve_anchors(tree: Node, pattern: str) -> Node:
    """`tree` without its `Anchor` nodes (each accepted anchor dropped), or UnsupportedRegexError."""
    return _Resolver(pattern).resolve(tree, False, False)


class _Resolver:
    def __init__(self, pattern: str):
        self.pattern = pattern
        # id(node) -> (matches some string, matches a non-empty string, holds an anchor); nodes
        # are shared within a tree (one CharSet per distinct character), so ids repeat.
        self.known: dict[int, tuple[bool, bool, bool]] = {}

    def facts(self, node) -> tuple[bool, bool, bool]:
        found = self.known.get(id(node))
        if found is None:
            found = self.known[id(node)] = self._facts(node)
        return found

    def _facts(self, node) -> tuple[bool, bool, bool]:
        if isinstance(node, CharSet):
            return bool(node.ranges), bool(node.ranges), False
        if isinstance(node, Anchor):
            return True, False, True
        if isinstance(node, Repeat):
            live, consumes, anchored = self.facts(node.item)
            return node.min == 0 or live, node.max != 0 and consumes, anchored
        parts = [self.facts(child) for child in _children(node)]
        anchored = any(part[2] for part in parts)
        if isinstance(node, Concat):
            live = all(part[0] for part in parts)
            return live, live and any(part[1] for part in parts), anchored
        return any(part[0] for part in parts), any(part[1] for part in parts), anchored

    def resolve(self, node, before: bool, after: bool) -> Node:
        """`node` without anchors; `before` / `after`: whether some way through the whole pattern
        matches a non-empty text before / after this node."""
        live, _, anchored = self.facts(node)
        if not anchored:
            return node
        if not live:
            return _NOTHING
        if isinstance(node, Anchor):
            if node.at_start and before:
                self.refuse(node, "before")
            if not node.at_start and after:
                self.refuse(node, "after")
            return EMPTY_STRING
        if isinstance(node, Repeat):
            item_live, item_consumes, _ = self.facts(node.item)
            if not item_live:  # only zero repetitions match
                return EMPTY_STRING
            again = (node.max is None or node.max >= 2) and item_consumes  # another round may come first / next
            item = self.resolve(node.item, before or again, after or again)
            return EMPTY_STRING if item == EMPTY_STRING else Repeat(item, node.min, node.max)
        if isinstance(node, Alternation):
            options = [self.resolve(option, before, after) for option in node.options if self.facts(option)[0]]
            return options[0] if len(options) == 1 else Alternation(tuple(options))
        items = node.items
        consumes = [self.facts(item)[1] for item in items]
        later = [False] * (len(items) + 1)  # later[i]: an item from i on matches a non-empty text
        for index in range(len(items) - 1, -1, -1):
            later[index] = later[index + 1] or consumes[index]
        parts: list[Node] = []
        earlier = before
        for index, item in enumerate(items):
            part = self.resolve(item, earlier, after or later[index + 1])
            earlier = earlier or consumes[index]
            if isinstance(part, Concat):
                parts.extend(part.items)
            else:
                parts.append(part)
        if not parts:
            return EMPTY_STRING
        return parts[0] if len(parts) == 1 else Concat(tuple(parts))

    def refuse(self, anchor: Anchor, side: str) -> None:
        raise UnsupportedRegexError(
            self.pattern, anchor.construct, anchor.position,
            f"accepted only where nothing can be matched {side} it: at the {'start' if side == 'before' else 'end'}"
            " of the whole match",
        )


def _children(node) -> tuple:
    return node.items if isinstance(node, Concat) else node.options
