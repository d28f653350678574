"""Rewrites of the syntax tree that keep its language and shrink its NFA, run before the NFA is built.

    simplify(node) -> Node     the same language (never more NFA states: `count_nfa_states`)

Why: Thompson's construction turns a repeat of something that matches the empty string into a
chain of epsilon moves through every copy. `(?:R?){n}` and `X?(R||){n}` give each copy an
epsilon path to every later copy, so a DFA state holds O(n) NFA states and subset construction
costs O(n^2) or worse; `b*b*b*...` does the same with stars. The rewrites below remove the
empty string from what is repeated, or merge the repeats, so the NFA has no such chains.

Rules (X, Y any subtree; X{a,b} means `Repeat(X, a, b)`, b = None unbounded; X? = X{0,1}):

    concatenation  nested ones flattened, empty strings dropped; neighbours X{a,b} X{c,d} (a
                   bare X counts as X{1,1}, at least one of them a repeat) merge into
                   X{a+c,b+d}, since X^i X^j = X^(i+j): `b*b*` -> `b*`, `aa*` -> `a{1,}`
    alternation    nested ones flattened, repeated empty strings and character sets dropped
                   (the first kept); `R|` (one option and the empty string) -> R?
    repeat         X{0,0}, (empty){a,b} -> empty; X{1,1} -> X;
                   (X{a,b}){m,M} -> X{ma,Mb} where the ranges j*[a,b], j = m..M, leave no gap:
                       m = M, or (m+1)*a <= m*b + 1 (b unbounded: m >= 1 or a <= 1);
                   X{m,M} with X nullable (matches the empty string) -> X'{0,M}, X' = X without
                       the empty string where that is written cheaply (X = Y{0,b} with Y not
                       nullable: Y{1,b}; an alternation: its options' X', empty ones dropped),
                       else X{0,M}: X^k holds X^j for every j <= k once X holds the empty string.

So `(?:R?){n}` and `(R||){n}` become R{0,n}, whose NFA has one shared exit (no chains), and
`"b*" * 9000` becomes `b*`. Every rule keeps the language exactly (tests/automaton/dfa/
test_simplify.py checks them against `re.fullmatch` and against the unrewritten DFA).

    >>> from automaton.syntax.parser import parse_regex
    >>> simplify(parse_regex("(?:a?){3}"))
    Repeat(item=CharSet(ranges=((97, 97),)), min=0, max=3)
    >>> simplify(parse_regex("b*b*b*")) == parse_regex("b*")
    True
"""
from __future__ import annotations

import operator

from automaton.syntax.tree import EMPTY_STRING, Alternation, CharSet, Concat, Node, Repeat

__all__ = ["simplify"]


def simplify(node: Node) -> Node:
    """`node` rewritten bottom-up by the rules above (the same language), in one walk of the
    tree; a subtree that no rule changes is returned as it was (no copy)."""
    return _Simplifier().node(node)


class _Simplifier:
    def __init__(self) -> None:
        # id(node) -> (node, nullable) for the nodes this run made or met: the node is kept so
        # that its id is not reused while the memo lives.
        self.memo: dict[int, tuple[Node, bool]] = {}

    def nullable(self, node: Node) -> bool:
        """Whether `node` matches the empty string."""
        kind = type(node)
        if kind is CharSet:
            return False
        if kind is Repeat and node.min == 0:
            return True
        known = self.memo.get(id(node))
        if known is not None:
            return known[1]
        if kind is Concat:
            result = all(self.nullable(item) for item in node.items)
        elif kind is Alternation:
            result = any(self.nullable(option) for option in node.options)
        else:
            result = self.nullable(node.item)
        self.memo[id(node)] = (node, result)
        return result

    def node(self, node: Node) -> Node:
        kind = type(node)
        if kind is CharSet:
            return node
        if kind is Concat:
            return self.concat([self.node(item) for item in node.items], node)
        if kind is Alternation:
            return self.alternation([self.node(option) for option in node.options], node)
        if kind is Repeat:
            return self.repeat(self.node(node.item), node.min, node.max, node)
        raise TypeError(f"not a syntax tree node: {node!r}")

    def concat(self, items: list[Node], original: Concat | None = None) -> Node:
        """The concatenation of (simplified) `items`; `original` when nothing changed."""
        flat = items
        if any(type(item) is Concat for item in items):  # flattened; empty strings dropped
            flat = []
            for item in items:
                if type(item) is Concat:
                    flat.extend(item.items)
                else:
                    flat.append(item)
        if len(flat) > 1 and _has_run(flat):
            flat = self.merged_runs(flat)
        if len(flat) == 1:
            return flat[0]
        if original is not None and _same(flat, original.items):
            return original
        return Concat(tuple(flat))

    def merged_runs(self, parts: list[Node]) -> list[Node]:
        """`parts` with each run of neighbours X{a,b} of one X (a bare X is X{1,1}) that holds a
        repeat merged into one repeat."""
        merged: list[Node] = []
        at, count = 0, len(parts)
        while at < count:
            base = _base(parts[at])
            end = at + 1
            while end < count and _same_node(_base(parts[end]), base):
                end += 1
            run = parts[at:end]
            if end - at == 1 or not any(type(part) is Repeat for part in run):
                merged.extend(run)
            else:
                low = sum(_as_repeat(part)[1] for part in run)
                highs = [_as_repeat(part)[2] for part in run]
                part = self.repeat(base, low, None if None in highs else sum(highs))
                merged.extend(part.items if type(part) is Concat else (part,))
            at = end
        return merged

    def alternation(self, options: list[Node], original: Alternation | None = None) -> Node:
        """The alternation of (simplified) `options`; `original` when nothing changed. Options met
        again are dropped where that is cheap to see: the empty string, a character set, the same
        object; other subtrees are not compared (hashing them costs their size at every level)."""
        parts: list[Node] = []
        sets: set = set()
        objects: set[int] = set()
        empty = False
        for option in options:
            for part in option.options if isinstance(option, Alternation) else (option,):
                if isinstance(part, Concat) and not part.items:
                    if empty:
                        continue
                    empty = True
                elif isinstance(part, CharSet):
                    if part.ranges in sets:
                        continue
                    sets.add(part.ranges)
                elif id(part) in objects:
                    continue
                objects.add(id(part))
                parts.append(part)
        if len(parts) == 1:
            return parts[0]
        if len(parts) == 2 and empty:  # R| -> R?
            return self.repeat(parts[0] if parts[1] == EMPTY_STRING else parts[1], 0, 1)
        if original is not None and _same(parts, original.options):
            return original
        return Alternation(tuple(parts))

    def repeat(self, item: Node, low: int, high: int | None, original: Repeat | None = None) -> Node:
        """item{low,high} rewritten (`original`, when given, is returned if nothing changes)."""
        if high == 0 or (type(item) is Concat and not item.items):
            return EMPTY_STRING
        if low == 1 and high == 1:
            return item
        if type(item) is CharSet:  # the common case: no rule applies
            if original is not None and original.item is item and original.min == low and original.max == high:
                return original
            return Repeat(item, low, high)
        if isinstance(item, Repeat) and _no_gap(item.min, item.max, low, high):
            inner_high = None if item.max is None or high is None else item.max * high
            return self.repeat(item.item, item.min * low, inner_high)
        if low > 0 and self.nullable(item):
            low = 0
        if low == 0 and self.nullable(item):
            without_empty = self.without_empty(item)
            if without_empty is not None:
                return self.repeat(without_empty, 0, high)
        if original is not None and original.item is item and original.min == low and original.max == high:
            return original
        return Repeat(item, low, high)

    def without_empty(self, node: Node) -> Node | None:
        """A tree for the language of (simplified, nullable) `node` less the empty string, when
        one is written cheaply; else None."""
        if isinstance(node, Repeat):
            if node.min == 0 and not self.nullable(node.item):
                return self.repeat(node.item, 1, node.max)
            return None
        if isinstance(node, Alternation):
            options: list[Node] = []
            for option in node.options:
                if option == EMPTY_STRING:
                    continue
                if self.nullable(option):
                    option = self.without_empty(option)
                    if option is None:
                        return None
                options.append(option)
            return self.alternation(options) if options else None
        return None  # a concatenation of nullable items: its non-empty part is a longer alternation


def _no_gap(a: int, b: int | None, m: int, big_m: int | None) -> bool:
    """Whether the union over j = m..M of X{j*a, j*b} is X{m*a, M*b}: consecutive ranges touch."""
    if m == big_m:
        return True
    if b is None:
        return m >= 1 or a <= 1
    return (m + 1) * a <= m * b + 1


def _same(nodes: list[Node], originals: tuple[Node, ...]) -> bool:
    """Whether `nodes` are the very objects of `originals`, in order."""
    return len(nodes) == len(originals) and not any(map(operator.is_not, nodes, originals))


def _has_run(parts: list[Node]) -> bool:
    """Whether two neighbours X{a,b} X{c,d} (a bare X counts as X{1,1}), one a repeat, share X."""
    previous = parts[0]
    previous_repeat = type(previous) is Repeat
    previous_base = previous.item if previous_repeat else previous
    for at in range(1, len(parts)):
        part = parts[at]
        repeat = type(part) is Repeat
        base = part.item if repeat else part
        if (repeat or previous_repeat) and _same_node(base, previous_base):
            return True
        previous_repeat, previous_base = repeat, base
    return False


def _base(node: Node) -> Node:
    """X of X{a,b}; a node that is no repeat is its own."""
    return node.item if type(node) is Repeat else node


def _same_node(node: Node, other: Node) -> bool:
    """Structural equality, the cheap cases first (a character set compares its ranges)."""
    if node is other:
        return True
    if type(node) is not type(other):
        return False
    if type(node) is CharSet:
        return node.ranges == other.ranges
    return node == other


def _as_repeat(node: Node) -> tuple[Node, int, int | None]:
    """(X, a, b) with node = X{a,b}; a node that is no repeat is X{1,1}."""
    if isinstance(node, Repeat):
        return node.item, node.min, node.max
    return node, 1, 1
